/* SPDX-License-Identifier: MIT */
/*
 * A test's view of a running hdastreamd: the daemon started as a child in
 * a temporary folder with its own config and a notify socket, and a small
 * blocking client on libhsp.  Every wait is bounded (poll with a deadline);
 * every bound is generous, because a test must not fail on a slow machine:
 * the tests check what arrives and in which order, never how fast.
 *
 * This is a test helper, not the product's client library.
 */
#ifndef HSD_TESTCLIENT_H
#define HSD_TESTCLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hsp_wire.h"

/* Bounds on waits, in ms: for the daemon to come up, for a message. */
#define TC_READY_MS 30000
#define TC_WAIT_MS 20000

static inline uint64_t tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* poll one fd for events until deadline (ms on tc_now_ms): 1 ready, 0 not. */
static inline int tc_poll(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = tc_now_ms();
		struct pollfd p = {.fd = fd, .events = events};
		int rc;

		if (now >= deadline)
			return 0;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return 0;
	}
}

/* ---- The daemon ------------------------------------------------------------ */

typedef struct tc_daemon {
	char dir[256];
	char conf[300], log[300], wav[300], notify_path[300];
	int notify_fd;
	pid_t pid;
	int status; /* after tc_daemon_wait */
	bool exited;
	unsigned port;
	char listen[256];
	char notify_seen[4096]; /* every datagram received, one per line */
} tc_daemon;

/* A temporary folder with the config (text, where "@DIR@" stands for the
 * folder) and the notify socket. */
static inline bool tc_daemon_prepare(tc_daemon *d, const char *text)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *tmp = getenv("TMPDIR");
	FILE *f;

	memset(d, 0, sizeof(*d));
	d->notify_fd = -1;
	snprintf(d->dir, sizeof(d->dir), "%s/hsd-e2e-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir))
		return false;
	snprintf(d->conf, sizeof(d->conf), "%s/hsd.conf", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	snprintf(d->wav, sizeof(d->wav), "%s/out.wav", d->dir);
	snprintf(d->notify_path, sizeof(d->notify_path), "%s/notify", d->dir);
	f = fopen(d->conf, "w");
	if (!f)
		return false;
	for (const char *p = text; *p; p++) {
		if (!strncmp(p, "@DIR@", 5)) {
			fputs(d->dir, f);
			p += 4;
		} else {
			fputc(*p, f);
		}
	}
	fclose(f);
	if (strlen(d->notify_path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, d->notify_path, strlen(d->notify_path) + 1);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return d->notify_fd >= 0 && bind(d->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* Start argv (NULL: hdastreamd --config CONF) with NOTIFY_SOCKET set and
 * stderr to the log. */
static inline bool tc_daemon_spawn(tc_daemon *d, char *const *argv)
{
	const char *exe = getenv("HDASTREAMD");
	char *def[] = {(char *)exe, "--config", d->conf, NULL};

	if (!exe)
		return false;
	d->pid = fork();
	if (d->pid < 0)
		return false;
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* Both to the log: the test's own stdout may be a pipe
		 * that a leaked daemon would hold open. */
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", d->notify_path, 1);
		execvp(argv ? argv[0] : def[0], argv ? argv : def);
		_exit(127);
	}
	return true;
}

/* Read notify datagrams until one holds `want` (e.g. "READY=1"), within
 * ms.  Remembers X_HDASTREAM_LISTEN and its first port. */
static inline bool tc_daemon_notified(tc_daemon *d, const char *want, unsigned ms)
{
	uint64_t deadline = tc_now_ms() + ms;

	if (strstr(d->notify_seen, want))
		return true;
	while (tc_poll(d->notify_fd, POLLIN, deadline)) {
		char buf[1024];
		ssize_t n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
		const char *l;

		if (n <= 0)
			continue;
		buf[n] = '\0';
		snprintf(d->notify_seen + strlen(d->notify_seen),
			 sizeof(d->notify_seen) - strlen(d->notify_seen), "%s\n", buf);
		l = strstr(buf, "X_HDASTREAM_LISTEN=");
		if (l) {
			const char *colon;

			sscanf(l + 19, "%255[^\n]", d->listen);
			colon = strchr(d->listen, ']') ? strchr(strchr(d->listen, ']'), ':')
						       : strchr(d->listen, ':');
			d->port = colon ? (unsigned)atoi(colon + 1) : 0;
		}
		if (strstr(buf, want))
			return true;
	}
	return false;
}

static inline bool tc_daemon_start(tc_daemon *d, const char *conf_text)
{
	return tc_daemon_prepare(d, conf_text) && tc_daemon_spawn(d, NULL) &&
	       tc_daemon_notified(d, "READY=1", TC_READY_MS) && d->port;
}

/* Wait for the daemon's exit within ms: true when it exited. */
static inline bool tc_daemon_wait(tc_daemon *d, unsigned ms)
{
	uint64_t deadline = tc_now_ms() + ms;

	while (!d->exited) {
		pid_t r = waitpid(d->pid, &d->status, WNOHANG);

		if (r == d->pid) {
			d->exited = true;
			break;
		}
		if (tc_now_ms() >= deadline)
			return false;
		/* Drain the notify socket meanwhile: a unix datagram queue
		 * holds net.unix.max_dgram_qlen messages (10 here), and past
		 * that the daemon's sd_notify (STOPPING=1 on its way out)
		 * blocks, as it would with a systemd that stopped reading. */
		if (d->notify_fd >= 0)
			(void)tc_daemon_notified(d, "STOPPING=1", 0);
		usleep(10000);
	}
	return true;
}

/* Kill (if still running) and reap the daemon, and remove the folder. */
static inline void tc_daemon_cleanup(tc_daemon *d)
{
	char cmd[320];

	if (!d->dir[0])
		return; /* never prepared, or cleaned up already */
	if (d->pid > 0 && !d->exited) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &d->status, 0);
		d->exited = true;
	}
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	d->notify_fd = -1;
	d->pid = 0;
	if (getenv("HSD_KEEP_TMP") == NULL && d->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", d->dir);
	}
	d->dir[0] = '\0';
}

/* ---- The client ---------------------------------------------------------------- */

typedef struct tc_client {
	int fd;
	hsp_parser parser;
	uint8_t in[HSP_MAX_FRAME];
	size_t in_off, in_len;
	bool eof;
	uint32_t tag;
} tc_client;

static inline tc_client *tc_connect(unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	tc_client *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c)
		return NULL;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	hsp_parser_init(&c->parser, HSP_FROM_SERVER);
	return c;
}

static inline void tc_close(tc_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* Write all of buf within the bound. */
static inline bool tc_write(tc_client *c, const void *buf, size_t len)
{
	uint64_t deadline = tc_now_ms() + TC_WAIT_MS;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (!tc_poll(c->fd, POLLOUT, deadline))
			return false;
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static inline bool tc_send(tc_client *c, const hsp_msg *m)
{
	uint8_t buf[HSP_MAX_FRAME];
	int n = hsp_encode(buf, sizeof(buf), m);

	return n > 0 && tc_write(c, buf, (size_t)n);
}

/* The next message within ms: 1, 0 on timeout, -1 on EOF or a message
 * the parser refuses. */
static inline int tc_recv(tc_client *c, hsp_msg *m, unsigned ms)
{
	uint64_t deadline = tc_now_ms() + ms;

	for (;;) {
		while (c->in_off < c->in_len) {
			size_t used = 0;
			int rc = hsp_parser_feed(&c->parser, c->in + c->in_off,
						 c->in_len - c->in_off, &used, m);

			c->in_off += used;
			if (rc < 0)
				return -1;
			if (rc == HSP_PARSE_MSG)
				return 1;
		}
		if (c->eof)
			return -1;
		if (!tc_poll(c->fd, POLLIN, deadline))
			return 0;
		ssize_t n = recv(c->fd, c->in, sizeof(c->in), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->eof = true;
			return -1;
		}
		c->in_off = 0;
		c->in_len = (size_t)n;
	}
}

/* The next message of type `type` within ms, skipping others (handed to
 * on_other, if not NULL).  true when found. */
static inline bool tc_expect(tc_client *c, uint16_t type, hsp_msg *m, unsigned ms,
			     void (*on_other)(const hsp_msg *, void *), void *ctx)
{
	uint64_t deadline = tc_now_ms() + ms;

	for (;;) {
		uint64_t now = tc_now_ms();
		int rc = now < deadline ? tc_recv(c, m, (unsigned)(deadline - now)) : 0;

		if (rc <= 0)
			return false;
		if (m->type == type)
			return true;
		if (on_other)
			on_other(m, ctx);
	}
}

static inline bool tc_hello(tc_client *c)
{
	hsp_msg m = {.type = HSP_HELLO};

	m.u.hello = (hsp_hello){.version_min = 1, .version_max = 1, .caps = HSP_CAP_PCM};
	snprintf(m.u.hello.name, sizeof(m.u.hello.name), "test");
	return tc_send(c, &m) && tc_expect(c, HSP_HELLO_ACK, &m, TC_WAIT_MS, NULL, NULL);
}

/* The daemon's STATUS record of stream `name` (AUDIO and the rest before
 * the report skipped; bounded).  false when none came or none is named. */
static inline bool tc_status_stream(tc_client *c, const char *name, hsp_status_stream *out)
{
	hsp_msg m = {.type = HSP_STATUS};
	uint64_t deadline = tc_now_ms() + TC_WAIT_MS;

	m.u.status.tag = ++c->tag;
	if (!tc_send(c, &m))
		return false;
	do {
		uint64_t now = tc_now_ms();

		if (now >= deadline ||
		    !tc_expect(c, HSP_STATUS_REPORT, &m, (unsigned)(deadline - now), NULL, NULL))
			return false;
	} while (m.u.status_report.tag != c->tag);
	for (uint32_t i = 0; i < m.u.status_report.stream_count; i++)
		if (hsp_status_stream_get(&m.u.status_report, i, out) == 0 &&
		    !strcmp(out->name, name))
			return true;
	return false;
}

/* OPEN name; *out is the OPENED or the ERROR that answered (its type
 * says which).  false when neither came. */
static inline bool tc_open(tc_client *c, const char *name, uint8_t dir, uint16_t interval_ms,
			   hsp_msg *out)
{
	hsp_msg m = {.type = HSP_OPEN};

	m.u.open = (hsp_open){.tag = ++c->tag, .direction = dir, .interval_ms = interval_ms};
	snprintf(m.u.open.name, sizeof(m.u.open.name), "%s", name);
	if (!tc_send(c, &m))
		return false;
	for (;;) {
		if (tc_recv(c, out, TC_WAIT_MS) <= 0)
			return false;
		if (out->type == HSP_OPENED || out->type == HSP_ERROR)
			return true;
	}
}

/* A request; its tag is returned (0 when the send failed). */
static inline uint32_t tc_request(tc_client *c, uint16_t type, uint32_t stream)
{
	hsp_msg m = {.type = type};

	m.u.request = (hsp_request){.tag = ++c->tag, .stream = stream};
	return tc_send(c, &m) ? c->tag : 0;
}

#endif
