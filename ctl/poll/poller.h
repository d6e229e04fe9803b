/* SPDX-License-Identifier: MIT */
/*
 * HTTP POSTs to nodes with libcurl multi driven by the controller's libev
 * loop (curl_multi_socket_action, as curl's evhiperfifo.c): every request is
 * in flight at once and nothing blocks. The poller owns the easy handles and
 * reuses them, so steady polling allocates nothing per request once warm.
 */
#ifndef PF_CTL_POLL_POLLER_H
#define PF_CTL_POLL_POLLER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"

struct ev_loop;
struct poller;

enum poller_outcome {
	POLLER_OK = 0,  /* a 2xx answer */
	POLLER_TIMEOUT, /* no complete answer within the timeout */
	POLLER_CONNECT, /* refused, unreachable, reset, DNS */
	POLLER_HTTP,    /* a non-2xx status */
	POLLER_OTHER,   /* TLS, too large an answer, out of memory ... */
};

struct poller_result {
	enum poller_outcome outcome;
	long http_status;
	const char *body; /* borrowed, valid only during the callback; NUL-terminated */
	size_t len;
	double elapsed_ms;
	const char *error; /* curl's text when outcome != OK, borrowed */
};

/* Called once per request, from the loop; may start new requests. */
typedef void (*poller_done_cb_fn)(void *ctx, const struct poller_result *res);

/* Creates a poller on <loop> (borrowed). NULL on allocation failure. */
PF_MUSTCHECK struct poller *poller_new(struct ev_loop *loop);

/*
 * Starts a POST of <body>/<len> (copied) to <url> with Content-Type
 * application/json, giving up after <timeout_ms>. <cb> runs exactly once,
 * unless the poller is freed first. Returns 0, or -1 (allocation or curl
 * refused the handle) without calling <cb>.
 */
PF_MUSTCHECK int poller_post(struct poller *p, const char *url, const char *body, size_t len,
                             long timeout_ms, poller_done_cb_fn cb, void *ctx);

/*
 * As poller_post(), with <method> ("PUT", "POST"; static) as the request's
 * method: for APIs other than the nodes' (ctl/cachet/).
 */
PF_MUSTCHECK int poller_send(struct poller *p, const char *method, const char *url,
                             const char *body, size_t len, long timeout_ms, poller_done_cb_fn cb,
                             void *ctx);

/*
 * Adds the header line <line> ("Name: value", copied) to every request with
 * a body this poller starts afterwards (a token: never logged). Returns 0,
 * or -1 on allocation failure (nothing changed).
 */
PF_MUSTCHECK int poller_add_header(struct poller *p, const char *line);

/*
 * Starts a GET of <url> (no body, no Content-Type), otherwise exactly as
 * poller_post(): same timeout, TLS verification, no proxy from the
 * environment, no redirect followed (a 3xx is the answer). <cb> runs
 * exactly once unless the poller is freed first. Returns 0, or -1 without
 * calling <cb>.
 */
PF_MUSTCHECK int poller_get(struct poller *p, const char *url, long timeout_ms,
                            poller_done_cb_fn cb, void *ctx);

/*
 * When <fresh>, every request started afterwards opens its own connection
 * (DNS, TCP, TLS handshake) and closes it when done, as a new user would:
 * for probes, whose point is to see what a first connection meets.
 */
void poller_set_fresh(struct poller *p, bool fresh);

/*
 * Verifies https:// nodes against the PEM CA bundle at <path> (copied)
 * instead of libcurl's built-in CA store; NULL or "" goes back to the
 * built-in store. Applies to the requests started afterwards (libcurl does
 * not reuse a connection made under other TLS settings). The certificate
 * and the host name are always verified. Returns 0, or -1 when the copy
 * cannot be allocated (nothing changed).
 */
PF_MUSTCHECK int poller_set_ca_file(struct poller *p, const char *path);

/*
 * Whether <path> can serve as poller_set_ca_file()'s bundle: a readable
 * regular file of at most 4 MiB holding a PEM certificate. Blocking I/O, for
 * `check`, start-up and SIGHUP. Returns 0, or -1 with the reason in <err>.
 */
PF_MUSTCHECK int poller_check_ca_file(const char *path, char *err, size_t errlen);

/*
 * Keeps up to <n> idle connections open for reuse (one per node polled, so
 * each poll rides an open keep-alive connection instead of a new one).
 */
void poller_set_max_connections(struct poller *p, long n);

/* Requests in flight. */
unsigned poller_in_flight(const struct poller *p);

/* Cancels what is in flight (callbacks are not called) and frees everything. NULL is a no-op. */
void poller_free(struct poller *p);

#endif
