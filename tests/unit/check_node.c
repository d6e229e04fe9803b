/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/node.c. Most cases are cluster scenarios in one table:
 * each gives the limits, the chain's facts, the nodes' preset states and a
 * list of rounds, each round every node's poll in a short notation and what
 * must follow (states, kept_in, changes, reasons, the chain's reference,
 * stall and genesis-conflict flags). The rows of README's decision table
 * are scenarios here, under the same names. Then randomised property runs
 * (the min_ready floor always holds; one node's height never makes an
 * advancing majority lag), lag in seconds and ring details, the ceiling,
 * the network, and the small helpers. Needs no files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/compiler.h"
#include "ctl/node.h"
#include "ctl/poll/noderpc.h"

#define MAXN    6
#define MAXR    12
#define ADMIN   "kernel upgrade"
#define NOCHK   (-1)
#define SKIP64  UINT64_MAX
#define TEST_BT 6000 /* block time of a scenario that names none: Polkadot's */

/* Genesis hashes: network A is the chain's, B another one. */
#define HASH_OF(c)                                                                                 \
	"0x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	    c c c c c c c c c c c c c c c c c c c c c
#define HA        HASH_OF("a")
#define HB        HASH_OF("b")
#define FOREIGN_B "another network: genesis " HB ", expected " HA

/* A failed poll as the poller writes it (the test links node.c alone, not noderpc.c). */
static void poll_fail(struct node_poll *p, enum node_poll_err err, const char *detail)
{
	p->err = err;
	(void)snprintf(p->detail, sizeof(p->detail), "%s", detail);
}

/*
 * Poll notation, space-separated: "b=N" best (makes it reachable), "p=N"
 * peers (default 10), "f=N" finalized, "g=X" genesis of 64 X digits (default
 * "g=a", network A), "nog" no genesis, "sync" syncing, "nohealth" no
 * system_health answer; or one failure: "timeout", "http", "conn", "mal".
 */
static void poll_from(const char *spec, struct node_poll *p)
{
	char buf[128], *tok, *save = NULL;

	memset(p, 0, sizeof(*p));
	p->has_health = true;
	p->peers = 10;
	p->should_have_peers = true;
	p->has_genesis = true;
	memcpy(p->genesis_hash, HA, sizeof(HA));
	ck_assert_uint_lt(strlen(spec), sizeof(buf));
	memcpy(buf, spec, strlen(spec) + 1);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (strncmp(tok, "b=", 2) == 0) {
			p->has_best = true;
			p->best = strtoull(tok + 2, NULL, 10);
		} else if (strncmp(tok, "p=", 2) == 0) {
			p->peers = (uint32_t)strtoul(tok + 2, NULL, 10);
		} else if (strncmp(tok, "f=", 2) == 0) {
			p->has_finalized = true;
			p->finalized = strtoull(tok + 2, NULL, 10);
		} else if (strncmp(tok, "g=", 2) == 0 && strlen(tok) == 3) {
			memset(p->genesis_hash + 2, tok[2], NODERPC_HASH_LEN - 2);
		} else if (strcmp(tok, "nog") == 0) {
			p->has_genesis = false;
		} else if (strcmp(tok, "sync") == 0) {
			p->syncing = true;
		} else if (strcmp(tok, "nohealth") == 0) {
			p->has_health = false;
		} else if (strcmp(tok, "timeout") == 0) {
			poll_fail(p, NODE_POLL_TIMEOUT, "timeout 800 ms");
		} else if (strcmp(tok, "http") == 0) {
			poll_fail(p, NODE_POLL_HTTP, "HTTP 503");
		} else if (strcmp(tok, "conn") == 0) {
			poll_fail(p, NODE_POLL_CONNECT, "connect: Connection refused");
		} else if (strcmp(tok, "mal") == 0) {
			poll_fail(p, NODE_POLL_MALFORMED, "malformed: number \"0xZZ\" is not hex");
		} else {
			ck_abort_msg("bad poll token %s", tok);
		}
	}
	if (p->err != NODE_POLL_OK) {
		p->has_health = false;
		p->has_best = false;
		p->has_genesis = false;
	}
}

struct round {
	int64_t t;
	const char *poll[MAXN];
	const char *state;     /* 'R' ready, 'r' ready kept_in, 'D' drain; NULL ends the list */
	const char *changed;   /* 'x' changed this round, '.' not; NULL: not checked */
	const char *why[MAXN]; /* NULL: not checked */
	int64_t ref;           /* reference best, NOCHK */
	int stalled;           /* 0/1, NOCHK */
	unsigned admin;        /* bit i: node i under admin drain this round */
	int conflict;          /* chain's genesis_conflict 0/1, NOCHK */
};

struct scenario {
	const char *name;
	struct node_limits lim;
	size_t n;
	const char *preset; /* "RRD"; NULL: all READY */
	struct round r[MAXR];
	struct node_chain_params cp; /* block_time_ms 0: TEST_BT */
};

/* A configured genesis, as ctl.c passes it. */
#define GENESIS(h)                                                                                 \
	{                                                                                          \
		.has_genesis = true, .genesis = h                                                  \
	}

/*
 * Limits in the order max_lag, max_lag_seconds, max_finalized_lag, min_peers,
 * rise, fall, min_drain_ms, min_ready, stall_ms. The common set is
 * LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000).
 */
#define LIM(lag, lag_s, fin, peers, r, f, drain, ready, stall)                                     \
	{                                                                                          \
		.max_lag = (lag), .max_lag_seconds = (lag_s), .max_finalized_lag = (fin),          \
		.min_peers = (peers), .rise = (r), .fall = (f), .min_drain_ms = (drain),           \
		.min_ready = (ready), .stall_ms = (stall)                                          \
	}

static const struct scenario scenarios[] = {
    /*
     * There from the first round, the bogus node keeps the others from
     * agreeing, and their vote moves a block a second, faster than the block
     * time: no tip is confirmed, no ceiling calls it implausible. It stays in,
     * but never sets the reference (bogus_from_the_start: a vote at the block
     * time confirms a tip; bogus_N_nodes: a node that jumps later).
     */
    {"bogus_high_node",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0, {"b=100", "b=100", "b=999999"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 0, 0, 0},
         {1000, {"b=101", "b=100", "b=999999"}, "RRR", "...", {"ok", "ok", "ok"}, 101, 0, 0, 0},
         {2000, {"b=102", "b=102", "b=1000000"}, "RRR", "...", {"ok", "ok", "ok"}, 102, 0, 0, 0},
         {3000, {"b=103", "b=103", "b=1000001"}, "RRR", "...", {"ok", "ok", "ok"}, 103, 0, 0, 0},
         /* One of the two honest nodes down: the reference is still not the bogus one. */
         {4000,
          {"b=104", "timeout", "b=1000002"},
          "RRR",
          "...",
          {"ok", "timeout 800 ms", "ok"},
          104,
          0,
          0,
          0},
         {5000,
          {"b=105", "timeout", "b=1000003"},
          "RDR",
          ".x.",
          {"ok", "timeout 800 ms", "ok"},
          105,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"two_agree_on_a_bogus_height_pair_only",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     4,
     NULL,
     {
         /* A lone liar is ignored; two agreeing nodes define the head. */
         {0, {"b=100", "b=100", "b=100", "b=5000"}, "RRRR", "....", {NULL}, 100, 0, 0, 0},
         {1000,
          {"b=100", "b=100", "b=5000", "b=5000"},
          "RRRR",
          "....",
          {"lag 4900 blocks > 5", "lag 4900 blocks > 5", "ok", "ok"},
          5000,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"chain_stalled_together",
     LIM(5, 30, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0, {"b=100", "b=100", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 0, 0, 0},
         {30000, {"b=100", "b=100", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 0, 0, 0},
         {59999, {"b=100", "b=100", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 0, 0, 0},
         {60000, {"b=100", "b=100", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 1, 0, 0},
         {120000, {"b=100", "b=100", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 1, 0, 0},
         /* Nobody reachable: the flag is kept, nobody moves. */
         {121000, {"timeout", "timeout", "timeout"}, "RRR", "...", {NULL}, 100, 1, 0, 0},
         {122000, {"b=101", "b=101", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 101, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"one_node_stuck_is_not_a_stall",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 20000),
     3,
     NULL,
     {
         {0, {"b=100", "b=100", "b=100"}, "RRR", "...", {NULL}, 100, 0, 0, 0},
         {15000, {"b=102", "b=102", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 102, 0, 0, 0},
         {30000, {"b=104", "b=104", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 104, 0, 0, 0},
         /* Passed at 15 s by advancing nodes, still at 100 20 s later: stuck. */
         {45000,
          {"b=106", "b=106", "b=100"},
          "RRR",
          "...",
          {"ok", "ok", "stuck at 100 for 45 s while others advance"},
          106,
          0,
          0,
          0},
         {46000,
          {"b=106", "b=106", "b=100"},
          "RRD",
          "..x",
          {"ok", "ok", "stuck at 100 for 46 s while others advance"},
          106,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"two_lagging_drain_after_fall",
     LIM(5, 0, 0, 2, 2, 3, 10000, 1, 60000),
     4,
     NULL,
     {
         {0, {"b=100", "b=100", "b=100", "b=100"}, "RRRR", "....", {NULL}, 100, 0, 0, 0},
         {1000,
          {"b=110", "b=110", "b=100", "b=105"},
          "RRRR",
          "....",
          {"ok", "ok", "lag 10 blocks > 5", "ok"},
          110,
          0,
          0,
          0},
         {2000,
          {"b=120", "b=120", "b=100", "b=105"},
          "RRRR",
          "....",
          {"ok", "ok", "lag 20 blocks > 5", "lag 15 blocks > 5"},
          120,
          0,
          0,
          0},
         {3000,
          {"b=130", "b=130", "b=100", "b=105"},
          "RRDR",
          "..x.",
          {"ok", "ok", "lag 30 blocks > 5", "lag 25 blocks > 5"},
          130,
          0,
          0,
          0},
         {4000,
          {"b=140", "b=140", "b=100", "b=105"},
          "RRDD",
          "...x",
          {"ok", "ok", "lag 40 blocks > 5", "lag 35 blocks > 5"},
          140,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"two_of_three_behind_one_leader_follows_the_majority",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         /*
          * The two define the head; 61 blocks in a second is more than the
          * chain can make (one per 6 s): the leader is implausible.
          */
         {0, {"b=100", "b=100", "b=100"}, "RRR", "...", {NULL}, 100, 0, 0, 0},
         {1000,
          {"b=161", "b=100", "b=100"},
          "RRR",
          "...",
          {"height 161 is more than the chain can have made (at most 106)", "ok", "ok"},
          100,
          0,
          0,
          0},
         {2000,
          {"b=162", "b=100", "b=100"},
          "DRR",
          "x..",
          {"height 162 is more than the chain can have made (at most 106)", "ok", "ok"},
          100,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"recovery_needs_rise_and_min_drain",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0,
          {"b=100", "b=100", "b=90"},
          "RRR",
          "...",
          {"ok", "ok", "lag 10 blocks > 5"},
          100,
          0,
          0,
          0},
         {2000,
          {"b=101", "b=101", "b=90"},
          "RRD",
          "..x",
          {"ok", "ok", "lag 11 blocks > 5"},
          101,
          0,
          0,
          0},
         {3000,
          {"b=102", "b=102", "b=102"},
          "RRD",
          "...",
          {"ok", "ok", "recovering: good 1/2"},
          102,
          0,
          0,
          0},
         {4000,
          {"b=103", "b=103", "b=103"},
          "RRD",
          "...",
          {"ok", "ok", "recovering: min_drain 8 s left"},
          103,
          0,
          0,
          0},
         {11999,
          {"b=104", "b=104", "b=104"},
          "RRD",
          "...",
          {"ok", "ok", "recovering: min_drain 1 s left"},
          104,
          0,
          0,
          0},
         {12000, {"b=105", "b=105", "b=105"}, "RRR", "..x", {"ok", "ok", "ok"}, 105, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"one_bad_round_resets_rise",
     LIM(5, 0, 0, 2, 3, 2, 0, 1, 60000),
     3,
     "RRD",
     {
         {0,
          {"b=100", "b=100", "b=100"},
          "RRD",
          "...",
          {NULL, NULL, "recovering: good 1/3"},
          100,
          0,
          0,
          0},
         {1000,
          {"b=101", "b=101", "b=101"},
          "RRD",
          "...",
          {NULL, NULL, "recovering: good 2/3"},
          101,
          0,
          0,
          0},
         {2000,
          {"b=102", "b=102", "b=102 p=1"},
          "RRD",
          "...",
          {NULL, NULL, "peers 1 < 2"},
          102,
          0,
          0,
          0},
         {3000,
          {"b=103", "b=103", "b=103"},
          "RRD",
          "...",
          {NULL, NULL, "recovering: good 1/3"},
          103,
          0,
          0,
          0},
         {4000, {"b=104", "b=104", "b=104"}, "RRD", "...", {NULL}, 104, 0, 0, 0},
         {5000, {"b=105", "b=105", "b=105"}, "RRR", "..x", {NULL, NULL, "ok"}, 105, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"fail_open_floor",
     LIM(5, 0, 0, 2, 2, 2, 10000, 2, 60000),
     3,
     NULL,
     {
         {0,
          {"b=120 sync", "b=120 p=0", "b=100"},
          "RRR",
          "...",
          {"syncing", "peers 0 < 2", "lag 20 blocks > 5"},
          120,
          0,
          0,
          0},
         /* All three out by health: the best two stay (not syncing, then height). */
         {1000,
          {"b=121 sync", "b=121 p=0", "b=100"},
          "Drr",
          "x..",
          {"syncing", "kept in: min_ready 2 (peers 0 < 2)",
           "kept in: min_ready 2 (lag 21 blocks > 5)"},
          121,
          0,
          0,
          0},
         {2000, {"b=122 sync", "b=122 p=0", "b=100"}, "Drr", "...", {NULL}, 122, 0, 0, 0},
         /* A syncs: healthy but waiting for rise, it is the best pick and replaces C. */
         {3000,
          {"b=123", "b=123 p=0", "b=100"},
          "rrD",
          "x.x",
          {"kept in: min_ready 2 (recovering: good 1/2)", "kept in: min_ready 2 (peers 0 < 2)",
           "lag 23 blocks > 5"},
          123,
          0,
          0,
          0},
         /* Already READY, A needs no rise: it is simply ready now. */
         {4000,
          {"b=124", "b=124 p=0", "b=100"},
          "RrD",
          "...",
          {"ok", "kept in: min_ready 2 (peers 0 < 2)", "lag 24 blocks > 5"},
          124,
          0,
          0,
          0},
         {5000,
          {"b=125", "b=125", "b=125"},
          "RRD",
          "...",
          {"ok", "ok", "recovering: good 1/2"},
          125,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"floor_prefers_reachable_then_peers_then_ready",
     LIM(5, 0, 0, 2, 2, 1, 10000, 1, 60000),
     4,
     "DRDD",
     {
         /* All out: A timeout, B/C/D syncing at one height; C has the most peers. */
         {0,
          {"timeout", "b=50 sync p=3", "b=50 sync p=9", "b=50 sync p=9"},
          "DDrD",
          ".xx.",
          {"timeout 800 ms", "syncing", "kept in: min_ready 1 (syncing)", "syncing"},
          50,
          0,
          0,
          0},
         /* C and D tie: C is already READY. */
         {1000,
          {"timeout", "b=50 sync p=3", "b=50 sync p=9", "b=50 sync p=9"},
          "DDrD",
          "....",
          {NULL},
          50,
          0,
          0,
          0},
         /* D gets higher: height goes before "already READY". */
         {2000,
          {"timeout", "b=50 sync p=3", "b=50 sync p=9", "b=51 sync p=1"},
          "DDDr",
          "..xx",
          {NULL},
          50,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"all_unreachable_keeps_ready",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     "RRD",
     {
         {0, {"b=100", "b=100", "b=100"}, "RRD", "...", {NULL}, 100, 0, 0, 0},
         {1000,
          {"timeout", "conn", "http"},
          "RRD",
          "...",
          {"timeout 800 ms", "connect: Connection refused", "HTTP 503"},
          100,
          0,
          0,
          0},
         {2000,
          {"timeout", "conn", "http"},
          "rrD",
          "...",
          {"kept in: no node reachable (timeout 800 ms)",
           "kept in: no node reachable (connect: Connection refused)", "HTTP 503"},
          100,
          0,
          0,
          0},
         {90000, {"timeout", "conn", "http"}, "rrD", "...", {NULL}, 100, 0, 0, 0},
         /* One comes back: normal rules again, the floor holds B. */
         {91000,
          {"timeout", "b=101", "http"},
          "DRD",
          "x..",
          {"timeout 800 ms", "ok", NULL},
          101,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"all_unreachable_floor_fills",
     LIM(5, 0, 0, 2, 2, 1, 10000, 2, 60000),
     3,
     "DRD",
     {
         {0,
          {"timeout", "timeout", "timeout"},
          "rrD",
          "x..",
          {"kept in: min_ready 2 (timeout 800 ms)", "kept in: no node reachable (timeout 800 ms)",
           "timeout 800 ms"},
          NOCHK,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"syncing_and_low_peers_and_no_health",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     4,
     NULL,
     {
         {0,
          {"b=100", "b=100 sync", "b=100 p=1", "b=100 nohealth"},
          "RRRR",
          "....",
          {"ok", "syncing", "peers 1 < 2", "no health reply"},
          100,
          0,
          0,
          0},
         {1000,
          {"b=100", "b=100 sync", "b=100 p=1", "b=100 nohealth"},
          "RDDD",
          ".xxx",
          {"ok", "syncing", "peers 1 < 2", "no health reply"},
          100,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"failure_reasons_verbatim",
     LIM(5, 0, 0, 2, 2, 1, 10000, 1, 60000),
     5,
     NULL,
     {
         {0,
          {"b=7", "timeout", "http", "conn", "mal"},
          "RDDDD",
          ".xxxx",
          {"ok", "timeout 800 ms", "HTTP 503", "connect: Connection refused",
           "malformed: number \"0xZZ\" is not hex"},
          7,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"admin_drain_beats_floor_and_returns_without_min_drain",
     LIM(5, 0, 0, 2, 2, 2, 60000, 3, 60000),
     3,
     NULL,
     {
         {0, {"b=100", "b=100", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 100, 0, 0, 0},
         {1000,
          {"b=101", "b=101", "b=101"},
          "DRR",
          "x..",
          {"admin: " ADMIN, "ok", "ok"},
          101,
          0,
          1,
          0},
         /* Down for maintenance: still only the admin reason. */
         {2000,
          {"conn", "b=102", "b=102"},
          "DRR",
          "...",
          {"admin: " ADMIN, NULL, NULL},
          102,
          0,
          1,
          0},
         {3000,
          {"b=103", "b=103", "b=103"},
          "DRR",
          "...",
          {"admin: " ADMIN, NULL, NULL},
          103,
          0,
          1,
          0},
         {4000,
          {"b=104", "b=104", "b=104"},
          "DRR",
          "...",
          {"admin: " ADMIN, NULL, NULL},
          104,
          0,
          1,
          0},
         /* Cleared after two good rounds: back at once, min_drain (60 s) waived. */
         {5000, {"b=105", "b=105", "b=105"}, "RRR", "x..", {"ok", "ok", "ok"}, 105, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"admin_clear_still_needs_rise",
     LIM(5, 0, 0, 2, 2, 2, 60000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=100", "b=100"}, "DR", "x.", {"admin: " ADMIN, "ok"}, 100, 0, 1, 0},
         {1000, {"timeout", "b=101"}, "DR", "..", {"admin: " ADMIN, "ok"}, 101, 0, 1, 0},
         {2000, {"b=102", "b=102"}, "DR", "..", {"recovering: good 1/2", "ok"}, 102, 0, 0, 0},
         {3000, {"b=103", "b=103"}, "RR", "x.", {"ok", "ok"}, 103, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"admin_drain_of_last_ready_keeps_another",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     "RD",
     {
         {0,
          {"b=100", "timeout"},
          "Dr",
          "xx",
          {"admin: " ADMIN, "kept in: min_ready 1 (timeout 800 ms)"},
          100,
          0,
          1,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"finalized_lag",
     LIM(5, 0, 20, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0,
          {"b=1000 f=998", "b=1000 f=998", "b=1000 f=968"},
          "RRR",
          "...",
          {"ok", "ok", "finalized lag 30 blocks > 20"},
          1000,
          0,
          0,
          0},
         {1000,
          {"b=1001 f=999", "b=1001 f=999", "b=1001 f=968"},
          "RRD",
          "..x",
          {"ok", "ok", "finalized lag 31 blocks > 20"},
          1001,
          0,
          0,
          0},
         /* Unknown finalized number: not judged. */
         {2000,
          {"b=1002 f=1000", "b=1002", "b=1002"},
          "RRD",
          "...",
          {"ok", "ok", "recovering: good 1/2"},
          1002,
          0,
          0,
          0},
         /* Block lag is checked first. */
         {3000,
          {"b=1003 f=1001", "b=1003 f=1001", "b=990 f=900"},
          "RRD",
          "...",
          {NULL, NULL, "lag 13 blocks > 5"},
          1003,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* stall_ms 0: node 2 would be stuck at 70 s; this case is about seconds. */
    {"lag_in_seconds",
     LIM(1000, 60, 0, 2, 2, 2, 10000, 1, 0),
     3,
     NULL,
     {
         {0, {"b=100", "b=100", "b=100"}, "RRR", "...", {NULL}, 100, 0, 0, 0},
         {10000, {"b=101", "b=101", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 101, 0, 0, 0},
         {20000, {"b=102", "b=102", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 102, 0, 0, 0},
         {70000, {"b=103", "b=103", "b=100"}, "RRR", "...", {"ok", "ok", "ok"}, 103, 0, 0, 0},
         {71000,
          {"b=103", "b=103", "b=100"},
          "RRR",
          "...",
          {"ok", "ok", "lag 61 s > 60 s"},
          103,
          0,
          0,
          0},
         {85000,
          {"b=104", "b=104", "b=100"},
          "RRD",
          "..x",
          {"ok", "ok", "lag 75 s > 60 s"},
          104,
          0,
          0,
          0},
         /* One block closer: measured from when the reference reached 102. */
         {86000,
          {"b=104", "b=104", "b=101"},
          "RRD",
          "...",
          {NULL, NULL, "lag 66 s > 60 s"},
          104,
          0,
          0,
          0},
         {87000,
          {"b=104", "b=104", "b=104"},
          "RRD",
          "...",
          {NULL, NULL, "recovering: good 1/2"},
          104,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"restart_preset_no_flap",
     LIM(5, 0, 0, 2, 2, 1, 10000, 1, 60000),
     3,
     "RDR",
     {
         /* First round: HAProxy's states are kept, nothing changes. */
         {50000,
          {"b=100", "b=100", "b=100"},
          "RDR",
          "...",
          {"ok", "recovering: good 1/2", "ok"},
          100,
          0,
          0,
          0},
         {51000,
          {"b=101", "b=101", "b=101"},
          "RDR",
          "...",
          {"ok", "recovering: min_drain 9 s left", "ok"},
          101,
          0,
          0,
          0},
         {60000, {"b=102", "b=102", "b=102"}, "RRR", ".x.", {"ok", "ok", "ok"}, 102, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"single_node_is_its_own_reference",
     LIM(5, 0, 0, 2, 2, 1, 10000, 1, 60000),
     1,
     NULL,
     {
         {0, {"b=100"}, "R", ".", {"ok"}, 100, 0, 0, 0},
         {1000, {"b=90"}, "R", ".", {"ok"}, 90, 0, 0, 0},
         /* Down, with the floor of 1: kept, reference kept. */
         {2000,
          {"timeout"},
          "r",
          ".",
          {"kept in: no node reachable (timeout 800 ms)"},
          90,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"no_floor_when_min_ready_zero",
     LIM(5, 0, 0, 2, 2, 1, 10000, 0, 60000),
     2,
     NULL,
     {
         {0, {"b=100 sync", "b=100 sync"}, "DD", "xx", {"syncing", "syncing"}, 100, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /*
     * Row "2 nodes, one laggard": the lower node is the vote, so the lone top
     * is the reference once the vote has stopped (more than max_lag behind the
     * pace of the block time since the two last agreed): drained at lag 6
     * after fall rounds, stuck after stall_ms.
     */
    {"lag_2_nodes_one_stops",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1000", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {6000, {"b=1001", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {30000, {"b=1005", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {36000, {"b=1006", "b=1000"}, "RR", "..", {"ok", "lag 6 blocks > 5"}, 1006, 0, 0, 0},
         {42000, {"b=1007", "b=1000"}, "RD", ".x", {"ok", "lag 7 blocks > 5"}, 1007, 0, 0, 0},
         {66000,
          {"b=1011", "b=1000"},
          "RD",
          "..",
          {"ok", "stuck at 1000 for 66 s while others advance"},
          1011,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* The top missing for a round leaves the laggard alone as the reference; one block later it is
       still far behind the pace of the last agreement: no way back in. */
    {"lag_2_nodes_laggard_alone_for_a_round",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1000", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {30000, {"b=1005", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {36000, {"b=1006", "b=1000"}, "RR", "..", {"ok", "lag 6 blocks > 5"}, 1006, 0, 0, 0},
         {42000, {"b=1007", "b=1000"}, "RD", ".x", {"ok", "lag 7 blocks > 5"}, 1007, 0, 0, 0},
         {48000,
          {"timeout", "b=1001"},
          "RD",
          "..",
          {"timeout 800 ms", "recovering: good 1/2"},
          1001,
          0,
          0,
          0},
         {54000, {"b=1009", "b=1001"}, "RD", "..", {"ok", "lag 8 blocks > 5"}, 1009, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Rows "3/4/6 nodes, one laggard": the others are the vote. */
    {"lag_3_nodes_one_stops",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0, {"b=1000", "b=1000", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1000, 0, 0, 0},
         {6000, {"b=1001", "b=1001", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1001, 0, 0, 0},
         {30000, {"b=1005", "b=1005", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1005, 0, 0, 0},
         {36000,
          {"b=1006", "b=1006", "b=1000"},
          "RRR",
          "...",
          {"ok", "ok", "lag 6 blocks > 5"},
          1006,
          0,
          0,
          0},
         {42000,
          {"b=1007", "b=1007", "b=1000"},
          "RRD",
          "..x",
          {"ok", "ok", "lag 7 blocks > 5"},
          1007,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"lag_4_nodes_one_stops",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     4,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=1000", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1000,
          0,
          0,
          0},
         {6000,
          {"b=1001", "b=1001", "b=1001", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1001,
          0,
          0,
          0},
         {30000,
          {"b=1005", "b=1005", "b=1005", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1005,
          0,
          0,
          0},
         {36000,
          {"b=1006", "b=1006", "b=1006", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "lag 6 blocks > 5"},
          1006,
          0,
          0,
          0},
         {42000,
          {"b=1007", "b=1007", "b=1007", "b=1000"},
          "RRRD",
          "...x",
          {"ok", "ok", "ok", "lag 7 blocks > 5"},
          1007,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"lag_6_nodes_one_stops",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     6,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=1000", "b=1000", "b=1000", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1000,
          0,
          0,
          0},
         {6000,
          {"b=1001", "b=1001", "b=1001", "b=1001", "b=1001", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1001,
          0,
          0,
          0},
         {30000,
          {"b=1005", "b=1005", "b=1005", "b=1005", "b=1005", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1005,
          0,
          0,
          0},
         {36000,
          {"b=1006", "b=1006", "b=1006", "b=1006", "b=1006", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "lag 6 blocks > 5"},
          1006,
          0,
          0,
          0},
         {42000,
          {"b=1007", "b=1007", "b=1007", "b=1007", "b=1007", "b=1000"},
          "RRRRRD",
          ".....x",
          {"ok", "ok", "ok", "ok", "ok", "lag 7 blocks > 5"},
          1007,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Rows "3/4/6 nodes, two laggards" (min_ready 1): with 3 nodes the two laggards are the vote,
       and the lone top takes over once they have stopped. */
    {"lag_3_nodes_two_stop",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0, {"b=1000", "b=1000", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1000, 0, 0, 0},
         {6000, {"b=1001", "b=1000", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1000, 0, 0, 0},
         {30000, {"b=1005", "b=1000", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1000, 0, 0, 0},
         {36000,
          {"b=1006", "b=1000", "b=1000"},
          "RRR",
          "...",
          {"ok", "lag 6 blocks > 5", "lag 6 blocks > 5"},
          1006,
          0,
          0,
          0},
         {42000,
          {"b=1007", "b=1000", "b=1000"},
          "RDD",
          ".xx",
          {"ok", "lag 7 blocks > 5", "lag 7 blocks > 5"},
          1007,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"lag_4_nodes_two_stop",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     4,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=1000", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1000,
          0,
          0,
          0},
         {6000,
          {"b=1001", "b=1001", "b=1000", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1001,
          0,
          0,
          0},
         {30000,
          {"b=1005", "b=1005", "b=1000", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1005,
          0,
          0,
          0},
         {36000,
          {"b=1006", "b=1006", "b=1000", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "lag 6 blocks > 5", "lag 6 blocks > 5"},
          1006,
          0,
          0,
          0},
         {42000,
          {"b=1007", "b=1007", "b=1000", "b=1000"},
          "RRDD",
          "..xx",
          {"ok", "ok", "lag 7 blocks > 5", "lag 7 blocks > 5"},
          1007,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"lag_6_nodes_two_stop",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     6,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=1000", "b=1000", "b=1000", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1000,
          0,
          0,
          0},
         {6000,
          {"b=1001", "b=1001", "b=1001", "b=1001", "b=1000", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1001,
          0,
          0,
          0},
         {30000,
          {"b=1005", "b=1005", "b=1005", "b=1005", "b=1000", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1005,
          0,
          0,
          0},
         {36000,
          {"b=1006", "b=1006", "b=1006", "b=1006", "b=1000", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "lag 6 blocks > 5", "lag 6 blocks > 5"},
          1006,
          0,
          0,
          0},
         {42000,
          {"b=1007", "b=1007", "b=1007", "b=1007", "b=1000", "b=1000"},
          "RRRRDD",
          "....xx",
          {"ok", "ok", "ok", "ok", "lag 7 blocks > 5", "lag 7 blocks > 5"},
          1007,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Rows "2/3/4/6 nodes, one bogus height": after the nodes agreed on 1000 at 0 s, the chain can
       have made one block by 6 s: at most 1000 + 1 + max_lag. */
    {"bogus_2_nodes",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1000", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {6000,
          {"b=1001", "b=999999"},
          "RR",
          "..",
          {"ok", "height 999999 is more than the chain can have made (at most 1006)"},
          1001,
          0,
          0,
          0},
         {12000,
          {"b=1002", "b=1000000"},
          "RD",
          ".x",
          {"ok", "height 1000000 is more than the chain can have made (at most 1007)"},
          1002,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"bogus_3_nodes",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0, {"b=1000", "b=1000", "b=1000"}, "RRR", "...", {"ok", "ok", "ok"}, 1000, 0, 0, 0},
         {6000,
          {"b=1001", "b=1001", "b=999999"},
          "RRR",
          "...",
          {"ok", "ok", "height 999999 is more than the chain can have made (at most 1006)"},
          1001,
          0,
          0,
          0},
         {12000,
          {"b=1002", "b=1002", "b=1000000"},
          "RRD",
          "..x",
          {"ok", "ok", "height 1000000 is more than the chain can have made (at most 1007)"},
          1002,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"bogus_4_nodes",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     4,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=1000", "b=1000"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          1000,
          0,
          0,
          0},
         {6000,
          {"b=1001", "b=1001", "b=1001", "b=999999"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "height 999999 is more than the chain can have made (at most 1006)"},
          1001,
          0,
          0,
          0},
         {12000,
          {"b=1002", "b=1002", "b=1002", "b=1000000"},
          "RRRD",
          "...x",
          {"ok", "ok", "ok", "height 1000000 is more than the chain can have made (at most 1007)"},
          1002,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    {"bogus_6_nodes",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     6,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=1000", "b=1000", "b=1000", "b=1000"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok", "ok"},
          1000,
          0,
          0,
          0},
         {6000,
          {"b=1001", "b=1001", "b=1001", "b=1001", "b=1001", "b=999999"},
          "RRRRRR",
          "......",
          {"ok", "ok", "ok", "ok", "ok",
           "height 999999 is more than the chain can have made (at most 1006)"},
          1001,
          0,
          0,
          0},
         {12000,
          {"b=1002", "b=1002", "b=1002", "b=1002", "b=1002", "b=1000000"},
          "RRRRRD",
          ".....x",
          {"ok", "ok", "ok", "ok", "ok",
           "height 1000000 is more than the chain can have made (at most 1007)"},
          1002,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Row "one bogus height from the first round": the others never agree with it, but their vote
       keeps the block time for 3 block times: that confirms their tip, and the bogus node is
       implausible. */
    {"bogus_from_the_start",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0, {"b=1000", "b=1000", "b=999999"}, "RRR", "...", {"ok", "ok", "ok"}, 1000, 0, 0, 0},
         {6000, {"b=1001", "b=1001", "b=1000000"}, "RRR", "...", {"ok", "ok", "ok"}, 1001, 0, 0, 0},
         {12000,
          {"b=1002", "b=1002", "b=1000001"},
          "RRR",
          "...",
          {"ok", "ok", "ok"},
          1002,
          0,
          0,
          0},
         {18000,
          {"b=1003", "b=1003", "b=1000002"},
          "RRR",
          "...",
          {"ok", "ok", "height 1000002 is more than the chain can have made (at most 1008)"},
          1003,
          0,
          0,
          0},
         {24000,
          {"b=1004", "b=1004", "b=1000003"},
          "RRD",
          "..x",
          {"ok", "ok", "height 1000003 is more than the chain can have made (at most 1009)"},
          1004,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Row "two nodes agree on a high height": a height two nodes reached is trusted, ceiling or
       not. */
    {"two_agree_on_a_high_height",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     4,
     NULL,
     {
         {0,
          {"b=100", "b=100", "b=100", "b=100"},
          "RRRR",
          "....",
          {"ok", "ok", "ok", "ok"},
          100,
          0,
          0,
          0},
         {1000,
          {"b=100", "b=100", "b=5000", "b=5000"},
          "RRRR",
          "....",
          {"lag 4900 blocks > 5", "lag 4900 blocks > 5", "ok", "ok"},
          5000,
          0,
          0,
          0},
         {2000,
          {"b=100", "b=100", "b=5000", "b=5000"},
          "DDRR",
          "xx..",
          {"lag 4900 blocks > 5", "lag 4900 blocks > 5", "ok", "ok"},
          5000,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Both out: the floor keeps the syncing node, not the one with an impossible height. */
    {"floor_picks_implausible_last",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1000", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {6000,
          {"b=1001 sync", "b=999999"},
          "RR",
          "..",
          {"syncing", "height 999999 is more than the chain can have made (at most 1006)"},
          1001,
          0,
          0,
          0},
         {12000,
          {"b=1002 sync", "b=1000000"},
          "rD",
          ".x",
          {"kept in: min_ready 1 (syncing)",
           "height 1000000 is more than the chain can have made (at most 1007)"},
          1002,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Row "fresh start, 2 nodes 100 apart, the lower one stopped": no agreement yet, so no ceiling;
       the vote is the lower node until it is stuck (stall_ms), then the high one. */
    {"fresh_start_2_nodes_lower_stuck",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1100", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {6000, {"b=1101", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {54000, {"b=1109", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {60000,
          {"b=1110", "b=1000"},
          "RR",
          "..",
          {"ok", "stuck at 1000 for 60 s while others advance"},
          1110,
          0,
          0,
          0},
         {66000,
          {"b=1111", "b=1000"},
          "RD",
          ".x",
          {"ok", "stuck at 1000 for 66 s while others advance"},
          1111,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* A vote faster than the block time is a node catching up, not the tip: it confirms nothing,
       and the node above is not called implausible. */
    {"fresh_start_2_nodes_lower_catching_up",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1100", "b=1000"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 0},
         {6000, {"b=1101", "b=1003"}, "RR", "..", {"ok", "ok"}, 1003, 0, 0, 0},
         {12000, {"b=1102", "b=1006"}, "RR", "..", {"ok", "ok"}, 1006, 0, 0, 0},
         {18000, {"b=1103", "b=1009"}, "RR", "..", {"ok", "ok"}, 1009, 0, 0, 0},
         {24000, {"b=1104", "b=1012"}, "RR", "..", {"ok", "ok"}, 1012, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Row "another network, configured genesis" (min_ready 3): out at once, never in the vote,
       never kept in by the floor; the configured genesis wins over a majority. */
    {"another_network_configured",
     LIM(5, 0, 0, 2, 2, 2, 10000, 3, 60000),
     3,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=30000000 g=b"},
          "RRD",
          "..x",
          {"ok", "ok", FOREIGN_B},
          1000,
          0,
          0,
          0},
         {1000,
          {"b=1000", "b=1000", "b=30000001 g=b"},
          "RRD",
          "...",
          {"ok", "ok", FOREIGN_B},
          1000,
          0,
          0,
          0},
         {2000,
          {"b=1002 g=b", "b=1002 g=b", "b=1002"},
          "DDr",
          "xxx",
          {FOREIGN_B, NULL, "kept in: min_ready 3 (recovering: good 1/2)"},
          1002,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     GENESIS(HA)},
    /* Row "another network, learned genesis": two of three report A. Alone, the other node is no
       majority of three: A stays learned, and the floor keeps a node of A. */
    {"another_network_learned",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     3,
     NULL,
     {
         {0,
          {"b=1000", "b=1000", "b=30000000 g=b"},
          "RRD",
          "..x",
          {"ok", "ok", FOREIGN_B},
          1000,
          0,
          0,
          0},
         {1000,
          {"timeout", "timeout", "b=30000001 g=b"},
          "RRD",
          "...",
          {"timeout 800 ms", "timeout 800 ms", FOREIGN_B},
          1000,
          0,
          0,
          0},
         {2000,
          {"timeout", "timeout", "b=30000002 g=b"},
          "rDD",
          ".x.",
          {"kept in: min_ready 1 (timeout 800 ms)", "timeout 800 ms", FOREIGN_B},
          1000,
          0,
          0,
          0},
         {3000,
          {"b=1000", "b=1000", "b=30000003 g=b"},
          "RDD",
          "...",
          {"ok", "recovering: good 1/2", FOREIGN_B},
          1000,
          0,
          0,
          0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
    /* Row "another network, 1 vs 1, no genesis configured": no majority, nobody is foreign, the
       conflict flag asks for a configured genesis; the far node is never confirmed. */
    {"another_network_1_vs_1",
     LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000),
     2,
     NULL,
     {
         {0, {"b=1000", "b=30000000 g=b"}, "RR", "..", {"ok", "ok"}, 1000, 0, 0, 1},
         {6000, {"b=1001", "b=30000001 g=b"}, "RR", "..", {"ok", "ok"}, 1001, 0, 0, 1},
         {12000, {"b=1002", "b=30000002"}, "RR", "..", {NULL}, 1002, 0, 0, 0},
         {0, {NULL}, NULL, NULL, {NULL}, 0, 0, 0, 0},
     },
     {0}},
};

static void run_scenario(const struct scenario *sc)
{
	struct node_chain_params cp = sc->cp;
	struct node_track tracks[MAXN];
	struct node_poll polls[MAXN];
	struct chain_track chain;
	size_t i, k;

	ck_assert_uint_le(sc->n, MAXN);
	if (cp.block_time_ms == 0)
		cp.block_time_ms = TEST_BT;
	node_chain_init(&chain);
	for (i = 0; i < sc->n; i++)
		node_track_init(&tracks[i],
		                sc->preset && sc->preset[i] == 'D' ? NODE_DRAIN : NODE_READY);
	for (k = 0; k < MAXR && sc->r[k].state; k++) {
		const struct round *r = &sc->r[k];
		unsigned ready = 0;

		ck_assert_uint_eq(strlen(r->state), sc->n);
		for (i = 0; i < sc->n; i++) {
			ck_assert_ptr_nonnull(r->poll[i]);
			poll_from(r->poll[i], &polls[i]);
			tracks[i].admin_drain = (r->admin >> i) & 1u;
			(void)snprintf(tracks[i].admin_reason, sizeof(tracks[i].admin_reason), "%s",
			               ADMIN);
		}
		node_decide(&sc->lim, &cp, &chain, polls, tracks, sc->n, r->t);
		for (i = 0; i < sc->n; i++) {
			const struct node_track *t = &tracks[i];
			char want = r->state[i];
			char got = t->state == NODE_DRAIN ? 'D' : t->kept_in ? 'r' : 'R';

			ck_assert_msg(got == want,
			              "%s round %zu (t=%lld) node %zu: state %c, want %c (%s)",
			              sc->name, k, (long long)r->t, i, got, want, t->why);
			if (r->changed)
				ck_assert_msg(t->changed == (r->changed[i] == 'x'),
				              "%s round %zu node %zu: changed %d", sc->name, k, i,
				              t->changed);
			ck_assert_int_eq(t->changed, t->state != t->prev);
			if (t->changed)
				ck_assert_int_eq(t->since_ms, r->t);
			if (r->why[i])
				ck_assert_msg(strcmp(t->why, r->why[i]) == 0,
				              "%s round %zu node %zu: why \"%s\", want \"%s\"",
				              sc->name, k, i, t->why, r->why[i]);
			ck_assert(t->initialised);
			ck_assert(t->why[0] != '\0');
			if (t->kept_in)
				ck_assert(t->state == NODE_READY &&
				          strncmp(t->why, "kept in: ", 9) == 0);
			if (t->state == NODE_READY)
				ready++;
		}
		ck_assert_uint_eq(chain.ready, ready);
		if (r->ref != NOCHK)
			ck_assert_msg(chain.ref_best == (uint64_t)r->ref, "%s round %zu: ref %llu",
			              sc->name, k, (unsigned long long)chain.ref_best);
		if (r->stalled != NOCHK)
			ck_assert_msg(chain.stalled == (r->stalled != 0),
			              "%s round %zu: stalled %d", sc->name, k, chain.stalled);
		if (r->conflict != NOCHK)
			ck_assert_msg(chain.genesis_conflict == (r->conflict != 0),
			              "%s round %zu: genesis_conflict %d", sc->name, k,
			              chain.genesis_conflict);
	}
	ck_assert_uint_gt(k, 0);
}

START_TEST(test_scenario)
{
	run_scenario(&scenarios[_i]);
}
END_TEST

/* ---- details -------------------------------------------------------------- */

/* The scenarios' common limits, for the detail tests. */
static struct node_limits lim_std(void)
{
	struct node_limits lim = LIM(5, 0, 0, 2, 2, 2, 10000, 1, 60000);

	return lim;
}

static const struct node_chain_params cp_std = {.block_time_ms = TEST_BT};

START_TEST(test_stall_fields)
{
	struct node_limits lim;
	struct chain_track c;
	struct node_track t[2];
	struct node_poll p[2];
	int64_t now;

	lim = lim_std();
	node_chain_init(&c);
	node_track_init(&t[0], NODE_READY);
	node_track_init(&t[1], NODE_READY);
	poll_from("b=5", &p[0]);
	poll_from("b=5", &p[1]);
	for (now = 0; now < 60000; now += 5000) {
		node_decide(&lim, &cp_std, &c, p, t, 2, now);
		ck_assert(!c.stalled && !c.stall_changed);
	}
	node_decide(&lim, &cp_std, &c, p, t, 2, 60000);
	ck_assert(c.stalled && c.stall_changed);
	ck_assert_int_eq(c.stalled_since_ms, 60000);
	ck_assert_int_eq(c.ref_changed_ms, 0);
	node_decide(&lim, &cp_std, &c, p, t, 2, 65000);
	ck_assert(c.stalled && !c.stall_changed);
	ck_assert_int_eq(c.stalled_since_ms, 60000);
	/* A lower reference is no advance. */
	poll_from("b=4", &p[0]);
	node_decide(&lim, &cp_std, &c, p, t, 2, 66000);
	ck_assert(c.stalled);
	ck_assert_uint_eq(c.ref_best, 4);
	ck_assert_uint_eq(c.ref_top, 5);
	poll_from("b=6", &p[0]);
	poll_from("b=6", &p[1]);
	node_decide(&lim, &cp_std, &c, p, t, 2, 67000);
	ck_assert(!c.stalled && c.stall_changed);
	ck_assert_int_eq(c.ref_changed_ms, 67000);
	/* stall_ms 0: never stalled. */
	lim.stall_ms = 0;
	node_decide(&lim, &cp_std, &c, p, t, 2, 1000000);
	ck_assert(!c.stalled);
}
END_TEST

START_TEST(test_lag_seconds_ring)
{
	struct node_limits lim;
	struct chain_track *c = malloc(sizeof(*c));
	struct node_track t[3];
	struct node_poll p[3];
	char spec[32];
	unsigned h;

	ck_assert_ptr_nonnull(c);
	lim = lim_std();
	lim.max_lag = 1000000;
	node_chain_init(c);
	for (h = 0; h < 3; h++)
		node_track_init(&t[h], NODE_READY);
	poll_from("b=0", &p[2]);
	/* The reference climbs one block per second for 600 blocks; node 2 stays at 0. */
	for (h = 0; h <= 600; h++) {
		(void)snprintf(spec, sizeof(spec), "b=%u", h);
		poll_from(spec, &p[0]);
		poll_from(spec, &p[1]);
		node_decide(&lim, &cp_std, c, p, t, 3, (int64_t)h * 1000);
		ck_assert_uint_eq(t[2].lag_blocks, h);
	}
	ck_assert_uint_eq(c->ring_len, NODE_RING_SIZE);
	/* Older than the ring: the oldest entry's time (height 345 at 345 s). */
	ck_assert_uint_eq(t[2].lag_seconds, 600 - (600 - NODE_RING_SIZE + 1));
	/* Inside the ring: when 551 was first reached. */
	poll_from("b=550", &p[2]);
	node_decide(&lim, &cp_std, c, p, t, 3, 600500);
	ck_assert_uint_eq(t[2].lag_blocks, 50);
	ck_assert_uint_eq(t[2].lag_seconds, 49);
	/* A jump: 601..700 all first reached at once. */
	poll_from("b=700", &p[0]);
	poll_from("b=700", &p[1]);
	poll_from("b=650", &p[2]);
	node_decide(&lim, &cp_std, c, p, t, 3, 610000);
	ck_assert_uint_eq(t[2].lag_seconds, 0);
	node_decide(&lim, &cp_std, c, p, t, 3, 615000);
	ck_assert_uint_eq(t[2].lag_seconds, 5);
	ck_assert_uint_eq(t[0].lag_seconds, 0);
	/* At or above the reference: 0. */
	poll_from("b=900", &p[2]);
	node_decide(&lim, &cp_std, c, p, t, 3, 620000);
	ck_assert_uint_eq(t[2].lag_seconds, 0);
	ck_assert_uint_eq(t[2].lag_blocks, 0);
	ck_assert_uint_eq(c->ref_best, 700);
	/* The reference drops a block (a top node left): history stays, lag follows the ref. */
	poll_from("b=699", &p[0]);
	poll_from("b=698", &p[2]);
	node_decide(&lim, &cp_std, c, p, t, 3, 630000);
	ck_assert_uint_eq(c->ref_best, 699);
	ck_assert_uint_eq(c->ref_top, 700);
	ck_assert_int_eq(c->ref_changed_ms, 610000);
	ck_assert_uint_eq(t[2].lag_blocks, 1);
	ck_assert_uint_eq(t[2].lag_seconds, 20); /* 699 was first reached with 700, at 610 s */
	ck_assert_uint_eq(t[0].lag_blocks, 0);
	free(c);
}
END_TEST

START_TEST(test_reference_rules)
{
	struct node_limits lim;
	struct chain_track c;
	struct node_track t[4];
	struct node_poll p[4];
	size_t i;

	lim = lim_std();
	node_chain_init(&c);
	for (i = 0; i < 4; i++)
		node_track_init(&t[i], NODE_READY);
	/* Nobody reachable yet: no reference at all. */
	for (i = 0; i < 4; i++)
		poll_from("timeout", &p[i]);
	node_decide(&lim, &cp_std, &c, p, t, 4, 0);
	ck_assert(!c.has_ref);
	ck_assert_uint_eq(c.reachable, 0);
	/* Ties count: 2nd-highest of {7, 9, 9, 3} is 9. */
	poll_from("b=7 f=5", &p[0]);
	poll_from("b=9 f=8", &p[1]);
	poll_from("b=9", &p[2]);
	poll_from("b=3 f=1", &p[3]);
	node_decide(&lim, &cp_std, &c, p, t, 4, 1000);
	ck_assert_uint_eq(c.ref_best, 9);
	ck_assert(c.has_ref_finalized);
	ck_assert_uint_eq(c.ref_finalized, 5);
	ck_assert_uint_eq(c.reachable, 4);
	ck_assert_uint_eq(t[0].lag_blocks, 2);
	ck_assert_uint_eq(t[0].finalized_lag, 0);
	ck_assert_uint_eq(t[3].finalized_lag, 4);
	/* Finalized from one node: its own. Unreachable nodes do not count. */
	poll_from("b=10 f=9", &p[0]);
	poll_from("timeout", &p[1]);
	poll_from("b=10", &p[2]);
	poll_from("b=2", &p[3]);
	node_decide(&lim, &cp_std, &c, p, t, 4, 2000);
	ck_assert_uint_eq(c.ref_best, 10);
	ck_assert_uint_eq(c.ref_finalized, 9);
	ck_assert(!t[1].reachable && t[0].reachable);
	ck_assert_uint_eq(t[1].lag_blocks, 0);
	/* OK poll without a best block: not reachable, not the reference. */
	poll_from("p=10", &p[2]);
	poll_from("timeout", &p[3]);
	node_decide(&lim, &cp_std, &c, p, t, 4, 3000);
	ck_assert_uint_eq(c.reachable, 1);
	ck_assert_uint_eq(c.ref_best, 10);
	ck_assert_str_eq(t[2].why, "no best block");
	/* Everyone down: reference kept. */
	for (i = 0; i < 4; i++)
		poll_from("conn", &p[i]);
	node_decide(&lim, &cp_std, &c, p, t, 4, 4000);
	ck_assert_uint_eq(c.ref_best, 10);
	ck_assert_uint_eq(c.ref_finalized, 9);
	/* n == 0 does nothing. */
	node_decide(&lim, &cp_std, &c, p, t, 0, 5000);
	ck_assert_uint_eq(c.ref_best, 10);
}
END_TEST

START_TEST(test_helpers)
{
	struct node_track t;

	ck_assert_str_eq(node_state_name(NODE_READY), "ready");
	ck_assert_str_eq(node_state_name(NODE_DRAIN), "drain");
	ck_assert_str_eq(node_state_name(NODE_STATE_COUNT), "?");
	node_track_init(&t, NODE_DRAIN);
	ck_assert_int_eq(t.state, NODE_DRAIN);
	ck_assert(!t.initialised && !t.admin_drain);
	node_track_init(&t, NODE_STATE_COUNT);
	ck_assert_int_eq(t.state, NODE_READY);
}
END_TEST

/* rise/fall of 0 behave as 1. */
START_TEST(test_zero_rise_fall)
{
	struct node_limits lim;
	struct chain_track c;
	struct node_track t[2];
	struct node_poll p[2];

	lim = lim_std();
	lim.rise = 0;
	lim.fall = 0;
	lim.min_drain_ms = 0;
	lim.min_ready = 0;
	node_chain_init(&c);
	node_track_init(&t[0], NODE_READY);
	node_track_init(&t[1], NODE_READY);
	poll_from("b=10", &p[0]);
	poll_from("b=10 sync", &p[1]);
	node_decide(&lim, &cp_std, &c, p, t, 2, 0);
	ck_assert_int_eq(t[1].state, NODE_DRAIN);
	poll_from("b=10", &p[1]);
	node_decide(&lim, &cp_std, &c, p, t, 2, 1);
	ck_assert_int_eq(t[1].state, NODE_READY);
}
END_TEST

/* ---- property ------------------------------------------------------------- */

static uint32_t rnd_next(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return (uint32_t)(*s >> 33);
}

/*
 * Random polls, networks and admin drains for many rounds: the floor always
 * holds over the nodes it may pick (neither admin-drained nor foreign).
 */
START_TEST(test_property_floor)
{
	struct node_chain_params cp = cp_std;
	struct node_limits lim;
	struct chain_track c;
	struct node_track t[MAXN];
	struct node_poll p[MAXN];
	uint64_t seed = 0x9e3779b97f4a7c15u + (uint64_t)_i, head = 1000;
	size_t n = 1 + (size_t)_i % MAXN, i;
	int64_t now = 0;
	unsigned round;

	lim = lim_std();
	lim.min_ready = 1 + (unsigned)_i % 3;
	lim.rise = 1 + rnd_next(&seed) % 3;
	lim.fall = 1 + rnd_next(&seed) % 3;
	lim.min_drain_ms = rnd_next(&seed) % 20000;
	lim.max_lag_seconds = rnd_next(&seed) % 2 ? 30 : 0;
	lim.max_finalized_lag = rnd_next(&seed) % 2 ? 10 : 0;
	lim.min_peers = rnd_next(&seed) % 3;
	cp.has_genesis = rnd_next(&seed) % 2;
	memcpy(cp.genesis, HA, sizeof(HA));
	node_chain_init(&c);
	for (i = 0; i < n; i++)
		node_track_init(&t[i], rnd_next(&seed) % 2 ? NODE_DRAIN : NODE_READY);
	for (round = 0; round < 3000; round++) {
		unsigned ready = 0, eligible = 0, all_down = rnd_next(&seed) % 10 == 0;

		now += 500 + rnd_next(&seed) % 3000;
		head += rnd_next(&seed) % 3;
		for (i = 0; i < n; i++) {
			uint32_t r = rnd_next(&seed);

			memset(&p[i], 0, sizeof(p[i]));
			if (all_down || r % 7 == 0) {
				poll_fail(&p[i], (enum node_poll_err)(1 + r % 5), "down");
			} else {
				p[i].has_best = r % 13 != 0;
				p[i].best = r % 17 == 0 ? head * 1000 : head - (r >> 8) % 12;
				p[i].has_health = r % 11 != 0;
				p[i].peers = (r >> 4) % 4;
				p[i].syncing = (r >> 6) % 9 == 0;
				p[i].has_finalized = (r >> 10) % 2;
				p[i].finalized = p[i].best - (r >> 12) % 20;
				p[i].has_genesis = r % 19 != 0;
				memcpy(p[i].genesis_hash, (r >> 14) % 5 ? HA : HB, sizeof(HA));
			}
			if (rnd_next(&seed) % 20 == 0)
				t[i].admin_drain = !t[i].admin_drain;
		}
		node_decide(&lim, &cp, &c, p, t, n, now);
		for (i = 0; i < n; i++) {
			if (!t[i].admin_drain && !t[i].foreign)
				eligible++;
			if (t[i].foreign)
				ck_assert(t[i].state == NODE_DRAIN && !t[i].kept_in);
			if (t[i].state == NODE_READY)
				ready++;
			if (t[i].admin_drain)
				ck_assert_int_eq(t[i].state, NODE_DRAIN);
			if (t[i].kept_in)
				ck_assert_int_eq(t[i].state, NODE_READY);
			ck_assert_int_eq(t[i].changed, t[i].state != t[i].prev);
			ck_assert(t[i].why[0] != '\0');
			/* With nobody reachable, only admin drains a READY node. */
			if (c.reachable == 0 && t[i].prev == NODE_READY && !t[i].admin_drain)
				ck_assert_int_eq(t[i].state, NODE_READY);
		}
		ck_assert_uint_eq(c.ready, ready);
		ck_assert_msg(ready >= (eligible < lim.min_ready ? eligible : lim.min_ready),
		              "round %u: %u ready, %u eligible, min_ready %u", round, ready,
		              eligible, lim.min_ready);
	}
}
END_TEST

/*
 * One node's height, whatever it is (far above, just beyond max_lag,
 * creeping, stuck, below, at 2^64, absent), never makes the others lag while
 * two or more of them answer, advance together at the block time and agree
 * within max_lag: none of them is ever out for lag, implausible or stuck,
 * with fall 1, and the reference stays within their range.
 */
START_TEST(test_property_lone_liar)
{
	uint64_t seed = 0x2545f4914f6cdd1du + (uint64_t)_i, off[MAXN], tip, lie;
	size_t n = 3 + (size_t)_i % 4, liar = (size_t)_i % n, i;
	struct node_limits lim = lim_std();
	struct node_chain_params cp = {.block_time_ms = _i % 2 ? 1000 : 6000};
	int64_t bt = cp.block_time_ms, now = rnd_next(&seed) % 100000;
	struct node_track t[MAXN];
	struct node_poll p[MAXN];
	struct chain_track c;
	unsigned round;

	lim.max_lag = (uint64_t[]){0, 1, 2, 5, 9}[rnd_next(&seed) % 5];
	lim.fall = 1;
	lim.stall_ms = (uint32_t[]){0, 1000, 60000}[rnd_next(&seed) % 3];
	node_chain_init(&c);
	for (i = 0; i < n; i++) {
		node_track_init(&t[i], NODE_READY);
		off[i] = rnd_next(&seed) % (lim.max_lag + 1);
	}
	tip = lie = 20000000 + (uint64_t)(now / bt);
	for (round = 0; round < 4000; round++) {
		size_t down = n, up = 0;

		now += 200 + rnd_next(&seed) % (uint32_t)(2 * bt);
		tip = 20000000 + (uint64_t)(now / bt);
		if (rnd_next(&seed) % 6 == 0) /* one node does not answer; two others always do */
			down = n > 3 ? rnd_next(&seed) % n : liar;
		switch (rnd_next(&seed) % 7) {
		case 0:
			lie = tip + rnd_next(&seed) % 61 - 30;
			break;
		case 1:
			lie = tip + lim.max_lag + 1 + rnd_next(&seed) % 4;
			break;
		case 2:
			lie += rnd_next(&seed) % 3;
			break;
		case 3:
			lie = tip * 1000;
			break;
		case 4:
			lie = UINT64_MAX - rnd_next(&seed) % 3;
			break;
		default:
			break; /* unchanged */
		}
		for (i = 0; i < n; i++) {
			char spec[48];

			(void)snprintf(spec, sizeof(spec), "b=%llu",
			               (unsigned long long)(i == liar ? lie : tip - off[i]));
			poll_from(i == down ? "timeout" : spec, &p[i]);
		}
		node_decide(&lim, &cp, &c, p, t, n, now);
		for (i = 0; i < n; i++) {
			if (i == liar || i == down)
				continue;
			up++;
			ck_assert_msg(t[i].deserves && !t[i].implausible && !t[i].stuck,
			              "round %u node %zu (liar %zu at %llu, tip %llu): %s", round,
			              i, liar, (unsigned long long)lie, (unsigned long long)tip,
			              t[i].why);
		}
		ck_assert_uint_ge(up, 2);
		ck_assert_msg(c.ref_best <= tip && c.ref_best + lim.max_lag >= tip,
		              "round %u: reference %llu, tip %llu", round,
		              (unsigned long long)c.ref_best, (unsigned long long)tip);
	}
}
END_TEST

/* Three and four nodes with two genesis hashes: what is learned, kept, foreign, forgotten. */
START_TEST(test_network_rules)
{
	struct node_chain_params cp = cp_std;
	struct node_limits lim = lim_std();
	struct chain_track c;
	struct node_track t[4];
	struct node_poll p[4];
	size_t i;

	node_chain_init(&c);
	for (i = 0; i < 4; i++)
		node_track_init(&t[i], NODE_READY);
	/* One answer out of four is no majority: nothing learned, nothing foreign. */
	poll_from("b=100", &p[0]);
	for (i = 1; i < 4; i++)
		poll_from("timeout", &p[i]);
	node_decide(&lim, &cp, &c, p, t, 4, 0);
	ck_assert(!c.has_genesis && !c.has_learned && !c.genesis_conflict);
	/* Two on A and one on B out of four: still none, and the reports disagree. */
	poll_from("b=100", &p[1]);
	poll_from("b=100 g=b", &p[2]);
	node_decide(&lim, &cp, &c, p, t, 4, 1000);
	ck_assert(!c.has_genesis && c.genesis_conflict);
	ck_assert(!t[2].foreign && t[2].state == NODE_READY);
	/* Three of four on A: A is learned, the node on B is out at once. */
	poll_from("b=100", &p[3]);
	node_decide(&lim, &cp, &c, p, t, 4, 2000);
	ck_assert(c.has_genesis && c.has_learned && !c.genesis_conflict);
	ck_assert_str_eq(c.genesis, HA);
	ck_assert(t[2].foreign && t[2].state == NODE_DRAIN && t[2].changed);
	ck_assert_str_eq(t[2].why, FOREIGN_B);
	ck_assert_uint_eq(c.candidates, 3);
	ck_assert_uint_eq(c.reachable, 4);
	/* Learned stays learned when only the odd one answers; no genesis: not judged. */
	poll_from("b=101 nog", &p[0]);
	poll_from("timeout", &p[1]);
	poll_from("timeout", &p[3]);
	node_decide(&lim, &cp, &c, p, t, 4, 3000);
	ck_assert_str_eq(c.genesis, HA);
	ck_assert(t[2].foreign && !t[0].foreign);
	ck_assert_uint_eq(c.ref_best, 101);
	ck_assert_uint_eq(c.ref_top, 101);
	/* It stops answering: still on the other network, for the floor too. */
	lim.min_ready = 4;
	poll_from("timeout", &p[2]);
	node_decide(&lim, &cp, &c, p, t, 4, 3500);
	ck_assert(t[2].foreign && t[2].state == NODE_DRAIN && !t[2].kept_in);
	ck_assert_str_eq(t[2].why, "timeout 800 ms");
	lim.min_ready = 1;
	/* A new majority moves the learned network; the old network's heights are forgotten. */
	for (i = 0; i < 4; i++)
		poll_from("b=5 g=b", &p[i]);
	node_decide(&lim, &cp, &c, p, t, 4, 4000);
	ck_assert_str_eq(c.genesis, HB);
	ck_assert(!t[0].foreign && !t[2].foreign);
	ck_assert_uint_eq(c.ref_best, 5);
	ck_assert_uint_eq(c.ref_top, 5); /* not 101: the ring started again */
	ck_assert(c.has_anchor && c.anchor == 5 && c.anchor_ms == 4000);
	/* A configured genesis wins over the majority: all four are out, the floor keeps none. */
	cp.has_genesis = true;
	memcpy(cp.genesis, HA, sizeof(HA));
	node_decide(&lim, &cp, &c, p, t, 4, 5000);
	ck_assert_str_eq(c.genesis, HA);
	ck_assert(c.has_learned);
	ck_assert_str_eq(c.learned, HB);
	for (i = 0; i < 4; i++)
		ck_assert(t[i].foreign && t[i].state == NODE_DRAIN && !t[i].kept_in);
	ck_assert_uint_eq(c.ready, 0);
	ck_assert_uint_eq(c.candidates, 0);
	ck_assert(!c.has_anchor);
}
END_TEST

/* The anchor, its time, the ceiling's arithmetic and its edges. */
START_TEST(test_ceiling_rules)
{
	struct node_chain_params cp = cp_std;
	struct node_limits lim = lim_std();
	struct chain_track c;
	struct node_track t[3];
	struct node_poll p[3];
	size_t i;

	node_chain_init(&c);
	for (i = 0; i < 3; i++) {
		node_track_init(&t[i], NODE_READY);
		poll_from("b=100", &p[i]);
	}
	node_decide(&lim, &cp, &c, p, t, 3, 10000);
	ck_assert(c.has_anchor && c.anchor == 100 && c.anchor_ms == 10000);
	ck_assert(c.has_ceiling && c.ceiling == 105);
	/* Part of a block time is a block the chain may have made. */
	node_decide(&lim, &cp, &c, p, t, 3, 10001);
	ck_assert_uint_eq(c.ceiling, 106);
	/* No progress: the anchor keeps the time it was first confirmed, the ceiling grows. */
	node_decide(&lim, &cp, &c, p, t, 3, 22000);
	ck_assert(c.anchor == 100 && c.anchor_ms == 10000);
	ck_assert_uint_eq(c.ceiling, 107);
	node_decide(&lim, &cp, &c, p, t, 3, 22001);
	ck_assert_uint_eq(c.ceiling, 108);
	/* The wall clock went back: no negative time. */
	node_decide(&lim, &cp, &c, p, t, 3, 5000);
	ck_assert_uint_eq(c.ceiling, 105);
	/* A lower vote never moves the anchor down. */
	poll_from("b=90", &p[0]);
	poll_from("b=90", &p[1]);
	poll_from("b=90", &p[2]);
	node_decide(&lim, &cp, &c, p, t, 3, 23000);
	ck_assert(c.anchor == 100 && c.anchor_ms == 10000);
	/* Heights at the top of the range: sums stop at 2^64 - 1, nobody is implausible. */
	poll_from("b=18446744073709551614", &p[0]);
	poll_from("b=18446744073709551614", &p[1]);
	poll_from("b=18446744073709551615", &p[2]);
	node_decide(&lim, &cp, &c, p, t, 3, 24000);
	ck_assert_uint_eq(c.anchor, UINT64_MAX - 1); /* the top was above last round's ceiling */
	ck_assert_uint_eq(c.ceiling, UINT64_MAX);
	ck_assert(!t[0].implausible && !t[2].implausible);
	/* block_time_ms 0 acts as 1 ms. */
	cp.block_time_ms = 0;
	node_chain_init(&c);
	for (i = 0; i < 3; i++)
		poll_from("b=100", &p[i]);
	node_decide(&lim, &cp, &c, p, t, 3, 0);
	node_decide(&lim, &cp, &c, p, t, 3, 10);
	ck_assert_uint_eq(c.ceiling, 115);
}
END_TEST

static void polls3(struct node_poll *p, uint64_t a, uint64_t b, uint64_t c)
{
	char spec[32];

	(void)snprintf(spec, sizeof(spec), "b=%llu", (unsigned long long)a);
	poll_from(spec, &p[0]);
	(void)snprintf(spec, sizeof(spec), "b=%llu", (unsigned long long)b);
	poll_from(spec, &p[1]);
	(void)snprintf(spec, sizeof(spec), "b=%llu", (unsigned long long)c);
	poll_from(spec, &p[2]);
}

/* Stuck needs three block times even with a short stall_ms, and advancing nodes above. */
START_TEST(test_stuck_rules)
{
	struct node_limits lim = lim_std();
	struct chain_track c;
	struct node_track t[3];
	struct node_poll p[3];
	int64_t now;
	size_t i;

	lim.stall_ms = 1000;
	node_chain_init(&c);
	for (i = 0; i < 3; i++)
		node_track_init(&t[i], NODE_READY);
	polls3(p, 100, 100, 100);
	node_decide(&lim, &cp_std, &c, p, t, 3, 0);
	polls3(p, 101, 101, 100);
	node_decide(&lim, &cp_std, &c, p, t, 3, 6000);
	ck_assert(t[2].passed && t[2].passed_ms == 6000 && !t[2].stuck);
	polls3(p, 103, 103, 100);
	node_decide(&lim, &cp_std, &c, p, t, 3, 23999);
	ck_assert(!t[2].stuck);
	polls3(p, 104, 104, 100);
	node_decide(&lim, &cp_std, &c, p, t, 3, 24000);
	ck_assert(t[2].stuck);
	ck_assert_str_eq(t[2].why, "stuck at 100 for 24 s while others advance");
	ck_assert_uint_eq(c.candidates, 2);
	/* It moves: not stuck, and the wait starts again. */
	polls3(p, 104, 104, 101);
	node_decide(&lim, &cp_std, &c, p, t, 3, 25000);
	ck_assert(!t[2].stuck && t[2].passed && t[2].passed_ms == 25000);
	/* stall_ms 0: nobody is ever stuck. */
	lim.stall_ms = 0;
	polls3(p, 110, 110, 101);
	node_decide(&lim, &cp_std, &c, p, t, 3, 90000);
	ck_assert(!t[2].stuck);

	/*
	 * A whole-chain stall at 100 while node 2 resyncs from below: nobody is
	 * stuck. Then node 0 moves first: node 1, left at 100 for minutes, is
	 * not stuck before three block times of node 0 moving on without it.
	 */
	lim.stall_ms = 1000;
	node_chain_init(&c);
	for (i = 0; i < 3; i++)
		node_track_init(&t[i], NODE_READY);
	for (now = 0; now <= 120000; now += 6000) {
		polls3(p, 100, 100, 40 + (uint64_t)now / 2000);
		node_decide(&lim, &cp_std, &c, p, t, 3, now);
		ck_assert(!t[0].stuck && !t[1].stuck && !t[2].stuck);
	}
	ck_assert(c.stalled);
	for (now = 126000; now < 144000; now += 6000) {
		polls3(p, 100 + (uint64_t)(now - 120000) / 6000, 100, 100);
		node_decide(&lim, &cp_std, &c, p, t, 3, now);
		ck_assert(!t[1].stuck && !t[2].stuck);
	}
	polls3(p, 104, 100, 100);
	node_decide(&lim, &cp_std, &c, p, t, 3, 144000);
	ck_assert(t[1].stuck && t[2].stuck);

	/* A chain stall with a node counting up from an impossible height: nobody stuck. */
	node_chain_init(&c);
	for (i = 0; i < 3; i++)
		node_track_init(&t[i], NODE_READY);
	polls3(p, 100, 100, 100);
	node_decide(&lim, &cp_std, &c, p, t, 3, 0);
	for (now = 6000; now <= 120000; now += 6000) {
		polls3(p, 100, 100, 999999 + (uint64_t)now / 6000);
		node_decide(&lim, &cp_std, &c, p, t, 3, now);
		ck_assert(t[2].implausible && !t[0].stuck && !t[1].stuck);
	}
}
END_TEST

static Suite *node_suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc;

	tc = tcase_create("scenarios");
	tcase_add_loop_test(tc, test_scenario, 0, (int)PF_ARRAY_SIZE(scenarios));
	suite_add_tcase(s, tc);

	tc = tcase_create("details");
	tcase_add_test(tc, test_stall_fields);
	tcase_add_test(tc, test_lag_seconds_ring);
	tcase_add_test(tc, test_reference_rules);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_zero_rise_fall);
	tcase_add_test(tc, test_network_rules);
	tcase_add_test(tc, test_ceiling_rules);
	tcase_add_test(tc, test_stuck_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("property");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_property_floor, 0, 30);
	tcase_add_loop_test(tc, test_property_lone_liar, 0, 40);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(node_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
