/* SPDX-License-Identifier: MIT */
/*
 * Codec programming against the emulator's real-codec-faithful model
 * (hda_codec.h): amp caps taken from the function group for widgets without
 * amp override, so that a path plays at 0 dB; power states that settle only
 * after a delay; VRef on capture pins; codec reads that fail; the pipeline
 * delay of a path; and DMA buffers that a controller without 64OK cannot
 * reach.  Manual clock throughout.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "testaudio.h"

/* Verbs the tests read back (hda-facts 5). */
#define GET_PARAMETER 0xF00
#define GET_CHANNEL_STREAMID 0xF06
#define GET_PIN_WIDGET_CONTROL 0xF07
#define GET_POWER_STATE 0xF05
#define PAR_AMP_IN_CAP 0x0D
#define PAR_AMP_OUT_CAP 0x12
#define GET_AMP_GAIN_MUTE 0xB
#define AMP_GET_OUTPUT 0x8000u
#define AMP_GET_LEFT 0x2000u

#define NS_PER_MS 1000000ull
#define GiB (1ull << 32)

static uint32_t verb(hda_bus *bus, uint32_t cmd)
{
	hda_codec_transfer t = {.command = cmd};

	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
	return t.response.response;
}

/* ---- amp caps: a path plays at 0 dB ---------------------------------------- */

#define RENDER_MS 200u
#define RENDER_FRAMES (48u * RENDER_MS)

/*
 * Line-out through mixer and pin, whose amps have no override: only the
 * AFG's caps give their 0 dB gain.  With a widget's own (zero) caps the
 * driver would set gain 0, 34.5 dB below 0 dB on the mixer input, and the
 * WAV would not be the signal.
 */
static void amp_caps_zero_db(void **state)
{
	char dir[] = "/tmp/test_codec_paths.XXXXXX", wav[64], uri[128];
	hda_bus *bus;
	hda_emu *emu;
	hda_codec_path path;
	hda_engine e;
	hda_mdl *mdl;
	hda_position_tracker tr;
	hda_stream_position pos = {0};
	uint16_t conv;
	uint32_t fifo, afg_in, afg_out;
	size_t size;
	uint8_t id;
	uint64_t written = 0, played = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(wav, sizeof(wav), "%s/out.wav", dir);
	snprintf(uri, sizeof(uri), "emu:clock=manual,lineout=wav:%s", wav);
	assert_ok(hda_bus_open(uri, &bus));
	emu = hda_emu_from_bus(bus);
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, &path));
	assert_int_equal(path.depth, 3); /* pin, mixer, DAC */

	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv));
	assert_ok(hda_allocate_dma_buffer(bus, e, 9600, &mdl, &size, &id, &fifo));
	assert_ok(hda_codec_path_enable(bus, &path, id, conv));

	/* The mixer's amps hold the AFG caps' 0 dB, unmuted. */
	afg_in = verb(bus, hda_verb12(0, 0x01, GET_PARAMETER, PAR_AMP_IN_CAP));
	afg_out = verb(bus, hda_verb12(0, 0x01, GET_PARAMETER, PAR_AMP_OUT_CAP));
	assert_int_equal(verb(bus, hda_verb4(0, path.nodes[1], GET_AMP_GAIN_MUTE, AMP_GET_LEFT)),
			 afg_in & 0x7F);
	assert_int_equal(verb(bus, hda_verb4(0, path.nodes[1], GET_AMP_GAIN_MUTE,
					     AMP_GET_OUTPUT | AMP_GET_LEFT)),
			 afg_out & 0x7F);

	test_fill(mdl->base, size, &written, size, RENDER_FRAMES);
	hda_position_tracker_reset(&tr);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	while (pos.converter_frames < RENDER_FRAMES) {
		assert_ok(hda_emu_advance(emu, 5 * NS_PER_MS));
		assert_ok(hda_position_track(bus, e, &tr, &pos));
		test_fill(mdl->base, size, &written, pos.dma_bytes + size, RENDER_FRAMES);
	}
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	/* Power had settled before the stream ran: every frame played. */
	assert_ok(hda_emu_converter_frames(emu, path.converter, &played));
	assert_true(played >= RENDER_FRAMES);
	hda_bus_close(bus);

	/* 0 dB on every amp: the WAV is the signal, bit for bit. */
	test_wav_check(wav, RENDER_FRAMES, false);
	unlink(wav);
	rmdir(dir);
}

/* ---- power ------------------------------------------------------------------ */

/* The AFG needs several reads of its power state before it is in D0; the
 * driver waits for it, so the path is usable when enable returns. */
static void power_settles(void **state)
{
	hda_bus *bus;
	hda_codec_path path;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,power_settle=20", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_HP_OUT, &path));
	/* At power-on the AFG is in D3, set and actual. */
	assert_int_equal(verb(bus, hda_verb12(0, 0x01, GET_POWER_STATE, 0)), 0x33);
	assert_ok(hda_codec_path_enable(bus, &path, 3, 0x0011));
	/* Set and actual D0, with nothing left to settle. */
	assert_int_equal(verb(bus, hda_verb12(0, 0x01, GET_POWER_STATE, 0)), 0x00);
	assert_int_equal(verb(bus, hda_verb12(0, path.converter, GET_POWER_STATE, 0)), 0x00);
	assert_int_equal(verb(bus, hda_verb12(0, path.converter, GET_CHANNEL_STREAMID, 0)), 0x30);
	hda_bus_close(bus);
}

/* A power state that never settles: enable gives up, bounded, with
 * DEVICE_NOT_READY, and has programmed nothing past the power-up. */
static void power_never_settles(void **state)
{
	hda_bus *bus;
	hda_codec_path path;
	uint64_t t0;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,power_settle=never", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, &path));
	t0 = test_now_ms();
	assert_status(hda_codec_path_enable(bus, &path, 2, 0x0011), HDA_STATUS_DEVICE_NOT_READY);
	/* The bound is at least 500 reads 1 ms apart. */
	assert_true(test_now_ms() - t0 >= 500);
	/* Set D0, still actually D3. */
	assert_int_equal(verb(bus, hda_verb12(0, 0x01, GET_POWER_STATE, 0)), 0x30);
	assert_int_equal(verb(bus, hda_verb12(0, path.converter, GET_CHANNEL_STREAMID, 0)), 0);
	assert_int_equal(verb(bus, hda_verb12(0, path.pin, GET_PIN_WIDGET_CONTROL, 0)), 0);
	hda_bus_close(bus);
}

/* ---- capture pins: VRef from the pin caps ------------------------------------ */

static void capture_vref(void **state)
{
	hda_bus *bus;
	hda_codec_path mic, line;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_INPUT, HDA_PIN_MIC_IN, &mic));
	assert_ok(test_find_path(bus, HDA_PATH_INPUT, HDA_PIN_LINE_IN, &line));
	/* The mic pin offers Hi-Z, 50, ground, 80 and 100 %: 80 % (VRef 4)
	 * with IN_EN. */
	assert_ok(hda_codec_path_enable(bus, &mic, 4, 0x0011));
	assert_int_equal(verb(bus, hda_verb12(0, mic.pin, GET_PIN_WIDGET_CONTROL, 0)), 0x24);
	/* Line-in offers 50 % too, but a line source gets Hi-Z. */
	assert_ok(hda_codec_path_enable(bus, &line, 5, 0x0011));
	assert_int_equal(verb(bus, hda_verb12(0, line.pin, GET_PIN_WIDGET_CONTROL, 0)), 0x20);
	hda_bus_close(bus);
}

/* ---- failed codec reads ------------------------------------------------------- */

/* Amp caps (parameter 0x12) unanswered: enable fails instead of
 * unmuting at a guessed gain, and tags no converter. */
static void failed_amp_caps_read(void **state)
{
	hda_bus *bus;
	hda_codec_path path;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,silent_param=0x12", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, &path));
	assert_status(hda_codec_path_enable(bus, &path, 1, 0x0011), HDA_STATUS_DEVICE_NOT_READY);
	assert_int_equal(verb(bus, hda_verb12(0, path.converter, GET_CHANNEL_STREAMID, 0)), 0);
	hda_bus_close(bus);
}

/* Pin caps (parameter 0x0C) unanswered: discovery fails and lists
 * nothing. */
static void failed_discovery_read(void **state)
{
	hda_bus *bus;
	hda_codec_path paths[8];
	size_t n = 99;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual,silent_param=0x0C", &bus));
	assert_status(hda_codec_find_paths(bus, 0, paths, 8, &n), HDA_STATUS_DEVICE_NOT_READY);
	assert_int_equal(n, 99);
	hda_bus_close(bus);
}

/* A codec that falls silent between discovery and enable. */
static void codec_silent_enable(void **state)
{
	hda_bus *bus;
	hda_codec_path path;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, &path));
	assert_ok(hda_emu_inject_fault(hda_emu_from_bus(bus), HDA_EMU_FAULT_CODEC_SILENT, true));
	assert_status(hda_codec_path_enable(bus, &path, 1, 0x0011), HDA_STATUS_DEVICE_NOT_READY);
	hda_bus_close(bus);
}

/* ---- pipeline delay ------------------------------------------------------------ */

/* The emulator's delays: DAC 3, mixer 1, selector 2, ADC 4, pins 0. */
static void path_delay(void **state)
{
	hda_bus *bus;
	hda_codec_path out, mic;

	(void)state;
	assert_ok(hda_bus_open("emu:clock=manual", &bus));
	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, &out));
	assert_ok(test_find_path(bus, HDA_PATH_INPUT, HDA_PIN_MIC_IN, &mic));
	assert_int_equal(out.depth, 3);
	assert_int_equal(out.delay_frames, 0 + 1 + 3);
	assert_int_equal(mic.depth, 3);
	assert_int_equal(mic.delay_frames, 4 + 2 + 0);
	hda_bus_close(bus);
}

/* ---- 64OK ------------------------------------------------------------------------ */

/* Allocate `bytes` on a fresh render engine; report the status and where
 * the data landed. */
static hda_status try_buffer(hda_bus *bus, size_t bytes, uint64_t *bus_addr, hda_engine *e)
{
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	hda_status st;

	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, e, &conv));
	st = hda_allocate_dma_buffer(bus, *e, bytes, &mdl, &size, &id, &fifo);
	if (st == HDA_STATUS_SUCCESS)
		*bus_addr = mdl->pages[mdl->page_count - 1].bus;
	return st;
}

static void dma64(void **state)
{
	hda_bus *bus;
	hda_engine small, big, cont;
	hda_mdl *mdl;
	hda_bdl_entry *bdl;
	uint64_t at = 0;
	uint16_t conv;

	(void)state;
	/* Without 64OK and without memory below 4 GiB the controller's rings
	 * cannot be placed. */
	assert_status(hda_bus_open("emu:clock=manual,64ok=off", &bus),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);

	/* 1 MiB below 4 GiB: a small buffer fits there and is accepted; a
	 * 2 MiB one lands above 4 GiB and is refused. */
	assert_ok(hda_bus_open("emu:clock=manual,64ok=off,dma_low_mb=1", &bus));
	assert_ok(try_buffer(bus, 1920, &at, &small));
	assert_true(at < GiB);
	assert_status(try_buffer(bus, 2u << 20, &at, &big), HDA_STATUS_INSUFFICIENT_RESOURCES);
	/* The contiguous buffer goes through the same check. */
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &cont, &conv));
	assert_status(hda_allocate_contiguous_dma_buffer(bus, cont, 2u << 20, &mdl, &bdl),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	/* The refusal left nothing behind: a small one still fits. */
	assert_ok(hda_free_dma_buffer(bus, small));
	assert_ok(hda_allocate_contiguous_dma_buffer(bus, cont, 1920, &mdl, &bdl));
	assert_true(mdl->pages[0].bus < GiB);
	hda_bus_close(bus);

	/* The same memory with 64OK: the 2 MiB buffer above 4 GiB is fine. */
	assert_ok(hda_bus_open("emu:clock=manual,dma_low_mb=1", &bus));
	assert_ok(try_buffer(bus, 2u << 20, &at, &big));
	assert_true(at >= GiB);
	hda_bus_close(bus);
}

/* ---- the options' errors ------------------------------------------------------ */

static void expect_open_error(const char *uri, const char *msg)
{
	char reason[256] = "";
	hda_bus *bus = NULL;

	assert_status(hda_bus_open_ex(uri, &bus, reason, sizeof(reason)),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_null(bus);
	if (!strstr(reason, msg))
		fail_msg("'%s': reason '%s' lacks '%s'", uri, reason, msg);
}

static void option_errors(void **state)
{
	(void)state;
	expect_open_error("emu:power_settle=soon", "emu option 'power_settle': expected 0..1000 or never, got 'soon'");
	expect_open_error("emu:power_settle=1001", "'power_settle'");
	expect_open_error("emu:silent_param=0x100", "emu option 'silent_param': expected a parameter id");
	expect_open_error("emu:silent_param=-1", "'silent_param'");
	expect_open_error("emu:64ok=maybe", "emu option '64ok': expected off or on, got 'maybe'");
	expect_open_error("emu:dma_low_mb=1025", "emu option 'dma_low_mb': expected 0..1024");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amp_caps_zero_db),
		cmocka_unit_test(power_settles),
		cmocka_unit_test(power_never_settles),
		cmocka_unit_test(capture_vref),
		cmocka_unit_test(failed_amp_caps_read),
		cmocka_unit_test(failed_discovery_read),
		cmocka_unit_test(codec_silent_enable),
		cmocka_unit_test(path_delay),
		cmocka_unit_test(dma64),
		cmocka_unit_test(option_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
