/* SPDX-License-Identifier: MIT */
/*
 * Runs a `pre` or `post` hook of the snapshot config (snapcfg.h): an argv,
 * no shell and no PATH lookup, stdin from /dev/null, stdout and stderr the
 * publisher's own, in a process group of its own so that a timeout kills
 * what the command started too. Blocks until the command ends or its time
 * is up. The caller keeps the rule that `post` runs whenever `pre` ran.
 */
#ifndef PF_CTL_SNAPSHOT_HOOK_H
#define PF_CTL_SNAPSHOT_HOOK_H

#include <stddef.h>

#include "common/compiler.h"

/* After the timeout, SIGTERM to the group; this long later, SIGKILL. */
#define HOOK_KILL_GRACE_MS 5000

/*
 * Runs <argv> (NULL-terminated, argv[0] an absolute path) for at most
 * <timeout_ms>. Returns 0 when it exits with status 0, or -1 with the
 * reason in <err>: "cannot run /x: No such file or directory", "exited with
 * status 3", "killed by signal 9", "timed out after 2000 ms".
 */
PF_MUSTCHECK int hook_run(char *const argv[], unsigned timeout_ms, char *err, size_t errlen);

#endif
