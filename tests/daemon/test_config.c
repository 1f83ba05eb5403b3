/* SPDX-License-Identifier: MIT */
/*
 * hsd_config: every key and its values, every class of error with its
 * exact message (file, line, key), and the reload diff.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsd_config.h"

static hsd_config *parse_ok(const char *text)
{
	char err[1024] = "";
	hsd_config *c = NULL;
	int rc = hsd_config_parse_string("t.conf", text, &c, err, sizeof(err));

	if (rc)
		fail_msg("config refused (%d): %s", rc, err);
	assert_non_null(c);
	return c;
}

static void parse_bad(const char *text, const char *want)
{
	char err[1024] = "";
	hsd_config *c = (hsd_config *)&err; /* must be set to NULL */
	int rc = hsd_config_parse_string("t.conf", text, &c, err, sizeof(err));

	assert_int_equal(rc, -EINVAL);
	assert_null(c);
	assert_string_equal(err, want);
}

/* One stream with one extra key line, to check a value on line 3. */
#define RENDER(line) "[stream s]\ndirection = render\n" line "\n"
#define CAPTURE(line) "[stream s]\ndirection = capture\n" line "\n"

static void test_defaults(void **state)
{
	hsd_config *c = parse_ok("[stream s]\ndirection = render\n");
	const struct sockaddr_in *v4 = (const void *)&c->listen.addr[0].addr;
	const struct sockaddr_in6 *v6 = (const void *)&c->listen.addr[1].addr;
	const hsd_stream_config *s = &c->streams[0];

	(void)state;
	assert_string_equal(c->controller, HSD_DEFAULT_CONTROLLER);
	assert_int_equal(c->controller_line, 0);
	assert_int_equal(c->listen.count, 2);
	assert_int_equal(v4->sin_family, AF_INET);
	assert_int_equal(ntohs(v4->sin_port), HSD_DEFAULT_PORT);
	assert_int_equal(ntohl(v4->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(v6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(v6->sin6_port), HSD_DEFAULT_PORT);
	assert_memory_equal(&v6->sin6_addr, &in6addr_loopback, sizeof(struct in6_addr));
	assert_string_equal(c->listen.addr[1].text, "[::1]:4713");
	assert_int_equal(c->max_clients, 16);
	assert_int_equal(c->max_streams, 8);
	assert_int_equal(c->client_queue_ms, 200);
	assert_int_equal(c->log_level, HSD_LOG_INFO);
	assert_int_equal(c->realtime, HSD_REALTIME_AUTO);
	assert_int_equal(c->stream_count, 1);
	assert_string_equal(s->name, "s");
	assert_int_equal(s->line, 1);
	assert_int_equal(s->direction, HSD_RENDER);
	assert_int_equal(s->format.sample_rate, 48000);
	assert_int_equal(s->format.valid_bits_per_sample, 16);
	assert_int_equal(s->format.container_size, 16);
	assert_int_equal(s->format.channels, 2);
	assert_int_equal(s->latency_us, 20000);
	assert_int_equal(s->codec, HSD_CODEC_PCM);
	assert_int_equal(s->pin.kind, HSD_PIN_ANY);
	assert_false(s->always_on);
	assert_ptr_equal(hsd_config_stream(c, "s"), s);
	assert_null(hsd_config_stream(c, "t"));
	hsd_config_free(c);
	hsd_config_free(NULL);
}

/* The shipped default config, read from the source tree. */
static void test_example_file(void **state)
{
	char path[512], err[1024];
	hsd_config *c;
	const hsd_stream_config *p, *l;

	(void)state;
	if (!getenv("HSD_SOURCE_ROOT"))
		fail_msg("meson sets HSD_SOURCE_ROOT to the source tree");
	snprintf(path, sizeof(path), "%s/conf/hdastreamd.conf", getenv("HSD_SOURCE_ROOT"));
	if (hsd_config_load(path, &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(c->path, path);
	assert_string_equal(c->controller, "emu:linein=loopback");
	assert_true(c->controller_line > 0);
	assert_int_equal(c->listen.count, 2);
	assert_int_equal(c->stream_count, 2);
	p = hsd_config_stream(c, "playback");
	l = hsd_config_stream(c, "loopback");
	assert_non_null(p);
	assert_non_null(l);
	assert_int_equal(p->direction, HSD_RENDER);
	assert_int_equal(p->pin.kind, HSD_PIN_DEVICE);
	assert_int_equal(p->pin.device, HDA_PIN_LINE_OUT);
	assert_int_equal(l->direction, HSD_CAPTURE);
	assert_int_equal(l->pin.device, HDA_PIN_LINE_IN);
	assert_int_equal(p->latency_us, 20000);
	assert_int_equal(l->format.sample_rate, 48000);
	hsd_config_free(c);
}

static void test_all_keys(void **state)
{
	hsd_config *c = parse_ok(
		"# a comment\n"
		"; another\n"
		"[daemon]\n"
		"  controller = emu:clock=manual,iss=2 ; inline comment\n"
		"listen = 10.0.0.1:0,[fe80::1]:65535\t192.168.1.2:80\n"
		"max_clients = 1024\n"
		"max_streams = 2\n"
		"client_queue_ms = 10000\n"
		"log_level = debug\n"
		"\n"
		"[stream mic.1_x-y]\n"
		"direction = capture\n"
		"rate = 44100\n"
		"bits = 24\n"
		"channels = 16\n"
		"latency_ms = 2.5\n"
		"codec = pcm\n"
		"pin = 0x0d\n"
		"always_on = yes\n"
		"[ stream   out ]\n"
		"direction: render\n"
		"bits = 8\n"
		"channels = 1\n"
		"rate = 192000\n"
		"latency_ms = 2000\n"
		"pin = headphone\n");
	const hsd_stream_config *m = &c->streams[0], *o = &c->streams[1];
	const struct sockaddr_in6 *v6 = (const void *)&c->listen.addr[1].addr;

	(void)state;
	assert_string_equal(c->controller, "emu:clock=manual,iss=2");
	assert_int_equal(c->controller_line, 4);
	assert_int_equal(c->listen.count, 3);
	assert_string_equal(c->listen.addr[0].text, "10.0.0.1:0");
	assert_int_equal(v6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(v6->sin6_port), 65535);
	assert_string_equal(c->listen.addr[2].text, "192.168.1.2:80");
	assert_int_equal(c->max_clients, 1024);
	assert_int_equal(c->max_streams, 2);
	assert_int_equal(c->client_queue_ms, 10000);
	assert_int_equal(c->log_level, HSD_LOG_DEBUG);
	assert_string_equal(m->name, "mic.1_x-y");
	assert_int_equal(m->line, 11);
	assert_int_equal(m->direction, HSD_CAPTURE);
	assert_int_equal(m->format.sample_rate, 44100);
	assert_int_equal(m->format.valid_bits_per_sample, 24);
	assert_int_equal(m->format.container_size, 32);
	assert_int_equal(m->format.channels, 16);
	assert_int_equal(m->latency_us, 2500);
	assert_int_equal(m->pin.kind, HSD_PIN_NODE);
	assert_int_equal(m->pin.node, 0x0d);
	assert_true(m->always_on);
	assert_string_equal(o->name, "out");
	assert_int_equal(o->line, 20);
	assert_int_equal(o->direction, HSD_RENDER);
	assert_int_equal(o->format.valid_bits_per_sample, 8);
	assert_int_equal(o->format.container_size, 8);
	assert_int_equal(o->format.channels, 1);
	assert_int_equal(o->format.sample_rate, 192000);
	assert_int_equal(o->latency_us, 2000000);
	assert_int_equal(o->pin.kind, HSD_PIN_DEVICE);
	assert_int_equal(o->pin.device, HDA_PIN_HP_OUT);
	hsd_config_free(c);
}

static void test_latency_values(void **state)
{
	static const struct {
		const char *v;
		uint32_t us;
	} good[] = {{"1", 1000}, {"1.0", 1000}, {"1.5", 1500}, {"1.125", 1125},
		    {"20", 20000}, {"1999.999", 1999999}, {"2000", 2000000},
		    {"2000.000", 2000000}, {"0002", 2000}};
	static const char *const bad[] = {"0", "0.999", "2000.001", "2001",
					  "1.2345", "1.", ".5", "1e3", "-1",
					  "+1", "1,5", "inf", "0x10", "1 ms", ""};
	char text[128], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		hsd_config *c;

		snprintf(text, sizeof(text), RENDER("latency_ms = %s"), good[i].v);
		c = parse_ok(text);
		assert_int_equal(c->streams[0].latency_us, good[i].us);
		hsd_config_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), RENDER("latency_ms = %s"), bad[i]);
		snprintf(want, sizeof(want),
			 "t.conf:3: [stream s] latency_ms: expected 1..2000 (milliseconds, up to 3 decimals), got '%s'",
			 bad[i]);
		parse_bad(text, want);
	}
}

/* realtime: auto, off, or a priority, each kept as such. */
static void test_realtime_values(void **state)
{
	static const struct {
		const char *v;
		int want;
	} cases[] = {{"auto", HSD_REALTIME_AUTO}, {"off", HSD_REALTIME_OFF},
		     {"1", 1}, {"99", 99}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		hsd_config *c;

		snprintf(text, sizeof(text),
			 "[daemon]\nrealtime = %s\n[stream s]\ndirection = render\n",
			 cases[i].v);
		c = parse_ok(text);
		assert_int_equal(c->realtime, cases[i].want);
		hsd_config_free(c);
	}
}

static void test_bad_values(void **state)
{
	(void)state;
	parse_bad(RENDER("rate = 12345"),
		  "t.conf:3: [stream s] rate: expected a rate HDA can express (48000 or 44100 times 1..4, divided by 1..8, e.g. 44100, 48000, 96000), got '12345'");
	parse_bad(RENDER("rate = 384000"),
		  "t.conf:3: [stream s] rate: expected a rate HDA can express (48000 or 44100 times 1..4, divided by 1..8, e.g. 44100, 48000, 96000), got '384000'");
	parse_bad(RENDER("bits = 12"),
		  "t.conf:3: [stream s] bits: expected 8, 16, 20, 24 or 32, got '12'");
	parse_bad(RENDER("channels = 0"),
		  "t.conf:3: [stream s] channels: expected 1..16, got '0'");
	parse_bad(RENDER("channels = 17"),
		  "t.conf:3: [stream s] channels: expected 1..16, got '17'");
	parse_bad("[stream s]\ndirection = both\n",
		  "t.conf:2: [stream s] direction: expected render or capture, got 'both'");
	parse_bad(RENDER("codec = opus"),
		  "t.conf:3: [stream s] codec: 'opus' is not supported yet (this build has pcm only)");
	parse_bad(RENDER("pin = 0x80"),
		  "t.conf:3: [stream s] pin: expected line-out, speaker, headphone, spdif-out, line-in, mic, spdif-in, cd or a node id 0x01..0x7F, got '0x80'");
	parse_bad(RENDER("pin = 0x"),
		  "t.conf:3: [stream s] pin: expected line-out, speaker, headphone, spdif-out, line-in, mic, spdif-in, cd or a node id 0x01..0x7F, got '0x'");
	parse_bad(RENDER("pin = lineout"),
		  "t.conf:3: [stream s] pin: expected line-out, speaker, headphone, spdif-out, line-in, mic, spdif-in, cd or a node id 0x01..0x7F, got 'lineout'");
	parse_bad(CAPTURE("always_on = maybe"),
		  "t.conf:3: [stream s] always_on: expected true or false (or yes/no, on/off, 1/0), got 'maybe'");
	parse_bad("[daemon]\nmax_clients = 0\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] max_clients: expected 1..1024, got '0'");
	parse_bad("[daemon]\nmax_streams = 31\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] max_streams: expected 1..30, got '31'");
	parse_bad("[daemon]\nclient_queue_ms = -5\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] client_queue_ms: expected 1..10000, got '-5'");
	parse_bad("[daemon]\nlog_level = verbose\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] log_level: expected error, warning, notice, info or debug, got 'verbose'");
	parse_bad("[daemon]\nrealtime = 100\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] realtime: expected auto, off or a SCHED_FIFO priority 1..99, got '100'");
	parse_bad("[daemon]\nrealtime = on\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] realtime: expected auto, off or a SCHED_FIFO priority 1..99, got 'on'");
	parse_bad("[daemon]\ncontroller = hda:0\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] controller: expected emu[:OPTIONS] or qemu[:OPTIONS], got 'hda:0'");
	parse_bad("[daemon]\ncontroller = emulator\n[stream s]\ndirection = render\n",
		  "t.conf:2: [daemon] controller: expected emu[:OPTIONS] or qemu[:OPTIONS], got 'emulator'");
}

static void test_listen_values(void **state)
{
	static const char *const bad[] = {"localhost:4713", "127.0.0.1", "127.0.0.1:65536",
					  "::1:4713", "[::1]4713", "[::1]:", "1.2.3:80",
					  "[127.0.0.1]:80", "127.0.0.1:+80"};
	char text[128], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[daemon]\nlisten = %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "t.conf:2: [daemon] listen: '%s': expected IPV4:PORT or [IPV6]:PORT (numeric, port 0..65535), e.g. 127.0.0.1:4713 or [::1]:4713",
			 bad[i]);
		parse_bad(text, want);
	}
	parse_bad("[daemon]\nlisten = 127.0.0.1:1 [::1]:1 127.0.0.1:1\n",
		  "t.conf:2: [daemon] listen: '127.0.0.1:1' is listed twice");
	parse_bad("[daemon]\nlisten =\n",
		  "t.conf:2: [daemon] listen: expected one or more addresses, e.g. 127.0.0.1:4713 [::1]:4713, got ''");
	parse_bad("[daemon]\nlisten = 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 "
		  "127.0.0.1:5 127.0.0.1:6 127.0.0.1:7 127.0.0.1:8 127.0.0.1:9\n",
		  "t.conf:2: [daemon] listen: at most 8 addresses, got more in '127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 127.0.0.1:5 127.0.0.1:6 127.0.0.1:7 127.0.0.1:8 127.0.0.1:9'");
}

/* Every class of structural error, each with its line and key. */
static void test_structure_errors(void **state)
{
	(void)state;
	parse_bad(RENDER("latncy_ms = 20"),
		  "t.conf:3: [stream s] latncy_ms: unknown key (expected direction, rate, bits, channels, latency_ms, codec, pin, always_on)");
	parse_bad("[daemon]\nport = 1\n",
		  "t.conf:2: [daemon] port: unknown key (expected controller, listen, max_clients, max_streams, client_queue_ms, log_level, realtime)");
	parse_bad("[daemon]\n[streams a]\n",
		  "t.conf:2: [streams a]: unknown section (expected [daemon] or [stream NAME])");
	parse_bad("[stream s]\nrate = 48000\n\n[stream t]\ndirection = capture\n",
		  "t.conf:1: [stream s] direction: missing (expected render or capture)");
	/* an empty section is caught too, inih calling no handler for it */
	parse_bad("[stream t]\ndirection = capture\n# nothing\n[stream s]\n",
		  "t.conf:4: [stream s] direction: missing (expected render or capture)");
	parse_bad("[stream s]\ndirection = render\n[stream t]\ndirection = render\n[stream s]\ndirection = render\n",
		  "t.conf:5: [stream s]: duplicate section (first at line 1)");
	/* repeated right away, with no key between */
	parse_bad("[stream s]\n[stream s]\ndirection = render\n",
		  "t.conf:1: [stream s] direction: missing (expected render or capture)");
	parse_bad("[daemon]\n[stream s]\ndirection = render\n[daemon]\n",
		  "t.conf:4: [daemon]: duplicate section (first at line 1)");
	parse_bad("[stream s]\ndirection = render\nrate = 48000\nrate = 44100\n",
		  "t.conf:4: [stream s] rate: given twice (first at line 3)");
	parse_bad("", "t.conf: no [stream NAME] section (a config needs at least one stream)");
	parse_bad("[daemon]\nlog_level = debug\n",
		  "t.conf: no [stream NAME] section (a config needs at least one stream)");
	parse_bad("direction = render\n[stream s]\n",
		  "t.conf:1: direction: outside any section (put it under [daemon] or [stream NAME])");
	parse_bad("[stream]\ndirection = render\n",
		  "t.conf:1: [stream]: a stream needs a name, as in [stream playback]");
	parse_bad("[stream a/b]\ndirection = render\n",
		  "t.conf:1: [stream a/b]: expected a name of 1..32 characters A-Z a-z 0-9 _ . -");
	parse_bad("[stream 123456789012345678901234567890123]\n",
		  "t.conf:1: [stream 123456789012345678901234567890123]: expected a name of 1..32 characters A-Z a-z 0-9 _ . -");
	parse_bad(RENDER("always_on = true"),
		  "t.conf:3: [stream s] always_on: only a capture stream can be always on");
	parse_bad(RENDER("pin = mic"),
		  "t.conf:3: [stream s] pin: mic is an input pin; a render stream needs line-out, speaker, headphone, spdif-out, or a node id");
	parse_bad(CAPTURE("pin = line-out"),
		  "t.conf:3: [stream s] pin: line-out is an output pin; a capture stream needs line-in, mic, spdif-in, cd, or a node id");
	parse_bad("[daemon]\nmax_streams = 1\n[stream a]\ndirection = render\n[stream b]\ndirection = capture\n",
		  "t.conf:5: [stream b]: one stream more than max_streams = 1 allows");
}

static void test_syntax_errors(void **state)
{
	char text[400];

	(void)state;
	parse_bad("[stream s]\ndirection = render\njust words\n",
		  "t.conf:3: syntax error: expected [SECTION], KEY = VALUE, a # comment or a blank line");
	parse_bad("[stream s\ndirection = render\n",
		  "t.conf:1: syntax error: expected [SECTION], KEY = VALUE, a # comment or a blank line");
	/* the first error in the file wins, whichever kind comes later */
	parse_bad("[stream s]\ndirection = render\nwords\nrate = 1\n",
		  "t.conf:3: syntax error: expected [SECTION], KEY = VALUE, a # comment or a blank line");
	parse_bad("[stream s]\ndirection = render\nrate = 1\nwords\n",
		  "t.conf:3: [stream s] rate: expected a rate HDA can express (48000 or 44100 times 1..4, divided by 1..8, e.g. 44100, 48000, 96000), got '1'");
	parse_bad(RENDER("bits = 7\nchannels = 99"),
		  "t.conf:3: [stream s] bits: expected 8, 16, 20, 24 or 32, got '7'");
	snprintf(text, sizeof(text), RENDER("pin = %0250d"), 1);
	parse_bad(text, "t.conf:3: line too long (at most 198 characters)");
}

/* What a file may look like: indented lines, CRLF ends, a byte order
 * mark, comments after values, ':' for '='. */
static void test_lexical(void **state)
{
	hsd_config *c = parse_ok("\xEF\xBB\xBF[stream s]\r\n"
				 "\t  direction = capture ; where from\r\n"
				 "    latency_ms: 5\r\n"
				 "\n"
				 "   # indented comment\r\n"
				 "always_on = on\r\n");

	(void)state;
	assert_int_equal(c->streams[0].direction, HSD_CAPTURE);
	assert_int_equal(c->streams[0].latency_us, 5000);
	assert_true(c->streams[0].always_on);
	hsd_config_free(c);
}

static void test_load_errors(void **state)
{
	char err[512];
	hsd_config *c = (hsd_config *)&err;

	(void)state;
	assert_int_equal(hsd_config_load("/nonexistent/x.conf", &c, err, sizeof(err)), -ENOENT);
	assert_null(c);
	assert_string_equal(err, "/nonexistent/x.conf: cannot open: No such file or directory");
	c = (hsd_config *)&err;
	assert_int_equal(hsd_config_load("/", &c, err, sizeof(err)), -EISDIR);
	assert_null(c);
	assert_string_equal(err, "/: cannot read: Is a directory");
}

#define OLD_STREAMS                                                            \
	"[stream keep]\ndirection = render\n"                                  \
	"[stream change]\ndirection = capture\nlatency_ms = 20\n"             \
	"[stream gone]\ndirection = render\n"

static const char old_text[] = "[daemon]\nlisten = 127.0.0.1:1 [::1]:1\n" OLD_STREAMS;

static void test_diff(void **state)
{
	hsd_config *old = parse_ok(old_text);
	/* keep moves and gains comments and a key at its default value: the
	 * same settings, so it must stay SAME */
	hsd_config *new_config = parse_ok(
		"[daemon]\n"
		"listen = 127.0.0.1:1 [::1]:1\n"
		"[stream change]\ndirection = capture\nlatency_ms = 20.5\n"
		"[stream new]\ndirection = render\n"
		"# moved\n\n[stream keep]\nrate = 48000\ndirection = render\n");
	hsd_stream_diff d[HSD_DIFF_MAX];
	size_t n = hsd_config_diff(old, new_config, d, HSD_DIFF_MAX);

	(void)state;
	assert_int_equal(n, 4);
	assert_string_equal(d[0].name, "keep");
	assert_int_equal(d[0].change, HSD_STREAM_SAME);
	assert_ptr_equal(d[0].old_stream, &old->streams[0]);
	assert_ptr_equal(d[0].new_stream, &new_config->streams[2]);
	assert_string_equal(d[1].name, "change");
	assert_int_equal(d[1].change, HSD_STREAM_CHANGED);
	assert_ptr_equal(d[1].new_stream, &new_config->streams[0]);
	assert_string_equal(d[2].name, "gone");
	assert_int_equal(d[2].change, HSD_STREAM_REMOVED);
	assert_ptr_equal(d[2].old_stream, &old->streams[2]);
	assert_null(d[2].new_stream);
	assert_string_equal(d[3].name, "new");
	assert_int_equal(d[3].change, HSD_STREAM_ADDED);
	assert_null(d[3].old_stream);
	assert_ptr_equal(d[3].new_stream, &new_config->streams[1]);
	assert_int_equal(hsd_config_daemon_changes(old, new_config), 0);

	/* a short array still gets the full count, and nothing past max */
	memset(d, 0, sizeof(d));
	assert_int_equal(hsd_config_diff(old, new_config, d, 1), 4);
	assert_string_equal(d[0].name, "keep");
	assert_null(d[1].name);

	/* against itself: all SAME */
	n = hsd_config_diff(old, old, d, HSD_DIFF_MAX);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(d[i].change, HSD_STREAM_SAME);
	hsd_config_free(old);
	hsd_config_free(new_config);
}

/* Each setting on its own makes a stream CHANGED. */
static void test_diff_each_setting(void **state)
{
#define BASE "[stream s]\ndirection = render\npin = 0x03\n"
	static const char *const changed[] = {
		"[stream s]\ndirection = capture\npin = 0x03\n",
		BASE "rate = 44100\n",
		BASE "bits = 24\n",
		BASE "channels = 1\n",
		BASE "latency_ms = 20.001\n",
		"[stream s]\ndirection = render\npin = line-out\n",
		"[stream s]\ndirection = render\npin = 0x02\n",
		"[stream s]\ndirection = render\n",
	};
	hsd_config *base = parse_ok(BASE "latency_ms = 20\nrate = 48000\n");
	hsd_config *cap = parse_ok("[stream s]\ndirection = capture\n");
	hsd_config *cap_on = parse_ok("[stream s]\ndirection = capture\nalways_on = 1\n");
	hsd_config *same = parse_ok("\n\n" BASE);

	(void)state;
	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		hsd_config *c = parse_ok(changed[i]);
		hsd_stream_diff d;

		assert_false(hsd_stream_config_equal(&base->streams[0], &c->streams[0]));
		assert_int_equal(hsd_config_diff(base, c, &d, 1), 1);
		assert_int_equal(d.change, HSD_STREAM_CHANGED);
		hsd_config_free(c);
	}
#undef BASE
	assert_false(hsd_stream_config_equal(&cap->streams[0], &cap_on->streams[0]));
	assert_true(hsd_stream_config_equal(&base->streams[0], &same->streams[0]));
	assert_int_not_equal(base->streams[0].line, same->streams[0].line);
	hsd_config_free(base);
	hsd_config_free(cap);
	hsd_config_free(cap_on);
	hsd_config_free(same);
}

static void test_daemon_changes(void **state)
{
	static const struct {
		const char *daemon;
		unsigned want;
	} cases[] = {
		{"listen = 127.0.0.1:1 [::1]:1", 0},
		{"listen = [::1]:1 127.0.0.1:1", HSD_DAEMON_LISTEN},
		{"listen = 127.0.0.1:2 [::1]:1", HSD_DAEMON_LISTEN},
		{"listen = 127.0.0.1:1 [::1]:1\ncontroller = emu:iss=2",
		 HSD_DAEMON_CONTROLLER},
		{"listen = 127.0.0.1:1 [::1]:1\nmax_clients = 3", HSD_DAEMON_LIMITS},
		{"listen = 127.0.0.1:1 [::1]:1\nmax_streams = 3", HSD_DAEMON_LIMITS},
		{"listen = 127.0.0.1:1 [::1]:1\nclient_queue_ms = 3", HSD_DAEMON_LIMITS},
		{"listen = 127.0.0.1:1 [::1]:1\nlog_level = debug", HSD_DAEMON_LOG_LEVEL},
		{"listen = 127.0.0.1:1\nlog_level = error\ncontroller = qemu",
		 HSD_DAEMON_LISTEN | HSD_DAEMON_LOG_LEVEL | HSD_DAEMON_CONTROLLER},
	};
	hsd_config *old = parse_ok(old_text);
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hsd_config *c;

		snprintf(text, sizeof(text), "[daemon]\n%s\n" OLD_STREAMS, cases[i].daemon);
		c = parse_ok(text);
		assert_int_equal(hsd_config_daemon_changes(old, c), cases[i].want);
		hsd_config_free(c);
	}
	hsd_config_free(old);
}

static void test_names(void **state)
{
	hsd_pin any = {.kind = HSD_PIN_ANY};
	hsd_pin node = {.kind = HSD_PIN_NODE, .node = 0x0d};
	hsd_pin dev = {.kind = HSD_PIN_DEVICE, .device = HDA_PIN_SPDIF_IN};
	char buf[16];

	(void)state;
	assert_string_equal(hsd_direction_name(HSD_RENDER), "render");
	assert_string_equal(hsd_direction_name(HSD_CAPTURE), "capture");
	assert_string_equal(hsd_codec_name(HSD_CODEC_PCM), "pcm");
	assert_string_equal(hsd_pin_text(&any, buf, sizeof(buf)), "any");
	assert_string_equal(hsd_pin_text(&node, buf, sizeof(buf)), "0x0D");
	assert_string_equal(hsd_pin_text(&dev, buf, sizeof(buf)), "spdif-in");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_latency_values),
		cmocka_unit_test(test_realtime_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_listen_values),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_lexical),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_each_setting),
		cmocka_unit_test(test_daemon_changes),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
