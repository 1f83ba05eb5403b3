/* SPDX-License-Identifier: MIT */
/*
 * Samples between libsndfile's 32-bit integers and the wire's containers
 * (PROTOCOL.md, "Format"): 8 and 16 bits are the top bits of the 32-bit
 * value; 20 and 24 bits stay in the most significant bits of a 32-bit
 * container with the low bits cleared, which is the container's meaning.
 * For integer files of the stream's depth the round trip is exact.
 */
#include <string.h>

#include "hds.h"

void hds_pcm_pack(const int32_t *in, const hsp_format *f, uint32_t frames,
		  void *out)
{
	size_t n = (size_t)frames * f->channels;
	uint8_t *o = out;
	uint32_t mask = f->bits >= 32 ? 0xffffffffu : ~((1u << (32 - f->bits)) - 1);

	for (size_t i = 0; i < n; i++) {
		uint32_t v = (uint32_t)in[i];

		switch (f->container) {
		case 8:
			o[i] = (uint8_t)(v >> 24);
			break;
		case 16:
			o[2 * i] = (uint8_t)(v >> 16);
			o[2 * i + 1] = (uint8_t)(v >> 24);
			break;
		default:
			v &= mask;
			for (int b = 0; b < 4; b++)
				o[4 * i + b] = (uint8_t)(v >> (8 * b));
			break;
		}
	}
}

void hds_pcm_unpack(const void *in, const hsp_format *f, uint32_t frames,
		    int32_t *out)
{
	size_t n = (size_t)frames * f->channels;
	const uint8_t *p = in;
	uint32_t mask = f->bits >= 32 ? 0xffffffffu : ~((1u << (32 - f->bits)) - 1);

	for (size_t i = 0; i < n; i++) {
		uint32_t v;

		switch (f->container) {
		case 8:
			v = (uint32_t)p[i] << 24;
			break;
		case 16:
			v = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) << 16;
			break;
		default:
			v = ((uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
			     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24) &
			    mask;
			break;
		}
		out[i] = (int32_t)v;
	}
}
