/* SPDX-License-Identifier: MIT */
/*
 * The capacity estimate's text (see capacity_render.h). Rounding: calls/s
 * and node-seconds per second to 3 decimals, headroom to 1 decimal place
 * of a percent; the suggestion is "-" (null in JSON) when the data is too
 * thin.
 */
#include "ctl/usage/capacity_render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/report/report_fmt.h"
#include "ctl/usage/usage_table.h"

enum {
	K_REGION = 0,
	K_CHAIN,
	K_MINUTES,
	K_AVG_CPS,
	K_PEAK_CPS,
	K_PEAK_AT,
	K_AVG_LOAD,
	K_PEAK_LOAD,
	K_DEMAND,
	K_UNSERVED,
	K_SUGGESTED,
	K_HEADROOM,
	K_NOTE,
	K_COUNT,
};

#define CELL_MAX 96

static const char *const head[K_COUNT] = {"region",        "chain",           "minutes",
                                          "avg calls/s",   "peak calls/s",    "peak minute",
                                          "avg node load", "peak node load",  "peak node-s/s",
                                          "unserved min",  "suggested nodes", "headroom %",
                                          "note"};

static const char *const csv_head[K_COUNT] = {"region",
                                              "chain",
                                              "minutes",
                                              "avg_calls_per_s",
                                              "peak_calls_per_s",
                                              "peak_minute",
                                              "avg_node_load",
                                              "peak_node_load",
                                              "peak_demand",
                                              "unserved_minutes",
                                              "suggested_nodes",
                                              "headroom_pct",
                                              "note"};

static const char *verdict_name(enum cap_verdict v)
{
	return v == CAP_THIN ? "thin" : v == CAP_OVER ? "over" : "ok";
}

/* Every cell of <r>; <absent> is written where the suggestion is missing. */
static void cap_cells(const struct cap_view *v, const struct cap_result *r, const char *absent,
                      char cells[K_COUNT][CELL_MAX])
{
	char t[RFMT_TIME_MAX];

	snprintf(cells[K_REGION], CELL_MAX, "%s", r->region);
	snprintf(cells[K_CHAIN], CELL_MAX, "%s", r->chain);
	snprintf(cells[K_MINUTES], CELL_MAX, "%u", r->minutes);
	snprintf(cells[K_AVG_CPS], CELL_MAX, "%.3f", r->avg_cps);
	snprintf(cells[K_PEAK_CPS], CELL_MAX, "%.3f", r->peak_cps);
	snprintf(cells[K_PEAK_AT], CELL_MAX, "%s", rfmt_time(r->peak_minute_ms, t));
	snprintf(cells[K_AVG_LOAD], CELL_MAX, "%.3f", r->avg_load);
	snprintf(cells[K_PEAK_LOAD], CELL_MAX, "%.3f", r->peak_load);
	snprintf(cells[K_DEMAND], CELL_MAX, "%.3f", r->peak_demand);
	snprintf(cells[K_UNSERVED], CELL_MAX, "%u", r->unserved_minutes);
	if (r->verdict == CAP_THIN) {
		snprintf(cells[K_SUGGESTED], CELL_MAX, "%s", absent);
		snprintf(cells[K_HEADROOM], CELL_MAX, "%s", absent);
		snprintf(cells[K_NOTE], CELL_MAX, "too little data: %u of %u minutes", r->minutes,
		         v->params->min_minutes);
		return;
	}
	snprintf(cells[K_SUGGESTED], CELL_MAX, "%u", r->suggested);
	snprintf(cells[K_HEADROOM], CELL_MAX, "%.1f", r->headroom_pct);
	if (r->verdict == CAP_OVER)
		snprintf(cells[K_NOTE], CELL_MAX, "needs %u nodes, more than %u", r->needed,
		         CAP_MAX_NODES);
	else if (r->suggested > r->needed)
		snprintf(cells[K_NOTE], CELL_MAX, "needs %u; at least min_ready %u", r->needed,
		         r->suggested);
	else
		snprintf(cells[K_NOTE], CELL_MAX, "ok");
}

/* One line on the model and its parameters, in plain words. */
static void model_line(struct pf_buf *b, const struct cap_view *v)
{
	const struct cap_params *p = v->params;

	pf_buf_printf(
	    b,
	    "Model: one node serves %g node-seconds per second (requests in flight); the "
	    "busiest minute may use %g %% of the suggested nodes; at least 1 and min_ready "
	    "(%u), at most %u nodes; no suggestion under %u minutes of data. Node load: "
	    "node time (%%Tr) per second per node in rotation.\n",
	    p->node_capacity, p->target_util * 100.0, p->min_ready, CAP_MAX_NODES, p->min_minutes);
}

static void window_line(struct pf_buf *b, const struct cap_view *v)
{
	char from[RFMT_TIME_MAX], to[RFMT_TIME_MAX];

	pf_buf_printf(b, "Capacity %s to %s\n\n", rfmt_time(v->from_ms, from),
	              rfmt_time(v->to_ms, to));
}

static void render_table(struct pf_buf *b, const struct cap_view *v)
{
	char cells[K_COUNT][CELL_MAX];
	struct utab t;

	window_line(b, v);
	if (v->n == 0) {
		pf_buf_printf(b, "No traffic and no samples in the window.\n\n");
		model_line(b, v);
		return;
	}
	utab_init(&t, K_COUNT, "llrrrlrrrrrrl");
	for (int c = 0; c < K_COUNT; c++)
		utab_add(&t, head[c]);
	for (size_t i = 0; i < v->n; i++) {
		cap_cells(v, &v->results[i], "-", cells);
		for (int c = 0; c < K_COUNT; c++)
			utab_add(&t, cells[c]);
	}
	utab_print(&t, b);
	utab_fini(&t);
	pf_buf_printf(b, "\n");
	model_line(b, v);
}

void capacity_csv(struct pf_buf *b, const struct cap_view *v, const char *section)
{
	char cells[K_COUNT][CELL_MAX];

	if (section != NULL)
		pf_buf_printf(b, "section,");
	for (int c = 0; c < K_COUNT; c++)
		pf_buf_printf(b, "%s%s", c > 0 ? "," : "", csv_head[c]);
	pf_buf_printf(b, "\r\n");
	for (size_t i = 0; i < v->n; i++) {
		cap_cells(v, &v->results[i], "", cells);
		if (section != NULL)
			pf_buf_printf(b, "%s,", section);
		for (int c = 0; c < K_COUNT; c++) {
			if (c > 0)
				pf_buf_printf(b, ",");
			rfmt_csv_field(b, cells[c]);
		}
		pf_buf_printf(b, "\r\n");
	}
}

void capacity_md(struct pf_buf *b, const struct cap_view *v)
{
	char cells[K_COUNT][CELL_MAX];

	pf_buf_printf(b, "\n## Capacity\n\n");
	if (v->n == 0) {
		pf_buf_printf(b, "No traffic and no samples in the window.\n\n");
		model_line(b, v);
		return;
	}
	for (int c = 0; c < K_COUNT; c++)
		pf_buf_printf(b, "| %s ", head[c]);
	pf_buf_printf(b, "|\n|---|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|---|\n");
	for (size_t i = 0; i < v->n; i++) {
		cap_cells(v, &v->results[i], "-", cells);
		for (int c = 0; c < K_COUNT; c++) {
			pf_buf_printf(b, "| ");
			rfmt_md_cell(b, cells[c]);
			pf_buf_printf(b, " ");
		}
		pf_buf_printf(b, "|\n");
	}
	pf_buf_printf(b, "\n");
	model_line(b, v);
}

void capacity_html(struct pf_buf *b, const struct cap_view *v)
{
	char cells[K_COUNT][CELL_MAX];
	struct pf_buf model = {0};
	char *m;

	pf_buf_printf(b, "<h2>Capacity</h2>\n");
	if (v->n > 0) {
		pf_buf_printf(b, "<table>\n<tr>");
		for (int c = 0; c < K_COUNT; c++)
			pf_buf_printf(b, "<th>%s</th>", head[c]);
		pf_buf_printf(b, "</tr>\n");
	} else {
		pf_buf_printf(b, "<p>No traffic and no samples in the window.</p>\n");
	}
	for (size_t i = 0; i < v->n; i++) {
		cap_cells(v, &v->results[i], "-", cells);
		pf_buf_printf(b, "<tr>");
		for (int c = 0; c < K_COUNT; c++) {
			pf_buf_printf(b, "<td%s>",
			              c == K_REGION || c == K_CHAIN || c == K_PEAK_AT || c == K_NOTE
			                  ? ""
			                  : " class=\"n\"");
			rfmt_html(b, cells[c]);
			pf_buf_printf(b, "</td>");
		}
		pf_buf_printf(b, "</tr>\n");
	}
	if (v->n > 0)
		pf_buf_printf(b, "</table>\n");
	model_line(&model, v);
	m = pf_buf_take(&model, NULL);
	if (m == NULL) {
		b->failed = true;
		return;
	}
	pf_buf_printf(b, "<p>");
	rfmt_html(b, m);
	pf_buf_printf(b, "</p>\n");
	free(m);
}

static bool j_model(cJSON *cap, const struct cap_view *v)
{
	cJSON *m = cJSON_AddObjectToObject(cap, "model");

	return m != NULL &&
	       cJSON_AddNumberToObject(m, "node_capacity", v->params->node_capacity) != NULL &&
	       cJSON_AddNumberToObject(m, "target_util", v->params->target_util) != NULL &&
	       cJSON_AddNumberToObject(m, "min_minutes", v->params->min_minutes) != NULL &&
	       cJSON_AddNumberToObject(m, "min_ready", v->params->min_ready) != NULL &&
	       cJSON_AddNumberToObject(m, "max_nodes", CAP_MAX_NODES) != NULL;
}

static bool j_row(cJSON *a, const struct cap_view *v, const struct cap_result *r)
{
	char cells[K_COUNT][CELL_MAX];
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL && cJSON_AddItemToArray(a, o);

	if (o != NULL && !ok) {
		cJSON_Delete(o);
		return false;
	}
	cap_cells(v, r, "", cells);
	for (int c = 0; ok && c < K_COUNT; c++) {
		if (c == K_REGION || c == K_CHAIN || c == K_PEAK_AT || c == K_NOTE)
			ok = cJSON_AddStringToObject(o, csv_head[c], cells[c]) != NULL;
		else if (cells[c][0] == '\0')
			ok = cJSON_AddNullToObject(o, csv_head[c]) != NULL;
		else
			ok = cJSON_AddRawToObject(o, csv_head[c], cells[c]) != NULL;
	}
	return ok && cJSON_AddStringToObject(o, "verdict", verdict_name(r->verdict)) != NULL &&
	       cJSON_AddNumberToObject(o, "needed_nodes", r->needed) != NULL &&
	       cJSON_AddNumberToObject(o, "load_minutes", r->load_minutes) != NULL;
}

bool capacity_json(cJSON *root, const struct cap_view *v)
{
	cJSON *cap = cJSON_AddObjectToObject(root, "capacity"), *a;
	char from[RFMT_TIME_MAX], to[RFMT_TIME_MAX];
	bool ok = cap != NULL &&
	          cJSON_AddStringToObject(cap, "from", rfmt_time(v->from_ms, from)) != NULL &&
	          cJSON_AddStringToObject(cap, "to", rfmt_time(v->to_ms, to)) != NULL &&
	          j_model(cap, v) && (a = cJSON_AddArrayToObject(cap, "chains")) != NULL;

	for (size_t i = 0; ok && i < v->n; i++)
		ok = j_row(a, v, &v->results[i]);
	return ok;
}

char *capacity_render(const struct cap_view *v, enum usage_format fmt, size_t *len)
{
	struct pf_buf b = {0};

	switch (fmt) {
	case USAGE_CSV:
		capacity_csv(&b, v, NULL);
		break;
	case USAGE_JSON: {
		cJSON *root = cJSON_CreateObject();
		char *text = NULL;

		if (root != NULL && capacity_json(root, v))
			text = cJSON_Print(root);
		cJSON_Delete(root);
		if (text == NULL)
			b.failed = true;
		else
			pf_buf_printf(&b, "%s\n", text);
		cJSON_free(text);
		break;
	}
	case USAGE_TABLE:
	case USAGE_FORMAT_COUNT:
		render_table(&b, v);
		break;
	}
	return pf_buf_take(&b, len);
}
