/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller: its life cycle, the configuration check, fault
 * injection and the ground-truth API.  The model itself is split by job:
 * emu_ctrl.h lists the files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "emu_ctrl.h"

/* ---- Configuration check ------------------------------------------------- */

static hda_status config_check(const emu_ctrl_config *cfg, char *err,
			       size_t errlen)
{
	unsigned total = cfg->iss + cfg->oss + cfg->bss;

	if (cfg->iss > 15 || cfg->oss > 15 || cfg->bss > 15 || total < 1 ||
	    total > HDA_SD_MAX) {
		emu_set_err(err, errlen, "emu: bad engine counts %u/%u/%u",
			cfg->iss, cfg->oss, cfg->bss);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->tick_us < 100 || cfg->tick_us > 100000) {
		emu_set_err(err, errlen, "emu: tick_us %u out of 100..100000",
			cfg->tick_us);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->fifo_bytes < 4 || cfg->fifo_bytes > EMU_SD_FIFO_MAX) {
		emu_set_err(err, errlen, "emu: fifo %u out of 4..%u",
			cfg->fifo_bytes, EMU_SD_FIFO_MAX);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->dma_bytes < HDA_PAGE_SIZE) {
		emu_set_err(err, errlen, "emu: DMA memory below one page");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	if (cfg->faults >> HDA_EMU_FAULT_COUNT) {
		emu_set_err(err, errlen, "emu: unknown fault bits 0x%x",
			cfg->faults);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	return HDA_STATUS_SUCCESS;
}

/* ---- Life cycle --------------------------------------------------------- */

static int cond_init_mono(pthread_cond_t *cond)
{
	pthread_condattr_t a;
	int r;

	r = pthread_condattr_init(&a);
	if (r)
		return r;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(cond, &a);
	pthread_condattr_destroy(&a);
	return r;
}

hda_status emu_ctrl_create(const emu_ctrl_config *config, emu_ctrl **ctrl,
			   char *err, size_t errlen)
{
	emu_ctrl *c;
	hda_status st;

	if (!config || !ctrl)
		return HDA_STATUS_INVALID_PARAMETER;
	st = config_check(config, err, errlen);
	if (st)
		return st;

	c = calloc(1, sizeof(*c));
	if (!c)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	c->irq_fd = -1;
	c->iss = config->iss;
	c->oss = config->oss;
	c->bss = config->bss;
	c->n_sd = c->iss + c->oss + c->bss;
	c->sd_mask = (uint32_t)((1ull << c->n_sd) - 1);
	c->manual = config->manual_clock;
	c->map_regs = config->map_regs;
	c->dma64 = config->dma64;
	c->tick_ns = (uint64_t)config->tick_us * NS_PER_US;
	c->fifo_config = config->fifo_bytes;
	c->faults = config->faults;
	c->irq_wait_ns = (uint64_t)config->irq_wait_ms * 1000000ull;

	st = HDA_STATUS_INSUFFICIENT_RESOURCES;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto fail_mutex;
	if (cond_init_mono(&c->irq_low) != 0)
		goto fail;
	c->irq_cond_ok = true;
	c->scratch = malloc(EMU_SD_SCRATCH_BYTES);
	if (!c->scratch) {
		emu_set_err(err, errlen, "emu: out of memory");
		goto fail;
	}
	st = emu_mem_create(config->dma_bytes, config->dma_low_bytes, &c->mem);
	if (st) {
		emu_set_err(err, errlen,
			    "emu: cannot map %zu bytes of DMA memory",
			    config->dma_bytes);
		goto fail;
	}
	st = emu_codec_create(&config->codec, &c->codec, err, errlen);
	if (st)
		goto fail;
	if (config->truth_path) {
		st = emu_truth_open(config->truth_path, &c->truth, err, errlen);
		if (st)
			goto fail;
	}
	c->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->irq_fd < 0) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		emu_set_err(err, errlen, "emu: eventfd: %s", strerror(errno));
		goto fail;
	}

	for (unsigned n = 0; n < c->n_sd; n++) {
		uint32_t lpib = HDA_SD_OFF(n) + HDA_SD_LPIB;

		emu_sd_init(&c->sd[n], n, n >= c->iss + c->oss,
			    n >= c->iss && n < c->iss + c->oss,
			    c->regs + HDA_SD_OFF(n),
			    (uint32_t *)(void *)(c->regs + HDA_ALIAS_OFFSET +
						 lpib));
	}
	emu_regs_masks_init(c);
	/* Power-on: the controller sits in reset (CRST = 0) until the
	 * driver's bring-up takes it out. */
	emu_regs_defaults(c);
	c->created_mono_ns = mono_ns();
	emu_walclk_store(c, 0);

	if (!c->manual && emu_clock_thread_start(c) != 0) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		emu_set_err(err, errlen, "emu: cannot start the device thread");
		goto fail;
	}
	*ctrl = c;
	return HDA_STATUS_SUCCESS;

fail:
	if (c->irq_fd >= 0)
		close(c->irq_fd);
	emu_truth_close(c->truth);
	emu_codec_destroy(c->codec);
	emu_mem_destroy(c->mem);
	free(c->scratch);
	if (c->irq_cond_ok)
		pthread_cond_destroy(&c->irq_low);
	pthread_mutex_destroy(&c->lock);
fail_mutex:
	free(c);
	return st;
}

void emu_ctrl_destroy(emu_ctrl *ctrl)
{
	if (!ctrl)
		return;
	if (ctrl->thread_started) {
		/* The thread notices at its next tick (at most tick_us). */
		__atomic_store_n(&ctrl->stop, true, __ATOMIC_RELEASE);
		pthread_join(ctrl->thread, NULL);
	}
	emu_truth_close(ctrl->truth);
	emu_codec_destroy(ctrl->codec);
	emu_mem_destroy(ctrl->mem);
	if (ctrl->irq_fd >= 0)
		close(ctrl->irq_fd);
	free(ctrl->scratch);
	pthread_cond_destroy(&ctrl->irq_low);
	pthread_mutex_destroy(&ctrl->lock);
	free(ctrl);
}

emu_mem *emu_ctrl_mem(emu_ctrl *ctrl)
{
	return ctrl->mem;
}

int emu_ctrl_irq_fd(emu_ctrl *ctrl)
{
	return ctrl->irq_fd;
}

bool emu_ctrl_gone(emu_ctrl *ctrl)
{
	return fault_on(ctrl, HDA_EMU_FAULT_DEVICE_GONE);
}

uint32_t emu_ctrl_position_step_ns(const emu_ctrl *ctrl)
{
	return ctrl->manual ? 0 : (uint32_t)ctrl->tick_ns;
}

/* ---- Model control and ground truth --------------------------------------- */

hda_status emu_ctrl_stream_truth(emu_ctrl *ctrl, unsigned sd_index,
				 hda_emu_stream_truth *truth)
{
	if (!truth || sd_index >= ctrl->n_sd)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	emu_sd_truth(&ctrl->sd[sd_index], truth);
	pthread_mutex_unlock(&ctrl->lock);
	return HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_converter_frames(emu_ctrl *ctrl, uint8_t nid,
				     uint64_t *frames)
{
	hda_status st;

	if (!frames)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	st = emu_codec_converter_frames(ctrl->codec, nid, frames);
	pthread_mutex_unlock(&ctrl->lock);
	return st;
}

hda_status emu_ctrl_inject_fault(emu_ctrl *ctrl, hda_emu_fault fault,
				 bool on)
{
	if ((unsigned)fault >= HDA_EMU_FAULT_COUNT)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	if (on)
		__atomic_or_fetch(&ctrl->faults, 1u << fault, __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&ctrl->faults, ~(1u << fault),
				   __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctrl->lock);
	return HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_sink_error(emu_ctrl *ctrl, uint8_t nid, char *msg,
			       size_t len)
{
	const char *e = NULL;
	hda_status st;

	if (!msg || !len)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&ctrl->lock);
	st = emu_codec_sink_error(ctrl->codec, nid, &e);
	snprintf(msg, len, "%s", e ? e : "");
	pthread_mutex_unlock(&ctrl->lock);
	if (st)
		return st;
	return e ? HDA_STATUS_UNSUCCESSFUL : HDA_STATUS_SUCCESS;
}

hda_status emu_ctrl_set_jack(emu_ctrl *ctrl, uint8_t nid, bool present)
{
	hda_status st;

	pthread_mutex_lock(&ctrl->lock);
	st = emu_codec_set_jack(ctrl->codec, nid, present);
	pthread_mutex_unlock(&ctrl->lock);
	return st;
}

