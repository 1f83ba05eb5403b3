/* SPDX-License-Identifier: MIT */
/* Error names, format and payload type rules, clock conversions. */
#include "hsr_common.h"

#define NS 1000000000ull
/* Seconds from 1900-01-01 (NTP's era 0) to 1970-01-01: 70 years, 17 of
 * them leap. */
#define NTP_UNIX_OFFSET 2208988800ull

const char *hsr_err_name(int code)
{
	static const char *const names[] = {
		[HSR_OK] = "HSR_OK",
		[HSR_ERR_SHORT] = "HSR_ERR_SHORT",
		[HSR_ERR_VERSION] = "HSR_ERR_VERSION",
		[HSR_ERR_PADDING] = "HSR_ERR_PADDING",
		[HSR_ERR_LENGTH] = "HSR_ERR_LENGTH",
		[HSR_ERR_TYPE] = "HSR_ERR_TYPE",
		[HSR_ERR_MALFORMED] = "HSR_ERR_MALFORMED",
		[HSR_ERR_NO_SPACE] = "HSR_ERR_NO_SPACE",
		[HSR_ERR_INVALID] = "HSR_ERR_INVALID",
		[HSR_ERR_UNSUPPORTED] = "HSR_ERR_UNSUPPORTED",
		[HSR_ERR_RANDOM] = "HSR_ERR_RANDOM",
	};
	unsigned c = code < 0 ? 0u - (unsigned)code : (unsigned)code;

	if (c < sizeof(names) / sizeof(names[0]) && names[c])
		return names[c];
	return "HSR_ERR_UNKNOWN";
}

int hsr_format_check(const hsr_format *f)
{
	if (!f)
		return -HSR_ERR_INVALID;
	switch (f->encoding) {
	case HSR_L16:
	case HSR_L24:
		if (f->channels < 1 || f->channels > HSR_CHANNELS_MAX ||
		    f->rate < HSR_RATE_MIN || f->rate > HSR_RATE_MAX)
			return -HSR_ERR_INVALID;
		return 0;
	case HSR_OPUS:
		if (f->channels < 1 || f->channels > 2)
			return -HSR_ERR_INVALID;
		switch (f->rate) {
		case 8000: case 12000: case 16000: case 24000: case 48000:
			return 0;
		default:
			return -HSR_ERR_INVALID;
		}
	default:
		return -HSR_ERR_INVALID;
	}
}

uint32_t hsr_format_clock(const hsr_format *f)
{
	return f->encoding == HSR_OPUS ? HSR_OPUS_CLOCK : f->rate;
}

uint32_t hsr_format_wire_frame(const hsr_format *f)
{
	switch (f->encoding) {
	case HSR_L16: return 2u * f->channels;
	case HSR_L24: return 3u * f->channels;
	default: return 0;
	}
}

int hsr_pt_check(uint8_t pt, const hsr_format *f)
{
	if (hsr_format_check(f))
		return -HSR_ERR_INVALID;
	if (pt >= HSR_PT_DYNAMIC_MIN && pt <= HSR_PT_DYNAMIC_MAX)
		return 0;
	if (f->encoding == HSR_L16 && f->rate == 44100 &&
	    ((pt == HSR_PT_L16_STEREO && f->channels == 2) ||
	     (pt == HSR_PT_L16_MONO && f->channels == 1)))
		return 0;
	return -HSR_ERR_INVALID;
}

uint64_t hsr_ntp_from_ns(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / NS + NTP_UNIX_OFFSET;
	/* The remainder is below 2^30, so the shift cannot overflow; the
	 * fraction is truncated, never rounded up into the next second. */
	uint64_t frac = ((unix_ns % NS) << 32) / NS;

	return sec << 32 | frac;
}

uint32_t hsr_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

uint32_t hsr_ticks_from_ns(uint64_t ns, uint32_t clock_hz)
{
	/* ns = q x 10^9 + r, so floor(ns x hz / 10^9) = q x hz +
	 * floor(r x hz / 10^9) exactly.  r x hz < 2^62; q x hz may wrap
	 * 2^64, which leaves the result modulo 2^32 intact. */
	uint64_t q = ns / NS, r = ns % NS;

	return (uint32_t)(q * clock_hz + r * clock_hz / NS);
}

uint32_t hsr_mid_from_ns(uint64_t ns)
{
	uint64_t q = ns / NS, r = ns % NS;

	if (q >= 65536)
		return 0xffffffffu;
	return (uint32_t)(q << 16 | (r << 16) / NS);
}
