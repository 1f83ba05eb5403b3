/* SPDX-License-Identifier: MIT */
/*
 * hsr SDP (RFC 8866): the session description of one RTP audio stream,
 * written into a caller's buffer, for `hdastream sdp STREAM` and for
 * players (ffplay, GStreamer's sdpdemux, VLC) to read.
 *
 * The output, lines ending in CRLF (RFC 8866 5), in this order:
 *   v=0
 *   o=USER SESSION-ID SESSION-VERSION IN IP4|IP6 ORIGIN
 *   s=NAME
 *   c=IN IP4|IP6 ADDRESS[/TTL]      TTL for IPv4 multicast only (5.7)
 *   t=0 0                           a permanent session
 *   m=audio PORT RTP/AVP PT
 *   a=rtpmap:PT L16/RATE/CH | L24/RATE/CH | opus/48000/2
 *   a=fmtp:PT useinbandfec=..; stereo=..; sprop-stereo=..[; maxplaybackrate=..]
 *                                   Opus only (RFC 7587 6.1)
 *   a=ptime:MS                      when given
 *   a=rtcp:PORT | a=rtcp-mux        RTCP not on PORT + 1 (RFC 3605, 5761)
 *   a=sendrecv|sendonly|recvonly|inactive   when given
 *
 * Opus's rtpmap is always opus/48000/2 whatever the stream's channels and
 * input rate (RFC 7587 7): stereo and sprop-stereo say what is sent.
 * hsr_sdp_write() is [loop]: it formats text.
 */
#ifndef HSR_SDP_H
#define HSR_SDP_H

#include "hsr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hsr_sdp_dir {
	HSR_SDP_DIR_NONE = 0, /* no direction attribute (sendrecv implied) */
	HSR_SDP_SENDRECV = 1,
	HSR_SDP_SENDONLY = 2,
	HSR_SDP_RECVONLY = 3,
	HSR_SDP_INACTIVE = 4,
} hsr_sdp_dir;

/* RFC 7587 6.1 parameters, written for Opus only. */
typedef struct hsr_sdp_opus {
	bool useinbandfec;        /* the receiver should decode in-band FEC */
	bool stereo;              /* the receiver prefers stereo */
	bool sprop_stereo;        /* the sender is likely to send stereo */
	uint32_t maxplaybackrate; /* 0: omitted; else 8000..48000 Hz */
} hsr_sdp_opus;

typedef struct hsr_sdp {
	const char *username;     /* o= username; NULL: "-" */
	uint64_t session_id;      /* o= sess-id: fixed for the stream */
	uint64_t session_version; /* o= sess-version: raised on each change */
	/* o= address, numeric IPv4 or IPv6 of the host; NULL: the c=
	 * address, which must then be unicast. */
	const char *origin;
	const char *name;         /* s=; NULL or "": "-" (RFC 8866 5.3) */
	const char *address;      /* c=: numeric IPv4 or IPv6 (no host name) */
	uint8_t ttl;              /* IPv4 multicast: 1..255; else unused */
	uint16_t port;            /* RTP, 1..65535 */
	uint16_t rtcp_port;       /* 0: port + 1; unused with rtcp_mux */
	bool rtcp_mux;
	uint8_t pt;               /* hsr_pt_check() */
	hsr_format format;
	uint32_t ptime_us;        /* 0: no a=ptime; else written in whole ms,
				     rounded up as RFC 7587 6.1 does for 2.5 */
	hsr_sdp_opus opus;
	uint8_t dir;              /* hsr_sdp_dir */
} hsr_sdp;

/* The description into buf, NUL-terminated.  Returns its length (NUL
 * excluded); -HSR_ERR_NO_SPACE when cap is too small (buf then holds no
 * description: an empty string when cap > 0); -HSR_ERR_INVALID for a
 * field out of range: an address that is not numeric, a string with a
 * control byte (or a space in username), a multicast IPv4 address without
 * TTL, a multicast c= without origin, no port for RTCP (port 65535 and
 * neither rtcp_port nor rtcp_mux), a bad format or payload type. */
int hsr_sdp_write(char *buf, size_t cap, const hsr_sdp *d);

#ifdef __cplusplus
}
#endif

#endif
