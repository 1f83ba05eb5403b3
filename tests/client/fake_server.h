/* SPDX-License-Identifier: MIT */
/*
 * A fake hdastreamd for the client tests: a thread with a loopback
 * listener on port 0 that accepts one connection and plays one stream by a
 * plan (a credit window, a slow or absent credit, an ERROR in reply to
 * OPEN, silence, a disconnect, malformed bytes, bytes sent one at a time,
 * capture audio in chunks of given sizes).  It speaks the protocol with
 * libhsp, checks what the client sends (credit, frame sequence), and
 * records it for the test's main thread, which asserts after fake_join():
 * cmocka's checks are made on one thread only.  Every wait is bounded.
 */
#ifndef FAKE_SERVER_H
#define FAKE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hsp_wire.h"

#define FAKE_WAIT_MS 10000 /* the longest the fake waits for the client */

typedef struct fake_plan {
	bool ipv6;                /* listen on ::1 instead of 127.0.0.1 */
	bool trickle;             /* send every byte in its own write */
	uint32_t idle_timeout_ms; /* HELLO_ACK's */
	const uint8_t *garbage;   /* sent right after HELLO_ACK */
	size_t garbage_len;
	bool garbage_on_open;     /* instead: in reply to OPEN */
	uint16_t open_error;      /* answer the first OPEN with this ERROR */
	const char *open_error_text;
	bool silent;              /* after OPENED, answer nothing */
	uint16_t start_error;     /* answer START with this ERROR... */
	bool start_error_fatal;   /* ...fatal, then close */
	bool changed_after_start; /* tag-0 STREAM_CHANGED after START's ACK */
	/* The stream. */
	uint8_t direction;
	hsp_format format;
	bool adjusted;
	uint32_t buffer_bytes, period_frames, fifo_bytes, latency_frames;
	/* Render: the first limit; each AUDIO raises it to received + window
	 * (after credit_delay_ms), unless no_credit. */
	uint32_t window;
	uint32_t credit_delay_ms;
	bool no_credit;
	uint64_t close_after_frames; /* render: close once this many came */
	/* Capture: after START's ACK, send capture_frames frames of the
	 * pattern in messages of chunk sizes (cycled), starting at index
	 * capture_start, skipping gap_len indexes at gap_at (a count of
	 * frames sent, at a message boundary); then truncated_tail: half a
	 * message, and close. */
	uint64_t capture_frames;
	const uint32_t *chunks;
	size_t n_chunks;
	uint64_t capture_start, gap_at, gap_len;
	bool truncated_tail;
	/* STATUS: HELLO_ACK keeps HSP_CAP_STATUS when offer_status; a STATUS
	 * is answered with *status (the request's tag put in), or with
	 * status_bytes as they are but for the tag (a malformed report), or
	 * else with a non-fatal ERROR status_error. */
	bool offer_status;
	const hsp_status_report *status;
	const uint8_t *status_bytes;
	size_t status_len;
	uint16_t status_error;
} fake_plan;

typedef struct fake_result {
	char failure[256];     /* what the fake found wrong, "" when nothing */
	hsp_hello hello;
	hsp_open open;
	uint8_t *audio;        /* render: payloads received, in order */
	size_t audio_len, audio_cap;
	uint64_t frames;       /* render: received; capture: sent */
	uint64_t limit;        /* render: the last limit granted */
	bool over_credit;      /* an AUDIO beyond the limit */
	uint32_t requests[0x20]; /* count per client type 0x00..0x1F */
	uint32_t keepalives;
	int64_t keepalive_after_ms; /* since the client's previous message */
	hsp_error_msg client_error; /* an ERROR the client sent (code 0: none) */
	bool eof;              /* the client closed the connection */
} fake_result;

typedef struct fake_server {
	pthread_t thread;
	int listen_fd, fd;
	uint16_t port;
	fake_plan plan;
	fake_result result;
	hsp_parser *parser;
	atomic_bool started;     /* capture: the START was answered */
	atomic_uint_fast64_t progress; /* frames sent (capture) or received (render) */
	atomic_bool keepalive_seen;
} fake_server;

/* Listen and start the thread.  Returns NULL when listening fails (no
 * IPv6 loopback, say). */
fake_server *fake_start(const fake_plan *plan);
/* Wait for the thread (its waits are bounded) and close; the result stays
 * valid until fake_free. */
void fake_join(fake_server *f);
void fake_free(fake_server *f);
/* "127.0.0.1:PORT" or "[::1]:PORT". */
void fake_address(const fake_server *f, char *buf, size_t len);

/* CLOCK_MONOTONIC in ms. */
int64_t fake_now_ms(void);
/* A loopback TCP port that was just bound and closed: nobody listens. */
uint16_t fake_unused_port(void);

/* The pattern of capture frame i, sample s (16-bit stereo or anything):
 * a value that differs for every frame and channel. */
int16_t fake_sample(uint64_t frame, unsigned channel);

#endif
