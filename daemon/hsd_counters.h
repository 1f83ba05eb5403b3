/* SPDX-License-Identifier: MIT */
/*
 * The counters an audio-thread step keeps, for the loop to read.
 *
 * The step is their only writer; it stores each one with a relaxed atomic
 * store (a plain store on x86-64 and arm64: no lock, no fence, no system
 * call).  A reader (any thread) gets each counter whole, but not the set
 * as of one instant: two counters read together may be one step apart.
 * They are 64-bit and only go up; at a step per period none of them wraps
 * in the life of a machine.
 */
#ifndef HSD_COUNTERS_H
#define HSD_COUNTERS_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct hsd_stream_counters {
	uint64_t steps;        /* step calls                                  */
	uint64_t frames;       /* render: from the source into the buffer;
				  capture: from the buffer to the sink        */
	uint64_t position;     /* render: the write position; capture: the
				  read position (stream frames)               */
	uint64_t underruns;    /* render: episodes of an empty source         */
	uint64_t silence_frames; /* render: silence written in those episodes */
	uint64_t overruns;     /* capture: the reader fell a buffer behind    */
	uint64_t lost_frames;  /* render: frames the DMA fetched before they
				  were written (a late wake-up); capture:
				  frames skipped on an overrun                */
	uint64_t skipped_frames; /* render: source frames discarded because
				  their time at the converter had passed (a
				  late wake-up; see hsd_render.h)             */
	/* Steps that came too late for the audio: render, the DMA had
	 * fetched past the write position (frames played unwritten);
	 * capture, the DMA was past the reader's guard (an overrun).  The
	 * positions are exact however late the call (hda_position_track), so
	 * this is exact too. */
	uint64_t late_wakeups;
	/* Snapshots the tracker marked late (hda_stream_position.late: the
	 * DMA moved more than the buffer less the FIFO since the last call).
	 * Coarser: for render it also counts the first call after Run when
	 * the FIFO's initial fetch is more than the buffer less the FIFO
	 * (2 ms buffers), and a call late by less than that is not marked. */
	uint64_t tracker_late;
} hsd_stream_counters;

/* The step's side: one atomic word per counter. */
typedef struct hsd_counters_atomic {
	_Atomic uint64_t steps, frames, position, underruns, silence_frames,
		overruns, lost_frames, skipped_frames, late_wakeups, tracker_late;
} hsd_counters_atomic;

/* [audio] Add to a counter; only its one writer calls this, so a relaxed
 * load and store is the whole update. */
static inline void hsd_counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void hsd_counter_set(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

/* [any] Read every counter (each whole; see above). */
static inline void hsd_counters_read(const hsd_counters_atomic *a,
				     hsd_stream_counters *out)
{
	out->steps = atomic_load_explicit(&a->steps, memory_order_relaxed);
	out->frames = atomic_load_explicit(&a->frames, memory_order_relaxed);
	out->position = atomic_load_explicit(&a->position, memory_order_relaxed);
	out->underruns = atomic_load_explicit(&a->underruns, memory_order_relaxed);
	out->silence_frames =
		atomic_load_explicit(&a->silence_frames, memory_order_relaxed);
	out->overruns = atomic_load_explicit(&a->overruns, memory_order_relaxed);
	out->lost_frames = atomic_load_explicit(&a->lost_frames, memory_order_relaxed);
	out->skipped_frames =
		atomic_load_explicit(&a->skipped_frames, memory_order_relaxed);
	out->late_wakeups =
		atomic_load_explicit(&a->late_wakeups, memory_order_relaxed);
	out->tracker_late =
		atomic_load_explicit(&a->tracker_late, memory_order_relaxed);
}

#endif
