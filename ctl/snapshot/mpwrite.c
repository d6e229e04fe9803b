/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/mpwrite.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mpw {
	struct s3_client *c;
	char key[S3_KEY_MAX];
	char upload_id[S3_UPLOADID_MAX];
	uint8_t *buf;
	size_t part_size, fill;
	struct s3xml_part *parts; /* MPW_PARTS_MAX entries, <n> used */
	size_t n;
	uint64_t total;
	bool done;
};

struct mpw *mpw_open(struct s3_client *c, const char *key, size_t part_size, char *err,
                     size_t errlen)
{
	struct s3_status st;
	struct mpw *w;

	if (strlen(key) >= S3_KEY_MAX || part_size == 0) {
		(void)snprintf(err, errlen, "multipart upload: bad key or part size");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w != NULL) {
		w->buf = malloc(part_size);
		w->parts = calloc(MPW_PARTS_MAX, sizeof(*w->parts));
	}
	if (w == NULL || w->buf == NULL || w->parts == NULL) {
		(void)snprintf(err, errlen, "multipart upload: out of memory for a %zu-byte part",
		               part_size);
		if (w != NULL) {
			free(w->buf);
			free(w->parts);
			free(w);
		}
		return NULL;
	}
	w->c = c;
	w->part_size = part_size;
	memcpy(w->key, key, strlen(key) + 1);
	if (s3_mpu_init(c, key, w->upload_id, &st) == -1) {
		(void)snprintf(err, errlen, "initiate %.200s: %s", key, st.err);
		free(w->buf);
		free(w->parts);
		free(w);
		return NULL;
	}
	return w;
}

static int flush_part(struct mpw *w, char *err, size_t errlen)
{
	struct s3xml_part *pt;
	struct s3_status st;

	if (w->n == MPW_PARTS_MAX) {
		(void)snprintf(err, errlen,
		               "%.200s: more than %d parts of %zu bytes; raise part_size_mb",
		               w->key, MPW_PARTS_MAX, w->part_size);
		return -1;
	}
	pt = &w->parts[w->n];
	pt->number = (int)w->n + 1;
	pt->size = w->fill;
	if (s3_mpu_part(w->c, w->key, w->upload_id, pt->number, w->buf, w->fill, pt->etag, &st) ==
	    -1) {
		(void)snprintf(err, errlen, "%.200s part %d: %s", w->key, pt->number, st.err);
		return -1;
	}
	w->n++;
	w->fill = 0;
	return 0;
}

int mpw_write(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct mpw *w = ctx;
	const uint8_t *b = p;

	while (len > 0) {
		size_t take = w->part_size - w->fill;

		if (take > len)
			take = len;
		memcpy(w->buf + w->fill, b, take);
		w->fill += take;
		w->total += take;
		b += take;
		len -= take;
		/* A full part waits for the next byte: the last part is sent by mpw_finish. */
		if (w->fill == w->part_size && len > 0 && flush_part(w, err, errlen) == -1)
			return -1;
	}
	if (w->fill == w->part_size)
		return flush_part(w, err, errlen);
	return 0;
}

int mpw_finish(struct mpw *w, uint64_t *size, char *err, size_t errlen)
{
	struct s3_status st;

	if ((w->fill > 0 || w->n == 0) && flush_part(w, err, errlen) == -1)
		return -1;
	if (s3_mpu_complete(w->c, w->key, w->upload_id, w->parts, w->n, &st) == -1) {
		(void)snprintf(err, errlen, "complete %.200s: %s", w->key, st.err);
		return -1;
	}
	w->done = true;
	*size = w->total;
	return 0;
}

int mpw_free(struct mpw *w, char *err, size_t errlen)
{
	struct s3_status st;
	int rc = 0;

	if (w == NULL)
		return 0;
	if (!w->done && s3_mpu_abort(w->c, w->key, w->upload_id, &st) == -1) {
		(void)snprintf(err, errlen,
		               "abort the upload of %.200s: %s; the bucket's lifecycle rule "
		               "(abort_multipart_days) removes its parts",
		               w->key, st.err);
		rc = -1;
	}
	free(w->buf);
	free(w->parts);
	free(w);
	return rc;
}
