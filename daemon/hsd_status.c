/* SPDX-License-Identifier: MIT */
/*
 * STATUS (PROTOCOL.md, "STATUS_REPORT"): the daemon's state for a client,
 * answered from what the main loop already holds.  It opens no engine and
 * asks the audio thread nothing: a stream's sizing is that of its open
 * engine or of the latest one (hsd_stream.sizing, kept past the close),
 * its position is the newest snapshot the pump took from the thread
 * (hsd_stream.last), its counters are read from the step's atomics (each
 * whole; the set may be a step apart, hsd_counters.h).  So `hdastream
 * status` disturbs no stream, whatever it runs.
 */
#include <stdio.h>
#include <string.h>

#include "hsd_session.h"
#include "hsd_status.h"

_Static_assert(HSD_STREAMS_MAX <= HSP_STATUS_STREAMS_MAX,
	       "a STATUS_REPORT must hold every configured stream");
_Static_assert(HSD_STREAM_NAME_MAX < HSP_NAME_MAX,
	       "a config stream name must fit a STATUS_REPORT record");

#ifndef HSD_VERSION
#define HSD_VERSION "unknown"
#endif

static hsp_format wire_format(const hda_stream_format *f)
{
	return (hsp_format){.rate = f->sample_rate,
			    .bits = (uint8_t)f->valid_bits_per_sample,
			    .container = (uint8_t)f->container_size,
			    .channels = (uint8_t)f->channels};
}

/* The counters of the open engine (hsd_counters.h), as the record's four. */
static void stream_counters(const hsd_stream *s, hsp_status_stream *r)
{
	hsd_stream_counters c;

	if (!s->a)
		return;
	if (s->cfg.direction == HSD_RENDER) {
		hsd_render_counters(s->a->render, &c);
		r->underruns = c.underruns;
		r->dropped = c.lost_frames;
	} else {
		hsd_capture_counters(s->a->capture, &c);
		r->overruns = c.overruns;
		/* Lost in the hardware, or for want of a chunk. */
		r->dropped = c.lost_frames + hsd_chunker_starved(&s->a->chunker);
	}
	r->frames = c.frames;
}

void hsd_status_stream_record(const hsd_stream *s, hsp_status_stream *r)
{
	const hsd_sizing *z = &s->sizing;
	const hsd_audio_snap *snap = s->a ? hsd_stream_snapshot(s) : NULL;
	bool render = s->cfg.direction == HSD_RENDER;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", s->cfg.name);
	r->direction = render ? HSP_DIR_RENDER : HSP_DIR_CAPTURE;
	r->codec = HSP_CODEC_PCM;
	r->state = !s->a ? HSP_SSTATE_IDLE
			 : s->running ? HSP_SSTATE_RUNNING : HSP_SSTATE_STOPPED;
	if (s->a)
		r->flags |= HSP_SS_ENGINE;
	if (render && s->owner)
		r->flags |= HSP_SS_OWNER;
	if (!render && s->cfg.always_on)
		r->flags |= HSP_SS_ALWAYS_ON;
	if (z->limits)
		r->flags |= HSP_SS_ADJUSTED;
	/* The format of the open engine (a client's override), or of the
	 * latest one, which is the configured one until a client overrode. */
	r->format = wire_format(s->sized ? &s->format : &s->cfg.format);
	r->latency_frames = z->latency_frames;
	r->latency_us = z->latency_us;
	r->buffer_bytes = z->buffer_bytes;
	r->period_frames = z->period_frames;
	r->fifo_bytes = s->fifo_bytes;
	r->listeners = render ? 0 : s->nlisteners;
	r->link_frames = s->base;
	if (snap) {
		r->flags |= HSP_SS_POSITION;
		if (snap->pos.stalled)
			r->flags |= HSP_SS_STALLED;
		r->link_frames = s->base + snap->pos.converter_frames;
		r->dma_frames = s->base + snap->pos.dma_frames;
		r->wall_ticks = snap->pos.wall_ticks;
		r->mono_ns = snap->mono_ns;
		r->real_ns = snap->real_ns;
	}
	stream_counters(s, r);
}

void hsd_status_answer(hsd_session *ss, uint32_t tag)
{
	const hsd_daemon *d = ss->d;
	hsp_status_stream recs[HSD_STREAMS_MAX];
	hsp_msg m = {.type = HSP_STATUS_REPORT};
	hsp_status_report *r = &m.u.status_report;
	unsigned n = 0;

	for (unsigned i = 0; i < d->nstreams && n < HSD_STREAMS_MAX; i++) {
		/* A stream never sized (none at run time: start-up sizes
		 * every one) has nothing true to show; leave it out rather
		 * than send zeros the protocol refuses. */
		if (!d->streams[i].sized)
			continue;
		hsd_status_stream_record(&d->streams[i], &recs[n++]);
	}
	r->tag = tag;
	r->stream_count = (uint16_t)n;
	r->clients = d->nclients;
	r->max_clients = d->config->max_clients;
	r->uptime_ms = uv_now(d->loop) - d->started_ms;
	snprintf(r->server, sizeof(r->server), "hdastreamd %s", HSD_VERSION);
	r->streams = recs;
	ss_send(ss, &m, false);
}
