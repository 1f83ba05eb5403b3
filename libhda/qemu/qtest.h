/* SPDX-License-Identifier: MIT */
/*
 * A client for QEMU's qtest protocol: one text line per command, one
 * "OK ..." or "ERR ..." line per answer, and asynchronous "IRQ raise N" /
 * "IRQ lower N" lines in between whenever an intercepted interrupt line
 * moves.
 *
 * A reader thread owns the socket's input: it hands answers to the one
 * waiting caller and IRQ lines to a callback, so an interrupt is seen even
 * while nobody is sending.  Every exchange is bounded in time; a timeout, a
 * closed socket or a malformed answer makes the client dead for good (a late
 * answer could otherwise be taken for the next command's).
 */
#ifndef HDA_QTEST_H
#define HDA_QTEST_H

#include <stdbool.h>
#include <stdint.h>

typedef struct qtest qtest;

typedef void (*qtest_irq_cb)(void *ctx, bool raise, int line);

/* Take over a connected socket.  Starts the reader thread. */
int qtest_open(int fd, unsigned timeout_ms, qtest_irq_cb irq, void *irq_ctx,
	       qtest **out);
void qtest_close(qtest *q); /* closes the socket; NULL ok */
/* True once QEMU closed the socket (it exited or was killed: the reader
 * thread sees end of file), stopped answering, or broke the protocol.
 * One atomic load, no lock: the audio thread asks through health. */
bool qtest_dead(qtest *q);

/* Send a command and wait for its answer.  On "OK" returns 0 and, when
 * value is non-NULL, the first number after OK.  -1 when the answer is an
 * error, the time ran out, or QEMU went away. */
int qtest_cmd(qtest *q, uint64_t *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
