/* SPDX-License-Identifier: MIT */
/*
 * What is plugged into the emulated codec's pins: sinks (where output pins
 * send what they play) and sources (what input pins hear).
 *
 * Samples are interleaved int32_t, MSB-aligned (emu.h).  That is also
 * libsndfile's int convention: sf_writef_int/sf_readf_int scale between the
 * full int32 range and the file's PCM width by shifting, so a 16-bit stream
 * written to a PCM_16 file (or a 20/24-bit one to PCM_24, 32 to PCM_32, 8 to
 * PCM_U8) is stored bit for bit and reads back identically.
 *
 * The device step calls emu_sink_write and emu_source_read under the
 * controller's lock.  They never allocate, except the WAV sink's one-time
 * sf_open_fd on its first write: the file's format is only known then.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#include "emu.h"

/* Frames per libsndfile read in a WAV source, scaled down for files with
 * many channels so the scratch buffer stays at EMU_SRC_SCRATCH samples. */
#define EMU_SRC_SCRATCH 16384u
#define EMU_SINE_MAX_HZ 20000ul

/* ---- Sinks ------------------------------------------------------------------ */

enum sink_kind { SINK_NULL, SINK_WAV };

struct emu_sink {
	enum sink_kind kind;
	uint64_t frames;     /* frames accepted (written or counted) */
	uint64_t mismatched; /* frames dropped: format differs from the file's */
	/* WAV */
	char *path;
	int fd;              /* created at creation, handed to libsndfile */
	SNDFILE *sf;
	bool opened;         /* sf_open_fd attempted (on the first write) */
	bool failed;         /* it failed, or a write did: frames are lost */
	uint64_t lost;       /* frames dropped because of that */
	char error[192];     /* what went wrong, naming the file */
	unsigned channels;
	uint32_t rate;
	unsigned bits;
};

static int wav_subformat(unsigned bits)
{
	switch (bits) {
	case 8:
		return SF_FORMAT_PCM_U8;
	case 16:
		return SF_FORMAT_PCM_16;
	case 20:
	case 24:
		/* 20-bit samples have their low 4 bits zero in PCM_24. */
		return SF_FORMAT_PCM_24;
	case 32:
		return SF_FORMAT_PCM_32;
	default:
		return 0;
	}
}

hda_status emu_sink_create(const char *spec, emu_sink **sink, char *err,
			   size_t errlen)
{
	emu_sink *s;
	hda_status st;

	if (!sink) {
		emu_set_err(err, errlen, "sink: no output pointer");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (!spec) {
		emu_set_err(err, errlen, "sink: no spec");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		emu_set_err(err, errlen, "sink '%s': out of memory", spec);
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	s->fd = -1;

	if (strcmp(spec, "null") == 0) {
		s->kind = SINK_NULL;
	} else if (strncmp(spec, "wav:", 4) == 0) {
		s->kind = SINK_WAV;
		if (spec[4] == '\0') {
			emu_set_err(err, errlen, "sink '%s': empty path", spec);
			st = HDA_STATUS_INVALID_PARAMETER;
			goto fail;
		}
		s->path = strdup(spec + 4);
		if (!s->path) {
			emu_set_err(err, errlen, "sink '%s': out of memory", spec);
			st = HDA_STATUS_INSUFFICIENT_RESOURCES;
			goto fail;
		}
		/*
		 * Create the file now, not on the first write, so a wrong
		 * path fails at bus open with a message instead of silently
		 * later on the device thread.  O_RDWR: libsndfile seeks back
		 * to rewrite the header when it closes.
		 */
		s->fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (s->fd < 0) {
			emu_set_err(err, errlen, "sink '%s': cannot create: %s",
				spec, strerror(errno));
			st = HDA_STATUS_INVALID_PARAMETER;
			goto fail;
		}
	} else {
		emu_set_err(err, errlen,
			"sink '%s': unknown sink (expected null or wav:PATH)",
			spec);
		st = HDA_STATUS_INVALID_PARAMETER;
		goto fail;
	}
	*sink = s;
	return HDA_STATUS_SUCCESS;

fail:
	emu_sink_destroy(s);
	return st;
}

/* Hand the descriptor to libsndfile with the format of the first write. */
static void wav_sink_open(emu_sink *s, unsigned channels, uint32_t rate,
			  unsigned bits)
{
	SF_INFO info;

	s->opened = true;
	s->channels = channels;
	s->rate = rate;
	s->bits = bits;
	memset(&info, 0, sizeof(info));
	info.samplerate = (int)rate;
	info.channels = (int)channels;
	info.format = SF_FORMAT_WAV | wav_subformat(bits);
	if (wav_subformat(bits) == 0 || channels == 0 || rate == 0 ||
	    rate > INT_MAX) {
		s->failed = true;
		snprintf(s->error, sizeof(s->error),
			 "sink '%.120s': no WAV format for %u channels, %u Hz, %u bits",
			 s->path, channels, rate, bits);
		return;
	}
	/* close_desc = 1: libsndfile owns the descriptor from here on, also
	 * when sf_open_fd fails (it closes it then). */
	s->sf = sf_open_fd(s->fd, SFM_WRITE, &info, 1);
	s->fd = -1;
	if (!s->sf) {
		s->failed = true;
		snprintf(s->error, sizeof(s->error), "sink '%.120s': cannot write: %s",
			 s->path, sf_strerror(NULL));
	}
}

void emu_sink_write(emu_sink *sink, const int32_t *samples, size_t frames,
		    unsigned channels, uint32_t rate, unsigned bits)
{
	sf_count_t n;

	if (!sink || frames == 0)
		return;
	if (sink->kind == SINK_NULL) {
		sink->frames += frames;
		return;
	}
	if (!sink->opened)
		wav_sink_open(sink, channels, rate, bits);
	if (sink->failed) {
		sink->lost += frames;
		return;
	}
	if (channels != sink->channels || rate != sink->rate || bits != sink->bits) {
		/* One WAV file has one format: anything else is not
		 * representable in it, so it is counted and dropped. */
		sink->mismatched += frames;
		return;
	}
	n = sf_writef_int(sink->sf, samples, (sf_count_t)frames);
	if (n > 0)
		sink->frames += (uint64_t)n;
	if ((size_t)(n < 0 ? 0 : n) < frames) {
		/* A full disk, say: say so once, and stop trying, so the
		 * device step stays cheap. */
		sink->lost += frames - (size_t)(n < 0 ? 0 : n);
		sink->failed = true;
		snprintf(sink->error, sizeof(sink->error),
			 "sink '%.120s': write failed after %llu frames: %s", sink->path,
			 (unsigned long long)sink->frames, sf_strerror(sink->sf));
	}
}

const char *emu_sink_error(const emu_sink *sink)
{
	return sink && sink->error[0] ? sink->error : NULL;
}

uint64_t emu_sink_frames(const emu_sink *sink)
{
	return sink ? sink->frames : 0;
}

void emu_sink_destroy(emu_sink *sink)
{
	if (!sink)
		return;
	/*
	 * A WAV sink that never received a frame still leaves a valid (empty)
	 * file behind, so tools reading it do not choke on 0 bytes; its format
	 * is then the common 48 kHz / 16-bit / stereo.
	 */
	if (sink->kind == SINK_WAV && !sink->opened && sink->fd >= 0)
		wav_sink_open(sink, 2, 48000, 16);
	if (sink->sf)
		sf_close(sink->sf); /* finalises the header, closes the fd */
	if (sink->fd >= 0)
		close(sink->fd);
	free(sink->path);
	free(sink);
}

/* ---- Sources ---------------------------------------------------------------- */

enum source_kind { SRC_SILENCE, SRC_SINE, SRC_WAV, SRC_LOOPBACK };

struct emu_source {
	enum source_kind kind;
	/* sine */
	double hz;
	double phase; /* radians, [0, 2 pi): continuous across calls */
	/* WAV */
	SNDFILE *sf;
	unsigned file_channels;
	size_t chunk_frames; /* frames per sf_readf_int into scratch */
	int32_t *scratch;
};

static hda_status parse_hz(const char *s, unsigned long *hz)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return HDA_STATUS_INVALID_PARAMETER;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v < 1 || v > EMU_SINE_MAX_HZ)
		return HDA_STATUS_INVALID_PARAMETER;
	*hz = v;
	return HDA_STATUS_SUCCESS;
}

static hda_status wav_source_open(emu_source *s, const char *spec,
				  const char *path, char *err, size_t errlen)
{
	SF_INFO info;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		emu_set_err(err, errlen, "source '%s': cannot open: %s", spec,
			strerror(errno));
		return HDA_STATUS_INVALID_PARAMETER;
	}
	memset(&info, 0, sizeof(info));
	s->sf = sf_open_fd(fd, SFM_READ, &info, 1); /* owns fd from now */
	if (!s->sf) {
		emu_set_err(err, errlen, "source '%s': cannot read: %s", spec,
			sf_strerror(NULL));
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (info.channels < 1 || info.frames < 1) {
		emu_set_err(err, errlen, "source '%s': no audio in file", spec);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	s->file_channels = (unsigned)info.channels;
	s->chunk_frames = EMU_SRC_SCRATCH / s->file_channels;
	if (s->chunk_frames == 0)
		s->chunk_frames = 1;
	s->scratch = calloc(s->chunk_frames * s->file_channels,
			    sizeof(*s->scratch));
	if (!s->scratch) {
		emu_set_err(err, errlen, "source '%s': out of memory", spec);
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	return HDA_STATUS_SUCCESS;
}

hda_status emu_source_create(const char *spec, emu_source **source,
			     char *err, size_t errlen)
{
	emu_source *s;
	hda_status st;
	unsigned long hz;

	if (!source) {
		emu_set_err(err, errlen, "source: no output pointer");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (!spec) {
		emu_set_err(err, errlen, "source: no spec");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		emu_set_err(err, errlen, "source '%s': out of memory", spec);
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}

	if (strcmp(spec, "silence") == 0) {
		s->kind = SRC_SILENCE;
	} else if (strcmp(spec, "loopback") == 0) {
		s->kind = SRC_LOOPBACK;
	} else if (strncmp(spec, "sine:", 5) == 0) {
		s->kind = SRC_SINE;
		if (parse_hz(spec + 5, &hz) != HDA_STATUS_SUCCESS) {
			emu_set_err(err, errlen,
				"source '%s': bad frequency (1..%lu Hz)", spec,
				EMU_SINE_MAX_HZ);
			st = HDA_STATUS_INVALID_PARAMETER;
			goto fail;
		}
		s->hz = (double)hz;
	} else if (strncmp(spec, "wav:", 4) == 0) {
		s->kind = SRC_WAV;
		if (spec[4] == '\0') {
			emu_set_err(err, errlen, "source '%s': empty path", spec);
			st = HDA_STATUS_INVALID_PARAMETER;
			goto fail;
		}
		st = wav_source_open(s, spec, spec + 4, err, errlen);
		if (st != HDA_STATUS_SUCCESS)
			goto fail;
	} else {
		emu_set_err(err, errlen,
			"source '%s': unknown source (expected silence, sine:HZ, wav:PATH or loopback)",
			spec);
		st = HDA_STATUS_INVALID_PARAMETER;
		goto fail;
	}
	*source = s;
	return HDA_STATUS_SUCCESS;

fail:
	emu_source_destroy(s);
	return st;
}

bool emu_source_is_loopback(const emu_source *source)
{
	return source && source->kind == SRC_LOOPBACK;
}

static void sine_read(emu_source *s, int32_t *out, size_t frames,
		      unsigned channels, uint32_t rate, unsigned bits)
{
	const double two_pi = 2.0 * M_PI;
	double step, amp;
	unsigned shift;
	size_t f;
	unsigned c;

	if (bits == 0 || bits > 32 || rate == 0) {
		memset(out, 0, frames * channels * sizeof(*out));
		return;
	}
	/* Half of full scale at the valid width, so a 16-bit stream sees
	 * +-16383 and a 24-bit one +-4194303: rounding happens at the
	 * converter's width, then the value is MSB-aligned. */
	amp = 0.5 * (double)((UINT64_C(1) << (bits - 1)) - 1);
	shift = 32 - bits;
	step = two_pi * s->hz / (double)rate;
	for (f = 0; f < frames; f++) {
		long v = lrint(amp * sin(s->phase));
		int32_t smp = (int32_t)((uint32_t)v << shift);

		for (c = 0; c < channels; c++)
			out[f * channels + c] = smp;
		s->phase += step;
		if (s->phase >= two_pi)
			s->phase -= two_pi;
	}
}

static void wav_read(emu_source *s, int32_t *out, size_t frames,
		     unsigned channels, unsigned bits)
{
	size_t done = 0;
	bool rewound = false;

	while (done < frames) {
		size_t want = frames - done;
		sf_count_t got;
		size_t f;
		unsigned c;

		if (want > s->chunk_frames)
			want = s->chunk_frames;
		got = sf_readf_int(s->sf, s->scratch, (sf_count_t)want);
		if (got <= 0) {
			/* End of file: loop.  A second empty read right after
			 * a rewind means the file cannot deliver: silence. */
			if (rewound ||
			    sf_seek(s->sf, 0, SEEK_SET) < 0) {
				memset(out + done * channels, 0,
				       (frames - done) * channels *
					       sizeof(*out));
				return;
			}
			rewound = true;
			continue;
		}
		rewound = false;
		/* Extra file channels are dropped; missing ones repeat
		 * channel 0 (a mono file feeds both sides of a stereo
		 * pin). */
		for (f = 0; f < (size_t)got; f++) {
			const int32_t *in = s->scratch + f * s->file_channels;

			for (c = 0; c < channels; c++) {
				int32_t v = c < s->file_channels ? in[c]
								 : in[0];

				out[(done + f) * channels + c] =
					emu_fmt_truncate(v, bits);
			}
		}
		done += (size_t)got;
	}
}

void emu_source_read(emu_source *source, int32_t *samples, size_t frames,
		     unsigned channels, uint32_t rate, unsigned bits)
{
	if (!samples || frames == 0 || channels == 0)
		return;
	if (!source) {
		memset(samples, 0, frames * channels * sizeof(*samples));
		return;
	}
	switch (source->kind) {
	case SRC_SINE:
		sine_read(source, samples, frames, channels, rate, bits);
		break;
	case SRC_WAV:
		/* The file's own rate is not converted to `rate`: a file at
		 * another rate plays faster or slower (documented). */
		wav_read(source, samples, frames, channels, bits);
		break;
	case SRC_SILENCE:
	case SRC_LOOPBACK: /* the codec supplies the loopback signal */
	default:
		memset(samples, 0, frames * channels * sizeof(*samples));
		break;
	}
}

void emu_source_destroy(emu_source *source)
{
	if (!source)
		return;
	if (source->sf)
		sf_close(source->sf);
	free(source->scratch);
	free(source);
}
