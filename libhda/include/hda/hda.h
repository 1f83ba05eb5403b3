/* SPDX-License-Identifier: MIT */
/*
 * libhda: a user-space Intel High Definition Audio controller driver whose API
 * mirrors the Windows HD Audio bus DDI (hdaudio.h) routine for routine.
 *
 * Naming: each DDI routine becomes hda_<routine in snake_case>.  The DDI's
 * first argument (the interface Context) becomes the bus handle.
 *
 * Threads.  A kernel calls the DDI at PASSIVE_LEVEL and services interrupts at
 * DIRQL.  libhda maps that onto these kinds of user-space thread:
 *   - the CONTROL thread: any one thread at a time that opens the bus and
 *     allocates, programs and frees engines.  Routines marked [control] take
 *     the bus lock and may block for bounded hardware waits.
 *   - the AUDIO thread(s): real-time threads that move data.  Routines marked
 *     [audio] take no lock, make no allocation and make no system call beyond
 *     what the backend's register read costs; they may run while the control
 *     thread works on other engines.
 *   - the INTERRUPT thread: owned by libhda; it services the controller's
 *     interrupt and runs the callbacks (ISR, unsolicited-response and verb
 *     completion callbacks).  Routines marked [control] return
 *     HDA_STATUS_UNSUCCESSFUL when called from inside such a callback: that is
 *     the user-space counterpart of the DDI's "IRQL too high".  Its
 *     scheduling can be set (hda_set_interrupt_thread_scheduling).
 *   - the SERVICE thread (optional): a thread of the caller that takes the
 *     stream interrupts over (hda_interrupt_attach): it polls one fd and
 *     calls hda_interrupt_dispatch, which services SDnSTS and runs ISRs and
 *     notification eventfds on that thread, so the caller decides how
 *     soon an IOC is seen.  Codec work (the RIRB, unsolicited callbacks,
 *     verb completions) stays on libhda's threads and never blocks it.
 *     Routines marked [service] are called by that thread.
 * Stream interrupts never wait for a codec verb transfer, on either thread.
 *
 * Every routine returns a status and leaves its out-parameters untouched on
 * failure.  The library never prints and never exits.
 */
#ifndef HDA_HDA_H
#define HDA_HDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes (the DDI's NTSTATUS values it documents) -------------- */

typedef enum hda_status {
	HDA_STATUS_SUCCESS = 0,
	HDA_STATUS_UNSUCCESSFUL,           /* wrong context (callback)        */
	HDA_STATUS_INSUFFICIENT_RESOURCES, /* no engine, bandwidth or memory  */
	HDA_STATUS_INVALID_HANDLE,         /* freed, foreign or forged handle */
	HDA_STATUS_INVALID_PARAMETER,      /* NULL out-pointer, bad format... */
	HDA_STATUS_DEVICE_NOT_READY,       /* hardware programming timed out  */
	HDA_STATUS_INVALID_DEVICE_REQUEST, /* wrong engine state              */
	HDA_STATUS_BUFFER_TOO_SMALL,       /* FIFO or caller struct too small */
	HDA_STATUS_NO_MEMORY,              /* host memory for a verb transfer */
	HDA_STATUS_ACCESS_DENIED,          /* the OS refused (EPERM)          */
} hda_status;

/* Stable, human-readable name ("HDA_STATUS_SUCCESS", ...); never NULL. */
const char *hda_status_str(hda_status status);

/* ---- Bus ------------------------------------------------------------------ */

typedef struct hda_bus hda_bus;

/*
 * [control] Open a controller, bring it up (controller reset, CORB/RIRB,
 * codec enumeration, position buffer) and start libhda's interrupt thread.
 *
 * uri selects the backend and its options:
 *   "emu" or "emu:KEY=VALUE,..."   the built-in emulated controller
 *                                   (options: see hda_emu.h)
 * Returns INVALID_PARAMETER for an unknown backend or option,
 * DEVICE_NOT_READY when the controller or its link does not come out of
 * reset in bounded time, INSUFFICIENT_RESOURCES when memory cannot be had.
 */
hda_status hda_bus_open(const char *uri, hda_bus **bus);

/* [control] hda_bus_open that also says why it failed: on failure it writes
 * a one-line reason into reason[reason_len] (naming the bad option, the
 * register that timed out, or what QEMU printed), so that a program can
 * tell its user.  reason may be NULL. */
hda_status hda_bus_open_ex(const char *uri, hda_bus **bus, char *reason,
			   size_t reason_len);

/* [control] Stop every engine, free everything, close the backend.
 * Accepts NULL.  Called from a libhda callback it does nothing (it would
 * have to wait for the thread it runs on). */
void hda_bus_close(hda_bus *bus);

/* ---- Engines and formats ------------------------------------------------ */

/*
 * An engine handle is a value, not a pointer: it encodes the bus it belongs
 * to, the stream descriptor and a generation number.  libhda validates every
 * field before use, so a freed, foreign or forged handle yields
 * HDA_STATUS_INVALID_HANDLE and is never dereferenced.
 */
typedef struct hda_engine {
	uint64_t value;
} hda_engine;

typedef struct hda_stream_format {
	uint32_t sample_rate;           /* Hz, e.g. 48000                      */
	uint16_t valid_bits_per_sample; /* 8, 16, 20, 24 or 32                 */
	uint16_t container_size;        /* bits in memory: 8, 16 or 32         */
	uint16_t channels;              /* 1..16                               */
} hda_stream_format;

/* Converter format = SDnFMT = the codec's converter format (16 bits). */
hda_status hda_format_to_converter(const hda_stream_format *format,
				   uint16_t *converter_format);
hda_status hda_converter_to_format(uint16_t converter_format,
				   hda_stream_format *format);
/* Bytes per frame in DMA memory; 0 for a bad converter format. */
uint32_t hda_converter_frame_bytes(uint16_t converter_format);

typedef enum hda_stream_state {
	HDA_STREAM_STATE_RESET = 0,
	HDA_STREAM_STATE_STOP = 1, /* Stop and Pause are one hardware state */
	HDA_STREAM_STATE_PAUSE = 1,
	HDA_STREAM_STATE_RUN = 2,
} hda_stream_state;

/* [control] Reserve an output engine and link bandwidth.  Programs no
 * hardware.  The engine starts in Reset with no buffer.  stripe asks for
 * striping over several SDO lines (only when the controller has them). */
hda_status hda_allocate_render_dma_engine(hda_bus *bus,
					  const hda_stream_format *format,
					  bool stripe, hda_engine *handle,
					  uint16_t *converter_format);

/* [control] Reserve an input engine for the codec at codec_address. */
hda_status hda_allocate_capture_dma_engine(hda_bus *bus, uint8_t codec_address,
					   const hda_stream_format *format,
					   hda_engine *handle,
					   uint16_t *converter_format);

/* [control] Change an engine's format and bandwidth reservation.  The engine
 * must be in Reset with no buffer; on failure the old reservation stays. */
hda_status hda_change_bandwidth_allocation(hda_bus *bus, hda_engine handle,
					   const hda_stream_format *format,
					   uint16_t *converter_format);

/* [control] Release an engine (must be in Reset with no buffer). */
hda_status hda_free_dma_engine(hda_bus *bus, hda_engine handle);

/* [any] libhda addition: the stream descriptor index the engine runs on
 * (its INTSTS/SSYNC bit and position-buffer slot), for diagnostics. */
hda_status hda_get_engine_descriptor(hda_bus *bus, hda_engine handle,
				     unsigned *index);

/* ---- DMA buffers ------------------------------------------------------------ */

#define HDA_PAGE_SIZE 4096u

typedef struct hda_mdl_page {
	void *host;   /* address in this process       */
	uint64_t bus; /* address the controller DMAs to */
} hda_mdl_page;

/*
 * Memory descriptor list: the pages holding a buffer.  Owned by libhda and
 * valid until the buffer is freed.  The buffer begins byte_offset bytes into
 * the first page (always 0 for hda_allocate_dma_buffer) and is also mapped
 * contiguously at `base` in this process.
 */
typedef struct hda_mdl {
	void *base;
	size_t byte_offset;
	size_t byte_count;
	size_t page_count;
	const hda_mdl_page *pages;
} hda_mdl;

/*
 * [control] Allocate the cyclic DMA buffer of an engine in Reset, build its
 * BDL and program the stream descriptor (stream number, CBL, LVI, BDL
 * address, format), then read the FIFO size.
 *
 * Size rule.  The buffer is a whole number of "granules", where a granule is
 * lcm(frame bytes, 128): whole frames (CBL must be), and every BDL fragment
 * starts on a 128-byte boundary.  The BDL has at least 2 entries, so the
 * smallest buffer is 2 granules; it is also larger than the engine's FIFO
 * for the format (a buffer the FIFO could swallow whole leaves the caller
 * no time to write); the largest is 4 MiB rounded down to a granule
 * (Linux's limit).  A request that is not a granule multiple is rounded to
 * the nearest one (ties round up) and clamped into that range; *allocated
 * says what was chosen.  When the memory cannot be had the call fails with
 * INSUFFICIENT_RESOURCES rather than silently shrinking.
 *
 * The stream id (1..15) is unique among all live engines, of both
 * directions, while at most 15 engines are live (Linux's default, which
 * every controller accepts); beyond 15 it is unique among live engines of
 * the same direction, which is what the HDA specification requires.
 * The FIFO size is SDnFIFOS read after the format is written, in bytes.
 * Programming the codec converter with the stream id is the caller's job
 * (see hda_codec.h).
 */
hda_status hda_allocate_dma_buffer(hda_bus *bus, hda_engine handle,
				   size_t requested_size, hda_mdl **mdl,
				   size_t *allocated_size, uint8_t *stream_id,
				   uint32_t *fifo_size);

/* [control] Free the buffer of an engine in Reset. */
hda_status hda_free_dma_buffer(hda_bus *bus, hda_engine handle);

/*
 * [control] The engine states change together (one SSYNC-gated write), so
 * engines started in one call begin on the same sample.  Allowed moves:
 * Reset -> Stop, Run -> Stop, Stop -> Run, Stop -> Reset, and X -> X.
 * A direct Run <-> Reset is refused with INVALID_DEVICE_REQUEST (the DDI
 * forbids it without naming a code; hda-facts 8.4).  Any engine without a
 * buffer makes a non-Reset target fail with INVALID_DEVICE_REQUEST.  The call
 * validates every handle before touching any hardware.
 *
 * Stop is also Pause: Run after Stop continues from where the engine
 * stopped, with positions (and the audio) going on from there.  Where the
 * controller itself restarts its BDL at every Run (QEMU's), libhda emulates
 * the resume: it programs the BDL rotated to begin at the stopped offset
 * (the entry holding it split in two, IOC flags staying at the buffer
 * offsets they had, CBL unchanged) and adds that offset to the positions
 * it reports; Reset puts the BDL back.  There, a BDL of 256 entries that
 * stopped inside an entry cannot be split, and Run fails with
 * INSUFFICIENT_RESOURCES.
 *
 * The hardware can stop an engine on its own: a descriptor error (DESE)
 * clears RUN.  libhda learns of it on its interrupt thread, which reports it
 * at once through hda_get_engine_status (stopped_by_hardware) and the
 * engine's notification eventfds.  The engine's state here follows at the
 * next call: an engine in Run that the hardware stopped is in Stop, and the
 * call is judged as for an engine in Stop.  Run starts it again (a new run,
 * which clears stopped_by_hardware; on the same BDL it may fail the same
 * way), Reset is allowed, and Stop changes nothing.  The usual recovery is
 * Reset, reprogram or rewrite the buffer as needed, Stop, Run.  A call made
 * before the interrupt was serviced (before the eventfd fired) still sees
 * Run.
 */
hda_status hda_set_dma_engine_state(hda_bus *bus, hda_stream_state state,
				    size_t count, const hda_engine *handles);

/*
 * Stream errors: what the hardware reported for one engine, for the audio
 * thread.  The counters start at 0 when the engine is allocated and only go
 * up (they wrap at 2^32): a reader keeps the last status it read and
 * compares, so nothing needs clearing and several readers do not disturb one
 * another.  They count interrupt services, not events: IOCs that arrive
 * before the interrupt thread services the first one are counted once, as
 * they wake an eventfd once.
 */
typedef struct hda_engine_status {
	uint32_t buffer_completions; /* services that saw IOC (SDnSTS.BCIS)  */
	uint32_t fifo_errors;        /* ... that saw FIFOE: a render underrun
					(the link took frames the FIFO did not
					have) or a capture overrun (frames
					lost); the engine runs on            */
	uint32_t descriptor_errors;  /* ... that saw DESE: a BDL entry or the
					memory it names could not be read;
					fatal, the hardware stops the engine */
	bool stopped_by_hardware;    /* the hardware stopped the engine (after
					DESE) and libhda has not started it
					since                                 */
	bool device_gone;            /* the controller is gone, for good     */
} hda_engine_status;

/*
 * [audio] Lock-free read of an engine's status; no system call.  A status
 * with stopped_by_hardware set already counts the descriptor error behind
 * it.  INVALID_HANDLE for a bad or freed handle; SUCCESS with device_gone
 * set once the controller is gone.
 *
 * How errors are noticed.  FIFOE and DESE raise the engine's interrupt
 * (libhda enables both), so they are counted when the interrupt thread
 * services it.  A controller that dies raises none; while any engine is in
 * Run, the interrupt thread therefore looks at the device every 100 ms, and
 * a gone device (registers reading all ones, the backend's health check
 * failing) is reported within that bound of its death, or at once when an
 * interrupt arrives.  With no engine in Run it is noticed at the next
 * interrupt.
 */
hda_status hda_get_engine_status(hda_bus *bus, hda_engine handle,
				 hda_engine_status *status);

/* ---- Positions ------------------------------------------------------------- */

/*
 * [any] Pointers to the live WALCLK register and an engine's LPIB register,
 * as the DDI hands out.  Where the backend cannot map registers into this
 * process they return DEVICE_NOT_READY; hda_read_position works everywhere.
 *   emu:  both registers are mapped (the model's register page), unless
 *         the URI says mapregs=off (hda_emu.h).
 *   qemu: neither.  WALCLK sits behind the socket; LPIB could be served
 *         from the position buffer, but libhda emulates Pause there (see
 *         hda_set_dma_engine_state), after which the register counts from
 *         the resume point and no longer names the buffer position.
 */
hda_status hda_get_wall_clock_register(hda_bus *bus,
				       const volatile uint32_t **wall_clock);
hda_status hda_get_link_position_register(hda_bus *bus, hda_engine handle,
					  const volatile uint32_t **lpib);

/*
 * A snapshot of one engine's positions.
 *   link:  bytes that have crossed the HDA link, i.e. reached (render) or
 *          left (capture) the codec converter.  This is what was played or
 *          captured.
 *   dma:   bytes the engine has moved between memory and its FIFO.  Render:
 *          everything before it has been fetched and must not be rewritten;
 *          dma - link is the FIFO fill.  Capture: everything before it is in
 *          memory and may be read; link - dma is the FIFO fill.
 * Sources: link from LPIB and dma from the DMA position buffer when both can
 * be read cheaply; when one cannot, it is derived from the other and the
 * FIFO size (render dma = link + fifo, capture dma = link - fifo).
 *
 * Stale position buffer.  Where LPIB is mapped, a pair whose FIFO fill stays
 * impossible on every retry means the position buffer has stopped (Linux's
 * azx_position_ok makes the same call): from then until the buffer moves
 * again or the engine is reset, dma is derived from LPIB (dma = link +/-
 * fifo_size) and posbuf_stale is set.  Where LPIB is
 * not mapped (emu mapregs=off, or QEMU, which serves LPIB from the position
 * buffer itself) there is no second lock-free source to compare with or
 * fall back to; hda_position_track then notices a position that does not
 * move while the engine runs (hda_stream_position.stalled).
 */
typedef struct hda_position {
	uint32_t link; /* 0..cbl-1, wraps */
	uint32_t dma;  /* 0..cbl-1, wraps */
	uint32_t wall_clock;
	uint32_t cbl;
	uint32_t fifo_size;
	uint32_t fifo_fill;   /* bytes in the FIFO now: |dma - link|, 0..fifo_size */
	uint32_t frame_bytes;
	uint32_t sample_rate; /* Hz; the byte rate is sample_rate x frame_bytes */
	/* WALCLK ticks (24 MHz) the engine has spent in Run since its last
	 * reset, modulo 2^32: the clock the tracker counts wraps with.  It
	 * stands still while the engine is stopped. */
	uint32_t run_ticks;
	bool running;      /* the driver has the engine in Run */
	bool render;       /* render: dma ahead of link; capture: behind */
	bool posbuf_stale; /* dma derived from LPIB: the position buffer stopped */
} hda_position;

/* [audio] Lock-free snapshot.  Returns INVALID_HANDLE for a bad handle,
 * INVALID_DEVICE_REQUEST when the engine has no buffer, and
 * DEVICE_NOT_READY once the controller is gone (surprise removal, QEMU
 * killed), from an atomic load and without a register access.  The pair
 * is consistent: the FIFO fill it implies is between 0 and fifo_size (the
 * two registers are read more than once when they move in between). */
hda_status hda_read_position(hda_bus *bus, hda_engine handle,
			     hda_position *position);

/*
 * Unwrapped, FIFO-aware stream position.  One tracker per engine, owned by a
 * single (audio) thread, reset (hda_position_tracker_reset) while the engine
 * is in Reset or at least before it has spent 178 s in Run since then: a
 * reset tracker counts from the engine's last reset.
 *
 * Late calls.  The tracker does not need a call per buffer.  Each call
 * takes the engine's running time since the previous one (run_ticks, which
 * leaves out any time spent stopped, so Stop, a long pause and Run give no
 * phantom wraps) times the byte rate, and picks the whole number of
 * buffers that makes the observed link position closest to it.  That is
 * exact whenever the link moved within half a buffer of what the nominal
 * rate predicts, for any gap with less than 2^32 ticks (178.96 s) of
 * running time.  On hardware and on the emulator the link follows the
 * sample clock to within a FIFO.  On QEMU it jumps about 4 KiB ahead at
 * the start (its codec fills up) and stays there, and falls behind by as
 * long as QEMU's main loop stalls: a 100 ms buffer leaves 5.5 KiB to spare
 * for a first call, 9.6 KiB for later ones (README, "Positions").
 *
 * The link position it reports never goes backwards; dma is link plus
 * (render) or minus (capture) the FIFO fill of the same snapshot.
 */
typedef struct hda_position_tracker {
	uint64_t link_bytes;
	uint64_t dma_bytes;
	uint64_t wall_ticks; /* 24 MHz ticks, unwrapped */
	uint64_t late_calls; /* calls that returned late = true */
	uint64_t stalled_calls; /* calls that returned stalled = true */
	uint32_t last_run;   /* run_ticks where link_bytes was last measured */
	uint32_t last_wall;
	bool primed;
} hda_position_tracker;

typedef struct hda_stream_position {
	uint64_t link_bytes;       /* total bytes across the link      */
	uint64_t dma_bytes;        /* total bytes moved in memory      */
	uint64_t converter_frames; /* link_bytes / frame bytes         */
	uint64_t dma_frames;       /* dma_bytes / frame bytes          */
	uint64_t wall_ticks;       /* unwrapped WALCLK at the snapshot */
	uint32_t fifo_size;
	uint32_t fifo_fill;        /* dma_bytes - link_bytes, or the reverse */
	/*
	 * late: since the previous call (or, for the first, since the
	 * engine's reset) the DMA position moved by more than
	 * cbl - fifo_size bytes.  A caller that at the previous call kept
	 * the buffer full (render) or empty (capture) relative to the
	 * positions it was shown may then have been underrun or overrun:
	 * the FIFO fill, which it cannot see move, takes up to fifo_size of
	 * the buffer's cbl bytes.  An on-time caller, one call at least
	 * every cbl - fifo_size bytes of stream, never sees it set.
	 */
	bool late;
	/*
	 * stalled: the position has not moved since the last call that saw
	 * it move although the engine has run for more than a quarter
	 * buffer since then, and not for a whole number of buffers give or
	 * take fifo_size bytes: a stale position buffer with no LPIB to fall
	 * back on, or an engine that does not move.  The positions are held
	 * at their last measured values; once the position moves again they
	 * are exact again (same 178 s rule), because the wraps are counted
	 * from the running time since the last measurement.
	 */
	bool stalled;
	bool posbuf_stale;         /* hda_position.posbuf_stale        */
} hda_stream_position;

void hda_position_tracker_reset(hda_position_tracker *tracker);
/* [audio] Read and unwrap.  Returns what hda_read_position returns, and
 * leaves the tracker as it was on failure (DEVICE_NOT_READY once the
 * controller is gone). */
hda_status hda_position_track(hda_bus *bus, hda_engine handle,
			      hda_position_tracker *tracker,
			      hda_stream_position *position);

/* ---- Codec verbs and unsolicited responses -------------------------------- */

/* Codec command words (hda-facts 1.2). */
static inline uint32_t hda_verb12(uint8_t codec, uint8_t nid, uint16_t verb,
				  uint8_t payload)
{
	return ((uint32_t)(codec & 0xF) << 28) | ((uint32_t)nid << 20) |
	       ((uint32_t)(verb & 0xFFF) << 8) | payload;
}
static inline uint32_t hda_verb4(uint8_t codec, uint8_t nid, uint8_t verb,
				 uint16_t payload)
{
	return ((uint32_t)(codec & 0xF) << 28) | ((uint32_t)nid << 20) |
	       ((uint32_t)(verb & 0xF) << 16) | payload;
}

typedef struct hda_codec_response {
	uint32_t response;
	uint8_t sdi;           /* SDATA_IN line = codec address */
	bool unsolicited;
	bool has_fifo_overrun; /* RIRB overrun: the response was lost */
	bool is_valid;         /* false: lost (overrun) or codec timed out */
} hda_codec_response;

typedef struct hda_codec_transfer {
	uint32_t command;
	hda_codec_response response;
} hda_codec_transfer;

typedef void (*hda_transfer_complete_cb)(hda_codec_transfer *transfers,
					 size_t count, void *context);

/*
 * [control] Send count commands and collect their responses.  With callback
 * NULL the call is synchronous.  Otherwise the transfers are queued (the
 * array must stay valid until the callback) and completed on libhda's verb
 * thread, which calls callback(transfers, count, context); the queued form
 * may also be used from inside a callback.  SUCCESS does not mean every
 * response is valid: check is_valid per entry.  NO_MEMORY when the queue
 * is full; DEVICE_NOT_READY when the controller is gone (a libhda
 * addition to the DDI's list).
 */
hda_status hda_transfer_codec_verbs(hda_bus *bus, size_t count,
				    hda_codec_transfer *transfers,
				    hda_transfer_complete_cb callback,
				    void *context);

typedef void (*hda_unsolicited_cb)(hda_codec_response response, void *context);

/* [control] Register a callback for unsolicited responses; *tag receives a
 * tag (1..63) unique on this bus, to program into UNSOLICITED_ENABLE. */
hda_status hda_register_event_callback(hda_bus *bus,
				       hda_unsolicited_cb callback,
				       void *context, uint8_t *tag);
hda_status hda_unregister_event_callback(hda_bus *bus, uint8_t tag);

/* ---- Information ----------------------------------------------------------- */

typedef struct hda_device_information {
	uint16_t size; /* caller sets sizeof(hda_device_information) */
	uint16_t device_version;
	uint16_t driver_version;
	uint16_t codecs_detected; /* bit n: codec at address n */
	bool is_striping_supported;
	/* V2: the controller's PCI identity, as its backend states it (QEMU:
	 * read from PCI config space; emu: hda_emu.h) */
	uint8_t controller_revision;
	uint16_t controller_vendor_id;
	uint16_t controller_device_id;
	/* libhda additions */
	uint8_t input_engines;
	uint8_t output_engines;
	uint8_t bidirectional_engines;
	const char *backend; /* "emu", ... */
	/* How far past its FIFO the device may take (render) or deliver
	 * (capture) at once, so that a buffer must be larger and a lead
	 * longer: 0 for hardware, whose FIFO bounds its bursts; QEMU's
	 * codec moves 8192 bytes at a time. */
	uint32_t dma_burst_bytes;
	/* The time in which the link and DMA positions move at once, a whole
	 * step's frames together: 0 for hardware, whose positions move frame
	 * by frame; the emulator's real-time clock tick (tick_us); 0 for its
	 * manual clock, which moves only as far as its caller advances it. */
	uint32_t position_step_ns;
} hda_device_information;

/* [any] BUFFER_TOO_SMALL when info->size is smaller than the base part. */
hda_status hda_get_device_information(hda_bus *bus,
				      hda_device_information *info);

/* [any] The first codec found and its audio function group's node id. */
hda_status hda_get_resource_information(hda_bus *bus, uint8_t *codec_address,
					uint8_t *function_group_start_node);

/* ---- BDL interface ------------------------------------------------------- */

typedef struct hda_bdl_entry {
	uint64_t address; /* bus address, little-endian in memory */
	uint32_t length;
	uint32_t flags;   /* bit 0: IOC */
} hda_bdl_entry;
#define HDA_BDL_IOC 0x1u

/* Called on the interrupt thread with SDnSTS bits BCIS (0x04), FIFOE (0x08)
 * and DESE (0x10).  hda_get_engine_status counts them too, before the call. */
typedef void (*hda_dma_isr)(void *context, uint32_t stream_status);

/*
 * [control] One physically contiguous data buffer (described by *data) and
 * one page for a BDL of up to 256 entries that the caller fills with bus
 * addresses from the MDL.  Same state rules as hda_allocate_dma_buffer.
 * Checked in its order: INVALID_PARAMETER for a NULL pointer or a size of 0
 * (no buffer to describe), INVALID_DEVICE_REQUEST for an engine not in
 * Reset or with a buffer, then INSUFFICIENT_RESOURCES for more than 4 MiB
 * (the largest buffer libhda allocates, as for hda_allocate_dma_buffer) or
 * when the memory cannot be had.  The size is not rounded.
 */
hda_status hda_allocate_contiguous_dma_buffer(hda_bus *bus, hda_engine handle,
					      uint32_t requested_size,
					      hda_mdl **data,
					      hda_bdl_entry **bdl);
/*
 * [control] Program the engine with the caller's BDL: buffer_length is the
 * sum of its fragment lengths (CBL), lvi the last valid index (1..255).
 * The ISR is called for entries with IOC set (and with the stream's FIFO
 * and descriptor errors), so it may be NULL when no entry 0..lvi has IOC;
 * a NULL ISR with an IOC entry is INVALID_PARAMETER.  As in the DDI, the
 * state comes first: INVALID_DEVICE_REQUEST when the engine is not in
 * Reset or has no contiguous buffer, whatever the parameters; then
 * INVALID_PARAMETER for a NULL out-pointer, an lvi out of range, a length
 * that is 0 or not whole frames, or an entry outside the buffer, not on
 * 128 bytes, or of length 0, or lengths that do not sum to buffer_length.
 */
hda_status hda_setup_dma_engine_with_bdl(hda_bus *bus, hda_engine handle,
					 uint32_t buffer_length, uint32_t lvi,
					 hda_dma_isr isr, void *context,
					 uint8_t *stream_id,
					 uint32_t *fifo_size);
hda_status hda_free_contiguous_dma_buffer(hda_bus *bus, hda_engine handle);

/* ---- Buffers with an interrupt every period (libhda addition) ----------- */

/*
 * [control] As hda_allocate_dma_buffer, for a buffer of `periods` equal
 * periods with IOC at the end of each, so that registered notification
 * events (hda_register_notification_event) fire once per period.  The BDL
 * has one entry per period, IOC on every entry; a notification fires when
 * the DMA side crosses a period boundary: render when the period's last
 * byte has been fetched into the FIFO, capture when it has been written
 * to memory.
 *
 * Rules:
 *   - period_bytes is rounded to the nearest whole granule (lcm(frame
 *     bytes, 128), as for hda_allocate_dma_buffer; ties round up), and to
 *     one granule at least.  *allocated_size is that period times
 *     periods, so the period is *allocated_size / periods.
 *   - periods is 2..256 (a BDL has 2..256 entries); otherwise
 *     INVALID_PARAMETER.
 *   - The total is at most 4 MiB (the largest buffer), else
 *     INVALID_PARAMETER: a parameter rule, not a shortage, so the size is
 *     never shrunk behind the caller's back.
 *   - The total is larger than the engine's FIFO for the format (a buffer
 *     the FIFO could swallow whole leaves no time to write it), else
 *     BUFFER_TOO_SMALL.  The FIFO is known only once the format is
 *     programmed, so this is checked after programming and undone.
 *   - DMA memory that cannot be had: INSUFFICIENT_RESOURCES.
 *   - The engine must be in Reset with no buffer (INVALID_DEVICE_REQUEST).
 * The MDL starts at offset 0 of its first page.  Freed with
 * hda_free_dma_buffer_with_notification(bus, handle, mdl, *allocated_size).
 */
hda_status hda_allocate_dma_buffer_periods(hda_bus *bus, hda_engine handle,
					   size_t period_bytes,
					   uint32_t periods, hda_mdl **mdl,
					   size_t *allocated_size,
					   uint8_t *stream_id,
					   uint32_t *fifo_size);

/* ---- Interrupt service on the caller's thread (libhda addition) --------- */

/*
 * In the style of libuv or sd-event: one fd to poll, one call to dispatch.
 *
 * [control] hda_interrupt_attach moves stream-interrupt service (SDnSTS,
 * BDL ISRs, notification eventfds) from libhda's thread to the caller.
 * From its return until hda_interrupt_detach, libhda's thread no longer
 * services streams nor reads the interrupt line: nothing fires until the
 * caller dispatches.
 * INVALID_DEVICE_REQUEST when already attached; INSUFFICIENT_RESOURCES
 * when the fds cannot be had.
 *
 * [any] hda_interrupt_fd: the fd to poll for POLLIN (an epoll fd owned by
 * libhda, O_CLOEXEC), valid from attach to detach or close; remove it from
 * your poll set before either.  INVALID_DEVICE_REQUEST when not attached.
 *
 * [service] hda_interrupt_dispatch: call whenever the fd is readable
 * (extra calls are harmless).  It reads INTSTS and services every stream
 * cause it shows, running ISRs and writing eventfds on the calling thread.
 * It never takes a lock a verb transfer holds and never runs codec work:
 * a codec cause (RIRB responses, unsolicited responses) is handed to
 * libhda's thread, after dispatch has cleared the RIRB's interrupt flag so
 * that the shared line can fall and the next IOC is seen without waiting
 * for that thread.  Codec traffic therefore wakes the fd too, and codec
 * events wait for the next dispatch.  Costs: a few system calls for
 * the fds, and the register accesses of the service (on QEMU each one is a
 * qtest round trip, a system call of tens of microseconds).  Call it from
 * one thread at a time, never concurrently with attach or detach.
 * UNSUCCESSFUL from inside a callback, INVALID_DEVICE_REQUEST when not
 * attached, DEVICE_NOT_READY once the controller is gone.
 *
 * [control] hda_interrupt_detach hands the service back to libhda's
 * thread, which services whatever was left pending, and closes the fd.
 * hda_bus_close detaches too.
 */
hda_status hda_interrupt_attach(hda_bus *bus);
hda_status hda_interrupt_fd(hda_bus *bus, int *fd);
hda_status hda_interrupt_dispatch(hda_bus *bus);
hda_status hda_interrupt_detach(hda_bus *bus);

/*
 * [control] Scheduling of libhda's interrupt thread (pthread_setschedparam):
 * policy is a SCHED_* value of <sched.h> (SCHED_OTHER, SCHED_BATCH,
 * SCHED_IDLE: priority 0; SCHED_FIFO, SCHED_RR: 1..99).  That thread runs
 * stream interrupts unless a caller attached, and codec work always.
 * INVALID_PARAMETER for a policy or priority the kernel does not accept;
 * ACCESS_DENIED when it refuses (EPERM: a real-time policy without
 * CAP_SYS_NICE or a large enough RLIMIT_RTPRIO).
 */
hda_status hda_set_interrupt_thread_scheduling(hda_bus *bus, int policy,
					       int priority);

/* ---- V2: buffers with notification ---------------------------------------- */

/*
 * [control] As hda_allocate_dma_buffer, with IOC set so that registered
 * notification events fire once per buffer (count 1, at the wrap) or twice
 * (count 2, at the midpoint and the wrap).  With count 2 the size is a whole
 * number of 2 granules so the midpoint falls on a fragment boundary.
 */
hda_status hda_allocate_dma_buffer_with_notification(
	hda_bus *bus, hda_engine handle, uint32_t notification_count,
	size_t requested_size, hda_mdl **mdl, size_t *allocated_size,
	size_t *offset_from_first_page, uint8_t *stream_id,
	uint32_t *fifo_size);
hda_status hda_free_dma_buffer_with_notification(hda_bus *bus,
						 hda_engine handle,
						 hda_mdl *mdl,
						 size_t buffer_size);
/* [control] event_fd is an eventfd the caller owns; libhda adds 1 to it on
 * every interrupt service of the engine that saw IOC, a FIFO error or a
 * descriptor error, and once more when the controller is gone (every
 * registered eventfd of the bus, once).  hda_get_engine_status says which.
 * Up to 8 per engine.  Any engine may register, with or without IOC in its
 * buffer: one without IOC wakes its eventfds for errors only. */
hda_status hda_register_notification_event(hda_bus *bus, hda_engine handle,
					   int event_fd);
hda_status hda_unregister_notification_event(hda_bus *bus, hda_engine handle,
					     int event_fd);

#ifdef __cplusplus
}
#endif

#endif /* HDA_HDA_H */
