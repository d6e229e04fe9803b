/* SPDX-License-Identifier: MIT */
/*
 * `snapshot publish` for one chain: the pre hook, the node's finalized
 * block, then for each configured target the base path uploaded, as its
 * own files (s3_files, pubfiles.h) and as one zstd tar (s3_tar, mpwrite.h:
 * one part in memory), with snapshot.ipfs a copy of each on IPFS
 * (pubipfs.h), then manifest.json, then latest.json last in one
 * PUT, then retention; the post hook runs whenever the pre hook was
 * started, whatever failed after. Both targets in one place (bucket,
 * endpoint, region, prefix) share one manifest listing both artifacts; in
 * two places each gets a manifest listing only its own artifact. Blocks;
 * prints nothing, the caller reports <err>.
 */
#ifndef PF_CTL_SNAPSHOT_PUBLISH_H
#define PF_CTL_SNAPSHOT_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/nodehead.h"
#include "ctl/snapshot/pubunpin.h"
#include "ctl/snapshot/s3creds.h"
#include "ctl/snapshot/snapcfg.h"

struct publish_result {
	uint64_t height;
	char block_hash[NODERPC_HASH_LEN + 1]; /* "0x" + 64 hex; "" before the node was read */
	char snapshot[64];                     /* "<height>-<8 hex of the hash>" */
	uint64_t tar_bytes;                    /* the tar object's size; 0 without s3_tar */
	uint64_t tar_part_size;                /* its multipart part size (partsize.h); 0 without */
	char tar_sha256[MANIFEST_SHA256_HEX + 1];
	uint64_t files, files_bytes; /* the files artifact's count and size; 0 without s3_files */
	char files_sha256[MANIFEST_SHA256_HEX + 1]; /* of its SHA256SUMS */
	/* The IPFS copies' CIDs (pubipfs.h); "" without snapshot.ipfs or that form */
	char ipfs_files_cid[MANIFEST_CID_LEN + 1], ipfs_tar_cid[MANIFEST_CID_LEN + 1];
	unsigned deleted; /* older snapshots' objects removed by retention */
	bool skipped;     /* this block's snapshot was already published: nothing written */
	/* Their IPFS copies unpinned, and the errors (pubunpin.h) */
	struct pubunpin_stats unpin;
};

/*
 * Publishes chain <ch> of <cfg> with credentials <cr>; <tool> goes in the
 * manifest ("polkfura-ctl 0.1.0"), <now> (Unix seconds) is its "created".
 * Returns 0, or -1 with the reason in <err> (a failed post hook after a
 * good publish is an error too).
 */
PF_MUSTCHECK int publish_chain(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                               const struct s3_creds *cr, const char *tool, int64_t now,
                               struct publish_result *res, char *err, size_t errlen);

#endif
