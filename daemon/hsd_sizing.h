/* SPDX-License-Identifier: MIT */
/*
 * hsd_sizing: from a stream's latency_ms, its format and the controller's
 * constraints to the DMA buffer, its periods and the audio thread's wake-up
 * interval.  Pure functions: no libhda call, no allocation, any thread.
 *
 * What latency_ms means and the formula, with worked figures, are in
 * docs/LATENCY.md; the comments in hsd_sizing.c say why each step is there.
 * In short (all in frames):
 *   render:  the audio thread keeps its write position `latency` frames
 *            ahead of the link position, so a frame written at a wake-up
 *            crosses the link `latency` frames of time later;
 *   capture: a frame that crossed the link is in memory at most `ahead`
 *            frames later, seen at most a position step after that, and
 *            handed on at the next wake-up, at most a period after that:
 *            latency = ahead + step + period.
 * Where the controller cannot hold the request the closest latency it can
 * hold is chosen, and `limits` says which constraint decided.
 *
 * Not here: reading the FIFO size (hsd_engine probes it) and the QEMU floor
 * (the caller passes backend_min_buffer_bytes; the sizing never asks which
 * backend it runs on).
 */
#ifndef HSD_SIZING_H
#define HSD_SIZING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HSD_LATENCY_MS_MIN 1u
#define HSD_LATENCY_MS_MAX 2000u
/* The longest wake-up interval the render sizing picks: long enough that a
 * 20 ms stream wakes about twice per latency, short enough that a ring of
 * a few tens of milliseconds feeds any stream. */
#define HSD_PERIOD_MS_MAX 10u
/* How late a wake-up may be and still lose nothing (capture) or play
 * silence, never last lap's audio (render), where the buffer's bounds
 * allow: it costs memory, not latency (docs/LATENCY.md). */
#define HSD_LATE_ALLOWANCE_MS 10u
#define HSD_PERIODS_MAX 256u            /* a BDL has at most 256 entries */
#define HSD_BUFFER_BYTES_MAX (4u << 20) /* libhda's largest buffer */
#define HSD_FRAGMENT_ALIGN 128u         /* every BDL fragment starts here */

#include "hsd_direction.h"

/* Why the chosen latency differs from the request (bits; 0: as requested,
 * to the nearest frame). */
enum {
	/* raised: the FIFO plus one granule is the least the controller
	 * holds */
	HSD_LIMIT_FIFO = 1u << 0,
	/* raised: the backend takes backend_min_buffer_bytes at once (QEMU's
	 * codec: 8 KiB), so the lead must cover that plus one granule */
	HSD_LIMIT_BACKEND = 1u << 1,
	/* lowered: the buffer would exceed 4 MiB */
	HSD_LIMIT_BUFFER_MAX = 1u << 2,
	/* capture only, lowered: a period is whole granules, and the latency
	 * is the in-memory lag plus one period */
	HSD_LIMIT_GRANULE = 1u << 3,
	/* raised: the controller's positions move position_step_ns at once
	 * (the emulator's clock tick), so the lead must cover one step more */
	HSD_LIMIT_STEP = 1u << 4,
};

typedef struct hsd_sizing_request {
	hsd_direction dir;
	uint32_t latency_ms;        /* 1..2000 */
	hda_stream_format format;   /* rate, container and channels are used */
	uint32_t fifo_bytes;        /* the engine's FIFO for this format */
	/* The backend's floor: the buffer must be larger than this, and the
	 * backend moves up to this many bytes at once (QEMU: 8192).  0: none.
	 * hda_device_information.dma_burst_bytes. */
	uint32_t backend_min_buffer_bytes;
	/* The time in which the controller's positions move at once (the
	 * emulator's real-time tick, 1 ms by default); 0: continuously, as
	 * hardware's do.  hda_device_information.position_step_ns. */
	uint32_t position_step_ns;
} hsd_sizing_request;

typedef struct hsd_sizing {
	uint32_t requested_ms;
	uint32_t requested_frames;  /* latency_ms at the rate, nearest frame */
	uint32_t frame_bytes;
	uint32_t granule_frames;    /* lcm(frame bytes, 128) / frame bytes */
	uint32_t fifo_bytes;
	uint32_t fifo_frames;       /* the FIFO, whole frames rounded up */
	/* How far the DMA side can be from the link: the FIFO, or the
	 * backend's burst when larger. */
	uint32_t ahead_frames;
	/* How far the link moves at once: position_step_ns in frames,
	 * rounded up (0: continuously). */
	uint32_t step_frames;
	uint32_t period_frames;     /* whole granules; also the wake interval */
	uint32_t periods;           /* 2..256 */
	uint32_t buffer_frames;     /* period_frames * periods */
	uint32_t buffer_bytes;
	uint32_t latency_frames;    /* chosen */
	uint32_t latency_us;        /* chosen, rounded to the nearest µs */
	uint64_t wake_ns;           /* the period's duration */
	unsigned limits;            /* HSD_LIMIT_* bits, 0: as requested */
} hsd_sizing;

/*
 * Compute the sizing.  0, or -EINVAL for a latency outside 1..2000 ms, a
 * rate of 0, a container other than 8, 16 or 32 bits or channels outside
 * 1..16; -ERANGE when not even a 4 MiB buffer holds the FIFO (no real
 * controller).  *out is written only on success.
 */
int hsd_sizing_compute(const hsd_sizing_request *req, hsd_sizing *out);

/* Frame bytes of a format (container / 8 * channels), 0 when invalid. */
uint32_t hsd_frame_bytes(const hda_stream_format *format);

/* One line for the log and the client, e.g. "latency 2.000 ms (requested
 * 1 ms, raised to the FIFO plus one granule): buffer 384 B in 3 periods of
 * 32 frames, FIFO 256 B".  Returns what snprintf returns. */
int hsd_sizing_describe(const hsd_sizing *s, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
