/* SPDX-License-Identifier: MIT */
/*
 * The uncompressed target of `snapshot publish` (s3_files): the base path
 * walked (walk.h, the same excludes as the tar), every file uploaded as an
 * object of its own under "<snapshot dir>/files/<path>", its sha256
 * computed in the same read, then the two lists (filelist.h) files.txt and
 * SHA256SUMS next to the directory (docs/snapshot-format.md). A file below
 * the part size goes in one PUT from one buffer; a larger one by multipart
 * upload (mpwrite.h), so memory is two part-size buffers whatever the
 * file's size. The paths and sums of all files are held until the lists are
 * written (about 100 bytes a file). Directories are not objects: an empty
 * directory is not in the snapshot. Blocks.
 */
#ifndef PF_CTL_SNAPSHOT_PUBFILES_H
#define PF_CTL_SNAPSHOT_PUBFILES_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/exclude.h"
#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/mpwrite.h"
#include "ctl/snapshot/s3.h"

#define PUBFILES_NAME      "files"
#define PUBFILES_FILE_LIST "files.txt"
#define PUBFILES_SUMS      "SHA256SUMS"

/*
 * Uploads the tree under <base> less what <ex> excludes through <c> under
 * <dir> (the snapshot's directory, ending in '/'), files of <mo>'s part
 * size or more by multipart upload as <mo> says (part size, parallel).
 * With <mo>'s state directory, each file sent is recorded
 * (ctl/snapshot/filestate.h), so a rerun after a kill does not send again a
 * file whose bytes and object are unchanged. Fills <a> (the manifest's
 * files artifact: size, the sha256 of SHA256SUMS, the names) and
 * <*nfiles>. Returns 0, or -1 with the path and the reason in <err>;
 * objects already written are left to the caller (a snapshot with no
 * manifest.json is not one a reader sees).
 */
PF_MUSTCHECK int pubfiles_upload(struct s3_client *c, const char *dir, const char *base,
                                 const struct exclude_set *ex, const struct mpw_opts *mo,
                                 struct manifest_artifact *a, uint64_t *nfiles, char *err,
                                 size_t errlen);

#endif
