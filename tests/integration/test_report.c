/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl report` against a real PostgreSQL started by the harness
 * (tests/harness/pg.h): the schema migrated with `db migrate`, then the
 * fixed data set tests/data/report/dataset.sql loaded with psql. The
 * Markdown and CSV reports must equal tests/data/report/expected.md and
 * expected.csv byte for byte, the JSON report must hold the values of
 * expected.json; those files were worked out by hand from the data set
 * (tests/data/report/README.md shows the arithmetic). The HTML report must
 * parse with every element closed, load nothing, hold one timeline per
 * region and chain and show a hostile cause escaped. The filters, a window
 * given with an offset, a --to in the future, bad arguments (exit 2), a
 * database that cannot be reached and one without sql/003 (exit 1). No
 * HAProxy.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/pg.h"

#define OUT_MAX (256 * 1024)
#define WINDOW  "--from 2026-10-31 --to 2026-11-02T00:00:00Z"

static struct h_pg pg;
static char config[512];
static char out[OUT_MAX];

static void write_config(const char *path, const char *database)
{
	char json[2048];

	snprintf(json, sizeof(json),
	         "{\"region\": \"eu\", \"haproxy\": [\"unix:/run/haproxy.sock\"],"
	         " \"chains\": [{\"name\": \"polkadot\", \"backend\": \"be_polkadot\","
	         " \"nodes\": [{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": "
	         "\"http://127.0.0.1:9\"}]}]%s%s%s}",
	         database != NULL ? ", \"database\": \"" : "", database != NULL ? database : "",
	         database != NULL ? "\"" : "");
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void sql(const char *q, char *buf, size_t len)
{
	ck_assert_msg(h_pg_sql(&pg, NULL, q, buf, len) == 0, "psql: %s", buf);
}

/* A migrated database: only the migrations of <dir>. */
static void migrate(const char *dir)
{
	char args[1200];

	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir '%s'", config, dir);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
}

static void load_dataset(void)
{
	size_t len;
	char *text = h_read_file("tests/data/report/dataset.sql", &len);

	ck_assert_ptr_nonnull(text);
	sql(text, out, sizeof(out));
	free(text);
}

static void setup(void)
{
	ck_assert_msg(h_pg_start(&pg), "postgres did not start");
	snprintf(config, sizeof(config), "%s/ctl-%d.json", h_tmpdir(), (int)getpid());
	write_config(config, pg.conninfo);
}

static void teardown(void)
{
	h_stop_all();
}

/* Runs `report --config <config> <args>` with stdout only into out. Returns the exit code. */
static int report(const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl report --config '%s' %s", h_build_dir(), config,
	         args);
	st = h_run(cmd, out, sizeof(out));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs `report <args>` with stderr folded in (h_ctl_run). */
static int report_err(const char *args)
{
	char a[2048];

	snprintf(a, sizeof(a), "report --config '%s' %s", config, args);
	return h_ctl_run(NULL, a, out, sizeof(out));
}

static void assert_equals_file(const char *got, const char *path)
{
	size_t len;
	char *want = h_read_file(path, &len);

	ck_assert_ptr_nonnull(want);
	if (strcmp(got, want) != 0) {
		size_t i = 0;

		while (got[i] != '\0' && got[i] == want[i])
			i++;
		ck_abort_msg("%s differs at byte %zu: got\n%.200s\nwant\n%.200s", path, i, got + i,
		             want + i);
	}
	free(want);
}

/* The report as JSON, parsed (the caller deletes it). */
static cJSON *report_json(const char *args)
{
	char a[1024];
	cJSON *j;

	snprintf(a, sizeof(a), "--format json %s", args);
	ck_assert_int_eq(report(a), 0);
	j = cJSON_Parse(out);
	ck_assert_msg(j != NULL, "not JSON: %.300s", out);
	return j;
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	ck_assert_msg(v != NULL, "no %s", key);
	return v;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);

	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
	return v->valuestring;
}

/* Asserts the seconds of an uptime object: up, down, no data, window; and the rounded %. */
static void assert_figures(const cJSON *o, double up, double down, double nodata, double window,
                           double pct)
{
	ck_assert_double_eq(num(o, "up_s"), up);
	ck_assert_double_eq(num(o, "down_s"), down);
	ck_assert_double_eq(num(o, "nodata_s"), nodata);
	ck_assert_double_eq(num(o, "window_s"), window);
	ck_assert_double_eq_tol(num(o, "uptime_pct"), pct, 1e-9);
}

START_TEST(test_md_csv_json_as_worked_out)
{
	cJSON *got, *want;
	char *text;
	size_t len;

	migrate("sql");
	load_dataset();
	ck_assert_int_eq(report(WINDOW), 0);
	assert_equals_file(out, "tests/data/report/expected.md");
	/* md is the default format. */
	ck_assert_int_eq(report("--format md " WINDOW), 0);
	assert_equals_file(out, "tests/data/report/expected.md");
	ck_assert_int_eq(report("--format csv " WINDOW), 0);
	assert_equals_file(out, "tests/data/report/expected.csv");
	got = report_json(WINDOW);
	text = h_read_file("tests/data/report/expected.json", &len);
	ck_assert_ptr_nonnull(text);
	want = cJSON_Parse(text);
	free(text);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(cJSON_Compare(got, want, true), "JSON differs from expected.json:\n%.4000s",
	              out);
	cJSON_Delete(got);
	cJSON_Delete(want);
}
END_TEST

START_TEST(test_html_parses_and_escapes)
{
	char path[600], cmd[2048], res[4096];

	migrate("sql");
	load_dataset();
	snprintf(path, sizeof(path), "%s/report-%d.html", h_tmpdir(), (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl report --config '%s' --format html %s >'%s'",
	         h_build_dir(), config, WINDOW, path);
	ck_assert_int_eq(h_run(cmd, res, sizeof(res)), 0);
	/* 5 pairs: eu/kusama, eu/polkadot, us/kusama, us/polkadot, us/westend. */
	snprintf(cmd, sizeof(cmd), "python3 tests/data/report/check_html.py '%s' 5", path);
	ck_assert_msg(h_run(cmd, res, sizeof(res)) == 0, "%s", res);
	ck_assert_str_eq(res, "ok: 5 svg\n");
	ck_assert_int_eq(report("--format html " WINDOW), 0);
	ck_assert_ptr_null(strstr(out, "<script"));
	ck_assert_ptr_nonnull(strstr(out, "<td>p-us-1 said &lt;script&gt;alert(1)&lt;/script&gt; | "
	                                  "&quot;bad, very bad&quot;</td>"));
	ck_assert_ptr_nonnull(strstr(out, "a note with &lt;b&gt;tags&lt;/b&gt;"));
	/* The open incident and the region-wide one. */
	ck_assert_ptr_nonnull(strstr(out, "<td>open</td><td class=\"n\">2:00:00 so far</td>"));
	ck_assert_ptr_nonnull(strstr(out, "<td>(region)</td><td>region_unreachable</td>"));
}
END_TEST

START_TEST(test_filters)
{
	const cJSON *a;
	cJSON *j;

	migrate("sql");
	load_dataset();
	/* One region and one chain: every total is that pair's. */
	j = report_json("--region us --chain kusama " WINDOW);
	ck_assert_str_eq(str(j, "region"), "us");
	ck_assert_str_eq(str(j, "chain"), "kusama");
	a = get(j, "uptime");
	ck_assert_int_eq(cJSON_GetArraySize(a), 1);
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 0), "region"), "us");
	assert_figures(cJSON_GetArrayItem(a, 0), 127800, 1800, 43200, 172800, 73.958);
	assert_figures(get(j, "uptime_total"), 127800, 1800, 43200, 172800, 73.958);
	/* us/kusama's own incident and the region-wide one of us. */
	a = get(j, "incidents");
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 0), "kind"), "chain_degraded");
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 1), "kind"), "region_unreachable");
	a = get(j, "changes");
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 0), "kind"), "undrain");
	ck_assert_str_eq(str(cJSON_GetArrayItem(a, 1), "kind"), "note");
	ck_assert_int_eq(cJSON_GetArraySize(get(j, "months")), 2);
	cJSON_Delete(j);
	/* One chain across both regions: sums of seconds, not a mean of percentages. */
	j = report_json("--chain polkadot " WINDOW);
	ck_assert_int_eq(cJSON_GetArraySize(get(j, "uptime")), 2);
	assert_figures(get(j, "uptime_total"), 328095, 9675, 7830, 345600, 94.935);
	ck_assert_int_eq(cJSON_GetArraySize(get(j, "incidents")), 3);
	ck_assert_int_eq(cJSON_GetArraySize(get(j, "changes")), 4);
	cJSON_Delete(j);
	/* A region with nothing of that name: empty tables, still exit 0. */
	j = report_json("--region nowhere " WINDOW);
	ck_assert_int_eq(cJSON_GetArraySize(get(j, "uptime")), 0);
	ck_assert(cJSON_IsNull(get(j, "uptime_total")));
	ck_assert_int_eq(cJSON_GetArraySize(get(j, "incidents")), 0);
	cJSON_Delete(j);
	ck_assert_int_eq(report("--region eu --format md " WINDOW), 0);
	ck_assert_ptr_nonnull(strstr(out, "- Region: eu; chain: all\n"));
	ck_assert_ptr_nonnull(
	    strstr(out, "| eu | polkadot | 90.078 | missed | 155.25 | 130.50 |\n"));
	ck_assert_ptr_null(strstr(out, "| us |"));
}
END_TEST

/* A window in local time, and a --to in the future. */
START_TEST(test_window)
{
	const cJSON *a;
	cJSON *j;
	double to;

	migrate("sql");
	load_dataset();
	/* 2026-11-01T12:00+02:00 is 10:00Z: eu/polkadot is down 00:00-00:45, degraded to 02:00. */
	j = report_json("--region eu --chain polkadot --from 2026-11-01 --to "
	                "2026-11-01T12:00:00+02:00");
	ck_assert_str_eq(str(j, "from"), "2026-11-01T00:00:00Z");
	ck_assert_str_eq(str(j, "to"), "2026-11-01T10:00:00Z");
	ck_assert(cJSON_IsFalse(get(j, "to_clipped")));
	a = get(j, "uptime");
	ck_assert_int_eq(cJSON_GetArraySize(a), 1);
	assert_figures(cJSON_GetArrayItem(a, 0), 33300, 2700, 0, 36000, 92.5);
	cJSON_Delete(j);
	/* From the data set's start to a year ahead: to becomes now, the open incident runs to it.
	 */
	j = report_json("--region eu --chain kusama --from 2026-10-30 --to 2999-01-01");
	ck_assert(cJSON_IsTrue(get(j, "to_clipped")));
	to = num(get(j, "uptime_total"), "window_s");
	a = get(j, "incidents");
	ck_assert_int_eq(cJSON_GetArraySize(a), 1);
	ck_assert(cJSON_IsNull(get(cJSON_GetArrayItem(a, 0), "end")));
	/* duration = to - 2026-11-01T22:00Z = window - (22:00 on 11-01 - 00:00 on 10-30). */
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(a, 0), "duration_s"), to - 2 * 86400 - 79200,
	                        0.0015);
	cJSON_Delete(j);
	ck_assert_int_eq(report("--from 2026-10-30 --to 2999-01-01"), 0);
	ck_assert_ptr_nonnull(strstr(out, " (--to was in the future: clipped to now)\n"));
	/* Without --to the window ends now, which is no clipping. */
	ck_assert_int_eq(report("--from 2026-10-30"), 0);
	ck_assert_ptr_null(strstr(out, "clipped"));
	j = report_json("--region eu --chain kusama --from 2026-10-30");
	ck_assert(cJSON_IsFalse(get(j, "to_clipped")));
	/* the same window as above, to now, a few seconds later */
	ck_assert_double_eq_tol(num(get(j, "uptime_total"), "window_s"), to, 60);
	cJSON_Delete(j);
}
END_TEST

/* One line on stderr: no newline but the last. */
static void assert_one_line(void)
{
	ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
}

START_TEST(test_bad_usage)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
	    {"--to 2026-11-02", "polkfura-ctl: report needs --from"},
	    {"--from 2026-13-01", "polkfura-ctl: --from 2026-13-01: no such date"},
	    {"--from 2026-02-29", "polkfura-ctl: --from 2026-02-29: no such date"},
	    {"--from yesterday", "polkfura-ctl: --from yesterday: expected YYYY-MM-DD"},
	    {"--from 2026-11-01T10:00:00", "a time needs Z or an offset"},
	    {"--from 2026-11-01T25:00:00Z", "out of range"},
	    {"--from 2026-11-01 --to 2026-11-01", "--from must be before --to"},
	    {"--from 2026-11-02 --to 2026-11-01", "--from must be before --to"},
	    {"--from 2026-11-01 --format xml", "--format xml: expected md, html, csv or json"},
	    /* After now: --to clips to now, before --from (found with the database's clock). */
	    {"--from 2999-01-01", "--from must be before now (no --to)"},
	    {"--from 2999-01-01 --to 2999-01-02", "--from must be before --to (clipped to now)"},
	    {"--from 2026-11-01 --sql-dir sql", "--sql-dir goes with db"},
	    {"--from 2026-11-01 --json", "report takes only --config, --from"},
	    {"--from 2026-11-01 extra", "only drain and undrain take a NODE"},
	    {"--from", "--from: missing value"},
	};
	char a[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(report_err(cases[i].args) == 2, "%s: %s", cases[i].args, out);
		assert_one_line();
		ck_assert_msg(strstr(out, cases[i].msg) != NULL, "%s: %s", cases[i].args, out);
	}
	/* The report's options belong to report. */
	snprintf(a, sizeof(a), "status --config '%s' --from 2026-11-01", config);
	ck_assert_int_eq(h_ctl_run(NULL, a, out, sizeof(out)), 2);
	ck_assert_str_eq(out, "polkfura-ctl: --from, --to, --format, --region and --chain go with "
	                      "report\n");
	/* No database key. */
	write_config(config, NULL);
	ck_assert_int_eq(report_err("--from 2026-11-01"), 2);
	assert_one_line();
	ck_assert_ptr_nonnull(strstr(out, "no database key"));
}
END_TEST

START_TEST(test_database_trouble)
{
	char dir[600], cmd[1400], db[600];

	/* The schema without 003: the report names the migration to apply. */
	snprintf(dir, sizeof(dir), "%s/sql-old-%d", h_tmpdir(), (int)getpid());
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp sql/001_*.sql sql/002_*.sql '%s'/", dir,
	         dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	migrate(dir);
	ck_assert_int_eq(report_err(WINDOW), 1);
	assert_one_line();
	ck_assert_msg(strstr(out, "polkfura-ctl: report: report_uptime: ERROR:  function "
	                          "report_uptime(") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "(is sql/003_report.sql applied? polkfura-ctl db migrate)\n") !=
	                  NULL,
	              "%s", out);
	/* Nobody listening. */
	snprintf(db, sizeof(db),
	         "host=127.0.0.1 port=%d user=postgres dbname=postgres connect_timeout=5",
	         h_free_port());
	write_config(config, db);
	ck_assert_int_eq(report_err(WINDOW), 1);
	assert_one_line();
	ck_assert_msg(strncmp(out, "polkfura-ctl: report: cannot reach the database: ", 49) == 0,
	              "%s", out);
	ck_assert_msg(strstr(out, "Connection refused") != NULL, "%s", out);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_md_csv_json_as_worked_out);
	tcase_add_test(tc, test_html_parses_and_escapes);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_bad_usage);
	tcase_add_test(tc, test_database_trouble);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(report_suite());
}
