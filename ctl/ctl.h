/* SPDX-License-Identifier: MIT */
/*
 * The controller: every interval it polls every node (poll/), decides per
 * chain who deserves traffic (node.c), then hands each HAProxy instance
 * (hapi/reconcile.h, one opaque object each) the wanted state of every node.
 * A node's state changes in one place, node_changed() in ctl.c, which calls
 * the "node changed" hook (logging today, incident recording next). The HTTP
 * side (web/) gets a view built on request and callbacks, never this struct.
 */
#ifndef PF_CTL_CTL_H
#define PF_CTL_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "common/compiler.h"
#include "ctl/ctl_cfg.h"
#include "ctl/node.h"
#include "ctl/node_event.h"
#include "ctl/poll/noderpc.h"
#include "ctl/probe/prober.h"
#include "ctl/web/status.h"

struct recon;
struct poller;
struct http_server;
struct status_reader; /* the status page's history: ctl/db/status_reader.h */

struct state;    /* admin drains: ctl/state.h */
struct admin;    /* the HTTP gate and admin endpoints: ctl/web/admin.h */
struct recorder; /* what goes to PostgreSQL: ctl/recorder.h */
struct cachet;   /* pushes to Cachet: ctl/cachet/cachet.h */
struct ingest;   /* HAProxy's access logs: ctl/stats/ingest.h */

struct ctl_node {
	char name[CTL_CFG_NAME_MAX + 1];
	struct ctl_node_cfg cfg; /* copy: survives config reloads */
	struct ctl_chain *chain; /* borrowed, the chain that owns this node */
	struct ctl *ctl;         /* borrowed, the controller polling it (set by each poll) */
	struct node_poll poll;   /* last completed poll */
	struct node_poll cur;    /* poll in progress */
	bool in_flight;
	unsigned singles_left; /* single-call fallback: answers still expected */
	bool single_mode;      /* node refused the batch (or cfg batch=false) */
	double started;        /* ev_now() when the poll started */
	bool fin_asked;        /* this poll asked the node for the finalized header */
	bool fin_wait; /* another node of the chain is asking for this poll's finalized header */
	struct node_track track;
	int64_t drain_since_ms; /* DRAIN entered (for drain_grace_ms) */
	uint64_t polls;
	uint64_t poll_failures[NODE_POLL_ERR_COUNT];
	uint64_t lat_hist[STATUS_LAT_BUCKETS + 1]; /* last slot: +Inf */
	double lat_sum_ms;
	uint64_t lat_count;
};

#define CTL_FIN_CACHE 8 /* finalized (hash, number) pairs remembered per chain */

struct ctl_fin {
	char hash[NODERPC_HASH_LEN + 1];
	uint64_t number;
};

struct ctl_chain {
	char name[CTL_CFG_CHAIN_NAME_MAX + 1];
	/*
	 * Every node of a chain reports the same few finalized hashes: one node
	 * asks for a new hash's header, the others take the number from here.
	 */
	struct ctl_fin fin[CTL_FIN_CACHE];
	unsigned fin_next;
	char fin_pending[NODERPC_HASH_LEN + 1]; /* hash some node is asking for this round */
	char backend[CTL_CFG_NAME_MAX + 1];
	char heavy[CTL_CFG_MAX_HEAVY][CTL_CFG_NAME_MAX + 1];
	const char *heavy_ptrs[CTL_CFG_MAX_HEAVY]; /* into <heavy>, for the planner */
	unsigned n_heavy;
	struct ctl_node **nodes; /* owned array of owned nodes */
	unsigned n_nodes;
	struct chain_track track;
};

typedef void (*ctl_node_changed_fn)(void *ctx, const struct ctl_node_event *ev);

/* A change of another region's reachability (ctl/probe/prober.h), for the "probe changed" hook. */
typedef void (*ctl_probe_changed_fn)(void *ctx, const struct probe_event *ev);

struct ctl {
	struct ev_loop *loop; /* borrowed */
	struct ctl_cfg cfg;   /* owned */
	char cfg_path[1024];
	char owner_id[96]; /* this controller in HAProxy's write claim: host/region/port */
	struct node_limits limits;
	struct poller *poller;    /* owned */
	struct prober *prober;    /* owned: the other regions' edges (cfg.probe) */
	struct http_server *http; /* owned */
	struct status_ops web;    /* what the HTTP handler calls back */
	struct state *state;      /* owned: admin drains and their file */
	struct admin *admin;      /* owned: in front of status_http_handler */
	struct recorder *rec;     /* owned when the config has a database, else NULL */
	struct cachet *cachet;    /* owned when the config has "cachet", else NULL */
	struct ingest *ingest;    /* owned when the config has a log_listen, else NULL */
	struct ctl_chain *chains; /* owned */
	unsigned n_chains;
	struct recon *haproxy[CTL_CFG_MAX_HAPROXY]; /* owned, one per instance */
	unsigned n_haproxy;
	ctl_node_changed_fn on_node_changed; /* the hook; logging by default */
	void *on_node_changed_ctx;
	ctl_probe_changed_fn on_probe_changed; /* the hook; logging by default */
	void *on_probe_changed_ctx;
	ev_timer tick;
	unsigned outstanding; /* node polls of this round not finished */
	bool round_open;
	uint64_t rounds;  /* started */
	uint64_t decided; /* finished: every poll answered, decisions made */
	double round_started;
	double last_round_ms;
	bool first_decision_done;
	bool reload_pending;
	struct ctl_cfg next_cfg; /* valid when reload_pending */
	uint64_t reloads, reload_failures;
	uint64_t late_ticks; /* ticks that found the previous round still polling */
	int64_t started_ms;

	struct status_reader *reader; /* owned when the config has a database, else NULL */
};

/*
 * Builds the controller from <cfg> (ownership moves in) on <loop>: loads the
 * state file, opens the HTTP listener answering through <web> (copied; its
 * ctx is usually <c>), reads every HAProxy instance, starts polling.
 * <cfg_path> is kept for SIGHUP. Returns 0, or -1 with the reason in <err>
 * (the cfg is freed).
 */
PF_MUSTCHECK int ctl_start(struct ctl *c, struct ev_loop *loop, struct ctl_cfg *cfg,
                           const char *cfg_path, const struct status_ops *web, char *err,
                           size_t errlen);

/* SIGHUP: re-reads the config; applied between rounds. Logs and keeps the old one on error. */
void ctl_reload(struct ctl *c);

/* Finds a node by exact name, or NULL. */
struct ctl_node *ctl_find_node(struct ctl *c, const char *name);

/*
 * SIGTERM's first step: no more rounds; the recorder writes its last
 * heartbeat. Returns true when records wait for the database: the caller
 * runs the loop until ctl_flushed() (bounded) before ctl_stop().
 */
bool ctl_stop_begin(struct ctl *c);
bool ctl_flushed(const struct ctl *c);

/* Stops everything and frees what ctl_start built. */
void ctl_stop(struct ctl *c);

#endif
