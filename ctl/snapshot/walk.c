/* SPDX-License-Identifier: MIT */
/*
 * The snapshot's walk (walk.h). Each directory is read whole and sorted
 * before any of it is visited, which costs its names in memory (a RocksDB
 * directory of 100,000 .sst files is a few MB) and buys a byte order that
 * does not depend on the file system's readdir order.
 */
#include "ctl/snapshot/walk.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/snapshot/safepath.h"

struct walker {
	const struct exclude_set *ex; /* borrowed from the caller */
	walk_entry_cb_fn cb;
	void *ctx;
	struct walk_stats st;
	char path[EXCLUDE_PATH_MAX]; /* the current entry, relative */
	size_t len;
	char *err; /* borrowed: the caller's */
	size_t errlen;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int fail(struct walker *w, const char *what, int e)
{
	snprintf(w->err, w->errlen, "%s: %s%s%s", w->len ? w->path : ".", what, e ? ": " : "",
	         e ? strerror(e) : "");
	return -1;
}

/* Reads the names in <dfd> (not . and ..) into a sorted array the caller frees. */
static int read_names(struct walker *w, int dfd, char ***out, size_t *nout)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int fd = dup(dfd);
	DIR *d = fd == -1 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		if (fd != -1)
			close(fd);
		return fail(w, "cannot read directory", errno);
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (nn == NULL)
				goto oom;
			names = nn;
			cap = ncap;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto oom;
		n++;
	}
	if (errno != 0) {
		int e = errno;

		closedir(d);
		free_names(names, n);
		return fail(w, "cannot read directory", e);
	}
	closedir(d);
	if (n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*nout = n;
	return 0;
oom:
	closedir(d);
	free_names(names, n);
	return fail(w, "out of memory", 0);
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int walk_dir(struct walker *w, int dfd);

/* Opens the entry <name> of <dfd> that lstat saw as <sb>, and visits it. */
static int visit(struct walker *w, int dfd, const char *name, const struct stat *sb)
{
	bool is_dir = S_ISDIR(sb->st_mode);
	int flags =
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | (is_dir ? O_DIRECTORY : O_NONBLOCK);
	struct walk_entry e = {.rel = w->path, .is_dir = is_dir, .fd = -1};
	struct stat fs, after;
	int fd, rc = -1;

	/*
	 * Refused here, before any target has a byte: every reader checks names
	 * with safepath.h, so a name it refuses would publish a snapshot that no
	 * fetch accepts (and libarchive cannot put a non-ASCII name in a pax
	 * header under the C locale the daemon runs in).
	 */
	if (safepath_check(w->path, w->len) != SAFEPATH_OK)
		return fail(w, safepath_reason_text(safepath_check(w->path, w->len)), 0);
	/* O_NOFOLLOW: a name swapped for a symlink since lstat fails with ELOOP. */
	fd = openat(dfd, name, flags);
	if (fd == -1)
		return fail(w, "cannot open", errno);
	if (fstat(fd, &fs) == -1) {
		fail(w, "cannot stat", errno);
		goto out;
	}
	if (!same_inode(sb, &fs) || (fs.st_mode & S_IFMT) != (sb->st_mode & S_IFMT)) {
		fail(w, "replaced during the walk", 0);
		goto out;
	}
	e.mode = (unsigned)(fs.st_mode & 07777);
	e.mtime = (int64_t)fs.st_mtim.tv_sec;
	if (!is_dir) {
		e.size = (uint64_t)fs.st_size;
		e.fd = fd;
	}
	if (w->cb(w->ctx, &e, w->err, w->errlen) == -1)
		goto out;
	if (is_dir) {
		w->st.dirs++;
		rc = walk_dir(w, fd);
		goto out;
	}
	if (fstat(fd, &after) == -1) {
		fail(w, "cannot stat", errno);
		goto out;
	}
	/* The tar header already holds the size: a live database must be stopped first. */
	if (after.st_size != fs.st_size || after.st_mtim.tv_sec != fs.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != fs.st_mtim.tv_nsec) {
		fail(w,
		     "changed while read (stop the node or snapshot the file system in the pre "
		     "hook)",
		     0);
		goto out;
	}
	w->st.files++;
	w->st.bytes += e.size;
	rc = 0;
out:
	close(fd);
	return rc;
}

static int walk_entry(struct walker *w, int dfd, const char *name)
{
	size_t nl = strlen(name), base = w->len;
	struct stat sb;
	enum exclude_why why;
	int rc;

	if (base + (base ? 1 : 0) + nl >= sizeof(w->path)) {
		w->path[base] = '\0';
		snprintf(w->err, w->errlen, "%s/%s: path longer than %d bytes",
		         base ? w->path : ".", name, EXCLUDE_PATH_MAX - 1);
		return -1;
	}
	if (base)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, nl + 1);
	w->len += nl;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		rc = fail(w, "cannot stat", errno);
		goto out;
	}
	why = exclude_match(w->ex, w->path, S_ISDIR(sb.st_mode));
	if (why != EXCLUDE_NONE) {
		w->st.excluded[why]++;
		rc = 0;
		goto out;
	}
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
		rc =
		    fail(w,
		         S_ISLNK(sb.st_mode) ? "is a symlink (only files and directories are taken)"
		                             : "not a regular file or directory",
		         0);
		goto out;
	}
	rc = visit(w, dfd, name, &sb);
out:
	w->len = base;
	w->path[base] = '\0';
	return rc;
}

static int walk_dir(struct walker *w, int dfd)
{
	char **names;
	size_t n;
	int rc = 0;

	if (read_names(w, dfd, &names, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_entry(w, dfd, names[i]);
	free_names(names, n);
	return rc;
}

int walk_tree(const char *base, const struct exclude_set *ex, walk_entry_cb_fn cb, void *ctx,
              struct walk_stats *st, char *err, size_t errlen)
{
	struct walker *w = calloc(1, sizeof(*w));
	int fd, rc;

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->ex = ex;
	w->cb = cb;
	w->ctx = ctx;
	w->err = err;
	w->errlen = errlen;
	/* The base path itself may be a symlink (/var/lib/polkadot -> /data): the operator's. */
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", base, strerror(errno));
		free(w);
		return -1;
	}
	rc = walk_dir(w, fd);
	close(fd);
	if (st != NULL)
		*st = w->st;
	free(w);
	return rc;
}
