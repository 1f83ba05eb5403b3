/* SPDX-License-Identifier: MIT */
/*
 * hsd_audio: the daemon's one audio thread, which steps every attached
 * stream on a grid of absolute CLOCK_MONOTONIC deadlines (hsd_clock).
 *
 * The loop owns everything; the thread only borrows an attached stream
 * (hsd_astream) between hsd_audio_attach and hsd_audio_detach.  A stream
 * is attached while its engine runs.  At each wake-up the thread, per
 * attached stream:
 *   - reads the position (hsd_engine_track) and the engine's status
 *     (hsd_engine_status: FIFO and descriptor errors, a gone device);
 *   - render: steps hsd_render with the stream's ring as its source (the
 *     loop writes client frames into the ring, the step reads them);
 *   - capture: steps hsd_capture into chunks of the stream's pool and
 *     publishes them (hsd_chunk), which the loop fans out;
 *   - pushes a position snapshot into the stream's snapshot ring;
 *   - on news (a libhda error, drained, an underrun), pushes a message
 *     into the thread's hsd_msgq.
 * and then wakes the loop once (uv_async_send, lock-free and
 * async-signal-safe) if anything was produced.  It allocates nothing,
 * takes no lock, makes no blocking system call and never logs: the loop
 * logs what the messages say.
 *
 * Handing a stream back.  hsd_audio_detach clears the stream's slot and
 * waits until the thread is no longer inside a wake-up that may have read
 * the old pointer (a seq_cst epoch the thread makes odd while it steps):
 * at most one wake-up's work, so the loop may then call the [control]
 * engine routines (stop resets the tracker the thread uses) and free.
 *
 * Not here: the IOC eventfd (the thread wakes on its deadline grid at the
 * smallest attached period; the eventfd would only add a system call), and
 * one thread per stream (nothing measured asks for it yet).
 */
#ifndef HSD_AUDIO_H
#define HSD_AUDIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "hsd_capture.h"
#include "hsd_chunk.h"
#include "hsd_chunker.h"
#include "hsd_engine.h"
#include "hsd_msgq.h"
#include "hsd_render.h"
#include "hsd_ring.h"
#include "hsd_rt.h"

/* What the thread tells the loop (hsd_msg.kind).  hsd_msg.stream is the
 * stream's slot and hsd_msg.reserved its attach generation, so that the
 * loop ignores news about an engine it has closed since. */
enum {
	HSD_AMSG_TRACK_ERROR = 1, /* status: hda_position_track's, e.g.
				     DEVICE_NOT_READY; sent once */
	HSD_AMSG_FIFO_ERROR,      /* value: fifo_errors total */
	HSD_AMSG_STOPPED,         /* the hardware stopped the engine (DESE);
				     value: descriptor_errors total */
	HSD_AMSG_DEVICE_GONE,     /* status: DEVICE_NOT_READY */
	HSD_AMSG_DRAINED,         /* render: the source's last frame played */
	HSD_AMSG_UNDERRUN,        /* render: value: underruns total */
};

/* One position reading, as the thread took it. */
typedef struct hsd_audio_snap {
	hda_stream_position pos;
	uint64_t mono_ns, real_ns; /* of the reading */
	uint64_t written;  /* render: the write position after the step */
	uint64_t consumed; /* render: the ring's read index after the step */
	uint64_t ahead;    /* render: client frames from the link to written */
	uint64_t skipped;  /* render: client frames discarded, late (in all) */
} hsd_audio_snap;

#define HSD_AUDIO_SNAPS 64            /* snapshot ring, per stream */
/* The longest the thread sleeps, attached streams or not: every capture
 * stream is stepped at least this often (and a stop is seen this soon). */
#define HSD_AUDIO_MAX_SLEEP_NS (10 * UINT64_C(1000000))

/* A stream as the audio thread sees it.  The loop fills the [control]
 * part before attach and reads the rest through atomics and rings. */
typedef struct hsd_astream {
	/* [control] set before attach */
	uint32_t slot, gen;
	hsd_direction dir;
	hsd_engine *engine;
	uint32_t frame_bytes;
	uint32_t rate;
	hsd_ring *snaps;       /* hsd_audio_snap, thread -> loop */
	hsd_render *render;    /* render */
	hsd_ring *ring;        /* render: client frames, loop -> thread */
	_Atomic bool ended;    /* render: drain: no frame beyond the ring's */
	hsd_capture *capture;  /* capture */
	hsd_chunk_pool *pool;  /* capture */
	hsd_chunker chunker;   /* capture: the step's sink */
	/* [audio] the thread's own (capture's chunks above too, attached) */
	hda_engine_status status;
	bool track_failed, drained, gone;
	uint64_t underruns;
} hsd_astream;

typedef struct hsd_audio hsd_audio;

typedef struct hsd_audio_config {
	hsd_rt_request rt;
	uv_async_t *wake; /* the loop's, initialised; sent on news */
} hsd_audio_config;

/* [control] The source a render stream's step is created with: its ring.
 * (A capture stream's sink is its chunker's.) */
hsd_render_source hsd_audio_render_source(hsd_astream *s);

/* [control] Start the thread.  0, -errno. */
int hsd_audio_start(const hsd_audio_config *cfg, hsd_audio **out);
/* [control] Stop and join the thread (every stream must be detached).
 * Accepts NULL. */
void hsd_audio_stop(hsd_audio *a);
/* [control] The thread's real-time report, once it has started; false
 * until then. */
bool hsd_audio_rt_report(hsd_audio *a, hsd_rt_report *rep);
/* [control] Messages from the thread (the loop pops them). */
hsd_msgq *hsd_audio_msgq(hsd_audio *a);

/* [control] Hand s (its slot below HSD_STREAMS_MAX, free) to the thread,
 * stepped every period_ns at most. */
void hsd_audio_attach(hsd_audio *a, hsd_astream *s, uint64_t period_ns);
/* [control] Take it back; returns once the thread cannot touch it. */
void hsd_audio_detach(hsd_audio *a, hsd_astream *s);

#endif
