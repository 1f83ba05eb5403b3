/* SPDX-License-Identifier: MIT */
/*
 * The hsp encoder and decoder: every message round trips, the examples of
 * PROTOCOL.md are the bytes the code produces and accepts, encoders never
 * write past their buffer, and the protocol's error codes and formats agree
 * with libhda's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include "testmd.h"

#include "hda/hda.h"
#include "hsp_samples.h"

static void test_round_trip(void **state)
{
	for (size_t i = 0; i < N_SAMPLES; i++) {
		uint8_t a[HSP_MAX_FRAME], b[HSP_MAX_FRAME];
		char reason[HSP_REASON_MAX] = "";
		hsp_msg m, back;
		hsp_peer from;
		int n, n2;

		sample_msg(sample_types[i], &m);
		from = sample_from(m.type, HSP_FROM_CLIENT) ? HSP_FROM_CLIENT
							    : HSP_FROM_SERVER;
		n = hsp_encode(a, sizeof(a), &m);
		if (n < 0)
			fail_msg("%s: encode gave %s", hsp_type_name(m.type),
				 hsp_err_name(n));
		assert_int_equal(a[0] | a[1] << 8, m.type);
		if (hsp_decode(a, (size_t)n, from, &back, reason))
			fail_msg("%s: decode: %s", hsp_type_name(m.type), reason);
		assert_true(msg_equal(&m, &back));
		/* The encoding is canonical: what was decoded encodes to the
		 * same bytes. */
		n2 = hsp_encode(b, sizeof(b), &back);
		assert_int_equal(n2, n);
		assert_memory_equal(a, b, (size_t)n);
	}
}

/* The typed encoders are hsp_encode with the type filled in. */
static void test_typed_encoders(void **state)
{
	uint8_t a[512], b[512];
	hsp_msg m;

#define SAME(TYPE, call, member)                                               \
	do {                                                                   \
		sample_msg(TYPE, &m);                                          \
		int x = call(a, sizeof(a), &m.u.member);                       \
		int y = hsp_encode(b, sizeof(b), &m);                          \
		assert_true(x > 0);                                            \
		assert_int_equal(x, y);                                        \
		assert_memory_equal(a, b, (size_t)x);                          \
	} while (0)
	SAME(HSP_HELLO, hsp_encode_hello, hello);
	SAME(HSP_HELLO_ACK, hsp_encode_hello_ack, hello_ack);
	SAME(HSP_OPEN, hsp_encode_open, open);
	SAME(HSP_OPENED, hsp_encode_opened, opened);
	SAME(HSP_ACK, hsp_encode_ack, ack);
	SAME(HSP_CREDIT, hsp_encode_credit, credit);
	SAME(HSP_POSITION, hsp_encode_position, position);
	SAME(HSP_KEEPALIVE, hsp_encode_keepalive, keepalive);
	SAME(HSP_AUDIO, hsp_encode_audio, audio);
	SAME(HSP_ERROR, hsp_encode_error, error);
	SAME(HSP_STATUS, hsp_encode_status, status);
	SAME(HSP_STATUS_REPORT, hsp_encode_status_report, status_report);
#undef SAME
	for (uint16_t t = HSP_START; t <= HSP_POSITION_REQUEST; t++) {
		sample_msg(t, &m);
		int x = hsp_encode_request(a, sizeof(a), t, &m.u.request);

		assert_int_equal(x, hsp_encode(b, sizeof(b), &m));
		assert_memory_equal(a, b, (size_t)x);
	}
	sample_msg(HSP_START, &m);
	assert_int_equal(hsp_encode_request(a, sizeof(a), HSP_ACK, &m.u.request),
			 -HSP_ERR_UNKNOWN_TYPE);
	m.type = 0x7777;
	assert_int_equal(hsp_encode(a, sizeof(a), &m), -HSP_ERR_UNKNOWN_TYPE);
}

/* The head-only AUDIO encoder writes the same first bytes as the whole
 * one, with a length that covers the payload it leaves out. */
static void test_audio_head(void **state)
{
	uint8_t whole[128], head[64];
	hsp_msg m;
	int n, h;

	sample_msg(HSP_AUDIO, &m);
	n = hsp_encode(whole, sizeof(whole), &m);
	h = hsp_encode_audio_head(head, sizeof(head), &m.u.audio);
	assert_int_equal(h, HSP_HEADER_SIZE + HSP_AUDIO_FIXED);
	assert_int_equal(n, h + (int)sizeof(sample_pcm));
	assert_memory_equal(whole, head, (size_t)h);
	assert_int_equal(hsp_encode_audio_head(head, (size_t)h - 1, &m.u.audio),
			 -HSP_ERR_NO_SPACE);
	/* The head needs no payload; the whole message does. */
	m.u.audio.payload = NULL;
	assert_int_equal(hsp_encode_audio_head(head, sizeof(head), &m.u.audio), h);
	assert_int_equal(hsp_encode(whole, sizeof(whole), &m), -HSP_ERR_BAD_MESSAGE);
}

/* A buffer one byte short: -HSP_ERR_NO_SPACE and not a byte written. */
static void test_no_overflow(void **state)
{
	for (size_t i = 0; i < N_SAMPLES; i++) {
		uint8_t buf[1024], canary[1024];
		hsp_msg m;
		int n;

		sample_msg(sample_types[i], &m);
		n = hsp_encode(buf, sizeof(buf), &m);
		assert_true(n > 0);
		for (size_t cap = 0; cap < (size_t)n; cap++) {
			memset(buf, 0xaa, sizeof(buf));
			memset(canary, 0xaa, sizeof(canary));
			assert_int_equal(hsp_encode(buf, cap, &m), -HSP_ERR_NO_SPACE);
			assert_memory_equal(buf, canary, sizeof(buf));
		}
		assert_int_equal(hsp_encode(buf, (size_t)n, &m), n);
	}
	assert_int_equal(hsp_encode(NULL, 0, &(hsp_msg){.type = HSP_KEEPALIVE}),
			 -HSP_ERR_NO_SPACE);
}

/* ---- PROTOCOL.md's examples, byte for byte ------------------------------- */

typedef struct example {
	const char *what;
	hsp_peer from;
	const uint8_t *bytes;
	size_t len;
	hsp_msg msg;
} example;

static const uint8_t ex_hello[] = {
	0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x48, 0x44, 0x41, 0x53, 0x01, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x63, 0x6c, 0x69, 0x00};
static const uint8_t ex_hello_ack[] = {
	0x01, 0x01, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x48, 0x44, 0x41, 0x53, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x98, 0x3a, 0x00, 0x00, 0x68, 0x73, 0x64, 0x00};
static const uint8_t ex_open[] = {
	0x10, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x64, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd0, 0x07, 0x00, 0x00, 0x70, 0x6c, 0x61, 0x79,
	0x62, 0x61, 0x63, 0x6b, 0x00};
static const uint8_t ex_opened[] = {
	0x10, 0x01, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x80, 0xbb, 0x00, 0x00, 0x10, 0x10, 0x02, 0x00, 0x00, 0x06, 0x00, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00};
static const uint8_t ex_start[] = {
	0x11, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
static const uint8_t ex_audio[] = {
	0x02, 0x02, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00,
	0xff, 0xff, 0xfe, 0xff};
static const uint8_t ex_credit[] = {
	0x12, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xe0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t ex_position[] = {
	0x13, 0x01, 0x00, 0x00, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x64, 0x6e, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x50, 0x39, 0x27, 0x8c, 0x04, 0x00, 0x00, 0x00, 0xc0, 0x0b, 0x0b, 0x8e, 0x50, 0x7d, 0x18,
	0x00, 0xbd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t ex_error[] = {
	0x03, 0x02, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0d, 0x01, 0x00, 0x00, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x20, 0x70, 0x6c, 0x61, 0x79, 0x62,
	0x61, 0x63, 0x6b, 0x20, 0x69, 0x73, 0x20, 0x62, 0x75, 0x73, 0x79, 0x00};
static const uint8_t ex_keepalive[] = {
	0x01, 0x02, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t ex_status[] = {
	0x17, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t ex_pcm[] = {0x01, 0x00, 0x02, 0x00, 0xff, 0xff, 0xfe, 0xff};

#define EX(w, f, b) .what = w, .from = f, .bytes = b, .len = sizeof(b)

static void test_protocol_examples(void **state)
{
	example ex[] = {
		{EX("HELLO", HSP_FROM_CLIENT, ex_hello), .msg = {.type = HSP_HELLO,
			.u.hello = {1, 1, HSP_CAP_PCM, "cli"}}},
		{EX("HELLO_ACK", HSP_FROM_SERVER, ex_hello_ack),
		 .msg = {.type = HSP_HELLO_ACK,
			 .u.hello_ack = {1, HSP_CAP_PCM, 0, 15000, "hsd"}}},
		{EX("OPEN", HSP_FROM_CLIENT, ex_open), .msg = {.type = HSP_OPEN,
			.u.open = {.tag = 1, .direction = HSP_DIR_RENDER,
				   .flags = HSP_OPEN_LATENCY, .interval_ms = 100,
				   .latency_us = 2000, .name = "playback"}}},
		{EX("OPENED", HSP_FROM_SERVER, ex_opened),
		 .msg = {.type = HSP_OPENED,
			 .u.opened = {.tag = 1, .stream = 1,
				      .direction = HSP_DIR_RENDER,
				      .codec = HSP_CODEC_PCM,
				      .flags = HSP_OPENED_ADJUSTED,
				      .format = {48000, 16, 16, 2},
				      .buffer_bytes = 1536, .period_frames = 96,
				      .fifo_bytes = 256, .latency_frames = 160,
				      .window_frames = 384}}},
		{EX("START", HSP_FROM_CLIENT, ex_start), .msg = {.type = HSP_START,
			.u.request = {2, 1}}},
		{EX("AUDIO", HSP_FROM_CLIENT, ex_audio), .msg = {.type = HSP_AUDIO,
			.u.audio = {.stream = 1, .frame_index = 0, .frames = 2,
				    .payload_len = sizeof(ex_pcm), .payload = ex_pcm}}},
		{EX("CREDIT", HSP_FROM_SERVER, ex_credit), .msg = {.type = HSP_CREDIT,
			.u.credit = {1, 480}}},
		{EX("POSITION", HSP_FROM_SERVER, ex_position),
		 .msg = {.type = HSP_POSITION,
			 .u.position = {.tag = 0, .stream = 1,
					.state = HSP_STATE_RUNNING,
					.fifo_bytes = 256, .link_frames = 48000,
					.dma_frames = 48064, .wall_ticks = 24012000,
					.mono_ns = 5000000000000ull,
					.real_ns = 1764655200000000000ull,
					.frames_sent = 48384, .frames_done = 47904,
					.frames_dropped = 0, .underruns = 1}}},
		{EX("ERROR", HSP_FROM_SERVER, ex_error), .msg = {.type = HSP_ERROR,
			.u.error = {1, 0, HSP_ERR_BUSY, 0, "stream playback is busy"}}},
		{EX("KEEPALIVE", HSP_FROM_CLIENT, ex_keepalive),
		 .msg = {.type = HSP_KEEPALIVE, .u.keepalive = {7}}},
		{EX("STATUS", HSP_FROM_CLIENT, ex_status),
		 .msg = {.type = HSP_STATUS, .u.status = {3}}},
	};

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		uint8_t buf[256];
		char reason[HSP_REASON_MAX] = "";
		hsp_msg back;
		int n = hsp_encode(buf, sizeof(buf), &ex[i].msg);

		if (n != (int)ex[i].len || memcmp(buf, ex[i].bytes, ex[i].len))
			fail_msg("%s: the encoder disagrees with PROTOCOL.md "
				 "(%d bytes, example %zu)", ex[i].what, n,
				 ex[i].len);
		if (hsp_decode(ex[i].bytes, ex[i].len, ex[i].from, &back, reason))
			fail_msg("%s: %s", ex[i].what, reason);
		/* Every field is encoded, so what was decoded is the
		 * example's message when it encodes to the example's bytes. */
		assert_int_equal(back.type, ex[i].msg.type);
		assert_int_equal(hsp_encode(buf, sizeof(buf), &back), n);
		assert_memory_equal(buf, ex[i].bytes, ex[i].len);
	}
}

/* The hex dumps of PROTOCOL.md are these arrays, in this order: a change
 * to the document's bytes fails here until the code agrees. */
static void test_document_dumps(void **state)
{
	static const md_dump want[] = {
		{ex_hello, sizeof(ex_hello)}, {ex_hello_ack, sizeof(ex_hello_ack)},
		{ex_open, sizeof(ex_open)}, {ex_opened, sizeof(ex_opened)},
		{ex_start, sizeof(ex_start)}, {ex_audio, sizeof(ex_audio)},
		{ex_credit, sizeof(ex_credit)}, {ex_position, sizeof(ex_position)},
		{ex_error, sizeof(ex_error)}, {ex_keepalive, sizeof(ex_keepalive)},
		{ex_status, sizeof(ex_status)},
	};
	const char *path = getenv("HSP_PROTOCOL_MD");
	size_t bad;
	long found;

	(void)state;
	assert_non_null(path);
	/* The RTP section's dumps are librtp's (test_hsr_rtcp). */
	found = md_check_dumps(path, NULL, "## RTP and RTCP", want, sizeof(want) / sizeof(want[0]),
			       &bad);
	if (found < 0)
		fail_msg("cannot open %s", path);
	if (bad)
		fail_msg("dump %zu of PROTOCOL.md differs from the test's bytes", bad);
	assert_int_equal(found, sizeof(want) / sizeof(want[0]));
}

/* The arithmetic of PROTOCOL.md's timing example, from the decoded report. */
static void test_timing_example(void **state)
{
	hsp_msg m;
	const hsp_position *p = &m.u.position;
	uint64_t n = 48000, rate = 48000;

	assert_int_equal(hsp_decode(ex_position, sizeof(ex_position),
				    HSP_FROM_SERVER, &m, NULL), 0);
	assert_int_equal(p->mono_ns + (n - p->frames_done) * 1000000000ull / rate,
			 5000002000000ull);
	assert_int_equal(p->wall_ticks + (n - p->frames_done) * 24000000ull / rate,
			 24060000);
	assert_int_equal(p->link_frames + (n - p->frames_done), 48096);
	assert_int_equal(p->link_frames - p->frames_done, 96);
	assert_int_equal((p->dma_frames - p->link_frames) * 4, p->fifo_bytes);
	assert_int_equal(p->frames_sent - p->frames_done, 480);
}

/* ---- Agreement with libhda --------------------------------------------------- */

static void test_hda_status_codes(void **state)
{
	for (int s = HDA_STATUS_UNSUCCESSFUL; s <= HDA_STATUS_ACCESS_DENIED; s++) {
		assert_string_equal(hsp_err_name(s), hda_status_str((hda_status)s));
		assert_string_equal(hsp_err_name(-s), hda_status_str((hda_status)s));
	}
	assert_int_equal(HSP_ERR_HDA_INSUFFICIENT_RESOURCES,
			 HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(HSP_ERR_HDA_ACCESS_DENIED, HDA_STATUS_ACCESS_DENIED);
	assert_string_equal(hsp_err_name(HDA_STATUS_INSUFFICIENT_RESOURCES),
			    "HDA_STATUS_INSUFFICIENT_RESOURCES");
}

/* Every protocol code has its own name; unknown ones say so. */
static void test_err_names(void **state)
{
	for (int a = HSP_ERR_BAD_MAGIC; a <= HSP_ERR_STREAM_CHANGED; a++) {
		assert_true(strncmp(hsp_err_name(a), "HSP_ERR_", 8) == 0);
		assert_string_not_equal(hsp_err_name(a), "HSP_ERR_UNKNOWN");
		for (int b = HSP_ERR_BAD_MAGIC; b < a; b++)
			assert_string_not_equal(hsp_err_name(a), hsp_err_name(b));
	}
	assert_string_equal(hsp_err_name(HSP_ERR_BUSY), "HSP_ERR_BUSY");
	assert_string_equal(hsp_err_name(-HSP_ERR_TOO_LARGE), "HSP_ERR_TOO_LARGE");
	assert_string_equal(hsp_err_name(HSP_ERR_NO_SPACE), "HSP_ERR_NO_SPACE");
	assert_string_equal(hsp_err_name(10), "HSP_ERR_UNKNOWN");
	assert_string_equal(hsp_err_name(HSP_ERR_STREAM_CHANGED + 1),
			    "HSP_ERR_UNKNOWN");
	assert_null(hsp_type_name(0x0002));
	assert_string_equal(hsp_type_name(HSP_POSITION_REQUEST),
			    "POSITION_REQUEST");
}

/* hsp's format rule is libhda's: the same formats accepted, the same frame
 * size, over every rate up to past the limit and every small field value. */
static void test_format_matches_libhda(void **state)
{
	for (uint32_t rate = 0; rate <= 200000; rate++) {
		hsp_format f = {rate, 16, 16, 2};
		hda_stream_format h = {rate, 16, 16, 2};
		uint16_t conv;
		bool ok = hda_format_to_converter(&h, &conv) == HDA_STATUS_SUCCESS;

		if (ok != (hsp_format_frame_bytes(&f) != 0))
			fail_msg("rate %u: libhda %d, hsp %d", rate, ok, !ok);
	}
	for (unsigned bits = 0; bits <= 40; bits++)
		for (unsigned cont = 0; cont <= 40; cont++)
			for (unsigned ch = 0; ch <= 18; ch++) {
				hsp_format f = {44100, (uint8_t)bits,
						(uint8_t)cont, (uint8_t)ch};
				hda_stream_format h = {44100, (uint16_t)bits,
						       (uint16_t)cont,
						       (uint16_t)ch};
				uint16_t conv;
				uint32_t want = 0;

				if (hda_format_to_converter(&h, &conv) ==
				    HDA_STATUS_SUCCESS)
					want = hda_converter_frame_bytes(conv);
				if (hsp_format_frame_bytes(&f) != want)
					fail_msg("%u/%u/%u: libhda %u bytes, hsp %u",
						 bits, cont, ch, want,
						 hsp_format_frame_bytes(&f));
			}
	assert_int_equal(hsp_format_frame_bytes(&(hsp_format){192000, 32, 32, 16}),
			 HSP_PCM_FRAME_MAX);
	assert_int_equal(hsp_format_frame_bytes(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_typed_encoders),
		cmocka_unit_test(test_audio_head),
		cmocka_unit_test(test_no_overflow),
		cmocka_unit_test(test_protocol_examples),
		cmocka_unit_test(test_document_dumps),
		cmocka_unit_test(test_timing_example),
		cmocka_unit_test(test_hda_status_codes),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_format_matches_libhda),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
