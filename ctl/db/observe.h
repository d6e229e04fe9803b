/* SPDX-License-Identifier: MIT */
/*
 * What a user of one chain in this region gets, from the controller's
 * counts after a round: up, degraded or down (sql/002_observation.sql has
 * the meanings), with the reason in words. The uptime report counts from
 * these states, so the rules live here, in one place. Pure.
 */
#ifndef PF_CTL_DB_OBSERVE_H
#define PF_CTL_DB_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum obs_state { OBS_NODATA = 0, OBS_UP, OBS_DEGRADED, OBS_DOWN, OBS_STATE_COUNT };

/* One chain after a round. */
struct obs_counts {
	unsigned total;       /* nodes configured */
	unsigned in_rotation; /* READY */
	unsigned healthy;     /* READY, deserving traffic, not kept in by the floor */
	unsigned kept_in;     /* READY only because of min_ready (failing open) */
	unsigned reachable;   /* answered this round */
	unsigned min_ready;
	bool stalled; /* the reference head has not advanced for stall_ms */
	bool has_ref;
	uint64_t ref_best;
};

/* "nodata", "up", "degraded", "down"; "?" out of range. */
const char *obs_state_name(enum obs_state s);

/*
 * The chain's state, first rule that applies:
 * - down, "stalled at height H": the chain makes no blocks, whoever serves it;
 * - down, "no node answering": nobody reachable;
 * - down, "only nodes kept in by min_ready (N)": every node in rotation is unhealthy;
 * - down, "no healthy node in rotation": e.g. every healthy node admin-drained;
 * - degraded, "H healthy, fewer than min_ready M": served, short of the floor;
 * - up, "H healthy of T".
 * The reason goes in <why> (always NUL-terminated when <whylen> > 0).
 */
enum obs_state obs_chain_state(const struct obs_counts *c, char *why, size_t whylen);

#endif
