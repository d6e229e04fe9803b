/* SPDX-License-Identifier: MIT */
/*
 * The real polkfura-spoa driven over SPOP by a test client: HELLO
 * negotiation, classification answers, pipelining, byte-by-byte partial
 * writes, protocol errors answered with the right DISCONNECT status, SIGHUP
 * reload, SIGTERM exit 0, bad flags exit 2, and /metrics.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/spop_client.h"

static struct h_agent agent;

/* Starts an agent with --metrics on a free port (setup cannot pass dynamic args). */
static void start_agent(void)
{
	char mport[32];
	const char *extra[] = {"--metrics", mport, "--log-level", "debug", NULL};

	memset(&agent, 0, sizeof(agent));
	agent.metrics_port = h_free_port();
	snprintf(mport, sizeof(mport), "127.0.0.1:%d", agent.metrics_port);
	ck_assert_msg(h_agent_start(&agent, extra), "agent did not start, see %s", agent.log);
}

/* The agent, stopped by SIGTERM: exit 0 and no sanitizer report (leaks included). */
static void teardown(void)
{
	agent.pid = 0;
	h_stop_all();
}

static int hello(int fd, uint32_t max_frame, struct spc_reply *r)
{
	uint8_t buf[512];
	size_t n = spc_hello(buf, sizeof(buf), "2.0", max_frame, "pipelining,async", false);

	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(spc_send_all(fd, buf, n), 0);
	return spc_read_reply(fd, r, 3000);
}

static void notify(int fd, uint64_t sid, uint64_t fid, const char *host, const char *body)
{
	uint8_t buf[70000];
	size_t n = spc_notify(buf, sizeof(buf), sid, fid, "rpc-request", host,
	                      (const uint8_t *)body, strlen(body), (int64_t)strlen(body));

	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(spc_send_all(fd, buf, n), 0);
}

START_TEST(test_hello_and_classify)
{
	struct spc_reply r;
	int fd;

	start_agent();
	fd = spc_connect(agent.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	ck_assert_int_eq(r.type, 101);
	ck_assert_str_eq(r.version, "2.0");
	ck_assert_uint_eq(r.max_frame_size, 16380);
	ck_assert_str_eq(r.capabilities, "pipelining,async");

	notify(fd, 7, 1, "Polkadot.example.org:443",
	       "{\"id\":42,\"jsonrpc\":\"2.0\",\"method\":\"author_insertKey\",\"params\":[]}");
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_int_eq(r.type, 103);
	ck_assert_uint_eq(r.stream_id, 7);
	ck_assert_uint_eq(r.frame_id, 1);
	ck_assert(r.has_chain && r.has_class && r.has_method && r.has_batch && r.has_id);
	ck_assert_str_eq(r.chain, "polkadot");
	ck_assert_str_eq(r.cls, "unsafe");
	ck_assert_str_eq(r.method, "author_insertKey");
	ck_assert_uint_eq(r.batch, 1);
	ck_assert_str_eq(r.id, "42");

	notify(fd, 8, 2, "kusama.example.org",
	       "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"},"
	       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"state_getKeysPaged\",\"params\":[]}]");
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_str_eq(r.chain, "kusama");
	ck_assert_str_eq(r.cls, "heavy");
	ck_assert_str_eq(r.method, "batch");
	ck_assert_uint_eq(r.batch, 2);
	ck_assert(!r.has_id);

	notify(fd, 9, 3, "example.org", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"} junk");
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_str_eq(r.chain, "unknown");
	ck_assert_str_eq(r.cls, "invalid");
	ck_assert(!r.has_method && !r.has_batch);
	close(fd);
}
END_TEST

START_TEST(test_oversize)
{
	struct spc_reply r;
	uint8_t buf[1024];
	const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"}";
	size_t n;
	int fd;

	start_agent();
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	/* HAProxy passed fewer bytes than Content-Length: the body was not seen whole. */
	n = spc_notify(buf, sizeof(buf), 1, 1, "rpc-request", "polkadot.x", (const uint8_t *)body,
	               strlen(body), 100000);
	ck_assert_int_eq(spc_send_all(fd, buf, n), 0);
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_str_eq(r.cls, "oversize");
	ck_assert(!r.has_method);
	close(fd);
}
END_TEST

START_TEST(test_pipelined_and_partial)
{
	enum { N = 500 };
	static uint8_t out[N * 200];
	size_t len = 0;
	struct spc_reply r;
	int fd;

	start_agent();
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	for (unsigned i = 0; i < N; i++) {
		const char *b =
		    (i % 2) ? "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getHeader\"}"
		            : "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"state_call\"}";
		len += spc_notify(out + len, sizeof(out) - len, i + 1, 1, "rpc-request",
		                  "polkadot.x", (const uint8_t *)b, strlen(b), (int64_t)strlen(b));
	}
	/* The first 300 bytes one at a time, then the rest in one go. */
	for (size_t i = 0; i < 300; i++)
		ck_assert_int_eq(spc_send_all(fd, out + i, 1), 0);
	ck_assert_int_eq(spc_send_all(fd, out + 300, len - 300), 0);
	for (unsigned i = 0; i < N; i++) {
		ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
		ck_assert_int_eq(r.type, 103);
		ck_assert_uint_eq(r.stream_id, i + 1);
		ck_assert_str_eq(r.cls, (i % 2) ? "read" : "heavy");
	}
	close(fd);
}
END_TEST

/* Sends <frame> after a good HELLO and expects AGENT-DISCONNECT with <status>. */
static void expect_disconnect(const uint8_t *frame, size_t len, bool after_hello, uint32_t status)
{
	struct spc_reply r;
	int fd = spc_connect(agent.port);

	ck_assert_int_ge(fd, 0);
	if (after_hello)
		ck_assert_int_eq(hello(fd, 16380, &r), 1);
	ck_assert_int_eq(spc_send_all(fd, frame, len), 0);
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_int_eq(r.type, 102);
	ck_assert_uint_eq(r.status_code, status);
	ck_assert(r.message[0] != '\0');
	close(fd);
}

START_TEST(test_protocol_errors)
{
	uint8_t buf[512];
	size_t n;

	start_agent();
	/* Unsupported version. */
	n = spc_hello(buf, sizeof(buf), "1.0", 16380, "pipelining", false);
	expect_disconnect(buf, n, false, 8);
	/* max-frame-size below 256. */
	n = spc_hello(buf, sizeof(buf), "2.0", 100, "pipelining", false);
	expect_disconnect(buf, n, false, 9);
	/* NOTIFY before HELLO. */
	n = spc_notify(buf, sizeof(buf), 1, 1, "rpc-request", "polkadot.x", (const uint8_t *)"{}",
	               2, 2);
	expect_disconnect(buf, n, false, 4);
	/* A frame announcing more than the negotiated max-frame-size. */
	{
		const uint8_t big[] = {0x00, 0x01, 0x00, 0x00, 3, 0, 0, 0, 1, 1, 1};

		expect_disconnect(big, sizeof(big), true, 3);
	}
	/* A fragmented NOTIFY (no FIN bit) is refused: fragmentation is not offered. */
	n = spc_notify(buf, sizeof(buf), 1, 1, "rpc-request", "polkadot.x", (const uint8_t *)"{}",
	               2, 2);
	buf[8] = 0; /* clear FIN in the flags' last byte */
	expect_disconnect(buf, n, true, 10);
	/* HAProxy's own DISCONNECT gets a normal goodbye. */
	n = spc_disconnect(buf, sizeof(buf), 0, "bye");
	expect_disconnect(buf, n, true, 0);
}
END_TEST

/* The value of the sample <series> (name and labels, as printed) in the agent's /metrics; -1 if
 * absent. */
static long long agent_metric(const char *series)
{
	char url[128];
	struct h_resp r;
	long long v = -1;
	size_t n = strlen(series);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", agent.metrics_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &r), 200);
	for (const char *p = r.body; p != NULL && *p != '\0';
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			v = strtoll(p + n + 1, NULL, 10);
	h_resp_free(&r);
	return v;
}

/* Polls until <series> is <want>: the agent counts a close when its loop sees it. */
static void wait_metric(const char *series, long long want)
{
	long long v = -1;

	for (double end = h_now() + 5; h_now() < end; usleep(10000)) {
		v = agent_metric(series);
		if (v == want)
			return;
	}
	ck_abort_msg("%s: %lld, wanted %lld", series, v, want);
}

/* Closes <fd> with a TCP reset, as HAProxy's checks do (SO_LINGER 0). */
static void close_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);
}

/*
 * What HAProxy's checks look like (seen with 2.6 and 3.4, tcp and unix):
 * option spop-check sends a HELLO with healthcheck, reads the AGENT-HELLO
 * and resets the connection (over unix: closes it); a plain check connects
 * and closes without a byte. Those are checks, not read errors; a reset of a
 * connection that is not a check is one.
 */
START_TEST(test_healthcheck_hello)
{
	uint8_t buf[512];
	struct spc_reply r;
	size_t n;
	int fd;

	start_agent();
	fd = spc_connect(agent.port);
	n = spc_hello(buf, sizeof(buf), "2.0", 16380, "pipelining", true);
	ck_assert_int_eq(spc_send_all(fd, buf, n), 0);
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_int_eq(r.type, 101);
	ck_assert_str_eq(r.capabilities, "pipelining");
	close_reset(fd);
	wait_metric("polkfura_spoa_healthchecks_total{kind=\"spop\"}", 1);
	wait_metric("polkfura_spoa_connections", 0);
	ck_assert_int_eq(agent_metric("polkfura_spoa_read_errors_total"), 0);

	/* A connect check: nothing sent, then a reset, then a plain close. */
	fd = spc_connect(agent.port);
	ck_assert_int_ge(fd, 0);
	wait_metric("polkfura_spoa_connections", 1);
	close_reset(fd);
	wait_metric("polkfura_spoa_healthchecks_total{kind=\"connect\"}", 1);
	fd = spc_connect(agent.port);
	wait_metric("polkfura_spoa_connections", 1);
	close(fd);
	wait_metric("polkfura_spoa_healthchecks_total{kind=\"connect\"}", 2);
	ck_assert_int_eq(agent_metric("polkfura_spoa_read_errors_total"), 0);

	/* A working connection reset by its peer is an error. */
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	close_reset(fd);
	wait_metric("polkfura_spoa_read_errors_total", 1);
	ck_assert_int_eq(agent_metric("polkfura_spoa_healthchecks_total{kind=\"spop\"}"), 1);
	ck_assert_int_eq(agent_metric("polkfura_spoa_healthchecks_total{kind=\"connect\"}"), 2);
}
END_TEST

/*
 * The processing-time histogram: one observation per NOTIFY answered,
 * cumulative buckets with increasing bounds, the +Inf bucket equal to the
 * count, and a sum no larger than the time the test took to send them.
 * (How fast the agent is belongs to make bench, not to this test.)
 */
START_TEST(test_processing_histogram)
{
	char url[128];
	struct spc_reply r;
	struct h_resp resp;
	double began, prev_le = 0, le, sum;
	long long prev = 0, v, inf = -1, count = -1;
	int fd, buckets = 0;

	start_agent();
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	began = h_now();
	for (int i = 1; i <= 5; i++) {
		notify(fd, (uint64_t)i, 1, "polkadot.example.org",
		       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"}");
		ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
		ck_assert_int_eq(r.type, 103);
	}
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", agent.metrics_port);
	ck_assert_int_eq(h_http(&(struct h_req){.url = url}, &resp), 200);
	for (const char *p = resp.body; p != NULL && *p != '\0';
	     p = strchr(p, '\n'), p = p ? p + 1 : p) {
		/* First: sscanf's %lf would read "+Inf" as a bound. */
		if (sscanf(p, "polkfura_spoa_processing_seconds_bucket{le=\"+Inf\"} %lld", &v) ==
		    1) {
			inf = v;
		} else if (sscanf(p, "polkfura_spoa_processing_seconds_bucket{le=\"%lf\"} %lld",
		                  &le, &v) == 2) {
			ck_assert_msg(le > prev_le && v >= prev, "bucket le=%g %lld after %g %lld",
			              le, v, prev_le, prev);
			prev_le = le;
			prev = v;
			buckets++;
		} else if (sscanf(p, "polkfura_spoa_processing_seconds_count %lld", &v) == 1) {
			count = v;
		}
	}
	sum = 0;
	{
		const char *at = strstr(resp.body, "\npolkfura_spoa_processing_seconds_sum ");

		ck_assert_ptr_nonnull(at);
		sum = strtod(at + strlen("\npolkfura_spoa_processing_seconds_sum "), NULL);
	}
	h_resp_free(&resp);
	ck_assert_int_eq(buckets, 13);
	ck_assert_int_eq(inf, 5);
	ck_assert_int_eq(count, 5);
	ck_assert_int_le(prev, 5);
	ck_assert_msg(sum > 0 && sum <= h_now() - began, "sum %.9f", sum);
}
END_TEST

START_TEST(test_sighup_reload)
{
	char path[512], url[128];
	struct spc_reply r;
	struct h_resp resp;
	struct h_req req = {.url = url};
	int fd;

	snprintf(path, sizeof(path), "%s/methods-reload.tsv", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, "method\tclass\tnote\nsystem_health\tread\t\n"), 0);
	memset(&agent, 0, sizeof(agent));
	snprintf(agent.methods, sizeof(agent.methods), "%s", path);
	agent.metrics_port = h_free_port();
	{
		char mport[32];
		const char *extra[] = {"--metrics", mport, NULL};

		snprintf(mport, sizeof(mport), "127.0.0.1:%d", agent.metrics_port);
		ck_assert(h_agent_start(&agent, extra));
	}
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	notify(fd, 1, 1, "polkadot.x", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"state_call\"}");
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_str_eq(r.cls, "unknown");

	/* A broken file is refused and the old table stays. */
	ck_assert_int_eq(h_write_file(path, "method\tclass\tnote\nstate_call\tbogus\t\n"), 0);
	kill(agent.pid, SIGHUP);
	ck_assert(h_wait_file_contains(agent.log, "reload failed", 5));
	notify(fd, 2, 1, "polkadot.x",
	       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"}");
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_str_eq(r.cls, "read");

	/* A good file takes effect on the same connection. */
	ck_assert_int_eq(h_write_file(path, "method\tclass\tnote\nstate_call\theavy\t\n"), 0);
	kill(agent.pid, SIGHUP);
	ck_assert(h_wait_file_contains(agent.log, "reloaded", 5));
	notify(fd, 3, 1, "polkadot.x", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"state_call\"}");
	ck_assert_int_eq(spc_read_reply(fd, &r, 3000), 1);
	ck_assert_str_eq(r.cls, "heavy");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", agent.metrics_port);
	ck_assert_int_eq(h_http(&req, &resp), 200);
	ck_assert_ptr_nonnull(strstr(resp.body, "polkfura_spoa_reloads_total 1\n"));
	ck_assert_ptr_nonnull(strstr(resp.body, "polkfura_spoa_reload_failures_total 1\n"));
	ck_assert_ptr_nonnull(
	    strstr(resp.body, "polkfura_spoa_requests_total{class=\"heavy\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(resp.body, "polkfura_spoa_methods 1\n"));
	h_resp_free(&resp);
	close(fd);
}
END_TEST

START_TEST(test_sigterm_goodbye)
{
	struct spc_reply r;
	int fd, st;

	start_agent();
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, 16380, &r), 1);
	kill(agent.pid, SIGTERM);
	/* The open connection is told goodbye with status 0 ... */
	ck_assert_int_eq(spc_read_reply(fd, &r, 5000), 1);
	ck_assert_int_eq(r.type, 102);
	ck_assert_uint_eq(r.status_code, 0);
	close(fd);
	/* ... and the process exits 0. */
	st = h_wait_exit(agent.pid, 10);
	agent.pid = 0;
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(test_bad_flags_exit_2)
{
	static const char *const cases[][2] = {
	    {"--threads 0", "--threads"},
	    {"--listen nowhere", "--listen"},
	    {"--methods /nonexistent/methods.tsv", "--methods"},
	    {"--chains Polkadot", "--chains"},
	    {"--max-body -1", "--max-body"},
	    {"--bogus", "--bogus"},
	    {"--metrics unix:/x", "--metrics"},
	    /* The guards against starving the agent (README, "Resource limits"). */
	    {"--max-conns 0", "--max-conns"},
	    {"--max-conns 70000", "--max-conns"},
	    {"--idle-timeout 0", "--idle-timeout"},
	    {"--idle-timeout 1.5", "--idle-timeout"},
	    {"--frame-timeout x", "--frame-timeout"},
	    {"--socket-mode 0999", "--socket-mode"},
	    {"--socket-mode 1777", "--socket-mode"},
	    {"--socket-group -x", "--socket-group"},
	};
	char cmd[512], out[1024];

	for (size_t i = 0; i < PF_ARRAY_SIZE(cases); i++) {
		int st;

		snprintf(cmd, sizeof(cmd), "%s/polkfura-spoa --methods haproxy/methods.tsv %s 2>&1",
		         h_build_dir(), cases[i][0]);
		st = h_run(cmd, out, sizeof(out));
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: exit %d", cases[i][0],
		              WEXITSTATUS(st));
		ck_assert_msg(strstr(out, cases[i][1]) != NULL, "%s: message '%s'", cases[i][0],
		              out);
		ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "one line: '%s'", out);
	}
	snprintf(cmd, sizeof(cmd), "%s/polkfura-spoa --help 2>&1", h_build_dir());
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "--max-body"));
}
END_TEST

START_TEST(test_threads_and_unix_listener)
{
	char sock[300], listen_unix[320];
	const char *extra[] = {"--threads", "2", "--listen", listen_unix, NULL};
	struct spc_reply r;
	int fds[8];

	snprintf(sock, sizeof(sock), "%s/agent-%d.sock", h_tmpdir(), (int)getpid());
	snprintf(listen_unix, sizeof(listen_unix), "unix:%s", sock);
	memset(&agent, 0, sizeof(agent));
	/* Both listeners: the TCP one h_agent_start adds and the unix socket. */
	ck_assert_msg(h_agent_start(&agent, extra), "agent: %s", agent.log);
	ck_assert(h_wait_file_contains(agent.log, "threads=2", 1));
	for (int i = 0; i < 8; i++) {
		fds[i] = i % 2 ? spc_connect_unix(sock) : spc_connect(agent.port);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(hello(fds[i], 16380, &r), 1);
	}
	/* Every connection, whichever thread took it, classifies. */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 8; i++) {
			notify(
			    fds[i], (uint64_t)(round * 8 + i + 1), 1, "kusama.example.org",
			    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"author_submitExtrinsic\"}");
			ck_assert_int_eq(spc_read_reply(fds[i], &r, 3000), 1);
			ck_assert_uint_eq(r.stream_id, (uint64_t)(round * 8 + i + 1));
			ck_assert_str_eq(r.cls, "submit");
			ck_assert_str_eq(r.chain, "kusama");
		}
	for (int i = 0; i < 8; i++)
		close(fds[i]);
}
END_TEST

static Suite *agent_suite(void)
{
	Suite *s = suite_create("spoa_agent");
	TCase *tc = tcase_create("spop");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_and_classify);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_pipelined_and_partial);
	tcase_add_test(tc, test_protocol_errors);
	tcase_add_test(tc, test_healthcheck_hello);
	tcase_add_test(tc, test_processing_histogram);
	tcase_add_test(tc, test_sighup_reload);
	tcase_add_test(tc, test_sigterm_goodbye);
	tcase_add_test(tc, test_bad_flags_exit_2);
	tcase_add_test(tc, test_threads_and_unix_listener);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(agent_suite());
}
