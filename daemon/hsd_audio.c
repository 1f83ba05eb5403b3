/* SPDX-License-Identifier: MIT */
/* The audio thread (hsd_audio.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsd_audio.h"
#include "hsd_clock.h"
#include "hsd_config.h"

/* With nothing attached the thread still wakes, to see a new stream or
 * the stop flag within this bound. */
#define IDLE_PERIOD_NS HSD_AUDIO_MAX_SLEEP_NS
/* The message queue: a burst of errors on every stream fits. */
#define MSGQ_SIZE 256

struct hsd_audio {
	pthread_t thread;
	hsd_audio_config cfg;
	hsd_msgq *msgq;
	_Atomic(hsd_astream *) slot[HSD_STREAMS_MAX];
	_Atomic uint64_t period_ns[HSD_STREAMS_MAX]; /* 0: slot free */
	/* Odd while the thread steps; detach waits for it to move on. */
	_Atomic uint64_t epoch;
	_Atomic bool stop;
	_Atomic bool rt_ready;
	hsd_rt_report rt; /* written before rt_ready */
};

/* ---- The render source: the stream's ring [audio] ----------------------- */

static size_t src_avail(void *ctx)
{
	hsd_astream *s = ctx;

	return (size_t)hsd_ring_fill(s->ring);
}

static size_t src_read(void *ctx, void *dst, size_t frames)
{
	hsd_astream *s = ctx;
	hsd_ring_region r;
	uint64_t n = hsd_ring_peek(s->ring, frames, &r);
	size_t first = (size_t)r.span[0].frames * s->frame_bytes;

	memcpy(dst, r.span[0].data, first);
	if (r.span[1].frames)
		memcpy((uint8_t *)dst + first, r.span[1].data,
		       (size_t)r.span[1].frames * s->frame_bytes);
	hsd_ring_consume(s->ring, n);
	return (size_t)n;
}

static size_t src_skip(void *ctx, size_t frames)
{
	hsd_astream *s = ctx;
	hsd_ring_region r;
	uint64_t n = hsd_ring_peek(s->ring, frames, &r);

	hsd_ring_consume(s->ring, n);
	return (size_t)n;
}

static bool src_ended(void *ctx)
{
	hsd_astream *s = ctx;

	return atomic_load_explicit(&s->ended, memory_order_acquire);
}

hsd_render_source hsd_audio_render_source(hsd_astream *s)
{
	return (hsd_render_source){src_avail, src_read, src_skip, src_ended, s};
}

/* ---- One wake-up [audio] ------------------------------------------------- */

static bool say(hsd_audio *a, const hsd_astream *s, uint32_t kind, int32_t status,
		uint64_t frame, uint64_t value)
{
	hsd_msg m = {.kind = kind, .stream = s->slot, .status = status,
		     .reserved = s->gen, .frame = frame, .value = value,
		     .mono_ns = hsd_clock_now_ns()};

	hsd_msgq_push(a->msgq, &m);
	return true;
}

/* What the engine's status says that is new since the last wake-up. */
static bool check_status(hsd_audio *a, hsd_astream *s, uint64_t frame)
{
	hda_engine_status st = {0};
	bool news = false;

	if (hsd_engine_status(s->engine, &st) != HDA_STATUS_SUCCESS)
		return false;
	if (st.fifo_errors != s->status.fifo_errors)
		news = say(a, s, HSD_AMSG_FIFO_ERROR, 0, frame, st.fifo_errors);
	if (st.stopped_by_hardware && !s->status.stopped_by_hardware)
		news = say(a, s, HSD_AMSG_STOPPED, HDA_STATUS_UNSUCCESSFUL, frame,
			   st.descriptor_errors);
	if (st.device_gone && !s->gone) {
		s->gone = true;
		news = say(a, s, HSD_AMSG_DEVICE_GONE, HDA_STATUS_DEVICE_NOT_READY, frame, 0);
	}
	s->status = st;
	return news;
}

static bool step(hsd_audio *a, hsd_astream *s)
{
	hsd_audio_snap snap;
	hsd_ring_region r;
	struct timespec rt;
	hda_status st = hsd_engine_track(s->engine, &snap.pos);
	bool news = false;

	if (st != HDA_STATUS_SUCCESS) {
		if (!s->track_failed)
			news = say(a, s, HSD_AMSG_TRACK_ERROR, st, 0, 0);
		s->track_failed = true;
		return news;
	}
	snap.mono_ns = hsd_clock_now_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	snap.real_ns = hsd_timespec_to_ns(rt);
	news |= check_status(a, s, snap.pos.converter_frames);
	snap.written = snap.consumed = snap.ahead = snap.skipped = 0;
	if (s->dir == HSD_RENDER) {
		hsd_stream_counters c;

		if (hsd_render_step(s->render, &snap.pos) == HSD_RENDER_DRAINED && !s->drained) {
			s->drained = true;
			news = say(a, s, HSD_AMSG_DRAINED, 0, snap.pos.converter_frames, 0);
		}
		hsd_render_counters(s->render, &c);
		if (c.underruns != s->underruns) {
			s->underruns = c.underruns;
			news = say(a, s, HSD_AMSG_UNDERRUN, 0, snap.pos.converter_frames,
				   c.underruns);
		}
		snap.written = c.position;
		snap.consumed = hsd_ring_read_index(s->ring);
		snap.ahead = hsd_render_source_ahead(s->render, snap.pos.converter_frames);
		snap.skipped = c.skipped_frames;
		news = true; /* the ring has room again: credit */
	} else {
		hsd_chunker_begin(&s->chunker);
		hsd_capture_step(s->capture, &snap.pos);
		news |= hsd_chunker_publish(&s->chunker, &snap.pos, hsd_clock_now_ns());
	}
	/* A full snapshot ring means the loop is behind: it only needs the
	 * newest, and it gets the next one. */
	if (hsd_ring_reserve(s->snaps, 1, &r) == 1) {
		memcpy(r.span[0].data, &snap, sizeof(snap));
		hsd_ring_commit(s->snaps, 1);
	}
	return news;
}

static void *run(void *arg)
{
	hsd_audio *a = arg;
	hsd_deadline dl;
	uint64_t period = IDLE_PERIOD_NS;

	hsd_rt_setup(&a->cfg.rt, &a->rt);
	atomic_store(&a->rt_ready, true);
	uv_async_send(a->cfg.wake);
	hsd_deadline_init(&dl, hsd_clock_now_ns(), period);
	while (!atomic_load(&a->stop)) {
		uint64_t want = IDLE_PERIOD_NS;
		bool news = false;

		atomic_fetch_add(&a->epoch, 1); /* odd: stepping */
		for (unsigned i = 0; i < HSD_STREAMS_MAX; i++) {
			hsd_astream *s = atomic_load(&a->slot[i]);
			uint64_t p = atomic_load_explicit(&a->period_ns[i], memory_order_relaxed);

			if (s)
				news |= step(a, s);
			if (p && p < want)
				want = p;
		}
		atomic_fetch_add(&a->epoch, 1); /* even: not touching any stream */
		if (news)
			uv_async_send(a->cfg.wake);
		if (want != period) {
			/* A new grid at the smallest attached period: every
			 * stream is stepped at least once per its period. */
			period = want;
			hsd_deadline_init(&dl, hsd_clock_now_ns(), period);
		}
		hsd_clock_sleep_until(dl.next_ns);
		hsd_deadline_advance(&dl, hsd_clock_now_ns());
	}
	return NULL;
}

int hsd_audio_start(const hsd_audio_config *cfg, hsd_audio **out)
{
	hsd_audio *a = calloc(1, sizeof(*a));
	int rc = -ENOMEM;

	if (!a)
		goto fail;
	a->cfg = *cfg;
	rc = hsd_msgq_create(&a->msgq, MSGQ_SIZE);
	if (rc)
		goto fail;
	rc = -pthread_create(&a->thread, NULL, run, a);
	if (rc)
		goto fail;
	*out = a;
	return 0;
fail:
	if (a)
		hsd_msgq_destroy(a->msgq);
	free(a);
	return rc;
}

void hsd_audio_stop(hsd_audio *a)
{
	if (!a)
		return;
	atomic_store(&a->stop, true);
	pthread_join(a->thread, NULL);
	hsd_msgq_destroy(a->msgq);
	free(a);
}

bool hsd_audio_rt_report(hsd_audio *a, hsd_rt_report *rep)
{
	if (!atomic_load(&a->rt_ready))
		return false;
	*rep = a->rt;
	return true;
}

hsd_msgq *hsd_audio_msgq(hsd_audio *a)
{
	return a->msgq;
}

void hsd_audio_attach(hsd_audio *a, hsd_astream *s, uint64_t period_ns)
{
	atomic_store(&a->period_ns[s->slot], period_ns);
	atomic_store(&a->slot[s->slot], s);
}

void hsd_audio_detach(hsd_audio *a, hsd_astream *s)
{
	uint64_t e;

	atomic_store(&a->slot[s->slot], NULL);
	atomic_store(&a->period_ns[s->slot], 0);
	/* seq_cst on both sides: either the thread's next load of the slot
	 * sees NULL, or this load sees the odd epoch of the wake-up that
	 * holds the pointer, and we wait for that wake-up to end. */
	e = atomic_load(&a->epoch);
	if (e & 1) {
		struct timespec ts = {0, 50000};

		while (atomic_load(&a->epoch) == e)
			nanosleep(&ts, NULL);
	}
}
