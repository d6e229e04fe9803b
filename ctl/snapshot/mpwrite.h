/* SPDX-License-Identifier: MIT */
/*
 * A stream written to one S3 object by multipart upload, for the tar
 * target and the files target's large files: bytes fill a part buffer,
 * each full part is uploaded before more is taken, so memory is one part
 * (part_size) whatever the object's size.
 * One part in flight: the `parallel` setting is not used yet. Retries are
 * s3.c's. A writer that is dropped before mpw_finish() aborts its upload;
 * when the abort itself fails (s3rver answers 405), the upload is left to
 * the bucket's lifecycle rule, which aborts incomplete uploads after 3 days
 * (terraform/README.md, abort_multipart_days), and the caller is told.
 */
#ifndef PF_CTL_SNAPSHOT_MPWRITE_H
#define PF_CTL_SNAPSHOT_MPWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/s3.h"

#define MPW_PARTS_MAX 10000 /* S3's limit of parts per upload */

struct mpw;

/*
 * Initiates the upload of <key> through <c> (borrowed: it must outlive the
 * writer) with parts of <part_size> bytes (5 MiB..5 GiB for S3). Returns
 * the writer, or NULL with the reason in <err>.
 */
struct mpw *mpw_open(struct s3_client *c, const char *key, size_t part_size, char *err,
                     size_t errlen);

/* Takes <len> bytes; pack_write_cb_fn's signature, <ctx> the writer. 0, or -1 with <err>. */
PF_MUSTCHECK int mpw_write(void *ctx, const void *p, size_t len, char *err, size_t errlen);

/* Uploads the last part and completes the object; its size into <*size>. 0, or -1 with <err>. */
PF_MUSTCHECK int mpw_finish(struct mpw *w, uint64_t *size, char *err, size_t errlen);

/*
 * Frees <w>; an upload not completed is aborted first. Returns 0, or -1 when
 * the abort failed (<err> says why and that the lifecycle rule will clean
 * it). NULL is fine.
 */
int mpw_free(struct mpw *w, char *err, size_t errlen);

#endif
