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

#include "hsd_session.h"

/* ---- Output ---------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
	wreq *w = (wreq *)req;
	hsd_session *ss = w->ss;

	hsd_chunk_unref(w->chunk);
	if (w->close_after || (status < 0 && status != UV_ECANCELED))
		ss_close(ss);
	else if (status == 0)
		for (unsigned i = 0; i < SESSION_OPENS; i++)
			if (ss->open[i].used && ss->open[i].lq)
				hsd_session_kick(&ss->open[i]);
	free(w);
}

int ss_write(hsd_session *ss, wreq *w, uv_buf_t *bufs, unsigned n)
{
	int rc;

	w->ss = ss;
	ss->last_tx_ms = uv_now(ss->d->loop);
	rc = uv_write(&w->req, (uv_stream_t *)&ss->tcp, bufs, n, on_written);
	if (rc) {
		hsd_chunk_unref(w->chunk);
		free(w);
		ss_close(ss);
	}
	return rc;
}

/* Send one encoded message (len bytes from enc). */
void ss_send(hsd_session *ss, const hsp_msg *m, bool close_after)
{
	/* Room for the largest message but AUDIO (a STATUS_REPORT). */
	uint8_t buf[HSP_HEADER_SIZE + HSP_STATUS_BODY_MAX];
	int len = hsp_encode(buf, sizeof(buf), m);
	wreq *w;
	uv_buf_t b;

	if (ss->closing)
		return;
	if (len < 0) {
		hsd_log(HSD_LOG_ERROR, "client %s: cannot encode %s: %s", ss->peer,
			hsp_type_name(m->type), hsp_err_name(len));
		ss_close(ss);
		return;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&ss->tcp) > OUT_HARD) {
		hsd_log(HSD_LOG_WARNING, "client %s: does not read; disconnected", ss->peer);
		ss_close(ss);
		return;
	}
	w = calloc(1, sizeof(*w) + (size_t)len);
	if (!w) {
		ss_close(ss);
		return;
	}
	memcpy(w->data, buf, (size_t)len);
	w->close_after = close_after;
	b = uv_buf_init((char *)w->data, (unsigned)len);
	ss_write(ss, w, &b, 1);
}

void ss_error(hsd_session *ss, uint32_t tag, uint32_t stream, int code,
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
		ss_send(ss, &m, true);
		ss->failing = true;
		ss->fail_ms = uv_now(ss->d->loop);
		if (ss->reading)
			uv_read_stop((uv_stream_t *)&ss->tcp);
		ss->reading = false;
	} else {
		ss_send(ss, &m, false);
	}
}

void ss_ack(hsd_session *ss, uint32_t tag, uint32_t stream, uint16_t req)
{
	hsp_msg m = {.type = HSP_ACK};

	m.u.ack = (hsp_ack){.tag = tag, .stream = stream, .request = req};
	ss_send(ss, &m, false);
}

/* ---- Open streams ------------------------------------------------------------ */

hsd_sopen *ss_find_open(hsd_session *ss, uint32_t id)
{
	for (unsigned i = 0; i < SESSION_OPENS; i++)
		if (ss->open[i].used && ss->open[i].id == id)
			return &ss->open[i];
	return NULL;
}

/* The session's timer: idle and keepalive, and the shortest report
 * interval of its streams. */
void ss_retime(hsd_session *ss)
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
void ss_release_open(hsd_sopen *o)
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
		/* The queue's references go before the listener: removing
		 * the last one may close the engine and its pool. */
		hsd_lqueue_destroy(o->lq);
		hsd_stream_remove_listener(s, o);
	}
	memset(o, 0, sizeof(*o));
	ss_retime(ss);
}

/* A pending DRAIN is answered before a STOP or CLOSE takes it away. */
void ss_abandon_drain(hsd_sopen *o)
{
	if (o->state == HSP_STATE_DRAINING)
		ss_error(o->ss, o->drain_tag, o->id, HSP_ERR_BAD_STATE, false,
			   "drain abandoned");
	o->drain_tag = 0;
}

void hsd_session_stream_lost(hsd_sopen *o, int code, const char *text)
{
	hsd_session *ss = o->ss;
	uint32_t id = o->id;

	ss_abandon_drain(o);
	ss_release_open(o);
	ss->lost_ids[ss->nlost++ % SESSION_OPENS] = id;
	ss_error(ss, 0, id, code, false, "%s", text);
}

bool ss_id_lost(const hsd_session *ss, uint32_t id)
{
	for (unsigned i = 0; i < SESSION_OPENS && i < ss->nlost; i++)
		if (ss->lost_ids[i] == id)
			return true;
	return false;
}

void hsd_sessions_resume(hsd_daemon *d)
{
	/* ss_release_open dropped a held AUDIO with its stream, but the
	 * socket was left unread: take up what is buffered, then read.  Not
	 * from hsd_session_stream_lost itself, whose caller is in the middle
	 * of changing the streams that the buffered messages may open. */
	for (hsd_session *ss = d->sessions, *next; ss; ss = next) {
		next = ss->next;
		if (ss->reading || ss->holding || ss->closing || ss->failing)
			continue;
		ss_process(ss);
		if (!ss->holding && !ss->closing && !ss->failing)
			ss_start_reading(ss);
	}
}

void hsd_session_drained(hsd_sopen *o)
{
	if (o->state != HSP_STATE_DRAINING)
		return;
	o->dropped += hsd_stream_stop(o->s);
	o->state = HSP_STATE_IDLE;
	ss_ack(o->ss, o->drain_tag, o->id, HSP_DRAIN);
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
 * up: each chunk only when the kernel took all that went before (libuv
 * writes at once into an empty queue, and queues only what the socket
 * would not take), so a stalled client pins one chunk, not a queue's
 * worth.  on_written kicks again when the socket drains. */
void ss_send_chunks(hsd_sopen *o)
{
	hsd_session *ss = o->ss;
	hsd_chunk *c;

	while (!ss->closing && !ss->failing &&
	       uv_stream_get_write_queue_size((uv_stream_t *)&ss->tcp) == 0 &&
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
			ss_close(ss);
			return;
		}
		a.payload_len = frames * o->s->a->frame_bytes;
		hsp_encode_audio_head(w->data, HSP_HEADER_SIZE + HSP_AUDIO_FIXED, &a);
		w->chunk = c;
		b[0] = uv_buf_init((char *)w->data, HSP_HEADER_SIZE + HSP_AUDIO_FIXED);
		b[1] = uv_buf_init(hsd_chunk_data(c), a.payload_len);
		o->sent += frames;
		if (ss_write(ss, w, b, 2))
			return;
	}
}

/* Render: tell the client its new credit once it has grown by an eighth
 * of the ring (not at every period: a message per period would do). */
void ss_credit(hsd_sopen *o, bool force)
{
	uint64_t limit = hsd_stream_credit_limit(o->s);
	uint64_t step = hsd_ring_capacity(o->s->a->ring) / 8;

	if (limit > o->credit_sent && (force || limit - o->credit_sent >= step)) {
		hsp_msg m = {.type = HSP_CREDIT};

		m.u.credit = (hsp_credit){.stream = o->id, .limit = limit};
		o->credit_sent = limit;
		ss_send(o->ss, &m, false);
	}
}

/* Render: move what the held AUDIO still has into the ring. */
bool ss_push_held(hsd_session *ss)
{
	hsd_sopen *o = ss->held_open;
	uint64_t n = hsd_stream_ring_write(o->s, ss->held.payload, ss->held.frames);

	ss->held.payload += n * o->s->a->frame_bytes;
	ss->held.frames -= (uint32_t)n;
	return ss->held.frames == 0;
}

void hsd_session_kick(hsd_sopen *o)
{
	hsd_session *ss = o->ss;

	if (ss->closing || ss->failing)
		return;
	if (o->lq) {
		ss_send_chunks(o);
		return;
	}
	if (ss->holding && ss->held_open == o && ss_push_held(ss)) {
		ss->holding = false;
		ss_process(ss);
		if (!ss->holding && !ss->closing && !ss->failing)
			ss_start_reading(ss);
	}
	if (o->used)
		ss_credit(o, false);
}

/* Feed what is buffered until it is used up, the session holds AUDIO or
 * fails. */
void ss_process(hsd_session *ss)
{
	while (ss->in_off < ss->in_len && !ss->holding && !ss->failing && !ss->closing) {
		size_t used = 0;
		hsp_msg m;
		int rc = hsp_parser_feed(&ss->parser, ss->in + ss->in_off,
					 ss->in_len - ss->in_off, &used, &m);

		ss->in_off += used;
		if (rc < 0) {
			ss_error(ss, 0, 0, -rc, true, "%s", hsp_parser_reason(&ss->parser));
			return;
		}
		if (rc == HSP_PARSE_MSG)
			ss_on_message(ss, &m);
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
		ss_close(ss);
		return;
	}
	ss->last_rx_ms = uv_now(ss->d->loop);
	ss->in_off = 0;
	ss->in_len = (size_t)n;
	ss_process(ss);
}

void ss_start_reading(hsd_session *ss)
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
			ss_close(ss);
		return;
	}
	if (now - ss->last_rx_ms >= HSD_IDLE_TIMEOUT_MS && !ss->holding) {
		ss_error(ss, 0, 0, HSP_ERR_TIMEOUT, true, "nothing received for %u ms",
			   HSD_IDLE_TIMEOUT_MS);
		return;
	}
	for (unsigned i = 0; i < SESSION_OPENS; i++) {
		hsd_sopen *o = &ss->open[i];

		if (o->used && o->interval_ms && now - o->last_report_ms >= o->interval_ms &&
		    (o->state == HSP_STATE_RUNNING || o->state == HSP_STATE_DRAINING)) {
			o->last_report_ms = now;
			ss_position(o, 0);
		}
	}
	if (now - ss->last_tx_ms >= HSD_IDLE_TIMEOUT_MS / 3) {
		hsp_msg m = {.type = HSP_KEEPALIVE};

		m.u.keepalive.token = now;
		ss_send(ss, &m, false);
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
	hsd_notify_status(d);
	hsd_daemon_session_gone(d);
}

void ss_close(hsd_session *ss)
{
	if (ss->closing)
		return;
	ss->closing = true;
	for (unsigned i = 0; i < SESSION_OPENS; i++) {
		ss_abandon_drain(&ss->open[i]);
		ss_release_open(&ss->open[i]);
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
			ss_error(ss, 0, 0, code, true, "%s", text);
		/* The ERROR is queued; give the peer the grace to read it,
		 * the shutdown timer closes what is left. */
		for (unsigned i = 0; i < SESSION_OPENS; i++)
			ss_release_open(&ss->open[i]);
	}
}

void hsd_sessions_abort(hsd_daemon *d)
{
	while (d->sessions)
		ss_close(d->sessions);
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
		ss_close(ss);
		return;
	}
	uv_tcp_nodelay(&ss->tcp, 1);
	peer_name(ss);
	ss->last_rx_ms = ss->last_tx_ms = uv_now(d->loop);
	ss->timer_ms = HSD_IDLE_TIMEOUT_MS / 3;
	uv_timer_start(&ss->timer, on_tick, ss->timer_ms, ss->timer_ms);
	if (d->stopping) {
		ss_error(ss, 0, 0, HSP_ERR_SHUTDOWN, true, "the daemon is stopping");
		return;
	}
	hsd_log(HSD_LOG_INFO, "client %s: connected", ss->peer);
	hsd_notify_status(d);
	ss_start_reading(ss);
}
