/* SPDX-License-Identifier: MIT */
/*
 * hdastream status: what version 1 of the protocol can show without a
 * status request of its own.  For each stream named (by default the
 * default config's playback and loopback) it OPENs the stream, asks for a
 * POSITION, and CLOSEs it: the format, buffer, period, FIFO and latency
 * come from OPENED, the stream's timeline and clocks from POSITION.  A
 * render stream that another client plays answers BUSY, which is shown as
 * "busy".  Other clients and their counters are not visible in version 1.
 */
#include <stdio.h>
#include <string.h>

#include "hds.h"

typedef struct row {
	const char *name;
	int rc;
	const char *err_name;
	char err_text[512];
	hsc_stream_info si;
	hsp_position pos;
	bool have_pos;
} row;

static void probe(hsc_client *c, const char *name, row *r)
{
	hsc_open_args oa = {.name = name, .direction = HSP_DIR_ANY};

	*r = (row){.name = name};
	r->rc = hsc_open(c, &oa, &r->si);
	if (r->rc) {
		r->err_name = hsc_strerror(r->rc);
		snprintf(r->err_text, sizeof(r->err_text), "%s", hsc_last_error(c)->text);
		return;
	}
	r->have_pos = hsc_position(c, r->si.id, &r->pos, -1) == 0;
	(void)hsc_request(c, r->si.id, HSP_CLOSE, -1);
}

static const char *dir_name(uint8_t d)
{
	return d == HSP_DIR_RENDER ? "render" : d == HSP_DIR_CAPTURE ? "capture" : "?";
}

/* A JSON string of text the protocol restricts to printable bytes;
 * quotes and backslashes escaped, anything below 0x20 as \u00XX. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(hsc_client *c, const row *rows, int n)
{
	printf("{\"server\":");
	json_str(hsc_server_address(c));
	printf(",\"server_name\":");
	json_str(hsc_server_name(c));
	printf(",\"version\":%u,\"idle_timeout_ms\":%u,\"streams\":[",
	       hsc_server_version(c), hsc_server_idle_timeout_ms(c));
	for (int i = 0; i < n; i++) {
		const row *r = &rows[i];
		const hsc_stream_info *s = &r->si;

		printf("%s{\"name\":", i ? "," : "");
		json_str(r->name);
		if (r->rc) {
			printf(",\"error\":");
			json_str(r->err_name);
			printf(",\"message\":");
			json_str(r->err_text);
			putchar('}');
			continue;
		}
		printf(",\"direction\":\"%s\",\"rate\":%u,\"bits\":%u,\"container\":%u,"
		       "\"channels\":%u,\"buffer_bytes\":%u,\"period_frames\":%u,"
		       "\"fifo_bytes\":%u,\"latency_frames\":%u,\"latency_ms\":%.3f,"
		       "\"adjusted\":%s",
		       dir_name(s->direction), s->format.rate, s->format.bits,
		       s->format.container, s->format.channels, s->buffer_bytes,
		       s->period_frames, s->fifo_bytes, s->latency_frames,
		       s->latency_frames * 1000.0 / s->format.rate,
		       s->adjusted ? "true" : "false");
		if (r->have_pos)
			printf(",\"position\":{\"link_frames\":%llu,\"dma_frames\":%llu,"
			       "\"wall_ticks\":%llu,\"mono_ns\":%llu,\"real_ns\":%llu,"
			       "\"stalled\":%s}",
			       (unsigned long long)r->pos.link_frames,
			       (unsigned long long)r->pos.dma_frames,
			       (unsigned long long)r->pos.wall_ticks,
			       (unsigned long long)r->pos.mono_ns,
			       (unsigned long long)r->pos.real_ns,
			       r->pos.flags & HSP_POS_STALLED ? "true" : "false");
		putchar('}');
	}
	printf("]}\n");
}

static void print_text(hsc_client *c, const row *rows, int n)
{
	printf("server %s: %s, protocol version %u, idle timeout %u ms\n",
	       hsc_server_address(c), hsc_server_name(c), hsc_server_version(c),
	       hsc_server_idle_timeout_ms(c));
	for (int i = 0; i < n; i++) {
		const row *r = &rows[i];
		const hsc_stream_info *s = &r->si;

		if (r->rc == HSC_E_PROTO(HSP_ERR_BUSY)) {
			printf("stream %s: busy (another client plays it)\n", r->name);
			continue;
		}
		if (r->rc) {
			printf("stream %s: %s\n", r->name, r->err_text);
			continue;
		}
		printf("stream %s: %s, %u Hz, %u-bit in %u, %u ch; buffer %u bytes, period %u frames, FIFO %u bytes, latency %.3f ms%s\n",
		       r->name, dir_name(s->direction), s->format.rate, s->format.bits,
		       s->format.container, s->format.channels, s->buffer_bytes,
		       s->period_frames, s->fifo_bytes,
		       s->latency_frames * 1000.0 / s->format.rate,
		       s->adjusted ? " (adjusted)" : "");
		if (r->have_pos)
			printf("  position: link %llu frames (%.3f s), memory %llu, wall clock %llu%s\n",
			       (unsigned long long)r->pos.link_frames,
			       (double)r->pos.link_frames / s->format.rate,
			       (unsigned long long)r->pos.dma_frames,
			       (unsigned long long)r->pos.wall_ticks,
			       r->pos.flags & HSP_POS_STALLED ? " (stalled)" : "");
	}
}

int hds_status(const hds_args *a)
{
	static const char *const defaults[] = {"playback", "loopback"};
	const char *const *names = a->n_status_streams ? a->status_streams : defaults;
	int n = a->n_status_streams ? a->n_status_streams : 2;
	row rows[HDS_MAX_STATUS_STREAMS];
	hsc_client *c = hds_connect(a);

	if (!c)
		return HDS_EXIT_UNAVAILABLE;
	for (int i = 0; i < n; i++) {
		probe(c, names[i], &rows[i]);
		if (rows[i].rc && hsc_last_error(c)->fatal) {
			hds_error("%s", rows[i].err_text);
			hsc_destroy(c);
			return HDS_EXIT_PROTOCOL;
		}
	}
	if (a->json)
		print_json(c, rows, n);
	else
		print_text(c, rows, n);
	hsc_destroy(c);
	return HDS_EXIT_OK;
}
