/* SPDX-License-Identifier: MIT */
/*
 * `snapshot fetch --config FILE`: where to read from, taken from the
 * config's "snapshot" section (snapcfg.h) so that the publisher's own host,
 * or anyone given its file, need not repeat the bucket, region, endpoint,
 * prefix or CDN URL. Pure: a parsed section in, strings out; the command
 * line (fetch.c) lets its own flags win over what this gives.
 */
#ifndef PF_CTL_SNAPSHOT_FETCHCFG_H
#define PF_CTL_SNAPSHOT_FETCHCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "ctl/snapshot/snapcfg.h"

/* What a source needs; "" where the config has nothing. */
struct fetchcfg_src {
	char bucket[SNAPCFG_BUCKET_MAX + 1];
	char region[SNAPCFG_REGION_MAX + 1];
	char endpoint[SNAPCFG_URL_MAX + 1];
	char prefix[SNAPCFG_PREFIX_MAX + 1];
	/* --from cdn: the target's cdn_url, then '/' and its prefix when it has one. */
	char url[SNAPCFG_URL_MAX + SNAPCFG_PREFIX_MAX + 2];
};

/*
 * Fills <out> for `--from s3` (<cdn> false) or `--from cdn` (<cdn> true)
 * from <cfg>. The target: for s3, s3_files (the requester-pays bucket), or
 * s3_tar when <want_tar> or when s3_files is absent; for cdn, s3_tar, or
 * s3_files when only it is configured. Returns 0, or -1 with the reason in
 * <err> (no target at all; --from cdn and the target has no cdn_url).
 */
PF_MUSTCHECK int fetchcfg_pick(const struct snapcfg *cfg, bool cdn, bool want_tar,
                               struct fetchcfg_src *out, char *err, size_t errlen);

#endif
