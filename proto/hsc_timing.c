/* SPDX-License-Identifier: MIT */
/*
 * When a frame meets the converter, from one POSITION report: the
 * arithmetic of PROTOCOL.md ("Timing").  The frame distance is signed (a
 * frame before the reading gives an earlier time), and the products are
 * taken in 128 bits: (n − P) × 10^9 overflows 64 bits after 2^63 / 10^9
 * frames, about 53 hours at 48 kHz, which a long-running stream reaches.
 */
#include <errno.h>

#include "hsc_client.h"

__extension__ typedef __int128 i128;

/* d × num / rate, rounded toward minus infinity. */
static int64_t scale(i128 d, int64_t num, uint32_t rate)
{
	i128 x = d * num, q = x / rate;

	if (x % rate != 0 && x < 0)
		q--;
	return (int64_t)q;
}

/* The times of the frame d frames after the reading. */
static void place(const hsp_position *p, uint32_t rate, i128 d,
		  hsc_frame_time *out)
{
	out->mono_ns = (int64_t)p->mono_ns + scale(d, 1000000000, rate);
	out->real_ns = (int64_t)p->real_ns + scale(d, 1000000000, rate);
	out->wall_ticks = (int64_t)p->wall_ticks + scale(d, 24000000, rate);
}

int hsc_render_frame_time(const hsp_position *p, uint32_t rate, uint64_t n,
			  hsc_frame_time *out)
{
	i128 d = (i128)n - (i128)p->frames_done;

	if (!rate)
		return -EINVAL;
	place(p, rate, d, out);
	out->link_frame = (int64_t)((i128)p->link_frames + d);
	return 0;
}

int hsc_capture_frame_time(const hsp_position *p, uint32_t rate, uint64_t k,
			   hsc_frame_time *out)
{
	/* t − (L − k) × 10^9 / r is t + (k − L) × 10^9 / r. */
	i128 d = (i128)k - (i128)p->link_frames;

	if (!rate)
		return -EINVAL;
	place(p, rate, d, out);
	out->link_frame = (int64_t)k;
	return 0;
}
