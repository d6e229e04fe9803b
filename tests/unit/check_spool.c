/* SPDX-License-Identifier: MIT */
/*
 * ctl/db/spool.c on files in a temp dir: records come out in the order
 * they went in, through a window smaller than the file; each pop reports
 * where its line ends (read back from the file here) and the last one
 * truncates the file; what is not popped survives a reopen; a torn last
 * line is cut at open, a damaged line is skipped and counted; a second
 * open of a locked spool, a spool dir that is not one and an invalid
 * record are refused. Lines written by hand are in the format of
 * reccodec.h.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/db/spool.h"
#include "tests/unit/check_main.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check-spool-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/eu1.spool", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static struct db_record rec(unsigned i)
{
	struct db_record r = {.kind = REC_OP_CHANGE, .region = "eu1", .at_ms = 1700000000000};

	snprintf(r.id, sizeof(r.id), "r-%u", i);
	memcpy(r.u.op.kind, "note", 5);
	return r;
}

static void put(struct spool *s, unsigned from, unsigned n)
{
	char err[256];

	for (unsigned i = from; i < from + n; i++) {
		struct db_record r = rec(i);

		ck_assert_msg(spool_put(s, &r, err, sizeof(err)) == 0, "%s", err);
	}
}

static long long size_of(void)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return (long long)sb.st_size;
}

/* The end offset of every line of the file, read here. */
static size_t line_ends(unsigned long long *ends, size_t max)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	long long off = 0;
	int c;

	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF) {
		off++;
		if (c == '\n' && n < max)
			ends[n++] = (unsigned long long)off;
	}
	fclose(f);
	return n;
}

static void write_raw(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	fclose(f);
}

START_TEST(test_order_through_a_small_window)
{
	unsigned long long ends[16];
	char err[256];
	struct spool *s = spool_open(dir, "eu1", 3, err, sizeof(err));
	struct stat sb;

	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	put(s, 0, 10);
	ck_assert_int_eq(spool_sync(s), 0);
	ck_assert_uint_eq(spool_window(s), 3);
	ck_assert_uint_eq(spool_pending(s), 10);
	ck_assert_uint_eq(line_ends(ends, 16), 10);
	ck_assert_uint_eq(spool_end(s), ends[9]);
	for (unsigned i = 0; i < 10; i++) {
		char want[16];
		uint64_t end;

		snprintf(want, sizeof(want), "r-%u", i);
		ck_assert_str_eq(spool_at(s, 0)->r.id, want);
		ck_assert_uint_eq(spool_window(s), i <= 7 ? 3 : 10 - i);
		end = spool_pop(s);
		ck_assert_uint_eq(end, i < 9 ? ends[i] : UINT64_MAX);
		ck_assert_uint_eq(spool_pending(s), 9 - i);
	}
	ck_assert_int_eq(size_of(), 0);
	ck_assert_uint_eq(spool_end(s), 0);
	/* Empty and truncated, it takes records again from the start. */
	put(s, 10, 1);
	ck_assert_uint_eq(line_ends(ends, 16), 1);
	ck_assert_uint_eq(spool_pop(s), UINT64_MAX);
	spool_close(s);
}
END_TEST

START_TEST(test_reopen_keeps_what_was_not_popped)
{
	char err[256];
	struct spool *s = spool_open(dir, "eu1", 8, err, sizeof(err));

	ck_assert_ptr_nonnull(s);
	put(s, 0, 5);
	(void)spool_pop(s);
	spool_at(s, 0)->dropped = true;
	spool_close(s);
	s = spool_open(dir, "eu1", 8, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	/* The popped one is still in the file (it goes only when all do): five lines. */
	ck_assert_uint_eq(spool_pending(s), 5);
	ck_assert_uint_eq(spool_window(s), 5);
	ck_assert_str_eq(spool_at(s, 0)->r.id, "r-0");
	ck_assert_str_eq(spool_at(s, 4)->r.id, "r-4");
	ck_assert(!spool_at(s, 1)->dropped); /* marks are the caller's, not the file's */
	spool_close(s);
}
END_TEST

#define L(id)                                                                                      \
	"{\"kind\":\"op_change\",\"id\":\"" id "\",\"region\":\"eu1\",\"at\":\"1700000000000\","   \
	"\"op_kind\":\"note\",\"who\":\"\",\"reason\":\"\",\"summary\":\"\"}\n"

START_TEST(test_torn_and_damaged_lines)
{
	char err[256];
	struct spool *s;

	write_raw(L("a") "{\"kind\":\"op_change\",\"id\":\n" L("b") "{\"kind\":\"op_ch");
	s = spool_open(dir, "eu1", 8, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	/* The torn tail is cut off the file; the damaged line is skipped and counted. */
	ck_assert_int_eq(size_of(), (long long)(strlen(L("a")) * 2 +
	                                        strlen("{\"kind\":\"op_change\",\"id\":\n")));
	ck_assert_uint_eq(spool_skipped(s), 1);
	ck_assert_uint_eq(spool_pending(s), 2);
	ck_assert_uint_eq(spool_window(s), 2);
	ck_assert_str_eq(spool_at(s, 0)->r.id, "a");
	ck_assert_str_eq(spool_at(s, 1)->r.id, "b");
	(void)spool_pop(s);
	ck_assert_uint_eq(spool_pop(s), UINT64_MAX);
	ck_assert_int_eq(size_of(), 0);
	spool_close(s);
}
END_TEST

/* A spool damaged throughout: every bad line counted (only the first ten are logged). */
START_TEST(test_many_damaged_lines)
{
	char text[4096], err[256];
	size_t n = 0;
	struct spool *s;

	for (int i = 0; i < 25; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "not a record\n");
	snprintf(text + n, sizeof(text) - n, "%s", L("last"));
	write_raw(text);
	s = spool_open(dir, "eu1", 8, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(spool_skipped(s), 25);
	ck_assert_uint_eq(spool_pending(s), 1);
	ck_assert_uint_eq(spool_window(s), 1);
	ck_assert_str_eq(spool_at(s, 0)->r.id, "last");
	spool_close(s);
}
END_TEST

START_TEST(test_refusals)
{
	char err[256] = "", other[128];
	struct spool *s = spool_open(dir, "eu1", 8, err, sizeof(err));
	struct spool *t;
	struct db_record bad = rec(1);

	ck_assert_ptr_nonnull(s);
	t = spool_open(dir, "eu1", 8, err, sizeof(err));
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, "is in use by another process") != NULL, "%s", err);
	bad.at_ms = 0;
	ck_assert_int_eq(spool_put(s, &bad, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "outside 2000-2099") != NULL, "%s", err);
	ck_assert_int_eq(size_of(), 0);
	ck_assert_uint_eq(spool_pending(s), 0);
	spool_close(s);
	snprintf(other, sizeof(other), "%s/none", dir);
	ck_assert_ptr_null(spool_open(other, "eu1", 8, err, sizeof(err)));
	ck_assert_msg(strstr(err, "spool_dir ") != NULL && strstr(err, "No such file") != NULL,
	              "%s", err);
}
END_TEST

static Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_through_a_small_window);
	tcase_add_test(tc, test_reopen_keeps_what_was_not_popped);
	tcase_add_test(tc, test_torn_and_damaged_lines);
	tcase_add_test(tc, test_many_damaged_lines);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(spool_suite());
}
