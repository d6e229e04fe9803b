/* SPDX-License-Identifier: MIT */
/*
 * The per-chain decision of polkfura-ctl (see node.h): reference heights
 * that one bogus node cannot move, lag in blocks and in seconds, a health
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

#define NODE_DEFAULT_MAX_LAG   5
#define NODE_DEFAULT_MIN_PEERS 1
#define NODE_DEFAULT_RISE      2
#define NODE_DEFAULT_FALL      2
#define NODE_DEFAULT_MIN_DRAIN 30000
#define NODE_DEFAULT_MIN_READY 1
#define NODE_DEFAULT_STALL     60000

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

void node_limits_default(struct node_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_lag = NODE_DEFAULT_MAX_LAG;
	lim->min_peers = NODE_DEFAULT_MIN_PEERS;
	lim->rise = NODE_DEFAULT_RISE;
	lim->fall = NODE_DEFAULT_FALL;
	lim->min_drain_ms = NODE_DEFAULT_MIN_DRAIN;
	lim->min_ready = NODE_DEFAULT_MIN_READY;
	lim->stall_ms = NODE_DEFAULT_STALL;
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

/* ---- the chain's reference ------------------------------------------------ */

static bool node_reachable(const struct node_poll *p)
{
	return p->err == NODE_POLL_OK && p->has_best;
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

static void node_chain_update(const struct node_limits *lim, struct chain_track *c,
                              const struct node_poll *polls, size_t n, int64_t now_ms)
{
	struct node_top2 best = {0, 0, 0}, fin = {0, 0, 0};
	bool was = c->stalled;
	uint64_t ref;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!node_reachable(&polls[i]))
			continue;
		node_top2_add(&best, polls[i].best);
		if (polls[i].has_finalized)
			node_top2_add(&fin, polls[i].finalized);
	}
	c->reachable = best.count;
	c->stall_changed = false;
	if (!node_top2_ref(&best, &ref))
		return; /* nobody answered: keep the reference and the stall flag */
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

/* Sets <t>'s lags, <reachable> and <deserves>; the failing rule goes to <t->why>. */
static void node_verdict(const struct node_limits *lim, const struct chain_track *c,
                         const struct node_poll *p, struct node_track *t, int64_t now_ms)
{
	t->lag_blocks = 0;
	t->lag_seconds = 0;
	t->finalized_lag = 0;
	t->reachable = node_reachable(p);
	t->deserves = false;
	if (p->err != NODE_POLL_OK) {
		node_why(t->why, "%s", p->detail[0] ? p->detail : "unreachable");
		return;
	}
	if (!p->has_best) {
		node_why(t->why, "no best block");
		return;
	}
	node_lags(c, p, t, now_ms);
	if (!p->has_health)
		node_why(t->why, "no health reply");
	else if (p->syncing)
		node_why(t->why, "syncing");
	else if (p->peers < lim->min_peers)
		node_why(t->why, "peers %u < %u", (unsigned)p->peers, (unsigned)lim->min_peers);
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
	bool sa = ta->reachable && pa->has_health && !pa->syncing;
	bool sb = tb->reachable && pb->has_health && !pb->syncing;
	uint64_t ba = ta->reachable ? pa->best : 0, bb = tb->reachable ? pb->best : 0;
	uint32_t ea = ta->reachable && pa->has_health ? pa->peers : 0;
	uint32_t eb = tb->reachable && pb->has_health ? pb->peers : 0;

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

/* Fail open: put the best drained non-admin nodes in READY until min_ready are. */
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
			if (tracks[i].state != NODE_DRAIN || tracks[i].admin_drain)
				continue;
			if (pick == n || node_better(polls, tracks, i, pick))
				pick = i;
		}
		if (pick == n)
			return; /* everyone left is admin-drained */
		memcpy(out, tracks[pick].why, sizeof(out));
		tracks[pick].state = NODE_READY;
		tracks[pick].kept_in = true;
		node_why(tracks[pick].why, "kept in: min_ready %u (%s)", lim->min_ready, out);
		ready++;
	}
}

void node_decide(const struct node_limits *lim, struct chain_track *chain,
                 const struct node_poll *polls, struct node_track *tracks, size_t n, int64_t now_ms)
{
	size_t i;
	bool frozen;

	if (n == 0)
		return;
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
	}
	node_chain_update(lim, chain, polls, n, now_ms);
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
