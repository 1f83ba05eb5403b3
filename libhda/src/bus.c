/* SPDX-License-Identifier: MIT */
/* Opening and closing a bus, and the routines that describe it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define HDA_DRIVER_VERSION 0x0100 /* libhda 1.0 */

static _Atomic uint16_t next_bus_id = 1;

void hda__reason(hda_bus *bus, const char *fmt, ...)
{
	va_list ap;

	if (bus->reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(bus->reason, sizeof(bus->reason), fmt, ap);
	va_end(ap);
}

static void say(char *reason, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!reason || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
}

hda_status hda_bus_open(const char *uri, hda_bus **out)
{
	return hda_bus_open_ex(uri, out, NULL, 0);
}

hda_status hda_bus_open_ex(const char *uri, hda_bus **out, char *reason,
			   size_t reason_len)
{
	const hda_plat_ops *ops;
	const char *colon, *options;
	hda_bus *bus = NULL;
	hda_status st;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!uri || !out) {
		say(reason, reason_len, "no controller URI or no place for the bus");
		return HDA_STATUS_INVALID_PARAMETER;
	}
	colon = strchr(uri, ':');
	ops = hda_plat_find(uri, colon ? (size_t)(colon - uri) : strlen(uri));
	if (!ops) {
		say(reason, reason_len, "unknown controller '%.*s' (this build knows: %s)",
		    (int)(colon ? (size_t)(colon - uri) : strlen(uri)), uri,
		    hda_plat_names());
		return HDA_STATUS_INVALID_PARAMETER;
	}
	options = colon ? colon + 1 : "";

	bus = calloc(1, sizeof(*bus));
	if (!bus) {
		say(reason, reason_len, "out of memory");
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	bus->ops = ops;
	bus->wake_fd = -1;
	/* Bus id 0 is never used, so the all-zero handle is always invalid. */
	do
		bus->id = atomic_fetch_add(&next_bus_id, 1);
	while (bus->id == 0);
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->verb_lock, NULL);
	pthread_mutex_init(&bus->unsol_lock, NULL);
	pthread_mutex_init(&bus->svc_lock, NULL);
	pthread_cond_init(&bus->svc_cond, NULL);
	pthread_mutex_init(&bus->cb_lock, NULL);
	pthread_mutex_init(&bus->async_lock, NULL);
	pthread_cond_init(&bus->async_cond, NULL);
	pthread_mutex_init(&bus->irq_lock, NULL);

	st = ops->open(options, &bus->plat, bus->reason, sizeof(bus->reason));
	if (st)
		goto fail;
	st = ops->dma_alloc(bus->plat, HDA_PAGE_SIZE, &bus->ring);
	if (st) {
		hda__reason(bus, "no DMA memory for the command rings");
		goto fail;
	}
	st = hda__controller_start(bus);
	if (st)
		goto fail;
	st = hda__irq_start(bus);
	if (st) {
		hda__reason(bus, "cannot start the interrupt thread");
		goto fail;
	}
	*out = bus;
	return HDA_STATUS_SUCCESS;
fail:
	if (!bus->reason[0])
		hda__reason(bus, "%s", hda_status_str(st));
	/* Name the backend unless its own message already does. */
	if (strncmp(bus->reason, ops->name, strlen(ops->name)) == 0)
		say(reason, reason_len, "%s", bus->reason);
	else
		say(reason, reason_len, "%s: %s", ops->name, bus->reason);
	hda_bus_close(bus);
	return st;
}

void hda_bus_close(hda_bus *bus)
{
	/* From a callback this would join the very thread it runs on and
	 * free the bus under it: refused (see hda.h). */
	if (!bus || hda__in_callback())
		return;
	hda__irq_stop(bus);
	hda__async_flush(bus);
	if (bus->plat) {
		hda__controller_stop(bus);
		/* Nothing runs any more: release every engine's memory. */
		for (unsigned i = 0; i < bus->n_sd; i++)
			hda__buffer_release(bus, &bus->slots[i]);
		bus->ops->dma_free(bus->plat, &bus->ring);
		bus->ops->close(bus->plat);
	}
	pthread_mutex_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->verb_lock);
	pthread_mutex_destroy(&bus->unsol_lock);
	pthread_mutex_destroy(&bus->svc_lock);
	pthread_cond_destroy(&bus->svc_cond);
	pthread_mutex_destroy(&bus->cb_lock);
	pthread_mutex_destroy(&bus->async_lock);
	pthread_cond_destroy(&bus->async_cond);
	pthread_mutex_destroy(&bus->irq_lock);
	free(bus);
}

hda_status hda_bus_platform(hda_bus *bus, const hda_plat_ops **ops,
			    hda_plat **plat)
{
	if (!bus || !ops || !plat)
		return HDA_STATUS_INVALID_PARAMETER;
	*ops = bus->ops;
	*plat = bus->plat;
	return HDA_STATUS_SUCCESS;
}

/* The base part of hda_device_information: what the DDI's V1 structure
 * holds.  A caller compiled against an older header passes a smaller size. */
#define INFO_BASE_SIZE offsetof(hda_device_information, controller_revision)

hda_status hda_get_device_information(hda_bus *bus,
				      hda_device_information *info)
{
	hda_device_information full;
	size_t n;

	if (!bus || !info)
		return HDA_STATUS_INVALID_PARAMETER;
	if (info->size < INFO_BASE_SIZE)
		return HDA_STATUS_BUFFER_TOO_SMALL;
	n = info->size < sizeof(full) ? info->size : sizeof(full);
	memset(&full, 0, sizeof(full));
	full.size = info->size;
	full.device_version = (uint16_t)(bus->vmaj << 8 | bus->vmin);
	full.driver_version = HDA_DRIVER_VERSION;
	full.codecs_detected = bus->codec_mask;
	full.is_striping_supported = bus->nsdo > 1;
	/* The PCI identity is not visible through BAR0: the backend states
	 * it (plat.h info). */
	full.controller_revision = bus->info.revision;
	full.controller_vendor_id = bus->info.vendor_id;
	full.controller_device_id = bus->info.device_id;
	full.input_engines = (uint8_t)bus->iss;
	full.output_engines = (uint8_t)bus->oss;
	full.bidirectional_engines = (uint8_t)bus->bss;
	full.backend = bus->ops->name;
	full.dma_burst_bytes = bus->info.dma_burst_bytes;
	full.position_step_ns = bus->info.position_step_ns;
	memcpy(info, &full, n);
	return HDA_STATUS_SUCCESS;
}

hda_status hda_get_resource_information(hda_bus *bus, uint8_t *codec_address,
					uint8_t *function_group_start_node)
{
	if (!bus || !codec_address || !function_group_start_node)
		return HDA_STATUS_INVALID_PARAMETER;
	if (!bus->codec_mask)
		return HDA_STATUS_DEVICE_NOT_READY;
	*codec_address = bus->first_codec;
	*function_group_start_node = bus->afg_nid;
	return HDA_STATUS_SUCCESS;
}
