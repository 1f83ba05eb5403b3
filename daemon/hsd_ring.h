/* SPDX-License-Identifier: MIT */
/*
 * hsd_ring: a lock-free single-producer/single-consumer ring of audio frames,
 * the path between the main loop and the audio thread (one ring per stream
 * and direction: for render the loop produces and the audio thread consumes,
 * for capture the other way round).
 *
 * Indices.  The ring counts frames, not bytes, with two free-running 64-bit
 * indices: `write` (frames ever committed) and `read` (frames ever consumed),
 * both starting at the index given at creation.  They are never reduced
 * modulo the capacity, so an index is the stream time of a frame as far as
 * the ring knows it: frame n always sits at storage slot n & (capacity - 1).
 * At 192 kHz a 64-bit index wraps after three million years, but the ring
 * does not rely on that: the fill level is write - read in unsigned 64-bit
 * arithmetic, which is exact across the wrap of 2^64 because it never
 * exceeds the capacity (at most 2^31 frames, far below 2^63).  Nothing here
 * compares two indices with < or converts one to a signed type.
 *
 * Memory order.  The producer writes frames into storage and then publishes
 * them by storing `write` with release; the consumer loads `write` with
 * acquire before it reads the frames.  Symmetrically the consumer releases
 * `read` after it has finished reading, and the producer acquires it before
 * it overwrites those slots.  Each index has one writer, so no
 * read-modify-write is needed, and each sits on its own cache line so the
 * two threads do not invalidate each other's line at every operation.
 *
 * Spans.  reserve and peek hand out the free or filled region as at most two
 * contiguous spans of storage (two exactly when the region crosses the end
 * of the storage), so the caller can memcpy to or from a DMA buffer without
 * a per-frame loop and without a bounce buffer.
 *
 * Threads: [producer] and [consumer] are one thread each (the same thread
 * may be both); [any] reads are snapshots that may be stale by the time the
 * caller looks at them; [control] routines run while neither side works on
 * the ring.  The producer and consumer routines take no lock, allocate
 * nothing and make no system call: they are fit for the audio thread.
 *
 * Errors are negative errno values.
 *
 * Not done here: pacing and flow control (the session's job) and mapping
 * ring indices onto link positions (the stream engine's job: it knows the
 * offset between the ring's stream time and the controller's).
 */
#ifndef HSD_RING_H
#define HSD_RING_H

#include <stddef.h>
#include <stdint.h>

/* Largest capacity accepted, in frames: keeps every fill level far below
 * 2^63 and every span length inside a size_t byte count. */
#define HSD_RING_MAX_FRAMES (UINT64_C(1) << 31)

typedef struct hsd_ring hsd_ring;

/* One contiguous run of frames in the ring's storage. */
typedef struct hsd_ring_span {
	void *data;
	uint64_t frames;
} hsd_ring_span;

/*
 * A region of the ring handed out by reserve or peek: span[0] then span[1]
 * (span[1].frames is 0 unless the region wraps the storage; span[0] is empty
 * only when the whole region is).  `index` is the ring index of the first
 * frame of span[0].
 */
typedef struct hsd_ring_region {
	hsd_ring_span span[2];
	uint64_t frames; /* span[0].frames + span[1].frames */
	uint64_t index;
} hsd_ring_region;

/*
 * [control] Create a ring of `capacity` frames (a power of two, 1 to
 * HSD_RING_MAX_FRAMES) of `frame_bytes` bytes each, whose indices start at
 * `start_index` (any value: a stream may start its ring at its current
 * position).  The storage is allocated here, once, 64-byte aligned and
 * zeroed.  -EINVAL for a bad size, -ENOMEM.
 */
int hsd_ring_create(hsd_ring **out, size_t frame_bytes, uint64_t capacity,
		    uint64_t start_index);
/* [control] Free the ring.  Accepts NULL. */
void hsd_ring_destroy(hsd_ring *r);

/* [any] The ring's fixed parameters. */
uint64_t hsd_ring_capacity(const hsd_ring *r);
size_t hsd_ring_frame_bytes(const hsd_ring *r);

/*
 * [producer] Reserve up to `want` frames of free space and describe it in
 * *out.  Returns the number of frames reserved (out->frames), possibly 0
 * when the ring is full.  Nothing is visible to the consumer until commit.
 * A new reserve replaces the previous one.
 */
uint64_t hsd_ring_reserve(hsd_ring *r, uint64_t want, hsd_ring_region *out);
/*
 * [producer] Publish the first `frames` frames of the last reservation.
 * -EINVAL (and nothing published) if that is more than was reserved.
 * Committing less than was reserved is allowed; the rest is dropped from
 * the reservation.
 */
int hsd_ring_commit(hsd_ring *r, uint64_t frames);

/*
 * [consumer] Describe up to `want` frames of what the producer has committed
 * and not yet consumed.  Returns the number of frames (out->frames).
 */
uint64_t hsd_ring_peek(hsd_ring *r, uint64_t want, hsd_ring_region *out);
/*
 * [consumer] Release the first `frames` frames of the last peek to the
 * producer.  -EINVAL (and nothing released) if that is more than was peeked.
 */
int hsd_ring_consume(hsd_ring *r, uint64_t frames);
/*
 * [consumer] Drop everything committed so far: the read index jumps to the
 * write index as the consumer sees it now, and the number of frames dropped
 * is returned.  Indices are never rewound, so stream time carries on: the
 * next frame the consumer sees has the index the producer gives it.  The
 * producer may keep working meanwhile; what it commits after the jump stays
 * in the ring.  Cancels the last peek.  This is the only reset: a
 * producer-side reset could race with a consumer still reading the frames.
 */
uint64_t hsd_ring_reset(hsd_ring *r);

/* [any] Frames committed and not yet consumed (a snapshot). */
uint64_t hsd_ring_fill(const hsd_ring *r);
/* [any] Index of the next frame to commit / the next frame to consume. */
uint64_t hsd_ring_write_index(const hsd_ring *r);
uint64_t hsd_ring_read_index(const hsd_ring *r);

#endif
