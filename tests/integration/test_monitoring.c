/* SPDX-License-Identifier: MIT */
/*
 * The metric names of haproxy/monitoring/ against what the exporters really
 * print (issue 11): the controller fixture (simulated polkadot nodes, the
 * shipped haproxy.cfg, polkfura-spoa with --metrics, polkfura-ctl probing its
 * own edge as if it were region eu2's, so that the probe families exist),
 * one JSON-RPC call through the edge, then the three /metrics scraped:
 * the controller's http_listen, the agent's --metrics and HAProxy's
 * exporter on PF_PROM_BIND. Each scrape goes through `promtool check
 * metrics`, and haproxy/monitoring/check-names.sh checks that every name the
 * rules and dashboards use is in them or in future-metrics.txt. Then a real
 * Prometheus runs the shipped prometheus.yml and rules against the same
 * processes. Run on 2.6 and 3.4: HAProxy's exporter names must hold on both.
 *
 * So that every family of the controller is printed, it also records into
 * a throw-away PostgreSQL (the polkfura_ctl_db_* families), and its config
 * names a second HAProxy instance that is not there and a server-state file
 * for the real one that cannot be written (a directory holds its temp name).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"
#include "tests/harness/pg.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

/* Probe timing: the first decision needs probe_rise probes. */
#define MON_PROBE_MS 200

static char scrape_ctl[600], scrape_agent[600], scrape_hap[600];
static double setup_began; /* wall clock (s) before the fixture started its processes */
static struct h_pg pg;
static char db_keys[1400];  /* the controller's database and spool keys */
static char hap_state[600]; /* the real instance's server-state file, never written */
static char dead_sock[600]; /* the second instance's socket: nobody listens */

/* <name> (promtool, prometheus) as make deps installs it: $PF_CACHE/prometheus/<name>. */
static const char *prom_bin(const char *name, char *path, size_t len)
{
	const char *cache = getenv("PF_CACHE");
	const char *home = getenv("HOME");

	if (cache != NULL)
		snprintf(path, len, "%s/prometheus/%s", cache, name);
	else
		snprintf(path, len, "%s/.cache/polkfura/prometheus/%s", home ? home : "/root",
		         name);
	return path;
}

/* promtool: $PROMTOOL, or where make deps puts it. */
static const char *promtool(void)
{
	static char path[512];
	const char *env = getenv("PROMTOOL");

	if (env != NULL && env[0] != '\0')
		return env;
	return prom_bin("promtool", path, sizeof(path));
}

/* GETs <url> into the file <path>; asserts 200 and a non-empty body. */
static void scrape(const char *url, const char *path)
{
	struct h_resp r;

	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 200);
	ck_assert_msg(r.len > 0, "%s: empty body", url);
	ck_assert_int_eq(h_write_file(path, r.body), 0);
	h_resp_free(&r);
}

/* The controller reads HAProxy's logs (log_listen): its per-method families get samples. */
static char log_keys[600 + PATH_MAX], log_target[64];

static void log_setup(void)
{
	char m_path[PATH_MAX];
	int port = h_free_port(); /* free for TCP: its UDP twin is as free */

	ck_assert_ptr_nonnull(realpath("haproxy/methods.tsv", m_path));
	snprintf(log_keys, sizeof(log_keys),
	         "\"log_listen\": \"udp:127.0.0.1:%d\", \"methods_file\": \"%s\"", port, m_path);
	snprintf(log_target, sizeof(log_target), "PF_LOG_TARGET=127.0.0.1:%d", port);
}

/* Reloads the controller with a probe of the fixture's own edge, as region eu2. */
static void probe_own_edge(void)
{
	char keys[4096 + PATH_MAX], url[128], want[256], sockets[2400], *cfg;
	int reloads = fx_log_count("reloaded ");

	snprintf(url, sizeof(url), "https://polkadot.localhost:%d/health", fx.hap.https_port);
	snprintf(keys, sizeof(keys),
	         "\"probe\": [{\"region\": \"eu2\", \"chain\": \"polkadot\", \"url\": \"%s\"}], "
	         "\"probe_interval_ms\": %d, \"probe_timeout_ms\": %d, \"probe_rise\": 2, "
	         "\"probe_tls_ca_file\": \"%s\"",
	         url, MON_PROBE_MS, MON_PROBE_MS - 50, h_ca_file());
	snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), ", %s, %s", db_keys, log_keys);
	snprintf(sockets, sizeof(sockets),
	         "{\"socket\": %s, \"server_state_file\": \"%s\"}, \"unix:%s\"", fx_socket_item,
	         hap_state, dead_sock);
	cfg = fx_ctl_config(sockets, NULL, keys);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	for (double end = h_now() + 5; h_now() < end && fx_log_count("reloaded ") == reloads;)
		usleep(20000);
	ck_assert_msg(fx_log_count("reloaded ") > reloads, "no reload; ctl log %s", fx.ctl.log);
	/* Reachable once probe_rise (2) probes agree: well within 5 s at 200 ms. */
	snprintf(want, sizeof(want), "url=%s reachable: HTTP 200", url);
	if (!h_wait_file_contains(fx.ctl.log, want, 5)) {
		h_print_log_tail(fx.ctl.log, 30);
		ck_abort_msg("no \"%s\" in the ctl log", want);
	}
}

/* A PostgreSQL with the schema, and the keys that make the controller record into it. */
static void start_db(void)
{
	char cfg_path[600], spool[600], tmp[700];

	h_pg_start_migrated(&pg, cfg_path, sizeof(cfg_path), spool, sizeof(spool));
	snprintf(db_keys, sizeof(db_keys), "\"database\": \"%s\", \"spool_dir\": \"%s\"",
	         pg.conninfo, spool);
	snprintf(hap_state, sizeof(hap_state), "%s/hap-state-%d", h_tmpdir(), (int)getpid());
	snprintf(tmp, sizeof(tmp), "%s.tmp", hap_state);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	snprintf(dead_sock, sizeof(dead_sock), "%s/no-haproxy-%d.sock", h_tmpdir(), (int)getpid());
}

static void setup(void)
{
	char url[128], tuning[2048 + PATH_MAX];
	struct h_resp r;
	bool logged = false;

	setup_began = (double)time(NULL);
	start_db();
	log_setup();
	snprintf(tuning, sizeof(tuning), "%s, %s", db_keys, log_keys);
	fx_start_opts(&(struct fx_opts){.agent_metrics = true,
	                                .tuning = tuning,
	                                .hap_env = {log_target, "PF_LOG_FORMAT=rfc3164", NULL}});
	probe_own_edge();
	/* One call through the edge, so the agent's per-class and per-chain counters move. */
	snprintf(url, sizeof(url), "https://polkadot.localhost:%d/", fx.hap.https_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url,
	                                        .body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	                                                "\"chain_getHeader\",\"params\":[]}",
	                                        .resolve_port = fx.hap.https_port},
	                        &r),
	                 200);
	h_resp_free(&r);
	/* Its log line counted: polkfura_rpc_* have samples. */
	for (double end = h_now() + 10; !logged && h_now() < end; usleep(20000)) {
		ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
		logged =
		    strstr(r.body,
		           "method=\"chain_getHeader\",class=\"read\",status=\"2xx\"} 1\n") != NULL;
		h_resp_free(&r);
	}
	ck_assert_msg(logged, "the call's log line is not in the controller's /metrics");

	snprintf(scrape_ctl, sizeof(scrape_ctl), "%s/scrape-ctl-%d.txt", h_tmpdir(), (int)getpid());
	snprintf(scrape_agent, sizeof(scrape_agent), "%s/scrape-spoa-%d.txt", h_tmpdir(),
	         (int)getpid());
	snprintf(scrape_hap, sizeof(scrape_hap), "%s/scrape-haproxy-%d.txt", h_tmpdir(),
	         (int)getpid());
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.ctl.http_port);
	scrape(url, scrape_ctl);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.agent.metrics_port);
	scrape(url, scrape_agent);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.hap.prom_port);
	scrape(url, scrape_hap);
}

static void teardown(void)
{
	fx_stop(); /* h_stop_all: PostgreSQL too */
}

/* `promtool check metrics < <path>`: its exit code, its output into <out>. */
static int check_metrics(const char *path, char *out, size_t outlen)
{
	char cmd[1400];
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' 2>&1", promtool(), path);
	st = h_run(cmd, out, outlen);
	ck_assert_msg(st != -1 && WIFEXITED(st), "%s did not run", cmd);
	return WEXITSTATUS(st);
}

/* promtool's exit codes: 0 clean, 3 lint problems only, 1 a text format error. */
START_TEST(test_promtool_check_metrics)
{
	char out[8192];
	int rc;

	/* Ours: nothing to say at all. */
	rc = check_metrics(scrape_agent, out, sizeof(out));
	ck_assert_msg(rc == 0, "polkfura-spoa /metrics: promtool exit %d:\n%s", rc, out);
	rc = check_metrics(scrape_ctl, out, sizeof(out));
	ck_assert_msg(rc == 0, "polkfura-ctl /metrics: promtool exit %d:\n%s", rc, out);
	/*
	 * HAProxy's: it parses, and only HAProxy's own naming is linted
	 * (haproxy_process_failed_resolutions, a counter without _total; 3.4 adds
	 * total_warnings and the gauges patterns_added/freed_total). Not ours.
	 */
	rc = check_metrics(scrape_hap, out, sizeof(out));
	ck_assert_msg((rc == 0 || rc == 3) && strstr(out, "error") == NULL,
	              "HAProxy /metrics: promtool exit %d:\n%s", rc, out);
	fprintf(stderr, "HAProxy /metrics, promtool's lint (not ours to fix):\n%s", out);
}
END_TEST

/* `haproxy/monitoring/check-families.sh <path>`: its exit code, its output into <out>. */
static int check_families(const char *path, char *out, size_t outlen)
{
	char cmd[800];
	int st;

	snprintf(cmd, sizeof(cmd), "haproxy/monitoring/check-families.sh '%s' 2>&1", path);
	st = h_run(cmd, out, outlen);
	ck_assert_msg(st != -1 && WIFEXITED(st), "%s did not run", cmd);
	return WEXITSTATUS(st);
}

/*
 * Each family in one group under its # TYPE line, which promtool 2.42 does
 * not check (issue 11: the controller's /metrics used to print the HELP and
 * TYPE lines of several families, then their samples interleaved).
 */
/*
 * The families of <path> that have a # TYPE line and no sample, joined into
 * <out>: the fixture is meant to make every family print something.
 */
static int empty_families(const char *path, char *out, size_t outlen)
{
	char *text = h_read_file(path, NULL), fam[256] = "";
	int empty = 0;
	bool seen = true;

	ck_assert_ptr_nonnull(text);
	out[0] = '\0';
	for (char *line = text, *nl; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (strncmp(line, "# TYPE ", 7) == 0) {
			if (!seen) {
				empty++;
				snprintf(out + strlen(out), outlen - strlen(out), " %s", fam);
			}
			snprintf(fam, sizeof(fam), "%.*s", (int)strcspn(line + 7, " "), line + 7);
			seen = false;
		} else if (line[0] != '#') {
			seen = true;
		}
	}
	if (!seen) {
		empty++;
		snprintf(out + strlen(out), outlen - strlen(out), " %s", fam);
	}
	free(text);
	return empty;
}

START_TEST(test_families_grouped)
{
	char out[8192];
	int rc;

	rc = check_families(scrape_agent, out, sizeof(out));
	ck_assert_msg(rc == 0, "polkfura-spoa /metrics:\n%s", out);
	rc = check_families(scrape_hap, out, sizeof(out));
	ck_assert_msg(rc == 0, "HAProxy /metrics:\n%s", out);
	rc = check_families(scrape_ctl, out, sizeof(out));
	ck_assert_msg(rc == 0, "polkfura-ctl /metrics:\n%s", out);
	/* And none is only a HELP and a TYPE line: each of ours was checked with samples. */
	ck_assert_msg(empty_families(scrape_ctl, out, sizeof(out)) == 0,
	              "polkfura-ctl families without a sample:%s", out);
	ck_assert_msg(empty_families(scrape_agent, out, sizeof(out)) == 0,
	              "polkfura-spoa families without a sample:%s", out);
}
END_TEST

/* `haproxy/monitoring/check-names.sh <files>`: its exit code, its output into <out>. */
static int check_names(const char *files, char *out, size_t outlen)
{
	char cmd[4200];
	int st;

	snprintf(cmd, sizeof(cmd), "haproxy/monitoring/check-names.sh %s 2>&1", files);
	st = h_run(cmd, out, outlen);
	ck_assert_msg(st != -1 && WIFEXITED(st), "%s did not run", cmd);
	return WEXITSTATUS(st);
}

/*
 * The textfiles of a real `snapshot publish --metrics-dir` (a one-file base
 * path, the fixture's polkadot node, s3rver), which node_exporter's textfile
 * collector would serve: into <dir> (polkfura_snapshot_polkadot.prom and
 * its _attempt.prom).
 */
static void snapshot_textfiles(char *dir, size_t len)
{
	struct h_s3rver srv;
	char base[700], cfg[700], json[2048], cmd[2 * PATH_MAX], bin[PATH_MAX], out[4096];

	snprintf(dir, len, "%s/mon-snap-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/base", dir);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	h_tree_put(base, "chains/polkadot/db/full/CURRENT", "MANIFEST-000001\n", 0755);
	ck_assert_msg(h_s3rver_start(&srv, "pf-mon"), "s3rver did not start (log %s)", srv.log);
	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\"}], \"s3_tar\": {\"bucket\": \"pf-mon\", "
	         "\"region\": \"us-east-1\", \"endpoint\": \"%s\"}, \"part_size_mb\": 5, "
	         "\"state_dir\": \"%s/state\"}}",
	         base, fx.sim.port[0], srv.endpoint, dir);
	snprintf(cfg, sizeof(cfg), "%s/publish.json", dir);
	ck_assert_int_eq(h_write_file(cfg, json), 0);
	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER %s/polkfura-ctl snapshot "
	         "publish --config %s --metrics-dir %s 2>&1",
	         bin, cfg, dir);
	ck_assert_msg(h_run(cmd, out, sizeof(out)) == 0, "publish: %s", out);
}

START_TEST(test_names_exist)
{
	char files[4096], out[16384], snap[600];
	int rc;

	snapshot_textfiles(snap, sizeof(snap));
	snprintf(files, sizeof(files), "'%s' '%s' '%s' '%s'/*.prom", scrape_ctl, scrape_agent,
	         scrape_hap, snap);
	rc = check_names(files, out, sizeof(out));
	ck_assert_msg(rc == 0, "check-names.sh exit %d:\n%s", rc, out);
	fprintf(stderr, "%s", out);
	/*
	 * The same check without the controller's scrape must fail on the names
	 * only the controller prints: it can tell a missing name.
	 */
	snprintf(files, sizeof(files), "'%s' '%s' '%s'/*.prom", scrape_agent, scrape_hap, snap);
	rc = check_names(files, out, sizeof(out));
	ck_assert_msg(rc == 1, "check-names.sh without the controller: exit %d:\n%s", rc, out);
	ck_assert_msg(strstr(out, "polkfura_ctl_chain_ready_nodes is used in") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "polkfura_ctl_probe_reachable is used in") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "haproxy_backend_active_servers") == NULL, "%s", out);
	/* ... and without the publisher's textfiles on the snapshot's age. */
	snprintf(files, sizeof(files), "'%s' '%s' '%s'", scrape_ctl, scrape_agent, scrape_hap);
	rc = check_names(files, out, sizeof(out));
	ck_assert_msg(rc == 1, "check-names.sh without the textfiles: exit %d:\n%s", rc, out);
	ck_assert_msg(strstr(out, "polkfura_snapshot_last_success_timestamp_seconds is used in") !=
	                  NULL,
	              "%s", out);
}
END_TEST

/* The value of the sample <series> (name and labels as printed) in the text <body>; NAN if absent.
 */
static double sample(const char *body, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = body; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

/* <series> in a fresh scrape of the agent's /metrics. */
static double agent_sample(const char *series)
{
	char url[128];
	struct h_resp r;
	double v;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.agent.metrics_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 200);
	v = sample(r.body, series);
	h_resp_free(&r);
	return v;
}

/*
 * HAProxy's SPOP checks of the agent (the shipped backend: option
 * spop-check, inter 1s, over TCP here) are counted as checks and leave
 * read_errors at 0: an alert on read errors does not fire from checks.
 */
START_TEST(test_agent_checks_not_errors)
{
	double checks = NAN;

	for (double end = h_now() + 10; h_now() < end; usleep(100000)) {
		checks = agent_sample("polkfura_spoa_healthchecks_total{kind=\"spop\"}");
		if (checks >= 3)
			break;
	}
	ck_assert_msg(checks >= 3, "HAProxy's checks: %g, wanted 3 within 10 s", checks);
	ck_assert_double_eq(agent_sample("polkfura_spoa_read_errors_total"), 0);
}
END_TEST

/* Entries of /proc/<pid>/fd, counted by the test itself. */
static int fds_of(pid_t pid)
{
	char cmd[128], out[64];

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", (int)pid);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	return (int)strtol(out, NULL, 10);
}

/* ps's resident set size of <pid>, in bytes. */
static double ps_rss(pid_t pid)
{
	char cmd[128], out[64];

	snprintf(cmd, sizeof(cmd), "ps -o rss= -p %d", (int)pid);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	return strtod(out, NULL) * 1024;
}

/*
 * build_info and the process metrics of one daemon (<bin>, <prefix>), from
 * a scrape taken now, against what the test sees from outside: the version
 * the binary prints, the fixture's start time, ps's RSS, ls /proc/PID/fd.
 */
static void check_process_metrics(const char *bin, const char *prefix, const char *url, pid_t pid)
{
	char cmd[600], out[256], series[128];
	struct h_resp r;
	double start, rss, fds, cpu, max;
	int fds_seen;

	snprintf(cmd, sizeof(cmd), "%s/%s --version", h_build_dir(), bin);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	out[strcspn(out, "\n")] = '\0';
	ck_assert_ptr_nonnull(strchr(out, ' '));
	snprintf(series, sizeof(series), "%s_build_info{version=\"%s\"}", prefix,
	         strchr(out, ' ') + 1);
	/*
	 * The count moves with the daemon's own connections (HAProxy's SPOP
	 * health checks, the poller's and the runtime API's), not only the
	 * scrape's: a scrape and the ls of /proc/PID/fd that follows it agree
	 * to one either way (the scrape's connection) in one of five tries.
	 */
	for (int try = 0;; try++) {
		ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 200);
		fds_seen = fds_of(pid);
		fds = sample(r.body, "process_open_fds");
		if (fabs(fds - fds_seen) <= 1 || try == 4)
			break;
		h_resp_free(&r);
	}
	ck_assert_msg(sample(r.body, series) == 1, "%s: no \"%s 1\"", bin, series);
	start = sample(r.body, "process_start_time_seconds");
	rss = sample(r.body, "process_resident_memory_bytes");
	cpu = sample(r.body, "process_cpu_seconds_total");
	max = sample(r.body, "process_max_fds");
	/* Started by this fixture: after setup began, before now (to the clock tick and second). */
	ck_assert_msg(start >= setup_began - 1 && start <= (double)time(NULL) + 1,
	              "%s: start %.2f, setup began %.0f", bin, start, setup_began);
	ck_assert_msg(fabs(rss - ps_rss(pid)) <= 0.25 * rss, "%s: rss %.0f, ps %.0f", bin, rss,
	              ps_rss(pid));
	ck_assert_msg(fabs(fds - fds_seen) <= 1, "%s: open fds %.0f, /proc shows %d", bin, fds,
	              fds_seen);
	ck_assert_msg(cpu >= 0 && cpu <= (double)time(NULL) - setup_began + 1, "%s: cpu %.2f", bin,
	              cpu);
	ck_assert_msg(max >= fds && !isnan(sample(r.body, "process_virtual_memory_bytes")),
	              "%s: max_fds %.0f", bin, max);
	h_resp_free(&r);
}

START_TEST(test_build_and_process_metrics)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.agent.metrics_port);
	check_process_metrics("polkfura-spoa", "polkfura_spoa", url, fx.agent.pid);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.ctl.http_port);
	check_process_metrics("polkfura-ctl", "polkfura_ctl", url, fx.ctl.pid);
}
END_TEST

/* The value of <series> in a fresh scrape of the controller's /metrics. */
static double ctl_sample(const char *series)
{
	char url[128];
	struct h_resp r;
	double v;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", fx.ctl.http_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 200);
	v = sample(r.body, series);
	h_resp_free(&r);
	return v;
}

/* Polls the controller's <series> until <ok>(value) or 5 s; returns the last value. */
static double ctl_wait(const char *series, bool (*ok)(double))
{
	double v = NAN;

	for (double end = h_now() + 5; h_now() < end; usleep(50000)) {
		v = ctl_sample(series);
		if (ok(v))
			break;
	}
	return v;
}

static bool positive(double v)
{
	return v > 0;
}

static bool one(double v)
{
	return v == 1;
}

/*
 * The controller's hold on its instances and files: the real instance's
 * last clean round is recent and the missing one has none (0); the
 * server-state file whose temp name is a directory fails on the real
 * instance only; the controller's own state file has no error; and the
 * recording is connected to the test's PostgreSQL.
 */
START_TEST(test_ctl_reconcile_and_files)
{
	char real[700], dead[700], series[800];
	double ts, now;

	/* fx_socket_item is the quoted socket: "unix:/...". */
	snprintf(real, sizeof(real), "%.*s", (int)strlen(fx_socket_item) - 2, fx_socket_item + 1);
	snprintf(dead, sizeof(dead), "unix:%s", dead_sock);
	snprintf(series, sizeof(series),
	         "polkfura_ctl_reconcile_last_success_timestamp_seconds{haproxy=\"%s\"}", real);
	ts = ctl_wait(series, positive);
	now = (double)time(NULL);
	ck_assert_msg(ts >= setup_began && ts <= now + 1, "%s %.3f, setup began %.0f, now %.0f",
	              series, ts, setup_began, now);
	snprintf(series, sizeof(series),
	         "polkfura_ctl_reconcile_last_success_timestamp_seconds{haproxy=\"%s\"}", dead);
	ck_assert_double_eq(ctl_sample(series), 0);
	snprintf(series, sizeof(series),
	         "polkfura_ctl_reconcile_errors_total{haproxy=\"%s\",reason=\"io\"}", dead);
	ck_assert_msg(ctl_wait(series, positive) > 0, "%s", series);

	snprintf(series, sizeof(series),
	         "polkfura_ctl_haproxy_state_file_errors_total{haproxy=\"%s\"}", real);
	ck_assert_msg(ctl_wait(series, positive) >= 1, "%s", series);
	snprintf(series, sizeof(series),
	         "polkfura_ctl_haproxy_state_file_writes_total{haproxy=\"%s\"}", real);
	ck_assert_double_eq(ctl_sample(series), 0);
	snprintf(series, sizeof(series),
	         "polkfura_ctl_haproxy_state_file_errors_total{haproxy=\"%s\"}", dead);
	ck_assert_double_eq(ctl_sample(series), 0);
	ck_assert_double_eq(ctl_sample("polkfura_ctl_state_file_errors_total"), 0);
	ck_assert_msg(ctl_wait("polkfura_ctl_db_connected", one) == 1, "not connected to %s",
	              pg.conninfo);
}
END_TEST

/* HAProxy's exporter listener answers /metrics only (haproxy/README.md, PF_PROM_BIND). */
START_TEST(test_prom_listener_only_metrics)
{
	char url[128];
	struct h_resp r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fx.hap.prom_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 404);
	h_resp_free(&r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/stats", fx.hap.prom_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 404);
	h_resp_free(&r);
	/*
	 * Not logged: the request log holds JSON-RPC traffic only. (Logged, the
	 * frontend's connections would show as "Connect from ... (prometheus/HTTP)".)
	 */
	ck_assert_int_eq(h_log_count(fx.hap.log, (const char *const[]){"(prometheus/", NULL}), 0);
	ck_assert_int_eq(h_log_count(fx.hap.log, (const char *const[]){"/metrics", NULL}), 0);
}
END_TEST

/* <*s> with its first <from> replaced by <to> (asserted present): the shipped file changed? */
static void replace(char **s, const char *from, const char *to)
{
	char *at = strstr(*s, from), *out;
	size_t len;

	ck_assert_msg(at != NULL, "prometheus.yml has no \"%s\" any more", from);
	len = strlen(*s) - strlen(from) + strlen(to) + 1;
	out = malloc(len);
	ck_assert_ptr_nonnull(out);
	snprintf(out, len, "%.*s%s%s", (int)(at - *s), *s, to, at + strlen(from));
	free(*s);
	*s = out;
}

/* GETs <path> of the Prometheus API on <port>: the parsed body (caller frees), NULL if not 200. */
static cJSON *prom_api(int port, const char *path)
{
	char url[512];
	struct h_resp r;
	cJSON *j = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	if (h_http(&(struct h_req){.url = url}, &r) == 200)
		j = cJSON_Parse(r.body);
	h_resp_free(&r);
	return j;
}

/*
 * Polls the API until <ok>(data) has held for <stable_s> without a break, or
 * fails the test with <what> after <timeout_s>.
 */
static void prom_wait(int port, const char *path,
                      bool (*ok)(const cJSON *data, char *why, size_t whylen), const char *what,
                      double stable_s, double timeout_s)
{
	char why[1024] = "no answer";
	double since = -1;

	for (double end = h_now() + timeout_s; h_now() < end; usleep(100000)) {
		cJSON *j = prom_api(port, path);
		bool done = j != NULL && ok(cJSON_GetObjectItem(j, "data"), why, sizeof(why));

		cJSON_Delete(j);
		if (!done)
			since = -1;
		else if (since < 0)
			since = h_now();
		if (since >= 0 && h_now() - since >= stable_s)
			return;
	}
	ck_abort_msg("prometheus: %s not seen in %.0f s: %s", what, timeout_s, why);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return v != NULL ? v : "";
}

/* The three eu1 targets (controller, agent, HAProxy) scraped and up. */
static bool eu1_targets_up(const cJSON *data, char *why, size_t whylen)
{
	const cJSON *t;
	int up = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItem(data, "activeTargets"))
	{
		const cJSON *labels = cJSON_GetObjectItem(t, "labels");

		if (strcmp(jstr(labels, "region"), "eu1") != 0)
			continue;
		if (strcmp(jstr(t, "health"), "up") == 0)
			up++;
		else
			snprintf(why, whylen, "%s: %s %s", jstr(labels, "job"), jstr(t, "health"),
			         jstr(t, "lastError"));
	}
	return up == 3;
}

/* The probe series: the region probed as probed_region, the scraping region as region. */
static bool probe_relabelled(const cJSON *data, char *why, size_t whylen)
{
	const cJSON *m = cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(data, "result"), 0), "metric");
	char *txt;

	if (m == NULL)
		return false;
	txt = cJSON_PrintUnformatted(m);
	snprintf(why, whylen, "%s", txt);
	free(txt);
	return strcmp(jstr(m, "probed_region"), "eu2") == 0 &&
	       strcmp(jstr(m, "region"), "eu1") == 0 &&
	       cJSON_GetObjectItem(m, "exported_region") == NULL;
}

/* Every rule evaluated at least once, none in error. */
static bool rules_healthy(const cJSON *data, char *why, size_t whylen)
{
	const cJSON *g, *r;
	int n = 0;

	cJSON_ArrayForEach(g, cJSON_GetObjectItem(data, "groups"))
	{
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(g, "rules"))
		{
			if (strcmp(jstr(r, "health"), "ok") != 0) {
				snprintf(why, whylen, "%s: health %s %s", jstr(r, "name"),
				         jstr(r, "health"), jstr(r, "lastError"));
				/* An error is final: stop polling, report it. */
				ck_assert_msg(strcmp(jstr(r, "health"), "err") != 0, "%s", why);
				return false;
			}
			n++;
		}
	}
	snprintf(why, whylen, "%d rules ok", n);
	return n == 27;
}

/* The alerts this stage must raise: us1 not scraped, and the fixture's stalled chain. */
static bool expected_alerts(const cJSON *data, char *why, size_t whylen)
{
	const cJSON *a;
	bool us1 = false, stalled = false;

	snprintf(why, whylen, "none");
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(data, "alerts"))
	{
		const cJSON *l = cJSON_GetObjectItem(a, "labels");

		snprintf(why, whylen, "last: %s %s", jstr(l, "alertname"), jstr(l, "region"));
		us1 |= strcmp(jstr(l, "alertname"), "PolkfuraRegionNotScraped") == 0 &&
		       strcmp(jstr(l, "region"), "us1") == 0;
		stalled |= strcmp(jstr(l, "alertname"), "PolkfuraChainStalled") == 0 &&
		           strcmp(jstr(l, "region"), "eu1") == 0 &&
		           strcmp(jstr(l, "chain"), "polkadot") == 0;
	}
	return us1 && stalled;
}

/*
 * The shipped prometheus.yml and rules in a real Prometheus (Debian 12's 2.42,
 * make deps): eu1's targets are this test's controller, agent and HAProxy,
 * us1's a port nobody listens on; scrapes and evaluations every second. The
 * targets come up, the probe series is relabelled (probed_region), all 24
 * rules evaluate without error on the real series, and the alerts the stage
 * calls for go pending: us1 not scraped, and polkadot stalled (the
 * simulator's nodes stand still, so the controller flags the chain).
 */
START_TEST(test_prometheus_runs_the_rules)
{
	char bin[512], cfg_path[600], data[600], log[600], listen[64], buf[700], cwd[400];
	char *cfg = h_read_file("haproxy/monitoring/prometheus.yml", NULL);
	int port = h_free_port(), dead = h_free_port();
	const char *argv[6];
	pid_t pid;

	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	replace(&cfg, "scrape_interval: 15s", "scrape_interval: 1s");
	replace(&cfg, "evaluation_interval: 15s", "evaluation_interval: 1s");
	snprintf(buf, sizeof(buf), "%s/haproxy/monitoring/rules/polkfura.rules.yml", cwd);
	replace(&cfg, "rules/polkfura.rules.yml", buf);
	snprintf(buf, sizeof(buf), "127.0.0.1:%d", dead);
	replace(&cfg, "alertmanager.internal:9093", buf);
	snprintf(buf, sizeof(buf), "['127.0.0.1:%d']", fx.ctl.http_port);
	replace(&cfg, "['ctl-1.eu1.internal:9465', 'ctl-2.eu1.internal:9465']", buf);
	snprintf(buf, sizeof(buf), "['127.0.0.1:%d']", fx.agent.metrics_port);
	replace(&cfg, "['edge-1.eu1.internal:9464', 'edge-2.eu1.internal:9464']", buf);
	snprintf(buf, sizeof(buf), "['127.0.0.1:%d']", fx.hap.prom_port);
	replace(&cfg, "['edge-1.eu1.internal:8405', 'edge-2.eu1.internal:8405']", buf);
	snprintf(buf, sizeof(buf), "['127.0.0.1:%d']", dead);
	replace(&cfg, "['ctl-1.us1.internal:9465', 'ctl-2.us1.internal:9465']", buf);
	replace(&cfg, "['edge-1.us1.internal:9464', 'edge-2.us1.internal:9464']", buf);
	replace(&cfg, "['edge-1.us1.internal:8405', 'edge-2.us1.internal:8405']", buf);
	snprintf(cfg_path, sizeof(cfg_path), "%s/prometheus-%d.yml", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(cfg_path, cfg), 0);
	free(cfg);

	snprintf(data, sizeof(data), "--storage.tsdb.path=%s/prometheus-data-%d", h_tmpdir(),
	         (int)getpid());
	snprintf(log, sizeof(log), "%s/prometheus-%d.log", h_tmpdir(), (int)getpid());
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	snprintf(buf, sizeof(buf), "--config.file=%s", cfg_path);
	argv[0] = prom_bin("prometheus", bin, sizeof(bin));
	argv[1] = buf;
	argv[2] = data;
	argv[3] = listen;
	argv[4] = NULL;
	pid = h_spawn((char *const *)argv, NULL, log);
	ck_assert_int_gt(pid, 0);
	/* Prometheus stops cleanly on SIGTERM with exit 0. */
	h_child_expect(pid, "prometheus", SIGTERM, 0);
	ck_assert_msg(h_wait_port(port, 20), "prometheus not listening; log %s", log);

	prom_wait(port, "/api/v1/targets", eu1_targets_up, "eu1's three targets up", 0, 15);
	prom_wait(port, "/api/v1/query?query=polkfura_ctl_probe_reachable", probe_relabelled,
	          "the probe series with probed_region=eu2, region=eu1", 0, 10);
	prom_wait(port, "/api/v1/alerts", expected_alerts,
	          "PolkfuraRegionNotScraped{region=us1} and PolkfuraChainStalled{region=eu1}", 0,
	          10);
	/*
	 * With the data in (the alerts above went pending on it): every rule ok
	 * for 2.5 s, over two evaluations of every group (1 s apart), so each one
	 * has run on the scraped series. An evaluation error fails at once.
	 */
	prom_wait(port, "/api/v1/rules", rules_healthy, "27 rules evaluated", 2.5, 10);
	h_stop_child(pid);
}
END_TEST

static Suite *monitoring_suite(void)
{
	Suite *s = suite_create("monitoring");
	TCase *tc = tcase_create("names");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_promtool_check_metrics);
	tcase_add_test(tc, test_families_grouped);
	tcase_add_test(tc, test_names_exist);
	tcase_add_test(tc, test_prom_listener_only_metrics);
	tcase_add_test(tc, test_agent_checks_not_errors);
	tcase_add_test(tc, test_build_and_process_metrics);
	tcase_add_test(tc, test_ctl_reconcile_and_files);
	tcase_add_test(tc, test_prometheus_runs_the_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(monitoring_suite());
}
