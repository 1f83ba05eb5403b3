/* SPDX-License-Identifier: MIT */
/*
 * Positions after late calls, pauses, a stale position buffer and a device
 * that is gone, on the emulator's manual clock, checked against the model's
 * ground truth (what crossed the link, what reached memory, what the
 * converter played or captured).
 */
#include <string.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "testutil.h"

#define NS_PER_MS 1000000ull
/* 48 kHz, 16-bit stereo: 192 bytes a millisecond; a 10 ms buffer. */
#define BYTES_PER_MS 192u
#define BUFFER 1920u

typedef struct stream {
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	unsigned sd;
	hda_codec_path path;
	hda_position_tracker tracker;
	hda_stream_position pos;
	uint64_t frames_before; /* converter frames before the last reset */
} stream;

/* A bus, one engine with a 10 ms buffer on a codec path, in Stop. */
static void stream_open(stream *s, const char *uri, hda_path_dir dir)
{
	memset(s, 0, sizeof(*s));
	assert_ok(hda_bus_open(uri, &s->bus));
	s->emu = hda_emu_from_bus(s->bus);
	assert_non_null(s->emu);
	assert_ok(test_path_engine(s->bus, dir, &s->path, &s->e, &s->conv));
	assert_ok(hda_allocate_dma_buffer(s->bus, s->e, BUFFER, &s->mdl, &s->size, &s->id,
					  &s->fifo));
	assert_int_equal(s->size, BUFFER);
	assert_ok(hda_get_engine_descriptor(s->bus, s->e, &s->sd));
	assert_ok(hda_codec_path_enable(s->bus, &s->path, s->id, s->conv));
	hda_position_tracker_reset(&s->tracker);
	assert_ok(hda_set_dma_engine_state(s->bus, HDA_STREAM_STATE_STOP, 1, &s->e));
}

static void set_state(stream *s, hda_stream_state st)
{
	assert_ok(hda_set_dma_engine_state(s->bus, st, 1, &s->e));
}

static void advance_ms(stream *s, double ms)
{
	assert_ok(hda_emu_advance(s->emu, (uint64_t)(ms * (double)NS_PER_MS)));
}

/* Track, then hold the result against the model's truth: exactly (the
 * manual clock leaves no room for rounding). */
static void track_exact(stream *s, const char *what)
{
	hda_emu_stream_truth truth;
	hda_position p;
	uint64_t frames;

	assert_ok(hda_position_track(s->bus, s->e, &s->tracker, &s->pos));
	assert_ok(hda_emu_stream_truth_get(s->emu, s->sd, &truth));
	assert_ok(hda_emu_converter_frames(s->emu, s->path.converter, &frames));
	frames -= s->frames_before; /* the converter counts from the bus open */
	if (s->pos.link_bytes != truth.link_bytes || s->pos.dma_bytes != truth.dma_bytes ||
	    s->pos.converter_frames != frames)
		fail_msg("%s: link %llu dma %llu frames %llu; truth: link %llu dma %llu "
			 "frames %llu",
			 what, (unsigned long long)s->pos.link_bytes,
			 (unsigned long long)s->pos.dma_bytes,
			 (unsigned long long)s->pos.converter_frames,
			 (unsigned long long)truth.link_bytes,
			 (unsigned long long)truth.dma_bytes, (unsigned long long)frames);
	/* the fill measured in the snapshot is the model's */
	assert_int_equal(s->pos.fifo_fill, truth.dma_bytes > truth.link_bytes
						   ? truth.dma_bytes - truth.link_bytes
						   : truth.link_bytes - truth.dma_bytes);
	assert_ok(hda_read_position(s->bus, s->e, &p));
	assert_int_equal(p.sample_rate, 48000);
	assert_int_equal(p.fifo_fill, s->pos.fifo_fill);
}

/* Calls 1.5, 3 and 10 buffers apart (3 and 10 leave the ring position
 * where it was), then the 15 ms pattern that used to lose 1920 bytes a
 * call, between on-time calls. */
static void late_calls(const char *uri, hda_path_dir dir)
{
	static const double gaps_ms[] = {2, 15, 4, 30, 5, 100, 3, 15, 15, 15, 15, 15, 15,
					 15, 15, 15, 15, 1789.5, 7};
	stream s;

	stream_open(&s, uri, dir);
	set_state(&s, HDA_STREAM_STATE_RUN);
	track_exact(&s, "start");
	for (size_t i = 0; i < sizeof(gaps_ms) / sizeof(gaps_ms[0]); i++) {
		char what[64];

		advance_ms(&s, gaps_ms[i]);
		snprintf(what, sizeof(what), "call %zu, %.1f ms after the last", i, gaps_ms[i]);
		track_exact(&s, what);
		assert_false(s.pos.stalled);
	}
	assert_true(s.pos.link_bytes > 100 * BUFFER);
	hda_bus_close(s.bus);
}

static void late_calls_render(void **state)
{
	(void)state;
	late_calls("emu:clock=manual", HDA_PATH_OUTPUT);
}

static void late_calls_render_derived(void **state)
{
	(void)state;
	late_calls("emu:clock=manual,mapregs=off", HDA_PATH_OUTPUT);
}

static void late_calls_capture(void **state)
{
	(void)state;
	late_calls("emu:clock=manual,mic=sine:1000", HDA_PATH_INPUT);
}

/* Only running time counts: Stop, a long pause (many buffers of wall
 * clock, and not a whole number of them) and Run again add no wrap, even
 * with several of them inside one interval between calls. */
static void pause_gives_no_phantom_wraps(void **state)
{
	hda_position p;
	uint32_t run;
	stream s;

	(void)state;
	stream_open(&s, "emu:clock=manual", HDA_PATH_OUTPUT);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 23);
	track_exact(&s, "before the pause");

	/* stopped: run_ticks stands still, positions too */
	set_state(&s, HDA_STREAM_STATE_STOP);
	assert_ok(hda_read_position(s.bus, s.e, &p));
	assert_false(p.running);
	run = p.run_ticks;
	assert_int_equal(run, 23 * 24000);
	advance_ms(&s, 1234.5);
	assert_ok(hda_read_position(s.bus, s.e, &p));
	assert_int_equal(p.run_ticks, run);
	track_exact(&s, "during the pause");
	assert_false(s.pos.late);
	assert_false(s.pos.stalled);
	advance_ms(&s, 777.7);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 6);
	track_exact(&s, "after the pause");

	/* 6 ms, stop, 95 ms, run 3 ms, stop, 50 ms, run 5 ms, stop, 333 ms,
	 * run 4 ms: 18 ms of running, 496 ms of wall clock */
	advance_ms(&s, 6);
	set_state(&s, HDA_STREAM_STATE_STOP);
	advance_ms(&s, 95);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 3);
	set_state(&s, HDA_STREAM_STATE_STOP);
	advance_ms(&s, 50);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 5);
	set_state(&s, HDA_STREAM_STATE_STOP);
	advance_ms(&s, 333);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 4);
	track_exact(&s, "after three pauses in one interval");
	assert_true(s.pos.late); /* 18 ms moved: more than a buffer */

	/* a reset starts everything from 0 again, the running time too */
	set_state(&s, HDA_STREAM_STATE_STOP);
	set_state(&s, HDA_STREAM_STATE_RESET);
	assert_ok(hda_read_position(s.bus, s.e, &p));
	assert_int_equal(p.run_ticks, 0);
	hda_position_tracker_reset(&s.tracker);
	assert_ok(hda_emu_converter_frames(s.emu, s.path.converter, &s.frames_before));
	set_state(&s, HDA_STREAM_STATE_STOP);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 25);
	track_exact(&s, "after a reset");
	hda_bus_close(s.bus);
}

/* late: the DMA position moved more than CBL - FIFO (1920 - 256 = 1664
 * bytes, 8.67 ms) since the previous call. */
static void late_call_is_flagged(void **state)
{
	stream s;

	(void)state;
	stream_open(&s, "emu:clock=manual", HDA_PATH_OUTPUT);
	assert_int_equal(s.fifo, 256);
	set_state(&s, HDA_STREAM_STATE_RUN);
	track_exact(&s, "start");
	assert_false(s.pos.late); /* the FIFO's 256 bytes */
	for (unsigned i = 0; i < 20; i++) {
		advance_ms(&s, 5);
		track_exact(&s, "on time");
		assert_false(s.pos.late);
	}
	advance_ms(&s, 8.5); /* 1632 bytes */
	track_exact(&s, "just in time");
	assert_false(s.pos.late);
	assert_int_equal(s.tracker.late_calls, 0);
	advance_ms(&s, 9); /* 1728 bytes */
	track_exact(&s, "late");
	assert_true(s.pos.late);
	assert_int_equal(s.tracker.late_calls, 1);
	advance_ms(&s, 1);
	track_exact(&s, "on time again");
	assert_false(s.pos.late);
	advance_ms(&s, 35);
	track_exact(&s, "late by 3.5 buffers");
	assert_true(s.pos.late);
	assert_int_equal(s.tracker.late_calls, 2);
	hda_bus_close(s.bus);
}

/* With LPIB mapped, a position buffer that stops mid-stream is found out
 * on the next call at least 2 ms later (more than the FIFO: the pair then
 * implies an impossible fill) and LPIB takes over; once the buffer moves
 * again it is trusted again.  The positions stay the truth throughout,
 * late calls included. */
static void stale_posbuf_falls_back_to_lpib(const char *uri, hda_path_dir dir)
{
	static const double gaps_ms[] = {2, 3, 15, 4, 30, 2, 100, 3};
	hda_position p;
	stream s;

	stream_open(&s, uri, dir);
	set_state(&s, HDA_STREAM_STATE_RUN);
	for (unsigned i = 0; i < 5; i++) {
		advance_ms(&s, 3);
		track_exact(&s, "before the fault");
		assert_false(s.pos.posbuf_stale);
	}
	assert_ok(hda_emu_inject_fault(s.emu, HDA_EMU_FAULT_POSBUF_STALE, true));
	for (size_t i = 0; i < sizeof(gaps_ms) / sizeof(gaps_ms[0]); i++) {
		advance_ms(&s, gaps_ms[i]);
		track_exact(&s, "position buffer stale");
		assert_true(s.pos.posbuf_stale);
		assert_false(s.pos.stalled);
		assert_ok(hda_read_position(s.bus, s.e, &p));
		assert_true(p.posbuf_stale);
	}
	assert_ok(hda_emu_inject_fault(s.emu, HDA_EMU_FAULT_POSBUF_STALE, false));
	for (unsigned i = 0; i < 5; i++) {
		advance_ms(&s, 3);
		track_exact(&s, "after the fault");
		assert_false(s.pos.posbuf_stale);
	}
	hda_bus_close(s.bus);
}

static void stale_posbuf_render(void **state)
{
	(void)state;
	stale_posbuf_falls_back_to_lpib("emu:clock=manual", HDA_PATH_OUTPUT);
}

static void stale_posbuf_capture(void **state)
{
	(void)state;
	stale_posbuf_falls_back_to_lpib("emu:clock=manual,mic=sine:1000", HDA_PATH_INPUT);
}

/* Without LPIB there is nothing to fall back to: a position that stands
 * still for more than a quarter buffer of running time is reported as
 * stalled and held; once the buffer moves again the positions are exact,
 * wraps during the fault included. */
static void stale_posbuf_without_lpib(void **state)
{
	hda_stream_position held;
	stream s;

	(void)state;
	stream_open(&s, "emu:clock=manual,mapregs=off", HDA_PATH_OUTPUT);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 7);
	track_exact(&s, "before the fault");
	held = s.pos;
	assert_ok(hda_emu_inject_fault(s.emu, HDA_EMU_FAULT_POSBUF_STALE, true));
	advance_ms(&s, 1); /* 192 bytes: not yet a quarter buffer */
	assert_ok(hda_position_track(s.bus, s.e, &s.tracker, &s.pos));
	assert_false(s.pos.stalled);
	assert_int_equal(s.pos.link_bytes, held.link_bytes);
	for (unsigned i = 0; i < 6; i++) {
		advance_ms(&s, 5.5);
		assert_ok(hda_position_track(s.bus, s.e, &s.tracker, &s.pos));
		assert_true(s.pos.stalled);
		assert_false(s.pos.late);
		assert_int_equal(s.pos.link_bytes, held.link_bytes);
		assert_int_equal(s.pos.dma_bytes, held.dma_bytes);
	}
	assert_int_equal(s.tracker.stalled_calls, 6);
	assert_ok(hda_emu_inject_fault(s.emu, HDA_EMU_FAULT_POSBUF_STALE, false));
	advance_ms(&s, 2);
	track_exact(&s, "after 36 ms of a stale position buffer");
	assert_false(s.pos.stalled);
	assert_true(s.pos.late);
	advance_ms(&s, 3);
	track_exact(&s, "after the fault");
	hda_bus_close(s.bus);
}

/* Once the device is gone both routines say so, and the tracker is left
 * as it was. */
static void gone_device_is_reported(void **state)
{
	hda_position_tracker before;
	hda_position p;
	stream s;

	(void)state;
	stream_open(&s, "emu:clock=manual", HDA_PATH_OUTPUT);
	set_state(&s, HDA_STREAM_STATE_RUN);
	advance_ms(&s, 4);
	track_exact(&s, "alive");
	assert_ok(hda_emu_inject_fault(s.emu, HDA_EMU_FAULT_DEVICE_GONE, true));
	before = s.tracker;
	assert_status(hda_read_position(s.bus, s.e, &p), HDA_STATUS_DEVICE_NOT_READY);
	assert_status(hda_position_track(s.bus, s.e, &s.tracker, &s.pos),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_memory_equal(&before, &s.tracker, sizeof(before));
	hda_bus_close(s.bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(late_calls_render),
		cmocka_unit_test(late_calls_render_derived),
		cmocka_unit_test(late_calls_capture),
		cmocka_unit_test(pause_gives_no_phantom_wraps),
		cmocka_unit_test(late_call_is_flagged),
		cmocka_unit_test(stale_posbuf_render),
		cmocka_unit_test(stale_posbuf_capture),
		cmocka_unit_test(stale_posbuf_without_lpib),
		cmocka_unit_test(gone_device_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
