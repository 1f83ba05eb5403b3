/* SPDX-License-Identifier: MIT */
/* Feeding a cyclic render buffer with the test signal, and checking a WAV
 * file against it (tests that render through a controller). */
#ifndef HDA_TESTAUDIO_H
#define HDA_TESTAUDIO_H

#include <sndfile.h>
#include <sys/stat.h>

#include "testutil.h"

/*
 * Write the test signal (test_pattern) into the cyclic buffer at `base` of
 * `size` bytes, from *written up to `target` bytes of stream, silence past
 * frame `frames`.  A render may rewrite what lies below its DMA position, so
 * callers pass target = DMA position + buffer size.
 */
static inline void test_fill(void *base, size_t size, uint64_t *written, uint64_t target,
			     uint64_t frames)
{
	while (*written < target) {
		uint64_t off = *written % size;
		uint64_t run = size - off < target - *written ? size - off : target - *written;
		int16_t *dst = (int16_t *)((uint8_t *)base + off);
		uint64_t first = *written / 4, n = run / 4, real = 0;

		if (first < frames)
			real = frames - first < n ? frames - first : n;
		test_pattern(dst, first, real);
		memset(dst + 2 * real, 0, (n - real) * 4);
		*written += run;
	}
}

/* The WAV file at path holds the first `frames` frames of the test signal,
 * bit for bit, at 48 kHz stereo; with exact, nothing more. */
static inline void test_wav_check(const char *path, uint64_t frames, bool exact)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	int16_t *got, *want;

	assert_non_null(f);
	assert_int_equal(info.samplerate, 48000);
	assert_int_equal(info.channels, 2);
	if (exact)
		assert_int_equal(info.frames, frames); /* nothing dropped or repeated */
	else
		assert_true((uint64_t)info.frames >= frames);
	got = malloc(frames * 4);
	want = malloc(frames * 4);
	assert_non_null(got);
	assert_non_null(want);
	assert_int_equal(sf_readf_short(f, got, (sf_count_t)frames), frames);
	test_pattern(want, 0, frames);
	for (uint64_t i = 0; i < frames * 2; i++)
		if (got[i] != want[i])
			fail_msg("%s: frame %llu channel %llu is %d, the signal has %d", path,
				 (unsigned long long)(i / 2), (unsigned long long)(i % 2), got[i],
				 want[i]);
	sf_close(f);
	free(got);
	free(want);
}

/* Frames of 48 kHz stereo 16-bit audio in the WAV file at path so far
 * (past its 44-byte header); 0 while it is shorter than that. */
static inline uint64_t test_wav_frames_on_disk(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || st.st_size < 44)
		return 0;
	return ((uint64_t)st.st_size - 44) / 4;
}

#endif
