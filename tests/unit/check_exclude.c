/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/exclude.c: every row of tests/unit/data/snapshot/exclude.tsv
 * (paths named after polkadot-sdk's source, origin in the file's header),
 * the pattern checks, and the length limit.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/exclude.h"
#include "tests/unit/check_main.h"

#define DATA "tests/unit/data/snapshot/exclude.tsv"

/* Splits <s> at '|' into <pats> (at most <max>), "-" being none. */
static size_t split_patterns(char *s, const char **pats, size_t max)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	for (char *p = s; p != NULL && n < max;) {
		char *bar = strchr(p, '|');

		if (bar != NULL)
			*bar = '\0';
		pats[n++] = p;
		p = bar ? bar + 1 : NULL;
	}
	return n;
}

START_TEST(test_table)
{
	FILE *f = fopen(DATA, "r");
	char line[1024];
	int rows = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *col[5];
		const char *pats[8];
		struct exclude_set ex;
		char *p = line;
		int n = 0;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (; n < 5 && p != NULL; n++) {
			col[n] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		ck_assert_msg(n == 5, "row %d: %d columns", rows + 1, n);
		ex.patterns = pats;
		ex.n = split_patterns(col[0], pats, 8);
		for (size_t i = 0; i < ex.n; i++) {
			char err[128];

			ck_assert_msg(exclude_pattern_is_valid(pats[i], err, sizeof(err)), "%s: %s",
			              pats[i], err);
		}
		ck_assert_msg(strcmp(exclude_why_name(exclude_match(&ex, col[1], col[2][0] == '1')),
		                     col[3]) == 0,
		              "%s (%s): want %s", col[1], col[4], col[3]);
		rows++;
	}
	fclose(f);
	ck_assert_int_ge(rows, 30);
}
END_TEST

START_TEST(test_no_set)
{
	ck_assert_int_eq(exclude_match(NULL, "chains/polkadot/network/secret_ed25519", false),
	                 EXCLUDE_NODE_KEY);
	ck_assert_int_eq(exclude_match(NULL, "chains/polkadot/db/full/CURRENT", false),
	                 EXCLUDE_NONE);
}
END_TEST

START_TEST(test_bad_patterns)
{
	static const char *const bad[] = {"",   "/chains", "chains//db", "chains/../etc",
	                                  "..", "a/.."};
	static const char *const good[] = {"chains/*/db/", "..x", "x..", "chains/.hidden"};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(!exclude_pattern_is_valid(bad[i], err, sizeof(err)), "%s", bad[i]);
		ck_assert_msg(err[0] != '\0', "%s: no reason", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(exclude_pattern_is_valid(good[i], err, sizeof(err)), "%s: %s",
		              good[i], err);
}
END_TEST

START_TEST(test_length_limit)
{
	static char path[EXCLUDE_PATH_MAX + 1];
	const char *pats[] = {"a*"};
	struct exclude_set ex = {pats, 1};

	/* One byte under the limit is read whole; at the limit it is left out. */
	memset(path, 'b', EXCLUDE_PATH_MAX - 1);
	path[EXCLUDE_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(exclude_match(&ex, path, false), EXCLUDE_NONE);
	path[0] = 'a';
	ck_assert_int_eq(exclude_match(&ex, path, false), EXCLUDE_PATTERN);
	path[EXCLUDE_PATH_MAX - 1] = 'b';
	path[EXCLUDE_PATH_MAX] = '\0';
	ck_assert_int_eq(exclude_match(NULL, path, false), EXCLUDE_TOO_LONG);
	ck_assert_str_eq(exclude_why_name(EXCLUDE_TOO_LONG), "too-long");
	ck_assert_str_eq(exclude_why_name(EXCLUDE_COUNT), "unknown");
}
END_TEST

static Suite *exclude_suite(void)
{
	Suite *s = suite_create("exclude");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_no_set);
	tcase_add_test(tc, test_bad_patterns);
	tcase_add_test(tc, test_length_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(exclude_suite());
}
