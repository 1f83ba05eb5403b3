/* SPDX-License-Identifier: MIT */
/*
 * One source's reception statistics: RFC 3550 A.1 (sequence numbers), A.3
 * (loss) and A.8 (jitter), with a 64-packet window of sequence numbers
 * seen so that a duplicate is told from a reordered packet.
 */
#include "hsr_source.h"

#define SEQ_MOD (1u << 16)

/* A.1 init_seq: counting starts at seq. */
static void init_seq(hsr_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* no sequence number is this */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->seen = 1;
}

void hsr_source_init(hsr_source *s, uint32_t ssrc)
{
	*s = (hsr_source){.ssrc = ssrc, .bad_seq = SEQ_MOD + 1};
}

bool hsr_source_valid(const hsr_source *s)
{
	return s->started && s->probation == 0;
}

/* A.8: the difference of relative transit times, smoothed with gain 1/16.
 * jitter16 is 16 x J, so "J += (|D| - J) / 16" becomes "jitter16 += |D| -
 * jitter16 / 16", rounded. */
static void jitter(hsr_source *s, uint32_t rtp_ts, uint32_t arrival)
{
	/* Both clocks wrap at 2^32: the transit and its change are taken
	 * modulo 2^32 and read as signed. */
	uint32_t transit = arrival - rtp_ts;

	if (s->have_transit) {
		int32_t d = (int32_t)(transit - s->transit);
		uint32_t ad = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;

		s->jitter16 += ad - ((s->jitter16 + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = true;
}

/* A.1 update_seq with the verdicts of hsr_seq_verdict. */
static hsr_seq_verdict update_seq(hsr_source *s, uint16_t seq)
{
	uint16_t udelta;

	if (!s->started) {
		init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = HSR_MIN_SEQUENTIAL;
		s->started = true;
	}
	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return HSR_SEQ_NEXT;
			}
		} else {
			s->probation = HSR_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return HSR_SEQ_PROBATION;
	}
	udelta = (uint16_t)(seq - s->max_seq);
	if (udelta == 0) {
		s->received++;
		return HSR_SEQ_DUPLICATE;
	}
	if (udelta < HSR_MAX_DROPOUT) {
		/* Ahead, with a permissible gap.  A smaller number is the
		 * 16-bit counter wrapping. */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
		s->seen = udelta >= 64 ? 1 : s->seen << udelta | 1;
		s->received++;
		return HSR_SEQ_NEXT;
	}
	if (udelta <= SEQ_MOD - HSR_MAX_MISORDER) {
		/* A large jump.  Two in sequence mean the other side restarted
		 * (its sequence numbers began again somewhere else); one alone
		 * is dropped and its successor remembered. */
		if (seq == s->bad_seq) {
			init_seq(s, seq);
			s->received++;
			return HSR_SEQ_RESTART;
		}
		s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
		return HSR_SEQ_BAD;
	}
	/* Behind the newest by at most MAX_MISORDER. */
	s->received++;
	{
		unsigned behind = (uint16_t)(s->max_seq - seq);

		if (behind < 64) {
			uint64_t bit = (uint64_t)1 << behind;

			if (s->seen & bit)
				return HSR_SEQ_DUPLICATE;
			s->seen |= bit;
		}
	}
	return HSR_SEQ_LATE;
}

hsr_seq_verdict hsr_source_update(hsr_source *s, uint16_t seq, uint32_t rtp_ts,
				  uint32_t arrival)
{
	hsr_seq_verdict v = update_seq(s, seq);

	switch (v) {
	case HSR_SEQ_RESTART:
		/* A new timestamp base: the old transit means nothing. */
		s->have_transit = false;
		s->restarts++;
		jitter(s, rtp_ts, arrival);
		break;
	case HSR_SEQ_NEXT:
		jitter(s, rtp_ts, arrival);
		break;
	case HSR_SEQ_LATE:
		s->late++;
		jitter(s, rtp_ts, arrival);
		break;
	case HSR_SEQ_DUPLICATE:
		s->duplicates++;
		break;
	case HSR_SEQ_BAD:
		s->bad++;
		break;
	case HSR_SEQ_PROBATION:
		break;
	}
	return v;
}

void hsr_source_sr(hsr_source *s, const hsr_rtcp_sr *sr, uint64_t arrival_ns)
{
	s->have_sr = true;
	s->sr_ntp = sr->ntp;
	s->sr_rtp_ts = sr->rtp_ts;
	s->sr_arrival_ns = arrival_ns;
}

uint32_t hsr_source_ext_max(const hsr_source *s)
{
	return s->cycles + s->max_seq;
}

int64_t hsr_source_lost(const hsr_source *s)
{
	/* A.3: expected counts from the first counted packet to the
	 * highest, both included.  The extended numbers are 32-bit and may
	 * wrap after 2^32 packets; the difference is taken modulo 2^32. */
	uint32_t expected = hsr_source_ext_max(s) - s->base_seq + 1;

	return (int64_t)expected - s->received;
}

uint32_t hsr_source_jitter(const hsr_source *s)
{
	return s->jitter16 >> 4;
}

int hsr_source_report(hsr_source *s, uint64_t now_ns, hsr_report_block *out)
{
	uint32_t expected, exp_int, rec_int;
	int64_t lost, lost_int;

	if (!hsr_source_valid(s))
		return -HSR_ERR_INVALID;
	expected = hsr_source_ext_max(s) - s->base_seq + 1;
	lost = hsr_source_lost(s);
	/* The field is 24-bit signed: clamp, as A.3 says. */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	exp_int = expected - s->expected_prior;
	rec_int = s->received - s->received_prior;
	s->expected_prior = expected;
	s->received_prior = s->received;
	lost_int = (int64_t)exp_int - rec_int;
	out->ssrc = s->ssrc;
	/* The fraction is of the packets expected in the interval, in 1/256;
	 * duplicates can make the interval's loss negative, reported as 0.
	 * The newest packet was received, so the loss is below the whole
	 * interval and the fraction below 256. */
	out->fraction = 0;
	if (exp_int && lost_int > 0) {
		uint64_t f = ((uint64_t)lost_int << 8) / exp_int;

		out->fraction = (uint8_t)(f > 255 ? 255 : f);
	}
	out->lost = (int32_t)lost;
	out->ext_max_seq = hsr_source_ext_max(s);
	out->jitter = hsr_source_jitter(s);
	if (s->have_sr) {
		out->lsr = hsr_ntp_mid(s->sr_ntp);
		out->dlsr = now_ns > s->sr_arrival_ns
				    ? hsr_mid_from_ns(now_ns - s->sr_arrival_ns)
				    : 0;
	} else {
		out->lsr = 0;
		out->dlsr = 0;
	}
	return 0;
}
