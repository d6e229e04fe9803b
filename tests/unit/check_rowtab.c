/* SPDX-License-Identifier: MIT */
/*
 * ctl/stats/rowtab.c (the minute and the totals, by method name) and
 * statsprom.c (their /metrics text): snapshots of hand-made lines add up
 * per key, with the methods table's names, batch, other and "" for none;
 * the key cap sends the rest to the overflow row, totals exact; the text of
 * a known table is the one written here from the Prometheus text format
 * and hist.h's documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/stats/agg.h"
#include "ctl/stats/methtab.h"
#include "ctl/stats/rowtab.h"
#include "ctl/stats/statsprom.h"
#include "tests/unit/check_main.h"

static const char tsv[] = "method\tclass\tnote\nsystem_health\tread\t\nchain_getBlock\tread\t\n";

static struct agg_snap *snap_of(const struct logline *ls, size_t n, unsigned cap)
{
	struct agg *a = agg_new(cap);
	struct agg_snap *s;

	ck_assert_ptr_nonnull(a);
	for (size_t i = 0; i < n; i++)
		agg_add(a, &ls[i]);
	agg_reject_syslog(a, SYSLOG_ERR_PRI);
	s = agg_rotate(a, 0);
	ck_assert_ptr_nonnull(s);
	agg_free(a);
	return s;
}

static struct logline line(const char *chain, int method_id, int status, int batch, int ta)
{
	struct logline l;

	memset(&l, 0, sizeof(l));
	l.chain = pf_slice_str(chain);
	l.method_id = method_id;
	l.cls = method_id == LOGLINE_METHOD_NONE ? LOGLINE_CLASS_NONE : LOGLINE_CLASS_READ;
	l.status = status;
	l.batch = batch;
	l.ta = ta;
	l.tr = -1;
	return l;
}

static const struct rowtab_row *find(const struct rowtab *t, const char *method, int st)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->rows[i]->overflow && strcmp(t->rows[i]->method, method) == 0 &&
		    t->rows[i]->status == (enum agg_status)st)
			return t->rows[i];
	return NULL;
}

START_TEST(test_merge)
{
	char err[128];
	struct methtab *m = methtab_parse(tsv, strlen(tsv), err, sizeof(err));
	int sh = methtab_lookup(m, (const uint8_t *)"system_health", 13);
	struct logline a[] = {
	    line("polkadot", sh, 200, 1, 3),
	    line("polkadot", sh, 200, 1, 3),
	    line("polkadot", LOGLINE_METHOD_BATCH, 200, 4, 10),
	    line("polkadot", LOGLINE_METHOD_OTHER, 502, 1, 5),
	    line("polkadot", LOGLINE_METHOD_NONE, 200, -1, 1),
	};
	struct logline b[] = {line("polkadot", sh, 200, 1, 250), line("polkadot", sh, 503, 1, 7)};
	struct agg_snap *sa = snap_of(a, 5, 16), *sb = snap_of(b, 2, 16);
	struct rowtab t;
	const struct rowtab_row *r;

	ck_assert_ptr_nonnull(m);
	rowtab_init(&t, 16);
	ck_assert_int_eq(rowtab_merge(&t, sa, m), 0);
	ck_assert_int_eq(rowtab_merge(&t, sb, m), 0);
	ck_assert_uint_eq(t.n, 5);
	ck_assert_uint_eq(t.lines, 7);
	ck_assert_uint_eq(t.syslog_rejected[SYSLOG_ERR_PRI], 2);
	r = find(&t, "system_health", AGG_STATUS_2XX);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->requests, 3);
	ck_assert_uint_eq(r->calls, 3);
	ck_assert_uint_eq(r->ta.count, 3);
	ck_assert_uint_eq(r->ta.sum_ms, 256);
	ck_assert_uint_eq(find(&t, "system_health", AGG_STATUS_5XX)->errors, 1);
	ck_assert_uint_eq(find(&t, "batch", AGG_STATUS_2XX)->calls, 4);
	ck_assert_uint_eq(find(&t, "other", AGG_STATUS_5XX)->errors, 1);
	ck_assert_uint_eq(find(&t, "", AGG_STATUS_2XX)->calls, 0);
	/* Sorted by key: the "" method first, as strcmp orders it. */
	for (size_t i = 1; i < t.n; i++)
		ck_assert_int_lt(rowtab_cmp(t.rows[i - 1], t.rows[i]), 0);
	ck_assert_str_eq(t.rows[0]->method, "");
	rowtab_fini(&t);
	ck_assert_uint_eq(t.n, 0);
	agg_snap_free(sa);
	agg_snap_free(sb);
	methtab_free(m);
}
END_TEST

START_TEST(test_cap)
{
	struct logline ls[] = {
	    line("a", LOGLINE_METHOD_OTHER, 200, 1, 1),
	    line("b", LOGLINE_METHOD_OTHER, 200, 1, 1),
	    line("c", LOGLINE_METHOD_OTHER, 200, 1, 1),
	    line("c", LOGLINE_METHOD_OTHER, 200, 1, 1),
	};
	struct agg_snap *s = snap_of(ls, 4, 16);
	struct rowtab t;
	uint64_t req = 0;

	rowtab_init(&t, 2);
	ck_assert_int_eq(rowtab_merge(&t, s, NULL), 0);
	ck_assert_int_eq(rowtab_merge(&t, s, NULL), 0);
	ck_assert_uint_eq(t.n, 3); /* a, b and the overflow row, last */
	ck_assert(t.rows[2]->overflow);
	ck_assert_str_eq(t.rows[2]->chain, "");
	ck_assert_uint_eq(t.rows[2]->requests, 4);
	ck_assert_uint_eq(t.overflow_lines, 4);
	for (size_t i = 0; i < t.n; i++)
		req += t.rows[i]->requests;
	ck_assert_uint_eq(req, t.lines);
	ck_assert_uint_eq(t.lines, 8);
	rowtab_fini(&t);
	agg_snap_free(s);
}
END_TEST

START_TEST(test_prom_text)
{
	char err[128];
	struct methtab *m = methtab_parse(tsv, strlen(tsv), err, sizeof(err));
	int sh = methtab_lookup(m, (const uint8_t *)"system_health", 13);
	struct logline ls[] = {line("polkadot", sh, 200, 1, 3), line("polkadot", sh, 200, 1, 3),
	                       line("polkadot", sh, 503, 1, 250)};
	struct agg_snap *s = snap_of(ls, 3, 16);
	struct statsprom_health h = {.udp = true, .datagrams = 4, .bytes = 900, .methods = 2};
	struct rowtab t;
	struct pf_buf b = {0};

	rowtab_init(&t, 16);
	ck_assert_int_eq(rowtab_merge(&t, s, m), 0);
	statsprom_render(&t, &h, &b);
	ck_assert(!b.failed);
	ck_assert_ptr_nonnull(
	    strstr(b.p, "# TYPE polkfura_rpc_requests_total counter\n"
	                "polkfura_rpc_requests_total{chain=\"polkadot\",method=\"system_health\","
	                "class=\"read\",status=\"2xx\"} 2\n"
	                "polkfura_rpc_requests_total{chain=\"polkadot\",method=\"system_health\","
	                "class=\"read\",status=\"5xx\"} 1\n# HELP"));
	/* One histogram for both statuses: 3 ms < 4 ms, 250 ms in [240, 256). */
	ck_assert_ptr_nonnull(strstr(b.p, "# TYPE polkfura_rpc_request_duration_seconds histogram\n"
	                                  "polkfura_rpc_request_duration_seconds_bucket{chain="
	                                  "\"polkadot\",method=\"system_health\",class=\"read\","
	                                  "le=\"0.004\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "class=\"read\",le=\"0.192\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "class=\"read\",le=\"0.256\"} 3\n"));
	ck_assert_ptr_nonnull(
	    strstr(b.p, "polkfura_rpc_request_duration_seconds_sum{chain=\"polkadot\","
	                "method=\"system_health\",class=\"read\"} 0.256\n"
	                "polkfura_rpc_request_duration_seconds_count{chain=\"polkadot\","
	                "method=\"system_health\",class=\"read\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\npolkfura_ctl_log_lines_total 3\n"));
	ck_assert_ptr_nonnull(
	    strstr(b.p, "\npolkfura_ctl_log_rejected_total{stage=\"syslog\",reason=\"pri\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\npolkfura_ctl_log_datagrams_total 4\n"));
	/* A family's samples follow its TYPE line and no other family's. */
	ck_assert_ptr_null(
	    strstr(b.p, "_count{chain=\"polkadot\",method=\"system_health\","
	                "class=\"read\"} 3\npolkfura_rpc_request_duration_seconds_bucket"));
	pf_buf_free(&b);
	rowtab_fini(&t);
	agg_snap_free(s);
	methtab_free(m);
}
END_TEST

static Suite *rowtab_suite(void)
{
	Suite *s = suite_create("rowtab");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_prom_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(rowtab_suite());
}
