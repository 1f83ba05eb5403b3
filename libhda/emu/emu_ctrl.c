/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller: register file, controller reset, CORB/RIRB and
 * the immediate command interface, interrupts, SSYNC, the model clock and
 * the device thread.  Stream descriptors live in emu_stream.c.
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
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static bool fault_on(const emu_ctrl *c, hda_emu_fault f)
{
	return (__atomic_load_n(&c->faults, __ATOMIC_RELAXED) >> f) & 1u;
}

static uint8_t rd8(const emu_ctrl *c, uint32_t off)
{
	return c->regs[off];
}

static uint16_t rd16(const emu_ctrl *c, uint32_t off)
{
	uint16_t v;

	memcpy(&v, c->regs + off, sizeof(v));
	return v;
}

static uint32_t rd32(const emu_ctrl *c, uint32_t off)
{
	uint32_t v;

	memcpy(&v, c->regs + off, sizeof(v));
	return v;
}

static void wr8(emu_ctrl *c, uint32_t off, uint8_t v)
{
	c->regs[off] = v;
}

static void wr16(emu_ctrl *c, uint32_t off, uint16_t v)
{
	memcpy(c->regs + off, &v, sizeof(v));
}

static void wr32(emu_ctrl *c, uint32_t off, uint32_t v)
{
	memcpy(c->regs + off, &v, sizeof(v));
}

static uint64_t reg64(const emu_ctrl *c, uint32_t lo, uint32_t lo_mask)
{
	return (uint64_t)(rd32(c, lo) & lo_mask) | (uint64_t)rd32(c, lo + 4)
							   << 32;
}

static bool overlaps(uint32_t off, unsigned width, uint32_t reg,
		     unsigned reg_width)
{
	return off < reg + reg_width && reg < off + width;
}

/* The byte of a write of `width` bytes at `off` that lands on `at`. */
static uint8_t written_byte(uint32_t off, uint32_t val, uint32_t at)
{
	return (uint8_t)(val >> (8 * (at - off)));
}

static bool is_mapped(const emu_ctrl *c, uint32_t off)
{
	uint32_t o = off >= HDA_ALIAS_OFFSET ? off - HDA_ALIAS_OFFSET : off;

	if (off >= HDA_MMIO_SIZE)
		return false;
	if (o == HDA_WALCLK)
		return true;
	if (o < HDA_SD_BASE || o >= HDA_SD_OFF(c->n_sd))
		return false;
	return (o - HDA_SD_BASE) % HDA_SD_STRIDE == HDA_SD_LPIB;
}

static emu_sd_env sd_env(emu_ctrl *c)
{
	uint32_t dpl = rd32(c, HDA_DPLBASE);

	return (emu_sd_env){
		.mem = c->mem,
		.codec = c->codec,
		.scratch = c->scratch,
		.posbuf = reg64(c, HDA_DPLBASE, ~(uint32_t)(HDA_BDL_ALIGN - 1)),
		.posbuf_on = (dpl & HDA_DPLBASE_ENABLE) != 0,
		.fifo_config = c->fifo_config,
		.fifos_zero = fault_on(c, HDA_EMU_FAULT_FIFOS_ZERO),
		.fifordy_stuck = fault_on(c, HDA_EMU_FAULT_FIFO_NEVER_READY),
		.posbuf_stale = fault_on(c, HDA_EMU_FAULT_POSBUF_STALE),
	};
}

/* ---- Register layout ------------------------------------------------------ */

static void mask(emu_ctrl *c, uint32_t off, unsigned width, uint32_t rw,
		 uint32_t w1c)
{
	for (unsigned i = 0; i < width; i++) {
		c->rw[off + i] = (uint8_t)(rw >> (8 * i));
		c->w1c[off + i] = (uint8_t)(w1c >> (8 * i));
	}
}

/* Which bits of each register byte software may write (hda-facts 2).
 * Everything not listed is read-only. */
static void masks_init(emu_ctrl *c)
{
	mask(c, HDA_GCTL, 4,
	     HDA_GCTL_CRST | HDA_GCTL_FCNTRL | HDA_GCTL_UNSOL, 0);
	mask(c, HDA_WAKEEN, 2, 0x7FFF, 0);
	mask(c, HDA_STATESTS, 2, 0, 0x7FFF);
	mask(c, HDA_GSTS, 2, 0, 0x0002);
	mask(c, HDA_INTCTL, 4, HDA_INTCTL_GIE | HDA_INTCTL_CIE | c->sd_mask, 0);
	mask(c, HDA_SSYNC, 4, c->sd_mask, 0);
	mask(c, HDA_CORBLBASE, 4, 0xFFFFFF80u, 0);
	mask(c, HDA_CORBUBASE, 4, 0xFFFFFFFFu, 0);
	mask(c, HDA_CORBWP, 2, 0x00FF, 0);
	mask(c, HDA_CORBRP, 2, HDA_CORBRP_RST, 0);
	mask(c, HDA_CORBCTL, 1, HDA_CORBCTL_CMEIE | HDA_CORBCTL_RUN, 0);
	mask(c, HDA_CORBSTS, 1, 0, 0x01);
	mask(c, HDA_RIRBLBASE, 4, 0xFFFFFF80u, 0);
	mask(c, HDA_RIRBUBASE, 4, 0xFFFFFFFFu, 0);
	/* RIRBWP: bit 15 is a write-only strobe, handled on write. */
	mask(c, HDA_RINTCNT, 2, 0x00FF, 0);
	mask(c, HDA_RIRBCTL, 1,
	     HDA_RIRBCTL_INTCTL | HDA_RIRBCTL_DMAEN | HDA_RIRBCTL_OIC, 0);
	mask(c, HDA_RIRBSTS, 1, 0, HDA_RIRBSTS_RINTFL | HDA_RIRBSTS_OIS);
	mask(c, HDA_ICOI, 4, 0xFFFFFFFFu, 0);
	mask(c, HDA_ICIS, 2, HDA_ICIS_BUSY, HDA_ICIS_VALID);
	mask(c, HDA_DPLBASE, 4, 0xFFFFFF80u | HDA_DPLBASE_ENABLE, 0);
	mask(c, HDA_DPUBASE, 4, 0xFFFFFFFFu, 0);

	for (unsigned n = 0; n < c->n_sd; n++) {
		uint32_t b = HDA_SD_OFF(n);
		bool bidir = n >= c->iss + c->oss;
		/* DIR exists on bidirectional engines only. */
		uint32_t ctl = 0x1Fu | HDA_SD_CTL_STRM_MASK | HDA_SD_CTL_TP |
			       (3u << HDA_SD_CTL_STRIPE_SHIFT) |
			       (bidir ? HDA_SD_CTL_DIR : 0);

		mask(c, b + HDA_SD_CTL, 3, ctl, 0);
		mask(c, b + HDA_SD_STS, 1, 0, HDA_SD_STS_INT_MASK);
		mask(c, b + HDA_SD_CBL, 4, 0xFFFFFFFFu, 0);
		mask(c, b + HDA_SD_LVI, 2, 0x00FF, 0);
		mask(c, b + HDA_SD_FMT, 2, 0x7F7F, 0);
		mask(c, b + HDA_SD_BDPL, 4, 0xFFFFFF80u, 0);
		mask(c, b + HDA_SD_BDPU, 4, 0xFFFFFFFFu, 0);
	}
}

/* CBL, LVI, FMT and the BDL address may only be written while the engine
 * is stopped (hda-facts 2); while it runs such writes are ignored. */
static bool locked_while_running(const emu_ctrl *c, uint32_t off)
{
	uint32_t n, r;

	if (off < HDA_SD_BASE || off >= HDA_SD_OFF(c->n_sd))
		return false;
	n = (off - HDA_SD_BASE) / HDA_SD_STRIDE;
	r = (off - HDA_SD_BASE) % HDA_SD_STRIDE;
	if (!c->sd[n].run)
		return false;
	return (r >= HDA_SD_CBL && r < HDA_SD_FIFOW) ||
	       (r >= HDA_SD_FMT && r < HDA_SD_FMT + 2) || r >= HDA_SD_BDPL;
}

static void walclk_store(emu_ctrl *c, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)(c->regs + HDA_WALCLK), v,
			 __ATOMIC_RELEASE);
	__atomic_store_n((uint32_t *)(void *)(c->regs + HDA_ALIAS_OFFSET +
					      HDA_WALCLK),
			 v, __ATOMIC_RELEASE);
}

/* Every register at its reset value, except the free-running wall clock.
 * Used at power-on and when CRST goes to 0. */
static void regs_defaults(emu_ctrl *c)
{
	uint16_t gcap = (uint16_t)(c->oss << 12 | c->iss << 8 | c->bss << 3 |
				   (c->dma64 ? HDA_GCAP_64OK : 0)); /* NSDO 0: one SDO */

	for (uint32_t o = 0; o < HDA_SD_BASE; o++)
		if (o < HDA_WALCLK || o >= HDA_WALCLK + 4)
			c->regs[o] = 0;
	wr16(c, HDA_GCAP, gcap);
	wr8(c, HDA_VMIN, 0x00);
	wr8(c, HDA_VMAJ, 0x01);
	wr16(c, HDA_OUTPAY, 0x3C);
	wr16(c, HDA_INPAY, 0x1D);
	/* 256 entries only: capability bit 6, size field 2. */
	wr8(c, HDA_CORBSIZE, 0x40 | HDA_RINGSIZE_256);
	wr8(c, HDA_RIRBSIZE, 0x40 | HDA_RINGSIZE_256);
	for (unsigned n = 0; n < c->n_sd; n++) {
		emu_sd_reset(&c->sd[n], NULL);
		c->sd[n].in_reset = false;
	}
	c->rirb_count = 0;
	c->crst = false;
}

/* ---- Interrupts ------------------------------------------------------------- */

/*
 * INTSTS is computed, never written by software.  The line is level
 * triggered; the eventfd carries its rising edges.  The driver reads the
 * eventfd and then services until INTSTS shows nothing enabled, so an edge
 * that arrives while it services is never lost: either it saw the new
 * status, or the line dropped and rose again and wrote another edge.
 */
static void irq_update(emu_ctrl *c)
{
	uint32_t intctl = rd32(c, HDA_INTCTL), sts = 0;
	uint8_t rsts = rd8(c, HDA_RIRBSTS), rctl = rd8(c, HDA_RIRBCTL);
	bool sd_line = false, cis, line;

	for (unsigned n = 0; n < c->n_sd; n++) {
		const emu_stream *s = &c->sd[n];

		if (s->regs[HDA_SD_STS] & HDA_SD_STS_INT_MASK)
			sts |= 1u << n;
		if ((intctl & (1u << n)) && emu_sd_irq(s))
			sd_line = true;
	}
	cis = ((rsts & HDA_RIRBSTS_RINTFL) && (rctl & HDA_RIRBCTL_INTCTL)) ||
	      ((rsts & HDA_RIRBSTS_OIS) && (rctl & HDA_RIRBCTL_OIC)) ||
	      ((rd8(c, HDA_CORBSTS) & 0x01) &&
	       (rd8(c, HDA_CORBCTL) & HDA_CORBCTL_CMEIE));
	if (cis)
		sts |= HDA_INTSTS_CIS;
	if (sts)
		sts |= HDA_INTSTS_GIS;
	wr32(c, HDA_INTSTS, sts);

	line = (intctl & HDA_INTCTL_GIE) &&
	       (sd_line || (cis && (intctl & HDA_INTCTL_CIE)));
	if (line && !c->irq_line) {
		uint64_t one = 1;
		ssize_t r = write(c->irq_fd, &one, sizeof(one));

		(void)r; /* EAGAIN only at a counter of 2^64 - 2 */
		c->irq_rises++;
	}
	if (!line && c->irq_line)
		pthread_cond_broadcast(&c->irq_low);
	c->irq_line = line;
}

/* ---- Codec link: CORB, RIRB, immediate commands -------------------------- */

static bool verb_exec(emu_ctrl *c, uint32_t cmd, uint32_t *resp)
{
	/* Only codec address 0 sits on the link. */
	if ((cmd >> 28) != 0 || fault_on(c, HDA_EMU_FAULT_CODEC_SILENT))
		return false;
	return emu_codec_verb(c->codec, cmd & 0x0FFFFFFFu, resp);
}

static void rirb_push(emu_ctrl *c, uint32_t resp, uint32_t ex)
{
	uint64_t base = reg64(c, HDA_RIRBLBASE, 0xFFFFFF80u);
	uint8_t wp = (uint8_t)(rd16(c, HDA_RIRBWP) + 1);
	unsigned intcnt = rd16(c, HDA_RINTCNT) & 0xFF;
	uint8_t *p;

	if (!(rd8(c, HDA_RIRBCTL) & HDA_RIRBCTL_DMAEN))
		return;
	p = emu_mem_ptr(c->mem, base + 8ull * wp, 8);
	if (!p)
		return; /* bus error: the response is lost */
	memcpy(p, &resp, 4);
	memcpy(p + 4, &ex, 4);
	wr16(c, HDA_RIRBWP, wp);
	/* RINTCNT 0 means 256 responses. */
	if (++c->rirb_count >= (intcnt ? intcnt : 256u)) {
		wr8(c, HDA_RIRBSTS, rd8(c, HDA_RIRBSTS) | HDA_RIRBSTS_RINTFL);
		c->rirb_count = 0;
	}
}

/* Unsolicited responses reach the RIRB only while GCTL.UNSOL is set;
 * otherwise the controller drops them. */
static void unsol_deliver(emu_ctrl *c)
{
	uint32_t r;

	while (emu_codec_pop_unsolicited(c->codec, &r))
		if (c->crst && (rd32(c, HDA_GCTL) & HDA_GCTL_UNSOL))
			rirb_push(c, r, 0 | HDA_RIRB_EX_UNSOL);
}

/* Execute CORB entries RP+1..WP now, in the writer's thread: the model's
 * codec answers instantly, so a verb costs the driver one MMIO round. */
static void corb_run(emu_ctrl *c)
{
	uint64_t base = reg64(c, HDA_CORBLBASE, 0xFFFFFF80u);
	uint8_t wp = rd8(c, HDA_CORBWP), rp = rd8(c, HDA_CORBRP);

	if (!(rd8(c, HDA_CORBCTL) & HDA_CORBCTL_RUN) || rp == wp)
		return;
	while (rp != wp) {
		const uint8_t *p;
		uint32_t cmd, resp;

		rp = (uint8_t)(rp + 1);
		wr8(c, HDA_CORBRP, rp);
		p = emu_mem_ptr(c->mem, base + 4ull * rp, 4);
		if (!p) {
			wr8(c, HDA_CORBSTS, 0x01); /* CMEI: memory error */
			continue;
		}
		memcpy(&cmd, p, 4);
		if (verb_exec(c, cmd, &resp))
			rirb_push(c, resp, cmd >> 28);
	}
	unsol_deliver(c);
}

static void icis_written(emu_ctrl *c, uint8_t val)
{
	uint32_t resp;

	if (!(val & HDA_ICIS_BUSY))
		return;
	if (verb_exec(c, rd32(c, HDA_ICOI), &resp)) {
		wr32(c, HDA_ICII, resp);
		wr16(c, HDA_ICIS, rd16(c, HDA_ICIS) | HDA_ICIS_VALID);
	}
	wr16(c, HDA_ICIS, rd16(c, HDA_ICIS) & (uint16_t)~HDA_ICIS_BUSY);
}

/* ---- Controller and stream control ------------------------------------ */

static void gctl_written(emu_ctrl *c, uint8_t val)
{
	bool want = val & HDA_GCTL_CRST;

	/* The fault: CRST keeps its value, the controller its state. */
	if (want == c->crst ||
	    fault_on(c, HDA_EMU_FAULT_CONTROLLER_RESET_STUCK))
		return;
	if (!want) {
		regs_defaults(c); /* CRST reads 0, everything at defaults */
		return;
	}
	c->crst = true;
	/* The codec at address 0 answered the link's initialisation. */
	wr16(c, HDA_STATESTS, rd16(c, HDA_STATESTS) | 0x0001);
}

static void ssync_written(emu_ctrl *c, uint32_t old)
{
	uint32_t now = rd32(c, HDA_SSYNC);
	uint64_t t = c->now_ns;

	/* All streams released by this write join the link at the same model
	 * time, so they start on the same sample. */
	for (unsigned n = 0; n < c->n_sd; n++) {
		uint32_t bit = 1u << n;

		if (!(old & bit) && (now & bit))
			emu_sd_link_off(&c->sd[n]);
		else if ((old & bit) && !(now & bit))
			emu_sd_link_on(&c->sd[n], t);
	}
}

static void sd_ctl_written(emu_ctrl *c, unsigned n, uint8_t val)
{
	emu_stream *s = &c->sd[n];
	emu_sd_env env = sd_env(c);
	bool srst = val & HDA_SD_CTL_SRST;
	bool run = val & HDA_SD_CTL_RUN;
	bool shown = srst;

	if (srst != s->in_reset) {
		if (srst)
			emu_sd_reset(s, &env);
		s->in_reset = srst;
		/* The fault: the engine obeys, the bit never acknowledges a
		 * change, so the driver's bounded poll must time out. */
		if (fault_on(c, HDA_EMU_FAULT_STREAM_RESET_STUCK))
			shown = !srst;
	}
	s->regs[0] = (uint8_t)((s->regs[0] & ~HDA_SD_CTL_SRST) |
			       (shown ? HDA_SD_CTL_SRST : 0));

	if (s->in_reset)
		run = false;
	if (run && !s->run) {
		if (emu_sd_start(s, &env) &&
		    !(rd32(c, HDA_SSYNC) & (1u << n)))
			emu_sd_link_on(s, c->now_ns);
	} else if (!run && s->run) {
		emu_sd_stop(s);
	}
	s->regs[0] = (uint8_t)((s->regs[0] & ~HDA_SD_CTL_RUN) |
			       (s->run ? HDA_SD_CTL_RUN : 0));
}

static void posbuf_all(emu_ctrl *c)
{
	emu_sd_env env = sd_env(c);

	for (unsigned n = 0; n < c->n_sd; n++)
		emu_sd_posbuf_update(&c->sd[n], &env);
}

/* Side effects of a write whose bytes are already stored. */
static void write_effects(emu_ctrl *c, uint32_t off, unsigned width,
			  uint32_t val, uint32_t old_ssync)
{
	if (overlaps(off, width, HDA_GCTL, 1)) {
		gctl_written(c, written_byte(off, val, HDA_GCTL));
		if (!c->crst)
			return;
	}
	if (overlaps(off, width, HDA_CORBRP + 1, 1) &&
	    (written_byte(off, val, HDA_CORBRP + 1) & 0x80))
		wr8(c, HDA_CORBRP, 0); /* RP reset; bit 15 reads back 1 */
	if (overlaps(off, width, HDA_CORBWP, 1) ||
	    overlaps(off, width, HDA_CORBCTL, 1))
		corb_run(c);
	if (overlaps(off, width, HDA_RIRBWP + 1, 1) &&
	    (written_byte(off, val, HDA_RIRBWP + 1) & 0x80)) {
		wr16(c, HDA_RIRBWP, 0);
		c->rirb_count = 0;
	}
	if (overlaps(off, width, HDA_ICIS, 1))
		icis_written(c, written_byte(off, val, HDA_ICIS));
	if (overlaps(off, width, HDA_SSYNC, 4))
		ssync_written(c, old_ssync);
	if (overlaps(off, width, HDA_DPLBASE, 8))
		posbuf_all(c);

	if (off + width <= HDA_SD_BASE || off >= HDA_SD_OFF(c->n_sd))
		return;
	for (unsigned n = 0; n < c->n_sd; n++) {
		uint32_t b = HDA_SD_OFF(n);

		if (!overlaps(off, width, b, HDA_SD_STRIDE))
			continue;
		if (overlaps(off, width, b + HDA_SD_FMT, 2) && !c->sd[n].run) {
			emu_sd_env env = sd_env(c);

			emu_sd_fmt_written(&c->sd[n], &env);
		}
		if (overlaps(off, width, b + HDA_SD_CTL, 1))
			sd_ctl_written(c, n, written_byte(off, val, b));
	}
}

static void reg_write(emu_ctrl *c, uint32_t off, uint32_t val, unsigned width)
{
	uint32_t old_ssync;

	/* The alias page is read-only; anything past the BAR is not ours. */
	if (off >= REG_SPACE || width > REG_SPACE - off)
		return;
	pthread_mutex_lock(&c->lock);
	if (fault_on(c, HDA_EMU_FAULT_DEVICE_GONE))
		goto out;
	/* In controller reset only GCTL.CRST responds. */
	if (!c->crst && !overlaps(off, width, HDA_GCTL, 1))
		goto out;
	old_ssync = rd32(c, HDA_SSYNC);

	for (unsigned i = 0; i < width; i++) {
		uint32_t o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i)), rw = c->rw[o];
		uint8_t cur = c->regs[o], nv;

		if (!c->crst)
			rw = o == HDA_GCTL ? HDA_GCTL_CRST : 0;
		if (o == HDA_GCTL &&
		    fault_on(c, HDA_EMU_FAULT_CONTROLLER_RESET_STUCK))
			rw &= (uint8_t)~HDA_GCTL_CRST; /* CRST stays as it was */
		if (c->crst && locked_while_running(c, o))
			continue;
		nv = (uint8_t)((cur & ~rw) | (b & rw));
		nv &= (uint8_t)~(b & (c->w1c[o] & (c->crst ? 0xFF : 0)));
		/* Store only real changes: read-only words such as LPIB are
		 * read lock-free and must see only the device's stores. */
		if (nv != cur)
			c->regs[o] = nv;
	}
	write_effects(c, off, width, val, old_ssync);
	irq_update(c);
out:
	pthread_mutex_unlock(&c->lock);
}

/* ---- Device step --------------------------------------------------------- */

/* WALCLK = floor(now_ns * 24e6 / 1e9) = floor(now_ns * 3 / 125), split so
 * that it is exact without overflow for any now_ns; wraps at 2^32 ticks
 * (about 179 s, hda-facts 8.3). */
static uint32_t walclk_at(uint64_t now_ns)
{
	return (uint32_t)((now_ns / 125) * 3 + (now_ns % 125) * 3 / 125);
}

static void device_step(emu_ctrl *c, uint64_t now_ns)
{
	emu_sd_env env;

	__atomic_store_n(&c->now_ns, now_ns, __ATOMIC_RELEASE);
	/* A device that is gone does nothing; mapped words keep their last
	 * values. */
	if (fault_on(c, HDA_EMU_FAULT_DEVICE_GONE))
		return;
	walclk_store(c, walclk_at(now_ns));
	if (c->crst) {
		env = sd_env(c);
		/* Outputs first: what the line-out plays this step is what
		 * a loopback source captures this step. */
		for (unsigned n = 0; n < c->n_sd; n++)
			if (c->sd[n].run && c->sd[n].output)
				emu_sd_step(&c->sd[n], &env, now_ns);
		for (unsigned n = 0; n < c->n_sd; n++)
			if (c->sd[n].run && !c->sd[n].output)
				emu_sd_step(&c->sd[n], &env, now_ns);
	}
	emu_codec_step_end(c->codec);
	unsol_deliver(c);
	irq_update(c);
}

/*
 * Real-time clock: one tick every tick_ns of CLOCK_MONOTONIC, on absolute
 * deadlines so that sleep overshoot never accumulates.  The model time of
 * a step is the clock reading, not the deadline: if the thread was late the
 * link simply carries more frames in that step, exactly as much as the
 * elapsed time demands.  Missed ticks are skipped, not replayed.
 */
static void *device_thread(void *arg)
{
	emu_ctrl *c = arg;
	uint64_t next = c->tick_ns;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		uint64_t abs = c->created_mono_ns + next, now;
		struct timespec ts = {.tv_sec = (time_t)(abs / NS_PER_S),
				      .tv_nsec = (long)(abs % NS_PER_S)};

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		now = mono_ns() - c->created_mono_ns;
		pthread_mutex_lock(&c->lock);
		if (now > c->now_ns)
			device_step(c, now);
		pthread_mutex_unlock(&c->lock);
		next += c->tick_ns;
		if (next <= now)
			next = (now / c->tick_ns + 1) * c->tick_ns;
	}
	return NULL;
}

/* ---- Configuration check ------------------------------------------------- */

static hda_status config_check(const emu_ctrl_config *cfg, char *err,
			       size_t errlen)
{
	unsigned total = cfg->iss + cfg->oss + cfg->bss;

	if (cfg->iss > 15 || cfg->oss > 15 || cfg->bss > 15 || total < 1 ||
	    total > HDA_SD_MAX) {
		emu_set_err(err, errlen, "emu: bad engine counts %u/%u/%u",
			cfg->iss, cfg->oss, cfg->bss);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->tick_us < 100 || cfg->tick_us > 100000) {
		emu_set_err(err, errlen, "emu: tick_us %u out of 100..100000",
			cfg->tick_us);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->fifo_bytes < 4 || cfg->fifo_bytes > EMU_SD_FIFO_MAX) {
		emu_set_err(err, errlen, "emu: fifo %u out of 4..%u",
			cfg->fifo_bytes, EMU_SD_FIFO_MAX);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->dma_bytes < HDA_PAGE_SIZE) {
		emu_set_err(err, errlen, "emu: DMA memory below one page");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->faults >> HDA_EMU_FAULT_COUNT) {
		emu_set_err(err, errlen, "emu: unknown fault bits 0x%x",
			cfg->faults);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	return HDA_STATUS_SUCCESS;
}

/* ---- Life cycle --------------------------------------------------------- */

static int cond_init_mono(pthread_cond_t *cond)
{
	pthread_condattr_t a;
	int r;

	r = pthread_condattr_init(&a);
	if (r)
		return r;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(cond, &a);
	pthread_condattr_destroy(&a);
	return r;
}

static int thread_start(emu_ctrl *c)
{
	sigset_t all, old;
	int r;

	/* The device thread must not take the application's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&c->thread, NULL, device_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		c->thread_started = true;
	return -r;
}

hda_status emu_ctrl_create(const emu_ctrl_config *config, emu_ctrl **ctrl,
			   char *err, size_t errlen)
{
	emu_ctrl *c;
	hda_status st;

	if (!config || !ctrl)
		return HDA_STATUS_INVALID_PARAMETER;
	st = config_check(config, err, errlen);
	if (st)
		return st;

	c = calloc(1, sizeof(*c));
	if (!c)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	c->irq_fd = -1;
	c->iss = config->iss;
	c->oss = config->oss;
	c->bss = config->bss;
	c->n_sd = c->iss + c->oss + c->bss;
	c->sd_mask = (uint32_t)((1ull << c->n_sd) - 1);
	c->manual = config->manual_clock;
	c->map_regs = config->map_regs;
	c->dma64 = config->dma64;
	c->tick_ns = (uint64_t)config->tick_us * NS_PER_US;
	c->fifo_config = config->fifo_bytes;
	c->faults = config->faults;
	c->irq_wait_ns = (uint64_t)config->irq_wait_ms * 1000000ull;

	st = HDA_STATUS_INSUFFICIENT_RESOURCES;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto fail_mutex;
	if (cond_init_mono(&c->irq_low) != 0)
		goto fail;
	c->irq_cond_ok = true;
	c->scratch = malloc(EMU_SD_SCRATCH_BYTES);
	if (!c->scratch) {
		emu_set_err(err, errlen, "emu: out of memory");
		goto fail;
	}
	st = emu_mem_create(config->dma_bytes, config->dma_low_bytes, &c->mem);
	if (st) {
		emu_set_err(err, errlen,
			    "emu: cannot map %zu bytes of DMA memory",
			    config->dma_bytes);
		goto fail;
	}
	st = emu_codec_create(&config->codec, &c->codec, err, errlen);
	if (st)
		goto fail;
	c->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->irq_fd < 0) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		emu_set_err(err, errlen, "emu: eventfd: %s", strerror(errno));
		goto fail;
	}

	for (unsigned n = 0; n < c->n_sd; n++) {
		uint32_t lpib = HDA_SD_OFF(n) + HDA_SD_LPIB;

		emu_sd_init(&c->sd[n], n, n >= c->iss + c->oss,
			    n >= c->iss && n < c->iss + c->oss,
			    c->regs + HDA_SD_OFF(n),
			    (uint32_t *)(void *)(c->regs + HDA_ALIAS_OFFSET +
						 lpib));
	}
	masks_init(c);
	/* Power-on: the controller sits in reset (CRST = 0) until the
	 * driver's bring-up takes it out. */
	regs_defaults(c);
	c->created_mono_ns = mono_ns();
	walclk_store(c, 0);

	if (!c->manual && thread_start(c) != 0) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		emu_set_err(err, errlen, "emu: cannot start the device thread");
		goto fail;
	}
	*ctrl = c;
	return HDA_STATUS_SUCCESS;

fail:
	if (c->irq_fd >= 0)
		close(c->irq_fd);
	emu_codec_destroy(c->codec);
	emu_mem_destroy(c->mem);
	free(c->scratch);
	if (c->irq_cond_ok)
		pthread_cond_destroy(&c->irq_low);
	pthread_mutex_destroy(&c->lock);
fail_mutex:
	free(c);
	return st;
}

void emu_ctrl_destroy(emu_ctrl *ctrl)
{
	if (!ctrl)
		return;
	if (ctrl->thread_started) {
		/* The thread notices at its next tick (at most tick_us). */
		__atomic_store_n(&ctrl->stop, true, __ATOMIC_RELEASE);
		pthread_join(ctrl->thread, NULL);
	}
	emu_codec_destroy(ctrl->codec);
	emu_mem_destroy(ctrl->mem);
	if (ctrl->irq_fd >= 0)
		close(ctrl->irq_fd);
	free(ctrl->scratch);
	pthread_cond_destroy(&ctrl->irq_low);
	pthread_mutex_destroy(&ctrl->lock);
	free(ctrl);
}

/* ---- MMIO ---------------------------------------------------------------- */

static uint32_t reg_read(emu_ctrl *c, uint32_t off, unsigned width)
{
	uint32_t v = 0;

	if (fault_on(c, HDA_EMU_FAULT_DEVICE_GONE))
		return 0xFFFFFFFFu >> (32 - 8 * width);
	if (off >= HDA_MMIO_SIZE || width > HDA_MMIO_SIZE - off)
		return 0;
	if (width == 4 && is_mapped(c, off))
		return __atomic_load_n((uint32_t *)(void *)(c->regs + off),
				       __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&c->lock);
	memcpy(&v, c->regs + off, width);
	pthread_mutex_unlock(&c->lock);
	return v;
}

uint8_t emu_ctrl_read8(emu_ctrl *ctrl, uint32_t off)
{
	return (uint8_t)reg_read(ctrl, off, 1);
}

uint16_t emu_ctrl_read16(emu_ctrl *ctrl, uint32_t off)
{
	return (uint16_t)reg_read(ctrl, off, 2);
}

uint32_t emu_ctrl_read32(emu_ctrl *ctrl, uint32_t off)
{
	return reg_read(ctrl, off, 4);
}

void emu_ctrl_write8(emu_ctrl *ctrl, uint32_t off, uint8_t val)
{
	reg_write(ctrl, off, val, 1);
}

void emu_ctrl_write16(emu_ctrl *ctrl, uint32_t off, uint16_t val)
{
	reg_write(ctrl, off, val, 2);
}

void emu_ctrl_write32(emu_ctrl *ctrl, uint32_t off, uint32_t val)
{
	reg_write(ctrl, off, val, 4);
}

const volatile uint32_t *emu_ctrl_map32(emu_ctrl *ctrl, uint32_t off)
{
	/* Without map_regs the lock-free words still exist; only the
	 * pointers are refused, so MMIO reads keep their cost and meaning. */
	if (!ctrl || !ctrl->map_regs || !is_mapped(ctrl, off))
		return NULL;
	return (const volatile uint32_t *)(const void *)(ctrl->regs + off);
}

emu_mem *emu_ctrl_mem(emu_ctrl *ctrl)
{
	return ctrl->mem;
}

int emu_ctrl_irq_fd(emu_ctrl *ctrl)
{
	return ctrl->irq_fd;
}

bool emu_ctrl_gone(emu_ctrl *ctrl)
{
	return fault_on(ctrl, HDA_EMU_FAULT_DEVICE_GONE);
}

/* ---- Model control and ground truth --------------------------------------- */

uint64_t emu_ctrl_now_ns(emu_ctrl *ctrl)
{
	return __atomic_load_n(&ctrl->now_ns, __ATOMIC_ACQUIRE);
}

/*
 * In real time the interrupt handler has a tick of real time to clear the
 * status before the next IOC; back-to-back manual steps would give it none,
 * and IOCs would merge into one level (as on hardware whose handler is
 * late).  So after a step that raised the line, wait (bounded, lock
 * released) for the handler to lower it.  Caller holds the lock.
 */
static void irq_handoff(emu_ctrl *c)
{
	uint64_t abs = mono_ns() + c->irq_wait_ns;
	struct timespec ts = {.tv_sec = (time_t)(abs / NS_PER_S),
			      .tv_nsec = (long)(abs % NS_PER_S)};

	while (c->irq_line && !fault_on(c, HDA_EMU_FAULT_DEVICE_GONE))
		if (pthread_cond_timedwait(&c->irq_low, &c->lock, &ts) ==
		    ETIMEDOUT)
			break;
}

/* Manual clock: step in ticks of at most tick_us, as the device thread
 * would, so that loopback latency, IOC timing and interrupts look the same
 * as in real time.  The lock is dropped between ticks so that the driver's
 * interrupt thread can service in between. */
hda_status emu_ctrl_advance(emu_ctrl *ctrl, uint64_t ns)
{
	if (!ctrl->manual)
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	while (ns > 0) {
		uint64_t d = ns < ctrl->tick_ns ? ns : ctrl->tick_ns;
		uint64_t rises;

		pthread_mutex_lock(&ctrl->lock);
		rises = ctrl->irq_rises;
		device_step(ctrl, ctrl->now_ns + d);
		if (ctrl->irq_wait_ns && ctrl->irq_rises != rises)
			irq_handoff(ctrl);
		pthread_mutex_unlock(&ctrl->lock);
		ns -= d;
	}
	return HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_stream_truth(emu_ctrl *ctrl, unsigned sd_index,
				 hda_emu_stream_truth *truth)
{
	if (!truth || sd_index >= ctrl->n_sd)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	emu_sd_truth(&ctrl->sd[sd_index], truth);
	pthread_mutex_unlock(&ctrl->lock);
	return HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_converter_frames(emu_ctrl *ctrl, uint8_t nid,
				     uint64_t *frames)
{
	hda_status st;

	if (!frames)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	st = emu_codec_converter_frames(ctrl->codec, nid, frames);
	pthread_mutex_unlock(&ctrl->lock);
	return st;
}

hda_status emu_ctrl_inject_fault(emu_ctrl *ctrl, hda_emu_fault fault,
				 bool on)
{
	if ((unsigned)fault >= HDA_EMU_FAULT_COUNT)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	if (on)
		__atomic_or_fetch(&ctrl->faults, 1u << fault, __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&ctrl->faults, ~(1u << fault),
				   __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctrl->lock);
	return HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_sink_error(emu_ctrl *ctrl, uint8_t nid, char *msg,
			       size_t len)
{
	const char *e = NULL;
	hda_status st;

	if (!msg || !len)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	st = emu_codec_sink_error(ctrl->codec, nid, &e);
	snprintf(msg, len, "%s", e ? e : "");
	pthread_mutex_unlock(&ctrl->lock);
	if (st)
		return st;
	return e ? HDA_STATUS_UNSUCCESSFUL : HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_set_jack(emu_ctrl *ctrl, uint8_t nid, bool present)
{
	hda_status st;

	pthread_mutex_lock(&ctrl->lock);
	st = emu_codec_set_jack(ctrl->codec, nid, present);
	pthread_mutex_unlock(&ctrl->lock);
	return st;
}
