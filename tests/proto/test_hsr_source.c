/* SPDX-License-Identifier: MIT */
/*
 * librtp, the receiving side: RFC 3550 A.1 sequence validation
 * (probation, wraparound, reordering, duplicates, jumps and restarts), A.3
 * loss counts and fraction, A.8 jitter against values worked by hand, and
 * the report block with LSR and DLSR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsr_source.h"

/* Packets 160 ticks apart, arriving on time: jitter stays 0. */
static hsr_seq_verdict feed(hsr_source *s, uint16_t seq)
{
	return hsr_source_update(s, seq, (uint32_t)seq * 160u,
				 (uint32_t)seq * 160u + 1000u);
}

static void test_probation(void **state)
{
	hsr_source s;
	hsr_report_block b;

	hsr_source_init(&s, 0xABCD);
	assert_false(hsr_source_valid(&s));
	assert_int_equal(hsr_source_report(&s, 0, &b), -HSR_ERR_INVALID);
	/* MIN_SEQUENTIAL = 2: the first packet is on probation, the second
	 * in sequence makes the source valid and is the first counted. */
	assert_int_equal(feed(&s, 100), HSR_SEQ_PROBATION);
	assert_false(hsr_source_valid(&s));
	assert_int_equal(hsr_source_report(&s, 0, &b), -HSR_ERR_INVALID);
	assert_int_equal(feed(&s, 101), HSR_SEQ_NEXT);
	assert_true(hsr_source_valid(&s));
	assert_int_equal(s.received, 1);
	assert_int_equal(s.base_seq, 101);
	assert_int_equal(hsr_source_lost(&s), 0);

	/* Out of sequence during probation starts it over (from one
	 * packet: the one that broke the sequence counts as the first). */
	hsr_source_init(&s, 1);
	assert_int_equal(feed(&s, 100), HSR_SEQ_PROBATION);
	assert_int_equal(feed(&s, 105), HSR_SEQ_PROBATION);
	assert_int_equal(feed(&s, 107), HSR_SEQ_PROBATION);
	assert_int_equal(feed(&s, 108), HSR_SEQ_NEXT);
	assert_int_equal(s.base_seq, 108);
	assert_int_equal(s.received, 1);
	/* A repeat during probation is out of sequence too. */
	hsr_source_init(&s, 1);
	assert_int_equal(feed(&s, 5), HSR_SEQ_PROBATION);
	assert_int_equal(feed(&s, 5), HSR_SEQ_PROBATION);
	assert_int_equal(feed(&s, 6), HSR_SEQ_NEXT);
}

static void test_wraparound(void **state)
{
	hsr_source s;

	hsr_source_init(&s, 1);
	assert_int_equal(feed(&s, 65534), HSR_SEQ_PROBATION);
	assert_int_equal(feed(&s, 65535), HSR_SEQ_NEXT);
	assert_int_equal(feed(&s, 0), HSR_SEQ_NEXT);
	assert_int_equal(s.cycles, 65536);
	assert_int_equal(feed(&s, 1), HSR_SEQ_NEXT);
	/* Extended: one cycle, then 1. */
	assert_int_equal(hsr_source_ext_max(&s), 65537);
	/* Expected 65537 - 65535 + 1 = 3, all three received. */
	assert_int_equal(hsr_source_lost(&s), 0);
	/* A late 65535 after the wrap is reordering, not a new cycle. */
	assert_int_equal(feed(&s, 65535), HSR_SEQ_DUPLICATE);
	assert_int_equal(s.cycles, 65536);
	/* Loss across the wrap: 65535 -> 2 with 0 and 1 missing. */
	hsr_source_init(&s, 1);
	feed(&s, 65534);
	feed(&s, 65535);
	assert_int_equal(feed(&s, 2), HSR_SEQ_NEXT);
	assert_int_equal(hsr_source_ext_max(&s), 65536 + 2);
	assert_int_equal(hsr_source_lost(&s), 2);
	/* ...and one of them arriving late. */
	assert_int_equal(feed(&s, 0), HSR_SEQ_LATE);
	assert_int_equal(hsr_source_lost(&s), 1);
	assert_int_equal(s.cycles, 65536);
}

static void test_reorder_and_duplicates(void **state)
{
	hsr_source s;
	uint32_t received;

	hsr_source_init(&s, 1);
	feed(&s, 10);
	assert_int_equal(feed(&s, 11), HSR_SEQ_NEXT);
	assert_int_equal(feed(&s, 13), HSR_SEQ_NEXT);
	assert_int_equal(hsr_source_lost(&s), 1);
	assert_int_equal(feed(&s, 12), HSR_SEQ_LATE);
	assert_int_equal(hsr_source_lost(&s), 0);
	assert_int_equal(feed(&s, 14), HSR_SEQ_NEXT);
	assert_int_equal(s.late, 1);
	/* The newest again, and an older one again: duplicates, counted
	 * in `received` as A.1 does, so the loss goes negative. */
	assert_int_equal(feed(&s, 14), HSR_SEQ_DUPLICATE);
	assert_int_equal(feed(&s, 12), HSR_SEQ_DUPLICATE);
	assert_int_equal(s.duplicates, 2);
	assert_int_equal(hsr_source_lost(&s), -2);
	assert_int_equal(s.received, 6);
	assert_int_equal(hsr_source_ext_max(&s), 14);
	/* 99 back is still reordering, beyond the 64 the window
	 * remembers: LATE even if it were a duplicate. */
	for (uint16_t q = 15; q <= 120; q++)
		assert_int_equal(feed(&s, q), HSR_SEQ_NEXT);
	assert_int_equal(feed(&s, 21), HSR_SEQ_LATE);
	assert_int_equal(feed(&s, 57), HSR_SEQ_DUPLICATE); /* 63 back */
	assert_int_equal(feed(&s, 56), HSR_SEQ_LATE);      /* 64 back */
	/* MAX_MISORDER = 100 back is a jump (A.1: udelta <= 2^16 - 100),
	 * not counted. */
	received = s.received;
	assert_int_equal(feed(&s, 20), HSR_SEQ_BAD);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.received, received);
}

static void test_jumps_and_restart(void **state)
{
	hsr_source s;
	uint32_t received;

	hsr_source_init(&s, 1);
	feed(&s, 10);
	feed(&s, 11);
	/* 2999 ahead is loss (below MAX_DROPOUT = 3000)... */
	assert_int_equal(feed(&s, 11 + 2999), HSR_SEQ_NEXT);
	assert_int_equal(hsr_source_lost(&s), 2998);
	/* ...3000 ahead is a jump: dropped, and the state unchanged. */
	received = s.received;
	assert_int_equal(feed(&s, (uint16_t)(3010 + 3000)), HSR_SEQ_BAD);
	assert_int_equal(s.received, received);
	assert_int_equal(hsr_source_ext_max(&s), 3010);
	/* A lone jump then normal packets: they go on counting. */
	assert_int_equal(feed(&s, 3011), HSR_SEQ_NEXT);
	/* Two in sequence after a jump: the sender restarted.  Counting
	 * starts over from the second. */
	assert_int_equal(feed(&s, 40000), HSR_SEQ_BAD);
	assert_int_equal(feed(&s, 40001), HSR_SEQ_RESTART);
	assert_int_equal(s.base_seq, 40001);
	assert_int_equal(s.received, 1);
	assert_int_equal(hsr_source_lost(&s), 0);
	assert_int_equal(s.restarts, 1);
	assert_int_equal(feed(&s, 40002), HSR_SEQ_NEXT);
	/* Two jumps not in sequence are two bad packets. */
	assert_int_equal(feed(&s, 100), HSR_SEQ_BAD);
	assert_int_equal(feed(&s, 200), HSR_SEQ_BAD);
	assert_int_equal(s.restarts, 1);
	assert_int_equal(s.bad, 4);
}

/*
 * Jitter by hand (RFC 3550 A.8, J += (|D| - J) / 16, with D the change
 * of transit = arrival - timestamp).  An 8 kHz stream, 160 ticks a packet:
 *   seq ts   arrival transit  D     J (exact)              J16 (integer)
 *   0   0    1000    1000     -     probation, not counted
 *   1   160  1160    1000     -     first: no D            0
 *   2   320  1480    1160     160   0 + 160/16 = 10        0 + 160 - 0 = 160
 *   3   480  1480    1000    -160   10 + 150/16 = 19.375   160 + 160 - 10 = 310
 *   4   640  1640    1000     0     19.375 - 19.375/16     310 + 0 - 19 = 291
 *                                   = 18.164
 *   5   800  1813    1013     13    18.164 + (13 - 18.164)/16
 *                                   = 17.841               291 + 13 - 18 = 286
 *   6   960  1973    1013     0     17.841 - 17.841/16
 *                                   = 16.726               286 + 0 - 18 = 268
 * The integer form keeps J x 16, rounding its decay ((J16 + 8) >> 4: at
 * packet 6, (286 + 8) >> 4 = 18 where truncation would take 17);
 * reported J is J16 >> 4: 10, 19, 18, 17, 16.
 */
static void test_jitter(void **state)
{
	hsr_source s;

	hsr_source_init(&s, 1);
	assert_int_equal(hsr_source_update(&s, 0, 0, 1000), HSR_SEQ_PROBATION);
	assert_int_equal(hsr_source_update(&s, 1, 160, 1160), HSR_SEQ_NEXT);
	assert_int_equal(s.jitter16, 0);
	hsr_source_update(&s, 2, 320, 1480);
	assert_int_equal(s.jitter16, 160);
	assert_int_equal(hsr_source_jitter(&s), 10);
	hsr_source_update(&s, 3, 480, 1480);
	assert_int_equal(s.jitter16, 310);
	assert_int_equal(hsr_source_jitter(&s), 19);
	hsr_source_update(&s, 4, 640, 1640);
	assert_int_equal(s.jitter16, 291);
	assert_int_equal(hsr_source_jitter(&s), 18);
	hsr_source_update(&s, 5, 800, 1813);
	assert_int_equal(s.jitter16, 286);
	assert_int_equal(hsr_source_jitter(&s), 17);
	hsr_source_update(&s, 6, 960, 1973);
	assert_int_equal(s.jitter16, 268);
	assert_int_equal(hsr_source_jitter(&s), 16);
	/* A duplicate leaves the jitter alone, though its transit is a
	 * packet late. */
	hsr_source_update(&s, 6, 960, 2200);
	assert_int_equal(s.jitter16, 268);
	/* Timestamps and arrivals that wrap 2^32 give the same D. */
	hsr_source_init(&s, 1);
	hsr_source_update(&s, 0, 0xFFFFFF00u, 0xFFFFFFF0u);
	hsr_source_update(&s, 1, 0xFFFFFF00u + 160, 0xFFFFFFF0u + 160);
	hsr_source_update(&s, 2, 0xFFFFFF00u + 320, 0xFFFFFFF0u + 480);
	assert_int_equal(s.jitter16, 160);
	/* A restart brings a new timestamp base (RFC 3550 5.1: random):
	 * the transit before it is no reference, so the jitter does not
	 * see the jump. */
	hsr_source_init(&s, 1);
	hsr_source_update(&s, 0, 0, 1000);
	hsr_source_update(&s, 1, 160, 1160);
	hsr_source_update(&s, 2, 320, 1320);
	assert_int_equal(s.jitter16, 0);
	assert_int_equal(hsr_source_update(&s, 30000, 0x70000000u, 1480),
			 HSR_SEQ_BAD);
	assert_int_equal(hsr_source_update(&s, 30001, 0x70000000u + 160, 1640),
			 HSR_SEQ_RESTART);
	assert_int_equal(s.jitter16, 0);
	assert_int_equal(hsr_source_update(&s, 30002, 0x70000000u + 320, 1800),
			 HSR_SEQ_NEXT);
	assert_int_equal(s.jitter16, 0);
	/* Steady arrivals: none. */
	hsr_source_init(&s, 1);
	for (uint16_t q = 0; q < 50; q++)
		feed(&s, q);
	assert_int_equal(hsr_source_jitter(&s), 0);
}

/*
 * The fraction lost per interval (A.3): (lost in interval << 8) /
 * expected in interval.  Interval 1: 11 expected (11..21), 15 and 16
 * lost: 2 x 256 / 11 = 46.5, truncated 46.  Interval 2: 22..31 all
 * received: 0, the cumulative count still 2.  Interval 3: 32..41, 5 of
 * them lost: 5 x 256 / 10 = 128.
 */
static void test_loss_fraction(void **state)
{
	hsr_source s;
	hsr_report_block b;

	hsr_source_init(&s, 0x55667788);
	feed(&s, 10);
	for (uint16_t q = 11; q <= 21; q++)
		if (q != 15 && q != 16)
			feed(&s, q);
	assert_int_equal(hsr_source_report(&s, 0, &b), 0);
	assert_int_equal(b.ssrc, 0x55667788);
	assert_int_equal(b.fraction, 46);
	assert_int_equal(b.lost, 2);
	assert_int_equal(b.ext_max_seq, 21);
	for (uint16_t q = 22; q <= 31; q++)
		feed(&s, q);
	assert_int_equal(hsr_source_report(&s, 0, &b), 0);
	assert_int_equal(b.fraction, 0);
	assert_int_equal(b.lost, 2);
	for (uint16_t q = 32; q <= 41; q++)
		if (q % 2)
			feed(&s, q);
	assert_int_equal(hsr_source_report(&s, 0, &b), 0);
	assert_int_equal(b.fraction, 128);
	assert_int_equal(b.lost, 7);
	/* Nothing new: an empty interval reports 0. */
	assert_int_equal(hsr_source_report(&s, 0, &b), 0);
	assert_int_equal(b.fraction, 0);
	/* Duplicates outweighing the loss in an interval: 0, not negative. */
	feed(&s, 43);      /* 42 lost */
	feed(&s, 43);
	feed(&s, 43);
	assert_int_equal(hsr_source_report(&s, 0, &b), 0);
	assert_int_equal(b.fraction, 0);
	assert_int_equal(b.lost, 6);
}

/* The cumulative loss saturates at 24 bits in the block (not in
 * hsr_source_lost). */
static void test_loss_clamp(void **state)
{
	hsr_source s;
	hsr_report_block b;

	hsr_source_init(&s, 1);
	feed(&s, 0);
	feed(&s, 1);
	/* Jumps of 2999 lose 2998 each: 2900 of them lose 8694200, over
	 * 2^23 - 1 = 8388607. */
	for (uint32_t i = 1; i <= 2900; i++)
		assert_int_equal(feed(&s, (uint16_t)(1 + 2999 * i)), HSR_SEQ_NEXT);
	assert_int_equal(hsr_source_lost(&s), 2900 * 2998);
	assert_int_equal(hsr_source_report(&s, 0, &b), 0);
	assert_int_equal(b.lost, 0x7fffff);
	/* 2999 x 2900 + 1 = 8697101: 132 cycles of 65536 and 46349. */
	assert_int_equal(b.ext_max_seq, 8697101);
	assert_int_equal(s.cycles, 132u << 16);
	assert_int_equal(b.fraction, 255); /* 2998/2999 of 256 is 255.9 */
}

static void test_lsr_dlsr(void **state)
{
	const hsr_rtcp_sr sr = {.ssrc = 9, .ntp = 0x83AA7E8180000000ull,
				.rtp_ts = 1234};
	hsr_source s;
	hsr_report_block b;

	hsr_source_init(&s, 9);
	feed(&s, 0);
	feed(&s, 1);
	assert_int_equal(hsr_source_report(&s, 7000000000ull, &b), 0);
	assert_int_equal(b.lsr, 0);
	assert_int_equal(b.dlsr, 0);
	/* The SR came at 5 s; the report at 6.5 s: DLSR 1.5 s = 0x18000. */
	hsr_source_sr(&s, &sr, 5000000000ull);
	assert_int_equal(s.sr_rtp_ts, 1234);
	assert_int_equal(hsr_source_report(&s, 6500000000ull, &b), 0);
	assert_int_equal(b.lsr, 0x7E818000u);
	assert_int_equal(b.dlsr, 0x18000u);
	/* A clock that went back gives 0, not a wrapped delay. */
	assert_int_equal(hsr_source_report(&s, 4000000000ull, &b), 0);
	assert_int_equal(b.dlsr, 0);
	/* The block, written and read back, gives the same round trip the
	 * sender would compute: arrival 0.25 s after the report. */
	assert_int_equal(hsr_source_report(&s, 6500000000ull, &b), 0);
	assert_int_equal(hsr_rtcp_rtt(0x7E818000u + 0x18000u + 0x4000u, &b),
			 0x4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probation),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_reorder_and_duplicates),
		cmocka_unit_test(test_jumps_and_restart),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_loss_fraction),
		cmocka_unit_test(test_loss_clamp),
		cmocka_unit_test(test_lsr_dlsr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
