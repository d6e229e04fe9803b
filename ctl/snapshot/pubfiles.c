/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/pubfiles.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/filelist.h"
#include "ctl/snapshot/filestate.h"
#include "ctl/snapshot/mpwrite.h"
#include "ctl/snapshot/partsize.h"
#include "ctl/snapshot/walk.h"

#define READ_SIZE (1024 * 1024) /* one read of a large file */

struct file_rec {
	char *rel;
	char sha256[FILELIST_SHA256_HEX + 1];
};

struct up {
	struct s3_client *c;
	const char *dir;
	const struct mpw_opts *mo;
	size_t part_size;
	uint8_t *buf; /* part_size bytes: a whole small file, or one read of a large one */
	EVP_MD_CTX *md;
	struct file_rec *f;
	size_t n, cap;
	uint64_t bytes;
	struct filestate *fs; /* NULL without a state directory */
};

/* Reads <fd> to its end into <buf>/<cap>; the count into <*got>. -1 on an error or past <cap>. */
static int read_all(int fd, uint8_t *buf, size_t cap, size_t *got)
{
	size_t off = 0;

	for (;;) {
		ssize_t r = read(fd, buf + off, cap - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		off += (size_t)r;
		if (off == cap) {
			uint8_t one;

			/* Full: only fine when nothing follows. */
			r = read(fd, &one, 1);
			if (r != 0)
				return -1;
			break;
		}
	}
	*got = off;
	return 0;
}

/* A file below the part size: read whole, hashed, one PUT. */
static int put_small(struct up *u, const struct walk_entry *e, const char *key, char *hex,
                     char *err, size_t errlen)
{
	struct s3_status st;
	uint8_t dg[SHA256_LEN];
	unsigned dl = 0;
	size_t got;

	if (read_all(e->fd, u->buf, u->part_size, &got) == -1 || got != e->size) {
		(void)snprintf(err, errlen, "%s: read failed or the file changed while read",
		               e->rel);
		return -1;
	}
	/* EVP, as put_large: ctl/db/sha256.c is an order of magnitude slower. */
	if (EVP_Digest(u->buf, got, dg, &dl, EVP_sha256(), NULL) != 1 || dl != SHA256_LEN) {
		(void)snprintf(err, errlen, "%s: sha256 failed", e->rel);
		return -1;
	}
	sha256_digest_hex(dg, hex);
	if (s3_put(u->c, key, u->buf, got, NULL, &st) == -1) {
		(void)snprintf(err, errlen, "PUT %.200s: %s", key, st.err);
		return -1;
	}
	return 0;
}

/* A file of the part size or more: read in READ_SIZE pieces, each hashed and handed to mpwrite. */
static int put_large(struct up *u, const struct walk_entry *e, const char *key, char *hex,
                     char *err, size_t errlen)
{
	struct mpw_opts mo = *u->mo;
	uint8_t dg[SHA256_LEN];
	unsigned int dl = 0;
	uint64_t total = 0, size = 0, part;
	char why[512];
	struct mpw *w;
	int rc = 0;

	if (EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1) {
		(void)snprintf(err, errlen, "%s: sha256 failed", e->rel);
		return -1;
	}
	/* The size is known: parts large enough that 10,000 hold it (partsize.h). */
	if (partsize_choose(e->size, mo.part_size, &part, why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", e->rel, why);
		return -1;
	}
	mo.part_size = (size_t)part;
	mo.max_bytes = e->size;
	w = mpw_open(u->c, key, &mo, err, errlen);
	if (w == NULL)
		return -1;
	for (;;) {
		size_t want = u->part_size < READ_SIZE ? u->part_size : READ_SIZE;
		ssize_t r = read(e->fd, u->buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			(void)snprintf(err, errlen, "%s: read: %s", e->rel, strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0)
			break;
		total += (uint64_t)r;
		/* Before mpwrite sees it: past the size, the stream passes the writer's bound. */
		if (total > e->size) {
			(void)snprintf(err, errlen, "%s: the file changed size while read", e->rel);
			rc = -1;
			break;
		}
		if (EVP_DigestUpdate(u->md, u->buf, (size_t)r) != 1) {
			(void)snprintf(err, errlen, "%s: sha256 failed", e->rel);
			rc = -1;
			break;
		}
		if (mpw_write(w, u->buf, (size_t)r, err, errlen) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && total != e->size) {
		(void)snprintf(err, errlen, "%s: the file changed size while read", e->rel);
		rc = -1;
	}
	if (rc == 0 && (EVP_DigestFinal_ex(u->md, dg, &dl) != 1 || dl != SHA256_LEN)) {
		(void)snprintf(err, errlen, "%s: sha256 failed", e->rel);
		rc = -1;
	}
	if (rc == 0)
		rc = mpw_finish(w, &size, err, errlen);
	if (mpw_free(w, why, sizeof(why)) == -1 && rc == -1) {
		size_t n = strlen(err);

		(void)snprintf(err + n, errlen - n, "; %s", why);
	}
	if (rc == 0)
		sha256_digest_hex(dg, hex);
	return rc;
}

/*
 * A file an earlier run recorded as sent with <was> as its sha256: hashed
 * again, and when it is the same and S3 still has its object at that
 * size, <*up> is set and its sha256 goes to <hex>. Otherwise the file is
 * rewound for its upload.
 */
static int already_up(struct up *u, const struct walk_entry *e, const char *key, const char *was,
                      char *hex, bool *up, char *err, size_t errlen)
{
	uint8_t dg[SHA256_LEN];
	unsigned int dl = 0;
	struct s3_status st;
	uint64_t size = 0;
	ssize_t r;

	*up = false;
	if (EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1)
		goto fail;
	while ((r = read(e->fd, u->buf, u->part_size < READ_SIZE ? u->part_size : READ_SIZE)) !=
	       0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || EVP_DigestUpdate(u->md, u->buf, (size_t)r) != 1)
			goto fail;
	}
	if (EVP_DigestFinal_ex(u->md, dg, &dl) != 1 || dl != SHA256_LEN)
		goto fail;
	sha256_digest_hex(dg, hex);
	if (strcmp(hex, was) == 0 && s3_head(u->c, key, &size, &st) == 0 && size == e->size)
		*up = true;
	if (!*up && lseek(e->fd, 0, SEEK_SET) == -1)
		goto fail;
	return 0;
fail:
	(void)snprintf(err, errlen, "%s: read or sha256 failed", e->rel);
	return -1;
}

static int on_entry(void *ctx, const struct walk_entry *e, char *err, size_t errlen)
{
	struct up *u = ctx;
	char key[S3_KEY_MAX];
	enum safepath_reason sp;
	enum filelist_reason fr;
	struct file_rec *f;
	int n;

	if (e->is_dir)
		return 0;
	/* Refused before its upload: a name the lists cannot hold is not sent at all. */
	fr = filelist_check_path(e->rel, strlen(e->rel), &sp);
	if (fr != FILELIST_OK) {
		(void)snprintf(err, errlen, "%s: %s%s%s", e->rel, filelist_reason_text(fr),
		               fr == FILELIST_UNSAFE ? ": " : "",
		               fr == FILELIST_UNSAFE ? safepath_reason_text(sp) : "");
		return -1;
	}
	n = snprintf(key, sizeof(key), "%s" PUBFILES_NAME "/%s", u->dir, e->rel);
	if (n < 0 || (size_t)n >= sizeof(key)) {
		(void)snprintf(err, errlen, "%.200s...: the object key would pass %d bytes", e->rel,
		               S3_KEY_MAX - 1);
		return -1;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 256;
		struct file_rec *nf = realloc(u->f, cap * sizeof(*nf));

		if (nf == NULL) {
			(void)snprintf(err, errlen, "out of memory");
			return -1;
		}
		u->f = nf;
		u->cap = cap;
	}
	f = &u->f[u->n];
	f->rel = strdup(e->rel);
	if (f->rel == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	{
		const char *was = u->fs != NULL ? filestate_find(u->fs, e->rel, e->size) : NULL;
		bool up = false;

		if ((was != NULL &&
		     already_up(u, e, key, was, f->sha256, &up, err, errlen) == -1) ||
		    (!up && (e->size < u->part_size ? put_small : put_large)(u, e, key, f->sha256,
		                                                             err, errlen) == -1) ||
		    (!up && u->fs != NULL &&
		     filestate_add(u->fs, e->rel, e->size, f->sha256, err, errlen) == -1)) {
			free(f->rel);
			return -1;
		}
	}
	u->n++;
	u->bytes += e->size;
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct file_rec *)a)->rel, ((const struct file_rec *)b)->rel);
}

/* Builds one of the two lists of <u>'s files into a new buffer (<*len> bytes), or NULL. */
static char *build_list(const struct up *u, int sums, size_t *len, char *err, size_t errlen)
{
	size_t cap = 1, off = 0;
	char *out;

	for (size_t i = 0; i < u->n; i++)
		cap += strlen(u->f[i].rel) + FILELIST_SHA256_HEX + 3;
	out = malloc(cap);
	if (out == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < u->n; i++) {
		struct filelist_entry e = {.path = u->f[i].rel, .len = strlen(u->f[i].rel)};
		struct filelist_error fe = {0};
		const char *prev = i ? u->f[i - 1].rel : NULL;

		memcpy(e.sha256, u->f[i].sha256, sizeof(e.sha256));
		if (filelist_append(out, cap, &off, sums, &e, prev, prev ? strlen(prev) : 0, &fe) ==
		    -1) {
			(void)snprintf(err, errlen, "%s: %s", u->f[i].rel,
			               filelist_reason_text(fe.reason));
			free(out);
			return NULL;
		}
	}
	*len = off;
	return out;
}

static int put_list(struct up *u, const char *name, const char *text, size_t len, char *err,
                    size_t errlen)
{
	char key[S3_KEY_MAX];
	struct s3_status st;

	(void)snprintf(key, sizeof(key), "%s%s", u->dir, name);
	if (s3_put(u->c, key, (const uint8_t *)text, len, NULL, &st) == -1) {
		(void)snprintf(err, errlen, "PUT %.200s: %s", key, st.err);
		return -1;
	}
	return 0;
}

int pubfiles_upload(struct s3_client *c, const char *dir, const char *base,
                    const struct exclude_set *ex, const struct mpw_opts *mo,
                    struct manifest_artifact *a, uint64_t *nfiles, char *err, size_t errlen)
{
	struct up u = {.c = c, .dir = dir, .mo = mo, .part_size = mo->part_size};
	char *list = NULL, *sums = NULL;
	size_t list_len = 0, sums_len = 0;
	int rc = 0;

	if (mo->state_dir != NULL) {
		char url[2048];

		if (s3_url(c, dir, url, sizeof(url)) == -1) {
			(void)snprintf(err, errlen, "%.200s: URL too long", dir);
			return -1;
		}
		u.fs = filestate_open(mo->state_dir, url, err, errlen);
		if (u.fs == NULL)
			return -1;
	}
	u.buf = malloc(u.part_size);
	u.md = EVP_MD_CTX_new();
	if (u.buf == NULL || u.md == NULL) {
		(void)snprintf(err, errlen, "out of memory for a %zu-byte part", u.part_size);
		rc = -1;
	}
	if (rc == 0)
		rc = walk_tree(base, ex, on_entry, &u, NULL, err, errlen);
	if (rc == 0) {
		/* The walk sorts each directory, not whole paths ("a/b" comes before "a-c"). */
		qsort(u.f, u.n, sizeof(*u.f), cmp_rec);
		list = build_list(&u, 0, &list_len, err, errlen);
		sums = list ? build_list(&u, 1, &sums_len, err, errlen) : NULL;
		rc = sums == NULL ? -1 : 0;
	}
	if (rc == 0)
		rc = put_list(&u, PUBFILES_FILE_LIST, list, list_len, err, errlen);
	if (rc == 0)
		rc = put_list(&u, PUBFILES_SUMS, sums, sums_len, err, errlen);
	if (rc == 0) {
		memset(a, 0, sizeof(*a));
		a->kind = MANIFEST_KIND_FILES;
		(void)snprintf(a->name, sizeof(a->name), PUBFILES_NAME);
		(void)snprintf(a->file_list, sizeof(a->file_list), PUBFILES_FILE_LIST);
		(void)snprintf(a->sums, sizeof(a->sums), PUBFILES_SUMS);
		a->size = u.bytes;
		sha256_hex((const uint8_t *)sums, sums_len, a->sha256);
		*nfiles = u.n;
	}
	for (size_t i = 0; i < u.n; i++)
		free(u.f[i].rel);
	free(u.f);
	free(list);
	free(sums);
	free(u.buf);
	EVP_MD_CTX_free(u.md);
	filestate_free(u.fs, rc == 0);
	return rc;
}
