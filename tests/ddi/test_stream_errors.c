/* SPDX-License-Identifier: MIT */
/*
 * Stream errors that reach the caller: FIFO errors, descriptor errors and a
 * controller that is gone, each driven by the emulator's fault injection on
 * its manual clock, and each seen both through a notification eventfd and
 * through hda_get_engine_status.
 */
#include <sys/eventfd.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "testaudio.h"

#define MS 1000000ull
/* 48 kHz, 16-bit stereo: bytes per millisecond on the link */
#define BYTES_PER_MS 192u

typedef struct stream {
	hda_engine e;
	uint16_t conv;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	unsigned sd;
	hda_codec_path path;
	int fd;
} stream;

/* An engine on the first path of the direction, a buffer (without IOC
 * unless notifications, so that its eventfd wakes for errors only), the
 * eventfd registered, in Stop. */
static void stream_open(hda_bus *bus, stream *s, hda_path_dir dir, size_t bytes,
			unsigned notifications)
{
	memset(s, 0, sizeof(*s));
	assert_ok(test_path_engine(bus, dir, &s->path, &s->e, &s->conv));
	assert_ok(test_allocate_buffer(bus, s->e, notifications, bytes, &s->mdl, &s->size,
				       &s->id, &s->fifo));
	assert_ok(hda_get_engine_descriptor(bus, s->e, &s->sd));
	assert_ok(hda_codec_path_enable(bus, &s->path, s->id, s->conv));
	s->fd = eventfd(0, EFD_CLOEXEC);
	assert_true(s->fd >= 0);
	assert_ok(hda_register_notification_event(bus, s->e, s->fd));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s->e));
}

static hda_engine_status status_of(hda_bus *bus, const stream *s)
{
	hda_engine_status st;

	assert_ok(hda_get_engine_status(bus, s->e, &st));
	return st;
}

static hda_emu_stream_truth truth_of(hda_emu *emu, const stream *s)
{
	hda_emu_stream_truth t;

	assert_ok(hda_emu_stream_truth_get(emu, s->sd, &t));
	return t;
}

/* Nothing more arrives on fd within a bound that covers the interrupt
 * thread's service (the emulator's advance already waited for it). */
static void assert_quiet(int fd)
{
	assert_int_equal(wait_eventfd(fd, 1, 100), 0);
}

/* A render DMA that cannot keep up: the FIFO drains, the link plays
 * silence, FIFOE reaches the eventfd and the counter once per episode, the
 * engine runs on and nothing of the buffer is lost. */
static void fifo_error_render(void **state)
{
	char dir[] = "/tmp/hda-test-XXXXXX", path[256], uri[320];
	hda_bus *bus;
	hda_emu *emu;
	stream s;
	hda_engine_status st;
	hda_emu_stream_truth t;
	hda_position p;
	uint64_t frames, written = 0;
	/* bytes of the buffer played before the underrun: 5 ms, then the
	 * FIFO; then silence for the rest of 12 starved ms */
	const uint64_t played = 5 * BYTES_PER_MS + 256;
	const uint64_t starved = 12 * BYTES_PER_MS - 256;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.wav", dir);
	snprintf(uri, sizeof(uri), "emu:clock=manual,lineout=wav:%s", path);
	assert_ok(hda_bus_open(uri, &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_OUTPUT, 19200, 0); /* 100 ms: no wrap here */
	assert_int_equal(s.fifo, 256);
	test_fill(s.mdl->base, s.size, &written, s.size, UINT64_MAX);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	assert_ok(hda_emu_advance(emu, 5 * MS));
	st = status_of(bus, &s);
	assert_int_equal(st.fifo_errors, 0);
	assert_quiet(s.fd);

	/* 256 FIFO bytes last 1.33 ms: the first millisecond still plays
	 * from the FIFO, the second runs dry after 64 bytes. */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_ERROR, true));
	assert_ok(hda_emu_advance(emu, 1 * MS));
	assert_int_equal(status_of(bus, &s).fifo_errors, 0);
	assert_ok(hda_emu_advance(emu, 1 * MS));
	assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
	st = status_of(bus, &s);
	assert_int_equal(st.fifo_errors, 1);
	assert_int_equal(st.descriptor_errors, 0);
	assert_int_equal(st.buffer_completions, 0);
	assert_false(st.stopped_by_hardware);
	assert_false(st.device_gone);

	/* one episode, one error: ten more starved milliseconds add none */
	assert_ok(hda_emu_advance(emu, 10 * MS));
	assert_quiet(s.fd);
	assert_int_equal(status_of(bus, &s).fifo_errors, 1);
	t = truth_of(emu, &s);
	assert_true(t.running);
	assert_int_equal(t.link_bytes, played);
	assert_int_equal(t.dma_bytes, played);
	assert_int_equal(t.xrun_bytes, starved);
	/* positions stay coherent: an empty FIFO, link = dma */
	assert_ok(hda_read_position(bus, s.e, &p));
	assert_int_equal(p.link, played);
	assert_int_equal(p.dma, played);

	/* cleared: the FIFO refills and the buffer plays on where it stood */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_ERROR, false));
	assert_ok(hda_emu_advance(emu, 5 * MS));
	t = truth_of(emu, &s);
	assert_int_equal(t.link_bytes, played + 5 * BYTES_PER_MS);
	assert_int_equal(t.dma_bytes, played + 5 * BYTES_PER_MS + 256);
	assert_ok(hda_emu_converter_frames(emu, s.path.converter, &frames));
	assert_int_equal(frames * 4, t.link_bytes + t.xrun_bytes);
	/* FIFOE does not stop an engine: libhda still has it in Run, which
	 * may not go to Reset directly */
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s.e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);

	/* a second episode is a second error */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_ERROR, true));
	assert_ok(hda_emu_advance(emu, 3 * MS));
	assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
	assert_int_equal(status_of(bus, &s).fifo_errors, 2);
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_ERROR, false));
	t = truth_of(emu, &s);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	hda_bus_close(bus);
	close(s.fd);

	/* What played: the signal up to the underrun, silence for every
	 * starved frame, then the signal again from the very next frame. */
	{
		SF_INFO info = {0};
		SNDFILE *f = sf_open(path, SFM_READ, &info);
		uint64_t total = (t.link_bytes + t.xrun_bytes) / 4, first = played / 4;
		uint64_t gap = starved / 4;
		int16_t *got = malloc(total * 4), *want = calloc(total, 4);

		assert_non_null(f);
		assert_non_null(got);
		assert_non_null(want);
		assert_int_equal(info.frames, total);
		assert_int_equal(sf_readf_short(f, got, (sf_count_t)total), total);
		test_pattern(want, 0, first);
		test_pattern(want + 2 * (first + gap), first, 5 * BYTES_PER_MS / 4);
		/* the second episode's silence lies past what is compared */
		for (uint64_t i = 0; i < 2 * (first + gap + 5 * BYTES_PER_MS / 4); i++)
			if (got[i] != want[i])
				fail_msg("frame %llu channel %llu is %d, expected %d",
					 (unsigned long long)(i / 2), (unsigned long long)(i % 2),
					 got[i], want[i]);
		sf_close(f);
		free(got);
		free(want);
	}
	unlink(path);
	rmdir(dir);
}

/* A capture DMA that cannot keep up: the full FIFO drops the link's frames,
 * FIFOE reaches the eventfd and the counter, and the capture goes on. */
static void fifo_error_capture(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream s;
	hda_engine_status st;
	hda_emu_stream_truth t;
	uint64_t frames;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_INPUT, 19200, 0);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	assert_ok(hda_emu_advance(emu, 5 * MS));
	assert_int_equal(status_of(bus, &s).fifo_errors, 0);
	/* the capture FIFO is full by now: the next frame overflows it */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_ERROR, true));
	assert_ok(hda_emu_advance(emu, 4 * MS));
	assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
	st = status_of(bus, &s);
	assert_int_equal(st.fifo_errors, 1);
	assert_int_equal(st.descriptor_errors, 0);
	assert_false(st.stopped_by_hardware);
	t = truth_of(emu, &s);
	assert_true(t.running);
	assert_int_equal(t.link_bytes, 5 * BYTES_PER_MS);
	assert_int_equal(t.dma_bytes, 5 * BYTES_PER_MS - 256);
	assert_int_equal(t.xrun_bytes, 4 * BYTES_PER_MS);
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_FIFO_ERROR, false));
	assert_ok(hda_emu_advance(emu, 2 * MS));
	assert_quiet(s.fd);
	t = truth_of(emu, &s);
	assert_int_equal(t.link_bytes, 7 * BYTES_PER_MS);
	assert_int_equal(t.dma_bytes, 7 * BYTES_PER_MS - 256);
	assert_ok(hda_emu_converter_frames(emu, s.path.converter, &frames));
	assert_int_equal(frames * 4, t.link_bytes + t.xrun_bytes);
	assert_int_equal(status_of(bus, &s).fifo_errors, 1);
	hda_bus_close(bus);
	close(s.fd);
}

typedef struct isr_probe {
	uint32_t seen; /* OR of every status the ISR got */
} isr_probe;

static void isr_record(void *ctx, uint32_t sts)
{
	__atomic_fetch_or(&((isr_probe *)ctx)->seen, sts, __ATOMIC_RELAXED);
}

/* A descriptor fetch fails mid-stream: the hardware stops the engine, the
 * eventfd and the status say so, libhda's state is Stop afterwards, and
 * Stop -> Reset -> Stop -> Run recovers. */
static void descriptor_error_stops_the_engine(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream s;
	hda_engine_status st;
	hda_emu_stream_truth t;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	/* two 2 KiB entries: the engine enters the second one, fetching a
	 * FIFO ahead, after (2048 - 256) / 192 = 9.3 ms */
	stream_open(bus, &s, HDA_PATH_OUTPUT, 4096, 0);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	assert_ok(hda_emu_advance(emu, 2 * MS));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, true));
	assert_ok(hda_emu_advance(emu, 7 * MS));
	assert_true(truth_of(emu, &s).running);
	assert_false(status_of(bus, &s).stopped_by_hardware);
	assert_ok(hda_emu_advance(emu, 3 * MS));
	assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
	st = status_of(bus, &s);
	assert_int_equal(st.descriptor_errors, 1);
	assert_true(st.stopped_by_hardware);
	assert_int_equal(st.fifo_errors, 0);
	assert_false(st.device_gone);
	t = truth_of(emu, &s);
	assert_false(t.running);
	assert_int_equal(t.link_bytes, 10 * BYTES_PER_MS);

	/* libhda's state followed the hardware: Stop, so Reset is allowed
	 * (from Run it would be refused) */
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s.e));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, false));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	st = status_of(bus, &s);
	assert_false(st.stopped_by_hardware); /* a new run */
	assert_int_equal(st.descriptor_errors, 1); /* the count stays */
	assert_ok(hda_emu_advance(emu, 30 * MS)); /* around the buffer */
	t = truth_of(emu, &s);
	assert_true(t.running);
	assert_int_equal(t.link_bytes, 30 * BYTES_PER_MS);
	assert_quiet(s.fd);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s.e));
	hda_bus_close(bus);
	close(s.fd);
}

/* The tracker after a descriptor error: the engine's running time ends
 * where the interrupt thread saw the stop, so a call long after it (20
 * buffers) counts no wraps of an engine that no longer moves, both before
 * a control call has reconciled libhda's state and after. */
static void descriptor_error_ends_running_time(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream s;
	hda_position_tracker tr;
	hda_stream_position pos;
	hda_position p;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_OUTPUT, 4096, 0);
	hda_position_tracker_reset(&tr);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	assert_ok(hda_emu_advance(emu, 2 * MS));
	assert_ok(hda_position_track(bus, s.e, &tr, &pos));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, true));
	assert_ok(hda_emu_advance(emu, 10 * MS)); /* fails at 9.3 ms */
	assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
	assert_true(status_of(bus, &s).stopped_by_hardware);
	assert_false(truth_of(emu, &s).running);

	/* 400 ms later (about 19 buffers of 21.3 ms), before any control
	 * call: the snapshot is not running and the count is the truth */
	assert_ok(hda_emu_advance(emu, 400 * MS));
	assert_ok(hda_read_position(bus, s.e, &p));
	assert_false(p.running);
	assert_ok(hda_position_track(bus, s.e, &tr, &pos));
	assert_int_equal(pos.link_bytes, truth_of(emu, &s).link_bytes);
	assert_false(pos.late);

	/* a control call reconciles the state (Stop -> Stop is a no-op
	 * move) and the running time stays where the stop was */
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	assert_ok(hda_emu_advance(emu, 400 * MS));
	assert_ok(hda_position_track(bus, s.e, &tr, &pos));
	assert_int_equal(pos.link_bytes, truth_of(emu, &s).link_bytes);
	assert_int_equal(pos.link_bytes, 10 * BYTES_PER_MS);
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, false));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s.e));
	hda_bus_close(bus);
	close(s.fd);
}

/* Run on an engine the hardware stopped is a start from Stop, not a no-op
 * on an engine libhda believes runs; on the same fault it fails the same
 * way, and the BDL interface's ISR sees DESE as well. */
static void descriptor_error_then_run(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine e;
	uint16_t conv;
	hda_mdl *data;
	hda_bdl_entry *bdl;
	uint8_t id;
	uint32_t fifo;
	unsigned sd;
	isr_probe probe = {0};
	int fd = eventfd(0, EFD_CLOEXEC);
	hda_emu_stream_truth t;

	(void)state;
	assert_true(fd >= 0);
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv));
	assert_ok(hda_get_engine_descriptor(bus, e, &sd));
	assert_ok(hda_allocate_contiguous_dma_buffer(bus, e, 4096, &data, &bdl));
	for (unsigned i = 0; i < 2; i++)
		bdl[i] = (hda_bdl_entry){data->pages[0].bus + i * 2048, 2048, 0};
	assert_ok(hda_setup_dma_engine_with_bdl(bus, e, 4096, 1, isr_record, &probe, &id, &fifo));
	assert_ok(hda_register_notification_event(bus, e, fd));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, true));
	assert_ok(hda_emu_advance(emu, 12 * MS));
	assert_int_equal(wait_eventfd(fd, 1, 5000), 1);
	assert_int_equal(__atomic_load_n(&probe.seen, __ATOMIC_RELAXED), 0x10);

	/* Run again: a real start, which meets the unreadable BDL at once;
	 * its FIFO never fills, so the start times out and is rolled back */
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_int_equal(wait_eventfd(fd, 1, 5000), 1);
	{
		hda_engine_status st;

		assert_ok(hda_get_engine_status(bus, e, &st));
		assert_int_equal(st.descriptor_errors, 2);
		assert_true(st.stopped_by_hardware);
	}
	/* cleared: Run from Stop resumes the walk where it stopped */
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, false));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_emu_advance(emu, 20 * MS));
	assert_ok(hda_emu_stream_truth_get(emu, sd, &t));
	assert_true(t.running);
	hda_bus_close(bus);
	close(fd);
}

/* The controller goes away while engines run: it raises no interrupt, the
 * interrupt thread's health look finds it, every registered eventfd is
 * signalled once, and every status says gone. */
static void device_gone_signals_every_eventfd(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream out, in, idle;
	hda_engine run[2];
	int extra = eventfd(0, EFD_CLOEXEC);
	uint64_t t0, took;

	(void)state;
	assert_true(extra >= 0);
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &out, HDA_PATH_OUTPUT, 1920, 1); /* IOC every 10 ms */
	stream_open(bus, &in, HDA_PATH_INPUT, 19200, 0);
	stream_open(bus, &idle, HDA_PATH_OUTPUT, 19200, 0); /* stays in Stop */
	assert_ok(hda_register_notification_event(bus, out.e, extra));
	run[0] = out.e;
	run[1] = in.e;
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 2, run));
	/* One IOC (the render fetches its buffer's last byte at 8.7 ms):
	 * once its eventfd fired, the interrupt thread has serviced and gone
	 * back to waiting, so only its periodic health look can find the
	 * device gone, which raises no interrupt. */
	assert_ok(hda_emu_advance(emu, 10 * MS));
	assert_int_equal(wait_eventfd(out.fd, 1, 5000), 1);
	assert_int_equal(wait_eventfd(extra, 1, 5000), 1);
	assert_int_equal(status_of(bus, &out).buffer_completions, 1);
	assert_false(status_of(bus, &out).device_gone);

	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_DEVICE_GONE, true));
	t0 = test_now_ms();
	assert_int_equal(wait_eventfd(out.fd, 1, 5000), 1);
	took = test_now_ms() - t0;
	assert_int_equal(wait_eventfd(extra, 1, 5000), 1);
	assert_int_equal(wait_eventfd(in.fd, 1, 5000), 1);
	assert_int_equal(wait_eventfd(idle.fd, 1, 5000), 1);
	printf("device gone: eventfd signalled %llu ms after the fault\n",
	       (unsigned long long)took);
	assert_true(status_of(bus, &out).device_gone);
	assert_true(status_of(bus, &in).device_gone);
	assert_true(status_of(bus, &idle).device_gone);
	/* once: more than two health periods later, nothing more */
	assert_int_equal(wait_eventfd(out.fd, 1, 300), 0);
	assert_quiet(extra);
	assert_quiet(in.fd);
	assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 2, run),
		      HDA_STATUS_DEVICE_NOT_READY);
	hda_bus_close(bus);
	close(out.fd);
	close(in.fd);
	close(idle.fd);
	close(extra);
}

/* The same with stream interrupts serviced on the caller's thread
 * (hda_interrupt_attach), which here never dispatches: libhda's own
 * thread no longer reads the interrupt line, yet its health look still
 * finds the device gone and signals the eventfd. */
static void device_gone_while_caller_services(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream out;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &out, HDA_PATH_OUTPUT, 19200, 0);
	assert_ok(hda_interrupt_attach(bus));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &out.e));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_DEVICE_GONE, true));
	assert_int_equal(wait_eventfd(out.fd, 1, 5000), 1);
	assert_true(status_of(bus, &out).device_gone);
	hda_bus_close(bus);
	close(out.fd);
}

/* The status is per engine and per allocation: a new engine on the same
 * descriptor starts from zero, and a freed handle reads nothing. */
static void status_per_allocation(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream s;
	hda_engine old;
	hda_engine_status st;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_OUTPUT, 4096, 0);
	assert_status(hda_get_engine_status(bus, s.e, NULL), HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_get_engine_status(NULL, s.e, &st), HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, true));
	assert_ok(hda_emu_advance(emu, 12 * MS));
	assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
	assert_ok(hda_emu_inject_fault(emu, HDA_EMU_FAULT_BDL_UNREADABLE, false));
	assert_int_equal(status_of(bus, &s).descriptor_errors, 1);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s.e));
	assert_ok(hda_free_dma_buffer(bus, s.e));
	assert_ok(hda_free_dma_engine(bus, s.e));
	old = s.e;
	assert_status(hda_get_engine_status(bus, old, &st), HDA_STATUS_INVALID_HANDLE);
	close(s.fd);
	stream_open(bus, &s, HDA_PATH_OUTPUT, 4096, 0);
	st = status_of(bus, &s);
	assert_int_equal(st.descriptor_errors, 0);
	assert_false(st.stopped_by_hardware);
	hda_bus_close(bus);
	close(s.fd);
}

/* Armed from the URI, the faults meet the start itself: a render FIFO that
 * cannot fill never reports FIFORDY, and an unreadable BDL fails at once
 * with DESE.  Either start times out, is rolled back, and leaves the
 * engine in Stop; the descriptor error also reaches the eventfd. */
static void faults_at_start(void **state)
{
	static const char *const uris[] = {"emu:clock=manual,fault=fifoe",
					   "emu:clock=manual,fault=bdl"};

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		hda_bus *bus;
		stream s;
		hda_engine_status st;

		assert_ok(hda_bus_open(uris[i], &bus));
		stream_open(bus, &s, HDA_PATH_OUTPUT, 4096, 0);
		assert_status(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s.e),
			      HDA_STATUS_DEVICE_NOT_READY);
		assert_false(truth_of(hda_emu_from_bus(bus), &s).running);
		if (i == 1)
			assert_int_equal(wait_eventfd(s.fd, 1, 5000), 1);
		st = status_of(bus, &s);
		assert_int_equal(st.descriptor_errors, i);
		assert_int_equal(st.fifo_errors, 0);
		/* in Stop: Reset is allowed */
		assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s.e));
		hda_bus_close(bus);
		close(s.fd);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fifo_error_render),
		cmocka_unit_test(fifo_error_capture),
		cmocka_unit_test(descriptor_error_stops_the_engine),
		cmocka_unit_test(descriptor_error_then_run),
		cmocka_unit_test(descriptor_error_ends_running_time),
		cmocka_unit_test(device_gone_signals_every_eventfd),
		cmocka_unit_test(device_gone_while_caller_services),
		cmocka_unit_test(status_per_allocation),
		cmocka_unit_test(faults_at_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
