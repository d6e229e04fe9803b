/* SPDX-License-Identifier: MIT */
/*
 * Which nodes of one chain deserve traffic. Each round the controller hands
 * over every node's latest poll (noderpc.h), the chain's facts from its
 * config (network, block time), the persistent per-node and per-chain
 * tracks it owns, and the time; node_decide() updates the chain's network,
 * reference heights, ceiling and stall flag and each node's desired state
 * (READY or DRAIN), reason and change flag. Pure: no I/O, no clock, no
 * logging, no allocation; turning a change into HAProxy commands and log
 * lines is the caller's job.
 */
#ifndef PF_CTL_NODE_H
#define PF_CTL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/poll/noderpc.h"

#define NODE_RING_SIZE  256 /* reference advances remembered for lag in seconds */
#define NODE_REASON_MAX 256 /* a foreign node's reason names two 66-character hashes */

/* The tunables, from the config (ctl_cfg.c holds the defaults). */
struct node_limits {
	uint64_t max_lag;           /* blocks behind the reference best */
	uint32_t max_lag_seconds;   /* 0 = off */
	uint64_t max_finalized_lag; /* blocks behind the reference finalized; 0 = off */
	uint32_t min_peers;
	unsigned rise, fall;   /* consecutive rounds; 0 counts as 1 */
	uint32_t min_drain_ms; /* shortest health drain before rise can bring a node back */
	unsigned min_ready;    /* per-chain floor of READY nodes (fail open); 0 = no floor */
	uint32_t stall_ms;     /* reference best unchanged this long = stalled; 0 = off */
};

/* Facts about one chain, from its config. */
struct node_chain_params {
	bool has_genesis;                   /* <genesis> is set: it wins over the learned one */
	char genesis[NODERPC_HASH_LEN + 1]; /* hash of block 0, lower-case */
	uint32_t block_time_ms;             /* shortest time between two blocks; 0 acts as 1 */
};

enum node_state { NODE_READY = 0, NODE_DRAIN, NODE_STATE_COUNT };

/*
 * Per node, owned by the caller, kept across rounds. Before the first round
 * call node_track_init() (or zero it and set <state>); the caller sets
 * <admin_drain>/<admin_reason>; node_decide() writes the rest.
 */
struct node_track {
	enum node_state state; /* desired state after this round */
	unsigned good, bad;    /* consecutive rounds deserving / not deserving traffic */
	int64_t since_ms;      /* when <state> was entered (the first round for a preset state) */
	bool admin_drain;      /* input: force DRAIN */
	char admin_reason[NODE_REASON_MAX]; /* input: shown as "admin: <admin_reason>" */
	bool admin_held; /* this DRAIN period saw an admin drain: min_drain_ms is waived */
	bool kept_in;    /* READY only because of the min_ready floor / all-unreachable freeze */
	bool deserves;   /* this round's health verdict */
	bool reachable;  /* this round: poll OK with a best block */
	bool foreign; /* its genesis is not the chain's (another network); kept while unreachable */
	bool implausible;          /* this round: best above what the chain can have made */
	bool stuck;                /* this round: best still while others advance past it */
	uint64_t lag_blocks;       /* behind the reference best, 0 when at or ahead */
	uint32_t lag_seconds;      /* since the reference first reached best + 1 */
	uint64_t finalized_lag;    /* behind the reference finalized (0 when unknown) */
	char why[NODE_REASON_MAX]; /* reason for <state> (see node_decide()) */
	bool changed;              /* <state> differs from <prev> */
	enum node_state prev;      /* <state> before this round */
	bool initialised;          /* set by the first node_decide() */
	/* History of the best block, for stuck nodes: */
	bool has_last_best;
	uint64_t last_best;      /* best of the last reachable poll */
	int64_t best_changed_ms; /* when <last_best> was first seen */
	bool passed; /* an advancing node has been above <last_best> since <passed_ms> */
	int64_t passed_ms;
};

/* Reference heights seen (strictly increasing), with when each was first reached. */
struct node_ref_mark {
	uint64_t height;
	int64_t first_seen_ms;
};

/* Per chain, owned by the caller, kept across rounds; start with node_chain_init(). */
struct chain_track {
	bool has_ref;             /* some round had a candidate (see node_decide()) */
	uint64_t ref_best;        /* this round's reference best */
	bool has_ref_finalized;   /* some round had a reachable node with has_finalized */
	uint64_t ref_finalized;   /* same for finalized; kept when nobody reports it */
	uint64_t ref_top;         /* highest reference best so far */
	int64_t ref_changed_ms;   /* when <ref_top> last advanced */
	bool stalled;             /* <ref_top> unchanged for stall_ms while nodes answer */
	int64_t stalled_since_ms; /* round the stall was detected */
	bool stall_changed;       /* <stalled> flipped this round (for one log line) */
	unsigned reachable;       /* nodes reachable this round, foreign ones included */
	unsigned candidates;      /* nodes that took part in the vote this round */
	unsigned ready;           /* nodes READY after this round */
	uint64_t vote;            /* this round's 2nd-highest candidate best (the only one's) */
	bool lone_ref;            /* this round's reference is one node above the vote */
	/* Network: */
	bool has_genesis;                   /* the genesis nodes are checked against: */
	char genesis[NODERPC_HASH_LEN + 1]; /* configured, else <learned> */
	bool has_learned;
	char learned[NODERPC_HASH_LEN + 1]; /* last reported by more than half of the nodes */
	bool genesis_conflict; /* nothing to check against and the nodes disagree: nobody foreign */
	/* Ceiling: the chain's tip when the vote last confirmed it, projected at the block time. */
	bool has_anchor;
	uint64_t anchor;   /* highest plausible best within max_lag of the vote */
	int64_t anchor_ms; /* when <anchor> was first confirmed */
	bool has_ceiling;
	uint64_t ceiling; /* anchor + blocks the chain can have made since + max_lag */
	/* The vote when two or more candidates last agreed, to tell a vote that stopped. */
	bool has_base;
	uint64_t base_vote;
	int64_t base_ms; /* when <base_vote> was first seen */
	/* Without an anchor: the vote since <watch_ms>, to tell a vote that keeps the pace. */
	bool has_watch;
	uint64_t watch_vote;
	int64_t watch_ms;
	struct node_ref_mark ring[NODE_RING_SIZE];
	unsigned ring_start, ring_len; /* oldest entry, entries in use */
};

/* "ready", "drain", or "?". */
const char *node_state_name(enum node_state s);

/*
 * Zeroes <t> with <preset> as its state: what HAProxy shows for the server
 * right now, so a controller restart keeps healthy servers where they are.
 */
void node_track_init(struct node_track *t, enum node_state preset);

/* Zeroes <c>: no reference yet, not stalled. */
void node_chain_init(struct chain_track *c);

/*
 * One round for one chain of <n> nodes at time <now_ms>: <polls>[i] is node
 * i's poll (borrowed, read only), <tracks>[i] its track (updated), <cp> the
 * chain's facts (borrowed). Rules, in order (README "Decision" has the table):
 * - network: the expected genesis is <cp>'s, else the one more than half of
 *   the <n> nodes report (learned, kept in <chain> until another majority);
 *   with neither, nobody is foreign and <genesis_conflict> says whether the
 *   reports disagree. A reachable node reporting another genesis is foreign
 *   (and stays so while it does not answer): DRAIN at once ("another
 *   network: genesis <its>, expected <ours>"), never a candidate, never kept
 *   in by the floor. A new expected genesis forgets
 *   the chain's heights. The caller makes a poll without genesis a failure;
 *   here such a node is not judged for its network;
 * - stuck: a reachable node of the network whose best has not moved while,
 *   for stall_ms (and at least 3 block times), an advancing node stood above
 *   it ("stuck at 1000 for 62 s while others advance"); a whole-chain stall
 *   makes nobody stuck;
 * - candidates: reachable (poll OK with has_best), not foreign, not stuck.
 *   The vote V is their 2nd-highest best (the only one's when one);
 * - anchor: the highest candidate under last round's ceiling, when within
 *   max_lag of V and above the anchor, with the time it was first confirmed;
 *   before there is one, also the highest candidate within max_lag of V once
 *   V has moved at the block time for 3 block times (a node far above since
 *   the start keeps the others from agreeing).
 *   Ceiling P = anchor + ceil(elapsed / block time) + max_lag. A candidate
 *   above max(P, V) is implausible ("height 999999 is more than the chain
 *   can have made (at most 112)"): it never makes the reference;
 * - reference best = V, or the one node above V when it is more than
 *   max_lag above, at most P, and V has stopped: V is more than max_lag
 *   behind the vote of the last round two or more candidates agreed, moved
 *   on by the block time since. Without candidates it is kept. Reference
 *   finalized = 2nd-highest finalized among candidates;
 * - a node deserves traffic iff reachable, has health, not syncing,
 *   peers >= min_peers, not implausible, not stuck, lag_blocks <= max_lag,
 *   lag_seconds <= max_lag_seconds and finalized_lag <= max_finalized_lag
 *   (when those are set); <why> is the first failing rule ("timeout 800 ms",
 *   "syncing", "peers 0 < 2", "lag 61 blocks > 5", "lag 75 s > 60 s",
 *   "finalized lag 30 blocks > 20"), "ok", or for a node drained by health
 *   that now deserves traffic "recovering: good 1/3" /
 *   "recovering: min_drain 12 s left";
 * - READY -> DRAIN after <fall> bad rounds; DRAIN -> READY after <rise> good
 *   rounds and min_drain_ms in DRAIN (waived once an admin drain is cleared);
 * - admin_drain forces DRAIN ("admin: <admin_reason>"), floor or not;
 * - fewer than min_ready READY: the best other nodes, never admin-drained or
 *   foreign, implausible and stuck ones last, are kept or put in READY with
 *   kept_in ("kept in: min_ready 2 (<why>)"); when no node is reachable, no
 *   READY node is drained ("kept in: no node reachable (<why>)");
 * - the chain is stalled once the reference has not advanced for stall_ms
 *   while some node is a candidate; a stall drains nobody by itself.
 * Callback-safe; does nothing when <n> is 0.
 */
void node_decide(const struct node_limits *lim, const struct node_chain_params *cp,
                 struct chain_track *chain, const struct node_poll *polls,
                 struct node_track *tracks, size_t n, int64_t now_ms);

/*
 * An admin drain (<drain> true, with <reason>) or its end, applied between
 * rounds: sets <t>'s admin fields and, for a drain of a READY node, moves it
 * to DRAIN at once (reason "admin: <reason>", <changed> set, <since_ms> =
 * <now_ms>) without counting a round for rise/fall. An undrain waits for the
 * next round's rise rule. Returns true when <t>'s state changed.
 */
bool node_admin(struct node_track *t, bool drain, const char *reason, int64_t now_ms);

#endif
