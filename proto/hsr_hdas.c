/* SPDX-License-Identifier: MIT */
/*
 * The HDAS APP packet (PROTOCOL.md, "RTP and RTCP"): the controller's
 * position for one stream, so that a peer places RTP frames at the
 * converter as a native-protocol client does with POSITION.
 */
#include <string.h>

#include "hsr_bytes.h"
#include "hsr_rtcp.h"

int hsr_rtcp_write_hdas(hsr_rtcp_writer *w, uint32_t ssrc, const hsr_hdas *a)
{
	uint8_t d[HSR_HDAS_DATA];

	if (a->flags & ~HSR_HDAS_FLAGS_ALL)
		return -HSR_ERR_INVALID;
	/* PROTOCOL.md, "The HDAS APP packet": every field big-endian. */
	hsr__put32(d + 0, a->rtp_ts);
	hsr__put32(d + 4, a->fifo_frames);
	hsr__put64(d + 8, a->link_frames);
	hsr__put64(d + 16, a->dma_frames);
	hsr__put64(d + 24, a->wall_ticks);
	hsr__put64(d + 32, a->ntp);
	hsr__put32(d + 40, a->rate);
	hsr__put16(d + 44, a->flags);
	hsr__put16(d + 46, 0);
	return hsr_rtcp_write_app(w, HSR_HDAS_SUBTYPE, ssrc, HSR_HDAS_NAME, d,
				  sizeof(d));
}

int hsr_rtcp_read_hdas(const hsr_rtcp_packet *pkt, hsr_hdas *out)
{
	const uint8_t *d = pkt->app_data;

	if (pkt->type != HSR_RTCP_APP || pkt->count != HSR_HDAS_SUBTYPE ||
	    memcmp(pkt->app_name, HSR_HDAS_NAME, 4) != 0)
		return -HSR_ERR_UNSUPPORTED;
	if (pkt->app_len != HSR_HDAS_DATA || hsr__get16(d + 46) != 0 ||
	    (hsr__get16(d + 44) & ~HSR_HDAS_FLAGS_ALL))
		return -HSR_ERR_MALFORMED;
	out->rtp_ts = hsr__get32(d + 0);
	out->fifo_frames = hsr__get32(d + 4);
	out->link_frames = hsr__get64(d + 8);
	out->dma_frames = hsr__get64(d + 16);
	out->wall_ticks = hsr__get64(d + 24);
	out->ntp = hsr__get64(d + 32);
	out->rate = hsr__get32(d + 40);
	out->flags = hsr__get16(d + 44);
	return 0;
}
