/* SPDX-License-Identifier: MIT */
/*
 * /api/v0/add's NDJSON answer and CIDv1 text (see ipfs_add_parse.h).
 *
 * The CID layout is the multiformats one: a CIDv1 is the varint version
 * (1), the varint codec (raw 0x55, dag-pb 0x70) and a multihash (0x12 for
 * sha2-256, 0x20 for 32 bytes, the digest), written with the multibase
 * prefix 'b' (base32, RFC 4648 section 6, lower case, no padding). Every
 * varint here is below 0x80, so each is one byte and the binary form is
 * always 36 bytes: 59 characters of text.
 */
#include "ctl/snapshot/ipfs_add_parse.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "common/text.h"

#define CID_BIN_LEN 36
#define MH_SHA2_256 0x12

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void b32_encode(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			*out++ = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		*out++ = b32[(acc << (5 - bits)) & 31];
	*out = '\0';
}

void ipfs_cid_format(const struct ipfs_cid *c, char out[IPFS_CID_LEN + 1])
{
	uint8_t bin[CID_BIN_LEN] = {0x01, (uint8_t)c->codec, MH_SHA2_256, IPFS_SHA256_LEN};

	memcpy(bin + 4, c->sha256, IPFS_SHA256_LEN);
	out[0] = 'b';
	b32_encode(bin, sizeof(bin), out + 1);
}

bool ipfs_cid_parse(const char *p, size_t len, struct ipfs_cid *out)
{
	uint8_t bin[CID_BIN_LEN];
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	if (len != IPFS_CID_LEN || p[0] != 'b')
		return false;
	for (size_t i = 1; i < len; i++) {
		const char *d = p[i] != '\0' ? strchr(b32, p[i]) : NULL;

		if (d == NULL)
			return false;
		acc = (acc << 5) | (uint32_t)(d - b32);
		bits += 5;
		if (bits >= 8) {
			bin[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 58 characters hold 290 bits: 36 bytes and 2 bits that must be 0. */
	if (n != CID_BIN_LEN || (acc & ((1u << bits) - 1)) != 0)
		return false;
	if (bin[0] != 0x01 || (bin[1] != IPFS_CODEC_RAW && bin[1] != IPFS_CODEC_DAG_PB) ||
	    bin[2] != MH_SHA2_256 || bin[3] != IPFS_SHA256_LEN)
		return false;
	out->codec = (enum ipfs_codec)bin[1];
	memcpy(out->sha256, bin + 4, IPFS_SHA256_LEN);
	return true;
}

/*
 * The keys a line may hold, each at most once; the first <required> of
 * them must be there. js-ipfs 0.66.1 adds "Mode" ("0755") to directories
 * (ipfs-http-server's add resource, mode.toString(8).padStart(4, '0')).
 */
static const char *const entry_keys[] = {"Name", "Hash", "Size", "Mode"};
static const char *const error_keys[] = {"Message", "Code", "Type"};

/* Every member of <o> is one of <keys>, none twice, the first <required> there. */
static bool keys_ok(const cJSON *o, const char *const *keys, size_t n, size_t required, char *err,
                    size_t errlen)
{
	unsigned seen = 0;

	for (const cJSON *c = o->child; c != NULL; c = c->next) {
		size_t k = 0;

		while (k < n && strcmp(c->string, keys[k]) != 0)
			k++;
		if (k == n) {
			pf_errf(err, errlen, "unknown key in the node's answer");
			return false;
		}
		if (seen & (1u << k)) {
			pf_errf(err, errlen, "key %s twice in the node's answer", keys[k]);
			return false;
		}
		seen |= 1u << k;
	}
	if ((seen & ((1u << required) - 1)) != (1u << required) - 1) {
		pf_errf(err, errlen, "a key missing in the node's answer");
		return false;
	}
	return true;
}

#define SIZE_MAX_VALUE 9007199254740991ULL /* 2^53 - 1 */

/*
 * Kubo's "Size": the same integer as a decimal string (core/commands/add.go,
 * AddEvent.Size is a string; core/coreunix/add.go writes it with
 * strconv.FormatUint(size, 10)): digits only, no sign, no space, no leading
 * zero but "0" itself, at most 16 digits (2^53 - 1 has 16) and the value in range.
 */
static bool get_size_text(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v = 0;

	if (n == 0 || n > 16 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > SIZE_MAX_VALUE)
		return false;
	*out = v;
	return true;
}

/*
 * The node's "Size": a JSON number that is an integer from 0 to 2^53 - 1
 * (what js-ipfs writes), or the same as a string (what Kubo writes).
 */
static bool get_size(const cJSON *v, uint64_t *out)
{
	double d;

	if (cJSON_IsString(v))
		return get_size_text(v->valuestring, out);
	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!(d >= 0 && d <= 9007199254740991.0) || d != (double)(uint64_t)d)
		return false;
	*out = (uint64_t)d;
	return true;
}

/* A UnixFS mode as js-ipfs writes it: four octal digits. */
static bool is_mode(const cJSON *v)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : "";

	if (strlen(s) != 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '7')
			return false;
	return true;
}

static int parse_error_object(const cJSON *o, char *err, size_t errlen)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "Message");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "Type");

	if (!keys_ok(o, error_keys, PF_ARRAY_SIZE(error_keys), 3, err, errlen))
		return PF_EPROTO;
	if (!cJSON_IsString(m) || !cJSON_IsString(t) || strcmp(t->valuestring, "error") != 0) {
		pf_errf(err, errlen, "a malformed error object in the node's answer");
		return PF_EPROTO;
	}
	pf_errf(err, errlen, "the node failed: %.200s", m->valuestring);
	return PF_EPROTO;
}

static int parse_entry(const cJSON *o, struct ipfs_add_entry *e, char *err, size_t errlen)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "Name");
	const cJSON *hash = cJSON_GetObjectItemCaseSensitive(o, "Hash");
	size_t nlen, hlen;

	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "Mode");

	if (!keys_ok(o, entry_keys, PF_ARRAY_SIZE(entry_keys), 3, err, errlen))
		return PF_EPROTO;
	if (mode != NULL && !is_mode(mode)) {
		pf_errf(err, errlen, "Mode: not four octal digits");
		return PF_EPROTO;
	}
	if (!cJSON_IsString(name) || !cJSON_IsString(hash)) {
		pf_errf(err, errlen, "Name or Hash not a string in the node's answer");
		return PF_EPROTO;
	}
	nlen = strlen(name->valuestring);
	hlen = strlen(hash->valuestring);
	if (nlen != 0 && safepath_check(name->valuestring, nlen) != SAFEPATH_OK) {
		pf_errf(err, errlen, "Name: %s",
		        safepath_reason_text(safepath_check(name->valuestring, nlen)));
		return PF_EPROTO;
	}
	if (!ipfs_cid_parse(hash->valuestring, hlen, &e->parsed)) {
		pf_errf(err, errlen, "Hash: not a base32 CIDv1 (raw or dag-pb, sha2-256)");
		return PF_EPROTO;
	}
	if (!get_size(cJSON_GetObjectItemCaseSensitive(o, "Size"), &e->size)) {
		pf_errf(err, errlen,
		        "Size: not an integer from 0 to 2^53 - 1, nor one in a string");
		return PF_EPROTO;
	}
	memcpy(e->name, name->valuestring, nlen + 1);
	memcpy(e->cid, hash->valuestring, hlen + 1);
	return 1;
}

int ipfs_add_parse_line(const char *p, size_t len, struct ipfs_add_entry *e, char *err,
                        size_t errlen)
{
	const char *end = NULL;
	cJSON *o;
	int r;

	if (len > IPFS_LINE_MAX) {
		pf_errf(err, errlen, "a line of the node's answer over %d bytes", IPFS_LINE_MAX);
		return PF_EPROTO;
	}
	/* cJSON would stop a string at a NUL, raw or escaped, and hide what follows. */
	if (memchr(p, '\0', len) != NULL || pf_json_nul_escape_at(p, len) != len) {
		pf_errf(err, errlen, "a NUL in the node's answer");
		return PF_EPROTO;
	}
	o = cJSON_ParseWithLengthOpts(p, len, &end, false);
	if (o == NULL || end != p + len || !cJSON_IsObject(o)) {
		pf_errf(err, errlen, "a line of the node's answer is not one JSON object");
		cJSON_Delete(o);
		return PF_EPROTO;
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "Message") != NULL)
		r = parse_error_object(o, err, errlen);
	else
		r = parse_entry(o, e, err, errlen);
	cJSON_Delete(o);
	return r;
}

static int take_line(struct ipfs_add_reader *r, const char *p, size_t len, char *err, size_t errlen)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	if (ipfs_add_parse_line(p, len, &r->last, err, errlen) != 1)
		return -1;
	r->entries++;
	return r->on_entry != NULL ? r->on_entry(r->ctx, &r->last, err, errlen) : 0;
}

int ipfs_add_feed(struct ipfs_add_reader *r, const char *p, size_t len, char *err, size_t errlen)
{
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t take = nl != NULL ? (size_t)(nl - p) : len;

		if (r->len + take > IPFS_LINE_MAX) {
			pf_errf(err, errlen, "a line of the node's answer over %d bytes",
			        IPFS_LINE_MAX);
			return -1;
		}
		if (nl != NULL && r->len == 0) {
			/* A whole line in the input: parse it where it is. */
			if (take_line(r, p, take, err, errlen) == -1)
				return -1;
		} else {
			memcpy(r->buf + r->len, p, take);
			r->len += take;
			if (nl != NULL) {
				size_t n = r->len;

				r->len = 0;
				if (take_line(r, r->buf, n, err, errlen) == -1)
					return -1;
			}
		}
		if (nl == NULL)
			break;
		p += take + 1;
		len -= take + 1;
	}
	return 0;
}

int ipfs_add_finish(struct ipfs_add_reader *r, char *err, size_t errlen)
{
	if (r->len != 0) {
		pf_errf(err, errlen, "the node's answer ends in the middle of a line");
		return -1;
	}
	if (r->entries == 0) {
		pf_errf(err, errlen, "the node's answer holds no entry");
		return -1;
	}
	return 0;
}
