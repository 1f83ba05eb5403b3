/* SPDX-License-Identifier: MIT */
/*
 * hsd_msgq: a small fixed-size single-producer/single-consumer queue of
 * messages from the audio thread back to the main loop: errors (a stream
 * error from libhda, a missed deadline) and counters (underruns, drops), so
 * that the audio thread never handles them in place (no logging, no
 * notification, no lock on its side).
 *
 * It is an hsd_ring whose "frames" are messages, so it has the ring's memory
 * ordering and its wrap-proof indices.  The audio thread never waits for
 * room: when the queue is full the message is lost and counted, and the
 * loop learns how many were lost from hsd_msgq_lost, which only grows.
 * Counters carried in messages should therefore be totals, not increments,
 * so that a later message makes up for a lost one.
 *
 * Threads: push is [producer] (the audio thread), pop is [consumer] (the
 * loop), create/destroy [control], lost [any].
 *
 * Not done here: waking the loop.  The loop drains the queue on a timer, or
 * the audio thread also signals an eventfd; that is the audio thread's
 * wiring, not the queue's.
 */
#ifndef HSD_MSGQ_H
#define HSD_MSGQ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct hsd_msgq hsd_msgq;

typedef struct hsd_msg {
	uint32_t kind;    /* the sender's own enum: what happened */
	uint32_t stream;  /* which stream it happened on */
	int32_t status;   /* an hda_status or a negative errno; 0 if none */
	uint32_t reserved;
	uint64_t frame;   /* stream index where it happened */
	uint64_t value;   /* a total or a parameter, by kind */
	uint64_t mono_ns; /* CLOCK_MONOTONIC when it happened */
} hsd_msg;

/* [control] A queue of `capacity` messages (a power of two).  -EINVAL,
 * -ENOMEM. */
int hsd_msgq_create(hsd_msgq **out, uint32_t capacity);
/* [control] Accepts NULL. */
void hsd_msgq_destroy(hsd_msgq *q);

/* [producer] Queue a copy of *m.  false, and the message is counted as lost,
 * when the queue is full.  Never blocks. */
bool hsd_msgq_push(hsd_msgq *q, const hsd_msg *m);
/* [consumer] Take the oldest message into *m.  false when empty. */
bool hsd_msgq_pop(hsd_msgq *q, hsd_msg *m);
/* [any] Messages lost to a full queue since creation. */
uint64_t hsd_msgq_lost(const hsd_msgq *q);

#endif
