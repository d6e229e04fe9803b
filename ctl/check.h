/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl check --haproxy`: the config checked against the running
 * HAProxy instances it names, before the controller depends on them.
 */
#ifndef PF_CTL_CHECK_H
#define PF_CTL_CHECK_H

#include <stdio.h>

#include "ctl/ctl_cfg.h"

/*
 * Reads every instance of <cfg> once (blocking, at most max(timeout_ms, 2 s)
 * each) and prints to <out> one line per missing backend, server, heavy twin
 * or template slot, and per instance that cannot be read (counted in
 * <*unreadable>). Returns the number of problems found in the instances read.
 */
unsigned ctl_check_haproxy(const struct ctl_cfg *cfg, FILE *out, unsigned *unreadable);

#endif
