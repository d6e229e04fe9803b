/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/fetchcfg.c: which target `snapshot fetch --config` reads
 * for --from s3 and cdn, with and without --form tar (the rule in
 * README "Quick-sync snapshots: fetching": files from the requester-pays
 * s3_files bucket, the tar and the CDN from s3_tar), the CDN URL with the
 * prefix, and the errors; and snapcfg's new key cdn_url, through
 * snapcfg_parse as the command reads it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/fetchcfg.h"
#include "ctl/snapshot/snapcfg.h"
#include "tests/unit/check_main.h"

#define CHAIN                                                                                      \
	"\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"/srv/dot\", \"rpc\": "             \
	"\"http://127.0.0.1:9944\"}]"
#define FILES                                                                                      \
	"\"s3_files\": {\"bucket\": \"snap-files\", \"region\": \"eu-west-1\", \"prefix\": "       \
	"\"p/q\"}"
#define TAR                                                                                        \
	"\"s3_tar\": {\"bucket\": \"snap-cdn\", \"region\": \"us-east-2\", \"endpoint\": "         \
	"\"http://127.0.0.1:4569\", \"cdn_url\": \"https://snapshots.example.org/\"}"

static struct snapcfg cfg;
static struct fetchcfg_src src;
static char errbuf[512];

static void parse(const char *targets)
{
	char doc[4096];
	bool present = false;

	snprintf(doc, sizeof(doc), "{\"snapshot\": {" CHAIN ", %s}}", targets);
	ck_assert_msg(snapcfg_parse(doc, strlen(doc), &cfg, &present, errbuf, sizeof(errbuf)) == 0,
	              "%s", errbuf);
	ck_assert(present);
}

static void teardown(void)
{
	snapcfg_free(&cfg);
}

START_TEST(test_s3_files_by_default)
{
	parse(FILES ", " TAR);
	ck_assert_int_eq(fetchcfg_pick(&cfg, false, false, &src, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(src.bucket, "snap-files");
	ck_assert_str_eq(src.region, "eu-west-1");
	ck_assert_str_eq(src.endpoint, "");
	ck_assert_str_eq(src.prefix, "p/q");
	ck_assert_str_eq(src.url, "");
}
END_TEST

START_TEST(test_s3_tar_for_form_tar)
{
	parse(FILES ", " TAR);
	ck_assert_int_eq(fetchcfg_pick(&cfg, false, true, &src, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(src.bucket, "snap-cdn");
	ck_assert_str_eq(src.region, "us-east-2");
	ck_assert_str_eq(src.endpoint, "http://127.0.0.1:4569");
	ck_assert_str_eq(src.prefix, "");
}
END_TEST

/* One target only: it is the one, whatever the form. */
START_TEST(test_one_target)
{
	parse(TAR);
	ck_assert_int_eq(fetchcfg_pick(&cfg, false, false, &src, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(src.bucket, "snap-cdn");
	snapcfg_free(&cfg);
	parse(FILES);
	ck_assert_int_eq(fetchcfg_pick(&cfg, false, true, &src, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(src.bucket, "snap-files");
}
END_TEST

START_TEST(test_cdn_url)
{
	parse(FILES ", " TAR);
	ck_assert_int_eq(fetchcfg_pick(&cfg, true, false, &src, errbuf, sizeof(errbuf)), 0);
	/* The trailing '/' goes; no bucket: the CDN is the bucket's front. */
	ck_assert_str_eq(src.url, "https://snapshots.example.org");
	ck_assert_str_eq(src.bucket, "");
	snapcfg_free(&cfg);
	/* The layout is under the prefix: so is it under the CDN. */
	parse("\"s3_tar\": {\"bucket\": \"snap-cdn\", \"region\": \"us-east-2\", \"prefix\": "
	      "\"net/dot\", \"cdn_url\": \"https://cdn.example.org/base\"}");
	ck_assert_int_eq(fetchcfg_pick(&cfg, true, true, &src, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(src.url, "https://cdn.example.org/base/net/dot");
}
END_TEST

START_TEST(test_cdn_url_missing)
{
	parse(FILES ", \"s3_tar\": {\"bucket\": \"snap-cdn\", \"region\": \"us-east-2\"}");
	ck_assert_int_eq(fetchcfg_pick(&cfg, true, false, &src, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf,
	                 "snapshot.s3_tar.cdn_url: not in the config; give the CDN's URL with "
	                 "--endpoint");
}
END_TEST

START_TEST(test_cdn_url_refused)
{
	const char *doc = "{\"snapshot\": {" CHAIN ", \"s3_tar\": {\"bucket\": \"snap-cdn\", "
	                  "\"region\": \"us-east-2\", \"cdn_url\": \"ftp://cdn.example.org\"}}}";
	bool present;

	ck_assert_int_eq(snapcfg_parse(doc, strlen(doc), &cfg, &present, errbuf, sizeof(errbuf)),
	                 -1);
	ck_assert_msg(strncmp(errbuf, "snapshot.s3_tar.cdn_url: ", 25) == 0, "%s", errbuf);
}
END_TEST

/* A zeroed section (what snapcfg_parse leaves without targets) has nothing to read. */
START_TEST(test_no_target)
{
	struct snapcfg none;

	memset(&none, 0, sizeof(none));
	ck_assert_int_eq(fetchcfg_pick(&none, false, false, &src, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "snapshot: neither s3_files nor s3_tar is configured");
	ck_assert_int_eq(fetchcfg_pick(&none, true, false, &src, errbuf, sizeof(errbuf)), -1);
}
END_TEST

static Suite *fetchcfg_suite(void)
{
	Suite *s = suite_create("fetchcfg");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_s3_files_by_default);
	tcase_add_test(tc, test_s3_tar_for_form_tar);
	tcase_add_test(tc, test_one_target);
	tcase_add_test(tc, test_cdn_url);
	tcase_add_test(tc, test_cdn_url_missing);
	tcase_add_test(tc, test_cdn_url_refused);
	tcase_add_test(tc, test_no_target);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(fetchcfg_suite());
}
