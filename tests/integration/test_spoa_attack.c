/* SPDX-License-Identifier: MIT */
/*
 * The real polkfura-spoa under local attack, bounded in count and time, on
 * loopback: a connection flood at the fd limit (the agent must not spin nor
 * log per attempt, and must serve HAProxy once the flood is gone), the
 * per-listener connection cap, the idle timeout after HELLO, the timeout of
 * a half-sent frame, and a flood of the metrics port. No HAProxy here: the
 * HAProxy side is the independent client of tests/harness/spop_client.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/spop_client.h"

/*
 * The fd limit of the flooded agent. 64 leaves it ~50 fds for connections
 * after its own (stdio, the event loops and their eventfds, the listeners,
 * the reserve fd, the metrics socket).
 */
#define LOW_NOFILE   64
/* Connections the flood opens: several times what the agent can hold. */
#define FLOOD_CONNS  300
/* How long the flood is held while CPU and log are measured. */
#define FLOOD_HOLD_S 2.0

static struct h_agent agent;

static void teardown(void)
{
	agent.pid = 0;
	h_stop_all();
}

/*
 * Starts polkfura-spoa on a free port with <extra> flags, under an fd limit
 * of <nofile> when it is > 0 (prlimit(1), util-linux, execs the agent so the
 * pid is the agent's own).
 */
static void start_agent(int nofile, const char *const extra[])
{
	char bin[512], listen[64], limit[64];
	const char *argv[40];
	int n = 0, mport = agent.metrics_port; /* set by the caller when it passes --metrics */

	memset(&agent, 0, sizeof(agent));
	agent.metrics_port = mport;
	agent.port = h_free_port();
	snprintf(bin, sizeof(bin), "%s/polkfura-spoa", h_build_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", agent.port);
	snprintf(limit, sizeof(limit), "--nofile=%d:%d", nofile, nofile);
	snprintf(agent.log, sizeof(agent.log), "%s/agent-%d-%d.log", h_tmpdir(), (int)getpid(),
	         agent.port);
	if (nofile > 0) {
		argv[n++] = "prlimit";
		argv[n++] = limit;
		argv[n++] = "--";
	}
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--methods";
	argv[n++] = "haproxy/methods.tsv";
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 38; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	agent.pid = h_spawn((char *const *)argv, NULL, agent.log);
	ck_assert_int_gt(agent.pid, 0);
	/* README: SIGTERM answers what is in flight and exits 0. */
	h_child_expect(agent.pid, "polkfura-spoa", SIGTERM, 0);
	ck_assert_msg(h_wait_file_contains(agent.log, "ready:", 10), "agent did not start: %s",
	              agent.log);
}

/* utime + stime of <pid> in seconds, from /proc/<pid>/stat (proc(5), fields 14 and 15). */
static double cpu_seconds(pid_t pid)
{
	char path[64], *buf, *p;
	unsigned long ut = 0, st = 0;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	buf = h_read_file(path, &len);
	ck_assert_ptr_nonnull(buf);
	/* The command name may hold spaces: fields are counted after its ')'. */
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	free(buf);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long file_bytes(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int open_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Starts a non-blocking connect to 127.0.0.1:<port>; the fd, or -1 (our own limits). */
static int connect_nb(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int hello(int fd, struct spc_reply *r)
{
	uint8_t buf[512];
	size_t n = spc_hello(buf, sizeof(buf), "2.0", 16380, "pipelining,async", false);

	ck_assert_uint_gt(n, 0);
	if (spc_send_all(fd, buf, n) == -1)
		return -1;
	return spc_read_reply(fd, r, 3000);
}

/* One NOTIFY on <fd> answered with the right class: the agent serves this connection. */
static bool classifies(int fd, uint64_t sid)
{
	static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"author_insertKey\"}";
	uint8_t buf[1024];
	struct spc_reply r;
	size_t n = spc_notify(buf, sizeof(buf), sid, 1, "rpc-request", "polkadot.x",
	                      (const uint8_t *)body, sizeof(body) - 1, sizeof(body) - 1);

	return n > 0 && spc_send_all(fd, buf, n) == 0 && spc_read_reply(fd, &r, 3000) == 1 &&
	       r.type == 103 && r.stream_id == sid && strcmp(r.cls, "unsafe") == 0;
}

/* Polls until a new connection gets HELLO and one classification answered; false at timeout. */
static bool served_within(int port, double timeout_s)
{
	for (double end = h_now() + timeout_s; h_now() < end;) {
		struct spc_reply r;
		int fd = spc_connect(port);
		bool ok = fd >= 0 && hello(fd, &r) == 1 && r.type == 101 && classifies(fd, 1);

		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
		(void)poll(NULL, 0, 50); /* between polls of a condition */
	}
	return false;
}

/* Polls until peer <fd> closes (EOF or reset); false if it is still open after <timeout_s>. */
static bool closed_within(int fd, double timeout_s)
{
	uint8_t sink[4096];

	for (double end = h_now() + timeout_s; h_now() < end;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, sink, sizeof(sink));
		if (n == 0 || (n == -1 && errno != EAGAIN))
			return true;
	}
	return false;
}

/* The value of the metric line starting with <name> ("x{a=\"b\"} "), or -1. */
static long long metric(int port, const char *name)
{
	char url[128];
	struct h_resp resp;
	struct h_req req = {.url = url};
	long long v = -1;
	const char *p;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	/* At a line start: the name also appears in its # HELP line. */
	if (h_http(&req, &resp) == 200 && (p = strstr(resp.body, name)) != NULL)
		v = strtoll(p + strlen(name), NULL, 10);
	else
		fprintf(stderr, "metric %s: status %ld %s\n", name, resp.status, resp.err);
	h_resp_free(&resp);
	return v;
}

/*
 * At the fd limit the agent must neither spin nor log per attempt, and must
 * serve HAProxy again once the flood is gone.
 *
 * Bounds, with the reasoning: while the flood is held the agent does at most
 * one accept round per rest (4 a second, each at most 16 accept+close) and
 * one janitor pass a second: well under a millisecond of CPU a second, so
 * 10 % of one core over the hold (0.2 s) leaves room for a loaded machine
 * and an ASan build, while a spinning accept loop burns the whole hold (the
 * code before this check: ~100 % per thread). The log may say one line per
 * second per kind of refusal, and one per connection it held (timeouts):
 * 16 KB is ten times that; before, it was megabytes a second.
 */
START_TEST(test_fd_exhaustion)
{
	static int flood[FLOOD_CONNS];
	char mport[32];
	/* Two threads: both accept on the listener, and both must rest. */
	const char *extra[] = {"--metrics", mport, "--threads", "2", NULL};
	double cpu0, cpu1, t0;
	long log0, log1;
	int n = 0;

	agent.metrics_port = h_free_port();
	snprintf(mport, sizeof(mport), "127.0.0.1:%d", agent.metrics_port);
	start_agent(LOW_NOFILE, extra);
	ck_assert(served_within(agent.port, 5));
	log0 = file_bytes(agent.log);
	cpu0 = cpu_seconds(agent.pid);
	t0 = h_now();
	for (n = 0; n < FLOOD_CONNS; n++) {
		flood[n] = connect_nb(agent.port);
		ck_assert_int_ge(flood[n], 0);
	}
	/* Until the agent holds every fd it may open (seen from /proc, not from its words). */
	for (double end = h_now() + 5;; (void)poll(NULL, 0, 20)) {
		ck_assert_msg(h_now() < end, "agent holds %d fds, never reached %d",
		              open_fds(agent.pid), LOW_NOFILE);
		if (open_fds(agent.pid) >= LOW_NOFILE - 1)
			break;
	}
	/* Hold the flood: a measurement window, not a synchronisation. */
	while (h_now() < t0 + FLOOD_HOLD_S)
		(void)poll(NULL, 0, 50);
	cpu1 = cpu_seconds(agent.pid);
	log1 = file_bytes(agent.log);
	fprintf(stderr,
	        "fd exhaustion: %d connections held %.1f s: agent cpu %.3f s, log +%ld bytes\n",
	        FLOOD_CONNS, h_now() - t0, cpu1 - cpu0, log1 - log0);
	for (int i = 0; i < n; i++)
		close(flood[i]);
	ck_assert_msg(cpu1 - cpu0 < 0.1 * FLOOD_HOLD_S, "agent spent %.3f s of CPU in %.1f s",
	              cpu1 - cpu0, FLOOD_HOLD_S);
	ck_assert_msg(log1 - log0 < 16384, "agent logged %ld bytes in %.1f s", log1 - log0,
	              FLOOD_HOLD_S);
	ck_assert(h_wait_file_contains(agent.log, "out of file descriptors", 1));
	/* The flood released, HAProxy is served again. */
	ck_assert(served_within(agent.port, 5));
	ck_assert_int_gt(metric(agent.metrics_port, "\npolkfura_spoa_accept_pauses_total "), 0);
}
END_TEST

/* The cap+1-th connection is closed at once; the first <cap> are served, and a freed slot is
 * reused. */
START_TEST(test_connection_cap)
{
	enum { CAP = 4 };
	char mport[32];
	const char *extra[] = {"--max-conns", "4", "--metrics", mport, NULL};
	struct spc_reply r;
	int fds[CAP], extra_fd;

	agent.metrics_port = h_free_port();
	snprintf(mport, sizeof(mport), "127.0.0.1:%d", agent.metrics_port);
	start_agent(0, extra);
	for (int i = 0; i < CAP; i++) {
		fds[i] = spc_connect(agent.port);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(hello(fds[i], &r), 1);
		ck_assert_int_eq(r.type, 101);
	}
	extra_fd = spc_connect(agent.port);
	ck_assert_int_ge(extra_fd, 0);
	ck_assert_msg(closed_within(extra_fd, 3), "connection %d over the cap of %d kept open",
	              CAP + 1, CAP);
	close(extra_fd);
	for (int i = 0; i < CAP; i++)
		ck_assert_msg(classifies(fds[i], (uint64_t)i + 1), "connection %d not served", i);
	ck_assert_int_eq(metric(agent.metrics_port,
	                        "\npolkfura_spoa_connections_refused_total{reason=\"max_conns\"} "),
	                 1);
	ck_assert(h_wait_file_contains(agent.log, "listener at --max-conns 4", 3));
	/* A slot freed by a peer's close is available again. */
	close(fds[0]);
	ck_assert(served_within(agent.port, 5));
	for (int i = 1; i < CAP; i++)
		close(fds[i]);
}
END_TEST

/*
 * A connection that says HELLO and then nothing is told goodbye with status
 * 2 (SPOE.txt, "timeout") after --idle-timeout, not before; one that keeps
 * sending frames stays.
 */
START_TEST(test_idle_timeout)
{
	const char *extra[] = {"--idle-timeout", "2", NULL};
	struct spc_reply r;
	int idle, busy;
	double t0, took;

	start_agent(0, extra);
	idle = spc_connect(agent.port);
	busy = spc_connect(agent.port);
	ck_assert_int_eq(hello(idle, &r), 1);
	ck_assert_int_eq(hello(busy, &r), 1);
	t0 = h_now();
	took = -1;
	/*
	 * A frame on <busy> every 0.5 s for 3.5 s (pacing the traffic), and in
	 * the pauses, watching <idle> for its goodbye: the time it arrives is
	 * what is measured, not the end of the loop.
	 */
	for (uint64_t i = 1; h_now() < t0 + 3.5; i++) {
		struct pollfd p = {.fd = idle, .events = POLLIN};

		ck_assert_msg(classifies(busy, i), "busy connection dropped after %.1f s",
		              h_now() - t0);
		if (took < 0 && poll(&p, 1, 500) == 1)
			took = h_now() - t0;
		else if (took >= 0)
			(void)poll(NULL, 0, 500);
	}
	ck_assert_msg(took >= 0, "idle connection still open after 3.5 s (--idle-timeout 2)");
	ck_assert_int_eq(spc_read_reply(idle, &r, 3000), 1);
	ck_assert_int_eq(r.type, 102);
	ck_assert_uint_eq(r.status_code, 2); /* SPOE.txt 3.5: 2, "timeout" */
	/* Janitor passes are 1 s apart: closed between 2 and 3 s after the last frame. */
	ck_assert_msg(took >= 2.0 && took < 3.5, "idle connection closed after %.2f s", took);
	ck_assert(classifies(busy, 100));
	close(idle);
	close(busy);
}
END_TEST

/* A frame started and left unfinished is cut after --frame-timeout, and its buffer with it. */
START_TEST(test_frame_timeout)
{
	const char *extra[] = {"--frame-timeout", "1", "--idle-timeout", "60", NULL};
	static uint8_t big[16000], body[12000]; /* within the 16380 bytes negotiated */
	struct spc_reply r;
	size_t n;
	double t0, took;
	int fd, fd_hello;

	start_agent(0, extra);
	memset(body, ' ', sizeof(body));
	body[0] = '{';
	body[sizeof(body) - 1] = '}';
	fd = spc_connect(agent.port);
	ck_assert_int_eq(hello(fd, &r), 1);
	n = spc_notify(big, sizeof(big), 1, 1, "rpc-request", "polkadot.x", body, sizeof(body),
	               sizeof(body));
	ck_assert_uint_gt(n, 12000);
	ck_assert_int_eq(spc_send_all(fd, big, n / 2), 0);
	/* Before HELLO too: half a HELLO frame is cut the same way. */
	fd_hello = spc_connect(agent.port);
	n = spc_hello(big, sizeof(big), "2.0", 16380, "pipelining", false);
	ck_assert_int_eq(spc_send_all(fd_hello, big, n - 5), 0);
	t0 = h_now();
	ck_assert_int_eq(spc_read_reply(fd, &r, 4000), 1);
	took = h_now() - t0;
	ck_assert_int_eq(r.type, 102);
	ck_assert_uint_eq(r.status_code, 2); /* SPOE.txt 3.5: 2, "timeout" */
	ck_assert_msg(took < 2.5, "half frame kept %.2f s", took);
	ck_assert_int_eq(spc_read_reply(fd_hello, &r, 4000), 1);
	ck_assert_int_eq(r.type, 102);
	ck_assert_uint_eq(r.status_code, 2); /* SPOE.txt 3.5: 2, "timeout" */
	ck_assert(closed_within(fd, 3));
	close(fd);
	close(fd_hello);
	/* A whole frame on a new connection is still served. */
	ck_assert(served_within(agent.port, 3));
}
END_TEST

/*
 * Hundreds of idle connections to /metrics: the agent holds no more than
 * its limit (32) of them, keeps serving SPOP meanwhile, and answers a
 * scrape once they are gone.
 */
START_TEST(test_metrics_flood)
{
	enum { N = 200, LIMIT = 32, SLACK = 8 };
	static int flood[N];
	char mport[32];
	const char *extra[] = {"--metrics", mport, NULL};
	int base, peak = 0;
	double cpu0, cpu1, t0;

	agent.metrics_port = h_free_port();
	snprintf(mport, sizeof(mport), "127.0.0.1:%d", agent.metrics_port);
	start_agent(0, extra);
	ck_assert(served_within(agent.port, 5));
	base = open_fds(agent.pid);
	cpu0 = cpu_seconds(agent.pid);
	t0 = h_now();
	for (int i = 0; i < N; i++) {
		flood[i] = connect_nb(agent.metrics_port);
		ck_assert_int_ge(flood[i], 0);
	}
	/* Until every connection was either taken or refused (closed by the agent). */
	ck_assert(h_wait_file_contains(agent.log, "mod=metrics refused", 5));
	for (double end = h_now() + 1.0; h_now() < end; (void)poll(NULL, 0, 50)) {
		int now = open_fds(agent.pid) - base;

		peak = now > peak ? now : peak;
	}
	ck_assert(served_within(agent.port, 3));
	cpu1 = cpu_seconds(agent.pid);
	fprintf(stderr, "metrics flood: %d connections: peak +%d fds, cpu %.3f s in %.1f s\n", N,
	        peak, cpu1 - cpu0, h_now() - t0);
	ck_assert_msg(peak <= LIMIT + SLACK, "agent holds %d metrics connections (limit %d)", peak,
	              LIMIT);
	for (int i = 0; i < N; i++)
		close(flood[i]);
	/* libmicrohttpd drops the closed ones on its next poll; a scrape then answers. */
	for (double end = h_now() + 5; h_now() < end; (void)poll(NULL, 0, 50))
		if (metric(agent.metrics_port, "\npolkfura_spoa_connections ") >= 0)
			return;
	ck_abort_msg("/metrics did not answer after the flood");
}
END_TEST

/*
 * A unix listener: mode and group as asked, a path that is not a socket is
 * never replaced, a second agent takes the path over atomically and the
 * first one, stopping, leaves the second one's socket in place.
 */
START_TEST(test_unix_socket_handover)
{
	char sock[300], listen_unix[320], notsock[300], cmd[900], out[1024], gid[32];
	const char *extra[] = {"--listen", listen_unix, "--socket-mode", "0640", "--socket-group",
	                       gid,        NULL};
	struct h_agent first;
	struct spc_reply r;
	struct stat st, st2;
	int fd, status;

	snprintf(gid, sizeof(gid), "%u", (unsigned)getegid());
	snprintf(sock, sizeof(sock), "%s/agent-%d.sock", h_tmpdir(), (int)getpid());
	snprintf(listen_unix, sizeof(listen_unix), "unix:%s", sock);
	start_agent(0, extra);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	ck_assert_uint_eq(st.st_gid, getegid());
	fd = spc_connect_unix(sock);
	ck_assert_int_ge(fd, 0);
	/* Not inherited by the second agent, or our close() would not reach the first. */
	ck_assert_int_eq(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	ck_assert_int_eq(hello(fd, &r), 1);
	ck_assert(classifies(fd, 1));

	/* A second agent on the same path (test_spoa_restart hands a TCP port over). */
	first = agent;
	memset(&agent, 0, sizeof(agent));
	ck_assert_msg(h_agent_start(&agent, extra), "second agent: %s", agent.log);
	ck_assert_int_eq(lstat(sock, &st2), 0);
	ck_assert_msg(st2.st_ino != st.st_ino, "the path still names the first socket");
	/* The first agent stops: its connection is told goodbye, the path stays the second's. */
	kill(first.pid, SIGTERM);
	ck_assert_int_eq(spc_read_reply(fd, &r, 5000), 1);
	ck_assert_int_eq(r.type, 102);
	close(fd);
	/* Well under the 2 s it would linger if our close() did not reach it. */
	status = h_wait_exit(first.pid, 1.5);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "first agent: status %d",
	              status);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_ino, st2.st_ino);
	fd = spc_connect_unix(sock);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hello(fd, &r), 1);
	ck_assert(classifies(fd, 2));
	close(fd);
	h_agent_stop(&agent);
	/* The last agent removes its own path. */
	ck_assert_int_eq(lstat(sock, &st), -1);

	/* A path that is not a socket is refused and left alone. */
	snprintf(notsock, sizeof(notsock), "%s/not-a-socket-%d", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(notsock, "keep me\n"), 0);
	snprintf(cmd, sizeof(cmd),
	         "%s/polkfura-spoa --methods haproxy/methods.tsv --listen unix:%s 2>&1",
	         h_build_dir(), notsock);
	status = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit %d: %s",
	              WEXITSTATUS(status), out);
	ck_assert_msg(strstr(out, "not a socket") != NULL, "%s", out);
	ck_assert_int_eq(lstat(notsock, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

/*
 * SIGTERM refuses new connections at once, while the agent still drains:
 * a connection with half a frame keeps it running (up to --frame-timeout),
 * and meanwhile a connect() to its TCP port and to its unix path must fail,
 * so HAProxy goes to another agent instead of waiting in a dead backlog.
 */
START_TEST(test_stop_refuses_at_once)
{
	char sock[300], listen_unix[320];
	const char *extra[] = {"--listen", listen_unix, "--frame-timeout", "3", NULL};
	uint8_t buf[1024];
	struct spc_reply r;
	size_t n;
	int fd, again;

	snprintf(sock, sizeof(sock), "%s/agent-stop-%d.sock", h_tmpdir(), (int)getpid());
	snprintf(listen_unix, sizeof(listen_unix), "unix:%s", sock);
	start_agent(0, extra);
	fd = spc_connect(agent.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hello(fd, &r), 1);
	n = spc_notify(buf, sizeof(buf), 1, 1, "rpc-request", "polkadot.x", (const uint8_t *)"{}",
	               2, 2);
	ck_assert_int_eq(spc_send_all(fd, buf, n - 3), 0); /* half a frame: still draining */
	kill(agent.pid, SIGTERM);
	ck_assert(h_wait_file_contains(agent.log, "listeners closed", 3));
	again = spc_connect(agent.port);
	ck_assert_msg(again == -1, "TCP connect accepted after SIGTERM");
	again = spc_connect_unix(sock);
	ck_assert_msg(again == -1, "unix connect accepted after SIGTERM");
	/* Still draining: the half frame is cut by its timeout, then the agent exits 0. */
	ck_assert_int_eq(h_wait_exit(agent.pid, 0), -1);
	ck_assert_int_eq(spc_read_reply(fd, &r, 5000), 1);
	ck_assert_int_eq(r.type, 102);
	close(fd);
	again = h_wait_exit(agent.pid, 10);
	agent.pid = 0;
	ck_assert(WIFEXITED(again) && WEXITSTATUS(again) == 0);
}
END_TEST

static Suite *attack_suite(void)
{
	Suite *s = suite_create("spoa_attack");
	TCase *tc = tcase_create("attack");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fd_exhaustion);
	tcase_add_test(tc, test_connection_cap);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_frame_timeout);
	tcase_add_test(tc, test_metrics_flood);
	tcase_add_test(tc, test_unix_socket_handover);
	tcase_add_test(tc, test_stop_refuses_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(attack_suite());
}
