/* SPDX-License-Identifier: MIT */
/*
 * hsd_engine: one stream's engine on libhda.  Opening finds the codec path,
 * allocates a render or capture engine, sizes the buffer from the latency
 * (hsd_sizing, with the FIFO the controller reports for the format),
 * allocates it with an interrupt every period
 * (hda_allocate_dma_buffer_periods), enables the codec path and registers
 * a notification eventfd that fires once per period.  Closing undoes all
 * of it in reverse.
 *
 * Threads.  open, start, pause, stop and close are [control] (they call
 * libhda's control routines).  hsd_engine_track and hsd_engine_status are
 * [audio]: the tracker is owned by the one thread that steps the stream,
 * and stop (which resets it) must not run while that thread steps.
 *
 * Not here yet: reprogramming a live engine for a reload (the daemon closes
 * and reopens).
 */
#ifndef HSD_ENGINE_H
#define HSD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"
#include "hda/hda_codec.h"
#include "hsd_sizing.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hsd_engine_config {
	hsd_direction dir;
	hda_stream_format format;
	uint32_t latency_ms;
	/* The path, on the bus's first codec (hda_get_resource_information):
	 * a pin by its device name as hda_pin_device_name says it
	 * ("line-out", "line-in", ...), and/or a node id (the pin or the
	 * converter); NULL and 0: the first path of the direction. */
	const char *pin;
	uint8_t node;
} hsd_engine_config;

/* What was chosen, for the log and the client. */
typedef struct hsd_engine_info {
	hsd_sizing sizing;      /* requested vs chosen latency, and why     */
	hda_codec_path path;
	hda_engine handle;
	unsigned descriptor;    /* stream descriptor index (diagnostics)    */
	uint8_t stream_id;
	uint16_t converter_format;
	uint32_t fifo_bytes;    /* SDnFIFOS for the format                  */
	size_t buffer_bytes;    /* allocated, = sizing.buffer_bytes         */
	void *buffer;           /* the DMA buffer, mapped in this process   */
	int event_fd;           /* fires once per period, on errors, and
				   when the device is gone (O_CLOEXEC,
				   O_NONBLOCK); owned by the engine         */
} hsd_engine_info;

typedef struct hsd_engine hsd_engine;

/*
 * [control] Open one stream's engine, ready to start (in Stop, primed by
 * nothing: the caller's first step writes the buffer before
 * hsd_engine_start).  Returns libhda's status, unchanged where libhda
 * decided: INSUFFICIENT_RESOURCES when no engine (or bandwidth, or DMA
 * memory) is free, so that a client can be told so by name
 * (hda_status_str).  INVALID_PARAMETER for a bad latency or format or no
 * path matching the config; INSUFFICIENT_RESOURCES also when the eventfd or
 * memory cannot be had.  On failure everything taken is given back, and a
 * one-line reason goes into why[why_len] (why may be NULL).
 */
hda_status hsd_engine_open(hda_bus *bus, const hsd_engine_config *cfg,
			   hsd_engine **out, char *why, size_t why_len);

/* [control] Stop, reset, free in reverse order.  Accepts NULL. */
void hsd_engine_close(hsd_engine *e);

/* [any] What was chosen; valid until close. */
const hsd_engine_info *hsd_engine_get_info(const hsd_engine *e);

/* [control] Run (from Stop, or from Reset after a stop). */
hda_status hsd_engine_start(hsd_engine *e);
/* [control] Run -> Stop: positions hold, start continues from there. */
hda_status hsd_engine_pause(hsd_engine *e);
/* [control] Stop, then Reset: positions and the tracker start again from
 * 0, the buffer and codec path stay; start runs a new stream. */
hda_status hsd_engine_stop(hsd_engine *e);

/* [audio] hda_position_track on the engine's own tracker. */
hda_status hsd_engine_track(hsd_engine *e, hda_stream_position *pos);
/* [audio] hda_get_engine_status: why the eventfd fired. */
hda_status hsd_engine_status(hsd_engine *e, hda_engine_status *st);

#ifdef __cplusplus
}
#endif

#endif
