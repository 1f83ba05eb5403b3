/* SPDX-License-Identifier: MIT */
/* Logging to stderr with journald priority prefixes (hsd_log.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "hsd_log.h"

static hsd_log_level current = HSD_LOG_DEFAULT;
static FILE *out; /* NULL: stderr, which is not a constant initializer */

static const char *const names[] = {
	[HSD_LOG_ERROR] = "error",
	[HSD_LOG_WARNING] = "warning",
	[HSD_LOG_NOTICE] = "notice",
	[HSD_LOG_INFO] = "info",
	[HSD_LOG_DEBUG] = "debug",
};

const char *hsd_log_level_name(hsd_log_level level)
{
	if ((unsigned)level >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[level];
}

int hsd_log_level_parse(const char *name, hsd_log_level *level)
{
	for (unsigned l = 0; l < sizeof(names) / sizeof(names[0]); l++)
		if (names[l] && strcmp(names[l], name) == 0) {
			*level = (hsd_log_level)l;
			return 0;
		}
	return -EINVAL;
}

void hsd_log_set_level(hsd_log_level level)
{
	current = level;
}

hsd_log_level hsd_log_get_level(void)
{
	return current;
}

bool hsd_log_enabled(hsd_log_level level)
{
	return level <= current;
}

void hsd_log_set_stream(FILE *stream)
{
	out = stream;
}

void hsd_log(hsd_log_level level, const char *fmt, ...)
{
	char msg[HSD_LOG_LINE_MAX];
	FILE *f = out ? out : stderr;
	const char *line = msg;
	va_list ap;
	int n;

	if (!hsd_log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	/* One prefix per line: journald splits records at newlines, and a
	 * line without a prefix would get the default priority. */
	for (;;) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		fprintf(f, "<%d>%.*s\n", (int)level, len, line);
		if (!nl || !nl[1]) /* a trailing newline ends the message */
			break;
		line = nl + 1;
	}
	fflush(f);
}
