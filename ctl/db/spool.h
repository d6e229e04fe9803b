/* SPDX-License-Identifier: MIT */
/*
 * The writer's spool: a durable FIFO of records. Each record is appended
 * to a file as one line (reccodec.h) before anything else happens to it;
 * at most <window> of the oldest records not yet popped are also held in
 * memory, decoded, and the rest are read back from the file as the window
 * empties. When every record has been popped the file is truncated. The
 * file is locked (flock) for as long as it is open.
 *
 * At open, a last line without its '\n' (a crash in the middle of a write)
 * is cut off with one warning; later, a line that does not decode is
 * skipped with a warning and counted, never fatal. Blocking file I/O on a
 * local disk: one write per record, one fdatasync per spool_sync(). Knows
 * nothing of the database (writer.c).
 */
#ifndef PF_CTL_DB_SPOOL_H
#define PF_CTL_DB_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/db/record.h"

struct spool;

/* One record of the window. */
struct spool_entry {
	struct db_record r;
	uint64_t end_off; /* where its line ends in the file */
	bool dropped;     /* the caller's mark: refused for good, not to be sent again */
};

/*
 * Opens (creating it 0600) and locks <dir>/<name>.spool, cuts a torn last
 * line, and fills a window of <window> (> 0) records from what an earlier
 * run left. Returns the spool, or NULL with the reason in <err> ("spool_dir
 * <dir>: ...", "spool <path> is in use by another process").
 */
PF_MUSTCHECK struct spool *spool_open(const char *dir, const char *name, size_t window, char *err,
                                      size_t errlen);

/*
 * Appends <r> (valid: rec_is_valid) and, when nothing older waits in the
 * file alone and the window has room, copies it into the window. Returns 0,
 * or -1 with the reason in <err> (an invalid record, the write failed: a
 * partial line is cut off again, so the file stays whole).
 */
PF_MUSTCHECK int spool_put(struct spool *s, const struct db_record *r, char *err, size_t errlen);

/* fdatasync when something was appended since the last call. Returns 0 or -1 (errno). */
int spool_sync(struct spool *s);

/* Records in the window, and the <i>-th oldest of them (i < spool_window()). */
size_t spool_window(const struct spool *s);
struct spool_entry *spool_at(struct spool *s, size_t i);

/*
 * Removes the oldest record of the window (there must be one), refills the
 * window from the file, and truncates the file when nothing is left in it.
 * Returns the end offset of the record's line (as it was: see
 * spool_end()); UINT64_MAX when the file was truncated.
 */
uint64_t spool_pop(struct spool *s);

/* Bytes in the file now: every record appended and not yet truncated away ends at or before. */
uint64_t spool_end(const struct spool *s);

/* Records appended (or found at open) and neither popped nor skipped. */
uint64_t spool_pending(const struct spool *s);

/* Lines skipped because they did not decode. */
uint64_t spool_skipped(const struct spool *s);

/* The file's path (for messages); valid until spool_close(). */
const char *spool_path(const struct spool *s);

/* Syncs, unlocks, closes and frees <s>; what was not popped stays in the file. NULL: no-op. */
void spool_close(struct spool *s);

#endif
