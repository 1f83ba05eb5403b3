/* SPDX-License-Identifier: MIT */
/*
 * DDI conformance: the rules of the AllocateDmaBuffer page and its sibling
 * routines that hold on every controller.  Runs against the controller named
 * by HDA_TEST_URI (default: the emulator), so one source serves every
 * backend.  Nothing here injects faults.  The tests that stream
 * (pause_then_run_resumes, resume_with_full_bdl) run on the emulator's
 * manual clock when the URI asks for it, and otherwise wait on positions
 * with a bound; the first skips on the real-time emulator (see there).
 */
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#ifdef HDA_TEST_QEMU
#include "hda/hda_qemu.h"
#endif
#include "testaudio.h"

typedef struct fixture {
	hda_bus *bus;
	hda_device_information info;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_ok(hda_bus_open(test_uri(), &f->bus));
	f->info.size = sizeof(f->info);
	assert_ok(hda_get_device_information(f->bus, &f->info));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	hda_bus_close(f->bus);
	free(f);
	return 0;
}

static hda_engine render(fixture *f)
{
	hda_engine e;
	uint16_t conv;

	assert_ok(hda_allocate_render_dma_engine(f->bus, &FMT_48K_16_2, false, &e, &conv));
	assert_int_equal(conv, 0x0011);
	return e;
}

typedef struct buffer {
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
} buffer;

static buffer alloc_buffer(fixture *f, hda_engine e, size_t req)
{
	buffer b;

	assert_ok(hda_allocate_dma_buffer(f->bus, e, req, &b.mdl, &b.size, &b.id, &b.fifo));
	return b;
}

/* ---- status names and bus ------------------------------------------------ */

static void status_names(void **state)
{
	(void)state;
	assert_string_equal(hda_status_str(HDA_STATUS_SUCCESS), "HDA_STATUS_SUCCESS");
	assert_string_equal(hda_status_str(HDA_STATUS_INVALID_DEVICE_REQUEST),
			    "HDA_STATUS_INVALID_DEVICE_REQUEST");
	assert_string_equal(hda_status_str(HDA_STATUS_NO_MEMORY), "HDA_STATUS_NO_MEMORY");
	assert_string_equal(hda_status_str((hda_status)999), "HDA_STATUS_(unknown)");
}

static void bus_open_errors(void **state)
{
	hda_bus *bus = (hda_bus *)0x1;

	(void)state;
	assert_status(hda_bus_open("nosuch", &bus), HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_bus_open("emu:nosuchoption=1", &bus), HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_bus_open(NULL, &bus), HDA_STATUS_INVALID_PARAMETER);
	{
		char why[256] = "";

		/* the reason names what was wrong */
		assert_status(hda_bus_open_ex("nosuch:x=1", &bus, why, sizeof(why)),
			      HDA_STATUS_INVALID_PARAMETER);
		assert_non_null(strstr(why, "'nosuch'"));
		assert_status(hda_bus_open_ex("emu:iss=99", &bus, why, sizeof(why)),
			      HDA_STATUS_INVALID_PARAMETER);
		assert_non_null(strstr(why, "'iss'"));
		assert_non_null(strstr(why, "'99'"));
	}
	assert_status(hda_bus_open("emu", NULL), HDA_STATUS_INVALID_PARAMETER);
	/* out-parameters untouched on failure */
	assert_ptr_equal(bus, (hda_bus *)0x1);
	hda_bus_close(NULL);
}

/* The PCI identity as the backend itself states it, by a path other than
 * hda_get_device_information: the emulator's header, QEMU's config space. */
static void stated_identity(hda_bus *bus, const char *backend, uint16_t *vendor,
			    uint16_t *device, uint8_t *revision)
{
	(void)bus;
	if (!strcmp(backend, "emu")) {
		*vendor = HDA_EMU_PCI_VENDOR_ID;
		*device = HDA_EMU_PCI_DEVICE_ID;
		*revision = HDA_EMU_PCI_REVISION;
		return;
	}
#ifdef HDA_TEST_QEMU
	if (!strcmp(backend, "qemu")) {
		uint32_t id, class_rev;

		assert_ok(hda_qemu_pci_config_read(bus, 0x00, &id));
		assert_ok(hda_qemu_pci_config_read(bus, 0x08, &class_rev));
		assert_int_equal(class_rev >> 8, 0x040300); /* HD Audio */
		*vendor = (uint16_t)id;
		*device = (uint16_t)(id >> 16);
		*revision = (uint8_t)class_rev;
		return;
	}
#endif
	fail_msg("no statement of its PCI identity known for backend '%s'", backend);
}

/* How the backend moves data, as its documentation states it: QEMU's
 * codec in 8 KiB bursts; the emulator's positions a tick at a time on its
 * real-time clock (tick_us, 1000 unless the URI says), never on the manual
 * one; hardware neither. */
static void stated_motion(const char *uri, const char *backend, uint32_t *burst,
			  uint32_t *step_ns)
{
	const char *tick = strstr(uri, "tick_us=");

	*burst = !strcmp(backend, "qemu") ? 8192 : 0;
	*step_ns = 0;
	if (!strcmp(backend, "emu") && !strstr(uri, "clock=manual"))
		*step_ns = tick ? (uint32_t)strtoul(tick + 8, NULL, 10) * 1000u : 1000000u;
}

static void device_information(void **state)
{
	fixture *f = *state;
	hda_device_information small = {.size = 4};
	uint8_t codec = 0xFF, afg = 0, revision = 0;
	uint16_t vendor = 0, device = 0;

	assert_status(hda_get_device_information(f->bus, &small), HDA_STATUS_BUFFER_TOO_SMALL);
	stated_identity(f->bus, f->info.backend, &vendor, &device, &revision);
	assert_int_equal(f->info.controller_vendor_id, vendor);
	assert_int_equal(f->info.controller_device_id, device);
	assert_int_equal(f->info.controller_revision, revision);
	assert_true(vendor != 0 && vendor != 0xFFFF);
	assert_true(f->info.codecs_detected & 1);
	assert_true(f->info.output_engines + f->info.bidirectional_engines > 0);
	assert_true(f->info.input_engines + f->info.bidirectional_engines > 0);
	assert_int_equal(f->info.device_version, 0x0100);
	{
		uint32_t burst, step_ns;

		stated_motion(test_uri(), f->info.backend, &burst, &step_ns);
		assert_int_equal(f->info.dma_burst_bytes, burst);
		assert_int_equal(f->info.position_step_ns, step_ns);
	}
	assert_ok(hda_get_resource_information(f->bus, &codec, &afg));
	assert_int_equal(codec, 0);
	assert_true(afg > 0);
}

/* ---- engines --------------------------------------------------------------- */

static void engine_bad_parameters(void **state)
{
	fixture *f = *state;
	hda_engine e;
	uint16_t conv;
	const hda_stream_format bad[] = {
		{48000, 24, 24, 2}, /* 24-bit container (hda-facts 8.5) */
		{48000, 16, 32, 2}, /* container does not match size    */
		{12345, 16, 16, 2}, /* no base/mult/div gives that rate */
		{2147531648u, 16, 16, 2}, /* 48000 x 2 / 2 modulo 2^32 */
		{0, 16, 16, 2},
		{48000, 12, 16, 2}, /* no such sample size              */
		{48000, 16, 16, 0},
		{48000, 16, 16, 17},
	};

	assert_status(hda_allocate_render_dma_engine(f->bus, &FMT_48K_16_2, false, NULL, &conv),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_render_dma_engine(f->bus, &FMT_48K_16_2, false, &e, NULL),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_render_dma_engine(f->bus, NULL, false, &e, &conv),
		      HDA_STATUS_INVALID_PARAMETER);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_status(hda_allocate_render_dma_engine(f->bus, &bad[i], false, &e, &conv),
			      HDA_STATUS_INVALID_PARAMETER);
		assert_status(hda_allocate_capture_dma_engine(f->bus, 0, &bad[i], &e, &conv),
			      HDA_STATUS_INVALID_PARAMETER);
	}
	/* a codec that is not there */
	assert_status(hda_allocate_capture_dma_engine(f->bus, 9, &FMT_48K_16_2, &e, &conv),
		      HDA_STATUS_INVALID_PARAMETER);
}

static void engines_exhaust_and_stream_ids(void **state)
{
	fixture *f = *state;
	unsigned n_out = f->info.output_engines + f->info.bidirectional_engines;
	unsigned n_in = f->info.input_engines + f->info.bidirectional_engines;
	hda_engine outs[32], ins[32], extra;
	uint16_t ids_out = 0, ids_in = 0, conv;

	/* the bidirectional engines serve one direction or the other */
	n_in = f->info.input_engines;
	for (unsigned i = 0; i < n_out; i++) {
		buffer b;

		outs[i] = render(f);
		b = alloc_buffer(f, outs[i], 4096);
		assert_in_range(b.id, 1, 15);
		assert_false(ids_out & (1u << b.id)); /* unique among outputs */
		ids_out |= (uint16_t)(1u << b.id);
	}
	assert_status(hda_allocate_render_dma_engine(f->bus, &FMT_48K_16_2, false, &extra, &conv),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	for (unsigned i = 0; i < n_in; i++) {
		buffer b;

		assert_ok(hda_allocate_capture_dma_engine(f->bus, 0, &FMT_48K_16_2, &ins[i], &conv));
		b = alloc_buffer(f, ins[i], 4096);
		assert_in_range(b.id, 1, 15);
		/* unique across both directions: at most 15 engines are live
		 * (n_out + n_in <= 15 on this controller, checked below) */
		assert_false((ids_in | ids_out) & (1u << b.id));
		ids_in |= (uint16_t)(1u << b.id);
	}
	assert_status(hda_allocate_capture_dma_engine(f->bus, 0, &FMT_48K_16_2, &extra, &conv),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_true(n_out + n_in <= 15);

	/* Free one output; a new one gets an id no live engine has. */
	assert_ok(hda_free_dma_buffer(f->bus, outs[0]));
	assert_ok(hda_free_dma_engine(f->bus, outs[0]));
	ids_out = 0;
	for (unsigned i = 1; i < n_out; i++) {
		hda_mdl *m;
		size_t sz;
		uint8_t id;
		uint32_t fifo;

		assert_ok(hda_free_dma_buffer(f->bus, outs[i]));
		assert_ok(hda_allocate_dma_buffer(f->bus, outs[i], 4096, &m, &sz, &id, &fifo));
		ids_out |= (uint16_t)(1u << id);
	}
	outs[0] = render(f);
	{
		buffer b = alloc_buffer(f, outs[0], 4096);

		assert_in_range(b.id, 1, 15);
		assert_false((ids_out | ids_in) & (1u << b.id));
	}
}

/*
 * Stream tags beyond 15 live engines (emulator with 10 + 10): the first 15
 * get distinct tags whatever their direction; only then does a tag repeat,
 * and never within one direction.  Freeing an engine below 16 live gives
 * the next one a tag no live engine has.
 */
static void stream_ids_beyond_15_engines(void **state)
{
	hda_bus *bus;
	hda_engine e[20];
	uint8_t id[20];
	bool output[20];
	uint16_t conv;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,iss=10,oss=10", &bus));
	for (unsigned i = 0; i < 20; i++) {
		hda_mdl *m;
		size_t sz;
		uint32_t fifo;

		output[i] = i % 2 == 0;
		if (output[i])
			assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e[i], &conv));
		else
			assert_ok(hda_allocate_capture_dma_engine(bus, 0, &FMT_48K_16_2, &e[i], &conv));
		assert_ok(hda_allocate_dma_buffer(bus, e[i], 4096, &m, &sz, &id[i], &fifo));
		assert_in_range(id[i], 1, 15);
		for (unsigned k = 0; k < i; k++) {
			if (i < 15)
				assert_int_not_equal(id[i], id[k]);
			else if (output[i] == output[k])
				assert_int_not_equal(id[i], id[k]);
		}
	}
	/* Back to 15 live (free the last five): the next one may share no
	 * tag with either direction. */
	for (unsigned i = 15; i < 20; i++) {
		assert_ok(hda_free_dma_buffer(bus, e[i]));
		assert_ok(hda_free_dma_engine(bus, e[i]));
	}
	assert_ok(hda_free_dma_buffer(bus, e[3]));
	assert_ok(hda_free_dma_engine(bus, e[3]));
	{
		hda_mdl *m;
		size_t sz;
		uint32_t fifo;
		uint8_t fresh;

		assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e[3], &conv));
		assert_ok(hda_allocate_dma_buffer(bus, e[3], 4096, &m, &sz, &fresh, &fifo));
		for (unsigned k = 0; k < 15; k++)
			if (k != 3)
				assert_int_not_equal(fresh, id[k]);
	}
	hda_bus_close(bus);
}

static void bandwidth(void **state)
{
	fixture *f = *state;
	const hda_stream_format big = {192000, 32, 32, 8}; /* 1024 bits/slot */
	const hda_stream_format mid = {48000, 32, 32, 8};  /* 256 bits/slot */
	hda_engine a, b;
	uint16_t conv;

	/* More than one SDO line carries: refused, nothing reserved. */
	if (!f->info.is_striping_supported)
		assert_status(hda_allocate_render_dma_engine(f->bus, &big, false, &a, &conv),
			      HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_ok(hda_allocate_render_dma_engine(f->bus, &mid, false, &a, &conv));
	assert_ok(hda_allocate_render_dma_engine(f->bus, &mid, false, &b, &conv));
	/* a cannot grow to a size that no longer fits beside b ... */
	assert_status(hda_change_bandwidth_allocation(f->bus, a, &big, &conv),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	/* ... and keeps its old reservation: b can take what is left. */
	assert_ok(hda_change_bandwidth_allocation(f->bus, b, &(hda_stream_format){96000, 32, 32, 8},
						  &conv));
	assert_int_equal(conv, 0x0847);
	assert_status(hda_change_bandwidth_allocation(f->bus, b, &(hda_stream_format){96000, 24, 24, 8},
						      &conv),
		      HDA_STATUS_INVALID_PARAMETER);
	/* not in Reset with no buffer: refused */
	alloc_buffer(f, a, 4096);
	assert_status(hda_change_bandwidth_allocation(f->bus, a, &mid, &conv),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
}

/* ---- AllocateDmaBuffer ----------------------------------------------------- */

static void buffer_null_out_pointers(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;

	assert_status(hda_allocate_dma_buffer(f->bus, e, 4096, NULL, &sz, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_dma_buffer(f->bus, e, 4096, &m, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_dma_buffer(f->bus, e, 4096, &m, &sz, NULL, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_dma_buffer(f->bus, e, 4096, &m, &sz, &id, NULL),
		      HDA_STATUS_INVALID_PARAMETER);
	/* nothing was allocated by the failures */
	alloc_buffer(f, e, 4096);
}

/* The documented size rule, computed independently of the library. */
static size_t expected_size(size_t req, size_t frame, size_t fifo)
{
	size_t g = frame, step, n;

	while (g % 128)
		g += frame; /* lcm(frame, 128) */
	step = g;
	n = (req + step / 2) / step; /* nearest, ties up */
	if (n < 2)
		n = 2;
	while (n * step <= fifo)
		n++; /* larger than the FIFO */
	if (n * step > (4u << 20))
		n = (4u << 20) / step;
	return n * step;
}

static void buffer_size_rule(void **state)
{
	fixture *f = *state;
	const struct {
		hda_stream_format fmt;
		size_t req;
	} cases[] = {
		{{48000, 16, 16, 2}, 1920},     /* 10 ms: already whole granules */
		{{48000, 16, 16, 2}, 1000},     /* rounds to 1024 */
		{{48000, 16, 16, 2}, 1},        /* minimum: 2 granules */
		{{48000, 16, 16, 2}, 64u << 20},/* maximum: 4 MiB */
		{{48000, 16, 16, 6}, 1344},     /* frame 12, granule 384: tie -> up */
		{{48000, 16, 16, 6}, 1343},     /* just below the tie -> down */
		{{44100, 24, 32, 3}, 5000},     /* frame 12 */
		{{48000, 16, 16, 1}, 130},      /* frame 2 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hda_engine e;
		uint16_t conv;
		buffer b;
		size_t frame = cases[i].fmt.container_size / 8 * cases[i].fmt.channels;

		assert_ok(hda_allocate_render_dma_engine(f->bus, &cases[i].fmt, false, &e, &conv));
		b = alloc_buffer(f, e, cases[i].req);
		assert_int_equal(b.size, expected_size(cases[i].req, frame, b.fifo));
		assert_true(b.size > b.fifo);
		assert_int_equal(b.size % frame, 0);
		assert_int_equal(b.size % 128, 0);
		assert_true(b.size >= 256 && b.size <= (4u << 20));
		assert_ok(hda_free_dma_buffer(f->bus, e));
		assert_ok(hda_free_dma_engine(f->bus, e));
	}
}

static void buffer_mdl(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	buffer b = alloc_buffer(f, e, 3 * 4096 + 512);

	assert_int_equal(b.mdl->byte_count, b.size);
	assert_int_equal(b.mdl->byte_offset, 0);
	assert_int_equal(b.mdl->page_count, (b.size + 4095) / 4096);
	/* the buffer starts at the start of the first page */
	assert_ptr_equal(b.mdl->base, b.mdl->pages[0].host);
	for (size_t i = 0; i < b.mdl->page_count; i++) {
		assert_int_equal(b.mdl->pages[i].bus % 4096, 0);
		assert_int_equal((uintptr_t)b.mdl->pages[i].host % 4096, 0);
		assert_ptr_equal(b.mdl->pages[i].host, (uint8_t *)b.mdl->base + i * 4096);
	}
	/* the memory is ours to write */
	memset(b.mdl->base, 0x5A, b.size);
}

static void buffer_only_in_reset_and_once(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	buffer b;

	/* no buffer: nothing to free */
	assert_status(hda_free_dma_buffer(f->bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
	b = alloc_buffer(f, e, 4096);
	assert_true(b.fifo > 0);
	/* a buffer is already allocated */
	assert_status(hda_allocate_dma_buffer(f->bus, e, 4096, &m, &sz, &id, &fifo),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	/* the engine is not freed while it has a buffer */
	assert_status(hda_free_dma_engine(f->bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
	/* not in reset: neither allocate nor free */
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_status(hda_free_dma_buffer(f->bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_allocate_dma_buffer(f->bus, e, 4096, &m, &sz, &id, &fifo),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e));
	/* allocate, free, allocate again */
	assert_ok(hda_free_dma_buffer(f->bus, e));
	b = alloc_buffer(f, e, 8192);
	assert_int_equal(b.size, 8192);
	assert_ok(hda_free_dma_buffer(f->bus, e));
	assert_ok(hda_free_dma_engine(f->bus, e));
}

static void fifo_matches_position_report(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	buffer b = alloc_buffer(f, e, 4096);
	hda_position p;

	assert_ok(hda_read_position(f->bus, e, &p));
	assert_int_equal(p.fifo_size, b.fifo);
	assert_int_equal(p.cbl, b.size);
	assert_int_equal(p.frame_bytes, 4);
	assert_int_equal(p.link, 0);
}

/* ---- handles --------------------------------------------------------------- */

static void invalid_handles(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f), freed = render(f), foreign;
	hda_bus *other;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	hda_position p;
	const volatile uint32_t *reg;

	assert_ok(hda_free_dma_engine(f->bus, freed));
	assert_ok(hda_bus_open(test_uri(), &other));
	assert_ok(hda_allocate_render_dma_engine(other, &FMT_48K_16_2, false, &foreign, &conv));

	const hda_engine bad[] = {
		freed,
		foreign,
		{0},
		{~0ull},
		{e.value + 1},          /* another generation */
		{e.value ^ (1ull << 40)}, /* another descriptor */
		{e.value ^ (1ull << 35)}, /* reserved bits */
		{0xDEADBEEFCAFEF00Dull},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hda_engine h = bad[i];

		assert_status(hda_allocate_dma_buffer(f->bus, h, 4096, &m, &sz, &id, &fifo),
			      HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_free_dma_buffer(f->bus, h), HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_free_dma_engine(f->bus, h), HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &h),
			      HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_change_bandwidth_allocation(f->bus, h, &FMT_48K_16_2, &conv),
			      HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_read_position(f->bus, h, &p), HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_get_link_position_register(f->bus, h, &reg),
			      HDA_STATUS_INVALID_HANDLE);
		assert_status(hda_register_notification_event(f->bus, h, 0),
			      HDA_STATUS_INVALID_HANDLE);
	}
	/* the valid handle still works, the foreign one on its own bus too */
	alloc_buffer(f, e, 4096);
	assert_ok(hda_allocate_dma_buffer(other, foreign, 4096, &m, &sz, &id, &fifo));
	hda_bus_close(other);
}

/* ---- SetDmaEngineState ------------------------------------------------------ */

static void state_machine(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f), nobuf = render(f);
	hda_engine both[2] = {e, nobuf}, dup[2] = {e, e};

	/* a non-Reset state needs a buffer */
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &nobuf),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &nobuf));
	alloc_buffer(f, e, 4096);
	/* no direct Reset -> Run */
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_PAUSE, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e));
	/* no direct Run -> Reset */
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	/* a list with an engine lacking a buffer changes nothing */
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 2, both),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST); /* still running */
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e));
	/* parameters */
	assert_status(hda_set_dma_engine_state(f->bus, (hda_stream_state)7, 1, &e),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 0, &e),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, NULL),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 2, dup),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_free_dma_buffer(f->bus, e));
}

/* ---- callback context --------------------------------------------------------- */

typedef struct ctx_probe {
	hda_bus *bus;
	hda_engine engine;
	hda_status alloc, free_buf, state, verbs, open, reg, async;
	hda_codec_transfer queued;
	int done_fd;
} ctx_probe;

static void queued_done(hda_codec_transfer *t, size_t n, void *arg)
{
	ctx_probe *p = arg;
	uint64_t one = 1;

	(void)t;
	(void)n;
	(void)!write(p->done_fd, &one, sizeof(one));
}

static void unsol_nop(hda_codec_response r, void *ctx)
{
	(void)r;
	(void)ctx;
}

static void probe_cb(hda_codec_transfer *t, size_t n, void *arg)
{
	ctx_probe *p = arg;
	hda_mdl *m;
	size_t sz;
	uint8_t id, tag;
	uint32_t fifo;
	hda_bus *b;
	uint64_t one = 1;

	(void)t;
	(void)n;
	p->alloc = hda_allocate_dma_buffer(p->bus, p->engine, 4096, &m, &sz, &id, &fifo);
	p->free_buf = hda_free_dma_buffer(p->bus, p->engine);
	p->state = hda_set_dma_engine_state(p->bus, HDA_STREAM_STATE_STOP, 1, &p->engine);
	p->verbs = hda_transfer_codec_verbs(p->bus, n, t, NULL, NULL);
	p->open = hda_bus_open("emu", &b);
	p->reg = hda_register_event_callback(p->bus, unsol_nop, NULL, &tag);
	/* queuing never blocks: allowed here */
	p->queued.command = hda_verb12(0, 0, 0xF00, 0x00);
	p->async = hda_transfer_codec_verbs(p->bus, 1, &p->queued, queued_done, p);
	/* closing the bus from its own callback is refused, not a crash */
	hda_bus_close(p->bus);
	(void)!write(p->done_fd, &one, sizeof(one));
}

static void unsuccessful_from_callback(void **state)
{
	fixture *f = *state;
	ctx_probe p = {.bus = f->bus, .engine = render(f)};
	hda_codec_transfer t = {.command = hda_verb12(0, 0, 0xF00, 0)};

	p.done_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(p.done_fd >= 0);
	assert_ok(hda_transfer_codec_verbs(f->bus, 1, &t, probe_cb, &p));
	/* the probe, then the transfer it queued */
	assert_int_equal(wait_eventfd(p.done_fd, 2, 10000), 2);
	assert_status(p.async, HDA_STATUS_SUCCESS);
	assert_true(p.queued.response.is_valid);
	assert_status(p.alloc, HDA_STATUS_UNSUCCESSFUL);
	assert_status(p.free_buf, HDA_STATUS_UNSUCCESSFUL);
	assert_status(p.state, HDA_STATUS_UNSUCCESSFUL);
	assert_status(p.verbs, HDA_STATUS_UNSUCCESSFUL);
	assert_status(p.open, HDA_STATUS_UNSUCCESSFUL);
	assert_status(p.reg, HDA_STATUS_UNSUCCESSFUL);
	/* the asynchronous transfer itself completed */
	assert_true(t.response.is_valid);
	/* and outside the callback the same call works */
	alloc_buffer(f, p.engine, 4096);
	close(p.done_fd);
}

/* ---- verbs and events ---------------------------------------------------------- */

static void verbs(void **state)
{
	fixture *f = *state;
	hda_codec_transfer t[3] = {
		{.command = hda_verb12(0, 0, 0xF00, 0x00)}, /* vendor id */
		{.command = hda_verb12(0, 0, 0xF00, 0x04)}, /* node count */
		{.command = hda_verb12(3, 0, 0xF00, 0x00)}, /* no codec at 3 */
	};

	assert_status(hda_transfer_codec_verbs(f->bus, 0, t, NULL, NULL),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_transfer_codec_verbs(f->bus, 1, NULL, NULL, NULL),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_transfer_codec_verbs(f->bus, 3, t, NULL, NULL));
	assert_true(t[0].response.is_valid);
	assert_true(t[0].response.response != 0);
	assert_true(t[1].response.is_valid);
	assert_int_equal(t[1].response.response & 0xFF, 1); /* one function group */
	/* SUCCESS, but the absent codec's response is not valid */
	assert_false(t[2].response.is_valid);
}

static void event_callback_tags(void **state)
{
	fixture *f = *state;
	uint8_t tags[64];
	uint64_t seen = 0;

	for (unsigned i = 0; i < 63; i++) {
		assert_ok(hda_register_event_callback(f->bus, unsol_nop, NULL,
						      &tags[i]));
		assert_in_range(tags[i], 1, 63);
		assert_false(seen & (1ull << tags[i]));
		seen |= 1ull << tags[i];
	}
	assert_status(hda_register_event_callback(f->bus, unsol_nop, NULL,
						  &tags[63]),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_ok(hda_unregister_event_callback(f->bus, tags[5]));
	assert_status(hda_unregister_event_callback(f->bus, tags[5]), HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_unregister_event_callback(f->bus, 0), HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_register_event_callback(f->bus, unsol_nop, NULL, &tags[5]));
}

static void notification_buffers(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	hda_mdl *m;
	size_t sz, off;
	uint8_t id;
	uint32_t fifo;
	int fd = eventfd(0, EFD_CLOEXEC);

	assert_status(hda_allocate_dma_buffer_with_notification(f->bus, e, 3, 4096, &m, &sz, &off,
								&id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_dma_buffer_with_notification(f->bus, e, 2, 4096, &m, &sz, NULL,
								&id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	/* two notifications: the size is a whole number of two granules */
	assert_ok(hda_allocate_dma_buffer_with_notification(f->bus, e, 2, 128 * 5, &m, &sz, &off,
							    &id, &fifo));
	assert_int_equal(sz % 256, 0);
	assert_int_equal(off, 0);
	/* freed through the plain routine: the wrong kind */
	assert_status(hda_free_dma_buffer(f->bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_free_dma_buffer_with_notification(f->bus, e, m, sz + 1),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_register_notification_event(f->bus, e, fd));
	assert_status(hda_unregister_notification_event(f->bus, e, fd + 1000),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_unregister_notification_event(f->bus, e, fd));
	assert_ok(hda_free_dma_buffer_with_notification(f->bus, e, m, sz));
	close(fd);
}

/* ---- the BDL interface ------------------------------------------------------------ */

static void isr_nop(void *ctx, uint32_t sts)
{
	(void)ctx;
	(void)sts;
}

static void bdl_interface(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	hda_mdl *data;
	hda_bdl_entry *bdl;
	uint8_t id;
	uint32_t fifo;

	assert_ok(hda_allocate_contiguous_dma_buffer(f->bus, e, 4 * 1024, &data, &bdl));
	assert_int_equal(data->byte_count, 4096);
	/* Setup before the BDL makes sense: refused */
	for (unsigned i = 0; i < 4; i++)
		bdl[i] = (hda_bdl_entry){.address = data->pages[0].bus + i * 1024, .length = 1024,
					 .flags = HDA_BDL_IOC};
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 0, isr_nop, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER); /* lvi must be >= 1 */
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4000, 3, isr_nop, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER); /* lengths sum to 4096 */
	bdl[3].address += 4096;
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 3, isr_nop, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER); /* outside the buffer */
	bdl[3].address -= 4096;
	{
		hda_bdl_entry keep = bdl[3];

		/* an address whose end wraps past 2^64 */
		bdl[3].address = 0xFFFFFFFFFFFFFF80ull;
		bdl[3].length = 256;
		assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 3 * 1024 + 256, 3, isr_nop,
							    NULL, &id, &fifo),
			      HDA_STATUS_INVALID_PARAMETER);
		bdl[3] = keep;
	}
	/* without setup the engine cannot leave Reset */
	assert_status(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 3, isr_nop, NULL, &id, &fifo));
	assert_in_range(id, 1, 15);
	assert_true(fifo > 0);
	/* the two families do not mix */
	assert_status(hda_free_dma_buffer(f->bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_status(hda_free_contiguous_dma_buffer(f->bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e));
	assert_ok(hda_free_contiguous_dma_buffer(f->bus, e));
	assert_ok(hda_free_dma_engine(f->bus, e));
}

/* AllocateContiguousDmaBuffer's statuses: INVALID_PARAMETER for a bad
 * pointer or a size of 0, INVALID_DEVICE_REQUEST for the wrong state
 * before the size is looked at, INSUFFICIENT_RESOURCES above 4 MiB. */
static void contiguous_buffer_statuses(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f);
	hda_mdl *data;
	hda_bdl_entry *bdl;

	assert_status(hda_allocate_contiguous_dma_buffer(f->bus, e, 4096, NULL, &bdl),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_contiguous_dma_buffer(f->bus, e, 4096, &data, NULL),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_contiguous_dma_buffer(f->bus, e, 0, &data, &bdl),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_contiguous_dma_buffer(f->bus, e, (4u << 20) + 128, &data, &bdl),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_status(hda_allocate_contiguous_dma_buffer(f->bus, e, UINT32_MAX, &data, &bdl),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	/* the largest: exactly 4 MiB */
	assert_ok(hda_allocate_contiguous_dma_buffer(f->bus, e, 4u << 20, &data, &bdl));
	assert_int_equal(data->byte_count, 4u << 20);
	/* a buffer is already there: the state, not the size, is wrong */
	assert_status(hda_allocate_contiguous_dma_buffer(f->bus, e, 8u << 20, &data, &bdl),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_free_contiguous_dma_buffer(f->bus, e));
	assert_ok(hda_free_dma_engine(f->bus, e));
}

/* Two 2 KiB entries of the contiguous buffer, IOC as asked. */
static void bdl_two_entries(hda_bdl_entry *bdl, const hda_mdl *data, uint32_t ioc0, uint32_t ioc1)
{
	bdl[0] = (hda_bdl_entry){.address = data->pages[0].bus, .length = 2048, .flags = ioc0};
	bdl[1] = (hda_bdl_entry){.address = data->pages[0].bus + 2048, .length = 2048,
				 .flags = ioc1};
}

/* The ISR is needed only when an entry asks for IOC; and a routine used in
 * the wrong state says so, whatever else is wrong with the call. */
static void bdl_isr_rules_and_check_order(void **state)
{
	fixture *f = *state;
	hda_engine e = render(f), plain = render(f);
	hda_mdl *data;
	hda_bdl_entry *bdl;
	uint8_t id;
	uint32_t fifo;
	buffer b = alloc_buffer(f, plain, 4096);

	(void)b;
	/* no contiguous buffer (none, or the other family's): the state is
	 * wrong, even with NULL out-pointers, no ISR and a bad lvi */
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 0, NULL, NULL, NULL, NULL),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, plain, 4096, 1, NULL, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);

	assert_ok(hda_allocate_contiguous_dma_buffer(f->bus, e, 4096, &data, &bdl));
	/* an IOC entry with no ISR to call: refused */
	bdl_two_entries(bdl, data, 0, HDA_BDL_IOC);
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 1, NULL, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	bdl_two_entries(bdl, data, HDA_BDL_IOC, 0);
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 1, NULL, NULL, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	/* no IOC anywhere: no ISR needed, and the engine runs */
	bdl_two_entries(bdl, data, 0, 0);
	assert_ok(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 1, NULL, NULL, &id, &fifo));
	assert_in_range(id, 1, 15);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e));
	/* not in Reset: the state is wrong, even with NULL out-pointers */
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 1, NULL, NULL, NULL, NULL),
		      HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e));
	/* in Reset with the buffer: now the parameters are looked at */
	assert_status(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 1, NULL, NULL, NULL, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	/* an ISR is still accepted where no entry needs it */
	assert_ok(hda_setup_dma_engine_with_bdl(f->bus, e, 4096, 1, isr_nop, NULL, &id, &fifo));
	assert_ok(hda_free_contiguous_dma_buffer(f->bus, e));
}

/* ---- Pause then Run --------------------------------------------------------- */

#define RESUME_FRAMES 48000u        /* 1 s of the test signal */
#define RESUME_BUFFER (48000u / 5 * 4) /* 200 ms: above QEMU's 8 KiB codec buffer */
/* What QEMU's codec and wav backend hold between the DMA and the file
 * (hda.h's QEMU notes, test_qemu_audio.c): 8 KiB + 4 KiB + a 2 ms tick. */
#define DOWNSTREAM_FRAMES (8192 / 4 + 4096 / 4 + 2 * 96)

typedef struct player {
	hda_bus *bus;
	hda_emu *manual; /* the emulator on its manual clock, else NULL */
	hda_engine e;
	unsigned sd;
	hda_mdl *mdl;
	size_t size;
	int efd;
	hda_position_tracker t;
	hda_stream_position pos;
	uint64_t written;
} player;

/* Let 1 ms pass: on the manual clock by advancing it, on a real one by
 * waiting (callers poll a condition, with a bound). */
static void tick(hda_emu *manual)
{
	if (manual)
		assert_ok(hda_emu_advance(manual, 1000000));
	else
		nanosleep(&(struct timespec){0, 1000000}, NULL);
}

static hda_emu *manual_clock(hda_bus *bus)
{
	return strstr(test_uri(), "clock=manual") ? hda_emu_from_bus(bus) : NULL;
}

/* One step of time, then track, check and refill behind the DMA. */
static void player_step(player *pl)
{
	tick(pl->manual);
	if (pl->manual) {
		hda_emu_stream_truth truth;

		assert_ok(hda_position_track(pl->bus, pl->e, &pl->t, &pl->pos));
		/* exact against the model, across every pause */
		assert_ok(hda_emu_stream_truth_get(pl->manual, pl->sd, &truth));
		assert_int_equal(pl->pos.link_bytes, truth.link_bytes);
		assert_int_equal(pl->pos.dma_bytes, truth.dma_bytes);
	} else {
		assert_ok(hda_position_track(pl->bus, pl->e, &pl->t, &pl->pos));
	}
	/* the DMA never fetched a byte that was not written */
	assert_true(pl->pos.dma_bytes <= pl->written);
	test_fill(pl->mdl->base, pl->size, &pl->written, pl->pos.dma_bytes + pl->size,
		  RESUME_FRAMES);
}

/* Play until *at (the link or the DMA position) reaches `bytes`.  Bounded:
 * on a real clock by the time that takes plus 10 s, on the manual clock by
 * the steps. */
static void player_until_at(player *pl, const uint64_t *at, uint64_t bytes)
{
	uint64_t need_ms = bytes > *at ? (bytes - *at) / 192 : 0;
	uint64_t deadline = test_now_ms() + need_ms + 10000, steps = 0;

	while (*at < bytes) {
		if (pl->manual ? ++steps > need_ms + 1000 : test_now_ms() > deadline)
			fail_msg("the stream stalled at %llu of %llu bytes",
				 (unsigned long long)*at, (unsigned long long)bytes);
		player_step(pl);
	}
}

static void player_until(player *pl, uint64_t link)
{
	player_until_at(pl, &pl->pos.link_bytes, link);
}

static void player_until_dma(player *pl, uint64_t dma)
{
	player_until_at(pl, &pl->pos.dma_bytes, dma);
}

static void player_open(player *pl, const char *wav)
{
	const char *uri = test_uri();
	char full[512];
	hda_codec_path paths[32], path;
	size_t n, off;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	bool found = false;

	memset(pl, 0, sizeof(*pl));
	/* the backends name their WAV sinks differently */
	snprintf(full, sizeof(full), "%s%s%s%s", uri, strchr(uri, ':') ? "," : ":",
		 strncmp(uri, "qemu", 4) ? "lineout=wav:" : "wav=", wav);
	assert_ok(hda_bus_open(full, &pl->bus));
	pl->manual = manual_clock(pl->bus);
	assert_ok(hda_codec_find_paths(pl->bus, 0, paths, 32, &n));
	for (size_t i = 0; i < n && i < 32 && !found; i++)
		if (paths[i].dir == HDA_PATH_OUTPUT && paths[i].device == HDA_PIN_LINE_OUT) {
			path = paths[i];
			found = true;
		}
	assert_true(found);
	assert_ok(hda_allocate_render_dma_engine(pl->bus, &FMT_48K_16_2, false, &pl->e, &conv));
	assert_ok(hda_allocate_dma_buffer_with_notification(pl->bus, pl->e, 2, RESUME_BUFFER,
							    &pl->mdl, &pl->size, &off, &id,
							    &fifo));
	assert_int_equal(pl->size, RESUME_BUFFER);
	assert_ok(hda_get_engine_descriptor(pl->bus, pl->e, &pl->sd));
	pl->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(pl->efd >= 0);
	assert_ok(hda_register_notification_event(pl->bus, pl->e, pl->efd));
	assert_ok(hda_codec_path_enable(pl->bus, &path, id, conv));
	hda_position_tracker_reset(&pl->t);
	assert_ok(hda_set_dma_engine_state(pl->bus, HDA_STREAM_STATE_STOP, 1, &pl->e));
	test_fill(pl->mdl->base, pl->size, &pl->written, pl->size, RESUME_FRAMES);
}

/*
 * Stop is Pause (hda.h): Run after it continues where the engine stopped,
 * on every controller, including one whose RUN restarts its BDL (QEMU's,
 * where libhda emulates the resume).  Three pauses at offsets inside BDL
 * entries; positions hold while paused and continue after, the tracker
 * counts no wrap that did not happen, and the line-out receives the signal
 * with nothing replayed or skipped.
 */
static void pause_then_run_resumes(void **state)
{
	char dir[] = "/tmp/hda-resume-XXXXXX", wav[128];
	/* stop points in buffers: mid first entry, mid second, mid first */
	const double stops[] = {1.37, 2.61, 3.05};
	player pl;
	uint64_t notified = 0, v;
	const volatile uint32_t *lpib;

	(void)state;
	/* The emulator's real-time device thread reads DMA memory while this
	 * thread refills it, ordered only by the DMA position: correct, as on
	 * hardware, but invisible to ThreadSanitizer.  Its manual clock runs
	 * the device on this thread (conformance-emu); QEMU is another
	 * process.  So only the ThreadSanitizer build skips it there. */
#if defined(__SANITIZE_THREAD__)
	if (!strncmp(test_uri(), "emu", 3) && !strstr(test_uri(), "clock=manual")) {
		printf("pause_then_run_resumes: under ThreadSanitizer it runs on the "
		       "emulator's manual clock only\n");
		skip();
	}
#endif
	assert_non_null(mkdtemp(dir));
	snprintf(wav, sizeof(wav), "%s/out.wav", dir);
	player_open(&pl, wav);
	assert_ok(hda_set_dma_engine_state(pl.bus, HDA_STREAM_STATE_RUN, 1, &pl.e));
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		hda_stream_position held, after;
		hda_position raw;
		uint64_t t0, budget;

		player_until(&pl, (uint64_t)(stops[i] * RESUME_BUFFER) / 4 * 4);
		assert_ok(hda_set_dma_engine_state(pl.bus, HDA_STREAM_STATE_STOP, 1, &pl.e));
		assert_ok(hda_position_track(pl.bus, pl.e, &pl.t, &held));
		/* paused: nothing moves for 30 ms */
		for (unsigned ms = 0; ms < 30; ms++) {
			tick(pl.manual);
			assert_ok(hda_position_track(pl.bus, pl.e, &pl.t, &pl.pos));
			assert_int_equal(pl.pos.link_bytes, held.link_bytes);
			assert_int_equal(pl.pos.dma_bytes, held.dma_bytes);
		}
		assert_ok(hda_read_position(pl.bus, pl.e, &raw));
		assert_int_equal(raw.dma, held.dma_bytes % RESUME_BUFFER);
		/* A backend that hands out LPIB must hand out the buffer
		 * position, also after a resume (where the driver emulates
		 * one, the register counts from the resume: not handed out). */
		if (hda_get_link_position_register(pl.bus, pl.e, &lpib) == HDA_STATUS_SUCCESS)
			assert_int_equal(*lpib, raw.link);
		/* Run again: the position goes on from where it stopped.  It
		 * may jump by what a controller takes at once (QEMU's codec
		 * takes up to 8 KiB) and what the time since Run carries, but
		 * not by the rest of a buffer, as a restart from offset 0
		 * would make the tracker count. */
		t0 = test_now_ms();
		assert_ok(hda_set_dma_engine_state(pl.bus, HDA_STREAM_STATE_RUN, 1, &pl.e));
		player_until_dma(&pl, held.dma_bytes + 1);
		after = pl.pos;
		budget = (test_now_ms() - t0 + 2) * 192 + 8192 + 256;
		if (after.dma_bytes - held.dma_bytes > budget)
			fail_msg("pause %zu: resumed %llu bytes past the stop (at most %llu)", i,
				 (unsigned long long)(after.dma_bytes - held.dma_bytes),
				 (unsigned long long)budget);
	}
	/* the whole signal, and what sits downstream of the DMA, played */
	player_until(&pl, (uint64_t)(RESUME_FRAMES + 2 * DOWNSTREAM_FRAMES) * 4);
	assert_ok(hda_set_dma_engine_state(pl.bus, HDA_STREAM_STATE_STOP, 1, &pl.e));
	/* IOC at the two half-buffer marks only: never more notifications
	 * than marks the DMA crossed (an IOC moved by a resume would add
	 * some); fewer only where the thread merged two. */
	while (read(pl.efd, &v, sizeof(v)) == sizeof(v))
		notified += v;
	assert_true(notified <= pl.pos.dma_bytes / (RESUME_BUFFER / 2));
	assert_true(notified >= pl.pos.dma_bytes / (RESUME_BUFFER / 2) / 2);
	hda_bus_close(pl.bus);
	close(pl.efd);

	/* the signal, frame for frame: no replay, no gap at any pause */
	test_wav_check(wav, RESUME_FRAMES, false);
	unlink(wav);
	rmdir(dir);
}

/*
 * A resume that would need one more BDL entry than the 256 there are: where
 * the driver emulates the resume (QEMU) and the engine stopped inside an
 * entry, Run fails with INSUFFICIENT_RESOURCES and the engine stays
 * stopped where it was; a controller that resumes by itself just runs.
 */
static void resume_with_full_bdl(void **state)
{
	fixture *f = *state;
	const uint32_t entry = 16384, size = 256 * entry; /* 4 MiB */
	hda_emu *manual = manual_clock(f->bus);
	hda_engine e = render(f);
	hda_codec_path paths[32];
	hda_mdl *data;
	hda_bdl_entry *bdl;
	hda_position p, q;
	size_t n;
	uint8_t id;
	uint32_t fifo;
	hda_status st = HDA_STATUS_SUCCESS;
	bool refused = false;

	assert_ok(hda_allocate_contiguous_dma_buffer(f->bus, e, size, &data, &bdl));
	for (unsigned i = 0; i < 256; i++)
		bdl[i] = (hda_bdl_entry){.address = data->pages[0].bus + (uint64_t)i * entry,
					 .length = entry};
	assert_ok(hda_setup_dma_engine_with_bdl(f->bus, e, size, 255, NULL, NULL, &id, &fifo));
	assert_ok(hda_codec_find_paths(f->bus, 0, paths, 32, &n));
	assert_true(n >= 1 && paths[0].dir == HDA_PATH_OUTPUT);
	assert_ok(hda_codec_path_enable(f->bus, &paths[0], id, 0x0011));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e));
	/* Stop until it stops inside an entry (a stop on a boundary needs no
	 * split, and resumes); each try lets the DMA move first, bounded. */
	for (unsigned tries = 0; tries < 20 && !refused; tries++) {
		uint64_t deadline = test_now_ms() + 10000;

		assert_ok(hda_read_position(f->bus, e, &p));
		do {
			tick(manual);
			assert_ok(hda_read_position(f->bus, e, &q));
			if (test_now_ms() > deadline)
				fail_msg("the DMA position did not move in 10 s");
		} while (q.dma == p.dma);
		assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
		assert_ok(hda_read_position(f->bus, e, &p));
		st = hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e);
		if (st == HDA_STATUS_SUCCESS)
			continue;
		assert_status(st, HDA_STATUS_INSUFFICIENT_RESOURCES);
		assert_true(p.dma % entry != 0);
		refused = true;
		/* still stopped, where it was */
		for (unsigned ms = 0; ms < 20; ms++) {
			tick(manual);
			assert_ok(hda_read_position(f->bus, e, &q));
			assert_int_equal(q.dma, p.dma);
		}
	}
	/* QEMU restarts its BDL at every Run (README, QEMU's quirks) */
	assert_true(refused == !strcmp(f->info.backend, "qemu"));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	/* Reset puts the BDL back as programmed: it runs again from 0 */
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_read_position(f->bus, e, &p));
	assert_int_equal(p.dma, 0);
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RUN, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(f->bus, HDA_STREAM_STATE_RESET, 1, &e));
	assert_ok(hda_free_contiguous_dma_buffer(f->bus, e));
}

static void codec_paths(void **state)
{
	fixture *f = *state;
	hda_codec_path paths[32];
	size_t n = 0, outs = 0, ins = 0;

	assert_ok(hda_codec_find_paths(f->bus, 0, paths, 32, &n));
	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++) {
		const hda_codec_path *p = &paths[i];

		assert_true(p->depth >= 2);
		if (p->dir == HDA_PATH_OUTPUT) {
			outs++;
			assert_int_equal(p->nodes[0], p->pin);
			assert_int_equal(p->nodes[p->depth - 1], p->converter);
		} else {
			ins++;
			assert_int_equal(p->nodes[0], p->converter);
			assert_int_equal(p->nodes[p->depth - 1], p->pin);
		}
		assert_ok(hda_codec_path_enable(f->bus, p, 1, 0x0011));
		assert_ok(hda_codec_path_disable(f->bus, p));
	}
	assert_true(outs >= 1);
	assert_status(hda_codec_find_paths(f->bus, 9, paths, 32, &n), HDA_STATUS_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_names),
		cmocka_unit_test(bus_open_errors),
		cmocka_unit_test_setup_teardown(device_information, setup, teardown),
		cmocka_unit_test_setup_teardown(engine_bad_parameters, setup, teardown),
		cmocka_unit_test_setup_teardown(engines_exhaust_and_stream_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(bandwidth, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_null_out_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_size_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_mdl, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_only_in_reset_and_once, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_matches_position_report, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(unsuccessful_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(verbs, setup, teardown),
		cmocka_unit_test_setup_teardown(event_callback_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(notification_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(bdl_interface, setup, teardown),
		cmocka_unit_test_setup_teardown(codec_paths, setup, teardown),
		cmocka_unit_test(stream_ids_beyond_15_engines),
		cmocka_unit_test_setup_teardown(contiguous_buffer_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(bdl_isr_rules_and_check_order, setup, teardown),
		cmocka_unit_test(pause_then_run_resumes),
		cmocka_unit_test_setup_teardown(resume_with_full_bdl, setup, teardown),
	};

	skip_without_qemu(test_uri());
	return cmocka_run_group_tests_name(test_uri(), tests, NULL, NULL);
}
