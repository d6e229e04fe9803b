/* SPDX-License-Identifier: MIT */
/*
 * The controller's rounds (see ctl.h). A round: the tick starts one poll per
 * node (a batch, or single calls for nodes that refuse batches, then the
 * finalized header when the finalized hash moved); when the last poll ends,
 * node_decide() runs per chain and each HAProxy instance is reconciled
 * (reconcile.c). Nothing here blocks; all I/O is on the loop.
 */
#include "ctl/ctl.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/file.h"
#include "common/log.h"
#include "ctl/hapi/hapi.h"
#include "ctl/hapi/reconcile.h"
#include "ctl/poll/poller.h"
#include "ctl/web/http.h"
#include "ctl/web/status.h"

#define MOD "ctl"

#define CTL_STATE_FILE_MAX (1u << 20) /* admin drains of 4,096 nodes with long reasons fit */

const double ctl_lat_bounds_ms[CTL_LAT_BUCKETS] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};

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

static void decide(struct ctl *c)
{
	int64_t now = pf_wall_ms();

	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		struct ctl_chain *chain = &c->chains[ch];
		struct node_poll *polls =
		    calloc(chain->n_nodes ? chain->n_nodes : 1, sizeof(*polls));
		struct node_track *tracks =
		    calloc(chain->n_nodes ? chain->n_nodes : 1, sizeof(*tracks));
		struct node_chain_params cp;
		bool conflict = chain->track.genesis_conflict;

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
		chain_params(c, ch, &cp);
		node_decide(&c->limits, &cp, &chain->track, polls, tracks, chain->n_nodes, now);
		if (chain->track.genesis_conflict && !conflict)
			log_warn(MOD,
			         "chain=%s nodes report different genesis hashes and none has a "
			         "majority: nobody is out for it; set \"genesis\" in the config",
			         chain->name);
		for (unsigned i = 0; i < chain->n_nodes; i++) {
			struct ctl_node *nd = chain->nodes[i];

			log_network(chain, nd, &tracks[i]);
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

int ctl_admin_drain(struct ctl *c, const char *name, bool drain, const char *reason)
{
	struct ctl_node *nd = ctl_find_node(c, name);

	if (nd == NULL)
		return -1;
	nd->track.admin_drain = drain;
	snprintf(nd->track.admin_reason, sizeof(nd->track.admin_reason), "%s",
	         drain ? (reason && *reason ? reason : "no reason given") : "");
	log_info(MOD, "chain=%s node=%s admin %s%s%s", nd->chain->name, nd->name,
	         drain ? "drain" : "undrain", drain ? ": " : "",
	         drain ? nd->track.admin_reason : "");
	(void)save_state(c);
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
	c->http = http_server_new(loop, &c->cfg.http_listen, status_http_handler, c, err, errlen);
	if (c->http == NULL)
		goto fail;
	load_state(c);
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
