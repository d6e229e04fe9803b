/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl db migrate` and `db status` against a real PostgreSQL
 * started by the harness (tests/harness/pg.h): from an empty database the
 * tables of sql/001_schema.sql exist (information_schema) with the
 * checksum sha256sum gives; a re-run applies nothing; an upgrade applies
 * only the new migration; an edited applied migration is refused and
 * nothing after it runs; two migrates at once apply each migration once;
 * status lists applied and pending without changing anything; a database
 * that cannot be reached is exit 1 and one line; a bad config or command
 * line is exit 2. No HAProxy.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/pg.h"

static struct h_pg pg;
static char config[512];

/* The tables 001_schema.sql and 002_observation.sql make, and the migrations table, by name. */
#define SCHEMA_TABLES                                                                              \
	"chain_state_changes\nincidents\nminute_samples\nnode_state_changes\nobserver_sessions\n"  \
	"operational_changes\npolkfura_migrations\nrpc_minutes\nsnapshots"

static const char tables_sql[] = "SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = 'public' ORDER BY table_name;";

/* Writes a controller config at <path> whose top level also holds <extra> (may be ""). */
static void write_config(const char *path, const char *extra)
{
	char json[2048];

	snprintf(json, sizeof(json),
	         "{\"region\": \"eu1\", \"haproxy\": [\"unix:/run/haproxy.sock\"],"
	         " \"chains\": [{\"name\": \"polkadot\", \"backend\": \"be_polkadot\","
	         " \"nodes\": [{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": "
	         "\"http://127.0.0.1:9\"}]}]"
	         "%s%s}",
	         extra[0] != '\0' ? ", " : "", extra);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void setup(void)
{
	char extra[700];

	ck_assert_msg(h_pg_start(&pg), "postgres did not start");
	snprintf(config, sizeof(config), "%s/ctl-%d.json", h_tmpdir(), (int)getpid());
	snprintf(extra, sizeof(extra), "\"database\": \"%s\"", pg.conninfo);
	write_config(config, extra);
}

static void teardown(void)
{
	h_stop_all();
}

static int migrate(const char *sql_dir, char *out, size_t outlen)
{
	char args[1200];

	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir '%s'", config, sql_dir);
	return h_ctl_run(NULL, args, out, outlen);
}

static int status(const char *sql_dir, char *out, size_t outlen)
{
	char args[1200];

	snprintf(args, sizeof(args), "db status --config '%s' --sql-dir '%s'", config, sql_dir);
	return h_ctl_run(NULL, args, out, outlen);
}

/* A new directory under the temp dir holding copies of the repository's migrations named in
 * <files>. */
static void sql_dir_with(char *dir, size_t len, const char *tag, const char *files)
{
	char cmd[2048], out[512];

	snprintf(dir, len, "%s/sql-%s-%d", h_tmpdir(), tag, (int)getpid());
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p '%s' && for f in %s; do cp sql/$f '%s'/ || exit 1; done", dir, files,
	         dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
}

static void add_file(const char *dir, const char *name, const char *text)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(h_write_file(path, text), 0);
}

static void sql(const char *q, char *out, size_t outlen)
{
	ck_assert_msg(h_pg_sql(&pg, NULL, q, out, outlen) == 0, "psql: %s: %s", q, out);
	out[strcspn(out, "\0")] = '\0';
	while (strlen(out) > 0 && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
}

/* sha256sum's digest of <path>: the checksum the migrations table must hold. */
static void sha256sum(const char *path, char *out, size_t outlen)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "sha256sum '%s' | cut -c1-64", path);
	ck_assert_int_eq(h_run(cmd, out, outlen), 0);
	out[strcspn(out, "\n")] = '\0';
}

START_TEST(test_from_empty)
{
	char out[4096], sum[128], want[800];

	sql(tables_sql, out, sizeof(out));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(migrate("sql", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "applied 001_schema.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 002_observation.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 003_report.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 004_usage.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 005_snapshots.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 006_snapshot_cids.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "db migrate: 6 applied now, 0 already applied, 6 in total") !=
	                  NULL,
	              "%s", out);
	sql(tables_sql, out, sizeof(out));
	ck_assert_str_eq(out, SCHEMA_TABLES);
	sha256sum("sql/001_schema.sql", sum, sizeof(sum));
	snprintf(want, sizeof(want), "001_schema.sql|%s\n", sum);
	sha256sum("sql/002_observation.sql", sum, sizeof(sum));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "002_observation.sql|%s\n", sum);
	sha256sum("sql/003_report.sql", sum, sizeof(sum));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "003_report.sql|%s\n", sum);
	sha256sum("sql/004_usage.sql", sum, sizeof(sum));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "004_usage.sql|%s\n", sum);
	sha256sum("sql/005_snapshots.sql", sum, sizeof(sum));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "005_snapshots.sql|%s\n", sum);
	sha256sum("sql/006_snapshot_cids.sql", sum, sizeof(sum));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "006_snapshot_cids.sql|%s", sum);
	sql("SELECT name, checksum FROM polkfura_migrations ORDER BY name;", out, sizeof(out));
	ck_assert_str_eq(out, want);
	/* The record columns the issue names, with timestamptz times. */
	sql("SELECT column_name || ':' || data_type FROM information_schema.columns "
	    "WHERE table_name = 'node_state_changes' ORDER BY ordinal_position;",
	    out, sizeof(out));
	ck_assert_str_eq(out,
	                 "id:text\nat:timestamp with time zone\nregion:text\nchain:text\n"
	                 "node:text\nfrom_state:text\nto_state:text\nreason:text\nbest:bigint\n"
	                 "finalized:bigint\nlag:bigint\npeers:integer");
	/* A replayed record is dropped by its id, as the spool replay will rely on. */
	sql("INSERT INTO operational_changes (id, at, region, kind) VALUES ('r1', now(), 'eu1', "
	    "'note') ON CONFLICT (id) DO NOTHING;"
	    "INSERT INTO operational_changes (id, at, region, kind) VALUES ('r1', now(), 'eu1', "
	    "'note') ON CONFLICT (id) DO NOTHING;"
	    "SELECT count(*) FROM operational_changes;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "1");
}
END_TEST

START_TEST(test_rerun_is_a_no_op)
{
	char out[4096], before[1024], after[1024];

	ck_assert_int_eq(migrate("sql", out, sizeof(out)), 0);
	sql("SELECT name, checksum, applied_at FROM polkfura_migrations;", before, sizeof(before));
	ck_assert_int_eq(migrate("sql", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "applied 0") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "db migrate: 0 applied now, 6 already applied, 6 in total") !=
	                  NULL,
	              "%s", out);
	sql("SELECT name, checksum, applied_at FROM polkfura_migrations;", after, sizeof(after));
	ck_assert_str_eq(after, before);
}
END_TEST

/* A database at the first shipped version upgrades to the shipped directory. */
START_TEST(test_upgrade_from_001)
{
	char v1[512], out[4096];

	sql_dir_with(v1, sizeof(v1), "v1", "001_schema.sql");
	ck_assert_int_eq(migrate(v1, out, sizeof(out)), 0);
	sql("INSERT INTO incidents (id, region, chain, kind, severity, started_at) VALUES "
	    "('i1', 'eu1', 'polkadot', 'chain_down', 'critical', now());",
	    out, sizeof(out));
	ck_assert_int_eq(migrate("sql", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "applied 001_schema.sql") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 002_observation.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 003_report.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 004_usage.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 005_snapshots.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 006_snapshot_cids.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "db migrate: 5 applied now, 1 already applied, 6 in total") !=
	                  NULL,
	              "%s", out);
	sql(tables_sql, out, sizeof(out));
	ck_assert_str_eq(out, SCHEMA_TABLES);
	sql("SELECT id FROM incidents;", out, sizeof(out));
	ck_assert_str_eq(out, "i1");
}
END_TEST

START_TEST(test_upgrade_applies_only_the_new)
{
	char v1[512], v2[512], out[4096];

	sql_dir_with(v1, sizeof(v1), "v1", "001_schema.sql");
	ck_assert_int_eq(migrate(v1, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "applied 001_schema.sql") != NULL, "%s", out);
	sql_dir_with(v2, sizeof(v2), "v2", "001_schema.sql");
	add_file(
	    v2, "002_upgrade_probe.sql",
	    "CREATE TABLE upgrade_probe (x integer);\nINSERT INTO upgrade_probe VALUES (2);\n");
	ck_assert_int_eq(migrate(v2, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "applied 001_schema.sql") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "applied 002_upgrade_probe.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "db migrate: 1 applied now, 1 already applied, 2 in total") !=
	                  NULL,
	              "%s", out);
	sql("SELECT string_agg(name, ',' ORDER BY name) FROM polkfura_migrations;", out,
	    sizeof(out));
	ck_assert_str_eq(out, "001_schema.sql,002_upgrade_probe.sql");
	/* Applied once: a second run of 002 would have failed on CREATE TABLE or added a row. */
	sql("SELECT count(*) FROM upgrade_probe;", out, sizeof(out));
	ck_assert_str_eq(out, "1");
}
END_TEST

START_TEST(test_tampered_checksum_refused)
{
	char dir[512], out[4096], text[65536];
	char *orig;
	size_t len;

	sql_dir_with(dir, sizeof(dir), "t", "001_schema.sql");
	ck_assert_int_eq(migrate(dir, out, sizeof(out)), 0);
	/* One comment added to the applied file, and a new migration after it. */
	orig = h_read_file("sql/001_schema.sql", &len);
	ck_assert_ptr_nonnull(orig);
	snprintf(text, sizeof(text), "%s-- edited after it was applied\n", orig);
	free(orig);
	add_file(dir, "001_schema.sql", text);
	add_file(dir, "002_after.sql", "CREATE TABLE after_tamper (x integer);\n");
	ck_assert_int_eq(migrate(dir, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "polkfura-ctl: db migrate: 001_schema.sql: CHANGED since applied "
	                      "(checksum differs); refusing to migrate\n");
	sql("SELECT count(*) FROM polkfura_migrations;", out, sizeof(out));
	ck_assert_str_eq(out, "1");
	sql("SELECT to_regclass('after_tamper') IS NULL;", out, sizeof(out));
	ck_assert_str_eq(out, "t");
	ck_assert_int_eq(status(dir, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "001_schema.sql                           CHANGED") != NULL, "%s",
	              out);
}
END_TEST

START_TEST(test_failed_migration_leaves_nothing)
{
	char dir[512], out[4096];

	sql_dir_with(dir, sizeof(dir), "f", "001_schema.sql");
	/* The table is created, then the file fails: its transaction takes both back. */
	add_file(dir, "002_fails.sql",
	         "CREATE TABLE half_done (x integer);\nSELECT no_such_column FROM half_done;\n");
	add_file(dir, "003_never.sql", "CREATE TABLE never_reached (x integer);\n");
	ck_assert_int_eq(migrate(dir, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "applied 001_schema.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "polkfura-ctl: db migrate: 002_fails.sql: ERROR:  column "
	                          "\"no_such_column\" does not exist") != NULL,
	              "%s", out);
	sql("SELECT string_agg(name, ',') FROM polkfura_migrations;", out, sizeof(out));
	ck_assert_str_eq(out, "001_schema.sql");
	sql("SELECT to_regclass('half_done') IS NULL AND to_regclass('never_reached') IS NULL;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "t");
}
END_TEST

START_TEST(test_two_migrates_at_once)
{
	char dir[512], out[8192], cmd[4096], o1[600], o2[600];
	size_t applied = 0;

	/*
	 * 001 holds its transaction for 1 s, so the second migrate starts while
	 * the first is inside it (the widened window, not a synchronisation: the
	 * outputs below say which one waited).
	 */
	sql_dir_with(dir, sizeof(dir), "race", "001_schema.sql");
	add_file(dir, "002_slow.sql",
	         "SELECT pg_sleep(1);\nCREATE TABLE race_probe (x integer);\n");
	snprintf(o1, sizeof(o1), "%s/race1-%d.out", h_tmpdir(), (int)getpid());
	snprintf(o2, sizeof(o2), "%s/race2-%d.out", h_tmpdir(), (int)getpid());
	snprintf(cmd, sizeof(cmd),
	         "c='%s/polkfura-ctl db migrate --config %s --sql-dir %s'; "
	         "$c >%s 2>&1 & a=$!; $c >%s 2>&1 & b=$!; wait $a; ea=$?; wait $b; eb=$?; "
	         "echo \"exit $ea $eb\"; cat %s %s",
	         h_build_dir(), config, dir, o1, o2, o1, o2);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "exit 0 0\n", 9) == 0, "%s", out);
	for (const char *p = out; (p = strstr(p, "\napplied ")) != NULL; p++)
		applied++;
	ck_assert_msg(applied == 2, "%zu applied lines:\n%s", applied, out);
	ck_assert_msg(strstr(out, "db migrate: 2 applied now, 0 already applied, 2 in total") !=
	                  NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "db migrate: 0 applied now, 2 already applied, 2 in total") !=
	                  NULL,
	              "%s", out);
	sql("SELECT count(*) FROM polkfura_migrations;", out, sizeof(out));
	ck_assert_str_eq(out, "2");
}
END_TEST

START_TEST(test_status_lists_without_changing)
{
	char dir[512], out[4096];

	sql_dir_with(dir, sizeof(dir), "st", "001_schema.sql");
	add_file(dir, "002_b.sql", "CREATE TABLE b (x integer);\n");
	/* Before any migrate: everything pending, and status creates nothing. */
	ck_assert_int_eq(status(dir, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "001_schema.sql                           pending\n"
	                      "002_b.sql                                pending\n"
	                      "db status: 0 applied, 2 pending\n");
	sql(tables_sql, out, sizeof(out));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(migrate(dir, out, sizeof(out)), 0);
	add_file(dir, "003_c.sql", "CREATE TABLE c (x integer);\n");
	ck_assert_int_eq(status(dir, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "001_schema.sql                           applied 20", 51) == 0,
	              "%s", out);
	ck_assert_msg(strstr(out, "\n002_b.sql                                applied 20") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "Z\n003_c.sql                                pending\n"
	                          "db status: 2 applied, 1 pending\n") != NULL,
	              "%s", out);
	sql("SELECT to_regclass('c') IS NULL;", out, sizeof(out));
	ck_assert_str_eq(out, "t");
}
END_TEST

/* One line: no newline but the last. */
static void assert_one_line(const char *out)
{
	ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
}

START_TEST(test_unreachable_database)
{
	char cfg2[600], extra[600], out[4096], args[1000];
	int port = h_free_port();

	/* TCP: nobody listens on the port, connection refused. */
	snprintf(cfg2, sizeof(cfg2), "%s/ctl-dead-%d.json", h_tmpdir(), (int)getpid());
	snprintf(extra, sizeof(extra),
	         "\"database\": \"host=127.0.0.1 port=%d user=postgres dbname=postgres "
	         "connect_timeout=5\"",
	         port);
	write_config(cfg2, extra);
	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir sql", cfg2);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	assert_one_line(out);
	ck_assert_msg(strncmp(out, "polkfura-ctl: db migrate: cannot reach the database: ", 53) ==
	                  0,
	              "%s", out);
	ck_assert_msg(strstr(out, "Connection refused") != NULL, "%s", out);
	/* The harness's own server, stopped: its socket is gone. */
	h_pg_stop(&pg);
	ck_assert_int_eq(status("sql", out, sizeof(out)), 1);
	assert_one_line(out);
	ck_assert_msg(strncmp(out, "polkfura-ctl: db status: cannot reach the database: ", 52) == 0,
	              "%s", out);
}
END_TEST

START_TEST(test_bad_config_and_usage)
{
	char cfg2[600], pw[600], extra[1400], args[1400], out[4096];

	snprintf(cfg2, sizeof(cfg2), "%s/ctl-bad-%d.json", h_tmpdir(), (int)getpid());
	/* No database key. */
	write_config(cfg2, "");
	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir sql", cfg2);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	assert_one_line(out);
	ck_assert_msg(strstr(out, "no database key") != NULL, "%s", out);
	/* A password in the connection string. */
	write_config(cfg2, "\"database\": \"host=/tmp dbname=x password=hunter2\"");
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	assert_one_line(out);
	ck_assert_msg(strstr(out, "database: holds a password") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "hunter2") == NULL, "%s", out);
	/* A password file others may read; then the same file 0600 (trust auth ignores it). */
	snprintf(pw, sizeof(pw), "%s/db-%d.password", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(pw, "s3cret\n"), 0);
	ck_assert_int_eq(chmod(pw, 0644), 0);
	snprintf(extra, sizeof(extra), "\"database\": \"%s\", \"database_password_file\": \"%s\"",
	         pg.conninfo, pw);
	write_config(cfg2, extra);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	assert_one_line(out);
	ck_assert_msg(strstr(out, "mode 0600 (is mode 0644") != NULL, "%s", out);
	ck_assert_int_eq(chmod(pw, 0600), 0);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 0);
	/* Usage. */
	snprintf(args, sizeof(args), "db frob --config '%s'", config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_str_eq(out, "polkfura-ctl: db takes migrate or status\n");
	snprintf(args, sizeof(args), "db --config '%s'", config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "status --sql-dir sql --config '%s'", config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_str_eq(out, "polkfura-ctl: --sql-dir goes with db\n");
	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir %s/no-such-dir", config,
	         h_tmpdir());
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	assert_one_line(out);
	ck_assert_msg(strstr(out, "no-such-dir: No such file or directory") != NULL, "%s", out);
	snprintf(args, sizeof(args), "db migrate --config %s/no-such.json", h_tmpdir());
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
}
END_TEST

/*
 * Password authentication for a role "ctl": the password reaches libpq from
 * database_password_file or from PGPASSWORD, and a wrong one is exit 1.
 */
START_TEST(test_password_from_file_or_env)
{
	char hba[600], pw[600], cfg2[600], extra[1400], args[1400], out[4096], cmd[2000];

	sql("CREATE ROLE ctl LOGIN SUPERUSER PASSWORD 's3cret';", out, sizeof(out));
	snprintf(hba, sizeof(hba), "%s/data/pg_hba.conf", pg.dir);
	ck_assert_int_eq(h_write_file(hba, "local all ctl scram-sha-256\nlocal all all trust\n"),
	                 0);
	sql("SELECT pg_reload_conf();", out, sizeof(out));
	snprintf(pw, sizeof(pw), "%s/ctl-%d.password", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(pw, "wrong\n"), 0);
	ck_assert_int_eq(chmod(pw, 0600), 0);
	snprintf(cfg2, sizeof(cfg2), "%s/ctl-pw-%d.json", h_tmpdir(), (int)getpid());
	snprintf(extra, sizeof(extra),
	         "\"database\": \"host=%s port=%d user=ctl dbname=postgres\", "
	         "\"database_password_file\": \"%s\"",
	         pg.dir, pg.port, pw);
	write_config(cfg2, extra);
	/* The reload is asynchronous: poll with status (changes nothing) until it refuses. */
	snprintf(args, sizeof(args), "db status --config '%s' --sql-dir sql", cfg2);
	for (double end = h_now() + 10;
	     h_ctl_run(NULL, args, out, sizeof(out)) != 1 && h_now() < end;)
		sql("SELECT pg_reload_conf();", cmd, sizeof(cmd));
	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir sql", cfg2);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	assert_one_line(out);
	ck_assert_msg(strstr(out, "password authentication failed for user \"ctl\"") != NULL, "%s",
	              out);
	ck_assert_int_eq(h_write_file(pw, "s3cret\n"), 0);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "applied 001_schema.sql") != NULL, "%s", out);
	/* Without the file, from the environment. */
	snprintf(extra, sizeof(extra), "\"database\": \"host=%s port=%d user=ctl dbname=postgres\"",
	         pg.dir, pg.port);
	write_config(cfg2, extra);
	snprintf(cmd, sizeof(cmd),
	         "PGPASSWORD=s3cret %s/polkfura-ctl db status --config '%s' --sql-dir sql 2>&1",
	         h_build_dir(), cfg2);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "db status: 6 applied, 0 pending") != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd),
	         "PGPASSWORD= PGPASSFILE=/dev/null %s/polkfura-ctl db status --config '%s' "
	         "--sql-dir sql 2>&1",
	         h_build_dir(), cfg2);
	ck_assert_int_eq(WEXITSTATUS(h_run(cmd, out, sizeof(out))), 1);
	ck_assert_msg(strstr(out, "cannot reach the database") != NULL, "%s", out);
}
END_TEST

static Suite *db_migrate_suite(void)
{
	Suite *s = suite_create("db_migrate");
	TCase *tc = tcase_create("migrate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_from_empty);
	tcase_add_test(tc, test_rerun_is_a_no_op);
	tcase_add_test(tc, test_upgrade_from_001);
	tcase_add_test(tc, test_upgrade_applies_only_the_new);
	tcase_add_test(tc, test_tampered_checksum_refused);
	tcase_add_test(tc, test_failed_migration_leaves_nothing);
	tcase_add_test(tc, test_two_migrates_at_once);
	tcase_add_test(tc, test_status_lists_without_changing);
	tcase_add_test(tc, test_unreachable_database);
	tcase_add_test(tc, test_bad_config_and_usage);
	tcase_add_test(tc, test_password_from_file_or_env);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(db_migrate_suite());
}
