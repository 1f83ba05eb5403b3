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
	/* The codec's pipeline delay along the path, in frames (samples at
	 * the converter's rate): the sum of every node's widget-caps delay
	 * (AUDIO_WIDGET_CAP [19:16]).  A render frame reaches the jack this
	 * many frames after the converter takes it, and a capture frame
	 * reaches the converter this many frames after the jack: subtract it
	 * from (render) or add it to (capture) a converter position to place
	 * that position at the jack. */
	uint32_t delay_frames;
} hda_codec_path;

/* Human-readable device name ("line-out", "headphone", "mic", ...). */
const char *hda_pin_device_name(hda_pin_device device);

/*
 * Walk the codec's audio function group and list its paths: for every
 * output-capable pin the shortest path back to a DAC, and for every
 * input-capable pin the shortest path from it to each ADC that can reach it.
 * *count receives how many paths exist; at most max are written.
 * DEVICE_NOT_READY when the codec fails to answer any read of the walk
 * (nothing is listed then); INVALID_PARAMETER for a codec address with no
 * codec.
 */
hda_status hda_codec_find_paths(hda_bus *bus, uint8_t codec,
				hda_codec_path *paths, size_t max,
				size_t *count);

/*
 * Program one path, in this order:
 *  1. Power: SET_POWER_STATE D0 on the audio function group and on every
 *     path widget with power control, then wait (bounded: 500 reads 1 ms
 *     apart, so at least 500 ms) until GET_POWER_STATE reports each of them
 *     actually in D0 ([7:4]).  A codec whose power never settles gives
 *     DEVICE_NOT_READY, and nothing further is programmed: no converter is
 *     tagged, no pin enabled.
 *  2. Select the path's connections, and unmute its amplifiers at 0 dB:
 *     the offset of the amp's caps, which are the widget's own when it
 *     has amp override (AUDIO_WIDGET_CAP bit 3) and the function group's
 *     otherwise.
 *  3. Tag the converter with stream_id and converter_format (the same tag
 *     and format the DMA engine uses), and enable the pin: an output pin
 *     out (plus HP drive on headphones, and EAPD where the pin has it); an
 *     input pin in, with a VRef chosen from its pin caps as Linux does: a
 *     mic pin gets 80 %, else 50 %, else 100 %, else ground, else Hi-Z;
 *     other input pins (line-in) Hi-Z.
 * Any read the codec does not answer (a parameter, a power state) fails
 * the call with DEVICE_NOT_READY; nothing is guessed in its place.
 */
hda_status hda_codec_path_enable(hda_bus *bus, const hda_codec_path *path,
				 uint8_t stream_id, uint16_t converter_format);

/* Untag the converter (stream 0) and disable the pin. */
hda_status hda_codec_path_disable(hda_bus *bus, const hda_codec_path *path);

#ifdef __cplusplus
}
#endif

#endif /* HDA_HDA_CODEC_H */
