/* SPDX-License-Identifier: MIT */
/*
 * The controller's rounds (see ctl.h). A round: the tick starts one poll per
 * node (a batch, or single calls for nodes that refuse batches, then the
 * finalized header when the finalized hash moved); when the last poll ends,
 * node_decide() runs per chain, every change goes through node_changed(),
 * and each HAProxy instance gets the wanted state of every node. Nothing
 * here blocks; all I/O is on the loop.
 */
#include "ctl/ctl.h"

#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "common/text.h"
#include "ctl/cachet/cachet.h"
#include "ctl/db/record.h"
#include "ctl/db/status_reader.h"
#include "ctl/hapi/reconcile.h"
#include "ctl/poll/poller.h"
#include "ctl/recorder.h"
#include "ctl/state.h"
#include "ctl/stats/ingest.h"
#include "ctl/web/admin.h"
#include "ctl/web/http.h"
#include "ctl/web/page.h"

#define MOD "ctl"

/* ---- the one place a node's state changes -------------------------------------- */

static const char *const source_names[] = {"decision", "admin", "config"};

/* The default hook: one log line per change. */
static void log_node_changed(void *ctx, const struct ctl_node_event *ev)
{
	(void)ctx;
	if (ev->added)
		log_info(MOD, "chain=%s node=%s added (%s): %s", ev->chain, ev->node,
		         node_state_name(ev->to), ev->reason);
	else if (ev->removed)
		log_info(MOD, "chain=%s node=%s removed from the config", ev->chain, ev->node);
	else
		log_info(MOD, "chain=%s node=%s %s -> %s: %s", ev->chain, ev->node,
		         node_state_name(ev->from), node_state_name(ev->to), ev->reason);
}

/*
 * Every change of a node's state (a decision, an admin action, a config
 * reload) comes through here: the drain clock for the grace starts, and the
 * hook hears it with the facts of the moment.
 */
static void node_changed(struct ctl *c, struct ctl_node *nd, enum ctl_change_source src, bool added,
                         bool removed)
{
	struct ctl_node_event ev = {
	    .chain = nd->chain != NULL ? nd->chain->name : "-",
	    .node = nd->name,
	    .added = added,
	    .removed = removed,
	    .from = nd->track.prev,
	    .to = nd->track.state,
	    .reason = nd->track.why[0] != '\0' ? nd->track.why : "-",
	    .source = src,
	    .at_ms = pf_wall_ms(),
	    .has_best = nd->poll.has_best,
	    .has_finalized = nd->poll.has_finalized,
	    .best = nd->poll.best,
	    .finalized = nd->poll.finalized,
	    .lag_blocks = nd->track.lag_blocks,
	    .peers = nd->poll.peers,
	};

	if (!added && !removed && nd->track.state == NODE_DRAIN)
		nd->drain_since_ms = ev.at_ms;
	log_debug(MOD, "node=%s change from %s", nd->name, source_names[src]);
	c->on_node_changed(c->on_node_changed_ctx, &ev);
	recorder_node_changed(c->rec, &ev, nd->track.admin_drain);
}

/*
 * The chains as the recorder needs them after a round: what a user gets
 * changes here even when no node's state does (a node kept in by the floor
 * turns unhealthy, the chain stalls), so chain states and their incidents
 * are judged here, once per round, right after every node_changed().
 */
static void chains_observed(struct ctl *c, int64_t now)
{
	struct rec_chain_view *views;
	struct rec_node_view *nodes;
	unsigned k = 0;

	if (c->rec == NULL)
		return;
	views = calloc(c->n_chains ? c->n_chains : 1, sizeof(*views));
	nodes = calloc(c->cfg.n_nodes ? c->cfg.n_nodes : 1, sizeof(*nodes));
	if (views == NULL || nodes == NULL) {
		log_err(MOD, "out of memory: this round's chain states are not recorded");
		goto out;
	}
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		const struct ctl_chain *chain = &c->chains[ch];

		views[ch] = (struct rec_chain_view){
		    .name = chain->name,
		    .nodes = &nodes[k],
		    .n = chain->n_nodes,
		    .min_ready = c->limits.min_ready,
		    .stalled = chain->track.stalled,
		    .has_ref = chain->track.has_ref,
		    .ref_best = chain->track.ref_best,
		};
		for (unsigned i = 0; i < chain->n_nodes; i++, k++) {
			const struct node_track *t = &chain->nodes[i]->track;

			nodes[k] = (struct rec_node_view){
			    .name = chain->nodes[i]->name,
			    .ready = t->state == NODE_READY,
			    .healthy = t->state == NODE_READY && t->deserves && !t->kept_in,
			    .kept_in = t->state == NODE_READY && t->kept_in,
			    .reachable = t->reachable,
			    .admin = t->admin_drain,
			};
		}
	}
	recorder_round(c->rec, views, c->n_chains, now);
out:
	free(views);
	free(nodes);
}

/* ---- the other regions' edges: ctl/probe/prober.c ---------------------------- */

/* The default "probe changed" hook: one log line per change, a warning when unreachable. */
static void log_probe_changed(void *ctx, const struct probe_event *ev)
{
	(void)ctx;
	if (ev->reachable)
		log_info(MOD, "region=%s chain=%s url=%s reachable%s: %s", ev->region,
		         ev->chain[0] ? ev->chain : "-", ev->url, ev->first ? "" : " again",
		         ev->why);
	else
		log_warn(MOD,
		         "region=%s chain=%s url=%s unreachable: %s (first failed probe %lld ms "
		         "before the deciding one)",
		         ev->region, ev->chain[0] ? ev->chain : "-", ev->url, ev->why,
		         (long long)(ev->at_ms - ev->since_ms));
}

static void probe_changed(void *ctx, const struct probe_event *ev)
{
	struct ctl *c = ctx;

	c->on_probe_changed(c->on_probe_changed_ctx, ev);
	recorder_probe_changed(c->rec, ev->region, ev->chain, ev->url, ev->reachable, ev->why,
	                       ev->since_ms);
}

/* Hands c->cfg's probe keys to the prober. Returns 0, or -1 (memory; the old set stays). */
static int probes_apply(struct ctl *c)
{
	struct prober_target_cfg targets[CTL_CFG_MAX_PROBES];
	struct prober_cfg pc = {
	    .targets = targets,
	    .n = c->cfg.n_probes,
	    .interval_ms = c->cfg.probe_interval_ms,
	    .timeout_ms = c->cfg.probe_timeout_ms,
	    .fall = c->cfg.probe_fall,
	    .rise = c->cfg.probe_rise,
	    .ca_file = c->cfg.probe_tls_ca_file,
	};

	_Static_assert(CTL_CFG_REGION_MAX <= PROBER_NAME_MAX &&
	                   CTL_CFG_CHAIN_NAME_MAX <= PROBER_NAME_MAX &&
	                   CTL_CFG_URL_MAX <= PROBER_URL_MAX,
	               "every configured probe fits the prober");
	for (unsigned i = 0; i < c->cfg.n_probes; i++)
		targets[i] = (struct prober_target_cfg){c->cfg.probe[i].region,
		                                        c->cfg.probe[i].chain, c->cfg.probe[i].url};
	return prober_set_cfg(c->prober, &pc);
}

/* ctl_start: the prober and its hook, probing at once. Returns 0, or -1 with <err>. */
static int probes_start(struct ctl *c, char *err, size_t errlen)
{
	c->on_probe_changed = log_probe_changed;
	c->prober = prober_new(c->loop, probe_changed, c);
	if (c->prober == NULL || probes_apply(c) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- runtime objects from the config ---- */

_Static_assert(CTL_CFG_HASH_LEN == NODERPC_HASH_LEN, "a configured genesis is a node hash");

static void node_limits_from_cfg(struct node_limits *lim, const struct ctl_cfg *cfg)
{
	memset(lim, 0, sizeof(*lim));
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

/* The node named <name> in <old>, or NULL; <old> keeps it until the reload commits. */
static struct ctl_node **find_old(struct ctl_chain *old, unsigned n_old, const char *name)
{
	for (unsigned c = 0; c < n_old; c++)
		for (unsigned i = 0; i < old[c].n_nodes; i++)
			if (old[c].nodes[i] != NULL && strcmp(old[c].nodes[i]->name, name) == 0)
				return &old[c].nodes[i];
	return NULL;
}

/*
 * Frees <chains> and the nodes they own; nodes also in <keep> (may be NULL)
 * are not freed, and slots a reload emptied (detach_reused()) are skipped.
 */
static void free_chains_but(struct ctl_chain *chains, unsigned n, struct ctl_chain *keep,
                            unsigned n_keep)
{
	for (unsigned c = 0; c < n; c++) {
		for (unsigned i = 0; i < chains[c].n_nodes; i++) {
			struct ctl_node *nd = chains[c].nodes[i];
			struct ctl_node **o = nd != NULL ? find_old(keep, n_keep, nd->name) : NULL;

			if (nd != NULL && (o == NULL || *o != nd))
				free(nd);
		}
		free(chains[c].nodes);
	}
	free(chains);
}

static void free_chains(struct ctl_chain *chains, unsigned n)
{
	free_chains_but(chains, n, NULL, 0);
}

static void chain_from_cfg(struct ctl_chain *ch, const struct ctl_chain_cfg *cc,
                           const struct ctl_chain *old, unsigned n_old)
{
	snprintf(ch->name, sizeof(ch->name), "%s", cc->name);
	snprintf(ch->backend, sizeof(ch->backend), "%s", cc->backend);
	ch->n_heavy = cc->n_heavy;
	for (unsigned h = 0; h < cc->n_heavy; h++) {
		snprintf(ch->heavy[h], sizeof(ch->heavy[h]), "%s", cc->heavy_backends[h]);
		ch->heavy_ptrs[h] = ch->heavy[h];
	}
	node_chain_init(&ch->track);
	for (unsigned o = 0; o < n_old; o++)
		if (strcmp(old[o].name, ch->name) == 0)
			ch->track = old[o].track;
}

/*
 * Builds chains and nodes for <cfg>, reusing the nodes of <old> that keep
 * their name (what was polled and decided survives a reload). <old> is not
 * changed: on failure it is still whole; on success the caller detaches the
 * reused nodes from it (detach_reused()).
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

		chain_from_cfg(ch, cc, old, n_old);
		ch->nodes = calloc(cc->n_nodes ? cc->n_nodes : 1, sizeof(*ch->nodes));
		if (ch->nodes == NULL)
			goto fail;
		for (unsigned i = 0; i < cc->n_nodes; i++) {
			struct ctl_node **o = find_old(old, n_old, cc->nodes[i].name);
			struct ctl_node *nd = o != NULL ? *o : NULL;

			if (nd == NULL) {
				nd = calloc(1, sizeof(*nd));
				if (nd == NULL)
					goto fail;
				snprintf(nd->name, sizeof(nd->name), "%s", cc->nodes[i].name);
				noderpc_poll_reset(&nd->poll);
			}
			nd->cfg = cc->nodes[i];
			nd->chain = ch;
			nd->single_mode = !nd->cfg.batch;
			ch->nodes[ch->n_nodes++] = nd;
		}
	}
	return chains;
fail:
	free_chains_but(chains, cfg->n_chains, old, n_old);
	return NULL;
}

/* After a reload committed: the nodes <chains> reuse leave <old>; what is left is gone. */
static void detach_reused(struct ctl_chain *old, unsigned n_old, const struct ctl_chain *chains,
                          unsigned n)
{
	for (unsigned c = 0; c < n; c++)
		for (unsigned i = 0; i < chains[c].n_nodes; i++) {
			struct ctl_node **o = find_old(old, n_old, chains[c].nodes[i]->name);

			if (o != NULL && *o == chains[c].nodes[i])
				*o = NULL;
		}
}

struct ctl_node *ctl_find_node(struct ctl *c, const char *name)
{
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++)
			if (strcmp(c->chains[ch].nodes[i]->name, name) == 0)
				return c->chains[ch].nodes[i];
	return NULL;
}

/* Defined with the HAProxy instances below. */
static void reconcile_all(struct ctl *c);

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

/* Decided READY: what min_ready counts (what each HAProxy shows is in the status). */
static bool in_rotation(const struct ctl_node *nd)
{
	return nd->track.state == NODE_READY;
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
	if (c->rec != NULL) {
		char summary[256];

		snprintf(summary, sizeof(summary), "%s %s (chain %s) from %s%s",
		         drain ? "drain" : "undrain", req->node, nd != NULL ? nd->chain->name : "-",
		         req->peer[0] ? req->peer : "-", req->force ? ", forced" : "");
		recorder_op(c->rec, drain ? "drain" : "undrain", by, reason, summary, pf_wall_ms());
	}
	if (nd == NULL)
		return;
	/*
	 * A drain acts now rather than at the next round; node_decide() is not
	 * re-run (that would count this round's polls twice for rise/fall).
	 * An undrain waits for the next round's rise rule.
	 */
	if (node_admin(&nd->track, drain, req->reason, pf_wall_ms())) {
		node_changed(c, nd, CTL_CHANGE_ADMIN, false, false);
		reconcile_all(c);
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
	                   NODE_REASON_MAX >= STATE_REASON_MAX + 1,
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
	c->admin = admin_new(&p, c->state, &ctl_admin_ops, c, status_http_handler, &c->web);
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

/* ---- polling ---- */

static void finish_round(struct ctl *c);
static void poll_send(struct ctl *c, struct ctl_node *nd, const char *body, int len,
                      long timeout_ms);
static void handle_answer(struct ctl *c, struct ctl_node *nd, const struct poller_result *res);

static void node_poll_done(struct ctl *c, struct ctl_node *nd)
{
	double ms = (ev_now(c->loop) - nd->started) * 1000.0;
	unsigned b = 0;

	nd->in_flight = false;
	nd->cur.latency_ms = (uint32_t)(ms < 0 ? 0 : ms);
	nd->poll = nd->cur;
	nd->polls++;
	nd->poll_failures[nd->cur.err]++;
	while (b < STATUS_LAT_BUCKETS && ms > status_lat_bounds_ms[b])
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
	if (nd->cur.err == NODE_POLL_OK && !nd->cur.has_genesis)
		noderpc_poll_fail(&nd->cur, NODE_POLL_MALFORMED, "malformed: no genesis hash");
	node_poll_done(c, nd);
}

static void on_answer(void *ctx, const struct poller_result *res)
{
	struct ctl_node *nd = ctx;

	handle_answer(nd->ctl, nd, res);
}

/*
 * The node itself is the request's context: nothing is allocated per
 * request, so nothing leaks when the poller is freed with requests in
 * flight (it calls no callback then).
 */
static void poll_send(struct ctl *c, struct ctl_node *nd, const char *body, int len,
                      long timeout_ms)
{
	const char *url = nd->cfg.rpc_url;

	nd->ctl = c;
	if (poller_post(c->poller, url, body, (size_t)len, timeout_ms, on_answer, nd) == 0)
		return;
	{
		/* Counts as a failed answer, so single-call bookkeeping stays right. */
		struct poller_result fake = {.outcome = POLLER_OTHER,
		                             .error = "out of memory starting the poll",
		                             .body = ""};

		handle_answer(c, nd, &fake);
	}
}

/* The calls of the poll batch, sent one by one to a node that refuses batches. */
static const unsigned ctl_single_ids[] = {NODERPC_ID_HEALTH, NODERPC_ID_HEADER,
                                          NODERPC_ID_FINALIZED_HEAD, NODERPC_ID_GENESIS};

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
	nd->singles_left = PF_ARRAY_SIZE(ctl_single_ids);
	for (size_t k = 0; k < PF_ARRAY_SIZE(ctl_single_ids); k++) {
		len = noderpc_build_single(body, sizeof(body), ctl_single_ids[k]);
		poll_send(c, nd, body, len, c->cfg.timeout_ms);
	}
}

/*
 * Idle connections to keep: one per batch node, four per single-call node
 * (its calls are in flight together), doubled for the finalized-header call
 * and reconnects, so steady polling never opens a new connection.
 */
static long max_connections(const struct ctl_cfg *cfg)
{
	long n = 16;

	for (unsigned ch = 0; ch < cfg->n_chains; ch++)
		for (unsigned i = 0; i < cfg->chains[ch].n_nodes; i++)
			n += cfg->chains[ch].nodes[i].batch
			         ? 2
			         : 2 * (long)PF_ARRAY_SIZE(ctl_single_ids);
	return n;
}

/* ---- HAProxy instances ---- */

static struct recon_cfg recon_cfg_for(const struct ctl *c, const struct ctl_cfg *cfg, unsigned h)
{
	uint32_t lease = 3 * cfg->interval_ms;

	/* A claim outlives two missed rounds, so a slow round never hands it over. */
	if (lease < 3000)
		lease = 3000;
	return (struct recon_cfg){(double)cfg->timeout_ms / 1000.0, lease, c->owner_id,
	                          cfg->haproxy_state_file[h][0] ? cfg->haproxy_state_file[h]
	                                                        : NULL};
}

/* Frees the objects of <next> (<n>) that are not running instances of <c>. */
static void haproxy_discard(struct ctl *c, struct recon *next[CTL_CFG_MAX_HAPROXY], unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		bool running = false;

		for (unsigned o = 0; o < c->n_haproxy; o++)
			running = running || next[k] == c->haproxy[o];
		if (!running)
			recon_free(next[k]);
	}
}

/*
 * Instances for <cfg> into <next>: an instance whose socket stays keeps its
 * object (its slots, its MAINT by hand), a new socket gets a new one. <c> is
 * not changed. Returns 0, or -1 on allocation failure (nothing to undo).
 */
static int haproxy_prepare(struct ctl *c, const struct ctl_cfg *cfg,
                           struct recon *next[CTL_CFG_MAX_HAPROXY])
{
	bool used[CTL_CFG_MAX_HAPROXY] = {false};

	memset(next, 0, CTL_CFG_MAX_HAPROXY * sizeof(*next));
	for (unsigned h = 0; h < cfg->n_haproxy; h++) {
		struct recon_cfg rc = recon_cfg_for(c, cfg, h);

		for (unsigned o = 0; o < c->n_haproxy && next[h] == NULL; o++)
			if (!used[o] && recon_is_at(c->haproxy[o], &cfg->haproxy[h])) {
				next[h] = c->haproxy[o];
				used[o] = true;
			}
		if (next[h] == NULL &&
		    (next[h] = recon_new(c->loop, &cfg->haproxy[h], &rc)) == NULL) {
			haproxy_discard(c, next, h);
			return -1;
		}
	}
	return 0;
}

/* Makes <next> (from haproxy_prepare() with c->cfg) the instances; frees the dropped ones. */
static void haproxy_commit(struct ctl *c, struct recon *next[CTL_CFG_MAX_HAPROXY])
{
	for (unsigned o = 0; o < c->n_haproxy; o++) {
		bool kept = false;

		for (unsigned h = 0; h < c->cfg.n_haproxy; h++)
			kept = kept || next[h] == c->haproxy[o];
		if (!kept) {
			log_info(MOD, "haproxy=%s no longer in the config",
			         recon_name(c->haproxy[o]));
			recon_free(c->haproxy[o]);
		}
	}
	for (unsigned h = 0; h < c->cfg.n_haproxy; h++) {
		struct recon_cfg rc = recon_cfg_for(c, &c->cfg, h);

		recon_set_cfg(next[h], &rc);
		c->haproxy[h] = next[h];
	}
	c->n_haproxy = c->cfg.n_haproxy;
}

/* Every node as the planner wants it; NULL on allocation failure. The strings are borrowed. */
static struct plan_node *plan_nodes(const struct ctl *c, size_t *n)
{
	struct plan_node *out = calloc(c->cfg.n_nodes + 1, sizeof(*out));
	size_t k = 0;

	if (out == NULL)
		return NULL;
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		const struct ctl_chain *chain = &c->chains[ch];

		for (unsigned i = 0; i < chain->n_nodes; i++) {
			const struct ctl_node *nd = chain->nodes[i];
			bool tpl = ctl_node_cfg_is_template(&nd->cfg);

			out[k++] = (struct plan_node){
			    nd->name,
			    chain->backend,
			    chain->heavy_ptrs,
			    chain->n_heavy,
			    tpl ? NULL : nd->cfg.server,
			    tpl ? nd->cfg.addr : NULL,
			    nd->cfg.port,
			    nd->track.state == NODE_READY ? HAPI_WANT_READY : HAPI_WANT_DRAIN,
			    nd->drain_since_ms,
			    chain->name,
			};
		}
	}
	*n = k;
	return out;
}

/* Reads every instance and, once decisions exist, writes what differs. */
static void reconcile_all(struct ctl *c)
{
	size_t n = 0;
	struct plan_node *nodes = plan_nodes(c, &n);

	if (nodes == NULL) {
		log_err(MOD, "out of memory: HAProxy not reconciled this round");
		return;
	}
	for (unsigned h = 0; h < c->n_haproxy; h++)
		recon_round(c->haproxy[h], nodes, n, pf_wall_ms(), c->cfg.drain_grace_ms,
		            c->first_decision_done);
	free(nodes);
}

/* ---- reload and ticks ---- */

static void apply_reload(struct ctl *c)
{
	struct ctl_chain *old = c->chains, *chains = NULL;
	unsigned n_old = c->n_chains;
	struct recon *next[CTL_CFG_MAX_HAPROXY];
	char changed[REC_TEXT_MAX + 1];

	c->reload_pending = false;
	if (poller_set_ca_file(c->poller, c->next_cfg.node_tls_ca_file) == -1)
		goto fail; /* before anything else changes: the old file stays */
	if (haproxy_prepare(c, &c->next_cfg, next) == -1)
		goto fail;
	chains = build_chains(&c->next_cfg, old, n_old);
	if (chains == NULL) {
		haproxy_discard(c, next, c->next_cfg.n_haproxy);
		goto fail;
	}
	detach_reused(old, n_old, chains, c->next_cfg.n_chains);
	ctl_cfg_diff(&c->cfg, &c->next_cfg, changed, sizeof(changed));
	ctl_cfg_free(&c->cfg);
	c->cfg = c->next_cfg;
	memset(&c->next_cfg, 0, sizeof(c->next_cfg));
	haproxy_commit(c, next);
	c->chains = chains;
	c->n_chains = c->cfg.n_chains;
	/* Nodes left in <old> were not taken over: they are gone. */
	for (unsigned o = 0; o < n_old; o++)
		for (unsigned i = 0; i < old[o].n_nodes; i++)
			if (old[o].nodes[i] != NULL)
				node_changed(c, old[o].nodes[i], CTL_CHANGE_CONFIG, false, true);
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < chains[ch].n_nodes; i++)
			if (!chains[ch].nodes[i]->track.initialised &&
			    chains[ch].nodes[i]->polls == 0)
				node_changed(c, chains[ch].nodes[i], CTL_CHANGE_CONFIG, true,
				             false);
	free_chains(old, n_old);
	node_limits_from_cfg(&c->limits, &c->cfg);
	pf_log_threshold = c->cfg.log_level;
	c->tick.repeat = (double)c->cfg.interval_ms / 1000.0;
	ev_timer_again(c->loop, &c->tick);
	poller_set_max_connections(c->poller, max_connections(&c->cfg));
	if (probes_apply(c) == -1)
		log_err(MOD, "reload: out of memory, the probes keep their previous targets");
	ingest_reload(c->ingest, c->cfg.methods_file, c->cfg.log_rcvbuf);
	recorder_set_retention(c->rec, c->cfg.usage_retention_days);
	c->reloads++;
	log_info(MOD, "reloaded %s: %u chains, %u nodes, %u haproxy: %s", c->cfg_path, c->n_chains,
	         c->cfg.n_nodes, c->n_haproxy, changed);
	recorder_op(c->rec, "reload", c->owner_id, "SIGHUP", changed, pf_wall_ms());
	return;
fail:
	log_err(MOD, "reload: out of memory, keeping the current config");
	ctl_cfg_free(&c->next_cfg);
	c->reload_failures++;
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl *c = pf_container_of(t, struct ctl, tick);

	(void)loop;
	(void)revents;
	if (c->round_open) {
		c->late_ticks++;
		log_warn(
		    MOD, "round %llu still polling after %.0f ms: polls slower than the interval",
		    (unsigned long long)c->rounds, (ev_now(c->loop) - c->round_started) * 1000.0);
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
		struct recon_view v;

		if (recon_view_node(c->haproxy[h], nd->name, &v) && v.present)
			return (v.admin_state & HAPI_ADMF_FDRAIN) ? NODE_DRAIN : NODE_READY;
	}
	return NODE_READY;
}

/* The chain's facts for node_decide(): chains[] is built in config order. */
static void chain_params(const struct ctl *c, unsigned ch, struct node_chain_params *cp)
{
	const struct ctl_chain_cfg *cc = &c->cfg.chains[ch];

	memset(cp, 0, sizeof(*cp));
	cp->has_genesis = cc->genesis[0] != '\0';
	memcpy(cp->genesis, cc->genesis, sizeof(cp->genesis));
	cp->block_time_ms = cc->block_time_ms;
}

/* One line when a node turns out to be on another network (its reason has the hashes too). */
static void log_network(const struct ctl_chain *chain, const struct ctl_node *nd,
                        const struct node_track *t)
{
	if (t->foreign && !nd->track.foreign)
		log_warn(MOD, "chain=%s node=%s is on another network: genesis %s, expected %s",
		         chain->name, nd->name, nd->poll.genesis_hash, chain->track.genesis);
}

static void decide_chain(struct ctl *c, unsigned ch, int64_t now)
{
	struct ctl_chain *chain = &c->chains[ch];
	struct node_poll *polls = calloc(chain->n_nodes ? chain->n_nodes : 1, sizeof(*polls));
	struct node_track *tracks = calloc(chain->n_nodes ? chain->n_nodes : 1, sizeof(*tracks));
	bool conflict = chain->track.genesis_conflict;
	struct node_chain_params cp;

	if (polls == NULL || tracks == NULL) {
		log_err(MOD, "out of memory deciding chain %s: keeping last round's states",
		        chain->name);
		goto out;
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
	chain_params(c, ch, &cp);
	node_decide(&c->limits, &cp, &chain->track, polls, tracks, chain->n_nodes, now);
	if (chain->track.genesis_conflict && !conflict)
		log_warn(MOD,
		         "chain=%s nodes report different genesis hashes and none has a majority: "
		         "nobody is out for it; set \"genesis\" in the config",
		         chain->name);
	for (unsigned i = 0; i < chain->n_nodes; i++) {
		struct ctl_node *nd = chain->nodes[i];

		log_network(chain, nd, &tracks[i]);
		nd->track = tracks[i];
		if (nd->track.changed)
			node_changed(c, nd, CTL_CHANGE_DECISION, false, false);
	}
	if (chain->track.stall_changed)
		log_warn(MOD, "chain=%s %s at height %llu", chain->name,
		         chain->track.stalled ? "stalled: no node advances" : "advancing again",
		         (unsigned long long)chain->track.ref_best);
out:
	free(polls);
	free(tracks);
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
	int64_t now = pf_wall_ms();

	c->round_open = false;
	c->last_round_ms = (ev_now(c->loop) - c->round_started) * 1000.0;
	fill_finalized(c);
	admin_sync_tracks(c);
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		decide_chain(c, ch, now);
	chains_observed(c, now);
	c->first_decision_done = true;
	c->decided++;
	reconcile_all(c);
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
	if (next.node_tls_ca_file[0] != '\0' &&
	    poller_check_ca_file(next.node_tls_ca_file, err, sizeof(err)) == -1) {
		c->reload_failures++;
		log_err(MOD, "reload refused, keeping the current config: node_tls_ca_file: %s",
		        err);
		ctl_cfg_free(&next);
		return;
	}
	if (next.probe_tls_ca_file[0] != '\0' &&
	    poller_check_ca_file(next.probe_tls_ca_file, err, sizeof(err)) == -1) {
		c->reload_failures++;
		log_err(MOD, "reload refused, keeping the current config: probe_tls_ca_file: %s",
		        err);
		ctl_cfg_free(&next);
		return;
	}
	if (c->reload_pending)
		ctl_cfg_free(&c->next_cfg);
	c->next_cfg = next;
	c->reload_pending = true;
	log_info(MOD, "reload of %s accepted: applied at the next round", c->cfg_path);
}

/*
 * "host/region/port": who holds an instance's write claim. Stable across
 * restarts, so a restarted controller takes its own claim back at once; two
 * live controllers never share it (one http_listen port per host). Reduced
 * to what HAProxy's str() takes.
 */
static void make_owner_id(struct ctl *c)
{
	char host[64] = "", addr[128];
	const char *port;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
	port = strrchr(pf_addr_str(&c->cfg.http_listen, addr, sizeof(addr)), ':');
	snprintf(c->owner_id, sizeof(c->owner_id), "%s/%s/%s", host, c->cfg.region,
	         port != NULL ? port + 1 : "0");
}

static void page_looked(void *ctx)
{
	status_reader_poke(ctx);
}

/* The status page's history, read on its own connection; the handler pokes it. */
static int reader_start(struct ctl *c, char *err, size_t errlen)
{
	struct status_reader_cfg sc = {
	    .conninfo = c->cfg.database,
	    .password_file = c->cfg.database_password_file,
	    .region = c->cfg.region,
	};

	c->reader = status_reader_open(c->loop, &sc, err, errlen);
	if (c->reader == NULL)
		return -1;
	c->web.looked = page_looked;
	c->web.looked_ctx = c->reader;
	return 0;
}

static size_t usage_minute(void *ctx, int64_t minute_ms, const struct rowtab *rows)
{
	struct ctl *c = ctx;

	return recorder_usage(c->rec, minute_ms, rows);
}

static void cachet_chain_hook(void *ctx, const char *chain, const char *state, int64_t now_ms)
{
	cachet_chain_state(ctx, chain, state, now_ms);
}

static void cachet_incident_hook(void *ctx, const char *id, bool open, const char *chain,
                                 const char *kind, const char *summary, int64_t at_ms)
{
	cachet_incident(ctx, id, open, chain, kind, summary, at_ms);
}

/* The Cachet pusher, when configured: fed by the recorder, so only the lock holder pushes. */
static int cachet_start(struct ctl *c, char *err, size_t errlen)
{
	const struct ctl_cachet_cfg *cc = &c->cfg.cachet;
	struct cachet_component_cfg comps[CTL_CFG_MAX_CHAINS];
	char token[ADMIN_TOKEN_MAX + 1], why[256], map[CTL_CFG_PATH_MAX + 32];
	size_t token_len = 0;
	struct cachet_cfg cfg = {
	    .url = cc->url,
	    .token = token,
	    .map_path = map,
	    .components = comps,
	    .n = cc->n_components,
	};

	if (cc->url[0] == '\0' || c->rec == NULL)
		return 0;
	for (unsigned i = 0; i < cc->n_components; i++)
		comps[i] = (struct cachet_component_cfg){cc->chain[i], cc->component[i]};
	snprintf(map, sizeof(map), "%s/%s", c->cfg.spool_dir, CACHET_MAP_FILE);
	if (admin_token_load(cc->token_file, true, token, &token_len, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cachet.token_file: %s", why);
		return -1;
	}
	c->cachet = cachet_new(c->loop, &cfg, why, sizeof(why));
	explicit_bzero(token, sizeof(token));
	if (c->cachet == NULL) {
		snprintf(err, errlen, "cachet: %s", why);
		return -1;
	}
	recorder_set_hooks(
	    c->rec, &(struct recorder_hooks){cachet_chain_hook, cachet_incident_hook, c->cachet});
	log_info(MOD, "pushing to Cachet at %s (%u components) while holding the region's lock",
	         cc->url, cc->n_components);
	return 0;
}

/* The log listener, when the config has one; after the recorder, which takes its minutes. */
static int ingest_start(struct ctl *c, char *err, size_t errlen)
{
	struct ingest_cfg ic = {
	    .addr = &c->cfg.log_listen,
	    .group = c->cfg.log_socket_group,
	    .rcvbuf = c->cfg.log_rcvbuf,
	    .methods_file = c->cfg.methods_file,
	    .on_minute = usage_minute,
	    .ctx = c,
	};

	if (c->cfg.log_listen.len == 0)
		return 0;
	c->ingest = ingest_open(c->loop, &ic, err, errlen);
	return c->ingest != NULL ? 0 : -1;
}

int ctl_start(struct ctl *c, struct ev_loop *loop, struct ctl_cfg *cfg, const char *cfg_path,
              const struct status_ops *web, char *err, size_t errlen)
{
	struct recon *next[CTL_CFG_MAX_HAPROXY];

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	snprintf(c->cfg_path, sizeof(c->cfg_path), "%s", cfg_path);
	c->on_node_changed = log_node_changed;
	node_limits_from_cfg(&c->limits, &c->cfg);
	c->started_ms = pf_wall_ms();
	make_owner_id(c);
	c->chains = build_chains(&c->cfg, NULL, 0);
	c->n_chains = c->cfg.n_chains;
	c->poller = poller_new(loop);
	if (probes_start(c, err, errlen) == -1)
		goto fail;
	if (c->chains == NULL || c->poller == NULL || haproxy_prepare(c, &c->cfg, next) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	haproxy_commit(c, next);
	poller_set_max_connections(c->poller, max_connections(&c->cfg));
	if (poller_set_ca_file(c->poller, c->cfg.node_tls_ca_file) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->web = *web;
	c->web.page = page_render;
	if (admin_start(c, err, errlen) == -1)
		goto fail;
	c->http =
	    http_server_new(loop, &c->cfg.http_listen, admin_http_handler, c->admin, err, errlen);
	if (c->http == NULL)
		goto fail;
	if (c->cfg.database[0] != '\0') {
		struct recorder_cfg rc = {
		    .conninfo = c->cfg.database,
		    .password_file = c->cfg.database_password_file,
		    .spool_dir = c->cfg.spool_dir,
		    .region = c->cfg.region,
		    .controller = c->owner_id,
		    .usage_retention_days = c->cfg.usage_retention_days,
		};

		c->rec = recorder_open(loop, &rc, err, errlen);
		if (c->rec == NULL || reader_start(c, err, errlen) == -1 ||
		    cachet_start(c, err, errlen) == -1)
			goto fail;
	}
	if (ingest_start(c, err, errlen) == -1)
		goto fail;
	/* Read HAProxy first so the first decision starts from what it shows. */
	reconcile_all(c);
	ev_timer_init(&c->tick, on_tick, (double)c->cfg.interval_ms / 1000.0 / 4,
	              (double)c->cfg.interval_ms / 1000.0);
	ev_timer_start(loop, &c->tick);
	return 0;
fail:
	ctl_stop(c);
	return -1;
}

bool ctl_stop_begin(struct ctl *c)
{
	ev_timer_stop(c->loop, &c->tick);
	ingest_flush(c->ingest); /* the partial minute, before the recorder's last heartbeat */
	return recorder_quiesce(c->rec, pf_wall_ms());
}

bool ctl_flushed(const struct ctl *c)
{
	return recorder_drained(c->rec);
}

void ctl_stop(struct ctl *c)
{
	if (c->loop != NULL)
		ev_timer_stop(c->loop, &c->tick);
	ingest_close(c->ingest);
	c->ingest = NULL;
	recorder_set_hooks(c->rec, NULL);
	recorder_close(c->rec, pf_wall_ms());
	c->rec = NULL;
	cachet_free(c->cachet);
	c->cachet = NULL;
	status_reader_close(c->reader);
	c->reader = NULL;
	admin_stop(c);
	http_server_free(c->http);
	c->http = NULL;
	poller_free(c->poller);
	c->poller = NULL;
	prober_free(c->prober);
	c->prober = NULL;
	for (unsigned h = 0; h < c->n_haproxy; h++)
		recon_free(c->haproxy[h]);
	c->n_haproxy = 0;
	free_chains(c->chains, c->n_chains);
	c->chains = NULL;
	c->n_chains = 0;
	if (c->reload_pending)
		ctl_cfg_free(&c->next_cfg);
	ctl_cfg_free(&c->cfg);
}
