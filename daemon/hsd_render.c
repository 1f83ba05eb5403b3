/* SPDX-License-Identifier: MIT */
/* The render step (hsd_render.h).  Positions are stream frames, 64-bit;
 * the buffer slot of stream frame p is p mod buffer_frames. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_render.h"

struct hsd_render {
	uint8_t *base;
	uint32_t frame_bytes;
	uint64_t buffer_frames;
	uint64_t latency_frames;
	hsd_render_source src;
	/* Every stream frame below `write` has been written, with audio or
	 * silence, for this lap; [write, zeroed) holds zeros.  zeroed never
	 * exceeds the DMA position plus a buffer: beyond that the slots still
	 * hold frames the DMA has not fetched. */
	uint64_t write;
	uint64_t zeroed;
	uint64_t real_end; /* one past the last frame taken from the source */
	/* The newest silences the write position moved over, oldest first
	 * overwritten: [at, at + len) each, in stream frames. */
	struct {
		uint64_t at, len;
	} gap[HSD_RENDER_GAPS];
	unsigned gaps; /* recorded in all; gap[(gaps - 1) % N] is the newest */
	bool in_underrun;
	hsd_render_state state;
	hsd_counters_atomic c;
};

int hsd_render_create(const hsd_render_config *cfg, hsd_render **out)
{
	hsd_render *r;

	/* The lead must leave room in the buffer: the write position may be
	 * up to latency frames past the link, and the slots it fills must
	 * not be the DMA's unfetched ones (hsd_sizing leaves a period). */
	if (!cfg || !out || !cfg->buffer || !cfg->frame_bytes ||
	    !cfg->buffer_frames || !cfg->latency_frames ||
	    cfg->latency_frames >= cfg->buffer_frames || !cfg->source.avail ||
	    !cfg->source.read || !cfg->source.skip)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->base = cfg->buffer;
	r->frame_bytes = cfg->frame_bytes;
	r->buffer_frames = cfg->buffer_frames;
	r->latency_frames = cfg->latency_frames;
	r->src = cfg->source;
	r->state = HSD_RENDER_PLAYING;
	*out = r;
	return 0;
}

void hsd_render_destroy(hsd_render *r)
{
	free(r);
}

void hsd_render_restart(hsd_render *r)
{
	r->write = 0;
	r->zeroed = 0;
	r->real_end = 0;
	r->gaps = 0;
	r->in_underrun = false;
	r->state = HSD_RENDER_PLAYING;
	hsd_counter_set(&r->c.position, 0);
}

static uint8_t *slot(const hsd_render *r, uint64_t pos, uint64_t *run)
{
	uint64_t off = pos % r->buffer_frames;

	*run = r->buffer_frames - off;
	return r->base + off * r->frame_bytes;
}

/* The write position moves over [at, at + len) without source frames. */
static void note_gap(hsd_render *r, uint64_t at, uint64_t len)
{
	unsigned last = (r->gaps - 1) % HSD_RENDER_GAPS;

	if (r->gaps && r->gap[last].at + r->gap[last].len == at) {
		r->gap[last].len += len; /* one silence, grown */
		return;
	}
	r->gap[r->gaps % HSD_RENDER_GAPS].at = at;
	r->gap[r->gaps % HSD_RENDER_GAPS].len = len;
	r->gaps++;
}

uint64_t hsd_render_source_ahead(const hsd_render *r, uint64_t link)
{
	uint64_t n = r->write > link ? r->write - link : 0;
	unsigned kept = r->gaps < HSD_RENDER_GAPS ? r->gaps : HSD_RENDER_GAPS;

	for (unsigned i = 0; i < kept && n; i++) {
		uint64_t a = r->gap[i].at, b = a + r->gap[i].len;

		if (a < link)
			a = link;
		if (b > r->write)
			b = r->write;
		if (b > a)
			n -= b - a < n ? b - a : n;
	}
	return n;
}

/* Zero the slots of [zeroed, end).  Their slots belong to frames a buffer
 * earlier, all below the DMA position: already fetched. */
static void zero_to(hsd_render *r, uint64_t end)
{
	while (r->zeroed < end) {
		uint64_t run, n = end - r->zeroed;
		uint8_t *p = slot(r, r->zeroed, &run);

		if (n > run)
			n = run;
		memset(p, 0, n * r->frame_bytes);
		r->zeroed += n;
	}
}

/* Copy up to n frames from the source at the write position. */
static uint64_t fill(hsd_render *r, uint64_t n)
{
	uint64_t total = 0;

	while (n) {
		uint64_t run, k;
		uint8_t *p = slot(r, r->write, &run);

		if (run > n)
			run = n;
		k = r->src.read(r->src.ctx, p, run);
		if (k > run)
			k = run; /* a source that claims more than it was asked */
		r->write += k;
		total += k;
		n -= k;
		if (k < run)
			break;
	}
	return total;
}

static bool source_done(const hsd_render *r)
{
	return r->src.ended && r->src.ended(r->src.ctx) &&
	       r->src.avail(r->src.ctx) == 0;
}

/* Top the buffer up to target with the source's frames, silence for any
 * shortfall, or start draining when the source has ended. */
static void top_up(hsd_render *r, uint64_t target)
{
	uint64_t need = target - r->write, got, avail;

	avail = r->src.avail(r->src.ctx);
	got = fill(r, need < avail ? need : avail);
	if (got) {
		r->real_end = r->write;
		hsd_counter_add(&r->c.frames, got);
	}
	if (got == need) {
		r->in_underrun = false;
		return;
	}
	if (source_done(r)) {
		r->state = HSD_RENDER_DRAINING;
		return;
	}
	/* Underrun.  The slots up to target are zero (zero_to ran up to a
	 * buffer past the DMA position, and target is less than that), so
	 * writing silence is moving the write position over them.  It moves
	 * to the target, not beyond: when the source has frames again, the
	 * first one is the target latency ahead, as before the gap. */
	if (!r->in_underrun)
		hsd_counter_add(&r->c.underruns, 1);
	r->in_underrun = true;
	hsd_counter_add(&r->c.silence_frames, need - got);
	note_gap(r, r->write, target - r->write);
	r->write = target;
}

hsd_render_state hsd_render_step(hsd_render *r, const hda_stream_position *pos)
{
	uint64_t link = pos->converter_frames, dma = pos->dma_frames;

	hsd_counter_add(&r->c.steps, 1);
	if (pos->late)
		hsd_counter_add(&r->c.tracker_late, 1);
	if (dma > r->write) {
		/* The DMA fetched slots not written for this lap: they held
		 * zeros (or, later than a buffer, older audio).  While draining
		 * that is the plan; otherwise this wake-up came too late. */
		if (r->state == HSD_RENDER_PLAYING) {
			uint64_t late = dma - r->write, avail = r->src.avail(r->src.ctx);
			uint64_t gone = r->src.skip(r->src.ctx, late < avail ? late : avail);

			hsd_counter_add(&r->c.late_wakeups, 1);
			hsd_counter_add(&r->c.lost_frames, late);
			/* Their slots went by unwritten: these frames would
			 * have been in them (hsd_render.h: why not later). */
			hsd_counter_add(&r->c.skipped_frames, gone);
		}
		note_gap(r, r->write, dma - r->write);
		r->write = dma;
	}
	if (r->zeroed < r->write)
		r->zeroed = r->write; /* later than a buffer: nothing is zero */
	zero_to(r, dma + r->buffer_frames);
	if (r->state == HSD_RENDER_PLAYING && r->write < link + r->latency_frames)
		top_up(r, link + r->latency_frames);
	if (r->state == HSD_RENDER_DRAINING && link >= r->real_end)
		r->state = HSD_RENDER_DRAINED;
	hsd_counter_set(&r->c.position, r->write);
	return r->state;
}

void hsd_render_counters(const hsd_render *r, hsd_stream_counters *out)
{
	hsd_counters_read(&r->c, out);
}
