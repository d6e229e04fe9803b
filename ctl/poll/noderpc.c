/* SPDX-License-Identifier: MIT */
/*
 * Poll requests and reply parsing for polkfura-ctl (see noderpc.h). The
 * request bodies are constant text; replies are parsed with cJSON into a
 * tree that is freed before returning, then checked member by member with a
 * named reason for the first thing that is wrong. Does not talk to nodes,
 * read the clock or log: the poller does the I/O, node.c the deciding.
 */
#include "ctl/poll/noderpc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "common/text.h"

#define NODERPC_METHOD_MAX 64
#define NODERPC_QUOTE_MAX  24                 /* bytes of an offending value shown in <detail> */
#define NODERPC_U53_MAX    9007199254740992.0 /* 2^53: exact doubles end here */

static const char *const noderpc_err_names[NODE_POLL_ERR_COUNT] = {
    [NODE_POLL_OK] = "ok",
    [NODE_POLL_TIMEOUT] = "timeout",
    [NODE_POLL_CONNECT] = "connect",
    [NODE_POLL_HTTP] = "http",
    [NODE_POLL_RPC_ERROR] = "rpc_error",
    [NODE_POLL_MALFORMED] = "malformed",
};

/* Indexed by request id; [0] is unused. */
static const char *const noderpc_methods[NODERPC_ID_MAX + 1] = {
    [NODERPC_ID_HEALTH] = "system_health",
    [NODERPC_ID_HEADER] = "chain_getHeader",
    [NODERPC_ID_FINALIZED_HEAD] = "chain_getFinalizedHead",
    [NODERPC_ID_FINALIZED_HEADER] = "chain_getHeader",
    [NODERPC_ID_SYNC_STATE] = "system_syncState",
    [NODERPC_ID_GENESIS] = "chain_getBlockHash",
};

/* Params of the single calls; NULL is []. */
static const char *const noderpc_params[NODERPC_ID_MAX + 1] = {
    [NODERPC_ID_GENESIS] = "[0]",
};

/* Ids a poll batch must answer: the calls of noderpc_poll_body. */
static const unsigned noderpc_batch_ids[] = {NODERPC_ID_HEALTH, NODERPC_ID_HEADER,
                                             NODERPC_ID_FINALIZED_HEAD, NODERPC_ID_GENESIS};

static const char noderpc_poll_body[] =
    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\",\"params\":[]},"
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"chain_getHeader\",\"params\":[]},"
    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"chain_getFinalizedHead\",\"params\":[]},"
    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"chain_getBlockHash\",\"params\":[0]}]";

const char *node_poll_err_name(enum node_poll_err err)
{
	if ((unsigned)err >= NODE_POLL_ERR_COUNT)
		return "?";
	return noderpc_err_names[err];
}

const char *noderpc_method(unsigned id)
{
	if (id == 0 || id > NODERPC_ID_MAX)
		return NULL;
	return noderpc_methods[id];
}

void noderpc_poll_reset(struct node_poll *p)
{
	memset(p, 0, sizeof(*p));
	p->err = NODE_POLL_OK;
}

void noderpc_poll_fail(struct node_poll *p, enum node_poll_err err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err != NODE_POLL_OK)
		return;
	p->err = err;
	va_start(ap, fmt);
	n = vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	if (n < 0)
		p->detail[0] = '\0';
	(void)pf_printable(p->detail, sizeof(p->detail), p->detail, strlen(p->detail), NULL);
}

/* Copies at most NODERPC_QUOTE_MAX bytes of <s> for quoting, '"' and '\\' replaced. */
static void noderpc_quote(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s), max = cap > 4 ? cap - 3 : 1;

	if (max > NODERPC_QUOTE_MAX + 1)
		max = NODERPC_QUOTE_MAX + 1;
	if (pf_printable(out, max, s, n, "\"\\") < n && cap >= max + 3)
		memcpy(out + strlen(out), "...", 4);
}

/* ---- building ------------------------------------------------------------- */

PF_MUSTCHECK static int noderpc_finish(int n, size_t cap)
{
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

int noderpc_build_poll(char *buf, size_t cap)
{
	if (!buf || cap < sizeof(noderpc_poll_body))
		return -1;
	memcpy(buf, noderpc_poll_body, sizeof(noderpc_poll_body));
	return (int)sizeof(noderpc_poll_body) - 1;
}

static bool noderpc_method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i]; i++) {
		char c = m[i];

		if (i >= NODERPC_METHOD_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return i > 0;
}

int noderpc_build_call(char *buf, size_t cap, unsigned id, const char *method,
                       const char *params_json)
{
	int n;

	if (!buf || cap == 0 || !method || !noderpc_method_ok(method))
		return -1;
	n = snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"%s\",\"params\":%s}",
	             id, method, params_json ? params_json : "[]");
	return noderpc_finish(n, cap);
}

int noderpc_build_single(char *buf, size_t cap, unsigned id)
{
	if (id == NODERPC_ID_FINALIZED_HEADER || !noderpc_method(id))
		return -1;
	return noderpc_build_call(buf, cap, id, noderpc_method(id), noderpc_params[id]);
}

int noderpc_build_header_at(char *buf, size_t cap, const char *hash)
{
	char params[NODERPC_HASH_LEN + 8];
	int n;

	if (!hash || !noderpc_is_hash(hash, strlen(hash)))
		return -1;
	n = snprintf(params, sizeof(params), "[\"%s\"]", hash);
	if (noderpc_finish(n, sizeof(params)) < 0)
		return -1;
	return noderpc_build_call(buf, cap, NODERPC_ID_FINALIZED_HEADER,
	                          noderpc_methods[NODERPC_ID_FINALIZED_HEADER], params);
}

bool noderpc_needs_finalized_header(const struct node_poll *p)
{
	return p->has_finalized_hash && !p->has_finalized;
}

/* ---- scalars -------------------------------------------------------------- */

static int noderpc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Why a block number is refused, for <detail>; NULL when it is fine. */
static const char *noderpc_hex_u64_why(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len < 2 || s[0] != '0' || s[1] != 'x')
		return "lacks the 0x prefix";
	if (len == 2)
		return "has no digits";
	if (len - 2 > 16)
		return "has more than 16 digits";
	for (i = 2; i < len; i++) {
		int d = noderpc_hexval(s[i]);

		if (d < 0)
			return "is not hex";
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return NULL;
}

bool noderpc_parse_hex_u64(const char *s, size_t len, uint64_t *out)
{
	if (!s || !out)
		return false;
	return noderpc_hex_u64_why(s, len, out) == NULL;
}

bool noderpc_is_hash(const char *s, size_t len)
{
	size_t i;

	if (!s || len != NODERPC_HASH_LEN || s[0] != '0' || s[1] != 'x')
		return false;
	for (i = 2; i < len; i++)
		if (noderpc_hexval(s[i]) < 0)
			return false;
	return true;
}

/* A JSON number that is a whole value in [0, <max>] (max <= 2^53). */
static bool noderpc_whole(const cJSON *it, double max, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(it))
		return false;
	d = it->valuedouble;
	if (!(d >= 0.0 && d <= max)) /* also refuses NaN */
		return false;
	if ((double)(uint64_t)d != d)
		return false;
	*out = (uint64_t)d;
	return true;
}

/* ---- members -------------------------------------------------------------- */

/* Fails <p> as malformed with "malformed: <fmt...>"; returns -1. */
static int noderpc_bad(struct node_poll *p, const char *fmt, ...) PF_PRINTF(2, 3);

static int noderpc_bad(struct node_poll *p, const char *fmt, ...)
{
	char why[NODERPC_DETAIL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	noderpc_poll_fail(p, NODE_POLL_MALFORMED, "malformed: %s", why);
	return -1;
}

/* Stores the hash <it> lower-case in <dst> (NODERPC_HASH_LEN + 1 bytes). */
static int noderpc_get_hash(struct node_poll *p, const cJSON *it, const char *name, char *dst)
{
	size_t i;

	if (!it)
		return noderpc_bad(p, "%s missing", name);
	if (!cJSON_IsString(it) || !it->valuestring ||
	    !noderpc_is_hash(it->valuestring, strlen(it->valuestring)))
		return noderpc_bad(p, "%s is not a 0x-prefixed 32-byte hex hash", name);
	for (i = 0; i < NODERPC_HASH_LEN; i++) {
		char c = it->valuestring[i];

		dst[i] = (char)((c >= 'A' && c <= 'F') ? c - 'A' + 'a' : c);
	}
	dst[NODERPC_HASH_LEN] = '\0';
	return 0;
}

/* Reads a header object's "number" and "parentHash". */
static int noderpc_header(struct node_poll *p, const cJSON *res, const char *what, uint64_t *num,
                          char *parent)
{
	const cJSON *n;
	const char *why;
	char q[NODERPC_QUOTE_MAX + 4];

	if (cJSON_IsNull(res))
		return noderpc_bad(p, "%s is null", what);
	if (!cJSON_IsObject(res))
		return noderpc_bad(p, "%s is not an object", what);
	n = cJSON_GetObjectItemCaseSensitive(res, "number");
	if (!n)
		return noderpc_bad(p, "number missing");
	if (!cJSON_IsString(n) || !n->valuestring)
		return noderpc_bad(p, "number is not a string");
	why = noderpc_hex_u64_why(n->valuestring, strlen(n->valuestring), num);
	if (why) {
		noderpc_quote(q, sizeof(q), n->valuestring);
		return noderpc_bad(p, "number \"%s\" %s", q, why);
	}
	return noderpc_get_hash(p, cJSON_GetObjectItemCaseSensitive(res, "parentHash"),
	                        "parentHash", parent);
}

static int noderpc_health(struct node_poll *p, const cJSON *res)
{
	const cJSON *peers, *sync, *shp;
	uint64_t v;

	if (cJSON_IsNull(res))
		return noderpc_bad(p, "health is null");
	if (!cJSON_IsObject(res))
		return noderpc_bad(p, "health is not an object");
	peers = cJSON_GetObjectItemCaseSensitive(res, "peers");
	sync = cJSON_GetObjectItemCaseSensitive(res, "isSyncing");
	shp = cJSON_GetObjectItemCaseSensitive(res, "shouldHavePeers");
	if (!peers)
		return noderpc_bad(p, "peers missing");
	if (!cJSON_IsNumber(peers))
		return noderpc_bad(p, "peers is not a number");
	if (!noderpc_whole(peers, 4294967295.0, &v))
		return noderpc_bad(p, "peers is not an integer in 0..4294967295");
	if (!sync)
		return noderpc_bad(p, "isSyncing missing");
	if (!cJSON_IsBool(sync))
		return noderpc_bad(p, "isSyncing is not a boolean");
	if (shp && !cJSON_IsBool(shp))
		return noderpc_bad(p, "shouldHavePeers is not a boolean");
	p->peers = (uint32_t)v;
	p->syncing = cJSON_IsTrue(sync);
	p->should_have_peers = shp ? cJSON_IsTrue(shp) : true;
	p->has_health = true;
	return 0;
}

static int noderpc_sync_num(struct node_poll *p, const cJSON *res, const char *name, bool optional,
                            uint64_t *out, bool *present)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(res, name);

	*present = false;
	if (!it || (optional && cJSON_IsNull(it))) {
		if (optional)
			return 0;
		return noderpc_bad(p, "%s missing", name);
	}
	if (!noderpc_whole(it, NODERPC_U53_MAX, out))
		return noderpc_bad(p, "%s is not a non-negative integer", name);
	*present = true;
	return 0;
}

static int noderpc_sync_state(struct node_poll *p, const cJSON *res)
{
	uint64_t start = 0, cur = 0, high = 0;
	bool have, have_high;

	if (cJSON_IsNull(res))
		return noderpc_bad(p, "syncState is null");
	if (!cJSON_IsObject(res))
		return noderpc_bad(p, "syncState is not an object");
	if (noderpc_sync_num(p, res, "startingBlock", false, &start, &have) < 0 ||
	    noderpc_sync_num(p, res, "currentBlock", false, &cur, &have) < 0 ||
	    noderpc_sync_num(p, res, "highestBlock", true, &high, &have_high) < 0)
		return -1;
	p->sync_starting = start;
	p->sync_current = cur;
	p->sync_highest = high;
	p->has_sync_highest = have_high;
	p->has_sync = true;
	return 0;
}

static int noderpc_result(struct node_poll *p, unsigned id, const cJSON *res)
{
	uint64_t num = 0;
	char parent[NODERPC_HASH_LEN + 1] = "";

	switch (id) {
	case NODERPC_ID_HEALTH:
		return noderpc_health(p, res);
	case NODERPC_ID_HEADER:
		if (noderpc_header(p, res, "header", &num, parent) < 0)
			return -1;
		p->best = num;
		memcpy(p->best_parent_hash, parent, sizeof(parent));
		p->has_best = true;
		return 0;
	case NODERPC_ID_FINALIZED_HEAD:
		if (cJSON_IsNull(res))
			return noderpc_bad(p, "finalized head is null");
		if (noderpc_get_hash(p, res, "finalized head", p->finalized_hash) < 0)
			return -1;
		p->has_finalized_hash = true;
		return 0;
	case NODERPC_ID_FINALIZED_HEADER:
		if (noderpc_header(p, res, "finalized header", &num, parent) < 0)
			return -1;
		p->finalized = num;
		p->has_finalized = true;
		return 0;
	case NODERPC_ID_SYNC_STATE:
		return noderpc_sync_state(p, res);
	case NODERPC_ID_GENESIS:
		if (cJSON_IsNull(res))
			return noderpc_bad(p, "genesis hash is null");
		if (noderpc_get_hash(p, res, "genesis hash", p->genesis_hash) < 0)
			return -1;
		p->has_genesis = true;
		return 0;
	default:
		return noderpc_bad(p, "unexpected id %u", id);
	}
}

/* An "error" member: RPC_ERROR when well-formed, MALFORMED otherwise. */
static int noderpc_error(struct node_poll *p, const cJSON *err, bool refused)
{
	const cJSON *code, *msg;
	double d;

	if (!cJSON_IsObject(err))
		return noderpc_bad(p, "error is not an object");
	code = cJSON_GetObjectItemCaseSensitive(err, "code");
	msg = cJSON_GetObjectItemCaseSensitive(err, "message");
	if (!cJSON_IsNumber(code))
		return noderpc_bad(p, "error code is not a number");
	d = code->valuedouble;
	if (!(d >= -NODERPC_U53_MAX && d <= NODERPC_U53_MAX) || (double)(int64_t)d != d)
		return noderpc_bad(p, "error code is not an integer");
	if (!cJSON_IsString(msg) || !msg->valuestring)
		return noderpc_bad(p, "error message is not a string");
	if (p->err == NODE_POLL_OK)
		p->batch_refused = refused;
	noderpc_poll_fail(p, NODE_POLL_RPC_ERROR, "rpc error %lld %s", (long long)(int64_t)d,
	                  msg->valuestring);
	return -1;
}

/*
 * One reply object. <seen> collects the ids answered so far; <top> is set
 * for a body that is a single object (a null-id error then means refused).
 */
static int noderpc_member(struct node_poll *p, const cJSON *m, unsigned *seen, bool top)
{
	const cJSON *ver, *id, *err, *res;
	uint64_t idv;

	if (!cJSON_IsObject(m))
		return noderpc_bad(p, "batch member is not an object");
	ver = cJSON_GetObjectItemCaseSensitive(m, "jsonrpc");
	if (!cJSON_IsString(ver) || !ver->valuestring || strcmp(ver->valuestring, "2.0") != 0)
		return noderpc_bad(p, "jsonrpc is not \"2.0\"");
	id = cJSON_GetObjectItemCaseSensitive(m, "id");
	err = cJSON_GetObjectItemCaseSensitive(m, "error");
	res = cJSON_GetObjectItemCaseSensitive(m, "result");
	if (err && res && cJSON_IsNull(err))
		err = NULL; /* "error":null beside a result: JSON-RPC 1.0 habit, harmless */
	if (err && res)
		return noderpc_bad(p, "reply has both result and error");
	if (err)
		return noderpc_error(p, err, top && (!id || cJSON_IsNull(id)));
	if (!res)
		return noderpc_bad(p, "reply has neither result nor error");
	if (!id)
		return noderpc_bad(p, "reply has no id");
	if (!noderpc_whole(id, (double)NODERPC_ID_MAX, &idv) || idv == 0)
		return noderpc_bad(p, "unexpected id");
	if (*seen & (1u << idv))
		return noderpc_bad(p, "duplicate id %u", (unsigned)idv);
	*seen |= 1u << idv;
	return noderpc_result(p, (unsigned)idv, res);
}

static int noderpc_batch(struct node_poll *p, const cJSON *root)
{
	const cJSON *m;
	unsigned seen = 0;
	size_t i;

	if (!root->child)
		return noderpc_bad(p, "empty batch reply");
	cJSON_ArrayForEach(m, root)
	{
		if (noderpc_member(p, m, &seen, false) < 0)
			return -1;
	}
	for (i = 0; i < PF_ARRAY_SIZE(noderpc_batch_ids); i++)
		if (!(seen & (1u << noderpc_batch_ids[i])))
			return noderpc_bad(p, "batch reply lacks id %u (%s)", noderpc_batch_ids[i],
			                   noderpc_methods[noderpc_batch_ids[i]]);
	return 0;
}

/*
 * cJSON keeps strings NUL-terminated without a length, so "0x1\u0000zz" would
 * read as "0x1": refuse the escape outright. Any backslash of valid JSON
 * starts an escape inside a string, so pairs are skipped without tracking
 * string state. Returns the offset of the first \u0000, or <len>.
 */
static bool noderpc_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int noderpc_parse(const char *body, size_t len, struct node_poll *p)
{
	const char *end = NULL;
	cJSON *root;
	size_t at;
	int rc;

	if (!body || len == 0)
		return noderpc_bad(p, "empty body");
	if (len > NODERPC_BODY_MAX)
		return noderpc_bad(p, "body of %zu bytes is over %d", len, NODERPC_BODY_MAX);
	root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!root) {
		at = (end && end >= body && end <= body + len) ? (size_t)(end - body) : len;
		return noderpc_bad(p, "invalid JSON at byte %zu", at);
	}
	at = (end && end >= body && end <= body + len) ? (size_t)(end - body) : len;
	while (at < len && noderpc_ws(body[at]))
		at++;
	if (at < len) {
		rc = noderpc_bad(p, "trailing data at byte %zu", at);
	} else if ((at = pf_json_nul_escape_at(body, len)) < len) {
		rc = noderpc_bad(p, "string holds \\u0000 at byte %zu", at);
	} else if (cJSON_IsArray(root)) {
		rc = noderpc_batch(p, root);
	} else if (cJSON_IsObject(root)) {
		unsigned seen = 0;

		rc = noderpc_member(p, root, &seen, true);
	} else {
		rc = noderpc_bad(p, "reply is not an object or array");
	}
	cJSON_Delete(root);
	if (rc < 0)
		return -1;
	/* The parent of the best block is finalized: its number is known without another call. */
	if (p->has_best && p->has_finalized_hash && !p->has_finalized && p->best > 0 &&
	    strcmp(p->best_parent_hash, p->finalized_hash) == 0) {
		p->finalized = p->best - 1;
		p->has_finalized = true;
	}
	return 0;
}
