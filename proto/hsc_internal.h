/* SPDX-License-Identifier: MIT */
/* Shared between the files of the hsc client library, not installed. */
#ifndef HSC_INTERNAL_H
#define HSC_INTERNAL_H

#include "hsc_client.h"

/* One stream open on the connection. */
typedef struct hsc_slot {
	uint32_t id; /* 0: free */
	uint8_t direction;
	uint32_t frame_bytes;
	uint64_t next_index; /* render: the next frame index to send */
	uint64_t limit;      /* render: the credit limit (never falls) */
	int closed_rc;       /* the server closed the id (STREAM_CHANGED) */
	hsc_error closed_err;
	hsp_position pos;    /* the latest report */
	uint64_t pos_seq;    /* reports received */
	/* Capture: records of [u64 frame_index][u32 frames][payload] in
	 * q[rd..wr), compacted to the front when the tail has no room. */
	uint8_t *q;
	size_t qcap, rd, wr;
	uint64_t local_dropped;
} hsc_slot;

#define HSC_REC_HEAD 12u

/* The request being waited for (one at a time: every call is synchronous). */
typedef struct hsc_wait {
	uint32_t tag;  /* 0: none */
	uint16_t type; /* the request type */
	bool done;
	int rc;
	union {
		hsp_opened opened;
		hsp_position position;
	} ans;
	hsc_status *status; /* STATUS: where the report goes */
} hsc_wait;

struct hsc_client {
	int fd;
	int dead; /* 0, or what every call returns from now on */
	int io_timeout_ms;
	size_t queue_bytes;
	char address[128];
	hsp_hello_ack hello_ack;
	bool greeted;
	uint32_t next_tag;
	uint64_t keepalive_token;
	int64_t last_send_ns;
	hsc_wait wait;
	hsc_error err;
	hsc_slot slots[HSC_STREAMS_MAX];
	/* Bytes queued to send, out[off..len). */
	size_t out_off, out_len;
	uint8_t out[HSP_MAX_FRAME];
	uint8_t in[HSP_MAX_FRAME];
	hsp_parser parser;
};

int64_t hsc__now_ns(void);
int64_t hsc__deadline(const hsc_client *c, int timeout_ms);

/* Records a failure in c->err and returns rc. */
__attribute__((format(printf, 4, 5)))
int hsc__fail(hsc_client *c, int rc, uint32_t stream, const char *fmt, ...);

/* Append one encoded message to the send buffer (after flushing what is
 * there, within the deadline) and flush it. */
int hsc__send(hsc_client *c, const hsp_msg *m, int64_t deadline);
/* The same for AUDIO; *queued tells whether the message was encoded (it
 * then goes out whole, in this call or a later one, even on failure). */
int hsc__send_audio(hsc_client *c, const hsp_audio *a, int64_t deadline,
		    bool *queued);

/* One round of I/O: wait (until the deadline, and at most until a
 * keepalive is due) for the socket, read and dispatch what came, send
 * what is queued.  0 after some progress or a keepalive, -ETIMEDOUT once
 * the deadline passed, or another negative value. */
int hsc__pump(hsc_client *c, int64_t deadline);

/* Send a request (OPEN or one of hsp_request's) with a fresh tag, which
 * it writes into m, and wait for its answer. */
int hsc__transact(hsc_client *c, hsp_msg *m, int64_t deadline);

hsc_slot *hsc__slot(hsc_client *c, uint32_t id);
/* The slot of an id for a call: NULL with c->err set and *rc when it is
 * not open, or when the server closed it. */
hsc_slot *hsc__usable_slot(hsc_client *c, uint32_t id, int *rc);
void hsc__free_slot(hsc_slot *s);

/* Dispatch a capture AUDIO message into its slot's queue. */
void hsc__enqueue(hsc_slot *s, const hsp_audio *a);

#endif
