/* SPDX-License-Identifier: MIT */
/*
 * ctl/usage/usage_args.c: --since/--until durations and times (epoch
 * values from Python's datetime), --by, --format, --top and the model's
 * numbers, each with the values it must refuse.
 */
#include <stdint.h>

#include <check.h>

#include "ctl/usage/usage_args.h"
#include "tests/unit/check_main.h"

#define NOW INT64_C(1796553015000) /* 2026-12-06T10:30:15Z */

START_TEST(test_durations)
{
	static const struct {
		const char *s;
		int64_t back_ms;
	} ok[] = {
	    {"90s", 90000},    {"30m", 1800000}, {"1h", 3600000},
	    {"7d", 604800000}, {"0m", 0},        {"3660d", INT64_C(316224000000)},
	    {"24h", 86400000},
	};
	static const char *const bad[] = {"",     "5",   "1w",          "1hh",   "-1h",
	                                  " 1h",  "1h ", "1.5h",        "3661d", "0x10m",
	                                  "1e3s", "h",   "99999999999d"};
	const char *why = NULL;
	int64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(usage_parse_when(ok[i].s, NOW, &ms, &why), "%s: %s", ok[i].s, why);
		ck_assert_int_eq(ms, NOW - ok[i].back_ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(!usage_parse_when(bad[i], NOW, &ms, &why), "%s accepted", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert(!usage_parse_when(NULL, NOW, &ms, &why));
}
END_TEST

START_TEST(test_times)
{
	const char *why = NULL;
	int64_t ms;

	ck_assert(usage_parse_when("2026-11-01T12:00:00Z", NOW, &ms, &why));
	ck_assert_int_eq(ms, INT64_C(1793534400000));
	ck_assert(usage_parse_when("2026-11-01T14:00:00+02:00", NOW, &ms, &why));
	ck_assert_int_eq(ms, INT64_C(1793534400000));
	ck_assert(usage_parse_when("2026-11-01", NOW, &ms, &why));
	ck_assert_int_eq(ms, INT64_C(1793534400000) - 12 * 3600000);
	/* No zone: refused, as the report does. */
	ck_assert(!usage_parse_when("2026-11-01T12:00:00", NOW, &ms, &why));
	ck_assert(!usage_parse_when("2026-13-01", NOW, &ms, &why));
}
END_TEST

START_TEST(test_by_format_top)
{
	enum usage_by by;
	enum usage_format f;
	const char *why = NULL;
	unsigned top;

	ck_assert(usage_parse_by("method", &by, &why) && by == USAGE_BY_METHOD);
	ck_assert(usage_parse_by("class", &by, &why) && by == USAGE_BY_CLASS);
	ck_assert(usage_parse_by("status", &by, &why) && by == USAGE_BY_STATUS);
	ck_assert(usage_parse_by("time", &by, &why) && by == USAGE_BY_TIME);
	ck_assert(!usage_parse_by("Method", &by, &why));
	ck_assert(!usage_parse_by("", &by, &why));
	ck_assert_str_eq(usage_by_name(USAGE_BY_TIME), "time");
	ck_assert(usage_parse_format("table", &f, &why) && f == USAGE_TABLE);
	ck_assert(usage_parse_format("csv", &f, &why) && f == USAGE_CSV);
	ck_assert(usage_parse_format("json", &f, &why) && f == USAGE_JSON);
	ck_assert(!usage_parse_format("md", &f, &why));
	ck_assert(usage_parse_top("1", &top, &why) && top == 1);
	ck_assert(usage_parse_top("100000", &top, &why) && top == 100000);
	ck_assert(!usage_parse_top("0", &top, &why));
	ck_assert(!usage_parse_top("100001", &top, &why));
	ck_assert(!usage_parse_top("-1", &top, &why));
	ck_assert(!usage_parse_top("5x", &top, &why));
	ck_assert(!usage_parse_top("", &top, &why));
}
END_TEST

START_TEST(test_numbers)
{
	const char *why = NULL;
	double v;

	ck_assert(usage_parse_number("4", 0, 1e6, &v, &why));
	ck_assert_double_eq(v, 4);
	ck_assert(usage_parse_number("0.7", 0, 1, &v, &why));
	ck_assert_double_eq_tol(v, 0.7, 1e-15);
	ck_assert(usage_parse_number("1", 0, 1, &v, &why));
	ck_assert(usage_parse_number("12.000001", 0, 1e6, &v, &why));
	ck_assert_double_eq_tol(v, 12.000001, 1e-12);
	/* Out of (lo, hi], or not a plain decimal. */
	ck_assert(!usage_parse_number("0", 0, 1, &v, &why));
	ck_assert(!usage_parse_number("1.01", 0, 1, &v, &why));
	ck_assert(!usage_parse_number("0.1234567", 0, 1, &v, &why));
	ck_assert(!usage_parse_number("-1", -5, 1, &v, &why));
	ck_assert(!usage_parse_number("1e3", 0, 1e6, &v, &why));
	ck_assert(!usage_parse_number(".5", 0, 1, &v, &why));
	ck_assert(!usage_parse_number("5.", 0, 10, &v, &why));
	ck_assert(!usage_parse_number("0,5", 0, 1, &v, &why));
	ck_assert(!usage_parse_number("nan", 0, 1, &v, &why));
	ck_assert(!usage_parse_number("", 0, 1, &v, &why));
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("usage_args");
	TCase *t = tcase_create("flags");

	tcase_add_test(t, test_durations);
	tcase_add_test(t, test_times);
	tcase_add_test(t, test_by_format_top);
	tcase_add_test(t, test_numbers);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return check_run_suite(args_suite());
}
