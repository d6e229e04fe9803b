/* SPDX-License-Identifier: MIT */
/*
 * Each `snapshot publish` recorded (issue 13): a row of the table snapshots
 * in a real PostgreSQL (sql/ applied by `db migrate`), and the textfiles of
 * --metrics-dir. The expected values come from elsewhere than the
 * publisher: the height from the node simulator's steering (1000, finalized
 * 3 behind), the block hash from chain_getBlockHash asked with curl, the
 * bytes from the object's Content-Length in s3rver, the host from
 * hostname(1), the times from the clock read around the run; the textfiles
 * pass `promtool check metrics`. A dead database is a warning, not a failed
 * publish. Starts no HAProxy (it is in the Makefile's HAP34_SKIP).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/pg.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

#define BUCKET "pf-cdn"

static struct h_s3rver srv;
static struct h_nodesim sim;
static struct h_pg pg;
static char work[512], base[600];

static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

/* Unix seconds: the clock the publisher stamps its rows and samples with. */
static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup(void)
{
	char cfg[600], spool[600], json[4096], path[700];

	snprintf(work, sizeof(work), "%s/record-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	sh("mkdir -p base/chains/polkadot/db/full metrics && "
	   "head -c 6291456 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	h_pg_start_migrated(&pg, cfg, sizeof(cfg), spool, sizeof(spool));
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"finalized_lag\": 3}", NULL), 200);
	snprintf(json, sizeof(json),
	         "{\"region\": \"test\", \"database\": \"%s\", "
	         "\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\"}], "
	         "\"s3_tar\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}, \"retention\": 2, \"part_size_mb\": 5, "
	         "\"state_dir\": \"%s/state\"}}",
	         pg.conninfo, base, sim.port[0], srv.endpoint, work);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void teardown(void)
{
	h_stop_all();
}

static int publish(char *out, size_t outlen)
{
	return h_snapshot_in(work, "publish --config ctl.json --metrics-dir metrics", out, outlen);
}

/* chain_getBlockHash(<height>) asked of the node simulator with curl. */
static const char *block_hash(int height)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -H 'Content-Type: application/json' -d "
	         "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlockHash\","
	         "\"params\":[%d]}' http://127.0.0.1:%d | python3 -c 'import json,sys; "
	         "print(json.load(sys.stdin)[\"result\"], end=\"\")'",
	         height, sim.port[0]);
	return sh(cmd);
}

/* The value of the sample <name>{chain="polkadot"} in the textfile <file> of metrics/. */
static double sample(const char *file, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "awk '$1 == \"%s{chain=\\\"polkadot\\\"}\" {print $2}' metrics/%s", name, file);
	return strtod(sh(cmd), NULL);
}

static void promtool_ok(const char *file)
{
	const char *cache = getenv("PF_CACHE"), *env = getenv("PROMTOOL");
	char tool[512], cmd[1024];

	if (env != NULL && env[0] != '\0')
		snprintf(tool, sizeof(tool), "%s", env);
	else if (cache != NULL)
		snprintf(tool, sizeof(tool), "%s/prometheus/promtool", cache);
	else
		snprintf(tool, sizeof(tool), "%s/.cache/polkfura/prometheus/promtool",
		         getenv("HOME") ? getenv("HOME") : "/root");
	snprintf(cmd, sizeof(cmd), "'%s' check metrics < metrics/%s 2>&1", tool, file);
	sh(cmd);
}

START_TEST(test_ok_and_failed_recorded)
{
	char out[8192], hash[80], snap[80], host[256], q[1024], tarsize[32], before_ok[4096];
	double t0, t1, t2;

	snprintf(hash, sizeof(hash), "%s", block_hash(997));
	snprintf(snap, sizeof(snap), "997-%.8s", hash + 2);
	snprintf(host, sizeof(host), "%s", sh("hostname | tr -d '\\n'"));
	t0 = wall();
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	t1 = wall();
	{
		char cmd[1024];

		snprintf(
		    cmd, sizeof(cmd),
		    "curl -sSfI '%s/" BUCKET "/chains/polkadot/%s/snapshot.tar.zst' | "
		    "tr -d '\\r' | awk 'tolower($1) == \"content-length:\" {printf \"%%s\", $2}'",
		    srv.endpoint, snap);
		snprintf(tarsize, sizeof(tarsize), "%s", sh(cmd));
	}
	ck_assert_msg(strtod(tarsize, NULL) > 6291456 / 2, "tar size %s", tarsize);

	snprintf(
	    q, sizeof(q),
	    "SELECT region, host, chain, snapshot, height, block_hash, bytes, targets, outcome, "
	    "error IS NULL, duration_ms = round(extract(epoch FROM finished - started) * 1000) "
	    "FROM snapshots");
	{
		char want[1024];

		snprintf(want, sizeof(want), "test|%s|polkadot|%s|997|%s|%s|{s3_tar}|ok|t|t", host,
		         snap, hash, tarsize);
		ck_assert_str_eq(h_pg_q(&pg, q), want);
	}
	/* The run's times lie within the test's own clock readings (a millisecond of rounding). */
	snprintf(q, sizeof(q),
	         "SELECT extract(epoch FROM started) >= %.3f AND extract(epoch FROM finished) <= "
	         "%.3f AND finished >= started FROM snapshots",
	         t0 - 0.001, t1 + 0.001);
	ck_assert_str_eq(h_pg_q(&pg, q), "t");

	promtool_ok("polkfura_snapshot_polkadot.prom");
	promtool_ok("polkfura_snapshot_polkadot_attempt.prom");
	ck_assert_double_eq(
	    sample("polkfura_snapshot_polkadot.prom", "polkfura_snapshot_last_success_height"),
	    997);
	ck_assert_double_eq(
	    sample("polkfura_snapshot_polkadot.prom", "polkfura_snapshot_last_success_bytes"),
	    strtod(tarsize, NULL));
	{
		double at = sample("polkfura_snapshot_polkadot.prom",
		                   "polkfura_snapshot_last_success_timestamp_seconds");
		double dur = sample("polkfura_snapshot_polkadot.prom",
		                    "polkfura_snapshot_last_success_duration_seconds");

		ck_assert_msg(at >= t0 && at <= t1 + 0.001, "timestamp %.3f not in [%.3f, %.3f]",
		              at, t0, t1);
		ck_assert_msg(dur > 0 && dur <= t1 - t0 + 0.001, "duration %.3f, run %.3f", dur,
		              t1 - t0);
		snprintf(q, sizeof(q), "SELECT extract(epoch FROM finished) = %.3f FROM snapshots",
		         at);
		ck_assert_str_eq(h_pg_q(&pg, q), "t");
	}
	ck_assert_double_eq(sample("polkfura_snapshot_polkadot_attempt.prom",
	                           "polkfura_snapshot_last_attempt_success"),
	                    1);
	snprintf(before_ok, sizeof(before_ok), "%s",
	         sh("cat metrics/polkfura_snapshot_polkadot.prom"));

	/* Then a publish that fails: the node moved on, the store is gone. */
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"height\": 1001}", NULL), 200);
	h_s3rver_stop(&srv);
	ck_assert_int_eq(publish(out, sizeof(out)), 1);
	t2 = wall();
	snprintf(hash, sizeof(hash), "%s", block_hash(998));
	snprintf(snap, sizeof(snap), "998-%.8s", hash + 2);
	snprintf(q, sizeof(q),
	         "SELECT chain, snapshot, height, block_hash, bytes, outcome, error <> '' FROM "
	         "snapshots WHERE outcome <> 'ok'");
	{
		char want[512];

		snprintf(want, sizeof(want), "polkadot|%s|998|%s|0|failed|t", snap, hash);
		ck_assert_str_eq(h_pg_q(&pg, q), want);
	}
	/* The error is the one the publish printed. */
	snprintf(q, sizeof(q), "SELECT error FROM snapshots WHERE outcome = 'failed'");
	{
		const char *e = h_pg_q(&pg, q);

		ck_assert_msg(strstr(out, e) != NULL, "error '%s' not in the output: %s", e, out);
	}
	ck_assert_str_eq(h_pg_q(&pg, "SELECT count(*) FROM snapshots"), "2");
	/* The last success stays as it was; the attempt says it failed. */
	ck_assert_str_eq(sh("cat metrics/polkfura_snapshot_polkadot.prom"), before_ok);
	ck_assert_double_eq(sample("polkfura_snapshot_polkadot_attempt.prom",
	                           "polkfura_snapshot_last_attempt_success"),
	                    0);
	{
		double at = sample("polkfura_snapshot_polkadot_attempt.prom",
		                   "polkfura_snapshot_last_attempt_timestamp_seconds");

		ck_assert_msg(at >= t1 && at <= t2 + 0.001, "attempt %.3f not in [%.3f, %.3f]", at,
		              t1, t2);
	}
	sh("test -z \"$(ls -A metrics | grep -v '\\.prom$')\""); /* no temporary file left */
}
END_TEST

START_TEST(test_dead_database_publish_unchanged)
{
	char out[8192];

	h_pg_pause(&pg);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_msg(strstr(out, "polkadot: published 997-") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "warning: not recorded in the database") != NULL, "%s", out);
	ck_assert_double_eq(
	    sample("polkfura_snapshot_polkadot.prom", "polkfura_snapshot_last_success_height"),
	    997);
	/* And a failing publish keeps its own status, 1, with the database dead. */
	h_s3rver_stop(&srv);
	ck_assert_int_eq(publish(out, sizeof(out)), 1);
	ck_assert_msg(h_pg_resume(&pg), "PostgreSQL did not come back");
	ck_assert_str_eq(h_pg_q(&pg, "SELECT count(*) FROM snapshots"), "0");
}
END_TEST

START_TEST(test_no_database_says_so)
{
	char out[8192];

	sh("python3 -c 'import json; d=json.load(open(\"ctl.json\")); del d[\"database\"]; "
	   "json.dump(d, open(\"ctl.json\", \"w\"))'");
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_msg(strstr(out, "has no database key: this publish is not recorded") != NULL,
	              "%s", out);
	ck_assert_str_eq(h_pg_q(&pg, "SELECT count(*) FROM snapshots"), "0");
	/* A database key that is not a connection string is a config error, before anything runs.
	 */
	sh("python3 -c 'import json; d=json.load(open(\"ctl.json\")); d[\"database\"] = 5; "
	   "json.dump(d, open(\"ctl.json\", \"w\"))'");
	ck_assert_int_eq(publish(out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "ctl.json: database: a string of at most 1023 bytes") != NULL,
	              "%s", out);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("snapshot_record");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_ok_and_failed_recorded);
	tcase_add_test(tc, test_dead_database_publish_unchanged);
	tcase_add_test(tc, test_no_database_says_so);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(record_suite());
}
