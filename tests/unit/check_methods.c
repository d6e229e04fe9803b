/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of spoa/methods.c: the TSV grammar (one test per error reason),
 * lookups, CRLF files, file loading errors, and the shipped table
 * haproxy/methods.tsv as the agent loads it, against the reference table
 * tests/data/methods-reference.tsv (tests/unit/methods_ref.h): every method
 * and class, both ways. Run from the repository root.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "spoa/methods.h"
#include "spoa/rpc_class.h"
#include "tests/unit/methods_ref.h"

#define HDR "method\tclass\tnote\n"

static char errbuf[512];

static struct methods *parse_str(const char *s)
{
	errbuf[0] = '\0';
	return methods_parse(s, strlen(s), errbuf, sizeof(errbuf));
}

/* Asserts <text> is refused with exactly the message <want>. */
static void expect_bad(const char *text, size_t len, const char *want)
{
	struct methods *m;

	errbuf[0] = '\0';
	m = methods_parse(text, len, errbuf, sizeof(errbuf));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(errbuf, want);
}

static void expect_bad_str(const char *text, const char *want)
{
	expect_bad(text, strlen(text), want);
}

static bool lookup_str(const struct methods *m, const char *name, enum rpc_class *cls)
{
	return methods_lookup(m, name, strlen(name), cls);
}

START_TEST(test_good_small)
{
	struct methods *m = parse_str(HDR "system_health\tread\tcheap\n"
	                                  "state_call\theavy\t\n"
	                                  "author_insertKey\tunsafe\n"
	                                  "author_submitExtrinsic\tsubmit\tnote\twith\ttabs\n"
	                                  "chain_subscribeNewHeads\tsubscribe\tx");
	enum rpc_class cls = RPC_CLASS_COUNT;

	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert_uint_eq(methods_count(m), 5);
	ck_assert(lookup_str(m, "system_health", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_READ);
	ck_assert(lookup_str(m, "state_call", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_HEAVY);
	ck_assert(lookup_str(m, "author_insertKey", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_UNSAFE);
	ck_assert(lookup_str(m, "author_submitExtrinsic", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_SUBMIT);
	ck_assert(lookup_str(m, "chain_subscribeNewHeads", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_SUBSCRIBE);
	methods_free(m);
}
END_TEST

START_TEST(test_lookup_misses)
{
	struct methods *m = parse_str(HDR "system_health\tread\t\nauthor_insertKey\tunsafe\t\n");
	enum rpc_class cls = RPC_CLASS_COUNT;

	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert(!lookup_str(m, "System_health", &cls));
	ck_assert(!lookup_str(m, "system_healt", &cls));
	ck_assert(!lookup_str(m, "system_healthy", &cls));
	ck_assert(!lookup_str(m, " system_health", &cls));
	ck_assert(!lookup_str(m, "", &cls));
	/* An embedded NUL is part of the name: "author_insertKey\0" is not author_insertKey. */
	ck_assert(!methods_lookup(m, "author_insertKey\0", 17, &cls));
	ck_assert(methods_lookup(m, "author_insertKeyXX", 16, &cls));
	ck_assert_int_eq(cls, RPC_CLASS_UNSAFE);
	ck_assert_int_eq(methods_lookup(NULL, "system_health", 13, &cls), false);
	ck_assert_uint_eq(methods_count(NULL), 0);
	methods_free(m);
	methods_free(NULL);
}
END_TEST

START_TEST(test_crlf)
{
	struct methods *m = parse_str("method\tclass\tnote\r\n"
	                              "system_health\tread\tcheap\r\n"
	                              "state_call\theavy\r\n"
	                              "author_insertKey\tunsafe\t\r\n");
	enum rpc_class cls = RPC_CLASS_COUNT;

	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert_uint_eq(methods_count(m), 3);
	ck_assert(lookup_str(m, "state_call", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_HEAVY);
	ck_assert(!lookup_str(m, "state_call\r", &cls));
	methods_free(m);
}
END_TEST

START_TEST(test_many_rows)
{
	/* Grows past several power-of-two capacities and probes long chains. */
	size_t cap = 2000 * 40 + 64, len, i;
	char *text = malloc(cap), name[32];
	struct methods *m;
	enum rpc_class cls;

	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, HDR);
	for (i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, cap - len, "m_%zu\t%s\t\n", i,
		                        i % 2 ? "heavy" : "read");
	m = methods_parse(text, len, errbuf, sizeof(errbuf));
	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert_uint_eq(methods_count(m), 2000);
	for (i = 0; i < 2000; i++) {
		(void)snprintf(name, sizeof(name), "m_%zu", i);
		ck_assert(lookup_str(m, name, &cls));
		ck_assert_int_eq(cls, i % 2 ? RPC_CLASS_HEAVY : RPC_CLASS_READ);
		(void)snprintf(name, sizeof(name), "n_%zu", i);
		ck_assert(!lookup_str(m, name, &cls));
	}
	methods_free(m);
	free(text);
}
END_TEST

START_TEST(test_name_lengths)
{
	char text[512], name[RPC_METHOD_MAX + 2];
	struct methods *m;
	enum rpc_class cls;

	memset(name, 'a', sizeof(name));
	(void)snprintf(text, sizeof(text), HDR "%.*s\tread\n", RPC_METHOD_MAX, name);
	m = parse_str(text);
	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert(methods_lookup(m, name, RPC_METHOD_MAX, &cls));
	ck_assert(!methods_lookup(m, name, RPC_METHOD_MAX + 1, &cls));
	ck_assert(!methods_lookup(m, name, RPC_METHOD_MAX - 1, &cls));
	methods_free(m);

	(void)snprintf(text, sizeof(text), HDR "%.*s\tread\n", RPC_METHOD_MAX + 1, name);
	expect_bad_str(text, "line 2: method longer than 128 bytes");
}
END_TEST

/* ---- one test per error reason ------------------------------------------ */

START_TEST(test_bad_empty_text)
{
	expect_bad("", 0, "line 1: empty file, missing header");
	expect_bad(NULL, 0, "line 1: empty file, missing header");
}
END_TEST

START_TEST(test_bad_header)
{
	const char *want = "line 1: bad header (want method<TAB>class<TAB>note)";

	expect_bad_str("system_health\tread\t\n", want);
	expect_bad_str("method\tclass\n", want);
	expect_bad_str("method\tclass\tnote\t\n", want);
	expect_bad_str("Method\tClass\tNote\n", want);
	expect_bad_str("\xef\xbb\xbfmethod\tclass\tnote\n", want);
	expect_bad_str("method class note\n", want);
}
END_TEST

START_TEST(test_bad_no_rows)
{
	expect_bad_str(HDR, "line 2: no method rows");
	expect_bad_str("method\tclass\tnote", "line 2: no method rows");
}
END_TEST

START_TEST(test_bad_missing_column)
{
	expect_bad_str(HDR "system_health\tread\nstate_call\n", "line 3: missing class column");
	expect_bad_str(HDR "system_health read\n", "line 2: missing class column");
}
END_TEST

START_TEST(test_bad_unknown_class)
{
	expect_bad_str(HDR "system_health\tRead\t\n",
	               "line 2: unknown class \"Read\" (read, heavy, submit, subscribe, unsafe)");
	expect_bad_str(
	    HDR "system_health\tunknown\n",
	    "line 2: unknown class \"unknown\" (read, heavy, submit, subscribe, unsafe)");
	expect_bad_str(
	    HDR "system_health\tinvalid\n",
	    "line 2: unknown class \"invalid\" (read, heavy, submit, subscribe, unsafe)");
	expect_bad_str(HDR "system_health\t\tnote\n",
	               "line 2: unknown class \"\" (read, heavy, submit, subscribe, unsafe)");
	expect_bad_str(HDR "system_health\tread \n",
	               "line 2: unknown class \"read \" (read, heavy, submit, subscribe, unsafe)");
}
END_TEST

START_TEST(test_bad_empty_method)
{
	expect_bad_str(HDR "\tread\t\n", "line 2: empty method");
}
END_TEST

START_TEST(test_bad_method_bytes)
{
	const char *want = "line 2: space or control byte in method";

	expect_bad_str(HDR " system_health\tread\n", want);
	expect_bad_str(HDR "system health\tread\n", want);
	expect_bad_str(HDR "system_health\x7f\tread\n", want);
	expect_bad_str(HDR "system\x01health\tread\n", want);
}
END_TEST

START_TEST(test_bad_duplicate)
{
	expect_bad_str(HDR "a_b\tread\nsystem_health\tread\t\nsystem_health\tunsafe\t\n",
	               "line 4: duplicate method system_health (first on line 3)");
	/* Same class makes no difference. */
	expect_bad_str(HDR "x\tread\nx\tread\n", "line 3: duplicate method x (first on line 2)");
}
END_TEST

START_TEST(test_bad_nul)
{
	static const char text[] = HDR "system_\0health\tread\n";

	expect_bad(text, sizeof(text) - 1, "line 2: NUL byte");
	expect_bad("method\tclass\tnote\0\n", 19, "line 1: NUL byte");
}
END_TEST

START_TEST(test_bad_stray_cr)
{
	expect_bad_str(HDR "system_health\tread\rstate_call\theavy\n",
	               "line 2: CR not followed by LF");
	expect_bad_str(HDR "system_health\tread\r\r\n", "line 2: CR not followed by LF");
	expect_bad_str("method\tclass\tnote\rsystem_health\tread\n",
	               "line 1: CR not followed by LF");
}
END_TEST

START_TEST(test_bad_empty_line)
{
	expect_bad_str(HDR "system_health\tread\n\nstate_call\theavy\n", "line 3: empty line");
	expect_bad_str(HDR "system_health\tread\n\r\n", "line 3: empty line");
	expect_bad_str(HDR "system_health\tread\n\n", "line 3: empty line");
}
END_TEST

START_TEST(test_bad_line_too_long)
{
	size_t n = strlen(HDR) + 4097 + 1, i;
	char *text = malloc(n + 1);

	ck_assert_ptr_nonnull(text);
	memcpy(text, HDR, strlen(HDR));
	i = strlen(HDR);
	memcpy(text + i, "long\tread\t", 10);
	memset(text + i + 10, 'x', 4097 - 10);
	text[n - 1] = '\n';
	expect_bad(text, n, "line 2: longer than 4096 bytes");
	/* 4096 bytes plus CRLF is fine. */
	text[n - 2] = '\r';
	text[n - 1] = '\n';
	errbuf[0] = '\0';
	{
		struct methods *m = methods_parse(text, n, errbuf, sizeof(errbuf));

		ck_assert_msg(m != NULL, "%s", errbuf);
		methods_free(m);
	}
	free(text);
}
END_TEST

START_TEST(test_bad_no_errbuf)
{
	/* A NULL or empty error buffer is allowed. */
	ck_assert_ptr_null(methods_parse("x", 1, NULL, 0));
	errbuf[0] = 'Z';
	ck_assert_ptr_null(methods_parse("x", 1, errbuf, 0));
	ck_assert_int_eq(errbuf[0], 'Z');
	/* A short buffer truncates but stays terminated. */
	ck_assert_ptr_null(methods_parse("x", 1, errbuf, 8));
	ck_assert_str_eq(errbuf, "line 1:");
}
END_TEST

/* ---- files ---------------------------------------------------------------- */

/*
 * The shipped table, loaded by the code under test, gives every reference
 * method the reference's class and holds nothing else. The expected classes
 * come from tests/data/methods-reference.tsv, never from the shipped rows.
 */
START_TEST(test_shipped_table)
{
	size_t counts[RPC_CLASS_COUNT] = {0};
	struct methods *m = methods_load_file(METHODS_SHIPPED_PATH, errbuf, sizeof(errbuf));
	struct ref_table ref;

	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert_msg(ref_table_read(METHODS_REF_PATH, &ref, errbuf, sizeof(errbuf)), "%s", errbuf);
	for (size_t i = 0; i < ref.n; i++) {
		const struct ref_method *r = &ref.rows[i];
		enum rpc_class got;

		ck_assert_msg(methods_lookup(m, r->name, strlen(r->name), &got),
		              "%s: in the reference, not in %s", r->name, METHODS_SHIPPED_PATH);
		ck_assert_msg(got == r->cls, "%s: loaded from %s it is %s, the reference says %s",
		              r->name, METHODS_SHIPPED_PATH, rpc_class_name(got),
		              rpc_class_name(r->cls));
		counts[r->cls]++;
	}
	/* Same count and every reference name found: no extra row either. */
	ck_assert_uint_eq(methods_count(m), ref.n);
	/* The reference itself, as tests/data/README.md describes it. */
	ck_assert_uint_eq(ref.n, 179);
	ck_assert_uint_eq(counts[RPC_CLASS_READ], 49);
	ck_assert_uint_eq(counts[RPC_CLASS_HEAVY], 42);
	ck_assert_uint_eq(counts[RPC_CLASS_SUBMIT], 12);
	ck_assert_uint_eq(counts[RPC_CLASS_SUBSCRIBE], 51);
	ck_assert_uint_eq(counts[RPC_CLASS_UNSAFE], 25);
	ref_table_free(&ref);
	methods_free(m);
}
END_TEST

/*
 * The shipped file read as plain text agrees with the reference row by row,
 * so a row the loader would accept but misread still shows up here.
 */
START_TEST(test_shipped_file_matches_reference)
{
	struct ref_table ref, shipped;

	ck_assert_msg(ref_table_read(METHODS_REF_PATH, &ref, errbuf, sizeof(errbuf)), "%s", errbuf);
	ck_assert_msg(ref_table_read(METHODS_SHIPPED_PATH, &shipped, errbuf, sizeof(errbuf)), "%s",
	              errbuf);
	for (size_t i = 0; i < shipped.n; i++) {
		const struct ref_method *s = &shipped.rows[i];
		const struct ref_method *r = ref_table_find(&ref, s->name, strlen(s->name));

		ck_assert_msg(r != NULL, "%s: in %s, not in the reference", s->name,
		              METHODS_SHIPPED_PATH);
		ck_assert_msg(r->cls == s->cls, "%s: %s says %s, the reference %s", s->name,
		              METHODS_SHIPPED_PATH, rpc_class_name(s->cls), rpc_class_name(r->cls));
	}
	for (size_t i = 0; i < ref.n; i++)
		ck_assert_msg(ref_table_find(&shipped, ref.rows[i].name, strlen(ref.rows[i].name)),
		              "%s: in the reference, not in %s", ref.rows[i].name,
		              METHODS_SHIPPED_PATH);
	ck_assert_uint_eq(shipped.n, ref.n);
	ref_table_free(&shipped);
	ref_table_free(&ref);
}
END_TEST

/* Writes <len> bytes to a new temporary file; returns its path (static buffer). */
static const char *write_tmp(const void *data, size_t len)
{
	static char path[64];
	int fd;

	(void)snprintf(path, sizeof(path), "/tmp/check_methods.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

START_TEST(test_load_errors)
{
	char want[256];
	const char *path;
	struct methods *m;
	char *big;

	m = methods_load_file("tests/unit/data/no-such-file.tsv", errbuf, sizeof(errbuf));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(errbuf, "tests/unit/data/no-such-file.tsv: No such file or directory");

	m = methods_load_file("tests/unit/data", errbuf, sizeof(errbuf));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(errbuf, "tests/unit/data: not a regular file");

	path = write_tmp(HDR "system_health\tbogus\n", strlen(HDR) + 21);
	m = methods_load_file(path, errbuf, sizeof(errbuf));
	ck_assert_ptr_null(m);
	(void)snprintf(
	    want, sizeof(want),
	    "%s: line 2: unknown class \"bogus\" (read, heavy, submit, subscribe, unsafe)", path);
	ck_assert_str_eq(errbuf, want);
	ck_assert_int_eq(unlink(path), 0);

	big = calloc(1, 4 * 1024 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	path = write_tmp(big, 4 * 1024 * 1024 + 1);
	m = methods_load_file(path, errbuf, sizeof(errbuf));
	ck_assert_ptr_null(m);
	(void)snprintf(want, sizeof(want), "%s: larger than 4194304 bytes", path);
	ck_assert_str_eq(errbuf, want);
	ck_assert_int_eq(unlink(path), 0);
	free(big);
}
END_TEST

START_TEST(test_load_crlf_file)
{
	static const char text[] = "method\tclass\tnote\r\nsystem_health\tread\tx\r\n";
	const char *path = write_tmp(text, sizeof(text) - 1);
	struct methods *m = methods_load_file(path, errbuf, sizeof(errbuf));
	enum rpc_class cls;

	ck_assert_msg(m != NULL, "%s", errbuf);
	ck_assert(lookup_str(m, "system_health", &cls));
	ck_assert_int_eq(cls, RPC_CLASS_READ);
	methods_free(m);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

static Suite *methods_suite(void)
{
	Suite *s = suite_create("methods");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_good_small);
	tcase_add_test(tc, test_lookup_misses);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_many_rows);
	tcase_add_test(tc, test_name_lengths);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_bad_empty_text);
	tcase_add_test(tc, test_bad_header);
	tcase_add_test(tc, test_bad_no_rows);
	tcase_add_test(tc, test_bad_missing_column);
	tcase_add_test(tc, test_bad_unknown_class);
	tcase_add_test(tc, test_bad_empty_method);
	tcase_add_test(tc, test_bad_method_bytes);
	tcase_add_test(tc, test_bad_duplicate);
	tcase_add_test(tc, test_bad_nul);
	tcase_add_test(tc, test_bad_stray_cr);
	tcase_add_test(tc, test_bad_empty_line);
	tcase_add_test(tc, test_bad_line_too_long);
	tcase_add_test(tc, test_bad_no_errbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_shipped_table);
	tcase_add_test(tc, test_shipped_file_matches_reference);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_load_crlf_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(methods_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
