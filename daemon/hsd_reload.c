/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP: reload the config (hsd_daemon.h).  The file the daemon started
 * with is read again and checked as at start-up; hsd_config_diff says what
 * became of each stream, and hsd_config_daemon_changes what changed in
 * [daemon].  systemd hears RELOADING=1 before and READY=1 after, whatever
 * the outcome.
 *
 * All or nothing.  A new config that does not parse or check (a bad value,
 * an unknown key, a syntax error: the same FILE:LINE: [SECTION] KEY error
 * as at start-up), one that changes the controller, or no memory for the
 * new streams' tables: the error is logged, nothing changes, the old
 * config stays in force and every client keeps what it has.  This is
 * decided before the first stream is touched.
 *
 * [daemon] at run time:
 *   log_level        applies at once;
 *   max_clients      applies to new clients and listeners; those already
 *                    connected beyond a lowered limit stay (each stream's
 *                    listener table is resized, never below its listeners);
 *   max_streams      a bound on the new file only (the parser checks it);
 *   client_queue_ms  applies to every engine opened from now on (a stream
 *                    that keeps running keeps its queues: resizing them
 *                    would be the glitch a reload must not cause);
 *   listen           needs a restart: a warning names it, the sockets
 *                    bound (or passed by systemd) stay, and the rest of the
 *                    reload applies;
 *   realtime         needs a restart (the audio thread set itself up once):
 *                    the same;
 *   controller       needs a restart, and every stream is on it: the
 *                    reload is refused (an error, nothing changes).
 *
 * Streams, matched by name:
 *   unchanged  untouched: its engine, clients, queues and audio-thread slot
 *              stay as they are (not detached, not stopped);
 *   changed    every client is told (a non-fatal ERROR
 *              HSP_ERR_STREAM_CHANGED, "stream NAME reconfigured by
 *              reload") and loses its id; the engine is closed and opened
 *              again with the new settings on next use, logging its sizing
 *              once now as at start-up (an always_on capture stream starts
 *              at once).  Its timeline goes on (PROTOCOL.md: link_frames
 *              never goes back);
 *   removed    its clients are told ("stream NAME removed by reload"), its
 *              engine closed, and its slot freed;
 *   added      set up as at start-up, in a free slot.
 * Removed and changed streams give their engines back before any engine is
 * opened, so that a changed stream can have its old engine.  An engine
 * that does not open now (INSUFFICIENT_RESOURCES while other streams hold
 * every engine, a pin the codec lacks) does not undo the reload: it is
 * logged, naming FILE:LINE: [stream NAME] and libhda's reason, the stream
 * stays configured without an engine, and the next OPEN tries again and
 * gets the reason by name.  An always_on stream is then not running
 * until a listener opens it.
 *
 * Slots.  The audio thread knows a stream by its slot (d->streams[] index)
 * and tags its messages with the engine's generation.  A freed slot keeps
 * its generation counter, so a stream that takes the slot later goes on
 * counting from there, and a message about an engine of the old stream
 * that the loop has not read yet can never match the new one (on_message
 * drops it).  hsd_audio_detach has returned before a slot is freed, so the
 * thread holds no pointer into it.
 */
#include <stdlib.h>
#include <string.h>

#include "hsd_daemon.h"
#include "hsd_log.h"

/* What a reload will do, worked out (and allocated) before it does it. */
typedef struct reload_plan {
	hsd_stream_diff diff[HSD_DIFF_MAX];
	size_t ndiff;
	int slot[HSD_DIFF_MAX]; /* the stream's slot; an added one's to be */
	/* New listener tables, by slot (NULL: keep the old one). */
	hsd_sopen **listeners[HSD_STREAMS_MAX];
	hsd_lqueue **fan[HSD_STREAMS_MAX];
	unsigned same, changed, added, removed;
} reload_plan;

unsigned hsd_streams_live(const hsd_daemon *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nstreams; i++)
		n += d->streams[i].cfg.name[0] != '\0';
	return n;
}

static void plan_free(reload_plan *p)
{
	for (unsigned i = 0; i < HSD_STREAMS_MAX; i++) {
		free(p->listeners[i]);
		free(p->fan[i]);
		p->listeners[i] = NULL;
		p->fan[i] = NULL;
	}
}

/* [daemon]: refuse what cannot change (false), keep the old value of what
 * needs a restart, with a warning. */
static bool check_daemon(const hsd_config *old, hsd_config *nc)
{
	unsigned ch = hsd_config_daemon_changes(old, nc);

	if (ch & HSD_DAEMON_CONTROLLER) {
		if (nc->controller_line)
			hsd_log(HSD_LOG_ERROR,
				"reload: %s:%u: [daemon] controller: cannot change while running "
				"('%s', was '%s'); restart hdastreamd for it. The old config stays",
				nc->path, nc->controller_line, nc->controller, old->controller);
		else
			hsd_log(HSD_LOG_ERROR,
				"reload: %s: [daemon] controller: cannot change while running "
				"(the default '%s', was '%s'); restart hdastreamd for it. The old "
				"config stays",
				nc->path, nc->controller, old->controller);
		return false;
	}
	if (ch & HSD_DAEMON_LISTEN) {
		char was[HSD_LISTEN_MAX * 66] = "";

		for (unsigned i = 0; i < old->listen.count; i++)
			snprintf(was + strlen(was), sizeof(was) - strlen(was), "%s%s",
				 i ? " " : "", old->listen.addr[i].text);
		hsd_log(HSD_LOG_WARNING,
			"reload: %s:%u: [daemon] listen: needs a restart; still listening as "
			"configured before (%s)",
			nc->path, nc->listen_line, was);
		nc->listen = old->listen;
		nc->listen_line = old->listen_line;
	}
	if (old->realtime != nc->realtime) {
		hsd_log(HSD_LOG_WARNING,
			"reload: %s:%u: [daemon] realtime: needs a restart; the audio thread "
			"keeps its set-up",
			nc->path, nc->realtime_line);
		nc->realtime = old->realtime;
		nc->realtime_line = old->realtime_line;
	}
	return true;
}

/* A slot for an added stream: one no stream holds, or a removed
 * stream's (removed streams are freed first). */
static int free_slot(bool taken[])
{
	for (unsigned i = 0; i < HSD_STREAMS_MAX; i++)
		if (!taken[i]) {
			taken[i] = true;
			return (int)i;
		}
	return -1;
}

static bool alloc_tables(reload_plan *p, int slot, unsigned cap)
{
	p->listeners[slot] = calloc(cap, sizeof(*p->listeners[slot]));
	p->fan[slot] = calloc(cap, sizeof(*p->fan[slot]));
	return p->listeners[slot] && p->fan[slot];
}

/* The diff, the slots, and every table the new config needs.  false: no
 * memory (nothing changed). */
static bool plan(hsd_daemon *d, const hsd_config *nc, reload_plan *p)
{
	bool taken[HSD_STREAMS_MAX] = {false};
	bool resize = nc->max_clients != d->config->max_clients;

	p->ndiff = hsd_config_diff(d->config, nc, p->diff, HSD_DIFF_MAX);
	/* Slots that stay taken: every stream that is not removed. */
	for (size_t i = 0; i < p->ndiff; i++) {
		hsd_stream *s = p->diff[i].change == HSD_STREAM_ADDED
					? NULL
					: hsd_streams_find(d, p->diff[i].name);

		p->slot[i] = s ? (int)s->slot : -1;
		if (s && p->diff[i].change != HSD_STREAM_REMOVED)
			taken[s->slot] = true;
	}
	for (size_t i = 0; i < p->ndiff; i++) {
		const hsd_stream_diff *df = &p->diff[i];

		switch (df->change) {
		case HSD_STREAM_ADDED:
			p->slot[i] = free_slot(taken);
			/* A config has at most HSD_STREAMS_MAX streams, and each
			 * old one not in it gives its slot back. */
			if (p->slot[i] < 0 || !alloc_tables(p, p->slot[i], nc->max_clients))
				return false;
			p->added++;
			break;
		case HSD_STREAM_REMOVED:
			p->removed++;
			break;
		default: {
			const hsd_stream *s = &d->streams[p->slot[i]];
			/* A changed stream loses its listeners; an unchanged
			 * one keeps them all, even above a lowered limit. */
			unsigned keep = df->change == HSD_STREAM_SAME ? s->nlisteners : 0;

			if (df->change == HSD_STREAM_SAME)
				p->same++;
			else
				p->changed++;
			if (resize &&
			    !alloc_tables(p, p->slot[i],
					  nc->max_clients > keep ? nc->max_clients : keep))
				return false;
		}
		}
	}
	return true;
}

/* Every client of s loses it, with why; the engine closes. */
static void drop_clients(hsd_stream *s, const char *why)
{
	char text[HSP_TEXT_MAX];

	snprintf(text, sizeof(text), "stream %s %s by reload", s->cfg.name, why);
	if (s->owner)
		hsd_session_stream_lost(s->owner, HSP_ERR_STREAM_CHANGED, text);
	while (s->nlisteners)
		hsd_session_stream_lost(s->listeners[s->nlisteners - 1],
					HSP_ERR_STREAM_CHANGED, text);
	hsd_stream_close_engine(s);
}

/* "latency_ms, pin": the settings that differ, for the log. */
static void what_changed(const hsd_stream_config *a, const hsd_stream_config *b, char *buf,
			 size_t len)
{
	struct {
		bool differs;
		const char *key;
	} k[] = {
		{a->direction != b->direction, "direction"},
		{a->format.sample_rate != b->format.sample_rate, "rate"},
		{a->format.valid_bits_per_sample != b->format.valid_bits_per_sample ||
			 a->format.container_size != b->format.container_size,
		 "bits"},
		{a->format.channels != b->format.channels, "channels"},
		{a->latency_us != b->latency_us, "latency_ms"},
		{a->codec != b->codec, "codec"},
		{a->pin.kind != b->pin.kind || a->pin.device != b->pin.device ||
			 a->pin.node != b->pin.node,
		 "pin"},
		{a->always_on != b->always_on, "always_on"},
	};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (k[i].differs)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 k[i].key);
}

/* A new or rebuilt stream: log its sizing from a trial open, as at
 * start-up; an always-on capture stream keeps its engine and runs. */
static void bring_up(hsd_daemon *d, hsd_stream *s)
{
	char why[256] = "", line[256];
	hda_status st;

	st = hsd_stream_open_engine(s, &s->cfg.format, s->cfg.latency_us, why, sizeof(why));
	if (st) {
		hsd_log(st == HDA_STATUS_INSUFFICIENT_RESOURCES ? HSD_LOG_WARNING : HSD_LOG_ERROR,
			"reload: %s:%u: [stream %s]: %s (%s); it has no engine until a client "
			"opens it",
			d->config->path, s->cfg.line, s->cfg.name, why, hda_status_str(st));
		return;
	}
	hsd_sizing_describe(&hsd_engine_get_info(s->a->engine)->sizing, line, sizeof(line));
	hsd_log(HSD_LOG_INFO, "stream %s: %s", s->cfg.name, line);
	if (s->cfg.direction == HSD_CAPTURE && s->cfg.always_on) {
		st = hsd_stream_run(s);
		if (st) {
			hsd_log(HSD_LOG_ERROR, "reload: stream %s: starting: %s; it runs once a "
					       "client opens it",
				s->cfg.name, hda_status_str(st));
			hsd_stream_close_engine(s);
		}
	} else {
		hsd_stream_close_engine(s);
	}
}

static void swap_tables(hsd_stream *s, reload_plan *p)
{
	unsigned slot = s->slot;

	if (!p->listeners[slot])
		return;
	/* An added stream has no table yet (NULL): memcpy wants a pointer
	 * even for no bytes. */
	if (s->nlisteners)
		memcpy(p->listeners[slot], s->listeners, s->nlisteners * sizeof(*s->listeners));
	free(s->listeners);
	free(s->fan);
	s->listeners = p->listeners[slot];
	s->fan = p->fan[slot];
	p->listeners[slot] = NULL;
	p->fan[slot] = NULL;
}

/* Free a removed stream's slot; its generation counter stays (see the
 * top of the file). */
static void free_stream_slot(hsd_stream *s)
{
	uint32_t gen = s->gen;
	unsigned slot = s->slot;
	hsd_daemon *d = s->d;

	free(s->listeners);
	free(s->fan);
	memset(s, 0, sizeof(*s));
	s->d = d;
	s->slot = slot;
	s->gen = gen;
}

/* Carry the plan out; nc becomes the config.  Nothing here can fail. */
static void commit(hsd_daemon *d, hsd_config *nc, reload_plan *p)
{
	hsd_config *old = d->config;
	char keys[128];

	/* 1. Engines given back: removed and changed streams. */
	for (size_t i = 0; i < p->ndiff; i++) {
		const hsd_stream_diff *df = &p->diff[i];
		hsd_stream *s = p->slot[i] >= 0 ? &d->streams[p->slot[i]] : NULL;

		if (df->change == HSD_STREAM_REMOVED) {
			hsd_log(HSD_LOG_NOTICE, "reload: stream %s: removed", s->cfg.name);
			drop_clients(s, "removed");
			free_stream_slot(s);
		} else if (df->change == HSD_STREAM_CHANGED) {
			what_changed(df->old_stream, df->new_stream, keys, sizeof(keys));
			hsd_log(HSD_LOG_NOTICE, "reload: stream %s: %s changed: rebuilt",
				s->cfg.name, keys);
			drop_clients(s, "reconfigured");
		}
	}
	/* 2. The new config in force, before any engine opens: the queues
	 * are sized from it and the limits read from it. */
	if (old->log_level != nc->log_level) {
		hsd_log(HSD_LOG_NOTICE, "reload: log level %s", hsd_log_level_name(nc->log_level));
		hsd_log_set_level(nc->log_level);
	}
	for (size_t i = 0; i < p->ndiff; i++) {
		const hsd_stream_diff *df = &p->diff[i];
		hsd_stream *s;

		if (df->change == HSD_STREAM_REMOVED)
			continue;
		s = &d->streams[p->slot[i]];
		if (df->change == HSD_STREAM_ADDED) {
			s->d = d;
			s->slot = (unsigned)p->slot[i];
			s->base = 0;
			if (s->slot >= d->nstreams)
				d->nstreams = s->slot + 1;
		}
		/* Also an unchanged one: its section may have moved. */
		s->cfg = *df->new_stream;
		swap_tables(s, p);
	}
	d->config = nc;
	hsd_config_free(old); /* the diff points into it: not used from here */
	while (d->nstreams && !d->streams[d->nstreams - 1].cfg.name[0])
		d->nstreams--;
	/* 3. New and rebuilt streams come up. */
	for (size_t i = 0; i < p->ndiff; i++)
		if (p->diff[i].change == HSD_STREAM_ADDED ||
		    p->diff[i].change == HSD_STREAM_CHANGED) {
			hsd_stream *s = &d->streams[p->slot[i]];

			if (p->diff[i].change == HSD_STREAM_ADDED)
				hsd_log(HSD_LOG_NOTICE, "reload: stream %s: added", s->cfg.name);
			bring_up(d, s);
		}
}

void hsd_daemon_reload(hsd_daemon *d)
{
	reload_plan *p = NULL;
	hsd_config *nc = NULL;
	char err[1024], status[128];

	if (d->stopping)
		return;
	hsd_notify_reloading(d);
	hsd_log(HSD_LOG_NOTICE, "SIGHUP: reloading %s", d->config->path);
	if (hsd_config_load(d->config->path, &nc, err, sizeof(err))) {
		hsd_log(HSD_LOG_ERROR, "reload: %s; the old config stays", err);
		goto refused;
	}
	if (!check_daemon(d->config, nc))
		goto refused;
	p = calloc(1, sizeof(*p));
	if (!p || !plan(d, nc, p)) {
		hsd_log(HSD_LOG_ERROR, "reload: out of memory; the old config stays");
		goto refused;
	}
	commit(d, nc, p);
	nc = NULL;
	hsd_log(HSD_LOG_NOTICE,
		"reload: done: %u stream%s unchanged, %u rebuilt, %u added, %u removed",
		p->same, p->same == 1 ? "" : "s", p->changed, p->added, p->removed);
	snprintf(status, sizeof(status), "reloaded: %u unchanged, %u rebuilt, %u added, %u removed",
		 p->same, p->changed, p->added, p->removed);
	/* A render client that was held on its lost stream reads again. */
	hsd_sessions_resume(d);
	goto out;
refused:
	snprintf(status, sizeof(status), "reload failed, the old config stays");
out:
	if (p)
		plan_free(p);
	free(p);
	hsd_config_free(nc);
	hsd_notify_reloaded(d, status);
}
