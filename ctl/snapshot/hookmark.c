/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/hookmark.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/snapshot/mpwrite.h"

static int mark_path(const char *state_dir, const char *chain, char *out, size_t len, char *err,
                     size_t errlen)
{
	int n = snprintf(out, len, "%s/%s.post-pending", state_dir, chain);

	if (n < 0 || (size_t)n >= len) {
		(void)snprintf(err, errlen, "state_dir: path too long");
		return -1;
	}
	return 0;
}

int hookmark_set(const char *state_dir, const char *chain, char *err, size_t errlen)
{
	char path[1200], text[32];
	int fd, n, ok;

	if (mark_path(state_dir, chain, path, sizeof(path), err, errlen) == -1 ||
	    mpw_make_state_dir(state_dir, err, errlen) == -1)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		(void)snprintf(err, errlen, "%.1000s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(text, sizeof(text), "pid %ld\n", (long)getpid());
	/* Synced: a mark lost to a crash would leave a stopped node unnoticed. */
	ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	if (!ok)
		(void)snprintf(err, errlen, "%.1000s: %s", path, strerror(errno));
	if (close(fd) == -1 && ok) {
		(void)snprintf(err, errlen, "%.1000s: %s", path, strerror(errno));
		ok = 0;
	}
	return ok ? 0 : -1;
}

int hookmark_clear(const char *state_dir, const char *chain, char *err, size_t errlen)
{
	char path[1200];

	if (mark_path(state_dir, chain, path, sizeof(path), err, errlen) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		(void)snprintf(err, errlen, "%.1000s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int hookmark_pending(const char *state_dir, const char *chain, pid_t *pid, char *err, size_t errlen)
{
	char path[1200], text[32] = "";
	ssize_t n;
	long v;
	int fd;

	*pid = 0;
	if (mark_path(state_dir, chain, path, sizeof(path), err, errlen) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		(void)snprintf(err, errlen, "%.1000s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	(void)close(fd);
	if (n > 0) {
		text[n] = '\0';
		/* A mark cut short by a crash still counts: only the pid is lost. */
		if (sscanf(text, "pid %ld", &v) == 1 && v > 0)
			*pid = (pid_t)v;
	}
	return 1;
}
