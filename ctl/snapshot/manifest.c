/* SPDX-License-Identifier: MIT */
/*
 * The manifest and latest.json of manifest.h. The parser goes through
 * cJSON (cold path: one document per fetch) and then holds every object
 * to a table of its keys: unknown and duplicate keys are refused there,
 * since cJSON itself keeps both copies of a duplicate and answers with the
 * first. Both parse and write end in the same *_check(), so whatever the
 * parser accepts the writer can write, and the other way round.
 */
#include "ctl/snapshot/manifest.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/text.h"
#include "ctl/snapshot/safepath.h"

static const char *const kind_names[MANIFEST_KIND_COUNT] = {
    [MANIFEST_KIND_FILES] = "files",
    [MANIFEST_KIND_TAR_ZST] = "tar.zst",
};

const char *manifest_kind_name(enum manifest_kind k)
{
	return (unsigned)k < MANIFEST_KIND_COUNT ? kind_names[k] : "?";
}

/* ---- value checks ------------------------------------------------------ */

static bool is_lower_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Decodes lower-case RFC 4648 base32 (no padding) <s>/<n> into <out>/<cap>; -1 if not. */
static long base32_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (s[i] >= 'a' && s[i] <= 'z')
			v = (unsigned)(s[i] - 'a');
		else if (s[i] >= '2' && s[i] <= '7')
			v = (unsigned)(s[i] - '2') + 26;
		else
			return -1;
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* Left-over bits must be zero, or two spellings would name one CID. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

/*
 * A CIDv1 (multibase 'b': base32) of a raw (0x55) or dag-pb (0x70) block
 * hashed with sha2-256 (0x12, 32 bytes): what `ipfs add --cid-version 1
 * --raw-leaves` prints. Other codecs and hashes are refused, since fetch
 * could not check them.
 */
static bool is_cid(const char *s)
{
	uint8_t b[40];

	if (strlen(s) != MANIFEST_CID_LEN || s[0] != 'b')
		return false;
	if (base32_decode(s + 1, MANIFEST_CID_LEN - 1, b, sizeof(b)) != 36)
		return false;
	return b[0] == 0x01 && (b[1] == 0x55 || b[1] == 0x70) && b[2] == 0x12 && b[3] == 0x20;
}

static unsigned two(const char *s)
{
	return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

/* "YYYY-MM-DDTHH:MM:SSZ": RFC 3339's date-time, UTC, without fractions. */
static bool is_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d;

	if (strlen(s) != MANIFEST_TIME_LEN)
		return false;
	for (size_t i = 0; i < MANIFEST_TIME_LEN; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	y = two(s) * 100 + two(s + 2);
	mo = two(s + 5);
	d = two(s + 8);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	/* RFC 3339 5.7: second 60 is a leap second. */
	return two(s + 11) <= 23 && two(s + 14) <= 59 && two(s + 17) <= 60;
}

static bool is_name(const char *s)
{
	size_t n = strlen(s);

	return n <= MANIFEST_NAME_MAX && safepath_check(s, n) == SAFEPATH_OK;
}

static bool is_tool(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MANIFEST_TOOL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static int check_artifact(const struct manifest_artifact *a, unsigned i, char *err, size_t errlen)
{
	bool files = a->kind == MANIFEST_KIND_FILES;

	if ((unsigned)a->kind >= MANIFEST_KIND_COUNT)
		pf_errf(err, errlen, "artifacts[%u].kind: not files or tar.zst", i);
	else if (!is_name(a->name))
		pf_errf(err, errlen, "artifacts[%u].name: not a safe relative name", i);
	else if (a->size > MANIFEST_INT_MAX)
		pf_errf(err, errlen, "artifacts[%u].size: above 2^53 - 1", i);
	else if (!is_lower_hex(a->sha256, MANIFEST_SHA256_HEX))
		pf_errf(err, errlen, "artifacts[%u].sha256: not 64 lower-case hex digits", i);
	else if (a->cid[0] != '\0' && !is_cid(a->cid))
		pf_errf(err, errlen, "artifacts[%u].cid: not a base32 CIDv1 with sha2-256", i);
	else if (files && (!is_name(a->file_list) || !is_name(a->sums)))
		pf_errf(err, errlen, "artifacts[%u]: files need safe file_list and sums names", i);
	else if (!files && (a->file_list[0] != '\0' || a->sums[0] != '\0'))
		pf_errf(err, errlen, "artifacts[%u]: file_list and sums are for files only", i);
	else
		return 0;
	return -1;
}

int manifest_check(const struct manifest *m, char *err, size_t errlen)
{
	if (!pf_chain_name_is_valid(m->chain, strlen(m->chain)))
		pf_errf(err, errlen, "chain: not 1..32 bytes of [a-z0-9-]");
	else if (m->height > MANIFEST_INT_MAX)
		pf_errf(err, errlen, "height: above 2^53 - 1");
	else if (strncmp(m->block_hash, "0x", 2) != 0 ||
	         !is_lower_hex(m->block_hash + 2, MANIFEST_HASH_HEX - 2))
		pf_errf(err, errlen, "block_hash: not 0x and 64 lower-case hex digits");
	else if (!is_time(m->created))
		pf_errf(err, errlen, "created: not YYYY-MM-DDTHH:MM:SSZ");
	else if (!is_tool(m->tool))
		pf_errf(err, errlen, "tool: not 1..64 printable ASCII bytes");
	else if (m->n == 0 || m->n > MANIFEST_ARTIFACTS_MAX)
		pf_errf(err, errlen, "artifacts: not 1..%d of them", MANIFEST_ARTIFACTS_MAX);
	else
		goto artifacts;
	return -1;
artifacts:
	for (unsigned i = 0; i < m->n; i++) {
		if (check_artifact(&m->a[i], i, err, errlen) == -1)
			return -1;
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(m->a[i].name, m->a[j].name) == 0) {
				pf_errf(err, errlen, "artifacts[%u].name: same as artifacts[%u]'s",
				        i, j);
				return -1;
			}
		}
	}
	return 0;
}

int manifest_latest_check(const struct manifest_latest *l, char *err, size_t errlen)
{
	if (!pf_chain_name_is_valid(l->chain, strlen(l->chain)))
		pf_errf(err, errlen, "chain: not 1..32 bytes of [a-z0-9-]");
	else if (l->height > MANIFEST_INT_MAX)
		pf_errf(err, errlen, "height: above 2^53 - 1");
	else if (!is_name(l->manifest))
		pf_errf(err, errlen, "manifest: not a safe relative name");
	else if (!is_lower_hex(l->sha256, MANIFEST_SHA256_HEX))
		pf_errf(err, errlen, "sha256: not 64 lower-case hex digits");
	else
		return 0;
	return -1;
}

/* ---- parsing ----------------------------------------------------------- */

/*
 * Each object's keys, in the order the writer writes them. A key table
 * holds at most 32 entries (one bit each in a seen-mask).
 */
struct key_spec {
	const char *key;
	bool required;
};

/*
 * Refuses an <o> that is not an object, holds a key not in <keys>/<n> or
 * one twice, or lacks a required one. <where> names <o> in <err>.
 */
static int check_keys(const cJSON *o, const struct key_spec *keys, unsigned n, const char *where,
                      char *err, size_t errlen)
{
	uint32_t seen = 0;
	const cJSON *c;

	if (!cJSON_IsObject(o)) {
		pf_errf(err, errlen, "%s: not an object", where);
		return -1;
	}
	cJSON_ArrayForEach(c, o)
	{
		unsigned k;

		for (k = 0; k < n && strcmp(c->string, keys[k].key) != 0; k++)
			;
		if (k == n) {
			pf_errf(err, errlen, "%s: unknown key", where);
			return -1;
		}
		if (seen & (1u << k)) {
			pf_errf(err, errlen, "%s.%s: given twice", where, keys[k].key);
			return -1;
		}
		seen |= 1u << k;
	}
	for (unsigned k = 0; k < n; k++) {
		if (keys[k].required && !(seen & (1u << k))) {
			pf_errf(err, errlen, "%s.%s: missing", where, keys[k].key);
			return -1;
		}
	}
	return 0;
}

/* Copies string member <key> of <o> into <dst>/<cap>; absent leaves <dst> alone. */
static int get_str(const cJSON *o, const char *key, char *dst, size_t cap, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v)) {
		pf_errf(err, errlen, "%s: not a string", key);
		return -1;
	}
	n = strlen(v->valuestring);
	if (n >= cap) {
		pf_errf(err, errlen, "%s: longer than %zu bytes", key, cap - 1);
		return -1;
	}
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

/* Reads integer member <key> of <o> (0..2^53-1) into <dst>. */
static int get_int(const cJSON *o, const char *key, uint64_t *dst, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	double d;

	if (!cJSON_IsNumber(v)) {
		pf_errf(err, errlen, "%s: not a number", key);
		return -1;
	}
	d = v->valuedouble;
	if (!(d >= 0 && d <= (double)MANIFEST_INT_MAX) || d != (double)(uint64_t)d) {
		pf_errf(err, errlen, "%s: not an integer from 0 to 2^53 - 1", key);
		return -1;
	}
	*dst = (uint64_t)d;
	return 0;
}

/* Parses <p>/<len> into a tree and checks "format". Returns the tree (caller frees) or NULL. */
static cJSON *parse_doc(const char *p, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root;
	uint64_t format;

	if (len > MANIFEST_TEXT_MAX) {
		pf_errf(err, errlen, "longer than %d bytes", MANIFEST_TEXT_MAX);
		return NULL;
	}
	/* cJSON would turn \u0000 into a NUL that cuts a string short. */
	if (pf_json_nul_escape_at(p, len) != len || memchr(p, '\0', len) != NULL) {
		pf_errf(err, errlen, "a NUL in the text");
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(p, len, &end, false);
	if (root == NULL) {
		pf_errf(err, errlen, "not JSON");
		return NULL;
	}
	while (end < p + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != p + len) {
		pf_errf(err, errlen, "text after the JSON value");
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		pf_errf(err, errlen, "not a JSON object");
		goto fail;
	}
	if (get_int(root, "format", &format, err, errlen) == -1)
		goto fail;
	if (format != MANIFEST_FORMAT) {
		pf_errf(err, errlen, "format %llu: this version reads format %d",
		        (unsigned long long)format, MANIFEST_FORMAT);
		goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

static const struct key_spec artifact_keys[] = {
    {"kind", true},       {"name", true},  {"size", true}, {"sha256", true},
    {"file_list", false}, {"sums", false}, {"cid", false},
};

static int parse_artifact(struct manifest_artifact *a, const cJSON *o, unsigned i, char *err,
                          size_t errlen)
{
	char where[32], kind[16] = "";
	int r = 0;

	(void)snprintf(where, sizeof(where), "artifacts[%u]", i);
	if (check_keys(o, artifact_keys, PF_ARRAY_SIZE(artifact_keys), where, err, errlen) == -1)
		return -1;
	r |= get_str(o, "kind", kind, sizeof(kind), err, errlen);
	r |= get_str(o, "name", a->name, sizeof(a->name), err, errlen);
	r |= get_int(o, "size", &a->size, err, errlen);
	r |= get_str(o, "sha256", a->sha256, sizeof(a->sha256), err, errlen);
	r |= get_str(o, "file_list", a->file_list, sizeof(a->file_list), err, errlen);
	r |= get_str(o, "sums", a->sums, sizeof(a->sums), err, errlen);
	r |= get_str(o, "cid", a->cid, sizeof(a->cid), err, errlen);
	if (r != 0)
		return -1;
	for (a->kind = 0; a->kind < MANIFEST_KIND_COUNT; a->kind++)
		if (strcmp(kind, kind_names[a->kind]) == 0)
			break;
	return 0; /* an unknown kind stays MANIFEST_KIND_COUNT: manifest_check refuses it */
}

static const struct key_spec manifest_keys[] = {
    {"format", true},  {"chain", true}, {"height", true},    {"block_hash", true},
    {"created", true}, {"tool", true},  {"artifacts", true},
};

int manifest_parse(struct manifest *m, const char *p, size_t len, char *err, size_t errlen)
{
	cJSON *root = parse_doc(p, len, err, errlen);
	const cJSON *arr, *c;
	int r = 0;

	memset(m, 0, sizeof(*m));
	if (root == NULL)
		return -1;
	if (check_keys(root, manifest_keys, PF_ARRAY_SIZE(manifest_keys), "manifest", err,
	               errlen) == -1)
		goto fail;
	r |= get_str(root, "chain", m->chain, sizeof(m->chain), err, errlen);
	r |= get_int(root, "height", &m->height, err, errlen);
	r |= get_str(root, "block_hash", m->block_hash, sizeof(m->block_hash), err, errlen);
	r |= get_str(root, "created", m->created, sizeof(m->created), err, errlen);
	r |= get_str(root, "tool", m->tool, sizeof(m->tool), err, errlen);
	if (r != 0)
		goto fail;
	arr = cJSON_GetObjectItemCaseSensitive(root, "artifacts");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > MANIFEST_ARTIFACTS_MAX) {
		pf_errf(err, errlen, "artifacts: not an array of 1..%d", MANIFEST_ARTIFACTS_MAX);
		goto fail;
	}
	cJSON_ArrayForEach(c, arr)
	{
		if (parse_artifact(&m->a[m->n], c, m->n, err, errlen) == -1)
			goto fail;
		m->n++;
	}
	cJSON_Delete(root);
	return manifest_check(m, err, errlen);
fail:
	cJSON_Delete(root);
	return -1;
}

static const struct key_spec latest_keys[] = {
    {"format", true}, {"chain", true}, {"height", true}, {"manifest", true}, {"sha256", true},
};

int manifest_latest_parse(struct manifest_latest *l, const char *p, size_t len, char *err,
                          size_t errlen)
{
	cJSON *root = parse_doc(p, len, err, errlen);
	int r = 0;

	memset(l, 0, sizeof(*l));
	if (root == NULL)
		return -1;
	r |= check_keys(root, latest_keys, PF_ARRAY_SIZE(latest_keys), "latest", err, errlen);
	if (r == 0) {
		r |= get_str(root, "chain", l->chain, sizeof(l->chain), err, errlen);
		r |= get_int(root, "height", &l->height, err, errlen);
		r |= get_str(root, "manifest", l->manifest, sizeof(l->manifest), err, errlen);
		r |= get_str(root, "sha256", l->sha256, sizeof(l->sha256), err, errlen);
	}
	cJSON_Delete(root);
	if (r != 0)
		return -1;
	return manifest_latest_check(l, err, errlen);
}

/* ---- writing ----------------------------------------------------------- */

/* Prints <root> (consumed) into <out>/<cap>. */
static long print_doc(cJSON *root, bool ok, char *out, size_t cap, char *err, size_t errlen)
{
	long n = -1;

	if (!ok || root == NULL)
		pf_errf(err, errlen, "out of memory");
	else if (cap > (size_t)MANIFEST_TEXT_MAX + 1)
		cap = (size_t)MANIFEST_TEXT_MAX + 1;
	if (ok && root != NULL) {
		if (cJSON_PrintPreallocated(root, out, (int)cap, true))
			n = (long)strlen(out);
		else
			pf_errf(err, errlen, "does not fit in %zu bytes", cap);
	}
	cJSON_Delete(root);
	return n;
}

/*
 * Adds <v> as plain integer digits: cJSON prints doubles with %g, which
 * would write 10^15 as 1e+15, a JSON number but not what the format says.
 */
static bool add_int(cJSON *o, const char *key, uint64_t v)
{
	char digits[24];

	(void)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	return cJSON_AddRawToObject(o, key, digits) != NULL;
}

static bool add_artifact(cJSON *arr, const struct manifest_artifact *a)
{
	cJSON *o = cJSON_CreateObject();
	bool ok;

	if (o == NULL)
		return false;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	ok = cJSON_AddStringToObject(o, "kind", kind_names[a->kind]) != NULL;
	ok = ok && cJSON_AddStringToObject(o, "name", a->name) != NULL;
	ok = ok && add_int(o, "size", a->size);
	ok = ok && cJSON_AddStringToObject(o, "sha256", a->sha256) != NULL;
	if (a->kind == MANIFEST_KIND_FILES) {
		ok = ok && cJSON_AddStringToObject(o, "file_list", a->file_list) != NULL;
		ok = ok && cJSON_AddStringToObject(o, "sums", a->sums) != NULL;
	}
	if (a->cid[0] != '\0')
		ok = ok && cJSON_AddStringToObject(o, "cid", a->cid) != NULL;
	return ok;
}

long manifest_write(const struct manifest *m, char *out, size_t cap, char *err, size_t errlen)
{
	cJSON *root, *arr;
	bool ok;

	if (manifest_check(m, err, errlen) == -1)
		return -1;
	root = cJSON_CreateObject();
	ok = root != NULL && cJSON_AddNumberToObject(root, "format", MANIFEST_FORMAT) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "chain", m->chain) != NULL;
	ok = ok && add_int(root, "height", m->height);
	ok = ok && cJSON_AddStringToObject(root, "block_hash", m->block_hash) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "created", m->created) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "tool", m->tool) != NULL;
	arr = ok ? cJSON_AddArrayToObject(root, "artifacts") : NULL;
	ok = ok && arr != NULL;
	for (unsigned i = 0; ok && i < m->n; i++)
		ok = add_artifact(arr, &m->a[i]);
	return print_doc(root, ok, out, cap, err, errlen);
}

long manifest_latest_write(const struct manifest_latest *l, char *out, size_t cap, char *err,
                           size_t errlen)
{
	cJSON *root;
	bool ok;

	if (manifest_latest_check(l, err, errlen) == -1)
		return -1;
	root = cJSON_CreateObject();
	ok = root != NULL && cJSON_AddNumberToObject(root, "format", MANIFEST_FORMAT) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "chain", l->chain) != NULL;
	ok = ok && add_int(root, "height", l->height);
	ok = ok && cJSON_AddStringToObject(root, "manifest", l->manifest) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "sha256", l->sha256) != NULL;
	return print_doc(root, ok, out, cap, err, errlen);
}

int manifest_format_time(int64_t t, char out[MANIFEST_TIME_LEN + 1])
{
	struct tm tm;
	time_t tt = (time_t)t;

	/* 253402300799 is 9999-12-31T23:59:59Z. */
	if (t < 0 || t > 253402300799LL || gmtime_r(&tt, &tm) == NULL)
		return -1;
	return strftime(out, MANIFEST_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) == MANIFEST_TIME_LEN
	           ? 0
	           : -1;
}
