/* SPDX-License-Identifier: MIT */
/*
 * Events: stream interrupts (the BDL interface's ISR, V2 notification
 * events), the per-engine status that tells an eventfd user why it woke,
 * the device-gone signal, and unsolicited-response callbacks.
 */
#include <unistd.h>

#include "internal.h"

/* Add 1 to each of a slot's eventfds.  Caller holds irq_lock.  eventfd
 * writes never block (the counter would have to reach 2^64 - 1), so this is
 * safe under the lock. */
static void notify(const hda_slot *slot)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < slot->n_notify; i++)
		(void)!write(slot->notify_fds[i], &one, sizeof(one));
}

/* Count what the status shows, so that an eventfd user woken by it can
 * tell why.  Caller holds irq_lock, which makes the interrupt thread the
 * only writer; the counters are atomics for the lock-free readers. */
static void count(hda_bus *bus, hda_slot *slot, uint8_t status)
{
	if (status & HDA_SD_STS_BCIS)
		atomic_fetch_add_explicit(&slot->ev_ioc, 1, memory_order_release);
	if (status & HDA_SD_STS_FIFOE)
		atomic_fetch_add_explicit(&slot->ev_fifo, 1, memory_order_release);
	if (status & HDA_SD_STS_DESE) {
		atomic_fetch_add_explicit(&slot->ev_desc, 1, memory_order_release);
		/* DESE is fatal: the controller clears RUN and the engine
		 * stops (hda-facts 2).  Follow the register rather than the
		 * rule: an engine whose RUN reads 1 (a part that runs on, or
		 * a start that came in between) is not stopped.  Published
		 * after the count: a reader that sees the stop also sees the
		 * error behind it.  The control state is reconciled at the
		 * next control call (state.c): the bus lock is not ours to
		 * take here, control routines hold it across hardware
		 * waits. */
		if (!(hda__rd8(bus, slot->base + HDA_SD_CTL) & HDA_SD_CTL_RUN)) {
			atomic_store_explicit(&slot->hw_stop_wc,
					      hda__wall_clock(bus),
					      memory_order_relaxed);
			atomic_store_explicit(&slot->hw_stopped, true,
					      memory_order_release);
		}
	}
}

/* Interrupt thread.  Runs under irq_lock, which registration changes also
 * take: a change is never half-seen, and once an unregister (or a buffer
 * free) returns, the caller's eventfd or ISR is not used again.  Control
 * routines hold the bus lock across hardware waits; they hold irq_lock only
 * for the few stores, so an interrupt is never kept waiting behind them.
 *
 * Eventfds fire on every cause the engine enables (IOC, FIFO error,
 * descriptor error), once per service; the status says which. */
void hda__stream_irq(hda_bus *bus, unsigned sd, uint8_t status)
{
	hda_slot *slot = &bus->slots[sd];

	pthread_mutex_lock(&bus->irq_lock);
	count(bus, slot, status);
	if (slot->isr) {
		hda__enter_callback();
		slot->isr(slot->isr_ctx, status);
		hda__leave_callback();
	}
	if (status & HDA_SD_STS_INT_MASK)
		notify(slot);
	pthread_mutex_unlock(&bus->irq_lock);
}

void hda__device_gone(hda_bus *bus)
{
	if (atomic_exchange(&bus->gone_told, true))
		return;
	atomic_store(&bus->dead, true); /* before the wake-up it explains */
	pthread_mutex_lock(&bus->irq_lock);
	for (unsigned sd = 0; sd < bus->n_sd; sd++)
		notify(&bus->slots[sd]);
	pthread_mutex_unlock(&bus->irq_lock);
}

void hda__status_clear(hda_bus *bus, hda_slot *slot)
{
	/* Under irq_lock, so that no count of the slot's previous engine
	 * lands after the zeroing. */
	pthread_mutex_lock(&bus->irq_lock);
	atomic_store(&slot->ev_ioc, 0);
	atomic_store(&slot->ev_fifo, 0);
	atomic_store(&slot->ev_desc, 0);
	atomic_store(&slot->hw_stopped, false);
	pthread_mutex_unlock(&bus->irq_lock);
}

hda_status hda_get_engine_status(hda_bus *bus, hda_engine handle,
				 hda_engine_status *status)
{
	hda_engine_status s;
	hda_slot *slot;

	if (!bus || !status)
		return HDA_STATUS_INVALID_PARAMETER;
	slot = hda__slot_get(bus, handle);
	if (!slot)
		return HDA_STATUS_INVALID_HANDLE;
	/* The stop before the counts: see count(). */
	s.stopped_by_hardware =
		atomic_load_explicit(&slot->hw_stopped, memory_order_acquire);
	s.descriptor_errors =
		atomic_load_explicit(&slot->ev_desc, memory_order_acquire);
	s.fifo_errors = atomic_load_explicit(&slot->ev_fifo, memory_order_acquire);
	s.buffer_completions =
		atomic_load_explicit(&slot->ev_ioc, memory_order_acquire);
	s.device_gone = atomic_load_explicit(&bus->dead, memory_order_acquire);
	/* The slot may have been freed and given to another engine while
	 * we read: those counts are not this handle's. */
	if (atomic_load_explicit(&slot->gen, memory_order_acquire) !=
	    (uint32_t)handle.value)
		return HDA_STATUS_INVALID_HANDLE;
	*status = s;
	return HDA_STATUS_SUCCESS;
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
