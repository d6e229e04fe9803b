/* SPDX-License-Identifier: MIT */
/*
 * ctl/stats/methtab.c: the shipped haproxy/methods.tsv (read here line by
 * line, independently) gives every name its own index and the name back;
 * names not in it, prefixes and extensions of names included, are -1; the
 * table refuses what the agent's loader refuses about names (no header,
 * empty, duplicate, too long, unprintable). Run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/stats/logline.h"
#include "ctl/stats/methtab.h"
#include "tests/unit/check_main.h"

static int lookup(struct methtab *t, const char *s)
{
	return methtab_lookup(t, (const uint8_t *)s, strlen(s));
}

START_TEST(test_shipped)
{
	char err[256], line[4096];
	struct methtab *t = methtab_load("haproxy/methods.tsv", err, sizeof(err));
	FILE *f = fopen("haproxy/methods.tsv", "r");
	size_t rows = 0;
	char *seen;

	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_ptr_nonnull(f);
	seen = calloc(methtab_count(t), 1);
	ck_assert_ptr_nonnull(seen);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f)); /* the header */
	while (fgets(line, sizeof(line), f) != NULL) {
		int id;

		line[strcspn(line, "\t\n")] = '\0';
		id = lookup(t, line);
		ck_assert_msg(id >= 0 && (size_t)id < methtab_count(t), "%s: %d", line, id);
		ck_assert_msg(!seen[id], "%s: index %d given twice", line, id);
		seen[id] = 1;
		ck_assert_str_eq(methtab_name(t, id), line);
		rows++;
	}
	ck_assert_uint_eq(rows, methtab_count(t));
	ck_assert_int_eq(lookup(t, "system_healt"), -1);
	ck_assert_int_eq(lookup(t, "system_healthy"), -1);
	ck_assert_int_eq(lookup(t, "System_health"), -1);
	ck_assert_int_eq(lookup(t, ""), -1);
	ck_assert_int_eq(lookup(t, "batch"), -1);
	ck_assert_ptr_null(methtab_name(t, -1));
	ck_assert_ptr_null(methtab_name(t, (int)methtab_count(t)));
	ck_assert_int_eq(methtab_lookup(NULL, (const uint8_t *)"a", 1), -1);
	free(seen);
	fclose(f);
	methtab_free(t);
}
END_TEST

START_TEST(test_refused)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"", "no methods"},
	    {"name\tclass\tnote\na\tread\t\n", "line 1: expected the header method<TAB>class"},
	    {"method\tclass\tnote\n", "no methods"},
	    {"method\tclass\tnote\n\tread\tx\n", "line 2: a method name is 1-128 printable bytes"},
	    {"method\tclass\tnote\na b\tread\tx\n",
	     "line 2: a method name is 1-128 printable bytes"},
	    {"method\tclass\tnote\nb\tread\tx\na\tread\nb\theavy\n", "method b appears twice"},
	};
	char err[256], longname[LOGLINE_METHOD_MAX + 40];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ck_assert_ptr_null(
		    methtab_parse(cases[i].text, strlen(cases[i].text), err, sizeof(err)));
		ck_assert_str_eq(err, cases[i].err);
	}
	/* LOGLINE_METHOD_MAX bytes is the longest name a log line carries. */
	memcpy(longname, "method\tclass\n", 13);
	memset(longname + 13, 'm', LOGLINE_METHOD_MAX);
	memcpy(longname + 13 + LOGLINE_METHOD_MAX, "\tread\n", 7);
	{
		struct methtab *t = methtab_parse(longname, strlen(longname), err, sizeof(err));

		ck_assert_msg(t != NULL, "%s", err);
		ck_assert_int_eq(
		    methtab_lookup(t, (const uint8_t *)longname + 13, LOGLINE_METHOD_MAX), 0);
		methtab_free(t);
	}
	memcpy(longname + 13 + LOGLINE_METHOD_MAX, "m\tread\n", 8);
	ck_assert_ptr_null(methtab_parse(longname, strlen(longname), err, sizeof(err)));
	/* CRLF line ends, comments and blank lines are fine. */
	{
		const char *text = "method\tclass\tnote\r\n# a comment\r\n\r\nz\tread\r\na\tread";
		struct methtab *t = methtab_parse(text, strlen(text), err, sizeof(err));

		ck_assert_msg(t != NULL, "%s", err);
		ck_assert_uint_eq(methtab_count(t), 2);
		ck_assert_int_ge(lookup(t, "z"), 0);
		ck_assert_int_ge(lookup(t, "a"), 0);
		methtab_free(t);
	}
}
END_TEST

static Suite *methtab_suite(void)
{
	Suite *s = suite_create("methtab");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(methtab_suite());
}
