/* SPDX-License-Identifier: MIT */
/*
 * librtp, PCM payloads: L16 and L24 are big-endian on the wire (RFC 3551
 * 4.5.11, RFC 3190 4), the DMA buffer little-endian with 24-bit samples in
 * the top bytes of 32 (PROTOCOL.md, "Format").  The expected bytes are
 * written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsr_pcm.h"

static void test_l16_bytes(void **state)
{
	/* 0x1234 and -2 (0xFFFE) as S16_LE, then 0x8000 (the most
	 * negative) and 0x7FFF. */
	static const uint8_t host[] = {0x34, 0x12, 0xFE, 0xFF, 0x00, 0x80, 0xFF, 0x7F};
	static const uint8_t wire[] = {0x12, 0x34, 0xFF, 0xFE, 0x80, 0x00, 0x7F, 0xFF};
	uint8_t out[8], back[8];

	hsr_pcm_s16le_to_l16(out, host, 4);
	assert_memory_equal(out, wire, 8);
	hsr_pcm_l16_to_s16le(back, wire, 4);
	assert_memory_equal(back, host, 8);
}

static void test_l24_bytes(void **state)
{
	/* 24-bit 0x123456 sits in its container as 0x12345600: LE bytes
	 * 00 56 34 12, on the wire 12 34 56.  -1 (0xFFFFFF) is 0xFFFFFF00:
	 * 00 FF FF FF -> FF FF FF.  -2^23 is 0x80000000: 00 00 00 80 ->
	 * 80 00 00.  A full 32-bit sample 0x12345678 loses its low byte. */
	static const uint8_t host[] = {
		0x00, 0x56, 0x34, 0x12,
		0x00, 0xFF, 0xFF, 0xFF,
		0x00, 0x00, 0x00, 0x80,
		0x78, 0x56, 0x34, 0x12,
	};
	static const uint8_t wire[] = {
		0x12, 0x34, 0x56,
		0xFF, 0xFF, 0xFF,
		0x80, 0x00, 0x00,
		0x12, 0x34, 0x56,
	};
	static const uint8_t back_want[] = {
		0x00, 0x56, 0x34, 0x12,
		0x00, 0xFF, 0xFF, 0xFF,
		0x00, 0x00, 0x00, 0x80,
		0x00, 0x56, 0x34, 0x12, /* the low byte gone */
	};
	uint8_t out[12], back[16];

	hsr_pcm_s32le_to_l24(out, host, 4);
	assert_memory_equal(out, wire, sizeof(wire));
	hsr_pcm_l24_to_s32le(back, wire, 4);
	assert_memory_equal(back, back_want, sizeof(back_want));
}

/* Every 16-bit value survives the trip; every 24-bit value too (the
 * container's low byte 0). */
static void test_round_trips(void **state)
{
	static uint8_t host[65536 * 4], wire[65536 * 3], back[65536 * 4];

	for (uint32_t v = 0; v < 65536; v++) {
		host[2 * v] = (uint8_t)v;
		host[2 * v + 1] = (uint8_t)(v >> 8);
	}
	hsr_pcm_s16le_to_l16(wire, host, 65536);
	hsr_pcm_l16_to_s16le(back, wire, 65536);
	assert_memory_equal(back, host, 65536 * 2);

	for (uint32_t hi = 0; hi < 256; hi++) {
		for (uint32_t v = 0; v < 65536; v++) {
			uint32_t s = (hi << 16 | v) << 8;

			for (int b = 0; b < 4; b++)
				host[4 * v + b] = (uint8_t)(s >> (8 * b));
		}
		hsr_pcm_s32le_to_l24(wire, host, 65536);
		hsr_pcm_l24_to_s32le(back, wire, 65536);
		assert_memory_equal(back, host, 65536 * 4);
		/* Big-endian on the wire: the top byte first. */
		assert_int_equal(wire[3 * 1], hi);
	}
}

static void test_by_format(void **state)
{
	const hsr_format l16 = {HSR_L16, 2, 48000}, l24 = {HSR_L24, 2, 48000};
	const hsr_format opus = {HSR_OPUS, 2, 48000};
	/* Two stereo L24 frames: L 0x010203, R 0x040506; L 0x070809,
	 * R 0x0A0B0C. */
	static const uint8_t host24[] = {
		0, 3, 2, 1, 0, 6, 5, 4, 0, 9, 8, 7, 0, 0xC, 0xB, 0xA,
	};
	static const uint8_t wire24[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0xA, 0xB, 0xC};
	uint8_t out[16], back[16];

	assert_int_equal(hsr_pcm_host_frame(&l16), 4);
	assert_int_equal(hsr_pcm_host_frame(&l24), 8);
	assert_int_equal(hsr_pcm_host_frame(&opus), 0);
	assert_int_equal(hsr_pcm_to_wire(&l24, out, sizeof(out), host24, 2), 12);
	assert_memory_equal(out, wire24, 12);
	assert_int_equal(hsr_pcm_to_wire(&l24, out, 11, host24, 2), -HSR_ERR_NO_SPACE);
	assert_int_equal(hsr_pcm_from_wire(&l24, back, sizeof(back), wire24, 12), 2);
	assert_memory_equal(back, host24, 16);
	assert_int_equal(hsr_pcm_from_wire(&l24, back, 15, wire24, 12),
			 -HSR_ERR_NO_SPACE);
	/* 7 bytes is not a whole number of 6-byte frames. */
	assert_int_equal(hsr_pcm_from_wire(&l24, back, sizeof(back), wire24, 7),
			 -HSR_ERR_MALFORMED);
	assert_int_equal(hsr_pcm_from_wire(&l16, back, sizeof(back), wire24, 6),
			 -HSR_ERR_MALFORMED);
	assert_int_equal(hsr_pcm_from_wire(&l16, back, sizeof(back), wire24, 8), 2);
	assert_int_equal(hsr_pcm_to_wire(&opus, out, sizeof(out), host24, 1),
			 -HSR_ERR_INVALID);
	assert_int_equal(hsr_pcm_from_wire(&opus, back, sizeof(back), wire24, 4),
			 -HSR_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l16_bytes),
		cmocka_unit_test(test_l24_bytes),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_by_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
