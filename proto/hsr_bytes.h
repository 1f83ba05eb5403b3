/* SPDX-License-Identifier: MIT */
/* Big-endian (network order) fields, for the files of librtp; not
 * installed.  Byte by byte, so neither alignment nor the host's order
 * matters. */
#ifndef HSR_BYTES_H
#define HSR_BYTES_H

#include <stdint.h>

static inline void hsr__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void hsr__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void hsr__put64(uint8_t *p, uint64_t v)
{
	hsr__put32(p, (uint32_t)(v >> 32));
	hsr__put32(p + 4, (uint32_t)v);
}

static inline uint16_t hsr__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t hsr__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t hsr__get64(const uint8_t *p)
{
	return (uint64_t)hsr__get32(p) << 32 | hsr__get32(p + 4);
}

#endif
