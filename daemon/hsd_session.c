/* SPDX-License-Identifier: MIT */
/*
 * One client connection (hsd_daemon.h): reads messages with proto's
 * incremental parser, enforces what PROTOCOL.md's "Who checks what" leaves
 * to the session (stream ids, states, frame sizes, the render sequence,
 * credit, the config's limits), and answers.
 *
 * Memory is bounded per connection: the parser's one frame and one input
 * buffer, allocated with the session; a fixed table of open streams; the
 * output queue, where a capture listener stops taking chunks from its
 * bounded queue above OUT_SOFT (its hsd_lqueue then drops, counted) and a
 * client whose queue passes OUT_HARD anyway is disconnected.
 *
 * Render flow control.  A render stream's frames go into its ring; the
 * credit limit is the ring's read index plus its capacity, so a client
 * within credit always fits.  AUDIO beyond the ring's room is held (its
 * payload stays in the parser, which is not fed meanwhile) and the socket
 * is not read until the audio thread has made room: the sender is slowed
 * through TCP, never dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_daemon.h"
#include "hsd_log.h"

#define SESSION_OPENS 8
#define OUT_SOFT (256u * 1024)
#define OUT_HARD (4u << 20)
/* A session closing after its fatal ERROR waits this long for the peer to
 * read it. */
#define CLOSE_GRACE_MS 1000

struct hsd_sopen {
	hsd_session *ss;
	hsd_stream *s;
	uint32_t id;
	uint8_t state; /* hsp_stream_state */
	uint16_t interval_ms;
	uint64_t last_report_ms;
	uint64_t next_index;  /* render: the next frame index expected */
	uint64_t sent;        /* render: received; capture: sent */
	uint64_t dropped;     /* render: discarded by STOP */
	uint64_t done;        /* render: played (kept monotonic) */
	uint64_t credit_sent; /* render: the last limit told */
	uint64_t underruns0;  /* render: the engine's count at OPEN */
	uint32_t drain_tag;
	hsd_lqueue *lq;       /* capture */
	bool used;
};

struct hsd_session {
	hsd_daemon *d;
	hsd_session *next, **pprev;
	uv_tcp_t tcp;
	uv_timer_t timer;
	unsigned handles; /* open libuv handles, freed at 0 */
	bool closing, failing, reading;
	uint64_t fail_ms;
	uint64_t last_rx_ms, last_tx_ms;
	uint32_t next_id;
	unsigned timer_ms;
	/* a render AUDIO that did not fit: its payload is in the parser */
	bool holding;
	hsp_audio held;
	hsd_sopen *held_open;
	size_t in_off, in_len;
	hsd_sopen open[SESSION_OPENS];
	char peer[64];
	hsp_parser parser;
	uint8_t in[HSP_MAX_FRAME];
};

typedef struct wreq {
	uv_write_t req;
	hsd_session *ss;
	hsd_chunk *chunk;
	bool close_after;
	uint8_t data[];
} wreq;

static void process(hsd_session *ss);
static void session_close(hsd_session *ss);

/* ---- Output ---------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
	wreq *w = (wreq *)req;
	hsd_session *ss = w->ss;

	hsd_chunk_unref(w->chunk);
	if (w->close_after || (status < 0 && status != UV_ECANCELED))
		session_close(ss);
	else if (status == 0)
		for (unsigned i = 0; i < SESSION_OPENS; i++)
			if (ss->open[i].used && ss->open[i].lq)
				hsd_session_kick(&ss->open[i]);
	free(w);
}

static int write_req(hsd_session *ss, wreq *w, uv_buf_t *bufs, unsigned n)
{
	int rc;

	w->ss = ss;
	ss->last_tx_ms = uv_now(ss->d->loop);
	rc = uv_write(&w->req, (uv_stream_t *)&ss->tcp, bufs, n, on_written);
	if (rc) {
		hsd_chunk_unref(w->chunk);
		free(w);
		session_close(ss);
	}
	return rc;
}

/* Send one encoded message (len bytes from enc). */
static void send_msg(hsd_session *ss, const hsp_msg *m, bool close_after)
{
	uint8_t buf[HSP_HEADER_SIZE + 512];
	int len = hsp_encode(buf, sizeof(buf), m);
	wreq *w;
	uv_buf_t b;

	if (ss->closing)
		return;
	if (len < 0) {
		hsd_log(HSD_LOG_ERROR, "client %s: cannot encode %s: %s", ss->peer,
			hsp_type_name(m->type), hsp_err_name(len));
		session_close(ss);
		return;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&ss->tcp) > OUT_HARD) {
		hsd_log(HSD_LOG_WARNING, "client %s: does not read; disconnected", ss->peer);
		session_close(ss);
		return;
	}
	w = calloc(1, sizeof(*w) + (size_t)len);
	if (!w) {
		session_close(ss);
		return;
	}
	memcpy(w->data, buf, (size_t)len);
	w->close_after = close_after;
	b = uv_buf_init((char *)w->data, (unsigned)len);
	write_req(ss, w, &b, 1);
}

static void send_error(hsd_session *ss, uint32_t tag, uint32_t stream, int code,
		       bool fatal, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void send_error(hsd_session *ss, uint32_t tag, uint32_t stream, int code,
		       bool fatal, const char *fmt, ...)
{
	hsp_msg m = {.type = HSP_ERROR};
	va_list ap;

	m.u.error.tag = tag;
	m.u.error.stream = stream;
	m.u.error.code = (uint16_t)code;
	m.u.error.fatal = fatal;
	va_start(ap, fmt);
	vsnprintf(m.u.error.text, sizeof(m.u.error.text), fmt, ap);
	va_end(ap);
	/* Text is printable by PROTOCOL.md's rule; a stream name or a libhda
	 * reason always is, but be sure. */
	for (char *p = m.u.error.text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = '?';
	if (fatal) {
		hsd_log(HSD_LOG_NOTICE, "client %s: %s: %s; disconnecting", ss->peer,
			hsp_err_name(code), m.u.error.text);
		send_msg(ss, &m, true);
		ss->failing = true;
		ss->fail_ms = uv_now(ss->d->loop);
		if (ss->reading)
			uv_read_stop((uv_stream_t *)&ss->tcp);
		ss->reading = false;
	} else {
		send_msg(ss, &m, false);
	}
}

static void send_ack(hsd_session *ss, uint32_t tag, uint32_t stream, uint16_t req)
{
	hsp_msg m = {.type = HSP_ACK};

	m.u.ack = (hsp_ack){.tag = tag, .stream = stream, .request = req};
	send_msg(ss, &m, false);
}

/* ---- Positions --------------------------------------------------------------- */

static void send_position(hsd_sopen *o, uint32_t tag)
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
			 * still between the link and the write position.  Exact
			 * while that stretch holds no underrun silence, which it
			 * holds only for the latency after an underrun. */
			uint64_t taken = snap->consumed - o->dropped;
			uint64_t ahead = snap->written > snap->pos.converter_frames
						 ? snap->written - snap->pos.converter_frames
						 : 0;
			uint64_t done = taken > ahead ? taken - ahead : 0;

			if (done > o->done)
				o->done = done;
		}
		p->frames_done = o->done;
		p->frames_dropped = o->dropped;
		if (s->a) {
			hsd_render_counters(s->a->render, &c);
			p->underruns = c.underruns - o->underruns0;
		}
	} else {
		hsd_lqueue_drops dr = hsd_lqueue_dropped(o->lq);

		p->frames_dropped = dr.frames;
		p->frames_done = o->sent + dr.frames;
	}
	send_msg(o->ss, &m, false);
}

/* ---- Open streams ------------------------------------------------------------ */

static hsd_sopen *find_open(hsd_session *ss, uint32_t id)
{
	for (unsigned i = 0; i < SESSION_OPENS; i++)
		if (ss->open[i].used && ss->open[i].id == id)
			return &ss->open[i];
	return NULL;
}

/* The session's timer: idle and keepalive, and the shortest report
 * interval of its streams. */
static void retime(hsd_session *ss)
{
	unsigned ms = HSD_IDLE_TIMEOUT_MS / 3;

	for (unsigned i = 0; i < SESSION_OPENS; i++)
		if (ss->open[i].used && ss->open[i].interval_ms &&
		    ss->open[i].interval_ms < ms)
			ms = ss->open[i].interval_ms;
	if (ms != ss->timer_ms) {
		ss->timer_ms = ms;
		uv_timer_set_repeat(&ss->timer, ms);
		uv_timer_again(&ss->timer);
	}
}

/* Forget o: render frames queued are discarded, a listener leaves; the
 * engine closes with its last user. */
static void release_open(hsd_sopen *o)
{
	hsd_stream *s = o->s;
	hsd_session *ss = o->ss;

	if (!o->used)
		return;
	if (o->ss->holding && o->ss->held_open == o)
		o->ss->holding = false;
	if (s->cfg.direction == HSD_RENDER) {
		if (s->owner == o)
			s->owner = NULL;
		hsd_stream_close_engine(s);
	} else {
		hsd_stream_remove_listener(s, o);
		hsd_lqueue_destroy(o->lq);
	}
	memset(o, 0, sizeof(*o));
	retime(ss);
}

/* A pending DRAIN is answered before a STOP or CLOSE takes it away. */
static void abandon_drain(hsd_sopen *o)
{
	if (o->state == HSP_STATE_DRAINING)
		send_error(o->ss, o->drain_tag, o->id, HSP_ERR_BAD_STATE, false,
			   "drain abandoned");
	o->drain_tag = 0;
}

void hsd_session_stream_lost(hsd_sopen *o, int code, const char *text)
{
	hsd_session *ss = o->ss;
	uint32_t id = o->id;

	abandon_drain(o);
	release_open(o);
	send_error(ss, 0, id, code, false, "%s", text);
}

void hsd_session_drained(hsd_sopen *o)
{
	if (o->state != HSP_STATE_DRAINING)
		return;
	o->dropped += hsd_stream_stop(o->s);
	o->state = HSP_STATE_IDLE;
	send_ack(o->ss, o->drain_tag, o->id, HSP_DRAIN);
	o->drain_tag = 0;
}

hsd_lqueue *hsd_session_lqueue(hsd_sopen *o)
{
	return o->lq;
}

bool hsd_session_listening(const hsd_sopen *o)
{
	return o->state == HSP_STATE_RUNNING;
}

/* Capture: send what the listener's queue holds while the socket keeps
 * up. */
static void send_chunks(hsd_sopen *o)
{
	hsd_session *ss = o->ss;
	hsd_chunk *c;

	while (!ss->closing && !ss->failing &&
	       uv_stream_get_write_queue_size((uv_stream_t *)&ss->tcp) < OUT_SOFT &&
	       (c = hsd_lqueue_pop(o->lq))) {
		uint32_t frames = hsd_chunk_frames(c);
		wreq *w = calloc(1, sizeof(*w) + HSP_HEADER_SIZE + HSP_AUDIO_FIXED);
		hsp_audio a = {
			.stream = o->id,
			.codec = HSP_CODEC_PCM,
			.frame_index = o->s->base + hsd_chunk_get_stamp(c)->first_frame,
			.frames = frames,
		};
		uv_buf_t b[2];

		if (!w) {
			hsd_chunk_unref(c);
			session_close(ss);
			return;
		}
		a.payload_len = frames * o->s->a->frame_bytes;
		hsp_encode_audio_head(w->data, HSP_HEADER_SIZE + HSP_AUDIO_FIXED, &a);
		w->chunk = c;
		b[0] = uv_buf_init((char *)w->data, HSP_HEADER_SIZE + HSP_AUDIO_FIXED);
		b[1] = uv_buf_init(hsd_chunk_data(c), a.payload_len);
		o->sent += frames;
		if (write_req(ss, w, b, 2))
			return;
	}
}

/* Render: tell the client its new credit once it has grown by an eighth
 * of the ring (not at every period: a message per period would do). */
static void send_credit(hsd_sopen *o, bool force)
{
	uint64_t limit = hsd_stream_credit_limit(o->s);
	uint64_t step = hsd_ring_capacity(o->s->a->ring) / 8;

	if (limit > o->credit_sent && (force || limit - o->credit_sent >= step)) {
		hsp_msg m = {.type = HSP_CREDIT};

		m.u.credit = (hsp_credit){.stream = o->id, .limit = limit};
		o->credit_sent = limit;
		send_msg(o->ss, &m, false);
	}
}

/* Render: move what the held AUDIO still has into the ring. */
static bool push_held(hsd_session *ss)
{
	hsd_sopen *o = ss->held_open;
	uint64_t n = hsd_stream_ring_write(o->s, ss->held.payload, ss->held.frames);

	ss->held.payload += n * o->s->a->frame_bytes;
	ss->held.frames -= (uint32_t)n;
	return ss->held.frames == 0;
}

static void start_reading(hsd_session *ss);

void hsd_session_kick(hsd_sopen *o)
{
	hsd_session *ss = o->ss;

	if (ss->closing || ss->failing)
		return;
	if (o->lq) {
		send_chunks(o);
		return;
	}
	if (ss->holding && ss->held_open == o && push_held(ss)) {
		ss->holding = false;
		process(ss);
		if (!ss->holding && !ss->closing && !ss->failing)
			start_reading(ss);
	}
	if (o->used)
		send_credit(o, false);
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
		send_error(ss, m->tag, 0, HSP_ERR_UNKNOWN_STREAM, false, "no stream %s", m->name);
		return;
	}
	if (m->direction != HSP_DIR_ANY &&
	    (m->direction == HSP_DIR_RENDER) != (s->cfg.direction == HSD_RENDER)) {
		send_error(ss, m->tag, 0, HSP_ERR_UNSUPPORTED, false, "stream %s is %s", m->name,
			   hsd_direction_name(s->cfg.direction));
		return;
	}
	for (unsigned i = 0; i < SESSION_OPENS && !o; i++)
		if (!ss->open[i].used)
			o = &ss->open[i];
	if (!o) {
		send_error(ss, m->tag, 0, HSP_ERR_LIMIT, false,
			   "at most %u streams on one connection", SESSION_OPENS);
		return;
	}
	fmt = s->cfg.format;
	if ((m->flags & HSP_OPEN_FORMAT) && !format_from_wire(&m->format, &fmt)) {
		send_error(ss, m->tag, 0, HSP_ERR_UNSUPPORTED, false, "format not supported");
		return;
	}
	latency = (m->flags & HSP_OPEN_LATENCY) ? m->latency_us : s->cfg.latency_us;
	if (s->cfg.direction == HSD_RENDER && s->owner) {
		send_error(ss, m->tag, 0, HSP_ERR_BUSY, false, "stream %s is busy", s->cfg.name);
		return;
	}
	if (s->cfg.direction == HSD_CAPTURE && s->a && !same_format(&fmt, &s->format)) {
		send_error(ss, m->tag, 0, HSP_ERR_BUSY, false,
			   "stream %s runs in another format", s->cfg.name);
		return;
	}
	if (s->cfg.direction == HSD_CAPTURE && s->nlisteners >= ss->d->config->max_clients) {
		send_error(ss, m->tag, 0, HSP_ERR_LIMIT, false, "stream %s has %u listeners",
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
			send_error(ss, m->tag, 0, st, false, "stream %s: %s", s->cfg.name, why);
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
		send_error(ss, m->tag, 0, HSP_ERR_LIMIT, false, "no room for a listener");
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
	send_msg(ss, &r, false);
	retime(ss);
}

static void on_request(hsd_session *ss, uint16_t type, const hsp_request *m)
{
	hsd_sopen *o = find_open(ss, m->stream);
	bool render;
	hda_status st = HDA_STATUS_SUCCESS;

	if (!o) {
		send_error(ss, m->tag, m->stream, HSP_ERR_UNKNOWN_STREAM, false,
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
		send_ack(ss, m->tag, o->id, type);
		return;
	case HSP_PAUSE:
		if (o->state != HSP_STATE_RUNNING)
			goto bad_state;
		if (render)
			st = hsd_stream_pause(o->s);
		if (st)
			break;
		o->state = HSP_STATE_PAUSED;
		send_ack(ss, m->tag, o->id, type);
		return;
	case HSP_STOP:
		abandon_drain(o);
		if (render)
			o->dropped += hsd_stream_stop(o->s);
		o->state = HSP_STATE_IDLE;
		send_ack(ss, m->tag, o->id, type);
		if (render)
			send_credit(o, true); /* the discarded frames' room */
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

		abandon_drain(o);
		release_open(o);
		send_ack(ss, m->tag, id, type);
		return;
	}
	default: /* HSP_POSITION_REQUEST */
		send_position(o, m->tag);
		return;
	}
	send_error(ss, m->tag, o->id, st, false, "%s: %s", hsp_type_name(type),
		   hda_status_str(st));
	return;
bad_state:
	send_error(ss, m->tag, o->id, HSP_ERR_BAD_STATE, false, "%s not allowed in state %u",
		   hsp_type_name(type), o->state);
}

/* Render AUDIO.  false: the session failed. */
static bool on_audio(hsd_session *ss, const hsp_audio *m)
{
	hsd_sopen *o = find_open(ss, m->stream);

	if (!o) {
		send_error(ss, 0, m->stream, HSP_ERR_UNKNOWN_STREAM, true,
			   "AUDIO for stream id %u, which is not open", m->stream);
		return false;
	}
	if (o->s->cfg.direction != HSD_RENDER) {
		send_error(ss, 0, o->id, HSP_ERR_BAD_MESSAGE, true,
			   "AUDIO for a capture stream");
		return false;
	}
	if (m->codec != HSP_CODEC_PCM ||
	    (uint64_t)m->frames * o->s->a->frame_bytes != m->payload_len) {
		send_error(ss, 0, o->id, HSP_ERR_BAD_LENGTH, true,
			   "%u payload bytes are not %u frames of %u bytes", m->payload_len,
			   m->frames, o->s->a->frame_bytes);
		return false;
	}
	if (o->state == HSP_STATE_DRAINING) {
		send_error(ss, 0, o->id, HSP_ERR_BAD_STATE, true, "AUDIO while draining");
		return false;
	}
	if (m->frame_index != o->next_index) {
		send_error(ss, 0, o->id, HSP_ERR_BAD_SEQUENCE, true,
			   "frame index %llu, expected %llu", (unsigned long long)m->frame_index,
			   (unsigned long long)o->next_index);
		return false;
	}
	o->next_index += m->frames;
	o->sent += m->frames;
	ss->held = *m;
	ss->held_open = o;
	if (!push_held(ss)) {
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
		send_error(ss, 0, 0, HSP_ERR_UNSUPPORTED_VERSION, true,
			   "this server speaks version %u only", HSP_VERSION);
		return;
	}
	if (ss->d->nclients > ss->d->config->max_clients) {
		send_error(ss, 0, 0, HSP_ERR_LIMIT, true, "at most %u clients",
			   ss->d->config->max_clients);
		return;
	}
	r.u.hello_ack = (hsp_hello_ack){.version = HSP_VERSION,
					.caps = m->caps & HSP_CAP_PCM,
					.idle_timeout_ms = HSD_IDLE_TIMEOUT_MS};
	snprintf(r.u.hello_ack.name, sizeof(r.u.hello_ack.name), "hdastreamd");
	hsd_log(HSD_LOG_INFO, "client %s: hello from '%s'", ss->peer, m->name);
	send_msg(ss, &r, false);
}

static void on_message(hsd_session *ss, const hsp_msg *m)
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
	case HSP_ERROR:
		hsd_log(HSD_LOG_NOTICE, "client %s: sent ERROR %s: %s", ss->peer,
			hsp_err_name(m->u.error.code), m->u.error.text);
		break;
	default: /* KEEPALIVE */
		break;
	}
}

/* Feed what is buffered until it is used up, the session holds AUDIO or
 * fails. */
static void process(hsd_session *ss)
{
	while (ss->in_off < ss->in_len && !ss->holding && !ss->failing && !ss->closing) {
		size_t used = 0;
		hsp_msg m;
		int rc = hsp_parser_feed(&ss->parser, ss->in + ss->in_off,
					 ss->in_len - ss->in_off, &used, &m);

		ss->in_off += used;
		if (rc < 0) {
			send_error(ss, 0, 0, -rc, true, "%s", hsp_parser_reason(&ss->parser));
			return;
		}
		if (rc == HSP_PARSE_MSG)
			on_message(ss, &m);
	}
}

/* ---- Connection ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	hsd_session *ss = h->data;

	(void)suggested;
	/* Reading happens only once the last buffer is used up. */
	*buf = uv_buf_init((char *)ss->in, sizeof(ss->in));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	hsd_session *ss = st->data;

	(void)buf;
	if (n == 0)
		return;
	if (n < 0) {
		if (n == UV_EOF && hsp_parser_eof(&ss->parser) < 0)
			hsd_log(HSD_LOG_NOTICE, "client %s: %s", ss->peer,
				hsp_parser_reason(&ss->parser));
		else
			hsd_log(HSD_LOG_INFO, "client %s: gone (%s)", ss->peer, uv_err_name((int)n));
		session_close(ss);
		return;
	}
	ss->last_rx_ms = uv_now(ss->d->loop);
	ss->in_off = 0;
	ss->in_len = (size_t)n;
	process(ss);
}

static void start_reading(hsd_session *ss)
{
	if (!ss->reading && ss->in_off >= ss->in_len &&
	    uv_read_start((uv_stream_t *)&ss->tcp, on_alloc, on_read) == 0)
		ss->reading = true;
}

static void on_tick(uv_timer_t *t)
{
	hsd_session *ss = t->data;
	uint64_t now = uv_now(ss->d->loop);

	if (ss->failing) {
		if (now - ss->fail_ms >= CLOSE_GRACE_MS)
			session_close(ss);
		return;
	}
	if (now - ss->last_rx_ms >= HSD_IDLE_TIMEOUT_MS && !ss->holding) {
		send_error(ss, 0, 0, HSP_ERR_TIMEOUT, true, "nothing received for %u ms",
			   HSD_IDLE_TIMEOUT_MS);
		return;
	}
	for (unsigned i = 0; i < SESSION_OPENS; i++) {
		hsd_sopen *o = &ss->open[i];

		if (o->used && o->interval_ms && now - o->last_report_ms >= o->interval_ms &&
		    (o->state == HSP_STATE_RUNNING || o->state == HSP_STATE_DRAINING)) {
			o->last_report_ms = now;
			send_position(o, 0);
		}
	}
	if (now - ss->last_tx_ms >= HSD_IDLE_TIMEOUT_MS / 3) {
		hsp_msg m = {.type = HSP_KEEPALIVE};

		m.u.keepalive.token = now;
		send_msg(ss, &m, false);
	}
}

static void on_closed(uv_handle_t *h)
{
	hsd_session *ss = h->data;
	hsd_daemon *d = ss->d;

	if (--ss->handles)
		return;
	free(ss);
	d->nclients--;
	hsd_daemon_session_gone(d);
}

static void session_close(hsd_session *ss)
{
	if (ss->closing)
		return;
	ss->closing = true;
	for (unsigned i = 0; i < SESSION_OPENS; i++) {
		abandon_drain(&ss->open[i]);
		release_open(&ss->open[i]);
	}
	if (ss->next)
		ss->next->pprev = ss->pprev;
	*ss->pprev = ss->next;
	uv_close((uv_handle_t *)&ss->tcp, on_closed);
	uv_close((uv_handle_t *)&ss->timer, on_closed);
}

void hsd_sessions_close_all(hsd_daemon *d, int code, const char *text)
{
	for (hsd_session *ss = d->sessions, *next; ss; ss = next) {
		next = ss->next;
		if (!ss->failing)
			send_error(ss, 0, 0, code, true, "%s", text);
		/* The ERROR is queued; give the peer the grace to read it,
		 * the shutdown timer closes what is left. */
		for (unsigned i = 0; i < SESSION_OPENS; i++)
			release_open(&ss->open[i]);
	}
}

void hsd_sessions_abort(hsd_daemon *d)
{
	while (d->sessions)
		session_close(d->sessions);
}

static void peer_name(hsd_session *ss)
{
	struct sockaddr_storage sa;
	int len = sizeof(sa);
	char host[48] = "?";

	if (uv_tcp_getpeername(&ss->tcp, (struct sockaddr *)&sa, &len) == 0) {
		if (sa.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&sa, host, sizeof(host));
			snprintf(ss->peer, sizeof(ss->peer), "[%s]:%u", host,
				 ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
			return;
		}
		uv_ip4_name((struct sockaddr_in *)&sa, host, sizeof(host));
		snprintf(ss->peer, sizeof(ss->peer), "%s:%u", host,
			 ntohs(((struct sockaddr_in *)&sa)->sin_port));
		return;
	}
	snprintf(ss->peer, sizeof(ss->peer), "?");
}

void hsd_session_accept(hsd_daemon *d, uv_stream_t *server)
{
	hsd_session *ss = calloc(1, sizeof(*ss));

	if (!ss) {
		hsd_log(HSD_LOG_ERROR, "out of memory for a client");
		return;
	}
	ss->d = d;
	uv_tcp_init(d->loop, &ss->tcp);
	uv_timer_init(d->loop, &ss->timer);
	ss->tcp.data = ss->timer.data = ss;
	ss->handles = 2;
	d->nclients++;
	ss->next = d->sessions;
	if (ss->next)
		ss->next->pprev = &ss->next;
	ss->pprev = &d->sessions;
	d->sessions = ss;
	hsp_parser_init(&ss->parser, HSP_FROM_CLIENT);
	if (uv_accept(server, (uv_stream_t *)&ss->tcp)) {
		session_close(ss);
		return;
	}
	uv_tcp_nodelay(&ss->tcp, 1);
	peer_name(ss);
	ss->last_rx_ms = ss->last_tx_ms = uv_now(d->loop);
	ss->timer_ms = HSD_IDLE_TIMEOUT_MS / 3;
	uv_timer_start(&ss->timer, on_tick, ss->timer_ms, ss->timer_ms);
	if (d->stopping) {
		send_error(ss, 0, 0, HSP_ERR_SHUTDOWN, true, "the daemon is stopping");
		return;
	}
	hsd_log(HSD_LOG_INFO, "client %s: connected", ss->peer);
	start_reading(ss);
}
