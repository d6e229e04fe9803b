/* SPDX-License-Identifier: MIT */
/*
 * The upper bound of the zstd tar pack.h will make of a tree, from a walk
 * that reads no file: the same walk (walk.h: the same exclusions, the same
 * order) pack_tree takes, each entry's tar size bounded by partsize.h, then
 * zstd's worst case over the sum. publish sizes the tar's multipart parts
 * from it before the first byte goes up. A file that grows between this
 * walk and the pack's is caught by the upload's own check (mpwrite.h,
 * max_bytes), not trusted.
 */
#ifndef PF_CTL_SNAPSHOT_TARBOUND_H
#define PF_CTL_SNAPSHOT_TARBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/exclude.h"

struct tarbound {
	uint64_t tar;   /* the uncompressed tar, at most */
	uint64_t zst;   /* ... and compressed */
	uint64_t files; /* taken by the walk */
};

/*
 * Walks <base> leaving out what <ex> (may be NULL) excludes, filling <b>.
 * Returns 0, or -1 with the walk's reason in <err>.
 */
PF_MUSTCHECK int tarbound_tree(const char *base, const struct exclude_set *ex, struct tarbound *b,
                               char *err, size_t errlen);

#endif
