/* SPDX-License-Identifier: MIT */
/*
 * Helpers without cmocka, shared by the tests (through testutil.h) and the
 * benchmarks: the monotonic clock, the 48 kHz stereo 16-bit format, the
 * first codec path of a direction with an engine for it, a buffer with or
 * without notifications, and a probe for SCHED_FIFO.  They return a status
 * where a call can fail; the tests assert on it, the benchmarks report it.
 */
#ifndef HDA_TESTSTREAM_H
#define HDA_TESTSTREAM_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hda/hda.h"
#include "hda/hda_codec.h"

static const hda_stream_format FMT_48K_16_2 = {48000, 16, 16, 2};

/* Any device, for test_find_path. */
#define TEST_ANY_DEVICE (-1)

static inline uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t test_now_ms(void)
{
	return test_now_ns() / 1000000u;
}

/*
 * The first path of codec 0 in direction dir, to the pin device dev
 * (TEST_ANY_DEVICE: any), into *out.  INVALID_DEVICE_REQUEST when there is
 * none.
 */
static inline hda_status test_find_path(hda_bus *bus, hda_path_dir dir, int dev,
					hda_codec_path *out)
{
	hda_codec_path paths[32];
	size_t n;
	hda_status st = hda_codec_find_paths(bus, 0, paths, 32, &n);

	for (size_t i = 0; !st && i < n && i < 32; i++)
		if (paths[i].dir == dir && (dev == TEST_ANY_DEVICE || (int)paths[i].device == dev)) {
			*out = paths[i];
			return HDA_STATUS_SUCCESS;
		}
	return st ? st : HDA_STATUS_INVALID_DEVICE_REQUEST;
}

/* A render or capture engine (capture on codec 0), by dir, at FMT_48K_16_2. */
static inline hda_status test_allocate_engine(hda_bus *bus, hda_path_dir dir, hda_engine *e,
					      uint16_t *conv)
{
	if (dir == HDA_PATH_OUTPUT)
		return hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, e, conv);
	return hda_allocate_capture_dma_engine(bus, 0, &FMT_48K_16_2, e, conv);
}

/* test_find_path (any device), then an engine of that direction. */
static inline hda_status test_path_engine(hda_bus *bus, hda_path_dir dir, hda_codec_path *path,
					  hda_engine *e, uint16_t *conv)
{
	hda_status st = test_find_path(bus, dir, TEST_ANY_DEVICE, path);

	return st ? st : test_allocate_engine(bus, dir, e, conv);
}

/* A buffer of `bytes` with that many IOC notifications, or without IOC
 * when notifications is 0. */
static inline hda_status test_allocate_buffer(hda_bus *bus, hda_engine e, unsigned notifications,
					      size_t bytes, hda_mdl **mdl, size_t *size,
					      uint8_t *id, uint32_t *fifo)
{
	size_t off;

	if (notifications)
		return hda_allocate_dma_buffer_with_notification(bus, e, notifications, bytes, mdl,
								 size, &off, id, fifo);
	return hda_allocate_dma_buffer(bus, e, bytes, mdl, size, id, fifo);
}

/* A thread body: stores in *(int *)arg whether it could make itself
 * SCHED_FIFO (pthread_setschedparam's result). */
static inline void *test_rt_probe(void *arg)
{
	struct sched_param sp = {.sched_priority = 1};

	*(int *)arg = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	return NULL;
}

#endif
