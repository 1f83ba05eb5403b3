/* SPDX-License-Identifier: MIT */
/* One stream's engine on libhda (hsd_engine.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hsd_engine.h"

#define MAX_PATHS 32

struct hsd_engine {
	hda_bus *bus;
	hsd_engine_info info;
	hda_mdl *mdl;
	hda_stream_state state;
	/* what has been taken, so that close undoes exactly that */
	bool have_engine, have_buffer, path_enabled, registered;
	hda_position_tracker tracker; /* the stepping thread's */
};

static void say(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static const char *dir_name(hsd_direction dir)
{
	return dir == HSD_RENDER ? "render" : "capture";
}

static bool path_matches(const hda_codec_path *p, const hsd_engine_config *cfg)
{
	hda_path_dir want = cfg->dir == HSD_RENDER ? HDA_PATH_OUTPUT : HDA_PATH_INPUT;

	if (p->dir != want)
		return false;
	if (cfg->pin && strcmp(hda_pin_device_name(p->device), cfg->pin) != 0)
		return false;
	return cfg->node == 0 || p->pin == cfg->node || p->converter == cfg->node;
}

static hda_status find_path(hsd_engine *e, const hsd_engine_config *cfg,
			    char *why, size_t len)
{
	hda_codec_path paths[MAX_PATHS];
	uint8_t codec, afg;
	size_t n;
	hda_status st = hda_get_resource_information(e->bus, &codec, &afg);

	if (st == HDA_STATUS_SUCCESS)
		st = hda_codec_find_paths(e->bus, codec, paths, MAX_PATHS, &n);
	if (st) {
		say(why, len, "codec paths: %s", hda_status_str(st));
		return st;
	}
	for (size_t i = 0; i < n && i < MAX_PATHS; i++)
		if (path_matches(&paths[i], cfg)) {
			e->info.path = paths[i];
			return HDA_STATUS_SUCCESS;
		}
	say(why, len, "no %s path on codec %u to pin '%s' node %u", dir_name(cfg->dir),
	    codec, cfg->pin ? cfg->pin : "any", cfg->node);
	return HDA_STATUS_INVALID_PARAMETER;
}

/* The FIFO is known only once the format is programmed, and the sizing
 * needs it first: a throw-away buffer of the smallest size (libhda grows it
 * past the FIFO) reads it.  The FIFO depends on the format alone, so the
 * real buffer gets the same one; open checks that. */
static hda_status probe_fifo(hsd_engine *e, uint32_t *fifo)
{
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	hda_status st = hda_allocate_dma_buffer(e->bus, e->info.handle, 0, &mdl, &size,
						&id, fifo);

	if (st == HDA_STATUS_SUCCESS)
		st = hda_free_dma_buffer(e->bus, e->info.handle);
	return st;
}

static hda_status allocate_engine(hsd_engine *e, const hsd_engine_config *cfg,
				  char *why, size_t len)
{
	hsd_engine_info *in = &e->info;
	hda_status st;

	if (cfg->dir == HSD_RENDER)
		st = hda_allocate_render_dma_engine(e->bus, &cfg->format, false, &in->handle,
						    &in->converter_format);
	else
		st = hda_allocate_capture_dma_engine(e->bus, in->path.codec, &cfg->format,
						     &in->handle, &in->converter_format);
	if (st)
		say(why, len, "%s", st == HDA_STATUS_INSUFFICIENT_RESOURCES
				     ? "no free engine (or link bandwidth) for the stream"
				     : "the engine cannot take the format");
	e->have_engine = st == HDA_STATUS_SUCCESS;
	return st;
}

static hda_status allocate_buffer(hsd_engine *e, const hsd_engine_config *cfg,
				  char *why, size_t len)
{
	hsd_engine_info *in = &e->info;
	hsd_sizing_request req = {
		.dir = cfg->dir,
		.latency_ms = cfg->latency_ms,
		.format = cfg->format,
	};
	hda_device_information dev = {.size = sizeof(dev)};
	uint32_t fifo;
	hda_status st = probe_fifo(e, &req.fifo_bytes);

	if (st) {
		say(why, len, "reading the FIFO size: %s", hda_status_str(st));
		return st;
	}
	/* How the controller moves data, beyond its FIFO: QEMU's bursts, the
	 * emulator's clock steps (hda_device_information; 0 on hardware). */
	st = hda_get_device_information(e->bus, &dev);
	if (st) {
		say(why, len, "reading the controller's information: %s", hda_status_str(st));
		return st;
	}
	req.backend_min_buffer_bytes = dev.dma_burst_bytes;
	req.position_step_ns = dev.position_step_ns;
	if (hsd_sizing_compute(&req, &in->sizing)) {
		say(why, len, "no buffer holds the %u-byte FIFO", req.fifo_bytes);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	st = hda_allocate_dma_buffer_periods(e->bus, in->handle,
					     (size_t)in->sizing.period_frames *
						     in->sizing.frame_bytes,
					     in->sizing.periods, &e->mdl, &in->buffer_bytes,
					     &in->stream_id, &fifo);
	if (st) {
		say(why, len, "DMA buffer of %u B: %s", in->sizing.buffer_bytes,
		    hda_status_str(st));
		return st;
	}
	e->have_buffer = true;
	in->buffer = e->mdl->base;
	in->fifo_bytes = fifo;
	if (in->buffer_bytes != in->sizing.buffer_bytes || fifo != req.fifo_bytes) {
		say(why, len, "libhda gave %zu B with a %u-byte FIFO for %u B with %u",
		    in->buffer_bytes, fifo, in->sizing.buffer_bytes, req.fifo_bytes);
		return HDA_STATUS_UNSUCCESSFUL;
	}
	return HDA_STATUS_SUCCESS;
}

static hda_status notification(hsd_engine *e, char *why, size_t len)
{
	hda_status st;

	e->info.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->info.event_fd < 0) {
		say(why, len, "eventfd: %s", strerror(errno));
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	st = hda_register_notification_event(e->bus, e->info.handle, e->info.event_fd);
	if (st)
		say(why, len, "notification eventfd: %s", hda_status_str(st));
	e->registered = st == HDA_STATUS_SUCCESS;
	return st;
}

hda_status hsd_engine_open(hda_bus *bus, const hsd_engine_config *cfg,
			   hsd_engine **out, char *why, size_t why_len)
{
	hsd_engine *e = NULL;
	hda_status st = HDA_STATUS_INVALID_PARAMETER;

	if (!bus || !cfg || !out || (cfg->dir != HSD_RENDER && cfg->dir != HSD_CAPTURE) ||
	    !hsd_frame_bytes(&cfg->format) || cfg->latency_ms < HSD_LATENCY_MS_MIN ||
	    cfg->latency_ms > HSD_LATENCY_MS_MAX) {
		say(why, why_len, "bad stream config (latency 1..2000 ms, a valid format)");
		goto fail;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		say(why, why_len, "out of memory");
		goto fail;
	}
	e->bus = bus;
	e->info.event_fd = -1;
	e->state = HDA_STREAM_STATE_RESET;
	st = find_path(e, cfg, why, why_len);
	if (st)
		goto fail;
	st = allocate_engine(e, cfg, why, why_len);
	if (st)
		goto fail;
	st = allocate_buffer(e, cfg, why, why_len);
	if (st)
		goto fail;
	st = hda_codec_path_enable(bus, &e->info.path, e->info.stream_id,
				   e->info.converter_format);
	if (st) {
		say(why, why_len, "enabling the codec path: %s", hda_status_str(st));
		goto fail;
	}
	e->path_enabled = true;
	st = notification(e, why, why_len);
	if (st)
		goto fail;
	st = hda_get_engine_descriptor(bus, e->info.handle, &e->info.descriptor);
	if (st == HDA_STATUS_SUCCESS)
		st = hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &e->info.handle);
	if (st) {
		say(why, why_len, "preparing the engine: %s", hda_status_str(st));
		goto fail;
	}
	e->state = HDA_STREAM_STATE_STOP;
	hda_position_tracker_reset(&e->tracker);
	*out = e;
	return HDA_STATUS_SUCCESS;
fail:
	hsd_engine_close(e);
	return st;
}

void hsd_engine_close(hsd_engine *e)
{
	if (!e)
		return;
	/* Reverse order of open.  Failures are ignored: each step frees what
	 * it can, and a controller that is gone refuses them all. */
	if (e->state == HDA_STREAM_STATE_RUN)
		(void)hda_set_dma_engine_state(e->bus, HDA_STREAM_STATE_STOP, 1, &e->info.handle);
	if (e->state != HDA_STREAM_STATE_RESET)
		(void)hda_set_dma_engine_state(e->bus, HDA_STREAM_STATE_RESET, 1,
					       &e->info.handle);
	if (e->registered)
		(void)hda_unregister_notification_event(e->bus, e->info.handle,
							e->info.event_fd);
	if (e->info.event_fd >= 0)
		close(e->info.event_fd);
	if (e->path_enabled)
		(void)hda_codec_path_disable(e->bus, &e->info.path);
	if (e->have_buffer)
		(void)hda_free_dma_buffer_with_notification(e->bus, e->info.handle, e->mdl,
							    e->info.buffer_bytes);
	if (e->have_engine)
		(void)hda_free_dma_engine(e->bus, e->info.handle);
	free(e);
}

const hsd_engine_info *hsd_engine_get_info(const hsd_engine *e)
{
	return &e->info;
}

static hda_status set_state(hsd_engine *e, hda_stream_state s)
{
	hda_status st = hda_set_dma_engine_state(e->bus, s, 1, &e->info.handle);

	if (st == HDA_STATUS_SUCCESS)
		e->state = s;
	return st;
}

hda_status hsd_engine_start(hsd_engine *e)
{
	hda_status st = HDA_STATUS_SUCCESS;

	if (e->state == HDA_STREAM_STATE_RESET)
		st = set_state(e, HDA_STREAM_STATE_STOP);
	return st ? st : set_state(e, HDA_STREAM_STATE_RUN);
}

hda_status hsd_engine_pause(hsd_engine *e)
{
	if (e->state == HDA_STREAM_STATE_RESET)
		return HDA_STATUS_SUCCESS; /* stopped already */
	return set_state(e, HDA_STREAM_STATE_STOP);
}

hda_status hsd_engine_stop(hsd_engine *e)
{
	hda_status st = hsd_engine_pause(e);

	if (st == HDA_STATUS_SUCCESS)
		st = set_state(e, HDA_STREAM_STATE_RESET);
	if (st == HDA_STATUS_SUCCESS)
		hda_position_tracker_reset(&e->tracker); /* positions restart at 0 */
	return st;
}

hda_status hsd_engine_track(hsd_engine *e, hda_stream_position *pos)
{
	return hda_position_track(e->bus, e->info.handle, &e->tracker, pos);
}

hda_status hsd_engine_status(hsd_engine *e, hda_engine_status *st)
{
	return hda_get_engine_status(e->bus, e->info.handle, st);
}
