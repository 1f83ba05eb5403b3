/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller's state, shared by the files that model it:
 *   emu_ctrl.c   life cycle, configuration check, faults and the public
 *                ground-truth API
 *   emu_regs.c   register file: masks, reset values, MMIO, and what a write
 *                does (controller reset, SSYNC, stream control)
 *   emu_corb.c   codec link: CORB, RIRB, immediate commands, unsolicited
 *                responses, and the interrupt line
 *   emu_clock.c  model time: device steps, the device thread, the manual
 *                clock
 *   emu_truth.c  the truth=PATH file: each step's ground truth, for a
 *                reader outside the process
 * Stream descriptors live in emu_stream.c.  Nothing outside these files
 * includes this header; the rest of the emulator uses emu.h.
 *
 * Locking.  All model state is under one mutex: MMIO from the driver's
 * threads and device steps (device thread, or emu_ctrl_advance's caller)
 * serialise on it.  The exceptions are WALCLK and SDnLPIB (and their alias
 * words): the device stores them with release atomics and emu_ctrl_read32 /
 * emu_ctrl_map32 readers load them without the lock, so an audio thread can
 * read positions while the control thread holds the lock for seconds of
 * verb traffic.  The interrupt eventfd is written under the mutex: it is
 * non-blocking and its 64-bit counter cannot overflow in practice.
 *
 * Model time.  now_ns advances only in device steps (ticks).  A register
 * write acts at the model time of the last step, so "the device sample" on
 * which SSYNC releases streams is well defined and identical for all streams
 * released by one write.
 */
#ifndef HDA_EMU_CTRL_H
#define HDA_EMU_CTRL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "emu.h"
#include "emu_stream.h"
#include "hda_regs.h"


/* The register file is a little-endian byte array accessed with host
 * loads and stores, and handed out through emu_ctrl_map32. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the emulated controller assumes a little-endian host"
#endif

#define NS_PER_US 1000ull
#define NS_PER_S 1000000000ull
#define REG_SPACE HDA_ALIAS_OFFSET /* writable page; the alias page is RO */

typedef struct emu_truth emu_truth; /* emu_truth.c */

struct emu_ctrl {
	pthread_mutex_t lock;
	unsigned iss, oss, bss, n_sd;
	uint32_t sd_mask; /* one bit per stream descriptor */
	bool manual;
	bool map_regs;    /* emu_ctrl_map32 hands out pointers */
	bool dma64;       /* GCAP.64OK */
	uint64_t tick_ns;
	unsigned fifo_config;

	emu_mem *mem;
	emu_codec *codec;
	emu_truth *truth; /* truth=PATH, or NULL */
	int irq_fd;
	bool irq_line;
	uint64_t irq_rises;       /* rising edges so far */
	uint64_t irq_wait_ns;     /* manual clock: see emu_ctrl_config */
	pthread_cond_t irq_low;   /* signalled when the line drops */
	bool irq_cond_ok;
	uint8_t *scratch;

	uint32_t faults;  /* bit per hda_emu_fault; atomic for lock-free reads */
	bool crst;        /* out of controller reset */
	unsigned rirb_count; /* responses since RINTFL was last raised */
	uint64_t now_ns;  /* model time of the last step; atomic */
	uint64_t created_mono_ns;

	pthread_t thread;
	bool thread_started;
	bool stop;        /* atomic: ask the device thread to exit */

	emu_stream sd[HDA_SD_MAX];
	uint8_t rw[REG_SPACE];  /* writable bits per register byte */
	uint8_t w1c[REG_SPACE]; /* write-1-to-clear bits per register byte */
	_Alignas(8) uint8_t regs[HDA_MMIO_SIZE];
};

/* ---- Small helpers ------------------------------------------------------- */

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline bool fault_on(const emu_ctrl *c, hda_emu_fault f)
{
	return (__atomic_load_n(&c->faults, __ATOMIC_RELAXED) >> f) & 1u;
}

static inline uint8_t rd8(const emu_ctrl *c, uint32_t off)
{
	return c->regs[off];
}

static inline uint16_t rd16(const emu_ctrl *c, uint32_t off)
{
	uint16_t v;

	memcpy(&v, c->regs + off, sizeof(v));
	return v;
}

static inline uint32_t rd32(const emu_ctrl *c, uint32_t off)
{
	uint32_t v;

	memcpy(&v, c->regs + off, sizeof(v));
	return v;
}

static inline void wr8(emu_ctrl *c, uint32_t off, uint8_t v)
{
	c->regs[off] = v;
}

static inline void wr16(emu_ctrl *c, uint32_t off, uint16_t v)
{
	memcpy(c->regs + off, &v, sizeof(v));
}

static inline void wr32(emu_ctrl *c, uint32_t off, uint32_t v)
{
	memcpy(c->regs + off, &v, sizeof(v));
}

static inline uint64_t reg64(const emu_ctrl *c, uint32_t lo, uint32_t lo_mask)
{
	return (uint64_t)(rd32(c, lo) & lo_mask) | (uint64_t)rd32(c, lo + 4)
							   << 32;
}

/* ---- Shared between the controller's files ------------------------------ */

/* emu_regs.c.  Caller holds the lock (or owns c before it is shared). */
void emu_regs_masks_init(emu_ctrl *c);
void emu_regs_defaults(emu_ctrl *c);
void emu_walclk_store(emu_ctrl *c, uint32_t v);
/* What a stream needs from the controller for one call. */
emu_sd_env emu_ctrl_sd_env(emu_ctrl *c);

/* emu_corb.c.  Caller holds the lock. */
void emu_irq_update(emu_ctrl *c);
void emu_corb_run(emu_ctrl *c);
void emu_icis_written(emu_ctrl *c, uint8_t val);
void emu_unsol_deliver(emu_ctrl *c);

/* emu_truth.c: the truth=PATH file (hda_emu.h has its format).  open names
 * the file in err when it cannot create it; step appends the records of
 * the engines in `mask` that are on the link, at model time now_ns: every
 * device step, and a write that puts an engine on the link (caller holds
 * the lock); close accepts NULL. */
hda_status emu_truth_open(const char *path, emu_truth **truth, char *err,
			  size_t errlen);
void emu_truth_step(emu_truth *t, const emu_stream *sd, unsigned n_sd,
		    uint64_t now_ns, uint32_t mask);
void emu_truth_close(emu_truth *t);

/* emu_clock.c: start the device thread (real-time clock); 0 or -errno. */
int emu_clock_thread_start(emu_ctrl *c);

#endif /* HDA_EMU_CTRL_H */