/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine's DMA memory: one anonymous mapping handed out in
 * whole pages, each page with a bus address (EMU_MEM_BUS_BASE + offset).
 *
 * Allocation runs on the driver's control thread while the device thread
 * translates bus addresses on every DMA chunk, so both go through one small
 * mutex.  Live allocations sit in an array sorted by first page: allocation
 * is first fit over the gaps between them, translation a binary search.
 * The table is bounded by the page count, so it never needs more than one
 * growth per doubling.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu.h"

#define PAGE ((size_t)HDA_PAGE_SIZE)

typedef struct mem_range {
	size_t first; /* first page */
	size_t pages;
} mem_range;

struct emu_mem {
	pthread_mutex_t lock;
	uint8_t *base;
	size_t pages;
	mem_range *live; /* sorted by first, non-overlapping */
	size_t n_live;
	size_t cap_live;
};

hda_status emu_mem_create(size_t bytes, emu_mem **mem)
{
	emu_mem *m;
	size_t len;

	if (!mem || bytes == 0 || bytes > SIZE_MAX - PAGE)
		return HDA_STATUS_INVALID_PARAMETER;
	len = (bytes + PAGE - 1) / PAGE * PAGE;

	m = calloc(1, sizeof(*m));
	if (!m)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	/* NORESERVE: the "machine" may have 1 GiB of DMA memory, but only the
	 * pages the driver touches ever become resident. */
	m->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->base == MAP_FAILED)
		goto fail_map;
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		goto fail_mutex;
	m->pages = len / PAGE;
	*mem = m;
	return HDA_STATUS_SUCCESS;

fail_mutex:
	munmap(m->base, len);
fail_map:
	free(m);
	return HDA_STATUS_INSUFFICIENT_RESOURCES;
}

void emu_mem_destroy(emu_mem *mem)
{
	if (!mem)
		return;
	pthread_mutex_destroy(&mem->lock);
	munmap(mem->base, mem->pages * PAGE);
	free(mem->live);
	free(mem);
}

static int live_reserve(emu_mem *m)
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

hda_status emu_mem_alloc(emu_mem *mem, size_t size, void **host,
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
	*bus = EMU_MEM_BUS_BASE + (uint64_t)at * PAGE;
	st = HDA_STATUS_SUCCESS;
out:
	pthread_mutex_unlock(&mem->lock);
	return st;
}

/* Index of the live range holding page `page`, or n_live.  Caller locks. */
static size_t live_find(const emu_mem *m, size_t page)
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

void emu_mem_free(emu_mem *mem, uint64_t bus, size_t size)
{
	size_t i, page;

	(void)size; /* the table knows the length; size only documents it */
	if (!mem || bus < EMU_MEM_BUS_BASE)
		return;
	if ((bus - EMU_MEM_BUS_BASE) % PAGE != 0)
		return;
	page = (size_t)((bus - EMU_MEM_BUS_BASE) / PAGE);
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

void *emu_mem_ptr(emu_mem *mem, uint64_t bus, size_t len)
{
	uint64_t off, end;
	size_t i, page;
	void *p = NULL;

	if (!mem || bus < EMU_MEM_BUS_BASE)
		return NULL;
	off = bus - EMU_MEM_BUS_BASE;
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
