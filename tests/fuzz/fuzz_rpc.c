/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for spoa/rpc.c and spoa/methods.c, differential:
 *  - a reference written here from RFC 8259 and tests/data/README.md (a
 *    recursive-descent parser that shares no code with rpc.c's state machine)
 *    gives the whole expected result of rpc_classify(): class, batch flag,
 *    number of calls, the decoded method and its truncation, the id's raw
 *    text. Every field must match, with the fuzz table and with none;
 *  - the reference is itself checked against cJSON 1.7.15: run in "cJSON
 *    mode" (cJSON's known leniencies below, and nothing else), it must accept
 *    exactly what cJSON_ParseWithLengthOpts() accepts, and for a valid single
 *    call cJSON's "method" must be the decoded method;
 *  - invariants that hold whatever the reference says (check_result), and
 *    that the classifier is pure (a second run gives the same answer);
 *  - the input parsed as a methods table: every accepted row can be found.
 * cJSON's leniencies, as its 1.7.15 source has them (parse_value,
 * parse_string, utf16_literal_to_utf8, parse_hex4, parse_number,
 * buffer_skip_whitespace, skip_utf8_bom): every byte up to 0x20, NUL
 * included, is whitespace; raw control bytes and any byte >= 0x80 pass in
 * strings without a UTF-8 check; a \u escape whose four characters are not
 * all hex reads as \u0000; numbers are what strtod() takes of the run of
 * [-+0-9.eE] after a '-' or a digit (so 01, 1., -.5 and 1.e5); a UTF-8 BOM
 * before the text of at least 4 bytes is skipped; 1000 levels of nesting.
 * It is stricter than RFC 8259 in one way: an unpaired surrogate escape is
 * an error. Corpus: tests/fuzz/corpus/rpc/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "spoa/methods.h"
#include "spoa/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fails loudly in both libFuzzer and replay builds: libFuzzer and ASan catch the abort. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (PF_UNLIKELY(!(cond)))                                                          \
			fuzz_fail(#cond, __LINE__);                                                \
	} while (0)

static void fuzz_fail(const char *what, int line)
{
	(void)fprintf(stderr, "fuzz_rpc.c:%d: check failed: %s\n", line, what);
	abort();
}

#define REF_CJSON_DEPTH 1000 /* cJSON's CJSON_NESTING_LIMIT */

/* The fuzz table, as rows: the reference looks names up here, rpc.c in methods.c's hash. */
static const struct {
	const char *name;
	enum rpc_class cls;
} ref_rows[] = {
    {"system_health", RPC_CLASS_READ},
    {"chain_getHeader", RPC_CLASS_READ},
    {"chain_subscribeNewHeads", RPC_CLASS_SUBSCRIBE},
    {"author_submitExtrinsic", RPC_CLASS_SUBMIT},
    {"state_call", RPC_CLASS_HEAVY},
    {"author_insertKey", RPC_CLASS_UNSAFE},
    {"a", RPC_CLASS_UNSAFE},
};

static const struct methods *fuzz_table(void)
{
	static struct methods *table;
	char tsv[1024], err[256];
	size_t n, i;

	if (table != NULL)
		return table;
	n = (size_t)snprintf(tsv, sizeof(tsv), "method\tclass\tnote\n");
	for (i = 0; i < PF_ARRAY_SIZE(ref_rows); i++)
		n += (size_t)snprintf(tsv + n, sizeof(tsv) - n, "%s\t%s\t\n", ref_rows[i].name,
		                      rpc_class_name(ref_rows[i].cls));
	FUZZ_CHECK(n < sizeof(tsv));
	table = methods_parse(tsv, n, err, sizeof(err));
	FUZZ_CHECK(table != NULL);
	return table;
}

/* ---- the reference parser ---------------------------------------------------- */

enum ref_mode {
	REF_STRICT = 0, /* RFC 8259, the classifier's depth limit */
	REF_CJSON,      /* what cJSON 1.7.15 accepts */
};

enum ref_kind {
	RK_OBJECT = 0,
	RK_ARRAY,
	RK_STRING,
	RK_NUMBER,
	RK_TRUE,
	RK_FALSE,
	RK_NULL,
};

struct ref {
	const uint8_t *p, *end;
	enum ref_mode mode;
	unsigned depth, max_depth;
};

/* A decoded string; its first RPC_METHOD_MAX + 1 bytes are kept. */
struct ref_str {
	uint8_t b[RPC_METHOD_MAX + 1];
	size_t len; /* the whole decoded length */
	bool lone;  /* an unpaired surrogate escape (decoded as U+FFFD) */
	bool nul;   /* a U+0000 */
};

/* Members of a JSON-RPC call the rules look at. */
enum ref_member {
	RM_JSONRPC = 0,
	RM_METHOD,
	RM_PARAMS,
	RM_ID,
	RM_NONE,
};

/* What a call object said (tests/data/README.md, "Rules the cases encode"). */
struct ref_call {
	unsigned count[RM_NONE];
	bool bad;     /* a member of the wrong type, "2.0" missing, an unpaired surrogate */
	bool key_nul; /* a member name decodes with U+0000 (cJSON would cut it there) */
	struct ref_str method;
	bool id_ok; /* "id" is a string, number or null */
	const uint8_t *id;
	size_t id_len;
};

static bool ref_value(struct ref *r, struct ref_call *call, enum ref_kind *kind,
                      struct ref_str *str);

static bool ref_is_ws(const struct ref *r, uint8_t c)
{
	if (r->mode == REF_CJSON)
		return c <= 0x20;
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void ref_ws(struct ref *r)
{
	while (r->p < r->end && ref_is_ws(r, *r->p))
		r->p++;
}

static bool ref_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static void ref_put(struct ref_str *s, uint8_t c)
{
	if (s == NULL)
		return;
	if (s->len < sizeof(s->b))
		s->b[s->len] = c;
	s->len++;
	s->nul |= c == 0;
}

/* Appends code point <cp> as UTF-8. */
static void ref_put_cp(struct ref_str *s, uint32_t cp)
{
	if (cp < 0x80) {
		ref_put(s, (uint8_t)cp);
	} else if (cp < 0x800) {
		ref_put(s, (uint8_t)(0xc0 | cp >> 6));
		ref_put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		ref_put(s, (uint8_t)(0xe0 | cp >> 12));
		ref_put(s, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		ref_put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		ref_put(s, (uint8_t)(0xf0 | cp >> 18));
		ref_put(s, (uint8_t)(0x80 | (cp >> 12 & 0x3f)));
		ref_put(s, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		ref_put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

/* Four hex digits at <p> (the caller checked they are there); -1 if one is not hex. */
static int32_t ref_hex4(const uint8_t *p)
{
	int32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint8_t c = p[i];

		v <<= 4;
		if (ref_is_digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* One UTF-8 sequence at a byte >= 0x80, decoded the long way; -1 if ill-formed. */
static int32_t ref_utf8(struct ref *r)
{
	static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
	uint8_t c = *r->p;
	uint32_t cp;
	size_t n, i;

	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
	} else {
		return -1;
	}
	if ((size_t)(r->end - r->p) <= n)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((r->p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (r->p[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	r->p += n + 1;
	return (int32_t)cp;
}

/* RFC 8259 §7: the escape at r->p (a backslash), appended to <s>. */
static bool ref_escape(struct ref *r, struct ref_str *s)
{
	static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int32_t u, lo;

	if (r->end - r->p < 2)
		return false;
	if (r->p[1] != 'u') {
		e = r->p[1] != '\0' ? strchr(simple, r->p[1]) : NULL;
		if (e == NULL)
			return false;
		ref_put(s, (uint8_t)value[e - simple]);
		r->p += 2;
		return true;
	}
	if (r->end - r->p < 6 || (u = ref_hex4(r->p + 2)) < 0)
		return false;
	r->p += 6;
	if (u >= 0xd800 && u <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u' &&
	    (lo = ref_hex4(r->p + 2)) >= 0xdc00 && lo <= 0xdfff) {
		r->p += 6;
		ref_put_cp(s, 0x10000 + (uint32_t)((u - 0xd800) << 10 | (lo - 0xdc00)));
	} else if (u >= 0xd800 && u <= 0xdfff) {
		if (s != NULL)
			s->lone = true;
		ref_put_cp(s, 0xfffd);
	} else {
		ref_put_cp(s, (uint32_t)u);
	}
	return true;
}

/* A string, r->p at its opening quote, RFC 8259 §7 and §8.1 (UTF-8). */
static bool ref_string_strict(struct ref *r, struct ref_str *s)
{
	r->p++;
	for (;;) {
		int32_t cp;
		uint8_t c;

		if (r->p == r->end)
			return false;
		c = *r->p;
		if (c == '"') {
			r->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (!ref_escape(r, s))
				return false;
		} else if (c < 0x80) {
			ref_put(s, c);
			r->p++;
		} else {
			if ((cp = ref_utf8(r)) < 0)
				return false;
			ref_put_cp(s, (uint32_t)cp);
		}
	}
}

/* cJSON's parse_hex4(): 0 when any of the four is not a hex digit. */
static int32_t ref_cjson_hex4(const uint8_t *p)
{
	int32_t v = ref_hex4(p);

	return v < 0 ? 0 : v;
}

/*
 * A string as cJSON's parse_string() reads it: first the closing quote (a
 * backslash skips the next byte), then the escapes between.
 */
static bool ref_string_cjson(struct ref *r, struct ref_str *s)
{
	size_t left = (size_t)(r->end - r->p) - 1, i = 0;
	const uint8_t *q, *p;

	while (i < left && r->p[1 + i] != '"')
		i += r->p[1 + i] == '\\' ? 2 : 1;
	if (i >= left)
		return false;
	q = r->p + 1 + i;
	for (p = r->p + 1; p < q;) {
		int32_t u, lo;

		if (*p != '\\') {
			ref_put(s, *p++);
			continue;
		}
		if (p[1] != 'u') {
			if (p[1] == '\0' || strchr("\"\\/bfnrt", p[1]) == NULL)
				return false;
			ref_put(s, p[1]);
			p += 2;
			continue;
		}
		if (q - p < 6)
			return false;
		u = ref_cjson_hex4(p + 2);
		if (u >= 0xdc00 && u <= 0xdfff)
			return false;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (q - (p + 6) < 6 || p[6] != '\\' || p[7] != 'u')
				return false;
			lo = ref_cjson_hex4(p + 8);
			if (lo < 0xdc00 || lo > 0xdfff)
				return false;
			ref_put_cp(s, 0x10000 + (uint32_t)((u & 0x3ff) << 10 | (lo & 0x3ff)));
			p += 12;
		} else {
			ref_put_cp(s, (uint32_t)u);
			p += 6;
		}
	}
	r->p = q + 1;
	return true;
}

static bool ref_string(struct ref *r, struct ref_str *s)
{
	if (s != NULL)
		memset(s, 0, sizeof(*s));
	return r->mode == REF_STRICT ? ref_string_strict(r, s) : ref_string_cjson(r, s);
}

static void ref_digits(struct ref *r)
{
	while (r->p < r->end && ref_is_digit(*r->p))
		r->p++;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool ref_number_strict(struct ref *r)
{
	if (*r->p == '-')
		r->p++;
	if (r->p == r->end || !ref_is_digit(*r->p))
		return false;
	if (*r->p++ != '0')
		ref_digits(r);
	if (r->p < r->end && *r->p == '.') {
		if (++r->p == r->end || !ref_is_digit(*r->p))
			return false;
		ref_digits(r);
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		if (++r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p == r->end || !ref_is_digit(*r->p))
			return false;
		ref_digits(r);
	}
	return true;
}

/* What strtod() takes: -? (digits (. digits*)? | . digits+) ([eE] [+-]? digits+)? */
static bool ref_number_cjson(struct ref *r)
{
	const uint8_t *m;

	if (*r->p == '-')
		r->p++;
	m = r->p;
	ref_digits(r);
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		ref_digits(r);
	}
	if (r->p - m == 0 || (r->p - m == 1 && *m == '.'))
		return false;
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		const uint8_t *e = r->p + 1;

		if (e < r->end && (*e == '+' || *e == '-'))
			e++;
		if (e < r->end && ref_is_digit(*e)) {
			r->p = e;
			ref_digits(r);
		}
	}
	return true;
}

static enum ref_member ref_member_of(const struct ref_str *k)
{
	static const char *const names[RM_NONE] = {"jsonrpc", "method", "params", "id"};
	int i;

	for (i = 0; i < RM_NONE; i++)
		if (k->len == strlen(names[i]) && memcmp(k->b, names[i], k->len) == 0)
			return (enum ref_member)i;
	return RM_NONE;
}

static bool ref_open(struct ref *r)
{
	if (r->depth == r->max_depth)
		return false;
	r->depth++;
	r->p++;
	ref_ws(r);
	return r->p < r->end;
}

/* A member of call <c> named <m>: its value, checked by the rules. */
static bool ref_call_member(struct ref *r, struct ref_call *c, enum ref_member m)
{
	const uint8_t *start = r->p;
	struct ref_str s;
	enum ref_kind kind;

	if (!ref_value(r, NULL, &kind, &s))
		return false;
	if (m == RM_NONE)
		return true;
	if (++c->count[m] > 1)
		c->bad = true;
	switch (m) {
	case RM_JSONRPC:
		if (kind != RK_STRING || s.lone || s.len != 3 || memcmp(s.b, "2.0", 3) != 0)
			c->bad = true;
		break;
	case RM_METHOD:
		if (kind != RK_STRING || s.lone)
			c->bad = true;
		c->method = s;
		break;
	case RM_PARAMS:
		if (kind != RK_OBJECT && kind != RK_ARRAY)
			c->bad = true;
		break;
	default: /* RM_ID */
		c->id_ok = kind == RK_STRING || kind == RK_NUMBER || kind == RK_NULL;
		c->bad |= !c->id_ok || (kind == RK_STRING && s.lone);
		c->id = start;
		c->id_len = (size_t)(r->p - start);
		break;
	}
	return true;
}

/* An object at r->p; a call's members are judged into <c> when it is not NULL. */
static bool ref_object(struct ref *r, struct ref_call *c)
{
	if (c != NULL)
		memset(c, 0, sizeof(*c));
	if (!ref_open(r))
		return false;
	if (*r->p == '}')
		goto close;
	for (;;) {
		struct ref_str key;

		if (r->p == r->end || *r->p != '"' || !ref_string(r, c != NULL ? &key : NULL))
			return false;
		ref_ws(r);
		if (r->p == r->end || *r->p != ':')
			return false;
		r->p++;
		ref_ws(r);
		if (c != NULL) {
			c->bad |= key.lone;
			c->key_nul |= key.nul;
		}
		if (!ref_call_member(r, c, c != NULL ? ref_member_of(&key) : RM_NONE))
			return false;
		ref_ws(r);
		if (r->p == r->end)
			return false;
		if (*r->p == '}')
			break;
		if (*r->p != ',')
			return false;
		r->p++;
		ref_ws(r);
	}
close:
	r->p++;
	r->depth--;
	return true;
}

/* One batch member or array element, as the batch fold needs it. */
typedef void ref_elem_cb_fn(void *arg, bool is_object, const struct ref_call *c);

/* An array at r->p; <each> (may be NULL) sees its elements, objects judged as calls. */
static bool ref_array(struct ref *r, ref_elem_cb_fn *each, void *arg)
{
	if (!ref_open(r))
		return false;
	if (*r->p == ']')
		goto close;
	for (;;) {
		struct ref_call call;
		enum ref_kind kind;
		bool obj = r->p < r->end && *r->p == '{';

		if (!ref_value(r, each != NULL && obj ? &call : NULL, &kind, NULL))
			return false;
		if (each != NULL)
			each(arg, obj, &call);
		ref_ws(r);
		if (r->p == r->end)
			return false;
		if (*r->p == ']')
			break;
		if (*r->p != ',')
			return false;
		r->p++;
		ref_ws(r);
	}
close:
	r->p++;
	r->depth--;
	return true;
}

static bool ref_literal(struct ref *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0)
		return false;
	r->p += n;
	return true;
}

/*
 * A value at r->p (not whitespace). <call> receives an object's call
 * members, <str> a string's decoded text; both may be NULL.
 */
static bool ref_value(struct ref *r, struct ref_call *call, enum ref_kind *kind,
                      struct ref_str *str)
{
	if (r->p == r->end)
		return false;
	switch (*r->p) {
	case '{':
		*kind = RK_OBJECT;
		return ref_object(r, call);
	case '[':
		*kind = RK_ARRAY;
		return ref_array(r, NULL, NULL);
	case '"':
		*kind = RK_STRING;
		return ref_string(r, str);
	case 't':
		*kind = RK_TRUE;
		return ref_literal(r, "true");
	case 'f':
		*kind = RK_FALSE;
		return ref_literal(r, "false");
	case 'n':
		*kind = RK_NULL;
		return ref_literal(r, "null");
	default:
		*kind = RK_NUMBER;
		if (*r->p != '-' && !ref_is_digit(*r->p))
			return false;
		return r->mode == REF_STRICT ? ref_number_strict(r) : ref_number_cjson(r);
	}
}

/* ---- the reference classifier -------------------------------------------------- */

static enum rpc_class ref_lookup(const struct ref_str *m, bool with_table)
{
	size_t i;

	if (!with_table || m->len > RPC_METHOD_MAX)
		return RPC_CLASS_UNKNOWN;
	for (i = 0; i < PF_ARRAY_SIZE(ref_rows); i++)
		if (strlen(ref_rows[i].name) == m->len &&
		    memcmp(ref_rows[i].name, m->b, m->len) == 0)
			return ref_rows[i].cls;
	return RPC_CLASS_UNKNOWN;
}

static enum rpc_class ref_call_class(const struct ref_call *c, bool with_table)
{
	if (c->bad || c->count[RM_JSONRPC] != 1 || c->count[RM_METHOD] != 1)
		return RPC_CLASS_INVALID;
	return ref_lookup(&c->method, with_table);
}

/* Sets the method of <res> from call <c>. */
static void ref_set_method(struct rpc_result *res, const struct ref_call *c)
{
	res->has_method = true;
	res->method_truncated = c->method.len > RPC_METHOD_MAX;
	res->method_len = res->method_truncated ? RPC_METHOD_MAX : c->method.len;
	memcpy(res->method, c->method.b, res->method_len);
}

struct ref_batch {
	struct rpc_result *res;
	bool with_table;
	int best;
	struct ref_call first; /* the member that reached <best> first */
};

/* ref_elem_cb_fn: the batch order of tests/data/README.md. */
static void ref_batch_cb(void *arg, bool is_object, const struct ref_call *c)
{
	struct ref_batch *b = arg;
	enum rpc_class cls = is_object ? ref_call_class(c, b->with_table) : RPC_CLASS_INVALID;

	b->res->calls++;
	if ((int)cls > b->best) {
		b->best = (int)cls;
		if (cls != RPC_CLASS_INVALID)
			b->first = *c;
	}
}

/*
 * What rpc_classify() must give for <data>/<size>. Returns false when the
 * body is not JSON for the strict reference; <res> then says invalid.
 * <*key_nul> tells whether a single call has a member name with U+0000.
 */
static bool ref_classify(const uint8_t *data, size_t size, bool with_table, struct rpc_result *res,
                         bool *key_nul)
{
	struct ref r = {data, data + size, REF_STRICT, 0, RPC_MAX_DEPTH};
	struct ref_batch b;
	struct ref_call call;
	enum ref_kind kind = RK_NULL;
	bool ok;

	memset(&b, 0, sizeof(b));
	b.res = res;
	b.with_table = with_table;
	b.best = -1;
	*key_nul = false;
	memset(res, 0, sizeof(*res));
	res->cls = RPC_CLASS_INVALID;
	ref_ws(&r);
	if (r.p < r.end && *r.p == '[') {
		res->is_batch = true;
		ok = ref_array(&r, ref_batch_cb, &b);
	} else {
		ok = ref_value(&r, &call, &kind, NULL);
	}
	ref_ws(&r);
	if (!ok || r.p != r.end) {
		memset(res, 0, sizeof(*res));
		res->cls = RPC_CLASS_INVALID;
		return false;
	}
	if (res->is_batch) {
		if (res->calls > 0 && b.best != RPC_CLASS_INVALID) {
			res->cls = (enum rpc_class)b.best;
			ref_set_method(res, &b.first);
		}
	} else if (kind == RK_OBJECT) {
		*key_nul = call.key_nul;
		res->calls = 1;
		res->cls = ref_call_class(&call, with_table);
		if (res->cls != RPC_CLASS_INVALID)
			ref_set_method(res, &call);
		if (call.count[RM_ID] == 1 && call.id_ok && call.id_len <= RPC_ID_MAX) {
			res->has_id = true;
			res->id = (struct pf_slice){call.id, call.id_len};
		}
	}
	return true;
}

/* Every field of the classifier's result against the reference's. */
static void check_against_ref(const struct rpc_result *got, const struct rpc_result *want)
{
	FUZZ_CHECK(got->cls == want->cls);
	FUZZ_CHECK(got->is_batch == want->is_batch);
	FUZZ_CHECK(got->calls == want->calls);
	FUZZ_CHECK(got->has_method == want->has_method);
	FUZZ_CHECK(got->method_truncated == want->method_truncated);
	FUZZ_CHECK(got->method_len == want->method_len);
	FUZZ_CHECK(memcmp(got->method, want->method, want->method_len) == 0);
	FUZZ_CHECK(got->has_id == want->has_id);
	FUZZ_CHECK(got->id.p == want->id.p && got->id.len == want->id.len);
}

/* ---- the reference against cJSON --------------------------------------------- */

/* Whether cJSON, as modelled here, accepts <data>/<size>. */
static bool ref_cjson_accepts(const uint8_t *data, size_t size)
{
	struct ref r = {data, data + size, REF_CJSON, 0, REF_CJSON_DEPTH};
	enum ref_kind kind;

	if (size >= 4 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;
	ref_ws(&r);
	if (!ref_value(&r, NULL, &kind, NULL))
		return false;
	ref_ws(&r);
	return r.p == r.end;
}

/*
 * cJSON in strict mode (the NUL terminator required right after the text)
 * accepts what the model says; for a valid single call its "method" is the
 * reference's decoded method, up to a U+0000 (cJSON strings are C strings;
 * so a call with U+0000 in a member name, which cJSON would read as a shorter
 * name, is not compared).
 */
static void check_cjson(const uint8_t *data, size_t size, const struct rpc_result *want,
                        bool strict_ok, bool key_nul)
{
	char *text = malloc(size + 1);
	const cJSON *m;
	cJSON *root;
	size_t n;

	if (text == NULL || size == 0) {
		free(text);
		return;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	root = cJSON_ParseWithLengthOpts(text, size + 1, NULL, 1);
	FUZZ_CHECK((root != NULL) == ref_cjson_accepts(data, size));
	if (root != NULL && strict_ok && !key_nul && !want->is_batch && want->has_method &&
	    !want->method_truncated) {
		m = cJSON_GetObjectItemCaseSensitive(root, "method");
		FUZZ_CHECK(cJSON_IsString(m));
		n = strlen(m->valuestring);
		FUZZ_CHECK(n <= want->method_len);
		FUZZ_CHECK(memcmp(m->valuestring, want->method, n) == 0);
		FUZZ_CHECK(n == want->method_len || want->method[n] == '\0');
	}
	cJSON_Delete(root);
	free(text);
}

/* ---- invariants ------------------------------------------------------------------ */

static void check_result(const uint8_t *data, size_t size, const struct rpc_result *r)
{
	FUZZ_CHECK((unsigned)r->cls < RPC_CLASS_OVERSIZE);
	if (r->has_method) {
		FUZZ_CHECK(r->method_len <= RPC_METHOD_MAX);
		FUZZ_CHECK(!r->method_truncated || r->method_len == RPC_METHOD_MAX);
		FUZZ_CHECK(r->cls != RPC_CLASS_INVALID);
		FUZZ_CHECK(!r->method_truncated || r->cls == RPC_CLASS_UNKNOWN);
	} else {
		/* Every valid request has a method; only invalid ones lack it. */
		FUZZ_CHECK(r->cls == RPC_CLASS_INVALID && !r->method_truncated &&
		           r->method_len == 0);
	}
	if (r->has_id) {
		FUZZ_CHECK(!r->is_batch && r->id.len > 0 && r->id.len <= RPC_ID_MAX);
		FUZZ_CHECK(r->id.p >= data && r->id.p + r->id.len <= data + size);
	} else {
		FUZZ_CHECK(r->id.p == NULL && r->id.len == 0);
	}
	/* Single calls are 0 or 1; a batch counts members; a valid body has calls. */
	FUZZ_CHECK(r->is_batch || r->calls <= 1);
	FUZZ_CHECK(r->cls == RPC_CLASS_INVALID || r->calls > 0);
	FUZZ_CHECK(r->calls <= size / 2);
}

/* An accepted table must answer for each of its rows: re-walk the text. */
static void check_table(const uint8_t *data, size_t size, const struct methods *m)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t rows = 0;
	enum rpc_class cls;

	nl = memchr(p, '\n', size);
	p = nl ? nl + 1 : end; /* skip the header */
	while (p < end) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_CHECK(tab != NULL && (nl == NULL || tab < nl));
		FUZZ_CHECK(methods_lookup(m, p, (size_t)(tab - p), &cls));
		FUZZ_CHECK(cls == RPC_CLASS_READ || cls == RPC_CLASS_HEAVY ||
		           cls == RPC_CLASS_SUBMIT || cls == RPC_CLASS_SUBSCRIBE ||
		           cls == RPC_CLASS_UNSAFE);
		rows++;
		p = nl ? nl + 1 : end;
	}
	FUZZ_CHECK(rows == methods_count(m) && rows > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	struct rpc_result r, r2, want;
	struct methods *m;
	char err[128];
	bool ok, key_nul;

	if (data == NULL) /* replay of an empty file may hand in malloc(0) == NULL */
		data = empty;
	rpc_classify(fuzz_table(), data, size, &r);
	check_result(data, size, &r);
	ok = ref_classify(data, size, true, &want, &key_nul);
	check_against_ref(&r, &want);
	check_cjson(data, size, &want, ok, key_nul);
	/* Pure: a second run gives the same answer. */
	rpc_classify(fuzz_table(), data, size, &r2);
	check_against_ref(&r2, &r);
	/* Without a table nothing is known, so nothing can be unsafe. */
	rpc_classify(NULL, data, size, &r2);
	(void)ref_classify(data, size, false, &want, &key_nul);
	check_against_ref(&r2, &want);

	err[0] = '\0';
	m = methods_parse((const char *)data, size, err, sizeof(err));
	if (m) {
		check_table(data, size, m);
		methods_free(m);
	} else {
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
	}
	return 0;
}
