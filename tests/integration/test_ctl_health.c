/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl against a real haproxy and simulated nodes: a node that falls
 * behind is drained within a few intervals while the others stay, and comes
 * back after catching up; syncing, low-peer and hung nodes go out; all nodes
 * down keeps min_ready in; a whole-chain stall drains nobody.
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

START_TEST(test_lagging_node_drained_then_back)
{
	/* Everybody in at the start. */
	for (int i = 0; i < FX_NODES; i++)
		fx_expect_drain(i, false, FX_REAPPLY_S);
	/* p0 and p1 move 61 blocks ahead; p2 stays: 61 blocks > max_lag 5. */
	fx_steer(0, "{\"height\": 1061}");
	fx_steer(1, "{\"height\": 1061}");
	fx_expect_drain(2, true, FX_DRAIN_S);
	ck_assert(fx_ready_now(0) && fx_ready_now(1));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p2 ready -> drain: lag 61 blocks > 5", 2));
	/*
	 * Finalized numbers: the simulator finalizes 2 behind best, so the
	 * controller learns them through chain_getHeader(hash), asked once per
	 * chain per new hash and shared with the other nodes.
	 */
	{
		struct h_resp r;
		bool seen = false;

		for (double end = h_now() + 5; h_now() < end && !seen;) {
			ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
			seen = strstr(r.body, "\"name\":\"p0\"") != NULL &&
			       strstr(r.body, "\"best\":1061,\"finalized\":1059") != NULL &&
			       strstr(r.body, "\"best\":1000,\"finalized\":998") != NULL;
			h_resp_free(&r);
		}
		ck_assert_msg(seen, "finalized numbers not 2 behind best in /status.json");
	}
	/* The heavy backend's twin follows through track (inherited drain, 0x10). */
	H_EXPECT_ADMIN(&fx.hap, "be_polkadot_heavy", "node3", 0x10, 0x10, FX_TRACK_S);
	/* Caught up: back after rise good rounds. */
	fx_steer(2, "{\"height\": 1061}");
	fx_expect_drain(2, false, FX_DRAIN_S);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p2 drain -> ready", 2));
}
END_TEST

START_TEST(test_syncing_lowpeers_hung_out)
{
	struct h_resp r;

	fx_steer(0, "{\"syncing\": true}");
	fx_expect_drain(0, true, FX_DRAIN_S);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 ready -> drain: syncing", 2));
	fx_steer(1, "{\"peers\": 0}");
	fx_expect_drain(1, true, FX_DRAIN_S);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p1 ready -> drain: peers 0 < 2", 2));
	/*
	 * p2 hangs too: nobody deserves traffic now. min_ready 1 keeps the best
	 * of them in, and a reachable node beats a hung one: p1 (reachable,
	 * 0 peers) comes back in, p2 goes out.
	 */
	fx_steer(2, "{\"hang\": true}");
	fx_expect_drain(2, true, FX_DRAIN_S);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p2 ready -> drain: timeout 150 ms", 2));
	fx_expect_drain(1, false, FX_DRAIN_S);
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kept in: min_ready 1 (peers 0 < 2)"));
	h_resp_free(&r);
	/* p0 recovers: the floor lets p1 go again, p2 stays out. */
	fx_steer(0, "{\"syncing\": false}");
	fx_expect_drain(0, false, FX_DRAIN_S);
	fx_expect_drain(1, true, FX_DRAIN_S);
	ck_assert(fx_ready_now(0) && !fx_ready_now(2));
}
END_TEST

START_TEST(test_all_down_keeps_min_ready)
{
	struct h_resp r;
	int ready = 0;

	for (int i = 0; i < FX_NODES; i++)
		fx_steer(i, "{\"down\": true}");
	for (double end = h_now() + 5; h_now() < end;) {
		bool seen;

		ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
		seen = strstr(r.body, "kept in: no node reachable (connect:") != NULL;
		h_resp_free(&r);
		if (seen)
			break;
	}
	/* Give the controller a few more rounds to make its mind up. */
	{
		long start = fx_rounds(), now = start;

		for (double end = h_now() + 10; h_now() < end && now < start + 5;)
			now = fx_rounds();
		ck_assert_int_ge(now, start + 5);
	}
	for (int i = 0; i < FX_NODES; i++)
		ready += fx_ready_now(i);
	/* Nobody reachable: nobody is moved, so all three stay in (>= min_ready). */
	ck_assert_int_eq(ready, FX_NODES);
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kept in: no node reachable (connect:"));
	h_resp_free(&r);
}
END_TEST

START_TEST(test_chain_stall_drains_nobody)
{
	struct h_resp r;
	bool stalled = false;

	/* Heights never move (block_time 0): after stall_ms the chain is stalled. */
	for (double end = h_now() + 10; h_now() < end && !stalled;) {
		ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
		stalled = strstr(r.body, "\"stalled\":true") != NULL;
		h_resp_free(&r);
	}
	ck_assert(stalled);
	ck_assert(h_wait_file_contains(fx.ctl.log, "chain=polkadot stalled", 2));
	for (int i = 0; i < FX_NODES; i++)
		ck_assert(fx_ready_now(i));
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "polkfura_ctl_chain_stalled{chain=\"polkadot\"} 1"));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "polkfura_ctl_chain_ready_nodes{chain=\"polkadot\"} 3"));
	h_resp_free(&r);
	/* It moves again: no longer stalled. */
	for (int i = 0; i < FX_NODES; i++)
		fx_steer(i, "{\"height\": 1010}");
	ck_assert(h_wait_file_contains(fx.ctl.log, "advancing again", 5));
}
END_TEST

static Suite *ctl_health_suite(void)
{
	Suite *s = suite_create("ctl_health");
	TCase *tc = tcase_create("health");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_lagging_node_drained_then_back);
	tcase_add_test(tc, test_syncing_lowpeers_hung_out);
	tcase_add_test(tc, test_all_down_keeps_min_ready);
	tcase_add_test(tc, test_chain_stall_drains_nobody);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_health_suite());
}
