/* SPDX-License-Identifier: MIT */
/*
 * One valid message of every type, with values that use every byte of
 * their fields (64-bit counts above 2^32, indexes near the wrap), shared by
 * the protocol tests.
 */
#ifndef HSP_SAMPLES_H
#define HSP_SAMPLES_H

#include <stdio.h>
#include <string.h>

#include "hsp_wire.h"

static const uint8_t sample_pcm[16] = {1, 0, 2, 0, 0xff, 0xff, 0xfe, 0xff,
				       0x34, 0x12, 0x78, 0x56, 0, 0x80, 0xff, 0x7f};

/* STATUS_REPORT's records: a running render stream with its owner and a
 * reading, and an idle capture stream with no engine, whose timeline
 * (link_frames) is all that is left of its last engine. */
static const hsp_status_stream sample_status_streams[2] = {
	{.name = "playback", .direction = HSP_DIR_RENDER, .codec = HSP_CODEC_PCM,
	 .state = HSP_SSTATE_RUNNING,
	 .flags = HSP_SS_ENGINE | HSP_SS_OWNER | HSP_SS_POSITION |
		  HSP_SS_STALLED | HSP_SS_ADJUSTED,
	 .format = {48000, 16, 16, 2}, .latency_frames = 160,
	 .latency_us = 3333, .buffer_bytes = 1536, .period_frames = 96,
	 .fifo_bytes = 256, .listeners = 0,
	 .link_frames = 0x100000000ull + 48000, .dma_frames = 0x100000000ull + 48064,
	 .wall_ticks = 0xfedcba9876543210ull, .mono_ns = 0x8000000000000001ull,
	 .real_ns = 1764655200123456789ull, .frames = UINT64_MAX,
	 .underruns = 0x1122334455667788ull, .overruns = 0,
	 .dropped = 0x0102030405060708ull},
	{.name = "Loop-back_2.a", .direction = HSP_DIR_CAPTURE,
	 .codec = HSP_CODEC_PCM, .state = HSP_SSTATE_IDLE,
	 .flags = HSP_SS_ALWAYS_ON,
	 .format = {176400, 24, 32, 16}, .latency_frames = 352800,
	 .latency_us = 2000000, .buffer_bytes = 4u << 20, .period_frames = 1,
	 .fifo_bytes = HSP_FIFO_MAX, .listeners = 65535,
	 .link_frames = UINT64_MAX - 1},
};

static const uint16_t sample_types[] = {
	HSP_HELLO, HSP_OPEN, HSP_START, HSP_PAUSE, HSP_STOP, HSP_DRAIN,
	HSP_CLOSE, HSP_POSITION_REQUEST, HSP_HELLO_ACK, HSP_OPENED, HSP_ACK,
	HSP_CREDIT, HSP_POSITION, HSP_KEEPALIVE, HSP_AUDIO, HSP_ERROR,
	HSP_STATUS, HSP_STATUS_REPORT,
};
#define N_SAMPLES (sizeof(sample_types) / sizeof(sample_types[0]))

/* Messages are built member by member on a zeroed struct, so that two
 * equal messages are equal bytes (padding included) for memcmp. */
static inline void sample_msg(uint16_t type, hsp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case HSP_HELLO:
		m->u.hello.version_min = 1;
		m->u.hello.version_max = 7;
		m->u.hello.caps = HSP_CAP_PCM | 0x80000000u; /* an unknown bit */
		strcpy(m->u.hello.name, "hdastream 0.1 (test)");
		break;
	case HSP_HELLO_ACK:
		m->u.hello_ack.version = 1;
		m->u.hello_ack.caps = HSP_CAP_PCM;
		m->u.hello_ack.idle_timeout_ms = HSP_IDLE_MS_MAX;
		strcpy(m->u.hello_ack.name, "hdastreamd");
		break;
	case HSP_OPEN:
		m->u.open.tag = 0xdeadbeef;
		m->u.open.direction = HSP_DIR_CAPTURE;
		m->u.open.flags = HSP_OPEN_FORMAT | HSP_OPEN_LATENCY;
		m->u.open.interval_ms = HSP_INTERVAL_MS_MAX;
		m->u.open.format.rate = 176400;
		m->u.open.format.bits = 24;
		m->u.open.format.container = 32;
		m->u.open.format.channels = 16;
		m->u.open.latency_us = HSP_LATENCY_US_MAX;
		strcpy(m->u.open.name, "Loop-back_2.a");
		break;
	case HSP_OPENED:
		m->u.opened.tag = 0x01020304;
		m->u.opened.stream = 0xfffffffe;
		m->u.opened.direction = HSP_DIR_RENDER;
		m->u.opened.flags = HSP_OPENED_ADJUSTED;
		m->u.opened.format.rate = 44100;
		m->u.opened.format.bits = 20;
		m->u.opened.format.container = 32;
		m->u.opened.format.channels = 6;
		m->u.opened.buffer_bytes = 24 * 1000;
		m->u.opened.period_frames = 250;
		m->u.opened.fifo_bytes = HSP_FIFO_MAX;
		m->u.opened.latency_frames = 441;
		m->u.opened.window_frames = 0x80000001u;
		break;
	case HSP_START:
	case HSP_PAUSE:
	case HSP_STOP:
	case HSP_DRAIN:
	case HSP_CLOSE:
	case HSP_POSITION_REQUEST:
		m->u.request.tag = 0x10000000u + type;
		m->u.request.stream = 0xa5a5a5a5u;
		break;
	case HSP_ACK:
		m->u.ack.tag = 0xffffffffu;
		m->u.ack.stream = 3;
		m->u.ack.request = HSP_DRAIN;
		break;
	case HSP_CREDIT:
		m->u.credit.stream = 2;
		m->u.credit.limit = 0x0123456789abcdefull;
		break;
	case HSP_POSITION: {
		hsp_position *p = &m->u.position;

		p->tag = 9;
		p->stream = 1;
		p->state = HSP_STATE_DRAINING;
		p->flags = HSP_POS_STALLED;
		p->fifo_bytes = 256;
		p->link_frames = 0x100000000ull + 48000; /* past 2^32 */
		p->dma_frames = p->link_frames + 64;
		p->wall_ticks = 0xfedcba9876543210ull;
		p->mono_ns = 0x8000000000000001ull;
		p->real_ns = 1764655200123456789ull;
		p->frames_sent = UINT64_MAX;
		p->frames_done = UINT64_MAX - 1;
		p->frames_dropped = 0x0102030405060708ull;
		p->underruns = 0x1122334455667788ull;
		break;
	}
	case HSP_KEEPALIVE:
		m->u.keepalive.token = 0x0807060504030201ull;
		break;
	case HSP_AUDIO:
		m->u.audio.stream = 7;
		m->u.audio.frame_index = UINT64_MAX - 4; /* the last 4 frames */
		m->u.audio.frames = 4;
		m->u.audio.payload_len = sizeof(sample_pcm);
		m->u.audio.payload = sample_pcm;
		break;
	case HSP_ERROR:
		m->u.error.tag = 5;
		m->u.error.stream = 6;
		m->u.error.code = HSP_ERR_HDA_INSUFFICIENT_RESOURCES;
		m->u.error.fatal = 1;
		strcpy(m->u.error.text, "no free DMA engine: caf\xc3\xa9 \xe2\x9c\x93");
		break;
	case HSP_STATUS:
		m->u.status.tag = 0xcafef00du;
		break;
	case HSP_STATUS_REPORT:
		m->u.status_report.tag = 0xcafef00du;
		m->u.status_report.stream_count = 2;
		m->u.status_report.clients = 0x12345678u;
		m->u.status_report.max_clients = 0x10000u;
		m->u.status_report.uptime_ms = 0x0001020304050607ull;
		strcpy(m->u.status_report.server, "hdastreamd 0.1.0 (test)");
		m->u.status_report.streams = sample_status_streams;
		break;
	}
}

static inline bool sample_from(uint16_t type, hsp_peer from)
{
	unsigned who = type >> 8;

	return who == 2 || (who == 0) == (from == HSP_FROM_CLIENT);
}

/* Two messages are the same: the same member, field for field (the audio
 * payload by content, not by pointer). */
static inline bool msg_equal(const hsp_msg *a, const hsp_msg *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == HSP_AUDIO) {
		hsp_audio x = a->u.audio, y = b->u.audio;

		if (x.payload_len != y.payload_len ||
		    memcmp(x.payload, y.payload, x.payload_len))
			return false;
		x.payload = y.payload = NULL;
		return memcmp(&x, &y, sizeof(x)) == 0;
	}
	if (a->type == HSP_STATUS_REPORT) {
		/* Records by content, whether an array or decoded bytes. */
		hsp_status_report x = a->u.status_report, y = b->u.status_report;

		for (uint32_t i = 0; x.stream_count == y.stream_count &&
				     i < x.stream_count; i++) {
			hsp_status_stream r, s;

			memset(&r, 0, sizeof(r));
			memset(&s, 0, sizeof(s));
			if (hsp_status_stream_get(&x, i, &r) ||
			    hsp_status_stream_get(&y, i, &s))
				return false;
			/* Names compare as strings: bytes after the NUL of
			 * a caller's array are not sent. */
			if (strcmp(r.name, s.name))
				return false;
			memset(r.name, 0, sizeof(r.name));
			memset(s.name, 0, sizeof(s.name));
			if (memcmp(&r, &s, sizeof(r)))
				return false;
		}
		x.streams = y.streams = NULL;
		x.records = y.records = NULL;
		return memcmp(&x, &y, sizeof(x)) == 0;
	}
	return memcmp(&a->u, &b->u, sizeof(a->u)) == 0;
}

/* xorshift64*: the robustness loops' fixed-seed generator. */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

#endif
