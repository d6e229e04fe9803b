/* SPDX-License-Identifier: MIT */
/*
 * Writing fetched files under DEST without ever leaving it (issue 13: "no
 * absolute paths, no '..', no links pointing out of DEST"). The one I/O
 * module of ctl/snapshot/: names are checked by safepath.c first, and this
 * module stops what a name check cannot see, a symlink or a FIFO already in
 * DEST.
 *
 * DEST is opened once; every directory below it is created and opened one
 * component at a time with openat(O_DIRECTORY | O_NOFOLLOW), and files with
 * O_NOFOLLOW, so no path is ever resolved by the kernel in one go and no
 * symlink is followed anywhere below DEST. (openat2's RESOLVE_BENEATH would
 * constrain a multi-component lookup; with one component per call and no
 * ".." there is none left to constrain, and this works on every kernel.)
 *
 * A file is written as "<name>.pf-part" next to its final name, kept across
 * interruptions for resuming, then fsync'd and renamed into place once the
 * caller has verified it. Names ending in ".pf-part" are refused, so a
 * listed file can never be taken for another one's partial copy.
 */
#ifndef PF_CTL_SNAPSHOT_DESTDIR_H
#define PF_CTL_SNAPSHOT_DESTDIR_H

#include <sys/types.h>

#include <stddef.h>

#include "common/compiler.h"

#define DESTDIR_PART_SUFFIX ".pf-part"

struct destdir;

/*
 * Opens the directory <path> (created with mode 0755 when absent; its own
 * parents must exist; a symlink given by the user as DEST is followed, as
 * the user chose it). Returns the handle (free with destdir_free) or NULL
 * with the reason in <err>.
 */
struct destdir *destdir_open(const char *path, char *err, size_t errlen);

/* Closes <d>; NULL does nothing. */
void destdir_free(struct destdir *d);

/*
 * Opens the partial copy of <rel>/<len> (a path relative to DEST) for
 * reading and writing, creating the directories above it, positioned at
 * its end: *<have> is the size already there (0 when new), for a Range
 * request. Refuses an unsafe name, a symlink or non-directory on the way,
 * and a partial copy that is not a regular file. Returns the descriptor
 * (the caller's to close or pass to destdir_commit) or -1 with <err> naming
 * the entry and the reason; nothing is created outside DEST, whatever DEST
 * holds.
 */
PF_MUSTCHECK int destdir_open_part(struct destdir *d, const char *rel, size_t len, off_t *have,
                                   char *err, size_t errlen);

/*
 * Makes the verified partial copy <fd> of <rel>/<len> the file: fsync,
 * rename over the final name (a symlink there is replaced, never followed),
 * fsync of the directory. Closes <fd> in every case. Returns 0 or -1 with
 * <err>.
 */
PF_MUSTCHECK int destdir_commit(struct destdir *d, const char *rel, size_t len, int fd, char *err,
                                size_t errlen);

/*
 * destdir_commit without the fsync of the directory, for many files
 * committed together: the file is durable before its name is (so a crash
 * never leaves a short file under a final name), and the caller makes the
 * names durable with destdir_sync_dir once per directory before it reports
 * success. Closes <fd> in every case. Returns 0 or -1 with <err>.
 */
PF_MUSTCHECK int destdir_commit_later(struct destdir *d, const char *rel, size_t len, int fd,
                                      char *err, size_t errlen);

/* fsync of the directory holding <rel>/<len>. Returns 0 or -1 with <err>. */
PF_MUSTCHECK int destdir_sync_dir(struct destdir *d, const char *rel, size_t len, char *err,
                                  size_t errlen);

/*
 * Opens the file <rel>/<len> itself, read-only, to check a copy left by an
 * earlier fetch, with the same checks on the way (a symlink in its place is
 * refused, never followed). Returns the descriptor or -1: with errno ENOENT
 * when there is no such file, otherwise with <err>.
 */
PF_MUSTCHECK int destdir_open_file(struct destdir *d, const char *rel, size_t len, char *err,
                                   size_t errlen);

/*
 * Creates the directory <rel>/<len> and those above it (a tar's directory
 * entry), with the same checks as destdir_open_part; an existing directory
 * is fine, a symlink or a file in its place is not. Returns 0 or -1 with
 * <err>.
 */
PF_MUSTCHECK int destdir_mkdir(struct destdir *d, const char *rel, size_t len, char *err,
                               size_t errlen);

#endif
