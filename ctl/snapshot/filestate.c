/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/filestate.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/snapshot/mpstate.h"
#include "ctl/snapshot/mpwrite.h"

struct fs_ent {
	char *rel;
	uint64_t size;
	char sha[SHA256_HEX_LEN + 1];
};

struct filestate {
	char path[1100];
	int fd;
	struct fs_ent *e;
	size_t n;
};

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct fs_ent *)a)->rel, ((const struct fs_ent *)b)->rel);
}

/* Loads the complete file lines of <text> after its header; a later line for a path wins. */
static int load(struct filestate *fs, const char *text, size_t len)
{
	size_t at = 0, cap = 0;

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at), *rel;
		struct fs_ent *e;
		size_t rl;

		if (nl == NULL)
			break; /* cut by a kill: never acknowledged */
		if (fs->n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct fs_ent *ne = realloc(fs->e, nc * sizeof(*ne));

			if (ne == NULL)
				return -1;
			fs->e = ne;
			cap = nc;
		}
		e = &fs->e[fs->n];
		if (mpstate_parse_file_line(text + at, (size_t)(nl - text) - at, &e->size, e->sha,
		                            &rel, &rl) == -1)
			return -1;
		e->rel = strndup(rel, rl);
		if (e->rel == NULL)
			return -1;
		fs->n++;
		at = (size_t)(nl - text) + 1;
	}
	/* Stable order is not needed: equal paths carry what the object holds either way. */
	qsort(fs->e, fs->n, sizeof(*fs->e), cmp_ent);
	return 0;
}

/* The earlier run's text when its header names <head>, else NULL. */
static char *read_text(const char *path, const char *head, size_t *len)
{
	size_t hl = strlen(head), cap, got;
	FILE *f = fopen(path, "r");
	struct stat sb;
	char *buf;

	if (f == NULL)
		return NULL;
	/* One line a file, some 100 bytes: 64 MiB is over half a million files. */
	if (fstat(fileno(f), &sb) == -1 || sb.st_size > 64 * 1024 * 1024) {
		(void)fclose(f);
		return NULL;
	}
	cap = (size_t)sb.st_size + 1;
	buf = malloc(cap);
	got = buf != NULL ? fread(buf, 1, cap, f) : 0;
	(void)fclose(f);
	if (buf == NULL || got == cap || got < hl || memcmp(buf, head, hl) != 0) {
		free(buf);
		return NULL;
	}
	memmove(buf, buf + hl, got - hl);
	*len = got - hl;
	return buf;
}

struct filestate *filestate_open(const char *state_dir, const char *url, char *err, size_t errlen)
{
	char hex[SHA256_HEX_LEN + 1], head[2200];
	struct filestate *fs = calloc(1, sizeof(*fs));
	size_t len = 0;
	char *text;
	int hl;

	if (fs == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fs->fd = -1;
	if (mpw_make_state_dir(state_dir, err, errlen) == -1)
		goto fail;
	sha256_hex((const uint8_t *)url, strlen(url), hex);
	(void)snprintf(fs->path, sizeof(fs->path), "%.1000s/%s.files", state_dir, hex);
	hl = snprintf(head, sizeof(head), MPSTATE_FILES_MAGIC "\nurl %s\n", url);
	if (hl < 0 || (size_t)hl >= sizeof(head)) {
		(void)snprintf(err, errlen, "%.200s: URL too long", url);
		goto fail;
	}
	text = read_text(fs->path, head, &len);
	if (text != NULL && load(fs, text, len) == -1) {
		/* Unreadable: start the record over, every file is sent. */
		for (size_t i = 0; i < fs->n; i++)
			free(fs->e[i].rel);
		fs->n = 0;
		free(text);
		text = NULL;
	}
	if (text == NULL) {
		fs->fd = open(fs->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fs->fd != -1 && write(fs->fd, head, (size_t)hl) != hl) {
			(void)close(fs->fd);
			fs->fd = -1;
		}
	} else
		fs->fd = open(fs->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	free(text);
	if (fs->fd == -1) {
		(void)snprintf(err, errlen, "%s: %s", fs->path, strerror(errno));
		goto fail;
	}
	return fs;
fail:
	filestate_free(fs, false);
	return NULL;
}

const char *filestate_find(const struct filestate *fs, const char *rel, uint64_t size)
{
	struct fs_ent key = {.rel = (char *)rel};
	const struct fs_ent *e;

	if (fs->n == 0)
		return NULL;
	e = bsearch(&key, fs->e, fs->n, sizeof(*fs->e), cmp_ent);
	return e != NULL && e->size == size ? e->sha : NULL;
}

int filestate_add(struct filestate *fs, const char *rel, uint64_t size,
                  const char sha_hex[SHA256_HEX_LEN + 1], char *err, size_t errlen)
{
	char line[4200];
	long n = mpstate_file_line(rel, size, sha_hex, line, sizeof(line));

	if (n < 0 || write(fs->fd, line, (size_t)n) != n) {
		(void)snprintf(err, errlen, "%s: write: %s", fs->path,
		               n < 0 ? "path too long" : strerror(errno));
		return -1;
	}
	return 0;
}

void filestate_free(struct filestate *fs, bool done)
{
	if (fs == NULL)
		return;
	if (fs->fd != -1)
		(void)close(fs->fd);
	if (done)
		(void)unlink(fs->path);
	for (size_t i = 0; i < fs->n; i++)
		free(fs->e[i].rel);
	free(fs->e);
	free(fs);
}
