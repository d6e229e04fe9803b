/* SPDX-License-Identifier: MIT */
/*
 * A deterministic walk of a node's base path for a snapshot: names in byte
 * order at every level (two walks of the same tree give the same sequence,
 * so the same tar bytes), directories before what they hold, the exclude
 * rules (exclude.h) applied. Only directories and regular files are taken:
 * a symlink, device, fifo or socket fails the walk with its path (a node's
 * database has none, and following one could ship a file from outside the
 * base path). Every entry is opened relative to its parent's descriptor
 * with O_NOFOLLOW, so a name swapped for a symlink during the walk is
 * refused, not followed. Hard links are not detected: each name is a file.
 * A name that safepath.h refuses (non-ASCII, a control byte, a backslash) fails
 * the walk too, since no fetch would take it.
 */
#ifndef PF_CTL_SNAPSHOT_WALK_H
#define PF_CTL_SNAPSHOT_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/exclude.h"

/* One entry as the walk hands it over; valid only during the callback. */
struct walk_entry {
	const char *rel; /* borrowed: relative to the base path, no leading '/' */
	bool is_dir;
	uint64_t size; /* 0 for a directory */
	unsigned mode; /* permission bits (07777) */
	int64_t mtime; /* seconds since the epoch */
	int fd;        /* borrowed: the open file, read position 0; -1 for a directory */
};

/* What the walk saw. */
struct walk_stats {
	uint64_t files, dirs, bytes;      /* taken */
	uint64_t excluded[EXCLUDE_COUNT]; /* left out, by reason (EXCLUDE_NONE unused) */
};

/*
 * Called once per taken entry, in walk order. A file callback may read
 * <e>->fd to its end (and should: the walk checks after it returns that the
 * file's size and mtime did not change). Returns 0, or -1 with the reason
 * in <err> to stop the walk.
 */
typedef int (*walk_entry_cb_fn)(void *ctx, const struct walk_entry *e, char *err, size_t errlen);

/*
 * Walks the tree under <base> (the base path itself is not an entry),
 * leaving out what <ex> (may be NULL: the built-in rules only) excludes,
 * and calls <cb> with <ctx> for each entry. Fills <st> (may be NULL).
 * Returns 0, or -1 with the path and the reason in <err>: an entry of
 * another type, a path longer than EXCLUDE_PATH_MAX - 1, an entry replaced
 * or a file changed during the walk, an I/O error, or the callback's own.
 * Memory: the names of one directory per level of depth.
 */
PF_MUSTCHECK int walk_tree(const char *base, const struct exclude_set *ex, walk_entry_cb_fn cb,
                           void *ctx, struct walk_stats *st, char *err, size_t errlen);

#endif
