/* SPDX-License-Identifier: MIT */
/*
 * The incremental parser: the same messages whatever the chunking (one
 * byte at a time, random splits, all at once), every class of malformed
 * input refused with its own code and a reason, lengths judged from the
 * header alone, truncation at close, and a fixed-seed robustness loop over
 * random and mutated bytes (run under ASan + UBSan by scripts/test.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hsp_internal.h"
#include "hsp_samples.h"

/* ---- A stream of every message one side sends ------------------------------ */

typedef struct sample_stream {
	uint8_t bytes[4096];
	size_t len;
	hsp_msg msgs[N_SAMPLES + 1];
	size_t count;
} sample_stream;

/* The greeting first, then every other sample that side sends. */
static void build_stream(hsp_peer from, sample_stream *s)
{
	uint16_t greeting = from == HSP_FROM_CLIENT ? HSP_HELLO : HSP_HELLO_ACK;

	s->len = 0;
	s->count = 0;
	sample_msg(greeting, &s->msgs[s->count++]);
	for (size_t i = 0; i < N_SAMPLES; i++)
		if (sample_types[i] != greeting && sample_from(sample_types[i], from))
			sample_msg(sample_types[i], &s->msgs[s->count++]);
	for (size_t i = 0; i < s->count; i++) {
		int n = hsp_encode(s->bytes + s->len, sizeof(s->bytes) - s->len,
				   &s->msgs[i]);

		assert_true(n > 0);
		s->len += (size_t)n;
	}
}

/* Feeds s in chunks whose sizes come from next_chunk, checking each
 * message as it comes (an AUDIO payload lives only until the next feed). */
static void parse_chunked(hsp_peer from, const sample_stream *s,
			  size_t (*next_chunk)(uint64_t *), uint64_t seed)
{
	hsp_parser *p = test_malloc(sizeof(*p));
	size_t pos = 0, got = 0;

	hsp_parser_init(p, from);
	while (pos < s->len) {
		size_t chunk = next_chunk(&seed), off = 0;

		if (chunk > s->len - pos)
			chunk = s->len - pos;
		while (off < chunk) {
			size_t used;
			hsp_msg m;
			int rc = hsp_parser_feed(p, s->bytes + pos + off,
						 chunk - off, &used, &m);

			if (rc < 0)
				fail_msg("%s: %s", hsp_err_name(rc),
					 hsp_parser_reason(p));
			assert_true(used <= chunk - off);
			off += used;
			if (rc == HSP_PARSE_MSG) {
				assert_true(got < s->count);
				if (!msg_equal(&m, &s->msgs[got]))
					fail_msg("message %zu (%s) differs", got,
						 hsp_type_name(m.type));
				got++;
			} else {
				assert_int_equal(off, chunk);
			}
		}
		pos += chunk;
	}
	assert_int_equal(got, s->count);
	assert_int_equal(hsp_parser_eof(p), 0);
	test_free(p);
}

static size_t one_byte(uint64_t *seed)
{
	return 1;
}

static size_t everything(uint64_t *seed)
{
	return SIZE_MAX;
}

static size_t random_chunk(uint64_t *seed)
{
	uint64_t r = rng_next(seed);

	/* Mostly small pieces, now and then one that spans messages. */
	return r % 4 ? 1 + (r >> 8) % 13 : 1 + (r >> 8) % 400;
}

static void test_chunking(void **state)
{
	sample_stream *s = test_malloc(sizeof(*s));

	for (hsp_peer from = HSP_FROM_CLIENT; from <= HSP_FROM_SERVER; from++) {
		build_stream(from, s);
		parse_chunked(from, s, one_byte, 0);
		parse_chunked(from, s, everything, 0);
		for (uint64_t seed = 1; seed <= 200; seed++)
			parse_chunked(from, s, random_chunk, seed * 0x9E3779B97F4A7C15ull);
	}
	test_free(s);
}

/* ---- Malformed input, one class at a time ---------------------------------- */

static hsp_peer sender_of(uint16_t type)
{
	return type >> 8 == 1 ? HSP_FROM_SERVER : HSP_FROM_CLIENT;
}

/* Parse frame (after the greeting unless it is one) and expect code from
 * the parser, again on the next feed (it stays failed), and from
 * hsp_decode when the rule is not about order. */
static void expect_refused(const char *what, hsp_peer from, bool greet,
			   const uint8_t *frame, size_t len, int code,
			   bool order_rule)
{
	hsp_parser *p = test_malloc(sizeof(*p));
	uint8_t hello[128];
	char reason[HSP_REASON_MAX] = "";
	size_t used;
	hsp_msg m;
	int rc;

	hsp_parser_init(p, from);
	if (greet) {
		sample_msg(from == HSP_FROM_CLIENT ? HSP_HELLO : HSP_HELLO_ACK, &m);
		int n = hsp_encode(hello, sizeof(hello), &m);

		assert_int_equal(hsp_parser_feed(p, hello, (size_t)n, &used, &m),
				 HSP_PARSE_MSG);
	}
	rc = hsp_parser_feed(p, frame, len, &used, &m);
	if (rc != -code)
		fail_msg("%s: parser gave %s (%s), expected %s", what,
			 rc < 0 ? hsp_err_name(rc) : "a message",
			 hsp_parser_reason(p), hsp_err_name(code));
	assert_true(hsp_parser_reason(p)[0] != '\0');
	assert_int_equal(hsp_parser_feed(p, frame, len, &used, &m), -code);
	assert_int_equal(used, 0);
	if (!order_rule) {
		rc = hsp_decode(frame, len, from, &m, reason);
		if (rc != -code)
			fail_msg("%s: hsp_decode gave %s, expected %s", what,
				 hsp_err_name(rc), hsp_err_name(code));
		assert_true(reason[0] != '\0');
	}
	test_free(p);
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void set_field(void *field, unsigned bytes, uint64_t v)
{
	switch (bytes) {
	case 1: *(uint8_t *)field = (uint8_t)v; break;
	case 2: *(uint16_t *)field = (uint16_t)v; break;
	case 4: *(uint32_t *)field = (uint32_t)v; break;
	default: *(uint64_t *)field = v; break;
	}
}

/* A field of a valid sample set to an invalid value: the encoder refuses
 * it with the code, and its bytes (written unchecked) are refused by the
 * parser and the decoder with the same code. */
typedef struct field_case {
	const char *what;
	uint16_t type;
	size_t offset; /* in the union member */
	unsigned bytes;
	uint64_t value;
	int code;
} field_case;

#define F(w, T, st, fld, v, c)                                                 \
	{w, T, offsetof(st, fld), sizeof(((st *)0)->fld), v, c}

static const field_case field_cases[] = {
	F("HELLO version 2..7", HSP_HELLO, hsp_hello, version_min, 2, HSP_ERR_UNSUPPORTED_VERSION),
	F("HELLO version 0..7", HSP_HELLO, hsp_hello, version_min, 0, HSP_ERR_BAD_MESSAGE),
	F("HELLO version 1..0", HSP_HELLO, hsp_hello, version_max, 0, HSP_ERR_BAD_MESSAGE),
	F("HELLO_ACK version 2", HSP_HELLO_ACK, hsp_hello_ack, version, 2, HSP_ERR_UNSUPPORTED_VERSION),
	F("HELLO_ACK auth 1", HSP_HELLO_ACK, hsp_hello_ack, auth, 1, HSP_ERR_UNSUPPORTED),
	F("HELLO_ACK idle 999 ms", HSP_HELLO_ACK, hsp_hello_ack, idle_timeout_ms, 999, HSP_ERR_BAD_MESSAGE),
	F("HELLO_ACK idle too long", HSP_HELLO_ACK, hsp_hello_ack, idle_timeout_ms, HSP_IDLE_MS_MAX + 1, HSP_ERR_BAD_MESSAGE),
	F("OPEN tag 0", HSP_OPEN, hsp_open, tag, 0, HSP_ERR_BAD_MESSAGE),
	F("OPEN direction 3", HSP_OPEN, hsp_open, direction, 3, HSP_ERR_BAD_MESSAGE),
	F("OPEN flag bit 2", HSP_OPEN, hsp_open, flags, 7, HSP_ERR_RESERVED),
	F("OPEN format without flag", HSP_OPEN, hsp_open, flags, HSP_OPEN_LATENCY, HSP_ERR_RESERVED),
	F("OPEN latency without flag", HSP_OPEN, hsp_open, flags, HSP_OPEN_FORMAT, HSP_ERR_RESERVED),
	F("OPEN interval 10001", HSP_OPEN, hsp_open, interval_ms, 10001, HSP_ERR_BAD_MESSAGE),
	F("OPEN latency 999 us", HSP_OPEN, hsp_open, latency_us, 999, HSP_ERR_BAD_MESSAGE),
	F("OPEN latency over 2 s", HSP_OPEN, hsp_open, latency_us, HSP_LATENCY_US_MAX + 1, HSP_ERR_BAD_MESSAGE),
	F("OPEN rate 47999", HSP_OPEN, hsp_open, format.rate, 47999, HSP_ERR_BAD_FORMAT),
	F("OPEN rate 0", HSP_OPEN, hsp_open, format.rate, 0, HSP_ERR_BAD_FORMAT),
	F("OPEN rate 384000", HSP_OPEN, hsp_open, format.rate, 384000, HSP_ERR_BAD_FORMAT),
	F("OPEN 18 bits", HSP_OPEN, hsp_open, format.bits, 18, HSP_ERR_BAD_FORMAT),
	F("OPEN 24 bits in 24", HSP_OPEN, hsp_open, format.container, 24, HSP_ERR_BAD_FORMAT),
	F("OPEN 0 channels", HSP_OPEN, hsp_open, format.channels, 0, HSP_ERR_BAD_FORMAT),
	F("OPEN 17 channels", HSP_OPEN, hsp_open, format.channels, 17, HSP_ERR_BAD_FORMAT),
	F("OPENED stream 0", HSP_OPENED, hsp_opened, stream, 0, HSP_ERR_BAD_MESSAGE),
	F("OPENED direction any", HSP_OPENED, hsp_opened, direction, 0, HSP_ERR_BAD_MESSAGE),
	F("OPENED codec Opus", HSP_OPENED, hsp_opened, codec, HSP_CODEC_OPUS, HSP_ERR_UNSUPPORTED),
	F("OPENED codec 5", HSP_OPENED, hsp_opened, codec, 5, HSP_ERR_BAD_MESSAGE),
	F("OPENED flag bit 1", HSP_OPENED, hsp_opened, flags, 2, HSP_ERR_RESERVED),
	F("OPENED bad format", HSP_OPENED, hsp_opened, format.bits, 12, HSP_ERR_BAD_FORMAT),
	F("OPENED buffer 0", HSP_OPENED, hsp_opened, buffer_bytes, 0, HSP_ERR_BAD_MESSAGE),
	F("OPENED buffer over 4 MiB", HSP_OPENED, hsp_opened, buffer_bytes, HSP_BUFFER_MAX + 24, HSP_ERR_BAD_MESSAGE),
	F("OPENED buffer in part frames", HSP_OPENED, hsp_opened, buffer_bytes, 24000 + 4, HSP_ERR_BAD_MESSAGE),
	F("OPENED period 0", HSP_OPENED, hsp_opened, period_frames, 0, HSP_ERR_BAD_MESSAGE),
	F("OPENED period over buffer", HSP_OPENED, hsp_opened, period_frames, 1001, HSP_ERR_BAD_MESSAGE),
	F("OPENED FIFO 64 KiB + 1", HSP_OPENED, hsp_opened, fifo_bytes, HSP_FIFO_MAX + 1, HSP_ERR_BAD_MESSAGE),
	F("OPENED latency 0", HSP_OPENED, hsp_opened, latency_frames, 0, HSP_ERR_BAD_MESSAGE),
	F("OPENED render window 0", HSP_OPENED, hsp_opened, window_frames, 0, HSP_ERR_BAD_MESSAGE),
	F("OPENED capture with window", HSP_OPENED, hsp_opened, direction, HSP_DIR_CAPTURE, HSP_ERR_BAD_MESSAGE),
	F("START tag 0", HSP_START, hsp_request, tag, 0, HSP_ERR_BAD_MESSAGE),
	F("CLOSE stream 0", HSP_CLOSE, hsp_request, stream, 0, HSP_ERR_BAD_MESSAGE),
	F("ACK answers POSITION_REQUEST", HSP_ACK, hsp_ack, request, HSP_POSITION_REQUEST, HSP_ERR_BAD_MESSAGE),
	F("ACK tag 0", HSP_ACK, hsp_ack, tag, 0, HSP_ERR_BAD_MESSAGE),
	F("CREDIT stream 0", HSP_CREDIT, hsp_credit, stream, 0, HSP_ERR_BAD_MESSAGE),
	F("POSITION state 4", HSP_POSITION, hsp_position, state, 4, HSP_ERR_BAD_MESSAGE),
	F("POSITION flag bit 1", HSP_POSITION, hsp_position, flags, 3, HSP_ERR_RESERVED),
	F("POSITION FIFO too big", HSP_POSITION, hsp_position, fifo_bytes, 1u << 20, HSP_ERR_BAD_MESSAGE),
	F("POSITION stream 0", HSP_POSITION, hsp_position, stream, 0, HSP_ERR_BAD_MESSAGE),
	F("AUDIO stream 0", HSP_AUDIO, hsp_audio, stream, 0, HSP_ERR_BAD_MESSAGE),
	F("AUDIO codec Opus", HSP_AUDIO, hsp_audio, codec, HSP_CODEC_OPUS, HSP_ERR_UNSUPPORTED),
	F("AUDIO codec 2", HSP_AUDIO, hsp_audio, codec, 2, HSP_ERR_BAD_MESSAGE),
	F("AUDIO 0 frames", HSP_AUDIO, hsp_audio, frames, 0, HSP_ERR_BAD_MESSAGE),
	F("AUDIO 3 frames in 16 bytes", HSP_AUDIO, hsp_audio, frames, 3, HSP_ERR_BAD_LENGTH),
	F("AUDIO index overflows", HSP_AUDIO, hsp_audio, frame_index, UINT64_MAX - 3, HSP_ERR_BAD_SEQUENCE),
	F("AUDIO no payload", HSP_AUDIO, hsp_audio, payload_len, 0, HSP_ERR_BAD_LENGTH),
	F("ERROR code 0", HSP_ERROR, hsp_error_msg, code, 0, HSP_ERR_BAD_MESSAGE),
	F("ERROR code NO_SPACE", HSP_ERROR, hsp_error_msg, code, HSP_ERR_NO_SPACE, HSP_ERR_BAD_MESSAGE),
	F("ERROR fatal 2", HSP_ERROR, hsp_error_msg, fatal, 2, HSP_ERR_BAD_MESSAGE),
};

static void test_invalid_fields(void **state)
{
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		const field_case *c = &field_cases[i];
		uint8_t buf[512];
		hsp_msg m;
		int n;

		sample_msg(c->type, &m);
		set_field((uint8_t *)&m.u + c->offset, c->bytes, c->value);
		n = hsp_encode(buf, sizeof(buf), &m);
		if (n != -c->code)
			fail_msg("%s: encoder gave %s, expected %s", c->what,
				 n < 0 ? hsp_err_name(n) : "bytes",
				 hsp_err_name(c->code));
		n = hsp__encode_unchecked(buf, sizeof(buf), &m, true);
		assert_true(n > 0);
		expect_refused(c->what, sender_of(c->type),
			       c->type != HSP_HELLO && c->type != HSP_HELLO_ACK,
			       buf, (size_t)n, c->code, false);
	}
	/* A text the encoder cannot be given as a field: a control byte. */
	{
		uint8_t buf[512];
		hsp_msg m;

		sample_msg(HSP_ERROR, &m);
		m.u.error.text[3] = '\n';
		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_BAD_STRING);
		sample_msg(HSP_OPEN, &m);
		strcpy(m.u.open.name, "play back");
		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_BAD_STRING);
		m.u.open.name[0] = '\0';
		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_BAD_STRING);
		sample_msg(HSP_HELLO, &m);
		memset(m.u.hello.name, 'a', sizeof(m.u.hello.name));
		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_BAD_STRING);
	}
}

/* Frames built byte by byte: the header and the string rules. */
static size_t raw(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t len,
		  const void *body, size_t body_len)
{
	put_le(buf, type, 2);
	put_le(buf + 2, flags, 2);
	put_le(buf + 4, len, 4);
	if (body_len)
		memcpy(buf + HSP_HEADER_SIZE, body, body_len);
	return HSP_HEADER_SIZE + body_len;
}

typedef struct byte_case {
	const char *what;
	uint16_t type;   /* a sample to encode and patch, or 0: raw below */
	size_t offset;   /* in the frame */
	unsigned bytes;
	uint64_t value;
	int code;
} byte_case;

static const byte_case byte_cases[] = {
	{"HELLO bad magic", HSP_HELLO, 8, 1, 'h', HSP_ERR_BAD_MAGIC},
	{"HELLO_ACK bad magic", HSP_HELLO_ACK, 11, 1, 'Z', HSP_ERR_BAD_MAGIC},
	{"header flags", HSP_KEEPALIVE, 2, 2, 0x8000, HSP_ERR_RESERVED},
	{"unknown type", HSP_KEEPALIVE, 0, 2, 0x0099, HSP_ERR_UNKNOWN_TYPE},
	{"AUTH_RESPONSE is reserved", HSP_KEEPALIVE, 0, 2, HSP_AUTH_RESPONSE, HSP_ERR_UNKNOWN_TYPE},
	{"OPENED from a client", HSP_KEEPALIVE, 0, 2, HSP_OPENED, HSP_ERR_BAD_MESSAGE},
	{"length over the bound", HSP_AUDIO, 4, 4, HSP_MAX_BODY + 1, HSP_ERR_TOO_LARGE},
	{"length 4 GiB - 1", HSP_KEEPALIVE, 4, 4, 0xffffffffu, HSP_ERR_TOO_LARGE},
	{"START truncated", HSP_START, 4, 4, 4, HSP_ERR_TRUNCATED},
	{"HELLO without string", HSP_HELLO, 4, 4, 12, HSP_ERR_TRUNCATED},
	{"POSITION truncated", HSP_POSITION, 4, 4, 87, HSP_ERR_TRUNCATED},
	{"CREDIT reserved bytes", HSP_CREDIT, 8 + 6, 1, 1, HSP_ERR_RESERVED},
	{"format reserved byte", HSP_OPEN, 8 + 15, 1, 1, HSP_ERR_RESERVED},
	{"AUDIO flags", HSP_AUDIO, 8 + 5, 1, 1, HSP_ERR_RESERVED},
	{"HELLO_ACK reserved", HSP_HELLO_ACK, 8 + 6, 2, 0x0100, HSP_ERR_RESERVED},
	{"ERROR reserved", HSP_ERROR, 8 + 11, 1, 0xff, HSP_ERR_RESERVED},
	{"HELLO no terminator", HSP_HELLO, 8 + 12 + 20, 1, 'x', HSP_ERR_BAD_STRING},
	{"HELLO NUL inside", HSP_HELLO, 8 + 12 + 3, 1, 0, HSP_ERR_BAD_STRING},
	{"OPEN name with a space", HSP_OPEN, 8 + 20 + 4, 1, ' ', HSP_ERR_BAD_STRING},
	{"ERROR text with DEL", HSP_ERROR, 8 + 12, 1, 0x7f, HSP_ERR_BAD_STRING},
};

static void test_malformed_bytes(void **state)
{
	uint8_t buf[HSP_MAX_FRAME + 64], body[HSP_MAX_FRAME];
	size_t n;

	for (size_t i = 0; i < sizeof(byte_cases) / sizeof(byte_cases[0]); i++) {
		const byte_case *c = &byte_cases[i];
		hsp_msg m;
		int len;

		sample_msg(c->type, &m);
		len = hsp_encode(buf, sizeof(buf), &m);
		assert_true(len > 0);
		put_le(buf + c->offset, c->value, c->bytes);
		/* A shortened length keeps only that much body. */
		if (c->offset == 4 && c->value < (uint64_t)len)
			len = (int)(HSP_HEADER_SIZE + c->value);
		expect_refused(c->what, sender_of(c->type),
			       c->type != HSP_HELLO && c->type != HSP_HELLO_ACK,
			       buf, (size_t)len, c->code, false);
	}

	/* Trailing bytes after a fixed-size body. */
	memset(body, 0, sizeof(body));
	put_le(body, 1, 4);
	put_le(body + 4, 1, 4);
	n = raw(buf, HSP_STOP, 0, 12, body, 12);
	expect_refused("STOP with trailing bytes", HSP_FROM_CLIENT, true, buf, n,
		       HSP_ERR_BAD_LENGTH, false);
	/* Zero-length audio: the fixed fields and not one payload byte. */
	memset(body, 0, sizeof(body));
	put_le(body, 1, 4);      /* stream */
	put_le(body + 16, 2, 4); /* frames */
	n = raw(buf, HSP_AUDIO, 0, HSP_AUDIO_FIXED, body, HSP_AUDIO_FIXED);
	expect_refused("AUDIO, zero-length payload", HSP_FROM_SERVER, true, buf,
		       n, HSP_ERR_BAD_LENGTH, false);
	/* 65 bytes per frame is more than any PCM format has. */
	put_le(body + 16, 1, 4);
	n = raw(buf, HSP_AUDIO, 0, HSP_AUDIO_FIXED + 65, body, HSP_AUDIO_FIXED + 65);
	expect_refused("AUDIO, 65-byte frame", HSP_FROM_CLIENT, true, buf, n,
		       HSP_ERR_BAD_LENGTH, false);
	/* The largest AUDIO is fine; one byte more is too large. */
	put_le(body + 16, HSP_AUDIO_MAX_PAYLOAD / 4, 4);
	n = raw(buf, HSP_AUDIO, 0, HSP_MAX_BODY, body, HSP_MAX_BODY);
	{
		hsp_msg m;

		assert_int_equal(hsp_decode(buf, n, HSP_FROM_CLIENT, &m, NULL), 0);
		assert_int_equal(m.u.audio.payload_len, HSP_AUDIO_MAX_PAYLOAD);
		m.u.audio.payload_len++;
		assert_int_equal(hsp_encode(body, sizeof(body), &m), -HSP_ERR_TOO_LARGE);
	}
	/* A name over its bound: 64 bytes and the terminator. */
	memset(body, 0, sizeof(body));
	memcpy(body, HSP_MAGIC, 4);
	put_le(body + 4, 1, 2);
	put_le(body + 6, 1, 2);
	memset(body + 12, 'n', 64);
	n = raw(buf, HSP_HELLO, 0, 12 + 65, body, 12 + 65);
	expect_refused("HELLO name of 64 bytes", HSP_FROM_CLIENT, false, buf, n,
		       HSP_ERR_BAD_STRING, false);
	/* An empty stream name. */
	memset(body, 0, sizeof(body));
	put_le(body, 1, 4);
	n = raw(buf, HSP_OPEN, 0, 21, body, 21);
	expect_refused("OPEN with an empty name", HSP_FROM_CLIENT, true, buf, n,
		       HSP_ERR_BAD_STRING, false);
	/* A frame shorter than a header. */
	assert_int_equal(hsp_decode(buf, 7, HSP_FROM_CLIENT, &(hsp_msg){0}, NULL),
			 -HSP_ERR_TRUNCATED);
	/* A frame whose header says less than it holds. */
	n = raw(buf, HSP_KEEPALIVE, 0, 8, body, 8);
	assert_int_equal(hsp_decode(buf, n + 1, HSP_FROM_CLIENT, &(hsp_msg){0}, NULL),
			 -HSP_ERR_BAD_LENGTH);
	assert_int_equal(hsp_decode(buf, n - 1, HSP_FROM_CLIENT, &(hsp_msg){0}, NULL),
			 -HSP_ERR_TRUNCATED);
}

/* Every header-level violation is found from the 8 header bytes alone:
 * the parser never waits for (or buffers) a body it will refuse. */
static void test_refused_at_header(void **state)
{
	static const struct { uint16_t type, flags; uint32_t len; int code; } h[] = {
		{HSP_AUDIO, 0, HSP_MAX_BODY + 1, HSP_ERR_TOO_LARGE},
		{HSP_AUDIO, 0, 0xffffffffu, HSP_ERR_TOO_LARGE},
		{0x0400, 0, 10, HSP_ERR_UNKNOWN_TYPE},
		{HSP_AUTH_CHALLENGE, 0, 10, HSP_ERR_UNKNOWN_TYPE},
		{HSP_START, 1, 8, HSP_ERR_RESERVED},
		{HSP_CREDIT, 0, 16, HSP_ERR_BAD_MESSAGE}, /* from a client */
		{HSP_START, 0, 7, HSP_ERR_TRUNCATED},
		{HSP_START, 0, 9, HSP_ERR_BAD_LENGTH},
		{HSP_ERROR, 0, 12, HSP_ERR_TRUNCATED},
		{HSP_ERROR, 0, 12 + HSP_TEXT_MAX + 1, HSP_ERR_BAD_STRING},
		{HSP_OPEN, 0, 20 + HSP_NAME_MAX + 1, HSP_ERR_BAD_STRING},
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		uint8_t buf[HSP_HEADER_SIZE];
		size_t n = raw(buf, h[i].type, h[i].flags, h[i].len, NULL, 0);
		char what[32];

		snprintf(what, sizeof(what), "header %zu", i);
		expect_refused(what, HSP_FROM_CLIENT, true, buf, n, h[i].code,
			       true);
		assert_int_equal(hsp_check_header(buf, HSP_FROM_CLIENT, NULL, NULL),
				 -h[i].code);
	}
}

/* The order rules: the greeting first, and only once. */
static void test_connection_order(void **state)
{
	uint8_t buf[256];
	hsp_parser *p = test_malloc(sizeof(*p));
	hsp_msg m;
	size_t used;
	int n;

	sample_msg(HSP_OPEN, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	expect_refused("OPEN before HELLO", HSP_FROM_CLIENT, false, buf,
		       (size_t)n, HSP_ERR_BAD_STATE, true);
	sample_msg(HSP_HELLO, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	expect_refused("a second HELLO", HSP_FROM_CLIENT, true, buf, (size_t)n,
		       HSP_ERR_BAD_STATE, true);
	sample_msg(HSP_OPENED, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	expect_refused("OPENED before HELLO_ACK", HSP_FROM_SERVER, false, buf,
		       (size_t)n, HSP_ERR_BAD_STATE, true);
	sample_msg(HSP_HELLO_ACK, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	expect_refused("a second HELLO_ACK", HSP_FROM_SERVER, true, buf,
		       (size_t)n, HSP_ERR_BAD_STATE, true);

	/* A server may refuse the greeting with an ERROR as its first word. */
	hsp_parser_init(p, HSP_FROM_SERVER);
	sample_msg(HSP_ERROR, &m);
	m.u.error.code = HSP_ERR_UNSUPPORTED_VERSION;
	n = hsp_encode(buf, sizeof(buf), &m);
	assert_int_equal(hsp_parser_feed(p, buf, (size_t)n, &used, &m), HSP_PARSE_MSG);
	assert_int_equal(m.u.error.code, HSP_ERR_UNSUPPORTED_VERSION);
	/* A client may not open with one. */
	expect_refused("ERROR before HELLO", HSP_FROM_CLIENT, false, buf,
		       (size_t)n, HSP_ERR_BAD_STATE, true);
	test_free(p);
}

/* A peer that closes inside a message has sent a truncated one. */
static void test_eof(void **state)
{
	hsp_parser *p = test_malloc(sizeof(*p));
	uint8_t buf[256];
	size_t used;
	hsp_msg m;
	int n;

	hsp_parser_init(p, HSP_FROM_CLIENT);
	assert_int_equal(hsp_parser_eof(p), 0);
	sample_msg(HSP_HELLO, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	for (size_t cut = 1; cut < (size_t)n; cut++) {
		hsp_parser_init(p, HSP_FROM_CLIENT);
		assert_int_equal(hsp_parser_feed(p, buf, cut, &used, &m),
				 HSP_PARSE_MORE);
		assert_int_equal(used, cut);
		assert_int_equal(hsp_parser_eof(p), -HSP_ERR_TRUNCATED);
		assert_non_null(strstr(hsp_parser_reason(p), "closed"));
		assert_int_equal(hsp_parser_feed(p, buf + cut, (size_t)n - cut,
						 &used, &m), -HSP_ERR_TRUNCATED);
	}
	hsp_parser_init(p, HSP_FROM_CLIENT);
	assert_int_equal(hsp_parser_feed(p, buf, (size_t)n, &used, &m), HSP_PARSE_MSG);
	assert_int_equal(hsp_parser_eof(p), 0);
	test_free(p);
}

/* ---- Robustness: random and mutated bytes ---------------------------------- */

/*
 * Feed data (after a valid greeting) in random chunks.  The parser must
 * stop at a known code with a reason, or hand out messages each of which
 * encodes back to exactly the bytes it was parsed from.  Returns the
 * messages accepted.
 */
static unsigned fuzz_one(hsp_parser *p, const uint8_t *data, size_t len,
			 uint64_t *seed)
{
	static uint8_t again[HSP_MAX_FRAME];
	size_t pos = 0, frame_start = 0;
	unsigned msgs = 0;

	while (pos < len) {
		size_t chunk = random_chunk(seed), used;
		hsp_msg m;
		int rc;

		if (chunk > len - pos)
			chunk = len - pos;
		rc = hsp_parser_feed(p, data + pos, chunk, &used, &m);
		assert_true(used <= chunk);
		pos += used;
		if (rc < 0) {
			if (!strcmp(hsp_err_name(rc), "HSP_ERR_UNKNOWN") ||
			    !hsp_parser_reason(p)[0])
				fail_msg("code %d, reason '%s'", rc,
					 hsp_parser_reason(p));
			return msgs;
		}
		if (rc == HSP_PARSE_MSG) {
			int n = hsp_encode(again, sizeof(again), &m);

			if (n != (int)(pos - frame_start) ||
			    memcmp(again, data + frame_start, (size_t)n))
				fail_msg("%s accepted but not canonical",
					 hsp_type_name(m.type));
			frame_start = pos;
			msgs++;
		} else {
			assert_int_equal(used, chunk);
		}
	}
	assert_int_equal(hsp_parser_eof(p) == 0, frame_start == pos);
	return msgs;
}

static void test_robustness(void **state)
{
	enum { ROUNDS = 20000 };
	uint64_t seed = 0x243F6A8885A308D3ull; /* fixed: the run is repeatable */
	hsp_parser *p = test_malloc(sizeof(*p));
	sample_stream *s = test_malloc(sizeof(*s));
	uint8_t *data = test_malloc(HSP_MAX_FRAME * 2);
	unsigned accepted = 0, random_accepted = 0;

	for (unsigned round = 0; round < ROUNDS; round++) {
		hsp_peer from = round & 1 ? HSP_FROM_SERVER : HSP_FROM_CLIENT;
		uint64_t r = rng_next(&seed);
		size_t len, greeting;

		build_stream(from, s);
		greeting = (size_t)hsp_encode(data, 256, &s->msgs[0]);
		hsp_parser_init(p, from);
		/* The greeting, so that the bytes after it meet every rule. */
		assert_int_equal(fuzz_one(p, s->bytes, greeting, &seed), 1);
		switch (r % 3) {
		case 0: /* noise */
			len = rng_next(&seed) % 600;
			for (size_t i = 0; i < len; i++)
				data[i] = (uint8_t)rng_next(&seed);
			random_accepted += fuzz_one(p, data, len, &seed);
			break;
		case 1: /* the valid stream with a few bytes changed */
			len = s->len - greeting;
			memcpy(data, s->bytes + greeting, len);
			for (unsigned k = 1 + (r >> 8) % 4; k; k--) {
				uint64_t x = rng_next(&seed);

				data[x % len] = (uint8_t)(x >> 32);
			}
			accepted += fuzz_one(p, data, len, &seed);
			break;
		default: { /* a plausible header, random body */
			uint16_t type = s->msgs[1 + (r >> 8) % (s->count - 1)].type;
			const hsp_desc *d = hsp__desc(type);
			uint64_t x = rng_next(&seed);
			/* Half of them the right size, so that the fields
			 * themselves are judged. */
			uint32_t body = x & 1 ? d->fixed + (d->tail ? (uint32_t)(x >> 1) % 40 : 0)
					      : (uint32_t)((x >> 1) % (HSP_MAX_FRAME + 4096));

			put_le(data, type, 2);
			put_le(data + 2, 0, 2);
			put_le(data + 4, body, 4);
			len = HSP_HEADER_SIZE + (body < 200 ? body : 200);
			for (size_t i = HSP_HEADER_SIZE; i < len; i++)
				data[i] = (uint8_t)rng_next(&seed);
			random_accepted += fuzz_one(p, data, len, &seed);
			break;
		}
		}
	}
	/* The mutated streams still carry their unharmed prefixes. */
	assert_true(accepted > ROUNDS / 3);
	print_message("robustness: %u rounds, %u mutated-stream and %u random "
		      "messages accepted\n", ROUNDS, accepted, random_accepted);
	test_free(data);
	test_free(s);
	test_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_invalid_fields),
		cmocka_unit_test(test_malformed_bytes),
		cmocka_unit_test(test_refused_at_header),
		cmocka_unit_test(test_connection_order),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_robustness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
