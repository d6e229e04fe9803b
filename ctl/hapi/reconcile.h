/* SPDX-License-Identifier: MIT */
/*
 * One HAProxy instance, as the controller sees and drives it: an opaque
 * object that reads "show info; show servers state" and the controllers'
 * write claim, lets the planner (plan.h) say what to write, sends it, and
 * remembers what only this instance knows (its slots, its MAINT by hand, its
 * shutdowns). Every fact about an instance lives here, so N instances are N
 * objects and never share one. I/O through hapi.c; logs its own events.
 */
#ifndef PF_CTL_HAPI_RECONCILE_H
#define PF_CTL_HAPI_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/net.h"
#include "ctl/hapi/hapi_cmd.h"
#include "ctl/hapi/plan.h"

struct ev_loop;
struct recon;

enum recon_err {
	RECON_ERR_IO = 0,    /* socket error or timeout */
	RECON_ERR_PARSE,     /* an answer that cannot be read */
	RECON_ERR_REFUSED,   /* HAProxy answered a command with an error */
	RECON_ERR_NO_SERVER, /* a wanted server is not in the instance */
	RECON_ERR_NO_SLOT,   /* a template node found no free slot */
	RECON_ERR_BUSY,      /* the previous round on this instance was still running */
	RECON_ERR_COUNT
};

struct recon_cfg {
	double timeout_s;       /* per runtime-API request */
	uint32_t lease_ms;      /* how long a write claim lasts; 0: no claim, write regardless */
	const char *owner_id;   /* this controller, for the claim ([A-Za-z0-9._:-/], no '/' last) */
	const char *state_file; /* HAProxy's server-state-file to keep current; NULL: none */
};

/* What one instance shows for one node. */
struct recon_view {
	bool seated;  /* the instance has a server for the node (named, or a slot it holds) */
	bool present; /* ... and that server is in the last "show servers state" */
	char server[HAPI_NAME_MAX];
	unsigned admin_state; /* HAPI_ADMF_* */
	int op_state;         /* enum hapi_op_state */
	char addr[HAPI_ADDR_MAX];
	uint16_t port;
	bool hand_maint;
};

struct recon_stats {
	bool up;       /* the last exchange worked */
	bool has_info; /* <pid>, <uptime_sec>, <version> are known */
	long pid, uptime_sec;
	char version[32];
	bool standby;      /* another controller holds the write claim */
	char holder[96];   /* that controller, when <standby> */
	uint64_t restarts; /* pid or uptime changes seen */
	uint64_t reconciles;
	uint64_t actions[PLAN_ACT_COUNT]; /* commands HAProxy accepted, by kind */
	uint64_t errors[RECON_ERR_COUNT];
	uint64_t state_file_writes;
	uint64_t state_file_errors; /* failed writes of <state_file> (each round retries) */
	int64_t last_ok_ms;         /* start of the last round that ended without error; 0: none */
	size_t problems;            /* configuration problems found at the last verification */
	char last_error[256];
};

/*
 * An instance at <addr> (copied) with <cfg> (strings copied). NULL on
 * allocation failure. Reads nothing until the first recon_round().
 */
PF_MUSTCHECK struct recon *recon_new(struct ev_loop *loop, const struct pf_addr *addr,
                                     const struct recon_cfg *cfg);

/*
 * Starts a round on <r>: reads the instance, then, when <write> is true and
 * this controller holds (or takes) the write claim, plans with <nodes> (deep
 * copied; the caller may free them right away) and sends what differs.
 * <write> false only reads (and places template nodes, to show what HAProxy
 * does). A round still running counts as busy and is skipped. Callback-safe.
 */
void recon_round(struct recon *r, const struct plan_node *nodes, size_t n, int64_t now_ms,
                 uint32_t drain_grace_ms, bool write);

/* True while a round is reading or writing. */
bool recon_busy(const struct recon *r);

/* What the instance showed for <node> at its last read; false when it never answered. */
bool recon_view_node(const struct recon *r, const char *node, struct recon_view *out);

/* The counters and facts of <r>. */
const struct recon_stats *recon_stats(const struct recon *r);

/* The socket address as text ("unix:/run/haproxy/admin.sock"), for logs and labels. */
const char *recon_name(const struct recon *r);

/* Same socket as <addr>? For keeping instances across a config reload. */
bool recon_is_at(const struct recon *r, const struct pf_addr *addr);

/* Replaces the claim/state-file settings (a config reload); strings copied. */
void recon_set_cfg(struct recon *r, const struct recon_cfg *cfg);

/* Drops a request in flight (no callback) and frees. NULL is a no-op. */
void recon_free(struct recon *r);

/*
 * For `polkfura-ctl check --haproxy`: reads the instance at <addr> once,
 * blocking on a private loop for at most <timeout_s>, and passes every
 * configuration problem for <nodes> to <cb>. Returns the number of problems,
 * or -1 with the reason in <err> when the instance cannot be read.
 */
PF_MUSTCHECK long recon_verify_once(const struct pf_addr *addr, double timeout_s,
                                    const struct plan_node *nodes, size_t n, plan_problem_cb_fn cb,
                                    void *ctx, char *err, size_t errlen);

#endif
