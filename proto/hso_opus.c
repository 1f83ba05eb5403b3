/* SPDX-License-Identifier: MIT */
/* Opus over libopus, as hdastream uses it; see hso_opus.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <opus.h>

#include "hso_opus.h"

/* The frames of the longest Opus packet (120 ms) at 48 kHz: the most one
 * decode call writes, and what the float scratch buffers hold. */
#define MAX_PACKET_FRAMES 5760u

struct hso_encoder {
	OpusEncoder *enc;
	hso_params p;
	uint32_t frames;   /* per packet */
	uint32_t lookahead;
	float *scratch;    /* 32-bit containers: the frame as float */
};

struct hso_decoder {
	OpusDecoder *dec;
	uint32_t rate;
	uint8_t channels, container_bits;
	float *scratch;
};

static bool rate_ok(uint32_t rate)
{
	return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 ||
	       rate == 48000;
}

static bool frame_ok(uint32_t us)
{
	return us == 2500 || us == 5000 || us == 10000 || us == 20000 || us == 40000 ||
	       us == 60000;
}

__attribute__((format(printf, 3, 4))) static int refuse(char *why, size_t len,
							  const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int hso_params_check(const hso_params *p, char *why, size_t len)
{
	if (!rate_ok(p->rate))
		return refuse(why, len, "rate %u: Opus takes 8000, 12000, 16000, 24000 or 48000 Hz",
			      p->rate);
	if (p->channels < 1 || p->channels > 2)
		return refuse(why, len, "channels %u: Opus takes 1 or 2 here", p->channels);
	if (p->container_bits != 16 && p->container_bits != 32)
		return refuse(why, len, "%u-bit containers: Opus takes 16- or 32-bit ones",
			      p->container_bits);
	if (p->bitrate && (p->bitrate < HSO_BITRATE_MIN || p->bitrate > HSO_BITRATE_MAX))
		return refuse(why, len, "bitrate %u: Opus takes 6000..510000 bit/s", p->bitrate);
	if (!frame_ok(p->frame_us))
		return refuse(why, len, "frame %u us: Opus frames are 2.5, 5, 10, 20, 40 or 60 ms",
			      p->frame_us);
	if (p->complexity > 10)
		return refuse(why, len, "complexity %u: 0..10", p->complexity);
	if (p->loss_pct > 100)
		return refuse(why, len, "expected loss %u%%: 0..100", p->loss_pct);
	/* FEC rides in SILK frames, which are 10 ms or longer. */
	if (p->fec && p->frame_us < 10000)
		return refuse(why, len, "frame %u us: in-band FEC needs frames of 10 ms or more",
			      p->frame_us);
	return 0;
}

uint32_t hso_frame_us_for_latency(uint32_t latency_us)
{
	static const uint32_t frames[] = {20000, 10000, 5000};

	for (unsigned i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		if (frames[i] <= latency_us / 2)
			return frames[i];
	return 2500;
}

uint32_t hso_frame_samples(const hso_params *p)
{
	return (uint32_t)((uint64_t)p->rate * p->frame_us / 1000000);
}

uint32_t hso_bitrate(const hso_params *p)
{
	return p->bitrate ? p->bitrate : HSO_BITRATE_PER_CHANNEL * p->channels;
}

/* 32-bit containers hold the sample MSB-aligned: full scale is 2^31. */
static void s32_to_float(const int32_t *in, float *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (float)in[i] * (1.0f / 2147483648.0f);
}

static void float_to_s32(const float *in, int32_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v = in[i] * 2147483648.0f;

		/* libopus's float output may overshoot full scale a little */
		out[i] = v >= 2147483647.0f ? INT32_MAX : v <= -2147483648.0f ? INT32_MIN : (int32_t)v;
	}
}

int hso_encoder_create(hso_encoder **out, const hso_params *p)
{
	hso_encoder *e = NULL;
	opus_int32 lookahead = 0;
	int err = -EINVAL, oerr;

	if (!out || !p || hso_params_check(p, NULL, 0))
		goto fail;
	err = -ENOMEM;
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	e->p = *p;
	e->frames = hso_frame_samples(p);
	if (p->container_bits == 32) {
		e->scratch = calloc((size_t)e->frames * p->channels, sizeof(*e->scratch));
		if (!e->scratch)
			goto fail;
	}
	/* FEC needs SILK (AUDIO); without it CELT alone has the shortest
	 * look-ahead (hso_opus.h). */
	e->enc = opus_encoder_create((opus_int32)p->rate, p->channels,
				     p->fec ? OPUS_APPLICATION_AUDIO
					    : OPUS_APPLICATION_RESTRICTED_LOWDELAY,
				     &oerr);
	err = -EIO;
	if (!e->enc || oerr != OPUS_OK)
		goto fail;
	if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)hso_bitrate(p))) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(p->complexity)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(p->fec ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(p->loss_pct)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&lookahead)) != OPUS_OK)
		goto fail;
	e->lookahead = (uint32_t)lookahead;
	*out = e;
	return 0;
fail:
	hso_encoder_destroy(e);
	return err;
}

void hso_encoder_destroy(hso_encoder *e)
{
	if (!e)
		return;
	if (e->enc)
		opus_encoder_destroy(e->enc);
	free(e->scratch);
	free(e);
}

uint32_t hso_encoder_lookahead(const hso_encoder *e)
{
	return e->lookahead;
}

int hso_encode(hso_encoder *e, const void *pcm, uint8_t *out, size_t cap)
{
	opus_int32 n, max = cap > HSO_MAX_PACKET ? (opus_int32)HSO_MAX_PACKET : (opus_int32)cap;

	if (!e || !pcm || !out || cap == 0)
		return -EINVAL;
	if (e->p.container_bits == 16) {
		n = opus_encode(e->enc, pcm, (int)e->frames, out, max);
	} else {
		s32_to_float(pcm, e->scratch, (size_t)e->frames * e->p.channels);
		n = opus_encode_float(e->enc, e->scratch, (int)e->frames, out, max);
	}
	return n > 0 ? (int)n : n == OPUS_BUFFER_TOO_SMALL ? -EINVAL : -EIO;
}

int hso_decoder_create(hso_decoder **out, uint32_t rate, uint8_t channels,
		       uint8_t container_bits)
{
	hso_decoder *d = NULL;
	int err = -EINVAL, oerr;

	if (!out || !rate_ok(rate) || channels < 1 || channels > 2 ||
	    (container_bits != 16 && container_bits != 32))
		goto fail;
	err = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto fail;
	d->rate = rate;
	d->channels = channels;
	d->container_bits = container_bits;
	if (container_bits == 32) {
		/* MAX_PACKET_FRAMES is at 48 kHz, the most at any rate */
		d->scratch = calloc((size_t)MAX_PACKET_FRAMES * channels, sizeof(*d->scratch));
		if (!d->scratch)
			goto fail;
	}
	d->dec = opus_decoder_create((opus_int32)rate, channels, &oerr);
	err = -EIO;
	if (!d->dec || oerr != OPUS_OK)
		goto fail;
	*out = d;
	return 0;
fail:
	hso_decoder_destroy(d);
	return err;
}

void hso_decoder_destroy(hso_decoder *d)
{
	if (!d)
		return;
	if (d->dec)
		opus_decoder_destroy(d->dec);
	free(d->scratch);
	free(d);
}

/* One libopus decode call into pcm in the decoder's containers. */
static int decode(hso_decoder *d, const uint8_t *pkt, size_t len, void *pcm,
		  uint32_t frames, int fec)
{
	int n;

	if (frames > MAX_PACKET_FRAMES)
		frames = MAX_PACKET_FRAMES;
	if (d->container_bits == 16) {
		n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, (int)frames, fec);
	} else {
		n = opus_decode_float(d->dec, pkt, (opus_int32)len, d->scratch, (int)frames, fec);
		if (n > 0)
			float_to_s32(d->scratch, pcm, (size_t)n * d->channels);
	}
	return n >= 0 ? n : -EINVAL;
}

int hso_decode(hso_decoder *d, const uint8_t *pkt, size_t len, void *pcm,
	       uint32_t max_frames)
{
	if (!d || !pkt || len == 0 || !pcm)
		return -EINVAL;
	return decode(d, pkt, len, pcm, max_frames, 0);
}

int hso_decode_lost(hso_decoder *d, const uint8_t *next, size_t next_len, void *pcm,
		    uint32_t frames)
{
	/* libopus conceals (or recovers) in multiples of 2.5 ms */
	if (!d || !pcm || frames == 0 || frames % (d->rate / 400))
		return -EINVAL;
	/* With the next packet, decode_fec = 1 takes the lost frame from its
	 * LBRR data, or conceals when it has none; without, PLC. */
	return next && next_len ? decode(d, next, next_len, pcm, frames, 1)
				: decode(d, NULL, 0, pcm, frames, 0);
}
