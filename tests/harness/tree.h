/* SPDX-License-Identifier: MIT */
/*
 * Small file-tree helpers for the snapshot suites: build a base path to
 * publish or pack, and run the independent tools (GNU tar, sha256sum, diff)
 * that check what came out of it.
 */
#ifndef PF_TESTS_HARNESS_TREE_H
#define PF_TESTS_HARNESS_TREE_H

#include <sys/types.h>

/*
 * Writes <content> to <base>/<rel>, making the directories on the way
 * (0755). With <content> NULL, <rel> itself is made a directory of mode
 * <dir_mode> (a keystore is 0700 on a node). Fails the test on an error.
 */
void h_tree_put(const char *base, const char *rel, const char *content, mode_t dir_mode);

/*
 * Runs <cmd> through /bin/sh in <dir>, fails the test unless it exits 0,
 * and returns its stdout (add 2>&1 for stderr) in a static buffer, cut at
 * 16 KiB.
 */
const char *h_sh_in(const char *dir, const char *cmd);

#endif
