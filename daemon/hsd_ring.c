/* SPDX-License-Identifier: MIT */
/* The SPSC frame ring; the design is described in hsd_ring.h. */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_ring.h"

/* A cache line on the machines this runs on; keeps the producer's and the
 * consumer's index (and their private state) on lines of their own. */
#define CACHE_LINE 64

struct hsd_ring {
	/* Fixed at creation, read by both sides. */
	unsigned char *storage;
	size_t frame_bytes;
	uint64_t capacity;
	uint64_t mask;

	/* Written by the producer only. */
	alignas(CACHE_LINE) _Atomic uint64_t write;
	uint64_t reserved; /* frames of the last reserve */

	/* Written by the consumer only. */
	alignas(CACHE_LINE) _Atomic uint64_t read;
	uint64_t peeked; /* frames of the last peek */
};

int hsd_ring_create(hsd_ring **out, size_t frame_bytes, uint64_t capacity,
		    uint64_t start_index)
{
	hsd_ring *r = NULL;
	void *storage = NULL;
	int err = -EINVAL;

	if (!out || frame_bytes == 0 || capacity == 0 ||
	    capacity > HSD_RING_MAX_FRAMES || (capacity & (capacity - 1)) ||
	    capacity > SIZE_MAX / frame_bytes)
		goto fail;
	err = -ENOMEM;
	/* aligned_alloc: the struct's alignas needs an aligned block. */
	r = aligned_alloc(CACHE_LINE, (sizeof(*r) + CACHE_LINE - 1) /
					      CACHE_LINE * CACHE_LINE);
	if (!r)
		goto fail;
	if (posix_memalign(&storage, CACHE_LINE, (size_t)capacity * frame_bytes))
		goto fail;
	memset(storage, 0, (size_t)capacity * frame_bytes);
	memset(r, 0, sizeof(*r));
	r->storage = storage;
	r->frame_bytes = frame_bytes;
	r->capacity = capacity;
	r->mask = capacity - 1;
	atomic_init(&r->write, start_index);
	atomic_init(&r->read, start_index);
	*out = r;
	return 0;
fail:
	free(r);
	return err;
}

void hsd_ring_destroy(hsd_ring *r)
{
	if (!r)
		return;
	free(r->storage);
	free(r);
}

uint64_t hsd_ring_capacity(const hsd_ring *r)
{
	return r->capacity;
}

size_t hsd_ring_frame_bytes(const hsd_ring *r)
{
	return r->frame_bytes;
}

/* Describe `frames` frames starting at ring index `index` as one or two
 * spans of storage. */
static void region(const hsd_ring *r, uint64_t index, uint64_t frames,
		   hsd_ring_region *out)
{
	uint64_t slot = index & r->mask;
	uint64_t first = r->capacity - slot;

	if (first > frames)
		first = frames;
	out->index = index;
	out->frames = frames;
	out->span[0].data = r->storage + (size_t)slot * r->frame_bytes;
	out->span[0].frames = first;
	out->span[1].data = r->storage;
	out->span[1].frames = frames - first;
}

uint64_t hsd_ring_reserve(hsd_ring *r, uint64_t want, hsd_ring_region *out)
{
	/* Own index: relaxed.  The consumer's: acquire, so that its reads of
	 * the slots it released happen before we overwrite them. */
	uint64_t w = atomic_load_explicit(&r->write, memory_order_relaxed);
	uint64_t rd = atomic_load_explicit(&r->read, memory_order_acquire);
	uint64_t space = r->capacity - (w - rd); /* exact across 2^64 */

	if (want > space)
		want = space;
	r->reserved = want;
	region(r, w, want, out);
	return want;
}

int hsd_ring_commit(hsd_ring *r, uint64_t frames)
{
	uint64_t w;

	if (frames > r->reserved)
		return -EINVAL;
	w = atomic_load_explicit(&r->write, memory_order_relaxed);
	r->reserved = 0;
	/* Release: the frames written into the slots are visible before the
	 * index that tells the consumer they are there. */
	atomic_store_explicit(&r->write, w + frames, memory_order_release);
	return 0;
}

uint64_t hsd_ring_peek(hsd_ring *r, uint64_t want, hsd_ring_region *out)
{
	uint64_t rd = atomic_load_explicit(&r->read, memory_order_relaxed);
	uint64_t w = atomic_load_explicit(&r->write, memory_order_acquire);
	uint64_t fill = w - rd;

	if (want > fill)
		want = fill;
	r->peeked = want;
	region(r, rd, want, out);
	return want;
}

int hsd_ring_consume(hsd_ring *r, uint64_t frames)
{
	uint64_t rd;

	if (frames > r->peeked)
		return -EINVAL;
	rd = atomic_load_explicit(&r->read, memory_order_relaxed);
	r->peeked = 0;
	/* Release: our reads of the slots are done before the producer may
	 * reuse them. */
	atomic_store_explicit(&r->read, rd + frames, memory_order_release);
	return 0;
}

uint64_t hsd_ring_reset(hsd_ring *r)
{
	uint64_t rd = atomic_load_explicit(&r->read, memory_order_relaxed);
	uint64_t w = atomic_load_explicit(&r->write, memory_order_acquire);

	r->peeked = 0;
	atomic_store_explicit(&r->read, w, memory_order_release);
	return w - rd;
}

uint64_t hsd_ring_fill(const hsd_ring *r)
{
	/* `read` first: `write` only grows, and never passes `read` by more
	 * than the capacity, so a later `write` is never behind an earlier
	 * `read`.  Another thread's snapshot can still see the consumer's
	 * `read` from before and the producer's `write` from after a round of
	 * both, hence the clamp. */
	uint64_t rd = atomic_load_explicit(&r->read, memory_order_acquire);
	uint64_t w = atomic_load_explicit(&r->write, memory_order_acquire);
	uint64_t fill = w - rd;

	return fill < r->capacity ? fill : r->capacity;
}

uint64_t hsd_ring_write_index(const hsd_ring *r)
{
	return atomic_load_explicit(&r->write, memory_order_acquire);
}

uint64_t hsd_ring_read_index(const hsd_ring *r)
{
	return atomic_load_explicit(&r->read, memory_order_acquire);
}
