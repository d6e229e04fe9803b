/* SPDX-License-Identifier: MIT */
/*
 * The "post hook pending" mark of one chain: a file
 * <state_dir>/<chain>.post-pending, written (and synced) before the `pre`
 * hook runs and removed once `post` has succeeded. A publish killed in
 * between (SIGKILL, the unit's timeout, a reboot of the service) leaves
 * it, so `snapshot recover` (the publisher unit's ExecStopPost) knows that
 * the node it stopped must be started again, without waiting a day for
 * the next timer run. The file holds the publisher's pid, so recover
 * refuses while that publish still runs.
 */
#ifndef PF_CTL_SNAPSHOT_HOOKMARK_H
#define PF_CTL_SNAPSHOT_HOOKMARK_H

#include <sys/types.h>

#include <stddef.h>

#include "common/compiler.h"

/* Writes <chain>'s mark with this process's pid (state_dir made 0700 when missing). 0, or -1. */
PF_MUSTCHECK int hookmark_set(const char *state_dir, const char *chain, char *err, size_t errlen);

/* Removes <chain>'s mark; a mark that is not there is fine. 0, or -1 with <err>. */
PF_MUSTCHECK int hookmark_clear(const char *state_dir, const char *chain, char *err, size_t errlen);

/*
 * Whether <chain> has a mark: 1 with the pid it names in <*pid> (0 when the
 * file does not say), 0 when there is none, -1 with <err> when it cannot be
 * read.
 */
PF_MUSTCHECK int hookmark_pending(const char *state_dir, const char *chain, pid_t *pid, char *err,
                                  size_t errlen);

#endif
