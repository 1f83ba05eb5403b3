/* SPDX-License-Identifier: MIT */
/*
 * STATUS and STATUS_REPORT (PROTOCOL.md): round trips from no stream to
 * the most a report holds, every bad field of a record and of the fixed
 * part refused (by the encoder, and as bytes by the decoder and the parser
 * with the same code), the byte-level rules of a record (its name's
 * padding, reserved bytes), lengths judged before a record is read, and
 * every truncation of a frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hsp_internal.h"
#include "hsp_samples.h"

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The decoder and a parser (after a HELLO_ACK) both refuse the frame with
 * the code. */
static void expect_refused(const char *what, const uint8_t *frame, size_t len,
			   int code)
{
	hsp_parser *p = test_malloc(sizeof(*p));
	uint8_t greet[128];
	char reason[HSP_REASON_MAX] = "";
	hsp_msg m;
	size_t used, off = 0;
	int rc;

	rc = hsp_decode(frame, len, HSP_FROM_SERVER, &m, reason);
	if (rc != -code)
		fail_msg("%s: decoder gave %s (%s), expected %s", what,
			 hsp_err_name(rc), reason, hsp_err_name(code));
	assert_true(reason[0] != '\0');
	hsp_parser_init(p, HSP_FROM_SERVER);
	sample_msg(HSP_HELLO_ACK, &m);
	rc = hsp_encode(greet, sizeof(greet), &m);
	assert_int_equal(hsp_parser_feed(p, greet, (size_t)rc, &used, &m),
			 HSP_PARSE_MSG);
	rc = 0;
	while (off < len && rc >= 0) {
		rc = hsp_parser_feed(p, frame + off, len - off, &used, &m);
		off += used;
		assert_int_not_equal(rc, HSP_PARSE_MSG);
	}
	if (rc != -code)
		fail_msg("%s: parser gave %s (%s), expected %s", what,
			 hsp_err_name(rc), hsp_parser_reason(p), hsp_err_name(code));
	test_free(p);
}

static void round_trip(const hsp_msg *m, size_t want_len)
{
	static uint8_t a[HSP_MAX_FRAME], b[HSP_MAX_FRAME];
	char reason[HSP_REASON_MAX] = "";
	hsp_msg back;
	int n = hsp_encode(a, sizeof(a), m), n2;

	if (n < 0)
		fail_msg("encode: %s", hsp_err_name(n));
	assert_int_equal(n, want_len);
	if (hsp_decode(a, (size_t)n, HSP_FROM_SERVER, &back, reason))
		fail_msg("decode: %s", reason);
	assert_true(msg_equal(m, &back));
	assert_null(back.u.status_report.streams);
	n2 = hsp_encode(b, sizeof(b), &back);
	assert_int_equal(n2, n);
	assert_memory_equal(a, b, (size_t)n);
}

/* No stream, the sample's two, and the most a report holds (with the
 * longest names and server name): the largest STATUS_REPORT. */
static void test_round_trips(void **state)
{
	static hsp_status_stream many[HSP_STATUS_STREAMS_MAX];
	hsp_msg m;

	sample_msg(HSP_STATUS_REPORT, &m);
	round_trip(&m, HSP_HEADER_SIZE + HSP_STATUS_FIXED + 2 * HSP_STATUS_RECORD +
			       strlen(m.u.status_report.server) + 1);
	m.u.status_report.stream_count = 0;
	m.u.status_report.streams = NULL;
	memset(m.u.status_report.server, 0, sizeof(m.u.status_report.server));
	round_trip(&m, HSP_HEADER_SIZE + HSP_STATUS_FIXED + 1);

	for (unsigned i = 0; i < HSP_STATUS_STREAMS_MAX; i++) {
		many[i] = sample_status_streams[i % 2];
		memset(many[i].name, 'a' + i % 26, HSP_NAME_MAX - 1);
		many[i].name[HSP_NAME_MAX - 2] = (char)('0' + i / 26);
		many[i].name[HSP_NAME_MAX - 1] = '\0';
	}
	m.u.status_report.stream_count = HSP_STATUS_STREAMS_MAX;
	m.u.status_report.streams = many;
	memset(m.u.status_report.server, 'v', HSP_NAME_MAX - 1);
	m.u.status_report.server[HSP_NAME_MAX - 1] = '\0';
	round_trip(&m, HSP_HEADER_SIZE + HSP_STATUS_BODY_MAX);
	assert_true(HSP_STATUS_BODY_MAX <= HSP_MAX_BODY);

	/* The accessor: an index past the count is refused. */
	{
		hsp_status_stream s;

		assert_int_equal(hsp_status_stream_get(&m.u.status_report, 31, &s), 0);
		assert_string_equal(s.name, many[31].name);
		assert_int_equal(hsp_status_stream_get(&m.u.status_report, 32, &s),
				 -HSP_ERR_BAD_MESSAGE);
		assert_int_equal(hsp_status_stream_get(NULL, 0, &s),
				 -HSP_ERR_BAD_MESSAGE);
	}
}

/* The record offsets of PROTOCOL.md's table, on the encoded bytes. */
static void test_record_layout(void **state)
{
	uint8_t buf[1024];
	const uint8_t *rec = buf + HSP_HEADER_SIZE + HSP_STATUS_FIXED;
	hsp_msg m;
	int n;

	sample_msg(HSP_STATUS_REPORT, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_int_equal(buf[0] | buf[1] << 8, HSP_STATUS_REPORT);
	assert_int_equal(buf[8 + 4] | buf[8 + 5] << 8, 2); /* stream_count */
	assert_memory_equal(rec, "playback\0\0\0", 11);
	assert_int_equal(rec[63], 0);
	assert_int_equal(rec[64], HSP_DIR_RENDER);
	assert_int_equal(rec[66], HSP_SSTATE_RUNNING);
	assert_int_equal(rec[68] | rec[69] << 8, 48000);       /* format.rate */
	assert_int_equal(rec[84] | rec[85] << 8, 1536);        /* buffer_bytes */
	assert_int_equal(rec[92] | rec[93] << 8, 256);         /* fifo_bytes */
	assert_int_equal(rec[104 + 4], 1);                     /* link_frames > 2^32 */
	assert_int_equal(rec[168], 0x08);                      /* dropped, low byte */
	assert_int_equal(rec[175], 0x01);                      /* dropped, high byte */
	assert_memory_equal(rec + 2 * HSP_STATUS_RECORD, "hdastreamd 0.1.0 (test)",
			    24);
}

/* A record field set to a bad value: the encoder refuses it, and its
 * bytes written unchecked are refused by the decoder and the parser. */
typedef struct rec_case {
	const char *what;
	unsigned index; /* which sample record */
	size_t offset;  /* in hsp_status_stream */
	unsigned bytes;
	uint64_t value;
	int code;
} rec_case;

#define R(w, i, fld, v, c)                                                     \
	{w, i, offsetof(hsp_status_stream, fld),                               \
	 sizeof(((hsp_status_stream *)0)->fld), v, c}

static const rec_case rec_cases[] = {
	R("direction any", 0, direction, HSP_DIR_ANY, HSP_ERR_BAD_MESSAGE),
	R("direction 3", 1, direction, 3, HSP_ERR_BAD_MESSAGE),
	R("codec Opus", 0, codec, HSP_CODEC_OPUS, HSP_ERR_UNSUPPORTED),
	R("codec 9", 0, codec, 9, HSP_ERR_BAD_MESSAGE),
	R("state 3", 0, state, 3, HSP_ERR_BAD_MESSAGE),
	R("flag bit 6", 0, flags, 0x40 | HSP_SS_ENGINE, HSP_ERR_RESERVED),
	R("running without engine flag", 0, flags, HSP_SS_OWNER, HSP_ERR_BAD_MESSAGE),
	R("idle with engine flag", 1, flags, HSP_SS_ENGINE, HSP_ERR_BAD_MESSAGE),
	R("position without engine", 1, flags, HSP_SS_POSITION, HSP_ERR_BAD_MESSAGE),
	R("stalled without position", 0, flags, HSP_SS_ENGINE | HSP_SS_STALLED, HSP_ERR_BAD_MESSAGE),
	R("capture with an owner", 1, flags, HSP_SS_OWNER, HSP_ERR_BAD_MESSAGE),
	R("render always on", 0, flags, HSP_SS_ENGINE | HSP_SS_POSITION | HSP_SS_ALWAYS_ON, HSP_ERR_BAD_MESSAGE),
	R("rate 47999", 0, format.rate, 47999, HSP_ERR_BAD_FORMAT),
	R("24 bits in 24", 1, format.container, 24, HSP_ERR_BAD_FORMAT),
	R("0 channels", 0, format.channels, 0, HSP_ERR_BAD_FORMAT),
	R("latency 0 frames", 0, latency_frames, 0, HSP_ERR_BAD_MESSAGE),
	R("latency 0 us", 1, latency_us, 0, HSP_ERR_BAD_MESSAGE),
	R("buffer 0", 0, buffer_bytes, 0, HSP_ERR_BAD_MESSAGE),
	R("buffer over 4 MiB", 1, buffer_bytes, HSP_BUFFER_MAX + 64, HSP_ERR_BAD_MESSAGE),
	R("buffer in part frames", 0, buffer_bytes, 1538, HSP_ERR_BAD_MESSAGE),
	R("period 0", 0, period_frames, 0, HSP_ERR_BAD_MESSAGE),
	R("period over buffer", 0, period_frames, 385, HSP_ERR_BAD_MESSAGE),
	R("FIFO 64 KiB + 1", 0, fifo_bytes, HSP_FIFO_MAX + 1, HSP_ERR_BAD_MESSAGE),
	R("render with listeners", 0, listeners, 1, HSP_ERR_BAD_MESSAGE),
	R("more listeners than clients", 1, listeners, 0x10001, HSP_ERR_BAD_MESSAGE),
	R("render overruns", 0, overruns, 1, HSP_ERR_BAD_MESSAGE),
	R("capture underruns", 1, underruns, 1, HSP_ERR_BAD_MESSAGE),
	R("memory position without a reading", 1, dma_frames, 5, HSP_ERR_BAD_MESSAGE),
	R("wall clock without a reading", 1, wall_ticks, 5, HSP_ERR_BAD_MESSAGE),
	R("mono without a reading", 1, mono_ns, 5, HSP_ERR_BAD_MESSAGE),
	R("real without a reading", 1, real_ns, 5, HSP_ERR_BAD_MESSAGE),
};

static void set_field(uint8_t *field, unsigned bytes, uint64_t v)
{
	switch (bytes) {
	case 1: *field = (uint8_t)v; break;
	case 4: *(uint32_t *)(void *)field = (uint32_t)v; break;
	default: *(uint64_t *)(void *)field = v; break;
	}
}

/* Encode m's report with the records in recs, first checked (expecting
 * code), then unchecked, and expect its bytes refused with code. */
static void check_refused(const char *what, hsp_msg *m, int code)
{
	uint8_t buf[2048];
	int n = hsp_encode(buf, sizeof(buf), m);

	if (n != -code)
		fail_msg("%s: encoder gave %s, expected %s", what,
			 n < 0 ? hsp_err_name(n) : "bytes", hsp_err_name(code));
	n = hsp__encode_unchecked(buf, sizeof(buf), m, true);
	assert_true(n > 0);
	expect_refused(what, buf, (size_t)n, code);
}

static void test_bad_record_fields(void **state)
{
	for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		const rec_case *c = &rec_cases[i];
		hsp_status_stream recs[2];
		hsp_msg m;

		memcpy(recs, sample_status_streams, sizeof(recs));
		set_field((uint8_t *)&recs[c->index] + c->offset, c->bytes, c->value);
		sample_msg(HSP_STATUS_REPORT, &m);
		m.u.status_report.streams = recs;
		check_refused(c->what, &m, c->code);
	}
}

static void test_bad_report_fields(void **state)
{
	hsp_status_stream recs[2];
	hsp_msg m;

	sample_msg(HSP_STATUS_REPORT, &m);
	m.u.status_report.tag = 0;
	check_refused("tag 0", &m, HSP_ERR_BAD_MESSAGE);
	sample_msg(HSP_STATUS_REPORT, &m);
	m.u.status_report.max_clients = 0;
	check_refused("max_clients 0", &m, HSP_ERR_BAD_MESSAGE);
	sample_msg(HSP_STATUS_REPORT, &m);
	m.u.status_report.server[2] = '\t';
	check_refused("server name with a tab", &m, HSP_ERR_BAD_STRING);
	/* A name the record cannot carry. */
	memcpy(recs, sample_status_streams, sizeof(recs));
	strcpy(recs[1].name, "loop back");
	sample_msg(HSP_STATUS_REPORT, &m);
	m.u.status_report.streams = recs;
	check_refused("stream name with a space", &m, HSP_ERR_BAD_STRING);
	recs[1].name[0] = '\0';
	check_refused("empty stream name", &m, HSP_ERR_BAD_STRING);
	/* One stream listed twice. */
	memcpy(recs, sample_status_streams, sizeof(recs));
	strcpy(recs[1].name, recs[0].name);
	check_refused("a stream twice", &m, HSP_ERR_BAD_MESSAGE);
	/* More records than a report holds: not even written unchecked. */
	sample_msg(HSP_STATUS_REPORT, &m);
	m.u.status_report.stream_count = HSP_STATUS_STREAMS_MAX + 1;
	{
		uint8_t buf[64];

		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_TOO_LARGE);
		assert_int_equal(hsp__encode_unchecked(buf, sizeof(buf), &m, true),
				 -HSP_ERR_TOO_LARGE);
	}
	/* Records promised and none given. */
	sample_msg(HSP_STATUS_REPORT, &m);
	m.u.status_report.streams = NULL;
	{
		uint8_t buf[1024];

		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_BAD_MESSAGE);
	}
	/* STATUS: a zero tag. */
	sample_msg(HSP_STATUS, &m);
	m.u.status.tag = 0;
	{
		uint8_t buf[64];

		assert_int_equal(hsp_encode(buf, sizeof(buf), &m), -HSP_ERR_BAD_MESSAGE);
	}
}

/* The sample's bytes with one byte (or field) changed. */
static void test_bad_bytes(void **state)
{
	static const struct {
		const char *what;
		size_t offset; /* in the frame */
		unsigned bytes;
		uint64_t value;
		int code;
	} b[] = {
		{"fixed part reserved", 8 + 6, 2, 0x0100, HSP_ERR_RESERVED},
		{"record reserved", 8 + 24 + 100, 1, 1, HSP_ERR_RESERVED},
		{"second record reserved", 8 + 24 + 176 + 103, 1, 0x80, HSP_ERR_RESERVED},
		{"name not padded with NULs", 8 + 24 + 20, 1, 'x', HSP_ERR_BAD_STRING},
		{"name without its terminator", 8 + 24 + 63, 1, 'x', HSP_ERR_BAD_STRING},
		{"name with a NUL first", 8 + 24 + 176, 1, 0, HSP_ERR_BAD_STRING},
		{"33 streams", 8 + 4, 2, HSP_STATUS_STREAMS_MAX + 1, HSP_ERR_TOO_LARGE},
		{"65535 streams", 8 + 4, 2, 0xffff, HSP_ERR_TOO_LARGE},
		{"3 streams in the bytes of 2", 8 + 4, 2, 3, HSP_ERR_TRUNCATED},
		{"1 stream: the second record read as the string", 8 + 4, 2, 1, HSP_ERR_BAD_STRING},
		{"header flags", 2, 2, 1, HSP_ERR_RESERVED},
	};
	uint8_t buf[1024];
	hsp_msg m;
	int n;

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		sample_msg(HSP_STATUS_REPORT, &m);
		n = hsp_encode(buf, sizeof(buf), &m);
		assert_true(n > 0);
		put_le(buf + b[i].offset, b[i].value, b[i].bytes);
		expect_refused(b[i].what, buf, (size_t)n, b[i].code);
	}
	/* STATUS: reserved bytes, a body of another size. */
	sample_msg(HSP_STATUS, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	assert_int_equal(n, HSP_HEADER_SIZE + 8);
	buf[8 + 7] = 1;
	assert_int_equal(hsp_decode(buf, (size_t)n, HSP_FROM_CLIENT, &m, NULL),
			 -HSP_ERR_RESERVED);
	buf[8 + 7] = 0;
	put_le(buf + 4, 12, 4);
	memset(buf + n, 0, 4);
	assert_int_equal(hsp_decode(buf, (size_t)n + 4, HSP_FROM_CLIENT, &m, NULL),
			 -HSP_ERR_BAD_LENGTH);
}

/* Lengths judged from the header alone, before a record is buffered. */
static void test_header_bounds(void **state)
{
	uint8_t h[HSP_HEADER_SIZE];
	char reason[HSP_REASON_MAX];

	put_le(h, HSP_STATUS_REPORT, 2);
	put_le(h + 2, 0, 2);
	put_le(h + 4, HSP_STATUS_BODY_MAX + 1, 4);
	assert_int_equal(hsp_check_header(h, HSP_FROM_SERVER, NULL, reason),
			 -HSP_ERR_TOO_LARGE);
	put_le(h + 4, HSP_STATUS_BODY_MAX, 4);
	assert_int_equal(hsp_check_header(h, HSP_FROM_SERVER, NULL, reason),
			 HSP_STATUS_BODY_MAX);
	put_le(h + 4, HSP_STATUS_FIXED, 4); /* no room for the string's NUL */
	assert_int_equal(hsp_check_header(h, HSP_FROM_SERVER, NULL, reason),
			 -HSP_ERR_TRUNCATED);
	/* Who may send what. */
	put_le(h + 4, HSP_STATUS_FIXED + 1, 4);
	assert_int_equal(hsp_check_header(h, HSP_FROM_CLIENT, NULL, reason),
			 -HSP_ERR_BAD_MESSAGE);
	put_le(h, HSP_STATUS, 2);
	put_le(h + 4, 8, 4);
	assert_int_equal(hsp_check_header(h, HSP_FROM_SERVER, NULL, reason),
			 -HSP_ERR_BAD_MESSAGE);
	assert_int_equal(hsp_check_header(h, HSP_FROM_CLIENT, NULL, reason), 8);
	assert_string_equal(hsp_type_name(HSP_STATUS), "STATUS");
	assert_string_equal(hsp_type_name(HSP_STATUS_REPORT), "STATUS_REPORT");
}

/* Every shorter frame: cut with its header unchanged (the decoder sees a
 * short frame; the parser waits, and a close is a truncation), and with
 * the header's length shortened to match. */
static void test_truncated(void **state)
{
	uint8_t buf[1024], cut[1024];
	hsp_msg m;
	int n;

	sample_msg(HSP_STATUS_REPORT, &m);
	n = hsp_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	for (int len = HSP_HEADER_SIZE; len < n; len++) {
		uint32_t body = (uint32_t)len - HSP_HEADER_SIZE;
		hsp_parser *p = test_malloc(sizeof(*p));
		uint8_t greet[128];
		size_t used;
		hsp_msg g;
		int code, k;

		assert_int_equal(hsp_decode(buf, (size_t)len, HSP_FROM_SERVER, &g, NULL),
				 -HSP_ERR_TRUNCATED);
		hsp_parser_init(p, HSP_FROM_SERVER);
		sample_msg(HSP_HELLO_ACK, &g);
		k = hsp_encode(greet, sizeof(greet), &g);
		assert_int_equal(hsp_parser_feed(p, greet, (size_t)k, &used, &g),
				 HSP_PARSE_MSG);
		assert_int_equal(hsp_parser_feed(p, buf, (size_t)len, &used, &g),
				 HSP_PARSE_MORE);
		assert_int_equal(hsp_parser_eof(p), -HSP_ERR_TRUNCATED);
		test_free(p);

		memcpy(cut, buf, (size_t)len);
		put_le(cut + 4, body, 4);
		/* Short of the fixed part and the NUL, or of the records: a
		 * truncation; into the string: it lost its terminator. */
		code = body < HSP_STATUS_FIXED + 2 * HSP_STATUS_RECORD + 1
			       ? HSP_ERR_TRUNCATED
			       : HSP_ERR_BAD_STRING;
		expect_refused("shortened", cut, (size_t)len, code);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_record_layout),
		cmocka_unit_test(test_bad_record_fields),
		cmocka_unit_test(test_bad_report_fields),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_header_bounds),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
