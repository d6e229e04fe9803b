/* SPDX-License-Identifier: MIT */
/*
 * SPOP 2.0 codec (HAProxy 2.6 doc/SPOE.txt §3): varints, typed data, frame
 * headers, the HAPROXY-HELLO / HAPROXY-DISCONNECT / NOTIFY payload decoders and
 * the AGENT-HELLO / AGENT-DISCONNECT / ACK encoders.
 *
 * Pure: no I/O, no allocation, no clock, no logging. Every length read from the
 * wire is checked against the bytes that remain before it is used, so any input
 * is safe (tests/fuzz/fuzz_spop.c). Decoders hand out slices into their input;
 * encoders write into a caller's bounded spop_buf whose <failed> flag is sticky.
 * It does not check the protocol state (which frame may come when), negotiate
 * versions or frame sizes, or reassemble fragmented payloads: the agent does.
 */
#include "spoa/spop.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/compiler.h"

/* type + flags + two one-byte varints: the smallest frame body */
#define SPOP_FRAME_HDR_MIN (1 + 4 + 1 + 1)

#define SPOP_DATA_TYPE_MASK 0x0F
#define SPOP_DATA_BOOL_TRUE 0x10 /* flag bit 0 of a BOOL type byte */

/* Read cursor over one payload; <off> never exceeds <len>. */
struct spop_rd {
	const uint8_t *p; /* borrowed from the caller's payload */
	size_t len;
	size_t off;
};

static uint32_t spop_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void spop_set_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * HAProxy's "peers" varint: a first byte below 240 is the value; otherwise the
 * first byte carries the low 4 bits (with 0xF0 set), then 7-bit groups follow,
 * each byte's full value (0x80 continuation bit included) shifted in. The
 * encoder subtracts what the decoder's extra bits add back, so every value has
 * exactly one encoding. A 64-bit value takes at most SPOP_VARINT_MAX bytes.
 */
int spop_varint_decode(const uint8_t *p, size_t len, uint64_t *out)
{
	uint64_t v;
	unsigned shift = 4;
	size_t i;

	if (len == 0)
		return PF_AGAIN;
	v = p[0];
	if (v < 240) {
		*out = v;
		return 1;
	}
	for (i = 1; i < SPOP_VARINT_MAX; i++) {
		uint64_t b, term;

		if (i >= len)
			return PF_AGAIN;
		b = p[i];
		/* shift is at most 4 + 7 * 8 = 60 here, so 64 - shift is a valid count */
		if ((b >> (64 - shift)) != 0)
			return PF_EPROTO;
		term = b << shift;
		if (__builtin_add_overflow(v, term, &v))
			return PF_EPROTO;
		if (b < 128) {
			*out = v;
			return (int)(i + 1);
		}
		shift += 7;
	}
	/* Not reached: a continuation byte at index 9 already overflows above. */
	return PF_EPROTO;
}

size_t spop_varint_encode(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	if (v < 240) {
		out[0] = (uint8_t)v;
		return 1;
	}
	out[n++] = (uint8_t)(v | 240);
	v = (v - 240) >> 4;
	while (v >= 128) {
		out[n++] = (uint8_t)(v | 128);
		v = (v - 128) >> 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

int spop_frame_decode(const uint8_t *p, size_t len, uint32_t max_frame_size, struct spop_frame *f,
                      enum spop_status *st)
{
	struct spop_frame fr;
	uint32_t flen;
	size_t off, end;
	int n;

	if (len < SPOP_FRAME_LEN_SIZE)
		return PF_AGAIN;
	flen = spop_get_be32(p);
	/* Both checks need only the prefix: a peer can't make us wait for 4 GB. */
	if (flen > max_frame_size || flen > (uint32_t)(INT_MAX - SPOP_FRAME_LEN_SIZE)) {
		*st = SPOP_ST_TOO_BIG;
		return PF_EPROTO;
	}
	if (flen < SPOP_FRAME_HDR_MIN) {
		*st = SPOP_ST_INVALID;
		return PF_EPROTO;
	}
	if (len - SPOP_FRAME_LEN_SIZE < flen)
		return PF_AGAIN;

	end = SPOP_FRAME_LEN_SIZE + (size_t)flen;
	off = SPOP_FRAME_LEN_SIZE;
	/* Unknown types (and UNSET) are passed up: SPOE.txt lets them be skipped. */
	fr.type = (enum spop_frame_type)p[off];
	fr.flags = spop_get_be32(p + off + 1);
	off += 5;
	n = spop_varint_decode(p + off, end - off, &fr.stream_id);
	if (n < 0)
		goto invalid;
	off += (size_t)n;
	n = spop_varint_decode(p + off, end - off, &fr.frame_id);
	if (n < 0)
		goto invalid;
	off += (size_t)n;
	fr.payload.p = p + off;
	fr.payload.len = end - off;
	*f = fr;
	return (int)end;

invalid:
	*st = SPOP_ST_INVALID;
	return PF_EPROTO;
}

static bool spop_rd_u8(struct spop_rd *r, uint8_t *v)
{
	if (r->off >= r->len)
		return false;
	*v = r->p[r->off++];
	return true;
}

/* A varint that ends past the payload is malformed, not partial: frames are whole. */
static bool spop_rd_varint(struct spop_rd *r, uint64_t *v)
{
	int n = spop_varint_decode(r->p + r->off, r->len - r->off, v);

	if (n < 0)
		return false;
	r->off += (size_t)n;
	return true;
}

/* <LENGTH:varint><BYTES>: names and string/binary values. */
static bool spop_rd_bytes(struct spop_rd *r, struct pf_slice *s)
{
	uint64_t n;

	if (!spop_rd_varint(r, &n) || n > r->len - r->off)
		return false;
	s->p = r->p + r->off;
	s->len = (size_t)n;
	r->off += (size_t)n;
	return true;
}

static bool spop_rd_fixed(struct spop_rd *r, uint8_t *dst, size_t n)
{
	if (n > r->len - r->off)
		return false;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	return true;
}

/*
 * Decodes one TYPED-DATA item into <d>. Integers follow HAProxy: every integer
 * type is a varint of the value's 64-bit pattern (a negative INT64 takes 10
 * bytes). Values outside their declared type's range (an INT32 that is not a
 * sign-extended 32-bit value, a UINT32 above UINT32_MAX) and the reserved types
 * 10-15 are malformed. Flag bits of non-BOOL types are ignored.
 */
static bool spop_rd_data(struct spop_rd *r, struct spop_data *d)
{
	uint8_t t;
	uint64_t u;

	memset(d, 0, sizeof(*d));
	if (!spop_rd_u8(r, &t))
		return false;
	d->type = (enum spop_data_type)(t & SPOP_DATA_TYPE_MASK);
	switch (d->type) {
	case SPOP_DATA_NULL:
		return true;
	case SPOP_DATA_BOOL:
		d->v.b = (t & SPOP_DATA_BOOL_TRUE) != 0;
		return true;
	case SPOP_DATA_INT32:
		if (!spop_rd_varint(r, &u))
			return false;
		d->v.i = (int64_t)u;
		return d->v.i >= INT32_MIN && d->v.i <= INT32_MAX;
	case SPOP_DATA_INT64:
		if (!spop_rd_varint(r, &u))
			return false;
		d->v.i = (int64_t)u;
		return true;
	case SPOP_DATA_UINT32:
		if (!spop_rd_varint(r, &d->v.u))
			return false;
		return d->v.u <= UINT32_MAX;
	case SPOP_DATA_UINT64:
		return spop_rd_varint(r, &d->v.u);
	case SPOP_DATA_IPV4:
		return spop_rd_fixed(r, d->v.ip, 4);
	case SPOP_DATA_IPV6:
		return spop_rd_fixed(r, d->v.ip, 16);
	case SPOP_DATA_STRING:
	case SPOP_DATA_BINARY:
		return spop_rd_bytes(r, &d->v.s);
	}
	return false;
}

/* Integer of any SPOP integer type as uint32; false if the value doesn't fit. */
static bool spop_data_to_u32(const struct spop_data *d, uint32_t *out)
{
	switch (d->type) {
	case SPOP_DATA_INT32:
	case SPOP_DATA_INT64:
		if (d->v.i < 0 || d->v.i > (int64_t)UINT32_MAX)
			return false;
		*out = (uint32_t)d->v.i;
		return true;
	case SPOP_DATA_UINT32:
	case SPOP_DATA_UINT64:
		if (d->v.u > UINT32_MAX)
			return false;
		*out = (uint32_t)d->v.u;
		return true;
	default:
		return false;
	}
}

static bool spop_is_int(enum spop_data_type t)
{
	return t == SPOP_DATA_INT32 || t == SPOP_DATA_INT64 || t == SPOP_DATA_UINT32 ||
	       t == SPOP_DATA_UINT64;
}

/* One KV-LIST item: a non-empty name and a typed value. */
static bool spop_rd_kv(struct spop_rd *r, struct pf_slice *key, struct spop_data *val)
{
	return spop_rd_bytes(r, key) && key->len > 0 && spop_rd_data(r, val);
}

/*
 * Key names are compared exactly (HAProxy compares prefixes). A key given twice
 * keeps its last value. The max-frame-size range check against
 * SPOP_MIN_FRAME_SIZE and the agent's own limit is the caller's; an integer
 * that does not even fit 32 bits is SPOP_ST_BAD_FRAME_SIZE here. A value of the
 * wrong type for a known key is SPOP_ST_INVALID.
 */
int spop_hello_decode(struct pf_slice payload, struct spop_hello *h, enum spop_status *st)
{
	struct spop_rd r = {payload.p, payload.len, 0};

	memset(h, 0, sizeof(*h));
	while (r.off < r.len) {
		struct pf_slice key;
		struct spop_data v;

		if (!spop_rd_kv(&r, &key, &v))
			goto invalid;
		if (pf_slice_eq_str(key, "supported-versions")) {
			if (v.type != SPOP_DATA_STRING)
				goto invalid;
			h->versions = v.v.s;
			h->has_versions = true;
		} else if (pf_slice_eq_str(key, "max-frame-size")) {
			if (!spop_is_int(v.type))
				goto invalid;
			if (!spop_data_to_u32(&v, &h->max_frame_size)) {
				*st = SPOP_ST_BAD_FRAME_SIZE;
				return -1;
			}
			h->has_max_frame_size = true;
		} else if (pf_slice_eq_str(key, "capabilities")) {
			if (v.type != SPOP_DATA_STRING)
				goto invalid;
			h->capabilities = v.v.s;
			h->has_capabilities = true;
		} else if (pf_slice_eq_str(key, "healthcheck")) {
			if (v.type != SPOP_DATA_BOOL)
				goto invalid;
			h->healthcheck = v.v.b;
		} else if (pf_slice_eq_str(key, "engine-id")) {
			if (v.type != SPOP_DATA_STRING)
				goto invalid;
			h->engine_id = v.v.s;
		}
		/* Unknown keys: the value was decoded (and so skipped) by spop_rd_kv(). */
	}
	if (!h->has_versions) {
		*st = SPOP_ST_NO_VSN;
		return -1;
	}
	if (!h->has_max_frame_size) {
		*st = SPOP_ST_NO_FRAME_SIZE;
		return -1;
	}
	if (!h->has_capabilities) {
		*st = SPOP_ST_NO_CAP;
		return -1;
	}
	return 0;

invalid:
	*st = SPOP_ST_INVALID;
	return -1;
}

static bool spop_is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

bool spop_list_has(struct pf_slice list, const char *item)
{
	size_t ilen = strlen(item);
	size_t i = 0;

	if (ilen == 0)
		return false;
	for (;;) {
		size_t start = i, end;

		while (i < list.len && list.p[i] != ',')
			i++;
		end = i;
		while (start < end && spop_is_blank(list.p[start]))
			start++;
		while (end > start && spop_is_blank(list.p[end - 1]))
			end--;
		if (end - start == ilen && memcmp(list.p + start, item, ilen) == 0)
			return true;
		if (i >= list.len)
			return false;
		i++; /* past the comma */
	}
}

/*
 * Like HAProxy, missing items are tolerated: <*status> is then SPOP_ST_UNKNOWN
 * and <*message> empty. A status-code that is not an integer fitting 32 bits or
 * a message that is not a string is SPOP_ST_INVALID.
 */
int spop_disconnect_decode(struct pf_slice payload, uint32_t *status, struct pf_slice *message,
                           enum spop_status *st)
{
	struct spop_rd r = {payload.p, payload.len, 0};
	uint32_t code = SPOP_ST_UNKNOWN;
	struct pf_slice msg = {(const uint8_t *)"", 0};

	while (r.off < r.len) {
		struct pf_slice key;
		struct spop_data v;

		if (!spop_rd_kv(&r, &key, &v))
			goto invalid;
		if (pf_slice_eq_str(key, "status-code")) {
			if (!spop_data_to_u32(&v, &code))
				goto invalid;
		} else if (pf_slice_eq_str(key, "message")) {
			if (v.type != SPOP_DATA_STRING)
				goto invalid;
			msg = v.v.s;
		}
	}
	*status = code;
	*message = msg;
	return 0;

invalid:
	*st = SPOP_ST_INVALID;
	return -1;
}

/*
 * Message and argument names are bare <LENGTH:varint><BYTES> (no type byte), as
 * HAProxy's spoe_encode_message() writes them; argument names may be empty.
 * More than SPOP_MAX_ARGS arguments is SPOP_ST_RES: the frame is valid SPOP, but
 * this agent has no room for it (the fix is in HAProxy's spoe-message config).
 * On error <*off> is left where it was and <m> holds no arguments; at the end of
 * the payload <m> is not touched.
 */
int spop_message_next(struct pf_slice payload, size_t *off, struct spop_message *m,
                      enum spop_status *st)
{
	struct spop_rd r = {payload.p, payload.len, *off};
	uint8_t nargs;
	unsigned i;

	if (*off > payload.len)
		goto invalid;
	if (*off == payload.len)
		return 0; /* <m> keeps the last message */
	m->nargs = 0;
	if (!spop_rd_bytes(&r, &m->name) || !spop_rd_u8(&r, &nargs))
		goto invalid;
	if (nargs > SPOP_MAX_ARGS) {
		*st = SPOP_ST_RES;
		return -1;
	}
	for (i = 0; i < nargs; i++) {
		if (!spop_rd_bytes(&r, &m->args[i].name) || !spop_rd_data(&r, &m->args[i].val))
			goto invalid;
	}
	m->nargs = nargs;
	*off = r.off;
	return 1;

invalid:
	m->nargs = 0;
	*st = SPOP_ST_INVALID;
	return -1;
}

const struct spop_data *spop_message_arg(const struct spop_message *m, const char *name)
{
	unsigned i;

	for (i = 0; i < m->nargs && i < SPOP_MAX_ARGS; i++) {
		if (pf_slice_eq_str(m->args[i].name, name))
			return &m->args[i].val;
	}
	return NULL;
}

/* SPOE.txt §3.5 wording (with its "occurrde" typo fixed). */
const char *spop_status_str(uint32_t status)
{
	static const char *const text[] = {
	    [SPOP_ST_NONE] = "normal (no error occurred)",
	    [SPOP_ST_IO] = "I/O error",
	    [SPOP_ST_TIMEOUT] = "a timeout occurred",
	    [SPOP_ST_TOO_BIG] = "frame is too big",
	    [SPOP_ST_INVALID] = "invalid frame received",
	    [SPOP_ST_NO_VSN] = "version value not found",
	    [SPOP_ST_NO_FRAME_SIZE] = "max-frame-size value not found",
	    [SPOP_ST_NO_CAP] = "capabilities value not found",
	    [SPOP_ST_BAD_VSN] = "unsupported version",
	    [SPOP_ST_BAD_FRAME_SIZE] = "max-frame-size too big or too small",
	    [SPOP_ST_FRAG_NOT_SUPPORTED] = "payload fragmentation is not supported",
	    [SPOP_ST_INTERLACED_FRAMES] = "invalid interlaced frames",
	    [SPOP_ST_FRAMEID_NOTFOUND] =
	        "frame-id not found (it does not match any referenced frame)",
	    [SPOP_ST_RES] = "resource allocation error",
	};

	if (status < PF_ARRAY_SIZE(text) && text[status] != NULL)
		return text[status];
	if (status == SPOP_ST_UNKNOWN)
		return "an unknown error occurred";
	return "unassigned status code";
}

void spop_buf_init(struct spop_buf *b, uint8_t *mem, size_t cap)
{
	b->p = mem;
	b->cap = mem != NULL ? cap : 0;
	b->len = 0;
	b->failed = false;
}

/* Claims <n> bytes at the tail, or fails the buffer (for good) and returns NULL. */
static uint8_t *spop_buf_claim(struct spop_buf *b, size_t n)
{
	uint8_t *p;

	if (b->failed || n > b->cap - b->len) {
		b->failed = true;
		return NULL;
	}
	p = b->p + b->len;
	b->len += n;
	return p;
}

static void spop_put_u8(struct spop_buf *b, uint8_t v)
{
	uint8_t *p = spop_buf_claim(b, 1);

	if (p != NULL)
		*p = v;
}

static void spop_put_varint(struct spop_buf *b, uint64_t v)
{
	uint8_t tmp[SPOP_VARINT_MAX];
	size_t n = spop_varint_encode(tmp, v);
	uint8_t *p = spop_buf_claim(b, n);

	if (p != NULL)
		memcpy(p, tmp, n);
}

/* <LENGTH:varint><BYTES>; <s> may be NULL when <len> is 0. */
static void spop_put_bytes(struct spop_buf *b, const void *s, size_t len)
{
	uint8_t *p;

	spop_put_varint(b, len);
	if (len == 0)
		return;
	p = spop_buf_claim(b, len);
	if (p != NULL)
		memcpy(p, s, len);
}

size_t spop_frame_begin(struct spop_buf *b, enum spop_frame_type type, uint32_t flags,
                        uint64_t stream_id, uint64_t frame_id)
{
	size_t start = b->len;
	uint8_t *p = spop_buf_claim(b, SPOP_FRAME_LEN_SIZE + 1 + 4);

	if (p != NULL) {
		memset(p, 0, SPOP_FRAME_LEN_SIZE); /* filled by spop_frame_end() */
		p[SPOP_FRAME_LEN_SIZE] = (uint8_t)type;
		spop_set_be32(p + SPOP_FRAME_LEN_SIZE + 1, flags);
	}
	spop_put_varint(b, stream_id);
	spop_put_varint(b, frame_id);
	return start;
}

/* A <start> that can't be a frame begun in <b> fails the buffer rather than corrupt it. */
int spop_frame_end(struct spop_buf *b, size_t start, uint32_t max_frame_size)
{
	size_t flen;

	if (b->failed)
		return -1;
	if (start > b->len || b->len - start < SPOP_FRAME_LEN_SIZE + SPOP_FRAME_HDR_MIN)
		goto fail;
	flen = b->len - start - SPOP_FRAME_LEN_SIZE;
	if (flen > max_frame_size)
		goto fail;
	spop_set_be32(b->p + start, (uint32_t)flen);
	return 0;

fail:
	b->failed = true;
	return -1;
}

void spop_put_kv_string(struct spop_buf *b, const char *key, const char *val, size_t len)
{
	spop_put_bytes(b, key, strlen(key));
	spop_put_u8(b, SPOP_DATA_STRING);
	spop_put_bytes(b, val, len);
}

void spop_put_kv_uint32(struct spop_buf *b, const char *key, uint32_t val)
{
	spop_put_bytes(b, key, strlen(key));
	spop_put_u8(b, SPOP_DATA_UINT32);
	spop_put_varint(b, val);
}

void spop_put_kv_bool(struct spop_buf *b, const char *key, bool val)
{
	spop_put_bytes(b, key, strlen(key));
	spop_put_u8(b, (uint8_t)(SPOP_DATA_BOOL | (val ? SPOP_DATA_BOOL_TRUE : 0)));
}

/* <ACTION-TYPE><NB-ARGS><VAR-SCOPE><VAR-NAME>, the part set-var and unset-var share. */
static void spop_put_action_head(struct spop_buf *b, enum spop_action act, uint8_t nargs,
                                 enum spop_scope scope, const char *name)
{
	spop_put_u8(b, (uint8_t)act);
	spop_put_u8(b, nargs);
	spop_put_u8(b, (uint8_t)scope);
	spop_put_bytes(b, name, strlen(name));
}

void spop_put_set_var_string(struct spop_buf *b, enum spop_scope scope, const char *name,
                             const char *val, size_t len)
{
	spop_put_action_head(b, SPOP_ACT_SET_VAR, 3, scope, name);
	spop_put_u8(b, SPOP_DATA_STRING);
	spop_put_bytes(b, val, len);
}

void spop_put_set_var_uint32(struct spop_buf *b, enum spop_scope scope, const char *name,
                             uint32_t val)
{
	spop_put_action_head(b, SPOP_ACT_SET_VAR, 3, scope, name);
	spop_put_u8(b, SPOP_DATA_UINT32);
	spop_put_varint(b, val);
}

void spop_put_unset_var(struct spop_buf *b, enum spop_scope scope, const char *name)
{
	spop_put_action_head(b, SPOP_ACT_UNSET_VAR, 2, scope, name);
}
