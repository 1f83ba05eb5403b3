/* SPDX-License-Identifier: MIT */
/*
 * A stream's direction, shared by the config (hsd_config.h) and the
 * stream modules (hsd_sizing.h, hsd_engine.h), which the daemon includes
 * together.
 */
#ifndef HSD_DIRECTION_H
#define HSD_DIRECTION_H

typedef enum hsd_direction {
	HSD_RENDER,  /* client -> DMA buffer -> codec */
	HSD_CAPTURE, /* codec -> DMA buffer -> every listener */
} hsd_direction;

#endif
