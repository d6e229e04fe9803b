/* SPDX-License-Identifier: MIT */
/*
 * The controller: every interval it polls every node (poller + noderpc),
 * decides per chain who deserves traffic (node.c), then reads each HAProxy
 * instance's server state and writes what differs (hapi + hapi_cmd). It
 * also keeps admin drains (persisted in the state file) and the counters
 * status.c renders. The structs are public for status.c, which only reads.
 */
#ifndef PF_CTL_CTL_H
#define PF_CTL_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "common/compiler.h"
#include "ctl/ctl_cfg.h"
#include "ctl/hapi/hapi_cmd.h"
#include "ctl/node.h"
#include "ctl/poll/noderpc.h"

struct hapi;
struct poller;
struct http_server;
struct state; /* admin drains: ctl/state.h */
struct admin; /* the HTTP gate and admin endpoints: ctl/web/admin.h */

#define CTL_LAT_BUCKETS 10 /* poll latency histogram buckets, see ctl_lat_bounds_ms */

extern const double ctl_lat_bounds_ms[CTL_LAT_BUCKETS];

struct ctl_node {
	char name[CTL_CFG_NAME_MAX + 1];
	struct ctl_node_cfg cfg;    /* copy: survives config reloads */
	struct ctl_chain *chain;    /* borrowed, the chain that owns this node */
	char server[HAPI_NAME_MAX]; /* configured server, or the template slot taken; "" = none yet
	                             */
	bool slot_fresh;            /* slot taken this run: our own FMAINT may be on it */
	struct node_poll poll;      /* last completed poll */
	struct node_poll cur;       /* poll in progress */
	bool in_flight;
	unsigned singles_left; /* single-call fallback: answers still expected */
	bool single_mode;      /* node refused the batch (or cfg batch=false) */
	double started;        /* ev_now() when the poll started */
	bool fin_asked;        /* this poll asked the node for the finalized header */
	bool fin_wait; /* another node of the chain is asking for this poll's finalized header */
	struct node_track track;
	bool hand_maint;        /* an admin put its server in MAINT by hand */
	int64_t drain_since_ms; /* DRAIN entered (for drain_grace_ms) */
	unsigned shut_mask;     /* bit h: instance h got shutdown sessions for this drain */
	uint64_t polls;
	uint64_t poll_failures[NODE_POLL_ERR_COUNT];
	uint64_t lat_hist[CTL_LAT_BUCKETS + 1]; /* last slot: +Inf */
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
	unsigned n_heavy;
	struct ctl_node **nodes; /* owned array of owned nodes */
	unsigned n_nodes;
	struct chain_track track;
	char released[CTL_CFG_MAX_CHAIN_NODE][HAPI_NAME_MAX]; /* slots to put back in MAINT */
	unsigned n_released;
};

/* Kinds of the commands a reconciliation sends: hapi_diff()'s, then shutdown sessions. */
#define CTL_CMD_SHUTDOWN (HAPI_ACT_SET_ADDR + 1)
#define CTL_CMD_COUNT    (CTL_CMD_SHUTDOWN + 1)

enum ctl_hap_phase {
	CTL_HAP_IDLE = 0,
	CTL_HAP_READING,
	CTL_HAP_APPLYING,
};

enum ctl_act_err {
	CTL_ERR_IO = 0,    /* socket error or timeout */
	CTL_ERR_PARSE,     /* unreadable show servers state / show info */
	CTL_ERR_REFUSED,   /* HAProxy answered a command with an error */
	CTL_ERR_NO_SERVER, /* a wanted server does not exist */
	CTL_ERR_NO_SLOT,   /* a template node found no free slot */
	CTL_ERR_BUSY,      /* previous round still running on this instance */
	CTL_ERR_COUNT
};

struct ctl_haproxy {
	struct ctl *owner; /* borrowed: the controller this instance belongs to */
	unsigned index;    /* position in ctl.haproxy[] */
	struct hapi *api;  /* owned */
	char name[128];
	enum ctl_hap_phase phase;
	bool up; /* last exchange worked */
	bool has_info;
	struct hapi_info info; /* last show info */
	char last_error[256];
	struct hapi_server *have; /* owned, last show servers state */
	size_t n_have, cap_have;
	unsigned n_sent;      /* commands in the batch in flight */
	unsigned *sent_kinds; /* owned, CTL_CMD_* kind of each of those commands */
	uint64_t restarts;
	uint64_t actions[CTL_CMD_COUNT]; /* accepted commands by CTL_CMD_* kind */
	uint64_t errors[CTL_ERR_COUNT];
	uint64_t reconciles;
};

struct ctl {
	struct ev_loop *loop; /* borrowed */
	struct ctl_cfg cfg;   /* owned */
	char cfg_path[1024];
	struct node_limits limits;
	struct poller *poller;    /* owned */
	struct http_server *http; /* owned */
	struct state *state;      /* owned: admin drains and their file */
	struct admin *admin;      /* owned: in front of status_http_handler */
	struct ctl_chain *chains; /* owned */
	unsigned n_chains;
	struct ctl_haproxy haproxy[CTL_CFG_MAX_HAPROXY];
	unsigned n_haproxy;
	ev_timer tick;
	unsigned outstanding; /* node polls of this round not finished */
	bool round_open;
	uint64_t rounds;
	double round_started;
	double last_round_ms;
	bool first_decision_done;
	bool reload_pending;
	struct ctl_cfg next_cfg; /* valid when reload_pending */
	uint64_t reloads, reload_failures;
	int64_t started_ms;
};

/*
 * Builds the controller from <cfg> (ownership moves in) on <loop>: loads the
 * state file, opens the HTTP listener, starts polling. <cfg_path> is kept
 * for SIGHUP. Returns 0, or -1 with the reason in <err> (the cfg is freed).
 */
PF_MUSTCHECK int ctl_start(struct ctl *c, struct ev_loop *loop, struct ctl_cfg *cfg,
                           const char *cfg_path, char *err, size_t errlen);

/* SIGHUP: re-reads the config; applied between rounds. Logs and keeps the old one on error. */
void ctl_reload(struct ctl *c);

/* Finds a node by name, or NULL. */
struct ctl_node *ctl_find_node(struct ctl *c, const char *name);

/* Stops everything and frees what ctl_start built. */
void ctl_stop(struct ctl *c);

#endif
