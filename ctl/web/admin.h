/* SPDX-License-Identifier: MIT */
/*
 * The gate in front of the controller's HTTP endpoints and the admin ones
 * behind it. Every request: the Host must be one the controller serves
 * (DNS rebinding), else 421. POST /admin/drain and /admin/undrain: off (404)
 * without a token; then method (405), Authorization: Bearer (401), no Origin
 * (403), Content-Type application/json (415), the JSON body (400); the
 * controller's check (404 unknown node, 409 min_ready); the change saved in
 * the state store (500 when it cannot be); the controller applies it; 200.
 * The validators are pure; the flow calls back into the controller through
 * struct admin_ops and never sees its structures. Token rules and the token
 * file's checks live here too, for the controller and the CLI alike.
 */
#ifndef PF_CTL_WEB_ADMIN_H
#define PF_CTL_WEB_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/net.h"
#include "ctl/state.h"
#include "ctl/web/http.h"

struct admin;

#define ADMIN_TOKEN_MIN 16  /* bytes: guessing must be hopeless */
#define ADMIN_TOKEN_MAX 512 /* bytes */
#define ADMIN_MAX_HOSTS 16  /* http_hosts entries */
#define ADMIN_HOST_MAX  255 /* bytes of one, "name" or "name:port" */
#define ADMIN_NO_REASON "no reason given"

enum admin_action {
	ADMIN_DRAIN = 0,
	ADMIN_UNDRAIN,
};

/* A validated admin request. Text fields hold no control character. */
struct admin_request {
	enum admin_action action;
	char node[STATE_NAME_MAX + 1];     /* [A-Za-z0-9_.-], matched exactly */
	char reason[STATE_REASON_MAX + 1]; /* drain: ADMIN_NO_REASON when none was given */
	char by[STATE_BY_MAX + 1];         /* "user@host" the caller says it is; "" when absent */
	char peer[STATE_PEER_MAX + 1];     /* the connection's address */
	bool force;                        /* drain below min_ready anyway */
	int64_t at_ms;                     /* when it was accepted (wall clock) */
};

/* What the gate lets in. A value type; it holds the token, so wipe it after use. */
struct admin_policy {
	struct pf_addr listen;                           /* http_listen */
	char hosts[ADMIN_MAX_HOSTS][ADMIN_HOST_MAX + 1]; /* http_hosts */
	unsigned n_hosts;
	char token[ADMIN_TOKEN_MAX + 1];
	size_t token_len; /* 0: admin endpoints off (404) */
};

/* The controller's side of the flow; both run on the loop thread. */
struct admin_ops {
	/*
	 * May <req> go ahead? 0, or an HTTP status (404: no such node, 409:
	 * below min_ready without force) with a one-line <msg>.
	 */
	unsigned (*check)(void *ctx, const struct admin_request *req, char *msg, size_t msglen);
	/* <req> is saved in the state store: apply it now (and log it). */
	void (*applied)(void *ctx, const struct admin_request *req);
};

/*
 * Is <host> (the Host header, NULL when absent) one the controller serves?
 * The listen address as configured; when it is a loopback or wildcard
 * address, also localhost, 127.0.0.1 and [::1] with its port; an http_hosts
 * entry exactly, or "entry:<listen port>" for an entry without a port.
 * ASCII case is ignored. Returns 0, or 421 with a one-line <msg>. Pure.
 */
unsigned admin_check_host(const struct admin_policy *p, const char *host, char *msg, size_t msglen);

/*
 * Validates the admin request <req> (its url starts with /admin) in the order
 * of the file comment, at time <now_ms>. Returns 0 with <out> filled, or the
 * HTTP status with a one-line <msg> (input in it is sanitized). Pure.
 */
unsigned admin_parse(const struct admin_policy *p, const struct http_request *req, int64_t now_ms,
                     struct admin_request *out, char *msg, size_t msglen);

/* <given> equals <token>, in a time that depends on <token_len> only. */
bool admin_token_equal(const char *given, size_t given_len, const char *token, size_t token_len);

/*
 * The token in a token file's text <text>/<len>: one trailing newline is
 * dropped, the rest must be ADMIN_TOKEN_MIN..ADMIN_TOKEN_MAX visible ASCII
 * characters. Returns 0 with it in <out> (ADMIN_TOKEN_MAX + 1 bytes) and its
 * length in <*outlen>, or -1 with the reason in <err>. Pure.
 */
PF_MUSTCHECK int admin_token_parse(const char *text, size_t len, char *out, size_t *outlen,
                                   char *err, size_t errlen);

/*
 * Reads the token file <path>: a regular file that neither group nor others
 * may read or write, and (<check_owner>) owned by the effective user. Returns
 * 0 with the token as admin_token_parse gives it, or -1 with "<path>: reason"
 * in <err> (naming the mode or the owner). Blocking: boot and CLI.
 */
PF_MUSTCHECK int admin_token_load(const char *path, bool check_owner, char *out, size_t *outlen,
                                  char *err, size_t errlen);

/*
 * The gate: <p> (copied), changes saved in <st> (borrowed, must outlive the
 * admin), <ops>/<ops_ctx> (borrowed), and <next>/<next_ctx> for every request
 * that is not /admin. NULL when out of memory.
 */
PF_MUSTCHECK struct admin *admin_new(const struct admin_policy *p, struct state *st,
                                     const struct admin_ops *ops, void *ops_ctx,
                                     http_handler_fn next, void *next_ctx);

/* The http_handler_fn of the controller; <ctx> is the struct admin. */
void admin_http_handler(void *ctx, const struct http_request *req, struct http_reply *out);

/*
 * Frees <a> and wipes its token. Every change it started must have completed:
 * free the state store first (state_free reports the pending ones). NULL is a
 * no-op.
 */
void admin_free(struct admin *a);

#endif
