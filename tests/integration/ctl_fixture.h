/* SPDX-License-Identifier: MIT */
/*
 * Shared set-up of the controller scenarios: simulated polkadot nodes (3 by
 * default, fx_start_with() picks the count, the simulator's flags and
 * chain-level keys), the shipped haproxy.cfg with plain (unchecked) backends
 * so only the controller moves server state, and polkfura-ctl with a fast
 * interval. Included by the test_ctl_*.c files, one scenario family per file.
 */
#ifndef PF_TESTS_CTL_FIXTURE_H
#define PF_TESTS_CTL_FIXTURE_H

#include <sys/stat.h>

#include <string.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

#define FX_NODES 3 /* configured nodes unless fx_start_with() says otherwise */
#define FX_SLOTS 3
#define FX_MAX   8

struct fixture {
	struct h_nodesim sim;
	struct h_agent agent;
	struct h_haproxy hap;
	struct h_ctl ctl;
	char state_file[512];
	int n;                /* configured nodes p0..p<n-1> on servers node1..node<n> */
	const char *chain;    /* extra keys of the chain object, each with its comma; borrowed */
	unsigned singles;     /* bit i: node p<i> polled with single calls ("batch": false) */
	char token_file[512]; /* admin_token_file; "" leaves the key out */
};

/* The admin token of the fixture's controller (in fx.token_file, mode 0600). */
#define FX_TOKEN "fixture-admin-token-0123456789"

static struct fixture fx;

/* Backends: node1..n for the configured nodes, slot1..3 as a server-template. */
static char *fx_backends(void)
{
	char *b = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&b, &len);

	ck_assert_ptr_nonnull(f);
	/* TCP checks only because "track" needs them; server state is the controller's. */
	fprintf(f, "backend be_polkadot\n    balance roundrobin\n"
	           "    default-server check inter 1s\n");
	for (int i = 0; i < fx.n; i++)
		fprintf(f, "    server node%d 127.0.0.1:%d\n", i + 1, fx.sim.port[i]);
	fprintf(f,
	        "    server-template slot %d 127.0.0.1:1 disabled\n"
	        "backend be_polkadot_heavy\n    balance roundrobin\n",
	        FX_SLOTS);
	for (int i = 0; i < fx.n; i++)
		fprintf(f, "    server node%d 127.0.0.1:%d track be_polkadot/node%d\n", i + 1,
		        fx.sim.port[i], i + 1);
	for (int i = 0; i < FX_SLOTS; i++)
		fprintf(f, "    server slot%d 127.0.0.1:1 track be_polkadot/slot%d\n", i + 1,
		        i + 1);
	fprintf(f, "backend be_kusama\n    server k1 127.0.0.1:1 check\n"
	           "backend be_kusama_heavy\n    server k1 127.0.0.1:1 track be_kusama/k1\n");
	ck_assert_int_eq(fclose(f), 0);
	return b;
}

/*
 * The controller config: <extra_nodes> is JSON appended to the node list
 * (e.g. a template node), <sockets> the "haproxy" array items.
 */
static char *fx_ctl_config(const char *sockets, const char *extra_nodes, const char *tuning)
{
	static const char *const defaults[][2] = {
	    {"interval_ms", "200"},  {"timeout_ms", "150"}, {"max_lag", "5"},
	    {"min_peers", "2"},      {"rise", "2"},         {"fall", "2"},
	    {"min_drain_ms", "0"},   {"min_ready", "1"},    {"stall_ms", "1000"},
	    {"drain_grace_ms", "0"},
	};
	char *c = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&c, &len);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"region\": \"test\", ");
	/* <tuning> ("\"key\": value, ...") replaces the defaults it names. */
	for (size_t i = 0; i < PF_ARRAY_SIZE(defaults); i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "\"%s\"", defaults[i][0]);
		if (tuning == NULL || strstr(tuning, quoted) == NULL)
			fprintf(f, "%s: %s, ", quoted, defaults[i][1]);
	}
	if (fx.token_file[0] != '\0')
		fprintf(f, "\"admin_token_file\": \"%s\", ", fx.token_file);
	fprintf(f,
	        "%s%s \"haproxy\": [%s], \"http_listen\": \"127.0.0.1:%d\","
	        " \"state_file\": \"%s\", \"log_level\": \"debug\","
	        " \"chains\": [{\"name\": \"polkadot\", \"backend\": \"be_polkadot\", %s"
	        " \"heavy_backends\": [\"be_polkadot_heavy\"], \"nodes\": [",
	        tuning != NULL ? tuning : "", tuning != NULL ? "," : "", sockets, fx.ctl.http_port,
	        fx.state_file, fx.chain != NULL ? fx.chain : "");
	for (int i = 0; i < fx.n; i++)
		fprintf(f,
		        "%s{\"name\": \"p%d\", \"server\": \"node%d\","
		        " \"rpc\": \"http://127.0.0.1:%d/\"%s}",
		        i ? ", " : "", i, i + 1, fx.sim.port[i],
		        (fx.singles >> i) & 1u ? ", \"batch\": false" : "");
	fprintf(f, "%s%s]}]}", extra_nodes != NULL ? ", " : "",
	        extra_nodes != NULL ? extra_nodes : "");
	ck_assert_int_eq(fclose(f), 0);
	return c;
}

static char fx_socket_item[600];

/*
 * <n> configured nodes (one more simulated, spare for template tests), the
 * simulator started with <sim_args>, <chain> added to the chain object (kept
 * by pointer: a literal), node p<i> polled with single calls when bit i of
 * <singles> is set, <tuning> as in fx_ctl_config().
 */
static void fx_start_with(int n, const char *sim_args, const char *chain, unsigned singles,
                          const char *tuning)
{
	char *backends, *cfg;

	memset(&fx, 0, sizeof(fx));
	ck_assert_int_le(n, FX_MAX);
	fx.n = n;
	fx.chain = chain;
	fx.singles = singles;
	snprintf(fx.state_file, sizeof(fx.state_file), "%s/ctl-state-%d.json", h_tmpdir(),
	         (int)getpid());
	snprintf(fx.token_file, sizeof(fx.token_file), "%s/ctl-token-%d", h_tmpdir(),
	         (int)getpid());
	ck_assert_int_eq(h_write_file(fx.token_file, FX_TOKEN "\n"), 0);
	ck_assert_int_eq(chmod(fx.token_file, 0600), 0);
	ck_assert_msg(h_nodesim_start(&fx.sim, "polkadot", n + 1, sim_args), "nodesim: %s",
	              fx.sim.log);
	ck_assert(h_agent_start(&fx.agent, NULL));
	backends = fx_backends();
	ck_assert_msg(h_haproxy_start(&fx.hap, backends, fx.agent.port, NULL), "haproxy: %s",
	              fx.hap.log);
	free(backends);
	fx.ctl.http_port = h_free_port();
	snprintf(fx_socket_item, sizeof(fx_socket_item), "\"unix:%s\"", fx.hap.admin_sock);
	cfg = fx_ctl_config(fx_socket_item, NULL, tuning);
	ck_assert_msg(h_ctl_start(&fx.ctl, cfg), "ctl did not start: %s", fx.ctl.log);
	free(cfg);
}

/* Three nodes at static heights (the tests move them). */
static PF_UNUSED void fx_start(const char *tuning)
{
	fx_start_with(FX_NODES, "--block-time-ms 0 --height 1000", NULL, 0, tuning);
}

/* Stops every child of the test, newest first, and asserts each exit (h_stop_all). */
static PF_UNUSED void fx_stop(void)
{
	fx.ctl.pid = fx.hap.pid = fx.agent.pid = fx.sim.pid = 0;
	h_stop_all();
}

/* Steers simulated node <i> with JSON <steer>. */
static PF_UNUSED void fx_steer(int i, const char *steer)
{
	char path[64];

	snprintf(path, sizeof(path), "/nodes/polkadot-%d", i);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, path, steer, NULL), 200);
}

#define FDRAIN 0x08u
#define FMAINT 0x01u

/*
 * Time bounds from the fixture's defaults (fx_ctl_config: interval_ms 200,
 * timeout_ms 150, fall 2, rise 2); a test that changes them says its own.
 *
 * FX_DRAIN_S: from a node's change of health (a steer, answered from the
 * next request on) until HAProxy shows the drain, or the return: if the
 * change lands just after a round polled, the next fall (or rise) rounds
 * see it, one interval apart, and the last of them decides and writes in
 * the same round trip: it polls (at most timeout_ms) and then writes to the
 * runtime API. So fall x interval + timeout_ms, plus FX_MARGIN_S.
 *
 * FX_REAPPLY_S: a decision already made (a CLI drain, a restarted or added
 * HAProxy, a slot filled on SIGHUP) is written by the next round: one
 * interval + timeout_ms, plus FX_MARGIN_S.
 *
 * FX_MARGIN_S: scheduling on the shared two-core machine. Measured over 9
 * runs of every controller suite (2.6 and 3.4, release and ASan, with a
 * load average up to 6 from other work): drains and returns took at most
 * 0.58 s against 0.55 s for fall x interval + timeout_ms, decisions already
 * made at most 0.18 s against 0.35 s. Half a second is many times the
 * largest overshoot and still far below a fall or two more of a slower
 * controller.
 */
#define FX_INTERVAL_S 0.2
#define FX_TIMEOUT_S  0.15
#define FX_FALL       2
#define FX_MARGIN_S   0.5
#define FX_DRAIN_S    (FX_FALL * FX_INTERVAL_S + FX_TIMEOUT_S + FX_MARGIN_S)
#define FX_REAPPLY_S  (FX_INTERVAL_S + FX_TIMEOUT_S + FX_MARGIN_S)
/* A tracking server (the heavy twin) follows its tracked one inside HAProxy at once (0 ms seen). */
#define FX_TRACK_S    FX_MARGIN_S

/* Waits for node<i>'s server to be drained (or not) in HAProxy. */
static PF_UNUSED void fx_expect_drain(int i, bool drained, double timeout_s)
{
	char srv[16], why[256];

	snprintf(srv, sizeof(srv), "node%d", i + 1);
	if (!h_wait_admin(&fx.hap, "be_polkadot", srv, FDRAIN, drained ? FDRAIN : 0, timeout_s, why,
	                  sizeof(why))) {
		h_print_log_tail(fx.ctl.log, 40);
		ck_abort_msg("%s: wanted %s within %.2f s: %s; ctl log %s", srv,
		             drained ? "DRAIN" : "READY", timeout_s, why, fx.ctl.log);
	}
}

/* polkfura_ctl_rounds_total from /metrics, -1 when absent. */
static PF_UNUSED long fx_rounds(void)
{
	struct h_resp r;
	const char *p;
	long n = -1;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	p = strstr(r.body, "\npolkfura_ctl_rounds_total ");
	if (p != NULL)
		n = strtol(p + 27, NULL, 10);
	h_resp_free(&r);
	return n;
}

/*
 * True when node<i> is in rotation right now, false when drained or in
 * maintenance. Fails the test when HAProxy does not answer: "not ready" must
 * never be what a dead HAProxy looks like.
 */
static PF_UNUSED bool fx_ready_now(int i)
{
	char srv[16];
	unsigned admin;

	snprintf(srv, sizeof(srv), "node%d", i + 1);
	ck_assert_msg(h_server_admin(&fx.hap, "be_polkadot", srv, &admin, NULL, 0, NULL),
	              "be_polkadot/%s: HAProxy (%s) does not answer or has no such server", srv,
	              fx.hap.admin_sock);
	return (admin & (FDRAIN | FMAINT)) == 0;
}

#endif
