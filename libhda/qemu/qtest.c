/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qtest.h"

/* Longest line QEMU sends us: "OK 0x" and 16 hex digits, or an IRQ line.
 * Anything longer is a protocol error. */
#define LINE_MAX_LEN 256

struct qtest {
	int fd;
	unsigned timeout_ms;
	qtest_irq_cb irq;
	void *irq_ctx;
	pthread_t reader;
	bool reader_running;

	pthread_mutex_t send_lock; /* one command in flight */
	pthread_mutex_t lock;      /* the fields below */
	pthread_cond_t answered;
	/* Written under lock; read without it by qtest_dead, which the
	 * audio thread reaches through the backend's health. */
	atomic_bool dead;
	bool waiting;
	bool have_answer;
	char answer[LINE_MAX_LEN];
};

static void set_dead(qtest *q)
{
	pthread_mutex_lock(&q->lock);
	q->dead = true;
	pthread_cond_broadcast(&q->answered);
	pthread_mutex_unlock(&q->lock);
}

static void handle_line(qtest *q, const char *line)
{
	int n;

	if (strncmp(line, "IRQ raise ", 10) == 0 || strncmp(line, "IRQ lower ", 10) == 0) {
		n = atoi(line + 10);
		if (q->irq)
			q->irq(q->irq_ctx, line[4] == 'r', n);
		return;
	}
	pthread_mutex_lock(&q->lock);
	if (!q->waiting || q->have_answer) {
		/* An answer nobody asked for: the stream is out of step. */
		q->dead = true;
	} else {
		snprintf(q->answer, sizeof(q->answer), "%s", line);
		q->have_answer = true;
	}
	pthread_cond_broadcast(&q->answered);
	pthread_mutex_unlock(&q->lock);
}

static void *reader_main(void *arg)
{
	qtest *q = arg;
	char buf[4096], line[LINE_MAX_LEN];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(q->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* QEMU closed the socket or died, or we shut it */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line[len] = '\0';
				handle_line(q, line);
				len = 0;
			} else if (len + 1 < sizeof(line)) {
				line[len++] = buf[i];
			} else {
				goto out; /* overlong line */
			}
		}
	}
out:
	set_dead(q);
	return NULL;
}

int qtest_open(int fd, unsigned timeout_ms, qtest_irq_cb irq, void *irq_ctx,
	       qtest **out)
{
	qtest *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->fd = fd;
	q->timeout_ms = timeout_ms;
	q->irq = irq;
	q->irq_ctx = irq_ctx;
	pthread_mutex_init(&q->send_lock, NULL);
	pthread_mutex_init(&q->lock, NULL);
	{
		pthread_condattr_t a;

		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&q->answered, &a);
		pthread_condattr_destroy(&a);
	}
	if (pthread_create(&q->reader, NULL, reader_main, q) != 0) {
		q->fd = -1;
		qtest_close(q);
		return -EAGAIN;
	}
	q->reader_running = true;
	*out = q;
	return 0;
}

void qtest_close(qtest *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		shutdown(q->fd, SHUT_RDWR); /* wakes the reader */
	if (q->reader_running)
		pthread_join(q->reader, NULL);
	if (q->fd >= 0)
		close(q->fd);
	pthread_cond_destroy(&q->answered);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->send_lock);
	free(q);
}

bool qtest_dead(qtest *q)
{
	return atomic_load(&q->dead);
}

static int send_all(qtest *q, const char *s, size_t len)
{
	while (len) {
		/* MSG_NOSIGNAL: a dead QEMU must not kill us with SIGPIPE. */
		ssize_t n = send(q->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int qtest_cmd(qtest *q, uint64_t *value, const char *fmt, ...)
{
	char cmd[LINE_MAX_LEN], ans[LINE_MAX_LEN];
	struct timespec deadline;
	va_list ap;
	int n, rc = -1;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 1)
		return -1;
	cmd[n++] = '\n';

	pthread_mutex_lock(&q->send_lock);
	pthread_mutex_lock(&q->lock);
	if (q->dead) {
		pthread_mutex_unlock(&q->lock);
		goto out;
	}
	q->waiting = true;
	q->have_answer = false;
	pthread_mutex_unlock(&q->lock);

	if (send_all(q, cmd, (size_t)n) != 0) {
		set_dead(q);
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += q->timeout_ms / 1000;
	deadline.tv_nsec += (long)(q->timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->have_answer && !q->dead)
		if (pthread_cond_timedwait(&q->answered, &q->lock, &deadline) == ETIMEDOUT) {
			/* QEMU stopped answering: give up on the connection
			 * rather than risk pairing a late answer with the
			 * next command. */
			q->dead = true;
			break;
		}
	if (q->have_answer) {
		memcpy(ans, q->answer, sizeof(ans));
		rc = 0;
	}
	pthread_mutex_unlock(&q->lock);
done:
	pthread_mutex_lock(&q->lock);
	q->waiting = false;
	q->have_answer = false;
	pthread_mutex_unlock(&q->lock);
	if (rc == 0) {
		if (strncmp(ans, "OK", 2) != 0 || (ans[2] != '\0' && ans[2] != ' '))
			rc = -1;
		else if (value)
			*value = ans[2] ? strtoull(ans + 3, NULL, 0) : 0;
	}
out:
	pthread_mutex_unlock(&q->send_lock);
	return rc;
}
