/* SPDX-License-Identifier: MIT */
/*
 * Codec verbs over the CORB/RIRB rings (hda-facts 2 and 4).
 *
 * One transfer at a time owns the rings (verb_lock).  Responses come back in
 * command order, so a transfer matches the solicited responses it reads to
 * its commands one by one; unsolicited responses met on the way are queued
 * for the interrupt thread, which calls their callbacks outside any lock the
 * control thread might hold.
 *
 * The queue has its own lock (unsol_lock), held only for the few stores of
 * a push or a pop.  The interrupt thread takes it on every wakeup; were it
 * verb_lock, as it once was, every wakeup would wait for the transfer in
 * progress, and a codec that does not answer holds verb_lock for
 * HDA_VERB_TIMEOUT_US (100 ms) a window: stream interrupts arrived 100 ms
 * apart and the IOCs in between merged into one.
 */
#include <endian.h>
#include <string.h>

#include "internal.h"

#define CORB_ENTRIES 256u

hda_status hda__rings_init(hda_bus *bus)
{
	uint64_t corb = bus->ring.bus + HDA_RING_CORB_OFF;
	uint64_t rirb = bus->ring.bus + HDA_RING_RIRB_OFF;
	hda_status st;

	bus->corb = (volatile uint32_t *)((uint8_t *)bus->ring.host + HDA_RING_CORB_OFF);
	bus->rirb = (volatile uint32_t *)((uint8_t *)bus->ring.host + HDA_RING_RIRB_OFF);
	bus->posbuf = (volatile uint32_t *)((uint8_t *)bus->ring.host + HDA_RING_POSBUF_OFF);

	/* libhda uses 256-entry rings only: every controller since ICH6
	 * offers them, and fewer entries would only cost more waits. */
	if (!(hda__rd8(bus, HDA_CORBSIZE) & 0x40) ||
	    !(hda__rd8(bus, HDA_RIRBSIZE) & 0x40))
		return HDA_STATUS_DEVICE_NOT_READY;

	/* CORB: stop its DMA, program it, reset the read pointer with the
	 * handshake (write bit 15, see it set, write 0, see it clear). */
	hda__wr8(bus, HDA_CORBCTL, 0);
	st = hda__poll8(bus, HDA_CORBCTL, HDA_CORBCTL_RUN, 0, HDA_RING_TIMEOUT_US);
	if (st)
		return st;
	hda__wr8(bus, HDA_CORBSIZE, HDA_RINGSIZE_256);
	hda__wr32(bus, HDA_CORBLBASE, (uint32_t)corb);
	hda__wr32(bus, HDA_CORBUBASE, (uint32_t)(corb >> 32));
	hda__wr16(bus, HDA_CORBWP, 0);
	hda__wr16(bus, HDA_CORBRP, HDA_CORBRP_RST);
	st = hda__poll16(bus, HDA_CORBRP, HDA_CORBRP_RST, HDA_CORBRP_RST,
			 HDA_RING_TIMEOUT_US);
	if (st)
		return st;
	hda__wr16(bus, HDA_CORBRP, 0);
	st = hda__poll16(bus, HDA_CORBRP, HDA_CORBRP_RST, 0, HDA_RING_TIMEOUT_US);
	if (st)
		return st;
	bus->corb_wp = 0;
	hda__wr8(bus, HDA_CORBCTL, HDA_CORBCTL_RUN);

	/* RIRB: interrupt after every response, so a transfer need not wait
	 * for RINTCNT responses to see one. */
	hda__wr8(bus, HDA_RIRBCTL, 0);
	st = hda__poll8(bus, HDA_RIRBCTL, HDA_RIRBCTL_DMAEN, 0, HDA_RING_TIMEOUT_US);
	if (st)
		return st;
	hda__wr8(bus, HDA_RIRBSIZE, HDA_RINGSIZE_256);
	hda__wr32(bus, HDA_RIRBLBASE, (uint32_t)rirb);
	hda__wr32(bus, HDA_RIRBUBASE, (uint32_t)(rirb >> 32));
	hda__wr16(bus, HDA_RIRBWP, HDA_RIRBWP_RST);
	hda__wr16(bus, HDA_RINTCNT, 1);
	bus->rirb_rp = 0;
	hda__wr8(bus, HDA_RIRBSTS, HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_OIS);
	hda__wr8(bus, HDA_RIRBCTL, HDA_RIRBCTL_DMAEN | HDA_RIRBCTL_INTCTL);
	return HDA_STATUS_SUCCESS;
}

static void unsol_push(hda_bus *bus, uint32_t res, uint32_t ex)
{
	unsigned idx;

	pthread_mutex_lock(&bus->unsol_lock);
	if (bus->unsol_count == HDA_UNSOL_RING) {
		/* Keep the newest: a jack's latest state matters most. */
		bus->unsol_head = (bus->unsol_head + 1) % HDA_UNSOL_RING;
		bus->unsol_count--;
		bus->unsol_dropped++;
	}
	idx = (bus->unsol_head + bus->unsol_count) % HDA_UNSOL_RING;
	bus->unsol_ring[idx][0] = res;
	bus->unsol_ring[idx][1] = ex;
	bus->unsol_count++;
	pthread_mutex_unlock(&bus->unsol_lock);
}

/*
 * Read every RIRB entry the controller has written since the last read.
 * Solicited responses fill t[*got..n); with no transfer waiting (n == 0)
 * they are stray and dropped.  Called with verb_lock held.  Returns true when
 * an unsolicited response was queued.
 */
static bool rirb_drain(hda_bus *bus, hda_codec_transfer *t, size_t n,
		       size_t *got)
{
	uint16_t wp16 = hda__rd16(bus, HDA_RIRBWP);
	uint8_t wp = (uint8_t)wp16, sts;
	bool unsol = false;

	/* RIRBWP bit 15 is write-only and reads 0: all ones means the
	 * device is gone, and the ring holds nothing new. */
	if (wp16 == 0xFFFF)
		return false;
	sts = hda__rd8(bus, HDA_RIRBSTS);

	/* Clear the status before reading entries so that a response
	 * landing meanwhile raises a fresh interrupt instead of being lost. */
	if (sts & (HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_OIS))
		hda__wr8(bus, HDA_RIRBSTS, sts & (HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_OIS));
	if (sts & HDA_RIRBSTS_OIS)
		bus->rirb_overruns++;
	while (bus->rirb_rp != wp) {
		uint8_t rp = (uint8_t)(bus->rirb_rp + 1);
		uint32_t res = le32toh(bus->rirb[rp * 2]);
		uint32_t ex = le32toh(bus->rirb[rp * 2 + 1]);

		bus->rirb_rp = rp;
		if (ex & HDA_RIRB_EX_UNSOL) {
			unsol_push(bus, res, ex);
			unsol = true;
		} else if (got && *got < n) {
			hda_codec_response *r = &t[*got].response;

			r->response = res;
			r->sdi = (uint8_t)(ex & HDA_RIRB_EX_SDI_MASK);
			r->unsolicited = false;
			r->has_fifo_overrun = false;
			r->is_valid = true;
			(*got)++;
		}
	}
	return unsol;
}

/* Write one command; waits (bounded) while the CORB is full. */
static hda_status corb_put(hda_bus *bus, uint32_t cmd)
{
	uint8_t wp = (uint8_t)(bus->corb_wp + 1);
	uint64_t deadline = hda__now_us() + HDA_VERB_TIMEOUT_US;

	while ((uint8_t)hda__rd16(bus, HDA_CORBRP) == wp) {
		if (hda__now_us() > deadline)
			return HDA_STATUS_DEVICE_NOT_READY;
		hda__delay_us(10);
	}
	bus->corb[wp] = htole32(cmd);
	/* The entry must be in memory before the controller sees WP move. */
	atomic_thread_fence(memory_order_release);
	bus->corb_wp = wp;
	hda__wr16(bus, HDA_CORBWP, wp);
	return HDA_STATUS_SUCCESS;
}

hda_status hda__verbs_exec(hda_bus *bus, hda_codec_transfer *t, size_t n)
{
	hda_status st = HDA_STATUS_SUCCESS;
	bool unsol = false, overrun = false;
	uint64_t overruns_before;
	size_t got = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&t[i].response, 0, sizeof(t[i].response));
		/* A response is addressed by the codec it came from. */
		t[i].response.sdi = (uint8_t)(t[i].command >> 28);
	}
	if (atomic_load(&bus->dead))
		return HDA_STATUS_DEVICE_NOT_READY;

	pthread_mutex_lock(&bus->verb_lock);
	overruns_before = bus->rirb_overruns;
	/* Commands go out in windows that fit the rings, so responses never
	 * outrun the RIRB we read. */
	for (size_t sent = 0; sent < n && st == HDA_STATUS_SUCCESS;) {
		size_t window = n - sent < 64 ? n - sent : 64;
		uint64_t deadline;

		for (size_t i = 0; i < window; i++) {
			st = corb_put(bus, t[sent + i].command);
			if (st)
				break;
		}
		if (st)
			break;
		sent += window;
		/* Wait for the responses; the bound restarts whenever one
		 * arrives, so a slow but live codec is not cut off. */
		deadline = hda__now_us() + HDA_VERB_TIMEOUT_US;
		while (got < sent) {
			size_t before = got;

			unsol |= rirb_drain(bus, t, sent, &got);
			/* The interrupt thread found the rings ours and left
			 * the RIRB to us.  The drain above cleared RIRBSTS,
			 * but a stream interrupt raised in between keeps the
			 * level-triggered line up, so no new edge will wake
			 * that thread: wake it now, not at the end of the
			 * transfer (a 64-verb batch takes ~20 ms on QEMU). */
			if (atomic_exchange(&bus->rirb_deferred, false))
				hda__irq_kick(bus);
			if (got != before)
				deadline = hda__now_us() + HDA_VERB_TIMEOUT_US;
			else if (hda__now_us() > deadline)
				break;
			else if (bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS) {
				st = HDA_STATUS_DEVICE_NOT_READY;
				break;
			} else if (got < sent)
				hda__delay_us(2);
		}
		if (got < sent) {
			/* Those responses stay invalid: lost to a RIRB
			 * overrun if the controller reported one during this
			 * transfer, else the codec timed out.  Skip what
			 * remains of the ring so late answers are not matched
			 * to the next transfer's commands. */
			overrun = bus->rirb_overruns != overruns_before;
			got = sent;
			bus->rirb_rp = (uint8_t)hda__rd16(bus, HDA_RIRBWP);
		}
	}
	pthread_mutex_unlock(&bus->verb_lock);
	/* The interrupt thread left a RIRB interrupt to us while we held the
	 * rings; something may have landed after our last drain. */
	if (atomic_exchange(&bus->rirb_deferred, false))
		unsol = true;
	if (overrun)
		for (size_t i = 0; i < n; i++)
			if (!t[i].response.is_valid)
				t[i].response.has_fifo_overrun = true;
	if (unsol)
		hda__irq_kick(bus);
	return st;
}

hda_status hda__verb(hda_bus *bus, uint32_t cmd, uint32_t *response)
{
	hda_codec_transfer t = {.command = cmd};
	hda_status st = hda__verbs_exec(bus, &t, 1);

	if (st)
		return st;
	if (!t.response.is_valid)
		return HDA_STATUS_DEVICE_NOT_READY;
	*response = t.response.response;
	return HDA_STATUS_SUCCESS;
}

bool hda__rirb_service(hda_bus *bus)
{
	if (pthread_mutex_trylock(&bus->verb_lock) != 0) {
		atomic_store(&bus->rirb_deferred, true);
		return false;
	}
	(void)rirb_drain(bus, NULL, 0, NULL);
	pthread_mutex_unlock(&bus->verb_lock);
	return true;
}

/*
 * Unsolicited response tag: bits [31:26].  hda-facts 8.7 lists two splits
 * (26/6 and 21/5/6); both put the 6-bit tag at the top, which is all the
 * dispatch needs, so the callback receives the whole 32-bit response.
 */
void hda__unsol_dispatch(hda_bus *bus)
{
	for (;;) {
		uint32_t res, ex;
		hda_unsol_entry e;
		hda_codec_response r;

		pthread_mutex_lock(&bus->unsol_lock);
		if (!bus->unsol_count) {
			pthread_mutex_unlock(&bus->unsol_lock);
			return;
		}
		res = bus->unsol_ring[bus->unsol_head][0];
		ex = bus->unsol_ring[bus->unsol_head][1];
		bus->unsol_head = (bus->unsol_head + 1) % HDA_UNSOL_RING;
		bus->unsol_count--;
		pthread_mutex_unlock(&bus->unsol_lock);

		r = (hda_codec_response){
			.response = res,
			.sdi = (uint8_t)(ex & HDA_RIRB_EX_SDI_MASK),
			.unsolicited = true,
			.is_valid = true,
		};
		/* Held across the call so that unregister, which takes the
		 * same lock, guarantees the callback is no longer running. */
		pthread_mutex_lock(&bus->cb_lock);
		e = bus->unsol[res >> 26];
		if (e.cb) {
			hda__enter_callback();
			e.cb(r, e.ctx);
			hda__leave_callback();
		}
		pthread_mutex_unlock(&bus->cb_lock);
	}
}

static bool async_pop(hda_bus *bus, hda_async_req *req)
{
	bool got = false;

	pthread_mutex_lock(&bus->async_lock);
	if (bus->async_count) {
		*req = bus->async[bus->async_head];
		bus->async_head = (bus->async_head + 1) % HDA_ASYNC_QUEUE;
		bus->async_count--;
		got = true;
	}
	pthread_mutex_unlock(&bus->async_lock);
	return got;
}

void hda__async_run(hda_bus *bus)
{
	hda_async_req req;

	while (async_pop(bus, &req)) {
		(void)hda__verbs_exec(bus, req.transfers, req.count);
		hda__enter_callback();
		req.cb(req.transfers, req.count, req.ctx);
		hda__leave_callback();
	}
}

void hda__async_flush(hda_bus *bus)
{
	hda_async_req req;

	/* The device is going away: every queued transfer completes with
	 * invalid responses, so no caller waits forever. */
	while (async_pop(bus, &req)) {
		for (size_t i = 0; i < req.count; i++)
			memset(&req.transfers[i].response, 0,
			       sizeof(req.transfers[i].response));
		hda__enter_callback();
		req.cb(req.transfers, req.count, req.ctx);
		hda__leave_callback();
	}
}

hda_status hda_transfer_codec_verbs(hda_bus *bus, size_t count,
				    hda_codec_transfer *transfers,
				    hda_transfer_complete_cb callback,
				    void *context)
{
	hda_status st = HDA_STATUS_SUCCESS;

	/* Queuing never blocks, so the asynchronous form is allowed from a
	 * callback (a jack handler reprogramming pins, say); the synchronous
	 * one waits for the codec and is not. */
	if (!callback && hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus || !transfers || count == 0)
		return HDA_STATUS_INVALID_PARAMETER;
	if (!callback)
		return hda__verbs_exec(bus, transfers, count);

	pthread_mutex_lock(&bus->async_lock);
	if (bus->async_count == HDA_ASYNC_QUEUE) {
		st = HDA_STATUS_NO_MEMORY;
	} else {
		unsigned idx = (bus->async_head + bus->async_count) % HDA_ASYNC_QUEUE;

		bus->async[idx] = (hda_async_req){transfers, count, callback, context};
		bus->async_count++;
	}
	if (st == HDA_STATUS_SUCCESS)
		pthread_cond_signal(&bus->async_cond);
	pthread_mutex_unlock(&bus->async_lock);
	return st;
}
