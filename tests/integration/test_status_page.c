/* SPDX-License-Identifier: MIT */
/*
 * The public status page (GET /) and /status.json's history keys, through
 * the real controller, HAProxy (the stage), the node simulator, a
 * throw-away PostgreSQL and Debian's chromium, headless:
 * - polkadot's nodes all go down (an incident opens), kusama stays up; a
 *   past day of history and an ended incident whose summary is an
 *   injection attempt are inserted with SQL; the browser's DOM shows each
 *   chain's state, the open incident, the day's uptime worked out by hand,
 *   the hostile summary as text and no script; /status.json carries the
 *   same states and incident ids as the database; a screenshot is written
 *   to the build directory;
 * - PostgreSQL stopped: the page still renders, the history marked stale,
 *   the bars still there; PostgreSQL back: fresh again.
 */
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"
#include "tests/harness/pg.h"

/*
 * The reader refreshes at most every 5 s when someone looks (status_reader
 * min_ms) and a refresh has 10 s (timeout_ms): what the page shows follows
 * the database within 15 s, plus the fixture's margin.
 */
#define FOLLOW_S  (5.0 + 10.0 + FX_MARGIN_S)
#define BROWSER_S 60 /* chromium's own time limit (timeout(1)) */
#define PAGE_DAYS 90 /* bars per chain: the README's 90 days */

/* The simulated heights stay still: no stall while a test runs (the fixture's stall_ms is 1 s). */
#define NO_STALL "\"stall_ms\": 600000"

static struct h_pg pg;
static char spool[512], migrate_cfg[512];
static char dom[512 * 1024];

static void setup(void)
{
	h_pg_start_migrated(&pg, migrate_cfg, sizeof(migrate_cfg), spool, sizeof(spool));
}

static void teardown(void)
{
	fx_stop(); /* h_stop_all: PostgreSQL too */
}

/* psql's answer to <sql> (h_pg_q). */
static const char *db(const char *sql)
{
	return h_pg_q(&pg, sql);
}

/* Waits until <sql> answers something other than "" (the write path is asynchronous). */
static const char *wait_db_row(const char *sql, double timeout_s)
{
	for (double end = h_now() + timeout_s; h_now() < end; usleep(50000)) {
		const char *got = db(sql);

		if (got[0] != '\0')
			return got;
	}
	h_print_log_tail(fx.ctl.log, 30);
	ck_abort_msg("%s: no row within %.1f s", sql, timeout_s);
	return NULL;
}

/*
 * A past day of history for region "test", 3 UTC days before today (day
 * D): a session over the whole day; polkadot up from 00:00, down from
 * 06:00 to 07:12 (72 min = 4320 s), up again, degraded from 12:00 to 13:00
 * (which counts as up). By the report's definition D is 82080 s up of
 * 86400: 95.000 %. The day before D has no session: no
 * data. kusama has no row in that session: no data on D either. Plus an
 * incident that ended on D whose summary tries to inject a script.
 */
static void insert_history(void)
{
	db("INSERT INTO observer_sessions VALUES ('past-s', 'test', 'old/test/1',"
	   " date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days',"
	   " date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '2 days');"
	   "INSERT INTO chain_state_changes SELECT 'past-c' || n, 'past-s', d + o, 'test', "
	   " 'polkadot', f, t, '', 3, h, h FROM (SELECT date_trunc('day', now() AT TIME ZONE 'UTC')"
	   " AT TIME ZONE 'UTC' - interval '3 days' AS d) x, (VALUES (1, interval '0', 'nodata',"
	   " 'up', 3), (2, interval '6 hours', 'up', 'down', 0), (3, interval '7 hours 12 minutes',"
	   " 'down', 'up', 3), (4, interval '12 hours', 'up', 'degraded', 1), (5, interval '13 "
	   "hours',"
	   " 'degraded', 'up', 3)) v(n, o, f, t, h);"
	   "INSERT INTO incidents VALUES ('past-inc', 'test', 'polkadot', 'chain_down', 'critical',"
	   " date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days'"
	   " + interval '6 hours', date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
	   " - interval '3 days' + interval '7 hours 12 minutes',"
	   " '<script>document.title=''pwned''</script><img src=x onerror=\"document.title=1\">',"
	   " '{}');");
}

/* "YYYY-MM-DD" of <days_ago> UTC days before today, from PostgreSQL (not the code under test). */
static void day_label(int days_ago, char *out, size_t len)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
	         "SELECT to_char((now() AT TIME ZONE 'UTC')::date - %d, 'YYYY-MM-DD');", days_ago);
	snprintf(out, len, "%s", db(sql));
}

/* GET / as text; fails the test unless 200 with the page's headers. */
static char *get_page(void)
{
	struct h_resp r;
	char v[128];
	char *body;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/", NULL, &r), 200);
	ck_assert(h_resp_header(&r, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "text/html; charset=utf-8");
	ck_assert(h_resp_header(&r, "Cache-Control", v, sizeof(v)));
	ck_assert_str_eq(v, "public, max-age=10");
	ck_assert_msg(strstr(r.headers, "no-store") == NULL, "%s", r.headers);
	body = strdup(r.body);
	h_resp_free(&r);
	ck_assert_ptr_nonnull(body);
	return body;
}

/* Polls GET / until it holds <needle>; fails after <timeout_s>. */
static void wait_page(const char *needle, double timeout_s)
{
	for (double end = h_now() + timeout_s; h_now() < end; usleep(100000)) {
		char *p = get_page();
		bool hit = strstr(p, needle) != NULL;

		free(p);
		if (hit)
			return;
	}
	h_print_log_tail(fx.ctl.log, 30);
	ck_abort_msg("GET / did not show %s within %.1f s", needle, timeout_s);
}

/* Runs chromium headless on the controller's page with <what> ("--dump-dom", ...); exit 0. */
static void browser(const char *what, char *out, size_t outlen)
{
	static int runs;
	char cmd[2048];
	int st;

	/* A fresh profile per run; as root the sandbox cannot start (the brief of the issue). */
	snprintf(cmd, sizeof(cmd),
	         "timeout %d chromium --headless --no-sandbox --disable-gpu --no-first-run "
	         "--disable-background-networking --disable-component-update --disable-sync "
	         "--user-data-dir=%s/chromium-%d-%d %s http://127.0.0.1:%d/ 2>>%s/chromium.log",
	         BROWSER_S, h_tmpdir(), (int)getpid(), runs++, what, fx.ctl.http_port, h_tmpdir());
	st = h_run(cmd, out, outlen);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	              "chromium failed (status %d), see %s/chromium.log", st, h_tmpdir());
}

/* Width and height from a PNG file's IHDR; fails unless it is a PNG. */
static void png_size(const char *path, unsigned *w, unsigned *h)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	size_t len = 0;
	unsigned char *p = (unsigned char *)h_read_file(path, &len);

	ck_assert_msg(p != NULL, "%s: not written", path);
	ck_assert_uint_ge(len, 24);
	ck_assert_int_eq(memcmp(p, sig, 8), 0);
	ck_assert_int_eq(memcmp(p + 12, "IHDR", 4), 0);
	*w = (unsigned)p[16] << 24 | (unsigned)p[17] << 16 | (unsigned)p[18] << 8 | p[19];
	*h = (unsigned)p[20] << 24 | (unsigned)p[21] << 16 | (unsigned)p[22] << 8 | p[23];
	free(p);
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The ids of /status.json's "incidents" (open ones when <open_only>), sorted, comma-separated. */
static void json_incident_ids(const cJSON *root, bool open_only, char *out, size_t len)
{
	char ids[64][64];
	int n = 0;
	const cJSON *in;

	cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(root, "incidents"))
	{
		if (open_only && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(in, "ended_ms")))
			continue;
		ck_assert_int_lt(n, 64);
		snprintf(ids[n++], sizeof(ids[0]), "%s", fx_json_str(in, "id"));
	}
	qsort(ids, (size_t)n, sizeof(ids[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", ids[i]);
}

/*
 * /status.json and the database agree on the incidents, open ones and all
 * (the recorder may still be opening node incidents: polled until they do).
 */
static void expect_json_incidents(void)
{
	char want[4096], got[4096] = "", want_all[4096], got_all[4096] = "";

	for (double end = h_now() + FOLLOW_S; h_now() < end; usleep(200000)) {
		cJSON *st = fx_status();

		snprintf(want, sizeof(want), "%s",
		         db("SELECT string_agg(id, ',' ORDER BY id COLLATE \"C\") FROM incidents "
		            "WHERE region = 'test' AND ended_at IS NULL;"));
		snprintf(want_all, sizeof(want_all), "%s",
		         db("SELECT string_agg(id, ',' ORDER BY id COLLATE \"C\") FROM incidents "
		            "WHERE region = 'test';"));
		json_incident_ids(st, true, got, sizeof(got));
		json_incident_ids(st, false, got_all, sizeof(got_all));
		cJSON_Delete(st);
		if (strcmp(want, got) == 0 && strcmp(want_all, got_all) == 0)
			return;
	}
	ck_abort_msg("incidents: database open %s all %s, /status.json open %s all %s", want,
	             want_all, got, got_all);
}

START_TEST(test_page_in_browser)
{
	char tuning[1200], day[16], before[16], needle[256], inc_id[128], png[600];
	const cJSON *ch, *d;
	cJSON *st;
	unsigned w, h;

	snprintf(tuning, sizeof(tuning), NO_STALL ", \"database\": \"%s\", \"spool_dir\": \"%s\"",
	         pg.conninfo, spool);
	insert_history();
	fx_start_opts(&(struct fx_opts){
	    .sim_args = FX_SIM_STATIC, .kusama = 2, .ksim_args = FX_SIM_STATIC, .tuning = tuning});
	fx_wait_decided(10);
	/* every polkadot node stops answering: the chain is down, an incident opens */
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all/steer", "{\"down\": true}", NULL), 200);
	snprintf(inc_id, sizeof(inc_id), "%s",
	         wait_db_row("SELECT id FROM incidents WHERE region = 'test' AND chain = 'polkadot'"
	                     " AND kind = 'chain_down' AND ended_at IS NULL;",
	                     10));
	snprintf(needle, sizeof(needle), "data-incident=\"%s\" data-open=\"true\"", inc_id);
	wait_page(needle, FOLLOW_S);

	browser("--dump-dom", dom, sizeof(dom));
	/* each chain's state, in the browser's DOM */
	ck_assert_msg(strstr(dom, "data-chain=\"polkadot\" data-health=\"down\"") != NULL,
	              "%.2000s", dom);
	ck_assert_ptr_nonnull(strstr(dom, "data-chain=\"kusama\" data-health=\"up\""));
	ck_assert_ptr_nonnull(strstr(dom, ">Outage<"));
	ck_assert_ptr_nonnull(strstr(dom, ">Operational<"));
	ck_assert_ptr_nonnull(strstr(dom, needle));
	/* day D: 95.000 % (worked out in insert_history), the day before: no data */
	day_label(3, day, sizeof(day));
	day_label(4, before, sizeof(before));
	snprintf(needle, sizeof(needle), "data-day=\"%s\" data-uptime=\"95.000\"", day);
	ck_assert_msg(strstr(dom, needle) != NULL, "%s missing", needle);
	snprintf(needle, sizeof(needle), "<span class=\"nd\" data-day=\"%s\" title=\"%s: no data\"",
	         before, before);
	ck_assert_msg(strstr(dom, needle) != NULL, "%s missing", needle);
	ck_assert_uint_eq(count(dom, "data-day="), 2 * PAGE_DAYS);
	/* the hostile summary is text; no script ran (there is none) */
	ck_assert_ptr_null(strstr(dom, "<script"));
	ck_assert_ptr_null(strstr(dom, "<img"));
	ck_assert_ptr_nonnull(strstr(dom, "&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(dom, "<title>test status</title>"));
	ck_assert_ptr_nonnull(strstr(dom, "data-history=\"fresh\""));
	/* the page as served: every element closed, nothing that loads (test_report's checker) */
	{
		char path[600], cmd[800], res[1024], *page = get_page();

		snprintf(path, sizeof(path), "%s/page-%d.html", h_tmpdir(), (int)getpid());
		ck_assert_int_eq(h_write_file(path, page), 0);
		free(page);
		snprintf(cmd, sizeof(cmd), "python3 tests/data/report/check_html.py '%s'", path);
		ck_assert_msg(h_run(cmd, res, sizeof(res)) == 0, "%s", res);
		ck_assert_str_eq(res, "ok: 0 svg\n");
	}

	snprintf(png, sizeof(png), "%s/status-page.png", h_build_dir());
	unlink(png);
	{
		char shot[700];

		snprintf(shot, sizeof(shot), "--screenshot=%s --window-size=1280,1600", png);
		browser(shot, dom, sizeof(dom));
	}
	png_size(png, &w, &h);
	ck_assert_uint_eq(w, 1280);
	ck_assert_uint_eq(h, 1600);

	/* /status.json: the same states, the same days, the database's incidents */
	st = fx_status();
	ck_assert_str_eq(fx_json_str(fx_json_chain(st, "polkadot"), "health"), "down");
	ck_assert_str_eq(fx_json_str(fx_json_chain(st, "kusama"), "health"), "up");
	ch = fx_json_chain(st, "polkadot");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ch, "uptime_days")),
	                 PAGE_DAYS);
	d = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ch, "uptime_days"),
	                       PAGE_DAYS - 1 - 3);
	ck_assert_str_eq(fx_json_str(d, "day"), day);
	ck_assert_double_eq(fx_json_num(d, "up_s"), 82080);
	ck_assert_double_eq(fx_json_num(d, "down_s"), 4320);
	ck_assert_double_eq(fx_json_num(d, "nodata_s"), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(st, "history"), "available")));
	cJSON_Delete(st);
	/* the ended past one is listed with the open ones */
	expect_json_incidents();
}
END_TEST

START_TEST(test_database_dies)
{
	char tuning[1200];
	char *p;

	snprintf(tuning, sizeof(tuning), NO_STALL ", \"database\": \"%s\", \"spool_dir\": \"%s\"",
	         pg.conninfo, spool);
	insert_history();
	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = tuning});
	fx_wait_decided(10);
	wait_page("data-history=\"fresh\"", FOLLOW_S);
	h_pg_pause(&pg);
	wait_page("data-history=\"stale\"", FOLLOW_S);
	browser("--dump-dom", dom, sizeof(dom));
	/* the last days are still shown, the current state too */
	ck_assert_ptr_nonnull(strstr(dom, "data-history=\"stale\""));
	ck_assert_ptr_nonnull(strstr(dom, "stale: the database did not answer the latest refresh "
	                                  "(cannot connect)"));
	/* libpq's message names the socket's directory: the log has it, the public page not */
	ck_assert_ptr_null(strstr(dom, pg.dir));
	ck_assert_int_ge(fx_log_count("status page history not refreshed"), 1);
	ck_assert_uint_eq(count(dom, "data-day="), PAGE_DAYS);
	ck_assert_ptr_nonnull(strstr(dom, "data-chain=\"polkadot\" data-health=\"up\""));
	ck_assert_ptr_nonnull(strstr(dom, "data-incident=\"past-inc\""));
	/* back: fresh again */
	ck_assert(h_pg_resume(&pg));
	wait_page("data-history=\"fresh\"", FOLLOW_S);
	p = get_page();
	ck_assert_uint_eq(count(p, "data-day="), PAGE_DAYS);
	free(p);
}
END_TEST

/* Without a database: current states, and the page says the history is unavailable. */
START_TEST(test_no_database)
{
	char *p;
	cJSON *st;

	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = NO_STALL});
	fx_wait_decided(10);
	p = get_page();
	ck_assert_ptr_nonnull(strstr(p, "data-chain=\"polkadot\" data-health=\"up\""));
	ck_assert_ptr_nonnull(strstr(p, "3 of 3"));
	ck_assert_ptr_nonnull(strstr(p, "History unavailable: this controller has no database"));
	ck_assert_uint_eq(count(p, "data-day="), 0);
	free(p);
	st = fx_status();
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(st, "history"), "available")));
	ck_assert_int_eq((int)fx_json_num(fx_json_chain(st, "polkadot"), "in_rotation"), 3);
	cJSON_Delete(st);
}
END_TEST

/* <method> <path> on the edge's status host (HTTPS, or HTTP when <plain>); the status. */
static long edge(const struct h_haproxy *hap, const char *method, const char *path, bool plain,
                 struct h_resp *r)
{
	/* The harness's certificate has no status.localhost: TLS for example.localhost, Host says.
	 */
	static const char *const host[] = {"Host: status.localhost", NULL};
	char url[256];
	struct h_req req = {.url = url,
	                    .method = method,
	                    .headers = host,
	                    .resolve_port = plain ? hap->http_port : hap->https_port};

	snprintf(url, sizeof(url), "%s://example.localhost:%d%s", plain ? "http" : "https",
	         plain ? hap->http_port : hap->https_port, path);
	return h_http(&req, r);
}

/*
 * The shipped haproxy.cfg publishes the page on the status host: GET /
 * reaches the controller, nothing else of its port does (/status.json
 * names who drained a node and the runtime API's sockets: not public).
 */
START_TEST(test_through_edge)
{
	static struct h_haproxy hap;
	char env_status[64], *env[] = {env_status, NULL}, backends[256];
	struct h_resp r;

	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = NO_STALL});
	fx_wait_decided(10);
	/* a second edge, its be_status at the controller (the fixture's edge starts before it) */
	snprintf(env_status, sizeof(env_status), "PF_STATUS_ADDR=127.0.0.1:%d", fx.ctl.http_port);
	snprintf(backends, sizeof(backends),
	         "backend be_polkadot\n    server node1 127.0.0.1:%d\n"
	         "backend be_polkadot_heavy\n    server node1 127.0.0.1:%d\n",
	         fx.sim.port[0], fx.sim.port[0]);
	ck_assert_msg(h_haproxy_start(&hap, backends, fx.agent.port, env), "haproxy: %s", hap.log);

	ck_assert_msg(edge(&hap, NULL, "/", false, &r) == 200, "%ld %s %s", r.status, r.err,
	              hap.log);
	ck_assert_ptr_nonnull(strstr(r.body, "data-chain=\"polkadot\" data-health=\"up\""));
	h_resp_free(&r);
	/* the edge keeps the page for its max-age: served with the controller stopped */
	h_ctl_stop(&fx.ctl);
	ck_assert_int_eq(edge(&hap, NULL, "/", false, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "data-chain=\"polkadot\" data-health=\"up\""));
	h_resp_free(&r);
	/* the rest of the controller's port stays private: HAProxy answers itself */
	static const char *const private_paths[] = {"/metrics", "/healthz", "/admin/drain",
	                                            "/status.json", "/index.html"};
	for (size_t i = 0; i < PF_ARRAY_SIZE(private_paths); i++) {
		ck_assert_int_eq(edge(&hap, NULL, private_paths[i], false, &r), 404);
		ck_assert_msg(strstr(r.body, "the status host serves GET /") != NULL, "%s: %s",
		              private_paths[i], r.body);
		h_resp_free(&r);
	}
	ck_assert_int_eq(edge(&hap, "POST", "/", false, &r), 405);
	h_resp_free(&r);
	/* plain HTTP: redirected like every host */
	ck_assert_int_eq(edge(&hap, NULL, "/", true, &r), 308);
	h_resp_free(&r);
	/* the controller saw none of the refused requests: only its own answers are logged */
	ck_assert_int_eq(fx_log_count(" refused "), 0);
}
END_TEST

static Suite *status_page_suite(void)
{
	Suite *s = suite_create("status_page");
	TCase *tc = tcase_create("page");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_in_browser);
	tcase_add_test(tc, test_database_dies);
	tcase_add_test(tc, test_no_database);
	tcase_add_test(tc, test_through_edge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(status_page_suite());
}
