/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd's run mode (hsd_daemon.h): start the audio thread, set up the
 * streams, bind, tell systemd, serve until SIGTERM or SIGINT, then stop
 * every stream (each engine stopped, reset and freed), tell every client
 * (a fatal ERROR HSP_ERR_SHUTDOWN), and return 0 well inside a second: the
 * clients get SHUTDOWN_GRACE_MS to read their ERROR before their sockets
 * are closed regardless.  SIGHUP reloads the config (hsd_reload.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "hsd_daemon.h"
#include "hsd_log.h"

#define SHUTDOWN_GRACE_MS 300
#define STACK_PREFAULT (64 * 1024)

static void on_wake(uv_async_t *h)
{
	hsd_daemon *d = h->data;
	hsd_rt_report rep;

	if (!d->rt_logged && hsd_audio_rt_report(d->audio, &rep)) {
		char line[256];

		hsd_rt_describe(&rep, line, sizeof(line));
		hsd_log(hsd_rt_refused(&rep) ? HSD_LOG_WARNING : HSD_LOG_INFO,
			"audio thread %s", line);
		d->rt_logged = true;
	}
	hsd_streams_pump(d);
}

static void close_handle(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* Everything is told and closed: free the engines, stop the thread and
 * let the loop end. */
static void finish(hsd_daemon *d)
{
	hsd_streams_fini(d);
	hsd_audio_stop(d->audio);
	d->audio = NULL;
	close_handle((uv_handle_t *)&d->wake);
	close_handle((uv_handle_t *)&d->sigterm);
	close_handle((uv_handle_t *)&d->sigint);
	close_handle((uv_handle_t *)&d->sighup);
	close_handle((uv_handle_t *)&d->watchdog);
	close_handle((uv_handle_t *)&d->stop_timer);
	if (d->stopping)
		hsd_log(HSD_LOG_INFO, "stopped");
}

void hsd_daemon_session_gone(hsd_daemon *d)
{
	if (d->stopping && !d->sessions && d->audio)
		finish(d);
}

static void on_stop_timer(uv_timer_t *t)
{
	hsd_daemon *d = t->data;

	hsd_sessions_abort(d);
	if (!d->sessions && d->audio)
		finish(d);
}

static void shutdown_now(hsd_daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = true;
	hsd_log(HSD_LOG_INFO, "%s: stopping", why);
	hsd_notify_stopping(d);
	hsd_server_stop(d);
	hsd_sessions_close_all(d, HSP_ERR_SHUTDOWN, "the daemon is stopping");
	/* Every stream's engine stops now; the clients have been told. */
	hsd_streams_fini(d);
	if (!d->sessions) {
		finish(d);
		return;
	}
	uv_timer_start(&d->stop_timer, on_stop_timer, SHUTDOWN_GRACE_MS, 0);
}

static void on_signal(uv_signal_t *s, int signum)
{
	if (signum == SIGHUP) {
		hsd_daemon_reload(s->data);
		return;
	}
	shutdown_now(s->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* The backend's needs, from what the controller says it is: QEMU's and
 * the emulator's device models run as ordinary threads that a SCHED_FIFO
 * audio thread would starve (hsd_config.h, realtime).  (How they move
 * data, hsd_engine asks libhda itself, for the sizing.) */
static void backend_needs(hsd_daemon *d, hsd_rt_request *rt)
{
	hda_device_information info = {.size = sizeof(info)};
	bool model = true; /* both backends built today are models */
	int prio = d->config->realtime;

	if (hda_get_device_information(d->bus, &info) == HDA_STATUS_SUCCESS && info.backend)
		model = !strcmp(info.backend, "emu") || !strcmp(info.backend, "qemu");
	if (prio == HSD_REALTIME_AUTO)
		prio = model ? 0 : 50;
	*rt = (hsd_rt_request){
		.fifo_priority = prio,
		.lock_memory = d->config->realtime != HSD_REALTIME_OFF,
		.stack_prefault = d->config->realtime != HSD_REALTIME_OFF ? STACK_PREFAULT : 0,
	};
}

int hsd_daemon_run(hsd_config *config, hda_bus *bus)
{
	hsd_daemon *d = calloc(1, sizeof(*d));
	hsd_audio_config ac = {0};
	uv_loop_t loop;
	int rc = EX_SOFTWARE;

	if (!d || uv_loop_init(&loop)) {
		free(d);
		hsd_config_free(config);
		hsd_log(HSD_LOG_ERROR, "out of memory");
		return EX_SOFTWARE;
	}
	d->loop = &loop;
	d->started_ms = uv_now(&loop);
	d->config = config;
	d->bus = bus;
	uv_async_init(&loop, &d->wake, on_wake);
	uv_signal_init(&loop, &d->sigterm);
	uv_signal_init(&loop, &d->sigint);
	uv_signal_init(&loop, &d->sighup);
	uv_timer_init(&loop, &d->watchdog);
	uv_timer_init(&loop, &d->stop_timer);
	d->wake.data = d->sigterm.data = d->sigint.data = d->sighup.data = d;
	d->stop_timer.data = d;
	backend_needs(d, &ac.rt);
	ac.wake = &d->wake;
	if (hsd_audio_start(&ac, &d->audio)) {
		hsd_log(HSD_LOG_ERROR, "cannot start the audio thread");
		goto fail;
	}
	if (hsd_streams_init(d)) {
		rc = EX_CONFIG;
		goto fail;
	}
	if (hsd_server_start(d)) {
		rc = EX_UNAVAILABLE;
		goto fail;
	}
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	hsd_log(HSD_LOG_NOTICE, "serving on %s", d->listen_text);
	hsd_notify_ready(d);
	hsd_notify_watchdog_start(d);
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = 0;
	goto out;
fail:
	hsd_server_stop(d);
	finish(d);
	uv_run(&loop, UV_RUN_DEFAULT);
out:
	uv_loop_close(&loop);
	hsd_config_free(d->config);
	free(d);
	return rc;
}
