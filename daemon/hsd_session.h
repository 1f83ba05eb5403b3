/* SPDX-License-Identifier: MIT */
/*
 * One client connection, inside (hsd_session.c: the connection, output and
 * open streams; hsd_session_msg.c: the messages and position reports).
 * Internal to those two files.
 */
#ifndef HSD_SESSION_H
#define HSD_SESSION_H

#include "hsd_daemon.h"
#include "hsd_log.h"

#define SESSION_OPENS 8
/* A client whose socket has this much queued in user space, past what
 * the kernel took, is disconnected when one more message is due. */
#define OUT_HARD (4u << 20)
/* A session closing after its fatal ERROR waits this long for the peer to
 * read it. */
#define CLOSE_GRACE_MS 1000

struct hsd_sopen {
	hsd_session *ss;
	hsd_stream *s;
	uint32_t id;
	uint8_t state; /* hsp_stream_state */
	uint16_t interval_ms;
	uint64_t last_report_ms;
	uint64_t next_index;  /* render: the next frame index expected */
	uint64_t sent;        /* render: received; capture: sent */
	uint64_t dropped;     /* render: discarded by STOP */
	uint64_t done;        /* render: played (kept monotonic) */
	uint64_t credit_sent; /* render: the last limit told */
	uint64_t underruns0;  /* render: the engine's count at OPEN */
	uint64_t skipped;     /* render: discarded late, as last reported */
	uint32_t drain_tag;
	hsd_lqueue *lq;       /* capture */
	bool used;
};

struct hsd_session {
	hsd_daemon *d;
	hsd_session *next, **pprev;
	uv_tcp_t tcp;
	uv_timer_t timer;
	unsigned handles; /* open libuv handles, freed at 0 */
	bool closing, failing, reading;
	uint64_t fail_ms;
	uint64_t last_rx_ms, last_tx_ms;
	uint32_t next_id;
	unsigned timer_ms;
	/* a render AUDIO that did not fit: its payload is in the parser */
	bool holding;
	hsp_audio held;
	hsd_sopen *held_open;
	size_t in_off, in_len;
	hsd_sopen open[SESSION_OPENS];
	/* Ids the daemon closed (a stream lost to a reload or an error), the
	 * newest SESSION_OPENS: render AUDIO the client sent for one before
	 * it read the ERROR is dropped, not a violation (PROTOCOL.md). */
	uint32_t lost_ids[SESSION_OPENS];
	unsigned nlost;
	char peer[64];
	hsp_parser parser;
	uint8_t in[HSP_MAX_FRAME];
};

typedef struct wreq {
	uv_write_t req;
	hsd_session *ss;
	hsd_chunk *chunk;
	bool close_after;
	uint8_t data[];
} wreq;

/* hsd_session.c */
void ss_send(hsd_session *ss, const hsp_msg *m, bool close_after);
void ss_error(hsd_session *ss, uint32_t tag, uint32_t stream, int code, bool fatal,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void ss_ack(hsd_session *ss, uint32_t tag, uint32_t stream, uint16_t req);
int ss_write(hsd_session *ss, wreq *w, uv_buf_t *bufs, unsigned n);
void ss_close(hsd_session *ss);
void ss_process(hsd_session *ss);
void ss_start_reading(hsd_session *ss);
hsd_sopen *ss_find_open(hsd_session *ss, uint32_t id);
bool ss_id_lost(const hsd_session *ss, uint32_t id);
void ss_retime(hsd_session *ss);
void ss_release_open(hsd_sopen *o);
void ss_abandon_drain(hsd_sopen *o);
void ss_send_chunks(hsd_sopen *o);
void ss_credit(hsd_sopen *o, bool force);
bool ss_push_held(hsd_session *ss);
/* hsd_session_msg.c */
void ss_position(hsd_sopen *o, uint32_t tag);
void ss_on_message(hsd_session *ss, const hsp_msg *m);

#endif
