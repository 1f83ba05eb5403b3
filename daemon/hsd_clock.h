/* SPDX-License-Identifier: MIT */
/*
 * hsd_clock: the audio thread's wake-ups on absolute CLOCK_MONOTONIC
 * deadlines.
 *
 * The deadlines lie on a fixed grid, start + k * period.  The next deadline
 * is the previous one plus the period, never "now plus the period": a
 * relative sleep adds every wake-up's lateness to all the wake-ups after it,
 * so the thread would drift against the controller's clock by the sum of its
 * latencies.  On the grid a late wake-up costs that one period only.
 *
 * A wake-up so late that one or more later deadlines have passed too does
 * not replay them (a burst of back-to-back iterations would only do late
 * what one iteration does now: the audio step moves everything that is due
 * by the positions it reads).  The deadlines skipped are counted as missed,
 * and the next deadline is the first point of the grid strictly after now.
 *
 * The arithmetic is in unsigned 64-bit nanoseconds of CLOCK_MONOTONIC (it
 * wraps after 584 years of uptime) and is pure, so tests inject the times.
 *
 * Threads: any; an hsd_deadline belongs to one thread.  Nothing here
 * allocates or takes a lock; the only system calls are clock_gettime and
 * clock_nanosleep, the audio thread's timer.
 */
#ifndef HSD_CLOCK_H
#define HSD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define HSD_NS_PER_SEC UINT64_C(1000000000)

typedef struct hsd_deadline {
	uint64_t next_ns;   /* the deadline to sleep until */
	uint64_t period_ns;
	uint64_t missed;    /* deadlines skipped since init */
} hsd_deadline;

static inline uint64_t hsd_timespec_to_ns(struct timespec ts)
{
	return (uint64_t)ts.tv_sec * HSD_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline struct timespec hsd_ns_to_timespec(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / HSD_NS_PER_SEC),
				 .tv_nsec = (long)(ns % HSD_NS_PER_SEC)};
}

/* CLOCK_MONOTONIC now, in ns. */
uint64_t hsd_clock_now_ns(void);

/* Start a grid at `start_ns` (usually now): the first deadline is
 * start_ns + period_ns.  period_ns must not be 0. */
void hsd_deadline_init(hsd_deadline *d, uint64_t start_ns, uint64_t period_ns);

/*
 * The thread has woken at `now_ns` for the deadline d->next_ns: move
 * d->next_ns to the first grid point strictly after now_ns and return how
 * many grid points were skipped on the way (0 when on time, that is when
 * now_ns is before the deadline after this one), which are also added to
 * d->missed.  A wake-up before d->next_ns (the caller woke for another
 * reason) moves nothing and returns 0.
 */
uint64_t hsd_deadline_advance(hsd_deadline *d, uint64_t now_ns);

/*
 * Sleep until CLOCK_MONOTONIC reaches deadline_ns, with clock_nanosleep's
 * TIMER_ABSTIME.  A signal handler interrupting the sleep (EINTR) does not
 * end it: the same absolute deadline is slept on again, which is exactly
 * why an absolute deadline is used.  Returns the number of interruptions
 * (0 or more), or a negative errno from clock_nanosleep.  A deadline in the
 * past returns at once.
 */
int hsd_clock_sleep_until(uint64_t deadline_ns);

#endif
