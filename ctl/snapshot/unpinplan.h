/* SPDX-License-Identifier: MIT */
/*
 * Which IPFS copies a publish's retention unpins: the CIDs in the manifests
 * of the snapshots retention removes (below the <keep> highest heights with
 * a manifest, never the one just published: publish.c's rule), less every
 * CID a kept snapshot's manifest still names (a tree that did not change
 * between two publishes gives the same CID, and that copy must stay).
 * Pure: the caller lists the snapshots and reads their manifests.
 */
#ifndef PF_CTL_SNAPSHOT_UNPINPLAN_H
#define PF_CTL_SNAPSHOT_UNPINPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/manifest.h"

/* One snapshot with a manifest.json in the chain's directory. */
struct unpin_snap {
	uint64_t height;
	bool unread; /* its manifest could not be read or parsed: its CIDs are unknown */
	unsigned n;  /* CIDs in cid[] */
	char cid[MANIFEST_ARTIFACTS_MAX][MANIFEST_CID_LEN + 1];
};

/*
 * From the <n> snapshots <s> (any order), <keep> (>= 1) and the height just
 * published <current>: writes the CIDs to unpin, each once, into <out> (room
 * for <max>) and returns how many, or -1 with the reason in <err> when a
 * kept snapshot's manifest is unread (a CID it names cannot be told apart,
 * so nothing is unpinned) or <out> is too small. A removed snapshot whose
 * manifest is unread gives no CID (and is counted in <*unread>).
 */
PF_MUSTCHECK long unpin_plan(const struct unpin_snap *s, size_t n, unsigned keep, uint64_t current,
                             char (*out)[MANIFEST_CID_LEN + 1], size_t max, unsigned *unread,
                             char *err, size_t errlen);

#endif
