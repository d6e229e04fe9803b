/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/filelist.c against the tools its lists are for. SHA256SUMS:
 * on a real temporary tree, GNU `sha256sum` prints byte for byte the list
 * our writer writes, `sha256sum -c --strict` accepts it and refuses it once
 * a file changed, and our parser reads sha256sum's own output. files.txt:
 * rclone's documented rules (filtering.md, "--files-from": leading and
 * trailing white space stripped, lines starting with '#' or ';' ignored),
 * and the byte order `LC_ALL=C sort` gives.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/filelist.h"
#include "tests/unit/check_main.h"

/* The tree, in byte order: uppercase sorts before lowercase, "db" before "db/...". */
static const char *const tree_paths[] = {
    "CURRENT", "a b.log", "db/full/000001.sst", "db/full/MANIFEST-000002", "db/full/z",
};
static const char *const tree_data[] = {
    "MANIFEST-000002\n", "", "\x00\x01\x02sst", "manifest", "zz\nzz",
};
static const size_t tree_len[] = {16, 0, 6, 8, 5};

/* Runs argv in <dir> with stdout to <out> (NULL: /dev/null); returns the exit status. */
static int run_in(const char *dir, char *const argv[], const char *out)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int fd = open(out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* sha256sum -c names the file that changed on stderr: expected, kept quiet. */
		if (fd == -1 || dup2(fd, 1) == -1 || chdir(dir) == -1 ||
		    !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void put(const char *dir, const char *rel, const void *p, size_t n)
{
	char path[512];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static char *read_all(const char *path, size_t *n)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t r;

	ck_assert_int_ne(fd, -1);
	r = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(r, 0);
	close(fd);
	buf[r] = '\0';
	*n = (size_t)r;
	return buf;
}

static size_t write_sums(char *out, size_t cap)
{
	size_t off = 0;
	const char *prev = NULL;
	struct filelist_error fe = {0};

	for (size_t i = 0; i < PF_ARRAY_SIZE(tree_paths); i++) {
		struct filelist_entry e = {.path = tree_paths[i], .len = strlen(tree_paths[i])};

		sha256_hex((const uint8_t *)tree_data[i], tree_len[i], e.sha256);
		ck_assert_msg(
		    filelist_append(out, cap, &off, 1, &e, prev, prev ? strlen(prev) : 0, &fe) == 0,
		    "%s: %s", tree_paths[i], filelist_reason_text(fe.reason));
		prev = tree_paths[i];
	}
	return off;
}

START_TEST(sha256sum_agrees)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], sub[600], list[600];
	static char ours[4096];
	size_t n_ours, n_theirs, off = 0;
	const char *theirs;
	char *sum_argv[] = {"sha256sum",           "--",
	                    (char *)tree_paths[0], (char *)tree_paths[1],
	                    (char *)tree_paths[2], (char *)tree_paths[3],
	                    (char *)tree_paths[4], NULL};
	char *check_argv[] = {"sha256sum", "-c", "--strict", "--quiet", "SHA256SUMS", NULL};
	struct filelist_entry e;
	struct filelist_error fe = {0};
	const char *prev = NULL;
	size_t prevlen = 0, count = 0;
	char want[SHA256_HEX_LEN + 1];

	(void)snprintf(dir, sizeof(dir), "%s/pf-filelist-XXXXXX", tmp != NULL ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(sub, sizeof(sub), "%s/db", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	(void)snprintf(sub, sizeof(sub), "%s/db/full", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	for (size_t i = 0; i < PF_ARRAY_SIZE(tree_paths); i++)
		put(dir, tree_paths[i], tree_data[i], tree_len[i]);

	n_ours = write_sums(ours, sizeof(ours));
	put(dir, "SHA256SUMS", ours, n_ours);
	/* sha256sum's own list of the same files, in the same order, is the same bytes. */
	(void)snprintf(list, sizeof(list), "%s/theirs", dir);
	ck_assert_int_eq(run_in(dir, sum_argv, list), 0);
	theirs = read_all(list, &n_theirs);
	ck_assert_uint_eq(n_theirs, n_ours);
	ck_assert_mem_eq(theirs, ours, n_ours);
	/* And our parser reads it back, path and digest. */
	for (int r; (r = filelist_next(theirs, n_theirs, &off, 1, &e, prev, prevlen, &fe)) == 1;) {
		ck_assert_uint_eq(e.len, strlen(tree_paths[count]));
		ck_assert_mem_eq(e.path, tree_paths[count], e.len);
		sha256_hex((const uint8_t *)tree_data[count], tree_len[count], want);
		ck_assert_str_eq(e.sha256, want);
		prev = e.path;
		prevlen = e.len;
		count++;
	}
	ck_assert_uint_eq(count, PF_ARRAY_SIZE(tree_paths));
	/* sha256sum -c accepts the tree, and refuses it once a file changed. */
	ck_assert_int_eq(run_in(dir, check_argv, NULL), 0);
	put(dir, "db/full/z", "zz\nzZ", 5);
	ck_assert_int_ne(run_in(dir, check_argv, NULL), 0);

	for (size_t i = PF_ARRAY_SIZE(tree_paths); i-- > 0;) {
		(void)snprintf(sub, sizeof(sub), "%s/%s", dir, tree_paths[i]);
		unlink(sub);
	}
	(void)snprintf(sub, sizeof(sub), "%s/SHA256SUMS", dir);
	unlink(sub);
	unlink(list);
	(void)snprintf(sub, sizeof(sub), "%s/db/full", dir);
	rmdir(sub);
	(void)snprintf(sub, sizeof(sub), "%s/db", dir);
	rmdir(sub);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Parses <text> as a files.txt; returns the paths joined by '|', or "ERR:<reason>@<line>". */
static const char *parse_files(const char *text, int sums)
{
	static char got[1024];
	size_t off = 0, len = strlen(text), g = 0;
	struct filelist_entry e;
	struct filelist_error fe = {0};
	const char *prev = NULL;
	size_t prevlen = 0;
	int r;

	got[0] = '\0';
	while ((r = filelist_next(text, len, &off, sums, &e, prev, prevlen, &fe)) == 1) {
		g += (size_t)snprintf(got + g, sizeof(got) - g, "%s%.*s", g ? "|" : "", (int)e.len,
		                      e.path);
		prev = e.path;
		prevlen = e.len;
	}
	if (r == -1)
		(void)snprintf(got, sizeof(got), "ERR:%d@%zu", (int)fe.reason, fe.line);
	return got;
}

START_TEST(rclone_rules)
{
	/* rclone: lines starting with '#' or ';' are ignored; we also skip empty lines. */
	ck_assert_str_eq(parse_files("# comment\nCURRENT\n; also\n\ndb/x\n", 0), "CURRENT|db/x");
	/* A '#' or ';' later in a line is part of the name. */
	ck_assert_str_eq(parse_files("a#b\na;b\n", 0), "a#b|a;b");
	/* White space rclone would strip: refused, not stripped. */
	ck_assert_str_eq(parse_files("a\n b\n", 0), "ERR:2@2");
	ck_assert_str_eq(parse_files("a \n", 0), "ERR:2@1");
	ck_assert_str_eq(parse_files("a\r\n", 0), "ERR:1@1"); /* CR: a control byte */
	ck_assert_str_eq(parse_files("a\n../b\n", 0), "ERR:1@2");
	ck_assert_str_eq(parse_files("/etc/passwd\n", 0), "ERR:1@1");
	ck_assert_str_eq(parse_files("a", 0), "ERR:4@1"); /* no final LF */
	ck_assert_str_eq(parse_files("", 0), "");
	/* Order: strictly increasing bytes, so no duplicates either. */
	ck_assert_str_eq(parse_files("b\na\n", 0), "ERR:3@2");
	ck_assert_str_eq(parse_files("a\na\n", 0), "ERR:3@2");
	ck_assert_str_eq(parse_files("B\na\n", 0), "B|a"); /* LC_ALL=C sort: 'B' (0x42) first */
}
END_TEST

START_TEST(sums_strict)
{
	char line[200];
	const char *h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const char *H = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";

	(void)snprintf(line, sizeof(line), "%s  a\n", h);
	ck_assert_str_eq(parse_files(line, 1), "a");
	(void)snprintf(line, sizeof(line), "%s  a\n# x\n", h); /* no comments here */
	ck_assert_str_eq(parse_files(line, 1), "ERR:4@2");
	(void)snprintf(line, sizeof(line), "%s  a\n", H);
	ck_assert_str_eq(parse_files(line, 1), "ERR:4@1");
	(void)snprintf(line, sizeof(line), "%s *a\n", h); /* binary mode marker: not ours */
	ck_assert_str_eq(parse_files(line, 1), "ERR:4@1");
	(void)snprintf(line, sizeof(line), "%s a\n", h);
	ck_assert_str_eq(parse_files(line, 1), "ERR:4@1");
	(void)snprintf(line, sizeof(line), "%.63s  a\n", h);
	ck_assert_str_eq(parse_files(line, 1), "ERR:4@1");
	(void)snprintf(line, sizeof(line), "%s  \\a\n", h); /* sha256sum's escaped name */
	ck_assert_str_eq(parse_files(line, 1), "ERR:1@1");
	(void)snprintf(line, sizeof(line), "%s  a/../../x\n", h);
	ck_assert_str_eq(parse_files(line, 1), "ERR:1@1");
}
END_TEST

START_TEST(writer_refuses)
{
	char out[256];
	size_t off = 0;
	struct filelist_error fe = {0};
	struct filelist_entry e = {.path = "#a", .len = 2};
	static const char *const bad[] = {"#a", ";a", " a", "a ", "a\t", "../a", "a//b", "", "/a"};
	static const int why[] = {2, 2, 2, 2, 1, 1, 1, 1, 1};

	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		e.path = bad[i];
		e.len = strlen(bad[i]);
		ck_assert_int_eq(filelist_append(out, sizeof(out), &off, 0, &e, NULL, 0, &fe), -1);
		ck_assert_msg((int)fe.reason == why[i], "'%s': reason %d", bad[i], fe.reason);
		ck_assert_uint_eq(off, 0);
	}
	e.path = "../a";
	e.len = 4;
	ck_assert_int_eq(filelist_append(out, sizeof(out), &off, 0, &e, NULL, 0, &fe), -1);
	ck_assert_int_eq(fe.safepath, SAFEPATH_DOTDOT);
	/* Order and room. */
	e.path = "b";
	e.len = 1;
	ck_assert_int_eq(filelist_append(out, sizeof(out), &off, 0, &e, NULL, 0, &fe), 0);
	ck_assert_int_eq(filelist_append(out, sizeof(out), &off, 0, &e, "b", 1, &fe), -1);
	ck_assert_int_eq(fe.reason, FILELIST_ORDER);
	e.path = "c";
	ck_assert_int_eq(filelist_append(out, 3, &off, 0, &e, "b", 1, &fe), -1);
	ck_assert_int_eq(fe.reason, FILELIST_TOO_LONG);
	ck_assert_int_eq(filelist_append(out, 4, &off, 0, &e, "b", 1, &fe), 0);
	ck_assert_uint_eq(off, 4);
	ck_assert_mem_eq(out, "b\nc\n", 4);
	/* A sums line needs a digest. */
	e.path = "d";
	e.sha256[0] = '\0';
	ck_assert_int_eq(filelist_append(out, sizeof(out), &off, 1, &e, "c", 1, &fe), -1);
	ck_assert_int_eq(fe.reason, FILELIST_SYNTAX);
	ck_assert_str_eq(filelist_reason_text(FILELIST_RCLONE),
	                 "a path rclone would read differently ('#' or ';' first, or white space "
	                 "at an end)");
}
END_TEST

static Suite *filelist_suite(void)
{
	Suite *s = suite_create("filelist");
	TCase *tc = tcase_create("filelist");

	tcase_add_test(tc, sha256sum_agrees);
	tcase_add_test(tc, rclone_rules);
	tcase_add_test(tc, sums_strict);
	tcase_add_test(tc, writer_refuses);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(filelist_suite());
}
