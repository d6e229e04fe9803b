/* SPDX-License-Identifier: MIT */
/*
 * What polkfura-ctl records in PostgreSQL (issue 10), through the real
 * controller, HAProxy, the node simulator and a throw-away PostgreSQL:
 * - a scripted fault timeline (a node lags, a node goes down, every node
 *   goes down, the chain stalls, everything recovers): the chain's state
 *   changes, the incidents and the node changes recorded match the faults
 *   injected, in order and in time;
 * - the database stopped in the middle of a timeline and the controller
 *   killed -9 while it is away: once both are back, every record the
 *   controller logged is in the database exactly once, and the incident it
 *   opened while the database was away is closed by its successor, not
 *   opened twice;
 * - an HA pair: the lock holder killed -9, the other takes over and adopts
 *   the open incident instead of opening it again.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"
#include "tests/harness/pg.h"

#define BT_MS    100  /* the simulator's block time, and the chain's block_time_ms */
#define STALL_MS 1500 /* the controller's stall_ms */
#define SIM_ARGS "--block-time-ms 100 --height 1000"
#define CHAIN_BT "\"block_time_ms\": 100,"

/*
 * A fault is seen by the first round that polls after it: rounds start
 * every interval and take at most timeout_ms, so a state begins and ends
 * between 0 and interval + timeout after its cause, and a recorded duration
 * is within that of the injected one (plus the fixture's scheduling margin).
 */
#define SEEN_S (FX_INTERVAL_S + FX_TIMEOUT_S)
#define TOL_S  (SEEN_S + FX_MARGIN_S)

static struct h_pg pg;
static char spool[512], migrate_cfg[512];

static void setup(void)
{
	h_pg_start_migrated(&pg, migrate_cfg, sizeof(migrate_cfg), spool, sizeof(spool));
}

static void teardown(void)
{
	fx_stop(); /* h_stop_all: PostgreSQL too */
}

/* The tuning keys of the fixture's controller: recording into <spool_dir>. */
static char tuning[1200];
static const char *record_tuning(const char *spool_dir)
{
	snprintf(tuning, sizeof(tuning),
	         "\"stall_ms\": %d, \"database\": \"%s\", \"spool_dir\": \"%s\"", STALL_MS,
	         pg.conninfo, spool_dir);
	return tuning;
}

static void start(void)
{
	fx_start_opts(&(struct fx_opts){
	    .sim_args = SIM_ARGS, .chain = CHAIN_BT, .tuning = record_tuning(spool)});
}

/* psql's answer to <sql> (h_pg_q). */
static const char *db(const char *sql)
{
	return h_pg_q(&pg, sql);
}

/* Waits until <sql> answers <want> (the write path is asynchronous). */
static void wait_db(const char *sql, const char *want, double timeout_s)
{
	const char *got = "";

	for (double end = h_now() + timeout_s; h_now() < end; usleep(20000)) {
		got = db(sql);
		if (strcmp(got, want) == 0)
			return;
	}
	h_print_log_tail(fx.ctl.log, 30);
	ck_abort_msg("%s: wanted \"%s\" within %.1f s, got \"%s\"", sql, want, timeout_s, got);
}

static void all_steer(const char *json)
{
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all/steer", json, NULL), 200);
}

static const char last_chain_state[] =
    "SELECT to_state FROM chain_state_changes WHERE chain = 'polkadot' ORDER BY at DESC, id "
    "DESC LIMIT 1;";

/* Seconds of every 'down' period of polkadot, in order, from the recorded changes. */
static int down_periods(double *out, int max)
{
	char *text = strdup(db("SELECT extract(epoch FROM lead(at) OVER (ORDER BY at, id) - at), "
	                       "to_state FROM chain_state_changes WHERE chain = 'polkadot' "
	                       "ORDER BY at, id;")),
	     *save = NULL;
	int n = 0;

	ck_assert_ptr_nonnull(text);
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *bar = strchr(line, '|');

		ck_assert_ptr_nonnull(bar);
		if (strcmp(bar + 1, "down") != 0)
			continue;
		ck_assert_msg(bar != line, "a down period without an end: %s", line);
		ck_assert_int_lt(n, max);
		out[n++] = strtod(line, NULL);
	}
	free(text);
	return n;
}

/*
 * polkfura-ctl report --format json over the session's seconds: the
 * polkadot row's down_s, nodata_s and the window's length, in <out>[3].
 */
static void report_polkadot(double out[3])
{
	char args[1600], from[64], to[64], *text;
	const cJSON *row, *rows;
	cJSON *root;
	size_t cap = 1 << 16;
	double window;

	snprintf(from, sizeof(from), "%s",
	         db("SELECT to_char(date_trunc('second', started_at) AT TIME ZONE 'UTC', "
	            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM observer_sessions;"));
	snprintf(to, sizeof(to), "%s",
	         db("SELECT to_char(date_trunc('second', last_seen) AT TIME ZONE 'UTC' + interval "
	            "'1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM observer_sessions;"));
	window =
	    strtod(db("SELECT extract(epoch FROM date_trunc('second', last_seen) + interval "
	              "'1 second' - date_trunc('second', started_at)) FROM observer_sessions;"),
	           NULL);
	snprintf(args, sizeof(args), "report --config '%s' --from %s --to %s --format json",
	         migrate_cfg, from, to);
	text = calloc(1, cap);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(h_ctl_run(NULL, args, text, cap) == 0, "%s", text);
	root = cJSON_Parse(text);
	ck_assert_msg(root != NULL, "report is not JSON: %s", text);
	rows = cJSON_GetObjectItemCaseSensitive(root, "uptime");
	out[0] = out[1] = -1;
	cJSON_ArrayForEach(row, rows)
	{
		const cJSON *chain = cJSON_GetObjectItemCaseSensitive(row, "chain");

		if (cJSON_IsString(chain) && strcmp(chain->valuestring, "polkadot") == 0) {
			out[0] =
			    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "down_s"));
			out[1] =
			    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "nodata_s"));
		}
	}
	ck_assert_msg(out[0] >= 0 && out[1] >= 0, "no polkadot row in the report: %s", text);
	out[2] = window;
	cJSON_Delete(root);
	free(text);
}

START_TEST(test_fault_timeline)
{
	double t_all_down, t_all_up, t_stall, t_unstall, down[4], rep[3], injected;

	start();
	wait_db(last_chain_state, "up", 10);
	/* A node lags: out of rotation, a node_out incident; back once it catches up. */
	fx_steer(0, "{\"stall\": true}");
	fx_expect_drain(0, true, 10);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/nodes/polkadot-0/reset", "{}", NULL), 200);
	fx_expect_drain(0, false, 10);
	/* A node goes down, and comes back. */
	fx_steer(1, "{\"down\": true}");
	fx_expect_drain(1, true, 10);
	fx_steer(1, "{\"down\": false}");
	fx_expect_drain(1, false, 10);
	/* Every node down: the chain is down until they answer again. */
	t_all_down = h_now();
	all_steer("{\"down\": true}");
	wait_db(last_chain_state, "down", 10);
	while (h_now() < t_all_down + 2.5)
		usleep(20000); /* the outage lasts this long on purpose */
	t_all_up = h_now();
	all_steer("{\"down\": false}");
	wait_db(last_chain_state, "up", 10);
	/* The chain stalls: down once stall_ms passed without a block, up at the next block. */
	t_stall = h_now();
	all_steer("{\"stall\": true}");
	wait_db(last_chain_state, "down", 10);
	while (h_now() < t_stall + STALL_MS / 1000.0 + 2.0)
		usleep(20000);
	t_unstall = h_now();
	all_steer("{\"stall\": false}");
	wait_db(last_chain_state, "up", 10);
	h_ctl_stop(&fx.ctl); /* a clean stop writes the last heartbeat */
	fx.ctl.pid = 0;

	/* The chain's states, in order. */
	ck_assert_str_eq(db("SELECT string_agg(from_state || '>' || to_state, ' ' ORDER BY at, id) "
	                    "FROM chain_state_changes WHERE chain = 'polkadot';"),
	                 "nodata>up up>down down>up up>down down>up");
	ck_assert_str_eq(
	    db("SELECT reason = 'no node answering' OR reason LIKE 'stalled at height %' "
	       "FROM chain_state_changes WHERE to_state = 'down' ORDER BY at;"),
	    "t\nt");
	ck_assert_str_eq(db("SELECT reason FROM chain_state_changes WHERE to_state = 'down' "
	                    "ORDER BY at LIMIT 1;"),
	                 "no node answering");
	/* The durations match the faults. */
	ck_assert_int_eq(down_periods(down, 4), 2);
	ck_assert_msg(fabs(down[0] - (t_all_up - t_all_down)) <= TOL_S,
	              "all down: recorded %.3f s, injected %.3f s", down[0], t_all_up - t_all_down);
	/* A stall is down from its detection, stall_ms after the last block (one block time early
	 * at most). */
	ck_assert_msg(fabs(down[1] - (t_unstall - t_stall - STALL_MS / 1000.0)) <=
	                  TOL_S + BT_MS / 1000.0,
	              "stall: recorded %.3f s, injected %.3f s", down[1],
	              t_unstall - t_stall - STALL_MS / 1000.0);
	/* The incidents: one per fault, all closed, the nodes named. */
	ck_assert_str_eq(db("SELECT kind || ':' || array_to_string(nodes, ',') || ':' || "
	                    "(ended_at IS NOT NULL) FROM incidents ORDER BY started_at;"),
	                 "node_out:p0:true\nnode_out:p1:true\nchain_down::true\nchain_stall::true");
	ck_assert_str_eq(db("SELECT severity FROM incidents ORDER BY started_at;"),
	                 "minor\nminor\ncritical\ncritical");
	/* Each incident's length matches its chain state: all-down and the stall. */
	ck_assert_msg(fabs(strtod(db("SELECT extract(epoch FROM ended_at - started_at) FROM "
	                             "incidents WHERE kind = 'chain_down';"),
	                          NULL) -
	                   down[0]) < 0.01,
	              "chain_down incident differs from the chain's down period");
	/* The node changes, with the facts of the moment. */
	ck_assert_str_eq(db("SELECT node || ':' || from_state || '>' || to_state FROM "
	                    "node_state_changes ORDER BY at, id;"),
	                 "p0:ready>drain\np0:drain>ready\np1:ready>drain\np1:drain>ready");
	ck_assert_str_eq(
	    db("SELECT (reason LIKE 'lag %') || ':' || (lag > 5) || ':' || (best > 1000) "
	       "FROM node_state_changes WHERE node = 'p0' AND to_state = 'drain';"),
	    "true:true:true");
	/* Samples and the watched time. */
	ck_assert_str_eq(db("SELECT count(*) > 0 FROM minute_samples WHERE chain = 'polkadot' AND "
	                    "nodes_total = 3;"),
	                 "t");
	/*
	 * The report over the session's whole seconds: the downtime is the two
	 * faults, each within its bound; no data only at the window's edges (the
	 * session starts and ends within a second of them).
	 */
	report_polkadot(rep);
	injected = (t_all_up - t_all_down) + (t_unstall - t_stall - STALL_MS / 1000.0);
	printf("fault timeline: injected %.3f s down, recorded %.3f s, the report says %.0f s; "
	       "no data %.0f s of %.0f s\n",
	       injected, down[0] + down[1], rep[0], rep[1], rep[2]);
	ck_assert_msg(fabs(rep[0] - injected) <= 2 * TOL_S + BT_MS / 1000.0 + 1.0,
	              "report: %.0f s down, injected %.3f s", rep[0], injected);
	ck_assert_msg(fabs(rep[0] - (down[0] + down[1])) <= 1.0,
	              "report: %.0f s down, the recorded changes %.3f s", rep[0],
	              down[0] + down[1]);
	ck_assert_msg(rep[1] <= 2.0, "report: %.0f s of no data in a watched window", rep[1]);
	ck_assert_str_eq(db("SELECT count(*), bool_and(last_seen >= (SELECT max(at) FROM "
	                    "chain_state_changes)) FROM observer_sessions;"),
	                 "1|t");
}
END_TEST

/* The ids the controller's log says it opened (or closed) an incident with, one per line. */
static char *logged_incidents(const char *log, const char *verb)
{
	char *text = h_read_file(log, NULL);
	size_t cap = strlen(text != NULL ? text : "") + 1, n = 0;
	char *out = calloc(1, cap), needle[32];

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(out);
	snprintf(needle, sizeof(needle), " %s", verb);
	for (const char *p = strstr(text, "incident "); p != NULL; p = strstr(p + 1, "incident ")) {
		const char *id = p + 9, *sp = strchr(id, ' ');

		if (sp == NULL || strncmp(sp, needle, strlen(needle)) != 0)
			continue;
		n +=
		    (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? "\n" : "", (int)(sp - id), id);
	}
	free(text);
	return out;
}

/* Lines of <log> holding <needle>. */
static int log_lines(const char *log, const char *needle)
{
	const char *const needles[] = {needle, NULL};

	return h_log_count(log, needles);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

START_TEST(test_db_away_and_kill)
{
	char *cfg, *opened, *closed, sql[8192], path[600];
	const char *const went_down[] = {"chain=polkadot up -> down", NULL};

	start();
	wait_db(last_chain_state, "up", 10);
	h_pg_pause(&pg);
	/* The control loop goes on without the database: a lagging node is drained as ever. */
	fx_steer(0, "{\"stall\": true}");
	fx_expect_drain(0, true, 10);
	all_steer("{\"down\": true}");
	ck_assert_int_eq(h_wait_log_count(fx.ctl.log, went_down, 1, 10), 1);
	snprintf(path, sizeof(path), "%s/test.spool", spool);
	ck_assert_int_gt(file_size(path), 0);
	/* A crash staged while the database is away: what was recorded is in the spool only. */
	cfg = h_read_file(fx.ctl.config, NULL);
	ck_assert_ptr_nonnull(cfg);
	h_ctl_kill(&fx.ctl);
	ck_assert(h_pg_resume(&pg));
	all_steer("{\"down\": false}");
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/nodes/polkadot-0/reset", "{}", NULL), 200);
	/* The same controller again, on the same spool: it replays, then records on. */
	ck_assert_msg(h_ctl_start(&fx.ctl, cfg), "ctl did not restart: %s", fx.ctl.log);
	free(cfg);
	fx_expect_drain(0, false, 10);
	wait_db("SELECT count(*) FROM incidents WHERE ended_at IS NULL;", "0", 10);
	wait_db(last_chain_state, "up", 10);
	h_ctl_stop(&fx.ctl);
	fx.ctl.pid = 0;
	ck_assert_int_eq(file_size(path), 0);

	/* Every incident the log names is in the database once, and every close happened. */
	opened = logged_incidents(fx.ctl.log, "opened");
	closed = logged_incidents(fx.ctl.log, "closed");
	ck_assert_str_eq(
	    db("SELECT string_agg(id, E'\\n' ORDER BY started_at, id) FROM incidents;"), opened);
	snprintf(sql, sizeof(sql),
	         "SELECT string_agg(id, E'\\n' ORDER BY ended_at, id) FROM incidents;");
	ck_assert_str_eq(db(sql), closed);
	free(opened);
	free(closed);
	/* One incident per fault, though the database was away and the controller died. */
	ck_assert_str_eq(db("SELECT kind || ':' || array_to_string(nodes, ',') FROM incidents "
	                    "ORDER BY started_at;"),
	                 "node_out:p0\nchain_down:");
	/* Every chain change the two runs logged, once each; the node change of the outage once. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM chain_state_changes;");
	ck_assert_int_eq(strtol(db(sql), NULL, 10),
	                 log_lines(fx.ctl.log, "mod=recorder chain=polkadot "));
	ck_assert_str_eq(db("SELECT count(*) FROM node_state_changes WHERE node = 'p0' AND "
	                    "to_state = 'drain';"),
	                 "1");
	/* Two sessions: the killed one ends before the next starts (no data between). */
	ck_assert_str_eq(db("SELECT count(*), max(started_at) > min(last_seen) FROM "
	                    "observer_sessions;"),
	                 "2|t");
}
END_TEST

/*
 * The takeover bound: the survivor retries the lock every lock_retry_ms
 * (1 s, the writer's default) and starts recording at its next round; the
 * lock is free as soon as PostgreSQL sees the holder's connection close,
 * which a killed process's kernel does at once.
 */
#define TAKEOVER_S (1.0 + SEEN_S + FX_MARGIN_S)

START_TEST(test_ha_takeover)
{
	struct h_ctl b = {0};
	char spool_b[600], state_a[512], *cfg;
	int port_a;
	double t_kill, took;
	const char *const b_took[] = {"took the lock", NULL};

	start();
	wait_db(last_chain_state, "up", 10);
	/* The second controller of the pair: its own port, spool and state file. */
	snprintf(spool_b, sizeof(spool_b), "%s-b", spool);
	ck_assert_int_eq(mkdir(spool_b, 0700), 0);
	port_a = fx.ctl.http_port;
	memcpy(state_a, fx.state_file, sizeof(state_a));
	b.http_port = h_free_port();
	fx.ctl.http_port = b.http_port;
	snprintf(fx.state_file, sizeof(fx.state_file), "%.500s-b", state_a);
	cfg = fx_ctl_config(fx_socket_item, NULL, record_tuning(spool_b));
	fx.ctl.http_port = port_a;
	memcpy(fx.state_file, state_a, sizeof(state_a));
	ck_assert_msg(h_ctl_start(&b, cfg), "second ctl did not start: %s", b.log);
	free(cfg);
	/* A node out while the first one holds the lock. */
	fx_steer(1, "{\"down\": true}");
	fx_expect_drain(1, true, 10);
	wait_db("SELECT count(*) FROM incidents WHERE kind = 'node_out' AND ended_at IS NULL;", "1",
	        10);
	ck_assert_int_eq(log_lines(b.log, "took the lock"), 0);
	t_kill = h_now();
	h_ctl_kill(&fx.ctl); /* the holder crashes: staged */
	ck_assert_int_eq(h_wait_log_count(b.log, b_took, 1, 10), 1);
	wait_db("SELECT count(*) FROM observer_sessions;", "2", 10);
	took = h_now() - t_kill;
	ck_assert_msg(took <= TAKEOVER_S, "took over after %.2f s, bound %.2f s", took, TAKEOVER_S);
	printf("ha takeover: recording again %.2f s after the holder was killed\n", took);
	/* It adopted the open incident: still one, still open; it closes it when the node is back.
	 */
	ck_assert_str_eq(db("SELECT count(*), count(ended_at) FROM incidents WHERE kind = "
	                    "'node_out';"),
	                 "1|0");
	fx_steer(1, "{\"down\": false}");
	wait_db("SELECT count(*), count(ended_at) FROM incidents WHERE kind = 'node_out';", "1|1",
	        15);
	ck_assert_str_eq(db("SELECT count(*) FROM incidents;"), "1");
	h_ctl_stop(&b);
}
END_TEST

/*
 * Another region's edge, probed: the simulator's spare node (not one of the
 * controller's) stands for it. The probe keys come by SIGHUP (the port is
 * known only once the simulator runs), which is also an operational change.
 */
#define PR_INTERVAL_MS 200
#define PR_FALL        2

/* The wall clock, as the database's times are. */
static double wall_s(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A run of probes starts within one probe interval after the edge changed
 * (the next probe), and the probe's start is the incident's time: so within
 * [change, change + interval + margin].
 */
#define PR_WITHIN_S (PR_INTERVAL_MS / 1000.0 + FX_MARGIN_S)

START_TEST(test_region_unreachable)
{
	char keys[2400], *cfg, url[128], want[256];
	int reloads;
	double t_down, t_up, started, ended;

	start();
	wait_db(last_chain_state, "up", 10);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", fx.sim.port[fx.n]);
	snprintf(
	    keys, sizeof(keys),
	    "%s, \"probe\": [{\"region\": \"eu2\", \"chain\": \"polkadot\", \"url\": \"%s\"}], "
	    "\"probe_interval_ms\": %d, \"probe_timeout_ms\": 150, \"probe_fall\": %d, "
	    "\"probe_rise\": 2",
	    record_tuning(spool), url, PR_INTERVAL_MS, PR_FALL);
	cfg = fx_ctl_config(fx_socket_item, NULL, keys);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	reloads = fx_log_count("reloaded ");
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	for (double end = h_now() + 5; h_now() < end && fx_log_count("reloaded ") == reloads;)
		usleep(20000);
	snprintf(want, sizeof(want), "url=%s reachable: HTTP 200", url);
	{
		const char *const needles[] = {want, NULL};

		ck_assert_int_eq(h_wait_log_count(fx.ctl.log, needles, 1, 10), 1);
	}
	/* The reload is an operational change, with what it changed. */
	wait_db("SELECT kind || ':' || (summary LIKE '%probe%') FROM operational_changes;",
	        "reload:true", 10);
	/* The edge goes away: eu2's incident, seen from here, from the first failed probe. */
	t_down = wall_s();
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/nodes/polkadot-3", "{\"down\": true}", NULL),
	                 200);
	wait_db("SELECT region || ':' || chain || ':' || severity || ':' || (summary LIKE "
	        "'seen from test: %') FROM incidents WHERE kind = 'region_unreachable' AND "
	        "ended_at IS NULL;",
	        "eu2:polkadot:critical:true", 10);
	started = strtod(db("SELECT extract(epoch FROM started_at) FROM incidents WHERE kind = "
	                    "'region_unreachable';"),
	                 NULL);
	ck_assert_msg(started >= t_down - 0.05 && started <= t_down + PR_WITHIN_S,
	              "started %.3f s after the edge went away, bound %.2f s", started - t_down,
	              PR_WITHIN_S);
	/* The controller dies and comes back: the incident is its own again, not a second one. */
	cfg = h_read_file(fx.ctl.config, NULL);
	ck_assert_ptr_nonnull(cfg);
	h_ctl_kill(&fx.ctl); /* staged crash */
	ck_assert_msg(h_ctl_start(&fx.ctl, cfg), "ctl did not restart: %s", fx.ctl.log);
	free(cfg);
	t_up = wall_s();
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/nodes/polkadot-3", "{\"down\": false}", NULL),
	                 200);
	wait_db("SELECT count(*), count(ended_at) FROM incidents WHERE kind = "
	        "'region_unreachable';",
	        "1|1", 15);
	ended = strtod(db("SELECT extract(epoch FROM ended_at) FROM incidents WHERE kind = "
	                  "'region_unreachable';"),
	               NULL);
	ck_assert_msg(ended >= t_up - 0.05 && ended <= t_up + PR_WITHIN_S,
	              "ended %.3f s after the edge came back, bound %.2f s", ended - t_up,
	              PR_WITHIN_S);
}
END_TEST

/* polkfura-ctl note: an operational change from the command line, in the report too. */
START_TEST(test_note)
{
	char args[1400], out[8192], dead[512];

	snprintf(args, sizeof(args), "note --config '%s' 'deployed v1.16.1 <b>ok</b>'",
	         migrate_cfg);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "recorded for region test by ") != NULL, "%s", out);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	/* Two notes (a retried note is another note), as sent, from user@host, now. */
	ck_assert_str_eq(db("SELECT kind || '|' || region || '|' || summary || '|' || (who LIKE "
	                    "'%_@_%') || '|' || (abs(extract(epoch FROM now() - at)) < 60) FROM "
	                    "operational_changes;"),
	                 "note|test|deployed v1.16.1 <b>ok</b>|true|true\n"
	                 "note|test|deployed v1.16.1 <b>ok</b>|true|true");
	/* It is in the report's changes. */
	snprintf(args, sizeof(args), "report --config '%s' --from 2020-01-01 --format json",
	         migrate_cfg);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	{
		cJSON *root = cJSON_Parse(out);
		const cJSON *ch, *changes = cJSON_GetObjectItemCaseSensitive(root, "changes");
		int found = 0;

		ck_assert_msg(root != NULL, "report is not JSON: %s", out);
		cJSON_ArrayForEach(ch, changes)
		{
			const cJSON *sum = cJSON_GetObjectItemCaseSensitive(ch, "summary");

			found += cJSON_IsString(sum) &&
			         strcmp(sum->valuestring, "deployed v1.16.1 <b>ok</b>") == 0;
		}
		cJSON_Delete(root);
		ck_assert_int_eq(found, 2);
	}
	/* Usage: no text is 2; an empty one is 2; a database that is not there is 1. */
	snprintf(args, sizeof(args), "note --config '%s'", migrate_cfg);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "note takes the TEXT") != NULL, "%s", out);
	snprintf(args, sizeof(args), "note --config '%s' ''", migrate_cfg);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	snprintf(dead, sizeof(dead), "%s/dead-%d.json", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(dead, "{\"region\": \"test\", \"haproxy\": [\"unix:/x\"], "
	                                    "\"database\": \"host=/nonexistent port=1\", "
	                                    "\"chains\": [{\"name\": \"polkadot\", \"backend\": "
	                                    "\"b\", \"nodes\": [{\"name\": \"n\", \"server\": "
	                                    "\"s\", \"rpc\": \"http://127.0.0.1:9\"}]}]}"),
	                 0);
	snprintf(args, sizeof(args), "note --config '%s' 'x'", dead);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "cannot reach the database") != NULL, "%s", out);
	ck_assert_str_eq(db("SELECT count(*) FROM operational_changes;"), "2");
}
END_TEST

/* The recording's metric families: each one HELP, one TYPE, then its samples, in one group. */
static const char *const db_families[] = {
    "polkfura_ctl_db_connected",     "polkfura_ctl_db_lock_holder",
    "polkfura_ctl_db_recording",     "polkfura_ctl_db_records_total",
    "polkfura_ctl_db_outages_total", "polkfura_ctl_db_pending_records",
    "polkfura_ctl_db_spool_bytes",   "polkfura_ctl_db_open_incidents",
};

/* True when <line> is a sample or a comment of family <name>. */
static bool of_family(const char *line, size_t len, const char *name, bool *comment)
{
	size_t n = strlen(name);

	*comment = false;
	if (len > 7 && (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)) {
		*comment = true;
		line += 7;
		len -= 7;
	}
	return len > n && strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '{');
}

/*
 * Asserts that /metrics <body> has each recording family as one group (HELP,
 * TYPE, then at least one sample, nothing of it anywhere else) when
 * <present>, and nothing of any when not.
 */
static void check_db_families(const char *body, bool present)
{
	for (size_t f = 0; f < PF_ARRAY_SIZE(db_families); f++) {
		int groups = 0, helps = 0, types = 0, samples = 0;
		bool in = false;

		for (const char *p = body; *p != '\0';) {
			const char *nl = strchr(p, '\n');
			size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
			bool comment, mine = of_family(p, len, db_families[f], &comment);

			if (mine && !in)
				groups++;
			if (mine && comment)
				*(p[2] == 'H' ? &helps : &types) += 1;
			else if (mine)
				samples++;
			in = mine;
			p += len + (nl != NULL);
		}
		if (present)
			ck_assert_msg(groups == 1 && helps == 1 && types == 1 && samples >= 1,
			              "%s: %d groups, %d HELP, %d TYPE, %d samples", db_families[f],
			              groups, helps, types, samples);
		else
			ck_assert_msg(groups == 0, "%s without a database", db_families[f]);
	}
}

/* The value of the /metrics sample <series> (name and labels), -1 when absent. */
static double metric(const char *series)
{
	struct h_resp r;
	char needle[256];
	const char *p;
	double v = -1;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	snprintf(needle, sizeof(needle), "\n%s ", series);
	p = strstr(r.body, needle);
	if (p != NULL)
		v = strtod(p + strlen(needle), NULL);
	h_resp_free(&r);
	return v;
}

/* Waits until <series> satisfies <cmp> (">" "=" "<") against <want>; returns its value. */
static double wait_metric(const char *series, char cmp, double want, double timeout_s)
{
	double got = -1;

	for (double end = h_now() + timeout_s; h_now() < end; usleep(20000)) {
		got = metric(series);
		if ((cmp == '=' && got == want) || (cmp == '>' && got > want) ||
		    (cmp == '<' && got >= 0 && got < want))
			return got;
	}
	h_print_log_tail(fx.ctl.log, 30);
	ck_abort_msg("%s: wanted %c %g within %.1f s, got %g", series, cmp, want, timeout_s, got);
	return got;
}

/* `polkfura-ctl status` of the fixture's controller, in a static buffer. */
static const char *status_table(void)
{
	static char out[16384];
	char args[128];

	snprintf(args, sizeof(args), "status --url http://127.0.0.1:%d", fx.ctl.http_port);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	return out;
}

/* The "database" object of /status.json: field <key> as a number (true 1, false 0), -1 absent. */
static double status_db(const char *key)
{
	cJSON *root = fx_status();
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "database");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, key);
	double out = cJSON_IsBool(v) ? cJSON_IsTrue(v) : cJSON_IsNumber(v) ? v->valuedouble : -1;

	cJSON_Delete(root);
	return out;
}

/*
 * What an SRE alerts on: the recording in /metrics, /status.json and
 * `polkfura-ctl status`, through an outage of the database and back, and
 * nothing of it without a database.
 */
START_TEST(test_db_metrics)
{
	struct h_resp r;
	double pending, written;
	const char *table;
	char *cfg, tun[64];
	cJSON *root;

	start();
	wait_db(last_chain_state, "up", 10);
	/* Up: connected, the holder, recording, and records written. */
	wait_metric("polkfura_ctl_db_recording", '=', 1, 10);
	written = wait_metric("polkfura_ctl_db_records_total{result=\"written\"}", '>', 0, 10);
	ck_assert(metric("polkfura_ctl_db_connected") == 1);
	ck_assert(metric("polkfura_ctl_db_lock_holder") == 1);
	ck_assert(metric("polkfura_ctl_db_records_total{result=\"put\"}") >= written);
	ck_assert(metric("polkfura_ctl_db_records_total{result=\"lost\"}") == 0);
	ck_assert(metric("polkfura_ctl_db_records_total{result=\"rejected\"}") == 0);
	ck_assert(metric("polkfura_ctl_db_outages_total") == 0);
	ck_assert(metric("polkfura_ctl_db_open_incidents") == 0);
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	check_db_families(r.body, true);
	h_resp_free(&r);
	ck_assert(status_db("connected") == 1 && status_db("lock_holder") == 1);
	ck_assert(status_db("recording") == 1 && status_db("lost") == 0);
	ck_assert_msg(strstr(status_table(), "\ndatabase: connected, recording (holder), ") != NULL,
	              "%s", status_table());
	/* Away: disconnected, still the holder and recording into the spool, which grows. */
	h_pg_pause(&pg);
	wait_metric("polkfura_ctl_db_connected", '=', 0, 10);
	pending = metric("polkfura_ctl_db_pending_records");
	fx_steer(1, "{\"down\": true}");
	fx_expect_drain(1, true, 10);
	wait_metric("polkfura_ctl_db_pending_records", '>', pending, 10);
	ck_assert(metric("polkfura_ctl_db_lock_holder") == 1);
	ck_assert(metric("polkfura_ctl_db_recording") == 1);
	ck_assert(metric("polkfura_ctl_db_spool_bytes") > 0);
	ck_assert(metric("polkfura_ctl_db_open_incidents") == 1);
	ck_assert(metric("polkfura_ctl_db_outages_total") == 1);
	ck_assert(status_db("connected") == 0 && status_db("pending") > pending);
	ck_assert(status_db("spool_bytes") > 0 && status_db("open_incidents") == 1);
	table = strstr(status_table(), "\ndatabase: disconnected, recording (holder), ");
	ck_assert_msg(table != NULL, "%s", status_table());
	printf("status while the database is away: %s", table + 1);
	/* Back: the spool replayed, nothing pending, one outage counted. */
	ck_assert(h_pg_resume(&pg));
	wait_metric("polkfura_ctl_db_pending_records", '=', 0, 15);
	wait_metric("polkfura_ctl_db_spool_bytes", '=', 0, 5);
	ck_assert(metric("polkfura_ctl_db_connected") == 1);
	ck_assert(metric("polkfura_ctl_db_outages_total") == 1);
	ck_assert(metric("polkfura_ctl_db_lock_holder") == 1);
	ck_assert(metric("polkfura_ctl_db_records_total{result=\"lost\"}") == 0);
	for (double end = h_now() + 5; h_now() < end && status_db("pending") != 0;)
		usleep(20000); /* a heartbeat may be on its way */
	ck_assert(status_db("pending") == 0 && status_db("connected") == 1);
	ck_assert(status_db("outages") == 1 && status_db("lock_holder") == 1);
	wait_db("SELECT count(*) FROM incidents WHERE kind = 'node_out' AND ended_at IS NULL;", "1",
	        10);
	/* Without a database: none of it. */
	h_ctl_stop(&fx.ctl);
	snprintf(tun, sizeof(tun), "\"stall_ms\": %d", STALL_MS);
	cfg = fx_ctl_config(fx_socket_item, NULL, tun);
	ck_assert_msg(h_ctl_start(&fx.ctl, cfg), "ctl did not restart: %s", fx.ctl.log);
	free(cfg);
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	ck_assert_msg(strstr(r.body, "polkfura_ctl_db_") == NULL, "without a database: %.120s",
	              strstr(r.body, "polkfura_ctl_db_"));
	check_db_families(r.body, false);
	h_resp_free(&r);
	root = fx_status();
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "database")));
	cJSON_Delete(root);
	ck_assert_msg(strstr(status_table(), "database:") == NULL, "%s", status_table());
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("ctl_record");
	TCase *tc = tcase_create("record");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fault_timeline);
	tcase_add_test(tc, test_db_away_and_kill);
	tcase_add_test(tc, test_ha_takeover);
	tcase_add_test(tc, test_region_unreachable);
	tcase_add_test(tc, test_note);
	tcase_add_test(tc, test_db_metrics);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(record_suite());
}
