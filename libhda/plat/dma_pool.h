/* SPDX-License-Identifier: MIT */
/* DMA page pool shared by the platform backends (see dma_pool.c). */
#ifndef HDA_DMA_POOL_H
#define HDA_DMA_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"

typedef struct hda_dma_pool hda_dma_pool;

/* A pool over [host, host + bytes), whose first byte the device sees at
 * bus_base.  The pool does not own the memory. */
hda_status hda_dma_pool_create(void *host, uint64_t bus_base, size_t bytes,
			       hda_dma_pool **pool);
void hda_dma_pool_destroy(hda_dma_pool *pool); /* NULL ok */
/* Contiguous, page aligned, zeroed; INSUFFICIENT_RESOURCES when full. */
hda_status hda_dma_pool_alloc(hda_dma_pool *pool, size_t size, void **host,
			      uint64_t *bus);
void hda_dma_pool_free(hda_dma_pool *pool, uint64_t bus, size_t size);
/* Host pointer for [bus, bus + len) when that range lies inside one live
 * allocation, else NULL. */
void *hda_dma_pool_ptr(hda_dma_pool *pool, uint64_t bus, size_t len);

#endif
