/* SPDX-License-Identifier: MIT */
/*
 * One thing the controller records in PostgreSQL (sql/001_schema.sql,
 * 002_observation.sql): the unit the writer (writer.h) queues, spools and
 * replays. A record is plain data, filled by the recorder and copied by the
 * writer; its id is unique among all records ever written by any controller
 * (session id + sequence), so a replay inserts it at most once. Times are
 * wall-clock ms since the epoch, UTC: when the controller observed the
 * thing, never when it reached the database.
 */
#ifndef PF_CTL_DB_RECORD_H
#define PF_CTL_DB_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#define REC_ID_MAX     79   /* session id (32 hex) + "-" + sequence, with room */
#define REC_REGION_MAX 32   /* CTL_CFG_REGION_MAX */
#define REC_CHAIN_MAX  32   /* CTL_CFG_CHAIN_NAME_MAX */
#define REC_NAME_MAX   63   /* node names, CTL_CFG_NAME_MAX */
#define REC_STATE_MAX  15   /* "ready", "drain", "up", "nodata", ... */
#define REC_WORD_MAX   31   /* kinds and severities */
#define REC_TEXT_MAX   511  /* reasons, summaries, notes */
#define REC_WHO_MAX    95   /* "user@host" or "controller host/region/port" */
#define REC_NODES_MAX  1023 /* node names joined by ',' (names never hold one) */
#define REC_LABEL_MAX  64   /* a chain as HAProxy logs it (LOGLINE_CHAIN_MAX) */
#define REC_METHOD_MAX 128  /* a method name (LOGLINE_METHOD_MAX) */
#define REC_HIST_MAX   113  /* buckets of ctl/stats/hist.h (HIST_BUCKETS) */

enum rec_kind {
	REC_NODE_CHANGE = 0, /* INSERT node_state_changes */
	REC_CHAIN_CHANGE,    /* INSERT chain_state_changes */
	REC_INCIDENT_OPEN,   /* INSERT incidents (ended_at NULL) */
	REC_INCIDENT_CLOSE,  /* UPDATE incidents SET ended_at WHERE id AND ended_at IS NULL */
	REC_OP_CHANGE,       /* INSERT operational_changes */
	REC_SAMPLE,          /* INSERT minute_samples */
	REC_SESSION_BEAT,    /* upsert observer_sessions, last_seen = greatest(old, new) */
	REC_USAGE,           /* upsert rpc_minutes (sql/004_usage.sql): adds up a minute's parts */
	REC_KIND_COUNT
};

struct rec_node_change {
	char chain[REC_CHAIN_MAX + 1], node[REC_NAME_MAX + 1];
	char from[REC_STATE_MAX + 1], to[REC_STATE_MAX + 1]; /* "ready"/"drain" (node.h) */
	char reason[REC_TEXT_MAX + 1];
	bool has_best, has_finalized, has_lag, has_peers; /* false: NULL in the row */
	uint64_t best, finalized, lag;
	uint32_t peers;
};

struct rec_chain_change {
	char session[REC_ID_MAX + 1];
	char chain[REC_CHAIN_MAX + 1];
	char from[REC_STATE_MAX + 1], to[REC_STATE_MAX + 1]; /* 002_observation.sql */
	char reason[REC_TEXT_MAX + 1];
	uint32_t total, healthy, in_rotation;
};

struct rec_incident_open {
	char chain[REC_CHAIN_MAX + 1]; /* "" for region_unreachable */
	char kind[REC_WORD_MAX + 1];   /* node_out, chain_degraded, chain_down, chain_stall, ... */
	char severity[REC_WORD_MAX + 1];
	char summary[REC_TEXT_MAX + 1];
	char nodes[REC_NODES_MAX + 1]; /* "a,b": the row's text[] */
};

/* The record's <id> is the incident's id; <at_ms> its end. */
struct rec_incident_close {
	char summary[REC_TEXT_MAX + 1]; /* "" keeps the summary written at open */
};

struct rec_op_change {
	char kind[REC_WORD_MAX + 1]; /* reload, drain, undrain, note */
	char who[REC_WHO_MAX + 1];
	char reason[REC_TEXT_MAX + 1];
	char summary[REC_TEXT_MAX + 1];
};

/* <at_ms> is the start of the minute (a multiple of 60000). */
struct rec_sample {
	char chain[REC_CHAIN_MAX + 1];
	uint32_t total, healthy, in_rotation;
	bool has_ref_height;
	uint64_t ref_height;
};

/* The record's <id> is the session's id; <at_ms> the heartbeat. */
struct rec_session_beat {
	char controller[REC_WHO_MAX + 1];
	int64_t started_ms;
};

/* A sparse latency histogram: the <n> non-empty buckets, by exclusive upper bound in ms. */
struct rec_hist {
	uint32_t n;
	uint32_t le_ms[REC_HIST_MAX]; /* ascending; INT32_MAX for the overflow bucket */
	uint64_t count[REC_HIST_MAX]; /* each > 0 */
};

/*
 * One rpc_minutes row: the record's <at_ms> is the minute (a multiple of
 * 60000). <status> "" marks the overflow row, whose key fields are all "".
 */
struct rec_usage {
	char controller[REC_WHO_MAX + 1];
	char chain[REC_LABEL_MAX + 1];   /* "" when the line named none */
	char method[REC_METHOD_MAX + 1]; /* a table name, "batch", "other", or "" */
	char cls[REC_WORD_MAX + 1];      /* the agent's class or "-" */
	char status[REC_WORD_MAX + 1];   /* "none", "1xx" ... "5xx"; "" for the overflow row */
	uint64_t requests, errors, calls, bytes, node_ms, ta_count, ta_sum_ms;
	struct rec_hist ta; /* its counts add up to <ta_count> */
};

struct db_record {
	enum rec_kind kind;
	char id[REC_ID_MAX + 1];
	char region[REC_REGION_MAX + 1];
	int64_t at_ms;
	union {
		struct rec_node_change node;
		struct rec_chain_change chain;
		struct rec_incident_open open;
		struct rec_incident_close close;
		struct rec_op_change op;
		struct rec_sample sample;
		struct rec_session_beat beat;
		struct rec_usage usage;
	} u;
};

#endif
