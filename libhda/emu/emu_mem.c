/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine's DMA memory: anonymous mappings, handed out in whole
 * pages by the shared DMA pool.  The main part has bus addresses from
 * EMU_MEM_BUS_BASE (above 4 GiB, so the driver's 64-bit paths are used); an
 * optional low part sits at EMU_MEM_LOW_BUS_BASE, below 4 GiB, so that a
 * controller without 64OK can be brought up and the driver's refusal of
 * buffers it cannot reach can be tested.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "dma_pool.h"
#include "emu.h"

/* One contiguous bus range: a mapping and the pool over it. */
typedef struct mem_part {
	void *base;
	size_t len;
	uint64_t bus;
	hda_dma_pool *pool;
} mem_part;

struct emu_mem {
	mem_part low, high; /* low.len 0: no low part */
};

static hda_status part_init(mem_part *p, size_t bytes, uint64_t bus)
{
	p->len = (bytes + HDA_PAGE_SIZE - 1) / HDA_PAGE_SIZE * HDA_PAGE_SIZE;
	p->bus = bus;
	/* NORESERVE: the "machine" may have 1 GiB of DMA memory, but only the
	 * pages the driver touches ever become resident. */
	p->base = mmap(NULL, p->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->base == MAP_FAILED) {
		p->base = NULL;
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	return hda_dma_pool_create(p->base, bus, p->len, &p->pool);
}

static void part_fini(mem_part *p)
{
	hda_dma_pool_destroy(p->pool);
	if (p->base)
		munmap(p->base, p->len);
}

static mem_part *part_of(emu_mem *m, uint64_t bus)
{
	if (m->low.len && bus >= m->low.bus && bus - m->low.bus < m->low.len)
		return &m->low;
	return &m->high;
}

hda_status emu_mem_create(size_t bytes, size_t low_bytes, emu_mem **mem)
{
	emu_mem *m;
	hda_status st;

	if (!mem || bytes == 0 || bytes > SIZE_MAX - HDA_PAGE_SIZE ||
	    low_bytes > EMU_MEM_BUS_BASE - EMU_MEM_LOW_BUS_BASE)
		return HDA_STATUS_INVALID_PARAMETER;
	m = calloc(1, sizeof(*m));
	if (!m)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	st = part_init(&m->high, bytes, EMU_MEM_BUS_BASE);
	if (!st && low_bytes)
		st = part_init(&m->low, low_bytes, EMU_MEM_LOW_BUS_BASE);
	if (st)
		goto fail;
	*mem = m;
	return HDA_STATUS_SUCCESS;
fail:
	emu_mem_destroy(m);
	return st;
}

void emu_mem_destroy(emu_mem *mem)
{
	if (!mem)
		return;
	part_fini(&mem->low);
	part_fini(&mem->high);
	free(mem);
}

hda_status emu_mem_alloc(emu_mem *mem, size_t size, void **host, uint64_t *bus)
{
	if (!mem)
		return HDA_STATUS_INVALID_PARAMETER;
	if (mem->low.len &&
	    hda_dma_pool_alloc(mem->low.pool, size, host, bus) == HDA_STATUS_SUCCESS)
		return HDA_STATUS_SUCCESS;
	return hda_dma_pool_alloc(mem->high.pool, size, host, bus);
}

void emu_mem_free(emu_mem *mem, uint64_t bus, size_t size)
{
	if (mem)
		hda_dma_pool_free(part_of(mem, bus)->pool, bus, size);
}

void *emu_mem_ptr(emu_mem *mem, uint64_t bus, size_t len)
{
	return mem ? hda_dma_pool_ptr(part_of(mem, bus)->pool, bus, len) : NULL;
}
