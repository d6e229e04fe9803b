/* SPDX-License-Identifier: MIT */
/*
 * The processes an integration test starts, and what they leave behind:
 * each child is spawned with a log, stopped with the signal it documents,
 * and its exit status asserted; its log, and the output of every command
 * run through h_run(), is scanned for sanitizer reports, so a memory error,
 * undefined behaviour or a leak in any process a test starts fails that
 * test. A child still running when a passing test ends fails the suite.
 * This module knows nothing of what the children are (harness.c starts
 * them) and calls nothing in harness.c.
 */
#ifndef PF_TESTS_HARNESS_CHILDREN_H
#define PF_TESTS_HARNESS_CHILDREN_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"

/*
 * How long a child may take to exit after its stop signal. The slowest
 * clean stop measured is HAProxy's soft stop or an ASan build's leak check
 * at exit, well under a second; 10 s only guards against a loaded machine.
 * A child that takes longer is killed and the test fails: a stop that hangs
 * is a bug.
 */
#define H_STOP_TIMEOUT_S 10.0

/*
 * Called once by h_run_suite() before any test runs: reports of tests that
 * leave children running go to files in <dir> (copied). Makes this process
 * a child subreaper, so that what a failed test leaves running comes back
 * to it.
 */
void h_children_init(const char *dir);

/*
 * Called by h_run_suite() after the tests: stops what a test left running
 * (registered children with CK_FORK=no; with CK_FORK=yes every process a
 * failed test left behind, which came back to this subreaper: each is
 * printed, sent SIGTERM, then SIGKILL after H_STOP_TIMEOUT_S, and counted),
 * then reads every regular file under the
 * <dir> of h_children_init() for sanitizer reports and for the notes of
 * tests that left children running, and prints each one found. Returns how
 * many there were: 0 means clean.
 */
int h_children_finish(void);

/*
 * Spawns <argv> in its own process group with extra <env> entries ("K=V",
 * NULL-terminated, may be NULL), stdout and stderr appended to <log_path>
 * (may be NULL). The child is registered: it stops with SIGTERM and exit
 * status 0 unless h_child_expect() says otherwise, and is named after
 * argv[0] in messages. Returns the pid or -1.
 */
pid_t h_spawn(char *const argv[], char *const env[], const char *log_path);

/*
 * Records that child <pid> is <what> (for messages), stops on <sig> and
 * then exits with status <code>, as its documentation says.
 */
void h_child_expect(pid_t pid, const char *what, int sig, int code);

/*
 * Waits up to <timeout_s> (0: just looks) for <pid> to exit by itself.
 * Returns the wait status, or -1 while it still runs. Once a registered
 * child is reaped its log is scanned: a sanitizer report fails the test.
 */
int h_wait_exit(pid_t pid, double timeout_s);

/*
 * Sends <sig> to <pid> and waits up to H_STOP_TIMEOUT_S for it to exit.
 * Fails the test when it does not exit in time (it is killed then), when it
 * was not our child, or when its log holds a sanitizer report. Returns the
 * wait status, for the caller to judge.
 */
int h_stop(pid_t pid, int sig);

/*
 * Stops child <pid> with its documented signal and fails the test unless
 * it exits with its documented status (see h_child_expect), in time and
 * without a sanitizer report.
 */
void h_stop_child(pid_t pid);

/*
 * Kills child <pid> with SIGKILL on purpose (a crash a test stages; the
 * caller says why in a comment). Fails the test if the child had already
 * died some other way. Its leak check cannot run: nothing is scanned.
 */
void h_kill_child(pid_t pid);

/*
 * Stops every child of this test that is still running, newest first, each
 * as h_stop_child() does, and only then fails the test on the first
 * problem, so one bad exit does not leave the others unchecked. Teardowns
 * call this.
 */
void h_stop_all(void);

/*
 * Runs <cmd> through /bin/sh, capturing its stdout (add 2>&1 for stderr)
 * into <out>, NUL-terminated and cut at <outlen> - 1 bytes. All the output
 * is read and scanned, past the cut too: a sanitizer report in it fails the
 * test. Returns the wait status, or -1 if it could not be started.
 */
int h_run(const char *cmd, char *out, size_t outlen);

/* The first sanitizer report line in <text> (ASan, LSan, UBSan), or NULL. */
const char *h_sanitizer_report(const char *text);

#endif
