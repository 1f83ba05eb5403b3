/* SPDX-License-Identifier: MIT */
/*
 * The packetizer (hsr_rtp.h states the rule): frames per packet from the
 * wanted packet time and the payload cap.
 */
#include "hsr_rtp.h"

/* Opus frame durations (RFC 6716 2.1.4), in us, longest first. */
static const uint32_t opus_us[] = {60000, 40000, 20000, 10000, 5000, 2500};
#define N_OPUS (sizeof(opus_us) / sizeof(opus_us[0]))

static void fill(hsr_packetization *out, const hsr_format *f,
		 uint32_t frames, uint32_t payload)
{
	out->frames = frames;
	/* Whole ticks: a PCM clock is the rate; Opus durations are whole
	 * 48 kHz ticks (2.5 ms = 120) at every rate Opus encodes. */
	out->ticks = (uint32_t)((uint64_t)frames * hsr_format_clock(f) / f->rate);
	out->payload_max = payload;
	out->ptime_us = (uint32_t)((uint64_t)frames * 1000000u / f->rate);
}

int hsr_packetize(const hsr_format *f, uint32_t payload_cap, uint32_t want_us,
		  uint32_t opus_bitrate, hsr_packetization *out)
{
	uint32_t cap = payload_cap ? payload_cap : HSR_PAYLOAD_CAP_DEFAULT;

	if (hsr_format_check(f) || cap > HSR_PAYLOAD_CAP_MAX || want_us == 0 ||
	    want_us > 1000000u)
		return -HSR_ERR_INVALID;
	if (f->encoding != HSR_OPUS) {
		uint32_t fb = hsr_format_wire_frame(f);
		uint64_t want = (uint64_t)want_us * f->rate / 1000000u;
		uint32_t fit = cap / fb, n;

		if (fit == 0)
			return -HSR_ERR_NO_SPACE;
		n = want < fit ? (uint32_t)want : fit;
		if (n == 0)
			n = 1;
		fill(out, f, n, n * fb);
		return 0;
	}
	if (opus_bitrate && (opus_bitrate < 500 || opus_bitrate > 512000))
		return -HSR_ERR_INVALID;
	for (size_t i = 0; i < N_OPUS; i++) {
		/* The smallest duration is taken when even it is longer than
		 * wanted (the rule's "at least one unit"). */
		if (opus_us[i] > want_us && i + 1 < N_OPUS)
			continue;
		/* Bytes a frame takes at the bitrate, rounded up. */
		if (opus_bitrate &&
		    ((uint64_t)opus_bitrate * opus_us[i] + 7999999u) / 8000000u > cap)
			continue;
		fill(out, f, (uint32_t)((uint64_t)f->rate * opus_us[i] / 1000000u),
		     cap);
		return 0;
	}
	return -HSR_ERR_NO_SPACE;
}
