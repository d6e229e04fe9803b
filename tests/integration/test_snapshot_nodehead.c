/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/nodehead.c against the node simulator: the finalized block
 * is the one the test steered (height 1000, finalized_lag 3, no new blocks:
 * 997) and its hash is what chain_getBlockHash(997) answers to `curl`; an
 * HTTP error, a JSON-RPC error and a port nobody listens on each fail with
 * their reason. Starts no HAProxy (it is in the Makefile's HAP34_BINS filter).
 */
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/nodehead.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"

static struct h_nodesim sim;
static char url[64];

static void setup(void)
{
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"finalized_lag\": 3}", NULL), 200);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sim.port[0]);
}

static void teardown(void)
{
	h_stop_all();
}

START_TEST(test_finalized)
{
	struct nodehead h;
	char err[256], cmd[512], out[1024], want[80];
	int st;

	ck_assert_msg(nodehead_get(url, 5000, &h, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(h.height, 997);
	snprintf(
	    cmd, sizeof(cmd),
	    "curl -sSf -H 'Content-Type: application/json' -d "
	    "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlockHash\",\"params\":[997]}' "
	    "%s",
	    url);
	st = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "curl: %s", out);
	snprintf(want, sizeof(want), "\"result\":\"%s\"", h.hash);
	ck_assert_msg(strstr(out, want) != NULL, "%s not in %s", h.hash, out);
	ck_assert_uint_eq(strlen(h.hash), 66);
}
END_TEST

START_TEST(test_failures)
{
	struct nodehead h;
	char err[256], want[128], dead[64];

	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"http_error\": 503}", NULL), 200);
	ck_assert_int_eq(nodehead_get(url, 5000, &h, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: finalized head: HTTP 503", url);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all",
	                                   "{\"http_error\": 0, \"rpc_error\": {\"code\": -32603, "
	                                   "\"message\": \"Internal error\"}}",
	                                   NULL),
	                 200);
	ck_assert_int_eq(nodehead_get(url, 5000, &h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "finalized head: rpc error -32603") != NULL, "%s", err);
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", h_free_port());
	ck_assert_int_eq(nodehead_get(dead, 5000, &h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "finalized head: Couldn't connect") != NULL, "%s", err);
}
END_TEST

static Suite *nodehead_suite(void)
{
	Suite *s = suite_create("snapshot_nodehead");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_finalized);
	tcase_add_test(tc, test_failures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(nodehead_suite());
}
