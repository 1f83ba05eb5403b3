/* SPDX-License-Identifier: MIT */
/*
 * The client library against the fake server of fake_server.h: the
 * handshake and OPENED's fields, the credit window never exceeded (small,
 * slow, absent), timeouts within their bound, the server's ERRORs by name
 * and text (in reply to OPEN, fatal, a stream changed), bytes arriving one
 * at a time, capture audio reassembled exactly across chunk sizes and a
 * gap, a disconnect mid-stream, malformed bytes, keepalive, addresses, and
 * the timing arithmetic against PROTOCOL.md's worked example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_server.h"
#include "hsc_client.h"
#include "hsd_config.h"

static const hsp_format fmt48 = {48000, 16, 16, 2};

static fake_plan render_plan(uint32_t window)
{
	return (fake_plan){.direction = HSP_DIR_RENDER, .format = fmt48,
			   .buffer_bytes = 1536, .period_frames = 96, .fifo_bytes = 256,
			   .latency_frames = 160, .window = window};
}

static fake_plan capture_plan(uint64_t frames)
{
	fake_plan p = render_plan(0);

	p.direction = HSP_DIR_CAPTURE;
	p.capture_frames = frames;
	return p;
}

static hsc_client *connect_to(fake_server *f, int io_timeout_ms)
{
	hsc_options o = {.io_timeout_ms = io_timeout_ms, .client_name = "hsc-test"};
	hsc_client *c = NULL;
	char addr[64], why[256];
	int rc;

	fake_address(f, addr, sizeof(addr));
	rc = hsc_connect(addr, &o, &c, why, sizeof(why));
	if (rc)
		fail_msg("hsc_connect %s: %s (%s)", addr, why, hsc_strerror(rc));
	return c;
}

static uint32_t open_stream(hsc_client *c, const char *name, hsc_stream_info *si)
{
	hsc_open_args a = {.name = name};
	int rc = hsc_open(c, &a, si);

	if (rc)
		fail_msg("hsc_open: %s", hsc_last_error(c)->text);
	return si->id;
}

/* Destroy the client, wait for the fake, and check it found nothing wrong. */
static void finish(hsc_client *c, fake_server *f)
{
	hsc_destroy(c);
	fake_join(f);
	if (f->result.failure[0])
		fail_msg("fake server: %s", f->result.failure);
}

/* 16-bit stereo frames numbered from 0, each unlike the others. */
static int16_t *frames_pattern(uint32_t n)
{
	int16_t *p = malloc((size_t)n * 4);

	assert_non_null(p);
	for (uint32_t i = 0; i < n; i++) {
		p[2 * i] = fake_sample(i, 0);
		p[2 * i + 1] = fake_sample(i, 1);
	}
	return p;
}

static void test_open_fields(void **state)
{
	fake_plan p = render_plan(384);
	fake_server *f;
	hsc_stream_info si;
	hsc_open_args a = {.name = "playback", .direction = HSP_DIR_RENDER,
			   .latency_us = 2000, .interval_ms = 100};
	hsc_client *c;

	p.adjusted = true;
	p.idle_timeout_ms = 0;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	assert_string_equal(hsc_server_name(c), "fake-hsd");
	assert_int_equal(hsc_server_version(c), 1);
	assert_int_equal(hsc_open(c, &a, &si), 0);
	assert_int_equal(si.id, 1);
	assert_int_equal(si.direction, HSP_DIR_RENDER);
	assert_true(si.adjusted);
	assert_int_equal(si.format.rate, 48000);
	assert_int_equal(si.frame_bytes, 4);
	assert_int_equal(si.buffer_bytes, 1536);
	assert_int_equal(si.period_frames, 96);
	assert_int_equal(si.fifo_bytes, 256);
	assert_int_equal(si.latency_frames, 160);
	assert_int_equal(si.window_frames, 384);
	assert_int_equal(hsc_credit(c, si.id), 384);
	finish(c, f);
	assert_string_equal(f->result.hello.name, "hsc-test");
	assert_int_equal(f->result.hello.version_min, 1);
	assert_int_equal(f->result.hello.caps, HSP_CAP_PCM | HSP_CAP_STATUS);
	assert_string_equal(f->result.open.name, "playback");
	assert_int_equal(f->result.open.flags, HSP_OPEN_LATENCY);
	assert_int_equal(f->result.open.latency_us, 2000);
	assert_int_equal(f->result.open.interval_ms, 100);
	fake_free(f);
}

/* Render n frames through a window of `window` and check them at the fake. */
static void render_through(fake_plan p, uint32_t n)
{
	fake_server *f = fake_start(&p);
	int16_t *data = frames_pattern(n);
	hsc_stream_info si;
	hsc_client *c;
	uint32_t id;

	assert_non_null(f);
	c = connect_to(f, 5000);
	id = open_stream(c, "playback", &si);
	assert_int_equal(hsc_request(c, id, HSP_START, -1), 0);
	assert_int_equal(hsc_write(c, id, data, n, 10000), n);
	assert_int_equal(hsc_request(c, id, HSP_DRAIN, -1), 0);
	assert_int_equal(hsc_request(c, id, HSP_CLOSE, -1), 0);
	finish(c, f);
	assert_false(f->result.over_credit);
	assert_int_equal(f->result.frames, n);
	assert_int_equal(f->result.audio_len, (size_t)n * 4);
	assert_memory_equal(f->result.audio, data, (size_t)n * 4);
	free(data);
	fake_free(f);
}

static void test_small_window(void **state)
{
	render_through(render_plan(7), 10000);
}

static void test_large_write(void **state)
{
	/* More than one AUDIO message's payload at once. */
	render_through(render_plan(48000), 40000);
}

static void test_slow_credit(void **state)
{
	fake_plan p = render_plan(64);
	int64_t t0 = fake_now_ms();

	p.credit_delay_ms = 20;
	render_through(p, 640);
	/* Nine more windows needed nine CREDITs, each 20 ms late: the client
	 * waited for them rather than sending ahead. */
	assert_true(fake_now_ms() - t0 >= 9 * 20);
}

static void test_no_credit_times_out(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	int16_t *data = frames_pattern(1000);
	hsc_stream_info si;
	hsc_client *c;
	uint32_t id;
	int64_t t0;
	long rc;

	p.no_credit = true;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	id = open_stream(c, "playback", &si);
	/* The window is taken, then the call waits its 300 ms for more. */
	t0 = fake_now_ms();
	assert_int_equal(hsc_write(c, id, data, 1000, 300), 100);
	assert_true(fake_now_ms() - t0 >= 300);
	assert_int_equal(hsc_credit(c, id), 0);
	t0 = fake_now_ms();
	rc = hsc_write(c, id, data + 200, 900, 300);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_true(fake_now_ms() - t0 >= 300);
	assert_true(fake_now_ms() - t0 < 300 + 3000);
	assert_non_null(strstr(hsc_last_error(c)->text, "no credit"));
	finish(c, f);
	assert_false(f->result.over_credit);
	assert_int_equal(f->result.frames, 100);
	free(data);
	fake_free(f);
}

static void test_silent_server(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	hsp_position pos;
	hsc_client *c;
	uint32_t id;
	int64_t t0;

	p.silent = true;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 250); /* the client's own bound */
	id = open_stream(c, "playback", &si);
	t0 = fake_now_ms();
	assert_int_equal(hsc_request(c, id, HSP_START, -1), -ETIMEDOUT);
	assert_true(fake_now_ms() - t0 >= 250);
	assert_true(fake_now_ms() - t0 < 250 + 3000);
	assert_string_equal(hsc_strerror(hsc_last_error(c)->rc), "ETIMEDOUT");
	assert_non_null(strstr(hsc_last_error(c)->text, "no answer to START"));
	t0 = fake_now_ms();
	assert_int_equal(hsc_position(c, id, &pos, 100), -ETIMEDOUT);
	assert_true(fake_now_ms() - t0 >= 100);
	finish(c, f);
	fake_free(f);
}

static void test_open_error(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	hsc_open_args a = {.name = "playback"};
	const hsc_error *e;
	hsc_client *c;
	int rc;

	p.open_error = HSP_ERR_BUSY;
	p.open_error_text = "stream playback is busy";
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	rc = hsc_open(c, &a, &si);
	assert_int_equal(rc, HSC_E_PROTO(HSP_ERR_BUSY));
	assert_true(hsc_is_proto(rc));
	assert_int_equal(hsc_proto_code(rc), HSP_ERR_BUSY);
	assert_string_equal(hsc_strerror(rc), "HSP_ERR_BUSY");
	e = hsc_last_error(c);
	assert_int_equal(e->code, HSP_ERR_BUSY);
	assert_true(e->remote);
	assert_false(e->fatal);
	assert_non_null(strstr(e->text, "stream playback is busy"));
	assert_non_null(strstr(e->text, "HSP_ERR_BUSY"));
	/* Not fatal: the connection goes on. */
	assert_int_equal(hsc_open(c, &a, &si), 0);
	/* What the protocol forbids is refused before it is sent. */
	a.name = "play back";
	assert_int_equal(hsc_open(c, &a, &si), -EINVAL);
	assert_non_null(strstr(hsc_last_error(c)->text, "OPEN refused by the protocol's rules: HSP_ERR_BAD_STRING"));
	a.name = "playback";
	a.latency_us = 999;
	assert_int_equal(hsc_open(c, &a, &si), -EINVAL);
	assert_false(hsc_last_error(c)->fatal);
	finish(c, f);
	assert_int_equal(f->result.requests[HSP_OPEN], 2);
	fake_free(f);
}

static void test_fatal_error(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	int16_t frame[2] = {1, 2};
	hsc_client *c;
	uint32_t id;

	p.start_error = HSP_ERR_SHUTDOWN;
	p.start_error_fatal = true;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	id = open_stream(c, "playback", &si);
	assert_int_equal(hsc_request(c, id, HSP_START, -1), HSC_E_PROTO(HSP_ERR_SHUTDOWN));
	assert_true(hsc_last_error(c)->fatal);
	assert_true(hsc_last_error(c)->remote);
	assert_non_null(strstr(hsc_last_error(c)->text, "refused (HSP_ERR_SHUTDOWN)"));
	/* Every later call says the same. */
	assert_int_equal(hsc_write(c, id, frame, 1, -1), HSC_E_PROTO(HSP_ERR_SHUTDOWN));
	assert_int_equal(hsc_service(c, 0), HSC_E_PROTO(HSP_ERR_SHUTDOWN));
	finish(c, f);
	fake_free(f);
}

static void test_stream_changed(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	int16_t frame[2] = {1, 2};
	hsc_client *c;
	uint32_t id;

	p.changed_after_start = true;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	id = open_stream(c, "playback", &si);
	assert_int_equal(hsc_request(c, id, HSP_START, -1), 0);
	/* The ERROR came right behind the ACK: the next call sees it. */
	assert_int_equal(hsc_service(c, 50), 0);
	assert_int_equal(hsc_write(c, id, frame, 1, -1), HSC_E_PROTO(HSP_ERR_STREAM_CHANGED));
	assert_false(hsc_last_error(c)->fatal);
	assert_non_null(strstr(hsc_last_error(c)->text, "rebuilt by a reload"));
	/* The id is gone at the server; closing it only forgets it. */
	assert_int_equal(hsc_request(c, id, HSP_CLOSE, -1), 0);
	assert_int_equal(hsc_write(c, id, frame, 1, -1), -EBADF);
	finish(c, f);
	assert_int_equal(f->result.requests[HSP_CLOSE], 0);
	fake_free(f);
}

/* Read a capture stream to the end, in reads of `room` frames. */
static void read_capture(fake_plan p, uint32_t room)
{
	fake_server *f = fake_start(&p);
	uint64_t want = p.capture_frames, got = 0, expect = p.capture_start;
	int16_t *buf = malloc((size_t)room * 4);
	hsc_stream_info si;
	hsp_position pos;
	hsc_client *c;
	uint32_t id;
	bool gap_seen = false;

	assert_non_null(f);
	assert_non_null(buf);
	c = connect_to(f, 5000);
	id = open_stream(c, "loopback", &si);
	assert_int_equal(si.direction, HSP_DIR_CAPTURE);
	assert_int_equal(hsc_request(c, id, HSP_START, -1), 0);
	while (got < want) {
		uint64_t index;
		long n = hsc_read(c, id, buf, room, &index, 5000);

		if (n <= 0)
			fail_msg("hsc_read after %llu frames: %ld %s", (unsigned long long)got,
				 n, hsc_last_error(c)->text);
		if (index != expect) {
			/* Only where the fake left its gap, and a read never
			 * spans one. */
			assert_int_equal(got, p.gap_at);
			assert_int_equal(index, expect + p.gap_len);
			gap_seen = true;
		}
		for (long i = 0; i < n; i++) {
			assert_int_equal(buf[2 * i], fake_sample(index + (uint64_t)i, 0));
			assert_int_equal(buf[2 * i + 1], fake_sample(index + (uint64_t)i, 1));
		}
		expect = index + (uint64_t)n;
		got += (uint64_t)n;
	}
	assert_int_equal(got, want);
	assert_int_equal(gap_seen, p.gap_len != 0);
	assert_int_equal(hsc_local_dropped(c, id), 0);
	assert_int_equal(hsc_position(c, id, &pos, -1), 0);
	assert_int_equal(pos.link_frames, want);
	assert_int_equal(hsc_request(c, id, HSP_CLOSE, -1), 0);
	finish(c, f);
	free(buf);
	fake_free(f);
}

static void test_capture_reassembly(void **state)
{
	/* Message sizes from 1 frame to the largest payload (16377 frames of
	 * 4 bytes), read through a buffer that fits none of them. */
	static const uint32_t chunks[] = {1, 7, 480, 16377, 2, 333};
	fake_plan p = capture_plan(100000);

	p.chunks = chunks;
	p.n_chunks = 6;
	p.capture_start = 1u << 20;
	p.gap_at = 488;
	p.gap_len = 96;
	read_capture(p, 333);
}

static void test_trickle(void **state)
{
	/* Every byte of the server's in its own TCP segment: the handshake,
	 * OPENED, ACKs, POSITION and audio still arrive whole. */
	static const uint32_t chunks[] = {5, 480};
	fake_plan p = capture_plan(2000);

	p.trickle = true;
	p.chunks = chunks;
	p.n_chunks = 2;
	read_capture(p, 4096);
}

static void test_disconnect_mid_stream(void **state)
{
	fake_plan p = render_plan(1000);
	fake_server *f;
	int16_t *data = frames_pattern(48000);
	hsc_stream_info si;
	hsc_client *c;
	uint32_t id;
	long rc = 0;
	uint64_t sent = 0;

	p.close_after_frames = 3000;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	id = open_stream(c, "playback", &si);
	while (sent < 48000 && (rc = hsc_write(c, id, data + 2 * sent,
					       (uint32_t)(48000 - sent), 5000)) > 0)
		sent += (uint64_t)rc;
	assert_true(rc == -ECONNRESET || rc == -EPIPE);
	assert_true(sent >= 3000 && sent < 48000);
	assert_true(hsc_last_error(c)->fatal);
	assert_non_null(strstr(hsc_last_error(c)->text, "127.0.0.1"));
	assert_int_equal(hsc_request(c, id, HSP_STOP, -1), rc);
	/* CLOSE forgets the id all the same. */
	assert_int_equal(hsc_request(c, id, HSP_CLOSE, -1), rc);
	assert_int_equal(hsc_credit(c, id), 0);
	finish(c, f);
	free(data);
	fake_free(f);
}

static void test_truncated_message(void **state)
{
	fake_plan p = capture_plan(480);
	fake_server *f;
	int16_t buf[2 * 480];
	hsc_stream_info si;
	hsc_client *c;
	uint64_t index;
	uint32_t id;
	long n;

	p.truncated_tail = true;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	id = open_stream(c, "loopback", &si);
	assert_int_equal(hsc_request(c, id, HSP_START, -1), 0);
	/* The whole message that came is still handed out... */
	assert_int_equal(hsc_read(c, id, buf, 480, &index, -1), 480);
	/* ...then the connection closed inside the next one. */
	n = hsc_read(c, id, buf, 480, &index, -1);
	assert_int_equal(n, HSC_E_PROTO(HSP_ERR_TRUNCATED));
	assert_true(hsc_last_error(c)->fatal);
	finish(c, f);
	fake_free(f);
}

/* A header of a type version 1 lacks. */
static const uint8_t junk[] = {0x77, 0x77, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4};

static void test_malformed_bytes(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	hsc_open_args a = {.name = "playback"};
	hsc_client *c;

	p.garbage = junk;
	p.garbage_len = sizeof(junk);
	p.garbage_on_open = true;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	assert_int_equal(hsc_open(c, &a, &si), HSC_E_PROTO(HSP_ERR_UNKNOWN_TYPE));
	assert_true(hsc_last_error(c)->fatal);
	assert_false(hsc_last_error(c)->remote);
	assert_non_null(strstr(hsc_last_error(c)->text, "broke the protocol"));
	assert_int_equal(hsc_service(c, 0), HSC_E_PROTO(HSP_ERR_UNKNOWN_TYPE));
	finish(c, f);
	/* The client told the server why, with a fatal ERROR. */
	assert_int_equal(f->result.client_error.code, HSP_ERR_UNKNOWN_TYPE);
	assert_int_equal(f->result.client_error.fatal, 1);
	fake_free(f);
}

static void test_malformed_handshake(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_client *c = (hsc_client *)&c;
	char addr[64], why[256];

	p.garbage = junk;
	p.garbage_len = sizeof(junk);
	f = fake_start(&p);
	assert_non_null(f);
	fake_address(f, addr, sizeof(addr));
	/* Right behind HELLO_ACK: the connect itself fails, saying why. */
	assert_int_equal(hsc_connect(addr, NULL, &c, why, sizeof(why)),
			 HSC_E_PROTO(HSP_ERR_UNKNOWN_TYPE));
	assert_null(c);
	assert_non_null(strstr(why, "broke the protocol: unknown message type 0x7777"));
	fake_join(f);
	assert_int_equal(f->result.client_error.code, HSP_ERR_UNKNOWN_TYPE);
	fake_free(f);
}

static void test_keepalive(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	hsc_client *c;
	int64_t t0;

	p.idle_timeout_ms = 1000;
	f = fake_start(&p);
	assert_non_null(f);
	c = connect_to(f, 5000);
	assert_int_equal(hsc_server_idle_timeout_ms(c), 1000);
	open_stream(c, "playback", &si);
	t0 = fake_now_ms();
	while (!atomic_load(&f->keepalive_seen) && fake_now_ms() - t0 < 10000)
		assert_int_equal(hsc_service(c, 50), 0);
	assert_true(atomic_load(&f->keepalive_seen));
	finish(c, f);
	/* Not before a third of the idle timeout had passed in silence. */
	assert_true(f->result.keepalive_after_ms >= 1000 / 3);
	fake_free(f);
}

static void test_ipv6(void **state)
{
	fake_plan p = render_plan(100);
	fake_server *f;
	hsc_stream_info si;
	hsc_client *c;

	p.ipv6 = true;
	f = fake_start(&p);
	if (!f)
		skip(); /* no IPv6 loopback on this machine */
	c = connect_to(f, 5000);
	open_stream(c, "playback", &si);
	finish(c, f);
	fake_free(f);
}

static void test_refused(void **state)
{
	hsc_client *c = (hsc_client *)&c;
	char addr[64], why[256], want[128];
	uint16_t port = fake_unused_port();

	assert_true(port != 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_equal(hsc_connect(addr, NULL, &c, why, sizeof(why)), -ECONNREFUSED);
	assert_null(c);
	snprintf(want, sizeof(want), "cannot connect to %s: Connection refused", addr);
	assert_string_equal(why, want);
}

static void test_bad_address(void **state)
{
	static const char *const bad[] = {"127.0.0.1:", "[::1", "[::1]x", "host:12ab", ":80"};
	hsc_client *c;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hsc_connect(bad[i], NULL, &c, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, bad[i]));
	}
}

static void test_default_port(void **state)
{
	char want[32];

	assert_int_equal(HSC_DEFAULT_PORT, HSD_DEFAULT_PORT);
	snprintf(want, sizeof(want), "127.0.0.1:%d", HSD_DEFAULT_PORT);
	assert_string_equal(HSC_DEFAULT_SERVER, want);
}

/* PROTOCOL.md's example: L = 48000, P = 47904, W = 24012000, t = 5000 s. */
static void test_timing_example(void **state)
{
	const hsp_position p = {.link_frames = 48000, .dma_frames = 48064,
				.wall_ticks = 24012000, .mono_ns = 5000000000000ull,
				.real_ns = 1764655200000000000ull,
				.frames_sent = 48384, .frames_done = 47904, .underruns = 1};
	hsc_frame_time t;

	assert_int_equal(hsc_render_frame_time(&p, 48000, 48000, &t), 0);
	assert_int_equal(t.mono_ns, 5000002000000);   /* 5000.002 s */
	assert_int_equal(t.real_ns, 1764655200002000000);
	assert_int_equal(t.wall_ticks, 24060000);
	assert_int_equal(t.link_frame, 48096);
	/* A frame already played: earlier, by the same rule. */
	assert_int_equal(hsc_render_frame_time(&p, 48000, 47904 - 480, &t), 0);
	assert_int_equal(t.mono_ns, 5000000000000 - 10000000);
	assert_int_equal(t.link_frame, 48000 - 480);
	/* Capture: frame k was at t − (L − k) × 10^9 / r. */
	assert_int_equal(hsc_capture_frame_time(&p, 48000, 47904, &t), 0);
	assert_int_equal(t.mono_ns, 5000000000000 - 2000000);
	assert_int_equal(t.wall_ticks, 24012000 - 96 * 500);
	assert_int_equal(t.link_frame, 47904);
	/* Rounded toward minus infinity: one frame at 44.1 kHz is
	 * 22675.7 ns, and one frame before it 22676 ns earlier. */
	assert_int_equal(hsc_capture_frame_time(&p, 44100, 48001, &t), 0);
	assert_int_equal(t.mono_ns, 5000000000000 + 22675);
	assert_int_equal(hsc_capture_frame_time(&p, 44100, 47999, &t), 0);
	assert_int_equal(t.mono_ns, 5000000000000 - 22676);
	/* No overflow far out: 2^40 frames ahead (about 265 days). */
	assert_int_equal(hsc_render_frame_time(&p, 48000, 47904 + (1ull << 40), &t), 0);
	assert_int_equal(t.mono_ns - 5000000000000, (int64_t)((1ull << 40) * 62500 / 3));
	assert_int_equal(hsc_render_frame_time(&p, 0, 1, &t), -EINVAL);
}

/* ---- STATUS ------------------------------------------------------------- */

static const hsp_status_stream status_recs[2] = {
	{.name = "playback", .direction = HSP_DIR_RENDER, .state = HSP_SSTATE_RUNNING,
	 .flags = HSP_SS_ENGINE | HSP_SS_OWNER | HSP_SS_POSITION,
	 .format = {48000, 16, 16, 2}, .latency_frames = 160, .latency_us = 3333,
	 .buffer_bytes = 1536, .period_frames = 96, .fifo_bytes = 256,
	 .link_frames = 0x100000123ull, .dma_frames = 0x100000163ull,
	 .wall_ticks = 24000000, .mono_ns = 5000000000000ull,
	 .real_ns = 1764655200000000000ull, .frames = 96000, .underruns = 2,
	 .dropped = 7},
	{.name = "loopback", .direction = HSP_DIR_CAPTURE, .state = HSP_SSTATE_IDLE,
	 .format = {48000, 16, 16, 2}, .latency_frames = 160, .latency_us = 3333,
	 .buffer_bytes = 1536, .period_frames = 96, .fifo_bytes = 256,
	 .link_frames = 48000},
};

static const hsp_status_report status_report = {
	.tag = 1, .stream_count = 2, .clients = 3, .max_clients = 16,
	.uptime_ms = 123456, .server = "fake-hsd 9.9", .streams = status_recs,
};

/* The report arrives whole, every record by value, and HELLO offered the
 * capability. */
static void test_status(void **state)
{
	fake_plan p = render_plan(384);
	fake_server *f;
	hsc_client *c;
	hsc_status *st = malloc(sizeof(*st));

	assert_non_null(st);
	p.offer_status = true;
	p.status = &status_report;
	f = fake_start(&p);
	c = connect_to(f, 2000);
	assert_true(hsc_server_has_status(c));
	assert_int_equal(hsc_status_get(c, st, -1), 0);
	assert_int_equal(st->count, 2);
	assert_int_equal(st->report.clients, 3);
	assert_int_equal(st->report.max_clients, 16);
	assert_int_equal(st->report.uptime_ms, 123456);
	assert_string_equal(st->report.server, "fake-hsd 9.9");
	assert_null(st->report.streams);
	assert_null(st->report.records);
	for (unsigned i = 0; i < 2; i++) {
		hsp_status_stream want = status_recs[i];

		assert_string_equal(st->streams[i].name, want.name);
		assert_memory_equal(&st->streams[i], &want, sizeof(want));
	}
	/* A second request gets a fresh answer on the same connection. */
	assert_int_equal(hsc_status_get(c, st, -1), 0);
	assert_int_equal(st->count, 2);
	finish(c, f);
	assert_true(f->result.hello.caps & HSP_CAP_STATUS);
	assert_int_equal(f->result.requests[HSP_STATUS], 2);
	fake_free(f);
	free(st);
}

/* A server without the capability is not sent STATUS (an older one would
 * drop the connection for it); the connection stays usable. */
static void test_status_not_offered(void **state)
{
	fake_plan p = render_plan(384);
	fake_server *f = fake_start(&p);
	hsc_client *c = connect_to(f, 2000);
	hsc_status *st = malloc(sizeof(*st));
	hsc_stream_info si;

	assert_non_null(st);
	assert_false(hsc_server_has_status(c));
	assert_int_equal(hsc_status_get(c, st, -1), -EOPNOTSUPP);
	assert_non_null(strstr(hsc_last_error(c)->text, "does not offer STATUS"));
	open_stream(c, "playback", &si);
	finish(c, f);
	assert_int_equal(f->result.requests[HSP_STATUS], 0);
	fake_free(f);
	free(st);
}

/* A non-fatal ERROR answering STATUS comes back by name. */
static void test_status_error(void **state)
{
	fake_plan p = render_plan(384);
	fake_server *f;
	hsc_client *c;
	hsc_status *st = malloc(sizeof(*st));

	assert_non_null(st);
	p.offer_status = true;
	p.status_error = HSP_ERR_LIMIT;
	f = fake_start(&p);
	c = connect_to(f, 2000);
	assert_int_equal(hsc_status_get(c, st, -1), HSC_E_PROTO(HSP_ERR_LIMIT));
	assert_false(hsc_last_error(c)->fatal);
	finish(c, f);
	fake_free(f);
	free(st);
}

/* A malformed report is a protocol violation: the client answers with a
 * fatal ERROR naming it and drops the connection. */
static void test_status_malformed(void **state)
{
	static uint8_t bytes[1024];
	fake_plan p = render_plan(384);
	hsp_msg m = {.type = HSP_STATUS_REPORT, .u.status_report = status_report};
	fake_server *f;
	hsc_client *c;
	hsc_status *st = malloc(sizeof(*st));
	int n = hsp_encode(bytes, sizeof(bytes), &m);

	assert_non_null(st);
	assert_true(n > 0);
	/* The render record claims a listener. */
	bytes[HSP_HEADER_SIZE + HSP_STATUS_FIXED + 96] = 1;
	p.offer_status = true;
	p.status_bytes = bytes;
	p.status_len = (size_t)n;
	f = fake_start(&p);
	c = connect_to(f, 2000);
	assert_int_equal(hsc_status_get(c, st, -1), HSC_E_PROTO(HSP_ERR_BAD_MESSAGE));
	assert_true(hsc_last_error(c)->fatal);
	assert_non_null(strstr(hsc_last_error(c)->text, "listeners"));
	finish(c, f);
	assert_int_equal(f->result.client_error.code, HSP_ERR_BAD_MESSAGE);
	assert_int_equal(f->result.client_error.fatal, 1);
	fake_free(f);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_fields),
		cmocka_unit_test(test_small_window),
		cmocka_unit_test(test_large_write),
		cmocka_unit_test(test_slow_credit),
		cmocka_unit_test(test_no_credit_times_out),
		cmocka_unit_test(test_silent_server),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_fatal_error),
		cmocka_unit_test(test_stream_changed),
		cmocka_unit_test(test_capture_reassembly),
		cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_disconnect_mid_stream),
		cmocka_unit_test(test_truncated_message),
		cmocka_unit_test(test_malformed_bytes),
		cmocka_unit_test(test_malformed_handshake),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_address),
		cmocka_unit_test(test_default_port),
		cmocka_unit_test(test_timing_example),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_not_offered),
		cmocka_unit_test(test_status_error),
		cmocka_unit_test(test_status_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
