/* SPDX-License-Identifier: MIT */
/*
 * The truth=PATH option: the model's ground truth, published outside the
 * process.  hda_emu_stream_truth_get answers a caller in the same process;
 * a test of hdastreamd runs the emulator inside the daemon, so it gets the
 * truth from this file instead (format and bound: hda_emu.h).
 *
 * Each device step appends one record per engine on the link, and so does
 * a register write that puts an engine on the link (its state at the model
 * time of that write: positions from where its last reset or stop left
 * them), under the model's lock, so the records are in model-time order
 * and each one is the exact state a lock-free reader of WALCLK, LPIB and
 * the position buffer can see until the next record of that engine.  The write is one write(2) of at
 * most HDA_SD_MAX records into the page cache; the emulator's device thread
 * is not a real-time thread of the product, and a write that fails (a full
 * disk) stops the recording rather than the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_ctrl.h"

struct emu_truth {
	int fd;
	uint64_t bytes;  /* written so far, header included */
	bool stopped;    /* full or failed: nothing more is written */
};

static bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

hda_status emu_truth_open(const char *path, emu_truth **truth, char *err,
			  size_t errlen)
{
	hda_emu_truth_header h = {.version = HDA_EMU_TRUTH_VERSION,
				  .record_bytes = sizeof(hda_emu_truth_record)};
	emu_truth *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	memcpy(h.magic, HDA_EMU_TRUTH_MAGIC, sizeof(h.magic));
	t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		emu_set_err(err, errlen, "emu option 'truth': cannot create %s: %s",
			    path, strerror(errno));
		goto fail;
	}
	if (!write_all(t->fd, &h, sizeof(h))) {
		emu_set_err(err, errlen, "emu option 'truth': cannot write %s: %s",
			    path, strerror(errno));
		goto fail;
	}
	t->bytes = sizeof(h);
	*truth = t;
	return HDA_STATUS_SUCCESS;
fail:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return HDA_STATUS_INVALID_PARAMETER;
}

/* The unwrapped WALCLK of a model time: floor(now_ns * 3 / 125), split as
 * walclk_at (emu_clock.c) splits it, so that its low 32 bits are exactly
 * the register the step stored. */
static uint64_t wall_ticks_at(uint64_t now_ns)
{
	return (now_ns / 125) * 3 + (now_ns % 125) * 3 / 125;
}

void emu_truth_step(emu_truth *t, const emu_stream *sd, unsigned n_sd,
		    uint64_t now_ns, uint32_t mask)
{
	hda_emu_truth_record rec[HDA_SD_MAX];
	unsigned n = 0;
	size_t len;

	if (!t || t->stopped)
		return;
	for (unsigned i = 0; i < n_sd && i < HDA_SD_MAX; i++) {
		const emu_stream *s = &sd[i];

		if (!(mask >> i & 1u) || !s->run || !s->on_link ||
		    !s->frame_bytes)
			continue;
		rec[n++] = (hda_emu_truth_record){
			.wall_ticks = wall_ticks_at(now_ns),
			.model_ns = now_ns,
			.link_frames = s->link_bytes / s->frame_bytes,
			.dma_frames = s->dma_bytes / s->frame_bytes,
			.sd = (uint8_t)s->index,
			.flags = s->output ? HDA_EMU_TRUTH_OUTPUT : 0,
			.tag = (uint8_t)(s->regs[2] >> 4),
			.frame_bytes = s->frame_bytes,
		};
	}
	len = n * sizeof(rec[0]);
	if (!n)
		return;
	if (t->bytes + len > HDA_EMU_TRUTH_MAX_BYTES ||
	    !write_all(t->fd, rec, len)) {
		t->stopped = true;
		return;
	}
	t->bytes += len;
}

void emu_truth_close(emu_truth *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}
