/* SPDX-License-Identifier: MIT */
/*
 * Codec discovery and path programming (hda-facts 5), built only on
 * hda_transfer_codec_verbs.  Nothing here knows a node id: the graph is read
 * from the codec.
 */
#include <stdlib.h>
#include <string.h>

#include "hda/hda_codec.h"
#include "internal.h"

#define MAX_NODES 256
#define MAX_CONN 32

typedef struct widget {
	uint32_t caps;
	uint32_t pincap;
	uint32_t config;
	uint8_t n_conn;
	uint8_t conn[MAX_CONN];
} widget;

typedef struct graph {
	uint8_t codec, afg, start, count;
	widget w[MAX_NODES];
} graph;

const char *hda_pin_device_name(hda_pin_device device)
{
	switch (device) {
	case HDA_PIN_LINE_OUT:
		return "line-out";
	case HDA_PIN_SPEAKER:
		return "speaker";
	case HDA_PIN_HP_OUT:
		return "headphone";
	case HDA_PIN_CD:
		return "cd";
	case HDA_PIN_SPDIF_OUT:
		return "spdif-out";
	case HDA_PIN_LINE_IN:
		return "line-in";
	case HDA_PIN_MIC_IN:
		return "mic";
	case HDA_PIN_SPDIF_IN:
		return "spdif-in";
	default:
		return "other";
	}
}

static hda_status param(hda_bus *bus, uint8_t codec, uint8_t nid, uint8_t id,
			uint32_t *val)
{
	return hda__verb(bus, hda_verb12(codec, nid, HDA_VERB_GET_PARAMETER, id), val);
}

static hda_status find_afg_of(hda_bus *bus, uint8_t codec, uint8_t *afg)
{
	uint32_t count, type;
	hda_status st = param(bus, codec, 0, HDA_PAR_NODE_COUNT, &count);

	for (unsigned i = 0; st == HDA_STATUS_SUCCESS && i < (count & 0xFF); i++) {
		uint8_t nid = (uint8_t)(((count >> 16) & 0xFF) + i);

		st = param(bus, codec, nid, HDA_PAR_FG_TYPE, &type);
		if (st == HDA_STATUS_SUCCESS && (type & 0xFF) == HDA_FG_TYPE_AUDIO) {
			*afg = nid;
			return HDA_STATUS_SUCCESS;
		}
	}
	return st ? st : HDA_STATUS_INVALID_PARAMETER;
}

/* Connection lists come 4 (short form) or 2 (long form) entries per
 * response; an entry with the range bit stands for every node from the
 * previous entry to it. */
static hda_status read_connections(hda_bus *bus, graph *g, uint8_t nid)
{
	widget *w = &g->w[nid];
	uint32_t len, resp;
	bool lng;
	unsigned n, per, bits;
	uint32_t prev = 0;
	hda_status st;

	st = param(bus, g->codec, nid, HDA_PAR_CONNLIST_LEN, &len);
	if (st)
		return st;
	lng = len & 0x80;
	n = len & 0x7F;
	per = lng ? 2 : 4;
	bits = lng ? 16 : 8;
	for (unsigned i = 0; i < n; i += per) {
		st = hda__verb(bus, hda_verb12(g->codec, nid, HDA_VERB_GET_CONNECT_LIST,
					       (uint8_t)i), &resp);
		if (st)
			return st;
		for (unsigned k = 0; k < per && i + k < n; k++) {
			uint32_t e = (resp >> (k * bits)) & ((1u << bits) - 1);
			uint32_t range = e & (1u << (bits - 1));
			uint32_t id = e & ((1u << (bits - 1)) - 1);
			uint32_t from = range && prev ? prev + 1 : id;

			for (uint32_t x = from; x <= id && w->n_conn < MAX_CONN; x++)
				w->conn[w->n_conn++] = (uint8_t)x;
			prev = id;
		}
	}
	return HDA_STATUS_SUCCESS;
}

static hda_status graph_read(hda_bus *bus, uint8_t codec, graph *g)
{
	uint32_t count;
	hda_status st;

	memset(g, 0, sizeof(*g));
	g->codec = codec;
	if (codec > 14 || !(bus->codec_mask & (1u << codec)))
		return HDA_STATUS_INVALID_PARAMETER;
	st = find_afg_of(bus, codec, &g->afg);
	if (st)
		return st;
	st = param(bus, codec, g->afg, HDA_PAR_NODE_COUNT, &count);
	if (st)
		return st;
	g->start = (uint8_t)(count >> 16);
	g->count = (uint8_t)count;
	for (unsigned i = 0; i < g->count && g->start + i < MAX_NODES; i++) {
		uint8_t nid = (uint8_t)(g->start + i);
		widget *w = &g->w[nid];

		st = param(bus, codec, nid, HDA_PAR_AUDIO_WIDGET_CAP, &w->caps);
		if (st)
			return st;
		if (w->caps & HDA_WCAP_CONN_LIST) {
			st = read_connections(bus, g, nid);
			if (st)
				return st;
		}
		if (HDA_WCAP_TYPE(w->caps) == HDA_WID_PIN) {
			st = param(bus, codec, nid, HDA_PAR_PIN_CAP, &w->pincap);
			if (!st)
				st = hda__verb(bus, hda_verb12(codec, nid,
							       HDA_VERB_GET_CONFIG_DEFAULT, 0),
					       &w->config);
			if (st)
				return st;
		}
	}
	return HDA_STATUS_SUCCESS;
}

static bool in_range(const graph *g, unsigned nid)
{
	return nid >= g->start && nid < (unsigned)g->start + g->count;
}

static bool is_target(const graph *g, uint8_t nid, hda_path_dir dir)
{
	const widget *w = &g->w[nid];

	if (dir == HDA_PATH_OUTPUT)
		return HDA_WCAP_TYPE(w->caps) == HDA_WID_AUD_OUT;
	return HDA_WCAP_TYPE(w->caps) == HDA_WID_PIN && (w->pincap & HDA_PINCAP_IN);
}

/* Breadth-first search from a downstream node along connection lists to the
 * nearest target (a DAC, or an input pin), through mixers and selectors only
 * (the shortest path has the fewest amplifiers to get wrong). */
static bool shortest_path(const graph *g, uint8_t from, hda_path_dir dir,
			  uint8_t want, hda_codec_path *p)
{
	uint8_t queue[MAX_NODES], parent[MAX_NODES], pidx[MAX_NODES];
	bool seen[MAX_NODES] = {false};
	unsigned head = 0, tail = 0;

	queue[tail++] = from;
	seen[from] = true;
	while (head < tail) {
		uint8_t nid = queue[head++];
		const widget *w = &g->w[nid];
		unsigned type = HDA_WCAP_TYPE(w->caps);

		if (nid != from && is_target(g, nid, dir) && (!want || nid == want)) {
			uint8_t chain[MAX_NODES];
			unsigned n = 0;

			for (uint8_t x = nid; x != from; x = parent[x])
				chain[n++] = x;
			chain[n++] = from;
			if (n > HDA_PATH_MAX_DEPTH)
				return false;
			p->depth = (uint8_t)n;
			for (unsigned i = 0; i < n; i++)
				p->nodes[i] = chain[n - 1 - i];
			for (unsigned i = 0; i + 1 < n; i++)
				p->conn[i] = pidx[p->nodes[i + 1]];
			return true;
		}
		if (nid != from && type != HDA_WID_AUD_MIX && type != HDA_WID_AUD_SEL)
			continue;
		for (unsigned c = 0; c < w->n_conn; c++) {
			uint8_t up = w->conn[c];

			if (!in_range(g, up) || seen[up])
				continue;
			seen[up] = true;
			parent[up] = nid;
			pidx[up] = (uint8_t)c;
			queue[tail++] = up;
		}
	}
	return false;
}

static void path_finish(const graph *g, hda_codec_path *p, hda_path_dir dir)
{
	uint8_t pin = dir == HDA_PATH_OUTPUT ? p->nodes[0] : p->nodes[p->depth - 1];

	p->dir = dir;
	p->codec = g->codec;
	p->pin = pin;
	p->converter = dir == HDA_PATH_OUTPUT ? p->nodes[p->depth - 1] : p->nodes[0];
	p->pin_config = g->w[pin].config;
	p->device = (hda_pin_device)((p->pin_config >> 20) & 0xF);
	p->delay_frames = 0;
	for (unsigned i = 0; i < p->depth; i++)
		p->delay_frames += HDA_WCAP_DELAY(g->w[p->nodes[i]].caps);
}

hda_status hda_codec_find_paths(hda_bus *bus, uint8_t codec,
				hda_codec_path *paths, size_t max, size_t *count)
{
	graph *g;
	size_t n = 0;
	hda_status st;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus || !count || (max && !paths))
		return HDA_STATUS_INVALID_PARAMETER;
	g = malloc(sizeof(*g));
	if (!g)
		return HDA_STATUS_NO_MEMORY;
	st = graph_read(bus, codec, g);
	if (st)
		goto out;
	/* Output paths: per output pin, the nearest DAC. */
	for (unsigned i = 0; i < g->count; i++) {
		uint8_t nid = (uint8_t)(g->start + i);
		const widget *w = &g->w[nid];
		hda_codec_path p = {0};

		if (HDA_WCAP_TYPE(w->caps) != HDA_WID_PIN || !(w->pincap & HDA_PINCAP_OUT))
			continue;
		if (!shortest_path(g, nid, HDA_PATH_OUTPUT, 0, &p))
			continue;
		path_finish(g, &p, HDA_PATH_OUTPUT);
		if (n < max)
			paths[n] = p;
		n++;
	}
	/* Input paths: per input pin, every ADC that reaches it. */
	for (unsigned i = 0; i < g->count; i++) {
		uint8_t pin = (uint8_t)(g->start + i);
		const widget *w = &g->w[pin];

		if (HDA_WCAP_TYPE(w->caps) != HDA_WID_PIN || !(w->pincap & HDA_PINCAP_IN))
			continue;
		for (unsigned k = 0; k < g->count; k++) {
			uint8_t adc = (uint8_t)(g->start + k);
			hda_codec_path p = {0};

			if (HDA_WCAP_TYPE(g->w[adc].caps) != HDA_WID_AUD_IN)
				continue;
			if (!shortest_path(g, adc, HDA_PATH_INPUT, pin, &p))
				continue;
			path_finish(g, &p, HDA_PATH_INPUT);
			if (n < max)
				paths[n] = p;
			n++;
		}
	}
	*count = n;
out:
	free(g);
	return st;
}

/* Verb batch under construction; bounded like the paths it serves. */
typedef struct batch {
	hda_codec_transfer t[8 * HDA_PATH_MAX_DEPTH + 8];
	size_t n;
} batch;

static void add(batch *b, uint32_t cmd)
{
	if (b->n < sizeof(b->t) / sizeof(b->t[0]))
		b->t[b->n++] = (hda_codec_transfer){.command = cmd};
}

static hda_status run(hda_bus *bus, batch *b)
{
	hda_status st = hda_transfer_codec_verbs(bus, b->n, b->t, NULL, NULL);

	for (size_t i = 0; st == HDA_STATUS_SUCCESS && i < b->n; i++)
		if (!b->t[i].response.is_valid)
			st = HDA_STATUS_DEVICE_NOT_READY;
	b->n = 0;
	return st;
}

/*
 * The caps of one amplifier: the widget's own when it has amp override
 * (WCAP bit 3), else the audio function group's, which is what the spec
 * says and what Linux reads (a widget without override answers 0, whose
 * "0 dB" gain 0 would be the amp's bottom step).
 */
static hda_status amp_caps(hda_bus *bus, uint8_t codec, uint8_t afg,
			   uint8_t nid, uint32_t wcaps, bool output,
			   uint32_t *caps)
{
	uint8_t from = (wcaps & HDA_WCAP_AMP_OVERRIDE) ? nid : afg;

	return param(bus, codec, from,
		     output ? HDA_PAR_AMP_OUT_CAP : HDA_PAR_AMP_IN_CAP, caps);
}

/* SET_AMP_GAIN_MUTE for both sides of one amp, unmuted at 0 dB (the caps'
 * offset). */
static hda_status add_unmute(hda_bus *bus, batch *b, uint8_t codec,
			     uint8_t afg, uint8_t nid, uint32_t wcaps,
			     bool output, uint8_t index)
{
	uint32_t caps;
	hda_status st = amp_caps(bus, codec, afg, nid, wcaps, output, &caps);

	if (st)
		return st;
	add(b, hda_verb4(codec, nid, HDA_VERB4_SET_AMP_GAIN_MUTE,
			 (uint16_t)((output ? HDA_AMP_SET_OUTPUT : HDA_AMP_SET_INPUT) |
				    HDA_AMP_SET_LEFT | HDA_AMP_SET_RIGHT |
				    (index << HDA_AMP_SET_INDEX_SHIFT) |
				    HDA_AMPCAP_OFFSET(caps))));
	return HDA_STATUS_SUCCESS;
}

/*
 * Wait until node nid is actually in D0 (GET_POWER_STATE [7:4]).  Bounded
 * by a count of reads 1 ms apart rather than by a deadline: the wait then
 * lasts at least HDA_POWER_POLLS ms on hardware (Linux allows 500 ms for a
 * function group), and on a model that settles after a number of reads it
 * ends the same way however slow the machine is.
 */
#define HDA_POWER_POLLS 500

static hda_status wait_d0(hda_bus *bus, uint8_t codec, uint8_t nid)
{
	for (unsigned i = 0;; i++) {
		uint32_t r;
		hda_status st = hda__verb(bus, hda_verb12(codec, nid,
							  HDA_VERB_GET_POWER_STATE, 0),
					  &r);

		if (st)
			return st;
		if (HDA_PWR_ACTUAL(r) == 0)
			return HDA_STATUS_SUCCESS;
		if (i == HDA_POWER_POLLS)
			return HDA_STATUS_DEVICE_NOT_READY;
		hda__delay_us(1000);
	}
}

/* Power the AFG and the path's widgets that have power control up to D0,
 * and wait until each is there: a converter plays only once its node and
 * the AFG have actually reached D0. */
static hda_status power_up(hda_bus *bus, const hda_codec_path *path,
			   uint8_t afg, const uint32_t *wcaps)
{
	batch b = {.n = 0};
	uint8_t c = path->codec;
	hda_status st;

	add(&b, hda_verb12(c, afg, HDA_VERB_SET_POWER_STATE, 0));
	for (unsigned i = 0; i < path->depth; i++)
		if (wcaps[i] & HDA_WCAP_POWER)
			add(&b, hda_verb12(c, path->nodes[i], HDA_VERB_SET_POWER_STATE, 0));
	st = run(bus, &b);
	if (st)
		return st;
	st = wait_d0(bus, c, afg);
	for (unsigned i = 0; st == HDA_STATUS_SUCCESS && i < path->depth; i++)
		if (wcaps[i] & HDA_WCAP_POWER)
			st = wait_d0(bus, c, path->nodes[i]);
	return st;
}

/*
 * The input pin's control: IN_EN plus a VRef.  As Linux chooses: a mic
 * gets the first of 80 %, 50 %, 100 %, ground that its pin caps offer (an
 * electret capsule needs bias); every other input (line-in, CD) Hi-Z,
 * because bias on a line source only adds DC.
 */
static uint8_t input_pinctl(const hda_codec_path *path, uint32_t pincap)
{
	unsigned vref = HDA_PINCAP_VREF(pincap);
	uint8_t v = HDA_PINCTL_VREF_HIZ;

	if (path->device == HDA_PIN_MIC_IN) {
		if (vref & HDA_VREFCAP_80)
			v = HDA_PINCTL_VREF_80;
		else if (vref & HDA_VREFCAP_50)
			v = HDA_PINCTL_VREF_50;
		else if (vref & HDA_VREFCAP_100)
			v = HDA_PINCTL_VREF_100;
		else if (vref & HDA_VREFCAP_GRD)
			v = HDA_PINCTL_VREF_GRD;
	}
	return (uint8_t)(HDA_PINCTL_IN_EN | v);
}

hda_status hda_codec_path_enable(hda_bus *bus, const hda_codec_path *path,
				 uint8_t stream_id, uint16_t converter_format)
{
	batch b = {.n = 0};
	uint32_t wcaps[HDA_PATH_MAX_DEPTH], pincap;
	uint8_t c, afg;
	hda_status st;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus || !path || path->depth < 2 || path->depth > HDA_PATH_MAX_DEPTH ||
	    stream_id < 1 || stream_id > 15)
		return HDA_STATUS_INVALID_PARAMETER;
	c = path->codec;
	st = find_afg_of(bus, c, &afg);
	for (unsigned i = 0; st == HDA_STATUS_SUCCESS && i < path->depth; i++)
		st = param(bus, c, path->nodes[i], HDA_PAR_AUDIO_WIDGET_CAP, &wcaps[i]);
	if (!st)
		st = param(bus, c, path->pin, HDA_PAR_PIN_CAP, &pincap);
	if (!st)
		st = power_up(bus, path, afg, wcaps);
	for (unsigned i = 0; st == HDA_STATUS_SUCCESS && i < path->depth; i++) {
		uint8_t nid = path->nodes[i];
		uint32_t caps = wcaps[i], len = 0;
		bool mixer = HDA_WCAP_TYPE(caps) == HDA_WID_AUD_MIX;

		if (i + 1 < path->depth && (caps & HDA_WCAP_CONN_LIST)) {
			st = param(bus, c, nid, HDA_PAR_CONNLIST_LEN, &len);
			/* Mixers sum their inputs and have no selection; every
			 * other widget with several inputs selects one. */
			if (!st && !mixer && (len & 0x7F) > 1)
				add(&b, hda_verb12(c, nid, HDA_VERB_SET_CONNECT_SEL,
						   path->conn[i]));
			if (!st && (caps & HDA_WCAP_IN_AMP))
				st = add_unmute(bus, &b, c, afg, nid, caps, false,
						mixer ? path->conn[i] : 0);
		} else if ((caps & HDA_WCAP_IN_AMP) && path->dir == HDA_PATH_INPUT) {
			st = add_unmute(bus, &b, c, afg, nid, caps, false, 0);
		}
		if (!st && (caps & HDA_WCAP_OUT_AMP))
			st = add_unmute(bus, &b, c, afg, nid, caps, true, 0);
	}
	if (st)
		return st;
	add(&b, hda_verb12(c, path->converter, HDA_VERB_SET_CHANNEL_STREAMID,
			   (uint8_t)(stream_id << 4)));
	add(&b, hda_verb4(c, path->converter, HDA_VERB4_SET_CONVERTER_FORMAT,
			  converter_format));
	if (path->dir == HDA_PATH_OUTPUT) {
		add(&b, hda_verb12(c, path->pin, HDA_VERB_SET_PIN_WIDGET_CONTROL,
				   HDA_PINCTL_OUT_EN |
					   (path->device == HDA_PIN_HP_OUT ? HDA_PINCTL_HP_EN : 0)));
		if (pincap & HDA_PINCAP_EAPD)
			add(&b, hda_verb12(c, path->pin, HDA_VERB_SET_EAPD, 0x02));
	} else {
		add(&b, hda_verb12(c, path->pin, HDA_VERB_SET_PIN_WIDGET_CONTROL,
				   input_pinctl(path, pincap)));
	}
	return run(bus, &b);
}

hda_status hda_codec_path_disable(hda_bus *bus, const hda_codec_path *path)
{
	batch b = {.n = 0};

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus || !path || path->depth < 2)
		return HDA_STATUS_INVALID_PARAMETER;
	add(&b, hda_verb12(path->codec, path->converter,
			   HDA_VERB_SET_CHANNEL_STREAMID, 0));
	add(&b, hda_verb12(path->codec, path->pin, HDA_VERB_SET_PIN_WIDGET_CONTROL, 0));
	return run(bus, &b);
}
