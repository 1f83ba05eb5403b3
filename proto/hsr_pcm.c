/* SPDX-License-Identifier: MIT */
/* L16 and L24 payloads to and from the DMA buffer's layout (hsr_pcm.h). */
#include <limits.h>

#include "hsr_pcm.h"

void hsr_pcm_s16le_to_l16(uint8_t *out, const void *in, size_t samples)
{
	const uint8_t *p = in;

	for (size_t i = 0; i < samples; i++, p += 2, out += 2) {
		out[0] = p[1];
		out[1] = p[0];
	}
}

void hsr_pcm_l16_to_s16le(void *out, const uint8_t *in, size_t samples)
{
	uint8_t *o = out;

	for (size_t i = 0; i < samples; i++, in += 2, o += 2) {
		o[0] = in[1];
		o[1] = in[0];
	}
}

void hsr_pcm_s32le_to_l24(uint8_t *out, const void *in, size_t samples)
{
	const uint8_t *p = in;

	/* Little-endian bytes 3, 2, 1 are the sample's top 24 bits, most
	 * significant first; byte 0 (the low bits) is dropped. */
	for (size_t i = 0; i < samples; i++, p += 4, out += 3) {
		out[0] = p[3];
		out[1] = p[2];
		out[2] = p[1];
	}
}

void hsr_pcm_l24_to_s32le(void *out, const uint8_t *in, size_t samples)
{
	uint8_t *o = out;

	for (size_t i = 0; i < samples; i++, in += 3, o += 4) {
		o[0] = 0;
		o[1] = in[2];
		o[2] = in[1];
		o[3] = in[0];
	}
}

uint32_t hsr_pcm_host_frame(const hsr_format *f)
{
	switch (f->encoding) {
	case HSR_L16: return 2u * f->channels;
	case HSR_L24: return 4u * f->channels;
	default: return 0;
	}
}

int hsr_pcm_to_wire(const hsr_format *f, uint8_t *out, size_t cap,
		    const void *in, uint32_t frames)
{
	size_t samples, bytes;

	if (hsr_format_check(f) || f->encoding == HSR_OPUS)
		return -HSR_ERR_INVALID;
	samples = (size_t)frames * f->channels;
	bytes = (size_t)frames * hsr_format_wire_frame(f);
	if (bytes > INT_MAX)
		return -HSR_ERR_INVALID;
	if (bytes > cap)
		return -HSR_ERR_NO_SPACE;
	if (f->encoding == HSR_L16)
		hsr_pcm_s16le_to_l16(out, in, samples);
	else
		hsr_pcm_s32le_to_l24(out, in, samples);
	return (int)bytes;
}

int hsr_pcm_from_wire(const hsr_format *f, void *out, size_t cap,
		      const uint8_t *in, size_t len)
{
	uint32_t wf;
	size_t frames;

	if (hsr_format_check(f) || f->encoding == HSR_OPUS)
		return -HSR_ERR_INVALID;
	wf = hsr_format_wire_frame(f);
	if (len % wf)
		return -HSR_ERR_MALFORMED;
	frames = len / wf;
	if (frames > INT_MAX)
		return -HSR_ERR_INVALID;
	if (frames * hsr_pcm_host_frame(f) > cap)
		return -HSR_ERR_NO_SPACE;
	if (f->encoding == HSR_L16)
		hsr_pcm_l16_to_s16le(out, in, frames * f->channels);
	else
		hsr_pcm_l24_to_s32le(out, in, frames * f->channels);
	return (int)frames;
}
