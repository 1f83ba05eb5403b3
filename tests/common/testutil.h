/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test programs (cmocka). */
#ifndef HDA_TESTUTIL_H
#define HDA_TESTUTIL_H

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hda/hda.h"

#define assert_status(expr, want)                                              \
	do {                                                                   \
		hda_status got_ = (expr);                                      \
		if (got_ != (want))                                            \
			fail_msg("%s returned %s, expected %s", #expr,          \
				 hda_status_str(got_), hda_status_str(want));   \
	} while (0)
#define assert_ok(expr) assert_status(expr, HDA_STATUS_SUCCESS)

static const hda_stream_format FMT_48K_16_2 = {48000, 16, 16, 2};

/* The controller a conformance test runs on: HDA_TEST_URI, else the
 * emulator with its manual clock. */
static inline const char *test_uri(void)
{
	const char *u = getenv("HDA_TEST_URI");

	return u && *u ? u : "emu:clock=manual";
}

static inline uint64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Read an eventfd until its accumulated count reaches `want` or timeout_ms
 * passes (a bound for a condition, not a sleep: it returns as soon as the
 * count is there).  Returns the count seen.
 */
static inline uint64_t wait_eventfd(int fd, uint64_t want, int timeout_ms)
{
	uint64_t total = 0, deadline = test_now_ms() + (uint64_t)timeout_ms;

	while (total < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = test_now_ms(), v;

		if (now >= deadline)
			break;
		if (poll(&p, 1, (int)(deadline - now)) > 0 &&
		    read(fd, &v, sizeof(v)) == sizeof(v))
			total += v;
	}
	return total;
}

#endif
