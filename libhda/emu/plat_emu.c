/* SPDX-License-Identifier: MIT */
/*
 * The "emu" platform backend: the shared driver's MMIO, DMA memory and
 * interrupt line, served by the emulated controller; plus the public
 * hda_emu.h API that tests and demos use to steer the model.
 */
#include <stdlib.h>

#include "emu.h"
#include "plat.h"

/* Provided by the driver (libhda/src/bus.c, declared in internal.h, which a
 * backend does not include). */
hda_status hda_bus_platform(hda_bus *bus, const hda_plat_ops **ops,
			    hda_plat **plat);

struct hda_emu {
	emu_ctrl *ctrl;
};

/* The backend instance is the emulator handle: hda_emu_from_bus hands out
 * a pointer to its first member. */
struct hda_plat {
	struct hda_emu emu;
};

static hda_status emu_open(const char *options, hda_plat **plat, char *err,
			   size_t errlen)
{
	emu_ctrl_config cfg;
	hda_plat *p;
	hda_status st;

	if (!plat)
		return HDA_STATUS_INVALID_PARAMETER;
	emu_ctrl_config_default(&cfg);
	/* The library never prints: the message goes back through
	 * hda_bus_open_ex to the program, which decides. */
	st = emu_ctrl_config_parse(options ? options : "", &cfg, err, errlen);
	if (st)
		return st;
	p = calloc(1, sizeof(*p));
	if (!p) {
		emu_set_err(err, errlen, "out of memory");
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	st = emu_ctrl_create(&cfg, &p->emu.ctrl, err, errlen);
	if (st) {
		free(p);
		goto out;
	}
	*plat = p;
out:
	emu_ctrl_config_release(&cfg);
	return st;
}

static void emu_close(hda_plat *plat)
{
	if (!plat)
		return;
	emu_ctrl_destroy(plat->emu.ctrl);
	free(plat);
}

static uint8_t emu_read8(hda_plat *plat, uint32_t off)
{
	return emu_ctrl_read8(plat->emu.ctrl, off);
}

static uint16_t emu_read16(hda_plat *plat, uint32_t off)
{
	return emu_ctrl_read16(plat->emu.ctrl, off);
}

static uint32_t emu_read32(hda_plat *plat, uint32_t off)
{
	return emu_ctrl_read32(plat->emu.ctrl, off);
}

static void emu_write8(hda_plat *plat, uint32_t off, uint8_t val)
{
	emu_ctrl_write8(plat->emu.ctrl, off, val);
}

static void emu_write16(hda_plat *plat, uint32_t off, uint16_t val)
{
	emu_ctrl_write16(plat->emu.ctrl, off, val);
}

static void emu_write32(hda_plat *plat, uint32_t off, uint32_t val)
{
	emu_ctrl_write32(plat->emu.ctrl, off, val);
}

/* The model resumes a stopped engine where it stopped, as the HDA
 * specification has it: no quirks.  Its FIFO bounds what an engine moves
 * at once, but its positions move a whole device step at a time: a tick
 * of the real-time clock, or what the caller advances the manual one by
 * (no step of its own: 0). */
static void emu_info(hda_plat *plat, hda_plat_info *info)
{
	*info = (hda_plat_info){.vendor_id = HDA_EMU_PCI_VENDOR_ID,
				.device_id = HDA_EMU_PCI_DEVICE_ID,
				.revision = HDA_EMU_PCI_REVISION,
				.position_step_ns = emu_ctrl_position_step_ns(plat->emu.ctrl)};
}

/* The register page itself (plat.h's map32 contract holds trivially):
 * WALCLK and SDnLPIB, or nothing with mapregs=off. */
static const volatile uint32_t *emu_map32(hda_plat *plat, uint32_t off)
{
	return emu_ctrl_map32(plat->emu.ctrl, off);
}

static hda_status emu_dma_alloc(hda_plat *plat, size_t size, hda_dma_mem *mem)
{
	size_t bytes;
	void *host;
	uint64_t bus;
	hda_status st;

	if (!mem || size == 0 || size > SIZE_MAX - HDA_PAGE_SIZE)
		return HDA_STATUS_INVALID_PARAMETER;
	bytes = (size + HDA_PAGE_SIZE - 1) / HDA_PAGE_SIZE * HDA_PAGE_SIZE;
	st = emu_mem_alloc(emu_ctrl_mem(plat->emu.ctrl), bytes, &host, &bus);
	if (st)
		return st;
	*mem = (hda_dma_mem){.host = host, .bus = bus, .size = bytes};
	return HDA_STATUS_SUCCESS;
}

static void emu_dma_free(hda_plat *plat, hda_dma_mem *mem)
{
	if (!mem || !mem->host || mem->size == 0)
		return;
	emu_mem_free(emu_ctrl_mem(plat->emu.ctrl), mem->bus, mem->size);
	*mem = (hda_dma_mem){0};
}

static int emu_irq_fd(hda_plat *plat)
{
	return emu_ctrl_irq_fd(plat->emu.ctrl);
}

/* One atomic load of the fault bits (plat.h: the audio thread calls it). */
static hda_status emu_health(hda_plat *plat)
{
	return emu_ctrl_gone(plat->emu.ctrl) ? HDA_STATUS_DEVICE_NOT_READY
					     : HDA_STATUS_SUCCESS;
}

const hda_plat_ops hda_plat_emu_ops = {
	.name = "emu",
	.open = emu_open,
	.close = emu_close,
	.read8 = emu_read8,
	.read16 = emu_read16,
	.read32 = emu_read32,
	.write8 = emu_write8,
	.write16 = emu_write16,
	.write32 = emu_write32,
	.info = emu_info,
	.map32 = emu_map32,
	.dma_alloc = emu_dma_alloc,
	.dma_free = emu_dma_free,
	.irq_fd = emu_irq_fd,
	.health = emu_health,
};

/* ---- hda_emu.h ------------------------------------------------------------ */

hda_emu *hda_emu_from_bus(hda_bus *bus)
{
	const hda_plat_ops *ops;
	hda_plat *plat;

	if (!bus || hda_bus_platform(bus, &ops, &plat) != HDA_STATUS_SUCCESS)
		return NULL;
	if (ops != &hda_plat_emu_ops || !plat)
		return NULL;
	return &plat->emu;
}

uint64_t hda_emu_now_ns(hda_emu *emu)
{
	return emu ? emu_ctrl_now_ns(emu->ctrl) : 0;
}

hda_status hda_emu_advance(hda_emu *emu, uint64_t ns)
{
	if (!emu)
		return HDA_STATUS_INVALID_PARAMETER;
	return emu_ctrl_advance(emu->ctrl, ns);
}

hda_status hda_emu_stream_truth_get(hda_emu *emu, unsigned sd_index,
				    hda_emu_stream_truth *truth)
{
	if (!emu)
		return HDA_STATUS_INVALID_PARAMETER;
	return emu_ctrl_stream_truth(emu->ctrl, sd_index, truth);
}

hda_status hda_emu_converter_frames(hda_emu *emu, uint8_t nid,
				    uint64_t *frames)
{
	if (!emu)
		return HDA_STATUS_INVALID_PARAMETER;
	return emu_ctrl_converter_frames(emu->ctrl, nid, frames);
}

hda_status hda_emu_inject_fault(hda_emu *emu, hda_emu_fault fault, bool on)
{
	if (!emu)
		return HDA_STATUS_INVALID_PARAMETER;
	return emu_ctrl_inject_fault(emu->ctrl, fault, on);
}

hda_status hda_emu_sink_error(hda_emu *emu, uint8_t pin_nid, char *msg,
			      size_t len)
{
	if (!emu)
		return HDA_STATUS_INVALID_PARAMETER;
	return emu_ctrl_sink_error(emu->ctrl, pin_nid, msg, len);
}

hda_status hda_emu_set_jack(hda_emu *emu, uint8_t pin_nid, bool present)
{
	if (!emu)
		return HDA_STATUS_INVALID_PARAMETER;
	return emu_ctrl_set_jack(emu->ctrl, pin_nid, present);
}
