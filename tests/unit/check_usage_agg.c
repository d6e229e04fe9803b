/* SPDX-License-Identifier: MIT */
/*
 * ctl/usage/usage_agg.c and usage_render.c: bucket bounds read back into
 * the buckets of hist.h (the bounds below are those of check_hist's
 * hand-made table), the lists PostgreSQL writes and the ones it must not,
 * quantiles of a merged histogram against the nearest-rank values worked
 * out by hand, the figures, the ranking for --by method and --by time, the
 * total, and the CSV, JSON and table text of a small view, hand-written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "ctl/stats/hist.h"
#include "ctl/usage/usage_agg.h"
#include "ctl/usage/usage_render.h"
#include "tests/unit/check_main.h"

#define T0 INT64_C(1793527200000) /* 2026-11-01T10:00:00Z */

START_TEST(test_bounds)
{
	struct hist h;

	hist_init(&h);
	/* [0, 1) is bucket 0; [8, 9) bucket 8; [16, 18) bucket 16; [1024-, 1024) 63; overflow. */
	ck_assert(usage_hist_add(&h, 1, 3));
	ck_assert(usage_hist_add(&h, 9, 2));
	ck_assert(usage_hist_add(&h, 18, 1));
	ck_assert(usage_hist_add(&h, 1024, 4));
	ck_assert(usage_hist_add(&h, 65536, 5));
	ck_assert(usage_hist_add(&h, USAGE_LE_OVERFLOW, 6));
	ck_assert_uint_eq(h.b[0], 3);
	ck_assert_uint_eq(h.b[8], 2);
	ck_assert_uint_eq(h.b[16], 1);
	ck_assert_uint_eq(h.b[63], 4);
	ck_assert_uint_eq(h.b[HIST_OVERFLOW - 1], 5);
	ck_assert_uint_eq(h.b[HIST_OVERFLOW], 6);
	ck_assert_uint_eq(h.count, 21);
	/* Not a bound of any bucket: refused, nothing counted. */
	ck_assert(!usage_hist_add(&h, 0, 1));
	ck_assert(!usage_hist_add(&h, 17, 1));
	ck_assert(!usage_hist_add(&h, 1023, 1));
	ck_assert(!usage_hist_add(&h, 65537, 1));
	ck_assert(!usage_hist_add(&h, -1, 1));
	ck_assert(!usage_hist_add(&h, 2147483646, 1));
	ck_assert_uint_eq(h.count, 21);
}
END_TEST

START_TEST(test_lists)
{
	struct hist h;

	hist_init(&h);
	ck_assert(usage_hist_from_lists(&h, "", ""));
	ck_assert_uint_eq(h.count, 0);
	ck_assert(usage_hist_from_lists(&h, "1,9,18", "3,2,1"));
	ck_assert_uint_eq(h.b[0], 3);
	ck_assert_uint_eq(h.b[8], 2);
	ck_assert_uint_eq(h.b[16], 1);
	ck_assert_uint_eq(h.count, 6);
	/* Three values under 1 ms, two of 8, one of 16 or 17: nearest ranks 3, 6 and 6. */
	ck_assert_uint_eq(hist_quantile(&h, 0.50), 0);
	ck_assert_uint_eq(hist_quantile(&h, 0.95), 17);
	ck_assert_uint_eq(hist_quantile(&h, 0.99), 17);
	/* Merging a second key's lists: 6 more of [104, 112); ranks 6 and 12 of 12: [16, 18), [104,
	 * 112). */
	ck_assert(usage_hist_from_lists(&h, "112", "6"));
	ck_assert_uint_eq(hist_quantile(&h, 0.50), 17);
	ck_assert_uint_eq(hist_quantile(&h, 0.95), 111);
	static const char *const bad[][2] = {
	    {"1,9", "3"}, {"1", "3,2"}, {"1,", "3,"}, {"1,x", "3,2"}, {"17", "1"},
	    {"1", ""},    {"", "1"},    {",1", ",1"}, {"1 ", "3"},    {"99999999999999999999", "1"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hist_init(&h);
		ck_assert_msg(!usage_hist_from_lists(&h, bad[i][0], bad[i][1]),
		              "[%s] [%s] accepted", bad[i][0], bad[i][1]);
	}
}
END_TEST

static struct usage_group group(const char *chain, const char *key, uint64_t requests,
                                uint64_t node_ms)
{
	struct usage_group g = {chain, key, false, requests, 0, requests, 0, node_ms, {0}};

	hist_init(&g.ta);
	return g;
}

START_TEST(test_figures)
{
	struct usage_group g = group("polkadot", "state_call", 3, 1500);
	struct usage_figures f;

	g.errors = 1;
	g.calls = 120;
	ck_assert(usage_hist_from_lists(&g.ta, "9,2147483647", "1,2"));
	/* 120 calls in 60 s; 1 of 3 failed; 1.5 s of 6 s total node time. */
	usage_figures(&g, 60000, 6000, &f);
	ck_assert_double_eq_tol(f.calls_per_s, 2.0, 1e-12);
	ck_assert_double_eq_tol(f.error_pct, 100.0 / 3, 1e-12);
	ck_assert_double_eq_tol(f.node_s, 1.5, 1e-12);
	ck_assert_double_eq_tol(f.node_pct, 25.0, 1e-12);
	ck_assert(f.has_latency);
	ck_assert_uint_eq(f.p50, HIST_MAX_MS);
	ck_assert(f.p99_overflow);
	/* Nothing: zeros, no division by zero. */
	g = group("", "", 0, 0);
	usage_figures(&g, 0, 0, &f);
	ck_assert_double_eq(f.calls_per_s, 0);
	ck_assert_double_eq(f.error_pct, 0);
	ck_assert_double_eq(f.node_pct, 0);
	ck_assert(!f.has_latency);
	ck_assert(!f.p99_overflow);
}
END_TEST

START_TEST(test_rank_and_total)
{
	struct usage_group g[5] = {
	    group("polkadot", "system_health", 50, 100),
	    group("kusama", "state_call", 10, 9000),
	    group("polkadot", "chain_getBlock", 50, 3000),
	    group("", "", 70, 10),
	    group("", "", 50, 5),
	};
	struct usage_group total;

	g[3].overflow = true;
	g[4].overflow = true;
	g[4].key = "x";
	ck_assert(usage_hist_from_lists(&g[0].ta, "1", "2"));
	ck_assert(usage_hist_from_lists(&g[1].ta, "1,9", "1,1"));
	usage_rank(g, 5, USAGE_BY_METHOD);
	/* 70 (overflow), then the 50s: the named ones by chain and key, the overflow last; 10. */
	ck_assert(g[0].overflow && g[0].requests == 70);
	ck_assert_str_eq(g[1].key, "chain_getBlock");
	ck_assert_str_eq(g[2].key, "system_health");
	ck_assert(g[3].overflow && g[3].requests == 50);
	ck_assert_str_eq(g[4].key, "state_call");
	usage_rank(g, 5, USAGE_BY_TIME);
	ck_assert_uint_eq(g[0].node_ms, 9000);
	ck_assert_uint_eq(g[1].node_ms, 3000);
	ck_assert_uint_eq(g[2].node_ms, 100);
	ck_assert_uint_eq(g[3].node_ms, 10);
	ck_assert_uint_eq(g[4].node_ms, 5);
	usage_total(g, 5, &total);
	ck_assert_uint_eq(total.requests, 230);
	ck_assert_uint_eq(total.node_ms, 12115);
	ck_assert_uint_eq(total.ta.count, 4);
	ck_assert_uint_eq(total.ta.b[0], 3);
	ck_assert_uint_eq(total.ta.b[8], 1);
	ck_assert_str_eq(total.chain, "");
}
END_TEST

/* A view of two keys and the overflow over 5 minutes, one of them named like a formula. */
static char *render(enum usage_format fmt, unsigned top, struct usage_group *total)
{
	static struct usage_group g[3];
	struct usage_view v;
	size_t len;

	g[0] = group("polkadot", "=cmd|' /C calc'!A0", 15, 750);
	g[0].calls = 17;
	g[0].errors = 1;
	g[0].bytes = 1500;
	ck_assert(usage_hist_from_lists(&g[0].ta, "9,104", "13,2"));
	g[1] = group("polkadot", "state_call", 3, 9000);
	g[1].errors = 3;
	g[1].bytes = 10;
	ck_assert(usage_hist_from_lists(&g[1].ta, "2147483647", "3"));
	g[2] = group("", "", 2, 250);
	g[2].overflow = true;
	g[2].bytes = 20;
	usage_total(g, 3, total);
	v = (struct usage_view){T0, T0 + 5 * 60000, NULL, "polkadot", USAGE_BY_METHOD, top, g,
	                        3,  total,          0};
	return usage_render(&v, fmt, &len);
}

START_TEST(test_csv)
{
	struct usage_group total;
	char *s = render(USAGE_CSV, 20, &total);

	/*
	 * 17 calls / 300 s = 0.0567; 1/15 = 6.67 %; 750 of 10,000 ms = 7.50 %. p50 of
	 * 15 values: rank 8, in [8, 9) -> 8; p95 and p99: rank 15, in [96, 104) -> 103.
	 */
	ck_assert_str_eq(s,
	                 "chain,method,requests,calls,calls_per_s,error_pct,bytes,p50_ms,p95_ms,"
	                 "p99_ms,node_s,node_pct\r\n"
	                 "polkadot,\"'=cmd|' /C calc'!A0\",15,17,0.057,6.67,1500,8,103,103,0.750,"
	                 "7.50\r\n"
	                 "polkadot,state_call,3,3,0.010,100.00,10,>=65536,>=65536,>=65536,9.000,"
	                 "90.00\r\n"
	                 "(overflow),(overflow),2,2,0.007,0.00,20,,,,0.250,2.50\r\n");
	free(s);
	s = render(USAGE_CSV, 1, &total);
	ck_assert_ptr_nonnull(strstr(s, "\r\npolkadot,\"'=cmd"));
	ck_assert_ptr_null(strstr(s, "state_call"));
	free(s);
}
END_TEST

START_TEST(test_json_and_table)
{
	struct usage_group total;
	char *s = render(USAGE_JSON, 2, &total);
	cJSON *j = cJSON_Parse(s), *keys, *k;

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "from")->valuestring, "2026-11-01T10:00:00Z");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "to")->valuestring, "2026-11-01T10:05:00Z");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "region")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "chain")->valuestring, "polkadot");
	ck_assert_double_eq(cJSON_GetObjectItem(j, "keys_total")->valuedouble, 3);
	keys = cJSON_GetObjectItem(j, "keys");
	ck_assert_int_eq(cJSON_GetArraySize(keys), 2);
	k = cJSON_GetArrayItem(keys, 1);
	ck_assert_str_eq(cJSON_GetObjectItem(k, "key")->valuestring, "state_call");
	ck_assert_double_eq(cJSON_GetObjectItem(k, "p99_ms")->valuedouble, 65536);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(k, "p99_at_least")));
	ck_assert_double_eq_tol(cJSON_GetObjectItem(k, "node_pct")->valuedouble, 90, 1e-9);
	k = cJSON_GetObjectItem(j, "total");
	ck_assert_double_eq(cJSON_GetObjectItem(k, "requests")->valuedouble, 20);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(k, "error_pct")->valuedouble, 20, 1e-9);
	ck_assert_double_eq_tol(cJSON_GetObjectItem(k, "node_s")->valuedouble, 10, 1e-9);
	cJSON_Delete(j);
	free(s);
	s = render(USAGE_TABLE, 20, &total);
	ck_assert_ptr_nonnull(strstr(s, "region all, chain polkadot, by method: top 3 of 3 keys"));
	ck_assert_ptr_nonnull(strstr(s, ">=65536"));
	ck_assert_ptr_nonnull(strstr(s, "(overflow)  (overflow)"));
	ck_assert_ptr_nonnull(strstr(s, "at most 12.5 % high"));
	free(s);
}
END_TEST

static Suite *agg_suite(void)
{
	Suite *s = suite_create("usage_agg");
	TCase *t = tcase_create("agg");
	TCase *r = tcase_create("render");

	tcase_add_test(t, test_bounds);
	tcase_add_test(t, test_lists);
	tcase_add_test(t, test_figures);
	tcase_add_test(t, test_rank_and_total);
	tcase_add_test(r, test_csv);
	tcase_add_test(r, test_json_and_table);
	suite_add_tcase(s, t);
	suite_add_tcase(s, r);
	return s;
}

int main(void)
{
	return check_run_suite(agg_suite());
}
