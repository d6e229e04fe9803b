/* SPDX-License-Identifier: MIT */
/* common/file.c: exact content, the limit at its edge, and the named failures. */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/file.h"
#include "tests/unit/check_main.h"

static char dir[] = "/tmp/pf-check-file-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_bytes(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ne(fputc('a' + (int)(i % 26), f), EOF);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_limit_edges)
{
	char path[256], err[512];
	size_t len = 0;
	char *buf;

	snprintf(path, sizeof(path), "%s/f", dir);
	write_bytes(path, 1000);
	buf = pf_read_file(path, 1000, &len, err, sizeof(err));
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 1000);
	ck_assert_int_eq(buf[999], 'a' + 999 % 26);
	ck_assert_int_eq(buf[1000], '\0');
	free(buf);
	/* One byte over: refused by name, not cut. */
	buf = pf_read_file(path, 999, &len, err, sizeof(err));
	ck_assert_ptr_null(buf);
	ck_assert_ptr_nonnull(strstr(err, "larger than 999 bytes"));
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

START_TEST(test_failures_named)
{
	char path[256], err[512];
	size_t len;

	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	ck_assert_ptr_null(pf_read_file(path, 10, &len, err, sizeof(err)));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_ptr_null(pf_read_file(dir, 10, &len, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_bytes(path, 0);
	{
		char *buf = pf_read_file(path, 10, &len, err, sizeof(err));

		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(len, 0);
		free(buf);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limit_edges);
	tcase_add_test(tc, test_failures_named);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
