/* SPDX-License-Identifier: MIT */
/* Capture chunks, their pool and listener queues; see hsd_chunk.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_chunk.h"
#include "hsd_ring.h"

/* Each chunk's audio starts on its own cache line, so the audio thread
 * filling one chunk never shares a line with a chunk the loop is reading. */
#define DATA_ALIGN 64

struct hsd_chunk {
	hsd_chunk_pool *pool;
	unsigned char *data;
	uint32_t frames;  /* set by publish */
	uint32_t refs;    /* [loop] only: see hsd_chunk.h */
	hsd_chunk_stamp stamp;
};

struct hsd_chunk_pool {
	hsd_chunk *chunks;
	unsigned char *data;
	uint32_t count;
	uint32_t capacity; /* frames per chunk */
	/* Pointers to chunks.  free_ring: the loop produces, the audio thread
	 * consumes; handoff: the other way round. */
	hsd_ring *free_ring;
	hsd_ring *handoff;
	/* [loop] Chunks the loop holds a reference to (received and not yet
	 * back in the free list), and whether the pool was destroyed while
	 * some were held: a uv write in flight keeps its chunk until libuv
	 * calls back, which can be after the stream's engine closed.  The
	 * last of those unrefs frees the pool. */
	uint32_t held;
	bool dying;
	/* Written by the audio thread only. */
	_Atomic uint64_t published;
	_Atomic uint64_t starved;
};

/* Put one chunk pointer into a ring that has room for every chunk, so the
 * reservation cannot come back empty. */
static void put(hsd_ring *r, hsd_chunk *c)
{
	hsd_ring_region reg;

	hsd_ring_reserve(r, 1, &reg);
	memcpy(reg.span[0].data, &c, sizeof(c));
	hsd_ring_commit(r, 1);
}

static hsd_chunk *get(hsd_ring *r)
{
	hsd_ring_region reg;
	hsd_chunk *c;

	if (hsd_ring_peek(r, 1, &reg) == 0)
		return NULL;
	memcpy(&c, reg.span[0].data, sizeof(c));
	hsd_ring_consume(r, 1);
	return c;
}

static uint64_t pow2_at_least(uint32_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int hsd_chunk_pool_create(hsd_chunk_pool **out, uint32_t count,
			  uint32_t frames, uint32_t frame_bytes)
{
	hsd_chunk_pool *p = NULL;
	size_t stride;
	int err = -EINVAL;

	if (!out || count == 0 || count > HSD_CHUNK_MAX_COUNT || frames == 0 ||
	    frame_bytes == 0 || (uint64_t)frames * frame_bytes > HSD_CHUNK_MAX_BYTES)
		goto fail;
	stride = ((size_t)frames * frame_bytes + DATA_ALIGN - 1) / DATA_ALIGN *
		 DATA_ALIGN;
	err = -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto fail;
	p->count = count;
	p->capacity = frames;
	atomic_init(&p->published, 0);
	atomic_init(&p->starved, 0);
	p->chunks = calloc(count, sizeof(*p->chunks));
	if (!p->chunks ||
	    posix_memalign((void **)&p->data, DATA_ALIGN, stride * count))
		goto fail;
	/* Touch the audio now, so the audio thread's first copies do not
	 * fault pages in (and mlockall, if granted, pins them). */
	memset(p->data, 0, stride * count);
	err = hsd_ring_create(&p->free_ring, sizeof(hsd_chunk *),
			      pow2_at_least(count), 0);
	if (err)
		goto fail;
	err = hsd_ring_create(&p->handoff, sizeof(hsd_chunk *),
			      pow2_at_least(count), 0);
	if (err)
		goto fail;
	for (uint32_t i = 0; i < count; i++) {
		p->chunks[i].pool = p;
		p->chunks[i].data = p->data + i * stride;
		put(p->free_ring, &p->chunks[i]);
	}
	*out = p;
	return 0;
fail:
	hsd_chunk_pool_destroy(p);
	return err;
}

static void pool_free(hsd_chunk_pool *p)
{
	free(p->data);
	free(p->chunks);
	free(p);
}

void hsd_chunk_pool_destroy(hsd_chunk_pool *p)
{
	if (!p)
		return;
	/* The rings go now: the audio thread is stopped, nothing is received
	 * any more, and a held chunk's last unref does not return it. */
	hsd_ring_destroy(p->handoff);
	hsd_ring_destroy(p->free_ring);
	p->handoff = p->free_ring = NULL;
	if (p->held) {
		p->dying = true;
		return;
	}
	pool_free(p);
}

uint32_t hsd_chunk_pool_available(const hsd_chunk_pool *p)
{
	return (uint32_t)hsd_ring_fill(p->free_ring);
}

hsd_chunk_pool_stats hsd_chunk_pool_stats_get(const hsd_chunk_pool *p)
{
	return (hsd_chunk_pool_stats){
		.published = atomic_load_explicit(&p->published,
						  memory_order_relaxed),
		.starved = atomic_load_explicit(&p->starved,
						memory_order_relaxed),
	};
}

hsd_chunk *hsd_chunk_take(hsd_chunk_pool *p)
{
	hsd_chunk *c = get(p->free_ring);

	if (!c)
		atomic_fetch_add_explicit(&p->starved, 1, memory_order_relaxed);
	return c;
}

int hsd_chunk_publish(hsd_chunk_pool *p, hsd_chunk *c, uint32_t frames,
		      const hsd_chunk_stamp *stamp)
{
	if (frames > p->capacity)
		return -EINVAL;
	c->frames = frames;
	c->stamp = *stamp;
	/* The hand-off ring's release orders the audio, frame count and stamp
	 * before the loop can see the pointer. */
	put(p->handoff, c);
	atomic_fetch_add_explicit(&p->published, 1, memory_order_relaxed);
	return 0;
}

hsd_chunk *hsd_chunk_receive(hsd_chunk_pool *p)
{
	hsd_chunk *c = get(p->handoff);

	if (c) {
		c->refs = 1;
		p->held++;
	}
	return c;
}

void hsd_chunk_give_back(hsd_chunk *c)
{
	if (c)
		put(c->pool->free_ring, c);
}

void hsd_chunk_ref(hsd_chunk *c)
{
	c->refs++;
}

void hsd_chunk_unref(hsd_chunk *c)
{
	hsd_chunk_pool *p;

	if (!c || --c->refs)
		return;
	p = c->pool;
	p->held--;
	if (p->dying) {
		if (!p->held)
			pool_free(p);
		return;
	}
	/* The free ring's release orders the loop's reads of the audio before
	 * the audio thread can take the chunk and overwrite it. */
	put(p->free_ring, c);
}

void *hsd_chunk_data(const hsd_chunk *c)
{
	return c->data;
}

uint32_t hsd_chunk_capacity(const hsd_chunk *c)
{
	return c->pool->capacity;
}

uint32_t hsd_chunk_frames(const hsd_chunk *c)
{
	return c->frames;
}

const hsd_chunk_stamp *hsd_chunk_get_stamp(const hsd_chunk *c)
{
	return &c->stamp;
}

/* ---- Listener queues ---------------------------------------------------- */

struct hsd_lqueue {
	hsd_chunk **slots;
	uint32_t depth;
	uint32_t head; /* slot of the oldest chunk */
	uint32_t length;
	hsd_lqueue_drops dropped;
};

int hsd_lqueue_create(hsd_lqueue **out, uint32_t depth)
{
	hsd_lqueue *q = NULL;
	int err = -EINVAL;

	if (!out || depth == 0 || depth > HSD_CHUNK_MAX_COUNT)
		goto fail;
	err = -ENOMEM;
	q = calloc(1, sizeof(*q));
	if (!q)
		goto fail;
	q->depth = depth;
	q->slots = calloc(depth, sizeof(*q->slots));
	if (!q->slots)
		goto fail;
	*out = q;
	return 0;
fail:
	hsd_lqueue_destroy(q);
	return err;
}

void hsd_lqueue_destroy(hsd_lqueue *q)
{
	if (!q)
		return;
	while (q->slots && q->length)
		hsd_chunk_unref(hsd_lqueue_pop(q));
	free(q->slots);
	free(q);
}

bool hsd_lqueue_push(hsd_lqueue *q, hsd_chunk *c)
{
	bool room = q->length < q->depth;

	if (!room) {
		/* The oldest goes (hsd_chunk.h: why not the newest). */
		hsd_chunk *old = hsd_lqueue_pop(q);

		q->dropped.chunks++;
		q->dropped.frames += old->frames;
		hsd_chunk_unref(old);
	}
	hsd_chunk_ref(c);
	q->slots[(q->head + q->length) % q->depth] = c;
	q->length++;
	return room;
}

hsd_chunk *hsd_lqueue_pop(hsd_lqueue *q)
{
	hsd_chunk *c;

	if (q->length == 0)
		return NULL;
	c = q->slots[q->head];
	q->head = (q->head + 1) % q->depth;
	q->length--;
	return c;
}

uint32_t hsd_lqueue_length(const hsd_lqueue *q)
{
	return q->length;
}

hsd_lqueue_drops hsd_lqueue_dropped(const hsd_lqueue *q)
{
	return q->dropped;
}

uint32_t hsd_chunk_fan_out(hsd_chunk *c, hsd_lqueue *const *queues,
			   uint32_t n)
{
	uint32_t took = 0;

	for (uint32_t i = 0; i < n; i++)
		took += hsd_lqueue_push(queues[i], c);
	return took;
}
