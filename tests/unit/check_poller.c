/* SPDX-License-Identifier: MIT */
/*
 * poller.c against real sockets: a libmicrohttpd server in a thread of the
 * test answers 200, 503 or a huge body; a listener that never answers gives
 * a timeout; a closed port gives a connect error. Every test ends with no
 * watcher left on the loop.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <ev.h>
#include <microhttpd.h>

#include "common/compiler.h"
#include "ctl/poll/poller.h"

static struct MHD_Daemon *server;
static int server_port;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
	static int first;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = 200;
	char *body;
	size_t len;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/echo") == 0) {
		/* What the request looked like: method, Content-Type, client port (its connection).
		 */
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_TYPE);
		char echo[256];

		snprintf(echo, sizeof(echo), "%s|%s|%d", method, ct != NULL ? ct : "-",
		         ntohs(((const struct sockaddr_in *)ci->client_addr)->sin_port));
		body = strdup(echo);
		len = strlen(body);
	} else if (strcmp(url, "/redirect") == 0) {
		body = strdup("moved");
		len = strlen(body);
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Location", "/");
		ret = MHD_queue_response(conn, 302, resp);
		MHD_destroy_response(resp);
		return ret;
	} else if (strcmp(url, "/huge") == 0) {
		len = 2u << 20;
		body = malloc(len);
		ck_assert_ptr_nonnull(body);
		memset(body, 'x', len);
	} else {
		if (strcmp(url, "/503") == 0)
			status = 503;
		body = strdup("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}");
		len = strlen(body);
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int listen_loopback(int backlog)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return fd;
}

static int port_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static void setup(void)
{
	int fd = listen_loopback(64);

	server_port = port_of(fd);
	server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL,
	                          MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
	ck_assert_ptr_nonnull(server);
}

static void teardown(void)
{
	MHD_stop_daemon(server);
}

struct got {
	int calls;
	struct poller_result res;
	char body[256];
	struct ev_loop *loop;
};

static void done(void *ctx, const struct poller_result *res)
{
	struct got *g = ctx;

	g->calls++;
	g->res = *res;
	snprintf(g->body, sizeof(g->body), "%s", res->body);
	g->res.body = g->body;
	ev_break(g->loop, EVBREAK_ALL);
}

/* Runs one POST to <url> and returns what the callback saw. */
static struct got post(const char *url, long timeout_ms)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct poller *p = poller_new(loop);
	struct got g = {.loop = loop};
	static const char body[] = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"}]";

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(poller_post(p, url, body, sizeof(body) - 1, timeout_ms, done, &g), 0);
	ck_assert_uint_eq(poller_in_flight(p), 1);
	ev_run(loop, 0);
	ck_assert_uint_eq(poller_in_flight(p), 0);
	poller_free(p);
	/* Nothing of the poller is left on the loop. */
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
	return g;
}

/* Runs one GET of <url> on <p> and returns what the callback saw. */
static struct got get_on(struct ev_loop *loop, struct poller *p, const char *url, long timeout_ms)
{
	struct got g = {.loop = loop};

	ck_assert_int_eq(poller_get(p, url, timeout_ms, done, &g), 0);
	ck_assert_uint_eq(poller_in_flight(p), 1);
	ev_run(loop, 0);
	ck_assert_uint_eq(poller_in_flight(p), 0);
	ck_assert_int_eq(g.calls, 1);
	return g;
}

START_TEST(test_ok)
{
	char url[64];
	struct got g;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", server_port);
	g = post(url, 2000);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.res.outcome, POLLER_OK);
	ck_assert_int_eq(g.res.http_status, 200);
	ck_assert_str_eq(g.body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}");
	ck_assert(g.res.elapsed_ms >= 0 && g.res.elapsed_ms < 2000);
}
END_TEST

START_TEST(test_http_error)
{
	char url[64];
	struct got g;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/503", server_port);
	g = post(url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_HTTP);
	ck_assert_int_eq(g.res.http_status, 503);
}
END_TEST

START_TEST(test_timeout)
{
	int fd = listen_loopback(8); /* accepts in the kernel, never answers */
	char url[64];
	struct got g;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port_of(fd));
	g = post(url, 300);
	ck_assert_int_eq(g.res.outcome, POLLER_TIMEOUT);
	ck_assert(g.res.elapsed_ms >= 250);
	ck_assert_ptr_nonnull(g.res.error);
	close(fd);
}
END_TEST

START_TEST(test_refused)
{
	int fd = listen_loopback(1);
	char url[64];
	struct got g;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port_of(fd));
	close(fd); /* nobody listens there now */
	g = post(url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_CONNECT);
}
END_TEST

START_TEST(test_answer_too_large)
{
	char url[64];
	struct got g;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/huge", server_port);
	g = post(url, 5000);
	ck_assert_int_eq(g.res.outcome, POLLER_OTHER);
	ck_assert_ptr_nonnull(strstr(g.res.error, "1 MiB"));
}
END_TEST

/* A POST still carries its JSON body type; a GET has no body and no Content-Type. */
START_TEST(test_get_and_post_methods)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct poller *p = poller_new(loop);
	char url[64];
	struct got g;

	ck_assert_ptr_nonnull(p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", server_port);
	g = post(url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_OK);
	ck_assert_ptr_nonnull(strstr(g.body, "POST|application/json|"));
	g = get_on(loop, p, url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_OK);
	ck_assert_int_eq(g.res.http_status, 200);
	ck_assert_msg(strncmp(g.body, "GET|-|", 6) == 0, "GET looked like %s", g.body);
	/* The GET's handle goes back to the free list and serves a POST as a POST. */
	ck_assert_int_eq(poller_post(p, url, "{}", 2, 2000, done, &g), 0);
	ev_run(loop, 0);
	ck_assert_ptr_nonnull(strstr(g.body, "POST|application/json|"));
	poller_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

/* A redirect is the answer (never followed); errors are those of a POST. */
START_TEST(test_get_redirect_and_errors)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct poller *p = poller_new(loop);
	int fd = listen_loopback(1);
	char url[64];
	struct got g;

	ck_assert_ptr_nonnull(p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/redirect", server_port);
	g = get_on(loop, p, url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_HTTP);
	ck_assert_int_eq(g.res.http_status, 302);
	ck_assert_str_eq(g.body, "moved");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/503", server_port);
	g = get_on(loop, p, url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_HTTP);
	ck_assert_int_eq(g.res.http_status, 503);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port_of(fd));
	close(fd);
	g = get_on(loop, p, url, 2000);
	ck_assert_int_eq(g.res.outcome, POLLER_CONNECT);
	ck_assert_ptr_nonnull(g.res.error);
	poller_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

/* Client port of the connection that carried an /echo answer. */
static int echo_port(const struct got *g)
{
	const char *bar = strrchr(g->body, '|');

	ck_assert_ptr_nonnull(bar);
	return (int)strtol(bar + 1, NULL, 10);
}

/* Two GETs in a row share the kept-alive connection, unless the poller is fresh. */
START_TEST(test_get_fresh_connection)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct poller *p = poller_new(loop);
	char url[64];
	int a, b;

	ck_assert_ptr_nonnull(p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", server_port);
	{
		struct got g1 = get_on(loop, p, url, 2000), g2 = get_on(loop, p, url, 2000);

		a = echo_port(&g1);
		b = echo_port(&g2);
		ck_assert_int_eq(a, b); /* reused */
	}
	poller_set_fresh(p, true);
	{
		struct got g1 = get_on(loop, p, url, 2000), g2 = get_on(loop, p, url, 2000);

		a = echo_port(&g1);
		b = echo_port(&g2);
		ck_assert_int_ne(a, b); /* a connection each */
	}
	poller_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

struct many {
	int done, ok;
	struct ev_loop *loop;
};

static void many_done(void *ctx, const struct poller_result *res)
{
	struct many *m = ctx;

	m->done++;
	m->ok += res->outcome == POLLER_OK;
	if (m->done == 200)
		ev_break(m->loop, EVBREAK_ALL);
}

START_TEST(test_many_in_flight_and_reuse)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct poller *p = poller_new(loop);
	struct many m = {.loop = loop};
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", server_port);
	/* Two rounds of 100: the second reuses the first round's handles. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++)
			ck_assert_int_eq(poller_post(p, url, "{}", 2, 5000, many_done, &m), 0);
		ck_assert_uint_eq(poller_in_flight(p), 100);
		while (m.done < 100 * (round + 1))
			ev_run(loop, EVRUN_ONCE);
	}
	ck_assert_int_eq(m.ok, 200);
	poller_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_free_with_requests_in_flight)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct poller *p = poller_new(loop);
	int fd = listen_loopback(8);
	char url[64];
	struct got g = {.loop = loop};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port_of(fd));
	ck_assert_int_eq(poller_post(p, url, "{}", 2, 5000, done, &g), 0);
	ev_run(loop, EVRUN_NOWAIT);
	poller_free(p); /* the callback must not run afterwards */
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ck_assert_int_eq(g.calls, 0);
	ev_loop_destroy(loop);
	close(fd);
}
END_TEST

/* What check, start-up and SIGHUP accept as node_tls_ca_file. */
START_TEST(test_check_ca_file)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	char dir[] = "/tmp/check_poller.XXXXXX", path[128], err[256];
	struct poller *p;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	ck_assert_int_eq(poller_check_ca_file(path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	ck_assert_int_eq(poller_check_ca_file(dir, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	{
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fputs("-----BEGIN PRIVATE KEY-----\n", f) >= 0, 1);
		ck_assert_int_eq(fclose(f), 0);
	}
	ck_assert_int_eq(poller_check_ca_file(path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no PEM certificate"));
	{
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fputs(pem, f) >= 0, 1);
		ck_assert_int_eq(fclose(f), 0);
	}
	ck_assert_int_eq(poller_check_ca_file(path, err, sizeof(err)), 0);
	/* Set, replaced, cleared: the copies are the poller's (no leak under ASan). */
	p = poller_new(loop);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(poller_set_ca_file(p, path), 0);
	ck_assert_int_eq(poller_set_ca_file(p, "/etc/ssl/certs/ca-certificates.crt"), 0);
	ck_assert_int_eq(poller_set_ca_file(p, ""), 0);
	ck_assert_int_eq(poller_set_ca_file(p, path), 0);
	poller_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *poller_suite(void)
{
	Suite *s = suite_create("poller");
	TCase *tc = tcase_create("curl-multi-libev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ok);
	tcase_add_test(tc, test_http_error);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_answer_too_large);
	tcase_add_test(tc, test_many_in_flight_and_reuse);
	tcase_add_test(tc, test_free_with_requests_in_flight);
	tcase_add_test(tc, test_check_ca_file);
	tcase_add_test(tc, test_get_and_post_methods);
	tcase_add_test(tc, test_get_redirect_and_errors);
	tcase_add_test(tc, test_get_fresh_connection);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(poller_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
