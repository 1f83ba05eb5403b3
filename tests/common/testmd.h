/* SPDX-License-Identifier: MIT */
/*
 * The hex dumps of a Markdown document, for the tests that check a spec's
 * examples against the code's bytes (test_hsp_wire, test_hsr_rtcp).  A
 * dump is a ``` block of nothing but two-digit hex bytes and spaces; any
 * other block (a diagram, code, formulas) is skipped.
 */
#ifndef TESTMD_H
#define TESTMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct md_dump {
	const uint8_t *b;
	size_t n;
} md_dump;

/*
 * Compare the dumps of the file at path, in order, with want[0..count):
 * from the top, or from the "## " heading that starts with `from` (NULL:
 * the top), up to the next "## " heading after it, or to the heading
 * that starts with `until` (NULL: the end).  Returns the number of dumps
 * that matched, or stops with *bad set to the first that did not (1-based;
 * more dumps than want counts as a mismatch).  -1 when path cannot be read.
 */
static inline long md_check_dumps(const char *path, const char *from, const char *until,
				  const md_dump *want, size_t count, size_t *bad)
{
	char line[512];
	uint8_t dump[512];
	size_t n = 0, found = 0;
	bool section = from == NULL, in = false, hex = false;
	FILE *f = fopen(path, "re");

	*bad = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!in && !strncmp(line, "## ", 3)) {
			if (until && !strncmp(line, until, strlen(until)))
				break;
			if (from)
				section = !strncmp(line, from, strlen(from));
		}
		if (!section)
			continue;
		if (!strncmp(line, "```", 3)) {
			if (in && hex && n) {
				if (found >= count || n != want[found].n ||
				    memcmp(dump, want[found].b, n)) {
					*bad = found + 1;
					break;
				}
				found++;
			}
			in = !in;
			hex = true;
			n = 0;
			continue;
		}
		if (!in || !hex)
			continue;
		for (char *c = line; *c && *c != '\n';) {
			unsigned v;
			int len;

			if (*c == ' ') {
				c++;
			} else if (sscanf(c, "%2x%n", &v, &len) == 1 && len == 2 &&
				   (c[2] == ' ' || c[2] == '\n' || !c[2]) && n < sizeof(dump)) {
				dump[n++] = (uint8_t)v;
				c += 2;
			} else {
				hex = false; /* not a dump */
				break;
			}
		}
	}
	fclose(f);
	return (long)found;
}

#endif
