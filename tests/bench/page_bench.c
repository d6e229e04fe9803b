/* SPDX-License-Identifier: MIT */
/*
 * The status page's render cost (tests/bench/page_bench.sh): GET / and
 * /status.json rendered from a view as large as the page gets, 6 chains
 * of 3 nodes, 4 probes, 90 days of history per chain and the 50
 * incidents the reader keeps at most, each rendered <rounds> x 1000
 * times, timed by this process's CPU clock. Prints one line per
 * document: bytes and microseconds per render.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/web/page.h"
#include "ctl/web/status.h"

#define CHAINS 6
#define NODES  3
#define T_NOW  INT64_C(1796558400000) /* 2026-12-06T12:00:00Z */

static struct status_chain chains[CHAINS];
static struct status_node nodes[CHAINS][NODES];
static struct status_uptime uptime[CHAINS];
static struct status_incident incidents[STATUS_INCIDENTS];
static struct status_probe probes[4];
static char names[CHAINS][16], node_names[CHAINS][NODES][16];

static void build(struct status_view *v, struct status_history *h)
{
	for (int c = 0; c < CHAINS; c++) {
		snprintf(names[c], sizeof(names[c]), "chain%d", c);
		for (int n = 0; n < NODES; n++) {
			snprintf(node_names[c][n], sizeof(node_names[c][n]), "c%d-node%d", c, n);
			nodes[c][n] = (struct status_node){.name = node_names[c][n],
			                                   .state = "ready",
			                                   .why = "healthy",
			                                   .poll = "ok",
			                                   .has_best = true,
			                                   .best = 25000000};
		}
		chains[c] = (struct status_chain){.name = names[c],
		                                  .backend = names[c],
		                                  .genesis = "0x91b171bb158e2d3848fa23a9f1c25182",
		                                  .health = c == 1 ? "degraded" : "up",
		                                  .health_why = "3 healthy of 3",
		                                  .ref_best = 25000000,
		                                  .ref_finalized = 24999998,
		                                  .in_rotation = NODES,
		                                  .nodes = nodes[c],
		                                  .n_nodes = NODES};
		uptime[c].chain = names[c];
		uptime[c].n_days = STATUS_DAYS;
		for (int d = 0; d < STATUS_DAYS; d++)
			uptime[c].days[d] = (struct status_day){
			    T_NOW - T_NOW % DAY_MS - (STATUS_DAYS - 1 - d) * DAY_MS, 86400,
			    86400 - d % 7 * 300, d % 7 * 300};
	}
	for (int i = 0; i < STATUS_INCIDENTS; i++)
		incidents[i] = (struct status_incident){
		    "0123456789abcdef0123456789abcdef-42",
		    names[i % CHAINS],
		    "chain_down",
		    "critical",
		    "no node answering: every node of the chain failed its poll",
		    T_NOW - (int64_t)i * 3600000,
		    i == 0 ? 0 : T_NOW - (int64_t)i * 3600000 + 600000,
		    600};
	for (int i = 0; i < 4; i++)
		probes[i] = (struct status_probe){.region = "us1",
		                                  .chain = names[i],
		                                  .url = "https://x/health",
		                                  .state = "reachable",
		                                  .why = "HTTP 200",
		                                  .last = "HTTP 200",
		                                  .since_ms = T_NOW - 60000};
	*h = (struct status_history){.as_of_ms = T_NOW - 20000,
	                             .fresh = true,
	                             .chains = uptime,
	                             .n_chains = CHAINS,
	                             .incidents = incidents,
	                             .n_incidents = STATUS_INCIDENTS};
	*v = (struct status_view){.region = "eu1",
	                          .now_ms = T_NOW,
	                          .chains = chains,
	                          .n_chains = CHAINS,
	                          .probes = probes,
	                          .n_probes = 4,
	                          .has_db = true,
	                          .history = h};
}

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct status_view v;
	struct status_history h;
	int n = (argc > 1 ? (int)strtol(argv[1], NULL, 10) : 1) * 1000;
	size_t len = 0, jlen = 0;
	double t0, t1, t2;

	if (n <= 0)
		return 2;
	build(&v, &h);
	t0 = cpu_s();
	for (int i = 0; i < n; i++) {
		char *s = page_render(&v, &len);

		if (s == NULL)
			return 1;
		free(s);
	}
	t1 = cpu_s();
	for (int i = 0; i < n; i++) {
		char *s = status_render_json(&v);

		if (s == NULL)
			return 1;
		jlen = strlen(s);
		free(s);
	}
	t2 = cpu_s();
	printf("GET /            %7zu bytes  %7.1f us per render (%d renders)\n", len,
	       (t1 - t0) / n * 1e6, n);
	printf("GET /status.json %7zu bytes  %7.1f us per render (%d renders)\n", jlen,
	       (t2 - t1) / n * 1e6, n);
	return 0;
}
