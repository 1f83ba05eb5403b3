/* SPDX-License-Identifier: MIT */
/*
 * hdastream's command line: hdastream COMMAND [OPTIONS] ARGS.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hds.h"

#ifndef HDS_VERSION
#define HDS_VERSION "unknown"
#endif

volatile sig_atomic_t hds_stop;

static const char usage[] =
	"Usage: hdastream play FILE [--stream NAME] [--latency MS] [OPTIONS]\n"
	"       hdastream record --stream NAME FILE [--duration S] [OPTIONS]\n"
	"       hdastream status [--stream NAME]... [--json] [OPTIONS]\n"
	"\n"
	"The client of hdastreamd, the HD Audio streaming daemon.\n"
	"\n"
	"Commands:\n"
	"  play FILE      play a WAV or FLAC file into a render stream (default\n"
	"                 'playback'); a file of another rate is resampled, mono and\n"
	"                 stereo are mixed to the stream's channels; waits until it\n"
	"                 has played out\n"
	"  record FILE    record a capture stream into FILE, WAV or FLAC by its\n"
	"                 extension, in the stream's format, until --duration or\n"
	"                 Ctrl-C (the file is completed either way)\n"
	"  status         ask the daemon for its state (one STATUS request: no\n"
	"                 stream is opened or disturbed): every configured stream's\n"
	"                 direction, state, format, latency, buffer, period, FIFO,\n"
	"                 clients, position and counters (--stream: only those)\n"
	"\n"
	"Options:\n"
	"  --server HOST:PORT  the daemon (default " HSC_DEFAULT_SERVER "; [IPV6]:PORT)\n"
	"  --stream NAME       the stream, as named in the daemon's config\n"
	"  --latency MS        play: ask for this latency, 1..2000 ms\n"
	"  --duration S        record: stop after S seconds\n"
	"  --timeout S         how long the server may stay silent (default 5)\n"
	"  --json              status: print JSON (an object with \"streams\")\n"
	"  -h, --help          print this help\n"
	"  --version           print the version\n"
	"\n"
	"On a terminal, play and record show a progress line.\n"
	"\n"
	"Exit status:\n"
	"  0    success (record stopped by Ctrl-C included)\n"
	"  64   bad command line\n"
	"  65   a file hdastream cannot convert (channels, format)\n"
	"  66   the input file cannot be opened or read\n"
	"  69   the server cannot be reached\n"
	"  73   the output file cannot be created\n"
	"  74   writing the output file failed\n"
	"  76   the server refused, broke the connection or went silent\n"
	"  130  play stopped by Ctrl-C\n";

void hds_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hdastream: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int hds_exit_for(int rc)
{
	return rc == -EINTR ? HDS_EXIT_INTERRUPTED : HDS_EXIT_PROTOCOL;
}

hsc_client *hds_connect(const hds_args *a)
{
	hsc_options o = {.connect_timeout_ms = a->timeout_ms,
			 .io_timeout_ms = a->timeout_ms,
			 .client_name = "hdastream " HDS_VERSION};
	hsc_client *c;
	char why[512];

	if (hsc_connect(a->server, &o, &c, why, sizeof(why))) {
		hds_error("%s", why);
		return NULL;
	}
	return c;
}

static void on_signal(int sig)
{
	(void)sig;
	hds_stop = 1;
}

__attribute__((format(printf, 1, 2)))
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("hdastream: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'hdastream --help'.\n", stderr);
	return HDS_EXIT_USAGE;
}

static bool parse_seconds(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

enum { OPT_SERVER = 256, OPT_STREAM, OPT_LATENCY, OPT_DURATION, OPT_TIMEOUT,
       OPT_JSON, OPT_VERSION };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, OPT_SERVER},
		{"stream", required_argument, NULL, OPT_STREAM},
		{"latency", required_argument, NULL, OPT_LATENCY},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{0},
	};
	hds_args a = {.server = HSC_DEFAULT_SERVER, .timeout_ms = 5000};
	struct sigaction sa = {.sa_handler = on_signal};
	bool latency = false, duration = false;
	const char *cmd;
	double v;
	int o;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (o == OPT_VERSION) {
			puts("hdastream " HDS_VERSION);
			return 0;
		}
		if (o == '?')
			return bad_usage("%s", "bad option");
		return bad_usage("%s", "options come after the command, e.g. hdastream play --server HOST:PORT FILE");
	}
	if (optind >= argc)
		return bad_usage("%s", "no command (play, record or status)");
	cmd = argv[optind++];
	if (strcmp(cmd, "play") && strcmp(cmd, "record") && strcmp(cmd, "status"))
		return bad_usage("unknown command '%s'", cmd);
	/* Parse the command's own options with the command as argv[0];
	 * optind 0 makes glibc's getopt start afresh. */
	argv += optind - 1;
	argc -= optind - 1;
	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_VERSION:
			puts("hdastream " HDS_VERSION);
			return 0;
		case OPT_SERVER:
			a.server = optarg;
			break;
		case OPT_STREAM:
			a.stream = optarg;
			if (a.n_status_streams == HDS_MAX_STATUS_STREAMS)
				return bad_usage("%s", "too many --stream");
			a.status_streams[a.n_status_streams++] = optarg;
			break;
		case OPT_LATENCY:
			if (!parse_seconds(optarg, 1, 2000, &v))
				return bad_usage("--latency: expected 1..2000 ms, got '%s'", optarg);
			a.latency_us = (uint32_t)(v * 1000 + 0.5);
			latency = true;
			break;
		case OPT_DURATION:
			if (!parse_seconds(optarg, 0.001, 1e7, &v))
				return bad_usage("--duration: expected seconds > 0, got '%s'", optarg);
			a.duration_s = v;
			duration = true;
			break;
		case OPT_TIMEOUT:
			if (!parse_seconds(optarg, 0.1, 3600, &v))
				return bad_usage("--timeout: expected 0.1..3600 s, got '%s'", optarg);
			a.timeout_ms = (int)(v * 1000 + 0.5);
			break;
		case OPT_JSON:
			a.json = true;
			break;
		default:
			return bad_usage("%s", "bad option");
		}
	}
	if (strcmp(cmd, "status") && optind < argc)
		a.file = argv[optind++];
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (strcmp(cmd, "status") && !a.file)
		return bad_usage("%s: which file?", cmd);
	if (!strcmp(cmd, "record") && !a.stream)
		return bad_usage("%s", "record: which stream? (--stream NAME)");
	if ((latency && strcmp(cmd, "play")) || (duration && strcmp(cmd, "record")) ||
	    (a.json && strcmp(cmd, "status")))
		return bad_usage("an option that %s does not take", cmd);
	if (a.stream && a.n_status_streams > 1 && strcmp(cmd, "status"))
		return bad_usage("%s takes one --stream", cmd);

	/* No SA_RESTART: a wait in the client library returns -EINTR and
	 * the command stops at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "play"))
		return hds_play(&a);
	if (!strcmp(cmd, "record"))
		return hds_record(&a);
	return hds_status(&a);
}
