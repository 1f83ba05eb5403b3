/* SPDX-License-Identifier: MIT */
/*
 * hsd_render: the audio thread's render step.  Called once per wake-up
 * with a fresh hda_position_track snapshot, it moves frames from a source
 * into the cyclic DMA buffer so that the write position stands `latency`
 * frames ahead of the link position (docs/LATENCY.md).
 *
 *   - It never writes below the DMA position (bytes there are fetched,
 *     or being fetched).
 *   - It keeps the part of the buffer past the write position zeroed, up
 *     to a buffer ahead of the DMA position, so that whatever the DMA
 *     fetches that was not written plays as silence, never as the audio of
 *     the lap before.
 *   - Underrun (the source has fewer frames than needed): the shortfall is
 *     written as silence, the episode counted once, and the write position
 *     stays at the target, so the first frame after the gap is again
 *     `latency` ahead: the latency never ratchets up, and the silence
 *     lasts exactly as long as the source was empty.
 *   - A late wake-up (the DMA is past the write position): counted; what
 *     the DMA fetched unwritten is counted as lost (it played as silence,
 *     or as last lap's audio past a buffer), the write position jumps to
 *     the DMA position and the step tops up to the target again.  The
 *     source frames that were to fill those slots are discarded and
 *     counted (skipped_frames): their time at the converter has passed.
 *     Kept, every late wake-up would add its lateness to the latency of
 *     everything after it, for good (the source's backlog only grows when
 *     the client keeps time): measured at 2 ms on a loaded machine, a
 *     third of the frames late and the round trip up to 300 ms.  So each
 *     source frame plays `latency` after it was written or not at all.
 *     The tracker's `late` flag is counted apart (hsd_counters.h says why
 *     it is the coarser test).
 *   - Drain: once the source has ended and is empty, nothing more is
 *     written; the step reports drained when the last frame from the
 *     source has crossed the link.
 *
 * The step takes no lock, allocates nothing and makes no system call; the
 * source's callbacks must do the same (a lock-free ring, hsd_ring, fits).
 * One thread steps a render object.  Creation and destruction are
 * [control].
 */
#ifndef HSD_RENDER_H
#define HSD_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"
#include "hsd_counters.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where render frames come from.  All [audio], called by the stepping
 * thread only. */
typedef struct hsd_render_source {
	/* frames that can be read now */
	size_t (*avail)(void *ctx);
	/* copy up to `frames` frames into dst (contiguous); returns how many */
	size_t (*read)(void *ctx, void *dst, size_t frames);
	/* discard up to `frames` frames; returns how many */
	size_t (*skip)(void *ctx, size_t frames);
	/* true once no frame will come beyond what avail shows; may be NULL
	 * for a source that never ends */
	bool (*ended)(void *ctx);
	void *ctx;
} hsd_render_source;

typedef struct hsd_render_config {
	void *buffer;            /* the DMA buffer (hda_mdl.base)       */
	uint32_t frame_bytes;
	uint32_t buffer_frames;  /* the cyclic buffer, whole frames      */
	uint32_t latency_frames; /* the lead over the link (hsd_sizing)  */
	hsd_render_source source;
} hsd_render_config;

typedef enum hsd_render_state {
	HSD_RENDER_PLAYING,
	HSD_RENDER_DRAINING, /* the source ended; its last frames play out */
	HSD_RENDER_DRAINED,  /* every frame from the source crossed the link */
} hsd_render_state;

typedef struct hsd_render hsd_render;

/* [control] 0, -EINVAL for a config that cannot be stepped (no buffer or
 * callbacks, a lead that does not leave room in the buffer), -ENOMEM. */
int hsd_render_create(const hsd_render_config *cfg, hsd_render **out);
/* [control] Accepts NULL. */
void hsd_render_destroy(hsd_render *r);

/*
 * [audio] One wake-up.  pos is this wake-up's hda_position_track snapshot
 * of the engine, taken just before (the step adds nothing to its age).  A
 * snapshot of an engine not yet started (positions 0) primes the buffer
 * before Run.  Positions are stream frames since the engine's reset; after
 * a reset, call hsd_render_restart.
 */
hsd_render_state hsd_render_step(hsd_render *r, const hda_stream_position *pos);

/* [audio] Forget the stream: the next step starts from position 0 (the
 * engine was reset) and a new source may begin (the old one's end is
 * forgotten).  The counters keep counting. */
void hsd_render_restart(hsd_render *r);

/* [any] The counters (hsd_counters.h). */
void hsd_render_counters(const hsd_render *r, hsd_stream_counters *out);

/* [audio] Of the stream frames from `link` up to the write position, how
 * many are the source's (the rest is silence: an underrun's, or a late
 * wake-up's).  So the source frames that have crossed the link are those
 * taken less these, exactly, as long as that stretch holds at most
 * HSD_RENDER_GAPS separate silences (it is at most a buffer long). */
uint64_t hsd_render_source_ahead(const hsd_render *r, uint64_t link);
#define HSD_RENDER_GAPS 16

#ifdef __cplusplus
}
#endif

#endif
