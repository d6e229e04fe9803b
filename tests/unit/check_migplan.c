/* SPDX-License-Identifier: MIT */
/*
 * ctl/db/migplan.c: which names are migrations (NNN_[a-z0-9_]+.sql, as
 * sql/README.md says), their order, a shared number refused, and the state
 * of each migration against the table: applied, pending, changed, applied
 * without a file, pending below an applied one.
 */
#include <string.h>

#include <check.h>

#include "ctl/db/migplan.h"
#include "tests/unit/check_main.h"

START_TEST(test_names)
{
	static const struct {
		const char *name;
		unsigned num; /* 0: not a migration */
	} cases[] = {
	    {"001_schema.sql", 1},  {"010_a.sql", 10},      {"999_last_one_2.sql", 999},
	    {"000_zero.sql", 0},    {"01_short.sql", 0},    {"0001_long.sql", 0},
	    {"001schema.sql", 0},   {"001_.sql", 0},        {"001_Schema.sql", 0},
	    {"001_schema.sql~", 0}, {"001_schema.SQL", 0},  {"001_a-b.sql", 0},
	    {"README.md", 0},       {"abc_schema.sql", 0},  {"001_x.sql.bak", 0},
	    {"001_sch ema.sql", 0}, {".001_schema.sql", 0}, {"", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned num = 12345;
		bool ok = mig_name_parse(cases[i].name, &num);

		ck_assert_msg(ok == (cases[i].num != 0), "%s", cases[i].name);
		if (ok)
			ck_assert_uint_eq(num, cases[i].num);
	}
}
END_TEST

static struct mig_file file(unsigned num, const char *name, const char *sum)
{
	struct mig_file f = {.num = num};

	strncpy(f.name, name, MIGPLAN_NAME_MAX);
	strncpy(f.sum, sum, SHA256_HEX_LEN);
	return f;
}

START_TEST(test_sort_and_shared_number)
{
	struct mig_file v[3] = {file(10, "010_c.sql", ""), file(2, "002_b.sql", ""),
	                        file(9, "009_a.sql", "")};
	char err[256] = "";

	ck_assert_int_eq(mig_sort(v, 3, err, sizeof(err)), 0);
	ck_assert_str_eq(v[0].name, "002_b.sql");
	ck_assert_str_eq(v[1].name, "009_a.sql");
	ck_assert_str_eq(v[2].name, "010_c.sql");
	v[1] = file(2, "002_a.sql", "");
	ck_assert_int_eq(mig_sort(v, 3, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "002_a.sql and 002_b.sql share the number 002"));
}
END_TEST

START_TEST(test_plan_states)
{
	struct mig_file files[3] = {file(1, "001_a.sql", "aa"), file(2, "002_b.sql", "bb"),
	                            file(3, "003_c.sql", "cc")};
	struct mig_file applied[2] = {file(0, "002_b.sql", "bb"), file(0, "001_a.sql", "aa")};
	struct mig_row rows[5];
	size_t n;

	/* Empty table: everything pending, in order. */
	n = mig_plan(files, 3, applied, 0, rows);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(rows[i].name, files[i].name);
		ck_assert_int_eq(rows[i].state, MIG_PENDING);
	}
	/* Two applied (table order differs): only the third pending. */
	n = mig_plan(files, 3, applied, 2, rows);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(rows[0].state, MIG_APPLIED);
	ck_assert_int_eq(rows[1].state, MIG_APPLIED);
	ck_assert_int_eq(rows[2].state, MIG_PENDING);
	ck_assert(!mig_row_is_error(rows[2].state));
	/* An edited file. */
	applied[0] = file(0, "002_b.sql", "b2");
	n = mig_plan(files, 3, applied, 2, rows);
	ck_assert_int_eq(rows[1].state, MIG_CHANGED);
	ck_assert(mig_row_is_error(rows[1].state));
	/* 002 applied, 001 not: 001 is late; 003 pending. */
	applied[0] = file(0, "002_b.sql", "bb");
	n = mig_plan(files, 3, applied, 1, rows);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(rows[0].state, MIG_LATE);
	ck_assert_int_eq(rows[1].state, MIG_APPLIED);
	ck_assert_int_eq(rows[2].state, MIG_PENDING);
	/* A table ahead of the directory: the extra row is named, in its place. */
	n = mig_plan(files, 1, applied, 2, rows);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rows[0].name, "001_a.sql");
	ck_assert_int_eq(rows[0].state, MIG_APPLIED);
	ck_assert_str_eq(rows[1].name, "002_b.sql");
	ck_assert_int_eq(rows[1].state, MIG_NO_FILE);
	ck_assert(mig_row_is_error(rows[1].state));
}
END_TEST

static Suite *migplan_suite(void)
{
	Suite *s = suite_create("migplan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_sort_and_shared_number);
	tcase_add_test(tc, test_plan_states);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(migplan_suite());
}
