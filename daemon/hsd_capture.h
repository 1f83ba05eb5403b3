/* SPDX-License-Identifier: MIT */
/*
 * hsd_capture: the audio thread's capture step.  Called once per wake-up
 * with a fresh hda_position_track snapshot, it hands every frame that has
 * landed in memory (below the capture DMA position) since the last step to
 * a sink, once, in order.
 *
 *   - A sink that takes fewer frames than offered leaves the rest in the
 *     DMA buffer for the next step (back-pressure, never a copy of its own).
 *   - Overrun: when the reader is so far behind that the DMA may already
 *     be overwriting the oldest frames it has not read (more than the
 *     buffer less one period of guard), the episode is counted, the frames
 *     skipped are counted as lost, and the read position jumps forward in
 *     place to the oldest frames that are still safe.  Nothing is torn
 *     down; the frames after the jump are exact.
 *   - An overrun is a late wake-up, and counted as one; the tracker's
 *     `late` flag is counted apart (hsd_counters.h).
 *
 * The step takes no lock, allocates nothing and makes no system call; the
 * sink's callbacks must do the same (hsd_chunk/hsd_ring fit).  One thread
 * steps a capture object.  Creation and destruction are [control].
 */
#ifndef HSD_CAPTURE_H
#define HSD_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"
#include "hsd_counters.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where captured frames go.  [audio], called by the stepping thread. */
typedef struct hsd_capture_sink {
	/* copy up to `frames` frames from src (contiguous), the first of
	 * which is stream frame `frame` (so a sink sees where an overrun
	 * jumped); returns how many it took */
	size_t (*write)(void *ctx, uint64_t frame, const void *src, size_t frames);
	void *ctx;
} hsd_capture_sink;

typedef struct hsd_capture_config {
	const void *buffer;     /* the DMA buffer (hda_mdl.base)             */
	uint32_t frame_bytes;
	uint32_t buffer_frames;
	/* Frames the DMA may write while a step copies, kept clear of the
	 * read position: the period (hsd_sizing). */
	uint32_t guard_frames;
	hsd_capture_sink sink;
} hsd_capture_config;

typedef struct hsd_capture hsd_capture;

/* [control] 0, -EINVAL (no buffer or sink, a guard not below the buffer),
 * -ENOMEM. */
int hsd_capture_create(const hsd_capture_config *cfg, hsd_capture **out);
/* [control] Accepts NULL. */
void hsd_capture_destroy(hsd_capture *c);

/* [audio] One wake-up; returns the frames handed to the sink. */
uint64_t hsd_capture_step(hsd_capture *c, const hda_stream_position *pos);

/* [audio] The engine was reset: read from position 0 again. */
void hsd_capture_restart(hsd_capture *c);

/* [any] The counters (hsd_counters.h). */
void hsd_capture_counters(const hsd_capture *c, hsd_stream_counters *out);

#ifdef __cplusplus
}
#endif

#endif
