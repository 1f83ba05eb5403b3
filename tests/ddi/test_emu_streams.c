/* SPDX-License-Identifier: MIT */
/*
 * Streams on the emulator with its manual clock: FIFO-aware positions
 * against the model's ground truth, SSYNC starts, notifications, interrupt
 * and unsolicited callbacks, loopback capture, and a 10 s render that must
 * come out bit-identical.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "testaudio.h"

#define NS_PER_S 1000000000ull

typedef struct stream {
	hda_engine e;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	unsigned sd;
	hda_codec_path path;
	hda_position_tracker tracker;
} stream;

static void stream_open(hda_bus *bus, stream *s, hda_path_dir dir, hda_pin_device dev,
			size_t bytes, unsigned notifications)
{
	memset(s, 0, sizeof(*s));
	assert_ok(test_find_path(bus, dir, (int)dev, &s->path));
	assert_ok(test_allocate_engine(bus, dir, &s->e, &s->conv));
	assert_ok(test_allocate_buffer(bus, s->e, notifications, bytes, &s->mdl, &s->size,
				       &s->id, &s->fifo));
	assert_ok(hda_get_engine_descriptor(bus, s->e, &s->sd));
	assert_ok(hda_codec_path_enable(bus, &s->path, s->id, s->conv));
	hda_position_tracker_reset(&s->tracker);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s->e));
}

static void start(hda_bus *bus, stream **s, size_t n)
{
	hda_engine e[8];

	for (size_t i = 0; i < n; i++)
		e[i] = s[i]->e;
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, n, e));
}

#define URI_MAPPED "emu:clock=manual"
/* No register is mapped: the link position is derived from the DMA
 * position buffer and the FIFO size, WALCLK is read through MMIO. */
#define URI_UNMAPPED "emu:clock=manual,mapregs=off"

/* Track one engine and read the emulator's truth for it. */
static void track(hda_bus *bus, stream *s, hda_stream_position *pos, hda_emu_stream_truth *truth,
		  uint64_t *conv_frames)
{
	hda_emu *emu = hda_emu_from_bus(bus);

	assert_ok(hda_position_track(bus, s->e, &s->tracker, pos));
	assert_ok(hda_emu_stream_truth_get(emu, s->sd, truth));
	assert_ok(hda_emu_converter_frames(emu, s->path.converter, conv_frames));
}

static void expect_exact(const hda_stream_position *pos, const hda_emu_stream_truth *truth,
			 uint64_t conv_frames)
{
	/* The reported converter position is what the converter really
	 * played or captured: within one frame (here: exactly). */
	if (pos->converter_frames + 1 < conv_frames || pos->converter_frames > conv_frames + 1)
		fail_msg("converter: reported %llu frames, converter did %llu",
			 (unsigned long long)pos->converter_frames,
			 (unsigned long long)conv_frames);
	assert_int_equal(pos->link_bytes, truth->link_bytes);
	assert_int_equal(pos->dma_bytes, truth->dma_bytes);
	assert_int_equal(pos->fifo_size, truth->fifo_bytes);
}

/* Check one engine's tracked position against the emulator's truth. */
static void check_position(hda_bus *bus, stream *s, hda_stream_position *pos)
{
	hda_emu_stream_truth truth;
	uint64_t conv_frames;

	track(bus, s, pos, &truth, &conv_frames);
	expect_exact(pos, &truth, conv_frames);
}

/* True when the bus hands out no LPIB pointer, so that the driver derives
 * the link position from the DMA position and the FIFO size. */
static bool link_derived(hda_bus *bus, stream *s)
{
	const volatile uint32_t *lpib;
	hda_status st = hda_get_link_position_register(bus, s->e, &lpib);

	assert_true(st == HDA_STATUS_SUCCESS || st == HDA_STATUS_DEVICE_NOT_READY);
	return st == HDA_STATUS_DEVICE_NOT_READY;
}

/* Render: the engine fills its FIFO before the first frame goes out, so
 * dma = link + FIFO from the start and a derived link is exact too. */
static void render_positions(const char *uri)
{
	hda_bus *bus;
	hda_emu *emu;
	stream s, *sp = &s;
	hda_stream_position pos;
	uint64_t elapsed = 0, wall0;

	assert_ok(hda_bus_open(uri, &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, 1920 * 4, 0);
	start(bus, &sp, 1);
	check_position(bus, &s, &pos);
	wall0 = pos.wall_ticks;
	/* the FIFO was filled before the first frame went out */
	assert_int_equal(pos.link_bytes, 0);
	assert_int_equal(pos.dma_bytes, s.fifo);
	/* Uneven steps, each shorter than the 40 ms buffer, over many wraps. */
	for (unsigned i = 0; i < 400; i++) {
		uint64_t step = 137000ull + (i * 7919ull) % 3000000ull;

		assert_ok(hda_emu_advance(emu, step));
		elapsed += step;
		check_position(bus, &s, &pos);
		/* render: the DMA runs exactly one FIFO ahead of the link */
		assert_int_equal(pos.dma_bytes - pos.link_bytes, s.fifo);
		assert_int_equal(pos.converter_frames, elapsed * 48000 / NS_PER_S);
		/* the wall clock moved with model time (24 MHz) */
		{
			uint64_t want = elapsed * 24 / 1000, got = pos.wall_ticks - wall0;

			assert_true(got + 1 >= want && got <= want + 1);
		}
	}
	assert_true(pos.link_bytes > 10 * s.size); /* it wrapped many times */
	hda_bus_close(bus);
}

static void render_positions_fifo_aware(void **state)
{
	(void)state;
	render_positions(URI_MAPPED);
}

static void render_positions_derived(void **state)
{
	(void)state;
	render_positions(URI_UNMAPPED);
}

/*
 * Capture: memory lags the link by the FIFO once it filled.  Before that
 * nothing reached memory (dma 0), and a link derived as dma + FIFO runs
 * ahead of the truth by FIFO - link: the bound checked here.  From LPIB it
 * is exact throughout.
 */
static void capture_positions(const char *uri)
{
	char full[128];
	hda_bus *bus;
	hda_emu *emu;
	stream s, *sp = &s;
	hda_stream_position pos;
	hda_emu_stream_truth truth;
	uint64_t conv_frames;
	unsigned filling = 0;
	bool derived;

	snprintf(full, sizeof(full), "%s,mic=sine:1000", uri);
	assert_ok(hda_bus_open(full, &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_INPUT, HDA_PIN_MIC_IN, 1920 * 4, 0);
	derived = link_derived(bus, &s);
	start(bus, &sp, 1);
	for (unsigned i = 0; i < 300; i++) {
		assert_ok(hda_emu_advance(emu, 211000ull + (i * 104729ull) % 2000000ull));
		track(bus, &s, &pos, &truth, &conv_frames);
		if (truth.link_bytes >= s.fifo || !derived)
			expect_exact(&pos, &truth, conv_frames);
		if (truth.link_bytes >= s.fifo) {
			assert_int_equal(pos.link_bytes - pos.dma_bytes, s.fifo);
			continue;
		}
		filling++;
		assert_int_equal(pos.dma_bytes, 0);
		assert_int_equal(truth.dma_bytes, 0);
		assert_true(pos.link_bytes >= truth.link_bytes);
		assert_true(pos.link_bytes - truth.link_bytes <= s.fifo);
	}
	assert_true(filling > 0); /* the steps did look inside the fill */
	/* the sine really reached memory */
	{
		const int16_t *x = s.mdl->base;
		int peak = 0;

		for (size_t k = 0; k < s.size / 2; k++)
			peak = abs(x[k]) > peak ? abs(x[k]) : peak;
		assert_true(peak > 8000);
	}
	hda_bus_close(bus);
}

static void capture_positions_fifo_aware(void **state)
{
	(void)state;
	capture_positions(URI_MAPPED);
}

static void capture_positions_derived(void **state)
{
	(void)state;
	capture_positions(URI_UNMAPPED);
}

/*
 * The DDI's register pointers: with registers mapped they are live and
 * read what hda_read_position reports; without, DEVICE_NOT_READY and the
 * out-parameters untouched, while hda_read_position still works.
 */
static void position_registers(const char *uri, bool mapped)
{
	const volatile uint32_t *wall = NULL, *lpib = NULL;
	hda_bus *bus;
	hda_emu *emu;
	stream s, *sp = &s;
	hda_position p;
	uint32_t last_wall = 0;

	assert_ok(hda_bus_open(uri, &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, 1920, 0);
	start(bus, &sp, 1);
	if (mapped) {
		assert_ok(hda_get_wall_clock_register(bus, &wall));
		assert_ok(hda_get_link_position_register(bus, s.e, &lpib));
		assert_non_null(wall);
		assert_non_null(lpib);
	} else {
		assert_status(hda_get_wall_clock_register(bus, &wall), HDA_STATUS_DEVICE_NOT_READY);
		assert_status(hda_get_link_position_register(bus, s.e, &lpib),
			      HDA_STATUS_DEVICE_NOT_READY);
		assert_null(wall);
		assert_null(lpib);
	}
	/* 3.3 ms steps over a 10 ms buffer: LPIB wraps several times */
	for (unsigned i = 0; i < 20; i++) {
		assert_ok(hda_emu_advance(emu, 3300000));
		assert_ok(hda_read_position(bus, s.e, &p));
		assert_true(p.wall_clock > last_wall); /* it moves either way */
		last_wall = p.wall_clock;
		if (!mapped)
			continue;
		assert_int_equal(*wall, p.wall_clock);
		assert_int_equal(*lpib, p.link);
	}
	hda_bus_close(bus);
}

static void position_registers_mapped(void **state)
{
	(void)state;
	position_registers(URI_MAPPED, true);
}

static void position_registers_unmapped(void **state)
{
	(void)state;
	position_registers(URI_UNMAPPED, false);
}

static void ssync_starts_on_one_sample(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream a, b, c, *ab[2] = {&a, &b}, *cp = &c;
	hda_emu_stream_truth ta, tb, tc;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &a, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, 4096, 0);
	stream_open(bus, &b, HDA_PATH_OUTPUT, HDA_PIN_HP_OUT, 4096, 0);
	stream_open(bus, &c, HDA_PATH_INPUT, HDA_PIN_MIC_IN, 4096, 0);
	assert_ok(hda_emu_advance(emu, 1234567));
	start(bus, ab, 2);
	assert_ok(hda_emu_advance(emu, 3000000));
	start(bus, &cp, 1);
	assert_ok(hda_emu_advance(emu, 7777777));
	assert_ok(hda_emu_stream_truth_get(emu, a.sd, &ta));
	assert_ok(hda_emu_stream_truth_get(emu, b.sd, &tb));
	assert_ok(hda_emu_stream_truth_get(emu, c.sd, &tc));
	assert_true(ta.running && tb.running && tc.running);
	assert_int_equal(ta.start_ns, tb.start_ns);
	assert_int_equal(ta.link_bytes, tb.link_bytes);
	assert_true(tc.start_ns > ta.start_ns);
	assert_true(tc.link_bytes < ta.link_bytes);

	/* stopping together freezes both on the same frame */
	{
		hda_engine both[2] = {a.e, b.e};

		assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 2, both));
		assert_ok(hda_emu_advance(emu, 5000000));
		assert_ok(hda_emu_stream_truth_get(emu, a.sd, &ta));
		assert_ok(hda_emu_stream_truth_get(emu, b.sd, &tb));
		assert_false(ta.running);
		assert_int_equal(ta.link_bytes, tb.link_bytes);
	}
	hda_bus_close(bus);
}

static void notifications_per_buffer(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream one, two, *p1 = &one, *p2 = &two;
	int fd1 = eventfd(0, EFD_CLOEXEC), fd2 = eventfd(0, EFD_CLOEXEC);

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	/* 10 ms buffers: one notification per buffer, and two */
	stream_open(bus, &one, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, 1920, 1);
	stream_open(bus, &two, HDA_PATH_OUTPUT, HDA_PIN_HP_OUT, 1920, 2);
	assert_int_equal(one.size, 1920);
	assert_int_equal(two.size, 2048); /* a whole number of 2 granules */
	assert_ok(hda_register_notification_event(bus, one.e, fd1));
	assert_ok(hda_register_notification_event(bus, two.e, fd2));
	start(bus, &p1, 1);
	start(bus, &p2, 1);
	/* 100 ms of model time.  Render IOCs fire when the last byte of an
	 * entry is fetched, one FIFO ahead of the link. */
	for (unsigned i = 0; i < 100; i++)
		assert_ok(hda_emu_advance(emu, 1000000));
	{
		uint64_t want1 = (4800 * 4 + one.fifo) / one.size;
		uint64_t want2 = (4800 * 4 + two.fifo) / (two.size / 2);

		assert_int_equal(wait_eventfd(fd1, want1, 10000), want1);
		assert_int_equal(wait_eventfd(fd2, want2, 10000), want2);
	}
	/* after unregistering, no more; the other engine goes on, one
	 * notification per half buffer the DMA crosses */
	{
		hda_stream_position before, after;
		uint64_t half = two.size / 2, want;

		assert_ok(hda_position_track(bus, two.e, &two.tracker, &before));
		assert_ok(hda_unregister_notification_event(bus, one.e, fd1));
		/* the tracker needs a look at least once per buffer */
		for (unsigned i = 0; i < 50; i++) {
			assert_ok(hda_emu_advance(emu, 1000000));
			assert_ok(hda_position_track(bus, two.e, &two.tracker, &after));
		}
		want = after.dma_bytes / half - before.dma_bytes / half;
		assert_true(want >= 9);
		assert_int_equal(wait_eventfd(fd2, want, 10000), want);
		assert_int_equal(wait_eventfd(fd1, 1, 50), 0);
	}
	hda_bus_close(bus);
	close(fd1);
	close(fd2);
}

typedef struct jack_probe {
	int fd;
	uint32_t response;
	bool unsolicited;
} jack_probe;

static void on_jack(hda_codec_response r, void *ctx)
{
	jack_probe *p = ctx;
	uint64_t one = 1;

	p->response = r.response;
	p->unsolicited = r.unsolicited;
	(void)!write(p->fd, &one, sizeof(one));
}

static void unsolicited_jack_event(void **state)
{
	hda_bus *bus;
	hda_codec_path hp;
	jack_probe probe = {.fd = eventfd(0, EFD_CLOEXEC)};
	uint8_t tag;
	hda_codec_transfer t;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_HP_OUT, &hp));
	assert_ok(hda_register_event_callback(bus, on_jack, &probe, &tag));
	t.command = hda_verb12(0, hp.pin, 0x708, (uint8_t)(0x80 | tag));
	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
	assert_ok(hda_emu_set_jack(hda_emu_from_bus(bus), hp.pin, true));
	/* the emulator delivers it on its next step */
	assert_ok(hda_emu_advance(hda_emu_from_bus(bus), 1000000));
	assert_int_equal(wait_eventfd(probe.fd, 1, 10000), 1);
	assert_true(probe.unsolicited);
	assert_int_equal(probe.response >> 26, tag);
	/* after unregistering, an event reaches no one */
	assert_ok(hda_unregister_event_callback(bus, tag));
	assert_ok(hda_emu_set_jack(hda_emu_from_bus(bus), hp.pin, false));
	assert_ok(hda_emu_advance(hda_emu_from_bus(bus), 1000000));
	assert_int_equal(wait_eventfd(probe.fd, 1, 50), 0);
	hda_bus_close(bus);
	close(probe.fd);
}

typedef struct isr_probe {
	hda_bus *bus;
	hda_engine e;
	_Atomic unsigned bcis;
	hda_status inside;
	int fd;
} isr_probe;

static void isr(void *ctx, uint32_t sts)
{
	isr_probe *p = ctx;
	uint64_t one = 1;

	if (sts & 0x04) {
		p->bcis++;
		p->inside = hda_set_dma_engine_state(p->bus, HDA_STREAM_STATE_STOP, 1, &p->e);
		(void)!write(p->fd, &one, sizeof(one));
	}
}

static void bdl_isr(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_mdl *data;
	hda_bdl_entry *bdl;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	isr_probe p = {.fd = eventfd(0, EFD_CLOEXEC), .inside = HDA_STATUS_SUCCESS};

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	emu = hda_emu_from_bus(bus);
	p.bus = bus;
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &p.e, &conv));
	/* four 1024-byte periods (256 frames), IOC on each */
	assert_ok(hda_allocate_contiguous_dma_buffer(bus, p.e, 4096, &data, &bdl));
	for (unsigned i = 0; i < 4; i++)
		bdl[i] = (hda_bdl_entry){data->pages[0].bus + i * 1024, 1024, HDA_BDL_IOC};
	assert_ok(hda_setup_dma_engine_with_bdl(bus, p.e, 4096, 3, isr, &p, &id, &fifo));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &p.e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &p.e));
	/* 40 ms = 1920 frames on the link; entries complete when fetched,
	 * one FIFO ahead of it */
	for (unsigned i = 0; i < 40; i++)
		assert_ok(hda_emu_advance(emu, 1000000));
	assert_int_equal(wait_eventfd(p.fd, (1920 * 4 + fifo) / 1024, 10000), (1920 * 4 + fifo) / 1024);
	assert_status(p.inside, HDA_STATUS_UNSUCCESSFUL);
	hda_bus_close(bus);
	close(p.fd);
}

static void render_10s_bit_identical(void **state)
{
	char dir[] = "/tmp/hda-test-XXXXXX", path[256], uri[320];
	const uint64_t frames = 10 * 48000;
	hda_bus *bus;
	hda_emu *emu;
	stream s, *sp = &s;
	hda_stream_position pos;
	uint64_t written = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.wav", dir);
	snprintf(uri, sizeof(uri), "emu:clock=manual,lineout=wav:%s", path);
	assert_ok(hda_bus_open(uri, &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &s, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, 1920, 0); /* 10 ms */
	test_fill(s.mdl->base, s.size, &written, s.size, frames);
	start(bus, &sp, 1);
	/* Advance 1 ms at a time, refilling behind the DMA, until exactly
	 * 10 s have crossed the link; then stop on that frame. */
	for (unsigned ms = 0; ms < 10000; ms++) {
		assert_ok(hda_emu_advance(emu, 1000000));
		assert_ok(hda_position_track(bus, s.e, &s.tracker, &pos));
		/* never let the DMA fetch a byte not written yet */
		assert_true(pos.dma_bytes <= written);
		test_fill(s.mdl->base, s.size, &written, pos.dma_bytes + s.size, frames);
	}
	assert_int_equal(pos.converter_frames, frames);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	hda_bus_close(bus);

	test_wav_check(path, frames, true);
	unlink(path);
	rmdir(dir);
}

static void loopback_capture_equals_render(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	stream out, in, *both[2] = {&out, &in};
	hda_stream_position pin;
	uint64_t written = 0;
	int16_t want[960 * 2];

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,linein=loopback", &bus));
	emu = hda_emu_from_bus(bus);
	stream_open(bus, &out, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, 1920 * 4, 0);
	stream_open(bus, &in, HDA_PATH_INPUT, HDA_PIN_LINE_IN, 1920 * 4, 0);
	test_fill(out.mdl->base, out.size, &written, out.size, UINT64_MAX);
	start(bus, both, 2); /* one SSYNC release: same first sample */
	for (unsigned ms = 0; ms < 35; ms++) {
		hda_stream_position po;

		assert_ok(hda_emu_advance(emu, 1000000));
		assert_ok(hda_position_track(bus, out.e, &out.tracker, &po));
		test_fill(out.mdl->base, out.size, &written, po.dma_bytes + out.size, UINT64_MAX);
	}
	assert_ok(hda_position_track(bus, in.e, &in.tracker, &pin));
	/* 35 ms captured into a 40 ms buffer: no wrap yet, so captured frame
	 * k sits at frame k of the buffer and must be rendered frame k. */
	assert_true(pin.dma_frames >= 960);
	test_pattern(want, 0, 960);
	assert_memory_equal(in.mdl->base, want, sizeof(want));
	hda_bus_close(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_positions_fifo_aware),
		cmocka_unit_test(render_positions_derived),
		cmocka_unit_test(capture_positions_fifo_aware),
		cmocka_unit_test(capture_positions_derived),
		cmocka_unit_test(position_registers_mapped),
		cmocka_unit_test(position_registers_unmapped),
		cmocka_unit_test(ssync_starts_on_one_sample),
		cmocka_unit_test(notifications_per_buffer),
		cmocka_unit_test(unsolicited_jack_event),
		cmocka_unit_test(bdl_isr),
		cmocka_unit_test(render_10s_bit_identical),
		cmocka_unit_test(loopback_capture_equals_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
