/* SPDX-License-Identifier: MIT */
/*
 * The emulated codec's insides, shared by its three files (emu.h has the
 * interface, emu_codec.c the model decisions):
 *   emu_codec.c        the node graph, creation and reset, jacks and
 *                      unsolicited responses, ground truth
 *   emu_codec_verbs.c  verb decoding: parameters, power, amps, pins
 *   emu_codec_audio.c  samples: converters, amps, mixers and selectors,
 *                      pins and their endpoints, loopback
 */
#ifndef HDA_EMU_CODEC_MODEL_H
#define HDA_EMU_CODEC_MODEL_H

#include "emu.h"
#include "hda_regs.h"

#define EMU_CODEC_VENDOR_ID 0x1d170001u
#define EMU_CODEC_REVISION 0x00100100u

#define EMU_CODEC_CHUNK 1024u  /* frames per internal processing chunk */
#define EMU_CODEC_MAX_CH 16u   /* channels of an HDA stream */
#define CONV_CH 2u             /* every converter, mixer, pin is stereo */
#define LOOPBACK_FRAMES 16384u /* per output pin per device step */
/* Line-out frames a loopback reader left, carried into the next step
 * (emu_codec_step_end says why).  The capture and line-out frame counts
 * per step differ by a frame or two; 32 leaves room for a DMA burst. */
#define LOOPBACK_CARRY 32u
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

/* Indexed by node id (emu_codec.c). */
extern const struct node_desc emu_codec_nodes[NODE_COUNT];

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
	bool fresh; /* the pin emitted in this step (not only carried) */
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

/* Every programmable value at its reset value (power-on, FUNCTION_RESET). */
void emu_codec_reset_state(emu_codec *c);

static inline bool is_widget(unsigned nid)
{
	return nid > NID_AFG && nid < NODE_COUNT;
}

static inline bool is_converter(unsigned nid)
{
	return nid == NID_DAC0 || nid == NID_DAC1 || nid == NID_ADC0 ||
	       nid == NID_ADC1;
}

static inline bool is_pin(unsigned nid)
{
	return is_widget(nid) && HDA_WCAP_TYPE(emu_codec_nodes[nid].wcaps) == HDA_WID_PIN;
}

/* The caps an amp works with: its own with amp override, else the
 * AFG's; 0 when the widget has no such amp. */
static inline uint32_t amp_caps(unsigned nid, bool output)
{
	const struct node_desc *d = &emu_codec_nodes[nid];

	if (!(d->wcaps & (output ? HDA_WCAP_OUT_AMP : HDA_WCAP_IN_AMP)))
		return 0;
	if (d->wcaps & HDA_WCAP_AMP_OVERRIDE)
		return output ? d->amp_out : d->amp_in;
	return output ? AFG_AMP_OUT : AFG_AMP_IN;
}

/* A node is powered when it and the AFG are both actually in D0. */
static inline bool powered(const emu_codec *c, unsigned nid)
{
	return c->n[NID_AFG].actual == D0 && c->n[nid].actual == D0;
}

#endif /* HDA_EMU_CODEC_MODEL_H */
