/* SPDX-License-Identifier: MIT */
/*
 * The one main() of a unit test binary: runs <s> (CK_FORK, CK_RUN_SUITE and
 * CK_RUN_CASE from the environment, as tests/run-suites.sh sets them) and
 * turns its failures into the exit status.
 */
#ifndef PF_TESTS_UNIT_CHECK_MAIN_H
#define PF_TESTS_UNIT_CHECK_MAIN_H

#include <stdlib.h>

#include <check.h>

static inline int check_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
