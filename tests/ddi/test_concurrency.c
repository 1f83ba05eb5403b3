/* SPDX-License-Identifier: MIT */
/*
 * The three kinds of thread at once, on the real-time emulator (its device
 * thread moves the DMA while we read): an audio thread reading positions
 * lock-free while the control thread stops, resets and restarts engines and
 * reprograms buffers.  Every snapshot must be consistent (a FIFO fill
 * between 0 and the FIFO), every tracked link position monotone, and the
 * suite's ThreadSanitizer build must see no race.
 *
 * The amount of work is bounded by counts, not by time; timing only decides
 * how the threads interleave, never the verdict.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "testutil.h"

#define CONTROL_ROUNDS 200
/* a fast, wide stream: 96 kHz, 32-bit, 8 channels (32-byte frames) */
static const hda_stream_format FMT_WIDE = {96000, 32, 32, 8};

typedef struct shared {
	hda_bus *bus;
	hda_engine e;
	atomic_bool done;
	atomic_uint_fast64_t reads, ok_reads, bad;
	char why[160];
} shared;

static void *audio_thread(void *arg)
{
	shared *s = arg;

	while (!atomic_load(&s->done)) {
		hda_position p;
		hda_status st = hda_read_position(s->bus, s->e, &p);

		atomic_fetch_add(&s->reads, 1);
		if (st == HDA_STATUS_INVALID_DEVICE_REQUEST)
			continue; /* being reprogrammed: no buffer just now */
		if (st != HDA_STATUS_SUCCESS) {
			snprintf(s->why, sizeof(s->why), "read: %s", hda_status_str(st));
			atomic_fetch_add(&s->bad, 1);
			continue;
		}
		atomic_fetch_add(&s->ok_reads, 1);
		{
			uint32_t fill = p.render ? (p.dma + p.cbl - p.link) % p.cbl
						 : (p.link + p.cbl - p.dma) % p.cbl;

			if (p.link >= p.cbl || p.dma >= p.cbl || fill > p.fifo_size) {
				snprintf(s->why, sizeof(s->why),
					 "link %u dma %u cbl %u fifo %u", p.link, p.dma, p.cbl,
					 p.fifo_size);
				atomic_fetch_add(&s->bad, 1);
			}
		}
	}
	return NULL;
}

static void readers_against_control(void **state)
{
	shared s;
	pthread_t audio;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_ok(hda_bus_open("emu:tick_us=200", &s.bus));
	assert_ok(hda_allocate_render_dma_engine(s.bus, &FMT_WIDE, false, &s.e, &conv));
	assert_ok(hda_allocate_dma_buffer(s.bus, s.e, 8192, &m, &sz, &id, &fifo));
	assert_int_equal(pthread_create(&audio, NULL, audio_thread, &s), 0);
	for (unsigned i = 0; i < CONTROL_ROUNDS; i++) {
		assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_STOP, 1, &s.e));
		assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_RUN, 1, &s.e));
		/* let the stream move a little: a bounded wait for a
		 * condition (the link position has left 0) */
		{
			uint64_t deadline = test_now_ms() + 2000;
			hda_position p;

			do
				assert_ok(hda_read_position(s.bus, s.e, &p));
			while (p.link == 0 && test_now_ms() < deadline);
		}
		assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_STOP, 1, &s.e));
		assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_RESET, 1, &s.e));
		if (i % 20 == 0) { /* and a new buffer now and then */
			assert_ok(hda_free_dma_buffer(s.bus, s.e));
			assert_ok(hda_allocate_dma_buffer(s.bus, s.e, 4096 + 1024 * (i % 3), &m,
							  &sz, &id, &fifo));
		}
	}
	atomic_store(&s.done, true);
	pthread_join(audio, NULL);
	if (atomic_load(&s.bad))
		fail_msg("%llu inconsistent snapshots of %llu, e.g. %s",
			 (unsigned long long)atomic_load(&s.bad),
			 (unsigned long long)atomic_load(&s.reads), s.why);
	assert_true(atomic_load(&s.ok_reads) > 0);
	hda_bus_close(s.bus);
}

/* One running stream, read as fast as possible: tracked positions never go
 * backwards and the fill stays within the FIFO, while the device thread
 * moves the stream in 200 us steps. */
static void tracker_monotone_under_load(void **state)
{
	hda_bus *bus;
	hda_engine e;
	hda_mdl *m;
	size_t sz;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	hda_position_tracker t;
	hda_stream_position pos, last = {0};

	(void)state;
	assert_ok(hda_bus_open("emu:tick_us=200", &bus));
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_WIDE, false, &e, &conv));
	/* 200 ms, so a preempted reader does not miss a wrap */
	assert_ok(hda_allocate_dma_buffer(bus, e, 96000 * 32 / 5, &m, &sz, &id, &fifo));
	hda_position_tracker_reset(&t);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e));
	/* Three wraps (600 ms of stream), read back to back; the deadline
	 * only bounds a machine too slow to get there, it is no verdict. */
	for (uint64_t deadline = test_now_ms() + 20000;
	     last.link_bytes < 3 * sz && test_now_ms() < deadline;) {
		assert_ok(hda_position_track(bus, e, &t, &pos));
		if (pos.link_bytes < last.link_bytes || pos.dma_bytes < last.dma_bytes)
			fail_msg("went backwards: link %llu -> %llu, dma %llu -> %llu",
				 (unsigned long long)last.link_bytes,
				 (unsigned long long)pos.link_bytes,
				 (unsigned long long)last.dma_bytes,
				 (unsigned long long)pos.dma_bytes);
		if (pos.dma_bytes - pos.link_bytes > fifo)
			fail_msg("fill %llu above the FIFO %u",
				 (unsigned long long)(pos.dma_bytes - pos.link_bytes), fifo);
		last = pos;
	}
	assert_true(last.link_bytes > 0);
	hda_bus_close(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(readers_against_control),
		cmocka_unit_test(tracker_monotone_under_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
