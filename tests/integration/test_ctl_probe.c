/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl probing another region's public edge (issue 10, "region
 * unreachable"). The fixture's own HAProxy stands for region eu2's edge: its
 * https frontend with the harness's certificate, GET /health answered by
 * the chain's backend (200 {"status":"ok"}, 503 {"status":"down"} once no
 * server is in rotation). The probe keys come by SIGHUP, because the edge's
 * port is known only once HAProxy runs. Seen: a healthy edge reachable; all
 * nodes down -> unreachable with the edge's reason after probe_fall probes,
 * back after probe_rise; a closed port, a certificate that does not name the
 * host, and a certificate the trusted CAs do not sign are unreachable with
 * curl's reason and never reachable. "Down" is every node without peers: the
 * controller drains them all (min_ready 0); nodes that answer nothing would
 * freeze its decisions instead (test_ctl_health).
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

/* The probe timing of these tests (the fixture's rounds are FX_INTERVAL_MS). */
#define PR_INTERVAL_MS 200
#define PR_TIMEOUT_MS  150
#define PR_FALL        2
#define PR_RISE        2

/*
 * From the moment the edge answers differently until the state changes:
 * the next probe starts within one interval, <probes> - 1 more follow one
 * interval apart, the last takes at most the timeout: probes x interval +
 * timeout, plus FX_MARGIN_S for scheduling (ctl_fixture.h says how it was
 * measured for the node polls, which run on the same loop the same way).
 */
static double probe_bound_s(int probes, unsigned interval_ms, unsigned timeout_ms)
{
	return (probes * interval_ms + timeout_ms) / 1000.0 + FX_MARGIN_S;
}

/* After SIGHUP: the reload is applied at the next round (one FX interval), then it probes. */
#define PR_RELOAD_S (FX_INTERVAL_S + FX_MARGIN_S)

static void teardown(void)
{
	fx_stop();
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The edge's /health URL for <host> ("polkadot.localhost") into <buf>. */
static const char *edge_url(const char *host, int port, char *buf, size_t len)
{
	snprintf(buf, len, "https://%s:%d/health", host, port);
	return buf;
}

/*
 * Rewrites the controller's config with <probe_keys> (top-level keys, "min_ready" 0 so
 * every node can leave rotation) and sends SIGHUP; waits for the reload.
 */
static void reload_with(const char *probe_keys)
{
	char tuning[3000], *cfg;
	int reloads = fx_log_count("reloaded ");

	snprintf(tuning, sizeof(tuning), "\"min_ready\": 0, %s", probe_keys);
	cfg = fx_ctl_config(fx_socket_item, NULL, tuning);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	for (double end = h_now() + 5; h_now() < end && fx_log_count("reloaded ") == reloads;)
		usleep(20000);
	ck_assert_msg(fx_log_count("reloaded ") > reloads, "no reload; ctl log %s", fx.ctl.log);
}

/* GET <url> of the edge as a client would (the harness's CA): the HTTP status, 0 on error. */
static long edge_health(const char *url)
{
	struct h_resp r;
	long st = h_http(&(struct h_req){.url = url, .timeout_ms = 2000}, &r);

	h_resp_free(&r);
	return st;
}

/* Polls until the edge's /health answers <want>; returns when it first did. */
static double wait_edge(const char *url, long want, double timeout_s)
{
	for (double end = h_now() + timeout_s; h_now() < end;) {
		if (edge_health(url) == want)
			return h_now();
		usleep(20000);
	}
	ck_abort_msg("%s did not answer %ld within %.1f s", url, want, timeout_s);
	return 0;
}

/* Waits until the controller's log holds <needle>; returns when it was seen. */
static double wait_log(const char *needle, double timeout_s)
{
	if (!h_wait_file_contains(fx.ctl.log, needle, timeout_s)) {
		h_print_log_tail(fx.ctl.log, 30);
		ck_abort_msg("no \"%s\" in the ctl log within %.2f s", needle, timeout_s);
	}
	return h_now();
}

/* Probe <i> of /status.json (the caller frees <*root>). */
static const cJSON *status_probe(cJSON **root, int i)
{
	*root = fx_status();
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*root, "probes"), i);
}

/* The /metrics line starting with <prefix>'s value, or -1 when absent. */
static double metric(const char *prefix)
{
	struct h_resp r;
	const char *p;
	double v = -1;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	p = strstr(r.body, prefix);
	if (p != NULL)
		v = strtod(p + strlen(prefix), NULL);
	h_resp_free(&r);
	return v;
}

static void setup(void)
{
	fx_start("\"min_ready\": 0");
}

START_TEST(test_edge_down_and_back)
{
	char url[128], keys[2048], want[512], metric_key[512];
	double t, bound, peers;
	int64_t steer_ms;
	const cJSON *pr;
	cJSON *st;

	edge_url("polkadot.localhost", fx.hap.https_port, url, sizeof(url));
	ck_assert_int_eq(edge_health(url), 200);
	snprintf(keys, sizeof(keys),
	         "\"probe\": [{\"region\": \"eu2\", \"chain\": \"polkadot\", \"url\": \"%s\"}], "
	         "\"probe_interval_ms\": %d, \"probe_timeout_ms\": %d, \"probe_fall\": %d, "
	         "\"probe_rise\": %d, \"probe_tls_ca_file\": \"%s\"",
	         url, PR_INTERVAL_MS, PR_TIMEOUT_MS, PR_FALL, PR_RISE, h_ca_file());
	t = h_now();
	reload_with(keys);
	/* Unknown until probe_rise probes agree, then reachable, logged once. */
	snprintf(want, sizeof(want), "region=eu2 chain=polkadot url=%s reachable: HTTP 200", url);
	bound = PR_RELOAD_S + probe_bound_s(PR_RISE, PR_INTERVAL_MS, PR_TIMEOUT_MS);
	wait_log(want, bound);
	fprintf(stderr, "reachable %.2f s after SIGHUP (bound %.2f s)\n", h_now() - t, bound);
	snprintf(metric_key, sizeof(metric_key),
	         "polkfura_ctl_probe_reachable{region=\"eu2\",chain=\"polkadot\",url=\"%s\"} ",
	         url);
	ck_assert(metric(metric_key) == 1);
	pr = status_probe(&st, 0);
	ck_assert_str_eq(fx_json_str(pr, "state"), "reachable");
	ck_assert_str_eq(fx_json_str(pr, "region"), "eu2");
	ck_assert_str_eq(fx_json_str(pr, "why"), "HTTP 200");
	cJSON_Delete(st);

	/*
	 * Every node unhealthy but answering (no peers): the controller drains them all
	 * (min_ready 0), and /health says 503 down. (All nodes down would freeze the
	 * decisions: nobody is moved when no node answers.)
	 */
	peers = fx_sim_num(&fx.sim, "/nodes/polkadot-0", "peers");
	ck_assert(peers >= 2);
	steer_ms = wall_ms();
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all/steer", "{\"peers\": 0}", NULL), 200);
	/* The edge's business, not the prober's: a drain takes FX_DRAIN_S (+1 s: the drain
	 * bound is for one node, here HAProxy takes three commands). */
	t = wait_edge(url, 503, FX_DRAIN_S + 1);
	snprintf(want, sizeof(want),
	         "region=eu2 chain=polkadot url=%s unreachable: HTTP 503: down (first failed", url);
	bound = probe_bound_s(PR_FALL, PR_INTERVAL_MS, PR_TIMEOUT_MS);
	wait_log(want, bound);
	fprintf(stderr, "unreachable %.2f s after /health said 503 (bound %.2f s)\n", h_now() - t,
	        bound);
	ck_assert(metric(metric_key) == 0);
	pr = status_probe(&st, 0);
	ck_assert_str_eq(fx_json_str(pr, "state"), "unreachable");
	ck_assert_str_eq(fx_json_str(pr, "why"), "HTTP 503: down");
	/* The outage starts at the run's first failed probe: after the steer, before now. */
	ck_assert_msg(
	    fx_json_num(pr, "since_ms") >= (double)(steer_ms - 50) &&
	        fx_json_num(pr, "since_ms") <= (double)(wall_ms() - (PR_FALL - 1) * PR_INTERVAL_MS),
	    "since_ms %.0f, steer at %lld", fx_json_num(pr, "since_ms"), (long long)steer_ms);
	ck_assert(fx_json_num(pr, "failures") >= PR_FALL);
	cJSON_Delete(st);

	/* Back: the controller puts the nodes back after rise polls, then probe_rise probes. */
	snprintf(want, sizeof(want), "{\"peers\": %.0f}", peers);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all/steer", want, NULL), 200);
	t = wait_edge(url, 200, fx_bound_s(FX_RISE) + 1);
	snprintf(want, sizeof(want), "region=eu2 chain=polkadot url=%s reachable again: HTTP 200",
	         url);
	bound = probe_bound_s(PR_RISE, PR_INTERVAL_MS, PR_TIMEOUT_MS);
	wait_log(want, bound);
	fprintf(stderr, "reachable again %.2f s after /health said 200 (bound %.2f s)\n",
	        h_now() - t, bound);
	ck_assert(metric(metric_key) == 1);
	/* One line per change, whatever the number of probes in between. */
	snprintf(want, sizeof(want), "mod=ctl region=eu2 chain=polkadot url=%s unreachable", url);
	ck_assert_int_eq(fx_log_count(want), 1);
	snprintf(want, sizeof(want), "mod=ctl region=eu2 chain=polkadot url=%s reachable", url);
	ck_assert_int_eq(fx_log_count(want), 2);
}
END_TEST

/*
 * Watches probe <i> of /status.json for <window_s>: its "state" must become
 * "unreachable" with <needle> in "why", and must never be "reachable".
 */
static void never_reachable(int i, const char *needle, double window_s)
{
	bool seen = false;
	char last[512] = "";

	for (double end = h_now() + window_s; h_now() < end;) {
		cJSON *st;
		const cJSON *pr = status_probe(&st, i);

		ck_assert_msg(strcmp(fx_json_str(pr, "state"), "reachable") != 0,
		              "probe %d reachable: %s", i, fx_json_str(pr, "why"));
		if (strcmp(fx_json_str(pr, "state"), "unreachable") == 0 &&
		    strstr(fx_json_str(pr, "why"), needle) != NULL)
			seen = true;
		snprintf(last, sizeof(last), "%s: %s", fx_json_str(pr, "state"),
		         fx_json_str(pr, "why"));
		cJSON_Delete(st);
		usleep(50000);
	}
	ck_assert_msg(seen, "probe %d never unreachable with \"%s\"; last %s", i, needle, last);
}

START_TEST(test_closed_port_and_wrong_name)
{
	char ok[128], closed[128], name[128], keys[2048];
	double window;

	edge_url("polkadot.localhost", fx.hap.https_port, ok, sizeof(ok));
	edge_url("polkadot.localhost", h_free_port(), closed, sizeof(closed));
	/* The harness's certificate names *.localhost's chains, not this one. */
	edge_url("other.localhost", fx.hap.https_port, name, sizeof(name));
	snprintf(keys, sizeof(keys),
	         "\"probe\": [{\"region\": \"eu2\", \"url\": \"%s\"}, {\"region\": \"eu3\", "
	         "\"url\": \"%s\"}, {\"region\": \"eu4\", \"url\": \"%s\"}], "
	         "\"probe_interval_ms\": %d, \"probe_timeout_ms\": %d, \"probe_fall\": %d, "
	         "\"probe_rise\": %d, \"probe_tls_ca_file\": \"%s\"",
	         ok, closed, name, PR_INTERVAL_MS, PR_TIMEOUT_MS, PR_FALL, PR_RISE, h_ca_file());
	reload_with(keys);
	/* The window covers the decision and several probes after it. */
	window = PR_RELOAD_S + probe_bound_s(PR_FALL + 4, PR_INTERVAL_MS, PR_TIMEOUT_MS);
	never_reachable(1, "Couldn't connect to server", window);
	never_reachable(2,
	                "no alternative certificate subject name matches target host name "
	                "'other.localhost'",
	                PR_INTERVAL_MS * 3 / 1000.0);
	/* The healthy one beside them is reachable; one line per region. */
	snprintf(keys, sizeof(keys), "mod=ctl region=eu2 chain=- url=%s reachable: HTTP 200", ok);
	wait_log(keys, 0.1);
	ck_assert_int_eq(fx_log_count("mod=ctl region=eu2 "), 1);
	ck_assert_int_eq(fx_log_count("mod=ctl region=eu3 "), 1);
	ck_assert_int_eq(fx_log_count("mod=ctl region=eu4 "), 1);
}
END_TEST

/*
 * A probe_tls_ca_file that cannot serve: `check` refuses it (exit 2, naming the
 * key), SIGHUP keeps the running config. Without the key the system's CAs are
 * trusted; they do not sign the harness's certificate.
 */
START_TEST(test_untrusted_ca)
{
	char url[128], keys[1024], path[600], args[700], out[2048], *cfg;
	int refused = fx_log_count("reload refused");

	edge_url("polkadot.localhost", fx.hap.https_port, url, sizeof(url));
	snprintf(keys, sizeof(keys),
	         "\"probe\": [{\"region\": \"eu2\", \"url\": \"%s\"}], "
	         "\"probe_tls_ca_file\": \"%s/no-such-ca.pem\"",
	         url, h_tmpdir());
	cfg = fx_ctl_config(fx_socket_item, NULL, keys);
	snprintf(path, sizeof(path), "%s/ctl-bad-probe-ca.json", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, cfg), 0);
	snprintf(args, sizeof(args), "check --config %s", path);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "probe_tls_ca_file: ") != NULL &&
	                  strstr(out, "No such file or directory") != NULL,
	              "%s", out);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	wait_log("reload refused, keeping the current config: probe_tls_ca_file: ", 5);
	ck_assert_int_eq(fx_log_count("reload refused"), refused + 1);

	/* A handshake that loads the whole system store is slow under ASan: a longer timeout. */
	snprintf(keys, sizeof(keys),
	         "\"probe\": [{\"region\": \"eu2\", \"url\": \"%s\"}], \"probe_interval_ms\": 600, "
	         "\"probe_timeout_ms\": 500, \"probe_fall\": %d, \"probe_rise\": 1",
	         url, PR_FALL);
	reload_with(keys);
	never_reachable(0, "SSL certificate problem",
	                PR_RELOAD_S + probe_bound_s(PR_FALL + 3, 600, 500));
	ck_assert_int_eq(fx_log_count("mod=ctl region=eu2 "), 1);
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("ctl_probe");
	TCase *tc = tcase_create("probe");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_edge_down_and_back);
	tcase_add_test(tc, test_closed_port_and_wrong_name);
	tcase_add_test(tc, test_untrusted_ca);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(probe_suite());
}
