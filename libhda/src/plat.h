/* SPDX-License-Identifier: MIT */
/*
 * The platform interface: everything the shared driver may touch.  A backend
 * (libhda/emu/plat_emu.c, libhda/qemu/) implements it; the driver never
 * learns which backend it runs on.
 *
 * Like a kernel driver, libhda reaches the controller only through MMIO
 * accesses, DMA-able memory with bus addresses, and an interrupt line.
 * What BAR0 cannot tell it (the PCI identity, and where the controller
 * departs from the HDA specification) comes from the backend's info().
 */
#ifndef HDA_PLAT_H
#define HDA_PLAT_H

#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"

typedef struct hda_plat hda_plat; /* a backend instance, opaque */

/* Physically (bus-) contiguous DMA memory, page aligned and zeroed. */
typedef struct hda_dma_mem {
	void *host;
	uint64_t bus;
	size_t size; /* a whole number of HDA_PAGE_SIZE pages */
} hda_dma_mem;

/*
 * Quirks: behaviour of a controller that departs from the HDA specification
 * and that the driver works around, each named for what the controller
 * does, never for which backend has it.
 *
 * RUN_RESTARTS_BDL: setting SDnCTL.RUN again after a stop restarts the DMA
 * at BDL entry 0 with LPIB 0 (and re-reads the BDL), instead of resuming
 * where the engine stopped.  The driver then emulates the resume (state.c,
 * resume.c): it rotates the BDL to begin at the stopped offset and adds
 * that offset to the positions it reports.  A backend declares it only for
 * a controller that also accepts a BDL fragment starting at any frame (the
 * piece that begins at the stopped offset is not on 128 bytes) and whose
 * position buffer holds, once stopped, the offset to restart from.
 */
#define HDA_PLAT_QUIRK_RUN_RESTARTS_BDL (1u << 0)

/* What the driver cannot read through BAR0.  Fixed for the life of the
 * backend instance. */
typedef struct hda_plat_info {
	uint16_t vendor_id; /* PCI config space 0x00 */
	uint16_t device_id; /* PCI config space 0x02 */
	uint8_t revision;   /* PCI config space 0x08 */
	uint32_t quirks;    /* HDA_PLAT_QUIRK_* */
	/* How the device moves data (hda_device_information says what for;
	 * 0 and 0 for hardware). */
	uint32_t dma_burst_bytes;
	uint32_t position_step_ns;
} hda_plat_info;

typedef struct hda_plat_ops {
	const char *name; /* the URI scheme: "emu" */

	/* Create the device behind the interface.  options is the part of the
	 * URI after "scheme:" ("" when absent).  INVALID_PARAMETER for a bad
	 * option.  On failure a one-line reason goes into err (never NULL);
	 * the backend never prints. */
	hda_status (*open)(const char *options, hda_plat **plat, char *err,
			   size_t errlen);
	void (*close)(hda_plat *plat); /* accepts NULL */

	/* MMIO.  Offsets are BAR0 offsets.  A device that is gone reads as all
	 * ones, as a PCI device does after surprise removal; writes to it are
	 * dropped.  Thread-safe: the audio thread reads while the control
	 * thread writes other registers. */
	uint8_t (*read8)(hda_plat *plat, uint32_t off);
	uint16_t (*read16)(hda_plat *plat, uint32_t off);
	uint32_t (*read32)(hda_plat *plat, uint32_t off);
	void (*write8)(hda_plat *plat, uint32_t off, uint8_t val);
	void (*write16)(hda_plat *plat, uint32_t off, uint16_t val);
	void (*write32)(hda_plat *plat, uint32_t off, uint32_t val);

	/* The PCI identity and the quirks (above).  Any thread. */
	void (*info)(hda_plat *plat, hda_plat_info *info);

	/*
	 * A pointer through which the 32-bit register at off can be read with
	 * a plain load, or NULL when the backend cannot map that register (the
	 * driver then reads it through read32, or derives it).
	 *
	 * The contract between driver and backend:
	 *  - When.  The driver calls map32 only after bring-up has taken the
	 *    controller out of reset and programmed the DMA position buffer:
	 *    DPUBASE, then DPLBASE with its enable bit, each with one write32.
	 *    It never moves or disables the buffer afterwards while it still
	 *    reads through a mapping (only hda__controller_stop at close
	 *    clears DPLBASE).  A backend may therefore watch those two writes
	 *    and rely on them.
	 *  - What from.  A mapped register may be served from the register
	 *    itself (an MMIO mapping) or from memory the controller keeps
	 *    equal to the register at all times.  The one such case allowed
	 *    is SDnLPIB served from the engine's DMA position buffer slot
	 *    (DPLBASE + 8 x descriptor index), for a controller that writes
	 *    exactly LPIB there (it has no FIFO between memory and the link).
	 *    A backend serves LPIB so only while DPLBASE has its enable bit
	 *    set, and returns NULL otherwise.
	 *  - What the driver keeps.  It writes an engine's position buffer
	 *    slot only to zero it: after a stream reset, where LPIB is 0 too,
	 *    and on a RUN_RESTARTS_BDL controller just before it sets RUN,
	 *    the write at which the controller restarts LPIB from 0.  So a
	 *    register served from the slot shows what the register holds, or
	 *    (for that one instant) what it is about to hold.
	 *  - Lifetime.  The pointer stays valid until close.
	 */
	const volatile uint32_t *(*map32)(hda_plat *plat, uint32_t off);

	/* Optional (may be NULL): WALCLK without a register access, for a
	 * backend that cannot map WALCLK but can compute it from the clock
	 * the controller itself counts.  Lock-free, no system call beyond
	 * clock_gettime: the audio thread calls it. */
	uint32_t (*wall_clock)(hda_plat *plat);

	/* DMA memory: contiguous in bus space, page aligned, zeroed.
	 * INSUFFICIENT_RESOURCES when none is left. */
	hda_status (*dma_alloc)(hda_plat *plat, size_t size, hda_dma_mem *mem);
	void (*dma_free)(hda_plat *plat, hda_dma_mem *mem); /* accepts empty */

	/* An eventfd (owned by the backend) that becomes readable each time
	 * the controller raises its interrupt line. */
	int (*irq_fd)(hda_plat *plat);

	/* SUCCESS while the device answers; DEVICE_NOT_READY once it is gone
	 * (QEMU died, link lost), and from then on.  Lock-free and cheap (an
	 * atomic load or two, no register access, no system call): the audio
	 * thread calls it on every hda_read_position, so a gone device must
	 * be noticed by whoever sees it go (a reader thread at end of file,
	 * a failed access, the fault switch) and left in a flag here.
	 * bus->dead adds nothing to it: the interrupt thread sets that only
	 * after health has failed. */
	hda_status (*health)(hda_plat *plat);
} hda_plat_ops;

/* The backends this build knows (backends.c). */
const hda_plat_ops *hda_plat_find(const char *scheme, size_t len);
/* Their names, for messages: "emu, qemu". */
const char *hda_plat_names(void);

#endif /* HDA_PLAT_H */
