/* SPDX-License-Identifier: MIT */
/*
 * The emulated codec's samples: converters take link frames, amps scale or
 * mute them, mixers and selectors route them, pins hand them to their
 * endpoints, and the line-out feeds loopback capture.  Model decisions:
 * emu_codec.c.  Nothing here allocates: the scratch buffers live in the
 * codec object.
 */
#include <math.h>
#include <string.h>

#include "emu_codec_model.h"

static const uint8_t dacs[] = { NID_DAC0, NID_DAC1 };
static const uint8_t adcs[] = { NID_ADC0, NID_ADC1 };
static const uint8_t out_pins[] = { NID_LINEOUT, NID_HP };

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

	/* A new format: what was carried becomes silence in it, the same
	 * count, so that the loopback's offset does not move (dropping it
	 * inserted as many zeros later, inside the new stream's audio). */
	if (e->frames && (e->channels != channels || e->rate != rate ||
			  e->bits != bits))
		memset(e->buf, 0, e->frames * channels * sizeof(*e->buf));
	e->channels = channels;
	e->rate = rate;
	e->bits = bits;
	room = LOOPBACK_FRAMES - e->frames;
	if (frames > room)
		frames = room; /* bounded; longer steps lose the tail */
	memcpy(e->buf + e->frames * channels, buf,
	       frames * channels * sizeof(*buf));
	e->frames += frames;
	e->fresh = true;
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
	mix = emu_codec_nodes[pin].conn[p->conn_sel];
	if (emu_codec_nodes[mix].conn[0] != dac)
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
	unsigned sel = emu_codec_nodes[adc].conn[0];
	unsigned pin = emu_codec_nodes[sel].conn[c->n[sel].conn_sel];
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
	for (i = 0; i < sizeof(out_pins); i++) {
		struct emitted *e = &codec->emitted[i];
		size_t read = 0, keep = 0;

		for (unsigned a = 0; a < sizeof(adcs); a++)
			if (codec->lb_pos[adcs[a]] > read)
				read = codec->lb_pos[adcs[a]];
		/* The line-out frames a loopback reader left this step go
		 * first into the next, up to LOOPBACK_CARRY.  On the
		 * real-time clock each engine's link frames per step follow
		 * from its own start, so a capture may take one frame more
		 * than the line-out played in one step and fewer in
		 * another; without the carry that is a zero inserted and,
		 * later, a frame lost.  With it the loopback is frame-exact
		 * at a fixed offset once both run.  Nothing is carried when
		 * no reader ran this step, so a capture that starts later,
		 * and every manual-clock step where both take the same
		 * frames, line up exactly as before.
		 *
		 * A reader of an idle line-out keeps one frame of silence
		 * ahead of it.  Over any run of steps the capture takes at
		 * most one frame more than the line-out plays (both count
		 * from their own starts), so with that frame in hand a
		 * render that starts under a running capture never comes up
		 * one short: without it, the capture read a zero in the
		 * middle of the render's first step (test_emu_codec
		 * test_loopback_render_joins_reader). */
		if (read && e->frames > read) {
			keep = e->frames - read;
			if (keep > LOOPBACK_CARRY)
				keep = LOOPBACK_CARRY;
			memmove(e->buf, e->buf + (e->frames - keep) * e->channels,
				keep * e->channels * sizeof(*e->buf));
		} else if (read && !e->fresh) {
			keep = 1;
			if (!e->channels)
				e->channels = CONV_CH;
			memset(e->buf, 0, e->channels * sizeof(*e->buf));
		}
		e->frames = keep;
		e->fresh = false;
	}
	memset(codec->lb_pos, 0, sizeof(codec->lb_pos));
}
