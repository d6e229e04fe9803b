/* SPDX-License-Identifier: MIT */
/*
 * The optional push to an existing Cachet (issue 11), through the real
 * controller, HAProxy, the node simulator, a throw-away PostgreSQL (only the
 * region's lock holder pushes) and tests/harness/fake_cachet.py, which
 * checks the token and each request's shape against Cachet's API v1 docs:
 * - polkadot goes degraded, down and up again: its component gets 2
 *   (performance issues), 4 (major outage) and 1 (operational); each chain
 *   incident is created once, visible, on the component, and marked fixed
 *   (status 4) when polkfura closes it; the id map file holds the open one;
 * - a Cachet that holds every answer longer than the pusher's timeout
 *   never slows the controller's rounds, and its outage is logged once.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"
#include "tests/harness/pg.h"

#define CACHET_TOKEN "cachet-test-token-0123456789abcdef"
#define COMPONENT    7

static struct h_pg pg;
static char spool[512], record[512], token_file[512];
static int cachet_port;

static void setup(void)
{
	char migrate_cfg[512];

	h_pg_start_migrated(&pg, migrate_cfg, sizeof(migrate_cfg), spool, sizeof(spool));
	snprintf(record, sizeof(record), "%s/cachet-%d.jsonl", h_tmpdir(), (int)getpid());
	snprintf(token_file, sizeof(token_file), "%s/cachet-token-%d", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(token_file, CACHET_TOKEN "\n"), 0);
	ck_assert_int_eq(chmod(token_file, 0600), 0);
}

static void teardown(void)
{
	fx_stop(); /* h_stop_all: PostgreSQL and the fake Cachet too */
}

/* The fake Cachet on a free port; <delay> "" or the seconds it holds every answer. */
static void cachet_start(const char *delay)
{
	char port[16], script[] = "tests/harness/fake_cachet.py", log[600];
	char *argv[] = {"python3", script, port, CACHET_TOKEN, record, NULL, NULL, NULL};
	pid_t pid;

	cachet_port = h_free_port();
	snprintf(port, sizeof(port), "%d", cachet_port);
	snprintf(log, sizeof(log), "%s.log", record);
	if (delay[0] != '\0') {
		argv[5] = "--delay-s";
		argv[6] = (char *)delay;
	}
	pid = h_spawn(argv, NULL, log);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(h_wait_port(cachet_port, 10), "fake Cachet did not listen");
}

static char tuning[2048];

/* min_ready 2 of 3 nodes: one healthy node left is "degraded", none is "down". */
static void start(void)
{
	snprintf(tuning, sizeof(tuning),
	         "\"min_ready\": 2, \"database\": \"%s\", \"spool_dir\": \"%s\", \"cachet\": "
	         "{\"url\": \"http://127.0.0.1:%d/\", \"token_file\": \"%s\", \"components\": "
	         "{\"polkadot\": %d}}",
	         pg.conninfo, spool, cachet_port, token_file, COMPONENT);
	fx_start_opts(&(struct fx_opts){.sim_args = "--block-time-ms 100 --height 1000",
	                                .chain = "\"block_time_ms\": 100,",
	                                .tuning = tuning});
}

/* Every request the fake recorded, as a JSON array (caller frees). */
static cJSON *requests(void)
{
	size_t len = 0;
	char *text = h_read_file(record, &len), *save = NULL;
	cJSON *all = cJSON_CreateArray();

	ck_assert_ptr_nonnull(all);
	if (text == NULL)
		return all;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *r = cJSON_Parse(line);

		ck_assert_msg(r != NULL, "fake's record is not JSON: %s", line);
		cJSON_AddItemToArray(all, r);
	}
	free(text);
	return all;
}

static const char *rstr(const cJSON *r, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double rnum(const cJSON *r, const char *k)
{
	const cJSON *v =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "body"), k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Whether the last component status the fake got is <status>. */
static bool component_is(const cJSON *all, int status)
{
	char path[64];
	double last = -1;
	const cJSON *r;

	snprintf(path, sizeof(path), "/api/v1/components/%d", COMPONENT);
	cJSON_ArrayForEach(r, all)
	{
		if (strcmp(rstr(r, "method"), "PUT") == 0 && strcmp(rstr(r, "path"), path) == 0)
			last = rnum(r, "status");
	}
	return last == status;
}

static void wait_component(int status, double timeout_s)
{
	for (double end = h_now() + timeout_s; h_now() < end; usleep(50000)) {
		cJSON *all = requests();
		bool ok = component_is(all, status);

		cJSON_Delete(all);
		if (ok)
			return;
	}
	h_print_log_tail(fx.ctl.log, 30);
	ck_abort_msg("component %d never got status %d", COMPONENT, status);
}

/* Every request carried the token and the documented shape. */
static void check_all_well_formed(const cJSON *all)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, all)
	{
		char *s = cJSON_PrintUnformatted(r);

		ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "token_ok")),
		              "wrong token: %s", s);
		ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "shape_ok")),
		              "not as Cachet's API documents it: %s", s);
		free(s);
	}
}

/* The incident POSTed with <name>: its component status; its id (the fake's) in <*id>. */
static double created(const cJSON *all, const char *name, int *id, int *count)
{
	const cJSON *r;
	double cs = -1;
	int n = 0, posts = 0;

	*id = 0;
	cJSON_ArrayForEach(r, all)
	{
		if (strcmp(rstr(r, "method"), "POST") != 0)
			continue;
		posts++; /* the fake numbers POSTs from 101 in order */
		if (strcmp(rstr(cJSON_GetObjectItemCaseSensitive(r, "body"), "name"), name) != 0)
			continue;
		n++;
		*id = 100 + posts;
		cs = rnum(r, "component_status");
		ck_assert_double_eq(rnum(r, "component_id"), COMPONENT);
		ck_assert_double_eq(rnum(r, "status"), 1); /* investigating */
		ck_assert_double_eq(rnum(r, "visible"), 1);
	}
	*count = n;
	return cs;
}

/* Whether Cachet incident <id> was marked fixed. */
static bool fixed(const cJSON *all, int id)
{
	char path[64];
	const cJSON *r;

	snprintf(path, sizeof(path), "/api/v1/incidents/%d", id);
	cJSON_ArrayForEach(r, all)
	{
		if (strcmp(rstr(r, "method"), "PUT") == 0 && strcmp(rstr(r, "path"), path) == 0 &&
		    rnum(r, "status") == 4)
			return true;
	}
	return false;
}

/* Waits until the fake recorded <n> requests. */
static void wait_pushes(int n, double timeout_s)
{
	int got = 0;

	for (double end = h_now() + timeout_s; h_now() < end; usleep(50000)) {
		cJSON *all = requests();

		got = cJSON_GetArraySize(all);
		cJSON_Delete(all);
		if (got >= n)
			return;
	}
	ck_abort_msg("%d requests reached the fake Cachet in %.0f s, wanted %d", got, timeout_s, n);
}

static void all_steer(const char *json)
{
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all/steer", json, NULL), 200);
}

START_TEST(test_states_and_incidents)
{
	char map[600], want[32], *text;
	int deg_id, down_id, n;
	cJSON *all;

	cachet_start("");
	start();
	wait_component(1, 15);
	/* Two of three nodes down: one healthy node, short of min_ready 2. */
	fx_steer(0, "{\"down\": true}");
	fx_steer(1, "{\"down\": true}");
	wait_component(2, 15);
	all_steer("{\"down\": true}");
	wait_component(4, 15);
	all = requests();
	ck_assert_double_eq(created(all, "polkadot: chain degraded", &deg_id, &n), 2);
	ck_assert_int_eq(n, 1);
	ck_assert_double_eq(created(all, "polkadot: chain down", &down_id, &n), 4);
	ck_assert_int_eq(n, 1);
	cJSON_Delete(all);
	/* While it is open, a restart finds it in the map next to the spool. */
	snprintf(map, sizeof(map), "%s/cachet-incidents", spool);
	snprintf(want, sizeof(want), " %d\n", down_id);
	ck_assert_msg(h_wait_file_contains(map, want, 5), "incident %d not in %s", down_id, map);
	all_steer("{\"down\": false}");
	wait_component(1, 15);
	for (double end = h_now() + 10; h_now() < end; usleep(50000)) {
		all = requests();
		if (fixed(all, deg_id) && fixed(all, down_id)) {
			cJSON_Delete(all);
			break;
		}
		cJSON_Delete(all);
	}
	all = requests();
	ck_assert_msg(fixed(all, deg_id), "incident %d (degraded) never fixed", deg_id);
	ck_assert_msg(fixed(all, down_id), "incident %d (down) never fixed", down_id);
	check_all_well_formed(all);
	cJSON_Delete(all);
	/* Nothing left open: the map is empty once Cachet has them fixed. */
	for (double end = h_now() + 5; h_now() < end; usleep(50000)) {
		size_t len = 1;

		text = h_read_file(map, &len);
		free(text);
		if (text != NULL && len == 0)
			break;
	}
	text = h_read_file(map, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

START_TEST(test_slow_cachet)
{
	static const char *const outage[] = {"cachet", "retrying with back-off", NULL};
	long before, after;
	double t0, expected;

	/* 5 s per answer: past CACHET_TIMEOUT_MS (3 s), so every push fails by timeout. */
	cachet_start("5");
	start();
	wait_pushes(1, 30);
	before = fx_rounds();
	t0 = h_now();
	/*
	 * The first push times out after 3 s, the second starts a 1 s back-off
	 * later and times out too, the third after 2 s more: about 9 s. Rounds
	 * every 200 ms go on meanwhile (45); a loop that waited for its pushes
	 * would lose 15 rounds to each.
	 */
	wait_pushes(3, 30);
	after = fx_rounds();
	expected = (h_now() - t0) / FX_INTERVAL_S;
	ck_assert_msg(after - before >= 0.7 * expected, "%ld rounds in %.1f s (%.0f expected)",
	              after - before, h_now() - t0, expected);
	/* Three pushes, two of them timed out: one warning for the whole outage. */
	ck_assert_int_eq(h_log_count(fx.ctl.log, outage), 1);
}
END_TEST

static Suite *cachet_suite(void)
{
	Suite *s = suite_create("ctl_cachet");
	TCase *tc = tcase_create("cachet");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_states_and_incidents);
	tcase_add_test(tc, test_slow_cachet);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(cachet_suite());
}
