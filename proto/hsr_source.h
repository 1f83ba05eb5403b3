/* SPDX-License-Identifier: MIT */
/*
 * hsr receiving side: the state kept for one RTP source heard, as RFC
 * 3550 appendix A lays it out: sequence number validation with probation,
 * wraparound and reordering (A.1), the loss counts of a report block
 * (A.3) and the interarrival jitter (A.8).
 *
 * The struct is the caller's (embed it in the stream's state); every
 * routine is [any]: the audio thread calls hsr_source_update() per packet.
 */
#ifndef HSR_SOURCE_H
#define HSR_SOURCE_H

#include "hsr_common.h"
#include "hsr_rtcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 3550 A.1's constants: a jump of up to MAX_DROPOUT ahead is loss, a
 * step of up to MAX_MISORDER back is reordering, anything else a
 * suspected restart; MIN_SEQUENTIAL packets in sequence make a new source
 * valid. */
#define HSR_MAX_DROPOUT 3000u
#define HSR_MAX_MISORDER 100u
#define HSR_MIN_SEQUENTIAL 2u

/* What hsr_source_update() made of a packet. */
typedef enum hsr_seq_verdict {
	/* Counted (valid): */
	HSR_SEQ_NEXT = 0,   /* the newest so far (after a loss, maybe) */
	HSR_SEQ_LATE = 1,   /* behind the newest and not seen before:
			       reordered (more than 64 back it may be a
			       duplicate not recognised as one) */
	HSR_SEQ_DUPLICATE = 2, /* seen among the last 64: counted in
				  `received` as A.1 does, but not in the
				  jitter; the caller drops it */
	HSR_SEQ_RESTART = 3, /* the second packet in sequence after a jump:
				the sender restarted, the counts start over
				from it; the caller flushes its buffer */
	/* Not counted: */
	HSR_SEQ_PROBATION = 4, /* the source is not valid yet */
	HSR_SEQ_BAD = 5,       /* a jump out of range: dropped */
} hsr_seq_verdict;

typedef struct hsr_source {
	uint32_t ssrc;
	bool started;      /* a first packet was seen */
	uint16_t max_seq;  /* highest sequence number seen */
	uint32_t cycles;   /* sequence number wraps, shifted (x 65536) */
	uint32_t base_seq; /* the first counted sequence number */
	uint32_t bad_seq;  /* the next expected after a jump, or 65537 */
	uint32_t probation;
	uint32_t received; /* packets counted (duplicates included) */
	uint32_t expected_prior, received_prior; /* at the last report */
	uint64_t seen;     /* bit i: max_seq - i was received */
	/* Interarrival jitter (A.8), x 16 as A.8 keeps it for precision. */
	uint32_t jitter16;
	uint32_t transit;
	bool have_transit;
	/* The last SR from this source, and when it came (host ns, the
	 * caller's clock), for the report's LSR and DLSR. */
	bool have_sr;
	uint64_t sr_ntp;
	uint32_t sr_rtp_ts;
	uint64_t sr_arrival_ns;
	/* Counts, never reset (not even by a restart). */
	uint64_t duplicates, late, bad, restarts;
} hsr_source;

void hsr_source_init(hsr_source *s, uint32_t ssrc);
/* One RTP packet from this source: its sequence number and timestamp, and
 * its arrival in the same RTP clock's ticks (hsr_ticks_from_ns of the
 * receive time: any origin, as long as it is the same for every packet,
 * since only differences count). */
hsr_seq_verdict hsr_source_update(hsr_source *s, uint16_t seq, uint32_t rtp_ts,
				  uint32_t arrival);
/* Probation is over: the source may be reported and played. */
bool hsr_source_valid(const hsr_source *s);
/* An SR from this source arrived at arrival_ns. */
void hsr_source_sr(hsr_source *s, const hsr_rtcp_sr *sr, uint64_t arrival_ns);
/* The extended highest sequence number received (A.3). */
uint32_t hsr_source_ext_max(const hsr_source *s);
/* Cumulative packets lost (A.3): expected - received, negative with
 * duplicates; not clamped. */
int64_t hsr_source_lost(const hsr_source *s);
/* The interarrival jitter in RTP clock ticks. */
uint32_t hsr_source_jitter(const hsr_source *s);
/* Fill a report block at now_ns (on hsr_source_sr's clock) and start the
 * next interval for the fraction lost.  -HSR_ERR_INVALID while the source
 * is on probation (nothing to report; RFC 3550 6.4 reports valid sources
 * only). */
int hsr_source_report(hsr_source *s, uint64_t now_ns, hsr_report_block *out);

#ifdef __cplusplus
}
#endif

#endif
