/* SPDX-License-Identifier: MIT */
/*
 * What hdastreamd's end-to-end tests share (test_e2e.c, test_e2e_more.c):
 * the daemon of the test file and its teardown, test clients on libhsp,
 * a render player sending the test signal after a lead of silence, and
 * capture listeners that keep frames where the stream's timeline puts
 * them.  Each including file defines nothing of these itself.
 */
#ifndef HSD_E2E_H
#define HSD_E2E_H

#include "hsd_testclient.h"
#include "testutil.h"

#define FRAME_BYTES 4
#define PLAY_FRAMES 24000u   /* half a second of the test signal */
#define MSG_FRAMES 480u

/* The daemon the current test file (or test) runs. */
static tc_daemon daemon_;

static inline int teardown(void **state)
{
	(void)state;
	tc_daemon_cleanup(&daemon_);
	return 0;
}

static inline tc_client *client(void)
{
	tc_client *c = tc_connect(daemon_.port);

	assert_non_null(c);
	assert_true(tc_hello(c));
	return c;
}

/* OPEN that must succeed; the OPENED. */
static inline hsp_opened open_ok(tc_client *c, const char *name, uint16_t interval_ms)
{
	hsp_msg m;

	assert_true(tc_open(c, name, HSP_DIR_ANY, interval_ms, &m));
	if (m.type == HSP_ERROR)
		fail_msg("OPEN %s: %s: %s", name, hsp_err_name(m.u.error.code), m.u.error.text);
	return m.u.opened;
}

static inline void expect_ack(tc_client *c, uint32_t tag, uint64_t *credit)
{
	hsp_msg m;

	for (;;) {
		assert_int_equal(tc_recv(c, &m, TC_WAIT_MS), 1);
		if (m.type == HSP_CREDIT && credit)
			*credit = m.u.credit.limit;
		if (m.type == HSP_ERROR)
			fail_msg("ERROR %s: %s", hsp_err_name(m.u.error.code), m.u.error.text);
		if (m.type == HSP_ACK && m.u.ack.tag == tag)
			return;
	}
}

/* ---- A render client playing the test signal ------------------------------ */

/* What a render client sends: LEAD_FRAMES of silence, then the test
 * signal from its frame 0.  The silence covers the device step in which
 * the emulator's line-out starts: the loopback places that step's first
 * line-out frames at the start of the capture's step, so the capture
 * sees a gap after them (libhda/emu, emu_codec_step_end), which must fall
 * in the silence and not in the signal.  A step is as long as the
 * device thread was late, so the lead is a whole second: 50 ms was not
 * always enough under ThreadSanitizer on a loaded machine. */
#define LEAD_FRAMES 48000u

static inline void client_frames(int16_t *pcm, uint64_t first, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (first + i < LEAD_FRAMES)
			pcm[2 * i] = pcm[2 * i + 1] = 0;
		else
			test_pattern(pcm + 2 * i, first + i - LEAD_FRAMES, 1);
}

/* Send client frames [from, to), as far as the credit goes; returns the
 * next frame to send. */
static inline uint64_t send_signal(tc_client *c, uint32_t id, uint64_t from, uint64_t to,
			    uint64_t limit)
{
	int16_t pcm[MSG_FRAMES * 2];

	while (from < to && from < limit) {
		uint64_t n = to - from;
		hsp_msg m = {.type = HSP_AUDIO};

		if (n > MSG_FRAMES)
			n = MSG_FRAMES;
		if (n > limit - from)
			n = limit - from;
		client_frames(pcm, from, (size_t)n);
		m.u.audio = (hsp_audio){.stream = id, .frame_index = from, .frames = (uint32_t)n,
					.payload_len = (uint32_t)n * FRAME_BYTES,
					.payload = (const uint8_t *)pcm};
		assert_true(tc_send(c, &m));
		from += n;
	}
	return from;
}

/* Play `frames` client frames on an opened render stream: a first window
 * before START, the rest as credit comes, then DRAIN and its ACK; an
 * ERROR fails the test.  hook(k), where given, runs once the daemon's
 * render step has taken client frame at[k] (the credit limit is the
 * ring's read index plus the window OPENED gave), and every hook must
 * have run by the end. */
static inline void play_hooked(tc_client *c, const hsp_opened *op, uint64_t frames,
			       const uint64_t *at, unsigned nhooks, void (*hook)(unsigned))
{
	uint64_t limit = op->window_frames, next;
	uint32_t start, drain = 0;
	unsigned k = 0;
	hsp_msg m;

	assert_true(limit > 0);
	next = send_signal(c, op->stream, 0, frames, limit);
	start = tc_request(c, HSP_START, op->stream);
	expect_ack(c, start, &limit);
	for (;;) {
		while (k < nhooks && limit - op->window_frames >= at[k])
			hook(k++);
		next = send_signal(c, op->stream, next, frames, limit);
		if (next == frames && !drain)
			drain = tc_request(c, HSP_DRAIN, op->stream);
		assert_int_equal(tc_recv(c, &m, TC_WAIT_MS), 1);
		if (m.type == HSP_CREDIT)
			limit = m.u.credit.limit;
		else if (m.type == HSP_ERROR)
			fail_msg("ERROR %s: %s", hsp_err_name(m.u.error.code), m.u.error.text);
		else if (m.type == HSP_ACK && drain && m.u.ack.tag == drain)
			break;
	}
	assert_int_equal(k, nhooks);
}

static inline void play(tc_client *c, const hsp_opened *op, uint64_t frames)
{
	play_hooked(c, op, frames, NULL, 0, NULL);
}

/* Where the test signal's frame 0 starts in pcm (its first 64 frames
 * match), or -1. */
static inline int64_t find_signal(const int16_t *pcm, uint64_t frames)
{
	int16_t head[64 * 2];

	test_pattern(head, 0, 64);
	for (uint64_t i = 0; i + 64 <= frames; i++)
		if (!memcmp(pcm + 2 * i, head, sizeof(head)))
			return (int64_t)i;
	return -1;
}

/* pcm from `at` holds the first `frames` frames of the signal exactly:
 * a gap, a repeat or a reset anywhere would shift or change a frame. */
static inline void check_signal(const int16_t *pcm, uint64_t at, uint64_t frames, const char *what)
{
	int16_t *want = malloc(frames * FRAME_BYTES);

	assert_non_null(want);
	test_pattern(want, 0, frames);
	for (uint64_t i = 0; i < frames * 2; i++)
		if (pcm[2 * at + i] != want[i])
			fail_msg("%s: frame %llu channel %llu is %d, the signal has %d", what,
				 (unsigned long long)(i / 2), (unsigned long long)(i % 2),
				 pcm[2 * at + i], want[i]);
	free(want);
}

/* ---- A capture listener on its own thread --------------------------------- */

typedef struct listener {
	tc_client *c;
	uint32_t id;
	pthread_t thread;
	_Atomic bool stop;
	int16_t *pcm;        /* frame first_index + i at i; lost frames 0 */
	uint64_t cap;
	/* Written by the listener's thread only; read by the test while it
	 * runs: pcm below `frames` is complete once `frames` says so. */
	_Atomic uint64_t frames;
	uint64_t first_index;
	unsigned gaps;       /* a frame_index that did not follow on: the
				daemon lost frames and said so by the jump */
	uint64_t gap_frames; /* the frames those jumps skipped */
	_Atomic bool failed;
} listener;

static inline void *listen_run(void *arg)
{
	listener *l = arg;
	hsp_msg m;

	uint64_t have = 0, n;

	while (!atomic_load(&l->stop) && have < l->cap) {
		int rc = tc_recv(l->c, &m, 200);

		if (rc < 0) {
			atomic_store(&l->failed, true);
			break;
		}
		if (rc == 0 || m.type != HSP_AUDIO)
			continue;
		if (!have && !l->gaps && !l->first_index)
			l->first_index = m.u.audio.frame_index;
		else if (m.u.audio.frame_index != l->first_index + have) {
			/* Frames the daemon lost (an audio thread later than
			 * the capture buffer on a loaded machine, say): keep
			 * the rest where the stream's timeline puts them, so
			 * that a loss can never pass for audio. */
			l->gaps++;
			if (m.u.audio.frame_index > l->first_index + have)
				l->gap_frames += m.u.audio.frame_index - l->first_index - have;
			if (getenv("E2E_DEBUG"))
				fprintf(stderr, "gap: at %llu, index %llu (%+lld)\n",
					(unsigned long long)have,
					(unsigned long long)m.u.audio.frame_index,
					(long long)(m.u.audio.frame_index - l->first_index - have));
			if (m.u.audio.frame_index < l->first_index + have)
				continue; /* would go back: not audio to keep */
			have = m.u.audio.frame_index - l->first_index;
			if (have >= l->cap)
				break;
		}
		n = m.u.audio.frames;
		if (n > l->cap - have)
			n = l->cap - have;
		memcpy(l->pcm + 2 * have, m.u.audio.payload, (size_t)n * FRAME_BYTES);
		have += n;
		atomic_store_explicit(&l->frames, have, memory_order_release);
	}
	return NULL;
}

static inline void listen_start(listener *l, uint64_t cap)
{
	hsp_opened op;
	uint32_t tag;

	memset(l, 0, sizeof(*l));
	l->c = client();
	op = open_ok(l->c, "loopback", 0);
	assert_int_equal(op.direction, HSP_DIR_CAPTURE);
	l->id = op.stream;
	tag = tc_request(l->c, HSP_START, l->id);
	expect_ack(l->c, tag, NULL);
	l->cap = cap;
	l->pcm = calloc((size_t)cap, FRAME_BYTES);
	assert_non_null(l->pcm);
	assert_int_equal(pthread_create(&l->thread, NULL, listen_run, l), 0);
}

static inline void listen_stop(listener *l)
{
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
}

static inline void listen_free(listener *l)
{
	tc_close(l->c);
	free(l->pcm);
}

#endif
