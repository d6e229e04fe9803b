/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/snapcfg.c: a full section and its defaults, every key's
 * refusal with its exact message, hostile values (a shell string as a hook,
 * a relative command, a prefix that climbs, a credential key, "/" as the
 * base path), S3's bucket naming rules (User Guide, "General purpose bucket
 * naming rules") and the largest object S3's 10,000 parts allow.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/snapcfg.h"
#include "tests/unit/check_main.h"

#define CHAIN_OK                                                                                   \
	"{\"name\": \"polkadot\", \"base_path\": \"/srv/dot\", \"rpc\": "                          \
	"\"http://127.0.0.1:9944\"}"
#define TAR_OK "\"s3_tar\": {\"bucket\": \"snap-cdn\", \"region\": \"eu-west-1\"}"

static char doc[8192], errbuf[512];
static struct snapcfg cfg;

/* A config whose "snapshot" holds <body> (text inside the braces), beside other keys. */
static const char *section(const char *body)
{
	int n = snprintf(doc, sizeof(doc), "{\"region\": \"x\", \"snapshot\": {%s}, \"chains\": 5}",
	                 body);

	ck_assert_int_lt(n, (int)sizeof(doc));
	return doc;
}

static void expect_err(const char *json, const char *want)
{
	bool present = true;

	ck_assert_int_eq(snapcfg_parse(json, strlen(json), &cfg, &present, errbuf, sizeof(errbuf)),
	                 -1);
	ck_assert_str_eq(errbuf, want);
	ck_assert(!present);
	ck_assert_uint_eq(cfg.n_chains, 0);
}

static void expect_ok(const char *json)
{
	bool present = false;

	ck_assert_msg(snapcfg_parse(json, strlen(json), &cfg, &present, errbuf, sizeof(errbuf)) ==
	                  0,
	              "%s", errbuf);
	ck_assert(present);
}

START_TEST(test_full)
{
	expect_ok(section(
	    "\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"/var/lib/polkadot/\", "
	    "\"rpc\": \"http://127.0.0.1:9944\", \"pre\": [\"/usr/bin/systemctl\", \"stop\", "
	    "\"polkadot\"], \"post\": [\"/usr/bin/systemctl\", \"start\", \"polkadot\"], "
	    "\"hook_timeout_s\": 120, \"exclude\": [\"chains/*/db/full/LOG*\", \"tmp/\"]}, "
	    "{\"name\": \"kusama\", \"base_path\": \"/srv/ksm\", \"rpc\": \"http://[::1]:9945\"}"
	    "], "
	    "\"s3_files\": {\"bucket\": \"snap.files\", \"region\": \"eu-west-1\", "
	    "\"endpoint\": \"http://127.0.0.1:4569/\", \"prefix\": \"test/run1\"}, " TAR_OK
	    ", \"retention\": 5, \"part_size_mb\": 128, \"parallel\": 8"));
	ck_assert_uint_eq(cfg.n_chains, 2);
	ck_assert_str_eq(cfg.chain[0].name, "polkadot");
	/* The trailing '/' goes: object keys and the walk join names with one '/'. */
	ck_assert_str_eq(cfg.chain[0].base_path, "/var/lib/polkadot");
	ck_assert_uint_eq(cfg.chain[0].pre.n, 3);
	ck_assert_str_eq(cfg.chain[0].pre.argv[0], "/usr/bin/systemctl");
	ck_assert_str_eq(cfg.chain[0].post.argv[2], "polkadot");
	ck_assert_ptr_null(cfg.chain[0].post.argv[3]); /* execv's terminator */
	ck_assert_uint_eq(cfg.chain[0].hook_timeout_s, 120);
	ck_assert_uint_eq(cfg.chain[0].n_exclude, 2);
	ck_assert_str_eq(cfg.chain[0].exclude[1], "tmp/");
	ck_assert(cfg.s3_files.on && cfg.s3_tar.on);
	ck_assert_str_eq(cfg.s3_files.endpoint, "http://127.0.0.1:4569");
	ck_assert_str_eq(cfg.s3_files.prefix, "test/run1");
	ck_assert_str_eq(cfg.s3_tar.bucket, "snap-cdn");
	ck_assert_str_eq(cfg.s3_tar.endpoint, "");
	ck_assert_uint_eq(cfg.retention, 5);
	ck_assert_uint_eq(cfg.part_size_mb, 128);
	ck_assert_uint_eq(cfg.parallel, 8);
	ck_assert_ptr_eq(snapcfg_chain(&cfg, "polkadot"), &cfg.chain[0]);
	ck_assert_ptr_eq(snapcfg_chain(&cfg, "kusama"), &cfg.chain[1]);
	ck_assert_ptr_null(snapcfg_chain(&cfg, "westend"));
	snapcfg_free(&cfg);
	ck_assert_uint_eq(cfg.n_chains, 0);
}
END_TEST

START_TEST(test_defaults_and_absent)
{
	bool present = true;
	const char *none = "{\"region\": \"x\"}";

	expect_ok(section("\"chains\": [" CHAIN_OK "], " TAR_OK));
	ck_assert_uint_eq(cfg.retention, 3);
	ck_assert_uint_eq(cfg.part_size_mb, 16);
	ck_assert_uint_eq(cfg.parallel, 2);
	ck_assert_uint_eq(cfg.chain[0].hook_timeout_s, 600);
	ck_assert_uint_eq(cfg.chain[0].pre.n, 0);
	ck_assert(!cfg.s3_files.on);
	snapcfg_free(&cfg);
	/* No section: nothing to publish, not an error (the controller's own config). */
	ck_assert_int_eq(snapcfg_parse(none, strlen(none), &cfg, &present, errbuf, sizeof(errbuf)),
	                 0);
	ck_assert(!present);
}
END_TEST

START_TEST(test_refused)
{
	static const struct {
		const char *body, *want;
	} rows[] = {
	    {TAR_OK, "snapshot.chains: required"},
	    {"\"chains\": [], " TAR_OK, "snapshot.chains: expected an array of 1..8 objects"},
	    {"\"chains\": [" CHAIN_OK "]",
	     "snapshot: name at least one target: \"s3_files\" or \"s3_tar\""},
	    {"\"chains\": [" CHAIN_OK ", " CHAIN_OK "], " TAR_OK,
	     "snapshot.chains: chain \"polkadot\" given twice"},
	    {"\"chains\": [" CHAIN_OK "], " TAR_OK ", \"retention\": 0",
	     "snapshot.retention: expected an integer 1..1000"},
	    {"\"chains\": [" CHAIN_OK "], " TAR_OK ", \"part_size_mb\": 4",
	     "snapshot.part_size_mb: expected an integer 5..5120"},
	    {"\"chains\": [" CHAIN_OK "], " TAR_OK ", \"part_size_mb\": 5121",
	     "snapshot.part_size_mb: expected an integer 5..5120"},
	    {"\"chains\": [" CHAIN_OK "], " TAR_OK ", \"parallel\": 1.5",
	     "snapshot.parallel: expected an integer 1..16"},
	    {"\"chains\": [" CHAIN_OK "], " TAR_OK ", \"retention\": 2, \"retention\": 3",
	     "snapshot: duplicate key \"retention\""},
	    {"\"chains\": [" CHAIN_OK "], " TAR_OK ", \"retain\": 2",
	     "snapshot: unknown key \"retain\""},
	    {"\"chains\": [{\"name\": \"Polkadot\", \"base_path\": \"/a\", \"rpc\": "
	     "\"http://h\"}], " TAR_OK,
	     "snapshot.chains[0].name: expected 1-32 chars [a-z0-9-]"},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"var/lib\", \"rpc\": "
	     "\"http://h\"}], " TAR_OK,
	     "snapshot.chains[0].base_path: expected an absolute path"},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"//\", \"rpc\": "
	     "\"http://h\"}], " TAR_OK,
	     "snapshot.chains[0].base_path: refusing to publish \"/\""},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\", \"rpc\": "
	     "\"ftp://h\"}], " TAR_OK,
	     "snapshot.chains[0].rpc: must start with http:// or https://"},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\"}], " TAR_OK,
	     "snapshot.chains[0].rpc: required"},
	    /* A shell line is not an argv: it would run nothing, or the wrong thing. */
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\", \"rpc\": \"http://h\", "
	     "\"pre\": \"systemctl stop polkadot\"}], " TAR_OK,
	     "snapshot.chains[0].pre: expected an argv array of 1..32 strings (run without a "
	     "shell), [\"/usr/bin/systemctl\", \"stop\", \"polkadot\"]"},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\", \"rpc\": \"http://h\", "
	     "\"post\": [\"systemctl\", \"start\"]}], " TAR_OK,
	     "snapshot.chains[0].post: the command must be an absolute path, got \"systemctl\""},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\", \"rpc\": \"http://h\", "
	     "\"post\": [\"/bin/x\", 3]}], " TAR_OK,
	     "snapshot.chains[0].post: item 1: expected a string"},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\", \"rpc\": \"http://h\", "
	     "\"exclude\": [\"/etc/passwd\"]}], " TAR_OK,
	     "snapshot.chains[0].exclude: item 0: pattern is relative to the base path: no leading "
	     "'/'"},
	    {"\"chains\": [{\"name\": \"dot\", \"base_path\": \"/a\", \"rpc\": \"http://h\", "
	     "\"hook_timeout_s\": 0}], " TAR_OK,
	     "snapshot.chains[0].hook_timeout_s: expected an integer 1..86400"},
	    /* Credentials never come from the config. */
	    {"\"chains\": [" CHAIN_OK "], \"s3_tar\": {\"bucket\": \"abc\", \"region\": \"r\", "
	     "\"secret_access_key\": \"x\"}",
	     "snapshot.s3_tar: \"secret_access_key\": no credentials in the config (the "
	     "environment "
	     "or the instance profile give them)"},
	    {"\"chains\": [" CHAIN_OK "], \"s3_tar\": {\"region\": \"r\"}",
	     "snapshot.s3_tar.bucket: required"},
	    {"\"chains\": [" CHAIN_OK "], \"s3_files\": {\"bucket\": \"abc\"}",
	     "snapshot.s3_files.region: required"},
	    {"\"chains\": [" CHAIN_OK "], \"s3_files\": {\"bucket\": \"abc\", \"region\": \"EU\"}",
	     "snapshot.s3_files.region: expected [a-z0-9-] (\"eu-west-1\")"},
	    {"\"chains\": [" CHAIN_OK "], \"s3_tar\": {\"bucket\": \"abc\", \"region\": \"r\", "
	     "\"prefix\": \"a/../b\"}",
	     "snapshot.s3_tar.prefix: a '..' component"},
	    {"\"chains\": [" CHAIN_OK "], \"s3_tar\": {\"bucket\": \"abc\", \"region\": \"r\", "
	     "\"prefix\": \"/abs\"}",
	     "snapshot.s3_tar.prefix: an absolute path"},
	    {"\"chains\": [" CHAIN_OK "], \"s3_tar\": {\"bucket\": \"abc\", \"region\": \"r\", "
	     "\"endpoint\": \"http://127.0.0.1:4569/base\"}",
	     "snapshot.s3_tar.endpoint: an S3 endpoint has no path or query (the bucket follows "
	     "it)"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect_err(section(rows[i].body), rows[i].want);
	expect_err("{\"snapshot\": {}, \"snapshot\": {}}", "snapshot: duplicate key \"snapshot\"");
	expect_err("{\"snapshot\": 3}", "snapshot: expected an object");
	expect_err("{\"snapshot\": {}} x", "invalid JSON: expected an object");
}
END_TEST

/*
 * The IPFS target: its API adds and pins whatever it is sent, so plain
 * HTTP goes to this host only, and it holds copies of the S3 artifacts, so
 * it never stands alone (the manifests live in S3).
 */
START_TEST(test_ipfs)
{
	static const struct {
		const char *ipfs, *want;
	} bad[] = {
	    {"{}", "snapshot.ipfs.api: required"},
	    {"{\"api\": \"http://10.0.0.5:5001\"}",
	     "snapshot.ipfs.api: plain http:// only to this host (127.0.0.1, ::1, localhost); "
	     "https:// elsewhere"},
	    {"{\"api\": \"http://ipfs.example.org:5001\"}",
	     "snapshot.ipfs.api: plain http:// only to this host (127.0.0.1, ::1, localhost); "
	     "https:// elsewhere"},
	    {"{\"api\": \"http://127.0.0.1:5001/api/v0\"}",
	     "snapshot.ipfs.api: no path or query (\"http://127.0.0.1:5001\")"},
	    {"{\"api\": \"https://u:p@ipfs.example.org\"}",
	     "snapshot.ipfs.api: must not contain user:password@ credentials"},
	    {"{\"api\": \"http://127.0.0.1:5001\", \"api_token\": \"x\"}",
	     "snapshot.ipfs: \"api_token\": no credentials in the config (the environment or the "
	     "instance profile give them)"},
	    {"{\"api\": \"http://127.0.0.1:5001\", \"timeout_s\": -1}",
	     "snapshot.ipfs.timeout_s: expected an integer 0..604800"},
	};

	expect_ok(
	    section("\"chains\": [" CHAIN_OK "], " TAR_OK
	            ", \"ipfs\": {\"api\": \"http://127.0.0.1:5001/\", \"timeout_s\": 7200}"));
	ck_assert(cfg.ipfs.on);
	ck_assert_str_eq(cfg.ipfs.api, "http://127.0.0.1:5001");
	ck_assert_uint_eq(cfg.ipfs.timeout_s, 7200);
	snapcfg_free(&cfg);
	expect_ok(section("\"chains\": [" CHAIN_OK "], " TAR_OK
	                  ", \"ipfs\": {\"api\": \"http://[::1]:5001\"}"));
	ck_assert_uint_eq(cfg.ipfs.timeout_s, 0);
	snapcfg_free(&cfg);
	expect_ok(section("\"chains\": [" CHAIN_OK "], " TAR_OK
	                  ", \"ipfs\": {\"api\": \"https://ipfs.example.org\"}"));
	snapcfg_free(&cfg);
	expect_ok(section("\"chains\": [" CHAIN_OK "], " TAR_OK));
	ck_assert(!cfg.ipfs.on);
	snapcfg_free(&cfg);
	expect_err(
	    section("\"chains\": [" CHAIN_OK "], \"ipfs\": {\"api\": \"http://127.0.0.1:5001\"}"),
	    "snapshot: name at least one target: \"s3_files\" or \"s3_tar\"");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[512];

		(void)snprintf(body, sizeof(body),
		               "\"chains\": [" CHAIN_OK "], " TAR_OK ", \"ipfs\": %s", bad[i].ipfs);
		expect_err(section(body), bad[i].want);
	}
}
END_TEST

/* S3 User Guide, "General purpose bucket naming rules". */
START_TEST(test_bucket_names)
{
	static const struct {
		const char *name, *want; /* NULL: accepted */
	} rows[] = {
	    {"abc", NULL},
	    {"my-bucket.example", NULL},
	    {"123", NULL},
	    {"ab", "a bucket name has 3..63 characters"},
	    {"a234567890123456789012345678901234567890123456789012345678901234",
	     "expected 1..63 characters, got 64"},
	    {"My-bucket", "a bucket name has only [a-z0-9.-]"},
	    {"my_bucket", "a bucket name has only [a-z0-9.-]"},
	    {"-abc", "a bucket name starts and ends with a letter or a digit"},
	    {"abc.", "a bucket name starts and ends with a letter or a digit"},
	    {"a..b", "a bucket name has no \"..\""},
	    {"192.168.5.4", "a bucket name is not an IP address"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char body[512], want[256];

		(void)snprintf(body, sizeof(body),
		               "\"chains\": [" CHAIN_OK "], \"s3_files\": {\"bucket\": \"%s\", "
		               "\"region\": \"eu-west-1\"}",
		               rows[i].name);
		if (rows[i].want == NULL) {
			expect_ok(section(body));
			ck_assert_str_eq(cfg.s3_files.bucket, rows[i].name);
			snapcfg_free(&cfg);
			continue;
		}
		(void)snprintf(want, sizeof(want), "snapshot.s3_files.bucket: %s", rows[i].want);
		expect_err(section(body), want);
	}
}
END_TEST

/* S3: at most 10,000 parts of at most 5 GiB; an object is at most 5 TiB (User Guide). */
START_TEST(test_max_object)
{
	ck_assert_uint_eq(snapcfg_max_object(64), 671088640000ULL); /* 625 GiB */
	ck_assert_uint_eq(snapcfg_max_object(5), 52428800000ULL);
	/* 5120 MiB x 10,000 is past S3's 5 TiB object limit: 5 TiB is what S3 takes. */
	ck_assert_uint_eq(snapcfg_max_object(5120), 5497558138880ULL);
	/* 525 MiB x 10,000 = 5,505,024,000,000: past 5 TiB by a little. */
	ck_assert_uint_eq(snapcfg_max_object(525), 5497558138880ULL);
	ck_assert_uint_eq(snapcfg_max_object(524), 5494538240000ULL);
}
END_TEST

static Suite *snapcfg_suite(void)
{
	Suite *s = suite_create("snapcfg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults_and_absent);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_ipfs);
	tcase_add_test(tc, test_bucket_names);
	tcase_add_test(tc, test_max_object);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(snapcfg_suite());
}
