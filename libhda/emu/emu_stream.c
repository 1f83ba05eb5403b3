/* SPDX-License-Identifier: MIT */
/*
 * One stream descriptor: the DMA engine between memory and the HDA link.
 *
 * Timing model.  The link carries frames at the format's rate; nothing else
 * paces the engine.  When the engine joins the link (RUN set and its SSYNC
 * bit clear) it takes an anchor (anchor_ns); from then on the number of
 * frames that have crossed the link at model time t is
 *
 *     floor((t - anchor_ns) * rate / 1e9)
 *
 * computed exactly in 128-bit integers from the SDnFMT ratio (base * mult /
 * div), so there is neither drift nor rounding creep however long it runs
 * and however the device steps are spaced.  Each device step moves the
 * difference between that target and what was already moved.  Stopping and
 * resuming re-anchors; a stream reset clears everything.
 *
 * FIFO.  The DMA side is modelled as infinitely fast, so the FIFO is always
 * as full (render) or as empty (capture) as it can be:
 *   render:  at RUN the engine fetches a FIFO's worth from memory; every
 *            frame that leaves for the link is replaced at once by the same
 *            number of bytes fetched at the BDL position.  Hence
 *            dma_bytes = link_bytes + fifo_size while running.  What plays
 *            is the memory content at FETCH time: rewriting bytes between
 *            LPIB and the DMA position changes nothing audible, which is the
 *            hazard FIFO-aware position reporting exists for.
 *   capture: frames from the codec enter the FIFO; memory is written only
 *            with what overflows it, so memory lags the link by the FIFO:
 *            dma_bytes = max(0, link_bytes - fifo_size).
 * LPIB counts link bytes (mod CBL); the position buffer reports the DMA
 * position (mod CBL), i.e. data really fetched from / present in memory.
 *
 * FIFO errors (fault=fifoe, hda_emu.h).  The memory side stops instead of
 * being infinitely fast.  Render: the link drains the FIFO, then carries
 * silence (an underrun); capture: the link fills the FIFO, then its frames
 * are dropped (an overrun).  Link bytes and LPIB count only the buffer's
 * bytes, so link and DMA position stay a FIFO fill apart and every position
 * invariant above holds through the fault; the frames that were not the
 * buffer's are counted apart (xrun_bytes).
 *
 * IOC.  BCIS is set when an entry flagged IOC completes on the memory side:
 * render when its last byte has been fetched into the FIFO, capture when its
 * last byte has been written to memory (hda-facts 3).  Descriptors are read
 * from memory each time the engine enters them, as hardware does.
 */
#include <string.h>

#include "emu_stream.h"
#include "hda_regs.h"

__extension__ typedef unsigned __int128 u128;

#define NS_PER_S 1000000000ull

/* ---- Register helpers (little-endian host, checked in emu_ctrl.h) ----- */

static uint16_t rd16(const emu_stream *s, unsigned off)
{
	uint16_t v;

	memcpy(&v, s->regs + off, sizeof(v));
	return v;
}

static uint32_t rd32(const emu_stream *s, unsigned off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, sizeof(v));
	return v;
}

static void wr16(emu_stream *s, unsigned off, uint16_t v)
{
	memcpy(s->regs + off, &v, sizeof(v));
}

static void wr32(emu_stream *s, unsigned off, uint32_t v)
{
	memcpy(s->regs + off, &v, sizeof(v));
}

/* LPIB is read lock-free through the mapped pointers: release stores keep
 * the word whole for the reader. */
static void lpib_store(emu_stream *s, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)(s->regs + HDA_SD_LPIB), v,
			 __ATOMIC_RELEASE);
	__atomic_store_n(s->lpib_alias, v, __ATOMIC_RELEASE);
}

static uint32_t ctl_read(const emu_stream *s)
{
	return (uint32_t)s->regs[0] | (uint32_t)s->regs[1] << 8 |
	       (uint32_t)s->regs[2] << 16;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- Setup ------------------------------------------------------------- */

void emu_sd_init(emu_stream *s, unsigned index, bool bidir, bool output,
		 uint8_t *regs, uint32_t *lpib_alias)
{
	memset(s, 0, sizeof(*s));
	s->index = index;
	s->bidir = bidir;
	s->fixed_output = output;
	s->regs = regs;
	s->lpib_alias = lpib_alias;
}

bool emu_sd_is_output(const emu_stream *s)
{
	if (s->run)
		return s->output;
	return s->bidir ? (ctl_read(s) & HDA_SD_CTL_DIR) != 0 : s->fixed_output;
}

static uint32_t fifo_for_fmt(uint16_t fmt, unsigned fifo_config)
{
	uint32_t fb = emu_fmt_frame_bytes(fmt), n;

	if (fb == 0)
		return 0;
	/* Whole frames only, and at least one. */
	n = fifo_config / fb * fb;
	if (n < fb)
		n = fb;
	if (n > EMU_SD_FIFO_MAX)
		n = EMU_SD_FIFO_MAX / fb * fb;
	return n;
}

void emu_sd_posbuf_update(const emu_stream *s, const emu_sd_env *env)
{
	uint32_t pos = s->cbl ? (uint32_t)(s->dma_bytes % s->cbl) : 0;
	void *p;

	if (!env->posbuf_on || env->posbuf_stale)
		return;
	p = emu_mem_ptr(env->mem, env->posbuf + 8ull * s->index, 4);
	/* DPLBASE is 128-byte aligned, so the slot is; the driver reads it
	 * lock-free from its audio thread. */
	if (p)
		__atomic_store_n((uint32_t *)p, pos, __ATOMIC_RELEASE);
}

void emu_sd_reset(emu_stream *s, const emu_sd_env *env)
{
	s->run = false;
	s->on_link = false;
	s->output = false;
	s->fmt = 0;
	s->frame_bytes = 0;
	s->cbl = 0;
	s->lvi = 0;
	s->bdl_base = 0;
	s->rate_num = 0;
	s->rate_den = 1;
	s->anchor_ns = 0;
	s->frames_since_anchor = 0;
	s->start_ns = 0;
	s->ent_idx = 0;
	s->ent_loaded = false;
	s->ent_addr = 0;
	s->ent_len = 0;
	s->ent_off = 0;
	s->ent_ioc = false;
	s->link_bytes = 0;
	s->dma_bytes = 0;
	s->dma_published = 0;
	s->fifo_size = 0;
	s->xrun_bytes = 0;
	s->xrun = false;
	s->fifo_head = 0;
	s->fifo_fill = 0;

	/* Every register back to its default; LPIB through its atomic
	 * path, FIFOW to the fixed watermark the model reports. */
	s->regs[0] = 0;
	s->regs[1] = 0;
	s->regs[2] = 0;
	s->regs[HDA_SD_STS] = 0;
	lpib_store(s, 0);
	wr32(s, HDA_SD_CBL, 0);
	wr16(s, HDA_SD_LVI, 0);
	wr16(s, HDA_SD_FIFOW, 0x0004);
	wr16(s, HDA_SD_FIFOS, 0);
	wr16(s, HDA_SD_FMT, 0);
	wr32(s, 0x14, 0);
	wr32(s, HDA_SD_BDPL, 0);
	wr32(s, HDA_SD_BDPU, 0);
	if (env)
		emu_sd_posbuf_update(s, env);
}

/*
 * SDnFIFOS encoding (hda-facts 8.1): older Intel tables say "bytes - 1",
 * current Linux uses the raw value as bytes.  The model follows current
 * Linux: FIFOS holds the FIFO size in bytes, a whole number of frames.
 */
void emu_sd_fmt_written(emu_stream *s, const emu_sd_env *env)
{
	uint32_t n = fifo_for_fmt(rd16(s, HDA_SD_FMT), env->fifo_config);

	s->fifo_size = n;
	wr16(s, HDA_SD_FIFOS, env->fifos_zero ? 0 : (uint16_t)n);
}

bool emu_sd_irq(const emu_stream *s)
{
	uint8_t sts = s->regs[HDA_SD_STS], ctl = s->regs[0];

	return ((sts & HDA_SD_STS_BCIS) && (ctl & HDA_SD_CTL_IOCE)) ||
	       ((sts & HDA_SD_STS_FIFOE) && (ctl & HDA_SD_CTL_FEIE)) ||
	       ((sts & HDA_SD_STS_DESE) && (ctl & HDA_SD_CTL_DEIE));
}

void emu_sd_truth(const emu_stream *s, hda_emu_stream_truth *truth)
{
	truth->running = s->run && s->on_link;
	truth->link_bytes = s->link_bytes;
	truth->dma_bytes = s->dma_bytes;
	truth->start_ns = s->start_ns;
	truth->fifo_bytes = s->fifo_size;
	truth->xrun_bytes = s->xrun_bytes;
}

/* Descriptor error: fatal, the engine stops and clears RUN (hda-facts 2). */
static void sd_fail(emu_stream *s)
{
	s->regs[HDA_SD_STS] |= HDA_SD_STS_DESE;
	s->regs[0] &= (uint8_t)~HDA_SD_CTL_RUN;
	s->run = false;
	s->on_link = false;
}

/* ---- BDL walk ---------------------------------------------------------- */

/* Entries [first, first + n) of the BDL in memory, or NULL on a bus error
 * (fault=bdl makes every descriptor fetch one). */
static const uint8_t *bdl_fetch(const emu_stream *s, const emu_sd_env *env,
				unsigned first, unsigned n)
{
	if (env->bdl_unreadable)
		return NULL;
	return emu_mem_ptr(env->mem,
			   s->bdl_base + (uint64_t)HDA_BDL_ENTRY_SIZE * first,
			   (size_t)n * HDA_BDL_ENTRY_SIZE);
}

static bool load_entry(emu_stream *s, const emu_sd_env *env)
{
	const uint8_t *e = bdl_fetch(s, env, s->ent_idx, 1);

	if (!e)
		return false;
	s->ent_addr = (uint64_t)le32(e) | (uint64_t)le32(e + 4) << 32;
	s->ent_len = le32(e + 8);
	s->ent_ioc = (le32(e + 12) & HDA_BDL_IOC) != 0;
	s->ent_loaded = true;
	return true;
}

/* The memory side finished the current entry. */
static void next_entry(emu_stream *s)
{
	if (s->ent_ioc)
		s->regs[HDA_SD_STS] |= HDA_SD_STS_BCIS;
	s->ent_idx = s->ent_idx >= s->lvi ? 0 : (uint8_t)(s->ent_idx + 1);
	s->ent_off = 0;
	s->ent_loaded = false;
}

/* Move n bytes between buf and memory at the BDL position.  False on a bus
 * error (the bytes moved before it stay counted). */
static bool dma_xfer(emu_stream *s, const emu_sd_env *env, uint8_t *buf,
		     size_t n, bool to_mem)
{
	unsigned empty = 0;

	while (n > 0) {
		uint32_t avail;
		uint8_t *p;
		size_t m;

		if (!s->ent_loaded && !load_entry(s, env))
			return false;
		avail = s->ent_len > s->ent_off ? s->ent_len - s->ent_off : 0;
		if (avail == 0) {
			/* Entries rewritten to length 0 since RUN: a whole
			 * lap of them can never move a byte. */
			if (++empty > (unsigned)s->lvi + 1)
				return false;
			next_entry(s);
			continue;
		}
		empty = 0;
		m = avail < n ? avail : n;
		p = emu_mem_ptr(env->mem, s->ent_addr + s->ent_off, m);
		if (!p)
			return false;
		if (to_mem)
			memcpy(p, buf, m);
		else
			memcpy(buf, p, m);
		buf += m;
		n -= m;
		s->ent_off += (uint32_t)m;
		s->dma_bytes += m;
		if (s->ent_off >= s->ent_len)
			next_entry(s);
	}
	return true;
}

/* ---- FIFO ring --------------------------------------------------------- */

static void fifo_pop(emu_stream *s, uint8_t *dst, uint32_t n)
{
	uint32_t first = EMU_SD_FIFO_MAX - s->fifo_head;

	if (first > n)
		first = n;
	memcpy(dst, s->fifo + s->fifo_head, first);
	memcpy(dst + first, s->fifo, n - first);
	s->fifo_head = (s->fifo_head + n) % EMU_SD_FIFO_MAX;
	s->fifo_fill -= n;
}

static void fifo_push(emu_stream *s, const uint8_t *src, uint32_t n)
{
	uint32_t tail = (s->fifo_head + s->fifo_fill) % EMU_SD_FIFO_MAX;
	uint32_t first = EMU_SD_FIFO_MAX - tail;

	if (first > n)
		first = n;
	memcpy(s->fifo + tail, src, first);
	memcpy(s->fifo, src + first, n - first);
	s->fifo_fill += n;
}

/* Render: fetch from memory until the FIFO holds fifo_size bytes. */
static bool fifo_refill(emu_stream *s, const emu_sd_env *env)
{
	while (s->fifo_fill < s->fifo_size) {
		uint32_t tail = (s->fifo_head + s->fifo_fill) % EMU_SD_FIFO_MAX;
		uint32_t n = s->fifo_size - s->fifo_fill;
		uint32_t before = s->fifo_fill;

		if (n > EMU_SD_FIFO_MAX - tail)
			n = EMU_SD_FIFO_MAX - tail; /* up to the ring's end */
		if (!dma_xfer(s, env, s->fifo + tail, n, false)) {
			/* Keep what did arrive before the bus error. */
			s->fifo_fill = before;
			return false;
		}
		s->fifo_fill += n;
	}
	return true;
}

/* Capture: write the n oldest FIFO bytes to memory. */
static bool fifo_drain(emu_stream *s, const emu_sd_env *env, uint32_t n)
{
	while (n > 0) {
		uint32_t m = EMU_SD_FIFO_MAX - s->fifo_head;

		if (m > n)
			m = n;
		if (!dma_xfer(s, env, s->fifo + s->fifo_head, m, true))
			return false;
		s->fifo_head = (s->fifo_head + m) % EMU_SD_FIFO_MAX;
		s->fifo_fill -= m;
		n -= m;
	}
	return true;
}

/* ---- Run control ------------------------------------------------------- */

/* Checks a controller makes (or whose absence would wedge it) before the
 * engine may run; any failure is a descriptor error. */
static bool programming_valid(emu_stream *s, const emu_sd_env *env)
{
	uint64_t sum = 0;
	const uint8_t *bdl;

	if (s->frame_bytes == 0 || emu_fmt_rate(s->fmt) == 0)
		return false;
	if (s->cbl == 0 || s->cbl % s->frame_bytes != 0 || s->lvi < 1)
		return false;
	bdl = bdl_fetch(s, env, 0, (unsigned)s->lvi + 1);
	if (!bdl)
		return false;
	for (unsigned i = 0; i <= s->lvi; i++) {
		const uint8_t *e = bdl + (size_t)i * HDA_BDL_ENTRY_SIZE;
		uint64_t addr = (uint64_t)le32(e) | (uint64_t)le32(e + 4) << 32;
		uint32_t len = le32(e + 8);

		if (len && !emu_mem_ptr(env->mem, addr, len))
			return false;
		sum += len;
	}
	return sum == s->cbl;
}

bool emu_sd_start(emu_stream *s, const emu_sd_env *env)
{
	uint16_t fmt = rd16(s, HDA_SD_FMT);

	if (s->run)
		return true;
	/* Readiness is judged afresh by each start: one that fails, or that
	 * cannot fill its FIFO, must not show a previous run's FIFORDY. */
	s->regs[HDA_SD_STS] &= (uint8_t)~HDA_SD_STS_FIFORDY;
	s->output = emu_sd_is_output(s);
	s->fmt = fmt;
	s->frame_bytes = emu_fmt_frame_bytes(fmt);
	s->cbl = rd32(s, HDA_SD_CBL);
	s->lvi = (uint8_t)rd16(s, HDA_SD_LVI);
	s->bdl_base = (uint64_t)(rd32(s, HDA_SD_BDPL) & ~(HDA_BDL_ALIGN - 1u)) |
		      (uint64_t)rd32(s, HDA_SD_BDPU) << 32;
	/* Exact link rate: base * mult / div (hda-facts 6). */
	s->rate_num = ((fmt & HDA_FMT_BASE_44K1) ? 44100ull : 48000ull) *
		      (((fmt >> HDA_FMT_MULT_SHIFT) & 0x7u) + 1u);
	s->rate_den = ((fmt >> HDA_FMT_DIV_SHIFT) & 0x7u) + 1u;
	if (!programming_valid(s, env)) {
		sd_fail(s);
		return false;
	}
	s->fifo_size = fifo_for_fmt(fmt, env->fifo_config);
	s->run = true;
	/* Resume re-reads the current descriptor; its offset stays. */
	s->ent_loaded = false;
	if (s->output && !env->dma_starved && !fifo_refill(s, env)) {
		sd_fail(s);
		emu_sd_posbuf_update(s, env);
		return false;
	}
	/* Render: ready once the FIFO is full, which a starved memory side
	 * cannot make it; capture: it is empty and ready. */
	if (!env->fifordy_stuck && !(s->output && s->fifo_fill < s->fifo_size))
		s->regs[HDA_SD_STS] |= HDA_SD_STS_FIFORDY;
	emu_sd_posbuf_update(s, env);
	return true;
}

void emu_sd_stop(emu_stream *s)
{
	s->run = false;
	s->on_link = false;
}

void emu_sd_link_on(emu_stream *s, uint64_t now_ns)
{
	if (!s->run || s->on_link)
		return;
	s->on_link = true;
	s->anchor_ns = now_ns;
	s->frames_since_anchor = 0;
	s->start_ns = now_ns;
}

void emu_sd_link_off(emu_stream *s)
{
	s->on_link = false;
}

/* ---- Device step ------------------------------------------------------- */

/* The link met an empty (render) or full (capture) FIFO: n bytes were not
 * the buffer's.  FIFOE marks the start of an episode, not every frame of
 * it, which would be an interrupt on every device tick. */
static void xrun(emu_stream *s, uint32_t n)
{
	s->xrun_bytes += n;
	if (!s->xrun)
		s->regs[HDA_SD_STS] |= HDA_SD_STS_FIFOE;
	s->xrun = true;
}

static bool render_chunk(emu_stream *s, const emu_sd_env *env, uint32_t k,
			 uint8_t tag)
{
	uint32_t bytes = k * s->frame_bytes;
	uint32_t p = bytes < s->fifo_fill ? bytes : s->fifo_fill;
	uint8_t *buf = env->scratch;
	bool ok = true;

	/* The first bytes on the link come out of the FIFO; a chunk longer
	 * than the FIFO continues with bytes the DMA fetched during the
	 * chunk, which (memory being read at one instant here) are simply
	 * the next bytes at the BDL position. */
	fifo_pop(s, buf, p);
	if (env->dma_starved) {
		/* Nothing was fetched: what the FIFO lacks plays as
		 * silence, whole frames since the fill always is. */
		memset(buf + p, 0, bytes - p);
		if (bytes > p)
			xrun(s, bytes - p);
		bytes = p;
	} else {
		if (bytes > p && !dma_xfer(s, env, buf + p, bytes - p, false))
			return false;
		/* Every frame that left is replaced at once: refill to the
		 * top, which also ends an underrun. */
		ok = fifo_refill(s, env);
		s->xrun = false;
	}
	emu_codec_render(env->codec, tag, s->fmt, buf, k);
	s->link_bytes += bytes;
	s->frames_since_anchor += k;
	return ok;
}

static bool capture_chunk(emu_stream *s, const emu_sd_env *env, uint32_t k,
			  uint8_t tag)
{
	uint32_t bytes = k * s->frame_bytes;
	uint32_t total = s->fifo_fill + bytes;
	uint32_t out = total > s->fifo_size ? total - s->fifo_size : 0;
	uint32_t from_fifo = out < s->fifo_fill ? out : s->fifo_fill;
	uint8_t *buf = env->scratch;

	emu_codec_capture(env->codec, tag, s->fmt, buf, k);
	s->frames_since_anchor += k;
	if (env->dma_starved) {
		/* Nothing drains to memory: the FIFO takes what it has room
		 * for, the rest of the chunk is lost. */
		uint32_t keep = s->fifo_size - s->fifo_fill;

		if (keep > bytes)
			keep = bytes;
		fifo_push(s, buf, keep);
		if (bytes > keep)
			xrun(s, bytes - keep);
		s->link_bytes += keep;
		return true;
	}
	s->xrun = false;
	s->link_bytes += bytes;
	/* What overflows the FIFO goes to memory, oldest first: the FIFO's
	 * bytes, then the start of this chunk; the rest stays queued. */
	if (!fifo_drain(s, env, from_fifo))
		return false;
	if (out > from_fifo &&
	    !dma_xfer(s, env, buf, out - from_fifo, true))
		return false;
	fifo_push(s, buf + (out - from_fifo), bytes - (out - from_fifo));
	return true;
}

void emu_sd_step(emu_stream *s, const emu_sd_env *env, uint64_t now_ns)
{
	uint64_t dt, target, n;
	uint8_t tag = (uint8_t)(s->regs[2] >> 4);

	if (!s->run || !s->on_link || now_ns <= s->anchor_ns)
		return;
	dt = now_ns - s->anchor_ns;
	target = (uint64_t)((u128)dt * s->rate_num /
			    ((u128)s->rate_den * NS_PER_S));
	n = target - s->frames_since_anchor;
	while (n > 0 && s->run) {
		uint32_t k = n < EMU_SD_CHUNK_FRAMES ? (uint32_t)n
						     : EMU_SD_CHUNK_FRAMES;
		bool ok = s->output ? render_chunk(s, env, k, tag)
				    : capture_chunk(s, env, k, tag);

		if (!ok)
			sd_fail(s);
		n -= k;
	}
}

void emu_sd_publish(emu_stream *s, const emu_sd_env *env)
{
	lpib_store(s, s->cbl ? (uint32_t)(s->link_bytes % s->cbl) : 0);
	if (s->dma_bytes != s->dma_published) {
		emu_sd_posbuf_update(s, env);
		s->dma_published = s->dma_bytes;
	}
}
