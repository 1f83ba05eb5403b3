/* SPDX-License-Identifier: MIT */
/*
 * hsd_status.c: the answer to a client's STATUS, from the loop's state
 * alone (no engine opened, the audio thread not asked).  [main]
 */
#ifndef HSD_STATUS_H
#define HSD_STATUS_H

#include "hsd_daemon.h"

/* One configured stream as a STATUS_REPORT record. */
void hsd_status_stream_record(const hsd_stream *s, hsp_status_stream *r);
/* Send ss the STATUS_REPORT answering tag. */
void hsd_status_answer(hsd_session *ss, uint32_t tag);

#endif
