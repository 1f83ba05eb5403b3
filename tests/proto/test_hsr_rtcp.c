/* SPDX-License-Identifier: MIT */
/*
 * librtp, RTCP: SR, RR, SDES CNAME, BYE, APP and HDAS packets against
 * bytes laid out by hand from RFC 3550 6.4 - 6.7 and PROTOCOL.md; compound
 * packets built and walked back; and the validity checks of RFC 3550 A.2
 * refusing what they must.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "testmd.h"

#include "hsr_rtcp.h"

/* An SR with one report block, then SDES CNAME "ab", then BYE "bye". */
static const uint8_t compound[] = {
	/* SR: V=2 P=0 RC=1 (0x81), PT 200 (0xC8), length (28 + 24) / 4 - 1
	 * = 12. */
	0x81, 0xC8, 0x00, 0x0C,
	0x11, 0x22, 0x33, 0x44,                         /* sender SSRC */
	0x83, 0xAA, 0x7E, 0x81, 0x80, 0x00, 0x00, 0x00, /* NTP 1970 + 1.5 s */
	0x00, 0x01, 0x00, 0x00,                         /* RTP ts 65536 */
	0x00, 0x00, 0x00, 0x0A,                         /* 10 packets */
	0x00, 0x00, 0x2E, 0xE0,                         /* 12000 octets */
	/* the report block */
	0x55, 0x66, 0x77, 0x88, /* SSRC */
	0x40,                   /* fraction 64/256 */
	0xFF, 0xFF, 0xFE,       /* cumulative lost -2, 24-bit two's complement */
	0x00, 0x01, 0xFF, 0xFF, /* extended highest seq: 1 cycle, 65535 */
	0x00, 0x00, 0x00, 0x20, /* jitter 32 */
	0x7E, 0x81, 0x80, 0x00, /* LSR */
	0x00, 0x01, 0x80, 0x00, /* DLSR 1.5 s */
	/* SDES: SC=1 (0x81), PT 202 (0xCA), 16 bytes: length 3. */
	0x81, 0xCA, 0x00, 0x03,
	0x11, 0x22, 0x33, 0x44,
	0x01, 0x02, 'a', 'b', /* CNAME, 2 bytes */
	0x00, 0x00, 0x00, 0x00, /* END and null octets to the word */
	/* BYE: SC=1, PT 203 (0xCB), 12 bytes: length 2. */
	0x81, 0xCB, 0x00, 0x02,
	0x11, 0x22, 0x33, 0x44,
	0x03, 'b', 'y', 'e', /* reason, 3 bytes, fills the word */
};

static const hsr_rtcp_sr sr_info = {
	.ssrc = 0x11223344, .ntp = 0x83AA7E8180000000ull, .rtp_ts = 65536,
	.packets = 10, .octets = 12000,
};
static const hsr_report_block block = {
	.ssrc = 0x55667788, .fraction = 64, .lost = -2, .ext_max_seq = 0x1FFFF,
	.jitter = 32, .lsr = 0x7E818000, .dlsr = 0x18000,
};

/* Field by field: the struct has padding after `fraction`. */
static void assert_block(const hsr_report_block *a, const hsr_report_block *b)
{
	assert_int_equal(a->ssrc, b->ssrc);
	assert_int_equal(a->fraction, b->fraction);
	assert_int_equal(a->lost, b->lost);
	assert_int_equal(a->ext_max_seq, b->ext_max_seq);
	assert_int_equal(a->jitter, b->jitter);
	assert_int_equal(a->lsr, b->lsr);
	assert_int_equal(a->dlsr, b->dlsr);
}

static void test_build_compound(void **state)
{
	uint8_t buf[256];
	hsr_rtcp_writer w;
	uint32_t ssrc = 0x11223344;

	memset(buf, 0xAA, sizeof(buf));
	hsr_rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(hsr_rtcp_write_sr(&w, &sr_info, &block, 1), 0);
	assert_int_equal(hsr_rtcp_write_cname(&w, ssrc, "ab"), 0);
	assert_int_equal(hsr_rtcp_write_bye(&w, &ssrc, 1, "bye"), 0);
	assert_int_equal(w.len, sizeof(compound));
	assert_memory_equal(buf, compound, sizeof(compound));
	assert_int_equal(buf[sizeof(compound)], 0xAA);
}

static void test_parse_compound(void **state)
{
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;
	hsr_report_block b;
	hsr_sdes_iter si;
	hsr_sdes_item item;

	assert_int_equal(hsr_rtcp_iter_init(&it, compound, sizeof(compound)), 0);

	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_SR);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.sr.ssrc, sr_info.ssrc);
	assert_int_equal(p.sr.ntp, sr_info.ntp);
	assert_int_equal(p.sr.rtp_ts, sr_info.rtp_ts);
	assert_int_equal(p.sr.packets, 10);
	assert_int_equal(p.sr.octets, 12000);
	hsr_rtcp_block(&p, 0, &b);
	assert_block(&b, &block);

	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_SDES);
	hsr_sdes_iter_init(&si, &p);
	assert_int_equal(hsr_sdes_next(&si, &item), 1);
	assert_int_equal(item.ssrc, 0x11223344);
	assert_int_equal(item.type, HSR_SDES_CNAME);
	assert_int_equal(item.len, 2);
	assert_memory_equal(item.data, "ab", 2);
	assert_int_equal(hsr_sdes_next(&si, &item), 0);

	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_BYE);
	assert_int_equal(p.count, 1);
	assert_int_equal(hsr_rtcp_bye_ssrc(&p, 0), 0x11223344);
	assert_int_equal(p.reason_len, 3);
	assert_memory_equal(p.reason, "bye", 3);

	assert_int_equal(hsr_rtcp_next(&it, &p), 0);
	assert_int_equal(hsr_rtcp_next(&it, &p), 0);
}

/* RR with two blocks, BYE without reason, by hand. */
static void test_rr_and_bare_bye(void **state)
{
	static const uint8_t want[] = {
		/* RR: RC=2 (0x82), PT 201 (0xC9), 8 + 48 = 56 bytes: 13. */
		0x82, 0xC9, 0x00, 0x0D,
		0xAA, 0xAA, 0xAA, 0xAA,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* SSRC 1, none lost */
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x02, 0xFF, 0x7F, 0xFF, 0xFF, /* SSRC 2: 255/256,
								   lost 2^23 - 1 */
		0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07,
		0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09,
		/* BYE: SC=2, no reason: 12 bytes, length 2. */
		0x82, 0xCB, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	};
	const hsr_report_block blocks[2] = {
		{.ssrc = 1, .ext_max_seq = 5},
		{.ssrc = 2, .fraction = 255, .lost = 0x7fffff, .ext_max_seq = 6,
		 .jitter = 7, .lsr = 8, .dlsr = 9},
	};
	const uint32_t ssrcs[2] = {1, 2};
	uint8_t buf[128];
	hsr_rtcp_writer w;
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;
	hsr_report_block b;

	hsr_rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(hsr_rtcp_write_rr(&w, 0xAAAAAAAA, blocks, 2), 0);
	assert_int_equal(hsr_rtcp_write_bye(&w, ssrcs, 2, NULL), 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	assert_int_equal(hsr_rtcp_iter_init(&it, want, sizeof(want)), 0);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_RR);
	assert_int_equal(p.sr.ssrc, 0xAAAAAAAA);
	for (unsigned i = 0; i < 2; i++) {
		hsr_rtcp_block(&p, i, &b);
		assert_block(&b, &blocks[i]);
	}
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_BYE);
	assert_int_equal(p.count, 2);
	assert_int_equal(hsr_rtcp_bye_ssrc(&p, 1), 2);
	assert_int_equal(p.reason_len, 0);
	assert_null(p.reason);
	assert_int_equal(hsr_rtcp_next(&it, &p), 0);
}

/* The cumulative loss is 24-bit signed: its bounds, and past them. */
static void test_lost_bounds(void **state)
{
	hsr_report_block b[2] = {{.lost = -0x800000}, {.lost = 0x7fffff}};
	uint8_t buf[128];
	hsr_rtcp_writer w;
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;
	hsr_report_block got;

	hsr_rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(hsr_rtcp_write_rr(&w, 1, b, 2), 0);
	/* -2^23: 0x800000 in the block's bytes 5..7. */
	assert_int_equal(buf[8 + 5], 0x80);
	assert_int_equal(buf[8 + 6], 0x00);
	assert_int_equal(hsr_rtcp_iter_init(&it, buf, w.len), 0);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	hsr_rtcp_block(&p, 0, &got);
	assert_int_equal(got.lost, -0x800000);
	hsr_rtcp_block(&p, 1, &got);
	assert_int_equal(got.lost, 0x7fffff);
	b[0].lost = 0x800000;
	assert_int_equal(hsr_rtcp_write_rr(&w, 1, b, 1), -HSR_ERR_INVALID);
	b[0].lost = -0x800001;
	assert_int_equal(hsr_rtcp_write_rr(&w, 1, b, 1), -HSR_ERR_INVALID);
}

/* The HDAS APP packet, by PROTOCOL.md's table. */
static const uint8_t hdas_pkt[] = {
	/* V=2 P=0 subtype 0 (0x80), PT 204 (0xCC), 60 bytes: length 14. */
	0x80, 0xCC, 0x00, 0x0E,
	0x11, 0x22, 0x33, 0x44, /* SSRC */
	'H', 'D', 'A', 'S',
	0x12, 0x34, 0x56, 0x78,                         /* 0 rtp_ts */
	0x00, 0x00, 0x00, 0x40,                         /* 4 fifo_frames 64 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xBB, 0x80, /* 8 link_frames 48000 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xBB, 0xC0, /* 16 dma_frames 48064 */
	0x00, 0x00, 0x00, 0x00, 0x01, 0x6E, 0x64, 0xE0, /* 24 wall_ticks 24012000 */
	0x83, 0xAA, 0x7E, 0x81, 0x80, 0x00, 0x00, 0x00, /* 32 ntp */
	0x00, 0x00, 0xBB, 0x80,                         /* 40 rate 48000 */
	0x00, 0x06,                                     /* 44 flags: CAPTURE|RTP_TS */
	0x00, 0x00,                                     /* 46 reserved */
};

static const hsr_hdas hdas = {
	.rtp_ts = 0x12345678, .fifo_frames = 64, .link_frames = 48000,
	.dma_frames = 48064, .wall_ticks = 24012000,
	.ntp = 0x83AA7E8180000000ull, .rate = 48000,
	.flags = HSR_HDAS_CAPTURE | HSR_HDAS_RTP_TS,
};

static void test_hdas(void **state)
{
	uint8_t buf[128];
	hsr_rtcp_writer w;
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;
	hsr_hdas got;
	size_t rr;

	hsr_rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(hsr_rtcp_write_rr(&w, 0x11223344, NULL, 0), 0);
	rr = w.len;
	assert_int_equal(rr, 8);
	assert_int_equal(hsr_rtcp_write_hdas(&w, 0x11223344, &hdas), 0);
	assert_int_equal(w.len - rr, sizeof(hdas_pkt));
	assert_memory_equal(buf + rr, hdas_pkt, sizeof(hdas_pkt));

	assert_int_equal(hsr_rtcp_iter_init(&it, buf, w.len), 0);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(hsr_rtcp_read_hdas(&p, &got), -HSR_ERR_UNSUPPORTED);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_APP);
	assert_string_equal(p.app_name, "HDAS");
	assert_int_equal(p.sr.ssrc, 0x11223344);
	assert_int_equal(p.app_len, HSR_HDAS_DATA);
	assert_int_equal(hsr_rtcp_read_hdas(&p, &got), 0);
	assert_int_equal(got.rtp_ts, hdas.rtp_ts);
	assert_int_equal(got.fifo_frames, hdas.fifo_frames);
	assert_int_equal(got.link_frames, hdas.link_frames);
	assert_int_equal(got.dma_frames, hdas.dma_frames);
	assert_int_equal(got.wall_ticks, hdas.wall_ticks);
	assert_int_equal(got.ntp, hdas.ntp);
	assert_int_equal(got.rate, hdas.rate);
	assert_int_equal(got.flags, hdas.flags);

	/* Another subtype or name: not ours.  A reserved field or a flag
	 * we do not know: malformed.  Each change made in a copy of the
	 * bytes above, behind the empty RR. */
	{
		uint8_t b[8 + sizeof(hdas_pkt)];
		static const struct { size_t off; uint8_t v; int want; } cases[] = {
			{0, 0x81, -HSR_ERR_UNSUPPORTED},  /* subtype 1 */
			{8, 'h', -HSR_ERR_UNSUPPORTED},   /* name "hDAS" */
			{12 + 47, 1, -HSR_ERR_MALFORMED}, /* reserved */
			{12 + 45, 0x08, -HSR_ERR_MALFORMED}, /* flag bit 3 */
			{12 + 45, 0x07, 0},               /* all known flags */
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			memcpy(b, buf, 8);
			memcpy(b + 8, hdas_pkt, sizeof(hdas_pkt));
			b[8 + cases[i].off] = cases[i].v;
			assert_int_equal(hsr_rtcp_iter_init(&it, b, sizeof(b)), 0);
			hsr_rtcp_next(&it, &p);
			assert_int_equal(hsr_rtcp_next(&it, &p), 1);
			assert_int_equal(hsr_rtcp_read_hdas(&p, &got), cases[i].want);
		}
		/* 4 bytes short of 48: length 13, the compound cut to fit. */
		memcpy(b, buf, 8);
		memcpy(b + 8, hdas_pkt, sizeof(hdas_pkt));
		b[8 + 3] = 13;
		assert_int_equal(hsr_rtcp_iter_init(&it, b, sizeof(b) - 4), 0);
		hsr_rtcp_next(&it, &p);
		assert_int_equal(hsr_rtcp_next(&it, &p), 1);
		assert_int_equal(hsr_rtcp_read_hdas(&p, &got), -HSR_ERR_MALFORMED);
	}
	{
		hsr_hdas bad = hdas;

		bad.flags = 0x8;
		assert_int_equal(hsr_rtcp_write_hdas(&w, 1, &bad), -HSR_ERR_INVALID);
	}
}

static void test_app_generic(void **state)
{
	static const uint8_t want[] = {
		/* subtype 5 (0x85), PT 204, 16 bytes: length 3 */
		0x85, 0xCC, 0x00, 0x03, 0x00, 0x00, 0x00, 0x09,
		'T', 'E', 'S', 'T', 0xDE, 0xAD, 0xBE, 0xEF,
	};
	static const uint8_t data[4] = {0xDE, 0xAD, 0xBE, 0xEF};
	uint8_t buf[64];
	hsr_rtcp_writer w;

	hsr_rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(hsr_rtcp_write_rr(&w, 9, NULL, 0), 0);
	assert_int_equal(hsr_rtcp_write_app(&w, 5, 9, "TEST", data, 4), 0);
	assert_memory_equal(buf + 8, want, sizeof(want));
	assert_int_equal(hsr_rtcp_write_app(&w, 32, 9, "TEST", data, 4), -HSR_ERR_INVALID);
	assert_int_equal(hsr_rtcp_write_app(&w, 5, 9, "TEST", data, 3), -HSR_ERR_INVALID);
}

/* The writer: an SR or RR first, nothing half-written when full, limits
 * on counts and texts. */
static void test_writer_rules(void **state)
{
	hsr_report_block blocks[32] = {{0}};
	uint32_t ssrcs[32] = {0};
	char long_text[300];
	uint8_t buf[2048];
	hsr_rtcp_writer w;

	hsr_rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(hsr_rtcp_write_cname(&w, 1, "x"), -HSR_ERR_TYPE);
	assert_int_equal(hsr_rtcp_write_bye(&w, ssrcs, 1, NULL), -HSR_ERR_TYPE);
	assert_int_equal(hsr_rtcp_write_app(&w, 0, 1, "TEST", NULL, 0), -HSR_ERR_TYPE);
	assert_int_equal(hsr_rtcp_write_sr(&w, &sr_info, blocks, 32), -HSR_ERR_INVALID);
	assert_int_equal(hsr_rtcp_write_sr(&w, &sr_info, blocks, 31), 0);
	assert_int_equal(w.len, 28 + 31 * 24);
	assert_int_equal(hsr_rtcp_write_bye(&w, ssrcs, 32, NULL), -HSR_ERR_INVALID);
	assert_int_equal(hsr_rtcp_write_cname(&w, 1, ""), -HSR_ERR_INVALID);
	memset(long_text, 'x', sizeof(long_text));
	long_text[256] = 0;
	assert_int_equal(hsr_rtcp_write_cname(&w, 1, long_text), -HSR_ERR_INVALID);
	assert_int_equal(hsr_rtcp_write_bye(&w, ssrcs, 0, long_text), -HSR_ERR_INVALID);
	long_text[255] = 0;
	assert_int_equal(hsr_rtcp_write_cname(&w, 1, long_text), 0);

	/* Every size short of an SR + CNAME + BYE compound: each call fits
	 * whole or leaves the compound as it was. */
	for (size_t cap = 0; cap < sizeof(compound); cap++) {
		uint32_t ssrc = 0x11223344;
		size_t before;

		memset(buf, 0xAA, sizeof(buf));
		hsr_rtcp_writer_init(&w, buf, cap);
		if (hsr_rtcp_write_sr(&w, &sr_info, &block, 1) == 0 &&
		    hsr_rtcp_write_cname(&w, ssrc, "ab") == 0) {
			before = w.len;
			assert_int_equal(hsr_rtcp_write_bye(&w, &ssrc, 1, "bye"),
					 -HSR_ERR_NO_SPACE);
			assert_int_equal(w.len, before);
		}
		assert_true(w.len <= cap);
		assert_int_equal(buf[cap], 0xAA);
		if (w.len) {
			hsr_rtcp_iter it;

			assert_int_equal(hsr_rtcp_iter_init(&it, buf, w.len), 0);
		}
	}
}

/* ---- Malformed compounds (RFC 3550 A.2) ----------------------------------- */

static int parse(const uint8_t *b, size_t len)
{
	hsr_rtcp_iter it;

	return hsr_rtcp_iter_init(&it, b, len);
}

static void test_malformed(void **state)
{
	uint8_t b[sizeof(compound) + 8];

	for (size_t n = 0; n < 4; n++)
		assert_int_equal(parse(compound, n), -HSR_ERR_SHORT);
	/* Cut anywhere but at a packet's end: the lengths do not add up. */
	for (size_t n = 4; n < sizeof(compound); n++) {
		int rc = parse(compound, n);

		if (n == 52 || n == 68)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, -HSR_ERR_LENGTH);
	}
	/* Bytes after the last packet. */
	memcpy(b, compound, sizeof(compound));
	memset(b + sizeof(compound), 0, 8);
	assert_int_equal(parse(b, sizeof(compound) + 2), -HSR_ERR_LENGTH);
	/* Version 1 in the first packet, and in the second. */
	memcpy(b, compound, sizeof(compound));
	b[0] = 0x41;
	assert_int_equal(parse(b, sizeof(compound)), -HSR_ERR_VERSION);
	memcpy(b, compound, sizeof(compound));
	b[52] = 0xC1; /* V=3 */
	assert_int_equal(parse(b, sizeof(compound)), -HSR_ERR_VERSION);
	/* Led by SDES (the SR's bytes skipped). */
	assert_int_equal(parse(compound + 52, sizeof(compound) - 52), -HSR_ERR_TYPE);
	/* An SR that claims 2 blocks in a length for 1. */
	memcpy(b, compound, sizeof(compound));
	b[0] = 0x82;
	assert_int_equal(parse(b, sizeof(compound)), -HSR_ERR_LENGTH);
	/* An RR whose length is too short for its block: RC=1, length 1. */
	{
		static const uint8_t rr[] = {0x81, 0xC9, 0x00, 0x01, 0, 0, 0, 1};

		assert_int_equal(parse(rr, sizeof(rr)), -HSR_ERR_LENGTH);
	}
	/* A BYE with SC=3 in a length for one SSRC and its reason. */
	memcpy(b, compound, sizeof(compound));
	b[68] = 0x83; /* 12 bytes of SSRC in 8 */
	assert_int_equal(parse(b, sizeof(compound)), -HSR_ERR_LENGTH);
	/* The BYE reason's length byte says 4: one past the packet. */
	memcpy(b, compound, sizeof(compound));
	b[76] = 4;
	assert_int_equal(parse(b, sizeof(compound)), -HSR_ERR_MALFORMED);
	/* The SR alone (52 bytes) with its length field one word too long,
	 * far too long, and one word too short for its block. */
	memcpy(b, compound, sizeof(compound));
	assert_int_equal(parse(b, 52), 0);
	b[3] = 13;
	assert_int_equal(parse(b, 52), -HSR_ERR_LENGTH);
	b[3] = 0xFF;
	assert_int_equal(parse(b, 52), -HSR_ERR_LENGTH);
	b[3] = 11;
	assert_int_equal(parse(b, 48), -HSR_ERR_LENGTH);
	/* Too long by a word inside a compound: the next "packet" starts
	 * in the middle of the SDES, at its SSRC, whose top bits are not
	 * version 2. */
	b[3] = 13;
	assert_int_equal(parse(b, sizeof(compound)), -HSR_ERR_VERSION);
}

static void test_malformed_sdes(void **state)
{
	/* An empty RR, then an SDES packet whose chunk is varied. */
	uint8_t b[8 + 16];
	static const uint8_t base[] = {
		0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1,
		0x81, 0xCA, 0x00, 0x03, 0, 0, 0, 1,
		0x01, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00,
	};

	memcpy(b, base, sizeof(b));
	assert_int_equal(parse(b, sizeof(b)), 0);
	/* The item's length 7: past the packet (the END byte gone). */
	b[17] = 7;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_MALFORMED);
	/* Length 6: the text fills the chunk, no END byte. */
	b[17] = 6;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_MALFORMED);
	/* A non-null byte after END. */
	memcpy(b, base, sizeof(b));
	b[22] = 1;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_MALFORMED);
	/* SC=2 with one chunk. */
	memcpy(b, base, sizeof(b));
	b[8] = 0x82;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_MALFORMED);
	/* SC=0 with a chunk: bytes the count does not admit. */
	b[8] = 0x80;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_MALFORMED);
	/* SC=0 and no body: fine. */
	b[11] = 0;
	assert_int_equal(parse(b, 12), 0);
}

static void test_padding(void **state)
{
	/* RR, then a BYE padded with 4 bytes (count 4 in its last byte). */
	static const uint8_t good[] = {
		0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1,
		0xA1, 0xCB, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4,
	};
	uint8_t b[sizeof(good)];
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;

	assert_int_equal(hsr_rtcp_iter_init(&it, good, sizeof(good)), 0);
	hsr_rtcp_next(&it, &p);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, HSR_RTCP_BYE);
	assert_int_equal(p.pad_len, 4);
	assert_int_equal(p.body_len, 4);
	assert_int_equal(p.reason_len, 0);
	/* Count 0, and counts past the BYE's 8-byte body. */
	memcpy(b, good, sizeof(b));
	b[19] = 0;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_PADDING);
	b[19] = 9;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_PADDING);
	/* Padding eating the SSRC the count needs: a length error. */
	b[19] = 8;
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_LENGTH);
	/* P on the first packet, even well formed. */
	memcpy(b, good, sizeof(b));
	b[0] |= 0x20;
	b[7] = 4; /* the RR's last byte as a count of 4 */
	assert_int_equal(parse(b, sizeof(b)), -HSR_ERR_PADDING);
	/* P on a lone RR, first and last at once: still the first. */
	{
		static const uint8_t lone[] = {
			0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4,
		};

		assert_int_equal(parse(lone, sizeof(lone)), -HSR_ERR_PADDING);
	}
	/* P on a packet that is not the last: the RR then a BYE, P on a
	 * middle BYE. */
	{
		static const uint8_t mid[] = {
			0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1,
			0xA1, 0xCB, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4,
			0x81, 0xCB, 0x00, 0x01, 0, 0, 0, 2,
		};

		assert_int_equal(parse(mid, sizeof(mid)), -HSR_ERR_PADDING);
	}
}

/* Types this library does not read (XR, 207) pass through as bodies. */
static void test_unknown_type(void **state)
{
	static const uint8_t b[] = {
		0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1,
		0x80, 0xCF, 0x00, 0x02, 0, 0, 0, 1, 0xAB, 0xCD, 0xEF, 0x01,
	};
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;

	assert_int_equal(hsr_rtcp_iter_init(&it, b, sizeof(b)), 0);
	hsr_rtcp_next(&it, &p);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	assert_int_equal(p.type, 207);
	assert_int_equal(p.body_len, 8);
	assert_ptr_equal(p.body, b + 12);
	assert_int_equal(hsr_rtcp_next(&it, &p), 0);
}

/* SDES with two chunks and several items each. */
static void test_sdes_items(void **state)
{
	static const uint8_t b[] = {
		0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1,
		/* SC=2, 4 + 12 + 12 = 28 bytes: length 6 */
		0x82, 0xCA, 0x00, 0x06,
		0, 0, 0, 1, 1, 1, 'x', 2, 1, 'y', 0, 0,     /* CNAME x, NAME y */
		0, 0, 0, 2, 1, 5, 'h', 'e', 'l', 'l', 'o', 0, /* CNAME hello */
	};
	hsr_rtcp_iter it;
	hsr_rtcp_packet p;
	hsr_sdes_iter si;
	hsr_sdes_item item;

	assert_int_equal(hsr_rtcp_iter_init(&it, b, sizeof(b)), 0);
	hsr_rtcp_next(&it, &p);
	assert_int_equal(hsr_rtcp_next(&it, &p), 1);
	hsr_sdes_iter_init(&si, &p);
	assert_int_equal(hsr_sdes_next(&si, &item), 1);
	assert_int_equal(item.ssrc, 1);
	assert_int_equal(item.type, 1);
	assert_int_equal(item.data[0], 'x');
	assert_int_equal(hsr_sdes_next(&si, &item), 1);
	assert_int_equal(item.ssrc, 1);
	assert_int_equal(item.type, 2);
	assert_int_equal(item.data[0], 'y');
	assert_int_equal(hsr_sdes_next(&si, &item), 1);
	assert_int_equal(item.ssrc, 2);
	assert_int_equal(item.len, 5);
	assert_memory_equal(item.data, "hello", 5);
	assert_int_equal(hsr_sdes_next(&si, &item), 0);
	/* Not an SDES packet: no items. */
	{
		hsr_rtcp_packet rr;

		hsr_rtcp_iter_init(&it, b, sizeof(b));
		hsr_rtcp_next(&it, &rr);
		hsr_sdes_iter_init(&si, &rr);
		assert_int_equal(hsr_sdes_next(&si, &item), 0);
	}
}

static void test_mux_and_rtt(void **state)
{
	static const uint8_t rtp[] = {0x80, 0xE0};  /* M=1 PT=96 */
	static const uint8_t rtp95[] = {0x80, 0xDF}; /* M=1 PT=95: 223 */
	static const uint8_t sr[] = {0x80, 0xC8};
	static const uint8_t rtp63[] = {0x80, 0xBF}; /* M=1 PT=63: 191 */
	hsr_report_block b = {.lsr = 0x7E818000, .dlsr = 0x18000};

	assert_false(hsr_rtcp_is_rtcp(rtp, 2));
	assert_true(hsr_rtcp_is_rtcp(rtp95, 2));
	assert_true(hsr_rtcp_is_rtcp(sr, 2));
	assert_false(hsr_rtcp_is_rtcp(rtp63, 2));
	assert_false(hsr_rtcp_is_rtcp(sr, 1));

	/* Back 1/32 s (0x800) after LSR + DLSR. */
	assert_int_equal(hsr_rtcp_rtt(0x7E818000u + 0x18000u + 0x800u, &b), 0x800);
	/* Before LSR + DLSR: time ran backwards. */
	assert_int_equal(hsr_rtcp_rtt(0x7E818000u + 0x17000u, &b), 0);
	assert_int_equal(hsr_rtcp_rtt(0x7E810000u, &b), 0);
	/* No SR yet. */
	b.lsr = 0;
	assert_int_equal(hsr_rtcp_rtt(0x7E818000u, &b), 0);
	/* Across the 16.16 wrap. */
	b.lsr = 0xFFFFF000u;
	b.dlsr = 0x800;
	assert_int_equal(hsr_rtcp_rtt(0x00000400u, &b), 0xC00);
}

/* The hex dumps of PROTOCOL.md's "RTP and RTCP" section are the bytes
 * above, in this order: a change to the document's bytes fails here until
 * the code agrees. */
static void test_document_dumps(void **state)
{
	static const md_dump want[] = {
		{compound, sizeof(compound)}, {hdas_pkt, sizeof(hdas_pkt)},
	};
	const char *path = getenv("HSR_PROTOCOL_MD");
	size_t bad;
	long found;

	(void)state;
	assert_non_null(path);
	found = md_check_dumps(path, "## RTP and RTCP", NULL, want, sizeof(want) / sizeof(want[0]),
			       &bad);
	if (found < 0)
		fail_msg("cannot open %s", path);
	if (bad)
		fail_msg("dump %zu of the RTP section differs from the test's bytes", bad);
	assert_int_equal(found, sizeof(want) / sizeof(want[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_compound),
		cmocka_unit_test(test_parse_compound),
		cmocka_unit_test(test_rr_and_bare_bye),
		cmocka_unit_test(test_lost_bounds),
		cmocka_unit_test(test_hdas),
		cmocka_unit_test(test_app_generic),
		cmocka_unit_test(test_writer_rules),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_sdes),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_sdes_items),
		cmocka_unit_test(test_mux_and_rtt),
		cmocka_unit_test(test_document_dumps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
