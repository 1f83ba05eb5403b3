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
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "hda_regs.h"

#define EMU_CODEC_VENDOR_ID 0x1d170001u
#define EMU_CODEC_REVISION 0x00100100u

#define EMU_CODEC_CHUNK 1024u  /* frames per internal processing chunk */
#define EMU_CODEC_MAX_CH 16u   /* channels of an HDA stream */
#define CONV_CH 2u             /* every converter, mixer, pin is stereo */
#define LOOPBACK_FRAMES 16384u /* per output pin per device step */
#define UNSOL_QUEUE 64u

#define NODE_COUNT 0x0E

enum {
	NID_ROOT = 0x00,
	NID_AFG = 0x01,
	NID_DAC0 = 0x02,
	NID_DAC1 = 0x03,
	NID_ADC0 = 0x04,
	NID_ADC1 = 0x05,
	NID_MIX0 = 0x06,
	NID_MIX1 = 0x07,
	NID_LINEOUT = 0x08,
	NID_HP = 0x09,
	NID_SEL0 = 0x0A,
	NID_SEL1 = 0x0B,
	NID_MIC = 0x0C,
	NID_LINEIN = 0x0D,
};

static const uint8_t dacs[] = { NID_DAC0, NID_DAC1 };
static const uint8_t adcs[] = { NID_ADC0, NID_ADC1 };
static const uint8_t out_pins[] = { NID_LINEOUT, NID_HP };

/* Parameters */
#define PCM_CAPS 0x000E0560u   /* 16/20/24 bit; 44.1, 48, 96, 192 kHz */
#define STREAM_FMTS 0x00000001u /* PCM */
#define POWER_STATES 0x0000000Fu /* D0..D3 */
/* The AFG's amp caps, the default of every widget without amp override:
 * out: mute, 0.75 dB steps, 128 steps, 0 dB at 0x40 (-48 .. +47.25 dB);
 * in: mute, 1.5 dB steps, 32 steps, 0 dB at 0x17 (-34.5 .. +12 dB). */
#define AFG_AMP_OUT 0x80027F40u
#define AFG_AMP_IN 0x80051F17u
/* The converters' own caps (amp override): DAC out mute, 0.75 dB, 0 dB at
 * the top step 0x57 (-65.25 .. 0 dB); ADC in mute, 1.5 dB, 0 dB at 0x1F. */
#define DAC_AMP_OUT 0x80025757u
#define ADC_AMP_IN 0x80053F1Fu
#define D0 0u
#define D3 3u
#define WCAP_FMT_OVERRIDE 0x10u
#define WC_DELAY(samples) ((uint32_t)(samples) << 16)
#define PINCAP_HP_DRIVE 0x08u
#define PINCAP_VREF_MIC 0x00003700u /* Hi-Z, 50 %, ground, 80 %, 100 % */
#define PINCAP_VREF_LINE 0x00000300u /* Hi-Z, 50 % */
#define PINCTL_MASK 0xE7u /* HP, out, in, VRef[2:0] */
#define EAPD_MASK 0x07u   /* BTL, EAPD, L-R swap */
#define EAPD_RESET 0x02u  /* external amplifier on, as firmware leaves it */
#define FMT_RESET 0x0011u /* 48 kHz / 16 / 2 */

#define WC(type) ((uint32_t)(type) << 20)
#define WC_CONV (HDA_WCAP_POWER | WCAP_FMT_OVERRIDE | HDA_WCAP_AMP_OVERRIDE | \
		 HDA_WCAP_STEREO)
#define WC_WIDGET (HDA_WCAP_POWER | HDA_WCAP_STEREO)

/* The fixed shape of each node: what the silicon is. */
struct node_desc {
	uint32_t wcaps;
	uint32_t amp_in, amp_out; /* own caps, with HDA_WCAP_AMP_OVERRIDE */
	uint32_t pincaps;
	uint32_t config_default;
	uint8_t nconn;
	uint8_t conn[2];
};

/*
 * Configuration defaults, as a board's firmware would program them:
 * [31:30] connectivity (0 jack), [29:24] location (0x01 rear, 0x02 front),
 * [23:20] device, [19:16] connection type (1 = 1/8" jack), [15:12] colour
 * (4 green, 1 black, 9 pink, 3 blue), [11:8] misc, [7:4] association,
 * [3:0] sequence.
 */
static const struct node_desc desc[NODE_COUNT] = {
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

/* What the driver can program: reset by power-on and FUNCTION_RESET. */
struct node_state {
	uint8_t power;    /* setting, D0..D3 */
	uint8_t actual;   /* the state the node is in */
	unsigned settle;  /* GET_POWER_STATE reads until actual = power */
	uint8_t conn_sel;
	uint8_t stream;   /* [7:4] tag, [3:0] first channel */
	uint16_t fmt;
	uint8_t amp_out[2]; /* [0] left, [1] right: mute | gain */
	uint8_t amp_in[2];  /* input index 0: every widget has <= 1 */
	uint8_t pinctl;
	uint8_t unsol;
	uint8_t eapd;
	uint32_t config_default;
};

/* What an output pin emitted during the current device step (loopback). */
struct emitted {
	size_t frames;
	unsigned channels;
	uint32_t rate;
	unsigned bits;
	int32_t buf[LOOPBACK_FRAMES * CONV_CH];
};

struct emu_codec {
	unsigned power_settle; /* see emu_codec_config */
	bool silent_param_on;
	uint8_t silent_param;
	struct node_state n[NODE_COUNT];
	bool present[NODE_COUNT]; /* jack presence: physical, survives reset */
	uint64_t frames[NODE_COUNT];
	uint64_t dropped[NODE_COUNT];
	emu_sink *sink[NODE_COUNT];
	emu_source *source[NODE_COUNT];

	uint32_t unsol_q[UNSOL_QUEUE];
	unsigned unsol_head, unsol_count;
	uint64_t unsol_overflow;

	struct emitted emitted[2]; /* index as out_pins[] */
	size_t lb_pos[NODE_COUNT]; /* per ADC: loopback frames read this step */

	int32_t stream_buf[EMU_CODEC_CHUNK * EMU_CODEC_MAX_CH];
	int32_t conv_buf[EMU_CODEC_CHUNK * CONV_CH];
	int32_t pin_buf[EMU_CODEC_CHUNK * CONV_CH];
};

static bool is_widget(unsigned nid)
{
	return nid > NID_AFG && nid < NODE_COUNT;
}

static bool is_converter(unsigned nid)
{
	return nid == NID_DAC0 || nid == NID_DAC1 || nid == NID_ADC0 ||
	       nid == NID_ADC1;
}

static bool is_pin(unsigned nid)
{
	return is_widget(nid) && HDA_WCAP_TYPE(desc[nid].wcaps) == HDA_WID_PIN;
}

/* The caps an amp works with: its own with amp override, else the
 * AFG's; 0 when the widget has no such amp. */
static uint32_t amp_caps(unsigned nid, bool output)
{
	const struct node_desc *d = &desc[nid];

	if (!(d->wcaps & (output ? HDA_WCAP_OUT_AMP : HDA_WCAP_IN_AMP)))
		return 0;
	if (d->wcaps & HDA_WCAP_AMP_OVERRIDE)
		return output ? d->amp_out : d->amp_in;
	return output ? AFG_AMP_OUT : AFG_AMP_IN;
}

static void reset_state(emu_codec *c)
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
		s->config_default = desc[nid].config_default;
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
	reset_state(c);
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

/* ---- Verbs -------------------------------------------------------------------- */

static bool powered(const emu_codec *c, unsigned nid)
{
	return c->n[NID_AFG].actual == D0 && c->n[nid].actual == D0;
}

static uint32_t get_parameter(const emu_codec *c, unsigned nid,
			      unsigned param)
{
	const struct node_desc *d = &desc[nid];

	(void)c;
	if (nid == NID_ROOT) {
		switch (param) {
		case HDA_PAR_VENDOR_ID:
			return EMU_CODEC_VENDOR_ID;
		case HDA_PAR_REVISION_ID:
			return EMU_CODEC_REVISION;
		case HDA_PAR_NODE_COUNT:
			return (NID_AFG << 16) | 1;
		default:
			return 0;
		}
	}
	if (nid == NID_AFG) {
		switch (param) {
		case HDA_PAR_NODE_COUNT:
			return ((NID_AFG + 1u) << 16) |
			       (NODE_COUNT - (NID_AFG + 1u));
		case HDA_PAR_FG_TYPE:
			return HDA_FG_TYPE_AUDIO;
		case HDA_PAR_PCM:
			return PCM_CAPS;
		case HDA_PAR_STREAM_FORMATS:
			return STREAM_FMTS;
		case HDA_PAR_POWER_STATE:
			return POWER_STATES;
		case HDA_PAR_AMP_IN_CAP:
			return AFG_AMP_IN; /* the defaults for widgets */
		case HDA_PAR_AMP_OUT_CAP:
			return AFG_AMP_OUT;
		default:
			return 0;
		}
	}
	switch (param) {
	case HDA_PAR_AUDIO_WIDGET_CAP:
		return d->wcaps;
	case HDA_PAR_PCM:
		return is_converter(nid) ? PCM_CAPS : 0;
	case HDA_PAR_STREAM_FORMATS:
		return is_converter(nid) ? STREAM_FMTS : 0;
	case HDA_PAR_PIN_CAP:
		return d->pincaps;
	case HDA_PAR_AMP_IN_CAP: /* own caps only with amp override */
		return (d->wcaps & HDA_WCAP_AMP_OVERRIDE) ? amp_caps(nid, false) : 0;
	case HDA_PAR_AMP_OUT_CAP:
		return (d->wcaps & HDA_WCAP_AMP_OVERRIDE) ? amp_caps(nid, true) : 0;
	case HDA_PAR_CONNLIST_LEN:
		return d->nconn; /* short form: bit 7 clear */
	case HDA_PAR_POWER_STATE:
		return (d->wcaps & HDA_WCAP_POWER) ? POWER_STATES : 0;
	default:
		return 0;
	}
}

/* GET_CONNECT_LIST: up to 4 short-form entries from index `start`. */
static uint32_t get_connect_list(unsigned nid, unsigned start)
{
	const struct node_desc *d = &desc[nid];
	uint32_t r = 0;
	unsigned i;

	for (i = 0; i < 4 && start + i < d->nconn; i++)
		r |= (uint32_t)d->conn[start + i] << (8 * i);
	return r;
}

/* A read is what moves a transition on (see the top of the file). */
static uint32_t get_power(emu_codec *c, unsigned nid)
{
	struct node_state *s = &c->n[nid];
	unsigned actual;

	if (s->settle && c->power_settle != EMU_POWER_SETTLE_NEVER &&
	    --s->settle == 0)
		s->actual = s->power;
	actual = s->actual;
	if (nid != NID_AFG && c->n[NID_AFG].actual > actual)
		actual = c->n[NID_AFG].actual;
	return (actual << 4) | s->power;
}

static void set_power(emu_codec *c, unsigned nid, unsigned state)
{
	struct node_state *s = &c->n[nid];

	if (state == s->power)
		return; /* no change, no new transition */
	s->power = (uint8_t)state;
	s->settle = c->power_settle;
	if (s->settle == 0)
		s->actual = s->power;
}

static uint32_t get_amp(const emu_codec *c, unsigned nid, uint16_t payload)
{
	const struct node_state *s = &c->n[nid];
	unsigned side = (payload & HDA_AMP_GET_LEFT) ? 0 : 1;

	if (payload & HDA_AMP_GET_OUTPUT) {
		if (!(desc[nid].wcaps & HDA_WCAP_OUT_AMP))
			return 0;
		return s->amp_out[side];
	}
	if (!(desc[nid].wcaps & HDA_WCAP_IN_AMP) || (payload & 0xF) != 0)
		return 0;
	return s->amp_in[side];
}

static void set_amp(emu_codec *c, unsigned nid, uint16_t payload)
{
	struct node_state *s = &c->n[nid];
	uint8_t val = payload & (HDA_AMP_MUTE | HDA_AMP_GAIN_MASK);
	unsigned index = (payload >> HDA_AMP_SET_INDEX_SHIFT) & 0xF;

	if ((payload & HDA_AMP_SET_OUTPUT) &&
	    (desc[nid].wcaps & HDA_WCAP_OUT_AMP)) {
		if (payload & HDA_AMP_SET_LEFT)
			s->amp_out[0] = val;
		if (payload & HDA_AMP_SET_RIGHT)
			s->amp_out[1] = val;
	}
	/* Every widget here has at most one amplified input (index 0). */
	if ((payload & HDA_AMP_SET_INPUT) &&
	    (desc[nid].wcaps & HDA_WCAP_IN_AMP) && index == 0) {
		if (payload & HDA_AMP_SET_LEFT)
			s->amp_in[0] = val;
		if (payload & HDA_AMP_SET_RIGHT)
			s->amp_in[1] = val;
	}
}

static uint32_t verb4(emu_codec *c, unsigned nid, unsigned verb,
		      uint16_t payload)
{
	struct node_state *s = &c->n[nid];

	switch (verb) {
	case HDA_VERB4_SET_CONVERTER_FORMAT:
		if (is_converter(nid))
			s->fmt = payload;
		return 0;
	case HDA_VERB4_GET_CONVERTER_FORMAT:
		return is_converter(nid) ? s->fmt : 0;
	case HDA_VERB4_SET_AMP_GAIN_MUTE:
		set_amp(c, nid, payload);
		return 0;
	case HDA_VERB4_GET_AMP_GAIN_MUTE:
		return get_amp(c, nid, payload);
	default:
		return 0;
	}
}

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

static uint32_t verb12_widget(emu_codec *c, unsigned nid, unsigned verb,
			      uint8_t payload)
{
	const struct node_desc *d = &desc[nid];
	struct node_state *s = &c->n[nid];

	switch (verb) {
	case HDA_VERB_GET_CONNECT_SEL:
		return s->conn_sel;
	case HDA_VERB_SET_CONNECT_SEL:
		/* Only a choice between several inputs is a selection;
		 * mixers sum theirs.  An index beyond the list is ignored. */
		if (d->nconn > 1 && payload < d->nconn &&
		    HDA_WCAP_TYPE(d->wcaps) != HDA_WID_AUD_MIX)
			s->conn_sel = payload;
		return 0;
	case HDA_VERB_GET_CONNECT_LIST:
		return get_connect_list(nid, payload);
	case HDA_VERB_GET_CHANNEL_STREAMID:
		return is_converter(nid) ? s->stream : 0;
	case HDA_VERB_SET_CHANNEL_STREAMID:
		if (is_converter(nid))
			s->stream = payload;
		return 0;
	case HDA_VERB_GET_PIN_WIDGET_CONTROL:
		return is_pin(nid) ? s->pinctl : 0;
	case HDA_VERB_SET_PIN_WIDGET_CONTROL:
		if (is_pin(nid))
			s->pinctl = payload & PINCTL_MASK;
		return 0;
	case HDA_VERB_GET_UNSOLICITED_ENABLE:
		return s->unsol;
	case HDA_VERB_SET_UNSOLICITED_ENABLE:
		if (d->wcaps & HDA_WCAP_UNSOL)
			s->unsol = payload & (HDA_UNSOL_ENABLE | 0x3F);
		return 0;
	case HDA_VERB_GET_PIN_SENSE:
		if (is_pin(nid) && (d->pincaps & HDA_PINCAP_PRES_DETECT) &&
		    c->present[nid])
			return HDA_PIN_SENSE_PRESENCE;
		return 0;
	case HDA_VERB_GET_EAPD:
		return s->eapd;
	case HDA_VERB_SET_EAPD:
		if (d->pincaps & HDA_PINCAP_EAPD)
			s->eapd = payload & EAPD_MASK;
		return 0;
	case HDA_VERB_GET_CONFIG_DEFAULT:
		return is_pin(nid) ? s->config_default : 0;
	case 0x71C: /* SET_CONFIG_DEFAULT byte 0..3 (board fixups) */
	case 0x71D:
	case 0x71E:
	case 0x71F:
		if (is_pin(nid)) {
			unsigned shift = 8 * (verb - 0x71C);

			s->config_default &= ~(0xFFu << shift);
			s->config_default |= (uint32_t)payload << shift;
		}
		return 0;
	default:
		return 0;
	}
}

static uint32_t verb12(emu_codec *c, unsigned nid, unsigned verb,
		       uint8_t payload)
{
	if (verb == HDA_VERB_GET_PARAMETER)
		return get_parameter(c, nid, payload);
	if (nid == NID_ROOT)
		return 0;
	switch (verb) {
	case HDA_VERB_GET_POWER_STATE:
		return get_power(c, nid);
	case HDA_VERB_SET_POWER_STATE:
		/* D0..D3 only; D3cold (4) and beyond are not supported. */
		if ((nid == NID_AFG ||
		     (desc[nid].wcaps & HDA_WCAP_POWER)) &&
		    (payload & 0xF) <= D3)
			set_power(c, nid, payload & 0xF);
		return 0;
	case HDA_VERB_FUNCTION_RESET:
		/* Every programmable value back to its reset value; jacks,
		 * ground-truth counters and queued responses are not
		 * codec registers and stay. */
		if (nid == NID_AFG)
			reset_state(c);
		return 0;
	default:
		break;
	}
	if (nid == NID_AFG)
		return 0;
	return verb12_widget(c, nid, verb, payload);
}

bool emu_codec_verb(emu_codec *codec, uint32_t cmd, uint32_t *response)
{
	unsigned nid = (cmd >> 20) & 0xFF;
	unsigned id = (cmd >> 16) & 0xF;
	uint32_t r = 0;

	if (!codec || !response)
		return false;
	if (codec->silent_param_on && (cmd & 0xFFF00) == (HDA_VERB_GET_PARAMETER << 8) &&
	    (cmd & 0xFF) == codec->silent_param)
		return false;
	if (nid < NODE_COUNT) {
		/* 12-bit verbs are 0x7xx (set) and 0xFxx (get); every other
		 * top nibble is a 4-bit verb with a 16-bit payload. */
		if (id == 0x7 || id == 0xF)
			r = verb12(codec, nid, (cmd >> 8) & 0xFFF, cmd & 0xFF);
		else if (nid > NID_AFG)
			r = verb4(codec, nid, id, cmd & 0xFFFF);
	}
	*response = r;
	return true;
}

/* ---- Samples ------------------------------------------------------------------ */

/* Channels a stereo converter with first channel `first` carries. */
static unsigned conv_channels(unsigned first, unsigned stream_ch)
{
	if (first >= stream_ch)
		return 0;
	return stream_ch - first < CONV_CH ? stream_ch - first : CONV_CH;
}

/*
 * One amplifier on a block of samples: a muted channel is silent; an
 * unmuted one is scaled by (gain - offset) steps of the caps' step size,
 * gain clamped to the caps' range, the result rounded to the stream's
 * `bits` and saturated there, as a converter of that width carries it.  At
 * the 0 dB gain samples pass unchanged (bit-exact tests rely on it).
 * Widgets without that amp (caps 0) pass everything.
 */
static void apply_amp(int32_t *buf, size_t frames, unsigned channels,
		      const uint8_t amp[2], uint32_t caps, unsigned bits)
{
	double lsb = ldexp(1.0, 32 - (int)bits); /* MSB-aligned: one step */
	double top = ldexp(1.0, 31) - lsb, bottom = -ldexp(1.0, 31);
	unsigned ch;
	size_t f;

	if (caps == 0)
		return;
	for (ch = 0; ch < channels && ch < CONV_CH; ch++) {
		unsigned gain = amp[ch] & HDA_AMP_GAIN_MASK;
		double db, k;

		if (amp[ch] & HDA_AMP_MUTE) {
			for (f = 0; f < frames; f++)
				buf[f * channels + ch] = 0;
			continue;
		}
		if (gain > HDA_AMPCAP_NSTEPS(caps))
			gain = HDA_AMPCAP_NSTEPS(caps);
		if (gain == HDA_AMPCAP_OFFSET(caps))
			continue;
		db = ((double)gain - HDA_AMPCAP_OFFSET(caps)) *
		     HDA_AMPCAP_STEP_QDB(caps) / 4.0;
		k = pow(10.0, db / 20.0);
		for (f = 0; f < frames; f++) {
			double v = nearbyint(buf[f * channels + ch] * k / lsb) * lsb;

			buf[f * channels + ch] =
				(int32_t)(v > top ? top : v < bottom ? bottom : v);
		}
	}
}

/* Amp `output` (else input index 0) of node nid on a block. */
static void amp(const emu_codec *c, unsigned nid, bool output, int32_t *buf,
		size_t frames, unsigned channels, unsigned bits)
{
	const struct node_state *s = &c->n[nid];

	apply_amp(buf, frames, channels, output ? s->amp_out : s->amp_in,
		  amp_caps(nid, output), bits);
}

static void emit_loopback(struct emitted *e, const int32_t *buf,
			  size_t frames, unsigned channels, uint32_t rate,
			  unsigned bits)
{
	size_t room;

	if (e->frames && (e->channels != channels || e->rate != rate ||
			  e->bits != bits))
		e->frames = 0; /* a new format this step: it wins */
	e->channels = channels;
	e->rate = rate;
	e->bits = bits;
	room = LOOPBACK_FRAMES - e->frames;
	if (frames > room)
		frames = room; /* bounded; longer steps lose the tail */
	memcpy(e->buf + e->frames * channels, buf,
	       frames * channels * sizeof(*buf));
	e->frames += frames;
}

/* Carry a DAC's output (in conv_buf) to an output pin if the pin's
 * selected chain leads to that DAC. */
static void route_to_pin(emu_codec *c, unsigned pin_idx, unsigned dac,
			 size_t frames, unsigned channels, uint32_t rate,
			 unsigned bits)
{
	unsigned pin = out_pins[pin_idx];
	const struct node_state *p = &c->n[pin];
	unsigned mix;

	if (!(p->pinctl & HDA_PINCTL_OUT_EN))
		return;
	mix = desc[pin].conn[p->conn_sel];
	if (desc[mix].conn[0] != dac)
		return;
	if (!powered(c, pin) || !powered(c, mix))
		return;
	memcpy(c->pin_buf, c->conv_buf, frames * channels * sizeof(int32_t));
	amp(c, mix, false, c->pin_buf, frames, channels, bits);
	amp(c, mix, true, c->pin_buf, frames, channels, bits);
	amp(c, pin, true, c->pin_buf, frames, channels, bits);
	emu_sink_write(c->sink[pin], c->pin_buf, frames, channels, rate, bits);
	emit_loopback(&c->emitted[pin_idx], c->pin_buf, frames, channels, rate,
		      bits);
}

/*
 * Whether converter nid takes this step's link frames for `tag`: a tag
 * match is needed at all; then the frames count as played or captured
 * (ground truth) only when the converter is powered and set to the stream's
 * format, and as dropped otherwise.  Returns how many of its channels carry
 * the stream (0: it takes nothing).
 */
static unsigned converter_take(emu_codec *c, unsigned nid, uint8_t tag,
			       uint16_t fmt, size_t frames)
{
	const struct node_state *s = &c->n[nid];

	if (tag == 0 || (s->stream >> 4) != tag)
		return 0;
	if (!powered(c, nid) || s->fmt != fmt) {
		c->dropped[nid] += frames;
		return 0;
	}
	c->frames[nid] += frames;
	return conv_channels(s->stream & 0xF, emu_fmt_channels(fmt));
}

static void render_chunk(emu_codec *c, uint8_t tag, uint16_t fmt,
			 const uint8_t *mem, size_t frames)
{
	unsigned stream_ch = emu_fmt_channels(fmt);
	uint32_t rate = emu_fmt_rate(fmt);
	unsigned bits = emu_fmt_bits(fmt);
	bool unpacked = false;
	unsigned i, p;

	for (i = 0; i < sizeof(dacs); i++) {
		unsigned dac = dacs[i];
		const struct node_state *s = &c->n[dac];
		unsigned first = s->stream & 0xF;
		unsigned n = converter_take(c, dac, tag, fmt, frames), ch;
		size_t f;

		if (n == 0)
			continue;
		if (!unpacked) {
			emu_fmt_unpack(fmt, mem, c->stream_buf,
				       frames * stream_ch);
			unpacked = true;
		}
		for (f = 0; f < frames; f++)
			for (ch = 0; ch < n; ch++)
				c->conv_buf[f * n + ch] =
					c->stream_buf[f * stream_ch + first +
						      ch];
		amp(c, dac, true, c->conv_buf, frames, n, bits);
		for (p = 0; p < sizeof(out_pins); p++)
			route_to_pin(c, p, dac, frames, n, rate, bits);
	}
}

void emu_codec_render(emu_codec *codec, uint8_t tag, uint16_t fmt,
		      const uint8_t *mem, size_t frames)
{
	unsigned fb = emu_fmt_frame_bytes(fmt);
	unsigned ch = emu_fmt_channels(fmt);

	if (!codec || !mem || fb == 0 || ch == 0 || ch > EMU_CODEC_MAX_CH)
		return;
	while (frames) {
		size_t n = frames < EMU_CODEC_CHUNK ? frames : EMU_CODEC_CHUNK;

		render_chunk(codec, tag, fmt, mem, n);
		mem += n * fb;
		frames -= n;
	}
}

/* Fill conv_buf with what ADC `adc` hears through its selector. */
static void adc_input(emu_codec *c, unsigned adc, size_t frames,
		      unsigned channels, uint32_t rate, unsigned bits)
{
	unsigned sel = desc[adc].conn[0];
	unsigned pin = desc[sel].conn[c->n[sel].conn_sel];
	size_t pos = c->lb_pos[adc];
	size_t f;
	unsigned ch;

	/* Time moves for the loopback cursor whether or not the path is
	 * open, so a path opened mid-step stays aligned with line-out. */
	c->lb_pos[adc] += frames;
	if (!(c->n[pin].pinctl & HDA_PINCTL_IN_EN) || !powered(c, pin) ||
	    !powered(c, sel)) {
		memset(c->conv_buf, 0, frames * channels * sizeof(int32_t));
		return;
	}
	if (emu_source_is_loopback(c->source[pin])) {
		const struct emitted *e = &c->emitted[0]; /* line-out */

		for (f = 0; f < frames; f++) {
			for (ch = 0; ch < channels; ch++) {
				int32_t v = 0;

				if (pos + f < e->frames && ch < e->channels)
					v = emu_fmt_truncate(
						e->buf[(pos + f) * e->channels +
						       ch],
						bits);
				c->conv_buf[f * channels + ch] = v;
			}
		}
	} else {
		emu_source_read(c->source[pin], c->conv_buf, frames, channels,
				rate, bits);
	}
	amp(c, pin, false, c->conv_buf, frames, channels, bits);
	amp(c, sel, true, c->conv_buf, frames, channels, bits);
}

static void capture_chunk(emu_codec *c, uint8_t tag, uint16_t fmt,
			  uint8_t *mem, size_t frames)
{
	unsigned stream_ch = emu_fmt_channels(fmt);
	uint32_t rate = emu_fmt_rate(fmt);
	unsigned bits = emu_fmt_bits(fmt);
	unsigned i;

	memset(c->stream_buf, 0, frames * stream_ch * sizeof(int32_t));
	for (i = 0; i < sizeof(adcs); i++) {
		unsigned adc = adcs[i];
		const struct node_state *s = &c->n[adc];
		unsigned first = s->stream & 0xF;
		unsigned n = converter_take(c, adc, tag, fmt, frames), ch;
		size_t f;

		if (n == 0)
			continue;
		adc_input(c, adc, frames, n, rate, bits);
		amp(c, adc, false, c->conv_buf, frames, n, bits);
		for (f = 0; f < frames; f++)
			for (ch = 0; ch < n; ch++)
				c->stream_buf[f * stream_ch + first + ch] =
					c->conv_buf[f * n + ch];
	}
	emu_fmt_pack(fmt, c->stream_buf, mem, frames * stream_ch);
}

void emu_codec_capture(emu_codec *codec, uint8_t tag, uint16_t fmt,
		       uint8_t *mem, size_t frames)
{
	unsigned fb = emu_fmt_frame_bytes(fmt);
	unsigned ch = emu_fmt_channels(fmt);

	if (!codec || !mem || fb == 0 || ch == 0 || ch > EMU_CODEC_MAX_CH)
		return;
	while (frames) {
		size_t n = frames < EMU_CODEC_CHUNK ? frames : EMU_CODEC_CHUNK;

		capture_chunk(codec, tag, fmt, mem, n);
		mem += n * fb;
		frames -= n;
	}
}

void emu_codec_step_end(emu_codec *codec)
{
	unsigned i;

	if (!codec)
		return;
	for (i = 0; i < sizeof(out_pins); i++)
		codec->emitted[i].frames = 0;
	memset(codec->lb_pos, 0, sizeof(codec->lb_pos));
}

/* ---- Unsolicited responses, jacks, ground truth ------------------------------- */

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
	    !(desc[nid].pincaps & HDA_PINCAP_PRES_DETECT))
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
