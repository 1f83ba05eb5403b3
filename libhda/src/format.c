/* SPDX-License-Identifier: MIT */
/*
 * Stream format <-> converter format (SDnFMT), hda-facts section 6:
 * [15] non-PCM, [14] base (0 = 48 kHz, 1 = 44.1 kHz), [13:11] mult - 1,
 * [10:8] div - 1, [6:4] bits code, [3:0] channels - 1.
 */
#include "internal.h"

static const uint8_t bits_of_code[] = {8, 16, 20, 24, 32};

/* Memory container for a sample size.  HDA memory has 8, 16 and 32-bit
 * containers only, so a 24-bit container (hda-facts 8.5) is refused: 20 and
 * 24-bit samples live in 32-bit containers. */
static unsigned container_for(unsigned bits)
{
	switch (bits) {
	case 8:
		return 8;
	case 16:
		return 16;
	case 20:
	case 24:
	case 32:
		return 32;
	}
	return 0;
}

/* Find base, mult and div with base * mult / div == rate exactly. */
static bool rate_code(uint32_t rate, uint16_t *code)
{
	static const uint32_t bases[] = {48000, 44100};

	/* The fastest rate the format can express is 48 kHz x 4; checking
	 * first also keeps rate x div inside 32 bits. */
	if (rate == 0 || rate > 192000)
		return false;
	for (unsigned b = 0; b < 2; b++)
		for (unsigned mult = 1; mult <= 4; mult++)
			for (unsigned div = 1; div <= 8; div++)
				if (bases[b] * mult == rate * div) {
					*code = (uint16_t)((b ? HDA_FMT_BASE_44K1 : 0) |
						((mult - 1) << HDA_FMT_MULT_SHIFT) |
						((div - 1) << HDA_FMT_DIV_SHIFT));
					return true;
				}
	return false;
}

hda_status hda__format_check(const hda_stream_format *f, uint16_t *fmt)
{
	uint16_t rate, bits_code = 0;

	if (!f || !fmt)
		return HDA_STATUS_INVALID_PARAMETER;
	if (f->channels < 1 || f->channels > 16)
		return HDA_STATUS_INVALID_PARAMETER;
	if (!rate_code(f->sample_rate, &rate))
		return HDA_STATUS_INVALID_PARAMETER;
	while (bits_code < 5 && bits_of_code[bits_code] != f->valid_bits_per_sample)
		bits_code++;
	if (bits_code == 5)
		return HDA_STATUS_INVALID_PARAMETER;
	if (container_for(f->valid_bits_per_sample) != f->container_size)
		return HDA_STATUS_INVALID_PARAMETER;
	*fmt = (uint16_t)(rate | (bits_code << HDA_FMT_BITS_SHIFT) |
			  (f->channels - 1));
	return HDA_STATUS_SUCCESS;
}

hda_status hda_format_to_converter(const hda_stream_format *format,
				   uint16_t *converter_format)
{
	return hda__format_check(format, converter_format);
}

hda_status hda_converter_to_format(uint16_t fmt, hda_stream_format *format)
{
	unsigned code = (fmt >> HDA_FMT_BITS_SHIFT) & 0x7;
	unsigned mult = ((fmt >> HDA_FMT_MULT_SHIFT) & 0x7) + 1;
	unsigned div = ((fmt >> HDA_FMT_DIV_SHIFT) & 0x7) + 1;
	uint32_t base = (fmt & HDA_FMT_BASE_44K1) ? 44100 : 48000;

	if (!format || (fmt & HDA_FMT_NON_PCM) || code >= 5 || mult > 4 ||
	    (fmt & 0x80))
		return HDA_STATUS_INVALID_PARAMETER;
	if ((base * mult) % div)
		return HDA_STATUS_INVALID_PARAMETER;
	format->sample_rate = base * mult / div;
	format->valid_bits_per_sample = bits_of_code[code];
	format->container_size = (uint16_t)container_for(bits_of_code[code]);
	format->channels = (uint16_t)((fmt & 0xF) + 1);
	return HDA_STATUS_SUCCESS;
}

uint32_t hda_converter_frame_bytes(uint16_t fmt)
{
	hda_stream_format f;

	if (hda_converter_to_format(fmt, &f) != HDA_STATUS_SUCCESS)
		return 0;
	return (uint32_t)f.container_size / 8 * f.channels;
}
