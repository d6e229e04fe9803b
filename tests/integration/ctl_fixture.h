/* SPDX-License-Identifier: MIT */
/*
 * Shared set-up of the controller scenarios: simulated polkadot nodes (3 by
 * default, fx_start_with() picks the count, the simulator's flags and
 * chain-level keys), the shipped haproxy.cfg with plain (unchecked) backends
 * so only the controller moves server state, and polkfura-ctl with a fast
 * interval. fx_start_opts() adds a kusama chain with its own simulator, nodes
 * behind TLS (https:// rpc URLs) and HAProxy's runtime API on TCP. Included
 * by the test_ctl_*.c files, one scenario family per file.
 */
#ifndef PF_TESTS_CTL_FIXTURE_H
#define PF_TESTS_CTL_FIXTURE_H

#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

#define FX_NODES 3 /* configured nodes unless fx_start_with() says otherwise */
#define FX_SLOTS 3
#define FX_MAX   8

/* fx_ctl_config()'s defaults that bound how fast the controller acts (fx_bound_s). */
#define FX_INTERVAL_MS 200
#define FX_TIMEOUT_MS  150
#define FX_FALL        2
#define FX_RISE        2

struct fixture {
	struct h_nodesim sim;
	struct h_nodesim ksim; /* kusama nodes k0..k<kn-1>, when kn > 0 */
	struct h_agent agent;
	struct h_haproxy hap;
	struct h_ctl ctl;
	char state_file[512];
	int n;                /* configured nodes p0..p<n-1> on servers node1..node<n> */
	const char *chain;    /* extra keys of the chain object, each with its comma; borrowed */
	unsigned singles;     /* bit i: node p<i> polled with single calls ("batch": false) */
	char token_file[512]; /* admin_token_file; "" leaves the key out */
	int kn;   /* kusama nodes k0..k<kn-1> on servers knode1..knode<kn> of be_kusama */
	bool tls; /* the simulators serve TLS: rpc URLs are https:// */
};

/* What fx_start_opts() sets up; zero fields: FX_NODES nodes, simulator defaults, plain HTTP. */
struct fx_opts {
	int n;                 /* polkadot nodes (FX_NODES when 0) */
	const char *sim_args;  /* the polkadot simulator's flags */
	const char *chain;     /* extra keys of the polkadot chain object (a literal) */
	unsigned singles;      /* bit i: p<i> polled with single calls */
	const char *tuning;    /* top-level keys, as in fx_ctl_config() */
	int kusama;            /* kusama nodes, 0: no kusama chain */
	const char *ksim_args; /* the kusama simulator's flags */
	bool tls;              /* both simulators behind TLS with the harness's certificate */
	bool tcp_admin;        /* HAProxy's runtime API on ipv4@127.0.0.1:PORT, not a unix socket */
	bool agent_metrics;    /* the agent serves /metrics on fx.agent.metrics_port */
	const char
	    *hap_env[4]; /* more of HAProxy's environment ("PF_LOG_TARGET=..."), NULL-ended */
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
	/* No kusama chain, no kusama backends: the chains are the site's files only. */
	if (fx.kn > 0) {
		fprintf(f, "backend be_kusama\n    balance roundrobin\n"
		           "    default-server check inter 1s\n");
		for (int i = 0; i < fx.kn; i++)
			fprintf(f, "    server knode%d 127.0.0.1:%d\n", i + 1, fx.ksim.port[i]);
		fprintf(f, "backend be_kusama_heavy\n    balance roundrobin\n");
		for (int i = 0; i < fx.kn; i++)
			fprintf(f, "    server knode%d 127.0.0.1:%d track be_kusama/knode%d\n",
			        i + 1, fx.ksim.port[i], i + 1);
	}
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
		        " \"rpc\": \"%s://127.0.0.1:%d/\"%s}",
		        i ? ", " : "", i, i + 1, fx.tls ? "https" : "http", fx.sim.port[i],
		        (fx.singles >> i) & 1u ? ", \"batch\": false" : "");
	fprintf(f, "%s%s]}", extra_nodes != NULL ? ", " : "",
	        extra_nodes != NULL ? extra_nodes : "");
	if (fx.kn > 0) {
		fprintf(f, ", {\"name\": \"kusama\", \"backend\": \"be_kusama\","
		           " \"heavy_backends\": [\"be_kusama_heavy\"], \"nodes\": [");
		for (int i = 0; i < fx.kn; i++)
			fprintf(f,
			        "%s{\"name\": \"k%d\", \"server\": \"knode%d\","
			        " \"rpc\": \"%s://127.0.0.1:%d/\"}",
			        i ? ", " : "", i, i + 1, fx.tls ? "https" : "http",
			        fx.ksim.port[i]);
		fprintf(f, "]}");
	}
	fprintf(f, "]}");
	ck_assert_int_eq(fclose(f), 0);
	return c;
}

static char fx_socket_item[600];

/* Starts a simulator of <chain> with <n> nodes and <args>, behind TLS when fx.tls. */
static void fx_start_sim(struct h_nodesim *sim, const char *chain, int n, const char *args)
{
	char all[1600];

	/* The harness's own certificate (127.0.0.1 among its names), signed by h_ca_file(). */
	if (fx.tls)
		snprintf(all, sizeof(all), "%s --tls-cert %s/site.crt --tls-key %s/site.key",
		         args != NULL ? args : "", h_tmpdir(), h_tmpdir());
	else
		snprintf(all, sizeof(all), "%s", args != NULL ? args : "");
	ck_assert_ptr_nonnull(h_ca_file()); /* makes the certificate on first use */
	ck_assert_msg(h_nodesim_start(sim, chain, n, all), "nodesim: %s", sim->log);
}

/*
 * Everything of fx_start_with(), plus what <o> asks for: a kusama chain with
 * its own simulator, nodes behind TLS, HAProxy's runtime API on TCP.
 */
static void fx_start_opts(const struct fx_opts *o)
{
	char *backends, *cfg, *env[6] = {NULL};
	char env_sock[64];
	int n = o->n > 0 ? o->n : FX_NODES, n_env = 0;

	memset(&fx, 0, sizeof(fx));
	ck_assert_int_le(n, FX_MAX);
	fx.n = n;
	fx.chain = o->chain;
	fx.singles = o->singles;
	fx.kn = o->kusama;
	fx.tls = o->tls;
	snprintf(fx.state_file, sizeof(fx.state_file), "%s/ctl-state-%d.json", h_tmpdir(),
	         (int)getpid());
	snprintf(fx.token_file, sizeof(fx.token_file), "%s/ctl-token-%d", h_tmpdir(),
	         (int)getpid());
	ck_assert_int_eq(h_write_file(fx.token_file, FX_TOKEN "\n"), 0);
	ck_assert_int_eq(chmod(fx.token_file, 0600), 0);
	fx_start_sim(&fx.sim, "polkadot", n + 1, o->sim_args);
	if (fx.kn > 0)
		fx_start_sim(&fx.ksim, "kusama", fx.kn, o->ksim_args);
	if (o->agent_metrics) {
		static char mport[32];
		const char *extra[] = {"--metrics", mport, NULL};

		fx.agent.metrics_port = h_free_port();
		snprintf(mport, sizeof(mport), "127.0.0.1:%d", fx.agent.metrics_port);
		ck_assert(h_agent_start(&fx.agent, extra));
	} else {
		ck_assert(h_agent_start(&fx.agent, NULL));
	}
	backends = fx_backends();
	/* The shipped haproxy.cfg takes the socket from PF_ADMIN_SOCKET: a TCP one is ipv4@. */
	if (o->tcp_admin) {
		snprintf(env_sock, sizeof(env_sock), "PF_ADMIN_SOCKET=ipv4@127.0.0.1:%d",
		         h_free_port());
		env[n_env++] = env_sock;
	}
	for (int i = 0; i < 4 && o->hap_env[i] != NULL; i++)
		env[n_env++] = (char *)(uintptr_t)o->hap_env[i]; /* h_haproxy_start only reads it */
	ck_assert_msg(h_haproxy_start(&fx.hap, backends, fx.agent.port, env), "haproxy: %s",
	              fx.hap.log);
	free(backends);
	fx.ctl.http_port = h_free_port();
	/* The controller names a TCP socket HOST:PORT (ctl/CONFIG.md), without HAProxy's ipv4@. */
	if (o->tcp_admin)
		snprintf(fx_socket_item, sizeof(fx_socket_item), "\"%.500s\"",
		         fx.hap.admin_sock + 5);
	else
		snprintf(fx_socket_item, sizeof(fx_socket_item), "\"unix:%s\"", fx.hap.admin_sock);
	cfg = fx_ctl_config(fx_socket_item, NULL, o->tuning);
	ck_assert_msg(h_ctl_start(&fx.ctl, cfg), "ctl did not start: %s", fx.ctl.log);
	free(cfg);
}

/*
 * <n> configured nodes (one more simulated, spare for template tests), the
 * simulator started with <sim_args>, <chain> added to the chain object (kept
 * by pointer: a literal), node p<i> polled with single calls when bit i of
 * <singles> is set, <tuning> as in fx_ctl_config().
 */
static PF_UNUSED void fx_start_with(int n, const char *sim_args, const char *chain,
                                    unsigned singles, const char *tuning)
{
	fx_start_opts(&(struct fx_opts){
	    .n = n, .sim_args = sim_args, .chain = chain, .singles = singles, .tuning = tuning});
}

/* The simulator's flags of fx_start(): nodes at static heights (the tests move them). */
#define FX_SIM_STATIC "--block-time-ms 0 --height 1000"

/* Three nodes at static heights. */
static PF_UNUSED void fx_start(const char *tuning)
{
	fx_start_with(FX_NODES, FX_SIM_STATIC, NULL, 0, tuning);
}

/* Stops every child of the test, newest first, and asserts each exit (h_stop_all). */
static PF_UNUSED void fx_stop(void)
{
	fx.ctl.pid = fx.hap.pid = fx.agent.pid = fx.sim.pid = fx.ksim.pid = 0;
	h_stop_all();
}

/* Steers simulated node <i> with JSON <steer>. */
static PF_UNUSED void fx_steer(int i, const char *steer)
{
	char path[64];

	snprintf(path, sizeof(path), "/nodes/polkadot-%d", i);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, path, steer, NULL), 200);
}

/* Steers simulated kusama node <i> with JSON <steer>. */
static PF_UNUSED void fx_ksteer(int i, const char *steer)
{
	char path[64];

	snprintf(path, sizeof(path), "/nodes/kusama-%d", i);
	ck_assert_int_eq(h_nodesim_control(&fx.ksim, path, steer, NULL), 200);
}

#define FDRAIN 0x08u
#define FMAINT 0x01u

/*
 * Time bounds from the fixture's defaults (fx_ctl_config: interval_ms 200,
 * timeout_ms 150, fall 2, rise 2); a test that changes them says its own.
 *
 * fx_bound_s(polls): from a node's change of health (a steer, answered from
 * the next request on) until HAProxy shows what <polls> bad (or good) polls
 * in a row decide: if the change lands just after a round polled, the next
 * <polls> rounds see it, one interval apart, and the last of them decides
 * and writes in the same round trip: it polls (at most timeout_ms) and then
 * writes to the runtime API. So polls x interval + timeout_ms, plus
 * FX_MARGIN_S. FX_DRAIN_S is a drain or a return (fall = rise = 2).
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
#define FX_MARGIN_S 0.5

static PF_UNUSED double fx_bound_s(int polls)
{
	return (polls * FX_INTERVAL_MS + FX_TIMEOUT_MS) / 1000.0 + FX_MARGIN_S;
}

#define FX_INTERVAL_S (FX_INTERVAL_MS / 1000.0)
#define FX_TIMEOUT_S  (FX_TIMEOUT_MS / 1000.0)
#define FX_DRAIN_S    fx_bound_s(FX_FALL)
#define FX_REAPPLY_S  fx_bound_s(1)
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

/* How many times the controller's log holds <needle> now (no waiting). */
static PF_UNUSED int fx_log_count(const char *needle)
{
	char *log = h_read_file(fx.ctl.log, NULL);
	int n = 0;

	ck_assert_ptr_nonnull(log);
	for (const char *p = strstr(log, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	free(log);
	return n;
}

/* GET /status.json, parsed (the caller frees it with cJSON_Delete). */
static PF_UNUSED cJSON *fx_status(void)
{
	struct h_resp r;
	cJSON *root;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
	root = cJSON_Parse(r.body);
	ck_assert_msg(root != NULL, "/status.json is not JSON: %s", r.body);
	h_resp_free(&r);
	return root;
}

/*
 * Waits until every node of every chain in /status.json has a decision (a
 * non-empty "why"): /healthz, which h_ctl_start() waits for, is 200 as soon
 * as the first round starts, before its polls are answered.
 */
static PF_UNUSED void fx_wait_decided(double timeout_s)
{
	bool all = false;

	for (double end = h_now() + timeout_s; h_now() < end && !all;) {
		cJSON *st = fx_status();
		const cJSON *ch, *nd;

		all = true;
		cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(st, "chains"))
		{
			cJSON_ArrayForEach(nd, cJSON_GetObjectItemCaseSensitive(ch, "nodes"))
			{
				const cJSON *why = cJSON_GetObjectItemCaseSensitive(nd, "why");

				all = all && cJSON_IsString(why) && why->valuestring[0] != '\0';
			}
		}
		cJSON_Delete(st);
	}
	ck_assert_msg(all, "a node has no decision after %.1f s; ctl log %s", timeout_s,
	              fx.ctl.log);
}

/* Chain <chain> of a parsed /status.json (or of `status --json`), NULL when absent. */
static PF_UNUSED const cJSON *fx_json_chain(const cJSON *root, const char *chain)
{
	const cJSON *ch;

	cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(root, "chains"))
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(ch, "name");

		if (cJSON_IsString(name) && strcmp(name->valuestring, chain) == 0)
			return ch;
	}
	return NULL;
}

/* Node <node> of chain <chain> in a parsed status, NULL when absent. */
static PF_UNUSED const cJSON *fx_json_node(const cJSON *root, const char *chain, const char *node)
{
	const cJSON *nd;

	cJSON_ArrayForEach(nd,
	                   cJSON_GetObjectItemCaseSensitive(fx_json_chain(root, chain), "nodes"))
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(nd, "name");

		if (cJSON_IsString(name) && strcmp(name->valuestring, node) == 0)
			return nd;
	}
	return NULL;
}

/* String member <key> of <obj>, "" when absent or not a string. */
static PF_UNUSED const char *fx_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Number member <key> of <obj>, -1 when absent or not a number. */
static PF_UNUSED double fx_json_num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* A counter or steer key of simulated node <path> ("/nodes/polkadot-0") of <sim>, -1 when absent.
 */
static PF_UNUSED double fx_sim_num(const struct h_nodesim *sim, const char *path, const char *key)
{
	struct h_resp r;
	cJSON *v;
	double n;

	ck_assert_int_eq(h_nodesim_control(sim, path, NULL, &r), 200);
	v = cJSON_Parse(r.body);
	ck_assert_ptr_nonnull(v);
	n = fx_json_num(v, key);
	cJSON_Delete(v);
	h_resp_free(&r);
	return n;
}

#endif
