/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/mpstate.c: the state file of a multipart upload as its
 * header describes it. The sha256 in the texts is FIPS 180-4's value for
 * "abc" (ba7816bf...), written out by hand, and the part lines are typed in
 * full, so a parser and a formatter that agree with each other but not
 * with the documented format fail.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/mpstate.h"
#include "tests/unit/check_main.h"

#define ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HEAD                                                                                       \
	"polkfura-mpu 1\nurl http://127.0.0.1:4568/b/chains/p/1-0a0b0c0d/snapshot.tar.zst\n"       \
	"upload 9f3c01\npart_size 5242880\n"

static struct mpstate_part parts[MPSTATE_PARTS_MAX];

static int parse(const char *text, struct mpstate *st)
{
	char err[128];

	memset(parts, 0, sizeof(parts));
	memset(st, 0, sizeof(*st));
	st->parts = parts;
	return mpstate_parse(text, strlen(text), st, err, sizeof(err));
}

START_TEST(header_and_parts)
{
	struct mpstate st;

	ck_assert_int_eq(parse(HEAD "part 2 5242880 " ABC " \"e2\"\n"
	                            "part 1 5242880 " ABC " \"e1\"\n"
	                            "part 1 100 " ABC " \"e1b\"\n",
	                       &st),
	                 0);
	ck_assert_str_eq(st.url, "http://127.0.0.1:4568/b/chains/p/1-0a0b0c0d/snapshot.tar.zst");
	ck_assert_str_eq(st.upload_id, "9f3c01");
	ck_assert_uint_eq(st.part_size, 5242880);
	ck_assert_uint_eq(st.n_have, 2);
	ck_assert(parts[1].have && parts[0].have && !parts[2].have);
	ck_assert_uint_eq(parts[1].size, 5242880);
	ck_assert_str_eq(parts[1].etag, "\"e2\"");
	/* The later line for part 1 wins. */
	ck_assert_uint_eq(parts[0].size, 100);
	ck_assert_str_eq(parts[0].etag, "\"e1b\"");
	ck_assert_uint_eq(parts[0].sha256[0], 0xba);
	ck_assert_uint_eq(parts[0].sha256[31], 0xad);
}
END_TEST

/* A kill in the middle of a write leaves a line with no newline: it was never acknowledged. */
START_TEST(cut_last_line_ignored)
{
	struct mpstate st;

	ck_assert_int_eq(parse(HEAD "part 1 5242880 " ABC " \"e1\"\npart 2 52428", &st), 0);
	ck_assert_uint_eq(st.n_have, 1);
	ck_assert(!parts[1].have);
}
END_TEST

START_TEST(malformed_refused)
{
	static const char *const bad[] = {
	    "polkfura-mpu 2\nurl u\nupload i\npart_size 1\n",
	    "url u\nupload i\npart_size 1\n",
	    HEAD "part 0 1 " ABC " \"e\"\n",
	    HEAD "part 10001 1 " ABC " \"e\"\n",
	    HEAD "part 1 1 " ABC "\n",
	    HEAD "part 1 1 " ABC " \"e x\"\n",
	    HEAD "part 1 -1 " ABC " \"e\"\n",
	    HEAD
	    "part 1 1 BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD \"e\"\n",
	    HEAD "part 1 1 ba7816 \"e\"\n",
	    HEAD "parts 1 1 " ABC " \"e\"\n",
	    "polkfura-mpu 1\nupload i\npart_size 1\n",
	    "polkfura-mpu 1\nurl u\nupload i\npart_size 0\n",
	    "polkfura-mpu 1\nurl u\nupload i\npart_size 99999999999999999999999\n",
	    "",
	};
	struct mpstate st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &st) == -1, "accepted case %zu", i);
}
END_TEST

/* What the writer writes is the documented text, and reads back as written. */
START_TEST(format_is_the_documented_text)
{
	struct mpstate st = {.url = "http://h/b/k", .upload_id = "u-1", .part_size = 67108864};
	struct mpstate_part pt = {.have = true, .size = 67108864, .etag = "\"abc\""};
	char text[512];
	long n, m;

	for (int i = 0; i < 32; i++)
		pt.sha256[i] = (uint8_t)strtoul((char[]){ABC[2 * i], ABC[2 * i + 1], 0}, NULL, 16);
	n = mpstate_header(&st, text, sizeof(text));
	ck_assert_int_gt(n, 0);
	m = mpstate_part_line(7, &pt, text + n, sizeof(text) - (size_t)n);
	ck_assert_int_gt(m, 0);
	ck_assert_str_eq(text, "polkfura-mpu 1\nurl http://h/b/k\nupload u-1\npart_size 67108864\n"
	                       "part 7 67108864 " ABC " \"abc\"\n");
	ck_assert_int_eq(mpstate_header(&st, text, 20), -1);
	ck_assert_int_eq(mpstate_part_line(7, &pt, text, 40), -1);
}
END_TEST

static Suite *mpstate_suite(void)
{
	Suite *s = suite_create("mpstate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, header_and_parts);
	tcase_add_test(tc, cut_last_line_ignored);
	tcase_add_test(tc, malformed_refused);
	tcase_add_test(tc, format_is_the_documented_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(mpstate_suite());
}
