/* SPDX-License-Identifier: MIT */
/*
 * hso_opus: the Opus codec as hdastream uses it, over libopus, shared by
 * the daemon (a capture stream encoded once for all its listeners, render
 * audio decoded into the ring) and its clients (the CLI encodes what it
 * plays and decodes what it records).
 *
 * What it decides, so that every user decides the same:
 *   - the frame duration from a stream's latency when the config sets
 *     none (hso_frame_us_for_latency);
 *   - the default bitrate, 64 kbit/s a channel (128 kbit/s stereo, the
 *     top of what the Opus documentation recommends for full-band music:
 *     the daemon's links are LANs, where bits are cheap);
 *   - the encoder's application: RESTRICTED_LOWDELAY (CELT only, 2.5 ms
 *     look-ahead) unless in-band FEC is on, which only SILK and hybrid
 *     frames carry, so FEC takes AUDIO (6.5 ms look-ahead) and frames of
 *     10 ms or more;
 *   - PCM as the daemon's streams hold it: 16-bit samples in 16-bit
 *     containers, or 20/24/32-bit samples MSB-aligned in 32-bit ones
 *     (converted to float for libopus, with a scratch buffer allocated at
 *     create).
 *
 * Encode and decode never allocate and never block: they may run on any
 * one thread per encoder or decoder (not thread-safe otherwise).  Errors
 * are negative errno values; a libopus failure is -EIO.
 */
#ifndef HSO_OPUS_H
#define HSO_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet hso_encode writes: libopus's recommended bound for
 * one packet of up to 120 ms. */
#define HSO_MAX_PACKET 4000u
/* Opus frames: 2.5, 5, 10, 20, 40 and 60 ms. */
#define HSO_FRAME_US_MIN 2500u
#define HSO_FRAME_US_MAX 60000u
#define HSO_BITRATE_MIN 6000u
#define HSO_BITRATE_MAX 510000u
#define HSO_BITRATE_PER_CHANNEL 64000u
#define HSO_COMPLEXITY_DEFAULT 10u /* libopus's own */

typedef struct hso_params {
	uint32_t rate;          /* 8000, 12000, 16000, 24000 or 48000 */
	uint8_t channels;       /* 1 or 2 */
	uint8_t container_bits; /* 16 or 32 (see above) */
	uint32_t bitrate;       /* bit/s, 6000..510000; 0: 64000 a channel */
	uint32_t frame_us;      /* one of the Opus frame durations */
	uint8_t complexity;     /* 0..10 */
	bool fec;               /* in-band FEC (needs frame_us >= 10000) */
	uint8_t loss_pct;       /* expected loss, 0..100, tunes FEC */
} hso_params;

/*
 * 0 when libopus can take p; else -EINVAL and one line in why naming the
 * field, e.g. "rate 44100: Opus takes 8000, 12000, 16000, 24000 or
 * 48000 Hz".
 */
int hso_params_check(const hso_params *p, char *why, size_t len);
/* The longest Opus frame that is at most half of the latency (a frame is
 * whole before it is encoded, so its duration adds to the delay), at
 * least 2.5 ms, and at most 20 ms (longer frames only when asked for). */
uint32_t hso_frame_us_for_latency(uint32_t latency_us);
/* Frames (samples per channel) in one Opus frame of p. */
uint32_t hso_frame_samples(const hso_params *p);
/* The bitrate p stands for (its default resolved). */
uint32_t hso_bitrate(const hso_params *p);

typedef struct hso_encoder hso_encoder;

/* -EINVAL (hso_params_check), -ENOMEM, -EIO. */
int hso_encoder_create(hso_encoder **out, const hso_params *p);
void hso_encoder_destroy(hso_encoder *e); /* accepts NULL */
/* The encoder's look-ahead in frames: how much later than its input the
 * decoded audio comes out. */
uint32_t hso_encoder_lookahead(const hso_encoder *e);
/* Encode exactly hso_frame_samples frames of interleaved PCM: the packet's
 * bytes (1..cap), or -EINVAL (cap below HSO_MAX_PACKET is allowed; libopus
 * then keeps within it), -EIO. */
int hso_encode(hso_encoder *e, const void *pcm, uint8_t *out, size_t cap);

typedef struct hso_decoder hso_decoder;

/* A decoder for PCM of rate, channels and container_bits as in
 * hso_params (bitrate and frame size are the sender's: any packet
 * decodes).  -EINVAL, -ENOMEM, -EIO. */
int hso_decoder_create(hso_decoder **out, uint32_t rate, uint8_t channels,
		       uint8_t container_bits);
void hso_decoder_destroy(hso_decoder *d); /* accepts NULL */
/* Decode one packet into at most max_frames frames of pcm: the frames
 * written, or -EINVAL (a packet libopus refuses, or longer than
 * max_frames). */
int hso_decode(hso_decoder *d, const uint8_t *pkt, size_t len, void *pcm,
	       uint32_t max_frames);
/* frames of audio for a packet that was lost: recovered from the next
 * packet's in-band FEC where next is given and carries it, else
 * concealed (libopus's PLC).  frames is the lost packet's duration (a
 * multiple of 2.5 ms).  The frames written, or -EINVAL. */
int hso_decode_lost(hso_decoder *d, const uint8_t *next, size_t next_len,
		    void *pcm, uint32_t frames);

#endif
