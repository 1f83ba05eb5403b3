/* SPDX-License-Identifier: MIT */
/*
 * A pool of DMA pages over memory a backend provides (the emulator's
 * anonymous arena, QEMU's shared guest RAM): whole pages, each with a bus
 * address (bus_base + offset).  Shared by the platform backends; the driver
 * never sees it.
 *
 * Allocation runs on the driver's control thread while a device model may
 * translate bus addresses on every DMA chunk, so both go through one small
 * mutex.  Live allocations sit in an array sorted by first page: allocation
 * is first fit over the gaps between them, translation a binary search.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dma_pool.h"

#define PAGE ((size_t)HDA_PAGE_SIZE)

typedef struct mem_range {
	size_t first; /* first page */
	size_t pages;
} mem_range;

struct hda_dma_pool {
	pthread_mutex_t lock;
	uint8_t *base;
	uint64_t bus_base;
	size_t pages;
	mem_range *live; /* sorted by first, non-overlapping */
	size_t n_live;
	size_t cap_live;
};

hda_status hda_dma_pool_create(void *host, uint64_t bus_base, size_t bytes,
			       hda_dma_pool **pool)
{
	hda_dma_pool *m;

	if (!pool || !host || bytes < PAGE || ((uintptr_t)host % PAGE) ||
	    (bus_base % PAGE))
		return HDA_STATUS_INVALID_PARAMETER;
	m = calloc(1, sizeof(*m));
	if (!m)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	m->base = host;
	m->bus_base = bus_base;
	m->pages = bytes / PAGE;
	*pool = m;
	return HDA_STATUS_SUCCESS;
}

void hda_dma_pool_destroy(hda_dma_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_destroy(&pool->lock);
	free(pool->live);
	free(pool);
}

static int live_reserve(hda_dma_pool *m)
{
	mem_range *n;
	size_t cap;

	if (m->n_live < m->cap_live)
		return 0;
	cap = m->cap_live ? 2 * m->cap_live : 16;
	n = realloc(m->live, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->live = n;
	m->cap_live = cap;
	return 0;
}

hda_status hda_dma_pool_alloc(hda_dma_pool *mem, size_t size, void **host,
			 uint64_t *bus)
{
	size_t pages, at = 0, i;
	hda_status st = HDA_STATUS_INSUFFICIENT_RESOURCES;

	if (!mem || !host || !bus || size == 0)
		return HDA_STATUS_INVALID_PARAMETER;
	if (size > mem->pages * PAGE)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	pages = (size + PAGE - 1) / PAGE;

	pthread_mutex_lock(&mem->lock);
	/* First fit: walk the gaps before each live range, then the tail. */
	for (i = 0; i < mem->n_live; i++) {
		if (mem->live[i].first - at >= pages)
			break;
		at = mem->live[i].first + mem->live[i].pages;
	}
	if (mem->pages - at < pages)
		goto out;
	if (live_reserve(mem) != 0)
		goto out;
	memmove(&mem->live[i + 1], &mem->live[i],
		(mem->n_live - i) * sizeof(*mem->live));
	mem->live[i] = (mem_range){.first = at, .pages = pages};
	mem->n_live++;
	memset(mem->base + at * PAGE, 0, pages * PAGE);
	*host = mem->base + at * PAGE;
	*bus = mem->bus_base + (uint64_t)at * PAGE;
	st = HDA_STATUS_SUCCESS;
out:
	pthread_mutex_unlock(&mem->lock);
	return st;
}

/* Index of the live range holding page `page`, or n_live.  Caller locks. */
static size_t live_find(const hda_dma_pool *m, size_t page)
{
	size_t lo = 0, hi = m->n_live;

	/* Last range with first <= page. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->live[mid].first <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return m->n_live;
	lo--;
	if (page - m->live[lo].first >= m->live[lo].pages)
		return m->n_live;
	return lo;
}

void hda_dma_pool_free(hda_dma_pool *mem, uint64_t bus, size_t size)
{
	size_t i, page;

	(void)size; /* the table knows the length; size only documents it */
	if (!mem || bus < mem->bus_base)
		return;
	if ((bus - mem->bus_base) % PAGE != 0)
		return;
	page = (size_t)((bus - mem->bus_base) / PAGE);
	pthread_mutex_lock(&mem->lock);
	i = live_find(mem, page);
	if (i < mem->n_live && mem->live[i].first == page) {
		/* Hand the pages back to the kernel; alloc zeroes anyway. */
		madvise(mem->base + page * PAGE, mem->live[i].pages * PAGE,
			MADV_DONTNEED);
		memmove(&mem->live[i], &mem->live[i + 1],
			(mem->n_live - i - 1) * sizeof(*mem->live));
		mem->n_live--;
	}
	pthread_mutex_unlock(&mem->lock);
}

void *hda_dma_pool_ptr(hda_dma_pool *mem, uint64_t bus, size_t len)
{
	uint64_t off, end;
	size_t i, page;
	void *p = NULL;

	if (!mem || bus < mem->bus_base)
		return NULL;
	off = bus - mem->bus_base;
	if (len == 0)
		len = 1; /* an empty access still needs a valid address */
	if (off >= (uint64_t)mem->pages * PAGE ||
	    len > (uint64_t)mem->pages * PAGE - off)
		return NULL;
	end = off + len; /* no overflow: bounded by the arena */
	page = (size_t)(off / PAGE);

	pthread_mutex_lock(&mem->lock);
	i = live_find(mem, page);
	if (i < mem->n_live &&
	    end <= (uint64_t)(mem->live[i].first + mem->live[i].pages) * PAGE)
		p = mem->base + off;
	pthread_mutex_unlock(&mem->lock);
	return p;
}
