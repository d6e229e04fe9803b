/* SPDX-License-Identifier: MIT */
/*
 * The controller's records (see recorder.h). Incidents are kept in one
 * small list of those open, keyed by (chain, kind, node): a handful at a
 * time, so a linear search is the simplest correct thing.
 */
#include "ctl/recorder.h"

#include <sys/random.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ctl/db/observe.h"
#include "ctl/db/writer.h"
#include "ctl/node_event.h"
#include "ctl/stats/hist.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/rowtab.h"
#include "ctl/stats/statsprom.h"

#define MOD "recorder"

enum inc_kind {
	INC_NODE_OUT = 0,
	INC_DEGRADED,
	INC_DOWN,
	INC_STALL,
	INC_UNREACHABLE, /* another region's edge, as this region's probes see it */
	INC_KIND_COUNT
};

static const char *const inc_kinds[INC_KIND_COUNT] = {"node_out", "chain_degraded", "chain_down",
                                                      "chain_stall", "region_unreachable"};
static const char *const inc_severities[INC_KIND_COUNT] = {"minor", "major", "critical", "critical",
                                                           "critical"};

#define PROBES_MAX 16 /* CTL_CFG_MAX_PROBES */
#define URL_MAX    255

/* The last decision of each probed URL. */
struct probe_seen {
	char url[URL_MAX + 1];
	char region[REC_REGION_MAX + 1], chain[REC_CHAIN_MAX + 1];
	bool reachable;
	char why[REC_TEXT_MAX + 1];
	int64_t since_ms;
};

struct open_incident {
	char id[REC_ID_MAX + 1];
	char chain[REC_CHAIN_MAX + 1];
	enum inc_kind kind;
	char node[REC_NAME_MAX + 1]; /* node_out only */
	char url[URL_MAX + 1];       /* region_unreachable only: the probe (its "node") */
	bool wanted;                 /* scratch for the session start */
};

struct chain_seen {
	char name[REC_CHAIN_MAX + 1];
	enum obs_state state;
};

struct recorder {
	struct dbw *w;
	char region[REC_REGION_MAX + 1];
	char controller[REC_WHO_MAX + 1];
	char instance[33]; /* random per process: the prefix of every id */
	uint64_t seq;
	uint64_t put;
	/* The session: */
	bool holder;
	bool start_pending; /* the lock was taken; the session starts at the next round */
	bool recording;
	char session[REC_ID_MAX + 1];
	int64_t session_start_ms;
	int64_t last_beat_ms;
	int64_t last_sample_minute;
	unsigned retention_days;
	int64_t last_prune_ms;           /* 0: none yet in this session */
	struct dbw_open_incident *adopt; /* what the database had open when the lock was taken */
	size_t n_adopt;
	struct open_incident *open;
	size_t n_open, cap_open;
	struct chain_seen *chains;
	size_t n_chains, cap_chains;
	struct probe_seen probes[PROBES_MAX];
	unsigned n_probes;
	struct recorder_hooks hooks;
};

/* ---- ids and puts ---- */

static void next_id(struct recorder *r, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s-%" PRIu64, r->instance, ++r->seq);
}

static void record_init(struct recorder *r, struct db_record *rec, enum rec_kind kind,
                        int64_t at_ms)
{
	memset(rec, 0, sizeof(*rec));
	rec->kind = kind;
	next_id(r, rec->id, sizeof(rec->id));
	snprintf(rec->region, sizeof(rec->region), "%s", r->region);
	rec->at_ms = at_ms;
}

static void put(struct recorder *r, const struct db_record *rec)
{
	r->put++;
	if (dbw_put(r->w, rec) == -1)
		log_debug(MOD, "record %s lost (the writer logged why)", rec->id);
}

/* ---- incidents ---- */

static struct open_incident *find_open(struct recorder *r, const char *chain, enum inc_kind kind,
                                       const char *node)
{
	for (size_t i = 0; i < r->n_open; i++) {
		struct open_incident *o = &r->open[i];

		if (o->kind != kind || strcmp(o->chain, chain) != 0)
			continue;
		if (kind == INC_NODE_OUT && strcmp(o->node, node) != 0)
			continue;
		if (kind == INC_UNREACHABLE && strcmp(o->url, node) != 0)
			continue;
		return o;
	}
	return NULL;
}

static struct open_incident *add_open(struct recorder *r)
{
	if (r->n_open == r->cap_open) {
		size_t cap = r->cap_open ? r->cap_open * 2 : 16;
		struct open_incident *p = realloc(r->open, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		r->open = p;
		r->cap_open = cap;
	}
	memset(&r->open[r->n_open], 0, sizeof(r->open[0]));
	return &r->open[r->n_open++];
}

static void remove_open(struct recorder *r, struct open_incident *o)
{
	size_t i = (size_t)(o - r->open);

	memmove(&r->open[i], &r->open[i + 1], (r->n_open - i - 1) * sizeof(r->open[0]));
	r->n_open--;
}

static void incident_open(struct recorder *r, const char *chain, enum inc_kind kind,
                          const char *node, const char *summary, int64_t at_ms)
{
	struct open_incident *o;
	struct db_record rec;

	if (find_open(r, chain, kind, node) != NULL)
		return;
	o = add_open(r);
	if (o == NULL) {
		log_err(MOD, "out of memory: incident %s %s not recorded", inc_kinds[kind], chain);
		return;
	}
	record_init(r, &rec, REC_INCIDENT_OPEN, at_ms);
	snprintf(rec.u.open.chain, sizeof(rec.u.open.chain), "%s", chain);
	snprintf(rec.u.open.kind, sizeof(rec.u.open.kind), "%s", inc_kinds[kind]);
	snprintf(rec.u.open.severity, sizeof(rec.u.open.severity), "%s", inc_severities[kind]);
	snprintf(rec.u.open.summary, sizeof(rec.u.open.summary), "%s", summary);
	snprintf(rec.u.open.nodes, sizeof(rec.u.open.nodes), "%s", node != NULL ? node : "");
	memcpy(o->id, rec.id, sizeof(o->id));
	snprintf(o->chain, sizeof(o->chain), "%s", chain);
	o->kind = kind;
	snprintf(o->node, sizeof(o->node), "%s", node != NULL ? node : "");
	log_info(MOD, "incident %s opened: %s chain=%s%s%s: %s", rec.id, inc_kinds[kind], chain,
	         node != NULL ? " node=" : "", node != NULL ? node : "", summary);
	put(r, &rec);
	if (r->hooks.incident != NULL)
		r->hooks.incident(r->hooks.ctx, rec.id, true, chain, inc_kinds[kind], summary,
		                  at_ms);
}

static void close_by_id(struct recorder *r, const char *id, const char *summary, int64_t at_ms)
{
	struct db_record rec;

	record_init(r, &rec, REC_INCIDENT_CLOSE, at_ms);
	snprintf(rec.id, sizeof(rec.id), "%s", id);
	snprintf(rec.u.close.summary, sizeof(rec.u.close.summary), "%s", summary);
	log_info(MOD, "incident %s closed", id);
	put(r, &rec);
	if (r->hooks.incident != NULL)
		r->hooks.incident(r->hooks.ctx, id, false, "", "", "", at_ms);
}

static void incident_close(struct recorder *r, const char *chain, enum inc_kind kind,
                           const char *node, int64_t at_ms)
{
	struct open_incident *o = find_open(r, chain, kind, node);

	if (o == NULL)
		return;
	close_by_id(r, o->id, "", at_ms);
	remove_open(r, o);
}

/* ---- probes of the other regions' edges ---- */

static struct probe_seen *probe_slot(struct recorder *r, const char *url)
{
	for (unsigned i = 0; i < r->n_probes; i++)
		if (strcmp(r->probes[i].url, url) == 0)
			return &r->probes[i];
	if (r->n_probes == PROBES_MAX)
		return NULL;
	memset(&r->probes[r->n_probes], 0, sizeof(r->probes[0]));
	snprintf(r->probes[r->n_probes].url, sizeof(r->probes[0].url), "%s", url);
	return &r->probes[r->n_probes++];
}

/* A probed URL as the incident's nodes hold it: string_to_array splits on ','. */
static void probe_key(const char *url, char *key, size_t keylen)
{
	snprintf(key, keylen, "%s", url);
	for (char *c = key; *c != '\0'; c++)
		if (*c == ',')
			*c = ';';
}

/*
 * The probed region's incident, in that region's name: what a user there
 * saw, from the first failed probe. The summary's "seen from <region>: "
 * is how this region's next lock holder finds it again (writer.c).
 */
static void unreachable_open(struct recorder *r, const struct probe_seen *p)
{
	struct open_incident *o;
	struct db_record rec;
	char key[URL_MAX + 1];

	probe_key(p->url, key, sizeof(key));
	if (find_open(r, p->chain, INC_UNREACHABLE, key) != NULL)
		return;
	o = add_open(r);
	if (o == NULL) {
		log_err(MOD, "out of memory: region %s unreachable not recorded", p->region);
		return;
	}
	record_init(r, &rec, REC_INCIDENT_OPEN, p->since_ms);
	snprintf(rec.region, sizeof(rec.region), "%s", p->region);
	snprintf(rec.u.open.chain, sizeof(rec.u.open.chain), "%s", p->chain);
	snprintf(rec.u.open.kind, sizeof(rec.u.open.kind), "%s", inc_kinds[INC_UNREACHABLE]);
	snprintf(rec.u.open.severity, sizeof(rec.u.open.severity), "%s",
	         inc_severities[INC_UNREACHABLE]);
	snprintf(rec.u.open.summary, sizeof(rec.u.open.summary), "seen from %s: %.200s (%.255s)",
	         r->region, p->why, p->url);
	snprintf(rec.u.open.nodes, sizeof(rec.u.open.nodes), "%s", key);
	memcpy(o->id, rec.id, sizeof(o->id));
	snprintf(o->chain, sizeof(o->chain), "%s", p->chain);
	o->kind = INC_UNREACHABLE;
	snprintf(o->url, sizeof(o->url), "%s", key);
	log_info(MOD, "incident %s opened: region_unreachable region=%s chain=%s: %s", rec.id,
	         p->region, p->chain[0] ? p->chain : "-", rec.u.open.summary);
	put(r, &rec);
}

static void unreachable_close(struct recorder *r, const struct probe_seen *p, int64_t at_ms)
{
	char key[URL_MAX + 1];
	struct open_incident *o;

	probe_key(p->url, key, sizeof(key));
	o = find_open(r, p->chain, INC_UNREACHABLE, key);
	if (o == NULL)
		return;
	close_by_id(r, o->id, "", at_ms);
	remove_open(r, o);
}

void recorder_probe_changed(struct recorder *r, const char *region, const char *chain,
                            const char *url, bool reachable, const char *why, int64_t since_ms)
{
	struct probe_seen *p;

	if (r == NULL)
		return;
	p = probe_slot(r, url);
	if (p == NULL)
		return;
	snprintf(p->region, sizeof(p->region), "%s", region);
	snprintf(p->chain, sizeof(p->chain), "%s", chain);
	snprintf(p->why, sizeof(p->why), "%s", why);
	p->reachable = reachable;
	p->since_ms = since_ms;
	if (!r->recording)
		return;
	if (reachable)
		unreachable_close(r, p, since_ms);
	else
		unreachable_open(r, p);
}

/* ---- chains ---- */

static struct chain_seen *chain_slot(struct recorder *r, const char *name)
{
	for (size_t i = 0; i < r->n_chains; i++)
		if (strcmp(r->chains[i].name, name) == 0)
			return &r->chains[i];
	if (r->n_chains == r->cap_chains) {
		size_t cap = r->cap_chains ? r->cap_chains * 2 : 8;
		struct chain_seen *p = realloc(r->chains, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		r->chains = p;
		r->cap_chains = cap;
	}
	memset(&r->chains[r->n_chains], 0, sizeof(r->chains[0]));
	snprintf(r->chains[r->n_chains].name, sizeof(r->chains[0].name), "%s", name);
	return &r->chains[r->n_chains++];
}

static void chain_counts(const struct rec_chain_view *v, struct obs_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->total = v->n;
	c->min_ready = v->min_ready;
	c->stalled = v->stalled;
	c->has_ref = v->has_ref;
	c->ref_best = v->ref_best;
	for (unsigned i = 0; i < v->n; i++) {
		c->in_rotation += v->nodes[i].ready;
		c->healthy += v->nodes[i].healthy;
		c->kept_in += v->nodes[i].kept_in;
		c->reachable += v->nodes[i].reachable;
	}
}

/* The chain-wide incidents <st> calls for: stall, down (not a stall), degraded. */
static void chain_incidents(struct recorder *r, const struct rec_chain_view *v, enum obs_state st,
                            const char *why, int64_t now_ms)
{
	bool want[INC_KIND_COUNT] = {false};

	want[INC_STALL] = v->stalled;
	want[INC_DOWN] = st == OBS_DOWN && !v->stalled;
	want[INC_DEGRADED] = st == OBS_DEGRADED;
	for (int k = INC_DEGRADED; k <= INC_STALL; k++) {
		if (want[k])
			incident_open(r, v->name, (enum inc_kind)k, NULL, why, now_ms);
		else
			incident_close(r, v->name, (enum inc_kind)k, NULL, now_ms);
	}
}

static void put_chain_change(struct recorder *r, const struct rec_chain_view *v,
                             const struct obs_counts *c, enum obs_state from, enum obs_state to,
                             const char *why, int64_t now_ms)
{
	struct db_record rec;

	record_init(r, &rec, REC_CHAIN_CHANGE, now_ms);
	snprintf(rec.u.chain.session, sizeof(rec.u.chain.session), "%s", r->session);
	snprintf(rec.u.chain.chain, sizeof(rec.u.chain.chain), "%s", v->name);
	snprintf(rec.u.chain.from, sizeof(rec.u.chain.from), "%s", obs_state_name(from));
	snprintf(rec.u.chain.to, sizeof(rec.u.chain.to), "%s", obs_state_name(to));
	snprintf(rec.u.chain.reason, sizeof(rec.u.chain.reason), "%s", why);
	rec.u.chain.total = c->total;
	rec.u.chain.healthy = c->healthy;
	rec.u.chain.in_rotation = c->in_rotation;
	log_info(MOD, "chain=%s %s -> %s: %s", v->name, obs_state_name(from), obs_state_name(to),
	         why);
	put(r, &rec);
}

static void put_beat(struct recorder *r, int64_t now_ms)
{
	struct db_record rec;

	record_init(r, &rec, REC_SESSION_BEAT, now_ms);
	snprintf(rec.id, sizeof(rec.id), "%s", r->session);
	snprintf(rec.u.beat.controller, sizeof(rec.u.beat.controller), "%s", r->controller);
	rec.u.beat.started_ms = r->session_start_ms;
	r->last_beat_ms = now_ms;
	put(r, &rec);
}

static void put_samples(struct recorder *r, const struct rec_chain_view *chains, unsigned n,
                        int64_t now_ms)
{
	int64_t minute = now_ms / 60000 * 60000;

	if (minute == r->last_sample_minute)
		return;
	r->last_sample_minute = minute;
	for (unsigned i = 0; i < n; i++) {
		struct obs_counts c;
		struct db_record rec;

		chain_counts(&chains[i], &c);
		record_init(r, &rec, REC_SAMPLE, minute);
		snprintf(rec.u.sample.chain, sizeof(rec.u.sample.chain), "%s", chains[i].name);
		rec.u.sample.total = c.total;
		rec.u.sample.healthy = c.healthy;
		rec.u.sample.in_rotation = c.in_rotation;
		rec.u.sample.has_ref_height = c.has_ref;
		rec.u.sample.ref_height = c.ref_best;
		put(r, &rec);
	}
}

/* ---- the session ---- */

static bool node_is_out(const struct rec_node_view *nv)
{
	return !nv->ready && !nv->admin;
}

/* The incidents the database had open when the lock was taken become ours (same ids). */
static void adopt_open(struct recorder *r)
{
	for (size_t i = 0; i < r->n_adopt; i++) {
		const struct dbw_open_incident *a = &r->adopt[i];
		struct open_incident *o;
		int k;

		for (k = 0; k < INC_KIND_COUNT && strcmp(inc_kinds[k], a->kind) != 0; k++)
			;
		if (k == INC_KIND_COUNT)
			continue; /* not a kind this controller opens */
		o = add_open(r);
		if (o == NULL)
			break;
		memcpy(o->id, a->id, sizeof(o->id));
		snprintf(o->chain, sizeof(o->chain), "%s", a->chain);
		o->kind = (enum inc_kind)k;
		snprintf(o->node, sizeof(o->node), "%.*s", REC_NAME_MAX,
		         k == INC_NODE_OUT ? a->nodes : "");
		snprintf(o->url, sizeof(o->url), "%.*s", URL_MAX,
		         k == INC_UNREACHABLE ? a->nodes : "");
		o->wanted = false;
	}
	free(r->adopt);
	r->adopt = NULL;
	r->n_adopt = 0;
}

/* One chain at the session's start: its state from "nodata", its incidents as seen now. */
static void session_chain(struct recorder *r, const struct rec_chain_view *v, int64_t now_ms)
{
	struct chain_seen *cs = chain_slot(r, v->name);
	struct obs_counts c;
	char why[REC_TEXT_MAX + 1];
	enum obs_state st;

	chain_counts(v, &c);
	st = obs_chain_state(&c, why, sizeof(why));
	if (cs != NULL)
		cs->state = st;
	put_chain_change(r, v, &c, OBS_NODATA, st, why, now_ms);
	chain_incidents(r, v, st, why, now_ms);
	/* chain_incidents() closed those that no longer apply. */
	for (int k = INC_DEGRADED; k <= INC_STALL; k++) {
		struct open_incident *o = find_open(r, v->name, (enum inc_kind)k, NULL);

		if (o != NULL)
			o->wanted = true;
	}
	for (unsigned j = 0; j < v->n; j++) {
		struct open_incident *o;

		if (!node_is_out(&v->nodes[j]))
			continue;
		incident_open(r, v->name, INC_NODE_OUT, v->nodes[j].name,
		              "out of rotation when this controller took over", now_ms);
		o = find_open(r, v->name, INC_NODE_OUT, v->nodes[j].name);
		if (o != NULL)
			o->wanted = true;
	}
}

/*
 * The first round after taking the lock: every chain's state from "nodata",
 * and the incidents made to match what is seen now: an open one of the
 * database that still applies is adopted (same id), the others are closed
 * now, and what is missing is opened now.
 */
static void session_start(struct recorder *r, const struct rec_chain_view *chains, unsigned n,
                          int64_t now_ms)
{
	unsigned char raw[8];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		memset(raw, 0, sizeof(raw)); /* the sequence still makes it unique per process */
	snprintf(r->session, sizeof(r->session), "%s-s%02x%02x%02x%02x", r->instance, raw[0],
	         raw[1], raw[2], raw[3]);
	r->session_start_ms = now_ms;
	r->recording = true;
	r->start_pending = false;
	r->last_sample_minute = -1;
	r->n_open = 0;
	r->n_chains = 0;
	log_info(MOD, "recording for region %s: session %s (%zu incidents open in the database)",
	         r->region, r->session, r->n_adopt);
	put_beat(r, now_ms);
	adopt_open(r); /* first, so the opens below find them */
	for (unsigned i = 0; i < n; i++)
		session_chain(r, &chains[i], now_ms);
	for (unsigned i = 0; i < r->n_probes; i++) {
		struct open_incident *o;
		char key[URL_MAX + 1];

		if (r->probes[i].reachable)
			continue;
		unreachable_open(r, &r->probes[i]);
		probe_key(r->probes[i].url, key, sizeof(key));
		o = find_open(r, r->probes[i].chain, INC_UNREACHABLE, key);
		if (o != NULL)
			o->wanted = true;
	}
	/* Adopted ones that no longer apply end now. */
	for (size_t i = 0; i < r->n_open;) {
		if (r->open[i].wanted) {
			i++;
			continue;
		}
		close_by_id(r, r->open[i].id, "", now_ms);
		remove_open(r, &r->open[i]);
	}
	put_samples(r, chains, n, now_ms);
}

static void session_stop(struct recorder *r)
{
	r->recording = false;
	r->start_pending = false;
	r->n_open = 0;
	r->n_chains = 0;
}

static void on_role(void *ctx, bool holder, const struct dbw_open_incident *open, size_t n)
{
	struct recorder *r = ctx;

	r->holder = holder;
	if (!holder) {
		log_warn(MOD, "region %s: another controller holds the lock now; not recording",
		         r->region);
		session_stop(r);
		return;
	}
	free(r->adopt);
	r->adopt = NULL;
	r->n_adopt = 0;
	if (n > 0) {
		r->adopt = malloc(n * sizeof(*open));
		if (r->adopt == NULL) {
			log_err(MOD, "out of memory: the open incidents are not adopted");
		} else {
			memcpy(r->adopt, open, n * sizeof(*open));
			r->n_adopt = n;
		}
	}
	if (r->recording)
		return; /* the same holder, back after an outage: its session goes on */
	r->start_pending = true;
	log_info(MOD, "region %s: took the lock; recording from the next round", r->region);
}

/* ---- the controller's events ---- */

void recorder_node_changed(struct recorder *r, const struct ctl_node_event *ev, bool admin_drain)
{
	struct db_record rec;
	bool out;

	if (r == NULL || !r->recording)
		return;
	record_init(r, &rec, REC_NODE_CHANGE, ev->at_ms);
	snprintf(rec.u.node.chain, sizeof(rec.u.node.chain), "%s", ev->chain);
	snprintf(rec.u.node.node, sizeof(rec.u.node.node), "%s", ev->node);
	snprintf(rec.u.node.from, sizeof(rec.u.node.from), "%s",
	         ev->added ? "new" : node_state_name(ev->from));
	snprintf(rec.u.node.to, sizeof(rec.u.node.to), "%s",
	         ev->removed ? "removed" : node_state_name(ev->to));
	snprintf(rec.u.node.reason, sizeof(rec.u.node.reason), "%s",
	         ev->removed ? "removed from the config" : ev->reason);
	rec.u.node.has_best = ev->has_best;
	rec.u.node.best = ev->best;
	rec.u.node.has_finalized = ev->has_finalized;
	rec.u.node.finalized = ev->finalized;
	rec.u.node.has_lag = ev->has_best;
	rec.u.node.lag = ev->lag_blocks;
	rec.u.node.has_peers = ev->has_best;
	rec.u.node.peers = ev->peers;
	put(r, &rec);
	out = !ev->removed && ev->to == NODE_DRAIN && !admin_drain;
	if (out)
		incident_open(r, ev->chain, INC_NODE_OUT, ev->node, ev->reason, ev->at_ms);
	else
		incident_close(r, ev->chain, INC_NODE_OUT, ev->node, ev->at_ms);
}

void recorder_round(struct recorder *r, const struct rec_chain_view *chains, unsigned n,
                    int64_t now_ms)
{
	if (r == NULL)
		return;
	if (r->start_pending && r->holder) {
		session_start(r, chains, n, now_ms);
		return;
	}
	if (!r->recording)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct rec_chain_view *v = &chains[i];
		struct chain_seen *cs = chain_slot(r, v->name);
		enum obs_state before = cs != NULL ? cs->state : OBS_NODATA, st;
		struct obs_counts c;
		char why[REC_TEXT_MAX + 1];

		chain_counts(v, &c);
		st = obs_chain_state(&c, why, sizeof(why));
		if (st != before) {
			put_chain_change(r, v, &c, before, st, why, now_ms);
			if (cs != NULL)
				cs->state = st;
		}
		chain_incidents(r, v, st, why, now_ms);
		if (r->hooks.chain != NULL)
			r->hooks.chain(r->hooks.ctx, v->name, obs_state_name(st), now_ms);
	}
	put_samples(r, chains, n, now_ms);
	if (now_ms - r->last_beat_ms >= RECORDER_BEAT_MS)
		put_beat(r, now_ms);
	if (r->retention_days > 0 &&
	    (r->last_prune_ms == 0 || now_ms - r->last_prune_ms >= RECORDER_PRUNE_MS)) {
		r->last_prune_ms = now_ms;
		dbw_prune_usage(r->w, now_ms - (int64_t)r->retention_days * 86400000,
		                RECORDER_PRUNE_BATCH);
	}
}

void recorder_set_retention(struct recorder *r, unsigned days)
{
	if (r != NULL)
		r->retention_days = days;
}

void recorder_op(struct recorder *r, const char *kind, const char *who, const char *reason,
                 const char *summary, int64_t at_ms)
{
	struct db_record rec;

	if (r == NULL)
		return;
	record_init(r, &rec, REC_OP_CHANGE, at_ms);
	snprintf(rec.u.op.kind, sizeof(rec.u.op.kind), "%s", kind);
	snprintf(rec.u.op.who, sizeof(rec.u.op.who), "%s", who);
	snprintf(rec.u.op.reason, sizeof(rec.u.op.reason), "%s", reason);
	snprintf(rec.u.op.summary, sizeof(rec.u.op.summary), "%s", summary);
	put(r, &rec);
}

/* ---- usage rows ---- */

/* hist.h's buckets as rpc_minutes keeps them: the non-empty ones, the overflow as INT32_MAX. */
static void usage_hist(const struct hist *h, struct rec_hist *out)
{
	_Static_assert(HIST_BUCKETS == REC_HIST_MAX, "a record holds every bucket");
	out->n = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint32_t end = hist_bucket_end(i);

		if (h->b[i] == 0)
			continue;
		out->le_ms[out->n] = end > INT32_MAX ? INT32_MAX : end;
		out->count[out->n++] = h->b[i];
	}
}

size_t recorder_usage(struct recorder *r, int64_t minute_ms, const struct rowtab *rows)
{
	struct db_record rec;
	size_t n = 0;

	if (r == NULL)
		return 0;
	for (size_t i = 0; i < rows->n; i++) {
		const struct rowtab_row *row = rows->rows[i];
		struct rec_usage *u = &rec.u.usage;

		record_init(r, &rec, REC_USAGE, minute_ms);
		snprintf(u->controller, sizeof(u->controller), "%s", r->controller);
		if (!row->overflow) {
			snprintf(u->chain, sizeof(u->chain), "%s", row->chain);
			snprintf(u->method, sizeof(u->method), "%s", row->method);
			snprintf(u->cls, sizeof(u->cls), "%s", logline_class_name(row->cls));
			snprintf(u->status, sizeof(u->status), "%s", statsprom_status(row->status));
		}
		u->requests = row->requests;
		u->errors = row->errors;
		u->calls = row->calls;
		u->bytes = row->bytes;
		u->node_ms = row->node_ms;
		u->ta_count = row->ta.count;
		u->ta_sum_ms = row->ta.sum_ms;
		usage_hist(&row->ta, &u->ta);
		put(r, &rec);
		n++;
	}
	return n;
}

/* ---- lifecycle ---- */

struct recorder *recorder_open(struct ev_loop *loop, const struct recorder_cfg *cfg, char *err,
                               size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	unsigned char raw[16];
	struct dbw_cfg wc = {
	    .conninfo = cfg->conninfo,
	    .password_file = cfg->password_file,
	    .spool_dir = cfg->spool_dir,
	    .region = cfg->region,
	    .on_role = on_role,
	};

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		snprintf(err, errlen, "getrandom: no randomness for record ids");
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(r->instance + 2 * i, 3, "%02x", raw[i]);
	snprintf(r->region, sizeof(r->region), "%s", cfg->region);
	snprintf(r->controller, sizeof(r->controller), "%s", cfg->controller);
	r->last_sample_minute = -1;
	r->retention_days = cfg->usage_retention_days;
	wc.ctx = r;
	r->w = dbw_open(loop, &wc, err, errlen);
	if (r->w == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void recorder_set_hooks(struct recorder *r, const struct recorder_hooks *h)
{
	if (r == NULL)
		return;
	if (h != NULL)
		r->hooks = *h;
	else
		memset(&r->hooks, 0, sizeof(r->hooks));
}

void recorder_get_stats(const struct recorder *r, struct recorder_stats *out)
{
	struct dbw_stats ws;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return;
	dbw_get_stats(r->w, &ws);
	out->holder = ws.holder;
	out->recording = r->recording;
	out->connected = ws.connected;
	out->put = r->put;
	out->written = ws.written;
	out->lost = ws.lost;
	out->rejected = ws.rejected;
	out->outages = ws.outages;
	out->pending = ws.pending;
	out->spool_bytes = ws.spool_bytes;
	out->open_incidents = (unsigned)r->n_open;
}

bool recorder_quiesce(struct recorder *r, int64_t now_ms)
{
	if (r == NULL)
		return false;
	if (r->recording)
		put_beat(r, now_ms);
	session_stop(r);
	r->holder = false; /* a role callback during the last moments starts nothing */
	return !recorder_drained(r);
}

bool recorder_drained(const struct recorder *r)
{
	struct dbw_stats ws;

	if (r == NULL)
		return true;
	dbw_get_stats(r->w, &ws);
	return ws.pending == 0 || !ws.connected;
}

void recorder_close(struct recorder *r, int64_t now_ms)
{
	if (r == NULL)
		return;
	(void)recorder_quiesce(r, now_ms);
	dbw_close(r->w);
	free(r->adopt);
	free(r->open);
	free(r->chains);
	free(r);
}
