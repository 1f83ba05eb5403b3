/* SPDX-License-Identifier: MIT */
/*
 * hsr RTP (RFC 3550 5.1): the fixed header with its CSRC list, header
 * extension and padding; the state of one sending source; and the
 * packetizer, which picks how many frames go in a packet.
 *
 * The daemon's audio thread builds each packet in a buffer it owns:
 * hsr_sender_next() fills a header, hsr_rtp_header_pack() writes it, the
 * payload (hsr_pcm.h, or the Opus encoder's output) goes right after it.
 * The receiving side calls hsr_rtp_parse() on each datagram; the payload
 * it returns points into that datagram.
 */
#ifndef HSR_RTP_H
#define HSR_RTP_H

#include "hsr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HSR_RTP_VERSION 2
#define HSR_RTP_HEADER 12u      /* the fixed header, no CSRC */
#define HSR_RTP_CSRC_MAX 15u    /* CC is 4 bits */
/* The payload cap unless configured: with the 12-byte RTP header, 8 of
 * UDP and 40 of IPv6 the datagram stays within 1280 bytes, IPv6's minimum
 * MTU, so no path fragments it. */
#define HSR_PAYLOAD_CAP_DEFAULT 1200u
/* The largest UDP payload over IPv4 (65535 - 20 - 8) less the fixed RTP
 * header. */
#define HSR_PAYLOAD_CAP_MAX 65495u

typedef struct hsr_rtp_header {
	bool marker;
	uint8_t pt;         /* 0..127 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t csrc_count; /* 0..15 */
	uint32_t csrc[HSR_RTP_CSRC_MAX];
	/* The header extension (RFC 3550 5.3.1), when ext is set: a 16-bit
	 * profile word, then ext_words 32-bit words.  Packing copies them
	 * from ext_data (which may be NULL when ext_words is 0); parsing
	 * points ext_data into the packet. */
	bool ext;
	uint16_t ext_profile;
	uint16_t ext_words;
	const uint8_t *ext_data;
} hsr_rtp_header;

typedef struct hsr_rtp_packet {
	hsr_rtp_header h;
	uint8_t pad_len;        /* padding bytes removed (the P bit), or 0 */
	const uint8_t *payload; /* into the packet, after header and extension */
	size_t payload_len;     /* padding excluded; may be 0 */
} hsr_rtp_packet;

/* Bytes hsr_rtp_header_pack() writes for h: 12 + 4 x CC, plus 4 + 4 x
 * ext_words with an extension.  [any] */
size_t hsr_rtp_header_size(const hsr_rtp_header *h);
/* Write h (version 2, P clear) at buf.  Returns its size, -HSR_ERR_INVALID
 * for pt > 127 or csrc_count > 15, -HSR_ERR_NO_SPACE when cap is short
 * (nothing written).  [any] */
int hsr_rtp_header_pack(void *buf, size_t cap, const hsr_rtp_header *h);
/* Append pad bytes of padding (1..255, the last one holding the count) to
 * the len-byte packet at pkt and set its P bit.  Returns the new length,
 * or -HSR_ERR_INVALID / -HSR_ERR_NO_SPACE.  [any] */
int hsr_rtp_pad(void *pkt, size_t cap, size_t len, uint8_t pad);
/* Parse one datagram.  0 with *out filled; -HSR_ERR_SHORT when the fixed
 * header, the CSRCs or the extension run past len; -HSR_ERR_VERSION;
 * -HSR_ERR_PADDING for P set with a count of 0 or beyond what follows
 * the headers.  An RTCP packet (rtcp-mux) would parse as RTP with the
 * marker set: demultiplex with hsr_rtcp_is_rtcp() first.
 * [any] */
int hsr_rtp_parse(const void *pkt, size_t len, hsr_rtp_packet *out);

/* ---- A sending source ----------------------------------------------------
 *
 * The sender's timeline counts media frames from 0, the first frame it
 * sends; frame n carries RTP timestamp ts0 + n x clock / rate (the clock
 * is 48 kHz for Opus, so a 16 kHz Opus stream advances 3 ticks a frame).
 * The caller maps its own frame count (the stream's converter frames) to
 * this one by an offset it keeps.
 */
typedef struct hsr_sender {
	uint32_t ssrc;
	uint8_t pt;
	bool marker;     /* the next packet carries M */
	uint16_t seq;    /* the next packet's sequence number */
	uint32_t ts0;    /* the timestamp of frame 0 */
	uint32_t clock;  /* RTP clock, Hz */
	uint32_t rate;   /* media frames a second */
	uint64_t frame;  /* the next packet's first frame */
	/* Sent so far, for the SR (RFC 3550 6.4.1): packets, and payload
	 * octets (headers and padding left out); both wrap modulo 2^32. */
	uint32_t packets;
	uint32_t octets;
} hsr_sender;

/* A new source: SSRC, first sequence number and ts0 random (RFC 3550
 * 5.1: the random starts defeat known-plaintext attacks on encryption
 * and keep two sources from colliding), from getrandom(); marker set for
 * the first packet.  -HSR_ERR_INVALID for a format or payload type that
 * hsr_format_check() / hsr_pt_check() refuse, -HSR_ERR_RANDOM.  [loop] */
int hsr_sender_init(hsr_sender *s, const hsr_format *f, uint8_t pt);
/* The same with the random values given (tests, and a restart that must
 * continue a source).  [any] */
int hsr_sender_init_fixed(hsr_sender *s, const hsr_format *f, uint8_t pt,
			  uint32_t ssrc, uint16_t seq, uint32_t ts0);
/* The header for the next packet, of `frames` frames and payload_len
 * payload bytes; then the sequence number, the timeline and the counts
 * advance and the marker clears.  -HSR_ERR_INVALID for 0 frames.  [any] */
int hsr_sender_next(hsr_sender *s, uint32_t frames, size_t payload_len,
		    hsr_rtp_header *h);
/* The caller skipped `frames` frames (silence not sent, an underrun, a
 * restart; 0 for a discontinuity without skipped time): the timestamp
 * jumps by them, the sequence number does not (RFC 3550 5.1: it counts
 * packets, so a receiver tells loss from silence), and the next packet
 * carries the marker (RFC 3551 4.1: the first packet of a talkspurt).
 * [any] */
void hsr_sender_gap(hsr_sender *s, uint64_t frames);
/* The RTP timestamp of frame `frame` of the timeline: what an SR pairs
 * with the NTP time at which that frame met the converter.  [any] */
uint32_t hsr_sender_ts(const hsr_sender *s, uint64_t frame);

/* ---- The packetizer --------------------------------------------------------
 *
 * Rule: the packet holds the largest number of frames that both fits the
 * payload cap and does not exceed the wanted packet time, and at least the
 * smallest unit (one frame; for Opus one 2.5 ms frame) when the wanted time
 * is shorter than that.
 *   L16/L24: min(floor(want_us x rate / 10^6), floor(cap / wire frame)),
 *            at least 1; -HSR_ERR_NO_SPACE if one frame is over the cap.
 *            48 kHz stereo L24 at 5 ms wants 240 frames (1440 bytes) but
 *            gets 200 (1200 bytes, 4.167 ms).
 *   Opus:    one Opus frame per packet, of the longest duration Opus has
 *            (2.5, 5, 10, 20, 40, 60 ms) not over want_us, and, given a
 *            bitrate, whose bytes at that bitrate fit the cap (a shorter
 *            one when not).  payload_max is the cap, the encoder's limit.
 */
typedef struct hsr_packetization {
	uint32_t frames;      /* media frames a packet */
	uint32_t ticks;       /* RTP timestamp step a packet */
	uint32_t payload_max; /* L16/L24: exactly the payload; Opus: at most */
	uint32_t ptime_us;    /* the packet time, rounded down */
} hsr_packetization;

/* payload_cap 0 means HSR_PAYLOAD_CAP_DEFAULT; at most
 * HSR_PAYLOAD_CAP_MAX.  want_us 1..1000000.  opus_bitrate 0 (not known)
 * or 500..512000 bit/s, ignored for PCM.  -HSR_ERR_INVALID for arguments
 * out of range, -HSR_ERR_NO_SPACE when no packet fits.  [any] */
int hsr_packetize(const hsr_format *f, uint32_t payload_cap, uint32_t want_us,
		  uint32_t opus_bitrate, hsr_packetization *out);

#ifdef __cplusplus
}
#endif

#endif
