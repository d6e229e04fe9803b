/* SPDX-License-Identifier: MIT */
/*
 * Reads a config file for `snapshot fetch --config` and picks the source
 * from its "snapshot" section (fetchcfg.h does the picking; this only reads).
 */
#ifndef PF_CTL_SNAPSHOT_FETCHCFG_LOAD_H
#define PF_CTL_SNAPSHOT_FETCHCFG_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "ctl/snapshot/fetchcfg.h"

/*
 * Reads <file>, parses its "snapshot" section and fills <out> as
 * fetchcfg_pick() does for <cdn> and <want_tar>. Returns 0, or -1 with
 * "<file>: reason" in <err> (unreadable, invalid, no "snapshot" section,
 * nothing to read from).
 */
PF_MUSTCHECK int fetchcfg_load(const char *file, bool cdn, bool want_tar, struct fetchcfg_src *out,
                               char *err, size_t errlen);

#endif
