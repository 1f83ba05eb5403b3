/* SPDX-License-Identifier: MIT */
/*
 * Helpers without cmocka that testutil.h includes: the 48 kHz stereo 16-bit
 * format and the monotonic clock.  (The commit that moved them here out of
 * testutil.h did not add this file; this restores exactly what it moved.)
 */
#ifndef HDA_TESTSTREAM_H
#define HDA_TESTSTREAM_H

#include <stdint.h>
#include <time.h>

#include "hda/hda.h"

static const hda_stream_format FMT_48K_16_2 = {48000, 16, 16, 2};

static inline uint64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
