/* SPDX-License-Identifier: MIT */
/*
 * The rows of one report, as the SQL functions of sql/003_report.sql return
 * them: what report_db.c fills and the renderers (report_render.h,
 * report_html.h) print. Plain data: every string is borrowed from whoever
 * filled the struct (libpq's results for report_db.c, literals in the unit
 * tests) and never NULL. Numbers stay the exact decimal text PostgreSQL
 * printed ("" for SQL NULL) until a renderer rounds them; times are
 * milliseconds since the epoch, UTC.
 */
#ifndef PF_CTL_REPORT_REPORT_DATA_H
#define PF_CTL_REPORT_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The promised uptime, per chain and region. */
#define REPORT_TARGET_PCT "99"

/* The figures of one uptime row (report_uptime, report_months): seconds, %, minutes. */
struct report_figures {
	const char *window_s, *up_s, *down_s, *nodata_s;
	const char *uptime_pct, *down_min, *nodata_min;
	bool target_met;
};

enum report_scope {
	REPORT_SCOPE_REGION = 0, /* one chain in one region */
	REPORT_SCOPE_CHAIN,      /* one chain across the regions: region "" */
	REPORT_SCOPE_TOTAL,      /* everything: region and chain "" */
};

struct report_uptime {
	enum report_scope scope;
	const char *region, *chain;
	struct report_figures f;
};

struct report_month {
	const char *month; /* "2026-11" */
	const char *region, *chain;
	struct report_figures f;
	const char *samples;                       /* minutes sampled, "0" when none */
	const char *avg_healthy, *avg_in_rotation; /* "" when no sample */
	const char *first_height, *last_height;    /* "" when no sample or no height */
};

struct report_incident {
	const char *region, *chain; /* chain "" for a region-wide incident */
	const char *kind, *severity, *cause;
	const char *nodes; /* "a,b" ("" for none) */
	int64_t start_ms, end_ms;
	bool open;              /* no end yet: end_ms is meaningless */
	const char *duration_s; /* to the end, or to the window's end while open */
};

struct report_change {
	int64_t at_ms;
	const char *region, *kind, *who, *reason, *summary;
};

enum report_state {
	REPORT_UP = 0,
	REPORT_DEGRADED,
	REPORT_DOWN,
	REPORT_NODATA,
	REPORT_STATE_COUNT
};

/* One piece of report_timeline: a (region, chain)'s segments cover the window, in order. */
struct report_segment {
	const char *region, *chain;
	enum report_state state;
	int64_t t0_ms, t1_ms;
};

struct cap_view; /* ctl/usage/capacity_render.h */

struct report {
	int64_t from_ms, to_ms;
	bool to_clipped;            /* --to was after now(): to_ms is now */
	const char *region, *chain; /* the filters, NULL: all */
	const struct report_uptime *uptime;
	size_t n_uptime;
	const struct report_month *months;
	size_t n_months;
	const struct report_incident *incidents;
	size_t n_incidents;
	const struct report_change *changes;
	size_t n_changes;
	const struct report_segment *segments;
	size_t n_segments;
	/* The capacity section (`usage --capacity` of the window); NULL: none. */
	const struct cap_view *capacity;
};

#endif
