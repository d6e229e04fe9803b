/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl against a real haproxy and simulated nodes that make a block
 * every BT_MS: with 2 nodes, the one that stops is drained once its lag
 * exceeds max_lag; with 3 nodes, two that stop are both drained (min_ready
 * 1); a node of another network, far ahead, is out at once with a reason
 * naming both genesis hashes, logged once, and nobody else moves.
 */
#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

#define BT_MS       500 /* the simulator's block time, and the chain's block_time_ms */
#define INTERVAL_MS 200 /* the fixture's interval_ms */
#define MAX_LAG     5   /* the fixture's max_lag */
#define FALL        2   /* the fixture's fall */

#define SIM_ARGS "--block-time-ms 500 --height 1000"
#define CHAIN_BT "\"block_time_ms\": 500,"
#define POLKADOT "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"
#define NO_STUCK "\"stall_ms\": 60000" /* so the drain comes from the lag, not from being stuck */
#define SIM_NODE "/nodes/polkadot-%d"

/*
 * A stopped node's lag exceeds max_lag once the others made max_lag + 1
 * blocks: no sooner than max_lag block times after the stop (the first may
 * come right after it), no later than max_lag + 2 (a block of phase, a block
 * for the round that sees it). Then fall bad rounds, and a round or two to
 * reach HAProxy.
 */
#define LAG_EARLIEST_S ((double)MAX_LAG * BT_MS / 1000)
#define LAG_LATEST_S                                                                               \
	((double)(MAX_LAG + 2) * BT_MS / 1000 + (double)(FALL + 2) * INTERVAL_MS / 1000)

static void teardown(void)
{
	fx_stop();
}

static void steer(int i, const char *json)
{
	char path[64];

	snprintf(path, sizeof(path), SIM_NODE, i);
	ck_assert_int_eq(h_nodesim_control(&fx.sim, path, json, NULL), 200);
}

/* Waits until node<i> is drained; returns the seconds since <t0>. */
static double drained_after(int i, double t0, double timeout_s)
{
	fx_expect_drain(i, true, timeout_s);
	return h_now() - t0;
}

/* The /status.json "why" of node p<i> contains <needle>. */
static bool status_why_has(int i, const char *needle)
{
	char name[32];
	struct h_resp r;
	const char *at, *why;
	bool found = false;

	snprintf(name, sizeof(name), "\"name\":\"p%d\"", i);
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
	at = strstr(r.body, name);
	why = at != NULL ? strstr(at, "\"why\":\"") : NULL;
	if (why != NULL) {
		const char *end = strchr(why + 7, '"');

		found = end != NULL && memmem(why, (size_t)(end - why), needle, strlen(needle));
	}
	h_resp_free(&r);
	return found;
}

/* Node p<i>'s object in /status.json has <field> (e.g. "\"foreign\":true"). */
static bool status_node_has(int i, const char *field)
{
	char name[32];
	struct h_resp r;
	const char *at, *next, *hit;
	bool found;

	snprintf(name, sizeof(name), "\"name\":\"p%d\"", i);
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
	at = strstr(r.body, name);
	next = at != NULL ? strstr(at + 1, "\"name\":\"p") : NULL;
	hit = at != NULL ? strstr(at, field) : NULL;
	found = hit != NULL && (next == NULL || hit < next);
	h_resp_free(&r);
	return found;
}

START_TEST(test_two_nodes_laggard_drained)
{
	double t0, after;

	fx_start_with(2, SIM_ARGS, CHAIN_BT, 0, NO_STUCK);
	fx_expect_drain(0, false, FX_REAPPLY_S);
	fx_expect_drain(1, false, FX_REAPPLY_S);
	/* The two agree (a round ran); then p1 stops while p0 keeps making a block every BT_MS. */
	steer(1, "{\"stall\": true}");
	t0 = h_now();
	after = drained_after(1, t0, LAG_LATEST_S);
	ck_assert_msg(after >= LAG_EARLIEST_S,
	              "p1 drained %.2f s after it stopped, before its lag "
	              "could exceed max_lag (%.2f s)",
	              after, LAG_EARLIEST_S);
	ck_assert(fx_ready_now(0));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p1 ready -> drain: lag ", 1));
	ck_assert(status_why_has(0, "ok"));
	/* It catches up: back after rise good rounds (min_drain_ms is 0 here). */
	steer(1, "{\"stall\": false}");
	ck_assert_int_eq(h_nodesim_control(&fx.sim, "/all", "{\"height\": 5000}", NULL), 200);
	fx_expect_drain(1, false, (double)(2 + 2) * INTERVAL_MS / 1000 + 1);
	ck_assert(fx_ready_now(0));
}
END_TEST

START_TEST(test_three_nodes_two_laggards_drained)
{
	double t0, a1, a2;

	/* p0, the one that keeps up, is polled with single calls: four in flight per round. */
	fx_start_with(3, SIM_ARGS, CHAIN_BT, 1u << 0, "\"min_ready\": 1, " NO_STUCK);
	for (int i = 0; i < 3; i++)
		fx_expect_drain(i, false, FX_REAPPLY_S);
	steer(1, "{\"stall\": true}");
	steer(2, "{\"stall\": true}");
	t0 = h_now();
	a1 = drained_after(1, t0, LAG_LATEST_S);
	a2 = drained_after(2, t0, LAG_LATEST_S);
	ck_assert_msg(a1 >= LAG_EARLIEST_S && a2 >= LAG_EARLIEST_S,
	              "drained %.2f and %.2f s after they stopped, before %.2f s", a1, a2,
	              LAG_EARLIEST_S);
	ck_assert(fx_ready_now(0));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p1 ready -> drain: lag ", 1));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p2 ready -> drain: lag ", 1));
	ck_assert(status_why_has(0, "ok"));
}
END_TEST

/* The simulator's genesis for node <i> (chain_getBlockHash(0)), into <out>. */
static void node_genesis(int i, char *out, size_t len)
{
	static const char *const hdrs[] = {"Content-Type: application/json", NULL};
	char url[64];
	struct h_req req = {0};
	struct h_resp r;
	const char *at;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fx.sim.port[i]);
	req.url = url;
	req.body =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlockHash\",\"params\":[0]}";
	req.headers = hdrs;
	ck_assert_int_eq(h_http(&req, &r), 200);
	at = strstr(r.body, "\"result\":\"");
	ck_assert_ptr_nonnull(at);
	snprintf(out, len, "%.66s", at + 10);
	h_resp_free(&r);
}

START_TEST(test_other_network_out)
{
	static const char *const foreign[] = {"node=p2 is on another network", NULL};
	char theirs[80], why[256];
	double t0, after;
	long rounds;

	/* fall 5: a drain by fall rounds would take a second, one at once a round or two. */
	fx_start_with(3, SIM_ARGS, CHAIN_BT, 0, "\"fall\": 5");
	for (int i = 0; i < 3; i++)
		fx_expect_drain(i, false, FX_REAPPLY_S);
	/* p2 turns into a node of another network, far ahead. */
	steer(2, "{\"network\": \"kusama\", \"height\": 30000000}");
	t0 = h_now();
	node_genesis(2, theirs, sizeof(theirs));
	ck_assert_str_ne(theirs, POLKADOT);
	/* Out at once: the round that polls it, the one that writes it, one of slack. */
	after = drained_after(2, t0, (double)3 * INTERVAL_MS / 1000);
	ck_assert_msg(after <= (double)3 * INTERVAL_MS / 1000, "p2 drained after %.2f s", after);
	snprintf(why, sizeof(why), "another network: genesis %s, expected %s", theirs, POLKADOT);
	ck_assert_msg(status_why_has(2, why), "no \"%s\" in /status.json", why);
	ck_assert(status_node_has(2, "\"foreign\":true"));
	ck_assert(status_node_has(1, "\"foreign\":false"));
	ck_assert(fx_ready_now(0) && fx_ready_now(1));
	/* Logged once, not once per round. */
	ck_assert_int_eq(h_wait_log_count(fx.ctl.log, foreign, 1, 2), 1);
	rounds = fx_rounds();
	for (double end = h_now() + 10; h_now() < end && fx_rounds() < rounds + 5;)
		;
	ck_assert_int_ge(fx_rounds(), rounds + 5);
	ck_assert_int_eq(h_log_count(fx.ctl.log, foreign), 1);
	ck_assert(fx_ready_now(0) && fx_ready_now(1) && !fx_ready_now(2));
}
END_TEST

static Suite *ctl_lag_suite(void)
{
	Suite *s = suite_create("ctl_lag");
	TCase *tc = tcase_create("lag");

	/* Each test starts its own cluster: node counts and tuning differ. */
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_two_nodes_laggard_drained);
	tcase_add_test(tc, test_three_nodes_two_laggards_drained);
	tcase_add_test(tc, test_other_network_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_lag_suite());
}
