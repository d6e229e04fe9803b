/* SPDX-License-Identifier: MIT */
/*
 * ctl/web/page.c (the status page) and the history keys of
 * status_render_json, on views built by hand: each chain health in words,
 * the day classes at their 1 % edge, days without data, the uptime since
 * the first day with data, an open and an ended incident, a stale and a
 * missing history, and hostile names and summaries escaped everywhere.
 * Expected figures are worked out in the comments from the definitions
 * (README "Status page", sql/003_report.sql), not taken from the code.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "ctl/web/page.h"
#include "ctl/web/status.h"
#include "tests/unit/check_main.h"

#define NOW   INT64_C(1796558400000) /* 2026-12-06T12:00:00Z (date -u -d 2026-12-06T12:00Z +%s) */
#define TODAY INT64_C(1796515200000) /* 2026-12-06T00:00:00Z */

static const char evil[] = "<script>alert(\"x\")</script>";

static struct status_chain chains[4];
static struct status_view view;
static struct status_history hist;
static struct status_uptime up[1];
static struct status_incident inc[2];

/* Four chains, one per health; no history (a controller without a database). */
static void setup(void)
{
	static const char *const names[] = {"polkadot", "kusama", "westend", "rococo"};
	static const char *const health[] = {"up", "degraded", "down", NULL};

	memset(chains, 0, sizeof(chains));
	memset(&view, 0, sizeof(view));
	memset(&hist, 0, sizeof(hist));
	for (int i = 0; i < 4; i++)
		chains[i] = (struct status_chain){.name = names[i],
		                                  .backend = "be",
		                                  .genesis = "",
		                                  .health = health[i],
		                                  .health_why = "why",
		                                  .ref_best = 1000 + i,
		                                  .ref_finalized = 998,
		                                  .in_rotation = 3 - i,
		                                  .n_nodes = 0};
	view =
	    (struct status_view){.region = "eu1", .now_ms = NOW, .chains = chains, .n_chains = 4};
}

/* A history: polkadot with 90 days, the first 88 without data; an open and an ended incident. */
static void with_history(void)
{
	struct status_uptime *u = &up[0];

	memset(up, 0, sizeof(up));
	u->chain = (char *)"polkadot";
	u->n_days = STATUS_DAYS;
	for (int i = 0; i < STATUS_DAYS; i++) {
		u->days[i].day_ms = TODAY - (int64_t)(STATUS_DAYS - 1 - i) * DAY_MS;
		u->days[i].window_s = 86400;
	}
	/* yesterday: 23 h up, 1 h down; today until 12:00: all up */
	u->days[88].up_s = 82800;
	u->days[88].down_s = 3600;
	u->days[89].window_s = 43200;
	u->days[89].up_s = 43200;
	inc[0] = (struct status_incident){(char *)"inc-open",
	                                  (char *)"polkadot",
	                                  (char *)"chain_down",
	                                  (char *)"critical",
	                                  (char *)"no node answering",
	                                  NOW - 5400000,
	                                  0,
	                                  5400};
	inc[1] = (struct status_incident){
	    (char *)"inc-old",      (char *)"",       (char *)"region_unreachable", (char *)"major",
	    (char *)"probe failed", NOW - 3 * DAY_MS, NOW - 3 * DAY_MS + 600000,    600};
	hist = (struct status_history){.as_of_ms = NOW - 30000,
	                               .fresh = true,
	                               .chains = up,
	                               .n_chains = 1,
	                               .incidents = inc,
	                               .n_incidents = 2};
	view.history = &hist;
	view.has_db = true;
}

static char *render(void)
{
	size_t len = 0;
	char *s = page_render(&view, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(len, strlen(s));
	return s;
}

/* The <tr> of chain <name> up to its end. */
static char *row(const char *page, const char *name)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "<tr data-chain=\"%s\"", name);
	p = strstr(page, key);
	ck_assert_msg(p != NULL, "no row for %s", name);
	e = strstr(p, "</tr>");
	ck_assert_ptr_nonnull(e);
	return strndup(p, (size_t)(e - p));
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

START_TEST(test_health_words)
{
	/* The words: operational / degraded / outage; nothing decided yet is not "up". */
	static const char *const want[][3] = {{"polkadot", "Operational", "up"},
	                                      {"kusama", "Degraded", "degraded"},
	                                      {"westend", "Outage", "down"},
	                                      {"rococo", "No data yet", "nodata"}};
	char *s = render();

	for (int i = 0; i < 4; i++) {
		char *r = row(s, want[i][0]), attr[64];

		ck_assert_msg(strstr(r, want[i][1]) != NULL, "%s: %s", want[i][0], r);
		snprintf(attr, sizeof(attr), "data-health=\"%s\"", want[i][2]);
		ck_assert_msg(strstr(r, attr) != NULL, "%s: %s", want[i][0], r);
		free(r);
	}
	{
		char *r = row(s, "kusama");

		/* in_rotation 2 of n_nodes 0 as set up: the numbers are printed as given */
		ck_assert_ptr_nonnull(strstr(r, ">1001<"));
		ck_assert_ptr_nonnull(strstr(r, ">998<"));
		ck_assert_ptr_nonnull(strstr(r, "2 of 0"));
		free(r);
	}
	ck_assert_ptr_null(strstr(s, "<script"));
	free(s);
}
END_TEST

START_TEST(test_no_database)
{
	char *s = render();

	ck_assert_ptr_nonnull(strstr(s, "data-history=\"unavailable\""));
	ck_assert_ptr_nonnull(strstr(s, "History unavailable: this controller has no database"));
	ck_assert_uint_eq(count(s, "data-day="), 0);
	ck_assert_ptr_nonnull(strstr(s, "Unavailable without the history"));
	/* the current states are still there */
	ck_assert_ptr_nonnull(strstr(s, "Outage"));
	free(s);
}
END_TEST

START_TEST(test_never_read)
{
	char *s;

	view.has_db = true;
	view.history = &hist; /* as_of_ms 0 */
	snprintf(hist.error, sizeof(hist.error), "%s", evil);
	s = render();
	ck_assert_ptr_nonnull(strstr(s, "History unavailable: not read yet"));
	ck_assert_ptr_nonnull(strstr(s, "&lt;script&gt;"));
	ck_assert_ptr_null(strstr(s, "<script"));
	free(s);
}
END_TEST

START_TEST(test_day_classes)
{
	/* 1 % of a 86400 s day is 864 s: at most that is "dg", beyond it "dn". */
	struct status_day d = {TODAY, 86400, 0, 0};

	ck_assert_str_eq(page_day_class(&d), "nd");
	d.up_s = 1;
	ck_assert_str_eq(page_day_class(&d), "up");
	d.up_s = 0;
	d.down_s = 1; /* one second down, the rest of the day unrecorded: down, within 1 % */
	ck_assert_str_eq(page_day_class(&d), "dg");
	d.up_s = 86400 - 864;
	d.down_s = 864;
	ck_assert_str_eq(page_day_class(&d), "dg");
	d.up_s = 86400 - 865;
	d.down_s = 865;
	ck_assert_str_eq(page_day_class(&d), "dn");
	/* half the day without data and no down time: up (the title says the rest) */
	d.up_s = 43200;
	d.down_s = 0;
	ck_assert_str_eq(page_day_class(&d), "up");
}
END_TEST

START_TEST(test_bars)
{
	char *s;

	with_history();
	s = render();
	/* polkadot has 90 bars; the other chains have none recorded */
	ck_assert_uint_eq(count(s, "data-day="), STATUS_DAYS);
	ck_assert_uint_eq(count(s, "<span class=\"nd\" data-day="), 88);
	ck_assert_ptr_nonnull(strstr(s, "<span class=\"nd\" data-day=\"2026-09-08\""));
	ck_assert_ptr_nonnull(strstr(s, "title=\"2026-09-08: no data\""));
	/* yesterday: 82800 / 86400 = 95.833 %, 60 min down (more than 1 %: red) */
	ck_assert_ptr_nonnull(strstr(s,
	                             "<span class=\"dn\" data-day=\"2026-12-05\" "
	                             "data-uptime=\"95.833\" title=\"2026-12-05: 95.833 % up, 60 "
	                             "min down, 0 min no data\""));
	/* today until 12:00, all up */
	ck_assert_ptr_nonnull(
	    strstr(s, "<span class=\"up\" data-day=\"2026-12-06\" data-uptime=\"100.000\""));
	/* since 2026-12-05 00:00: (82800 + 43200) / (86400 + 43200) = 97.222 % */
	ck_assert_ptr_nonnull(strstr(s, "97.222 % up since 2026-12-05 00:00 UTC"));
	ck_assert_uint_eq(count(s, "No data recorded."), 3);
	ck_assert_ptr_nonnull(strstr(s, "data-history=\"fresh\""));
	ck_assert_ptr_nonnull(strstr(s, "History as of 2026-12-06 11:59 UTC (30 s ago)"));
	free(s);
}
END_TEST

START_TEST(test_incidents)
{
	char *s, *open, *old;

	with_history();
	s = render();
	ck_assert_ptr_nonnull(strstr(s, "<p>1 open;"));
	open = strstr(s, "<tr data-incident=\"inc-open\" data-open=\"true\">");
	old = strstr(s, "<tr data-incident=\"inc-old\" data-open=\"false\">");
	ck_assert_ptr_nonnull(open);
	ck_assert_ptr_nonnull(old);
	/* started 10:30, open, 1 h 30 min so far */
	ck_assert_ptr_nonnull(strstr(open, "<td>2026-12-06 10:30 UTC</td><td>open</td>"
	                                   "<td>1 h 30 min so far</td><td>critical</td>"
	                                   "<td>polkadot</td><td>no node answering</td>"));
	/* 3 days ago 12:00 to 12:10; a region-wide incident shows "all" */
	ck_assert_ptr_nonnull(strstr(old, "<td>2026-12-03 12:00 UTC</td><td>2026-12-03 12:10 UTC"
	                                  "</td><td>10 min</td><td>major</td><td>all</td>"));
	free(s);
}
END_TEST

START_TEST(test_stale)
{
	char *s;

	with_history();
	hist.fresh = false;
	hist.as_of_ms = NOW - 7200000;
	snprintf(hist.error, sizeof(hist.error), "connection refused");
	s = render();
	ck_assert_ptr_nonnull(strstr(s, "data-history=\"stale\""));
	ck_assert_ptr_nonnull(strstr(s, "(2 h 0 min ago); stale: the database did not answer the "
	                                "latest refresh (connection refused)"));
	/* the last data is still shown */
	ck_assert_uint_eq(count(s, "data-day="), STATUS_DAYS);
	free(s);
}
END_TEST

START_TEST(test_escaping)
{
	char *s;

	with_history();
	chains[0].name = evil;
	chains[1].health_why = evil;
	up[0].chain = (char *)evil;
	inc[0].summary = (char *)evil;
	inc[0].id = (char *)"\"><script>x</script>";
	inc[1].severity = (char *)evil;
	view.region = "<b>eu</b>";
	s = render();
	ck_assert_ptr_null(strstr(s, "<script"));
	ck_assert_ptr_null(strstr(s, "<b>"));
	ck_assert_ptr_nonnull(strstr(s, "&lt;b&gt;eu&lt;/b&gt; status"));
	ck_assert_ptr_nonnull(strstr(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(s, "data-incident=\"&quot;&gt;&lt;script&gt;"));
	/* the chain whose name is hostile still gets its bars, matched by name */
	ck_assert_uint_eq(count(s, "data-day="), STATUS_DAYS);
	free(s);
}
END_TEST

/* The other regions as this region's probes see them; a section only with probes. */
START_TEST(test_probes)
{
	struct status_probe pr[3] = {
	    {.region = "us1",
	     .chain = "",
	     .url = "u",
	     .state = "reachable",
	     .since_ms = NOW - 60000},
	    {.region = "us1",
	     .chain = "kusama",
	     .url = "u",
	     .state = "unreachable",
	     .since_ms = NOW - 120000},
	    {.region = evil, .chain = "polkadot", .url = "u", .state = "unknown"},
	};
	char *s = render(), *t;

	ck_assert_ptr_null(strstr(s, "Other regions"));
	free(s);
	view.probes = pr;
	view.n_probes = 3;
	s = render();
	t = strstr(s, "<table id=\"regions\">");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "<tr><td>us1</td><td>all</td><td class=\"st up\">Reachable"
	                                "</td><td>2026-12-06 11:59 UTC</td></tr>"));
	ck_assert_ptr_nonnull(strstr(t, "<tr><td>us1</td><td>kusama</td><td class=\"st dn\">"
	                                "Unreachable</td><td>2026-12-06 11:58 UTC</td></tr>"));
	ck_assert_ptr_nonnull(strstr(t, "<td>polkadot</td><td class=\"st nd\">Not probed yet</td>"
	                                "<td>-</td>"));
	ck_assert_ptr_null(strstr(s, "<script"));
	free(s);
}
END_TEST

/* The JSON keys next to the old ones: per chain health and days, top-level history. */
START_TEST(test_json)
{
	char *s;
	cJSON *root, *ch, *days, *d, *h, *in;

	with_history();
	s = status_render_json(&view);
	ck_assert_ptr_nonnull(s);
	root = cJSON_Parse(s);
	ck_assert_ptr_nonnull(root);
	ch = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "chains"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(ch, "name")->valuestring, "polkadot");
	ck_assert_str_eq(cJSON_GetObjectItem(ch, "health")->valuestring, "up");
	ck_assert_int_eq((int)cJSON_GetObjectItem(ch, "in_rotation")->valuedouble, 3);
	ck_assert_str_eq(cJSON_GetObjectItem(
	                     cJSON_GetArrayItem(cJSON_GetObjectItem(root, "chains"), 3), "health")
	                     ->valuestring,
	                 "nodata");
	days = cJSON_GetObjectItem(ch, "uptime_days");
	ck_assert_int_eq(cJSON_GetArraySize(days), STATUS_DAYS);
	d = cJSON_GetArrayItem(days, 88);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "day")->valuestring, "2026-12-05");
	ck_assert_double_eq_tol(cJSON_GetObjectItem(d, "uptime_pct")->valuedouble, 95.8333, 1e-3);
	ck_assert_double_eq(cJSON_GetObjectItem(d, "down_s")->valuedouble, 3600);
	ck_assert_double_eq(cJSON_GetObjectItem(d, "nodata_s")->valuedouble, 0);
	d = cJSON_GetArrayItem(days, 0);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "uptime_pct")) == false);
	ck_assert_double_eq(cJSON_GetObjectItem(d, "nodata_s")->valuedouble, 86400);
	/* a chain without recorded days has an empty list */
	ck_assert_int_eq(
	    cJSON_GetArraySize(cJSON_GetObjectItem(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(root, "chains"), 1), "uptime_days")),
	    0);
	h = cJSON_GetObjectItem(root, "history");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(h, "available")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(h, "fresh")));
	ck_assert_double_eq(cJSON_GetObjectItem(h, "as_of_ms")->valuedouble, (double)(NOW - 30000));
	in = cJSON_GetObjectItem(root, "incidents");
	ck_assert_int_eq(cJSON_GetArraySize(in), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 0), "id")->valuestring,
	                 "inc-open");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 0), "ended_ms")));
	ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 1), "ended_ms")->valuedouble,
	                    (double)(NOW - 3 * DAY_MS + 600000));
	cJSON_Delete(root);
	free(s);
}
END_TEST

START_TEST(test_json_no_database)
{
	char *s = status_render_json(&view);
	cJSON *root = cJSON_Parse(s), *h;

	ck_assert_ptr_nonnull(root);
	h = cJSON_GetObjectItem(root, "history");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(h, "available")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "incidents")), 0);
	/* the old keys are still there */
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(root, "region"));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(root, "database")));
	cJSON_Delete(root);
	free(s);
}
END_TEST

static Suite *page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("page");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_health_words);
	tcase_add_test(tc, test_no_database);
	tcase_add_test(tc, test_never_read);
	tcase_add_test(tc, test_day_classes);
	tcase_add_test(tc, test_bars);
	tcase_add_test(tc, test_incidents);
	tcase_add_test(tc, test_stale);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_probes);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_no_database);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(page_suite());
}
