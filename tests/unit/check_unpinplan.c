/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/unpinplan.c: which CIDs retention unpins. The expected sets
 * are worked out by hand from publish.c's retention rule (the snapshots
 * below the <keep> highest heights with a manifest go, never the one just
 * published) and the brief's one for IPFS (a CID a kept manifest names
 * stays pinned).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/unpinplan.h"
#include "tests/unit/check_main.h"

/* Four distinct 59-character CIDs (their content does not matter here). */
#define CID_A "bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CID_B "bafkreibbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CID_C "bafybeicccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define CID_D "bafybeidddddddddddddddddddddddddddddddddddddddddddddddddddd"

static struct unpin_snap snap(uint64_t h, const char *c1, const char *c2)
{
	struct unpin_snap s = {.height = h};

	if (c1 != NULL)
		(void)snprintf(s.cid[s.n++], sizeof(s.cid[0]), "%s", c1);
	if (c2 != NULL)
		(void)snprintf(s.cid[s.n++], sizeof(s.cid[0]), "%s", c2);
	return s;
}

/* The plan's CIDs joined by spaces, or "ERR: <reason>". */
static const char *plan(const struct unpin_snap *s, size_t n, unsigned keep, uint64_t current,
                        size_t max, unsigned *unread)
{
	static char out[1024];
	char cids[16][MANIFEST_CID_LEN + 1], err[256] = "";
	unsigned u = 0;
	long got = unpin_plan(s, n, keep, current, cids, max, &u, err, sizeof(err));

	if (unread != NULL)
		*unread = u;
	if (got < 0) {
		(void)snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	out[0] = '\0';
	for (long i = 0; i < got; i++) {
		size_t len = strlen(out);

		(void)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "", cids[i]);
	}
	return out;
}

START_TEST(test_removed_less_kept)
{
	/* keep 1: 1001 stays; 1000's tar (A) goes, its directory (C) is 1001's too. */
	struct unpin_snap s[] = {snap(1000, CID_C, CID_A), snap(1001, CID_C, CID_B)};

	ck_assert_str_eq(plan(s, 2, 1, 1001, 16, NULL), CID_A);
	/* keep 2: nothing goes. */
	ck_assert_str_eq(plan(s, 2, 2, 1001, 16, NULL), "");
	/* Listed in any order. */
	struct unpin_snap r[] = {snap(1001, CID_C, CID_B), snap(1000, CID_C, CID_A)};

	ck_assert_str_eq(plan(r, 2, 1, 1001, 16, NULL), CID_A);
}
END_TEST

START_TEST(test_keep_n_and_current)
{
	/* keep 2 of four: 1003 and 1002 stay, 1000 and 1001 go; a CID named twice comes once. */
	struct unpin_snap s[] = {snap(1002, CID_D, NULL), snap(1000, CID_A, CID_B),
	                         snap(1003, CID_D, NULL), snap(1001, CID_B, CID_C)};

	ck_assert_str_eq(plan(s, 4, 2, 1003, 16, NULL), CID_A " " CID_B " " CID_C);
	/*
	 * The one just published stays even when lower (the node's head went back): 1000
	 * stays with A and B, so of 1001's B and C only C goes.
	 */
	ck_assert_str_eq(plan(s, 4, 2, 1000, 16, NULL), CID_C);
	/* Room for two: refused whole, nothing half planned. */
	ck_assert_str_eq(plan(s, 4, 2, 1003, 2, NULL), "ERR: more than 2 CIDs to unpin");
}
END_TEST

START_TEST(test_unread)
{
	struct unpin_snap s[] = {snap(1000, CID_A, NULL), snap(1001, CID_B, NULL),
	                         snap(1002, CID_C, NULL)};
	unsigned unread = 9;

	/* A removed snapshot's manifest unread: its CIDs unknown, the rest goes on. */
	s[0].unread = true;
	s[0].n = 0;
	ck_assert_str_eq(plan(s, 3, 1, 1002, 16, &unread), CID_B);
	ck_assert_uint_eq(unread, 1);
	/* A kept one's unread: it could name any CID, nothing is unpinned. */
	s[2].unread = true;
	ck_assert_str_eq(plan(s, 3, 1, 1002, 16, NULL),
	                 "ERR: the manifest of the kept snapshot at height 1002 is unread");
}
END_TEST

START_TEST(test_no_cids)
{
	/* Published without ipfs (no cid): nothing to unpin; an empty listing neither. */
	struct unpin_snap s[] = {snap(1000, NULL, NULL), snap(1001, CID_A, NULL)};

	ck_assert_str_eq(plan(s, 2, 1, 1001, 16, NULL), "");
	ck_assert_str_eq(plan(s, 0, 1, 1001, 16, NULL), "");
}
END_TEST

static Suite *unpinplan_suite(void)
{
	Suite *s = suite_create("unpinplan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_removed_less_kept);
	tcase_add_test(tc, test_keep_n_and_current);
	tcase_add_test(tc, test_unread);
	tcase_add_test(tc, test_no_cids);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(unpinplan_suite());
}
