/* SPDX-License-Identifier: MIT */
/* hda_set_dma_engine_state: the DDI's stream state machine. */
#include "internal.h"

/*
 * Allowed moves (DDI SetDmaEngineState): Reset -> Stop, Run -> Stop,
 * Stop -> Run, Stop -> Reset, and staying put.  Run <-> Reset directly is
 * refused with INVALID_DEVICE_REQUEST: the DDI forbids it without naming a
 * code (hda-facts 8.4), and that is the code it uses for every other
 * wrong-state request.
 */
static bool move_allowed(hda_stream_state from, hda_stream_state to)
{
	return !((from == HDA_STREAM_STATE_RUN && to == HDA_STREAM_STATE_RESET) ||
		 (from == HDA_STREAM_STATE_RESET && to == HDA_STREAM_STATE_RUN));
}

/* The registers hold a complete program: the engine may leave Reset.  A
 * setup that failed half-way (a stream reset or FIFOS that timed out)
 * leaves this false, so such an engine cannot be started on stale
 * registers. */
static bool has_program(const hda_slot *slot)
{
	return slot->pub_has_buffer; /* written only by this (control) thread */
}

/* A buffer with a BDL that can be programmed again. */
static bool has_bdl(const hda_slot *slot)
{
	return slot->buf_kind != HDA_BUF_NONE && slot->lvi >= 1;
}

/* Reset an engine that keeps its buffer: the stream reset clears every
 * stream register, so program the same BDL again.  Positions restart at 0.
 * Audio threads see "no buffer" while the hardware is being waited on,
 * rather than a sequence count held odd for milliseconds. */
static hda_status reset_keep_buffer(hda_bus *bus, hda_slot *slot)
{
	uint32_t fifo;
	hda_status st;

	hda__slot_write_begin(slot);
	slot->pub_has_buffer = false;
	hda__slot_write_end(slot);
	hda__resume_forget(slot);
	st = hda__stream_setup(bus, slot, slot->pub_cbl, &fifo);
	if (st == HDA_STATUS_SUCCESS) {
		hda__slot_write_begin(slot);
		slot->pub_fifo = fifo;
		slot->pub_has_buffer = true;
		hda__slot_write_end(slot);
	}
	return st;
}

/*
 * The hardware may stop an engine on its own: a descriptor error (DESE)
 * clears RUN.  The interrupt thread cannot take the bus lock to say so, so
 * it publishes the stop (events.c) and the control state catches up here,
 * at the next call: an engine libhda ran and the hardware stopped is in
 * Stop, and every move is judged from there.
 */
static void reconcile(hda_slot *slot)
{
	if (slot->state == HDA_STREAM_STATE_RUN &&
	    atomic_load_explicit(&slot->hw_stopped, memory_order_acquire)) {
		slot->state = HDA_STREAM_STATE_STOP;
		/* Running time ended when the interrupt thread saw it. */
		hda__slot_run_publish(slot, false,
				      atomic_load_explicit(&slot->hw_stop_wc,
							   memory_order_relaxed));
	}
}

/* Publish how many engines run, for the interrupt thread's health look
 * (irq.c).  A first engine wakes the thread so that it takes up the
 * periodic look at once rather than at its next interrupt. */
static void running_publish(hda_bus *bus)
{
	unsigned n = 0;

	for (unsigned i = 0; i < bus->n_sd; i++)
		n += bus->slots[i].allocated &&
		     bus->slots[i].state == HDA_STREAM_STATE_RUN;
	if (atomic_exchange(&bus->engines_running, n) == 0 && n)
		hda__irq_kick(bus);
}

hda_status hda_set_dma_engine_state(hda_bus *bus, hda_stream_state state,
				    size_t count, const hda_engine *handles)
{
	hda_slot *slots[HDA_SD_MAX];
	hda_slot *moving[HDA_SD_MAX];
	size_t n_moving = 0;
	hda_status st = hda__control_enter(bus);

	if (st)
		return st;
	if (!handles || count == 0 || count > bus->n_sd ||
	    (state != HDA_STREAM_STATE_RESET && state != HDA_STREAM_STATE_STOP &&
	     state != HDA_STREAM_STATE_RUN)) {
		st = HDA_STATUS_INVALID_PARAMETER;
		goto out;
	}
	/* Validate everything before touching any engine, so a bad entry
	 * leaves every engine as it was. */
	for (size_t i = 0; i < count; i++) {
		slots[i] = hda__slot_get(bus, handles[i]);
		if (!slots[i]) {
			st = HDA_STATUS_INVALID_HANDLE;
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (slots[k] == slots[i]) {
				st = HDA_STATUS_INVALID_PARAMETER;
				goto out;
			}
	}
	for (size_t i = 0; i < count; i++)
		reconcile(slots[i]);
	for (size_t i = 0; i < count; i++) {
		if (state != HDA_STREAM_STATE_RESET && !has_program(slots[i])) {
			st = HDA_STATUS_INVALID_DEVICE_REQUEST;
			goto out;
		}
		if (!move_allowed(slots[i]->state, state)) {
			st = HDA_STATUS_INVALID_DEVICE_REQUEST;
			goto out;
		}
		if (slots[i]->state != state)
			moving[n_moving++] = slots[i];
	}
	if (atomic_load(&bus->dead)) {
		st = HDA_STATUS_DEVICE_NOT_READY;
		goto out;
	}

	switch (state) {
	case HDA_STREAM_STATE_RUN:
	case HDA_STREAM_STATE_STOP: {
		/* Reset -> Stop changes no register: a programmed engine in
		 * reset is already stopped.  Only Run <-> Stop moves go
		 * through SSYNC. */
		hda_slot *toggling[HDA_SD_MAX];
		size_t n = 0;

		for (size_t i = 0; i < n_moving; i++)
			if (state == HDA_STREAM_STATE_RUN ||
			    moving[i]->state == HDA_STREAM_STATE_RUN)
				toggling[n++] = moving[i];
		/* Resume where each engine stopped (resume.c). */
		for (size_t i = 0; i < n && st == HDA_STATUS_SUCCESS &&
				   state == HDA_STREAM_STATE_RUN; i++)
			st = hda__resume_prepare(bus, toggling[i]);
		/* A start begins a new run: a stop the hardware made
		 * before it is history (the DESE count keeps it). */
		for (size_t i = 0; i < n && st == HDA_STATUS_SUCCESS &&
				   state == HDA_STREAM_STATE_RUN; i++)
			atomic_store_explicit(&toggling[i]->hw_stopped, false,
					      memory_order_release);
		if (n && st == HDA_STATUS_SUCCESS)
			st = hda__streams_run(bus, toggling, n,
					      state == HDA_STREAM_STATE_RUN);
		break;
	}
	case HDA_STREAM_STATE_RESET:
		for (size_t i = 0; i < n_moving && st == HDA_STATUS_SUCCESS; i++)
			if (has_bdl(moving[i]))
				st = reset_keep_buffer(bus, moving[i]);
		break;
	}
	if (st == HDA_STATUS_SUCCESS)
		for (size_t i = 0; i < n_moving; i++)
			moving[i]->state = state;
out:
	running_publish(bus); /* also after a reconcile and a refusal */
	hda__control_leave(bus);
	return st;
}
