/* SPDX-License-Identifier: MIT */
/*
 * hdastream, the command-line client of hdastreamd: what its commands
 * share.  Each command has its own file (hds_play.c, hds_record.c,
 * hds_status.c); the audio file side is in hds_source.c (reading,
 * mixing, resampling) and hds_pcm.c (samples to and from the wire).
 */
#ifndef HDS_H
#define HDS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "hsc_client.h"

/* Exit statuses (documented in --help; the values of sysexits.h). */
enum {
	HDS_EXIT_OK = 0,
	HDS_EXIT_USAGE = 64,       /* a bad command line */
	HDS_EXIT_DATA = 65,        /* a file hdastream cannot play or write */
	HDS_EXIT_NOINPUT = 66,     /* the input file cannot be opened or read */
	HDS_EXIT_UNAVAILABLE = 69, /* the server cannot be reached */
	HDS_EXIT_CANTCREAT = 73,   /* the output file cannot be created */
	HDS_EXIT_IOERR = 74,       /* writing the output file failed */
	HDS_EXIT_PROTOCOL = 76,    /* the server refused, broke off or went silent */
	HDS_EXIT_INTERRUPTED = 130, /* play stopped by Ctrl-C */
};

#define HDS_MAX_STATUS_STREAMS 16

typedef struct hds_args {
	const char *server;  /* HOST:PORT */
	const char *stream;  /* --stream (play, record) */
	const char *file;
	const char *status_streams[HDS_MAX_STATUS_STREAMS];
	int n_status_streams;
	uint32_t latency_us; /* --latency, 0: the stream's */
	double duration_s;   /* --duration, 0: until Ctrl-C */
	int timeout_ms;      /* --timeout: how long the server may be silent */
	bool json;
} hds_args;

/* Set by SIGINT and SIGTERM: the command stops cleanly. */
extern volatile sig_atomic_t hds_stop;

int hds_play(const hds_args *a);
int hds_record(const hds_args *a);
int hds_status(const hds_args *a);

/* Connect, or say why naming the address; NULL on failure. */
hsc_client *hds_connect(const hds_args *a);
/* The exit status for a failure of the client library. */
int hds_exit_for(int rc);
/* "hdastream: MESSAGE" on stderr. */
__attribute__((format(printf, 1, 2)))
void hds_error(const char *fmt, ...);

/* ---- The live progress line (only on a terminal) ----------------------- */

typedef struct hds_progress {
	int fd;          /* the terminal, or -1: quiet */
	int64_t last_ns; /* when the line was last drawn */
	bool drawn;
} hds_progress;

void hds_progress_init(hds_progress *p);
/* Redraw the line, at most 4 times a second unless force. */
__attribute__((format(printf, 3, 4)))
void hds_progress_show(hds_progress *p, bool force, const char *fmt, ...);
/* End the line, so that what is printed next starts on its own. */
void hds_progress_end(hds_progress *p);

/* ---- Samples ------------------------------------------------------------- */

/* Samples as 32-bit integers, the value in the most significant bits
 * (libsndfile's int convention), to the wire's containers and back. */
void hds_pcm_pack(const int32_t *in, const hsp_format *f, uint32_t frames,
		  void *out);
void hds_pcm_unpack(const void *in, const hsp_format *f, uint32_t frames,
		    int32_t *out);

/* ---- The file being played ------------------------------------------------- */

typedef struct hds_source hds_source;

/* Open an audio file (WAV, FLAC, whatever libsndfile reads).  0, or an
 * exit status with the reason printed. */
int hds_source_open(const char *path, hds_source **out);
uint32_t hds_source_rate(const hds_source *s);
int hds_source_channels(const hds_source *s);
/* Convert to the stream's format from now on: mix the channels (mono to
 * stereo by duplicating, stereo to mono by averaging) and resample.  0, or
 * an exit status with the reason printed (channel counts it cannot mix). */
int hds_source_target(hds_source *s, const hsp_format *f, const char *stream);
bool hds_source_resampling(const hds_source *s);
/* Up to max frames in the stream's wire format: the count, 0 at the end,
 * or negative (printed). */
long hds_source_read(hds_source *s, void *buf, uint32_t max);
void hds_source_close(hds_source *s);

#endif
