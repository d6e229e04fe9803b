/* SPDX-License-Identifier: MIT */
/*
 * The finalized block a snapshot is taken at: chain_getFinalizedHead, then
 * chain_getHeader(<that hash>) for its number, over the node's HTTP
 * JSON-RPC. Two blocking POSTs with libcurl; the request bodies and the
 * parsing are the poller's (ctl/poll/noderpc.h), so the publisher reads a
 * node exactly as the controller does. Redirects are not followed and no
 * proxy from the environment is used.
 */
#ifndef PF_CTL_SNAPSHOT_NODEHEAD_H
#define PF_CTL_SNAPSHOT_NODEHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/poll/noderpc.h"

struct nodehead {
	uint64_t height;
	char hash[NODERPC_HASH_LEN + 1]; /* lower-case "0x" + 64 hex */
};

/*
 * Asks the node at <rpc_url> (http:// or https://) for its finalized block,
 * each request within <timeout_ms>. Returns 0, or -1 with the reason in
 * <err> ("connect: ...", "HTTP 503", "rpc error -32603 ...", "malformed: ...").
 */
PF_MUSTCHECK int nodehead_get(const char *rpc_url, long timeout_ms, struct nodehead *h, char *err,
                              size_t errlen);

#endif
