/* SPDX-License-Identifier: MIT */
/*
 * What the controller shows: /metrics (Prometheus text), /status.json and
 * /healthz (the admin endpoints are web/admin.c's), plus the table
 * `polkfura-ctl status` prints from /status.json. Reads controller state only
 * on the loop thread (http.c runs handlers there).
 */
#ifndef PF_CTL_WEB_STATUS_H
#define PF_CTL_WEB_STATUS_H

#include <stddef.h>
#include <stdio.h>

#include "common/compiler.h"
#include "ctl/web/http.h"

struct ctl;

/* The http_handler_fn behind the admin gate (web/admin.h); <ctx> is the struct ctl. */
void status_http_handler(void *ctx, const struct http_request *req, struct http_reply *out);

/* /status.json as a malloc'd string, or NULL on allocation failure. */
char *status_render_json(const struct ctl *c);

/* /metrics as a malloc'd string (length in <*len>), or NULL on allocation failure. */
char *status_render_metrics(const struct ctl *c, size_t *len);

/*
 * Prints the node table of a /status.json document <json>/<len> to <out>:
 * chain, node, state, why, best, finalized, lag, peers, poll latency, since.
 * Returns 0, or -1 with the reason in <err> for a document it cannot read.
 */
PF_MUSTCHECK int status_print_table(const char *json, size_t len, int64_t now_ms, FILE *out,
                                    char *err, size_t errlen);

#endif
