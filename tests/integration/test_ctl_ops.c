/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl operations against real haproxy instances: HAProxy restarted
 * gets the whole desired state back; two instances kept in step; drain and
 * undrain by hand through the CLI (persisted across a controller restart);
 * SIGHUP adds a node into a server-template slot; the controller killed and
 * restarted converges without flapping healthy servers; a server put in
 * MAINT by hand is left alone; `check` rejects a bad config with exit 2.
 */
#include <sys/wait.h>

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

static int run_ctl(const char *args, char *out, size_t outlen)
{
	char cmd[2200];

	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl %s 2>&1", h_build_dir(), args);
	return h_run(cmd, out, outlen);
}

/*
 * Polls the controller's metrics until HAProxy accepted at least <n>
 * commands of <kind> ("state", "weight", "addr"): the answers were read
 * command by command and counted; asserts none was refused or garbled.
 */
static void expect_accepted(const char *kind, long n)
{
	char key[64];
	struct h_resp m = {0};
	long got = -1;

	snprintf(key, sizeof(key), ",kind=\"%s\"} ", kind);
	for (double end = h_now() + 5; h_now() < end && got < n;) {
		const char *p;

		h_resp_free(&m);
		ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &m), 200);
		p = strstr(m.body, key);
		got = p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
	}
	ck_assert_msg(got >= n, "%ld %s commands accepted, want %ld", got, kind, n);
	ck_assert_ptr_nonnull(strstr(m.body, ",reason=\"refused\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(m.body, ",reason=\"parse\"} 0\n"));
	h_resp_free(&m);
}

START_TEST(test_haproxy_restart_reapplied)
{
	struct h_haproxy old = fx.hap;
	char *backends;

	/* p2 falls behind and is drained. */
	fx_steer(0, "{\"height\": 1061}");
	fx_steer(1, "{\"height\": 1061}");
	fx_expect_drain(2, true, FX_DRAIN_S);
	/* HAProxy restarts on the same admin socket, knowing nothing of the drain. */
	h_haproxy_stop(&fx.hap);
	backends = fx_backends();
	{
		char env_sock[600];
		char *env[] = {env_sock, NULL};

		snprintf(env_sock, sizeof(env_sock), "PF_ADMIN_SOCKET=%s", old.admin_sock);
		ck_assert(h_haproxy_start(&fx.hap, backends, fx.agent.port, env));
	}
	free(backends);
	/* Drained again within a round or two, and the restart is noticed. */
	H_EXPECT_ADMIN(&fx.hap, "be_polkadot", "node3", FDRAIN, FDRAIN, FX_REAPPLY_S);
	ck_assert(h_wait_file_contains(fx.ctl.log, "restarted or reloaded", 5));
	ck_assert(fx_ready_now(0) && fx_ready_now(1));
}
END_TEST

START_TEST(test_two_haproxy_in_step)
{
	struct h_haproxy second;
	char *backends = fx_backends(), *cfg, sockets[1300];

	ck_assert(h_haproxy_start(&second, backends, fx.agent.port, NULL));
	free(backends);
	/* Restart the controller with both sockets. */
	h_ctl_stop(&fx.ctl);
	snprintf(sockets, sizeof(sockets), "\"unix:%s\", \"unix:%s\"", fx.hap.admin_sock,
	         second.admin_sock);
	cfg = fx_ctl_config(sockets, NULL, NULL);
	ck_assert(h_ctl_start(&fx.ctl, cfg));
	free(cfg);
	fx_steer(1, "{\"syncing\": true}");
	fx_expect_drain(1, true, FX_DRAIN_S);
	/* The round that writes one instance writes the other. */
	H_EXPECT_ADMIN(&second, "be_polkadot", "node2", FDRAIN, FDRAIN, FX_REAPPLY_S);
	fx_steer(1, "{\"syncing\": false}");
	fx_expect_drain(1, false, FX_DRAIN_S);
	H_EXPECT_ADMIN(&second, "be_polkadot", "node2", FDRAIN, 0, FX_REAPPLY_S);
	h_haproxy_stop(&second);
}
END_TEST

START_TEST(test_drain_undrain_by_hand)
{
	char args[1024], out[4096];
	int st;

	snprintf(args, sizeof(args), "drain p0 --reason 'disk swap' --config %s", fx.ctl.config);
	st = run_ctl(args, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "drain: %s", out);
	fx_expect_drain(0, true, FX_REAPPLY_S);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 admin drain by=", 2));
	ck_assert(h_wait_file_contains(fx.ctl.log, "peer=127.0.0.1 reason=\"disk swap\"", 2));

	/* status shows it, with the reason. */
	snprintf(args, sizeof(args), "status --config %s", fx.ctl.config);
	ck_assert_int_eq(run_ctl(args, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "CHAIN"));
	ck_assert_ptr_nonnull(strstr(out, "admin: disk swap"));

	/*
	 * A healthy node stays out while drained, across a controller restart too.
	 * Killed on purpose: the drain must have been saved when it was made, not
	 * on the way out.
	 */
	h_ctl_kill(&fx.ctl);
	{
		char *cfg = fx_ctl_config(fx_socket_item, NULL, NULL);

		ck_assert(h_ctl_start(&fx.ctl, cfg));
		free(cfg);
	}
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 admin drain restored at_ms=", 5));
	ck_assert(!fx_ready_now(0));

	/* Unknown node: exit 1 and a message. */
	snprintf(args, sizeof(args), "drain nosuch --reason x --config %s", fx.ctl.config);
	st = run_ctl(args, out, sizeof(out));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert_ptr_nonnull(strstr(out, "no node named nosuch"));

	snprintf(args, sizeof(args), "undrain p0 --config %s", fx.ctl.config);
	ck_assert_int_eq(run_ctl(args, out, sizeof(out)), 0);
	fx_expect_drain(0, false, FX_DRAIN_S);
	expect_accepted("state", 1);
}
END_TEST

START_TEST(test_sighup_adds_template_node)
{
	char node[256], addr[64];
	int port = 0;
	unsigned admin;
	char *cfg;
	bool reached = false;

	/* The fourth simulated node joins without a server name: it takes a slot. */
	snprintf(node, sizeof(node), "{\"name\": \"p3\", \"rpc\": \"http://127.0.0.1:%d/\"}",
	         fx.sim.port[3]);
	cfg = fx_ctl_config(fx_socket_item, node, NULL);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	kill(fx.ctl.pid, SIGHUP);
	ck_assert(h_wait_file_contains(fx.ctl.log, "reloaded", 5));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p3 takes slot be_polkadot/slot", 5));
	/* The one "node changed" point heard the config add it. */
	ck_assert(h_wait_file_contains(fx.ctl.log, "chain=polkadot node=p3 added (ready)", 1));
	/* The slot has the node's address and is in rotation. */
	for (double end = h_now() + FX_REAPPLY_S; h_now() < end && port != fx.sim.port[3];)
		ck_assert(h_server_admin(&fx.hap, "be_polkadot", "slot1", &admin, addr,
		                         sizeof(addr), &port));
	ck_assert_int_eq(port, fx.sim.port[3]);
	ck_assert_str_eq(addr, "127.0.0.1");
	H_EXPECT_ADMIN(&fx.hap, "be_polkadot", "slot1", FMAINT | FDRAIN, 0, FX_REAPPLY_S);
	/* The heavy twin got the same address. */
	port = 0;
	ck_assert(h_server_admin(&fx.hap, "be_polkadot_heavy", "slot1", &admin, addr, sizeof(addr),
	                         &port));
	ck_assert_int_eq(port, fx.sim.port[3]);
	/* Both addr commands accepted as such: HAProxy 3.4 words a port-only change its own way. */
	expect_accepted("addr", 2);
	/* Traffic reaches it. */
	for (int i = 0; i < 40 && !reached; i++) {
		struct h_resp r;
		char who[64];

		ck_assert_int_eq(
		    h_stack_post(&(struct h_stack){.haproxy = fx.hap}, "polkadot",
		                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"}", &r),
		    200);
		reached =
		    h_resp_header(&r, "X-Node", who, sizeof(who)) && strcmp(who, "polkadot-3") == 0;
		h_resp_free(&r);
	}
	ck_assert(reached);
	/* Removing it again puts the slot back in maintenance. */
	cfg = fx_ctl_config(fx_socket_item, NULL, NULL);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	kill(fx.ctl.pid, SIGHUP);
	H_EXPECT_ADMIN(&fx.hap, "be_polkadot", "slot1", FMAINT, FMAINT, FX_REAPPLY_S);
	ck_assert(
	    h_wait_file_contains(fx.ctl.log, "chain=polkadot node=p3 removed from the config", 1));
	/* Two reloads and not one false "round still polling" alarm. */
	ck_assert_msg(!h_wait_file_contains(fx.ctl.log, "still polling", 0.3), "%s", fx.ctl.log);
}

/* "haproxy" is reloadable: a socket added on SIGHUP gets the whole desired state. */
START_TEST(test_sighup_adds_haproxy)
{
	struct h_haproxy second;
	char *backends = fx_backends(), *cfg, sockets[1300];
	unsigned admin;

	fx_steer(1, "{\"syncing\": true}");
	fx_expect_drain(1, true, FX_DRAIN_S);
	ck_assert(h_haproxy_start(&second, backends, fx.agent.port, NULL));
	free(backends);
	snprintf(sockets, sizeof(sockets), "%s, \"unix:%s\"", fx_socket_item, second.admin_sock);
	cfg = fx_ctl_config(sockets, NULL, NULL);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	kill(fx.ctl.pid, SIGHUP);
	ck_assert(h_wait_file_contains(fx.ctl.log, "2 haproxy", 2));
	/* interval 200 ms: the next round reads and writes the new instance. */
	H_EXPECT_ADMIN(&second, "be_polkadot", "node2", FDRAIN, FDRAIN, FX_REAPPLY_S);
	ck_assert(h_server_admin(&second, "be_polkadot", "node1", &admin, NULL, 0, NULL));
	ck_assert_uint_eq(admin, 0);
	/* And removed again: the controller lets it be (its state stays as it was left). */
	cfg = fx_ctl_config(fx_socket_item, NULL, NULL);
	ck_assert_int_eq(h_write_file(fx.ctl.config, cfg), 0);
	free(cfg);
	kill(fx.ctl.pid, SIGHUP);
	ck_assert(h_wait_file_contains(fx.ctl.log, "no longer in the config", 2));
	h_haproxy_stop(&second);
}
END_TEST

START_TEST(test_restart_does_not_flap)
{
	char *cfg, *log;
	size_t log_before = 0, log_len = 0;

	/* One drained (lag), two ready. */
	fx_steer(0, "{\"height\": 1061}");
	fx_steer(1, "{\"height\": 1061}");
	fx_expect_drain(2, true, FX_DRAIN_S);
	/* Killed on purpose: a crash leaves no clean hand-over, and the restart must not need one.
	 */
	h_ctl_kill(&fx.ctl);
	{
		char *before = h_read_file(fx.ctl.log, &log_before);

		free(before);
	}
	/* A restart must neither put node3 back nor take node1 and node2 out. */
	cfg = fx_ctl_config(fx_socket_item, NULL, NULL);
	ck_assert(h_ctl_start(&fx.ctl, cfg));
	free(cfg);
	for (double end = h_now() + 2; h_now() < end;) {
		ck_assert(fx_ready_now(0));
		ck_assert(fx_ready_now(1));
		ck_assert(!fx_ready_now(2));
	}
	/* The new run wrote nothing: the state HAProxy had was already right. */
	log = h_read_file(fx.ctl.log, &log_len);
	ck_assert_ptr_nonnull(log);
	ck_assert_uint_gt(log_len, log_before);
	ck_assert_ptr_nonnull(strstr(log + log_before, "running"));
	ck_assert_msg(strstr(log + log_before, "set server") == NULL, "%s", log + log_before);
	free(log);
}
END_TEST

START_TEST(test_hand_maint_left_alone)
{
	char *r = h_haproxy_cmd(&fx.hap, "set server be_polkadot/node1 state maint");
	struct h_resp st;
	unsigned admin;

	free(r);
	/* Several rounds later it is still in maint, and status says why. */
	for (double end = h_now() + 2; h_now() < end;) {
		ck_assert(h_server_admin(&fx.hap, "be_polkadot", "node1", &admin, NULL, 0, NULL));
		ck_assert_uint_ne(admin & FMAINT, 0);
	}
	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &st), 200);
	/* The decision stays "ready"; the instance shows the MAINT, marked as by hand. */
	ck_assert_msg(strstr(st.body, "\"server\":\"node1\",\"state\":\"maint\",\"up\":false,"
	                              "\"hand_maint\":true,\"differs\":true") != NULL,
	              "%s", st.body);
	h_resp_free(&st);
	r = h_haproxy_cmd(&fx.hap, "set server be_polkadot/node1 state ready");
	free(r);
	fx_expect_drain(0, false, FX_REAPPLY_S);
}
END_TEST

START_TEST(test_check_bad_config)
{
	char path[512], args[700], out[2048];
	int st;

	snprintf(path, sizeof(path), "%s/bad-ctl.json", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, "{\"region\": \"x\", \"intervl_ms\": 5}"), 0);
	snprintf(args, sizeof(args), "check --config %s", path);
	st = run_ctl(args, out, sizeof(out));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	ck_assert_ptr_nonnull(strstr(out, "intervl_ms"));
	snprintf(args, sizeof(args), "run --config %s", path);
	st = run_ctl(args, out, sizeof(out));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	snprintf(args, sizeof(args), "check --config %s", fx.ctl.config);
	st = run_ctl(args, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, ": ok ("));
}
END_TEST

/* check --haproxy reads the instance and names what the config wants that it lacks. */
START_TEST(test_check_haproxy)
{
	char path[512], args[700], out[4096], *cfg, *typo;
	int st;

	snprintf(args, sizeof(args), "check --haproxy --config %s", fx.ctl.config);
	st = run_ctl(args, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "every HAProxy instance has what it names"));
	/* The backend misspelt: named, exit 2. */
	cfg = fx_ctl_config(fx_socket_item, NULL, NULL);
	typo = strstr(cfg, "\"backend\": \"be_polkadot\"");
	ck_assert_ptr_nonnull(typo);
	memcpy(typo + 12, "be_polkadto", 11);
	snprintf(path, sizeof(path), "%s/typo-ctl.json", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, cfg), 0);
	free(cfg);
	snprintf(args, sizeof(args), "check --haproxy --config %s", path);
	st = run_ctl(args, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s", out);
	ck_assert_msg(strstr(out, "backend be_polkadto (chain of node p0) is not in HAProxy") !=
	                  NULL,
	              "%s", out);
	/* A stopped HAProxy cannot be read: exit 1. */
	h_haproxy_stop(&fx.hap);
	snprintf(args, sizeof(args), "check --haproxy --config %s", fx.ctl.config);
	st = run_ctl(args, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "cannot read it"));
	/* /healthz says the controller cannot reach any instance. */
	{
		struct h_resp r;
		long code = 0;

		for (double end = h_now() + 1; h_now() < end && code != 503;) {
			code = h_ctl_http(&fx.ctl, "/healthz", NULL, &r);
			if (code == 503)
				ck_assert_str_eq(r.body, "no HAProxy instance answers\n");
			h_resp_free(&r);
		}
		ck_assert_int_eq(code, 503);
	}
}
END_TEST

static Suite *ctl_ops_suite(void)
{
	Suite *s = suite_create("ctl_ops");
	TCase *tc = tcase_create("ops");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_haproxy_restart_reapplied);
	tcase_add_test(tc, test_two_haproxy_in_step);
	tcase_add_test(tc, test_drain_undrain_by_hand);
	tcase_add_test(tc, test_sighup_adds_template_node);
	tcase_add_test(tc, test_sighup_adds_haproxy);
	tcase_add_test(tc, test_restart_does_not_flap);
	tcase_add_test(tc, test_hand_maint_left_alone);
	tcase_add_test(tc, test_check_bad_config);
	tcase_add_test(tc, test_check_haproxy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_ops_suite());
}
