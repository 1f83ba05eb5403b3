/* SPDX-License-Identifier: MIT */
/*
 * The configured streams, loop side (hsd_daemon.h): each stream's engine,
 * its ring or chunk pool, the hand-over to the audio thread, and the pump
 * that turns the thread's news into session events.
 *
 * An engine is open only while a stream has a user: the render stream's
 * one client, a capture stream's first listener to its last (or for
 * ever, always_on).  So a client that goes away frees its engine, and a
 * second stream can have it.  At start-up every stream's engine is opened
 * once and closed again, to log what its latency gives on this controller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_daemon.h"
#include "hsd_log.h"

/* Snapshot readings kept: the loop only wants the newest. */
#define SNAP_FRAMES HSD_AUDIO_SNAPS

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static uint32_t latency_ms_of(uint32_t us)
{
	uint32_t ms = (us + 500) / 1000;

	if (ms < HSD_LATENCY_MS_MIN)
		ms = HSD_LATENCY_MS_MIN;
	return ms > HSD_LATENCY_MS_MAX ? HSD_LATENCY_MS_MAX : ms;
}

static const char *pin_name(const hsd_pin *pin)
{
	return pin->kind == HSD_PIN_DEVICE ? hda_pin_device_name(pin->device) : NULL;
}

static void free_astream(hsd_astream *a)
{
	if (!a)
		return;
	hsd_render_destroy(a->render);
	hsd_capture_destroy(a->capture);
	hsd_ring_destroy(a->ring);
	hsd_chunker_fini(&a->chunker);
	hsd_chunk_pool_destroy(a->pool);
	hsd_ring_destroy(a->snaps);
	hsd_engine_close(a->engine);
	free(a);
}

/* The step objects and their rings for an open engine. */
static int build_astream(hsd_stream *s, hsd_astream *a)
{
	const hsd_engine_info *in = hsd_engine_get_info(a->engine);
	const hsd_sizing *z = &in->sizing;
	uint64_t queue = (uint64_t)s->d->config->client_queue_ms * a->rate / 1000;
	int rc = hsd_ring_create(&a->snaps, sizeof(hsd_audio_snap), SNAP_FRAMES, 0);

	if (rc)
		return rc;
	if (a->dir == HSD_RENDER) {
		/* The client's queue: client_queue_ms, and at least twice the
		 * lead so that the step can always keep its target. */
		uint64_t want = queue > 2 * (uint64_t)z->latency_frames
					? queue
					: 2 * (uint64_t)z->latency_frames;
		hsd_render_config rc_cfg = {
			.buffer = in->buffer,
			.frame_bytes = z->frame_bytes,
			.buffer_frames = z->buffer_frames,
			.latency_frames = z->latency_frames,
			.source = hsd_audio_render_source(a),
		};

		rc = hsd_ring_create(&a->ring, z->frame_bytes, pow2_at_least(want), 0);
		if (!rc)
			rc = hsd_render_create(&rc_cfg, &a->render);
	} else {
		hsd_chunk_plan_request pr = {
			.period_frames = z->period_frames,
			.buffer_frames = z->buffer_frames,
			.frame_bytes = z->frame_bytes,
			.rate = a->rate,
			.max_chunk_frames = HSP_AUDIO_MAX_PAYLOAD / z->frame_bytes,
			.max_step_ns = HSD_AUDIO_MAX_SLEEP_NS,
			.queue_frames = queue,
			.max_clients = s->d->config->max_clients,
		};
		hsd_chunk_plan plan;
		hsd_capture_config cc = {
			.buffer = in->buffer,
			.frame_bytes = z->frame_bytes,
			.buffer_frames = z->buffer_frames,
			.guard_frames = z->period_frames,
			.sink = hsd_chunker_sink(&a->chunker),
		};

		rc = hsd_chunker_plan(&pr, &plan);
		if (!rc)
			rc = hsd_chunk_pool_create(&a->pool, plan.pool_count, plan.chunk_frames,
						   z->frame_bytes);
		if (!rc)
			rc = hsd_chunker_init(&a->chunker, a->pool, &plan, a->rate);
		if (!rc)
			rc = hsd_capture_create(&cc, &a->capture);
		if (!rc)
			s->lq_depth = plan.queue_depth;
	}
	return rc;
}

hda_status hsd_stream_open_engine(hsd_stream *s, const hda_stream_format *fmt,
				  uint32_t latency_us, char *why, size_t len)
{
	hsd_engine_config ec = {
		.dir = s->cfg.direction,
		.format = *fmt,
		.latency_ms = latency_ms_of(latency_us),
		.pin = pin_name(&s->cfg.pin),
		.node = s->cfg.pin.kind == HSD_PIN_NODE ? s->cfg.pin.node : 0,
	};
	hsd_astream *a = calloc(1, sizeof(*a));
	hda_status st = HDA_STATUS_INSUFFICIENT_RESOURCES;

	if (!a) {
		snprintf(why, len, "out of memory");
		return st;
	}
	a->slot = s->slot;
	a->gen = ++s->gen;
	a->dir = s->cfg.direction;
	a->rate = fmt->sample_rate;
	st = hsd_engine_open(s->d->bus, &ec, &a->engine, why, len);
	if (st)
		goto fail;
	a->frame_bytes = hsd_engine_get_info(a->engine)->sizing.frame_bytes;
	if (build_astream(s, a)) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		snprintf(why, len, "out of memory for the stream's queues");
		goto fail;
	}
	s->a = a;
	s->format = *fmt;
	s->starved_logged = s->overrun_logged = 0;
	s->sizing = hsd_engine_get_info(a->engine)->sizing;
	s->fifo_bytes = hsd_engine_get_info(a->engine)->fifo_bytes;
	s->sized = true;
	s->have_last = false;
	s->running = false;
	return HDA_STATUS_SUCCESS;
fail:
	free_astream(a);
	return st;
}

static void detach(hsd_stream *s)
{
	if (s->attached)
		hsd_audio_detach(s->d->audio, s->a);
	s->attached = false;
	/* What the thread said about this engine and the loop has not read
	 * yet is dropped by its generation (on_message). */
}

/* The engine's converter count now, with the thread detached. */
static uint64_t link_now(hsd_stream *s)
{
	hda_stream_position pos;

	if (hsd_engine_track(s->a->engine, &pos) == HDA_STATUS_SUCCESS)
		return pos.converter_frames;
	return s->have_last ? s->last.pos.converter_frames : 0;
}

void hsd_stream_close_engine(hsd_stream *s)
{
	hsd_astream *a = s->a;

	if (!a)
		return;
	detach(s);
	s->base += link_now(s);
	/* Chunks the loop has not received yet go back to the pool with it. */
	s->a = NULL;
	s->running = false;
	s->have_last = false;
	free_astream(a);
}

static uint64_t period_ns(const hsd_stream *s)
{
	return hsd_engine_get_info(s->a->engine)->sizing.wake_ns;
}

hda_status hsd_stream_run(hsd_stream *s)
{
	hda_status st;

	if (s->a->dir == HSD_RENDER) {
		hda_stream_position pos;

		/* Prime: a step on the stopped engine's position writes the
		 * first lead of frames before the DMA fetches any. */
		st = hsd_engine_track(s->a->engine, &pos);
		if (st)
			return st;
		hsd_render_step(s->a->render, &pos);
	}
	st = hsd_engine_start(s->a->engine);
	if (st)
		return st;
	s->running = true;
	hsd_audio_attach(s->d->audio, s->a, period_ns(s));
	s->attached = true;
	return HDA_STATUS_SUCCESS;
}

hda_status hsd_stream_pause(hsd_stream *s)
{
	detach(s);
	s->running = false;
	return hsd_engine_pause(s->a->engine);
}

uint64_t hsd_stream_stop(hsd_stream *s)
{
	hsd_astream *a = s->a;
	uint64_t dropped = 0;

	detach(s);
	s->base += link_now(s);
	s->running = false;
	s->have_last = false;
	(void)hsd_engine_stop(a->engine);
	if (a->dir == HSD_RENDER) {
		hsd_render_restart(a->render);
		/* The thread is detached: the loop may act as the ring's
		 * consumer now. */
		dropped = hsd_ring_reset(a->ring);
		atomic_store(&a->ended, false);
		a->drained = false;
	} else {
		hsd_capture_restart(a->capture);
		/* Half-filled chunks of the old run would not follow on. */
		hsd_chunker_drop(&a->chunker);
	}
	return dropped;
}

uint64_t hsd_stream_credit_limit(const hsd_stream *s)
{
	return hsd_ring_read_index(s->a->ring) + hsd_ring_capacity(s->a->ring);
}

uint64_t hsd_stream_ring_write(hsd_stream *s, const uint8_t *data, uint64_t frames)
{
	hsd_ring_region r;
	uint64_t n = hsd_ring_reserve(s->a->ring, frames, &r);
	size_t fb = s->a->frame_bytes, first = (size_t)r.span[0].frames * fb;

	memcpy(r.span[0].data, data, first);
	if (r.span[1].frames)
		memcpy(r.span[1].data, data + first, (size_t)r.span[1].frames * fb);
	hsd_ring_commit(s->a->ring, n);
	return n;
}

const hsd_audio_snap *hsd_stream_snapshot(const hsd_stream *s)
{
	return s->have_last ? &s->last : NULL;
}

int hsd_stream_add_listener(hsd_stream *s, hsd_sopen *o)
{
	if (s->nlisteners >= s->d->config->max_clients)
		return -ENOSPC;
	s->listeners[s->nlisteners++] = o;
	return 0;
}

void hsd_stream_remove_listener(hsd_stream *s, hsd_sopen *o)
{
	for (unsigned i = 0; i < s->nlisteners; i++)
		if (s->listeners[i] == o) {
			s->listeners[i] = s->listeners[--s->nlisteners];
			break;
		}
	if (!s->nlisteners && !s->cfg.always_on)
		hsd_stream_close_engine(s);
}

hsd_stream *hsd_streams_find(hsd_daemon *d, const char *name)
{
	for (unsigned i = 0; i < d->nstreams; i++)
		if (d->streams[i].cfg.name[0] && !strcmp(d->streams[i].cfg.name, name))
			return &d->streams[i];
	return NULL;
}

/* ---- The pump ------------------------------------------------------------- */

/* Every client of s loses it (the engine failed); the last one closes the
 * engine, and an always-on stream's engine closes too. */
static void lose_stream(hsd_stream *s, int code, const char *text)
{
	if (s->owner)
		hsd_session_stream_lost(s->owner, code, text);
	while (s->nlisteners)
		hsd_session_stream_lost(s->listeners[s->nlisteners - 1], code, text);
	hsd_stream_close_engine(s);
}

static void on_message(hsd_daemon *d, const hsd_msg *m)
{
	hsd_stream *s = m->stream < d->nstreams ? &d->streams[m->stream] : NULL;
	char text[HSP_TEXT_MAX];

	if (!s || !s->a || m->reserved != s->gen)
		return; /* about an engine closed since */
	switch (m->kind) {
	case HSD_AMSG_DRAINED:
		if (s->owner)
			hsd_session_drained(s->owner);
		return;
	case HSD_AMSG_UNDERRUN:
		hsd_log(HSD_LOG_DEBUG, "stream %s: underrun %llu at frame %llu", s->cfg.name,
			(unsigned long long)m->value, (unsigned long long)m->frame);
		return;
	case HSD_AMSG_FIFO_ERROR:
		hsd_log(HSD_LOG_WARNING, "stream %s: FIFO error (%llu so far)", s->cfg.name,
			(unsigned long long)m->value);
		return;
	default:
		snprintf(text, sizeof(text), "stream %s: %s: %s", s->cfg.name,
			 m->kind == HSD_AMSG_STOPPED       ? "the hardware stopped the engine"
			 : m->kind == HSD_AMSG_DEVICE_GONE ? "the controller is gone"
							   : "reading the position failed",
			 hda_status_str((hda_status)m->status));
		hsd_log(HSD_LOG_ERROR, "%s", text);
		lose_stream(s, m->status, text);
	}
}

/* Capture audio lost for every listener: to an audio thread later than
 * the buffer allows (an overrun), or to an empty pool, which should not
 * happen (hsd_chunker_plan sizes it) unless the loop was far behind.
 * Every listener sees the gap as a jump in frame_index; the log says why,
 * once a second at most. */
static void log_losses(hsd_stream *s)
{
	hsd_stream_counters c;
	uint64_t starved = hsd_chunker_starved(&s->a->chunker);
	uint64_t now = uv_now(s->d->loop);

	hsd_capture_counters(s->a->capture, &c);
	if ((starved == s->starved_logged && c.lost_frames == s->overrun_logged) ||
	    now - s->loss_log_ms < 1000)
		return;
	hsd_log(HSD_LOG_WARNING,
		"stream %s: frames lost for every listener: %llu to the audio thread "
		"late past the buffer, %llu for want of a free chunk (%llu and %llu in all)",
		s->cfg.name, (unsigned long long)(c.lost_frames - s->overrun_logged),
		(unsigned long long)(starved - s->starved_logged),
		(unsigned long long)c.lost_frames, (unsigned long long)starved);
	s->starved_logged = starved;
	s->overrun_logged = c.lost_frames;
	s->loss_log_ms = now;
}

/* Each chunk goes to every listener's queue, and each session sends what
 * it can before the next chunk is queued: after a loop late by more than
 * a queue's depth, the backlog that arrives at once then passes through
 * the sockets that take it, and only a listener whose socket does not
 * loses its oldest. */
static void fan_out(hsd_stream *s)
{
	hsd_chunk *c;

	log_losses(s);
	while ((c = hsd_chunk_receive(s->a->pool))) {
		uint32_t n = 0;

		for (unsigned i = 0; i < s->nlisteners; i++)
			if (hsd_session_listening(s->listeners[i]))
				s->fan[n++] = hsd_session_lqueue(s->listeners[i]);
		if (hsd_chunk_frames(c))
			hsd_chunk_fan_out(c, s->fan, n);
		hsd_chunk_unref(c);
		for (unsigned i = 0; i < s->nlisteners; i++)
			hsd_session_kick(s->listeners[i]);
	}
}

void hsd_streams_pump(hsd_daemon *d)
{
	hsd_msg m;
	uint64_t lost;

	if (!d->audio)
		return;
	while (hsd_msgq_pop(hsd_audio_msgq(d->audio), &m))
		on_message(d, &m);
	lost = hsd_msgq_lost(hsd_audio_msgq(d->audio));
	if (lost != d->msgs_lost) {
		hsd_log(HSD_LOG_WARNING, "audio thread: %llu messages lost to a full queue",
			(unsigned long long)(lost - d->msgs_lost));
		d->msgs_lost = lost;
	}
	for (unsigned i = 0; i < d->nstreams; i++) {
		hsd_stream *s = &d->streams[i];
		hsd_ring_region r;
		uint64_t n;

		if (!s->a)
			continue;
		n = hsd_ring_peek(s->a->snaps, SNAP_FRAMES, &r);
		if (n) {
			const hsd_ring_span *sp = r.span[1].frames ? &r.span[1] : &r.span[0];

			memcpy(&s->last, (uint8_t *)sp->data + (sp->frames - 1) * sizeof(s->last),
			       sizeof(s->last));
			s->have_last = true;
			hsd_ring_consume(s->a->snaps, n);
		}
		if (s->a->dir == HSD_CAPTURE)
			fan_out(s);
		else if (s->owner)
			hsd_session_kick(s->owner);
	}
}

/* ---- Start-up and shutdown ------------------------------------------------ */

int hsd_streams_init(hsd_daemon *d)
{
	const hsd_config *c = d->config;

	d->nstreams = c->stream_count;
	for (unsigned i = 0; i < c->stream_count; i++) {
		hsd_stream *s = &d->streams[i];
		char why[256] = "", line[256];
		hda_status st;

		s->d = d;
		s->cfg = c->streams[i];
		s->slot = i;
		s->listeners = calloc(c->max_clients, sizeof(*s->listeners));
		s->fan = calloc(c->max_clients, sizeof(*s->fan));
		if (!s->listeners || !s->fan) {
			hsd_log(HSD_LOG_ERROR, "out of memory");
			return -ENOMEM;
		}
		st = hsd_stream_open_engine(s, &s->cfg.format, s->cfg.latency_us, why,
					    sizeof(why));
		if (st) {
			hsd_log(HSD_LOG_ERROR, "%s:%u: [stream %s]: %s (%s)", c->path, s->cfg.line,
				s->cfg.name, why, hda_status_str(st));
			return -EINVAL;
		}
		hsd_sizing_describe(&hsd_engine_get_info(s->a->engine)->sizing, line,
				    sizeof(line));
		hsd_log(HSD_LOG_INFO, "stream %s: %s", s->cfg.name, line);
		if (s->cfg.direction == HSD_CAPTURE && s->cfg.always_on) {
			st = hsd_stream_run(s);
			if (st) {
				hsd_log(HSD_LOG_ERROR, "stream %s: starting: %s", s->cfg.name,
					hda_status_str(st));
				return -EINVAL;
			}
		} else {
			/* Free until a client comes: the sizing was the point. */
			hsd_stream_close_engine(s);
			s->base = 0;
		}
	}
	return 0;
}

void hsd_streams_fini(hsd_daemon *d)
{
	for (unsigned i = 0; i < d->nstreams; i++) {
		hsd_stream *s = &d->streams[i];

		hsd_stream_close_engine(s);
		free(s->listeners);
		free(s->fan);
		s->listeners = NULL;
		s->fan = NULL;
	}
}
