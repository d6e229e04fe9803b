/* SPDX-License-Identifier: MIT */
/*
 * The status page (see page.h). A bar is an inline-block <span> with a
 * title a browser shows on hover and data- attributes a script or a test
 * can read; the page needs neither to be read. Times are UTC, to the
 * minute; percentages have three decimals, as the report's.
 */
#include "ctl/web/page.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "ctl/report/report_fmt.h"

static const char style[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}td.n{text-align:right}"
    ".up{background:#2a2}.dg{background:#dc2}.dn{background:#c22}.nd{background:#ddd}"
    ".st{color:#fff;font-weight:bold}.st.nd{color:#222}"
    ".bars{display:flex;gap:1px;height:28px;margin:.2em 0}"
    ".bars span{flex:1;min-width:2px}.bars span.nd{background:repeating-linear-gradient("
    "45deg,#ddd,#ddd 2px,#fff 2px,#fff 4px)}"
    ".key span{display:inline-block;width:1em;height:1em;margin:0 .3em 0 1em;"
    "vertical-align:middle}.note{color:#666}";

static void text(struct pf_buf *b, const char *s)
{
	rfmt_html(b, s);
}

/* "YYYY-MM-DD HH:MM UTC" */
static void minute(struct pf_buf *b, int64_t ms)
{
	char t[RFMT_TIME_MAX];

	rfmt_time(ms - ms % 60000, t);
	pf_buf_printf(b, "%.10s %.5s UTC", t, t + 11);
}

/* "3 d 4 h", "2 h 5 min", "7 min", "40 s" */
static void duration(struct pf_buf *b, double s)
{
	long long t = s > 0 ? (long long)(s + 0.5) : 0;

	if (t >= 86400)
		pf_buf_printf(b, "%lld d %lld h", t / 86400, t % 86400 / 3600);
	else if (t >= 3600)
		pf_buf_printf(b, "%lld h %lld min", t / 3600, t % 3600 / 60);
	else if (t >= 60)
		pf_buf_printf(b, "%lld min", t / 60);
	else
		pf_buf_printf(b, "%lld s", t);
}

const char *page_health_label(const char *health)
{
	if (health == NULL)
		return "No data yet";
	if (strcmp(health, "up") == 0)
		return "Operational";
	if (strcmp(health, "degraded") == 0)
		return "Degraded";
	if (strcmp(health, "down") == 0)
		return "Outage";
	return "No data yet";
}

static const char *health_class(const char *health)
{
	if (health == NULL)
		return "nd";
	return strcmp(health, "up") == 0         ? "up"
	       : strcmp(health, "degraded") == 0 ? "dg"
	       : strcmp(health, "down") == 0     ? "dn"
	                                         : "nd";
}

const char *page_day_class(const struct status_day *d)
{
	if (d->up_s + d->down_s <= 0)
		return "nd";
	if (d->down_s <= 0)
		return "up";
	return d->down_s * 100 <= d->window_s ? "dg" : "dn";
}

static void head(struct pf_buf *b, const struct status_view *v)
{
	pf_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                 "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	text(b, v->region);
	pf_buf_printf(b, " status</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
	text(b, v->region);
	pf_buf_printf(b, " status</h1>\n<p class=\"note\">As of ");
	minute(b, v->now_ms);
	pf_buf_printf(b, ".</p>\n");
}

static void chains(struct pf_buf *b, const struct status_view *v)
{
	pf_buf_printf(b, "<h2>Chains</h2>\n<table id=\"chains\">\n<tr><th>Chain</th><th>Status</th>"
	                 "<th>Best block</th><th>Finalized block</th><th>Nodes in rotation</th>"
	                 "<th>Why</th></tr>\n");
	for (unsigned c = 0; c < v->n_chains; c++) {
		const struct status_chain *ch = &v->chains[c];

		pf_buf_printf(b, "<tr data-chain=\"");
		text(b, ch->name);
		pf_buf_printf(b, "\" data-health=\"");
		text(b, ch->health != NULL ? ch->health : "nodata");
		pf_buf_printf(b, "\"><td>");
		text(b, ch->name);
		pf_buf_printf(b, "</td><td class=\"st %s\">%s</td>", health_class(ch->health),
		              page_health_label(ch->health));
		if (ch->ref_best > 0)
			pf_buf_printf(b, "<td class=\"n\">%llu</td>",
			              (unsigned long long)ch->ref_best);
		else
			pf_buf_printf(b, "<td class=\"n\">-</td>");
		if (ch->ref_finalized > 0)
			pf_buf_printf(b, "<td class=\"n\">%llu</td>",
			              (unsigned long long)ch->ref_finalized);
		else
			pf_buf_printf(b, "<td class=\"n\">-</td>");
		pf_buf_printf(b, "<td class=\"n\">%u of %u</td><td>", ch->in_rotation, ch->n_nodes);
		text(b, ch->health_why);
		pf_buf_printf(b, "</td></tr>\n");
	}
	pf_buf_printf(b, "</table>\n");
}

/* The other regions' edges as this region's probes see them; nothing without probes. */
static void probes(struct pf_buf *b, const struct status_view *v)
{
	if (v->n_probes == 0)
		return;
	pf_buf_printf(b, "<h2>Other regions, seen from here</h2>\n<table id=\"regions\">\n"
	                 "<tr><th>Region</th><th>Chain</th><th>Status</th><th>Since</th></tr>\n");
	for (unsigned i = 0; i < v->n_probes; i++) {
		const struct status_probe *p = &v->probes[i];
		bool ok = strcmp(p->state, "reachable") == 0;
		bool bad = strcmp(p->state, "unreachable") == 0;

		pf_buf_printf(b, "<tr><td>");
		text(b, p->region);
		pf_buf_printf(b, "</td><td>");
		text(b, p->chain[0] != '\0' ? p->chain : "all");
		pf_buf_printf(b, "</td><td class=\"st %s\">%s</td><td>",
		              ok    ? "up"
		              : bad ? "dn"
		                    : "nd",
		              ok    ? "Reachable"
		              : bad ? "Unreachable"
		                    : "Not probed yet");
		if (p->since_ms > 0)
			minute(b, p->since_ms);
		else
			pf_buf_printf(b, "-");
		pf_buf_printf(b, "</td></tr>\n");
	}
	pf_buf_printf(b, "</table>\n");
}

static const struct status_uptime *find_uptime(const struct status_history *h, const char *chain)
{
	for (unsigned i = 0; h != NULL && i < h->n_chains; i++)
		if (strcmp(h->chains[i].chain, chain) == 0)
			return &h->chains[i];
	return NULL;
}

static void bar(struct pf_buf *b, const struct status_day *d)
{
	char t[RFMT_TIME_MAX];
	double nodata = d->window_s - d->up_s - d->down_s;

	rfmt_time(d->day_ms, t);
	pf_buf_printf(b, "<span class=\"%s\" data-day=\"%.10s\"", page_day_class(d), t);
	if (d->up_s + d->down_s <= 0) {
		pf_buf_printf(b, " title=\"%.10s: no data\"></span>", t);
		return;
	}
	pf_buf_printf(b,
	              " data-uptime=\"%.3f\" title=\"%.10s: %.3f %% up, %.0f min down, %.0f min "
	              "no data\"></span>",
	              100 * d->up_s / d->window_s, t, 100 * d->up_s / d->window_s, d->down_s / 60,
	              nodata > 0 ? nodata / 60 : 0);
}

/* Uptime from the first day with data to the history's time, as the report counts it. */
static void uptime_line(struct pf_buf *b, const struct status_uptime *u)
{
	double w = 0, up = 0;
	unsigned first = u->n_days;

	for (unsigned i = 0; i < u->n_days; i++) {
		if (first == u->n_days && u->days[i].up_s + u->days[i].down_s > 0)
			first = i;
		if (first != u->n_days) {
			w += u->days[i].window_s;
			up += u->days[i].up_s;
		}
	}
	if (first == u->n_days || w <= 0) {
		pf_buf_printf(b, "<p class=\"note\">No data recorded in the last %d days.</p>\n",
		              STATUS_DAYS);
		return;
	}
	pf_buf_printf(b, "<p class=\"note\">%.3f %% up since ", 100 * up / w);
	minute(b, u->days[first].day_ms);
	pf_buf_printf(b, " (time without data counts as not up, as in the uptime report).</p>\n");
}

static void uptime(struct pf_buf *b, const struct status_view *v)
{
	const struct status_history *h = v->history;

	pf_buf_printf(b, "<h2>Uptime, last %d days</h2>\n", STATUS_DAYS);
	if (h == NULL || h->as_of_ms == 0) {
		pf_buf_printf(b,
		              "<p id=\"history\" data-history=\"unavailable\">History unavailable: "
		              "%s.</p>\n",
		              h == NULL ? "this controller has no database" : "not read yet");
		if (h != NULL && h->error[0] != '\0') {
			pf_buf_printf(b, "<p class=\"note\">The database: ");
			text(b, h->error);
			pf_buf_printf(b, "</p>\n");
		}
		return;
	}
	pf_buf_printf(b, "<p id=\"history\" data-history=\"%s\" class=\"note\">History as of ",
	              h->fresh ? "fresh" : "stale");
	minute(b, h->as_of_ms);
	pf_buf_printf(b, " (");
	duration(b, (double)(v->now_ms - h->as_of_ms) / 1000.0);
	pf_buf_printf(b, " ago)");
	if (!h->fresh) {
		pf_buf_printf(b, "; stale: the database did not answer the latest refresh (");
		text(b, h->error);
		pf_buf_printf(b, ")");
	}
	pf_buf_printf(b, ".</p>\n<p class=\"key\">Each bar is one UTC day, oldest first:"
	                 "<span class=\"up\"></span>no down time<span class=\"dg\"></span>"
	                 "down at most 1 %%<span class=\"dn\"></span>down more"
	                 "<span class=\"nd\"></span>no data</p>\n");
	for (unsigned c = 0; c < v->n_chains; c++) {
		const struct status_uptime *u = find_uptime(h, v->chains[c].name);

		pf_buf_printf(b, "<h3>");
		text(b, v->chains[c].name);
		pf_buf_printf(b, "</h3>\n<div class=\"bars\" data-chain=\"");
		text(b, v->chains[c].name);
		pf_buf_printf(b, "\">");
		for (unsigned i = 0; u != NULL && i < u->n_days; i++)
			bar(b, &u->days[i]);
		pf_buf_printf(b, "</div>\n");
		if (u != NULL)
			uptime_line(b, u);
		else
			pf_buf_printf(b, "<p class=\"note\">No data recorded.</p>\n");
	}
}

static void incident_row(struct pf_buf *b, const struct status_incident *in)
{
	pf_buf_printf(b, "<tr data-incident=\"");
	text(b, in->id);
	pf_buf_printf(b, "\" data-open=\"%s\"><td>", in->ended_ms == 0 ? "true" : "false");
	minute(b, in->started_ms);
	pf_buf_printf(b, "</td><td>");
	if (in->ended_ms == 0)
		pf_buf_printf(b, "open");
	else
		minute(b, in->ended_ms);
	pf_buf_printf(b, "</td><td>");
	duration(b, in->duration_s);
	if (in->ended_ms == 0)
		pf_buf_printf(b, " so far");
	pf_buf_printf(b, "</td><td>");
	text(b, in->severity);
	pf_buf_printf(b, "</td><td>");
	text(b, in->chain[0] != '\0' ? in->chain : "all");
	pf_buf_printf(b, "</td><td>");
	text(b, in->summary);
	pf_buf_printf(b, "</td></tr>\n");
}

static void incidents(struct pf_buf *b, const struct status_view *v)
{
	const struct status_history *h = v->history;
	unsigned open = 0;

	pf_buf_printf(b, "<h2>Incidents</h2>\n");
	if (h == NULL || h->as_of_ms == 0) {
		pf_buf_printf(b, "<p class=\"note\">Unavailable without the history.</p>\n");
		return;
	}
	for (unsigned i = 0; i < h->n_incidents; i++)
		open += h->incidents[i].ended_ms == 0;
	pf_buf_printf(
	    b, "<p>%u open; the table also lists those that ended in the last %d days.</p>\n", open,
	    STATUS_RECENT_DAYS);
	if (h->n_incidents == 0)
		return;
	pf_buf_printf(b, "<table id=\"incidents\">\n<tr><th>Start</th><th>End</th><th>Duration</th>"
	                 "<th>Severity</th><th>Chain</th><th>Summary</th></tr>\n");
	for (unsigned i = 0; i < h->n_incidents; i++)
		incident_row(b, &h->incidents[i]);
	pf_buf_printf(b, "</table>\n");
}

char *page_render(const struct status_view *v, size_t *len)
{
	struct pf_buf b = {0};

	head(&b, v);
	chains(&b, v);
	probes(&b, v);
	uptime(&b, v);
	incidents(&b, v);
	pf_buf_printf(&b, "</body>\n</html>\n");
	return pf_buf_take(&b, len);
}
