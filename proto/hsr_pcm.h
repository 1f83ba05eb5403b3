/* SPDX-License-Identifier: MIT */
/*
 * hsr PCM payloads: L16 (RFC 3551 4.5.11) and L24 (RFC 3190 4) are
 * big-endian signed samples, channels interleaved, no padding between
 * frames.  The host side is the DMA buffer's own layout (PROTOCOL.md,
 * "Format"), little-endian whatever the CPU:
 *
 *   L16 <-> S16_LE: 2 bytes a sample, the bytes swapped.
 *   L24 <-> S32_LE holding 24 significant bits in its *most* significant
 *           bytes (HD Audio's 20/24-bit-in-32 container, also plain 32-bit
 *           samples).  To the wire go the top three bytes (a 32-bit sample
 *           is truncated to 24 bits, a 20-bit one keeps its 4 zero low
 *           bits); from the wire the low byte is 0.
 *
 * Packed 3-byte S24_LE is not a layout the daemon holds, so there is no
 * routine for it.  All of these work byte by byte (no alignment needed),
 * never allocate and are [any]: the audio thread converts each packet's
 * payload in place in its send buffer.  in and out must not overlap.
 */
#ifndef HSR_PCM_H
#define HSR_PCM_H

#include "hsr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `samples` is frames x channels. */
void hsr_pcm_s16le_to_l16(uint8_t *out, const void *in, size_t samples);
void hsr_pcm_l16_to_s16le(void *out, const uint8_t *in, size_t samples);
void hsr_pcm_s32le_to_l24(uint8_t *out, const void *in, size_t samples);
void hsr_pcm_l24_to_s32le(void *out, const uint8_t *in, size_t samples);

/* Bytes a frame takes on the host side: 2 x channels for L16, 4 x
 * channels for L24, 0 for Opus.  [any] */
uint32_t hsr_pcm_host_frame(const hsr_format *f);
/* frames of f from host layout to wire: returns the bytes written
 * (frames x hsr_format_wire_frame), -HSR_ERR_NO_SPACE when cap is short,
 * -HSR_ERR_INVALID for Opus or a bad format.  [any] */
int hsr_pcm_to_wire(const hsr_format *f, uint8_t *out, size_t cap,
		    const void *in, uint32_t frames);
/* The wire payload of len bytes back to host layout: returns the frames,
 * -HSR_ERR_MALFORMED when len is not a whole number of frames,
 * -HSR_ERR_NO_SPACE when cap is short, -HSR_ERR_INVALID as above.  [any] */
int hsr_pcm_from_wire(const hsr_format *f, void *out, size_t cap,
		      const uint8_t *in, size_t len);

#ifdef __cplusplus
}
#endif

#endif
