/* SPDX-License-Identifier: MIT */
/*
 * Streams a node's base path as one zstd-compressed tar to a caller's
 * callback, with nothing staged on disk or held whole in memory: the walk
 * (walk.h) feeds libarchive, which writes the tar, libzstd compresses it
 * (in this thread, or in worker threads), and every compressed block goes
 * to the callback as soon as it is made. In the same
 * single read of each file it computes the sha256 of the file's contents
 * (the uncompressed target's checksums) and, over the output, the sha256
 * of the compressed stream (the compressed target's checksum).
 *
 * The tar is pax restricted (libarchive's "paxr"): plain ustar headers, and
 * a pax extended header only for an entry ustar cannot hold (a path over
 * ustar's 100 + 155 bytes, a file over 8 GiB; ParityDB's value tables grow
 * past that on an archive node). Owners are 0/0 with no names, mtimes in
 * whole seconds, so the bytes depend on the tree alone: the same tree packs
 * to the same bytes.
 */
#ifndef PF_CTL_SNAPSHOT_PACK_H
#define PF_CTL_SNAPSHOT_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/exclude.h"
#include "ctl/snapshot/walk.h"

#define PACK_SHA256_LEN    32
#define PACK_READ_SIZE     (1024 * 1024) /* one read of a file, and its buffer */
#define PACK_ZSTD_LEVEL    3
#define PACK_BLOCK_SIZE    (64 * 1024) /* what the write callback gets at once */
/*
 * The compressor's job size and worker threads, as publish packs. Fixed, not
 * derived from the number of CPUs: zstd's output with workers depends on the
 * job size and differs from its output without, and the same tree must pack
 * to the same bytes (PACK.md). One worker compresses while the packer's
 * thread reads, hashes and uploads: both CPUs of a small host busy, and
 * about 24 MB of memory (two workers took 33 MB, and publish, with its
 * 64 MiB part, over 100 MB: tests/bench/publish_bench.sh).
 */
#define PACK_ZSTD_JOB_SIZE (2 * 1024 * 1024)
#define PACK_ZSTD_WORKERS  1

/* Takes <len> bytes of the stream. Returns 0, or -1 with the reason in <err>. */
typedef int (*pack_write_cb_fn)(void *ctx, const void *p, size_t len, char *err, size_t errlen);

/* One file packed: its relative name, size and contents' sha256. 0, or -1 to stop. */
typedef int (*pack_file_cb_fn)(void *ctx, const char *rel, uint64_t size,
                               const uint8_t sha256[PACK_SHA256_LEN], char *err, size_t errlen);

struct pack_opts {
	const struct exclude_set *ex; /* borrowed; may be NULL (the built-in rules only) */
	int level;                    /* zstd level, 1..19; 0 means PACK_ZSTD_LEVEL */
	int threads;                  /* zstd worker threads; 0: compress in this thread */
	pack_write_cb_fn write;       /* required */
	void *write_ctx;
	pack_file_cb_fn on_file; /* may be NULL: then no file is hashed (half the CPU) */
	void *file_ctx;
};

struct pack_result {
	uint64_t bytes;                  /* the compressed stream's length */
	uint8_t sha256[PACK_SHA256_LEN]; /* ... and its sha256 */
	struct walk_stats walk;          /* files, directories, content bytes, exclusions */
};

/*
 * Packs the tree under <base> as <o> says, filling <r>. Returns 0, or -1
 * with the reason in <err> (a path first when one is at fault): the walk's
 * refusals, a file that shrank or grew while read, the write callback's
 * error, libarchive's. On -1 the stream written so far is incomplete and
 * must be discarded. Blocks: call it from a thread of its own, not the loop.
 */
PF_MUSTCHECK int pack_tree(const char *base, const struct pack_opts *o, struct pack_result *r,
                           char *err, size_t errlen);

#endif
