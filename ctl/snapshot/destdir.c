/* SPDX-License-Identifier: MIT */
/*
 * destdir.h: DEST's descriptor, and one openat() per component below it.
 * Errors name the entry and say which component stopped it and why.
 */
#include "ctl/snapshot/destdir.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/text.h"
#include "ctl/snapshot/safepath.h"

struct destdir {
	int fd; /* owned: DEST, O_DIRECTORY */
};

struct destdir *destdir_open(const char *path, char *err, size_t errlen)
{
	struct destdir *d;
	int fd;

	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		close(fd);
		pf_errf(err, errlen, "out of memory");
		return NULL;
	}
	d->fd = fd;
	return d;
}

void destdir_free(struct destdir *d)
{
	if (d == NULL)
		return;
	close(d->fd);
	free(d);
}

/*
 * Why an openat(O_NOFOLLOW) of <name> in <dir> failed with <e>, in words.
 * The errno alone does not tell a symlink apart: with O_DIRECTORY Linux
 * answers ENOTDIR for one, without it ELOOP.
 */
static const char *open_reason(int dir, const char *name, int e)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return "a symbolic link (refused)";
	if (e == ENOTDIR)
		return "not a directory";
	return strerror(e);
}

/* Checks <rel>/<len> and copies its last component into <leaf>. */
static int check_name(const char *rel, size_t len, char *leaf, size_t leafcap, char *err,
                      size_t errlen)
{
	enum safepath_reason r = safepath_check(rel, len);
	const char *slash;
	size_t sl = sizeof(DESTDIR_PART_SUFFIX) - 1, n;

	if (r != SAFEPATH_OK) {
		pf_errf(err, errlen, "%.*s: %s", (int)len, rel, safepath_reason_text(r));
		return -1;
	}
	slash = memrchr(rel, '/', len);
	n = slash != NULL ? len - (size_t)(slash + 1 - rel) : len;
	if (n >= sl && memcmp(rel + len - sl, DESTDIR_PART_SUFFIX, sl) == 0) {
		pf_errf(err, errlen, "%.*s: ends in %s, the suffix of partial copies", (int)len,
		        rel, DESTDIR_PART_SUFFIX);
		return -1;
	}
	if (n + sl >= leafcap) {
		pf_errf(err, errlen, "%.*s: a name too long for its partial copy", (int)len, rel);
		return -1;
	}
	memcpy(leaf, rel + len - n, n);
	leaf[n] = '\0';
	return 0;
}

/*
 * Walks the directories of <rel>/<len> from DEST (all but the last
 * component, or all of them when <whole>), creating each, never through a
 * symlink. Returns the last one's descriptor (the caller closes it) or -1
 * with <err>.
 */
static int open_dirs(struct destdir *d, const char *rel, size_t len, bool whole, char *err,
                     size_t errlen)
{
	int cur = d->fd, next;
	size_t start = 0;
	char comp[SAFEPATH_NAME_MAX + 1];

	for (size_t i = 0; i <= len; i++) {
		if (i < len ? rel[i] != '/' : !whole)
			continue;
		memcpy(comp, rel + start, i - start);
		comp[i - start] = '\0';
		if (mkdirat(cur, comp, 0755) == -1 && errno != EEXIST) {
			pf_errf(err, errlen, "%.*s: creating %.*s: %s", (int)len, rel, (int)i, rel,
			        strerror(errno));
			goto fail;
		}
		next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1) {
			pf_errf(err, errlen, "%.*s: %.*s is %s", (int)len, rel, (int)i, rel,
			        open_reason(cur, comp, errno));
			goto fail;
		}
		if (cur != d->fd)
			close(cur);
		cur = next;
		start = i + 1;
	}
	return cur != d->fd ? cur : fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
fail:
	if (cur != d->fd)
		close(cur);
	return -1;
}

int destdir_open_part(struct destdir *d, const char *rel, size_t len, off_t *have, char *err,
                      size_t errlen)
{
	char part[SAFEPATH_NAME_MAX + 1];
	struct stat st;
	int dir, fd = -1;

	if (check_name(rel, len, part, sizeof(part), err, errlen) == -1)
		return -1;
	memcpy(part + strlen(part), DESTDIR_PART_SUFFIX, sizeof(DESTDIR_PART_SUFFIX));
	dir = open_dirs(d, rel, len, false, err, errlen);
	if (dir == -1)
		return -1;
	/*
	 * A FIFO planted as the partial copy must not hang the open: Linux never
	 * blocks an O_RDWR open of one, POSIX leaves it open, O_NONBLOCK settles it.
	 */
	fd = openat(dir, part, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd == -1) {
		pf_errf(err, errlen, "%.*s: its partial copy %s is %s", (int)len, rel, part,
		        open_reason(dir, part, errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		pf_errf(err, errlen, "%.*s: its partial copy %s is not a regular file", (int)len,
		        rel, part);
		goto fail;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || lseek(fd, st.st_size, SEEK_SET) == -1) {
		pf_errf(err, errlen, "%.*s: %s", (int)len, rel, strerror(errno));
		goto fail;
	}
	*have = st.st_size;
	goto out;
fail:
	close(fd);
	fd = -1;
out:
	close(dir);
	return fd;
}

/* destdir_commit, with the directory's fsync when <sync_dir>. */
static int commit(struct destdir *d, const char *rel, size_t len, int fd, bool sync_dir, char *err,
                  size_t errlen)
{
	char leaf[SAFEPATH_NAME_MAX + 1], part[SAFEPATH_NAME_MAX + 1];
	struct stat mine, there;
	int dir = -1, rc = -1;

	if (check_name(rel, len, leaf, sizeof(leaf), err, errlen) == -1)
		goto out;
	/* check_name left room for the suffix. */
	memcpy(part, leaf, strlen(leaf));
	memcpy(part + strlen(leaf), DESTDIR_PART_SUFFIX, sizeof(DESTDIR_PART_SUFFIX));
	if (fsync(fd) == -1) {
		pf_errf(err, errlen, "%.*s: fsync: %s", (int)len, rel, strerror(errno));
		goto out;
	}
	dir = open_dirs(d, rel, len, false, err, errlen);
	if (dir == -1)
		goto out;
	/* The name must still be the file written: the walk may have met a swapped directory. */
	if (fstat(fd, &mine) == -1 || fstatat(dir, part, &there, AT_SYMLINK_NOFOLLOW) == -1 ||
	    mine.st_dev != there.st_dev || mine.st_ino != there.st_ino) {
		pf_errf(err, errlen, "%.*s: its partial copy is not the file written", (int)len,
		        rel);
		goto out;
	}
	/* rename replaces a symlink at <leaf> itself; it never writes through it. */
	if (renameat(dir, part, dir, leaf) == -1 || (sync_dir && fsync(dir) == -1)) {
		pf_errf(err, errlen, "%.*s: %s", (int)len, rel, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (dir != -1)
		close(dir);
	close(fd);
	return rc;
}

int destdir_commit(struct destdir *d, const char *rel, size_t len, int fd, char *err, size_t errlen)
{
	return commit(d, rel, len, fd, true, err, errlen);
}

int destdir_commit_later(struct destdir *d, const char *rel, size_t len, int fd, char *err,
                         size_t errlen)
{
	return commit(d, rel, len, fd, false, err, errlen);
}

int destdir_sync_dir(struct destdir *d, const char *rel, size_t len, char *err, size_t errlen)
{
	char leaf[SAFEPATH_NAME_MAX + 1];
	int dir, rc = 0;

	if (check_name(rel, len, leaf, sizeof(leaf), err, errlen) == -1)
		return -1;
	dir = open_dirs(d, rel, len, false, err, errlen);
	if (dir == -1)
		return -1;
	if (fsync(dir) == -1) {
		pf_errf(err, errlen, "%.*s: fsync of its directory: %s", (int)len, rel,
		        strerror(errno));
		rc = -1;
	}
	close(dir);
	return rc;
}

int destdir_mkdir(struct destdir *d, const char *rel, size_t len, char *err, size_t errlen)
{
	char leaf[SAFEPATH_NAME_MAX + 1];
	int dir;

	if (check_name(rel, len, leaf, sizeof(leaf), err, errlen) == -1)
		return -1;
	dir = open_dirs(d, rel, len, true, err, errlen);
	if (dir == -1)
		return -1;
	close(dir);
	return 0;
}

int destdir_open_file(struct destdir *d, const char *rel, size_t len, char *err, size_t errlen)
{
	char leaf[SAFEPATH_NAME_MAX + 1];
	struct stat st;
	int dir, fd, e;

	if (check_name(rel, len, leaf, sizeof(leaf), err, errlen) == -1)
		return -1;
	dir = open_dirs(d, rel, len, false, err, errlen);
	if (dir == -1)
		return -1;
	fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	if (fd == -1 && e != ENOENT)
		pf_errf(err, errlen, "%.*s is %s", (int)len, rel, open_reason(dir, leaf, e));
	close(dir);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		pf_errf(err, errlen, "%.*s is not a regular file", (int)len, rel);
		close(fd);
		fd = -1;
		e = EINVAL;
	}
	errno = e;
	return fd;
}
