/* SPDX-License-Identifier: MIT */
/*
 * hsd-roundtrip: the round trip through a running hdastreamd, measured.
 *
 * It opens a render stream and a capture stream (on the emulator's
 * loopback the capture hears what the render plays; bench/roundtrip.conf),
 * plays clicks, records, and times each click from when the client's
 * schedule hands it to the daemon to when it came back (the read that
 * returned it).  It prints p50, p99 and the maximum of those times, the
 * sum of the two latencies the daemon configured (OPENED's
 * latency_frames), and, from a last POSITION report of each stream, the
 * render frames dropped and underruns and the capture frames dropped, as
 * text or --json.  When the daemon runs on this host, it splits each round
 * trip where the click met the capture converter (summarize_run).
 *
 * Pacing and the clock.  With L the render latency in frames and r the
 * rate, the client sends frames 0..L-1 (silence) before START, inside the
 * credit window OPENED gave (at least 2 L: hsd_streams.c).  START primes
 * the DMA buffer with them before the engine runs (hsd_stream_run), so
 * client frame n meets the render converter at
 *
 *     t_run + n / r,        t_run = t0 + e,
 *
 * t0 the instant START left this client and e the START's trip and the
 * engine's start (a fraction of a ms, plus up to one emulator device
 * tick).  After START the client sends in real time: by t0 + t it has
 * sent at most the frames of t plus L, in 1 ms pieces, so frame n is
 * handed over at the earliest at
 *
 *     s(n) = t0 + (n - L) / r,
 *
 * the latest it may go for the daemon to take it L before its time at the
 * converter (docs/LATENCY.md, "Definition").  The clock of a click k at
 * client frame n starts at s(n), computed, not read after the write: a
 * write that returns late (this client descheduled) must not shorten the
 * figure.  So a click's time is
 *
 *     L / r + e + (the capture path: converter to this client's read),
 *
 * the round trip a client keeping exactly to its latency sees.  A client
 * later than s(n) + e underruns the daemon: silence plays, the frames that
 * follow meet the converter L after they arrived, for good (hsd_render.h),
 * and every click after that counts the lateness in full.  The report
 * prints the underruns and the silence they played, with the frames the
 * daemon dropped for its own late wake-ups (those shift nothing: a frame
 * plays on time or not at all).  This client's 1 ms pieces and its
 * wake-ups on a loaded machine do make it late by a fraction of a
 * millisecond now and then; the silence says how much that added.  Sending the first L frames only after START,
 * as this tool once did, left the priming without them: every frame then
 * met the converter L after it arrived, s(n) + 2 L / r in all, and each
 * click measured one render latency too long (45.5 ms instead of about
 * 27 at 20 ms).  Sending faster than s(n) would not change when a frame
 * plays (the priming fixed that), only let the daemon's queue grow.
 *
 * A benchmark reports figures; it fails only when it could not measure
 * (no daemon, a stream missing, clicks that never came back).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsc_client.h"

#define CLICK_LEVEL 30000     /* a click: CLICK_MS at this level on every channel */
/* A click lasts 1 ms, not one frame: a daemon late past its buffer drops
 * the frames whose time passed (hsd_render.h), and a click that lost its
 * first frames is still heard, its round trip at most this much long. */
#define CLICK_MS 1u
#define DETECT_LEVEL 15000    /* a captured sample above this is a click */
#define PIECE_MS 1u           /* pacing granularity */
/* Before the first click, after the L frames sent before START: the
 * streams settle (the emulator's loopback starts with a gap, see
 * tests/daemon/hsd_e2e.h's LEAD_FRAMES). */
#define LEAD_MS 500u
#define MAX_CLICKS 10000u

typedef struct options {
	const char *server, *render, *capture;
	unsigned render_latency_us, capture_latency_us;
	unsigned clicks, interval_ms;
	bool json;
} options;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hsd-roundtrip [--server HOST:PORT] [--render NAME] [--capture NAME]\n"
		"                     [--latency-ms MS] [--render-latency-ms MS]\n"
		"                     [--capture-latency-ms MS] [--clicks N]\n"
		"                     [--interval-ms MS] [--json]\n"
		"Plays clicks on the render stream (default playback), hears them on the\n"
		"capture stream (default loopback), and prints the round trip's p50, p99\n"
		"and maximum in ms, with the two streams' configured latencies.\n"
		"--latency-ms sets both streams' latency (OPEN's override); default: the\n"
		"streams' own.  Defaults: --clicks 50 --interval-ms 200, server %s.\n",
		HSC_DEFAULT_SERVER);
}

/* A latency in ms (fractions allowed) as OPEN's microseconds. */
static bool parse_latency(const char *v, unsigned *us)
{
	char *end;
	double ms;

	errno = 0;
	ms = strtod(v, &end);
	if (errno || *end || !(ms >= 1.0 && ms <= 2000.0))
		return false;
	*us = (unsigned)(ms * 1000.0 + 0.5);
	return true;
}

static bool parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || *v < '0' || *v > '9' || n < lo || n > hi)
		return false;
	*out = (unsigned)n;
	return true;
}

static int parse_args(int argc, char **argv, options *o)
{
	static const struct option longs[] = {
		{"server", required_argument, NULL, 's'},
		{"render", required_argument, NULL, 'r'},
		{"capture", required_argument, NULL, 'c'},
		{"latency-ms", required_argument, NULL, 'l'},
		{"render-latency-ms", required_argument, NULL, 'R'},
		{"capture-latency-ms", required_argument, NULL, 'C'},
		{"clicks", required_argument, NULL, 'n'},
		{"interval-ms", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	*o = (options){.server = HSC_DEFAULT_SERVER, .render = "playback",
		       .capture = "loopback", .clicks = 50, .interval_ms = 200};
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		bool ok = true;

		switch (ch) {
		case 's': o->server = optarg; break;
		case 'r': o->render = optarg; break;
		case 'c': o->capture = optarg; break;
		case 'l':
			ok = parse_latency(optarg, &o->render_latency_us);
			o->capture_latency_us = o->render_latency_us;
			break;
		case 'R': ok = parse_latency(optarg, &o->render_latency_us); break;
		case 'C': ok = parse_latency(optarg, &o->capture_latency_us); break;
		case 'n': ok = parse_uint(optarg, 1, MAX_CLICKS, &o->clicks); break;
		case 'i': ok = parse_uint(optarg, 20, 10000, &o->interval_ms); break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			fprintf(stderr, "hsd-roundtrip: bad value '%s' (latencies 1..2000 ms, "
				"clicks 1..%u, interval 20..10000 ms)\n", optarg, MAX_CLICKS);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hsd-roundtrip: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, unsigned n, unsigned pct)
{
	unsigned rank = (pct * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

/* A click that came back: when its schedule handed it over (s(n)), when
 * the read returned it (this host's CLOCK_MONOTONIC), and its converter
 * frame in the capture stream's timeline. */
typedef struct seen {
	uint64_t sched_ns, read_ns, cidx;
} seen;

typedef struct run {
	hsc_client *c;
	hsc_stream_info r, k;    /* render, capture */
	uint64_t *sent_ns;       /* per click: s(n) of its first frame, once sent */
	seen *back;              /* per detected click */
	bool *matched;           /* per click: it came back */
	unsigned last_sent;      /* the last click sent so far */
	unsigned detected;
	uint64_t ignore_until;   /* capture index: the tail of the last click */
	uint64_t first_click;    /* client frame of click 0 */
	uint64_t interval, click;/* frames between clicks, frames of one */
	uint64_t sent;           /* client frames sent */
	hsp_position rpos0;      /* render, before START */
	hsp_position rpos, kpos; /* the last POSITION of each stream */
	bool same_clock;         /* kpos.mono_ns is this host's clock */
} run;

static int fail(run *x, const char *what)
{
	const hsc_error *e = x->c ? hsc_last_error(x->c) : NULL;

	fprintf(stderr, "hsd-roundtrip: %s: %s\n", what, e ? e->text : "failed");
	return 1;
}

static int open_stream(run *x, const char *name, uint8_t dir, unsigned latency_us,
		       hsc_stream_info *info)
{
	hsc_open_args a = {.name = name, .direction = dir, .latency_us = latency_us};
	char what[160];

	if (hsc_open(x->c, &a, info) < 0) {
		snprintf(what, sizeof(what), "open %s", name);
		return fail(x, what);
	}
	if (info->format.container != 16) {
		fprintf(stderr, "hsd-roundtrip: stream %s is %u-bit in %u-bit containers; "
			"this tool plays 16-bit PCM only\n", name, info->format.bits,
			info->format.container);
		return 1;
	}
	return 0;
}

/* Look for clicks in captured frames starting at stream index idx. */
static void scan(run *x, const int16_t *pcm, long frames, uint64_t idx, uint64_t t,
		 unsigned clicks, uint64_t interval_frames)
{
	unsigned ch = x->k.format.channels;

	for (long i = 0; i < frames && x->detected < clicks; i++) {
		bool hit = false;

		if (idx + (uint64_t)i < x->ignore_until)
			continue;
		for (unsigned c = 0; c < ch; c++)
			if (pcm[(size_t)i * ch + c] > DETECT_LEVEL ||
			    pcm[(size_t)i * ch + c] < -DETECT_LEVEL)
				hit = true;
		if (!hit)
			continue;
		/* It is the last click sent (the interval is far longer
		 * than a round trip), unless that one came back already: a
		 * lost click must not shift the rest onto the wrong ones. */
		while (x->last_sent + 1 < clicks && x->sent_ns[x->last_sent + 1] &&
		       x->sent_ns[x->last_sent + 1] <= t)
			x->last_sent++;
		if (!x->sent_ns[x->last_sent] || x->matched[x->last_sent])
			continue;
		x->matched[x->last_sent] = true;
		x->back[x->detected] = (seen){.sched_ns = x->sent_ns[x->last_sent], .read_ns = t,
					      .cidx = idx + (uint64_t)i};
		x->detected++;
		x->ignore_until = idx + (uint64_t)i + interval_frames / 2;
	}
}

/* Send client frames [x->sent, due) in pieces of at most `piece`: silence
 * with the clicks where they fall.  Click k's clock starts at
 * t0 + (frame - L) / r (the header's s(n)), set once its first frame went. */
static int send_to(run *x, const options *o, uint64_t due, uint64_t piece, uint64_t t0)
{
	uint32_t rate = x->r.format.rate, rch = x->r.format.channels;
	uint64_t lat = x->r.latency_frames;
	int16_t out[4096 * 16];

	if (piece * rch > sizeof(out) / sizeof(out[0]) || !piece)
		piece = sizeof(out) / sizeof(out[0]) / rch;
	while (x->sent < due) {
		uint64_t n = due - x->sent < piece ? due - x->sent : piece, sent = x->sent;
		long w;

		memset(out, 0, (size_t)(n * rch * sizeof(out[0])));
		for (unsigned k = 0; k < o->clicks; k++) {
			uint64_t at = x->first_click + (uint64_t)k * x->interval;

			for (uint64_t f = at; f < at + x->click; f++)
				if (f >= sent && f < sent + n)
					for (unsigned c = 0; c < rch; c++)
						out[(f - sent) * rch + c] = CLICK_LEVEL;
		}
		w = hsc_write(x->c, x->r.id, out, (uint32_t)n, -1);
		if (w < 0)
			return fail(x, "write");
		for (unsigned k = 0; k < o->clicks; k++) {
			uint64_t at = x->first_click + (uint64_t)k * x->interval;

			/* at >= L always (first_click is past the lead), so
			 * s(at) is not before t0. */
			if (at >= sent && at < sent + (uint64_t)w)
				x->sent_ns[k] = t0 + (at - lat) * 1000000000u / rate;
		}
		x->sent += (uint64_t)w;
	}
	return 0;
}

static int measure(run *x, const options *o)
{
	uint32_t rate = x->r.format.rate;
	uint64_t lat = x->r.latency_frames, pre;
	uint64_t piece = (uint64_t)rate * PIECE_MS / 1000, t0, deadline, last_click;
	int16_t in[4096 * 16];

	x->interval = (uint64_t)rate * o->interval_ms / 1000;
	x->click = (uint64_t)rate * CLICK_MS / 1000 ? (uint64_t)rate * CLICK_MS / 1000 : 1;
	x->first_click = lat + (uint64_t)rate * LEAD_MS / 1000;
	last_click = x->first_click + (uint64_t)(o->clicks - 1) * x->interval;
	/* One render latency before START: the priming takes it (the header).
	 * The window is at least twice that; were it less, the first frames
	 * after START would come late and underrun, which the report shows. */
	pre = lat < x->r.window_frames ? lat : x->r.window_frames;
	if (send_to(x, o, pre, piece, 0))
		return 1;
	if (hsc_position(x->c, x->r.id, &x->rpos0, -1) < 0)
		return fail(x, "POSITION render");
	if (hsc_request(x->c, x->k.id, HSP_START, -1) < 0)
		return fail(x, "START capture");
	/* t0: START leaves now.  The ACK comes once the engine runs; waiting
	 * for it costs nothing, the L frames in the daemon last that long. */
	t0 = now_ns();
	if (hsc_request(x->c, x->r.id, HSP_START, -1) < 0)
		return fail(x, "START render");
	/* Every click, plus ten seconds for the last to come back. */
	deadline = t0 + (last_click * 1000000000u) / rate + 10000000000u;
	while (x->detected < o->clicks) {
		uint64_t t = now_ns(), idx;
		long got;

		if (t > deadline) {
			/* Lost clicks (an underrun or a capture drop ate
			 * them) are reported, with figures over the rest. */
			fprintf(stderr, "hsd-roundtrip: %u of %u clicks came back\n",
				x->detected, o->clicks);
			return x->detected ? 0 : 1;
		}
		/* The frames due by now plus one render latency: the most
		 * the client may have sent (frame n goes at s(n) or later). */
		if (send_to(x, o, (t - t0) * rate / 1000000000u + lat, piece, t0))
			return 1;
		got = hsc_read(x->c, x->k.id, in, (uint32_t)(sizeof(in) / sizeof(in[0]) /
							     x->k.format.channels),
			       &idx, (int)PIECE_MS);
		if (got == -ETIMEDOUT)
			continue;
		if (got < 0)
			return fail(x, "read");
		scan(x, in, got, idx, now_ns(), o->clicks, x->interval);
	}
	return 0;
}

/* The silence the render stream's underruns played during the run, in
 * frames: how much later than planned (t_run + n / r, the header) the
 * client's frames met the converter by the end, which every click after
 * an underrun carries in its figure.  link_frames - frames_done counts the
 * stream's converter frames that were not this client's (PROTOCOL.md,
 * "Timing"): before START (rpos0: the stream's count so far, none played
 * yet), underrun silence, and the slots of frames dropped for a late
 * wake-up, which are not a shift (the frames were discarded to keep
 * time), so they are taken off. */
static uint64_t underrun_frames(const run *x)
{
	uint64_t gap = x->rpos.link_frames - x->rpos.frames_done;
	uint64_t before = x->rpos0.link_frames - x->rpos0.frames_done;
	uint64_t dropped = x->rpos.frames_dropped - x->rpos0.frames_dropped;

	return gap > before + dropped ? gap - before - dropped : 0;
}

/* The streams' counters at the end of the run, both still RUNNING: render
 * frames dropped (late wake-ups) and underruns, capture frames dropped
 * (this client's queue in the daemon full).  A click that met either may
 * be late or lost; the figures say how often that happened. */
static int final_positions(run *x, const options *o)
{
	uint64_t pad = hsc_credit(x->c, x->r.id), before;

	/* The stream is kept fed while the reports are asked for: stopped
	 * here, the client's queue in the daemon would run dry within a
	 * millisecond (it keeps to its latency) and the reports would count
	 * the underrun of this end, not one of the run.  Silence up to the
	 * credit, which never waits: no click is left to send. */
	if (send_to(x, o, x->sent + pad, (uint64_t)x->r.format.rate * PIECE_MS * 20 / 1000, 0))
		return 1;
	if (hsc_position(x->c, x->r.id, &x->rpos, -1) < 0)
		return fail(x, "POSITION render");
	before = now_ns();
	if (hsc_position(x->c, x->k.id, &x->kpos, -1) < 0)
		return fail(x, "POSITION capture");
	/* The daemon's CLOCK_MONOTONIC is this one when it runs on this host:
	 * its reading then comes before the answer, and not long before the
	 * request (it is the audio thread's latest, at most a capture buffer
	 * old; a second is far more).  Another host's clock counts from its
	 * own boot. */
	x->same_clock = x->kpos.mono_ns + 1000000000u >= before && x->kpos.mono_ns <= now_ns();
	return 0;
}

typedef struct stats {
	double p50, p99, max;
} stats;

/* p50, p99 and the maximum of v[0..n), which it sorts. */
static stats summarize(double *v, unsigned n)
{
	if (!n)
		return (stats){0, 0, 0};
	qsort(v, n, sizeof(double), cmp_double);
	return (stats){percentile(v, n, 50), percentile(v, n, 99), v[n - 1]};
}

/*
 * The round trip of each click, read_ns - sched_ns, and its two parts,
 * split at the instant its first frame was captured at the converter:
 * mono(k) = t - (L - k) / r from the capture stream's last report
 * (PROTOCOL.md, "Timing"; the capture timeline has no gaps while the
 * engine runs, so one report places every frame of the run).
 *   render part:  s(n) to mono(k): L / r + e + the underrun silence played
 *                 before the click (the header), + the emulator's
 *                 line-out to line-in (its device step);
 *   capture part: mono(k) to the read: the capture latency, the chunker
 *                 and TCP.
 * The split needs the daemon's clock to be this host's (same_clock).
 */
static int summarize_run(const run *x, stats *all, stats *rpart, stats *kpart)
{
	unsigned n = x->detected ? x->detected : 1;
	double *a = malloc(sizeof(double) * n), *rp = malloc(sizeof(double) * n),
	       *kp = malloc(sizeof(double) * n);
	int rc = 1;

	if (!a || !rp || !kp)
		goto out;
	for (unsigned i = 0; i < x->detected; i++) {
		const seen *c = &x->back[i];
		hsc_frame_time ft = {0};

		a[i] = (double)(c->read_ns - c->sched_ns) / 1e6;
		(void)hsc_capture_frame_time(&x->kpos, x->k.format.rate, c->cidx, &ft);
		rp[i] = (double)(ft.mono_ns - (int64_t)c->sched_ns) / 1e6;
		kp[i] = (double)((int64_t)c->read_ns - ft.mono_ns) / 1e6;
	}
	*all = summarize(a, x->detected);
	*rpart = summarize(rp, x->detected);
	*kpart = summarize(kp, x->detected);
	rc = 0;
out:
	free(a);
	free(rp);
	free(kp);
	return rc;
}

static void report(const run *x, const options *o)
{
	double rl = (double)x->r.latency_frames * 1000.0 / x->r.format.rate;
	double kl = (double)x->k.latency_frames * 1000.0 / x->k.format.rate;
	double um = (double)underrun_frames(x) * 1000.0 / x->r.format.rate;
	/* Dropped of the frames whose time at the converter came (played or
	 * dropped): frames_sent also counts the silence still queued. */
	uint64_t due = x->rpos.frames_done + x->rpos.frames_dropped;
	double dpct = due ? 100.0 * (double)x->rpos.frames_dropped / (double)due : 0.0;
	stats all = {0, 0, 0}, rp = {0, 0, 0}, kp = {0, 0, 0};
	char split[160] = "null";

	if (summarize_run(x, &all, &rp, &kp))
		fprintf(stderr, "hsd-roundtrip: out of memory: no figures\n");
	if (o->json) {
		if (x->same_clock)
			snprintf(split, sizeof(split),
				 "{\"render_p50\": %.3f, \"render_p99\": %.3f, \"render_max\": %.3f, "
				 "\"capture_p50\": %.3f, \"capture_p99\": %.3f, \"capture_max\": %.3f}",
				 rp.p50, rp.p99, rp.max, kp.p50, kp.p99, kp.max);
		printf("{\"render\": {\"stream\": \"%s\", \"latency_ms\": %.3f, "
		       "\"frames_sent\": %" PRIu64 ", \"frames_done\": %" PRIu64 ", "
		       "\"frames_dropped\": %" PRIu64 ", \"dropped_pct\": %.2f, \"underruns\": %" PRIu64
		       ", \"underrun_silence_ms\": %.3f}, "
		       "\"capture\": {\"stream\": \"%s\", \"latency_ms\": %.3f, "
		       "\"frames_sent\": %" PRIu64 ", \"frames_dropped\": %" PRIu64 "}, "
		       "\"configured_latency_ms\": %.3f, \"clicks\": %u, \"detected\": %u, "
		       "\"round_trip_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
		       "\"split_ms\": %s}\n",
		       o->render, rl, x->rpos.frames_sent, x->rpos.frames_done,
		       x->rpos.frames_dropped, dpct, x->rpos.underruns, um, o->capture, kl,
		       x->kpos.frames_sent, x->kpos.frames_dropped, rl + kl, o->clicks,
		       x->detected, all.p50, all.p99, all.max, split);
		return;
	}
	printf("render %s: latency %.3f ms; capture %s: latency %.3f ms; configured sum %.3f ms\n",
	       o->render, rl, o->capture, kl, rl + kl);
	printf("round trip over %u of %u clicks: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       x->detected, o->clicks, all.p50, all.p99, all.max);
	if (x->same_clock)
		printf("split at the capture converter: render part p50 %.3f, p99 %.3f, max %.3f ms; "
		       "capture part p50 %.3f, p99 %.3f, max %.3f ms\n",
		       rp.p50, rp.p99, rp.max, kp.p50, kp.p99, kp.max);
	printf("render %s: %" PRIu64 " frames played, %" PRIu64 " dropped (%.1f %%), %" PRIu64
	       " underruns (%.3f ms of silence); capture %s: %" PRIu64 " frames sent, %" PRIu64
	       " dropped\n",
	       o->render, x->rpos.frames_done, x->rpos.frames_dropped, dpct, x->rpos.underruns,
	       um, o->capture, x->kpos.frames_sent, x->kpos.frames_dropped);
}

int main(int argc, char **argv)
{
	options o;
	run x = {0};
	char why[256] = "";
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : 2;
	x.sent_ns = calloc(o.clicks, sizeof(*x.sent_ns));
	x.back = calloc(o.clicks, sizeof(*x.back));
	x.matched = calloc(o.clicks, sizeof(*x.matched));
	if (!x.sent_ns || !x.back || !x.matched) {
		fprintf(stderr, "hsd-roundtrip: out of memory\n");
		rc = 1;
		goto out;
	}
	if (hsc_connect(o.server, NULL, &x.c, why, sizeof(why)) < 0) {
		fprintf(stderr, "hsd-roundtrip: %s\n", why);
		rc = 1;
		goto out;
	}
	rc = open_stream(&x, o.render, HSP_DIR_RENDER, o.render_latency_us, &x.r);
	if (!rc)
		rc = open_stream(&x, o.capture, HSP_DIR_CAPTURE, o.capture_latency_us, &x.k);
	if (!rc && x.r.format.channels > 16)
		rc = 1;
	if (!rc)
		rc = measure(&x, &o);
	if (!rc)
		rc = final_positions(&x, &o);
	if (!rc)
		report(&x, &o);
out:
	hsc_destroy(x.c);
	free(x.sent_ns);
	free(x.back);
	free(x.matched);
	return rc;
}
