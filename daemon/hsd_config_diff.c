/* SPDX-License-Identifier: MIT */
/*
 * What a reload changes (hsd_config.h): stream by stream, and part by part
 * of [daemon].  Also the names the daemon prints a config's values with.
 */
#include <stdio.h>
#include <string.h>

#include "hsd_config.h"
#include "hsd_config_value.h"

bool hsd_stream_config_equal(const hsd_stream_config *a,
			     const hsd_stream_config *b)
{
	/* Field by field, not memcmp: the line a section sits on is not a
	 * setting (moving a section must not rebuild its stream), and
	 * padding bytes are not either. */
	return !strcmp(a->name, b->name) && a->direction == b->direction &&
	       a->format.sample_rate == b->format.sample_rate &&
	       a->format.valid_bits_per_sample == b->format.valid_bits_per_sample &&
	       a->format.container_size == b->format.container_size &&
	       a->format.channels == b->format.channels &&
	       a->latency_us == b->latency_us && a->codec == b->codec &&
	       a->pin.kind == b->pin.kind &&
	       (a->pin.kind != HSD_PIN_DEVICE || a->pin.device == b->pin.device) &&
	       (a->pin.kind != HSD_PIN_NODE || a->pin.node == b->pin.node) &&
	       a->always_on == b->always_on;
}

size_t hsd_config_diff(const hsd_config *old, const hsd_config *new_config,
		       hsd_stream_diff *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < old->stream_count; i++, n++) {
		const hsd_stream_config *o = &old->streams[i];
		const hsd_stream_config *s = hsd_config_stream(new_config, o->name);

		if (n < max)
			out[n] = (hsd_stream_diff){
				.name = o->name,
				.change = !s ? HSD_STREAM_REMOVED
					: hsd_stream_config_equal(o, s) ? HSD_STREAM_SAME
					: HSD_STREAM_CHANGED,
				.old_stream = o,
				.new_stream = s,
			};
	}
	for (unsigned i = 0; i < new_config->stream_count; i++) {
		const hsd_stream_config *s = &new_config->streams[i];

		if (hsd_config_stream(old, s->name))
			continue;
		if (n < max)
			out[n] = (hsd_stream_diff){
				.name = s->name,
				.change = HSD_STREAM_ADDED,
				.new_stream = s,
			};
		n++;
	}
	return n;
}

static bool listen_equal(const hsd_listen_list *a, const hsd_listen_list *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (!hsd_listen_addr_equal(&a->addr[i], &b->addr[i]))
			return false;
	return true;
}

unsigned hsd_config_daemon_changes(const hsd_config *old,
				   const hsd_config *new_config)
{
	unsigned changes = 0;

	if (strcmp(old->controller, new_config->controller))
		changes |= HSD_DAEMON_CONTROLLER;
	if (!listen_equal(&old->listen, &new_config->listen))
		changes |= HSD_DAEMON_LISTEN;
	if (old->max_clients != new_config->max_clients ||
	    old->max_streams != new_config->max_streams ||
	    old->client_queue_ms != new_config->client_queue_ms ||
	    old->realtime != new_config->realtime)
		changes |= HSD_DAEMON_LIMITS;
	if (old->log_level != new_config->log_level)
		changes |= HSD_DAEMON_LOG_LEVEL;
	return changes;
}

const char *hsd_direction_name(hsd_direction direction)
{
	return direction == HSD_RENDER ? "render" : "capture";
}

const char *hsd_codec_name(hsd_codec codec)
{
	(void)codec; /* pcm is the only one so far */
	return "pcm";
}

const char *hsd_pin_text(const hsd_pin *pin, char *buf, size_t len)
{
	switch (pin->kind) {
	case HSD_PIN_DEVICE:
		snprintf(buf, len, "%s", hda_pin_device_name(pin->device));
		break;
	case HSD_PIN_NODE:
		snprintf(buf, len, "0x%02X", pin->node);
		break;
	default:
		snprintf(buf, len, "any");
		break;
	}
	return buf;
}
