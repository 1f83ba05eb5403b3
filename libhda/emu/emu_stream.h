/* SPDX-License-Identifier: MIT */
/*
 * One stream descriptor of the emulated controller (emu_stream.c): BDL walk,
 * FIFO, link timing, LPIB, position buffer and IOC.  Internal to the
 * controller: emu_ctrl.c owns the register file and the lock and calls these
 * with the lock held.
 */
#ifndef HDA_EMU_STREAM_H
#define HDA_EMU_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "emu.h"

/* Largest FIFO the model gives a stream (config fifo=4..4096, or one frame
 * of at most 16 channels x 4 bytes). */
#define EMU_SD_FIFO_MAX 4096u
/* A device step moves link frames in chunks of at most this many, so the
 * scratch buffer is bounded: 1024 frames x 64 bytes (16 ch x 32 bit). */
#define EMU_SD_CHUNK_FRAMES 1024u
#define EMU_SD_SCRATCH_BYTES (EMU_SD_CHUNK_FRAMES * 64u)

/* What a stream needs from the controller for one call. */
typedef struct emu_sd_env {
	emu_mem *mem;
	emu_codec *codec;
	uint8_t *scratch;      /* EMU_SD_SCRATCH_BYTES */
	uint64_t posbuf;       /* DMA position buffer base, when posbuf_on */
	bool posbuf_on;
	unsigned fifo_config;  /* fifo= option, bytes before rounding */
	bool fifos_zero;       /* fault: SDnFIFOS reads 0 */
	bool fifordy_stuck;    /* fault: FIFORDY never sets */
	bool posbuf_stale;     /* fault: position buffer not updated */
	bool dma_starved;      /* fault: no byte moves between memory and
				  FIFO (underrun / overrun, FIFOE) */
	bool bdl_unreadable;   /* fault: descriptor fetches fail (DESE) */
} emu_sd_env;

typedef struct emu_stream {
	unsigned index;
	bool bidir;
	bool fixed_output;     /* output engine (ignored when bidir) */
	uint8_t *regs;         /* this descriptor's 0x20 register bytes */
	uint32_t *lpib_alias;  /* LPIB's mirror in the alias page */

	/* Engine state. */
	bool in_reset;         /* SRST as written (the fault hides it) */
	bool run;              /* RUN accepted (validated) */
	bool on_link;          /* run and not held by SSYNC */
	bool output;           /* direction latched at RUN */
	uint16_t fmt;          /* latched at RUN */
	uint32_t frame_bytes;
	uint32_t cbl;
	uint8_t lvi;
	uint64_t bdl_base;
	uint64_t rate_num;     /* link rate = rate_num / rate_den Hz */
	uint64_t rate_den;

	/* Link timing: frames(t) = anchor_frames + floor((t - anchor_ns) *
	 * rate / 1e9); frames_since_anchor is what has been moved so far. */
	uint64_t anchor_ns;
	uint64_t frames_since_anchor;
	uint64_t start_ns;

	/* BDL walk. */
	uint8_t ent_idx;
	bool ent_loaded;
	uint64_t ent_addr;
	uint32_t ent_len;
	uint32_t ent_off;
	bool ent_ioc;

	/* Ground truth since the last stream reset. */
	uint64_t link_bytes;
	uint64_t dma_bytes;
	uint64_t dma_published; /* dma_bytes the last publish wrote out */
	uint32_t fifo_size;    /* FIFO size of the current format, bytes */
	uint64_t xrun_bytes;   /* link bytes that were not the buffer's */
	bool xrun;             /* in an underrun/overrun episode: FIFOE
				  was raised for it */

	/* FIFO contents: render holds bytes fetched but not yet on the link,
	 * capture bytes off the link not yet in memory. */
	uint32_t fifo_head;
	uint32_t fifo_fill;
	uint8_t fifo[EMU_SD_FIFO_MAX];
} emu_stream;

void emu_sd_init(emu_stream *s, unsigned index, bool bidir, bool output,
		 uint8_t *regs, uint32_t *lpib_alias);
/* Default register values and an empty engine (SRST as the caller sets). */
void emu_sd_reset(emu_stream *s, const emu_sd_env *env);
/* SDnFMT was written: recompute FIFOS. */
void emu_sd_fmt_written(emu_stream *s, const emu_sd_env *env);
/* RUN 0 -> 1 (false and DESE set when the programming is invalid). */
bool emu_sd_start(emu_stream *s, const emu_sd_env *env);
/* RUN 1 -> 0: the engine stops where it is; FIFO and positions stay. */
void emu_sd_stop(emu_stream *s);
/* The engine joins the link at model time now (RUN set, SSYNC clear). */
void emu_sd_link_on(emu_stream *s, uint64_t now_ns);
void emu_sd_link_off(emu_stream *s);
bool emu_sd_is_output(const emu_stream *s);
/* Move the frames the link carried up to now_ns.  The new positions stay
 * private to the model until emu_sd_publish. */
void emu_sd_step(emu_stream *s, const emu_sd_env *env, uint64_t now_ns);
/* Store LPIB and (when the DMA position moved) the position buffer, which
 * lock-free readers load: the device step does it for every engine right
 * after storing WALCLK (emu_clock.c says why). */
void emu_sd_publish(emu_stream *s, const emu_sd_env *env);
/* Write the current DMA position to the position buffer (if enabled). */
void emu_sd_posbuf_update(const emu_stream *s, const emu_sd_env *env);
void emu_sd_truth(const emu_stream *s, hda_emu_stream_truth *truth);
/* SDnSTS interrupt condition gated by the SDnCTL enables. */
bool emu_sd_irq(const emu_stream *s);

#endif /* HDA_EMU_STREAM_H */
