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

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/file.h"
#include "common/log.h"
#include "ctl/hapi/reconcile.h"
#include "ctl/poll/poller.h"
#include "ctl/web/http.h"

#define MOD "ctl"

#define CTL_STATE_FILE_MAX (1u << 20) /* admin drains of 4,096 nodes with long reasons fit */

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

/* ---- the state file: admin drains survive restarts ---- */

static int save_state(struct ctl *c)
{
	char tmp[CTL_CFG_PATH_MAX + 8];
	cJSON *root = cJSON_CreateObject(), *drains = cJSON_AddObjectToObject(root, "admin_drains");
	char *text;
	FILE *f;
	int rc = -1;

	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			const struct ctl_node *nd = c->chains[ch].nodes[i];

			if (nd->track.admin_drain)
				cJSON_AddStringToObject(drains, nd->name, nd->track.admin_reason);
		}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->cfg.state_file);
	f = fopen(tmp, "w");
	if (f != NULL) {
		bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
		          fsync(fileno(f)) == 0;

		if (fclose(f) == 0 && ok && rename(tmp, c->cfg.state_file) == 0)
			rc = 0;
	}
	if (rc == -1)
		log_err(MOD,
		        "state file %s: cannot write: %s (admin drains will not survive a "
		        "restart)",
		        c->cfg.state_file, strerror(errno));
	free(text);
	return rc;
}

static void load_state(struct ctl *c)
{
	char err[CTL_CFG_PATH_MAX + 128];
	size_t n;
	char *buf = pf_read_file(c->cfg.state_file, CTL_STATE_FILE_MAX, &n, err, sizeof(err));
	cJSON *root, *drains, *it;

	if (buf == NULL) {
		if (errno != ENOENT)
			log_warn(MOD, "state file %s, admin drains not restored", err);
		return;
	}
	root = cJSON_ParseWithLength(buf, n);
	free(buf);
	drains = cJSON_GetObjectItemCaseSensitive(root, "admin_drains");
	if (root == NULL || !cJSON_IsObject(drains)) {
		log_warn(MOD, "state file %s: not a polkfura state file, ignored",
		         c->cfg.state_file);
		cJSON_Delete(root);
		return;
	}
	cJSON_ArrayForEach(it, drains)
	{
		struct ctl_node *nd = ctl_find_node(c, it->string);

		if (nd == NULL || !cJSON_IsString(it)) {
			log_warn(MOD, "state file: admin drain of unknown node %s dropped",
			         it->string);
			continue;
		}
		nd->track.admin_drain = true;
		snprintf(nd->track.admin_reason, sizeof(nd->track.admin_reason), "%s",
		         it->valuestring);
		log_info(MOD, "node=%s admin drain restored: %s", nd->name, it->valuestring);
	}
	cJSON_Delete(root);
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

	c->reload_pending = false;
	if (haproxy_prepare(c, &c->next_cfg, next) == -1)
		goto fail;
	chains = build_chains(&c->next_cfg, old, n_old);
	if (chains == NULL) {
		haproxy_discard(c, next, c->next_cfg.n_haproxy);
		goto fail;
	}
	detach_reused(old, n_old, chains, c->next_cfg.n_chains);
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
	c->reloads++;
	log_info(MOD, "reloaded %s: %u chains, %u nodes, %u haproxy", c->cfg_path, c->n_chains,
	         c->cfg.n_nodes, c->n_haproxy);
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
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		decide_chain(c, ch, now);
	c->first_decision_done = true;
	reconcile_all(c);
}

/* ---- admin, reload, lifecycle ---- */

int ctl_admin_drain(struct ctl *c, const char *name, bool drain, const char *reason)
{
	struct ctl_node *nd = ctl_find_node(c, name);

	if (nd == NULL)
		return -1;
	log_info(MOD, "chain=%s node=%s admin %s%s%s", nd->chain->name, nd->name,
	         drain ? "drain" : "undrain", drain ? ": " : "",
	         drain ? (reason && *reason ? reason : "no reason given") : "");
	/*
	 * A drain acts now rather than at the next round; node_decide() is not
	 * re-run (that would count this round's polls twice for rise/fall).
	 */
	if (node_admin(&nd->track, drain, reason, pf_wall_ms())) {
		node_changed(c, nd, CTL_CHANGE_ADMIN, false, false);
		reconcile_all(c);
	}
	(void)save_state(c);
	return 0;
}

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
	if (c->chains == NULL || c->poller == NULL || haproxy_prepare(c, &c->cfg, next) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	haproxy_commit(c, next);
	poller_set_max_connections(c->poller, max_connections(&c->cfg));
	c->web = *web;
	c->http =
	    http_server_new(loop, &c->cfg.http_listen, status_http_handler, &c->web, err, errlen);
	if (c->http == NULL)
		goto fail;
	load_state(c);
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

void ctl_stop(struct ctl *c)
{
	if (c->loop != NULL)
		ev_timer_stop(c->loop, &c->tick);
	http_server_free(c->http);
	c->http = NULL;
	poller_free(c->poller);
	c->poller = NULL;
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
