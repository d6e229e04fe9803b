/* SPDX-License-Identifier: MIT */
/*
 * ctl_view_build(): one allocation per kind of row (chains, nodes, servers,
 * instances), the server names copied because an instance's view is a value.
 */
#include "ctl/view.h"

#include <string.h>

#include "common/clock.h"
#include "ctl/ctl.h"
#include "ctl/db/observe.h"
#include "ctl/db/status_reader.h"
#include "ctl/hapi/reconcile.h"
#include "ctl/probe/prober.h"
#include "ctl/recorder.h"
#include "ctl/state.h"
#include "ctl/stats/ingest.h"

struct view_mem {
	char (*by)[STATE_BY_MAX + STATE_PEER_MAX + 8]; /* "user@host from peer" per node */
	struct status_chain *chains;
	struct status_node *nodes;
	struct status_server *servers;
	char (*names)[HAPI_NAME_MAX];
	struct status_haproxy *haproxy;
	struct status_probe *probes;
	char (*why)[96]; /* each chain's health_why */
};

/* What instance <r> shows for node <nd>, and whether that is what was decided. */
static void view_server(const struct recon *r, const struct ctl_node *nd, struct status_server *s,
                        char *name)
{
	struct recon_view v;
	bool decided_ready = nd->track.state == NODE_READY;

	s->server = name;
	name[0] = '\0';
	if (!recon_view_node(r, nd->name, &v)) {
		s->state = "unknown";
		return;
	}
	s->known = true;
	s->present = v.seated && v.present;
	if (!s->present) {
		s->state = "absent";
		s->differs = true;
		return;
	}
	snprintf(name, HAPI_NAME_MAX, "%s", v.server);
	s->up = v.op_state == HAPI_OP_RUNNING;
	s->hand_maint = v.hand_maint;
	switch (hapi_admin_to_state(v.admin_state)) {
	case HAPI_WANT_READY:
		s->state = "ready";
		s->differs = !decided_ready;
		break;
	case HAPI_WANT_DRAIN:
		s->state = "drain";
		s->differs = decided_ready;
		break;
	case HAPI_WANT_MAINT:
		s->state = "maint";
		s->differs = true;
		break;
	}
}

static void view_node(const struct ctl *c, const struct ctl_node *nd, struct status_node *o,
                      struct status_server *servers, char (*names)[HAPI_NAME_MAX], char *by,
                      size_t bylen)
{
	const struct state_entry *e = state_find(c->state, nd->name);

	if (e != NULL) {
		snprintf(by, bylen, "%s from %s", e->by[0] ? e->by : "?",
		         e->peer[0] ? e->peer : "?");
		o->admin_by = by;
		o->admin_at_ms = e->at_ms;
	}
	o->name = nd->name;
	o->state = node_state_name(nd->track.state);
	o->why = nd->track.why;
	o->reachable = nd->track.reachable;
	o->admin_drain = nd->track.admin_drain;
	o->kept_in = nd->track.kept_in;
	o->foreign = nd->track.foreign;
	o->implausible = nd->track.implausible;
	o->stuck = nd->track.stuck;
	o->has_best = nd->poll.has_best;
	o->best = nd->poll.best;
	o->has_finalized = nd->poll.has_finalized;
	o->finalized = nd->poll.finalized;
	o->has_health = nd->poll.has_health;
	o->peers = nd->poll.peers;
	o->syncing = nd->poll.syncing;
	o->lag_blocks = nd->track.lag_blocks;
	o->lag_seconds = nd->track.lag_seconds;
	o->poll_ms = nd->poll.latency_ms;
	o->poll = node_poll_err_name(nd->poll.err);
	o->since_ms = nd->track.since_ms;
	o->polls = nd->polls;
	memcpy(o->poll_failures, nd->poll_failures, sizeof(o->poll_failures));
	memcpy(o->lat_hist, nd->lat_hist, sizeof(o->lat_hist));
	o->lat_sum_ms = nd->lat_sum_ms;
	o->lat_count = nd->lat_count;
	o->servers = servers;
	for (unsigned h = 0; h < c->n_haproxy; h++)
		view_server(c->haproxy[h], nd, &servers[h], names[h]);
}

static void view_haproxy(const struct recon *r, struct status_haproxy *o)
{
	const struct recon_stats *st = recon_stats(r);

	_Static_assert(STATUS_ACT_KINDS == PLAN_ACT_COUNT, "a metric label per command kind");
	_Static_assert(STATUS_ERR_KINDS == RECON_ERR_COUNT, "a metric label per error kind");
	o->name = recon_name(r);
	o->up = st->up;
	o->has_info = st->has_info;
	o->standby = st->standby;
	o->pid = st->pid;
	o->uptime_sec = st->uptime_sec;
	o->version = st->version;
	o->last_error = st->last_error;
	o->holder = st->holder;
	o->restarts = st->restarts;
	o->state_file_writes = st->state_file_writes;
	o->state_file_errors = st->state_file_errors;
	o->last_ok_ms = st->last_ok_ms;
	o->problems = st->problems;
	memcpy(o->actions, st->actions, sizeof(o->actions));
	memcpy(o->errors, st->errors, sizeof(o->errors));
}

/* The prober's URLs, in config order. */
static void view_probes(const struct ctl *c, struct status_probe *out)
{
	for (unsigned i = 0; i < prober_count(c->prober); i++) {
		struct prober_view pv;

		prober_view(c->prober, i, &pv);
		out[i] = (struct status_probe){
		    .region = pv.region,
		    .chain = pv.chain,
		    .url = pv.url,
		    .state = probe_state_name(pv.state),
		    .why = pv.why,
		    .last = pv.last_why,
		    .since_ms = pv.since_ms,
		    .probes = pv.probes,
		    .failures = pv.failures,
		    .last_ms = pv.last_ms,
		};
	}
}

/* What a user of <chain> gets, judged as the recorder judges it (chains_observed in ctl.c). */
static void view_health(const struct ctl *c, const struct ctl_chain *chain, struct status_chain *sc,
                        char *why, size_t whylen)
{
	struct obs_counts oc = {.total = chain->n_nodes,
	                        .min_ready = c->limits.min_ready,
	                        .stalled = chain->track.stalled,
	                        .has_ref = chain->track.has_ref,
	                        .ref_best = chain->track.ref_best};

	for (unsigned i = 0; i < chain->n_nodes; i++) {
		const struct node_track *t = &chain->nodes[i]->track;
		bool ready = t->state == NODE_READY;

		oc.in_rotation += ready;
		oc.healthy += ready && t->deserves && !t->kept_in;
		oc.kept_in += ready && t->kept_in;
		oc.reachable += t->reachable;
	}
	sc->in_rotation = oc.in_rotation;
	if (c->decided == 0) {
		sc->health_why = "no round decided yet";
		return; /* health NULL: no data yet */
	}
	sc->health = obs_state_name(obs_chain_state(&oc, why, whylen));
	sc->health_why = why;
}

/* The recorder's state; nothing when the config has no database (no recorder). */
static void view_db(const struct ctl *c, struct status_view *out)
{
	struct recorder_stats rs;

	if (c->rec == NULL)
		return;
	recorder_get_stats(c->rec, &rs);
	out->has_db = true;
	out->db = (struct status_db){
	    .connected = rs.connected,
	    .holder = rs.holder,
	    .recording = rs.recording,
	    .put = rs.put,
	    .written = rs.written,
	    .lost = rs.lost,
	    .rejected = rs.rejected,
	    .outages = rs.outages,
	    .pending = rs.pending,
	    .spool_bytes = rs.spool_bytes,
	    .open_incidents = rs.open_incidents,
	};
}

int ctl_view_build(struct ctl *c, struct status_view *out)
{
	struct view_mem *m = calloc(1, sizeof(*m));
	size_t n_nodes = c->cfg.n_nodes + 1, n_srv = n_nodes * (c->n_haproxy + 1);
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	if (m == NULL)
		return -1;
	m->chains = calloc(c->n_chains + 1, sizeof(*m->chains));
	m->nodes = calloc(n_nodes, sizeof(*m->nodes));
	m->servers = calloc(n_srv, sizeof(*m->servers));
	m->names = calloc(n_srv, sizeof(*m->names));
	m->haproxy = calloc(c->n_haproxy + 1, sizeof(*m->haproxy));
	m->by = calloc(n_nodes, sizeof(*m->by));
	m->probes = calloc(prober_count(c->prober) + 1, sizeof(*m->probes));
	m->why = calloc(c->n_chains + 1, sizeof(*m->why));
	out->priv = m;
	if (m->chains == NULL || m->nodes == NULL || m->servers == NULL || m->names == NULL ||
	    m->haproxy == NULL || m->by == NULL || m->probes == NULL || m->why == NULL) {
		ctl_view_release(out);
		return -1;
	}
	out->region = c->cfg.region;
	out->now_ms = pf_wall_ms();
	out->rounds = c->rounds;
	out->decided = c->decided;
	out->reloads = c->reloads;
	out->reload_failures = c->reload_failures;
	out->last_round_ms = c->last_round_ms;
	out->state_file_errors = c->state != NULL ? state_write_errors(c->state) : 0;
	out->chains = m->chains;
	out->n_chains = c->n_chains;
	out->haproxy = m->haproxy;
	out->n_haproxy = c->n_haproxy;
	for (unsigned h = 0; h < c->n_haproxy; h++)
		view_haproxy(c->haproxy[h], &m->haproxy[h]);
	out->probes = m->probes;
	out->n_probes = prober_count(c->prober);
	view_probes(c, m->probes);
	view_db(c, out);
	if (c->reader != NULL)
		out->history = status_reader_history(c->reader);
	out->more_metrics = ingest_metrics;
	out->more_metrics_ctx = c->ingest;
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		const struct ctl_chain *chain = &c->chains[ch];
		struct status_chain *sc = &m->chains[ch];

		sc->name = chain->name;
		sc->backend = chain->backend;
		sc->ref_best = chain->track.ref_best;
		sc->ref_finalized = chain->track.ref_finalized;
		sc->stalled = chain->track.stalled;
		sc->genesis = chain->track.has_genesis ? chain->track.genesis : "";
		sc->genesis_conflict = chain->track.genesis_conflict;
		sc->has_ceiling = chain->track.has_ceiling;
		sc->ceiling = chain->track.ceiling;
		view_health(c, chain, sc, m->why[ch], sizeof(m->why[ch]));
		sc->nodes = &m->nodes[k];
		sc->n_nodes = chain->n_nodes;
		for (unsigned i = 0; i < chain->n_nodes; i++, k++)
			view_node(c, chain->nodes[i], &m->nodes[k], &m->servers[k * c->n_haproxy],
			          &m->names[k * c->n_haproxy], m->by[k], sizeof(m->by[k]));
	}
	return 0;
}

void ctl_view_release(struct status_view *v)
{
	struct view_mem *m = v->priv;

	if (m == NULL)
		return;
	free(m->chains);
	free(m->nodes);
	free(m->servers);
	free(m->names);
	free(m->haproxy);
	free(m->by);
	free(m->probes);
	free(m->why);
	free(m);
	v->priv = NULL;
}
