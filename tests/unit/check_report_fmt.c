/* SPDX-License-Identifier: MIT */
/*
 * ctl/report/report_fmt.c: --from/--to reading (the epoch values come from
 * GNU date, `date -u -d T +%s`), time printing, exact decimal rounding half
 * away from zero (ties that a double would round the other way), durations,
 * and the Markdown, CSV (RFC 4180) and HTML escaping of hostile text.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "ctl/report/report_fmt.h"
#include "tests/unit/check_main.h"

START_TEST(test_parse_time)
{
	static const struct {
		const char *in;
		int64_t ms;
	} ok[] = {
	    {"2026-11-01", INT64_C(1793491200000)},
	    {"1970-01-01", 0},
	    {"2026-11-01T00:00:00Z", INT64_C(1793491200000)},
	    {"2026-11-01T00:00Z", INT64_C(1793491200000)},
	    {"2026-11-01t00:00:00z", INT64_C(1793491200000)},
	    {"2026-11-01 00:00:00Z", INT64_C(1793491200000)},
	    {"2000-02-29T23:59:59Z", INT64_C(951868799000)},
	    {"2024-02-29T12:00:00Z", INT64_C(1709208000000)},
	    {"1969-12-31T23:59:59Z", INT64_C(-1000)},
	    {"2100-03-01", INT64_C(4107542400000)},
	    {"9999-12-31T23:59:59Z", INT64_C(253402300799000)},
	    {"2026-11-01T12:00:00+02:00", INT64_C(1793527200000)},
	    {"2026-11-01T12:00:00+0200", INT64_C(1793527200000)},
	    {"2026-11-01T12:00:00+02", INT64_C(1793527200000)},
	    {"2026-03-29T01:30:00-05:30", INT64_C(1774767600000)},
	    {"2026-11-01T00:00:00.5Z", INT64_C(1793491200500)},
	    {"2026-11-01T00:00:00.123456Z", INT64_C(1793491200123)},
	    {"2026-11-01T00:00:00,25Z", INT64_C(1793491200250)},
	};
	static const char *const bad[] = {
	    "",
	    "2026",
	    "2026-11",
	    "2026-1-01",
	    "26-11-01",
	    "2026/11/01",
	    "2026-00-01",
	    "2026-13-01",
	    "2026-11-00",
	    "2026-11-31",
	    "2026-02-29",
	    "2100-02-29",
	    "2026-11-01T",
	    "2026-11-01T12",
	    "2026-11-01T12:00",
	    "2026-11-01T12:00:00",
	    "2026-11-01T24:00:00Z",
	    "2026-11-01T12:60:00Z",
	    "2026-11-01T12:00:60Z",
	    "2026-11-01T12:00:00.Z",
	    "2026-11-01T12:00:00+24:00",
	    "2026-11-01T12:00:00+02:60",
	    "2026-11-01T12:00:00+2",
	    "2026-11-01T12:00:00Zjunk",
	    "2026-11-01junk",
	    "2026-11-01T12:00:00 Z",
	    "yesterday",
	    "-2026-11-01",
	    /* Found by fuzz_report_fmt: past 9999 in UTC, which rfmt_time cannot write back. */
	    "9999-12-31T23:59:09-12",
	    "0000-01-01T00:00:00+01:00",
	};
	const char *why;
	int64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(rfmt_parse_time(ok[i].in, &ms, &why), "%s: %s", ok[i].in, why);
		ck_assert_msg(ms == ok[i].ms, "%s: %lld, want %lld", ok[i].in, (long long)ms,
		              (long long)ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!rfmt_parse_time(bad[i], &ms, &why), "%s accepted", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert(!rfmt_parse_time("2026-11-01T10:00:00", &ms, &why));
	ck_assert_ptr_nonnull(strstr(why, "does not guess a time zone"));
	ck_assert(!rfmt_parse_time("2026-02-30", &ms, &why));
	ck_assert_str_eq(why, "no such date");
}
END_TEST

START_TEST(test_time)
{
	char t[RFMT_TIME_MAX];

	ck_assert_str_eq(rfmt_time(INT64_C(1793491200000), t), "2026-11-01T00:00:00Z");
	ck_assert_str_eq(rfmt_time(0, t), "1970-01-01T00:00:00Z");
	ck_assert_str_eq(rfmt_time(INT64_C(951868799000), t), "2000-02-29T23:59:59Z");
	ck_assert_str_eq(rfmt_time(INT64_C(1793527200000), t), "2026-11-01T10:00:00Z");
	ck_assert_str_eq(rfmt_time(INT64_C(1793491200123), t), "2026-11-01T00:00:00.123Z");
	ck_assert_str_eq(rfmt_time(INT64_C(-1000), t), "1969-12-31T23:59:59Z");
	ck_assert_str_eq(rfmt_time(INT64_C(-1), t), "1969-12-31T23:59:59.999Z");
	ck_assert_str_eq(rfmt_time(INT64_C(253402300799000), t), "9999-12-31T23:59:59Z");
	ck_assert_str_eq(rfmt_time(INT64_C(4107542400000), t), "2100-03-01T00:00:00Z");
}
END_TEST

START_TEST(test_dec_round)
{
	static const struct {
		const char *in;
		int places;
		bool trim;
		const char *out;
	} cases[] = {
	    /* ties, half away from zero; 82.8125 and 0.125 are exact in binary, so printf's
	     * round-half-even would print 82.812 and 0.12 */
	    {"82.8125000000000000", 3, false, "82.813"},
	    {"0.125", 2, false, "0.13"},
	    {"-0.125", 2, false, "-0.13"},
	    {"155.25", 1, false, "155.3"},
	    {"2.5", 0, false, "3"},
	    {"90.0781250000000000", 3, false, "90.078"},
	    {"99.7916666666666667", 3, false, "99.792"},
	    {"99.9994999", 3, false, "99.999"},
	    {"99.9995", 3, false, "100.000"},
	    {"9.9995", 3, false, "10.000"},
	    {"999.5", 0, false, "1000"},
	    {"0.000000000000000000000000", 3, false, "0.000"},
	    {"-0.0001", 3, false, "0.000"},
	    {"-1.5", 0, false, "-2"},
	    {"0", 2, false, "0.00"},
	    {"7", 2, false, "7.00"},
	    {"007.5", 1, false, "7.5"},
	    {".5", 0, false, "1"},
	    {"5.", 1, false, "5.0"},
	    {"+3.14159", 2, false, "3.14"},
	    {"3600.000000", 3, true, "3600"},
	    {"3600.500000", 3, true, "3600.5"},
	    {"3600.0004", 3, true, "3600"},
	    {"3600.0005", 3, true, "3600.001"},
	    {"0.000000", 3, true, "0"},
	    {"123456789012345678901234567890.5", 0, false, "123456789012345678901234567891"},
	};
	static const char *const bad[] = {"",   ".",  "-",   "1e5",  "1.2.3", "abc",
	                                  " 1", "1 ", "--1", "0x10", "NaN"};
	char out[RFMT_DEC_MAX], big[RFMT_DEC_MAX + 8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(rfmt_dec_round(cases[i].in, cases[i].places, cases[i].trim, out),
		              "%s", cases[i].in);
		ck_assert_msg(strcmp(out, cases[i].out) == 0, "%s at %d: %s, want %s", cases[i].in,
		              cases[i].places, out, cases[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!rfmt_dec_round(bad[i], 2, false, out), "%s accepted", bad[i]);
		ck_assert_str_eq(out, "");
	}
	ck_assert(!rfmt_dec_round(NULL, 2, false, out));
	/* Too long for the output: refused, never cut. */
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(!rfmt_dec_round(big, 2, false, out));
	ck_assert_str_eq(out, "");
	/*
	 * Found by fuzz_report_fmt: 58 nines and a fraction fit at 2 places
	 * before rounding, and the carry made 59 digits that no longer read
	 * back. What is written always reads back as itself; what would not fit
	 * after the carry is refused.
	 */
	{
		static const char nines[] =
		    "9999999999999999999999999999999999999999999999999999999999.99999";
		char again[RFMT_DEC_MAX];

		for (int places = 0; places <= 4; places++)
			if (rfmt_dec_round(nines, places, false, out)) {
				ck_assert_msg(rfmt_dec_round(out, places, false, again),
				              "%s at %d does not read back", out, places);
				ck_assert_str_eq(again, out);
			}
		/* Refused after the sign was written: still "", as every refusal. */
		ck_assert(
		    !rfmt_dec_round("-20555555555505550555555555550215555527777750015555555105555"
		                    "2777",
		                    0, false, out));
		ck_assert_str_eq(out, "");
		ck_assert(rfmt_dec_round(nines, 0, false, out));
		ck_assert_str_eq(out,
		                 "10000000000000000000000000000000000000000000000000000000000");
	}
}
END_TEST

static char *take(struct pf_buf *b)
{
	char *s = pf_buf_take(b, NULL);

	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_duration)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"0", "0:00:00"},           {"59.4", "0:00:59"},  {"59.5", "0:01:00"},
	    {"360.000000", "0:06:00"},  {"10800", "3:00:00"}, {"96015", "26:40:15"},
	    {"31536000", "8760:00:00"}, {"x", "?"},           {"-5", "?"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_buf b = {0};
		char *s;

		rfmt_duration(&b, cases[i].in);
		s = take(&b);
		ck_assert_msg(strcmp(s, cases[i].out) == 0, "%s: %s", cases[i].in, s);
		free(s);
	}
}
END_TEST

START_TEST(test_escapes)
{
	static const char hostile[] = "<script>alert(\"x\")</script> & 'a' | b\\c,\r\nd\te\x01";
	struct pf_buf b = {0};
	char *s;

	rfmt_md_cell(&b, hostile);
	s = take(&b);
	ck_assert_str_eq(s,
	                 "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'a' \\| b\\\\c,  d e ");
	free(s);
	rfmt_html(&b, hostile);
	s = take(&b);
	ck_assert_str_eq(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;a&#39; | "
	                    "b\\c, \nd\te ");
	free(s);
	rfmt_md_cell(&b, NULL);
	rfmt_html(&b, NULL);
	rfmt_csv_field(&b, NULL);
	s = take(&b);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_csv_field)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "plain"},
	    {"", ""},
	    {"a,b", "\"a,b\""},
	    {"say \"hi\"", "\"say \"\"hi\"\"\""},
	    {"\"", "\"\"\"\""},
	    {"two\nlines", "\"two\nlines\""},
	    {"cr\rx", "\"cr\rx\""},
	    {" lead", "\" lead\""},
	    {"trail ", "\"trail \""},
	    {"in side", "in side"},
	    {"<b>|;'", "<b>|;'"},
	    /* Formula injection (OWASP): a leading = + - @ tab CR is quoted behind a '. */
	    {"=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""},
	    {"+1", "\"'+1\""},
	    {"-2+3", "\"'-2+3\""},
	    {"@SUM(A1)", "\"'@SUM(A1)\""},
	    {"\tx", "\"'\tx\""},
	    {"\r=1", "\"'\r=1\""},
	    {"a=1", "a=1"},
	    {"x-", "x-"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_buf b = {0};
		char *s;

		rfmt_csv_field(&b, cases[i].in);
		s = take(&b);
		ck_assert_msg(strcmp(s, cases[i].out) == 0, "[%s]: [%s]", cases[i].in, s);
		free(s);
	}
}
END_TEST

static Suite *report_fmt_suite(void)
{
	Suite *s = suite_create("report_fmt");
	TCase *t = tcase_create("time");
	TCase *n = tcase_create("numbers");
	TCase *e = tcase_create("escape");

	tcase_add_test(t, test_parse_time);
	tcase_add_test(t, test_time);
	tcase_add_test(n, test_dec_round);
	tcase_add_test(n, test_duration);
	tcase_add_test(e, test_escapes);
	tcase_add_test(e, test_csv_field);
	suite_add_tcase(s, t);
	suite_add_tcase(s, n);
	suite_add_tcase(s, e);
	return s;
}

int main(void)
{
	return check_run_suite(report_fmt_suite());
}
