/* SPDX-License-Identifier: MIT */
/* Shared between the files of the hsp library, not installed. */
#ifndef HSP_INTERNAL_H
#define HSP_INTERNAL_H

#include "hsp_wire.h"

/* What follows a message's fixed fields. */
/* HSP_TAIL_RECORDS: STATUS_REPORT's records and then its string. */
enum { HSP_TAIL_NONE, HSP_TAIL_STRING, HSP_TAIL_PAYLOAD, HSP_TAIL_RECORDS };

typedef struct hsp_desc {
	uint16_t type;
	uint8_t from;      /* mask of hsp_peer values that may send it */
	uint8_t tail;      /* HSP_TAIL_* */
	uint16_t fixed;    /* body bytes before the tail */
	uint16_t tail_max; /* string bound (terminator included), or 0 */
	const char *name;
} hsp_desc;

/* The version-1 message table entry for type, or NULL. */
const hsp_desc *hsp__desc(uint16_t type);

/* Writes "reason" (when not NULL) and returns -code. */
__attribute__((format(printf, 3, 4)))
int hsp__fail(char *reason, int code, const char *fmt, ...);

/* The rules every field of a message obeys (PROTOCOL.md, "Messages"),
 * applied by the decoder after reading and by the encoders before writing.
 * 0 or the negated hsp_err with reason. */
int hsp__validate(const hsp_msg *m, char *reason);

/* The value rules of one STATUS_REPORT record (hsp_check.c). */
int hsp__check_status_stream(const hsp_status_stream *s,
			     const hsp_status_report *r, char *reason);
/* Decode record bytes (HSP_STATUS_RECORD of them) with their byte-level
 * rules (reserved bytes, the name's padding) but not the value rules. */
int hsp__status_record_read(const uint8_t *rec, hsp_status_stream *out,
			    char *reason);

/* The encoder without the validation: the bytes of any message whose
 * strings are terminated within their members (and at most their bound),
 * valid or not.  For tests that need invalid frames. */
int hsp__encode_unchecked(void *buf, size_t cap, const hsp_msg *msg,
			  bool payload);

#endif
