/* SPDX-License-Identifier: MIT */
/*
 * The controller's HAProxy log statistics (issue 11) end to end: the
 * shipped haproxy.cfg logging to the controller's log_listen (UDP, and a
 * unix datagram socket), the real agent, simulated nodes and a throw-away
 * PostgreSQL.
 * - A known mix of requests (single calls of three methods, batches, an
 *   unsafe method the agent denies, an unknown method, a GET, a method the
 *   nodes answer with 503): the counts
 *   per chain, method, class and HTTP status class in /metrics and the sum
 *   of the rpc_minutes rows written at the clean stop are what the client
 *   sent and saw. One method is answered after a steered node latency: its
 *   median, read from the rows' histogram, is not below the latency and
 *   within the histogram's bucket width above the median round trip the
 *   client measured (HAProxy's %Ta of a request is part of its round trip).
 * - `polkfura-ctl usage` over those rows (udp case): per method the requests,
 *   calls and error share sent, the split by status class seen, the slowed
 *   method's p50 within the same bound and first by node time (--by time),
 *   its request count in the CSV.
 * - Broken datagrams are counted by the reason the syslog or log-line
 *   parser gives; a flood into a small, paused socket buffer is counted as
 *   kernel drops, and received + dropped == sent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"
#include "tests/harness/pg.h"

#define SLOW_MS 250 /* the steered node latency */

static struct h_pg pg;
static char spool[512];

static void setup(void)
{
	char mcfg[512];

	h_pg_start_migrated(&pg, mcfg, sizeof(mcfg), spool, sizeof(spool));
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

/* ---- /metrics ---- */

static char *metrics(void)
{
	struct h_resp r;
	char *body;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	body = r.body;
	r.body = NULL;
	h_resp_free(&r);
	return body;
}

/* The value of the sample whose name and labels are <series> exactly; -1 when absent. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* Polls /metrics until <series> is at least <want>; returns the last value seen. */
static double wait_sample(const char *series, double want, double timeout_s)
{
	double v = -1;

	for (double end = h_now() + timeout_s; h_now() < end; usleep(20000)) {
		char *m = metrics();

		v = sample(m, series);
		free(m);
		if (v >= want)
			break;
	}
	return v;
}

/* ---- the requests ---- */

/* What the simulated nodes do while a kind is sent. */
enum phase {
	PH_NORMAL = 0,
	PH_SLOW,    /* answer after SLOW_MS */
	PH_FAILING, /* answer HTTP 503, as a broken proxy in front of them would */
	PH_COUNT,
};

/* One kind of request of the mix, and the key its log line must count it under. */
struct kind {
	const char *verb, *path, *body;
	const char *method, *class; /* the labels: the methods table's name or batch/other, "-" */
	int n;                      /* how many are sent */
	unsigned calls;             /* JSON-RPC calls in one */
	enum phase phase;           /* what the nodes do while it is sent */
	int st[6];                  /* per status class, as the client saw it (filled by send) */
};

static struct kind mix[] = {
    {"POST",
     "/",
     "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":[]}",
     "system_health",
     "read",
     6,
     1,
     PH_NORMAL,
     {0}},
    {"POST",
     "/",
     "{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"chain_getBlockHash\",\"params\":[1]}",
     "chain_getBlockHash",
     "read",
     4,
     1,
     PH_NORMAL,
     {0}},
    {"POST",
     "/",
     "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"},"
     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"system_chain\"}]",
     "batch",
     "read",
     3,
     2,
     PH_NORMAL,
     {0}},
    {"POST",
     "/",
     "{\"id\":7,\"jsonrpc\":\"2.0\",\"method\":\"author_insertKey\",\"params\":[]}",
     "author_insertKey",
     "unsafe",
     2,
     1,
     PH_NORMAL,
     {0}},
    {"POST",
     "/",
     "{\"id\":3,\"jsonrpc\":\"2.0\",\"method\":\"foo_notAMethod\",\"params\":[]}",
     "other",
     "unknown",
     2,
     1,
     PH_NORMAL,
     {0}},
    {"GET", "/health", NULL, "-", "-", 1, 0, PH_NORMAL, {0}},
    {"POST",
     "/",
     "{\"id\":5,\"jsonrpc\":\"2.0\",\"method\":\"system_chain\",\"params\":[]}",
     "system_chain",
     "read",
     3,
     1,
     PH_FAILING,
     {0}},
    {"POST",
     "/",
     "{\"id\":4,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[]}",
     "chain_getHeader",
     "read",
     5,
     1,
     PH_SLOW,
     {0}},
};
#define N_KINDS (sizeof(mix) / sizeof(mix[0]))
#define N_RTT   8

static double client_rtt_ms[N_KINDS][N_RTT]; /* the client's round trip of each (the first 8) */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the client's round trips for mix[k] (its n is odd and at most N_RTT). */
static double rtt_median(size_t k)
{
	double v[N_RTT];

	ck_assert(mix[k].n % 2 == 1 && mix[k].n <= N_RTT);
	memcpy(v, client_rtt_ms[k], sizeof(v));
	qsort(v, (size_t)mix[k].n, sizeof(v[0]), cmp_double);
	return v[mix[k].n / 2];
}

static const char *const st_names[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

static int send_mix(enum phase phase)
{
	int total = 0;

	for (size_t k = 0; k < N_KINDS; k++) {
		struct kind *q = &mix[k];

		if (q->phase != phase)
			continue;
		for (int i = 0; i < q->n; i++) {
			char url[256];
			struct h_req req = {.method = q->verb,
			                    .url = url,
			                    .body = q->body,
			                    .resolve_port = fx.hap.https_port};
			struct h_resp r;
			long st;

			snprintf(url, sizeof(url), "https://polkadot.localhost:%d%s",
			         fx.hap.https_port, q->path);
			double t0 = h_now();

			st = h_http(&req, &r);
			if (i < N_RTT)
				client_rtt_ms[k][i] = (h_now() - t0) * 1000;
			ck_assert_msg(st > 0, "%s: %s", q->method, r.err);
			h_resp_free(&r);
			q->st[st >= 100 && st <= 599 ? st / 100 : 0]++;
			total++;
		}
	}
	return total;
}

static void series_of(char *out, size_t len, const char *name, const struct kind *q, int s)
{
	snprintf(out, len, "%s{chain=\"polkadot\",method=\"%s\",class=\"%s\",status=\"%s\"}", name,
	         q->method, q->class, st_names[s]);
}

/* Every key of the mix in /metrics, with its requests and calls; nothing else for polkadot. */
static void expect_metrics(const char *m)
{
	int keys = 0, lines = 0;

	for (size_t k = 0; k < N_KINDS; k++)
		for (int s = 0; s < 6; s++) {
			char series[300];

			if (mix[k].st[s] == 0)
				continue;
			keys++;
			series_of(series, sizeof(series), "polkfura_rpc_requests_total", &mix[k],
			          s);
			ck_assert_msg(sample(m, series) == mix[k].st[s], "%s: %g, sent %d", series,
			              sample(m, series), mix[k].st[s]);
			series_of(series, sizeof(series), "polkfura_rpc_calls_total", &mix[k], s);
			ck_assert_msg(sample(m, series) == (double)mix[k].st[s] * mix[k].calls,
			              "%s: %g", series, sample(m, series));
		}
	for (const char *p = strstr(m, "\npolkfura_rpc_requests_total{chain=\"polkadot\""); p;
	     p = strstr(p + 1, "\npolkfura_rpc_requests_total{chain=\"polkadot\""))
		lines++;
	ck_assert_int_eq(lines, keys);
}

/* ---- the rows ---- */

/* "method|class|status|requests|calls" per key of the rows, summed over minutes, sorted. */
static char *rows_by_key(void)
{
	return strdup(
	    db("SELECT l FROM (SELECT concat_ws('|', method, class, status, sum(requests),"
	       " sum(calls)) AS l FROM rpc_minutes WHERE chain = 'polkadot'"
	       " GROUP BY method, class, status) k ORDER BY l COLLATE \"C\";"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The same text built from what was sent. */
static char *rows_expected(void)
{
	char *lines[N_KINDS * 6], *out = NULL;
	size_t n = 0, len = 0;
	FILE *f;

	for (size_t k = 0; k < N_KINDS; k++)
		for (int s = 0; s < 6; s++) {
			const char *method = strcmp(mix[k].method, "-") == 0 ? "" : mix[k].method;

			if (mix[k].st[s] == 0)
				continue;
			lines[n] = malloc(300);
			ck_assert_ptr_nonnull(lines[n]);
			snprintf(lines[n], 300, "%s|%s|%s|%d|%u", method, mix[k].class, st_names[s],
			         mix[k].st[s], mix[k].st[s] * mix[k].calls);
			n++;
		}
	qsort(lines, n, sizeof(lines[0]), cmp_str); /* byte order, as COLLATE "C" */
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s", lines[i], i + 1 < n ? "\n" : "");
		free(lines[i]);
	}
	ck_assert_int_eq(fclose(f), 0);
	return out;
}

/*
 * Where the bucket ending (exclusively) at <end> ms starts, by the layout
 * ctl/stats/hist.h documents: one bucket per ms below 8 ms, then eight per
 * power of two, each 1/8 of its octave's start wide.
 */
static long bucket_start(long end)
{
	long p = 1;

	if (end <= 8)
		return end - 1;
	while (p * 2 < end)
		p *= 2;
	return end - p / 8;
}

/*
 * The <q> quantile's bucket of <method>, nearest rank, from the rows' sparse
 * histograms: its bounds into <lo>, <hi>.
 */
static void row_quantile(const char *method, double q, long *lo, long *hi)
{
	char sql[1200];
	const char *got;

	snprintf(sql, sizeof(sql),
	         "WITH b AS (SELECT le, sum(c) AS c FROM rpc_minutes, unnest(ta_le_ms, ta_counts)"
	         " AS u(le, c) WHERE chain = 'polkadot' AND method = '%s' GROUP BY le),"
	         " r AS (SELECT le, sum(c) OVER (ORDER BY le) AS cum, sum(c) OVER () AS tot"
	         " FROM b) SELECT le FROM r WHERE cum >= ceil(%g * tot) ORDER BY le LIMIT 1;",
	         method, q);
	got = db(sql);
	ck_assert_int_eq(sscanf(got, "%ld", hi), 1);
	*lo = bucket_start(*hi);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static bool is_root(void)
{
	return geteuid() == 0;
}

/* ---- polkfura-ctl usage over the rows ---- */

static char usage_out[32768];

/* `polkfura-ctl usage` over the test's rows with <args>; its stdout in usage_out. */
static void run_usage(const char *args)
{
	char cmd[2048];
	int st;

	/* The database is the test's own: ten minutes hold every row of it. */
	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl usage --config '%s' --since 10m %s",
	         h_build_dir(), fx.ctl.config, args);
	st = h_run(cmd, usage_out, sizeof(usage_out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d: %s", cmd, st,
	              usage_out);
}

static cJSON *usage_json(const char *args)
{
	cJSON *j;

	run_usage(args);
	j = cJSON_Parse(usage_out);
	ck_assert_msg(j != NULL, "usage %s: not JSON: %.300s", args, usage_out);
	return j;
}

/* Number member <key> of <o>; fails the test when it is absent or not a number. */
static double jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
	return v->valuedouble;
}

/* The polkadot key <key> of a usage JSON's "keys"; fails the test when absent. */
static const cJSON *usage_key(const cJSON *j, const char *key)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(j, "keys"))
	{
		if (strcmp(fx_json_str(k, "chain"), "polkadot") == 0 &&
		    strcmp(fx_json_str(k, "key"), key) == 0)
			return k;
	}
	ck_abort_msg("usage has no key polkadot/%s: %.2000s", key, usage_out);
	return NULL;
}

/* The name usage and the rows give a kind's method: "" for a line that named none. */
static const char *row_method(const struct kind *q)
{
	return strcmp(q->method, "-") == 0 ? "" : q->method;
}

static int kind_requests(const struct kind *q)
{
	int n = 0;

	for (int s = 0; s < 6; s++)
		n += q->st[s];
	return n;
}

/*
 * usage --by method and --by status in JSON: each key's requests, calls and
 * error share (5xx or no status, README "usage") are what the client sent
 * and saw.
 */
static void expect_usage_counts(int sent)
{
	cJSON *j = usage_json("--format json");
	int by_status[6] = {0}, statuses = 0;

	ck_assert_double_eq(jnum(j, "keys_total"), N_KINDS); /* one method per kind */
	ck_assert_double_eq(jnum(j, "bad_rows"), 0);
	ck_assert_double_eq(jnum(cJSON_GetObjectItemCaseSensitive(j, "total"), "requests"), sent);
	for (size_t k = 0; k < N_KINDS; k++) {
		const cJSON *o = usage_key(j, row_method(&mix[k]));
		int n = kind_requests(&mix[k]), errors = mix[k].st[0] + mix[k].st[5];

		ck_assert_msg(jnum(o, "requests") == n, "%s: %g requests, sent %d", mix[k].method,
		              jnum(o, "requests"), n);
		ck_assert_msg(jnum(o, "calls") == (double)n * mix[k].calls, "%s: %g calls",
		              mix[k].method, jnum(o, "calls"));
		/* Rounded to 2 decimals in every format. */
		ck_assert_msg(fabs(jnum(o, "error_pct") - round(errors * 10000.0 / n) / 100) < 1e-9,
		              "%s: error %% %g, %d of %d sent", mix[k].method, jnum(o, "error_pct"),
		              errors, n);
		for (int s = 0; s < 6; s++)
			by_status[s] += mix[k].st[s];
	}
	cJSON_Delete(j);

	j = usage_json("--format json --by status");
	for (int s = 0; s < 6; s++) {
		if (by_status[s] == 0)
			continue;
		statuses++;
		ck_assert_msg(jnum(usage_key(j, st_names[s]), "requests") == by_status[s],
		              "status %s: %g, saw %d", st_names[s],
		              jnum(usage_key(j, st_names[s]), "requests"), by_status[s]);
	}
	ck_assert_double_eq(jnum(j, "keys_total"), statuses);
	cJSON_Delete(j);
}

/*
 * The slowed method in usage: its p50 is the top of the bucket the rows'
 * median is in (<p50_end>, its exclusive end, read from the rows), so never
 * below SLOW_MS and at most 1/8 above the median, itself at most the
 * client's median round trip <rtt_ms>. --by time ranks it first: its
 * node time is at least its calls x SLOW_MS. The CSV has its request count.
 */
static void expect_usage_slow(double rtt_ms, long p50_end)
{
	const struct kind *slow = &mix[N_KINDS - 1]; /* the only PH_SLOW kind */
	int n = kind_requests(slow);
	cJSON *j = usage_json("--format json");
	const cJSON *o = usage_key(j, slow->method), *k;
	double p50 = jnum(o, "p50_ms"), prev = -1;
	char want[128];

	ck_assert(slow->phase == PH_SLOW);
	fprintf(stderr, "usage: %s p50 %g ms (client's median round trip %.1f ms)\n", slow->method,
	        p50, rtt_ms);
	ck_assert_msg(p50 >= SLOW_MS && p50 <= rtt_ms * 1.125 + 1,
	              "p50 %g ms, steered %d ms, client's median round trip %.1f ms", p50, SLOW_MS,
	              rtt_ms);
	ck_assert_msg(p50 == p50_end - 1, "p50 %g ms, the rows' median bucket ends at %ld", p50,
	              p50_end);
	cJSON_Delete(j);

	j = usage_json("--format json --by time");
	k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "keys"), 0);
	ck_assert_msg(strcmp(fx_json_str(k, "key"), slow->method) == 0,
	              "--by time ranks %s first: %.2000s", fx_json_str(k, "key"), usage_out);
	ck_assert_msg(jnum(k, "node_s") >= n * SLOW_MS / 1000.0, "node time %g s for %d calls",
	              jnum(k, "node_s"), n);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(j, "keys"))
	{
		ck_assert_msg(prev < 0 || jnum(k, "node_s") <= prev, "not ranked by node time: %s",
		              usage_out);
		prev = jnum(k, "node_s");
	}
	cJSON_Delete(j);

	run_usage("--format csv");
	ck_assert_msg(strncmp(usage_out, "chain,method,requests,", 22) == 0, "%s", usage_out);
	snprintf(want, sizeof(want), "\r\npolkadot,%s,%d,", slow->method, n);
	ck_assert_msg(strstr(usage_out, want) != NULL, "no line %s in:\n%s", want + 2, usage_out);
}

/*
 * usage reads whole minutes before now (its --until stops at now), and the
 * rows end in the minute the controller stopped in. Instead of waiting up to
 * a minute for it to end, every row moves back by the same whole number of
 * minutes, more than the rows span (so that no row lands on another's key
 * and minute on the way), to end before the current minute. What usage reads
 * is the rows the controller wrote, already compared with what was sent.
 */
static void move_rows_before_now(void)
{
	long last;

	db("UPDATE rpc_minutes SET minute = minute - (SELECT max(minute) - least(min(minute),"
	   " date_trunc('minute', now())) + interval '1 minute' FROM rpc_minutes);");
	last = strtol(db("SELECT extract(epoch FROM max(minute))::bigint FROM rpc_minutes;"), NULL,
	              10);
	ck_assert_msg(last > 0 && last + 60 <= (long)time(NULL), "last minute %ld", last);
}

/* The mix through HAProxy to a controller listening on udp (or unix when <via_unix>). */
static void stats_end_to_end(bool via_unix)
{
	char target[700], tuning[2400 + PATH_MAX], listen[600], m_path[PATH_MAX], series[300];
	char chroot_off[] = "PF_CHROOT=";
	/* The shipped default over UDP, the other format HAProxy 2.6 speaks over unix. */
	const char *format = via_unix ? "PF_LOG_FORMAT=rfc5424" : "PF_LOG_FORMAT=rfc3164";
	char *m, *got, *want;
	int sent;
	long slo, shi;
	double rtt;

	if (via_unix) {
		snprintf(listen, sizeof(listen), "%s/ctl-log-%d.sock", h_tmpdir(), (int)getpid());
		snprintf(target, sizeof(target), "PF_LOG_TARGET=%s", listen);
	} else {
		int port = h_free_port(); /* a TCP port nobody uses: its UDP twin is as free */

		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		snprintf(target, sizeof(target), "PF_LOG_TARGET=127.0.0.1:%d", port);
	}
	ck_assert_ptr_nonnull(realpath("haproxy/methods.tsv", m_path));
	/* Polls slower than the steered latency still answer within timeout_ms. */
	snprintf(tuning, sizeof(tuning),
	         "\"interval_ms\": 1000, \"timeout_ms\": 800, \"database\": \"%s\","
	         " \"spool_dir\": \"%s\", \"log_listen\": \"%s:%s\", \"methods_file\": \"%s\"%s",
	         pg.conninfo, spool, via_unix ? "unix" : "udp", listen, m_path,
	         via_unix && is_root() ? ", \"log_socket_group\": \"haproxy\"" : "");
	/* The unix socket is outside HAProxy's chroot: none, as in test_haproxy_logs. */
	fx_start_opts(
	    &(struct fx_opts){.sim_args = FX_SIM_STATIC,
	                      .tuning = tuning,
	                      .hap_env = {target, format, via_unix ? chroot_off : NULL, NULL}});
	fx_wait_decided(10);
	sent = send_mix(PH_NORMAL);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all", "{\"latency_ms\":250}", NULL), 200);
	sent += send_mix(PH_SLOW);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all", "{\"latency_ms\":0}", NULL), 200);
	/* Last: the controller drains nodes that fail its polls (a 503 either way). */
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all", "{\"http_error\":503}", NULL), 200);
	sent += send_mix(PH_FAILING);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all", "{\"http_error\":0}", NULL), 200);
	for (size_t k = 0; k < N_KINDS; k++)
		if (mix[k].phase == PH_FAILING)
			ck_assert_int_eq(mix[k].st[5], mix[k].n);

	/* HAProxy logs a request when it ends: all of them are in once the count is. */
	if (wait_sample("polkfura_ctl_log_lines_total", sent, 15) < sent) {
		m = metrics();
		ck_abort_msg("lines counted: fewer than the %d sent; /metrics:\n%s", sent,
		             strstr(m, "# HELP polkfura_ctl_log_datagrams_total"));
	}
	m = metrics();
	expect_metrics(m);
	/* Nothing of the slowed method is below the steered latency. */
	snprintf(series, sizeof(series),
	         "polkfura_rpc_request_duration_seconds_bucket{chain=\"polkadot\","
	         "method=\"chain_getHeader\",class=\"read\",le=\"0.192\"}");
	ck_assert_msg(sample(m, series) == 0, "%s %g", series, sample(m, series));
	ck_assert_int_eq(sample(m, "polkfura_ctl_log_kernel_drops_total"), 0);
	free(m);

	/* A clean stop writes the partial minute. */
	h_ctl_stop(&fx.ctl);
	got = rows_by_key();
	want = rows_expected();
	ck_assert_msg(strcmp(got, want) == 0, "rows:\n%s\nsent:\n%s", got, want);
	free(got);
	free(want);
	/*
	 * The slowed method's median is in a bucket ending above SLOW_MS and
	 * starting at most at the client's median round trip: each request's %Ta
	 * is within its round trip, so their medians are in that order too.
	 */
	rtt = rtt_median(N_KINDS - 1);
	row_quantile("chain_getHeader", 0.5, &slo, &shi);
	fprintf(stderr,
	        "%s: chain_getHeader p50 in [%ld, %ld) ms; client's median round trip %.1f ms\n",
	        via_unix ? "unix" : "udp", slo, shi, rtt);
	ck_assert_msg(shi > SLOW_MS && slo <= rtt,
	              "median in [%ld, %ld) ms, client's median %.1f ms", slo, shi, rtt);
	ck_assert_msg(shi - slo <= slo / 8 + 1, "bucket [%ld, %ld) wider than 1/8", slo, shi);
	ck_assert_str_eq(db("SELECT count(*) FROM rpc_minutes WHERE region <> 'test'"
	                    " OR controller NOT LIKE '%/test/%' OR overflow;"),
	                 "0");
	/* usage reads the same rows whatever the transport: once is enough. */
	if (!via_unix) {
		move_rows_before_now();
		expect_usage_counts(sent);
		expect_usage_slow(rtt, shi);
	}
}

START_TEST(test_udp)
{
	stats_end_to_end(false);
}
END_TEST

START_TEST(test_unix)
{
	stats_end_to_end(true);
}
END_TEST

/*
 * usage_retention_days: the lock holder deletes its region's rows older
 * than that, in statements of RECORDER_PRUNE_BATCH (5000) rows: 12,000 old
 * rows take three. Younger rows, and other regions' rows, stay.
 */
START_TEST(test_retention)
{
	static const char row[] =
	    "INSERT INTO rpc_minutes (id, region, controller, minute, chain, method, class, status,"
	    " requests, errors, calls, bytes, node_ms, ta_count, ta_sum_ms)"
	    " SELECT '%s-' || i, '%s', 'h/%s/1', date_trunc('minute', now() - interval '%d days')"
	    " - i * interval '1 minute', 'polkadot', 'system_health', 'read', '2xx', 1, 0, 1, 1, 1,"
	    " 0, 0 FROM generate_series(1, %d) i;";
	char sql[1024], tuning[1400];

	snprintf(sql, sizeof(sql), row, "old", "test", "test", 100, 12000);
	db(sql);
	snprintf(sql, sizeof(sql), row, "young", "test", "test", 80, 2);
	db(sql);
	snprintf(sql, sizeof(sql), row, "other", "eu9", "eu9", 100, 3);
	db(sql);
	snprintf(tuning, sizeof(tuning),
	         "\"database\": \"%s\", \"spool_dir\": \"%s\", \"usage_retention_days\": 90",
	         pg.conninfo, spool);
	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = tuning});
	for (double end = h_now() + 20; h_now() < end; usleep(50000))
		if (strcmp(db("SELECT count(*) FROM rpc_minutes WHERE id LIKE 'old-%';"), "0") == 0)
			break;
	ck_assert_str_eq(db("SELECT region, count(*) FROM rpc_minutes GROUP BY 1 ORDER BY 1;"),
	                 "eu9|3\ntest|2");
	ck_assert_msg(
	    h_wait_file_contains(fx.ctl.log,
	                         "usage rows past retention deleted\" region=test rows=12000", 5),
	    "no retention line in %s", fx.ctl.log);
}
END_TEST

/*
 * Two parts of one minute under one key (a controller restarted within the
 * minute writes the second part under a new id) add up, histograms bucket
 * by bucket; the second part replayed (same id, an acknowledgement lost)
 * adds nothing. The records go in through the spool, as a crash leaves them.
 */
START_TEST(test_usage_parts)
{
	static const char line[] =
	    "{\"kind\":\"usage\",\"id\":\"%s\",\"region\":\"test\",\"at\":\"1700000040000\","
	    "\"controller\":\"h/test/1\",\"chain\":\"polkadot\",\"method\":\"system_health\","
	    "\"class\":\"read\",\"status\":\"2xx\",\"requests\":\"%d\",\"errors\":\"0\","
	    "\"calls\":\"%d\",\"bytes\":\"%d\",\"node_ms\":\"%d\",\"ta_count\":\"%d\","
	    "\"ta_sum_ms\":\"%d\",\"ta\":\"%s\"}\n";
	char path[700], tuning[1400], text[2048];
	int n = 0;

	n += snprintf(text + n, sizeof(text) - (size_t)n, line, "a-1", 3, 3, 30, 6, 3, 12,
	              "4:1,6:2");
	n += snprintf(text + n, sizeof(text) - (size_t)n, line, "b-1", 2, 2, 20, 4, 2, 260,
	              "6:1,256:1");
	n += snprintf(text + n, sizeof(text) - (size_t)n, line, "b-1", 2, 2, 20, 4, 2, 260,
	              "6:1,256:1");
	ck_assert_int_lt(n, (int)sizeof(text));
	snprintf(path, sizeof(path), "%s/test.spool", spool);
	ck_assert_int_eq(h_write_file(path, text), 0);
	snprintf(tuning, sizeof(tuning),
	         "\"database\": \"%s\", \"spool_dir\": \"%s\", \"usage_retention_days\": 0",
	         pg.conninfo, spool);
	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = tuning});
	for (double end = h_now() + 10; h_now() < end; usleep(50000))
		if (file_size(path) == 0)
			break;
	ck_assert_str_eq(db("SELECT id, requests, calls, bytes, node_ms, ta_count, ta_sum_ms,"
	                    " ta_le_ms, ta_counts, overflow FROM rpc_minutes;"),
	                 "b-1|5|5|50|10|5|272|{4,6,256}|{1,3,1}|f");
}
END_TEST

/* ---- broken datagrams and a flood, straight to the controller ---- */

static int udp_sender(int port, struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)port);
	to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return fd;
}

static void send_dgram(int fd, const struct sockaddr_in *to, const void *p, size_t len)
{
	ck_assert_int_eq(sendto(fd, p, len, 0, (const struct sockaddr *)to, sizeof(*to)),
	                 (ssize_t)len);
}

/* A line of the shipped log-format as HAProxy 2.6 sent it (tests/data/haproxy-logs/). */
static const char good_line[] =
    "<134>Dec  6 08:13:41 localhost haproxy[28274]: 127.0.0.1:46360 "
    "[06/Dec/2026:08:13:41.670] rpc~ be_polkadot/node1 5/0/1/1/2 200 229 ---- 1/1/0/0/0 0/0 "
    "chain=polkadot method=system_health class=read batch=1 calls=1 spoe=0/0 "
    "\"POST /?req=single HTTP/1.1\"";

START_TEST(test_broken_and_flood)
{
	static char big[20000];
	char tuning[256 + PATH_MAX], m_path[PATH_MAX];
	struct sockaddr_in to;
	int port = h_free_port(), fd, flood = 3000, sent;
	double got = 0, drops = 0;
	char *m;
	/* Each broken on purpose, in the field its parser names (RFC 3164 / the log-format). */
	static const struct {
		const char *dgram, *series;
	} broken[] = {
	    {"no priority", "{stage=\"syslog\",reason=\"pri\"}"},
	    {"<134>Dec 32 08:13:41 localhost haproxy[1]: x",
	     "{stage=\"syslog\",reason=\"timestamp\"}"},
	    {"<134>Dec  6 08:13:41 localhost haproxy[1]: Proxy rpc started.",
	     "{stage=\"logline\",reason=\"not_access\"}"},
	    {"<134>Dec  6 08:13:41 localhost haproxy[1]: 127.0.0.1:1 [06/Dec/2026:08:13:41.670] "
	     "rpc "
	     "be/s 5/0/1/1/x 200 229 ---- 1/1/0/0/0 0/0 chain=- method=- class=- batch=- calls=- "
	     "spoe=0/- \"GET / HTTP/1.1\"",
	     "{stage=\"logline\",reason=\"timers\"}"},
	};

	ck_assert_ptr_nonnull(realpath("haproxy/methods.tsv", m_path));
	snprintf(tuning, sizeof(tuning),
	         "\"log_listen\": \"udp:127.0.0.1:%d\", \"log_rcvbuf\": 65536,"
	         " \"methods_file\": \"%s\"",
	         port, m_path);
	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = tuning});
	fd = udp_sender(port, &to);
	for (size_t i = 0; i < PF_ARRAY_SIZE(broken); i++)
		send_dgram(fd, &to, broken[i].dgram, strlen(broken[i].dgram));
	memset(big, 'x', sizeof(big));
	memcpy(big, good_line, sizeof(good_line) - 1); /* longer than the controller reads */
	send_dgram(fd, &to, big, sizeof(big));
	ck_assert_int_eq(wait_sample("polkfura_ctl_log_datagrams_total", 5, 10), 5);
	ck_assert(
	    wait_sample("polkfura_ctl_log_rejected_total{stage=\"syslog\",reason=\"too_long\"}", 1,
	                5) == 1);
	m = metrics();
	for (size_t i = 0; i < PF_ARRAY_SIZE(broken); i++) {
		char series[200];

		snprintf(series, sizeof(series), "polkfura_ctl_log_rejected_total%s",
		         broken[i].series);
		ck_assert_msg(sample(m, series) == 1, "%s: %g", series, sample(m, series));
	}
	ck_assert_int_eq(sample(m, "polkfura_ctl_log_lines_total"), 0);
	free(m);

	/*
	 * The flood: the controller paused, so that nothing is read while far more
	 * than its buffer holds arrives (65536 asked; the kernel doubles it and
	 * charges each datagram its whole buffer); then one more datagram, which
	 * carries the kernel's final drop count.
	 */
	ck_assert_int_eq(kill(fx.ctl.pid, SIGSTOP), 0);
	for (int i = 0; i < flood; i++)
		send_dgram(fd, &to, good_line, sizeof(good_line) - 1);
	ck_assert_int_eq(kill(fx.ctl.pid, SIGCONT), 0);
	/*
	 * A fence sent while the buffer is still full is dropped too: send one
	 * every 100 ms (20 at most) until one has been read with the count.
	 */
	sent = 5 + flood;
	for (int fence = 0; fence < 20 && got + drops != sent; fence++) {
		send_dgram(fd, &to, good_line, sizeof(good_line) - 1);
		sent++;
		for (double end = h_now() + 0.1; h_now() < end; usleep(10000)) {
			m = metrics();
			got = sample(m, "polkfura_ctl_log_datagrams_total");
			drops = sample(m, "polkfura_ctl_log_kernel_drops_total");
			free(m);
			if (got + drops == sent)
				break;
		}
	}
	fprintf(stderr, "flood: %d sent, %g read, %g dropped by the kernel\n", sent, got, drops);
	ck_assert_msg(drops > 0, "no drops");
	ck_assert_msg(got + drops == sent, "received %g + dropped %g != sent %d", got, drops, sent);
	m = metrics();
	/* Every datagram that was read is counted once: as a line, or rejected. */
	ck_assert(wait_sample("polkfura_ctl_log_lines_total",
	                      sample(m, "polkfura_ctl_log_datagrams_total") - 5,
	                      5) == sample(m, "polkfura_ctl_log_datagrams_total") - 5);
	free(m);
	close(fd);
	h_ctl_stop(&fx.ctl);
}
END_TEST

/* Polls the controller's log until it has reloaded <n> times. */
static void wait_reloads(int n)
{
	for (double end = h_now() + 5; h_now() < end && fx_log_count("reloaded ") < n;)
		usleep(20000);
	ck_assert_int_eq(fx_log_count("reloaded "), n);
}

/*
 * SIGHUP reads methods_file again: a method taken out of it is "other" from
 * then on, the lines before keep their name; a file that does not parse
 * keeps the table and is counted.
 */
START_TEST(test_methods_reload)
{
	char tuning[700], methods[600], series[300];
	struct sockaddr_in to;
	int port = h_free_port(), fd;
	char *m;

	snprintf(methods, sizeof(methods), "%s/methods-%d.tsv", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(methods, "method\tclass\tnote\nsystem_health\tread\t\n"), 0);
	snprintf(tuning, sizeof(tuning),
	         "\"log_listen\": \"udp:127.0.0.1:%d\", \"methods_file\": \"%s\"", port, methods);
	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tuning = tuning});
	fd = udp_sender(port, &to);
	send_dgram(fd, &to, good_line, sizeof(good_line) - 1);
	snprintf(series, sizeof(series),
	         "polkfura_rpc_requests_total{chain=\"polkadot\",method=\"system_health\","
	         "class=\"read\",status=\"2xx\"}");
	ck_assert(wait_sample(series, 1, 5) == 1);

	ck_assert_int_eq(h_write_file(methods, "method\tclass\tnote\nchain_getBlock\tread\t\n"), 0);
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	wait_reloads(1);
	send_dgram(fd, &to, good_line, sizeof(good_line) - 1);
	ck_assert(wait_sample("polkfura_rpc_requests_total{chain=\"polkadot\",method=\"other\","
	                      "class=\"read\",status=\"2xx\"}",
	                      1, 5) == 1);
	m = metrics();
	ck_assert(sample(m, series) == 1);
	ck_assert(sample(m, "polkfura_ctl_log_methods") == 1);
	free(m);

	/* check refuses what a start would: exit 2, naming the key. */
	{
		char args[700], out[2048];

		ck_assert_int_eq(h_write_file(methods, "not a methods table\n"), 0);
		snprintf(args, sizeof(args), "check --config '%s'", fx.ctl.config);
		ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
		ck_assert_msg(strstr(out, "methods_file: ") != NULL &&
		                  strstr(out, "line 1: expected the header method<TAB>class") !=
		                      NULL,
		              "%s", out);
	}
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	wait_reloads(2);
	ck_assert(wait_sample("polkfura_ctl_log_methods_load_failures_total", 1, 5) == 1);
	ck_assert(sample(m = metrics(), "polkfura_ctl_log_methods") == 1);
	free(m);
	close(fd);
}
END_TEST

static Suite *ctl_stats_suite(void)
{
	Suite *s = suite_create("ctl_stats");
	TCase *tc = tcase_create("end_to_end");

	/* Room for ASan on a shared machine. */
	tcase_set_timeout(tc, 150);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_unix);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_usage_parts);
	suite_add_tcase(s, tc);
	tc = tcase_create("ingest");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_broken_and_flood);
	tcase_add_test(tc, test_methods_reload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_stats_suite());
}
