/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/ipfs_gw.c: an artifact's keys to the path gateway's
 * /ipfs/<cid>[/<path>] (IPFS HTTP Gateway spec, "Path Gateway"); the
 * manifest's other objects (files.txt, SHA256SUMS, beside the files
 * directory whose name they extend) stay with the usual source.
 */
#include <string.h>

#include <check.h>

#include "ctl/snapshot/ipfs_gw.h"
#include "tests/unit/check_main.h"

#define DIRCID "bafybeif2v2gvg6mehh64zrf2aul56jxbmsmxzgms6xgf2fkwov57hlngvy"
#define TARCID "bafkreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe"

START_TEST(test_map)
{
	static const struct {
		const char *prefix, *cid, *key;
		int rc;
		const char *want;
	} rows[] = {
	    {"chains/dot/1000-ab/snapshot.tar.zst", TARCID, "chains/dot/1000-ab/snapshot.tar.zst",
	     1, "ipfs/" TARCID},
	    {"chains/dot/1000-ab/files", DIRCID, "chains/dot/1000-ab/files/db/full/CURRENT", 1,
	     "ipfs/" DIRCID "/db/full/CURRENT"},
	    {"chains/dot/1000-ab/files", DIRCID, "chains/dot/1000-ab/files.txt", 0, ""},
	    {"chains/dot/1000-ab/files", DIRCID, "chains/dot/1000-ab/SHA256SUMS", 0, ""},
	    {"chains/dot/1000-ab/files", DIRCID, "chains/dot/latest.json", 0, ""},
	    {"chains/dot/1000-ab/files", DIRCID, "chains/dot/1000-ab/filesx/a", 0, ""},
	    {"", DIRCID, "chains/dot/latest.json", -1, ""},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[256] = "";

		ck_assert_int_eq(
		    ipfs_gw_key(rows[i].prefix, rows[i].cid, rows[i].key, out, sizeof(out)),
		    rows[i].rc);
		ck_assert_str_eq(out, rows[i].want);
	}
}
END_TEST

START_TEST(test_too_small)
{
	char out[65]; /* "ipfs/" and a 59-character CID, and the NUL */

	ck_assert_int_eq(ipfs_gw_key("d/t", TARCID, "d/t", out, sizeof(out)), 1);
	ck_assert_int_eq(ipfs_gw_key("d/files", DIRCID, "d/files/a", out, sizeof(out)), -1);
}
END_TEST

static Suite *ipfs_gw_suite(void)
{
	Suite *s = suite_create("ipfs_gw");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_map);
	tcase_add_test(tc, test_too_small);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(ipfs_gw_suite());
}
