/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/walk.c on trees made in a temporary directory: byte order at
 * every level, the built-in and configured exclusions, the refusals (a
 * symlink, a fifo, a name swapped for a symlink during the walk, a file that
 * grows while read, a path over the limit) and the callback's own error.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/snapshot/walk.h"
#include "tests/unit/check_main.h"

static char dir[256];
static char base[300];

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/pf-check-walk-XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/base", dir);
	ck_assert_int_eq(mkdir(base, 0755), 0);
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *rel, const char *content)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	/* mkdir -p of the parents */
	for (char *s = strchr(path + strlen(base) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (content == NULL) {
		ck_assert_int_eq(mkdir(path, 0750), 0);
		return;
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

struct rec {
	char log[4096];
	size_t len;
	const char *grow;   /* a file to append to while it is read */
	const char *swap;   /* after the first file: rename this dir, a symlink in its place */
	const char *refuse; /* a path the callback fails on */
	bool swapped;
};

static int record(void *ctx, const struct walk_entry *e, char *err, size_t errlen)
{
	struct rec *r = ctx;
	char buf[64] = "";
	ssize_t n = 0;

	if (!e->is_dir) {
		n = read(e->fd, buf, sizeof(buf) - 1);
		ck_assert_int_ge(n, 0);
		buf[n] = '\0';
		ck_assert_uint_eq((uint64_t)n, e->size);
	}
	if (r->len < sizeof(r->log))
		r->len +=
		    (size_t)snprintf(r->log + r->len, sizeof(r->log) - r->len, "%s %s %o %s\n",
		                     e->is_dir ? "d" : "f", e->rel, e->mode, buf);
	if (r->grow != NULL && strcmp(e->rel, r->grow) == 0) {
		char path[600];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", base, e->rel);
		fd = open(path, O_WRONLY | O_APPEND);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(write(fd, "more", 4), 4);
		close(fd);
	}
	if (r->swap != NULL && !e->is_dir && !r->swapped) {
		char from[600], to[600];

		snprintf(from, sizeof(from), "%s/%s", base, r->swap);
		snprintf(to, sizeof(to), "%s/moved", dir);
		ck_assert_int_eq(rename(from, to), 0);
		ck_assert_int_eq(symlink(to, from), 0);
		r->swapped = true;
	}
	if (r->refuse != NULL && strcmp(e->rel, r->refuse) == 0) {
		snprintf(err, errlen, "%s: refused by the test", e->rel);
		return -1;
	}
	return 0;
}

static void node_tree(void)
{
	put("chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n");
	put("chains/polkadot/db/full/000001.sst", "sst");
	put("chains/polkadot/db/full/LOG", "log");
	put("chains/polkadot/network/secret_ed25519", "SECRET");
	put("chains/polkadot/keystore/6772616e01", "KEY");
	put("b", "b");
	put("a", "a");
	put("C", "C");
	put("empty", NULL);
}

START_TEST(test_order_and_excludes)
{
	static const char want[] = "f C 644 C\n"
	                           "f a 644 a\n"
	                           "f b 644 b\n"
	                           "d chains 755 \n"
	                           "d chains/polkadot 755 \n"
	                           "d chains/polkadot/db 755 \n"
	                           "d chains/polkadot/db/full 755 \n"
	                           "f chains/polkadot/db/full/000001.sst 644 sst\n"
	                           "f chains/polkadot/db/full/CURRENT 644 MANIFEST-000002\n\n"
	                           "d chains/polkadot/network 755 \n"
	                           "d empty 750 \n";
	const char *pats[] = {"chains/*/db/full/LOG*"};
	struct exclude_set ex = {pats, 1};
	struct walk_stats st;
	struct rec r = {0};
	char err[256] = "";

	umask(022);
	node_tree();
	ck_assert_msg(walk_tree(base, &ex, record, &r, &st, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(r.log, want);
	ck_assert_uint_eq(st.files, 5);
	ck_assert_uint_eq(st.dirs, 6);
	ck_assert_uint_eq(st.bytes, 1 + 1 + 1 + 3 + 16);
	ck_assert_uint_eq(st.excluded[EXCLUDE_NODE_KEY], 1);
	ck_assert_uint_eq(st.excluded[EXCLUDE_KEYSTORE], 1);
	ck_assert_uint_eq(st.excluded[EXCLUDE_PATTERN], 1);
}
END_TEST

static void expect_failure(struct rec *r, const struct exclude_set *ex, const char *msg)
{
	static char err[EXCLUDE_PATH_MAX + 256]; /* the path comes first, whole */

	err[0] = '\0';

	ck_assert_int_eq(walk_tree(base, ex, record, r, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, msg) != NULL, "error '%s' lacks '%s'", err, msg);
}

START_TEST(test_symlink_refused)
{
	struct rec r = {0};
	const char *pats[] = {"link"};
	struct exclude_set ex = {pats, 1};
	char err[256];

	put("a", "a");
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/link", base);
		ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	}
	expect_failure(&r, NULL, "link: is a symlink");
	/* An excluded symlink is simply left out. */
	memset(&r, 0, sizeof(r));
	ck_assert_msg(walk_tree(base, &ex, record, &r, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(r.log, "f a 644 a\n");
}
END_TEST

/*
 * A name the readers refuse (safepath.h: non-ASCII, a backslash) fails the
 * walk before the callback sees it; excluded, it is left out.
 */
START_TEST(test_unsafe_name_refused)
{
	struct rec r = {0};
	const char *pats[] = {"db/caf*"};
	struct exclude_set ex = {pats, 1};
	char err[256];

	put("db/ok", "x");
	put("db/caf\xc3\xa9", "y");
	expect_failure(&r, NULL, "db/caf\xc3\xa9: a byte outside ASCII");
	/* In byte order it comes before ok, and the walk stops there. */
	ck_assert_str_eq(r.log, "d db 755 \n");
	memset(&r, 0, sizeof(r));
	ck_assert_msg(walk_tree(base, &ex, record, &r, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(r.log, "d db 755 \nf db/ok 644 x\n");
}
END_TEST

START_TEST(test_fifo_refused)
{
	struct rec r = {0};
	char p[600];

	snprintf(p, sizeof(p), "%s/fifo", base);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	expect_failure(&r, NULL, "fifo: not a regular file or directory");
}
END_TEST

START_TEST(test_swapped_for_symlink)
{
	struct rec r = {.swap = "b"};

	put("a", "a");
	put("b/inner", "inner");
	expect_failure(&r, NULL, "b: is a symlink");
	ck_assert_ptr_null(strstr(r.log, "inner"));
}
END_TEST

START_TEST(test_grows_while_read)
{
	struct rec r = {.grow = "chains/polkadot/db/full/CURRENT"};

	node_tree();
	expect_failure(&r, NULL, "chains/polkadot/db/full/CURRENT: changed while read");
}
END_TEST

START_TEST(test_callback_error)
{
	struct rec r = {.refuse = "a"};

	node_tree();
	expect_failure(&r, NULL, "a: refused by the test");
	ck_assert_ptr_null(strstr(r.log, "f b"));
}
END_TEST

START_TEST(test_path_too_long)
{
	char name[201];
	struct rec r = {0};
	int fd = open(base, O_RDONLY | O_DIRECTORY);

	/* 21 levels of 200 bytes: past EXCLUDE_PATH_MAX, made relative to a dirfd. */
	memset(name, 'n', 200);
	name[200] = '\0';
	for (int i = 0; i < 21; i++) {
		int next;

		ck_assert_int_eq(mkdirat(fd, name, 0755), 0);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		ck_assert_int_ne(next, -1);
		close(fd);
		fd = next;
	}
	close(fd);
	expect_failure(&r, NULL, "path longer than 4095 bytes");
}
END_TEST

START_TEST(test_missing_base)
{
	char err[256] = "";

	ck_assert_int_eq(
	    walk_tree("/nonexistent/pf-base", NULL, record, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/pf-base: No such file"));
}
END_TEST

static Suite *walk_suite(void)
{
	Suite *s = suite_create("walk");
	TCase *tc = tcase_create("tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_and_excludes);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_unsafe_name_refused);
	tcase_add_test(tc, test_fifo_refused);
	tcase_add_test(tc, test_swapped_for_symlink);
	tcase_add_test(tc, test_grows_while_read);
	tcase_add_test(tc, test_callback_error);
	tcase_add_test(tc, test_path_too_long);
	tcase_add_test(tc, test_missing_base);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(walk_suite());
}
