/* SPDX-License-Identifier: MIT */
/*
 * HAProxy runtime API client for one HAProxy instance (its stats socket,
 * unix or TCP), non-blocking on the controller's libev loop. Each request is
 * one connection in non-interactive mode: connect, write one command line
 * (several commands joined with "; "), read until HAProxy closes. Requests
 * to one instance run one at a time, in order. Bytes are not interpreted
 * here: hapi_cmd.c builds commands and parses answers.
 */
#ifndef PF_CTL_HAPI_HAPI_H
#define PF_CTL_HAPI_HAPI_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/net.h"

struct ev_loop;
struct hapi;

/*
 * Called once per request from the loop. <status> is 0 when HAProxy answered
 * (the answer may still be an error text), -1 on an I/O error or timeout with
 * the reason in <err>. <answer> is borrowed for the duration of the call.
 */
typedef void (*hapi_done_cb_fn)(void *ctx, int status, const char *answer, size_t len,
                                const char *err);

/* A client for the socket at <addr> (copied); <timeout_s> bounds each request. */
PF_MUSTCHECK struct hapi *hapi_new(struct ev_loop *loop, const struct pf_addr *addr,
                                   double timeout_s);

/*
 * Queues <cmdline> (copied; no newline needed). Returns 0, or -1 on
 * allocation failure (the callback is then not called).
 */
PF_MUSTCHECK int hapi_send(struct hapi *h, const char *cmdline, hapi_done_cb_fn cb, void *ctx);

/* Requests queued or in flight. */
unsigned hapi_pending(const struct hapi *h);

/* The socket address as text, for logs. */
const char *hapi_name(const struct hapi *h);

/* Drops queued requests without calling them back and frees. NULL is a no-op. */
void hapi_free(struct hapi *h);

#endif
