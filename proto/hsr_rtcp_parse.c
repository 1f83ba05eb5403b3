/* SPDX-License-Identifier: MIT */
/*
 * Reading compound RTCP packets: the validity checks of RFC 3550 A.2
 * (version 2 throughout, led by SR or RR, padding on the last packet only,
 * lengths that add up to the datagram) and, per packet, that what its
 * count announces fits its length.  hsr_rtcp_iter_init() runs decode()
 * over the whole compound before anything is handed out, so a datagram
 * is used whole or not at all; hsr_rtcp_next() then decodes again.
 */
#include <string.h>

#include "hsr_bytes.h"
#include "hsr_rtcp.h"

/* An SDES packet's chunks (RFC 3550 6.5): SSRC, items of type, length and
 * text, an END (0) byte, zeros to the next word.  Returns 0 or
 * -HSR_ERR_MALFORMED. */
static int check_sdes(const uint8_t *p, size_t len, unsigned chunks)
{
	size_t off = 0;

	for (unsigned c = 0; c < chunks; c++) {
		size_t end;

		if (off + 4 > len)
			return -HSR_ERR_MALFORMED;
		off += 4;
		for (;;) {
			if (off >= len)
				return -HSR_ERR_MALFORMED;
			if (p[off] == HSR_SDES_END)
				break;
			if (off + 2 > len || off + 2 + p[off + 1] > len)
				return -HSR_ERR_MALFORMED;
			off += 2u + p[off + 1];
		}
		/* The END octet, then null octets up to the next word (the
		 * body starts on one). */
		end = (off + 4) & ~(size_t)3;
		if (end > len)
			return -HSR_ERR_MALFORMED;
		for (off++; off < end; off++)
			if (p[off])
				return -HSR_ERR_MALFORMED;
	}
	/* Chunks take the body exactly: what is left over is not a chunk
	 * the count admits. */
	return off == len ? 0 : -HSR_ERR_MALFORMED;
}

/* Decode the packet at it->off (not yet past the end).  On success
 * returns its size in bytes. */
static long decode(const uint8_t *p, size_t len, size_t off,
		   hsr_rtcp_packet *out)
{
	const uint8_t *h = p + off;
	size_t left = len - off, size, body;
	unsigned count;
	bool last;

	if (left < 4)
		return -HSR_ERR_LENGTH;
	if (h[0] >> 6 != 2)
		return -HSR_ERR_VERSION;
	size = ((size_t)hsr__get16(h + 2) + 1) * 4;
	if (size > left)
		return -HSR_ERR_LENGTH;
	last = size == left;
	count = h[0] & 0x1f;
	memset(out, 0, sizeof(*out));
	out->type = h[1];
	out->count = (uint8_t)count;
	if (off == 0 && out->type != HSR_RTCP_SR && out->type != HSR_RTCP_RR)
		return -HSR_ERR_TYPE;
	body = size - 4;
	if (h[0] & 0x20) {
		/* Padding belongs to the last packet only (RFC 3550 6.4.1),
		 * and never to the first (A.2 tests P in the first packet's
		 * header word), not even to a first that is also the last. */
		uint8_t pad = h[size - 1];

		if (!last || off == 0 || pad == 0 || pad > body)
			return -HSR_ERR_PADDING;
		out->pad_len = pad;
		body -= pad;
	}
	out->body = h + 4;
	out->body_len = body;
	switch (out->type) {
	case HSR_RTCP_SR:
		if (body < 24 + HSR_RTCP_BLOCK * count)
			return -HSR_ERR_LENGTH;
		out->sr.ssrc = hsr__get32(h + 4);
		out->sr.ntp = hsr__get64(h + 8);
		out->sr.rtp_ts = hsr__get32(h + 16);
		out->sr.packets = hsr__get32(h + 20);
		out->sr.octets = hsr__get32(h + 24);
		break;
	case HSR_RTCP_RR:
		if (body < 4 + HSR_RTCP_BLOCK * count)
			return -HSR_ERR_LENGTH;
		out->sr.ssrc = hsr__get32(h + 4);
		break;
	case HSR_RTCP_SDES: {
		int rc = check_sdes(h + 4, body, count);

		if (rc)
			return rc;
		break;
	}
	case HSR_RTCP_BYE:
		if (body < 4u * count)
			return -HSR_ERR_LENGTH;
		if (body > 4u * count) {
			const uint8_t *r = h + 4 + 4u * count;

			if (1u + r[0] > body - 4u * count)
				return -HSR_ERR_MALFORMED;
			out->reason = r + 1;
			out->reason_len = r[0];
		}
		break;
	case HSR_RTCP_APP:
		if (body < 8)
			return -HSR_ERR_LENGTH;
		out->sr.ssrc = hsr__get32(h + 4);
		memcpy(out->app_name, h + 8, 4);
		out->app_name[4] = 0;
		out->app_data = h + 12;
		out->app_len = body - 8;
		break;
	default:
		/* XR, feedback and others: passed through, body only. */
		break;
	}
	return (long)size;
}

int hsr_rtcp_iter_init(hsr_rtcp_iter *it, const void *pkt, size_t len)
{
	hsr_rtcp_packet tmp;
	size_t off = 0;

	it->p = pkt;
	it->len = 0;
	it->off = 0;
	if (len < 4)
		return -HSR_ERR_SHORT;
	while (off < len) {
		long n = decode(pkt, len, off, &tmp);

		if (n < 0)
			return (int)n;
		off += (size_t)n;
	}
	it->len = len;
	return 0;
}

int hsr_rtcp_next(hsr_rtcp_iter *it, hsr_rtcp_packet *out)
{
	long n;

	if (it->off >= it->len)
		return 0;
	n = decode(it->p, it->len, it->off, out);
	if (n < 0) /* not after a successful init */
		return 0;
	it->off += (size_t)n;
	return 1;
}

void hsr_rtcp_block(const hsr_rtcp_packet *pkt, unsigned i,
		    hsr_report_block *out)
{
	const uint8_t *b = pkt->body + (pkt->type == HSR_RTCP_SR ? 24 : 4) +
			   HSR_RTCP_BLOCK * i;
	uint32_t w = hsr__get32(b + 4);

	out->ssrc = hsr__get32(b);
	out->fraction = (uint8_t)(w >> 24);
	/* Sign-extend the 24-bit cumulative count. */
	out->lost = (int32_t)((w & 0xffffff) ^ 0x800000) - 0x800000;
	out->ext_max_seq = hsr__get32(b + 8);
	out->jitter = hsr__get32(b + 12);
	out->lsr = hsr__get32(b + 16);
	out->dlsr = hsr__get32(b + 20);
}

uint32_t hsr_rtcp_bye_ssrc(const hsr_rtcp_packet *pkt, unsigned i)
{
	return hsr__get32(pkt->body + 4u * i);
}

void hsr_sdes_iter_init(hsr_sdes_iter *it, const hsr_rtcp_packet *pkt)
{
	it->p = pkt->body;
	it->len = pkt->type == HSR_RTCP_SDES ? pkt->body_len : 0;
	it->off = 0;
	it->chunks = pkt->type == HSR_RTCP_SDES ? pkt->count : 0;
	it->in_chunk = false;
	it->ssrc = 0;
}

int hsr_sdes_next(hsr_sdes_iter *it, hsr_sdes_item *out)
{
	/* The packet was checked whole (check_sdes), so every read below is
	 * within it. */
	while (it->chunks) {
		if (!it->in_chunk) {
			it->ssrc = hsr__get32(it->p + it->off);
			it->off += 4;
			it->in_chunk = true;
		}
		if (it->p[it->off] == HSR_SDES_END) {
			it->off = (it->off + 4) & ~(size_t)3;
			it->in_chunk = false;
			it->chunks--;
			continue;
		}
		out->ssrc = it->ssrc;
		out->type = it->p[it->off];
		out->len = it->p[it->off + 1];
		out->data = it->p + it->off + 2;
		it->off += 2u + out->len;
		return 1;
	}
	return 0;
}

bool hsr_rtcp_is_rtcp(const void *pkt, size_t len)
{
	const uint8_t *p = pkt;

	return len >= 2 && p[1] >= 192 && p[1] <= 223;
}

uint32_t hsr_rtcp_rtt(uint32_t arrival_mid, const hsr_report_block *b)
{
	/* Modulo 2^32 as the 16.16 times wrap (every 18.2 hours); a
	 * difference over half the range is a time in the past. */
	uint32_t d = arrival_mid - b->lsr;

	if (b->lsr == 0 || (d & 0x80000000u) || d < b->dlsr)
		return 0;
	return d - b->dlsr;
}
