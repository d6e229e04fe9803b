/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl's single-call fallback against nodes that refuse JSON-RPC
 * batches as a polkadot-sdk node does (the simulator answers with jsonrpsee's
 * own bodies): p0 with batches disabled (-32005, --rpc-disable-batch-requests)
 * and p1 with a batch limit below the poll's four calls (-32010,
 * --rpc-max-batch-request-len 3). Each is switched to single calls and
 * logged once, is not drained for the refused poll, sends no batch again,
 * and is decided from its single answers as it was from batches: a lag
 * drains it within the fall bound and catching up brings it back.
 */
#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

static void setup(void)
{
	fx_start(NULL);
}

static void teardown(void)
{
	fx_stop();
}

/* Waits until the controller ran <n> more rounds. */
static void wait_rounds(long n)
{
	long start = fx_rounds(), now = start;

	for (double end = h_now() + 5; h_now() < end && now < start + n;)
		now = fx_rounds();
	ck_assert_int_ge(now, start + n);
}

START_TEST(test_refused_batches_switch_to_single_calls)
{
	static const char *const nodes[] = {"/nodes/polkadot-0", "/nodes/polkadot-1"};
	cJSON *st;
	double t0;

	for (int i = 0; i < FX_NODES; i++)
		fx_expect_drain(i, false, 5);
	fx_steer(0, "{\"batch\": false}");
	fx_steer(1, "{\"batch\": 3}");
	/* The next poll is refused, the one after is single calls: two rounds and the margin. */
	ck_assert(h_wait_file_contains(
	    fx.ctl.log, "node=p0 refuses JSON-RPC batches: polling with single calls",
	    fx_bound_s(1)));
	ck_assert(h_wait_file_contains(
	    fx.ctl.log, "node=p1 refuses JSON-RPC batches: polling with single calls",
	    fx_bound_s(1)));
	/*
	 * The nodes now see single calls only. Counted by the simulator, not the
	 * controller: no batch body in three rounds, and each poll's calls.
	 */
	for (size_t k = 0; k < PF_ARRAY_SIZE(nodes); k++) {
		char path[64];

		snprintf(path, sizeof(path), "%s/reset-counters", nodes[k]);
		ck_assert_int_eq(h_nodesim_control(&fx.sim, path, "", NULL), 200);
	}
	wait_rounds(3);
	for (size_t k = 0; k < PF_ARRAY_SIZE(nodes); k++) {
		ck_assert_msg(fx_sim_num(&fx.sim, nodes[k], "batches") == 0, "%s got a batch",
		              nodes[k]);
		ck_assert_msg(fx_sim_num(&fx.sim, nodes[k], "requests") >= 3 * 4,
		              "%s: %.0f calls in 3 rounds", nodes[k],
		              fx_sim_num(&fx.sim, nodes[k], "requests"));
	}
	/* The batch node is untouched: it still gets one batch a round. */
	ck_assert_int_gt(fx_sim_num(&fx.sim, "/nodes/polkadot-2", "batches"), 0);
	/* One refused poll is fewer than fall: neither node was taken out for it. */
	ck_assert_int_eq(fx_log_count("node=p0 ready -> drain"), 0);
	ck_assert_int_eq(fx_log_count("node=p1 ready -> drain"), 0);
	ck_assert(fx_ready_now(0) && fx_ready_now(1) && fx_ready_now(2));
	/* Logged once, not every round. */
	ck_assert_int_eq(fx_log_count("node=p0 refuses JSON-RPC batches"), 1);
	ck_assert_int_eq(fx_log_count("node=p1 refuses JSON-RPC batches"), 1);

	/* Decided from single answers: p1 and p2 move 61 blocks on, p0 stays. */
	fx_steer(1, "{\"height\": 1061}");
	fx_steer(2, "{\"height\": 1061}");
	t0 = h_now();
	fx_expect_drain(0, true, fx_bound_s(FX_FALL));
	fprintf(stderr, "single-call node drained %.2f s after the steer (bound %.2f s)\n",
	        h_now() - t0, fx_bound_s(FX_FALL));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 ready -> drain: lag 61 blocks > 5", 1));
	ck_assert(fx_ready_now(1) && fx_ready_now(2));
	/* Best and finalized (chain_getHeader(hash) sent single too) as the nodes hold them. */
	st = fx_status();
	ck_assert_double_eq(fx_json_num(fx_json_node(st, "polkadot", "p0"), "best"), 1000);
	ck_assert_double_eq(fx_json_num(fx_json_node(st, "polkadot", "p0"), "finalized"), 998);
	ck_assert_double_eq(fx_json_num(fx_json_node(st, "polkadot", "p1"), "best"), 1061);
	ck_assert_double_eq(fx_json_num(fx_json_node(st, "polkadot", "p1"), "finalized"), 1059);
	ck_assert_str_eq(fx_json_str(fx_json_node(st, "polkadot", "p1"), "poll"), "ok");
	cJSON_Delete(st);
	/* Caught up: back after rise good single polls. */
	fx_steer(0, "{\"height\": 1061}");
	fx_expect_drain(0, false, fx_bound_s(FX_RISE));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 drain -> ready", 1));
}
END_TEST

static Suite *ctl_fallback_suite(void)
{
	Suite *s = suite_create("ctl_fallback");
	TCase *tc = tcase_create("fallback");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refused_batches_switch_to_single_calls);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_fallback_suite());
}
