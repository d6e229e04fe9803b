/* SPDX-License-Identifier: MIT */
/*
 * The two lists of a snapshot's uncompressed form (docs/snapshot-format.md):
 * `files.txt` for `rclone copy --files-from` (one path per line) and
 * `SHA256SUMS`, the `sha256sum` format (`<64 hex>  <path>`), so that
 * `sha256sum -c` checks a fetched tree with coreutils alone. Both hold the
 * same paths, relative to the files' directory, in strictly increasing byte
 * order, each line ending in LF. Pure: lines in, lines out.
 *
 * rclone strips white space around each line and skips lines starting with
 * '#' or ';'. A path rclone would read as another path (or not at all) is
 * refused by the writers, and the parsers refuse what our writers never
 * write (white space around a path, CR, a missing final LF), so a list that
 * parses names exactly the objects it lists.
 */
#ifndef PF_CTL_SNAPSHOT_FILELIST_H
#define PF_CTL_SNAPSHOT_FILELIST_H

#include <stddef.h>

#include "common/compiler.h"
#include "ctl/snapshot/safepath.h"

#define FILELIST_SHA256_HEX 64

enum filelist_reason {
	FILELIST_OK = 0,
	FILELIST_UNSAFE,   /* the path fails safepath_check(): see <safepath> */
	FILELIST_RCLONE,   /* starts with '#' or ';', or white space at either end */
	FILELIST_ORDER,    /* not after the previous path (a duplicate, or unsorted) */
	FILELIST_SYNTAX,   /* not "<64 lower-case hex>  <path>", or no final LF */
	FILELIST_TOO_LONG, /* does not fit the caller's buffer */
	FILELIST_REASON_COUNT,
};

/* One line, parsed or to write; <path> is borrowed (from the input, or the caller's). */
struct filelist_entry {
	const char *path;
	size_t len;
	char sha256[FILELIST_SHA256_HEX + 1]; /* "" for a files.txt line */
};

/* The outcome of a call, for the error message: which line, and why. */
struct filelist_error {
	enum filelist_reason reason;
	enum safepath_reason safepath; /* when <reason> is FILELIST_UNSAFE */
	size_t line;                   /* 1-based line of a parse error */
};

/*
 * Checks <path>/<len> as a list entry: safepath, then rclone's rules.
 * Returns FILELIST_OK, FILELIST_UNSAFE (with <*sp> set when not NULL) or
 * FILELIST_RCLONE.
 */
enum filelist_reason filelist_check_path(const char *path, size_t len, enum safepath_reason *sp);

/*
 * Appends the files.txt line of <e>, or the SHA256SUMS line when <sums>, to
 * <out> at *<off> (capacity <cap>), after checking the path, and that it
 * comes after <prev>/<prevlen> (NULL for the first line). Returns 0 and
 * advances *<off>, or -1 with <*e_out> saying why and nothing written.
 */
PF_MUSTCHECK int filelist_append(char *out, size_t cap, size_t *off, int sums,
                                 const struct filelist_entry *e, const char *prev, size_t prevlen,
                                 struct filelist_error *e_out);

/*
 * Reads the next entry of the list <p>/<len> from *<off>, a files.txt
 * (comment lines and empty lines skipped, as rclone does) or, when <sums>,
 * a SHA256SUMS (no comments). <e->path> points into <p>. Checks the order
 * against <prev>/<prevlen> (NULL for the first). Returns 1 with an entry,
 * 0 at the end, or -1 with <*e_out> set (<line> counts from 1, kept in
 * <e_out->line> across calls: zero it before the first).
 */
PF_MUSTCHECK int filelist_next(const char *p, size_t len, size_t *off, int sums,
                               struct filelist_entry *e, const char *prev, size_t prevlen,
                               struct filelist_error *e_out);

/* The reason <r> in a few words; static. For FILELIST_UNSAFE, add safepath_reason_text(). */
const char *filelist_reason_text(enum filelist_reason r);

#endif
