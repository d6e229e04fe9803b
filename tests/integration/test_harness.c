/* SPDX-License-Identifier: MIT */
/*
 * The harness's own end of a suite (children.h): what a failed test leaves
 * running is stopped after the tests, printed, and fails the run; a test
 * that stopped its children properly is not failed by them. Each case runs
 * this binary again as a small inner suite (PF_HARNESS_SELFTEST names it)
 * and judges its exit status, its output and what it left on the machine.
 * The child left behind is a grandchild of the test, as postgres and
 * HAProxy's worker are in effect: PR_SET_PDEATHSIG does not reach it.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

/* ---- the inner suites ---- */

/* The file the inner suite writes the grandchild's pid to (in the outer test's temp dir). */
static const char *pid_file(void)
{
	return getenv("PF_HARNESS_PIDFILE");
}

/* A shell that starts `sleep 600` in the background, writes its pid and waits for it. */
static pid_t spawn_with_grandchild(const char *on_term)
{
	char script[1024];
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	pid_t pid;

	snprintf(script, sizeof(script),
	         "%s sleep 600 & echo $! > '%s.tmp'; mv '%s.tmp' '%s'; wait", on_term, pid_file(),
	         pid_file(), pid_file());
	pid = h_spawn(argv, NULL, NULL);
	ck_assert_int_gt(pid, 0);
	ck_assert(h_wait_file_contains(pid_file(), "\n", 5));
	return pid;
}

/* Fails with a grandchild running: Check _exits the test, nothing stops it. */
START_TEST(inner_leak)
{
	spawn_with_grandchild("");
	ck_abort_msg("failing on purpose with a child running");
}
END_TEST

/*
 * Passes: the shell exits 0 on SIGTERM, and the stop's SIGKILL to its
 * process group ends the sleep just before the test's process exits.
 */
START_TEST(inner_clean)
{
	h_stop_child(spawn_with_grandchild("trap 'exit 0' TERM;"));
}
END_TEST

static int run_inner(const char *which)
{
	Suite *s = suite_create("harness_inner");
	TCase *tc = tcase_create(which);

	tcase_add_test(tc, strcmp(which, "leak") == 0 ? inner_leak : inner_clean);
	suite_add_tcase(s, tc);
	return h_run_suite(s);
}

/* ---- the outer tests ---- */

static char inner_out[16384];

/* Runs the inner suite <which>; its exit code, its output in inner_out, the grandchild's pid. */
static int inner(const char *which, pid_t *grandchild)
{
	char exe[512], pidf[600], cmd[2048], *text;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int st;

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	snprintf(pidf, sizeof(pidf), "%s/grandchild-%s-%d", h_tmpdir(), which, (int)getpid());
	/* Its temp dir inside ours: removed with ours whatever it leaves. */
	snprintf(cmd, sizeof(cmd),
	         "env -u CK_RUN_SUITE -u CK_RUN_CASE -u CK_XML_LOG_FILE_NAME -u CK_LOG_FILE_NAME "
	         "-u CK_TAP_LOG_FILE_NAME CK_FORK=yes TMPDIR='%s' "
	         "PF_HARNESS_SELFTEST=%s PF_HARNESS_PIDFILE='%s' '%s' 2>&1",
	         h_tmpdir(), which, pidf, exe);
	st = h_run(cmd, inner_out, sizeof(inner_out));
	ck_assert_msg(st != -1 && WIFEXITED(st), "%s: did not exit", cmd);
	text = h_read_file(pidf, NULL);
	ck_assert_msg(text != NULL, "the inner suite wrote no pid; its output:\n%s", inner_out);
	*grandchild = (pid_t)strtol(text, NULL, 10);
	free(text);
	ck_assert_int_gt(*grandchild, 1);
	return WEXITSTATUS(st);
}

/* True when <pid> no longer exists (the inner suite reaped it). */
static bool gone(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

START_TEST(test_failed_test_leaves_nothing)
{
	pid_t g;
	int code = inner("leak", &g);
	char want[64];

	ck_assert_msg(code == 1, "exit %d:\n%s", code, inner_out);
	snprintf(want, sizeof(want), "harness: forgotten child pid %d ", (int)g);
	ck_assert_msg(strstr(inner_out, want) != NULL, "no \"%s\" in:\n%s", want, inner_out);
	ck_assert_msg(strstr(inner_out, "sleep 600") != NULL, "%s", inner_out);
	ck_assert_msg(strstr(inner_out, "1 test(s) failed, 1 sanitizer report(s) or forgotten") !=
	                  NULL,
	              "%s", inner_out);
	if (!gone(g)) {
		kill(g, SIGKILL);
		ck_abort_msg("pid %d (sleep 600) still runs after the inner suite", (int)g);
	}
}
END_TEST

START_TEST(test_clean_stop_passes)
{
	pid_t g;
	int code = inner("clean", &g);

	ck_assert_msg(code == 0, "exit %d:\n%s", code, inner_out);
	ck_assert_msg(strstr(inner_out, "forgotten") == NULL, "%s", inner_out);
	ck_assert_msg(gone(g), "pid %d still runs", (int)g);
}
END_TEST

static Suite *harness_suite(void)
{
	Suite *s = suite_create("harness");
	TCase *tc = tcase_create("orphans");

	tcase_add_test(tc, test_failed_test_leaves_nothing);
	tcase_add_test(tc, test_clean_stop_passes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *which = getenv("PF_HARNESS_SELFTEST");

	if (which != NULL)
		return run_inner(which);
	return h_run_suite(harness_suite());
}
