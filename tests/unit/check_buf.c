/* SPDX-License-Identifier: MIT */
/* common/buf.c: growth across many appends, exact content, the empty take. */
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "tests/unit/check_main.h"

START_TEST(test_grows_and_keeps_every_byte)
{
	struct pf_buf b = {0};
	char *text;
	size_t len;

	for (int i = 0; i < 10000; i++)
		pf_buf_printf(&b, "%05d,", i);
	pf_buf_append(&b, "end", 3);
	text = pf_buf_take(&b, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 10000 * 6 + 3);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert(memcmp(text, "00000,00001,", 12) == 0);
	ck_assert(memcmp(text + 9999 * 6, "09999,end", 9) == 0);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	free(text);
}
END_TEST

START_TEST(test_long_single_format)
{
	struct pf_buf b = {0};
	char big[5000], *text;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pf_buf_printf(&b, "<%s>", big);
	text = pf_buf_take(&b, NULL);
	ck_assert_uint_eq(strlen(text), 5001);
	ck_assert_int_eq(text[0], '<');
	ck_assert_int_eq(text[5000], '>');
	free(text);
}
END_TEST

START_TEST(test_empty_take_and_free)
{
	struct pf_buf b = {0};
	size_t len = 99;
	char *text = pf_buf_take(&b, &len);

	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "");
	ck_assert_uint_eq(len, 0);
	free(text);
	pf_buf_printf(&b, "x");
	pf_buf_free(&b);
	ck_assert_ptr_null(b.p);
	/* A failed buffer hands nothing over. */
	b.failed = true;
	ck_assert_ptr_null(pf_buf_take(&b, &len));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_grows_and_keeps_every_byte);
	tcase_add_test(tc, test_long_single_format);
	tcase_add_test(tc, test_empty_take_and_free);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
