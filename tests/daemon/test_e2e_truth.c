/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd end to end against the ground truth (hsd_e2e.h has the
 * helpers test_e2e.c and test_e2e_more.c share):
 *   - every POSITION a render and a capture client get agrees, to within
 *     one frame, with what the emulator inside the daemon says its engines
 *     did at that report's wall clock (its truth=PATH file, hda_emu.h);
 *   - on QEMU's intel-hda, a signal played through the daemon lands
 *     bit-exact in QEMU's WAV file.
 * Each test starts its own daemon in its own folder; the teardown kills
 * and reaps it whatever happens.  Real-time clocks throughout: the tests
 * check values and order, never speed.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sndfile.h>

#include "hda/hda_emu.h"
#include "hsd_e2e.h"

/* ---- The emulator's truth file --------------------------------------------- */

typedef struct truth_file {
	hda_emu_truth_record *rec;
	size_t n;
} truth_file;

static truth_file truth_read(const char *path)
{
	truth_file t = {0};
	hda_emu_truth_header h;
	FILE *f = fopen(path, "rb");
	long size;

	assert_non_null(f);
	assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
	assert_memory_equal(h.magic, HDA_EMU_TRUTH_MAGIC, sizeof(h.magic));
	assert_int_equal(h.version, HDA_EMU_TRUTH_VERSION);
	assert_int_equal(h.record_bytes, sizeof(hda_emu_truth_record));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= (long)sizeof(h));
	assert_true((uint64_t)size <= HDA_EMU_TRUTH_MAX_BYTES);
	t.n = ((size_t)size - sizeof(h)) / sizeof(hda_emu_truth_record);
	t.rec = malloc(t.n * sizeof(*t.rec) + 1);
	assert_non_null(t.rec);
	assert_int_equal(fseek(f, (long)sizeof(h), SEEK_SET), 0);
	assert_int_equal(fread(t.rec, sizeof(*t.rec), t.n, f), t.n);
	fclose(f);
	return t;
}

/* The engine's records (render: the output one), in order; the engine the
 * daemon ran for that direction must be a single one (a fresh run: no
 * reopen, so no s->base either, see below). */
static truth_file truth_engine(const truth_file *all, bool output)
{
	truth_file t = {.rec = malloc(all->n * sizeof(*all->rec) + 1)};
	int sd = -1;

	assert_non_null(t.rec);
	for (size_t i = 0; i < all->n; i++) {
		const hda_emu_truth_record *r = &all->rec[i];

		if (((r->flags & HDA_EMU_TRUTH_OUTPUT) != 0) != output)
			continue;
		if (sd < 0)
			sd = r->sd;
		assert_int_equal(r->sd, sd);
		assert_int_equal(r->frame_bytes, FRAME_BYTES);
		if (t.n)
			assert_true(r->wall_ticks >= t.rec[t.n - 1].wall_ticks);
		t.rec[t.n++] = *r;
	}
	assert_true(t.n > 0);
	return t;
}

/* The truth at wall clock w: the last record at or before it.  Between
 * two device steps the model stands still (emu_clock.c: WALCLK, LPIB and
 * the position buffer only change in a step), so that record is what a
 * reading of the registers at any w before the next step saw.  NULL when
 * w is before the engine's first step on the link. */
static const hda_emu_truth_record *truth_at(const truth_file *t, uint64_t w)
{
	size_t lo = 0, hi = t->n; /* first record with wall_ticks > w */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rec[mid].wall_ticks <= w)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rec[lo - 1] : NULL;
}

/* ---- Positions against the ground truth --------------------------------------- */

#define TRUTH_CONFIG                                                           \
	"[daemon]\n"                                                           \
	"controller = emu:lineout=null,linein=loopback,truth=@DIR@/truth\n"    \
	"listen = 127.0.0.1:0\n"                                               \
	"client_queue_ms = 2000\n"                                             \
	"[stream playback]\n"                                                  \
	"direction = render\n"                                                 \
	"latency_ms = 20\n"                                                   \
	"pin = line-out\n"                                                     \
	"[stream loopback]\n"                                                  \
	"direction = capture\n"                                                \
	"latency_ms = 20\n"                                                   \
	"pin = line-in\n"

#define REPORTS 1000u /* per stream: 2 s of them */
#define INTERVAL_MS 2u

typedef struct reports {
	hsp_position p[REPORTS];
	unsigned n;
} reports;

/* Keep a POSITION that carries a reading (mono_ns 0: the engine had none
 * yet). */
static void keep_position(reports *r, const hsp_msg *m, uint32_t stream)
{
	if (m->type == HSP_ERROR)
		fail_msg("ERROR %s: %s", hsp_err_name(m->u.error.code), m->u.error.text);
	if (m->type != HSP_POSITION || !m->u.position.mono_ns || r->n >= REPORTS)
		return;
	assert_int_equal(m->u.position.stream, stream);
	r->p[r->n++] = m->u.position;
}

/*
 * What the comparison compares, and at which instant.
 *
 * A POSITION is one hda_position_track result taken by the daemon's audio
 * thread (hsd_engine.c), sent as is (hsd_session_msg.c ss_position):
 *   link_frames = s->base + converter_frames, where converter_frames is the
 *                 tracker's link_bytes / frame bytes: LPIB read from the
 *                 mapped register, unwrapped across buffer wraps with the
 *                 engine's running time (libhda position.c);
 *   dma_frames  = s->base + dma_frames, the position buffer's count, the
 *                 same unwrapped link plus (render) or minus (capture)
 *                 the FIFO fill of the same snapshot;
 *   wall_ticks  = the WALCLK read by that same hda_read_position, just
 *                 before the positions, extended to 64 bits by the tracker
 *                 from its first reading on.
 * s->base is what the stream counted on engines before the current one
 * (hsd_streams.c); a fresh daemon whose streams each run one engine has
 * base 0, and the engine's tracker and the emulator's truth both count
 * from that engine's stream reset.  The tracker's 64-bit wall clock starts
 * at its first 32-bit reading, which equals the emulator's unwrapped count
 * (hda_emu_truth_record.wall_ticks) while the emulator has run for less
 * than 2^32 ticks (179 s), as a fresh daemon here has.
 *
 * The emulator changes WALCLK, LPIB and the position buffer only in device
 * steps, and records each step's truth after it.  So a reading that saw
 * WALCLK = w saw the registers of the step that stored w (the last record
 * with wall_ticks <= w), provided the step's stores did not interleave with
 * the reading: hda_read_position retries when they did (see the report).
 * Both positions are whole frames in both places, so they should agree
 * exactly; the issue allows one frame.
 */
/* How far a report may be from the truth: one frame, as the issue asks,
 * from one of two steps.  The emulator stores a step's positions and then
 * its WALCLK, as separate words, and a reading that falls between those
 * stores (the device thread preempted there, or a sanitizer's
 * instrumentation widening the window; CI saw it under ASan) sees the new
 * positions with both of its WALCLK reads still old: no two-read protocol
 * can tell, and no hardware register set is read atomically either.  Such
 * a report holds the step after the one its WALCLK names, exactly; any
 * other mismatch is an error. */
#define TRUTH_SLACK 1

static bool truth_matches(const hsp_position *p, const hda_emu_truth_record *e)
{
	return llabs((int64_t)(p->link_frames - e->link_frames)) <= TRUTH_SLACK &&
	       llabs((int64_t)(p->dma_frames - e->dma_frames)) <= TRUTH_SLACK;
}

static void check_reports(const reports *r, const truth_file *t, const char *what)
{
	unsigned worst_link = 0, worst_dma = 0, straddled = 0;

	for (unsigned i = 0; i < r->n; i++) {
		const hsp_position *p = &r->p[i];
		const hda_emu_truth_record *e = truth_at(t, p->wall_ticks);
		const hda_emu_truth_record *next;
		int64_t dl, dd;

		assert_int_equal(p->flags & HSP_POS_STALLED, 0);
		if (!e)
			fail_msg("%s report %u: wall clock %llu before the engine's first step %llu",
				 what, i, (unsigned long long)p->wall_ticks,
				 (unsigned long long)t->rec[0].wall_ticks);
		next = e + 1 < t->rec + t->n ? e + 1 : NULL;
		if (!truth_matches(p, e) && next && truth_matches(p, next)) {
			straddled++;
			e = next;
		}
		dl = (int64_t)(p->link_frames - e->link_frames);
		dd = (int64_t)(p->dma_frames - e->dma_frames);
		if (!truth_matches(p, e))
			fail_msg("%s report %u at wall clock %llu: link %llu dma %llu; the "
				 "emulator's step at %llu had link %llu dma %llu",
				 what, i, (unsigned long long)p->wall_ticks,
				 (unsigned long long)p->link_frames,
				 (unsigned long long)p->dma_frames,
				 (unsigned long long)e->wall_ticks,
				 (unsigned long long)e->link_frames,
				 (unsigned long long)e->dma_frames);
		if ((unsigned)llabs(dl) > worst_link)
			worst_link = (unsigned)llabs(dl);
		if ((unsigned)llabs(dd) > worst_dma)
			worst_dma = (unsigned)llabs(dd);
	}
	/* The reports moved: the comparison was not of a standing engine. */
	assert_true(r->p[r->n - 1].link_frames > r->p[0].link_frames + 48000 / 2);
	/* Straddles are the exception: a reading fits between the two stores
	 * only when something delays the device thread there.  Most reports
	 * must name their own step (a reader or emulator that paired every
	 * reading with the next step's positions would be a bug). */
	assert_true(straddled <= r->n / 2);
	print_message("%s: %u reports, link %llu..%llu frames, worst |report - truth| "
		      "link %u dma %u frames, %u read across a step's stores\n",
		      what, r->n, (unsigned long long)r->p[0].link_frames,
		      (unsigned long long)r->p[r->n - 1].link_frames, worst_link, worst_dma,
		      straddled);
}

static void positions_match_truth(void **state)
{
	tc_daemon *d = &daemon_;
	tc_client *rc, *cc;
	hsp_opened rop, cop;
	reports *rr = calloc(1, sizeof(*rr)), *cr = calloc(1, sizeof(*cr));
	uint64_t limit, next, deadline;
	char path[sizeof(d->dir) + 8];
	truth_file all, out, in;
	hsp_msg m;

	(void)state;
	assert_non_null(rr);
	assert_non_null(cr);
	if (!tc_daemon_start(d, TRUTH_CONFIG))
		fail_msg("hdastreamd did not come up; its log is %s", d->log);
	rc = client();
	cc = client();
	rop = open_ok(rc, "playback", INTERVAL_MS);
	cop = open_ok(cc, "loopback", INTERVAL_MS);
	assert_int_equal(rop.direction, HSP_DIR_RENDER);
	assert_int_equal(cop.direction, HSP_DIR_CAPTURE);
	limit = rop.window_frames;
	next = send_signal(rc, rop.stream, 0, UINT64_MAX, limit);
	expect_ack(rc, tc_request(rc, HSP_START, rop.stream), &limit);
	expect_ack(cc, tc_request(cc, HSP_START, cop.stream), NULL);

	/* Both clients in one thread: the render one kept fed as credit
	 * comes (audio, not underrun silence, though the positions do not
	 * depend on it), the capture one read so that its queue never
	 * fills; the reports kept.  Bounded: REPORTS at INTERVAL_MS is 2 s. */
	deadline = tc_now_ms() + 6u * TC_WAIT_MS;
	while (rr->n < REPORTS || cr->n < REPORTS) {
		int got;

		assert_true(tc_now_ms() < deadline);
		got = tc_recv(rc, &m, 2);
		assert_true(got >= 0);
		if (got) {
			if (m.type == HSP_CREDIT)
				limit = m.u.credit.limit;
			keep_position(rr, &m, rop.stream);
		}
		next = send_signal(rc, rop.stream, next, UINT64_MAX, limit);
		got = tc_recv(cc, &m, 2);
		assert_true(got >= 0);
		if (got)
			keep_position(cr, &m, cop.stream);
	}
	tc_close(rc);
	tc_close(cc);
	/* The records of every step up to the last report are in the file
	 * (each step writes its own before the next); SIGTERM closes it. */
	kill(d->pid, SIGTERM);
	assert_true(tc_daemon_wait(d, TC_WAIT_MS));
	if (!WIFEXITED(d->status) || WEXITSTATUS(d->status) != 0)
		fail_msg("hdastreamd: status 0x%x; its log is %s", d->status, d->log);

	snprintf(path, sizeof(path), "%.255s/truth", d->dir);
	all = truth_read(path);
	out = truth_engine(&all, true);
	in = truth_engine(&all, false);
	check_reports(rr, &out, "render");
	check_reports(cr, &in, "capture");
	/* The FIFO the reports give is the engine's (the truth's fill). */
	assert_int_equal(rr->p[0].dma_frames - rr->p[0].link_frames, rop.fifo_bytes / FRAME_BYTES);
	free(all.rec);
	free(out.rec);
	free(in.rec);
	free(rr);
	free(cr);
}

/* ---- QEMU: the daemon's render stream into QEMU's WAV file ---------------------- */

/* Where the test signal's frame 0 starts in pcm (its first 64 frames
 * match), or -1. */
static int64_t signal_start(const int16_t *pcm, uint64_t frames)
{
	int16_t head[64 * 2];

	test_pattern(head, 0, 64);
	for (uint64_t i = 0; i + 64 <= frames; i++)
		if (!memcmp(pcm + 2 * i, head, sizeof(head)))
			return (int64_t)i;
	return -1;
}

#define QEMU_TAIL_FRAMES 9600u /* 200 ms */

/* On QEMU's intel-hda (libhda's qemu backend, inside the daemon), a
 * signal played through the daemon's render stream is in QEMU's WAV
 * output, frame for frame, from where its first frames are found. */
static void qemu_render_lands_in_wav(void **state)
{
	tc_daemon *d = &daemon_;
	tc_client *c;
	hsp_opened op;
	char wav[sizeof(d->dir) + 8];
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *pcm, *want;
	int64_t at;

	(void)state;
	if (!qemu_available()) {
		print_message("SKIP: %s not found in PATH; install the Debian package "
			      "qemu-system-x86 to run the QEMU end-to-end test\n", QEMU_BINARY);
		skip();
	}
	/* 200 ms: QEMU needs a DMA buffer above 8 KiB (the daemon takes the
	 * closest latency it can hold), and a daemon late by more than its
	 * latency on a loaded machine would put underrun silence into the
	 * signal. */
	if (!tc_daemon_start(d, "[daemon]\n"
				"controller = qemu:wav=@DIR@/q.wav\n"
				"listen = 127.0.0.1:0\n"
				"client_queue_ms = 2000\n"
				"[stream playback]\ndirection = render\nlatency_ms = 200\n"))
		fail_msg("hdastreamd on QEMU did not come up; its log is %s", d->log);
	c = client();
	op = open_ok(c, "playback", 0);
	assert_int_equal(op.direction, HSP_DIR_RENDER);
	assert_int_equal(op.format.rate, 48000);
	assert_int_equal(op.format.channels, 2);
	assert_int_equal(op.format.bits, 16);
	/* The drain ends when the link position says the last frame
	 * crossed; QEMU's codec takes frames ahead of its audio backend
	 * (libhda hda.h: it jumps about 4 KiB ahead), so those still in it
	 * when the engine stops never reach the file.  More of the signal
	 * after the checked part (QEMU_TAIL_FRAMES) carries the checked
	 * frames through. */
	play(c, &op, LEAD_FRAMES + PLAY_FRAMES + QEMU_TAIL_FRAMES); /* returns once drained */
	tc_close(c);
	/* SIGTERM: the daemon closes the bus, QEMU exits and completes the
	 * WAV file. */
	kill(d->pid, SIGTERM);
	assert_true(tc_daemon_wait(d, TC_WAIT_MS));
	if (!WIFEXITED(d->status) || WEXITSTATUS(d->status) != 0)
		fail_msg("hdastreamd: status 0x%x; its log is %s", d->status, d->log);

	snprintf(wav, sizeof(wav), "%.255s/q.wav", d->dir);
	f = sf_open(wav, SFM_READ, &info);
	if (!f)
		fail_msg("QEMU's WAV %s: %s", wav, sf_strerror(NULL));
	assert_int_equal(info.samplerate, 48000);
	assert_int_equal(info.channels, 2);
	pcm = calloc((size_t)info.frames + 1, FRAME_BYTES);
	want = malloc(PLAY_FRAMES * FRAME_BYTES);
	assert_non_null(pcm);
	assert_non_null(want);
	assert_int_equal(sf_readf_short(f, pcm, info.frames), info.frames);
	sf_close(f);
	at = signal_start(pcm, (uint64_t)info.frames);
	if (at < 0)
		fail_msg("the signal's first 64 frames are nowhere in QEMU's WAV (%lld frames)",
			 (long long)info.frames);
	if ((uint64_t)at + PLAY_FRAMES > (uint64_t)info.frames)
		fail_msg("QEMU's WAV holds %lld frames of the signal, not %u",
			 (long long)(info.frames - at), PLAY_FRAMES);
	test_pattern(want, 0, PLAY_FRAMES);
	for (uint64_t i = 0; i < (uint64_t)PLAY_FRAMES * 2; i++)
		if (pcm[2 * at + i] != want[i])
			fail_msg("QEMU's WAV: signal frame %llu channel %llu is %d, the signal has %d",
				 (unsigned long long)(i / 2), (unsigned long long)(i % 2),
				 pcm[2 * at + i], want[i]);
	print_message("QEMU's WAV: %u frames of the signal bit-exact from frame %lld\n",
		      PLAY_FRAMES, (long long)at);
	free(pcm);
	free(want);
}

/* ---- A client that goes away while the daemon sends to it ----------------------- */

/* A capture client reset (RST: SO_LINGER 0) while AUDIO and POSITIONs
 * flow to it: the daemon's next send to it fails with EPIPE, which must be
 * an error on that connection, not a SIGPIPE that kills the daemon
 * (found by bench/hsd-roundtrip).  Several times, so that some sends meet
 * the reset before the daemon has read it. */
static void reset_client_does_not_kill_daemon(void **state)
{
	tc_daemon *d = &daemon_;
	tc_client *c;
	hsp_msg m;

	(void)state;
	if (!tc_daemon_start(d, TRUTH_CONFIG))
		fail_msg("hdastreamd did not come up; its log is %s", d->log);
	for (int i = 0; i < 20; i++) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		hsp_opened op;

		c = client();
		op = open_ok(c, "loopback", 1);
		expect_ack(c, tc_request(c, HSP_START, op.stream), NULL);
		assert_true(tc_expect(c, HSP_AUDIO, &m, TC_WAIT_MS, NULL, NULL));
		assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
		tc_close(c);
		usleep(3000 * (unsigned)(i % 4)); /* sends land before and after the reset */
		/* Read the STATUS= datagrams each client's coming and going
		 * sends: a full notify socket (10 datagrams, Linux's
		 * max_dgram_qlen) would block the daemon's loop in
		 * sd_notify, as systemd, which reads them, never lets it. */
		tc_daemon_notified(d, "X_NOT_SENT", 5);
	}
	/* Still serving: a new client is answered. */
	c = client();
	open_ok(c, "loopback", 0);
	tc_close(c);
	assert_int_equal(waitpid(d->pid, &d->status, WNOHANG), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Each starts its own daemon; the teardown reaps it. */
		cmocka_unit_test_teardown(positions_match_truth, teardown),
		cmocka_unit_test_teardown(qemu_render_lands_in_wav, teardown),
		cmocka_unit_test_teardown(reset_client_does_not_kill_daemon, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
