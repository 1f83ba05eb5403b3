/* SPDX-License-Identifier: MIT */
/*
 * The platform interface: everything the shared driver may touch.  A backend
 * (plat_emu.c, later plat_qemu.c and plat_vfio.c) implements it; the driver
 * never learns which backend it runs on.
 *
 * Like a kernel driver, libhda reaches the controller only through MMIO
 * accesses, DMA-able memory with bus addresses, and an interrupt line.
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

	/* A pointer through which the 32-bit register at off can be read with
	 * a plain load, or NULL when the backend cannot map registers. */
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
