/* SPDX-License-Identifier: MIT */
/*
 * DDI rules that need the emulator's fault injection or its configuration:
 * DEVICE_NOT_READY on hardware timeouts, INSUFFICIENT_RESOURCES when memory
 * runs out, and the FIFO size read from SDnFIFOS.
 */
#include <stdio.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "testutil.h"

static hda_engine render_engine(hda_bus *bus, const hda_stream_format *fmt)
{
	hda_engine e;
	uint16_t conv;

	assert_ok(hda_allocate_render_dma_engine(bus, fmt, false, &e, &conv));
	return e;
}

static void bringup_timeouts(void **state)
{
	hda_bus *bus = NULL;
	uint64_t t0 = test_now_ms();

	(void)state;
	char why[256];

	/* the controller never leaves reset */
	assert_status(hda_bus_open_ex("emu:clock=manual,fault=crst", &bus, why, sizeof(why)),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_non_null(strstr(why, "GCTL.CRST"));
	/* the codec never answers: its function group cannot be found */
	assert_status(hda_bus_open_ex("emu:clock=manual,fault=codec", &bus, why, sizeof(why)),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_non_null(strstr(why, "codec 0 does not answer"));
	/* the device is gone before we start */
	assert_status(hda_bus_open_ex("emu:clock=manual,fault=gone", &bus, why, sizeof(why)),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_non_null(strstr(why, "does not answer"));
	assert_null(bus);
	/* Bounded: three failed bring-ups within a generous margin of their
	 * documented bounds (100 ms controller reset, 100 ms per verb). */
	assert_true(test_now_ms() - t0 < 5000);
}

static void stream_reset_timeout(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	hda_mdl *m = NULL;
	size_t sz = 0;
	uint8_t id = 0;
	uint32_t fifo = 0;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	assert_non_null(emu);
	e = render_engine(bus, &FMT_48K_16_2);

	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_STREAM_RESET_STUCK, true));
	assert_status(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo),
		      HDA_STATUS_DEVICE_NOT_READY);
	/* out-parameters untouched, nothing left allocated */
	assert_null(m);
	assert_int_equal(sz, 0);
	assert_status(hda_free_dma_buffer(bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);

	/* the hardware recovers: the same engine works */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_STREAM_RESET_STUCK, false));
	assert_ok(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo));

	/* a reset that never completes on the way back to Reset */
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_STREAM_RESET_STUCK, true));
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &e),
		      HDA_STATUS_DEVICE_NOT_READY);
	/* the registers are half reset: the engine may not run on them ... */
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	/* ... but the reset may be tried again */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_STREAM_RESET_STUCK, false));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &e));
	hda_bus_close(bus);
}

static void fifos_never_valid(void **state)
{
	hda_bus *bus;
	hda_engine e;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	e = render_engine(bus, &FMT_48K_16_2);
	assert_ok(hda_emu_inject_fault(hda_emu_from_bus(bus), HDA_EMU_FAULT_FIFOS_ZERO, true));
	assert_status(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo),
		      HDA_STATUS_DEVICE_NOT_READY);
	hda_bus_close(bus);
}

static void start_never_ready(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	unsigned sd;
	hda_emu_stream_truth truth;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	e = render_engine(bus, &FMT_48K_16_2);
	assert_ok(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo));
	assert_ok(hda_get_engine_descriptor(bus, e, &sd));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	/* the FIFO never reports ready: the start times out ... */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_NEVER_READY, true));
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e),
		      HDA_STATUS_DEVICE_NOT_READY);
	/* ... and the engine did not start behind the caller's back */
	assert_ok(hda_emu_advance(emu, 10000000));
	assert_ok(hda_emu_stream_truth_get(emu, sd, &truth));
	assert_false(truth.running);
	assert_int_equal(truth.link_bytes, 0);
	/* still in Stop: it may go back to Reset, or start once ready */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_NEVER_READY, false));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_emu_advance(emu, 10000000));
	assert_ok(hda_emu_stream_truth_get(emu, sd, &truth));
	assert_true(truth.running);
	assert_int_equal(truth.link_bytes, 480 * 4);
	hda_bus_close(bus);
}

static void isr_nop(void *ctx, uint32_t sts)
{
	(void)ctx;
	(void)sts;
}

/* A 4 KiB contiguous buffer whose caller-written BDL has two 2 KiB
 * entries. */
static void contiguous_two_entries(hda_bus *bus, hda_engine e, uint32_t flags)
{
	hda_mdl *data;
	hda_bdl_entry *bdl;

	assert_ok(hda_allocate_contiguous_dma_buffer(bus, e, 4096, &data, &bdl));
	for (unsigned i = 0; i < 2; i++)
		bdl[i] = (hda_bdl_entry){data->pages[0].bus + i * 2048, 2048, flags};
}

/* A BDL setup whose hardware programming timed out leaves an engine that
 * cannot be started; a second setup may succeed. */
static void failed_bdl_setup_cannot_run(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	uint8_t id;
	uint32_t fifo;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	e = render_engine(bus, &FMT_48K_16_2);
	contiguous_two_entries(bus, e, HDA_BDL_IOC);
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFOS_ZERO, true));
	assert_status(hda_setup_dma_engine_with_bdl(bus, e, 4096, 1, isr_nop, NULL, &id, &fifo),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFOS_ZERO, false));
	assert_ok(hda_setup_dma_engine_with_bdl(bus, e, 4096, 1, isr_nop, NULL, &id, &fifo));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	hda_bus_close(bus);
}

/* The caller's BDL page is checked and copied at setup: rewriting it
 * afterwards cannot point the engine elsewhere. */
static void bdl_rewritten_after_setup(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	hda_mdl *data;
	hda_bdl_entry *bdl;
	uint8_t id;
	uint32_t fifo;
	unsigned sd;
	hda_emu_stream_truth truth;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	e = render_engine(bus, &FMT_48K_16_2);
	assert_ok(hda_get_engine_descriptor(bus, e, &sd));
	assert_ok(hda_allocate_contiguous_dma_buffer(bus, e, 4096, &data, &bdl));
	for (unsigned i = 0; i < 2; i++)
		bdl[i] = (hda_bdl_entry){data->pages[0].bus + i * 2048, 2048, 0};
	assert_ok(hda_setup_dma_engine_with_bdl(bus, e, 4096, 1, isr_nop, NULL, &id, &fifo));
	/* point every entry at bus address 0: outside any allocation */
	for (unsigned i = 0; i < 2; i++)
		bdl[i].address = 0;
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_emu_advance(emu, 100000000)); /* 100 ms: many wraps */
	assert_ok(hda_emu_stream_truth_get(emu, sd, &truth));
	assert_true(truth.running); /* no descriptor error stopped it */
	assert_int_equal(truth.link_bytes, 4800 * 4);
	hda_bus_close(bus);
}

/* With a FIFO as large as the requested buffer, the buffer grows past it. */
static void buffer_larger_than_fifo(void **state)
{
	hda_bus *bus;
	hda_engine e;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,fifo=4096", &bus));
	e = render_engine(bus, &FMT_48K_16_2);
	assert_ok(hda_allocate_dma_buffer(bus, e, 1920, &m, &sz, &id, &fifo));
	assert_int_equal(fifo, 4096);
	assert_int_equal(sz, 4096 + 128); /* the closest size above the FIFO */
	hda_bus_close(bus);
}

/* A position buffer that lags LPIB (here: stops) never yields a snapshot
 * whose FIFO fill is impossible: LPIB is trusted and the DMA position
 * derived from it (test_positions.c checks both against the truth), and
 * the tracked link never goes backwards. */
static void stale_position_buffer(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	hda_position p;
	hda_position_tracker t;
	hda_stream_position pos, last = {0};

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	e = render_engine(bus, &FMT_48K_16_2);
	assert_ok(hda_allocate_dma_buffer(bus, e, 19200, &m, &sz, &id, &fifo));
	hda_position_tracker_reset(&t);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	for (unsigned i = 0; i < 40; i++) {
		if (i == 10)
			assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_POSBUF_STALE, true));
		if (i == 30)
			assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_POSBUF_STALE, false));
		assert_ok(hda_emu_advance(emu, 1000000));
		assert_ok(hda_read_position(bus, e, &p));
		assert_true(p.render);
		assert_true((p.dma + p.cbl - p.link) % p.cbl <= p.fifo_size);
		assert_ok(hda_position_track(bus, e, &t, &pos));
		assert_true(pos.link_bytes >= last.link_bytes);
		assert_true(pos.dma_bytes - pos.link_bytes <= fifo);
		last = pos;
	}
	/* once the buffer moves again, the positions are the truth again */
	assert_int_equal(pos.link_bytes, 40 * 48 * 4);
	hda_bus_close(bus);
}

/* A WAV sink on a full disk: the error names the file, the stream goes on. */
static void sink_on_a_full_disk(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	hda_mdl *m;
	size_t sz, n;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	hda_codec_path paths[16], *out = NULL;
	char msg[256];

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,lineout=wav:/dev/full", &bus));
	emu = hda_emu_from_bus(bus);
	assert_ok(hda_codec_find_paths(bus, 0, paths, 16, &n));
	for (size_t i = 0; i < n && !out; i++)
		if (paths[i].device == HDA_PIN_LINE_OUT)
			out = &paths[i];
	assert_non_null(out);
	assert_ok(hda_emu_sink_error(emu, out->pin, msg, sizeof(msg)));
	assert_string_equal(msg, "");
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv));
	assert_ok(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo));
	assert_ok(hda_codec_path_enable(bus, out, id, conv));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_emu_advance(emu, 50000000));
	assert_status(hda_emu_sink_error(emu, out->pin, msg, sizeof(msg)),
		      HDA_STATUS_UNSUCCESSFUL);
	assert_non_null(strstr(msg, "/dev/full"));
	/* the controller did not notice: the converter played on */
	{
		uint64_t frames;

		assert_ok(hda_emu_converter_frames(emu, out->converter, &frames));
		assert_int_equal(frames, 2400);
	}
	assert_status(hda_emu_sink_error(emu, 0x01, msg, sizeof(msg)),
		      HDA_STATUS_INVALID_PARAMETER);
	hda_bus_close(bus);
}

static void codec_goes_silent(void **state)
{
	hda_bus *bus;
	hda_codec_transfer t = {.command = hda_verb12(0, 0, 0xF00, 0)};

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	assert_ok(hda_emu_inject_fault(hda_emu_from_bus(bus), HDA_EMU_FAULT_CODEC_SILENT, true));
	/* SUCCESS with an invalid response: the codec timed out */
	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_false(t.response.is_valid);
	assert_ok(hda_emu_inject_fault(hda_emu_from_bus(bus), HDA_EMU_FAULT_CODEC_SILENT, false));
	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
	assert_int_equal(t.response.response, 0x1d170001);
	hda_bus_close(bus);
}

static void device_gone_mid_stream(void **state)
{
	hda_bus *bus;
	hda_engine e;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	hda_codec_transfer t = {.command = hda_verb12(0, 0, 0xF00, 0)};

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	e = render_engine(bus, &FMT_48K_16_2);
	assert_ok(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_emu_advance(hda_emu_from_bus(bus), 5000000));
	assert_ok(hda_emu_inject_fault(hda_emu_from_bus(bus), HDA_EMU_FAULT_DEVICE_GONE, true));
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_status(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL), HDA_STATUS_DEVICE_NOT_READY);
	hda_bus_close(bus); /* bounded, and frees everything (ASan checks) */
}

static void out_of_dma_memory(void **state)
{
	hda_bus *bus;
	hda_engine e[4];
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	unsigned ok = 0;
	hda_status st = HDA_STATUS_SUCCESS;

	(void)state;
	/* 1 MiB of DMA memory: a 4 MiB buffer cannot be had, and the call
	 * fails rather than silently shrinking the buffer. */
	assert_ok(hda_bus_open("emu:clock=manual,dma_mb=1", &bus));
	e[0] = render_engine(bus, &FMT_48K_16_2);
	assert_status(hda_allocate_dma_buffer(bus, e[0], 4u << 20, &m, &sz, &id, &fifo),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	/* 400 KiB buffers (100 pages + a BDL page each, beside the ring page
	 * out of 256 pages): the third does not fit */
	for (unsigned i = 0; i < 4 && st == HDA_STATUS_SUCCESS; i++) {
		if (i)
			e[i] = render_engine(bus, &FMT_48K_16_2);
		st = hda_allocate_dma_buffer(bus, e[i], 400 << 10, &m, &sz, &id, &fifo);
		ok += st == HDA_STATUS_SUCCESS;
	}
	assert_status(st, HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(ok, 2);
	/* freeing one makes room again */
	assert_ok(hda_free_dma_buffer(bus, e[0]));
	assert_ok(hda_allocate_dma_buffer(bus, e[ok], 400 << 10, &m, &sz, &id, &fifo));
	hda_bus_close(bus);
}

static void fifo_size_from_fifos(void **state)
{
	const struct {
		const char *uri;
		hda_stream_format fmt;
		uint32_t fifo;
	} cases[] = {
		/* the emulator's FIFO is `fifo` bytes rounded down to frames */
		{"emu:clock=manual", {48000, 16, 16, 2}, 256},
		{"emu:clock=manual", {48000, 16, 16, 6}, 252},
		{"emu:clock=manual,fifo=100", {48000, 16, 16, 2}, 100},
		{"emu:clock=manual,fifo=100", {96000, 24, 32, 2}, 96},
		{"emu:clock=manual,fifo=100", {48000, 16, 16, 6}, 96},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hda_bus *bus;
		hda_engine e;
		hda_mdl *m;
		size_t sz;
		uint8_t id;
		uint32_t fifo = 0;

		assert_ok(hda_bus_open(cases[i].uri, &bus));
		e = render_engine(bus, &cases[i].fmt);
		assert_ok(hda_allocate_dma_buffer(bus, e, 4096, &m, &sz, &id, &fifo));
		if (fifo != cases[i].fifo)
			fail_msg("%s: FIFO %u, expected %u", cases[i].uri, fifo, cases[i].fifo);
		hda_bus_close(bus);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bringup_timeouts),
		cmocka_unit_test(stream_reset_timeout),
		cmocka_unit_test(fifos_never_valid),
		cmocka_unit_test(start_never_ready),
		cmocka_unit_test(failed_bdl_setup_cannot_run),
		cmocka_unit_test(bdl_rewritten_after_setup),
		cmocka_unit_test(buffer_larger_than_fifo),
		cmocka_unit_test(stale_position_buffer),
		cmocka_unit_test(sink_on_a_full_disk),
		cmocka_unit_test(codec_goes_silent),
		cmocka_unit_test(device_gone_mid_stream),
		cmocka_unit_test(out_of_dma_memory),
		cmocka_unit_test(fifo_size_from_fifos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
