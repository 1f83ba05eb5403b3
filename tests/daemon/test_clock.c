/* SPDX-License-Identifier: MIT */
/*
 * hsd_clock: the deadline grid with injected times (on time, late by 1.5 and
 * by 10 periods, long runs of random lateness: no drift, missed periods
 * counted, next deadline on the grid and in the future), and the absolute
 * sleep (never returns before its deadline, even when signals interrupt it).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsd_clock.h"

#define P UINT64_C(1333333) /* a 64-frame period at 48 kHz, in ns */
#define T0 UINT64_C(5000000000123)

/* On the grid start + k * period for some k >= 1. */
static void assert_on_grid(const hsd_deadline *d, uint64_t start)
{
	assert_true(d->next_ns > start);
	assert_int_equal((d->next_ns - start) % d->period_ns, 0);
}

static void test_init(void **state)
{
	hsd_deadline d;

	hsd_deadline_init(&d, T0, P);
	assert_int_equal(d.next_ns, T0 + P);
	assert_int_equal(d.period_ns, P);
	assert_int_equal(d.missed, 0);
}

static void test_on_time_and_early(void **state)
{
	hsd_deadline d;

	hsd_deadline_init(&d, T0, P);
	/* Woken before the deadline (another reason): nothing moves. */
	assert_int_equal(hsd_deadline_advance(&d, T0 + P - 1), 0);
	assert_int_equal(d.next_ns, T0 + P);
	/* On the deadline, and late by less than a period: the next one is
	 * one period on, from the deadline, not from the wake-up. */
	assert_int_equal(hsd_deadline_advance(&d, T0 + P), 0);
	assert_int_equal(d.next_ns, T0 + 2 * P);
	assert_int_equal(hsd_deadline_advance(&d, T0 + 2 * P + P / 2), 0);
	assert_int_equal(d.next_ns, T0 + 3 * P);
	assert_int_equal(hsd_deadline_advance(&d, T0 + 4 * P - 1), 0);
	assert_int_equal(d.next_ns, T0 + 4 * P);
	assert_int_equal(d.missed, 0);
}

static void test_late_by_one_and_a_half(void **state)
{
	hsd_deadline d;
	uint64_t now = T0 + P + P + P / 2; /* 1.5 periods after the deadline */

	hsd_deadline_init(&d, T0, P);
	assert_int_equal(hsd_deadline_advance(&d, now), 1);
	assert_int_equal(d.missed, 1);
	assert_int_equal(d.next_ns, T0 + 3 * P);
	assert_true(d.next_ns > now);
	assert_on_grid(&d, T0);
}

static void test_late_by_ten(void **state)
{
	hsd_deadline d;

	hsd_deadline_init(&d, T0, P);
	/* Exactly ten periods late: the grid point equal to now is the one
	 * this wake-up serves, so ten are skipped and the next lies ahead. */
	assert_int_equal(hsd_deadline_advance(&d, T0 + P + 10 * P), 10);
	assert_int_equal(d.next_ns, T0 + 12 * P);
	/* Then 10.3 periods late: ten more. */
	assert_int_equal(hsd_deadline_advance(&d, d.next_ns + 10 * P + 3 * P / 10), 10);
	assert_int_equal(d.next_ns, T0 + 23 * P);
	assert_int_equal(d.missed, 20);
	assert_on_grid(&d, T0);
}

/* Hours of wake-ups late by random amounts: the grid does not drift (every
 * grid point is either served or counted) and each next deadline is the
 * first grid point after the wake-up. */
static void test_long_run_no_drift(void **state)
{
	hsd_deadline d;
	uint64_t rng = 12345, wakes = 0, now;

	hsd_deadline_init(&d, T0, P);
	for (int i = 0; i < 2000000; i++) {
		uint64_t due = d.next_ns, skipped;

		rng = rng * UINT64_C(6364136223846793005) + 1442695040888963407u;
		/* Mostly a little late, sometimes several periods. */
		now = due + ((rng >> 33) % 16 == 0 ? (rng >> 20) % (8 * P)
						   : (rng >> 20) % (P / 4));
		skipped = hsd_deadline_advance(&d, now);
		wakes++;
		assert_true(d.next_ns > now);
		assert_true(d.next_ns - now <= P);
		assert_int_equal(d.next_ns, due + (skipped + 1) * P);
	}
	assert_on_grid(&d, T0);
	assert_int_equal((d.next_ns - T0) / P, 1 + wakes + d.missed);
	assert_true(d.missed > 0);
}

static void test_timespec(void **state)
{
	struct timespec ts = hsd_ns_to_timespec(T0);

	assert_int_equal(ts.tv_sec, 5000);
	assert_int_equal(ts.tv_nsec, 123);
	assert_int_equal(hsd_timespec_to_ns(ts), T0);
	ts = hsd_ns_to_timespec(HSD_NS_PER_SEC - 1);
	assert_int_equal(ts.tv_sec, 0);
	assert_int_equal(ts.tv_nsec, 999999999);
}

/* ---- The sleep ---------------------------------------------------------- */

static void test_sleep_past_deadline(void **state)
{
	uint64_t now = hsd_clock_now_ns();

	assert_int_equal(hsd_clock_sleep_until(now - P), 0);
	assert_int_equal(hsd_clock_sleep_until(0), 0);
	assert_true(hsd_clock_now_ns() >= now);
}

/* A handler, so that SIGUSR1 interrupts the sleep instead of killing. */
static void on_signal(int sig)
{
	(void)sig;
}

struct pelter {
	pthread_t target;
	atomic_bool stop;
};

/* Interrupt the target with SIGUSR1 until told to stop. */
static void *pelt(void *arg)
{
	struct pelter *p = arg;

	while (!atomic_load(&p->stop)) {
		pthread_kill(p->target, SIGUSR1);
		sched_yield();
	}
	return NULL;
}

/*
 * Sleep 2 ms at a time while another thread sends signals: every sleep ends
 * at or after its deadline however often it is interrupted, and (the
 * condition waited on, bounded by 500 attempts) at least one sleep reports
 * that it was interrupted and slept on.
 */
static void test_sleep_through_signals(void **state)
{
	struct sigaction sa = {.sa_handler = on_signal}, old;
	struct pelter p = {.target = pthread_self()};
	pthread_t t;
	int interrupted = 0;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(pthread_create(&t, NULL, pelt, &p), 0);
	for (int i = 0; i < 500 && interrupted == 0; i++) {
		uint64_t deadline = hsd_clock_now_ns() + 2000000;
		int r = hsd_clock_sleep_until(deadline);

		assert_true(r >= 0);
		assert_true(hsd_clock_now_ns() >= deadline);
		interrupted = r;
	}
	atomic_store(&p.stop, true);
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	assert_true(interrupted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_on_time_and_early),
		cmocka_unit_test(test_late_by_one_and_a_half),
		cmocka_unit_test(test_late_by_ten),
		cmocka_unit_test(test_long_run_no_drift),
		cmocka_unit_test(test_timespec),
		cmocka_unit_test(test_sleep_past_deadline),
		cmocka_unit_test(test_sleep_through_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
