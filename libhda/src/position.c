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
		return __atomic_load_n(bus->walclk_reg, __ATOMIC_RELAXED);
	if (bus->ops->wall_clock)
		return bus->ops->wall_clock(bus->plat);
	return hda__rd32(bus, HDA_WALCLK);
}

/*
 * The engine's FIFO fill implied by a (link, dma) pair: render fetches run
 * ahead of the link, capture writes lag it.  A consistent pair has
 * 0 <= fill <= FIFO.
 */
static uint32_t fifo_fill(const hda_position *p)
{
	return p->render ? (p->dma + p->cbl - p->link) % p->cbl
			 : (p->link + p->cbl - p->dma) % p->cbl;
}

/* The link position a full FIFO away from the DMA position. */
static uint32_t link_from_dma(const hda_position *p)
{
	uint32_t fifo = p->fifo_size % p->cbl;

	return p->render ? (p->dma + p->cbl - fifo) % p->cbl : (p->dma + fifo) % p->cbl;
}

/* A raw position (counted from where the engine last started) as a
 * position in the buffer (resume.c). */
static uint32_t buffer_pos(uint32_t raw, uint32_t offset, uint32_t cbl)
{
	return (uint32_t)(((uint64_t)raw % cbl + offset) % cbl);
}

hda_status hda_read_position(hda_bus *bus, hda_engine handle,
			     hda_position *out)
{
	const volatile uint32_t *posbuf;
	hda_slot *slot;
	hda_position p = {0};
	bool got = false;

	if (!bus || !out)
		return HDA_STATUS_INVALID_PARAMETER;
	slot = hda__slot_get(bus, handle);
	if (!slot)
		return HDA_STATUS_INVALID_HANDLE;
	posbuf = &bus->posbuf[slot->sd * 2];

	/*
	 * The link and DMA positions are two values the controller updates
	 * on its own, read one after the other.  Read the DMA position on
	 * both sides of the link position and retry when it moved, or when
	 * the pair implies a FIFO fill the FIFO cannot hold; after the last
	 * try, pin the link position to the DMA position and the FIFO, so a
	 * caller never sees an impossible fill (or a negative one, which
	 * unsigned arithmetic would make enormous).
	 */
	for (unsigned tries = 0; tries < SEQ_RETRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
		hda_position q = {0};
		uint32_t d2, off;
		bool has_buffer;

		if (s1 & 1)
			continue;
		has_buffer = atomic_load_explicit(&slot->pub_has_buffer, memory_order_relaxed);
		q.render = atomic_load_explicit(&slot->pub_output, memory_order_relaxed);
		q.cbl = atomic_load_explicit(&slot->pub_cbl, memory_order_relaxed);
		q.fifo_size = atomic_load_explicit(&slot->pub_fifo, memory_order_relaxed);
		q.frame_bytes = atomic_load_explicit(&slot->pub_frame_bytes, memory_order_relaxed);
		off = atomic_load_explicit(&slot->pub_offset, memory_order_relaxed);
		q.wall_clock = wall_clock(bus);
		q.dma = __atomic_load_n(posbuf, __ATOMIC_ACQUIRE);
		if (slot->lpib_reg)
			q.link = __atomic_load_n(slot->lpib_reg, __ATOMIC_ACQUIRE);
		d2 = __atomic_load_n(posbuf, __ATOMIC_ACQUIRE);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&slot->seq, memory_order_relaxed) != s1 ||
		    atomic_load_explicit(&slot->gen, memory_order_relaxed) !=
			    (uint32_t)handle.value)
			continue;
		if (!has_buffer || q.cbl == 0)
			return HDA_STATUS_INVALID_DEVICE_REQUEST;
		/* A stream being reset can show a stale value above CBL for
		 * an instant; keep callers' modular arithmetic sound.  After
		 * an emulated resume the engine counts from pub_offset. */
		q.dma = buffer_pos(q.dma, off, q.cbl);
		d2 = buffer_pos(d2, off, q.cbl);
		if (slot->lpib_reg)
			q.link = buffer_pos(q.link, off, q.cbl);
		if (!slot->lpib_reg) {
			/* No LPIB to read: derive it from the FIFO. */
			q.link = link_from_dma(&q);
			p = q;
			got = true;
			break;
		}
		q.link %= q.cbl;
		if (d2 % q.cbl == q.dma && fifo_fill(&q) <= q.fifo_size) {
			p = q;
			got = true;
			break;
		}
		/* Torn: keep a pinned version in case no later try is clean. */
		if (fifo_fill(&q) > q.fifo_size)
			q.link = link_from_dma(&q);
		p = q;
		got = true;
	}
	if (!got)
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	*out = p;
	return HDA_STATUS_SUCCESS;
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
	/*
	 * Only the DMA position is unwrapped: the controller moves it
	 * forward alone, as one value.  The link position follows from it and
	 * the FIFO fill of the same snapshot (0..FIFO, see hda_read_position),
	 * so a snapshot taken while the two moved cannot fake a wrap.
	 */
	if (!t->primed) {
		/* A tracker reset at the engine's reset sees positions that
		 * started from 0 less than one buffer ago. */
		t->dma_bytes = p.dma;
		t->wall_ticks = p.wall_clock; /* WALCLK time, unwrapped from here on */
		t->primed = true;
	} else {
		t->dma_bytes += ring_delta(p.dma, t->last_dma, p.cbl);
		/* WALCLK wraps every 2^32 / 24 MHz = 178.96 s (hda-facts 8.3:
		 * one DDI page says 89 s, the arithmetic says 179). */
		t->wall_ticks += (uint32_t)(p.wall_clock - t->last_wall);
	}
	{
		uint32_t fill = fifo_fill(&p);
		uint64_t link = !p.render ? t->dma_bytes + fill
			      : t->dma_bytes > fill ? t->dma_bytes - fill : 0;

		/* Never backwards, even for a snapshot whose FIFO looks fuller
		 * than the last one did. */
		if (link > t->link_bytes)
			t->link_bytes = link;
	}
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
	/* Where the driver emulates resume (resume.c), the register counts
	 * from the resume point and no longer names a buffer position. */
	if (!slot->lpib_reg || (bus->info.quirks & HDA_PLAT_QUIRK_RUN_RESTARTS_BDL))
		return HDA_STATUS_DEVICE_NOT_READY;
	*reg = slot->lpib_reg;
	return HDA_STATUS_SUCCESS;
}
