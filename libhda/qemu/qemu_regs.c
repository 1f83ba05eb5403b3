/* SPDX-License-Identifier: MIT */
/*
 * The device behind a qemu bus: its PCI config space and MMIO, both over
 * the qtest socket; its health (a failed exchange means QEMU is gone); its
 * interrupt line; LPIB mapped onto the position buffer; and WALCLK computed
 * from CLOCK_MONOTONIC.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hda_regs.h"
#include "qemu.h"

#define PCI_CLASS_HDA 0x040300u /* multimedia, HD Audio, no prog-if */
#define HDA_BAR0 0xE0000000u     /* above RAM (mem_mb <= 2048), below the
				    IOAPIC/HPET/LAPIC windows at 0xFEC00000 */

void qemu_on_irq(void *ctx, bool raise, int line)
{
	hda_plat *p = ctx;
	uint64_t one = 1;

	/* Only the controller's line (see route_irq); line 0 toggles with
	 * the PIT.  A spurious kick would cost one INTSTS read, no more. */
	if (raise && (p->irq_line < 0 ? line >= 16 && line <= 23 : line == p->irq_line))
		(void)!write(p->irq_fd, &one, sizeof(one));
}

/* ---- PCI config space through the legacy 0xCF8/0xCFC ports ---------------- */

int qemu_cfg_read(hda_plat *p, unsigned dev, unsigned reg, uint32_t *val)
{
	uint64_t v;

	if (qtest_cmd(p->qt, NULL, "outl 0xcf8 0x%x", 0x80000000u | dev << 11 | reg) ||
	    qtest_cmd(p->qt, &v, "inl 0xcfc"))
		return -1;
	*val = (uint32_t)v;
	return 0;
}

static int cfg_write(hda_plat *p, unsigned dev, unsigned reg, uint32_t val)
{
	if (qtest_cmd(p->qt, NULL, "outl 0xcf8 0x%x", 0x80000000u | dev << 11 | reg) ||
	    qtest_cmd(p->qt, NULL, "outl 0xcfc 0x%x", val))
		return -1;
	return 0;
}

/*
 * Interrupt routing without firmware.  q35 (ICH9) wires PIRQ A-H to IOAPIC
 * pins 16-23 whatever its 8259 routing registers say; which PIRQ a slot's
 * INTA lands on is chipset configuration (QEMU's default put slot 1 on pin
 * 21), so any of pins 16-23 counts: nothing else on this machine raises
 * them.  The pc machine's PIIX3 routes PIRQs only to ISA IRQs, through
 * config registers 0x60-0x63 that reset disabled, so all four are routed to
 * IRQ 11 and the IOAPIC sees it on pin 11.
 */
#define PIIX3_PIRQ_ROUTE 0x60
#define PC_HDA_IRQ 11

static hda_status route_irq(hda_plat *p, unsigned dev)
{
	if (!strcmp(p->o.machine, "pc")) {
		if (cfg_write(p, 1, PIIX3_PIRQ_ROUTE, 0x01010101u * PC_HDA_IRQ))
			return HDA_STATUS_DEVICE_NOT_READY;
		p->irq_line = PC_HDA_IRQ;
	} else {
		p->irq_line = -1; /* any of IOAPIC pins 16-23 */
	}
	if (qtest_cmd(p->qt, NULL, "irq_intercept_in /machine/%s/ioapic",
		      strcmp(p->o.machine, "pc") ? "q35" : "i440fx"))
		return HDA_STATUS_DEVICE_NOT_READY;
	return HDA_STATUS_SUCCESS;
}

/* Find the controller on bus 0 by its class (HD Audio), so that any model
 * QEMU offers is found; keep the identity it states; give it BAR0, turn on
 * memory decoding and bus mastering (no firmware did, see the top of
 * plat_qemu.c). */
hda_status qemu_pci_setup(hda_plat *p)
{
	uint32_t id = 0, class_rev = 0, bar, cmd;
	unsigned dev;

	for (dev = 0; dev < 32; dev++) {
		if (qemu_cfg_read(p, dev, 0x00, &id) || qemu_cfg_read(p, dev, 0x08, &class_rev))
			return HDA_STATUS_DEVICE_NOT_READY;
		if (id != 0xFFFFFFFFu && class_rev >> 8 == PCI_CLASS_HDA)
			break;
	}
	if (dev == 32)
		return HDA_STATUS_DEVICE_NOT_READY;
	p->pci_dev = dev;
	p->info = (hda_plat_info){.vendor_id = (uint16_t)id,
				  .device_id = (uint16_t)(id >> 16),
				  .revision = (uint8_t)class_rev,
				  .quirks = HDA_PLAT_QUIRK_RUN_RESTARTS_BDL,
				  /* QEMU's hda-codec moves 8 KiB between its
				   * buffer and the DMA in one go (observed:
				   * hda-facts, README "QEMU's controller") */
				  .dma_burst_bytes = 8192};
	if (cfg_write(p, dev, 0x10, HDA_BAR0) || qemu_cfg_read(p, dev, 0x10, &bar) ||
	    (bar & ~0xFu) != HDA_BAR0 || qemu_cfg_read(p, dev, 0x04, &cmd) ||
	    cfg_write(p, dev, 0x04, (cmd & 0xFFFF) | 0x0006) ||
	    qemu_cfg_read(p, dev, 0x04, &cmd) || (cmd & 0x6) != 0x6)
		return HDA_STATUS_DEVICE_NOT_READY;
	p->bar0 = HDA_BAR0;
	return route_irq(p, dev);
}

/* ---- MMIO -------------------------------------------------------------------- */

/* A failed access means QEMU is gone or stopped answering: from then on the
 * device reads all ones, like a PCI device after surprise removal. */
static uint64_t mmio_read(hda_plat *p, char w, uint32_t off, uint64_t ones)
{
	uint64_t v;

	if (atomic_load(&p->gone))
		return ones;
	if (qtest_cmd(p->qt, &v, "read%c 0x%llx", w,
		      (unsigned long long)(p->bar0 + off))) {
		atomic_store(&p->gone, true);
		return ones;
	}
	return v;
}

static void mmio_write(hda_plat *p, char w, uint32_t off, uint32_t val)
{
	if (atomic_load(&p->gone))
		return;
	if (qtest_cmd(p->qt, NULL, "write%c 0x%llx 0x%x", w,
		      (unsigned long long)(p->bar0 + off), val))
		atomic_store(&p->gone, true);
}

uint8_t qemu_read8(hda_plat *p, uint32_t off)
{
	return (uint8_t)mmio_read(p, 'b', off, 0xFF);
}

uint16_t qemu_read16(hda_plat *p, uint32_t off)
{
	return (uint16_t)mmio_read(p, 'w', off, 0xFFFF);
}

uint32_t qemu_read32(hda_plat *p, uint32_t off)
{
	return (uint32_t)mmio_read(p, 'l', off, 0xFFFFFFFFu);
}

void qemu_write8(hda_plat *p, uint32_t off, uint8_t val)
{
	mmio_write(p, 'b', off, val);
}

void qemu_write16(hda_plat *p, uint32_t off, uint16_t val)
{
	mmio_write(p, 'w', off, val);
}

/* CLOCK_MONOTONIC in WALCLK ticks (24 MHz = 3 per 125 ns), wrapping as
 * WALCLK does; ns x 3 overflows only after 190 years of uptime. */
static uint32_t ns_to_ticks(uint64_t ns)
{
	return (uint32_t)(ns * 3 / 125);
}

/*
 * Measure where WALCLK stands against CLOCK_MONOTONIC: read it between two
 * clock reads, several times, and keep the tightest pair; the register was
 * sampled within half that round trip of its midpoint.
 */
#define CALIBRATION_TRIES 8

void qemu_calibrate(hda_plat *p)
{
	uint64_t best = UINT64_MAX, mid = 0;
	uint32_t ticks = 0;

	for (unsigned i = 0; i < CALIBRATION_TRIES; i++) {
		uint64_t t0 = now_ns(), t1;
		uint32_t v = (uint32_t)mmio_read(p, 'l', HDA_WALCLK, 0xFFFFFFFFu);

		t1 = now_ns();
		if (atomic_load(&p->gone))
			return;
		if (t1 - t0 < best) {
			best = t1 - t0;
			mid = t0 + (t1 - t0) / 2;
			ticks = v;
		}
	}
	/* Nothing else is published with it: relaxed suffices.  The error
	 * is rounded up to a whole tick. */
	atomic_store_explicit(&p->wc_cal,
			      (uint64_t)(ns_to_ticks(best / 2) + 1) << 32 |
				      (uint32_t)(ticks - ns_to_ticks(mid)),
			      memory_order_relaxed);
}

uint32_t qemu_wall_clock(hda_plat *p)
{
	return ns_to_ticks(now_ns()) +
	       (uint32_t)atomic_load_explicit(&p->wc_cal, memory_order_relaxed);
}

uint32_t qemu_wall_clock_error(hda_plat *p)
{
	return (uint32_t)(atomic_load_explicit(&p->wc_cal, memory_order_relaxed) >> 32);
}

void qemu_write32(hda_plat *p, uint32_t off, uint32_t val)
{
	/* Remember where the driver put the position buffer (see map32). */
	if (off == HDA_DPLBASE)
		p->dplbase = val;
	else if (off == HDA_DPUBASE)
		p->dpubase = val;
	mmio_write(p, 'l', off, val);
	/* A controller reset restarts QEMU's WALCLK count. */
	if (off == HDA_GCTL)
		qemu_calibrate(p);
}

void qemu_info(hda_plat *p, hda_plat_info *info)
{
	*info = p->info;
}

/*
 * Registers cannot be mapped: they sit behind the socket.  The one
 * exception is SDnLPIB, which QEMU mirrors exactly into the DMA position
 * buffer (hda-facts 7), so the slot in shared memory serves as the mapped
 * register once the driver has enabled the buffer, as plat.h's map32
 * contract allows: the driver maps only after writing DPUBASE and DPLBASE,
 * which write32 records.
 */
const volatile uint32_t *qemu_map32(hda_plat *p, uint32_t off)
{
	uint64_t base = ((uint64_t)p->dpubase << 32 | p->dplbase) & ~0x7Full;
	uint32_t sd;

	if (off < HDA_SD_BASE || (off - HDA_SD_BASE) % HDA_SD_STRIDE != HDA_SD_LPIB)
		return NULL;
	sd = (off - HDA_SD_BASE) / HDA_SD_STRIDE;
	if (!(p->dplbase & HDA_DPLBASE_ENABLE) || sd >= HDA_SD_MAX)
		return NULL;
	return hda_dma_pool_ptr(p->pool, base + 8 * sd, 4);
}

/* Two atomic loads (plat.h: the audio thread calls it).  A killed QEMU
 * closes the socket, and qtest's reader thread marks the link dead. */
hda_status qemu_health(hda_plat *p)
{
	if (atomic_load(&p->gone) || qtest_dead(p->qt))
		return HDA_STATUS_DEVICE_NOT_READY;
	return HDA_STATUS_SUCCESS;
}
