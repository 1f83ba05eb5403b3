/* SPDX-License-Identifier: MIT */
/*
 * The emulated codec's verb decoding: parameters, connection lists, power
 * states and their settling, amps, converters, pins, function group reset
 * and the silent-parameter fault.  Model decisions: emu_codec.c.
 */
#include "emu_codec_model.h"

static uint32_t get_parameter(const emu_codec *c, unsigned nid,
			      unsigned param)
{
	const struct node_desc *d = &emu_codec_nodes[nid];

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
	const struct node_desc *d = &emu_codec_nodes[nid];
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
		if (!(emu_codec_nodes[nid].wcaps & HDA_WCAP_OUT_AMP))
			return 0;
		return s->amp_out[side];
	}
	if (!(emu_codec_nodes[nid].wcaps & HDA_WCAP_IN_AMP) || (payload & 0xF) != 0)
		return 0;
	return s->amp_in[side];
}

static void set_amp(emu_codec *c, unsigned nid, uint16_t payload)
{
	struct node_state *s = &c->n[nid];
	uint8_t val = payload & (HDA_AMP_MUTE | HDA_AMP_GAIN_MASK);
	unsigned index = (payload >> HDA_AMP_SET_INDEX_SHIFT) & 0xF;

	if ((payload & HDA_AMP_SET_OUTPUT) &&
	    (emu_codec_nodes[nid].wcaps & HDA_WCAP_OUT_AMP)) {
		if (payload & HDA_AMP_SET_LEFT)
			s->amp_out[0] = val;
		if (payload & HDA_AMP_SET_RIGHT)
			s->amp_out[1] = val;
	}
	/* Every widget here has at most one amplified input (index 0). */
	if ((payload & HDA_AMP_SET_INPUT) &&
	    (emu_codec_nodes[nid].wcaps & HDA_WCAP_IN_AMP) && index == 0) {
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

static uint32_t verb12_widget(emu_codec *c, unsigned nid, unsigned verb,
			      uint8_t payload)
{
	const struct node_desc *d = &emu_codec_nodes[nid];
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
		     (emu_codec_nodes[nid].wcaps & HDA_WCAP_POWER)) &&
		    (payload & 0xF) <= D3)
			set_power(c, nid, payload & 0xF);
		return 0;
	case HDA_VERB_FUNCTION_RESET:
		/* Every programmable value back to its reset value; jacks,
		 * ground-truth counters and queued responses are not
		 * codec registers and stay. */
		if (nid == NID_AFG)
			emu_codec_reset_state(c);
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
