/* SPDX-License-Identifier: MIT */
/*
 * The incremental parser: byte chunks of any size in, whole validated
 * messages out.  It buffers the 8-byte header first and judges it
 * (hsp_check_header) before it takes a single body byte, so a length over
 * the bound is refused without buffering it; the body then fits the fixed
 * buffer inside the struct by construction.  Nothing is allocated.
 */
#include <stdio.h>
#include <string.h>

#include "hsp_internal.h"

void hsp_parser_init(hsp_parser *p, hsp_peer from)
{
	p->from = from;
	p->greeted = false;
	p->done = false;
	p->failed = 0;
	p->have = 0;
	p->need = HSP_HEADER_SIZE;
	p->reason[0] = '\0';
}

const char *hsp_parser_reason(const hsp_parser *p)
{
	return p->reason;
}

static int fail(hsp_parser *p, int rc)
{
	p->failed = rc;
	return rc;
}

/* The connection rules a frame's type is judged by: the greeting first
 * (or a server's ERROR refusing the greeting), and once. */
static int check_order(hsp_parser *p, uint16_t type)
{
	uint16_t greeting = p->from == HSP_FROM_CLIENT ? HSP_HELLO : HSP_HELLO_ACK;

	if (!p->greeted && type != greeting &&
	    !(p->from == HSP_FROM_SERVER && type == HSP_ERROR))
		return hsp__fail(p->reason, HSP_ERR_BAD_STATE,
				 "expected %s first, got %s",
				 hsp_type_name(greeting), hsp_type_name(type));
	if (p->greeted && type == greeting)
		return hsp__fail(p->reason, HSP_ERR_BAD_STATE,
				 "a second %s", hsp_type_name(greeting));
	return 0;
}

int hsp_parser_feed(hsp_parser *p, const void *data, size_t len,
		    size_t *consumed, hsp_msg *msg)
{
	const uint8_t *in = data;
	size_t used = 0;
	int rc;

	*consumed = 0;
	if (p->failed)
		return p->failed;
	if (p->done) {
		p->done = false;
		p->have = 0;
		p->need = HSP_HEADER_SIZE;
	}
	while (used < len) {
		size_t take = p->need - p->have;

		if (take > len - used)
			take = len - used;
		memcpy(p->buf + p->have, in + used, take);
		p->have += (uint32_t)take;
		used += take;
		*consumed = used;
		if (p->have < p->need)
			break;
		if (p->need == HSP_HEADER_SIZE) {
			uint16_t type;
			long body = hsp_check_header(p->buf, p->from, &type,
						     p->reason);

			if (body < 0)
				return fail(p, (int)body);
			rc = check_order(p, type);
			if (rc)
				return fail(p, rc);
			p->need = HSP_HEADER_SIZE + (uint32_t)body;
			if (body)
				continue;
		}
		rc = hsp_decode(p->buf, p->have, p->from, msg, p->reason);
		if (rc)
			return fail(p, rc);
		if (msg->type == HSP_HELLO || msg->type == HSP_HELLO_ACK)
			p->greeted = true;
		p->done = true;
		return HSP_PARSE_MSG;
	}
	return HSP_PARSE_MORE;
}

int hsp_parser_eof(hsp_parser *p)
{
	if (p->failed)
		return p->failed;
	if (p->done || p->have == 0)
		return 0;
	snprintf(p->reason, sizeof(p->reason),
		 "connection closed %u bytes into a %u-byte %s", p->have,
		 p->need, p->need == HSP_HEADER_SIZE ? "header" : "frame");
	return fail(p, -HSP_ERR_TRUNCATED);
}
