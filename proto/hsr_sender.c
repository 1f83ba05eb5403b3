/* SPDX-License-Identifier: MIT */
/*
 * One sending RTP source: SSRC, sequence numbers, timestamps and the
 * marker bit (RFC 3550 5.1, RFC 3551 4.1), and the counts an SR reports.
 */
#include <errno.h>
#include <sys/random.h>

#include "hsr_rtp.h"

int hsr_sender_init_fixed(hsr_sender *s, const hsr_format *f, uint8_t pt,
			  uint32_t ssrc, uint16_t seq, uint32_t ts0)
{
	if (hsr_pt_check(pt, f))
		return -HSR_ERR_INVALID;
	*s = (hsr_sender){
		.ssrc = ssrc,
		.pt = pt,
		.marker = true, /* the stream's first packet */
		.seq = seq,
		.ts0 = ts0,
		.clock = hsr_format_clock(f),
		.rate = f->rate,
	};
	return 0;
}

/* GRND_NONBLOCK: early in boot, before the kernel's pool is seeded, a
 * blocking call would stall the loop thread; the values need to be
 * unpredictable and distinct, not secret keys, so the insecure pool is
 * then good enough. */
static int random_bytes(void *buf, size_t len)
{
	ssize_t n;

	do
		n = getrandom(buf, len, GRND_NONBLOCK);
	while (n < 0 && errno == EINTR);
#ifdef GRND_INSECURE
	if (n < 0 && errno == EAGAIN)
		n = getrandom(buf, len, GRND_INSECURE);
#endif
	return n == (ssize_t)len ? 0 : -HSR_ERR_RANDOM;
}

int hsr_sender_init(hsr_sender *s, const hsr_format *f, uint8_t pt)
{
	uint8_t r[10];
	int rc;

	if (hsr_pt_check(pt, f))
		return -HSR_ERR_INVALID;
	rc = random_bytes(r, sizeof(r));
	if (rc)
		return rc;
	return hsr_sender_init_fixed(
		s, f, pt,
		(uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3],
		(uint16_t)(r[4] << 8 | r[5]),
		(uint32_t)r[6] << 24 | (uint32_t)r[7] << 16 | (uint32_t)r[8] << 8 | r[9]);
}

uint32_t hsr_sender_ts(const hsr_sender *s, uint64_t frame)
{
	/* frame x clock / rate, exact and without overflow: split frame into
	 * whole seconds and a remainder below `rate`.  For PCM clock == rate
	 * and this is frame itself.  The sum wraps modulo 2^32 as RTP
	 * timestamps do. */
	uint64_t sec = frame / s->rate, rem = frame % s->rate;

	return s->ts0 + (uint32_t)(sec * s->clock + rem * s->clock / s->rate);
}

int hsr_sender_next(hsr_sender *s, uint32_t frames, size_t payload_len,
		    hsr_rtp_header *h)
{
	if (frames == 0)
		return -HSR_ERR_INVALID;
	*h = (hsr_rtp_header){
		.marker = s->marker,
		.pt = s->pt,
		.seq = s->seq,
		.ts = hsr_sender_ts(s, s->frame),
		.ssrc = s->ssrc,
	};
	s->marker = false;
	s->seq++;
	s->frame += frames;
	s->packets++;
	s->octets += (uint32_t)payload_len;
	return 0;
}

void hsr_sender_gap(hsr_sender *s, uint64_t frames)
{
	s->frame += frames;
	s->marker = true;
}
