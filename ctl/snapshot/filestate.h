/* SPDX-License-Identifier: MIT */
/*
 * The files target's resume record: which files of a snapshot directory
 * already have their object, so that a publish killed halfway does not
 * send them again on its next run. One file in the state directory per
 * snapshot directory (named by the sha256 of its URL, ".files"), lines as
 * ctl/snapshot/mpstate.h describes, one appended (one write()) after S3
 * acknowledged each object. Why a local record and not the object's own
 * metadata: the sha256 of a file sent by multipart upload is known only
 * after its last part, too late for its x-amz-meta header, unless the file
 * is read twice; the record is written only after S3 said yes, and the
 * rerun still asks S3 (HEAD) that the object is there at that size.
 * A large file cut off mid-way resumes by its parts (ctl/snapshot/mpwrite.h).
 */
#ifndef PF_CTL_SNAPSHOT_FILESTATE_H
#define PF_CTL_SNAPSHOT_FILESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/db/sha256.h"

struct filestate;

/*
 * Opens the record for the snapshot directory whose URL is <url> under
 * <state_dir> (made 0700 when missing), reading what an earlier run left.
 * Returns it, or NULL with the reason in <err>.
 */
struct filestate *filestate_open(const char *state_dir, const char *url, char *err, size_t errlen);

/* The sha256 recorded for <rel> with size <size>, or NULL. */
const char *filestate_find(const struct filestate *fs, const char *rel, uint64_t size);

/* Appends that <rel> of <size> bytes and <sha_hex> has its object. 0, or -1 with <err>. */
PF_MUSTCHECK int filestate_add(struct filestate *fs, const char *rel, uint64_t size,
                               const char sha_hex[SHA256_HEX_LEN + 1], char *err, size_t errlen);

/* Closes <fs>; removes its file when <done> (every object is up). NULL is fine. */
void filestate_free(struct filestate *fs, bool done);

#endif
