/* SPDX-License-Identifier: MIT */
/*
 * hsc: the client side of the hdastream wire protocol (proto/PROTOCOL.md),
 * over one TCP connection to hdastreamd.  The CLI `hdastream` and the tests
 * are built on it.
 *
 * What it does: connect (IPv4 or IPv6, a bounded connect), the handshake,
 * OPEN by name with optional format and latency overrides, the stream
 * requests (START, PAUSE, STOP, DRAIN, CLOSE, POSITION_REQUEST), render
 * audio kept inside the server's credit window, capture audio reassembled
 * into the caller's buffer, POSITION reports, the timing arithmetic of
 * PROTOCOL.md, and KEEPALIVE, sent while the caller is inside any call.
 *
 * What it does not do: resolve names with a bound (getaddrinfo has none; a
 * numeric address never waits for it), keep a connection alive while the
 * caller is outside the library (call hsc_service() at least every third
 * of the server's idle timeout), or reconnect.
 *
 * Every call is synchronous and waits at most its timeout (a timeout_ms
 * argument, or the client's io_timeout_ms where there is none; a negative
 * timeout_ms argument means io_timeout_ms).  The library never prints and
 * never exits.
 *
 * Return values: 0 or a count on success, else negative:
 *   - a negated errno for a local failure: -ETIMEDOUT (the bound passed),
 *     -EINTR (a signal arrived while waiting: the call is abandoned and an
 *     answer that comes later is ignored), -ECONNREFUSED, -ECONNRESET (the
 *     server closed the connection), -EINVAL (a bad argument, such as a
 *     message the protocol forbids: a stream name with a space, a latency
 *     out of range; nothing is sent), -ENOMEM,
 *     -ENOSPC (too many streams on one connection), -EBADF (a stream id not
 *     open here) ...;
 *   - HSC_E_PROTO(code) for a protocol code (an hsp_err, PROTOCOL.md
 *     "Errors"): an ERROR the server sent, or a violation by the server
 *     that the client detected (it then sends the server a fatal ERROR and
 *     drops the connection).  The two ranges never overlap.
 * hsc_last_error() tells the name and text of the last failure.
 *
 * Thread rule: a client belongs to one thread at a time.  No global state.
 */
#ifndef HSC_CLIENT_H
#define HSC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hsp_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* hdastreamd's default listen port (daemon/hsd_config.h HSD_DEFAULT_PORT;
 * tests/client checks that they agree). */
#define HSC_DEFAULT_PORT 4713
#define HSC_DEFAULT_SERVER "127.0.0.1:4713"
#define HSC_STREAMS_MAX 8 /* streams open at once on one connection */

/* Protocol codes as return values: far below every errno. */
#define HSC_PROTO_BASE 0x10000
#define HSC_E_PROTO(code) (-(HSC_PROTO_BASE + (int)(code)))
static inline bool hsc_is_proto(int rc)
{
	return rc <= -HSC_PROTO_BASE;
}
/* The hsp_err of an HSC_E_PROTO return, or 0 for any other value. */
static inline uint16_t hsc_proto_code(int rc)
{
	return hsc_is_proto(rc) ? (uint16_t)(-rc - HSC_PROTO_BASE) : 0;
}
/* The name of a return value: "HSP_ERR_BUSY", "ETIMEDOUT", "OK". */
const char *hsc_strerror(int rc);

typedef struct hsc_client hsc_client;

typedef struct hsc_options {
	int connect_timeout_ms;     /* 0: 5000 */
	int io_timeout_ms;          /* 0: 5000; bound of every wait without
				     * its own timeout argument */
	const char *client_name;    /* HELLO's name; NULL: "hsc" */
	size_t capture_queue_bytes; /* per capture stream, audio received
				     * but not yet read; 0: 1 MiB; at least
				     * 2 messages (128 KiB) */
} hsc_options;

/* The last failure of a call on a client. */
typedef struct hsc_error {
	int rc;          /* what the call returned */
	uint16_t code;   /* its hsp_err, or 0 for a local errno */
	bool remote;     /* the server sent it as an ERROR message */
	bool fatal;      /* the connection is gone */
	uint32_t stream; /* the stream concerned, or 0 */
	char text[512]; /* "what failed: why", never empty after a
			 * failure */
} hsc_error;

/*
 * Connect to server ("HOST:PORT", "[IPV6]:PORT", "HOST" for the default
 * port; NULL: HSC_DEFAULT_SERVER) and do the handshake.  opt may be NULL.
 * On failure *out is NULL and why (when not NULL, at most whylen bytes)
 * says what happened, naming the address, e.g.
 * "cannot connect to 127.0.0.1:4713: Connection refused".
 */
int hsc_connect(const char *server, const hsc_options *opt, hsc_client **out,
		char *why, size_t whylen);
/* Close the connection and free everything.  NULL is fine. */
void hsc_destroy(hsc_client *c);

const hsc_error *hsc_last_error(const hsc_client *c);
/* From HELLO_ACK. */
const char *hsc_server_name(const hsc_client *c);
uint16_t hsc_server_version(const hsc_client *c);
uint32_t hsc_server_idle_timeout_ms(const hsc_client *c);
/* The address connected to, as given to hsc_connect. */
const char *hsc_server_address(const hsc_client *c);

/* ---- Streams --------------------------------------------------------------- */

typedef struct hsc_open_args {
	const char *name;          /* the stream's name in the daemon's config */
	uint8_t direction;         /* hsp_direction; HSP_DIR_ANY: whatever it is */
	const hsp_format *format;  /* NULL: the stream's own */
	uint32_t latency_us;       /* 0: the stream's own; else 1000..2000000 */
	uint16_t interval_ms;      /* periodic POSITION reports; 0: none */
} hsc_open_args;

/* OPENED's fields. */
typedef struct hsc_stream_info {
	uint32_t id;
	uint8_t direction; /* HSP_DIR_RENDER or HSP_DIR_CAPTURE */
	uint8_t codec;
	bool adjusted;     /* the latency is not what was asked for */
	hsp_format format;
	uint32_t frame_bytes;
	uint32_t buffer_bytes, period_frames, fifo_bytes, latency_frames;
	uint32_t window_frames; /* render: the first credit limit */
} hsc_stream_info;

/* OPEN, and wait (io_timeout_ms) for OPENED or the server's ERROR. */
int hsc_open(hsc_client *c, const hsc_open_args *a, hsc_stream_info *info);

/* START, PAUSE, STOP, DRAIN or CLOSE (type: HSP_START...HSP_CLOSE) on a
 * stream, waiting for its ACK.  DRAIN's ACK comes once everything sent has
 * played out, so give it a timeout above the stream's latency.  CLOSE
 * forgets the stream id even when it fails.  0 or negative. */
int hsc_request(hsc_client *c, uint32_t stream, uint16_t type, int timeout_ms);

/*
 * Render: send frames (interleaved, in the stream's wire format), never
 * beyond the server's credit limit; waits for CREDIT while the window is
 * full.  Returns the frames taken (all of them, or fewer when the timeout
 * or a signal came after some were taken), or negative when none were.
 * Taken frames may sit in the client's send buffer until the next call.
 * nframes at most INT32_MAX.
 */
long hsc_write(hsc_client *c, uint32_t stream, const void *frames,
	       uint32_t nframes, int timeout_ms);
/* Render: frames that may be sent now without waiting (limit − sent). */
uint64_t hsc_credit(const hsc_client *c, uint32_t stream);

/*
 * Capture: copy up to max_frames frames of audio received on the stream
 * into buf, waiting up to timeout_ms for the first one.  *frame_index gets
 * the stream's converter index of the first frame copied; the frames
 * copied are consecutive (the call stops before a jump in the index, which
 * is audio this client did not get: see PROTOCOL.md "Capture frame
 * indexes").  Returns the frames copied (≥ 1) or negative.
 */
long hsc_read(hsc_client *c, uint32_t stream, void *buf, uint32_t max_frames,
	      uint64_t *frame_index, int timeout_ms);
/* Capture: frames the client itself dropped because the caller did not
 * read them before its queue filled (the server's own drops are in
 * POSITION's frames_dropped). */
uint64_t hsc_local_dropped(const hsc_client *c, uint32_t stream);

/* POSITION_REQUEST, and wait for its POSITION. */
int hsc_position(hsc_client *c, uint32_t stream, hsp_position *pos,
		 int timeout_ms);
/* The latest POSITION received on the stream (periodic or requested)
 * without waiting: true and *pos, or false when none came yet.  *seq
 * (when not NULL) counts the reports received, to tell a new one. */
bool hsc_last_position(const hsc_client *c, uint32_t stream,
		       hsp_position *pos, uint64_t *seq);

/*
 * Handle what the server sends (CREDIT, POSITION, capture AUDIO, ERROR)
 * and send a KEEPALIVE when one is due, for up to timeout_ms.  0 when the
 * time passed, or negative (a fatal ERROR, the connection lost, -EINTR).
 */
int hsc_service(hsc_client *c, int timeout_ms);

/* ---- Daemon status (PROTOCOL.md, "STATUS") ------------------------------ */

/* A STATUS_REPORT, whole and validated: the fixed part (its `streams` and
 * `records` pointers are NULL here) and every record. */
typedef struct hsc_status {
	hsp_status_report report;
	uint32_t count; /* = report.stream_count */
	hsp_status_stream streams[HSP_STATUS_STREAMS_MAX];
} hsc_status;

/* Whether the server answers STATUS (it kept HSP_CAP_STATUS in HELLO_ACK). */
bool hsc_server_has_status(const hsc_client *c);
/* STATUS, and wait for its STATUS_REPORT.  -EOPNOTSUPP (nothing sent) when
 * the server does not offer it: an older server would take the request
 * as a fatal unknown type. */
int hsc_status_get(hsc_client *c, hsc_status *out, int timeout_ms);

/* ---- Timing (PROTOCOL.md, "Timing: when a frame meets the converter") ---- */

typedef struct hsc_frame_time {
	int64_t mono_ns;     /* the daemon host's CLOCK_MONOTONIC */
	int64_t real_ns;     /* its CLOCK_REALTIME */
	int64_t wall_ticks;  /* the controller's 24 MHz wall clock */
	int64_t link_frame;  /* render: the stream's converter frame */
} hsc_frame_time;

/*
 * Render: when client frame n meets (or met) the converter, from one
 * report p of a stream of rate Hz: t + (n − P) × 10^9 / r, and likewise for
 * the realtime and wall clocks, and L + (n − P); P = frames_done.  Valid as
 * long as no underrun or pause comes between the report and the frame.
 * Nanoseconds and ticks are rounded toward minus infinity.  -EINVAL for a
 * zero rate.
 */
int hsc_render_frame_time(const hsp_position *p, uint32_t rate, uint64_t n,
			  hsc_frame_time *out);
/* Capture: when stream frame k (an AUDIO message's frame_index + i) was
 * captured at the converter: t − (L − k) × 10^9 / r, ...; link_frame = k. */
int hsc_capture_frame_time(const hsp_position *p, uint32_t rate, uint64_t k,
			   hsc_frame_time *out);

#ifdef __cplusplus
}
#endif

#endif
