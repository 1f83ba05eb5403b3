/* SPDX-License-Identifier: MIT */
/*
 * The config parser (hsd_config.h): inih reads the INI syntax; this file
 * knows the sections and keys, and checks them.
 *
 * Why a line reader of our own around inih (ini_parse_stream): the Debian
 * build of inih tells the handler neither the line number
 * (INI_HANDLER_LINENO is off) nor that a section header was read
 * (INI_CALL_HANDLER_ON_NEW_SECTION is off), yet every error must name its
 * line, and an empty or repeated [stream NAME] must be caught.  So the
 * reader
 *  - counts the file's lines, and the handler reads the count;
 *  - strips the blanks that start a line, so that no line is ever an INI
 *    continuation line (inih would append an indented line to the value
 *    before it, which no key here wants; indenting stays free);
 *  - feeds inih, after every line of the file, an indented marker line
 *    MARK_LINE.  Right after a section header inih has no previous key,
 *    so it reads the marker as the key MARK_KEY = MARK_KEY in the new
 *    section: that call tells us a section began, and its name as inih
 *    parsed it.  After any other line the marker continues the key before
 *    it (value MARK_CONT), and is ignored.  START_LINE, before the file's
 *    first line, provides that key before it.
 * inih counts its lines over what it was fed: file line k is its line 2k.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_config.h"
#include "hsd_config_value.h"

#define MARK_KEY "\x7f"
#define MARK_CONT "\x7f=\x7f"
#define MARK_LINE "\t" MARK_CONT "\n"
#define START_LINE MARK_KEY "=start\n"

enum section_kind { SEC_NONE, SEC_DAEMON, SEC_STREAM };

enum {
	DK_CONTROLLER,
	DK_LISTEN,
	DK_MAX_CLIENTS,
	DK_MAX_STREAMS,
	DK_CLIENT_QUEUE_MS,
	DK_LOG_LEVEL,
	DK_REALTIME,
	DK_COUNT
};
static const char *const daemon_keys[DK_COUNT] = {
	"controller", "listen", "max_clients", "max_streams",
	"client_queue_ms", "log_level", "realtime",
};

enum {
	SK_DIRECTION,
	SK_RATE,
	SK_BITS,
	SK_CHANNELS,
	SK_LATENCY_MS,
	SK_CODEC,
	SK_PIN,
	SK_ALWAYS_ON,
	SK_COUNT
};
static const char *const stream_keys[SK_COUNT] = {
	"direction", "rate", "bits", "channels", "latency_ms", "codec", "pin",
	"always_on",
};

#define KEYS_MAX SK_COUNT

typedef struct parse_state {
	FILE *f;
	char *buf;
	size_t cap;
	unsigned line; /* the file's line inih is on */
	bool started, mark_due;
	int read_errno;

	hsd_config *cfg;
	enum section_kind kind;
	hsd_stream_config *stream; /* SEC_STREAM */
	char label[HSD_STREAM_NAME_MAX + 16]; /* "[stream NAME]", for messages */
	unsigned section_line;
	unsigned key_line[KEYS_MAX]; /* where each key was given, 0: not */
	unsigned daemon_line;

	bool failed;
	unsigned err_line;
	char err[512];
} parse_state;

static int fail(parse_state *st, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keep the first error only; returns 0, the handler's "stop". */
static int fail(parse_state *st, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (st->failed)
		return 0;
	st->failed = true;
	st->err_line = line;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return 0;
}

static char *feed(char *str, int num, const char *text)
{
	snprintf(str, (size_t)num, "%s", text);
	return str;
}

/* The ini_reader: see the top of the file. */
static char *reader(char *str, int num, void *stream)
{
	parse_state *st = stream;
	ssize_t n;
	char *s;

	if (st->failed)
		return NULL;
	if (!st->started) {
		st->started = true;
		return feed(str, num, START_LINE);
	}
	if (st->mark_due) {
		st->mark_due = false;
		return feed(str, num, MARK_LINE);
	}
	n = getline(&st->buf, &st->cap, st->f);
	if (n < 0) {
		if (ferror(st->f))
			st->read_errno = errno ? errno : EIO;
		return NULL;
	}
	st->line++;
	s = st->buf;
	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (st->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3; /* a UTF-8 byte order mark */
	s += strspn(s, " \t");
	if (strlen(s) + 2 > (size_t)num) {
		fail(st, st->line, "line too long (at most %d characters)",
		     num - 2);
		return NULL;
	}
	st->mark_due = true;
	snprintf(str, (size_t)num, "%s\n", s);
	return str;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= HSD_STREAM_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_.-") == n;
}

static int end_section(parse_state *st)
{
	hsd_stream_config *s = st->stream;

	if (st->kind != SEC_STREAM)
		return 1;
	if (!st->key_line[SK_DIRECTION])
		return fail(st, st->section_line,
			    "%s direction: missing (expected render or capture)",
			    st->label);
	if (st->key_line[SK_ALWAYS_ON] && s->direction == HSD_RENDER)
		return fail(st, st->key_line[SK_ALWAYS_ON],
			    "%s always_on: only a capture stream can be always on",
			    st->label);
	if (s->pin.kind == HSD_PIN_DEVICE &&
	    hsd_pin_device_is_input(s->pin.device) != (s->direction == HSD_CAPTURE)) {
		bool in = s->direction == HSD_CAPTURE;

		return fail(st, st->key_line[SK_PIN],
			    "%s pin: %s is an %s pin; a %s stream needs %s, or a node id",
			    st->label, hda_pin_device_name(s->pin.device),
			    in ? "output" : "input", hsd_direction_name(s->direction),
			    hsd_pin_names(in));
	}
	return 1;
}

static int begin_stream(parse_state *st, const char *name)
{
	hsd_config *c = st->cfg;
	const hsd_stream_config *dup;
	hsd_stream_config *s;

	if (!*name)
		return fail(st, st->line,
			    "[stream]: a stream needs a name, as in [stream playback]");
	if (!valid_name(name))
		return fail(st, st->line,
			    "[stream %s]: expected a name of 1..%d characters A-Z a-z 0-9 _ . -",
			    name, HSD_STREAM_NAME_MAX);
	dup = hsd_config_stream(c, name);
	if (dup)
		return fail(st, st->line, "[stream %s]: duplicate section (first at line %u)",
			    name, dup->line);
	if (c->stream_count == HSD_STREAMS_MAX)
		return fail(st, st->line, "[stream %s]: more than %d streams",
			    name, HSD_STREAMS_MAX);
	s = &c->streams[c->stream_count++];
	*s = (hsd_stream_config){
		.line = st->line,
		.direction = HSD_RENDER, /* required: end_section checks */
		.format = {48000, 16, 16, 2},
		.latency_us = 20000,
		.codec = HSD_CODEC_PCM,
		.pin = {.kind = HSD_PIN_ANY},
	};
	snprintf(s->name, sizeof(s->name), "%s", name);
	st->stream = s;
	st->kind = SEC_STREAM;
	snprintf(st->label, sizeof(st->label), "[stream %s]", name);
	return 1;
}

/* A section header, as inih read the text between its brackets. */
static int begin_section(parse_state *st, const char *raw)
{
	char text[64], *t, *e;

	if (!end_section(st))
		return 0;
	st->kind = SEC_NONE;
	st->stream = NULL;
	st->section_line = st->line;
	memset(st->key_line, 0, sizeof(st->key_line));

	snprintf(text, sizeof(text), "%s", raw);
	t = text + strspn(text, " \t");
	e = t + strlen(t);
	while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (!strcmp(t, "daemon")) {
		if (st->daemon_line)
			return fail(st, st->line, "[daemon]: duplicate section (first at line %u)",
				    st->daemon_line);
		st->daemon_line = st->line;
		st->kind = SEC_DAEMON;
		snprintf(st->label, sizeof(st->label), "[daemon]");
		return 1;
	}
	if (!strncmp(t, "stream", 6) && (t[6] == '\0' || t[6] == ' ' || t[6] == '\t'))
		return begin_stream(st, t + 6 + strspn(t + 6, " \t"));
	return fail(st, st->line,
		    "[%s]: unknown section (expected [daemon] or [stream NAME])", raw);
}

/* realtime = auto | off | 1..99 (a SCHED_FIFO priority). */
static int parse_realtime(const char *v, int *out, char *why, size_t len)
{
	unsigned prio;

	if (!strcmp(v, "auto")) {
		*out = HSD_REALTIME_AUTO;
		return 0;
	}
	if (!strcmp(v, "off")) {
		*out = HSD_REALTIME_OFF;
		return 0;
	}
	if (hsd_parse_uint(v, 1, 99, &prio, why, len) == 0) {
		*out = (int)prio;
		return 0;
	}
	snprintf(why, len, "expected auto, off or a SCHED_FIFO priority 1..99, got '%s'", v);
	return -EINVAL;
}

static int set_daemon_key(parse_state *st, int key, const char *v, char *why,
			  size_t len)
{
	hsd_config *c = st->cfg;

	switch (key) {
	case DK_CONTROLLER:
		c->controller_line = st->line;
		return hsd_parse_controller(v, c->controller, why, len);
	case DK_LISTEN:
		c->listen_line = st->line;
		return hsd_parse_listen(v, &c->listen, why, len);
	case DK_MAX_CLIENTS:
		return hsd_parse_uint(v, 1, 1024, &c->max_clients, why, len);
	case DK_MAX_STREAMS:
		return hsd_parse_uint(v, 1, HSD_STREAMS_MAX, &c->max_streams, why, len);
	case DK_CLIENT_QUEUE_MS:
		return hsd_parse_uint(v, 1, 10000, &c->client_queue_ms, why, len);
	case DK_LOG_LEVEL:
		return hsd_parse_log_level(v, &c->log_level, why, len);
	default:
		c->realtime_line = st->line;
		return parse_realtime(v, &c->realtime, why, len);
	}
}

static int set_stream_key(parse_state *st, int key, const char *v, char *why,
			  size_t len)
{
	hsd_stream_config *s = st->stream;

	switch (key) {
	case SK_DIRECTION:
		return hsd_parse_direction(v, &s->direction, why, len);
	case SK_RATE:
		return hsd_parse_rate(v, &s->format.sample_rate, why, len);
	case SK_BITS:
		return hsd_parse_bits(v, &s->format, why, len);
	case SK_CHANNELS:
		return hsd_parse_channels(v, &s->format.channels, why, len);
	case SK_LATENCY_MS:
		return hsd_parse_latency(v, &s->latency_us, why, len);
	case SK_CODEC:
		return hsd_parse_codec(v, &s->codec, why, len);
	case SK_PIN:
		return hsd_parse_pin(v, &s->pin, why, len);
	default:
		return hsd_parse_bool(v, &s->always_on, why, len);
	}
}

static int set_key(parse_state *st, const char *name, const char *value)
{
	const char *const *keys = st->kind == SEC_DAEMON ? daemon_keys : stream_keys;
	int count = st->kind == SEC_DAEMON ? DK_COUNT : SK_COUNT;
	char why[400], list[160] = "";
	int k;

	if (st->kind == SEC_NONE)
		return fail(st, st->line,
			    "%s: outside any section (put it under [daemon] or [stream NAME])",
			    name);
	for (k = 0; k < count && strcmp(keys[k], name); k++)
		;
	if (k == count) {
		for (int i = 0; i < count; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", i ? ", " : "", keys[i]);
		return fail(st, st->line, "%s %s: unknown key (expected %s)",
			    st->label, name, list);
	}
	if (st->key_line[k])
		return fail(st, st->line, "%s %s: given twice (first at line %u)",
			    st->label, name, st->key_line[k]);
	st->key_line[k] = st->line;
	if ((st->kind == SEC_DAEMON ? set_daemon_key : set_stream_key)(st, k, value,
									why, sizeof(why)))
		return fail(st, st->line, "%s %s: %s", st->label, name, why);
	return 1;
}

/* The ini_handler. */
static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	parse_state *st = user;

	if (st->failed)
		return 0;
	if (!strcmp(value, MARK_CONT))
		return 1;
	if (!strcmp(name, MARK_KEY))
		return strcmp(value, MARK_KEY) ? 1 : begin_section(st, section);
	return set_key(st, name, value);
}

/* After the last line: what only the whole file can tell. */
static void finish(parse_state *st)
{
	hsd_config *c = st->cfg;

	if (!end_section(st))
		return;
	if (c->stream_count == 0) {
		fail(st, 0, "no [stream NAME] section (a config needs at least one stream)");
		return;
	}
	if (c->stream_count > c->max_streams)
		fail(st, c->streams[c->max_streams].line,
		     "[stream %s]: one stream more than max_streams = %u allows",
		     c->streams[c->max_streams].name, c->max_streams);
}

static void set_defaults(hsd_config *c, const char *name)
{
	char why[128];

	snprintf(c->path, sizeof(c->path), "%s", name);
	snprintf(c->controller, sizeof(c->controller), "%s", HSD_DEFAULT_CONTROLLER);
	hsd_parse_listen(HSD_DEFAULT_LISTEN, &c->listen, why, sizeof(why));
	c->max_clients = 16;
	c->max_streams = 8;
	c->client_queue_ms = 200;
	c->log_level = HSD_LOG_DEFAULT;
	c->realtime = HSD_REALTIME_AUTO;
}

static int parse(const char *name, FILE *f, hsd_config **out, char *err,
		 size_t errlen)
{
	parse_state st = {.f = f};
	int rc, ret = -EINVAL;

	*out = NULL;
	st.cfg = calloc(1, sizeof(*st.cfg));
	if (!st.cfg) {
		snprintf(err, errlen, "%s: out of memory", name);
		ret = -ENOMEM;
		goto out;
	}
	set_defaults(st.cfg, name);
	rc = ini_parse_stream(reader, &st, handler, &st);
	if (st.read_errno) {
		snprintf(err, errlen, "%s: cannot read: %s", name, strerror(st.read_errno));
		ret = -st.read_errno;
		goto out;
	}
	/* inih keeps the first line it could not parse; ours may come later
	 * (inih reads on after a syntax error, we stop at ours). */
	if (rc > 0 && (!st.failed || (unsigned)rc / 2 < st.err_line)) {
		st.failed = false;
		fail(&st, (unsigned)rc / 2,
		     "syntax error: expected [SECTION], KEY = VALUE, a # comment or a blank line");
	} else if (rc < 0) {
		fail(&st, 0, "inih failed (%d)", rc);
	}
	if (!st.failed)
		finish(&st);
	if (st.failed) {
		if (st.err_line)
			snprintf(err, errlen, "%s:%u: %s", name, st.err_line, st.err);
		else
			snprintf(err, errlen, "%s: %s", name, st.err);
		goto out;
	}
	*out = st.cfg;
	st.cfg = NULL;
	ret = 0;
out:
	free(st.cfg);
	free(st.buf);
	return ret;
}

int hsd_config_load(const char *path, hsd_config **out, char *err,
		    size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		*out = NULL;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	ret = parse(path, f, out, err, errlen);
	fclose(f);
	return ret;
}

int hsd_config_parse_string(const char *name, const char *text,
			    hsd_config **out, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (!f) {
		ret = -errno;
		*out = NULL;
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return ret;
	}
	ret = parse(name, f, out, err, errlen);
	fclose(f);
	return ret;
}

void hsd_config_free(hsd_config *config)
{
	free(config);
}

const hsd_stream_config *hsd_config_stream(const hsd_config *config,
					   const char *name)
{
	for (unsigned i = 0; i < config->stream_count; i++)
		if (!strcmp(config->streams[i].name, name))
			return &config->streams[i];
	return NULL;
}
