/* SPDX-License-Identifier: MIT */
/*
 * PF_HARD_STOP_AFTER (haproxy.cfg's hard-stop-after): after a reload of the
 * master-worker HAProxy that systemd runs, the old worker serves its open
 * connections until they end, and a WebSocket subscription need never end.
 * With an open subscription through the old worker, a reload must leave no
 * old worker behind once PF_HARD_STOP_AFTER has passed, and not before: the
 * subscription is closed by HAProxy, and the new worker serves.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

#define HARD_STOP_S 2 /* PF_HARD_STOP_AFTER of the test: short, the claim is the same */

static struct h_nodesim sim;
static struct h_agent agent;
static struct h_haproxy hap;

static void teardown(void)
{
	h_stop_all();
}

static void start_edge(void)
{
	static const char *const names[] = {"polkadot"};
	const struct h_nodesim *sims[] = {&sim};
	char env_stop[64], *env[2] = {env_stop, NULL}, *text;

	snprintf(env_stop, sizeof(env_stop), "PF_HARD_STOP_AFTER=%ds", HARD_STOP_S);
	ck_assert(h_nodesim_start(&sim, "polkadot", 1, NULL));
	ck_assert(h_agent_start(&agent, NULL));
	text = h_backends_chains(sims, names, 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(h_haproxy_start_master_worker(&hap, text, agent.port, env), "haproxy: %s",
	              hap.log);
	free(text);
}

/* True once <pid> no longer exists (the master reaps its old workers, not us). */
static bool gone(long pid)
{
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

START_TEST(test_old_worker_leaves_after_hard_stop)
{
	char cmd[1400], out[2048], url[128], np[600];
	double t_reload, t_gone = 0;
	long old, now_pid;
	bool up = false;
	FILE *p;
	size_t n;
	int st;

	start_edge();
	old = h_haproxy_info_pid(&hap);
	ck_assert_int_gt(old, 0);
	snprintf(url, sizeof(url), "wss://polkadot.localhost:%d/", hap.https_port);
	snprintf(cmd, sizeof(cmd),
	         "%s node tests/harness/ws_subscribe.js --url %s --ca %s --notifications 1000000 "
	         "--until-close --timeout-ms 30000 2>&1",
	         h_node_path_env(np, sizeof(np)), url, h_ca_file());
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	for (double end = h_now() + 10; h_now() < end && !up; usleep(20000)) {
		char *sess = h_haproxy_cmd(&hap, "show sess");

		up = sess != NULL && strstr(sess, "be=be_polkadot srv=node1") != NULL;
		free(sess);
	}
	ck_assert_msg(up, "no WebSocket session on be_polkadot/node1");

	t_reload = h_now();
	ck_assert_int_eq(h_haproxy_reload(&hap, 10), 0);
	now_pid = h_haproxy_info_pid(&hap);
	ck_assert_msg(now_pid > 0 && now_pid != old, "worker %ld after the reload (old %ld)",
	              now_pid, old);
	for (double end = t_reload + HARD_STOP_S + 10; h_now() < end; usleep(20000))
		if (gone(old)) {
			t_gone = h_now();
			break;
		}
	ck_assert_msg(t_gone > 0, "old worker %ld still there %d s after the reload", old,
	              HARD_STOP_S + 10);
	/* hard-stop-after counts from the old worker's soft stop, which follows the reload. */
	ck_assert_msg(t_gone - t_reload >= HARD_STOP_S - 0.05,
	              "old worker gone %.2f s after the reload, before hard-stop-after (%d s)",
	              t_gone - t_reload, HARD_STOP_S);
	fprintf(stderr, "old worker gone %.2f s after the reload (hard-stop-after %d s)\n",
	        t_gone - t_reload, HARD_STOP_S);

	n = fread(out, 1, sizeof(out) - 1, p); /* returns when the client has seen the close */
	out[n] = '\0';
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ws: %s", out);
	ck_assert_msg(strstr(out, "\"upgraded\":true") != NULL &&
	                  strstr(out, "\"closed\":") != NULL,
	              "ws: %s", out);
	/* The new worker serves: a new subscription is upgraded and gets its notification. */
	snprintf(cmd, sizeof(cmd),
	         "%s node tests/harness/ws_subscribe.js --url %s --ca %s --notifications 1 "
	         "--timeout-ms 15000 2>&1",
	         np, url, h_ca_file());
	ck_assert_msg(h_run(cmd, out, sizeof(out)) == 0, "ws after the reload: %s", out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hard_stop");
	TCase *tc = tcase_create("reload");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_old_worker_leaves_after_hard_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(suite());
}
