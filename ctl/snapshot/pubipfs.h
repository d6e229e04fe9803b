/* SPDX-License-Identifier: MIT */
/*
 * The IPFS target of `snapshot publish`: a copy of each artifact an S3
 * place has just uploaded, added to the node of snapshot.ipfs (ipfs.h:
 * /api/v0/add, CIDv1, raw leaves, pinned), its CID written into the
 * artifact before the place's manifest is. The files artifact becomes one
 * directory (the base path walked again with the same excludes); the tar
 * is packed again into a socket the add reads, with the S3 tar's exact
 * size, and its sha256 must equal the S3 tar's (the pack is deterministic:
 * PACK.md), else the publish fails before any manifest names the CID.
 * Blocks.
 */
#ifndef PF_CTL_SNAPSHOT_PUBIPFS_H
#define PF_CTL_SNAPSHOT_PUBIPFS_H

#include <stddef.h>

#include "common/compiler.h"
#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/snapcfg.h"

/*
 * Adds a copy of each of the <n> artifacts <a> (with their names, sizes and
 * sha256s filled) of chain <ch> to <cfg>->ipfs, and sets each one's cid,
 * copied to <files_cid> or <tar_cid> by its kind (publish_result's).
 * Returns 0, or -1 with the form and the reason in <err>.
 */
PF_MUSTCHECK int pubipfs_add(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                             struct manifest_artifact *a, unsigned n,
                             char files_cid[MANIFEST_CID_LEN + 1],
                             char tar_cid[MANIFEST_CID_LEN + 1], char *err, size_t errlen);

#endif
