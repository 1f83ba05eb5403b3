/* SPDX-License-Identifier: MIT */
/*
 * The live progress line of play and record: drawn with a carriage return
 * on a terminal (stderr first, so that stdout stays clean when it is
 * redirected), never when neither is one, and at most four times a
 * second, so that a fast loop costs the terminal nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hds.h"

#define REDRAW_NS 250000000

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hds_progress_init(hds_progress *p)
{
	p->fd = isatty(STDERR_FILENO) ? STDERR_FILENO
		: isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
	p->last_ns = 0;
	p->drawn = false;
}

void hds_progress_show(hds_progress *p, bool force, const char *fmt, ...)
{
	char line[200];
	int64_t now;
	va_list ap;
	int n;

	if (p->fd < 0)
		return;
	now = now_ns();
	if (!force && p->drawn && now - p->last_ns < REDRAW_NS)
		return;
	line[0] = '\r';
	va_start(ap, fmt);
	n = vsnprintf(line + 1, sizeof(line) - 5, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = (int)strlen(line);
	memcpy(line + n, "\033[K", 3); /* erase what a longer line left */
	if (write(p->fd, line, (size_t)n + 3) < 0)
		return;
	p->last_ns = now;
	p->drawn = true;
}

void hds_progress_end(hds_progress *p)
{
	if (p->fd >= 0 && p->drawn && write(p->fd, "\n", 1) < 0)
		return;
	p->drawn = false;
}
