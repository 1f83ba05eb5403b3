/* SPDX-License-Identifier: MIT */
/*
 * DMA buffers: the AllocateDmaBuffer family, the BDL interface and the V2
 * notification variants.  All of them require the engine to be in Reset,
 * because the stream registers they program may be written only while the
 * engine is stopped (hda-facts 2: CBL "write only with RUN = 0").
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_BUFFER_BYTES (4u << 20) /* Linux's limit for one PCM buffer */

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * The size rule (documented on hda_allocate_dma_buffer).  A granule is
 * lcm(frame bytes, 128): a buffer of whole granules is whole frames, and a
 * BDL split at granule boundaries starts every fragment on 128 bytes.
 */
static size_t granule_of(uint32_t frame_bytes)
{
	return frame_bytes / gcd(frame_bytes, HDA_FRAGMENT_ALIGN) *
	       HDA_FRAGMENT_ALIGN;
}

static size_t buffer_size(size_t requested, uint32_t frame_bytes,
			  unsigned granule_mult, size_t more_than)
{
	size_t granule, step, min, max, n;

	if (frame_bytes == 0)
		return 0;
	granule = granule_of(frame_bytes);
	step = granule * granule_mult;
	min = 2 * granule; /* two BDL entries at least */
	if (min <= more_than)
		min = more_than + 1;
	min = (min + step - 1) / step * step;
	max = MAX_BUFFER_BYTES / step * step;
	n = requested / step + (requested % step >= (step + 1) / 2 ? 1 : 0);
	if (n > max / step)
		return max;
	return n * step < min ? min : n * step;
}

static hda_status check_reset_no_buffer(hda_slot *slot)
{
	if (slot->state != HDA_STREAM_STATE_RESET || slot->buf_kind != HDA_BUF_NONE)
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	return HDA_STATUS_SUCCESS;
}

/* Data pages and a BDL page, plus the MDL that lists the data pages. */
static hda_status memory_alloc(hda_bus *bus, hda_slot *slot, size_t size)
{
	size_t pages = (size + HDA_PAGE_SIZE - 1) / HDA_PAGE_SIZE;
	hda_status st;

	slot->pages = calloc(pages, sizeof(*slot->pages));
	if (!slot->pages)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	st = bus->ops->dma_alloc(bus->plat, pages * HDA_PAGE_SIZE, &slot->data);
	if (st)
		goto fail;
	st = bus->ops->dma_alloc(bus->plat, HDA_PAGE_SIZE, &slot->bdl);
	if (st)
		goto fail;
	/* Without 64OK the engine drives only 32-bit addresses: a BDL or data
	 * page above 4 GiB would be fetched from the truncated address.  The
	 * platform gives no way to ask for low memory, so such a buffer is
	 * refused as memory that cannot be had. */
	if (!(bus->gcap & HDA_GCAP_64OK) &&
	    (((slot->data.bus + slot->data.size - 1) >> 32) ||
	     ((slot->bdl.bus + slot->bdl.size - 1) >> 32)))
		goto fail;
	for (size_t i = 0; i < pages; i++) {
		slot->pages[i].host = (uint8_t *)slot->data.host + i * HDA_PAGE_SIZE;
		slot->pages[i].bus = slot->data.bus + i * HDA_PAGE_SIZE;
	}
	slot->mdl = (hda_mdl){
		.base = slot->data.host,
		.byte_offset = 0,
		.byte_count = size,
		.page_count = pages,
		.pages = slot->pages,
	};
	return HDA_STATUS_SUCCESS;
fail:
	hda__buffer_release(bus, slot);
	return HDA_STATUS_INSUFFICIENT_RESOURCES;
}

/* Free the memory of a stopped engine.  Accepts a slot with nothing. */
void hda__buffer_release(hda_bus *bus, hda_slot *slot)
{
	hda__slot_write_begin(slot);
	slot->pub_has_buffer = false;
	slot->pub_cbl = 0;
	hda__slot_write_end(slot);
	hda__resume_forget(slot);
	if (slot->programmed)
		hda__stream_release(bus, slot);
	slot->programmed = false;
	if (slot->data.size)
		bus->ops->dma_free(bus->plat, &slot->data);
	if (slot->bdl.size)
		bus->ops->dma_free(bus->plat, &slot->bdl);
	memset(&slot->data, 0, sizeof(slot->data));
	memset(&slot->bdl, 0, sizeof(slot->bdl));
	free(slot->pages);
	slot->pages = NULL;
	free(slot->user_bdl);
	slot->user_bdl = NULL;
	memset(&slot->mdl, 0, sizeof(slot->mdl));
	slot->buf_kind = HDA_BUF_NONE;
	slot->lvi = 0;
	pthread_mutex_lock(&bus->irq_lock);
	slot->isr = NULL;
	slot->isr_ctx = NULL;
	slot->n_notify = 0;
	pthread_mutex_unlock(&bus->irq_lock);
}

static void bdl_put(hda_slot *slot, unsigned i, uint64_t addr, uint32_t len,
		    bool ioc)
{
	volatile uint32_t *e = (volatile uint32_t *)((uint8_t *)slot->bdl.host +
						     i * HDA_BDL_ENTRY_SIZE);

	e[0] = htole32((uint32_t)addr);
	e[1] = htole32((uint32_t)(addr >> 32));
	e[2] = htole32(len);
	e[3] = htole32(ioc ? HDA_BDL_IOC : 0);
}

/* Program the stream with the slot's BDL and publish it to audio threads. */
static hda_status program(hda_bus *bus, hda_slot *slot, uint32_t cbl,
			  uint32_t *fifo)
{
	hda_status st = hda__stream_setup(bus, slot, cbl, fifo);

	slot->programmed = true; /* even half-done: release must undo it */
	if (st)
		return st;
	hda__slot_write_begin(slot);
	slot->pub_cbl = cbl;
	slot->pub_fifo = *fifo;
	slot->pub_has_buffer = true;
	hda__slot_write_end(slot);
	return HDA_STATUS_SUCCESS;
}

/*
 * How a buffer's BDL is laid out: `entries` fragments of equal size, each
 * a whole number of granules (the first ones rounded down when the size
 * does not divide), with IOC on every entry or on the last one only.
 */
typedef struct bdl_plan {
	unsigned entries;
	bool ioc_all, ioc_last;
	unsigned granule_mult; /* the size is a multiple of this many granules */
	bool fixed;            /* the caller's size: never regrown, never clamped */
	hda_buf_kind kind;
} bdl_plan;

static void bdl_fill(hda_slot *slot, size_t size, const bdl_plan *plan)
{
	size_t granule = granule_of(slot->pub_frame_bytes), start = 0;

	for (unsigned i = 0; i < plan->entries; i++) {
		size_t end = i + 1 == plan->entries
				     ? size
				     : size / plan->entries * (i + 1) / granule * granule;

		bdl_put(slot, i, slot->data.bus + start, (uint32_t)(end - start),
			plan->ioc_all || (plan->ioc_last && i + 1 == plan->entries));
		start = end;
	}
	slot->lvi = plan->entries - 1;
}

/*
 * The size of a fixed plan: `requested` is one entry (a period), rounded
 * to the nearest granule and to one at least; 0 when the total is over the
 * largest buffer.
 */
static size_t fixed_size(size_t requested, uint32_t frame_bytes,
			 unsigned entries)
{
	size_t granule = granule_of(frame_bytes);
	size_t n = requested / granule +
		   (requested % granule >= (granule + 1) / 2 ? 1 : 0);

	if (n == 0)
		n = 1;
	if (n > MAX_BUFFER_BYTES / granule / entries)
		return 0;
	return n * granule * entries;
}

/*
 * Shared by the plain, the notification and the periods variants: lay out
 * the BDL by plan, program the engine, and check the buffer against the
 * FIFO.
 */
static hda_status dma_buffer_alloc(hda_bus *bus, hda_engine handle,
				   const bdl_plan *plan, size_t requested,
				   hda_mdl **mdl, size_t *allocated,
				   uint8_t *stream_id, uint32_t *fifo_size)
{
	hda_slot *slot;
	size_t size;
	uint32_t fifo;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	if (!mdl || !allocated || !stream_id || !fifo_size) {
		st = HDA_STATUS_INVALID_PARAMETER;
		goto out;
	}
	st = check_reset_no_buffer(slot);
	if (st)
		goto out;
	if (plan->fixed) {
		size = fixed_size(requested, slot->pub_frame_bytes, plan->entries);
		if (size == 0) {
			st = HDA_STATUS_INVALID_PARAMETER;
			goto out;
		}
	} else {
		size = buffer_size(requested, slot->pub_frame_bytes,
				   plan->granule_mult, 0);
	}
	for (;;) {
		st = memory_alloc(bus, slot, size);
		if (st)
			goto out;
		bdl_fill(slot, size, plan);
		slot->buf_kind = plan->kind;
		st = program(bus, slot, (uint32_t)size, &fifo);
		if (st || size > fifo)
			break;
		/*
		 * The FIFO, known only once the format is programmed, would
		 * hold the whole buffer: the engine would fetch bytes the
		 * caller never had a chance to write, and "below the DMA
		 * position" would name no safe region.  Take the closest size
		 * above the FIFO instead, unless the caller fixed the size.
		 * The FIFO depends on the format alone, so a second round is
		 * the last.
		 */
		hda__buffer_release(bus, slot);
		if (plan->fixed) {
			st = HDA_STATUS_BUFFER_TOO_SMALL;
			goto out;
		}
		size = buffer_size(requested, slot->pub_frame_bytes,
				   plan->granule_mult, fifo);
		if (size <= fifo) {
			st = HDA_STATUS_BUFFER_TOO_SMALL;
			goto out;
		}
	}
	if (st) {
		hda__buffer_release(bus, slot);
		goto out;
	}
	*mdl = &slot->mdl;
	*allocated = size;
	*stream_id = slot->stream_id;
	*fifo_size = fifo;
out:
	hda__control_leave(bus);
	return st;
}

hda_status hda_allocate_dma_buffer(hda_bus *bus, hda_engine handle,
				   size_t requested_size, hda_mdl **mdl,
				   size_t *allocated_size, uint8_t *stream_id,
				   uint32_t *fifo_size)
{
	static const bdl_plan plan = {.entries = 2, .granule_mult = 1,
				      .kind = HDA_BUF_DMA};

	return dma_buffer_alloc(bus, handle, &plan, requested_size, mdl,
				allocated_size, stream_id, fifo_size);
}

hda_status hda_allocate_dma_buffer_with_notification(
	hda_bus *bus, hda_engine handle, uint32_t notification_count,
	size_t requested_size, hda_mdl **mdl, size_t *allocated_size,
	size_t *offset_from_first_page, uint8_t *stream_id, uint32_t *fifo_size)
{
	/* Count 2: IOC at the midpoint too, which must fall on a fragment
	 * boundary, hence sizes of 2 granules. */
	const bdl_plan plan = {.entries = 2,
			       .ioc_all = notification_count == 2,
			       .ioc_last = true,
			       .granule_mult = notification_count == 2 ? 2 : 1,
			       .kind = HDA_BUF_NOTIFY};
	hda_status st;

	if (notification_count != 1 && notification_count != 2)
		return hda__in_callback() ? HDA_STATUS_UNSUCCESSFUL
					  : HDA_STATUS_INVALID_PARAMETER;
	if (!offset_from_first_page)
		return hda__in_callback() ? HDA_STATUS_UNSUCCESSFUL
					  : HDA_STATUS_INVALID_PARAMETER;
	st = dma_buffer_alloc(bus, handle, &plan, requested_size, mdl,
			      allocated_size, stream_id, fifo_size);
	if (st == HDA_STATUS_SUCCESS)
		*offset_from_first_page = 0;
	return st;
}

hda_status hda_allocate_dma_buffer_periods(hda_bus *bus, hda_engine handle,
					   size_t period_bytes,
					   uint32_t periods, hda_mdl **mdl,
					   size_t *allocated_size,
					   uint8_t *stream_id,
					   uint32_t *fifo_size)
{
	/* One BDL entry per period, so each period's IOC sits on its own
	 * entry's end: 2..256 periods, the BDL's limits.  Freed as a
	 * notification buffer, which it is. */
	const bdl_plan plan = {.entries = periods, .ioc_all = true,
			       .granule_mult = 1, .fixed = true,
			       .kind = HDA_BUF_NOTIFY};

	if (periods < 2 || periods > HDA_BDL_MAX_ENTRIES)
		return hda__in_callback() ? HDA_STATUS_UNSUCCESSFUL
					  : HDA_STATUS_INVALID_PARAMETER;
	return dma_buffer_alloc(bus, handle, &plan, period_bytes, mdl,
				allocated_size, stream_id, fifo_size);
}

/* Free a buffer of the given kind from an engine in Reset. */
static hda_status buffer_free(hda_bus *bus, hda_engine handle,
			      hda_buf_kind kind, const hda_mdl *mdl,
			      size_t size, bool check_mdl)
{
	hda_slot *slot;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	if (slot->state != HDA_STREAM_STATE_RESET || slot->buf_kind != kind)
		st = HDA_STATUS_INVALID_DEVICE_REQUEST;
	else if (check_mdl && (mdl != &slot->mdl || size != slot->mdl.byte_count))
		st = HDA_STATUS_INVALID_PARAMETER;
	if (st == HDA_STATUS_SUCCESS)
		hda__buffer_release(bus, slot);
	hda__control_leave(bus);
	return st;
}

hda_status hda_free_dma_buffer(hda_bus *bus, hda_engine handle)
{
	return buffer_free(bus, handle, HDA_BUF_DMA, NULL, 0, false);
}

hda_status hda_free_dma_buffer_with_notification(hda_bus *bus,
						 hda_engine handle,
						 hda_mdl *mdl,
						 size_t buffer_size)
{
	return buffer_free(bus, handle, HDA_BUF_NOTIFY, mdl, buffer_size, true);
}

hda_status hda_free_contiguous_dma_buffer(hda_bus *bus, hda_engine handle)
{
	return buffer_free(bus, handle, HDA_BUF_CONTIGUOUS, NULL, 0, false);
}

hda_status hda_allocate_contiguous_dma_buffer(hda_bus *bus, hda_engine handle,
					      uint32_t requested_size,
					      hda_mdl **data, hda_bdl_entry **bdl)
{
	hda_slot *slot;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	/* Checked in AllocateDmaBuffer's order: pointers, state, then size.
	 * A size of 0 names no buffer (a parameter rule, INVALID_PARAMETER);
	 * above 4 MiB is an allocation this driver cannot make, which the DDI
	 * reports as INSUFFICIENT_RESOURCES, as for memory that ran out. */
	if (!data || !bdl || requested_size == 0) {
		st = HDA_STATUS_INVALID_PARAMETER;
		goto out;
	}
	st = check_reset_no_buffer(slot);
	if (st)
		goto out;
	if (requested_size > MAX_BUFFER_BYTES) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	st = memory_alloc(bus, slot, requested_size);
	if (st)
		goto out;
	/* The caller writes its BDL into a page of ordinary memory; setup
	 * checks each entry and copies it into the BDL the engine reads, so
	 * nothing written later reaches the hardware unchecked. */
	slot->user_bdl = aligned_alloc(HDA_PAGE_SIZE, HDA_PAGE_SIZE);
	if (!slot->user_bdl) {
		hda__buffer_release(bus, slot);
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	memset(slot->user_bdl, 0, HDA_PAGE_SIZE);
	slot->buf_kind = HDA_BUF_CONTIGUOUS;
	*data = &slot->mdl;
	*bdl = slot->user_bdl;
out:
	hda__control_leave(bus);
	return st;
}

/* The caller wrote its BDL: check that each entry names only our data
 * buffer (without an addition that could wrap), starts on 128 bytes, and
 * that the lengths sum to the length it claims; copy the checked entries
 * into the BDL the engine reads, so it cannot DMA anywhere else.  *ioc
 * says whether any entry asks for an interrupt. */
static bool bdl_copy_valid(hda_slot *slot, uint32_t length, uint32_t lvi,
			   bool *ioc)
{
	const hda_bdl_entry *user = slot->user_bdl;
	uint64_t base = slot->data.bus, count = slot->mdl.byte_count, sum = 0;

	*ioc = false;
	for (uint32_t i = 0; i <= lvi; i++) {
		uint64_t addr = le64toh(user[i].address);
		uint32_t len = le32toh(user[i].length);
		uint32_t flags = le32toh(user[i].flags);

		if (len == 0 || addr < base || addr - base > count ||
		    len > count - (addr - base) || (addr % HDA_FRAGMENT_ALIGN))
			return false;
		bdl_put(slot, i, addr, len, flags & HDA_BDL_IOC);
		*ioc = *ioc || (flags & HDA_BDL_IOC);
		sum += len;
	}
	return sum == length;
}

hda_status hda_setup_dma_engine_with_bdl(hda_bus *bus, hda_engine handle,
					 uint32_t buffer_length, uint32_t lvi,
					 hda_dma_isr isr, void *context,
					 uint8_t *stream_id, uint32_t *fifo_size)
{
	hda_slot *slot;
	uint32_t fifo;
	bool ioc;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	/* The DDI's order: the engine's state first (Reset, with a contiguous
	 * buffer: the BDL the parameters describe), then the parameters. */
	if (slot->state != HDA_STREAM_STATE_RESET ||
	    slot->buf_kind != HDA_BUF_CONTIGUOUS) {
		st = HDA_STATUS_INVALID_DEVICE_REQUEST;
		goto out;
	}
	if (!stream_id || !fifo_size || lvi < 1 || lvi >= HDA_BDL_MAX_ENTRIES ||
	    buffer_length == 0 || buffer_length % slot->pub_frame_bytes) {
		st = HDA_STATUS_INVALID_PARAMETER;
		goto out;
	}
	/* The ISR is called for IOC entries only (and for the FIFO and
	 * descriptor errors of such a stream): without one, no entry may ask
	 * for an interrupt. */
	if (!bdl_copy_valid(slot, buffer_length, lvi, &ioc) || (ioc && !isr)) {
		st = HDA_STATUS_INVALID_PARAMETER;
		goto out;
	}
	slot->lvi = lvi;
	pthread_mutex_lock(&bus->irq_lock);
	slot->isr = isr;
	slot->isr_ctx = context;
	pthread_mutex_unlock(&bus->irq_lock);
	st = program(bus, slot, buffer_length, &fifo);
	if (st)
		goto out;
	*stream_id = slot->stream_id;
	*fifo_size = fifo;
out:
	hda__control_leave(bus);
	return st;
}
