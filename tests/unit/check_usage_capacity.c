/* SPDX-License-Identifier: MIT */
/*
 * ctl/usage/capacity.c against cases worked out by hand from the model in
 * capacity.h (the arithmetic is in each case's comment): a plain
 * suggestion, a quotient that is a whole number (no extra node from a
 * rounding error), the min_ready floor, the clamp at 6, a min_ready above
 * 6, too little data, averages over the minutes and the load minutes, no
 * minutes at all, and the results in the order of the sums. What makes
 * the sums of the minutes (unserved minutes, minutes without a sample) is
 * SQL, checked by test_usage.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "ctl/usage/capacity.h"
#include "tests/unit/check_main.h"

#define M0  INT64_C(1793527200000) /* 2026-11-01T10:00:00Z (Python's datetime) */
#define MIN INT64_C(60000)

static struct cap_params params(double cap, double util, unsigned min_minutes, unsigned min_ready)
{
	return (struct cap_params){cap, util, min_minutes, min_ready};
}

/*
 * eu/polkadot, two minutes: 600 calls, 360,000 node-ms, 3 nodes (120,000
 * per node); then 1200 calls, 240,000 node-ms, 2 nodes (120,000 per node).
 */
static const struct cap_sums two[] = {
    {"eu", "polkadot", 2, 2, 0, 1800, 600000, 1200, M0 + MIN, 360000, 240000, 120000},
};

START_TEST(test_plain)
{
	struct cap_params p = params(4, 0.7, 2, 0);
	struct cap_result r[2];

	capacity_compute(two, 1, &p, r);
	ck_assert_str_eq(r[0].region, "eu");
	ck_assert_str_eq(r[0].chain, "polkadot");
	ck_assert_uint_eq(r[0].minutes, 2);
	ck_assert_uint_eq(r[0].load_minutes, 2);
	ck_assert_uint_eq(r[0].unserved_minutes, 0);
	ck_assert_uint_eq(r[0].calls, 1800);
	/* 1800 calls / 120 s; the busiest minute 1200 / 60 s, the second one. */
	ck_assert_double_eq_tol(r[0].avg_cps, 15.0, 1e-12);
	ck_assert_double_eq_tol(r[0].peak_cps, 20.0, 1e-12);
	ck_assert_int_eq(r[0].peak_minute_ms, M0 + MIN);
	/* Per node: 360 s / 60 s / 3 = 2, 240 / 60 / 2 = 2. Demand: 6 node-s/s, the first minute.
	 */
	ck_assert_double_eq_tol(r[0].avg_load, 2.0, 1e-12);
	ck_assert_double_eq_tol(r[0].peak_load, 2.0, 1e-12);
	ck_assert_double_eq_tol(r[0].peak_demand, 6.0, 1e-12);
	/* 6 / (4 * 0.7) = 2.14 -> 3; headroom 1 - 6 / 12 = 50 %. */
	ck_assert_int_eq(r[0].verdict, CAP_OK);
	ck_assert_uint_eq(r[0].needed, 3);
	ck_assert_uint_eq(r[0].suggested, 3);
	ck_assert_double_eq_tol(r[0].headroom_pct, 50.0, 1e-9);
}
END_TEST

START_TEST(test_whole_quotient)
{
	/* 6 / (4 * 0.5) = 3 exactly: 3 nodes, not 4; headroom 1 - 6 / 12 = 50 %. */
	struct cap_params p = params(4, 0.5, 2, 0);
	struct cap_result r[2];

	capacity_compute(two, 1, &p, r);
	ck_assert_uint_eq(r[0].needed, 3);
	ck_assert_uint_eq(r[0].suggested, 3);
	/* 126,000 node-ms: 2.1 node-s/s; 2.1 / 0.7 is 3.0000000000000004 in doubles: 3, not 4. */
	{
		static const struct cap_sums m[] = {
		    {"eu", "polkadot", 1, 1, 0, 60, 126000, 60, M0, 126000, 126000, 126000}};

		p = params(1, 0.7, 1, 0);
		capacity_compute(m, 1, &p, r);
		ck_assert_uint_eq(r[0].needed, 3);
		ck_assert_double_eq_tol(r[0].headroom_pct, 30.0, 1e-9);
	}
}
END_TEST

START_TEST(test_min_ready_floor)
{
	/* needed 3, min_ready 4: 4 nodes, headroom 1 - 6 / 16 = 62.5 %. */
	struct cap_params p = params(4, 0.7, 2, 4);
	struct cap_result r[2];

	capacity_compute(two, 1, &p, r);
	ck_assert_int_eq(r[0].verdict, CAP_OK);
	ck_assert_uint_eq(r[0].needed, 3);
	ck_assert_uint_eq(r[0].suggested, 4);
	ck_assert_double_eq_tol(r[0].headroom_pct, 62.5, 1e-9);
	/* A min_ready of 8 is clamped at 6 without calling it a lack of capacity: 1 - 6/24. */
	p = params(4, 0.7, 2, 8);
	capacity_compute(two, 1, &p, r);
	ck_assert_int_eq(r[0].verdict, CAP_OK);
	ck_assert_uint_eq(r[0].suggested, CAP_MAX_NODES);
	ck_assert_double_eq_tol(r[0].headroom_pct, 75.0, 1e-9);
}
END_TEST

START_TEST(test_clamp_at_six)
{
	/* 1,800,000 node-ms in a minute: 30 node-s/s; 30 / (4 * 0.5) = 15 nodes -> 6, over. */
	static const struct cap_sums busy[] = {
	    {"eu", "kusama", 1, 1, 0, 60, 1800000, 60, M0, 1800000, 300000, 300000},
	};
	struct cap_params p = params(4, 0.5, 1, 0);
	struct cap_result r[1];

	capacity_compute(busy, 1, &p, r);
	ck_assert_int_eq(r[0].verdict, CAP_OVER);
	ck_assert_uint_eq(r[0].needed, 15);
	ck_assert_uint_eq(r[0].suggested, 6);
	/* 1 - 30 / 24 = -25 %: six nodes would be over their capacity. */
	ck_assert_double_eq_tol(r[0].headroom_pct, -25.0, 1e-9);
	/* 30 / 6 nodes = 5 per node. */
	ck_assert_double_eq_tol(r[0].peak_load, 5.0, 1e-12);
	/* Exactly 6 needed (24 / 4 = 6) is not over. */
	p = params(5, 1, 1, 0);
	capacity_compute(busy, 1, &p, r);
	ck_assert_int_eq(r[0].verdict, CAP_OK);
	ck_assert_uint_eq(r[0].needed, 6);
	ck_assert_uint_eq(r[0].suggested, 6);
	ck_assert_double_eq_tol(r[0].headroom_pct, 0.0, 1e-9);
}
END_TEST

START_TEST(test_thin)
{
	struct cap_params p = params(4, 0.7, 3, 2);
	struct cap_result r[2];

	capacity_compute(two, 1, &p, r);
	ck_assert_int_eq(r[0].verdict, CAP_THIN);
	ck_assert_uint_eq(r[0].suggested, 0);
	ck_assert_double_eq(r[0].headroom_pct, 0);
	/* The figures are there all the same. */
	ck_assert_double_eq_tol(r[0].peak_cps, 20.0, 1e-12);
}
END_TEST

START_TEST(test_averages)
{
	/*
	 * Five minutes: 3 nodes and 180,000 node-ms (60,000 per node); 120
	 * calls with 0 nodes; traffic without a sample; a sample of 0 nodes; 2
	 * nodes and no traffic (0 per node). Two load minutes, two unserved.
	 */
	static const struct cap_sums five[] = {
	    {"eu", "polkadot", 5, 2, 2, 210, 186000, 120, M0 + MIN, 180000, 60000, 60000},
	};
	static const struct cap_sums none[] = {{"eu", "polkadot", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
	struct cap_params p = params(4, 0.7, 5, 0);
	struct cap_result r[1];

	capacity_compute(five, 1, &p, r);
	ck_assert_uint_eq(r[0].minutes, 5);
	ck_assert_uint_eq(r[0].load_minutes, 2);
	ck_assert_uint_eq(r[0].unserved_minutes, 2);
	/* 210 calls / 300 s; peak 120 / 60. Per node: 60,000 / 60,000 / 2 minutes = 0.5. */
	ck_assert_double_eq_tol(r[0].avg_cps, 0.7, 1e-12);
	ck_assert_double_eq_tol(r[0].peak_cps, 2.0, 1e-12);
	ck_assert_int_eq(r[0].peak_minute_ms, M0 + MIN);
	ck_assert_double_eq_tol(r[0].avg_load, 0.5, 1e-12);
	ck_assert_double_eq_tol(r[0].peak_load, 1.0, 1e-12);
	/* Demand 3 node-s/s: 3 / 2.8 -> 2 nodes. */
	ck_assert_uint_eq(r[0].suggested, 2);
	/* No minute at all: zeros, no division by zero, too thin. */
	capacity_compute(none, 1, &p, r);
	ck_assert_double_eq(r[0].avg_cps, 0);
	ck_assert_double_eq(r[0].avg_load, 0);
	ck_assert_int_eq(r[0].verdict, CAP_THIN);
}
END_TEST

START_TEST(test_no_data)
{
	struct cap_params p = params(4, 0.7, 0, 0);
	struct cap_result r[1];
	static const struct cap_sums idle[] = {{"eu", "polkadot", 1, 1, 0, 0, 0, 0, M0, 0, 0, 0}};

	capacity_compute(NULL, 0, &p, r);
	/* Samples without traffic: nothing needed, the floor of 1 node, all its capacity free. */
	capacity_compute(idle, 1, &p, r);
	ck_assert_int_eq(r[0].verdict, CAP_OK);
	ck_assert_uint_eq(r[0].needed, 0);
	ck_assert_uint_eq(r[0].suggested, 1);
	ck_assert_double_eq_tol(r[0].headroom_pct, 100.0, 1e-12);
	ck_assert_double_eq(r[0].avg_cps, 0);
}
END_TEST

START_TEST(test_in_order)
{
	static const struct cap_sums s[] = {
	    {"eu", "polkadot", 2, 2, 0, 180, 120000, 120, M0, 60000, 60000, 60000},
	    {"us", "polkadot", 1, 1, 0, 600, 120000, 600, M0, 120000, 60000, 60000},
	};
	struct cap_params p = params(4, 0.7, 1, 0);
	struct cap_result r[2];

	capacity_compute(s, 2, &p, r);
	ck_assert_str_eq(r[0].region, "eu");
	ck_assert_double_eq_tol(r[0].avg_cps, 1.5, 1e-12);
	ck_assert_str_eq(r[1].region, "us");
	ck_assert_str_eq(r[1].chain, "polkadot");
	ck_assert_double_eq_tol(r[1].peak_cps, 10.0, 1e-12);
	ck_assert_double_eq_tol(r[1].peak_load, 1.0, 1e-12);
}
END_TEST

static Suite *capacity_suite(void)
{
	Suite *s = suite_create("usage_capacity");
	TCase *t = tcase_create("model");

	tcase_add_test(t, test_plain);
	tcase_add_test(t, test_whole_quotient);
	tcase_add_test(t, test_min_ready_floor);
	tcase_add_test(t, test_clamp_at_six);
	tcase_add_test(t, test_thin);
	tcase_add_test(t, test_averages);
	tcase_add_test(t, test_no_data);
	tcase_add_test(t, test_in_order);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return check_run_suite(capacity_suite());
}
