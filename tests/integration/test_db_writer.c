/* SPDX-License-Identifier: MIT */
/*
 * The controller's write path (ctl/db/writer.c) against a real PostgreSQL
 * (tests/harness/pg.h), through tests/harness/dbw_drive (the writer on a
 * libev loop, steered over a FIFO). Every assertion on the database goes
 * through psql (h_pg_sql), never through the code under test:
 * - every kind lands with the fields and the observed times put, to the ms;
 * - the database paused: puts go on, the spool grows past the in-memory
 *   queue, the loop answers, one warning for the outage; resumed: every
 *   record once, in order of observation, the spool truncated;
 * - the database paused and the driver killed -9, a torn last line and a
 *   corrupt middle line in the spool: a restart writes every record once;
 * - a replayed spool inserts nothing twice;
 * - a record the database refuses for good is dropped, logged with its id,
 *   and does not hold up the others;
 * - batches larger than the socket's buffer are sent in pieces as it drains;
 * - a full disk loses the puts past it (counted), never the file's shape;
 * - the region lock: one holder of two; kill -9 the holder, the other takes
 *   over within lock_retry_ms + a margin and is handed the open incidents;
 *   a holder stays one through an outage and steps down when, back, it
 *   finds the lock taken;
 * - a database that accepts the connection and never answers does not
 *   block the loop, and is an outage after the writer's 15 s;
 * - a spool in use, or a spool dir that is not one, fails dbw_open.
 * No HAProxy: the 3.4 pass skips this suite (Makefile, HAP34_BINS).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/pg.h"

/* 2023-11-14T22:13:20.123Z (date -u -d @1700000000.123 '+%F %T.%N'). */
#define T0     "1700000000123"
#define T0_TXT "2023-11-14 22:13:20.123"
/* A whole minute, for samples: 2023-11-14T22:14:00Z (date -u -d @1700000040). */
#define M0     "1700000040000"
#define M0_TXT "2023-11-14 22:14:00.000"

/*
 * How long a condition may take. The writer acts within a loop iteration or
 * two of an event; what costs time here is PostgreSQL's start-up and commits
 * on a shared 2-core machine, under ASan: 20 s only guards against a hang.
 */
#define WAIT_S 20.0

/*
 * A ping must be answered this fast while the database is away. The
 * driver's loop does nothing but read the FIFO and write a line; a loop
 * blocked on the database would not answer at all (the black-hole case
 * below never answers), so 1 s only absorbs scheduling on a loaded box.
 */
#define PING_S 1.0

static struct h_pg pg;
static unsigned drv_seq;

struct drv {
	pid_t pid;
	char dir[512]; /* the spool dir */
	char fifo[512];
	char log[512];
	unsigned tag;
};

struct dstats {
	unsigned long long put, written, lost, rejected, skipped, outages, batches, spool_bytes,
	    pending;
	int connected, holder;
};

static void setup(void)
{
	char *a, *b, *sql;
	size_t la, lb;
	char out[4096];

	ck_assert_msg(h_pg_start(&pg), "postgres did not start");
	a = h_read_file("sql/001_schema.sql", &la);
	b = h_read_file("sql/002_observation.sql", &lb);
	ck_assert(a != NULL && b != NULL);
	sql = malloc(la + lb + 2);
	ck_assert_ptr_nonnull(sql);
	snprintf(sql, la + lb + 2, "%s\n%s", a, b);
	ck_assert_msg(h_pg_sql(&pg, NULL, sql, out, sizeof(out)) == 0, "schema: %s", out);
	free(a);
	free(b);
	free(sql);
}

static void teardown(void)
{
	h_stop_all();
}

static void sql(const char *q, char *out, size_t outlen)
{
	ck_assert_msg(h_pg_sql(&pg, NULL, q, out, outlen) == 0, "psql: %s: %s", q, out);
	while (strlen(out) > 0 && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
}

static long long sql_num(const char *q)
{
	char out[256];

	sql(q, out, sizeof(out));
	return strtoll(out, NULL, 10);
}

static void new_spool_dir(char *dir, size_t len)
{
	snprintf(dir, len, "%s/spool-%d-%u", h_tmpdir(), (int)getpid(), drv_seq++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
}

/* Starts the driver on <dir> (NULL: a new one) with <extra> flags; <ready>: wait for it. */
static void drv_start(struct drv *d, const char *dir, const char *conninfo, const char *extra,
                      bool ready)
{
	char bin[512], args[2048];
	const char *argv[40];
	char *save = NULL, *tok;
	int n = 0;

	memset(d, 0, sizeof(*d));
	if (dir != NULL)
		snprintf(d->dir, sizeof(d->dir), "%s", dir);
	else
		new_spool_dir(d->dir, sizeof(d->dir));
	snprintf(d->fifo, sizeof(d->fifo), "%s/fifo-%d-%u", h_tmpdir(), (int)getpid(), drv_seq);
	snprintf(d->log, sizeof(d->log), "%s/drive-%d-%u.log", h_tmpdir(), (int)getpid(),
	         drv_seq++);
	ck_assert_int_eq(mkfifo(d->fifo, 0600), 0);
	snprintf(bin, sizeof(bin), "%s/tests/harness/dbw_drive", h_build_dir());
	snprintf(args, sizeof(args), "%s", extra != NULL ? extra : "");
	argv[n++] = bin;
	argv[n++] = "--conninfo";
	argv[n++] = conninfo != NULL ? conninfo : pg.conninfo;
	argv[n++] = "--spool-dir";
	argv[n++] = d->dir;
	argv[n++] = "--region";
	argv[n++] = "eu1";
	argv[n++] = "--fifo";
	argv[n++] = d->fifo;
	argv[n++] = "--log-level";
	argv[n++] = "debug";
	for (tok = strtok_r(args, " ", &save); tok != NULL && n < 38;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	d->pid = h_spawn((char *const *)argv, NULL, d->log);
	ck_assert_int_gt(d->pid, 0);
	if (ready)
		ck_assert_msg(h_wait_file_contains(d->log, "ready\n", WAIT_S), "driver not ready");
}

/* Sends "<tag> <cmd>" and waits for the answer line, copied into <out>. */
static void drv_cmd(struct drv *d, const char *cmd, char *out, size_t outlen)
{
	char line[4200], needle[32];
	double deadline = h_now() + WAIT_S;
	int fd;

	snprintf(needle, sizeof(needle), "\nc%u ", ++d->tag);
	snprintf(line, sizeof(line), "c%u %s\n", d->tag, cmd);
	ck_assert_uint_lt(strlen(line), PIPE_BUF); /* one atomic write */
	fd = open(d->fifo, O_WRONLY | O_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	for (;;) {
		size_t len;
		char *text = h_read_file(d->log, &len);
		const char *at = text != NULL ? strstr(text, needle) : NULL;

		if (at != NULL && strchr(at + 1, '\n') != NULL) {
			size_t n = (size_t)(strchr(at + 1, '\n') - (at + 1));

			snprintf(out, outlen, "%.*s", (int)n, at + 1);
			free(text);
			return;
		}
		free(text);
		ck_assert_msg(h_now() < deadline, "driver did not answer %s", cmd);
		ck_assert_msg(h_wait_exit(d->pid, 0) == -1, "driver exited; log %s", d->log);
		struct timespec ts = {0, 10 * 1000 * 1000}; /* poll interval */
		nanosleep(&ts, NULL);
	}
}

static unsigned long long field(const char *line, const char *key)
{
	char k[40];
	const char *at;

	snprintf(k, sizeof(k), " %s=", key);
	at = strstr(line, k);
	ck_assert_msg(at != NULL, "%s not in %s", key, line);
	return strtoull(at + strlen(k), NULL, 10);
}

static void drv_stats(struct drv *d, struct dstats *s)
{
	char out[512];

	drv_cmd(d, "stats", out, sizeof(out));
	s->put = field(out, "put");
	s->written = field(out, "written");
	s->lost = field(out, "lost");
	s->rejected = field(out, "rejected");
	s->skipped = field(out, "skipped");
	s->outages = field(out, "outages");
	s->batches = field(out, "batches");
	s->spool_bytes = field(out, "spool_bytes");
	s->pending = field(out, "pending");
	s->connected = (int)field(out, "connected");
	s->holder = (int)field(out, "holder");
}

/* Polls until <written> records are acknowledged and none is pending. */
static void drv_wait_written(struct drv *d, unsigned long long written, struct dstats *s)
{
	double deadline = h_now() + WAIT_S;

	for (;;) {
		drv_stats(d, s);
		if (s->written >= written && s->pending == 0)
			break;
		ck_assert_msg(h_now() < deadline, "written %llu of %llu, pending %llu", s->written,
		              written, s->pending);
		struct timespec ts = {0, 20 * 1000 * 1000}; /* poll interval */
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_eq(s->written, written);
}

static void drv_ok(struct drv *d, const char *cmd, const char *want)
{
	char out[512];

	drv_cmd(d, cmd, out, sizeof(out));
	ck_assert_msg(strstr(out, want) != NULL, "%s: %s", cmd, out);
}

static int count_lines(const char *path, const char *a, const char *b)
{
	const char *const needles[] = {a, b, NULL};

	return h_log_count(path, needles);
}

static long long file_size(const char *dir)
{
	char path[600];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/eu1.spool", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	return (long long)sb.st_size;
}

START_TEST(test_up_path)
{
	struct drv d;
	struct dstats s;
	char out[4096];

	drv_start(&d, NULL, NULL, NULL, true);
	drv_ok(&d,
	       "line {\"kind\":\"node_change\",\"id\":\"n1\",\"region\":\"eu1\",\"at\":\"" T0 "\","
	       "\"chain\":\"kusama\",\"node\":\"k1\",\"from\":\"ready\",\"to\":\"drain\","
	       "\"reason\":\"lag 12\",\"best\":\"30000000123\",\"lag\":\"12\",\"peers\":\"0\"}",
	       "line ok");
	drv_ok(&d,
	       "line {\"kind\":\"chain_change\",\"id\":\"c1\",\"region\":\"eu1\",\"at\":\"" T0 "\","
	       "\"session\":\"s1\",\"chain\":\"kusama\",\"from\":\"nodata\",\"to\":\"degraded\","
	       "\"reason\":\"floor\",\"total\":\"3\",\"healthy\":\"1\",\"in_rotation\":\"2\"}",
	       "line ok");
	drv_ok(&d,
	       "line {\"kind\":\"incident_open\",\"id\":\"i1\",\"region\":\"eu1\",\"at\":\"" T0
	       "\",\"chain\":\"kusama\",\"incident_kind\":\"node_out\",\"severity\":\"minor\","
	       "\"summary\":\"k1 out\",\"nodes\":\"k1,k2\"}",
	       "line ok");
	drv_ok(&d,
	       "line {\"kind\":\"incident_open\",\"id\":\"i2\",\"region\":\"eu1\",\"at\":\"" T0
	       "\",\"chain\":\"\",\"incident_kind\":\"region_unreachable\",\"severity\":\"major\","
	       "\"summary\":\"\",\"nodes\":\"\"}",
	       "line ok");
	/* Closed 61.5 s later, with a new summary; i2 stays open. */
	drv_ok(&d,
	       "line {\"kind\":\"incident_close\",\"id\":\"i1\",\"region\":\"eu1\",\"at\":"
	       "\"1700000061623\",\"summary\":\"k1 back\"}",
	       "line ok");
	drv_ok(&d,
	       "line {\"kind\":\"op_change\",\"id\":\"o1\",\"region\":\"eu1\",\"at\":\"" T0 "\","
	       "\"op_kind\":\"drain\",\"who\":\"ops@h\",\"reason\":\"upgrade\",\"summary\":\"k1\"}",
	       "line ok");
	drv_ok(&d,
	       "line {\"kind\":\"sample\",\"id\":\"m1\",\"region\":\"eu1\",\"at\":\"" M0 "\","
	       "\"chain\":\"kusama\",\"total\":\"3\",\"healthy\":\"2\",\"in_rotation\":\"3\"}",
	       "line ok");
	/* Two heartbeats, the newer first: last_seen keeps the newer. */
	drv_ok(&d,
	       "line {\"kind\":\"session_beat\",\"id\":\"s1\",\"region\":\"eu1\",\"at\":"
	       "\"1700000005123\",\"controller\":\"h/eu1/9000\",\"started\":\"" T0 "\"}",
	       "line ok");
	drv_ok(&d,
	       "line {\"kind\":\"session_beat\",\"id\":\"s1\",\"region\":\"eu1\",\"at\":"
	       "\"1700000001123\",\"controller\":\"h/eu1/9000\",\"started\":\"" T0 "\"}",
	       "line ok");
	drv_wait_written(&d, 9, &s);
	ck_assert_uint_eq(s.rejected, 0);
	ck_assert_uint_eq(s.spool_bytes, 0);
	ck_assert_int_eq(file_size(d.dir), 0);

	sql("SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), region, chain,"
	    " node, from_state, to_state, reason, best, coalesce(finalized::text, 'NULL'), lag,"
	    " peers FROM node_state_changes;",
	    out, sizeof(out));
	ck_assert_str_eq(out,
	                 "n1|" T0_TXT "|eu1|kusama|k1|ready|drain|lag 12|30000000123|NULL|12|0");
	sql("SELECT id, session, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),"
	    " region, chain, from_state, to_state, reason, nodes_total, nodes_healthy,"
	    " nodes_in_rotation FROM chain_state_changes;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "c1|s1|" T0_TXT "|eu1|kusama|nodata|degraded|floor|3|1|2");
	sql("SELECT id, region, chain, kind, severity,"
	    " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),"
	    " coalesce(to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), 'open'),"
	    " summary, nodes, cardinality(nodes) FROM incidents ORDER BY id;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "i1|eu1|kusama|node_out|minor|" T0_TXT
	                      "|2023-11-14 22:14:21.623|k1 back|{k1,k2}|2\n"
	                      "i2|eu1||region_unreachable|major|" T0_TXT "|open||{}|0");
	sql("SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), region, kind,"
	    " who, reason, summary FROM operational_changes;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "o1|" T0_TXT "|eu1|drain|ops@h|upgrade|k1");
	sql("SELECT id, region, chain, to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD "
	    "HH24:MI:SS.MS'), nodes_total, nodes_healthy, nodes_in_rotation,"
	    " coalesce(ref_height::text, 'NULL') FROM minute_samples;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "m1|eu1|kusama|" M0_TXT "|3|2|3|NULL");
	sql("SELECT id, region, controller,"
	    " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),"
	    " to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')"
	    " FROM observer_sessions;",
	    out, sizeof(out));
	ck_assert_str_eq(out, "s1|eu1|h/eu1/9000|" T0_TXT "|2023-11-14 22:13:25.123");
	/* The only controller of eu1 holds the lock; nothing was open when it took it. */
	ck_assert_int_eq(count_lines(d.log, "role holder=1 open=0", NULL), 1);
	ck_assert_int_eq(s.holder, 1);
	h_stop_child(d.pid);
}
END_TEST

/* The ids of node_state_changes in the order they were stored, and in order of at. */
static void check_order(long long want)
{
	ck_assert_int_eq(sql_num("SELECT count(*) FROM node_state_changes;"), want);
	ck_assert_int_eq(sql_num("SELECT count(DISTINCT id) FROM node_state_changes;"), want);
	/* ctid: the heap's order of insertion in a table that never had a delete. */
	ck_assert_int_eq(sql_num("SELECT count(*) FROM (SELECT at, lag(at) OVER (ORDER BY ctid) p"
	                         " FROM node_state_changes) s WHERE at <= p;"),
	                 0);
}

START_TEST(test_outage)
{
	struct drv d;
	struct dstats s;
	char out[256];
	double t;

	drv_start(&d, NULL, NULL, "--queue-max 100 --reconnect-min-ms 50 --reconnect-max-ms 200",
	          true);
	drv_ok(&d, "gen node_change a 0 50 1700000000000", "gen ok=50 fail=0");
	drv_wait_written(&d, 50, &s);
	h_pg_pause(&pg);
	/* 300 records while it is away: 100 fit in memory, 200 wait in the file only. */
	drv_ok(&d, "gen node_change b 0 300 1700000100000", "gen ok=300 fail=0");
	t = h_now();
	drv_cmd(&d, "ping", out, sizeof(out));
	t = h_now() - t;
	ck_assert_msg(strstr(out, " pong") != NULL, "%s", out);
	ck_assert_msg(t < PING_S, "ping took %.3f s while the database was away", t);
	/* Several reconnects fail (debug lines) and still one warning. */
	ck_assert_int_ge(h_wait_log_count(d.log,
	                                  (const char *const[]){"database still unreachable", NULL},
	                                  3, WAIT_S),
	                 3);
	ck_assert_int_eq(count_lines(d.log, "lvl=warn", "database unreachable"), 1);
	drv_stats(&d, &s);
	ck_assert_uint_eq(s.pending, 300);
	ck_assert_uint_eq(s.put, 350);
	ck_assert_int_eq(s.connected, 0);
	ck_assert_uint_eq(s.outages, 1);
	ck_assert_int_gt(file_size(d.dir), 0);
	ck_assert_uint_eq(s.spool_bytes, (unsigned long long)file_size(d.dir));
	ck_assert(h_pg_resume(&pg));
	drv_wait_written(&d, 350, &s);
	check_order(350);
	ck_assert_int_eq(sql_num("SELECT count(*) FROM node_state_changes WHERE id LIKE 'b-%';"),
	                 300);
	ck_assert_int_eq(file_size(d.dir), 0);
	ck_assert_uint_eq(s.rejected + s.skipped + s.lost, 0);
	ck_assert_int_eq(count_lines(d.log, "lvl=info", "database back"), 1);
	ck_assert_int_eq(count_lines(d.log, "database back", "replayed=300"), 1);
	ck_assert_int_eq(count_lines(d.log, "lvl=warn", NULL), 1);
	h_stop_child(d.pid);
}
END_TEST

/* Inserts <line> as line <after> + 1 of <path> (sed, so independent of the writer). */
static void spool_edit(const char *dir, const char *sed_expr)
{
	char cmd[1024], out[256];

	snprintf(cmd, sizeof(cmd), "sed -i '%s' '%s/eu1.spool' 2>&1", sed_expr, dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
}

START_TEST(test_kill9_and_torn_spool)
{
	struct drv d;
	struct dstats s;
	char dir[512], cmd[1024], out[256];

	drv_start(&d, NULL, NULL, "--queue-max 64 --reconnect-min-ms 50 --reconnect-max-ms 200",
	          true);
	drv_ok(&d, "gen node_change k 0 10 1700000000000", "gen ok=10");
	drv_wait_written(&d, 10, &s);
	h_pg_pause(&pg);
	drv_ok(&d, "gen node_change k 10 190 1700000000000", "gen ok=190");
	drv_stats(&d, &s);
	ck_assert_uint_eq(s.pending, 190);
	snprintf(dir, sizeof(dir), "%s", d.dir);
	/* A staged crash: the controller dies while the database is away. */
	h_kill_child(d.pid);
	/* What a crash in the middle of a write leaves, and a line damaged on disk. */
	snprintf(cmd, sizeof(cmd), "printf '{\"kind\":\"node_cha' >> '%s/eu1.spool'", dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	spool_edit(dir, "100a {\"kind\":\"garbage\"}");
	ck_assert(h_pg_resume(&pg));
	drv_start(&d, dir, NULL, "--queue-max 64", true);
	drv_wait_written(&d, 190, &s);
	ck_assert_uint_eq(s.skipped, 1);
	ck_assert_uint_eq(s.rejected, 0);
	check_order(200);
	ck_assert_int_eq(count_lines(d.log, "torn last line dropped", NULL), 1);
	ck_assert_int_eq(count_lines(d.log, "spool line skipped", "kind: missing or unknown"), 1);
	ck_assert_int_eq(count_lines(d.log, "earlier run", "records=191"), 1);
	ck_assert_int_eq(file_size(dir), 0);
	h_stop_child(d.pid);
}
END_TEST

START_TEST(test_replay_inserts_nothing_twice)
{
	struct drv d;
	struct dstats s;
	char dir[512], cmd[1200], out[4096], before[4096];

	drv_start(&d, NULL, NULL, "--reconnect-min-ms 50 --reconnect-max-ms 200", true);
	ck_assert_msg(h_wait_file_contains(d.log, "role holder=1", WAIT_S), "no lock");
	h_pg_pause(&pg);
	drv_ok(&d, "gen node_change r 0 40 1700000000000", "gen ok=40");
	drv_ok(&d, "gen incident_open i 0 4 1700000000000", "gen ok=4");
	drv_ok(&d, "gen incident_close i 0 2 1700000100000", "gen ok=2");
	drv_ok(&d, "gen sample m 0 5 1700000040000", "gen ok=5");
	drv_ok(&d, "gen session_beat s 0 1 1700000000000", "gen ok=1");
	snprintf(dir, sizeof(dir), "%s", d.dir);
	/* The spool as a crash after the inserts and before the truncation would leave it. */
	snprintf(cmd, sizeof(cmd), "cp '%s/eu1.spool' '%s/saved' 2>&1", dir, dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	ck_assert(h_pg_resume(&pg));
	drv_wait_written(&d, 52, &s);
	h_stop_child(d.pid);
	ck_assert_int_eq(file_size(dir), 0);
	sql("SELECT (SELECT count(*) FROM node_state_changes), (SELECT string_agg(id || ':' ||"
	    " coalesce(to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), '-'), ',' ORDER BY "
	    "id)"
	    " FROM incidents), (SELECT count(*) FROM minute_samples), (SELECT"
	    " to_char(last_seen AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') FROM observer_sessions);",
	    before, sizeof(before));
	ck_assert_str_eq(before, "40|i-0:22:15:00.000,i-1:22:15:01.000,i-2:-,i-3:-|5|22:13:20.000");
	snprintf(cmd, sizeof(cmd), "mv '%s/saved' '%s/eu1.spool' 2>&1", dir, dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	drv_start(&d, dir, NULL, NULL, true);
	drv_wait_written(&d, 52, &s);
	ck_assert_uint_eq(s.rejected, 0);
	sql("SELECT (SELECT count(*) FROM node_state_changes), (SELECT string_agg(id || ':' ||"
	    " coalesce(to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), '-'), ',' ORDER BY "
	    "id)"
	    " FROM incidents), (SELECT count(*) FROM minute_samples), (SELECT"
	    " to_char(last_seen AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') FROM observer_sessions);",
	    out, sizeof(out));
	ck_assert_str_eq(out, before);
	ck_assert_int_eq(file_size(dir), 0);
	h_stop_child(d.pid);
}
END_TEST

/*
 * Batches of 2,048 statements of over 400 bytes each (about 1 MB) do not
 * fit a unix socket's send buffer (about 200 KB by default): libpq keeps
 * the rest and the writer waits for the socket to take it (PQflush 1).
 */
START_TEST(test_big_batches)
{
	struct drv d;
	struct dstats s;

	drv_start(&d, NULL, NULL,
	          "--batch-max 2048 --queue-max 4096 --reconnect-min-ms 50 --reconnect-max-ms 100",
	          true);
	h_pg_pause(&pg);
	drv_ok(&d, "gen op_change big 0 5000 1700000000000", "gen ok=5000");
	ck_assert(h_pg_resume(&pg));
	drv_wait_written(&d, 5000, &s);
	ck_assert_int_ge(count_lines(d.log, "socket full, waiting to send the rest", NULL), 1);
	ck_assert_uint_ge(s.batches, 3);
	ck_assert_int_eq(sql_num("SELECT count(*) FROM operational_changes WHERE length(reason) ="
	                         " 400;"),
	                 5000);
	ck_assert_int_eq(file_size(d.dir), 0);
	h_stop_child(d.pid);
}
END_TEST

/*
 * A full disk (the driver's RLIMIT_FSIZE) while the database is away: puts
 * past it fail and are counted lost, the partial line each leaves is cut
 * off again, so a restart finds a whole file and writes exactly the
 * records that were accepted.
 */
START_TEST(test_disk_full)
{
	struct drv d;
	struct dstats s;
	char dir[512], out[256];
	unsigned long long ok, fail;

	/*
	 * The limit holds for the driver's log too: 64 KiB of spool (about 270
	 * records), and a log kept short (warnings: one per lost record).
	 */
	drv_start(&d, NULL, NULL,
	          "--fsize-limit 65536 --log-level warn --reconnect-min-ms 50 "
	          "--reconnect-max-ms 100",
	          true);
	h_pg_pause(&pg);
	drv_cmd(&d, "gen node_change f 0 350 1700000000000", out, sizeof(out));
	ok = field(out, "ok");
	fail = field(out, "fail");
	ck_assert_msg(ok > 0 && fail > 0 && ok + fail == 350, "%s", out);
	drv_stats(&d, &s);
	ck_assert_uint_eq(s.lost, fail);
	ck_assert_uint_eq(s.put, ok);
	ck_assert_uint_eq(s.pending, ok);
	ck_assert_int_le(file_size(d.dir), 65536);
	ck_assert_int_eq(count_lines(d.log, "record lost", "File too large"), (int)fail);
	snprintf(dir, sizeof(dir), "%s", d.dir);
	h_stop_child(d.pid);
	ck_assert(h_pg_resume(&pg));
	drv_start(&d, dir, NULL, NULL, true);
	drv_wait_written(&d, ok, &s);
	ck_assert_int_eq(count_lines(d.log, "torn last line", NULL), 0);
	ck_assert_uint_eq(s.skipped, 0);
	check_order((long long)ok);
	h_stop_child(d.pid);
}
END_TEST

START_TEST(test_refused_record_is_dropped)
{
	struct drv d;
	struct dstats s;

	drv_start(&d, NULL, NULL, NULL, true);
	ck_assert_msg(h_wait_file_contains(d.log, "role holder=1", WAIT_S), "no lock");
	/* One batch: ten records, one the CHECK refuses (healthy > total), ten more. */
	h_pg_pause(&pg);
	drv_ok(&d, "gen op_change o 0 10 1700000000000", "gen ok=10");
	drv_ok(&d,
	       "line {\"kind\":\"sample\",\"id\":\"bad-1\",\"region\":\"eu1\",\"at\":\"" M0 "\","
	       "\"chain\":\"kusama\",\"total\":\"3\",\"healthy\":\"4\",\"in_rotation\":\"3\"}",
	       "line ok");
	drv_ok(&d, "gen op_change o 10 10 1700000000000", "gen ok=10");
	ck_assert(h_pg_resume(&pg));
	drv_wait_written(&d, 20, &s);
	ck_assert_uint_eq(s.rejected, 1);
	ck_assert_int_eq(sql_num("SELECT count(*) FROM operational_changes;"), 20);
	ck_assert_int_eq(sql_num("SELECT count(*) FROM minute_samples;"), 0);
	ck_assert_int_eq(count_lines(d.log, "refused by the database", "id=bad-1"), 1);
	ck_assert_int_eq(count_lines(d.log, "id=bad-1", "sqlstate=23514"), 1);
	ck_assert_int_eq(file_size(d.dir), 0);
	h_stop_child(d.pid);
}
END_TEST

START_TEST(test_lock_takeover)
{
	struct drv a, b;
	struct dstats s;
	char out[256];
	double t;
	const double bound = 0.2 + 5.0; /* lock_retry_ms, and the margin of a loaded machine */

	drv_start(&a, NULL, NULL, "--lock-retry-ms 200", true);
	ck_assert_msg(h_wait_file_contains(a.log, "role holder=1 open=0", WAIT_S), "a: no lock");
	drv_start(&b, NULL, NULL, "--lock-retry-ms 200", true);
	/* b tries and fails more than once, and never holds. */
	ck_assert_int_ge(
	    h_wait_log_count(b.log, (const char *const[]){"region lock busy", NULL}, 3, WAIT_S), 3);
	drv_stats(&b, &s);
	ck_assert_int_eq(s.holder, 0);
	ck_assert_int_eq(s.connected, 1);
	ck_assert_int_eq(count_lines(b.log, "role holder", NULL), 0);
	drv_stats(&a, &s);
	ck_assert_int_eq(s.holder, 1);
	/* a opens three incidents and closes one. */
	drv_ok(&a, "gen incident_open x 0 3 1700000000000", "gen ok=3");
	drv_ok(&a, "gen incident_close x 1 1 1700000100000", "gen ok=1");
	drv_wait_written(&a, 4, &s);
	/* A staged crash of the holder: its session, and the lock, end with it. */
	t = h_now();
	h_kill_child(a.pid);
	ck_assert_msg(h_wait_file_contains(b.log, "role holder=1 open=2", bound),
	              "b did not take over within %.1f s", bound);
	t = h_now() - t;
	fprintf(stderr, "test_lock_takeover: took over in %.3f s (bound %.1f s)\n", t, bound);
	ck_assert_int_eq(count_lines(b.log,
	                             "open id=x-0 chain=polkadot kind=node_out "
	                             "nodes=polkadot-0,polkadot-1 started=1700000000000",
	                             NULL),
	                 1);
	ck_assert_int_eq(count_lines(b.log,
	                             "open id=x-2 chain=polkadot kind=node_out "
	                             "nodes=polkadot-0,polkadot-1 started=1700000002000",
	                             NULL),
	                 1);
	ck_assert_int_eq(count_lines(b.log, "open id=x-1", NULL), 0);
	drv_cmd(&b, "ping", out, sizeof(out));
	h_stop_child(b.pid);
}
END_TEST

/*
 * The holder through an outage: it keeps the role and spools; back, it
 * finds the lock taken by the other, which reconnects first (50 ms of
 * backoff against 10 s, more than a restart of PostgreSQL takes even on a
 * loaded machine), and steps down; what it spooled is still written.
 */
START_TEST(test_holder_through_outage)
{
	struct drv a, b;
	struct dstats s;

	drv_start(&a, NULL, NULL, "--lock-retry-ms 200 --reconnect-min-ms 10000", true);
	ck_assert_msg(h_wait_file_contains(a.log, "role holder=1 open=0", WAIT_S), "a: no lock");
	drv_start(&b, NULL, NULL,
	          "--lock-retry-ms 200 --reconnect-min-ms 50 --reconnect-max-ms 100", true);
	ck_assert_int_ge(
	    h_wait_log_count(b.log, (const char *const[]){"region lock busy", NULL}, 1, WAIT_S), 1);
	h_pg_pause(&pg);
	drv_ok(&a, "gen chain_change h 0 5 1700000000000", "gen ok=5");
	drv_stats(&a, &s);
	ck_assert_int_eq(s.connected, 0);
	ck_assert_int_eq(s.holder, 1);
	ck_assert_uint_eq(s.pending, 5);
	ck_assert(h_pg_resume(&pg));
	ck_assert_msg(h_wait_file_contains(b.log, "role holder=1 open=0", WAIT_S), "b: no lock");
	ck_assert_msg(h_wait_file_contains(a.log, "role holder=0 open=0", WAIT_S),
	              "a did not step down");
	drv_wait_written(&a, 5, &s);
	ck_assert_int_eq(s.holder, 0);
	ck_assert_int_eq(count_lines(a.log, "role holder=", NULL), 2);
	ck_assert_int_eq(count_lines(b.log, "role holder=", NULL), 1);
	ck_assert_int_eq(sql_num("SELECT count(*) FROM chain_state_changes WHERE id LIKE 'h-%';"),
	                 5);
	h_stop_child(b.pid);
	h_stop_child(a.pid);
}
END_TEST

START_TEST(test_blackhole_database)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[80], conninfo[700], out[256];
	struct dstats s;
	struct drv d;
	double t;
	int fd, port = 5999;

	/* A "server" that takes connections into its backlog and never answers. */
	ck_assert_uint_lt(strlen(h_tmpdir()), 40); /* a socket path holds 107 bytes */
	snprintf(dir, sizeof(dir), "%.40s/hole-%d", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.s.PGSQL.%d", dir, port);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d user=postgres dbname=postgres", dir,
	         port);
	drv_start(&d, NULL, conninfo, NULL, false);
	ck_assert_msg(h_wait_file_contains(d.log, "ready\n", WAIT_S), "driver not ready");
	drv_ok(&d, "gen node_change h 0 20 1700000000000", "gen ok=20");
	t = h_now();
	drv_cmd(&d, "ping", out, sizeof(out));
	t = h_now() - t;
	ck_assert_msg(t < PING_S, "ping took %.3f s", t);
	drv_stats(&d, &s);
	ck_assert_int_eq(s.connected, 0);
	ck_assert_uint_eq(s.pending, 20);
	/* A link that never answers is an outage after the writer's 15 s (DBW_DEADLINE_S). */
	ck_assert_msg(h_wait_file_contains(d.log, "no answer within 15 s", 15.0 + 5.0),
	              "no outage after 15 s of silence");
	ck_assert_int_eq(count_lines(d.log, "lvl=warn", "database unreachable"), 1);
	drv_stats(&d, &s);
	ck_assert_uint_eq(s.outages, 1);
	ck_assert_uint_eq(s.pending, 20);
	h_stop_child(d.pid);
	close(fd);
}
END_TEST

START_TEST(test_spool_refused)
{
	struct drv a, b;
	char path[600];
	int st;

	drv_start(&a, NULL, NULL, NULL, true);
	drv_start(&b, a.dir, NULL, NULL, false);
	st = h_wait_exit(b.pid, WAIT_S);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x", (unsigned)st);
	ck_assert_int_eq(count_lines(b.log, "dbw_open: spool ", "is in use by another process"), 1);
	h_stop_child(a.pid);
	/* A spool dir that does not exist, and one that is a file. */
	snprintf(path, sizeof(path), "%s/no-such-dir", h_tmpdir());
	drv_start(&b, path, NULL, NULL, false);
	st = h_wait_exit(b.pid, WAIT_S);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x", (unsigned)st);
	ck_assert_int_eq(count_lines(b.log, "dbw_open: spool_dir ", "No such file or directory"),
	                 1);
	snprintf(path, sizeof(path), "%s/a-file", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, "x"), 0);
	drv_start(&b, path, NULL, NULL, false);
	st = h_wait_exit(b.pid, WAIT_S);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x", (unsigned)st);
	ck_assert_int_eq(count_lines(b.log, "dbw_open: spool_dir ", "Not a directory"), 1);
}
END_TEST

static Suite *db_writer_suite(void)
{
	Suite *s = suite_create("db_writer");
	TCase *tc = tcase_create("writer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_up_path);
	tcase_add_test(tc, test_outage);
	tcase_add_test(tc, test_kill9_and_torn_spool);
	tcase_add_test(tc, test_replay_inserts_nothing_twice);
	tcase_add_test(tc, test_big_batches);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_refused_record_is_dropped);
	tcase_add_test(tc, test_lock_takeover);
	tcase_add_test(tc, test_holder_through_outage);
	tcase_add_test(tc, test_blackhole_database);
	tcase_add_test(tc, test_spool_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(db_writer_suite());
}
