/* SPDX-License-Identifier: MIT */
/*
 * Telling systemd (hsd_daemon.h), through sd_notify: READY=1 once the
 * controller is open, every stream is set up and the listeners are bound,
 * with STATUS= and X_HDASTREAM_LISTEN= (the addresses actually bound, so
 * that a test or a script can learn a port 0 binding); WATCHDOG=1 from a
 * loop timer at half of WatchdogSec, so a stuck loop is restarted;
 * STOPPING=1 on shutdown; RELOADING=1 and READY=1 around a SIGHUP reload.
 * Without NOTIFY_SOCKET every call does nothing.
 */

#include <time.h>

#include <systemd/sd-daemon.h>

#include "hsd_daemon.h"
#include "hsd_log.h"

void hsd_notify_ready(hsd_daemon *d)
{
	unsigned n = hsd_streams_live(d);

	sd_notifyf(0, "READY=1\nSTATUS=serving %u stream%s on %s\nX_HDASTREAM_LISTEN=%s",
		   n, n == 1 ? "" : "s", d->listen_text, d->listen_text);
}

void hsd_notify_reloading(hsd_daemon *d)
{
	struct timespec ts;

	(void)d;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the config",
		   (unsigned long long)ts.tv_sec * 1000000ull +
			   (unsigned long long)ts.tv_nsec / 1000);
}

void hsd_notify_reloaded(hsd_daemon *d, const char *what)
{
	unsigned n = hsd_streams_live(d);

	sd_notifyf(0, "READY=1\nSTATUS=serving %u stream%s on %s; %s\nX_HDASTREAM_LISTEN=%s",
		   n, n == 1 ? "" : "s", d->listen_text, what, d->listen_text);
}

void hsd_notify_status(const hsd_daemon *d)
{
	unsigned n = hsd_streams_live(d);

	if (!d->stopping)
		sd_notifyf(0, "STATUS=serving %u stream%s on %s; %u client%s", n,
			   n == 1 ? "" : "s", d->listen_text, d->nclients,
			   d->nclients == 1 ? "" : "s");
}

void hsd_notify_stopping(hsd_daemon *d)
{
	(void)d;
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

static void on_watchdog(uv_timer_t *t)
{
	(void)t;
	sd_notify(0, "WATCHDOG=1");
}

void hsd_notify_watchdog_start(hsd_daemon *d)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || !usec)
		return;
	d->watchdog_usec = usec;
	/* Half the interval: one late tick still arrives in time. */
	uv_timer_start(&d->watchdog, on_watchdog, 0, usec / 2000 ? usec / 2000 : 1);
	hsd_log(HSD_LOG_INFO, "watchdog: every %llu ms", (unsigned long long)(usec / 2000));
}
