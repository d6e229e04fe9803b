/* SPDX-License-Identifier: MIT */
/*
 * The multipart part size an object needs, from an upper bound of its size:
 * S3 takes at most 10,000 parts of 5 MiB to 5 GiB and an object of at most
 * 5 TiB, so a fixed part size caps the object (64 MiB: 625 GiB), and an
 * upload with too small a part fails at part 10,001, hours in. publish
 * bounds the object before the first byte goes up (for the tar, a stat
 * pass over the same walk: tarbound.h) and takes the configured part size,
 * or the smallest whole number of MiB that fits the bound in 10,000 parts
 * when that is larger. The bound of the tar follows what pack.h writes:
 * libarchive's pax restricted format, a 512-byte ustar header per entry, a
 * pax extended header only for what ustar cannot hold, the data padded to
 * 512, two zero blocks at the end; then zstd's worst case. Pure.
 */
#ifndef PF_CTL_SNAPSHOT_PARTSIZE_H
#define PF_CTL_SNAPSHOT_PARTSIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define PARTSIZE_MIB        (1024ULL * 1024)
#define PARTSIZE_PARTS_MAX  10000                            /* S3: parts in one upload */
#define PARTSIZE_PART_MIN   (5 * PARTSIZE_MIB)               /* S3: every part but the last */
#define PARTSIZE_PART_MAX   (5 * 1024 * PARTSIZE_MIB)        /* S3: 5 GiB */
#define PARTSIZE_OBJECT_MAX (5 * 1024 * 1024 * PARTSIZE_MIB) /* S3: 5 TiB */
#define PARTSIZE_TAR_BLOCK  512
#define PARTSIZE_TAR_END    (2 * PARTSIZE_TAR_BLOCK) /* the end-of-archive zero blocks */

/* One entry of the walk, as far as its size in the tar goes. */
struct partsize_entry {
	const char *rel; /* its name relative to the base path, as the walk gives it */
	bool is_dir;
	uint64_t size; /* 0 for a directory */
	int64_t mtime; /* seconds */
};

/* The most bytes pack.h's tar spends on <e>: headers and data padded to 512. */
uint64_t partsize_tar_entry(const struct partsize_entry *e);

/*
 * The most bytes zstd makes of <tar> bytes of input (ZSTD_COMPRESSBOUND: a
 * frame of stored blocks and their headers), UINT64_MAX past its range.
 */
uint64_t partsize_zstd_bound(uint64_t tar);

/*
 * The part size for an object of at most <bound> bytes: <min_part> (the
 * configured one), or more when 10,000 of those cannot hold <bound>: the
 * bound over 10,000 rounded up to a whole MiB. Into <*part>; 0, or -1 with
 * the reason in <err> when <bound> is over S3's 5 TiB.
 */
PF_MUSTCHECK int partsize_choose(uint64_t bound, uint64_t min_part, uint64_t *part, char *err,
                                 size_t errlen);

#endif
