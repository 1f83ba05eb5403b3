/* SPDX-License-Identifier: MIT */
/*
 * hdastream run as a real process against the fake server (a thread of
 * this test): play sends a file's exact frames and says so, resamples
 * 44.1 kHz to 48 kHz keeping a sine's frequency, mixes mono to stereo,
 * refuses 3 channels; record writes exactly the frames the server sent,
 * and a valid file when stopped by SIGINT; Ctrl-C stops play; status;
 * --help and --version; an absent server named in the error; the progress
 * line on a terminal only.  Every child is waited for with a bound.
 * HDASTREAM (the executable) and VERSION come from meson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sndfile.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fake_server.h"

#define CHILD_WAIT_MS 30000

extern char **environ;

static char tmpdir[64];

static void path_in_tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hds-cli-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {"in.wav", "out.wav", "out.flac", "stdout",
					    "stderr"};
	char p[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_tmp(p, sizeof(p), names[i]);
		unlink(p);
	}
	return rmdir(tmpdir);
}

typedef struct child {
	pid_t pid;
	int status; /* the exit status, or 128 + signal */
	char out[16384], err[16384];
} child;

/* Start hdastream with args (NULL-terminated), its stdout and stderr in
 * files of tmpdir, or on tty_fd when that is >= 0. */
static void start(child *ch, const char *const *args, int tty_fd)
{
	const char *exe = getenv("HDASTREAM");
	const char *argv[24] = {exe};
	posix_spawn_file_actions_t fa;
	char out[128], err[128];
	size_t n = 1;

	assert_non_null(exe);
	while (args[n - 1] && n < 23) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	path_in_tmp(out, sizeof(out), "stdout");
	path_in_tmp(err, sizeof(err), "stderr");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (tty_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, tty_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, tty_fd, 2);
	} else {
		posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	}
	assert_int_equal(posix_spawn(&ch->pid, exe, &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
}

static void slurp(const char *name, char *buf, size_t len)
{
	char p[128];
	FILE *f;
	size_t n = 0;

	path_in_tmp(p, sizeof(p), name);
	f = fopen(p, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Wait for the child, at most CHILD_WAIT_MS (then it is killed and the
 * test fails). */
static void finish_child(child *ch, bool read_files)
{
	int64_t t0 = fake_now_ms();
	int st;

	for (;;) {
		pid_t r = waitpid(ch->pid, &st, WNOHANG);
		struct timespec d = {0, 10000000};

		if (r == ch->pid)
			break;
		if (fake_now_ms() - t0 > CHILD_WAIT_MS) {
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, &st, 0);
			fail_msg("hdastream did not exit within %d ms", CHILD_WAIT_MS);
		}
		nanosleep(&d, NULL);
	}
	ch->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (read_files) {
		slurp("stdout", ch->out, sizeof(ch->out));
		slurp("stderr", ch->err, sizeof(ch->err));
	}
}

static void run(child *ch, const char *const *args)
{
	start(ch, args, -1);
	finish_child(ch, true);
}

static fake_plan render_plan(void)
{
	return (fake_plan){.direction = HSP_DIR_RENDER, .format = {48000, 16, 16, 2},
			   .buffer_bytes = 1536, .period_frames = 96, .fifo_bytes = 256,
			   .latency_frames = 160, .window = 960};
}

static fake_server *start_fake(const fake_plan *p, char *addr, size_t len)
{
	fake_server *f = fake_start(p);

	assert_non_null(f);
	fake_address(f, addr, len);
	return f;
}

static void join_fake(fake_server *f)
{
	fake_join(f);
	if (f->result.failure[0])
		fail_msg("fake server: %s", f->result.failure);
}

/* A 16-bit WAV of `frames` frames whose sample (i, ch) is gen(i, ch). */
static void write_wav(const char *path, int rate, int channels, uint32_t frames,
		      int16_t (*gen)(uint64_t, unsigned))
{
	SF_INFO info = {.samplerate = rate, .channels = channels,
			.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	int16_t *buf = malloc(sizeof(int16_t) * frames * (size_t)channels);

	assert_non_null(sf);
	assert_non_null(buf);
	for (uint32_t i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
			buf[(size_t)i * channels + c] = gen(i, (unsigned)c);
	assert_int_equal(sf_writef_short(sf, buf, frames), frames);
	assert_int_equal(sf_close(sf), 0);
	free(buf);
}

static void test_play_exact(void **state)
{
	fake_plan p = render_plan();
	char addr[64], in[128], want[256];
	const char *args[] = {"play", in, "--server", addr, NULL};
	int16_t *expect = malloc(10000 * 4);
	fake_server *f;
	child ch;

	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 48000, 2, 10000, fake_sample);
	for (uint32_t i = 0; i < 10000; i++) {
		expect[2 * i] = fake_sample(i, 0);
		expect[2 * i + 1] = fake_sample(i, 1);
	}
	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	snprintf(want, sizeof(want),
		 "hdastream: played %s: 10000 frames (0.208 s) into stream playback at 48000 Hz; 0 underruns\n",
		 in);
	assert_string_equal(ch.out, want);
	assert_string_equal(ch.err, ""); /* no terminal: no progress line */
	assert_false(f->result.over_credit);
	assert_int_equal(f->result.frames, 10000);
	assert_memory_equal(f->result.audio, expect, 10000 * 4);
	assert_int_equal(f->result.requests[HSP_START], 1);
	assert_int_equal(f->result.requests[HSP_DRAIN], 1);
	assert_int_equal(f->result.requests[HSP_CLOSE], 1);
	assert_string_equal(f->result.open.name, "playback");
	assert_int_equal(f->result.open.direction, HSP_DIR_RENDER);
	free(expect);
	fake_free(f);
}

static int16_t sine_1k_441(uint64_t i, unsigned ch)
{
	/* 1000 Hz at 44.1 kHz, a quarter of full scale, phase-shifted so
	 * that no sample sits on zero. */
	return (int16_t)lrint(8000.0 * sin(2 * M_PI * 1000.0 * ((double)i + 0.25) / 44100.0));
}

static void test_play_resampled(void **state)
{
	fake_plan p = render_plan();
	char addr[64], in[128];
	const char *args[] = {"play", "--server", addr, in, NULL};
	fake_server *f;
	const int16_t *s;
	uint64_t n, crossings = 0;
	child ch;

	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 44100, 2, 44100, sine_1k_441); /* one second */
	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	assert_non_null(strstr(ch.out, "at 48000 Hz (resampled)"));
	/* One second at 48 kHz. */
	n = f->result.frames;
	assert_true(n >= 48000 - 1 && n <= 48000 + 1);
	/* The sine is still 1000 Hz: 2000 zero crossings in the second,
	 * counted away from the resampler's edges (0.1 s each side: 1600). */
	s = (const int16_t *)f->result.audio;
	for (uint64_t i = 4800 + 1; i < n - 4800; i++)
		if ((s[2 * i] >= 0) != (s[2 * (i - 1)] >= 0))
			crossings++;
	assert_true(crossings >= 1599 && crossings <= 1601);
	/* Both channels carry it, at the file's level (8000). */
	for (uint64_t i = 4800; i < n - 4800; i++) {
		assert_int_equal(s[2 * i], s[2 * i + 1]);
		assert_true(abs(s[2 * i]) <= 8100);
	}
	fake_free(f);
}

static int16_t ramp(uint64_t i, unsigned ch)
{
	return (int16_t)(i * 3 - 20000 + ch);
}

static void test_play_mono(void **state)
{
	fake_plan p = render_plan();
	char addr[64], in[128];
	const char *args[] = {"play", in, "--server", addr, "--latency", "2", NULL};
	fake_server *f;
	const int16_t *s;
	child ch;

	p.adjusted = true; /* the fake answers 160 frames, 3.333 ms */
	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 48000, 1, 4000, ramp);
	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	assert_string_equal(ch.err,
			    "hdastream: stream playback: latency 3.333 ms, not the 2.000 ms asked for\n");
	assert_int_equal(f->result.open.flags, HSP_OPEN_LATENCY);
	assert_int_equal(f->result.open.latency_us, 2000);
	assert_int_equal(f->result.frames, 4000);
	s = (const int16_t *)f->result.audio;
	for (uint32_t i = 0; i < 4000; i++) {
		assert_int_equal(s[2 * i], ramp(i, 0));
		assert_int_equal(s[2 * i + 1], ramp(i, 0));
	}
	fake_free(f);
}

static void test_play_three_channels(void **state)
{
	fake_plan p = render_plan();
	char addr[64], in[128], want[256];
	const char *args[] = {"play", in, "--server", addr, NULL};
	fake_server *f;
	child ch;

	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 48000, 3, 1000, ramp);
	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 65);
	snprintf(want, sizeof(want),
		 "hdastream: %s has 3 channels and stream playback takes 2: hdastream mixes only mono to stereo and stereo to mono\n",
		 in);
	assert_string_equal(ch.err, want);
	assert_int_equal(f->result.frames, 0);
	assert_int_equal(f->result.requests[HSP_CLOSE], 1);
	fake_free(f);
}

static void test_play_interrupted(void **state)
{
	fake_plan p = render_plan();
	char addr[64], in[128];
	const char *args[] = {"play", in, "--server", addr, NULL};
	fake_server *f;
	int64_t t0;
	child ch;

	p.no_credit = true; /* play waits after the first window */
	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 48000, 2, 48000, fake_sample);
	f = start_fake(&p, addr, sizeof(addr));
	start(&ch, args, -1);
	t0 = fake_now_ms();
	while (atomic_load(&f->progress) < p.window && fake_now_ms() - t0 < CHILD_WAIT_MS) {
		struct timespec d = {0, 5000000};

		nanosleep(&d, NULL);
	}
	assert_int_equal(atomic_load(&f->progress), p.window);
	kill(ch.pid, SIGINT);
	finish_child(&ch, true);
	join_fake(f);
	assert_int_equal(ch.status, 130);
	assert_non_null(strstr(ch.err, "stopped by Ctrl-C after 960 frames"));
	assert_int_equal(f->result.requests[HSP_STOP], 1);
	assert_int_equal(f->result.requests[HSP_CLOSE], 1);
	fake_free(f);
}

/* The recorded file: its frames, checked against the fake's pattern. */
static void check_recording(const char *path, int major, uint64_t frames,
			    uint64_t first)
{
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	int16_t *buf;

	if (!sf)
		fail_msg("%s: %s", path, sf_strerror(NULL));
	assert_int_equal(info.format, major | SF_FORMAT_PCM_16);
	assert_int_equal(info.samplerate, 48000);
	assert_int_equal(info.channels, 2);
	assert_int_equal(info.frames, frames);
	buf = malloc(frames * 4);
	assert_int_equal(sf_readf_short(sf, buf, (sf_count_t)frames), frames);
	for (uint64_t i = 0; i < frames; i++) {
		assert_int_equal(buf[2 * i], fake_sample(first + i, 0));
		assert_int_equal(buf[2 * i + 1], fake_sample(first + i, 1));
	}
	free(buf);
	sf_close(sf);
}

static void record_duration(const char *name, int major)
{
	fake_plan p = render_plan();
	char addr[64], out[128], want[256];
	const char *args[] = {"record", "--stream", "loopback", out, "--duration", "0.5",
			      "--server", addr, NULL};
	fake_server *f;
	child ch;

	p.direction = HSP_DIR_CAPTURE;
	p.capture_frames = 30000; /* more than the 0.5 s asked for */
	p.capture_start = 123456;
	path_in_tmp(out, sizeof(out), name);
	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	snprintf(want, sizeof(want),
		 "hdastream: recorded %s: 24000 frames (0.500 s) from stream loopback at 48000 Hz; 0 frames dropped\n",
		 out);
	assert_string_equal(ch.out, want);
	assert_string_equal(ch.err, "");
	assert_string_equal(f->result.open.name, "loopback");
	assert_int_equal(f->result.open.direction, HSP_DIR_CAPTURE);
	check_recording(out, major, 24000, p.capture_start);
	fake_free(f);
}

static void test_record_wav(void **state)
{
	record_duration("out.wav", SF_FORMAT_WAV);
}

static void test_record_flac(void **state)
{
	record_duration("out.flac", SF_FORMAT_FLAC);
}

static void test_record_interrupted(void **state)
{
	fake_plan p = render_plan();
	char addr[64], out[128];
	const char *args[] = {"record", "--stream", "loopback", out, "--server", addr, NULL};
	fake_server *f;
	struct stat st = {0};
	int64_t t0;
	child ch;

	p.direction = HSP_DIR_CAPTURE;
	p.capture_frames = 4800; /* then nothing more */
	path_in_tmp(out, sizeof(out), "out.wav");
	unlink(out); /* an earlier test's */
	f = start_fake(&p, addr, sizeof(addr));
	start(&ch, args, -1);
	/* Once all of it is in the file (a 44-byte header and the data),
	 * Ctrl-C. */
	t0 = fake_now_ms();
	while ((stat(out, &st) || st.st_size < 44 + 4800 * 4) && fake_now_ms() - t0 < CHILD_WAIT_MS) {
		struct timespec d = {0, 5000000};

		nanosleep(&d, NULL);
	}
	assert_true(st.st_size >= 44 + 4800 * 4);
	kill(ch.pid, SIGINT);
	finish_child(&ch, true);
	if (ch.status)
		fail_msg("status %d: %s", ch.status, ch.err);
	join_fake(f);
	assert_non_null(strstr(ch.err, "stopped by Ctrl-C"));
	assert_non_null(strstr(ch.out, "4800 frames (0.100 s)"));
	/* The header was completed: the file says 4800 frames. */
	check_recording(out, SF_FORMAT_WAV, 4800, 0);
	assert_int_equal(f->result.requests[HSP_STOP], 1);
	assert_int_equal(f->result.requests[HSP_CLOSE], 1);
	fake_free(f);
}

static void test_record_gap(void **state)
{
	fake_plan p = render_plan();
	char addr[64], out[128];
	const char *args[] = {"record", "--stream", "loopback", out, "--duration", "0.05",
			      "--server", addr, NULL};
	SF_INFO info = {0};
	int16_t buf[2 * 2400];
	fake_server *f;
	SNDFILE *sf;
	child ch;

	/* 960 frames (two messages), 200 the client does not get, then
	 * more. */
	p.direction = HSP_DIR_CAPTURE;
	p.capture_frames = 3000;
	p.gap_at = 960;
	p.gap_len = 200;
	path_in_tmp(out, sizeof(out), "out.wav");
	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	assert_non_null(strstr(ch.out, ": 2400 frames (0.050 s) from stream loopback at 48000 Hz; 200 frames dropped\n"));
	/* The file keeps the stream's timeline: the gap is silence. */
	sf = sf_open(out, SFM_READ, &info);
	assert_non_null(sf);
	assert_int_equal(info.frames, 2400);
	assert_int_equal(sf_readf_short(sf, buf, 2400), 2400);
	sf_close(sf);
	for (uint64_t i = 0; i < 2400; i++) {
		bool gap = i >= 960 && i < 1160;

		assert_int_equal(buf[2 * i], gap ? 0 : fake_sample(i, 0));
		assert_int_equal(buf[2 * i + 1], gap ? 0 : fake_sample(i, 1));
	}
	fake_free(f);
}

static const hsp_status_stream status_recs[2] = {
	{.name = "playback", .direction = HSP_DIR_RENDER, .state = HSP_SSTATE_RUNNING,
	 .flags = HSP_SS_ENGINE | HSP_SS_OWNER | HSP_SS_POSITION,
	 .format = {48000, 16, 16, 2}, .latency_frames = 160, .latency_us = 3333,
	 .buffer_bytes = 1536, .period_frames = 96, .fifo_bytes = 256,
	 .link_frames = 48000, .dma_frames = 48064, .wall_ticks = 24000,
	 .mono_ns = 5000000000123ull, .real_ns = 1764655200000000000ull,
	 .frames = 48160, .underruns = 2, .dropped = 7},
	{.name = "loopback", .direction = HSP_DIR_CAPTURE, .state = HSP_SSTATE_IDLE,
	 .format = {48000, 16, 16, 2}, .latency_frames = 160, .latency_us = 3333,
	 .buffer_bytes = 1536, .period_frames = 96, .fifo_bytes = 256,
	 .link_frames = 96000},
};

static const hsp_status_report status_report = {
	.tag = 1, .stream_count = 2, .clients = 2, .max_clients = 16,
	.uptime_ms = 3723000, .server = "fake-hsd \"9\"", .streams = status_recs,
};

static fake_plan status_plan(void)
{
	fake_plan p = render_plan();

	p.offer_status = true;
	p.status = &status_report;
	return p;
}

/* One STATUS request and nothing else: no stream is opened. */
static void test_status(void **state)
{
	fake_plan p = status_plan();
	char addr[64], want[256];
	const char *args[] = {"status", "--server", addr, NULL};
	const char *one[] = {"status", "--server", addr, "--stream", "loopback", NULL};
	fake_server *f;
	child ch;

	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	if (ch.status)
		fail_msg("status %d: %s", ch.status, ch.err);
	snprintf(want, sizeof(want),
		 "server %s: fake-hsd \"9\", protocol version 1, up 1:02:03, 2 clients of 16\n",
		 addr);
	assert_true(strncmp(ch.out, want, strlen(want)) == 0);
	assert_non_null(strstr(ch.out, "STREAM "));
	assert_non_null(strstr(ch.out, "\nplayback         render  running 48000Hz 16/16 2ch     3.333ms     1536      96   256 owner"));
	assert_non_null(strstr(ch.out, "\nloopback         capture idle    48000Hz 16/16 2ch     3.333ms     1536      96   256 0 listeners"));
	assert_non_null(strstr(ch.out, "  playback: link 48000, memory 48064, wall clock 24000, monotonic 5000.000000123 s, 48160 frames\n"));
	assert_int_equal(f->result.requests[HSP_STATUS], 1);
	assert_int_equal(f->result.requests[HSP_OPEN], 0);
	fake_free(f);

	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, one);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	assert_null(strstr(ch.out, "\nplayback "));
	assert_non_null(strstr(ch.out, "\nloopback "));
	fake_free(f);
}

/* --json: JSON that json-c parses back, with every field in its place. */
static void test_status_json(void **state)
{
	fake_plan p = status_plan();
	char addr[64];
	const char *args[] = {"status", "--json", "--server", addr, NULL};
	json_object *root, *streams, *s, *v, *pos;
	fake_server *f;
	child ch;

	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	if (ch.status)
		fail_msg("status %d: %s", ch.status, ch.err);
	root = json_tokener_parse(ch.out);
	if (!root)
		fail_msg("not JSON: %s", ch.out);
	assert_true(json_object_object_get_ex(root, "server_name", &v));
	assert_string_equal(json_object_get_string(v), "fake-hsd \"9\"");
	assert_true(json_object_object_get_ex(root, "uptime_ms", &v));
	assert_int_equal(json_object_get_int64(v), 3723000);
	assert_true(json_object_object_get_ex(root, "streams", &streams));
	assert_int_equal(json_object_array_length(streams), 2);
	s = json_object_array_get_idx(streams, 0);
	assert_true(json_object_object_get_ex(s, "name", &v));
	assert_string_equal(json_object_get_string(v), "playback");
	assert_true(json_object_object_get_ex(s, "state", &v));
	assert_string_equal(json_object_get_string(v), "running");
	assert_true(json_object_object_get_ex(s, "latency_frames", &v));
	assert_int_equal(json_object_get_int(v), 160);
	assert_true(json_object_object_get_ex(s, "position", &pos));
	assert_true(json_object_object_get_ex(pos, "mono_ns", &v));
	assert_int_equal(json_object_get_int64(v), 5000000000123ll);
	assert_true(json_object_object_get_ex(s, "counters", &v));
	assert_true(json_object_object_get_ex(v, "underruns", &v));
	assert_int_equal(json_object_get_int(v), 2);
	s = json_object_array_get_idx(streams, 1);
	assert_true(json_object_object_get_ex(s, "position", &pos));
	assert_null(pos); /* idle: no reading */
	assert_true(json_object_object_get_ex(s, "clients", &v));
	assert_true(json_object_object_get_ex(v, "listeners", &v));
	assert_int_equal(json_object_get_int(v), 0);
	json_object_put(root);
	fake_free(f);
}

/* A server without STATUS, and a stream name the daemon lacks. */
static void test_status_refused(void **state)
{
	fake_plan p = render_plan();
	fake_plan q = status_plan();
	char addr[64];
	const char *args[] = {"status", "--server", addr, NULL};
	const char *bad[] = {"status", "--server", addr, "--stream", "nosuch", NULL};
	fake_server *f;
	child ch;

	f = start_fake(&p, addr, sizeof(addr));
	run(&ch, args);
	join_fake(f);
	assert_int_equal(ch.status, 76);
	assert_non_null(strstr(ch.err, "does not offer STATUS"));
	assert_int_equal(f->result.requests[HSP_STATUS], 0);
	fake_free(f);

	f = start_fake(&q, addr, sizeof(addr));
	run(&ch, bad);
	join_fake(f);
	assert_int_equal(ch.status, 64);
	assert_non_null(strstr(ch.err, "no stream 'nosuch'"));
	fake_free(f);
}

static void test_help_version(void **state)
{
	const char *help[] = {"--help", NULL};
	const char *version[] = {"--version", NULL};
	const char *play_help[] = {"play", "--help", NULL};
	const char *bad[] = {"play", NULL};
	static const char *const codes[] = {"  0 ", "  64 ", "  65 ", "  66 ", "  69 ",
					    "  73 ", "  74 ", "  76 ", "  130 "};
	char want[64];
	child ch;

	run(&ch, help);
	assert_int_equal(ch.status, 0);
	assert_non_null(strstr(ch.out, "Usage: hdastream play FILE"));
	assert_non_null(strstr(ch.out, "--server HOST:PORT"));
	assert_non_null(strstr(ch.out, "(default 127.0.0.1:4713"));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strstr(ch.out, codes[i]))
			fail_msg("--help does not document exit status%s", codes[i]);
	run(&ch, play_help);
	assert_int_equal(ch.status, 0);
	assert_non_null(strstr(ch.out, "Usage: hdastream"));
	run(&ch, version);
	assert_int_equal(ch.status, 0);
	snprintf(want, sizeof(want), "hdastream %s\n", getenv("VERSION"));
	assert_string_equal(ch.out, want);
	run(&ch, bad);
	assert_int_equal(ch.status, 64);
	assert_string_equal(ch.err, "hdastream: play: which file?\nTry 'hdastream --help'.\n");
}

static void test_no_server(void **state)
{
	char addr[64], in[128], want[256];
	const char *play[] = {"play", in, "--server", addr, NULL};
	const char *status[] = {"status", "--server", addr, NULL};
	uint16_t port = fake_unused_port();
	child ch;

	assert_true(port != 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 48000, 2, 100, fake_sample);
	snprintf(want, sizeof(want), "hdastream: cannot connect to %s: Connection refused\n",
		 addr);
	run(&ch, play);
	assert_int_equal(ch.status, 69);
	assert_string_equal(ch.err, want);
	run(&ch, status);
	assert_int_equal(ch.status, 69);
	assert_string_equal(ch.err, want);
}

static void test_progress_on_tty(void **state)
{
	fake_plan p = render_plan();
	char addr[64], in[128], text[65536];
	const char *args[] = {"play", in, "--server", addr, NULL};
	int master, slave;
	size_t got = 0;
	fake_server *f;
	child ch;

	if (openpty(&master, &slave, NULL, NULL, NULL))
		skip(); /* no pseudo-terminal here */
	path_in_tmp(in, sizeof(in), "in.wav");
	write_wav(in, 48000, 2, 4800, fake_sample);
	f = start_fake(&p, addr, sizeof(addr));
	start(&ch, args, slave);
	close(slave);
	/* Read the terminal until the child closes it (bounded). */
	for (int64_t t0 = fake_now_ms(); fake_now_ms() - t0 < CHILD_WAIT_MS && got < sizeof(text) - 1;) {
		struct pollfd pf = {.fd = master, .events = POLLIN};
		ssize_t n;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = read(master, text + got, sizeof(text) - 1 - got);
		if (n <= 0)
			break; /* EIO: every writer is gone */
		got += (size_t)n;
	}
	text[got] = '\0';
	close(master);
	finish_child(&ch, false);
	join_fake(f);
	assert_int_equal(ch.status, 0);
	/* The last drawing, then the closing line on its own. */
	assert_non_null(strstr(text, "\rplayback: "));
	assert_non_null(strstr(text, "underruns 0  drops 0\033[K"));
	assert_non_null(strstr(text, "latency "));
	assert_non_null(strstr(text, "hdastream: played"));
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_play_exact),
		cmocka_unit_test(test_play_resampled),
		cmocka_unit_test(test_play_mono),
		cmocka_unit_test(test_play_three_channels),
		cmocka_unit_test(test_play_interrupted),
		cmocka_unit_test(test_record_wav),
		cmocka_unit_test(test_record_flac),
		cmocka_unit_test(test_record_interrupted),
		cmocka_unit_test(test_record_gap),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_status_refused),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_progress_on_tty),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
