/* SPDX-License-Identifier: MIT */
/*
 * A client of an IPFS node's HTTP API (js-ipfs or Kubo) for the snapshot
 * commands: /api/v0/add of a tree (the files form, wrapped in a directory)
 * or of one stream (the tar.zst form), CIDv1 with raw leaves and base32
 * text, pinned; /api/v0/cat to read a CID back. The request body is a
 * multipart/form-data built by libcurl's mime API, each file's bytes read
 * by a callback while curl sends them, so memory holds names, never
 * contents. The answer is read by ipfs_add_parse.c. Every call blocks until
 * done; never logs. No retries: an add that fails is redone whole (the
 * node deduplicates blocks it already has).
 */
#ifndef PF_CTL_SNAPSHOT_IPFS_H
#define PF_CTL_SNAPSHOT_IPFS_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/exclude.h"
#include "ctl/snapshot/ipfs_add_parse.h"

struct ipfs_cfg {
	const char *api;         /* "http://127.0.0.1:5001": the API's base, no trailing '/' */
	long connect_timeout_ms; /* 0 means 10000 */
	long timeout_ms;         /* whole request; 0: none (a big add takes long) */
};

/* The outcome of one call. */
struct ipfs_status {
	long http;                   /* 0 when no answer came */
	uint64_t entries;            /* lines of an add's answer */
	uint64_t sent;               /* content bytes read from files or the fd */
	char root[IPFS_CID_LEN + 1]; /* an add's root CID, "" on failure */
	char err[512];               /* a readable reason, "" on success */
};

/*
 * Adds the tree under <base> as one directory: every directory and regular
 * file the walk (walk.h) takes, with <ex>'s exclusions (may be NULL: the
 * built-in ones), each a part named by its path relative to <base>.
 * <on_entry> (may be NULL) sees each line of the answer. Returns 0 with
 * the wrapping directory's CID in st->root, or -1 with st->err (the walk's
 * refusal, a file changed while sent, the node's error, a bad answer).
 */
PF_MUSTCHECK int ipfs_add_tree(const struct ipfs_cfg *cfg, const char *base,
                               const struct exclude_set *ex, ipfs_add_entry_cb_fn on_entry,
                               void *ctx, struct ipfs_status *st);

/*
 * Adds the bytes read from <fd> to its end (a file, or a pipe fed by the
 * packer) as one file named <name>. <size> is the exact length, or -1 when
 * it is not known (the body is then sent chunked). Returns 0 with the
 * file's CID in st->root, or -1 with st->err.
 */
PF_MUSTCHECK int ipfs_add_fd(const struct ipfs_cfg *cfg, const char *name, int fd, int64_t size,
                             struct ipfs_status *st);

/*
 * Unpins <cid> (recursively) on the node: /api/v0/pin/rm. Returns 0 when it
 * was unpinned, 1 when the node says it was not pinned (js-ipfs: "<cid> is
 * not pinned" or "... is pinned indirectly under ..."; Kubo: "not pinned or
 * pinned indirectly"), -1 with st->err on any other failure.
 */
PF_MUSTCHECK int ipfs_pin_rm(const struct ipfs_cfg *cfg, const char *cid, struct ipfs_status *st);

/* Called with each piece of a cat's body; 0, or -1 to stop. */
typedef int (*ipfs_data_cb_fn)(const uint8_t *p, size_t len, void *arg);

/*
 * Reads <path> ("<cid>" or "<cid>/<relative path>") from the node, each
 * piece to <cb>. Returns 0 or -1 with st->err.
 */
PF_MUSTCHECK int ipfs_cat(const struct ipfs_cfg *cfg, const char *path, ipfs_data_cb_fn cb,
                          void *arg, struct ipfs_status *st);

#endif
