/* SPDX-License-Identifier: MIT */
/*
 * bench_libhda: what libhda's routines cost.  By default on the emulated
 * controller with its manual clock ("emu:clock=manual"), so that the model
 * never runs behind the benchmark's back: the emulator steps only inside
 * hda_emu_advance.  HDA_BENCH_URI names another controller ("qemu"); there
 * the counts shrink (every register access is a socket round trip) and the
 * emulator-only figures are left out.
 *
 * One line per figure: name, operations timed, mean ns per operation, and
 * the min / median / p99 of the samples.  A sample is one operation, or the
 * mean over a batch of them where a single one is too short for
 * clock_gettime to resolve.  Benchmarks report; they never fail on
 * slowness: the exit status is 1 only when an API call fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hda/hda.h"
#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "teststream.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define MAX_SAMPLES 100000u
#define VERB_BATCH 64u
#define THROUGHPUT_STEPS 100000u

typedef struct bench {
	hda_bus *bus;
	hda_emu *emu;
	hda_engine run;              /* a running render stream */
	hda_engine spare;            /* a render engine kept in Reset */
	hda_position_tracker tracker;
	hda_codec_transfer verbs[VERB_BATCH];
	double samples[MAX_SAMPLES]; /* ns per operation, one per sample */
	const char *failed;          /* the call that failed, for the report */
} bench;

/* Runs `batch` operations; any status but SUCCESS ends the benchmark. */
typedef hda_status (*bench_op)(bench *b, unsigned batch);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static hda_status op_read_position(bench *b, unsigned n)
{
	hda_position p;

	for (unsigned i = 0; i < n; i++) {
		hda_status st = hda_read_position(b->bus, b->run, &p);

		if (st)
			return st;
	}
	return HDA_STATUS_SUCCESS;
}

static hda_status op_position_track(bench *b, unsigned n)
{
	hda_stream_position p;

	for (unsigned i = 0; i < n; i++) {
		hda_status st = hda_position_track(b->bus, b->run, &b->tracker,
						   &p);

		if (st)
			return st;
	}
	return HDA_STATUS_SUCCESS;
}

/* n synchronous transfers of `count` GET_PARAMETER(vendor id) verbs to the
 * audio function group; every one must come back valid. */
static hda_status verbs(bench *b, unsigned n, size_t count)
{
	for (unsigned i = 0; i < n; i++) {
		hda_status st;

		for (size_t k = 0; k < count; k++)
			b->verbs[k].command = hda_verb12(0, 1, 0xF00, 0x00);
		st = hda_transfer_codec_verbs(b->bus, count, b->verbs, NULL,
					      NULL);
		if (st)
			return st;
		for (size_t k = 0; k < count; k++)
			if (!b->verbs[k].response.is_valid)
				return HDA_STATUS_DEVICE_NOT_READY;
	}
	return HDA_STATUS_SUCCESS;
}

static hda_status op_verb(bench *b, unsigned n)
{
	return verbs(b, n, 1);
}

static hda_status op_verb_batch(bench *b, unsigned n)
{
	return verbs(b, n, VERB_BATCH);
}

static hda_status op_alloc_free(bench *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		hda_mdl *mdl;
		size_t size;
		uint8_t id;
		uint32_t fifo;
		hda_status st;

		st = hda_allocate_dma_buffer(b->bus, b->spare, 1920, &mdl,
					     &size, &id, &fifo);
		if (!st)
			st = hda_free_dma_buffer(b->bus, b->spare);
		if (st)
			return st;
	}
	return HDA_STATUS_SUCCESS;
}

static hda_status op_advance_1ms(bench *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		hda_status st = hda_emu_advance(b->emu, NS_PER_MS);

		if (st)
			return st;
	}
	return HDA_STATUS_SUCCESS;
}

/*
 * Time `samples` samples of `batch` operations each (after one untimed
 * batch to warm caches and the allocator) and print the figure's line.
 * *total_ns gets the timed wall time.
 */
static hda_status run(bench *b, const char *name, bench_op op,
		      unsigned samples, unsigned batch, uint64_t *total_ns)
{
	uint64_t total = 0, iters;
	hda_status st;

	if (samples > MAX_SAMPLES)
		samples = MAX_SAMPLES;
	iters = (uint64_t)samples * batch;
	st = op(b, batch);
	for (unsigned i = 0; i < samples && !st; i++) {
		uint64_t t0 = test_now_ns(), dt;

		st = op(b, batch);
		dt = test_now_ns() - t0;
		total += dt;
		b->samples[i] = (double)dt / batch;
	}
	if (st) {
		b->failed = name;
		return st;
	}
	qsort(b->samples, samples, sizeof(b->samples[0]), cmp_double);
	printf("%-22s %9llu iters %11.1f ns/op   min %10.1f  median %10.1f  p99 %10.1f",
	       name, (unsigned long long)iters, (double)total / (double)iters,
	       b->samples[0], b->samples[samples / 2],
	       b->samples[(samples - 1) * 99 / 100]);
	if (batch > 1)
		printf("  (samples of %u)", batch);
	printf("\n");
	if (total_ns)
		*total_ns = total;
	return HDA_STATUS_SUCCESS;
}

/* The running stream: 10 ms of 48k/16/2 into the line-out path, so that
 * the model moves frames through the codec as a real stream does. */
static hda_status setup(bench *b)
{
	hda_codec_path out;
	size_t size;
	hda_mdl *mdl;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	hda_status st;

	st = test_path_engine(b->bus, HDA_PATH_OUTPUT, &out, &b->run, &conv);
	if (!st)
		st = hda_allocate_render_dma_engine(b->bus, &FMT_48K_16_2,
						    false, &b->spare, &conv);
	if (!st)
		st = hda_allocate_dma_buffer(b->bus, b->run, 1920, &mdl, &size,
					     &id, &fifo);
	if (!st)
		st = hda_codec_path_enable(b->bus, &out, id, conv);
	if (!st)
		st = hda_set_dma_engine_state(b->bus, HDA_STREAM_STATE_STOP, 1,
					      &b->run);
	if (!st)
		st = hda_set_dma_engine_state(b->bus, HDA_STREAM_STATE_RUN, 1,
					      &b->run);
	hda_position_tracker_reset(&b->tracker);
	return st;
}

static hda_status run_all(bench *b)
{
	hda_emu_stream_truth truth;
	uint64_t total;
	unsigned sd;
	hda_status st;

	b->failed = "setup";
	st = setup(b);
	if (st)
		return st;
	/* Off the emulator register accesses cost a socket round trip
	 * each: a fiftieth of the work keeps the run short. */
	unsigned div = b->emu ? 1 : 50;

	st = run(b, "read_position", op_read_position, 10000 / div, 1000, NULL);
	if (!st)
		st = run(b, "position_track", op_position_track, 10000 / div, 1000,
			 NULL);
	if (!st)
		st = run(b, "verb_round_trip", op_verb, 20000 / div, 1, NULL);
	if (!st)
		st = run(b, "verb_batch_64", op_verb_batch, 5000 / div, 1, NULL);
	if (!st)
		st = run(b, "dma_buffer_alloc_free", op_alloc_free, 10000 / div, 1,
			 NULL);
	if (st || !b->emu)
		return st;
	/* 100 model seconds in 1 ms steps; the stream wraps its 10 ms
	 * buffer every 10 steps. */
	st = run(b, "emu_advance_1ms", op_advance_1ms, THROUGHPUT_STEPS, 1,
		 &total);
	if (st)
		return st;
	/* A figure for a stream that stood still would flatter the model:
	 * the link must have carried every step's 48 frames. */
	b->failed = "the render stream";
	st = hda_get_engine_descriptor(b->bus, b->run, &sd);
	if (!st)
		st = hda_emu_stream_truth_get(b->emu, sd, &truth);
	if (!st && (!truth.running ||
		    truth.link_bytes < (uint64_t)THROUGHPUT_STEPS * 48 * 4))
		st = HDA_STATUS_INVALID_DEVICE_REQUEST;
	if (!st)
		printf("%-22s %9u iters %11.1f model s per wall s\n",
		       "emu_throughput", THROUGHPUT_STEPS,
		       (double)THROUGHPUT_STEPS * NS_PER_MS / (double)total);
	return st;
}

int main(void)
{
	const char *uri = getenv("HDA_BENCH_URI");
	bench *b;
	hda_status st;

	if (!uri || !*uri)
		uri = "emu:clock=manual";
	/* Large (the sample array): on the heap, not the stack. */
	b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "bench_libhda: out of memory\n");
		return 1;
	}
	b->failed = "hda_bus_open";
	st = hda_bus_open(uri, &b->bus);
	if (!st) {
		b->emu = hda_emu_from_bus(b->bus);
		printf("# libhda on %s: CLOCK_MONOTONIC, per-sample min/median/p99\n",
		       uri);
		st = run_all(b);
	}
	if (st)
		fprintf(stderr, "bench_libhda: %s failed: %s\n", b->failed,
			hda_status_str(st));
	hda_bus_close(b->bus);
	free(b);
	return st ? 1 : 0;
}
