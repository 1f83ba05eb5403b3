/* SPDX-License-Identifier: MIT */
/*
 * The qemu backend's internals, shared by its files (never by the driver):
 *   plat_qemu.c  options, open and close, DMA memory, the ops table and the
 *                public hda_qemu.h routines
 *   qemu_proc.c  the QEMU process: its firmware, its command line, its launch
 *                from a keeper thread, its exit
 *   qemu_regs.c  the device: PCI config space, MMIO over qtest and what a
 *                failed exchange means, interrupts, the LPIB mapping, and the
 *                computed WALCLK
 */
#ifndef HDA_QEMU_INTERNAL_H
#define HDA_QEMU_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "dma_pool.h"
#include "plat.h"
#include "qtest.h"

typedef struct qemu_opts {
	char controller[8];
	char codec[16];
	char machine[8];
	char wav[1024];
	char binary[1024];
	unsigned rate;
	unsigned mem_mb;
	unsigned timeout_ms;
} qemu_opts;

struct hda_plat {
	qemu_opts o;
	char dir[64];
	pid_t pid; /* reaped by the control thread (qemu_child_exited, qemu_close) */
	bool exec_failed; /* the child could not exec QEMU */
	/* The thread QEMU was forked from, alive until QEMU is reaped (see
	 * keeper_main, qemu_proc.c); keeper_stop under keeper_lock tells it to
	 * end. */
	pthread_t keeper;
	bool keeper_running, keeper_stop;
	pthread_mutex_t keeper_lock;
	pthread_cond_t keeper_cond;
	int irq_fd;
	qtest *qt;
	uint8_t *ram;
	size_t ram_size;
	hda_dma_pool *pool;
	uint64_t bar0;
	int irq_line;
	unsigned pci_dev; /* the controller's device number on bus 0 */
	hda_plat_info info; /* read from its config space at open */
	atomic_bool gone;
	/* DMA position buffer, as the driver programmed it (see map32) */
	uint32_t dplbase, dpubase;
	/* The calibration: [31:0] WALCLK - CLOCK_MONOTONIC in 24 MHz ticks
	 * modulo 2^32, [63:32] its uncertainty in ticks (half the round trip
	 * it was measured in).  One atomic word and not a sequence-counted
	 * pair: an audio thread that preempted qemu_calibrate() mid-update on
	 * the same CPU would spin on the pair forever, and the word is never
	 * torn. */
	_Atomic uint64_t wc_cal;
};

/* ---- time -------------------------------------------------------------- */

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- qemu_proc.c ---------------------------------------------------------- */
hda_status qemu_write_bios(const char *path);
/* Start QEMU (from the keeper thread) with the qtest socket, guest RAM file
 * and BIOS image at these paths. */
hda_status qemu_spawn(hda_plat *p, const char *sock, const char *ram,
		      const char *bios);
/* End the keeper thread; only once QEMU is reaped. */
void qemu_keeper_stop(hda_plat *p);
/* Reap QEMU if it exited (control thread only); true when it is gone. */
bool qemu_child_exited(hda_plat *p);
hda_status qemu_await_connection(hda_plat *p, int lfd, int *cfd, char *err,
				 size_t errlen);

/* ---- qemu_regs.c ---------------------------------------------------------- */
void qemu_on_irq(void *ctx, bool raise, int line); /* qtest's IRQ callback */
int qemu_cfg_read(hda_plat *p, unsigned dev, unsigned reg, uint32_t *val);
hda_status qemu_pci_setup(hda_plat *p);
uint8_t qemu_read8(hda_plat *p, uint32_t off);
uint16_t qemu_read16(hda_plat *p, uint32_t off);
uint32_t qemu_read32(hda_plat *p, uint32_t off);
void qemu_write8(hda_plat *p, uint32_t off, uint8_t val);
void qemu_write16(hda_plat *p, uint32_t off, uint16_t val);
void qemu_write32(hda_plat *p, uint32_t off, uint32_t val);
void qemu_calibrate(hda_plat *p);
uint32_t qemu_wall_clock(hda_plat *p);
/* The uncertainty of the last calibration, in ticks. */
uint32_t qemu_wall_clock_error(hda_plat *p);
void qemu_info(hda_plat *p, hda_plat_info *info);
const volatile uint32_t *qemu_map32(hda_plat *p, uint32_t off);
hda_status qemu_health(hda_plat *p);

#endif
