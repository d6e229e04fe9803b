/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for spoa/spop.c, the SPOP codec. Wire images are written out by
 * hand from doc/SPOE.txt (HAProxy 2.6) and HAProxy's own encoders: the
 * health-check HELLO is the 82-byte frame HAProxy's reg-tests expect, the
 * AGENT-HELLO the one they send back. Every frame is also decoded at every
 * split point from a buffer of exactly that size (ASan sees an overread) and
 * at the end of a page followed by a PROT_NONE page (an overread segfaults),
 * as picohttpparser's test.c does.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "spoa/spop.h"

#define U8(s)     ((const uint8_t *)(s))
#define LIT(s)    U8(s), (sizeof(s) - 1)
#define MAX_FRAME 16380u /* HAProxy's default max-frame-size */

/* ---- wire images ---------------------------------------------------------- */

/* HAPROXY-HELLO of an agent with "option pipelining" and "option async" (engine-id set). */
static const char HELLO_26[] = "\x00\x00\x00\x81"
                               "\x01"
                               "\x00\x00\x00\x01"
                               "\x00\x00"
                               "\x12"
                               "supported-versions"
                               "\x08\x03"
                               "2.0"
                               "\x0e"
                               "max-frame-size"
                               "\x03\xfc\xf0\x06"
                               "\x0c"
                               "capabilities"
                               "\x08\x10"
                               "pipelining,async"
                               "\x09"
                               "engine-id"
                               "\x08\x24"
                               "3b8e1a4c-5f2d-4c7e-9a61-0d2f8b7c6e15";

/* HAPROXY-HELLO of "option spop-check": 82 bytes, no capabilities, healthcheck=true. */
static const char HELLO_HC[] = "\x00\x00\x00\x4e"
                               "\x01"
                               "\x00\x00\x00\x01"
                               "\x00\x00"
                               "\x12"
                               "supported-versions"
                               "\x08\x03"
                               "2.0"
                               "\x0e"
                               "max-frame-size"
                               "\x03\xfc\xf0\x06"
                               "\x0c"
                               "capabilities"
                               "\x08\x00"
                               "\x0b"
                               "healthcheck"
                               "\x11";

/* HAPROXY-DISCONNECT after a timeout (spoe_prepare_hadiscon_frame). */
static const char HA_DISCON[] = "\x00\x00\x00\x31"
                                "\x02"
                                "\x00\x00\x00\x01"
                                "\x00\x00"
                                "\x0b"
                                "status-code"
                                "\x03\x02"
                                "\x07"
                                "message"
                                "\x08\x12"
                                "a timeout occurred";

/* The AGENT-HELLO HAProxy's reg-test checks/spop-check.vtc sends as a good agent. */
static const char AGENT_HELLO_VTC[] = "\x00\x00\x00\x36"
                                      "\x65"
                                      "\x00\x00\x00\x01"
                                      "\x00\x00"
                                      "\x07"
                                      "version"
                                      "\x08\x03"
                                      "2.0"
                                      "\x0e"
                                      "max-frame-size"
                                      "\x03\xfc\xf0\x06"
                                      "\x0c"
                                      "capabilities"
                                      "\x08\x00";

static const char BODY[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\",\"params\":[]}";

/* ---- a test-side frame builder (independent of the encoders under test) ---- */

struct tb {
	uint8_t b[8192];
	size_t n;
	size_t start;
};

static void tb_raw(struct tb *t, const void *p, size_t n)
{
	ck_assert_uint_le(n, sizeof(t->b) - t->n);
	if (n > 0)
		memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_u8(struct tb *t, uint8_t v)
{
	tb_raw(t, &v, 1);
}

static void tb_varint(struct tb *t, uint64_t v)
{
	uint8_t tmp[SPOP_VARINT_MAX];

	tb_raw(t, tmp, spop_varint_encode(tmp, v));
}

static void tb_bytes(struct tb *t, const void *p, size_t n)
{
	tb_varint(t, n);
	tb_raw(t, p, n);
}

static void tb_str(struct tb *t, const char *s)
{
	tb_bytes(t, s, strlen(s));
}

static void tb_begin(struct tb *t, uint8_t type, uint32_t flags, uint64_t sid, uint64_t fid)
{
	uint8_t hdr[9] = {0,
	                  0,
	                  0,
	                  0,
	                  type,
	                  (uint8_t)(flags >> 24),
	                  (uint8_t)(flags >> 16),
	                  (uint8_t)(flags >> 8),
	                  (uint8_t)flags};

	t->start = t->n;
	tb_raw(t, hdr, sizeof(hdr));
	tb_varint(t, sid);
	tb_varint(t, fid);
}

static void tb_end(struct tb *t)
{
	size_t len = t->n - t->start - 4;

	t->b[t->start] = (uint8_t)(len >> 24);
	t->b[t->start + 1] = (uint8_t)(len >> 16);
	t->b[t->start + 2] = (uint8_t)(len >> 8);
	t->b[t->start + 3] = (uint8_t)len;
}

/* NOTIFY as HAProxy 2.6 sends it for "args host=req.hdr(host) body=req.body size=req.body_size". */
static void tb_notify(struct tb *t, uint64_t sid, uint64_t fid, const char *body, size_t blen)
{
	tb_begin(t, SPOP_FRAME_NOTIFY, SPOP_FLAG_FIN, sid, fid);
	tb_str(t, "polkfura");
	tb_u8(t, 3);
	tb_str(t, "host");
	tb_u8(t, SPOP_DATA_STRING);
	tb_str(t, "rpc.example.io");
	tb_str(t, "body");
	tb_u8(t, SPOP_DATA_BINARY);
	tb_bytes(t, body, blen);
	tb_str(t, "size");
	tb_u8(t, SPOP_DATA_INT64);
	tb_varint(t, blen);
	tb_end(t);
}

/* A NOTIFY whose single message "m" has one argument "a" of raw typed data <val>/<n>. */
static void tb_notify_arg(struct tb *t, const void *val, size_t n)
{
	tb_begin(t, SPOP_FRAME_NOTIFY, SPOP_FLAG_FIN, 1, 1);
	tb_str(t, "m");
	tb_u8(t, 1);
	tb_str(t, "a");
	tb_raw(t, val, n);
	tb_end(t);
}

/* ---- helpers ---------------------------------------------------------------- */

static void frame_ok(const uint8_t *p, size_t n, struct spop_frame *f)
{
	enum spop_status st = SPOP_ST_NONE;

	ck_assert_int_eq(spop_frame_decode(p, n, MAX_FRAME, f, &st), (int)n);
	ck_assert_int_eq(st, SPOP_ST_NONE);
}

static int frame_err(const uint8_t *p, size_t n, uint32_t max, enum spop_status *st)
{
	struct spop_frame f;

	*st = SPOP_ST_NONE;
	return spop_frame_decode(p, n, max, &f, st);
}

/* Decodes <payload> as NOTIFY and expects exactly one message. */
static void one_message(struct pf_slice payload, struct spop_message *m)
{
	enum spop_status st = SPOP_ST_NONE;
	size_t off = 0;

	ck_assert_int_eq(spop_message_next(payload, &off, m, &st), 1);
	ck_assert_int_eq(spop_message_next(payload, &off, m, &st), 0);
	ck_assert_uint_eq(off, payload.len);
}

/* NOTIFY message decode result of a one-argument frame, and the argument. */
static int notify_arg(const struct tb *t, struct spop_data *d, enum spop_status *st)
{
	struct spop_frame f;
	struct spop_message m;
	size_t off = 0;
	int r;

	frame_ok(t->b, t->n, &f);
	*st = SPOP_ST_NONE;
	r = spop_message_next(f.payload, &off, &m, st);
	if (r == 1)
		*d = m.args[0].val;
	return r;
}

/*
 * Decodes everything in <p>/<n> the way the agent does: frames until PF_AGAIN
 * or an error, then each frame's payload; with <strict>, every payload must
 * decode. Returns the number of whole frames decoded.
 */
static int decode_all_x(const uint8_t *p, size_t n, bool strict)
{
	size_t off = 0;
	int frames = 0;

	for (;;) {
		struct spop_frame f;
		enum spop_status st;
		int r = spop_frame_decode(p + off, n - off, MAX_FRAME, &f, &st);

		if (r <= 0)
			return frames;
		off += (size_t)r;
		frames++;
		r = 0; /* other frame types have no payload to check here */
		if (f.type == SPOP_FRAME_HAPROXY_HELLO) {
			struct spop_hello h;

			r = spop_hello_decode(f.payload, &h, &st);
		} else if (f.type == SPOP_FRAME_HAPROXY_DISCONNECT) {
			uint32_t code;
			struct pf_slice msg;

			r = spop_disconnect_decode(f.payload, &code, &msg, &st);
		} else if (f.type == SPOP_FRAME_NOTIFY) {
			struct spop_message m;
			size_t moff = 0;

			while ((r = spop_message_next(f.payload, &moff, &m, &st)) == 1)
				;
		}
		if (strict)
			ck_assert_int_eq(r, 0);
	}
}

static int decode_all(const uint8_t *p, size_t n)
{
	return decode_all_x(p, n, true);
}

struct sample {
	const uint8_t *p;
	size_t n;
	int frames;
};

/* Frames every robustness test runs over; filled by samples(). */
static size_t samples(struct sample *s, struct tb *t)
{
	static char big[300];
	size_t k = 0;

	memset(big, 'x', sizeof(big));
	s[k++] = (struct sample){LIT(HELLO_26), 1};
	s[k++] = (struct sample){LIT(HELLO_HC), 1};
	s[k++] = (struct sample){LIT(HA_DISCON), 1};
	t->n = 0;
	tb_notify(t, 2288, 1, BODY, sizeof(BODY) - 1);
	tb_notify(t, 264432, 2, big, sizeof(big));
	tb_notify(t, 7, 3, "", 0);
	s[k++] = (struct sample){t->b, t->n, 3};
	return k;
}

/* ---- varint ----------------------------------------------------------------- */

static const struct {
	uint64_t v;
	size_t len;
	const char *bytes;
} varint_known[] = {
    /* Values at each length boundary of SPOE.txt §3.1, bytes from HAProxy's encode_varint(). */
    {0, 1, "\x00"},
    {239, 1, "\xef"},
    {240, 2, "\xf0\x00"},
    {241, 2, "\xf1\x00"},
    {2287, 2, "\xff\x7f"},
    {2288, 3, "\xf0\x80\x00"},
    {16380, 3, "\xfc\xf0\x06"}, /* max-frame-size in HAProxy's HELLO */
    {70000, 3, "\xf0\x88\x21"},
    {264431, 3, "\xff\xff\x7f"},
    {264432, 4, "\xf0\x80\x80\x00"},
    {33818863, 4, "\xff\xff\xff\x7f"},
    {33818864, 5, "\xf0\x80\x80\x80\x00"},
    {UINT32_MAX, 5, "\xff\xf0\xfe\xfe\x7e"},
    {4328786159u, 5, "\xff\xff\xff\xff\x7f"},
    {4328786160u, 6, "\xf0\x80\x80\x80\x80\x00"},
    {INT64_MAX, 10, "\xff\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x06"},
    {(uint64_t)INT64_MAX + 1, 10, "\xf0\xf1\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x06"},
    {(uint64_t)-3, 10, "\xfd\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x0e"}, /* INT64 -3 */
    {UINT64_MAX, 10, "\xff\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x0e"},
};

START_TEST(test_varint_known_encodings)
{
	uint8_t out[SPOP_VARINT_MAX];
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(varint_known); i++) {
		size_t n = spop_varint_encode(out, varint_known[i].v);

		ck_assert_uint_eq(n, varint_known[i].len);
		ck_assert_mem_eq(out, varint_known[i].bytes, n);
		ck_assert_int_eq(spop_varint_decode(U8(varint_known[i].bytes), n, &v), (int)n);
		ck_assert_uint_eq(v, varint_known[i].v);
	}
}
END_TEST

START_TEST(test_varint_boundaries_round_trip)
{
	static const uint64_t vals[] = {0,          239,        240,        2287,
	                                2288,       264431,     264432,     33818863,
	                                33818864,   UINT32_MAX, UINT64_MAX, UINT64_MAX - 1,
	                                1ull << 63, 1ull << 32, 0xdeadbeef};
	uint8_t out[SPOP_VARINT_MAX + 4];
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(vals); i++) {
		uint64_t v = 42;
		size_t n = spop_varint_encode(out, vals[i]);

		ck_assert_uint_ge(n, 1);
		ck_assert_uint_le(n, SPOP_VARINT_MAX);
		/* trailing bytes must not be consumed */
		memset(out + n, 0xff, 4);
		ck_assert_int_eq(spop_varint_decode(out, n + 4, &v), (int)n);
		ck_assert_uint_eq(v, vals[i]);
	}
}
END_TEST

START_TEST(test_varint_truncated_is_again)
{
	uint64_t v = 7;
	size_t i, k;

	ck_assert_int_eq(spop_varint_decode(U8(""), 0, &v), PF_AGAIN);
	for (i = 0; i < PF_ARRAY_SIZE(varint_known); i++) {
		for (k = 0; k < varint_known[i].len; k++)
			ck_assert_int_eq(spop_varint_decode(U8(varint_known[i].bytes), k, &v),
			                 PF_AGAIN);
	}
	ck_assert_uint_eq(v, 7); /* untouched on PF_AGAIN */
}
END_TEST

START_TEST(test_varint_overflow_is_eproto)
{
	static const char *const bad[] = {
	    /* UINT64_MAX + 2^60: the last group overflows the sum */
	    "\xff\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x0f",
	    /* bits shifted out past bit 63 */
	    "\xff\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x10",
	    "\xf0\x80\x80\x80\x80\x80\x80\x80\x80\x7f",
	    /* a tenth byte that still continues: an 11-byte varint */
	    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
	    "\xf0\x80\x80\x80\x80\x80\x80\x80\x80\x80",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_int_eq(spop_varint_decode(U8(bad[i]), 10, &v), PF_EPROTO);
	/* Overlong is reported even when more bytes follow. */
	ck_assert_int_eq(
	    spop_varint_decode(U8("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00"), 11, &v),
	    PF_EPROTO);
}
END_TEST

/* ---- frames ----------------------------------------------------------------- */

START_TEST(test_frame_hello_haproxy26)
{
	struct spop_frame f;
	struct spop_hello h;
	enum spop_status st = SPOP_ST_NONE;

	ck_assert_uint_eq(sizeof(HELLO_26) - 1, 4 + 0x81);
	frame_ok(LIT(HELLO_26), &f);
	ck_assert_int_eq(f.type, SPOP_FRAME_HAPROXY_HELLO);
	ck_assert_uint_eq(f.flags, SPOP_FLAG_FIN);
	ck_assert_uint_eq(f.stream_id, 0);
	ck_assert_uint_eq(f.frame_id, 0);
	ck_assert_ptr_eq(f.payload.p, U8(HELLO_26) + 11);
	ck_assert_uint_eq(f.payload.len, 0x81 - 7);

	ck_assert_int_eq(spop_hello_decode(f.payload, &h, &st), 0);
	ck_assert(h.has_versions && h.has_max_frame_size && h.has_capabilities);
	ck_assert(pf_slice_eq_str(h.versions, "2.0"));
	ck_assert_uint_eq(h.max_frame_size, 16380);
	ck_assert(pf_slice_eq_str(h.capabilities, "pipelining,async"));
	ck_assert(pf_slice_eq_str(h.engine_id, "3b8e1a4c-5f2d-4c7e-9a61-0d2f8b7c6e15"));
	ck_assert(!h.healthcheck);
	ck_assert(spop_list_has(h.capabilities, "pipelining"));
	ck_assert(spop_list_has(h.capabilities, "async"));
	ck_assert(!spop_list_has(h.capabilities, "fragmentation"));
	ck_assert(spop_list_has(h.versions, SPOP_VERSION));
}
END_TEST

START_TEST(test_frame_hello_healthcheck)
{
	struct spop_frame f;
	struct spop_hello h;
	enum spop_status st = SPOP_ST_NONE;

	ck_assert_uint_eq(sizeof(HELLO_HC) - 1, 82);
	frame_ok(LIT(HELLO_HC), &f);
	ck_assert_int_eq(f.type, SPOP_FRAME_HAPROXY_HELLO);
	ck_assert_int_eq(spop_hello_decode(f.payload, &h, &st), 0);
	ck_assert(h.healthcheck);
	ck_assert(h.has_capabilities);
	ck_assert_uint_eq(h.capabilities.len, 0);
	ck_assert(!spop_list_has(h.capabilities, "pipelining"));
	ck_assert_uint_eq(h.engine_id.len, 0);
}
END_TEST

START_TEST(test_frame_too_big_before_body)
{
	enum spop_status st;

	/* 16381 announced, only the prefix present: rejected now, not PF_AGAIN. */
	ck_assert_int_eq(frame_err(U8("\x00\x00\x3f\xfd"), 4, MAX_FRAME, &st), PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_TOO_BIG);
	ck_assert_int_eq(frame_err(U8("\xff\xff\xff\xff"), 4, UINT32_MAX, &st), PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_TOO_BIG);
	/* exactly the limit is fine: waits for the body */
	ck_assert_int_eq(frame_err(U8("\x00\x00\x3f\xfc"), 4, MAX_FRAME, &st), PF_AGAIN);
	ck_assert_int_eq(frame_err(U8("\x00\x00\x3f"), 3, MAX_FRAME, &st), PF_AGAIN);
	ck_assert_int_eq(frame_err(U8(""), 0, MAX_FRAME, &st), PF_AGAIN);
	/* the HELLO against a smaller limit */
	ck_assert_int_eq(frame_err(LIT(HELLO_26), 0x80, &st), PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_TOO_BIG);
}
END_TEST

START_TEST(test_frame_too_short_or_ids_outside)
{
	enum spop_status st;
	struct spop_frame f;

	/* length 6 < type + flags + 2 ids */
	ck_assert_int_eq(frame_err(U8("\x00\x00\x00\x06"), 4, MAX_FRAME, &st), PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	ck_assert_int_eq(frame_err(U8("\x00\x00\x00\x00"), 4, MAX_FRAME, &st), PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* stream-id varint runs past the frame end (its continuation is outside) */
	ck_assert_int_eq(
	    frame_err(LIT("\x00\x00\x00\x07\x03\x00\x00\x00\x01\xf0\x80\x00"), MAX_FRAME, &st),
	    PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* frame-id missing */
	ck_assert_int_eq(
	    frame_err(LIT("\x00\x00\x00\x07\x03\x00\x00\x00\x01\xf0\x00\x05"), MAX_FRAME, &st),
	    PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* overlong stream-id inside a frame */
	ck_assert_int_eq(frame_err(LIT("\x00\x00\x00\x10\x03\x00\x00\x00\x01"
	                               "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00"),
	                           MAX_FRAME, &st),
	                 PF_EPROTO);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* minimal frame: empty payload */
	frame_ok(LIT("\x00\x00\x00\x07\x03\x00\x00\x00\x01\x05\x06"), &f);
	ck_assert_uint_eq(f.stream_id, 5);
	ck_assert_uint_eq(f.frame_id, 6);
	ck_assert_uint_eq(f.payload.len, 0);
}
END_TEST

START_TEST(test_frame_unknown_type_passed_up)
{
	struct spop_frame f;

	/* type 42 and UNSET (a fragment) come back as they are, for the caller to judge */
	frame_ok(LIT("\x00\x00\x00\x08\x2a\x00\x00\x00\x00\x00\x00\xaa"), &f);
	ck_assert_int_eq((int)f.type, 42);
	ck_assert_uint_eq(f.flags, 0);
	ck_assert_uint_eq(f.payload.len, 1);
	frame_ok(LIT("\x00\x00\x00\x07\x00\x00\x00\x00\x02\x01\x01"), &f);
	ck_assert_int_eq(f.type, SPOP_FRAME_UNSET);
	ck_assert_uint_eq(f.flags, SPOP_FLAG_ABORT);
}
END_TEST

START_TEST(test_frame_pipelined)
{
	struct tb t = {.n = 0};
	struct spop_frame f;
	struct spop_message m;
	enum spop_status st;
	size_t off = 0, first;
	int r;

	tb_notify(&t, 1, 1, BODY, sizeof(BODY) - 1);
	first = t.n;
	tb_notify(&t, 2, 1, "[]", 2);
	tb_notify(&t, 3, 1, "{}", 2);
	/* two whole frames and a partial third */
	t.n -= 3;
	r = spop_frame_decode(t.b, t.n, MAX_FRAME, &f, &st);
	ck_assert_int_eq(r, (int)first);
	ck_assert_uint_eq(f.stream_id, 1);
	off += (size_t)r;
	r = spop_frame_decode(t.b + off, t.n - off, MAX_FRAME, &f, &st);
	ck_assert_int_gt(r, 0);
	ck_assert_uint_eq(f.stream_id, 2);
	one_message(f.payload, &m);
	ck_assert(pf_slice_eq_str(spop_message_arg(&m, "body")->v.s, "[]"));
	off += (size_t)r;
	ck_assert_int_eq(spop_frame_decode(t.b + off, t.n - off, MAX_FRAME, &f, &st), PF_AGAIN);
	ck_assert_int_eq(decode_all(t.b, t.n), 2);
}
END_TEST

/* ---- HELLO ------------------------------------------------------------------ */

static int hello_of(struct tb *t, struct spop_hello *h, enum spop_status *st)
{
	struct spop_frame f;

	tb_end(t);
	frame_ok(t->b, t->n, &f);
	*st = SPOP_ST_NONE;
	return spop_hello_decode(f.payload, h, st);
}

static void tb_hello_kv(struct tb *t, bool vsn, bool mfs, bool cap)
{
	tb_begin(t, SPOP_FRAME_HAPROXY_HELLO, SPOP_FLAG_FIN, 0, 0);
	if (vsn) {
		tb_str(t, "supported-versions");
		tb_u8(t, SPOP_DATA_STRING);
		tb_str(t, "2.0");
	}
	if (mfs) {
		tb_str(t, "max-frame-size");
		tb_u8(t, SPOP_DATA_UINT32);
		tb_varint(t, 16380);
	}
	if (cap) {
		tb_str(t, "capabilities");
		tb_u8(t, SPOP_DATA_STRING);
		tb_str(t, "");
	}
}

START_TEST(test_hello_missing_keys)
{
	struct tb t = {.n = 0};
	struct spop_hello h;
	enum spop_status st;

	tb_hello_kv(&t, false, true, true);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_NO_VSN);
	t.n = 0;
	tb_hello_kv(&t, true, false, true);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_NO_FRAME_SIZE);
	t.n = 0;
	tb_hello_kv(&t, true, true, false);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_NO_CAP);
	t.n = 0;
	tb_hello_kv(&t, false, false, false);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_NO_VSN);
}
END_TEST

START_TEST(test_hello_unknown_keys_skipped)
{
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8};
	struct tb t = {.n = 0};
	struct spop_hello h;
	enum spop_status st;

	tb_hello_kv(&t, true, false, true);
	/* one unknown key of each type, before the max-frame-size given as INT64 */
	tb_str(&t, "k-null");
	tb_u8(&t, SPOP_DATA_NULL);
	tb_str(&t, "k-bool");
	tb_u8(&t, SPOP_DATA_BOOL | 0x10);
	tb_str(&t, "k-int32");
	tb_u8(&t, SPOP_DATA_INT32);
	tb_varint(&t, (uint64_t)(int64_t)-5);
	tb_str(&t, "k-uint64");
	tb_u8(&t, SPOP_DATA_UINT64);
	tb_varint(&t, UINT64_MAX);
	tb_str(&t, "k-ipv4");
	tb_u8(&t, SPOP_DATA_IPV4);
	tb_raw(&t, "\x7f\x00\x00\x01", 4);
	tb_str(&t, "k-ipv6");
	tb_u8(&t, SPOP_DATA_IPV6);
	tb_raw(&t, ip6, 16);
	tb_str(&t, "k-bin");
	tb_u8(&t, SPOP_DATA_BINARY);
	tb_bytes(&t, "\x00\x01\x02", 3);
	tb_str(&t, "max-frame-size");
	tb_u8(&t, SPOP_DATA_INT64);
	tb_varint(&t, 1024);
	tb_str(&t, "healthcheck");
	tb_u8(&t, SPOP_DATA_BOOL); /* false */
	ck_assert_int_eq(hello_of(&t, &h, &st), 0);
	ck_assert_uint_eq(h.max_frame_size, 1024);
	ck_assert(!h.healthcheck);
}
END_TEST

START_TEST(test_hello_bad_values)
{
	struct tb t = {.n = 0};
	struct spop_hello h;
	enum spop_status st;

	/* max-frame-size above 32 bits */
	tb_hello_kv(&t, true, false, true);
	tb_str(&t, "max-frame-size");
	tb_u8(&t, SPOP_DATA_UINT64);
	tb_varint(&t, 1ull << 32);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_BAD_FRAME_SIZE);
	/* negative max-frame-size */
	t.n = 0;
	tb_hello_kv(&t, true, false, true);
	tb_str(&t, "max-frame-size");
	tb_u8(&t, SPOP_DATA_INT64);
	tb_varint(&t, (uint64_t)(int64_t)-1);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_BAD_FRAME_SIZE);
	/* max-frame-size as a string */
	t.n = 0;
	tb_hello_kv(&t, true, false, true);
	tb_str(&t, "max-frame-size");
	tb_u8(&t, SPOP_DATA_STRING);
	tb_str(&t, "16380");
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* supported-versions as binary */
	t.n = 0;
	tb_hello_kv(&t, false, true, true);
	tb_str(&t, "supported-versions");
	tb_u8(&t, SPOP_DATA_BINARY);
	tb_str(&t, "2.0");
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* healthcheck as an integer */
	t.n = 0;
	tb_hello_kv(&t, true, true, true);
	tb_str(&t, "healthcheck");
	tb_u8(&t, SPOP_DATA_UINT32);
	tb_varint(&t, 1);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* capabilities as an integer, engine-id as a bool */
	t.n = 0;
	tb_hello_kv(&t, true, true, false);
	tb_str(&t, "capabilities");
	tb_u8(&t, SPOP_DATA_UINT32);
	tb_varint(&t, 0);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	t.n = 0;
	tb_hello_kv(&t, true, true, true);
	tb_str(&t, "engine-id");
	tb_u8(&t, SPOP_DATA_BOOL);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* empty key */
	t.n = 0;
	tb_hello_kv(&t, true, true, true);
	tb_str(&t, "");
	tb_u8(&t, SPOP_DATA_NULL);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* key without a value */
	t.n = 0;
	tb_hello_kv(&t, true, true, true);
	tb_str(&t, "engine-id");
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* string length past the payload end */
	t.n = 0;
	tb_hello_kv(&t, true, true, true);
	tb_str(&t, "engine-id");
	tb_u8(&t, SPOP_DATA_STRING);
	tb_u8(&t, 5);
	tb_raw(&t, "abcd", 4);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* reserved data type 10 */
	t.n = 0;
	tb_hello_kv(&t, true, true, true);
	tb_str(&t, "x");
	tb_u8(&t, 10);
	ck_assert_int_eq(hello_of(&t, &h, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
}
END_TEST

/* ---- NOTIFY ----------------------------------------------------------------- */

START_TEST(test_notify_three_args)
{
	struct tb t = {.n = 0};
	struct spop_frame f;
	struct spop_message m;
	const struct spop_data *d;

	tb_notify(&t, 2288, 1, BODY, sizeof(BODY) - 1);
	frame_ok(t.b, t.n, &f);
	ck_assert_int_eq(f.type, SPOP_FRAME_NOTIFY);
	ck_assert_uint_eq(f.flags, SPOP_FLAG_FIN);
	ck_assert_uint_eq(f.stream_id, 2288);
	ck_assert_uint_eq(f.frame_id, 1);
	one_message(f.payload, &m);
	ck_assert(pf_slice_eq_str(m.name, "polkfura"));
	ck_assert_uint_eq(m.nargs, 3);

	d = spop_message_arg(&m, "host");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->type, SPOP_DATA_STRING);
	ck_assert(pf_slice_eq_str(d->v.s, "rpc.example.io"));
	d = spop_message_arg(&m, "body");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->type, SPOP_DATA_BINARY);
	ck_assert_uint_eq(d->v.s.len, sizeof(BODY) - 1);
	ck_assert_mem_eq(d->v.s.p, BODY, sizeof(BODY) - 1);
	/* the body slice points into the frame, not at a copy */
	ck_assert(d->v.s.p > t.b && d->v.s.p + d->v.s.len <= t.b + t.n);
	d = spop_message_arg(&m, "size");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->type, SPOP_DATA_INT64);
	ck_assert_int_eq(d->v.i, (int64_t)sizeof(BODY) - 1);
	ck_assert_ptr_null(spop_message_arg(&m, "nope"));
	ck_assert_ptr_null(spop_message_arg(&m, "hos"));
}
END_TEST

START_TEST(test_notify_two_messages_and_unnamed_arg)
{
	struct tb t = {.n = 0};
	struct spop_frame f;
	struct spop_message m;
	enum spop_status st;
	size_t off = 0;

	tb_begin(&t, SPOP_FRAME_NOTIFY, SPOP_FLAG_FIN, 9, 4);
	tb_str(&t, "first");
	tb_u8(&t, 0);
	tb_str(&t, "second");
	tb_u8(&t, 1);
	tb_str(&t, ""); /* "args src" without a name */
	tb_u8(&t, SPOP_DATA_IPV4);
	tb_raw(&t, "\x0a\x00\x00\x01", 4);
	tb_end(&t);
	frame_ok(t.b, t.n, &f);
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 1);
	ck_assert(pf_slice_eq_str(m.name, "first"));
	ck_assert_uint_eq(m.nargs, 0);
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 1);
	ck_assert(pf_slice_eq_str(m.name, "second"));
	ck_assert_uint_eq(m.nargs, 1);
	ck_assert_uint_eq(m.args[0].name.len, 0);
	ck_assert_int_eq(m.args[0].val.type, SPOP_DATA_IPV4);
	ck_assert_mem_eq(m.args[0].val.v.ip, "\x0a\x00\x00\x01", 4);
	ck_assert_ptr_eq(spop_message_arg(&m, ""), &m.args[0].val);
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 0);
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 0);
	/* an offset past the payload is the caller's bug, reported, not followed */
	off = f.payload.len + 1;
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
}
END_TEST

START_TEST(test_notify_typed_values)
{
	static const uint8_t ip6[17] = {
	    SPOP_DATA_IPV6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct tb t = {.n = 0};
	struct spop_data d;
	enum spop_status st;

	tb_notify_arg(&t, "\x00", 1);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_NULL);
	t.n = 0;
	tb_notify_arg(&t, "\x11", 1);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_BOOL);
	ck_assert(d.v.b);
	t.n = 0;
	tb_notify_arg(&t, "\x01", 1);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert(!d.v.b);
	/* INT32 -1 as HAProxy writes any signed value: the 64-bit pattern */
	t.n = 0;
	tb_notify_arg(&t, "\x02\xff\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x0e", 11);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_INT32);
	ck_assert_int_eq(d.v.i, -1);
	/* INT64 -3 */
	t.n = 0;
	tb_notify_arg(&t, "\x04\xfd\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x0e", 11);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.v.i, -3);
	/* INT64 min */
	t.n = 0;
	tb_notify_arg(&t, "\x04\xf0\xf1\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x06", 11);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.v.i, INT64_MIN);
	/* UINT32 max */
	t.n = 0;
	tb_notify_arg(&t, "\x03\xff\xf0\xfe\xfe\x7e", 6);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_UINT32);
	ck_assert_uint_eq(d.v.u, UINT32_MAX);
	/* UINT64 max */
	t.n = 0;
	tb_notify_arg(&t, "\x05\xff\xf0\xfe\xfe\xfe\xfe\xfe\xfe\xfe\x0e", 11);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_uint_eq(d.v.u, UINT64_MAX);
	/* IPV6 */
	t.n = 0;
	tb_notify_arg(&t, ip6, sizeof(ip6));
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_IPV6);
	ck_assert_mem_eq(d.v.ip, ip6 + 1, 16);
	/* empty string */
	t.n = 0;
	tb_notify_arg(&t, "\x08\x00", 2);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_STRING);
	ck_assert_uint_eq(d.v.s.len, 0);
	/* flag bits on a string type are ignored, the type stays STRING */
	t.n = 0;
	tb_notify_arg(&t, "\x18\x01z", 3);
	ck_assert_int_eq(notify_arg(&t, &d, &st), 1);
	ck_assert_int_eq(d.type, SPOP_DATA_STRING);
	ck_assert(pf_slice_eq_str(d.v.s, "z"));
}
END_TEST

START_TEST(test_notify_bad_values)
{
	static const struct {
		const char *val;
		size_t n;
	} bad[] = {
	    {"\x0a", 1},                                 /* reserved type 10 */
	    {"\x0f", 1},                                 /* reserved type 15 */
	    {"\x02\xf0\x80\x80\x80\x80\x00", 7},         /* INT32 above INT32_MAX */
	    {"\x03\xf0\x80\x80\x80\x80\x00", 7},         /* UINT32 above UINT32_MAX */
	    {"\x03\xf0", 2},                             /* varint cut by the frame end */
	    {"\x02\xf0", 2},                             /* same, INT32 */
	    {"\x04\xff\xff", 3},                         /* same, INT64 */
	    {"\x05", 1},                                 /* UINT64 without its varint */
	    {"\x06\x7f\x00\x00", 4},                     /* IPV4 of 3 bytes */
	    {"\x07\x00\x00\x00\x00\x00\x00\x00\x00", 9}, /* IPV6 of 8 bytes */
	    {"\x08\x05"
	     "abcd",
	     6},                                              /* string longer than the frame */
	    {"\x09\xff\xff\xff\xff\xff\xff\xff\xff\x0e", 10}, /* huge binary length */
	    {"", 0},                                          /* the value is missing */
	};
	struct tb t = {.n = 0};
	struct spop_data d;
	enum spop_status st;
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		t.n = 0;
		tb_notify_arg(&t, bad[i].val, bad[i].n);
		ck_assert_int_eq(notify_arg(&t, &d, &st), -1);
		ck_assert_int_eq(st, SPOP_ST_INVALID);
	}
}
END_TEST

START_TEST(test_notify_too_many_args)
{
	struct tb t = {.n = 0};
	struct spop_frame f;
	struct spop_message m;
	enum spop_status st;
	size_t off;
	unsigned n, i;

	for (n = SPOP_MAX_ARGS; n <= SPOP_MAX_ARGS + 1; n++) {
		t.n = 0;
		tb_begin(&t, SPOP_FRAME_NOTIFY, SPOP_FLAG_FIN, 1, 1);
		tb_str(&t, "m");
		tb_u8(&t, (uint8_t)n);
		for (i = 0; i < n; i++) {
			tb_str(&t, "a");
			tb_u8(&t, SPOP_DATA_BOOL);
		}
		tb_end(&t);
		frame_ok(t.b, t.n, &f);
		off = 0;
		st = SPOP_ST_NONE;
		if (n == SPOP_MAX_ARGS) {
			ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 1);
			ck_assert_uint_eq(m.nargs, SPOP_MAX_ARGS);
		} else {
			ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), -1);
			ck_assert_int_eq(st, SPOP_ST_RES);
			ck_assert_uint_eq(off, 0);
		}
	}
	/* NB-ARGS larger than what follows */
	t.n = 0;
	tb_begin(&t, SPOP_FRAME_NOTIFY, SPOP_FLAG_FIN, 1, 1);
	tb_str(&t, "m");
	tb_u8(&t, 2);
	tb_str(&t, "a");
	tb_u8(&t, SPOP_DATA_NULL);
	tb_end(&t);
	frame_ok(t.b, t.n, &f);
	off = 0;
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	ck_assert_uint_eq(m.nargs, 0);
	/* NB-ARGS missing */
	t.n = 0;
	tb_begin(&t, SPOP_FRAME_NOTIFY, SPOP_FLAG_FIN, 1, 1);
	tb_str(&t, "m");
	tb_end(&t);
	frame_ok(t.b, t.n, &f);
	off = 0;
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
}
END_TEST

/* ---- DISCONNECT ------------------------------------------------------------- */

START_TEST(test_disconnect_haproxy)
{
	struct spop_frame f;
	struct pf_slice msg;
	uint32_t code = 0;
	enum spop_status st;

	ck_assert_uint_eq(sizeof(HA_DISCON) - 1, 4 + 0x31);
	frame_ok(LIT(HA_DISCON), &f);
	ck_assert_int_eq(f.type, SPOP_FRAME_HAPROXY_DISCONNECT);
	ck_assert_int_eq(spop_disconnect_decode(f.payload, &code, &msg, &st), 0);
	ck_assert_uint_eq(code, SPOP_ST_TIMEOUT);
	ck_assert(pf_slice_eq_str(msg, "a timeout occurred"));
}
END_TEST

START_TEST(test_disconnect_missing_and_bad)
{
	struct tb t = {.n = 0};
	struct spop_frame f;
	struct pf_slice msg;
	uint32_t code = 0;
	enum spop_status st;

	/* no items at all: tolerated, as HAProxy does */
	tb_begin(&t, SPOP_FRAME_HAPROXY_DISCONNECT, SPOP_FLAG_FIN, 0, 0);
	tb_end(&t);
	frame_ok(t.b, t.n, &f);
	ck_assert_int_eq(spop_disconnect_decode(f.payload, &code, &msg, &st), 0);
	ck_assert_uint_eq(code, SPOP_ST_UNKNOWN);
	ck_assert_uint_eq(msg.len, 0);
	/* status-code as a string */
	t.n = 0;
	tb_begin(&t, SPOP_FRAME_HAPROXY_DISCONNECT, SPOP_FLAG_FIN, 0, 0);
	tb_str(&t, "status-code");
	tb_u8(&t, SPOP_DATA_STRING);
	tb_str(&t, "4");
	tb_end(&t);
	frame_ok(t.b, t.n, &f);
	st = SPOP_ST_NONE;
	ck_assert_int_eq(spop_disconnect_decode(f.payload, &code, &msg, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* message as an integer */
	t.n = 0;
	tb_begin(&t, SPOP_FRAME_HAPROXY_DISCONNECT, SPOP_FLAG_FIN, 0, 0);
	tb_str(&t, "message");
	tb_u8(&t, SPOP_DATA_UINT32);
	tb_varint(&t, 4);
	tb_end(&t);
	frame_ok(t.b, t.n, &f);
	ck_assert_int_eq(spop_disconnect_decode(f.payload, &code, &msg, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
	/* truncated */
	frame_ok(LIT("\x00\x00\x00\x0a\x02\x00\x00\x00\x01\x00\x00\x0b"
	             "st"),
	         &f);
	ck_assert_int_eq(spop_disconnect_decode(f.payload, &code, &msg, &st), -1);
	ck_assert_int_eq(st, SPOP_ST_INVALID);
}
END_TEST

/* ---- encoders --------------------------------------------------------------- */

static int agent_hello(struct spop_buf *b, const char *caps)
{
	size_t start = spop_frame_begin(b, SPOP_FRAME_AGENT_HELLO, SPOP_FLAG_FIN, 0, 0);

	spop_put_kv_string(b, "version", SPOP_VERSION, strlen(SPOP_VERSION));
	spop_put_kv_uint32(b, "max-frame-size", MAX_FRAME);
	spop_put_kv_string(b, "capabilities", caps, strlen(caps));
	return spop_frame_end(b, start, MAX_FRAME);
}

START_TEST(test_encode_agent_hello_matches_haproxy_regtest)
{
	uint8_t mem[256];
	struct spop_buf b;

	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(agent_hello(&b, ""), 0);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, sizeof(AGENT_HELLO_VTC) - 1);
	ck_assert_mem_eq(mem, AGENT_HELLO_VTC, b.len);
}
END_TEST

START_TEST(test_encode_agent_hello_pipelining)
{
	static const char want[] = "\x00\x00\x00\x40"
	                           "\x65"
	                           "\x00\x00\x00\x01"
	                           "\x00\x00"
	                           "\x07"
	                           "version"
	                           "\x08\x03"
	                           "2.0"
	                           "\x0e"
	                           "max-frame-size"
	                           "\x03\xfc\xf0\x06"
	                           "\x0c"
	                           "capabilities"
	                           "\x08\x0a"
	                           "pipelining";
	uint8_t mem[256];
	struct spop_buf b;

	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(agent_hello(&b, "pipelining"), 0);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(mem, want, b.len);
}
END_TEST

START_TEST(test_encode_agent_disconnect)
{
	static const char want[] = "\x00\x00\x00\x35"
	                           "\x66"
	                           "\x00\x00\x00\x01"
	                           "\x00\x00"
	                           "\x0b"
	                           "status-code"
	                           "\x03\x04"
	                           "\x07"
	                           "message"
	                           "\x08\x16"
	                           "invalid frame received";
	uint8_t mem[128];
	struct spop_buf b;
	const char *why = spop_status_str(SPOP_ST_INVALID);
	size_t start;

	spop_buf_init(&b, mem, sizeof(mem));
	start = spop_frame_begin(&b, SPOP_FRAME_AGENT_DISCONNECT, SPOP_FLAG_FIN, 0, 0);
	spop_put_kv_uint32(&b, "status-code", SPOP_ST_INVALID);
	spop_put_kv_string(&b, "message", why, strlen(why));
	ck_assert_int_eq(spop_frame_end(&b, start, MAX_FRAME), 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(mem, want, b.len);
}
END_TEST

static const char ACK_WANT[] = "\x00\x00\x00\x31"
                               "\x67"
                               "\x00\x00\x00\x01"
                               "\xf0\x80\x00" /* stream-id 2288 */
                               "\x01"         /* frame-id 1 */
                               /* set-var(txn.class) = "read" */
                               "\x01\x03\x02"
                               "\x05"
                               "class"
                               "\x08\x04"
                               "read"
                               /* set-var(txn.calls) = (uint32)70000 */
                               "\x01\x03\x02"
                               "\x05"
                               "calls"
                               "\x03\xf0\x88\x21"
                               /* unset-var(sess.x) */
                               "\x02\x02\x01"
                               "\x01"
                               "x"
                               /* set-var(req.k) = "" (a NULL value of length 0) */
                               "\x01\x03\x03"
                               "\x01"
                               "k"
                               "\x08\x00";

static int ack(struct spop_buf *b)
{
	size_t start = spop_frame_begin(b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, 2288, 1);

	spop_put_set_var_string(b, SPOP_SCOPE_TXN, "class", "read", 4);
	spop_put_set_var_uint32(b, SPOP_SCOPE_TXN, "calls", 70000);
	spop_put_unset_var(b, SPOP_SCOPE_SESS, "x");
	spop_put_set_var_string(b, SPOP_SCOPE_REQ, "k", NULL, 0);
	return spop_frame_end(b, start, MAX_FRAME);
}

START_TEST(test_encode_ack_bytes)
{
	uint8_t mem[128];
	struct spop_buf b;

	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ack(&b), 0);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, sizeof(ACK_WANT) - 1);
	ck_assert_mem_eq(mem, ACK_WANT, b.len);
}
END_TEST

/* A test-side ACK action reader (the agent never decodes ACKs). */
struct action {
	uint8_t type, nargs, scope;
	struct pf_slice name;
	uint8_t vtype;
	uint64_t u;
	struct pf_slice s;
};

static size_t read_action(struct pf_slice pl, size_t off, struct action *a)
{
	uint64_t n;
	int r;

	memset(a, 0, sizeof(*a));
	ck_assert_uint_le(off + 4, pl.len);
	a->type = pl.p[off++];
	a->nargs = pl.p[off++];
	a->scope = pl.p[off++];
	r = spop_varint_decode(pl.p + off, pl.len - off, &n);
	ck_assert_int_gt(r, 0);
	off += (size_t)r;
	ck_assert_uint_le(n, pl.len - off);
	a->name = (struct pf_slice){pl.p + off, (size_t)n};
	off += (size_t)n;
	if (a->type == SPOP_ACT_UNSET_VAR)
		return off;
	ck_assert_uint_lt(off, pl.len);
	a->vtype = pl.p[off++];
	r = spop_varint_decode(pl.p + off, pl.len - off, &a->u);
	ck_assert_int_gt(r, 0);
	off += (size_t)r;
	if (a->vtype == SPOP_DATA_STRING) {
		ck_assert_uint_le(a->u, pl.len - off);
		a->s = (struct pf_slice){pl.p + off, (size_t)a->u};
		off += (size_t)a->u;
	}
	return off;
}

START_TEST(test_set_var_round_trip)
{
	static const char *const vals[] = {"", "read", "a,b c", NULL};
	static const uint32_t nums[] = {0, 239, 240, 70000, UINT32_MAX};
	char big[3000];
	uint8_t mem[4096];
	struct spop_buf b;
	struct spop_frame f;
	struct action a;
	size_t i, off, start;

	memset(big, 'q', sizeof(big));
	for (i = 0; i < PF_ARRAY_SIZE(vals); i++) {
		const char *v = vals[i] != NULL ? vals[i] : big;
		size_t vlen = vals[i] != NULL ? strlen(vals[i]) : sizeof(big);

		spop_buf_init(&b, mem, sizeof(mem));
		start = spop_frame_begin(&b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, 264432, 77);
		spop_put_set_var_string(&b, SPOP_SCOPE_RES, "polkfura_class", v, vlen);
		spop_put_set_var_uint32(&b, SPOP_SCOPE_PROC, "n", nums[i]);
		spop_put_unset_var(&b, SPOP_SCOPE_TXN, "gone");
		ck_assert_int_eq(spop_frame_end(&b, start, MAX_FRAME), 0);

		frame_ok(mem, b.len, &f);
		ck_assert_int_eq(f.type, SPOP_FRAME_ACK);
		ck_assert_uint_eq(f.stream_id, 264432);
		ck_assert_uint_eq(f.frame_id, 77);
		off = read_action(f.payload, 0, &a);
		ck_assert_int_eq(a.type, SPOP_ACT_SET_VAR);
		ck_assert_int_eq(a.nargs, 3);
		ck_assert_int_eq(a.scope, SPOP_SCOPE_RES);
		ck_assert(pf_slice_eq_str(a.name, "polkfura_class"));
		ck_assert_int_eq(a.vtype, SPOP_DATA_STRING);
		ck_assert_uint_eq(a.s.len, vlen);
		if (vlen > 0)
			ck_assert_mem_eq(a.s.p, v, vlen);
		off = read_action(f.payload, off, &a);
		ck_assert_int_eq(a.scope, SPOP_SCOPE_PROC);
		ck_assert_int_eq(a.vtype, SPOP_DATA_UINT32);
		ck_assert_uint_eq(a.u, nums[i]);
		off = read_action(f.payload, off, &a);
		ck_assert_int_eq(a.type, SPOP_ACT_UNSET_VAR);
		ck_assert_int_eq(a.nargs, 2);
		ck_assert(pf_slice_eq_str(a.name, "gone"));
		ck_assert_uint_eq(off, f.payload.len);
	}
}
END_TEST

START_TEST(test_encode_overflow_is_sticky)
{
	uint8_t mem[64];
	struct spop_buf b;
	size_t start, len;

	/* fits exactly */
	spop_buf_init(&b, mem, sizeof(AGENT_HELLO_VTC) - 1);
	ck_assert_int_eq(agent_hello(&b, ""), 0);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, sizeof(AGENT_HELLO_VTC) - 1);
	/* one byte short */
	spop_buf_init(&b, mem, sizeof(AGENT_HELLO_VTC) - 2);
	ck_assert_int_eq(agent_hello(&b, ""), -1);
	ck_assert(b.failed);
	ck_assert_uint_le(b.len, b.cap);
	/* a failed buffer stays failed: later small writes are no-ops */
	spop_buf_init(&b, mem, 16);
	start = spop_frame_begin(&b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, 1, 1);
	ck_assert(!b.failed);
	spop_put_set_var_string(&b, SPOP_SCOPE_TXN, "class", "read", 4);
	ck_assert(b.failed);
	len = b.len;
	spop_put_unset_var(&b, SPOP_SCOPE_TXN, "x");
	spop_put_kv_bool(&b, "k", true);
	ck_assert_uint_eq(b.len, len);
	ck_assert(b.failed);
	ck_assert_int_eq(spop_frame_end(&b, start, MAX_FRAME), -1);
	/* a zero-sized buffer */
	spop_buf_init(&b, NULL, 0);
	start = spop_frame_begin(&b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, 1, 1);
	ck_assert(b.failed);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(spop_frame_end(&b, start, MAX_FRAME), -1);
}
END_TEST

START_TEST(test_encode_frame_end_limits)
{
	uint8_t mem[128];
	struct spop_buf b;

	/* AGENT-HELLO with "pipelining" has a 64-byte body */
	spop_buf_init(&b, mem, sizeof(mem));
	{
		size_t start = spop_frame_begin(&b, SPOP_FRAME_AGENT_HELLO, SPOP_FLAG_FIN, 0, 0);

		spop_put_kv_string(&b, "version", "2.0", 3);
		spop_put_kv_uint32(&b, "max-frame-size", MAX_FRAME);
		spop_put_kv_string(&b, "capabilities", "pipelining", 10);
		ck_assert_int_eq(spop_frame_end(&b, start, 63), -1);
		ck_assert(b.failed);
	}
	spop_buf_init(&b, mem, sizeof(mem));
	{
		size_t start = spop_frame_begin(&b, SPOP_FRAME_AGENT_HELLO, SPOP_FLAG_FIN, 0, 0);

		spop_put_kv_string(&b, "version", "2.0", 3);
		spop_put_kv_uint32(&b, "max-frame-size", MAX_FRAME);
		spop_put_kv_string(&b, "capabilities", "pipelining", 10);
		ck_assert_int_eq(spop_frame_end(&b, start, 64), 0);
		ck_assert_mem_eq(mem, "\x00\x00\x00\x40", 4);
	}
	/* a start offset that was never returned by spop_frame_begin() */
	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(spop_frame_end(&b, 0, MAX_FRAME), -1);
	ck_assert(b.failed);
	spop_buf_init(&b, mem, sizeof(mem));
	(void)spop_frame_begin(&b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, 0, 0);
	ck_assert_int_eq(spop_frame_end(&b, 100, MAX_FRAME), -1);
	ck_assert(b.failed);
}
END_TEST

START_TEST(test_encode_kv_bool)
{
	uint8_t mem[32];
	struct spop_buf b;

	spop_buf_init(&b, mem, sizeof(mem));
	spop_put_kv_bool(&b, "healthcheck", true);
	spop_put_kv_bool(&b, "x", false);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, 13 + 3);
	ck_assert_mem_eq(mem,
	                 "\x0b"
	                 "healthcheck"
	                 "\x11\x01"
	                 "x"
	                 "\x01",
	                 b.len);
}
END_TEST

/* ---- misc ------------------------------------------------------------------- */

START_TEST(test_list_has)
{
	struct pf_slice l = pf_slice_str(" pipelining , async,fragmentation\t");

	ck_assert(spop_list_has(l, "pipelining"));
	ck_assert(spop_list_has(l, "async"));
	ck_assert(spop_list_has(l, "fragmentation"));
	ck_assert(!spop_list_has(l, "pipe"));
	ck_assert(!spop_list_has(l, "asyncx"));
	ck_assert(!spop_list_has(l, ""));
	ck_assert(!spop_list_has(pf_slice_str(""), "async"));
	ck_assert(!spop_list_has(pf_slice_str(",,"), "async"));
	ck_assert(spop_list_has(pf_slice_str("2.0, 1.5"), "1.5"));
	ck_assert(spop_list_has(pf_slice_str("2.0"), "2.0"));
	ck_assert(!spop_list_has(pf_slice_str("12.0"), "2.0"));
	ck_assert(!spop_list_has((struct pf_slice){NULL, 0}, "2.0"));
}
END_TEST

START_TEST(test_status_str)
{
	uint32_t s;

	for (s = 0; s <= 200; s++) {
		ck_assert_ptr_nonnull(spop_status_str(s));
		ck_assert_uint_gt(strlen(spop_status_str(s)), 0);
	}
	ck_assert_ptr_nonnull(spop_status_str(UINT32_MAX));
	ck_assert_str_eq(spop_status_str(SPOP_ST_NONE), "normal (no error occurred)");
	ck_assert_str_eq(spop_status_str(SPOP_ST_TOO_BIG), "frame is too big");
	ck_assert_str_eq(spop_status_str(SPOP_ST_INVALID), "invalid frame received");
	ck_assert_str_eq(spop_status_str(SPOP_ST_FRAG_NOT_SUPPORTED),
	                 "payload fragmentation is not supported");
	ck_assert_str_eq(spop_status_str(SPOP_ST_RES), "resource allocation error");
	ck_assert_str_eq(spop_status_str(SPOP_ST_UNKNOWN), "an unknown error occurred");
	ck_assert_str_eq(spop_status_str(14), "unassigned status code");
}
END_TEST

/* ---- robustness: split points and guard page ------------------------------- */

START_TEST(test_every_split_point)
{
	struct sample s[8];
	struct tb t;
	size_t ns = samples(s, &t), i, k;

	for (i = 0; i < ns; i++) {
		struct spop_frame f;
		enum spop_status st;
		int first = spop_frame_decode(s[i].p, s[i].n, MAX_FRAME, &f, &st);

		ck_assert_int_gt(first, 0);
		for (k = 0; k <= s[i].n; k++) {
			/* a heap block of exactly k bytes: ASan flags any overread */
			uint8_t *p = malloc(k > 0 ? k : 1);

			ck_assert_ptr_nonnull(p);
			if (k > 0)
				memcpy(p, s[i].p, k);
			if (k < (size_t)first)
				ck_assert_int_eq(spop_frame_decode(p, k, MAX_FRAME, &f, &st),
				                 PF_AGAIN);
			(void)decode_all(p, k);
			free(p);
		}
		ck_assert_int_eq(decode_all(s[i].p, s[i].n), s[i].frames);
	}
}
END_TEST

struct guard {
	uint8_t *base;
	size_t page;
};

static void guard_init(struct guard *g)
{
	long pg = sysconf(_SC_PAGESIZE);

	ck_assert_int_gt(pg, 0);
	g->page = (size_t)pg;
	g->base =
	    mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(g->base, MAP_FAILED);
	ck_assert_int_eq(mprotect(g->base + g->page, g->page, PROT_NONE), 0);
}

/* Copies <p>/<n> so that its last byte is the last readable byte. */
static const uint8_t *guard_put(struct guard *g, const uint8_t *p, size_t n)
{
	uint8_t *dst = g->base + g->page - n;

	ck_assert_uint_le(n, g->page);
	if (n > 0)
		memcpy(dst, p, n);
	return dst;
}

START_TEST(test_guard_page)
{
	struct guard g;
	struct sample s[8];
	struct tb t;
	size_t ns, i, k;

	guard_init(&g);
	ns = samples(s, &t);
	for (i = 0; i < ns; i++) {
		ck_assert_int_eq(decode_all(guard_put(&g, s[i].p, s[i].n), s[i].n), s[i].frames);
		for (k = 0; k < s[i].n; k++)
			(void)decode_all(guard_put(&g, s[i].p, k), k);
		/* every suffix too: frames that start mid-buffer */
		for (k = 0; k < s[i].n; k++)
			(void)decode_all_x(guard_put(&g, s[i].p + k, s[i].n - k), s[i].n - k,
			                   false);
	}
	/* a varint running into the guard page */
	{
		uint64_t v;

		ck_assert_int_eq(spop_varint_decode(guard_put(&g, U8("\xff\xff\xff"), 3), 3, &v),
		                 PF_AGAIN);
	}
	ck_assert_int_eq(munmap(g.base, 2 * g.page), 0);
}
END_TEST

/* Payload decoders given a payload that ends exactly at the guard page. */
START_TEST(test_guard_page_payload_truncations)
{
	struct guard g;
	struct spop_frame f;
	struct tb t = {.n = 0};
	size_t k;

	guard_init(&g);
	frame_ok(LIT(HELLO_26), &f);
	for (k = 0; k <= f.payload.len; k++) {
		struct spop_hello h;
		enum spop_status st;
		struct pf_slice pl = {guard_put(&g, f.payload.p, k), k};

		int r = spop_hello_decode(pl, &h, &st);

		ck_assert_int_eq(r, k == f.payload.len ? 0 : r);
		ck_assert(r == 0 || r == -1);
	}
	tb_notify(&t, 1, 1, BODY, sizeof(BODY) - 1);
	frame_ok(t.b, t.n, &f);
	for (k = 0; k <= f.payload.len; k++) {
		struct spop_message m;
		enum spop_status st;
		struct pf_slice pl = {guard_put(&g, f.payload.p, k), k};
		size_t off = 0;
		int r = spop_message_next(pl, &off, &m, &st);

		ck_assert_int_eq(r, k == 0 ? 0 : k == f.payload.len ? 1 : -1);
	}
	frame_ok(LIT(HA_DISCON), &f);
	for (k = 0; k <= f.payload.len; k++) {
		uint32_t code;
		struct pf_slice msg;
		enum spop_status st;
		struct pf_slice pl = {guard_put(&g, f.payload.p, k), k};

		int r = spop_disconnect_decode(pl, &code, &msg, &st);

		ck_assert(r == 0 || r == -1);
		if (k == f.payload.len)
			ck_assert_int_eq(r, 0);
	}
	ck_assert_int_eq(munmap(g.base, 2 * g.page), 0);
}
END_TEST

/* ---- regressions ------------------------------------------------------------ */

/*
 * spop_message_next() once cleared <m->nargs> before seeing it was at the end
 * of the payload, so a caller that looped to the 0 return lost the last message.
 */
START_TEST(test_regress_message_next_end_keeps_last_message)
{
	struct tb t = {.n = 0};
	struct spop_frame f;
	struct spop_message m;
	enum spop_status st;
	size_t off = 0;

	tb_notify(&t, 1, 1, BODY, sizeof(BODY) - 1);
	frame_ok(t.b, t.n, &f);
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 1);
	ck_assert_int_eq(spop_message_next(f.payload, &off, &m, &st), 0);
	ck_assert_uint_eq(m.nargs, 3);
	ck_assert_ptr_nonnull(spop_message_arg(&m, "body"));
}
END_TEST

static Suite *spop_suite(void)
{
	Suite *s = suite_create("spop");
	TCase *tc;

	tc = tcase_create("varint");
	tcase_add_test(tc, test_varint_known_encodings);
	tcase_add_test(tc, test_varint_boundaries_round_trip);
	tcase_add_test(tc, test_varint_truncated_is_again);
	tcase_add_test(tc, test_varint_overflow_is_eproto);
	suite_add_tcase(s, tc);

	tc = tcase_create("frame");
	tcase_add_test(tc, test_frame_hello_haproxy26);
	tcase_add_test(tc, test_frame_hello_healthcheck);
	tcase_add_test(tc, test_frame_too_big_before_body);
	tcase_add_test(tc, test_frame_too_short_or_ids_outside);
	tcase_add_test(tc, test_frame_unknown_type_passed_up);
	tcase_add_test(tc, test_frame_pipelined);
	suite_add_tcase(s, tc);

	tc = tcase_create("hello");
	tcase_add_test(tc, test_hello_missing_keys);
	tcase_add_test(tc, test_hello_unknown_keys_skipped);
	tcase_add_test(tc, test_hello_bad_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("notify");
	tcase_add_test(tc, test_notify_three_args);
	tcase_add_test(tc, test_notify_two_messages_and_unnamed_arg);
	tcase_add_test(tc, test_notify_typed_values);
	tcase_add_test(tc, test_notify_bad_values);
	tcase_add_test(tc, test_notify_too_many_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("disconnect");
	tcase_add_test(tc, test_disconnect_haproxy);
	tcase_add_test(tc, test_disconnect_missing_and_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, test_encode_agent_hello_matches_haproxy_regtest);
	tcase_add_test(tc, test_encode_agent_hello_pipelining);
	tcase_add_test(tc, test_encode_agent_disconnect);
	tcase_add_test(tc, test_encode_ack_bytes);
	tcase_add_test(tc, test_set_var_round_trip);
	tcase_add_test(tc, test_encode_overflow_is_sticky);
	tcase_add_test(tc, test_encode_frame_end_limits);
	tcase_add_test(tc, test_encode_kv_bool);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_test(tc, test_list_has);
	tcase_add_test(tc, test_status_str);
	suite_add_tcase(s, tc);

	tc = tcase_create("robust");
	tcase_add_test(tc, test_every_split_point);
	tcase_add_test(tc, test_guard_page);
	tcase_add_test(tc, test_guard_page_payload_truncations);
	suite_add_tcase(s, tc);

	tc = tcase_create("regress");
	tcase_add_test(tc, test_regress_message_next_end_keeps_last_message);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spop_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
