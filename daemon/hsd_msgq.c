/* SPDX-License-Identifier: MIT */
/* The audio thread's message queue: an hsd_ring of hsd_msg (hsd_msgq.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hsd_msgq.h"
#include "hsd_ring.h"

struct hsd_msgq {
	hsd_ring *ring;
	/* One writer (the producer), so a relaxed load and store would do;
	 * fetch_add costs nothing more on the rare overflow path. */
	_Atomic uint64_t lost;
};

int hsd_msgq_create(hsd_msgq **out, uint32_t capacity)
{
	hsd_msgq *q = NULL;
	int err = -EINVAL;

	if (!out)
		goto fail;
	err = -ENOMEM;
	q = calloc(1, sizeof(*q));
	if (!q)
		goto fail;
	atomic_init(&q->lost, 0);
	err = hsd_ring_create(&q->ring, sizeof(hsd_msg), capacity, 0);
	if (err)
		goto fail;
	*out = q;
	return 0;
fail:
	free(q);
	return err;
}

void hsd_msgq_destroy(hsd_msgq *q)
{
	if (!q)
		return;
	hsd_ring_destroy(q->ring);
	free(q);
}

bool hsd_msgq_push(hsd_msgq *q, const hsd_msg *m)
{
	hsd_ring_region reg;

	if (hsd_ring_reserve(q->ring, 1, &reg) == 0) {
		atomic_fetch_add_explicit(&q->lost, 1, memory_order_relaxed);
		return false;
	}
	memcpy(reg.span[0].data, m, sizeof(*m));
	hsd_ring_commit(q->ring, 1);
	return true;
}

bool hsd_msgq_pop(hsd_msgq *q, hsd_msg *m)
{
	hsd_ring_region reg;

	if (hsd_ring_peek(q->ring, 1, &reg) == 0)
		return false;
	memcpy(m, reg.span[0].data, sizeof(*m));
	hsd_ring_consume(q->ring, 1);
	return true;
}

uint64_t hsd_msgq_lost(const hsd_msgq *q)
{
	return atomic_load_explicit(&q->lost, memory_order_relaxed);
}
