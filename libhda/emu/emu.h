/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of the emulated HDA controller.
 *
 *   emu_mem.c       the machine's DMA memory: a page arena with bus addresses
 *   emu_config.c    the URI options ("KEY=VALUE,...") as an emu_ctrl_config
 *   emu_ctrl.c      controller: life cycle, fault injection, ground truth
 *   emu_regs.c      its register file: masks, reset values, MMIO, the side
 *                   effects of writes (controller reset, SSYNC, stream
 *                   control)
 *   emu_corb.c      its codec link (CORB/RIRB, immediate commands,
 *                   unsolicited responses) and interrupt line
 *   emu_clock.c     its model time: device step, device thread, manual clock
 *                   (emu_ctrl.h: the state these four share)
 *   emu_truth.c     its ground truth, step by step, into the truth=PATH file
 *   emu_stream.c    one stream descriptor: BDL walk, FIFO, LPIB, position
 *                   buffer, IOC
 *   emu_codec.c     the codec: widget graph, reset, jacks, unsolicited
 *                   responses, ground truth (model decisions at its top)
 *   emu_codec_verbs.c  the codec's verb decoding: parameters, power, amps
 *   emu_codec_audio.c  the codec's samples: converters, amps, mixers,
 *                   pins and endpoints, loopback
 *   emu_codec_model.h  what the three codec files share
 *   emu_endpoint.c  what is plugged into pins: sinks and sources
 *   plat_emu.c      the hda_plat_ops backend and the hda_emu.h API
 *
 * Samples travel between codec and endpoints as interleaved int32_t,
 * MSB-aligned (a 16-bit sample s is s << 16), so any container converts to
 * it and back exactly.
 */
#ifndef HDA_EMU_EMU_H
#define HDA_EMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"
#include "hda/hda_emu.h"

/* ---- Converter-format arithmetic (emu_format.c) ------------------------- */

/* Sample rate in Hz of an SDnFMT / converter format; 0 when invalid. */
uint32_t emu_fmt_rate(uint16_t fmt);
/* Channels (1..16). */
unsigned emu_fmt_channels(uint16_t fmt);
/* Bits per sample (8, 16, 20, 24, 32); 0 when invalid. */
unsigned emu_fmt_bits(uint16_t fmt);
/* Container bytes per sample in memory (1, 2 or 4); 0 when invalid. */
unsigned emu_fmt_container(uint16_t fmt);
/* Bytes per frame in memory; 0 when invalid. */
unsigned emu_fmt_frame_bytes(uint16_t fmt);
/* Keep the top `bits` bits of an MSB-aligned sample: truncation, as a
 * converter of that width would see it. */
int32_t emu_fmt_truncate(int32_t s, unsigned bits);
/* Memory bytes <-> MSB-aligned int32 samples (n = frames * channels). */
void emu_fmt_unpack(uint16_t fmt, const uint8_t *mem, int32_t *samples,
		    size_t n);
void emu_fmt_pack(uint16_t fmt, const int32_t *samples, uint8_t *mem,
		  size_t n);

/* ---- DMA memory (emu_mem.c) ----------------------------------------------- */

typedef struct emu_mem emu_mem;

#define EMU_MEM_BUS_BASE 0x100000000ull /* above 4 GiB: exercises 64OK */
#define EMU_MEM_LOW_BUS_BASE 0x10000000ull /* 256 MiB: the optional low part */

/* `bytes` of memory at EMU_MEM_BUS_BASE, plus `low_bytes` (may be 0) at
 * EMU_MEM_LOW_BUS_BASE, below 4 GiB; allocations try the low part first,
 * as a machine's allocator hands out 32-bit-reachable memory while it
 * lasts. */
hda_status emu_mem_create(size_t bytes, size_t low_bytes, emu_mem **mem);
void emu_mem_destroy(emu_mem *mem);
/* Contiguous, page aligned, zeroed; INSUFFICIENT_RESOURCES when full. */
hda_status emu_mem_alloc(emu_mem *mem, size_t size, void **host,
			 uint64_t *bus);
void emu_mem_free(emu_mem *mem, uint64_t bus, size_t size);
/* Host pointer for [bus, bus+len) when that range lies inside one live
 * allocation, else NULL (the device's bus error). */
void *emu_mem_ptr(emu_mem *mem, uint64_t bus, size_t len);

/* ---- Endpoints (emu_endpoint.c) ------------------------------------------- */

typedef struct emu_sink emu_sink;
typedef struct emu_source emu_source;

/* spec: "null" | "wav:PATH".  err gets a message on INVALID_PARAMETER. */
hda_status emu_sink_create(const char *spec, emu_sink **sink, char *err,
			   size_t errlen);
/* Write frames of `channels` interleaved MSB-aligned samples produced at
 * `rate` with `bits` valid bits.  A WAV sink opens its file on the first
 * write with that format; a later, different format is counted as a
 * mismatch and dropped. */
void emu_sink_write(emu_sink *sink, const int32_t *samples, size_t frames,
		    unsigned channels, uint32_t rate, unsigned bits);
uint64_t emu_sink_frames(const emu_sink *sink);
/* Why the sink stopped recording (it could not open or write its file),
 * naming the file; NULL while it works. */
const char *emu_sink_error(const emu_sink *sink);
void emu_sink_destroy(emu_sink *sink); /* finalises a WAV file; NULL ok */

/* spec: "silence" | "sine:HZ" | "wav:PATH" | "loopback" */
hda_status emu_source_create(const char *spec, emu_source **source,
			     char *err, size_t errlen);
bool emu_source_is_loopback(const emu_source *source);
/* Fill frames of `channels` samples at `rate` with `bits` valid bits. */
void emu_source_read(emu_source *source, int32_t *samples, size_t frames,
		     unsigned channels, uint32_t rate, unsigned bits);
void emu_source_destroy(emu_source *source); /* NULL ok */

/* ---- Codec (emu_codec.c) ----------------------------------------------- */

/*
 * Node map of the emulated codec (vendor 0x1d170001, codec address 0):
 *   0x01 audio function group, nodes 0x02..0x0D; its amp caps are the
 *        default of every widget without amp override
 *   0x02, 0x03  DACs (stereo, out amp with override, delay 3)
 *   0x04, 0x05  ADCs (in amp with override, delay 4), connected to
 *               selectors 0x0A and 0x0B
 *   0x06, 0x07  mixers with one input each: 0x02 and 0x03 (delay 1)
 *   0x08  line-out pin, connections [0x06, 0x07], EAPD, presence detect
 *   0x09  headphone pin, connections [0x07, 0x06], presence detect
 *   0x0A, 0x0B  selectors, connections [0x0C, 0x0D] and [0x0D, 0x0C]
 *               (delay 2)
 *   0x0C  mic pin (input, presence detect, VRef Hi-Z/50/ground/80/100 %)
 *   0x0D  line-in pin (input, VRef Hi-Z/50 %)
 * Widgets other than the converters have no amp override; all have power
 * control.
 */
typedef struct emu_codec emu_codec;

#define EMU_POWER_SETTLE_NEVER 0xFFFFFFFFu
#define EMU_POWER_SETTLE_DEFAULT 2u /* the URI default */

typedef struct emu_codec_config {
	const char *lineout; /* sink specs, NULL = default */
	const char *hp;
	const char *mic;     /* source specs, NULL = default */
	const char *linein;
	/* GET_POWER_STATE reads of a node after a SET_POWER_STATE that
	 * changed it before its actual state follows: 0 at once (the value
	 * of a zeroed config), EMU_POWER_SETTLE_NEVER never. */
	unsigned power_settle;
	/* When set, GET_PARAMETER silent_param gets no answer on any node. */
	bool silent_param_on;
	uint8_t silent_param;
} emu_codec_config;

hda_status emu_codec_create(const emu_codec_config *config, emu_codec **codec,
			    char *err, size_t errlen);
void emu_codec_destroy(emu_codec *codec); /* NULL ok */

/* Execute one verb addressed to this codec (cmd bits [27:0]).  Returns true
 * and the response when the codec answers. */
bool emu_codec_verb(emu_codec *codec, uint32_t cmd, uint32_t *response);

/* Link traffic for one device step.  The controller calls render for every
 * running output stream first, then capture for every running input stream,
 * so loopback sees this step's frames.  frames may be 0.
 * render: `mem` holds frames in SDnFMT `fmt` as they crossed the link with
 * stream tag `tag`; converters with that tag and a matching format play
 * them (counted as ground truth) and route them to their pins.
 * capture: fill `mem` with frames for converters listening to `tag`
 * (silence when none). */
void emu_codec_render(emu_codec *codec, uint8_t tag, uint16_t fmt,
		      const uint8_t *mem, size_t frames);
void emu_codec_capture(emu_codec *codec, uint8_t tag, uint16_t fmt,
		       uint8_t *mem, size_t frames);
/* Called after each device step's render and capture calls. */
void emu_codec_step_end(emu_codec *codec);

/* Unsolicited responses the codec wants to send, oldest first. */
bool emu_codec_pop_unsolicited(emu_codec *codec, uint32_t *response);
hda_status emu_codec_set_jack(emu_codec *codec, uint8_t nid, bool present);
hda_status emu_codec_converter_frames(const emu_codec *codec, uint8_t nid,
				      uint64_t *frames);
/* The error of the sink plugged into output pin nid (NULL: none);
 * INVALID_PARAMETER when nid is not an output pin. */
hda_status emu_codec_sink_error(const emu_codec *codec, uint8_t nid,
				const char **error);
/* Frames a converter listening to a call's tag did not play or capture
 * because its format differed or it was not powered (AFG and node at D0). */
hda_status emu_codec_converter_dropped(const emu_codec *codec, uint8_t nid,
				       uint64_t *frames);

/* ---- Configuration (emu_config.c) ------------------------------------------ */

/* Write a printf-style message into err unless err is NULL or errlen 0.
 * The library never prints: a caller that wants the reason behind an
 * INVALID_PARAMETER passes a buffer. */
void emu_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef struct emu_ctrl_config {
	unsigned iss, oss, bss;
	bool manual_clock;
	unsigned tick_us;
	unsigned fifo_bytes;
	size_t dma_bytes;
	size_t dma_low_bytes; /* DMA memory below 4 GiB (emu_mem_create) */
	bool dma64;           /* GCAP.64OK; default true */
	uint32_t faults; /* bit per hda_emu_fault armed at creation */
	/* Manual clock: after a step raises the interrupt line, advance waits
	 * up to this long (real time) for the handler to lower it, as the
	 * handler would have a tick of real time; 0 = never wait (white-box
	 * use without an interrupt handler).  Default 1000. */
	unsigned irq_wait_ms;
	/* emu_ctrl_map32 hands out pointers to WALCLK and SDnLPIB; false
	 * makes it refuse every offset, as a backend whose registers sit
	 * behind a socket must, so that the driver's fallbacks (positions
	 * derived from the position buffer, WALCLK over MMIO) run on the
	 * model.  Default true. */
	bool map_regs;
	emu_codec_config codec;
	const char *truth_path; /* truth=PATH, NULL = none (emu_truth.c) */
	char *strings;   /* owns the spec strings after a parse */
} emu_ctrl_config;

/* Defaults; config must not own strings yet (see release). */
void emu_ctrl_config_default(emu_ctrl_config *config);
/* Parse "KEY=VALUE,..." (see hda_emu.h) into config; INVALID_PARAMETER with
 * a message naming the key otherwise (config untouched).  On success the
 * codec spec strings live in config->strings, owned by the config. */
hda_status emu_ctrl_config_parse(const char *options, emu_ctrl_config *config,
				 char *err, size_t errlen);
/* Free the strings a parse copied into config (NULL ok); the codec specs
 * become NULL (defaults). */
void emu_ctrl_config_release(emu_ctrl_config *config);

/* ---- Controller (emu_ctrl.c; emu_ctrl.h lists its files) ---------------- */

typedef struct emu_ctrl emu_ctrl;

hda_status emu_ctrl_create(const emu_ctrl_config *config, emu_ctrl **ctrl,
			   char *err, size_t errlen);
void emu_ctrl_destroy(emu_ctrl *ctrl); /* NULL ok */

uint8_t emu_ctrl_read8(emu_ctrl *ctrl, uint32_t off);
uint16_t emu_ctrl_read16(emu_ctrl *ctrl, uint32_t off);
uint32_t emu_ctrl_read32(emu_ctrl *ctrl, uint32_t off);
void emu_ctrl_write8(emu_ctrl *ctrl, uint32_t off, uint8_t val);
void emu_ctrl_write16(emu_ctrl *ctrl, uint32_t off, uint16_t val);
void emu_ctrl_write32(emu_ctrl *ctrl, uint32_t off, uint32_t val);
/* WALCLK, SDnLPIB and their aliases; NULL for any other offset, and for
 * every offset when the config said map_regs = false. */
const volatile uint32_t *emu_ctrl_map32(emu_ctrl *ctrl, uint32_t off);
emu_mem *emu_ctrl_mem(emu_ctrl *ctrl);
int emu_ctrl_irq_fd(emu_ctrl *ctrl);
bool emu_ctrl_gone(emu_ctrl *ctrl);
/* The real-time clock's tick, in which positions move at once; 0 on the
 * manual clock (it moves as far as its caller advances it). */
uint32_t emu_ctrl_position_step_ns(const emu_ctrl *ctrl);

uint64_t emu_ctrl_now_ns(emu_ctrl *ctrl);
hda_status emu_ctrl_advance(emu_ctrl *ctrl, uint64_t ns);
hda_status emu_ctrl_stream_truth(emu_ctrl *ctrl, unsigned sd_index,
				 hda_emu_stream_truth *truth);
hda_status emu_ctrl_converter_frames(emu_ctrl *ctrl, uint8_t nid,
				     uint64_t *frames);
hda_status emu_ctrl_inject_fault(emu_ctrl *ctrl, hda_emu_fault fault,
				 bool on);
hda_status emu_ctrl_set_jack(emu_ctrl *ctrl, uint8_t nid, bool present);
hda_status emu_ctrl_sink_error(emu_ctrl *ctrl, uint8_t nid, char *msg,
			       size_t len);

#endif /* HDA_EMU_EMU_H */
