/* SPDX-License-Identifier: MIT */
/*
 * The controller's small HTTP server (/metrics, /status.json, /healthz, the
 * admin endpoints), libmicrohttpd in epoll mode driven by the controller's
 * own libev loop: one thread, so handlers read controller state without
 * locks. Routing, policy and bodies are the caller's; this file moves bytes,
 * bounds what clients may hold (connections, memory, time) and lets a
 * handler answer later (http_defer). libmicrohttpd's own messages go to the
 * project's log as mod=http lines.
 */
#ifndef PF_CTL_WEB_HTTP_H
#define PF_CTL_WEB_HTTP_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/net.h"

struct ev_loop;
struct http_server;
struct http_pending;

#define HTTP_MAX_BODY 8192 /* request bodies (admin JSON) beyond this are refused with 413 */

/*
 * What one client can hold (README "HTTP limits"). Past
 * HTTP_MAX_CONNECTIONS, new connections wait in the kernel's listen queue
 * (or are closed at once when libmicrohttpd was already accepting); past
 * HTTP_MAX_PER_IP from one address they are closed at once. A connection
 * must deliver a whole request (head and body) within HTTP_REQUEST_S of
 * opening or of its previous reply, and take its reply within HTTP_REPLY_S,
 * however slowly it trickles bytes (checked every second). libmicrohttpd's
 * own idle timeout, HTTP_IDLE_S, is a backstop behind those deadlines. A
 * reply deferred with http_defer does not count against them.
 */
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_MAX_PER_IP      8
#define HTTP_IDLE_S          10
#define HTTP_REQUEST_S       5
#define HTTP_REPLY_S         30
#define HTTP_CONN_MEMORY     (16 * 1024) /* libmicrohttpd's pool per connection: headers, buffers */

struct http_request {
	const char *method;          /* borrowed, valid during the handler call */
	const char *url;             /* path, without the query; borrowed likewise */
	const char *body;            /* the whole body, NUL-terminated; borrowed likewise */
	size_t len;                  /* of <body> */
	const char *host;            /* headers, NULL when absent; borrowed likewise */
	const char *content_type;    /* ... */
	const char *authorization;   /* ... */
	const char *origin;          /* ... */
	char peer[INET6_ADDRSTRLEN]; /* numeric client address, "" when unknown */
	void *priv;                  /* http.c's, for http_defer */
};

struct http_reply {
	unsigned status;
	const char *content_type; /* static string */
	char *body;               /* malloc'd by the handler; freed by the server */
	size_t len;
	const char *hdr_name; /* one more header (static strings), or NULL; Cache-Control
	                       * replaces the default "no-store" */
	const char *hdr_value;
};

/*
 * Answers one request <req>. Runs on the loop thread. Fill <out> (a NULL body
 * means an empty one), or call http_defer(<req>) and leave <out> alone.
 */
typedef void (*http_handler_fn)(void *ctx, const struct http_request *req, struct http_reply *out);

/* Connection counters, for metrics. */
struct http_stats {
	unsigned open;           /* connections now */
	uint64_t expired;        /* closed for missing HTTP_REQUEST_S / HTTP_REPLY_S */
	uint64_t lib_messages;   /* libmicrohttpd messages (refused connections, errors...) */
	uint64_t lib_suppressed; /* of those, not logged (rate limit) */
};

/* Listens on <addr>. NULL with the reason in <err> on failure. */
PF_MUSTCHECK struct http_server *http_server_new(struct ev_loop *loop, const struct pf_addr *addr,
                                                 http_handler_fn handler, void *ctx, char *err,
                                                 size_t errlen);

/*
 * From inside a handler: the reply to <req> comes later, through
 * http_pending_reply; the connection is suspended meanwhile (libmicrohttpd
 * suspend/resume). Returns the handle, valid until that call.
 */
struct http_pending *http_defer(const struct http_request *req);

/*
 * Sends the deferred reply <r> (its body now owned by the server); <p> is
 * invalid afterwards. Loop thread, outside any handler.
 */
void http_pending_reply(struct http_pending *p, struct http_reply *r);

void http_server_stats(const struct http_server *s, struct http_stats *out);

/*
 * Stops listening and frees. A request still deferred is answered 503 first,
 * which ends its handle: whoever holds one must be done with it before (the
 * admin endpoints: free the state store and the admin first). NULL is a no-op.
 */
void http_server_free(struct http_server *s);

#endif
