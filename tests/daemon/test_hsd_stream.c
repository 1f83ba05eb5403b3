/* SPDX-License-Identifier: MIT */
/*
 * One stream on the emulator's manual clock: hsd_engine opens it sized
 * from its latency, and the render and capture steps move the known test
 * signal (test_pattern: a frame counter in the right channel).  Ground
 * truth comes from the model (hda_emu_stream_truth_get,
 * hda_emu_converter_frames) and from the line-out WAV file.
 *
 * Time moves only by hda_emu_advance, to exact frame counts since the
 * engine started, so every figure below is exact: no sleep, no real clock
 * (the one bounded wait is for libhda's interrupt thread to write the
 * period eventfd).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "testaudio.h"
#include "hda/hda_emu.h"
#include "hsd_capture.h"
#include "hsd_engine.h"
#include "hsd_render.h"

#define F 4u /* 48 kHz/16-bit/stereo frames */

/* ---- A source of the test signal ---------------------------------------- */

typedef struct source {
	uint64_t next;  /* the next frame of the signal to hand out */
	uint64_t end;   /* frames it has in all (UINT64_MAX: endless) */
	bool hold;      /* withholding: nothing available for now */
} source;

static size_t src_avail(void *ctx)
{
	source *s = ctx;
	uint64_t n = s->end - s->next;

	if (s->hold)
		return 0;
	return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

static size_t src_read(void *ctx, void *dst, size_t frames)
{
	source *s = ctx;
	size_t n = src_avail(ctx);

	if (n > frames)
		n = frames;
	test_pattern(dst, s->next, n);
	s->next += n;
	return n;
}

static size_t src_skip(void *ctx, size_t frames)
{
	source *s = ctx;
	size_t n = src_avail(ctx);

	if (n > frames)
		n = frames;
	s->next += n;
	return n;
}

static bool src_ended(void *ctx)
{
	source *s = ctx;

	return s->next >= s->end;
}

/* ---- A capture sink that keeps everything ------------------------------- */

typedef struct sink {
	int16_t *frames; /* 2 samples a frame */
	uint64_t count, cap;
	uint64_t limit;  /* takes at most this many in all */
	uint64_t next;   /* the stream frame the next call should start at */
	unsigned jumps;  /* calls that started past it: an overrun's skip */
} sink;

static size_t sink_write(void *ctx, uint64_t frame, const void *src, size_t frames)
{
	sink *k = ctx;

	/* The step names each run's first frame: never going back, and past
	 * the last run's end only where an overrun skipped. */
	assert_true(frame >= k->next);
	if (frame != k->next)
		k->jumps++;

	if (frames > k->limit - k->count)
		frames = (size_t)(k->limit - k->count);
	assert_true(k->count + frames <= k->cap);
	memcpy(k->frames + 2 * k->count, src, frames * F);
	k->count += frames;
	k->next = frame + frames;
	return frames;
}

/* ---- One bus with streams, and its clock --------------------------------- */

typedef struct rig {
	char dir[32], wav[64];
	hda_bus *bus;
	hda_emu *emu;
} rig;

static void rig_open(rig *g, const char *opts)
{
	char uri[256];

	strcpy(g->dir, "/tmp/hsd-test-XXXXXX");
	assert_non_null(mkdtemp(g->dir));
	snprintf(g->wav, sizeof(g->wav), "%s/out.wav", g->dir);
	snprintf(uri, sizeof(uri), "emu:clock=manual,lineout=wav:%s%s%s", g->wav, *opts ? "," : "",
		 opts);
	assert_ok(hda_bus_open(uri, &g->bus));
	g->emu = hda_emu_from_bus(g->bus);
}

/* Close the bus (which completes the WAV file); the caller checks it. */
static void rig_close_bus(rig *g)
{
	hda_bus_close(g->bus);
	g->bus = NULL;
}

static void rig_cleanup(rig *g)
{
	unlink(g->wav);
	rmdir(g->dir);
}

typedef struct stream {
	hsd_engine *eng;
	const hsd_engine_info *info;
	hsd_render *r;
	hsd_capture *c;
	source src;
	sink snk;
	uint64_t start_ns;      /* model time of the engine's start */
	uint64_t link;          /* truth: frames across the link */
	uint64_t late_seen;     /* snapshots the tracker marked late */
	/* measured write-to-link latency of on-time wake-ups, model ns:
	 * the least over the oldest frame each wrote, the most over the
	 * newest */
	uint64_t lat_min_ns, lat_max_ns;
	hda_stream_position pos;
} stream;

static hsd_engine_config config(hsd_direction dir, uint32_t ms)
{
	return (hsd_engine_config){
		.dir = dir,
		.format = FMT_48K_16_2,
		.latency_ms = ms,
		.pin = dir == HSD_RENDER ? "line-out" : "line-in",
	};
}

static void stream_open(rig *g, stream *s, hsd_direction dir, uint32_t ms)
{
	hsd_engine_config cfg = config(dir, ms);
	char why[160] = "";

	memset(s, 0, sizeof(*s));
	s->src.end = UINT64_MAX;
	if (hsd_engine_open(g->bus, &cfg, &s->eng, why, sizeof(why)))
		fail_msg("hsd_engine_open: %s", why);
	s->info = hsd_engine_get_info(s->eng);
	assert_int_equal(s->info->buffer_bytes, s->info->sizing.buffer_bytes);
	if (dir == HSD_RENDER) {
		hsd_render_config rc = {
			.buffer = s->info->buffer,
			.frame_bytes = F,
			.buffer_frames = s->info->sizing.buffer_frames,
			.latency_frames = s->info->sizing.latency_frames,
			.source = {src_avail, src_read, src_skip, src_ended, &s->src},
		};

		assert_int_equal(hsd_render_create(&rc, &s->r), 0);
	} else {
		hsd_capture_config cc = {
			.buffer = s->info->buffer,
			.frame_bytes = F,
			.buffer_frames = s->info->sizing.buffer_frames,
			.guard_frames = s->info->sizing.period_frames,
			.sink = {sink_write, &s->snk},
		};

		s->snk.cap = 4 * 48000;
		s->snk.limit = UINT64_MAX;
		s->snk.frames = calloc(s->snk.cap, F);
		assert_non_null(s->snk.frames);
		assert_int_equal(hsd_capture_create(&cc, &s->c), 0);
	}
}

static void stream_close(stream *s)
{
	hsd_render_destroy(s->r);
	hsd_capture_destroy(s->c);
	hsd_engine_close(s->eng);
	free(s->snk.frames);
}

static uint32_t period(const stream *s)
{
	return s->info->sizing.period_frames;
}

static uint32_t latency(const stream *s)
{
	return s->info->sizing.latency_frames;
}

static hsd_stream_counters counters(const stream *s)
{
	hsd_stream_counters c;

	if (s->r)
		hsd_render_counters(s->r, &c);
	else
		hsd_capture_counters(s->c, &c);
	return c;
}

/* Track the engine, check the position against the model's, step. */
static hsd_render_state step(rig *g, stream *s)
{
	hda_emu_stream_truth t;
	hsd_render_state st = HSD_RENDER_PLAYING;

	assert_ok(hsd_engine_track(s->eng, &s->pos));
	assert_ok(hda_emu_stream_truth_get(g->emu, s->info->descriptor, &t));
	s->link = t.link_bytes / F;
	assert_int_equal(s->pos.converter_frames, s->link);
	assert_int_equal(s->pos.dma_frames, t.dma_bytes / F);
	s->late_seen += s->pos.late;
	if (s->r)
		st = hsd_render_step(s->r, &s->pos);
	else
		hsd_capture_step(s->c, &s->pos);
	assert_int_equal(counters(s).tracker_late, s->late_seen);
	return st;
}

/* Prime the buffer from a stopped engine's snapshot, then Run. */
static void start(rig *g, stream *s)
{
	if (s->r)
		step(g, s);
	assert_ok(hsd_engine_start(s->eng));
	s->start_ns = hda_emu_now_ns(g->emu);
}

/* Advance the model until exactly `frames` frames of s have crossed the
 * link since its start: the link carries floor(elapsed * rate / 1e9)
 * frames, so the first nanosecond with that many is the ceiling. */
static void advance_to(rig *g, const stream *s, uint64_t frames)
{
	uint64_t at = s->start_ns + (frames * 1000000000u + 47999) / 48000;
	uint64_t now = hda_emu_now_ns(g->emu);

	assert_true(at >= now);
	if (at > now)
		assert_ok(hda_emu_advance(g->emu, at - now));
}

/* Model time at which frame n (from the start) has crossed the link. */
static uint64_t crossed_ns(const stream *s, uint64_t n)
{
	return s->start_ns + ((n + 1) * 1000000000u + 47999) / 48000;
}

/* One wake-up of a render stream, `periods` periods after the last: step,
 * and the write position must be exactly the latency ahead of the link.
 * On time, the frames written then are measured: frame n, written now,
 * crosses the link at crossed_ns(n) (the WAV checks show that stream
 * frame n is the n-th frame the converter played). */
static hsd_render_state wake(rig *g, stream *s, uint64_t periods)
{
	uint64_t before = counters(s).position, now, after;
	hsd_render_state st;

	advance_to(g, s, s->link + periods * period(s));
	now = hda_emu_now_ns(g->emu);
	st = step(g, s);
	after = counters(s).position;
	if (st == HSD_RENDER_PLAYING)
		assert_int_equal(after - s->link, latency(s));
	if (st == HSD_RENDER_PLAYING && periods == 1 && after > before && before > 0) {
		uint64_t oldest = crossed_ns(s, before) - now, newest = crossed_ns(s, after - 1) - now;

		if (!s->lat_min_ns || oldest < s->lat_min_ns)
			s->lat_min_ns = oldest;
		if (newest > s->lat_max_ns)
			s->lat_max_ns = newest;
	}
	return st;
}

/* Pause, and the frames played in all. */
static uint64_t finish(rig *g, stream *s)
{
	uint64_t played;

	assert_ok(hsd_engine_pause(s->eng));
	assert_ok(hda_emu_converter_frames(g->emu, s->info->path.converter, &played));
	step(g, s);
	assert_int_equal(played, s->link); /* the converter heard the link */
	return played;
}

/* The WAV holds `total` frames: the signal, with `gap` frames of silence at
 * gap_at.  After the gap the signal goes on where it stopped (an underrun:
 * nothing of the source lost) or, with `keep_time`, on its own timeline,
 * frame i being the signal's frame i (a late wake-up: the source's frames
 * for the silent slots discarded). */
static void wav_check(const char *path, uint64_t total, uint64_t gap_at, uint64_t gap,
		      bool keep_time)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	int16_t *got = malloc(total * F), want[2];

	assert_non_null(f);
	assert_non_null(got);
	assert_int_equal(info.channels, 2);
	assert_int_equal(info.frames, total);
	assert_int_equal(sf_readf_short(f, got, (sf_count_t)total), total);
	for (uint64_t i = 0; i < total; i++) {
		if (i >= gap_at && i < gap_at + gap)
			want[0] = want[1] = 0;
		else
			test_pattern(want, i < gap_at || keep_time ? i : i - gap, 1);
		if (memcmp(got + 2 * i, want, sizeof(want)))
			fail_msg("%s: frame %llu is (%d, %d), want (%d, %d)", path,
				 (unsigned long long)i, got[2 * i], got[2 * i + 1], want[0], want[1]);
	}
	sf_close(f);
	free(got);
}

static void wav_check_gap(const char *path, uint64_t total, uint64_t gap_at, uint64_t gap)
{
	wav_check(path, total, gap_at, gap, false);
}

static void wav_check_hole(const char *path, uint64_t total, uint64_t hole_at, uint64_t hole)
{
	wav_check(path, total, hole_at, hole, true);
}

/* ---- Render ------------------------------------------------------------- */

/* Render at ms for `steps` on-time wake-ups; the WAV must be the signal,
 * bit for bit, and nothing else. */
static void render_bit_exact(uint32_t ms, unsigned steps, unsigned limits)
{
	rig g;
	stream s;
	hsd_stream_counters c;
	uint64_t played;

	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, ms);
	assert_int_equal(s.info->sizing.requested_ms, ms);
	assert_int_equal(s.info->sizing.limits, limits);
	assert_int_equal(s.info->fifo_bytes, 256);
	start(&g, &s);
	for (unsigned i = 0; i < steps; i++)
		assert_int_equal(wake(&g, &s, 1), HSD_RENDER_PLAYING);
	played = finish(&g, &s);
	/* Write to link: the newest frame of a wake-up the target latency
	 * (to the nanosecond rounding of one frame), the oldest no less than
	 * a period below it. */
	print_message("%u ms: write-to-link latency %.3f..%.3f ms, target %.3f ms, period %.3f ms\n",
		      ms, s.lat_min_ns / 1e6, s.lat_max_ns / 1e6, latency(&s) / 48.0,
		      period(&s) / 48.0);
	assert_true(s.lat_max_ns <= latency(&s) * 1000000000ull / 48000 + 20834);
	assert_true(s.lat_max_ns + 20834 >= latency(&s) * 1000000000ull / 48000);
	assert_true(s.lat_min_ns + 20834 >= (latency(&s) - period(&s)) * 1000000000ull / 48000);
	c = counters(&s);
	assert_int_equal(c.underruns, 0);
	assert_int_equal(c.late_wakeups, 0);
	assert_int_equal(c.lost_frames, 0);
	assert_int_equal(c.frames, c.position); /* all of it from the source */
	assert_int_equal(played, (uint64_t)steps * period(&s));
	stream_close(&s);
	rig_close_bus(&g);
	wav_check_gap(g.wav, played, played, 0);
	rig_cleanup(&g);
}

static void render_2ms(void **state)
{
	(void)state;
	render_bit_exact(2, 1500, 0); /* 1 s in 0.667 ms wake-ups */
}

static void render_20ms(void **state)
{
	(void)state;
	render_bit_exact(20, 110, 0);
}

/* 1 ms cannot be held: 64 frames of FIFO plus a 32-frame granule, 2 ms. */
static void render_1ms_chooses_2ms(void **state)
{
	rig g;
	stream s;

	(void)state;
	render_bit_exact(1, 300, HSD_LIMIT_FIFO);
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 1);
	assert_int_equal(s.info->sizing.requested_frames, 48);
	assert_int_equal(s.info->sizing.latency_frames, 64 + 32);
	assert_int_equal(s.info->sizing.latency_us, 2000);
	stream_close(&s);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* 2000 ms: the whole lead is in the buffer; 2.5 s plays it through. */
static void render_2000ms(void **state)
{
	(void)state;
	render_bit_exact(2000, 250, 0);
}

/* The period eventfd: non-blocking, close-on-exec, and it fires. */
static void period_eventfd(void **state)
{
	rig g;
	stream s;
	hda_engine_status es;
	int fd;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	fd = s.info->event_fd;
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	start(&g, &s);
	for (unsigned i = 0; i < 10; i++)
		wake(&g, &s, 1);
	/* libhda's interrupt thread writes it: a bounded wait on a condition */
	assert_true(wait_eventfd(fd, 1, 5000) >= 1);
	assert_ok(hsd_engine_status(s.eng, &es));
	assert_true(es.buffer_completions >= 1);
	assert_int_equal(es.fifo_errors, 0);
	stream_close(&s);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* The source's frames that have crossed the link, as the step tells them
 * (taken less those still ahead of the link), against the truth of one
 * silence of `gap` frames at stream frame gap_at: the POSITION report's
 * frames_done, exact across the silence. */
static void check_played(const stream *s, uint64_t gap_at, uint64_t gap)
{
	uint64_t want = s->link <= gap_at ? s->link
			: s->link < gap_at + gap ? gap_at : s->link - gap;

	assert_int_equal(s->src.next - counters(s).skipped_frames -
				 hsd_render_source_ahead(s->r, s->link),
			 want);
}

/* The source withholds its frames for 3 wake-ups: exactly 3 periods of
 * silence play, the underrun is counted once, and afterwards the write
 * position is the target ahead again, not more. */
static void render_underrun(void **state)
{
	rig g;
	stream s;
	hsd_stream_counters c;
	uint64_t gap_at, played;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	start(&g, &s);
	for (unsigned i = 0; i < 50; i++)
		wake(&g, &s, 1);
	gap_at = s.src.next; /* stream position = signal frame, so far */
	s.src.hold = true;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(wake(&g, &s, 1), HSD_RENDER_PLAYING);
		check_played(&s, gap_at, 3 * period(&s));
	}
	assert_int_equal(counters(&s).underruns, 1);
	s.src.hold = false;
	for (unsigned i = 0; i < 50; i++) {
		wake(&g, &s, 1); /* each checks: back at the target */
		check_played(&s, gap_at, 3 * period(&s));
	}
	played = finish(&g, &s);
	c = counters(&s);
	assert_int_equal(c.underruns, 1);
	assert_int_equal(c.silence_frames, 3 * period(&s));
	assert_int_equal(c.late_wakeups, 0);
	assert_int_equal(c.position, c.frames + c.silence_frames);
	stream_close(&s);
	rig_close_bus(&g);
	wav_check_gap(g.wav, played, gap_at, c.silence_frames);
	rig_cleanup(&g);
}

/* A wake-up 3 periods late: the DMA ran past what was written by 4
 * periods plus the FIFO less the latency; those frames play as silence
 * (the step kept them zeroed), the wake-up is counted, the source's frames
 * for those slots are discarded (counted: their time had passed), and the
 * next frames are again the target ahead, each on its own time: the
 * latency does not grow by the lateness. */
static void render_late_wakeup(void **state)
{
	rig g;
	stream s;
	hsd_stream_counters c;
	uint64_t gap_at, gap, played;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	start(&g, &s);
	for (unsigned i = 0; i < 50; i++)
		wake(&g, &s, 1);
	gap_at = counters(&s).position;
	gap = 4 * period(&s) + s.info->sizing.fifo_frames - latency(&s);
	wake(&g, &s, 4);
	c = counters(&s);
	assert_int_equal(c.late_wakeups, 1);
	assert_int_equal(c.lost_frames, gap);
	assert_int_equal(c.skipped_frames, gap);
	check_played(&s, gap_at, gap);
	for (unsigned i = 0; i < 50; i++) {
		wake(&g, &s, 1);
		check_played(&s, gap_at, gap);
	}
	played = finish(&g, &s);
	c = counters(&s);
	assert_int_equal(c.late_wakeups, 1);
	assert_int_equal(c.underruns, 0);
	assert_int_equal(c.skipped_frames, gap);
	assert_int_equal(c.frames + c.lost_frames, c.position);
	/* every frame taken or skipped: the source is where the link is,
	 * a latency ahead */
	assert_int_equal(s.src.next, c.position);
	stream_close(&s);
	rig_close_bus(&g);
	wav_check_hole(g.wav, played, gap_at, gap);
	rig_cleanup(&g);
}

/* Later than the tracker allows (the DMA moved more than the buffer less
 * the FIFO): the tracker says late, the step counts it once and is back at
 * the target at once. */
static void render_very_late_wakeup(void **state)
{
	rig g;
	stream s;
	hsd_stream_counters c;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	start(&g, &s);
	for (unsigned i = 0; i < 20; i++)
		wake(&g, &s, 1);
	/* more than the whole buffer (its zeroed runway included) */
	wake(&g, &s, s.info->sizing.periods + 2);
	assert_true(s.pos.late);
	assert_int_equal(counters(&s).late_wakeups, 1);
	assert_int_equal(counters(&s).tracker_late, 1);
	for (unsigned i = 0; i < 20; i++)
		wake(&g, &s, 1);
	c = counters(&s);
	assert_int_equal(c.late_wakeups, 1);
	assert_int_equal(c.underruns, 0);
	finish(&g, &s);
	stream_close(&s);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* The source ends after 3000 frames: the step stops writing, and says
 * drained exactly once the last of them has crossed the link. */
static void render_drain(void **state)
{
	rig g;
	stream s;
	hsd_render_state st = HSD_RENDER_PLAYING;
	uint64_t played, prev_link = 0;
	unsigned n = 0;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	s.src.end = 3000;
	start(&g, &s);
	while (st != HSD_RENDER_DRAINED && n++ < 1000) {
		prev_link = s.link;
		st = wake(&g, &s, 1);
		if (st != HSD_RENDER_DRAINED)
			assert_true(s.link < 3000);
	}
	assert_int_equal(st, HSD_RENDER_DRAINED);
	assert_true(s.link >= 3000 && prev_link < 3000);
	assert_int_equal(counters(&s).frames, 3000);
	assert_int_equal(counters(&s).underruns, 0); /* an end is no underrun */
	assert_int_equal(counters(&s).late_wakeups, 0);
	wake(&g, &s, 2);
	played = finish(&g, &s);
	stream_close(&s);
	rig_close_bus(&g);
	wav_check_gap(g.wav, played, 3000, played - 3000); /* then silence */
	rig_cleanup(&g);
}

/* Stop resets the positions; a new stream starts from 0 on the same
 * engine. */
static void render_stop_restart(void **state)
{
	rig g;
	stream s;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	start(&g, &s);
	for (unsigned i = 0; i < 20; i++)
		wake(&g, &s, 1);
	assert_ok(hsd_engine_stop(s.eng));
	assert_ok(hsd_engine_track(s.eng, &s.pos));
	assert_int_equal(s.pos.converter_frames, 0);
	hsd_render_restart(s.r);
	s.src.next = 0;
	s.link = 0;
	start(&g, &s);
	for (unsigned i = 0; i < 20; i++)
		wake(&g, &s, 1);
	assert_int_equal(counters(&s).late_wakeups, 0);
	assert_int_equal(counters(&s).underruns, 0);
	stream_close(&s);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* ---- Capture through the loopback --------------------------------------- */

/* Render into line-out and capture line-in, which the emulator feeds from
 * line-out on the same device tick.  Both start at the same model instant;
 * the capture stream holds the rendered signal shifted by a fixed offset,
 * which is measured here and must be within [0, one render period]. */
static int64_t loopback_offset(const sink *k)
{
	for (uint64_t j = 0; j < k->count; j++)
		if (k->frames[2 * j + 1] != 0)
			return (int64_t)j - (int64_t)(uint16_t)k->frames[2 * j + 1];
	fail_msg("nothing but silence captured");
	return 0;
}

static void check_captured(const sink *k, uint64_t first_pos, uint64_t count,
			   int64_t off)
{
	int16_t want[2];

	for (uint64_t i = 0; i < count; i++) {
		int64_t n = (int64_t)(first_pos + i) - off;

		if (n < 0)
			want[0] = want[1] = 0;
		else
			test_pattern(want, (uint64_t)n, 1);
		if (memcmp(k->frames + 2 * (k->count - count + i), want, sizeof(want)))
			fail_msg("captured frame at %llu is (%d, %d), want (%d, %d)",
				 (unsigned long long)(first_pos + i), k->frames[2 * (k->count - count + i)],
				 k->frames[2 * (k->count - count + i) + 1], want[0], want[1]);
	}
}

static void loopback_open(rig *g, stream *out, stream *in)
{
	rig_open(g, "linein=loopback");
	stream_open(g, out, HSD_RENDER, 5);
	stream_open(g, in, HSD_CAPTURE, 5);
	step(g, out); /* prime */
	step(g, in);
	assert_ok(hsd_engine_start(out->eng));
	assert_ok(hsd_engine_start(in->eng));
	out->start_ns = in->start_ns = hda_emu_now_ns(g->emu);
}

static void capture_loopback(void **state)
{
	rig g;
	stream out, in;
	hsd_stream_counters c;
	int64_t off;

	(void)state;
	loopback_open(&g, &out, &in);
	assert_int_equal(in.info->sizing.latency_frames, 224); /* 64 + 160 */
	for (unsigned i = 0; i < 750; i++) {
		wake(&g, &out, 1);
		step(&g, &in);
		/* every frame in memory has been handed on, none twice */
		assert_int_equal(counters(&in).position, in.pos.dma_frames);
	}
	c = counters(&in);
	assert_int_equal(c.frames, in.snk.count);
	assert_int_equal(c.overruns, 0);
	assert_int_equal(c.late_wakeups, 0);
	assert_int_equal(in.snk.jumps, 0);
	off = loopback_offset(&in.snk);
	print_message("loopback offset: %lld frames\n", (long long)off);
	assert_in_range(off, 0, period(&out));
	check_captured(&in.snk, 0, in.snk.count, off);
	assert_true(in.snk.count > 47000);
	stream_close(&in);
	stream_close(&out);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* The capture step misses 12 render periods (768 frames, more than its
 * 640-frame buffer less the 160-frame guard): one overrun, the skipped
 * frames counted, and the frames after the jump exact. */
static void capture_overrun(void **state)
{
	rig g;
	stream out, in;
	hsd_stream_counters c;
	uint64_t before, lag;
	int64_t off;

	(void)state;
	loopback_open(&g, &out, &in);
	for (unsigned i = 0; i < 100; i++) {
		wake(&g, &out, 1);
		step(&g, &in);
	}
	off = loopback_offset(&in.snk);
	for (unsigned i = 0; i < 12; i++)
		wake(&g, &out, 1);
	before = counters(&in).position;
	step(&g, &in);
	c = counters(&in);
	lag = in.pos.dma_frames - before;
	assert_true(lag > in.info->sizing.buffer_frames - period(&in));
	assert_int_equal(c.overruns, 1);
	assert_int_equal(c.late_wakeups, 1);
	assert_int_equal(c.lost_frames, lag - (in.info->sizing.buffer_frames - period(&in)));
	/* and the sink was told where the frames after the jump start */
	assert_int_equal(in.snk.jumps, 1);
	assert_int_equal(in.snk.next, in.pos.dma_frames);
	check_captured(&in.snk, before + c.lost_frames, in.pos.dma_frames - before - c.lost_frames,
		       off);
	for (unsigned i = 0; i < 100; i++) {
		uint64_t p = counters(&in).position;

		wake(&g, &out, 1);
		step(&g, &in);
		check_captured(&in.snk, p, counters(&in).position - p, off);
	}
	c = counters(&in);
	assert_int_equal(c.overruns, 1);
	assert_int_equal(c.frames + c.lost_frames, c.position);
	stream_close(&in);
	stream_close(&out);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* A full sink leaves the frames in the buffer; they come at the next
 * step, in order, once. */
static void capture_sink_backpressure(void **state)
{
	rig g;
	stream out, in;
	int64_t off;

	(void)state;
	loopback_open(&g, &out, &in);
	for (unsigned i = 0; i < 50; i++) {
		wake(&g, &out, 1);
		step(&g, &in);
	}
	off = loopback_offset(&in.snk);
	in.snk.limit = in.snk.count + 10;
	wake(&g, &out, 1);
	step(&g, &in);
	assert_int_equal(counters(&in).position, in.snk.limit);
	in.snk.limit = UINT64_MAX;
	wake(&g, &out, 1);
	step(&g, &in);
	assert_int_equal(counters(&in).position, in.pos.dma_frames);
	assert_int_equal(counters(&in).overruns, 0);
	check_captured(&in.snk, 0, in.snk.count, off);
	stream_close(&in);
	stream_close(&out);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* 1 ms and 2000 ms capture streams open and say what they chose. */
static void capture_range(void **state)
{
	rig g;
	stream s;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_CAPTURE, 1);
	assert_int_equal(s.info->sizing.latency_frames, 64 + 32);
	assert_int_equal(s.info->sizing.limits, HSD_LIMIT_FIFO);
	stream_close(&s);
	stream_open(&g, &s, HSD_CAPTURE, 2000);
	assert_int_equal(s.info->sizing.latency_frames, 96000);
	assert_int_equal(s.info->sizing.limits, 0);
	stream_close(&s);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* ---- Engines ------------------------------------------------------------ */

/* One output engine, two render streams: the second gets libhda's
 * INSUFFICIENT_RESOURCES by name, and the first plays on undisturbed. */
static void no_free_engine(void **state)
{
	rig g;
	stream a;
	hsd_engine *b = NULL;
	hsd_engine_config cfg = config(HSD_RENDER, 5);
	char why[160] = "";
	hda_status st;

	(void)state;
	rig_open(&g, "oss=1");
	stream_open(&g, &a, HSD_RENDER, 5);
	start(&g, &a);
	for (unsigned i = 0; i < 10; i++)
		wake(&g, &a, 1);
	st = hsd_engine_open(g.bus, &cfg, &b, why, sizeof(why));
	assert_string_equal(hda_status_str(st), "HDA_STATUS_INSUFFICIENT_RESOURCES");
	assert_null(b);
	assert_non_null(strstr(why, "no free engine"));
	for (unsigned i = 0; i < 10; i++)
		wake(&g, &a, 1);
	assert_int_equal(counters(&a).late_wakeups, 0);
	assert_int_equal(counters(&a).underruns, 0);
	stream_close(&a);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* A failure half-way (no DMA memory for a 3 MB buffer, after the engine
 * was taken) gives everything back: the only engine opens again. */
static void failure_unwinds(void **state)
{
	rig g;
	stream s;
	hsd_engine *e = NULL;
	hsd_engine_config cfg = config(HSD_RENDER, 2000);
	char why[160] = "";

	(void)state;
	hsd_engine_close(NULL);
	hsd_render_destroy(NULL);
	hsd_capture_destroy(NULL);
	rig_open(&g, "oss=1,dma_mb=1");
	cfg.format = (hda_stream_format){48000, 32, 32, 8};
	assert_status(hsd_engine_open(g.bus, &cfg, &e, why, sizeof(why)),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_null(e);
	assert_non_null(strstr(why, "DMA buffer"));
	cfg = config(HSD_RENDER, 5);
	cfg.pin = "spdif-out";
	assert_status(hsd_engine_open(g.bus, &cfg, &e, why, sizeof(why)),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_non_null(strstr(why, "spdif-out"));
	cfg.latency_ms = 0;
	assert_status(hsd_engine_open(g.bus, &cfg, &e, why, sizeof(why)),
		      HDA_STATUS_INVALID_PARAMETER);
	stream_open(&g, &s, HSD_RENDER, 5);
	stream_close(&s);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

/* The path by node id: the line-out pin's own, or its converter's. */
static void path_by_node(void **state)
{
	rig g;
	stream s;
	hsd_engine *e;
	hsd_engine_config cfg = config(HSD_RENDER, 5);
	uint8_t pin, conv;

	(void)state;
	rig_open(&g, "");
	stream_open(&g, &s, HSD_RENDER, 5);
	pin = s.info->path.pin;
	conv = s.info->path.converter;
	stream_close(&s);
	cfg.pin = NULL;
	cfg.node = pin;
	assert_ok(hsd_engine_open(g.bus, &cfg, &e, NULL, 0));
	assert_int_equal(hsd_engine_get_info(e)->path.pin, pin);
	hsd_engine_close(e);
	cfg.node = conv;
	assert_ok(hsd_engine_open(g.bus, &cfg, &e, NULL, 0));
	assert_int_equal(hsd_engine_get_info(e)->path.converter, conv);
	hsd_engine_close(e);
	rig_close_bus(&g);
	rig_cleanup(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_2ms),
		cmocka_unit_test(render_20ms),
		cmocka_unit_test(render_1ms_chooses_2ms),
		cmocka_unit_test(render_2000ms),
		cmocka_unit_test(period_eventfd),
		cmocka_unit_test(render_underrun),
		cmocka_unit_test(render_late_wakeup),
		cmocka_unit_test(render_very_late_wakeup),
		cmocka_unit_test(render_drain),
		cmocka_unit_test(render_stop_restart),
		cmocka_unit_test(capture_loopback),
		cmocka_unit_test(capture_overrun),
		cmocka_unit_test(capture_sink_backpressure),
		cmocka_unit_test(capture_range),
		cmocka_unit_test(no_free_engine),
		cmocka_unit_test(failure_unwinds),
		cmocka_unit_test(path_by_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
