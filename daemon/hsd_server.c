/* SPDX-License-Identifier: MIT */
/*
 * The listening sockets (hsd_daemon.h): the config's addresses, bound with
 * libuv (IPv4 and IPv6; port 0 takes a free port, and the port actually
 * bound is what is logged and told to systemd), or, under socket
 * activation, the sockets systemd passes (sd_listen_fds), adopted as they
 * are instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "hsd_daemon.h"
#include "hsd_log.h"

#define BACKLOG 64

static void on_connection(uv_stream_t *server, int status)
{
	hsd_daemon *d = server->data;

	if (status < 0) {
		hsd_log(HSD_LOG_WARNING, "accept: %s", uv_strerror(status));
		return;
	}
	hsd_session_accept(d, server);
}

/* "127.0.0.1:4713" or "[::1]:4713" for the address h is bound to. */
static void bound_name(uv_tcp_t *h, char *buf, size_t len)
{
	struct sockaddr_storage sa;
	int n = sizeof(sa);
	char host[48] = "?";

	if (uv_tcp_getsockname(h, (struct sockaddr *)&sa, &n)) {
		snprintf(buf, len, "?");
	} else if (sa.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&sa, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	} else {
		uv_ip4_name((struct sockaddr_in *)&sa, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(((struct sockaddr_in *)&sa)->sin_port));
	}
}

static int listen_on(hsd_daemon *d, uv_tcp_t *h, const char *what)
{
	char name[66];
	int rc;

	h->data = d;
	rc = uv_listen((uv_stream_t *)h, BACKLOG, on_connection);
	if (rc) {
		hsd_log(HSD_LOG_ERROR, "listen on %s: %s", what, uv_strerror(rc));
		return rc;
	}
	bound_name(h, name, sizeof(name));
	snprintf(d->listen_text + strlen(d->listen_text),
		 sizeof(d->listen_text) - strlen(d->listen_text), "%s%s",
		 d->nlisten ? "," : "", name);
	d->nlisten++;
	return 0;
}

static int adopt(hsd_daemon *d, int n)
{
	for (int i = 0; i < n && i < HSD_LISTEN_MAX; i++) {
		int fd = SD_LISTEN_FDS_START + i, rc;
		uv_tcp_t *h = &d->listen[d->nlisten];

		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			hsd_log(HSD_LOG_ERROR, "socket activation: fd %d is not a listening stream socket", fd);
			return -EINVAL;
		}
		uv_tcp_init(d->loop, h);
		rc = uv_tcp_open(h, fd);
		if (rc == 0)
			rc = listen_on(d, h, "a socket from systemd");
		if (rc) {
			uv_close((uv_handle_t *)h, NULL);
			return rc;
		}
	}
	hsd_log(HSD_LOG_INFO, "socket activation: %d socket%s from systemd", n, n == 1 ? "" : "s");
	return 0;
}

int hsd_server_start(hsd_daemon *d)
{
	const hsd_listen_list *l = &d->config->listen;
	int n = sd_listen_fds(1);

	if (n > 0)
		return adopt(d, n);
	for (unsigned i = 0; i < l->count; i++) {
		const hsd_listen_addr *a = &l->addr[i];
		uv_tcp_t *h = &d->listen[d->nlisten];
		unsigned flags = a->addr.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
		int rc;

		uv_tcp_init(d->loop, h);
		rc = uv_tcp_bind(h, (const struct sockaddr *)&a->addr, flags);
		if (rc == 0)
			rc = listen_on(d, h, a->text);
		else
			hsd_log(HSD_LOG_ERROR, "bind %s: %s", a->text, uv_strerror(rc));
		if (rc) {
			uv_close((uv_handle_t *)h, NULL);
			/* A host without IPv6 (or without that address)
			 * cannot serve it; the other addresses still can. */
			if ((rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT) &&
			    (i + 1 < l->count || d->nlisten)) {
				hsd_log(HSD_LOG_WARNING, "not listening on %s", a->text);
				continue;
			}
			return rc;
		}
	}
	return 0;
}

void hsd_server_stop(hsd_daemon *d)
{
	for (unsigned i = 0; i < d->nlisten; i++)
		if (!uv_is_closing((uv_handle_t *)&d->listen[i]))
			uv_close((uv_handle_t *)&d->listen[i], NULL);
}
