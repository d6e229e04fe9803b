/* SPDX-License-Identifier: MIT */
/*
 * Reads what an IPFS node's HTTP API answers to /api/v0/add: one JSON
 * object per line (NDJSON), {"Name", "Hash", "Size"} for every file and
 * directory added (js-ipfs adds "Mode" to directories; its "Size" is a
 * number, Kubo's the same integer in a decimal string: both are read), the root last;
 * {"Message", "Code", "Type": "error"} is the body of a refusal (HTTP 500)
 * and the X-Stream-Error trailer of a failure part way. Strict: unknown and duplicate keys, a
 * name that safepath.h refuses, a Hash that is not a CIDv1 of the one shape
 * docs/snapshot-format.md allows, and a line longer than IPFS_LINE_MAX are
 * errors, so a manifest never records a CID the reader would refuse.
 * Pure: no I/O, no clock; the line buffer is the caller's struct, so memory
 * stays bounded whatever the number of lines (cJSON allocates per line).
 */
#ifndef PF_CTL_SNAPSHOT_IPFS_ADD_PARSE_H
#define PF_CTL_SNAPSHOT_IPFS_ADD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/safepath.h"

#define IPFS_SHA256_LEN 32
/* "b" and the base32 (RFC 4648, lower case, no padding) of 36 bytes. */
#define IPFS_CID_LEN    59
#define IPFS_LINE_MAX   (SAFEPATH_PATH_MAX + 1024) /* a name at its limit, and the rest */

/* The two codecs of a CIDv1 the snapshot accepts (multicodec table). */
enum ipfs_codec {
	IPFS_CODEC_RAW = 0x55,    /* a file of one block, its bytes as they are */
	IPFS_CODEC_DAG_PB = 0x70, /* a file of several blocks, or a directory */
};

/* A CIDv1 with a sha2-256 multihash. */
struct ipfs_cid {
	enum ipfs_codec codec;
	uint8_t sha256[IPFS_SHA256_LEN];
};

/*
 * Reads the <len> bytes at <p> as a CIDv1 text: "b", base32 of
 * 0x01 <codec> 0x12 0x20 <32 bytes>, lower case, in its one canonical
 * spelling (the unused low bits of the last character zero). Returns true
 * and fills <out>, or false.
 */
bool ipfs_cid_parse(const char *p, size_t len, struct ipfs_cid *out);

/* Writes <c> as text into <out>, NUL-terminated. */
void ipfs_cid_format(const struct ipfs_cid *c, char out[IPFS_CID_LEN + 1]);

/* One line of the answer: a file or directory the node added. */
struct ipfs_add_entry {
	char name[SAFEPATH_PATH_MAX + 1]; /* "" for the wrapping directory */
	char cid[IPFS_CID_LEN + 1];
	struct ipfs_cid parsed;
	uint64_t size; /* the node's "Size": bytes of the DAG, blocks included */
};

/*
 * Parses one line (without its LF) into <e>. Returns 1 for an entry,
 * PF_EPROTO with the reason in <err> otherwise; an error object from the
 * node is PF_EPROTO too, its message quoted in <err>.
 */
PF_MUSTCHECK int ipfs_add_parse_line(const char *p, size_t len, struct ipfs_add_entry *e, char *err,
                                     size_t errlen);

/* Called for each entry, in the node's order; 0, or -1 (reason in <err>) to stop. */
typedef int (*ipfs_add_entry_cb_fn)(void *ctx, const struct ipfs_add_entry *e, char *err,
                                    size_t errlen);

/* Splits the answer into lines as it arrives. Zero it, then set the callback. */
struct ipfs_add_reader {
	ipfs_add_entry_cb_fn on_entry; /* may be NULL */
	void *ctx;
	uint64_t entries;            /* how many were read */
	struct ipfs_add_entry last;  /* the last entry: the root, once the answer is whole */
	size_t len;                  /* bytes of an unfinished line in buf */
	char buf[IPFS_LINE_MAX + 1]; /* the unfinished line */
};

/*
 * Feeds the next <len> bytes of the answer. Every complete line is parsed
 * and handed to the callback; empty lines are skipped. Returns 0, or -1
 * with the reason in <err> (a bad line, a line over IPFS_LINE_MAX, the
 * callback's own); after -1 the reader is spent.
 */
PF_MUSTCHECK int ipfs_add_feed(struct ipfs_add_reader *r, const char *p, size_t len, char *err,
                               size_t errlen);

/*
 * The answer ended. Returns 0 when it ended after a whole line and held at
 * least one entry, -1 with the reason in <err> otherwise (a cut answer).
 */
PF_MUSTCHECK int ipfs_add_finish(struct ipfs_add_reader *r, char *err, size_t errlen);

#endif
