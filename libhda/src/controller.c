/* SPDX-License-Identifier: MIT */
/*
 * Controller bring-up and shutdown, and the bounded register polls that every
 * hardware wait goes through.  The sequence follows Linux's
 * snd_hdac_bus_init_chip() (hda-facts 4).
 */
#include <errno.h>
#include <time.h>

#include "internal.h"

uint64_t hda__now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void hda__delay_us(unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000u,
			      .tv_nsec = (long)(us % 1000000u) * 1000};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/*
 * Bounded polls.  The bound is real time, not a loop count, so it holds on a
 * fast emulator and a slow socket alike; it is checked after a read so that a
 * thread preempted past the deadline still gets one last look.  A device that
 * reads all ones is gone (surprise removal) and fails at once.
 */
#define DEFINE_POLL(bits, type, all_ones)                                      \
	hda_status hda__poll##bits(hda_bus *bus, uint32_t off, type mask,     \
				   type want, unsigned timeout_us)             \
	{                                                                      \
		uint64_t deadline = hda__now_us() + timeout_us;                \
		unsigned step = 1;                                             \
		for (;;) {                                                     \
			bool late = hda__now_us() > deadline;                  \
			type v = hda__rd##bits(bus, off);                      \
			if ((type)(v & mask) == want)                          \
				return HDA_STATUS_SUCCESS;                     \
			if (v == (type)(all_ones) &&                           \
			    bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS) \
				return HDA_STATUS_DEVICE_NOT_READY;            \
			if (late)                                              \
				return HDA_STATUS_DEVICE_NOT_READY;            \
			hda__delay_us(step);                                   \
			if (step < 100)                                        \
				step *= 2;                                     \
		}                                                              \
	}
DEFINE_POLL(8, uint8_t, 0xFFu)
DEFINE_POLL(16, uint16_t, 0xFFFFu)
DEFINE_POLL(32, uint32_t, 0xFFFFFFFFu)

/* Put the controller in reset and bring it out again; afterwards STATESTS
 * says which codecs answered on the link. */
static hda_status link_reset(hda_bus *bus)
{
	hda_status st;

	hda__wr16(bus, HDA_STATESTS, 0x7FFF);
	hda__wr32(bus, HDA_GCTL, hda__rd32(bus, HDA_GCTL) & ~HDA_GCTL_CRST);
	st = hda__poll32(bus, HDA_GCTL, HDA_GCTL_CRST, 0, HDA_CRST_TIMEOUT_US);
	if (st) {
		hda__reason(bus, "controller did not enter reset (GCTL.CRST) within %u ms",
			    HDA_CRST_TIMEOUT_US / 1000);
		return st;
	}
	/* The link must stay in reset for at least 100 us (HDA spec). */
	hda__delay_us(100);
	hda__wr32(bus, HDA_GCTL, hda__rd32(bus, HDA_GCTL) | HDA_GCTL_CRST);
	st = hda__poll32(bus, HDA_GCTL, HDA_GCTL_CRST, HDA_GCTL_CRST,
			 HDA_CRST_TIMEOUT_US);
	if (st) {
		hda__reason(bus, "controller did not leave reset (GCTL.CRST) within %u ms",
			    HDA_CRST_TIMEOUT_US / 1000);
		return st;
	}
	/* Codecs need 521 us after CRST before they may be addressed and
	 * before STATESTS is meaningful. */
	hda__delay_us(HDA_CODEC_WAKE_US);
	return HDA_STATUS_SUCCESS;
}

/* Find the audio function group of a codec by walking the root node. */
static hda_status find_afg(hda_bus *bus, uint8_t codec, uint8_t *afg)
{
	uint32_t count, type;
	hda_status st;

	st = hda__verb(bus, hda_verb12(codec, 0, HDA_VERB_GET_PARAMETER,
				       HDA_PAR_NODE_COUNT), &count);
	if (st)
		return st;
	for (unsigned i = 0; i < (count & 0xFF); i++) {
		uint8_t nid = (uint8_t)(((count >> 16) & 0xFF) + i);

		st = hda__verb(bus, hda_verb12(codec, nid,
					       HDA_VERB_GET_PARAMETER,
					       HDA_PAR_FG_TYPE), &type);
		if (st)
			return st;
		if ((type & 0xFF) == HDA_FG_TYPE_AUDIO) {
			*afg = nid;
			return HDA_STATUS_SUCCESS;
		}
	}
	hda__reason(bus, "codec %u has no audio function group", codec);
	return HDA_STATUS_DEVICE_NOT_READY;
}

static void slots_init(hda_bus *bus)
{
	for (unsigned i = 0; i < bus->n_sd; i++) {
		hda_slot *s = &bus->slots[i];

		s->sd = i;
		s->base = HDA_SD_OFF(i);
		s->can_input = i < bus->iss || i >= bus->iss + bus->oss;
		s->can_output = i >= bus->iss;
		s->lpib_reg = bus->ops->map32(bus->plat, s->base + HDA_SD_LPIB);
		for (unsigned k = 0; k < HDA_MAX_NOTIFY_FDS; k++)
			s->notify_fds[k] = -1;
	}
}

hda_status hda__controller_start(hda_bus *bus)
{
	hda_status st;

	if (bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS) {
		hda__reason(bus, "the controller does not answer");
		return HDA_STATUS_DEVICE_NOT_READY;
	}
	bus->ops->info(bus->plat, &bus->info);
	st = link_reset(bus);
	if (st)
		return st;

	bus->gcap = hda__rd16(bus, HDA_GCAP);
	bus->vmaj = hda__rd8(bus, HDA_VMAJ);
	bus->vmin = hda__rd8(bus, HDA_VMIN);
	bus->iss = HDA_GCAP_ISS(bus->gcap);
	bus->oss = HDA_GCAP_OSS(bus->gcap);
	bus->bss = HDA_GCAP_BSS(bus->gcap);
	bus->nsdo = 1u << HDA_GCAP_NSDO(bus->gcap);
	bus->n_sd = bus->iss + bus->oss + bus->bss;
	if (bus->n_sd == 0 || bus->n_sd > HDA_SD_MAX) {
		hda__reason(bus, "GCAP 0x%04x lists %u stream descriptors", bus->gcap,
			    bus->n_sd);
		return HDA_STATUS_DEVICE_NOT_READY;
	}
	/* Without 64OK the controller sees only 32-bit bus addresses. */
	if (!(bus->gcap & HDA_GCAP_64OK) && (bus->ring.bus >> 32)) {
		hda__reason(bus, "controller has 32-bit DMA only, memory is above 4 GiB");
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	bus->codec_mask = hda__rd16(bus, HDA_STATESTS) & 0x7FFF;
	hda__wr16(bus, HDA_STATESTS, bus->codec_mask);

	st = hda__rings_init(bus);
	if (st) {
		hda__reason(bus, "CORB/RIRB set-up timed out");
		return st;
	}

	/* Accept unsolicited responses, then the position buffer and the
	 * global and controller interrupt enables (stream bits are set when a
	 * stream is programmed). */
	hda__wr32(bus, HDA_GCTL, hda__rd32(bus, HDA_GCTL) | HDA_GCTL_UNSOL);
	hda__wr32(bus, HDA_DPUBASE, (uint32_t)((bus->ring.bus + HDA_RING_POSBUF_OFF) >> 32));
	hda__wr32(bus, HDA_DPLBASE, (uint32_t)(bus->ring.bus + HDA_RING_POSBUF_OFF) |
				    HDA_DPLBASE_ENABLE);
	hda__wr32(bus, HDA_INTCTL, HDA_INTCTL_GIE | HDA_INTCTL_CIE);

	/* Ask for register mappings only now, as plat.h's map32 contract
	 * says: a backend may serve LPIB from the position buffer slot of a
	 * controller that keeps the two equal, and it learns where that
	 * buffer is from the DPUBASE/DPLBASE writes just made. */
	bus->walclk_reg = bus->ops->map32(bus->plat, HDA_WALCLK);
	slots_init(bus);

	if (!bus->codec_mask)
		return HDA_STATUS_SUCCESS; /* a controller with no codec */
	bus->first_codec = (uint8_t)__builtin_ctz(bus->codec_mask);
	st = find_afg(bus, bus->first_codec, &bus->afg_nid);
	if (st)
		hda__reason(bus, "codec %u does not answer verbs", bus->first_codec);
	return st;
}

/* Quiesce: stop every stream, interrupts off, rings off, controller in
 * reset.  Used by close; waits are bounded and failures ignored because the
 * device may be gone. */
void hda__controller_stop(hda_bus *bus)
{
	for (unsigned i = 0; i < bus->n_sd; i++)
		hda__wr8(bus, HDA_SD_OFF(i) + HDA_SD_CTL, 0);
	hda__wr32(bus, HDA_INTCTL, 0);
	hda__wr32(bus, HDA_DPLBASE, 0);
	hda__wr8(bus, HDA_CORBCTL, 0);
	hda__wr8(bus, HDA_RIRBCTL, 0);
	(void)hda__poll8(bus, HDA_CORBCTL, HDA_CORBCTL_RUN, 0, HDA_RING_TIMEOUT_US);
	(void)hda__poll8(bus, HDA_RIRBCTL, HDA_RIRBCTL_DMAEN, 0, HDA_RING_TIMEOUT_US);
	hda__wr32(bus, HDA_GCTL, 0);
	(void)hda__poll32(bus, HDA_GCTL, HDA_GCTL_CRST, 0, HDA_CRST_TIMEOUT_US);
}
