/* SPDX-License-Identifier: MIT */
/*
 * ctl/report/report_render.c and report_html.c on a small report built by
 * hand: each format's layout (Markdown sections, CSV sections with CRLF and
 * a blank line between them, the JSON keys of the issue), an open incident
 * (end null, "so far"), a region-wide one, empty sections, a clipped --to,
 * hostile text escaped in every format, and the HTML timeline's geometry
 * (a segment over a quarter of the window is 250 of 1000 units wide).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "ctl/report/report_render.h"
#include "tests/unit/check_main.h"

#define T0 INT64_C(1793491200000) /* 2026-11-01T00:00:00Z (date -u -d 2026-11-01 +%s) */
#define H  INT64_C(3600000)

static const char evil[] = "<script>alert(\"x\")</script>, | \"q\"";

static const struct report_uptime uptime[] = {
    {REPORT_SCOPE_REGION,
     "eu",
     "polkadot",
     {"14400.000000", "10800.000000", "3600.000000", "0.000000", "75.0000000000000000",
      "60.0000000000000000", "0.00000000000000000000", false}},
    {REPORT_SCOPE_CHAIN,
     "",
     "polkadot",
     {"14400", "10800", "3600", "0", "75.0000", "60.0", "0", false}},
    {REPORT_SCOPE_TOTAL, "", "", {"14400", "10800", "3600", "0", "75", "60", "0", false}},
};

static const struct report_incident incidents[] = {
    {"eu", "polkadot", "chain_down", "critical", evil, "n-1,n-2", T0 + H, T0 + 2 * H, false,
     "3600.000000"},
    {"eu", "", "region_unreachable", "major", "probe", "", T0 + 3 * H, 0, true, "1800.5"},
};

static const struct report_change changes[] = {
    {T0 + 30 * 60000, "eu", "note", "bob@ops", "", evil},
};

static const struct report_month months[] = {
    {"2026-11",
     "eu",
     "polkadot",
     {"14400", "10800", "3600", "0", "75", "60", "0", false},
     "3",
     "0.33333333333333333333",
     "2.0000000000000000",
     "100",
     ""},
};

static const struct report_segment segments[] = {
    {"eu", "polkadot", REPORT_UP, T0, T0 + H},
    {"eu", "polkadot", REPORT_DOWN, T0 + H, T0 + 2 * H},
    {"eu", "polkadot", REPORT_DEGRADED, T0 + 2 * H, T0 + 3 * H},
    {"eu", "polkadot", REPORT_NODATA, T0 + 3 * H, T0 + 4 * H},
    {"us", "polkadot", REPORT_NODATA, T0, T0 + 4 * H},
};

static struct report full(void)
{
	return (struct report){T0, T0 + 4 * H, true, "eu",    NULL, uptime,   3, months,
	                       1,  incidents,  2,    changes, 1,    segments, 5, NULL};
}

static char *render(const struct report *r, enum report_format f)
{
	size_t len;
	char *s = report_render(r, f, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	return s;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

START_TEST(test_format_names)
{
	enum report_format f = REPORT_FORMAT_COUNT;

	ck_assert(report_format_parse("md", &f) && f == REPORT_MD);
	ck_assert(report_format_parse("csv", &f) && f == REPORT_CSV);
	ck_assert(report_format_parse("json", &f) && f == REPORT_JSON);
	ck_assert(report_format_parse("html", &f) && f == REPORT_HTML);
	ck_assert(!report_format_parse("MD", &f));
	ck_assert(!report_format_parse("xml", &f));
	ck_assert(!report_format_parse("", &f));
	ck_assert(!report_format_parse(NULL, &f));
}
END_TEST

START_TEST(test_md)
{
	struct report r = full();
	char *s = render(&r, REPORT_MD);

	ck_assert_ptr_nonnull(strstr(s, "- Window: 2026-11-01T00:00:00Z to 2026-11-01T04:00:00Z "
	                                "(--to was in the future: clipped to now)\n"
	                                "- Region: eu; chain: all\n"));
	ck_assert_ptr_nonnull(strstr(s, "| eu | polkadot | 75.000 | missed | 60.00 | 0.00 |\n"
	                                "| all | polkadot | 75.000 | missed | 60.00 | 0.00 |\n"
	                                "| all | all | 75.000 | missed | 60.00 | 0.00 |\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "| 2026-11-01T01:00:00Z | 2026-11-01T02:00:00Z | 1:00:00 | eu | polkadot | "
	              "chain_down | critical | &lt;script&gt;alert(\"x\")&lt;/script&gt;, \\| "
	              "\"q\" | n-1, n-2 |\n"));
	ck_assert_ptr_nonnull(strstr(s, "| 2026-11-01T03:00:00Z | open | 0:30:01 so far | eu | "
	                                "(region) | region_unreachable | major | probe | - |\n"));
	ck_assert_ptr_nonnull(strstr(s, "| 2026-11-01T00:30:00Z | eu | note | bob@ops |  | "));
	ck_assert_ptr_nonnull(strstr(s, "| 2026-11 | eu | polkadot | 75.000 | missed | 60.00 | "
	                                "0.00 | 3 | 0.33 | 2.00 | 100 | - |\n"));
	ck_assert_ptr_null(strstr(s, "<script"));
	free(s);
	/* Nothing at all. */
	r = (struct report){T0, T0 + H, false, NULL, NULL, NULL, 0, NULL,
	                    0,  NULL,   0,     NULL, 0,    NULL, 0, NULL};
	s = render(&r, REPORT_MD);
	ck_assert_ptr_nonnull(strstr(s, "- Window: 2026-11-01T00:00:00Z to 2026-11-01T01:00:00Z\n"
	                                "- Region: all; chain: all\n"));
	ck_assert_ptr_nonnull(strstr(s, "## Uptime\n\nNo chain.\n"));
	ck_assert_ptr_nonnull(strstr(s, "## Incidents\n\nNone.\n"));
	ck_assert_ptr_nonnull(strstr(s, "## Operational changes\n\nNone.\n"));
	ck_assert_ptr_nonnull(strstr(s, "## Month by month\n\nNo chain.\n"));
	free(s);
}
END_TEST

START_TEST(test_csv)
{
	struct report r = full();
	char *s = render(&r, REPORT_CSV);

	ck_assert_ptr_nonnull(strstr(
	    s, "section,scope,region,chain,uptime_pct,target_met,up_s,down_s,nodata_s,window_s\r\n"
	       "uptime,region,eu,polkadot,75.000,false,10800,3600,0,14400\r\n"
	       "uptime,chain,,polkadot,75.000,false,10800,3600,0,14400\r\n"
	       "uptime,total,,,75.000,false,10800,3600,0,14400\r\n\r\nsection,region,"));
	ck_assert_ptr_nonnull(strstr(s, "incidents,eu,polkadot,chain_down,critical,"
	                                "2026-11-01T01:00:00Z,2026-11-01T02:00:00Z,3600,"
	                                "\"<script>alert(\"\"x\"\")</script>, | \"\"q\"\"\","
	                                "\"n-1,n-2\"\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "incidents,eu,,region_unreachable,major,"
	                                "2026-11-01T03:00:00Z,,1800.5,probe,\r\n\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "months,2026-11,eu,polkadot,75.000,false,10800,3600,0,"
	                                "14400,3,0.33,2.00,100,\r\n"));
	/* Every line ends in CRLF, and there are 4 header rows. */
	ck_assert_uint_eq(count(s, "\n"), count(s, "\r\n"));
	ck_assert_uint_eq(count(s, "section,"), 4);
	free(s);
}
END_TEST

START_TEST(test_json)
{
	struct report r = full();
	char *s = render(&r, REPORT_JSON);
	cJSON *j = cJSON_Parse(s);
	const cJSON *a, *o;

	ck_assert_msg(j != NULL, "%s", s);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "from")->valuestring, "2026-11-01T00:00:00Z");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "to")->valuestring, "2026-11-01T04:00:00Z");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "to_clipped")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "region")->valuestring, "eu");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "chain")));
	a = cJSON_GetObjectItem(j, "uptime");
	ck_assert_int_eq(cJSON_GetArraySize(a), 1);
	o = cJSON_GetArrayItem(a, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "region")->valuestring, "eu");
	ck_assert_double_eq(cJSON_GetObjectItem(o, "uptime_pct")->valuedouble, 75);
	ck_assert_double_eq(cJSON_GetObjectItem(o, "down_s")->valuedouble, 3600);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(o, "target_met")));
	a = cJSON_GetObjectItem(j, "uptime_by_chain");
	ck_assert_int_eq(cJSON_GetArraySize(a), 1);
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "region"));
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "uptime_total")));
	a = cJSON_GetObjectItem(j, "incidents");
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	o = cJSON_GetArrayItem(a, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "cause")->valuestring, evil);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "end")->valuestring, "2026-11-01T02:00:00Z");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "nodes")), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "nodes"), 1)->valuestring,
	                 "n-2");
	o = cJSON_GetArrayItem(a, 1);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "end")));
	ck_assert_double_eq(cJSON_GetObjectItem(o, "duration_s")->valuedouble, 1800.5);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "chain")->valuestring, "");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "nodes")), 0);
	o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "changes"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "at")->valuestring, "2026-11-01T00:30:00Z");
	ck_assert_str_eq(cJSON_GetObjectItem(o, "summary")->valuestring, evil);
	o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "months"), 0);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(o, "avg_healthy")->valuedouble, 0.33, 1e-12);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "last_ref_height")));
	cJSON_Delete(j);
	free(s);
}
END_TEST

START_TEST(test_html)
{
	struct report r = full();
	char *s = render(&r, REPORT_HTML);

	ck_assert_uint_eq(strncmp(s, "<!DOCTYPE html>\n", 16), 0);
	ck_assert_ptr_null(strstr(s, "<script"));
	ck_assert_ptr_null(strstr(s, "http"));
	ck_assert_uint_eq(count(s, "<svg "), 2);
	ck_assert_uint_eq(count(s, "</svg>"), 2);
	ck_assert_uint_eq(count(s, "<rect "), 5);
	/* Each hour is a quarter of the 4 h window: 250 units. */
	ck_assert_ptr_nonnull(
	    strstr(s, "<rect class=\"dn\" x=\"250.000\" y=\"0\" width=\"250.000\""));
	ck_assert_ptr_nonnull(
	    strstr(s, "<rect class=\"nd\" x=\"0.000\" y=\"0\" width=\"1000.000\""));
	ck_assert_ptr_nonnull(strstr(s, "<title>degraded 2026-11-01T02:00:00Z to "
	                                "2026-11-01T03:00:00Z</title>"));
	ck_assert_ptr_nonnull(strstr(s, "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, | "
	                                "&quot;q&quot;</td>"));
	ck_assert_ptr_nonnull(strstr(s, "<td>open</td><td class=\"n\">0:30:01 so far</td>"));
	ck_assert_uint_eq(count(s, "<tr>"), count(s, "</tr>"));
	ck_assert_uint_eq(count(s, "<td"), count(s, "</td>"));
	ck_assert(strlen(s) > 16 && strcmp(s + strlen(s) - 8, "</html>\n") == 0);
	free(s);
}
END_TEST

/* Neighbours in the same state are one bar: up, up, down over 4 h is two bars, 500 units each. */
START_TEST(test_html_runs)
{
	static const struct report_segment segs[] = {
	    {"eu", "kusama", REPORT_UP, T0, T0 + H},
	    {"eu", "kusama", REPORT_UP, T0 + H, T0 + 2 * H},
	    {"eu", "kusama", REPORT_DOWN, T0 + 2 * H, T0 + 4 * H},
	};
	struct report r = {T0, T0 + 4 * H, false, NULL, NULL, NULL, 0, NULL,
	                   0,  NULL,       0,     NULL, 0,    segs, 3, NULL};
	char *s = render(&r, REPORT_HTML);

	ck_assert_uint_eq(count(s, "<rect "), 2);
	ck_assert_ptr_nonnull(strstr(s, "<rect class=\"up\" x=\"0.000\" y=\"0\" width=\"500.000\""
	                                " height=\"24\"><title>up 2026-11-01T00:00:00Z to "
	                                "2026-11-01T02:00:00Z</title>"));
	ck_assert_ptr_nonnull(
	    strstr(s, "<rect class=\"dn\" x=\"500.000\" y=\"0\" width=\"500.000\""));
	free(s);
}
END_TEST

static Suite *report_render_suite(void)
{
	Suite *s = suite_create("report_render");
	TCase *tc = tcase_create("formats");

	tcase_add_test(tc, test_format_names);
	tcase_add_test(tc, test_md);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_html_runs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(report_render_suite());
}
