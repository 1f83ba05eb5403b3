/* SPDX-License-Identifier: MIT */
/*
 * Positions: lock-free reads for the audio thread.
 *
 * The two sources and the FIFO between them (hda-facts 3):
 *   LPIB counts bytes across the link: what the codec has played (render)
 *   or sampled (capture).
 *   The DMA position buffer holds, per engine, the position of the memory
 *   side of the FIFO: render fetches run ahead of LPIB by the FIFO size,
 *   capture writes lag it by the FIFO size.  Linux's delay estimate is the
 *   same difference (playback posbuf - LPIB, capture LPIB - posbuf).
 * When LPIB cannot be mapped (a backend whose registers sit behind a socket)
 * the link position is derived from the position buffer and the FIFO size.
 */
#include "internal.h"

/* A reader meeting a writer retries a few times; a control thread cannot
 * hold a slot mid-update for long, but the audio thread never waits. */
#define SEQ_RETRIES 8

/* The cheapest faithful WALCLK: the mapped register, else the backend's
 * computed one, else a register read (which may block: QEMU's socket). */
static uint32_t wall_clock(hda_bus *bus)
{
	if (bus->walclk_reg)
		return *bus->walclk_reg;
	if (bus->ops->wall_clock)
		return bus->ops->wall_clock(bus->plat);
	return hda__rd32(bus, HDA_WALCLK);
}

hda_status hda_read_position(hda_bus *bus, hda_engine handle,
			     hda_position *out)
{
	hda_slot *slot;

	if (!bus || !out)
		return HDA_STATUS_INVALID_PARAMETER;
	slot = hda__slot_get(bus, handle);
	if (!slot)
		return HDA_STATUS_INVALID_HANDLE;

	for (unsigned tries = 0; tries < SEQ_RETRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
		hda_position p;
		bool has_buffer, output;

		if (s1 & 1)
			continue;
		has_buffer = slot->pub_has_buffer;
		output = slot->output;
		p.cbl = slot->pub_cbl;
		p.fifo_size = slot->pub_fifo;
		p.frame_bytes = slot->pub_frame_bytes;
		p.wall_clock = wall_clock(bus);
		p.dma = bus->posbuf[slot->sd * 2];
		if (slot->lpib_reg) {
			p.link = *slot->lpib_reg;
		} else if (p.cbl) {
			uint64_t fifo = p.fifo_size % p.cbl;

			p.link = (uint32_t)(output ? (p.dma + p.cbl - fifo) % p.cbl
						   : (p.dma + fifo) % p.cbl);
		} else {
			p.link = 0;
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&slot->seq, memory_order_relaxed) != s1 ||
		    atomic_load_explicit(&slot->gen, memory_order_relaxed) !=
			    (uint32_t)handle.value)
			continue;
		if (!has_buffer)
			return HDA_STATUS_INVALID_DEVICE_REQUEST;
		/* A stream being reset can show a stale value above CBL for
		 * an instant; clamp so callers' modular arithmetic holds. */
		if (p.link >= p.cbl)
			p.link %= p.cbl;
		if (p.dma >= p.cbl)
			p.dma %= p.cbl;
		*out = p;
		return HDA_STATUS_SUCCESS;
	}
	return HDA_STATUS_INVALID_DEVICE_REQUEST;
}

void hda_position_tracker_reset(hda_position_tracker *t)
{
	if (t)
		*t = (hda_position_tracker){0};
}

static uint32_t ring_delta(uint32_t now, uint32_t last, uint32_t cbl)
{
	return now >= last ? now - last : now + cbl - last;
}

hda_status hda_position_track(hda_bus *bus, hda_engine handle,
			      hda_position_tracker *t,
			      hda_stream_position *out)
{
	hda_position p;
	hda_status st;

	if (!t || !out)
		return HDA_STATUS_INVALID_PARAMETER;
	st = hda_read_position(bus, handle, &p);
	if (st)
		return st;
	if (!t->primed) {
		/* A tracker reset at the engine's reset sees positions that
		 * started from 0 less than one buffer ago. */
		t->link_bytes = p.link;
		t->dma_bytes = p.dma;
		t->wall_ticks = p.wall_clock; /* WALCLK time, unwrapped from here on */
		t->primed = true;
	} else {
		t->link_bytes += ring_delta(p.link, t->last_link, p.cbl);
		t->dma_bytes += ring_delta(p.dma, t->last_dma, p.cbl);
		/* WALCLK wraps every 2^32 / 24 MHz = 178.96 s (hda-facts 8.3:
		 * one DDI page says 89 s, the arithmetic says 179). */
		t->wall_ticks += (uint32_t)(p.wall_clock - t->last_wall);
	}
	t->last_link = p.link;
	t->last_dma = p.dma;
	t->last_wall = p.wall_clock;

	out->link_bytes = t->link_bytes;
	out->dma_bytes = t->dma_bytes;
	out->converter_frames = t->link_bytes / p.frame_bytes;
	out->dma_frames = t->dma_bytes / p.frame_bytes;
	out->wall_ticks = t->wall_ticks;
	out->fifo_size = p.fifo_size;
	return HDA_STATUS_SUCCESS;
}

hda_status hda_get_wall_clock_register(hda_bus *bus,
				       const volatile uint32_t **reg)
{
	if (!bus || !reg)
		return HDA_STATUS_INVALID_PARAMETER;
	if (!bus->walclk_reg)
		return HDA_STATUS_DEVICE_NOT_READY;
	*reg = bus->walclk_reg;
	return HDA_STATUS_SUCCESS;
}

hda_status hda_get_link_position_register(hda_bus *bus, hda_engine handle,
					  const volatile uint32_t **reg)
{
	hda_slot *slot;

	if (!bus || !reg)
		return HDA_STATUS_INVALID_PARAMETER;
	slot = hda__slot_get(bus, handle);
	if (!slot)
		return HDA_STATUS_INVALID_HANDLE;
	if (!slot->lpib_reg)
		return HDA_STATUS_DEVICE_NOT_READY;
	*reg = slot->lpib_reg;
	return HDA_STATUS_SUCCESS;
}
