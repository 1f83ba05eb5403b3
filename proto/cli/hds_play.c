/* SPDX-License-Identifier: MIT */
/*
 * hdastream play: a file into a render stream.  The frames that fit the
 * first credit window go out before START, so the stream starts with a
 * full queue instead of an underrun; then the file follows as credit
 * comes, DRAIN waits until everything has played out, and a last POSITION
 * gives the underruns to report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hds.h"

#define CHUNK 4096   /* frames per read and write */
#define SLICE_MS 100 /* how long one wait may hold off Ctrl-C */

static void show(hds_progress *pr, hsc_client *c, const hsc_stream_info *si,
		 const char *stream, uint64_t sent, bool force)
{
	hsp_position p;
	double r = si->format.rate;

	if (pr->fd < 0)
		return;
	if (!hsc_last_position(c, si->id, &p, NULL)) {
		hds_progress_show(pr, force, "%s: sent %llu frames", stream,
				  (unsigned long long)sent);
		return;
	}
	/* A frame sent now meets the converter after the client's lead:
	 * that is this client's latency (PROTOCOL.md, "Timing"). */
	hds_progress_show(pr, force,
			  "%s: %8.2f s  frame %llu  latency %.1f ms  underruns %llu  drops %llu",
			  stream, (double)p.frames_done / r,
			  (unsigned long long)p.frames_done,
			  (double)(p.frames_sent - p.frames_done) * 1000.0 / r,
			  (unsigned long long)p.underruns,
			  (unsigned long long)p.frames_dropped);
}

static int fail(hsc_client *c)
{
	const hsc_error *e = hsc_last_error(c);

	if (e->rc != -EINTR)
		hds_error("%s", e->text);
	return e->rc;
}

int hds_play(const hds_args *a)
{
	const char *stream = a->stream ? a->stream : "playback";
	hsc_stream_info si;
	hsc_open_args oa = {.name = stream, .direction = HSP_DIR_RENDER,
			    .latency_us = a->latency_us};
	hds_source *src = NULL;
	hsc_client *c = NULL;
	hds_progress pr;
	uint8_t *buf = NULL;
	uint64_t sent = 0;
	long n = 0, off = 0, waited_ms = 0;
	bool started = false;
	int rc = 0, ex;
	hsp_position end;

	ex = hds_source_open(a->file, &src);
	if (ex)
		return ex;
	c = hds_connect(a);
	if (!c) {
		ex = HDS_EXIT_UNAVAILABLE;
		goto out;
	}
	hds_progress_init(&pr);
	oa.interval_ms = pr.fd >= 0 ? 250 : 0;
	rc = hsc_open(c, &oa, &si);
	if (rc) {
		ex = hds_exit_for(fail(c));
		goto out;
	}
	if (a->latency_us && si.adjusted)
		hds_error("stream %s: latency %.3f ms, not the %.3f ms asked for", stream,
			  si.latency_frames * 1000.0 / si.format.rate, a->latency_us / 1000.0);
	ex = hds_source_target(src, &si.format, stream);
	if (ex)
		goto close;
	buf = malloc((size_t)CHUNK * si.frame_bytes);
	if (!buf) {
		hds_error("out of memory");
		ex = HDS_EXIT_DATA;
		goto close;
	}
	while (!hds_stop) {
		uint64_t credit = hsc_credit(c, si.id);
		uint32_t want;
		long w;

		if (off == n) {
			n = hds_source_read(src, buf, CHUNK);
			off = 0;
			if (n < 0) {
				ex = HDS_EXIT_NOINPUT;
				goto stop;
			}
			if (n == 0)
				break;
		}
		if (!started && credit == 0) {
			rc = hsc_request(c, si.id, HSP_START, -1);
			if (rc)
				goto lost;
			started = true;
		}
		want = (uint32_t)(n - off);
		if (!started && want > credit)
			want = (uint32_t)credit;
		w = hsc_write(c, si.id, buf + (size_t)off * si.frame_bytes, want, SLICE_MS);
		if (w == -ETIMEDOUT && (waited_ms += SLICE_MS) < a->timeout_ms)
			continue;
		if (w == -EINTR)
			continue;
		if (w < 0) {
			rc = (int)w;
			goto lost;
		}
		waited_ms = 0;
		off += w;
		sent += (uint64_t)w;
		show(&pr, c, &si, stream, sent, false);
	}
	if (hds_stop)
		goto stop;
	if (!started && (rc = hsc_request(c, si.id, HSP_START, -1)))
		goto lost;
	/* Everything sent is at most the window plus the latency ahead of
	 * the converter; the timeout covers a server that stops moving. */
	rc = hsc_request(c, si.id, HSP_DRAIN,
			 (int)((uint64_t)(si.window_frames + si.latency_frames) * 1000 /
			       si.format.rate) + a->timeout_ms);
	if (rc == -EINTR)
		goto stop;
	if (rc || (rc = hsc_position(c, si.id, &end, -1)))
		goto lost;
	show(&pr, c, &si, stream, sent, true);
	hds_progress_end(&pr);
	(void)hsc_request(c, si.id, HSP_CLOSE, -1);
	printf("hdastream: played %s: %llu frames (%.3f s) into stream %s at %u Hz%s; %llu underruns\n",
	       a->file, (unsigned long long)sent, (double)sent / si.format.rate, stream,
	       si.format.rate, hds_source_resampling(src) ? " (resampled)" : "",
	       (unsigned long long)end.underruns);
	ex = HDS_EXIT_OK;
	goto out;

lost:
	hds_progress_end(&pr);
	ex = hds_exit_for(fail(c));
	if (rc != -EINTR)
		goto out;
stop:
	/* Ctrl-C: the stream stops now, its queued frames are dropped. */
	hds_progress_end(&pr);
	(void)hsc_request(c, si.id, HSP_STOP, -1);
	if (hds_stop)
		fprintf(stderr, "hdastream: stopped by Ctrl-C after %llu frames of %s\n",
			(unsigned long long)sent, a->file);
	if (!ex)
		ex = HDS_EXIT_INTERRUPTED;
close:
	(void)hsc_request(c, si.id, HSP_CLOSE, -1);
out:
	free(buf);
	hsc_destroy(c);
	hds_source_close(src);
	return ex;
}
