/* SPDX-License-Identifier: MIT */
/*
 * Stop -> Run on a controller whose RUN restarts the DMA from the start of
 * the BDL (plat.h, HDA_PLAT_QUIRK_RUN_RESTARTS_BDL).  The DDI's Stop is also
 * its Pause (hda.h), so Run after it must continue where the engine
 * stopped.  Such a controller re-reads the BDL and restarts LPIB at 0 on
 * every start, so the driver hands it a BDL that begins at the stopped
 * offset, and adds that offset to the positions it reports:
 *
 *   entries  E0 .. Ek .. En-1, with the offset O inside Ek = [a, a + len)
 *   rotated  [a + O', len - O'] Ek+1 .. En-1 E0 .. Ek-1 [a, O']
 *            where O' = O - start of Ek, and the second piece only when
 *            O' > 0
 *
 * The first piece keeps Ek's IOC, because it ends where Ek ended; the last
 * piece has none.  So every interrupt falls at the buffer offset it always
 * did, the lengths still sum to CBL, and one lap of the rotated BDL is one
 * lap of the buffer: buffer position = (raw position + O) mod CBL.
 *
 * Each later resume rotates the BDL as programmed (kept in bdl_orig), never
 * a rotated one, so pieces do not accumulate.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static hda_bdl_entry entry_get(const volatile void *bdl, unsigned i)
{
	hda_bdl_entry e;

	memcpy(&e, (const void *)((const uint8_t *)bdl + i * HDA_BDL_ENTRY_SIZE), sizeof(e));
	return (hda_bdl_entry){le64toh(e.address), le32toh(e.length), le32toh(e.flags)};
}

static void entry_put(volatile void *bdl, unsigned i, uint64_t addr, uint32_t len,
		      uint32_t flags)
{
	hda_bdl_entry e = {htole64(addr), htole32(len), htole32(flags)};

	memcpy((void *)((uint8_t *)bdl + i * HDA_BDL_ENTRY_SIZE), &e, sizeof(e));
}

hda_status hda__resume_prepare(hda_bus *bus, hda_slot *slot)
{
	uint32_t cbl = slot->pub_cbl, raw, offset, start = 0, n, k, out = 0;
	const hda_bdl_entry *orig;

	if (!(bus->info.quirks & HDA_PLAT_QUIRK_RUN_RESTARTS_BDL) || cbl == 0)
		return HDA_STATUS_SUCCESS;
	/* Stopped: the DMA position holds still, and on such a controller
	 * it is where the restart must begin. */
	raw = __atomic_load_n(&bus->posbuf[slot->sd * 2], __ATOMIC_ACQUIRE) % cbl;
	offset = (uint32_t)(((uint64_t)raw + slot->pub_offset) % cbl);
	if (!slot->bdl_orig) {
		if (offset == 0)
			return HDA_STATUS_SUCCESS; /* the BDL as programmed */
		slot->bdl_orig = malloc(HDA_PAGE_SIZE);
		if (!slot->bdl_orig)
			return HDA_STATUS_INSUFFICIENT_RESOURCES;
		memcpy(slot->bdl_orig, slot->bdl.host, HDA_PAGE_SIZE);
		slot->lvi_orig = slot->lvi;
	}
	orig = slot->bdl_orig;
	n = slot->lvi_orig + 1;
	for (k = 0; k < n; k++) {
		uint32_t len = le32toh(orig[k].length);

		if (offset < start + len)
			break;
		start += len;
	}
	if (k == n) /* the lengths sum to CBL: cannot happen */
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	if (offset > start && n == HDA_BDL_MAX_ENTRIES)
		return HDA_STATUS_INSUFFICIENT_RESOURCES; /* no room to split */
	for (uint32_t i = 0; i < n; i++) {
		hda_bdl_entry e = entry_get(orig, (k + i) % n);
		uint32_t cut = i == 0 ? offset - start : 0;

		entry_put(slot->bdl.host, out++, e.address + cut, e.length - cut, e.flags);
	}
	if (offset > start) {
		hda_bdl_entry e = entry_get(orig, k);

		entry_put(slot->bdl.host, out++, e.address, offset - start, 0);
	}
	slot->lvi = out - 1;
	hda__wr16(bus, slot->base + HDA_SD_LVI, (uint16_t)slot->lvi);
	/* The offset and the position buffer slot change as one: the slot
	 * restarts from 0 with the engine (the write plat.h's map32 contract
	 * allows just before RUN), so readers see the stopped offset until
	 * the engine moves on from it. */
	hda__slot_write_begin(slot);
	atomic_store_explicit(&slot->pub_offset, offset, memory_order_relaxed);
	__atomic_store_n(&bus->posbuf[slot->sd * 2], 0, __ATOMIC_RELAXED);
	hda__slot_write_end(slot);
	return HDA_STATUS_SUCCESS;
}

/* Called while audio threads see no buffer on the slot (pub_has_buffer
 * false), before the stream is reset or released. */
void hda__resume_forget(hda_slot *slot)
{
	hda__slot_write_begin(slot);
	atomic_store_explicit(&slot->pub_offset, 0, memory_order_relaxed);
	hda__slot_write_end(slot);
	if (!slot->bdl_orig)
		return;
	if (slot->bdl.host)
		memcpy(slot->bdl.host, slot->bdl_orig, HDA_PAGE_SIZE);
	slot->lvi = slot->lvi_orig;
	free(slot->bdl_orig);
	slot->bdl_orig = NULL;
}
