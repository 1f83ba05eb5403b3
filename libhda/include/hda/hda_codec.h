/* SPDX-License-Identifier: MIT */
/*
 * Codec paths: what a function driver does with TransferCodecVerbs.
 *
 * The DDI leaves codec programming to the client.  libhda offers it as a
 * helper on top of hda_transfer_codec_verbs: discovery walks the audio
 * function group's widget graph (no node id is hard-coded) and finds every
 * converter-to-pin path; enable/disable program one path for a stream.
 * All routines are [control] (see hda.h).
 */
#ifndef HDA_HDA_CODEC_H
#define HDA_HDA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "hda/hda.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HDA_PATH_MAX_DEPTH 8

typedef enum hda_path_dir {
	HDA_PATH_OUTPUT, /* DAC -> ... -> output pin */
	HDA_PATH_INPUT,  /* input pin -> ... -> ADC  */
} hda_path_dir;

/* Default device of a pin (CONFIG_DEFAULT [23:20]). */
typedef enum hda_pin_device {
	HDA_PIN_LINE_OUT = 0x0,
	HDA_PIN_SPEAKER = 0x1,
	HDA_PIN_HP_OUT = 0x2,
	HDA_PIN_CD = 0x3,
	HDA_PIN_SPDIF_OUT = 0x4,
	HDA_PIN_LINE_IN = 0x8,
	HDA_PIN_MIC_IN = 0xA,
	HDA_PIN_SPDIF_IN = 0xC,
	HDA_PIN_OTHER = 0xF,
} hda_pin_device;

typedef struct hda_codec_path {
	hda_path_dir dir;
	uint8_t codec;
	uint8_t converter; /* DAC or ADC node */
	uint8_t pin;
	hda_pin_device device;
	uint32_t pin_config; /* CONFIG_DEFAULT */
	/* The nodes from the downstream end (the output pin, or the ADC) to
	 * the upstream end (the DAC, or the input pin); conn[i] is the index
	 * in nodes[i]'s connection list that selects nodes[i + 1]. */
	uint8_t depth;
	uint8_t nodes[HDA_PATH_MAX_DEPTH];
	uint8_t conn[HDA_PATH_MAX_DEPTH];
} hda_codec_path;

/* Human-readable device name ("line-out", "headphone", "mic", ...). */
const char *hda_pin_device_name(hda_pin_device device);

/*
 * Walk the codec's audio function group and list its paths: for every
 * output-capable pin the shortest path back to a DAC, and for every
 * input-capable pin the shortest path from it to each ADC that can reach it.
 * *count receives how many paths exist; at most max are written.
 */
hda_status hda_codec_find_paths(hda_bus *bus, uint8_t codec,
				hda_codec_path *paths, size_t max,
				size_t *count);

/* Power the path up, select its connections, unmute its amplifiers at
 * 0 dB, enable the pin, and tag the converter with stream_id and the
 * converter format (the same tag and format the DMA engine uses). */
hda_status hda_codec_path_enable(hda_bus *bus, const hda_codec_path *path,
				 uint8_t stream_id, uint16_t converter_format);

/* Untag the converter (stream 0) and disable the pin. */
hda_status hda_codec_path_disable(hda_bus *bus, const hda_codec_path *path);

#ifdef __cplusplus
}
#endif

#endif /* HDA_HDA_CODEC_H */
