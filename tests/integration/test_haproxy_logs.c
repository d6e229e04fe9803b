/* SPDX-License-Identifier: MIT */
/*
 * What HAProxy really sends to a syslog receiver: the shipped haproxy.cfg,
 * the real agent and simulated nodes, with the global log target pointed at a
 * UDP socket of this test (PF_LOG_TARGET) in each format the controller reads
 * (PF_LOG_FORMAT rfc3164, the shipped default, and rfc5424; and rfc3164 to a
 * unix datagram socket, the other kind of target). A fixed set of
 * requests goes through (one call, a batch, an unsafe method, an unknown
 * method, broken JSON, GET /health, an unknown host, HTTP/2, a WebSocket
 * upgrade), each tagged by
 * its query string so that its line can be found; every one must come back as
 * exactly one datagram naming it.
 *
 * With PF_CAPTURE_DIR set, the datagrams (all of them, HAProxy's own notices
 * included) and a manifest of what was sent and what the client saw are
 * written there: `make capture-haproxy-logs` refreshes
 * tests/data/haproxy-logs/ that way, and tests/unit/check_logline.c parses
 * them against the manifest.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"

/* One request of the capture; the manifest's columns, in order. */
struct cap_req {
	const char *tag;    /* ?req=<tag> in the URL, so the line names it */
	const char *chain;  /* the Host's first label */
	const char *verb;   /* GET or POST */
	const char *path;   /* "/" or "/health" */
	const char *body;   /* NULL for a GET */
	const char *method; /* the method label the line should carry, "-" if none */
	const char *class;  /* the class the agent gives it, "-" if none */
	const char *batch;  /* calls in the body, "-" if none */
	bool http2;
	bool ws; /* a WebSocket upgrade by tests/harness/ws_subscribe.js */
};

static const struct cap_req reqs[] = {
    {"single", "polkadot", "POST", "/",
     "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"system_health\",\"params\":[]}", "system_health",
     "read", "1", false, false},
    {"batch", "kusama", "POST", "/",
     "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getHeader\"},"
     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"system_chain\"}]",
     "batch", "read", "2", false, false},
    {"unsafe", "polkadot", "POST", "/",
     "{\"id\":7,\"jsonrpc\":\"2.0\",\"method\":\"author_insertKey\",\"params\":[]}",
     "author_insertKey", "unsafe", "1", false, false},
    {"unknown", "polkadot", "POST", "/",
     "{\"id\":3,\"jsonrpc\":\"2.0\",\"method\":\"foo_notAMethod\",\"params\":[]}", "foo_notAMethod",
     "unknown", "1", false, false},
    {"badjson", "polkadot", "POST", "/", "{\"id\":1,\"jsonrpc\":", "-", "invalid", "-", false,
     false},
    {"health", "polkadot", "GET", "/health", NULL, "-", "-", "-", false, false},
    {"nohost", "westend", "GET", "/", NULL, "-", "-", "-", false, false},
    {"h2", "polkadot", "POST", "/",
     "{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"chain_getBlockHash\",\"params\":[1]}",
     "chain_getBlockHash", "read", "1", true, false},
    {"ws", "polkadot", "GET", "/", NULL, "-", "-", "-", false, true},
};
#define N_REQS (sizeof(reqs) / sizeof(reqs[0]))

#define MAX_DGRAMS 256

struct dgrams {
	int n;
	size_t len[MAX_DGRAMS];
	char *data[MAX_DGRAMS];
};

static int udp_receiver(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A unix datagram socket at <path> that HAProxy's worker (user haproxy when root) may write to. */
static int unix_receiver(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(chmod(path, 0666), 0);
	return fd;
}

/* Reads every datagram waiting on <fd>, waiting up to <wait_ms> for the first. */
static void drain(int fd, struct dgrams *d, int wait_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[65536];

	while (d->n < MAX_DGRAMS && poll(&pfd, 1, wait_ms) == 1) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		ck_assert_int_ge(r, 0);
		d->data[d->n] = malloc((size_t)r + 1);
		ck_assert_ptr_nonnull(d->data[d->n]);
		memcpy(d->data[d->n], buf, (size_t)r);
		d->data[d->n][r] = '\0';
		d->len[d->n++] = (size_t)r;
		wait_ms = 0;
	}
}

/* The datagrams naming request <tag> (its query string), however many. */
static int count_tag(const struct dgrams *d, const char *tag)
{
	char needle[64];
	int n = 0;

	snprintf(needle, sizeof(needle), "?req=%s ", tag);
	for (int i = 0; i < d->n; i++)
		n += memmem(d->data[i], d->len[i], needle, strlen(needle)) != NULL;
	return n;
}

static void save(const char *name, const struct dgrams *d, const long status[],
                 const size_t body_len[])
{
	const char *dir = getenv("PF_CAPTURE_DIR");
	char path[600];
	FILE *f;

	if (dir == NULL || *dir == '\0')
		return;
	/* One record per datagram, "<length> <bytes>\n": binary-safe, still readable. */
	snprintf(path, sizeof(path), "%s/%s.dgrams", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < d->n; i++) {
		fprintf(f, "%zu ", d->len[i]);
		fwrite(d->data[i], 1, d->len[i], f);
		fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/%s.sent", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "tag\tchain\tverb\tmethod\tclass\tbatch\tproto\tstatus\tbody_len\n");
	for (size_t i = 0; i < N_REQS; i++)
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%ld\t%zu\n", reqs[i].tag, reqs[i].chain,
		        reqs[i].verb, reqs[i].method, reqs[i].class, reqs[i].batch,
		        reqs[i].http2 ? "HTTP/2.0" : "HTTP/1.1", status[i], body_len[i]);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * Upgrades to a WebSocket, calls, subscribes, waits for one notification,
 * unsubscribes and closes: HAProxy logs the tunnel when it ends, as a 101.
 */
static void ws_upgrade(const struct h_stack *stack, const struct cap_req *q, long *status,
                       size_t *body_len)
{
	char url[256], cmd[1200], out[2048], np[600];
	int st;

	snprintf(url, sizeof(url), "wss://%s.localhost:%d%s?req=%s", q->chain,
	         stack->haproxy.https_port, q->path, q->tag);
	snprintf(cmd, sizeof(cmd),
	         "%s node tests/harness/ws_subscribe.js --url '%s' --ca %s --notifications 1 "
	         "--timeout-ms 20000 2>&1",
	         h_node_path_env(np, sizeof(np)), url, h_ca_file());
	st = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ws: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"upgraded\":true"));
	*status = 101;
	*body_len = 0;
}

/* <format> over UDP, or over a unix datagram socket when <via_unix>. */
static void capture(const char *format, bool via_unix)
{
	struct h_stack stack;
	struct dgrams d = {0};
	long status[N_REQS];
	size_t body_len[N_REQS];
	char target[600], fmt[64], name[128], path[512];
	/* No chroot: the socket's path is outside it. */
	char chroot_off[] = "PF_CHROOT=";
	char *env[] = {target, fmt, via_unix ? chroot_off : NULL, NULL};
	int port, fd;
	const char *ver;

	if (via_unix) {
		snprintf(path, sizeof(path), "%s/log-%d.sock", h_tmpdir(), (int)getpid());
		fd = unix_receiver(path);
		snprintf(target, sizeof(target), "PF_LOG_TARGET=%s", path);
	} else {
		fd = udp_receiver(&port);
		snprintf(target, sizeof(target), "PF_LOG_TARGET=127.0.0.1:%d", port);
	}
	snprintf(fmt, sizeof(fmt), "PF_LOG_FORMAT=%s", format);
	if (!h_stack_start(&stack, env)) {
		h_stack_stop(&stack);
		ck_abort_msg("stack did not start; logs in %s", h_tmpdir());
	}
	/* Blocks every 200 ms, so that the WebSocket's subscription is notified quickly. */
	ck_assert_int_eq(
	    h_nodesim_control(&stack.polkadot, "/all", "{\"block_time_ms\":200}", NULL), 200);
	for (size_t i = 0; i < N_REQS; i++) {
		char url[256];
		struct h_req req = {.method = reqs[i].verb,
		                    .url = url,
		                    .body = reqs[i].body,
		                    .resolve_port = stack.haproxy.https_port,
		                    .http2 = reqs[i].http2};
		struct h_resp r;

		if (reqs[i].ws) {
			ws_upgrade(&stack, &reqs[i], &status[i], &body_len[i]);
			continue;
		}
		snprintf(url, sizeof(url), "https://%s.localhost:%d%s?req=%s", reqs[i].chain,
		         stack.haproxy.https_port, reqs[i].path, reqs[i].tag);
		status[i] = h_http(&req, &r);
		ck_assert_msg(status[i] > 0, "%s: %s", reqs[i].tag, r.err);
		body_len[i] = r.len;
		h_resp_free(&r);
	}
	/* Every request logged once: poll until the last one is in, then take the rest. */
	for (double end = h_now() + 10; h_now() < end && count_tag(&d, reqs[N_REQS - 1].tag) == 0;)
		drain(fd, &d, 100);
	h_stack_stop(&stack);
	drain(fd, &d, 200);
	close(fd);
	if (via_unix)
		unlink(path);
	for (size_t i = 0; i < N_REQS; i++)
		ck_assert_msg(count_tag(&d, reqs[i].tag) == 1, "%s logged %d times", reqs[i].tag,
		              count_tag(&d, reqs[i].tag));
	/* In the format asked for: RFC 5424 has its version "1 " right after the PRI. */
	for (int i = 0; i < d.n; i++) {
		const char *gt = memchr(d.data[i], '>', d.len[i]);

		ck_assert_msg(d.data[i][0] == '<' && gt != NULL, "%s", d.data[i]);
		ck_assert_msg((strncmp(gt + 1, "1 ", 2) == 0) == (strcmp(format, "rfc5424") == 0),
		              "%s: %s", format, d.data[i]);
	}
	ver = strstr(h_haproxy_bin(), "3.4") != NULL ? "hap34" : "hap26";
	snprintf(name, sizeof(name), "%s-%s%s", ver, format, via_unix ? "-unix" : "");
	save(name, &d, status, body_len);
	for (int i = 0; i < d.n; i++)
		free(d.data[i]);
}

START_TEST(test_rfc3164)
{
	capture("rfc3164", false);
}
END_TEST

START_TEST(test_rfc5424)
{
	capture("rfc5424", false);
}
END_TEST

START_TEST(test_rfc3164_unix)
{
	capture("rfc3164", true);
}
END_TEST

static Suite *haproxy_logs_suite(void)
{
	Suite *s = suite_create("haproxy_logs");
	TCase *tc = tcase_create("capture");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rfc3164);
	tcase_add_test(tc, test_rfc5424);
	tcase_add_test(tc, test_rfc3164_unix);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(haproxy_logs_suite());
}
