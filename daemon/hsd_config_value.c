/* SPDX-License-Identifier: MIT */
/* The config's value parsers (hsd_config_value.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hsd_config_value.h"

static int bad(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits only: no sign, no space, no 0x, at most 9 digits so that
 * the value fits without overflow checks. */
static bool digits(const char *v, unsigned *out)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; is_digit(v[i]); i++) {
		if (i == 9)
			return false;
		n = n * 10 + (unsigned)(v[i] - '0');
	}
	if (i == 0 || v[i])
		return false;
	*out = n;
	return true;
}

int hsd_parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out,
		   char *why, size_t len)
{
	unsigned n;

	if (!digits(v, &n) || n < lo || n > hi)
		return bad(why, len, "expected %u..%u, got '%s'", lo, hi, v);
	*out = n;
	return 0;
}

int hsd_parse_bool(const char *v, bool *out, char *why, size_t len)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	return bad(why, len, "expected true or false (or yes/no, on/off, 1/0), got '%s'",
		   v);
}

/* "20", "2.5", "1.125": whole milliseconds with up to three decimals, read
 * exactly into microseconds (no floating point, so "0.1" is 100 us and
 * two configs that say the same compare equal). */
int hsd_parse_latency(const char *v, uint32_t *us, char *why, size_t len)
{
	unsigned ms = 0, frac = 0, scale = 1000;
	size_t i;

	for (i = 0; is_digit(v[i]) && i < 7; i++)
		ms = ms * 10 + (unsigned)(v[i] - '0');
	if (i == 0)
		goto fail;
	if (v[i] == '.') {
		size_t f = ++i;

		for (; is_digit(v[i]) && i - f < 3; i++) {
			scale /= 10;
			frac += (unsigned)(v[i] - '0') * scale;
		}
		if (i == f)
			goto fail;
	}
	if (v[i])
		goto fail;
	if (ms < 1 || ms > 2000 || (ms == 2000 && frac))
		goto fail;
	*us = ms * 1000 + frac;
	return 0;
fail:
	return bad(why, len, "expected 1..2000 (milliseconds, up to 3 decimals), got '%s'",
		   v);
}

int hsd_parse_direction(const char *v, hsd_direction *out, char *why,
			size_t len)
{
	if (!strcmp(v, "render") || !strcmp(v, "capture")) {
		*out = !strcmp(v, "render") ? HSD_RENDER : HSD_CAPTURE;
		return 0;
	}
	return bad(why, len, "expected render or capture, got '%s'", v);
}

int hsd_parse_codec(const char *v, hsd_codec *out, char *why, size_t len)
{
	if (!strcmp(v, "pcm")) {
		*out = HSD_CODEC_PCM;
		return 0;
	}
	if (!*v)
		return bad(why, len, "expected pcm, got ''");
	return bad(why, len, "'%s' is not supported yet (this build has pcm only)",
		   v);
}

/* The pin devices a config may name, outputs first. */
static const hda_pin_device pin_devices[] = {
	HDA_PIN_LINE_OUT, HDA_PIN_SPEAKER, HDA_PIN_HP_OUT, HDA_PIN_SPDIF_OUT,
	HDA_PIN_LINE_IN,  HDA_PIN_MIC_IN,  HDA_PIN_SPDIF_IN, HDA_PIN_CD,
};
#define PIN_DEVICES (sizeof(pin_devices) / sizeof(pin_devices[0]))

bool hsd_pin_device_is_input(hda_pin_device device)
{
	return device == HDA_PIN_LINE_IN || device == HDA_PIN_MIC_IN ||
	       device == HDA_PIN_SPDIF_IN || device == HDA_PIN_CD;
}

const char *hsd_pin_names(bool input)
{
	static char names[2][128];
	char *s = names[input];

	if (!*s)
		for (size_t i = 0; i < PIN_DEVICES; i++)
			if (hsd_pin_device_is_input(pin_devices[i]) == input)
				snprintf(s + strlen(s), sizeof(names[0]) - strlen(s),
					 "%s%s", *s ? ", " : "",
					 hda_pin_device_name(pin_devices[i]));
	return s;
}

int hsd_parse_pin(const char *v, hsd_pin *out, char *why, size_t len)
{
	unsigned node = 0;
	size_t i;

	for (i = 0; i < PIN_DEVICES; i++)
		if (!strcmp(v, hda_pin_device_name(pin_devices[i]))) {
			*out = (hsd_pin){.kind = HSD_PIN_DEVICE,
					 .device = pin_devices[i]};
			return 0;
		}
	/* A node id in hex, as codec dumps print them: 0x01..0x7F (a verb
	 * addresses 7-bit nodes; 0x00 is the root node, not a pin). */
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && v[2]) {
		for (i = 2; v[i] && i < 4; i++) {
			char c = v[i];
			unsigned d = is_digit(c) ? (unsigned)(c - '0')
				   : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
				   : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10)
				   : 16;
			if (d == 16)
				break;
			node = node * 16 + d;
		}
		if (!v[i] && node >= 0x01 && node <= 0x7F) {
			*out = (hsd_pin){.kind = HSD_PIN_NODE, .node = (uint8_t)node};
			return 0;
		}
	}
	return bad(why, len, "expected %s, %s or a node id 0x01..0x7F, got '%s'",
		   hsd_pin_names(false), hsd_pin_names(true), v);
}

int hsd_parse_rate(const char *v, uint32_t *rate, char *why, size_t len)
{
	hda_stream_format f = {0, 16, 16, 2};
	uint16_t conv;
	unsigned n;

	/* libhda knows which rates a converter format can express (48 or
	 * 44.1 kHz times 1..4, divided by 1..8); ask it rather than keep a
	 * second list here. */
	if (digits(v, &n)) {
		f.sample_rate = n;
		if (hda_format_to_converter(&f, &conv) == HDA_STATUS_SUCCESS) {
			*rate = n;
			return 0;
		}
	}
	return bad(why, len, "expected a rate HDA can express (48000 or 44100 times 1..4, divided by 1..8, e.g. 44100, 48000, 96000), got '%s'",
		   v);
}

int hsd_parse_bits(const char *v, hda_stream_format *format, char *why,
		   size_t len)
{
	unsigned n;

	if (digits(v, &n) && (n == 8 || n == 16 || n == 20 || n == 24 || n == 32)) {
		/* HDA memory has 8, 16 and 32-bit containers only: 20 and
		 * 24-bit samples sit in 32 bits. */
		format->valid_bits_per_sample = (uint16_t)n;
		format->container_size = (uint16_t)(n <= 16 ? n : 32);
		return 0;
	}
	return bad(why, len, "expected 8, 16, 20, 24 or 32, got '%s'", v);
}

int hsd_parse_channels(const char *v, uint16_t *channels, char *why,
		       size_t len)
{
	unsigned n;

	if (hsd_parse_uint(v, 1, 16, &n, why, len))
		return -EINVAL;
	*channels = (uint16_t)n;
	return 0;
}

/* One address: "A.B.C.D:PORT" or "[IPV6]:PORT", numeric only, so that a
 * config never waits on a resolver. */
static bool parse_addr(const char *tok, hsd_listen_addr *a)
{
	char host[64];
	const char *port;
	unsigned p;
	size_t hl;

	if (tok[0] == '[') {
		const char *close = strchr(tok, ']');

		if (!close || close[1] != ':')
			return false;
		hl = (size_t)(close - tok - 1);
		port = close + 2;
	} else {
		port = strrchr(tok, ':');
		if (!port)
			return false;
		hl = (size_t)(port - tok);
		port++;
	}
	if (hl == 0 || hl >= sizeof(host) || !digits(port, &p) || p > 65535)
		return false;
	memcpy(host, tok + (tok[0] == '['), hl);
	host[hl] = '\0';
	memset(a, 0, sizeof(*a));
	if (tok[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->addr;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*s6);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return false;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->addr;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		a->len = sizeof(*s4);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return false;
	}
	snprintf(a->text, sizeof(a->text), "%s", tok);
	return true;
}

bool hsd_listen_addr_equal(const hsd_listen_addr *a, const hsd_listen_addr *b)
{
	/* parse_addr zeroes the whole sockaddr first, so bytes compare */
	return a->len == b->len && !memcmp(&a->addr, &b->addr, a->len);
}

int hsd_parse_listen(const char *v, hsd_listen_list *out, char *why,
		     size_t len)
{
	static const char sep[] = " \t,";
	hsd_listen_list l = {.count = 0};
	const char *p = v + strspn(v, sep);

	while (*p) {
		size_t n = strcspn(p, sep);
		char tok[sizeof(l.addr[0].text)];

		if (n >= sizeof(tok))
			return bad(why, len, "'%.*s': expected IPV4:PORT or [IPV6]:PORT",
				   (int)n, p);
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (l.count == HSD_LISTEN_MAX)
			return bad(why, len, "at most %d addresses, got more in '%s'",
				   HSD_LISTEN_MAX, v);
		if (!parse_addr(tok, &l.addr[l.count]))
			return bad(why, len, "'%s': expected IPV4:PORT or [IPV6]:PORT (numeric, port 0..65535), e.g. 127.0.0.1:4713 or [::1]:4713",
				   tok);
		for (unsigned i = 0; i < l.count; i++)
			if (hsd_listen_addr_equal(&l.addr[i], &l.addr[l.count]))
				return bad(why, len, "'%s' is listed twice", tok);
		l.count++;
		p += n;
		p += strspn(p, sep);
	}
	if (l.count == 0)
		return bad(why, len, "expected one or more addresses, e.g. 127.0.0.1:4713 [::1]:4713, got ''");
	*out = l;
	return 0;
}

int hsd_parse_controller(const char *v, char *out, char *why, size_t len)
{
	/* The schemes libhda has backends for.  Whether this build compiled
	 * a backend in is libhda's to say: hda_bus_open_ex refuses it with
	 * the list it knows, and --check-config reports that. */
	static const char *const schemes[] = {"emu", "qemu"};
	size_t n = strcspn(v, ":");

	for (unsigned i = 0; i < 2; i++)
		if (strlen(schemes[i]) == n && !memcmp(v, schemes[i], n)) {
			/* inih's lines are shorter than out */
			snprintf(out, HSD_CONFIG_VALUE_MAX, "%s", v);
			return 0;
		}
	return bad(why, len, "expected emu[:OPTIONS] or qemu[:OPTIONS], got '%s'", v);
}

int hsd_parse_log_level(const char *v, hsd_log_level *out, char *why,
			size_t len)
{
	if (hsd_log_level_parse(v, out) == 0)
		return 0;
	return bad(why, len, "expected error, warning, notice, info or debug, got '%s'",
		   v);
}
