/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd's command line: read and check the config, open its
 * controller, and serve the streams (hsd_daemon.c) until SIGTERM or
 * SIGINT; SIGHUP reloads the config.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "hda/hda.h"
#include "hsd_config.h"
#include "hsd_daemon.h"
#include "hsd_log.h"

#ifndef HSD_VERSION
#error "meson passes HSD_VERSION"
#endif
#ifndef HSD_DEFAULT_CONFIG
#error "meson passes HSD_DEFAULT_CONFIG"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hdastreamd [OPTIONS]\n"
		"Serve the streams of an HD Audio controller to network clients, as the\n"
		"config file says.\n\n"
		"  -c, --config FILE   the config (default " HSD_DEFAULT_CONFIG ")\n"
		"  -t, --check-config  check the config and open and close its controller,\n"
		"                      print \"FILE: OK\" or the error, and exit\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version\n\n"
		"Logs go to stderr, each line prefixed with its priority for journald\n"
		"(<3> error ... <7> debug); [daemon] log_level filters them.\n"
		"SIGHUP reloads the config file; a bad one is logged and changes nothing.\n\n"
		"Exit status:\n"
		"  0   stopped by SIGTERM or SIGINT; --check-config found the config\n"
		"      good; --help; --version\n"
		"  64  a bad command line (EX_USAGE)\n"
		"  69  a listen address cannot be bound (EX_UNAVAILABLE)\n"
		"  70  an internal error, such as no memory (EX_SOFTWARE)\n"
		"  78  a bad config, a config that cannot be read, a controller that\n"
		"      libhda refuses, or a stream it cannot set up (EX_CONFIG)\n");
}

/* An error before the daemon runs: plain text for --check-config, which a
 * person reads on a terminal; a log line otherwise. */
static void report(bool check, const char *msg)
{
	if (check)
		fprintf(stderr, "%s\n", msg);
	else
		hsd_log(HSD_LOG_ERROR, "%s", msg);
}

static int open_controller(const hsd_config *c, hda_bus **bus, char *err,
			   size_t len)
{
	char reason[256] = "";
	hda_status st = hda_bus_open_ex(c->controller, bus, reason, sizeof(reason));

	if (st == HDA_STATUS_SUCCESS)
		return 0;
	if (c->controller_line)
		snprintf(err, len, "%s:%u: [daemon] controller: libhda refused '%s': %s (%s)",
			 c->path, c->controller_line, c->controller, reason,
			 hda_status_str(st));
	else
		snprintf(err, len, "%s: [daemon] controller: libhda refused the default '%s': %s (%s)",
			 c->path, c->controller, reason, hda_status_str(st));
	/* Whatever the status, a controller that does not open is the
	 * config's to fix: a URI option, a backend not built, a QEMU not
	 * installed.  So it is EX_CONFIG, as a bad key is. */
	return -EINVAL;
}

/* "20", "2.5": milliseconds as a config writes them. */
static const char *ms_text(uint32_t us, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u.%03u", us / 1000, us % 1000);

	while (n > 0 && (buf[n - 1] == '0' || buf[n - 1] == '.')) {
		bool dot = buf[n - 1] == '.';

		buf[--n] = '\0';
		if (dot)
			break;
	}
	return buf;
}

static void log_plan(const hsd_config *c, hda_bus *bus)
{
	hda_device_information info = {.size = sizeof(info)};
	char listen[HSD_LISTEN_MAX * 66] = "";

	if (hda_get_device_information(bus, &info) == HDA_STATUS_SUCCESS)
		hsd_log(HSD_LOG_INFO,
			"controller %s: %s, %u output, %u input, %u bidirectional engines",
			c->controller, info.backend, info.output_engines,
			info.input_engines, info.bidirectional_engines);
	for (unsigned i = 0; i < c->listen.count; i++)
		snprintf(listen + strlen(listen), sizeof(listen) - strlen(listen),
			 "%s%s", i ? " " : "", c->listen.addr[i].text);
	hsd_log(HSD_LOG_INFO, "listen %s; at most %u clients, %u ms queued per client",
		listen, c->max_clients, c->client_queue_ms);
	for (unsigned i = 0; i < c->stream_count; i++) {
		const hsd_stream_config *s = &c->streams[i];
		char ms[16], pin[16];

		hsd_log(HSD_LOG_INFO,
			"stream %s: %s, %u Hz, %u-bit, %u ch, latency %s ms, %s, pin %s%s",
			s->name, hsd_direction_name(s->direction),
			s->format.sample_rate, s->format.valid_bits_per_sample,
			s->format.channels, ms_text(s->latency_us, ms, sizeof(ms)),
			hsd_codec_name(s->codec), hsd_pin_text(&s->pin, pin, sizeof(pin)),
			s->always_on ? ", always on" : "");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = HSD_DEFAULT_CONFIG;
	hsd_config *config = NULL;
	hda_bus *bus = NULL;
	bool check = false;
	char err[1024];
	int o, rc;

	while ((o = getopt_long(argc, argv, "c:thV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hdastreamd %s\n", HSD_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'hdastreamd --help'.\n");
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hdastreamd: unexpected argument '%s'\nTry 'hdastreamd --help'.\n",
			argv[optind]);
		return EX_USAGE;
	}

	/* A send to a client that has reset its connection fails with EPIPE,
	 * an error on that session; the default SIGPIPE would kill the
	 * daemon and every other stream with it (libuv leaves the signal
	 * alone).  Before any thread exists, so every thread has it. */
	signal(SIGPIPE, SIG_IGN);
	rc = hsd_config_load(path, &config, err, sizeof(err));
	if (rc == 0) {
		if (!check)
			hsd_log_set_level(config->log_level);
		rc = open_controller(config, &bus, err, sizeof(err));
	}
	if (rc) {
		report(check, err);
		rc = rc == -ENOMEM ? EX_SOFTWARE : EX_CONFIG;
		goto out;
	}
	if (check) {
		printf("%s: OK\n", path);
		goto out;
	}
	log_plan(config, bus);
	rc = hsd_daemon_run(config, bus);
	config = NULL; /* the daemon's, freed */
out:
	hda_bus_close(bus);
	hsd_config_free(config);
	return rc;
}
