/* SPDX-License-Identifier: MIT */
/*
 * Small file-tree helpers for the snapshot suites: build a base path to
 * publish or pack, and run the independent tools (GNU tar, sha256sum, diff)
 * that check what came out of it.
 */
#ifndef PF_TESTS_HARNESS_TREE_H
#define PF_TESTS_HARNESS_TREE_H

#include <sys/types.h>

#include <stddef.h>

/*
 * Writes <content> to <base>/<rel>, making the directories on the way
 * (0755). With <content> NULL, <rel> itself is made a directory of mode
 * <dir_mode> (a keystore is 0700 on a node). Fails the test on an error.
 */
void h_tree_put(const char *base, const char *rel, const char *content, mode_t dir_mode);

/*
 * Runs <cmd> through /bin/sh in <dir>, its stdout (add 2>&1 for stderr)
 * into <out>; returns its exit status, 128 when a signal ended it.
 */
int h_sh_status_in(const char *dir, const char *cmd, char *out, size_t outlen);

/*
 * The same, failing the test unless it exits 0; returns the output, cut at
 * 16 KiB, in one of four static buffers used in turn, so that two results
 * compared in one assertion are two strings.
 */
const char *h_sh_in(const char *dir, const char *cmd);

/*
 * `polkfura-ctl snapshot <args> 2>&1` of the build under test, run in
 * <dir> with s3rver's access key and a test secret in the environment
 * (never on argv); its exit status, as h_sh_status_in().
 */
int h_snapshot_in(const char *dir, const char *args, char *out, size_t outlen);

#endif
