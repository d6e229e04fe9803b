/* SPDX-License-Identifier: MIT */
/*
 * Records to spool lines and back, and to SQL (see reccodec.h). One table
 * per kind names every field with its JSON key, type, place in struct
 * db_record and limit, so the encoder, the decoder and the validator read
 * the same description and cannot drift apart.
 */
#include "ctl/db/reccodec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/text.h"

enum fty {
	F_IDENT = 0, /* text without control characters */
	F_TEXT,      /* any UTF-8 text without NUL */
	F_U32,       /* an integer column: 0..INT32_MAX */
	F_U64,       /* a bigint column: 0..INT64_MAX */
	F_TIME,      /* ms since the epoch, REC_AT_MIN_MS..REC_AT_END_MS */
	F_HIST,      /* struct rec_hist, as "le:count,le:count" */
};

#define NO_HAS ((size_t)-1)
#define U(m)   offsetof(struct db_record, u.m)

struct field {
	const char *key;
	enum fty type;
	size_t off;    /* in struct db_record */
	size_t size;   /* buffer size, for text */
	size_t has;    /* offset of the bool that says a number is set, or NO_HAS */
	bool nonempty; /* text that may not be "" */
};

#define IDENT(k, m, ne)                                                                            \
	{                                                                                          \
		k, F_IDENT, U(m), sizeof(((struct db_record *)0)->u.m), NO_HAS, ne                 \
	}
#define TEXT(k, m)                                                                                 \
	{                                                                                          \
		k, F_TEXT, U(m), sizeof(((struct db_record *)0)->u.m), NO_HAS, false               \
	}
#define NUM(k, t, m)                                                                               \
	{                                                                                          \
		k, t, U(m), 0, NO_HAS, false                                                       \
	}
#define OPTNUM(k, t, m, h)                                                                         \
	{                                                                                          \
		k, t, U(m), 0, U(h), false                                                         \
	}
#define FIELDS_MAX 16

static const struct field common_fields[] = {
    {"id", F_IDENT, offsetof(struct db_record, id), REC_ID_MAX + 1, NO_HAS, true},
    {"region", F_IDENT, offsetof(struct db_record, region), REC_REGION_MAX + 1, NO_HAS, true},
    {"at", F_TIME, offsetof(struct db_record, at_ms), 0, NO_HAS, false},
};

static const struct field node_fields[] = {
    IDENT("chain", node.chain, true),
    IDENT("node", node.node, true),
    IDENT("from", node.from, true),
    IDENT("to", node.to, true),
    TEXT("reason", node.reason),
    OPTNUM("best", F_U64, node.best, node.has_best),
    OPTNUM("finalized", F_U64, node.finalized, node.has_finalized),
    OPTNUM("lag", F_U64, node.lag, node.has_lag),
    OPTNUM("peers", F_U32, node.peers, node.has_peers),
};

static const struct field chain_fields[] = {
    IDENT("session", chain.session, true), IDENT("chain", chain.chain, true),
    IDENT("from", chain.from, true),       IDENT("to", chain.to, true),
    TEXT("reason", chain.reason),          NUM("total", F_U32, chain.total),
    NUM("healthy", F_U32, chain.healthy),  NUM("in_rotation", F_U32, chain.in_rotation),
};

static const struct field open_fields[] = {
    IDENT("chain", open.chain, false),      IDENT("incident_kind", open.kind, true),
    IDENT("severity", open.severity, true), TEXT("summary", open.summary),
    IDENT("nodes", open.nodes, false),
};

static const struct field close_fields[] = {
    TEXT("summary", close.summary),
};

static const struct field op_fields[] = {
    IDENT("op_kind", op.kind, true),
    TEXT("who", op.who),
    TEXT("reason", op.reason),
    TEXT("summary", op.summary),
};

static const struct field sample_fields[] = {
    IDENT("chain", sample.chain, true),
    NUM("total", F_U32, sample.total),
    NUM("healthy", F_U32, sample.healthy),
    NUM("in_rotation", F_U32, sample.in_rotation),
    OPTNUM("ref_height", F_U64, sample.ref_height, sample.has_ref_height),
};

static const struct field beat_fields[] = {
    IDENT("controller", beat.controller, true),
    NUM("started", F_TIME, beat.started_ms),
};

static const struct field usage_fields[] = {
    IDENT("controller", usage.controller, true),
    IDENT("chain", usage.chain, false),
    IDENT("method", usage.method, false),
    IDENT("class", usage.cls, false),
    IDENT("status", usage.status, false),
    NUM("requests", F_U64, usage.requests),
    NUM("errors", F_U64, usage.errors),
    NUM("calls", F_U64, usage.calls),
    NUM("bytes", F_U64, usage.bytes),
    NUM("node_ms", F_U64, usage.node_ms),
    NUM("ta_count", F_U64, usage.ta_count),
    NUM("ta_sum_ms", F_U64, usage.ta_sum_ms),
    NUM("ta", F_HIST, usage.ta),
};

static const struct kind_desc {
	const char *name;
	const struct field *fields;
	size_t n;
} kinds[REC_KIND_COUNT] = {
    [REC_NODE_CHANGE] = {"node_change", node_fields, PF_ARRAY_SIZE(node_fields)},
    [REC_CHAIN_CHANGE] = {"chain_change", chain_fields, PF_ARRAY_SIZE(chain_fields)},
    [REC_INCIDENT_OPEN] = {"incident_open", open_fields, PF_ARRAY_SIZE(open_fields)},
    [REC_INCIDENT_CLOSE] = {"incident_close", close_fields, PF_ARRAY_SIZE(close_fields)},
    [REC_OP_CHANGE] = {"op_change", op_fields, PF_ARRAY_SIZE(op_fields)},
    [REC_SAMPLE] = {"sample", sample_fields, PF_ARRAY_SIZE(sample_fields)},
    [REC_SESSION_BEAT] = {"session_beat", beat_fields, PF_ARRAY_SIZE(beat_fields)},
    [REC_USAGE] = {"usage", usage_fields, PF_ARRAY_SIZE(usage_fields)},
};

_Static_assert(PF_ARRAY_SIZE(usage_fields) + 3 <= 32, "decode_object's bit mask of keys seen");

const char *rec_kind_name(enum rec_kind k)
{
	return (unsigned)k < REC_KIND_COUNT ? kinds[k].name : NULL;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_is_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static bool text_ok(const struct field *f, const char *s, char *err, size_t errlen)
{
	size_t len = strnlen(s, f->size);

	if (len == f->size) {
		pf_errf(err, errlen, "%s: longer than %zu bytes", f->key, f->size - 1);
		return false;
	}
	if (f->nonempty && len == 0) {
		pf_errf(err, errlen, "%s: empty", f->key);
		return false;
	}
	if (!utf8_is_valid((const unsigned char *)s, len)) {
		pf_errf(err, errlen, "%s: not UTF-8", f->key);
		return false;
	}
	if (f->type == F_IDENT && !pf_text_has_no_controls(s, len)) {
		pf_errf(err, errlen, "%s: holds a control character", f->key);
		return false;
	}
	return true;
}

/* Bounds strictly ascending in 1..INT32_MAX, counts in 1..INT64_MAX. */
static bool hist_ok(const struct field *f, const struct rec_hist *h, char *err, size_t errlen)
{
	if (h->n > REC_HIST_MAX) {
		pf_errf(err, errlen, "%s: more than %d buckets", f->key, REC_HIST_MAX);
		return false;
	}
	for (uint32_t i = 0; i < h->n; i++) {
		if (h->le_ms[i] == 0 || h->le_ms[i] > INT32_MAX ||
		    (i > 0 && h->le_ms[i] <= h->le_ms[i - 1])) {
			pf_errf(err, errlen, "%s: bounds must ascend within 1..%d", f->key,
			        INT32_MAX);
			return false;
		}
		if (h->count[i] == 0 || h->count[i] > INT64_MAX) {
			pf_errf(err, errlen, "%s: a count must be 1..%" PRId64, f->key, INT64_MAX);
			return false;
		}
	}
	return true;
}

static bool field_ok(const struct field *f, const struct db_record *r, char *err, size_t errlen)
{
	const char *base = (const char *)r;
	int64_t t;
	uint64_t v;
	uint32_t w;

	switch (f->type) {
	case F_IDENT:
	case F_TEXT:
		return text_ok(f, base + f->off, err, errlen);
	case F_U32:
		memcpy(&w, base + f->off, sizeof(w));
		if (w > INT32_MAX) {
			pf_errf(err, errlen, "%s: %" PRIu32 " is over %d", f->key, w, INT32_MAX);
			return false;
		}
		return true;
	case F_U64:
		memcpy(&v, base + f->off, sizeof(v));
		if (v > INT64_MAX) {
			pf_errf(err, errlen, "%s: %" PRIu64 " is over %" PRId64, f->key, v,
			        INT64_MAX);
			return false;
		}
		return true;
	case F_TIME:
		memcpy(&t, base + f->off, sizeof(t));
		if (t < REC_AT_MIN_MS || t >= REC_AT_END_MS) {
			pf_errf(err, errlen, "%s: %" PRId64 " ms is outside 2000-2099", f->key, t);
			return false;
		}
		return true;
	case F_HIST:
		return hist_ok(f, (const struct rec_hist *)(const void *)(base + f->off), err,
		               errlen);
	}
	return false;
}

static bool fields_ok(const struct field *fs, size_t n, const struct db_record *r, char *err,
                      size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (!field_ok(&fs[i], r, err, errlen))
			return false;
	return true;
}

/* rpc_minutes' CHECKs, and what the writer promises about a row. */
static bool usage_ok(const struct db_record *r, char *err, size_t errlen)
{
	static const char *const statuses[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx", ""};
	const struct rec_usage *u = &r->u.usage;
	uint64_t sum = 0;
	bool known = false;

	if (r->at_ms % 60000 != 0) {
		pf_errf(err, errlen, "at: a usage row's minute must be a multiple of 60000 ms");
		return false;
	}
	for (size_t i = 0; i < PF_ARRAY_SIZE(statuses); i++)
		known = known || strcmp(u->status, statuses[i]) == 0;
	if (!known) {
		pf_errf(err, errlen, "status: not none, 1xx ... 5xx or \"\"");
		return false;
	}
	if (u->status[0] == '\0' &&
	    (u->chain[0] != '\0' || u->method[0] != '\0' || u->cls[0] != '\0')) {
		pf_errf(err, errlen,
		        "status: the overflow row (\"\") has no chain, method or class");
		return false;
	}
	if (u->status[0] != '\0' && u->cls[0] == '\0') {
		pf_errf(err, errlen, "class: empty");
		return false;
	}
	for (uint32_t i = 0; i < u->ta.n && i < REC_HIST_MAX; i++) {
		if (u->ta.count[i] > UINT64_MAX - sum) {
			pf_errf(err, errlen, "ta: counts add up to more than 2^64");
			return false;
		}
		sum += u->ta.count[i];
	}
	if (sum != u->ta_count) {
		pf_errf(err, errlen, "ta: counts add up to %" PRIu64 ", ta_count is %" PRIu64, sum,
		        u->ta_count);
		return false;
	}
	return true;
}

bool rec_is_valid(const struct db_record *r, char *err, size_t errlen)
{
	if ((unsigned)r->kind >= REC_KIND_COUNT) {
		pf_errf(err, errlen, "kind %d unknown", (int)r->kind);
		return false;
	}
	if (!fields_ok(common_fields, PF_ARRAY_SIZE(common_fields), r, err, errlen) ||
	    !fields_ok(kinds[r->kind].fields, kinds[r->kind].n, r, err, errlen))
		return false;
	/* minute_samples' CHECK: a minute starts on a whole minute. */
	if (r->kind == REC_SAMPLE && r->at_ms % 60000 != 0) {
		pf_errf(err, errlen, "at: a sample's minute must be a multiple of 60000 ms");
		return false;
	}
	return r->kind != REC_USAGE || usage_ok(r, err, errlen);
}

static bool has_of(const struct field *f, const struct db_record *r)
{
	bool b = true;

	if (f->has != NO_HAS)
		memcpy(&b, (const char *)r + f->has, sizeof(b));
	return b;
}

/* "le:count,le:count" of <h> into <buf>, which HIST_TEXT_MAX bytes always hold. */
#define HIST_TEXT_MAX (REC_HIST_MAX * 32 + 1)
static const char *hist_text(const struct rec_hist *h, char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < h->n && w < len; i++)
		w += (size_t)snprintf(buf + w, len - w, "%s%" PRIu32 ":%" PRIu64, i ? "," : "",
		                      h->le_ms[i], h->count[i]);
	return buf;
}

/* The field's number in decimal into <buf>; its text is returned as is. */
static const char *field_text(const struct field *f, const struct db_record *r, char *buf,
                              size_t len)
{
	const char *p = (const char *)r + f->off;
	int64_t t;
	uint64_t v;
	uint32_t w;

	switch (f->type) {
	case F_HIST:
		return hist_text((const struct rec_hist *)(const void *)p, buf, len);
	case F_IDENT:
	case F_TEXT:
		return p;
	case F_U32:
		memcpy(&w, p, sizeof(w));
		(void)snprintf(buf, len, "%" PRIu32, w);
		return buf;
	case F_U64:
		memcpy(&v, p, sizeof(v));
		(void)snprintf(buf, len, "%" PRIu64, v);
		return buf;
	case F_TIME:
		memcpy(&t, p, sizeof(t));
		(void)snprintf(buf, len, "%" PRId64, t);
		return buf;
	}
	return "";
}

static bool add_fields(cJSON *o, const struct field *fs, size_t n, const struct db_record *r)
{
	char num[HIST_TEXT_MAX];

	for (size_t i = 0; i < n; i++) {
		if (!has_of(&fs[i], r))
			continue;
		if (cJSON_AddStringToObject(o, fs[i].key,
		                            field_text(&fs[i], r, num, sizeof(num))) == NULL)
			return false;
	}
	return true;
}

int rec_line_encode(const struct db_record *r, char *out, size_t outlen, char *err, size_t errlen)
{
	cJSON *o;
	char *text = NULL;
	size_t len;
	int rc = -1;

	if (!rec_is_valid(r, err, errlen))
		return -1;
	o = cJSON_CreateObject();
	if (o == NULL || cJSON_AddStringToObject(o, "kind", kinds[r->kind].name) == NULL ||
	    !add_fields(o, common_fields, PF_ARRAY_SIZE(common_fields), r) ||
	    !add_fields(o, kinds[r->kind].fields, kinds[r->kind].n, r) ||
	    (text = cJSON_PrintUnformatted(o)) == NULL) {
		pf_errf(err, errlen, "out of memory");
		goto out;
	}
	len = strlen(text);
	if (len + 1 > outlen || len + 1 > REC_LINE_MAX) {
		pf_errf(err, errlen, "line of %zu bytes does not fit", len + 1);
		goto out;
	}
	memcpy(out, text, len);
	out[len] = '\n';
	rc = (int)len + 1;
out:
	free(text);
	cJSON_Delete(o);
	return rc;
}

/* Decimal digits only (a '-' first for a time), no leading zero, within the type's range. */
static bool parse_num(const struct field *f, const char *s, char *base, char *err, size_t errlen)
{
	const char *digits = s[0] == '-' && f->type == F_TIME ? s + 1 : s;
	size_t n = strlen(digits);
	char *end;

	if (n == 0 || n > 20 || strspn(digits, "0123456789") != n || (digits[0] == '0' && n > 1)) {
		pf_errf(err, errlen, "%s: not a decimal integer", f->key);
		return false;
	}
	errno = 0;
	if (f->type == F_TIME) {
		long long t = strtoll(s, &end, 10);
		int64_t v = t;

		if (errno != 0)
			goto range;
		memcpy(base + f->off, &v, sizeof(v));
	} else {
		unsigned long long u = strtoull(s, &end, 10);

		if (errno != 0)
			goto range;
		if (f->type == F_U32) {
			uint32_t w = (uint32_t)u;

			if (u > UINT32_MAX)
				goto range;
			memcpy(base + f->off, &w, sizeof(w));
		} else {
			uint64_t v = u;

			memcpy(base + f->off, &v, sizeof(v));
		}
		if (f->has != NO_HAS)
			base[f->has] = 1;
	}
	return true;
range:
	pf_errf(err, errlen, "%s: out of range", f->key);
	return false;
}

/* "le:count,..." (or "") in decimal without leading zeros; hist_ok() judges the values. */
static bool parse_hist(const struct field *f, const char *s, struct rec_hist *h, char *err,
                       size_t errlen)
{
	memset(h, 0, sizeof(*h));
	while (*s != '\0') {
		unsigned long long le, c;
		size_t n1 = strspn(s, "0123456789"), n2;

		if (h->n == REC_HIST_MAX || n1 == 0 || n1 > 10 || (s[0] == '0' && n1 > 1) ||
		    s[n1] != ':')
			goto bad;
		n2 = strspn(s + n1 + 1, "0123456789");
		if (n2 == 0 || n2 > 19 || (s[n1 + 1] == '0' && n2 > 1))
			goto bad;
		le = strtoull(s, NULL, 10);
		c = strtoull(s + n1 + 1, NULL, 10);
		if (le > UINT32_MAX)
			goto bad;
		h->le_ms[h->n] = (uint32_t)le;
		h->count[h->n++] = c;
		s += n1 + 1 + n2;
		if (*s == ',' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			goto bad;
	}
	return true;
bad:
	pf_errf(err, errlen, "%s: not a list of le:count", f->key);
	return false;
}

static bool decode_field(const struct field *f, const cJSON *item, struct db_record *r, char *err,
                         size_t errlen)
{
	char *base = (char *)r;
	const char *s = cJSON_GetStringValue(item);
	size_t len;

	if (s == NULL) {
		pf_errf(err, errlen, "%s: not a string", f->key);
		return false;
	}
	if (f->type == F_HIST)
		return parse_hist(f, s, (struct rec_hist *)(void *)(base + f->off), err, errlen);
	if (f->type != F_IDENT && f->type != F_TEXT)
		return parse_num(f, s, base, err, errlen);
	len = strlen(s);
	if (len >= f->size) {
		pf_errf(err, errlen, "%s: longer than %zu bytes", f->key, f->size - 1);
		return false;
	}
	memcpy(base + f->off, s, len + 1);
	return true;
}

/* The field of <kind> (common ones first) named <key>, by index, or -1. */
static int field_index(enum rec_kind kind, const char *key, const struct field **f)
{
	const size_t nc = PF_ARRAY_SIZE(common_fields);

	for (size_t i = 0; i < nc; i++)
		if (strcmp(common_fields[i].key, key) == 0) {
			*f = &common_fields[i];
			return (int)i;
		}
	for (size_t i = 0; i < kinds[kind].n; i++)
		if (strcmp(kinds[kind].fields[i].key, key) == 0) {
			*f = &kinds[kind].fields[i];
			return (int)(nc + i);
		}
	return -1;
}

static enum rec_kind kind_of(const cJSON *o)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));

	for (unsigned k = 0; name != NULL && k < REC_KIND_COUNT; k++)
		if (strcmp(kinds[k].name, name) == 0)
			return (enum rec_kind)k;
	return REC_KIND_COUNT;
}

static bool decode_object(const cJSON *o, struct db_record *r, char *err, size_t errlen)
{
	const size_t nc = PF_ARRAY_SIZE(common_fields);
	unsigned seen = 0, kind_seen = 0;
	const struct field *f;
	const cJSON *it;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(o)) {
		pf_errf(err, errlen, "not a JSON object");
		return false;
	}
	r->kind = kind_of(o);
	if (r->kind == REC_KIND_COUNT) {
		pf_errf(err, errlen, "kind: missing or unknown");
		return false;
	}
	cJSON_ArrayForEach(it, o)
	{
		int i;

		if (it->string != NULL && strcmp(it->string, "kind") == 0) {
			if (kind_seen++ > 0)
				goto dup;
			continue;
		}
		i = it->string != NULL ? field_index(r->kind, it->string, &f) : -1;
		if (i < 0) {
			pf_errf(err, errlen, "%s: not a key of %s", it->string ? it->string : "?",
			        kinds[r->kind].name);
			return false;
		}
		if (seen & (1u << i))
			goto dup;
		seen |= 1u << i;
		if (!decode_field(f, it, r, err, errlen))
			return false;
	}
	for (size_t i = 0; i < nc + kinds[r->kind].n; i++) {
		f = i < nc ? &common_fields[i] : &kinds[r->kind].fields[i - nc];
		if (!(seen & (1u << i)) && f->has == NO_HAS) {
			pf_errf(err, errlen, "%s: missing", f->key);
			return false;
		}
	}
	return rec_is_valid(r, err, errlen);
dup:
	pf_errf(err, errlen, "a key appears twice");
	return false;
}

int rec_line_decode(const uint8_t *p, size_t len, struct db_record *r, char *err, size_t errlen)
{
	size_t scan = len < REC_LINE_MAX ? len : REC_LINE_MAX;
	const uint8_t *nl = memchr(p, '\n', scan);
	const char *end = NULL;
	size_t n;
	cJSON *o;
	bool ok;

	if (nl == NULL) {
		if (len < REC_LINE_MAX)
			return PF_AGAIN;
		pf_errf(err, errlen, "no end of line within %d bytes", REC_LINE_MAX);
		return PF_EPROTO;
	}
	n = (size_t)(nl - p);
	if (memchr(p, '\0', n) != NULL) {
		pf_errf(err, errlen, "holds a NUL byte");
		return PF_EPROTO;
	}
	/* cJSON would cut a string at \u0000 and hand back a shorter one. */
	if (pf_json_nul_escape_at((const char *)p, n) != n) {
		pf_errf(err, errlen, "holds \\u0000");
		return PF_EPROTO;
	}
	o = cJSON_ParseWithLengthOpts((const char *)p, n, &end, false);
	if (o == NULL) {
		pf_errf(err, errlen, "not JSON");
		return PF_EPROTO;
	}
	ok = end != NULL && (size_t)(end - (const char *)p) <= n;
	for (const char *q = end; ok && q < (const char *)p + n; q++)
		ok = *q == ' ' || *q == '\t' || *q == '\r';
	if (!ok)
		pf_errf(err, errlen, "bytes after the object");
	ok = ok && decode_object(o, r, err, errlen);
	cJSON_Delete(o);
	return ok ? (int)n + 1 : PF_EPROTO;
}

/* ms since the epoch -> timestamptz by integer arithmetic: exact, whatever the server's TimeZone.
 */
#define TS(n) "(timestamptz 'epoch' + $" #n "::bigint * interval '1 millisecond')"

static const char sql_node[] =
    "INSERT INTO node_state_changes (id, at, region, chain, node, from_state, to_state, reason,"
    " best, finalized, lag, peers) VALUES ($1, " TS(2) ", $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                                                       " $12) ON CONFLICT DO NOTHING";
static const char sql_chain[] =
    "INSERT INTO chain_state_changes (id, session, at, region, chain, from_state, to_state,"
    " reason, nodes_total, nodes_healthy, nodes_in_rotation) VALUES ($1, $2, " TS(
        3) ", $4, $5,"
           " $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING";
static const char sql_open[] =
    "INSERT INTO incidents (id, region, chain, kind, severity, started_at, summary, nodes)"
    " VALUES ($1, $2, $3, $4, $5, " TS(6) ", $7, string_to_array($8, ','))"
                                          " ON CONFLICT DO NOTHING";
static const char sql_close[] = "UPDATE incidents SET ended_at = " TS(2) " WHERE id = $1"
                                                                         " AND ended_at IS NULL";
static const char sql_close_summary[] =
    "UPDATE incidents SET ended_at = " TS(2) ", summary = $3"
                                             " WHERE id = $1 AND ended_at IS NULL";
static const char sql_op[] =
    "INSERT INTO operational_changes (id, at, region, kind, who, reason, summary)"
    " VALUES ($1, " TS(2) ", $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
/* No conflict target: UNIQUE (region, chain, minute) must not fail a replay either. */
static const char sql_sample[] =
    "INSERT INTO minute_samples (id, region, chain, minute, nodes_total, nodes_healthy,"
    " nodes_in_rotation, ref_height) VALUES ($1, $2, $3, " TS(4) ", $5, $6, $7, $8)"
                                                                 " ON CONFLICT DO NOTHING";
static const char sql_beat[] =
    "INSERT INTO observer_sessions (id, region, controller, started_at, last_seen)"
    " VALUES ($1, $2, $3, " TS(4) ", " TS(
        5) ") ON CONFLICT (id) DO UPDATE SET last_seen ="
           " GREATEST(observer_sessions.last_seen, EXCLUDED.last_seen)";

/*
 * Every controller writes its own rows; a restart within a minute writes a
 * second part of that minute under a new id, which is added to the first.
 * The row keeps the id of the last part added, so a replay of that part
 * (same id) changes nothing.
 */
static const char sql_usage[] =
    "INSERT INTO rpc_minutes AS m (id, region, controller, minute, chain, method, class, status,"
    " overflow, requests, errors, calls, bytes, node_ms, ta_count, ta_sum_ms, ta_le_ms,"
    " ta_counts) VALUES ($1, $2, $3, " TS(
        4) ", $5, $6, $7, $8, $8::text = '', $9, $10, $11,"
           " $12, $13, $14, $15, $16::integer[], $17::bigint[])"
           " ON CONFLICT (region, controller, minute, chain, method, class, status, overflow)"
           " DO UPDATE SET id = EXCLUDED.id, requests = m.requests + EXCLUDED.requests,"
           " errors = m.errors + EXCLUDED.errors, calls = m.calls + EXCLUDED.calls,"
           " bytes = m.bytes + EXCLUDED.bytes, node_ms = m.node_ms + EXCLUDED.node_ms,"
           " ta_count = m.ta_count + EXCLUDED.ta_count, ta_sum_ms = m.ta_sum_ms + "
           "EXCLUDED.ta_sum_ms,"
           " (ta_le_ms, ta_counts) = (SELECT coalesce(array_agg(le ORDER BY le), '{}'),"
           " coalesce(array_agg(c ORDER BY le), '{}') FROM (SELECT le, sum(c)::bigint AS c FROM"
           " (SELECT * FROM unnest(m.ta_le_ms, m.ta_counts) AS a(le, c) UNION ALL"
           " SELECT * FROM unnest(EXCLUDED.ta_le_ms, EXCLUDED.ta_counts) AS b(le, c)) u"
           " GROUP BY le) g) WHERE m.id <> EXCLUDED.id";

static void p_text(struct rec_sql *s, const char *v)
{
	s->params[s->nparams++] = v;
}

static void p_u64(struct rec_sql *s, uint64_t v, bool has)
{
	(void)snprintf(s->num[s->nparams], sizeof(s->num[0]), "%" PRIu64, v);
	s->params[s->nparams] = has ? s->num[s->nparams] : NULL;
	s->nparams++;
}

static void p_time(struct rec_sql *s, int64_t v)
{
	(void)snprintf(s->num[s->nparams], sizeof(s->num[0]), "%" PRId64, v);
	s->params[s->nparams] = s->num[s->nparams];
	s->nparams++;
}

/* <h>'s bounds (<counts> false) or counts as an array literal into s->arr[<which>]. */
static void p_array(struct rec_sql *s, const struct rec_hist *h, bool counts)
{
	char *out = s->arr[counts];
	size_t w = 1;

	out[0] = '{';
	for (uint32_t i = 0; i < h->n && i < REC_HIST_MAX; i++)
		w += (size_t)snprintf(out + w, sizeof(s->arr[0]) - w, "%s%" PRIu64, i ? "," : "",
		                      counts ? h->count[i] : (uint64_t)h->le_ms[i]);
	(void)snprintf(out + w, sizeof(s->arr[0]) - w, "}");
	s->params[s->nparams++] = out;
}

static void usage_sql(const struct db_record *r, struct rec_sql *s)
{
	const struct rec_usage *u = &r->u.usage;

	s->sql = sql_usage;
	p_text(s, r->region), p_text(s, u->controller), p_time(s, r->at_ms);
	p_text(s, u->chain), p_text(s, u->method), p_text(s, u->cls), p_text(s, u->status);
	p_u64(s, u->requests, true), p_u64(s, u->errors, true), p_u64(s, u->calls, true);
	p_u64(s, u->bytes, true), p_u64(s, u->node_ms, true), p_u64(s, u->ta_count, true);
	p_u64(s, u->ta_sum_ms, true);
	p_array(s, &u->ta, false), p_array(s, &u->ta, true);
}

void rec_sql_of(const struct db_record *r, struct rec_sql *s)
{
	const struct rec_node_change *n = &r->u.node;
	const struct rec_chain_change *c = &r->u.chain;
	const struct rec_incident_open *o = &r->u.open;
	const struct rec_op_change *op = &r->u.op;
	const struct rec_sample *sa = &r->u.sample;

	memset(s, 0, sizeof(*s));
	p_text(s, r->id);
	switch (r->kind) {
	case REC_NODE_CHANGE:
		s->sql = sql_node;
		p_time(s, r->at_ms);
		p_text(s, r->region), p_text(s, n->chain), p_text(s, n->node);
		p_text(s, n->from), p_text(s, n->to), p_text(s, n->reason);
		p_u64(s, n->best, n->has_best), p_u64(s, n->finalized, n->has_finalized);
		p_u64(s, n->lag, n->has_lag), p_u64(s, n->peers, n->has_peers);
		break;
	case REC_CHAIN_CHANGE:
		s->sql = sql_chain;
		p_text(s, c->session), p_time(s, r->at_ms);
		p_text(s, r->region), p_text(s, c->chain), p_text(s, c->from), p_text(s, c->to);
		p_text(s, c->reason);
		p_u64(s, c->total, true), p_u64(s, c->healthy, true);
		p_u64(s, c->in_rotation, true);
		break;
	case REC_INCIDENT_OPEN:
		s->sql = sql_open;
		p_text(s, r->region), p_text(s, o->chain), p_text(s, o->kind);
		p_text(s, o->severity), p_time(s, r->at_ms), p_text(s, o->summary);
		p_text(s, o->nodes);
		break;
	case REC_INCIDENT_CLOSE:
		s->sql = r->u.close.summary[0] != '\0' ? sql_close_summary : sql_close;
		p_time(s, r->at_ms);
		if (r->u.close.summary[0] != '\0')
			p_text(s, r->u.close.summary);
		break;
	case REC_OP_CHANGE:
		s->sql = sql_op;
		p_time(s, r->at_ms);
		p_text(s, r->region), p_text(s, op->kind), p_text(s, op->who);
		p_text(s, op->reason), p_text(s, op->summary);
		break;
	case REC_SAMPLE:
		s->sql = sql_sample;
		p_text(s, r->region), p_text(s, sa->chain), p_time(s, r->at_ms);
		p_u64(s, sa->total, true), p_u64(s, sa->healthy, true);
		p_u64(s, sa->in_rotation, true), p_u64(s, sa->ref_height, sa->has_ref_height);
		break;
	case REC_SESSION_BEAT:
		s->sql = sql_beat;
		p_text(s, r->region), p_text(s, r->u.beat.controller);
		p_time(s, r->u.beat.started_ms), p_time(s, r->at_ms);
		break;
	case REC_USAGE:
		usage_sql(r, s);
		break;
	case REC_KIND_COUNT:
		PF_BUG_ON(1);
	}
}
