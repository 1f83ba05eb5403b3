/* SPDX-License-Identifier: MIT */
/* The fake hdastreamd of fake_server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake_server.h"

int64_t fake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3)))
static void fail(fake_server *f, const char *fmt, ...)
{
	va_list ap;

	if (f->result.failure[0])
		return; /* the first failure is the one that counts */
	va_start(ap, fmt);
	vsnprintf(f->result.failure, sizeof(f->result.failure), fmt, ap);
	va_end(ap);
}

int16_t fake_sample(uint64_t frame, unsigned channel)
{
	return (int16_t)(frame * 7 + channel * 1000 + (frame >> 5));
}

static void put_bytes(fake_server *f, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t step = f->plan.trickle ? 1 : len;

	for (size_t off = 0; off < len;) {
		ssize_t n = send(f->fd, p + off, step < len - off ? step : len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the client is gone; what it saw is its test */
		off += (size_t)n;
	}
}

static void put(fake_server *f, const hsp_msg *m)
{
	static _Thread_local uint8_t buf[HSP_MAX_FRAME];
	int n = hsp_encode(buf, sizeof(buf), m);

	if (n < 0) {
		fail(f, "cannot encode %s: %s", hsp_type_name(m->type), hsp_err_name(n));
		return;
	}
	put_bytes(f, buf, (size_t)n);
}

/* The next message from the client: 1, 0 when nothing came within
 * timeout_ms, -1 at the end of the connection (or a violation, recorded). */
static int get(fake_server *f, hsp_msg *m, int timeout_ms)
{
	static _Thread_local uint8_t buf[4096];
	static _Thread_local size_t len, off;
	int64_t deadline = fake_now_ms() + timeout_ms;

	for (;;) {
		while (off < len) {
			size_t used;
			int rc = hsp_parser_feed(f->parser, buf + off, len - off, &used, m);

			off += used;
			if (rc < 0) {
				fail(f, "the client broke the protocol: %s",
				     hsp_parser_reason(f->parser));
				return -1;
			}
			if (rc == HSP_PARSE_MSG)
				return 1;
		}
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		int64_t left = deadline - fake_now_ms();
		ssize_t n;

		if (left < 0 || poll(&p, 1, (int)left) == 0)
			return 0;
		n = recv(f->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			f->result.eof = true;
			if (hsp_parser_eof(f->parser))
				fail(f, "%s", hsp_parser_reason(f->parser));
			return -1;
		}
		len = (size_t)n;
		off = 0;
	}
}

static void put_error(fake_server *f, uint32_t tag, uint32_t stream,
		      uint16_t code, bool fatal, const char *text)
{
	hsp_msg m = {.type = HSP_ERROR};

	m.u.error = (hsp_error_msg){.tag = tag, .stream = stream, .code = code,
				    .fatal = fatal};
	snprintf(m.u.error.text, sizeof(m.u.error.text), "%s", text);
	put(f, &m);
}

static void put_ack(fake_server *f, const hsp_msg *req)
{
	hsp_msg m = {.type = HSP_ACK};

	m.u.ack = (hsp_ack){.tag = req->u.request.tag, .stream = req->u.request.stream,
			    .request = req->type};
	put(f, &m);
}

static void put_credit(fake_server *f, uint64_t limit)
{
	hsp_msg m = {.type = HSP_CREDIT};

	m.u.credit = (hsp_credit){.stream = 1, .limit = limit};
	f->result.limit = limit;
	put(f, &m);
}

static void pattern(const hsp_format *fmt, uint64_t frame, uint8_t *out)
{
	unsigned bytes = fmt->container / 8u;

	for (unsigned ch = 0; ch < fmt->channels; ch++) {
		uint32_t v = (uint16_t)fake_sample(frame, ch);

		if (bytes == 4)
			v <<= 16;
		for (unsigned b = 0; b < bytes; b++)
			*out++ = (uint8_t)(bytes == 1 ? v >> 8 : v >> (8 * b));
	}
}

static void send_capture(fake_server *f)
{
	static _Thread_local uint8_t payload[HSP_AUDIO_MAX_PAYLOAD];
	const fake_plan *p = &f->plan;
	uint32_t fb = hsp_format_frame_bytes(&p->format);
	uint64_t index = p->capture_start, sent = 0;
	size_t k = 0;

	while (sent < p->capture_frames) {
		hsp_msg m = {.type = HSP_AUDIO};
		uint32_t n = p->n_chunks ? p->chunks[k++ % p->n_chunks] : 480;

		if (n > p->capture_frames - sent)
			n = (uint32_t)(p->capture_frames - sent);
		if (p->gap_len && sent == p->gap_at)
			index += p->gap_len;
		for (uint32_t i = 0; i < n; i++)
			pattern(&p->format, index + i, payload + (size_t)i * fb);
		m.u.audio = (hsp_audio){.stream = 1, .frame_index = index, .frames = n,
					.payload_len = n * fb, .payload = payload};
		put(f, &m);
		index += n;
		sent += n;
		f->result.frames = sent;
		atomic_store(&f->progress, sent);
	}
	if (p->truncated_tail) {
		uint8_t head[HSP_HEADER_SIZE + HSP_AUDIO_FIXED];
		hsp_audio a = {.stream = 1, .frame_index = index, .frames = 4,
			       .payload_len = 4 * fb};

		hsp_encode_audio_head(head, sizeof(head), &a);
		put_bytes(f, head, sizeof(head));
		shutdown(f->fd, SHUT_RDWR);
	}
}

static void on_audio(fake_server *f, const hsp_audio *a)
{
	fake_result *r = &f->result;

	if (a->frame_index != r->frames)
		fail(f, "AUDIO at frame %llu, expected %llu",
		     (unsigned long long)a->frame_index, (unsigned long long)r->frames);
	if (a->frame_index + a->frames > r->limit)
		r->over_credit = true;
	if (r->audio_len + a->payload_len > r->audio_cap) {
		size_t cap = (r->audio_cap + a->payload_len) * 2;
		uint8_t *p = realloc(r->audio, cap);

		if (!p) {
			fail(f, "out of memory");
			return;
		}
		r->audio = p;
		r->audio_cap = cap;
	}
	memcpy(r->audio + r->audio_len, a->payload, a->payload_len);
	r->audio_len += a->payload_len;
	r->frames += a->frames;
	atomic_store(&f->progress, r->frames);
	if (f->plan.close_after_frames && r->frames >= f->plan.close_after_frames) {
		shutdown(f->fd, SHUT_RDWR);
		return;
	}
	if (!f->plan.no_credit) {
		if (f->plan.credit_delay_ms) {
			struct timespec d = {0, (long)f->plan.credit_delay_ms * 1000000};

			nanosleep(&d, NULL);
		}
		put_credit(f, r->frames + f->plan.window);
	}
}

static void on_position(fake_server *f, const hsp_msg *req)
{
	hsp_msg m = {.type = HSP_POSITION};

	m.u.position = (hsp_position){
		.tag = req->u.request.tag, .stream = 1, .fifo_bytes = f->plan.fifo_bytes,
		.link_frames = f->result.frames, .dma_frames = f->result.frames,
		.wall_ticks = 24000, .mono_ns = 1000000000, .real_ns = 2000000000,
		.frames_sent = f->result.frames, .frames_done = f->result.frames};
	put(f, &m);
}

static void opened(fake_server *f, const hsp_msg *req)
{
	const fake_plan *p = &f->plan;
	hsp_msg m = {.type = HSP_OPENED};

	m.u.opened = (hsp_opened){
		.tag = req->u.open.tag, .stream = 1, .direction = p->direction,
		.flags = p->adjusted ? HSP_OPENED_ADJUSTED : 0, .format = p->format,
		.buffer_bytes = p->buffer_bytes, .period_frames = p->period_frames,
		.fifo_bytes = p->fifo_bytes, .latency_frames = p->latency_frames,
		.window_frames = p->direction == HSP_DIR_RENDER ? p->window : 0};
	f->result.open = req->u.open;
	f->result.limit = m.u.opened.window_frames;
	put(f, &m);
}

/* The session after the handshake: one stream, by the plan. */
static void on_status(fake_server *f, uint32_t tag)
{
	const fake_plan *p = &f->plan;
	uint8_t buf[HSP_HEADER_SIZE + HSP_STATUS_BODY_MAX + 64];
	hsp_msg r = {.type = HSP_STATUS_REPORT};

	if (p->status_bytes && p->status_len <= sizeof(buf) &&
	    p->status_len >= HSP_HEADER_SIZE + 4) {
		memcpy(buf, p->status_bytes, p->status_len);
		for (unsigned i = 0; i < 4; i++)
			buf[HSP_HEADER_SIZE + i] = (uint8_t)(tag >> (8 * i));
		put_bytes(f, buf, p->status_len);
	} else if (p->status) {
		r.u.status_report = *p->status;
		r.u.status_report.tag = tag;
		put(f, &r);
	} else {
		put_error(f, tag, 0, p->status_error ? p->status_error
						     : HSP_ERR_UNSUPPORTED,
			  false, "no status here");
	}
}

static void serve(fake_server *f)
{
	const fake_plan *p = &f->plan;
	int64_t last = fake_now_ms();
	bool open_failed = false;
	hsp_msg m;
	int rc;

	while ((rc = get(f, &m, FAKE_WAIT_MS)) == 1) {
		int64_t t = fake_now_ms();

		if (m.type < 0x20)
			f->result.requests[m.type]++;
		switch (m.type) {
		case HSP_OPEN:
			if (p->garbage_on_open) {
				put_bytes(f, p->garbage, p->garbage_len);
				break;
			}
			if (p->open_error && !open_failed) {
				open_failed = true;
				put_error(f, m.u.open.tag, 0, p->open_error, false,
					  p->open_error_text);
				break;
			}
			opened(f, &m);
			break;
		case HSP_START:
			if (p->silent)
				break;
			if (p->start_error) {
				put_error(f, m.u.request.tag, p->start_error_fatal ? 0 : 1,
					  p->start_error, p->start_error_fatal, "refused");
				if (p->start_error_fatal)
					shutdown(f->fd, SHUT_RDWR);
				break;
			}
			put_ack(f, &m);
			atomic_store(&f->started, true);
			if (p->changed_after_start)
				put_error(f, 0, 1, HSP_ERR_STREAM_CHANGED, false,
					  "stream playback was rebuilt by a reload");
			if (p->direction == HSP_DIR_CAPTURE)
				send_capture(f);
			break;
		case HSP_PAUSE:
		case HSP_STOP:
		case HSP_DRAIN:
		case HSP_CLOSE:
			if (!p->silent)
				put_ack(f, &m);
			break;
		case HSP_POSITION_REQUEST:
			if (!p->silent)
				on_position(f, &m);
			break;
		case HSP_AUDIO:
			on_audio(f, &m.u.audio);
			break;
		case HSP_STATUS:
			on_status(f, m.u.status.tag);
			break;
		case HSP_KEEPALIVE:
			f->result.keepalives++;
			if (f->result.keepalives == 1)
				f->result.keepalive_after_ms = t - last;
			atomic_store(&f->keepalive_seen, true);
			break;
		case HSP_ERROR:
			f->result.client_error = m.u.error;
			break;
		default:
			fail(f, "unexpected %s", hsp_type_name(m.type));
		}
		last = t;
	}
	if (rc == 0)
		fail(f, "the client said nothing for %d ms", FAKE_WAIT_MS);
}

static void *run(void *arg)
{
	fake_server *f = arg;
	struct pollfd pl = {.fd = f->listen_fd, .events = POLLIN};
	hsp_msg m;

	if (poll(&pl, 1, FAKE_WAIT_MS) != 1) {
		fail(f, "no client connected within %d ms", FAKE_WAIT_MS);
		return NULL;
	}
	f->fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (f->fd < 0) {
		fail(f, "accept: %s", strerror(errno));
		return NULL;
	}
	if (get(f, &m, FAKE_WAIT_MS) != 1 || m.type != HSP_HELLO) {
		fail(f, "no HELLO");
		return NULL;
	}
	f->result.hello = m.u.hello;
	m = (hsp_msg){.type = HSP_HELLO_ACK};
	m.u.hello_ack = (hsp_hello_ack){.version = 1,
					.caps = HSP_CAP_PCM |
						(f->plan.offer_status ? HSP_CAP_STATUS : 0),
					.idle_timeout_ms = f->plan.idle_timeout_ms};
	strcpy(m.u.hello_ack.name, "fake-hsd");
	if (f->plan.garbage_len && !f->plan.garbage_on_open && !f->plan.trickle) {
		/* Garbage right behind HELLO_ACK, in the same send: the client
		 * reads both in one go whatever the scheduling (two sends
		 * raced its connect, which may return between them). */
		static _Thread_local uint8_t buf[HSP_MAX_FRAME + 256];
		int n = hsp_encode(buf, sizeof(buf), &m);

		if (n > 0 && (size_t)n + f->plan.garbage_len <= sizeof(buf)) {
			memcpy(buf + n, f->plan.garbage, f->plan.garbage_len);
			put_bytes(f, buf, (size_t)n + f->plan.garbage_len);
		} else {
			fail(f, "garbage plan too large");
		}
	} else {
		put(f, &m);
		if (f->plan.garbage_len && !f->plan.garbage_on_open)
			put_bytes(f, f->plan.garbage, f->plan.garbage_len);
	}
	serve(f);
	return NULL;
}

fake_server *fake_start(const fake_plan *plan)
{
	fake_server *f = calloc(1, sizeof(*f));
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1;

	if (!f)
		return NULL;
	f->plan = *plan;
	f->fd = -1;
	f->parser = malloc(sizeof(*f->parser));
	if (!f->parser)
		goto fail;
	hsp_parser_init(f->parser, HSP_FROM_CLIENT);
	if (plan->ipv6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	f->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0)
		goto fail;
	setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(f->listen_fd, (struct sockaddr *)&ss, len) || listen(f->listen_fd, 1) ||
	    getsockname(f->listen_fd, (struct sockaddr *)&ss, &len))
		goto fail_fd;
	f->port = ntohs(plan->ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				   : ((struct sockaddr_in *)&ss)->sin_port);
	if (pthread_create(&f->thread, NULL, run, f))
		goto fail_fd;
	return f;
fail_fd:
	close(f->listen_fd);
fail:
	free(f->parser);
	free(f);
	return NULL;
}

void fake_join(fake_server *f)
{
	pthread_join(f->thread, NULL);
	if (f->fd >= 0)
		close(f->fd);
	close(f->listen_fd);
	f->fd = f->listen_fd = -1;
}

void fake_free(fake_server *f)
{
	if (!f)
		return;
	free(f->result.audio);
	free(f->parser);
	free(f);
}

void fake_address(const fake_server *f, char *buf, size_t len)
{
	snprintf(buf, len, f->plan.ipv6 ? "[::1]:%u" : "127.0.0.1:%u", f->port);
}

uint16_t fake_unused_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, len) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
