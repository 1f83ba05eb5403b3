/* SPDX-License-Identifier: MIT */
/*
 * hsr: RTP, RTCP and SDP for hdastream (librtp).  What every part of it
 * shares: the error codes, the media format an RTP stream carries, payload
 * type rules and the clock arithmetic (NTP time, RTP clock ticks).
 *
 * The library is the wire layer only.  It knows no socket, no libuv, no
 * libhda and no Opus codec: the daemon owns those.  Nothing in it
 * allocates; every output goes into a buffer or a struct of the caller's.
 *
 * Thread rule: no routine keeps global state.  Each routine is marked
 * [any] (no system call, no lock, bounded work: the audio thread may call
 * it per packet) or [loop] (may make a system call or do work proportional
 * to its input's text: set-up time, the daemon's loop thread).
 *
 * Errors: routines return 0 (or a length) on success and the negated
 * hsr_err on failure, as hsp does.  On failure an output struct may hold
 * partial values; an output buffer holds nothing the caller should send.
 */
#ifndef HSR_COMMON_H
#define HSR_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hsr_err {
	HSR_OK = 0,
	HSR_ERR_SHORT = 1,      /* fewer bytes than the headers announce */
	HSR_ERR_VERSION = 2,    /* the version field is not 2 */
	HSR_ERR_PADDING = 3,    /* a padding count of 0, or past the payload */
	HSR_ERR_LENGTH = 4,     /* an RTCP length field disagrees with the data */
	HSR_ERR_TYPE = 5,       /* a compound RTCP packet not led by SR or RR */
	HSR_ERR_MALFORMED = 6,  /* a field's content breaks its own layout */
	HSR_ERR_NO_SPACE = 7,   /* the caller's buffer is too small */
	HSR_ERR_INVALID = 8,    /* a caller's argument is out of range */
	HSR_ERR_UNSUPPORTED = 9, /* well formed, but not a version we know */
	HSR_ERR_RANDOM = 10,    /* getrandom() failed */
} hsr_err;

/* "HSR_ERR_SHORT", ... for a code or its negation; "HSR_ERR_UNKNOWN"
 * otherwise.  Never NULL.  [any] */
const char *hsr_err_name(int code);

/* ---- Media formats --------------------------------------------------------- */

typedef enum hsr_encoding {
	HSR_L16 = 1,  /* RFC 3551 4.5.11: 16-bit signed, big-endian */
	HSR_L24 = 2,  /* RFC 3190 4: 24-bit signed, big-endian */
	HSR_OPUS = 3, /* RFC 7587: RTP clock 48 kHz whatever the input rate */
} hsr_encoding;

typedef struct hsr_format {
	uint8_t encoding; /* hsr_encoding */
	uint8_t channels; /* L16/L24: 1..16; Opus: 1..2 */
	uint32_t rate;    /* media sample rate, Hz (see hsr_format_check) */
} hsr_format;

#define HSR_CHANNELS_MAX 16u
#define HSR_RATE_MIN 8000u
#define HSR_RATE_MAX 192000u
#define HSR_OPUS_CLOCK 48000u

/* 0 when the format is one this library carries: L16/L24 at 8000..192000
 * Hz with 1..16 channels; Opus with 1 or 2 channels at one of the rates
 * libopus encodes (8000, 12000, 16000, 24000, 48000).  Else
 * -HSR_ERR_INVALID.  [any] */
int hsr_format_check(const hsr_format *f);
/* The RTP timestamp clock: 48000 for Opus (RFC 7587 4.1, whatever rate
 * the encoder was fed), the sample rate for L16/L24.  [any] */
uint32_t hsr_format_clock(const hsr_format *f);
/* Payload bytes per frame on the wire: 2 x channels for L16, 3 x channels
 * for L24, 0 for Opus (variable).  [any] */
uint32_t hsr_format_wire_frame(const hsr_format *f);

/* ---- Payload types --------------------------------------------------------- */

/* RFC 3551 table 4: the only static types this library sends. */
#define HSR_PT_L16_STEREO 10 /* L16, 44100 Hz, 2 channels */
#define HSR_PT_L16_MONO 11   /* L16, 44100 Hz, 1 channel */
#define HSR_PT_DYNAMIC_MIN 96
#define HSR_PT_DYNAMIC_MAX 127

/* 0 when pt may carry f: a dynamic type (96..127, announced by SDP), or
 * 10 / 11 for exactly the format RFC 3551 gave them.  Else
 * -HSR_ERR_INVALID.  [any] */
int hsr_pt_check(uint8_t pt, const hsr_format *f);

/* ---- Clocks ------------------------------------------------------------------
 *
 * The daemon decides which clock a time comes from (for sender reports,
 * the controller's WALCLK mapped to wall-clock time, never the host's own
 * clock read at send time); these only convert.
 */

/* NTP format (RFC 3550 4): seconds since 1900-01-01 in the high 32 bits,
 * the fraction in the low 32, from ns since 1970-01-01 (CLOCK_REALTIME).
 * The seconds wrap in 2036 as NTP's era 0 does.  [any] */
uint64_t hsr_ntp_from_ns(uint64_t unix_ns);
/* The middle 32 bits of an NTP time (16.16 seconds): RTCP's LSR, and the
 * unit of DLSR and of round-trip times.  [any] */
uint32_t hsr_ntp_mid(uint64_t ntp);
/* Ticks of an RTP clock at clock_hz in ns, modulo 2^32, exactly
 * (floor(ns x clock_hz / 10^9)).  [any] */
uint32_t hsr_ticks_from_ns(uint64_t ns, uint32_t clock_hz);
/* A 16.16-second duration from ns, saturating at 0xffffffff.  [any] */
uint32_t hsr_mid_from_ns(uint64_t ns);

#ifdef __cplusplus
}
#endif

#endif
