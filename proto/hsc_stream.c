/* SPDX-License-Identifier: MIT */
/*
 * Streams on a client connection: OPEN, the requests, render audio within
 * the credit window, the capture queue, positions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hsc_internal.h"

hsc_slot *hsc__slot(hsc_client *c, uint32_t id)
{
	for (size_t i = 0; id && i < HSC_STREAMS_MAX; i++)
		if (c->slots[i].id == id)
			return &c->slots[i];
	return NULL;
}

static const hsc_slot *slot_c(const hsc_client *c, uint32_t id)
{
	return hsc__slot((hsc_client *)c, id);
}

hsc_slot *hsc__usable_slot(hsc_client *c, uint32_t id, int *rc)
{
	hsc_slot *s = hsc__slot(c, id);

	if (c->dead) {
		*rc = c->dead;
		return NULL; /* c->err says why since the connection died */
	}
	if (!s) {
		*rc = hsc__fail(c, -EBADF, id, "stream %u is not open on this connection",
				id);
		return NULL;
	}
	if (s->closed_rc) {
		c->err = s->closed_err;
		*rc = s->closed_rc;
		return NULL;
	}
	return s;
}

void hsc__free_slot(hsc_slot *s)
{
	free(s->q);
	*s = (hsc_slot){0};
}

int hsc_open(hsc_client *c, const hsc_open_args *a, hsc_stream_info *info)
{
	hsp_msg m = {.type = HSP_OPEN};
	hsc_slot *s = NULL;
	const hsp_opened *o = &c->wait.ans.opened;
	int rc;

	for (size_t i = 0; !s && i < HSC_STREAMS_MAX; i++)
		if (!c->slots[i].id)
			s = &c->slots[i];
	if (c->dead)
		return c->dead;
	if (!a || !a->name || !info)
		return hsc__fail(c, -EINVAL, 0, "hsc_open: no stream name");
	if (!s)
		return hsc__fail(c, -ENOSPC, 0, "%s: %d streams open already on this connection",
				 a->name, HSC_STREAMS_MAX);
	m.u.open = (hsp_open){.direction = a->direction, .interval_ms = a->interval_ms};
	if (a->format) {
		m.u.open.flags |= HSP_OPEN_FORMAT;
		m.u.open.format = *a->format;
	}
	if (a->latency_us) {
		m.u.open.flags |= HSP_OPEN_LATENCY;
		m.u.open.latency_us = a->latency_us;
	}
	if (strlen(a->name) >= sizeof(m.u.open.name))
		return hsc__fail(c, -EINVAL, 0, "stream name '%s' is too long", a->name);
	strcpy(m.u.open.name, a->name);
	rc = hsc__transact(c, &m, hsc__deadline(c, -1));
	if (rc) {
		if (hsc_is_proto(rc) && c->err.remote) {
			hsc_error remote = c->err;

			hsc__fail(c, rc, 0, "cannot open stream %s: %.400s", a->name,
				  remote.text);
			c->err.remote = true;
		}
		return rc;
	}
	*info = (hsc_stream_info){
		.id = o->stream, .direction = o->direction, .codec = o->codec,
		.adjusted = o->flags & HSP_OPENED_ADJUSTED, .format = o->format,
		.frame_bytes = hsp_format_frame_bytes(&o->format),
		.buffer_bytes = o->buffer_bytes, .period_frames = o->period_frames,
		.fifo_bytes = o->fifo_bytes, .latency_frames = o->latency_frames,
		.window_frames = o->window_frames,
	};
	*s = (hsc_slot){.id = o->stream, .direction = o->direction,
			.frame_bytes = info->frame_bytes, .limit = o->window_frames};
	if (o->direction == HSP_DIR_CAPTURE) {
		s->qcap = c->queue_bytes;
		s->q = malloc(s->qcap);
		if (!s->q) {
			(void)hsc_request(c, o->stream, HSP_CLOSE, -1);
			return hsc__fail(c, -ENOMEM, 0, "no memory for a capture queue");
		}
	}
	return 0;
}

int hsc_request(hsc_client *c, uint32_t stream, uint16_t type, int timeout_ms)
{
	hsp_msg m = {.type = type};
	hsc_slot *s;
	int rc;

	if (type < HSP_START || type > HSP_CLOSE)
		return hsc__fail(c, -EINVAL, stream, "hsc_request: type 0x%04x is not a request",
				 type);
	s = hsc__usable_slot(c, stream, &rc);
	if (!s) {
		/* The server closed it already (or the connection is gone):
		 * forgetting it is all a CLOSE has left to do. */
		if (type == HSP_CLOSE && hsc__slot(c, stream)) {
			hsc__free_slot(hsc__slot(c, stream));
			return c->dead;
		}
		return rc;
	}
	m.u.request = (hsp_request){.stream = stream};
	rc = hsc__transact(c, &m, hsc__deadline(c, timeout_ms));
	if (type == HSP_CLOSE)
		hsc__free_slot(s);
	return rc;
}

uint64_t hsc_credit(const hsc_client *c, uint32_t stream)
{
	const hsc_slot *s = slot_c(c, stream);

	return s && s->direction == HSP_DIR_RENDER ? s->limit - s->next_index : 0;
}

long hsc_write(hsc_client *c, uint32_t stream, const void *frames,
	       uint32_t nframes, int timeout_ms)
{
	int64_t deadline = hsc__deadline(c, timeout_ms);
	const uint8_t *p = frames;
	uint32_t sent = 0;
	int rc = 0;

	if (nframes > INT32_MAX)
		return hsc__fail(c, -EINVAL, stream, "hsc_write: %u frames at once", nframes);
	while (sent < nframes) {
		hsc_slot *s = hsc__usable_slot(c, stream, &rc);
		hsp_audio a;
		uint64_t n;
		bool queued;

		if (!s)
			break;
		if (s->direction != HSP_DIR_RENDER) {
			rc = hsc__fail(c, -EINVAL, stream, "stream %u is not a render stream",
				       stream);
			break;
		}
		/* The limit is absolute and never falls, and next_index only
		 * grows by what fits under it: so limit >= next_index. */
		n = s->limit - s->next_index;
		if (n == 0) {
			rc = hsc__pump(c, deadline);
			if (rc && !(rc == -ETIMEDOUT && hsc_credit(c, stream)))
				break;
			rc = 0;
			continue;
		}
		if (n > nframes - sent)
			n = nframes - sent;
		if (n > HSP_AUDIO_MAX_PAYLOAD / s->frame_bytes)
			n = HSP_AUDIO_MAX_PAYLOAD / s->frame_bytes;
		a = (hsp_audio){.stream = stream, .codec = HSP_CODEC_PCM,
				.frame_index = s->next_index, .frames = (uint32_t)n,
				.payload_len = (uint32_t)n * s->frame_bytes,
				.payload = p + (size_t)sent * s->frame_bytes};
		rc = hsc__send_audio(c, &a, deadline, &queued);
		/* Queued means taken: a send cut short by the deadline
		 * finishes in the next call, and the framing stays whole. */
		if (queued) {
			s->next_index += n;
			sent += (uint32_t)n;
		}
		if (rc)
			break;
	}
	if (rc == -ETIMEDOUT && !c->dead)
		hsc__fail(c, rc, stream, "%s: no credit for stream %u within the timeout",
			  c->address, stream);
	return sent ? (long)sent : rc;
}

/* ---- Capture ------------------------------------------------------------ */

void hsc__enqueue(hsc_slot *s, const hsp_audio *a)
{
	size_t need = HSC_REC_HEAD + a->payload_len;

	if (s->qcap - s->wr < need && s->rd) {
		memmove(s->q, s->q + s->rd, s->wr - s->rd);
		s->wr -= s->rd;
		s->rd = 0;
	}
	if (s->qcap - s->wr < need || a->payload_len != a->frames * s->frame_bytes) {
		/* Full (the caller reads too slowly), or not this stream's
		 * frames: a gap in the indexes the reader sees. */
		s->local_dropped += a->frames;
		return;
	}
	memcpy(s->q + s->wr, &a->frame_index, 8);
	memcpy(s->q + s->wr + 8, &a->frames, 4);
	memcpy(s->q + s->wr + HSC_REC_HEAD, a->payload, a->payload_len);
	s->wr += need;
}

/* Copy from the queue's records while they are consecutive. */
static uint32_t dequeue(hsc_slot *s, uint8_t *buf, uint32_t max,
			uint64_t *first)
{
	uint32_t got = 0;

	while (got < max && s->rd < s->wr) {
		uint8_t *rec = s->q + s->rd;
		uint64_t index;
		uint32_t frames, n;

		memcpy(&index, rec, 8);
		memcpy(&frames, rec + 8, 4);
		if (got == 0)
			*first = index;
		else if (index != *first + got)
			break;
		n = frames < max - got ? frames : max - got;
		memcpy(buf + (size_t)got * s->frame_bytes, rec + HSC_REC_HEAD,
		       (size_t)n * s->frame_bytes);
		got += n;
		if (n == frames) {
			s->rd += HSC_REC_HEAD + (size_t)frames * s->frame_bytes;
		} else {
			/* Keep the rest as a shorter record ending where the
			 * old one did. */
			size_t skip = (size_t)n * s->frame_bytes;

			index += n;
			frames -= n;
			s->rd += skip;
			memcpy(s->q + s->rd, &index, 8);
			memcpy(s->q + s->rd + 8, &frames, 4);
		}
	}
	if (s->rd == s->wr)
		s->rd = s->wr = 0;
	return got;
}

long hsc_read(hsc_client *c, uint32_t stream, void *buf, uint32_t max_frames,
	      uint64_t *frame_index, int timeout_ms)
{
	int64_t deadline = hsc__deadline(c, timeout_ms);
	hsc_slot *s;
	int rc;

	if (max_frames == 0 || max_frames > INT32_MAX)
		return hsc__fail(c, -EINVAL, stream, "hsc_read: room for %u frames", max_frames);
	for (;;) {
		uint32_t got;

		s = hsc__slot(c, stream);
		if (s && s->direction != HSP_DIR_CAPTURE)
			return hsc__fail(c, -EINVAL, stream, "stream %u is not a capture stream",
					 stream);
		/* What was received before the stream or the connection
		 * ended is still handed out. */
		if (s && (got = dequeue(s, buf, max_frames, frame_index)))
			return got;
		if (!hsc__usable_slot(c, stream, &rc))
			return rc;
		rc = hsc__pump(c, deadline);
		if (rc && !(rc == -ETIMEDOUT && s->rd < s->wr)) {
			if (rc == -ETIMEDOUT)
				hsc__fail(c, rc, stream, "%s: no audio on stream %u within the timeout",
					  c->address, stream);
			return rc;
		}
	}
}

uint64_t hsc_local_dropped(const hsc_client *c, uint32_t stream)
{
	const hsc_slot *s = slot_c(c, stream);

	return s ? s->local_dropped : 0;
}

/* ---- Positions ---------------------------------------------------------- */

int hsc_position(hsc_client *c, uint32_t stream, hsp_position *pos,
		 int timeout_ms)
{
	hsp_msg m = {.type = HSP_POSITION_REQUEST};
	int rc;

	if (!hsc__usable_slot(c, stream, &rc))
		return rc;
	m.u.request = (hsp_request){.stream = stream};
	rc = hsc__transact(c, &m, hsc__deadline(c, timeout_ms));
	if (!rc)
		*pos = c->wait.ans.position;
	return rc;
}

bool hsc_last_position(const hsc_client *c, uint32_t stream,
		       hsp_position *pos, uint64_t *seq)
{
	const hsc_slot *s = slot_c(c, stream);

	if (seq)
		*seq = s ? s->pos_seq : 0;
	if (!s || !s->pos_seq)
		return false;
	*pos = s->pos;
	return true;
}
