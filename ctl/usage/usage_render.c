/* SPDX-License-Identifier: MIT */
/*
 * Table, CSV and JSON of `polkfura-ctl usage` (see usage_render.h).
 * Rounding: calls/s and node seconds to 3 decimals (node time is whole
 * milliseconds, so 3 decimals are exact), percentages to 2; quantiles are
 * whole milliseconds, "-" (null in JSON) without latency, and the overflow
 * bucket is written ">=65536" (JSON: the number and "p99_at_least": true).
 */
#include "ctl/usage/usage_render.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "ctl/report/report_fmt.h"
#include "ctl/usage/usage_table.h"

enum {
	C_CHAIN = 0,
	C_KEY,
	C_REQUESTS,
	C_CALLS,
	C_CPS,
	C_ERR,
	C_BYTES,
	C_P50,
	C_P95,
	C_P99,
	C_NODE_S,
	C_NODE_PCT,
	C_COUNT,
};

#define CELL_MAX 96

static const char *const csv_head[C_COUNT] = {"chain",       NULL,        "requests", "calls",
                                              "calls_per_s", "error_pct", "bytes",    "p50_ms",
                                              "p95_ms",      "p99_ms",    "node_s",   "node_pct"};

/* A group's name cells: "(overflow)" for the keys past the cap, "-" (table) for "". */
static const char *name_of(const struct usage_group *g, const char *s, bool table)
{
	if (g->overflow)
		return "(overflow)";
	return s[0] == '\0' && table ? "-" : s;
}

static void quantile(char *out, uint32_t q, bool has, bool table)
{
	if (!has)
		snprintf(out, CELL_MAX, "%s", table ? "-" : "");
	else if (q >= HIST_MAX_MS)
		snprintf(out, CELL_MAX, ">=%u", (unsigned)HIST_MAX_MS);
	else
		snprintf(out, CELL_MAX, "%" PRIu32, q);
}

/* The cells of <g>, formatted once for every format; <table>: "-" for an absent value. */
static void usage_cells(const struct usage_view *v, const struct usage_group *g, bool table,
                        char cells[C_COUNT][CELL_MAX])
{
	struct usage_figures f;

	usage_figures(g, v->to_ms - v->from_ms, v->total->node_ms, &f);
	snprintf(cells[C_CHAIN], CELL_MAX, "%s", name_of(g, g->chain, table));
	snprintf(cells[C_KEY], CELL_MAX, "%s", name_of(g, g->key, table));
	snprintf(cells[C_REQUESTS], CELL_MAX, "%" PRIu64, g->requests);
	snprintf(cells[C_CALLS], CELL_MAX, "%" PRIu64, g->calls);
	snprintf(cells[C_CPS], CELL_MAX, "%.3f", f.calls_per_s);
	snprintf(cells[C_ERR], CELL_MAX, "%.2f", f.error_pct);
	snprintf(cells[C_BYTES], CELL_MAX, "%" PRIu64, g->bytes);
	quantile(cells[C_P50], f.p50, f.has_latency, table);
	quantile(cells[C_P95], f.p95, f.has_latency, table);
	quantile(cells[C_P99], f.p99, f.has_latency, table);
	snprintf(cells[C_NODE_S], CELL_MAX, "%" PRIu64 ".%03" PRIu64, g->node_ms / 1000,
	         g->node_ms % 1000);
	snprintf(cells[C_NODE_PCT], CELL_MAX, "%.2f", f.node_pct);
}

static size_t shown(const struct usage_view *v)
{
	return v->n_groups < v->top ? v->n_groups : v->top;
}

static void time_of(struct pf_buf *b, int64_t ms)
{
	char t[RFMT_TIME_MAX];

	pf_buf_printf(b, "%s", rfmt_time(ms, t));
}

static void render_table(struct pf_buf *b, const struct usage_view *v)
{
	static const char *const head[C_COUNT] = {"chain",   NULL,     "requests", "calls",
	                                          "calls/s", "err %",  "bytes",    "p50 ms",
	                                          "p95 ms",  "p99 ms", "node s",   "node %"};
	char cells[C_COUNT][CELL_MAX];
	struct utab t;

	pf_buf_printf(b, "Usage ");
	time_of(b, v->from_ms);
	pf_buf_printf(b, " to ");
	time_of(b, v->to_ms);
	pf_buf_printf(b, " (%" PRId64 " min), region %s, chain %s, by %s: top %zu of %zu keys\n\n",
	              (v->to_ms - v->from_ms) / 60000, v->region != NULL ? v->region : "all",
	              v->chain != NULL ? v->chain : "all", usage_by_name(v->by), shown(v),
	              v->n_groups);
	utab_init(&t, C_COUNT, "llrrrrrrrrrr");
	for (int c = 0; c < C_COUNT; c++)
		utab_add(&t, c == C_KEY ? (v->by == USAGE_BY_TIME ? "method" : usage_by_name(v->by))
		                        : head[c]);
	for (size_t i = 0; i < shown(v); i++) {
		usage_cells(v, &v->groups[i], true, cells);
		for (int c = 0; c < C_COUNT; c++)
			utab_add(&t, cells[c]);
	}
	usage_cells(v, v->total, true, cells);
	snprintf(cells[C_CHAIN], CELL_MAX, "total");
	snprintf(cells[C_KEY], CELL_MAX, "(%zu keys)", v->n_groups);
	for (int c = 0; c < C_COUNT; c++)
		utab_add(&t, cells[c]);
	utab_print(&t, b);
	utab_fini(&t);
	pf_buf_printf(b, "\ncalls/s: calls over the window's seconds. p50/p95/p99: %%Ta read from "
	                 "log-scale buckets, never low and at most 12.5 %% high. node s: the time "
	                 "nodes spent answering (%%Tr), node %%: its share of the total.\n");
	if (v->bad_rows > 0)
		pf_buf_printf(b,
		              "warning: %zu key(s) had histogram bounds of another version: "
		              "their quantiles leave those rows out\n",
		              v->bad_rows);
}

static void render_csv(struct pf_buf *b, const struct usage_view *v)
{
	char cells[C_COUNT][CELL_MAX];

	for (int c = 0; c < C_COUNT; c++)
		pf_buf_printf(b, "%s%s", c > 0 ? "," : "",
		              c == C_KEY
		                  ? (v->by == USAGE_BY_TIME ? "method" : usage_by_name(v->by))
		                  : csv_head[c]);
	pf_buf_printf(b, "\r\n");
	for (size_t i = 0; i < shown(v); i++) {
		usage_cells(v, &v->groups[i], false, cells);
		for (int c = 0; c < C_COUNT; c++) {
			if (c > 0)
				pf_buf_printf(b, ",");
			rfmt_csv_field(b, cells[c]);
		}
		pf_buf_printf(b, "\r\n");
	}
}

/* Adds <key>: <cell> as a JSON number, or null for "". Returns false on OOM. */
static bool j_raw(cJSON *o, const char *key, const char *cell)
{
	return (cell[0] != '\0' ? cJSON_AddRawToObject(o, key, cell)
	                        : cJSON_AddNullToObject(o, key)) != NULL;
}

static cJSON *j_group(const struct usage_view *v, const struct usage_group *g, bool total)
{
	char cells[C_COUNT][CELL_MAX];
	cJSON *o = cJSON_CreateObject();
	struct usage_figures f;
	bool ok;

	usage_figures(g, v->to_ms - v->from_ms, v->total->node_ms, &f);
	usage_cells(v, g, false, cells);
	/* The overflow bucket: the number, flagged as a lower bound. */
	if (f.has_latency && f.p99 >= HIST_MAX_MS)
		snprintf(cells[C_P99], CELL_MAX, "%u", (unsigned)HIST_MAX_MS);
	if (f.has_latency && f.p95 >= HIST_MAX_MS)
		snprintf(cells[C_P95], CELL_MAX, "%u", (unsigned)HIST_MAX_MS);
	if (f.has_latency && f.p50 >= HIST_MAX_MS)
		snprintf(cells[C_P50], CELL_MAX, "%u", (unsigned)HIST_MAX_MS);
	ok = o != NULL && (total || (cJSON_AddStringToObject(o, "chain", g->chain) != NULL &&
	                             cJSON_AddStringToObject(o, "key", g->key) != NULL &&
	                             cJSON_AddBoolToObject(o, "overflow", g->overflow) != NULL));
	for (int c = C_REQUESTS; ok && c < C_COUNT; c++)
		ok = j_raw(o, csv_head[c], cells[c]);
	ok = ok && cJSON_AddBoolToObject(o, "p99_at_least", f.p99_overflow) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void render_json(struct pf_buf *b, const struct usage_view *v)
{
	char from[RFMT_TIME_MAX], to[RFMT_TIME_MAX], *text = NULL;
	cJSON *root = cJSON_CreateObject(), *keys, *total;
	bool ok = root != NULL &&
	          cJSON_AddStringToObject(root, "from", rfmt_time(v->from_ms, from)) &&
	          cJSON_AddStringToObject(root, "to", rfmt_time(v->to_ms, to)) &&
	          (v->region != NULL ? cJSON_AddStringToObject(root, "region", v->region)
	                             : cJSON_AddNullToObject(root, "region")) &&
	          (v->chain != NULL ? cJSON_AddStringToObject(root, "chain", v->chain)
	                            : cJSON_AddNullToObject(root, "chain")) &&
	          cJSON_AddStringToObject(root, "by", usage_by_name(v->by)) &&
	          cJSON_AddNumberToObject(root, "keys_total", (double)v->n_groups) &&
	          cJSON_AddNumberToObject(root, "bad_rows", (double)v->bad_rows) &&
	          (keys = cJSON_AddArrayToObject(root, "keys")) != NULL;

	for (size_t i = 0; ok && i < shown(v); i++) {
		cJSON *o = j_group(v, &v->groups[i], false);

		ok = o != NULL && cJSON_AddItemToArray(keys, o);
		if (o != NULL && !ok)
			cJSON_Delete(o);
	}
	total = ok ? j_group(v, v->total, true) : NULL;
	ok = ok && total != NULL && cJSON_AddItemToObject(root, "total", total);
	if (ok)
		text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL) {
		b->failed = true;
		return;
	}
	pf_buf_printf(b, "%s\n", text);
	cJSON_free(text);
}

char *usage_render(const struct usage_view *v, enum usage_format fmt, size_t *len)
{
	struct pf_buf b = {0};

	switch (fmt) {
	case USAGE_CSV:
		render_csv(&b, v);
		break;
	case USAGE_JSON:
		render_json(&b, v);
		break;
	case USAGE_TABLE:
	case USAGE_FORMAT_COUNT:
		render_table(&b, v);
		break;
	}
	return pf_buf_take(&b, len);
}
