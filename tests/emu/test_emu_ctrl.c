/* SPDX-License-Identifier: MIT */
/*
 * White-box tests of the emulated controller through emu_ctrl_* (no
 * driver).  Manual clock throughout: every position is computed from the
 * model time the test advanced, so the tests are exact and never sleep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu.h"
#include "hda_regs.h"

#define MS 1000000ull
#define SD_IN0 0u  /* first input engine with the default 4/4/0 */
#define SD_OUT0 4u /* first output engine */

/* ---- Helpers ------------------------------------------------------------ */

static emu_ctrl *make_irq(const char *opts, unsigned irq_wait_ms)
{
	emu_ctrl_config cfg;
	emu_ctrl *c = NULL;
	char err[256] = "";

	emu_ctrl_config_default(&cfg);
	assert_int_equal(emu_ctrl_config_parse(opts, &cfg, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	/* No interrupt handler here: the tests read INTSTS themselves. */
	cfg.irq_wait_ms = irq_wait_ms;
	assert_int_equal(emu_ctrl_create(&cfg, &c, err, sizeof(err)),
			 HDA_STATUS_SUCCESS);
	emu_ctrl_config_release(&cfg);
	assert_non_null(c);
	return c;
}

static emu_ctrl *make(const char *opts)
{
	return make_irq(opts, 0);
}

static void bring_up(emu_ctrl *c)
{
	emu_ctrl_write32(c, HDA_GCTL, HDA_GCTL_CRST);
	assert_int_equal(emu_ctrl_read32(c, HDA_GCTL) & HDA_GCTL_CRST,
			 HDA_GCTL_CRST);
}

static uint64_t dma(emu_ctrl *c, size_t size, uint8_t **host)
{
	void *h = NULL;
	uint64_t bus = 0;

	assert_int_equal(emu_mem_alloc(emu_ctrl_mem(c), size, &h, &bus),
			 HDA_STATUS_SUCCESS);
	*host = h;
	return bus;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Drain the interrupt eventfd: the number of rising edges so far. */
static uint64_t irq_edges(emu_ctrl *c)
{
	uint64_t v = 0;

	if (read(emu_ctrl_irq_fd(c), &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

typedef struct sd_prog {
	uint8_t *data;
	uint64_t data_bus;
	uint8_t *bdl;
	uint32_t cbl;
} sd_prog;

/* Program stream n with one BDL entry per length (IOC where ioc has the
 * entry's bit), data filled with a byte pattern, stream tag `tag`. */
static sd_prog sd_setup(emu_ctrl *c, unsigned n, uint16_t fmt,
			const uint32_t *lens, unsigned count, uint32_t ioc,
			uint8_t tag)
{
	uint32_t base = HDA_SD_OFF(n), off = 0;
	uint64_t bdl_bus;
	sd_prog p = {0};

	for (unsigned i = 0; i < count; i++)
		p.cbl += lens[i];
	p.data_bus = dma(c, p.cbl, &p.data);
	for (uint32_t i = 0; i < p.cbl; i++)
		p.data[i] = (uint8_t)(i * 7 + 3);
	bdl_bus = dma(c, HDA_PAGE_SIZE, &p.bdl);
	for (unsigned i = 0; i < count; i++) {
		uint8_t *e = p.bdl + 16 * i;
		uint64_t a = p.data_bus + off;

		put32(e, (uint32_t)a);
		put32(e + 4, (uint32_t)(a >> 32));
		put32(e + 8, lens[i]);
		put32(e + 12, (ioc >> i) & 1u);
		off += lens[i];
	}
	emu_ctrl_write32(c, base + HDA_SD_CBL, p.cbl);
	emu_ctrl_write16(c, base + HDA_SD_LVI, (uint16_t)(count - 1));
	emu_ctrl_write16(c, base + HDA_SD_FMT, fmt);
	emu_ctrl_write32(c, base + HDA_SD_BDPL, (uint32_t)bdl_bus);
	emu_ctrl_write32(c, base + HDA_SD_BDPU, (uint32_t)(bdl_bus >> 32));
	emu_ctrl_write8(c, base + HDA_SD_CTL + 2,
			(uint8_t)(tag << (HDA_SD_CTL_STRM_SHIFT - 16)));
	return p;
}

static hda_emu_stream_truth truth(emu_ctrl *c, unsigned n)
{
	hda_emu_stream_truth t;

	assert_int_equal(emu_ctrl_stream_truth(c, n, &t), HDA_STATUS_SUCCESS);
	return t;
}

/* Position buffer page, enabled. */
static uint8_t *posbuf_on(emu_ctrl *c)
{
	uint8_t *pb;
	uint64_t bus = dma(c, HDA_PAGE_SIZE, &pb);

	emu_ctrl_write32(c, HDA_DPUBASE, (uint32_t)(bus >> 32));
	emu_ctrl_write32(c, HDA_DPLBASE, (uint32_t)bus | HDA_DPLBASE_ENABLE);
	return pb;
}

/* ---- Registers ---------------------------------------------------------- */

static void test_defaults(void **state)
{
	emu_ctrl *c = make("clock=manual");
	emu_ctrl *d = make("clock=manual,iss=2,oss=3,bss=1,tick_us=100000");

	(void)state;
	/* OSS 4, ISS 4, BSS 0, one SDO, 64OK. */
	assert_int_equal(emu_ctrl_read16(c, HDA_GCAP), 0x4401);
	assert_int_equal(emu_ctrl_read16(d, HDA_GCAP),
			 3u << 12 | 2u << 8 | 1u << 3 | HDA_GCAP_64OK);
	assert_int_equal(emu_ctrl_read8(c, HDA_VMAJ), 1);
	assert_int_equal(emu_ctrl_read8(c, HDA_VMIN), 0);
	assert_int_equal(emu_ctrl_read16(c, HDA_OUTPAY), 0x3C);
	assert_int_equal(emu_ctrl_read16(c, HDA_INPAY), 0x1D);
	assert_int_equal(emu_ctrl_read8(c, HDA_CORBSIZE), 0x42);
	assert_int_equal(emu_ctrl_read8(c, HDA_RIRBSIZE), 0x42);
	/* Power-on: in controller reset. */
	assert_int_equal(emu_ctrl_read32(c, HDA_GCTL), 0);
	assert_int_equal(emu_ctrl_read16(c, HDA_SD_OFF(3) + HDA_SD_FIFOW), 4);
	/* Mapped words: WALCLK, every LPIB and their aliases, nothing else. */
	assert_non_null(emu_ctrl_map32(c, HDA_WALCLK));
	assert_non_null(emu_ctrl_map32(c, HDA_ALIAS_OFFSET + HDA_WALCLK));
	assert_non_null(emu_ctrl_map32(c, HDA_SD_OFF(7) + HDA_SD_LPIB));
	assert_non_null(emu_ctrl_map32(c, HDA_ALIAS_OFFSET + HDA_SD_OFF(7) +
						  HDA_SD_LPIB));
	assert_null(emu_ctrl_map32(c, HDA_SD_OFF(8) + HDA_SD_LPIB));
	assert_null(emu_ctrl_map32(c, HDA_GCTL));
	assert_null(emu_ctrl_map32(c, HDA_SD_OFF(0) + HDA_SD_CBL));

	/* WALCLK: 24 MHz of model time, exact (2.4 ticks in 100 ns). */
	assert_int_equal(emu_ctrl_advance(c, 1000 * MS + 100), 0);
	assert_int_equal(emu_ctrl_read32(c, HDA_WALCLK), 24000002u);
	assert_int_equal(*emu_ctrl_map32(c, HDA_ALIAS_OFFSET + HDA_WALCLK),
			 24000002u);
	assert_int_equal(emu_ctrl_now_ns(c), 1000 * MS + 100);
	/* It wraps at 2^32 ticks, about 179 s. */
	assert_int_equal(emu_ctrl_advance(d, 180000 * MS), 0);
	assert_int_equal(emu_ctrl_read32(d, HDA_WALCLK),
			 (uint32_t)(180ull * 24000000u));
	emu_ctrl_destroy(c);
	emu_ctrl_destroy(d);
}

static void test_crst(void **state)
{
	emu_ctrl *c = make("clock=manual");

	(void)state;
	/* In reset nothing but CRST responds. */
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTCTL), 0);
	assert_int_equal(emu_ctrl_read16(c, HDA_STATESTS), 0);

	bring_up(c);
	assert_int_equal(emu_ctrl_read16(c, HDA_STATESTS), 0x0001);
	emu_ctrl_write16(c, HDA_STATESTS, 0x0001); /* RW1C */
	assert_int_equal(emu_ctrl_read16(c, HDA_STATESTS), 0);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE | 0x3);
	emu_ctrl_write32(c, HDA_GCTL, HDA_GCTL_CRST | HDA_GCTL_UNSOL);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTCTL), HDA_INTCTL_GIE | 0x3);
	assert_int_equal(emu_ctrl_read32(c, HDA_GCTL),
			 HDA_GCTL_CRST | HDA_GCTL_UNSOL);

	/* Back into reset: everything at defaults, GCAP kept. */
	emu_ctrl_write32(c, HDA_GCTL, 0);
	assert_int_equal(emu_ctrl_read32(c, HDA_GCTL), 0);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTCTL), 0);
	assert_int_equal(emu_ctrl_read16(c, HDA_GCAP), 0x4401);

	/* Stuck: CRST keeps the value it had. */
	assert_int_equal(emu_ctrl_inject_fault(
				 c, HDA_EMU_FAULT_CONTROLLER_RESET_STUCK, true),
			 0);
	emu_ctrl_write32(c, HDA_GCTL, HDA_GCTL_CRST);
	assert_int_equal(emu_ctrl_read32(c, HDA_GCTL) & HDA_GCTL_CRST, 0);
	assert_int_equal(emu_ctrl_read16(c, HDA_STATESTS), 0);
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_CONTROLLER_RESET_STUCK, false);
	bring_up(c);
	emu_ctrl_destroy(c);
}

static void test_srst(void **state)
{
	emu_ctrl *c = make("clock=manual");
	uint32_t b = HDA_SD_OFF(SD_OUT0);

	(void)state;
	bring_up(c);
	emu_ctrl_write32(c, b + HDA_SD_CBL, 4096);
	emu_ctrl_write16(c, b + HDA_SD_FMT, 0x0011);
	emu_ctrl_write8(c, b + HDA_SD_CTL + 2, 0x30);
	assert_int_equal(emu_ctrl_read32(c, b + HDA_SD_CBL), 4096);

	emu_ctrl_write8(c, b + HDA_SD_CTL, HDA_SD_CTL_SRST);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL) & HDA_SD_CTL_SRST,
			 HDA_SD_CTL_SRST);
	assert_int_equal(emu_ctrl_read32(c, b + HDA_SD_CBL), 0);
	assert_int_equal(emu_ctrl_read16(c, b + HDA_SD_FMT), 0);
	assert_int_equal(emu_ctrl_read16(c, b + HDA_SD_FIFOS), 0);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL + 2), 0);
	emu_ctrl_write8(c, b + HDA_SD_CTL, 0);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL), 0);

	/* Stuck: the bit never acknowledges the write. */
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_STREAM_RESET_STUCK, true);
	emu_ctrl_write8(c, b + HDA_SD_CTL, HDA_SD_CTL_SRST);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL) & HDA_SD_CTL_SRST,
			 0);
	emu_ctrl_write8(c, b + HDA_SD_CTL, 0);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL) & HDA_SD_CTL_SRST,
			 HDA_SD_CTL_SRST);
	emu_ctrl_destroy(c);
}

static void test_fifos(void **state)
{
	emu_ctrl *c = make("clock=manual,fifo=250");
	emu_ctrl *d = make("clock=manual,fifo=4");
	uint32_t b = HDA_SD_OFF(SD_OUT0);

	(void)state;
	bring_up(c);
	bring_up(d);
	/* 16-bit stereo: 4-byte frames, 250 -> 248. */
	emu_ctrl_write16(c, b + HDA_SD_FMT, 0x0011);
	assert_int_equal(emu_ctrl_read16(c, b + HDA_SD_FIFOS), 248);
	/* 24-bit in 32-bit containers, 8 channels: 32-byte frames -> 224. */
	emu_ctrl_write16(c, b + HDA_SD_FMT, 0x0037);
	assert_int_equal(emu_ctrl_read16(c, b + HDA_SD_FIFOS), 224);
	assert_int_equal(truth(c, SD_OUT0).fifo_bytes, 224);
	/* At least one whole frame. */
	emu_ctrl_write16(d, b + HDA_SD_FMT, 0x0037);
	assert_int_equal(emu_ctrl_read16(d, b + HDA_SD_FIFOS), 32);
	/* The fault keeps FIFOS at 0. */
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_FIFOS_ZERO, true);
	emu_ctrl_write16(c, b + HDA_SD_FMT, 0x0011);
	assert_int_equal(emu_ctrl_read16(c, b + HDA_SD_FIFOS), 0);
	emu_ctrl_destroy(c);
	emu_ctrl_destroy(d);
}

/* ---- Streams ------------------------------------------------------------ */

static void test_render(void **state)
{
	emu_ctrl *c = make("clock=manual");
	const uint32_t lens[] = {4000, 3000}; /* CBL 7000, 1750 frames */
	uint32_t b = HDA_SD_OFF(SD_OUT0);
	const volatile uint32_t *lpib =
		emu_ctrl_map32(c, HDA_ALIAS_OFFSET + b + HDA_SD_LPIB);
	hda_emu_stream_truth t;
	uint8_t *pb;
	sd_prog p;

	(void)state;
	bring_up(c);
	pb = posbuf_on(c);
	p = sd_setup(c, SD_OUT0, 0x0011, lens, 2, 0x3, 1);
	assert_int_equal(emu_ctrl_read16(c, b + HDA_SD_FIFOS), 256);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE | (1u << SD_OUT0));
	irq_edges(c);

	emu_ctrl_write8(c, b + HDA_SD_CTL,
			HDA_SD_CTL_RUN | HDA_SD_CTL_IOCE | HDA_SD_CTL_DEIE);
	/* RUN: the FIFO is filled from memory at once. */
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL) & HDA_SD_CTL_RUN,
			 HDA_SD_CTL_RUN);
	assert_true(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_FIFORDY);
	t = truth(c, SD_OUT0);
	assert_true(t.running);
	assert_int_equal(t.link_bytes, 0);
	assert_int_equal(t.dma_bytes, 256);
	assert_int_equal(get32(pb + 8 * SD_OUT0), 256);

	/* IOC on render fires when the entry's last byte is FETCHED:
	 * dma = link + 256 reaches 4000 at link 3744 bytes (936 frames,
	 * 19.5 ms).  At 19 ms: 912 frames, dma 3904: not yet. */
	emu_ctrl_advance(c, 19 * MS);
	assert_int_equal(truth(c, SD_OUT0).link_bytes, 912 * 4);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_BCIS,
			 0);
	assert_int_equal(irq_edges(c), 0);
	emu_ctrl_advance(c, 1 * MS);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_BCIS,
			 HDA_SD_STS_BCIS);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTSTS),
			 HDA_INTSTS_GIS | (1u << SD_OUT0));
	assert_int_equal(irq_edges(c), 1);
	emu_ctrl_write8(c, b + HDA_SD_STS, HDA_SD_STS_BCIS);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTSTS), 0);

	/* One second in all: exactly 48000 frames crossed the link. */
	emu_ctrl_advance(c, 980 * MS);
	t = truth(c, SD_OUT0);
	assert_int_equal(t.link_bytes, 48000 * 4);
	assert_int_equal(t.dma_bytes, t.link_bytes + 256);
	assert_int_equal(t.start_ns, 0);
	assert_int_equal(t.fifo_bytes, 256);
	assert_int_equal(emu_ctrl_read32(c, b + HDA_SD_LPIB),
			 t.link_bytes % p.cbl);
	assert_int_equal(*lpib, t.link_bytes % p.cbl);
	assert_int_equal(get32(pb + 8 * SD_OUT0), t.dma_bytes % p.cbl);
	assert_true(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_BCIS);
	assert_true(irq_edges(c) >= 1);

	/* Writes to CBL are ignored while running. */
	emu_ctrl_write32(c, b + HDA_SD_CBL, 64);
	assert_int_equal(emu_ctrl_read32(c, b + HDA_SD_CBL), p.cbl);

	/* Stop: positions stay; resume re-anchors. */
	emu_ctrl_write8(c, b + HDA_SD_CTL, 0);
	emu_ctrl_advance(c, 10 * MS);
	assert_int_equal(truth(c, SD_OUT0).link_bytes, 48000 * 4);
	assert_false(truth(c, SD_OUT0).running);
	emu_ctrl_write8(c, b + HDA_SD_CTL, HDA_SD_CTL_RUN);
	emu_ctrl_advance(c, 10 * MS);
	t = truth(c, SD_OUT0);
	assert_int_equal(t.start_ns, 1010 * MS);
	assert_int_equal(t.link_bytes, 48480 * 4);
	assert_int_equal(t.dma_bytes, t.link_bytes + 256);

	/* Stream reset clears the ground truth and LPIB. */
	emu_ctrl_write8(c, b + HDA_SD_CTL, 0);
	emu_ctrl_write8(c, b + HDA_SD_CTL, HDA_SD_CTL_SRST);
	t = truth(c, SD_OUT0);
	assert_int_equal(t.link_bytes, 0);
	assert_int_equal(t.dma_bytes, 0);
	assert_int_equal(*lpib, 0);
	emu_ctrl_destroy(c);
}

/* Immediate command; the codec's response. */
static uint32_t icmd(emu_ctrl *c, uint32_t cmd)
{
	emu_ctrl_write32(c, HDA_ICOI, cmd);
	emu_ctrl_write16(c, HDA_ICIS, HDA_ICIS_BUSY | HDA_ICIS_VALID);
	assert_int_equal(emu_ctrl_read16(c, HDA_ICIS), HDA_ICIS_VALID);
	return emu_ctrl_read32(c, HDA_ICII);
}

/* DAC 0x02 (tag 1) -> mixer 0x06 -> line-out 0x08 -> loopback -> line-in
 * 0x0D -> selector 0x0B -> ADC 0x05 (tag 2), all 48 kHz / 16 / 2. */
static void codec_loopback_path(emu_ctrl *c)
{
	unsigned reads = 0;

	icmd(c, hda_verb12(0, 0x01, HDA_VERB_SET_POWER_STATE, 0));
	/* The AFG's power settles after a few reads of its state. */
	while (icmd(c, hda_verb12(0, 0x01, HDA_VERB_GET_POWER_STATE, 0)) & 0xF0)
		assert_true(++reads < 10);
	/* Every amp at its 0 dB: the caps' offset, the AFG's caps for
	 * widgets without amp override. */
	for (uint8_t nid = 0x02; nid <= 0x0D; nid++) {
		uint32_t w = icmd(c, hda_verb12(0, nid, HDA_VERB_GET_PARAMETER,
					       HDA_PAR_AUDIO_WIDGET_CAP));
		uint8_t from = (w & HDA_WCAP_AMP_OVERRIDE) ? nid : 0x01;

		for (unsigned out = 0; out < 2; out++)
			icmd(c, hda_verb4(0, nid, HDA_VERB4_SET_AMP_GAIN_MUTE,
					  (out ? HDA_AMP_SET_OUTPUT : HDA_AMP_SET_INPUT) |
						  HDA_AMP_SET_LEFT | HDA_AMP_SET_RIGHT |
						  (icmd(c, hda_verb12(0, from, HDA_VERB_GET_PARAMETER,
								      out ? HDA_PAR_AMP_OUT_CAP
									  : HDA_PAR_AMP_IN_CAP)) &
						   HDA_AMP_GAIN_MASK)));
	}
	icmd(c, hda_verb12(0, 0x02, HDA_VERB_SET_CHANNEL_STREAMID, 0x10));
	icmd(c, hda_verb4(0, 0x02, HDA_VERB4_SET_CONVERTER_FORMAT, 0x0011));
	icmd(c, hda_verb12(0, 0x08, HDA_VERB_SET_PIN_WIDGET_CONTROL,
			   HDA_PINCTL_OUT_EN));
	icmd(c, hda_verb12(0, 0x0D, HDA_VERB_SET_PIN_WIDGET_CONTROL,
			   HDA_PINCTL_IN_EN));
	icmd(c, hda_verb12(0, 0x05, HDA_VERB_SET_CHANNEL_STREAMID, 0x20));
	icmd(c, hda_verb4(0, 0x05, HDA_VERB4_SET_CONVERTER_FORMAT, 0x0011));
}

/*
 * What plays is memory at FETCH time.  Render and capture start on one
 * SSYNC release, so capture link byte k is render link byte k (loopback
 * on the same tick).  Rewriting render memory inside the prefetched FIFO
 * after RUN must not be heard; rewriting past the DMA position must be.
 */
static void test_loopback_plays_fetched_bytes(void **state)
{
	emu_ctrl *c = make("clock=manual");
	const uint32_t lens[] = {4096, 4096};
	unsigned out = SD_OUT0, in = SD_IN0;
	uint8_t orig[4096];
	uint64_t frames = 0;
	sd_prog r, k;

	(void)state;
	bring_up(c);
	codec_loopback_path(c);
	r = sd_setup(c, out, 0x0011, lens, 2, 0, 1);
	k = sd_setup(c, in, 0x0011, lens, 2, 0, 2);
	memcpy(orig, r.data, sizeof(orig));
	emu_ctrl_write32(c, HDA_SSYNC, (1u << out) | (1u << in));
	emu_ctrl_write8(c, HDA_SD_OFF(out) + HDA_SD_CTL, HDA_SD_CTL_RUN);
	emu_ctrl_write8(c, HDA_SD_OFF(in) + HDA_SD_CTL, HDA_SD_CTL_RUN);
	/* Bytes 0..255 are in the FIFO now; 256..511 are still memory. */
	memset(r.data, 0x55, 512);
	emu_ctrl_write32(c, HDA_SSYNC, 0);
	emu_ctrl_advance(c, 20 * MS); /* 960 frames: 3840 link bytes */

	assert_int_equal(truth(c, in).link_bytes, 3840);
	assert_int_equal(truth(c, in).dma_bytes, 3840 - 256);
	assert_int_equal(emu_ctrl_converter_frames(c, 0x02, &frames), 0);
	assert_int_equal(frames, 960);
	assert_memory_equal(k.data, orig, 256);
	for (unsigned i = 256; i < 512; i++)
		assert_int_equal(k.data[i], 0x55);
	assert_memory_equal(k.data + 512, orig + 512, 3584 - 512);
	/* Still in the capture FIFO: not in memory yet. */
	for (unsigned i = 3584; i < 3840; i++)
		assert_int_equal(k.data[i], (uint8_t)(i * 7 + 3));
	emu_ctrl_destroy(c);
}

/* A stand-in for the driver's interrupt thread: waits for edges, counts
 * and clears BCIS of one stream until told to stop. */
typedef struct irq_handler {
	emu_ctrl *c;
	unsigned sd;
	unsigned bcis;
	int stop;
} irq_handler;

static void *irq_handler_main(void *arg)
{
	irq_handler *h = arg;
	struct pollfd pfd = {.fd = emu_ctrl_irq_fd(h->c), .events = POLLIN};

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		uint32_t b = HDA_SD_OFF(h->sd);

		if (poll(&pfd, 1, 10) <= 0)
			continue;
		irq_edges(h->c);
		if (emu_ctrl_read8(h->c, b + HDA_SD_STS) & HDA_SD_STS_BCIS) {
			__atomic_add_fetch(&h->bcis, 1, __ATOMIC_RELEASE);
			emu_ctrl_write8(h->c, b + HDA_SD_STS, HDA_SD_STS_BCIS);
		}
	}
	return NULL;
}

/* Manual stepping hands each raised interrupt to the handler before the
 * next tick, so back-to-back advances lose no IOC. */
static void test_irq_handoff(void **state)
{
	emu_ctrl *c = make_irq("clock=manual", 5000);
	const uint32_t lens[] = {1024, 1024, 1024, 1024};
	irq_handler h = {.c = c, .sd = SD_OUT0};
	pthread_t t;

	(void)state;
	bring_up(c);
	sd_setup(c, SD_OUT0, 0x0011, lens, 4, 0xF, 1);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE | (1u << SD_OUT0));
	assert_int_equal(pthread_create(&t, NULL, irq_handler_main, &h), 0);
	emu_ctrl_write8(c, HDA_SD_OFF(SD_OUT0) + HDA_SD_CTL,
			HDA_SD_CTL_RUN | HDA_SD_CTL_IOCE);
	/* The prefill completed no entry (256 of 1024 bytes). */
	for (unsigned i = 0; i < 40; i++)
		emu_ctrl_advance(c, 1 * MS);
	/* 1920 frames: 7680 link bytes + 256 FIFO = 7 entries fetched. */
	assert_int_equal(truth(c, SD_OUT0).dma_bytes, 7680 + 256);
	__atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(h.bcis, 7);
	emu_ctrl_destroy(c);
}

static void test_capture(void **state)
{
	emu_ctrl *c = make("clock=manual");
	const uint32_t lens[] = {4000, 3000};
	uint32_t b = HDA_SD_OFF(SD_IN0);
	hda_emu_stream_truth t;
	uint8_t *pb;
	sd_prog p;

	(void)state;
	bring_up(c);
	pb = posbuf_on(c);
	p = sd_setup(c, SD_IN0, 0x0011, lens, 2, 0x1, 2);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE | (1u << SD_IN0));
	emu_ctrl_write8(c, b + HDA_SD_CTL, HDA_SD_CTL_RUN | HDA_SD_CTL_IOCE);
	assert_true(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_FIFORDY);
	assert_int_equal(truth(c, SD_IN0).dma_bytes, 0);

	/* Memory lags the link by the FIFO: nothing reaches memory before
	 * 256 bytes crossed the link. */
	emu_ctrl_advance(c, 1 * MS);
	t = truth(c, SD_IN0);
	assert_int_equal(t.link_bytes, 192);
	assert_int_equal(t.dma_bytes, 0);
	/* IOC on capture fires when the last byte is WRITTEN: dma reaches
	 * 4000 at link 4256 (1064 frames, 22.2 ms). */
	emu_ctrl_advance(c, 21 * MS);
	t = truth(c, SD_IN0);
	assert_int_equal(t.dma_bytes, 1056 * 4 - 256);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_BCIS,
			 0);
	emu_ctrl_advance(c, 1 * MS);
	assert_true(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_BCIS);
	assert_true(emu_ctrl_read32(c, HDA_INTSTS) & (1u << SD_IN0));
	assert_true(irq_edges(c) >= 1);

	emu_ctrl_advance(c, 977 * MS);
	t = truth(c, SD_IN0);
	assert_int_equal(t.link_bytes, 48000 * 4);
	assert_int_equal(t.dma_bytes, t.link_bytes - 256);
	assert_int_equal(emu_ctrl_read32(c, b + HDA_SD_LPIB),
			 t.link_bytes % p.cbl);
	assert_int_equal(get32(pb + 8 * SD_IN0), t.dma_bytes % p.cbl);
	emu_ctrl_destroy(c);
}

static void test_descriptor_error(void **state)
{
	emu_ctrl *c = make("clock=manual");
	const uint32_t lens[] = {4000, 3000};
	uint32_t b = HDA_SD_OFF(SD_OUT0);

	(void)state;
	bring_up(c);
	sd_setup(c, SD_OUT0, 0x0011, lens, 2, 0, 1);
	/* CBL no longer the sum of the BDL lengths. */
	emu_ctrl_write32(c, b + HDA_SD_CBL, 6000);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE | (1u << SD_OUT0));
	irq_edges(c);
	emu_ctrl_write8(c, b + HDA_SD_CTL, HDA_SD_CTL_RUN | HDA_SD_CTL_DEIE);
	assert_int_equal(emu_ctrl_read8(c, b + HDA_SD_CTL) & HDA_SD_CTL_RUN, 0);
	assert_true(emu_ctrl_read8(c, b + HDA_SD_STS) & HDA_SD_STS_DESE);
	assert_true(emu_ctrl_read32(c, HDA_INTSTS) & (1u << SD_OUT0));
	assert_int_equal(irq_edges(c), 1);
	assert_false(truth(c, SD_OUT0).running);
	emu_ctrl_destroy(c);
}

static void test_ssync(void **state)
{
	emu_ctrl *c = make("clock=manual");
	const uint32_t lens[] = {4096, 4096};
	unsigned a = SD_OUT0, d = SD_OUT0 + 1;
	hda_emu_stream_truth ta, td;

	(void)state;
	bring_up(c);
	sd_setup(c, a, 0x0011, lens, 2, 0, 1);
	sd_setup(c, d, 0x0011, lens, 2, 0, 2);
	emu_ctrl_advance(c, 2 * MS);
	emu_ctrl_write32(c, HDA_SSYNC, (1u << a) | (1u << d));
	emu_ctrl_write8(c, HDA_SD_OFF(a) + HDA_SD_CTL, HDA_SD_CTL_RUN);
	emu_ctrl_advance(c, 1 * MS);
	emu_ctrl_write8(c, HDA_SD_OFF(d) + HDA_SD_CTL, HDA_SD_CTL_RUN);
	/* Held: FIFOs filled, FIFORDY up, nothing on the link. */
	assert_true(emu_ctrl_read8(c, HDA_SD_OFF(a) + HDA_SD_STS) &
		    HDA_SD_STS_FIFORDY);
	assert_true(emu_ctrl_read8(c, HDA_SD_OFF(d) + HDA_SD_STS) &
		    HDA_SD_STS_FIFORDY);
	emu_ctrl_advance(c, 3 * MS);
	ta = truth(c, a);
	assert_false(ta.running);
	assert_int_equal(ta.link_bytes, 0);
	assert_int_equal(ta.dma_bytes, 256);

	/* One write releases both on the same device sample. */
	emu_ctrl_write32(c, HDA_SSYNC, 0);
	emu_ctrl_advance(c, 500 * MS + 7);
	ta = truth(c, a);
	td = truth(c, d);
	assert_true(ta.running && td.running);
	assert_int_equal(ta.start_ns, 6 * MS);
	assert_int_equal(ta.start_ns, td.start_ns);
	assert_int_equal(ta.link_bytes, 24000 * 4);
	assert_int_equal(ta.link_bytes, td.link_bytes);
	assert_int_equal(emu_ctrl_read32(c, HDA_SD_OFF(a) + HDA_SD_LPIB),
			 emu_ctrl_read32(c, HDA_SD_OFF(d) + HDA_SD_LPIB));

	/* Setting the bit again holds the stream where it is. */
	emu_ctrl_write32(c, HDA_SSYNC, 1u << a);
	emu_ctrl_advance(c, 10 * MS);
	assert_int_equal(truth(c, a).link_bytes, 24000 * 4);
	assert_int_equal(truth(c, d).link_bytes, 24480 * 4);
	emu_ctrl_destroy(c);
}

/* ---- Codec link -------------------------------------------------------- */

#define CORB_OFF 0
#define RIRB_OFF 2048

static uint8_t *rings_on(emu_ctrl *c)
{
	uint8_t *r;
	uint64_t bus = dma(c, HDA_PAGE_SIZE, &r);

	emu_ctrl_write32(c, HDA_CORBLBASE, (uint32_t)bus + CORB_OFF);
	emu_ctrl_write32(c, HDA_CORBUBASE, (uint32_t)(bus >> 32));
	emu_ctrl_write32(c, HDA_RIRBLBASE, (uint32_t)bus + RIRB_OFF);
	emu_ctrl_write32(c, HDA_RIRBUBASE, (uint32_t)(bus >> 32));
	/* CORBRP reset handshake. */
	emu_ctrl_write16(c, HDA_CORBRP, HDA_CORBRP_RST);
	assert_int_equal(emu_ctrl_read16(c, HDA_CORBRP), HDA_CORBRP_RST);
	emu_ctrl_write16(c, HDA_CORBRP, 0);
	assert_int_equal(emu_ctrl_read16(c, HDA_CORBRP), 0);
	emu_ctrl_write8(c, HDA_CORBCTL, HDA_CORBCTL_RUN);
	emu_ctrl_write16(c, HDA_RIRBWP, HDA_RIRBWP_RST);
	emu_ctrl_write16(c, HDA_RINTCNT, 1);
	emu_ctrl_write8(c, HDA_RIRBCTL, HDA_RIRBCTL_DMAEN | HDA_RIRBCTL_INTCTL);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE | HDA_INTCTL_CIE);
	return r;
}

static void corb_send(emu_ctrl *c, uint8_t *r, uint32_t cmd)
{
	uint8_t wp = (uint8_t)(emu_ctrl_read16(c, HDA_CORBWP) + 1);

	put32(r + CORB_OFF + 4 * wp, cmd);
	emu_ctrl_write16(c, HDA_CORBWP, wp);
}

static void test_corb_rirb(void **state)
{
	emu_ctrl *c = make("clock=manual");
	uint32_t vendor = hda_verb12(0, 0, HDA_VERB_GET_PARAMETER,
				     HDA_PAR_VENDOR_ID);
	uint8_t *r;

	(void)state;
	bring_up(c);
	r = rings_on(c);
	irq_edges(c);

	corb_send(c, r, vendor);
	assert_int_equal(emu_ctrl_read16(c, HDA_CORBRP), 1);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), 1);
	assert_int_equal(get32(r + RIRB_OFF + 8), 0x1d170001u);
	assert_int_equal(get32(r + RIRB_OFF + 12), 0); /* codec 0, solicited */
	assert_int_equal(emu_ctrl_read8(c, HDA_RIRBSTS), HDA_RIRBSTS_RINTFL);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTSTS),
			 HDA_INTSTS_GIS | HDA_INTSTS_CIS);
	assert_int_equal(irq_edges(c), 1);
	emu_ctrl_write8(c, HDA_RIRBSTS, HDA_RIRBSTS_RINTFL);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTSTS), 0);

	/* No codec at address 1: the entry is consumed, nothing answers. */
	corb_send(c, r, hda_verb12(1, 0, HDA_VERB_GET_PARAMETER, 0));
	assert_int_equal(emu_ctrl_read16(c, HDA_CORBRP), 2);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), 1);

	/* A silent codec answers nothing either. */
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_CODEC_SILENT, true);
	corb_send(c, r, vendor);
	assert_int_equal(emu_ctrl_read16(c, HDA_CORBRP), 3);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), 1);
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_CODEC_SILENT, false);

	/* RINTCNT 2: the flag rises every second response. */
	emu_ctrl_write16(c, HDA_RINTCNT, 2);
	emu_ctrl_write16(c, HDA_RIRBWP, HDA_RIRBWP_RST);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), 0);
	corb_send(c, r, vendor);
	assert_int_equal(emu_ctrl_read8(c, HDA_RIRBSTS), 0);
	corb_send(c, r, vendor);
	assert_int_equal(emu_ctrl_read8(c, HDA_RIRBSTS), HDA_RIRBSTS_RINTFL);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), 2);
	assert_int_equal(get32(r + RIRB_OFF + 16), 0x1d170001u);

	/* Immediate command interface. */
	emu_ctrl_write32(c, HDA_ICOI, vendor);
	emu_ctrl_write16(c, HDA_ICIS, HDA_ICIS_BUSY);
	assert_int_equal(emu_ctrl_read16(c, HDA_ICIS), HDA_ICIS_VALID);
	assert_int_equal(emu_ctrl_read32(c, HDA_ICII), 0x1d170001u);
	emu_ctrl_write16(c, HDA_ICIS, HDA_ICIS_VALID);
	assert_int_equal(emu_ctrl_read16(c, HDA_ICIS), 0);
	emu_ctrl_destroy(c);
}

static void test_unsolicited(void **state)
{
	emu_ctrl *c = make("clock=manual");
	uint8_t *r, wp;
	uint32_t ex;

	(void)state;
	bring_up(c);
	r = rings_on(c);
	/* Mic pin 0x0C: unsolicited responses with tag 5. */
	corb_send(c, r, hda_verb12(0, 0x0C, HDA_VERB_SET_UNSOLICITED_ENABLE,
				   HDA_UNSOL_ENABLE | 5));
	wp = (uint8_t)emu_ctrl_read16(c, HDA_RIRBWP);

	/* GCTL.UNSOL clear: dropped. */
	assert_int_equal(emu_ctrl_set_jack(c, 0x0C, false), 0);
	assert_int_equal(emu_ctrl_set_jack(c, 0x0C, true), 0);
	emu_ctrl_advance(c, 1 * MS);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), wp);

	emu_ctrl_write32(c, HDA_GCTL, HDA_GCTL_CRST | HDA_GCTL_UNSOL);
	assert_int_equal(emu_ctrl_set_jack(c, 0x0C, false), 0);
	emu_ctrl_advance(c, 1 * MS);
	assert_int_equal(emu_ctrl_read16(c, HDA_RIRBWP), (uint8_t)(wp + 1));
	ex = get32(r + RIRB_OFF + 8 * (uint8_t)(wp + 1) + 4);
	assert_int_equal(ex, HDA_RIRB_EX_UNSOL | 0);
	assert_int_equal(get32(r + RIRB_OFF + 8 * (uint8_t)(wp + 1)) >> 26, 5);
	emu_ctrl_destroy(c);
}

static void test_gone(void **state)
{
	emu_ctrl *c = make("clock=manual");
	const volatile uint32_t *wall = emu_ctrl_map32(c, HDA_WALCLK);
	uint32_t last;

	(void)state;
	bring_up(c);
	emu_ctrl_advance(c, 5 * MS);
	last = *wall;
	assert_int_equal(last, 120000);
	assert_false(emu_ctrl_gone(c));
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_DEVICE_GONE, true);
	assert_true(emu_ctrl_gone(c));
	assert_int_equal(emu_ctrl_read32(c, HDA_GCTL), 0xFFFFFFFFu);
	assert_int_equal(emu_ctrl_read16(c, HDA_GCAP), 0xFFFF);
	assert_int_equal(emu_ctrl_read8(c, HDA_VMAJ), 0xFF);
	emu_ctrl_write32(c, HDA_INTCTL, HDA_INTCTL_GIE);
	emu_ctrl_advance(c, 5 * MS);
	assert_int_equal(*wall, last);
	emu_ctrl_inject_fault(c, HDA_EMU_FAULT_DEVICE_GONE, false);
	assert_int_equal(emu_ctrl_read32(c, HDA_INTCTL), 0); /* dropped */
	assert_int_equal(emu_ctrl_inject_fault(c, HDA_EMU_FAULT_COUNT, true),
			 HDA_STATUS_INVALID_PARAMETER);
	emu_ctrl_destroy(c);
}

static void test_realtime_refuses_advance(void **state)
{
	emu_ctrl *c = make("tick_us=100");

	(void)state;
	assert_int_equal(emu_ctrl_advance(c, MS),
			 HDA_STATUS_INVALID_DEVICE_REQUEST);
	emu_ctrl_destroy(c); /* joins the device thread */
}

/* ---- Memory, formats, configuration ------------------------------------ */

static void test_mem(void **state)
{
	emu_mem *m = NULL;
	void *ha, *hb, *hc;
	uint64_t a, b, cc;

	(void)state;
	assert_int_equal(emu_mem_create(16 * HDA_PAGE_SIZE, 0, &m), 0);
	assert_int_equal(emu_mem_alloc(m, 5000, &ha, &a), 0); /* 2 pages */
	assert_int_equal(emu_mem_alloc(m, 1, &hb, &b), 0);
	assert_int_equal(a, EMU_MEM_BUS_BASE);
	assert_int_equal(b, a + 2 * HDA_PAGE_SIZE);
	assert_ptr_equal(emu_mem_ptr(m, a, 2 * HDA_PAGE_SIZE), ha);
	assert_ptr_equal(emu_mem_ptr(m, a + 8191, 1), (uint8_t *)ha + 8191);
	/* Adjacent allocations are still two: no range may span both. */
	assert_null(emu_mem_ptr(m, a, 2 * HDA_PAGE_SIZE + 1));
	assert_null(emu_mem_ptr(m, a - 1, 1));
	assert_null(emu_mem_ptr(m, b + HDA_PAGE_SIZE, 1));
	assert_null(emu_mem_ptr(m, a, SIZE_MAX));
	assert_null(emu_mem_ptr(m, UINT64_MAX, 2));
	memset(ha, 0xAB, 2 * HDA_PAGE_SIZE);
	emu_mem_free(m, a, 5000);
	assert_null(emu_mem_ptr(m, a, 1));
	/* First fit reuses the hole, zeroed. */
	assert_int_equal(emu_mem_alloc(m, HDA_PAGE_SIZE, &hc, &cc), 0);
	assert_int_equal(cc, a);
	assert_int_equal(((uint8_t *)hc)[100], 0);
	assert_int_equal(emu_mem_alloc(m, 14 * HDA_PAGE_SIZE, &hc, &cc),
			 HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(emu_mem_alloc(m, 13 * HDA_PAGE_SIZE, &hc, &cc), 0);
	assert_int_equal(cc, b + HDA_PAGE_SIZE);
	emu_mem_destroy(m);
	emu_mem_destroy(NULL);
}

static void test_format(void **state)
{
	static const struct {
		uint16_t fmt;
		uint32_t rate;
		unsigned bits, ch, frame;
	} t[] = {
		{0x0011, 48000, 16, 2, 4},  {0x4011, 44100, 16, 2, 4},
		{0x0831, 96000, 24, 2, 8},  {0x1831, 192000, 24, 2, 8},
		{0x0041, 48000, 32, 2, 8},  {0x0037, 48000, 24, 8, 32},
		{0x0510, 8000, 16, 1, 2},   {0x0210, 16000, 16, 1, 2},
		{0x4111, 22050, 16, 2, 4},  {0x0A11, 32000, 16, 2, 4},
		{0x4831, 88200, 24, 2, 8},  {0x0000, 48000, 8, 1, 1},
	};
	const uint8_t m8[] = {0x00, 0x80, 0xFF};
	const uint8_t m16[] = {0x34, 0x12, 0x00, 0x80};
	const uint8_t m32[] = {0x00, 0x56, 0x34, 0x12};
	int32_t s[3];
	uint8_t back[4];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(emu_fmt_rate(t[i].fmt), t[i].rate);
		assert_int_equal(emu_fmt_bits(t[i].fmt), t[i].bits);
		assert_int_equal(emu_fmt_channels(t[i].fmt), t[i].ch);
		assert_int_equal(emu_fmt_frame_bytes(t[i].fmt), t[i].frame);
	}
	assert_int_equal(emu_fmt_bits(0x0051), 0);
	assert_int_equal(emu_fmt_rate(0x0051), 0);
	assert_int_equal(emu_fmt_frame_bytes(0x0071), 0);

	emu_fmt_unpack(0x0000, m8, s, 3);
	assert_int_equal(s[0], INT32_MIN);
	assert_int_equal(s[1], 0);
	assert_int_equal(s[2], 0x7F000000);
	emu_fmt_pack(0x0000, s, back, 3);
	assert_memory_equal(back, m8, 3);
	emu_fmt_unpack(0x0010, m16, s, 2);
	assert_int_equal(s[0], 0x12340000);
	assert_int_equal(s[1], INT32_MIN);
	emu_fmt_pack(0x0010, s, back, 2);
	assert_memory_equal(back, m16, 4);
	emu_fmt_unpack(0x0030, m32, s, 1); /* 24-bit: container as-is */
	assert_int_equal(s[0], 0x12345600);
	emu_fmt_pack(0x0030, s, back, 1);
	assert_memory_equal(back, m32, 4);
}

static void expect_parse_error(const char *opts, const char *needle)
{
	emu_ctrl_config cfg;
	char err[256] = "";

	emu_ctrl_config_default(&cfg);
	assert_int_equal(emu_ctrl_config_parse(opts, &cfg, err, sizeof(err)),
			 HDA_STATUS_INVALID_PARAMETER);
	if (!strstr(err, needle))
		fail_msg("'%s': message '%s' lacks '%s'", opts, err, needle);
	/* Untouched on failure. */
	assert_int_equal(cfg.iss, 4);
	assert_null(cfg.strings);
}

static void test_config(void **state)
{
	emu_ctrl_config cfg;
	char err[256] = "";

	(void)state;
	expect_parse_error("iss=99", "emu option 'iss': expected 0..15, got '99'");
	expect_parse_error("oss=2,foo=1", "unknown emu option 'foo'");
	expect_parse_error("iss=1,clock=sometimes", "'clock'");
	expect_parse_error("iss=2,tick_us=50", "'tick_us'");
	expect_parse_error("iss=2,fifo=5000", "'fifo'");
	expect_parse_error("iss=2,dma_mb=0", "'dma_mb'");
	expect_parse_error("iss=2,fault=srst+bogus", "'fault'");
	expect_parse_error("iss=0,oss=0", "'iss'");
	expect_parse_error("iss=3,lineout", "'lineout'");
	expect_parse_error("iss=3,bss=-1", "'bss'");
	expect_parse_error("iss=2,mapregs=maybe",
			   "emu option 'mapregs': expected off or on, got 'maybe'");

	emu_ctrl_config_default(&cfg);
	assert_int_equal(
		emu_ctrl_config_parse(
			"iss=2,oss=3,bss=1,clock=manual,tick_us=500,fifo=128,"
			"dma_mb=8,lineout=wav:/tmp/x=1.wav,mic=sine:1000,"
			"fault=srst+gone",
			&cfg, err, sizeof(err)),
		HDA_STATUS_SUCCESS);
	assert_int_equal(cfg.iss, 2);
	assert_int_equal(cfg.oss, 3);
	assert_int_equal(cfg.bss, 1);
	assert_true(cfg.manual_clock);
	assert_int_equal(cfg.tick_us, 500);
	assert_int_equal(cfg.fifo_bytes, 128);
	assert_int_equal(cfg.dma_bytes, 8u << 20);
	assert_string_equal(cfg.codec.lineout, "wav:/tmp/x=1.wav");
	assert_string_equal(cfg.codec.mic, "sine:1000");
	assert_null(cfg.codec.hp);
	assert_int_equal(cfg.faults,
			 (1u << HDA_EMU_FAULT_STREAM_RESET_STUCK) |
				 (1u << HDA_EMU_FAULT_DEVICE_GONE));
	assert_int_equal(emu_ctrl_config_parse("fault=fifoe+bdl", &cfg, err,
					       sizeof(err)),
			 HDA_STATUS_SUCCESS);
	assert_int_equal(cfg.faults,
			 (1u << HDA_EMU_FAULT_FIFO_ERROR) |
				 (1u << HDA_EMU_FAULT_BDL_UNREADABLE));
	/* A second parse keeps what it does not mention. */
	assert_int_equal(emu_ctrl_config_parse("hp=null", &cfg, err,
					       sizeof(err)),
			 HDA_STATUS_SUCCESS);
	assert_string_equal(cfg.codec.lineout, "wav:/tmp/x=1.wav");
	assert_string_equal(cfg.codec.hp, "null");
	emu_ctrl_config_release(&cfg);
	assert_null(cfg.codec.lineout);
	emu_ctrl_config_release(NULL);

	/* mapregs=off: the words stay readable through MMIO, but no offset
	 * is mapped. */
	emu_ctrl_config_default(&cfg);
	assert_true(cfg.map_regs);
	assert_int_equal(emu_ctrl_config_parse("mapregs=off", &cfg, err,
					       sizeof(err)),
			 HDA_STATUS_SUCCESS);
	assert_false(cfg.map_regs);
	emu_ctrl_config_release(&cfg);
	{
		emu_ctrl *c = make("clock=manual,mapregs=off");

		assert_null(emu_ctrl_map32(c, HDA_WALCLK));
		assert_null(emu_ctrl_map32(c, HDA_SD_OFF(7) + HDA_SD_LPIB));
		assert_int_equal(emu_ctrl_advance(c, 1000 * MS), 0);
		assert_int_equal(emu_ctrl_read32(c, HDA_WALCLK), 24000000u);
		emu_ctrl_destroy(c);
	}
}

/* truth=PATH: each device step appends one record per engine on the link,
 * whose positions are the model's ground truth at that step; nothing for
 * an engine that is not running.  Manual clock: the steps are the test's. */
static void test_truth_file(void **state)
{
	char dir[] = "/tmp/emu-truth-XXXXXX", path[64], opts[128];
	const uint32_t lens[] = {4000, 3000};
	hda_emu_truth_header h;
	hda_emu_truth_record r[64];
	emu_ctrl *c;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/truth", dir);
	snprintf(opts, sizeof(opts), "clock=manual,truth=%s", path);
	c = make(opts);
	bring_up(c);
	posbuf_on(c);
	sd_setup(c, SD_OUT0, 0x0011, lens, 2, 0, 1);
	sd_setup(c, SD_IN0, 0x0011, lens, 2, 0, 2);
	/* Stopped engines: no record. */
	emu_ctrl_advance(c, 2 * MS);
	emu_ctrl_write8(c, HDA_SD_OFF(SD_OUT0) + HDA_SD_CTL, HDA_SD_CTL_RUN);
	emu_ctrl_advance(c, 3 * MS); /* three 1 ms ticks: render only */
	emu_ctrl_write8(c, HDA_SD_OFF(SD_IN0) + HDA_SD_CTL, HDA_SD_CTL_RUN);
	emu_ctrl_advance(c, 2 * MS); /* two ticks of both */
	emu_ctrl_destroy(c);

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
	assert_memory_equal(h.magic, HDA_EMU_TRUTH_MAGIC, 8);
	assert_int_equal(h.version, HDA_EMU_TRUTH_VERSION);
	assert_int_equal(h.record_bytes, sizeof(r[0]));
	assert_int_equal(sizeof(r[0]), 40);
	n = fread(r, sizeof(r[0]), 64, f);
	fclose(f);
	unlink(path);
	rmdir(dir);
	/* RUN at 2 ms: a record of the engine joining the link (link 0,
	 * the FIFO's 64 frames fetched), then one per tick. */
	assert_int_equal(n, 1 + 3 + 1 + 2 * 2);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t ns = (2 + i) * MS;

		assert_int_equal(r[i].sd, SD_OUT0);
		assert_int_equal(r[i].flags, HDA_EMU_TRUTH_OUTPUT);
		assert_int_equal(r[i].tag, 1);
		assert_int_equal(r[i].frame_bytes, 4);
		assert_int_equal(r[i].model_ns, ns);
		assert_int_equal(r[i].wall_ticks, ns * 24 / 1000);
		assert_int_equal(r[i].link_frames, 48 * i);
		assert_int_equal(r[i].dma_frames, 48 * i + 64);
	}
	/* The capture engine joins at 5 ms, the last step's model time. */
	assert_int_equal(r[4].sd, SD_IN0);
	assert_int_equal(r[4].model_ns, 5 * MS);
	assert_int_equal(r[4].link_frames, 0);
	assert_int_equal(r[4].dma_frames, 0);
	for (unsigned i = 0; i < 2; i++) {
		const hda_emu_truth_record *in = &r[5 + 2 * i], *out = in + 1;

		/* One step's records in descriptor order: inputs first. */
		assert_int_equal(out->sd, SD_OUT0);
		assert_int_equal(in->sd, SD_IN0);
		assert_int_equal(in->flags, 0);
		assert_int_equal(in->tag, 2);
		assert_int_equal(in->wall_ticks, out->wall_ticks);
		assert_int_equal(out->link_frames, 48 * (4 + i));
		assert_int_equal(in->link_frames, 48 * (i + 1));
		/* capture: memory lags the link by the FIFO */
		assert_int_equal(in->dma_frames, in->link_frames > 64 ? in->link_frames - 64 : 0);
	}
	/* The file's bound is the format's (hda_emu.h); the option needs a
	 * path, and a file it cannot create is named. */
	expect_parse_error("truth=", "emu option 'truth': expected a file path");
	{
		emu_ctrl_config cfg;
		char err[256] = "";

		emu_ctrl_config_default(&cfg);
		assert_int_equal(emu_ctrl_config_parse("truth=/nonexistent/dir/t", &cfg, err,
						       sizeof(err)),
				 HDA_STATUS_SUCCESS);
		assert_string_equal(cfg.truth_path, "/nonexistent/dir/t");
		assert_int_equal(emu_ctrl_create(&cfg, &c, err, sizeof(err)),
				 HDA_STATUS_INVALID_PARAMETER);
		assert_non_null(strstr(err, "cannot create /nonexistent/dir/t"));
		emu_ctrl_config_release(&cfg);
		assert_null(cfg.truth_path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_crst),
		cmocka_unit_test(test_srst),
		cmocka_unit_test(test_fifos),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_loopback_plays_fetched_bytes),
		cmocka_unit_test(test_irq_handoff),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_descriptor_error),
		cmocka_unit_test(test_ssync),
		cmocka_unit_test(test_corb_rirb),
		cmocka_unit_test(test_unsolicited),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_realtime_refuses_advance),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_truth_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
