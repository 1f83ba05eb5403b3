/* SPDX-License-Identifier: MIT */
/*
 * hsr RTCP (RFC 3550 6): compound packets built into a caller's buffer
 * (SR, RR, SDES CNAME, BYE, APP, and hdastream's own APP "HDAS" that
 * carries the controller's position, PROTOCOL.md "RTP and RTCP"), and
 * received compound packets validated (RFC 3550 A.2) and walked packet
 * by packet.
 *
 * Everything here is [any]: no allocation, no system call, work bounded by
 * the packet's length.  Parsed fields point into the caller's datagram.
 * Reduced-size RTCP (RFC 5506, a packet not led by SR or RR) is refused.
 */
#ifndef HSR_RTCP_H
#define HSR_RTCP_H

#include "hsr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	HSR_RTCP_SR = 200,
	HSR_RTCP_RR = 201,
	HSR_RTCP_SDES = 202,
	HSR_RTCP_BYE = 203,
	HSR_RTCP_APP = 204,
};

enum { HSR_SDES_END = 0, HSR_SDES_CNAME = 1 };

#define HSR_RTCP_BLOCKS_MAX 31u /* RC, SC: 5 bits */
#define HSR_RTCP_BLOCK 24u      /* bytes of one report block */
#define HSR_SDES_TEXT_MAX 255u  /* an item's length byte */

/* A report block (RFC 3550 6.4.1), about one source heard. */
typedef struct hsr_report_block {
	uint32_t ssrc;
	uint8_t fraction;     /* lost since the previous report, x 256 */
	int32_t lost;         /* cumulative, -0x800000..0x7fffff (24 bits) */
	uint32_t ext_max_seq; /* cycles << 16 | highest sequence number */
	uint32_t jitter;      /* interarrival jitter, RTP clock ticks */
	uint32_t lsr;         /* middle 32 bits of the last SR's NTP, or 0 */
	uint32_t dlsr;        /* since that SR, 1/65536 s, or 0 */
} hsr_report_block;

/* The sender info of an SR (RFC 3550 6.4.1). */
typedef struct hsr_rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;    /* when the frame with rtp_ts met the converter */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
} hsr_rtcp_sr;

/* hdastream's APP packet: name "HDAS", subtype 0, 48 bytes of data
 * (PROTOCOL.md, "RTP and RTCP", has the layout and how to use it). */
#define HSR_HDAS_NAME "HDAS"
#define HSR_HDAS_SUBTYPE 0u
#define HSR_HDAS_DATA 48u
#define HSR_HDAS_STALLED (1u << 0) /* the position held (libhda's stalled) */
#define HSR_HDAS_CAPTURE (1u << 1) /* a capture stream; else render */
#define HSR_HDAS_RTP_TS (1u << 2)  /* rtp_ts is valid */
#define HSR_HDAS_FLAGS_ALL 0x7u

typedef struct hsr_hdas {
	uint32_t rtp_ts;      /* the RTP timestamp of frame link_frames */
	uint32_t fifo_frames; /* the engine's FIFO, in frames */
	uint64_t link_frames; /* frames that have met the converter */
	uint64_t dma_frames;  /* frames moved in memory (PROTOCOL.md POSITION) */
	uint64_t wall_ticks;  /* WALCLK (24 MHz), unwrapped, at the reading */
	uint64_t ntp;         /* the reading as NTP time, on the SR's clock */
	uint32_t rate;        /* the converter's rate, Hz */
	uint16_t flags;       /* HSR_HDAS_* */
} hsr_hdas;

/* ---- Building a compound packet --------------------------------------------
 *
 * Each call appends one RTCP packet.  The first must be an SR or RR
 * (others return -HSR_ERR_TYPE); a call that does not fit returns
 * -HSR_ERR_NO_SPACE and leaves the compound as it was, so what is in the
 * buffer (w->len bytes) is always a whole compound.  RFC 3550 6.1 also
 * wants an SDES CNAME in every compound; the caller adds it.
 */
typedef struct hsr_rtcp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
} hsr_rtcp_writer;

void hsr_rtcp_writer_init(hsr_rtcp_writer *w, void *buf, size_t cap);
/* n report blocks, 0..31 (-HSR_ERR_INVALID beyond, or for a block whose
 * lost is out of 24 bits). */
int hsr_rtcp_write_sr(hsr_rtcp_writer *w, const hsr_rtcp_sr *sr,
		      const hsr_report_block *blocks, unsigned n);
int hsr_rtcp_write_rr(hsr_rtcp_writer *w, uint32_t ssrc,
		      const hsr_report_block *blocks, unsigned n);
/* One chunk with one CNAME item of 1..255 bytes. */
int hsr_rtcp_write_cname(hsr_rtcp_writer *w, uint32_t ssrc, const char *cname);
/* n sources leaving (0..31), and a reason of 0..255 bytes or NULL. */
int hsr_rtcp_write_bye(hsr_rtcp_writer *w, const uint32_t *ssrcs, unsigned n,
		       const char *reason);
/* subtype 0..31, a 4-byte name, len bytes of data (a multiple of 4). */
int hsr_rtcp_write_app(hsr_rtcp_writer *w, uint8_t subtype, uint32_t ssrc,
		       const char name[4], const void *data, size_t len);
/* The HDAS APP packet.  -HSR_ERR_INVALID for unknown flag bits. */
int hsr_rtcp_write_hdas(hsr_rtcp_writer *w, uint32_t ssrc, const hsr_hdas *a);

/* ---- Reading a compound packet ----------------------------------------------- */

typedef struct hsr_rtcp_packet {
	uint8_t type;  /* HSR_RTCP_*, or another type, passed through */
	uint8_t count; /* RC, SC, or the APP subtype */
	uint8_t pad_len; /* padding removed (the last packet only), or 0 */
	/* The body after the 4-byte header, padding removed. */
	const uint8_t *body;
	size_t body_len;
	/* SR: the sender info; RR and APP: ssrc alone; else 0. */
	hsr_rtcp_sr sr;
	/* APP: the name, NUL-terminated, and the data after it. */
	char app_name[5];
	const uint8_t *app_data;
	size_t app_len;
	/* BYE: the reason, not terminated (reason_len 0 when absent). */
	const uint8_t *reason;
	uint8_t reason_len;
} hsr_rtcp_packet;

typedef struct hsr_rtcp_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
} hsr_rtcp_iter;

/* Validate the whole compound packet, and set it up for walking.  0, or:
 *   -HSR_ERR_SHORT    fewer than 4 bytes;
 *   -HSR_ERR_VERSION  a packet's version is not 2;
 *   -HSR_ERR_TYPE     the first packet is not SR or RR;
 *   -HSR_ERR_PADDING  P set on any packet but the last, or a count of 0 or
 *                     past the packet's body;
 *   -HSR_ERR_LENGTH   the length fields do not add up to len, or a packet's
 *                     length is too short for its count of blocks or SSRCs;
 *   -HSR_ERR_MALFORMED an SDES chunk or a BYE reason runs past its packet.
 * A compound that fails is refused whole: nothing of it is to be used. */
int hsr_rtcp_iter_init(hsr_rtcp_iter *it, const void *pkt, size_t len);
/* The next packet: 1 with *out, 0 at the end. */
int hsr_rtcp_next(hsr_rtcp_iter *it, hsr_rtcp_packet *out);

/* Report block i of an SR or RR (i < count). */
void hsr_rtcp_block(const hsr_rtcp_packet *pkt, unsigned i,
		    hsr_report_block *out);
/* SSRC i of a BYE (i < count). */
uint32_t hsr_rtcp_bye_ssrc(const hsr_rtcp_packet *pkt, unsigned i);

/* The items of an SDES packet, chunk by chunk. */
typedef struct hsr_sdes_item {
	uint32_t ssrc; /* the chunk's source */
	uint8_t type;  /* HSR_SDES_CNAME, ... (never END) */
	uint8_t len;
	const uint8_t *data; /* not terminated */
} hsr_sdes_item;

typedef struct hsr_sdes_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
	unsigned chunks; /* left to read, the current one included */
	bool in_chunk;
	uint32_t ssrc;
} hsr_sdes_iter;

void hsr_sdes_iter_init(hsr_sdes_iter *it, const hsr_rtcp_packet *pkt);
/* 1 with *out, 0 at the end. */
int hsr_sdes_next(hsr_sdes_iter *it, hsr_sdes_item *out);

/* An APP packet's HDAS data.  0; -HSR_ERR_UNSUPPORTED when the packet is
 * not APP "HDAS" of subtype 0 (not an error: another application's);
 * -HSR_ERR_MALFORMED for a length other than 48 bytes, a reserved field
 * not 0 or an unknown flag. */
int hsr_rtcp_read_hdas(const hsr_rtcp_packet *pkt, hsr_hdas *out);

/* rtcp-mux (RFC 5761 4): is this datagram RTCP?  Its second byte is a
 * packet type 192..223, which as RTP would be M set with PT 64..95, types
 * no one may use with mux. */
bool hsr_rtcp_is_rtcp(const void *pkt, size_t len);

/* The round trip (RFC 3550 6.4.1) seen in a report block that came back
 * at arrival_mid (hsr_ntp_mid of the arrival time, on the clock the SRs
 * were stamped with): arrival - LSR - DLSR, 1/65536 s.  0 when the block
 * has no LSR (its source has had no SR yet) or time ran backwards. */
uint32_t hsr_rtcp_rtt(uint32_t arrival_mid, const hsr_report_block *b);

#ifdef __cplusplus
}
#endif

#endif
