/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/manifest.c: a manifest and a latest.json written, read back
 * by cJSON (not by the code under test) and parsed again; the strict
 * parser's refusals, one rule per case. Reference values come from outside:
 * Polkadot's genesis hash, sha256("") from FIPS 180-4's examples, the
 * CIDv1 of IPFS's documentation (bafybei..., dag-pb) and one computed with
 * Python's base64 and hashlib for "hello world\n" (raw), times from
 * `date -u -d @<t>`.
 */
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "ctl/snapshot/manifest.h"
#include "tests/unit/check_main.h"

#define GENESIS   "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CID_DAGPB "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
#define CID_RAW   "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"

static char text[MANIFEST_TEXT_MAX + 1];
static char err[256];

static void sample(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->chain, "polkadot", 9);
	m->height = 23456789;
	memcpy(m->block_hash, GENESIS, sizeof(GENESIS));
	memcpy(m->created, "2023-11-14T22:13:20Z", 21);
	memcpy(m->tool, "polkfura-ctl 0.13.0", 20);
	m->n = 2;
	m->a[0].kind = MANIFEST_KIND_FILES;
	memcpy(m->a[0].name, "files", 6);
	m->a[0].size = 9007199254740991ULL; /* 2^53 - 1, the largest allowed */
	memcpy(m->a[0].sha256, SHA_EMPTY, 65);
	memcpy(m->a[0].file_list, "files.txt", 10);
	memcpy(m->a[0].sums, "SHA256SUMS", 11);
	memcpy(m->a[0].cid, CID_DAGPB, sizeof(CID_DAGPB));
	m->a[1].kind = MANIFEST_KIND_TAR_ZST;
	memcpy(m->a[1].name, "snapshot.tar.zst", 17);
	m->a[1].size = 1000000000000000ULL; /* 10^15: %g would write 1e+15 */
	memcpy(m->a[1].sha256, SHA_EMPTY, 65);
	memcpy(m->a[1].cid, CID_RAW, sizeof(CID_RAW));
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", k);
	return v->valuestring;
}

START_TEST(write_read_back)
{
	struct manifest m, again;
	const cJSON *a;
	cJSON *o;
	long n;

	sample(&m);
	n = manifest_write(&m, text, sizeof(text), err, sizeof(err));
	ck_assert_msg(n > 0, "%s", err);
	ck_assert_uint_eq((size_t)n, strlen(text));
	/* Integers as digits, never in exponent form. */
	ck_assert_ptr_nonnull(strstr(text, "9007199254740991"));
	ck_assert_ptr_nonnull(strstr(text, "1000000000000000"));
	o = cJSON_Parse(text);
	ck_assert_ptr_nonnull(o);
	ck_assert_double_eq(cJSON_GetObjectItem(o, "format")->valuedouble, 1);
	ck_assert_str_eq(str(o, "chain"), "polkadot");
	ck_assert_str_eq(str(o, "block_hash"), GENESIS);
	ck_assert_str_eq(str(o, "created"), "2023-11-14T22:13:20Z");
	a = cJSON_GetObjectItem(o, "artifacts");
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 0), "kind"), "files");
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 0), "sums"), "SHA256SUMS");
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 1), "kind"), "tar.zst");
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "file_list"));
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 1), "cid"), CID_RAW);
	cJSON_Delete(o);
	ck_assert_msg(manifest_parse(&again, text, (size_t)n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_mem_eq(&again, &m, sizeof(m));
}
END_TEST

START_TEST(latest_read_back)
{
	struct manifest_latest l = {.height = 1}, again;
	cJSON *o;
	long n;

	memcpy(l.chain, "kusama", 7);
	memcpy(l.manifest, "23456789-91b171bb/manifest.json", 32);
	memcpy(l.sha256, SHA_EMPTY, 65);
	n = manifest_latest_write(&l, text, sizeof(text), err, sizeof(err));
	ck_assert_msg(n > 0, "%s", err);
	o = cJSON_Parse(text);
	ck_assert_str_eq(str(o, "manifest"), "23456789-91b171bb/manifest.json");
	ck_assert_int_eq(cJSON_GetArraySize(o), 5);
	cJSON_Delete(o);
	ck_assert_msg(manifest_latest_parse(&again, text, (size_t)n, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_mem_eq(&again, &l, sizeof(l));
	/* The pointer must name a safe path. */
	memcpy(l.manifest, "../x/manifest.json", 19);
	ck_assert_int_eq(manifest_latest_write(&l, text, sizeof(text), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "manifest"));
}
END_TEST

/* Replaces the first <from> in the sample's text by <to>, parses, expects a refusal naming <what>.
 */
static void refused(const char *from, const char *to, const char *what)
{
	struct manifest m;
	char edited[sizeof(text) + 256];
	const char *at;
	size_t pre;

	sample(&m);
	ck_assert_int_gt(manifest_write(&m, text, sizeof(text), err, sizeof(err)), 0);
	at = strstr(text, from);
	ck_assert_msg(at != NULL, "no %s in the sample", from);
	pre = (size_t)(at - text);
	(void)snprintf(edited, sizeof(edited), "%.*s%s%s", (int)pre, text, to, at + strlen(from));
	err[0] = '\0';
	ck_assert_msg(manifest_parse(&m, edited, strlen(edited), err, sizeof(err)) == -1,
	              "accepted %s -> %s", from, to);
	ck_assert_msg(strstr(err, what) != NULL, "%s -> %s: error '%s' does not name '%s'", from,
	              to, err, what);
}

START_TEST(strict)
{
	refused("\"format\":\t1", "\"format\":\t2", "format 2");
	refused("\"format\":\t1", "\"format\":\t1.5", "format");
	refused("\"format\":\t1,", "", "format");
	refused("\"chain\":", "\"extra\":\t1,\n\t\"chain\":", "unknown key");
	refused("\"chain\":", "\"chain\":\t\"kusama\",\n\t\"chain\":", "given twice");
	refused("\"polkadot\"", "\"Polkadot\"", "chain");
	refused("23456789", "-1", "height");
	refused("23456789", "9007199254740992", "height"); /* 2^53 */
	refused("23456789", "\"23456789\"", "height");
	refused("0x91b1", "0X91b1", "block_hash");
	refused("0x91b171bb", "0x91B171bb", "block_hash");
	refused("ce90c3\"", "ce90c\"", "block_hash");
	refused("2023-11-14T22:13:20Z", "2023-11-14T22:13:20+00:00", "created");
	refused("2023-11-14T22:13:20Z", "2023-02-29T22:13:20Z", "created"); /* not a leap year */
	refused("2023-11-14T22:13:20Z", "2023-11-14T24:00:00Z", "created");
	refused("2023-11-14T22:13:20Z", "2023-11-14 22:13:20Z", "created");
	refused("\"name\":\t\"files\"", "\"name\":\t\"../files\"", "artifacts[0].name");
	refused("\"name\":\t\"files\"", "\"name\":\t\"/files\"", "artifacts[0].name");
	refused("\"name\":\t\"files\"", "\"name\":\t\"snapshot.tar.zst\"", "same as");
	refused("\"files.txt\"", "\"a/../../files.txt\"", "file_list");
	refused("\"name\":\t\"files\",", "\"name\":\t\"fil\\u0000es\",", "NUL");
	refused("\"kind\":\t\"tar.zst\"", "\"kind\":\t\"tar.gz\"", "kind");
	refused("\"kind\":\t\"tar.zst\"", "\"kind\":\t\"files\"", "file_list");
	refused("\"kind\":\t\"files\"", "\"kind\":\t\"tar.zst\"", "files only");
	refused("9007199254740991", "9007199254740992", "size");
	refused("e3b0c442", "E3b0c442", "sha256");
	refused(CID_RAW, "Q" CID_RAW, "cid"); /* CIDv0 style */
	refused(CID_RAW, "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei5", "cid");
	refused(CID_RAW, "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei", "cid");
	refused("\"artifacts\":\t[", "\"artifacts\":\t[1, ", "artifacts[0]");
	refused("\n}", "\n} {}", "text after");
}
END_TEST

START_TEST(accepts_json_forms)
{
	struct manifest m, again;
	static char edited[sizeof(text)];
	char *at;

	/* An integer written as 23456789.0 is the same number to every JSON reader. */
	sample(&m);
	ck_assert_int_gt(manifest_write(&m, text, sizeof(text), err, sizeof(err)), 0);
	at = strstr(text, "23456789");
	(void)snprintf(edited, sizeof(edited), "%.*s2.3456789e7%s", (int)(at - text), text, at + 8);
	ck_assert_msg(manifest_parse(&again, edited, strlen(edited), err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_mem_eq(&again, &m, sizeof(m));
	/* A leap second (RFC 3339, 5.7). */
	memcpy(m.created, "2016-12-31T23:59:60Z", 21);
	ck_assert_int_gt(manifest_write(&m, text, sizeof(text), err, sizeof(err)), 0);
}
END_TEST

START_TEST(times)
{
	char t[MANIFEST_TIME_LEN + 1];

	ck_assert_int_eq(manifest_format_time(0, t), 0);
	ck_assert_str_eq(t, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(manifest_format_time(1700000000, t), 0);
	ck_assert_str_eq(t, "2023-11-14T22:13:20Z");
	ck_assert_int_eq(manifest_format_time(951782400, t), 0);
	ck_assert_str_eq(t, "2000-02-29T00:00:00Z");
	ck_assert_int_eq(manifest_format_time(253402300799LL, t), 0);
	ck_assert_str_eq(t, "9999-12-31T23:59:59Z");
	ck_assert_int_eq(manifest_format_time(253402300800LL, t), -1);
	ck_assert_int_eq(manifest_format_time(-1, t), -1);
}
END_TEST

START_TEST(does_not_fit)
{
	struct manifest m;

	sample(&m);
	ck_assert_int_eq(manifest_write(&m, text, 100, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "fit"));
}
END_TEST

static Suite *manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("manifest");

	tcase_add_test(tc, write_read_back);
	tcase_add_test(tc, latest_read_back);
	tcase_add_test(tc, strict);
	tcase_add_test(tc, accepts_json_forms);
	tcase_add_test(tc, times);
	tcase_add_test(tc, does_not_fit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(manifest_suite());
}
