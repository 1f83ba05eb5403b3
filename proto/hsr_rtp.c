/* SPDX-License-Identifier: MIT */
/*
 * The RTP fixed header (RFC 3550 5.1), its CSRC list, the header
 * extension (5.3.1) and padding.  Byte 0: V(2) P(1) X(1) CC(4); byte 1:
 * M(1) PT(7); then sequence number, timestamp, SSRC, CSRCs, all
 * big-endian.
 */
#include <string.h>

#include "hsr_bytes.h"
#include "hsr_rtp.h"

size_t hsr_rtp_header_size(const hsr_rtp_header *h)
{
	size_t n = HSR_RTP_HEADER + 4u * h->csrc_count;

	if (h->ext)
		n += 4u + 4u * h->ext_words;
	return n;
}

int hsr_rtp_header_pack(void *buf, size_t cap, const hsr_rtp_header *h)
{
	uint8_t *p = buf;
	size_t n, off;

	if (h->pt > 127 || h->csrc_count > HSR_RTP_CSRC_MAX ||
	    (h->ext && h->ext_words && !h->ext_data))
		return -HSR_ERR_INVALID;
	n = hsr_rtp_header_size(h);
	if (n > cap)
		return -HSR_ERR_NO_SPACE;
	p[0] = (uint8_t)(HSR_RTP_VERSION << 6 | (h->ext ? 0x10 : 0) |
			 h->csrc_count);
	p[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	hsr__put16(p + 2, h->seq);
	hsr__put32(p + 4, h->ts);
	hsr__put32(p + 8, h->ssrc);
	off = HSR_RTP_HEADER;
	for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
		hsr__put32(p + off, h->csrc[i]);
	if (h->ext) {
		hsr__put16(p + off, h->ext_profile);
		hsr__put16(p + off + 2, h->ext_words);
		if (h->ext_words)
			memcpy(p + off + 4, h->ext_data, 4u * h->ext_words);
	}
	return (int)n;
}

int hsr_rtp_pad(void *pkt, size_t cap, size_t len, uint8_t pad)
{
	uint8_t *p = pkt;

	if (pad == 0 || len < HSR_RTP_HEADER)
		return -HSR_ERR_INVALID;
	if (len + pad > cap || len + pad > (size_t)INT32_MAX)
		return -HSR_ERR_NO_SPACE;
	memset(p + len, 0, pad);
	p[len + pad - 1] = pad;
	p[0] |= 0x20;
	return (int)(len + pad);
}

int hsr_rtp_parse(const void *pkt, size_t len, hsr_rtp_packet *out)
{
	const uint8_t *p = pkt;
	hsr_rtp_header *h = &out->h;
	size_t off, end = len;

	if (len < HSR_RTP_HEADER)
		return -HSR_ERR_SHORT;
	if (p[0] >> 6 != HSR_RTP_VERSION)
		return -HSR_ERR_VERSION;
	h->csrc_count = p[0] & 0x0f;
	h->ext = p[0] & 0x10;
	h->marker = p[1] & 0x80;
	h->pt = p[1] & 0x7f;
	h->seq = hsr__get16(p + 2);
	h->ts = hsr__get32(p + 4);
	h->ssrc = hsr__get32(p + 8);
	off = HSR_RTP_HEADER + 4u * h->csrc_count;
	if (off > len)
		return -HSR_ERR_SHORT;
	for (unsigned i = 0; i < h->csrc_count; i++)
		h->csrc[i] = hsr__get32(p + HSR_RTP_HEADER + 4 * i);
	h->ext_profile = 0;
	h->ext_words = 0;
	h->ext_data = NULL;
	if (h->ext) {
		if (off + 4 > len)
			return -HSR_ERR_SHORT;
		h->ext_profile = hsr__get16(p + off);
		h->ext_words = hsr__get16(p + off + 2);
		off += 4;
		if (off + 4u * h->ext_words > len)
			return -HSR_ERR_SHORT;
		h->ext_data = p + off;
		off += 4u * h->ext_words;
	}
	out->pad_len = 0;
	if (p[0] & 0x20) {
		/* The last byte counts the padding, itself included (RFC 3550
		 * 5.1): it cannot be 0 and cannot reach into the headers. */
		uint8_t pad = p[len - 1];

		if (pad == 0 || pad > len - off)
			return -HSR_ERR_PADDING;
		out->pad_len = pad;
		end = len - pad;
	}
	out->payload = p + off;
	out->payload_len = end - off;
	return 0;
}
