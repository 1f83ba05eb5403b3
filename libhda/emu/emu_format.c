/* SPDX-License-Identifier: MIT */
/*
 * Converter-format (SDnFMT) arithmetic and sample conversion between DMA
 * memory and the model's MSB-aligned int32 samples (hda-facts 6).
 *
 * Containers (hda-facts 8.5): HDA memory knows 8-, 16- and 32-bit
 * containers only; there is no packed 3-byte container.  20- and 24-bit
 * samples travel in 32-bit containers, MSB-aligned, exactly as Linux hands
 * them to the controller (S32_LE with msbits 20/24).  The container value is
 * therefore already an MSB-aligned int32 and converts as-is, in both
 * directions; the low bits below the valid bits are passed through
 * untouched (a converter ignores them).
 */
#include <string.h>

#include "emu.h"
#include "hda_regs.h"

static const unsigned bits_by_code[8] = {8, 16, 20, 24, 32, 0, 0, 0};

uint32_t emu_fmt_rate(uint16_t fmt)
{
	uint32_t base = (fmt & HDA_FMT_BASE_44K1) ? 44100u : 48000u;
	uint32_t mult = ((fmt >> HDA_FMT_MULT_SHIFT) & 0x7u) + 1u;
	uint32_t div = ((fmt >> HDA_FMT_DIV_SHIFT) & 0x7u) + 1u;

	/* Multipliers x1..x4 exist; codes 4..7 are reserved. */
	if (mult > 4 || emu_fmt_bits(fmt) == 0)
		return 0;
	/* Truncates for 44.1 kHz / 8 (5512.5 Hz); the stream timing uses the
	 * exact ratio, this value is for display and checks only. */
	return base * mult / div;
}

unsigned emu_fmt_channels(uint16_t fmt)
{
	return (fmt & 0xFu) + 1u;
}

unsigned emu_fmt_bits(uint16_t fmt)
{
	return bits_by_code[(fmt >> HDA_FMT_BITS_SHIFT) & 0x7u];
}

unsigned emu_fmt_container(uint16_t fmt)
{
	switch (emu_fmt_bits(fmt)) {
	case 8:
		return 1;
	case 16:
		return 2;
	case 20:
	case 24:
	case 32:
		return 4;
	default:
		return 0;
	}
}

unsigned emu_fmt_frame_bytes(uint16_t fmt)
{
	return emu_fmt_container(fmt) * emu_fmt_channels(fmt);
}

void emu_fmt_unpack(uint16_t fmt, const uint8_t *mem, int32_t *samples,
		    size_t n)
{
	switch (emu_fmt_container(fmt)) {
	case 1:
		/* 8-bit HDA samples are unsigned, offset by 128: flipping the
		 * top bit gives the two's complement byte. */
		for (size_t i = 0; i < n; i++)
			samples[i] = (int32_t)((uint32_t)(mem[i] ^ 0x80u) << 24);
		break;
	case 2:
		for (size_t i = 0; i < n; i++) {
			uint32_t v = (uint32_t)mem[2 * i] |
				     (uint32_t)mem[2 * i + 1] << 8;
			samples[i] = (int32_t)(v << 16);
		}
		break;
	case 4:
		for (size_t i = 0; i < n; i++) {
			const uint8_t *p = mem + 4 * i;
			uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24;
			samples[i] = (int32_t)v;
		}
		break;
	default:
		memset(samples, 0, n * sizeof(*samples));
		break;
	}
}

void emu_fmt_pack(uint16_t fmt, const int32_t *samples, uint8_t *mem,
		  size_t n)
{
	switch (emu_fmt_container(fmt)) {
	case 1:
		for (size_t i = 0; i < n; i++)
			mem[i] = (uint8_t)(((uint32_t)samples[i] >> 24) ^ 0x80u);
		break;
	case 2:
		for (size_t i = 0; i < n; i++) {
			uint32_t v = (uint32_t)samples[i] >> 16;
			mem[2 * i] = (uint8_t)v;
			mem[2 * i + 1] = (uint8_t)(v >> 8);
		}
		break;
	case 4:
		for (size_t i = 0; i < n; i++) {
			uint32_t v = (uint32_t)samples[i];
			uint8_t *p = mem + 4 * i;
			p[0] = (uint8_t)v;
			p[1] = (uint8_t)(v >> 8);
			p[2] = (uint8_t)(v >> 16);
			p[3] = (uint8_t)(v >> 24);
		}
		break;
	default:
		break;
	}
}

int32_t emu_fmt_truncate(int32_t s, unsigned bits)
{
	uint32_t mask;

	if (bits == 0 || bits >= 32)
		return s;
	mask = ~((UINT32_C(1) << (32 - bits)) - 1);
	return (int32_t)((uint32_t)s & mask);
}
