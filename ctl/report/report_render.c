/* SPDX-License-Identifier: MIT */
/*
 * Markdown, CSV and JSON of the report (see report_render.h). Every number
 * is rounded from PostgreSQL's exact decimal text by rfmt_dec_round, so the
 * three formats agree digit for digit: uptime % to 3 decimals, minutes and
 * averages to 2, seconds to milliseconds.
 */
#include "ctl/report/report_render.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "ctl/report/report_fmt.h"
#include "ctl/report/report_html.h"
#include "ctl/usage/capacity_render.h"

#define PCT_PLACES 3
#define MIN_PLACES 2
#define AVG_PLACES 2
#define SEC_PLACES 3 /* the controller's times are milliseconds */

bool report_format_parse(const char *s, enum report_format *out)
{
	static const char *const names[REPORT_FORMAT_COUNT] = {"md", "csv", "json", "html"};

	for (int i = 0; i < REPORT_FORMAT_COUNT; i++)
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = (enum report_format)i;
			return true;
		}
	return false;
}

/* Appends <dec> rounded to <places> ("-" when absent); <trim> as rfmt_dec_round. */
static void num(struct pf_buf *b, const char *dec, int places, bool trim, const char *absent)
{
	char r[RFMT_DEC_MAX];

	if (rfmt_dec_round(dec, places, trim, r))
		pf_buf_printf(b, "%s", r);
	else
		pf_buf_printf(b, "%s", absent);
}

static void time_of(struct pf_buf *b, int64_t ms)
{
	char t[RFMT_TIME_MAX];

	pf_buf_printf(b, "%s", rfmt_time(ms, t));
}

static const char *met_word(bool met)
{
	return met ? "met" : "missed";
}

/* ---- Markdown ------------------------------------------------------------ */

static void md_head(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "# Uptime report\n\n- Window: ");
	time_of(b, r->from_ms);
	pf_buf_printf(b, " to ");
	time_of(b, r->to_ms);
	if (r->to_clipped)
		pf_buf_printf(b, " (--to was in the future: clipped to now)");
	pf_buf_printf(b, "\n- Region: ");
	rfmt_md_cell(b, r->region != NULL ? r->region : "all");
	pf_buf_printf(b, "; chain: ");
	rfmt_md_cell(b, r->chain != NULL ? r->chain : "all");
	pf_buf_printf(b, "\n- Target: " REPORT_TARGET_PCT " %% uptime per chain and region. Up and "
	                 "degraded count as up; down and no data do not.\n");
}

static void md_figures(struct pf_buf *b, const struct report_figures *f)
{
	pf_buf_printf(b, " | ");
	num(b, f->uptime_pct, PCT_PLACES, false, "-");
	pf_buf_printf(b, " | %s | ", met_word(f->target_met));
	num(b, f->down_min, MIN_PLACES, false, "-");
	pf_buf_printf(b, " | ");
	num(b, f->nodata_min, MIN_PLACES, false, "-");
	pf_buf_printf(b, " |");
}

static void md_uptime(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "\n## Uptime\n\n");
	if (r->n_uptime == 0) {
		pf_buf_printf(b, "No chain.\n");
		return;
	}
	pf_buf_printf(b, "| region | chain | uptime %% | target | down min | no data min |\n"
	                 "|---|---|--:|---|--:|--:|\n");
	for (size_t i = 0; i < r->n_uptime; i++) {
		const struct report_uptime *u = &r->uptime[i];

		pf_buf_printf(b, "| ");
		rfmt_md_cell(b, u->scope == REPORT_SCOPE_REGION ? u->region : "all");
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, u->scope == REPORT_SCOPE_TOTAL ? "all" : u->chain);
		md_figures(b, &u->f);
		pf_buf_printf(b, "\n");
	}
}

static void md_nodes(struct pf_buf *b, const char *nodes)
{
	if (nodes[0] == '\0')
		pf_buf_printf(b, "-");
	for (const char *p = nodes; *p != '\0'; p++) {
		char c[2] = {*p, '\0'};

		if (*p == ',')
			pf_buf_printf(b, ", ");
		else
			rfmt_md_cell(b, c);
	}
}

static void md_incidents(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "\n## Incidents\n\n");
	if (r->n_incidents == 0) {
		pf_buf_printf(b, "None.\n");
		return;
	}
	pf_buf_printf(b, "| start | end | duration | region | chain | kind | severity | cause | "
	                 "nodes |\n|---|---|--:|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->n_incidents; i++) {
		const struct report_incident *x = &r->incidents[i];

		pf_buf_printf(b, "| ");
		time_of(b, x->start_ms);
		pf_buf_printf(b, " | ");
		if (x->open)
			pf_buf_printf(b, "open");
		else
			time_of(b, x->end_ms);
		pf_buf_printf(b, " | ");
		rfmt_duration(b, x->duration_s);
		if (x->open)
			pf_buf_printf(b, " so far");
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, x->region);
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, x->chain[0] != '\0' ? x->chain : "(region)");
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, x->kind);
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, x->severity);
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, x->cause);
		pf_buf_printf(b, " | ");
		md_nodes(b, x->nodes);
		pf_buf_printf(b, " |\n");
	}
}

static void md_changes(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "\n## Operational changes\n\n");
	if (r->n_changes == 0) {
		pf_buf_printf(b, "None.\n");
		return;
	}
	pf_buf_printf(b, "| at | region | kind | who | reason | summary |\n"
	                 "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->n_changes; i++) {
		const struct report_change *c = &r->changes[i];
		const char *cells[] = {c->region, c->kind, c->who, c->reason, c->summary};

		pf_buf_printf(b, "| ");
		time_of(b, c->at_ms);
		for (size_t k = 0; k < PF_ARRAY_SIZE(cells); k++) {
			pf_buf_printf(b, " | ");
			rfmt_md_cell(b, cells[k]);
		}
		pf_buf_printf(b, " |\n");
	}
}

static void md_months(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "\n## Month by month\n\n");
	if (r->n_months == 0) {
		pf_buf_printf(b, "No chain.\n");
		return;
	}
	pf_buf_printf(b, "| month | region | chain | uptime %% | target | down min | no data min | "
	                 "minutes sampled | avg healthy | avg in rotation | first height | last "
	                 "height |\n|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|\n");
	for (size_t i = 0; i < r->n_months; i++) {
		const struct report_month *m = &r->months[i];

		pf_buf_printf(b, "| ");
		rfmt_md_cell(b, m->month);
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, m->region);
		pf_buf_printf(b, " | ");
		rfmt_md_cell(b, m->chain);
		md_figures(b, &m->f);
		pf_buf_printf(b, " ");
		num(b, m->samples, 0, false, "0");
		pf_buf_printf(b, " | ");
		num(b, m->avg_healthy, AVG_PLACES, false, "-");
		pf_buf_printf(b, " | ");
		num(b, m->avg_in_rotation, AVG_PLACES, false, "-");
		pf_buf_printf(b, " | ");
		num(b, m->first_height, 0, false, "-");
		pf_buf_printf(b, " | ");
		num(b, m->last_height, 0, false, "-");
		pf_buf_printf(b, " |\n");
	}
}

static void render_md(struct pf_buf *b, const struct report *r)
{
	md_head(b, r);
	md_uptime(b, r);
	md_incidents(b, r);
	md_changes(b, r);
	md_months(b, r);
	if (r->capacity != NULL)
		capacity_md(b, r->capacity);
}

/* ---- CSV ------------------------------------------------------------------ */

/* Appends ",<field>" for each of the <n> fields. */
static void csv_fields(struct pf_buf *b, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pf_buf_printf(b, ",");
		rfmt_csv_field(b, fields[i]);
	}
}

static void csv_num(struct pf_buf *b, const char *dec, int places, bool trim)
{
	pf_buf_printf(b, ",");
	num(b, dec, places, trim, "");
}

static void csv_time(struct pf_buf *b, int64_t ms)
{
	pf_buf_printf(b, ",");
	time_of(b, ms);
}

static void csv_figures(struct pf_buf *b, const struct report_figures *f)
{
	csv_num(b, f->uptime_pct, PCT_PLACES, false);
	pf_buf_printf(b, ",%s", f->target_met ? "true" : "false");
	csv_num(b, f->up_s, SEC_PLACES, true);
	csv_num(b, f->down_s, SEC_PLACES, true);
	csv_num(b, f->nodata_s, SEC_PLACES, true);
	csv_num(b, f->window_s, SEC_PLACES, true);
}

static void csv_uptime(struct pf_buf *b, const struct report *r)
{
	static const char *const scopes[] = {"region", "chain", "total"};

	pf_buf_printf(b, "section,scope,region,chain,uptime_pct,target_met,up_s,down_s,nodata_s,"
	                 "window_s\r\n");
	for (size_t i = 0; i < r->n_uptime; i++) {
		const struct report_uptime *u = &r->uptime[i];
		const char *f[] = {scopes[u->scope], u->region, u->chain};

		pf_buf_printf(b, "uptime");
		csv_fields(b, f, PF_ARRAY_SIZE(f));
		csv_figures(b, &u->f);
		pf_buf_printf(b, "\r\n");
	}
}

static void csv_incidents(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "section,region,chain,kind,severity,start,end,duration_s,cause,nodes\r\n");
	for (size_t i = 0; i < r->n_incidents; i++) {
		const struct report_incident *x = &r->incidents[i];
		const char *f1[] = {x->region, x->chain, x->kind, x->severity};
		const char *f2[] = {x->cause, x->nodes};

		pf_buf_printf(b, "incidents");
		csv_fields(b, f1, PF_ARRAY_SIZE(f1));
		csv_time(b, x->start_ms);
		if (x->open)
			pf_buf_printf(b, ",");
		else
			csv_time(b, x->end_ms);
		csv_num(b, x->duration_s, SEC_PLACES, true);
		csv_fields(b, f2, PF_ARRAY_SIZE(f2));
		pf_buf_printf(b, "\r\n");
	}
}

static void csv_changes(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "section,at,region,kind,who,reason,summary\r\n");
	for (size_t i = 0; i < r->n_changes; i++) {
		const struct report_change *c = &r->changes[i];
		const char *f[] = {c->region, c->kind, c->who, c->reason, c->summary};

		pf_buf_printf(b, "changes");
		csv_time(b, c->at_ms);
		csv_fields(b, f, PF_ARRAY_SIZE(f));
		pf_buf_printf(b, "\r\n");
	}
}

static void csv_months(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "section,month,region,chain,uptime_pct,target_met,up_s,down_s,nodata_s,"
	                 "window_s,samples,avg_healthy,avg_in_rotation,first_ref_height,"
	                 "last_ref_height\r\n");
	for (size_t i = 0; i < r->n_months; i++) {
		const struct report_month *m = &r->months[i];
		const char *f[] = {m->month, m->region, m->chain};

		pf_buf_printf(b, "months");
		csv_fields(b, f, PF_ARRAY_SIZE(f));
		csv_figures(b, &m->f);
		csv_num(b, m->samples, 0, false);
		csv_num(b, m->avg_healthy, AVG_PLACES, false);
		csv_num(b, m->avg_in_rotation, AVG_PLACES, false);
		csv_num(b, m->first_height, 0, false);
		csv_num(b, m->last_height, 0, false);
		pf_buf_printf(b, "\r\n");
	}
}

static void render_csv(struct pf_buf *b, const struct report *r)
{
	csv_uptime(b, r);
	pf_buf_printf(b, "\r\n");
	csv_incidents(b, r);
	pf_buf_printf(b, "\r\n");
	csv_changes(b, r);
	pf_buf_printf(b, "\r\n");
	csv_months(b, r);
	if (r->capacity != NULL) {
		pf_buf_printf(b, "\r\n");
		capacity_csv(b, r->capacity, "capacity");
	}
}

/* ---- JSON ----------------------------------------------------------------- */

/* Adds <key>: <dec> rounded, as a JSON number, or null when absent. Returns false on OOM. */
static bool j_num(cJSON *o, const char *key, const char *dec, int places, bool trim)
{
	char r[RFMT_DEC_MAX];

	if (!rfmt_dec_round(dec, places, trim, r))
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddRawToObject(o, key, r) != NULL;
}

static bool j_time(cJSON *o, const char *key, int64_t ms)
{
	char t[RFMT_TIME_MAX];

	return cJSON_AddStringToObject(o, key, rfmt_time(ms, t)) != NULL;
}

static bool j_figures(cJSON *o, const struct report_figures *f)
{
	return j_num(o, "uptime_pct", f->uptime_pct, PCT_PLACES, false) &&
	       cJSON_AddBoolToObject(o, "target_met", f->target_met) != NULL &&
	       j_num(o, "up_s", f->up_s, SEC_PLACES, true) &&
	       j_num(o, "down_s", f->down_s, SEC_PLACES, true) &&
	       j_num(o, "nodata_s", f->nodata_s, SEC_PLACES, true) &&
	       j_num(o, "window_s", f->window_s, SEC_PLACES, true);
}

/* Adds a new object to array <a>; NULL on OOM. */
static cJSON *j_item(cJSON *a)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL && !cJSON_AddItemToArray(a, o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool j_uptime(cJSON *root, const struct report *r)
{
	cJSON *reg = cJSON_AddArrayToObject(root, "uptime");
	cJSON *chains = cJSON_AddArrayToObject(root, "uptime_by_chain");
	bool ok = reg != NULL && chains != NULL && cJSON_AddNullToObject(root, "uptime_total");

	for (size_t i = 0; ok && i < r->n_uptime; i++) {
		const struct report_uptime *u = &r->uptime[i];
		cJSON *o;

		if (u->scope == REPORT_SCOPE_TOTAL) {
			o = cJSON_CreateObject();
			ok = o != NULL &&
			     cJSON_ReplaceItemInObjectCaseSensitive(root, "uptime_total", o);
			if (!ok)
				cJSON_Delete(o);
		} else {
			o = j_item(u->scope == REPORT_SCOPE_REGION ? reg : chains);
			ok = o != NULL &&
			     (u->scope != REPORT_SCOPE_REGION ||
			      cJSON_AddStringToObject(o, "region", u->region) != NULL) &&
			     cJSON_AddStringToObject(o, "chain", u->chain) != NULL;
		}
		ok = ok && j_figures(o, &u->f);
	}
	return ok;
}

static bool j_nodes(cJSON *o, const char *nodes)
{
	cJSON *a = cJSON_AddArrayToObject(o, "nodes");
	char name[256];

	for (const char *p = nodes; a != NULL && *p != '\0';) {
		size_t n = strcspn(p, ",");
		cJSON *s;

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
		         p);
		s = cJSON_CreateString(name);
		if (s == NULL || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return false;
		}
		p += n + (p[n] == ',');
	}
	return a != NULL;
}

static bool j_incidents(cJSON *root, const struct report *r)
{
	cJSON *a = cJSON_AddArrayToObject(root, "incidents");
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < r->n_incidents; i++) {
		const struct report_incident *x = &r->incidents[i];
		cJSON *o = j_item(a);

		ok = o != NULL && cJSON_AddStringToObject(o, "region", x->region) != NULL &&
		     cJSON_AddStringToObject(o, "chain", x->chain) != NULL &&
		     cJSON_AddStringToObject(o, "kind", x->kind) != NULL &&
		     cJSON_AddStringToObject(o, "severity", x->severity) != NULL &&
		     j_time(o, "start", x->start_ms) &&
		     (x->open ? cJSON_AddNullToObject(o, "end") != NULL
		              : j_time(o, "end", x->end_ms)) &&
		     j_num(o, "duration_s", x->duration_s, SEC_PLACES, true) &&
		     cJSON_AddStringToObject(o, "cause", x->cause) != NULL && j_nodes(o, x->nodes);
	}
	return ok;
}

static bool j_changes(cJSON *root, const struct report *r)
{
	cJSON *a = cJSON_AddArrayToObject(root, "changes");
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < r->n_changes; i++) {
		const struct report_change *c = &r->changes[i];
		cJSON *o = j_item(a);

		ok = o != NULL && j_time(o, "at", c->at_ms) &&
		     cJSON_AddStringToObject(o, "region", c->region) != NULL &&
		     cJSON_AddStringToObject(o, "kind", c->kind) != NULL &&
		     cJSON_AddStringToObject(o, "who", c->who) != NULL &&
		     cJSON_AddStringToObject(o, "reason", c->reason) != NULL &&
		     cJSON_AddStringToObject(o, "summary", c->summary) != NULL;
	}
	return ok;
}

static bool j_months(cJSON *root, const struct report *r)
{
	cJSON *a = cJSON_AddArrayToObject(root, "months");
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < r->n_months; i++) {
		const struct report_month *m = &r->months[i];
		cJSON *o = j_item(a);

		ok = o != NULL && cJSON_AddStringToObject(o, "month", m->month) != NULL &&
		     cJSON_AddStringToObject(o, "region", m->region) != NULL &&
		     cJSON_AddStringToObject(o, "chain", m->chain) != NULL && j_figures(o, &m->f) &&
		     j_num(o, "samples", m->samples, 0, false) &&
		     j_num(o, "avg_healthy", m->avg_healthy, AVG_PLACES, false) &&
		     j_num(o, "avg_in_rotation", m->avg_in_rotation, AVG_PLACES, false) &&
		     j_num(o, "first_ref_height", m->first_height, 0, false) &&
		     j_num(o, "last_ref_height", m->last_height, 0, false);
	}
	return ok;
}

static bool j_opt_string(cJSON *o, const char *key, const char *s)
{
	return (s != NULL ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key)) !=
	       NULL;
}

static void render_json(struct pf_buf *b, const struct report *r)
{
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;

	if (root != NULL && j_time(root, "from", r->from_ms) && j_time(root, "to", r->to_ms) &&
	    cJSON_AddBoolToObject(root, "to_clipped", r->to_clipped) != NULL &&
	    j_opt_string(root, "region", r->region) && j_opt_string(root, "chain", r->chain) &&
	    cJSON_AddRawToObject(root, "target_pct", REPORT_TARGET_PCT) != NULL &&
	    j_uptime(root, r) && j_incidents(root, r) && j_changes(root, r) && j_months(root, r) &&
	    (r->capacity == NULL || capacity_json(root, r->capacity)))
		text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL) {
		b->failed = true;
		return;
	}
	pf_buf_printf(b, "%s\n", text);
	cJSON_free(text);
}

char *report_render(const struct report *r, enum report_format fmt, size_t *len)
{
	struct pf_buf b = {0};

	switch (fmt) {
	case REPORT_MD:
		render_md(&b, r);
		break;
	case REPORT_CSV:
		render_csv(&b, r);
		break;
	case REPORT_JSON:
		render_json(&b, r);
		break;
	case REPORT_HTML:
	case REPORT_FORMAT_COUNT:
		report_html(&b, r);
		break;
	}
	return pf_buf_take(&b, len);
}
