/* SPDX-License-Identifier: MIT */
/*
 * Encoding and decoding of hsp frames (PROTOCOL.md, "Framing" and
 * "Messages").  One description of each message's layout, visit(), serves
 * both directions: a cursor either writes the struct's fields or reads them,
 * so the encoder and the decoder cannot disagree on an offset.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hsp_internal.h"

#define C HSP_FROM_CLIENT
#define S HSP_FROM_SERVER

static const hsp_desc descs[] = {
	{HSP_HELLO, C, HSP_TAIL_STRING, 12, HSP_NAME_MAX, "HELLO"},
	{HSP_OPEN, C, HSP_TAIL_STRING, 20, HSP_NAME_MAX, "OPEN"},
	{HSP_START, C, HSP_TAIL_NONE, 8, 0, "START"},
	{HSP_PAUSE, C, HSP_TAIL_NONE, 8, 0, "PAUSE"},
	{HSP_STOP, C, HSP_TAIL_NONE, 8, 0, "STOP"},
	{HSP_DRAIN, C, HSP_TAIL_NONE, 8, 0, "DRAIN"},
	{HSP_CLOSE, C, HSP_TAIL_NONE, 8, 0, "CLOSE"},
	{HSP_POSITION_REQUEST, C, HSP_TAIL_NONE, 8, 0, "POSITION_REQUEST"},
	{HSP_STATUS, C, HSP_TAIL_NONE, 8, 0, "STATUS"},
	{HSP_HELLO_ACK, S, HSP_TAIL_STRING, 20, HSP_NAME_MAX, "HELLO_ACK"},
	{HSP_OPENED, S, HSP_TAIL_NONE, 40, 0, "OPENED"},
	{HSP_ACK, S, HSP_TAIL_NONE, 12, 0, "ACK"},
	{HSP_CREDIT, S, HSP_TAIL_NONE, 16, 0, "CREDIT"},
	{HSP_POSITION, S, HSP_TAIL_NONE, 88, 0, "POSITION"},
	{HSP_STATUS_REPORT, S, HSP_TAIL_RECORDS, HSP_STATUS_FIXED, HSP_NAME_MAX,
	 "STATUS_REPORT"},
	{HSP_KEEPALIVE, C | S, HSP_TAIL_NONE, 8, 0, "KEEPALIVE"},
	{HSP_AUDIO, C | S, HSP_TAIL_PAYLOAD, HSP_AUDIO_FIXED, 0, "AUDIO"},
	{HSP_ERROR, C | S, HSP_TAIL_STRING, 12, HSP_TEXT_MAX, "ERROR"},
};

#undef C
#undef S

const hsp_desc *hsp__desc(uint16_t type)
{
	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
		if (descs[i].type == type)
			return &descs[i];
	return NULL;
}

const char *hsp_type_name(uint16_t type)
{
	const hsp_desc *d = hsp__desc(type);

	return d ? d->name : NULL;
}

int hsp__fail(char *reason, int code, const char *fmt, ...)
{
	va_list ap;

	if (reason) {
		va_start(ap, fmt);
		vsnprintf(reason, HSP_REASON_MAX, fmt, ap);
		va_end(ap);
	}
	return -code;
}

/* ---- The cursor: little-endian fields, read or written ------------------- */

typedef struct cursor {
	uint8_t *p;
	size_t off;
	bool write;
	size_t reserved_at; /* read: offset of a non-zero reserved byte + 1 */
	bool bad_magic;
} cursor;

static void f_uint(cursor *c, void *v, unsigned bytes)
{
	uint64_t x = 0;

	if (c->write) {
		switch (bytes) {
		case 1: x = *(uint8_t *)v; break;
		case 2: x = *(uint16_t *)v; break;
		case 4: x = *(uint32_t *)v; break;
		default: x = *(uint64_t *)v; break;
		}
		for (unsigned i = 0; i < bytes; i++)
			c->p[c->off + i] = (uint8_t)(x >> (8 * i));
	} else {
		for (unsigned i = 0; i < bytes; i++)
			x |= (uint64_t)c->p[c->off + i] << (8 * i);
		switch (bytes) {
		case 1: *(uint8_t *)v = (uint8_t)x; break;
		case 2: *(uint16_t *)v = (uint16_t)x; break;
		case 4: *(uint32_t *)v = (uint32_t)x; break;
		default: *(uint64_t *)v = x; break;
		}
	}
	c->off += bytes;
}

#define U8(c, v) f_uint((c), &(v), 1)
#define U16(c, v) f_uint((c), &(v), 2)
#define U32(c, v) f_uint((c), &(v), 4)
#define U64(c, v) f_uint((c), &(v), 8)

/* Reserved bytes: written as zero; read, the first non-zero one is kept. */
static void f_reserved(cursor *c, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++, c->off++)
		if (c->write)
			c->p[c->off] = 0;
		else if (c->p[c->off] && !c->reserved_at)
			c->reserved_at = c->off + 1;
}

static void f_magic(cursor *c)
{
	if (c->write)
		memcpy(c->p + c->off, HSP_MAGIC, 4);
	else
		c->bad_magic = memcmp(c->p + c->off, HSP_MAGIC, 4) != 0;
	c->off += 4;
}

static void f_format(cursor *c, hsp_format *f)
{
	U32(c, f->rate);
	U8(c, f->bits);
	U8(c, f->container);
	U8(c, f->channels);
	f_reserved(c, 1);
}

/* The fixed fields of a body, in wire order (PROTOCOL.md has the tables). */
static void visit(cursor *c, hsp_msg *m)
{
	switch (m->type) {
	case HSP_HELLO:
		f_magic(c);
		U16(c, m->u.hello.version_min);
		U16(c, m->u.hello.version_max);
		U32(c, m->u.hello.caps);
		break;
	case HSP_HELLO_ACK:
		f_magic(c);
		U16(c, m->u.hello_ack.version);
		f_reserved(c, 2);
		U32(c, m->u.hello_ack.caps);
		U8(c, m->u.hello_ack.auth);
		f_reserved(c, 3);
		U32(c, m->u.hello_ack.idle_timeout_ms);
		break;
	case HSP_OPEN:
		U32(c, m->u.open.tag);
		U8(c, m->u.open.direction);
		U8(c, m->u.open.flags);
		U16(c, m->u.open.interval_ms);
		f_format(c, &m->u.open.format);
		U32(c, m->u.open.latency_us);
		break;
	case HSP_OPENED:
		U32(c, m->u.opened.tag);
		U32(c, m->u.opened.stream);
		U8(c, m->u.opened.direction);
		U8(c, m->u.opened.codec);
		U8(c, m->u.opened.flags);
		f_reserved(c, 1);
		f_format(c, &m->u.opened.format);
		U32(c, m->u.opened.buffer_bytes);
		U32(c, m->u.opened.period_frames);
		U32(c, m->u.opened.fifo_bytes);
		U32(c, m->u.opened.latency_frames);
		U32(c, m->u.opened.window_frames);
		break;
	case HSP_START:
	case HSP_PAUSE:
	case HSP_STOP:
	case HSP_DRAIN:
	case HSP_CLOSE:
	case HSP_POSITION_REQUEST:
		U32(c, m->u.request.tag);
		U32(c, m->u.request.stream);
		break;
	case HSP_ACK:
		U32(c, m->u.ack.tag);
		U32(c, m->u.ack.stream);
		U16(c, m->u.ack.request);
		f_reserved(c, 2);
		break;
	case HSP_CREDIT:
		U32(c, m->u.credit.stream);
		f_reserved(c, 4);
		U64(c, m->u.credit.limit);
		break;
	case HSP_POSITION: {
		hsp_position *p = &m->u.position;

		U32(c, p->tag);
		U32(c, p->stream);
		U8(c, p->state);
		U8(c, p->flags);
		f_reserved(c, 2);
		U32(c, p->fifo_bytes);
		U64(c, p->link_frames);
		U64(c, p->dma_frames);
		U64(c, p->wall_ticks);
		U64(c, p->mono_ns);
		U64(c, p->real_ns);
		U64(c, p->frames_sent);
		U64(c, p->frames_done);
		U64(c, p->frames_dropped);
		U64(c, p->underruns);
		break;
	}
	case HSP_KEEPALIVE:
		U64(c, m->u.keepalive.token);
		break;
	case HSP_AUDIO:
		U32(c, m->u.audio.stream);
		U8(c, m->u.audio.codec);
		f_reserved(c, 3); /* flags (none in version 1) and reserved */
		U64(c, m->u.audio.frame_index);
		U32(c, m->u.audio.frames);
		break;
	case HSP_ERROR:
		U32(c, m->u.error.tag);
		U32(c, m->u.error.stream);
		U16(c, m->u.error.code);
		U8(c, m->u.error.fatal);
		f_reserved(c, 1);
		break;
	case HSP_STATUS:
		U32(c, m->u.status.tag);
		f_reserved(c, 4);
		break;
	case HSP_STATUS_REPORT:
		U32(c, m->u.status_report.tag);
		U16(c, m->u.status_report.stream_count);
		f_reserved(c, 2);
		U32(c, m->u.status_report.clients);
		U32(c, m->u.status_report.max_clients);
		U64(c, m->u.status_report.uptime_ms);
		break;
	}
}

/* One STATUS_REPORT record (PROTOCOL.md, "STATUS_REPORT"): the name in a
 * fixed field of HSP_NAME_MAX bytes, padded with NULs, then the fields.
 * Read, a name without a NUL or with bytes after it is marked. */
static void visit_record(cursor *c, hsp_status_stream *r, bool *bad_name)
{
	if (c->write) {
		size_t n = strnlen(r->name, HSP_NAME_MAX - 1);

		memset(c->p + c->off, 0, HSP_NAME_MAX);
		memcpy(c->p + c->off, r->name, n);
	} else {
		const uint8_t *nul = memchr(c->p + c->off, 0, HSP_NAME_MAX);

		memcpy(r->name, c->p + c->off, HSP_NAME_MAX);
		*bad_name = !nul;
		for (const uint8_t *q = nul; q && q < c->p + c->off + HSP_NAME_MAX; q++)
			*bad_name |= *q != 0;
		r->name[HSP_NAME_MAX - 1] = '\0';
	}
	c->off += HSP_NAME_MAX;
	U8(c, r->direction);
	U8(c, r->codec);
	U8(c, r->state);
	U8(c, r->flags);
	f_format(c, &r->format);
	U32(c, r->latency_frames);
	U32(c, r->latency_us);
	U32(c, r->buffer_bytes);
	U32(c, r->period_frames);
	U32(c, r->fifo_bytes);
	U32(c, r->listeners);
	f_reserved(c, 4);
	U64(c, r->link_frames);
	U64(c, r->dma_frames);
	U64(c, r->wall_ticks);
	U64(c, r->mono_ns);
	U64(c, r->real_ns);
	U64(c, r->frames);
	U64(c, r->underruns);
	U64(c, r->overruns);
	U64(c, r->dropped);
}

int hsp__status_record_read(const uint8_t *rec, hsp_status_stream *out,
			    char *reason)
{
	cursor c = {.p = (uint8_t *)rec};
	bool bad_name = false;

	memset(out, 0, sizeof(*out));
	visit_record(&c, out, &bad_name);
	if (bad_name)
		return hsp__fail(reason, HSP_ERR_BAD_STRING,
				 "STATUS_REPORT: a stream name without its "
				 "terminator or not padded with NULs");
	if (c.reserved_at)
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "STATUS_REPORT: reserved byte at record offset "
				 "%zu is not 0", c.reserved_at - 1);
	return 0;
}

int hsp_status_stream_get(const hsp_status_report *r, uint32_t i,
			  hsp_status_stream *out)
{
	if (!r || i >= r->stream_count || i >= HSP_STATUS_STREAMS_MAX ||
	    (!r->records && !r->streams))
		return -HSP_ERR_BAD_MESSAGE;
	if (r->records)
		return hsp__status_record_read(r->records + (size_t)i * HSP_STATUS_RECORD,
					       out, NULL);
	*out = r->streams[i];
	return 0;
}

/* The string member that is a message's tail, with its bound. */
static char *tail_string(hsp_msg *m)
{
	switch (m->type) {
	case HSP_HELLO: return m->u.hello.name;
	case HSP_HELLO_ACK: return m->u.hello_ack.name;
	case HSP_OPEN: return m->u.open.name;
	case HSP_ERROR: return m->u.error.text;
	case HSP_STATUS_REPORT: return m->u.status_report.server;
	}
	return NULL;
}

/* ---- Header ---------------------------------------------------------------- */

long hsp_check_header(const void *header, hsp_peer from, uint16_t *type,
		      char *reason)
{
	const uint8_t *h = header;
	uint16_t t = (uint16_t)(h[0] | h[1] << 8);
	uint16_t flags = (uint16_t)(h[2] | h[3] << 8);
	uint32_t len = (uint32_t)h[4] | (uint32_t)h[5] << 8 |
		       (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	const hsp_desc *d = hsp__desc(t);
	uint32_t least;

	if (type)
		*type = t;
	if (t == HSP_AUTH_RESPONSE || t == HSP_AUTH_CHALLENGE)
		return hsp__fail(reason, HSP_ERR_UNKNOWN_TYPE,
				 "message type 0x%04x is reserved for "
				 "authentication, not in version 1", t);
	if (!d)
		return hsp__fail(reason, HSP_ERR_UNKNOWN_TYPE,
				 "unknown message type 0x%04x", t);
	if (flags)
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "%s: header flags 0x%04x, must be 0", d->name,
				 flags);
	if (!(d->from & from))
		return hsp__fail(reason, HSP_ERR_BAD_MESSAGE,
				 "%s is sent by %s only", d->name,
				 from == HSP_FROM_CLIENT ? "servers" : "clients");
	if (len > HSP_MAX_BODY)
		return hsp__fail(reason, HSP_ERR_TOO_LARGE,
				 "%s: body of %u bytes, at most %u", d->name,
				 len, HSP_MAX_BODY);
	/* A string tail is at least its terminator.  An AUDIO payload of 0
	 * bytes gets through here to be named by the validator.  Records
	 * are bounded by their greatest count; the count itself is judged
	 * with the body. */
	if (d->tail == HSP_TAIL_RECORDS && len > HSP_STATUS_BODY_MAX)
		return hsp__fail(reason, HSP_ERR_TOO_LARGE,
				 "%s: body of %u bytes, at most %u", d->name,
				 len, HSP_STATUS_BODY_MAX);
	least = d->fixed + (d->tail == HSP_TAIL_STRING ||
			    d->tail == HSP_TAIL_RECORDS ? 1u : 0u);
	if (len < least)
		return hsp__fail(reason, HSP_ERR_TRUNCATED,
				 "%s: body of %u bytes, needs %u", d->name, len,
				 least);
	if (d->tail == HSP_TAIL_NONE && len != d->fixed)
		return hsp__fail(reason, HSP_ERR_BAD_LENGTH,
				 "%s: body of %u bytes, is exactly %u", d->name,
				 len, d->fixed);
	if (d->tail == HSP_TAIL_STRING && len > d->fixed + d->tail_max)
		return hsp__fail(reason, HSP_ERR_BAD_STRING,
				 "%s: string of %u bytes, at most %u with its "
				 "terminator", d->name, len - d->fixed,
				 d->tail_max);
	return (long)len;
}

/* ---- Encoding -------------------------------------------------------------- */

int hsp__encode_unchecked(void *buf, size_t cap, const hsp_msg *msg,
			  bool payload)
{
	hsp_msg m = *msg; /* visit() takes the fields by non-const pointer */
	const hsp_desc *d = hsp__desc(m.type);
	cursor c = {.p = buf, .off = HSP_HEADER_SIZE, .write = true};
	size_t tail = 0, body, wrote, records = 0;
	const char *s = tail_string(&m);

	if (!d)
		return -HSP_ERR_UNKNOWN_TYPE;
	if (d->tail == HSP_TAIL_RECORDS) {
		/* A count over the bound is not encoded even unchecked: the
		 * records would not fit HSP_STATUS_BODY_MAX. */
		if (m.u.status_report.stream_count > HSP_STATUS_STREAMS_MAX)
			return -HSP_ERR_TOO_LARGE;
		if (m.u.status_report.stream_count && !m.u.status_report.streams &&
		    !m.u.status_report.records)
			return -HSP_ERR_BAD_MESSAGE;
		records = (size_t)m.u.status_report.stream_count * HSP_STATUS_RECORD;
	}
	if (d->tail == HSP_TAIL_STRING || d->tail == HSP_TAIL_RECORDS)
		tail = strnlen(s, d->tail_max - 1) + 1;
	else if (d->tail == HSP_TAIL_PAYLOAD)
		tail = m.u.audio.payload_len;
	tail += records;
	body = d->fixed + tail;
	wrote = HSP_HEADER_SIZE + d->fixed + (payload ? tail : 0);
	if (!buf || cap < wrote)
		return -HSP_ERR_NO_SPACE;
	c.p[0] = (uint8_t)m.type;
	c.p[1] = (uint8_t)(m.type >> 8);
	c.p[2] = c.p[3] = 0;
	for (unsigned i = 0; i < 4; i++)
		c.p[4 + i] = (uint8_t)(body >> (8 * i));
	visit(&c, &m);
	for (uint32_t i = 0; payload && i < records / HSP_STATUS_RECORD; i++) {
		hsp_status_stream r;
		bool unused;

		if (m.u.status_report.records) {
			/* A decoded report: its bytes are already canonical. */
			memcpy(c.p + c.off, m.u.status_report.records +
			       (size_t)i * HSP_STATUS_RECORD, HSP_STATUS_RECORD);
			c.off += HSP_STATUS_RECORD;
		} else {
			r = m.u.status_report.streams[i];
			visit_record(&c, &r, &unused);
		}
	}
	if (payload && s) {
		tail -= records;
		memcpy(c.p + c.off, s, tail - 1);
		c.p[c.off + tail - 1] = 0;
	} else if (payload && tail) {
		memcpy(c.p + c.off, m.u.audio.payload, tail);
	}
	return (int)wrote;
}

static int encode(void *buf, size_t cap, const hsp_msg *msg, bool payload)
{
	int rc = hsp__validate(msg, NULL);

	/* Only an encoder is handed a payload pointer that could be NULL;
	 * a decoded one points into the frame. */
	if (!rc && payload && msg->type == HSP_AUDIO && !msg->u.audio.payload)
		rc = -HSP_ERR_BAD_MESSAGE;
	return rc ? rc : hsp__encode_unchecked(buf, cap, msg, payload);
}

int hsp_encode(void *buf, size_t cap, const hsp_msg *msg)
{
	return encode(buf, cap, msg, true);
}

#define ENCODER(fn, TYPE, member, arg_t)                                       \
	int fn(void *buf, size_t cap, const arg_t *m)                          \
	{                                                                      \
		hsp_msg msg = {.type = TYPE, .u.member = *m};                  \
		return encode(buf, cap, &msg, true);                           \
	}

ENCODER(hsp_encode_hello, HSP_HELLO, hello, hsp_hello)
ENCODER(hsp_encode_hello_ack, HSP_HELLO_ACK, hello_ack, hsp_hello_ack)
ENCODER(hsp_encode_open, HSP_OPEN, open, hsp_open)
ENCODER(hsp_encode_opened, HSP_OPENED, opened, hsp_opened)
ENCODER(hsp_encode_ack, HSP_ACK, ack, hsp_ack)
ENCODER(hsp_encode_credit, HSP_CREDIT, credit, hsp_credit)
ENCODER(hsp_encode_position, HSP_POSITION, position, hsp_position)
ENCODER(hsp_encode_keepalive, HSP_KEEPALIVE, keepalive, hsp_keepalive)
ENCODER(hsp_encode_audio, HSP_AUDIO, audio, hsp_audio)
ENCODER(hsp_encode_error, HSP_ERROR, error, hsp_error_msg)
ENCODER(hsp_encode_status, HSP_STATUS, status, hsp_status_req)
ENCODER(hsp_encode_status_report, HSP_STATUS_REPORT, status_report,
	hsp_status_report)

int hsp_encode_request(void *buf, size_t cap, uint16_t type,
		       const hsp_request *m)
{
	hsp_msg msg = {.type = type, .u.request = *m};

	if (type < HSP_START || type > HSP_POSITION_REQUEST)
		return -HSP_ERR_UNKNOWN_TYPE;
	return encode(buf, cap, &msg, true);
}

int hsp_encode_audio_head(void *buf, size_t cap, const hsp_audio *m)
{
	hsp_msg msg = {.type = HSP_AUDIO, .u.audio = *m};

	/* The validator does not read the payload, only its length. */
	return encode(buf, cap, &msg, false);
}

/* ---- Decoding -------------------------------------------------------------- */

int hsp_decode(const void *frame, size_t len, hsp_peer from, hsp_msg *msg,
	       char *reason)
{
	/* A reading cursor never writes through p. */
	cursor c = {.p = (uint8_t *)frame, .off = HSP_HEADER_SIZE};
	const hsp_desc *d;
	uint16_t type;
	size_t tail;
	long body;
	char *s;

	if (len < HSP_HEADER_SIZE)
		return hsp__fail(reason, HSP_ERR_TRUNCATED,
				 "frame of %zu bytes, shorter than its header",
				 len);
	body = hsp_check_header(frame, from, &type, reason);
	if (body < 0)
		return (int)body;
	d = hsp__desc(type);
	if (len != HSP_HEADER_SIZE + (size_t)body)
		return hsp__fail(reason, len < HSP_HEADER_SIZE + (size_t)body
					 ? HSP_ERR_TRUNCATED : HSP_ERR_BAD_LENGTH,
				 "%s: frame of %zu bytes, header says %ld",
				 d->name, len, HSP_HEADER_SIZE + body);
	memset(msg, 0, sizeof(*msg));
	msg->type = type;
	visit(&c, msg);
	if (c.bad_magic)
		return hsp__fail(reason, HSP_ERR_BAD_MAGIC,
				 "%s: magic is not \"%s\"", d->name, HSP_MAGIC);
	if (c.reserved_at)
		return hsp__fail(reason, HSP_ERR_RESERVED,
				 "%s: reserved byte at body offset %zu is not 0",
				 d->name, c.reserved_at - 1 - HSP_HEADER_SIZE);
	tail = (size_t)body - d->fixed;
	if (d->tail == HSP_TAIL_RECORDS) {
		/* The count bounds the records before one is looked at; what
		 * follows them is the string. */
		size_t records = (size_t)msg->u.status_report.stream_count *
				 HSP_STATUS_RECORD;

		if (msg->u.status_report.stream_count > HSP_STATUS_STREAMS_MAX)
			return hsp__fail(reason, HSP_ERR_TOO_LARGE,
					 "%s: %u streams, at most %u", d->name,
					 msg->u.status_report.stream_count,
					 HSP_STATUS_STREAMS_MAX);
		if (tail < records + 1)
			return hsp__fail(reason, HSP_ERR_TRUNCATED,
					 "%s: %zu bytes after the fixed part, %u "
					 "records and a string need %zu", d->name,
					 tail, msg->u.status_report.stream_count,
					 records + 1);
		if (tail - records > HSP_NAME_MAX)
			return hsp__fail(reason, HSP_ERR_BAD_STRING,
					 "%s: string of %zu bytes, at most %u with "
					 "its terminator", d->name, tail - records,
					 HSP_NAME_MAX);
		msg->u.status_report.records = records ? c.p + c.off : NULL;
		c.off += records;
		tail -= records;
	}
	s = tail_string(msg);
	if (s) {
		const uint8_t *t = c.p + c.off;
		const uint8_t *nul = memchr(t, 0, tail);

		/* The header check bounded tail to the member's size. */
		if (!nul)
			return hsp__fail(reason, HSP_ERR_BAD_STRING,
					 "%s: string has no terminator", d->name);
		if ((size_t)(nul - t) != tail - 1)
			return hsp__fail(reason, HSP_ERR_BAD_STRING,
					 "%s: string has a NUL at byte %td of %zu",
					 d->name, nul - t, tail);
		memcpy(s, t, tail);
	} else if (d->tail == HSP_TAIL_PAYLOAD) {
		msg->u.audio.payload = c.p + c.off;
		msg->u.audio.payload_len = (uint32_t)tail;
	}
	return hsp__validate(msg, reason);
}
