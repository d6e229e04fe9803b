/* SPDX-License-Identifier: MIT */
/*
 * common/procstat.c: the /proc parsers on texts captured from Linux 6.x
 * (tests/unit/data/procstat/: a shell run under nice -n -5, so priority and
 * nice are 15 and -5, after a busy loop, so utime is not 0; and /proc/stat),
 * with the expected values read off the texts by hand with proc(5)'s field
 * table; every cut of a text; the formatter; and the live read, held to the
 * file descriptors the test opens itself.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "common/file.h"
#include "common/procstat.h"
#include "tests/unit/check_main.h"

#define DATA "tests/unit/data/procstat/"

static char *load(const char *name, size_t *len)
{
	char err[256], *p = pf_read_file(name, 1 << 20, len, err, sizeof(err));

	ck_assert_msg(p != NULL, "%s", err);
	return p;
}

START_TEST(test_stat_captured)
{
	size_t len;
	char *p = load(DATA "stat.txt", &len);
	struct pf_proc_stat ps;

	ck_assert_int_eq(pf_proc_parse_stat(p, len, &ps), 0);
	/* Fields 14, 15, 22, 23, 24 of "26668 (sh) S ... 49 0 0 0 15 -5 1 0 3632577 2654208 366".
	 */
	ck_assert_uint_eq(ps.utime_ticks, 49);
	ck_assert_uint_eq(ps.stime_ticks, 0);
	ck_assert_uint_eq(ps.starttime_ticks, 3632577);
	ck_assert_uint_eq(ps.vsize_bytes, 2654208);
	ck_assert_int_eq(ps.rss_pages, 366);
	free(p);
}
END_TEST

/* Every prefix that ends before rss is whole (and followed by a space) is refused. */
START_TEST(test_stat_every_cut)
{
	size_t len, rss_end;
	char *p = load(DATA "stat.txt", &len);
	const char *at = strstr(p, " 2654208 366 ");
	struct pf_proc_stat ps;

	ck_assert_ptr_nonnull(at);
	rss_end = (size_t)(at - p) + strlen(" 2654208 366");
	for (size_t n = 0; n <= rss_end; n++)
		ck_assert_msg(pf_proc_parse_stat(p, n, &ps) == -1, "accepted a cut at %zu", n);
	ck_assert_int_eq(pf_proc_parse_stat(p, rss_end + 1, &ps), 0);
	free(p);
}
END_TEST

START_TEST(test_stat_odd_names_and_refusals)
{
	/* A command name may hold ") " and digits: fields count from its last ')'. */
	static const char odd[] =
	    "7 (a) 1 2 (b) S 1 7 7 0 -1 4194560 1 0 0 0 250 125 0 0 20 0 1 0 900 4096 -3 0\n";
	static const char neg_utime[] =
	    "7 (x) S 1 7 7 0 -1 4194560 1 0 0 0 -250 125 0 0 20 0 1 0 900 4096 3 0\n";
	static const char word[] = "7 (x) S 1 7 7 0 -1 4194560 1 0 0 0 250 125 0 0 20 0 1 0 "
	                           "900 big 3 0\n";
	static const char huge[] = "7 (x) S 1 7 7 0 -1 4194560 1 0 0 0 18446744073709551616 125 0 "
	                           "0 20 0 1 0 900 4096 3 0\n";
	static const char no_paren[] = "7 x S 1 7 7 0 -1 4194560 1 0 0 0 250 125 0 0 20 0 1 0 900 "
	                               "4096 3 0\n";
	struct pf_proc_stat ps;

	ck_assert_int_eq(pf_proc_parse_stat(odd, sizeof(odd) - 1, &ps), 0);
	ck_assert_uint_eq(ps.utime_ticks, 250);
	ck_assert_uint_eq(ps.stime_ticks, 125);
	ck_assert_uint_eq(ps.starttime_ticks, 900);
	ck_assert_uint_eq(ps.vsize_bytes, 4096);
	ck_assert_int_eq(ps.rss_pages, -3);
	ck_assert_int_eq(pf_proc_parse_stat(neg_utime, sizeof(neg_utime) - 1, &ps), -1);
	ck_assert_int_eq(pf_proc_parse_stat(word, sizeof(word) - 1, &ps), -1);
	ck_assert_int_eq(pf_proc_parse_stat(huge, sizeof(huge) - 1, &ps), -1);
	ck_assert_int_eq(pf_proc_parse_stat(no_paren, sizeof(no_paren) - 1, &ps), -1);
	ck_assert_int_eq(pf_proc_parse_stat("", 0, &ps), -1);
}
END_TEST

START_TEST(test_status_captured)
{
	size_t len;
	char *p = load(DATA "status.txt", &len);
	uint64_t rss = 0, vm = 0;

	ck_assert_int_eq(pf_proc_parse_status(p, len, &rss, &vm), 0);
	/* "VmRSS:\t    1692 kB", "VmSize:\t    2592 kB" */
	ck_assert_uint_eq(rss, 1692ull * 1024);
	ck_assert_uint_eq(vm, 2592ull * 1024);
	/* The same size as stat's vsize (field 23), read independently. */
	ck_assert_uint_eq(vm, 2654208);
	free(p);
}
END_TEST

START_TEST(test_status_refusals)
{
	static const char kthread[] = "Name:\tkworker/0:1\nState:\tI (idle)\nThreads:\t1\n";
	static const char no_unit[] = "VmSize:\t 2592 kB\nVmRSS:\t 1692\n";
	static const char word[] = "VmSize:\t 2592 kB\nVmRSS:\t lots kB\n";
	static const char last_line[] = "VmSize:\t 2592 kB\nVmRSS:\t 1692 kB";
	uint64_t rss = 0, vm = 0;

	ck_assert_int_eq(pf_proc_parse_status(kthread, sizeof(kthread) - 1, &rss, &vm), -1);
	ck_assert_int_eq(pf_proc_parse_status(no_unit, sizeof(no_unit) - 1, &rss, &vm), -1);
	ck_assert_int_eq(pf_proc_parse_status(word, sizeof(word) - 1, &rss, &vm), -1);
	/* The last line without its newline still counts. */
	ck_assert_int_eq(pf_proc_parse_status(last_line, sizeof(last_line) - 1, &rss, &vm), 0);
	ck_assert_uint_eq(rss, 1692ull * 1024);
}
END_TEST

START_TEST(test_btime)
{
	size_t len;
	char *p = load(DATA "proc-stat.txt", &len);
	uint64_t bt = 0;

	ck_assert_int_eq(pf_proc_parse_btime(p, len, &bt), 0);
	ck_assert_uint_eq(bt, 1796516577);
	ck_assert_int_eq(pf_proc_parse_btime("cpu  1 2 3\nctxt 5\n", 18, &bt), -1);
	/* "btimex" is another key. */
	ck_assert_int_eq(pf_proc_parse_btime("btimex 5\n", 9, &bt), -1);
	free(p);
}
END_TEST

START_TEST(test_format)
{
	const struct pf_proc_metrics m = {.cpu_seconds = 1.5,
	                                  .start_time_seconds = 1796516577.25,
	                                  .resident_bytes = 1732608,
	                                  .virtual_bytes = 2654208,
	                                  .open_fds = 7,
	                                  .max_fds = UINT64_MAX};
	char buf[2048], small[64];
	size_t n = pf_proc_format(&m, buf, sizeof(buf));

	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_cpu_seconds_total 1.50\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_resident_memory_bytes 1732608\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_virtual_memory_bytes 2654208\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_open_fds 7\n"));
	/* RLIM_INFINITY: the text format's +Inf, as the Go client prints it. */
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_max_fds +Inf\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_start_time_seconds 1796516577.25\n"));
	ck_assert_ptr_nonnull(strstr(buf, "# TYPE process_cpu_seconds_total counter\n"));
	/* Cut: the length needed, and a NUL-terminated prefix. */
	ck_assert_uint_eq(pf_proc_format(&m, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

/* The live read: ten descriptors opened here show as ten more. */
START_TEST(test_read_live)
{
	struct pf_proc_metrics a, b;
	char err[256];
	int fds[10];
	time_t now = time(NULL);

	ck_assert_msg(pf_proc_read(&a, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < 10; i++)
		ck_assert_int_ge(fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	ck_assert_msg(pf_proc_read(&b, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < 10; i++)
		close(fds[i]);
	ck_assert_uint_eq(b.open_fds, a.open_fds + 10);
	ck_assert_uint_ge(a.open_fds, 3); /* stdin, stdout, stderr at least */
	ck_assert_uint_gt(a.resident_bytes, 0);
	ck_assert_uint_ge(a.virtual_bytes, a.resident_bytes);
	ck_assert_uint_ge(a.max_fds, a.open_fds + 10);
	/* This process (Check's fork) started within the last minute, to the tick. */
	ck_assert_msg(a.start_time_seconds <= (double)now + 1 &&
	                  a.start_time_seconds >= (double)now - 60,
	              "start %.2f, now %lld", a.start_time_seconds, (long long)now);
	ck_assert(a.cpu_seconds >= 0 && b.cpu_seconds >= a.cpu_seconds);
}
END_TEST

static Suite *procstat_suite(void)
{
	Suite *s = suite_create("procstat");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_stat_captured);
	tcase_add_test(tc, test_stat_every_cut);
	tcase_add_test(tc, test_stat_odd_names_and_refusals);
	tcase_add_test(tc, test_status_captured);
	tcase_add_test(tc, test_status_refusals);
	tcase_add_test(tc, test_btime);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, test_read_live);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(procstat_suite());
}
