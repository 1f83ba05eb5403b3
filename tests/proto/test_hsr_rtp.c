/* SPDX-License-Identifier: MIT */
/*
 * librtp, RTP side: the fixed header against bytes laid out by hand from
 * RFC 3550 5.1, round trips with CSRCs, extension and padding, malformed
 * datagrams refused, the sender's sequence numbers, timestamps and marker,
 * the packetizer's rule, format and payload type rules, and the clock
 * conversions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsr_rtp.h"

static const hsr_format l16_48k2 = {HSR_L16, 2, 48000};
static const hsr_format l24_48k2 = {HSR_L24, 2, 48000};

/* ---- The header ----------------------------------------------------------- */

static void test_header_bytes(void **state)
{
	/* V=2 P=0 X=0 CC=0: 10 0 0 0000 = 0x80.  M=1 PT=96: 1 1100000 =
	 * 0xE0.  Then seq, timestamp, SSRC big-endian. */
	static const uint8_t want[] = {
		0x80, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF,
		0x01, 0x02, 0x03, 0x04,
	};
	hsr_rtp_header h = {.marker = true, .pt = 96, .seq = 0x1234,
			    .ts = 0xDEADBEEF, .ssrc = 0x01020304};
	uint8_t buf[32];
	hsr_rtp_packet p;

	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(hsr_rtp_header_pack(buf, sizeof(buf), &h), 12);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[12], 0xAA); /* nothing past the header */

	assert_int_equal(hsr_rtp_parse(want, sizeof(want), &p), 0);
	assert_true(p.h.marker);
	assert_int_equal(p.h.pt, 96);
	assert_int_equal(p.h.seq, 0x1234);
	assert_int_equal(p.h.ts, 0xDEADBEEF);
	assert_int_equal(p.h.ssrc, 0x01020304);
	assert_int_equal(p.h.csrc_count, 0);
	assert_false(p.h.ext);
	assert_int_equal(p.payload_len, 0);
	assert_ptr_equal(p.payload, want + 12);
}

/* CSRCs, an extension and padding, all at once, by hand. */
static const uint8_t full_pkt[] = {
	0xB2,                   /* V=2 P=1 X=1 CC=2: 10 1 1 0010 */
	0x0A,                   /* M=0 PT=10 */
	0xFF, 0xFF,             /* seq 65535 */
	0x00, 0x00, 0x00, 0x01, /* ts 1 */
	0xCA, 0xFE, 0xBA, 0xBE, /* SSRC */
	0x11, 0x11, 0x11, 0x11, /* CSRC 1 */
	0x22, 0x22, 0x22, 0x22, /* CSRC 2 */
	0xBE, 0xDE, 0x00, 0x01, /* extension profile 0xBEDE, 1 word */
	0xAA, 0xBB, 0xCC, 0xDD, /* the extension's word */
	0x01, 0x02, 0x03,       /* payload */
	0x00, 0x00, 0x03,       /* 3 bytes of padding, count last */
};

static void test_header_full_parse(void **state)
{
	hsr_rtp_packet p;

	assert_int_equal(hsr_rtp_parse(full_pkt, sizeof(full_pkt), &p), 0);
	assert_false(p.h.marker);
	assert_int_equal(p.h.pt, 10);
	assert_int_equal(p.h.seq, 65535);
	assert_int_equal(p.h.ts, 1);
	assert_int_equal(p.h.ssrc, 0xCAFEBABE);
	assert_int_equal(p.h.csrc_count, 2);
	assert_int_equal(p.h.csrc[0], 0x11111111);
	assert_int_equal(p.h.csrc[1], 0x22222222);
	assert_true(p.h.ext);
	assert_int_equal(p.h.ext_profile, 0xBEDE);
	assert_int_equal(p.h.ext_words, 1);
	assert_ptr_equal(p.h.ext_data, full_pkt + 24);
	assert_int_equal(p.pad_len, 3);
	assert_int_equal(p.payload_len, 3);
	assert_ptr_equal(p.payload, full_pkt + 28);
}

static void test_header_full_pack(void **state)
{
	static const uint8_t ext[4] = {0xAA, 0xBB, 0xCC, 0xDD};
	hsr_rtp_header h = {.pt = 10, .seq = 65535, .ts = 1,
			    .ssrc = 0xCAFEBABE, .csrc_count = 2,
			    .csrc = {0x11111111, 0x22222222}, .ext = true,
			    .ext_profile = 0xBEDE, .ext_words = 1,
			    .ext_data = ext};
	uint8_t buf[64];
	int n;

	assert_int_equal(hsr_rtp_header_size(&h), 28);
	n = hsr_rtp_header_pack(buf, sizeof(buf), &h);
	assert_int_equal(n, 28);
	memcpy(buf + n, "\x01\x02\x03", 3);
	n = hsr_rtp_pad(buf, sizeof(buf), (size_t)n + 3, 3);
	assert_int_equal(n, (int)sizeof(full_pkt));
	assert_memory_equal(buf, full_pkt, sizeof(full_pkt));
}

/* Every header shape packs and parses back to itself. */
static void test_header_round_trip(void **state)
{
	static const uint8_t ext[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	for (unsigned cc = 0; cc <= HSR_RTP_CSRC_MAX; cc++)
		for (unsigned x = 0; x < 3; x++)
			for (unsigned pad = 0; pad < 3; pad++) {
				hsr_rtp_header h = {
					.marker = cc & 1, .pt = (uint8_t)(127 - cc),
					.seq = (uint16_t)(cc * 4099),
					.ts = 0x80000000u + cc, .ssrc = ~cc,
					.csrc_count = (uint8_t)cc, .ext = x > 0,
					.ext_profile = 0x1000, .ext_words = (uint16_t)(x == 2 ? 2 : 0),
					.ext_data = ext};
				uint8_t buf[256];
				hsr_rtp_packet p;
				int n;

				for (unsigned i = 0; i < cc; i++)
					h.csrc[i] = 0x01010101u * (i + 1);
				n = hsr_rtp_header_pack(buf, sizeof(buf), &h);
				assert_int_equal(n, (int)hsr_rtp_header_size(&h));
				memset(buf + n, 0x5A, 7);
				n += 7;
				if (pad)
					n = hsr_rtp_pad(buf, sizeof(buf), (size_t)n,
							(uint8_t)(pad * 4));
				assert_true(n > 0);
				assert_int_equal(hsr_rtp_parse(buf, (size_t)n, &p), 0);
				assert_int_equal(p.h.marker, h.marker);
				assert_int_equal(p.h.pt, h.pt);
				assert_int_equal(p.h.seq, h.seq);
				assert_int_equal(p.h.ts, h.ts);
				assert_int_equal(p.h.ssrc, h.ssrc);
				assert_int_equal(p.h.csrc_count, cc);
				assert_memory_equal(p.h.csrc, h.csrc, 4 * cc);
				assert_int_equal(p.h.ext, h.ext);
				assert_int_equal(p.h.ext_words, h.ext_words);
				if (h.ext_words)
					assert_memory_equal(p.h.ext_data, ext, 8);
				assert_int_equal(p.payload_len, 7);
				assert_int_equal(p.payload[0], 0x5A);
				assert_int_equal(p.payload[6], 0x5A);
				assert_int_equal(p.pad_len, pad * 4);
			}
}

static void test_header_pack_errors(void **state)
{
	hsr_rtp_header h = {.pt = 128};
	uint8_t buf[16];

	assert_int_equal(hsr_rtp_header_pack(buf, sizeof(buf), &h), -HSR_ERR_INVALID);
	h.pt = 0;
	h.csrc_count = 16;
	assert_int_equal(hsr_rtp_header_pack(buf, sizeof(buf), &h), -HSR_ERR_INVALID);
	h.csrc_count = 1; /* 16 bytes: fits exactly */
	assert_int_equal(hsr_rtp_header_pack(buf, 16, &h), 16);
	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(hsr_rtp_header_pack(buf, 15, &h), -HSR_ERR_NO_SPACE);
	assert_int_equal(buf[0], 0xAA); /* nothing written */
	h.csrc_count = 0;
	h.ext = true;
	h.ext_words = 1; /* words but no data */
	assert_int_equal(hsr_rtp_header_pack(buf, sizeof(buf), &h), -HSR_ERR_INVALID);

	/* Padding: 1..255 bytes, within the buffer. */
	assert_int_equal(hsr_rtp_pad(buf, sizeof(buf), 12, 0), -HSR_ERR_INVALID);
	assert_int_equal(hsr_rtp_pad(buf, sizeof(buf), 12, 5), -HSR_ERR_NO_SPACE);
	assert_int_equal(hsr_rtp_pad(buf, sizeof(buf), 12, 4), 16);
	assert_int_equal(buf[15], 4);
	assert_int_equal(buf[0] & 0x20, 0x20);
}

static void test_parse_malformed(void **state)
{
	uint8_t b[sizeof(full_pkt)];
	hsr_rtp_packet p;

	/* Shorter than the fixed header. */
	for (size_t n = 0; n < 12; n++)
		assert_int_equal(hsr_rtp_parse(full_pkt, n, &p), -HSR_ERR_SHORT);
	/* Version 0, 1 and 3 (the top two bits of byte 0). */
	for (unsigned v = 0; v < 4; v++) {
		if (v == 2)
			continue;
		memcpy(b, full_pkt, sizeof(b));
		b[0] = (uint8_t)((b[0] & 0x3f) | v << 6);
		assert_int_equal(hsr_rtp_parse(b, sizeof(b), &p), -HSR_ERR_VERSION);
	}
	/* CC=2 announces 8 bytes of CSRC after the 12; the extension header
	 * and its word follow.  Cut anywhere inside them: short.  The
	 * padding bit is cleared so the cut is judged on the headers. */
	memcpy(b, full_pkt, sizeof(b));
	b[0] &= (uint8_t)~0x20;
	for (size_t n = 12; n < 28; n++)
		assert_int_equal(hsr_rtp_parse(b, n, &p), -HSR_ERR_SHORT);
	assert_int_equal(hsr_rtp_parse(b, 28, &p), 0);
	/* An extension length of 0x100 words runs far past the datagram. */
	b[22] = 0x01;
	b[23] = 0x00;
	assert_int_equal(hsr_rtp_parse(b, sizeof(b), &p), -HSR_ERR_SHORT);

	/* Padding: a count of 0, and counts past the 6 bytes after the
	 * headers (reaching into the extension). */
	memcpy(b, full_pkt, sizeof(b));
	b[sizeof(b) - 1] = 0;
	assert_int_equal(hsr_rtp_parse(b, sizeof(b), &p), -HSR_ERR_PADDING);
	b[sizeof(b) - 1] = 7;
	assert_int_equal(hsr_rtp_parse(b, sizeof(b), &p), -HSR_ERR_PADDING);
	b[sizeof(b) - 1] = 255;
	assert_int_equal(hsr_rtp_parse(b, sizeof(b), &p), -HSR_ERR_PADDING);
	/* All 6 bytes padding: an empty payload, which is allowed. */
	b[sizeof(b) - 1] = 6;
	assert_int_equal(hsr_rtp_parse(b, sizeof(b), &p), 0);
	assert_int_equal(p.payload_len, 0);
	/* P set on a bare 12-byte header: the "count" would be the SSRC's
	 * last byte, inside the header. */
	{
		uint8_t bare[12] = {0xA0, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4};

		assert_int_equal(hsr_rtp_parse(bare, 12, &p), -HSR_ERR_PADDING);
	}
}

/* ---- The sender ----------------------------------------------------------- */

static void test_sender_sequence(void **state)
{
	hsr_sender s;
	hsr_rtp_header h;

	assert_int_equal(hsr_sender_init_fixed(&s, &l16_48k2, 96, 0x11223344,
					       65534, 0xFFFFFF00u), 0);
	/* The first packet carries the marker. */
	assert_int_equal(hsr_sender_next(&s, 240, 960, &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.pt, 96);
	assert_int_equal(h.ssrc, 0x11223344);
	assert_int_equal(h.seq, 65534);
	assert_int_equal(h.ts, 0xFFFFFF00u);
	/* Then none; timestamps advance by the frames (clock = rate). */
	assert_int_equal(hsr_sender_next(&s, 240, 960, &h), 0);
	assert_false(h.marker);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 0xFFFFFFF0u); /* 0xFFFFFF00 + 240 */
	/* Both wrap: seq 65535 + 1 = 0; ts 0xFFFFFF00 + 480 = 0x1E0 - 0x100. */
	assert_int_equal(hsr_sender_next(&s, 240, 960, &h), 0);
	assert_int_equal(h.seq, 0);
	assert_int_equal(h.ts, 0xE0u);
	assert_int_equal(s.packets, 3);
	assert_int_equal(s.octets, 2880);

	/* A gap of 480 frames: the timestamp jumps over them, the sequence
	 * number does not, the marker is set once. */
	hsr_sender_gap(&s, 480);
	assert_int_equal(hsr_sender_next(&s, 240, 960, &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.seq, 1);
	assert_int_equal(h.ts, 0x3B0u); /* 0xFFFFFF00 + 720 + 480 - 2^32 = 944 */
	assert_int_equal(hsr_sender_next(&s, 240, 960, &h), 0);
	assert_false(h.marker);
	assert_int_equal(h.seq, 2);
	assert_int_equal(h.ts, 0x3B0u + 240);
	/* A gap of no time (a discontinuity): marker only. */
	hsr_sender_gap(&s, 0);
	assert_int_equal(hsr_sender_next(&s, 240, 960, &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.ts, 0x3B0u + 480);
	assert_int_equal(s.packets, 6);
	/* Zero frames is no packet. */
	assert_int_equal(hsr_sender_next(&s, 0, 0, &h), -HSR_ERR_INVALID);
	assert_int_equal(s.packets, 6);
}

/* Opus runs a 48 kHz RTP clock whatever it was fed (RFC 7587 4.1): at
 * 16 kHz, a 20 ms packet is 320 frames and 960 ticks. */
static void test_sender_opus_clock(void **state)
{
	const hsr_format opus16 = {HSR_OPUS, 1, 16000};
	const hsr_format opus48 = {HSR_OPUS, 2, 48000};
	hsr_sender s;
	hsr_rtp_header h;

	assert_int_equal(hsr_sender_init_fixed(&s, &opus16, 111, 1, 0, 1000), 0);
	assert_int_equal(s.clock, 48000);
	assert_int_equal(hsr_sender_next(&s, 320, 100, &h), 0);
	assert_int_equal(h.ts, 1000);
	assert_int_equal(hsr_sender_next(&s, 320, 100, &h), 0);
	assert_int_equal(h.ts, 1960);
	/* One second (16000 frames) is 48000 ticks; a frame 3. */
	assert_int_equal(hsr_sender_ts(&s, 16000), 1000 + 48000);
	assert_int_equal(hsr_sender_ts(&s, 16001), 1000 + 48003);
	/* A long way in: 10^12 frames (two years at 16 kHz) without
	 * overflow, modulo 2^32: 3 x 10^12 mod 2^32 = 2112827392. */
	assert_int_equal(hsr_sender_ts(&s, 1000000000000ull),
			 (uint32_t)(1000u + 2112827392u));
	assert_int_equal(hsr_sender_init_fixed(&s, &opus48, 96, 1, 0, 0), 0);
	assert_int_equal(hsr_sender_ts(&s, 960), 960);
	/* Opus has no static payload type. */
	assert_int_equal(hsr_sender_init_fixed(&s, &opus48, 10, 1, 0, 0),
			 -HSR_ERR_INVALID);
}

/* The random start differs between two sources (all three 80 bits alike
 * by chance: 2^-80). */
static void test_sender_random(void **state)
{
	hsr_sender a, b;

	assert_int_equal(hsr_sender_init(&a, &l24_48k2, 97), 0);
	assert_int_equal(hsr_sender_init(&b, &l24_48k2, 97), 0);
	assert_true(a.ssrc != b.ssrc || a.seq != b.seq || a.ts0 != b.ts0);
	assert_true(a.marker);
	assert_int_equal(a.pt, 97);
	assert_int_equal(a.packets, 0);
	assert_int_equal(hsr_sender_init(&a, &l24_48k2, 10), -HSR_ERR_INVALID);
}

/* What the sender fills, packed and parsed, is what it said. */
static void test_sender_packet(void **state)
{
	hsr_sender s;
	hsr_rtp_header h;
	hsr_rtp_packet p;
	uint8_t buf[64];
	int n;

	assert_int_equal(hsr_sender_init_fixed(&s, &l24_48k2, 98, 0xA1B2C3D4,
					       7, 9), 0);
	assert_int_equal(hsr_sender_next(&s, 2, 12, &h), 0);
	n = hsr_rtp_header_pack(buf, sizeof(buf), &h);
	assert_int_equal(n, 12);
	memset(buf + n, 0x11, 12);
	assert_int_equal(hsr_rtp_parse(buf, 24, &p), 0);
	assert_true(p.h.marker);
	assert_int_equal(p.h.pt, 98);
	assert_int_equal(p.h.seq, 7);
	assert_int_equal(p.h.ts, 9);
	assert_int_equal(p.h.ssrc, 0xA1B2C3D4);
	assert_int_equal(p.payload_len, 12);
}

/* ---- The packetizer --------------------------------------------------------- */

static void test_packetize_pcm(void **state)
{
	const hsr_format l16_44k2 = {HSR_L16, 2, 44100};
	const hsr_format l24_48k16 = {HSR_L24, 16, 48000};
	hsr_packetization k;

	/* 48 kHz stereo L24 at 5 ms: 240 frames x 6 bytes = 1440 > 1200;
	 * the cap allows 1200 / 6 = 200 frames, 4.166 ms. */
	assert_int_equal(hsr_packetize(&l24_48k2, 0, 5000, 0, &k), 0);
	assert_int_equal(k.frames, 200);
	assert_int_equal(k.payload_max, 1200);
	assert_int_equal(k.ticks, 200);
	assert_int_equal(k.ptime_us, 4166);
	/* With a 1440-byte cap the wanted 5 ms fits. */
	assert_int_equal(hsr_packetize(&l24_48k2, 1440, 5000, 0, &k), 0);
	assert_int_equal(k.frames, 240);
	assert_int_equal(k.payload_max, 1440);
	/* One byte less: 239 frames (1434 bytes). */
	assert_int_equal(hsr_packetize(&l24_48k2, 1439, 5000, 0, &k), 0);
	assert_int_equal(k.frames, 239);
	/* L16 stereo at 5 ms: 240 x 4 = 960 bytes, under the cap: the
	 * wanted time decides. */
	assert_int_equal(hsr_packetize(&l16_48k2, 0, 5000, 0, &k), 0);
	assert_int_equal(k.frames, 240);
	assert_int_equal(k.payload_max, 960);
	assert_int_equal(k.ptime_us, 5000);
	/* 44.1 kHz at 20 ms wants 882 frames (3528 bytes): 300 fit. */
	assert_int_equal(hsr_packetize(&l16_44k2, 0, 20000, 0, &k), 0);
	assert_int_equal(k.frames, 300);
	assert_int_equal(k.payload_max, 1200);
	/* 44.1 kHz at 1 ms: 44.1 frames, rounded down to 44. */
	assert_int_equal(hsr_packetize(&l16_44k2, 0, 1000, 0, &k), 0);
	assert_int_equal(k.frames, 44);
	/* Shorter than a frame: one frame. */
	assert_int_equal(hsr_packetize(&l16_48k2, 0, 10, 0, &k), 0);
	assert_int_equal(k.frames, 1);
	/* 16 channels of L24 are 48 bytes a frame: a 40-byte cap holds
	 * none. */
	assert_int_equal(hsr_packetize(&l24_48k16, 40, 5000, 0, &k),
			 -HSR_ERR_NO_SPACE);
	assert_int_equal(hsr_packetize(&l24_48k16, 48, 5000, 0, &k), 0);
	assert_int_equal(k.frames, 1);
	/* The opus bitrate means nothing to PCM. */
	assert_int_equal(hsr_packetize(&l16_48k2, 0, 5000, 1, &k), 0);
}

static void test_packetize_opus(void **state)
{
	const hsr_format opus48 = {HSR_OPUS, 2, 48000};
	const hsr_format opus16 = {HSR_OPUS, 1, 16000};
	hsr_packetization k;

	assert_int_equal(hsr_packetize(&opus48, 0, 20000, 0, &k), 0);
	assert_int_equal(k.frames, 960);
	assert_int_equal(k.ticks, 960);
	assert_int_equal(k.payload_max, 1200);
	assert_int_equal(k.ptime_us, 20000);
	/* 15 ms is no Opus duration: the longest below it, 10 ms. */
	assert_int_equal(hsr_packetize(&opus48, 0, 15000, 0, &k), 0);
	assert_int_equal(k.frames, 480);
	/* Below 2.5 ms: 2.5 ms, the shortest there is. */
	assert_int_equal(hsr_packetize(&opus48, 0, 1000, 0, &k), 0);
	assert_int_equal(k.frames, 120);
	assert_int_equal(k.ptime_us, 2500);
	/* Above 60 ms: 60 ms. */
	assert_int_equal(hsr_packetize(&opus48, 0, 100000, 0, &k), 0);
	assert_int_equal(k.frames, 2880);
	/* 16 kHz input: frames at 16 kHz, ticks at 48 kHz. */
	assert_int_equal(hsr_packetize(&opus16, 0, 20000, 0, &k), 0);
	assert_int_equal(k.frames, 320);
	assert_int_equal(k.ticks, 960);
	/* 510 kbit/s: 60 ms = 3825 bytes, 40 ms = 2550, 20 ms = 1275, all
	 * over 1200; 10 ms = 637.5, rounded up 638, fits. */
	assert_int_equal(hsr_packetize(&opus48, 0, 60000, 510000, &k), 0);
	assert_int_equal(k.frames, 480);
	/* A 1275-byte cap takes the 20 ms. */
	assert_int_equal(hsr_packetize(&opus48, 1275, 60000, 510000, &k), 0);
	assert_int_equal(k.frames, 960);
	/* 64 kbit/s in 60 ms is 480 bytes: fits. */
	assert_int_equal(hsr_packetize(&opus48, 0, 60000, 64000, &k), 0);
	assert_int_equal(k.frames, 2880);
	/* Not even 2.5 ms at 510 kbit/s (159.4 -> 160 bytes) in 100. */
	assert_int_equal(hsr_packetize(&opus48, 100, 20000, 510000, &k),
			 -HSR_ERR_NO_SPACE);
	assert_int_equal(hsr_packetize(&opus48, 160, 20000, 510000, &k), 0);
	assert_int_equal(k.frames, 120);
	/* Bitrates libopus does not take. */
	assert_int_equal(hsr_packetize(&opus48, 0, 20000, 499, &k), -HSR_ERR_INVALID);
	assert_int_equal(hsr_packetize(&opus48, 0, 20000, 512001, &k), -HSR_ERR_INVALID);
}

static void test_packetize_invalid(void **state)
{
	const hsr_format bad = {HSR_L16, 0, 48000};
	hsr_packetization k;

	assert_int_equal(hsr_packetize(&l16_48k2, 0, 0, 0, &k), -HSR_ERR_INVALID);
	assert_int_equal(hsr_packetize(&l16_48k2, 0, 1000001, 0, &k), -HSR_ERR_INVALID);
	assert_int_equal(hsr_packetize(&l16_48k2, HSR_PAYLOAD_CAP_MAX + 1, 5000, 0, &k),
			 -HSR_ERR_INVALID);
	assert_int_equal(hsr_packetize(&l16_48k2, HSR_PAYLOAD_CAP_MAX, 5000, 0, &k), 0);
	assert_int_equal(hsr_packetize(&bad, 0, 5000, 0, &k), -HSR_ERR_INVALID);
}

/* ---- Formats, payload types, clocks, names --------------------------------- */

static void test_formats(void **state)
{
	const hsr_format ok[] = {
		{HSR_L16, 1, 8000}, {HSR_L16, 16, 192000}, {HSR_L24, 2, 44100},
		{HSR_OPUS, 1, 8000}, {HSR_OPUS, 2, 12000}, {HSR_OPUS, 2, 24000},
		{HSR_OPUS, 2, 48000},
	};
	const hsr_format bad[] = {
		{HSR_L16, 0, 48000}, {HSR_L16, 17, 48000}, {HSR_L24, 2, 7999},
		{HSR_L24, 2, 192001}, {HSR_OPUS, 3, 48000}, {HSR_OPUS, 2, 44100},
		{0, 2, 48000}, {4, 2, 48000},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(hsr_format_check(&ok[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hsr_format_check(&bad[i]), -HSR_ERR_INVALID);
	assert_int_equal(hsr_format_check(NULL), -HSR_ERR_INVALID);
	assert_int_equal(hsr_format_clock(&ok[0]), 8000);
	assert_int_equal(hsr_format_clock(&ok[3]), 48000);
	assert_int_equal(hsr_format_wire_frame(&ok[1]), 32);
	assert_int_equal(hsr_format_wire_frame(&ok[2]), 6);
	assert_int_equal(hsr_format_wire_frame(&ok[3]), 0);
}

static void test_payload_types(void **state)
{
	const hsr_format st = {HSR_L16, 2, 44100}, mono = {HSR_L16, 1, 44100};
	const hsr_format l24 = {HSR_L24, 2, 44100};

	/* RFC 3551: 10 is L16/44100/2, 11 L16/44100/1, nothing else. */
	assert_int_equal(hsr_pt_check(10, &st), 0);
	assert_int_equal(hsr_pt_check(11, &mono), 0);
	assert_int_equal(hsr_pt_check(10, &mono), -HSR_ERR_INVALID);
	assert_int_equal(hsr_pt_check(11, &st), -HSR_ERR_INVALID);
	assert_int_equal(hsr_pt_check(10, &l24), -HSR_ERR_INVALID);
	assert_int_equal(hsr_pt_check(10, &l16_48k2), -HSR_ERR_INVALID);
	assert_int_equal(hsr_pt_check(0, &st), -HSR_ERR_INVALID);
	assert_int_equal(hsr_pt_check(95, &st), -HSR_ERR_INVALID);
	assert_int_equal(hsr_pt_check(96, &l24), 0);
	assert_int_equal(hsr_pt_check(127, &l24), 0);
	assert_int_equal(hsr_pt_check(128, &l24), -HSR_ERR_INVALID);
}

static void test_clocks(void **state)
{
	/* 1970 is 2208988800 s = 0x83AA7E80 after 1900. */
	assert_int_equal(hsr_ntp_from_ns(0), 0x83AA7E8000000000ull);
	/* Half a second is a fraction of 2^31. */
	assert_int_equal(hsr_ntp_from_ns(1500000000ull), 0x83AA7E8180000000ull);
	/* 1 ns is 4.29 units of 2^-32 s: truncated to 4. */
	assert_int_equal(hsr_ntp_from_ns(1), 0x83AA7E8000000004ull);
	/* The last ns of a second stays in it. */
	assert_int_equal(hsr_ntp_from_ns(999999999ull) >> 32, 0x83AA7E80u);
	/* The middle 32 bits: low 16 of the seconds, high 16 of the
	 * fraction. */
	assert_int_equal(hsr_ntp_mid(0x83AA7E8180000000ull), 0x7E818000u);

	assert_int_equal(hsr_ticks_from_ns(1000000000ull, 48000), 48000);
	/* A 48 kHz tick is 20833.3 ns. */
	assert_int_equal(hsr_ticks_from_ns(20833, 48000), 0);
	assert_int_equal(hsr_ticks_from_ns(20834, 48000), 1);
	/* 10^14 ns at 48 kHz: 4.8 x 10^9 ticks, less 2^32 = 505032704. */
	assert_int_equal(hsr_ticks_from_ns(100000000000000ull, 48000), 505032704u);

	assert_int_equal(hsr_mid_from_ns(1500000000ull), 0x18000u);
	assert_int_equal(hsr_mid_from_ns(65536000000000ull), 0xffffffffu);
}

static void test_err_names(void **state)
{
	assert_string_equal(hsr_err_name(-HSR_ERR_PADDING), "HSR_ERR_PADDING");
	assert_string_equal(hsr_err_name(HSR_ERR_RANDOM), "HSR_ERR_RANDOM");
	assert_string_equal(hsr_err_name(0), "HSR_OK");
	assert_string_equal(hsr_err_name(99), "HSR_ERR_UNKNOWN");
	assert_string_equal(hsr_err_name(-99), "HSR_ERR_UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_header_full_parse),
		cmocka_unit_test(test_header_full_pack),
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_header_pack_errors),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_sender_sequence),
		cmocka_unit_test(test_sender_opus_clock),
		cmocka_unit_test(test_sender_random),
		cmocka_unit_test(test_sender_packet),
		cmocka_unit_test(test_packetize_pcm),
		cmocka_unit_test(test_packetize_opus),
		cmocka_unit_test(test_packetize_invalid),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_payload_types),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
