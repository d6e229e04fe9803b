/* SPDX-License-Identifier: MIT */
/*
 * common/text.c: the sanitizer on every byte value, the chain-name rule at
 * its bounds, the \u0000 finder on escapes that look like it and are not.
 */
#include <string.h>

#include <check.h>

#include "common/text.h"
#include "tests/unit/check_main.h"

START_TEST(test_printable_every_byte)
{
	for (unsigned c = 0; c < 256; c++) {
		char src[1] = {(char)c}, dst[2];

		ck_assert_uint_eq(pf_printable(dst, sizeof(dst), src, 1, NULL), 1);
		/* Printable ASCII is 0x20 (space) up to 0x7e (~). */
		ck_assert_int_eq(dst[0], c >= 0x20 && c <= 0x7e ? (char)c : '?');
		ck_assert_int_eq(dst[1], '\0');
	}
}
END_TEST

START_TEST(test_printable_also_and_cut)
{
	char dst[8];

	ck_assert_uint_eq(pf_printable(dst, sizeof(dst), "a\"b\\c", 5, "\"\\"), 5);
	ck_assert_str_eq(dst, "a?b?c");
	/* Seven bytes fit with the NUL; the return value tells the copy was cut. */
	ck_assert_uint_eq(pf_printable(dst, sizeof(dst), "0123456789", 10, NULL), 7);
	ck_assert_str_eq(dst, "0123456");
	/* A NUL inside the source is masked, not a terminator. */
	ck_assert_uint_eq(pf_printable(dst, sizeof(dst), "a\0b", 3, NULL), 3);
	ck_assert_str_eq(dst, "a?b");
	ck_assert_uint_eq(pf_printable(dst, 1, "abc", 3, NULL), 0);
	ck_assert_str_eq(dst, "");
}
END_TEST

START_TEST(test_chain_names)
{
	static const char *const good[] = {"polkadot",    "kusama",
	                                   "westend",     "a",
	                                   "asset-hub-2", "0123456789abcdefghijklmnopqrstuv"};
	static const char *const bad[] = {"",
	                                  "Polkadot",
	                                  "polka_dot",
	                                  "polka.dot",
	                                  "kusama ",
	                                  "é",
	                                  "0123456789abcdefghijklmnopqrstuvw"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(pf_chain_name_is_valid(good[i], strlen(good[i])), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!pf_chain_name_is_valid(bad[i], strlen(bad[i])), "%s", bad[i]);
	/* Length is what counts, not a NUL. */
	ck_assert(!pf_chain_name_is_valid("ab\0c", 4));
	ck_assert(pf_chain_name_is_valid("ab\0c", 2));
}
END_TEST

START_TEST(test_json_nul_escape)
{
	static const struct {
		const char *json;
		long at; /* -1: none */
	} cases[] = {
	    {"{\"a\":\"x\\u0000y\"}", 7},
	    {"\"\\u0000\"", 1},
	    {"\"\\\\u0000\"", -1},
	    {"\"\\u00001\"", 1},
	    {"\"\\u0001\"", -1},
	    {"\"\\U0000\"", -1},
	    {"\"\\u000\"", -1},
	    {"\"\\\\\\u0000\"", 3},
	    {"", -1},
	    {"\\", -1},
	    {"\"\\u0000", 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].json);
		size_t at = pf_json_nul_escape_at(cases[i].json, len);

		ck_assert_msg(at == (cases[i].at < 0 ? len : (size_t)cases[i].at), "%s: %zu",
		              cases[i].json, at);
	}
}
END_TEST

START_TEST(test_controls_and_errf)
{
	char err[8];

	ck_assert(pf_text_has_no_controls("disk swap, rack 4", 17));
	ck_assert(!pf_text_has_no_controls("a\nb", 3));
	ck_assert(!pf_text_has_no_controls("a\rb", 3));
	ck_assert(!pf_text_has_no_controls("a\x7f", 2));
	ck_assert(!pf_text_has_no_controls("a\0b", 3));
	ck_assert(pf_text_has_no_controls("\xc3\xa9", 2)); /* UTF-8 is text */
	pf_errf(err, sizeof(err), "%s %d", "abcdef", 42);
	ck_assert_str_eq(err, "abcdef ");
	pf_errf(NULL, 0, "%s", "ignored");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_printable_every_byte);
	tcase_add_test(tc, test_printable_also_and_cut);
	tcase_add_test(tc, test_chain_names);
	tcase_add_test(tc, test_json_nul_escape);
	tcase_add_test(tc, test_controls_and_errf);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
