/* SPDX-License-Identifier: MIT */
/*
 * Makes one HAProxy instance agree with the controller's desired state; the
 * I/O goes through hapi.c, the decisions about bytes through hapi_cmd.c.
 */
#ifndef PF_CTL_HAPI_RECONCILE_H
#define PF_CTL_HAPI_RECONCILE_H

struct ctl_haproxy;

/*
 * Starts a reconciliation of <hp> (its controller is hp->owner): reads its
 * state and, once the controller has made its first decision, writes what
 * differs. Before that
 * first decision only reads (to preset node states from what HAProxy shows).
 * A round already running on <hp> is counted as busy and skipped. Callback-safe.
 */
void reconcile_start(struct ctl_haproxy *hp);

#endif
