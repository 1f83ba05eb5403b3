/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine's DMA memory: one anonymous mapping, handed out in
 * whole pages by the shared DMA pool, with bus addresses from
 * EMU_MEM_BUS_BASE (above 4 GiB, so the driver's 64-bit paths are used).
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "dma_pool.h"
#include "emu.h"

struct emu_mem {
	void *base;
	size_t len;
	hda_dma_pool *pool;
};

hda_status emu_mem_create(size_t bytes, emu_mem **mem)
{
	emu_mem *m;
	hda_status st;

	if (!mem || bytes == 0 || bytes > SIZE_MAX - HDA_PAGE_SIZE)
		return HDA_STATUS_INVALID_PARAMETER;
	m = calloc(1, sizeof(*m));
	if (!m)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	m->len = (bytes + HDA_PAGE_SIZE - 1) / HDA_PAGE_SIZE * HDA_PAGE_SIZE;
	/* NORESERVE: the "machine" may have 1 GiB of DMA memory, but only the
	 * pages the driver touches ever become resident. */
	m->base = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto fail;
	}
	st = hda_dma_pool_create(m->base, EMU_MEM_BUS_BASE, m->len, &m->pool);
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
	hda_dma_pool_destroy(mem->pool);
	if (mem->base)
		munmap(mem->base, mem->len);
	free(mem);
}

hda_status emu_mem_alloc(emu_mem *mem, size_t size, void **host, uint64_t *bus)
{
	if (!mem)
		return HDA_STATUS_INVALID_PARAMETER;
	return hda_dma_pool_alloc(mem->pool, size, host, bus);
}

void emu_mem_free(emu_mem *mem, uint64_t bus, size_t size)
{
	if (mem)
		hda_dma_pool_free(mem->pool, bus, size);
}

void *emu_mem_ptr(emu_mem *mem, uint64_t bus, size_t len)
{
	return mem ? hda_dma_pool_ptr(mem->pool, bus, len) : NULL;
}
