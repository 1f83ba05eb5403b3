/* SPDX-License-Identifier: MIT */
/*
 * bench_ioc: how late a period's notification arrives while another thread
 * runs codec verbs without pause.  By default on the emulator with its
 * real-time clock ("emu:tick_us=100": the model steps every 100 us of
 * CLOCK_MONOTONIC, so its own quantisation stays well under the figures);
 * HDA_BENCH_URI names another controller ("qemu").
 *
 * The stream: 48 kHz, 16-bit stereo render, a buffer of two 2 ms periods
 * (384 bytes each, hda_allocate_dma_buffer_periods), so a notification is
 * due every 2 ms.  (1 ms periods would be 192 bytes, not a whole number of
 * 128-byte granules at this format.)
 *
 * Lateness of a notification = the CLOCK_MONOTONIC time it is read minus
 * the expected time of the oldest period boundary it is the first to
 * report.  A boundary is the moment the DMA side crosses a period's end:
 * for render the engine runs one FIFO ahead of the link, so boundary k is
 * due when the link has carried k * 384 - FIFO bytes, at the nominal rate
 * from the moment the link started.  A notification reports the oldest
 * boundary not yet reported, and more when IOCs merged into one interrupt
 * (see attribute()).  On the emulator the link start is the model's own, mapped
 * onto CLOCK_MONOTONIC, and merges are seen in the model's DMA byte count;
 * elsewhere the link start is the moment RUN was written, and merges are
 * inferred from the boundaries whose expected time has gone by.
 *
 * Modes: notifications on libhda's interrupt thread, and with service on
 * the caller's thread (hda_interrupt_attach; this thread polls and
 * dispatches); each under SCHED_OTHER, and under SCHED_FIFO when the
 * process may use it; and a baseline on libhda's thread with no verbs.  Benchmarks report; the exit status is 1 only when
 * an API call fails.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "hda/hda.h"
#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "teststream.h"

#define NS_PER_S 1000000000ull
#define PERIOD 384u  /* 2 ms of 48k/16/2 */
#define PERIODS 2u
#define BYTE_RATE (48000u * 4u)
#define RUN_NS (3 * NS_PER_S) /* per mode */
#define MAX_NOTES 4096u
#define RT_PRIORITY 10

typedef struct verber {
	hda_bus *bus;
	atomic_bool stop;
	uint64_t verbs;
	hda_status st;
} verber;

typedef struct result {
	uint64_t at[MAX_NOTES];      /* CLOCK_MONOTONIC of each read */
	uint64_t crossed[MAX_NOTES]; /* boundaries crossed by then */
	double late_us[MAX_NOTES];
	unsigned notes;
	uint64_t boundaries; /* reported by those notes */
	uint64_t verbs;      /* run meanwhile by the other thread */
} result;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Codec verbs without pause: one synchronous GET_PARAMETER after another,
 * each a full round trip through the CORB and the RIRB. */
static void *verber_main(void *arg)
{
	verber *v = arg;

	while (!atomic_load(&v->stop)) {
		hda_codec_transfer t = {.command = hda_verb12(0, 1, 0xF00, 0x00)};
		hda_status st = hda_transfer_codec_verbs(v->bus, 1, &t, NULL, NULL);

		if (st || !t.response.is_valid) {
			v->st = st ? st : HDA_STATUS_DEVICE_NOT_READY;
			break;
		}
		v->verbs++;
	}
	return NULL;
}

/*
 * The emulator's model time is CLOCK_MONOTONIC minus the moment it was
 * created, read at each device step.  A reading of (monotonic now - model
 * now) is that moment plus the time since the last step, so the smallest
 * of many readings is the offset.
 */
static uint64_t emu_offset(hda_emu *emu)
{
	uint64_t best = UINT64_MAX, end = test_now_ns() + 20000000ull;

	while (test_now_ns() < end) {
		uint64_t m = hda_emu_now_ns(emu), t = test_now_ns();

		if (t - m < best)
			best = t - m;
	}
	return best;
}

/* Expected CLOCK_MONOTONIC time of boundary k (1-based). */
static uint64_t boundary_ns(uint64_t t0, uint32_t fifo, uint64_t k)
{
	uint64_t mem = k * PERIOD, link = mem > fifo ? mem - fifo : 0;

	return t0 + link * NS_PER_S / BYTE_RATE;
}

/*
 * One read of the notification eventfd at time a.  crossed is how many
 * boundaries the DMA had crossed by then: from the model on the emulator,
 * else every boundary whose expected time has passed.
 */
static void note(result *r, uint64_t t0, uint32_t fifo, uint64_t a, uint64_t crossed)
{
	if (r->notes == MAX_NOTES)
		return;
	if (!crossed)
		while (boundary_ns(t0, fifo, crossed + 1) <= a)
			crossed++;
	r->at[r->notes] = a;
	r->crossed[r->notes++] = crossed;
}

/*
 * Which boundaries each read reports, and so its lateness.  Read i reports
 * the oldest boundary not yet reported, through the newest one crossed by
 * then (IOCs merge when one is raised before the last was serviced), except
 * that the newest may still be on its way as its own notification: it was
 * when the next read finds no newer boundary crossed.
 */
static void attribute(result *r, uint64_t t0, uint32_t fifo)
{
	uint64_t reported = 0;

	for (unsigned i = 0; i < r->notes; i++) {
		uint64_t first = reported + 1, last = r->crossed[i];

		if (last < first)
			last = first;
		if (last > first && i + 1 < r->notes && r->crossed[i + 1] <= last)
			last--;
		r->late_us[i] = (double)(int64_t)(r->at[i] - boundary_ns(t0, fifo, first)) / 1000.0;
		reported = last;
	}
	r->boundaries = reported;
}

static hda_status run_mode(hda_bus *bus, const hda_codec_path *path, bool caller,
			   bool rt, bool verbs, result *r)
{
	hda_emu *emu = hda_emu_from_bus(bus);
	hda_engine e;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	unsigned sd;
	uint64_t t0, end, offset;
	int nfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), sfd = -1;
	verber v = {.bus = bus};
	pthread_t th;
	bool verbing = false;
	hda_status st;

	memset(r, 0, sizeof(*r));
	if (nfd < 0)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	st = test_allocate_engine(bus, HDA_PATH_OUTPUT, &e, &conv);
	if (st)
		goto out_fd;
	st = hda_allocate_dma_buffer_periods(bus, e, PERIOD, PERIODS, &mdl, &size, &id, &fifo);
	if (!st)
		st = hda_register_notification_event(bus, e, nfd);
	if (!st)
		st = hda_codec_path_enable(bus, path, id, conv);
	if (!st && caller) {
		st = hda_interrupt_attach(bus);
		if (!st)
			st = hda_interrupt_fd(bus, &sfd);
	}
	if (!st && rt) {
		struct sched_param sp = {.sched_priority = RT_PRIORITY};

		if (caller)
			st = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp)
				     ? HDA_STATUS_ACCESS_DENIED
				     : HDA_STATUS_SUCCESS;
		else
			st = hda_set_interrupt_thread_scheduling(bus, SCHED_FIFO,
								 RT_PRIORITY);
	}
	if (!st)
		st = hda_get_engine_descriptor(bus, e, &sd);
	if (!st && verbs) {
		if (pthread_create(&th, NULL, verber_main, &v) == 0)
			verbing = true;
		else
			st = HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	if (!st)
		st = hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e);
	/* Measured before the start: notifications would pile up meanwhile
	 * (and, with nobody dispatching, merge in the hardware). */
	offset = emu ? emu_offset(emu) : 0;
	t0 = test_now_ns();
	if (!st)
		st = hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &e);
	if (!st && emu) {
		hda_emu_stream_truth truth;

		st = hda_emu_stream_truth_get(emu, sd, &truth);
		t0 = truth.start_ns + offset;
	}
	end = test_now_ns() + RUN_NS;
	while (!st && test_now_ns() < end && r->notes < MAX_NOTES) {
		struct pollfd p = {.fd = caller ? sfd : nfd, .events = POLLIN};
		uint64_t n;

		if (poll(&p, 1, 100) < 0 && errno != EINTR) {
			st = HDA_STATUS_UNSUCCESSFUL;
			break;
		}
		if (caller && (p.revents & POLLIN))
			st = hda_interrupt_dispatch(bus);
		if (read(nfd, &n, sizeof(n)) == sizeof(n)) {
			uint64_t a = test_now_ns(), crossed = 0;
			hda_emu_stream_truth truth;

			if (emu) {
				st = hda_emu_stream_truth_get(emu, sd, &truth);
				crossed = truth.dma_bytes / PERIOD;
			}
			note(r, t0, fifo, a, crossed);
		}
	}
	attribute(r, t0, fifo);
	if (verbing) {
		atomic_store(&v.stop, true);
		pthread_join(th, NULL);
		r->verbs = v.verbs;
		if (!st)
			st = v.st;
	}
	(void)hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e);
	(void)hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &e);
	(void)hda_codec_path_disable(bus, path);
	if (rt) {
		struct sched_param sp = {.sched_priority = 0};

		if (caller)
			(void)pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
		else
			(void)hda_set_interrupt_thread_scheduling(bus, SCHED_OTHER, 0);
	}
	if (caller)
		(void)hda_interrupt_detach(bus);
	(void)hda_unregister_notification_event(bus, e, nfd);
	(void)hda_free_dma_buffer_with_notification(bus, e, mdl, size);
	(void)hda_free_dma_engine(bus, e);
out_fd:
	close(nfd);
	return st;
}

static void report(const char *name, result *r)
{
	unsigned n = r->notes;

	if (n == 0) {
		printf("%-34s no notification\n", name);
		return;
	}
	qsort(r->late_us, n, sizeof(r->late_us[0]), cmp_double);
	printf("%-34s %5u notes  lateness us: min %8.1f  p50 %8.1f  p99 %8.1f  max %8.1f"
	       "  (%.2f boundaries a note, %llu verbs meanwhile)\n",
	       name, n, r->late_us[0], r->late_us[n / 2], r->late_us[(n - 1) * 99 / 100],
	       r->late_us[n - 1], (double)r->boundaries / n, (unsigned long long)r->verbs);
}

static bool rt_allowed(void)
{
	pthread_t t;
	int r = -1;

	if (pthread_create(&t, NULL, test_rt_probe, &r) != 0)
		return false;
	pthread_join(t, NULL);
	return r == 0;
}

int main(void)
{
	static const struct {
		const char *name;
		bool caller, rt, verbs;
	} modes[] = {
		/* the baseline: nobody sends verbs */
		{"ioc_libhda_thread_no_verbs", false, false, false},
		{"ioc_libhda_thread", false, false, true},
		{"ioc_caller_thread", true, false, true},
		{"ioc_libhda_thread_fifo", false, true, true},
		{"ioc_caller_thread_fifo", true, true, true},
	};
	const char *uri = getenv("HDA_BENCH_URI");
	bool rt = rt_allowed();
	result *r = malloc(sizeof(*r));
	hda_bus *bus = NULL;
	hda_codec_path path;
	hda_status st = HDA_STATUS_INSUFFICIENT_RESOURCES;
	const char *failed = "malloc";

	if (!uri || !*uri)
		uri = "emu:tick_us=100";
	if (r) {
		failed = "hda_bus_open";
		st = hda_bus_open(uri, &bus);
	}
	if (!st) {
		failed = "hda_codec_find_paths";
		/* the first output path: QEMU's codec pulls the DMA only
		 * while its converter carries the stream */
		st = test_find_path(bus, HDA_PATH_OUTPUT, TEST_ANY_DEVICE, &path);
	}
	if (!st)
		printf("# IOC lateness on %s: 48k/16/2 render, 2 x 2 ms periods, "
		       "another thread running verbs; %s\n",
		       uri, rt ? "SCHED_FIFO allowed" : "SCHED_FIFO refused, those modes left out");
	for (size_t i = 0; !st && i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (modes[i].rt && !rt)
			continue;
		failed = modes[i].name;
		st = run_mode(bus, &path, modes[i].caller, modes[i].rt, modes[i].verbs, r);
		if (!st)
			report(modes[i].name, r);
	}
	if (st)
		fprintf(stderr, "bench_ioc: %s failed: %s\n", failed, hda_status_str(st));
	hda_bus_close(bus);
	free(r);
	return st ? 1 : 0;
}
