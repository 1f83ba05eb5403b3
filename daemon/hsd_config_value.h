/* SPDX-License-Identifier: MIT */
/*
 * The value parsers behind hsd_config.c, one per kind of value.  Each one
 * takes the value as inih gave it (trimmed, comments removed) and returns 0
 * with *out set, or -EINVAL with why[len] saying what it expected and what
 * it got ("expected 1..2000, got '0'").  *out is left alone on failure.
 * Internal to the daemon; not thread-safe only in that why is the caller's.
 */
#ifndef HSD_CONFIG_VALUE_H
#define HSD_CONFIG_VALUE_H

#include "hsd_config.h"

int hsd_parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out,
		   char *why, size_t len);
int hsd_parse_bool(const char *v, bool *out, char *why, size_t len);
int hsd_parse_latency(const char *v, uint32_t *us, char *why, size_t len);
int hsd_parse_direction(const char *v, hsd_direction *out, char *why,
			size_t len);
int hsd_parse_codec(const char *v, hsd_codec *out, char *why, size_t len);
int hsd_parse_pin(const char *v, hsd_pin *out, char *why, size_t len);
int hsd_parse_rate(const char *v, uint32_t *rate, char *why, size_t len);
int hsd_parse_bits(const char *v, hda_stream_format *format, char *why,
		   size_t len);
int hsd_parse_channels(const char *v, uint16_t *channels, char *why,
		       size_t len);
int hsd_parse_listen(const char *v, hsd_listen_list *out, char *why,
		     size_t len);
/* out has HSD_CONFIG_VALUE_MAX bytes. */
int hsd_parse_controller(const char *v, char *out, char *why, size_t len);
int hsd_parse_log_level(const char *v, hsd_log_level *out, char *why,
			size_t len);

/* Whether two listen addresses are the same address and port. */
bool hsd_listen_addr_equal(const hsd_listen_addr *a, const hsd_listen_addr *b);

/* Whether a pin device takes audio in (line-in, mic, ...) rather than
 * sending it out (line-out, headphone, ...). */
bool hsd_pin_device_is_input(hda_pin_device device);

/* The pin devices a config may name, for messages: "line-out, ...". */
const char *hsd_pin_names(bool input);

#endif /* HSD_CONFIG_VALUE_H */
