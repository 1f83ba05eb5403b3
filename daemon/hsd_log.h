/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd's log: one line per message on stderr, each line prefixed with
 * its syslog priority as "<N>" (the SD_ERR ... SD_DEBUG prefixes of
 * sd-daemon.h), which journald reads as the record's priority when the
 * daemon runs as a service.  A level filter drops what is less important
 * than the configured level.
 *
 * [main] Every routine here is for the main loop's thread only: the level
 * and the stream are plain variables and a message is formatted in place.
 * The audio thread never logs; it hands errors and counters back to the
 * loop (through atomics and rings), and the loop logs them.
 */
#ifndef HSD_LOG_H
#define HSD_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

/* The values are syslog's LOG_ERR ... LOG_DEBUG, so they are also the
 * journald priorities printed in the prefix. */
typedef enum hsd_log_level {
	HSD_LOG_ERROR = LOG_ERR,
	HSD_LOG_WARNING = LOG_WARNING,
	HSD_LOG_NOTICE = LOG_NOTICE,
	HSD_LOG_INFO = LOG_INFO,
	HSD_LOG_DEBUG = LOG_DEBUG,
} hsd_log_level;

/* The level a fresh process logs at, before a config says otherwise. */
#define HSD_LOG_DEFAULT HSD_LOG_INFO

/* "error", "warning", "notice", "info", "debug"; NULL for another value. */
const char *hsd_log_level_name(hsd_log_level level);

/* The level a name means (the names above); -EINVAL for another name. */
int hsd_log_level_parse(const char *name, hsd_log_level *level);

/* [main] Messages less important than level are dropped from now on. */
void hsd_log_set_level(hsd_log_level level);
hsd_log_level hsd_log_get_level(void);

/* [main] Whether a message at level would be written: lets a caller skip
 * gathering what only a debug message needs. */
bool hsd_log_enabled(hsd_log_level level);

/* [main] Where messages go: stderr unless set (tests pass a memstream).
 * NULL restores stderr. */
void hsd_log_set_stream(FILE *stream);

/* [main] Log one message, printf-style, without a trailing newline.  A
 * message longer than HSD_LOG_LINE_MAX bytes is cut, ending in "...".  A
 * newline inside the message starts a new line with the same prefix, so
 * journald gives every line the message's priority. */
#define HSD_LOG_LINE_MAX 1024
void hsd_log(hsd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* HSD_LOG_H */
