/* SPDX-License-Identifier: MIT */
/*
 * Stream descriptor programming: reset, setup, synchronized start and stop.
 * Sequences follow Linux's sound/hda/core/stream.c (hda-facts 4).
 *
 * SDnCTL is 24 bits wide and shares a dword with SDnSTS, whose bits are
 * write-1-to-clear; it is therefore always written a byte at a time (byte 0:
 * SRST, RUN, interrupt enables; byte 2: stripe, direction, stream number) so
 * that no write can clear a status bit by accident.
 */
#include "internal.h"

#define CTL0(slot) ((slot)->base + HDA_SD_CTL)
#define CTL2(slot) ((slot)->base + HDA_SD_CTL + 2)

hda_status hda__stream_reset(hda_bus *bus, hda_slot *slot)
{
	hda_status st;

	hda__wr8(bus, CTL0(slot), 0);
	/* Interrupt status left from the previous run must not fire later. */
	hda__wr8(bus, slot->base + HDA_SD_STS, HDA_SD_STS_INT_MASK);
	hda__wr8(bus, CTL0(slot), HDA_SD_CTL_SRST);
	st = hda__poll8(bus, CTL0(slot), HDA_SD_CTL_SRST, HDA_SD_CTL_SRST,
			HDA_SRST_TIMEOUT_US);
	if (st)
		return st;
	hda__wr8(bus, CTL0(slot), 0);
	st = hda__poll8(bus, CTL0(slot), HDA_SD_CTL_SRST, 0, HDA_SRST_TIMEOUT_US);
	if (st)
		return st;
	hda__slot_positions_reset(bus, slot);
	return HDA_STATUS_SUCCESS;
}

hda_status hda__stream_setup(hda_bus *bus, hda_slot *slot, uint32_t cbl,
			     uint32_t *fifo)
{
	uint8_t ctl2 = (uint8_t)(slot->stream_id << 4);
	uint16_t fifos;
	hda_status st;

	st = hda__stream_reset(bus, slot);
	if (st)
		return st;
	/* DIR exists only on bidirectional engines; set means output. */
	if (slot->can_input && slot->can_output && slot->output)
		ctl2 |= (uint8_t)(HDA_SD_CTL_DIR >> 16);
	hda__wr8(bus, CTL2(slot), ctl2);
	hda__wr32(bus, slot->base + HDA_SD_CBL, cbl);
	hda__wr16(bus, slot->base + HDA_SD_FMT, slot->fmt);
	hda__wr16(bus, slot->base + HDA_SD_LVI, (uint16_t)slot->lvi);
	hda__wr32(bus, slot->base + HDA_SD_BDPL, (uint32_t)slot->bdl.bus);
	hda__wr32(bus, slot->base + HDA_SD_BDPU, (uint32_t)(slot->bdl.bus >> 32));
	hda__wr8(bus, CTL0(slot), HDA_SD_CTL_IOCE | HDA_SD_CTL_FEIE | HDA_SD_CTL_DEIE);
	hda__wr32(bus, HDA_INTCTL, hda__rd32(bus, HDA_INTCTL) | (1u << slot->sd));

	/* FIFOS is valid only once FMT is written (the FIFO depends on the
	 * format).  hda-facts 8.1: older Intel tables encode it as bytes - 1;
	 * current Linux and the controllers libhda targets report bytes, so
	 * the raw value is taken as bytes. */
	uint64_t deadline = hda__now_us() + HDA_FIFOS_TIMEOUT_US;

	for (;;) {
		bool late = hda__now_us() > deadline;

		fifos = hda__rd16(bus, slot->base + HDA_SD_FIFOS);
		if (fifos != 0 && fifos != 0xFFFF)
			break;
		if (late)
			return HDA_STATUS_DEVICE_NOT_READY;
		hda__delay_us(10);
	}
	*fifo = fifos;
	return HDA_STATUS_SUCCESS;
}

static uint32_t ssync_mask(hda_slot **slots, size_t n)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < n; i++)
		mask |= 1u << slots[i]->sd;
	return mask;
}

/*
 * Start or stop streams together.  Their SSYNC bits hold them off the link
 * while RUN changes on each; clearing the bits in one write then releases
 * (or, for a stop, had frozen) them all on the same frame.  A start also
 * waits for FIFORDY on render streams, so that the first frame on the link
 * comes from a full FIFO rather than an underrun.
 */
hda_status hda__streams_run(hda_bus *bus, hda_slot **slots, size_t n, bool run)
{
	uint32_t mask = ssync_mask(slots, n);
	hda_status st = HDA_STATUS_SUCCESS;
	uint32_t wc;

	hda__wr32(bus, HDA_SSYNC, hda__rd32(bus, HDA_SSYNC) | mask);
	/* A stop takes effect here: SSYNC holds the streams off the link. */
	wc = hda__wall_clock(bus);
	for (size_t i = 0; i < n; i++) {
		uint8_t ctl = hda__rd8(bus, CTL0(slots[i]));

		ctl = run ? (uint8_t)(ctl | HDA_SD_CTL_RUN)
			  : (uint8_t)(ctl & ~HDA_SD_CTL_RUN);
		hda__wr8(bus, CTL0(slots[i]), ctl & ~HDA_SD_CTL_SRST);
	}
	for (size_t i = 0; i < n && st == HDA_STATUS_SUCCESS; i++) {
		if (run && slots[i]->output)
			st = hda__poll8(bus, slots[i]->base + HDA_SD_STS,
					HDA_SD_STS_FIFORDY, HDA_SD_STS_FIFORDY,
					HDA_RUN_TIMEOUT_US);
		else if (!run)
			st = hda__poll8(bus, CTL0(slots[i]), HDA_SD_CTL_RUN, 0,
					HDA_RUN_TIMEOUT_US);
	}
	/* A start that timed out must not go ahead when SSYNC lets go: the
	 * caller is told the engines did not change state. */
	if (run && st != HDA_STATUS_SUCCESS)
		for (size_t i = 0; i < n; i++)
			hda__wr8(bus, CTL0(slots[i]),
				 hda__rd8(bus, CTL0(slots[i])) &
					 (uint8_t)~(HDA_SD_CTL_RUN | HDA_SD_CTL_SRST));
	hda__wr32(bus, HDA_SSYNC, hda__rd32(bus, HDA_SSYNC) & ~mask);
	/* A start takes effect here, when SSYNC lets go.  The tracker counts
	 * wraps for running time only, so it learns both moments.  (On a
	 * controller that moves on the RUN writes rather than on SSYNC the
	 * stamps are off by the register accesses in between, which is far
	 * less than the half buffer the tracker can absorb.) */
	if (run)
		wc = hda__wall_clock(bus);
	if (st == HDA_STATUS_SUCCESS)
		for (size_t i = 0; i < n; i++)
			hda__slot_run_publish(slots[i], run, wc);
	return st;
}

/* Take a stopped stream off its BDL so the memory can be freed. */
void hda__stream_release(hda_bus *bus, hda_slot *slot)
{
	hda__wr8(bus, CTL0(slot), 0);
	hda__wr32(bus, HDA_INTCTL, hda__rd32(bus, HDA_INTCTL) & ~(1u << slot->sd));
	hda__wr8(bus, slot->base + HDA_SD_STS, HDA_SD_STS_INT_MASK);
	hda__wr32(bus, slot->base + HDA_SD_BDPL, 0);
	hda__wr32(bus, slot->base + HDA_SD_BDPU, 0);
	hda__wr32(bus, slot->base + HDA_SD_CBL, 0);
}
