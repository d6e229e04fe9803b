/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/hook.c against /bin/sh: success, an exit status, a signal, a
 * missing command, a relative one refused, stdin at EOF, and a timeout that
 * kills the command's whole process group (a child it left in the
 * background included). The files it writes go to $TMPDIR.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "ctl/snapshot/hook.h"
#include "tests/unit/check_main.h"

static char errbuf[256], marker[512];

static void make_marker(void)
{
	const char *tmp = getenv("TMPDIR");

	(void)snprintf(marker, sizeof(marker), "%s/check_hook.%ld", tmp ? tmp : "/tmp",
	               (long)getpid());
	(void)unlink(marker);
}

static void read_marker(char *buf, size_t len)
{
	FILE *f = fopen(marker, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
	(void)unlink(marker);
}

static int sh(const char *script, unsigned timeout_ms)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, "hook", marker, NULL};

	errbuf[0] = '\0';
	return hook_run(argv, timeout_ms, errbuf, sizeof(errbuf));
}

START_TEST(test_ok_and_status)
{
	char buf[64];

	make_marker();
	ck_assert_int_eq(sh("echo ran > \"$1\"", 5000), 0);
	read_marker(buf, sizeof(buf));
	ck_assert_str_eq(buf, "ran\n");
	ck_assert_int_eq(sh("exit 3", 5000), -1);
	ck_assert_str_eq(errbuf, "exited with status 3");
	ck_assert_int_eq(sh("kill -9 $$", 5000), -1);
	ck_assert_str_eq(errbuf, "killed by signal 9");
}
END_TEST

START_TEST(test_cannot_run)
{
	char *missing[] = {"/nonexistent/polkfura-hook", NULL};
	char *relative[] = {"sh", "-c", "true", NULL};

	ck_assert_int_eq(hook_run(missing, 1000, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf,
	                 "cannot run /nonexistent/polkfura-hook: No such file or directory");
	ck_assert_int_eq(hook_run(relative, 1000, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "a hook's command must be an absolute path");
}
END_TEST

/* A hook never waits on the publisher's terminal: its stdin is at EOF. */
START_TEST(test_stdin_null)
{
	char buf[64];

	make_marker();
	ck_assert_int_eq(sh("if read x; then echo read > \"$1\"; else echo eof > \"$1\"; fi", 5000),
	                 0);
	read_marker(buf, sizeof(buf));
	ck_assert_str_eq(buf, "eof\n");
}
END_TEST

/* Whether <pid> is gone or a zombie waiting for its reaper (dead either way). */
static int dead(long pid)
{
	char path[64], stat[256];
	FILE *f;
	size_t n;
	char *p;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 1;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	(void)fclose(f);
	stat[n] = '\0';
	p = strrchr(stat, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

START_TEST(test_timeout_kills_group)
{
	char buf[64];
	long bg;
	int i;

	make_marker();
	/* The background sleep is the command's child: the group kill must reach it. */
	ck_assert_int_eq(sh("sleep 30 & echo $! > \"$1\"; wait", 300), -1);
	ck_assert_str_eq(errbuf, "timed out after 300 ms");
	read_marker(buf, sizeof(buf));
	bg = strtol(buf, NULL, 10);
	ck_assert_int_gt(bg, 1);
	/* SIGTERM went to the group; the orphan is reaped by init in its own time: poll, 2 s. */
	for (i = 0; i < 200 && !dead(bg); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		(void)nanosleep(&ts, NULL);
	}
	ck_assert_msg(dead(bg), "background child %ld survived the hook's timeout", bg);
}
END_TEST

static Suite *hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ok_and_status);
	tcase_add_test(tc, test_cannot_run);
	tcase_add_test(tc, test_stdin_null);
	tcase_add_test(tc, test_timeout_kills_group);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(hook_suite());
}
