/* SPDX-License-Identifier: MIT */
/*
 * hsp: the hdastream native wire protocol, version 1 (proto/PROTOCOL.md is
 * the specification; this header follows it field by field).
 *
 * What this module does: typed messages, their encoding into a caller's
 * buffer, the decoding and validation of one complete frame, and an
 * incremental parser that turns the byte chunks of a stream socket into
 * validated messages.  It allocates nothing: the parser holds one frame of
 * at most HSP_MAX_FRAME bytes inside its own struct, and every length is
 * checked against its bound from the 8-byte header, before the body is
 * buffered.  It knows no socket, no daemon and no libhda: a datagram
 * transport can use hsp_decode() on each datagram.
 *
 * What it does not do: the per-stream rules that need session state (is a
 * stream id open on this connection, does an AUDIO payload match the
 * stream's frame size, is a render client within its credit).  Those are
 * the session's (PROTOCOL.md, "Who checks what").
 *
 * Thread rule [any]: no routine keeps global state; a parser belongs to one
 * thread at a time.  The encoders allocate nothing, take no lock and make
 * no system call, so the audio thread may use them (hsp_encode_audio_head
 * above all); the decoder and the parser format a reason text on failure.
 */
#ifndef HSP_WIRE_H
#define HSP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants (PROTOCOL.md, "Limits") ----------------------------------- */

#define HSP_VERSION 1
#define HSP_MAGIC "HDAS"           /* 4 bytes on the wire, no terminator */
#define HSP_HEADER_SIZE 8u
#define HSP_MAX_FRAME 65536u       /* header + body */
#define HSP_MAX_BODY (HSP_MAX_FRAME - HSP_HEADER_SIZE)
#define HSP_AUDIO_FIXED 20u        /* AUDIO body before its payload */
#define HSP_AUDIO_MAX_PAYLOAD (HSP_MAX_BODY - HSP_AUDIO_FIXED)
#define HSP_NAME_MAX 64u           /* names, terminator included */
#define HSP_TEXT_MAX 256u          /* ERROR text, terminator included */
#define HSP_PCM_FRAME_MAX 64u      /* 32-bit containers x 16 channels */
#define HSP_LATENCY_US_MIN 1000u
#define HSP_LATENCY_US_MAX 2000000u
#define HSP_INTERVAL_MS_MAX 10000u
#define HSP_IDLE_MS_MIN 1000u
#define HSP_IDLE_MS_MAX 3600000u
#define HSP_BUFFER_MAX (4u << 20)  /* libhda's largest DMA buffer */
#define HSP_FIFO_MAX 65536u
#define HSP_REASON_MAX 160u        /* parser reason text, terminator included */
/* STATUS_REPORT: at most this many stream records (hdastreamd has at most
 * 30 streams), each of a fixed size, after a fixed part; the daemon's
 * software name ends the body. */
#define HSP_STATUS_STREAMS_MAX 32u
#define HSP_STATUS_FIXED 24u
#define HSP_STATUS_RECORD 176u
#define HSP_STATUS_BODY_MAX                                                    \
	(HSP_STATUS_FIXED + HSP_STATUS_STREAMS_MAX * HSP_STATUS_RECORD +       \
	 HSP_NAME_MAX)

/* Message types.  0x00xx are sent by clients, 0x01xx by servers, 0x02xx
 * by both. */
typedef enum hsp_type {
	HSP_HELLO = 0x0001,
	HSP_AUTH_RESPONSE = 0x0002, /* reserved for a later version */
	HSP_OPEN = 0x0010,
	HSP_START = 0x0011,
	HSP_PAUSE = 0x0012,
	HSP_STOP = 0x0013,
	HSP_DRAIN = 0x0014,
	HSP_CLOSE = 0x0015,
	HSP_POSITION_REQUEST = 0x0016,
	HSP_STATUS = 0x0017, /* with HSP_CAP_STATUS */
	HSP_HELLO_ACK = 0x0101,
	HSP_AUTH_CHALLENGE = 0x0102, /* reserved for a later version */
	HSP_OPENED = 0x0110,
	HSP_ACK = 0x0111,
	HSP_CREDIT = 0x0112,
	HSP_POSITION = 0x0113,
	HSP_STATUS_REPORT = 0x0114, /* with HSP_CAP_STATUS */
	HSP_KEEPALIVE = 0x0201,
	HSP_AUDIO = 0x0202,
	HSP_ERROR = 0x0203,
} hsp_type;

/* Capability bits (HELLO, HELLO_ACK).  Unknown bits are ignored. */
#define HSP_CAP_PCM (1u << 0)
#define HSP_CAP_OPUS (1u << 1) /* reserved: no version-1 peer sets it */
#define HSP_CAP_AUTH (1u << 2) /* reserved: no version-1 peer sets it */
#define HSP_CAP_STATUS (1u << 3) /* the server answers STATUS */

typedef enum hsp_direction {
	HSP_DIR_ANY = 0, /* OPEN only: whatever the stream is */
	HSP_DIR_RENDER = 1,
	HSP_DIR_CAPTURE = 2,
} hsp_direction;

typedef enum hsp_codec {
	HSP_CODEC_PCM = 0,
	HSP_CODEC_OPUS = 1, /* reserved for a later version */
} hsp_codec;

#define HSP_OPEN_FORMAT (1u << 0)  /* OPEN.flags: format override present */
#define HSP_OPEN_LATENCY (1u << 1) /* OPEN.flags: latency override present */
#define HSP_OPENED_ADJUSTED (1u << 0) /* OPENED.flags: latency not as asked */
#define HSP_POS_STALLED (1u << 0)  /* POSITION.flags: positions held */

/* STATUS_REPORT: a configured stream's state in the daemon (not a
 * client's: that is hsp_stream_state). */
typedef enum hsp_status_state {
	HSP_SSTATE_IDLE = 0,    /* no engine open (nobody uses the stream) */
	HSP_SSTATE_STOPPED = 1, /* an engine open, not running */
	HSP_SSTATE_RUNNING = 2, /* the engine runs */
} hsp_status_state;

/* STATUS_REPORT stream record flags. */
#define HSP_SS_ENGINE (1u << 0)    /* an engine is open (state not IDLE) */
#define HSP_SS_OWNER (1u << 1)     /* render: a client has it open */
#define HSP_SS_ALWAYS_ON (1u << 2) /* capture: runs with no listener */
#define HSP_SS_POSITION (1u << 3)  /* the position fields hold a reading */
#define HSP_SS_STALLED (1u << 4)   /* that reading is libhda's `stalled` */
#define HSP_SS_ADJUSTED (1u << 5)  /* the latency is not the configured one */
#define HSP_SS_FLAGS_ALL 0x3fu

typedef enum hsp_stream_state {
	HSP_STATE_IDLE = 0,
	HSP_STATE_RUNNING = 1,
	HSP_STATE_PAUSED = 2,
	HSP_STATE_DRAINING = 3,
} hsp_stream_state;

/*
 * Error codes, on the wire as ERROR.code.  1..9 are libhda's hda_status
 * values with their hda_status_str names (tests/proto checks they agree);
 * 0x100 and up are the protocol's own.  C routines return them negated.
 */
typedef enum hsp_err {
	HSP_OK = 0,
	HSP_ERR_HDA_UNSUCCESSFUL = 1,
	HSP_ERR_HDA_INSUFFICIENT_RESOURCES = 2,
	HSP_ERR_HDA_INVALID_HANDLE = 3,
	HSP_ERR_HDA_INVALID_PARAMETER = 4,
	HSP_ERR_HDA_DEVICE_NOT_READY = 5,
	HSP_ERR_HDA_INVALID_DEVICE_REQUEST = 6,
	HSP_ERR_HDA_BUFFER_TOO_SMALL = 7,
	HSP_ERR_HDA_NO_MEMORY = 8,
	HSP_ERR_HDA_ACCESS_DENIED = 9,
	HSP_ERR_BAD_MAGIC = 0x100,
	HSP_ERR_UNSUPPORTED_VERSION = 0x101,
	HSP_ERR_UNKNOWN_TYPE = 0x102,
	HSP_ERR_TOO_LARGE = 0x103,
	HSP_ERR_TRUNCATED = 0x104,
	HSP_ERR_BAD_LENGTH = 0x105,
	HSP_ERR_BAD_STRING = 0x106,
	HSP_ERR_BAD_FORMAT = 0x107,
	HSP_ERR_RESERVED = 0x108,
	HSP_ERR_BAD_MESSAGE = 0x109,
	HSP_ERR_BAD_STATE = 0x10A,
	HSP_ERR_BAD_SEQUENCE = 0x10B,
	HSP_ERR_UNSUPPORTED = 0x10C,
	HSP_ERR_BUSY = 0x10D,
	HSP_ERR_UNKNOWN_STREAM = 0x10E,
	HSP_ERR_LIMIT = 0x10F,
	HSP_ERR_TIMEOUT = 0x110,
	HSP_ERR_SHUTDOWN = 0x111,
	HSP_ERR_STREAM_CHANGED = 0x112,
	/* Local only, never on the wire: an encoder's buffer is too small. */
	HSP_ERR_NO_SPACE = 0x1FF,
} hsp_err;

/* The name of a code or of its negation: "HSP_ERR_BUSY", the hda_status_str
 * name for 1..9 ("HDA_STATUS_INSUFFICIENT_RESOURCES"), "HSP_ERR_UNKNOWN" for
 * a code version 1 lacks.  Never NULL. */
const char *hsp_err_name(int code);
/* Message type name ("OPEN", ...), or NULL for a type version 1 lacks. */
const char *hsp_type_name(uint16_t type);

/* ---- Messages -------------------------------------------------------------- */

/* An hda_stream_format on the wire (PROTOCOL.md, "Format"). */
typedef struct hsp_format {
	uint32_t rate;     /* Hz */
	uint8_t bits;      /* valid bits: 8, 16, 20, 24, 32 */
	uint8_t container; /* bits in memory: 8, 16, 32 */
	uint8_t channels;  /* 1..16 */
} hsp_format;

typedef struct hsp_hello {
	uint16_t version_min, version_max;
	uint32_t caps;
	char name[HSP_NAME_MAX]; /* client software, may be empty */
} hsp_hello;

typedef struct hsp_hello_ack {
	uint16_t version;
	uint32_t caps;
	uint8_t auth;             /* 0: none (the only version-1 value) */
	uint32_t idle_timeout_ms; /* 0: none */
	char name[HSP_NAME_MAX];  /* server software, may be empty */
} hsp_hello_ack;

typedef struct hsp_open {
	uint32_t tag;
	uint8_t direction; /* hsp_direction */
	uint8_t flags;     /* HSP_OPEN_* */
	uint16_t interval_ms; /* periodic POSITION reports; 0: none */
	hsp_format format;    /* all zero without HSP_OPEN_FORMAT */
	uint32_t latency_us;  /* 0 without HSP_OPEN_LATENCY */
	char name[HSP_NAME_MAX];
} hsp_open;

typedef struct hsp_opened {
	uint32_t tag, stream;
	uint8_t direction, codec, flags;
	hsp_format format;
	uint32_t buffer_bytes, period_frames, fifo_bytes, latency_frames;
	uint32_t window_frames; /* render: first credit limit; capture: 0 */
} hsp_opened;

/* START, PAUSE, STOP, DRAIN, CLOSE, POSITION_REQUEST. */
typedef struct hsp_request {
	uint32_t tag, stream;
} hsp_request;

typedef struct hsp_ack {
	uint32_t tag, stream;
	uint16_t request; /* the hsp_type answered */
} hsp_ack;

typedef struct hsp_credit {
	uint32_t stream;
	uint64_t limit; /* the client may send frames with index < limit */
} hsp_credit;

typedef struct hsp_position {
	uint32_t tag, stream; /* tag 0: a periodic report */
	uint8_t state, flags;
	uint32_t fifo_bytes;
	uint64_t link_frames, dma_frames, wall_ticks, mono_ns, real_ns;
	uint64_t frames_sent, frames_done, frames_dropped, underruns;
} hsp_position;

/* STATUS: tag only (the body's other 4 bytes are reserved). */
typedef struct hsp_status_req {
	uint32_t tag;
} hsp_status_req;

/* One configured stream in a STATUS_REPORT (PROTOCOL.md, "STATUS_REPORT").
 * The sizing is that of the engine open now, or else of the latest one
 * (the daemon opens each engine once at start-up).  The counters are the
 * open engine's since it was opened, 0 while none is. */
typedef struct hsp_status_stream {
	char name[HSP_NAME_MAX];
	uint8_t direction; /* HSP_DIR_RENDER or HSP_DIR_CAPTURE */
	uint8_t codec;
	uint8_t state;     /* hsp_status_state */
	uint8_t flags;     /* HSP_SS_* */
	hsp_format format;
	uint32_t latency_frames, latency_us, buffer_bytes, period_frames;
	uint32_t fifo_bytes;
	uint32_t listeners; /* capture: clients listening; render: 0 */
	/* The newest reading (HSP_SS_POSITION), as POSITION's fields; without
	 * one link_frames is the stream's timeline so far and the rest 0. */
	uint64_t link_frames, dma_frames, wall_ticks, mono_ns, real_ns;
	uint64_t frames;    /* render: written to the buffer; capture: read */
	uint64_t underruns; /* render: times the source ran dry; capture: 0 */
	uint64_t overruns;  /* capture: the reader fell behind; render: 0 */
	uint64_t dropped;   /* render: fetched before written; capture:
			       skipped on an overrun or lost to the pool */
} hsp_status_stream;

typedef struct hsp_status_report {
	uint32_t tag;
	uint16_t stream_count; /* 0..HSP_STATUS_STREAMS_MAX */
	uint32_t clients;      /* connected now, this one included */
	uint32_t max_clients;  /* the daemon's limit, ≥ 1 */
	uint64_t uptime_ms;
	char server[HSP_NAME_MAX]; /* software name and version */
	/* Encoding: the caller's stream_count records.  Decoded: NULL. */
	const hsp_status_stream *streams;
	/* Decoded: the stream_count validated records inside the frame
	 * (valid as long as an AUDIO payload is).  Encoding: NULL.  Read
	 * either with hsp_status_stream_get(). */
	const uint8_t *records;
} hsp_status_report;

typedef struct hsp_keepalive {
	uint64_t token;
} hsp_keepalive;

typedef struct hsp_audio {
	uint32_t stream;
	uint8_t codec;
	uint64_t frame_index;
	uint32_t frames;
	uint32_t payload_len;
	/* Decoded: points into the parser's (or hsp_decode's) buffer, valid
	 * until it is fed again.  Encoding: the caller's bytes. */
	const uint8_t *payload;
} hsp_audio;

typedef struct hsp_error_msg {
	uint32_t tag, stream;
	uint16_t code; /* hsp_err */
	uint8_t fatal; /* 1: the sender closes the connection after it; or 0 */
	char text[HSP_TEXT_MAX];
} hsp_error_msg;

typedef struct hsp_msg {
	uint16_t type; /* hsp_type: which member is valid */
	union {
		hsp_hello hello;
		hsp_hello_ack hello_ack;
		hsp_open open;
		hsp_opened opened;
		hsp_request request;
		hsp_ack ack;
		hsp_credit credit;
		hsp_position position;
		hsp_keepalive keepalive;
		hsp_audio audio;
		hsp_error_msg error;
		hsp_status_req status;
		hsp_status_report status_report;
	} u;
} hsp_msg;

/* The sender of a message: a parser reads one peer's messages. */
typedef enum hsp_peer {
	HSP_FROM_CLIENT = 1,
	HSP_FROM_SERVER = 2,
} hsp_peer;

/* ---- Encoding --------------------------------------------------------------
 *
 * Each encoder validates its message by the same rules the decoder applies
 * (a peer cannot be sent what it must refuse), then writes header and body
 * into buf.  Returns the bytes written, or -HSP_ERR_NO_SPACE when cap is
 * too small (nothing written beyond cap), or the negated hsp_err of the
 * first invalid field.
 */
int hsp_encode(void *buf, size_t cap, const hsp_msg *msg);
int hsp_encode_hello(void *buf, size_t cap, const hsp_hello *m);
int hsp_encode_hello_ack(void *buf, size_t cap, const hsp_hello_ack *m);
int hsp_encode_open(void *buf, size_t cap, const hsp_open *m);
int hsp_encode_opened(void *buf, size_t cap, const hsp_opened *m);
/* type: HSP_START, PAUSE, STOP, DRAIN, CLOSE or POSITION_REQUEST. */
int hsp_encode_request(void *buf, size_t cap, uint16_t type,
		       const hsp_request *m);
int hsp_encode_ack(void *buf, size_t cap, const hsp_ack *m);
int hsp_encode_credit(void *buf, size_t cap, const hsp_credit *m);
int hsp_encode_position(void *buf, size_t cap, const hsp_position *m);
int hsp_encode_keepalive(void *buf, size_t cap, const hsp_keepalive *m);
int hsp_encode_audio(void *buf, size_t cap, const hsp_audio *m);
/* The AUDIO header and fixed fields only (HSP_HEADER_SIZE +
 * HSP_AUDIO_FIXED bytes, length covering payload_len), for a sender that
 * writes the payload from its own memory (writev); m->payload unused. */
int hsp_encode_audio_head(void *buf, size_t cap, const hsp_audio *m);
int hsp_encode_error(void *buf, size_t cap, const hsp_error_msg *m);
int hsp_encode_status(void *buf, size_t cap, const hsp_status_req *m);
/* At most HSP_HEADER_SIZE + HSP_STATUS_BODY_MAX bytes. */
int hsp_encode_status_report(void *buf, size_t cap, const hsp_status_report *m);

/* ---- Decoding -------------------------------------------------------------- */

/*
 * Decode and validate one complete frame of exactly len bytes sent by
 * `from`.  Returns 0 with *msg filled, or the negated hsp_err with a
 * one-line reason in reason (HSP_REASON_MAX bytes; may be NULL).  The
 * connection state rules (HELLO first, and once) are the parser's.
 */
int hsp_decode(const void *frame, size_t len, hsp_peer from, hsp_msg *msg,
	       char *reason);

/* Validate the header alone (the first HSP_HEADER_SIZE bytes): flags, a
 * type that `from` may send, and a body length within that type's bounds.
 * Returns the body length, or the negated hsp_err with reason. */
long hsp_check_header(const void *header, hsp_peer from, uint16_t *type,
		      char *reason);

/* Record i of a STATUS_REPORT, encoded (streams) or decoded (records):
 * 0 with *out, -HSP_ERR_BAD_MESSAGE for i out of range, or (a record not
 * yet validated) the negated hsp_err of its first bad field. */
int hsp_status_stream_get(const hsp_status_report *r, uint32_t i,
			  hsp_status_stream *out);

/* Is the format one HD Audio can carry (the rules of libhda's
 * hda_format_to_converter)?  Bytes per frame in memory, or 0 when not. */
uint32_t hsp_format_frame_bytes(const hsp_format *f);

/* ---- The incremental parser ------------------------------------------------
 *
 * About 64 KiB, one whole message: embed it in the connection's state or
 * allocate it once per connection, never per message.
 */

typedef struct hsp_parser {
	hsp_peer from;
	bool greeted;  /* the first message (HELLO / HELLO_ACK) was seen */
	bool done;     /* buf holds a message handed out: drop it on next feed */
	int failed;    /* 0, or the negated hsp_err that stopped the parser */
	uint32_t have; /* bytes of the current frame in buf */
	uint32_t need; /* its total size, once the header is in */
	char reason[HSP_REASON_MAX];
	uint8_t buf[HSP_MAX_FRAME];
} hsp_parser;

enum { HSP_PARSE_MORE = 0, HSP_PARSE_MSG = 1 };

/* Parse messages sent by `from`: HSP_FROM_CLIENT in a server. */
void hsp_parser_init(hsp_parser *p, hsp_peer from);
/*
 * Feed bytes received.  Consumes up to the end of one message:
 *   HSP_PARSE_MSG  *msg is the next message, *consumed bytes were used;
 *                  feed the rest again (an AUDIO payload points into the
 *                  parser, valid until the next feed);
 *   HSP_PARSE_MORE all len bytes were used and no message is complete;
 *   < 0            the negated hsp_err of a violation, with
 *                  hsp_parser_reason().  The parser stays failed (every
 *                  later feed returns the same): the peer is answered with
 *                  a fatal ERROR and disconnected (PROTOCOL.md).
 * The first message must be HELLO (from a client) or HELLO_ACK or ERROR
 * (from a server), and HELLO / HELLO_ACK come only once.
 */
int hsp_parser_feed(hsp_parser *p, const void *data, size_t len,
		    size_t *consumed, hsp_msg *msg);
/* The peer closed its side: 0 at a frame boundary, else -HSP_ERR_TRUNCATED
 * (the parser then fails with a reason). */
int hsp_parser_eof(hsp_parser *p);
/* The last violation's reason, "" while none. */
const char *hsp_parser_reason(const hsp_parser *p);

#ifdef __cplusplus
}
#endif

#endif
