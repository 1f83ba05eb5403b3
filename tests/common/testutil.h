/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test programs (cmocka). */
#ifndef HDA_TESTUTIL_H
#define HDA_TESTUTIL_H

#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hda/hda.h"
#include "teststream.h"

#define assert_status(expr, want)                                              \
	do {                                                                   \
		hda_status got_ = (expr);                                      \
		if (got_ != (want))                                            \
			fail_msg("%s returned %s, expected %s", #expr,          \
				 hda_status_str(got_), hda_status_str(want));   \
	} while (0)
#define assert_ok(expr) assert_status(expr, HDA_STATUS_SUCCESS)

/* The controller a conformance test runs on: HDA_TEST_URI, else the
 * emulator with its manual clock. */
static inline const char *test_uri(void)
{
	const char *u = getenv("HDA_TEST_URI");

	return u && *u ? u : "emu:clock=manual";
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

/*
 * A known 48 kHz stereo 16-bit signal: a 997 Hz sine on the left, a frame
 * counter on the right, so a dropped or repeated frame shows in the counter
 * and a wrong sample in the sine.  Frame n depends on n alone, so any
 * stretch can be generated again to compare with.
 */
static inline void test_pattern(int16_t *dst, uint64_t first, size_t frames)
{
	for (size_t i = 0; i < frames; i++) {
		uint64_t n = first + i;

		dst[2 * i] = (int16_t)lrint(12000.0 * sin(2 * M_PI * 997.0 * (double)n / 48000));
		dst[2 * i + 1] = (int16_t)(n & 0xFFFF);
	}
}

/*
 * Tests that need QEMU skip (exit 77, which meson reports as SKIP, never as
 * a pass) with a message saying why when its binary is not installed.
 */
#define QEMU_BINARY "qemu-system-x86_64"

static inline bool qemu_available(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);

		if (n + sizeof(QEMU_BINARY) + 1 < sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = '/';
			memcpy(buf + n + 1, QEMU_BINARY, sizeof(QEMU_BINARY));
			if (access(buf, X_OK) == 0)
				return true;
		}
		path = end ? end + 1 : NULL;
	}
	return false;
}

static inline void skip_without_qemu(const char *uri)
{
	if (strncmp(uri, "qemu", 4) == 0 && !qemu_available()) {
		printf("SKIP: %s not found in PATH; install the Debian package "
		       "qemu-system-x86 to run the QEMU controller tests\n", QEMU_BINARY);
		exit(77);
	}
}

#endif
