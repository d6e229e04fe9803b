/* SPDX-License-Identifier: MIT */
/*
 * Retention's side on IPFS, run by `snapshot publish` just before
 * retention deletes a place's older snapshots: reads the manifest of every
 * snapshot in the chain's directory (while they are all still there), and
 * unpins (/api/v0/pin/rm) the CIDs of the ones retention removes that no
 * kept manifest names (unpinplan.h). The node's garbage collection then
 * frees their blocks. Nothing here fails a publish: a manifest that cannot
 * be read, a node that refuses, are warnings counted in <st>; a CID the
 * node no longer has pinned counts as unpinned. Blocks.
 */
#ifndef PF_CTL_SNAPSHOT_PUBUNPIN_H
#define PF_CTL_SNAPSHOT_PUBUNPIN_H

#include <stdint.h>

#include "ctl/snapshot/s3.h"
#include "ctl/snapshot/snapcfg.h"

struct pubunpin_stats {
	unsigned unpinned; /* CIDs no longer pinned (this run's pin/rm, or already so) */
	unsigned failed;   /* warnings: a CID left pinned, a manifest unread, the listing */
	char first[256];   /* the first warning's reason, "" when none */
};

/*
 * For the place of client <c> whose chain directory is <dir>
 * ("[<prefix>/]chains/<chain>/"), the snapshot just published at height
 * <current>, and cfg->retention: unpins as above on cfg->ipfs, adding to
 * <st> (several places add to one).
 */
void pubunpin_old(const struct snapcfg *cfg, struct s3_client *c, const char *dir, uint64_t current,
                  struct pubunpin_stats *st);

#endif
