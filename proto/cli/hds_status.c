/* SPDX-License-Identifier: MIT */
/*
 * hdastream status: one STATUS request (PROTOCOL.md), so that looking at
 * the daemon disturbs nothing: no stream is opened, no engine started, a
 * render stream another client plays is shown as it is.  The report has
 * every configured stream (or those named with --stream), the daemon's
 * clients and uptime.  Text for people; --json for programs, built with
 * json-c so that the output is JSON whatever a name holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hds.h"

static const char *dir_name(uint8_t d)
{
	return d == HSP_DIR_RENDER ? "render" : d == HSP_DIR_CAPTURE ? "capture" : "?";
}

static const char *state_name(uint8_t s)
{
	switch (s) {
	case HSP_SSTATE_IDLE: return "idle";
	case HSP_SSTATE_STOPPED: return "stopped";
	case HSP_SSTATE_RUNNING: return "running";
	}
	return "?";
}

/* Whether --stream asked for this one (all of them without --stream). */
static bool wanted(const hds_args *a, const char *name)
{
	if (!a->n_status_streams)
		return true;
	for (int i = 0; i < a->n_status_streams; i++)
		if (!strcmp(a->status_streams[i], name))
			return true;
	return false;
}

static const hsp_status_stream *find(const hsc_status *st, const char *name)
{
	for (uint32_t i = 0; i < st->count; i++)
		if (!strcmp(st->streams[i].name, name))
			return &st->streams[i];
	return NULL;
}

static json_object *jint(uint64_t v)
{
	/* json-c's integers are int64; the protocol's counts fit well
	 * below 2^63 in practice, and a larger one is shown as unsigned. */
	return v > INT64_MAX ? json_object_new_uint64(v)
			     : json_object_new_int64((int64_t)v);
}

static void add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *stream_json(const hsp_status_stream *s)
{
	json_object *o = json_object_new_object(), *f, *pos, *cl, *cnt;

	add(o, "name", json_object_new_string(s->name));
	add(o, "direction", json_object_new_string(dir_name(s->direction)));
	add(o, "state", json_object_new_string(state_name(s->state)));
	add(o, "engine_open", json_object_new_boolean(s->flags & HSP_SS_ENGINE));
	f = json_object_new_object();
	add(f, "rate", jint(s->format.rate));
	add(f, "bits", jint(s->format.bits));
	add(f, "container", jint(s->format.container));
	add(f, "channels", jint(s->format.channels));
	add(o, "format", f);
	add(o, "latency_frames", jint(s->latency_frames));
	add(o, "latency_us", jint(s->latency_us));
	add(o, "adjusted", json_object_new_boolean(s->flags & HSP_SS_ADJUSTED));
	add(o, "buffer_bytes", jint(s->buffer_bytes));
	add(o, "period_frames", jint(s->period_frames));
	add(o, "fifo_bytes", jint(s->fifo_bytes));
	cl = json_object_new_object();
	if (s->direction == HSP_DIR_RENDER)
		add(cl, "owner", json_object_new_boolean(s->flags & HSP_SS_OWNER));
	else {
		add(cl, "listeners", jint(s->listeners));
		add(cl, "always_on", json_object_new_boolean(s->flags & HSP_SS_ALWAYS_ON));
	}
	add(o, "clients", cl);
	if (s->flags & HSP_SS_POSITION) {
		pos = json_object_new_object();
		add(pos, "link_frames", jint(s->link_frames));
		add(pos, "dma_frames", jint(s->dma_frames));
		add(pos, "wall_ticks", jint(s->wall_ticks));
		add(pos, "mono_ns", jint(s->mono_ns));
		add(pos, "real_ns", jint(s->real_ns));
		add(pos, "stalled", json_object_new_boolean(s->flags & HSP_SS_STALLED));
		add(o, "position", pos);
	} else {
		add(o, "position", NULL); /* null: no engine, no reading */
		add(o, "link_frames", jint(s->link_frames));
	}
	cnt = json_object_new_object();
	add(cnt, "frames", jint(s->frames));
	add(cnt, "underruns", jint(s->underruns));
	add(cnt, "overruns", jint(s->overruns));
	add(cnt, "dropped", jint(s->dropped));
	add(o, "counters", cnt);
	return o;
}

static int print_json(hsc_client *c, const hds_args *a, const hsc_status *st)
{
	json_object *root = json_object_new_object(), *streams = json_object_new_array();
	const char *text;
	int rc = HDS_EXIT_OK;

	add(root, "server", json_object_new_string(hsc_server_address(c)));
	add(root, "server_name", json_object_new_string(st->report.server));
	add(root, "protocol_version", jint(hsc_server_version(c)));
	add(root, "uptime_ms", jint(st->report.uptime_ms));
	add(root, "clients", jint(st->report.clients));
	add(root, "max_clients", jint(st->report.max_clients));
	for (uint32_t i = 0; i < st->count; i++)
		if (wanted(a, st->streams[i].name))
			json_object_array_add(streams, stream_json(&st->streams[i]));
	add(root, "streams", streams);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || printf("%s\n", text) < 0)
		rc = HDS_EXIT_IOERR;
	json_object_put(root);
	return rc;
}

static void print_text(hsc_client *c, const hds_args *a, const hsc_status *st)
{
	uint64_t up = st->report.uptime_ms / 1000;

	printf("server %s: %s, protocol version %u, up %llu:%02llu:%02llu, "
	       "%u client%s of %u\n",
	       hsc_server_address(c), st->report.server, hsc_server_version(c),
	       (unsigned long long)(up / 3600), (unsigned long long)(up / 60 % 60),
	       (unsigned long long)(up % 60), st->report.clients,
	       st->report.clients == 1 ? "" : "s", st->report.max_clients);
	printf("%-16s %-7s %-7s %-18s %10s %8s %7s %5s %-14s %12s %9s %9s %9s\n",
	       "STREAM", "DIR", "STATE", "FORMAT", "LATENCY", "BUFFER", "PERIOD",
	       "FIFO", "CLIENTS", "LINK", "UNDERRUNS", "OVERRUNS", "DROPPED");
	for (uint32_t i = 0; i < st->count; i++) {
		const hsp_status_stream *s = &st->streams[i];
		char fmt[32], lat[24], clients[24];

		if (!wanted(a, s->name))
			continue;
		snprintf(fmt, sizeof(fmt), "%uHz %u/%u %uch", s->format.rate,
			 s->format.bits, s->format.container, s->format.channels);
		snprintf(lat, sizeof(lat), "%.3fms%s", s->latency_us / 1000.0,
			 s->flags & HSP_SS_ADJUSTED ? "*" : "");
		if (s->direction == HSP_DIR_RENDER)
			snprintf(clients, sizeof(clients), "%s",
				 s->flags & HSP_SS_OWNER ? "owner" : "none");
		else
			snprintf(clients, sizeof(clients), "%u listener%s%s",
				 s->listeners, s->listeners == 1 ? "" : "s",
				 s->flags & HSP_SS_ALWAYS_ON ? "+on" : "");
		printf("%-16s %-7s %-7s %-18s %10s %8u %7u %5u %-14s %12llu %9llu %9llu %9llu\n",
		       s->name, dir_name(s->direction), state_name(s->state), fmt,
		       lat, s->buffer_bytes, s->period_frames, s->fifo_bytes, clients,
		       (unsigned long long)s->link_frames,
		       (unsigned long long)s->underruns,
		       (unsigned long long)s->overruns,
		       (unsigned long long)s->dropped);
	}
	/* The newest reading of each running stream: what a client needs to
	 * place a frame in time (PROTOCOL.md, "Timing"). */
	for (uint32_t i = 0; i < st->count; i++) {
		const hsp_status_stream *s = &st->streams[i];

		if (!wanted(a, s->name) || !(s->flags & HSP_SS_POSITION))
			continue;
		printf("  %s: link %llu, memory %llu, wall clock %llu, monotonic "
		       "%llu.%09llu s, %llu frames%s\n", s->name,
		       (unsigned long long)s->link_frames,
		       (unsigned long long)s->dma_frames,
		       (unsigned long long)s->wall_ticks,
		       (unsigned long long)(s->mono_ns / 1000000000u),
		       (unsigned long long)(s->mono_ns % 1000000000u),
		       (unsigned long long)s->frames,
		       s->flags & HSP_SS_STALLED ? " (stalled)" : "");
	}
}

int hds_status(const hds_args *a)
{
	hsc_client *c = hds_connect(a);
	hsc_status *st;
	int rc;

	if (!c)
		return HDS_EXIT_UNAVAILABLE;
	st = malloc(sizeof(*st));
	if (!st) {
		hds_error("out of memory");
		hsc_destroy(c);
		return HDS_EXIT_UNAVAILABLE;
	}
	rc = hsc_status_get(c, st, -1);
	if (rc) {
		hds_error("%s", hsc_last_error(c)->text);
		rc = rc == -EOPNOTSUPP ? HDS_EXIT_PROTOCOL : hds_exit_for(rc);
		goto out;
	}
	for (int i = 0; i < a->n_status_streams; i++)
		if (!find(st, a->status_streams[i])) {
			hds_error("%s: no stream '%s' in the daemon's config",
				  hsc_server_address(c), a->status_streams[i]);
			rc = HDS_EXIT_USAGE;
			goto out;
		}
	if (a->json)
		rc = print_json(c, a, st);
	else
		print_text(c, a, st);
out:
	free(st);
	hsc_destroy(c);
	return rc;
}
