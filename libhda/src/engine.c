/* SPDX-License-Identifier: MIT */
/*
 * Engine handles, engine allocation and link bandwidth.
 *
 * A handle is a value: bus id [63:48], stream descriptor [47:40],
 * generation [31:0].  A slot's generation changes on every allocation and is
 * 0 while the slot is free, so a freed handle, one from another bus, or a
 * made-up number all fail validation; nothing in a handle is dereferenced.
 */
#include "internal.h"

static _Atomic uint32_t gen_counter; /* shared by all buses */

static uint32_t gen_next(void)
{
	uint32_t g;

	do
		g = atomic_fetch_add(&gen_counter, 1) + 1;
	while (g == 0); /* 0 marks a free slot */
	return g;
}

hda_engine hda__slot_handle(hda_bus *bus, const hda_slot *slot)
{
	return (hda_engine){(uint64_t)bus->id << 48 | (uint64_t)slot->sd << 40 |
			    atomic_load_explicit(&slot->gen, memory_order_relaxed)};
}

hda_slot *hda__slot_get(hda_bus *bus, hda_engine handle)
{
	uint64_t v = handle.value;
	unsigned sd = (unsigned)(v >> 40) & 0xFF;
	uint32_t gen = (uint32_t)v;
	hda_slot *slot;

	if ((uint16_t)(v >> 48) != bus->id || (v & 0x000000FF00000000ull) ||
	    sd >= bus->n_sd || gen == 0)
		return NULL;
	slot = &bus->slots[sd];
	if (atomic_load_explicit(&slot->gen, memory_order_acquire) != gen)
		return NULL;
	return slot;
}

void hda__slot_write_begin(hda_slot *slot)
{
	atomic_fetch_add_explicit(&slot->seq, 1, memory_order_acq_rel);
	atomic_thread_fence(memory_order_release);
}

void hda__slot_write_end(hda_slot *slot)
{
	atomic_thread_fence(memory_order_release);
	atomic_fetch_add_explicit(&slot->seq, 1, memory_order_release);
}

hda_status hda__control_enter(hda_bus *bus)
{
	/* A control routine may block on the bus lock or on the hardware;
	 * from a callback on the interrupt thread that could deadlock, which
	 * is what the DDI's "IRQL too high" protects against. */
	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&bus->lock);
	return HDA_STATUS_SUCCESS;
}

void hda__control_leave(hda_bus *bus)
{
	pthread_mutex_unlock(&bus->lock);
}

hda_status hda__engine_enter(hda_bus *bus, hda_engine handle, hda_slot **slot)
{
	hda_status st = hda__control_enter(bus);

	if (st)
		return st;
	*slot = hda__slot_get(bus, handle);
	if (!*slot) {
		hda__control_leave(bus);
		return HDA_STATUS_INVALID_HANDLE;
	}
	return HDA_STATUS_SUCCESS;
}

/*
 * Link bandwidth (hda-facts 8.6: no formula is published).  A stream costs
 * ceil(rate x bits x channels / 48000) bits per 48 kHz frame slot.  The
 * output link carries 960 bits per frame per SDO line (a striped stream may
 * use them all); each codec's SDI carries 464.
 */
#define SDO_BITS_PER_FRAME 960u
#define SDI_BITS_PER_FRAME 464u

static uint32_t stream_cost(const hda_stream_format *f)
{
	uint64_t bits = (uint64_t)f->sample_rate * f->valid_bits_per_sample *
			f->channels;

	return (uint32_t)((bits + 47999) / 48000);
}

static uint32_t bandwidth_in_use(hda_bus *bus, bool output, uint8_t codec,
				 const hda_slot *except)
{
	uint32_t used = 0;

	for (unsigned i = 0; i < bus->n_sd; i++) {
		const hda_slot *s = &bus->slots[i];

		if (s == except || !s->allocated || s->output != output)
			continue;
		if (!output && s->codec != codec)
			continue;
		used += s->bandwidth;
	}
	return used;
}

static bool bandwidth_fits(hda_bus *bus, bool output, uint8_t codec,
			   uint32_t cost, const hda_slot *except)
{
	uint32_t budget = output ? SDO_BITS_PER_FRAME * bus->nsdo
				 : SDI_BITS_PER_FRAME;

	return bandwidth_in_use(bus, output, codec, except) + cost <= budget;
}

/*
 * Stream ids, 1..15 (hda-facts 4).  Linux by default keeps them unique
 * across both directions, which every controller accepts: some older parts
 * match an input and an output stream with the same tag.  Only once 15
 * engines are live, so that no id is free in both directions, does a new
 * engine share an id with one of the other direction (per-direction
 * uniqueness, which the specification requires and newer parts rely on).
 */
static uint8_t stream_id_pick(hda_bus *bus, bool output)
{
	uint16_t used_dir = 0, used_all = 0;

	for (unsigned i = 0; i < bus->n_sd; i++) {
		const hda_slot *s = &bus->slots[i];

		if (!s->allocated)
			continue;
		used_all |= (uint16_t)(1u << s->stream_id);
		if (s->output == output)
			used_dir |= (uint16_t)(1u << s->stream_id);
	}
	for (uint8_t id = 1; id <= 15; id++)
		if (!(used_all & (1u << id)))
			return id;
	for (uint8_t id = 1; id <= 15; id++)
		if (!(used_dir & (1u << id)))
			return id;
	return 0;
}

static hda_slot *slot_pick(hda_bus *bus, bool output)
{
	/* Dedicated engines first, bidirectional ones last, as the DDI
	 * documents, so bidirectional engines stay free for whoever needs
	 * them. */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < bus->n_sd; i++) {
			hda_slot *s = &bus->slots[i];
			bool bidir = s->can_input && s->can_output;

			if (s->allocated || bidir != (pass == 1))
				continue;
			if (output ? s->can_output : s->can_input)
				return s;
		}
	return NULL;
}

static hda_status engine_alloc(hda_bus *bus, bool output, uint8_t codec,
			       const hda_stream_format *format,
			       hda_engine *handle, uint16_t *converter_format)
{
	hda_slot *slot;
	uint16_t fmt;
	uint32_t cost;
	uint8_t id;
	hda_status st;

	if (!handle || !converter_format)
		return HDA_STATUS_INVALID_PARAMETER;
	st = hda__format_check(format, &fmt);
	if (st)
		return st;
	if (!output && (codec > 14 || !(bus->codec_mask & (1u << codec))))
		return HDA_STATUS_INVALID_PARAMETER;
	cost = stream_cost(format);
	slot = slot_pick(bus, output);
	id = stream_id_pick(bus, output);
	if (!slot || !id || !bandwidth_fits(bus, output, codec, cost, NULL))
		return HDA_STATUS_INSUFFICIENT_RESOURCES;

	slot->allocated = true;
	slot->output = output;
	slot->codec = codec;
	slot->format = *format;
	slot->fmt = fmt;
	slot->bandwidth = cost;
	slot->stream_id = id;
	slot->state = HDA_STREAM_STATE_RESET;
	slot->buf_kind = HDA_BUF_NONE;
	slot->programmed = false;
	hda__status_clear(bus, slot);
	hda__slot_write_begin(slot);
	slot->pub_has_buffer = false;
	slot->pub_output = output;
	slot->pub_frame_bytes = hda_converter_frame_bytes(fmt);
	slot->pub_rate = format->sample_rate;
	atomic_store_explicit(&slot->gen, gen_next(), memory_order_release);
	hda__slot_write_end(slot);

	*handle = hda__slot_handle(bus, slot);
	*converter_format = fmt;
	return HDA_STATUS_SUCCESS;
}

hda_status hda_allocate_render_dma_engine(hda_bus *bus,
					  const hda_stream_format *format,
					  bool stripe, hda_engine *handle,
					  uint16_t *converter_format)
{
	hda_status st = hda__control_enter(bus);

	if (st)
		return st;
	/* Striping needs more than one SDO line; on a one-line link the
	 * request is honoured as a plain stream, as Windows does. */
	(void)stripe;
	st = engine_alloc(bus, true, 0, format, handle, converter_format);
	hda__control_leave(bus);
	return st;
}

hda_status hda_allocate_capture_dma_engine(hda_bus *bus, uint8_t codec_address,
					   const hda_stream_format *format,
					   hda_engine *handle,
					   uint16_t *converter_format)
{
	hda_status st = hda__control_enter(bus);

	if (st)
		return st;
	st = engine_alloc(bus, false, codec_address, format, handle,
			  converter_format);
	hda__control_leave(bus);
	return st;
}

hda_status hda_change_bandwidth_allocation(hda_bus *bus, hda_engine handle,
					   const hda_stream_format *format,
					   uint16_t *converter_format)
{
	hda_slot *slot;
	uint16_t fmt;
	uint32_t cost;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	if (!converter_format) {
		st = HDA_STATUS_INVALID_PARAMETER;
		goto out;
	}
	st = hda__format_check(format, &fmt);
	if (st)
		goto out;
	if (slot->state != HDA_STREAM_STATE_RESET || slot->buf_kind != HDA_BUF_NONE) {
		st = HDA_STATUS_INVALID_DEVICE_REQUEST;
		goto out;
	}
	cost = stream_cost(format);
	/* Checked against everything but this engine's old reservation, and
	 * nothing changes on failure. */
	if (!bandwidth_fits(bus, slot->output, slot->codec, cost, slot)) {
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	slot->format = *format;
	slot->fmt = fmt;
	slot->bandwidth = cost;
	hda__slot_write_begin(slot);
	slot->pub_frame_bytes = hda_converter_frame_bytes(fmt);
	slot->pub_rate = format->sample_rate;
	hda__slot_write_end(slot);
	*converter_format = fmt;
out:
	hda__control_leave(bus);
	return st;
}

hda_status hda_free_dma_engine(hda_bus *bus, hda_engine handle)
{
	hda_slot *slot;
	hda_status st = hda__engine_enter(bus, handle, &slot);

	if (st)
		return st;
	if (slot->state != HDA_STREAM_STATE_RESET || slot->buf_kind != HDA_BUF_NONE)
		st = HDA_STATUS_INVALID_DEVICE_REQUEST;
	if (st == HDA_STATUS_SUCCESS) {
		hda__slot_write_begin(slot);
		atomic_store_explicit(&slot->gen, 0, memory_order_release);
		slot->pub_has_buffer = false;
		hda__slot_write_end(slot);
		slot->allocated = false;
		slot->stream_id = 0;
		slot->bandwidth = 0;
	}
	hda__control_leave(bus);
	return st;
}

hda_status hda_get_engine_descriptor(hda_bus *bus, hda_engine handle,
				     unsigned *index)
{
	hda_slot *slot;

	if (!bus || !index)
		return HDA_STATUS_INVALID_PARAMETER;
	slot = hda__slot_get(bus, handle);
	if (!slot)
		return HDA_STATUS_INVALID_HANDLE;
	*index = slot->sd;
	return HDA_STATUS_SUCCESS;
}
