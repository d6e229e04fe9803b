/* SPDX-License-Identifier: MIT */
/*
 * `snapshot fetch --from ipfs`: where an artifact's bytes are on an IPFS
 * HTTP gateway. The fetch reads the artifact as objects under the key
 * prefix "<snapshot dir>/<name>" (the tar is that key, a file of the files
 * artifact "<prefix>/<path>"); their copies on IPFS are "ipfs/<cid>" and
 * "ipfs/<cid>/<path>" under the gateway (the path gateway of the IPFS HTTP
 * Gateway spec, /ipfs/<cid>[/<path>]). Pure.
 */
#ifndef PF_CTL_SNAPSHOT_IPFS_GW_H
#define PF_CTL_SNAPSHOT_IPFS_GW_H

#include <stddef.h>

#include "common/compiler.h"

/*
 * When <key> is <prefix> itself or below "<prefix>/", writes its gateway
 * path "ipfs/<cid>" or "ipfs/<cid>/<rest>" into <out> and returns 1; 0 when
 * <key> is outside <prefix> (a document read from the usual source); -1 when
 * <out> is too small or <prefix> is empty.
 */
PF_MUSTCHECK int ipfs_gw_key(const char *prefix, const char *cid, const char *key, char *out,
                             size_t cap);

#endif
