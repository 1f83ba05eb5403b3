/* SPDX-License-Identifier: MIT */
/* The SDP writer (hsr_sdp.h has the output's shape). */
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hsr_sdp.h"

typedef struct out {
	char *buf;
	size_t cap, len;
	bool full;
} out;

__attribute__((format(printf, 2, 3)))
static void put(out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	/* vsnprintf needs room for its NUL too. */
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

typedef struct addr {
	bool v6;
	bool multicast;
} addr;

/* Numeric addresses only: a host name would need resolving, and what the
 * daemon sends to or listens on is numeric anyway. */
static int classify(const char *s, addr *a)
{
	unsigned char b[16];

	if (!s)
		return -HSR_ERR_INVALID;
	if (inet_pton(AF_INET, s, b) == 1) {
		a->v6 = false;
		a->multicast = (b[0] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		a->v6 = true;
		a->multicast = b[0] == 0xff; /* ff00::/8 */
		return 0;
	}
	return -HSR_ERR_INVALID;
}

/* Text fit for a field: no control byte (CR and LF above all, which
 * would start a line of the attacker's choosing), and for tokens no
 * space. */
static bool text_ok(const char *s, bool token)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (token && c == ' '))
			return false;
	}
	return true;
}

static const char *enc_name(const hsr_format *f)
{
	switch (f->encoding) {
	case HSR_L16: return "L16";
	case HSR_L24: return "L24";
	default: return "opus";
	}
}

int hsr_sdp_write(char *buf, size_t cap, const hsr_sdp *d)
{
	static const char *const dirs[] = {
		[HSR_SDP_SENDRECV] = "sendrecv",
		[HSR_SDP_SENDONLY] = "sendonly",
		[HSR_SDP_RECVONLY] = "recvonly",
		[HSR_SDP_INACTIVE] = "inactive",
	};
	const char *user = d->username ? d->username : "-";
	const char *name = d->name && d->name[0] ? d->name : "-";
	const char *origin = d->origin ? d->origin : d->address;
	bool opus = d->format.encoding == HSR_OPUS;
	addr c, o;
	out w = {buf, cap, 0, false};

	if (cap)
		buf[0] = 0;
	if (classify(d->address, &c) || classify(origin, &o) || o.multicast ||
	    !user[0] || !text_ok(user, true) || !text_ok(name, false) ||
	    hsr_pt_check(d->pt, &d->format) || d->port == 0 ||
	    d->dir > HSR_SDP_INACTIVE)
		return -HSR_ERR_INVALID;
	if (c.multicast && !c.v6 && d->ttl == 0)
		return -HSR_ERR_INVALID;
	if (!d->rtcp_mux && d->rtcp_port == 0 && d->port == 65535)
		return -HSR_ERR_INVALID;
	if (opus && d->opus.maxplaybackrate &&
	    (d->opus.maxplaybackrate < 8000 || d->opus.maxplaybackrate > 48000))
		return -HSR_ERR_INVALID;

	put(&w, "v=0\r\n");
	put(&w, "o=%s %llu %llu IN %s %s\r\n", user,
	    (unsigned long long)d->session_id,
	    (unsigned long long)d->session_version, o.v6 ? "IP6" : "IP4",
	    origin);
	put(&w, "s=%s\r\n", name);
	if (c.multicast && !c.v6)
		put(&w, "c=IN IP4 %s/%u\r\n", d->address, d->ttl);
	else
		put(&w, "c=IN %s %s\r\n", c.v6 ? "IP6" : "IP4", d->address);
	put(&w, "t=0 0\r\n");
	put(&w, "m=audio %u RTP/AVP %u\r\n", d->port, d->pt);
	if (opus) {
		put(&w, "a=rtpmap:%u opus/48000/2\r\n", d->pt);
		put(&w, "a=fmtp:%u useinbandfec=%d; stereo=%d; sprop-stereo=%d",
		    d->pt, d->opus.useinbandfec, d->opus.stereo,
		    d->opus.sprop_stereo);
		if (d->opus.maxplaybackrate)
			put(&w, "; maxplaybackrate=%u", d->opus.maxplaybackrate);
		put(&w, "\r\n");
	} else {
		put(&w, "a=rtpmap:%u %s/%u/%u\r\n", d->pt, enc_name(&d->format),
		    d->format.rate, d->format.channels);
	}
	if (d->ptime_us)
		put(&w, "a=ptime:%u\r\n", (d->ptime_us + 999) / 1000);
	if (d->rtcp_mux)
		put(&w, "a=rtcp-mux\r\n");
	else if (d->rtcp_port && d->rtcp_port != d->port + 1)
		put(&w, "a=rtcp:%u\r\n", d->rtcp_port);
	if (d->dir != HSR_SDP_DIR_NONE)
		put(&w, "a=%s\r\n", dirs[d->dir]);
	if (w.full || w.len > INT_MAX) {
		if (cap)
			buf[0] = 0;
		return -HSR_ERR_NO_SPACE;
	}
	return (int)w.len;
}
