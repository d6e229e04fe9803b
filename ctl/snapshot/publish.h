/* SPDX-License-Identifier: MIT */
/*
 * `snapshot publish` for one chain, the tar target (s3_tar) only so far:
 * the pre hook, the node's finalized block, the base path packed and
 * uploaded as one zstd tar (mpwrite.h: one part in memory), then
 * manifest.json, then latest.json last in one PUT, then retention; the
 * post hook runs whenever the pre hook was started, whatever failed after.
 * The files target (s3_files) is not built yet: a config naming it alone
 * is refused here. Blocks; prints nothing, the caller reports <err>.
 */
#ifndef PF_CTL_SNAPSHOT_PUBLISH_H
#define PF_CTL_SNAPSHOT_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/nodehead.h"
#include "ctl/snapshot/s3creds.h"
#include "ctl/snapshot/snapcfg.h"

struct publish_result {
	uint64_t height;
	char block_hash[NODERPC_HASH_LEN + 1]; /* "0x" + 64 hex; "" before the node was read */
	char snapshot[64];                     /* "<height>-<8 hex of the hash>" */
	uint64_t tar_bytes;                    /* the tar object's size */
	char tar_sha256[MANIFEST_SHA256_HEX + 1];
	unsigned deleted; /* older snapshots' objects removed by retention */
	bool skipped;     /* this block's snapshot was already published: nothing written */
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
