/* SPDX-License-Identifier: MIT */
/*
 * obs_chain_state against the definitions of issue 10: "a chain is down in
 * a region while no healthy node is in rotation there (chain down, stall,
 * or only fail-open nodes left)"; "chain degraded = fewer than min_ready
 * healthy and failing open"; "chain down = no node answering".
 */
#include <check.h>

#include "ctl/db/observe.h"
#include "tests/unit/check_main.h"

struct state_case {
	struct obs_counts in;
	enum obs_state want;
	const char *why;
};

START_TEST(test_states_follow_the_definitions)
{
	/* total, in_rotation, healthy, kept_in, reachable, min_ready, stalled, has_ref, ref_best */
	static const struct state_case cases[] = {
	    /* Everything well. */
	    {{3, 3, 3, 0, 3, 1, false, true, 100}, OBS_UP, "3 healthy of 3"},
	    /* One healthy node is enough at min_ready 1. */
	    {{3, 1, 1, 0, 3, 1, false, true, 100}, OBS_UP, "1 healthy of 3"},
	    /* Fewer than min_ready healthy, the floor keeps one in: degraded, still served. */
	    {{3, 2, 1, 1, 3, 2, false, true, 100},
	     OBS_DEGRADED,
	     "1 healthy, fewer than min_ready 2"},
	    /* Only fail-open nodes left: down. */
	    {{3, 2, 0, 2, 3, 2, false, true, 100}, OBS_DOWN, "only nodes kept in by min_ready (2)"},
	    /* No node answering: down, even with READY nodes frozen in rotation. */
	    {{3, 3, 0, 0, 0, 1, false, true, 100}, OBS_DOWN, "no node answering"},
	    /* A stall is down whatever the nodes say. */
	    {{3, 3, 3, 0, 3, 1, true, true, 4242}, OBS_DOWN, "stalled at height 4242"},
	    /* Every healthy node drained by an admin (min_ready 0): nothing serves. */
	    {{2, 0, 0, 0, 2, 0, false, true, 100}, OBS_DOWN, "no healthy node in rotation"},
	    /* A stall comes first, before "no node answering". */
	    {{2, 2, 0, 0, 0, 1, true, true, 7}, OBS_DOWN, "stalled at height 7"},
	};
	char why[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum obs_state got = obs_chain_state(&cases[i].in, why, sizeof(why));

		ck_assert_msg(got == cases[i].want, "case %zu: %s, want %s", i, obs_state_name(got),
		              obs_state_name(cases[i].want));
		ck_assert_str_eq(why, cases[i].why);
	}
}
END_TEST

/* The names are the values sql/002_observation.sql's CHECKs accept. */
START_TEST(test_names)
{
	ck_assert_str_eq(obs_state_name(OBS_NODATA), "nodata");
	ck_assert_str_eq(obs_state_name(OBS_UP), "up");
	ck_assert_str_eq(obs_state_name(OBS_DEGRADED), "degraded");
	ck_assert_str_eq(obs_state_name(OBS_DOWN), "down");
	ck_assert_str_eq(obs_state_name(OBS_STATE_COUNT), "?");
	/* No buffer for the reason is fine. */
	ck_assert_int_eq(
	    obs_chain_state(
	        &(struct obs_counts){.total = 1, .in_rotation = 1, .healthy = 1, .reachable = 1},
	        NULL, 0),
	    OBS_UP);
}
END_TEST

static Suite *observe_suite(void)
{
	Suite *s = suite_create("observe");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_states_follow_the_definitions);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(observe_suite());
}
