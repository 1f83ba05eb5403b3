/* SPDX-License-Identifier: MIT */
/*
 * The connection: address parsing, a connect bounded by its timeout, the
 * handshake, and the I/O pump that every wait runs (read, parse, dispatch,
 * send, keepalive).  The socket is non-blocking so that no send or receive
 * can wait past a deadline; poll() does all the waiting.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hsc_internal.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_QUEUE_BYTES (1u << 20)

int64_t hsc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hsc__deadline(const hsc_client *c, int timeout_ms)
{
	if (timeout_ms < 0)
		timeout_ms = c->io_timeout_ms;
	return hsc__now_ns() + (int64_t)timeout_ms * 1000000;
}

const char *hsc_strerror(int rc)
{
	const char *name;

	if (rc == 0)
		return "OK";
	if (hsc_is_proto(rc))
		return hsp_err_name(hsc_proto_code(rc));
	name = rc < 0 ? strerrorname_np(-rc) : NULL;
	return name ? name : "EUNKNOWN";
}

int hsc__fail(hsc_client *c, int rc, uint32_t stream, const char *fmt, ...)
{
	va_list ap;

	c->err.rc = rc;
	c->err.code = hsc_proto_code(rc);
	c->err.remote = false;
	c->err.fatal = c->dead != 0;
	c->err.stream = stream;
	va_start(ap, fmt);
	vsnprintf(c->err.text, sizeof(c->err.text), fmt, ap);
	va_end(ap);
	return rc;
}

/* The connection cannot go on: every later call returns rc. */
static int die(hsc_client *c, int rc)
{
	if (!c->dead) {
		c->dead = rc;
		shutdown(c->fd, SHUT_RDWR);
	}
	c->err.fatal = true;
	return rc;
}

/* ---- Addresses ------------------------------------------------------------ */

/* "HOST:PORT", "[V6]:PORT", "HOST", or a bare IPv6 literal. */
static int split_address(const char *s, char *host, size_t hostlen,
			 char *port, size_t portlen)
{
	const char *colon, *h = s, *p = NULL;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] != '\0' && end[1] != ':'))
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(end - h);
		if (end[1] == ':')
			p = end + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') == colon) {
			hl = (size_t)(colon - s);
			p = colon + 1;
		} else {
			hl = strlen(s); /* no port, or an IPv6 literal */
		}
	}
	if (hl == 0 || hl >= hostlen || (p && (*p == '\0' || strlen(p) >= portlen)))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (p) {
		for (const char *d = p; *d; d++)
			if (*d < '0' || *d > '9')
				return -EINVAL;
		snprintf(port, portlen, "%s", p);
	} else {
		snprintf(port, portlen, "%d", HSC_DEFAULT_PORT);
	}
	return 0;
}

/* Connect one address, non-blocking, waiting until the deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *out)
{
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		for (;;) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int64_t left = deadline - hsc__now_ns();
			int n;

			if (left <= 0) {
				err = ETIMEDOUT;
				goto fail;
			}
			n = poll(&pfd, 1, (int)((left + 999999) / 1000000));
			if (n > 0)
				break;
			if (n < 0 && errno != EINTR) {
				err = errno;
				goto fail;
			}
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			goto fail;
	}
	/* Audio messages are small and latency matters more than packing. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*out = fd;
	return 0;
fail:
	close(fd);
	return -err;
}

static int open_socket(const char *server, int timeout_ms, int *fd,
		       char *why, size_t whylen)
{
	char host[96], port[16];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
	struct addrinfo *res = NULL;
	int64_t deadline = hsc__now_ns() + (int64_t)timeout_ms * 1000000;
	int rc, gai;

	if (split_address(server, host, sizeof(host), port, sizeof(port))) {
		snprintf(why, whylen, "bad server address '%s' (expected HOST:PORT or [IPV6]:PORT)",
			 server);
		return -EINVAL;
	}
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai == EAI_ADDRFAMILY || gai == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 on a host whose only IPv6 address
		 * is loopback; try once without it. */
		hints.ai_flags = AI_NUMERICSERV;
		gai = getaddrinfo(host, port, &hints, &res);
	}
	if (gai) {
		snprintf(why, whylen, "cannot resolve %s: %s", server, gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai, deadline, fd);
		if (rc == 0 || rc == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (rc == -ETIMEDOUT)
		snprintf(why, whylen, "cannot connect to %s: no answer within %d ms",
			 server, timeout_ms);
	else if (rc)
		snprintf(why, whylen, "cannot connect to %s: %s", server, strerror(-rc));
	return rc;
}

/* ---- Sending -------------------------------------------------------------- */

/* Send what is queued until it is gone or the deadline passes. */
static int flush(hsc_client *c, int64_t deadline)
{
	while (c->out_len > c->out_off) {
		int rc = hsc__pump(c, deadline);

		if (rc < 0 && c->out_len > c->out_off)
			return rc;
	}
	return c->dead;
}

static int queue_room(hsc_client *c, int64_t deadline)
{
	int rc = flush(c, deadline);

	if (rc)
		return rc;
	c->out_off = c->out_len = 0;
	return 0;
}

int hsc__send(hsc_client *c, const hsp_msg *m, int64_t deadline)
{
	int rc = queue_room(c, deadline), n;

	if (rc)
		return rc;
	/* The encoder refuses what the server would have to refuse: that is
	 * a bad argument of the caller's, and nothing is sent. */
	n = hsp_encode(c->out, sizeof(c->out), m);
	if (n < 0)
		return hsc__fail(c, -EINVAL, 0, "%s refused by the protocol's rules: %s",
				 hsp_type_name(m->type), hsp_err_name(n));
	c->out_len = (size_t)n;
	return flush(c, deadline);
}

int hsc__send_audio(hsc_client *c, const hsp_audio *a, int64_t deadline,
		    bool *queued)
{
	int rc = queue_room(c, deadline), n;

	*queued = false;
	if (rc)
		return rc;
	n = hsp_encode_audio(c->out, sizeof(c->out), a);
	if (n < 0)
		return hsc__fail(c, -EINVAL, a->stream,
				 "AUDIO refused by the protocol's rules: %s", hsp_err_name(n));
	c->out_len = (size_t)n;
	*queued = true;
	return flush(c, deadline);
}

/* A server that broke the protocol: tell it why, once and without
 * waiting, and drop the connection. */
static int violation(hsc_client *c, int rc, const char *reason)
{
	hsp_error_msg e = {.code = hsc_proto_code(rc), .fatal = 1};
	uint8_t buf[8 + 12 + HSP_TEXT_MAX];
	int n;

	snprintf(e.text, sizeof(e.text), "%s", reason);
	n = hsp_encode_error(buf, sizeof(buf), &e);
	if (n > 0 && c->out_len == c->out_off)
		(void)send(c->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	die(c, rc);
	return hsc__fail(c, rc, 0, "%s broke the protocol: %s", c->address, reason);
}

/* ---- Receiving ------------------------------------------------------------ */

static void on_error(hsc_client *c, const hsp_error_msg *e)
{
	int rc = HSC_E_PROTO(e->code);
	hsc_error err = {.rc = rc, .code = e->code, .remote = true,
			 .fatal = e->fatal != 0, .stream = e->stream};
	hsc_slot *s = e->stream ? hsc__slot(c, e->stream) : NULL;

	snprintf(err.text, sizeof(err.text), "%s: %s (%s)", c->address, e->text,
		 hsp_err_name(e->code));
	if (e->fatal) {
		c->err = err;
		die(c, rc);
		return;
	}
	if (e->tag && e->tag == c->wait.tag) {
		c->err = err;
		c->wait.done = true;
		c->wait.rc = rc;
		return;
	}
	/* tag 0 on an open stream: the server closed it (a reload, a
	 * controller gone).  An ERROR for an abandoned request is dropped. */
	if (!e->tag && s) {
		s->closed_rc = rc;
		s->closed_err = err;
	}
}

static void dispatch(hsc_client *c, const hsp_msg *m)
{
	hsc_slot *s;

	switch (m->type) {
	case HSP_HELLO_ACK:
		c->hello_ack = m->u.hello_ack;
		c->greeted = true;
		if (m->u.hello_ack.version != HSP_VERSION)
			violation(c, HSC_E_PROTO(HSP_ERR_UNSUPPORTED_VERSION),
				  "HELLO_ACK with a version not offered");
		else if (m->u.hello_ack.auth)
			violation(c, HSC_E_PROTO(HSP_ERR_UNSUPPORTED),
				  "HELLO_ACK asks for authentication, which version 1 lacks");
		break;
	case HSP_OPENED:
		if (c->wait.tag == m->u.opened.tag && c->wait.type == HSP_OPEN) {
			c->wait.ans.opened = m->u.opened;
			c->wait.done = true;
		}
		break;
	case HSP_ACK:
		if (c->wait.tag == m->u.ack.tag && c->wait.type == m->u.ack.request)
			c->wait.done = true;
		break;
	case HSP_POSITION:
		s = hsc__slot(c, m->u.position.stream);
		if (s) {
			s->pos = m->u.position;
			s->pos_seq++;
		}
		if (m->u.position.tag && c->wait.tag == m->u.position.tag &&
		    c->wait.type == HSP_POSITION_REQUEST) {
			c->wait.ans.position = m->u.position;
			c->wait.done = true;
		}
		break;
	case HSP_STATUS_REPORT:
		/* The records point into the parser: copy them out now (the
		 * decoder validated every one). */
		if (c->wait.tag == m->u.status_report.tag &&
		    c->wait.type == HSP_STATUS && c->wait.status) {
			hsc_status *st = c->wait.status;

			st->report = m->u.status_report;
			st->report.records = NULL;
			st->report.streams = NULL;
			st->count = m->u.status_report.stream_count;
			for (uint32_t i = 0; i < st->count; i++)
				(void)hsp_status_stream_get(&m->u.status_report, i,
							    &st->streams[i]);
			c->wait.done = true;
		}
		break;
	case HSP_CREDIT:
		s = hsc__slot(c, m->u.credit.stream);
		if (s && s->direction == HSP_DIR_RENDER && m->u.credit.limit > s->limit)
			s->limit = m->u.credit.limit;
		break;
	case HSP_AUDIO:
		/* Audio for an id just closed may still be on its way. */
		s = hsc__slot(c, m->u.audio.stream);
		if (s && s->direction == HSP_DIR_CAPTURE)
			hsc__enqueue(s, &m->u.audio);
		break;
	case HSP_ERROR:
		on_error(c, &m->u.error);
		break;
	default: /* KEEPALIVE */
		break;
	}
}

static int receive(hsc_client *c)
{
	ssize_t n = recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT);
	size_t off = 0;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		die(c, -errno);
		return hsc__fail(c, c->dead, 0, "connection to %s: %s", c->address,
				 strerror(-c->dead));
	}
	if (n == 0) {
		int rc = hsp_parser_eof(&c->parser);

		if (rc)
			return violation(c, HSC_E_PROTO(-rc), hsp_parser_reason(&c->parser));
		die(c, -ECONNRESET);
		return hsc__fail(c, -ECONNRESET, 0, "%s closed the connection",
				 c->address);
	}
	while (off < (size_t)n && !c->dead) {
		size_t used;
		hsp_msg m;
		int rc = hsp_parser_feed(&c->parser, c->in + off, (size_t)n - off,
					 &used, &m);

		if (rc < 0)
			return violation(c, HSC_E_PROTO(-rc), hsp_parser_reason(&c->parser));
		off += used;
		if (rc == HSP_PARSE_MSG)
			dispatch(c, &m);
	}
	return c->dead;
}

static void keepalive_if_due(hsc_client *c, int64_t now, int64_t *due)
{
	int64_t period = (int64_t)c->hello_ack.idle_timeout_ms * 1000000 / 3;
	hsp_keepalive k;
	int n;

	*due = INT64_MAX;
	/* Something queued is on its way anyway. */
	if (!c->greeted || period <= 0 || c->out_len > c->out_off)
		return;
	*due = c->last_send_ns + period;
	if (now < *due)
		return;
	k.token = ++c->keepalive_token;
	n = hsp_encode_keepalive(c->out, sizeof(c->out), &k);
	c->out_off = 0;
	c->out_len = (size_t)n;
	*due = INT64_MAX;
}

int hsc__pump(hsc_client *c, int64_t deadline)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	int64_t now = hsc__now_ns(), due, until;
	/* Past the deadline the socket is still looked at once, without
	 * waiting, so that a deadline of "now" handles what has come. */
	bool late = deadline <= now;
	int n;

	if (c->dead)
		return c->dead;
	keepalive_if_due(c, now, &due);
	if (c->out_len > c->out_off)
		pfd.events |= POLLOUT;
	until = due < deadline ? due : deadline;
	n = poll(&pfd, 1, until <= now ? 0 : (int)((until - now + 999999) / 1000000));
	if (n < 0) {
		if (errno == EINTR)
			return hsc__fail(c, -EINTR, 0, "interrupted");
		return hsc__fail(c, -errno, 0, "poll: %s", strerror(errno));
	}
	if (n == 0)
		return late || hsc__now_ns() >= deadline ? -ETIMEDOUT : 0;
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		int rc = receive(c);

		if (rc)
			return rc;
	}
	if ((pfd.revents & POLLOUT) && c->out_len > c->out_off) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			int rc = -errno;

			die(c, rc);
			return hsc__fail(c, rc, 0, "sending to %s: %s", c->address,
					 strerror(-rc));
		}
		if (w > 0) {
			c->out_off += (size_t)w;
			c->last_send_ns = hsc__now_ns();
		}
	}
	return late ? -ETIMEDOUT : 0;
}

int hsc__transact(hsc_client *c, hsp_msg *m, int64_t deadline)
{
	int rc;

	if (++c->next_tag == 0)
		c->next_tag = 1;
	if (m->type == HSP_OPEN)
		m->u.open.tag = c->next_tag;
	else if (m->type == HSP_STATUS)
		m->u.status.tag = c->next_tag;
	else
		m->u.request.tag = c->next_tag;
	c->wait = (hsc_wait){.tag = c->next_tag, .type = m->type, .status = c->wait.status};
	rc = hsc__send(c, m, deadline);
	while (!rc && !c->wait.done)
		rc = hsc__pump(c, deadline);
	if (c->wait.done)
		rc = c->wait.rc;
	else if (rc == -ETIMEDOUT)
		hsc__fail(c, rc, 0, "%s: no answer to %s within the timeout",
			  c->address, hsp_type_name(m->type));
	c->wait.tag = 0; /* a late answer is ignored */
	return rc;
}

/* ---- The handle ----------------------------------------------------------- */

static int handshake(hsc_client *c, const char *name, char *why, size_t whylen)
{
	hsp_msg m = {.type = HSP_HELLO};
	int64_t deadline = hsc__deadline(c, -1);
	int rc;

	m.u.hello = (hsp_hello){.version_min = HSP_VERSION,
				.version_max = HSP_VERSION,
				.caps = HSP_CAP_PCM | HSP_CAP_STATUS};
	snprintf(m.u.hello.name, sizeof(m.u.hello.name), "%s", name);
	rc = hsc__send(c, &m, deadline);
	while (!rc && !c->greeted)
		rc = hsc__pump(c, deadline);
	if (c->dead)
		rc = c->dead; /* an ERROR, or a HELLO_ACK refused */
	else if (c->greeted)
		rc = 0;
	else if (rc == -ETIMEDOUT)
		hsc__fail(c, rc, 0, "%s: no HELLO_ACK within %d ms", c->address,
			  c->io_timeout_ms);
	if (rc)
		snprintf(why, whylen, "%s", c->err.text);
	return rc;
}

int hsc_connect(const char *server, const hsc_options *opt, hsc_client **out,
		char *why, size_t whylen)
{
	static const hsc_options none;
	hsc_client *c;
	char dummy[1];
	int rc;

	if (!why || !whylen) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	*out = NULL;
	if (!opt)
		opt = &none;
	if (!server)
		server = HSC_DEFAULT_SERVER;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	c->fd = -1;
	c->io_timeout_ms = opt->io_timeout_ms > 0 ? opt->io_timeout_ms : DEFAULT_TIMEOUT_MS;
	c->queue_bytes = opt->capture_queue_bytes ? opt->capture_queue_bytes
						  : DEFAULT_QUEUE_BYTES;
	if (c->queue_bytes < 2 * (HSP_MAX_FRAME + HSC_REC_HEAD))
		c->queue_bytes = 2 * (HSP_MAX_FRAME + HSC_REC_HEAD);
	snprintf(c->address, sizeof(c->address), "%s", server);
	hsp_parser_init(&c->parser, HSP_FROM_SERVER);
	rc = open_socket(server, opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms
							      : DEFAULT_TIMEOUT_MS,
			 &c->fd, why, whylen);
	if (rc)
		goto fail;
	c->last_send_ns = hsc__now_ns();
	rc = handshake(c, opt->client_name ? opt->client_name : "hsc", why, whylen);
	if (rc)
		goto fail;
	*out = c;
	return 0;
fail:
	hsc_destroy(c);
	return rc;
}

void hsc_destroy(hsc_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < HSC_STREAMS_MAX; i++)
		hsc__free_slot(&c->slots[i]);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

const hsc_error *hsc_last_error(const hsc_client *c)
{
	return &c->err;
}

const char *hsc_server_name(const hsc_client *c)
{
	return c->hello_ack.name;
}

uint16_t hsc_server_version(const hsc_client *c)
{
	return c->hello_ack.version;
}

uint32_t hsc_server_idle_timeout_ms(const hsc_client *c)
{
	return c->hello_ack.idle_timeout_ms;
}

const char *hsc_server_address(const hsc_client *c)
{
	return c->address;
}

bool hsc_server_has_status(const hsc_client *c)
{
	return (c->hello_ack.caps & HSP_CAP_STATUS) != 0;
}

int hsc_status_get(hsc_client *c, hsc_status *out, int timeout_ms)
{
	hsp_msg m = {.type = HSP_STATUS};
	int rc;

	if (c->dead)
		return c->dead;
	if (!hsc_server_has_status(c))
		return hsc__fail(c, -EOPNOTSUPP, 0,
				 "%s: the server does not offer STATUS (%s)",
				 c->address, c->hello_ack.name);
	memset(out, 0, sizeof(*out));
	c->wait.status = out;
	rc = hsc__transact(c, &m, hsc__deadline(c, timeout_ms));
	c->wait.status = NULL;
	return rc;
}

int hsc_service(hsc_client *c, int timeout_ms)
{
	int64_t deadline = hsc__deadline(c, timeout_ms < 0 ? 0 : timeout_ms);
	int rc;

	do
		rc = hsc__pump(c, deadline);
	while (!rc && hsc__now_ns() < deadline);
	return rc == -ETIMEDOUT ? 0 : rc;
}
