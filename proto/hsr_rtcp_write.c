/* SPDX-License-Identifier: MIT */
/*
 * Building compound RTCP packets (RFC 3550 6.4 - 6.7).  Every packet
 * starts with V=2, P, a 5-bit count, the type and its length in 32-bit
 * words minus one.  The writer never pads: every packet it builds is a
 * whole number of words already.
 */
#include <string.h>

#include "hsr_bytes.h"
#include "hsr_rtcp.h"

#define LOST_MAX 0x7fffff
#define LOST_MIN (-0x800000)

void hsr_rtcp_writer_init(hsr_rtcp_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
}

/* Room for a packet of `bytes` (a multiple of 4) of `type`: its start, or
 * NULL with *rc set.  The header is written; the caller fills the rest. */
static uint8_t *begin(hsr_rtcp_writer *w, uint8_t type, unsigned count,
		      size_t bytes, int *rc)
{
	uint8_t *p;

	if (w->len == 0 && type != HSR_RTCP_SR && type != HSR_RTCP_RR) {
		*rc = -HSR_ERR_TYPE;
		return NULL;
	}
	if (bytes / 4 - 1 > 0xffff) {
		*rc = -HSR_ERR_INVALID;
		return NULL;
	}
	if (bytes > w->cap - w->len) {
		*rc = -HSR_ERR_NO_SPACE;
		return NULL;
	}
	p = w->buf + w->len;
	p[0] = (uint8_t)(2u << 6 | count);
	p[1] = type;
	hsr__put16(p + 2, (uint16_t)(bytes / 4 - 1));
	*rc = 0;
	return p;
}

static int check_blocks(const hsr_report_block *b, unsigned n)
{
	if (n > HSR_RTCP_BLOCKS_MAX || (n && !b))
		return -HSR_ERR_INVALID;
	for (unsigned i = 0; i < n; i++)
		if (b[i].lost > LOST_MAX || b[i].lost < LOST_MIN)
			return -HSR_ERR_INVALID;
	return 0;
}

static void put_blocks(uint8_t *p, const hsr_report_block *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++, p += HSR_RTCP_BLOCK) {
		hsr__put32(p, b[i].ssrc);
		/* fraction lost, then the cumulative count as 24-bit two's
		 * complement. */
		hsr__put32(p + 4, (uint32_t)b[i].fraction << 24 |
					  ((uint32_t)b[i].lost & 0xffffff));
		hsr__put32(p + 8, b[i].ext_max_seq);
		hsr__put32(p + 12, b[i].jitter);
		hsr__put32(p + 16, b[i].lsr);
		hsr__put32(p + 20, b[i].dlsr);
	}
}

int hsr_rtcp_write_sr(hsr_rtcp_writer *w, const hsr_rtcp_sr *sr,
		      const hsr_report_block *blocks, unsigned n)
{
	int rc = check_blocks(blocks, n);
	uint8_t *p;

	if (rc)
		return rc;
	p = begin(w, HSR_RTCP_SR, n, 28 + HSR_RTCP_BLOCK * n, &rc);
	if (!p)
		return rc;
	hsr__put32(p + 4, sr->ssrc);
	hsr__put64(p + 8, sr->ntp);
	hsr__put32(p + 16, sr->rtp_ts);
	hsr__put32(p + 20, sr->packets);
	hsr__put32(p + 24, sr->octets);
	put_blocks(p + 28, blocks, n);
	w->len += 28 + HSR_RTCP_BLOCK * n;
	return 0;
}

int hsr_rtcp_write_rr(hsr_rtcp_writer *w, uint32_t ssrc,
		      const hsr_report_block *blocks, unsigned n)
{
	int rc = check_blocks(blocks, n);
	uint8_t *p;

	if (rc)
		return rc;
	p = begin(w, HSR_RTCP_RR, n, 8 + HSR_RTCP_BLOCK * n, &rc);
	if (!p)
		return rc;
	hsr__put32(p + 4, ssrc);
	put_blocks(p + 8, blocks, n);
	w->len += 8 + HSR_RTCP_BLOCK * n;
	return 0;
}

int hsr_rtcp_write_cname(hsr_rtcp_writer *w, uint32_t ssrc, const char *cname)
{
	size_t n = cname ? strnlen(cname, HSR_SDES_TEXT_MAX + 1) : 0;
	/* header, SSRC, CNAME type and length, the text, then at least one
	 * END byte up to the next word (RFC 3550 6.5). */
	size_t chunk = (4 + 2 + n + 1 + 3) & ~(size_t)3;
	uint8_t *p;
	int rc;

	if (n == 0 || n > HSR_SDES_TEXT_MAX)
		return -HSR_ERR_INVALID;
	p = begin(w, HSR_RTCP_SDES, 1, 4 + chunk, &rc);
	if (!p)
		return rc;
	hsr__put32(p + 4, ssrc);
	p[8] = HSR_SDES_CNAME;
	p[9] = (uint8_t)n;
	memcpy(p + 10, cname, n);
	memset(p + 10 + n, 0, chunk - 6 - n);
	w->len += 4 + chunk;
	return 0;
}

int hsr_rtcp_write_bye(hsr_rtcp_writer *w, const uint32_t *ssrcs, unsigned n,
		       const char *reason)
{
	size_t r = reason ? strnlen(reason, HSR_SDES_TEXT_MAX + 1) : 0;
	size_t tail = r ? (1 + r + 3) & ~(size_t)3 : 0;
	size_t bytes = 4 + 4u * n + tail;
	uint8_t *p;
	int rc;

	if (n > HSR_RTCP_BLOCKS_MAX || (n && !ssrcs) || r > HSR_SDES_TEXT_MAX)
		return -HSR_ERR_INVALID;
	p = begin(w, HSR_RTCP_BYE, n, bytes, &rc);
	if (!p)
		return rc;
	for (unsigned i = 0; i < n; i++)
		hsr__put32(p + 4 + 4 * i, ssrcs[i]);
	if (r) {
		uint8_t *t = p + 4 + 4u * n;

		t[0] = (uint8_t)r;
		memcpy(t + 1, reason, r);
		memset(t + 1 + r, 0, tail - 1 - r);
	}
	w->len += bytes;
	return 0;
}

int hsr_rtcp_write_app(hsr_rtcp_writer *w, uint8_t subtype, uint32_t ssrc,
		       const char name[4], const void *data, size_t len)
{
	uint8_t *p;
	int rc;

	if (subtype > 31 || !name || len % 4 || (len && !data) ||
	    len > 4u * 0xffff)
		return -HSR_ERR_INVALID;
	p = begin(w, HSR_RTCP_APP, subtype, 12 + len, &rc);
	if (!p)
		return rc;
	hsr__put32(p + 4, ssrc);
	memcpy(p + 8, name, 4);
	if (len)
		memcpy(p + 12, data, len);
	w->len += 12 + len;
	return 0;
}
