/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for spoa/spop.c. The input is a byte stream as HAProxy
 * would send it on one connection: frames are decoded in a loop with the
 * agent's max-frame-size and each HELLO / DISCONNECT / NOTIFY payload is
 * walked down to every argument byte. The same input then drives the encoders
 * (varint and set-var round trips, buffers that are too small). Built with
 * clang -fsanitize=fuzzer for `make fuzz` and linked with tests/fuzz/replay.c
 * to replay the corpus under gcc. No I/O.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "spoa/spop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_FRAME 16380u

/* Fails loudly in both libFuzzer and replay builds: libFuzzer and ASan catch the abort. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (PF_UNLIKELY(!(cond)))                                                          \
			fuzz_fail(#cond, __LINE__);                                                \
	} while (0)

static void fuzz_fail(const char *what, int line)
{
	(void)fprintf(stderr, "fuzz_spop.c:%d: check failed: %s\n", line, what);
	abort();
}

/* Reads every byte of <s> so a slice reaching outside its input shows under ASan. */
static unsigned touch(struct pf_slice s)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < s.len; i++)
		sum += s.p[i];
	return sum;
}

static bool inside(struct pf_slice s, struct pf_slice outer)
{
	return s.len == 0 || (s.p >= outer.p && s.len <= outer.len &&
	                      (size_t)(s.p - outer.p) <= outer.len - s.len);
}

static unsigned fuzz_hello(struct pf_slice pl)
{
	struct spop_hello h;
	enum spop_status st = SPOP_ST_NONE;
	unsigned sum = 0;

	if (spop_hello_decode(pl, &h, &st) != 0) {
		FUZZ_CHECK(st != SPOP_ST_NONE);
		return 0;
	}
	FUZZ_CHECK(h.has_versions && h.has_max_frame_size && h.has_capabilities);
	FUZZ_CHECK(inside(h.versions, pl) && inside(h.capabilities, pl) && inside(h.engine_id, pl));
	sum += touch(h.versions) + touch(h.capabilities) + touch(h.engine_id);
	sum += spop_list_has(h.versions, SPOP_VERSION);
	sum += spop_list_has(h.capabilities, "pipelining");
	sum += spop_list_has(h.capabilities, "async");
	return sum;
}

static unsigned fuzz_disconnect(struct pf_slice pl)
{
	uint32_t code;
	struct pf_slice msg;
	enum spop_status st = SPOP_ST_NONE;

	if (spop_disconnect_decode(pl, &code, &msg, &st) != 0) {
		FUZZ_CHECK(st == SPOP_ST_INVALID);
		return 0;
	}
	FUZZ_CHECK(inside(msg, pl));
	return touch(msg) + (unsigned)strlen(spop_status_str(code));
}

static unsigned fuzz_arg(const struct spop_arg *a, struct pf_slice pl)
{
	const struct spop_data *d = &a->val;
	unsigned sum = touch(a->name);

	FUZZ_CHECK(inside(a->name, pl));
	FUZZ_CHECK(d->type <= SPOP_DATA_BINARY);
	if (d->type == SPOP_DATA_STRING || d->type == SPOP_DATA_BINARY) {
		FUZZ_CHECK(inside(d->v.s, pl));
		sum += touch(d->v.s);
	}
	if (d->type == SPOP_DATA_UINT32)
		FUZZ_CHECK(d->v.u <= UINT32_MAX);
	if (d->type == SPOP_DATA_INT32)
		FUZZ_CHECK(d->v.i >= INT32_MIN && d->v.i <= INT32_MAX);
	return sum;
}

static unsigned fuzz_notify(struct pf_slice pl)
{
	struct spop_message m;
	enum spop_status st = SPOP_ST_NONE;
	size_t off = 0, prev = 0;
	unsigned sum = 0, i;
	int r;

	while ((r = spop_message_next(pl, &off, &m, &st)) == 1) {
		FUZZ_CHECK(off > prev && off <= pl.len);
		prev = off;
		FUZZ_CHECK(m.nargs <= SPOP_MAX_ARGS);
		FUZZ_CHECK(inside(m.name, pl));
		sum += touch(m.name);
		for (i = 0; i < m.nargs; i++)
			sum += fuzz_arg(&m.args[i], pl);
		sum += spop_message_arg(&m, "body") != NULL;
	}
	if (r == -1)
		FUZZ_CHECK((st == SPOP_ST_INVALID || st == SPOP_ST_RES) && off == prev);
	else
		FUZZ_CHECK(r == 0 && off == pl.len);
	return sum;
}

/* Frames back to back, as the agent's read loop sees them. */
static unsigned fuzz_frames(const uint8_t *data, size_t size, uint32_t max)
{
	size_t off = 0;
	unsigned sum = 0;

	for (;;) {
		struct spop_frame f;
		enum spop_status st = SPOP_ST_NONE;
		struct pf_slice all;
		int r = spop_frame_decode(data + off, size - off, max, &f, &st);

		if (r == PF_AGAIN)
			break;
		if (r == PF_EPROTO) {
			FUZZ_CHECK(st == SPOP_ST_TOO_BIG || st == SPOP_ST_INVALID);
			break;
		}
		FUZZ_CHECK(r > SPOP_FRAME_LEN_SIZE && (size_t)r <= size - off);
		FUZZ_CHECK((size_t)r - SPOP_FRAME_LEN_SIZE <= max);
		all = (struct pf_slice){data + off, (size_t)r};
		FUZZ_CHECK(inside(f.payload, all));
		off += (size_t)r;
		switch (f.type) {
		case SPOP_FRAME_HAPROXY_HELLO:
			sum += fuzz_hello(f.payload);
			break;
		case SPOP_FRAME_HAPROXY_DISCONNECT:
			sum += fuzz_disconnect(f.payload);
			break;
		case SPOP_FRAME_NOTIFY:
			sum += fuzz_notify(f.payload);
			break;
		default:
			sum += touch(f.payload);
			break;
		}
	}
	return sum;
}

static uint64_t load_u64(const uint8_t *data, size_t size)
{
	uint64_t v = 0;

	if (size > 0)
		memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
	return v;
}

static void fuzz_varint(const uint8_t *data, size_t size)
{
	uint8_t out[SPOP_VARINT_MAX];
	uint64_t v = load_u64(data, size), back = 0;
	size_t n = spop_varint_encode(out, v);
	int r;

	FUZZ_CHECK(n >= 1 && n <= SPOP_VARINT_MAX);
	FUZZ_CHECK(spop_varint_decode(out, n, &back) == (int)n && back == v);
	FUZZ_CHECK(spop_varint_decode(out, n - 1, &back) == PF_AGAIN);
	/* raw input as a varint: a success re-encodes to the same bytes (one encoding per value) */
	r = spop_varint_decode(data, size, &v);
	if (r > 0) {
		FUZZ_CHECK(r <= SPOP_VARINT_MAX);
		n = spop_varint_encode(out, v);
		FUZZ_CHECK(n == (size_t)r && memcmp(out, data, n) == 0);
	}
}

/* An ACK built from the input must decode back as the same frame. */
static void fuzz_encoders(const uint8_t *data, size_t size)
{
	static uint8_t mem[FUZZ_MAX_FRAME + SPOP_FRAME_LEN_SIZE];
	struct spop_buf b;
	struct spop_frame f;
	enum spop_status st = SPOP_ST_NONE;
	uint64_t sid = load_u64(data, size);
	size_t cap = size > 0 ? (size_t)data[0] * 64 : sizeof(mem);
	size_t vlen = size > 8 ? size - 8 : 0;
	const char *val = vlen > 0 ? (const char *)data + 8 : NULL;
	size_t start;
	int r, end;

	if (cap > sizeof(mem))
		cap = sizeof(mem);
	spop_buf_init(&b, mem, cap);
	start = spop_frame_begin(&b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, sid, sid >> 7);
	spop_put_set_var_string(&b, SPOP_SCOPE_TXN, "polkfura_class", val, vlen);
	spop_put_set_var_uint32(&b, SPOP_SCOPE_TXN, "calls", (uint32_t)sid);
	spop_put_unset_var(&b, SPOP_SCOPE_SESS, "x");
	spop_put_kv_bool(&b, "k", (sid & 1) != 0);
	end = spop_frame_end(&b, start, FUZZ_MAX_FRAME);
	FUZZ_CHECK(b.len <= b.cap);
	FUZZ_CHECK((end == 0) == !b.failed);
	if (end != 0)
		return;
	r = spop_frame_decode(mem, b.len, FUZZ_MAX_FRAME, &f, &st);
	FUZZ_CHECK(r == (int)b.len);
	FUZZ_CHECK(f.type == SPOP_FRAME_ACK && f.flags == SPOP_FLAG_FIN);
	FUZZ_CHECK(f.stream_id == sid && f.frame_id == sid >> 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	volatile unsigned sink;

	if (data == NULL) /* replay of an empty file may hand in malloc(0) == NULL */
		data = empty;
	sink = fuzz_frames(data, size, FUZZ_MAX_FRAME);
	/* the smallest limit HAProxy allows, to reach the TOO_BIG path often */
	sink += fuzz_frames(data, size, SPOP_MIN_FRAME_SIZE);
	(void)sink;
	fuzz_varint(data, size);
	fuzz_encoders(data, size);
	return 0;
}
