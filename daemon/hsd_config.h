/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd's config: an INI file (conf/hdastreamd.conf documents every
 * key) parsed with inih, checked value by value, into a plain struct.
 *
 * A bad file gives one error, the first one in the file, as
 *   FILE:LINE: [SECTION] KEY: what was expected, got 'VALUE'
 * and nothing else is parsed after it.  An error that belongs to no single
 * key (a duplicate section, a syntax error) leaves out what it has not.
 *
 * What this does not do: open the controller (hdastreamd --check-config
 * does, and reports libhda's reason against the controller key's line),
 * resolve a pin to a codec path (the stream engine does, on the codec it
 * finds), or bind the listen addresses.
 *
 * [main] Not thread-safe; meant for the main loop (start-up and SIGHUP).
 */
#ifndef HSD_CONFIG_H
#define HSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hda/hda.h"
#include "hda/hda_codec.h"
#include "hsd_log.h"

#define HSD_DEFAULT_PORT 4713
#define HSD_STR_(x) #x
#define HSD_STR(x) HSD_STR_(x)
#define HSD_DEFAULT_CONTROLLER "emu:linein=loopback"
#define HSD_DEFAULT_LISTEN                                                     \
	"127.0.0.1:" HSD_STR(HSD_DEFAULT_PORT) " [::1]:" HSD_STR(HSD_DEFAULT_PORT)

/* Room for one value: inih reads lines of at most 199 characters. */
#define HSD_CONFIG_VALUE_MAX 200
/* A stream name: 1..32 of [A-Za-z0-9_.-], so it can go on the wire and
 * into a log line as it is. */
#define HSD_STREAM_NAME_MAX 32
/* A controller has at most 30 DMA engines (GCAP: ISS + OSS + BSS), and a
 * stream holds one, so no config can use more streams than that. */
#define HSD_STREAMS_MAX 30
#define HSD_LISTEN_MAX 8
#define HSD_REALTIME_AUTO (-1)
#define HSD_REALTIME_OFF 0

#include "hsd_direction.h"

typedef enum hsd_codec {
	HSD_CODEC_PCM, /* raw frames in the stream's format */
} hsd_codec;

/* The pin a stream's codec path ends at, when its user chose one; else
 * the engine picks the first path of the stream's direction. */
typedef enum hsd_pin_kind {
	HSD_PIN_ANY,    /* not configured */
	HSD_PIN_DEVICE, /* by default device: line-out, mic, ... */
	HSD_PIN_NODE,   /* by node id */
} hsd_pin_kind;

typedef struct hsd_pin {
	hsd_pin_kind kind;
	hda_pin_device device; /* HSD_PIN_DEVICE */
	uint8_t node;          /* HSD_PIN_NODE: 0x01..0x7F */
} hsd_pin;

typedef struct hsd_stream_config {
	char name[HSD_STREAM_NAME_MAX + 1];
	unsigned line; /* of its [stream NAME] header, for messages only */
	hsd_direction direction;
	/* rate, bits (container derived: 8 -> 8, 16 -> 16, 20/24/32 -> 32)
	 * and channels, a combination hda_format_to_converter accepts */
	hda_stream_format format;
	/* latency_ms as configured, in microseconds: the key takes 1..2000
	 * with up to three decimals ("20", "2.5", "0.5" is refused), and
	 * whole microseconds keep the comparison in hsd_config_diff exact. */
	uint32_t latency_us;
	hsd_codec codec;
	hsd_pin pin;
	bool always_on; /* capture only: run with no listener */
} hsd_stream_config;

typedef struct hsd_listen_addr {
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, port set */
	socklen_t len;
	char text[64]; /* as written, e.g. "[::1]:4713" */
} hsd_listen_addr;

typedef struct hsd_listen_list {
	hsd_listen_addr addr[HSD_LISTEN_MAX];
	unsigned count; /* at least 1 */
} hsd_listen_list;

typedef struct hsd_config {
	/* [daemon] */
	char controller[HSD_CONFIG_VALUE_MAX]; /* a libhda bus URI */
	unsigned controller_line; /* 0 when the default */
	hsd_listen_list listen;
	/* Where listen and realtime were given (0: the default), for a
	 * reload's warning that they need a restart. */
	unsigned listen_line, realtime_line;
	unsigned max_clients;     /* connected at once, over all streams */
	unsigned max_streams;     /* [stream] sections allowed */
	unsigned client_queue_ms; /* audio queued per client */
	hsd_log_level log_level;
	/* The audio thread's SCHED_FIFO priority: HSD_REALTIME_AUTO, _OFF or
	 * 1..99.  auto is off on the emu and qemu controllers: their device
	 * model runs as ordinary threads (the emulator's device thread, the
	 * QEMU process) on the same few cores, and a real-time audio thread
	 * that polls starves the very thread that moves the DMA and raises
	 * its interrupts (measured on a 2-core machine). */
	int realtime;
	/* [stream NAME], in file order */
	hsd_stream_config streams[HSD_STREAMS_MAX];
	unsigned stream_count;
	char path[256]; /* the file it came from, for messages */
} hsd_config;

/*
 * Parse and check the file at path.  0 and *out on success (free it with
 * hsd_config_free); on failure *out is NULL, err[errlen] holds the one
 * error ("path:line: ..."), and the return is -EINVAL for a bad config,
 * -ENOMEM, or the -errno of opening or reading the file.
 */
int hsd_config_load(const char *path, hsd_config **out, char *err,
		    size_t errlen);

/* hsd_config_load on text in memory; name stands for the file in
 * messages. */
int hsd_config_parse_string(const char *name, const char *text,
			    hsd_config **out, char *err, size_t errlen);

/* Accepts NULL. */
void hsd_config_free(hsd_config *config);

/* The stream called name, or NULL. */
const hsd_stream_config *hsd_config_stream(const hsd_config *config,
					   const char *name);

/* ---- Reload: what changed between two configs --------------------------- */

typedef enum hsd_stream_change {
	HSD_STREAM_SAME,    /* keeps running untouched */
	HSD_STREAM_CHANGED, /* rebuilt, its clients told why */
	HSD_STREAM_ADDED,
	HSD_STREAM_REMOVED,
} hsd_stream_change;

typedef struct hsd_stream_diff {
	const char *name; /* points into old or new */
	hsd_stream_change change;
	const hsd_stream_config *old_stream; /* NULL when ADDED */
	const hsd_stream_config *new_stream; /* NULL when REMOVED */
} hsd_stream_diff;

/* Room hsd_config_diff may need: every old stream removed, every new one
 * added. */
#define HSD_DIFF_MAX (2 * HSD_STREAMS_MAX)

/*
 * The fate of every stream across a reload from old to new: the streams of
 * old in their order (SAME, CHANGED or REMOVED), then those only new has
 * (ADDED).  Streams are matched by name; one whose settings all compare
 * equal is SAME even when its section moved in the file.  Writes at most
 * max entries and returns how many there are (at most HSD_DIFF_MAX).
 */
size_t hsd_config_diff(const hsd_config *old, const hsd_config *new_config,
		       hsd_stream_diff *out, size_t max);

/* Whether two streams' settings are equal (their line numbers aside). */
bool hsd_stream_config_equal(const hsd_stream_config *a,
			     const hsd_stream_config *b);

/* What changed in [daemon]: a bit for each part that a reload must act on. */
enum {
	HSD_DAEMON_CONTROLLER = 1u << 0, /* every stream must be rebuilt */
	HSD_DAEMON_LISTEN = 1u << 1,
	HSD_DAEMON_LIMITS = 1u << 2,
	HSD_DAEMON_LOG_LEVEL = 1u << 3,
};
unsigned hsd_config_daemon_changes(const hsd_config *old,
				   const hsd_config *new_config);

/* Names for messages: "render"/"capture", "pcm", and a pin as a config
 * would write it ("line-out", "0x14", "any"). */
const char *hsd_direction_name(hsd_direction direction);
const char *hsd_codec_name(hsd_codec codec);
const char *hsd_pin_text(const hsd_pin *pin, char *buf, size_t len);

#endif /* HSD_CONFIG_H */
