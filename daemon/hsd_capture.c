/* SPDX-License-Identifier: MIT */
/* The capture step (hsd_capture.h). */
#include <errno.h>
#include <stdlib.h>

#include "hsd_capture.h"

struct hsd_capture {
	const uint8_t *base;
	uint32_t frame_bytes;
	uint64_t buffer_frames;
	uint64_t guard_frames;
	hsd_capture_sink sink;
	uint64_t read; /* stream frames below this have gone to the sink */
	hsd_counters_atomic c;
};

int hsd_capture_create(const hsd_capture_config *cfg, hsd_capture **out)
{
	hsd_capture *c;

	if (!cfg || !out || !cfg->buffer || !cfg->frame_bytes ||
	    !cfg->buffer_frames || cfg->guard_frames >= cfg->buffer_frames ||
	    !cfg->sink.write)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = cfg->buffer;
	c->frame_bytes = cfg->frame_bytes;
	c->buffer_frames = cfg->buffer_frames;
	c->guard_frames = cfg->guard_frames;
	c->sink = cfg->sink;
	*out = c;
	return 0;
}

void hsd_capture_destroy(hsd_capture *c)
{
	free(c);
}

void hsd_capture_restart(hsd_capture *c)
{
	c->read = 0;
	hsd_counter_set(&c->c.position, 0);
}

uint64_t hsd_capture_step(hsd_capture *c, const hda_stream_position *pos)
{
	/* Frames below the DMA position are in memory; the DMA writes on
	 * from there and reaches the slot of stream frame p when its
	 * position is p + buffer.  While this step copies it moves up to
	 * guard frames, so only frames at or above dma - (buffer - guard)
	 * are sure to be intact until they have been copied. */
	uint64_t dma = pos->dma_frames, safe = c->buffer_frames - c->guard_frames;
	uint64_t total = 0;

	hsd_counter_add(&c->c.steps, 1);
	if (pos->late)
		hsd_counter_add(&c->c.tracker_late, 1);
	if (dma > c->read && dma - c->read > safe) {
		hsd_counter_add(&c->c.overruns, 1);
		hsd_counter_add(&c->c.late_wakeups, 1);
		hsd_counter_add(&c->c.lost_frames, dma - safe - c->read);
		c->read = dma - safe;
	}
	while (c->read < dma) {
		uint64_t off = c->read % c->buffer_frames;
		uint64_t run = c->buffer_frames - off, k;

		if (run > dma - c->read)
			run = dma - c->read;
		k = c->sink.write(c->sink.ctx, c->read, c->base + off * c->frame_bytes, run);
		if (k > run)
			k = run;
		c->read += k;
		total += k;
		if (k < run)
			break; /* the sink is full: the rest waits in the buffer */
	}
	hsd_counter_add(&c->c.frames, total);
	hsd_counter_set(&c->c.position, c->read);
	return total;
}

void hsd_capture_counters(const hsd_capture *c, hsd_stream_counters *out)
{
	hsd_counters_read(&c->c, out);
}
