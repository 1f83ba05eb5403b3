/* SPDX-License-Identifier: MIT */
/*
 * The emulator's URI options: "KEY=VALUE,..." (hda_emu.h lists them) parsed
 * into an emu_ctrl_config, with a message naming the offending key for
 * callers that pass an error buffer.  Ranges checked here are checked again
 * by emu_ctrl_create, which also takes configs built in code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "hda_regs.h"

void emu_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void emu_ctrl_config_default(emu_ctrl_config *config)
{
	memset(config, 0, sizeof(*config));
	config->iss = 4;
	config->oss = 4;
	config->bss = 0;
	config->manual_clock = false;
	config->tick_us = 1000;
	config->fifo_bytes = 256;
	config->dma_bytes = (size_t)64 << 20;
	config->irq_wait_ms = 1000;
	config->map_regs = true;
	config->dma64 = true;
	config->codec.power_settle = EMU_POWER_SETTLE_DEFAULT;
}

void emu_ctrl_config_release(emu_ctrl_config *config)
{
	if (!config)
		return;
	free(config->strings);
	config->strings = NULL;
	config->codec.lineout = config->codec.hp = NULL;
	config->codec.mic = config->codec.linein = NULL;
	config->truth_path = NULL;
}

static int parse_uint(const char *key, const char *v, unsigned lo,
		      unsigned hi, unsigned *out, char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < lo || n > hi) {
		emu_set_err(err, errlen,
			    "emu option '%s': expected %u..%u, got '%s'", key,
			    lo, hi, v);
		return -EINVAL;
	}
	*out = (unsigned)n;
	return 0;
}

/* A two-valued option: *out becomes false for no, true for yes. */
static int parse_choice(const char *key, const char *v, const char *no,
			const char *yes, bool *out, char *err, size_t errlen)
{
	if (!strcmp(v, no) || !strcmp(v, yes)) {
		*out = !strcmp(v, yes);
		return 0;
	}
	emu_set_err(err, errlen, "emu option '%s': expected %s or %s, got '%s'",
		    key, no, yes, v);
	return -EINVAL;
}

static int parse_faults(char *v, uint32_t *faults, char *err, size_t errlen)
{
	static const char *const names[HDA_EMU_FAULT_COUNT] = {
		[HDA_EMU_FAULT_STREAM_RESET_STUCK] = "srst",
		[HDA_EMU_FAULT_CONTROLLER_RESET_STUCK] = "crst",
		[HDA_EMU_FAULT_CODEC_SILENT] = "codec",
		[HDA_EMU_FAULT_FIFOS_ZERO] = "fifos",
		[HDA_EMU_FAULT_DEVICE_GONE] = "gone",
		[HDA_EMU_FAULT_FIFO_NEVER_READY] = "fifordy",
		[HDA_EMU_FAULT_POSBUF_STALE] = "posbuf",
		[HDA_EMU_FAULT_FIFO_ERROR] = "fifoe",
		[HDA_EMU_FAULT_BDL_UNREADABLE] = "bdl",
	};
	char *save = NULL;
	uint32_t set = 0;

	for (char *t = strtok_r(v, "+", &save); t;
	     t = strtok_r(NULL, "+", &save)) {
		unsigned f;

		for (f = 0; f < HDA_EMU_FAULT_COUNT; f++)
			if (strcmp(t, names[f]) == 0)
				break;
		if (f == HDA_EMU_FAULT_COUNT) {
			emu_set_err(err, errlen,
				"emu option 'fault': expected srst, crst, codec, fifos, gone, fifordy, posbuf, fifoe or bdl, got '%s'",
				t);
			return -EINVAL;
		}
		set |= 1u << f;
	}
	*faults = set;
	return 0;
}

/* power_settle=N|never: GET_POWER_STATE reads before a new power state
 * takes effect. */
static int parse_power_settle(const char *key, const char *v, unsigned *out,
			      char *err, size_t errlen)
{
	if (!strcmp(v, "never")) {
		*out = EMU_POWER_SETTLE_NEVER;
		return 0;
	}
	if (parse_uint(key, v, 0, 1000, out, NULL, 0) == 0)
		return 0;
	emu_set_err(err, errlen, "emu option '%s': expected 0..1000 or never, got '%s'",
		    key, v);
	return -EINVAL;
}

/* silent_param=ID: decimal or 0x hex, as parameter ids are usually
 * written. */
static int parse_param_id(const char *key, const char *v,
			  emu_codec_config *codec, char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 0);
	if (*v < '0' || *v > '9' || *end || errno || n > 0xFF) {
		emu_set_err(err, errlen,
			    "emu option '%s': expected a parameter id 0..0xFF, got '%s'",
			    key, v);
		return -EINVAL;
	}
	codec->silent_param_on = true;
	codec->silent_param = (uint8_t)n;
	return 0;
}

/* Copy the four codec spec strings and the truth path into one buffer the
 * config owns. */
#define N_SPECS 5
static int own_strings(emu_ctrl_config *cfg)
{
	const char **specs[N_SPECS] = {&cfg->codec.lineout, &cfg->codec.hp,
				       &cfg->codec.mic, &cfg->codec.linein,
				       &cfg->truth_path};
	size_t total = 1;
	char *buf, *p;

	for (size_t i = 0; i < N_SPECS; i++)
		if (*specs[i])
			total += strlen(*specs[i]) + 1;
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (size_t i = 0; i < N_SPECS; i++) {
		size_t len;

		if (!*specs[i])
			continue;
		len = strlen(*specs[i]) + 1;
		memcpy(p, *specs[i], len);
		*specs[i] = p;
		p += len;
	}
	*p = '\0';
	cfg->strings = buf;
	return 0;
}

static int parse_option(emu_ctrl_config *cfg, char *key, char *v, char *err,
			size_t errlen)
{
	unsigned u;

	if (!strcmp(key, "iss"))
		return parse_uint(key, v, 0, 15, &cfg->iss, err, errlen);
	if (!strcmp(key, "oss"))
		return parse_uint(key, v, 0, 15, &cfg->oss, err, errlen);
	if (!strcmp(key, "bss"))
		return parse_uint(key, v, 0, 15, &cfg->bss, err, errlen);
	if (!strcmp(key, "tick_us"))
		return parse_uint(key, v, 100, 100000, &cfg->tick_us, err,
				  errlen);
	if (!strcmp(key, "fifo"))
		return parse_uint(key, v, 4, 4096, &cfg->fifo_bytes, err,
				  errlen);
	if (!strcmp(key, "dma_mb")) {
		if (parse_uint(key, v, 1, 1024, &u, err, errlen))
			return -EINVAL;
		cfg->dma_bytes = (size_t)u << 20;
		return 0;
	}
	if (!strcmp(key, "clock"))
		return parse_choice(key, v, "realtime", "manual",
				    &cfg->manual_clock, err, errlen);
	if (!strcmp(key, "mapregs"))
		return parse_choice(key, v, "off", "on", &cfg->map_regs, err,
				    errlen);
	if (!strcmp(key, "64ok"))
		return parse_choice(key, v, "off", "on", &cfg->dma64, err,
				    errlen);
	if (!strcmp(key, "dma_low_mb")) {
		if (parse_uint(key, v, 0, 1024, &u, err, errlen))
			return -EINVAL;
		cfg->dma_low_bytes = (size_t)u << 20;
		return 0;
	}
	if (!strcmp(key, "power_settle"))
		return parse_power_settle(key, v, &cfg->codec.power_settle, err,
					  errlen);
	if (!strcmp(key, "silent_param"))
		return parse_param_id(key, v, &cfg->codec, err, errlen);
	if (!strcmp(key, "fault"))
		return parse_faults(v, &cfg->faults, err, errlen);
	if (!strcmp(key, "truth")) {
		if (!*v) {
			emu_set_err(err, errlen,
				    "emu option 'truth': expected a file path, got ''");
			return -EINVAL;
		}
		/* Created by emu_ctrl_create, which names it on failure. */
		cfg->truth_path = v;
		return 0;
	}
	if (!strcmp(key, "lineout") || !strcmp(key, "hp") ||
	    !strcmp(key, "mic") || !strcmp(key, "linein")) {
		if (!*v) {
			emu_set_err(err, errlen, "emu option '%s': empty value",
				key);
			return -EINVAL;
		}
		/* Syntax is the endpoint's business (emu_codec_create). */
		if (!strcmp(key, "lineout"))
			cfg->codec.lineout = v;
		else if (!strcmp(key, "hp"))
			cfg->codec.hp = v;
		else if (!strcmp(key, "mic"))
			cfg->codec.mic = v;
		else
			cfg->codec.linein = v;
		return 0;
	}
	emu_set_err(err, errlen, "unknown emu option '%s'", key);
	return -EINVAL;
}

hda_status emu_ctrl_config_parse(const char *options, emu_ctrl_config *config,
				 char *err, size_t errlen)
{
	emu_ctrl_config cfg;
	char *work, *save = NULL;
	hda_status st = HDA_STATUS_INVALID_PARAMETER;

	if (!options || !config)
		return HDA_STATUS_INVALID_PARAMETER;
	cfg = *config;
	work = strdup(options);
	if (!work)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	for (char *t = strtok_r(work, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');

		if (!eq) {
			emu_set_err(err, errlen,
				"emu option '%s': expected KEY=VALUE", t);
			goto out;
		}
		*eq = '\0';
		if (parse_option(&cfg, t, eq + 1, err, errlen))
			goto out;
	}
	if (cfg.iss + cfg.oss + cfg.bss < 1 ||
	    cfg.iss + cfg.oss + cfg.bss > HDA_SD_MAX) {
		emu_set_err(err, errlen,
			"emu options 'iss', 'oss', 'bss': expected 1..%u engines in total, got %u",
			HDA_SD_MAX, cfg.iss + cfg.oss + cfg.bss);
		goto out;
	}
	/* The specs still point into `work` (or the caller's strings):
	 * give the config its own copy, then drop the old one. */
	if (own_strings(&cfg)) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	free(config->strings);
	*config = cfg;
	st = HDA_STATUS_SUCCESS;
out:
	free(work);
	return st;
}
