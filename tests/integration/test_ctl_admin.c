/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl's admin endpoints and HTTP server under attack from the same
 * host, with real haproxy, the node simulator and the controller: no token
 * 401 and nothing changes; the token acts and the drain records who, from
 * where and when; no admin_token_file 404; a world-readable token file
 * refused by `check` and `run`; text/plain 415 and Origin 403; a foreign Host
 * refused on every endpoint; a newline in a reason, "p0\u0000x" and
 * over-long names refused; the last ready node needs --force; a state
 * directory that cannot be written fails `check` and makes a drain a 500
 * that applies nothing; the CLI works past mistakes elsewhere in the config
 * and without it; proxies in the environment are ignored by the polls and
 * the CLI; hundreds of idle or trickling connections leave /healthz
 * reachable within the documented bound. Requests that must be exact
 * (headers, raw bytes, source addresses) go over raw sockets.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl/web/http.h"
#include "ctl_fixture.h"
#include "tests/harness/children.h"

#define HOSTS_TUNING "\"http_hosts\": [\"ctl.test\"]"

static void setup(void)
{
	fx_start(HOSTS_TUNING);
}

/* Stops everything the fixture started and asserts each one's exit status. */
static void teardown(void)
{
	fx_stop();
}

/* ---- raw HTTP over sockets with a chosen source address ---- */

/* A connection to the controller from <src> (NULL: the kernel's pick). */
static int conn_from(const char *src)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	if (src != NULL) {
		ck_assert_int_eq(inet_pton(AF_INET, src, &sa.sin_addr), 1);
		ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s: %s", src,
		              strerror(errno));
	}
	sa.sin_port = htons((uint16_t)fx.ctl.http_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
	              strerror(errno));
	return fd;
}

/* Reads until EOF into <resp> for at most <timeout_s>; true on EOF (or reset). */
static bool read_to_eof(int fd, char *resp, size_t resplen, double timeout_s)
{
	size_t n = 0;
	double end = h_now() + timeout_s;

	resp[0] = '\0';
	while (h_now() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, (int)((end - h_now()) * 1000) + 1) <= 0)
			continue;
		r = read(fd, resp + n, resplen - 1 - n);
		if (r <= 0)
			return true;
		n += (size_t)r;
		resp[n] = '\0';
		if (n == resplen - 1)
			return false;
	}
	return false;
}

/*
 * Sends <req>/<len> from <src> and returns the response status, or -1 when
 * the connection closed or timed out without one. <resp> gets the response.
 */
static long raw_http(const char *src, const char *req, size_t len, char *resp, size_t resplen,
                     double timeout_s)
{
	int fd = conn_from(src);
	long status = -1;

	if (send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len)
		(void)read_to_eof(fd, resp, resplen, timeout_s);
	else
		resp[0] = '\0';
	close(fd);
	if (strncmp(resp, "HTTP/1.", 7) == 0 && strlen(resp) > 12)
		status = strtol(resp + 9, NULL, 10);
	return status;
}

static long get_with_host(const char *path, const char *host, char *resp, size_t resplen)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);

	return raw_http(NULL, req, (size_t)n, resp, resplen, 5);
}

/* A POST with exactly the headers given (NULL: absent) and <body>/<blen> (raw bytes). */
static long post_raw(const char *path, const char *ct, const char *auth, const char *origin,
                     const char *body, size_t blen, char *resp, size_t resplen)
{
	char req[4096];
	int n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", path,
	                 fx.ctl.http_port);

	if (ct != NULL)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Content-Type: %s\r\n", ct);
	if (auth != NULL)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Authorization: %s\r\n", auth);
	if (origin != NULL)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Origin: %s\r\n", origin);
	n += snprintf(req + n, sizeof(req) - (size_t)n,
	              "Content-Length: %zu\r\nConnection: close\r\n\r\n", blen);
	ck_assert_uint_lt((size_t)n + blen, sizeof(req));
	memcpy(req + n, body, blen);
	return raw_http(NULL, req, (size_t)n + blen, resp, resplen, 5);
}

static long post_json(const char *path, const char *body, char *resp, size_t resplen)
{
	return post_raw(path, "application/json", "Bearer " FX_TOKEN, NULL, body, strlen(body),
	                resp, resplen);
}

/* ---- what the controller and HAProxy show ---- */

static char *status_json(void)
{
	struct h_resp r;
	char *body;

	ck_assert_int_eq(h_ctl_http(&fx.ctl, "/status.json", NULL, &r), 200);
	body = r.body;
	r.body = NULL;
	h_resp_free(&r);
	return body;
}

/* For a while (several rounds), no node is drained, in HAProxy or in the controller. */
static void expect_nothing_drained(double seconds)
{
	char *st;

	for (double end = h_now() + seconds; h_now() < end;)
		for (int i = 0; i < FX_NODES; i++)
			ck_assert_msg(fx_ready_now(i), "node%d left rotation; ctl log %s", i + 1,
			              fx.ctl.log);
	st = status_json();
	ck_assert_msg(strstr(st, "\"admin_drain\":true") == NULL, "%s", st);
	free(st);
}

static char *ctl_log(void)
{
	size_t len;
	char *log = h_read_file(fx.ctl.log, &len);

	ck_assert_ptr_nonnull(log);
	return log;
}

/* Restarts the controller on the same port with the fixture's current settings. */
static void restart_ctl(const char *tuning)
{
	char *cfg;

	h_ctl_stop(&fx.ctl);
	cfg = fx_ctl_config(fx_socket_item, NULL, tuning);
	ck_assert_msg(h_ctl_start(&fx.ctl, cfg), "ctl did not start: %s", fx.ctl.log);
	free(cfg);
}

/* A file with <text> and mode 0600 at <tmpdir>/<name>; its path in <path>. */
static void secret_file(char *path, size_t len, const char *name, const char *text)
{
	snprintf(path, len, "%s/%s-%d", h_tmpdir(), name, (int)getpid());
	ck_assert_int_eq(h_write_file(path, text), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
}

/* ---- authentication ---- */

START_TEST(test_no_token_401_changes_nothing)
{
	static const char body[] = "{\"node\":\"p0\",\"reason\":\"x\"}";
	char resp[2048], out[2048], args[1200], wrong[512], *log;

	ck_assert_int_eq(post_raw("/admin/drain", "application/json", NULL, NULL, body,
	                          strlen(body), resp, sizeof(resp)),
	                 401);
	ck_assert_ptr_nonnull(strstr(resp, "WWW-Authenticate: Bearer"));
	ck_assert_int_eq(post_raw("/admin/drain", "application/json",
	                          "Bearer not-the-token-0123456789", NULL, body, strlen(body), resp,
	                          sizeof(resp)),
	                 401);
	ck_assert_int_eq(post_raw("/admin/undrain", "application/json", "Basic " FX_TOKEN, NULL,
	                          body, strlen(body), resp, sizeof(resp)),
	                 401);
	/* The CLI with another token: exit 1, one line naming the status. */
	secret_file(wrong, sizeof(wrong), "wrong-token", "another-token-0123456789\n");
	snprintf(args, sizeof(args), "drain p0 --reason x --token-file %s --config %s", wrong,
	         fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "drain p0: wrong admin token (HTTP 401)") != NULL, "%s", out);
	ck_assert_ptr_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
	expect_nothing_drained(1.0);
	/* Refusals are logged, tokens never. */
	log = ctl_log();
	ck_assert_ptr_nonnull(strstr(log, "refused POST /admin/drain: 401"));
	ck_assert_ptr_null(strstr(log, "not-the-token"));
	ck_assert_ptr_null(strstr(log, "another-token"));
	ck_assert_ptr_null(strstr(log, FX_TOKEN));
	free(log);
}
END_TEST

START_TEST(test_token_acts_and_records_who)
{
	char resp[4096], out[4096], args[1200], *st, *state, *log;
	size_t len;

	snprintf(args, sizeof(args), "drain p0 --reason 'disk swap' --config %s", fx.ctl.config);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	ck_assert_str_eq(out, "p0 drained\n");
	fx_expect_drain(0, true, FX_REAPPLY_S);
	/* Who, from where and when: in the status, the state file and one log line. */
	st = status_json();
	ck_assert_msg(strstr(st, "\"admin_drain\":true") != NULL, "%s", st);
	{
		/* "admin_by":"<user>@<host> from 127.0.0.1","admin_at_ms":<ms> */
		const char *by = strstr(st, "\"admin_by\":\""), *end;

		ck_assert_msg(by != NULL, "%s", st);
		end = strstr(by, " from 127.0.0.1\",\"admin_at_ms\":1");
		ck_assert_msg(end != NULL && memchr(by, '@', (size_t)(end - by)) != NULL, "%s", st);
	}
	free(st);
	state = h_read_file(fx.state_file, &len);
	ck_assert_ptr_nonnull(state);
	ck_assert_ptr_nonnull(strstr(state, "\"reason\":\t\"disk swap\""));
	ck_assert_ptr_nonnull(strstr(state, "\"peer\":\t\"127.0.0.1\""));
	ck_assert_ptr_nonnull(strstr(state, "\"by\":\t\""));
	ck_assert_ptr_nonnull(strstr(state, "\"at_ms\":\t1"));
	free(state);
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 admin drain by=", 2));
	log = ctl_log();
	ck_assert_ptr_nonnull(strstr(log, "peer=127.0.0.1 reason=\"disk swap\"\n"));
	free(log);
	/* A request of its own, with the token: undrain. */
	ck_assert_int_eq(post_json("/admin/undrain", "{\"node\":\"p0\",\"by\":\"bob@laptop\"}",
	                           resp, sizeof(resp)),
	                 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"admin_drain\":false"));
	fx_expect_drain(0, false, FX_DRAIN_S);
	ck_assert(h_wait_file_contains(fx.ctl.log,
	                               "node=p0 admin undrain by=bob@laptop peer=127.0.0.1", 2));
}
END_TEST

START_TEST(test_no_token_file_404)
{
	char resp[2048], out[2048], args[1200], token[512];

	snprintf(token, sizeof(token), "%s", fx.token_file);
	fx.token_file[0] = '\0'; /* the config loses admin_token_file */
	restart_ctl(HOSTS_TUNING);
	ck_assert(h_wait_file_contains(fx.ctl.log, "admin endpoints off (no admin_token_file)", 2));
	ck_assert_int_eq(
	    post_json("/admin/drain", "{\"node\":\"p0\",\"reason\":\"x\"}", resp, sizeof(resp)),
	    404);
	ck_assert_ptr_nonnull(strstr(resp, "admin endpoints are off"));
	/* The CLI needs a token to send: none in the config... */
	snprintf(args, sizeof(args), "drain p0 --reason x --config %s", fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "has no admin_token_file: pass --token-file FILE") != NULL, "%s",
	              out);
	/* ...and with one, the controller says the endpoints are off. */
	snprintf(args, sizeof(args), "drain p0 --reason x --token-file %s --config %s", token,
	         fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "admin endpoints are off: the controller has no admin_token_file "
	                          "(HTTP 404)") != NULL,
	              "%s", out);
	/* Read-only endpoints stay open. */
	ck_assert_int_eq(get_with_host("/healthz", "ctl.test", resp, sizeof(resp)), 200);
	expect_nothing_drained(0.5);
}
END_TEST

START_TEST(test_open_token_file_refused)
{
	char out[2048], args[1200];
	pid_t pid;
	int st;

	ck_assert_int_eq(chmod(fx.token_file, 0644), 0);
	snprintf(args, sizeof(args), "check --config %s", fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, fx.token_file) != NULL && strstr(out, "mode 0644") != NULL &&
	                  strstr(out, "admin_token_file") != NULL,
	              "%s", out);
	/* `run` refuses to start the same way. */
	{
		char bin[512], log[600];
		char *argv[] = {bin, "run", "--config", fx.ctl.config, NULL};

		snprintf(bin, sizeof(bin), "%s/polkfura-ctl", h_build_dir());
		snprintf(log, sizeof(log), "%s/run-open-token-%d.log", h_tmpdir(), (int)getpid());
		pid = h_spawn(argv, NULL, log);
		st = h_wait_exit(pid, 10);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "run exit status %d", st);
		ck_assert(h_wait_file_contains(log, "mode 0644", 1));
	}
	ck_assert_int_eq(chmod(fx.token_file, 0640), 0);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "mode 0640"));
	/* Not owned by the user running it (only root can give a file away to test this). */
	ck_assert_int_eq(chmod(fx.token_file, 0600), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(fx.token_file, 65534, 65534), 0);
		ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
		ck_assert_msg(strstr(out, "owned by uid 65534") != NULL, "%s", out);
		ck_assert_int_eq(chown(fx.token_file, getuid(), getgid()), 0);
	}
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "admin endpoints on") != NULL, "%s", out);
}
END_TEST

/* ---- what a web page or a careless caller sends ---- */

START_TEST(test_browser_shapes_refused)
{
	static const char body[] = "{\"node\":\"p0\",\"reason\":\"x\"}";
	char resp[2048];

	ck_assert_int_eq(post_raw("/admin/drain", "text/plain", "Bearer " FX_TOKEN, NULL, body,
	                          strlen(body), resp, sizeof(resp)),
	                 415);
	ck_assert_ptr_nonnull(strstr(resp, "Content-Type must be application/json"));
	ck_assert_int_eq(post_raw("/admin/drain", "application/x-www-form-urlencoded",
	                          "Bearer " FX_TOKEN, NULL, body, strlen(body), resp, sizeof(resp)),
	                 415);
	ck_assert_int_eq(post_raw("/admin/drain", "application/json", "Bearer " FX_TOKEN,
	                          "http://evil.example", body, strlen(body), resp, sizeof(resp)),
	                 403);
	ck_assert_int_eq(post_raw("/admin/drain", "application/json", "Bearer " FX_TOKEN, "null",
	                          body, strlen(body), resp, sizeof(resp)),
	                 403);
	expect_nothing_drained(1.0);
}
END_TEST

START_TEST(test_foreign_host_refused)
{
	char resp[8192], host[64];

	/* DNS rebinding: the attacker's name, the controller's address. */
	snprintf(host, sizeof(host), "rebind.evil.example:%d", fx.ctl.http_port);
	ck_assert_int_eq(get_with_host("/status.json", host, resp, sizeof(resp)), 421);
	ck_assert_ptr_null(strstr(resp, "\"chains\""));
	ck_assert_int_eq(get_with_host("/metrics", host, resp, sizeof(resp)), 421);
	ck_assert_ptr_null(strstr(resp, "polkfura_ctl_"));
	ck_assert_int_eq(get_with_host("/healthz", host, resp, sizeof(resp)), 421);
	ck_assert_int_eq(get_with_host("/status.json", "127.0.0.1", resp, sizeof(resp)), 421);
	/* The names it answers to. */
	snprintf(host, sizeof(host), "localhost:%d", fx.ctl.http_port);
	ck_assert_int_eq(get_with_host("/status.json", host, resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "\"chains\""));
	snprintf(host, sizeof(host), "127.0.0.1:%d", fx.ctl.http_port);
	ck_assert_int_eq(get_with_host("/metrics", host, resp, sizeof(resp)), 200);
	ck_assert_int_eq(get_with_host("/healthz", "ctl.test", resp, sizeof(resp)), 200);
	snprintf(host, sizeof(host), "CTL.test:%d", fx.ctl.http_port);
	ck_assert_int_eq(get_with_host("/healthz", host, resp, sizeof(resp)), 200);
	/* An admin request under a foreign name is refused before its token is looked at. */
	{
		char req[1024];
		int n = snprintf(
		    req, sizeof(req),
		    "POST /admin/drain HTTP/1.1\r\nHost: rebind.evil.example\r\n"
		    "Content-Type: application/json\r\nAuthorization: Bearer " FX_TOKEN
		    "\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"node\":\"p0\"}");

		ck_assert_int_eq(raw_http(NULL, req, (size_t)n, resp, sizeof(resp), 5), 421);
	}
	expect_nothing_drained(0.5);
}
END_TEST

START_TEST(test_forged_reason_and_names_refused)
{
	char resp[2048], out[2048], args[1400], *log;
	static const char nul_raw[] = "{\"node\":\"p0\\u0000x\",\"reason\":\"x\"}";

	ck_assert_int_eq(
	    post_json("/admin/drain",
	              "{\"node\":\"p0\",\"reason\":\"disk\\nts=0 lvl=err mod=ctl forged\"}", resp,
	              sizeof(resp)),
	    400);
	ck_assert_ptr_nonnull(strstr(resp, "control characters"));
	/* The CLI passes the newline on and says why it was refused. */
	snprintf(args, sizeof(args),
	         "drain p0 --reason \"$(printf 'disk\\nforged line')\" --config %s", fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "control characters (newline, tab, escape...) are not allowed "
	                          "(HTTP 400)") != NULL,
	              "%s", out);
	/* Names match exactly: \u0000, a raw NUL, a longer or differently cased name. */
	ck_assert_int_eq(post_json("/admin/drain", nul_raw, resp, sizeof(resp)), 400);
	{
		static const char raw_nul[] = "{\"node\":\"p0\0x\"}";

		ck_assert_int_eq(post_raw("/admin/drain", "application/json", "Bearer " FX_TOKEN,
		                          NULL, raw_nul, sizeof(raw_nul) - 1, resp, sizeof(resp)),
		                 400);
	}
	ck_assert_int_eq(
	    post_json("/admin/drain",
	              "{\"node\":\"p0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	              "aaaaaaaaaa\"}",
	              resp, sizeof(resp)),
	    400);
	ck_assert_int_eq(post_json("/admin/drain", "{\"node\":\"p0x\"}", resp, sizeof(resp)), 404);
	ck_assert_ptr_nonnull(strstr(resp, "no node named p0x"));
	ck_assert_int_eq(post_json("/admin/drain", "{\"node\":\"P0\"}", resp, sizeof(resp)), 404);
	expect_nothing_drained(1.0);
	log = ctl_log();
	ck_assert_ptr_null(strstr(log, "forged"));
	free(log);
}
END_TEST

/* ---- min_ready ---- */

START_TEST(test_last_ready_node_needs_force)
{
	char out[2048], args[1200], *state;
	size_t len;

	for (int i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "drain p%d --reason maintenance --config %s", i,
		         fx.ctl.config);
		ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
		fx_expect_drain(i, true, FX_REAPPLY_S);
	}
	snprintf(args, sizeof(args), "drain p2 --reason maintenance --config %s", fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	ck_assert_msg(
	    strstr(out, "polkfura-ctl: drain p2: draining p2 would leave 0 servers in "
	                "rotation in chain polkadot, fewer than min_ready 1; use --force") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out, "(HTTP 409)") != NULL, "%s", out);
	for (double end = h_now() + 1; h_now() < end;)
		ck_assert(fx_ready_now(2));
	state = h_read_file(fx.state_file, &len);
	ck_assert_ptr_nonnull(state);
	ck_assert_ptr_null(strstr(state, "\"p2\""));
	free(state);
	snprintf(args, sizeof(args), "drain p2 --force --reason 'all out' --config %s",
	         fx.ctl.config);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(2, true, FX_REAPPLY_S);
	/* Undrain needs no force. */
	for (int i = 0; i < 3; i++) {
		snprintf(args, sizeof(args), "undrain p%d --config %s", i, fx.ctl.config);
		ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	}
	for (int i = 0; i < 3; i++)
		fx_expect_drain(i, false, FX_DRAIN_S);
}
END_TEST

/* ---- the state directory ---- */

START_TEST(test_state_dir_not_writable)
{
	char out[2048], args[1400], path[700], sub[400], *cfg, resp[2048];
	pid_t pid;
	int st;

	/* check and run refuse a state_file whose directory is missing or refuses files. */
	cfg = fx_ctl_config(fx_socket_item, NULL, HOSTS_TUNING);
	{
		char *p = strstr(cfg, fx.state_file), fixed[8192];

		ck_assert_ptr_nonnull(p);
		snprintf(fixed, sizeof(fixed), "%.*s/nonexistent/x.json%s", (int)(p - cfg), cfg,
		         p + strlen(fx.state_file));
		snprintf(path, sizeof(path), "%s/bad-state-dir-%d.json", h_tmpdir(), (int)getpid());
		ck_assert_int_eq(h_write_file(path, fixed), 0);
		snprintf(fixed, sizeof(fixed), "%.*s/proc/polkfura-state.json%s", (int)(p - cfg),
		         cfg, p + strlen(fx.state_file));
		snprintf(sub, sizeof(sub), "%s/proc-state-%d.json", h_tmpdir(), (int)getpid());
		ck_assert_int_eq(h_write_file(sub, fixed), 0);
	}
	free(cfg);
	snprintf(args, sizeof(args), "check --config %s", path);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "state_file: directory /nonexistent: does not exist") != NULL,
	              "%s", out);
	snprintf(args, sizeof(args), "check --config %s", sub);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "state_file: cannot create a file in /proc") != NULL, "%s", out);
	{
		char bin[512], log[600];
		char *argv[] = {bin, "run", "--config", path, NULL};

		snprintf(bin, sizeof(bin), "%s/polkfura-ctl", h_build_dir());
		snprintf(log, sizeof(log), "%s/run-bad-state-%d.log", h_tmpdir(), (int)getpid());
		pid = h_spawn(argv, NULL, log);
		st = h_wait_exit(pid, 10);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "run exit status %d", st);
	}
	/* A running controller whose state directory goes away: a drain is a 500, nothing applied.
	 */
	snprintf(sub, sizeof(sub), "%s/state-dir-%d", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(fx.state_file, sizeof(fx.state_file), "%s/state.json", sub);
	restart_ctl(HOSTS_TUNING);
	ck_assert_int_eq(rmdir(sub), 0);
	snprintf(args, sizeof(args), "drain p0 --reason 'disk swap' --config %s", fx.ctl.config);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "cannot save the state file") != NULL &&
	                  strstr(out, "No such file or directory; nothing changed (HTTP 500)") !=
	                      NULL,
	              "%s", out);
	ck_assert_int_eq(post_json("/admin/drain", "{\"node\":\"p1\"}", resp, sizeof(resp)), 500);
	expect_nothing_drained(1.0);
	ck_assert(
	    h_wait_file_contains(fx.ctl.log, "node=p0 admin drain not saved, nothing changed", 1));
	/* Both refusals counted for an alert (issue 11). */
	{
		struct h_resp r;

		ck_assert_int_eq(h_ctl_http(&fx.ctl, "/metrics", NULL, &r), 200);
		ck_assert_msg(strstr(r.body, "\npolkfura_ctl_state_file_errors_total 2\n") != NULL,
		              "%s", strstr(r.body, "polkfura_ctl_state_file_errors_total "));
		h_resp_free(&r);
	}
	/* The directory is back: drains work again. */
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(0, true, FX_REAPPLY_S);
}
END_TEST

/* ---- the CLI past a broken config, and proxies in the environment ---- */

/* Writes <cfg> with <from> replaced by <to> to <path>. */
static void config_variant(const char *path, const char *from, const char *to)
{
	size_t len;
	char *cfg = h_read_file(fx.ctl.config, &len), *p, out[16384];

	ck_assert_ptr_nonnull(cfg);
	p = strstr(cfg, from);
	ck_assert_ptr_nonnull(p);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - cfg), cfg, to, p + strlen(from));
	ck_assert_int_eq(h_write_file(path, out), 0);
	free(cfg);
}

START_TEST(test_cli_past_config_mistakes)
{
	char out[8192], args[1800], typo[600], junk[600], url[64];

	snprintf(typo, sizeof(typo), "%s/typo-%d.json", h_tmpdir(), (int)getpid());
	config_variant(typo, "\"interval_ms\": 200", "\"intervl_ms\": 200, \"max_lag\": \"five\"");
	snprintf(args, sizeof(args), "check --config %s", typo);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "status --config %s", typo);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "CHAIN"));
	snprintf(args, sizeof(args), "drain p1 --reason typo --config %s", typo);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(1, true, FX_REAPPLY_S);
	snprintf(args, sizeof(args), "undrain p1 --config %s", typo);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	/* Not even JSON: said so, with the way around it. */
	snprintf(junk, sizeof(junk), "%s/junk-%d.json", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(junk, "region = eu\n"), 0);
	snprintf(args, sizeof(args), "status --config %s", junk);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	ck_assert_msg(
	    strstr(out, "invalid JSON at line 1") != NULL &&
	        strstr(out, "--url URL and --token-file FILE make the config unnecessary") != NULL,
	    "%s", out);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fx.ctl.http_port);
	snprintf(args, sizeof(args), "status --url %s --config %s", url, junk);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	snprintf(args, sizeof(args), "drain p1 --reason url --url %s --token-file %s --config %s",
	         url, fx.token_file, junk);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(1, true, FX_REAPPLY_S);
	snprintf(args, sizeof(args), "undrain p1 --url %s --config %s", url, junk);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "undrain p1 --url http://localhost:%d --token-file %s",
	         fx.ctl.http_port, fx.token_file);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(1, false, FX_DRAIN_S);
	/* A --url under a name the controller does not serve. */
	snprintf(args, sizeof(args), "status --url http://127.0.0.1:%d --config %s",
	         fx.ctl.http_port, junk);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 0);
	snprintf(args, sizeof(args), "status --url ftp://127.0.0.1:%d", fx.ctl.http_port);
	ck_assert_int_eq(h_ctl_run(NULL, args, out, sizeof(out)), 2);
}
END_TEST

#define PROXY_ENV                                                                                  \
	"http_proxy=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 "                             \
	"https_proxy=http://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1 "                           \
	"all_proxy=http://127.0.0.1:1 ALL_PROXY=http://127.0.0.1:1"

START_TEST(test_env_proxies_ignored)
{
	char *env[] = {"http_proxy=http://127.0.0.1:1",
	               "HTTP_PROXY=http://127.0.0.1:1",
	               "https_proxy=http://127.0.0.1:1",
	               "HTTPS_PROXY=http://127.0.0.1:1",
	               "all_proxy=http://127.0.0.1:1",
	               "ALL_PROXY=http://127.0.0.1:1",
	               NULL};
	char bin[512], out[8192], args[1200], *st = NULL;
	char *argv[] = {bin, "run", "--config", fx.ctl.config, NULL};
	int ok_rounds = 0, rc;
	struct h_resp r;

	h_ctl_stop(&fx.ctl);
	snprintf(bin, sizeof(bin), "%s/polkfura-ctl", h_build_dir());
	fx.ctl.pid = h_spawn(argv, env, fx.ctl.log);
	ck_assert_int_gt(fx.ctl.pid, 0);
	h_child_expect(fx.ctl.pid, "polkfura-ctl", SIGTERM, 0);
	rc = 0;
	for (double end = h_now() + 10; h_now() < end && rc != 200;) {
		rc = (int)h_ctl_http(&fx.ctl, "/healthz", NULL, &r);
		h_resp_free(&r);
	}
	ck_assert_int_eq(rc, 200);
	/* Every node polled fine for several rounds in a row. */
	for (double end = h_now() + 5; h_now() < end && ok_rounds < 5;) {
		free(st);
		st = status_json();
		if (strstr(st, "\"poll\":\"connect\"") == NULL &&
		    strstr(st, "\"poll\":\"ok\"") != NULL &&
		    strstr(st, "\"reachable\":false") == NULL)
			ok_rounds++;
		else
			ok_rounds = 0;
	}
	ck_assert_msg(ok_rounds >= 5, "polls went through the proxy? %s", st);
	free(st);
	/* The CLI ignores them too. */
	snprintf(args, sizeof(args), "status --config %s", fx.ctl.config);
	ck_assert_msg(h_ctl_run(PROXY_ENV, args, out, sizeof(out)) == 0, "%s", out);
	snprintf(args, sizeof(args), "drain p0 --reason proxy --config %s", fx.ctl.config);
	ck_assert_msg(h_ctl_run(PROXY_ENV, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(0, true, FX_REAPPLY_S);
	snprintf(args, sizeof(args), "undrain p0 --config %s", fx.ctl.config);
	ck_assert_msg(h_ctl_run(PROXY_ENV, args, out, sizeof(out)) == 0, "%s", out);
	fx_expect_drain(0, false, FX_DRAIN_S);
}
END_TEST

/* ---- connection floods ---- */

#define FLOOD 300

/* Connections still open (not closed by the server) among <fds>. */
static int still_open(const int *fds, int n)
{
	int open = 0;

	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		char c;

		if (poll(&p, 1, 0) == 0 ||
		    ((p.revents & POLLIN) && recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0))
			open++;
	}
	return open;
}

/* GET /healthz from <src> until a 200, for at most <within> seconds; returns the seconds taken. */
static double healthz_from(const char *src, double within)
{
	char req[256], resp[1024];
	double t0 = h_now();
	int n = snprintf(req, sizeof(req),
	                 "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
	                 fx.ctl.http_port);

	while (h_now() - t0 < within) {
		if (raw_http(src, req, (size_t)n, resp, sizeof(resp), within - (h_now() - t0)) ==
		    200)
			return h_now() - t0;
		poll(NULL, 0,
		     20); /* refused at once (over a limit): try again, at a client's pace */
	}
	return -1;
}

START_TEST(test_slow_connections_bounded)
{
	static int idle[FLOOD], wide[HTTP_MAX_CONNECTIONS], slow[HTTP_MAX_PER_IP];
	char *log, *line;
	double took, t0;
	int open;

	/* 300 connections from one address that never send a byte. */
	for (int i = 0; i < FLOOD; i++)
		idle[i] = conn_from("127.0.0.1");
	/* Another client is served at once; the flood holds HTTP_MAX_PER_IP slots at most. */
	took = healthz_from("127.0.0.2", 2.0);
	ck_assert_msg(took >= 0 && took < 2.0, "/healthz from 127.0.0.2: %.2f s", took);
	open = still_open(idle, FLOOD);
	ck_assert_msg(open >= 1 && open <= HTTP_MAX_PER_IP, "%d flood connections open", open);
	/* A client on the flood's own address waits until the idle ones expire. */
	took = healthz_from("127.0.0.1", HTTP_REQUEST_S + 3.0);
	ck_assert_msg(took >= 0, "/healthz from 127.0.0.1 not within %d s", HTTP_REQUEST_S + 3);
	for (int i = 0; i < FLOOD; i++)
		close(idle[i]);

	/* Slowloris: one header byte every 300 ms keeps MHD's idle timer happy, not the deadline.
	 */
	t0 = h_now();
	for (int i = 0; i < HTTP_MAX_PER_IP; i++) {
		static const char head[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

		slow[i] = conn_from("127.0.0.3");
		ck_assert_int_eq(send(slow[i], head, sizeof(head) - 1, MSG_NOSIGNAL),
		                 (ssize_t)sizeof(head) - 1);
	}
	while (h_now() - t0 < HTTP_REQUEST_S + 3.0 && still_open(slow, HTTP_MAX_PER_IP) > 0) {
		for (int i = 0; i < HTTP_MAX_PER_IP; i++)
			(void)send(slow[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		poll(NULL, 0, 300); /* the trickle's pace, not a synchronisation */
	}
	ck_assert_msg(still_open(slow, HTTP_MAX_PER_IP) == 0,
	              "trickling connections still open after %.1f s", h_now() - t0);
	ck_assert_double_le(h_now() - t0, HTTP_REQUEST_S + 3.0);
	for (int i = 0; i < HTTP_MAX_PER_IP; i++)
		close(slow[i]);

	/* Every slot taken, from many loopback addresses: a new client waits the deadline at most.
	 */
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
		char src[32];

		snprintf(src, sizeof(src), "127.0.1.%d", 1 + i / HTTP_MAX_PER_IP);
		wide[i] = conn_from(src);
	}
	took = healthz_from("127.0.2.1", HTTP_REQUEST_S + 3.0);
	ck_assert_msg(took >= 0, "/healthz not within %d s with every slot taken",
	              HTTP_REQUEST_S + 3);
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++)
		close(wide[i]);
	ck_assert_int_eq(healthz_from(NULL, 2.0) >= 0, 1);

	/* Every slot taken, a client queued, then the slots freed at once: it is served at once. */
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
		char src[32];

		snprintf(src, sizeof(src), "127.0.1.%d", 1 + i / HTTP_MAX_PER_IP);
		wide[i] = conn_from(src);
	}
	{
		char req[256], resp[1024];
		int fd = conn_from("127.0.2.2"), n;

		n = snprintf(
		    req, sizeof(req),
		    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
		    fx.ctl.http_port);
		ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
		for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++)
			close(wide[i]);
		t0 = h_now();
		(void)read_to_eof(fd, resp, sizeof(resp), 3.0);
		close(fd);
		ck_assert_msg(strncmp(resp, "HTTP/1.1 200", 12) == 0,
		              "queued client not served %.1f s after the slots freed: '%.40s'",
		              h_now() - t0, resp);
	}

	/* libmicrohttpd spoke through the log, one printable key=value line each. */
	log = ctl_log();
	ck_assert_msg(strstr(log, "lvl=warn mod=http libmicrohttpd: ") != NULL, "%s", fx.ctl.log);
	for (line = log; *line != '\0'; line = strchr(line, '\n') + 1) {
		ck_assert_msg(strncmp(line, "ts=", 3) == 0, "raw line in the log: %.80s", line);
		if (strchr(line, '\n') == NULL)
			break;
	}
	free(log);
}
END_TEST

static Suite *ctl_admin_suite(void)
{
	Suite *s = suite_create("ctl_admin");
	TCase *tc = tcase_create("admin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_no_token_401_changes_nothing);
	tcase_add_test(tc, test_token_acts_and_records_who);
	tcase_add_test(tc, test_no_token_file_404);
	tcase_add_test(tc, test_open_token_file_refused);
	tcase_add_test(tc, test_browser_shapes_refused);
	tcase_add_test(tc, test_foreign_host_refused);
	tcase_add_test(tc, test_forged_reason_and_names_refused);
	tcase_add_test(tc, test_last_ready_node_needs_force);
	tcase_add_test(tc, test_state_dir_not_writable);
	suite_add_tcase(s, tc);

	tc = tcase_create("operable");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_cli_past_config_mistakes);
	tcase_add_test(tc, test_env_proxies_ignored);
	tcase_add_test(tc, test_slow_connections_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_admin_suite());
}
