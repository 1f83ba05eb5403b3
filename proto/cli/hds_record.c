/* SPDX-License-Identifier: MIT */
/*
 * hdastream record: a capture stream into a WAV or FLAC file, in the
 * stream's format.  The file keeps the stream's timeline: frames this
 * client did not get (a jump in AUDIO's frame_index) are written as
 * silence and counted as drops, so the file's time is the converter's.
 * Whatever ends the recording (--duration, Ctrl-C, the server), the file
 * is closed properly, so its header is complete.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sndfile.h>

#include "hds.h"

#define CHUNK 4096
#define SLICE_MS 100

/* The file's major format from its extension, or 0. */
static int major_format(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && !strcasecmp(dot, ".wav"))
		return SF_FORMAT_WAV;
	if (dot && !strcasecmp(dot, ".flac"))
		return SF_FORMAT_FLAC;
	return 0;
}

static int subformat(int major, const hsp_format *f)
{
	if (f->bits == 8)
		return major == SF_FORMAT_WAV ? SF_FORMAT_PCM_U8 : SF_FORMAT_PCM_S8;
	if (f->bits == 16)
		return SF_FORMAT_PCM_16;
	if (f->bits <= 24)
		return SF_FORMAT_PCM_24;
	return SF_FORMAT_PCM_32;
}

static SNDFILE *create(const char *path, int major, const hsp_format *f, int *ex)
{
	SF_INFO info = {.samplerate = (int)f->rate, .channels = f->channels,
			.format = major | subformat(major, f)};
	SNDFILE *sf;

	if (!sf_format_check(&info)) {
		hds_error("%s: %s cannot hold %u-bit samples; try .wav", path,
			  major == SF_FORMAT_FLAC ? "FLAC" : "this format", f->bits);
		*ex = HDS_EXIT_DATA;
		return NULL;
	}
	sf = sf_open(path, SFM_WRITE, &info);
	if (!sf) {
		hds_error("cannot create %s: %s", path, sf_strerror(NULL));
		*ex = HDS_EXIT_CANTCREAT;
	}
	return sf;
}

/* drops: every frame the file got as silence, whoever lost it (the
 * server's queue for this client, or the client library's). */
static void show(hds_progress *pr, const hsc_stream_info *si,
		 const char *stream, uint64_t frames, uint64_t drops)
{
	double r = si->format.rate;

	hds_progress_show(pr, false,
			  "%s: %8.2f s  frame %llu  latency %.1f ms  underruns 0  drops %llu",
			  stream, (double)frames / r, (unsigned long long)frames,
			  si->latency_frames * 1000.0 / r,
			  (unsigned long long)drops);
}

int hds_record(const hds_args *a)
{
	hsc_open_args oa = {.name = a->stream, .direction = HSP_DIR_CAPTURE};
	int major = major_format(a->file), ex = HDS_EXIT_OK;
	uint64_t frames = 0, drops = 0, limit = UINT64_MAX, next = 0;
	bool have_next = false;
	long waited_ms = 0;
	hsc_stream_info si;
	SNDFILE *sf = NULL;
	hsc_client *c = NULL;
	hds_progress pr;
	uint8_t *buf = NULL;
	int32_t *ints = NULL;
	int rc;

	if (!major) {
		hds_error("%s: the file's extension must be .wav or .flac", a->file);
		return HDS_EXIT_USAGE;
	}
	c = hds_connect(a);
	if (!c)
		return HDS_EXIT_UNAVAILABLE;
	hds_progress_init(&pr);
	rc = hsc_open(c, &oa, &si);
	if (rc) {
		hds_error("%s", hsc_last_error(c)->text);
		ex = hds_exit_for(rc);
		goto out;
	}
	if (a->duration_s > 0)
		limit = (uint64_t)(a->duration_s * si.format.rate + 0.5);
	buf = malloc((size_t)CHUNK * si.frame_bytes);
	ints = calloc((size_t)CHUNK * si.format.channels, sizeof(*ints));
	if (!buf || !ints) {
		hds_error("out of memory");
		ex = HDS_EXIT_IOERR;
		goto close;
	}
	sf = create(a->file, major, &si.format, &ex);
	if (!sf)
		goto close;
	rc = hsc_request(c, si.id, HSP_START, -1);
	while (!rc && !hds_stop && frames < limit) {
		uint32_t want = limit - frames < CHUNK ? (uint32_t)(limit - frames) : CHUNK;
		uint64_t index;
		long n = hsc_read(c, si.id, buf, want, &index, SLICE_MS);

		if ((n == -ETIMEDOUT && (waited_ms += SLICE_MS) < a->timeout_ms) ||
		    n == -EINTR)
			continue;
		if (n < 0) {
			rc = (int)n;
			break;
		}
		waited_ms = 0;
		/* A jump: silence for what this client did not get. */
		memset(ints, 0, sizeof(*ints) * CHUNK * si.format.channels);
		while (have_next && index > next && frames < limit) {
			uint64_t gap = index - next, room = limit - frames;
			uint32_t k = (uint32_t)(gap < CHUNK ? gap : CHUNK);

			if (k > room)
				k = (uint32_t)room;
			if (sf_writef_int(sf, ints, k) != k)
				goto write_failed;
			next += k;
			frames += k;
			drops += k;
		}
		if (frames + (uint64_t)n > limit)
			n = (long)(limit - frames);
		hds_pcm_unpack(buf, &si.format, (uint32_t)n, ints);
		if (n > 0 && sf_writef_int(sf, ints, n) != n)
			goto write_failed;
		frames += (uint64_t)n;
		next = index + (uint64_t)n;
		have_next = true;
		show(&pr, &si, a->stream, frames, drops);
	}
	hds_progress_end(&pr);
	if (rc && rc != -EINTR) {
		hds_error("%s", hsc_last_error(c)->text);
		ex = hds_exit_for(rc);
	} else if (hds_stop) {
		fprintf(stderr, "hdastream: stopped by Ctrl-C\n");
	}
	goto finish;
write_failed:
	hds_progress_end(&pr);
	hds_error("writing %s: %s", a->file, sf_strerror(sf));
	ex = HDS_EXIT_IOERR;
finish:
	(void)hsc_request(c, si.id, HSP_STOP, -1);
	if (sf_close(sf)) {
		hds_error("closing %s: %s", a->file, sf_strerror(NULL));
		ex = HDS_EXIT_IOERR;
	}
	sf = NULL;
	if (ex == HDS_EXIT_OK)
		printf("hdastream: recorded %s: %llu frames (%.3f s) from stream %s at %u Hz; %llu frames dropped\n",
		       a->file, (unsigned long long)frames, (double)frames / si.format.rate,
		       a->stream, si.format.rate,
		       (unsigned long long)drops);
close:
	(void)hsc_request(c, si.id, HSP_CLOSE, -1);
out:
	free(buf);
	free(ints);
	hsc_destroy(c);
	return ex;
}
