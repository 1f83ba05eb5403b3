/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd's run mode: the objects the main loop owns and the calls
 * between its files.  Internal to the daemon; every routine here is [main]
 * (the libuv loop's thread) unless it says otherwise.
 *
 *   hsd_daemon.c   start-up, signals, shutdown, the audio thread's wake-up
 *   hsd_streams.c  the configured streams: engines, the audio thread's
 *                  hand-over, the pump that turns its news into session
 *                  events (credit, chunks, drained, errors)
 *   hsd_server.c   listening sockets (bound or socket-activated)
 *   hsd_session.c  one client connection: the protocol
 *   hsd_notify.c   sd_notify: READY, STATUS, WATCHDOG, STOPPING, RELOADING
 *   hsd_reload.c   SIGHUP: the config read again, streams rebuilt, added
 *                  and removed as hsd_config_diff says
 */
#ifndef HSD_DAEMON_H
#define HSD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "hsd_audio.h"
#include "hsd_config.h"
#include "hsp_wire.h"

typedef struct hsd_daemon hsd_daemon;
typedef struct hsd_session hsd_session;
typedef struct hsd_sopen hsd_sopen;

/* The daemon's idle timeout for clients (HELLO_ACK), and its keepalive:
 * a third of it. */
#define HSD_IDLE_TIMEOUT_MS 30000u

/* One configured stream, loop side. */
typedef struct hsd_stream {
	hsd_daemon *d;
	hsd_stream_config cfg;
	unsigned slot;
	uint32_t gen;       /* attach generation, for the thread's messages */
	hsd_astream *a;     /* NULL while no engine is open */
	bool attached;      /* the audio thread steps it */
	bool running;       /* the engine is in Run */
	hda_stream_format format; /* of the open engine */
	/* The stream's timeline: converter frames of engines reset or closed
	 * before this one (PROTOCOL.md: link_frames never goes back). */
	uint64_t base;
	hsd_audio_snap last; /* the newest reading of the open engine */
	bool have_last;
	hsd_sopen *owner;        /* render: the one client */
	hsd_sopen **listeners;   /* capture: up to max_clients */
	unsigned nlisteners;
	hsd_lqueue **fan;        /* scratch for hsd_chunk_fan_out */
	uint32_t lq_depth;       /* capture: chunks a listener's queue holds */
	/* capture: frames lost to an empty pool and to overruns, as last
	 * logged, and when */
	uint64_t starved_logged, overrun_logged, loss_log_ms;
	/* The sizing of the open engine, or of the latest one, kept past its
	 * close so that STATUS (hsd_status.c) needs no engine. */
	hsd_sizing sizing;
	uint32_t fifo_bytes;
	bool sized;              /* an engine was opened once */
} hsd_stream;

struct hsd_daemon {
	uv_loop_t *loop;
	hsd_config *config; /* owned; a reload replaces it whole */
	hda_bus *bus;
	hsd_audio *audio;
	uv_async_t wake;
	/* By slot, the audio thread's index.  A reload may leave holes: a
	 * slot with an empty cfg.name has no stream (and no engine). */
	hsd_stream streams[HSD_STREAMS_MAX];
	unsigned nstreams; /* slots below this may be in use */
	/* server */
	uv_tcp_t listen[HSD_LISTEN_MAX];
	unsigned nlisten;
	char listen_text[HSD_LISTEN_MAX * 66]; /* "ADDR:PORT,..." as bound */
	hsd_session *sessions; /* a list, newest first */
	unsigned nclients;
	bool stopping;
	bool rt_logged;
	uint64_t msgs_lost; /* the audio thread's, as last logged */
	uint64_t started_ms; /* uv_now at start-up: STATUS's uptime */
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t watchdog, stop_timer;
	uint64_t watchdog_usec;
	int exit_code;
};

/* ---- hsd_streams.c ---------------------------------------------------------- */

/* Set up every configured stream: a trial open of its engine logs its
 * sizing (buffer, period, FIFO, latency); an always-on capture stream
 * starts.  0, or -EINVAL with the reason logged. */
int hsd_streams_init(hsd_daemon *d);
/* Close every engine (stopped, reset, freed).  Sessions are gone. */
void hsd_streams_fini(hsd_daemon *d);
hsd_stream *hsd_streams_find(hsd_daemon *d, const char *name);

/* Open the stream's engine with this format and latency; libhda's status
 * (INSUFFICIENT_RESOURCES when no engine is free) and why. */
hda_status hsd_stream_open_engine(hsd_stream *s, const hda_stream_format *fmt,
				  uint32_t latency_us, char *why, size_t len);
/* Stop, reset and free the engine; the timeline goes on. */
void hsd_stream_close_engine(hsd_stream *s);
/* Render: prime the buffer, Run, hand to the audio thread.  Capture: Run,
 * hand over. */
hda_status hsd_stream_run(hsd_stream *s);
/* Take back from the audio thread and Stop: positions hold. */
hda_status hsd_stream_pause(hsd_stream *s);
/* Take back, Stop and Reset: render frames queued are discarded and
 * their count returned. */
uint64_t hsd_stream_stop(hsd_stream *s);
/* Render: the credit limit: the client may send frames below it. */
uint64_t hsd_stream_credit_limit(const hsd_stream *s);
/* Copy frames into the render ring; returns how many fit. */
uint64_t hsd_stream_ring_write(hsd_stream *s, const uint8_t *data, uint64_t frames);
/* Whether the newest reading exists, and the reading. */
const hsd_audio_snap *hsd_stream_snapshot(const hsd_stream *s);
/* Capture listeners. */
int hsd_stream_add_listener(hsd_stream *s, hsd_sopen *o);
void hsd_stream_remove_listener(hsd_stream *s, hsd_sopen *o);
/* The audio thread has news: messages, positions, chunks. */
void hsd_streams_pump(hsd_daemon *d);

/* ---- hsd_session.c ---------------------------------------------------------- */

/* A new connection on a listening socket. */
void hsd_session_accept(hsd_daemon *d, uv_stream_t *server);
/* The stream behind o ended on the daemon's side: tell the client
 * (non-fatal ERROR code, the id closed). */
void hsd_session_stream_lost(hsd_sopen *o, int code, const char *text);
/* Render: every frame the client sent has played. */
void hsd_session_drained(hsd_sopen *o);
/* Render: ring room or credit may have grown; capture: chunks queued.
 * Whether o's listener queue (capture) is the one to fan out to. */
void hsd_session_kick(hsd_sopen *o);
hsd_lqueue *hsd_session_lqueue(hsd_sopen *o);
bool hsd_session_listening(const hsd_sopen *o);
/* After streams were lost: a session that held render AUDIO for one
 * reads again. */
void hsd_sessions_resume(hsd_daemon *d);
/* Send every client a fatal ERROR code (SHUTDOWN) and close them. */
void hsd_sessions_close_all(hsd_daemon *d, int code, const char *text);
/* Close every session now, read or not. */
void hsd_sessions_abort(hsd_daemon *d);

/* ---- hsd_server.c ----------------------------------------------------------- */

/* Bind the config's addresses, or adopt socket-activated ones; fills
 * d->listen_text.  0 or -errno, logged. */
int hsd_server_start(hsd_daemon *d);
void hsd_server_stop(hsd_daemon *d);

/* ---- hsd_notify.c ----------------------------------------------------------- */

void hsd_notify_ready(hsd_daemon *d);
/* STATUS=: the streams and how many clients are connected. */
void hsd_notify_status(const hsd_daemon *d);
void hsd_notify_stopping(hsd_daemon *d);
/* RELOADING=1 with MONOTONIC_USEC (systemd >= 253's Type=notify-reload
 * wants it; older ones ignore it), then READY=1 with a STATUS= saying
 * what the reload did. */
void hsd_notify_reloading(hsd_daemon *d);
void hsd_notify_reloaded(hsd_daemon *d, const char *what);
/* Start the WATCHDOG=1 timer if systemd asks for one. */
void hsd_notify_watchdog_start(hsd_daemon *d);

/* ---- hsd_reload.c ----------------------------------------------------------- */

/* SIGHUP: read the config file again and apply it, or change nothing. */
void hsd_daemon_reload(hsd_daemon *d);
/* The streams configured now (slots in use). */
unsigned hsd_streams_live(const hsd_daemon *d);

/* ---- hsd_daemon.c ----------------------------------------------------------- */

/* Run until SIGTERM or SIGINT; the exit status.  Takes config (a reload
 * replaces it) and frees it. */
int hsd_daemon_run(hsd_config *config, hda_bus *bus);
/* A session closed: when shutting down, finish once none is left. */
void hsd_daemon_session_gone(hsd_daemon *d);

#endif
