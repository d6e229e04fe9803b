/* SPDX-License-Identifier: MIT */
/*
 * The controller's small HTTP server (/metrics, /status.json, /healthz, the
 * admin endpoints), libmicrohttpd in epoll mode driven by the controller's
 * own libev loop: one thread, so handlers read controller state without
 * locks. Routing and bodies are the caller's; this file only moves bytes.
 */
#ifndef PF_CTL_WEB_HTTP_H
#define PF_CTL_WEB_HTTP_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/net.h"

struct ev_loop;
struct http_server;

#define HTTP_MAX_BODY 8192 /* request bodies (admin JSON) beyond this are refused with 413 */

struct http_reply {
	unsigned status;
	const char *content_type; /* static string */
	char *body;               /* malloc'd by the handler; freed by the server */
	size_t len;
};

/*
 * Answers one request. <body> holds the whole request body (NUL-terminated).
 * Runs on the loop thread. Fill <out>; a NULL body means an empty one.
 */
typedef void (*http_handler_fn)(void *ctx, const char *method, const char *url, const char *body,
                                size_t len, struct http_reply *out);

/* Listens on <addr>. NULL with the reason in <err> on failure. */
PF_MUSTCHECK struct http_server *http_server_new(struct ev_loop *loop, const struct pf_addr *addr,
                                                 http_handler_fn handler, void *ctx, char *err,
                                                 size_t errlen);

/* Stops listening and frees. NULL is a no-op. */
void http_server_free(struct http_server *s);

#endif
