/* SPDX-License-Identifier: MIT */
/*
 * What the controller records in PostgreSQL, and when (issue 10): node and
 * chain state changes, incidents, operational changes, per-minute samples
 * and the session heartbeats that tell watched time from "no data". It
 * turns the controller's events into records (ctl/db/record.h) for the
 * writer (ctl/db/writer.h), which owns the connection, the spool and the
 * region's lock.
 *
 * Only the holder of the region's lock records states, incidents and
 * samples (an HA pair would otherwise count everything twice); it does so
 * in a session that starts at its first round after taking the lock, when
 * it adopts the incidents still open in the database that it still sees,
 * closes the others and opens what is missing, so a takeover never opens an
 * incident twice. Operational changes are recorded by whichever controller
 * made them, holder or not.
 */
#ifndef PF_CTL_RECORDER_H
#define PF_CTL_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

struct ev_loop;
struct recorder;
struct ctl_node_event; /* ctl/node_event.h */
struct rowtab;         /* ctl/stats/rowtab.h */

#define RECORDER_BEAT_MS     5000    /* heartbeat: the "no data" precision after a crash */
#define RECORDER_PRUNE_MS    3600000 /* usage retention: a pass at most this often */
#define RECORDER_PRUNE_BATCH 5000    /* rows per DELETE of a pass */

struct recorder_cfg {
	const char *conninfo;
	const char *password_file; /* "" or NULL: PGPASSWORD */
	const char *spool_dir;
	const char *region;
	const char *controller;        /* host/region/port (ctl.owner_id) */
	unsigned usage_retention_days; /* rpc_minutes kept; 0 = forever */
};

/* One node after a round, as the recorder needs it. */
struct rec_node_view {
	const char *name;
	bool ready;     /* in rotation (READY) */
	bool healthy;   /* READY, deserving traffic, not kept in by min_ready */
	bool kept_in;   /* READY only because of min_ready */
	bool reachable; /* answered this round */
	bool admin;     /* drained by an admin */
};

struct rec_chain_view {
	const char *name;
	const struct rec_node_view *nodes;
	unsigned n;
	unsigned min_ready;
	bool stalled;
	bool has_ref;
	uint64_t ref_best;
};

struct recorder_stats {
	bool holder;    /* holds the region's lock (or held it last, while the database is away) */
	bool recording; /* a session is open: states, incidents and samples are recorded */
	bool connected; /* to the database */
	uint64_t put;   /* records handed to the writer (the lost ones too) */
	uint64_t written;  /* acknowledged by the database */
	uint64_t lost;     /* refused by the writer: the spool could not be written */
	uint64_t rejected; /* refused by the database for good (class 22/23), dropped */
	uint64_t outages;
	uint64_t pending;     /* put and not yet acknowledged */
	uint64_t spool_bytes; /* size of the spool file now */
	unsigned open_incidents;
};

/* Starts the writer (dbw_open). NULL with the reason in <err>. Never waits for the database. */
PF_MUSTCHECK struct recorder *recorder_open(struct ev_loop *loop, const struct recorder_cfg *cfg,
                                            char *err, size_t errlen);

/* A node's state changed (ctl.c node_changed()): the record and the node's node_out incident. */
void recorder_node_changed(struct recorder *r, const struct ctl_node_event *ev, bool admin_drain);

/*
 * The end of a round: <n> chains as decided. Starts the session when the
 * lock was just taken; records chain state changes, opens and closes the
 * chain incidents, writes the minute's samples and the heartbeat; starts a
 * pass of the usage retention when the last is an hour old.
 */
void recorder_round(struct recorder *r, const struct rec_chain_view *chains, unsigned n,
                    int64_t now_ms);

/*
 * A probe of another region's edge changed (ctl/probe/prober.h): opens or
 * closes that region's region_unreachable incident, from the time users
 * there started to see the change (<since_ms>). Remembered while not
 * recording, so a session starts with the probes as they are.
 */
void recorder_probe_changed(struct recorder *r, const char *region, const char *chain,
                            const char *url, bool reachable, const char *why, int64_t since_ms);

/* An operational change: <kind> reload, drain, undrain or note. */
void recorder_op(struct recorder *r, const char *kind, const char *who, const char *reason,
                 const char *summary, int64_t at_ms);

/*
 * A minute of HAProxy's access lines (ctl/stats/ingest.h): one rpc_minutes
 * row per key of <rows>, stamped <minute_ms>. Written by every controller,
 * holder or not: each writes the lines its own HAProxy instances sent it.
 * Returns the rows handed to the writer (NULL recorder: 0).
 */
size_t recorder_usage(struct recorder *r, int64_t minute_ms, const struct rowtab *rows);

/* SIGHUP: the new usage_retention_days (0 = forever), used from the next pass on. */
void recorder_set_retention(struct recorder *r, unsigned days);

/*
 * What a status page outside polkfura (ctl/cachet/) is told, only while
 * recording, so only the region's lock holder tells it: <chain> after every
 * round with its state ("up", "degraded", "down"; obs_state_name), and
 * every incident opened (<open>, with its chain, kind and summary) or closed
 * (<open> false: only <id> is given, the rest ""). Strings are borrowed for
 * the call; the callbacks must not call the recorder.
 */
struct recorder_hooks {
	void (*chain)(void *ctx, const char *chain, const char *state, int64_t now_ms);
	void (*incident)(void *ctx, const char *id, bool open, const char *chain, const char *kind,
	                 const char *summary, int64_t at_ms);
	void *ctx;
};

/* Sets (or, with NULL, clears) the hooks; copied. */
void recorder_set_hooks(struct recorder *r, const struct recorder_hooks *h);

void recorder_get_stats(const struct recorder *r, struct recorder_stats *out);

/*
 * The controller is stopping: a last heartbeat when recording (so a clean
 * stop ends the watched time exactly), and nothing recorded after it.
 * Returns true while records wait for the database and it is connected:
 * worth a moment of the loop before recorder_close().
 */
bool recorder_quiesce(struct recorder *r, int64_t now_ms);

/* True when nothing waits for the database, or it is away (the spool keeps it all). */
bool recorder_drained(const struct recorder *r);

/* recorder_quiesce() if not done, then closes the writer (what waits stays in the spool) and frees.
 */
void recorder_close(struct recorder *r, int64_t now_ms);

#endif
