/* SPDX-License-Identifier: MIT */
/*
 * One client connection's messages (hsd_session.h): HELLO, OPEN, the
 * requests, render AUDIO with its checks, and POSITION reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_session.h"
#include "hsd_status.h"

/* ---- Positions --------------------------------------------------------------- */

void ss_position(hsd_sopen *o, uint32_t tag)
{
	const hsd_stream *s = o->s;
	const hsd_audio_snap *snap = s->a ? hsd_stream_snapshot(s) : NULL;
	hsp_msg m = {.type = HSP_POSITION};
	hsp_position *p = &m.u.position;

	p->tag = tag;
	p->stream = o->id;
	p->state = o->state;
	p->link_frames = p->dma_frames = s->base;
	if (snap) {
		p->flags = snap->pos.stalled ? HSP_POS_STALLED : 0;
		p->fifo_bytes = snap->pos.fifo_size;
		p->link_frames = s->base + snap->pos.converter_frames;
		p->dma_frames = s->base + snap->pos.dma_frames;
		p->wall_ticks = snap->pos.wall_ticks;
		p->mono_ns = snap->mono_ns;
		p->real_ns = snap->real_ns;
	} else if (s->a) {
		p->fifo_bytes = hsd_engine_get_info(s->a->engine)->fifo_bytes;
	}
	p->frames_sent = o->sent;
	if (s->cfg.direction == HSD_RENDER) {
		hsd_stream_counters c;

		if (snap) {
			/* The client's frames the render step took, less those
			 * it discarded late and those still between the link
			 * and the write position (the step counts them apart
			 * from any silence there: hsd_render_source_ahead). */
			uint64_t taken = snap->consumed - o->dropped - snap->skipped;
			uint64_t ahead = snap->ahead;
			uint64_t done = taken > ahead ? taken - ahead : 0;

			if (done > o->done)
				o->done = done;
			o->skipped = snap->skipped;
		}
		p->frames_done = o->done;
		p->frames_dropped = o->dropped + o->skipped;
		if (s->a) {
			hsd_render_counters(s->a->render, &c);
			p->underruns = c.underruns - o->underruns0;
		}
	} else {
		hsd_lqueue_drops dr = hsd_lqueue_dropped(o->lq);

		p->frames_dropped = dr.frames;
		p->frames_done = o->sent + dr.frames;
	}
	ss_send(o->ss, &m, false);
}

/* ---- Requests ---------------------------------------------------------------- */

static bool format_from_wire(const hsp_format *f, hda_stream_format *out)
{
	if (!hsp_format_frame_bytes(f))
		return false;
	*out = (hda_stream_format){.sample_rate = f->rate,
				   .valid_bits_per_sample = f->bits,
				   .container_size = f->container,
				   .channels = f->channels};
	return true;
}

static hsp_format format_to_wire(const hda_stream_format *f)
{
	return (hsp_format){.rate = f->sample_rate,
			    .bits = (uint8_t)f->valid_bits_per_sample,
			    .container = (uint8_t)f->container_size,
			    .channels = (uint8_t)f->channels};
}

static bool same_format(const hda_stream_format *a, const hda_stream_format *b)
{
	return a->sample_rate == b->sample_rate &&
	       a->valid_bits_per_sample == b->valid_bits_per_sample &&
	       a->container_size == b->container_size && a->channels == b->channels;
}

static void on_open(hsd_session *ss, const hsp_open *m)
{
	hsd_stream *s = hsd_streams_find(ss->d, m->name);
	hsd_sopen *o = NULL;
	hda_stream_format fmt;
	uint32_t latency;
	char why[256] = "";
	hda_status st;
	hsp_msg r = {.type = HSP_OPENED};
	const hsd_engine_info *in;

	if (!s) {
		ss_error(ss, m->tag, 0, HSP_ERR_UNKNOWN_STREAM, false, "no stream %s", m->name);
		return;
	}
	if (m->direction != HSP_DIR_ANY &&
	    (m->direction == HSP_DIR_RENDER) != (s->cfg.direction == HSD_RENDER)) {
		ss_error(ss, m->tag, 0, HSP_ERR_UNSUPPORTED, false, "stream %s is %s", m->name,
			   hsd_direction_name(s->cfg.direction));
		return;
	}
	for (unsigned i = 0; i < SESSION_OPENS && !o; i++)
		if (!ss->open[i].used)
			o = &ss->open[i];
	if (!o) {
		ss_error(ss, m->tag, 0, HSP_ERR_LIMIT, false,
			   "at most %u streams on one connection", SESSION_OPENS);
		return;
	}
	fmt = s->cfg.format;
	if ((m->flags & HSP_OPEN_FORMAT) && !format_from_wire(&m->format, &fmt)) {
		ss_error(ss, m->tag, 0, HSP_ERR_UNSUPPORTED, false, "format not supported");
		return;
	}
	latency = (m->flags & HSP_OPEN_LATENCY) ? m->latency_us : s->cfg.latency_us;
	if (s->cfg.direction == HSD_RENDER && s->owner) {
		ss_error(ss, m->tag, 0, HSP_ERR_BUSY, false, "stream %s is busy", s->cfg.name);
		return;
	}
	if (s->cfg.direction == HSD_CAPTURE && s->a && !same_format(&fmt, &s->format)) {
		ss_error(ss, m->tag, 0, HSP_ERR_BUSY, false,
			   "stream %s runs in another format", s->cfg.name);
		return;
	}
	if (s->cfg.direction == HSD_CAPTURE && s->nlisteners >= ss->d->config->max_clients) {
		ss_error(ss, m->tag, 0, HSP_ERR_LIMIT, false, "stream %s has %u listeners",
			   s->cfg.name, s->nlisteners);
		return;
	}
	if (!s->a) {
		st = hsd_stream_open_engine(s, &fmt, latency, why, sizeof(why));
		if (st == HDA_STATUS_SUCCESS && s->cfg.direction == HSD_CAPTURE) {
			st = hsd_stream_run(s);
			snprintf(why, sizeof(why), "starting the engine");
			if (st)
				hsd_stream_close_engine(s);
		}
		if (st) {
			hsd_log(HSD_LOG_WARNING, "client %s: stream %s: %s (%s)", ss->peer,
				s->cfg.name, why, hda_status_str(st));
			ss_error(ss, m->tag, 0, st, false, "stream %s: %s", s->cfg.name, why);
			return;
		}
	}
	*o = (hsd_sopen){.ss = ss, .s = s, .id = ++ss->next_id, .used = true,
			 .interval_ms = m->interval_ms, .state = HSP_STATE_IDLE};
	o->last_report_ms = uv_now(ss->d->loop);
	in = hsd_engine_get_info(s->a->engine);
	if (s->cfg.direction == HSD_RENDER) {
		s->owner = o;
		o->credit_sent = hsd_stream_credit_limit(s);
	} else if (hsd_lqueue_create(&o->lq, s->lq_depth) ||
		   hsd_stream_add_listener(s, o)) {
		hsd_lqueue_destroy(o->lq);
		memset(o, 0, sizeof(*o));
		if (!s->nlisteners && !s->cfg.always_on)
			hsd_stream_close_engine(s);
		ss_error(ss, m->tag, 0, HSP_ERR_LIMIT, false, "no room for a listener");
		return;
	}
	r.u.opened = (hsp_opened){
		.tag = m->tag,
		.stream = o->id,
		.direction = s->cfg.direction == HSD_RENDER ? HSP_DIR_RENDER : HSP_DIR_CAPTURE,
		.codec = HSP_CODEC_PCM,
		.flags = in->sizing.limits ? HSP_OPENED_ADJUSTED : 0,
		.format = format_to_wire(&s->format),
		.buffer_bytes = (uint32_t)in->buffer_bytes,
		.period_frames = in->sizing.period_frames,
		.fifo_bytes = in->fifo_bytes,
		.latency_frames = in->sizing.latency_frames,
		.window_frames = s->cfg.direction == HSD_RENDER ? (uint32_t)o->credit_sent : 0,
	};
	hsd_log(HSD_LOG_INFO, "client %s: opened %s as %u", ss->peer, s->cfg.name, o->id);
	ss_send(ss, &r, false);
	ss_retime(ss);
}

static void on_request(hsd_session *ss, uint16_t type, const hsp_request *m)
{
	hsd_sopen *o = ss_find_open(ss, m->stream);
	bool render;
	hda_status st = HDA_STATUS_SUCCESS;

	if (!o) {
		ss_error(ss, m->tag, m->stream, HSP_ERR_UNKNOWN_STREAM, false,
			   "stream id %u is not open here", m->stream);
		return;
	}
	render = o->s->cfg.direction == HSD_RENDER;
	switch (type) {
	case HSP_START:
		if (o->state != HSP_STATE_IDLE && o->state != HSP_STATE_PAUSED)
			goto bad_state;
		if (render)
			st = hsd_stream_run(o->s);
		if (st)
			break;
		o->state = HSP_STATE_RUNNING;
		ss_ack(ss, m->tag, o->id, type);
		return;
	case HSP_PAUSE:
		if (o->state != HSP_STATE_RUNNING)
			goto bad_state;
		if (render)
			st = hsd_stream_pause(o->s);
		if (st)
			break;
		o->state = HSP_STATE_PAUSED;
		ss_ack(ss, m->tag, o->id, type);
		return;
	case HSP_STOP:
		ss_abandon_drain(o);
		if (render)
			o->dropped += hsd_stream_stop(o->s);
		o->state = HSP_STATE_IDLE;
		ss_ack(ss, m->tag, o->id, type);
		if (render)
			ss_credit(o, true); /* the discarded frames' room */
		return;
	case HSP_DRAIN:
		if (!render || o->state != HSP_STATE_RUNNING)
			goto bad_state;
		o->state = HSP_STATE_DRAINING;
		o->drain_tag = m->tag;
		atomic_store_explicit(&o->s->a->ended, true, memory_order_release);
		return; /* ACK once played out */
	case HSP_CLOSE: {
		uint32_t id = o->id;

		ss_abandon_drain(o);
		ss_release_open(o);
		ss_ack(ss, m->tag, id, type);
		return;
	}
	default: /* HSP_POSITION_REQUEST */
		ss_position(o, m->tag);
		return;
	}
	ss_error(ss, m->tag, o->id, st, false, "%s: %s", hsp_type_name(type),
		   hda_status_str(st));
	return;
bad_state:
	ss_error(ss, m->tag, o->id, HSP_ERR_BAD_STATE, false, "%s not allowed in state %u",
		   hsp_type_name(type), o->state);
}

/* Render AUDIO.  false: the session failed. */
static bool on_audio(hsd_session *ss, const hsp_audio *m)
{
	hsd_sopen *o = ss_find_open(ss, m->stream);

	if (!o && ss_id_lost(ss, m->stream))
		return true; /* sent before the client read why it was closed */
	if (!o) {
		ss_error(ss, 0, m->stream, HSP_ERR_UNKNOWN_STREAM, true,
			   "AUDIO for stream id %u, which is not open", m->stream);
		return false;
	}
	if (o->s->cfg.direction != HSD_RENDER) {
		ss_error(ss, 0, o->id, HSP_ERR_BAD_MESSAGE, true,
			   "AUDIO for a capture stream");
		return false;
	}
	if (m->codec != HSP_CODEC_PCM ||
	    (uint64_t)m->frames * o->s->a->frame_bytes != m->payload_len) {
		ss_error(ss, 0, o->id, HSP_ERR_BAD_LENGTH, true,
			   "%u payload bytes are not %u frames of %u bytes", m->payload_len,
			   m->frames, o->s->a->frame_bytes);
		return false;
	}
	if (o->state == HSP_STATE_DRAINING) {
		ss_error(ss, 0, o->id, HSP_ERR_BAD_STATE, true, "AUDIO while draining");
		return false;
	}
	if (m->frame_index != o->next_index) {
		ss_error(ss, 0, o->id, HSP_ERR_BAD_SEQUENCE, true,
			   "frame index %llu, expected %llu", (unsigned long long)m->frame_index,
			   (unsigned long long)o->next_index);
		return false;
	}
	o->next_index += m->frames;
	o->sent += m->frames;
	ss->held = *m;
	ss->held_open = o;
	if (!ss_push_held(ss)) {
		/* Beyond the ring's room: wait for the audio thread. */
		ss->holding = true;
		if (ss->reading)
			uv_read_stop((uv_stream_t *)&ss->tcp);
		ss->reading = false;
	}
	return true;
}

static void on_hello(hsd_session *ss, const hsp_hello *m)
{
	hsp_msg r = {.type = HSP_HELLO_ACK};

	if (m->version_min > HSP_VERSION || m->version_max < HSP_VERSION) {
		ss_error(ss, 0, 0, HSP_ERR_UNSUPPORTED_VERSION, true,
			   "this server speaks version %u only", HSP_VERSION);
		return;
	}
	if (ss->d->nclients > ss->d->config->max_clients) {
		ss_error(ss, 0, 0, HSP_ERR_LIMIT, true, "at most %u clients",
			   ss->d->config->max_clients);
		return;
	}
	r.u.hello_ack = (hsp_hello_ack){.version = HSP_VERSION,
					.caps = m->caps & (HSP_CAP_PCM | HSP_CAP_STATUS),
					.idle_timeout_ms = HSD_IDLE_TIMEOUT_MS};
	snprintf(r.u.hello_ack.name, sizeof(r.u.hello_ack.name), "hdastreamd");
	hsd_log(HSD_LOG_INFO, "client %s: hello from '%s'", ss->peer, m->name);
	ss_send(ss, &r, false);
}

void ss_on_message(hsd_session *ss, const hsp_msg *m)
{
	switch (m->type) {
	case HSP_HELLO:
		on_hello(ss, &m->u.hello);
		break;
	case HSP_OPEN:
		on_open(ss, &m->u.open);
		break;
	case HSP_START:
	case HSP_PAUSE:
	case HSP_STOP:
	case HSP_DRAIN:
	case HSP_CLOSE:
	case HSP_POSITION_REQUEST:
		on_request(ss, m->type, &m->u.request);
		break;
	case HSP_AUDIO:
		on_audio(ss, &m->u.audio);
		break;
	case HSP_STATUS:
		hsd_status_answer(ss, m->u.status.tag);
		break;
	case HSP_ERROR:
		hsd_log(HSD_LOG_NOTICE, "client %s: sent ERROR %s: %s", ss->peer,
			hsp_err_name(m->u.error.code), m->u.error.text);
		break;
	default: /* KEEPALIVE */
		break;
	}
}
