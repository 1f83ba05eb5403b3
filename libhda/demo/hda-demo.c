/* SPDX-License-Identifier: MIT */
/*
 * hda-demo: play a WAV file or a tone through a libhda render engine.
 *
 * On the emulated controller the line-out pin feeds a WAV sink, so the demo
 * can check at the end that what reached the converter is what it sent.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hda/hda.h"
#include "hda/hda_codec.h"

typedef struct options {
	const char *uri;
	const char *controller;
	const char *input;
	const char *output;
	double tone_hz;
	double seconds;
	unsigned latency_ms; /* 0: the controller's default */
	bool quiet;
	bool verify;
} options;

typedef struct source {
	SNDFILE *file;
	unsigned channels;
	uint32_t rate;
	double tone_hz;
	uint64_t frames_total;
	uint64_t frames_done;
} source;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hda-demo [OPTIONS]\n"
		"Play a WAV file or a tone through an HD Audio render engine.\n\n"
		"  -c, --controller NAME  emu (default) or qemu; its line-out goes to --output\n"
		"  -u, --uri URI          any libhda bus URI instead (no output check)\n"
		"  -i, --input FILE       16-bit WAV file to play (default: a tone)\n"
		"  -t, --tone HZ          tone frequency when no input (default 440)\n"
		"  -s, --seconds N        tone length in seconds (default 3)\n"
		"  -o, --output FILE      WAV the emulated line-out writes (default hda-demo-out.wav)\n"
		"  -l, --latency-ms N     DMA buffer length in ms (default 20; 100 on qemu,\n"
		"                         whose codec fetches up to 8 KiB at once)\n"
		"      --no-verify        do not compare the output with the source\n"
		"  -q, --quiet            print only the summary\n"
		"  -h, --help             this help\n");
}

static int parse(int argc, char **argv, options *o)
{
	static const struct option longopts[] = {
		{"controller", required_argument, NULL, 'c'},
		{"uri", required_argument, NULL, 'u'},
		{"input", required_argument, NULL, 'i'},
		{"tone", required_argument, NULL, 't'},
		{"seconds", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"latency-ms", required_argument, NULL, 'l'},
		{"no-verify", no_argument, NULL, 'V'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	*o = (options){.controller = "emu", .output = "hda-demo-out.wav", .tone_hz = 440,
		       .seconds = 3,
		       .verify = true};
	while ((c = getopt_long(argc, argv, "c:u:i:t:s:o:l:qh", longopts, NULL)) != -1) {
		errno = 0;
		switch (c) {
		case 'c':
			if (strcmp(optarg, "emu") && strcmp(optarg, "qemu")) {
				fprintf(stderr, "hda-demo: --controller: expected emu or qemu, got '%s'\n",
					optarg);
				return -1;
			}
			o->controller = optarg;
			break;
		case 'u':
			o->uri = optarg;
			break;
		case 'i':
			o->input = optarg;
			break;
		case 't':
			o->tone_hz = strtod(optarg, &end);
			if (*end || o->tone_hz <= 0 || o->tone_hz >= 24000) {
				fprintf(stderr, "hda-demo: --tone: expected 0 < HZ < 24000, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || o->seconds <= 0 || o->seconds > 3600) {
				fprintf(stderr, "hda-demo: --seconds: expected 0 < N <= 3600, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'l':
			o->latency_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->latency_ms < 1 || o->latency_ms > 2000) {
				fprintf(stderr, "hda-demo: --latency-ms: expected 1..2000, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'V':
			o->verify = false;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hda-demo: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int source_open(const options *o, source *s)
{
	*s = (source){.channels = 2, .rate = 48000, .tone_hz = o->tone_hz};
	if (o->input) {
		SF_INFO info = {0};

		s->file = sf_open(o->input, SFM_READ, &info);
		if (!s->file) {
			fprintf(stderr, "hda-demo: %s: %s\n", o->input, sf_strerror(NULL));
			return -1;
		}
		if ((info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_16 ||
		    info.channels < 1 || info.channels > 16) {
			fprintf(stderr, "hda-demo: %s: only 16-bit PCM with 1..16 channels is supported\n",
				o->input);
			return -1;
		}
		s->channels = (unsigned)info.channels;
		s->rate = (uint32_t)info.samplerate;
		s->frames_total = (uint64_t)info.frames;
	} else {
		s->frames_total = (uint64_t)(o->seconds * s->rate);
	}
	return 0;
}

/* The n-th frame of the tone: full scale / 2, all channels alike. */
static int16_t tone_sample(const source *s, uint64_t frame)
{
	return (int16_t)lrint(16383.0 * sin(2 * M_PI * s->tone_hz * (double)frame / s->rate));
}

/* Fill `frames` frames of 16-bit samples; silence past the end. */
static void source_read(source *s, int16_t *dst, uint64_t frames)
{
	uint64_t avail = s->frames_total - s->frames_done;
	uint64_t n = frames < avail ? frames : avail;

	if (s->file) {
		n = (uint64_t)sf_readf_short(s->file, dst, (sf_count_t)n);
	} else {
		for (uint64_t f = 0; f < n; f++)
			for (unsigned c = 0; c < s->channels; c++)
				dst[f * s->channels + c] = tone_sample(s, s->frames_done + f);
	}
	memset(dst + n * s->channels, 0, (size_t)(frames - n) * s->channels * 2);
	s->frames_done += n;
}

/* Copy `bytes` of source audio into the cyclic buffer at absolute byte
 * position `pos`, wrapping at the buffer end. */
static void buffer_fill(source *s, const hda_mdl *mdl, uint64_t pos, uint64_t bytes)
{
	uint32_t frame = s->channels * 2;

	while (bytes) {
		uint64_t off = pos % mdl->byte_count;
		uint64_t run = mdl->byte_count - off < bytes ? mdl->byte_count - off : bytes;

		source_read(s, (int16_t *)((uint8_t *)mdl->base + off), run / frame);
		pos += run;
		bytes -= run;
	}
}

static int verify(const options *o, source *s)
{
	SF_INFO info = {0};
	SNDFILE *out = sf_open(o->output, SFM_READ, &info);
	int16_t got[4096], want[4096];
	uint64_t frames = 0, bad = 0;
	int rc = 0;

	if (!out) {
		fprintf(stderr, "hda-demo: verify: cannot read %s: %s\n", o->output, sf_strerror(NULL));
		return -1;
	}
	if (s->file)
		sf_seek(s->file, 0, SEEK_SET);
	s->frames_done = 0;
	while (frames < s->frames_total) {
		uint64_t chunk = 4096 / s->channels;
		sf_count_t n;

		if (chunk > s->frames_total - frames)
			chunk = s->frames_total - frames;
		n = sf_readf_short(out, got, (sf_count_t)chunk);
		if (n <= 0)
			break;
		source_read(s, want, (uint64_t)n);
		bad += memcmp(got, want, (size_t)n * s->channels * 2) != 0;
		frames += (uint64_t)n;
	}
	if (frames < s->frames_total || bad || info.channels != (int)s->channels) {
		fprintf(stderr, "hda-demo: verify FAILED: %" PRIu64 " of %" PRIu64
			" frames compared, %" PRIu64 " blocks differ\n", frames, s->frames_total, bad);
		rc = -1;
	} else {
		printf("verify: %" PRIu64 " frames in %s are bit-identical to the source\n",
		       frames, o->output);
	}
	sf_close(out);
	return rc;
}

#define CHECK(call)                                                            \
	do {                                                                   \
		hda_status st_ = (call);                                       \
		if (st_ != HDA_STATUS_SUCCESS) {                               \
			fprintf(stderr, "hda-demo: %s: %s\n", #call,           \
				hda_status_str(st_));                          \
			goto out;                                              \
		}                                                              \
	} while (0)

int main(int argc, char **argv)
{
	options o;
	source s;
	char uri[4096];
	hda_bus *bus = NULL;
	hda_engine eng = {0};
	hda_codec_path paths[16], *path = NULL;
	hda_stream_format fmt;
	hda_mdl *mdl = NULL;
	hda_position_tracker tracker;
	hda_stream_position pos;
	size_t npaths = 0, size = 0, offset;
	uint16_t conv;
	uint8_t stream_id;
	uint32_t fifo;
	uint64_t written, next_print = 0, wall0 = 0;
	int efd = -1, rc = 1;
	bool running = false, have_buffer = false, have_engine = false, qemu;
	/* Frames of silence to play after the source ends, so that buffers
	 * downstream of the link (QEMU's codec holds up to 8 KiB) reach the
	 * output before the stream stops. */
	uint64_t tail_frames;

	if (parse(argc, argv, &o) || source_open(&o, &s))
		return 2;
	qemu = !strcmp(o.controller, "qemu");
	if (!o.latency_ms)
		o.latency_ms = qemu ? 100 : 20;
	if (!o.uri) {
		/* The controller's line-out writes --output, so the demo can
		 * check what really reached the converter. */
		if (qemu)
			snprintf(uri, sizeof(uri), "qemu:wav=%s,rate=%u", o.output, s.rate);
		else
			snprintf(uri, sizeof(uri), "emu:lineout=wav:%s", o.output);
		o.uri = uri;
	}

	if (!o.quiet)
		printf("controller: %s\n", o.uri);
	{
		char why[256];
		hda_status st = hda_bus_open_ex(o.uri, &bus, why, sizeof(why));

		if (st) {
			fprintf(stderr, "hda-demo: cannot open controller '%s': %s (%s)\n", o.uri,
				why, hda_status_str(st));
			goto out;
		}
	}
	tail_frames = qemu ? s.rate / 5 : 0;
	CHECK(hda_codec_find_paths(bus, 0, paths, 16, &npaths));
	for (size_t i = 0; i < npaths && i < 16 && !path; i++)
		if (paths[i].dir == HDA_PATH_OUTPUT && paths[i].device == HDA_PIN_LINE_OUT)
			path = &paths[i];
	if (!path) {
		fprintf(stderr, "hda-demo: the codec has no line-out path\n");
		goto out;
	}
	fmt = (hda_stream_format){.sample_rate = s.rate, .valid_bits_per_sample = 16,
				  .container_size = 16, .channels = (uint16_t)s.channels};
	CHECK(hda_allocate_render_dma_engine(bus, &fmt, false, &eng, &conv));
	have_engine = true;
	CHECK(hda_allocate_dma_buffer_with_notification(
		bus, eng, 2, (size_t)s.rate * s.channels * 2 * o.latency_ms / 1000,
		&mdl, &size, &offset, &stream_id, &fifo));
	have_buffer = true;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		perror("hda-demo: eventfd");
		goto out;
	}
	CHECK(hda_register_notification_event(bus, eng, efd));
	CHECK(hda_codec_path_enable(bus, path, stream_id, conv));
	if (!o.quiet)
		printf("path: %s pin 0x%02x <- DAC 0x%02x, stream %u, format 0x%04x, "
		       "buffer %zu bytes (%.2f ms), FIFO %u bytes\n",
		       hda_pin_device_name(path->device), path->pin, path->converter,
		       stream_id, conv, size, size * 1000.0 / (s.rate * s.channels * 2), fifo);

	/* Prefill the whole cyclic buffer, then run. */
	buffer_fill(&s, mdl, 0, size);
	written = size;
	hda_position_tracker_reset(&tracker);
	CHECK(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &eng));
	CHECK(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &eng));
	running = true;

	for (;;) {
		struct pollfd p = {.fd = efd, .events = POLLIN};
		uint64_t ev;
		int n = poll(&p, 1, 1000);

		if (n == 0) {
			fprintf(stderr, "hda-demo: no interrupt from the controller for 1 s: "
					"it is hung or gone\n");
			goto out;
		}
		if (n < 0 && errno != EINTR) {
			perror("hda-demo: poll");
			goto out;
		}
		if (n > 0)
			(void)!read(efd, &ev, sizeof(ev));
		CHECK(hda_position_track(bus, eng, &tracker, &pos));
		if (!wall0)
			wall0 = pos.wall_ticks - pos.link_bytes / (s.channels * 2) * 24000000 / s.rate;
		/* Everything before the DMA position has been fetched; the
		 * buffer can take new data up to one buffer beyond it. */
		if (pos.dma_bytes + size > written) {
			buffer_fill(&s, mdl, written, pos.dma_bytes + size - written);
			written = pos.dma_bytes + size;
		}
		if (!o.quiet && pos.converter_frames >= next_print) {
			printf("link %8" PRIu64 " frames  dma %8" PRIu64 " frames  "
			       "in FIFO %3" PRIu64 " bytes  wall clock since start %9.6f s\n",
			       pos.converter_frames, pos.dma_frames,
			       pos.dma_bytes - pos.link_bytes,
			       (double)(pos.wall_ticks - wall0) / 24e6);
			next_print += s.rate / 4;
		}
		if (pos.converter_frames >= s.frames_total + tail_frames)
			break;
	}
	rc = 0;
	printf("played %" PRIu64 " frames (%.3f s) in %.3f s of controller wall clock\n",
	       s.frames_total, (double)s.frames_total / s.rate,
	       (double)(pos.wall_ticks - wall0) / 24e6);
out:
	if (running)
		(void)hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &eng);
	if (have_buffer) {
		(void)hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &eng);
		if (path)
			(void)hda_codec_path_disable(bus, path);
		(void)hda_free_dma_buffer_with_notification(bus, eng, mdl, size);
	}
	if (have_engine)
		(void)hda_free_dma_engine(bus, eng);
	hda_bus_close(bus); /* finalises the emulated line-out's WAV file */
	if (efd >= 0)
		close(efd);
	if (rc == 0 && o.verify && uri == o.uri)
		rc = verify(&o, &s) ? 1 : 0;
	if (s.file)
		sf_close(s.file);
	return rc;
}
