/* SPDX-License-Identifier: MIT */
/*
 * The emulated codec: a small but complete HDA audio function group with two
 * playback and two capture paths (node map in emu.h).  It answers the verbs
 * of hda-facts section 5 as a real codec would and carries samples from
 * converters through mixers/selectors to pins and their endpoints, so a
 * driver that forgets a step of the Linux path sequence (power, stream tag,
 * format, unmute, pin control, connection select) hears nothing, exactly as
 * on hardware.
 *
 * This file holds the node graph, creation and reset, jacks, unsolicited
 * responses and the ground truth; emu_codec_verbs.c decodes verbs and
 * emu_codec_audio.c carries the samples (shared insides:
 * emu_codec_model.h).
 *
 * Model decisions, all deliberate:
 *  - Power: the AFG comes out of reset (power-on or FUNCTION_RESET) in D3
 *    and every widget's own setting in D0, both settled; a widget is
 *    powered only when the AFG and the widget are both actually at D0.
 *    GET_POWER_STATE answers [7:4] actual | [3:0] setting, actual = the
 *    deeper of AFG and widget.  A SET_POWER_STATE that changes the setting
 *    starts a transition: the actual state follows only after `power_settle`
 *    further GET_POWER_STATE reads of that node (never with
 *    EMU_POWER_SETTLE_NEVER).  Hardware settles in time; the model counts
 *    reads because on the manual clock no model time passes while the
 *    driver waits, and a count makes the delay the same on either clock.
 *    A driver that does not wait for the actual state never hears its
 *    converter, as a real one loses the first milliseconds.
 *  - Amps: only the converters carry amp override (WCAP bit 3) and their
 *    own caps; every other widget reads 0 for GET_PARAMETER 0x0D/0x12 and
 *    uses the AFG's caps, as the spec says and as many real codecs do, so
 *    a driver that takes a widget's own zero caps gets gain 0, far below
 *    0 dB.  Reset value: muted at the amp's 0 dB.  Gain acts on samples:
 *    (gain - offset) steps of the caps' step size, saturating; at 0 dB
 *    samples pass bit for bit, so tests can compare exactly.
 *  - Pipeline delay (WCAP [19:16]) is reported on DACs, mixers, ADCs and
 *    selectors but not applied to samples: the ground truth and the WAV
 *    sinks stay aligned with the converter, and the driver adds the
 *    reported delays up to place a position at the jack.
 *  - Converters are stereo: a DAC/ADC with CHANNEL_STREAMID channel c
 *    carries stream channels c and c+1 (fewer when the stream has fewer);
 *    its pins and endpoints see at most 2 channels.
 *  - A DAC plays a render call when its stream tag is the call's tag (tag 0
 *    = not listening) and its converter format equals the call's format and
 *    it is powered; then its ground-truth frame counter advances.  A
 *    listener with the wrong format or no power counts the frames as
 *    dropped instead.  The same holds for ADCs and capture calls.
 *  - A pin emits (to its sink and to the step's loopback buffer) only when
 *    out-enabled and its whole chain (pin, mixer) is powered; otherwise it
 *    emits nothing, so a WAV sink holds exactly what was played.
 *  - EAPD is stored, not applied (it gates an external amplifier the model
 *    does not have).  Pin VRef bits are stored as written (read back by
 *    GET_PIN_WIDGET_CONTROL), not applied.
 *  - Fault: with silent_param set, the codec answers no GET_PARAMETER for
 *    that parameter id, on any node (a codec that stops answering halfway
 *    through a driver's discovery).
 *  - Unknown verbs, verbs a node does not implement and verbs to nodes
 *    beyond 0x0D answer 0, as real codecs do; there is no "no response".
 *  - Unsolicited responses (hda-facts 8.7): 6-bit tag in [31:26] (the tag
 *    from UNSOLICITED_ENABLE), subtag [25:21] = 0, [20:1] = 0 and [0] = the
 *    new presence state.  Both readings of 8.7 (26/6 and 21/5/6) decode
 *    the same tag and subtag 0.  Sent only on a presence change.
 *
 * Locking: the controller calls every function under its own mutex, so the
 * codec keeps no lock.  render/capture/step_end never allocate: every
 * scratch buffer lives in the codec object, sized for EMU_CODEC_CHUNK frames
 * of EMU_CODEC_MAX_CH channels; longer calls are processed in chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_codec_model.h"

/*
 * Configuration defaults, as a board's firmware would program them:
 * [31:30] connectivity (0 jack), [29:24] location (0x01 rear, 0x02 front),
 * [23:20] device, [19:16] connection type (1 = 1/8" jack), [15:12] colour
 * (4 green, 1 black, 9 pink, 3 blue), [11:8] misc, [7:4] association,
 * [3:0] sequence.
 */
const struct node_desc emu_codec_nodes[NODE_COUNT] = {
	[NID_DAC0] = {
		.wcaps = WC(HDA_WID_AUD_OUT) | WC_CONV | HDA_WCAP_OUT_AMP |
			 WC_DELAY(3),
		.amp_out = DAC_AMP_OUT,
	},
	[NID_DAC1] = {
		.wcaps = WC(HDA_WID_AUD_OUT) | WC_CONV | HDA_WCAP_OUT_AMP |
			 WC_DELAY(3),
		.amp_out = DAC_AMP_OUT,
	},
	[NID_ADC0] = {
		.wcaps = WC(HDA_WID_AUD_IN) | WC_CONV | HDA_WCAP_IN_AMP |
			 HDA_WCAP_CONN_LIST | WC_DELAY(4),
		.amp_in = ADC_AMP_IN,
		.nconn = 1, .conn = { NID_SEL0 },
	},
	[NID_ADC1] = {
		.wcaps = WC(HDA_WID_AUD_IN) | WC_CONV | HDA_WCAP_IN_AMP |
			 HDA_WCAP_CONN_LIST | WC_DELAY(4),
		.amp_in = ADC_AMP_IN,
		.nconn = 1, .conn = { NID_SEL1 },
	},
	[NID_MIX0] = {
		.wcaps = WC(HDA_WID_AUD_MIX) | WC_WIDGET | HDA_WCAP_IN_AMP |
			 HDA_WCAP_OUT_AMP | HDA_WCAP_CONN_LIST | WC_DELAY(1),
		.nconn = 1, .conn = { NID_DAC0 },
	},
	[NID_MIX1] = {
		.wcaps = WC(HDA_WID_AUD_MIX) | WC_WIDGET | HDA_WCAP_IN_AMP |
			 HDA_WCAP_OUT_AMP | HDA_WCAP_CONN_LIST | WC_DELAY(1),
		.nconn = 1, .conn = { NID_DAC1 },
	},
	[NID_LINEOUT] = {
		.wcaps = WC(HDA_WID_PIN) | WC_WIDGET | HDA_WCAP_OUT_AMP |
			 HDA_WCAP_CONN_LIST | HDA_WCAP_UNSOL,
		.pincaps = HDA_PINCAP_OUT | HDA_PINCAP_PRES_DETECT |
			   HDA_PINCAP_EAPD,
		.config_default = 0x01014010u, /* rear green line out */
		.nconn = 2, .conn = { NID_MIX0, NID_MIX1 },
	},
	[NID_HP] = {
		.wcaps = WC(HDA_WID_PIN) | WC_WIDGET | HDA_WCAP_OUT_AMP |
			 HDA_WCAP_CONN_LIST | HDA_WCAP_UNSOL,
		.pincaps = HDA_PINCAP_OUT | HDA_PINCAP_PRES_DETECT |
			   PINCAP_HP_DRIVE,
		.config_default = 0x02214020u, /* front black headphones */
		.nconn = 2, .conn = { NID_MIX1, NID_MIX0 },
	},
	[NID_SEL0] = {
		.wcaps = WC(HDA_WID_AUD_SEL) | WC_WIDGET | HDA_WCAP_OUT_AMP |
			 HDA_WCAP_CONN_LIST | WC_DELAY(2),
		.nconn = 2, .conn = { NID_MIC, NID_LINEIN },
	},
	[NID_SEL1] = {
		.wcaps = WC(HDA_WID_AUD_SEL) | WC_WIDGET | HDA_WCAP_OUT_AMP |
			 HDA_WCAP_CONN_LIST | WC_DELAY(2),
		.nconn = 2, .conn = { NID_LINEIN, NID_MIC },
	},
	[NID_MIC] = {
		.wcaps = WC(HDA_WID_PIN) | WC_WIDGET | HDA_WCAP_IN_AMP |
			 HDA_WCAP_UNSOL,
		.pincaps = HDA_PINCAP_IN | HDA_PINCAP_PRES_DETECT |
			   PINCAP_VREF_MIC,
		.config_default = 0x02A19030u, /* front pink mic */
	},
	[NID_LINEIN] = {
		.wcaps = WC(HDA_WID_PIN) | WC_WIDGET | HDA_WCAP_IN_AMP,
		.pincaps = HDA_PINCAP_IN | PINCAP_VREF_LINE,
		.config_default = 0x01813040u, /* rear blue line in */
	},
};

void emu_codec_reset_state(emu_codec *c)
{
	unsigned nid;

	memset(c->n, 0, sizeof(c->n));
	c->n[NID_AFG].power = c->n[NID_AFG].actual = D3;
	for (nid = NID_AFG + 1; nid < NODE_COUNT; nid++) {
		struct node_state *s = &c->n[nid];
		uint8_t out = HDA_AMP_MUTE | HDA_AMPCAP_OFFSET(amp_caps(nid, true));
		uint8_t in = HDA_AMP_MUTE | HDA_AMPCAP_OFFSET(amp_caps(nid, false));

		s->power = s->actual = D0;
		s->fmt = FMT_RESET;
		s->amp_out[0] = s->amp_out[1] = out;
		s->amp_in[0] = s->amp_in[1] = in;
		s->config_default = emu_codec_nodes[nid].config_default;
	}
	c->n[NID_LINEOUT].eapd = EAPD_RESET;
}

/* ---- Creation ----------------------------------------------------------------- */

static hda_status make_sink(emu_codec *c, uint8_t nid, const char *opt,
			    const char *spec, char *err, size_t errlen)
{
	char inner[256] = "";
	hda_status st;

	st = emu_sink_create(spec, &c->sink[nid], inner, sizeof(inner));
	if (st != HDA_STATUS_SUCCESS)
		emu_set_err(err, errlen, "emu option '%s': %s", opt, inner);
	return st;
}

static hda_status make_source(emu_codec *c, uint8_t nid, const char *opt,
			      const char *spec, char *err, size_t errlen)
{
	char inner[256] = "";
	hda_status st;

	st = emu_source_create(spec, &c->source[nid], inner, sizeof(inner));
	if (st != HDA_STATUS_SUCCESS)
		emu_set_err(err, errlen, "emu option '%s': %s", opt, inner);
	return st;
}

hda_status emu_codec_create(const emu_codec_config *config, emu_codec **codec,
			    char *err, size_t errlen)
{
	const emu_codec_config none = { 0 };
	emu_codec *c;
	hda_status st;

	if (!codec) {
		emu_set_err(err, errlen, "codec: no output pointer");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (!config)
		config = &none;
	c = calloc(1, sizeof(*c));
	if (!c) {
		emu_set_err(err, errlen, "codec: out of memory");
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	c->power_settle = config->power_settle;
	c->silent_param_on = config->silent_param_on;
	c->silent_param = config->silent_param;
	emu_codec_reset_state(c);
	/* Jacks at power-on: line-out and mic plugged in, headphones not,
	 * so a headphone plug-in is the natural first jack event. */
	c->present[NID_LINEOUT] = true;
	c->present[NID_HP] = false;
	c->present[NID_MIC] = true;

	st = make_sink(c, NID_LINEOUT, "lineout",
		       config->lineout ? config->lineout : "null", err, errlen);
	if (st != HDA_STATUS_SUCCESS)
		goto fail;
	st = make_sink(c, NID_HP, "hp", config->hp ? config->hp : "null", err,
		       errlen);
	if (st != HDA_STATUS_SUCCESS)
		goto fail;
	st = make_source(c, NID_MIC, "mic",
			 config->mic ? config->mic : "sine:440", err, errlen);
	if (st != HDA_STATUS_SUCCESS)
		goto fail;
	st = make_source(c, NID_LINEIN, "linein",
			 config->linein ? config->linein : "loopback", err,
			 errlen);
	if (st != HDA_STATUS_SUCCESS)
		goto fail;
	*codec = c;
	return HDA_STATUS_SUCCESS;

fail:
	emu_codec_destroy(c);
	return st;
}

void emu_codec_destroy(emu_codec *codec)
{
	unsigned nid;

	if (!codec)
		return;
	for (nid = 0; nid < NODE_COUNT; nid++) {
		emu_sink_destroy(codec->sink[nid]);
		emu_source_destroy(codec->source[nid]);
	}
	free(codec);
}

/* ---- Unsolicited responses, jacks, ground truth ------------------------------- */

static void send_unsol(emu_codec *c, uint32_t response)
{
	if (c->unsol_count == UNSOL_QUEUE) {
		/* Bounded: the newest news (the current jack state) matters
		 * more than the oldest, so the oldest goes. */
		c->unsol_head = (c->unsol_head + 1) % UNSOL_QUEUE;
		c->unsol_count--;
		c->unsol_overflow++;
	}
	c->unsol_q[(c->unsol_head + c->unsol_count) % UNSOL_QUEUE] = response;
	c->unsol_count++;
}

bool emu_codec_pop_unsolicited(emu_codec *codec, uint32_t *response)
{
	if (!codec || !response || codec->unsol_count == 0)
		return false;
	*response = codec->unsol_q[codec->unsol_head];
	codec->unsol_head = (codec->unsol_head + 1) % UNSOL_QUEUE;
	codec->unsol_count--;
	return true;
}

hda_status emu_codec_set_jack(emu_codec *codec, uint8_t nid, bool present)
{
	const struct node_state *s;

	if (!codec || nid >= NODE_COUNT || !is_pin(nid) ||
	    !(emu_codec_nodes[nid].pincaps & HDA_PINCAP_PRES_DETECT))
		return HDA_STATUS_INVALID_PARAMETER;
	if (codec->present[nid] == present)
		return HDA_STATUS_SUCCESS; /* no change, no event */
	codec->present[nid] = present;
	s = &codec->n[nid];
	if (s->unsol & HDA_UNSOL_ENABLE)
		send_unsol(codec, ((uint32_t)(s->unsol & 0x3F) << 26) |
					  (present ? 1u : 0u));
	return HDA_STATUS_SUCCESS;
}

hda_status emu_codec_converter_frames(const emu_codec *codec, uint8_t nid,
				      uint64_t *frames)
{
	if (!codec || !frames || nid >= NODE_COUNT || !is_converter(nid))
		return HDA_STATUS_INVALID_PARAMETER;
	*frames = codec->frames[nid];
	return HDA_STATUS_SUCCESS;
}

hda_status emu_codec_sink_error(const emu_codec *codec, uint8_t nid,
				const char **error)
{
	if (!codec || !error || nid >= NODE_COUNT || !codec->sink[nid])
		return HDA_STATUS_INVALID_PARAMETER;
	*error = emu_sink_error(codec->sink[nid]);
	return HDA_STATUS_SUCCESS;
}

hda_status emu_codec_converter_dropped(const emu_codec *codec, uint8_t nid,
				       uint64_t *frames)
{
	if (!codec || !frames || nid >= NODE_COUNT || !is_converter(nid))
		return HDA_STATUS_INVALID_PARAMETER;
	*frames = codec->dropped[nid];
	return HDA_STATUS_SUCCESS;
}
