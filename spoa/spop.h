/* SPDX-License-Identifier: MIT */
/*
 * SPOP 2.0 codec, as HAProxy 2.6 speaks it (doc/SPOE.txt): varints, typed
 * data, frame headers, HELLO/DISCONNECT/NOTIFY decoding and the encoders for
 * AGENT-HELLO, AGENT-DISCONNECT and ACK. Pure: no I/O, no allocation, no clock.
 * Decoders return slices into their input; encoders write into a bounded
 * spop_buf with a sticky failed flag. Fragmented frames are not supported
 * (the agent never advertises the capability).
 */
#ifndef PF_SPOA_SPOP_H
#define PF_SPOA_SPOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/slice.h"

#define SPOP_VERSION        "2.0"
#define SPOP_FRAME_LEN_SIZE 4   /* big-endian length prefix, not counted in the length */
#define SPOP_VARINT_MAX     10  /* bytes a 64-bit varint can take */
#define SPOP_MIN_FRAME_SIZE 256 /* SPOE.txt: smallest max-frame-size allowed */
#define SPOP_MAX_ARGS       16  /* per message; more is a protocol error here */
#define SPOP_FLAG_FIN       0x00000001u
#define SPOP_FLAG_ABORT     0x00000002u

enum spop_frame_type {
	SPOP_FRAME_UNSET = 0,
	SPOP_FRAME_HAPROXY_HELLO = 1,
	SPOP_FRAME_HAPROXY_DISCONNECT = 2,
	SPOP_FRAME_NOTIFY = 3,
	SPOP_FRAME_AGENT_HELLO = 101,
	SPOP_FRAME_AGENT_DISCONNECT = 102,
	SPOP_FRAME_ACK = 103,
};

/* Status codes of DISCONNECT frames, SPOE.txt §3.5 (values are the wire values). */
enum spop_status {
	SPOP_ST_NONE = 0,
	SPOP_ST_IO = 1,
	SPOP_ST_TIMEOUT = 2,
	SPOP_ST_TOO_BIG = 3,
	SPOP_ST_INVALID = 4,
	SPOP_ST_NO_VSN = 5,
	SPOP_ST_NO_FRAME_SIZE = 6,
	SPOP_ST_NO_CAP = 7,
	SPOP_ST_BAD_VSN = 8,
	SPOP_ST_BAD_FRAME_SIZE = 9,
	SPOP_ST_FRAG_NOT_SUPPORTED = 10,
	SPOP_ST_INTERLACED_FRAMES = 11,
	SPOP_ST_FRAMEID_NOTFOUND = 12,
	SPOP_ST_RES = 13,
	SPOP_ST_UNKNOWN = 99,
};

enum spop_data_type {
	SPOP_DATA_NULL = 0,
	SPOP_DATA_BOOL = 1,
	SPOP_DATA_INT32 = 2,
	SPOP_DATA_UINT32 = 3,
	SPOP_DATA_INT64 = 4,
	SPOP_DATA_UINT64 = 5,
	SPOP_DATA_IPV4 = 6,
	SPOP_DATA_IPV6 = 7,
	SPOP_DATA_STRING = 8,
	SPOP_DATA_BINARY = 9,
};

enum spop_scope {
	SPOP_SCOPE_PROC = 0,
	SPOP_SCOPE_SESS = 1,
	SPOP_SCOPE_TXN = 2,
	SPOP_SCOPE_REQ = 3,
	SPOP_SCOPE_RES = 4,
};

enum spop_action {
	SPOP_ACT_SET_VAR = 1,
	SPOP_ACT_UNSET_VAR = 2,
};

struct spop_data {
	enum spop_data_type type;
	union {
		bool b;
		int64_t i;         /* INT32 and INT64 */
		uint64_t u;        /* UINT32 and UINT64 */
		uint8_t ip[16];    /* IPV4 uses the first 4 bytes */
		struct pf_slice s; /* STRING and BINARY, borrowed from the frame */
	} v;
};

struct spop_frame {
	enum spop_frame_type type;
	uint32_t flags;
	uint64_t stream_id;
	uint64_t frame_id;
	struct pf_slice payload; /* borrowed from the input buffer */
};

struct spop_hello {
	struct pf_slice versions;     /* "supported-versions", comma separated */
	struct pf_slice capabilities; /* "capabilities", comma separated */
	struct pf_slice engine_id;    /* "engine-id", may be empty */
	uint32_t max_frame_size;      /* "max-frame-size" */
	bool has_versions;
	bool has_max_frame_size;
	bool has_capabilities;
	bool healthcheck;
};

struct spop_arg {
	struct pf_slice name;
	struct spop_data val;
};

struct spop_message {
	struct pf_slice name;
	unsigned nargs;
	struct spop_arg args[SPOP_MAX_ARGS];
};

/* Bounded output buffer; any overflow sets <failed> and later writes are no-ops. */
struct spop_buf {
	uint8_t *p; /* borrowed from the caller */
	size_t cap;
	size_t len;
	bool failed;
};

/*
 * Decodes one varint from <p>/<len> into <*out>. Returns the bytes consumed,
 * PF_AGAIN if the input ends inside the varint, PF_EPROTO if it overflows 64 bits.
 */
PF_MUSTCHECK int spop_varint_decode(const uint8_t *p, size_t len, uint64_t *out);

/* Encodes <v> into <out> (room for SPOP_VARINT_MAX bytes); returns the bytes written. */
size_t spop_varint_encode(uint8_t *out, uint64_t v);

/*
 * Decodes one frame at the start of <p>/<len> (length prefix included).
 * A frame whose length exceeds <max_frame_size> fails with SPOP_ST_TOO_BIG
 * before any of it is read. Returns the bytes consumed (4 + length), PF_AGAIN
 * when the frame is not complete yet, or PF_EPROTO with <*st> set. On success
 * <f> holds slices into <p>. A FIN-less or ABORT frame is reported as is; the
 * caller decides (it is SPOP_ST_FRAG_NOT_SUPPORTED for this agent).
 */
PF_MUSTCHECK int spop_frame_decode(const uint8_t *p, size_t len, uint32_t max_frame_size,
                                   struct spop_frame *f, enum spop_status *st);

/*
 * Decodes a HAPROXY-HELLO payload into <h>. Unknown keys are skipped. Returns 0,
 * or -1 with <*st> set (SPOP_ST_INVALID for malformed KV data, or the missing
 * mandatory key's status: NO_VSN, NO_FRAME_SIZE, NO_CAP).
 */
PF_MUSTCHECK int spop_hello_decode(struct pf_slice payload, struct spop_hello *h,
                                   enum spop_status *st);

/* True when the comma-separated <list> (spaces allowed around items) contains <item>. */
bool spop_list_has(struct pf_slice list, const char *item);

/* Decodes a HAPROXY-DISCONNECT payload. Returns 0, or -1 with <*st> = SPOP_ST_INVALID. */
PF_MUSTCHECK int spop_disconnect_decode(struct pf_slice payload, uint32_t *status,
                                        struct pf_slice *message, enum spop_status *st);

/*
 * Iterates the messages of a NOTIFY payload: decodes the message starting at
 * <*off> into <m> and advances <*off>. Returns 1 for a message, 0 at the end of
 * the payload, -1 with <*st> set on malformed data or more than SPOP_MAX_ARGS args.
 */
PF_MUSTCHECK int spop_message_next(struct pf_slice payload, size_t *off, struct spop_message *m,
                                   enum spop_status *st);

/* Returns the argument named <name> in <m>, or NULL. */
const struct spop_data *spop_message_arg(const struct spop_message *m, const char *name);

/* Human-readable text for a status code, never NULL. */
const char *spop_status_str(uint32_t status);

void spop_buf_init(struct spop_buf *b, uint8_t *mem, size_t cap);

/*
 * Starts a frame (reserves the length prefix, writes type, flags, stream and
 * frame ids) and returns its start offset for spop_frame_end().
 */
size_t spop_frame_begin(struct spop_buf *b, enum spop_frame_type type, uint32_t flags,
                        uint64_t stream_id, uint64_t frame_id);

/*
 * Closes the frame started at <start>: writes the length prefix. Fails the buffer
 * if the frame exceeds <max_frame_size>. Returns 0 or -1 (the buffer failed).
 */
PF_MUSTCHECK int spop_frame_end(struct spop_buf *b, size_t start, uint32_t max_frame_size);

/* KV items of HELLO and DISCONNECT payloads. */
void spop_put_kv_string(struct spop_buf *b, const char *key, const char *val, size_t len);
void spop_put_kv_uint32(struct spop_buf *b, const char *key, uint32_t val);
void spop_put_kv_bool(struct spop_buf *b, const char *key, bool val);

/* ACK actions. The variable <name> is sent without prefix; HAProxy adds its var-prefix. */
void spop_put_set_var_string(struct spop_buf *b, enum spop_scope scope, const char *name,
                             const char *val, size_t len);
void spop_put_set_var_uint32(struct spop_buf *b, enum spop_scope scope, const char *name,
                             uint32_t val);
void spop_put_unset_var(struct spop_buf *b, enum spop_scope scope, const char *name);

#endif
