/* SPDX-License-Identifier: MIT */
/*
 * hsd_chunker: a capture stream's frames cut into chunks of about its own
 * period whatever the audio thread's cadence, each chunk one contiguous run
 * stamped with its first frame, a jump over lost audio starting a new one,
 * an empty pool skipping (counted) the rest of a step, and the plan that
 * sizes chunks, queues and the pool so that stalled listeners cannot empty
 * it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsd_chunker.h"

#define FB 4 /* frame bytes: one uint32_t, the frame's own index */

static const hsd_chunk_plan_request base_req = {
	.period_frames = 480,
	.buffer_frames = 1920,
	.frame_bytes = FB,
	.rate = 48000,
	.max_chunk_frames = 16000,
	.max_step_ns = 10000000,
	.queue_frames = 9600,
	.max_clients = 16,
};

/* ---- The plan ---------------------------------------------------------------- */

static void check_plan(const hsd_chunk_plan_request *r, const hsd_chunk_plan *p)
{
	uint64_t step_max = (uint64_t)r->rate * r->max_step_ns / 1000000000u;

	assert_true(p->chunk_frames >= 1);
	assert_true(p->chunk_frames <= r->period_frames);
	assert_true(p->chunk_frames <= step_max);
	assert_true(p->chunk_frames <= r->max_chunk_frames);
	/* a published chunk is at least half of one */
	assert_true(2 * p->publish_frames >= p->chunk_frames);
	assert_true(p->publish_frames <= p->chunk_frames);
	/* one step's frames fit: the buffer, a carried chunk and a split */
	assert_true((uint64_t)(p->step_chunks - 2) * p->chunk_frames >= r->buffer_frames);
	/* the queue covers client_queue_ms in the shortest chunks published */
	assert_true((uint64_t)p->queue_depth * p->publish_frames >= r->queue_frames);
	/* the pool: two windows, one per client, a step's worth */
	assert_true(p->pool_count >=
		    2 * p->queue_depth + r->max_clients + p->step_chunks);
	assert_true(p->pool_count <= HSD_CHUNK_MAX_COUNT);
}

static void test_plan(void **state)
{
	hsd_chunk_plan_request r = base_req;
	hsd_chunk_plan p;

	(void)state;
	/* A 10 ms period: chunks of one period. */
	assert_int_equal(hsd_chunker_plan(&r, &p), 0);
	check_plan(&r, &p);
	assert_int_equal(p.chunk_frames, 480);
	assert_int_equal(p.frame_bytes, FB);
	/* A long period: chunks of the thread's longest sleep, not more. */
	r.period_frames = 24000;
	r.buffer_frames = 96000;
	assert_int_equal(hsd_chunker_plan(&r, &p), 0);
	check_plan(&r, &p);
	assert_int_equal(p.chunk_frames, 480);
	/* What one message carries bounds it too. */
	r.max_chunk_frames = 100;
	assert_int_equal(hsd_chunker_plan(&r, &p), 0);
	check_plan(&r, &p);
	assert_int_equal(p.chunk_frames, 100);
	/* A short period: chunks of it. */
	r = base_req;
	r.period_frames = 32;
	r.buffer_frames = 96;
	assert_int_equal(hsd_chunker_plan(&r, &p), 0);
	check_plan(&r, &p);
	assert_int_equal(p.chunk_frames, 32);
	/* More clients, a bigger pool, the same queue. */
	{
		hsd_chunk_plan q;

		r.max_clients = 1000;
		assert_int_equal(hsd_chunker_plan(&r, &q), 0);
		check_plan(&r, &q);
		assert_int_equal(q.queue_depth, p.queue_depth);
		assert_int_equal(q.pool_count, p.pool_count + 1000 - 16);
	}
	/* A 10 s queue of 32-frame chunks: held to the pool's bound. */
	r.queue_frames = 480000;
	assert_int_equal(hsd_chunker_plan(&r, &p), 0);
	assert_true(p.pool_count <= HSD_CHUNK_MAX_COUNT);
	assert_true(p.queue_depth > 10000);
	/* Nonsense. */
	r = base_req;
	r.period_frames = 0;
	assert_int_equal(hsd_chunker_plan(&r, &p), -EINVAL);
	r = base_req;
	r.rate = 0;
	assert_int_equal(hsd_chunker_plan(&r, &p), -EINVAL);
	r = base_req;
	r.max_chunk_frames = 0;
	assert_int_equal(hsd_chunker_plan(&r, &p), -EINVAL);
}

/* ---- The chunker ------------------------------------------------------------- */

typedef struct rig {
	hsd_chunk_plan plan;
	hsd_chunk_pool *pool;
	hsd_chunker k;
	hsd_capture_sink sink;
	uint32_t src[4096]; /* frame i of the stream is the value i */
} rig;

static void rig_open(rig *g, uint32_t pool_count)
{
	hsd_chunk_plan_request r = base_req;

	memset(g, 0, sizeof(*g));
	assert_int_equal(hsd_chunker_plan(&r, &g->plan), 0);
	if (pool_count)
		g->plan.pool_count = pool_count;
	assert_int_equal(hsd_chunk_pool_create(&g->pool, g->plan.pool_count,
					       g->plan.chunk_frames, FB),
			 0);
	assert_int_equal(hsd_chunker_init(&g->k, g->pool, &g->plan, 48000), 0);
	g->sink = hsd_chunker_sink(&g->k);
}

static void rig_close(rig *g)
{
	hsd_chunker_fini(&g->k);
	hsd_chunker_fini(&g->k); /* twice is fine */
	assert_int_equal(hsd_chunk_pool_available(g->pool), g->plan.pool_count);
	hsd_chunk_pool_destroy(g->pool);
}

/* One step: frames [from, from + n) offered as the capture step would,
 * split where a 1024-frame cyclic buffer wraps; then publish. */
static bool step(rig *g, uint64_t from, uint32_t n)
{
	hda_stream_position pos = {.converter_frames = from + n + 10,
				   .wall_ticks = 24000000u * 10};

	hsd_chunker_begin(&g->k);
	while (n) {
		uint32_t run = 1024 - (uint32_t)(from % 1024);

		if (run > n)
			run = n;
		for (uint32_t i = 0; i < run; i++)
			g->src[i] = (uint32_t)(from + i);
		assert_int_equal(g->sink.write(g->sink.ctx, from, g->src, run), run);
		from += run;
		n -= run;
	}
	return hsd_chunker_publish(&g->k, &pos, 5000000000u);
}

/* The next chunk the loop receives: its first frame and frame count, its
 * audio checked against them. */
static hsd_chunk *receive(rig *g, uint64_t first, uint32_t frames)
{
	hsd_chunk *c = hsd_chunk_receive(g->pool);
	const uint32_t *d;

	assert_non_null(c);
	assert_int_equal(hsd_chunk_get_stamp(c)->first_frame, first);
	assert_int_equal(hsd_chunk_frames(c), frames);
	d = hsd_chunk_data(c);
	for (uint32_t i = 0; i < frames; i++)
		assert_int_equal(d[i], first + i);
	return c;
}

/* The thread waking every 2 ms for a 10 ms stream: 96 frames a step.  A
 * chunk is published once it holds half a period (240), continued across
 * steps; none is short, none is torn. */
static void test_short_steps_make_whole_chunks(void **state)
{
	rig g;
	uint64_t at = 0, next = 0;
	unsigned published = 0;

	(void)state;
	rig_open(&g, 0);
	assert_int_equal(g.plan.publish_frames, 240);
	for (unsigned i = 0; i < 100; i++) {
		bool any = step(&g, at, 96);
		hsd_chunk *c;

		at += 96;
		while ((c = hsd_chunk_receive(g.pool))) {
			const hsd_chunk_stamp *st = hsd_chunk_get_stamp(c);

			assert_int_equal(st->first_frame, next);
			assert_true(hsd_chunk_frames(c) >= g.plan.publish_frames);
			assert_true(hsd_chunk_frames(c) <= g.plan.chunk_frames);
			next += hsd_chunk_frames(c);
			published++;
			any = false;
			hsd_chunk_unref(c);
		}
		assert_false(any); /* publish said true only if it did */
	}
	/* 9600 frames: 288 at 3 steps a chunk, all but what is carried */
	assert_true(at - next < g.plan.publish_frames);
	assert_int_equal(published, at / 288);
	assert_int_equal(hsd_chunker_starved(&g.k), 0);
	rig_close(&g); /* the carried chunk goes back */
}

/* Long steps: a late wake-up's 1500 frames fill whole chunks (480) and
 * publish them all, the short last one (60) kept for the next step. */
static void test_long_step_fills_several(void **state)
{
	rig g;

	(void)state;
	rig_open(&g, 0);
	assert_true(step(&g, 0, 1500));
	for (unsigned i = 0; i < 3; i++)
		hsd_chunk_unref(receive(&g, 480 * i, 480));
	assert_null(hsd_chunk_receive(g.pool));
	/* the 60 carried, continued by the next 200 */
	assert_true(step(&g, 1500, 200));
	hsd_chunk_unref(receive(&g, 1440, 260));
	rig_close(&g);
}

/* A jump (an overrun skipped frames 100..999): the 100 carried frames are
 * published short, on their own, and the audio after the jump starts its
 * own chunk, stamped where it is. */
static void test_jump_starts_a_chunk(void **state)
{
	rig g;
	hda_stream_position pos = {.converter_frames = 2000, .wall_ticks = 24000000u};

	(void)state;
	rig_open(&g, 0);
	assert_false(step(&g, 0, 100));
	assert_true(step(&g, 1000, 300));
	hsd_chunk_unref(receive(&g, 0, 100));
	hsd_chunk_unref(receive(&g, 1000, 300));
	assert_null(hsd_chunk_receive(g.pool));
	/* A stamp is the reading less the frames since that chunk's first. */
	hsd_chunker_begin(&g.k);
	assert_int_equal(g.sink.write(g.sink.ctx, 1300, g.src, 480), 480);
	assert_true(hsd_chunker_publish(&g.k, &pos, 3000000000u));
	{
		hsd_chunk *c = hsd_chunk_receive(g.pool);
		const hsd_chunk_stamp *st = hsd_chunk_get_stamp(c);

		assert_int_equal(st->first_frame, 1300);
		/* 700 frames before the reading, at 48 kHz */
		assert_int_equal(st->wallclk, 24000000u - 700 * 500);
		assert_int_equal(st->mono_ns, 3000000000u - 700 * 1000000000ull / 48000);
		hsd_chunk_unref(c);
	}
	rig_close(&g);
}

/* An empty pool: the frames that found no chunk, and the rest of that
 * step, are skipped and counted; the chunk before them is published even
 * if short (what follows it was lost); the next step starts afresh. */
static void test_empty_pool_skips_counted(void **state)
{
	rig g;
	hsd_chunk *held[2];

	(void)state;
	rig_open(&g, 3);
	held[0] = hsd_chunk_take(g.pool);
	held[1] = hsd_chunk_take(g.pool);
	/* one chunk left: 480 frames of 700 fit, 220 are lost */
	assert_true(step(&g, 0, 700));
	assert_int_equal(hsd_chunker_starved(&g.k), 220);
	{
		hsd_chunk *c = receive(&g, 0, 480);

		/* the loop has it: still none free for the next step */
		assert_false(step(&g, 700, 300));
		assert_int_equal(hsd_chunker_starved(&g.k), 520);
		hsd_chunk_unref(c);
	}
	/* The pool has one again: the next step's audio is its own run. */
	assert_true(step(&g, 1000, 300));
	hsd_chunk_unref(receive(&g, 1000, 300));
	hsd_chunk_give_back(held[0]);
	hsd_chunk_give_back(held[1]);
	rig_close(&g);
}

/* A stream stopped mid-chunk: drop gives the chunk back, and the next run's
 * frames (from 0 again) do not land in it. */
static void test_drop(void **state)
{
	rig g;

	(void)state;
	rig_open(&g, 0);
	assert_false(step(&g, 0, 100));
	assert_int_equal(hsd_chunk_pool_available(g.pool), g.plan.pool_count - 1);
	hsd_chunker_drop(&g.k);
	assert_int_equal(hsd_chunk_pool_available(g.pool), g.plan.pool_count);
	assert_true(step(&g, 0, 300));
	hsd_chunk_unref(receive(&g, 0, 300));
	rig_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_short_steps_make_whole_chunks),
		cmocka_unit_test(test_long_step_fills_several),
		cmocka_unit_test(test_jump_starts_a_chunk),
		cmocka_unit_test(test_empty_pool_skips_counted),
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
