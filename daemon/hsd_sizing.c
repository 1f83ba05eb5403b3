/* SPDX-License-Identifier: MIT */
/* Latency to buffer, periods and wake-up interval (docs/LATENCY.md). */
#include <errno.h>
#include <stdio.h>

#include "hsd_sizing.h"

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

uint32_t hsd_frame_bytes(const hda_stream_format *f)
{
	if (f->container_size != 8 && f->container_size != 16 &&
	    f->container_size != 32)
		return 0;
	if (f->channels < 1 || f->channels > 16)
		return 0;
	return f->container_size / 8u * f->channels;
}

/*
 * Render.  The audio thread tops the buffer up to link + L at every
 * wake-up, and the next wake-up comes a period P later.  Until then the
 * DMA side, which runs up to X = ahead frames before the link, must not
 * reach what was written.  On a controller whose positions move S frames
 * at once (the emulator's tick) the link the thread saw may jump by S
 * frames any time after the reading, and by P + S in all before the next
 * wake-up (every step that falls in P frames of time, one more when they
 * straddle it): link + S + P + X <= link + L, so L >= X + S + P (S is 0
 * on hardware, whose positions move continuously).  With the smallest
 * period (one granule) the least latency held is X + S + G.  (Without S,
 * a 2 ms stream on the emulator, X 64 and P 32 frames, lost 16 frames of
 * every 48-frame tick: a third of its audio.)
 * The period is half of what the FIFO and the step leave (L - X - S), so
 * that a wake-up late by up to a period still finds unfetched audio; it is
 * capped at HSD_PERIOD_MS_MAX.  The buffer holds the lead (at most L
 * frames between the DMA position and the write position, when the FIFO
 * is empty) plus a runway that the thread keeps zeroed ahead of the write
 * position, so that a wake-up too late plays silence, not last lap's
 * audio: at least one period, and HSD_LATE_ALLOWANCE_MS where 256 periods
 * and 4 MiB allow (a 2 ms stream's one period is 0.7 ms, less than a
 * loaded machine's scheduling delay; the runway costs memory, never
 * latency, since the write position stays L ahead of the link whatever
 * the buffer).  N = ceil(L / P) + runway periods.
 */
static int size_render(uint64_t L, uint64_t X, uint64_t S, uint64_t G, uint64_t rate,
		       uint64_t bmax, hsd_sizing *s)
{
	uint64_t pcap = rate * HSD_PERIOD_MS_MAX / 1000 / G * G;
	uint64_t allow = rate * HSD_LATE_ALLOWANCE_MS / 1000;
	uint64_t P = (L - X - S) / 2 / G * G, N, runway;

	if (pcap < G)
		pcap = G;
	if (P < G)
		P = G;
	if (P > pcap)
		P = pcap;
	N = div_up(L, P) + 1;
	if (N > HSD_PERIODS_MAX) {
		/* a BDL has 256 entries: longer periods, same rule */
		P = G * div_up(L, (HSD_PERIODS_MAX - 1) * G);
		N = div_up(L, P) + 1;
	}
	/* The runway beyond its one period, as far as the bounds allow. */
	runway = div_up(allow, P);
	if (runway > 1) {
		uint64_t room = HSD_PERIODS_MAX;

		if (bmax / P < room)
			room = bmax / P;
		if (room > N)
			N += (runway - 1 < room - N) ? runway - 1 : room - N;
	}
	if (N * P > bmax) {
		/* Past 4 MiB: the longest lead that fits, with periods long
		 * enough that 256 of them cover the buffer. */
		uint64_t pmin = G * div_up(bmax, HSD_PERIODS_MAX * G);

		if (P < pmin)
			P = pmin;
		N = bmax / P;
		if (N < 2)
			return -ERANGE;
		L = (N - 1) * P;
		s->limits |= HSD_LIMIT_BUFFER_MAX;
	}
	if (L < X + S + P)
		return -ERANGE;
	s->latency_frames = (uint32_t)L;
	s->period_frames = (uint32_t)P;
	s->periods = (uint32_t)N;
	return 0;
}

/*
 * Capture.  A frame is in memory at most X frames after it crossed the
 * link, the position that shows it moves at most S frames later (a step
 * of the emulator's clock; 0 on hardware), and the audio thread hands it
 * on at its next wake-up, at most a period after that: the latency is
 * X + S + P, so P is the whole granules that fit in L - X - S.  The step (hsd_capture.c) keeps one period clear of the DMA's
 * write and one is being read; the rest is lateness allowed before an
 * overrun: two periods, and HSD_LATE_ALLOWANCE_MS where 256 periods and
 * 4 MiB allow (it costs memory, not latency: the latency is X + S + P).  The
 * buffer is also larger than the FIFO and the backend's floor.
 */
static int size_capture(uint64_t L, uint64_t X, uint64_t S, uint64_t G, uint64_t F,
			uint64_t rate, uint64_t floor_bytes, uint64_t bmax, hsd_sizing *s)
{
	uint64_t P = (L - X - S) / G * G, N = 4, late;

	if (P < G)
		P = G;
	if (X + S + P < L)
		s->limits |= HSD_LIMIT_GRANULE;
	late = div_up(rate * HSD_LATE_ALLOWANCE_MS / 1000, P);
	if (late > 2) {
		uint64_t room = HSD_PERIODS_MAX;

		if (bmax / P < room)
			room = bmax / P;
		N = 2 + late < room ? 2 + late : (room > N ? room : N);
	}
	if (N * P * F <= floor_bytes)
		N = floor_bytes / (P * F) + 1;
	if (N > HSD_PERIODS_MAX)
		return -ERANGE;
	if (N * P > bmax) {
		/* Shorter periods, not fewer: the guard and the lateness
		 * allowance are periods, so four of them stay. */
		P = bmax / N / G * G;
		s->limits |= HSD_LIMIT_BUFFER_MAX;
	}
	if (N * P * F <= floor_bytes || P < G)
		return -ERANGE;
	s->latency_frames = (uint32_t)(X + S + P);
	s->period_frames = (uint32_t)P;
	s->periods = (uint32_t)N;
	return 0;
}

int hsd_sizing_compute(const hsd_sizing_request *req, hsd_sizing *out)
{
	hsd_sizing s = {0};
	uint64_t F = hsd_frame_bytes(&req->format), rate = req->format.sample_rate;
	uint64_t G, Q, M, X, S, L, bmax;
	int rc;

	if (F == 0 || rate == 0 || req->latency_ms < HSD_LATENCY_MS_MIN ||
	    req->latency_ms > HSD_LATENCY_MS_MAX ||
	    (req->dir != HSD_RENDER && req->dir != HSD_CAPTURE))
		return -EINVAL;
	/* A granule, lcm(frame bytes, 128), is libhda's unit of a period. */
	G = HSD_FRAGMENT_ALIGN / gcd(F, HSD_FRAGMENT_ALIGN);
	Q = div_up(req->fifo_bytes, F);
	M = div_up(req->backend_min_buffer_bytes, F);
	X = Q > M ? Q : M;
	S = div_up((uint64_t)req->position_step_ns * rate, 1000000000);
	bmax = HSD_BUFFER_BYTES_MAX / F / G * G;
	L = ((uint64_t)req->latency_ms * rate + 500) / 1000;
	s.requested_ms = req->latency_ms;
	s.requested_frames = (uint32_t)L;
	/* The least held: the DMA's reach, a step, one granule. */
	if (L < X + G)
		s.limits |= M > Q ? HSD_LIMIT_BACKEND : HSD_LIMIT_FIFO;
	if (S && L < X + S + G)
		s.limits |= HSD_LIMIT_STEP;
	if (L < X + S + G)
		L = X + S + G;
	if (req->dir == HSD_RENDER)
		rc = size_render(L, X, S, G, rate, bmax, &s);
	else
		rc = size_capture(L, X, S, G, F, rate,
				  req->fifo_bytes > req->backend_min_buffer_bytes
					  ? req->fifo_bytes
					  : req->backend_min_buffer_bytes,
				  bmax, &s);
	if (rc)
		return rc;
	s.frame_bytes = (uint32_t)F;
	s.granule_frames = (uint32_t)G;
	s.fifo_bytes = req->fifo_bytes;
	s.fifo_frames = (uint32_t)Q;
	s.ahead_frames = (uint32_t)X;
	s.step_frames = (uint32_t)S;
	s.buffer_frames = s.period_frames * s.periods;
	s.buffer_bytes = s.buffer_frames * s.frame_bytes;
	s.latency_us = (uint32_t)(((uint64_t)s.latency_frames * 1000000 + rate / 2) / rate);
	s.wake_ns = ((uint64_t)s.period_frames * 1000000000 + rate / 2) / rate;
	*out = s;
	return 0;
}

static const char *limit_text(unsigned limits)
{
	if (limits & HSD_LIMIT_BUFFER_MAX)
		return ", lowered: the buffer may not exceed 4 MiB";
	if (limits & HSD_LIMIT_STEP)
		return ", raised: the controller's positions move a clock tick at once";
	if (limits & HSD_LIMIT_BACKEND)
		return ", raised to the backend's minimum buffer plus one granule";
	if (limits & HSD_LIMIT_FIFO)
		return ", raised to the FIFO plus one granule";
	if (limits & HSD_LIMIT_GRANULE)
		return ", lowered to whole granules";
	return "";
}

int hsd_sizing_describe(const hsd_sizing *s, char *buf, size_t len)
{
	return snprintf(buf, len,
			"latency %u.%03u ms (requested %u ms%s): buffer %u B in "
			"%u periods of %u frames, FIFO %u B",
			s->latency_us / 1000, s->latency_us % 1000,
			s->requested_ms, limit_text(s->limits), s->buffer_bytes,
			s->periods, s->period_frames,
			s->fifo_bytes);
}
