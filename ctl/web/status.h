/* SPDX-License-Identifier: MIT */
/*
 * What the controller shows: /metrics (Prometheus text), /status.json and
 * /healthz (the admin endpoints are web/admin.c's, in front of these), and
 * the table `polkfura-ctl status` prints from /status.json. It renders a view the controller builds
 * on request (struct status_view), so this folder never includes the
 * controller's header: the controller hands over plain values and callbacks.
 */
#ifndef PF_CTL_WEB_STATUS_H
#define PF_CTL_WEB_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/compiler.h"
#include "common/procstat.h"
#include "ctl/poll/noderpc.h"
#include "ctl/web/http.h"

#define STATUS_LAT_BUCKETS 10 /* poll latency histogram buckets, see status_lat_bounds_ms */
#define STATUS_ACT_KINDS   4  /* state, weight, addr, shutdown_sessions */
#define STATUS_ERR_KINDS   6  /* io, parse, refused, no_server, no_slot, busy */

extern const double status_lat_bounds_ms[STATUS_LAT_BUCKETS];

/* One node's server in one HAProxy instance, as that instance shows it. */
struct status_server {
	bool known;         /* the instance answered at least once */
	bool present;       /* it has a server (or slot) for the node */
	const char *server; /* "" when not present */
	const char *state;  /* "ready", "drain", "maint", "absent", "unknown" */
	bool up;            /* HAProxy's health: running */
	bool hand_maint;
	bool differs; /* HAProxy's state is not the decision */
};

struct status_node {
	const char *name;
	const char *state; /* the decision: "ready" or "drain" */
	const char *why;
	bool reachable, admin_drain, kept_in;
	bool foreign, implausible, stuck; /* the decision's findings (see the README's rule) */
	bool has_best, has_finalized, has_health;
	uint64_t best, finalized, lag_blocks;
	uint32_t lag_seconds, peers, poll_ms;
	bool syncing;
	const char *poll;     /* "ok" or the failure class */
	const char *admin_by; /* who drained it ("user@host from peer"); NULL when not drained */
	int64_t admin_at_ms;  /* when, with <admin_by> */
	int64_t since_ms;
	uint64_t polls;
	uint64_t poll_failures[NODE_POLL_ERR_COUNT];
	uint64_t lat_hist[STATUS_LAT_BUCKETS + 1]; /* last: +Inf */
	double lat_sum_ms;
	uint64_t lat_count;
	struct status_server *servers; /* one per instance, in instance order */
};

struct status_chain {
	const char *name, *backend;
	uint64_t ref_best, ref_finalized;
	bool stalled;
	const char *genesis;   /* what nodes are checked against; "" when nothing yet */
	bool genesis_conflict; /* nodes disagree and no genesis is configured */
	bool has_ceiling;
	uint64_t ceiling; /* the highest block the chain can have made */
	struct status_node *nodes;
	unsigned n_nodes;
};

struct status_haproxy {
	const char *name;
	bool up, has_info, standby;
	long pid, uptime_sec;
	const char *version, *last_error, *holder;
	uint64_t restarts, state_file_writes;
	uint64_t state_file_errors; /* failed writes of HAProxy's server-state file */
	int64_t last_ok_ms;         /* the last round without error; 0: none yet */
	size_t problems;
	uint64_t actions[STATUS_ACT_KINDS];
	uint64_t errors[STATUS_ERR_KINDS];
};

/* One probed URL of another region's edge (ctl/probe/prober.h). */
struct status_probe {
	const char *region, *chain, *url; /* chain "" = the region as a whole */
	const char *state;                /* "unknown", "reachable", "unreachable" */
	const char *why;                  /* why <state>; "" while unknown */
	const char *last;                 /* the latest probe's reason */
	int64_t since_ms;                 /* 0 while unknown */
	uint64_t probes, failures;
	double last_ms;
};

/* The recording (ctl/recorder.h), when the config has a database. */
struct status_db {
	bool connected; /* to the database */
	bool holder;    /* holds the region's lock, or held it last while the database is away */
	bool recording; /* a session is open: states, incidents and samples are recorded */
	uint64_t put, written, lost, rejected; /* records, see recorder_stats */
	uint64_t outages;
	uint64_t pending;     /* put and not yet acknowledged */
	uint64_t spool_bytes; /* the spool file's size now */
	unsigned open_incidents;
};

struct status_view {
	const char *region;
	int64_t now_ms;
	uint64_t rounds, reloads, reload_failures;
	uint64_t decided; /* rounds whose decisions were made (all polls answered) */
	double last_round_ms;
	struct status_chain *chains;
	unsigned n_chains;
	struct status_haproxy *haproxy;
	unsigned n_haproxy;
	struct status_probe *probes;
	unsigned n_probes;
	bool has_db; /* the config has a database: <db> is filled */
	struct status_db db;
	uint64_t state_file_errors; /* the controller's own state file: failed writes */
	const char *version;        /* the build's, for build_info; NULL: "unknown" */
	bool has_proc;              /* <proc> was read (process_* metrics) */
	struct pf_proc_metrics proc;
	/*
	 * Families another module renders whole (HELP, TYPE and samples), after
	 * the controller's own: the log ingestion's per-method series. NULL: none.
	 */
	void (*more_metrics)(void *ctx, struct pf_buf *out);
	void *more_metrics_ctx;
	void *priv; /* the builder's, for its release callback */
};

/* What the HTTP handler needs from the controller; all called on the loop thread. */
struct status_ops {
	void *ctx;
	/* Fills <out> (the controller owns what it points to until <release>). 0 or -1 (memory). */
	int (*build)(void *ctx, struct status_view *out);
	void (*release)(void *ctx, struct status_view *view);
};

/* The http_handler_fn behind the admin gate (web/admin.h); <ctx> is a struct status_ops. */
void status_http_handler(void *ctx, const struct http_request *req, struct http_reply *out);

/* /status.json of <v> as a malloc'd string, or NULL on allocation failure. */
char *status_render_json(const struct status_view *v);

/* /metrics of <v> as a malloc'd string (length in <*len>), or NULL on allocation failure. */
char *status_render_metrics(const struct status_view *v, size_t *len);

/*
 * Prints the node table of a /status.json document <json>/<len> to <out>:
 * chain, node, state, what HAProxy shows (a letter per instance), best,
 * finalized, lag, peers, poll latency, since, why; then, with a database,
 * one "database: ..." line. Returns 0, or -1 with the reason in <err> for a
 * document it cannot read.
 */
PF_MUSTCHECK int status_print_table(const char *json, size_t len, int64_t now_ms, FILE *out,
                                    char *err, size_t errlen);

#endif
