/* SPDX-License-Identifier: MIT */
/* A capture stream's chunks (hsd_chunker.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_chunker.h"

#define NS_PER_SEC UINT64_C(1000000000)
#define WALLCLK_HZ UINT64_C(24000000)
/* Chunks no one is waiting for: the loop's own reference while it fans
 * one out, and those a session has written whose callbacks have not run. */
#define POOL_SLACK 16

int hsd_chunker_plan(const hsd_chunk_plan_request *req, hsd_chunk_plan *out)
{
	uint64_t chunk, max_step, depth, count, fixed;

	if (!req->period_frames || !req->buffer_frames || !req->frame_bytes || !req->rate ||
	    !req->max_chunk_frames)
		return -EINVAL;
	/* About one period, so that listeners get whole periods; but no
	 * longer than the thread sleeps at most (a 500 ms period is not held
	 * back 500 ms), nor than one message carries. */
	chunk = req->period_frames;
	max_step = req->max_step_ns ? (uint64_t)req->rate * req->max_step_ns / NS_PER_SEC : chunk;
	if (chunk > max_step && max_step)
		chunk = max_step;
	if (chunk > req->max_chunk_frames)
		chunk = req->max_chunk_frames;
	out->frame_bytes = req->frame_bytes;
	out->chunk_frames = (uint32_t)chunk;
	out->publish_frames = (uint32_t)(chunk + 1) / 2;
	/* One step sees at most the buffer; add the chunk carried from the
	 * step before, and one split at an overrun's jump. */
	out->step_chunks = (uint32_t)((req->buffer_frames + chunk - 1) / chunk) + 2;
	/* Chunks hold publish_frames at least: this many cover the queue. */
	depth = req->queue_frames / out->publish_frames + 1;
	if (depth < 2)
		depth = 2;
	/*
	 * What can hold chunks at once: the listeners' queues, which drop
	 * their oldest when full and so share one window of the newest
	 * `depth` (hsd_chunk.h); as many again on their way to the loop, or
	 * received by a loop running late; one stuck in each client's socket
	 * (a session writes the next chunk only once its socket took the
	 * last, hsd_session.c); the step's own; and slack.  So no number of
	 * stalled listeners empties the pool for the others.
	 */
	fixed = (uint64_t)req->max_clients + out->step_chunks + POOL_SLACK;
	count = 2 * depth + fixed;
	if (count > HSD_CHUNK_MAX_COUNT) {
		/* A long queue of short chunks: the queue is cut to what the
		 * pool's bound leaves (seconds, still). */
		if (fixed + 4 > HSD_CHUNK_MAX_COUNT)
			return -EINVAL;
		depth = (HSD_CHUNK_MAX_COUNT - fixed) / 2;
		count = 2 * depth + fixed;
	}
	out->queue_depth = (uint32_t)depth;
	out->pool_count = (uint32_t)count;
	return 0;
}

int hsd_chunker_init(hsd_chunker *k, hsd_chunk_pool *pool, const hsd_chunk_plan *plan,
		     uint32_t rate)
{
	memset(k, 0, sizeof(*k));
	if (!pool || !plan->step_chunks || !plan->publish_frames || !plan->frame_bytes || !rate)
		return -EINVAL;
	k->frame_bytes = plan->frame_bytes;
	k->pool = pool;
	k->step_chunks = plan->step_chunks;
	k->publish_frames = plan->publish_frames;
	k->rate = rate;
	atomic_init(&k->starved_frames, 0);
	k->chunk = calloc(k->step_chunks, sizeof(*k->chunk));
	k->first = calloc(k->step_chunks, sizeof(*k->first));
	k->fill = calloc(k->step_chunks, sizeof(*k->fill));
	if (!k->chunk || !k->first || !k->fill) {
		hsd_chunker_fini(k);
		return -ENOMEM;
	}
	return 0;
}

void hsd_chunker_drop(hsd_chunker *k)
{
	for (unsigned i = 0; i < k->n; i++)
		hsd_chunk_give_back(k->chunk[i]);
	k->n = 0;
}

void hsd_chunker_fini(hsd_chunker *k)
{
	if (k->chunk)
		hsd_chunker_drop(k);
	free(k->chunk);
	free(k->first);
	free(k->fill);
	k->chunk = NULL;
	k->first = NULL;
	k->fill = NULL;
}

/* [audio] Takes everything offered: into chunks while the pool has them
 * and the step has room for them, else skipped (counted), so that the
 * capture position moves on and the DMA buffer never overruns.  Frames
 * that do not follow on from the last chunk's (the capture step jumped an
 * overrun, or the pool ran dry before) start a new chunk. */
static size_t sink_write(void *ctx, uint64_t frame, const void *src, size_t frames)
{
	hsd_chunker *k = ctx;
	const uint8_t *p = src;
	size_t left = frames;
	bool follows = k->n && frame == k->next_frame;

	while (left) {
		unsigned i = k->n ? k->n - 1 : 0;
		uint32_t room = 0, take;
		size_t fb = k->frame_bytes;

		if (follows)
			room = hsd_chunk_capacity(k->chunk[i]) - k->fill[i];
		if (!room) {
			/* Once one chunk was missing, the rest of the step is
			 * skipped too. */
			hsd_chunk *c = k->n < k->step_chunks && !k->starved ? hsd_chunk_take(k->pool)
									   : NULL;

			if (!c) {
				k->starved = true;
				atomic_fetch_add_explicit(&k->starved_frames, left,
							  memory_order_relaxed);
				break;
			}
			i = k->n++;
			k->chunk[i] = c;
			k->fill[i] = 0;
			k->first[i] = frame;
			room = hsd_chunk_capacity(c);
			follows = true;
		}
		take = left < room ? (uint32_t)left : room;
		memcpy((uint8_t *)hsd_chunk_data(k->chunk[i]) + (size_t)k->fill[i] * fb, p,
		       (size_t)take * fb);
		k->fill[i] += take;
		p += (size_t)take * fb;
		frame += take;
		left -= take;
	}
	k->next_frame = frame;
	return frames;
}

hsd_capture_sink hsd_chunker_sink(hsd_chunker *k)
{
	return (hsd_capture_sink){sink_write, k};
}

void hsd_chunker_begin(hsd_chunker *k)
{
	k->starved = false;
}

bool hsd_chunker_publish(hsd_chunker *k, const hda_stream_position *pos, uint64_t now_ns)
{
	unsigned n = k->n, i;

	/* A short last chunk waits for the next step's frames, which follow
	 * on unless audio was lost after it in this step. */
	if (n && !k->starved && k->fill[n - 1] < k->publish_frames)
		n--;
	for (i = 0; i < n; i++) {
		/* The wall clock and host time at which this chunk's first
		 * frame crossed the link: the reading less the frames since. */
		uint64_t back = pos->converter_frames > k->first[i]
					? pos->converter_frames - k->first[i]
					: 0;
		hsd_chunk_stamp stamp = {
			.first_frame = k->first[i],
			.wallclk = pos->wall_ticks - back * WALLCLK_HZ / k->rate,
			.mono_ns = now_ns - back * NS_PER_SEC / k->rate,
		};

		hsd_chunk_publish(k->pool, k->chunk[i], k->fill[i], &stamp);
	}
	if (n < k->n) {
		k->chunk[0] = k->chunk[n];
		k->fill[0] = k->fill[n];
		k->first[0] = k->first[n];
	}
	k->n -= n;
	return n > 0;
}

uint64_t hsd_chunker_starved(const hsd_chunker *k)
{
	return atomic_load_explicit(&k->starved_frames, memory_order_relaxed);
}
