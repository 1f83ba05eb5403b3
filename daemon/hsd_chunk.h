/* SPDX-License-Identifier: MIT */
/*
 * hsd_chunk: pre-allocated, reference-counted chunks of captured audio, and
 * the bounded per-listener queues that share them.
 *
 * A capture stream's audio is copied out of the DMA buffer once, by the
 * audio thread, into a chunk; every listener's queue then holds a reference
 * to that same chunk, so one copy serves any number of listeners (and, in a
 * later issue, any transport: a queue does not know where its chunks go).
 *
 * The life of a chunk:
 *   1. [audio]  hsd_chunk_take: a free chunk from the pool, or NULL;
 *   2. [audio]  the audio thread copies frames into hsd_chunk_data (one or
 *               two memcpy for the two spans of a cyclic buffer);
 *   3. [audio]  hsd_chunk_publish: frame count and stamp (first frame index,
 *               controller wall clock, CLOCK_MONOTONIC), handed to the loop;
 *   4. [loop]   hsd_chunk_receive: the loop now holds one reference;
 *               hsd_chunk_fan_out gives every listener queue one more;
 *               the loop drops its own with hsd_chunk_unref;
 *   5. [loop]   each session pops its queue, sends, unrefs; the last unref
 *               puts the chunk back in the pool.
 *
 * Neither thread ever waits for the other.  The pool's free list and the
 * hand-off are two lock-free SPSC rings of chunk pointers (hsd_ring): the
 * loop produces free chunks and the audio thread consumes them, and the
 * audio thread produces filled chunks and the loop consumes them.  Both
 * rings hold every chunk of the pool at once, so neither can be full when a
 * chunk is put in: publish and the last unref cannot fail.  The price of
 * SPSC rings is that every reference is taken and dropped on one thread, the
 * loop; the reference count is therefore a plain integer.
 *
 * An empty pool.  When every chunk is still referenced (listeners hold them,
 * or the loop has not run), hsd_chunk_take returns NULL at once and counts
 * it (hsd_chunk_pool_stats .starved).  The audio thread must then skip that
 * audio: it moves its capture position on as if it had copied it, so the
 * stream keeps time and the DMA buffer never overruns, and the frames are
 * lost for every listener.  The loop sees the gap as a jump in first_frame
 * between two chunks.  The pool is sized (hsd_streams.c) so that this
 * cannot happen while the loop keeps up, however many listeners stall:
 *
 * A full listener queue drops its OLDEST chunk (unref, counted in chunks
 * and frames) to take the new one.  So every stalled listener's queue holds
 * the same newest chunks, which the listeners that keep up have just been
 * given too: stalled listeners pin one shared window of `depth` chunks, not
 * `depth` chunks each (dropping the newest, as this once did, let N stalled
 * listeners pin N different windows of old chunks and empty the pool for
 * everyone).  What a queue holds is still contiguous, the listener sees one
 * jump in frame_index where it lost audio, and its delay is bounded by its
 * depth.  Other listeners are not affected, and nothing waits.
 *
 * Errors are negative errno values.
 *
 * Not done here: the copy itself and the capture position (the capture step
 * function's job) and sending (the session's job).
 */
#ifndef HSD_CHUNK_H
#define HSD_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hsd_chunk hsd_chunk;
typedef struct hsd_chunk_pool hsd_chunk_pool;
typedef struct hsd_lqueue hsd_lqueue;

/* Where a chunk sits in time: all three describe its first frame. */
typedef struct hsd_chunk_stamp {
	uint64_t first_frame; /* stream index of the first frame */
	uint64_t wallclk;     /* controller wall clock, extended to 64 bits */
	uint64_t mono_ns;     /* CLOCK_MONOTONIC of the same reading */
} hsd_chunk_stamp;

typedef struct hsd_chunk_pool_stats {
	uint64_t published; /* chunks handed to the loop */
	uint64_t starved;   /* hsd_chunk_take calls that found the pool empty */
} hsd_chunk_pool_stats;

/* Bounds accepted by hsd_chunk_pool_create. */
#define HSD_CHUNK_MAX_COUNT 65536u
#define HSD_CHUNK_MAX_BYTES (UINT32_C(1) << 24) /* per chunk */

/*
 * [control] A pool of `count` chunks, each of `frames` frames of
 * `frame_bytes` bytes.  All memory is allocated here.  -EINVAL, -ENOMEM.
 */
int hsd_chunk_pool_create(hsd_chunk_pool **out, uint32_t count,
			  uint32_t frames, uint32_t frame_bytes);
/*
 * [control, on the loop thread] Free the pool, once the audio thread is
 * stopped.  Chunks the loop still holds (a session's write in flight, whose
 * libuv callback comes later) keep the pool's memory alive, not its rings:
 * the last of their unrefs frees it.  Accepts NULL.
 */
void hsd_chunk_pool_destroy(hsd_chunk_pool *p);
/* [any] Chunks in the free list now (a snapshot). */
uint32_t hsd_chunk_pool_available(const hsd_chunk_pool *p);
/* [any] Counters since creation. */
hsd_chunk_pool_stats hsd_chunk_pool_stats_get(const hsd_chunk_pool *p);

/* [audio] A free chunk, owned by the caller until published; NULL (and
 * counted as starved) when the pool is empty.  Never blocks. */
hsd_chunk *hsd_chunk_take(hsd_chunk_pool *p);
/* [control] A chunk taken and never published goes back to the free list:
 * only once the audio thread cannot touch it (it is detached). */
void hsd_chunk_give_back(hsd_chunk *c);
/*
 * [audio] Hand a taken chunk with `frames` valid frames and its stamp to the
 * loop.  -EINVAL (the caller still owns the chunk) if frames is above the
 * chunk's capacity.  A chunk taken and not needed is published with 0
 * frames; the loop drops it.
 */
int hsd_chunk_publish(hsd_chunk_pool *p, hsd_chunk *c, uint32_t frames,
		      const hsd_chunk_stamp *stamp);

/* [loop] The oldest published chunk, with one reference for the caller;
 * NULL when none is waiting. */
hsd_chunk *hsd_chunk_receive(hsd_chunk_pool *p);
/* [loop] Take one more reference. */
void hsd_chunk_ref(hsd_chunk *c);
/* [loop] Drop one reference; the last returns the chunk to its pool.
 * Accepts NULL. */
void hsd_chunk_unref(hsd_chunk *c);

/* The audio: writable by the audio thread between take and publish,
 * read-only for the loop after receive. */
void *hsd_chunk_data(const hsd_chunk *c);
/* Frames the chunk can hold / frames published in it. */
uint32_t hsd_chunk_capacity(const hsd_chunk *c);
uint32_t hsd_chunk_frames(const hsd_chunk *c);
const hsd_chunk_stamp *hsd_chunk_get_stamp(const hsd_chunk *c);

/* ---- A listener's bounded queue [loop] ---------------------------------- */

typedef struct hsd_lqueue_drops {
	uint64_t chunks;
	uint64_t frames;
} hsd_lqueue_drops;

/* [loop] A queue of at most `depth` chunks (1 to HSD_CHUNK_MAX_COUNT).
 * -EINVAL, -ENOMEM. */
int hsd_lqueue_create(hsd_lqueue **out, uint32_t depth);
/* [loop] Drop the references the queue holds, then free it.  Accepts NULL. */
void hsd_lqueue_destroy(hsd_lqueue *q);
/* [loop] Queue a reference to c: true, or false when the queue was full and
 * its oldest chunk was dropped (unreferenced and counted) to make room. */
bool hsd_lqueue_push(hsd_lqueue *q, hsd_chunk *c);
/* [loop] The oldest queued chunk, whose reference passes to the caller
 * (unref it when done); NULL when empty. */
hsd_chunk *hsd_lqueue_pop(hsd_lqueue *q);
/* [loop] Chunks queued now. */
uint32_t hsd_lqueue_length(const hsd_lqueue *q);
/* [loop] What the queue dropped since creation; a session reports the
 * difference since its last report to its client. */
hsd_lqueue_drops hsd_lqueue_dropped(const hsd_lqueue *q);

/* [loop] Push c to each of the n queues; returns how many took it without
 * dropping an older chunk.  The caller keeps its own reference. */
uint32_t hsd_chunk_fan_out(hsd_chunk *c, hsd_lqueue *const *queues,
			   uint32_t n);

#endif
