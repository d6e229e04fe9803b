/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL of the db suites (see pg.h). initdb with trust auth: the
 * socket is in a directory nobody else uses, and fsync off, which only
 * matters for a machine crash, never in a test.
 */
#include "tests/harness/pg.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

#define PG_READY_S 30.0

static unsigned pg_seq;

/* The newest /usr/lib/postgresql/<v>/bin with a postgres in it, or $PF_PG_BIN. */
static bool find_bin(char *out, size_t outlen)
{
	const char *env = getenv("PF_PG_BIN");
	glob_t g;
	int best = -1;

	if (env != NULL && env[0] != '\0') {
		snprintf(out, outlen, "%s", env);
		return true;
	}
	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int v = (int)strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);

		if (v > best) {
			best = v;
			snprintf(out, outlen, "%.*s",
			         (int)(strlen(g.gl_pathv[i]) - strlen("/postgres")), g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return best >= 0;
}

/* The prefix that runs a command as postgres when we are root, else nothing. */
static const char *as_postgres(void)
{
	return geteuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --init-groups -- " : "";
}

static bool make_dir(struct h_pg *pg)
{
	struct passwd *pw;

	snprintf(pg->dir, sizeof(pg->dir), "%s/pg-%d-%u", h_tmpdir(), (int)getpid(), pg_seq++);
	if (mkdir(pg->dir, 0700) == -1) {
		perror(pg->dir);
		return false;
	}
	if (geteuid() != 0)
		return true;
	pw = getpwnam("postgres");
	if (pw == NULL || chown(pg->dir, pw->pw_uid, pw->pw_gid) == -1) {
		fprintf(stderr, "h_pg_start: no postgres user to own %s\n", pg->dir);
		return false;
	}
	return true;
}

/* Runs <cmd>; false, with its output on stderr, unless it exits 0. */
static bool run_ok(const char *what, const char *cmd)
{
	char out[4096];
	int st = h_run(cmd, out, sizeof(out));

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "h_pg_start: %s failed:\n%s\n", what, out);
		return false;
	}
	return true;
}

/*
 * The cluster's data directory. initdb runs once per suite run, into
 * <tmpdir>/pg-template (never started), and every cluster is a copy of it:
 * the copy takes about half of initdb's time (measured: initdb 0.65-0.9 s,
 * cp -a 0.3-0.6 s on the loaded 2-core machine). The template is made
 * under another name and renamed into place, so that a test never copies a
 * half-made one.
 */
static bool initdb(const struct h_pg *pg)
{
	char tpl[300], mine[340], cmd[2048];
	struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;

	snprintf(tpl, sizeof(tpl), "%s/pg-template", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "%s/PG_VERSION", tpl);
	if (access(cmd, F_OK) != 0) {
		snprintf(mine, sizeof(mine), "%s.%d", tpl, (int)getpid());
		if (mkdir(mine, 0700) == -1 ||
		    (pw != NULL && chown(mine, pw->pw_uid, pw->pw_gid) == -1)) {
			perror(mine);
			return false;
		}
		snprintf(cmd, sizeof(cmd),
		         "%s'%s/initdb' -D '%s' -U postgres --auth=trust -E UTF8 --no-sync "
		         "--no-instructions 2>&1",
		         as_postgres(), pg->bin, mine);
		if (!run_ok("initdb", cmd))
			return false;
		/* Another process's template got there first (a non-empty target): use that one. */
		if (rename(mine, tpl) == -1 && errno != EEXIST && errno != ENOTEMPTY) {
			perror(tpl);
			return false;
		}
	}
	/* cp -a keeps the owner (postgres, as root) and the 0700 that postgres insists on. */
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s/data' 2>&1", tpl, pg->dir);
	return run_ok("copying the template cluster", cmd);
}

static bool is_ready(const struct h_pg *pg)
{
	char cmd[1024], out[512];

	snprintf(cmd, sizeof(cmd), "'%s/pg_isready' -q -h '%s' -p %d -U postgres 2>&1", pg->bin,
	         pg->dir, pg->port);
	return h_run(cmd, out, sizeof(out)) == 0;
}

static bool spawn(struct h_pg *pg)
{
	char bin[512], data[512], sock[300], port[16];
	const char *argv[32];
	int n = 0;

	snprintf(bin, sizeof(bin), "%s/postgres", pg->bin);
	snprintf(data, sizeof(data), "%s/data", pg->dir);
	snprintf(sock, sizeof(sock), "unix_socket_directories=%s", pg->dir);
	snprintf(port, sizeof(port), "%d", pg->port);
	if (geteuid() == 0) {
		/* setpriv execs postgres: the pid we get is the postmaster's. */
		argv[n++] = "setpriv";
		argv[n++] = "--reuid=postgres";
		argv[n++] = "--regid=postgres";
		argv[n++] = "--init-groups";
		argv[n++] = "--";
	}
	argv[n++] = bin;
	argv[n++] = "-D";
	argv[n++] = data;
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "-c";
	argv[n++] = "listen_addresses=";
	argv[n++] = "-c";
	argv[n++] = sock;
	argv[n++] = "-c";
	argv[n++] = "fsync=off";
	argv[n] = NULL;
	snprintf(pg->log, sizeof(pg->log), "%s/postgres-%d-%d.log", h_tmpdir(), (int)getpid(),
	         pg->port);
	pg->pid = h_spawn((char *const *)argv, NULL, pg->log);
	if (pg->pid <= 0)
		return false;
	/* Smart shutdown on SIGTERM: waits for sessions to end, then exits 0. */
	h_child_expect(pg->pid, "postgres", SIGTERM, 0);
	return true;
}

/* Polls pg_isready until the cluster accepts connections; false if it exits or takes too long. */
static bool wait_ready(const struct h_pg *pg)
{
	double deadline = h_now() + PG_READY_S;

	while (!is_ready(pg)) {
		struct timespec ts = {0, 50 * 1000 * 1000}; /* poll interval */

		if (h_wait_exit(pg->pid, 0) != -1 || h_now() > deadline) {
			fprintf(stderr, "h_pg_start: postgres not ready within %.0f s\n",
			        PG_READY_S);
			h_print_log_tail(pg->log, 20);
			return false;
		}
		nanosleep(&ts, NULL);
	}
	return true;
}

bool h_pg_start(struct h_pg *pg)
{
	memset(pg, 0, sizeof(*pg));
	if (!find_bin(pg->bin, sizeof(pg->bin))) {
		fprintf(stderr,
		        "h_pg_start: no /usr/lib/postgresql/*/bin/postgres; run make deps\n");
		return false;
	}
	if (!make_dir(pg) || !initdb(pg))
		return false;
	pg->port = h_free_port();
	snprintf(pg->conninfo, sizeof(pg->conninfo),
	         "host=%s port=%d user=postgres dbname=postgres", pg->dir, pg->port);
	if (!spawn(pg))
		return false;
	return wait_ready(pg);
}

void h_pg_pause(struct h_pg *pg)
{
	pid_t pid = pg->pid;
	int st;

	ck_assert_msg(pid > 0, "h_pg_pause: postgres is not running");
	pg->pid = 0;
	/* Fast shutdown: ends the sessions (a smart one would wait for them), exit 0. */
	st = h_stop(pid, SIGINT);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	              "h_pg_pause: postgres exited with status 0x%x", (unsigned)st);
}

bool h_pg_resume(struct h_pg *pg)
{
	ck_assert_msg(pg->pid == 0, "h_pg_resume: postgres is running");
	if (!spawn(pg))
		return false;
	/* Started after the clients it will serve: h_stop_all stops it first, so fast. */
	h_child_expect(pg->pid, "postgres", SIGINT, 0);
	return wait_ready(pg);
}

void h_pg_stop(struct h_pg *pg)
{
	char cmd[512], out[256];
	pid_t pid = pg->pid;

	pg->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
	if (pg->dir[0] != '\0' && getenv("PF_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg->dir);
		(void)h_run(cmd, out, sizeof(out));
	}
}

int h_pg_sql(const struct h_pg *pg, const char *db, const char *sql, char *out, size_t outlen)
{
	char path[512], cmd[2048];
	int st;

	snprintf(path, sizeof(path), "%s/sql-%d.sql", h_tmpdir(), (int)getpid());
	if (h_write_file(path, sql) == -1)
		return -1;
	snprintf(cmd, sizeof(cmd),
	         "'%s/psql' -X -q -A -t -v ON_ERROR_STOP=1 -h '%s' -p %d -U postgres -d '%s' "
	         "-f '%s' 2>&1",
	         pg->bin, pg->dir, pg->port, db != NULL ? db : "postgres", path);
	st = h_run(cmd, out, outlen);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *h_pg_q(const struct h_pg *pg, const char *sql)
{
	static char out[16384];
	size_t n;

	ck_assert_msg(h_pg_sql(pg, NULL, sql, out, sizeof(out)) == 0, "%s: %s", sql, out);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

void h_pg_start_migrated(struct h_pg *pg, char *cfg, size_t cfglen, char *spool, size_t spoollen)
{
	char json[1024], out[4096], args[1200];

	ck_assert_msg(h_pg_start(pg), "postgres did not start");
	snprintf(spool, spoollen, "%s/spool-%d", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(mkdir(spool, 0700), 0);
	snprintf(cfg, cfglen, "%s/migrate-%d.json", h_tmpdir(), (int)getpid());
	snprintf(json, sizeof(json),
	         "{\"region\": \"test\", \"haproxy\": [\"unix:/run/none.sock\"], \"database\": "
	         "\"%s\", \"chains\": [{\"name\": \"polkadot\", \"backend\": \"be_polkadot\", "
	         "\"nodes\": [{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": "
	         "\"http://127.0.0.1:9\"}]}]}",
	         pg->conninfo);
	ck_assert_int_eq(h_write_file(cfg, json), 0);
	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir sql", cfg);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
}
