/* SPDX-License-Identifier: MIT */
/*
 * One controller, two chains: polkadot (p0..p2 at height 1000) and kusama
 * (k0..k2 at 5000, its own simulator, backend and genesis) in one config and
 * one HAProxy. A lag drained in one chain leaves the other alone, each way:
 * heights are never compared across chains (kusama's 5000 is no reason to
 * drain a polkadot node at 1000, nor the reverse), and no kusama server moves
 * while polkadot's drain happens. `status --json` prints both chains as the
 * nodes hold them: each chain's reference, genesis and decisions.
 */
#include <sys/wait.h>

#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

#define KUSAMA_ARGS "--block-time-ms 0 --height 5000"

static void setup(void)
{
	fx_start_opts(&(struct fx_opts){
	    .sim_args = FX_SIM_STATIC, .kusama = FX_NODES, .ksim_args = KUSAMA_ARGS});
}

static void teardown(void)
{
	fx_stop();
}

/* The admin state of be_kusama/knode<i+1>; fails the test when HAProxy does not show it. */
static unsigned kusama_admin(int i)
{
	char srv[16];
	unsigned admin;

	snprintf(srv, sizeof(srv), "knode%d", i + 1);
	ck_assert_msg(h_server_admin(&fx.hap, "be_kusama", srv, &admin, NULL, 0, NULL),
	              "be_kusama/%s: HAProxy (%s) does not answer or has no such server", srv,
	              fx.hap.admin_sock);
	return admin;
}

/* Waits for be_kusama/knode<i+1> to be drained (or not). */
static void expect_kusama_drain(int i, bool drained, double timeout_s)
{
	char srv[16];

	snprintf(srv, sizeof(srv), "knode%d", i + 1);
	H_EXPECT_ADMIN(&fx.hap, "be_kusama", srv, FDRAIN, drained ? FDRAIN : 0, timeout_s);
}

/* `polkfura-ctl status --json` against the running controller: exit 0, one JSON document. */
static cJSON *status_json_cli(void)
{
	static char out[65536];
	char cmd[1400], err_path[600];
	cJSON *root;
	int st;

	snprintf(err_path, sizeof(err_path), "%s/status-json.err", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl status --json --config %s 2>%s", h_build_dir(),
	         fx.ctl.config, err_path);
	st = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status --json: status %d", st);
	/* The raw document and a newline: nothing else on stdout. */
	ck_assert_uint_lt(strlen(out), sizeof(out) - 1);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	root = cJSON_Parse(out);
	ck_assert_msg(root != NULL, "status --json is not JSON: %s", out);
	return root;
}

static void expect_node(const cJSON *root, const char *chain, const char *node, const char *state,
                        double best)
{
	const cJSON *nd = fx_json_node(root, chain, node);

	ck_assert_msg(nd != NULL, "%s/%s missing", chain, node);
	ck_assert_msg(strcmp(fx_json_str(nd, "state"), state) == 0, "%s/%s: state %s, want %s",
	              chain, node, fx_json_str(nd, "state"), state);
	ck_assert_double_eq(fx_json_num(nd, "best"), best);
}

START_TEST(test_two_chains_drain_apart)
{
	cJSON *st;
	double t0;
	int kusama_moves = 0;

	for (int i = 0; i < FX_NODES; i++) {
		fx_expect_drain(i, false, 5);
		expect_kusama_drain(i, false, 5);
	}
	fx_wait_decided(fx_bound_s(1));
	/* Both chains as status --json prints them: each its own reference and network. */
	st = status_json_cli();
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "chains")), 2);
	ck_assert_double_eq(fx_json_num(fx_json_chain(st, "polkadot"), "reference_best"), 1000);
	ck_assert_double_eq(fx_json_num(fx_json_chain(st, "kusama"), "reference_best"), 5000);
	/* The simulator answers Polkadot's real genesis for polkadot, its own for kusama. */
	ck_assert_str_eq(fx_json_str(fx_json_chain(st, "polkadot"), "genesis"),
	                 "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3");
	ck_assert_str_ne(fx_json_str(fx_json_chain(st, "kusama"), "genesis"),
	                 fx_json_str(fx_json_chain(st, "polkadot"), "genesis"));
	for (int i = 0; i < FX_NODES; i++) {
		char p[16], k[16];

		snprintf(p, sizeof(p), "p%d", i);
		snprintf(k, sizeof(k), "k%d", i);
		expect_node(st, "polkadot", p, "ready", 1000);
		expect_node(st, "kusama", k, "ready", 5000);
	}
	cJSON_Delete(st);

	/* polkadot: p0 and p1 61 blocks on, p2 drained; no kusama server moves meanwhile. */
	fx_steer(0, "{\"height\": 1061}");
	fx_steer(1, "{\"height\": 1061}");
	t0 = h_now();
	while (fx_ready_now(2) && h_now() < t0 + fx_bound_s(FX_FALL))
		for (int i = 0; i < FX_NODES; i++)
			kusama_moves += kusama_admin(i) != 0;
	fx_expect_drain(2, true, 0.05);
	fprintf(stderr, "polkadot drain %.2f s after the steer (bound %.2f s)\n", h_now() - t0,
	        fx_bound_s(FX_FALL));
	ck_assert_int_eq(kusama_moves, 0);
	ck_assert(h_wait_file_contains(
	    fx.ctl.log, "chain=polkadot node=p2 ready -> drain: lag 61 blocks > 5", 1));

	/* kusama: k1 and k2 61 blocks on, k0 drained; polkadot stays as it was. */
	fx_ksteer(1, "{\"height\": 5061}");
	fx_ksteer(2, "{\"height\": 5061}");
	expect_kusama_drain(0, true, fx_bound_s(FX_FALL));
	ck_assert(h_wait_file_contains(
	    fx.ctl.log, "chain=kusama node=k0 ready -> drain: lag 61 blocks > 5", 1));
	ck_assert(fx_ready_now(0) && fx_ready_now(1) && !fx_ready_now(2));
	for (int i = 1; i < FX_NODES; i++)
		ck_assert_int_eq(kusama_admin(i), 0);
	/* Each drain logged once, in its own chain; nothing else changed state. */
	ck_assert_int_eq(fx_log_count("ready -> drain"), 2);
	ck_assert_int_eq(fx_log_count("drain -> ready"), 0);

	st = status_json_cli();
	ck_assert_double_eq(fx_json_num(fx_json_chain(st, "polkadot"), "reference_best"), 1061);
	ck_assert_double_eq(fx_json_num(fx_json_chain(st, "kusama"), "reference_best"), 5061);
	expect_node(st, "polkadot", "p2", "drain", 1000);
	expect_node(st, "kusama", "k0", "drain", 5000);
	expect_node(st, "kusama", "k1", "ready", 5061);
	ck_assert_str_eq(fx_json_str(fx_json_node(st, "polkadot", "p2"), "why"),
	                 "lag 61 blocks > 5");
	ck_assert_str_eq(fx_json_str(fx_json_node(st, "kusama", "k0"), "why"), "lag 61 blocks > 5");
	cJSON_Delete(st);
	{
		struct h_resp r;

		ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
		ck_assert_ptr_nonnull(
		    strstr(r.body, "polkfura_ctl_chain_ready_nodes{chain=\"polkadot\"} 2\n"));
		ck_assert_ptr_nonnull(
		    strstr(r.body, "polkfura_ctl_chain_ready_nodes{chain=\"kusama\"} 2\n"));
		h_resp_free(&r);
	}
}
END_TEST

static Suite *ctl_chains_suite(void)
{
	Suite *s = suite_create("ctl_chains");
	TCase *tc = tcase_create("chains");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_two_chains_drain_apart);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_chains_suite());
}
