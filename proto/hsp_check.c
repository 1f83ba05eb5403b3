/* SPDX-License-Identifier: MIT */
/*
 * The value rules of every field (PROTOCOL.md, "Messages"), and the names
 * of codes.  The same function judges what was decoded and what is about
 * to be encoded.
 */
#include <string.h>

#include "hsp_internal.h"

/* The rules of libhda's format.c (hda_format_to_converter), restated so
 * that a client needs no libhda: a rate HD Audio's SDnFMT can express as
 * base (48000 or 44100) x mult (1..4) / div (1..8) exactly, 8/16/20/24/32
 * valid bits in an 8/16/32-bit container (20 and 24 bits live in 32), and
 * 1..16 channels.  tests/proto checks the two agree. */
uint32_t hsp_format_frame_bytes(const hsp_format *f)
{
	static const uint32_t bases[] = {48000, 44100};
	unsigned container;
	bool rate_ok = false;

	if (!f || f->channels < 1 || f->channels > 16 || f->rate == 0 ||
	    f->rate > 192000)
		return 0;
	for (unsigned b = 0; b < 2; b++)
		for (unsigned mult = 1; mult <= 4; mult++)
			for (unsigned div = 1; div <= 8; div++)
				rate_ok |= bases[b] * mult == f->rate * div;
	switch (f->bits) {
	case 8: container = 8; break;
	case 16: container = 16; break;
	case 20: case 24: case 32: container = 32; break;
	default: return 0;
	}
	if (!rate_ok || f->container != container)
		return 0;
	return container / 8 * f->channels;
}

static bool format_zero(const hsp_format *f)
{
	return !f->rate && !f->bits && !f->container && !f->channels;
}

/* Stream names are config section names: [A-Za-z0-9_.-], 1..63 bytes.
 * Software names are printable ASCII, 0..63 bytes.  Texts are anything
 * but control characters (bytes from 0x80 pass: UTF-8, not checked). */
enum { STR_STREAM, STR_SOFTWARE, STR_TEXT };

static int check_string(const char *s, size_t max, int kind, const char *what,
			char *reason)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return hsp__fail(reason, HSP_ERR_BAD_STRING,
				 "%s: longer than %zu bytes", what, max - 1);
	if (kind == STR_STREAM && n == 0)
		return hsp__fail(reason, HSP_ERR_BAD_STRING, "%s: empty", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool ok;

		if (kind == STR_STREAM)
			ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
			     ch == '-';
		else if (kind == STR_SOFTWARE)
			ok = ch >= 0x20 && ch < 0x7f;
		else
			ok = ch >= 0x20 && ch != 0x7f;
		if (!ok)
			return hsp__fail(reason, HSP_ERR_BAD_STRING,
					 "%s: byte 0x%02x at %zu not allowed",
					 what, ch, i);
	}
	return 0;
}

static int check_codec(uint8_t codec, const char *what, char *reason)
{
	if (codec == HSP_CODEC_PCM)
		return 0;
	if (codec == HSP_CODEC_OPUS)
		return hsp__fail(reason, HSP_ERR_UNSUPPORTED,
				 "%s: codec 1 (Opus) is not in version 1", what);
	return hsp__fail(reason, HSP_ERR_BAD_MESSAGE, "%s: unknown codec %u",
			 what, codec);
}

#define NONZERO(field, what)                                                   \
	do {                                                                   \
		if (!(field))                                                  \
			return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,          \
					 "%s: " what " is 0", name);           \
	} while (0)

static int check_hello(const hsp_hello *h, const char *name, char *reason)
{
	if (!h->version_min || h->version_min > h->version_max)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: version range %u..%u", name,
				 h->version_min, h->version_max);
	if (h->version_min > HSP_VERSION || h->version_max < HSP_VERSION)
		return hsp__fail(reason, HSP_ERR_UNSUPPORTED_VERSION,
				 "%s: versions %u..%u offered, this side "
				 "speaks %u", name, h->version_min,
				 h->version_max, HSP_VERSION);
	return check_string(h->name, sizeof(h->name), STR_SOFTWARE,
			    "HELLO name", reason);
}

static int check_hello_ack(const hsp_hello_ack *h, const char *name,
			   char *reason)
{
	if (h->version != HSP_VERSION)
		return hsp__fail(reason, HSP_ERR_UNSUPPORTED_VERSION,
				 "%s: version %u, this side speaks %u", name,
				 h->version, HSP_VERSION);
	if (h->auth)
		return hsp__fail(reason, HSP_ERR_UNSUPPORTED,
				 "%s: authentication method %u is not in "
				 "version 1", name, h->auth);
	if (h->idle_timeout_ms && (h->idle_timeout_ms < HSP_IDLE_MS_MIN ||
				   h->idle_timeout_ms > HSP_IDLE_MS_MAX))
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: idle timeout %u ms, 0 or %u..%u", name,
				 h->idle_timeout_ms, HSP_IDLE_MS_MIN,
				 HSP_IDLE_MS_MAX);
	return check_string(h->name, sizeof(h->name), STR_SOFTWARE,
			    "HELLO_ACK name", reason);
}

static int check_open(const hsp_open *o, const char *name, char *reason)
{
	NONZERO(o->tag, "tag");
	if (o->direction > HSP_DIR_CAPTURE)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: direction %u", name, o->direction);
	if (o->flags & ~(HSP_OPEN_FORMAT | HSP_OPEN_LATENCY))
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "%s: flags 0x%02x", name, o->flags);
	if (o->interval_ms > HSP_INTERVAL_MS_MAX)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: report interval %u ms, at most %u", name,
				 o->interval_ms, HSP_INTERVAL_MS_MAX);
	if ((o->flags & HSP_OPEN_FORMAT) && !hsp_format_frame_bytes(&o->format))
		return hsp__fail(reason, HSP_ERR_BAD_FORMAT,
				 "%s: format %u Hz, %u bits in %u, %u channels",
				 name, o->format.rate, o->format.bits,
				 o->format.container, o->format.channels);
	if (!(o->flags & HSP_OPEN_FORMAT) && !format_zero(&o->format))
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "%s: format given without its flag", name);
	if ((o->flags & HSP_OPEN_LATENCY) &&
	    (o->latency_us < HSP_LATENCY_US_MIN ||
	     o->latency_us > HSP_LATENCY_US_MAX))
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: latency %u us, %u..%u", name,
				 o->latency_us, HSP_LATENCY_US_MIN,
				 HSP_LATENCY_US_MAX);
	if (!(o->flags & HSP_OPEN_LATENCY) && o->latency_us)
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "%s: latency given without its flag", name);
	return check_string(o->name, sizeof(o->name), STR_STREAM,
			    "OPEN stream name", reason);
}

static int check_opened(const hsp_opened *o, const char *name, char *reason)
{
	uint32_t fb = hsp_format_frame_bytes(&o->format);
	int rc;

	NONZERO(o->tag, "tag");
	NONZERO(o->stream, "stream");
	if (o->direction != HSP_DIR_RENDER && o->direction != HSP_DIR_CAPTURE)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: direction %u", name, o->direction);
	rc = check_codec(o->codec, name, reason);
	if (rc)
		return rc;
	if (o->flags & ~HSP_OPENED_ADJUSTED)
		return hsp__fail(reason, HSP_ERR_RESERVED, "%s: flags 0x%02x",
				 name, o->flags);
	if (!fb)
		return hsp__fail(reason, HSP_ERR_BAD_FORMAT, "%s: format", name);
	if (!o->buffer_bytes || o->buffer_bytes > HSP_BUFFER_MAX ||
	    o->buffer_bytes % fb)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: buffer of %u bytes (whole %u-byte frames, "
				 "at most %u)", name, o->buffer_bytes, fb,
				 HSP_BUFFER_MAX);
	if (!o->period_frames || o->period_frames > o->buffer_bytes / fb)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: period of %u frames in a %u-frame buffer",
				 name, o->period_frames, o->buffer_bytes / fb);
	if (o->fifo_bytes > HSP_FIFO_MAX)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: FIFO of %u bytes", name, o->fifo_bytes);
	NONZERO(o->latency_frames, "latency");
	if ((o->direction == HSP_DIR_RENDER) != (o->window_frames != 0))
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: window of %u frames for a %s stream",
				 name, o->window_frames,
				 o->direction == HSP_DIR_RENDER ? "render"
								: "capture");
	return 0;
}

static int check_position(const hsp_position *p, const char *name,
			  char *reason)
{
	NONZERO(p->stream, "stream");
	if (p->state > HSP_STATE_DRAINING)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE, "%s: state %u",
				 name, p->state);
	if (p->flags & ~HSP_POS_STALLED)
		return hsp__fail(reason, HSP_ERR_RESERVED, "%s: flags 0x%02x",
				 name, p->flags);
	if (p->fifo_bytes > HSP_FIFO_MAX)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: FIFO of %u bytes", name, p->fifo_bytes);
	return 0;
}

static int check_audio(const hsp_audio *a, const char *name, char *reason)
{
	int rc;

	NONZERO(a->stream, "stream");
	rc = check_codec(a->codec, name, reason);
	if (rc)
		return rc;
	NONZERO(a->frames, "frame count");
	if (!a->payload_len)
		return hsp__fail(reason, HSP_ERR_BAD_LENGTH,
				 "%s: no payload", name);
	if (a->payload_len > HSP_AUDIO_MAX_PAYLOAD)
		return hsp__fail(reason, HSP_ERR_TOO_LARGE,
				 "%s: payload of %u bytes, at most %u", name,
				 a->payload_len, HSP_AUDIO_MAX_PAYLOAD);
	/* PCM: a whole number of frames of at most HSP_PCM_FRAME_MAX bytes;
	 * that it is the stream's frame size is the session's to check. */
	if (a->payload_len % a->frames ||
	    a->payload_len / a->frames > HSP_PCM_FRAME_MAX)
		return hsp__fail(reason, HSP_ERR_BAD_LENGTH,
				 "%s: %u bytes are not %u whole PCM frames",
				 name, a->payload_len, a->frames);
	if (a->frame_index > UINT64_MAX - a->frames)
		return hsp__fail(reason, HSP_ERR_BAD_SEQUENCE,
				 "%s: frame index %llu + %u overflows", name,
				 (unsigned long long)a->frame_index, a->frames);
	return 0;
}

static int check_error(const hsp_error_msg *e, const char *name, char *reason)
{
	/* Codes this version does not know are let through: a later
	 * version adds codes, and the text still explains them. */
	if (!e->code || e->code == HSP_ERR_NO_SPACE)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE, "%s: code 0x%x",
				 name, e->code);
	if (e->fatal > 1)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE, "%s: fatal = %u",
				 name, e->fatal);
	return check_string(e->text, sizeof(e->text), STR_TEXT, "ERROR text",
			    reason);
}

int hsp__check_status_stream(const hsp_status_stream *s,
			     const hsp_status_report *r, char *reason)
{
	static const char name[] = "STATUS_REPORT";
	bool render = s->direction == HSP_DIR_RENDER;
	uint32_t fb;
	int rc = check_string(s->name, sizeof(s->name), STR_STREAM,
			      "STATUS_REPORT stream name", reason);

	if (rc)
		return rc;
	if (s->direction != HSP_DIR_RENDER && s->direction != HSP_DIR_CAPTURE)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: direction %u", name, s->name,
				 s->direction);
	rc = check_codec(s->codec, name, reason);
	if (rc)
		return rc;
	if (s->state > HSP_SSTATE_RUNNING)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: state %u", name, s->name, s->state);
	if (s->flags & ~HSP_SS_FLAGS_ALL)
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "%s: stream %s: flags 0x%02x", name, s->name,
				 s->flags);
	/* The flags say one thing once: an engine is open exactly when the
	 * state is not IDLE, a reading needs an engine, stalled a reading. */
	if (!(s->flags & HSP_SS_ENGINE) != (s->state == HSP_SSTATE_IDLE) ||
	    ((s->flags & HSP_SS_POSITION) && !(s->flags & HSP_SS_ENGINE)) ||
	    ((s->flags & HSP_SS_STALLED) && !(s->flags & HSP_SS_POSITION)) ||
	    ((s->flags & HSP_SS_OWNER) && !render) ||
	    ((s->flags & HSP_SS_ALWAYS_ON) && render))
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: flags 0x%02x contradict state %u "
				 "or direction %u", name, s->name, s->flags,
				 s->state, s->direction);
	fb = hsp_format_frame_bytes(&s->format);
	if (!fb)
		return hsp__fail(reason, HSP_ERR_BAD_FORMAT,
				 "%s: stream %s: format %u Hz, %u bits in %u, %u "
				 "channels", name, s->name, s->format.rate,
				 s->format.bits, s->format.container,
				 s->format.channels);
	if (!s->buffer_bytes || s->buffer_bytes > HSP_BUFFER_MAX ||
	    s->buffer_bytes % fb)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: buffer of %u bytes (whole %u-byte "
				 "frames, at most %u)", name, s->name,
				 s->buffer_bytes, fb, HSP_BUFFER_MAX);
	if (!s->period_frames || s->period_frames > s->buffer_bytes / fb)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: period of %u frames in a %u-frame "
				 "buffer", name, s->name, s->period_frames,
				 s->buffer_bytes / fb);
	if (s->fifo_bytes > HSP_FIFO_MAX)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: FIFO of %u bytes", name, s->name,
				 s->fifo_bytes);
	if (!s->latency_frames || !s->latency_us)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: latency of %u frames, %u us",
				 name, s->name, s->latency_frames, s->latency_us);
	if ((render && s->listeners) || s->listeners > r->max_clients)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: %u listeners (%s stream, at most "
				 "%u clients)", name, s->name, s->listeners,
				 render ? "a render" : "a capture", r->max_clients);
	if (render ? s->overruns != 0 : s->underruns != 0)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: %s counted on a %s stream", name,
				 s->name, render ? "overruns" : "underruns",
				 render ? "render" : "capture");
	if (!(s->flags & HSP_SS_POSITION) &&
	    (s->dma_frames || s->wall_ticks || s->mono_ns || s->real_ns))
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: stream %s: positions without a reading",
				 name, s->name);
	return 0;
}

static int check_status_report(const hsp_status_report *r, const char *name,
			       char *reason)
{
	char first[HSP_NAME_MAX * HSP_STATUS_STREAMS_MAX];
	int rc;

	NONZERO(r->tag, "tag");
	NONZERO(r->max_clients, "max_clients");
	if (r->stream_count > HSP_STATUS_STREAMS_MAX)
		return hsp__fail(reason, HSP_ERR_TOO_LARGE,
				 "%s: %u streams, at most %u", name,
				 r->stream_count, HSP_STATUS_STREAMS_MAX);
	if (r->stream_count && !r->records && !r->streams)
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s: %u streams and no records", name,
				 r->stream_count);
	for (uint32_t i = 0; i < r->stream_count; i++) {
		hsp_status_stream s;

		if (r->records)
			rc = hsp__status_record_read(r->records +
						     (size_t)i * HSP_STATUS_RECORD,
						     &s, reason);
		else
			rc = (s = r->streams[i], 0);
		if (!rc)
			rc = hsp__check_status_stream(&s, r, reason);
		if (rc)
			return rc;
		/* A stream is listed once (names are config sections). */
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(first + (size_t)j * HSP_NAME_MAX, s.name))
				return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
						 "%s: stream %s listed twice",
						 name, s.name);
		memcpy(first + (size_t)i * HSP_NAME_MAX, s.name, HSP_NAME_MAX);
	}
	return check_string(r->server, sizeof(r->server), STR_SOFTWARE,
			    "STATUS_REPORT server name", reason);
}

int hsp__validate(const hsp_msg *m, char *reason)
{
	const hsp_desc *d = hsp__desc(m->type);
	const char *name = d ? d->name : "?";

	switch (m->type) {
	case HSP_HELLO:
		return check_hello(&m->u.hello, name, reason);
	case HSP_HELLO_ACK:
		return check_hello_ack(&m->u.hello_ack, name, reason);
	case HSP_OPEN:
		return check_open(&m->u.open, name, reason);
	case HSP_OPENED:
		return check_opened(&m->u.opened, name, reason);
	case HSP_START:
	case HSP_PAUSE:
	case HSP_STOP:
	case HSP_DRAIN:
	case HSP_CLOSE:
	case HSP_POSITION_REQUEST:
		NONZERO(m->u.request.tag, "tag");
		NONZERO(m->u.request.stream, "stream");
		return 0;
	case HSP_ACK:
		NONZERO(m->u.ack.tag, "tag");
		NONZERO(m->u.ack.stream, "stream");
		if (m->u.ack.request < HSP_START || m->u.ack.request > HSP_CLOSE)
			return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
					 "%s: answers type 0x%04x", name,
					 m->u.ack.request);
		return 0;
	case HSP_CREDIT:
		NONZERO(m->u.credit.stream, "stream");
		return 0;
	case HSP_POSITION:
		return check_position(&m->u.position, name, reason);
	case HSP_KEEPALIVE:
		return 0;
	case HSP_AUDIO:
		return check_audio(&m->u.audio, name, reason);
	case HSP_ERROR:
		return check_error(&m->u.error, name, reason);
	case HSP_STATUS:
		NONZERO(m->u.status.tag, "tag");
		return 0;
	case HSP_STATUS_REPORT:
		return check_status_report(&m->u.status_report, name, reason);
	}
	return hsp__fail(reason, HSP_ERR_UNKNOWN_TYPE, "message type 0x%04x",
			 m->type);
}

const char *hsp_err_name(int code)
{
	static const char *const names[] = {
		[HSP_OK] = "HSP_OK",
		[HSP_ERR_HDA_UNSUCCESSFUL] = "HDA_STATUS_UNSUCCESSFUL",
		[HSP_ERR_HDA_INSUFFICIENT_RESOURCES] =
			"HDA_STATUS_INSUFFICIENT_RESOURCES",
		[HSP_ERR_HDA_INVALID_HANDLE] = "HDA_STATUS_INVALID_HANDLE",
		[HSP_ERR_HDA_INVALID_PARAMETER] = "HDA_STATUS_INVALID_PARAMETER",
		[HSP_ERR_HDA_DEVICE_NOT_READY] = "HDA_STATUS_DEVICE_NOT_READY",
		[HSP_ERR_HDA_INVALID_DEVICE_REQUEST] =
			"HDA_STATUS_INVALID_DEVICE_REQUEST",
		[HSP_ERR_HDA_BUFFER_TOO_SMALL] = "HDA_STATUS_BUFFER_TOO_SMALL",
		[HSP_ERR_HDA_NO_MEMORY] = "HDA_STATUS_NO_MEMORY",
		[HSP_ERR_HDA_ACCESS_DENIED] = "HDA_STATUS_ACCESS_DENIED",
	};
	static const char *const proto[] = {
		"HSP_ERR_BAD_MAGIC", "HSP_ERR_UNSUPPORTED_VERSION",
		"HSP_ERR_UNKNOWN_TYPE", "HSP_ERR_TOO_LARGE",
		"HSP_ERR_TRUNCATED", "HSP_ERR_BAD_LENGTH",
		"HSP_ERR_BAD_STRING", "HSP_ERR_BAD_FORMAT",
		"HSP_ERR_RESERVED", "HSP_ERR_BAD_MESSAGE",
		"HSP_ERR_BAD_STATE", "HSP_ERR_BAD_SEQUENCE",
		"HSP_ERR_UNSUPPORTED", "HSP_ERR_BUSY",
		"HSP_ERR_UNKNOWN_STREAM", "HSP_ERR_LIMIT",
		"HSP_ERR_TIMEOUT", "HSP_ERR_SHUTDOWN",
		"HSP_ERR_STREAM_CHANGED",
	};

	if (code < 0)
		code = -code;
	if ((size_t)code < sizeof(names) / sizeof(names[0]))
		return names[code];
	if (code >= HSP_ERR_BAD_MAGIC &&
	    (size_t)(code - HSP_ERR_BAD_MAGIC) < sizeof(proto) / sizeof(proto[0]))
		return proto[code - HSP_ERR_BAD_MAGIC];
	if (code == HSP_ERR_NO_SPACE)
		return "HSP_ERR_NO_SPACE";
	return "HSP_ERR_UNKNOWN";
}
