/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/safepath.c against the rule written in its header and the
 * hostile names issue 13 lists (absolute, '..', and the ways tar and zip
 * exploits spell them). The table is in code, not in tests/unit/data/,
 * because half its names hold NUL, control bytes or bytes a TSV cannot.
 */
#include <string.h>

#include <check.h>

#include "ctl/snapshot/safepath.h"
#include "tests/unit/check_main.h"

struct sp_case {
	const char *name;
	size_t len; /* 0: strlen(name) */
	enum safepath_reason want;
};

static const struct sp_case cases[] = {
    {"a", 0, SAFEPATH_OK},
    {"db/full/000123.sst", 0, SAFEPATH_OK},
    {"chains/polkadot/db/CURRENT", 0, SAFEPATH_OK},
    {"..a/b..", 0, SAFEPATH_OK}, /* dots inside a name are a name */
    {".hidden/...", 0, SAFEPATH_OK},
    {"a b/c~d", 0, SAFEPATH_OK},
    {"", 0, SAFEPATH_EMPTY},
    {"/etc/passwd", 0, SAFEPATH_ABSOLUTE},
    {"/", 0, SAFEPATH_ABSOLUTE},
    {"//a", 0, SAFEPATH_ABSOLUTE},
    {"..", 0, SAFEPATH_DOTDOT},
    {"../x", 0, SAFEPATH_DOTDOT},
    {"a/../../x", 0, SAFEPATH_DOTDOT},
    {"a/..", 0, SAFEPATH_DOTDOT},
    {".", 0, SAFEPATH_DOT},
    {"./a", 0, SAFEPATH_DOT},
    {"a/./b", 0, SAFEPATH_DOT},
    {"a/.", 0, SAFEPATH_DOT},
    {"a//b", 0, SAFEPATH_EMPTY_COMPONENT},
    {"a/", 0, SAFEPATH_EMPTY_COMPONENT},
    {"a\\..\\..\\x", 0, SAFEPATH_BACKSLASH},
    {"..\\x", 0, SAFEPATH_BACKSLASH},
    {"a\0/../../x", 10, SAFEPATH_NUL},
    {"a\nb", 0, SAFEPATH_CONTROL},
    {"a\rb", 0, SAFEPATH_CONTROL},
    {"a\x1b[2Jb", 0, SAFEPATH_CONTROL},
    {"a\x7f", 0, SAFEPATH_CONTROL},
    {"caf\xc3\xa9", 0, SAFEPATH_NON_ASCII},
    {"\xc0\xae\xc0\xae/x", 0, SAFEPATH_NON_ASCII}, /* overlong UTF-8 ".." */
    /* The first reason from the start wins. */
    {"a/../b\\c", 0, SAFEPATH_DOTDOT},
    {"a\\b/../c", 0, SAFEPATH_BACKSLASH},
};

START_TEST(table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sp_case *c = &cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->name);

		ck_assert_msg(safepath_check(c->name, len) == c->want, "case %zu: got %d, want %d",
		              i, safepath_check(c->name, len), c->want);
	}
}
END_TEST

START_TEST(lengths)
{
	static char p[SAFEPATH_PATH_MAX + 2];

	/* One component of NAME_MAX bytes passes, one more byte does not. */
	memset(p, 'x', sizeof(p));
	ck_assert_int_eq(safepath_check(p, 255), SAFEPATH_OK);
	ck_assert_int_eq(safepath_check(p, 256), SAFEPATH_NAME_TOO_LONG);
	/* 4095 bytes of 255-byte components: 16 components less one byte. */
	for (size_t i = 255; i < SAFEPATH_PATH_MAX; i += 256)
		p[i] = '/';
	ck_assert_int_eq(safepath_check(p, 4095), SAFEPATH_OK);
	ck_assert_int_eq(safepath_check(p, 4096), SAFEPATH_TOO_LONG);
}
END_TEST

START_TEST(reason_texts)
{
	for (int r = 0; r < SAFEPATH_REASON_COUNT; r++) {
		const char *t = safepath_reason_text((enum safepath_reason)r);

		ck_assert_ptr_nonnull(t);
		ck_assert_msg(strlen(t) > 3, "reason %d has no text", r);
	}
	ck_assert_str_eq(safepath_reason_text(SAFEPATH_DOTDOT), "a '..' component");
	ck_assert_str_eq(safepath_reason_text(SAFEPATH_REASON_COUNT), "an unknown reason");
}
END_TEST

static Suite *safepath_suite(void)
{
	Suite *s = suite_create("safepath");
	TCase *tc = tcase_create("check");

	tcase_add_test(tc, table);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, reason_texts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(safepath_suite());
}
