/* SPDX-License-Identifier: MIT */
/*
 * White-box tests of the emulated codec (emu_codec.c) and its endpoints
 * (emu_endpoint.c): verbs, routing, amps, loopback, unsolicited responses
 * and endpoint specs.  Deterministic: no threads, no clocks, no sleeps.
 * Files go to a fresh mkdtemp directory that each test removes.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#include "emu.h"
#include "hda_regs.h"

#define FMT_48K_16_2 0x0011
#define FMT_44K_16_2 0x4011
#define FMT_48K_24_2 0x0031

struct fixture {
	char dir[64];
	char path[256];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_emu_codec.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	char p[512];
	DIR *d;

	d = opendir(fx->dir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static const char *file_in(struct fixture *fx, const char *name)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
	return fx->path;
}

/* ---- helpers ---------------------------------------------------------------- */

static uint32_t v12(emu_codec *c, uint8_t nid, uint16_t verb, uint8_t payload)
{
	uint32_t r = 0xDEADBEEF;

	assert_true(emu_codec_verb(c, hda_verb12(0, nid, verb, payload) &
					      0x0FFFFFFFu,
				   &r));
	return r;
}

static uint32_t v4(emu_codec *c, uint8_t nid, uint8_t verb, uint16_t payload)
{
	uint32_t r = 0xDEADBEEF;

	assert_true(emu_codec_verb(c, hda_verb4(0, nid, verb, payload) &
					      0x0FFFFFFFu,
				   &r));
	return r;
}

static uint32_t param(emu_codec *c, uint8_t nid, uint8_t id)
{
	return v12(c, nid, HDA_VERB_GET_PARAMETER, id);
}

/* The caps of an amp as a driver must read them: the widget's own with
 * amp override, the AFG's otherwise. */
static uint32_t amp_caps_of(emu_codec *c, uint8_t nid, bool out)
{
	uint32_t w = param(c, nid, HDA_PAR_AUDIO_WIDGET_CAP);

	return param(c, (w & HDA_WCAP_AMP_OVERRIDE) ? nid : 0x01,
		     out ? HDA_PAR_AMP_OUT_CAP : HDA_PAR_AMP_IN_CAP);
}

static uint8_t zero_db(emu_codec *c, uint8_t nid, bool out)
{
	return (uint8_t)HDA_AMPCAP_OFFSET(amp_caps_of(c, nid, out));
}

static void unmute_out(emu_codec *c, uint8_t nid)
{
	v4(c, nid, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_OUTPUT | HDA_AMP_SET_LEFT | HDA_AMP_SET_RIGHT |
		   zero_db(c, nid, true));
}

static void unmute_in(emu_codec *c, uint8_t nid)
{
	v4(c, nid, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_INPUT | HDA_AMP_SET_LEFT | HDA_AMP_SET_RIGHT |
		   zero_db(c, nid, false));
}

static emu_codec *make_codec(const char *lineout, const char *hp,
			     const char *mic, const char *linein)
{
	emu_codec_config cfg = { .lineout = lineout, .hp = hp, .mic = mic, .linein = linein };
	emu_codec *c = NULL;
	char err[256] = "";

	assert_int_equal(emu_codec_create(&cfg, &c, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	assert_non_null(c);
	return c;
}

/* DAC `dac` tagged and at 48k/16/2, unmuted, nothing else: enough to
 * count what it plays. */
static void setup_tagged(emu_codec *c, uint8_t dac, uint8_t tag)
{
	v12(c, dac, HDA_VERB_SET_CHANNEL_STREAMID, (uint8_t)(tag << 4));
	v4(c, dac, HDA_VERB4_SET_CONVERTER_FORMAT, FMT_48K_16_2);
	unmute_out(c, dac);
}

/* The Linux output-path sequence (hda-facts 5): DAC -> mixer -> pin. */
static void setup_playback(emu_codec *c, uint8_t dac, uint8_t pin,
			   uint8_t sel, uint8_t tag, uint16_t fmt)
{
	uint8_t mix = dac == 0x02 ? 0x06 : 0x07;

	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	v12(c, dac, HDA_VERB_SET_CHANNEL_STREAMID, (uint8_t)(tag << 4));
	v4(c, dac, HDA_VERB4_SET_CONVERTER_FORMAT, fmt);
	unmute_out(c, dac);
	unmute_in(c, mix);
	unmute_out(c, mix);
	v12(c, pin, HDA_VERB_SET_CONNECT_SEL, sel);
	unmute_out(c, pin);
	v12(c, pin, HDA_VERB_SET_PIN_WIDGET_CONTROL, HDA_PINCTL_OUT_EN);
}

/* Capture path: input pin -> selector -> ADC. */
static void setup_capture(emu_codec *c, uint8_t adc, uint8_t pin,
			  uint8_t sel_index, uint8_t tag, uint16_t fmt)
{
	uint8_t sel = adc == 0x04 ? 0x0A : 0x0B;

	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	v12(c, pin, HDA_VERB_SET_PIN_WIDGET_CONTROL, HDA_PINCTL_IN_EN);
	unmute_in(c, pin);
	v12(c, sel, HDA_VERB_SET_CONNECT_SEL, sel_index);
	unmute_out(c, sel);
	unmute_in(c, adc);
	v12(c, adc, HDA_VERB_SET_CHANNEL_STREAMID, (uint8_t)(tag << 4));
	v4(c, adc, HDA_VERB4_SET_CONVERTER_FORMAT, fmt);
}

static void fill_pattern(int16_t *buf, size_t frames, unsigned seed)
{
	size_t i;

	for (i = 0; i < frames; i++) {
		buf[2 * i] = (int16_t)(uint16_t)(i * 7919u + seed);
		buf[2 * i + 1] = (int16_t)(uint16_t)(~(i * 31337u) ^ seed);
	}
}

/* Read a whole 16-bit WAV into buf; returns frames, checks the header. */
static size_t read_wav16(const char *path, int16_t *buf, size_t max_frames,
			 int channels, int rate)
{
	SF_INFO info;
	SNDFILE *sf;
	sf_count_t n;

	memset(&info, 0, sizeof(info));
	sf = sf_open(path, SFM_READ, &info);
	assert_non_null(sf);
	assert_int_equal(info.channels, channels);
	assert_int_equal(info.samplerate, rate);
	assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	assert_true(info.frames <= (sf_count_t)max_frames);
	n = info.frames ? sf_readf_short(sf, buf, info.frames) : 0;
	assert_int_equal(n, info.frames);
	sf_close(sf);
	return (size_t)n;
}

/* ---- verbs ------------------------------------------------------------------ */

static void test_params(void **state)
{
	static const struct {
		uint8_t nid, type;
		uint32_t connlen, list;
	} w[] = {
		{ 0x02, HDA_WID_AUD_OUT, 0, 0 },
		{ 0x03, HDA_WID_AUD_OUT, 0, 0 },
		{ 0x04, HDA_WID_AUD_IN, 1, 0x0A },
		{ 0x05, HDA_WID_AUD_IN, 1, 0x0B },
		{ 0x06, HDA_WID_AUD_MIX, 1, 0x02 },
		{ 0x07, HDA_WID_AUD_MIX, 1, 0x03 },
		{ 0x08, HDA_WID_PIN, 2, 0x0706 },
		{ 0x09, HDA_WID_PIN, 2, 0x0607 },
		{ 0x0A, HDA_WID_AUD_SEL, 2, 0x0D0C },
		{ 0x0B, HDA_WID_AUD_SEL, 2, 0x0C0D },
		{ 0x0C, HDA_WID_PIN, 0, 0 },
		{ 0x0D, HDA_WID_PIN, 0, 0 },
	};
	emu_codec *c = make_codec(NULL, NULL, NULL, NULL);
	uint32_t r;
	size_t i;

	(void)state;
	assert_int_equal(param(c, 0x00, HDA_PAR_VENDOR_ID), 0x1d170001);
	assert_int_equal(param(c, 0x00, HDA_PAR_REVISION_ID), 0x00100100);
	assert_int_equal(param(c, 0x00, HDA_PAR_NODE_COUNT), 0x00010001);
	assert_int_equal(param(c, 0x01, HDA_PAR_NODE_COUNT), 0x0002000C);
	assert_int_equal(param(c, 0x01, HDA_PAR_FG_TYPE) & 0xFF,
			 HDA_FG_TYPE_AUDIO);
	assert_int_equal(param(c, 0x01, HDA_PAR_PCM), 0x000E0560);
	assert_int_equal(param(c, 0x01, HDA_PAR_STREAM_FORMATS), 1);
	assert_int_equal(param(c, 0x01, HDA_PAR_POWER_STATE) & 0xF, 0xF);
	assert_int_equal(param(c, 0x01, HDA_PAR_AMP_OUT_CAP), 0x80027F40);
	assert_int_equal(param(c, 0x01, HDA_PAR_AMP_IN_CAP), 0x80051F17);

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		uint32_t caps = param(c, w[i].nid, HDA_PAR_AUDIO_WIDGET_CAP);

		assert_int_equal(HDA_WCAP_TYPE(caps), w[i].type);
		assert_true(caps & HDA_WCAP_STEREO);
		assert_true(caps & HDA_WCAP_POWER);
		assert_int_equal(!!(caps & HDA_WCAP_CONN_LIST),
				 w[i].connlen > 0);
		assert_int_equal(param(c, w[i].nid, HDA_PAR_CONNLIST_LEN),
				 w[i].connlen);
		assert_int_equal(v12(c, w[i].nid, HDA_VERB_GET_CONNECT_LIST, 0),
				 w[i].list);
	}
	/* Entries from index 1 on. */
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_CONNECT_LIST, 1), 0x07);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_CONNECT_LIST, 2), 0);

	/* Amps where emu.h says, unsol on the presence-detect pins.  Only
	 * the converters have amp override and caps of their own; the other
	 * widgets read 0 and use the AFG's. */
	assert_true(param(c, 0x02, HDA_PAR_AUDIO_WIDGET_CAP) & HDA_WCAP_OUT_AMP);
	assert_true(param(c, 0x02, HDA_PAR_AUDIO_WIDGET_CAP) &
		    HDA_WCAP_AMP_OVERRIDE);
	assert_int_equal(param(c, 0x02, HDA_PAR_AMP_OUT_CAP), 0x80025757);
	assert_int_equal(param(c, 0x04, HDA_PAR_AMP_IN_CAP), 0x80053F1F);
	for (i = 0x06; i <= 0x0D; i++) {
		uint32_t caps = param(c, (uint8_t)i, HDA_PAR_AUDIO_WIDGET_CAP);

		assert_false(caps & HDA_WCAP_AMP_OVERRIDE);
		assert_true(caps & (HDA_WCAP_IN_AMP | HDA_WCAP_OUT_AMP));
		assert_int_equal(param(c, (uint8_t)i, HDA_PAR_AMP_OUT_CAP), 0);
		assert_int_equal(param(c, (uint8_t)i, HDA_PAR_AMP_IN_CAP), 0);
	}
	/* Pipeline delays (WCAP [19:16]): DAC 3, mixer 1, ADC 4, selector
	 * 2, pins 0. */
	assert_int_equal(HDA_WCAP_DELAY(param(c, 0x02, HDA_PAR_AUDIO_WIDGET_CAP)), 3);
	assert_int_equal(HDA_WCAP_DELAY(param(c, 0x06, HDA_PAR_AUDIO_WIDGET_CAP)), 1);
	assert_int_equal(HDA_WCAP_DELAY(param(c, 0x05, HDA_PAR_AUDIO_WIDGET_CAP)), 4);
	assert_int_equal(HDA_WCAP_DELAY(param(c, 0x0B, HDA_PAR_AUDIO_WIDGET_CAP)), 2);
	assert_int_equal(HDA_WCAP_DELAY(param(c, 0x08, HDA_PAR_AUDIO_WIDGET_CAP)), 0);
	assert_int_equal(param(c, 0x02, HDA_PAR_PCM), 0x000E0560);
	assert_true(param(c, 0x08, HDA_PAR_AUDIO_WIDGET_CAP) & HDA_WCAP_UNSOL);
	assert_true(param(c, 0x09, HDA_PAR_AUDIO_WIDGET_CAP) & HDA_WCAP_UNSOL);
	assert_true(param(c, 0x0C, HDA_PAR_AUDIO_WIDGET_CAP) & HDA_WCAP_UNSOL);
	assert_false(param(c, 0x0D, HDA_PAR_AUDIO_WIDGET_CAP) &
		     HDA_WCAP_UNSOL);

	/* Pin caps. */
	r = param(c, 0x08, HDA_PAR_PIN_CAP);
	assert_true((r & HDA_PINCAP_OUT) && (r & HDA_PINCAP_PRES_DETECT) &&
		    (r & HDA_PINCAP_EAPD) && !(r & HDA_PINCAP_IN));
	r = param(c, 0x09, HDA_PAR_PIN_CAP);
	assert_true((r & HDA_PINCAP_OUT) && (r & HDA_PINCAP_PRES_DETECT) &&
		    !(r & HDA_PINCAP_EAPD));
	r = param(c, 0x0C, HDA_PAR_PIN_CAP);
	assert_true((r & HDA_PINCAP_IN) && (r & HDA_PINCAP_PRES_DETECT) &&
		    !(r & HDA_PINCAP_OUT));
	r = param(c, 0x0D, HDA_PAR_PIN_CAP);
	assert_true((r & HDA_PINCAP_IN) && !(r & HDA_PINCAP_PRES_DETECT));
	/* VRef: the mic offers all five, line-in Hi-Z and 50 %. */
	assert_int_equal(HDA_PINCAP_VREF(param(c, 0x0C, HDA_PAR_PIN_CAP)),
			 HDA_VREFCAP_HIZ | HDA_VREFCAP_50 | HDA_VREFCAP_GRD |
				 HDA_VREFCAP_80 | HDA_VREFCAP_100);
	assert_int_equal(HDA_PINCAP_VREF(r), HDA_VREFCAP_HIZ | HDA_VREFCAP_50);

	/* Config default: default device [23:20], jack [31:30] = 0. */
	r = v12(c, 0x08, HDA_VERB_GET_CONFIG_DEFAULT, 0);
	assert_int_equal((r >> 20) & 0xF, 0x0);
	assert_int_equal(r >> 30, 0);
	assert_int_equal(r, 0x01014010);
	assert_int_equal((v12(c, 0x09, HDA_VERB_GET_CONFIG_DEFAULT, 0) >> 20) &
				 0xF,
			 0x2);
	assert_int_equal((v12(c, 0x0C, HDA_VERB_GET_CONFIG_DEFAULT, 0) >> 20) &
				 0xF,
			 0xA);
	assert_int_equal((v12(c, 0x0D, HDA_VERB_GET_CONFIG_DEFAULT, 0) >> 20) &
				 0xF,
			 0x8);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_CONFIG_DEFAULT, 0), 0);

	/* Unknown verbs and unknown nodes answer 0 (not "no response"). */
	assert_int_equal(v12(c, 0x02, 0xF55, 0), 0);
	assert_int_equal(param(c, 0x0E, HDA_PAR_AUDIO_WIDGET_CAP), 0);
	assert_int_equal(param(c, 0x7F, HDA_PAR_VENDOR_ID), 0);
	assert_int_equal(param(c, 0x01, HDA_PAR_VENDOR_ID), 0);
	emu_codec_destroy(c);
}

static void test_verbs_state(void **state)
{
	emu_codec *c = make_codec(NULL, NULL, NULL, NULL);

	(void)state;
	/* Power: AFG resets to D3, widgets to a D0 setting that is not
	 * effective until the AFG is at D0. */
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x33);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_POWER_STATE, 0), 0x30);
	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x00);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_POWER_STATE, 0), 0x00);
	v12(c, 0x02, HDA_VERB_SET_POWER_STATE, 3);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_POWER_STATE, 0), 0x33);
	v12(c, 0x02, HDA_VERB_SET_POWER_STATE, 0);

	/* Converter stream id and format. */
	v12(c, 0x02, HDA_VERB_SET_CHANNEL_STREAMID, 0x52);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_CHANNEL_STREAMID, 0), 0x52);
	v4(c, 0x03, HDA_VERB4_SET_CONVERTER_FORMAT, 0x0831);
	assert_int_equal(v4(c, 0x03, HDA_VERB4_GET_CONVERTER_FORMAT, 0),
			 0x0831);
	assert_int_equal(v4(c, 0x08, HDA_VERB4_GET_CONVERTER_FORMAT, 0), 0);

	/* Amps: reset muted at their 0 dB (0x57 for the DAC); sides set
	 * independently; the example command of hda-facts 5 (0x0023B03F)
	 * unmutes both. */
	assert_int_equal(v4(c, 0x02, HDA_VERB4_GET_AMP_GAIN_MUTE,
			    HDA_AMP_GET_OUTPUT | HDA_AMP_GET_LEFT),
			 0xD7);
	v4(c, 0x02, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_OUTPUT | HDA_AMP_SET_LEFT | 0x25);
	assert_int_equal(v4(c, 0x02, HDA_VERB4_GET_AMP_GAIN_MUTE,
			    HDA_AMP_GET_OUTPUT | HDA_AMP_GET_LEFT),
			 0x25);
	assert_int_equal(v4(c, 0x02, HDA_VERB4_GET_AMP_GAIN_MUTE,
			    HDA_AMP_GET_OUTPUT),
			 0xD7);
	{
		uint32_t r = 1;

		assert_true(emu_codec_verb(c, 0x0023B03F, &r));
		assert_int_equal(r, 0);
	}
	assert_int_equal(v4(c, 0x02, HDA_VERB4_GET_AMP_GAIN_MUTE,
			    HDA_AMP_GET_OUTPUT),
			 0x3F);
	/* Input amp of a mixer, index 0; a DAC has none. */
	v4(c, 0x06, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_INPUT | HDA_AMP_SET_RIGHT | 0x41);
	assert_int_equal(v4(c, 0x06, HDA_VERB4_GET_AMP_GAIN_MUTE, 0), 0x41);
	assert_int_equal(v4(c, 0x06, HDA_VERB4_GET_AMP_GAIN_MUTE,
			    HDA_AMP_GET_LEFT),
			 0x97); /* muted at the AFG in-caps' 0 dB, 0x17 */
	assert_int_equal(v4(c, 0x02, HDA_VERB4_GET_AMP_GAIN_MUTE, 0), 0);

	/* Connection select: pins and selectors; out of range ignored;
	 * a one-input node has nothing to select. */
	v12(c, 0x08, HDA_VERB_SET_CONNECT_SEL, 1);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_CONNECT_SEL, 0), 1);
	v12(c, 0x08, HDA_VERB_SET_CONNECT_SEL, 2);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_CONNECT_SEL, 0), 1);
	v12(c, 0x0B, HDA_VERB_SET_CONNECT_SEL, 1);
	assert_int_equal(v12(c, 0x0B, HDA_VERB_GET_CONNECT_SEL, 0), 1);
	v12(c, 0x06, HDA_VERB_SET_CONNECT_SEL, 1);
	assert_int_equal(v12(c, 0x06, HDA_VERB_GET_CONNECT_SEL, 0), 0);

	/* Pin control, unsolicited enable, EAPD. */
	v12(c, 0x09, HDA_VERB_SET_PIN_WIDGET_CONTROL, 0xC0);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_PIN_WIDGET_CONTROL, 0),
			 0xC0);
	v12(c, 0x09, HDA_VERB_SET_UNSOLICITED_ENABLE, 0x87);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_UNSOLICITED_ENABLE, 0),
			 0x87);
	/* VRef bits are recorded as written: mic in at 80 %. */
	v12(c, 0x0C, HDA_VERB_SET_PIN_WIDGET_CONTROL,
	    HDA_PINCTL_IN_EN | HDA_PINCTL_VREF_80);
	assert_int_equal(v12(c, 0x0C, HDA_VERB_GET_PIN_WIDGET_CONTROL, 0),
			 0x24);
	v12(c, 0x0D, HDA_VERB_SET_UNSOLICITED_ENABLE, 0x87);
	assert_int_equal(v12(c, 0x0D, HDA_VERB_GET_UNSOLICITED_ENABLE, 0), 0);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_EAPD, 0), 0x02);
	v12(c, 0x08, HDA_VERB_SET_EAPD, 0x00);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_EAPD, 0), 0x00);
	v12(c, 0x09, HDA_VERB_SET_EAPD, 0x02);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_EAPD, 0), 0x00);

	/* Pin sense: line-out plugged, headphones not at power-on. */
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_PIN_SENSE, 0),
			 HDA_PIN_SENSE_PRESENCE);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_PIN_SENSE, 0), 0);

	/* Function group reset: everything back to reset values. */
	v12(c, 0x01, HDA_VERB_FUNCTION_RESET, 0);
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x33);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_CHANNEL_STREAMID, 0), 0);
	assert_int_equal(v4(c, 0x02, HDA_VERB4_GET_AMP_GAIN_MUTE,
			    HDA_AMP_GET_OUTPUT | HDA_AMP_GET_LEFT),
			 0xD7);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_CONNECT_SEL, 0), 0);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_PIN_WIDGET_CONTROL, 0), 0);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_UNSOLICITED_ENABLE, 0), 0);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_EAPD, 0), 0x02);
	emu_codec_destroy(c);
}

/* ---- rendering ------------------------------------------------------------ */

#define RENDER_FRAMES 3201

static void test_render_wav_bit_exact(void **state)
{
	struct fixture *fx = *state;
	static int16_t pattern[RENDER_FRAMES * 2];
	static int16_t back[RENDER_FRAMES * 2 + 64];
	char spec[300];
	const char *path = file_in(fx, "lineout.wav");
	size_t calls[] = { 700, 2500, 1 }; /* one call above 1024 frames */
	size_t i, off = 0, n;
	uint64_t frames = 0;
	emu_codec *c;

	snprintf(spec, sizeof(spec), "wav:%s", path);
	c = make_codec(spec, NULL, NULL, NULL);
	/* Line-out selects mixer 0x07 -> DAC 0x03 (index 1). */
	setup_playback(c, 0x03, 0x08, 1, 3, FMT_48K_16_2);
	fill_pattern(pattern, RENDER_FRAMES, 0x1234);
	for (i = 0; i < 3; i++) {
		emu_codec_render(c, 3, FMT_48K_16_2,
				 (const uint8_t *)(pattern + 2 * off),
				 calls[i]);
		emu_codec_step_end(c);
		off += calls[i];
	}
	assert_int_equal(emu_codec_converter_frames(c, 0x03, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, RENDER_FRAMES);
	assert_int_equal(emu_codec_converter_frames(c, 0x02, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 0);
	assert_int_equal(emu_codec_converter_frames(c, 0x08, &frames),
			 HDA_STATUS_INVALID_PARAMETER);
	emu_codec_destroy(c);

	n = read_wav16(path, back, RENDER_FRAMES + 32, 2, 48000);
	assert_int_equal(n, RENDER_FRAMES);
	for (i = 0; i < RENDER_FRAMES * 2; i++)
		assert_int_equal(back[i], pattern[i]);
}

static void test_render_mute(void **state)
{
	struct fixture *fx = *state;
	int16_t pattern[256 * 2], back[512 * 2];
	char spec[300];
	const char *path = file_in(fx, "hp.wav");
	emu_codec *c;
	size_t i, n;

	snprintf(spec, sizeof(spec), "wav:%s", path);
	c = make_codec(NULL, spec, NULL, NULL);
	/* Headphones select index 0 = mixer 0x07 -> DAC 0x03. */
	setup_playback(c, 0x03, 0x09, 0, 1, FMT_48K_16_2);
	fill_pattern(pattern, 256, 77);
	/* DAC left muted: left silent, right bit-exact. */
	v4(c, 0x03, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_OUTPUT | HDA_AMP_SET_LEFT | HDA_AMP_MUTE | 0x57);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 128);
	/* Then the pin's right side muted too: all silent. */
	v4(c, 0x09, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_OUTPUT | HDA_AMP_SET_RIGHT | HDA_AMP_MUTE);
	emu_codec_render(c, 1, FMT_48K_16_2,
			 (const uint8_t *)(pattern + 256), 128);
	emu_codec_destroy(c);

	n = read_wav16(path, back, 512, 2, 48000);
	assert_int_equal(n, 256);
	for (i = 0; i < 128; i++) {
		assert_int_equal(back[2 * i], 0);
		assert_int_equal(back[2 * i + 1], pattern[2 * i + 1]);
	}
	for (i = 128; i < 256; i++) {
		assert_int_equal(back[2 * i], 0);
		assert_int_equal(back[2 * i + 1], 0);
	}
}

static void test_render_no_listener(void **state)
{
	struct fixture *fx = *state;
	int16_t pattern[64 * 2], back[64 * 2];
	char spec[300];
	const char *path = file_in(fx, "quiet.wav");
	uint64_t frames = 99, dropped = 99;
	emu_codec *c;

	snprintf(spec, sizeof(spec), "wav:%s", path);
	c = make_codec(spec, NULL, NULL, NULL);
	setup_playback(c, 0x02, 0x08, 0, 4, FMT_48K_16_2);
	fill_pattern(pattern, 64, 5);

	/* Another tag, and tag 0: nobody listens, nothing is counted, not
	 * even by DAC 0x03 whose stream id is still the reset value 0 and
	 * whose format (0x0011) and power would match. */
	emu_codec_render(c, 5, FMT_48K_16_2, (const uint8_t *)pattern, 64);
	emu_codec_render(c, 0, FMT_48K_16_2, (const uint8_t *)pattern, 64);
	assert_int_equal(emu_codec_converter_frames(c, 0x02, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 0);
	assert_int_equal(emu_codec_converter_frames(c, 0x03, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 0);
	assert_int_equal(emu_codec_converter_dropped(c, 0x02, &dropped),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(dropped, 0);

	/* Right tag, wrong format: dropped, not played. */
	emu_codec_render(c, 4, FMT_44K_16_2, (const uint8_t *)pattern, 64);
	/* Right tag and format, AFG powered down: dropped. */
	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 3);
	emu_codec_render(c, 4, FMT_48K_16_2, (const uint8_t *)pattern, 64);
	assert_int_equal(emu_codec_converter_frames(c, 0x02, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 0);
	assert_int_equal(emu_codec_converter_dropped(c, 0x02, &dropped),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(dropped, 128);

	/* Powered, but the pin selects the other DAC's mixer: the DAC
	 * plays (counted) and the pin hears nothing. */
	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	v12(c, 0x08, HDA_VERB_SET_CONNECT_SEL, 1);
	emu_codec_render(c, 4, FMT_48K_16_2, (const uint8_t *)pattern, 64);
	assert_int_equal(emu_codec_converter_frames(c, 0x02, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 64);
	/* Pin output disabled: nothing either. */
	v12(c, 0x08, HDA_VERB_SET_CONNECT_SEL, 0);
	v12(c, 0x08, HDA_VERB_SET_PIN_WIDGET_CONTROL, 0);
	emu_codec_render(c, 4, FMT_48K_16_2, (const uint8_t *)pattern, 64);
	emu_codec_destroy(c);

	/* Never written: still a valid, empty WAV. */
	assert_int_equal(read_wav16(path, back, 64, 2, 48000), 0);
}

/* ---- capture ---------------------------------------------------------------- */

static void test_loopback(void **state)
{
	int16_t pattern[256 * 2];
	int16_t cap[300 * 2];
	uint64_t frames = 0;
	emu_codec *c;
	size_t i;

	(void)state;
	c = make_codec(NULL, NULL, NULL, "loopback");
	setup_playback(c, 0x02, 0x08, 0, 1, FMT_48K_16_2);
	/* ADC 0x04 <- selector 0x0A index 1 = line-in 0x0D. */
	setup_capture(c, 0x04, 0x0D, 1, 2, FMT_48K_16_2);
	fill_pattern(pattern, 256, 999);

	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 256);
	memset(cap, 0x5A, sizeof(cap));
	emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)cap, 300);
	assert_memory_equal(cap, pattern, sizeof(pattern));
	/* Beyond what line-out emitted this step: silence. */
	for (i = 256 * 2; i < 300 * 2; i++)
		assert_int_equal(cap[i], 0);
	assert_int_equal(emu_codec_converter_frames(c, 0x04, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 300);

	/* Nobody listening to tag 7: zeros (not the last capture's data). */
	memset(cap, 0x5A, sizeof(cap));
	emu_codec_capture(c, 7, FMT_48K_16_2, (uint8_t *)cap, 50);
	for (i = 0; i < 100; i++)
		assert_int_equal(cap[i], 0);

	/* Next step, nothing rendered: silence. */
	emu_codec_step_end(c);
	memset(cap, 0x5A, sizeof(cap));
	emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)cap, 100);
	for (i = 0; i < 200; i++)
		assert_int_equal(cap[i], 0);

	/* Split captures in one step continue where the last one stopped.
	 * The capture read an idle line-out last step, so it holds one frame
	 * of silence ahead of it (emu_codec_step_end): the pattern comes one
	 * frame late, and its last frame is carried. */
	emu_codec_step_end(c);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 256);
	emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)cap, 100);
	emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)(cap + 200), 156);
	assert_int_equal(cap[0], 0);
	assert_int_equal(cap[1], 0);
	assert_memory_equal(cap + 2, pattern, 255 * 2 * sizeof(*cap));

	/* A muted line-in amp gives zeros, frames still counted. */
	emu_codec_step_end(c);
	v4(c, 0x0D, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_INPUT | HDA_AMP_SET_LEFT | HDA_AMP_SET_RIGHT |
		   HDA_AMP_MUTE);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 256);
	memset(cap, 0x5A, sizeof(cap));
	emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)cap, 256);
	for (i = 0; i < 512; i++)
		assert_int_equal(cap[i], 0);
	assert_int_equal(emu_codec_converter_frames(c, 0x04, &frames),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(frames, 300 + 100 + 256 + 256);
	emu_codec_destroy(c);
}

/*
 * A render that starts while a loopback capture runs.  On the real-time
 * clock each engine's frames per step follow from its own start, so the
 * capture takes one frame more than the line-out plays in some steps and
 * one fewer in others.  What it captures after the join is the rendered
 * signal, contiguous, at a fixed offset: no zero inserted into it (as the
 * capture once read, coming up one frame short in the render's first
 * step), no frame lost.
 */
static void test_loopback_render_joins_reader(void **state)
{
	enum { STEPS = 40, MAX = 64 };
	int16_t pattern[STEPS * MAX * 2], got[(STEPS + 3) * MAX * 2], buf[MAX * 2];
	size_t played = 0, captured = 0, first = SIZE_MAX;
	emu_codec *c;

	(void)state;
	c = make_codec(NULL, NULL, NULL, "loopback");
	setup_playback(c, 0x02, 0x08, 0, 1, FMT_48K_16_2);
	setup_capture(c, 0x04, 0x0D, 1, 2, FMT_48K_16_2);
	fill_pattern(pattern, STEPS * MAX, 4242);
	for (size_t i = 0; i < STEPS * MAX; i++)
		assert_false(pattern[2 * i] == 0 && pattern[2 * i + 1] == 0);
	/* The capture runs alone for three steps. */
	for (unsigned k = 0; k < 3; k++) {
		emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)(got + captured * 2), 48);
		captured += 48;
		emu_codec_step_end(c);
	}
	/* Then both, 48.3 frames a step from phases 0.6 frame apart: the
	 * counts differ by one now and then, either way. */
	for (unsigned k = 0; k < STEPS; k++) {
		size_t r = (size_t)((k + 1) * 48.3) - (size_t)(k * 48.3);
		size_t q = (size_t)((k + 1) * 48.3 + 0.6) - (size_t)(k * 48.3 + 0.6);

		emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)(pattern + played * 2), r);
		played += r;
		emu_codec_capture(c, 2, FMT_48K_16_2, (uint8_t *)buf, q);
		memcpy(got + captured * 2, buf, q * 2 * sizeof(*buf));
		captured += q;
		emu_codec_step_end(c);
	}
	for (size_t i = 0; i < captured && first == SIZE_MAX; i++)
		if (got[2 * i] || got[2 * i + 1])
			first = i;
	assert_true(first != SIZE_MAX);
	/* The signal starts at its own first frame, at most one frame after
	 * the join (the silence frame held ahead), and then every frame
	 * captured is the next one played. */
	assert_in_range(first, 3 * 48, 3 * 48 + 1);
	assert_true(captured - first + 2 >= played);
	assert_memory_equal(got + first * 2, pattern, (captured - first) * 2 * sizeof(*got));
	emu_codec_destroy(c);
}

static void test_capture_sine(void **state)
{
	int16_t a[96 * 2], b[96 * 2];
	emu_codec *c1, *c2;
	int peak = 0;
	size_t i;

	(void)state;
	c1 = make_codec(NULL, NULL, "sine:1000", NULL);
	c2 = make_codec(NULL, NULL, "sine:1000", NULL);
	/* ADC 0x05 <- selector 0x0B index 1 = mic 0x0C. */
	setup_capture(c1, 0x05, 0x0C, 1, 6, FMT_48K_16_2);
	setup_capture(c2, 0x05, 0x0C, 1, 6, FMT_48K_16_2);
	emu_codec_capture(c1, 6, FMT_48K_16_2, (uint8_t *)a, 96);
	/* The same signal in pieces: phase is continuous across calls. */
	emu_codec_capture(c2, 6, FMT_48K_16_2, (uint8_t *)b, 7);
	emu_codec_capture(c2, 6, FMT_48K_16_2, (uint8_t *)(b + 14), 89);
	assert_memory_equal(a, b, sizeof(a));

	assert_int_equal(a[0], 0);
	for (i = 0; i < 96; i++) {
		assert_int_equal(a[2 * i], a[2 * i + 1]);
		if (abs(a[2 * i]) > peak)
			peak = abs(a[2 * i]);
	}
	/* Half of full scale: 0.5 * 32767, rounded. */
	assert_in_range(peak, 16383, 16384);
	/* 1 kHz at 48 kHz: a quarter period is 12 frames. */
	assert_in_range(a[2 * 12], 16383, 16384);

	/* Mic path switched away (selector to line-in, no in-enable):
	 * silence. */
	v12(c1, 0x0B, HDA_VERB_SET_CONNECT_SEL, 0);
	emu_codec_capture(c1, 6, FMT_48K_16_2, (uint8_t *)a, 96);
	for (i = 0; i < 192; i++)
		assert_int_equal(a[i], 0);
	emu_codec_destroy(c1);
	emu_codec_destroy(c2);
}

/* ---- unsolicited responses ------------------------------------------------ */

static void test_unsolicited(void **state)
{
	emu_codec *c = make_codec(NULL, NULL, NULL, NULL);
	uint32_t r = 0;
	int k;

	(void)state;
	assert_false(emu_codec_pop_unsolicited(c, &r));
	v12(c, 0x09, HDA_VERB_SET_UNSOLICITED_ENABLE, HDA_UNSOL_ENABLE | 5);

	assert_int_equal(emu_codec_set_jack(c, 0x09, true),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(v12(c, 0x09, HDA_VERB_GET_PIN_SENSE, 0),
			 HDA_PIN_SENSE_PRESENCE);
	assert_true(emu_codec_pop_unsolicited(c, &r));
	assert_int_equal(r >> 26, 5);
	assert_int_equal((r >> 21) & 0x1F, 0); /* subtag */
	assert_int_equal(r & 1, 1);
	assert_false(emu_codec_pop_unsolicited(c, &r));

	/* No change, no event. */
	assert_int_equal(emu_codec_set_jack(c, 0x09, true),
			 HDA_STATUS_SUCCESS);
	assert_false(emu_codec_pop_unsolicited(c, &r));
	assert_int_equal(emu_codec_set_jack(c, 0x09, false),
			 HDA_STATUS_SUCCESS);
	assert_true(emu_codec_pop_unsolicited(c, &r));
	assert_int_equal(r, 5u << 26);

	/* Unsolicited disabled on line-out: sense changes, no event. */
	assert_int_equal(emu_codec_set_jack(c, 0x08, false),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(v12(c, 0x08, HDA_VERB_GET_PIN_SENSE, 0), 0);
	assert_false(emu_codec_pop_unsolicited(c, &r));

	/* No presence detect, or not a pin. */
	assert_int_equal(emu_codec_set_jack(c, 0x0D, true),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_int_equal(emu_codec_set_jack(c, 0x02, true),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_int_equal(emu_codec_set_jack(c, 0x40, true),
			 HDA_STATUS_INVALID_PARAMETER);

	/* 70 events into a queue of 64: the 6 oldest are dropped. */
	for (k = 0; k < 70; k++) {
		v12(c, 0x0C, HDA_VERB_SET_UNSOLICITED_ENABLE,
		    (uint8_t)(HDA_UNSOL_ENABLE | (k % 63 + 1)));
		assert_int_equal(emu_codec_set_jack(c, 0x0C, k % 2 != 0),
				 HDA_STATUS_SUCCESS);
	}
	for (k = 6; k < 70; k++) {
		assert_true(emu_codec_pop_unsolicited(c, &r));
		assert_int_equal(r >> 26, k % 63 + 1);
		assert_int_equal(r & 1, k % 2 != 0);
	}
	assert_false(emu_codec_pop_unsolicited(c, &r));
	emu_codec_destroy(c);
}

/* ---- endpoints ------------------------------------------------------------ */

static void expect_sink_err(const char *spec, const char *msg)
{
	emu_sink *s = NULL;
	char err[256] = "";

	assert_int_equal(emu_sink_create(spec, &s, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_null(s);
	assert_string_equal(err, msg);
}

static void expect_source_err(const char *spec, const char *prefix)
{
	emu_source *s = NULL;
	char err[256] = "";

	assert_int_equal(emu_source_create(spec, &s, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_null(s);
	assert_non_null(strstr(err, prefix));
}

static void test_endpoint_spec_errors(void **state)
{
	struct fixture *fx = *state;
	emu_codec_config cfg = { 0 };
	emu_codec *c = NULL;
	emu_source *src = NULL;
	emu_sink *snk = NULL;
	char err[512] = "";
	char spec[300];
	FILE *f;

	expect_sink_err("wav:/nonexistent-emu-dir/x.wav",
			"sink 'wav:/nonexistent-emu-dir/x.wav': cannot create: No such file or directory");
	expect_sink_err("wav:", "sink 'wav:': empty path");
	expect_sink_err("nul",
			"sink 'nul': unknown sink (expected null or wav:PATH)");
	expect_source_err("sine:0", "source 'sine:0': bad frequency");
	expect_source_err("sine:20001", "bad frequency");
	expect_source_err("sine:440Hz", "bad frequency");
	expect_source_err("sine:", "bad frequency");
	expect_source_err("sine:-5", "bad frequency");
	expect_source_err("wav:/nonexistent-emu-dir/in.wav",
			  "source 'wav:/nonexistent-emu-dir/in.wav': cannot open: No such file or directory");
	expect_source_err("noise", "source 'noise': unknown source");

	/* A file that is not audio. */
	f = fopen(file_in(fx, "text.wav"), "w");
	assert_non_null(f);
	fputs("not a wav file\n", f);
	fclose(f);
	snprintf(spec, sizeof(spec), "wav:%s", fx->path);
	expect_source_err(spec, "cannot read");

	assert_int_equal(emu_source_create("sine:20000", &src, err,
					   sizeof(err)),
			 HDA_STATUS_SUCCESS);
	assert_false(emu_source_is_loopback(src));
	emu_source_destroy(src);
	assert_int_equal(emu_source_create("loopback", &src, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	assert_true(emu_source_is_loopback(src));
	emu_source_destroy(src);
	assert_int_equal(emu_sink_create("null", &snk, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	emu_sink_destroy(snk);
	emu_sink_destroy(NULL);
	emu_source_destroy(NULL);
	emu_codec_destroy(NULL);

	/* The codec names the option. */
	cfg.mic = "sine:0";
	assert_int_equal(emu_codec_create(&cfg, &c, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_null(c);
	assert_string_equal(err, "emu option 'mic': source 'sine:0': bad frequency (1..20000 Hz)");
	cfg.mic = NULL;
	cfg.lineout = "wav:/nonexistent-emu-dir/x.wav";
	assert_int_equal(emu_codec_create(&cfg, &c, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_string_equal(err, "emu option 'lineout': sink 'wav:/nonexistent-emu-dir/x.wav': cannot create: No such file or directory");
	cfg.lineout = NULL;
	cfg.hp = "silence";
	assert_int_equal(emu_codec_create(&cfg, &c, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_non_null(strstr(err, "emu option 'hp': sink 'silence'"));
	cfg.hp = NULL;
	cfg.linein = "null";
	assert_int_equal(emu_codec_create(&cfg, &c, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	assert_non_null(strstr(err, "emu option 'linein': source 'null'"));
	assert_null(c);
}

static void test_sink_formats(void **state)
{
	struct fixture *fx = *state;
	int32_t st[10 * 2], mono24[6], back[16];
	char spec[300], err[256] = "";
	emu_sink *s = NULL;
	SF_INFO info;
	SNDFILE *sf;
	size_t i;

	/* A later write in another format is counted and dropped. */
	snprintf(spec, sizeof(spec), "wav:%s", file_in(fx, "s16.wav"));
	assert_int_equal(emu_sink_create(spec, &s, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	for (i = 0; i < 20; i++)
		st[i] = (int32_t)((uint32_t)(i * 1000 + 1) << 16);
	emu_sink_write(s, st, 10, 2, 48000, 16);
	emu_sink_write(s, st, 5, 2, 44100, 16);
	emu_sink_write(s, st, 5, 1, 48000, 16);
	assert_int_equal(emu_sink_frames(s), 10);
	emu_sink_destroy(s);
	memset(&info, 0, sizeof(info));
	sf = sf_open(fx->path, SFM_READ, &info);
	assert_non_null(sf);
	assert_int_equal(info.frames, 10);
	sf_close(sf);

	/* 24-bit mono goes to PCM_24 and reads back identically. */
	snprintf(spec, sizeof(spec), "wav:%s", file_in(fx, "s24.wav"));
	assert_int_equal(emu_sink_create(spec, &s, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	for (i = 0; i < 6; i++)
		mono24[i] = (int32_t)((uint32_t)(0x800001 + i * 0x12345) << 8);
	emu_sink_write(s, mono24, 6, 1, 96000, 24);
	emu_sink_destroy(s);
	memset(&info, 0, sizeof(info));
	sf = sf_open(fx->path, SFM_READ, &info);
	assert_non_null(sf);
	assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
	assert_int_equal(info.samplerate, 96000);
	assert_int_equal(sf_readf_int(sf, back, 6), 6);
	sf_close(sf);
	assert_memory_equal(back, mono24, sizeof(mono24));

	/* The null sink counts. */
	assert_int_equal(emu_sink_create("null", &s, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	emu_sink_write(s, st, 10, 2, 48000, 16);
	emu_sink_write(s, st, 3, 1, 8000, 8);
	assert_int_equal(emu_sink_frames(s), 13);
	emu_sink_destroy(s);
}

static void test_source_wav(void **state)
{
	struct fixture *fx = *state;
	short mono[100], tri[4 * 3];
	int32_t out[250 * 2];
	char spec[300], err[256] = "";
	emu_source *src = NULL;
	SF_INFO info;
	SNDFILE *sf;
	size_t i;

	/* Mono 100 frames, read as stereo 250 frames: loops, channel 1
	 * repeats channel 0. */
	for (i = 0; i < 100; i++)
		mono[i] = (short)(i * 300 - 15000);
	memset(&info, 0, sizeof(info));
	info.samplerate = 48000;
	info.channels = 1;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	sf = sf_open(file_in(fx, "mono.wav"), SFM_WRITE, &info);
	assert_non_null(sf);
	assert_int_equal(sf_writef_short(sf, mono, 100), 100);
	sf_close(sf);
	snprintf(spec, sizeof(spec), "wav:%s", fx->path);
	assert_int_equal(emu_source_create(spec, &src, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	emu_source_read(src, out, 130, 2, 48000, 16);
	emu_source_read(src, out + 260, 120, 2, 48000, 16);
	for (i = 0; i < 250; i++) {
		int32_t want = (int32_t)((uint32_t)mono[i % 100] << 16);

		assert_int_equal(out[2 * i], want);
		assert_int_equal(out[2 * i + 1], want);
	}
	emu_source_destroy(src);

	/* Three channels read as two: the third is dropped. */
	for (i = 0; i < 12; i++)
		tri[i] = (short)(i + 1);
	memset(&info, 0, sizeof(info));
	info.samplerate = 44100;
	info.channels = 3;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	sf = sf_open(file_in(fx, "tri.wav"), SFM_WRITE, &info);
	assert_non_null(sf);
	assert_int_equal(sf_writef_short(sf, tri, 4), 4);
	sf_close(sf);
	snprintf(spec, sizeof(spec), "wav:%s", fx->path);
	assert_int_equal(emu_source_create(spec, &src, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	emu_source_read(src, out, 4, 2, 48000, 16);
	for (i = 0; i < 4; i++) {
		assert_int_equal(out[2 * i], (int32_t)(tri[3 * i] << 16));
		assert_int_equal(out[2 * i + 1],
				 (int32_t)(tri[3 * i + 1] << 16));
	}
	emu_source_destroy(src);

	/* Silence is zeros. */
	assert_int_equal(emu_source_create("silence", &src, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	memset(out, 0x5A, sizeof(out));
	emu_source_read(src, out, 10, 2, 48000, 16);
	for (i = 0; i < 20; i++)
		assert_int_equal(out[i], 0);
	emu_source_destroy(src);
}

/* ---- real-codec behaviour: gain, power settling, silent reads ---------- */

/* Gain acts on samples: -6 dB on the mixer input (AFG in caps, 1.5 dB
 * steps, 0 dB at 0x17), +12 dB saturating, a gain beyond the DAC's last
 * step clamped to it (0x57 = its 0 dB). */
static void test_amp_gain(void **state)
{
	struct fixture *fx = *state;
	int16_t in[64 * 2], back[64 * 2];
	char spec[300];
	const char *path = file_in(fx, "gain.wav");
	emu_codec *c;
	size_t i;

	snprintf(spec, sizeof(spec), "wav:%s", path);
	c = make_codec(spec, NULL, NULL, NULL);
	setup_playback(c, 0x02, 0x08, 0, 1, FMT_48K_16_2);
	for (i = 0; i < 64; i++) {
		in[2 * i] = 16000;
		in[2 * i + 1] = (int16_t)(i & 1 ? 16000 : -16000);
	}
	v4(c, 0x06, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_INPUT | HDA_AMP_SET_LEFT | (0x17 - 4));
	v4(c, 0x06, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_INPUT | HDA_AMP_SET_RIGHT | (0x17 + 8));
	v4(c, 0x02, HDA_VERB4_SET_AMP_GAIN_MUTE,
	   HDA_AMP_SET_OUTPUT | HDA_AMP_SET_LEFT | HDA_AMP_SET_RIGHT | 0x7F);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)in, 64);
	emu_codec_destroy(c);

	assert_int_equal(read_wav16(path, back, 64, 2, 48000), 64);
	for (i = 0; i < 64; i++) {
		assert_int_equal(back[2 * i], lrint(16000 * pow(10, -6.0 / 20)));
		assert_int_equal(back[2 * i + 1], i & 1 ? 32767 : -32768);
	}
}

/* A power change takes effect only after power_settle reads of the
 * node's state; until then the converter does not play. */
static void test_power_settle(void **state)
{
	emu_codec_config cfg = { .power_settle = 3 };
	int16_t pattern[16 * 2] = { 0 };
	uint64_t frames = 0, dropped = 0;
	emu_codec *c = NULL;
	unsigned i;

	(void)state;
	assert_int_equal(emu_codec_create(&cfg, &c, NULL, 0), HDA_STATUS_SUCCESS);
	setup_tagged(c, 0x02, 1);
	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	/* Set D0, actually D3, for two reads; the third sees D0. */
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x30);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 16);
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x30);
	/* A widget reads the deeper of its state and the AFG's. */
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_POWER_STATE, 0), 0x30);
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x00);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 16);
	assert_int_equal(emu_codec_converter_dropped(c, 0x02, &dropped), 0);
	assert_int_equal(dropped, 16);
	assert_int_equal(emu_codec_converter_frames(c, 0x02, &frames), 0);
	assert_int_equal(frames, 16);
	/* Setting the state it already has starts nothing. */
	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x00);
	/* Going down is delayed too: still playing until it settles. */
	v12(c, 0x02, HDA_VERB_SET_POWER_STATE, 3);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_POWER_STATE, 0), 0x03);
	emu_codec_render(c, 1, FMT_48K_16_2, (const uint8_t *)pattern, 16);
	assert_int_equal(emu_codec_converter_frames(c, 0x02, &frames), 0);
	assert_int_equal(frames, 32);
	emu_codec_destroy(c);

	/* Never: the actual state stays where it was. */
	cfg.power_settle = EMU_POWER_SETTLE_NEVER;
	assert_int_equal(emu_codec_create(&cfg, &c, NULL, 0), HDA_STATUS_SUCCESS);
	v12(c, 0x01, HDA_VERB_SET_POWER_STATE, 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x30);
	/* A function group reset puts it back in a settled D3. */
	v12(c, 0x01, HDA_VERB_FUNCTION_RESET, 0);
	assert_int_equal(v12(c, 0x01, HDA_VERB_GET_POWER_STATE, 0), 0x33);
	emu_codec_destroy(c);
}

/* silent_param: that parameter goes unanswered on every node, nothing
 * else does. */
static void test_silent_param(void **state)
{
	emu_codec_config cfg = { .silent_param_on = true,
				 .silent_param = HDA_PAR_AMP_OUT_CAP };
	emu_codec *c = NULL;
	uint32_t r;

	(void)state;
	assert_int_equal(emu_codec_create(&cfg, &c, NULL, 0), HDA_STATUS_SUCCESS);
	assert_false(emu_codec_verb(c, hda_verb12(0, 0x01, HDA_VERB_GET_PARAMETER,
						  HDA_PAR_AMP_OUT_CAP), &r));
	assert_false(emu_codec_verb(c, hda_verb12(0, 0x02, HDA_VERB_GET_PARAMETER,
						  HDA_PAR_AMP_OUT_CAP), &r));
	assert_int_equal(param(c, 0x01, HDA_PAR_AMP_IN_CAP), 0x80051F17);
	assert_int_equal(v12(c, 0x02, HDA_VERB_GET_CHANNEL_STREAMID, 0), 0);
	emu_codec_destroy(c);
}

static void test_sine_24bit(void **state)
{
	emu_source *src = NULL;
	char err[256] = "";
	int32_t out[48];
	size_t i;

	(void)state;
	assert_int_equal(emu_source_create("sine:12000", &src, err,
					   sizeof(err)),
			 HDA_STATUS_SUCCESS);
	/* 12 kHz at 48 kHz: 0, +peak, 0, -peak; 24-bit valid bits, low
	 * byte zero. */
	emu_source_read(src, out, 8, 1, 48000, 24);
	for (i = 0; i < 8; i++)
		assert_int_equal(out[i] & 0xFF, 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1] >> 8, 4194304); /* lrint(0.5 * 8388607) */
	assert_int_equal(out[3] >> 8, -4194304);
	emu_source_destroy(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_verbs_state),
		cmocka_unit_test_setup_teardown(test_render_wav_bit_exact,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_mute, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_render_no_listener, setup,
						teardown),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_loopback_render_joins_reader),
		cmocka_unit_test(test_capture_sine),
		cmocka_unit_test(test_unsolicited),
		cmocka_unit_test_setup_teardown(test_endpoint_spec_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_formats, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_source_wav, setup,
						teardown),
		cmocka_unit_test(test_sine_24bit),
		cmocka_unit_test_setup_teardown(test_amp_gain, setup, teardown),
		cmocka_unit_test(test_power_settle),
		cmocka_unit_test(test_silent_param),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
