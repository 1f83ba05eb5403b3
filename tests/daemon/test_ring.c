/* SPDX-License-Identifier: MIT */
/*
 * hsd_ring and hsd_msgq: spans at the wrap of the storage, free-running
 * 64-bit indices across 2^63 and 2^64, commit/consume bounds, the consumer's
 * reset, and a two-thread stress test checked frame by frame (run under TSan
 * by scripts/test.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsd_msgq.h"
#include "hsd_ring.h"

/* The content of frame n in these tests: derived from n alone and never
 * zero-like, so a frame read from the wrong slot, a stale slot or a zeroed
 * slot all differ from what is expected. */
static uint64_t frame_value(uint64_t n)
{
	return (n ^ UINT64_C(0x9E3779B97F4A7C15)) * UINT64_C(0xBF58476D1CE4E5B9) + 1;
}

/* Write frames [index, index + frames) of the pattern into a region. */
static void fill_region(const hsd_ring_region *reg)
{
	uint64_t n = reg->index;

	for (int s = 0; s < 2; s++) {
		uint64_t *p = reg->span[s].data;

		for (uint64_t i = 0; i < reg->span[s].frames; i++)
			p[i] = frame_value(n++);
	}
}

/* Check a region against the pattern; returns the first bad index or
 * UINT64_MAX when all frames are right. */
static uint64_t check_region(const hsd_ring_region *reg)
{
	uint64_t n = reg->index;

	for (int s = 0; s < 2; s++) {
		const uint64_t *p = reg->span[s].data;

		for (uint64_t i = 0; i < reg->span[s].frames; i++, n++)
			if (p[i] != frame_value(n))
				return n;
	}
	return UINT64_MAX;
}

static void produce(hsd_ring *r, uint64_t frames)
{
	hsd_ring_region reg;

	assert_int_equal(hsd_ring_reserve(r, frames, &reg), frames);
	fill_region(&reg);
	assert_int_equal(hsd_ring_commit(r, frames), 0);
}

static void consume(hsd_ring *r, uint64_t frames)
{
	hsd_ring_region reg;

	assert_int_equal(hsd_ring_peek(r, frames, &reg), frames);
	assert_true(check_region(&reg) == UINT64_MAX);
	assert_int_equal(hsd_ring_consume(r, frames), 0);
}

static void test_create_bounds(void **state)
{
	hsd_ring *r = NULL;

	assert_int_equal(hsd_ring_create(&r, 4, 0, 0), -EINVAL);
	assert_int_equal(hsd_ring_create(&r, 4, 12, 0), -EINVAL);
	assert_int_equal(hsd_ring_create(&r, 0, 16, 0), -EINVAL);
	assert_int_equal(hsd_ring_create(&r, 4, HSD_RING_MAX_FRAMES << 1, 0), -EINVAL);
	assert_int_equal(hsd_ring_create(NULL, 4, 16, 0), -EINVAL);
	assert_null(r);
	assert_int_equal(hsd_ring_create(&r, 4, 1, 0), 0);
	assert_int_equal(hsd_ring_capacity(r), 1);
	assert_int_equal(hsd_ring_frame_bytes(r), 4);
	hsd_ring_destroy(r);
	hsd_ring_destroy(NULL);
}

/* Regions that cross the end of the storage come as two spans, in order,
 * and together cover exactly the free or filled frames. */
static void test_spans_at_storage_wrap(void **state)
{
	hsd_ring *r;
	hsd_ring_region reg;
	unsigned char *base;

	assert_int_equal(hsd_ring_create(&r, sizeof(uint64_t), 8, 0), 0);
	produce(r, 5);
	consume(r, 3);
	/* Slots 5..7 then 0..2: six free frames from index 5. */
	assert_int_equal(hsd_ring_reserve(r, 100, &reg), 6);
	assert_int_equal(reg.index, 5);
	assert_int_equal(reg.span[0].frames, 3);
	assert_int_equal(reg.span[1].frames, 3);
	base = reg.span[1].data;
	assert_ptr_equal(reg.span[0].data, base + 5 * sizeof(uint64_t));
	fill_region(&reg);
	assert_int_equal(hsd_ring_commit(r, 6), 0);
	assert_int_equal(hsd_ring_fill(r), 8);
	/* Full: nothing more to reserve. */
	assert_int_equal(hsd_ring_reserve(r, 1, &reg), 0);
	assert_int_equal(reg.span[0].frames + reg.span[1].frames, 0);
	/* Slots 3..7 then 0..2. */
	assert_int_equal(hsd_ring_peek(r, 8, &reg), 8);
	assert_int_equal(reg.index, 3);
	assert_int_equal(reg.span[0].frames, 5);
	assert_ptr_equal(reg.span[0].data, base + 3 * sizeof(uint64_t));
	assert_int_equal(reg.span[1].frames, 3);
	assert_ptr_equal(reg.span[1].data, base);
	assert_true(check_region(&reg) == UINT64_MAX);
	assert_int_equal(hsd_ring_consume(r, 8), 0);
	assert_int_equal(hsd_ring_fill(r), 0);
	/* A region ending exactly at the end of the storage is one span. */
	produce(r, 5); /* indices 11..15, slots 3..7 */
	assert_int_equal(hsd_ring_peek(r, 5, &reg), 5);
	assert_int_equal(reg.span[0].frames, 5);
	assert_int_equal(reg.span[1].frames, 0);
	hsd_ring_destroy(r);
}

/*
 * Fill, drain and straddle a ring whose indices start just below 2^63 or
 * 2^64, where a signed conversion or a comparison of indices would break:
 * the fill level, the free space, the slots and the content must not notice.
 */
static void run_across(uint64_t start)
{
	const uint64_t cap = 16;
	hsd_ring *r;
	hsd_ring_region reg;
	uint64_t w = start;

	assert_int_equal(hsd_ring_create(&r, sizeof(uint64_t), cap, start), 0);
	assert_int_equal(hsd_ring_write_index(r), start);
	assert_int_equal(hsd_ring_read_index(r), start);
	for (int round = 0; round < 8; round++) {
		/* Fill completely, then drain in uneven steps. */
		assert_int_equal(hsd_ring_reserve(r, cap + 5, &reg), cap);
		assert_int_equal(reg.index, w);
		assert_int_equal(reg.span[0].frames + reg.span[1].frames, cap);
		assert_int_equal(reg.span[0].frames, cap - (w & (cap - 1)));
		fill_region(&reg);
		assert_int_equal(hsd_ring_commit(r, cap), 0);
		w += cap;
		assert_int_equal(hsd_ring_write_index(r), w);
		assert_int_equal(hsd_ring_fill(r), cap);
		assert_int_equal(hsd_ring_reserve(r, 1, &reg), 0);
		consume(r, 3);
		consume(r, 7);
		assert_int_equal(hsd_ring_fill(r), cap - 10);
		consume(r, cap - 10);
		assert_int_equal(hsd_ring_read_index(r), w);
		assert_int_equal(hsd_ring_fill(r), 0);
		/* Shift the next round's storage offset by an odd step, so
		 * the full ring straddles the storage's end differently. */
		produce(r, 5);
		consume(r, 5);
		w += 5;
	}
	/* Eight rounds of 21 frames moved the indices 168 past start. */
	assert_int_equal(w - start, 168);
	hsd_ring_destroy(r);
}

static void test_indices_across_2_63(void **state)
{
	run_across((UINT64_C(1) << 63) - 37);
}

static void test_indices_across_2_64(void **state)
{
	run_across(UINT64_MAX - 36);
	/* And starting on the very last index. */
	run_across(UINT64_MAX);
}

static void test_commit_and_consume_bounds(void **state)
{
	hsd_ring *r;
	hsd_ring_region reg;

	assert_int_equal(hsd_ring_create(&r, sizeof(uint64_t), 8, 100), 0);
	assert_int_equal(hsd_ring_reserve(r, 3, &reg), 3);
	fill_region(&reg);
	assert_int_equal(hsd_ring_commit(r, 4), -EINVAL);
	assert_int_equal(hsd_ring_fill(r), 0);
	/* Committing less drops the rest of the reservation. */
	assert_int_equal(hsd_ring_commit(r, 2), 0);
	assert_int_equal(hsd_ring_commit(r, 1), -EINVAL);
	assert_int_equal(hsd_ring_fill(r), 2);
	assert_int_equal(hsd_ring_write_index(r), 102);
	assert_int_equal(hsd_ring_peek(r, 8, &reg), 2);
	assert_int_equal(hsd_ring_consume(r, 3), -EINVAL);
	assert_int_equal(hsd_ring_consume(r, 1), 0);
	assert_int_equal(hsd_ring_consume(r, 1), -EINVAL);
	assert_int_equal(hsd_ring_read_index(r), 101);
	hsd_ring_destroy(r);
}

/* The consumer's reset drops what is committed, keeps stream time, and
 * leaves what the producer commits afterwards. */
static void test_reset_keeps_stream_time(void **state)
{
	hsd_ring *r;
	hsd_ring_region reg;

	assert_int_equal(hsd_ring_create(&r, sizeof(uint64_t), 8, 1000), 0);
	produce(r, 6);
	consume(r, 2);
	assert_int_equal(hsd_ring_peek(r, 2, &reg), 2);
	assert_int_equal(hsd_ring_reset(r), 4);
	/* The peek is cancelled. */
	assert_int_equal(hsd_ring_consume(r, 1), -EINVAL);
	assert_int_equal(hsd_ring_fill(r), 0);
	assert_int_equal(hsd_ring_read_index(r), 1006);
	assert_int_equal(hsd_ring_write_index(r), 1006);
	/* A whole ring's worth of room again. */
	assert_int_equal(hsd_ring_reserve(r, 100, &reg), 8);
	assert_int_equal(reg.index, 1006);
	fill_region(&reg);
	assert_int_equal(hsd_ring_commit(r, 3), 0);
	assert_int_equal(hsd_ring_peek(r, 100, &reg), 3);
	assert_int_equal(reg.index, 1006);
	assert_true(check_region(&reg) == UINT64_MAX);
	assert_int_equal(hsd_ring_reset(r), 3);
	assert_int_equal(hsd_ring_reset(r), 0);
	hsd_ring_destroy(r);
}

/* ---- Two threads -------------------------------------------------------- */

/* Enough frames to wrap a 256-frame ring thousands of times and the 64-bit
 * index once; bounded so the TSan build stays quick. */
#define STRESS_FRAMES (UINT64_C(1) << 22)
#define STRESS_CAP 256
#define STRESS_START (UINT64_MAX - STRESS_FRAMES / 2)

struct stress {
	hsd_ring *ring;
	uint64_t bad_index;     /* consumer: first wrong frame, or UINT64_MAX */
	uint64_t wrong_peek;    /* consumer: regions not starting where due */
	uint64_t wrong_reserve; /* producer: likewise */
	uint64_t over_capacity; /* producer: got more than a ring ahead */
};

static void *stress_producer(void *arg)
{
	/* Step sizes: single frames, odd sizes, a whole ring, more than a
	 * ring (reserve hands out what is free). */
	static const uint64_t steps[] = {1, 3, 7, 16, 61, 255, 256, 300};
	struct stress *s = arg;
	uint64_t n = STRESS_START, end = STRESS_START + STRESS_FRAMES;

	for (unsigned k = 0; n != end; k++) {
		hsd_ring_region reg;
		uint64_t want = steps[k % 8], got;

		if (want > end - n)
			want = end - n;
		got = hsd_ring_reserve(s->ring, want, &reg);
		if (got == 0) {
			sched_yield();
			continue;
		}
		if (reg.index != n)
			s->wrong_reserve++;
		fill_region(&reg);
		hsd_ring_commit(s->ring, got);
		n += got;
		/* The consumer's index, read after the commit, is no older
		 * than the one reserve saw, so this holds exactly (in 64-bit
		 * modular arithmetic, across 2^64). */
		if (n - hsd_ring_read_index(s->ring) > STRESS_CAP)
			s->over_capacity++;
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	static const uint64_t steps[] = {2, 5, 13, 64, 128, 200, 1000};
	struct stress *s = arg;
	uint64_t n = STRESS_START, end = STRESS_START + STRESS_FRAMES;

	s->bad_index = UINT64_MAX;
	for (unsigned k = 0; n != end; k++) {
		hsd_ring_region reg;
		uint64_t got = hsd_ring_peek(s->ring, steps[k % 7], &reg), bad;

		if (got == 0) {
			sched_yield();
			continue;
		}
		if (reg.index != n)
			s->wrong_peek++;
		bad = check_region(&reg);
		if (bad != UINT64_MAX && s->bad_index == UINT64_MAX)
			s->bad_index = bad;
		hsd_ring_consume(s->ring, got);
		n += got;
	}
	return NULL;
}

static void test_two_thread_stress(void **state)
{
	struct stress s = {0};
	pthread_t p, c;

	assert_int_equal(hsd_ring_create(&s.ring, sizeof(uint64_t), STRESS_CAP,
					 STRESS_START), 0);
	assert_int_equal(pthread_create(&c, NULL, stress_consumer, &s), 0);
	assert_int_equal(pthread_create(&p, NULL, stress_producer, &s), 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	if (s.bad_index != UINT64_MAX)
		fail_msg("frame %ju wrong", (uintmax_t)s.bad_index);
	assert_int_equal(s.wrong_peek, 0);
	assert_int_equal(s.wrong_reserve, 0);
	assert_int_equal(s.over_capacity, 0);
	/* Both indices crossed 2^64 and ended where they should. */
	assert_int_equal(hsd_ring_write_index(s.ring), STRESS_START + STRESS_FRAMES);
	assert_int_equal(hsd_ring_read_index(s.ring), STRESS_START + STRESS_FRAMES);
	assert_true(hsd_ring_read_index(s.ring) < STRESS_START);
	hsd_ring_destroy(s.ring);
}

/* ---- The message queue -------------------------------------------------- */

static void test_msgq_fifo_and_lost(void **state)
{
	hsd_msgq *q;
	hsd_msg m;

	assert_int_equal(hsd_msgq_create(&q, 3), -EINVAL);
	assert_int_equal(hsd_msgq_create(&q, 4), 0);
	assert_false(hsd_msgq_pop(q, &m));
	for (uint32_t i = 0; i < 6; i++) {
		hsd_msg in = {.kind = i, .stream = 7, .status = -(int32_t)i,
			      .frame = UINT64_MAX - i, .value = i * 10,
			      .mono_ns = 1000 + i};

		assert_int_equal(hsd_msgq_push(q, &in), i < 4);
	}
	assert_int_equal(hsd_msgq_lost(q), 2);
	for (uint32_t i = 0; i < 4; i++) {
		assert_true(hsd_msgq_pop(q, &m));
		assert_int_equal(m.kind, i);
		assert_int_equal(m.stream, 7);
		assert_int_equal(m.status, -(int32_t)i);
		assert_int_equal(m.frame, UINT64_MAX - i);
		assert_int_equal(m.value, i * 10);
		assert_int_equal(m.mono_ns, 1000 + i);
	}
	assert_false(hsd_msgq_pop(q, &m));
	/* Room again; the lost count only grows. */
	assert_true(hsd_msgq_push(q, &m));
	assert_int_equal(hsd_msgq_lost(q), 2);
	hsd_msgq_destroy(q);
	hsd_msgq_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_spans_at_storage_wrap),
		cmocka_unit_test(test_indices_across_2_63),
		cmocka_unit_test(test_indices_across_2_64),
		cmocka_unit_test(test_commit_and_consume_bounds),
		cmocka_unit_test(test_reset_keeps_stream_time),
		cmocka_unit_test(test_two_thread_stress),
		cmocka_unit_test(test_msgq_fifo_and_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
