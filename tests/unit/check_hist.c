/* SPDX-License-Identifier: MIT */
/*
 * ctl/stats/hist.c: bucket bounds against a table worked out by hand from
 * the definition in hist.h, every value up to past the overflow in the
 * right bucket, bucket widths within 1/8, quantiles against the exact
 * nearest-rank quantiles of known samples (sorted here with qsort) within
 * the documented bound, merge equal to counting the union, and the
 * Prometheus export against hand-written text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "ctl/stats/hist.h"
#include "tests/unit/check_main.h"

/* value -> bucket, bucket's exclusive end, by hand: 8..15 one each, 16..31 by 2, 32..63 by 4. */
static const struct {
	uint32_t v;
	unsigned bucket;
	uint32_t end;
} table[] = {
    {0, 0, 1},
    {1, 1, 2},
    {7, 7, 8},
    {8, 8, 9},
    {15, 15, 16},
    {16, 16, 18},
    {17, 16, 18},
    {18, 17, 18 + 2},
    {31, 23, 32},
    {32, 24, 36},
    {35, 24, 36},
    {36, 25, 40},
    {100, 36, 104},
    {1000, 63, 1024},
    {1023, 63, 1024},
    {1024, 64, 1152},
    {60000, 110, 61440},
    {65535, 111, 65536},
    {65536, 112, UINT32_MAX},
    {UINT32_MAX, 112, UINT32_MAX},
};

START_TEST(test_bounds)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ck_assert_msg(hist_bucket(table[i].v) == table[i].bucket, "%u: bucket %u, want %u",
		              table[i].v, hist_bucket(table[i].v), table[i].bucket);
		ck_assert_uint_eq(hist_bucket_end(table[i].bucket), table[i].end);
	}
	ck_assert_uint_eq(HIST_BUCKETS, 113);
	/* Every value lies in its bucket, and each bucket is at most 1/8 of its start wide. */
	for (uint32_t v = 0; v < 70000; v++) {
		unsigned i = hist_bucket(v);

		ck_assert_uint_lt(v, hist_bucket_end(i));
		ck_assert(i == 0 || hist_bucket_end(i - 1) <= v);
	}
	for (unsigned i = HIST_EXACT; i < HIST_OVERFLOW; i++) {
		uint32_t start = hist_bucket_end(i - 1), width = hist_bucket_end(i) - start;

		ck_assert_uint_gt(width, 0);
		ck_assert_msg(width * 8 <= start, "bucket %u: [%u, %u)", i, start, start + width);
	}
}
END_TEST

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* A fixed LCG (Numerical Recipes constants): the same samples on every run. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

#define N_SAMPLES 20000

/* Sample set <kind>: 0 log-uniform 0..~2^17 ms, 1 uniform 0..999, 2 constant 42, 3 two values. */
static uint32_t sample(int kind, uint32_t *s)
{
	switch (kind) {
	case 0:
		return (lcg(s) >> 8) >> (lcg(s) >> 27); /* 2^24 shifted right by 0..31 */
	case 1:
		return (lcg(s) >> 8) % 1000;
	case 2:
		return 42;
	default:
		return (lcg(s) >> 31) != 0 ? 3 : 5000;
	}
}

START_TEST(test_quantiles)
{
	static const double qs[] = {0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
	static uint32_t v[N_SAMPLES];
	uint32_t seed = 12345u + (uint32_t)_i;
	struct hist h;

	hist_init(&h);
	for (int i = 0; i < N_SAMPLES; i++) {
		v[i] = sample(_i, &seed);
		hist_add(&h, v[i]);
	}
	ck_assert_uint_eq(h.count, N_SAMPLES);
	qsort(v, N_SAMPLES, sizeof(v[0]), cmp_u32);
	for (size_t j = 0; j < sizeof(qs) / sizeof(qs[0]); j++) {
		/* Nearest rank: the ceil(q * n)-th smallest. */
		size_t rank = (size_t)(qs[j] * N_SAMPLES + 0.999999);
		uint32_t x = v[rank - 1], r = hist_quantile(&h, qs[j]);

		if (x >= HIST_MAX_MS) {
			ck_assert_uint_eq(r, HIST_MAX_MS);
			continue;
		}
		ck_assert_msg(r >= x, "q %g: %u below the exact %u", qs[j], r, x);
		if (x < HIST_EXACT)
			ck_assert_uint_eq(r, x);
		else
			ck_assert_msg((uint64_t)(r - x) * 8 < x, "q %g: %u for %u", qs[j], r, x);
	}
}
END_TEST

START_TEST(test_small)
{
	struct hist h;

	hist_init(&h);
	ck_assert_uint_eq(hist_quantile(&h, 0.5), 0);
	hist_add(&h, 10);
	ck_assert_uint_eq(hist_quantile(&h, 0.5), 10);
	ck_assert_uint_eq(hist_quantile(&h, 1), 10);
	hist_add(&h, 1000);
	/* Two values: p50 is the first (rank 1), p51 the second, read as its bucket's top. */
	ck_assert_uint_eq(hist_quantile(&h, 0.5), 10);
	ck_assert_uint_eq(hist_quantile(&h, 0.51), 1023);
	ck_assert_uint_eq(hist_quantile(&h, 0), 10);
	ck_assert_uint_eq(h.sum_ms, 1010);
	hist_add(&h, UINT32_MAX);
	ck_assert_uint_eq(hist_quantile(&h, 1), HIST_MAX_MS);
}
END_TEST

START_TEST(test_merge)
{
	struct hist a, b, all;
	uint32_t s = 7;

	hist_init(&a);
	hist_init(&b);
	hist_init(&all);
	for (int i = 0; i < 5000; i++) {
		uint32_t v = sample(0, &s);

		hist_add(i % 3 == 0 ? &a : &b, v);
		hist_add(&all, v);
	}
	hist_merge(&a, &b);
	ck_assert_uint_eq(a.count, all.count);
	ck_assert_uint_eq(a.sum_ms, all.sum_ms);
	ck_assert_mem_eq(a.b, all.b, sizeof(a.b));
	ck_assert_uint_eq(hist_quantile(&a, 0.99), hist_quantile(&all, 0.99));
}
END_TEST

START_TEST(test_export)
{
	static const uint32_t vals[] = {0, 5, 9, 100, 70000};
	const char *want = "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.008\"} 2\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.016\"} 3\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.032\"} 3\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.064\"} 3\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.128\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.256\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"0.512\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"1.024\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"2.048\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"4.096\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"8.192\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"16.384\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"32.768\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"65.536\"} 4\n"
	                   "rpc_seconds_bucket{chain=\"polkadot\",le=\"+Inf\"} 5\n"
	                   "rpc_seconds_sum{chain=\"polkadot\"} 70.114\n"
	                   "rpc_seconds_count{chain=\"polkadot\"} 5\n";
	struct pf_buf b = {0};
	struct hist h;
	char *out;

	hist_init(&h);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		hist_add(&h, vals[i]);
	hist_export(&h, "rpc_seconds", "chain=\"polkadot\"", 8, &b);
	out = pf_buf_take(&b, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, want);
	free(out);
	/* Without labels; every bucket: 112 bounds and +Inf. */
	hist_export(&h, "x", "", 1, &b);
	out = pf_buf_take(&b, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "x_bucket{le=\"0.001\"} 1\nx_bucket{le=\"0.002\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "x_bucket{le=\"0.018\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nx_sum 70.114\nx_count 5\n"));
	{
		int lines = 0;

		for (const char *p = out; (p = strstr(p, "x_bucket{")) != NULL; p++)
			lines++;
		ck_assert_int_eq(lines, 113);
	}
	free(out);
}
END_TEST

static Suite *hist_suite(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("buckets");

	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_small);
	tcase_add_loop_test(tc, test_quantiles, 0, 4);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_export);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(hist_suite());
}
