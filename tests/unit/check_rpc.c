/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of spoa/rpc.c with the shipped table haproxy/methods.tsv: every
 * case of tests/data/requests/edge-cases.jsonl (one loop test each, its class
 * from the file), every request the real @polkadot/api client sent
 * (tests/data/requests/index.tsv, its class from the reference table
 * tests/data/methods-reference.tsv, never from the table under test), big batches,
 * the nesting limit, JSON grammar corners, id slices, every split prefix of
 * valid bodies, bodies ending at a PROT_NONE guard page, and class names.
 * Run from the repository root.
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
#include "spoa/methods.h"
#include "spoa/rpc.h"
#include "tests/unit/methods_ref.h"

#define EDGE_PATH  "tests/data/requests/edge-cases.jsonl"
#define INDEX_PATH "tests/data/requests/index.tsv"
#define REQ_DIR    "tests/data/requests/"
#define SPLIT_MAX  4096 /* bodies up to this size are tried at every split point */

/* A body to classify with what it must give. */
struct rpc_case {
	char *name;
	uint8_t *body; /* owned */
	size_t len;
	enum rpc_class cls;
	bool has_method;
	char *method; /* owned, decoded (may hold NUL bytes) */
	size_t method_len;
};

static struct methods *table;       /* loaded once in main(), inherited by forks */
static struct ref_table ref;        /* the expected classes (methods_ref.h) */
static struct rpc_case *edge_cases; /* edge-cases.jsonl */
static size_t n_edge;
static struct rpc_case *real_cases; /* real @polkadot/api requests, via index.tsv */
static size_t n_real;
static char *real_ids[64]; /* id text of each real request */

/* ---- helpers -------------------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				(void)fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	(void)fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Test-data loading runs before any test: out of memory just stops it. */
static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		abort();
	return q;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Classifies a copy of <body> in an exact-size heap block, so ASan sees overreads. */
static void classify(const void *body, size_t len, struct rpc_result *res)
{
	uint8_t *copy = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, body, len);
	rpc_classify(table, copy, len, res);
	/* Slices must point into the body; rebase them onto <body> for the caller. */
	if (res->has_id) {
		ck_assert(res->id.p >= copy && res->id.p + res->id.len <= copy + len);
		res->id.p = (const uint8_t *)body + (res->id.p - copy);
	}
	free(copy);
}

static enum rpc_class classify_str(const char *body, struct rpc_result *res)
{
	classify(body, strlen(body), res);
	return res->cls;
}

static enum rpc_class cls_of(const char *body)
{
	struct rpc_result res;

	return classify_str(body, &res);
}

static void assert_method(const struct rpc_result *r, const char *m)
{
	ck_assert(r->has_method);
	ck_assert_uint_eq(r->method_len, strlen(m));
	ck_assert_mem_eq(r->method, m, strlen(m));
}

/* Asserts <r> matches <c>; for names longer than RPC_METHOD_MAX, the kept prefix. */
static void assert_case(const struct rpc_case *c, const struct rpc_result *r)
{
	ck_assert_msg(r->cls == c->cls, "%s: class %s, want %s", c->name, rpc_class_name(r->cls),
	              rpc_class_name(c->cls));
	ck_assert_msg(r->has_method == c->has_method, "%s: has_method %d", c->name, r->has_method);
	if (c->has_method) {
		size_t keep = c->method_len > RPC_METHOD_MAX ? RPC_METHOD_MAX : c->method_len;

		ck_assert_msg(r->method_truncated == (c->method_len > RPC_METHOD_MAX),
		              "%s: truncated %d", c->name, r->method_truncated);
		ck_assert_msg(r->method_len == keep, "%s: method_len %zu, want %zu", c->name,
		              r->method_len, keep);
		ck_assert_msg(memcmp(r->method, c->method, keep) == 0, "%s: method %.*s", c->name,
		              (int)r->method_len, r->method);
	}
	if (r->cls == RPC_CLASS_INVALID)
		ck_assert(!r->has_method);
}

/* ---- loading the data files ----------------------------------------------- */

static bool parse_class(const char *s, enum rpc_class *out)
{
	if (strcmp(s, "unknown") == 0)
		*out = RPC_CLASS_UNKNOWN;
	else if (strcmp(s, "invalid") == 0)
		*out = RPC_CLASS_INVALID;
	else
		return rpc_class_parse(s, strlen(s), out);
	return true;
}

static bool b64_decode(const char *in, uint8_t **out, size_t *outlen)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0, i;
	uint32_t acc = 0;
	int bits = 0;
	uint8_t *buf = malloc(n + 1);

	if (!buf)
		return false;
	for (i = 0; i < n && in[i] != '='; i++) {
		const char *pos = strchr(alpha, in[i]);

		if (!pos || in[i] == '\0') {
			free(buf);
			return false;
		}
		acc = (acc << 6) | (uint32_t)(pos - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out = buf;
	*outlen = o;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(char *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/*
 * cJSON stops strings at a decoded U+0000, so the expected method is decoded
 * here from the raw line instead: the JSON string after "expect_method":.
 * (The needle cannot match inside the escaped body string, where every quote
 * is preceded by a backslash.)
 */
static bool raw_expect_method(const char *line, char **out, size_t *outlen)
{
	const char *p = strstr(line, "\"expect_method\":");
	size_t o = 0;
	char *buf;

	if (!p)
		return false;
	p += strlen("\"expect_method\":");
	while (*p == ' ')
		p++;
	if (*p != '"')
		return false;
	buf = malloc(strlen(p) + 1);
	if (!buf)
		return false;
	for (p++; *p && *p != '"'; p++) {
		uint32_t cp;
		int i, h;

		if (*p != '\\') {
			buf[o++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'b':
			buf[o++] = '\b';
			continue;
		case 'f':
			buf[o++] = '\f';
			continue;
		case 'n':
			buf[o++] = '\n';
			continue;
		case 'r':
			buf[o++] = '\r';
			continue;
		case 't':
			buf[o++] = '\t';
			continue;
		case 'u':
			break;
		default:
			buf[o++] = *p;
			continue;
		}
		for (cp = 0, i = 1; i <= 4; i++) {
			h = hexval(p[i]);
			if (h < 0)
				goto fail;
			cp = cp << 4 | (uint32_t)h;
		}
		p += 4;
		if (cp >= 0xd800 && cp <= 0xdbff && p[1] == '\\' && p[2] == 'u') {
			uint32_t lo = 0;

			for (i = 3; i <= 6; i++) {
				h = hexval(p[i]);
				if (h < 0)
					goto fail;
				lo = lo << 4 | (uint32_t)h;
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		put_utf8(buf, &o, cp);
	}
	if (*p != '"')
		goto fail;
	*out = buf;
	*outlen = o;
	return true;
fail:
	free(buf);
	return false;
}

static void load_edge_cases(void)
{
	size_t len, cap = 0;
	char *text = (char *)read_all(EDGE_PATH, &len), *line, *save = NULL;

	if (!text) {
		fprintf(stderr, "%s: cannot read\n", EDGE_PATH);
		exit(EXIT_FAILURE);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line), *body, *b64, *cls, *meth, *name;
		struct rpc_case *c;

		if (!j) {
			fprintf(stderr, "%s: line %zu: bad JSON\n", EDGE_PATH, n_edge + 1);
			exit(EXIT_FAILURE);
		}
		if (n_edge == cap) {
			cap = cap ? cap * 2 : 128;
			edge_cases = xrealloc(edge_cases, cap * sizeof(*edge_cases));
		}
		c = &edge_cases[n_edge++];
		memset(c, 0, sizeof(*c));
		name = cJSON_GetObjectItemCaseSensitive(j, "name");
		body = cJSON_GetObjectItemCaseSensitive(j, "body");
		b64 = cJSON_GetObjectItemCaseSensitive(j, "body_base64");
		cls = cJSON_GetObjectItemCaseSensitive(j, "expect_class");
		meth = cJSON_GetObjectItemCaseSensitive(j, "expect_method");
		if (!cJSON_IsString(name) || !cJSON_IsString(cls) || !meth ||
		    !parse_class(cls->valuestring, &c->cls))
			goto bad;
		c->name = xstrndup(name->valuestring, strlen(name->valuestring));
		if (cJSON_IsString(body)) {
			/* Bodies in the file never decode to a U+0000, so strlen is exact. */
			c->len = strlen(body->valuestring);
			c->body = (uint8_t *)xstrndup(body->valuestring, c->len);
		} else if (cJSON_IsNull(body) && cJSON_IsString(b64)) {
			if (!b64_decode(b64->valuestring, &c->body, &c->len))
				goto bad;
		} else {
			goto bad;
		}
		if (cJSON_IsString(meth)) {
			c->has_method = true;
			if (!raw_expect_method(line, &c->method, &c->method_len) ||
			    strncmp(c->method, meth->valuestring, strlen(meth->valuestring)) != 0)
				goto bad;
		} else if (!cJSON_IsNull(meth)) {
			goto bad;
		}
		cJSON_Delete(j);
		continue;
	bad:
		fprintf(stderr, "%s: line %zu: unexpected shape\n", EDGE_PATH, n_edge);
		exit(EXIT_FAILURE);
	}
	free(text);
}

static void add_real(const char *name, const uint8_t *body, size_t len, const char *method,
                     const char *id)
{
	struct rpc_case *c;

	if (n_real >= PF_ARRAY_SIZE(real_ids))
		abort();
	real_cases = xrealloc(real_cases, (n_real + 1) * sizeof(*real_cases));
	c = &real_cases[n_real];
	memset(c, 0, sizeof(*c));
	c->name = xstrndup(name, strlen(name));
	c->body = (uint8_t *)xstrndup((const char *)body, len);
	c->len = len;
	c->has_method = true;
	c->method = xstrndup(method, strlen(method));
	c->method_len = strlen(method);
	/* Every method the real client sends is in the reference: the class it must get. */
	{
		const struct ref_method *r = ref_table_find(&ref, method, strlen(method));

		if (r == NULL) {
			fprintf(stderr, "%s: method %s not in %s\n", name, method,
			        METHODS_REF_PATH);
			exit(EXIT_FAILURE);
		}
		c->cls = r->cls;
	}
	real_ids[n_real] = xstrndup(id, strlen(id));
	n_real++;
}

/* index.tsv: file, transport, connection, nth, id, method, sent_by. */
static void load_real_requests(void)
{
	size_t len, wslen;
	char *text = (char *)read_all(INDEX_PATH, &len), *line, *save = NULL;
	char *ws = (char *)read_all(REQ_DIR "polkadot-api-ws.jsonl", &wslen);

	if (!text || !ws) {
		fprintf(stderr, "%s: cannot read the real requests\n", INDEX_PATH);
		exit(EXIT_FAILURE);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *col[7], *s2 = NULL, *tok;
		unsigned lineno;
		int n = 0;

		for (tok = strtok_r(line, "\t", &s2); tok && n < 7; tok = strtok_r(NULL, "\t", &s2))
			col[n++] = tok;
		if (n != 7 || strcmp(col[0], "file") == 0)
			continue;
		if (sscanf(col[0], "polkadot-api-ws.jsonl line %u", &lineno) == 1) {
			const char *p = ws, *nl;
			cJSON *j, *m;

			for (; lineno > 1 && p; lineno--) {
				p = strchr(p, '\n');
				p = p ? p + 1 : NULL;
			}
			if (!p || !*p)
				abort();
			nl = strchr(p, '\n');
			nl = nl ? nl : p + strlen(p);
			/* The frame itself says which method it calls: cross-check index.tsv. */
			j = cJSON_ParseWithLength(p, (size_t)(nl - p));
			m = cJSON_GetObjectItemCaseSensitive(j, "method");
			if (!cJSON_IsString(m) || strcmp(m->valuestring, col[5]) != 0)
				abort();
			cJSON_Delete(j);
			add_real(col[0], (const uint8_t *)p, (size_t)(nl - p), col[5], col[4]);
		} else {
			char path[256];
			size_t blen;
			uint8_t *b;

			(void)snprintf(path, sizeof(path), REQ_DIR "%s", col[0]);
			b = read_all(path, &blen);
			if (!b)
				abort();
			add_real(col[0], b, blen, col[5], col[4]);
			free(b);
		}
	}
	free(text);
	free(ws);
	if (n_real != 22) {
		fprintf(stderr, "%s: %zu requests, want 22\n", INDEX_PATH, n_real);
		exit(EXIT_FAILURE);
	}
}

/* ---- data-driven cases ---------------------------------------------------- */

START_TEST(test_edge_case)
{
	const struct rpc_case *c = &edge_cases[_i];
	struct rpc_result r;

	classify(c->body, c->len, &r);
	assert_case(c, &r);
}
END_TEST

START_TEST(test_edge_case_count)
{
	/* README: 82 cases; a shorter file would silently test less. */
	ck_assert_uint_ge(n_edge, 82);
}
END_TEST

START_TEST(test_real_request)
{
	const struct rpc_case *c = &real_cases[_i];
	struct rpc_result r;

	classify(c->body, c->len, &r);
	assert_case(c, &r);
	ck_assert(!r.is_batch);
	ck_assert_uint_eq(r.calls, 1);
	ck_assert(r.has_id);
	ck_assert_uint_eq(r.id.len, strlen(real_ids[_i]));
	ck_assert_mem_eq(r.id.p, real_ids[_i], r.id.len);
}
END_TEST

/* Every strict prefix of a body whose value ends at its last byte is invalid. */
static void check_prefixes(const struct rpc_case *c)
{
	struct rpc_result r;
	size_t cut, step;

	if (c->cls == RPC_CLASS_INVALID || c->len == 0)
		return;
	if (c->body[c->len - 1] != '}' && c->body[c->len - 1] != ']')
		return;
	step = c->len <= SPLIT_MAX ? 1 : c->len / 257;
	for (cut = 0; cut < c->len; cut += step) {
		classify(c->body, cut, &r);
		ck_assert_msg(r.cls == RPC_CLASS_INVALID, "%s: prefix %zu is %s", c->name, cut,
		              rpc_class_name(r.cls));
		ck_assert_uint_eq(r.calls, 0);
		ck_assert(!r.has_method && !r.has_id && !r.is_batch);
	}
}

START_TEST(test_split_points)
{
	size_t i;

	for (i = 0; i < n_edge; i++)
		check_prefixes(&edge_cases[i]);
	for (i = 0; i < n_real; i++)
		check_prefixes(&real_cases[i]);
}
END_TEST

/*
 * Puts each body (and each of its prefixes when small) right before a
 * PROT_NONE page: any read past the end faults.
 */
START_TEST(test_guard_page)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i, cut;
	size_t map_len = 32 * page;
	uint8_t *map =
	    mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *guard;
	struct rpc_result r;

	ck_assert(map != MAP_FAILED);
	guard = map + map_len - page;
	ck_assert_int_eq(mprotect(guard, page, PROT_NONE), 0);
	for (i = 0; i < n_edge + n_real; i++) {
		const struct rpc_case *c = i < n_edge ? &edge_cases[i] : &real_cases[i - n_edge];
		size_t step = c->len <= 512 ? 1 : c->len;

		if (c->len > map_len - page)
			continue;
		memcpy(guard - c->len, c->body, c->len);
		rpc_classify(table, guard - c->len, c->len, &r);
		assert_case(c, &r);
		/* Prefixes ending at the guard, then suffixes of the body there. */
		for (cut = 0; cut < c->len; cut += step) {
			memcpy(guard - cut, c->body, cut);
			rpc_classify(table, guard - cut, cut, &r);
			memcpy(guard - cut, c->body + c->len - cut, cut);
			rpc_classify(table, guard - cut, cut, &r);
			ck_assert(r.cls < RPC_CLASS_OVERSIZE);
		}
	}
	ck_assert_int_eq(munmap(map, map_len), 0);
}
END_TEST

/* ---- batches -------------------------------------------------------------- */

/* Builds "[m0,m1,...]" from <n> members produced by <member>; caller frees. */
static char *make_batch(size_t n, const char *(*member)(size_t i, char *buf, size_t cap),
                        size_t *len)
{
	size_t cap = n * 160 + 16, o = 0, i;
	char *b = malloc(cap), one[160];

	ck_assert_ptr_nonnull(b);
	b[o++] = '[';
	for (i = 0; i < n; i++) {
		const char *m = member(i, one, sizeof(one));
		size_t ml = strlen(m);

		ck_assert(o + ml + 2 < cap);
		if (i)
			b[o++] = ',';
		memcpy(b + o, m, ml);
		o += ml;
	}
	b[o++] = ']';
	b[o] = '\0';
	*len = o;
	return b;
}

static const char *member_read(size_t i, char *buf, size_t cap)
{
	(void)snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"system_health\"}",
	               i);
	return buf;
}

static const char *member_mixed(size_t i, char *buf, size_t cap)
{
	static const char *const names[] = {"system_health", "chain_subscribeNewHeads",
	                                    "author_submitExtrinsic", "state_call"};

	if (i == 4999)
		return "{\"jsonrpc\":\"2.0\",\"id\":\"last\",\"method\":\"author_insertKey\","
		       "\"params\":[\"babe\",\"//Alice\",\"0x00\"]}";
	(void)snprintf(buf, cap,
	               "{\"params\":[{\"method\":\"author_insertKey\"}],\"method\":\"%s\","
	               "\"jsonrpc\":\"2.0\",\"id\":%zu}",
	               names[i % 4], i);
	return buf;
}

START_TEST(test_batch_5000)
{
	struct rpc_result r;
	size_t len;
	char *b = make_batch(5000, member_read, &len);

	classify(b, len, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	ck_assert(r.is_batch);
	ck_assert_uint_eq(r.calls, 5000);
	assert_method(&r, "system_health");
	ck_assert(!r.has_id);
	free(b);

	b = make_batch(5000, member_mixed, &len);
	classify(b, len, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_UNSAFE);
	ck_assert_uint_eq(r.calls, 5000);
	assert_method(&r, "author_insertKey");
	ck_assert(!r.has_id);
	/* Without the unsafe last member the batch is heavy (state_call, 4th member). */
	{
		char *last = strstr(b, ",{\"jsonrpc\":\"2.0\",\"id\":\"last\"");

		ck_assert_ptr_nonnull(last);
		memcpy(last, "]", 2);
	}
	classify_str(b, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_HEAVY);
	ck_assert_uint_eq(r.calls, 4999);
	assert_method(&r, "state_call");
	free(b);
}
END_TEST

START_TEST(test_batch_rules)
{
	struct rpc_result r;

	/* The first member reaching the batch class gives the method. */
	classify_str("[{\"jsonrpc\":\"2.0\",\"method\":\"state_call\"},"
	             "{\"jsonrpc\":\"2.0\",\"method\":\"foo\"},"
	             "{\"jsonrpc\":\"2.0\",\"method\":\"bar\"}]",
	             &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_UNKNOWN);
	assert_method(&r, "foo");
	ck_assert_uint_eq(r.calls, 3);

	/* An invalid member is worse than unknown; the method is then not reported. */
	classify_str("[{\"jsonrpc\":\"2.0\",\"method\":\"foo\"},{\"method\":\"system_health\"}]",
	             &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(!r.has_method);
	ck_assert(r.is_batch);
	ck_assert_uint_eq(r.calls, 2);

	/* ... but unsafe beats invalid, wherever it is. */
	classify_str("[null,{\"jsonrpc\":\"2.0\",\"method\":\"foo\"},[],"
	             "{\"jsonrpc\":\"2.0\",\"method\":\"author_rotateKeys\"},\"x\"]",
	             &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_UNSAFE);
	assert_method(&r, "author_rotateKeys");
	ck_assert_uint_eq(r.calls, 5);

	/* Empty batches, and a broken member breaking everything. */
	classify_str("[]", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(r.is_batch);
	ck_assert_uint_eq(r.calls, 0);
	classify_str("[{\"jsonrpc\":\"2.0\",\"method\":\"author_rotateKeys\"},{]", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(!r.is_batch);
	ck_assert_uint_eq(r.calls, 0);
	ck_assert_int_eq(cls_of("[{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"},]"),
	                 RPC_CLASS_INVALID);
	ck_assert_int_eq(cls_of("[,{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}]"),
	                 RPC_CLASS_INVALID);
	ck_assert_int_eq(cls_of("[{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}}"),
	                 RPC_CLASS_INVALID);
	/* Members' "id" is never reported, even for a batch of one. */
	classify_str("[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"system_health\"}]", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	ck_assert(!r.has_id);
}
END_TEST

/* ---- the JSON grammar ----------------------------------------------------- */

/* A valid call whose params are <params>; shows whether they are valid JSON. */
static enum rpc_class with_params(const char *params)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\","
	                           "\"params\":";
	size_t hl = sizeof(head) - 1, pl = strlen(params);
	char *body = malloc(hl + pl + 2);
	enum rpc_class cls;

	ck_assert_ptr_nonnull(body);
	memcpy(body, head, hl);
	memcpy(body + hl, params, pl);
	memcpy(body + hl + pl, "}", 2);
	cls = cls_of(body);
	free(body);
	return cls;
}

START_TEST(test_numbers)
{
	static const char *const good[] = {
	    "[0]",
	    "[-0]",
	    "[1]",
	    "[-1]",
	    "[10]",
	    "[0.5]",
	    "[-0.0]",
	    "[1e5]",
	    "[1E5]",
	    "[1e+5]",
	    "[1e-5]",
	    "[1.25e-005]",
	    "[0e0]",
	    "[9007199254740993]",
	    "[1,2,3]",
	    "[ 1 , 2 ]",
	    "[-123.456E+789]",
	};
	static const char *const bad[] = {
	    "[01]", "[-01]", "[+1]",   "[.5]",    "[1.]",       "[1.e5]",      "[1e]",  "[1e+]",
	    "[-]",  "[--1]", "[0x10]", "[1_000]", "[Infinity]", "[-Infinity]", "[NaN]", "[1 2]",
	    "[00]", "[0.]",  "[1..2]", "[1ee5]",  "[1e5.5]",    "[-.5]",
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(good); i++)
		ck_assert_msg(with_params(good[i]) == RPC_CLASS_READ, "%s", good[i]);
	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(with_params(bad[i]) == RPC_CLASS_INVALID, "%s", bad[i]);
	/* Numbers as ids, and at the very end of the body. */
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"id\":-0}"),
	                 RPC_CLASS_READ);
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"id\":1"),
	                 RPC_CLASS_INVALID);
	ck_assert_int_eq(cls_of("1"), RPC_CLASS_INVALID);
	ck_assert_int_eq(cls_of("-"), RPC_CLASS_INVALID);
}
END_TEST

START_TEST(test_literals_and_structure)
{
	static const char *const good[] = {
	    "[true,false,null]", "{}",     "[]",       "{\"a\":{\"b\":[{}]}}",
	    " [ { } , [ ] ] ",   "[\"\"]", "{\"\":1}", "{\"a\":1,\"a\":2}",
	};
	static const char *const bad[] = {
	    "[tru]",      "[nul]",    "[falsee]",
	    "[True]",     "[NULL]",   "[undefined]",
	    "[,]",        "[1,]",     "{,}",
	    "{\"a\"}",    "{\"a\":}", "{\"a\" 1}",
	    "{a:1}",      "{'a':1}",  "['a']",
	    "{\"a\":1,}", "[}",       "{]",
	    "[[]",        "[]]",      "{\"a\":1\"b\":2}",
	    "[1 ,, 2]",   "[/*c*/1]", "[\"a\"\"b\"]",
	    "{\"a\":1}}",
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(good); i++)
		ck_assert_msg(with_params(good[i]) == RPC_CLASS_READ, "%s", good[i]);
	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(with_params(bad[i]) == RPC_CLASS_INVALID, "%s", bad[i]);
}
END_TEST

START_TEST(test_strings)
{
	static const char *const good[] = {
	    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
	    "[\"\\u0000\"]",
	    "[\"\\uFFFF\\uabcd\"]",
	    "[\"\\ud83d\\ude00\"]",
	    "[\"\xc2\x80\"]",
	    "[\"\xdf\xbf\"]",
	    "[\"\xe0\xa0\x80\"]",
	    "[\"\xed\x9f\xbf\"]",
	    "[\"\xee\x80\x80\"]",
	    "[\"\xef\xbf\xbf\"]",
	    "[\"\xf0\x90\x80\x80\"]",
	    "[\"\xf4\x8f\xbf\xbf\"]",
	    "[\"\x7f\"]",
	    /* Unpaired surrogate escapes are grammatical JSON: accepted in data. */
	    "[\"\\ud800\"]",
	    "[\"\\udc00\"]",
	    "[\"\\ud800\\u0041\"]",
	    "[\"\\udbff\\ud800\"]",
	    "{\"\\ud800\":1}",
	};
	static const char *const bad[] = {
	    "[\"\\x41\"]",
	    "[\"\\U0041\"]",
	    "[\"\\u004\"]",
	    "[\"\\u004G\"]",
	    "[\"\\'\"]",
	    "[\"\\\"]",
	    "[\"\t\"]",
	    "[\"\n\"]",
	    "[\"\x01\"]",
	    "[\"\x1f\"]",
	    "[\"\xc0\x80\"]",         /* overlong NUL */
	    "[\"\xc1\xbf\"]",         /* overlong */
	    "[\"\xe0\x9f\xbf\"]",     /* overlong 3-byte */
	    "[\"\xed\xa0\x80\"]",     /* UTF-8-encoded surrogate */
	    "[\"\xf0\x8f\xbf\xbf\"]", /* overlong 4-byte */
	    "[\"\xf4\x90\x80\x80\"]", /* above U+10FFFF */
	    "[\"\xf5\x80\x80\x80\"]",
	    "[\"\xff\"]",
	    "[\"\x80\"]",
	    "[\"\xc2\"]",
	    "[\"\xe2\x82\"]",
	    "[\"\xc2\x41\"]",
	    "[\"\xe2\x28\xa1\"]",
	    "[\"abc]",
	    "[\"\\ud800\\u00G1\"]",
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(good); i++)
		ck_assert_msg(with_params(good[i]) == RPC_CLASS_READ, "good %zu", i);
	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(with_params(bad[i]) == RPC_CLASS_INVALID, "bad %zu", i);
}
END_TEST

/* Long strings exercise the 8-byte fast path: specials at every offset. */
START_TEST(test_string_offsets)
{
	static const char *const specials[] = {"\\n", "\\u00e9", "\xc3\xa9", "\\\"", "\\\\"};
	char params[256], body[512];
	size_t off, k;

	for (k = 0; k < PF_ARRAY_SIZE(specials); k++) {
		for (off = 0; off < 24; off++) {
			(void)snprintf(params, sizeof(params), "[\"%.*s%s%.*s\"]", (int)off,
			               "abcdefghijklmnopqrstuvwxyz", specials[k], (int)(23 - off),
			               "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			ck_assert_msg(with_params(params) == RPC_CLASS_READ, "%s", params);
		}
	}
	/* A control byte or a lone 0x80 at every offset of a long string. */
	for (off = 0; off < 40; off++) {
		memset(params, 'a', sizeof(params));
		params[0] = '[';
		params[1] = '"';
		params[2 + off] = '\x01';
		memcpy(params + 42, "\"]", 3);
		ck_assert_msg(with_params(params) == RPC_CLASS_INVALID, "ctl at %zu", off);
		params[2 + off] = '\x80';
		ck_assert_msg(with_params(params) == RPC_CLASS_INVALID, "0x80 at %zu", off);
		params[2 + off] = '"';
		ck_assert_msg(with_params(params) == RPC_CLASS_INVALID, "quote at %zu", off);
	}
	/* Method names of every length around the 8-byte steps decode exactly. */
	for (off = 1; off < 40; off++) {
		struct rpc_result r;
		char name[64];

		memset(name, 'x', off);
		name[off] = '\0';
		(void)snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"}", name);
		ck_assert_int_eq(classify_str(body, &r), RPC_CLASS_UNKNOWN);
		assert_method(&r, name);
	}
}
END_TEST

START_TEST(test_whitespace)
{
	ck_assert_int_eq(cls_of(" \t\r\n{\"jsonrpc\" : \"2.0\" , \"method\" :\"system_health\"}"
	                        " \t\r\n"),
	                 RPC_CLASS_READ);
	ck_assert_int_eq(cls_of("\v{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}"),
	                 RPC_CLASS_INVALID);
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}\f"),
	                 RPC_CLASS_INVALID);
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}\0"),
	                 RPC_CLASS_READ); /* strlen stops at the NUL */
	{
		static const char nul[] = "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}\0";
		struct rpc_result r;

		classify(nul, sizeof(nul), &r); /* with the NUL: trailing garbage */
		ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	}
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}\xc2\xa0"),
	                 RPC_CLASS_INVALID);
	ck_assert_int_eq(with_params("[\xc2\xa0]"), RPC_CLASS_INVALID);
}
END_TEST

/* ---- fast paths: every alignment of the 8-byte words ---------------------- */

/*
 * The scanner reads strings, whitespace and digits 8 bytes at a time, and
 * non-ASCII strings through a DFA, 8 steps per word. These tests put each
 * case at every offset 0..FP_OFFSETS-1 from the start of a string (or of a
 * run), so that it lands at every position of a word and across two, after
 * plain ASCII and after 2-byte UTF-8 (the DFA's word path), and right
 * before the end of the body (the byte loop). Expected answers are Unicode
 * Table 3-7 (well-formed UTF-8) and RFC 8259 (escapes, whitespace,
 * numbers), written out per case.
 */
#define FP_OFFSETS 24

struct fp_seq {
	const char *s;
	size_t len;
	bool ok;
	const char *dec; /* decoded bytes (escapes), NULL: the bytes themselves */
};

#define FP_SEQ(lit, ok)                                                                            \
	{                                                                                          \
		lit, sizeof(lit) - 1, ok, NULL                                                     \
	}
#define FP_ESC(lit, ok, dec)                                                                       \
	{                                                                                          \
		lit, sizeof(lit) - 1, ok, dec                                                      \
	}

static const struct fp_seq fp_utf8[] = {
    FP_SEQ("\x7f", true),
    FP_SEQ("\xc2\x80", true),
    FP_SEQ("\xdf\xbf", true),
    FP_SEQ("\xe0\xa0\x80", true),
    FP_SEQ("\xe0\xbf\xbf", true),
    FP_SEQ("\xe1\x80\x80", true),
    FP_SEQ("\xed\x80\x80", true),
    FP_SEQ("\xed\x9f\xbf", true),
    FP_SEQ("\xee\x80\x80", true),
    FP_SEQ("\xef\xbf\xbf", true),
    FP_SEQ("\xf0\x90\x80\x80", true),
    FP_SEQ("\xf0\xbf\xbf\xbf", true),
    FP_SEQ("\xf1\x80\x80\x80", true),
    FP_SEQ("\xf3\xbf\xbf\xbf", true),
    FP_SEQ("\xf4\x80\x80\x80", true),
    FP_SEQ("\xf4\x8f\xbf\xbf", true),
    FP_SEQ("\xc0\x80", false),         /* overlong NUL */
    FP_SEQ("\xc1\xbf", false),         /* overlong */
    FP_SEQ("\xc2\x7f", false),         /* no continuation */
    FP_SEQ("\xc2\xc0", false),         /* continuation out of range */
    FP_SEQ("\xe0\x80\x80", false),     /* overlong 3-byte */
    FP_SEQ("\xe0\x9f\xbf", false),     /* overlong 3-byte */
    FP_SEQ("\xed\xa0\x80", false),     /* surrogate U+D800 */
    FP_SEQ("\xed\xbf\xbf", false),     /* surrogate U+DFFF */
    FP_SEQ("\xe1\x80\x7f", false),     /* third byte not a continuation */
    FP_SEQ("\xe1\xc0\x80", false),     /* second byte not a continuation */
    FP_SEQ("\xf0\x80\x80\x80", false), /* overlong 4-byte */
    FP_SEQ("\xf0\x8f\xbf\xbf", false), /* overlong 4-byte */
    FP_SEQ("\xf4\x90\x80\x80", false), /* above U+10FFFF */
    FP_SEQ("\xf1\x80\x80\x7f", false), /* fourth byte not a continuation */
    FP_SEQ("\xf5\x80\x80\x80", false),
    FP_SEQ("\xf8\x88\x80\x80\x80", false),
    FP_SEQ("\xfe", false),
    FP_SEQ("\xff", false),
    FP_SEQ("\x80", false), /* stray continuation */
    FP_SEQ("\xbf", false),
    FP_SEQ("\xc2", false),         /* truncated by the filler */
    FP_SEQ("\xe2\x82", false),     /* truncated */
    FP_SEQ("\xf0\x9f\x98", false), /* truncated */
    FP_SEQ("\x00", false),         /* control bytes must be escaped */
    FP_SEQ("\x01", false),
    FP_SEQ("\x1f", false),
    FP_SEQ("\n", false),
    FP_SEQ("\t", false),
};

/* Fillers are 'x' (not a hex digit: "\u00" + filler stays malformed). */
static const struct fp_seq fp_esc[] = {
    FP_ESC("\\n", true, "\n"),
    FP_ESC("\\\"", true, "\""),
    FP_ESC("\\\\", true, "\\"),
    FP_ESC("\\/", true, "/"),
    FP_ESC("\\b", true, "\b"),
    FP_ESC("\\f", true, "\f"),
    FP_ESC("\\r", true, "\r"),
    FP_ESC("\\t", true, "\t"),
    FP_ESC("\\n\\t\\\\\\\"", true, "\n\t\\\""),
    FP_ESC("\\u0041", true, "A"),
    FP_ESC("\\u00e9", true, "\xc3\xa9"),
    FP_ESC("\\u20AC", true, "\xe2\x82\xac"),
    FP_ESC("\\uFFFF", true, "\xef\xbf\xbf"),
    FP_ESC("\\ud83d\\ude00", true, "\xf0\x9f\x98\x80"),
    FP_ESC("\\uDBFF\\uDFFF", true, "\xf4\x8f\xbf\xbf"),
    FP_ESC("\\u0041\\u00e9\\n", true, "A\xc3\xa9\n"),
    FP_ESC("\\x41", false, NULL),
    FP_ESC("\\U0041", false, NULL),
    FP_ESC("\\u004G", false, NULL),
    FP_ESC("\\u00", false, NULL),
    FP_ESC("\\'", false, NULL),
    FP_ESC("\\ ", false, NULL),
    FP_ESC("\\\xc3\xa9", false, NULL),
    FP_ESC("\\ud800\\u00G1", false, NULL),
};

/* Unpaired surrogate escapes: valid JSON in data, an invalid call in a method. */
static const struct fp_seq fp_lone[] = {
    FP_ESC("\\ud800", true, NULL),
    FP_ESC("\\udfff", true, NULL),
    FP_ESC("\\ud800\\u0041", true, NULL),
    FP_ESC("\\udbff\\ud800", true, NULL),
};

/* <n> bytes of filler: 'x', or 2-byte UTF-8 (U+00E9) after one 'x' when <n> is odd. */
static size_t fp_fill(char *out, size_t n, bool utf8)
{
	size_t o = 0;

	if (!utf8) {
		memset(out, 'x', n);
		return n;
	}
	if (n % 2)
		out[o++] = 'x';
	while (o < n) {
		out[o++] = '\xc3';
		out[o++] = '\xa9';
	}
	return o;
}

/* Builds a string's contents: <off> bytes of filler, <q>, <after> bytes of filler. */
static size_t fp_string(char *out, size_t off, const struct fp_seq *q, size_t after, bool utf8)
{
	size_t o = fp_fill(out, off, utf8);

	memcpy(out + o, q->s, q->len);
	o += q->len;
	return o + fp_fill(out + o, after, utf8);
}

/* Every strict prefix of the valid body <b>/<len> is invalid (a cut inside a word, too). */
static void fp_prefixes(const char *b, size_t len)
{
	struct rpc_result r;
	size_t cut;

	for (cut = 0; cut < len; cut++) {
		classify(b, cut, &r);
		ck_assert_msg(r.cls == RPC_CLASS_INVALID, "prefix %zu of %.*s", cut, (int)len, b);
	}
}

/*
 * <q> inside a params string at <off>, followed by <after> filler bytes,
 * then '"]}' (with <after> 0 the sequence ends 3 bytes before the body).
 */
static void fp_in_params(const struct fp_seq *q, size_t off, size_t after, bool utf8)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\","
	                           "\"params\":[\"";
	char body[256];
	size_t o = sizeof(head) - 1;
	struct rpc_result r;

	memcpy(body, head, o);
	o += fp_string(body + o, off, q, after, utf8);
	memcpy(body + o, "\"]}", 3);
	o += 3;
	classify(body, o, &r);
	ck_assert_msg(r.cls == (q->ok ? RPC_CLASS_READ : RPC_CLASS_INVALID),
	              "%s at %zu (+%zu, %s filler): %s", q->s, off, after, utf8 ? "utf8" : "ascii",
	              rpc_class_name(r.cls));
	if (q->ok && off % 7 == 0 && after == 0)
		fp_prefixes(body, o);
}

/*
 * <q> inside the method name at <off>, the body ending right after it with
 * '"}': a valid sequence is an unknown method decoded to the filler, <q>'s
 * decoded bytes and the filler; an invalid one makes the body invalid.
 */
static void fp_in_method(const struct fp_seq *q, size_t off, size_t after, bool utf8,
                         enum rpc_class want)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"";
	char body[256], dec[256];
	size_t o = sizeof(head) - 1, d, dl = q->dec ? strlen(q->dec) : q->len;
	struct rpc_result r;

	memcpy(body, head, o);
	o += fp_string(body + o, off, q, after, utf8);
	memcpy(body + o, "\"}", 2);
	o += 2;
	classify(body, o, &r);
	ck_assert_msg(r.cls == want, "method %s at %zu (%s filler): %s", q->s, off,
	              utf8 ? "utf8" : "ascii", rpc_class_name(r.cls));
	if (want != RPC_CLASS_UNKNOWN)
		return;
	d = fp_fill(dec, off, utf8);
	memcpy(dec + d, q->dec ? q->dec : q->s, dl);
	d += dl;
	d += fp_fill(dec + d, after, utf8);
	ck_assert(r.has_method);
	ck_assert_uint_eq(r.method_len, d);
	ck_assert_mem_eq(r.method, dec, d);
}

static void fp_each_offset(const struct fp_seq *q)
{
	size_t off;
	int utf8;

	for (utf8 = 0; utf8 <= 1; utf8++) {
		for (off = 0; off < FP_OFFSETS; off++) {
			fp_in_params(q, off, FP_OFFSETS, utf8);
			fp_in_params(q, off, 0, utf8);
			fp_in_method(q, off, off % 9, utf8,
			             q->ok ? RPC_CLASS_UNKNOWN : RPC_CLASS_INVALID);
		}
	}
}

START_TEST(test_fast_utf8)
{
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(fp_utf8); i++)
		fp_each_offset(&fp_utf8[i]);
}
END_TEST

START_TEST(test_fast_escapes)
{
	size_t i, off;
	int utf8;

	for (i = 0; i < PF_ARRAY_SIZE(fp_esc); i++)
		fp_each_offset(&fp_esc[i]);
	for (i = 0; i < PF_ARRAY_SIZE(fp_lone); i++) {
		for (utf8 = 0; utf8 <= 1; utf8++) {
			for (off = 0; off < FP_OFFSETS; off++) {
				fp_in_params(&fp_lone[i], off, FP_OFFSETS, utf8);
				fp_in_params(&fp_lone[i], off, 0, utf8);
				fp_in_method(&fp_lone[i], off, 3, utf8, RPC_CLASS_INVALID);
			}
		}
	}
}
END_TEST

/* A long run of UTF-8 or escapes ending exactly at each of the last bytes of the body. */
START_TEST(test_fast_string_end)
{
	static const char *const runs[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\n",
	                                   "\\u00e9"};
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"params\":[],\"method\":\"";
	char body[512];
	size_t i, n, o;

	for (i = 0; i < PF_ARRAY_SIZE(runs); i++) {
		for (n = 0; n < 40; n++) {
			struct rpc_result r;

			o = sizeof(head) - 1;
			memcpy(body, head, o);
			memset(body + o, 'x', n % 8);
			o += n % 8;
			for (size_t k = 0; k < n; k++) {
				memcpy(body + o, runs[i], strlen(runs[i]));
				o += strlen(runs[i]);
			}
			memcpy(body + o, "\"}", 2);
			o += 2;
			classify(body, o, &r);
			ck_assert_msg(r.cls == RPC_CLASS_UNKNOWN, "%s x %zu", runs[i], n);
			fp_prefixes(body, o);
		}
	}
}
END_TEST

/* Like with_params(), for <params>/<len> that may hold NUL bytes. */
static enum rpc_class with_params_n(const char *params, size_t len)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\","
	                           "\"params\":";
	size_t hl = sizeof(head) - 1;
	struct rpc_result r;
	char body[512];

	ck_assert(hl + len + 1 <= sizeof(body));
	memcpy(body, head, hl);
	memcpy(body + hl, params, len);
	body[hl + len] = '}';
	classify(body, hl + len + 1, &r);
	return r.cls;
}

/* Whitespace runs of every length between tokens; a non-JSON space at each offset. */
START_TEST(test_fast_whitespace)
{
	static const char ws[] = " \t\r\n";
	static const struct fp_seq not_ws[] = {
	    FP_SEQ("\v", false),   FP_SEQ("\f", false),   FP_SEQ("\xc2\xa0", false),
	    FP_SEQ("\x85", false), FP_SEQ("\x00", false), FP_SEQ("\x1c", false),
	    FP_SEQ("!", false),
	};
	char params[512], run[64] = {0};
	size_t n, k, i;

	for (n = 0; n < 40; n++) {
		for (k = 0; k < n; k++)
			run[k] = ws[(k * 7 + n) % 4];
		(void)snprintf(params, sizeof(params),
		               "%.*s[%.*s1%.*s,%.*s{%.*s\"a\"%.*s:%.*s2%.*s}]", (int)n, run, (int)n,
		               run, (int)n, run, (int)n, run, (int)n, run, (int)n, run, (int)n, run,
		               (int)n, run);
		ck_assert_msg(with_params(params) == RPC_CLASS_READ, "run of %zu", n);
		for (k = 0; k < n; k++) {
			for (i = 0; i < PF_ARRAY_SIZE(not_ws); i++) {
				size_t o = 3;

				memcpy(params, "[1,", 3);
				memcpy(params + o, run, k);
				o += k;
				memcpy(params + o, not_ws[i].s, not_ws[i].len);
				o += not_ws[i].len;
				memcpy(params + o, run + k, n - k);
				o += n - k;
				memcpy(params + o, "2]", 2);
				o += 2;
				ck_assert_msg(with_params_n(params, o) == RPC_CLASS_INVALID,
				              "byte %zu of %zu: 0x%02x", k, n,
				              (uint8_t)not_ws[i].s[0]);
			}
		}
	}
}
END_TEST

/*
 * Integers of every length 1..40, then the same with one byte at position
 * k >= 1 replaced: RFC 8259 §6 allows '.' or 'e'/'E' there when a digit
 * follows, and nothing else ('/' and ':' border the digits; 0xb0 and 0xb9
 * are '0' and '9' with the high bit set).
 */
START_TEST(test_fast_digits)
{
	static const char subst[] = {'.', 'e', 'E', '/', ':',    'a',
	                             '-', '+', ' ', 'x', '\xb0', '\xb9'};
	char num[64], params[256];
	size_t n, k, i;

	for (n = 1; n <= 40; n++) {
		for (k = 0; k < n; k++)
			num[k] = (char)('1' + (k % 9));
		(void)snprintf(params, sizeof(params), "[%.*s]", (int)n, num);
		ck_assert_msg(with_params(params) == RPC_CLASS_READ, "%s", params);
		(void)snprintf(params, sizeof(params), "[%.*s,-%.*s,%.*s.%.*se-%.*s]", (int)n, num,
		               (int)n, num, (int)n, num, (int)n, num, (int)n, num);
		ck_assert_msg(with_params(params) == RPC_CLASS_READ, "%s", params);
		for (k = 1; k < n; k++) {
			for (i = 0; i < sizeof(subst); i++) {
				char c = subst[i];
				bool ok = ((c == '.' || c == 'e' || c == 'E') && k < n - 1) ||
				          (c == ' ' && k == n - 1);
				char save = num[k];

				num[k] = c;
				(void)snprintf(params, sizeof(params), "[%.*s]", (int)n, num);
				ck_assert_msg(with_params(params) ==
				                  (ok ? RPC_CLASS_READ : RPC_CLASS_INVALID),
				              "%s", params);
				num[k] = save;
			}
		}
	}
}
END_TEST

/* The data loop (containers below the call): grammar and nesting of both kinds. */
START_TEST(test_fast_data_grammar)
{
	static const char *const good[] = {
	    "[[1,[2,{\"a\":[3,{\"b\":null}]}]],{}]",
	    "{\"a\":{\"b\":{\"c\":[]}}}",
	    "[ [ ] , { } , [ { } ] ]",
	    "[{\"a\" : 1 , \"b\" :2,\"c\": 3}]",
	    "[1,\"x\",true,false,null,-1.5e3,{},[],\"\",0]",
	    "[{\"\":\"\",\"\\u0041\":[\"\\n\"]}]",
	    "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
	};
	static const char *const bad[] = {
	    "[[1,[2,{\"a\":[3,{\"b\":null}]}]],{}",
	    "[[}]",
	    "[{]]",
	    "[{\"a\":1]}",
	    "[{\"a\" 1}]",
	    "[{1:2}]",
	    "[[1,]]",
	    "[[,1]]",
	    "[{\"a\":1,}]",
	    "[{,}]",
	    "[[1 2]]",
	    "[{\"a\"::1}]",
	    "[{\"a\":,1}]",
	    "[[1],,[2]]",
	    "[[01]]",
	    "[{\"a\":tru}]",
	    "[{\"a\":1}{\"b\":2}]",
	    "[[]][]",
	    "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(good); i++) {
		ck_assert_msg(with_params(good[i]) == RPC_CLASS_READ, "%s", good[i]);
		ck_assert_msg(cls_of(good[i]) == RPC_CLASS_INVALID, "bare %s", good[i]);
	}
	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(with_params(bad[i]) == RPC_CLASS_INVALID, "%s", bad[i]);
}
END_TEST

/*
 * Batch members after the first take their own path (',' then '{'): the
 * count and the class must be those of the rules (tests/data/README.md:
 * every member counts, invalid ones included, the most restrictive class
 * wins), and a body that is not JSON has no calls.
 */
START_TEST(test_fast_batch_members)
{
	static const struct {
		const char *body;
		enum rpc_class cls;
		uint32_t calls;
	} cases[] = {
	    {"[{},{}]", RPC_CLASS_INVALID, 2},
	    {"[ {} ,\n{ } , {}]", RPC_CLASS_INVALID, 3},
	    {"[{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"},{\"jsonrpc\":\"2.0\",\"method\":"
	     "\"system_health\"}]",
	     RPC_CLASS_READ, 2},
	    {"[{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}, {\"jsonrpc\":\"2.0\",\"method\":"
	     "\"author_insertKey\"},{}]",
	     RPC_CLASS_UNSAFE, 3},
	    {"[1,{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}]", RPC_CLASS_INVALID, 2},
	    {"[{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"},{\"jsonrpc\":\"2.0\",\"method\":"
	     "\"system_health\",\"id\":1,\"id\":2}]",
	     RPC_CLASS_INVALID, 2},
	    {"[{},{]", RPC_CLASS_INVALID, 0},
	    {"[{},{}", RPC_CLASS_INVALID, 0},
	    {"[{},]", RPC_CLASS_INVALID, 0},
	    {"[{},{\"a\":1,}]", RPC_CLASS_INVALID, 0},
	    {"[{},{\"a\"}]", RPC_CLASS_INVALID, 0},
	    {"[{},{}]]", RPC_CLASS_INVALID, 0},
	    {"[{},{}}", RPC_CLASS_INVALID, 0},
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(cases); i++) {
		struct rpc_result r;

		classify_str(cases[i].body, &r);
		ck_assert_msg(r.cls == cases[i].cls, "%s: %s", cases[i].body,
		              rpc_class_name(r.cls));
		ck_assert_msg(r.calls == cases[i].calls, "%s: %u calls", cases[i].body, r.calls);
		ck_assert(!r.has_id);
	}
}
END_TEST

/* ---- nesting --------------------------------------------------------------- */

/* A call whose params nest so that the body holds <depth> containers in all. */
static char *nested_call(unsigned depth, size_t *len)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\","
	                           "\"params\":";
	size_t n = sizeof(head) - 1, i;
	char *b = malloc(n + 2 * depth + 8);

	ck_assert_ptr_nonnull(b);
	memcpy(b, head, n);
	for (i = 1; i < depth; i++)
		b[n++] = '[';
	for (i = 1; i < depth; i++)
		b[n++] = ']';
	b[n++] = '}';
	*len = n;
	return b;
}

START_TEST(test_depth_limit)
{
	struct rpc_result r;
	size_t len;
	char *b;

	b = nested_call(RPC_MAX_DEPTH, &len);
	classify(b, len, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	free(b);

	b = nested_call(RPC_MAX_DEPTH + 1, &len);
	classify(b, len, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert_uint_eq(r.calls, 0);
	free(b);

	/* Far deeper than the limit, unbalanced: no recursion, no crash. */
	b = malloc(1000000);
	ck_assert_ptr_nonnull(b);
	memset(b, '[', 1000000);
	classify(b, 1000000, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	memset(b, '{', 1000000);
	classify(b, 1000000, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	free(b);
}
END_TEST

START_TEST(test_depth_limit_batch)
{
	/* In a batch the array is level 1 and the call level 2. */
	char *b = malloc(2 * RPC_MAX_DEPTH + 128), *call;
	struct rpc_result r;
	size_t len, n;
	unsigned d;

	for (d = RPC_MAX_DEPTH; d <= RPC_MAX_DEPTH + 1; d++) {
		call = nested_call(d - 1, &len);
		b[0] = '[';
		memcpy(b + 1, call, len);
		n = len + 1;
		b[n++] = ']';
		classify(b, n, &r);
		ck_assert_int_eq(r.cls, d == RPC_MAX_DEPTH ? RPC_CLASS_READ : RPC_CLASS_INVALID);
		free(call);
	}
	free(b);
}
END_TEST

/* ---- call members ---------------------------------------------------------- */

START_TEST(test_method_keys_in_params)
{
	struct rpc_result r;

	classify_str("{\"params\":{\"method\":\"author_insertKey\",\"jsonrpc\":\"1.0\","
	             "\"id\":{},\"params\":3},\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}",
	             &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	assert_method(&r, "system_health");
	classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":[[{\"method\":"
	             "\"author_insertKey\"}],{\"a\":{\"method\":\"x\",\"method\":\"y\"}}]}",
	             &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	/* Nested only: there is no method. */
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2.0\",\"params\":{\"method\":\"system_health\"}}"),
	                 RPC_CLASS_INVALID);
	/* Inside a batch member's params, too. */
	classify_str("[{\"jsonrpc\":\"2.0\",\"params\":[{\"method\":\"author_insertKey\"}],"
	             "\"method\":\"chain_getHeader\"}]",
	             &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	assert_method(&r, "chain_getHeader");
	/* Extra members are ignored, even named twice or holding anything. */
	ck_assert_int_eq(cls_of("{\"x\":1,\"x\":[{\"method\":\"author_insertKey\"}],"
	                        "\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"Id\":{}}"),
	                 RPC_CLASS_READ);
}
END_TEST

START_TEST(test_member_types)
{
	static const char *const bad[] = {
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":null}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":1}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":true}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"id\":true}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"id\":[1]}",
	    "{\"jsonrpc\":\"2.0\",\"method\":{},\"id\":1}",
	    "{\"jsonrpc\":\"2.0\",\"method\":true}",
	    "{\"jsonrpc\":null,\"method\":\"system_health\"}",
	    "{\"jsonrpc\":[\"2.0\"],\"method\":\"system_health\"}",
	    "{\"jsonrpc\":\"2.00\",\"method\":\"system_health\"}",
	    "{\"jsonrpc\":\"2.\",\"method\":\"system_health\"}",
	    "{\"jsonrpc\":\"2.0 \",\"method\":\"system_health\"}",
	    "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":[],\"params\":[]}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"id\":1,\"id\":1}",
	    "{\"jsonrpc\":\"2.0\"}",
	    "{\"method\":\"system_health\"}",
	    /* Unpaired surrogates where serde_json decodes: names, jsonrpc, method, id. */
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\\ud800\"}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"x\\udc00\":1}",
	    "{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"id\":\"\\ud800\"}",
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(cls_of(bad[i]) == RPC_CLASS_INVALID, "%s", bad[i]);
	/* Escapes everywhere in the names and values the rules read. */
	ck_assert_int_eq(
	    cls_of("{\"\\u006a\\u0073onrpc\":\"\\u0032.\\u0030\","
	           "\"\\u0070arams\":[],\"\\u0069d\":1,\"method\":\"system\\u005fhealth\"}"),
	    RPC_CLASS_READ);
	ck_assert_int_eq(cls_of("{\"jsonrpc\":\"2\\u002e0\",\"method\":\"system_health\","
	                        "\"\\u0069d\":1,\"id\":2}"),
	                 RPC_CLASS_INVALID);
	/* A surrogate pair in the method decodes to UTF-8. */
	{
		struct rpc_result r;

		classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"a\\ud834\\udd1e\\u00e9\"}", &r);
		ck_assert_int_eq(r.cls, RPC_CLASS_UNKNOWN);
		assert_method(&r, "a\xf0\x9d\x84\x9e\xc3\xa9");
		classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", &r);
		assert_method(&r, "\"\\/\b\f\n\r\t");
	}
}
END_TEST

START_TEST(test_method_lengths)
{
	char name[300], body[400];
	struct rpc_result r;
	size_t n;

	for (n = RPC_METHOD_MAX - 1; n <= RPC_METHOD_MAX + 1; n++) {
		memset(name, 'm', n);
		name[n] = '\0';
		(void)snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"}", name);
		ck_assert_int_eq(classify_str(body, &r), RPC_CLASS_UNKNOWN);
		ck_assert(r.has_method);
		ck_assert_int_eq(r.method_truncated, n > RPC_METHOD_MAX);
		ck_assert_uint_eq(r.method_len, n > RPC_METHOD_MAX ? RPC_METHOD_MAX : n);
		ck_assert_mem_eq(r.method, name, r.method_len);
	}
	/* Escapes straddling the truncation point: \u00e9 is 2 bytes, only 1 fits. */
	memset(name, 'm', RPC_METHOD_MAX - 1);
	name[RPC_METHOD_MAX - 1] = '\0';
	(void)snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\\u00e9\"}", name);
	ck_assert_int_eq(classify_str(body, &r), RPC_CLASS_UNKNOWN);
	ck_assert(r.method_truncated);
	ck_assert_uint_eq(r.method_len, RPC_METHOD_MAX);
	ck_assert_int_eq((uint8_t)r.method[RPC_METHOD_MAX - 1], 0xc3);
}
END_TEST

START_TEST(test_null_table)
{
	struct rpc_result r;
	static const char body[] = "{\"jsonrpc\":\"2.0\",\"method\":\"author_insertKey\"}";

	rpc_classify(NULL, (const uint8_t *)body, sizeof(body) - 1, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_UNKNOWN);
	assert_method(&r, "author_insertKey");
	rpc_classify(table, NULL, 0, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
}
END_TEST

/* ---- ids ------------------------------------------------------------------- */

/* Classifies a call with id text <id> and checks the reported slice. */
static void check_id(const char *id, bool want)
{
	char body[256];
	struct rpc_result r;

	(void)snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"x\"}", id);
	classify_str(body, &r);
	ck_assert_msg(r.has_id == want, "%s", id);
	if (want) {
		ck_assert_uint_eq(r.id.len, strlen(id));
		ck_assert_mem_eq(r.id.p, id, r.id.len);
	} else {
		ck_assert_ptr_null(r.id.p);
		ck_assert_uint_eq(r.id.len, 0);
	}
}

START_TEST(test_ids)
{
	char id[RPC_ID_MAX + 8];
	struct rpc_result r;

	check_id("\"polkfura-1\"", true);
	check_id("\"a\\\"b\\u00e9\"", true);
	check_id("\"\"", true);
	check_id("0", true);
	check_id("-0.5E-2", true);
	check_id("123456789012345678901234567890", true);
	check_id("null", true);
	check_id("{\"n\":1}", false);
	check_id("[1]", false);
	check_id("true", false);
	/* RPC_ID_MAX raw bytes are reported, one more is not. */
	memset(id, '7', sizeof(id));
	id[RPC_ID_MAX] = '\0';
	check_id(id, true);
	id[RPC_ID_MAX] = '7';
	id[RPC_ID_MAX + 1] = '\0';
	check_id(id, false);
	id[0] = '"';
	id[RPC_ID_MAX - 1] = '"';
	id[RPC_ID_MAX] = '\0';
	check_id(id, true);

	/* Reported for an otherwise invalid call (for the error answer) ... */
	classify_str("{\"jsonrpc\":\"1.0\",\"id\":42,\"method\":\"system_health\"}", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(r.has_id);
	ck_assert_uint_eq(r.id.len, 2);
	ck_assert_mem_eq(r.id.p, "42", 2);
	ck_assert(!r.has_method);
	ck_assert_uint_eq(r.calls, 1);
	/* ... but not when the JSON is broken, the id is doubled, or there is none. */
	classify_str("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"system_health\"", &r);
	ck_assert(!r.has_id);
	classify_str("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"system_health\",\"id\":43}", &r);
	ck_assert(!r.has_id);
	classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\"}", &r);
	ck_assert(!r.has_id);
	ck_assert_int_eq(r.cls, RPC_CLASS_READ);
	/* A nested "id" is not the call's. */
	classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":{\"id\":5}}",
	             &r);
	ck_assert(!r.has_id);
	/* The slice points into the body. */
	{
		static const char body[] =
		    "{\"id\" : \"abc\" ,\"jsonrpc\":\"2.0\",\"method\":\"x\"}";

		rpc_classify(table, (const uint8_t *)body, sizeof(body) - 1, &r);
		ck_assert(r.has_id);
		ck_assert_ptr_eq(r.id.p, (const uint8_t *)body + 8);
		ck_assert_uint_eq(r.id.len, 5);
	}
}
END_TEST

/* ---- top level and results ------------------------------------------------ */

START_TEST(test_result_fields)
{
	struct rpc_result r;

	memset(&r, 0xa5, sizeof(r)); /* every field must be set, whatever was there */
	classify_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"state_call\",\"params\":[]}", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_HEAVY);
	ck_assert(!r.is_batch);
	ck_assert_uint_eq(r.calls, 1);
	ck_assert(!r.method_truncated);
	assert_method(&r, "state_call");

	memset(&r, 0xa5, sizeof(r));
	classify_str("\"system_health\"", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(!r.is_batch && !r.has_method && !r.has_id && !r.method_truncated);
	ck_assert_uint_eq(r.calls, 0);
	ck_assert_uint_eq(r.method_len, 0);

	memset(&r, 0xa5, sizeof(r));
	classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"x\"} x", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(!r.is_batch && !r.has_method && !r.has_id);
	ck_assert_uint_eq(r.calls, 0);

	/* An invalid single call is still one call. */
	classify_str("{}", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert_uint_eq(r.calls, 1);
	/* A truncated unsafe call decides nothing but invalid. */
	classify_str("{\"jsonrpc\":\"2.0\",\"method\":\"author_insertKey\",", &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(!r.has_method);
}
END_TEST

START_TEST(test_class_names)
{
	static const char *const names[RPC_CLASS_COUNT] = {
	    "read", "subscribe", "submit", "heavy", "unknown", "invalid", "unsafe", "oversize",
	};
	static const char *const not_table[] = {"unknown", "invalid", "oversize", "Read",
	                                        "",        "rea",     "reads",    "unsafe "};
	enum rpc_class c, got;
	size_t i;

	for (c = RPC_CLASS_READ; c < RPC_CLASS_COUNT; c++)
		ck_assert_str_eq(rpc_class_name(c), names[c]);
	ck_assert_str_eq(rpc_class_name(RPC_CLASS_COUNT), "invalid");
	ck_assert_str_eq(rpc_class_name((enum rpc_class) - 1), "invalid");
	/* The ordering the batch rule relies on. */
	ck_assert(RPC_CLASS_UNSAFE > RPC_CLASS_INVALID && RPC_CLASS_INVALID > RPC_CLASS_UNKNOWN &&
	          RPC_CLASS_UNKNOWN > RPC_CLASS_HEAVY && RPC_CLASS_HEAVY > RPC_CLASS_SUBMIT &&
	          RPC_CLASS_SUBMIT > RPC_CLASS_SUBSCRIBE && RPC_CLASS_SUBSCRIBE > RPC_CLASS_READ);
	for (c = RPC_CLASS_READ; c < RPC_CLASS_COUNT; c++) {
		bool in_table =
		    c != RPC_CLASS_UNKNOWN && c != RPC_CLASS_INVALID && c != RPC_CLASS_OVERSIZE;

		ck_assert_int_eq(rpc_class_parse(names[c], strlen(names[c]), &got), in_table);
		if (in_table)
			ck_assert_int_eq(got, c);
	}
	for (i = 0; i < PF_ARRAY_SIZE(not_table); i++)
		ck_assert(!rpc_class_parse(not_table[i], strlen(not_table[i]), &got));
	ck_assert(!rpc_class_parse(NULL, 0, &got));
	ck_assert(rpc_class_parse("readX", 4, &got));
	ck_assert_int_eq(got, RPC_CLASS_READ);
}
END_TEST

/* ---- regressions (fuzz findings) ------------------------------------------ */

/*
 * fuzz_rpc crash-3130db22: a batch whose first member has a method longer
 * than RPC_METHOD_MAX (unknown, truncated) and whose second member is invalid
 * came out invalid without a method but with method_truncated still set.
 */
START_TEST(test_regress_truncated_then_invalid)
{
	char body[512], name[RPC_METHOD_MAX + 20];
	struct rpc_result r;

	memset(name, 'm', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	(void)snprintf(body, sizeof(body),
	               "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":[]},"
	               "{\"jsonrpc\":\"2tExtrinsic\",\"params\":[\"0x2804\"]}]",
	               name);
	classify_str(body, &r);
	ck_assert_int_eq(r.cls, RPC_CLASS_INVALID);
	ck_assert(!r.has_method);
	ck_assert(!r.method_truncated);
	ck_assert_uint_eq(r.method_len, 0);
	ck_assert_uint_eq(r.calls, 2);
}
END_TEST

static Suite *rpc_suite(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc;

	tc = tcase_create("edge_cases");
	tcase_add_test(tc, test_edge_case_count);
	tcase_add_loop_test(tc, test_edge_case, 0, (int)n_edge);
	suite_add_tcase(s, tc);

	tc = tcase_create("real_requests");
	tcase_add_loop_test(tc, test_real_request, 0, (int)n_real);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 60); /* every split point, under sanitizers too */
	tcase_add_test(tc, test_split_points);
	tcase_add_test(tc, test_guard_page);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_depth_limit_batch);
	suite_add_tcase(s, tc);

	tc = tcase_create("batches");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_batch_5000);
	tcase_add_test(tc, test_batch_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("grammar");
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_literals_and_structure);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_string_offsets);
	tcase_add_test(tc, test_whitespace);
	suite_add_tcase(s, tc);

	tc = tcase_create("fast_paths");
	tcase_set_timeout(tc, 60); /* every offset and prefix, under sanitizers too */
	tcase_add_test(tc, test_fast_utf8);
	tcase_add_test(tc, test_fast_escapes);
	tcase_add_test(tc, test_fast_string_end);
	tcase_add_test(tc, test_fast_whitespace);
	tcase_add_test(tc, test_fast_digits);
	tcase_add_test(tc, test_fast_data_grammar);
	tcase_add_test(tc, test_fast_batch_members);
	suite_add_tcase(s, tc);

	tc = tcase_create("calls");
	tcase_add_test(tc, test_method_keys_in_params);
	tcase_add_test(tc, test_member_types);
	tcase_add_test(tc, test_method_lengths);
	tcase_add_test(tc, test_null_table);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_result_fields);
	tcase_add_test(tc, test_class_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("regressions");
	tcase_add_test(tc, test_regress_truncated_then_invalid);
	suite_add_tcase(s, tc);
	return s;
}

static void free_cases(struct rpc_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].body);
		free(cases[i].method);
	}
	free(cases);
}

int main(void)
{
	char err[512];
	SRunner *sr;
	size_t i;
	int failed;

	table = methods_load_file(METHODS_SHIPPED_PATH, err, sizeof(err));
	if (!table || !ref_table_read(METHODS_REF_PATH, &ref, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		methods_free(table);
		return EXIT_FAILURE;
	}
	load_edge_cases();
	load_real_requests();

	sr = srunner_create(rpc_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	free_cases(edge_cases, n_edge);
	free_cases(real_cases, n_real);
	for (i = 0; i < n_real; i++)
		free(real_ids[i]);
	methods_free(table);
	ref_table_free(&ref);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
