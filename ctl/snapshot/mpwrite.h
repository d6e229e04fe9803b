/* SPDX-License-Identifier: MIT */
/*
 * A stream written to one S3 object by multipart upload, for the tar
 * target and the files target's large files: bytes fill a part buffer and
 * each full part is handed to one of <parallel> upload threads, each with
 * its own s3_client (s3_dup: a curl handle is never shared). Threads and
 * blocking easy handles rather than one curl multi handle: s3.c's retries
 * and back-off are per request and blocking, and a part is seconds of
 * transfer, so <parallel> threads cost nothing next to it and keep one
 * request path. Memory is (parallel + 1) parts: one filling, one per
 * thread. With parallel 1 no thread starts and each part goes up in the
 * caller's thread before more is taken. ETags are kept by part number, so
 * the completion lists them in order whatever order the parts finish in.
 * The first part that fails (after s3.c's retries) fails the writer: no
 * further part starts, the ones in flight finish, mpw_write/mpw_finish
 * return that part's error.
 *
 * Resume: with a state directory, the writer keeps a state file per object
 * (ctl/snapshot/mpstate.h) naming the upload and each part sent with its
 * sha256. A writer opened again for the same object with the same part
 * size finds it and continues that upload: the stream is produced again
 * (the packer's output is the same for the same tree), each part whose
 * size and sha256 match the record is not sent again, any other part is
 * sent, replacing what that part number held. The completion lists only
 * parts whose bytes were just checked, so a tree that changed since gives
 * the new bytes, not a mix. Where ListParts works (AWS) the recorded parts
 * are checked against it first (a part it does not list with the same
 * size and ETag is sent again; 404 NoSuchUpload starts a new upload);
 * where it is not implemented (s3rver: 405) the record is trusted, and a
 * part or the completion answering NoSuchUpload or InvalidPart marks the
 * writer gone (mpw_stats): mpw_free removes the state file, and the caller
 * may start over (publish does, once). The file goes once the object is
 * complete.
 *
 * A writer dropped before mpw_finish() aborts its upload, unless it has a
 * state file: then the upload is kept for the next run to resume. When the
 * abort fails (s3rver answers 405), or nobody resumes, the bucket's
 * lifecycle rule aborts incomplete uploads after 3 days (terraform/README.md,
 * abort_multipart_days).
 */
#ifndef PF_CTL_SNAPSHOT_MPWRITE_H
#define PF_CTL_SNAPSHOT_MPWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/s3.h"

#define MPW_PARTS_MAX    10000 /* S3's limit of parts per upload */
#define MPW_PARALLEL_MAX 64

struct mpw_opts {
	size_t part_size;      /* 5 MiB..5 GiB for S3 */
	unsigned parallel;     /* parts in flight, 1..MPW_PARALLEL_MAX; 0 means 1 */
	const char *state_dir; /* where state files live (made 0700), NULL: no resume */
	/*
	 * The most bytes the stream may hold, 0: no limit. The part size was
	 * chosen from it (partsize.h): a stream longer than its bound is an
	 * internal error, refused at the byte that passes it rather than at
	 * part 10,001 hours later.
	 */
	uint64_t max_bytes;
};

/* What a writer did, for the caller's log. */
struct mpw_stats {
	unsigned parts;   /* in the object */
	unsigned sent;    /* uploaded by this writer */
	unsigned skipped; /* found already uploaded by an earlier run */
	bool resumed;     /* an earlier run's upload was continued */
	bool gone;        /* ...and S3 no longer had it: its state file goes at mpw_free */
};

struct mpw;

/*
 * Initiates (or, see above, resumes) the upload of <key> through <c>
 * (borrowed: it must outlive the writer; the threads use copies) as <o>
 * says. Returns the writer, or NULL with the reason in <err>.
 */
struct mpw *mpw_open(struct s3_client *c, const char *key, const struct mpw_opts *o, char *err,
                     size_t errlen);

/* Takes <len> bytes; pack_write_cb_fn's signature, <ctx> the writer. 0, or -1 with <err>. */
PF_MUSTCHECK int mpw_write(void *ctx, const void *p, size_t len, char *err, size_t errlen);

/*
 * Uploads the last part, waits for every part and completes the object;
 * its size into <*size>. 0, or -1 with <err>.
 */
PF_MUSTCHECK int mpw_finish(struct mpw *w, uint64_t *size, char *err, size_t errlen);

/* mkdir -p <dir>, the last component 0700 (its files name uploads in progress). 0 or -1. */
PF_MUSTCHECK int mpw_make_state_dir(const char *dir, char *err, size_t errlen);

/* What <w> did so far. */
void mpw_get_stats(struct mpw *w, struct mpw_stats *out);

/*
 * Stops the threads (after the parts in flight), frees <w>; an upload not
 * completed is aborted first unless it has a state file. Returns 0, or -1
 * when the abort failed or the upload was kept (<err> says which). NULL is
 * fine.
 */
int mpw_free(struct mpw *w, char *err, size_t errlen);

#endif
