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
 *
 * The tracker counts wraps from the engine's running time: the driver
 * records WALCLK at every start and stop (hda__slot_run_publish, from
 * hda__streams_run), and the snapshot turns that into run_ticks.
 */
#include "internal.h"

/* A reader meeting a writer retries a few times; a control thread cannot
 * hold a slot mid-update for long, but the audio thread never waits. */
#define SEQ_RETRIES 8

/* WALCLK counts at 24 MHz whatever the stream's rate (hda-facts 2). */
#define WALCLK_HZ 24000000u

/* posbuf_stale: 0 while the position buffer is trusted; else this bit and
 * the value it was frozen at (CBL is at most 4 MiB, so it fits below). */
#define STALE_FLAG 0x80000000u

/* The cheapest faithful WALCLK: the mapped register, else the backend's
 * computed one, else a register read (which may block: QEMU's socket;
 * only control-thread callers meet that one, see hda__streams_run). */
uint32_t hda__wall_clock(hda_bus *bus)
{
	/* Acquire: positions read after it are no older than it (the
	 * emulator stores WALCLK last, with release, after each step's
	 * positions: hda_read_position's two reads rely on that order, and
	 * emu_clock.c says what it cannot catch). */
	if (bus->walclk_reg)
		return __atomic_load_n(bus->walclk_reg, __ATOMIC_ACQUIRE);
	if (bus->ops->wall_clock)
		return bus->ops->wall_clock(bus->plat);
	return hda__rd32(bus, HDA_WALCLK);
}

void hda__slot_run_publish(hda_slot *slot, bool running, uint32_t wc)
{
	uint32_t ticks = slot->pub_run_ticks;

	if (slot->pub_running == running)
		return;
	/* Modulo 2^32 on purpose: the tracker only ever takes differences
	 * of run_ticks over less than 2^32 ticks of running, and those come
	 * out right however often the sum has wrapped. */
	if (slot->pub_running)
		ticks += wc - slot->pub_run_wc;
	hda__slot_write_begin(slot);
	slot->pub_run_ticks = ticks;
	slot->pub_run_wc = wc;
	slot->pub_running = running;
	hda__slot_write_end(slot);
}

void hda__slot_positions_reset(hda_bus *bus, hda_slot *slot)
{
	/* The position buffer slot would otherwise show the old position
	 * until the engine writes it again. */
	__atomic_store_n(&bus->posbuf[slot->sd * 2], 0, __ATOMIC_RELAXED);
	atomic_store_explicit(&slot->posbuf_stale, 0, memory_order_relaxed);
	hda__slot_write_begin(slot);
	slot->pub_running = false;
	slot->pub_run_ticks = 0;
	slot->pub_run_wc = 0;
	hda__slot_write_end(slot);
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

/* The DMA position a full FIFO away from the link position: a render FIFO
 * is topped up as soon as bytes leave it, a capture FIFO drains only what
 * overflows it, so a running engine's FIFO is full. */
static uint32_t dma_from_link(const hda_position *p)
{
	uint32_t fifo = p->fifo_size % p->cbl;

	return p->render ? (p->link + fifo) % p->cbl : (p->link + p->cbl - fifo) % p->cbl;
}

/*
 * The raw position sources, read in this one place: the DMA position
 * buffer on both sides of LPIB (see hda_read_position); link is 0 where
 * LPIB is not mapped.  They count from where the engine last started; the
 * caller turns them into buffer positions (buffer_pos), which after an
 * emulated resume is not where the engine started.
 */
typedef struct raw_positions {
	uint32_t dma, link, dma2;
} raw_positions;

static void read_raw(hda_bus *bus, const hda_slot *slot, raw_positions *r)
{
	const volatile uint32_t *posbuf = &bus->posbuf[slot->sd * 2];

	r->dma = __atomic_load_n(posbuf, __ATOMIC_ACQUIRE);
	r->link = slot->lpib_reg ? __atomic_load_n(slot->lpib_reg, __ATOMIC_ACQUIRE) : 0;
	r->dma2 = __atomic_load_n(posbuf, __ATOMIC_ACQUIRE);
}

/* How far one try of hda_read_position got. */
typedef enum pair_kind {
	PAIR_CLEAN,      /* consistent, or nothing to check it against */
	PAIR_TORN,       /* the position buffer moved during the read */
	PAIR_IMPOSSIBLE, /* it held still, but LPIB is more than a FIFO away */
} pair_kind;

/* A raw position (counted from where the engine last started) as a
 * position in the buffer (resume.c). */
static uint32_t buffer_pos(uint32_t raw, uint32_t offset, uint32_t cbl)
{
	return (uint32_t)(((uint64_t)raw % cbl + offset) % cbl);
}

/* WALCLK ticks in one frame at `rate` Hz (500 at 48 kHz), at least 1. */
static uint32_t frame_ticks(uint32_t rate)
{
	return rate && rate < WALCLK_HZ ? WALCLK_HZ / rate : 1;
}

hda_status hda_read_position(hda_bus *bus, hda_engine handle,
			     hda_position *out)
{
	hda_slot *slot;
	hda_position p = {0};
	pair_kind kind = PAIR_CLEAN;
	uint32_t stale = 0;
	bool got = false;

	if (!bus || !out)
		return HDA_STATUS_INVALID_PARAMETER;
	slot = hda__slot_get(bus, handle);
	if (!slot)
		return HDA_STATUS_INVALID_HANDLE;
	/* A gone device leaves the position buffer and any mapped register
	 * frozen at their last values, and a computed WALCLK keeps moving:
	 * it would look like a stalled stream.  health is an atomic load
	 * (plat.h), so the audio thread may ask on every read. */
	if (bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS)
		return HDA_STATUS_DEVICE_NOT_READY;

	/*
	 * The link and DMA positions are two values the controller updates
	 * on its own, read one after the other.  Read the DMA position on
	 * both sides of the link position and retry when it moved, or when
	 * the pair implies a FIFO fill the FIFO cannot hold.  A pair that
	 * is still impossible on the last try, with the position buffer
	 * holding still, means the buffer has stopped being written while
	 * LPIB moves on: LPIB wins from then on, until the position buffer
	 * moves again (a device thread that was only preempted between its
	 * two writes recovers that way) or the engine is reset.  Either
	 * way a caller never sees an impossible fill (or a negative one,
	 * which unsigned arithmetic would make enormous).
	 */
	for (unsigned tries = 0; tries < SEQ_RETRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
		hda_position q = {0};
		raw_positions r;
		uint32_t run_wc, run_ticks, off, wc2;
		bool has_buffer;

		if (s1 & 1)
			continue;
		has_buffer = atomic_load_explicit(&slot->pub_has_buffer, memory_order_relaxed);
		q.render = atomic_load_explicit(&slot->pub_output, memory_order_relaxed);
		q.cbl = atomic_load_explicit(&slot->pub_cbl, memory_order_relaxed);
		q.fifo_size = atomic_load_explicit(&slot->pub_fifo, memory_order_relaxed);
		q.frame_bytes = atomic_load_explicit(&slot->pub_frame_bytes, memory_order_relaxed);
		q.sample_rate = atomic_load_explicit(&slot->pub_rate, memory_order_relaxed);
		q.running = atomic_load_explicit(&slot->pub_running, memory_order_relaxed);
		run_wc = atomic_load_explicit(&slot->pub_run_wc, memory_order_relaxed);
		run_ticks = atomic_load_explicit(&slot->pub_run_ticks, memory_order_relaxed);
		/* A hardware stop (DESE) not yet reconciled by a control
		 * call (state.c) ends the running time where it was seen. */
		if (q.running &&
		    atomic_load_explicit(&slot->hw_stopped, memory_order_acquire)) {
			q.running = false;
			run_ticks += atomic_load_explicit(&slot->hw_stop_wc,
							  memory_order_relaxed) - run_wc;
		}
		off = atomic_load_explicit(&slot->pub_offset, memory_order_relaxed);
		q.wall_clock = hda__wall_clock(bus);
		read_raw(bus, slot, &r);
		wc2 = hda__wall_clock(bus);
		stale = atomic_load_explicit(&slot->posbuf_stale, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&slot->seq, memory_order_relaxed) != s1 ||
		    atomic_load_explicit(&slot->gen, memory_order_relaxed) !=
			    (uint32_t)handle.value)
			continue;
		if (!has_buffer || q.cbl == 0)
			return HDA_STATUS_INVALID_DEVICE_REQUEST;
		/* The positions were read at some instant between the two
		 * WALCLK reads, and are reported at the first.  More than a
		 * frame between them (a reader preempted in between, or on
		 * the emulator a device step that published new positions
		 * and WALCLK, a whole tick, in between) would misdate them:
		 * read again.  A last try keeps what it got rather than
		 * fail. */
		if (wc2 - q.wall_clock > frame_ticks(q.sample_rate) &&
		    tries + 1 < SEQ_RETRIES)
			continue;
		q.run_ticks = run_ticks + (q.running ? q.wall_clock - run_wc : 0);
		/* A stream being reset can show a stale value above CBL for
		 * an instant; keep callers' modular arithmetic sound.  After
		 * an emulated resume the engine counts from pub_offset. */
		q.dma = buffer_pos(r.dma, off, q.cbl);
		q.link = buffer_pos(r.link, off, q.cbl);
		r.dma2 = buffer_pos(r.dma2, off, q.cbl);
		got = true;
		p = q;
		if (!slot->lpib_reg) {
			/* No LPIB to read: derive it from the FIFO. */
			p.link = link_from_dma(&p);
			kind = PAIR_CLEAN;
			break;
		}
		if (r.dma2 != q.dma) {
			kind = PAIR_TORN;
			continue;
		}
		kind = fifo_fill(&q) <= q.fifo_size ? PAIR_CLEAN : PAIR_IMPOSSIBLE;
		if (kind == PAIR_CLEAN && stale && (stale & ~STALE_FLAG) == q.dma)
			break; /* consistent by chance: still frozen where it was */
		if (kind == PAIR_CLEAN) {
			if (stale) /* it moves again: trust it again */
				atomic_store_explicit(&slot->posbuf_stale, 0,
						      memory_order_relaxed);
			stale = 0;
			break;
		}
	}
	if (!got)
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	if (kind == PAIR_IMPOSSIBLE && !stale) {
		stale = STALE_FLAG | p.dma;
		atomic_store_explicit(&slot->posbuf_stale, stale, memory_order_relaxed);
	}
	/* Take LPIB's word over the position buffer's, as Linux does.  A
	 * pair torn on every try is no evidence of a stale buffer, only of a
	 * fast one, and is not flagged: LPIB alone then gives a consistent
	 * pair. */
	if (kind != PAIR_CLEAN || stale) {
		p.dma = dma_from_link(&p);
		p.posbuf_stale = stale != 0;
	}
	p.fifo_fill = fifo_fill(&p);
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

/* Bytes the link carries in `ticks` of running at the nominal rate.
 * 2^32 ticks x 192 kHz x 64 bytes stays below 2^56. */
static uint64_t expected_bytes(uint32_t ticks, const hda_position *p)
{
	return (uint64_t)ticks * p->sample_rate * p->frame_bytes / WALCLK_HZ;
}

/* The whole buffers that bring a ring advance d closest to `expect`:
 * round((expect - d) / cbl), and never fewer than none. */
static uint64_t whole_buffers(uint64_t expect, uint32_t d, uint32_t cbl)
{
	uint64_t half = cbl / 2;

	return expect + half < d ? 0 : (expect + half - d) / cbl;
}

hda_status hda_position_track(hda_bus *bus, hda_engine handle,
			      hda_position_tracker *t,
			      hda_stream_position *out)
{
	hda_position p;
	hda_status st;
	uint64_t expect, wraps, advance, miss;
	uint32_t d;

	if (!t || !out)
		return HDA_STATUS_INVALID_PARAMETER;
	st = hda_read_position(bus, handle, &p);
	if (st)
		return st;

	/*
	 * The link position is unwrapped: it is the one that moves at the
	 * stream's rate (the DMA position also moves with the FIFO fill).
	 * A reset tracker stands where the engine's reset left everything:
	 * link 0, run_ticks 0.  The ring advance d since then is known; the
	 * whole buffers that went by with it are what the running time
	 * since then says, so a call need not come once per buffer.  Only
	 * running time counts: a Stop, a pause of any length and a Run add
	 * nothing (run_ticks stands still while stopped).
	 */
	expect = expected_bytes(p.run_ticks - t->last_run, &p);
	d = ring_delta(p.link, (uint32_t)(t->link_bytes % p.cbl), p.cbl);
	wraps = whole_buffers(expect, d, p.cbl);
	advance = wraps * p.cbl + d;
	miss = advance > expect ? advance - expect : expect - advance;

	out->posbuf_stale = p.posbuf_stale;
	out->late = false;
	/* Not moving though the engine ran a quarter buffer, and not a
	 * whole number of buffers give or take the FIFO (the most a link
	 * that follows the sample clock strays): nothing was measured.  Hold
	 * everything, including the point running time counts from.  The
	 * FIFO tolerance also bounds what a stale buffer that happens to
	 * stop for about a whole number of buffers can make us report. */
	out->stalled = d == 0 && (wraps == 0 ? expect > p.cbl / 4 : miss > p.fifo_size);
	if (out->stalled) {
		t->stalled_calls++;
	} else {
		uint64_t link = t->link_bytes + advance, dma;
		uint32_t slack = p.cbl > p.fifo_size ? p.cbl - p.fifo_size : 0;

		dma = p.render ? link + p.fifo_fill
		      : link > p.fifo_fill ? link - p.fifo_fill : 0;
		/* Never backwards, even for a snapshot whose FIFO looks
		 * fuller (capture: emptier) than the last one did. */
		if (dma < t->dma_bytes)
			dma = t->dma_bytes;
		out->late = dma - t->dma_bytes > slack;
		t->late_calls += out->late;
		t->link_bytes = link;
		t->dma_bytes = dma;
		/* A position that did not move leaves the point running
		 * time counts from where it was, so that a buffer that
		 * stops being updated is noticed however often we look. */
		if (advance)
			t->last_run = p.run_ticks;
	}
	/* WALCLK wraps every 2^32 / 24 MHz = 178.96 s (hda-facts 8.3: one
	 * DDI page says 89 s, the arithmetic says 179). */
	t->wall_ticks = t->primed ? t->wall_ticks + (uint32_t)(p.wall_clock - t->last_wall)
				  : p.wall_clock;
	t->last_wall = p.wall_clock;
	t->primed = true;

	out->link_bytes = t->link_bytes;
	out->dma_bytes = t->dma_bytes;
	out->converter_frames = t->link_bytes / p.frame_bytes;
	out->dma_frames = t->dma_bytes / p.frame_bytes;
	out->wall_ticks = t->wall_ticks;
	out->fifo_size = p.fifo_size;
	out->fifo_fill = (uint32_t)(p.render ? t->dma_bytes - t->link_bytes
					     : t->link_bytes - t->dma_bytes);
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
