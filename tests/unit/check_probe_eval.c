/* SPDX-License-Identifier: MIT */
/*
 * probe_eval.c: the reason of a probe from what the edge answered (the
 * bodies are those of haproxy/haproxy.cfg's /health rules, copied), and the
 * fall/rise state machine: unknown until the first decision, flapping below
 * the thresholds changes nothing, since_ms is the run's first probe.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/probe/probe_eval.h"
#include "tests/unit/check_main.h"

/* probe_classify() of an answer with <status> and <body>; the reason in <why>. */
static bool classify(long status, const char *body, char *why, size_t len)
{
	struct probe_answer a = {true, status, body, body != NULL ? strlen(body) : 0, NULL};

	return probe_classify(&a, why, len);
}

START_TEST(test_classify_answers)
{
	char why[PROBE_WHY_MAX];

	/* haproxy.cfg, defaults chain: 200 {"status":"ok"} is the only reachable answer. */
	ck_assert(classify(200, "{\"status\":\"ok\"}", why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 200");
	ck_assert(!classify(503, "{\"status\":\"down\"}", why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 503: down");
	ck_assert(!classify(503, "{\"status\":\"saturated\"}", why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 503: saturated");
	/* The frontend's answer when the backend has no health rule. */
	ck_assert(!classify(503,
	                    "{\"status\":\"down\",\"reason\":\"no health rule in the backend\"}",
	                    why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 503: down (no health rule in the backend)");
	/* Another 2xx, a redirect (never followed), a 404 of an unknown host: unreachable. */
	ck_assert(!classify(204, NULL, why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 204");
	ck_assert(!classify(308, "", why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 308");
	ck_assert(
	    !classify(404, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601}}", why, sizeof(why)));
	ck_assert_str_eq(why, "HTTP 404: {?jsonrpc?:?2.0?,?error?:{?code?:-32601}}");
}
END_TEST

START_TEST(test_classify_sanitizes_and_cuts)
{
	char why[PROBE_WHY_MAX], big[600];

	/* A CDN's HTML page: its first PROBE_FIELD_MAX bytes, control bytes made '?'. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "<html>\r\n", 8);
	ck_assert(!classify(502, big, why, sizeof(why)));
	ck_assert_uint_eq(strlen(why), strlen("HTTP 502: ") + PROBE_FIELD_MAX);
	ck_assert(strncmp(why, "HTTP 502: <html>??xxx", 21) == 0);
	/* Quotes, backslashes and non-ASCII in the JSON fields cannot reach a log or a label. */
	ck_assert(!classify(503, "{\"status\":\"a\\\"b\\\\c\\u00e9\",\"reason\":\"x\\ny\"}", why,
	                    sizeof(why)));
	ck_assert_str_eq(why, "HTTP 503: a?b?c?? (x?y)");
	/* A long status is cut to PROBE_FIELD_MAX; a short buffer cuts the whole reason. */
	snprintf(big, sizeof(big), "{\"status\":\"%0300d\"}", 7);
	ck_assert(!classify(503, big, why, sizeof(why)));
	ck_assert_uint_eq(strlen(why), strlen("HTTP 503: ") + PROBE_FIELD_MAX);
	ck_assert(!classify(503, "{\"status\":\"down\"}", why, 9));
	ck_assert_str_eq(why, "HTTP 503");
}
END_TEST

START_TEST(test_classify_transfer_errors)
{
	char why[PROBE_WHY_MAX];
	struct probe_answer a = {
	    .error = "SSL: no alternative certificate subject name matches target host name "
	             "'other.localhost'"};

	ck_assert(!probe_classify(&a, why, sizeof(why)));
	ck_assert_str_eq(why, "SSL: no alternative certificate subject name matches target host "
	                      "name 'other.localhost'");
	a.error = NULL;
	ck_assert(!probe_classify(&a, why, sizeof(why)));
	ck_assert_str_eq(why, "no answer");
	/* A transfer that failed after a 200 header (too large, cut) is not reachable. */
	a = (struct probe_answer){.answered = false, .http_status = 200, .error = "cut"};
	ck_assert(!probe_classify(&a, why, sizeof(why)));
	ck_assert_str_eq(why, "cut");
}
END_TEST

static const struct probe_limits lim32 = {.fall = 3, .rise = 2};

/* Feeds the outcomes of <seq> ('o' ok, 'x' failure), one per second from <t0>; returns changes. */
static int feed(struct probe_track *t, const struct probe_limits *lim, const char *seq, int64_t t0)
{
	int changes = 0;

	for (size_t i = 0; seq[i] != '\0'; i++)
		changes +=
		    probe_track_feed(t, lim, seq[i] == 'o', seq[i] == 'o' ? "HTTP 200" : "bad",
		                     t0 + (int64_t)i * 1000);
	return changes;
}

START_TEST(test_unknown_until_first_decision)
{
	struct probe_track t;

	probe_track_init(&t);
	ck_assert_int_eq(t.state, PROBE_UNKNOWN);
	ck_assert_str_eq(probe_state_name(t.state), "unknown");
	/* One success, then failures below fall: still unknown. */
	ck_assert_int_eq(feed(&t, &lim32, "oxx", 1000), 0);
	ck_assert_int_eq(t.state, PROBE_UNKNOWN);
	ck_assert_int_eq(t.since_ms, 0);
	/* The third failure in a row decides: unreachable, since the first of the three. */
	ck_assert(probe_track_feed(&t, &lim32, false, "HTTP 503: down", 4000));
	ck_assert_int_eq(t.state, PROBE_UNREACHABLE);
	ck_assert(t.first);
	ck_assert_int_eq(t.since_ms, 2000);
	ck_assert_int_eq(t.at_ms, 4000);
	ck_assert_str_eq(t.why, "HTTP 503: down");
	ck_assert_uint_eq(t.probes, 4);
	ck_assert_uint_eq(t.failures, 3);

	/* From unknown, rise successes decide reachable (fewer do not). */
	probe_track_init(&t);
	ck_assert_int_eq(feed(&t, &lim32, "o", 1000), 0);
	ck_assert_int_eq(t.state, PROBE_UNKNOWN);
	ck_assert_int_eq(feed(&t, &lim32, "o", 2000), 1);
	ck_assert_int_eq(t.state, PROBE_REACHABLE);
	ck_assert(t.first);
	ck_assert_int_eq(t.since_ms, 1000);
	ck_assert_str_eq(probe_state_name(t.state), "reachable");
}
END_TEST

START_TEST(test_fall_and_rise)
{
	struct probe_track t;

	probe_track_init(&t);
	ck_assert_int_eq(feed(&t, &lim32, "oo", 0), 1);
	/* Failures at 10 s, 11 s, 12 s: the third one changes it; since = the first one. */
	ck_assert_int_eq(feed(&t, &lim32, "xx", 10000), 0);
	ck_assert_int_eq(t.state, PROBE_REACHABLE);
	ck_assert(probe_track_feed(&t, &lim32, false, "timeout", 12000));
	ck_assert_int_eq(t.state, PROBE_UNREACHABLE);
	ck_assert(!t.first);
	ck_assert_int_eq(t.since_ms, 10000);
	ck_assert_int_eq(t.at_ms, 12000);
	ck_assert_str_eq(t.why, "timeout");
	ck_assert_str_eq(probe_state_name(t.state), "unreachable");
	/* More failures change nothing (one change per outage); the reason of the decision stays.
	 */
	ck_assert_int_eq(feed(&t, &lim32, "xxxx", 13000), 0);
	ck_assert_str_eq(t.why, "timeout");
	ck_assert_str_eq(t.last_why, "bad");
	/* Back after rise = 2 successes, since the first of them. */
	ck_assert_int_eq(feed(&t, &lim32, "o", 20000), 0);
	ck_assert_int_eq(t.state, PROBE_UNREACHABLE);
	ck_assert_int_eq(feed(&t, &lim32, "o", 21000), 1);
	ck_assert_int_eq(t.state, PROBE_REACHABLE);
	ck_assert_int_eq(t.since_ms, 20000);
	ck_assert_int_eq(t.at_ms, 21000);
}
END_TEST

START_TEST(test_flapping_below_thresholds)
{
	struct probe_track t;

	probe_track_init(&t);
	ck_assert_int_eq(feed(&t, &lim32, "oo", 0), 1);
	/* Up to fall - 1 failures between successes, for a long while: still reachable. */
	ck_assert_int_eq(feed(&t, &lim32, "xxoxxoxoxxoxxo", 10000), 0);
	ck_assert_int_eq(t.state, PROBE_REACHABLE);
	/* Then down: the run that decides starts at its own first failure, not an earlier one. */
	ck_assert_int_eq(feed(&t, &lim32, "xxx", 30000), 1);
	ck_assert_int_eq(t.since_ms, 30000);
	/* Single successes between failures do not bring it back (rise = 2). */
	ck_assert_int_eq(feed(&t, &lim32, "oxoxoxxox", 40000), 0);
	ck_assert_int_eq(t.state, PROBE_UNREACHABLE);
	ck_assert_int_eq(t.since_ms, 30000);
	/* fall = rise = 1: every change of outcome is a change of state. */
	ck_assert_int_eq(feed(&t, &(struct probe_limits){1, 1}, "oxox", 50000), 4);
}
END_TEST

static Suite *probe_eval_suite(void)
{
	Suite *s = suite_create("probe_eval");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_classify_answers);
	tcase_add_test(tc, test_classify_sanitizes_and_cuts);
	tcase_add_test(tc, test_classify_transfer_errors);
	tcase_add_test(tc, test_unknown_until_first_decision);
	tcase_add_test(tc, test_fall_and_rise);
	tcase_add_test(tc, test_flapping_below_thresholds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(probe_eval_suite());
}
