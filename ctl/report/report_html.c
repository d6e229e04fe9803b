/* SPDX-License-Identifier: MIT */
/*
 * The HTML page (see report_html.h). The tables hold the same rounded
 * figures as the Markdown report (report_render.c); the timelines are SVG
 * rectangles laid over the window, 1000 user units wide, one per segment
 * of sql/003_report.sql's report_timeline, each with a <title> a browser
 * shows on hover. Nothing on the page loads anything.
 */
#include "ctl/report/report_html.h"

#include <stdio.h>
#include <string.h>

#include "ctl/report/report_fmt.h"
#include "ctl/usage/capacity_render.h"

#define SVG_W 1000.0

static const char *const state_names[REPORT_STATE_COUNT] = {"up", "degraded", "down", "no data"};
static const char *const state_class[REPORT_STATE_COUNT] = {"up", "dg", "dn", "nd"};

static const char style[] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left}"
    "td.n{text-align:right}.missed{color:#b00}"
    "svg{display:block;width:100%;max-width:1000px;height:24px}"
    ".up{fill:#2a2;background:#2a2}.dg{fill:#dc2;background:#dc2}.dn{fill:#c22;background:#c22}.nd{"
    "fill:#bbb;background:#bbb}"
    ".key span{display:inline-block;width:1em;height:1em;margin:0 .3em 0 1em}";

static void text(struct pf_buf *b, const char *s)
{
	rfmt_html(b, s);
}

static void h_time(struct pf_buf *b, int64_t ms)
{
	char t[RFMT_TIME_MAX];

	pf_buf_printf(b, "%s", rfmt_time(ms, t));
}

static void td(struct pf_buf *b, const char *s)
{
	pf_buf_printf(b, "<td>");
	text(b, s);
	pf_buf_printf(b, "</td>");
}

static void td_num(struct pf_buf *b, const char *dec, int places)
{
	char r[RFMT_DEC_MAX];

	pf_buf_printf(b, "<td class=\"n\">%s</td>",
	              rfmt_dec_round(dec, places, false, r) ? r : "-");
}

static void td_figures(struct pf_buf *b, const struct report_figures *f)
{
	td_num(b, f->uptime_pct, 3);
	pf_buf_printf(b, "<td%s>%s</td>", f->target_met ? "" : " class=\"missed\"",
	              f->target_met ? "met" : "missed");
	td_num(b, f->down_min, 2);
	td_num(b, f->nodata_min, 2);
}

static void head(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                 "<title>Uptime report ");
	h_time(b, r->from_ms);
	pf_buf_printf(b, " to ");
	h_time(b, r->to_ms);
	pf_buf_printf(b,
	              "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Uptime report</h1>\n"
	              "<ul>\n<li>Window: ",
	              style);
	h_time(b, r->from_ms);
	pf_buf_printf(b, " to ");
	h_time(b, r->to_ms);
	if (r->to_clipped)
		pf_buf_printf(b, " (--to was in the future: clipped to now)");
	pf_buf_printf(b, "</li>\n<li>Region: ");
	text(b, r->region != NULL ? r->region : "all");
	pf_buf_printf(b, "; chain: ");
	text(b, r->chain != NULL ? r->chain : "all");
	pf_buf_printf(b, "</li>\n<li>Target: " REPORT_TARGET_PCT " %% uptime per chain and region. "
	                 "Up and degraded count as up; down and no data do not.</li>\n</ul>\n");
}

static void uptime(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "<h2>Uptime</h2>\n<table>\n<tr><th>region</th><th>chain</th><th>uptime "
	                 "%%</th><th>target</th><th>down min</th><th>no data min</th></tr>\n");
	for (size_t i = 0; i < r->n_uptime; i++) {
		const struct report_uptime *u = &r->uptime[i];

		pf_buf_printf(b, "<tr>");
		td(b, u->scope == REPORT_SCOPE_REGION ? u->region : "all");
		td(b, u->scope == REPORT_SCOPE_TOTAL ? "all" : u->chain);
		td_figures(b, &u->f);
		pf_buf_printf(b, "</tr>\n");
	}
	pf_buf_printf(b, "</table>\n");
}

/* The SVG of the segments [<i>, <j>) (one region and chain). */
static void svg(struct pf_buf *b, const struct report *r, size_t i, size_t j)
{
	double span = (double)(r->to_ms - r->from_ms);

	pf_buf_printf(b, "<h3>");
	text(b, r->segments[i].region);
	pf_buf_printf(b, " / ");
	text(b, r->segments[i].chain);
	pf_buf_printf(b,
	              "</h3>\n<svg viewBox=\"0 0 %.0f 24\" preserveAspectRatio=\"none\" "
	              "role=\"img\" aria-label=\"",
	              SVG_W);
	text(b, r->segments[i].region);
	pf_buf_printf(b, " ");
	text(b, r->segments[i].chain);
	pf_buf_printf(b, " timeline\">\n");
	for (size_t k; i < j; i = k) {
		const struct report_segment *s = &r->segments[i];
		int64_t t1 = s->t1_ms;
		double x0, x1;
		enum report_state st = s->state < REPORT_STATE_COUNT ? s->state : REPORT_NODATA;

		/* One bar for a run of the same state (across a new session, for one). */
		for (k = i + 1;
		     k < j && r->segments[k].state == s->state && r->segments[k].t0_ms == t1; k++)
			t1 = r->segments[k].t1_ms;
		x0 = span > 0 ? (double)(s->t0_ms - r->from_ms) * SVG_W / span : 0;
		x1 = span > 0 ? (double)(t1 - r->from_ms) * SVG_W / span : 0;

		pf_buf_printf(b,
		              "<rect class=\"%s\" x=\"%.3f\" y=\"0\" width=\"%.3f\" height=\"24\">"
		              "<title>%s ",
		              state_class[st], x0, x1 - x0, state_names[st]);
		h_time(b, s->t0_ms);
		pf_buf_printf(b, " to ");
		h_time(b, t1);
		pf_buf_printf(b, "</title></rect>\n");
	}
	pf_buf_printf(b, "</svg>\n");
}

static void timelines(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "<h2>Timelines</h2>\n<p class=\"key\">");
	for (int s = 0; s < REPORT_STATE_COUNT; s++)
		pf_buf_printf(b, "<span class=\"%s\"></span>%s", state_class[s], state_names[s]);
	pf_buf_printf(b, "</p>\n");
	for (size_t i = 0, j; i < r->n_segments; i = j) {
		for (j = i + 1; j < r->n_segments &&
		                strcmp(r->segments[j].region, r->segments[i].region) == 0 &&
		                strcmp(r->segments[j].chain, r->segments[i].chain) == 0;
		     j++)
			;
		svg(b, r, i, j);
	}
}

static void nodes_text(struct pf_buf *b, const char *nodes)
{
	if (nodes[0] == '\0')
		pf_buf_printf(b, "-");
	for (const char *p = nodes; *p != '\0'; p++) {
		char c[2] = {*p, '\0'};

		if (*p == ',')
			pf_buf_printf(b, ", ");
		else
			text(b, c);
	}
}

static void incidents(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "<h2>Incidents</h2>\n");
	if (r->n_incidents == 0) {
		pf_buf_printf(b, "<p>None.</p>\n");
		return;
	}
	pf_buf_printf(b, "<table>\n<tr><th>start</th><th>end</th><th>duration</th><th>region</th>"
	                 "<th>chain</th><th>kind</th><th>severity</th><th>cause</th><th>nodes</th>"
	                 "</tr>\n");
	for (size_t i = 0; i < r->n_incidents; i++) {
		const struct report_incident *x = &r->incidents[i];

		pf_buf_printf(b, "<tr><td>");
		h_time(b, x->start_ms);
		pf_buf_printf(b, "</td><td>");
		if (x->open)
			pf_buf_printf(b, "open");
		else
			h_time(b, x->end_ms);
		pf_buf_printf(b, "</td><td class=\"n\">");
		rfmt_duration(b, x->duration_s);
		pf_buf_printf(b, "%s</td>", x->open ? " so far" : "");
		td(b, x->region);
		td(b, x->chain[0] != '\0' ? x->chain : "(region)");
		td(b, x->kind);
		td(b, x->severity);
		td(b, x->cause);
		pf_buf_printf(b, "<td>");
		nodes_text(b, x->nodes);
		pf_buf_printf(b, "</td></tr>\n");
	}
	pf_buf_printf(b, "</table>\n");
}

static void changes(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "<h2>Operational changes</h2>\n");
	if (r->n_changes == 0) {
		pf_buf_printf(b, "<p>None.</p>\n");
		return;
	}
	pf_buf_printf(b, "<table>\n<tr><th>at</th><th>region</th><th>kind</th><th>who</th>"
	                 "<th>reason</th><th>summary</th></tr>\n");
	for (size_t i = 0; i < r->n_changes; i++) {
		const struct report_change *c = &r->changes[i];

		pf_buf_printf(b, "<tr><td>");
		h_time(b, c->at_ms);
		pf_buf_printf(b, "</td>");
		td(b, c->region);
		td(b, c->kind);
		td(b, c->who);
		td(b, c->reason);
		td(b, c->summary);
		pf_buf_printf(b, "</tr>\n");
	}
	pf_buf_printf(b, "</table>\n");
}

static void months(struct pf_buf *b, const struct report *r)
{
	pf_buf_printf(b, "<h2>Month by month</h2>\n<table>\n<tr><th>month</th><th>region</th>"
	                 "<th>chain</th><th>uptime %%</th><th>target</th><th>down min</th><th>no "
	                 "data min</th><th>minutes sampled</th><th>avg healthy</th><th>avg in "
	                 "rotation</th><th>first height</th><th>last height</th></tr>\n");
	for (size_t i = 0; i < r->n_months; i++) {
		const struct report_month *m = &r->months[i];

		pf_buf_printf(b, "<tr>");
		td(b, m->month);
		td(b, m->region);
		td(b, m->chain);
		td_figures(b, &m->f);
		td_num(b, m->samples, 0);
		td_num(b, m->avg_healthy, 2);
		td_num(b, m->avg_in_rotation, 2);
		td_num(b, m->first_height, 0);
		td_num(b, m->last_height, 0);
		pf_buf_printf(b, "</tr>\n");
	}
	pf_buf_printf(b, "</table>\n");
}

void report_html(struct pf_buf *b, const struct report *r)
{
	head(b, r);
	uptime(b, r);
	timelines(b, r);
	incidents(b, r);
	changes(b, r);
	months(b, r);
	if (r->capacity != NULL)
		capacity_html(b, r->capacity);
	pf_buf_printf(b, "</body>\n</html>\n");
}
