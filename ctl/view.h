/* SPDX-License-Identifier: MIT */
/*
 * The controller's state as the plain view web/status renders: the
 * decision and facts of every node, what each HAProxy instance shows for it
 * and where that differs from the decision, and each instance's counters.
 * Built on request on the loop thread; nothing here is kept between requests.
 */
#ifndef PF_CTL_VIEW_H
#define PF_CTL_VIEW_H

#include "common/compiler.h"
#include "ctl/web/status.h"

struct ctl;

/*
 * Fills <out> from <c>. Strings point into <c> or into memory <out> owns,
 * valid until ctl_view_release() and as long as <c> does not change (the
 * same loop iteration). Returns 0, or -1 on allocation failure.
 */
PF_MUSTCHECK int ctl_view_build(struct ctl *c, struct status_view *out);

/* Frees what ctl_view_build() allocated for <v>. */
void ctl_view_release(struct status_view *v);

#endif
