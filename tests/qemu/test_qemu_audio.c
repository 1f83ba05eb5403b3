/* SPDX-License-Identifier: MIT */
/*
 * libhda on QEMU's intel-hda, with real audio: a 10 s render compared bit
 * for bit with what QEMU wrote, positions against what QEMU played, a
 * capture that advances in real time and reads silence, a QEMU that dies
 * or hangs mid-stream, a bus that outlives the thread that opened it, guest
 * RAM on a full filesystem, and WALCLK recalibrated while it is read.
 * These run in real time (QEMU has no manual clock here); every wait is
 * bounded by a condition, not a sleep.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hda/hda_codec.h"
#include "hda/hda_qemu.h"
#include "testaudio.h"

/* QEMU's hda codec holds up to 8 KiB between the DMA and its audio backend,
 * and the wav backend writes through a 4 KiB stdio buffer on a 2 ms timer
 * (hda-facts 7): the documented distance between the DMA position and
 * what has reached the WAV file, in 48 kHz stereo 16-bit frames. */
#define CODEC_BUFFER_FRAMES (8192 / 4)
#define WAV_STDIO_FRAMES (4096 / 4)
#define WAV_TIMER_FRAMES (2 * 96)
#define PLAYED_SLACK_FRAMES (CODEC_BUFFER_FRAMES + WAV_STDIO_FRAMES + WAV_TIMER_FRAMES)
/* Computed WALCLK against the register, beyond the calibration's measured
 * error: nanoseconds rounded to ticks at each end (10 us, generous). */
#define WALCLK_SLACK_TICKS 240u

typedef struct stream {
	hda_bus *bus;
	hda_engine e;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	int efd;
	hda_codec_path path;
	hda_position_tracker tracker;
} stream;

/* Find a path, take an engine and a buffer on a bus that is open. */
static void stream_setup(stream *s, hda_bus *bus, hda_path_dir dir, size_t bytes)
{
	memset(s, 0, sizeof(*s));
	s->bus = bus;
	assert_ok(test_path_engine(s->bus, dir, &s->path, &s->e, &s->conv));
	assert_ok(test_allocate_buffer(s->bus, s->e, 2, bytes, &s->mdl, &s->size, &s->id,
				       &s->fifo));
	s->efd = eventfd(0, EFD_CLOEXEC);
	assert_true(s->efd >= 0);
	assert_ok(hda_register_notification_event(s->bus, s->e, s->efd));
	assert_ok(hda_codec_path_enable(s->bus, &s->path, s->id, s->conv));
	hda_position_tracker_reset(&s->tracker);
	assert_ok(hda_set_dma_engine_state(s->bus, HDA_STREAM_STATE_STOP, 1, &s->e));
}

static void stream_open(stream *s, const char *uri, hda_path_dir dir, size_t bytes)
{
	hda_bus *bus;

	assert_ok(hda_bus_open(uri, &bus));
	stream_setup(s, bus, dir, bytes);
}

static void stream_close(stream *s)
{
	hda_bus_close(s->bus);
	close(s->efd);
}

/* Wait for the next notification (bounded), then read the position. */
static void next_position(stream *s, hda_stream_position *pos)
{
	if (wait_eventfd(s->efd, 1, 2000) == 0)
		fail_msg("no interrupt from QEMU's controller for 2 s");
	assert_ok(hda_position_track(s->bus, s->e, &s->tracker, pos));
}

/* Write up to one buffer beyond the DMA position; silence past `frames`. */
static void refill(stream *s, uint64_t *written, uint64_t dma_bytes, uint64_t frames)
{
	test_fill(s->mdl->base, s->size, written, dma_bytes + s->size, frames);
}

/* Start an endless render and keep it fed for `periods` notifications. */
static void play(stream *s, uint64_t *written, int periods, hda_stream_position *pos)
{
	refill(s, written, 0, UINT64_MAX);
	assert_ok(hda_set_dma_engine_state(s->bus, HDA_STREAM_STATE_RUN, 1, &s->e));
	for (int i = 0; i < periods; i++) {
		next_position(s, pos);
		refill(s, written, pos->dma_bytes, UINT64_MAX);
	}
}

static void render_10s_bit_exact(void **state)
{
	char dir[] = "/tmp/hda-qemu-test-XXXXXX", wav[128], uri[256];
	const uint64_t frames = 10 * 48000, tail = 48000 / 5;
	stream s;
	hda_stream_position pos = {0};
	uint64_t written = 0, checks = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(wav, sizeof(wav), "%s/out.wav", dir);
	snprintf(uri, sizeof(uri), "qemu:wav=%s", wav);
	/* 400 ms.  QEMU's codec fetches up to 8 KiB (43 ms) at once, and
	 * the tracker must see the position at least once per buffer: a
	 * long buffer keeps a preempted test from missing a wrap. */
	stream_open(&s, uri, HDA_PATH_OUTPUT, 76800);
	refill(&s, &written, 0, frames);
	assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	while (pos.converter_frames < frames + tail) {
		uint64_t before, after;

		/* What QEMU has played (in the WAV) is never ahead of the
		 * reported position, and behind it by no more than the codec's
		 * and the wav backend's documented buffering.  Sampling the
		 * file before and after the position keeps both bounds true
		 * however long this thread is preempted in between. */
		before = test_wav_frames_on_disk(wav);
		next_position(&s, &pos);
		after = test_wav_frames_on_disk(wav);
		if (before > pos.converter_frames ||
		    (after < pos.converter_frames &&
		     pos.converter_frames - after > PLAYED_SLACK_FRAMES))
			fail_msg("position %llu frames, QEMU played %llu..%llu",
				 (unsigned long long)pos.converter_frames,
				 (unsigned long long)before, (unsigned long long)after);
		/* WALCLK computed from CLOCK_MONOTONIC tracks the register:
		 * the register, read over the socket, lies between the
		 * values computed before and after the read, give or take
		 * the calibration's own error.  Both bounds come from the
		 * reading itself, so a preempted or slow round trip widens
		 * them instead of failing the check. */
		if (checks % 8 == 0) {
			hda_qemu_wall_clock_sample w;

			assert_ok(hda_qemu_wall_clock(s.bus, &w));
			if (!hda_qemu_wall_clock_sample_ok(&w, WALCLK_SLACK_TICKS))
				fail_msg("WALCLK register %u, computed %u..%u (calibration error %u)",
					 w.register_value, w.computed_before, w.computed_after,
					 w.calibration_error);
		}
		/* the DMA never got ahead of what was written */
		assert_true(pos.dma_bytes <= written);
		refill(&s, &written, pos.dma_bytes, frames);
		checks++;
	}
	assert_true(checks > 40); /* two notifications per 400 ms */
	assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	stream_close(&s); /* QEMU exits on SIGTERM and completes the WAV */

	test_wav_check(wav, frames, false);
	unlink(wav);
	rmdir(dir);
}

static void capture_silence_in_real_time(void **state)
{
	stream s;
	hda_stream_position first, pos;
	uint64_t t0, wall_ms, captured_ms;

	(void)state;
	stream_open(&s, "qemu", HDA_PATH_INPUT, 76800); /* 400 ms */
	memset(s.mdl->base, 0x55, s.size);
	assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_RUN, 1, &s.e));
	next_position(&s, &first);
	t0 = test_now_ms();
	do
		next_position(&s, &pos);
	while (test_now_ms() - t0 < 1000);
	captured_ms = (pos.converter_frames - first.converter_frames) * 1000 / 48000;
	wall_ms = (pos.wall_ticks - first.wall_ticks) / 24000;
	/* On this backend WALCLK is computed from CLOCK_MONOTONIC: this holds
	 * QEMU's capture (its virtual clock) against the host's clock, sampled
	 * with each position.  QEMU may be ahead by one burst (its codec moves
	 * up to 8 KiB, 43 ms, at once).  It lags by as much as its main loop
	 * stalls, which on a loaded 2-core CI machine can be a lot: half the
	 * host's time is all that is required. */
	if (captured_ms > wall_ms + 50 || captured_ms < wall_ms / 2)
		fail_msg("captured %llu ms in %llu ms of WALCLK", (unsigned long long)captured_ms,
			 (unsigned long long)wall_ms);
	/* several wraps: every byte of the buffer was written with silence */
	assert_true(pos.dma_bytes > 2 * s.size);
	for (size_t i = 0; i < s.size; i++)
		if (((uint8_t *)s.mdl->base)[i] != 0)
			fail_msg("byte %zu of the capture buffer is 0x%02x, not silence", i,
				 ((uint8_t *)s.mdl->base)[i]);
	stream_close(&s);
}

static void qemu_killed_mid_stream(void **state)
{
	stream s;
	hda_stream_position pos;
	hda_codec_transfer t = {.command = hda_verb12(0, 0, 0xF00, 0)};
	uint64_t written = 0, t0;

	(void)state;
	stream_open(&s, "qemu:timeout_ms=500", HDA_PATH_OUTPUT, 19200);
	play(&s, &written, 4, &pos);
	assert_true(hda_qemu_pid(s.bus) > 0);
	assert_int_equal(kill(hda_qemu_pid(s.bus), SIGKILL), 0);
	t0 = test_now_ms();
	/* A dead QEMU raises no interrupt: the interrupt thread's health look
	 * (every 100 ms while an engine runs) finds it and signals the
	 * registered eventfd, whose wake-up the status explains.  IOCs from
	 * before the kill may wake it first. */
	for (;;) {
		hda_engine_status es;
		uint64_t now = test_now_ms();

		assert_ok(hda_get_engine_status(s.bus, s.e, &es));
		if (es.device_gone)
			break;
		if (now - t0 >= 3000)
			fail_msg("a killed QEMU was not reported gone within 3 s");
		wait_eventfd(s.efd, 1, (int)(3000 - (now - t0)));
	}
	printf("QEMU killed: reported gone after %llu ms\n",
	       (unsigned long long)(test_now_ms() - t0));
	assert_status(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_STOP, 1, &s.e),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_status(hda_transfer_codec_verbs(s.bus, 1, &t, NULL, NULL),
		      HDA_STATUS_DEVICE_NOT_READY);
	/* bounded: a closed socket is noticed at once, far below the 500 ms
	 * a silent QEMU would be given */
	assert_true(test_now_ms() - t0 < 2000);
	stream_close(&s); /* nothing leaks (ASan), no process is left */
}

static void qemu_hung_mid_stream(void **state)
{
	stream s;
	hda_stream_position pos;
	uint64_t written = 0, t0, took;
	pid_t pid;

	(void)state;
	stream_open(&s, "qemu:timeout_ms=300", HDA_PATH_OUTPUT, 19200);
	play(&s, &written, 1, &pos);
	pid = hda_qemu_pid(s.bus);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	t0 = test_now_ms();
	assert_status(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_STOP, 1, &s.e),
		      HDA_STATUS_DEVICE_NOT_READY);
	took = test_now_ms() - t0;
	/* one register access waited its 300 ms; then the device is gone */
	assert_true(took >= 250 && took < 5000);
	stream_close(&s); /* kills the stopped QEMU */
	assert_int_equal(kill(pid, 0), -1);
}

/* The bus belongs to the process, not to the thread that opened it: QEMU
 * must survive that thread's exit (a parent-death signal tied to the
 * opening thread would kill it then). */
typedef struct open_job {
	hda_bus *bus;
	hda_status st;
} open_job;

static void *open_qemu_bus(void *arg)
{
	open_job *job = arg;

	job->st = hda_bus_open("qemu", &job->bus);
	return NULL;
}

static void bus_outlives_the_opening_thread(void **state)
{
	open_job job = {0};
	hda_codec_transfer t = {.command = hda_verb12(0, 0, 0xF00, 0)};
	hda_stream_position pos;
	uint64_t written = 0;
	pthread_t thread;
	stream s;

	(void)state;
	assert_int_equal(pthread_create(&thread, NULL, open_qemu_bus, &job), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_ok(job.st);
	stream_setup(&s, job.bus, HDA_PATH_OUTPUT, 19200);
	/* 6 notifications take 300 ms: far longer than a signal sent at the
	 * thread's exit needs to land */
	play(&s, &written, 6, &pos);
	assert_ok(hda_transfer_codec_verbs(s.bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
	assert_int_equal(t.response.response >> 16, 0x1af4);
	assert_ok(hda_set_dma_engine_state(s.bus, HDA_STREAM_STATE_STOP, 1, &s.e));
	stream_close(&s);
}

/*
 * In a child, with its own mount namespace: guest RAM goes to an 8 MiB
 * tmpfs while the DMA pool of the smallest guest is 32 MiB.  The open must
 * fail and say why; a backend that opened anyway would kill the process
 * with SIGBUS once DMA memory beyond 8 MiB is touched, so the child touches
 * 12 MiB.  Exit 0 when the open failed as it should, 77 when no tmpfs
 * could be mounted.
 */
static int open_on_a_full_filesystem(const char *dir)
{
	hda_bus *bus = NULL;
	hda_engine e;
	hda_mdl *mdl;
	char why[256];
	size_t size;
	uint32_t fifo;
	uint16_t conv;
	uint8_t id;
	hda_status st;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=8m")) {
		printf("SKIP: cannot mount an 8 MiB tmpfs on %s (%s): mounting needs root\n",
		       dir, strerror(errno));
		return 77;
	}
	setenv("TMPDIR", dir, 1);
	st = hda_bus_open_ex("qemu:mem_mb=64", &bus, why, sizeof(why));
	if (st == HDA_STATUS_INSUFFICIENT_RESOURCES && strstr(why, dir) &&
	    strstr(why, "No space"))
		return 0;
	if (st) {
		printf("open on a full filesystem: %s: %s\n", hda_status_str(st), why);
		return 1;
	}
	for (int i = 0; i < 3; i++)
		if (hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv) ||
		    hda_allocate_dma_buffer(bus, e, 4 << 20, &mdl, &size, &id, &fifo) ||
		    memset(mdl->base, 0x55, size) != mdl->base)
			break;
	printf("open on an 8 MiB filesystem succeeded, and so did touching 12 MiB of DMA memory\n");
	hda_bus_close(bus);
	return 1;
}

static void guest_ram_on_a_full_filesystem(void **state)
{
	char dir[] = "/tmp/hda-qemu-test-XXXXXX";
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGBUS to fail a test and go on to the next:
		 * here the parent is to see it */
		signal(SIGBUS, SIG_DFL);
		status = open_on_a_full_filesystem(dir);
		fflush(stdout);
		_exit(status);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(dir);
	if (WIFSIGNALED(status))
		fail_msg("with guest RAM on a full filesystem the process died of %s",
			 strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Recalibrating WALCLK while another thread reads positions: every value
 * read is sane, never more than 1 ms behind the previous one and never
 * ahead of it by more than the time between the two reads plus 1 ms (a new
 * calibration may move the clock by its error, tens of microseconds).  That
 * the reader cannot be made to wait is by construction (one atomic word),
 * not tested.
 */
typedef struct recalibration {
	hda_bus *bus;
	int rounds;
	atomic_bool done;
	hda_status st;
} recalibration;

static void *recalibrate(void *arg)
{
	recalibration *r = arg;

	for (int i = 0; i < r->rounds && !r->st; i++)
		r->st = hda_qemu_calibrate_wall_clock(r->bus);
	atomic_store(&r->done, true);
	return NULL;
}

static void wall_clock_while_recalibrating(void **state)
{
	recalibration r = {.rounds = 200};
	hda_position p;
	uint64_t reads = 0, prev_before = 0, bad_ns = 0;
	uint32_t prev = 0, bad = 0;
	hda_qemu_wall_clock_sample w = {0};
	hda_status st = HDA_STATUS_SUCCESS;
	bool insane = false;
	pthread_t thread;
	stream s;

	(void)state;
	stream_open(&s, "qemu", HDA_PATH_OUTPUT, 19200);
	r.bus = s.bus;
	assert_int_equal(pthread_create(&thread, NULL, recalibrate, &r), 0);
	/* On a failure, stop reading but still join and close the bus. */
	while (!atomic_load(&r.done) && !st && !insane) {
		/* the clock was read somewhere between before and after */
		uint64_t before = test_now_ns(), after;
		int32_t step;

		st = hda_read_position(s.bus, s.e, &p);
		after = test_now_ns();
		step = (int32_t)(p.wall_clock - prev);
		insane = reads && (step < -24000 ||
				   step > (int64_t)((after - prev_before) * 3 / 125) + 24000);
		bad = prev;
		bad_ns = after - prev_before;
		prev = p.wall_clock;
		prev_before = before;
		reads++;
	}
	assert_int_equal(pthread_join(thread, NULL), 0);
	/* and the last calibration still tracks the register */
	if (!st)
		st = hda_qemu_wall_clock(s.bus, &w);
	stream_close(&s);
	assert_ok(st);
	assert_ok(r.st);
	if (insane)
		fail_msg("WALCLK went from %u to %u in at most %llu ns", bad, prev,
			 (unsigned long long)bad_ns);
	assert_true(reads > 1000);
	if (!hda_qemu_wall_clock_sample_ok(&w, WALCLK_SLACK_TICKS))
		fail_msg("WALCLK register %u, computed %u..%u (calibration error %u)",
			 w.register_value, w.computed_before, w.computed_after,
			 w.calibration_error);
}

/* Start-up failures say what went wrong. */
static void startup_errors(void **state)
{
	hda_bus *bus = NULL;
	char why[256];

	(void)state;
	assert_status(hda_bus_open_ex("qemu:qemu=/nonexistent/qemu", &bus, why, sizeof(why)),
		      HDA_STATUS_DEVICE_NOT_READY);
	assert_non_null(strstr(why, "qemu-system-x86"));
	/* A QEMU that refuses to start: its own last words come back */
	{
		char dir[] = "/tmp/hda-qemu-test-XXXXXX", fake[128], uri[192];
		FILE *f;

		assert_non_null(mkdtemp(dir));
		snprintf(fake, sizeof(fake), "%s/qemu", dir);
		f = fopen(fake, "w");
		assert_non_null(f);
		fputs("#!/bin/sh\necho 'qemu-system-x86_64: -machine: no such machine' >&2\nexit 1\n", f);
		fclose(f);
		assert_int_equal(chmod(fake, 0700), 0);
		snprintf(uri, sizeof(uri), "qemu:qemu=%s", fake);
		assert_status(hda_bus_open_ex(uri, &bus, why, sizeof(why)),
			      HDA_STATUS_DEVICE_NOT_READY);
		assert_non_null(strstr(why, "no such machine"));
		unlink(fake);
		rmdir(dir);
	}
	/* a WAV file QEMU could not create: caught here, not lost audio */
	assert_status(hda_bus_open_ex("qemu:wav=/nonexistent/dir/x.wav", &bus, why,
				      sizeof(why)),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_non_null(strstr(why, "/nonexistent/dir/x.wav"));
	assert_non_null(strstr(why, strerror(ENOENT)));
	assert_status(hda_bus_open_ex("qemu:codec=loud", &bus, why, sizeof(why)),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_non_null(strstr(why, "'codec'"));
	assert_null(bus);
}

/* hda-output has a DAC and an output pin only: discovery finds exactly
 * that, and the render path works. */
static void output_only_codec(void **state)
{
	hda_bus *bus;
	hda_codec_path paths[8];
	size_t n;

	(void)state;
	assert_ok(hda_bus_open("qemu:codec=output", &bus));
	assert_ok(hda_codec_find_paths(bus, 0, paths, 8, &n));
	assert_int_equal(n, 1);
	assert_int_equal(paths[0].dir, HDA_PATH_OUTPUT);
	hda_bus_close(bus);
}

/* On the pc machine the interrupt reaches the I/O APIC through PIIX3's
 * PIRQ routing, which the backend programs: notifications must arrive. */
static void pc_machine_interrupts(void **state)
{
	stream s;
	hda_stream_position pos;
	uint64_t written = 0;

	(void)state;
	stream_open(&s, "qemu:machine=pc", HDA_PATH_OUTPUT, 19200);
	play(&s, &written, 6, &pos);
	assert_true(pos.converter_frames > 0);
	stream_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_10s_bit_exact),
		cmocka_unit_test(capture_silence_in_real_time),
		cmocka_unit_test(qemu_killed_mid_stream),
		cmocka_unit_test(qemu_hung_mid_stream),
		cmocka_unit_test(startup_errors),
		cmocka_unit_test(output_only_codec),
		cmocka_unit_test(pc_machine_interrupts),
		cmocka_unit_test(bus_outlives_the_opening_thread),
		cmocka_unit_test(guest_ram_on_a_full_filesystem),
		cmocka_unit_test(wall_clock_while_recalibrating),
	};

	skip_without_qemu("qemu");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
