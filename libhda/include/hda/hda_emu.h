/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller ("emu" backend): a register-level model of an Intel
 * HDA controller with one codec.  This header is for tests, benchmarks and
 * demos that need to steer the model or read its ground truth; the driver
 * itself never includes it.
 *
 * URI options, "emu:KEY=VALUE,KEY=VALUE" (all optional):
 *   iss=N, oss=N, bss=N   input/output/bidirectional engines (GCAP);
 *                         defaults 4/4/0, each 0..15, 1..30 in total
 *   clock=realtime|manual realtime (default): a device thread advances the
 *                         model every tick_us microseconds of CLOCK_MONOTONIC;
 *                         manual: time moves only by hda_emu_advance()
 *   tick_us=N             device tick in real-time mode (default 1000)
 *   mapregs=on|off        on (default): the backend maps WALCLK and SDnLPIB
 *                         into the process, and the driver reads them with
 *                         plain loads; off: it maps nothing, as a backend
 *                         whose registers sit behind a socket (QEMU's qtest)
 *                         cannot, so the driver derives the link position
 *                         from the DMA position buffer and the FIFO size and
 *                         reads WALCLK through MMIO, and
 *                         hda_get_wall_clock_register and
 *                         hda_get_link_position_register return
 *                         DEVICE_NOT_READY
 *   fifo=N                FIFO bytes per engine before rounding down to whole
 *                         frames of the stream's format (default 256)
 *   dma_mb=N              DMA memory the "machine" has, MiB (default 64),
 *                         at bus addresses from 4 GiB up
 *   dma_low_mb=N          more DMA memory below 4 GiB, MiB (default 0,
 *                         0..1024), used first while it lasts
 *   64ok=on|off           GCAP.64OK (default on).  Off: the controller
 *                         reaches only 32-bit bus addresses, so the bus
 *                         opens only with dma_low_mb for its rings, and a
 *                         DMA buffer that lands above 4 GiB is refused
 *   power_settle=N|never  GET_POWER_STATE reads of a node before a power
 *                         state it was set to takes effect (default 2,
 *                         0..1000; never: it never does).  Until then the
 *                         node stays in its old state, and a converter that
 *                         is not actually in D0 (it and the AFG) plays
 *                         nothing
 *   silent_param=ID       fault: the codec answers no GET_PARAMETER for
 *                         parameter ID (decimal or 0x hex) on any node
 *   lineout=SINK          sink of the line-out pin (node 0x08), default null
 *   hp=SINK               sink of the headphone pin (node 0x09), default null
 *   mic=SOURCE            source of the mic pin (node 0x0C), default sine:440
 *   linein=SOURCE         source of the line-in pin (node 0x0D), default
 *                         loopback
 *   truth=PATH            record every running engine's ground truth at
 *                         each device step into the file PATH (created or
 *                         truncated; format: hda_emu_truth_record below),
 *                         so that a test outside the process (the emulator
 *                         inside hdastreamd, say) can check positions
 *                         against it.  PATH may not contain ','
 *   SINK   = null | wav:PATH          (PATH may not contain ',')
 *   SOURCE = silence | sine:HZ | wav:PATH | loopback
 *   loopback feeds what the line-out pin plays into the pin, frame for
 *   frame, on the same device tick.
 *
 * The codec (node map in libhda/emu/emu.h) behaves as real ones do where a
 * driver can get it wrong: only the converters have amp override, every
 * other widget reads 0 amp caps and uses the AFG's (GET_PARAMETER
 * 0x0D/0x12 on node 0x01); gain and mute act on the samples; power states
 * settle as power_settle says; the mic pin offers VRef Hi-Z, 50, ground, 80
 * and 100 %, line-in Hi-Z and 50 %; and the widget caps carry pipeline
 * delays (DAC 3, mixer 1, selector 2, ADC 4 samples), which are reported
 * but not applied to the samples.
 */
#ifndef HDA_HDA_EMU_H
#define HDA_HDA_EMU_H

#include <stdbool.h>
#include <stdint.h>

#include "hda/hda.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hda_emu hda_emu;

/* The PCI identity the emulated controller states (it has no PCI config
 * space to read; hda_get_device_information reports these on an emu bus).
 * The model follows the ICH6's register defaults, so it names that part. */
#define HDA_EMU_PCI_VENDOR_ID 0x8086u
#define HDA_EMU_PCI_DEVICE_ID 0x2668u
#define HDA_EMU_PCI_REVISION 0x01u

/* The emulator behind a bus, or NULL when the bus is not an emu bus. */
hda_emu *hda_emu_from_bus(hda_bus *bus);

/* Model time in nanoseconds since the emulator was created. */
uint64_t hda_emu_now_ns(hda_emu *emu);

/* Manual clock: advance model time by ns, running every DMA engine, the
 * codec and the endpoints synchronously in the caller's thread.
 * INVALID_DEVICE_REQUEST in real-time mode. */
hda_status hda_emu_advance(hda_emu *emu, uint64_t ns);

/* Ground truth of one stream descriptor (index as in the register map). */
typedef struct hda_emu_stream_truth {
	bool running;              /* RUN set and not held by SSYNC      */
	uint64_t link_bytes;       /* bytes across the link since start  */
	uint64_t dma_bytes;        /* bytes moved to/from memory         */
	uint64_t start_ns;         /* model time the link started (last  */
	                           /* move from held/stopped to running) */
	uint32_t fifo_bytes;       /* current FIFO size                  */
	uint64_t xrun_bytes;       /* fault=fifoe: bytes the link carried
				      that were not the buffer's: render
				      silence in an underrun, capture
				      bytes lost in an overrun          */
} hda_emu_stream_truth;
hda_status hda_emu_stream_truth_get(hda_emu *emu, unsigned sd_index,
				    hda_emu_stream_truth *truth);

/*
 * The truth=PATH file: a header, then one record per running engine per
 * device step, in host (little-endian) byte order, appended by the device
 * step that produced it while it holds the model's lock, so records are in
 * model-time order.  A register write that puts an engine on the link (RUN,
 * or its SSYNC bit cleared) adds a record of that engine at the write's
 * model time, the last step's.  Between two steps the model does not move:
 * the truth at any wall clock value w is the engine's last record with
 * wall_ticks <= w (a step function of WALCLK; of two records with the same
 * wall_ticks the later one holds).  The file stops growing at
 * HDA_EMU_TRUTH_MAX_BYTES (about 25 minutes of two engines at the default
 * 1 ms tick); a write error also stops it.  Nothing is written for an
 * engine that is stopped, in reset, or held by SSYNC.
 */
#define HDA_EMU_TRUTH_MAGIC "HDAEMUT1"  /* 8 bytes, no terminator */
#define HDA_EMU_TRUTH_VERSION 1u
#define HDA_EMU_TRUTH_MAX_BYTES (64ull << 20)

typedef struct hda_emu_truth_header {
	char magic[8];          /* HDA_EMU_TRUTH_MAGIC                    */
	uint32_t version;       /* HDA_EMU_TRUTH_VERSION                  */
	uint32_t record_bytes;  /* sizeof(hda_emu_truth_record): 40       */
} hda_emu_truth_header;

#define HDA_EMU_TRUTH_OUTPUT 0x01u /* record flag: a render (output) engine */

typedef struct hda_emu_truth_record {
	/* The wall clock the step stored, unwrapped: floor(model_ns * 24e6
	 * / 1e9).  Its low 32 bits are the WALCLK register's value. */
	uint64_t wall_ticks;
	uint64_t model_ns;      /* model time of the step                 */
	/* Since the engine's last stream reset, in whole frames of its
	 * format: frames that crossed the link (LPIB's count, unwrapped),
	 * and frames moved between memory and the FIFO (render: fetched;
	 * capture: landed in memory; the position buffer's count). */
	uint64_t link_frames;
	uint64_t dma_frames;
	uint8_t sd;             /* stream descriptor index                */
	uint8_t flags;          /* HDA_EMU_TRUTH_OUTPUT                   */
	uint8_t tag;            /* SDnCTL stream tag                      */
	uint8_t reserved;       /* 0                                      */
	uint32_t frame_bytes;   /* bytes per frame of the engine's format */
} hda_emu_truth_record;

/* Ground truth at a codec converter (DAC or ADC node): frames actually
 * played (render) or captured (capture) there since the bus opened. */
hda_status hda_emu_converter_frames(hda_emu *emu, uint8_t nid,
				    uint64_t *frames);

/* Faults to inject (tests of DEVICE_NOT_READY and friends). */
typedef enum hda_emu_fault {
	HDA_EMU_FAULT_STREAM_RESET_STUCK, /* SRST never reads back          */
	HDA_EMU_FAULT_CONTROLLER_RESET_STUCK, /* GCTL.CRST never reads back */
	HDA_EMU_FAULT_CODEC_SILENT,       /* the codec answers no verb      */
	HDA_EMU_FAULT_FIFOS_ZERO,         /* SDnFIFOS stays 0 after FMT     */
	HDA_EMU_FAULT_DEVICE_GONE,        /* reads all ones, health fails   */
	HDA_EMU_FAULT_FIFO_NEVER_READY,   /* SDnSTS.FIFORDY never sets      */
	HDA_EMU_FAULT_POSBUF_STALE,       /* the position buffer stops being
					     updated while LPIB moves on    */
	HDA_EMU_FAULT_FIFO_ERROR,         /* the DMA cannot keep up: FIFOE,
					     see below                      */
	HDA_EMU_FAULT_BDL_UNREADABLE,     /* descriptor fetches fail: DESE,
					     see below                      */
	HDA_EMU_FAULT_COUNT
} hda_emu_fault;
hda_status hda_emu_inject_fault(hda_emu *emu, hda_emu_fault fault, bool on);

/* Faults can also be armed before bring-up with the URI option
 * fault=NAME[+NAME...], NAME one of: srst, crst, codec, fifos, gone,
 * fifordy, posbuf, fifoe, bdl.
 *
 * gone: every register reads all ones and writes are dropped; the model
 * stops (WALCLK, LPIB and the position buffer freeze) and raises no
 * interrupt, as a device after surprise removal.
 *
 * fifoe (HDA_EMU_FAULT_FIFO_ERROR): the engines' memory side cannot keep up
 * with the link, so no byte moves between memory and the FIFOs while it is
 * armed.  The link keeps its pace.
 *   render:  the link drains the FIFO, then takes frames the FIFO does not
 *            have: an underrun.  Those frames play as silence (zero
 *            samples) at the converter.  They did not come from the buffer:
 *            LPIB and link_bytes do not count them, xrun_bytes does, and
 *            the DMA position stands still.  Nothing of the buffer is lost:
 *            once the fault is cleared the engine refills its FIFO and plays
 *            on from where it stood.
 *   capture: frames from the link fill the FIFO, then find it full: an
 *            overrun.  Those frames are lost: LPIB and link_bytes do not
 *            count them, xrun_bytes does.  Once cleared, the FIFO drains to
 *            memory again, oldest bytes first.
 * SDnSTS.FIFOE is set when an engine enters an underrun or overrun, once
 * per episode (not once per frame, which would be an interrupt per device
 * tick); an episode ends when the memory side has caught up.  The engine
 * keeps running.  A render start under the fault cannot fill a FIFO that is
 * not full already, so FIFORDY stays clear.  Ground truth at a converter counts every frame the
 * link carried: for one run, (link_bytes + xrun_bytes) / frame bytes.
 *
 * bdl (HDA_EMU_FAULT_BDL_UNREADABLE): every descriptor fetch is a bus
 * error, as if an IOMMU had unmapped the BDL page.  A running engine fails
 * at its next fetch (when it enters the next BDL entry), a start at once:
 * SDnSTS.DESE is set and the engine clears RUN and stops, as a descriptor
 * error does on hardware.  Positions and FIFO stay where the error left
 * them until a stream reset. */

/* Whether the sink at an output pin still records: SUCCESS and "" while it
 * does; UNSUCCESSFUL and a message naming the file once it could not open
 * or write it (a full disk, say), after which its frames are dropped;
 * INVALID_PARAMETER when pin_nid has no sink. */
hda_status hda_emu_sink_error(hda_emu *emu, uint8_t pin_nid, char *msg,
			      size_t len);

/* Jack presence at a pin; a change sends an unsolicited response when the
 * pin's UNSOLICITED_ENABLE is set. */
hda_status hda_emu_set_jack(hda_emu *emu, uint8_t pin_nid, bool present);

#ifdef __cplusplus
}
#endif

#endif /* HDA_HDA_EMU_H */
