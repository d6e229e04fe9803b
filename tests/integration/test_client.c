/* SPDX-License-Identifier: MIT */
/*
 * A real client against a real Substrate runtime through the shipped edge:
 * @polkadot/api 16.5.6 (tests/peers/client.js) over HTTPS and WSS through
 * haproxy + polkfura-spoa to chopsticks 1.5.1 running the rococo asset-hub
 * genesis offline. It reads headers, subscribes to new heads and must get a
 * clean -32601 JSON-RPC error for an unsafe method: over HTTP the edge's own
 * answer (the call never reaches chopsticks), over WebSocket chopsticks'
 * (HAProxy does not see calls inside a WebSocket). dev_newBlock goes through
 * the edge too: it is not in methods.tsv, so the edge forwards it as unknown.
 */
#include <sys/wait.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"

static pid_t chopsticks_pid;
static int chopsticks_port;
static struct h_agent agent;
static struct h_haproxy haproxy;

static void setup(void)
{
	static char np[600];
	char log[512], port[16], backends[2048];
	char *env[] = {np, NULL};
	int p = 0;

	h_node_path_env(np, sizeof(np));
	chopsticks_port = h_free_port();
	snprintf(port, sizeof(port), "%d", chopsticks_port);
	snprintf(log, sizeof(log), "%s/chopsticks-%d-%d.log", h_tmpdir(), (int)getpid(),
	         chopsticks_port);
	{
		char *argv[] = {"node", "tests/peers/chopsticks-node.js", "--port", port, NULL};

		chopsticks_pid = h_spawn(argv, env, log);
	}
	/* tests/peers/chopsticks-node.js: SIGTERM stops chopsticks, exit 0. */
	h_child_expect(chopsticks_pid, "chopsticks-node", SIGTERM, 0);
	ck_assert_msg(h_wait_file_contains(log, "READY", 90), "chopsticks did not start: %s", log);
	ck_assert(h_agent_start(&agent, NULL));
	for (int c = 0; c < 2; c++) {
		const char *chain = c == 0 ? "polkadot" : "kusama";

		p += snprintf(backends + p, sizeof(backends) - (size_t)p,
		              "backend be_%s\n    option httpchk GET /health/readiness\n"
		              "    server node1 127.0.0.1:%d check inter 1s\n"
		              "backend be_%s_heavy\n"
		              "    server node1 127.0.0.1:%d track be_%s/node1\n",
		              chain, chopsticks_port, chain, chopsticks_port, chain);
	}
	ck_assert_msg(h_haproxy_start(&haproxy, backends, agent.port, NULL), "haproxy: %s",
	              haproxy.log);
}

/* HAProxy, the agent and chopsticks stopped, newest first; each exit asserted. */
static void teardown(void)
{
	haproxy.pid = agent.pid = chopsticks_pid = 0;
	h_stop_all();
}

START_TEST(test_polkadot_api_through_edge)
{
	char cmd[2048], np[600], cwd[512];
	static char out[16384];
	int st;

	h_node_path_env(np, sizeof(np));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(cmd, sizeof(cmd),
	         "%s NODE_OPTIONS='--require %s/tests/harness/resolve-localhost.js' "
	         "node tests/peers/client.js --http https://polkadot.localhost:%d/ "
	         "--ws wss://polkadot.localhost:%d/ --ca %s --edge "
	         "--dev-rpc https://polkadot.localhost:%d/ --unsafe-code -32601 --timeout 90 2>&1",
	         np, cwd, haproxy.https_port, haproxy.https_port, h_ca_file(), haproxy.https_port);
	st = h_run(cmd, out, sizeof(out));
	fputs(out, stderr);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client failed:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, " 0 failed"));
	ck_assert_ptr_null(strstr(out, "not ok"));
	/* Over HTTP the unsafe call never reached chopsticks: HAProxy answered it. */
	ck_assert_ptr_nonnull(
	    strstr(out, "ok - http: unsafe author_rotateKeys is refused with a JSON-RPC error by "
	                "the edge"));
	{
		const char *needles[] = {"method=author_rotateKeys class=unsafe", "rpc/<NOSRV>",
		                         NULL};

		ck_assert_int_eq(h_wait_log_count(haproxy.log, needles, 1, 5), 1);
	}
	/*
	 * Over WebSocket the refusal is chopsticks' own (its wording), and HAProxy
	 * never saw the call: its log has the upgrade, not the calls inside.
	 */
	ck_assert_ptr_nonnull(
	    strstr(out, "ok - ws: unsafe author_insertKey is refused with a JSON-RPC error by the "
	                "node (the edge does not see calls inside a WebSocket) (rejected: code "
	                "-32601, \"-32601: Method not found: author_insertKey\")"));
	{
		const char *needles[] = {"author_insertKey", NULL};

		ck_assert_int_eq(h_log_count(haproxy.log, needles), 0);
	}
	/* dev_newBlock went through the edge, classed unknown, to the heavy backend's node. */
	{
		const char *needles[] = {"method=dev_newBlock class=unknown",
		                         " be_polkadot_heavy/node1 ", " 200 ", NULL};

		ck_assert_int_eq(h_wait_log_count(haproxy.log, needles, 1, 5), 1);
	}
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("polkadot-api+chopsticks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_polkadot_api_through_edge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(client_suite());
}
