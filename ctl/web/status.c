/* SPDX-License-Identifier: MIT */
/*
 * Rendering of the controller's state (see status.h). JSON goes through
 * cJSON (not a hot path: a scrape or a status call); metrics are printf'd
 * into a growing buffer. The admin endpoints are web/admin.c's, in front
 * of status_http_handler.
 */
#include "ctl/web/status.h"

#include <stdarg.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/compiler.h"
#include "ctl/ctl.h"
#include "ctl/state.h"

static const char *node_state_label(const struct ctl_node *nd)
{
	if (nd->hand_maint)
		return "maint";
	return node_state_name(nd->track.state);
}

char *status_render_metrics(const struct ctl *c, size_t *len)
{
	struct pf_buf o = {0};
	static const char *const kinds[] = {"state", "weight", "addr", "shutdown_sessions"};
	_Static_assert(PF_ARRAY_SIZE(kinds) == CTL_CMD_COUNT, "a name per command kind");
	static const char *const errs[] = {"io",        "parse",   "refused",
	                                   "no_server", "no_slot", "busy"};

#define FAMILY(name, type, help)                                                                   \
	pf_buf_printf(&o, "# HELP " name " " help "\n# TYPE " name " " type "\n")
	FAMILY("polkfura_ctl_node_best_height", "gauge", "Best block the node reported.");
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			const struct ctl_node *nd = c->chains[ch].nodes[i];

			if (nd->poll.has_best)
				pf_buf_printf(
				    &o,
				    "polkfura_ctl_node_best_height{chain=\"%s\",node=\"%s\"} "
				    "%llu\n",
				    c->chains[ch].name, nd->name,
				    (unsigned long long)nd->poll.best);
		}
	FAMILY("polkfura_ctl_node_finalized_height", "gauge", "Finalized block the node reported.");
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			const struct ctl_node *nd = c->chains[ch].nodes[i];

			if (nd->poll.has_finalized)
				pf_buf_printf(
				    &o,
				    "polkfura_ctl_node_finalized_height{chain=\"%s\",node=\"%s\"} "
				    "%llu\n",
				    c->chains[ch].name, nd->name,
				    (unsigned long long)nd->poll.finalized);
		}
	FAMILY("polkfura_ctl_node_lag_blocks", "gauge",
	       "Blocks behind the chain's reference head.");
	FAMILY("polkfura_ctl_node_lag_seconds", "gauge",
	       "Seconds since the reference head passed the node's best block.");
	FAMILY("polkfura_ctl_node_peers", "gauge", "Peers the node reported.");
	FAMILY("polkfura_ctl_node_in_rotation", "gauge",
	       "1 when the node's server should be READY.");
	FAMILY("polkfura_ctl_node_admin_drain", "gauge", "1 when an admin drained the node.");
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			const struct ctl_node *nd = c->chains[ch].nodes[i];
			const char *cn = c->chains[ch].name;

			pf_buf_printf(
			    &o, "polkfura_ctl_node_lag_blocks{chain=\"%s\",node=\"%s\"} %llu\n", cn,
			    nd->name, (unsigned long long)nd->track.lag_blocks);
			pf_buf_printf(
			    &o, "polkfura_ctl_node_lag_seconds{chain=\"%s\",node=\"%s\"} %u\n", cn,
			    nd->name, nd->track.lag_seconds);
			pf_buf_printf(&o, "polkfura_ctl_node_peers{chain=\"%s\",node=\"%s\"} %u\n",
			              cn, nd->name, nd->poll.peers);
			pf_buf_printf(
			    &o, "polkfura_ctl_node_in_rotation{chain=\"%s\",node=\"%s\"} %d\n", cn,
			    nd->name, nd->track.state == NODE_READY && !nd->hand_maint);
			pf_buf_printf(
			    &o, "polkfura_ctl_node_admin_drain{chain=\"%s\",node=\"%s\"} %d\n", cn,
			    nd->name, nd->track.admin_drain);
		}
	FAMILY("polkfura_ctl_poll_latency_seconds", "histogram", "Node poll round-trip time.");
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			const struct ctl_node *nd = c->chains[ch].nodes[i];
			uint64_t cum = 0;

			for (unsigned b = 0; b <= CTL_LAT_BUCKETS; b++) {
				cum += nd->lat_hist[b];
				if (b < CTL_LAT_BUCKETS)
					pf_buf_printf(
					    &o,
					    "polkfura_ctl_poll_latency_seconds_bucket{chain=\"%s\","
					    "node=\"%s\",le=\"%g\"} %llu\n",
					    c->chains[ch].name, nd->name,
					    ctl_lat_bounds_ms[b] / 1000.0, (unsigned long long)cum);
				else
					pf_buf_printf(
					    &o,
					    "polkfura_ctl_poll_latency_seconds_bucket{chain=\"%s\","
					    "node=\"%s\",le=\"+Inf\"} %llu\n",
					    c->chains[ch].name, nd->name, (unsigned long long)cum);
			}
			pf_buf_printf(
			    &o,
			    "polkfura_ctl_poll_latency_seconds_sum{chain=\"%s\",node=\"%s\"} %.6f\n"
			    "polkfura_ctl_poll_latency_seconds_count{chain=\"%s\",node=\"%s\"} "
			    "%llu\n",
			    c->chains[ch].name, nd->name, nd->lat_sum_ms / 1000.0,
			    c->chains[ch].name, nd->name, (unsigned long long)nd->lat_count);
		}
	FAMILY("polkfura_ctl_poll_failures_total", "counter", "Failed polls by reason.");
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++) {
			const struct ctl_node *nd = c->chains[ch].nodes[i];

			for (unsigned e = 1; e < NODE_POLL_ERR_COUNT; e++)
				pf_buf_printf(
				    &o,
				    "polkfura_ctl_poll_failures_total{chain=\"%s\",node=\"%s\","
				    "reason=\"%s\"} %llu\n",
				    c->chains[ch].name, nd->name,
				    node_poll_err_name((enum node_poll_err)e),
				    (unsigned long long)nd->poll_failures[e]);
		}
	FAMILY("polkfura_ctl_chain_reference_height", "gauge",
	       "Height at least two reachable nodes reached.");
	FAMILY("polkfura_ctl_chain_stalled", "gauge", "1 while no node of the chain advances.");
	FAMILY("polkfura_ctl_chain_ready_nodes", "gauge", "Nodes in rotation.");
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		const struct ctl_chain *chain = &c->chains[ch];
		unsigned ready = 0;

		for (unsigned i = 0; i < chain->n_nodes; i++)
			ready += chain->nodes[i]->track.state == NODE_READY &&
			         !chain->nodes[i]->hand_maint;
		pf_buf_printf(&o, "polkfura_ctl_chain_reference_height{chain=\"%s\"} %llu\n",
		              chain->name, (unsigned long long)chain->track.ref_best);
		pf_buf_printf(&o, "polkfura_ctl_chain_stalled{chain=\"%s\"} %d\n", chain->name,
		              chain->track.stalled);
		pf_buf_printf(&o, "polkfura_ctl_chain_ready_nodes{chain=\"%s\"} %u\n", chain->name,
		              ready);
	}
	FAMILY("polkfura_ctl_reconcile_actions_total", "counter",
	       "Runtime API commands HAProxy accepted, by kind.");
	FAMILY("polkfura_ctl_reconcile_errors_total", "counter",
	       "Reconciliation errors by reason.");
	FAMILY("polkfura_ctl_haproxy_up", "gauge", "1 when the last runtime API exchange worked.");
	FAMILY("polkfura_ctl_haproxy_restarts_total", "counter",
	       "HAProxy restarts or reloads seen (pid or uptime changed).");
	for (unsigned h = 0; h < c->n_haproxy; h++) {
		const struct ctl_haproxy *hp = &c->haproxy[h];

		for (unsigned k = 0; k < PF_ARRAY_SIZE(kinds); k++)
			pf_buf_printf(
			    &o,
			    "polkfura_ctl_reconcile_actions_total{haproxy=\"%s\",kind=\"%s\"} "
			    "%llu\n",
			    hp->name, kinds[k], (unsigned long long)hp->actions[k]);
		for (unsigned e = 0; e < CTL_ERR_COUNT; e++)
			pf_buf_printf(
			    &o,
			    "polkfura_ctl_reconcile_errors_total{haproxy=\"%s\",reason=\"%s\"} "
			    "%llu\n",
			    hp->name, errs[e], (unsigned long long)hp->errors[e]);
		pf_buf_printf(&o, "polkfura_ctl_haproxy_up{haproxy=\"%s\"} %d\n", hp->name,
		              hp->up && hp->has_info);
		pf_buf_printf(&o, "polkfura_ctl_haproxy_restarts_total{haproxy=\"%s\"} %llu\n",
		              hp->name, (unsigned long long)hp->restarts);
	}
	FAMILY("polkfura_ctl_rounds_total", "counter", "Poll rounds started.");
	pf_buf_printf(&o, "polkfura_ctl_rounds_total %llu\n", (unsigned long long)c->rounds);
	FAMILY("polkfura_ctl_round_duration_seconds", "gauge",
	       "How long the last round's polls took.");
	pf_buf_printf(&o, "polkfura_ctl_round_duration_seconds %.6f\n", c->last_round_ms / 1000.0);
	FAMILY("polkfura_ctl_reloads_total", "counter", "Config reloads accepted.");
	pf_buf_printf(&o, "polkfura_ctl_reloads_total %llu\n", (unsigned long long)c->reloads);
	FAMILY("polkfura_ctl_reload_failures_total", "counter", "Config reloads refused.");
	pf_buf_printf(&o, "polkfura_ctl_reload_failures_total %llu\n",
	              (unsigned long long)c->reload_failures);
#undef FAMILY
	return pf_buf_take(&o, len);
}

char *status_render_json(const struct ctl *c)
{
	cJSON *root = cJSON_CreateObject(), *chains, *haps;
	char *text;

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "region", c->cfg.region);
	cJSON_AddNumberToObject(root, "now_ms", (double)pf_wall_ms());
	cJSON_AddNumberToObject(root, "rounds", (double)c->rounds);
	chains = cJSON_AddArrayToObject(root, "chains");
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		const struct ctl_chain *chain = &c->chains[ch];
		cJSON *cj = cJSON_CreateObject(), *nodes;

		cJSON_AddItemToArray(chains, cj);
		cJSON_AddStringToObject(cj, "name", chain->name);
		cJSON_AddStringToObject(cj, "backend", chain->backend);
		cJSON_AddNumberToObject(cj, "reference_best", (double)chain->track.ref_best);
		cJSON_AddNumberToObject(cj, "reference_finalized",
		                        (double)chain->track.ref_finalized);
		cJSON_AddBoolToObject(cj, "stalled", chain->track.stalled);
		nodes = cJSON_AddArrayToObject(cj, "nodes");
		for (unsigned i = 0; i < chain->n_nodes; i++) {
			const struct ctl_node *nd = chain->nodes[i];
			cJSON *nj = cJSON_CreateObject();

			cJSON_AddItemToArray(nodes, nj);
			cJSON_AddStringToObject(nj, "name", nd->name);
			cJSON_AddStringToObject(nj, "server", nd->server);
			cJSON_AddStringToObject(nj, "state", node_state_label(nd));
			cJSON_AddStringToObject(nj, "why",
			                        nd->hand_maint ? "maint by hand (left alone)"
			                                       : nd->track.why);
			cJSON_AddBoolToObject(nj, "reachable", nd->track.reachable);
			cJSON_AddBoolToObject(nj, "admin_drain", nd->track.admin_drain);
			/* web/admin: who drained it, from where, when (ctl/state.h). */
			{
				const struct state_entry *ae = state_find(c->state, nd->name);
				char by[STATE_BY_MAX + STATE_PEER_MAX + 8];

				if (ae != NULL) {
					snprintf(by, sizeof(by), "%s from %s",
					         ae->by[0] ? ae->by : "?",
					         ae->peer[0] ? ae->peer : "?");
					cJSON_AddStringToObject(nj, "admin_by", by);
					cJSON_AddNumberToObject(nj, "admin_at_ms",
					                        (double)ae->at_ms);
				}
			}
			cJSON_AddBoolToObject(nj, "kept_in", nd->track.kept_in);
			if (nd->poll.has_best)
				cJSON_AddNumberToObject(nj, "best", (double)nd->poll.best);
			if (nd->poll.has_finalized)
				cJSON_AddNumberToObject(nj, "finalized",
				                        (double)nd->poll.finalized);
			cJSON_AddNumberToObject(nj, "lag_blocks", (double)nd->track.lag_blocks);
			cJSON_AddNumberToObject(nj, "lag_seconds", nd->track.lag_seconds);
			if (nd->poll.has_health) {
				cJSON_AddNumberToObject(nj, "peers", nd->poll.peers);
				cJSON_AddBoolToObject(nj, "syncing", nd->poll.syncing);
			}
			cJSON_AddNumberToObject(nj, "poll_ms", nd->poll.latency_ms);
			cJSON_AddStringToObject(nj, "poll", node_poll_err_name(nd->poll.err));
			cJSON_AddNumberToObject(nj, "since_ms", (double)nd->track.since_ms);
		}
	}
	haps = cJSON_AddArrayToObject(root, "haproxy");
	for (unsigned h = 0; h < c->n_haproxy; h++) {
		const struct ctl_haproxy *hp = &c->haproxy[h];
		cJSON *hj = cJSON_CreateObject();

		cJSON_AddItemToArray(haps, hj);
		cJSON_AddStringToObject(hj, "socket", hp->name);
		cJSON_AddBoolToObject(hj, "up", hp->up && hp->has_info);
		if (hp->has_info) {
			cJSON_AddNumberToObject(hj, "pid", (double)hp->info.pid);
			cJSON_AddNumberToObject(hj, "uptime_sec", (double)hp->info.uptime_sec);
			cJSON_AddStringToObject(hj, "version", hp->info.version);
		}
		cJSON_AddStringToObject(hj, "last_error", hp->last_error);
		cJSON_AddNumberToObject(hj, "restarts", (double)hp->restarts);
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

static void reply_text(struct http_reply *out, unsigned status, const char *ct, const char *text)
{
	out->status = status;
	out->content_type = ct;
	out->body = strdup(text);
	out->len = out->body != NULL ? strlen(out->body) : 0;
}

void status_http_handler(void *ctx, const struct http_request *req, struct http_reply *out)
{
	struct ctl *c = ctx;
	const char *url = req->url;
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	bool post = strcmp(req->method, "POST") == 0;

	if (get && strcmp(url, "/metrics") == 0) {
		out->status = 200;
		out->content_type = "text/plain; version=0.0.4";
		out->body = status_render_metrics(c, &out->len);
		if (out->body == NULL)
			reply_text(out, 500, "text/plain", "out of memory\n");
	} else if (get && strcmp(url, "/status.json") == 0) {
		out->status = 200;
		out->content_type = "application/json";
		out->body = status_render_json(c);
		out->len = out->body != NULL ? strlen(out->body) : 0;
		if (out->body == NULL)
			reply_text(out, 500, "text/plain", "out of memory\n");
	} else if (get && strcmp(url, "/healthz") == 0) {
		/* Alive and polling: the loop answered, and rounds happen. */
		reply_text(out, c->rounds > 0 ? 200 : 503, "text/plain",
		           c->rounds > 0 ? "ok\n" : "starting\n");
	} else if (get || post) {
		reply_text(out, 404, "text/plain",
		           "not found: /metrics /status.json /healthz, POST /admin/drain "
		           "/admin/undrain\n");
	} else {
		reply_text(out, 405, "text/plain", "method not allowed\n");
	}
}

static void fmt_since(char *buf, size_t len, double since_ms, int64_t now_ms)
{
	double s = since_ms > 0 ? ((double)now_ms - since_ms) / 1000.0 : -1;

	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
}

static double num(const cJSON *o, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

int status_print_table(const char *json, size_t len, int64_t now_ms, FILE *out, char *err,
                       size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *chains = cJSON_GetObjectItemCaseSensitive(root, "chains"), *ch, *nd;

	if (!cJSON_IsArray(chains)) {
		snprintf(err, errlen, "not a polkfura-ctl status document");
		cJSON_Delete(root);
		return -1;
	}
	fprintf(out, "%-10s %-16s %-6s %-10s %-10s %-6s %-6s %-8s %-7s %s\n", "CHAIN", "NODE",
	        "STATE", "BEST", "FINALIZED", "LAG", "PEERS", "POLL", "SINCE", "WHY");
	cJSON_ArrayForEach(ch, chains)
	{
		const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(ch, "nodes");

		cJSON_ArrayForEach(nd, nodes)
		{
			char best[24] = "-", fin[24] = "-", peers[16] = "-", since[16], poll[16];
			double b = num(nd, "best", -1), f = num(nd, "finalized", -1);

			if (b >= 0)
				snprintf(best, sizeof(best), "%.0f", b);
			if (f >= 0)
				snprintf(fin, sizeof(fin), "%.0f", f);
			if (num(nd, "peers", -1) >= 0)
				snprintf(peers, sizeof(peers), "%.0f", num(nd, "peers", 0));
			if (strcmp(str(nd, "poll"), "ok") == 0)
				snprintf(poll, sizeof(poll), "%.0fms", num(nd, "poll_ms", 0));
			else
				snprintf(poll, sizeof(poll), "%s", str(nd, "poll"));
			fmt_since(since, sizeof(since), num(nd, "since_ms", 0), now_ms);
			fprintf(out, "%-10s %-16s %-6s %-10s %-10s %-6.0f %-6s %-8s %-7s %s\n",
			        str(ch, "name"), str(nd, "name"), str(nd, "state"), best, fin,
			        num(nd, "lag_blocks", 0), peers, poll, since, str(nd, "why"));
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ch, "stalled")))
			fprintf(out, "%-10s chain stalled at %.0f\n", str(ch, "name"),
			        num(ch, "reference_best", 0));
	}
	cJSON_Delete(root);
	return 0;
}
