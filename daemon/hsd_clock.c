/* SPDX-License-Identifier: MIT */
/* Absolute deadlines on CLOCK_MONOTONIC; see hsd_clock.h. */
#include <errno.h>

#include "hsd_clock.h"

uint64_t hsd_clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return hsd_timespec_to_ns(ts);
}

void hsd_deadline_init(hsd_deadline *d, uint64_t start_ns, uint64_t period_ns)
{
	d->period_ns = period_ns;
	d->next_ns = start_ns + period_ns;
	d->missed = 0;
}

uint64_t hsd_deadline_advance(hsd_deadline *d, uint64_t now_ns)
{
	uint64_t late, skipped;

	if (now_ns < d->next_ns)
		return 0;
	/* Grid points after the current deadline that are at or before now:
	 * floor(late / period).  One division instead of a loop, so a thread
	 * that was stopped for minutes costs no more than one late by one
	 * period.  A point equal to now counts as skipped: its work is the
	 * work this wake-up does, and the next sleep must lie in the future. */
	late = now_ns - d->next_ns;
	skipped = late / d->period_ns;
	d->next_ns += (skipped + 1) * d->period_ns;
	d->missed += skipped;
	return skipped;
}

int hsd_clock_sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = hsd_ns_to_timespec(deadline_ns);
	int interrupted = 0, err;

	/* clock_nanosleep returns the error instead of setting errno. */
	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))) {
		if (err != EINTR)
			return -err;
		interrupted++;
	}
	return interrupted;
}
