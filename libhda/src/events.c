/* SPDX-License-Identifier: MIT */
/*
 * Events: stream interrupts (the BDL interface's ISR, V2 notification
 * events) and unsolicited-response callbacks.
 */
#include <unistd.h>

#include "internal.h"

/* Interrupt thread.  Runs under irq_lock, which registration changes also
 * take: a change is never half-seen, and once an unregister (or a buffer
 * free) returns, the caller's eventfd or ISR is not used again.  Control
 * routines hold the bus lock across hardware waits; they hold irq_lock only
 * for the few stores, so an interrupt is never kept waiting behind them. */
void hda__stream_irq(hda_bus *bus, unsigned sd, uint8_t status)
{
	hda_slot *slot = &bus->slots[sd];

	pthread_mutex_lock(&bus->irq_lock);
	if (slot->isr) {
		hda__enter_callback();
		slot->isr(slot->isr_ctx, status);
		hda__leave_callback();
	}
	if (status & HDA_SD_STS_BCIS) {
		uint64_t one = 1;

		/* eventfd writes never block (the counter would have to
		 * reach 2^64 - 1), so this is safe under the lock. */
		for (unsigned i = 0; i < slot->n_notify; i++)
			(void)!write(slot->notify_fds[i], &one, sizeof(one));
	}
	pthread_mutex_unlock(&bus->irq_lock);
}

hda_status hda_register_notification_event(hda_bus *bus, hda_engine handle,
					   int event_fd)
{
	hda_slot *slot;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	if (event_fd < 0)
		st = HDA_STATUS_INVALID_PARAMETER;
	else if (slot->n_notify == HDA_MAX_NOTIFY_FDS)
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
	else {
		pthread_mutex_lock(&bus->irq_lock);
		slot->notify_fds[slot->n_notify++] = event_fd;
		pthread_mutex_unlock(&bus->irq_lock);
	}
	hda__control_leave(bus);
	return st;
}

hda_status hda_unregister_notification_event(hda_bus *bus, hda_engine handle,
					     int event_fd)
{
	hda_slot *slot;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	st = HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&bus->irq_lock);
	for (unsigned i = 0; i < slot->n_notify; i++)
		if (slot->notify_fds[i] == event_fd) {
			slot->notify_fds[i] = slot->notify_fds[--slot->n_notify];
			st = HDA_STATUS_SUCCESS;
			break;
		}
	pthread_mutex_unlock(&bus->irq_lock);
	hda__control_leave(bus);
	return st;
}

hda_status hda_register_event_callback(hda_bus *bus,
				       hda_unsolicited_cb callback,
				       void *context, uint8_t *tag)
{
	hda_status st = HDA_STATUS_INSUFFICIENT_RESOURCES;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus || !callback || !tag)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&bus->cb_lock);
	/* Tag 0 is skipped: codecs power up with UNSOLICITED_ENABLE 0. */
	for (unsigned t = 1; t < HDA_MAX_UNSOL_TAGS; t++)
		if (!bus->unsol[t].cb) {
			bus->unsol[t] = (hda_unsol_entry){callback, context};
			*tag = (uint8_t)t;
			st = HDA_STATUS_SUCCESS;
			break;
		}
	pthread_mutex_unlock(&bus->cb_lock);
	return st;
}

hda_status hda_unregister_event_callback(hda_bus *bus, uint8_t tag)
{
	hda_status st = HDA_STATUS_INVALID_PARAMETER;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&bus->cb_lock);
	if (tag > 0 && tag < HDA_MAX_UNSOL_TAGS && bus->unsol[tag].cb) {
		bus->unsol[tag] = (hda_unsol_entry){0};
		st = HDA_STATUS_SUCCESS;
	}
	pthread_mutex_unlock(&bus->cb_lock);
	return st;
}
