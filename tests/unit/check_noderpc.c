/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/poll/noderpc.c: every real node reply of tests/data/responses/
 * (health, headers, finalized head, sync state, errors), batches assembled
 * from them in every member order, single-call accumulation, a table of
 * malformed replies with their exact reason, strict hex numbers (table plus a
 * differential random test), request building, and every truncation point of
 * a real batch reply, each also parsed from just before a PROT_NONE guard
 * page. Run from the repository root.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "ctl/poll/noderpc.h"

#define RESP_DIR "tests/data/responses/"

#define BEST_NUMBER 21037668u /* 0x1410264, the header of chain_getHeader.json */
#define BEST_PARENT "0xa3d4aa9e1c54b967d638efd7f26c2df67fb5ced4d54294c8f167fb6fadefc8b8"
#define FIN_HASH    BEST_PARENT /* chain_getFinalizedHead.json is that parent */
/* Polkadot's genesis, chain_getBlockHash-0.json. */
#define GENESIS     "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"

/* ---- helpers -------------------------------------------------------------- */

/* Test data must be there: any failure to load it stops the run (also outside tests). */
static void need(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "check_noderpc: %s\n", what);
		abort();
	}
}

/* Reads a whole file, NUL-terminated. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	need(f != NULL, path);
	need(fseek(f, 0, SEEK_END) == 0, path);
	n = ftell(f);
	need(n >= 0 && fseek(f, 0, SEEK_SET) == 0, path);
	buf = malloc((size_t)n + 1);
	need(buf != NULL, "out of memory");
	need(fread(buf, 1, (size_t)n, f) == (size_t)n, path);
	(void)fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Reads a reply file and rewrites its first "id":1 to "id":<id>, newline dropped. */
static char *reply_with_id(const char *file, unsigned id)
{
	char path[256], *body, *at, *out;
	size_t len;
	int n;

	n = snprintf(path, sizeof(path), RESP_DIR "%s", file);
	need(n > 0 && (size_t)n < sizeof(path), file);
	body = read_all(path, &len);
	while (len && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		body[--len] = '\0';
	at = strstr(body, "\"id\":1");
	need(at != NULL, file);
	out = malloc(len + 16);
	need(out != NULL, "out of memory");
	n = snprintf(out, len + 16, "%.*s\"id\":%u%s", (int)(at - body), body, id, at + 6);
	need(n > 0 && (size_t)n < len + 16, file);
	free(body);
	return out;
}

/* Parses a copy of <body> in an exact-size heap block, so ASan sees overreads. */
static int parse_n(const char *body, size_t len, struct node_poll *p)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, body, len);
	rc = noderpc_parse(copy, len, p);
	free(copy);
	ck_assert(rc == 0 || rc == -1);
	ck_assert_int_eq(rc == 0, p->err == NODE_POLL_OK);
	ck_assert_uint_lt(strlen(p->detail), sizeof(p->detail));
	return rc;
}

static int parse_fresh(const char *body, struct node_poll *p)
{
	noderpc_poll_reset(p);
	return parse_n(body, strlen(body), p);
}

/* The six real replies with ids 1..6, for batches. */
static char *members[7];

static void load_members(void)
{
	members[1] = reply_with_id("system_health.json", 1);
	members[2] = reply_with_id("chain_getHeader.json", 2);
	members[3] = reply_with_id("chain_getFinalizedHead.json", 3);
	members[4] = reply_with_id("chain_getHeader.json", 4);
	members[5] = reply_with_id("system_syncState-lagging.json", 5);
	members[6] = reply_with_id("chain_getBlockHash-0.json", 6);
}

static void free_members(void)
{
	unsigned i;

	for (i = 1; i <= 6; i++)
		free(members[i]);
}

/* "[m(order[0]),...]" into a fresh heap string. */
static char *batch_of(const unsigned *order, size_t k)
{
	size_t i, cap = 4, at = 0;
	char *out;

	for (i = 0; i < k; i++)
		cap += strlen(members[order[i]]) + 1;
	out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	out[at++] = '[';
	for (i = 0; i < k; i++) {
		size_t l = strlen(members[order[i]]);

		if (i)
			out[at++] = ',';
		memcpy(out + at, members[order[i]], l);
		at += l;
	}
	out[at++] = ']';
	out[at] = '\0';
	return out;
}

static void assert_full_poll(const struct node_poll *p)
{
	ck_assert_int_eq(p->err, NODE_POLL_OK);
	ck_assert_str_eq(p->detail, "");
	ck_assert(!p->batch_refused);
	ck_assert(p->has_health);
	ck_assert_uint_eq(p->peers, 40);
	ck_assert(!p->syncing);
	ck_assert(p->should_have_peers);
	ck_assert(p->has_best);
	ck_assert_uint_eq(p->best, BEST_NUMBER);
	ck_assert_str_eq(p->best_parent_hash, BEST_PARENT);
	ck_assert(p->has_finalized_hash);
	ck_assert_str_eq(p->finalized_hash, FIN_HASH);
	ck_assert(p->has_genesis);
	ck_assert_str_eq(p->genesis_hash, GENESIS);
}

/* ---- real replies --------------------------------------------------------- */

struct health_case {
	const char *file;
	uint32_t peers;
	bool syncing;
};

static const struct health_case health_cases[] = {
    {"system_health.json", 40, false},
    {"system_health-syncing.json", 12, true},
    {"system_health-no-peers.json", 0, false},
};

START_TEST(test_real_health)
{
	const struct health_case *c = &health_cases[_i];
	char *body = reply_with_id(c->file, NODERPC_ID_HEALTH);
	struct node_poll p;

	ck_assert_int_eq(parse_fresh(body, &p), 0);
	ck_assert(p.has_health);
	ck_assert_uint_eq(p.peers, c->peers);
	ck_assert_int_eq(p.syncing, c->syncing);
	ck_assert(p.should_have_peers);
	ck_assert(!p.has_best && !p.has_finalized_hash && !p.has_finalized && !p.has_sync);
	ck_assert(!p.has_genesis);
	free(body);
}
END_TEST

START_TEST(test_real_header)
{
	char *body = reply_with_id("chain_getHeader.json", NODERPC_ID_HEADER);
	struct node_poll p;

	ck_assert_int_eq(parse_fresh(body, &p), 0);
	ck_assert(p.has_best && !p.has_health && !p.has_finalized);
	ck_assert_uint_eq(p.best, BEST_NUMBER);
	ck_assert_str_eq(p.best_parent_hash, BEST_PARENT);
	free(body);
}
END_TEST

/* chain_getBlockHash(0) of a real Polkadot node, then the same hash in upper case. */
START_TEST(test_real_genesis)
{
	char *body = reply_with_id("chain_getBlockHash-0.json", NODERPC_ID_GENESIS);
	struct node_poll p;

	ck_assert_int_eq(parse_fresh(body, &p), 0);
	ck_assert(p.has_genesis && !p.has_best && !p.has_health && !p.has_finalized_hash);
	ck_assert_str_eq(p.genesis_hash, GENESIS);
	ck_assert_int_eq(
	    parse_fresh("{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":"
	                "\"0x91B171BB158E2D3848FA23A9F1C25182FB8E20313B2C1EB49219DA7A70CE90C3\"}",
	                &p),
	    0);
	ck_assert_str_eq(p.genesis_hash, GENESIS);
	free(body);
}
END_TEST

START_TEST(test_real_finalized)
{
	char *head = reply_with_id("chain_getFinalizedHead.json", NODERPC_ID_FINALIZED_HEAD);
	char *hdr = reply_with_id("chain_getHeader.json", NODERPC_ID_FINALIZED_HEADER);
	char *genesis = reply_with_id("chain_getBlockHash-0.json", NODERPC_ID_FINALIZED_HEAD);
	struct node_poll p;

	ck_assert_int_eq(parse_fresh(head, &p), 0);
	ck_assert(p.has_finalized_hash && !p.has_finalized);
	ck_assert_str_eq(p.finalized_hash, FIN_HASH);
	ck_assert(noderpc_needs_finalized_header(&p));
	/* Then chain_getHeader(<hash>) with id 4 gives its number. */
	ck_assert_int_eq(parse_n(hdr, strlen(hdr), &p), 0);
	ck_assert(p.has_finalized && !p.has_best);
	ck_assert_uint_eq(p.finalized, BEST_NUMBER);
	ck_assert(!noderpc_needs_finalized_header(&p));

	ck_assert_int_eq(parse_fresh(genesis, &p), 0);
	ck_assert_str_eq(p.finalized_hash,
	                 "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3");
	free(head);
	free(hdr);
	free(genesis);
}
END_TEST

START_TEST(test_real_sync_state)
{
	char *ok = reply_with_id("system_syncState.json", NODERPC_ID_SYNC_STATE);
	char *lag = reply_with_id("system_syncState-lagging.json", NODERPC_ID_SYNC_STATE);
	struct node_poll p;

	ck_assert_int_eq(parse_fresh(ok, &p), 0);
	ck_assert(p.has_sync && p.has_sync_highest);
	ck_assert_uint_eq(p.sync_starting, 21032668);
	ck_assert_uint_eq(p.sync_current, 21037668);
	ck_assert_uint_eq(p.sync_highest, 21037668);
	ck_assert_int_eq(parse_fresh(lag, &p), 0);
	ck_assert_uint_eq(p.sync_current, 21037548);
	ck_assert_uint_eq(p.sync_highest, 21037668);
	/* Older nodes omit highestBlock while it is unknown. */
	ck_assert_int_eq(
	    parse_fresh("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"startingBlock\":0,"
	                "\"currentBlock\":7}}",
	                &p),
	    0);
	ck_assert(p.has_sync && !p.has_sync_highest);
	ck_assert_uint_eq(p.sync_current, 7);
	ck_assert_int_eq(
	    parse_fresh("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"startingBlock\":0,"
	                "\"currentBlock\":7,\"highestBlock\":null}}",
	                &p),
	    0);
	ck_assert(p.has_sync && !p.has_sync_highest);
	free(ok);
	free(lag);
}
END_TEST

struct error_case {
	const char *file;
	const char *detail;
	bool refused; /* id null: the whole request was refused */
};

static const struct error_case error_cases[] = {
    {"error-invalid-request.json", "rpc error -32600 Invalid request", true},
    {"error-invalid-transaction.json", "rpc error 1010 Invalid Transaction", false},
    {"error-method-not-found.json", "rpc error -32601 Method not found", false},
    {"error-parse.json", "rpc error -32700 Parse error", true},
    {"error-request-too-big.json", "rpc error -32007 Request is too big", true},
    {"error-too-many-subscriptions.json",
     "rpc error -32006 Too many subscriptions on the connection", false},
    {"error-unsafe.json", "rpc error -32601 RPC call is unsafe to be called externally", false},
};

START_TEST(test_real_errors)
{
	const struct error_case *c = &error_cases[_i];
	char path[256], *body;
	struct node_poll p;
	size_t len;

	(void)snprintf(path, sizeof(path), RESP_DIR "%s", c->file);
	body = read_all(path, &len);
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(body, len, &p), -1);
	ck_assert_int_eq(p.err, NODE_POLL_RPC_ERROR);
	ck_assert_str_eq(p.detail, c->detail);
	ck_assert_int_eq(p.batch_refused, c->refused);
	free(body);
}
END_TEST

/* Files that are replies to other methods: valid JSON-RPC, but not a poll answer. */
START_TEST(test_real_other_replies)
{
	static const char *const files[] = {"system_chain.json", "system_name.json",
	                                    "rpc_methods.json", "state_getRuntimeVersion.json",
	                                    "system_properties.json"};
	char path[256], *body;
	struct node_poll p;
	size_t i, len;

	for (i = 0; i < PF_ARRAY_SIZE(files); i++) {
		(void)snprintf(path, sizeof(path), RESP_DIR "%s", files[i]);
		body = read_all(path, &len);
		/* id 1 is system_health: a string or odd object there is malformed. */
		noderpc_poll_reset(&p);
		ck_assert_int_eq(parse_n(body, len, &p), -1);
		ck_assert_int_eq(p.err, NODE_POLL_MALFORMED);
		ck_assert_msg(strncmp(p.detail, "malformed: ", 11) == 0, "%s", p.detail);
		free(body);
	}
	/* The bare /health object and the notification have no JSON-RPC envelope. */
	body = read_all(RESP_DIR "http-get-health.json", &len);
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(body, len, &p), -1);
	ck_assert_str_eq(p.detail, "malformed: jsonrpc is not \"2.0\"");
	free(body);
	body = read_all(RESP_DIR "chain_newHead-notification.json", &len);
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(body, len, &p), -1);
	ck_assert_str_eq(p.detail, "malformed: reply has neither result nor error");
	free(body);
	body = read_all(RESP_DIR "http-429-too-many-connections.txt", &len);
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(body, len, &p), -1);
	ck_assert_str_eq(p.detail, "malformed: invalid JSON at byte 0");
	free(body);
}
END_TEST

/* ---- batches -------------------------------------------------------------- */

/* The <k>-th (0-based) order, lexicographic, of the <n> ids <ids> into <order>. */
static void nth_order(const unsigned *ids, unsigned n, unsigned k, unsigned *order)
{
	unsigned pool[8], f = 1, i, j, left = n;

	ck_assert_uint_le(n, 8);
	memcpy(pool, ids, n * sizeof(*ids));
	for (i = 2; i < n; i++)
		f *= i; /* (n - 1)! */
	for (i = 0; i < n; i++) {
		unsigned q = k / f;

		order[i] = pool[q];
		for (j = q; j + 1 < left; j++)
			pool[j] = pool[j + 1];
		left--;
		k %= f;
		if (left)
			f /= left;
	}
}

/* All 24 orders of the batch's ids 1, 2, 3, 6. */
START_TEST(test_batch_orders)
{
	static const unsigned ids[4] = {1, 2, 3, 6};
	unsigned order[4];
	struct node_poll p;
	char *body;

	nth_order(ids, 4, (unsigned)_i, order);
	body = batch_of(order, 4);

	ck_assert_int_eq(parse_fresh(body, &p), 0);
	assert_full_poll(&p);
	/* The finalized head is the best block's parent: its number needs no 4th call. */
	ck_assert(p.has_finalized);
	ck_assert_uint_eq(p.finalized, BEST_NUMBER - 1);
	ck_assert(!noderpc_needs_finalized_header(&p));
	ck_assert(!p.has_sync);
	free(body);
}
END_TEST

/* Every order of all six ids: 720 permutations. */
START_TEST(test_batch_orders6)
{
	static const unsigned ids[6] = {1, 2, 3, 4, 5, 6};
	unsigned order[6];
	struct node_poll p;
	char *body;

	nth_order(ids, 6, (unsigned)_i, order);
	body = batch_of(order, 6);
	ck_assert_int_eq(parse_fresh(body, &p), 0);
	assert_full_poll(&p);
	/* An explicit id-4 answer wins over the parent shortcut. */
	ck_assert(p.has_finalized);
	ck_assert_uint_eq(p.finalized, BEST_NUMBER);
	ck_assert(p.has_sync && p.has_sync_highest);
	ck_assert_uint_eq(p.sync_current, 21037548);
	free(body);
}
END_TEST

START_TEST(test_batch_whitespace_and_finalized_not_parent)
{
	struct node_poll p;
	const char *body =
	    " \r\n[ {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"0x7C8DC11DFF851D5D7C94EBD3072A45202100257D3F8A4FA39156FBE3D5E18642\"} ,\n"
	    "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"isSyncing\":false,\"peers\":3}},"
	    "{\"result\":{\"number\":\"0x10\",\"parentHash\":\"" BEST_PARENT "\",\"extra\":[1,2]},"
	    "\"jsonrpc\":\"2.0\",\"id\":2},{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":\"" GENESIS
	    "\"}\t]\n\n";

	ck_assert_int_eq(parse_fresh(body, &p), 0);
	ck_assert_uint_eq(p.peers, 3);
	ck_assert(p.should_have_peers); /* omitted: assumed */
	ck_assert_uint_eq(p.best, 16);
	/* Stored lower-case. */
	ck_assert_str_eq(p.finalized_hash,
	                 "0x7c8dc11dff851d5d7c94ebd3072a45202100257d3f8a4fa39156fbe3d5e18642");
	/* Not the parent: the number stays unknown until an id-4 call. */
	ck_assert(!p.has_finalized);
	ck_assert(noderpc_needs_finalized_header(&p));
}
END_TEST

START_TEST(test_batch_member_error)
{
	struct node_poll p;
	char *body;
	unsigned order[4] = {1, 2, 3, 6};
	char *saved = members[2];

	members[2] = (char *)"{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32603,"
	                     "\"message\":\"Internal error\"}}";
	body = batch_of(order, 4);
	members[2] = saved;
	ck_assert_int_eq(parse_fresh(body, &p), -1);
	ck_assert_int_eq(p.err, NODE_POLL_RPC_ERROR);
	ck_assert_str_eq(p.detail, "rpc error -32603 Internal error");
	ck_assert(!p.batch_refused); /* one call failed; batching itself works */
	ck_assert(p.has_health);     /* members before the failure were read */
	free(body);
}
END_TEST

/* jsonrpsee with batches disabled, then the single-call fallback into the same poll. */
START_TEST(test_batch_refused_then_singles)
{
	struct node_poll p;
	char buf[NODERPC_POLL_CAP];
	unsigned id;

	ck_assert_int_eq(parse_fresh("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32005,"
	                             "\"message\":\"Batched requests are not supported by this "
	                             "server\"}}",
	                             &p),
	                 -1);
	ck_assert_int_eq(p.err, NODE_POLL_RPC_ERROR);
	ck_assert(p.batch_refused);
	ck_assert_str_eq(p.detail,
	                 "rpc error -32005 Batched requests are not supported by this server");
	/* Without an id at all it is a refusal too. */
	ck_assert_int_eq(parse_fresh("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32010,"
	                             "\"message\":\"The batch request was too large\"}}",
	                             &p),
	                 -1);
	ck_assert(p.batch_refused);

	noderpc_poll_reset(&p);
	for (id = NODERPC_ID_HEALTH; id <= NODERPC_ID_GENESIS; id++) {
		if (id == NODERPC_ID_FINALIZED_HEADER || id == NODERPC_ID_SYNC_STATE)
			continue; /* not part of the poll */
		ck_assert_int_gt(noderpc_build_single(buf, sizeof(buf), id), 0);
		ck_assert_int_eq(parse_n(members[id], strlen(members[id]), &p), 0);
	}
	assert_full_poll(&p);
	ck_assert_uint_eq(p.finalized, BEST_NUMBER - 1);
}
END_TEST

/* ---- malformed replies ---------------------------------------------------- */

#define ENV(id, res) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"result\":" res "}"
#define HEALTH(res)  ENV(1, res)
#define HEADER(res)  ENV(2, res)
#define FINHEAD(res) ENV(3, res)
#define FINHDR(res)  ENV(4, res)
#define SYNC(res)    ENV(5, res)
#define GEN(res)     ENV(6, res)
#define HDR_NUM(num) HEADER("{\"parentHash\":\"" BEST_PARENT "\",\"number\":" num "}")
#define HASH64       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H1           HEALTH("{\"peers\":1,\"isSyncing\":false}")
#define H2           HDR_NUM("\"0x1\"")
#define H3           FINHEAD("\"0x" HASH64 "\"")
#define H6           GEN("\"" GENESIS "\"")

struct bad_case {
	const char *name;
	const char *body;
	enum node_poll_err err;
	const char *detail;
};

static const struct bad_case bad_cases[] = {
    /* JSON itself */
    {"empty", "", NODE_POLL_MALFORMED, "malformed: empty body"},
    {"spaces", "  \n", NODE_POLL_MALFORMED, "malformed: invalid JSON at byte 2"},
    {"truncated", "{\"jsonrpc\":\"2.0\",\"id\":1,\"res", NODE_POLL_MALFORMED,
     "malformed: invalid JSON at byte 25"},
    {"trailing", H1 "x", NODE_POLL_MALFORMED, "malformed: trailing data at byte 63"},
    {"two objects", H1 H1, NODE_POLL_MALFORMED, "malformed: trailing data at byte 63"},
    {"scalar", "42", NODE_POLL_MALFORMED, "malformed: reply is not an object or array"},
    {"null", "null", NODE_POLL_MALFORMED, "malformed: reply is not an object or array"},
    {"string", "\"ok\"", NODE_POLL_MALFORMED, "malformed: reply is not an object or array"},
    {"html", "<html>502</html>", NODE_POLL_MALFORMED, "malformed: invalid JSON at byte 0"},
    /* envelope */
    {"no jsonrpc", "{\"id\":1,\"result\":{}}", NODE_POLL_MALFORMED,
     "malformed: jsonrpc is not \"2.0\""},
    {"jsonrpc 1.0", "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}", NODE_POLL_MALFORMED,
     "malformed: jsonrpc is not \"2.0\""},
    {"jsonrpc number", "{\"jsonrpc\":2.0,\"id\":1,\"result\":{}}", NODE_POLL_MALFORMED,
     "malformed: jsonrpc is not \"2.0\""},
    {"no id", "{\"jsonrpc\":\"2.0\",\"result\":{}}", NODE_POLL_MALFORMED,
     "malformed: reply has no id"},
    {"id null result", "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", NODE_POLL_MALFORMED,
     "malformed: unexpected id"},
    {"id string", "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}", NODE_POLL_MALFORMED,
     "malformed: unexpected id"},
    {"id 0", ENV(0, "{}"), NODE_POLL_MALFORMED, "malformed: unexpected id"},
    {"id 7", ENV(7, "{}"), NODE_POLL_MALFORMED, "malformed: unexpected id"},
    {"id -1", ENV(-1, "{}"), NODE_POLL_MALFORMED, "malformed: unexpected id"},
    {"id 1.5", ENV(1.5, "{}"), NODE_POLL_MALFORMED, "malformed: unexpected id"},
    {"id huge", ENV(1e400, "{}"), NODE_POLL_MALFORMED, "malformed: unexpected id"},
    {"neither", "{\"jsonrpc\":\"2.0\",\"id\":1}", NODE_POLL_MALFORMED,
     "malformed: reply has neither result nor error"},
    {"both",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,"
     "\"message\":\"x\"}}",
     NODE_POLL_MALFORMED, "malformed: reply has both result and error"},
    /* error member */
    {"error string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}", NODE_POLL_MALFORMED,
     "malformed: error is not an object"},
    {"error null", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":null}", NODE_POLL_MALFORMED,
     "malformed: error is not an object"},
    {"error code string",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"-1\","
     "\"message\":\"x\"}}",
     NODE_POLL_MALFORMED, "malformed: error code is not a number"},
    {"error code frac",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,"
     "\"message\":\"x\"}}",
     NODE_POLL_MALFORMED, "malformed: error code is not an integer"},
    {"error code huge",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1e300,"
     "\"message\":\"x\"}}",
     NODE_POLL_MALFORMED, "malformed: error code is not an integer"},
    {"error no message", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000}}",
     NODE_POLL_MALFORMED, "malformed: error message is not a string"},
    {"error message null",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,"
     "\"message\":null}}",
     NODE_POLL_MALFORMED, "malformed: error message is not a string"},
    {"error sanitized",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,"
     "\"message\":\"a\\nb\\u00e9\\\"c\"}}",
     NODE_POLL_RPC_ERROR, "rpc error -1 a?b??\"c"},
    /* system_health */
    {"health null", HEALTH("null"), NODE_POLL_MALFORMED, "malformed: health is null"},
    {"health array", HEALTH("[]"), NODE_POLL_MALFORMED, "malformed: health is not an object"},
    {"peers missing", HEALTH("{\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers missing"},
    {"peers string", HEALTH("{\"peers\":\"40\",\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not a number"},
    {"peers null", HEALTH("{\"peers\":null,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not a number"},
    {"peers bool", HEALTH("{\"peers\":true,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not a number"},
    {"peers negative", HEALTH("{\"peers\":-1,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not an integer in 0..4294967295"},
    {"peers fraction", HEALTH("{\"peers\":1.5,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not an integer in 0..4294967295"},
    {"peers 2^32", HEALTH("{\"peers\":4294967296,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not an integer in 0..4294967295"},
    {"peers huge", HEALTH("{\"peers\":1e400,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers is not an integer in 0..4294967295"},
    {"isSyncing missing", HEALTH("{\"peers\":1}"), NODE_POLL_MALFORMED,
     "malformed: isSyncing missing"},
    {"isSyncing string", HEALTH("{\"peers\":1,\"isSyncing\":\"false\"}"), NODE_POLL_MALFORMED,
     "malformed: isSyncing is not a boolean"},
    {"isSyncing number", HEALTH("{\"peers\":1,\"isSyncing\":0}"), NODE_POLL_MALFORMED,
     "malformed: isSyncing is not a boolean"},
    {"isSyncing null", HEALTH("{\"peers\":1,\"isSyncing\":null}"), NODE_POLL_MALFORMED,
     "malformed: isSyncing is not a boolean"},
    {"shouldHavePeers null", HEALTH("{\"peers\":1,\"isSyncing\":false,\"shouldHavePeers\":null}"),
     NODE_POLL_MALFORMED, "malformed: shouldHavePeers is not a boolean"},
    {"keys case", HEALTH("{\"Peers\":1,\"isSyncing\":false}"), NODE_POLL_MALFORMED,
     "malformed: peers missing"},
    /* chain_getHeader */
    {"header null", HEADER("null"), NODE_POLL_MALFORMED, "malformed: header is null"},
    {"header string", HEADER("\"0x1\""), NODE_POLL_MALFORMED, "malformed: header is not an object"},
    {"number missing", HEADER("{\"parentHash\":\"" BEST_PARENT "\"}"), NODE_POLL_MALFORMED,
     "malformed: number missing"},
    {"number json number", HDR_NUM("21037668"), NODE_POLL_MALFORMED,
     "malformed: number is not a string"},
    {"number null", HDR_NUM("null"), NODE_POLL_MALFORMED, "malformed: number is not a string"},
    {"number empty", HDR_NUM("\"\""), NODE_POLL_MALFORMED,
     "malformed: number \"\" lacks the 0x prefix"},
    {"number decimal", HDR_NUM("\"21037668\""), NODE_POLL_MALFORMED,
     "malformed: number \"21037668\" lacks the 0x prefix"},
    {"number 0X", HDR_NUM("\"0X10\""), NODE_POLL_MALFORMED,
     "malformed: number \"0X10\" lacks the 0x prefix"},
    {"number plus", HDR_NUM("\"+0x10\""), NODE_POLL_MALFORMED,
     "malformed: number \"+0x10\" lacks the 0x prefix"},
    {"number minus", HDR_NUM("\"-0x10\""), NODE_POLL_MALFORMED,
     "malformed: number \"-0x10\" lacks the 0x prefix"},
    {"number 0x", HDR_NUM("\"0x\""), NODE_POLL_MALFORMED, "malformed: number \"0x\" has no digits"},
    {"number ZZ", HDR_NUM("\"0xZZ\""), NODE_POLL_MALFORMED,
     "malformed: number \"0xZZ\" is not hex"},
    {"number inner minus", HDR_NUM("\"0x-1\""), NODE_POLL_MALFORMED,
     "malformed: number \"0x-1\" is not hex"},
    {"number space", HDR_NUM("\"0x1 \""), NODE_POLL_MALFORMED,
     "malformed: number \"0x1 \" is not hex"},
    {"number nul", HDR_NUM("\"0x1\\u0000\""), NODE_POLL_MALFORMED,
     "malformed: string holds \\u0000 at byte 129"},
    {"nul upper", HEALTH("{\"peers\":1,\"isSyncing\":false,\"x\":\"\\U0000\"}"),
     NODE_POLL_MALFORMED, "malformed: invalid JSON at byte 67"},
    {"nul in key", HEALTH("{\"peers\":1,\"isSyncing\":false,\"\\u0000\":1}"), NODE_POLL_MALFORMED,
     "malformed: string holds \\u0000 at byte 63"},
    {"escaped backslash then u0000",
     HEALTH("{\"peers\":1,\"isSyncing\":false,\"x\":\"\\\\u0000\"}"), NODE_POLL_OK, ""},
    {"number 17 digits", HDR_NUM("\"0x10000000000000000\""), NODE_POLL_MALFORMED,
     "malformed: number \"0x10000000000000000\" has more than 16 digits"},
    {"number long", HDR_NUM("\"0x111111111111111111111111111111111\""), NODE_POLL_MALFORMED,
     "malformed: number \"0x1111111111111111111111...\" has more than 16 digits"},
    {"number quote", HDR_NUM("\"0x\\\"1\""), NODE_POLL_MALFORMED,
     "malformed: number \"0x?1\" is not hex"},
    {"parentHash missing", HEADER("{\"number\":\"0x1\"}"), NODE_POLL_MALFORMED,
     "malformed: parentHash missing"},
    {"parentHash short", HEADER("{\"number\":\"0x1\",\"parentHash\":\"0x12\"}"),
     NODE_POLL_MALFORMED, "malformed: parentHash is not a 0x-prefixed 32-byte hex hash"},
    {"parentHash number", HEADER("{\"number\":\"0x1\",\"parentHash\":12}"), NODE_POLL_MALFORMED,
     "malformed: parentHash is not a 0x-prefixed 32-byte hex hash"},
    /* chain_getFinalizedHead and the finalized header */
    {"finalized null", FINHEAD("null"), NODE_POLL_MALFORMED, "malformed: finalized head is null"},
    {"finalized object", FINHEAD("{}"), NODE_POLL_MALFORMED,
     "malformed: finalized head is not a 0x-prefixed 32-byte hex hash"},
    {"finalized 63 digits",
     FINHEAD("\"0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\""),
     NODE_POLL_MALFORMED, "malformed: finalized head is not a 0x-prefixed 32-byte hex hash"},
    {"finalized no 0x", FINHEAD("\"00" HASH64 "\""), NODE_POLL_MALFORMED,
     "malformed: finalized head is not a 0x-prefixed 32-byte hex hash"},
    {"finalized upper case",
     FINHEAD("\"0x0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789ABCDEF\""),
     NODE_POLL_OK, ""},
    {"finalized 65 digits", FINHEAD("\"0x0" HASH64 "\""), NODE_POLL_MALFORMED,
     "malformed: finalized head is not a 0x-prefixed 32-byte hex hash"},
    {"finalized g", FINHEAD("\"0xg" HASH64 "\""), NODE_POLL_MALFORMED,
     "malformed: finalized head is not a 0x-prefixed 32-byte hex hash"},
    {"finalized header null", FINHDR("null"), NODE_POLL_MALFORMED,
     "malformed: finalized header is null"},
    {"finalized header bad", FINHDR("{\"number\":\"0xZZ\",\"parentHash\":\"" BEST_PARENT "\"}"),
     NODE_POLL_MALFORMED, "malformed: number \"0xZZ\" is not hex"},
    /* chain_getBlockHash(0) */
    {"genesis null", GEN("null"), NODE_POLL_MALFORMED, "malformed: genesis hash is null"},
    {"genesis number", GEN("0"), NODE_POLL_MALFORMED,
     "malformed: genesis hash is not a 0x-prefixed 32-byte hex hash"},
    {"genesis array", GEN("[\"" GENESIS "\"]"), NODE_POLL_MALFORMED,
     "malformed: genesis hash is not a 0x-prefixed 32-byte hex hash"},
    {"genesis short", GEN("\"0x91b171bb\""), NODE_POLL_MALFORMED,
     "malformed: genesis hash is not a 0x-prefixed 32-byte hex hash"},
    /* system_syncState */
    {"sync null", SYNC("null"), NODE_POLL_MALFORMED, "malformed: syncState is null"},
    {"sync missing", SYNC("{\"startingBlock\":1}"), NODE_POLL_MALFORMED,
     "malformed: currentBlock missing"},
    {"sync hex", SYNC("{\"startingBlock\":\"0x1\",\"currentBlock\":1}"), NODE_POLL_MALFORMED,
     "malformed: startingBlock is not a non-negative integer"},
    {"sync negative", SYNC("{\"startingBlock\":1,\"currentBlock\":-1}"), NODE_POLL_MALFORMED,
     "malformed: currentBlock is not a non-negative integer"},
    {"sync 2^54", SYNC("{\"startingBlock\":1,\"currentBlock\":18014398509481984}"),
     NODE_POLL_MALFORMED, "malformed: currentBlock is not a non-negative integer"},
    {"sync highest string", SYNC("{\"startingBlock\":1,\"currentBlock\":1,\"highestBlock\":\"\"}"),
     NODE_POLL_MALFORMED, "malformed: highestBlock is not a non-negative integer"},
    /* batches */
    {"empty batch", "[]", NODE_POLL_MALFORMED, "malformed: empty batch reply"},
    {"batch of null", "[null]", NODE_POLL_MALFORMED, "malformed: batch member is not an object"},
    {"batch nested", "[[" H1 "]]", NODE_POLL_MALFORMED, "malformed: batch member is not an object"},
    {"batch lacks 3", "[" H1 "," H2 "]", NODE_POLL_MALFORMED,
     "malformed: batch reply lacks id 3 (chain_getFinalizedHead)"},
    {"batch lacks 1", "[" H3 "," H2 "]", NODE_POLL_MALFORMED,
     "malformed: batch reply lacks id 1 (system_health)"},
    {"batch duplicate", "[" H1 "," H2 "," H1 "," H3 "]", NODE_POLL_MALFORMED,
     "malformed: duplicate id 1"},
    {"batch unknown id", "[" H1 "," H2 "," H3 "," ENV(9, "1") "]", NODE_POLL_MALFORMED,
     "malformed: unexpected id"},
    {"batch refused member",
     "[" H1 "," H2 ",{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
     "{\"code\":-32600,\"message\":\"Invalid request\"}}]",
     NODE_POLL_RPC_ERROR, "rpc error -32600 Invalid request"},
    {"batch lacks 6", "[" H3 "," H1 "," H2 "]", NODE_POLL_MALFORMED,
     "malformed: batch reply lacks id 6 (chain_getBlockHash)"},
    {"batch ok", "[" H3 "," H6 "," H1 "," H2 "]", NODE_POLL_OK, ""},
    {"batch trailing comma", "[" H1 "," H2 "," H3 ",]", NODE_POLL_MALFORMED,
     "malformed: invalid JSON at byte 301"},
};

START_TEST(test_bad_reply)
{
	const struct bad_case *c = &bad_cases[_i];
	struct node_poll p;
	int rc;

	rc = parse_fresh(c->body, &p);
	ck_assert_msg(p.err == c->err, "%s: err %s, detail \"%s\"", c->name,
	              node_poll_err_name(p.err), p.detail);
	ck_assert_msg(strcmp(p.detail, c->detail) == 0, "%s: detail \"%s\", want \"%s\"", c->name,
	              p.detail, c->detail);
	ck_assert_int_eq(rc, c->err == NODE_POLL_OK ? 0 : -1);
	if (c->err != NODE_POLL_RPC_ERROR)
		ck_assert(!p.batch_refused);
}
END_TEST

START_TEST(test_error_null_beside_result)
{
	struct node_poll p;

	ck_assert_int_eq(parse_fresh("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":null,\"result\":"
	                             "{\"peers\":2,\"isSyncing\":false,\"shouldHavePeers\":false}}",
	                             &p),
	                 0);
	ck_assert(p.has_health && !p.should_have_peers);
	ck_assert_uint_eq(p.peers, 2);
}
END_TEST

START_TEST(test_body_limits)
{
	struct node_poll p;
	size_t n = NODERPC_BODY_MAX + 1, i;
	char *big = malloc(n);

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i++)
		big[i] = ' ';
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(big, n, &p), -1);
	ck_assert_str_eq(p.detail, "malformed: body of 65537 bytes is over 65536");
	free(big);
	/* Deep nesting: refused by cJSON's own limit, without a crash. */
	n = 100000;
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, '[', n / 2);
	memset(big + n / 2, ']', n / 2);
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(big, NODERPC_BODY_MAX, &p), -1);
	ck_assert_int_eq(p.err, NODE_POLL_MALFORMED);
	free(big);
	/* A NUL inside the body ends nothing: it is trailing data. */
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(H1 "\0 ", sizeof(H1) + 1, &p), -1);
	ck_assert_str_eq(p.detail, "malformed: trailing data at byte 63");
	/* NULL body. */
	noderpc_poll_reset(&p);
	ck_assert_int_eq(noderpc_parse(NULL, 5, &p), -1);
	ck_assert_str_eq(p.detail, "malformed: empty body");
}
END_TEST

/* ---- truncation and guard page ------------------------------------------- */

/* Parses body[0..len) placed to end exactly at a PROT_NONE page. */
static int parse_at_guard(const char *body, size_t len, struct node_poll *p)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t span, pages;
	char *map, *at;
	int rc;

	ck_assert_int_gt(pg, 0);
	pages = (len + (size_t)pg - 1) / (size_t)pg;
	span = (pages + 1) * (size_t)pg;
	map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(map != MAP_FAILED);
	ck_assert_int_eq(mprotect(map + pages * (size_t)pg, (size_t)pg, PROT_NONE), 0);
	at = map + pages * (size_t)pg - len;
	if (len)
		memcpy(at, body, len);
	noderpc_poll_reset(p);
	rc = noderpc_parse(at, len, p);
	ck_assert_int_eq(munmap(map, span), 0);
	return rc;
}

START_TEST(test_every_truncation)
{
	unsigned order[6] = {2, 5, 6, 1, 4, 3};
	char *body = batch_of(order, 6);
	size_t len = strlen(body), cut;
	struct node_poll p;

	for (cut = 0; cut < len; cut++) {
		noderpc_poll_reset(&p);
		ck_assert_int_eq(parse_n(body, cut, &p), -1);
		ck_assert_int_eq(p.err, NODE_POLL_MALFORMED);
		ck_assert_int_eq(parse_at_guard(body, cut, &p), -1);
		ck_assert_int_eq(p.err, NODE_POLL_MALFORMED);
		ck_assert(!p.batch_refused);
	}
	ck_assert_int_eq(parse_at_guard(body, len, &p), 0);
	assert_full_poll(&p);
	free(body);
}
END_TEST

START_TEST(test_every_truncation_files)
{
	static const char *const files[] = {
	    "system_health.json",          "chain_getHeader.json",
	    "chain_getFinalizedHead.json", "system_syncState.json",
	    "error-unsafe.json",           "error-invalid-transaction.json",
	    "error-request-too-big.json",  "chain_getBlockHash-0.json"};
	char path[256], *body, detail[NODERPC_DETAIL_MAX];
	struct node_poll p;
	enum node_poll_err whole;
	size_t len, cut, i;
	int rc;

	for (i = 0; i < PF_ARRAY_SIZE(files); i++) {
		(void)snprintf(path, sizeof(path), RESP_DIR "%s", files[i]);
		body = read_all(path, &len);
		ck_assert(len > 1 && body[len - 1] == '\n');
		/* All have id 1: health parses, the others are malformed or rpc errors. */
		(void)parse_at_guard(body, len, &p);
		whole = p.err;
		memcpy(detail, p.detail, sizeof(detail));
		for (cut = 0; cut <= len; cut++) {
			rc = parse_at_guard(body, cut, &p);
			if (cut < len - 1) {
				ck_assert_int_eq(rc, -1);
				ck_assert_int_eq(p.err, NODE_POLL_MALFORMED);
				ck_assert(strncmp(p.detail, "malformed: ", 11) == 0);
			} else {
				/* Whole value, with or without its newline: as parsed in full. */
				ck_assert_int_eq(p.err, whole);
				ck_assert_str_eq(p.detail, detail);
			}
		}
		free(body);
	}
}
END_TEST

/* ---- hex ------------------------------------------------------------------ */

struct hex_case {
	const char *s;
	size_t len; /* 0: strlen */
	bool ok;
	uint64_t v;
};

static const struct hex_case hex_cases[] = {
    {"0x0", 0, true, 0},
    {"0x1", 0, true, 1},
    {"0xa", 0, true, 10},
    {"0xA", 0, true, 10},
    {"0xDeadBeef", 0, true, 0xdeadbeefu},
    {"0x1410264", 0, true, 21037668},
    {"0x1e3", 0, true, 0x1e3},
    {"0x0000000000000001", 0, true, 1},
    {"0x7fffffffffffffff", 0, true, 0x7fffffffffffffffu},
    {"0xffffffffffffffff", 0, true, UINT64_MAX},
    {"0xFFFFFFFFFFFFFFFF", 0, true, UINT64_MAX},
    {"0x123", 4, true, 0x12}, /* only <len> bytes count */
    {"", 0, false, 0},
    {"0", 0, false, 0},
    {"x", 0, false, 0},
    {"0x", 0, false, 0},
    {"x1", 0, false, 0},
    {"1", 0, false, 0},
    {"10", 0, false, 0},
    {"0X1", 0, false, 0},
    {"0x1", 2, false, 0},
    {"+0x1", 0, false, 0},
    {"-0x1", 0, false, 0},
    {"0x-1", 0, false, 0},
    {"0x+1", 0, false, 0},
    {" 0x1", 0, false, 0},
    {"0x1 ", 0, false, 0},
    {"0x 1", 0, false, 0},
    {"0x1g", 0, false, 0},
    {"0xZZ", 0, false, 0},
    {"0x1.0", 0, false, 0},
    {"0x1\0", 4, false, 0},
    {"0x\xc3\xa4", 0, false, 0},
    {"00x1", 0, false, 0},
    {"0x0x1", 0, false, 0},
    {"0x10000000000000000", 0, false, 0},
    {"0x00000000000000000", 0, false, 0},
    {"0xffffffffffffffffff", 0, false, 0},
    {"1e3", 0, false, 0},
};

START_TEST(test_hex_table)
{
	const struct hex_case *c = &hex_cases[_i];
	size_t len = c->len ? c->len : strlen(c->s);
	uint64_t v = 0xabababab;
	bool ok = noderpc_parse_hex_u64(c->s, len, &v);

	ck_assert_msg(ok == c->ok, "case %d \"%s\"", _i, c->s);
	if (ok)
		ck_assert_uint_eq(v, c->v);
	else
		ck_assert_uint_eq(v, 0xabababab); /* untouched */
}
END_TEST

/* A reference implementation written differently: strtoull on a checked copy. */
static bool hex_ref(const char *s, size_t len, uint64_t *out)
{
	char tmp[32], *end;
	size_t i;

	if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (i = 2; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == '\0')
			return false;
	memcpy(tmp, s + 2, len - 2);
	tmp[len - 2] = '\0';
	*out = strtoull(tmp, &end, 16);
	return *end == '\0';
}

START_TEST(test_hex_random)
{
	static const char alphabet[] = "0x0x0x0123456789abcdefABCDEFXgG+- .\0";
	unsigned seed = 12345, k;
	char s[24];
	uint64_t a, b;

	for (k = 0; k < 200000; k++) {
		size_t len, i;
		bool ra, rb;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 22;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		if (len >= 2 && (seed & 0x300) != 0) { /* mostly well-prefixed */
			s[0] = '0';
			s[1] = 'x';
		}
		a = b = 7;
		ra = noderpc_parse_hex_u64(s, len, &a);
		rb = hex_ref(s, len, &b);
		ck_assert_msg(ra == rb, "\"%.*s\"", (int)len, s);
		if (ra)
			ck_assert_uint_eq(a, b);
	}
	ck_assert(!noderpc_parse_hex_u64(NULL, 3, &a));
	ck_assert(!noderpc_parse_hex_u64("0x1", 3, NULL));
}
END_TEST

START_TEST(test_is_hash)
{
	ck_assert(noderpc_is_hash("0x" HASH64, 66));
	ck_assert(noderpc_is_hash(
	    "0xA3D4AA9E1C54B967D638EFD7F26C2DF67FB5CED4D54294C8F167FB6FADEFC8B8", 66));
	ck_assert(!noderpc_is_hash("0x" HASH64, 65));
	ck_assert(!noderpc_is_hash("0x" HASH64 "0", 67));
	ck_assert(!noderpc_is_hash("0X" HASH64, 66));
	ck_assert(!noderpc_is_hash("0x" HASH64, 0));
	ck_assert(!noderpc_is_hash(NULL, 66));
	ck_assert(!noderpc_is_hash(
	    "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", 66));
}
END_TEST

/* ---- building ------------------------------------------------------------- */

/* <body> must be a JSON-RPC request (or batch of them) with these ids and methods. */
static void assert_request(const char *body, const unsigned *ids, const char *const *methods,
                           size_t k)
{
	cJSON *root = cJSON_Parse(body), *m;
	size_t i = 0;

	ck_assert_ptr_nonnull(root);
	if (cJSON_IsObject(root)) {
		ck_assert_uint_eq(k, 1);
		m = root;
		ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "jsonrpc")->valuestring,
		                 "2.0");
		ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(m, "id")->valueint, (int)ids[0]);
		ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "method")->valuestring,
		                 methods[0]);
		ck_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "params")));
	} else {
		ck_assert(cJSON_IsArray(root));
		cJSON_ArrayForEach(m, root)
		{
			ck_assert_uint_lt(i, k);
			ck_assert_str_eq(
			    cJSON_GetObjectItemCaseSensitive(m, "jsonrpc")->valuestring, "2.0");
			ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(m, "id")->valueint,
			                 (int)ids[i]);
			ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "method")->valuestring,
			                 methods[i]);
			ck_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "params")));
			i++;
		}
		ck_assert_uint_eq(i, k);
	}
	cJSON_Delete(root);
}

START_TEST(test_build_poll)
{
	static const char want[] =
	    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\",\"params\":[]},"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"chain_getHeader\",\"params\":[]},"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"chain_getFinalizedHead\",\"params\":[]},"
	    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"chain_getBlockHash\",\"params\":[0]}]";
	static const unsigned ids[] = {1, 2, 3, 6};
	static const char *const methods[] = {"system_health", "chain_getHeader",
	                                      "chain_getFinalizedHead", "chain_getBlockHash"};
	char buf[NODERPC_POLL_CAP];
	size_t cap;

	ck_assert_int_eq(noderpc_build_poll(buf, sizeof(buf)), (int)strlen(want));
	ck_assert_str_eq(buf, want);
	assert_request(buf, ids, methods, 4);
	for (cap = 0; cap <= strlen(want); cap++)
		ck_assert_int_eq(noderpc_build_poll(buf, cap), -1);
	ck_assert_int_eq(noderpc_build_poll(buf, strlen(want) + 1), (int)strlen(want));
	ck_assert_int_eq(noderpc_build_poll(NULL, 1000), -1);
}
END_TEST

START_TEST(test_build_calls)
{
	char buf[NODERPC_POLL_CAP];
	unsigned id;
	int n;

	for (id = 0; id <= NODERPC_ID_MAX + 1; id++) {
		const char *m = noderpc_method(id);

		n = noderpc_build_single(buf, sizeof(buf), id);
		if (id == 0 || id > NODERPC_ID_MAX || id == NODERPC_ID_FINALIZED_HEADER) {
			ck_assert_int_eq(n, -1);
			continue;
		}
		ck_assert_int_eq(n, (int)strlen(buf));
		assert_request(buf, &id, &m, 1);
	}
	ck_assert_ptr_null(noderpc_method(0));
	ck_assert_ptr_null(noderpc_method(7));
	ck_assert_str_eq(noderpc_method(4), "chain_getHeader");
	/* The genesis call asks for block 0, the others take no params. */
	ck_assert_int_gt(noderpc_build_single(buf, sizeof(buf), NODERPC_ID_GENESIS), 0);
	ck_assert_str_eq(buf, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"chain_getBlockHash\","
	                      "\"params\":[0]}");
	ck_assert_int_eq(noderpc_build_single(buf, sizeof(buf), 1), 61);
	ck_assert_str_eq(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\","
	                      "\"params\":[]}");

	n = noderpc_build_header_at(buf, sizeof(buf), FIN_HASH);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"chain_getHeader\","
	                      "\"params\":[\"" FIN_HASH "\"]}");
	ck_assert_int_eq(noderpc_build_header_at(buf, (size_t)n, FIN_HASH), -1);
	ck_assert_int_eq(noderpc_build_header_at(buf, (size_t)n + 1, FIN_HASH), n);
	ck_assert_int_eq(noderpc_build_header_at(buf, sizeof(buf), "0x12"), -1);
	ck_assert_int_eq(noderpc_build_header_at(buf, sizeof(buf), "\"]}," HASH64), -1);
	ck_assert_int_eq(noderpc_build_header_at(buf, sizeof(buf), NULL), -1);

	ck_assert_int_gt(noderpc_build_call(buf, sizeof(buf), 7, "chain_getBlockHash", "[0]"), 0);
	ck_assert_str_eq(buf, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"chain_getBlockHash\","
	                      "\"params\":[0]}");
	ck_assert_int_eq(noderpc_build_call(buf, sizeof(buf), 1, "", NULL), -1);
	ck_assert_int_eq(noderpc_build_call(buf, sizeof(buf), 1, "a\"b", NULL), -1);
	ck_assert_int_eq(noderpc_build_call(buf, sizeof(buf), 1, "a b", NULL), -1);
	ck_assert_int_eq(noderpc_build_call(buf, sizeof(buf), 1, NULL, NULL), -1);
	ck_assert_int_eq(
	    noderpc_build_call(buf, sizeof(buf), 1,
	                       "m123456789012345678901234567890123456789012345678901234"
	                       "5678901234", /* 65 bytes */
	                       NULL),
	    -1);
	ck_assert_int_gt(noderpc_build_call(buf, sizeof(buf), 1,
	                                    "m12345678901234567890123456789012345678901234567890123"
	                                    "4567890123",
	                                    NULL),
	                 0);
	ck_assert_int_eq(noderpc_build_call(buf, 0, 1, "x", NULL), -1);
	ck_assert_int_eq(noderpc_build_call(buf, 10, 1, "x", NULL), -1);
}
END_TEST

/* ---- the poll struct ------------------------------------------------------ */

START_TEST(test_err_names)
{
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_OK), "ok");
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_TIMEOUT), "timeout");
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_CONNECT), "connect");
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_HTTP), "http");
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_RPC_ERROR), "rpc_error");
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_MALFORMED), "malformed");
	ck_assert_str_eq(node_poll_err_name(NODE_POLL_ERR_COUNT), "?");
	ck_assert_str_eq(node_poll_err_name((enum node_poll_err) - 1), "?");
}
END_TEST

START_TEST(test_poll_fail)
{
	struct node_poll p;
	char long_msg[300], body[400];

	noderpc_poll_reset(&p);
	noderpc_poll_fail(&p, NODE_POLL_TIMEOUT, "timeout %u ms", 800u);
	ck_assert_int_eq(p.err, NODE_POLL_TIMEOUT);
	ck_assert_str_eq(p.detail, "timeout 800 ms");
	/* The first error of a round wins. */
	noderpc_poll_fail(&p, NODE_POLL_HTTP, "HTTP %d", 503);
	ck_assert_int_eq(p.err, NODE_POLL_TIMEOUT);
	ck_assert_str_eq(p.detail, "timeout 800 ms");
	/* A body parsed after a failure returns 0 but leaves the failure in place. */
	ck_assert_int_eq(noderpc_parse(members[1], strlen(members[1]), &p), 0);
	ck_assert_int_eq(p.err, NODE_POLL_TIMEOUT);
	ck_assert(p.has_health);

	noderpc_poll_reset(&p);
	noderpc_poll_fail(&p, NODE_POLL_CONNECT, "connect: %s", "refused\r\n\x1b[31m");
	ck_assert_str_eq(p.detail, "connect: refused???[31m");
	memset(long_msg, 'a', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	noderpc_poll_reset(&p);
	noderpc_poll_fail(&p, NODE_POLL_HTTP, "%s", long_msg);
	ck_assert_uint_eq(strlen(p.detail), sizeof(p.detail) - 1);

	/* A long error message is cut to fit, never overflows. */
	memset(long_msg, '7', 150);
	long_msg[150] = '\0';
	(void)snprintf(
	    body, sizeof(body),
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32603,\"message\":\"%s\"}}",
	    long_msg);
	noderpc_poll_reset(&p);
	ck_assert_int_eq(parse_n(body, strlen(body), &p), -1);
	ck_assert_uint_eq(strlen(p.detail), sizeof(p.detail) - 1);
	ck_assert(strncmp(p.detail, "rpc error -32603 7777", 21) == 0);
}
END_TEST

START_TEST(test_reset)
{
	struct node_poll p;

	memset(&p, 0x5a, sizeof(p));
	noderpc_poll_reset(&p);
	ck_assert_int_eq(p.err, NODE_POLL_OK);
	ck_assert_str_eq(p.detail, "");
	ck_assert(!p.has_health && !p.has_best && !p.has_finalized_hash && !p.has_finalized &&
	          !p.has_sync && !p.batch_refused && !p.has_genesis);
	ck_assert_uint_eq(p.latency_ms, 0);
}
END_TEST

static Suite *noderpc_suite(void)
{
	Suite *s = suite_create("noderpc");
	TCase *tc;

	tc = tcase_create("real_replies");
	tcase_add_loop_test(tc, test_real_health, 0, (int)PF_ARRAY_SIZE(health_cases));
	tcase_add_test(tc, test_real_header);
	tcase_add_test(tc, test_real_genesis);
	tcase_add_test(tc, test_real_finalized);
	tcase_add_test(tc, test_real_sync_state);
	tcase_add_loop_test(tc, test_real_errors, 0, (int)PF_ARRAY_SIZE(error_cases));
	tcase_add_test(tc, test_real_other_replies);
	suite_add_tcase(s, tc);

	tc = tcase_create("batches");
	tcase_add_loop_test(tc, test_batch_orders, 0, 24);
	tcase_add_loop_test(tc, test_batch_orders6, 0, 720);
	tcase_add_test(tc, test_batch_whitespace_and_finalized_not_parent);
	tcase_add_test(tc, test_batch_member_error);
	tcase_add_test(tc, test_batch_refused_then_singles);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad_reply, 0, (int)PF_ARRAY_SIZE(bad_cases));
	tcase_add_test(tc, test_error_null_beside_result);
	tcase_add_test(tc, test_body_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 120); /* every cut, twice, under sanitizers too */
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_every_truncation_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("hex");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_hex_table, 0, (int)PF_ARRAY_SIZE(hex_cases));
	tcase_add_test(tc, test_hex_random);
	tcase_add_test(tc, test_is_hash);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, test_build_poll);
	tcase_add_test(tc, test_build_calls);
	suite_add_tcase(s, tc);

	tc = tcase_create("poll");
	tcase_add_test(tc, test_err_names);
	tcase_add_test(tc, test_poll_fail);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	load_members();
	sr = srunner_create(noderpc_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free_members();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
