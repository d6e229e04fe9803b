/* SPDX-License-Identifier: MIT */
/*
 * prober.c on a real loop against a libmicrohttpd server of the test whose
 * /health answer the test switches (200 {"status":"ok"} or 503
 * {"status":"down"}, the bodies of haproxy.cfg's /health): the events and
 * their times, a reload keeping a URL's state, a URL dropped while its GET
 * is in flight (freed by its callback: ASan watches), a refused config.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <ev.h>
#include <microhttpd.h>

#include "common/compiler.h"
#include "ctl/probe/prober.h"
#include "tests/unit/check_main.h"

static struct MHD_Daemon *server;
static int server_port;
static atomic_int health_status = 200;
/* Answers given, 200 and other: the probes a rise or fall decision saw. */
static atomic_int answered_up, answered_down;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
	int st = atomic_load(&health_status);
	const char *body = st == 200 ? "{\"status\":\"ok\"}" : "{\"status\":\"down\"}";
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	atomic_fetch_add(st == 200 ? &answered_up : &answered_down, 1);
	resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, (unsigned)st, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int listen_loopback(int backlog)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
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

	atomic_store(&health_status, 200);
	atomic_store(&answered_up, 0);
	atomic_store(&answered_down, 0);
	server_port = port_of(fd);
	server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL,
	                          MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
	ck_assert_ptr_nonnull(server);
}

static void teardown(void)
{
	MHD_stop_daemon(server);
}

#define MAX_EVENTS 8

struct seen {
	int n;
	struct probe_event ev[MAX_EVENTS];
	char why[MAX_EVENTS][PROBE_WHY_MAX];
	char url[MAX_EVENTS][PROBER_URL_MAX + 1];
};

static void changed(void *ctx, const struct probe_event *ev)
{
	struct seen *s = ctx;

	ck_assert_int_lt(s->n, MAX_EVENTS);
	s->ev[s->n] = *ev;
	snprintf(s->why[s->n], sizeof(s->why[0]), "%s", ev->why);
	snprintf(s->url[s->n], sizeof(s->url[0]), "%s", ev->url);
	s->ev[s->n].why = s->why[s->n];
	s->ev[s->n].url = s->url[s->n];
	s->n++;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs <loop> until <s> holds <n> events or <timeout_s> passed; returns the count. */
static int run_until(struct ev_loop *loop, const struct seen *s, int n, double timeout_s)
{
	ev_tstamp end = ev_time() + timeout_s;

	while (s->n < n && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	return s->n;
}

#define INTERVAL_MS 100
#define TIMEOUT_MS  80

static struct prober_cfg one(const struct prober_target_cfg *t, unsigned n)
{
	return (struct prober_cfg){t, n, INTERVAL_MS, TIMEOUT_MS, 3, 2, NULL};
}

START_TEST(test_events)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen s = {0};
	struct prober *p = prober_new(loop, changed, &s);
	char url[64];
	struct prober_target_cfg t;
	struct prober_cfg cfg;
	struct prober_view v;
	int64_t before;
	int n;

	ck_assert_ptr_nonnull(p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", server_port);
	t = (struct prober_target_cfg){"eu2", "kusama", url};
	cfg = one(&t, 1);
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	ck_assert_uint_eq(prober_count(p), 1);
	prober_view(p, 0, &v);
	ck_assert_int_eq(v.state, PROBE_UNKNOWN);
	/* rise = 2 probes of 200: reachable, the first decision. */
	ck_assert_int_eq(run_until(loop, &s, 1, 5), 1);
	ck_assert(s.ev[0].reachable && s.ev[0].first);
	ck_assert_str_eq(s.ev[0].region, "eu2");
	ck_assert_str_eq(s.ev[0].chain, "kusama");
	ck_assert_str_eq(s.ev[0].url, url);
	ck_assert_str_eq(s.ev[0].why, "HTTP 200");
	/* rise = 2 counted by the server (see fall below); since is the first probe, at the second.
	 */
	n = atomic_load(&answered_up);
	ck_assert_int_ge(n, 2);
	ck_assert_int_ge(s.ev[0].at_ms - s.ev[0].since_ms, INTERVAL_MS / 2);
	/* 503: unreachable after fall = 3 probes, since the first of them. */
	before = wall_ms();
	atomic_store(&health_status, 503);
	ck_assert_int_eq(run_until(loop, &s, 2, 5), 2);
	ck_assert(!s.ev[1].reachable && !s.ev[1].first);
	ck_assert_str_eq(s.ev[1].why, "HTTP 503: down");
	ck_assert_int_ge(s.ev[1].since_ms, before - TIMEOUT_MS); /* one in flight at the switch */
	/*
	 * fall = 3 counted by the server rather than by the clock: on a loaded
	 * machine libev runs late timers back to back, so three probes can
	 * span well under two intervals (151 ms was seen against 180). Since
	 * is the first of them, not the last: at least half an interval back.
	 */
	n = atomic_load(&answered_down);
	ck_assert_int_ge(n, 3);
	ck_assert_int_ge(s.ev[1].at_ms - s.ev[1].since_ms, INTERVAL_MS / 2);
	prober_view(p, 0, &v);
	ck_assert_int_eq(v.state, PROBE_UNREACHABLE);
	ck_assert_uint_ge(v.failures, 3);
	/* Back after rise = 2. */
	atomic_store(&health_status, 200);
	ck_assert_int_eq(run_until(loop, &s, 3, 5), 3);
	ck_assert(s.ev[2].reachable && !s.ev[2].first);
	prober_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

/* A URL kept by a reload keeps its state; a new one starts unknown; another region resets. */
START_TEST(test_reload_keeps_state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen s = {0};
	struct prober *p = prober_new(loop, changed, &s);
	char url[64], url2[64], longurl[400];
	struct prober_target_cfg t[2];
	struct prober_cfg cfg;
	struct prober_view v;
	uint64_t probes;

	ck_assert_ptr_nonnull(p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", server_port);
	snprintf(url2, sizeof(url2), "http://127.0.0.1:%d/health?b", server_port);
	t[0] = (struct prober_target_cfg){"eu2", "", url};
	cfg = one(t, 1);
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	ck_assert_int_eq(run_until(loop, &s, 1, 5), 1);
	prober_view(p, 0, &v);
	probes = v.probes;
	/* url2 first, url kept: its state and counters move with it. */
	t[1] = t[0];
	t[0] = (struct prober_target_cfg){"eu3", "", url2};
	cfg = one(t, 2);
	cfg.interval_ms = 150;
	cfg.timeout_ms = 100;
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	prober_view(p, 1, &v);
	ck_assert_int_eq(v.state, PROBE_REACHABLE);
	ck_assert_uint_eq(v.probes, probes);
	ck_assert_str_eq(v.region, "eu2");
	prober_view(p, 0, &v);
	ck_assert_int_eq(v.state, PROBE_UNKNOWN);
	ck_assert_str_eq(v.region, "eu3");
	ck_assert_int_eq(run_until(loop, &s, 2, 5), 2);
	ck_assert_str_eq(s.ev[1].url, url2);
	ck_assert_int_eq(s.n, 2); /* nothing new for the kept one */
	/* A too long URL is refused and changes nothing. */
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "http://", 7);
	t[0].url = longurl;
	ck_assert_int_eq(prober_set_cfg(p, &cfg), -1);
	ck_assert_uint_eq(prober_count(p), 2);
	prober_view(p, 0, &v);
	ck_assert_str_eq(v.url, url2);
	/* The same URL for another region is another record: unknown again. */
	t[0] = (struct prober_target_cfg){"eu4", "", url2};
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	prober_view(p, 0, &v);
	ck_assert_int_eq(v.state, PROBE_UNKNOWN);
	ck_assert_uint_eq(v.probes, 0);
	prober_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

/* Dropped while in flight: no event, freed when its GET ends; then freed with one in flight. */
START_TEST(test_drop_in_flight)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen s = {0};
	struct prober *p = prober_new(loop, changed, &s);
	int fd = listen_loopback(8); /* accepts in the kernel, never answers */
	char url[64];
	struct prober_target_cfg t;
	struct prober_cfg cfg;

	ck_assert_ptr_nonnull(p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port_of(fd));
	t = (struct prober_target_cfg){"eu2", "", url};
	cfg = (struct prober_cfg){&t, 1, 1000, 300, 1, 1, NULL};
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	ev_run(loop, EVRUN_NOWAIT); /* the first GET starts */
	cfg.n = 0;
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	ck_assert_uint_eq(prober_count(p), 0);
	/* The GET times out after 300 ms; its callback frees the target, no event. */
	{
		ev_tstamp end = ev_time() + 1.0;

		while (ev_time() < end && ev_run(loop, EVRUN_ONCE) != 0)
			;
	}
	ck_assert_int_eq(s.n, 0);
	/* Freed with a GET in flight: nothing runs afterwards. */
	cfg.n = 1;
	ck_assert_int_eq(prober_set_cfg(p, &cfg), 0);
	ev_run(loop, EVRUN_NOWAIT);
	prober_free(p);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ck_assert_int_eq(s.n, 0);
	ev_loop_destroy(loop);
	close(fd);
}
END_TEST

static Suite *prober_suite(void)
{
	Suite *s = suite_create("prober");
	TCase *tc = tcase_create("loop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_reload_keeps_state);
	tcase_add_test(tc, test_drop_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = check_run_suite(prober_suite());
	curl_global_cleanup();
	return rc;
}
