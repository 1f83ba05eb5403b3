/* SPDX-License-Identifier: MIT */
/* libhda internals shared by the driver's files (never by backends). */
#ifndef HDA_INTERNAL_H
#define HDA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hda/hda.h"
#include "hda_regs.h"
#include "plat.h"

#define HDA_MAX_CODECS 15
#define HDA_MAX_UNSOL_TAGS 64 /* tag 0 is never handed out */
#define HDA_MAX_NOTIFY_FDS 8
#define HDA_UNSOL_RING 64
#define HDA_ASYNC_QUEUE 16

/* Bounds on every hardware wait, in microseconds of real time.  They follow
 * Linux (hda-facts 4) with margin, since a user-space process can be
 * preempted in the middle of a poll. */
#define HDA_CRST_TIMEOUT_US 100000u  /* controller reset in/out        */
#define HDA_CODEC_WAKE_US 1000u      /* >= 521 us after CRST = 1       */
#define HDA_RING_TIMEOUT_US 10000u   /* CORBRP reset, CORB/RIRB DMA    */
#define HDA_SRST_TIMEOUT_US 10000u   /* stream reset (Linux: 300 us)   */
#define HDA_FIFOS_TIMEOUT_US 10000u  /* FIFOS valid after FMT          */
#define HDA_RUN_TIMEOUT_US 20000u    /* FIFORDY on start, RUN=0 on stop */
#define HDA_VERB_TIMEOUT_US 100000u  /* a codec response               */

/* One DMA page shared by the rings and the position buffer:
 * CORB 256 x 4 B at 0, RIRB 256 x 8 B at 1024, position buffer 30 x 8 B at
 * 3072.  Each start is 128-byte aligned as the controller requires. */
#define HDA_RING_CORB_OFF 0
#define HDA_RING_RIRB_OFF 1024
#define HDA_RING_POSBUF_OFF 3072

typedef enum hda_buf_kind {
	HDA_BUF_NONE = 0,
	HDA_BUF_DMA,        /* hda_allocate_dma_buffer                   */
	HDA_BUF_NOTIFY,     /* hda_allocate_dma_buffer_with_notification */
	HDA_BUF_CONTIGUOUS, /* hda_allocate_contiguous_dma_buffer        */
} hda_buf_kind;

/*
 * One stream descriptor and the engine allocated on it.
 *
 * Fields under "published" are read lock-free by audio threads.  The control
 * thread changes them only inside a seqlock write section (seq odd), so a
 * reader either sees a consistent snapshot or retries.
 */
typedef struct hda_slot {
	/* fixed at bring-up */
	unsigned sd;   /* stream descriptor index */
	uint32_t base; /* register offset of SDn  */
	bool can_output, can_input;

	/* control thread, under bus->lock */
	bool allocated;
	bool output; /* mirrored in pub_output */
	uint8_t codec; /* capture: the SDI it reads from */
	hda_stream_format format;
	uint16_t fmt;
	uint32_t bandwidth; /* link bits per 48 kHz frame slot */
	uint8_t stream_id;
	hda_stream_state state;
	hda_buf_kind buf_kind;
	bool programmed; /* stream registers hold our BDL */
	hda_dma_mem data;
	hda_dma_mem bdl;      /* the BDL the engine reads */
	hda_bdl_entry *user_bdl; /* BDL interface: the caller's page */
	hda_mdl mdl;
	hda_mdl_page *pages;
	uint32_t lvi;
	hda_dma_isr isr;
	void *isr_ctx;
	int notify_fds[HDA_MAX_NOTIFY_FDS];
	unsigned n_notify;

	/* published to audio threads: atomics (relaxed where it matters),
	 * consistent as a set through seq */
	_Atomic uint32_t seq;
	_Atomic uint32_t gen; /* 0 while free */
	_Atomic uint32_t pub_cbl;
	_Atomic uint32_t pub_fifo;
	_Atomic uint32_t pub_frame_bytes;
	_Atomic bool pub_has_buffer;
	_Atomic bool pub_output;
	_Atomic uint32_t pub_rate; /* sample rate, Hz */
	/* Running time, for the tracker's wrap count (position.c):
	 * run_ticks(now) = pub_run_ticks + (pub_running ? now - pub_run_wc
	 * : 0), all modulo 2^32 WALCLK ticks, counted from the last stream
	 * reset.  Written at each start and stop (hda__slot_run_publish). */
	_Atomic bool pub_running;
	_Atomic uint32_t pub_run_wc;    /* WALCLK at the last start or stop */
	_Atomic uint32_t pub_run_ticks; /* ticks in Run before pub_run_wc */
	/* Not seqlock-published: 0 while the position buffer is trusted,
	 * else a flag bit and the value it froze at (position.c).  Set and
	 * cleared by audio threads, cleared by the stream reset.  A reader
	 * racing another can only flip it between two correct answers. */
	_Atomic uint32_t posbuf_stale;
	const volatile uint32_t *lpib_reg; /* NULL: derive from posbuf */

	/* What the hardware reported (events.c): counted by the interrupt
	 * thread under irq_lock, read lock-free by hda_get_engine_status,
	 * zeroed when the engine is allocated. */
	_Atomic uint32_t ev_ioc;    /* services that saw BCIS  */
	_Atomic uint32_t ev_fifo;   /* services that saw FIFOE */
	_Atomic uint32_t ev_desc;   /* services that saw DESE  */
	/* The hardware cleared RUN on its own (DESE); cleared again when
	 * libhda starts the engine.  state.c reconciles `state` with it. */
	_Atomic bool hw_stopped;
	/* WALCLK when the interrupt thread saw that stop, stored before
	 * hw_stopped: running time ends there, not at the next control
	 * call, or the tracker would count wraps of a stopped engine. */
	_Atomic uint32_t hw_stop_wc;
	/* Emulated resume (resume.c, RUN_RESTARTS_BDL): the engine runs a BDL
	 * rotated to start pub_offset bytes into the buffer, so the buffer
	 * position is (raw position + pub_offset) mod CBL.  0 otherwise. */
	_Atomic uint32_t pub_offset;
	hda_bdl_entry *bdl_orig; /* the BDL as programmed, while rotated */
	uint32_t lvi_orig;
} hda_slot;

typedef struct hda_unsol_entry {
	hda_unsolicited_cb cb;
	void *ctx;
} hda_unsol_entry;

typedef struct hda_async_req {
	hda_codec_transfer *transfers;
	size_t count;
	hda_transfer_complete_cb cb;
	void *ctx;
} hda_async_req;

struct hda_bus {
	const hda_plat_ops *ops;
	hda_plat *plat;
	uint16_t id; /* distinguishes handles of different buses */

	/* The control lock: engines, buffers, engine state. */
	pthread_mutex_t lock;
	/* What the interrupt thread reads to dispatch a stream interrupt
	 * (each slot's isr and notify_fds): written under lock and irq_lock,
	 * read under irq_lock alone, so control work never delays it. */
	pthread_mutex_t irq_lock;

	/* capabilities, fixed after bring-up */
	hda_plat_info info; /* PCI identity and quirks, from the backend */
	uint16_t gcap;
	unsigned iss, oss, bss, n_sd, nsdo;
	uint8_t vmaj, vmin;
	uint16_t codec_mask;
	uint8_t first_codec;
	uint8_t afg_nid;
	hda_slot slots[HDA_SD_MAX];
	const volatile uint32_t *walclk_reg; /* NULL: read through MMIO */

	/* rings and position buffer */
	hda_dma_mem ring;
	volatile uint32_t *corb;
	volatile uint32_t *rirb; /* pairs: response, extended */
	volatile uint32_t *posbuf;

	/* verbs: one transfer at a time owns the CORB/RIRB */
	pthread_mutex_t verb_lock;
	uint8_t corb_wp;
	uint8_t rirb_rp;
	uint64_t rirb_overruns;
	/* unsolicited responses waiting for libhda's thread: pushed by
	 * whoever drains the RIRB (under verb_lock), popped by that thread;
	 * unsol_lock guards the queue alone and is held only for a push or
	 * a pop, so the interrupt path never waits behind a transfer */
	pthread_mutex_t unsol_lock;
	uint32_t unsol_ring[HDA_UNSOL_RING][2];
	unsigned unsol_head, unsol_count;
	uint64_t unsol_dropped;

	/* unsolicited callbacks, by tag */
	pthread_mutex_t cb_lock;
	hda_unsol_entry unsol[HDA_MAX_UNSOL_TAGS];

	/* asynchronous verb transfers, run on the verb worker thread */
	pthread_mutex_t async_lock;
	pthread_cond_t async_cond;
	hda_async_req async[HDA_ASYNC_QUEUE];
	unsigned async_head, async_count;

	/* interrupt thread and verb worker */
	pthread_t irq_thread;
	bool irq_running;
	pthread_t verb_thread;
	bool verb_running;
	atomic_bool rirb_deferred; /* the irq thread left the RIRB to a
				      transfer; it must look again after */
	int wake_fd;
	atomic_bool stopping;

	/* Stream interrupts serviced on the caller's thread (irq.c).  While
	 * svc_caller is set, the caller polls svc_fd and calls
	 * hda_interrupt_dispatch; libhda's thread keeps the codec work.
	 * svc_lock is held by libhda's thread while it services, so that an
	 * attach or detach never overlaps a service in progress. */
	pthread_mutex_t svc_lock;
	atomic_bool svc_caller;
	atomic_bool svc_codec; /* dispatch handed a codec cause over */
	pthread_cond_t svc_cond; /* with svc_lock: svc_seen changed */
	bool svc_seen; /* libhda's thread has seen the attach (or exited) */
	int svc_fd;       /* epoll: the interrupt line, poke, retry timer */
	int svc_poke_fd;  /* eventfd: an edge libhda's thread read, passed on */
	int svc_timer_fd; /* timerfd: look again after a stuck status   */
	atomic_bool dead; /* the device stopped answering */
	atomic_bool gone_told; /* every eventfd was signalled for it (once) */
	/* Engines in Run as the control thread sees them (state.c): while
	 * any runs, the interrupt thread looks at the device's health even
	 * without an interrupt, since a dead device raises none. */
	atomic_uint engines_running;

	/* why bring-up failed, for hda_bus_open_ex */
	char reason[256];
};

/* Record why bring-up failed (first reason wins: it is the cause). */
void hda__reason(hda_bus *bus, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- context rules (irq.c) --------------------------------------------- */
/* True while the current thread runs a libhda callback. */
bool hda__in_callback(void);
void hda__enter_callback(void);
void hda__leave_callback(void);
hda_status hda__irq_start(hda_bus *bus);
void hda__irq_stop(hda_bus *bus);
void hda__irq_kick(hda_bus *bus);

/* ---- time and bounded polls (controller.c) ------------------------------ */
uint64_t hda__now_us(void);
void hda__delay_us(unsigned us);
/* Poll a register until (value & mask) == want, at most timeout_us.
 * DEVICE_NOT_READY on timeout or when the device reads all ones. */
hda_status hda__poll8(hda_bus *bus, uint32_t off, uint8_t mask, uint8_t want,
		      unsigned timeout_us);
hda_status hda__poll16(hda_bus *bus, uint32_t off, uint16_t mask,
		       uint16_t want, unsigned timeout_us);
hda_status hda__poll32(hda_bus *bus, uint32_t off, uint32_t mask,
		       uint32_t want, unsigned timeout_us);
hda_status hda__controller_start(hda_bus *bus);
void hda__controller_stop(hda_bus *bus);

/* MMIO shorthands */
static inline uint8_t hda__rd8(hda_bus *b, uint32_t off)
{
	return b->ops->read8(b->plat, off);
}
static inline uint16_t hda__rd16(hda_bus *b, uint32_t off)
{
	return b->ops->read16(b->plat, off);
}
static inline uint32_t hda__rd32(hda_bus *b, uint32_t off)
{
	return b->ops->read32(b->plat, off);
}
static inline void hda__wr8(hda_bus *b, uint32_t off, uint8_t v)
{
	b->ops->write8(b->plat, off, v);
}
static inline void hda__wr16(hda_bus *b, uint32_t off, uint16_t v)
{
	b->ops->write16(b->plat, off, v);
}
static inline void hda__wr32(hda_bus *b, uint32_t off, uint32_t v)
{
	b->ops->write32(b->plat, off, v);
}

/* ---- verbs (verbs.c) ---------------------------------------------------- */
hda_status hda__rings_init(hda_bus *bus);
/* Synchronous transfer; the caller need not hold any lock. */
hda_status hda__verbs_exec(hda_bus *bus, hda_codec_transfer *t, size_t n);
/* Convenience: one verb, response or DEVICE_NOT_READY when invalid. */
hda_status hda__verb(hda_bus *bus, uint32_t cmd, uint32_t *response);
/* Interrupt thread: collect RIRB entries that arrived outside a transfer.
 * False when a transfer holds the rings (it drains them, then kicks). */
bool hda__rirb_service(hda_bus *bus);
/* Interrupt thread: deliver queued unsolicited responses to callbacks. */
void hda__unsol_dispatch(hda_bus *bus);
/* Verb worker: run queued asynchronous transfers. */
void hda__async_run(hda_bus *bus);
/* Close: complete every queued asynchronous transfer as invalid. */
void hda__async_flush(hda_bus *bus);

/* ---- engines (engine.c) ------------------------------------------------- */
/* Validate a handle; the slot when it names a live engine of this bus. */
hda_slot *hda__slot_get(hda_bus *bus, hda_engine handle);
hda_engine hda__slot_handle(hda_bus *bus, const hda_slot *slot);
/* Begin/end a change to the published fields of a slot. */
void hda__slot_write_begin(hda_slot *slot);
void hda__slot_write_end(hda_slot *slot);
/* Checks every control routine starts with: callback context, bus. */
hda_status hda__control_enter(hda_bus *bus);
void hda__control_leave(hda_bus *bus);
/* control_enter, then the engine behind handle (INVALID_HANDLE if none).
 * On failure the bus lock is not held. */
hda_status hda__engine_enter(hda_bus *bus, hda_engine handle, hda_slot **slot);

/* ---- stream descriptor programming (stream.c) --------------------------- */
hda_status hda__stream_reset(hda_bus *bus, hda_slot *slot);
/* Program stream number, CBL, LVI, BDL, FMT; read FIFOS into *fifo. */
hda_status hda__stream_setup(hda_bus *bus, hda_slot *slot, uint32_t cbl,
			     uint32_t *fifo);
/* Start or stop several streams on the same sample through SSYNC. */
hda_status hda__streams_run(hda_bus *bus, hda_slot **slots, size_t n,
			    bool run);
void hda__stream_release(hda_bus *bus, hda_slot *slot);

/* ---- buffers (dmabuf.c) ------------------------------------------------- */
void hda__buffer_release(hda_bus *bus, hda_slot *slot);

/* ---- emulated resume (resume.c) ------------------------------------------ */
/* Before Stop -> Run on a RUN_RESTARTS_BDL controller: rotate the BDL to
 * the stopped offset and publish it (no-op on other controllers). */
hda_status hda__resume_prepare(hda_bus *bus, hda_slot *slot);
/* Put the BDL back as programmed and the offset to 0 (before the stream is
 * reprogrammed for Reset, and when the buffer is freed). */
void hda__resume_forget(hda_slot *slot);

/* ---- formats (format.c) ------------------------------------------------- */
hda_status hda__format_check(const hda_stream_format *f, uint16_t *fmt);

/* ---- positions (position.c) --------------------------------------------- */
/* The cheapest faithful WALCLK (mapped, computed, else a register read). */
uint32_t hda__wall_clock(hda_bus *bus);
/* Control thread: the engine entered (running) or left Run at WALCLK wc.
 * Every path that starts or stops an engine, or learns that the hardware
 * stopped it, calls this, so the tracker counts no wraps for stopped time. */
void hda__slot_run_publish(hda_slot *slot, bool running, uint32_t wc);
/* Control thread, stream reset: positions and running time restart at 0. */
void hda__slot_positions_reset(hda_bus *bus, hda_slot *slot);

/* ---- stream interrupts (events.c) --------------------------------------- */
void hda__stream_irq(hda_bus *bus, unsigned sd, uint8_t status);
/* Interrupt thread, once the device is gone: signal every registered
 * eventfd, once per bus (later calls do nothing). */
void hda__device_gone(hda_bus *bus);
/* Control thread, at allocation: the new engine's status starts at 0. */
void hda__status_clear(hda_bus *bus, hda_slot *slot);
/* How often the interrupt thread looks at a silent device while engines
 * run: the bound on noticing a device that died without an interrupt. */
#define HDA_HEALTH_PERIOD_MS 100

/* ---- platform access for backends' public extras (bus.c) ---------------- */
hda_status hda_bus_platform(hda_bus *bus, const hda_plat_ops **ops,
			    hda_plat **plat);

#endif /* HDA_INTERNAL_H */
