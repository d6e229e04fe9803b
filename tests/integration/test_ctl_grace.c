/* SPDX-License-Identifier: MIT */
/*
 * Drain grace: a drained node keeps its open WebSocket subscriptions for
 * drain_grace_ms, then the controller shuts its sessions so subscribers
 * reconnect to a healthy node instead of sitting on a stale one.
 */
#include <sys/wait.h>

#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

static void setup(void)
{
	fx_start("\"drain_grace_ms\": 1500");
}

static void teardown(void)
{
	fx_stop();
}

static void hcmd(const char *cmd)
{
	char *r = h_haproxy_cmd(&fx.hap, cmd);

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r[strspn(r, "\r\n ")] == '\0', "%s: %s", cmd, r);
	free(r);
}

START_TEST(test_sessions_shut_after_grace)
{
	char cmd[1400], out[2048], url[128], np[600];
	double t0, t_closed;
	FILE *p;
	size_t n;
	int st;

	/* Only node1 in rotation, so the WebSocket lands there. */
	hcmd("set server be_polkadot/node2 state maint");
	hcmd("set server be_polkadot/node3 state maint");
	snprintf(url, sizeof(url), "wss://polkadot.localhost:%d/", fx.hap.https_port);
	snprintf(cmd, sizeof(cmd),
	         "%s node tests/harness/ws_subscribe.js --url %s --ca %s --notifications 1000000 "
	         "--until-close --timeout-ms 20000 2>&1",
	         h_node_path_env(np, sizeof(np)), url, h_ca_file());
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	/* Wait until the upgraded connection is established on node1. */
	{
		bool up = false;

		for (double end = h_now() + 10; h_now() < end && !up;) {
			char *sess = h_haproxy_cmd(&fx.hap, "show sess");

			up = sess != NULL && strstr(sess, "be=be_polkadot srv=node1") != NULL;
			free(sess);
		}
		ck_assert_msg(up, "no session on be_polkadot/node1");
	}
	/* Hand the drain to the controller: node1 stops syncing well. */
	hcmd("set server be_polkadot/node2 state ready");
	fx_steer(0, "{\"syncing\": true}");
	fx_expect_drain(0, true, 5);
	t0 = h_now();
	n = fread(out, 1, sizeof(out) - 1, p); /* returns when the script exits */
	out[n] = '\0';
	t_closed = h_now();
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ws: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"upgraded\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"closed\":"));
	/* Not before the grace period, and not long after it. */
	ck_assert_msg(t_closed - t0 >= 1.2, "closed after %.2f s", t_closed - t0);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 drained for 1500 ms: shutting", 2));
}
END_TEST

static Suite *ctl_grace_suite(void)
{
	Suite *s = suite_create("ctl_grace");
	TCase *tc = tcase_create("grace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sessions_shut_after_grace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_grace_suite());
}
