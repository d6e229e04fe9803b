/* SPDX-License-Identifier: MIT */
/*
 * The planner of plan.h. One pass builds the new seats (kept, newly assigned
 * slots, released slots), a second turns them into hapi_want rows that
 * hapi_diff() compares with the instance, a third adds the shutdowns of
 * drains past their grace. It allocates only its scratch arrays (freed before
 * it returns); it never logs: events go out as notes.
 */
#include "ctl/hapi/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "ctl/hapi/hapi_cmd.h"

/*
 * Open-addressing indexes (index + 1 per slot, 0 empty), so a round over
 * thousands of servers looks each one up once instead of scanning: names are
 * compared only on a hash match.
 */
struct plan_map {
	uint32_t *slot;
	size_t mask;
};

/* Servers a seat or a configured node holds, for plan_server_taken(). */
struct plan_taken {
	const char **backend, **server;
	size_t n, cap;
	struct plan_map map;
};

struct plan_ctx {
	const struct plan_input *in;
	struct plan_output *out;
	struct hapi_want *wants; /* scratch */
	size_t *want_seat;       /* seat index of each want; SIZE_MAX for a heavy twin */
	size_t n_wants, cap_wants;
	struct plan_map have;  /* in->have by backend/server */
	struct plan_map nodes; /* in->nodes by name */
	struct plan_map seats; /* in->seats by node */
	struct plan_taken taken;
};

static uint64_t plan_hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (; b != NULL && *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h ^ (h >> 29);
}

static int plan_map_init(struct plan_map *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	m->slot = calloc(cap, sizeof(*m->slot));
	m->mask = cap - 1;
	return m->slot != NULL ? 0 : -1;
}

static void plan_map_put(struct plan_map *m, uint64_t h, size_t idx)
{
	size_t i = (size_t)h & m->mask;

	while (m->slot[i] != 0)
		i = (i + 1) & m->mask;
	m->slot[i] = (uint32_t)idx + 1;
}

/* Walks the indexes hashed like <h>: pass <*at> = (size_t)h first; -1 when done. */
static long plan_map_next(const struct plan_map *m, size_t *at)
{
	size_t i = *at & m->mask;
	uint32_t v = m->slot[i];

	*at = (i + 1) & m->mask;
	return v == 0 ? -1 : (long)v - 1;
}

const struct plan_seat *plan_seat_find(const struct plan_seat *seats, size_t n, const char *node)
{
	for (size_t i = 0; i < n; i++)
		if (seats[i].node[0] != '\0' && strcmp(seats[i].node, node) == 0)
			return &seats[i];
	return NULL;
}

const char *plan_act_kind_str(enum plan_act_kind kind)
{
	static const char *const names[PLAN_ACT_COUNT] = {"state", "weight", "addr",
	                                                  "shutdown_sessions"};

	return (unsigned)kind < PLAN_ACT_COUNT ? names[kind] : "?";
}

const char *plan_note_kind_str(enum plan_note_kind kind)
{
	static const char *const names[PLAN_NOTE_COUNT] = {
	    "slot_taken",     "no_slot", "released", "hand_maint",
	    "hand_maint_end", "missing", "found",    "shutdown"};

	return (unsigned)kind < PLAN_NOTE_COUNT ? names[kind] : "?";
}

void plan_capacity(const struct plan_input *in, size_t *seats, size_t *acts, size_t *notes)
{
	size_t twins = 0;

	for (size_t i = 0; i < in->n_nodes; i++)
		twins += 1 + in->nodes[i].n_heavy;
	*seats = in->n_nodes + in->n_seats + 1;
	/* Per server: addr, weight, state; plus a shutdown per server. */
	*acts = (twins + in->n_seats) * 4 + 1;
	/* Per node at most: taken/no-slot, hand maint or its end, missing or found, shutdown;
	 * per old seat a release. */
	*notes = in->n_nodes * 4 + in->n_seats + 1;
}

static const struct hapi_server *plan_find(const struct hapi_server *have, size_t nhave,
                                           const char *backend, const char *server)
{
	for (size_t i = 0; i < nhave; i++)
		if (strcmp(have[i].backend, backend) == 0 && strcmp(have[i].server, server) == 0)
			return &have[i];
	return NULL;
}

static const struct hapi_server *plan_have(const struct plan_ctx *x, const char *backend,
                                           const char *server)
{
	size_t at = (size_t)plan_hash(backend, server);
	long i;

	while ((i = plan_map_next(&x->have, &at)) >= 0) {
		const struct hapi_server *h = &x->in->have[i];

		if (strcmp(h->server, server) == 0 && strcmp(h->backend, backend) == 0)
			return h;
	}
	return NULL;
}

/* The wanted node named <name>, or NULL. */
static const struct plan_node *plan_node_named(const struct plan_ctx *x, const char *name)
{
	size_t at = (size_t)plan_hash(name, NULL);
	long i;

	while ((i = plan_map_next(&x->nodes, &at)) >= 0)
		if (strcmp(x->in->nodes[i].name, name) == 0)
			return &x->in->nodes[i];
	return NULL;
}

/* <node>'s seat in the instance's memory before this plan, or NULL. */
static const struct plan_seat *plan_old_seat(const struct plan_ctx *x, const char *node)
{
	size_t at = (size_t)plan_hash(node, NULL);
	long i;

	while ((i = plan_map_next(&x->seats, &at)) >= 0)
		if (strcmp(x->in->seats[i].node, node) == 0)
			return &x->in->seats[i];
	return NULL;
}

static void plan_take(struct plan_ctx *x, const char *backend, const char *server)
{
	struct plan_taken *t = &x->taken;

	if (t->n == t->cap)
		return; /* sized in plan_index(): cannot happen */
	t->backend[t->n] = backend;
	t->server[t->n] = server;
	plan_map_put(&t->map, plan_hash(backend, server), t->n);
	t->n++;
}

static int plan_index(struct plan_ctx *x)
{
	const struct plan_input *in = x->in;
	struct plan_taken *t = &x->taken;

	t->cap = in->n_nodes + x->out->cap_seats + 1;
	t->backend = calloc(t->cap, sizeof(*t->backend));
	t->server = calloc(t->cap, sizeof(*t->server));
	if (t->backend == NULL || t->server == NULL || plan_map_init(&t->map, t->cap) == -1 ||
	    plan_map_init(&x->have, in->n_have) == -1 ||
	    plan_map_init(&x->nodes, in->n_nodes) == -1 ||
	    plan_map_init(&x->seats, in->n_seats) == -1)
		return -1;
	for (size_t i = 0; i < in->n_have; i++)
		plan_map_put(&x->have, plan_hash(in->have[i].backend, in->have[i].server), i);
	for (size_t i = 0; i < in->n_nodes; i++) {
		plan_map_put(&x->nodes, plan_hash(in->nodes[i].name, NULL), i);
		if (in->nodes[i].server != NULL)
			plan_take(x, in->nodes[i].backend, in->nodes[i].server);
	}
	for (size_t i = 0; i < in->n_seats; i++)
		if (in->seats[i].node[0] != '\0')
			plan_map_put(&x->seats, plan_hash(in->seats[i].node, NULL), i);
	return 0;
}

static void plan_unindex(struct plan_ctx *x)
{
	free(x->taken.backend);
	free(x->taken.server);
	free(x->taken.map.slot);
	free(x->have.slot);
	free(x->nodes.slot);
	free(x->seats.slot);
}

static void plan_note(struct plan_ctx *x, enum plan_note_kind kind, const char *node,
                      const char *backend, const char *server)
{
	struct plan_output *o = x->out;
	struct plan_note *n;

	if (o->n_notes == o->cap_notes)
		return; /* plan_capacity() sizes this; a lost note is only a lost log line */
	n = &o->notes[o->n_notes++];
	n->kind = kind;
	snprintf(n->node, sizeof(n->node), "%s", node);
	snprintf(n->backend, sizeof(n->backend), "%s", backend);
	snprintf(n->server, sizeof(n->server), "%s", server);
}

/* True when some seat of the new set, or a configured server, is <backend>/<server>. */
static bool plan_server_taken(const struct plan_ctx *x, const char *backend, const char *server)
{
	size_t at = (size_t)plan_hash(backend, server);
	long i;

	while ((i = plan_map_next(&x->taken.map, &at)) >= 0)
		if (strcmp(x->taken.server[i], server) == 0 &&
		    strcmp(x->taken.backend[i], backend) == 0)
			return true;
	return false;
}

static bool plan_addr_is(const struct hapi_server *h, const struct plan_node *nd)
{
	return h->port == nd->port && hapi_addr_eq(h->addr, nd->addr);
}

static struct plan_seat *plan_seat_add(struct plan_ctx *x, const struct plan_node *nd,
                                       const char *server, bool slot)
{
	struct plan_output *o = x->out;
	struct plan_seat *s;

	if (o->n_seats == o->cap_seats)
		return NULL;
	s = &o->seats[o->n_seats++];
	memset(s, 0, sizeof(*s));
	snprintf(s->node, sizeof(s->node), "%s", nd != NULL ? nd->name : "");
	snprintf(s->backend, sizeof(s->backend), "%s", nd != NULL ? nd->backend : "");
	snprintf(s->server, sizeof(s->server), "%s", server);
	s->slot = slot;
	if (nd != NULL && server[0] != '\0')
		plan_take(x, s->backend, s->server);
	return s;
}

/* A slot for template node <nd>: the one with its address, else a free one in MAINT. */
static const struct hapi_server *plan_pick_slot(const struct plan_ctx *x,
                                                const struct plan_node *nd, bool *own_addr)
{
	const struct plan_input *in = x->in;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < in->n_have; k++) {
			const struct hapi_server *h = &in->have[k];

			if (strcmp(h->backend, nd->backend) != 0 ||
			    plan_server_taken(x, h->backend, h->server))
				continue;
			if (pass == 0 ? plan_addr_is(h, nd)
			              : (h->admin_state & HAPI_ADMF_FMAINT) != 0) {
				*own_addr = pass == 0;
				return h;
			}
		}
	}
	return NULL;
}

/* Kept seats first (so their slots count as taken), then new ones for the rest. */
static int plan_seats(struct plan_ctx *x)
{
	const struct plan_input *in = x->in;
	bool *kept = calloc(in->n_nodes + 1, sizeof(*kept));
	int rc = -1;

	if (kept == NULL)
		return -1;
	for (size_t i = 0; i < in->n_nodes; i++) {
		const struct plan_node *nd = &in->nodes[i];
		const struct plan_seat *old = plan_old_seat(x, nd->name);
		bool slot = nd->server == NULL;
		struct plan_seat *s;

		if (old == NULL || old->no_slot || old->slot != slot ||
		    strcmp(old->backend, nd->backend) != 0 ||
		    (!slot && strcmp(old->server, nd->server) != 0) ||
		    (slot && plan_server_taken(x, nd->backend, old->server)))
			continue; /* placed below */
		s = plan_seat_add(x, nd, old->server, slot);
		if (s == NULL)
			goto out;
		*s = *old;
		kept[i] = true;
	}
	for (size_t i = 0; i < in->n_nodes; i++) {
		const struct plan_node *nd = &in->nodes[i];
		const struct hapi_server *pick;
		bool own_addr = false;
		struct plan_seat *s;

		if (kept[i])
			continue;
		if (nd->server != NULL) {
			if (plan_seat_add(x, nd, nd->server, false) == NULL)
				goto out;
			continue;
		}
		pick = plan_pick_slot(x, nd, &own_addr);
		if (pick == NULL) {
			const struct plan_seat *old = plan_old_seat(x, nd->name);

			if (old == NULL || !old->no_slot)
				plan_note(x, PLAN_NOTE_NO_SLOT, nd->name, nd->backend, "");
			s = plan_seat_add(x, nd, "", true);
			if (s == NULL)
				goto out;
			s->no_slot = true;
			continue;
		}
		s = plan_seat_add(x, nd, pick->server, true);
		if (s == NULL)
			goto out;
		/* A slot with the node's address (a restart of ours): maybe MAINT by hand. */
		s->seen_serving = own_addr;
		plan_note(x, PLAN_NOTE_SLOT_TAKEN, nd->name, nd->backend, pick->server);
	}
	rc = 0;
out:
	free(kept);
	return rc;
}

/* Old slots no node holds any more go back to MAINT; their seat stays until HAProxy shows it. */
static int plan_releases(struct plan_ctx *x)
{
	const struct plan_input *in = x->in;

	for (size_t i = 0; i < in->n_seats; i++) {
		const struct plan_seat *old = &in->seats[i];
		const struct hapi_server *h;
		struct plan_seat *s;

		if (!old->slot || old->no_slot || plan_server_taken(x, old->backend, old->server))
			continue;
		h = plan_have(x, old->backend, old->server);
		if (old->node[0] != '\0')
			plan_note(x, PLAN_NOTE_RELEASED, old->node, old->backend, old->server);
		if (h == NULL || (h->admin_state & HAPI_ADMF_FMAINT))
			continue; /* gone from the config, or back in MAINT: done */
		s = plan_seat_add(x, NULL, old->server, true);
		if (s == NULL)
			return -1;
		snprintf(s->backend, sizeof(s->backend), "%s", old->backend);
	}
	return 0;
}

static struct hapi_want *plan_want(struct plan_ctx *x, size_t seat, const char *backend,
                                   const char *server)
{
	struct hapi_want *w;

	if (x->n_wants == x->cap_wants)
		return NULL;
	x->want_seat[x->n_wants] = seat;
	w = &x->wants[x->n_wants++];
	memset(w, 0, sizeof(*w));
	snprintf(w->backend, sizeof(w->backend), "%s", backend);
	snprintf(w->server, sizeof(w->server), "%s", server);
	return w;
}

/*
 * The heavy twins of seat <s> (servers of the same name in the heavy
 * backends): the same state as the server <w> wants, MAINT while the server
 * is in MAINT by hand, and a slot's address. The controller sets the state
 * itself because "track" cannot follow a server-template slot: a slot keeps
 * the config's "disabled" flag (CMAINT) after "state ready", and HAProxy
 * keeps every tracker of it in maintenance. Twins that do track a named
 * server take the same state from both sides, which is harmless.
 */
static int plan_twin_wants(struct plan_ctx *x, const struct plan_seat *s,
                           const struct plan_node *nd, const struct hapi_want *w,
                           const struct hapi_server *h)
{
	bool hand = h != NULL && (h->admin_state & HAPI_ADMF_FMAINT) && !w->own_maint;

	for (unsigned b = 0; b < nd->n_heavy; b++) {
		struct hapi_want *tw;

		if (plan_have(x, nd->heavy[b], s->server) == NULL)
			continue;
		tw = plan_want(x, SIZE_MAX, nd->heavy[b], s->server);
		if (tw == NULL)
			return -1;
		tw->state = hand ? HAPI_WANT_MAINT : w->state;
		tw->has_addr = w->has_addr;
		snprintf(tw->addr, sizeof(tw->addr), "%s", w->addr);
		tw->port = w->port;
		tw->own_maint = true;
	}
	return 0;
}

/* The wants of seat <si>: its server, and its heavy twins. */
static int plan_seat_wants(struct plan_ctx *x, size_t si)
{
	struct plan_seat *s = &x->out->seats[si];
	const struct plan_node *nd = NULL;
	const struct hapi_server *h = plan_have(x, s->backend, s->server);
	struct hapi_want *w;

	if (s->node[0] != '\0')
		nd = plan_node_named(x, s->node);
	w = plan_want(x, si, s->backend, s->server);
	if (w == NULL)
		return -1;
	if (nd == NULL) {
		/* A released slot: its twins go back to MAINT with it (they are listed by any
		 * node of the same backend; with none left, the twins stay as they are). */
		w->state = HAPI_WANT_MAINT;
		for (size_t i = 0; i < x->in->n_nodes; i++)
			if (strcmp(x->in->nodes[i].backend, s->backend) == 0)
				return plan_twin_wants(x, s, &x->in->nodes[i], w, NULL);
		return 0;
	}
	w->state = nd->want;
	if (!s->slot)
		return plan_twin_wants(x, s, nd, w, h);
	w->has_addr = true;
	snprintf(w->addr, sizeof(w->addr), "%s", nd->addr);
	w->port = nd->port;
	if (h != NULL && !plan_addr_is(h, nd))
		s->seen_serving = false; /* lost its address (a reload without state): refill */
	w->own_maint = !s->seen_serving;
	return plan_twin_wants(x, s, nd, w, h);
}

static void plan_flag(struct plan_ctx *x, struct plan_seat *s, bool *flag, bool now,
                      enum plan_note_kind on, enum plan_note_kind off)
{
	if (*flag != now && s->node[0] != '\0')
		plan_note(x, now ? on : off, s->node, s->backend, s->server);
	*flag = now;
}

static int plan_add_act(struct plan_output *o, enum plan_act_kind kind, const char *cmd)
{
	if (o->n_acts == o->cap_acts)
		return -1;
	o->acts[o->n_acts].kind = kind;
	snprintf(o->acts[o->n_acts].cmd, sizeof(o->acts[0].cmd), "%s", cmd);
	o->n_acts++;
	return 0;
}

/*
 * Each want against its own row, found through the index: hapi_diff() on all
 * wants at once would scan every row for every want.
 */
static int plan_diff(struct plan_ctx *x)
{
	for (size_t w = 0; w < x->n_wants; w++) {
		const struct hapi_want *want = &x->wants[w];
		const struct hapi_server *h = plan_have(x, want->backend, want->server);
		struct hapi_action acts[3];
		struct hapi_skip skip = {want, HAPI_SKIP_NO_SERVER, 0};
		size_t nacts = 0, nskips = 0;
		size_t si = x->want_seat[w];
		struct plan_seat *s;

		if (h != NULL && hapi_diff(want, 1, h, 1, acts, 3, &nacts, &skip, 1, &nskips) == -1)
			return -1;
		for (size_t i = 0; i < nacts; i++) {
			enum plan_act_kind kind =
			    acts[i].kind == HAPI_ACT_SET_ADDR     ? PLAN_ACT_SET_ADDR
			    : acts[i].kind == HAPI_ACT_SET_WEIGHT ? PLAN_ACT_SET_WEIGHT
			                                          : PLAN_ACT_SET_STATE;

			if (plan_add_act(x->out, kind, acts[i].cmd) == -1)
				return -1;
		}
		if (h == NULL)
			nskips = 1;
		if (si == SIZE_MAX)
			continue;
		s = &x->out->seats[si];
		plan_flag(x, s, &s->hand_maint, nskips == 1 && skip.reason == HAPI_SKIP_HAND_MAINT,
		          PLAN_NOTE_HAND_MAINT, PLAN_NOTE_HAND_MAINT_END);
		plan_flag(x, s, &s->missing, nskips == 1 && skip.reason == HAPI_SKIP_NO_SERVER,
		          PLAN_NOTE_MISSING, PLAN_NOTE_FOUND);
	}
	return 0;
}

/* A slot counts as serving its node once HAProxy shows it out of MAINT at that address. */
static void plan_seen(struct plan_ctx *x)
{
	for (size_t i = 0; i < x->out->n_seats; i++) {
		struct plan_seat *s = &x->out->seats[i];
		const struct hapi_server *h = plan_have(x, s->backend, s->server);
		const struct plan_node *nd =
		    s->slot && s->node[0] != '\0' ? plan_node_named(x, s->node) : NULL;

		if (nd != NULL && h != NULL && !(h->admin_state & HAPI_ADMF_FMAINT) &&
		    plan_addr_is(h, nd))
			s->seen_serving = true;
	}
}

static int plan_shutdowns(struct plan_ctx *x)
{
	const struct plan_input *in = x->in;

	for (size_t i = 0; i < x->out->n_seats; i++) {
		struct plan_seat *s = &x->out->seats[i];
		const struct plan_node *nd =
		    s->node[0] != '\0' ? plan_node_named(x, s->node) : NULL;
		char cmd[HAPI_CMD_MAX];

		if (nd == NULL || s->no_slot)
			continue;
		if (nd->want != HAPI_WANT_DRAIN) {
			s->shut_drain_ms = 0;
			continue;
		}
		if (in->drain_grace_ms == 0 || s->hand_maint || s->missing ||
		    s->shut_drain_ms == nd->drain_since_ms ||
		    in->now_ms - nd->drain_since_ms < (int64_t)in->drain_grace_ms)
			continue;
		for (unsigned b = 0; b <= nd->n_heavy; b++) {
			const char *be = b == 0 ? s->backend : nd->heavy[b - 1];

			if (plan_have(x, be, s->server) == NULL ||
			    hapi_cmd_shutdown_sessions(cmd, sizeof(cmd), be, s->server) == 0)
				continue;
			if (plan_add_act(x->out, PLAN_ACT_SHUTDOWN, cmd) == -1)
				return -1;
		}
		s->shut_drain_ms = nd->drain_since_ms;
		plan_note(x, PLAN_NOTE_SHUTDOWN, s->node, s->backend, s->server);
	}
	return 0;
}

int plan_make(const struct plan_input *in, struct plan_output *out)
{
	struct plan_ctx x;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.in = in;
	x.out = out;
	out->n_seats = out->n_acts = out->n_notes = 0;
	for (size_t i = 0; i < in->n_nodes; i++)
		x.cap_wants += 1 + in->nodes[i].n_heavy;
	x.cap_wants += in->n_seats + 1;
	x.wants = calloc(x.cap_wants, sizeof(*x.wants));
	x.want_seat = calloc(x.cap_wants, sizeof(*x.want_seat));
	if (x.wants == NULL || x.want_seat == NULL || plan_index(&x) == -1)
		goto out;
	if (plan_seats(&x) == -1 || plan_releases(&x) == -1)
		goto out;
	for (size_t i = 0; i < out->n_seats; i++)
		if (!out->seats[i].no_slot && plan_seat_wants(&x, i) == -1)
			goto out;
	if (plan_diff(&x) == -1)
		goto out;
	plan_seen(&x);
	rc = plan_shutdowns(&x);
out:
	plan_unindex(&x);
	free(x.wants);
	free(x.want_seat);
	return rc;
}

enum plan_lease_verdict plan_lease(const char *value, const char *me, int64_t now_ms, char *holder,
                                   size_t holderlen, int64_t *expires_ms)
{
	const char *slash = strrchr(value, '/');
	char *end = NULL;
	long long exp;

	holder[0] = '\0';
	*expires_ms = 0;
	if (slash == NULL || slash == value || slash[1] == '\0')
		return PLAN_LEASE_TAKE; /* unset, or nothing a controller wrote */
	exp = strtoll(slash + 1, &end, 10);
	if (end == NULL || *end != '\0' || exp <= 0)
		return PLAN_LEASE_TAKE;
	snprintf(holder, holderlen, "%.*s", (int)(slash - value), value);
	*expires_ms = exp;
	if (strlen(me) == (size_t)(slash - value) && strncmp(value, me, strlen(me)) == 0)
		return PLAN_LEASE_OURS;
	return exp <= now_ms ? PLAN_LEASE_TAKE : PLAN_LEASE_OTHER;
}

static bool plan_have_backend(const struct hapi_server *have, size_t nhave, const char *backend)
{
	for (size_t i = 0; i < nhave; i++)
		if (strcmp(have[i].backend, backend) == 0)
			return true;
	return false;
}

static bool plan_named(const struct plan_node *nodes, size_t n, const char *backend,
                       const char *server)
{
	for (size_t i = 0; i < n; i++)
		if (nodes[i].server != NULL && strcmp(nodes[i].backend, backend) == 0 &&
		    strcmp(nodes[i].server, server) == 0)
			return true;
	return false;
}

PF_PRINTF(3, 4) static void plan_problem(plan_problem_cb_fn cb, void *ctx, const char *fmt, ...)
{
	char line[384];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cb(ctx, line);
}

/* The checks of one chain backend, whose first node is nodes[first]. */
static size_t plan_verify_backend(const struct plan_node *nodes, size_t n, size_t first,
                                  const struct hapi_server *have, size_t nhave,
                                  plan_problem_cb_fn cb, void *ctx)
{
	const struct plan_node *f = &nodes[first];
	size_t problems = 0, templates = 0, slots = 0;

	if (!plan_have_backend(have, nhave, f->backend)) {
		plan_problem(cb, ctx, "backend %s (chain of node %s) is not in HAProxy", f->backend,
		             f->name);
		return 1;
	}
	for (size_t i = first; i < n; i++) {
		if (strcmp(nodes[i].backend, f->backend) != 0)
			continue;
		if (nodes[i].server == NULL) {
			templates++;
		} else if (plan_find(have, nhave, f->backend, nodes[i].server) == NULL) {
			plan_problem(cb, ctx, "server %s/%s (node %s) is not in HAProxy",
			             f->backend, nodes[i].server, nodes[i].name);
			problems++;
		}
	}
	for (size_t k = 0; k < nhave; k++) {
		if (strcmp(have[k].backend, f->backend) != 0)
			continue;
		if (!plan_named(nodes, n, f->backend, have[k].server))
			slots++;
		for (unsigned b = 0; b < f->n_heavy; b++)
			if (plan_have_backend(have, nhave, f->heavy[b]) &&
			    plan_find(have, nhave, f->heavy[b], have[k].server) == NULL) {
				plan_problem(cb, ctx, "heavy backend %s has no twin %s of %s/%s",
				             f->heavy[b], have[k].server, f->backend,
				             have[k].server);
				problems++;
			}
	}
	for (unsigned b = 0; b < f->n_heavy; b++)
		if (!plan_have_backend(have, nhave, f->heavy[b])) {
			plan_problem(cb, ctx, "heavy backend %s (of %s) is not in HAProxy",
			             f->heavy[b], f->backend);
			problems++;
		}
	if (templates > slots) {
		plan_problem(
		    cb, ctx,
		    "backend %s has %zu server-template slots for %zu nodes without a server",
		    f->backend, slots, templates);
		problems++;
	}
	return problems;
}

size_t plan_verify(const struct plan_node *nodes, size_t n, const struct hapi_server *have,
                   size_t nhave, plan_problem_cb_fn cb, void *ctx)
{
	size_t problems = 0;

	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(nodes[j].backend, nodes[i].backend) == 0;
		if (!seen)
			problems += plan_verify_backend(nodes, n, i, have, nhave, cb, ctx);
	}
	return problems;
}
