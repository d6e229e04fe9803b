/* SPDX-License-Identifier: MIT */
/*
 * How polkfura-ctl reaches HAProxy and the nodes, beyond a unix socket and
 * plain HTTP. HAProxy's runtime API on TCP: the shipped haproxy.cfg given
 * PF_ADMIN_SOCKET=ipv4@127.0.0.1:PORT, the controller given "127.0.0.1:PORT"
 * (HAProxy's ipv4@ prefix is not in its grammar and `check` says so), a lag
 * drained and undone through it, `check --haproxy` reading it. Nodes behind
 * TLS: https:// rpc URLs to simulators serving the harness's certificate,
 * verified against the harness's CA through node_tls_ca_file; a lag drained
 * over TLS; with another CA's bundle every poll fails on the certificate, and
 * a node whose certificate does not name the rpc host fails on the name.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

static void teardown(void)
{
	fx_stop();
}

/* p0 and p1 61 blocks on: p2 drained within the fall bound, then back after catching up. */
static void lag_drains_p2_and_back(void)
{
	double t0;

	for (int i = 0; i < FX_NODES; i++)
		fx_expect_drain(i, false, 5);
	fx_steer(0, "{\"height\": 1061}");
	fx_steer(1, "{\"height\": 1061}");
	t0 = h_now();
	fx_expect_drain(2, true, fx_bound_s(FX_FALL));
	fprintf(stderr, "drained %.2f s after the steer (bound %.2f s)\n", h_now() - t0,
	        fx_bound_s(FX_FALL));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p2 ready -> drain: lag 61 blocks > 5", 1));
	ck_assert(fx_ready_now(0) && fx_ready_now(1));
	fx_steer(2, "{\"height\": 1061}");
	fx_expect_drain(2, false, fx_bound_s(FX_RISE));
}

/* ---- HAProxy's runtime API on TCP ---- */

static void setup_tcp(void)
{
	fx_start_opts(&(struct fx_opts){.sim_args = FX_SIM_STATIC, .tcp_admin = true});
}

START_TEST(test_tcp_runtime_api)
{
	char path[600], args[1400], out[2048], want[600], *cfg;
	struct stat sb;
	cJSON *st;

	/* HAProxy listens where PF_ADMIN_SOCKET said, and made no unix socket instead. */
	ck_assert_msg(strncmp(fx.hap.admin_sock, "ipv4@127.0.0.1:", 15) == 0, "%s",
	              fx.hap.admin_sock);
	ck_assert(h_port_open((int)strtol(fx.hap.admin_sock + 15, NULL, 10)));
	snprintf(path, sizeof(path), "%s/admin.sock", fx.hap.dir);
	ck_assert_int_eq(stat(path, &sb), -1);
	/* The controller reads and writes through it. */
	lag_drains_p2_and_back();
	st = fx_status();
	{
		const cJSON *h =
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "haproxy"), 0);

		ck_assert_str_eq(fx_json_str(h, "socket"), fx.hap.admin_sock + 5);
		ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "up")));
	}
	cJSON_Delete(st);
	snprintf(args, sizeof(args), "check --haproxy --config %s", fx.ctl.config);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	/* HAProxy's own spelling is refused by the controller's grammar (ctl/CONFIG.md), by name.
	 */
	snprintf(want, sizeof(want), "\"%s\"", fx.hap.admin_sock);
	cfg = fx_ctl_config(want, NULL, NULL);
	snprintf(path, sizeof(path), "%s/ctl-ipv4-prefix.json", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, cfg), 0);
	free(cfg);
	snprintf(args, sizeof(args), "check --config %s", path);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	snprintf(want, sizeof(want), "haproxy[0]: '%s'", fx.hap.admin_sock);
	ck_assert_msg(strstr(out, want) != NULL && strchr(out, '\n') == strrchr(out, '\n'), "%s",
	              out);
}
END_TEST

/* ---- nodes behind TLS ---- */

static char ca_tuning[700];

static void setup_tls(void)
{
	snprintf(ca_tuning, sizeof(ca_tuning), "\"node_tls_ca_file\": \"%s\"", h_ca_file());
	fx_start_opts(
	    &(struct fx_opts){.sim_args = FX_SIM_STATIC, .tls = true, .tuning = ca_tuning});
}

/*
 * Polls until member <key> ("why": the decision's reason, the failed poll's
 * detail included) of every node of /status.json contains <needle> (is
 * <needle> when it starts with '='); false on timeout, with what they last
 * showed in <seen>.
 */
static bool nodes_show(const char *key, const char *needle, double timeout_s, char *seen,
                       size_t seenlen)
{
	bool all = false;

	for (double end = h_now() + timeout_s; h_now() < end && !all;) {
		cJSON *st = fx_status();

		all = true;
		seen[0] = '\0';
		for (int i = 0; i < FX_NODES; i++) {
			char name[16];
			const char *poll;

			snprintf(name, sizeof(name), "p%d", i);
			poll = fx_json_str(fx_json_node(st, "polkadot", name), key);
			all = all && (needle[0] == '=' ? strcmp(poll, needle + 1) == 0
			                               : strstr(poll, needle) != NULL);
			snprintf(seen + strlen(seen), seenlen - strlen(seen), "%s: %s; ", name,
			         poll);
		}
		cJSON_Delete(st);
	}
	return all;
}

/*
 * Watches /status.json for <window_s>: each node must show <needle> in its
 * "why" at least once, and none may poll "ok" after it did. A poll may also
 * time out meanwhile (a handshake that loads the whole system CA store is
 * slow under ASan): that is no success either.
 */
static void every_node_refused(const char *needle, double window_s)
{
	bool refused[FX_NODES] = {false};
	char last[FX_NODES][160] = {{0}};

	for (double end = h_now() + window_s; h_now() < end;) {
		cJSON *st = fx_status();
		bool all = true;

		for (int i = 0; i < FX_NODES; i++) {
			char name[16];
			const char *why;

			snprintf(name, sizeof(name), "p%d", i);
			why = fx_json_str(fx_json_node(st, "polkadot", name), "why");
			snprintf(last[i], sizeof(last[i]), "%s", why);
			ck_assert_msg(!refused[i] || strcmp(why, "ok") != 0,
			              "%s polled ok after its certificate was refused", name);
			refused[i] = refused[i] || strstr(why, needle) != NULL;
			all = all && refused[i];
		}
		cJSON_Delete(st);
		if (all)
			return;
	}
	ck_abort_msg("not every node refused on '%s': p0 %s; p1 %s; p2 %s", needle, last[0],
	             last[1], last[2]);
}

/* Rewrites the controller's config with <tuning> and <extra> nodes, SIGHUPs it, waits for it. */
static void reload_with(const char *tuning, const char *extra)
{
	char *cfg = fx_ctl_config(fx_socket_item, extra, tuning);
	int before = fx_log_count("reloaded ");

	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	ck_assert_int_eq(kill(fx.ctl.pid, SIGHUP), 0);
	for (double end = h_now() + 5; h_now() < end && fx_log_count("reloaded ") == before;)
		;
	ck_assert_int_gt(fx_log_count("reloaded "), before);
}

START_TEST(test_https_nodes)
{
	struct h_nodesim other;
	char args[1600], out[2048], node[700], path[600], seen[600];

	/*
	 * The polls over TLS succeed: every node decided "ok". (/healthz, which
	 * h_ctl_start() waits for, answers 200 once the first round started.)
	 */
	ck_assert_msg(nodes_show("why", "=ok", 2, seen, sizeof(seen)), "%s", seen);
	/* And they did reach the simulators, which really serve TLS. */
	ck_assert(fx_sim_num(&fx.sim, "/nodes/polkadot-0", "requests") > 0);
	{
		struct h_resp r;

		ck_assert_int_eq(h_nodesim_control(&fx.sim, "/nodes/polkadot-0", NULL, &r), 200);
		ck_assert_ptr_nonnull(strstr(r.body, "\"tls\":true"));
		h_resp_free(&r);
	}
	lag_drains_p2_and_back();

	/*
	 * Verification is on, against that bundle: with another CA's (a throw-away
	 * one that signed nothing here) every node fails on the certificate and
	 * none polls ok again. Nobody answers, so nobody is moved.
	 */
	snprintf(path, sizeof(path), "%s/other-ca.pem", h_tmpdir());
	snprintf(
	    args, sizeof(args),
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
	    "-subj /CN=other-ca -keyout %s/other-ca.key -out %s 2>&1",
	    h_tmpdir(), path);
	ck_assert_int_eq(h_run(args, out, sizeof(out)), 0);
	snprintf(node, sizeof(node), "\"node_tls_ca_file\": \"%s\"", path);
	reload_with(node, NULL);
	every_node_refused("SSL certificate problem: unable to get local issuer certificate",
	                   fx_bound_s(2));
	ck_assert(fx_ready_now(0) && fx_ready_now(1) && fx_ready_now(2));
	reload_with(ca_tuning, NULL);
	ck_assert_msg(nodes_show("why", "=ok", fx_bound_s(1), seen, sizeof(seen)), "%s", seen);

	/*
	 * The name is verified too: a node on 127.0.0.2, which the certificate
	 * (localhost, 127.0.0.1) does not name, fails however trusted its CA.
	 */
	snprintf(args, sizeof(args),
	         "--listen 127.0.0.2 --block-time-ms 0 --height 1061 --tls-cert %s/site.crt "
	         "--tls-key %s/site.key",
	         h_tmpdir(), h_tmpdir());
	ck_assert_msg(h_nodesim_start(&other, "polkadot", 1, args), "nodesim: %s", other.log);
	snprintf(node, sizeof(node), "{\"name\": \"p9\", \"rpc\": \"https://127.0.0.2:%d/\"}",
	         other.port[0]);
	reload_with(ca_tuning, node);
	{
		bool refused = false;

		for (double end = h_now() + fx_bound_s(1); h_now() < end && !refused;) {
			cJSON *st = fx_status();

			snprintf(seen, sizeof(seen), "%s",
			         fx_json_str(fx_json_node(st, "polkadot", "p9"), "why"));
			refused =
			    strstr(seen, "no alternative certificate subject name matches") != NULL;
			cJSON_Delete(st);
		}
		ck_assert_msg(refused, "p9 was not refused on its name: %s", seen);
	}
	h_nodesim_stop(&other);

	/* `check` refuses a bundle that is not one, naming the key. */
	snprintf(path, sizeof(path), "%s/site.key", h_tmpdir());
	snprintf(node, sizeof(node), "\"node_tls_ca_file\": \"%s\"", path);
	{
		char *cfg = fx_ctl_config(fx_socket_item, NULL, node);

		snprintf(path, sizeof(path), "%s/ctl-bad-ca.json", h_tmpdir());
		ck_assert_int_eq(h_write_file(path, cfg), 0);
		free(cfg);
	}
	snprintf(args, sizeof(args), "check --config %s", path);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "node_tls_ca_file: ") != NULL &&
	                  strstr(out, "no PEM certificate") != NULL,
	              "%s", out);
}
END_TEST

static Suite *ctl_transport_suite(void)
{
	Suite *s = suite_create("ctl_transport");
	TCase *tcp = tcase_create("tcp_runtime_api");
	TCase *tls = tcase_create("https_nodes");

	tcase_add_checked_fixture(tcp, setup_tcp, teardown);
	tcase_set_timeout(tcp, 60);
	tcase_add_test(tcp, test_tcp_runtime_api);
	suite_add_tcase(s, tcp);
	tcase_add_checked_fixture(tls, setup_tls, teardown);
	tcase_set_timeout(tls, 60);
	tcase_add_test(tls, test_https_nodes);
	suite_add_tcase(s, tls);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_transport_suite());
}
