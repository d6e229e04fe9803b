/* SPDX-License-Identifier: MIT */
/*
 * The per-chain decision of polkfura-ctl (see node.h): which network the
 * chain is on (genesis, configured or the majority's), a reference head
 * that one bogus node cannot move but that follows a lone honest node once
 * the others stop, a ceiling on how far the chain can have moved since the
 * nodes last agreed, stuck nodes, lag in blocks and in seconds, a health
 * verdict per node, rise/fall hysteresis, admin drains, the min_ready
 * fail-open floor and stall detection. It only computes: the poller fills
 * the polls, the reconciler turns desired states into HAProxy commands, and
 * the caller logs the changes this module flags. O(n * min_ready) per round,
 * no allocation.
 */
#include "ctl/node.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/compiler.h"

/*
 * A node whose best has not moved for this many block times has stopped:
 * one missed slot (two block times) plus a poll interval is normal.
 */
#define NODE_STOP_BLOCKS 3

const char *node_state_name(enum node_state s)
{
	switch (s) {
	case NODE_READY:
		return "ready";
	case NODE_DRAIN:
		return "drain";
	case NODE_STATE_COUNT:
		break;
	}
	return "?";
}

void node_track_init(struct node_track *t, enum node_state preset)
{
	memset(t, 0, sizeof(*t));
	t->state = preset == NODE_DRAIN ? NODE_DRAIN : NODE_READY;
	t->prev = t->state;
}

void node_chain_init(struct chain_track *c)
{
	memset(c, 0, sizeof(*c));
}

static void node_why(char *dst, const char *fmt, ...) PF_PRINTF(2, 3);

static void node_why(char *dst, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, NODE_REASON_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		dst[0] = '\0';
}

/* Heights come from the wire: a bogus one near 2^64 must not wrap the sums. */
static uint64_t node_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int64_t node_block_ms(const struct node_chain_params *cp)
{
	return cp->block_time_ms ? (int64_t)cp->block_time_ms : 1;
}

static bool node_reachable(const struct node_poll *p)
{
	return p->err == NODE_POLL_OK && p->has_best;
}

/* Reachable and on the chain's network: its height means something. */
static bool node_live(const struct node_track *t)
{
	return t->reachable && !t->foreign;
}

/* Takes part in the vote. */
static bool node_candidate(const struct node_track *t)
{
	return node_live(t) && !t->stuck;
}

/* 2nd-highest of the values seen, or the only one; false when none. */
struct node_top2 {
	unsigned count;
	uint64_t first, second;
};

static void node_top2_add(struct node_top2 *t, uint64_t v)
{
	if (t->count == 0 || v > t->first) {
		t->second = t->first;
		t->first = v;
	} else if (t->count == 1 || v > t->second) {
		t->second = v;
	}
	t->count++;
}

static bool node_top2_ref(const struct node_top2 *t, uint64_t *out)
{
	if (t->count == 0)
		return false;
	*out = t->count == 1 ? t->first : t->second;
	return true;
}

/* ---- the chain's network -------------------------------------------------- */

static bool node_reports_genesis(const struct node_poll *p)
{
	return p->err == NODE_POLL_OK && p->has_genesis;
}

/*
 * The genesis reported by more than half of all <n> nodes (not only of those
 * that answered: one node alone at start-up must not name the network), or
 * NULL. Boyer-Moore majority vote, O(n). <disagree>: two reports differ.
 */
static const char *node_genesis_majority(const struct node_poll *polls, size_t n, bool *disagree)
{
	const char *cand = NULL, *first = NULL;
	size_t i, votes = 0;

	*disagree = false;
	for (i = 0; i < n; i++) {
		const char *g = polls[i].genesis_hash;

		if (!node_reports_genesis(&polls[i]))
			continue;
		if (first == NULL)
			first = g;
		else if (strcmp(first, g) != 0)
			*disagree = true;
		if (votes == 0)
			cand = g;
		if (strcmp(cand, g) == 0)
			votes++;
		else
			votes--;
	}
	if (cand == NULL)
		return NULL;
	for (votes = 0, i = 0; i < n; i++)
		if (node_reports_genesis(&polls[i]) && strcmp(polls[i].genesis_hash, cand) == 0)
			votes++;
	return votes * 2 > n ? cand : NULL;
}

/* Heights of another network mean nothing on this one. */
static void node_forget_heights(struct chain_track *c)
{
	c->has_ref = false;
	c->has_ref_finalized = false;
	c->has_anchor = false;
	c->has_base = false;
	c->has_watch = false;
	c->ring_len = 0;
}

static void node_network(const struct node_chain_params *cp, struct chain_track *c,
                         const struct node_poll *polls, size_t n)
{
	const char *major, *want = NULL;
	bool disagree;

	major = node_genesis_majority(polls, n, &disagree);
	if (major != NULL) {
		c->has_learned = true;
		memcpy(c->learned, major, sizeof(c->learned));
	}
	if (cp->has_genesis)
		want = cp->genesis;
	else if (c->has_learned)
		want = c->learned;
	c->genesis_conflict = want == NULL && disagree;
	if (want == NULL) {
		c->has_genesis = false;
		return;
	}
	if (c->has_genesis && strcmp(c->genesis, want) != 0)
		node_forget_heights(c);
	c->has_genesis = true;
	memcpy(c->genesis, want, sizeof(c->genesis));
}

static bool node_is_foreign(const struct chain_track *c, const struct node_poll *p)
{
	return c->has_genesis && node_reports_genesis(p) &&
	       strcmp(p->genesis_hash, c->genesis) != 0;
}

/* ---- history and stuck nodes ---------------------------------------------- */

static void node_history(struct node_track *t, const struct node_poll *p, int64_t now_ms)
{
	if (!node_reachable(p) || (t->has_last_best && t->last_best == p->best))
		return;
	t->has_last_best = true;
	t->last_best = p->best;
	t->best_changed_ms = now_ms;
	t->passed = false;
}

/* anchor + blocks the chain can have made since + max_lag; false without an anchor. */
static bool node_ceiling(const struct node_limits *lim, const struct node_chain_params *cp,
                         const struct chain_track *c, int64_t now_ms, uint64_t *out)
{
	int64_t dt = now_ms - c->anchor_ms, bt = node_block_ms(cp);

	if (!c->has_anchor)
		return false;
	if (dt < 0)
		dt = 0; /* the wall clock went back */
	*out = node_add(node_add(c->anchor, (uint64_t)(dt / bt + (dt % bt != 0))), lim->max_lag);
	return true;
}

/*
 * A node is stuck when, for stall_ms (and at least NODE_STOP_BLOCKS block
 * times), its best has not moved while some advancing node stood above it.
 * Advancing: plausible (under last round's ceiling, or the vote) and moved
 * within NODE_STOP_BLOCKS block times. Nodes below never make a node stuck
 * (a resyncing node passing by), and a whole-chain stall has no advancing node.
 */
static void node_stuck(const struct node_limits *lim, const struct node_chain_params *cp,
                       const struct chain_track *c, const struct node_poll *polls,
                       struct node_track *tracks, size_t n, int64_t now_ms)
{
	int64_t window = NODE_STOP_BLOCKS * node_block_ms(cp), need;
	struct node_top2 live = {0, 0, 0};
	uint64_t bound = UINT64_MAX, vote, mover = 0;
	bool has_mover = false;
	size_t i;

	for (i = 0; i < n; i++)
		if (node_live(&tracks[i]))
			node_top2_add(&live, polls[i].best);
	if (node_ceiling(lim, cp, c, now_ms, &bound) && node_top2_ref(&live, &vote) && vote > bound)
		bound = vote;
	for (i = 0; i < n; i++) {
		if (node_live(&tracks[i]) && polls[i].best <= bound &&
		    now_ms - tracks[i].best_changed_ms < window &&
		    (!has_mover || polls[i].best > mover)) {
			mover = polls[i].best;
			has_mover = true;
		}
	}
	need = (int64_t)lim->stall_ms > window ? (int64_t)lim->stall_ms : window;
	for (i = 0; i < n; i++) {
		struct node_track *t = &tracks[i];

		if (!node_live(t))
			continue;
		if (has_mover && mover > polls[i].best) {
			if (!t->passed)
				t->passed_ms = now_ms;
			t->passed = true;
		} else {
			t->passed = false;
		}
		t->stuck = lim->stall_ms > 0 && t->passed && now_ms - t->passed_ms >= need;
	}
}

/* ---- the chain's reference ------------------------------------------------ */

static void node_ring_reset(struct chain_track *c, uint64_t height, int64_t now_ms)
{
	c->ring[0].height = height;
	c->ring[0].first_seen_ms = now_ms;
	c->ring_start = 0;
	c->ring_len = 1;
	c->ref_top = height;
	c->ref_changed_ms = now_ms;
}

static void node_ring_push(struct chain_track *c, uint64_t height, int64_t now_ms)
{
	unsigned at;

	if (c->ring_len < NODE_RING_SIZE) {
		at = (c->ring_start + c->ring_len) % NODE_RING_SIZE;
		c->ring_len++;
	} else {
		at = c->ring_start;
		c->ring_start = (c->ring_start + 1) % NODE_RING_SIZE;
	}
	c->ring[at].height = height;
	c->ring[at].first_seen_ms = now_ms;
	c->ref_top = height;
	c->ref_changed_ms = now_ms;
}

/* When the reference first reached <height>; older than the ring: the oldest entry. */
static int64_t node_ring_first_seen(const struct chain_track *c, uint64_t height, int64_t now_ms)
{
	unsigned k;

	for (k = 0; k < c->ring_len; k++) {
		const struct node_ref_mark *m = &c->ring[(c->ring_start + k) % NODE_RING_SIZE];

		if (m->height >= height)
			return m->first_seen_ms;
	}
	return now_ms;
}

/*
 * Before the candidates ever agreed (a node far above since the first round
 * keeps them from it), the vote confirms a tip on its own once it has moved
 * at the block time for NODE_STOP_BLOCKS block times: a vote that keeps the
 * chain's pace is at the tip. A vote that stops, lags, jumps or drops starts
 * the watch again.
 */
static bool node_vote_paced(const struct node_chain_params *cp, struct chain_track *c,
                            int64_t now_ms)
{
	int64_t bt = node_block_ms(cp), dt = now_ms - c->watch_ms;
	uint64_t made, lo, hi;

	if (c->has_watch && dt >= 0 && c->vote >= c->watch_vote) {
		made = c->vote - c->watch_vote;
		lo = (uint64_t)(dt / bt);
		hi = lo + (dt % bt != 0) + 1; /* one more for where in its slot the watch began */
		if (made + 1 >= lo && made <= hi)
			return dt >= NODE_STOP_BLOCKS * bt;
	}
	c->has_watch = true;
	c->watch_vote = c->vote;
	c->watch_ms = now_ms;
	return false;
}

/*
 * Moves the anchor up to the highest candidate still plausible under last
 * round's ceiling, when it is within max_lag of the vote (the vote confirms
 * it); the anchor keeps the time it was first confirmed, so a chain whose
 * nodes all stopped keeps a ceiling that grows. Also keeps the vote's base
 * while two or more candidates agree.
 */
static void node_anchor(const struct node_limits *lim, const struct node_chain_params *cp,
                        struct chain_track *c, const struct node_poll *polls,
                        const struct node_track *tracks, size_t n, int64_t now_ms)
{
	uint64_t bound = UINT64_MAX, top = 0;
	bool agree, paced;
	size_t i;

	if (node_ceiling(lim, cp, c, now_ms, &bound) && c->vote > bound)
		bound = c->vote;
	for (i = 0; i < n; i++)
		if (node_candidate(&tracks[i]) && polls[i].best <= bound && polls[i].best > top)
			top = polls[i].best;
	agree = top <= node_add(c->vote, lim->max_lag);
	paced = !agree && !c->has_anchor && node_vote_paced(cp, c, now_ms);
	if (paced) /* the lone node above stays out of the tip */
		for (top = 0, i = 0; i < n; i++)
			if (node_candidate(&tracks[i]) &&
			    polls[i].best <= node_add(c->vote, lim->max_lag) && polls[i].best > top)
				top = polls[i].best;
	if ((agree || paced) && (!c->has_anchor || top > c->anchor)) {
		c->has_anchor = true;
		c->anchor = top;
		c->anchor_ms = now_ms;
	}
	if (agree && c->candidates >= 2 && (!c->has_base || c->base_vote != c->vote)) {
		c->has_base = true;
		c->base_vote = c->vote;
		c->base_ms = now_ms;
	}
}

/*
 * The vote has stopped: it is more than max_lag blocks behind where the
 * block time would have taken it since the candidates last agreed.
 */
static bool node_vote_stopped(const struct node_limits *lim, const struct node_chain_params *cp,
                              const struct chain_track *c, int64_t now_ms)
{
	int64_t dt = now_ms - c->base_ms;

	if (!c->has_base || dt < 0)
		return false;
	return node_add(c->base_vote, (uint64_t)(dt / node_block_ms(cp))) >
	       node_add(c->vote, lim->max_lag);
}

/*
 * This round's reference: the vote, or the one node above it when that
 * node is beyond max_lag, under the ceiling, and the vote has stopped
 * (the others fell behind, rather than it ran ahead). Flags implausible
 * candidates: above both the ceiling and the vote.
 */
static uint64_t node_pick_ref(const struct node_limits *lim, const struct node_chain_params *cp,
                              struct chain_track *c, const struct node_poll *polls,
                              struct node_track *tracks, size_t n, uint64_t top, int64_t now_ms)
{
	uint64_t bound;
	size_t i;

	c->has_ceiling = node_ceiling(lim, cp, c, now_ms, &c->ceiling);
	bound = c->has_ceiling && c->ceiling > c->vote ? c->ceiling : c->vote;
	for (i = 0; i < n; i++)
		tracks[i].implausible =
		    c->has_ceiling && node_candidate(&tracks[i]) && polls[i].best > bound;
	c->lone_ref = top > node_add(c->vote, lim->max_lag) && c->has_ceiling &&
	              top <= c->ceiling && node_vote_stopped(lim, cp, c, now_ms);
	return c->lone_ref ? top : c->vote;
}

static void node_chain_update(const struct node_limits *lim, const struct node_chain_params *cp,
                              struct chain_track *c, const struct node_poll *polls,
                              struct node_track *tracks, size_t n, int64_t now_ms)
{
	struct node_top2 best = {0, 0, 0}, fin = {0, 0, 0};
	bool was = c->stalled;
	uint64_t ref;
	size_t i;

	c->reachable = 0;
	for (i = 0; i < n; i++) {
		c->reachable += tracks[i].reachable;
		if (!node_candidate(&tracks[i]))
			continue;
		node_top2_add(&best, polls[i].best);
		if (polls[i].has_finalized)
			node_top2_add(&fin, polls[i].finalized);
	}
	c->candidates = best.count;
	c->stall_changed = false;
	c->lone_ref = false;
	if (!node_top2_ref(&best, &c->vote)) {
		c->has_ceiling = node_ceiling(lim, cp, c, now_ms, &c->ceiling);
		return; /* nobody to vote: keep the reference and the stall flag */
	}
	node_anchor(lim, cp, c, polls, tracks, n, now_ms);
	ref = node_pick_ref(lim, cp, c, polls, tracks, n, best.first, now_ms);
	c->ref_best = ref;
	if (node_top2_ref(&fin, &c->ref_finalized))
		c->has_ref_finalized = true;

	if (!c->has_ref) {
		c->has_ref = true;
		node_ring_reset(c, ref, now_ms);
	} else if (ref > c->ref_top) {
		node_ring_push(c, ref, now_ms);
	}
	/*
	 * A lower reference (the upper nodes went away) is no advance and leaves
	 * the history alone: lags are still measured against this round's ref.
	 */

	c->stalled = lim->stall_ms > 0 && now_ms - c->ref_changed_ms >= (int64_t)lim->stall_ms;
	if (c->stalled && !was)
		c->stalled_since_ms = now_ms;
	c->stall_changed = c->stalled != was;
}

/* ---- one node's verdict --------------------------------------------------- */

static void node_lags(const struct chain_track *c, const struct node_poll *p, struct node_track *t,
                      int64_t now_ms)
{
	int64_t secs;

	if (p->best < c->ref_best) {
		t->lag_blocks = c->ref_best - p->best;
		secs = (now_ms - node_ring_first_seen(c, p->best + 1, now_ms)) / 1000;
		if (secs < 0)
			secs = 0;
		t->lag_seconds = secs > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)secs;
	}
	if (p->has_finalized && c->has_ref_finalized && p->finalized < c->ref_finalized)
		t->finalized_lag = c->ref_finalized - p->finalized;
}

/* The verdict of a reachable node of the chain's network; the failing rule goes to <t->why>. */
static void node_health(const struct node_limits *lim, const struct chain_track *c,
                        const struct node_poll *p, struct node_track *t, int64_t now_ms)
{
	uint64_t most = c->has_ceiling && c->ceiling > c->vote ? c->ceiling : c->vote;

	node_lags(c, p, t, now_ms);
	if (!p->has_health)
		node_why(t->why, "no health reply");
	else if (p->syncing)
		node_why(t->why, "syncing");
	else if (p->peers < lim->min_peers)
		node_why(t->why, "peers %u < %u", (unsigned)p->peers, (unsigned)lim->min_peers);
	else if (t->implausible)
		node_why(t->why, "height %llu is more than the chain can have made (at most %llu)",
		         (unsigned long long)p->best, (unsigned long long)most);
	else if (t->stuck)
		node_why(t->why, "stuck at %llu for %lld s while others advance",
		         (unsigned long long)p->best,
		         (long long)((now_ms - t->best_changed_ms) / 1000));
	else if (t->lag_blocks > lim->max_lag)
		node_why(t->why, "lag %llu blocks > %llu", (unsigned long long)t->lag_blocks,
		         (unsigned long long)lim->max_lag);
	else if (lim->max_lag_seconds && t->lag_seconds > lim->max_lag_seconds)
		node_why(t->why, "lag %u s > %u s", (unsigned)t->lag_seconds,
		         (unsigned)lim->max_lag_seconds);
	else if (lim->max_finalized_lag && t->finalized_lag > lim->max_finalized_lag)
		node_why(t->why, "finalized lag %llu blocks > %llu",
		         (unsigned long long)t->finalized_lag,
		         (unsigned long long)lim->max_finalized_lag);
	else
		t->deserves = true;
}

/* Sets <t>'s lags and <deserves>; the failing rule goes to <t->why>. */
static void node_verdict(const struct node_limits *lim, const struct chain_track *c,
                         const struct node_poll *p, struct node_track *t, int64_t now_ms)
{
	t->lag_blocks = 0;
	t->lag_seconds = 0;
	t->finalized_lag = 0;
	t->deserves = false;
	if (p->err != NODE_POLL_OK)
		node_why(t->why, "%s", p->detail[0] ? p->detail : "unreachable");
	else if (!p->has_best)
		node_why(t->why, "no best block");
	else if (t->foreign)
		node_why(t->why, "another network: genesis %s, expected %s", p->genesis_hash,
		         c->genesis);
	else
		node_health(lim, c, p, t, now_ms);
}

/* ---- states --------------------------------------------------------------- */

/* Rise/fall and admin for one node; <frozen>: no node reachable, keep READY ones. */
static void node_step(const struct node_limits *lim, struct node_track *t, bool frozen,
                      int64_t now_ms)
{
	unsigned rise = lim->rise ? lim->rise : 1, fall = lim->fall ? lim->fall : 1;
	char out[NODE_REASON_MAX];
	int64_t left;

	if (t->admin_drain) {
		t->state = NODE_DRAIN;
		t->admin_held = true;
		node_why(t->why, "admin: %s", t->admin_reason);
		return;
	}
	if (t->foreign) {
		/* Another chain's data is wrong at once: no fall rounds. */
		t->state = NODE_DRAIN;
		return;
	}
	if (t->state == NODE_READY) {
		if (t->deserves) {
			node_why(t->why, "ok");
		} else if (t->bad >= fall) {
			if (frozen) {
				memcpy(out, t->why, sizeof(out));
				t->kept_in = true;
				node_why(t->why, "kept in: no node reachable (%s)", out);
			} else {
				t->state = NODE_DRAIN;
			}
		}
		return;
	}
	if (!t->deserves)
		return;
	left = t->admin_held ? 0 : (int64_t)lim->min_drain_ms - (now_ms - t->since_ms);
	if (t->good >= rise && left <= 0) {
		t->state = NODE_READY;
		node_why(t->why, "ok");
	} else if (t->good < rise) {
		node_why(t->why, "recovering: good %u/%u", t->good, rise);
	} else {
		node_why(t->why, "recovering: min_drain %lld s left",
		         (long long)((left + 999) / 1000));
	}
}

/* True when node <a> is a better floor pick than node <b> (the order of node.h). */
static bool node_better(const struct node_poll *polls, const struct node_track *tracks, size_t a,
                        size_t b)
{
	const struct node_poll *pa = &polls[a], *pb = &polls[b];
	const struct node_track *ta = &tracks[a], *tb = &tracks[b];
	bool qa = ta->implausible || ta->stuck, qb = tb->implausible || tb->stuck;
	bool sa = ta->reachable && pa->has_health && !pa->syncing;
	bool sb = tb->reachable && pb->has_health && !pb->syncing;
	uint64_t ba = ta->reachable ? pa->best : 0, bb = tb->reachable ? pb->best : 0;
	uint32_t ea = ta->reachable && pa->has_health ? pa->peers : 0;
	uint32_t eb = tb->reachable && pb->has_health ? pb->peers : 0;

	if (qa != qb)
		return qb; /* a height nobody confirms, or one left behind: last */
	if (ta->reachable != tb->reachable)
		return ta->reachable;
	if (sa != sb)
		return sa;
	if (ba != bb)
		return ba > bb;
	if (ea != eb)
		return ea > eb;
	if ((ta->prev == NODE_READY) != (tb->prev == NODE_READY))
		return ta->prev == NODE_READY;
	return a < b;
}

/* Fail open: put the best drained nodes in READY until min_ready are; never admin or foreign. */
static void node_floor(const struct node_limits *lim, const struct node_poll *polls,
                       struct node_track *tracks, size_t n)
{
	char out[NODE_REASON_MAX];
	size_t i, ready = 0, pick;

	for (i = 0; i < n; i++)
		if (tracks[i].state == NODE_READY)
			ready++;
	while (ready < lim->min_ready) {
		pick = n;
		for (i = 0; i < n; i++) {
			if (tracks[i].state != NODE_DRAIN || tracks[i].admin_drain ||
			    tracks[i].foreign)
				continue;
			if (pick == n || node_better(polls, tracks, i, pick))
				pick = i;
		}
		if (pick == n)
			return; /* everyone left is admin-drained or foreign */
		memcpy(out, tracks[pick].why, sizeof(out));
		tracks[pick].state = NODE_READY;
		tracks[pick].kept_in = true;
		node_why(tracks[pick].why, "kept in: min_ready %u (%s)", lim->min_ready, out);
		ready++;
	}
}

/* Starts the round for every node: first-round set-up, this round's flags, best history. */
static void node_prepare(const struct chain_track *c, const struct node_poll *polls,
                         struct node_track *tracks, size_t n, int64_t now_ms)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct node_track *t = &tracks[i];

		if (!t->initialised) {
			/* First round: keep the preset (what HAProxy shows), count from here. */
			t->initialised = true;
			if ((unsigned)t->state >= NODE_STATE_COUNT)
				t->state = NODE_READY;
			t->since_ms = now_ms;
			t->good = 0;
			t->bad = 0;
		}
		t->prev = t->state;
		t->changed = false;
		t->kept_in = false;
		t->reachable = node_reachable(&polls[i]);
		if (t->reachable) /* a node that stops answering stays on the network it was on */
			t->foreign = node_is_foreign(c, &polls[i]);
		t->implausible = false;
		t->stuck = false;
		node_history(t, &polls[i], now_ms);
	}
}

void node_decide(const struct node_limits *lim, const struct node_chain_params *cp,
                 struct chain_track *chain, const struct node_poll *polls,
                 struct node_track *tracks, size_t n, int64_t now_ms)
{
	size_t i;
	bool frozen;

	if (n == 0)
		return;
	node_network(cp, chain, polls, n);
	node_prepare(chain, polls, tracks, n, now_ms);
	node_stuck(lim, cp, chain, polls, tracks, n, now_ms);
	node_chain_update(lim, cp, chain, polls, tracks, n, now_ms);
	frozen = chain->reachable == 0;
	for (i = 0; i < n; i++) {
		struct node_track *t = &tracks[i];

		node_verdict(lim, chain, &polls[i], t, now_ms);
		if (t->deserves) {
			t->good = t->good < UINT_MAX ? t->good + 1 : t->good;
			t->bad = 0;
		} else {
			t->bad = t->bad < UINT_MAX ? t->bad + 1 : t->bad;
			t->good = 0;
		}
		node_step(lim, t, frozen, now_ms);
	}
	node_floor(lim, polls, tracks, n);
	chain->ready = 0;
	for (i = 0; i < n; i++) {
		struct node_track *t = &tracks[i];

		if (t->state != t->prev) {
			t->changed = true;
			t->since_ms = now_ms;
		}
		if (t->state == NODE_READY) {
			t->admin_held = false;
			chain->ready++;
		}
	}
}

bool node_admin(struct node_track *t, bool drain, const char *reason, int64_t now_ms)
{
	t->admin_drain = drain;
	node_why(t->admin_reason, "%s",
	         drain ? (reason && *reason ? reason : "no reason given") : "");
	if (!drain || !t->initialised || t->state != NODE_READY)
		return false;
	t->prev = NODE_READY;
	t->state = NODE_DRAIN;
	t->changed = true;
	t->kept_in = false;
	t->admin_held = true;
	t->since_ms = now_ms;
	node_why(t->why, "admin: %s", t->admin_reason);
	return true;
}
