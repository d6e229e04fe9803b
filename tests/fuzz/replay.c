/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay driver shared by every fuzz target: `replay_<t> DIR...` feeds
 * each regular file of each directory (not recursive, in name order) to the
 * target's LLVMFuzzerTestOneInput, from a heap block of exactly the file's
 * size so an overread shows under ASan. It lets `make test` run the corpora
 * with gcc, without libFuzzer. A crash kills the process (the sanitizers or
 * the target's own checks abort); reaching the end means there was none.
 * Exit 0 when done, 1 when out of memory, 2 on a bad argument, an unreadable
 * directory or file, or a directory without a single input: an empty or
 * missing corpus would otherwise pass without testing anything.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_OK     0
#define REPLAY_NOMEM  1
#define REPLAY_BADARG 2

struct replay_names {
	char **v; /* owned, each entry owned */
	size_t n;
	size_t cap;
};

static void replay_names_free(struct replay_names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	pf_free(&ns->v);
	ns->n = ns->cap = 0;
}

static int replay_names_add(struct replay_names *ns, const char *name)
{
	size_t len = strlen(name);
	char *copy;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap != 0 ? ns->cap * 2 : 64;
		char **v = realloc(ns->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, name, len + 1);
	ns->v[ns->n++] = copy;
	return 0;
}

static int replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Reads <path> into a new heap block of exactly its size (<*out> may be NULL
 * for an empty file). Returns REPLAY_OK, or an exit code after printing why.
 */
static int replay_read(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	uint8_t *buf = NULL;
	size_t size;
	int ret = REPLAY_BADARG;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		goto io_err;
	if (fstat(fileno(f), &sb) == -1)
		goto io_err;
	size = (size_t)sb.st_size;
	buf = malloc(size);
	if (buf == NULL && size > 0) {
		(void)fprintf(stderr, "replay: %s: out of memory\n", path);
		ret = REPLAY_NOMEM;
		goto out;
	}
	if (size > 0 && fread(buf, 1, size, f) != size) {
		(void)fprintf(stderr, "replay: %s: short read\n", path);
		goto out;
	}
	if (getc(f) != EOF) {
		(void)fprintf(stderr, "replay: %s: file changed while read\n", path);
		goto out;
	}
	*out = buf;
	*len = size;
	buf = NULL;
	ret = REPLAY_OK;
	goto out;

io_err:
	(void)fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
out:
	free(buf);
	if (f != NULL)
		(void)fclose(f); /* read-only: nothing to lose */
	return ret;
}

/* Runs every regular file of <dir>; adds the number run to <*count>. */
static int replay_dir(const char *dir, size_t *count)
{
	struct replay_names ns = {NULL, 0, 0};
	struct dirent *de;
	char *path = NULL;
	DIR *d;
	size_t i;
	int ret = REPLAY_NOMEM;

	d = opendir(dir);
	if (d == NULL) {
		(void)fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return REPLAY_BADARG;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (replay_names_add(&ns, de->d_name) == -1)
			goto nomem;
		errno = 0;
	}
	if (errno != 0) {
		(void)fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		ret = REPLAY_BADARG;
		goto out;
	}
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(*ns.v), replay_cmp);

	for (i = 0; i < ns.n; i++) {
		size_t plen = strlen(dir) + 1 + strlen(ns.v[i]) + 1;
		struct stat sb;
		uint8_t *buf;
		size_t len;
		int r;

		free(path);
		path = malloc(plen);
		if (path == NULL)
			goto nomem;
		(void)snprintf(path, plen, "%s/%s", dir, ns.v[i]);
		if (stat(path, &sb) == -1) {
			(void)fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
			ret = REPLAY_BADARG;
			goto out;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		r = replay_read(path, &buf, &len);
		if (r != REPLAY_OK) {
			ret = r;
			goto out;
		}
		(void)LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		(*count)++;
	}
	ret = REPLAY_OK;
	goto out;

nomem:
	(void)fprintf(stderr, "replay: %s: out of memory\n", dir);
out:
	free(path);
	replay_names_free(&ns);
	(void)closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i;

	if (argc < 2) {
		(void)fprintf(stderr, "usage: %s DIR...\n", argv[0]);
		return REPLAY_BADARG;
	}
	for (i = 1; i < argc; i++) {
		size_t before = count;
		int r = replay_dir(argv[i], &count);

		if (r != REPLAY_OK)
			return r;
		if (count == before) {
			(void)fprintf(stderr,
			              "replay: %s: no inputs (an empty corpus tests nothing)\n",
			              argv[i]);
			return REPLAY_BADARG;
		}
	}
	(void)printf("replay: %zu inputs, 0 crashes\n", count);
	return REPLAY_OK;
}
