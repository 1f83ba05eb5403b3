/* SPDX-License-Identifier: MIT */
/*
 * hsd_sizing over the whole range: every latency from 1 to 2000 ms, for
 * several formats, FIFOs and backend floors, checked against the rules the
 * sizing promises (docs/LATENCY.md), plus the worked figures of that
 * document.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hsd_sizing.h"

typedef struct fmt_case {
	hda_stream_format f;
	uint32_t fifo;
	uint32_t backend;
	uint32_t step_ns;
} fmt_case;

static const fmt_case cases[] = {
	{{48000, 16, 16, 2}, 256, 0, 0},
	{{44100, 16, 16, 2}, 256, 0, 0},
	{{48000, 32, 32, 8}, 256, 0, 0},
	{{192000, 24, 32, 8}, 256, 0, 0}, /* 6 MiB for 2 s: past 4 MiB */
	{{8000, 8, 8, 1}, 64, 0, 0},
	{{48000, 16, 16, 2}, 256, 8192, 0}, /* QEMU's floor */
	{{48000, 16, 16, 2}, 0, 0, 0},      /* QEMU's real FIFO */
	{{96000, 24, 32, 6}, 500, 0, 0},    /* a FIFO of no whole frames */
	{{48000, 16, 16, 2}, 256, 0, 1000000}, /* the emulator's 1 ms tick */
	{{44100, 16, 16, 2}, 256, 0, 333333},  /* a tick of no whole frames */
};

static int size(hsd_direction dir, const fmt_case *c, uint32_t ms, hsd_sizing *s)
{
	hsd_sizing_request r = {
		.dir = dir,
		.latency_ms = ms,
		.format = c->f,
		.fifo_bytes = c->fifo,
		.backend_min_buffer_bytes = c->backend,
		.position_step_ns = c->step_ns,
	};

	return hsd_sizing_compute(&r, s);
}

/* The rules every sizing keeps, whatever the direction. */
static void check_common(const fmt_case *c, uint32_t ms, const hsd_sizing *s)
{
	uint32_t F = c->f.container_size / 8u * c->f.channels;

	assert_int_equal(s->frame_bytes, F);
	assert_int_equal(s->requested_ms, ms);
	assert_int_equal(s->requested_frames, ((uint64_t)ms * c->f.sample_rate + 500) / 1000);
	/* a granule is whole frames and 128 bytes, the least such */
	assert_int_equal(s->granule_frames * F % 128, 0);
	assert_true(s->granule_frames == 1 || (s->granule_frames - 1) * F % 128 != 0);
	assert_true(s->fifo_frames * F >= c->fifo && (s->fifo_frames == 0 || (s->fifo_frames - 1) * F < c->fifo));
	assert_true(s->ahead_frames >= s->fifo_frames);
	assert_true((uint64_t)s->ahead_frames * F >= c->backend);
	/* a period is whole granules; 2..256 of them; the buffer fits libhda */
	assert_true(s->period_frames >= s->granule_frames);
	assert_int_equal(s->period_frames % s->granule_frames, 0);
	assert_in_range(s->periods, 2, 256);
	assert_int_equal(s->buffer_frames, s->period_frames * s->periods);
	assert_int_equal(s->buffer_bytes, s->buffer_frames * F);
	assert_true(s->buffer_bytes <= 4u << 20);
	assert_true(s->buffer_bytes > c->fifo);
	assert_true(s->buffer_bytes > c->backend);
	/* a step is the tick's frames, rounded up */
	assert_int_equal(s->step_frames,
			 ((uint64_t)c->step_ns * c->f.sample_rate + 999999999) / 1000000000);
	/* the least latency held is the DMA's reach, a step and a granule */
	assert_true(s->latency_frames >= s->ahead_frames + s->step_frames + s->granule_frames);
	/* reported figures agree with the frames */
	assert_int_equal(s->wake_ns, ((uint64_t)s->period_frames * 1000000000 + c->f.sample_rate / 2) /
					     c->f.sample_rate);
	assert_int_equal(s->latency_us, ((uint64_t)s->latency_frames * 1000000 + c->f.sample_rate / 2) /
						c->f.sample_rate);
	/* raised only to the floor, and then exactly to it, naming why */
	if (s->requested_frames < s->ahead_frames + s->step_frames + s->granule_frames) {
		assert_true(s->limits & (HSD_LIMIT_FIFO | HSD_LIMIT_BACKEND | HSD_LIMIT_STEP));
		assert_int_equal(s->latency_frames,
				 s->ahead_frames + s->step_frames + s->granule_frames);
		assert_int_equal(!!(s->limits & HSD_LIMIT_STEP), s->step_frames > 0);
	} else {
		assert_false(s->limits & (HSD_LIMIT_FIFO | HSD_LIMIT_BACKEND | HSD_LIMIT_STEP));
	}
	if (s->requested_frames < s->ahead_frames + s->granule_frames) {
		assert_true(s->limits & (HSD_LIMIT_FIFO | HSD_LIMIT_BACKEND));
		assert_int_equal(!!(s->limits & HSD_LIMIT_BACKEND),
				 (uint64_t)s->ahead_frames > s->fifo_frames);
	} else {
		assert_false(s->limits & (HSD_LIMIT_FIFO | HSD_LIMIT_BACKEND));
	}
}

static void render_whole_range(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const fmt_case *c = &cases[k];
		uint32_t prev = 0, pcap, allow, runway, whole;

		for (uint32_t ms = 1; ms <= 2000; ms++) {
			hsd_sizing s;

			assert_int_equal(size(HSD_RENDER, c, ms, &s), 0);
			check_common(c, ms, &s);
			pcap = c->f.sample_rate / 100 / s.granule_frames * s.granule_frames;
			/* holdable: until the next wake-up a period later, the
			 * DMA (up to ahead frames past the link) stays below
			 * what was written latency frames past it */
			assert_true(s.latency_frames >=
				    s.ahead_frames + s.step_frames + s.period_frames);
			/* the lead plus a zeroed runway of a period at least,
			 * and of the late allowance (10 ms) where 256
			 * periods and 4 MiB leave room for it, not more than
			 * a period beyond the larger */
			allow = c->f.sample_rate * HSD_LATE_ALLOWANCE_MS / 1000;
			runway = s.buffer_frames - s.latency_frames;
			whole = (allow + s.period_frames - 1) / s.period_frames * s.period_frames;
			assert_true(s.buffer_frames >= s.latency_frames + s.period_frames);
			assert_true(runway < (whole > s.period_frames ? whole : s.period_frames) +
						     s.period_frames);
			if (s.periods < 256 && !(s.limits & HSD_LIMIT_BUFFER_MAX) &&
			    (uint64_t)(s.buffer_frames + s.period_frames) * s.frame_bytes <= 4u << 20)
				assert_true(runway >= allow);
			/* periods at most 10 ms, unless 256 would not cover it */
			if (s.periods < 256 && !(s.limits & HSD_LIMIT_BUFFER_MAX))
				assert_true(s.period_frames <= (pcap > s.granule_frames ? pcap : s.granule_frames));
			/* a wake-up late by a period is harmless once the
			 * latency leaves two periods over the DMA's reach */
			if (s.latency_frames >=
				    s.ahead_frames + s.step_frames + 2 * s.granule_frames &&
			    s.period_frames < pcap)
				assert_true(s.latency_frames - s.ahead_frames - s.step_frames >=
					    2 * s.period_frames);
			/* as requested unless a limit says otherwise */
			if (!s.limits)
				assert_int_equal(s.latency_frames, s.requested_frames);
			if (s.limits & HSD_LIMIT_BUFFER_MAX) {
				assert_true(s.latency_frames < s.requested_frames);
				/* the closest: another period would not fit */
				assert_true((uint64_t)(s.periods + 1) * s.period_frames * s.frame_bytes >
					    4u << 20);
			}
			assert_false(s.limits & HSD_LIMIT_GRANULE);
			assert_true(s.latency_frames >= prev); /* monotonic */
			prev = s.latency_frames;
		}
	}
}

static void capture_whole_range(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const fmt_case *c = &cases[k];
		uint32_t prev = 0;

		for (uint32_t ms = 1; ms <= 2000; ms++) {
			hsd_sizing s;
			uint32_t want;

			assert_int_equal(size(HSD_CAPTURE, c, ms, &s), 0);
			check_common(c, ms, &s);
			/* in memory at most ahead frames after the link, and
			 * handed on within the next period */
			assert_int_equal(s.latency_frames,
					 s.ahead_frames + s.step_frames + s.period_frames);
			want = s.requested_frames > s.ahead_frames + s.step_frames + s.granule_frames
				       ? s.requested_frames
				       : s.ahead_frames + s.step_frames + s.granule_frames;
			/* never above the request (or the floor), and the
			 * closest whole granule below it */
			assert_true(s.latency_frames <= want);
			if (!(s.limits & HSD_LIMIT_BUFFER_MAX)) {
				assert_true(s.latency_frames + s.granule_frames > want);
				assert_int_equal(!!(s.limits & HSD_LIMIT_GRANULE),
						 s.latency_frames != want);
			} else {
				/* the longest period of which four fit */
				assert_true((uint64_t)s.periods * (s.period_frames + s.granule_frames) *
						    s.frame_bytes > 4u << 20);
			}
			/* a period of guard, one being read, and lateness:
			 * two periods at least, and the late allowance (10 ms)
			 * where 256 periods and 4 MiB leave room */
			assert_true(s.periods >= 4);
			if (s.periods < 256 && !(s.limits & HSD_LIMIT_BUFFER_MAX) &&
			    (uint64_t)(s.buffer_frames + s.period_frames) * s.frame_bytes <= 4u << 20)
				assert_true((uint64_t)(s.periods - 2) * s.period_frames >=
					    c->f.sample_rate * HSD_LATE_ALLOWANCE_MS / 1000);
			assert_true(s.latency_frames >= prev);
			prev = s.latency_frames;
		}
	}
}

/* The worked figures of docs/LATENCY.md, 48 kHz/16-bit/stereo, 256-byte
 * FIFO: G = 32 frames, FIFO 64 frames. */
static void documented_figures(void **state)
{
	static const struct {
		uint32_t ms, latency, period, periods;
	} want[] = {
		{1, 96, 32, 18},     /* raised: 64 + 32; 15 periods of runway */
		{2, 96, 32, 18},
		{5, 240, 64, 12},
		{10, 480, 192, 6},
		{20, 960, 448, 5},
		{2000, 96000, 480, 201},
	};
	hsd_sizing s;
	char line[200];

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(size(HSD_RENDER, &cases[0], want[i].ms, &s), 0);
		assert_int_equal(s.latency_frames, want[i].latency);
		assert_int_equal(s.period_frames, want[i].period);
		assert_int_equal(s.periods, want[i].periods);
		assert_int_equal(s.limits, want[i].ms == 1 ? HSD_LIMIT_FIFO : 0);
	}
	assert_int_equal(size(HSD_RENDER, &cases[0], 1, &s), 0);
	hsd_sizing_describe(&s, line, sizeof(line));
	assert_string_equal(line, "latency 2.000 ms (requested 1 ms, raised to the FIFO plus one "
				  "granule): buffer 2304 B in 18 periods of 32 frames, FIFO 256 B");
	/* QEMU: the codec takes 8 KiB at once, 2048 frames */
	assert_int_equal(size(HSD_RENDER, &cases[5], 2, &s), 0);
	assert_int_equal(s.latency_frames, 2048 + 32);
	assert_int_equal(s.limits, HSD_LIMIT_BACKEND);
	/* 44.1 kHz: 1 ms is 44 frames, raised to 96 (2.177 ms) */
	assert_int_equal(size(HSD_RENDER, &cases[1], 1, &s), 0);
	assert_int_equal(s.requested_frames, 44);
	assert_int_equal(s.latency_us, 2177);
	/* 48 kHz/32-bit/8: 2000 ms fits in 3 MB */
	assert_int_equal(size(HSD_RENDER, &cases[2], 2000, &s), 0);
	assert_int_equal(s.latency_frames, 96000);
	assert_int_equal(s.limits, 0);
	/* capture at 5 ms: 64 + 160 frames, 4.667 ms, whole granules */
	assert_int_equal(size(HSD_CAPTURE, &cases[0], 5, &s), 0);
	assert_int_equal(s.latency_frames, 224);
	assert_int_equal(s.period_frames, 160);
	assert_int_equal(s.limits, HSD_LIMIT_GRANULE);
	/* 192 kHz/32-bit/8 at 2 s does not fit 4 MiB */
	assert_int_equal(size(HSD_RENDER, &cases[3], 2000, &s), 0);
	assert_int_equal(s.limits, HSD_LIMIT_BUFFER_MAX);
	hsd_sizing_describe(&s, line, sizeof(line));
	assert_non_null(strstr(line, "4 MiB"));
	/* The emulator's real-time clock, 48-frame ticks: 2 ms is raised to
	 * 64 + 48 + 32 frames, 3 ms; 5 ms is held. */
	assert_int_equal(size(HSD_RENDER, &cases[8], 2, &s), 0);
	assert_int_equal(s.latency_frames, 144);
	assert_int_equal(s.period_frames, 32);
	assert_int_equal(s.periods, 20);
	assert_int_equal(s.limits, HSD_LIMIT_STEP);
	hsd_sizing_describe(&s, line, sizeof(line));
	assert_string_equal(line, "latency 3.000 ms (requested 2 ms, raised: the controller's "
				  "positions move a clock tick at once): buffer 2560 B in 20 "
				  "periods of 32 frames, FIFO 256 B");
	assert_int_equal(size(HSD_RENDER, &cases[8], 5, &s), 0);
	assert_int_equal(s.latency_frames, 240);
	assert_int_equal(s.period_frames, 64);
	assert_int_equal(s.limits, 0);
	/* capture at 20 ms: 64 + 48 + 832 frames, whole granules */
	assert_int_equal(size(HSD_CAPTURE, &cases[8], 20, &s), 0);
	assert_int_equal(s.latency_frames, 944);
	assert_int_equal(s.period_frames, 832);
	assert_int_equal(s.limits, HSD_LIMIT_GRANULE);
}

/* The link of a stepped controller at t ns: whole steps only, each step's
 * frames counted from the engine's start (as the emulator counts). */
static uint64_t stepped_link(uint64_t t, uint64_t step_ns, uint64_t rate)
{
	return t / step_ns * step_ns * rate / 1000000000;
}

/*
 * Render on a controller whose positions move a tick at once (the
 * emulator's real-time clock): the audio thread wakes every period, at
 * any phase against the ticks, tops up to the link it read plus the
 * latency, and until its next wake-up the DMA side (the link of the last
 * tick plus a full FIFO) never passes what it wrote.  A sizing that left
 * the step out (2 ms: 64 + 32 frames against 48-frame ticks) fails here
 * by 16 frames a tick.
 */
static void render_holds_stepped_positions(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const fmt_case *c = &cases[k];
		uint64_t rate = c->f.sample_rate;

		if (!c->step_ns)
			continue;
		for (uint32_t ms = 1; ms <= 40; ms++) {
			hsd_sizing s;
			uint64_t wake_ns;

			assert_int_equal(size(HSD_RENDER, c, ms, &s), 0);
			wake_ns = (uint64_t)s.period_frames * 1000000000 / rate;
			for (uint64_t phase = 0; phase < c->step_ns; phase += c->step_ns / 64) {
				for (unsigned j = 0; j < 200; j++) {
					uint64_t t = phase + j * wake_ns;
					uint64_t write = stepped_link(t, c->step_ns, rate) +
							 s.latency_frames;
					uint64_t dma = stepped_link(t + wake_ns - 1, c->step_ns,
								    rate) +
						       s.ahead_frames;

					if (dma > write)
						fail_msg("%u Hz, %u ms: at %llu ns the DMA reaches "
							 "%llu, past %llu written",
							 c->f.sample_rate, ms,
							 (unsigned long long)(t + wake_ns - 1),
							 (unsigned long long)dma,
							 (unsigned long long)write);
				}
			}
		}
	}
}

static void refused(void **state)
{
	hsd_sizing s = {.latency_frames = 12345};
	fmt_case bad = cases[0];

	(void)state;
	assert_int_equal(size(HSD_RENDER, &cases[0], 0, &s), -EINVAL);
	assert_int_equal(size(HSD_RENDER, &cases[0], 2001, &s), -EINVAL);
	bad.f.container_size = 24;
	assert_int_equal(size(HSD_RENDER, &bad, 20, &s), -EINVAL);
	bad = cases[0];
	bad.f.channels = 0;
	assert_int_equal(size(HSD_CAPTURE, &bad, 20, &s), -EINVAL);
	bad = cases[0];
	bad.f.sample_rate = 0;
	assert_int_equal(size(HSD_RENDER, &bad, 20, &s), -EINVAL);
	/* a FIFO that no 4 MiB buffer outgrows */
	bad = cases[0];
	bad.fifo = 4u << 20;
	assert_int_equal(size(HSD_RENDER, &bad, 20, &s), -ERANGE);
	assert_int_equal(size(HSD_CAPTURE, &bad, 20, &s), -ERANGE);
	assert_int_equal(s.latency_frames, 12345); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_whole_range),
		cmocka_unit_test(capture_whole_range),
		cmocka_unit_test(documented_figures),
		cmocka_unit_test(render_holds_stepped_positions),
		cmocka_unit_test(refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
