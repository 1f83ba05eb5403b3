/* SPDX-License-Identifier: MIT */
/*
 * The file play sends: read with libsndfile, mixed to the stream's channel
 * count, resampled to its rate with libsamplerate, packed into its format.
 *
 * Two paths.  Without resampling an integer file is read as 32-bit
 * integers, so that a file in the stream's own depth arrives bit for bit.
 * With resampling (or a floating-point file) it is read as float, runs
 * through the resampler, and is rounded to integers with clipping.  Mixing
 * happens on the integers at the stream's rate, after the resampler, so
 * that the resampler works on the file's channels (mono costs half).
 */
#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "hds.h"

#define CHUNK 4096 /* frames per read from the file */
#define MAX_CH 16

struct hds_source {
	SNDFILE *sf;
	SF_INFO info;
	const char *path;
	hsp_format fmt; /* the stream's */
	SRC_STATE *src;
	bool eof;
	/* Resampler input in[in_off..in_len) frames, output out. */
	float *in, *out;
	long in_off, in_len;
	int32_t *ints;  /* the file's channels at the stream's rate */
	int32_t *mixed; /* the stream's channels */
};

int hds_source_open(const char *path, hds_source **out)
{
	hds_source *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s) {
		hds_error("out of memory");
		return HDS_EXIT_NOINPUT;
	}
	s->path = path;
	s->sf = sf_open(path, SFM_READ, &s->info);
	if (!s->sf) {
		hds_error("cannot open %s: %s", path, sf_strerror(NULL));
		free(s);
		return HDS_EXIT_NOINPUT;
	}
	*out = s;
	return 0;
}

uint32_t hds_source_rate(const hds_source *s)
{
	return (uint32_t)s->info.samplerate;
}

int hds_source_channels(const hds_source *s)
{
	return s->info.channels;
}

bool hds_source_resampling(const hds_source *s)
{
	return s->src != NULL;
}

static bool is_float(const SF_INFO *i)
{
	int sub = i->format & SF_FORMAT_SUBMASK;

	return sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE;
}

int hds_source_target(hds_source *s, const hsp_format *f, const char *stream)
{
	int fc = s->info.channels, err = 0;
	bool resample = (uint32_t)s->info.samplerate != f->rate;

	if (!(fc == f->channels || (fc == 1 && f->channels == 2) ||
	      (fc == 2 && f->channels == 1)) || fc > MAX_CH) {
		hds_error("%s has %d channels and stream %s takes %u: hdastream mixes only mono to stereo and stereo to mono",
			  s->path, fc, stream, f->channels);
		return HDS_EXIT_DATA;
	}
	s->fmt = *f;
	s->ints = malloc(sizeof(int32_t) * CHUNK * (size_t)fc);
	s->mixed = malloc(sizeof(int32_t) * CHUNK * f->channels);
	if (resample || is_float(&s->info)) {
		s->in = malloc(sizeof(float) * CHUNK * (size_t)fc);
		s->out = malloc(sizeof(float) * CHUNK * (size_t)fc);
	}
	if (resample)
		s->src = src_new(SRC_SINC_MEDIUM_QUALITY, fc, &err);
	if (!s->ints || !s->mixed || ((resample || is_float(&s->info)) && (!s->in || !s->out)) ||
	    (resample && !s->src)) {
		hds_error("cannot set up the conversion of %s: %s", s->path,
			  err ? src_strerror(err) : "out of memory");
		return HDS_EXIT_DATA;
	}
	return 0;
}

static int32_t to_int(float v)
{
	double x = (double)v * 2147483648.0;

	if (x >= 2147483647.0)
		return INT32_MAX;
	if (x <= -2147483648.0)
		return INT32_MIN;
	return (int32_t)lrint(x);
}

/* Frames of the file's channels at the stream's rate into s->ints. */
static long read_ints(hds_source *s, uint32_t max)
{
	int fc = s->info.channels;
	SRC_DATA d;
	long n;

	if (!s->in)
		return (long)sf_readf_int(s->sf, s->ints, max);
	if (!s->src) {
		n = (long)sf_readf_float(s->sf, s->in, max);
		for (long i = 0; i < n * fc; i++)
			s->ints[i] = to_int(s->in[i]);
		return n;
	}
	for (;;) {
		int err;

		if (s->in_off == s->in_len && !s->eof) {
			s->in_len = (long)sf_readf_float(s->sf, s->in, CHUNK);
			s->in_off = 0;
			s->eof = s->in_len == 0;
		}
		d = (SRC_DATA){.data_in = s->in + s->in_off * fc,
			       .input_frames = s->in_len - s->in_off,
			       .data_out = s->out, .output_frames = max,
			       .end_of_input = s->eof,
			       .src_ratio = (double)s->fmt.rate / s->info.samplerate};
		err = src_process(s->src, &d);
		if (err) {
			hds_error("resampling %s: %s", s->path, src_strerror(err));
			return -EIO;
		}
		s->in_off += d.input_frames_used;
		if (d.output_frames_gen > 0) {
			for (long i = 0; i < d.output_frames_gen * fc; i++)
				s->ints[i] = to_int(s->out[i]);
			return d.output_frames_gen;
		}
		if (s->eof)
			return 0; /* the resampler has given everything */
	}
}

long hds_source_read(hds_source *s, void *buf, uint32_t max)
{
	int fc = s->info.channels, sc = s->fmt.channels;
	long n;

	if (max > CHUNK)
		max = CHUNK;
	n = read_ints(s, max);
	if (n <= 0)
		return n;
	for (long i = 0; i < n; i++) {
		const int32_t *in = s->ints + i * fc;
		int32_t *o = s->mixed + i * sc;

		if (fc == sc)
			memcpy(o, in, sizeof(*o) * (size_t)sc);
		else if (fc == 1)
			o[0] = o[1] = in[0];
		else /* the mean, in 64 bits so that it cannot overflow */
			o[0] = (int32_t)(((int64_t)in[0] + in[1]) / 2);
	}
	hds_pcm_pack(s->mixed, &s->fmt, (uint32_t)n, buf);
	return n;
}

void hds_source_close(hds_source *s)
{
	if (!s)
		return;
	sf_close(s->sf);
	if (s->src)
		src_delete(s->src);
	free(s->in);
	free(s->out);
	free(s->ints);
	free(s->mixed);
	free(s);
}
