/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd's SIGHUP reload end to end (daemon/hsd_reload.c): the daemon
 * as a child on the emulator (line-out into a WAV file, line-in fed back
 * from the line-out), its config file rewritten under it, and test
 * clients over TCP (hsd_e2e.h).  Each test has its own folder, config and
 * notify socket; the teardown kills and reaps the daemon whatever happens.
 * Every reload is waited for on the notify socket (RELOADING=1, then
 * READY=1), never by sleeping.  The emulator runs on its real-time clock:
 * the tests check what arrives and in which order, never how fast.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sndfile.h>

#include "hsd_e2e.h"

/* The config, in parts, so that a test can change one stream: latencies
 * and queues with room for a slow machine, as in test_e2e.c.  [daemon]
 * is lines 1-5, playback 6-9, loopback 10-13. */
#define DAEMON                                                                 \
	"[daemon]\n"                                                           \
	"controller = emu:lineout=wav:@DIR@/out.wav,linein=loopback\n"         \
	"listen = 127.0.0.1:0\n"                                               \
	"max_clients = 8\n"                                                    \
	"client_queue_ms = 2000\n"
#define PLAYBACK(ms)                                                           \
	"[stream playback]\ndirection = render\nlatency_ms = " ms "\npin = line-out\n"
#define LOOPBACK(ms)                                                           \
	"[stream loopback]\ndirection = capture\nlatency_ms = " ms "\npin = line-in\n"
#define EXTRA(on)                                                              \
	"[stream extra]\ndirection = capture\nlatency_ms = 1000\npin = line-in\n" \
	"always_on = " on "\n"
#define CONFIG DAEMON PLAYBACK("1000") LOOPBACK("1000")

/* The signal a render test plays across its reloads: long enough that
 * the reloads happen while it crosses the link. */
#define LONG_FRAMES (3 * 48000u)

static int setup(void **state)
{
	(void)state;
	if (!tc_daemon_start(&daemon_, CONFIG)) {
		fprintf(stderr, "hdastreamd did not come up; its log is %s\n", daemon_.log);
		tc_daemon_cleanup(&daemon_);
		return -1;
	}
	return 0;
}

/* ---- Helpers ---------------------------------------------------------------- */

/* Replace the daemon's config file (text with "@DIR@" for the folder), in
 * one rename, so that the daemon never reads half of it. */
static void rewrite_config(const char *text)
{
	char tmp[320];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", daemon_.conf);
	f = fopen(tmp, "w");
	assert_non_null(f);
	for (const char *p = text; *p; p++) {
		if (!strncmp(p, "@DIR@", 5)) {
			fputs(daemon_.dir, f);
			p += 4;
		} else {
			fputc(*p, f);
		}
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, daemon_.conf), 0);
}

/* SIGHUP, and wait (bounded) for RELOADING=1 and then READY=1; what the
 * daemon notified meanwhile is left in daemon_.notify_seen. */
static void reload(void)
{
	const char *r, *y;

	daemon_.notify_seen[0] = '\0';
	assert_int_equal(kill(daemon_.pid, SIGHUP), 0);
	assert_true(tc_daemon_notified(&daemon_, "RELOADING=1", TC_WAIT_MS));
	/* notify_seen was emptied: this READY=1 is the reload's. */
	assert_true(tc_daemon_notified(&daemon_, "READY=1", TC_WAIT_MS));
	r = strstr(daemon_.notify_seen, "RELOADING=1");
	y = strstr(daemon_.notify_seen, "READY=1");
	assert_non_null(y);
	assert_true(r < y);
}

/* Whether the daemon's log (its stderr) holds text, waiting a bounded
 * while for it. */
static bool log_has(const char *text, unsigned ms)
{
	uint64_t deadline = tc_now_ms() + ms;

	for (;;) {
		FILE *f = fopen(daemon_.log, "r");
		char line[2048];
		bool found = false;

		if (f) {
			while (!found && fgets(line, sizeof(line), f))
				found = strstr(line, text) != NULL;
			fclose(f);
		}
		if (found)
			return true;
		if (tc_now_ms() >= deadline)
			return false;
		usleep(10000);
	}
}

/* The config file's path as the daemon names it in its errors. */
static const char *conf_at(unsigned line, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u: ", daemon_.conf, line);
	return buf;
}

/* SIGTERM, and the line-out WAV holds the signal whole, bit-exact. */
static void stop_and_check_wav(uint64_t frames)
{
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *wav;
	int64_t at;

	kill(daemon_.pid, SIGTERM);
	assert_true(tc_daemon_wait(&daemon_, TC_WAIT_MS));
	assert_true(WIFEXITED(daemon_.status));
	assert_int_equal(WEXITSTATUS(daemon_.status), 0);
	f = sf_open(daemon_.wav, SFM_READ, &info);
	assert_non_null(f);
	assert_int_equal(info.channels, 2);
	wav = calloc((size_t)info.frames + 1, FRAME_BYTES);
	assert_non_null(wav);
	assert_int_equal(sf_readf_short(f, wav, info.frames), info.frames);
	sf_close(f);
	at = find_signal(wav, (uint64_t)info.frames);
	assert_true(at >= 0);
	assert_true((uint64_t)at + frames <= (uint64_t)info.frames);
	check_signal(wav, (uint64_t)at, frames, "line-out WAV");
	free(wav);
}

/* The next ERROR on c within the bound, skipping other messages. */
static hsp_error_msg next_error(tc_client *c)
{
	hsp_msg m;

	assert_true(tc_expect(c, HSP_ERROR, &m, TC_WAIT_MS, NULL, NULL));
	return m.u.error;
}

/* A capture client: opened and started; returns its id. */
static uint32_t start_capture(tc_client *c, const char *name)
{
	hsp_opened op = open_ok(c, name, 0);

	assert_int_equal(op.direction, HSP_DIR_CAPTURE);
	expect_ack(c, tc_request(c, HSP_START, op.stream), NULL);
	return op.stream;
}

/* Read c until `frames` more AUDIO frames of id came (bounded); an ERROR
 * fails.  Returns the jumps in frame_index seen (frames lost to a slow
 * machine, printed, not failed on). */
static unsigned receive_audio(tc_client *c, uint32_t id, uint64_t frames)
{
	uint64_t deadline = tc_now_ms() + TC_WAIT_MS, got = 0, expect = 0;
	unsigned gaps = 0;
	hsp_msg m;

	while (got < frames) {
		assert_true(tc_now_ms() < deadline);
		assert_int_equal(tc_recv(c, &m, TC_WAIT_MS), 1);
		if (m.type == HSP_ERROR)
			fail_msg("ERROR %s: %s", hsp_err_name(m.u.error.code), m.u.error.text);
		if (m.type != HSP_AUDIO)
			continue;
		assert_int_equal(m.u.audio.stream, id);
		if (expect && m.u.audio.frame_index != expect)
			gaps++;
		expect = m.u.audio.frame_index + m.u.audio.frames;
		got += m.u.audio.frames;
	}
	return gaps;
}

/* ---- Tests ------------------------------------------------------------------ */

static void reload_hook_unchanged(unsigned k)
{
	if (k == 0) {
		/* The same file: nothing to do. */
		reload();
		assert_non_null(strstr(daemon_.notify_seen,
				       "reloaded: 2 unchanged, 0 rebuilt, 0 added, 0 removed"));
	} else {
		/* The other stream rebuilt and a stream added, on the same
		 * controller, while playback plays. */
		rewrite_config(DAEMON PLAYBACK("1000") LOOPBACK("500") EXTRA("no"));
		reload();
		assert_non_null(strstr(daemon_.notify_seen,
				       "reloaded: 1 unchanged, 1 rebuilt, 1 added, 0 removed"));
		assert_non_null(strstr(daemon_.notify_seen, "STATUS=serving 3 streams on"));
	}
}

/* SIGHUP while a client plays into `playback`, which the reloads leave
 * unchanged: the client sees no ERROR and the line-out has the signal
 * whole, bit-exact, with no gap or repeat across both reloads. */
static void unchanged_stream_plays_through(void **state)
{
	tc_client *p = client();
	hsp_opened op = open_ok(p, "playback", 0);
	/* The render step writes a latency (48000 frames) ahead of the
	 * converter: both reloads come while the signal crosses the link. */
	const uint64_t at[2] = {LEAD_FRAMES + 60000, LEAD_FRAMES + 96000};

	(void)state;
	play_hooked(p, &op, LEAD_FRAMES + LONG_FRAMES, at, 2, reload_hook_unchanged);
	assert_true(log_has("reload: done: 2 streams unchanged, 0 rebuilt", TC_WAIT_MS));
	assert_true(log_has("reload: stream loopback: latency_ms changed: rebuilt", TC_WAIT_MS));
	assert_true(log_has("reload: stream extra: added", TC_WAIT_MS));
	tc_close(p);
	stop_and_check_wav(LONG_FRAMES);
}

/* A stream whose section changed is rebuilt: its playing client gets a
 * non-fatal ERROR STREAM_CHANGED naming the stream and the reload, AUDIO
 * it had in flight for the id is dropped (not a violation), and a new
 * OPEN gets the new latency.  A listener of the unchanged capture stream
 * goes on receiving, with no ERROR. */
static void changed_stream_is_rebuilt(void **state)
{
	tc_client *p = client(), *l = client();
	hsp_opened op = open_ok(p, "playback", 0), op2;
	uint32_t lid = start_capture(l, "loopback");
	uint64_t limit = op.window_frames;
	hsp_error_msg e;
	unsigned gaps;

	(void)state;
	assert_true(op.latency_frames >= 48000 - 1);
	send_signal(p, op.stream, 0, limit / 2, limit);
	expect_ack(p, tc_request(p, HSP_START, op.stream), &limit);
	receive_audio(l, lid, 4800);

	rewrite_config(DAEMON PLAYBACK("500") LOOPBACK("1000"));
	reload();
	assert_non_null(strstr(daemon_.notify_seen,
			       "reloaded: 1 unchanged, 1 rebuilt, 0 added, 0 removed"));
	e = next_error(p);
	print_message("ERROR %s: %s\n", hsp_err_name(e.code), e.text);
	assert_int_equal(e.code, HSP_ERR_STREAM_CHANGED);
	assert_int_equal(e.fatal, 0);
	assert_int_equal(e.stream, op.stream);
	assert_int_equal(e.tag, 0);
	assert_string_equal(e.text, "stream playback reconfigured by reload");
	/* AUDIO sent before the client read the ERROR: dropped. */
	send_signal(p, op.stream, limit / 2, limit / 2 + MSG_FRAMES, UINT64_MAX);
	/* The id is closed, the connection is not. */
	op2 = open_ok(p, "playback", 0);
	assert_true(op2.stream != op.stream);
	print_message("latency after the reload: %u frames (was %u)\n", op2.latency_frames,
		      op.latency_frames);
	assert_true(op2.latency_frames >= 24000 - 1);
	assert_true(op2.latency_frames < 48000 - 1);
	if (!(op2.flags & HSP_OPENED_ADJUSTED))
		assert_true(op2.latency_frames <= 24000 + 1);
	/* And it plays. */
	play(p, &op2, 4800);

	/* The listener of the unchanged stream: no ERROR, audio goes on. */
	gaps = receive_audio(l, lid, 24000);
	if (gaps)
		print_message("the listener lost frames %u times (slow machine)\n", gaps);
	assert_true(log_has("reload: stream playback: latency_ms changed: rebuilt", TC_WAIT_MS));
	tc_close(p);
	tc_close(l);
}

/* A removed stream's clients are told and a new OPEN of it is an unknown
 * stream; an added stream comes up (an always-on capture stream in the
 * removed one's slot) and opens; the untouched stream's client keeps it. */
static void added_and_removed_streams(void **state)
{
	tc_client *p = client(), *l = client();
	hsp_opened op = open_ok(p, "playback", 0);
	uint32_t lid = start_capture(l, "loopback"), xid;
	hsp_error_msg e;
	hsp_msg m;

	(void)state;
	receive_audio(l, lid, 4800);
	rewrite_config(DAEMON PLAYBACK("1000") EXTRA("yes"));
	reload();
	assert_non_null(strstr(daemon_.notify_seen,
			       "reloaded: 1 unchanged, 0 rebuilt, 1 added, 1 removed"));
	assert_non_null(strstr(daemon_.notify_seen, "STATUS=serving 2 streams on"));
	e = next_error(l);
	assert_int_equal(e.code, HSP_ERR_STREAM_CHANGED);
	assert_int_equal(e.fatal, 0);
	assert_int_equal(e.stream, lid);
	assert_string_equal(e.text, "stream loopback removed by reload");
	assert_true(tc_open(l, "loopback", HSP_DIR_ANY, 0, &m));
	assert_int_equal(m.type, HSP_ERROR);
	assert_int_equal(m.u.error.code, HSP_ERR_UNKNOWN_STREAM);
	assert_int_equal(m.u.error.fatal, 0);
	/* The new stream: up, and its audio comes. */
	xid = start_capture(l, "extra");
	receive_audio(l, xid, 4800);
	assert_true(log_has("reload: stream extra: added", TC_WAIT_MS));
	assert_true(log_has("reload: stream loopback: removed", TC_WAIT_MS));
	/* playback was not touched: its client still has it. */
	{
		uint32_t tag = tc_request(p, HSP_POSITION_REQUEST, op.stream);

		assert_true(tc_expect(p, HSP_POSITION, &m, TC_WAIT_MS, NULL, NULL));
		assert_int_equal(m.u.position.tag, tag);
		assert_int_equal(m.u.position.stream, op.stream);
	}

	/* Now playback goes too: its client is told. */
	rewrite_config(DAEMON EXTRA("yes"));
	reload();
	assert_non_null(strstr(daemon_.notify_seen, "STATUS=serving 1 stream on"));
	e = next_error(p);
	assert_int_equal(e.code, HSP_ERR_STREAM_CHANGED);
	assert_int_equal(e.stream, op.stream);
	assert_string_equal(e.text, "stream playback removed by reload");
	assert_true(tc_open(p, "playback", HSP_DIR_ANY, 0, &m));
	assert_int_equal(m.type, HSP_ERROR);
	assert_int_equal(m.u.error.code, HSP_ERR_UNKNOWN_STREAM);
	/* The listener of extra is unaffected. */
	receive_audio(l, xid, 4800);
	/* And a stream of the old name comes back as new. */
	rewrite_config(DAEMON EXTRA("yes") LOOPBACK("1000"));
	reload();
	lid = start_capture(p, "loopback");
	receive_audio(p, lid, 4800);
	tc_close(p);
	tc_close(l);
}

static void reload_hook_bad(unsigned k)
{
	char at[400], want[600];

	switch (k) {
	case 0: /* a syntax error, after a change that must not apply */
		rewrite_config(DAEMON PLAYBACK("20") LOOPBACK("500") "this is not ini\n");
		reload();
		snprintf(want, sizeof(want), "reload: %ssyntax error", conf_at(14, at, sizeof(at)));
		assert_true(log_has(want, TC_WAIT_MS));
		break;
	case 1: /* an unknown key */
		rewrite_config(DAEMON PLAYBACK("20") LOOPBACK("500") "volume = 3\n");
		reload();
		snprintf(want, sizeof(want),
			 "reload: %s[stream loopback] volume: unknown key (expected direction",
			 conf_at(14, at, sizeof(at)));
		assert_true(log_has(want, TC_WAIT_MS));
		break;
	case 2: /* a bad value */
		rewrite_config(DAEMON PLAYBACK("20") LOOPBACK("-1"));
		reload();
		snprintf(want, sizeof(want), "reload: %s[stream loopback] latency_ms:",
			 conf_at(12, at, sizeof(at)));
		assert_true(log_has(want, TC_WAIT_MS));
		break;
	default: /* another controller: needs a restart */
		rewrite_config("[daemon]\ncontroller = emu:lineout=wav:@DIR@/other.wav\n"
			       "listen = 127.0.0.1:0\nmax_clients = 8\nclient_queue_ms = 2000\n"
			       PLAYBACK("20") LOOPBACK("500"));
		reload();
		snprintf(want, sizeof(want), "reload: %s[daemon] controller: cannot change",
			 conf_at(2, at, sizeof(at)));
		assert_true(log_has(want, TC_WAIT_MS));
		break;
	}
	assert_true(log_has("the old config stays", TC_WAIT_MS));
	assert_non_null(strstr(daemon_.notify_seen, "reload failed, the old config stays"));
	assert_non_null(strstr(daemon_.notify_seen, "STATUS=serving 2 streams on"));
}

/* Bad reloads (a syntax error, an unknown key, a bad value, another
 * controller) change nothing: each is logged with its file, line and key,
 * a client playing meanwhile is unaffected (no ERROR, the signal whole on
 * the line-out), and the streams keep their old settings. */
static void bad_reload_changes_nothing(void **state)
{
	tc_client *p = client(), *c;
	hsp_opened op = open_ok(p, "playback", 0), op2;
	const uint64_t at[4] = {LEAD_FRAMES + 52000, LEAD_FRAMES + 70000, LEAD_FRAMES + 88000,
				LEAD_FRAMES + 106000};

	(void)state;
	play_hooked(p, &op, LEAD_FRAMES + LONG_FRAMES, at, 4, reload_hook_bad);
	assert_false(log_has("rebuilt by", 0));
	assert_false(log_has("changed: rebuilt", 0));
	/* The old settings are in force: loopback opens at 1000 ms (to
	 * whole granules, so a little less), not at the bad reload's 500. */
	c = client();
	op2 = open_ok(c, "loopback", 0);
	assert_true(op2.latency_frames > 48000 - 64 && op2.latency_frames <= 48000);
	tc_close(c);
	tc_close(p);
	stop_and_check_wav(LONG_FRAMES);
}

/* [daemon] keys at run time: log_level and max_clients apply, listen
 * needs a restart (a warning naming its line; the port bound stays) while
 * the rest of the same reload applies. */
static void daemon_keys(void **state)
{
	char at[400], want[600];
	tc_client *a = client(), *b, *c;
	hsp_msg m;

	(void)state;
	rewrite_config("[daemon]\n"
		       "controller = emu:lineout=wav:@DIR@/out.wav,linein=loopback\n"
		       "listen = 127.0.0.1:1\n"
		       "max_clients = 2\n"
		       "client_queue_ms = 2000\n"
		       "log_level = debug\n" PLAYBACK("1000") LOOPBACK("500"));
	reload();
	snprintf(want, sizeof(want), "reload: %s[daemon] listen: needs a restart",
		 conf_at(3, at, sizeof(at)));
	assert_true(log_has(want, TC_WAIT_MS));
	assert_true(log_has("reload: log level debug", TC_WAIT_MS));
	assert_true(log_has("reload: stream loopback: latency_ms changed: rebuilt", TC_WAIT_MS));
	/* Still on the old port; at most 2 clients now (a is one). */
	b = client();
	c = tc_connect(daemon_.port);
	assert_non_null(c);
	m = (hsp_msg){.type = HSP_HELLO};
	m.u.hello = (hsp_hello){.version_min = 1, .version_max = 1, .caps = HSP_CAP_PCM};
	snprintf(m.u.hello.name, sizeof(m.u.hello.name), "third");
	assert_true(tc_send(c, &m));
	assert_true(tc_expect(c, HSP_ERROR, &m, TC_WAIT_MS, NULL, NULL));
	assert_int_equal(m.u.error.code, HSP_ERR_LIMIT);
	assert_int_equal(m.u.error.fatal, 1);
	/* The rebuilt stream opens with its new latency. */
	assert_true(open_ok(b, "loopback", 0).latency_frames < 48000 - 1);
	tc_close(a);
	tc_close(b);
	tc_close(c);
}

/* systemd: RELOADING=1, with MONOTONIC_USEC, then READY=1 with a STATUS=
 * saying what the reload did; the same around a reload that fails. */
static void reloading_notified(void **state)
{
	const char *r, *u, *y;

	(void)state;
	reload();
	r = strstr(daemon_.notify_seen, "RELOADING=1");
	u = strstr(daemon_.notify_seen, "MONOTONIC_USEC=");
	y = strstr(daemon_.notify_seen, "READY=1");
	assert_non_null(r);
	assert_non_null(u);
	assert_true(strtoull(u + 15, NULL, 10) > 0);
	assert_true(r < y);
	assert_non_null(strstr(y, "STATUS=serving 2 streams on 127.0.0.1:"));
	assert_non_null(strstr(y, "reloaded: 2 unchanged"));
	rewrite_config(CONFIG "[bad\n");
	reload();
	assert_non_null(strstr(daemon_.notify_seen, "reload failed, the old config stays"));
	/* And the daemon still serves. */
	tc_close(client());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reloading_notified, setup, teardown),
		cmocka_unit_test_setup_teardown(unchanged_stream_plays_through, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_stream_is_rebuilt, setup, teardown),
		cmocka_unit_test_setup_teardown(added_and_removed_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_reload_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(daemon_keys, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
