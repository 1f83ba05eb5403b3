/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller's register file: which bits software may write,
 * the reset values, MMIO reads and writes, and what a write does
 * (controller reset, the command rings' strobes, SSYNC, stream control).
 */
#include "emu_ctrl.h"

/* ---- Small helpers ------------------------------------------------------- */

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

emu_sd_env emu_ctrl_sd_env(emu_ctrl *c)
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
		.dma_starved = fault_on(c, HDA_EMU_FAULT_FIFO_ERROR),
		.bdl_unreadable = fault_on(c, HDA_EMU_FAULT_BDL_UNREADABLE),
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
void emu_regs_masks_init(emu_ctrl *c)
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

void emu_walclk_store(emu_ctrl *c, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)(c->regs + HDA_WALCLK), v,
			 __ATOMIC_RELEASE);
	__atomic_store_n((uint32_t *)(void *)(c->regs + HDA_ALIAS_OFFSET +
					      HDA_WALCLK),
			 v, __ATOMIC_RELEASE);
}

/* Every register at its reset value, except the free-running wall clock.
 * Used at power-on and when CRST goes to 0. */
void emu_regs_defaults(emu_ctrl *c)
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

/* ---- Controller and stream control ------------------------------------ */

static void gctl_written(emu_ctrl *c, uint8_t val)
{
	bool want = val & HDA_GCTL_CRST;

	/* The fault: CRST keeps its value, the controller its state. */
	if (want == c->crst ||
	    fault_on(c, HDA_EMU_FAULT_CONTROLLER_RESET_STUCK))
		return;
	if (!want) {
		emu_regs_defaults(c); /* CRST reads 0, everything at defaults */
		return;
	}
	c->crst = true;
	/* The codec at address 0 answered the link's initialisation. */
	wr16(c, HDA_STATESTS, rd16(c, HDA_STATESTS) | 0x0001);
}

static void ssync_written(emu_ctrl *c, uint32_t old)
{
	uint32_t now = rd32(c, HDA_SSYNC), joined = 0;
	uint64_t t = c->now_ns;

	/* All streams released by this write join the link at the same model
	 * time, so they start on the same sample. */
	for (unsigned n = 0; n < c->n_sd; n++) {
		uint32_t bit = 1u << n;

		if (!(old & bit) && (now & bit))
			emu_sd_link_off(&c->sd[n]);
		else if ((old & bit) && !(now & bit) && c->sd[n].run) {
			emu_sd_link_on(&c->sd[n], t);
			joined |= bit;
		}
	}
	/* The truth file gets the state they joined with (link 0 after a
	 * reset; a render FIFO already full) at this write's model time:
	 * a reader may see it before the next step. */
	emu_truth_step(c->truth, c->sd, c->n_sd, t, joined);
}

static void sd_ctl_written(emu_ctrl *c, unsigned n, uint8_t val)
{
	emu_stream *s = &c->sd[n];
	emu_sd_env env = emu_ctrl_sd_env(c);
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
		    !(rd32(c, HDA_SSYNC) & (1u << n))) {
			emu_sd_link_on(s, c->now_ns);
			emu_truth_step(c->truth, c->sd, c->n_sd, c->now_ns,
				       1u << n);
		}
	} else if (!run && s->run) {
		emu_sd_stop(s);
	}
	s->regs[0] = (uint8_t)((s->regs[0] & ~HDA_SD_CTL_RUN) |
			       (s->run ? HDA_SD_CTL_RUN : 0));
}

static void posbuf_all(emu_ctrl *c)
{
	emu_sd_env env = emu_ctrl_sd_env(c);

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
		emu_corb_run(c);
	if (overlaps(off, width, HDA_RIRBWP + 1, 1) &&
	    (written_byte(off, val, HDA_RIRBWP + 1) & 0x80)) {
		wr16(c, HDA_RIRBWP, 0);
		c->rirb_count = 0;
	}
	if (overlaps(off, width, HDA_ICIS, 1))
		emu_icis_written(c, written_byte(off, val, HDA_ICIS));
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
			emu_sd_env env = emu_ctrl_sd_env(c);

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
	emu_irq_update(c);
out:
	pthread_mutex_unlock(&c->lock);
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
