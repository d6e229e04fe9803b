/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/destdir.c in a real temporary DEST: files land where their
 * names say, a partial copy resumes at its size, and the hostile cases of
 * issue 13 (absolute, '..', a symlink planted in DEST pointing outside, a
 * FIFO as the partial copy, a file where a directory should be) are refused
 * with nothing written outside DEST: the outside directory is listed and
 * its one file read back after each case.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/snapshot/destdir.h"
#include "tests/unit/check_main.h"

static char root[512], dest[600], outside[600], err[512];

static void mk_tmp(void)
{
	const char *tmp = getenv("TMPDIR");

	(void)snprintf(root, sizeof(root), "%s/pf-destdir-XXXXXX", tmp != NULL ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(root));
	(void)snprintf(dest, sizeof(dest), "%s/dest", root);
	(void)snprintf(outside, sizeof(outside), "%s/outside", root);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
}

static void rm_tree(void)
{
	char cmd[700];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* What <path> holds, or "" when it cannot be read; for lstat-level checks use is_link. */
static const char *slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	ssize_t n;

	buf[0] = '\0';
	if (fd == -1)
		return "";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void at(char *out, size_t cap, const char *base, const char *rel)
{
	(void)snprintf(out, cap, "%s/%s", base, rel);
}

static int fetch(struct destdir *d, const char *rel, const char *data)
{
	off_t have = -1;
	int fd = destdir_open_part(d, rel, strlen(rel), &have, err, sizeof(err));

	if (fd == -1)
		return -1;
	ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	return destdir_commit(d, rel, strlen(rel), fd, err, sizeof(err));
}

START_TEST(writes_and_resumes)
{
	struct destdir *d;
	char p[700];
	off_t have = -1;
	int fd;

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_msg(fetch(d, "db/full/000001.sst", "sst") == 0, "%s", err);
	at(p, sizeof(p), dest, "db/full/000001.sst");
	ck_assert_str_eq(slurp(p), "sst");
	ck_assert_int_eq(count_entries(dest), 1); /* db/ */
	/* Interrupted after 5 bytes, resumed at 5. */
	fd = destdir_open_part(d, "CURRENT", 7, &have, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(have, 0);
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	close(fd);
	at(p, sizeof(p), dest, "CURRENT");
	ck_assert_int_eq(access(p, F_OK), -1); /* not in place before it is committed */
	fd = destdir_open_part(d, "CURRENT", 7, &have, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(have, 5);
	ck_assert_int_eq(write(fd, " world", 6), 6);
	ck_assert_msg(destdir_commit(d, "CURRENT", 7, fd, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(slurp(p), "hello world");
	at(p, sizeof(p), dest, "CURRENT" DESTDIR_PART_SUFFIX);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_eq(count_entries(dest), 2);
	destdir_free(d);
	rm_tree();
}
END_TEST

START_TEST(hostile_names)
{
	static const char *const bad[] = {
	    "/etc/x", "../x", "a/../../x", "", "a//x", "./x", "x" DESTDIR_PART_SUFFIX,
	};
	struct destdir *d;
	char p[700];

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(fetch(d, bad[i], "x") == -1, "'%s' accepted", bad[i]);
		ck_assert_msg(strncmp(err, bad[i], strlen(bad[i])) == 0, "'%s': error '%s'", bad[i],
		              err);
	}
	ck_assert_int_eq(count_entries(dest), 0);
	ck_assert_int_eq(count_entries(outside), 0);
	at(p, sizeof(p), root, "x");
	ck_assert_int_eq(access(p, F_OK), -1);
	destdir_free(d);
	rm_tree();
}
END_TEST

START_TEST(symlink_escapes)
{
	struct destdir *d;
	char p[700], q[700];

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	at(q, sizeof(q), outside, "keep");
	ck_assert_int_eq(close(open(q, O_WRONLY | O_CREAT, 0600)), 0);
	/* DEST/a -> outside: an entry a/b must not land in outside/b. */
	at(p, sizeof(p), dest, "a");
	ck_assert_int_eq(symlink(outside, p), 0);
	ck_assert_int_eq(fetch(d, "a/b", "evil"), -1);
	ck_assert_msg(strstr(err, "a/b: a is a symbolic link") != NULL, "%s", err);
	ck_assert_int_eq(fetch(d, "a/c/d", "evil"), -1);
	/* DEST/p.pf-part -> outside/keep: the partial copy must not be opened through it. */
	at(p, sizeof(p), dest, "p" DESTDIR_PART_SUFFIX);
	ck_assert_int_eq(symlink(q, p), 0);
	ck_assert_int_eq(fetch(d, "p", "evil"), -1);
	ck_assert_msg(strstr(err, "symbolic link") != NULL, "%s", err);
	/* DEST/f -> outside/keep: committing f replaces the link, never writes through it. */
	at(p, sizeof(p), dest, "f");
	ck_assert_int_eq(symlink(q, p), 0);
	ck_assert_msg(fetch(d, "f", "mine") == 0, "%s", err);
	ck_assert_str_eq(slurp(p), "mine"); /* O_NOFOLLOW: a regular file now */
	/* Outside: still exactly the one empty file. */
	ck_assert_int_eq(count_entries(outside), 1);
	ck_assert_str_eq(slurp(q), "");
	destdir_free(d);
	rm_tree();
}
END_TEST

START_TEST(not_files)
{
	struct destdir *d;
	char p[700];

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	/* A FIFO as the partial copy: refused at once (the test times out if open blocks). */
	at(p, sizeof(p), dest, "q" DESTDIR_PART_SUFFIX);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(fetch(d, "q", "x"), -1);
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	/* A file where a directory is named. */
	ck_assert_int_eq(fetch(d, "r", "x"), 0);
	ck_assert_int_eq(fetch(d, "r/s", "x"), -1);
	ck_assert_msg(strstr(err, "r/s: r is not a directory") != NULL, "%s", err);
	/* A name whose partial copy would be longer than NAME_MAX. */
	memset(p, 'n', 250);
	p[250] = '\0';
	ck_assert_int_eq(fetch(d, p, "x"), -1);
	ck_assert_msg(strstr(err, "too long") != NULL, "%s", err);
	destdir_free(d);
	rm_tree();
}
END_TEST

START_TEST(directories)
{
	struct destdir *d;
	char p[700];

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	ck_assert_msg(destdir_mkdir(d, "db/full", 7, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(destdir_mkdir(d, "db/full", 7, err, sizeof(err)) == 0, "%s", err); /* again */
	at(p, sizeof(p), dest, "db/full");
	ck_assert_int_eq(access(p, X_OK), 0);
	/* The last component a symlink to outside: refused, outside untouched. */
	at(p, sizeof(p), dest, "db/link");
	ck_assert_int_eq(symlink(outside, p), 0);
	ck_assert_int_eq(destdir_mkdir(d, "db/link", 7, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "db/link: db/link is a symbolic link") != NULL, "%s", err);
	ck_assert_int_eq(destdir_mkdir(d, "db/link/x", 9, err, sizeof(err)), -1);
	ck_assert_int_eq(destdir_mkdir(d, "../x", 4, err, sizeof(err)), -1);
	ck_assert_int_eq(count_entries(outside), 0);
	at(p, sizeof(p), root, "x");
	ck_assert_int_eq(access(p, F_OK), -1);
	destdir_free(d);
	rm_tree();
}
END_TEST

/*
 * destdir_commit_later puts the file under its name like destdir_commit;
 * destdir_sync_dir takes the same names and refuses the same hostile ones.
 */
START_TEST(commit_later_and_sync_dir)
{
	struct destdir *d;
	char p[700];
	off_t have = -1;
	int fd;

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	fd = destdir_open_part(d, "db/a.sst", 8, &have, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	ck_assert_msg(destdir_commit_later(d, "db/a.sst", 8, fd, err, sizeof(err)) == 0, "%s", err);
	at(p, sizeof(p), dest, "db/a.sst");
	ck_assert_str_eq(slurp(p), "abc");
	at(p, sizeof(p), dest, "db/a.sst" DESTDIR_PART_SUFFIX);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_msg(destdir_sync_dir(d, "db/a.sst", 8, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(destdir_sync_dir(d, "top", 3, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(destdir_sync_dir(d, "../outside/x", 12, err, sizeof(err)), -1);
	ck_assert_int_eq(destdir_sync_dir(d, "/etc/x", 6, err, sizeof(err)), -1);
	ck_assert_int_eq(count_entries(outside), 0);
	destdir_free(d);
	rm_tree();
}
END_TEST

/* A final name read back: the file itself, never a link in its place, ENOENT when absent. */
START_TEST(open_file)
{
	struct destdir *d;
	char p[700], buf[8];
	int fd;

	mk_tmp();
	d = destdir_open(dest, err, sizeof(err));
	ck_assert_int_eq(fetch(d, "db/a", "abc"), 0);
	fd = destdir_open_file(d, "db/a", 4, err, sizeof(err));
	ck_assert_msg(fd != -1, "%s", err);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	ck_assert_int_eq(destdir_open_file(d, "db/none", 7, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* A symlink to a file outside: refused, not read through. */
	at(p, sizeof(p), outside, "secret");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, "s", 1), 1);
	close(fd);
	at(p, sizeof(p), dest, "db/l");
	ck_assert_int_eq(symlink(outside, p), 0);
	ck_assert_int_eq(destdir_open_file(d, "db/l/secret", 11, err, sizeof(err)), -1);
	ck_assert_int_ne(errno, ENOENT);
	ck_assert_msg(strstr(err, "symbolic link") != NULL, "%s", err);
	at(p, sizeof(p), dest, "db/m");
	ck_assert_int_eq(symlink("../../outside/secret", p), 0);
	ck_assert_int_eq(destdir_open_file(d, "db/m", 4, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "db/m is a symbolic link") != NULL, "%s", err);
	ck_assert_int_eq(destdir_open_file(d, "../outside/secret", 17, err, sizeof(err)), -1);
	destdir_free(d);
	rm_tree();
}
END_TEST

static Suite *destdir_suite(void)
{
	Suite *s = suite_create("destdir");
	TCase *tc = tcase_create("destdir");

	tcase_add_test(tc, writes_and_resumes);
	tcase_add_test(tc, hostile_names);
	tcase_add_test(tc, symlink_escapes);
	tcase_add_test(tc, not_files);
	tcase_add_test(tc, directories);
	tcase_add_test(tc, open_file);
	tcase_add_test(tc, commit_later_and_sync_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(destdir_suite());
}
