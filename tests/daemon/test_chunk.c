/* SPDX-License-Identifier: MIT */
/*
 * hsd_chunk: one copy shared by many listeners, the last unref returning the
 * chunk, an empty pool (counted, never waited on), a slow listener losing
 * chunks (counted) while the others lose none, and the audio thread and the
 * loop on two threads (run under TSan by scripts/test.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsd_chunk.h"

#define FRAMES 16 /* per chunk; frames are one uint32_t each */

static uint32_t frame_value(uint64_t n)
{
	return (uint32_t)(n * 2654435761u) ^ 0xA5A5A5A5u;
}

/* The audio thread's part: take, copy, stamp, publish.  Returns false when
 * the pool was empty. */
static bool capture(hsd_chunk_pool *p, uint64_t first)
{
	hsd_chunk *c = hsd_chunk_take(p);
	uint32_t *d;

	if (!c)
		return false;
	d = hsd_chunk_data(c);
	for (uint32_t i = 0; i < FRAMES; i++)
		d[i] = frame_value(first + i);
	hsd_chunk_publish(p, c, FRAMES,
			  &(hsd_chunk_stamp){.first_frame = first,
					     .wallclk = first * 500,
					     .mono_ns = first * 20833});
	return true;
}

/* Whether a chunk holds what capture() put in for its stamp. */
static bool chunk_ok(const hsd_chunk *c)
{
	const hsd_chunk_stamp *st = hsd_chunk_get_stamp(c);
	const uint32_t *d = hsd_chunk_data(c);

	if (hsd_chunk_frames(c) != FRAMES || st->wallclk != st->first_frame * 500 ||
	    st->mono_ns != st->first_frame * 20833)
		return false;
	for (uint32_t i = 0; i < FRAMES; i++)
		if (d[i] != frame_value(st->first_frame + i))
			return false;
	return true;
}

static void test_create_bounds(void **state)
{
	hsd_chunk_pool *p = NULL;
	hsd_lqueue *q = NULL;

	assert_int_equal(hsd_chunk_pool_create(&p, 0, FRAMES, 4), -EINVAL);
	assert_int_equal(hsd_chunk_pool_create(&p, 4, 0, 4), -EINVAL);
	assert_int_equal(hsd_chunk_pool_create(&p, 4, FRAMES, 0), -EINVAL);
	assert_int_equal(hsd_chunk_pool_create(&p, HSD_CHUNK_MAX_COUNT + 1, FRAMES, 4),
			 -EINVAL);
	assert_int_equal(hsd_chunk_pool_create(&p, 4, HSD_CHUNK_MAX_BYTES / 4 + 1, 4),
			 -EINVAL);
	assert_null(p);
	assert_int_equal(hsd_lqueue_create(&q, 0), -EINVAL);
	assert_null(q);
	/* A count that is not a power of two is fine. */
	assert_int_equal(hsd_chunk_pool_create(&p, 5, FRAMES, 4), 0);
	assert_int_equal(hsd_chunk_pool_available(p), 5);
	hsd_chunk_pool_destroy(p);
	hsd_chunk_pool_destroy(NULL);
	hsd_lqueue_destroy(NULL);
	hsd_chunk_unref(NULL);
}

/* One copy for a hundred listeners: every queue gets the same chunk, and it
 * goes back to the pool with the last unref, not before. */
static void test_refcount_many_listeners(void **state)
{
	enum { N = 100 };
	hsd_chunk_pool *p;
	hsd_lqueue *qs[N];
	hsd_chunk *c, *got;

	assert_int_equal(hsd_chunk_pool_create(&p, 4, FRAMES, 4), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(hsd_lqueue_create(&qs[i], 2), 0);
	assert_true(capture(p, 4800));
	assert_int_equal(hsd_chunk_pool_available(p), 3);
	c = hsd_chunk_receive(p);
	assert_non_null(c);
	assert_null(hsd_chunk_receive(p));
	assert_int_equal(hsd_chunk_fan_out(c, qs, N), N);
	hsd_chunk_unref(c); /* the loop's own reference */
	for (int i = 0; i < N; i++) {
		assert_int_equal(hsd_lqueue_length(qs[i]), 1);
		got = hsd_lqueue_pop(qs[i]);
		assert_ptr_equal(got, c);
		assert_true(chunk_ok(got));
		assert_int_equal(hsd_chunk_get_stamp(got)->first_frame, 4800);
		assert_null(hsd_lqueue_pop(qs[i]));
		/* Still held by the listeners not yet done with it. */
		assert_int_equal(hsd_chunk_pool_available(p), 3);
		hsd_chunk_unref(got);
	}
	assert_int_equal(hsd_chunk_pool_available(p), 4);
	/* A queue destroyed with chunks in it drops its references. */
	assert_true(capture(p, 0));
	c = hsd_chunk_receive(p);
	assert_int_equal(hsd_chunk_fan_out(c, qs, 2), 2);
	hsd_chunk_unref(c);
	hsd_lqueue_destroy(qs[0]);
	assert_int_equal(hsd_chunk_pool_available(p), 3);
	hsd_lqueue_destroy(qs[1]);
	assert_int_equal(hsd_chunk_pool_available(p), 4);
	for (int i = 2; i < N; i++)
		hsd_lqueue_destroy(qs[i]);
	assert_int_equal(hsd_chunk_pool_stats_get(p).published, 2);
	hsd_chunk_pool_destroy(p);
}

/* An empty pool answers NULL at once and counts it; a chunk that comes back
 * can be taken again. */
static void test_pool_exhaustion(void **state)
{
	hsd_chunk_pool *p;
	hsd_chunk *c[3], *r;

	assert_int_equal(hsd_chunk_pool_create(&p, 3, FRAMES, 4), 0);
	for (int i = 0; i < 3; i++)
		assert_non_null(c[i] = hsd_chunk_take(p));
	assert_null(hsd_chunk_take(p));
	assert_null(hsd_chunk_take(p));
	assert_int_equal(hsd_chunk_pool_stats_get(p).starved, 2);
	assert_int_equal(hsd_chunk_pool_available(p), 0);
	/* Too many frames: refused, and the caller still owns the chunk. */
	assert_int_equal(hsd_chunk_publish(p, c[0], FRAMES + 1,
					   &(hsd_chunk_stamp){0}), -EINVAL);
	assert_null(hsd_chunk_receive(p));
	/* A chunk not needed goes back through the loop with 0 frames. */
	assert_int_equal(hsd_chunk_publish(p, c[0], 0, &(hsd_chunk_stamp){0}), 0);
	r = hsd_chunk_receive(p);
	assert_ptr_equal(r, c[0]);
	assert_int_equal(hsd_chunk_frames(r), 0);
	assert_int_equal(hsd_chunk_capacity(r), FRAMES);
	hsd_chunk_unref(r);
	assert_int_equal(hsd_chunk_pool_available(p), 1);
	assert_ptr_equal(hsd_chunk_take(p), c[0]);
	assert_int_equal(hsd_chunk_pool_stats_get(p).starved, 2);
	assert_int_equal(hsd_chunk_pool_stats_get(p).published, 1);
	hsd_chunk_pool_destroy(p);
}

/*
 * Four listeners, one of which reads a chunk every third round: it loses
 * chunks, counted in chunks and frames, and what it gets is in order; the
 * three others get every chunk; the pool never runs dry because a full
 * queue takes no reference.
 */
static void test_slow_listener_loses_alone(void **state)
{
	enum { L = 4, DEPTH = 4, ROUNDS = 300, SLOW = 3 };
	hsd_chunk_pool *p;
	hsd_lqueue *qs[L];
	uint64_t next[L] = {0}, got[L] = {0};
	hsd_chunk *c;

	assert_int_equal(hsd_chunk_pool_create(&p, DEPTH + 2, FRAMES, 4), 0);
	for (int i = 0; i < L; i++)
		assert_int_equal(hsd_lqueue_create(&qs[i], DEPTH), 0);
	for (int round = 0; round <= ROUNDS; round++) {
		if (round < ROUNDS)
			assert_true(capture(p, (uint64_t)round * FRAMES));
		while ((c = hsd_chunk_receive(p))) {
			hsd_chunk_fan_out(c, qs, L);
			hsd_chunk_unref(c);
		}
		for (int i = 0; i < L; i++) {
			/* The last round drains every queue. */
			bool slow = i == SLOW && round < ROUNDS;

			if (slow && round % 3)
				continue;
			while ((c = hsd_lqueue_pop(qs[i]))) {
				uint64_t first = hsd_chunk_get_stamp(c)->first_frame;

				assert_true(chunk_ok(c));
				/* In order, possibly with a gap (only for
				 * the slow one: checked below). */
				assert_true(first >= next[i]);
				next[i] = first + FRAMES;
				got[i]++;
				hsd_chunk_unref(c);
				if (slow)
					break;
			}
		}
	}
	for (int i = 0; i < L; i++) {
		hsd_lqueue_drops d = hsd_lqueue_dropped(qs[i]);

		if (i == SLOW) {
			assert_true(d.chunks > 0);
			assert_int_equal(got[i] + d.chunks, ROUNDS);
			assert_int_equal(d.frames, d.chunks * FRAMES);
		} else {
			assert_int_equal(d.chunks, 0);
			assert_int_equal(d.frames, 0);
			assert_int_equal(got[i], ROUNDS);
		}
		hsd_lqueue_destroy(qs[i]);
	}
	assert_int_equal(hsd_chunk_pool_stats_get(p).starved, 0);
	assert_int_equal(hsd_chunk_pool_available(p), DEPTH + 2);
	hsd_chunk_pool_destroy(p);
}

/* ---- The audio thread and the loop on two threads ----------------------- */

#define XT_CHUNKS 20000

struct xthread {
	hsd_chunk_pool *pool;
	atomic_bool done;
	uint64_t skipped; /* audio thread: captures lost to an empty pool */
};

/* Captures XT_CHUNKS chunks' worth of frames; when the pool is empty it
 * skips them, as the capture step does, and never waits. */
static void *xt_audio(void *arg)
{
	struct xthread *x = arg;

	for (uint64_t k = 0; k < XT_CHUNKS; k++) {
		if (!capture(x->pool, k * FRAMES))
			x->skipped++;
		/* Let the loop run now and then, or on one core the pool
		 * would only ever drain. */
		if (k % 8 == 0)
			sched_yield();
	}
	atomic_store(&x->done, true);
	return NULL;
}

static void test_two_threads(void **state)
{
	enum { L = 3 };
	struct xthread x = {0};
	hsd_lqueue *qs[L];
	uint64_t received = 0, bad = 0, disorder = 0, next = 0;
	pthread_t t;
	bool done;

	assert_int_equal(hsd_chunk_pool_create(&x.pool, 8, FRAMES, 4), 0);
	for (int i = 0; i < L; i++)
		assert_int_equal(hsd_lqueue_create(&qs[i], 8), 0);
	assert_int_equal(pthread_create(&t, NULL, xt_audio, &x), 0);
	do {
		hsd_chunk *c;

		/* Read `done` before draining, so nothing published before
		 * it was set is left behind. */
		done = atomic_load(&x.done);
		while ((c = hsd_chunk_receive(x.pool))) {
			uint64_t first = hsd_chunk_get_stamp(c)->first_frame;

			received++;
			if (first < next)
				disorder++;
			next = first + FRAMES;
			hsd_chunk_fan_out(c, qs, L);
			hsd_chunk_unref(c);
		}
		for (int i = 0; i < L; i++)
			while ((c = hsd_lqueue_pop(qs[i]))) {
				bad += !chunk_ok(c);
				hsd_chunk_unref(c);
			}
		if (!done)
			sched_yield();
	} while (!done);
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	assert_int_equal(disorder, 0);
	assert_int_equal(received, hsd_chunk_pool_stats_get(x.pool).published);
	assert_int_equal(received + x.skipped, XT_CHUNKS);
	assert_int_equal(x.skipped, hsd_chunk_pool_stats_get(x.pool).starved);
	for (int i = 0; i < L; i++) {
		assert_int_equal(hsd_lqueue_dropped(qs[i]).chunks, 0);
		hsd_lqueue_destroy(qs[i]);
	}
	assert_int_equal(hsd_chunk_pool_available(x.pool), 8);
	hsd_chunk_pool_destroy(x.pool);
}

/* Listeners that stall one after another, and never read again, while one
 * keeps up: a full queue drops its oldest chunk, so the stalled queues all
 * hold the same newest window, and a pool of one queue's depth plus the
 * loop's and the audio thread's own never runs dry, however many stall
 * (dropping the newest instead pinned a window of old chunks per stalled
 * listener, and emptied the pool for the one that kept up).  Each stalled
 * queue ends holding the newest `DEPTH` chunks, contiguous, and counts
 * exactly what it lost. */
static void test_stalled_listeners_share_one_window(void **state)
{
	enum { L = 9, DEPTH = 4, ROUNDS = 200 };
	hsd_chunk_pool *p;
	hsd_lqueue *qs[L];
	uint64_t got = 0;
	hsd_chunk *c;

	(void)state;
	/* The window, the loop's reference, one being filled. */
	assert_int_equal(hsd_chunk_pool_create(&p, DEPTH + 2, FRAMES, 4), 0);
	for (int i = 0; i < L; i++)
		assert_int_equal(hsd_lqueue_create(&qs[i], DEPTH), 0);
	for (int round = 0; round < ROUNDS; round++) {
		/* Queue i > 0 stops reading at round 10 * i. */
		assert_true(capture(p, (uint64_t)round * FRAMES));
		while ((c = hsd_chunk_receive(p))) {
			hsd_chunk_fan_out(c, qs, L);
			hsd_chunk_unref(c);
		}
		for (int i = 0; i < L; i++) {
			if (i && round >= 10 * i)
				continue;
			while ((c = hsd_lqueue_pop(qs[i]))) {
				assert_true(chunk_ok(c));
				if (!i) {
					assert_int_equal(hsd_chunk_get_stamp(c)->first_frame,
							 got * FRAMES);
					got++;
				}
				hsd_chunk_unref(c);
			}
		}
	}
	assert_int_equal(got, ROUNDS);
	assert_int_equal(hsd_chunk_pool_stats_get(p).starved, 0);
	for (int i = 1; i < L; i++) {
		hsd_lqueue_drops d = hsd_lqueue_dropped(qs[i]);
		uint64_t read = 10 * (uint64_t)i; /* chunks it had before it stalled */

		assert_int_equal(hsd_lqueue_length(qs[i]), DEPTH);
		assert_int_equal(d.chunks, ROUNDS - read - DEPTH);
		assert_int_equal(d.frames, d.chunks * FRAMES);
		for (uint64_t k = ROUNDS - DEPTH; k < ROUNDS; k++) {
			c = hsd_lqueue_pop(qs[i]);
			assert_int_equal(hsd_chunk_get_stamp(c)->first_frame, k * FRAMES);
			hsd_chunk_unref(c);
		}
	}
	for (int i = 0; i < L; i++)
		hsd_lqueue_destroy(qs[i]);
	assert_int_equal(hsd_chunk_pool_available(p), DEPTH + 2);
	hsd_chunk_pool_destroy(p);
}

/* A chunk the audio thread took and never published (its stream stopped
 * with a chunk half full) goes back to the free list. */
static void test_give_back(void **state)
{
	hsd_chunk_pool *p;
	hsd_chunk *a, *b;

	(void)state;
	assert_int_equal(hsd_chunk_pool_create(&p, 2, FRAMES, 4), 0);
	a = hsd_chunk_take(p);
	b = hsd_chunk_take(p);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(hsd_chunk_take(p));
	hsd_chunk_give_back(a);
	hsd_chunk_give_back(NULL);
	assert_int_equal(hsd_chunk_pool_available(p), 1);
	assert_ptr_equal(hsd_chunk_take(p), a);
	hsd_chunk_give_back(a);
	hsd_chunk_give_back(b);
	assert_int_equal(hsd_chunk_pool_available(p), 2);
	hsd_chunk_pool_destroy(p);
}

/* A session's uv write still holds its chunk when the stream's engine
 * closes (the listener left, SIGTERM, a reload): the pool is destroyed
 * first and the write's callback unrefs later.  The chunk's audio must
 * still be there until then, and the last unref frees the pool (ASan
 * reports the use after free, LeakSanitizer a pool never freed). */
static void test_destroy_while_held(void **state)
{
	hsd_chunk_pool *p;
	hsd_lqueue *q;
	hsd_chunk *in_flight, *queued;

	(void)state;
	assert_int_equal(hsd_chunk_pool_create(&p, 4, FRAMES, 4), 0);
	assert_int_equal(hsd_lqueue_create(&q, 4), 0);
	assert_true(capture(p, 0));
	assert_true(capture(p, FRAMES));
	assert_true(capture(p, 2 * FRAMES)); /* published, never received */
	in_flight = hsd_chunk_receive(p);
	queued = hsd_chunk_receive(p);
	assert_non_null(in_flight);
	assert_non_null(queued);
	hsd_lqueue_push(q, queued);
	hsd_chunk_unref(queued); /* the queue's reference is left */
	hsd_chunk_pool_destroy(p);
	assert_true(chunk_ok(in_flight));
	assert_int_equal(hsd_chunk_get_stamp(in_flight)->first_frame, 0);
	hsd_chunk_unref(in_flight);
	queued = hsd_lqueue_pop(q);
	assert_true(chunk_ok(queued));
	assert_int_equal(hsd_chunk_get_stamp(queued)->first_frame, FRAMES);
	hsd_lqueue_push(q, queued); /* the queue unrefs it as it goes */
	hsd_chunk_unref(queued);
	hsd_lqueue_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_refcount_many_listeners),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_slow_listener_loses_alone),
		cmocka_unit_test(test_stalled_listeners_share_one_window),
		cmocka_unit_test(test_give_back),
		cmocka_unit_test(test_destroy_while_held),
		cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
