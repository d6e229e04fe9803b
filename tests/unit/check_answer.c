/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for spoa/answer.c: HELLO negotiation, and the AGENT-HELLO,
 * AGENT-DISCONNECT and ACK frames byte for byte. The AGENT-HELLO is the one
 * HAProxy's reg-test checks/spop-check.vtc expects from a good agent; the ACK
 * is written out by hand from doc/SPOE.txt §3.2.8 and notify.h's variables.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "common/compiler.h"
#include "spoa/answer.h"
#include "spoa/methods.h"
#include "spoa/notify.h"
#include "spoa/spop.h"

#define U8(s)     ((const uint8_t *)(s))
#define SLICE(s)  ((struct pf_slice){U8(s), sizeof(s) - 1})
#define MAX_FRAME 16380u

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

/* The ACK of one "rpc-request" message with BODY for polkadot, stream 5, frame 1. */
static const char ACK_HEALTH[] = "\x00\x00\x00\x56"
                                 "\x67"
                                 "\x00\x00\x00\x01"
                                 "\x05"
                                 "\x01"
                                 "\x01\x03\x02"
                                 "\x05"
                                 "chain"
                                 "\x08\x08"
                                 "polkadot"
                                 "\x01\x03\x02"
                                 "\x05"
                                 "class"
                                 "\x08\x04"
                                 "read"
                                 "\x01\x03\x02"
                                 "\x06"
                                 "method"
                                 "\x08\x0d"
                                 "system_health"
                                 "\x01\x03\x02"
                                 "\x05"
                                 "batch"
                                 "\x03\x01"
                                 "\x01\x03\x02"
                                 "\x02"
                                 "id"
                                 "\x08\x01"
                                 "1";

/* An ACK without actions, stream 5, frame 1. */
static const char ACK_EMPTY[] = "\x00\x00\x00\x07"
                                "\x67"
                                "\x00\x00\x00\x01"
                                "\x05"
                                "\x01";

static struct spop_hello hello_of(const char *versions, uint32_t max, const char *caps)
{
	struct spop_hello h;

	memset(&h, 0, sizeof(h));
	h.versions = (struct pf_slice){U8(versions), strlen(versions)};
	h.capabilities = (struct pf_slice){U8(caps), strlen(caps)};
	h.max_frame_size = max;
	h.has_versions = h.has_max_frame_size = h.has_capabilities = true;
	return h;
}

START_TEST(test_negotiate)
{
	struct spop_hello h;
	struct answer_hello a;

	h = hello_of("1.0, 2.0", 65532, "async, pipelining");
	ck_assert_int_eq(answer_hello_negotiate(&h, MAX_FRAME, &a), SPOP_ST_NONE);
	ck_assert_uint_eq(a.max_frame_size, MAX_FRAME);
	ck_assert_str_eq(answer_hello_caps(&a), "pipelining,async");

	h = hello_of("2.0", 300, "pipelining");
	ck_assert_int_eq(answer_hello_negotiate(&h, MAX_FRAME, &a), SPOP_ST_NONE);
	ck_assert_uint_eq(a.max_frame_size, 300);
	ck_assert_str_eq(answer_hello_caps(&a), "pipelining");

	h = hello_of("2.0", SPOP_MIN_FRAME_SIZE, "async,fragmentation");
	ck_assert_int_eq(answer_hello_negotiate(&h, MAX_FRAME, &a), SPOP_ST_NONE);
	ck_assert_uint_eq(a.max_frame_size, SPOP_MIN_FRAME_SIZE);
	ck_assert_str_eq(answer_hello_caps(&a), "async");

	h = hello_of("2.0", MAX_FRAME, "");
	ck_assert_int_eq(answer_hello_negotiate(&h, MAX_FRAME, &a), SPOP_ST_NONE);
	ck_assert_str_eq(answer_hello_caps(&a), "");

	h = hello_of("1.0,2.1", MAX_FRAME, "");
	ck_assert_int_eq(answer_hello_negotiate(&h, MAX_FRAME, &a), SPOP_ST_BAD_VSN);
	h = hello_of("2.0", SPOP_MIN_FRAME_SIZE - 1, "");
	ck_assert_int_eq(answer_hello_negotiate(&h, MAX_FRAME, &a), SPOP_ST_BAD_FRAME_SIZE);
}
END_TEST

START_TEST(test_hello_bytes_match_haproxy_regtest)
{
	const struct answer_hello a = {MAX_FRAME, false, false};
	uint8_t mem[256];
	struct spop_buf b;

	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(answer_hello_put(&b, &a), 0);
	ck_assert_uint_eq(b.len, sizeof(AGENT_HELLO_VTC) - 1);
	ck_assert_mem_eq(mem, AGENT_HELLO_VTC, b.len);
	/* One byte short: the buffer fails, nothing half-written counts. */
	spop_buf_init(&b, mem, sizeof(AGENT_HELLO_VTC) - 2);
	ck_assert_int_eq(answer_hello_put(&b, &a), -1);
	ck_assert(b.failed);
}
END_TEST

START_TEST(test_disconnect_bytes)
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
	uint8_t mem[SPOP_MIN_FRAME_SIZE + 4];
	struct spop_buf b;
	uint32_t st;

	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(answer_disconnect_put(&b, SPOP_ST_INVALID, MAX_FRAME), 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(mem, want, b.len);
	/* Every status, with its text, fits the smallest frame HAProxy allows. */
	for (st = 0; st <= SPOP_ST_UNKNOWN; st++) {
		spop_buf_init(&b, mem, sizeof(mem));
		ck_assert_int_eq(answer_disconnect_put(&b, st, SPOP_MIN_FRAME_SIZE), 0);
	}
}
END_TEST

/* ---- NOTIFY ------------------------------------------------------------------ */

struct wire {
	uint8_t b[1024];
	size_t n;
};

static void w_raw(struct wire *w, const void *p, size_t n)
{
	ck_assert_uint_le(w->n + n, sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w_u8(struct wire *w, uint8_t v)
{
	w_raw(w, &v, 1);
}

/* <LENGTH:varint><BYTES>, lengths below 240 (one varint byte) only. */
static void w_str(struct wire *w, const void *p, size_t n)
{
	ck_assert_uint_lt(n, 240);
	w_u8(w, (uint8_t)n);
	w_raw(w, p, n);
}

/* One "rpc-request" message as haproxy/spoe-polkfura.conf sends it: host, body, size. */
static void w_message(struct wire *w, const char *name, const char *host, const char *body)
{
	w_str(w, name, strlen(name));
	w_u8(w, 3);
	w_str(w, "host", 4);
	w_u8(w, SPOP_DATA_STRING);
	w_str(w, host, strlen(host));
	w_str(w, "body", 4);
	w_u8(w, SPOP_DATA_BINARY);
	w_str(w, body, strlen(body));
	w_str(w, "size", 4);
	w_u8(w, SPOP_DATA_INT64);
	w_u8(w, (uint8_t)strlen(body));
}

struct env {
	struct methods *table;
	struct notify_chains chains;
	struct answer_env env;
};

static void env_init(struct env *e, uint32_t max_frame)
{
	static const char tsv[] = "method\tclass\tnote\nsystem_health\tread\t\n";
	char err[128];

	e->table = methods_parse(tsv, sizeof(tsv) - 1, err, sizeof(err));
	ck_assert_ptr_nonnull(e->table);
	ck_assert_int_eq(notify_chains_parse("polkadot,kusama", &e->chains, err, sizeof(err)), 0);
	e->env = (struct answer_env){e->table, &e->chains, 4096, max_frame};
}

struct seen {
	unsigned messages, ours;
	enum rpc_class last;
};

static void seen_cb(void *arg, const struct notify_verdict *v)
{
	struct seen *s = arg;

	s->messages++;
	if (v != NULL) {
		s->ours++;
		s->last = v->rpc.cls;
	}
}

static enum spop_status notify(const struct env *e, const struct wire *pl, uint32_t flags,
                               uint64_t sid, uint64_t fid, struct spop_buf *b, struct seen *s)
{
	const struct spop_frame f = {SPOP_FRAME_NOTIFY, flags, sid, fid, {pl->b, pl->n}};

	memset(s, 0, sizeof(*s));
	return answer_notify_put(b, &f, &e->env, seen_cb, s);
}

START_TEST(test_ack_bytes)
{
	struct env e;
	struct wire pl = {.n = 0};
	uint8_t mem[MAX_FRAME + 4];
	struct spop_buf b;
	struct seen s;

	env_init(&e, MAX_FRAME);
	w_message(&pl, "other", "polkadot.example.io", "{}");
	w_message(&pl, NOTIFY_MESSAGE, "polkadot.example.io", BODY);
	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(notify(&e, &pl, SPOP_FLAG_FIN, 5, 1, &b, &s), SPOP_ST_NONE);
	ck_assert_uint_eq(b.len, sizeof(ACK_HEALTH) - 1);
	ck_assert_mem_eq(mem, ACK_HEALTH, b.len);
	ck_assert_uint_eq(s.messages, 2);
	ck_assert_uint_eq(s.ours, 1);
	ck_assert_int_eq(s.last, RPC_CLASS_READ);
	methods_free(e.table);
}
END_TEST

/* Actions that do not fit the negotiated frame: an ACK without them, HAProxy goes on. */
START_TEST(test_ack_too_big_goes_out_empty)
{
	char body[256];
	struct env e;
	struct wire pl = {.n = 0};
	uint8_t mem[MAX_FRAME + 4];
	struct spop_buf b;
	struct seen s;

	/* unknown method of 128 bytes and an id of 64: 265 bytes of ACK */
	(void)snprintf(body, sizeof(body),
	               "{\"jsonrpc\":\"2.0\",\"id\":\"%062d\",\"method\":\"%0128d\"}", 0, 0);
	env_init(&e, SPOP_MIN_FRAME_SIZE);
	w_message(&pl, NOTIFY_MESSAGE, "kusama", body);
	spop_buf_init(&b, mem, SPOP_MIN_FRAME_SIZE + 4); /* what the agent keeps free */
	ck_assert_int_eq(notify(&e, &pl, SPOP_FLAG_FIN, 5, 1, &b, &s), SPOP_ST_NONE);
	ck_assert_uint_eq(b.len, sizeof(ACK_EMPTY) - 1);
	ck_assert_mem_eq(mem, ACK_EMPTY, b.len);
	ck_assert_uint_eq(s.ours, 1);
	ck_assert_int_eq(s.last, RPC_CLASS_UNKNOWN);
	/* With room for it, the same message gets its actions. */
	e.env.max_frame_size = MAX_FRAME;
	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(notify(&e, &pl, SPOP_FLAG_FIN, 5, 1, &b, &s), SPOP_ST_NONE);
	ck_assert_uint_eq(b.len, 4 + 265);
	methods_free(e.table);
}
END_TEST

START_TEST(test_notify_refused)
{
	static const char CUT_MESSAGE[] = "\x0b"
	                                  "rpc-request"
	                                  "\x01"
	                                  "\x04"
	                                  "host"
	                                  "\x08\x05"
	                                  "pol";
	struct env e;
	struct wire pl = {.n = 0}, bad = {.n = 0}, many = {.n = 0};
	uint8_t mem[MAX_FRAME + 4];
	struct spop_buf b;
	struct seen s;
	int i;

	env_init(&e, MAX_FRAME);
	w_message(&pl, NOTIFY_MESSAGE, "polkadot", BODY);
	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(notify(&e, &pl, 0, 5, 1, &b, &s), SPOP_ST_FRAG_NOT_SUPPORTED);
	ck_assert_int_eq(notify(&e, &pl, SPOP_FLAG_FIN | SPOP_FLAG_ABORT, 0, 0, &b, &s),
	                 SPOP_ST_FRAMEID_NOTFOUND);
	/* A good message, then one cut short: the frame is refused as a whole. */
	bad = pl;
	w_raw(&bad, CUT_MESSAGE, sizeof(CUT_MESSAGE) - 1);
	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(notify(&e, &bad, SPOP_FLAG_FIN, 5, 1, &b, &s), SPOP_ST_INVALID);
	ck_assert_uint_eq(s.messages, 1);
	w_str(&many, "m", 1);
	w_u8(&many, SPOP_MAX_ARGS + 1);
	for (i = 0; i <= SPOP_MAX_ARGS; i++) {
		w_str(&many, "a", 1);
		w_u8(&many, SPOP_DATA_NULL);
	}
	spop_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(notify(&e, &many, SPOP_FLAG_FIN, 5, 1, &b, &s), SPOP_ST_RES);
	methods_free(e.table);
}
END_TEST

static Suite *answer_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("hello");

	tcase_add_test(tc, test_negotiate);
	tcase_add_test(tc, test_hello_bytes_match_haproxy_regtest);
	tcase_add_test(tc, test_disconnect_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("notify");
	tcase_add_test(tc, test_ack_bytes);
	tcase_add_test(tc, test_ack_too_big_goes_out_empty);
	tcase_add_test(tc, test_notify_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(answer_suite());
}
