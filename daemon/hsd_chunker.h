/* SPDX-License-Identifier: MIT */
/*
 * hsd_chunker: a capture stream's frames, cut into chunks of its pool
 * (hsd_chunk.h), and how big those chunks and that pool are.
 *
 * The capture step (hsd_capture.h) hands every frame that landed in
 * memory to a sink, once, in order; the chunker is that sink.  It fills
 * chunks taken from the pool, each one contiguous run of stream frames,
 * and at the end of the step publishes them to the loop, stamped with
 * their first frame.
 *
 * Chunks are about the stream's own period.  The audio thread wakes on the
 * shortest period of all attached streams, and at least every 10 ms, so
 * one step of a long-period stream may see a handful of frames.  A last
 * chunk holding fewer than `publish_frames` is kept and continued at the
 * next step, unless the frames after it will not follow on (a jump over
 * lost audio).  So every chunk the loop receives holds publish_frames or
 * more, except one cut short by lost audio: the pool and the listeners'
 * queues can then be counted in chunks (hsd_chunker_plan).
 *
 * Frames that find the pool empty, or the step's chunks used up, are
 * skipped and counted (starved); the rest of that step is skipped too, so
 * that no chunk follows audio lost before it.
 *
 * Threads: [control] before the stream is attached or once it is
 * detached; [audio] by the thread that steps the stream.
 */
#ifndef HSD_CHUNKER_H
#define HSD_CHUNKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hda/hda.h"
#include "hsd_capture.h"
#include "hsd_chunk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a capture stream's chunks and pool come to. */
typedef struct hsd_chunk_plan_request {
	uint32_t period_frames;
	uint32_t buffer_frames;
	uint32_t frame_bytes;
	uint32_t rate;
	uint32_t max_chunk_frames; /* what one message can carry */
	uint64_t max_step_ns;      /* the thread's longest sleep */
	uint64_t queue_frames;     /* a listener's queue, client_queue_ms */
	uint32_t max_clients;
} hsd_chunk_plan_request;

typedef struct hsd_chunk_plan {
	uint32_t chunk_frames;   /* a chunk's capacity */
	uint32_t publish_frames; /* a chunk published holds at least this */
	uint32_t step_chunks;    /* chunks one step may fill */
	uint32_t queue_depth;    /* chunks in a listener's queue */
	uint32_t pool_count;     /* chunks in the pool */
	uint32_t frame_bytes;
} hsd_chunk_plan;

/* 0, or -EINVAL for a zero period, buffer, frame size, rate or message
 * bound. */
int hsd_chunker_plan(const hsd_chunk_plan_request *req, hsd_chunk_plan *out);

typedef struct hsd_chunker {
	/* [control] set by init */
	hsd_chunk_pool *pool;
	hsd_chunk **chunk;     /* step_chunks of each */
	uint64_t *first;       /* stream frame of each chunk's first frame */
	uint32_t *fill;
	uint32_t step_chunks, publish_frames, frame_bytes, rate;
	/* [audio] */
	unsigned n;            /* chunks in use */
	uint64_t next_frame;   /* the frame after the last chunk's last */
	bool starved;          /* this step found no chunk */
	_Atomic uint64_t starved_frames;
} hsd_chunker;

/* [control] 0, -EINVAL, -ENOMEM.  The pool is the caller's. */
int hsd_chunker_init(hsd_chunker *k, hsd_chunk_pool *pool, const hsd_chunk_plan *plan,
		     uint32_t rate);
/* [control] Gives back what it holds, frees its arrays; accepts a zeroed
 * or finished chunker. */
void hsd_chunker_fini(hsd_chunker *k);

/* The capture step's sink (hsd_capture_config.sink). */
hsd_capture_sink hsd_chunker_sink(hsd_chunker *k);
/* [audio] Before each capture step. */
void hsd_chunker_begin(hsd_chunker *k);
/* [audio] After it: publish what is ready, stamped from pos (the step's
 * reading) and now_ns (CLOCK_MONOTONIC).  True when something was. */
bool hsd_chunker_publish(hsd_chunker *k, const hda_stream_position *pos, uint64_t now_ns);
/* [control] The stream's engine was stopped: chunks being filled go back
 * to the pool (a new run's frames would not follow on). */
void hsd_chunker_drop(hsd_chunker *k);
/* [any] Frames skipped for want of a chunk, since init. */
uint64_t hsd_chunker_starved(const hsd_chunker *k);

#ifdef __cplusplus
}
#endif

#endif
