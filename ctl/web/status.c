/* SPDX-License-Identifier: MIT */
/*
 * Rendering of the controller's view (see status.h). JSON goes through
 * cJSON (not a hot path: a scrape or a status call); metrics are printed
 * into a growing buffer. The admin endpoints take a small JSON body
 * {"node": "...", "reason": "..."} and answer JSON.
 */
#include "ctl/web/status.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/compiler.h"

const double status_lat_bounds_ms[STATUS_LAT_BUCKETS] = {5,   10,  25,   50,   100,
                                                         250, 500, 1000, 2500, 5000};

/* Label of every (chain, node) series. */
#define NODE_LABELS "chain=\"%s\",node=\"%s\""

#define FAMILY(name, type, help)                                                                   \
	pf_buf_printf(o, "# HELP " name " " help "\n# TYPE " name " " type "\n")
#define EACH_NODE(body)                                                                            \
	for (unsigned c = 0; c < v->n_chains; c++)                                                 \
		for (unsigned i = 0; i < v->chains[c].n_nodes; i++) {                              \
			const struct status_chain *ch = &v->chains[c];                             \
			const struct status_node *nd = &ch->nodes[i];                              \
			body                                                                       \
		}

static void metrics_node_heights(struct pf_buf *o, const struct status_view *v)
{
	FAMILY("polkfura_ctl_node_best_height", "gauge", "Best block the node reported.");
	EACH_NODE(if (nd->has_best)
	              pf_buf_printf(o, "polkfura_ctl_node_best_height{" NODE_LABELS "} %llu\n",
	                            ch->name, nd->name, (unsigned long long)nd->best);)
	FAMILY("polkfura_ctl_node_finalized_height", "gauge", "Finalized block the node reported.");
	EACH_NODE(if (nd->has_finalized)
	              pf_buf_printf(o, "polkfura_ctl_node_finalized_height{" NODE_LABELS "} %llu\n",
	                            ch->name, nd->name, (unsigned long long)nd->finalized);)
	FAMILY("polkfura_ctl_node_lag_blocks", "gauge",
	       "Blocks behind the chain's reference head.");
	EACH_NODE(pf_buf_printf(o, "polkfura_ctl_node_lag_blocks{" NODE_LABELS "} %llu\n", ch->name,
	                        nd->name, (unsigned long long)nd->lag_blocks);)
	FAMILY("polkfura_ctl_node_lag_seconds", "gauge",
	       "Seconds since the reference head passed the node's best block.");
	EACH_NODE(pf_buf_printf(o, "polkfura_ctl_node_lag_seconds{" NODE_LABELS "} %u\n", ch->name,
	                        nd->name, nd->lag_seconds);)
	FAMILY("polkfura_ctl_node_peers", "gauge", "Peers the node reported.");
	EACH_NODE(pf_buf_printf(o, "polkfura_ctl_node_peers{" NODE_LABELS "} %u\n", ch->name,
	                        nd->name, nd->peers);)
}

static void metrics_node_state(struct pf_buf *o, const struct status_view *v)
{
	FAMILY("polkfura_ctl_node_in_rotation", "gauge",
	       "1 when the controller decided the node should be READY.");
	EACH_NODE(pf_buf_printf(o, "polkfura_ctl_node_in_rotation{" NODE_LABELS "} %d\n", ch->name,
	                        nd->name, strcmp(nd->state, "ready") == 0);)
	FAMILY("polkfura_ctl_node_admin_drain", "gauge", "1 when an admin drained the node.");
	EACH_NODE(pf_buf_printf(o, "polkfura_ctl_node_admin_drain{" NODE_LABELS "} %d\n", ch->name,
	                        nd->name, nd->admin_drain);)
	FAMILY("polkfura_ctl_node_haproxy_in_rotation", "gauge",
	       "1 when this HAProxy instance shows the node's server READY and up.");
	EACH_NODE(for (unsigned h = 0; h < v->n_haproxy; h++) {
		const struct status_server *s = &nd->servers[h];

		pf_buf_printf(
		    o, "polkfura_ctl_node_haproxy_in_rotation{haproxy=\"%s\"," NODE_LABELS "} %d\n",
		    v->haproxy[h].name, ch->name, nd->name,
		    s->present && strcmp(s->state, "ready") == 0 && s->up);
	})
	FAMILY("polkfura_ctl_node_haproxy_differs", "gauge",
	       "1 when this HAProxy instance does not show what the controller decided.");
	EACH_NODE(for (unsigned h = 0; h < v->n_haproxy; h++) pf_buf_printf(
	              o, "polkfura_ctl_node_haproxy_differs{haproxy=\"%s\"," NODE_LABELS "} %d\n",
	              v->haproxy[h].name, ch->name, nd->name, nd->servers[h].differs);)
}

static void metrics_node_polls(struct pf_buf *o, const struct status_view *v)
{
	FAMILY("polkfura_ctl_poll_latency_seconds", "histogram", "Node poll round-trip time.");
	EACH_NODE(uint64_t cum = 0; for (unsigned b = 0; b <= STATUS_LAT_BUCKETS; b++) {
		cum += nd->lat_hist[b];
		if (b < STATUS_LAT_BUCKETS)
			pf_buf_printf(o,
			              "polkfura_ctl_poll_latency_seconds_bucket{" NODE_LABELS
			              ",le=\"%g\"} %llu\n",
			              ch->name, nd->name, status_lat_bounds_ms[b] / 1000.0,
			              (unsigned long long)cum);
		else
			pf_buf_printf(o,
			              "polkfura_ctl_poll_latency_seconds_bucket{" NODE_LABELS
			              ",le=\"+Inf\"} %llu\n",
			              ch->name, nd->name, (unsigned long long)cum);
	} pf_buf_printf(o,
	                "polkfura_ctl_poll_latency_seconds_sum{" NODE_LABELS "} %.6f\n"
	                "polkfura_ctl_poll_latency_seconds_count{" NODE_LABELS "} %llu\n",
	                ch->name, nd->name, nd->lat_sum_ms / 1000.0, ch->name, nd->name,
	                (unsigned long long)nd->lat_count);)
	FAMILY("polkfura_ctl_poll_failures_total", "counter", "Failed polls by reason.");
	EACH_NODE(for (unsigned e = 1; e < NODE_POLL_ERR_COUNT; e++) pf_buf_printf(
	              o, "polkfura_ctl_poll_failures_total{" NODE_LABELS ",reason=\"%s\"} %llu\n",
	              ch->name, nd->name, node_poll_err_name((enum node_poll_err)e),
	              (unsigned long long)nd->poll_failures[e]);)
}
#undef EACH_NODE

static void metrics_nodes(struct pf_buf *o, const struct status_view *v)
{
	metrics_node_heights(o, v);
	metrics_node_state(o, v);
	metrics_node_polls(o, v);
}

static unsigned ready_nodes(const struct status_chain *ch)
{
	unsigned ready = 0;

	for (unsigned i = 0; i < ch->n_nodes; i++)
		ready += strcmp(ch->nodes[i].state, "ready") == 0;
	return ready;
}

#define EACH_CHAIN(body)                                                                           \
	for (unsigned c = 0; c < v->n_chains; c++) {                                               \
		const struct status_chain *ch = &v->chains[c];                                     \
		body                                                                               \
	}

static void metrics_chains(struct pf_buf *o, const struct status_view *v)
{
	FAMILY("polkfura_ctl_chain_reference_height", "gauge",
	       "Reference head: the nodes' vote, or a lone node above it once the others stopped.");
	EACH_CHAIN(pf_buf_printf(o, "polkfura_ctl_chain_reference_height{chain=\"%s\"} %llu\n",
	                         ch->name, (unsigned long long)ch->ref_best);)
	FAMILY("polkfura_ctl_chain_stalled", "gauge", "1 while no node of the chain advances.");
	EACH_CHAIN(pf_buf_printf(o, "polkfura_ctl_chain_stalled{chain=\"%s\"} %d\n", ch->name,
	                         ch->stalled);)
	FAMILY("polkfura_ctl_chain_ready_nodes", "gauge", "Nodes the controller decided READY.");
	EACH_CHAIN(pf_buf_printf(o, "polkfura_ctl_chain_ready_nodes{chain=\"%s\"} %u\n", ch->name,
	                         ready_nodes(ch));)
}
#undef EACH_CHAIN

#define EACH_HAPROXY(body)                                                                         \
	for (unsigned h = 0; h < v->n_haproxy; h++) {                                              \
		const struct status_haproxy *hp = &v->haproxy[h];                                  \
		body                                                                               \
	}

/* One family of one value per HAProxy instance: <name>{haproxy="..."} <value>. */
#define HAPROXY_FAMILY(fam, type, help, fmt, value)                                                \
	do {                                                                                       \
		FAMILY(fam, type, help);                                                           \
		EACH_HAPROXY(pf_buf_printf(o, fam "{haproxy=\"%s\"} " fmt "\n", hp->name, value);) \
	} while (0)

/* What the controller did to each instance. */
static void metrics_reconcile(struct pf_buf *o, const struct status_view *v)
{
	static const char *const kinds[STATUS_ACT_KINDS] = {"state", "weight", "addr",
	                                                    "shutdown_sessions"};
	static const char *const errs[STATUS_ERR_KINDS] = {"io",        "parse",   "refused",
	                                                   "no_server", "no_slot", "busy"};

	FAMILY("polkfura_ctl_reconcile_actions_total", "counter",
	       "Runtime API commands HAProxy accepted, by kind.");
	EACH_HAPROXY(for (unsigned k = 0; k < STATUS_ACT_KINDS; k++) pf_buf_printf(
	                 o,
	                 "polkfura_ctl_reconcile_actions_total{haproxy=\"%s\",kind=\"%s\"} %llu\n",
	                 hp->name, kinds[k], (unsigned long long)hp->actions[k]);)
	FAMILY("polkfura_ctl_reconcile_errors_total", "counter",
	       "Reconciliation errors by reason.");
	EACH_HAPROXY(for (unsigned e = 0; e < STATUS_ERR_KINDS; e++) pf_buf_printf(
	                 o,
	                 "polkfura_ctl_reconcile_errors_total{haproxy=\"%s\",reason=\"%s\"} %llu\n",
	                 hp->name, errs[e], (unsigned long long)hp->errors[e]);)
	HAPROXY_FAMILY("polkfura_ctl_reconcile_last_success_timestamp_seconds", "gauge",
	               "When the last round on this instance that ended without error began "
	               "(read, and written when this controller holds the claim); 0 before the "
	               "first.",
	               "%.3f", (double)hp->last_ok_ms / 1000.0);
}

/* What each instance shows. */
static void metrics_haproxy(struct pf_buf *o, const struct status_view *v)
{
	HAPROXY_FAMILY("polkfura_ctl_haproxy_up", "gauge",
	               "1 when the last runtime API exchange worked.", "%d",
	               hp->up && hp->has_info);
	HAPROXY_FAMILY("polkfura_ctl_haproxy_restarts_total", "counter",
	               "HAProxy restarts or reloads seen (pid or uptime changed).", "%llu",
	               (unsigned long long)hp->restarts);
	HAPROXY_FAMILY("polkfura_ctl_haproxy_standby", "gauge",
	               "1 while another controller holds this instance's write claim.", "%d",
	               hp->standby);
	HAPROXY_FAMILY(
	    "polkfura_ctl_haproxy_config_problems", "gauge",
	    "What the instance's config lacks for the controller's config (see the log).", "%zu",
	    hp->problems);
	HAPROXY_FAMILY("polkfura_ctl_haproxy_state_file_writes_total", "counter",
	               "Writes of HAProxy's server-state file.", "%llu",
	               (unsigned long long)hp->state_file_writes);
	HAPROXY_FAMILY("polkfura_ctl_haproxy_state_file_errors_total", "counter",
	               "Failed writes of HAProxy's server-state file (retried every round).",
	               "%llu", (unsigned long long)hp->state_file_errors);
}
#undef HAPROXY_FAMILY
#undef EACH_HAPROXY

/* <s> as a Prometheus label value ('\\', '"' and newlines escaped) into <out>, cut to fit. */
static const char *label(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s != '\0' && n + 3 < outlen; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[n++] = '\\';
			out[n++] = *s == '\n' ? 'n' : *s;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

#define PROBE_LABELS "region=\"%s\",chain=\"%s\",url=\"%s\""

/* The other regions' edges: reachability (absent while unknown), probes, failures, duration. */
static void metrics_probes(struct pf_buf *o, const struct status_view *v)
{
	char url[2 * 256 + 1];

#define EACH_PROBE(body)                                                                           \
	for (unsigned i = 0; i < v->n_probes; i++) {                                               \
		const struct status_probe *pr = &v->probes[i];                                     \
                                                                                                   \
		label(pr->url, url, sizeof(url));                                                  \
		body                                                                               \
	}
	FAMILY(
	    "polkfura_ctl_probe_reachable", "gauge",
	    "1 when another region's edge answers the probe as a user there would see it; absent "
	    "until the first decision.");
	EACH_PROBE(if (strcmp(pr->state, "unknown") != 0) pf_buf_printf(
	               o, "polkfura_ctl_probe_reachable{" PROBE_LABELS "} %d\n", pr->region,
	               pr->chain, url, strcmp(pr->state, "reachable") == 0);)
	FAMILY("polkfura_ctl_probes_total", "counter", "Probes of another region's edge.");
	EACH_PROBE(pf_buf_printf(o, "polkfura_ctl_probes_total{" PROBE_LABELS "} %llu\n",
	                         pr->region, pr->chain, url, (unsigned long long)pr->probes);)
	FAMILY("polkfura_ctl_probe_failures_total", "counter",
	       "Probes that did not get HTTP 200 (error, timeout, TLS, other status).");
	EACH_PROBE(pf_buf_printf(o, "polkfura_ctl_probe_failures_total{" PROBE_LABELS "} %llu\n",
	                         pr->region, pr->chain, url, (unsigned long long)pr->failures);)
	FAMILY("polkfura_ctl_probe_duration_seconds", "gauge", "How long the latest probe took.");
	EACH_PROBE(pf_buf_printf(o, "polkfura_ctl_probe_duration_seconds{" PROBE_LABELS "} %.6f\n",
	                         pr->region, pr->chain, url, pr->last_ms / 1000.0);)
#undef EACH_PROBE
}

/* The recording, so an SRE can alert on it: nothing at all without a database. */
static void metrics_db(struct pf_buf *o, const struct status_view *v)
{
	const struct status_db *d = &v->db;

	if (!v->has_db)
		return;
	FAMILY("polkfura_ctl_db_connected", "gauge", "1 while connected to the database.");
	pf_buf_printf(o, "polkfura_ctl_db_connected %d\n", d->connected);
	FAMILY("polkfura_ctl_db_lock_holder", "gauge",
	       "1 when this controller holds the region's lock, or held it last while the "
	       "database is away.");
	pf_buf_printf(o, "polkfura_ctl_db_lock_holder %d\n", d->holder);
	FAMILY("polkfura_ctl_db_recording", "gauge",
	       "1 while a session is open: states, incidents and samples are recorded.");
	pf_buf_printf(o, "polkfura_ctl_db_recording %d\n", d->recording);
	FAMILY("polkfura_ctl_db_records_total", "counter",
	       "Records put to the writer, written (acknowledged), lost (the spool could not be "
	       "written) and rejected (refused by the database for good).");
	pf_buf_printf(o,
	              "polkfura_ctl_db_records_total{result=\"put\"} %llu\n"
	              "polkfura_ctl_db_records_total{result=\"written\"} %llu\n"
	              "polkfura_ctl_db_records_total{result=\"lost\"} %llu\n"
	              "polkfura_ctl_db_records_total{result=\"rejected\"} %llu\n",
	              (unsigned long long)d->put, (unsigned long long)d->written,
	              (unsigned long long)d->lost, (unsigned long long)d->rejected);
	FAMILY("polkfura_ctl_db_outages_total", "counter",
	       "Database outages: connection lost or never made, once each.");
	pf_buf_printf(o, "polkfura_ctl_db_outages_total %llu\n", (unsigned long long)d->outages);
	FAMILY("polkfura_ctl_db_pending_records", "gauge",
	       "Records put and not yet acknowledged by the database (in the spool).");
	pf_buf_printf(o, "polkfura_ctl_db_pending_records %llu\n", (unsigned long long)d->pending);
	FAMILY("polkfura_ctl_db_spool_bytes", "gauge", "Size of the spool file.");
	pf_buf_printf(o, "polkfura_ctl_db_spool_bytes %llu\n", (unsigned long long)d->spool_bytes);
	FAMILY("polkfura_ctl_db_open_incidents", "gauge",
	       "Incidents this controller has open for its region.");
	pf_buf_printf(o, "polkfura_ctl_db_open_incidents %u\n", d->open_incidents);
}

char *status_render_metrics(const struct status_view *v, size_t *len)
{
	struct pf_buf buf = {0}, *o = &buf;

	metrics_nodes(o, v);
	metrics_chains(o, v);
	metrics_reconcile(o, v);
	metrics_haproxy(o, v);
	metrics_probes(o, v);
	metrics_db(o, v);
	FAMILY("polkfura_ctl_rounds_total", "counter", "Poll rounds started.");
	pf_buf_printf(o, "polkfura_ctl_rounds_total %llu\n", (unsigned long long)v->rounds);
	FAMILY("polkfura_ctl_round_duration_seconds", "gauge",
	       "How long the last round's polls took.");
	pf_buf_printf(o, "polkfura_ctl_round_duration_seconds %.6f\n", v->last_round_ms / 1000.0);
	FAMILY("polkfura_ctl_reloads_total", "counter", "Config reloads accepted.");
	pf_buf_printf(o, "polkfura_ctl_reloads_total %llu\n", (unsigned long long)v->reloads);
	FAMILY("polkfura_ctl_reload_failures_total", "counter", "Config reloads refused.");
	pf_buf_printf(o, "polkfura_ctl_reload_failures_total %llu\n",
	              (unsigned long long)v->reload_failures);
	FAMILY("polkfura_ctl_state_file_errors_total", "counter",
	       "Failed writes of the controller's state file: each was an admin drain or "
	       "undrain refused, nothing changed.");
	pf_buf_printf(o, "polkfura_ctl_state_file_errors_total %llu\n",
	              (unsigned long long)v->state_file_errors);
	FAMILY("polkfura_ctl_build_info", "gauge", "The controller's version; always 1.");
	pf_buf_printf(o, "polkfura_ctl_build_info{version=\"%s\"} 1\n",
	              v->version != NULL ? v->version : "unknown");
	if (v->has_proc) {
		char proc[2048];
		size_t n = pf_proc_format(&v->proc, proc, sizeof(proc));

		pf_buf_append(o, proc, n < sizeof(proc) ? n : sizeof(proc) - 1);
	}
	if (v->more_metrics != NULL)
		v->more_metrics(v->more_metrics_ctx, o);
	return pf_buf_take(o, len);
}
#undef FAMILY

static void json_node(cJSON *nodes, const struct status_view *v, const struct status_node *nd)
{
	cJSON *nj = cJSON_CreateObject(), *haps;

	cJSON_AddItemToArray(nodes, nj);
	cJSON_AddStringToObject(nj, "name", nd->name);
	cJSON_AddStringToObject(nj, "state", nd->state);
	cJSON_AddStringToObject(nj, "why", nd->why);
	cJSON_AddBoolToObject(nj, "reachable", nd->reachable);
	cJSON_AddBoolToObject(nj, "admin_drain", nd->admin_drain);
	if (nd->admin_by != NULL) {
		cJSON_AddStringToObject(nj, "admin_by", nd->admin_by);
		cJSON_AddNumberToObject(nj, "admin_at_ms", (double)nd->admin_at_ms);
	}
	cJSON_AddBoolToObject(nj, "kept_in", nd->kept_in);
	cJSON_AddBoolToObject(nj, "foreign", nd->foreign);
	cJSON_AddBoolToObject(nj, "implausible", nd->implausible);
	cJSON_AddBoolToObject(nj, "stuck", nd->stuck);
	if (nd->has_best)
		cJSON_AddNumberToObject(nj, "best", (double)nd->best);
	if (nd->has_finalized)
		cJSON_AddNumberToObject(nj, "finalized", (double)nd->finalized);
	cJSON_AddNumberToObject(nj, "lag_blocks", (double)nd->lag_blocks);
	cJSON_AddNumberToObject(nj, "lag_seconds", nd->lag_seconds);
	if (nd->has_health) {
		cJSON_AddNumberToObject(nj, "peers", nd->peers);
		cJSON_AddBoolToObject(nj, "syncing", nd->syncing);
	}
	cJSON_AddNumberToObject(nj, "poll_ms", nd->poll_ms);
	cJSON_AddStringToObject(nj, "poll", nd->poll);
	cJSON_AddNumberToObject(nj, "since_ms", (double)nd->since_ms);
	haps = cJSON_AddArrayToObject(nj, "haproxy");
	for (unsigned h = 0; h < v->n_haproxy; h++) {
		const struct status_server *s = &nd->servers[h];
		cJSON *sj = cJSON_CreateObject();

		cJSON_AddItemToArray(haps, sj);
		cJSON_AddStringToObject(sj, "socket", v->haproxy[h].name);
		cJSON_AddStringToObject(sj, "server", s->server);
		cJSON_AddStringToObject(sj, "state", s->state);
		cJSON_AddBoolToObject(sj, "up", s->up);
		cJSON_AddBoolToObject(sj, "hand_maint", s->hand_maint);
		cJSON_AddBoolToObject(sj, "differs", s->differs);
	}
}

static void json_probes(cJSON *root, const struct status_view *v)
{
	cJSON *probes = cJSON_AddArrayToObject(root, "probes");

	for (unsigned i = 0; i < v->n_probes; i++) {
		const struct status_probe *pr = &v->probes[i];
		cJSON *pj = cJSON_CreateObject();

		cJSON_AddItemToArray(probes, pj);
		cJSON_AddStringToObject(pj, "region", pr->region);
		cJSON_AddStringToObject(pj, "chain", pr->chain);
		cJSON_AddStringToObject(pj, "url", pr->url);
		cJSON_AddStringToObject(pj, "state", pr->state);
		cJSON_AddStringToObject(pj, "why", pr->why);
		cJSON_AddStringToObject(pj, "last", pr->last);
		cJSON_AddNumberToObject(pj, "since_ms", (double)pr->since_ms);
		cJSON_AddNumberToObject(pj, "probes", (double)pr->probes);
		cJSON_AddNumberToObject(pj, "failures", (double)pr->failures);
		cJSON_AddNumberToObject(pj, "last_ms", pr->last_ms);
	}
}

/* "database": the recording's facts, or null without a database. */
static void json_db(cJSON *root, const struct status_view *v)
{
	const struct status_db *d = &v->db;
	cJSON *dj;

	if (!v->has_db) {
		cJSON_AddNullToObject(root, "database");
		return;
	}
	dj = cJSON_AddObjectToObject(root, "database");
	cJSON_AddBoolToObject(dj, "connected", d->connected);
	cJSON_AddBoolToObject(dj, "lock_holder", d->holder);
	cJSON_AddBoolToObject(dj, "recording", d->recording);
	cJSON_AddNumberToObject(dj, "pending", (double)d->pending);
	cJSON_AddNumberToObject(dj, "spool_bytes", (double)d->spool_bytes);
	cJSON_AddNumberToObject(dj, "put", (double)d->put);
	cJSON_AddNumberToObject(dj, "written", (double)d->written);
	cJSON_AddNumberToObject(dj, "lost", (double)d->lost);
	cJSON_AddNumberToObject(dj, "rejected", (double)d->rejected);
	cJSON_AddNumberToObject(dj, "outages", (double)d->outages);
	cJSON_AddNumberToObject(dj, "open_incidents", d->open_incidents);
}

char *status_render_json(const struct status_view *v)
{
	cJSON *root = cJSON_CreateObject(), *chains, *haps;
	char *text;

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "region", v->region);
	cJSON_AddNumberToObject(root, "now_ms", (double)v->now_ms);
	cJSON_AddNumberToObject(root, "rounds", (double)v->rounds);
	chains = cJSON_AddArrayToObject(root, "chains");
	for (unsigned c = 0; c < v->n_chains; c++) {
		const struct status_chain *ch = &v->chains[c];
		cJSON *cj = cJSON_CreateObject(), *nodes;

		cJSON_AddItemToArray(chains, cj);
		cJSON_AddStringToObject(cj, "name", ch->name);
		cJSON_AddStringToObject(cj, "backend", ch->backend);
		cJSON_AddNumberToObject(cj, "reference_best", (double)ch->ref_best);
		cJSON_AddNumberToObject(cj, "reference_finalized", (double)ch->ref_finalized);
		cJSON_AddBoolToObject(cj, "stalled", ch->stalled);
		cJSON_AddStringToObject(cj, "genesis", ch->genesis);
		cJSON_AddBoolToObject(cj, "genesis_conflict", ch->genesis_conflict);
		if (ch->has_ceiling)
			cJSON_AddNumberToObject(cj, "ceiling", (double)ch->ceiling);
		nodes = cJSON_AddArrayToObject(cj, "nodes");
		for (unsigned i = 0; i < ch->n_nodes; i++)
			json_node(nodes, v, &ch->nodes[i]);
	}
	haps = cJSON_AddArrayToObject(root, "haproxy");
	for (unsigned h = 0; h < v->n_haproxy; h++) {
		const struct status_haproxy *hp = &v->haproxy[h];
		cJSON *hj = cJSON_CreateObject();

		cJSON_AddItemToArray(haps, hj);
		cJSON_AddStringToObject(hj, "socket", hp->name);
		cJSON_AddBoolToObject(hj, "up", hp->up && hp->has_info);
		if (hp->has_info) {
			cJSON_AddNumberToObject(hj, "pid", (double)hp->pid);
			cJSON_AddNumberToObject(hj, "uptime_sec", (double)hp->uptime_sec);
			cJSON_AddStringToObject(hj, "version", hp->version);
		}
		cJSON_AddStringToObject(hj, "last_error", hp->last_error);
		cJSON_AddNumberToObject(hj, "restarts", (double)hp->restarts);
		cJSON_AddBoolToObject(hj, "standby", hp->standby);
		if (hp->standby)
			cJSON_AddStringToObject(hj, "held_by", hp->holder);
		cJSON_AddNumberToObject(hj, "config_problems", (double)hp->problems);
	}
	json_probes(root, v);
	json_db(root, v);
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

/* Alive, polling, and some HAProxy instance answers: what a supervisor should check. */
static void healthz(const struct status_view *v, struct http_reply *out)
{
	bool any_up = false;

	for (unsigned h = 0; h < v->n_haproxy; h++)
		any_up = any_up || (v->haproxy[h].up && v->haproxy[h].has_info);
	if (v->decided == 0)
		reply_text(out, 503, "text/plain", "starting\n");
	else if (!any_up)
		reply_text(out, 503, "text/plain", "no HAProxy instance answers\n");
	else
		reply_text(out, 200, "text/plain", "ok\n");
}

void status_http_handler(void *ctx, const struct http_request *req, struct http_reply *out)
{
	const struct status_ops *ops = ctx;
	const char *url = req->url;
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	bool page = strcmp(url, "/metrics") == 0 || strcmp(url, "/status.json") == 0 ||
	            strcmp(url, "/healthz") == 0;
	struct status_view v;

	/* RFC 9110: 404 for a path that is not there, whatever the method; 405 names what is. */
	if (!page) {
		reply_text(out, 404, "text/plain",
		           "not found: GET /metrics /status.json /healthz, POST /admin/drain "
		           "/admin/undrain\n");
		return;
	}
	if (!get) {
		reply_text(out, 405, "text/plain", "method not allowed: GET or HEAD\n");
		out->hdr_name = "Allow";
		out->hdr_value = "GET, HEAD";
		return;
	}
	if (ops->build(ops->ctx, &v) == -1) {
		reply_text(out, 500, "text/plain", "out of memory\n");
		return;
	}
	if (strcmp(url, "/metrics") == 0) {
		out->status = 200;
		out->content_type = "text/plain; version=0.0.4";
		out->body = status_render_metrics(&v, &out->len);
	} else if (strcmp(url, "/status.json") == 0) {
		out->status = 200;
		out->content_type = "application/json";
		out->body = status_render_json(&v);
		out->len = out->body != NULL ? strlen(out->body) : 0;
	} else {
		healthz(&v, out);
	}
	ops->release(ops->ctx, &v);
	if (out->body == NULL)
		reply_text(out, 500, "text/plain", "out of memory\n");
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

/*
 * One letter per HAProxy instance for a node's server: R ready, D drain, M
 * maint, - absent, ? unknown; a trailing '!' when some instance differs from
 * the decision.
 */
static void haproxy_letters(const cJSON *nd, char *buf, size_t len)
{
	const cJSON *haps = cJSON_GetObjectItemCaseSensitive(nd, "haproxy"), *h;
	size_t n = 0;
	bool differs = false;

	cJSON_ArrayForEach(h, haps)
	{
		const char *st = str(h, "state");
		char c = strcmp(st, "ready") == 0    ? 'R'
		         : strcmp(st, "drain") == 0  ? 'D'
		         : strcmp(st, "maint") == 0  ? 'M'
		         : strcmp(st, "absent") == 0 ? '-'
		                                     : '?';

		if (n + 2 < len)
			buf[n++] = c;
		differs = differs || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "differs"));
	}
	if (differs && n + 2 < len)
		buf[n++] = '!';
	buf[n] = '\0';
}

/* One line for the "database" object; nothing when it is null or absent (no database). */
static void print_db(const cJSON *root, FILE *out)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "database");

	if (!cJSON_IsObject(d))
		return;
	fprintf(out,
	        "database: %s, %s (%s), %.0f pending, %.0f spool bytes, %.0f lost, open "
	        "incidents %.0f\n",
	        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "connected")) ? "connected"
	                                                                       : "disconnected",
	        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "recording")) ? "recording"
	                                                                       : "not recording",
	        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "lock_holder")) ? "holder"
	                                                                         : "standby",
	        num(d, "pending", 0), num(d, "spool_bytes", 0), num(d, "lost", 0),
	        num(d, "open_incidents", 0));
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
	fprintf(out, "%-10s %-16s %-6s %-8s %-10s %-10s %-6s %-6s %-8s %-7s %s\n", "CHAIN", "NODE",
	        "STATE", "HAPROXY", "BEST", "FINALIZED", "LAG", "PEERS", "POLL", "SINCE", "WHY");
	cJSON_ArrayForEach(ch, chains)
	{
		const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(ch, "nodes");

		cJSON_ArrayForEach(nd, nodes)
		{
			char best[24] = "-", fin[24] = "-", peers[16] = "-", since[16], poll[16];
			char haps[16];
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
			haproxy_letters(nd, haps, sizeof(haps));
			fprintf(out, "%-10s %-16s %-6s %-8s %-10s %-10s %-6.0f %-6s %-8s %-7s %s\n",
			        str(ch, "name"), str(nd, "name"), str(nd, "state"), haps, best, fin,
			        num(nd, "lag_blocks", 0), peers, poll, since, str(nd, "why"));
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ch, "stalled")))
			fprintf(out, "%-10s chain stalled at %.0f\n", str(ch, "name"),
			        num(ch, "reference_best", 0));
	}
	print_db(root, out);
	cJSON_Delete(root);
	return 0;
}
