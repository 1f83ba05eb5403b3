/* SPDX-License-Identifier: MIT */
/*
 * Positions on QEMU's intel-hda: calls late by 1.5, 3 and 10 buffers of
 * 100 ms, against what QEMU's LPIB did meanwhile (sampled densely, without
 * the tracker) and what QEMU wrote to its WAV file; and a QEMU that was
 * killed, which the position routines must report without a register
 * access.  QEMU runs in real time: every wait is for a condition, bounded.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "hda/hda_codec.h"
#include "hda/hda_qemu.h"
#include "testaudio.h"

#define BUFFER 19200u /* 100 ms at 48 kHz, 16-bit stereo */
#define BYTES_PER_S (48000u * 4u)
#define TICKS_PER_MS 24000u
/* What reaches the WAV file trails the position by at most the codec's
 * 8 KiB, the wav backend's 4 KiB stdio buffer and its 2 ms timer
 * (test_qemu_audio.c has the same bound), in frames. */
#define PLAYED_SLACK_FRAMES (8192 / 4 + 4096 / 4 + 2 * 48)

typedef struct stream {
	hda_bus *bus;
	hda_engine e;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	int efd;
	hda_position_tracker tracker;
	hda_stream_position pos;
	uint64_t written;
} stream;

static void stream_open(stream *s, const char *uri)
{
	hda_codec_path path;

	memset(s, 0, sizeof(*s));
	assert_ok(hda_bus_open(uri, &s->bus));
	assert_ok(test_path_engine(s->bus, HDA_PATH_OUTPUT, &path, &s->e, &s->conv));
	assert_ok(test_allocate_buffer(s->bus, s->e, 2, BUFFER, &s->mdl, &s->size, &s->id,
				       &s->fifo));
	assert_int_equal(s->size, BUFFER);
	s->efd = eventfd(0, EFD_CLOEXEC);
	assert_true(s->efd >= 0);
	assert_ok(hda_register_notification_event(s->bus, s->e, s->efd));
	assert_ok(hda_codec_path_enable(s->bus, &path, s->id, s->conv));
	hda_position_tracker_reset(&s->tracker);
	assert_ok(hda_set_dma_engine_state(s->bus, HDA_STREAM_STATE_STOP, 1, &s->e));
	test_fill(s->mdl->base, s->size, &s->written, s->size, UINT64_MAX);
	assert_ok(hda_set_dma_engine_state(s->bus, HDA_STREAM_STATE_RUN, 1, &s->e));
}

static void stream_close(stream *s)
{
	hda_bus_close(s->bus);
	close(s->efd);
}

/* On-time calls: one per notification (two a buffer), refilling. */
static void play(stream *s, int periods)
{
	for (int i = 0; i < periods; i++) {
		if (wait_eventfd(s->efd, 1, 2000) == 0)
			fail_msg("no interrupt from QEMU's controller for 2 s");
		assert_ok(hda_position_track(s->bus, s->e, &s->tracker, &s->pos));
		test_fill(s->mdl->base, s->size, &s->written, s->pos.dma_bytes + s->size,
			  UINT64_MAX);
	}
}

static uint32_t ring_delta(uint32_t now, uint32_t last)
{
	return (now + BUFFER - last) % BUFFER;
}

/*
 * Leave the tracker alone for gap_ms of running, while this thread samples
 * LPIB with hda_read_position every millisecond or so and unwraps it
 * itself (samples far less than a buffer apart cannot miss a wrap).  Then
 * one late call.  The tracker must count the same wraps, whenever the
 * documented bound held: QEMU's link stayed within half a buffer of the
 * nominal rate times the running time.  Returns whether it held.
 */
static bool late_call(stream *s, const char *wav, unsigned gap_ms)
{
	const struct timespec ms = {0, 1000000};
	hda_position p, last;
	uint64_t ref = s->tracker.link_bytes, dense = ref, expect, moved, miss, before, after;
	uint64_t late_calls = s->tracker.late_calls;
	uint32_t run0 = s->tracker.last_run, widest = 0;

	assert_ok(hda_read_position(s->bus, s->e, &last));
	dense += ring_delta(last.link, (uint32_t)(dense % BUFFER));
	do {
		nanosleep(&ms, NULL);
		assert_ok(hda_read_position(s->bus, s->e, &p));
		dense += ring_delta(p.link, last.link);
		if (p.wall_clock - last.wall_clock > widest)
			widest = p.wall_clock - last.wall_clock;
		last = p;
	} while (p.run_ticks - run0 < gap_ms * TICKS_PER_MS);
	before = test_wav_frames_on_disk(wav);
	assert_ok(hda_position_track(s->bus, s->e, &s->tracker, &s->pos));
	after = test_wav_frames_on_disk(wav);

	/* The documented bound: the link moved within half a buffer of the
	 * rate times the running time.  Here with 2 KiB to spare for the
	 * moment between the last sample and the tracker's snapshot, and
	 * with samples close enough (20 ms) that this thread saw every wrap.
	 * A machine too slow for either is no verdict on the tracker. */
	moved = dense - ref;
	expect = (uint64_t)(last.run_ticks - run0) * BYTES_PER_S / (TICKS_PER_MS * 1000);
	miss = moved > expect ? moved - expect : expect - moved;
	printf("late call after %u ms: tracked %llu bytes, sampled %llu; LPIB moved %llu, "
	       "the rate says %llu; widest sample gap %.1f ms\n",
	       gap_ms, (unsigned long long)s->pos.link_bytes, (unsigned long long)dense,
	       (unsigned long long)moved, (unsigned long long)expect,
	       widest / (double)TICKS_PER_MS);
	if (widest > 20 * TICKS_PER_MS || miss + 2048 >= BUFFER / 2)
		return false;
	/* the same wraps as the dense samples */
	if (s->pos.link_bytes < dense || s->pos.link_bytes - dense >= BUFFER / 2)
		fail_msg("tracked %llu bytes, LPIB sampled every millisecond says %llu",
			 (unsigned long long)s->pos.link_bytes, (unsigned long long)dense);
	/* what QEMU played: never ahead of the position, behind it by at
	 * most the codec's and the wav backend's buffering */
	if (before > s->pos.converter_frames ||
	    (after < s->pos.converter_frames &&
	     s->pos.converter_frames - after > PLAYED_SLACK_FRAMES))
		fail_msg("position %llu frames, QEMU played %llu..%llu",
			 (unsigned long long)s->pos.converter_frames, (unsigned long long)before,
			 (unsigned long long)after);
	assert_true(s->pos.late);
	assert_int_equal(s->tracker.late_calls, late_calls + 1);
	return true;
}

static void late_calls_over_a_100ms_buffer(void **state)
{
	char dir[] = "/tmp/hda-qemu-pos-XXXXXX", wav[128], uri[256];
	static const unsigned gaps_ms[] = {150, 300, 1000};
	stream s;
	unsigned held = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(wav, sizeof(wav), "%s/out.wav", dir);
	snprintf(uri, sizeof(uri), "qemu:wav=%s", wav);
	stream_open(&s, uri);
	play(&s, 6);
	for (size_t i = 0; i < sizeof(gaps_ms) / sizeof(gaps_ms[0]); i++) {
		held += late_call(&s, wav, gaps_ms[i]);
		play(&s, 4);
	}
	stream_close(&s);
	unlink(wav);
	rmdir(dir);
	if (!held)
		skip();
}

/* A killed QEMU closes its socket; the backend's reader thread notices and
 * the position routines, which never touch a register on this backend,
 * report DEVICE_NOT_READY instead of a frozen position and a moving
 * WALCLK. */
static void killed_qemu_is_reported(void **state)
{
	const struct timespec ms = {0, 1000000};
	hda_position p;
	hda_status st;
	stream s;
	uint64_t t0;

	(void)state;
	stream_open(&s, "qemu:timeout_ms=500");
	play(&s, 2);
	assert_ok(hda_read_position(s.bus, s.e, &p));
	assert_int_equal(kill(hda_qemu_pid(s.bus), SIGKILL), 0);
	t0 = test_now_ms();
	while ((st = hda_read_position(s.bus, s.e, &p)) == HDA_STATUS_SUCCESS &&
	       test_now_ms() - t0 < 5000)
		nanosleep(&ms, NULL);
	assert_status(st, HDA_STATUS_DEVICE_NOT_READY);
	assert_status(hda_position_track(s.bus, s.e, &s.tracker, &s.pos),
		      HDA_STATUS_DEVICE_NOT_READY);
	stream_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(late_calls_over_a_100ms_buffer),
		cmocka_unit_test(killed_qemu_is_reported),
	};

	skip_without_qemu("qemu");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
