/* SPDX-License-Identifier: MIT */
/*
 * The controller's rounds (see ctl.h). A round: the tick starts one poll per
 * node (a batch, or single calls for nodes that refuse batches, then the
 * finalized header when the finalized hash moved); when the last poll ends,
 * node_decide() runs per chain and each HAProxy instance is reconciled
 * (reconcile.c). Nothing here blocks; all I/O is on the loop.
 */
#include "ctl/ctl.h"

#include <string.h>

#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "common/text.h"
#include "ctl/hapi/hapi.h"
#include "ctl/hapi/reconcile.h"
#include "ctl/poll/poller.h"
#include "ctl/state.h"
#include "ctl/web/admin.h"
#include "ctl/web/http.h"
#include "ctl/web/status.h"

#define MOD "ctl"

const double ctl_lat_bounds_ms[CTL_LAT_BUCKETS] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};

/* ---- runtime objects from the config ---- */

static void node_limits_from_cfg(struct node_limits *lim, const struct ctl_cfg *cfg)
{
	node_limits_default(lim);
	lim->max_lag = cfg->max_lag;
	lim->max_lag_seconds = cfg->max_lag_seconds;
	lim->max_finalized_lag = cfg->max_finalized_lag;
	lim->min_peers = cfg->min_peers;
	lim->rise = cfg->rise;
	lim->fall = cfg->fall;
	lim->min_drain_ms = cfg->min_drain_ms;
	lim->min_ready = cfg->min_ready;
	lim->stall_ms = cfg->stall_ms;
}

static struct ctl_node *take_node(struct ctl_chain *old, unsigned n_old, const char *name)
{
	for (unsigned c = 0; c < n_old; c++) {
		for (unsigned i = 0; i < old[c].n_nodes; i++) {
			struct ctl_node *nd = old[c].nodes[i];

			if (nd != NULL && strcmp(nd->name, name) == 0) {
				old[c].nodes[i] = NULL;
				return nd;
			}
		}
	}
	return NULL;
}

static void free_chains(struct ctl_chain *chains, unsigned n)
{
	for (unsigned c = 0; c < n; c++) {
		for (unsigned i = 0; i < chains[c].n_nodes; i++)
			free(chains[c].nodes[i]);
		free(chains[c].nodes);
	}
	free(chains);
}

/*
 * Builds chains and nodes for <cfg>, moving over the state of nodes that
 * keep their name from <old> (what was polled and decided survives a
 * reload). Slots of template nodes that disappear are queued for MAINT.
 */
static struct ctl_chain *build_chains(const struct ctl_cfg *cfg, struct ctl_chain *old,
                                      unsigned n_old)
{
	struct ctl_chain *chains = calloc(cfg->n_chains ? cfg->n_chains : 1, sizeof(*chains));

	if (chains == NULL)
		return NULL;
	for (unsigned c = 0; c < cfg->n_chains; c++) {
		const struct ctl_chain_cfg *cc = &cfg->chains[c];
		struct ctl_chain *ch = &chains[c];

		snprintf(ch->name, sizeof(ch->name), "%s", cc->name);
		snprintf(ch->backend, sizeof(ch->backend), "%s", cc->backend);
		ch->n_heavy = cc->n_heavy;
		for (unsigned h = 0; h < cc->n_heavy; h++)
			snprintf(ch->heavy[h], sizeof(ch->heavy[h]), "%s", cc->heavy_backends[h]);
		node_chain_init(&ch->track);
		for (unsigned o = 0; o < n_old; o++) {
			if (strcmp(old[o].name, ch->name) == 0) {
				ch->track = old[o].track;
				memcpy(ch->released, old[o].released, sizeof(ch->released));
				ch->n_released = old[o].n_released;
			}
		}
		ch->nodes = calloc(cc->n_nodes ? cc->n_nodes : 1, sizeof(*ch->nodes));
		if (ch->nodes == NULL)
			goto fail;
		for (unsigned i = 0; i < cc->n_nodes; i++) {
			struct ctl_node *nd = take_node(old, n_old, cc->nodes[i].name);

			if (nd == NULL) {
				nd = calloc(1, sizeof(*nd));
				if (nd == NULL)
					goto fail;
				snprintf(nd->name, sizeof(nd->name), "%s", cc->nodes[i].name);
				noderpc_poll_reset(&nd->poll);
			} else if (strcmp(nd->cfg.server, cc->nodes[i].server) != 0 ||
			           strcmp(nd->cfg.addr, cc->nodes[i].addr) != 0 ||
			           nd->cfg.port != cc->nodes[i].port) {
				nd->server[0] = '\0'; /* server or address changed: pick again */
			}
			nd->cfg = cc->nodes[i];
			nd->chain = ch;
			nd->single_mode = !nd->cfg.batch;
			if (!ctl_node_cfg_is_template(&nd->cfg))
				snprintf(nd->server, sizeof(nd->server), "%s", nd->cfg.server);
			ch->nodes[ch->n_nodes++] = nd;
		}
	}
	/* Nodes left in <old> are gone: give their template slots back. */
	for (unsigned o = 0; o < n_old; o++) {
		for (unsigned i = 0; i < old[o].n_nodes; i++) {
			struct ctl_node *nd = old[o].nodes[i];

			if (nd == NULL)
				continue;
			log_info(MOD, "node=%s removed from the config", nd->name);
			if (ctl_node_cfg_is_template(&nd->cfg) && nd->server[0] != '\0') {
				for (unsigned c = 0; c < cfg->n_chains; c++) {
					struct ctl_chain *ch = &chains[c];

					if (strcmp(ch->name, old[o].name) == 0 &&
					    ch->n_released < CTL_CFG_MAX_CHAIN_NODE)
						snprintf(ch->released[ch->n_released++],
						         HAPI_NAME_MAX, "%s", nd->server);
				}
			}
		}
	}
	return chains;
fail:
	free_chains(chains, cfg->n_chains);
	return NULL;
}

/* ---- admin drains: the store (ctl/state.c) and the admin endpoints (ctl/web/admin.c) ---- */

/* The admin inputs of every node's track, from the store: before each decision. */
static void admin_sync_tracks(struct ctl *c)
{
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			struct ctl_node *nd = c->chains[ch].nodes[i];
			const struct state_entry *e = state_find(c->state, nd->name);

			nd->track.admin_drain = e != NULL;
			snprintf(nd->track.admin_reason, sizeof(nd->track.admin_reason), "%s",
			         e != NULL ? e->reason : "");
		}
}

static bool in_rotation(const struct ctl_node *nd)
{
	return nd->track.state == NODE_READY && !nd->hand_maint;
}

/* admin_ops.check: the node exists (exact name); a drain keeps min_ready of its chain. */
static unsigned admin_check(void *ctx, const struct admin_request *req, char *msg, size_t msglen)
{
	struct ctl *c = ctx;
	struct ctl_node *nd = ctl_find_node(c, req->node);
	unsigned ready = 0;

	if (nd == NULL) {
		if (req->action == ADMIN_UNDRAIN && state_find(c->state, req->node) != NULL)
			return 0; /* a drain kept for a node no longer configured */
		snprintf(msg, msglen, "no node named %s", req->node);
		return 404;
	}
	if (req->action != ADMIN_DRAIN || req->force || state_find(c->state, nd->name) != NULL)
		return 0;
	for (unsigned i = 0; i < nd->chain->n_nodes; i++)
		ready += nd->chain->nodes[i] != nd && in_rotation(nd->chain->nodes[i]);
	if (ready >= c->limits.min_ready)
		return 0;
	snprintf(msg, msglen,
	         "draining %s would leave %u server%s in rotation in chain %s, fewer than "
	         "min_ready %u; use --force (JSON \"force\": true) to drain it anyway",
	         nd->name, ready, ready == 1 ? "" : "s", nd->chain->name, c->limits.min_ready);
	return 409;
}

/* admin_ops.applied: the change is in the state file; it acts now. */
static void admin_applied(void *ctx, const struct admin_request *req)
{
	struct ctl *c = ctx;
	struct ctl_node *nd = ctl_find_node(c, req->node);
	bool drain = req->action == ADMIN_DRAIN;
	char reason[STATE_REASON_MAX + 1], by[STATE_BY_MAX + 1];

	(void)pf_printable(reason, sizeof(reason), req->reason, strlen(req->reason), "\"\\");
	(void)pf_printable(by, sizeof(by), req->by[0] ? req->by : "-",
	                   req->by[0] ? strlen(req->by) : 1, " \"\\");
	log_info(MOD, "chain=%s node=%s admin %s by=%s peer=%s reason=\"%s\"",
	         nd != NULL ? nd->chain->name : "-", req->node, drain ? "drain" : "undrain", by,
	         req->peer, reason);
	if (nd == NULL)
		return;
	nd->track.admin_drain = drain;
	snprintf(nd->track.admin_reason, sizeof(nd->track.admin_reason), "%s",
	         drain ? req->reason : "");
	/*
	 * A drain acts now rather than at the next round; node_decide() is not
	 * re-run (that would count this round's polls twice for rise/fall).
	 * An undrain waits for the next round's rise rule.
	 */
	if (drain && nd->track.initialised && nd->track.state == NODE_READY) {
		nd->track.prev = NODE_READY;
		nd->track.state = NODE_DRAIN;
		nd->track.changed = true;
		nd->track.kept_in = false;
		nd->track.since_ms = pf_wall_ms();
		snprintf(nd->track.why, sizeof(nd->track.why), "admin: %.100s",
		         nd->track.admin_reason);
		nd->drain_since_ms = nd->track.since_ms;
		nd->shut_mask = 0;
		log_info(MOD, "chain=%s node=%s ready -> drain: %s", nd->chain->name, nd->name,
		         nd->track.why);
		for (unsigned h = 0; h < c->n_haproxy; h++)
			reconcile_start(&c->haproxy[h]);
	}
}

static const struct admin_ops ctl_admin_ops = {admin_check, admin_applied};

/* Opens the store and the gate in front of status_http_handler. */
static int admin_start(struct ctl *c, char *err, size_t errlen)
{
	struct admin_policy p;
	char why[CTL_CFG_PATH_MAX + 256];
	bool on;

	_Static_assert(CTL_CFG_MAX_HOSTS <= ADMIN_MAX_HOSTS && CTL_CFG_HOST_MAX <= ADMIN_HOST_MAX,
	               "http_hosts fit the admin policy");
	_Static_assert(CTL_CFG_NAME_MAX == STATE_NAME_MAX &&
	                   NODE_REASON_MAX == STATE_REASON_MAX + 1,
	               "node names and reasons fit the store");
	c->state = state_open(c->loop, c->cfg.state_file, why, sizeof(why));
	if (c->state == NULL) {
		snprintf(err, errlen, "state_file: %s", why);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.listen = c->cfg.http_listen;
	for (unsigned i = 0; i < c->cfg.n_http_hosts; i++)
		memcpy(p.hosts[i], c->cfg.http_hosts[i], sizeof(c->cfg.http_hosts[i]));
	p.n_hosts = c->cfg.n_http_hosts;
	if (c->cfg.admin_token_file[0] != '\0' &&
	    admin_token_load(c->cfg.admin_token_file, true, p.token, &p.token_len, why,
	                     sizeof(why)) == -1) {
		snprintf(err, errlen, "admin_token_file: %s", why);
		return -1;
	}
	on = p.token_len > 0;
	c->admin = admin_new(&p, c->state, &ctl_admin_ops, c, status_http_handler, c);
	explicit_bzero(&p, sizeof(p));
	if (c->admin == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < state_count(c->state); i++) {
		const struct state_entry *e = state_at(c->state, i);
		struct ctl_node *nd = ctl_find_node(c, e->node);
		char reason[STATE_REASON_MAX + 1];

		(void)pf_printable(reason, sizeof(reason), e->reason, strlen(e->reason), "\"\\");
		if (nd == NULL)
			log_warn(MOD,
			         "node=%s admin drain of a node not in the config kept (undrain "
			         "it to forget it)",
			         e->node);
		else
			log_info(MOD,
			         "chain=%s node=%s admin drain restored at_ms=%lld reason=\"%s\"",
			         nd->chain->name, nd->name, (long long)e->at_ms, reason);
	}
	log_info(MOD, "admin endpoints %s", on ? "on" : "off (no admin_token_file)");
	return 0;
}

/* Before the HTTP server goes: pending changes complete (replied 503), then the gate. */
static void admin_stop(struct ctl *c)
{
	state_free(c->state);
	c->state = NULL;
	admin_free(c->admin);
	c->admin = NULL;
}

struct ctl_node *ctl_find_node(struct ctl *c, const char *name)
{
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++)
			if (strcmp(c->chains[ch].nodes[i]->name, name) == 0)
				return c->chains[ch].nodes[i];
	return NULL;
}

/* ---- polling ---- */

static void finish_round(struct ctl *c);
static void poll_send(struct ctl *c, struct ctl_node *nd, const char *body, int len,
                      long timeout_ms);
static void handle_answer(struct ctl *c, struct ctl_node *nd, const struct poller_result *res);

struct poll_ctx {
	struct ctl *c;
	struct ctl_node *nd;
};

static void node_poll_done(struct ctl *c, struct ctl_node *nd)
{
	double ms = (ev_now(c->loop) - nd->started) * 1000.0;
	unsigned b = 0;

	nd->in_flight = false;
	nd->cur.latency_ms = (uint32_t)(ms < 0 ? 0 : ms);
	nd->poll = nd->cur;
	nd->polls++;
	nd->poll_failures[nd->cur.err]++;
	while (b < CTL_LAT_BUCKETS && ms > ctl_lat_bounds_ms[b])
		b++;
	nd->lat_hist[b]++;
	nd->lat_sum_ms += ms;
	nd->lat_count++;
	if (--c->outstanding == 0 && c->round_open)
		finish_round(c);
}

static bool fin_lookup(const struct ctl_chain *ch, const char *hash, uint64_t *number)
{
	for (unsigned i = 0; i < CTL_FIN_CACHE; i++) {
		if (ch->fin[i].hash[0] != '\0' && strcmp(ch->fin[i].hash, hash) == 0) {
			*number = ch->fin[i].number;
			return true;
		}
	}
	return false;
}

static void fin_store(struct ctl_chain *ch, const char *hash, uint64_t number)
{
	uint64_t known;

	if (fin_lookup(ch, hash, &known))
		return;
	snprintf(ch->fin[ch->fin_next].hash, sizeof(ch->fin[0].hash), "%s", hash);
	ch->fin[ch->fin_next].number = number;
	ch->fin_next = (ch->fin_next + 1) % CTL_FIN_CACHE;
	if (strcmp(ch->fin_pending, hash) == 0)
		ch->fin_pending[0] = '\0';
}

/*
 * The finalized number for <nd>'s poll: from the chain's cache, later from
 * the node that is already asking (fin_wait, filled in at the end of the
 * round), or by asking this node (returns true: send the request).
 */
static bool need_finalized_header(struct ctl_node *nd)
{
	struct ctl_chain *ch = nd->chain;
	uint64_t number;

	if (nd->cur.err != NODE_POLL_OK)
		return false;
	if (nd->fin_asked && nd->cur.has_finalized)
		fin_store(ch, nd->cur.finalized_hash, nd->cur.finalized);
	if (!noderpc_needs_finalized_header(&nd->cur))
		return false;
	if (fin_lookup(ch, nd->cur.finalized_hash, &number)) {
		nd->cur.has_finalized = true;
		nd->cur.finalized = number;
		return false;
	}
	if (strcmp(ch->fin_pending, nd->cur.finalized_hash) == 0) {
		nd->fin_wait = true;
		return false;
	}
	snprintf(ch->fin_pending, sizeof(ch->fin_pending), "%s", nd->cur.finalized_hash);
	nd->fin_asked = true;
	return true;
}

static void handle_answer(struct ctl *c, struct ctl_node *nd, const struct poller_result *res)
{
	long left = (long)c->cfg.timeout_ms - (long)((ev_now(c->loop) - nd->started) * 1000.0);

	switch (res->outcome) {
	case POLLER_OK:
		if (noderpc_parse(res->body, res->len, &nd->cur) == -1 && nd->cur.batch_refused &&
		    !nd->single_mode) {
			log_warn(MOD, "node=%s refuses JSON-RPC batches: polling with single calls",
			         nd->name);
			nd->single_mode = true;
		}
		break;
	case POLLER_TIMEOUT:
		noderpc_poll_fail(&nd->cur, NODE_POLL_TIMEOUT, "timeout %u ms", c->cfg.timeout_ms);
		break;
	case POLLER_CONNECT:
		noderpc_poll_fail(&nd->cur, NODE_POLL_CONNECT, "connect: %.80s",
		                  res->error ? res->error : "failed");
		break;
	case POLLER_HTTP:
		noderpc_poll_fail(&nd->cur, NODE_POLL_HTTP, "HTTP %ld", res->http_status);
		break;
	case POLLER_OTHER:
		noderpc_poll_fail(&nd->cur, NODE_POLL_CONNECT, "%.90s",
		                  res->error ? res->error : "transfer failed");
		break;
	}
	if (nd->singles_left > 0 && --nd->singles_left > 0)
		return; /* more single answers to come */
	if (need_finalized_header(nd) && left > 10) {
		char body[NODERPC_POLL_CAP];
		int len = noderpc_build_header_at(body, sizeof(body), nd->cur.finalized_hash);

		if (len > 0) {
			poll_send(c, nd, body, len, left);
			return;
		}
	}
	if (nd->cur.err == NODE_POLL_OK && !nd->cur.has_best)
		noderpc_poll_fail(&nd->cur, NODE_POLL_MALFORMED, "malformed: no best header");
	node_poll_done(c, nd);
}

static void on_answer(void *ctx, const struct poller_result *res)
{
	struct poll_ctx *pc = ctx;
	struct ctl *c = pc->c;
	struct ctl_node *nd = pc->nd;

	free(pc);
	handle_answer(c, nd, res);
}

static void poll_send(struct ctl *c, struct ctl_node *nd, const char *body, int len,
                      long timeout_ms)
{
	struct poll_ctx *pc = malloc(sizeof(*pc));

	if (pc != NULL) {
		pc->c = c;
		pc->nd = nd;
		if (poller_post(c->poller, nd->cfg.rpc_url, body, (size_t)len, timeout_ms,
		                on_answer, pc) == 0)
			return;
		free(pc);
	}
	{
		/* Counts as a failed answer, so single-call bookkeeping stays right. */
		struct poller_result fake = {.outcome = POLLER_OTHER,
		                             .error = "out of memory starting the poll",
		                             .body = ""};

		handle_answer(c, nd, &fake);
	}
}

static void poll_node(struct ctl *c, struct ctl_node *nd)
{
	char body[NODERPC_POLL_CAP];
	int len;

	noderpc_poll_reset(&nd->cur);
	nd->fin_asked = false;
	nd->fin_wait = false;
	nd->in_flight = true;
	nd->started = ev_now(c->loop);
	c->outstanding++;
	if (!nd->single_mode) {
		len = noderpc_build_poll(body, sizeof(body));
		nd->singles_left = 0;
		poll_send(c, nd, body, len, c->cfg.timeout_ms);
		return;
	}
	/* Single calls, all in flight at once; the answers merge into <cur>. */
	nd->singles_left = 3;
	for (unsigned id = NODERPC_ID_HEALTH; id <= NODERPC_ID_FINALIZED_HEAD; id++) {
		len = noderpc_build_single(body, sizeof(body), id);
		poll_send(c, nd, body, len, c->cfg.timeout_ms);
	}
}

/*
 * Idle connections to keep: one per batch node, three per single-call node
 * (its calls are in flight together), doubled for the finalized-header call
 * and reconnects, so steady polling never opens a new connection.
 */
static long max_connections(const struct ctl_cfg *cfg)
{
	long n = 16;

	for (unsigned ch = 0; ch < cfg->n_chains; ch++)
		for (unsigned i = 0; i < cfg->chains[ch].n_nodes; i++)
			n += cfg->chains[ch].nodes[i].batch ? 2 : 6;
	return n;
}

static void apply_reload(struct ctl *c)
{
	struct ctl_chain *chains = build_chains(&c->next_cfg, c->chains, c->n_chains);

	c->reload_pending = false;
	if (chains == NULL) {
		log_err(MOD, "reload: out of memory, keeping the current config");
		ctl_cfg_free(&c->next_cfg);
		c->reload_failures++;
		return;
	}
	free_chains(c->chains, c->n_chains);
	ctl_cfg_free(&c->cfg);
	c->cfg = c->next_cfg;
	memset(&c->next_cfg, 0, sizeof(c->next_cfg));
	c->chains = chains;
	c->n_chains = c->cfg.n_chains;
	node_limits_from_cfg(&c->limits, &c->cfg);
	pf_log_threshold = c->cfg.log_level;
	ev_timer_set(&c->tick, 0., (double)c->cfg.interval_ms / 1000.0);
	poller_set_max_connections(c->poller, max_connections(&c->cfg));
	c->reloads++;
	log_info(MOD, "reloaded %s: %u chains, %u nodes", c->cfg_path, c->n_chains, c->cfg.n_nodes);
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl *c = pf_container_of(t, struct ctl, tick);

	(void)loop;
	(void)revents;
	if (c->round_open) {
		log_warn(MOD,
		         "round %llu still running at the next tick: polls slower than the "
		         "interval",
		         (unsigned long long)c->rounds);
		return;
	}
	if (c->reload_pending)
		apply_reload(c);
	c->round_open = true;
	c->rounds++;
	c->round_started = ev_now(c->loop);
	c->outstanding++; /* held while starting, so a synchronous failure cannot end the round */
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++)
			if (!c->chains[ch].nodes[i]->in_flight)
				poll_node(c, c->chains[ch].nodes[i]);
	if (--c->outstanding == 0)
		finish_round(c);
}

/* ---- decisions ---- */

/* What HAProxy shows for <nd>'s server now, to preset a node never decided before. */
static enum node_state preset_from_haproxy(const struct ctl *c, const struct ctl_node *nd)
{
	for (unsigned h = 0; h < c->n_haproxy; h++) {
		const struct ctl_haproxy *hp = &c->haproxy[h];

		for (size_t i = 0; i < hp->n_have; i++)
			if (strcmp(hp->have[i].backend, nd->chain->backend) == 0 &&
			    strcmp(hp->have[i].server, nd->server) == 0)
				return (hp->have[i].admin_state & HAPI_ADMF_FDRAIN) ? NODE_DRAIN
				                                                    : NODE_READY;
	}
	return NODE_READY;
}

static void decide(struct ctl *c)
{
	int64_t now = pf_wall_ms();

	admin_sync_tracks(c);
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		struct ctl_chain *chain = &c->chains[ch];
		struct node_poll *polls =
		    calloc(chain->n_nodes ? chain->n_nodes : 1, sizeof(*polls));
		struct node_track *tracks =
		    calloc(chain->n_nodes ? chain->n_nodes : 1, sizeof(*tracks));

		if (polls == NULL || tracks == NULL) {
			log_err(MOD, "out of memory deciding chain %s: keeping last round's states",
			        chain->name);
			free(polls);
			free(tracks);
			continue;
		}
		for (unsigned i = 0; i < chain->n_nodes; i++) {
			struct ctl_node *nd = chain->nodes[i];

			if (!nd->track.initialised) {
				bool admin = nd->track.admin_drain;
				char reason[NODE_REASON_MAX];

				memcpy(reason, nd->track.admin_reason, sizeof(reason));
				node_track_init(&nd->track, preset_from_haproxy(c, nd));
				nd->track.admin_drain = admin;
				memcpy(nd->track.admin_reason, reason, sizeof(reason));
			}
			polls[i] = nd->poll;
			tracks[i] = nd->track;
		}
		node_decide(&c->limits, &chain->track, polls, tracks, chain->n_nodes, now);
		for (unsigned i = 0; i < chain->n_nodes; i++) {
			struct ctl_node *nd = chain->nodes[i];

			nd->track = tracks[i];
			if (nd->track.changed) {
				log_info(MOD, "chain=%s node=%s %s -> %s: %s", chain->name,
				         nd->name, node_state_name(nd->track.prev),
				         node_state_name(nd->track.state), nd->track.why);
				if (nd->track.state == NODE_DRAIN) {
					nd->drain_since_ms = now;
					nd->shut_mask = 0;
				}
			}
		}
		if (chain->track.stall_changed)
			log_warn(MOD, "chain=%s %s at height %llu", chain->name,
			         chain->track.stalled ? "stalled: no node advances"
			                              : "advancing again",
			         (unsigned long long)chain->track.ref_best);
		free(polls);
		free(tracks);
	}
}

/* Gives the nodes that waited on another node's finalized header its number. */
static void fill_finalized(struct ctl *c)
{
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		struct ctl_chain *chain = &c->chains[ch];

		for (unsigned i = 0; i < chain->n_nodes; i++) {
			struct ctl_node *nd = chain->nodes[i];
			uint64_t number;

			if (nd->fin_wait && !nd->poll.has_finalized &&
			    fin_lookup(chain, nd->poll.finalized_hash, &number)) {
				nd->poll.has_finalized = true;
				nd->poll.finalized = number;
			}
			nd->fin_wait = false;
		}
		chain->fin_pending[0] =
		    '\0'; /* an asker that failed must not block the next round */
	}
}

static void finish_round(struct ctl *c)
{
	c->round_open = false;
	c->last_round_ms = (ev_now(c->loop) - c->round_started) * 1000.0;
	fill_finalized(c);
	decide(c);
	c->first_decision_done = true;
	for (unsigned h = 0; h < c->n_haproxy; h++)
		reconcile_start(&c->haproxy[h]);
}

/* ---- admin, reload, lifecycle ---- */

void ctl_reload(struct ctl *c)
{
	char err[512];
	struct ctl_cfg next;

	if (ctl_cfg_load(c->cfg_path, &next, err, sizeof(err)) == -1) {
		c->reload_failures++;
		log_err(MOD, "reload refused, keeping the current config: %s", err);
		return;
	}
	if (ctl_cfg_reload_check(&c->cfg, &next, err, sizeof(err)) == -1) {
		c->reload_failures++;
		log_err(MOD, "reload refused, keeping the current config: %s", err);
		ctl_cfg_free(&next);
		return;
	}
	if (c->reload_pending)
		ctl_cfg_free(&c->next_cfg);
	c->next_cfg = next;
	c->reload_pending = true;
	log_info(MOD, "reload of %s accepted: applied at the next round", c->cfg_path);
}

int ctl_start(struct ctl *c, struct ev_loop *loop, struct ctl_cfg *cfg, const char *cfg_path,
              char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	snprintf(c->cfg_path, sizeof(c->cfg_path), "%s", cfg_path);
	node_limits_from_cfg(&c->limits, &c->cfg);
	c->started_ms = pf_wall_ms();
	c->chains = build_chains(&c->cfg, NULL, 0);
	c->n_chains = c->cfg.n_chains;
	c->poller = poller_new(loop);
	if (c->chains == NULL || c->poller == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	poller_set_max_connections(c->poller, max_connections(&c->cfg));
	c->n_haproxy = c->cfg.n_haproxy;
	for (unsigned h = 0; h < c->n_haproxy; h++) {
		struct ctl_haproxy *hp = &c->haproxy[h];

		hp->api = hapi_new(loop, &c->cfg.haproxy[h], (double)c->cfg.timeout_ms / 1000.0);
		if (hp->api == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		snprintf(hp->name, sizeof(hp->name), "%s", hapi_name(hp->api));
		hp->owner = c;
		hp->index = h;
		hp->up = true; /* until proven otherwise, so the first failure is logged */
	}
	if (admin_start(c, err, errlen) == -1)
		goto fail;
	c->http =
	    http_server_new(loop, &c->cfg.http_listen, admin_http_handler, c->admin, err, errlen);
	if (c->http == NULL)
		goto fail;
	/* Read HAProxy first so the first decision starts from what it shows. */
	for (unsigned h = 0; h < c->n_haproxy; h++)
		reconcile_start(&c->haproxy[h]);
	ev_timer_init(&c->tick, on_tick, (double)c->cfg.interval_ms / 1000.0 / 4,
	              (double)c->cfg.interval_ms / 1000.0);
	ev_timer_start(loop, &c->tick);
	return 0;
fail:
	ctl_stop(c);
	return -1;
}

void ctl_stop(struct ctl *c)
{
	if (c->loop != NULL)
		ev_timer_stop(c->loop, &c->tick);
	admin_stop(c);
	http_server_free(c->http);
	c->http = NULL;
	poller_free(c->poller);
	c->poller = NULL;
	for (unsigned h = 0; h < c->n_haproxy; h++) {
		hapi_free(c->haproxy[h].api);
		free(c->haproxy[h].have);
		free(c->haproxy[h].sent_kinds);
	}
	c->n_haproxy = 0;
	free_chains(c->chains, c->n_chains);
	c->chains = NULL;
	c->n_chains = 0;
	if (c->reload_pending)
		ctl_cfg_free(&c->next_cfg);
	ctl_cfg_free(&c->cfg);
}
