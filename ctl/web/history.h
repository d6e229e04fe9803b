/* SPDX-License-Identifier: MIT */
/*
 * What the status page shows from PostgreSQL: per chain of this region,
 * one row per UTC day of the last STATUS_DAYS (the uptime bars), and the
 * open and recent incidents. ctl/db/status_reader.c fills it in the
 * background; the page (page.c) and /status.json (status.c) render it.
 * Value types only.
 */
#ifndef PF_CTL_WEB_HISTORY_H
#define PF_CTL_WEB_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#define STATUS_DAYS        90 /* uptime bars: today and the 89 UTC days before it */
#define STATUS_RECENT_DAYS 14 /* incidents that ended within this many days are listed */
#define STATUS_INCIDENTS   50 /* at most this many incidents, open ones first */
#define DAY_MS             INT64_C(86400000)

/*
 * One UTC day of one chain, counted as the uptime report counts
 * (sql/003_report.sql report_timeline): up and degraded are up; no data is
 * window - up - down. Today's window ends when the history was read.
 */
struct status_day {
	int64_t day_ms; /* 00:00 UTC */
	double window_s, up_s, down_s;
};

struct status_uptime {
	char *chain;                         /* owned by the history's owner */
	struct status_day days[STATUS_DAYS]; /* oldest first */
	unsigned n_days;
};

struct status_incident {
	char *id, *chain, *kind, *severity, *summary; /* owned by the history's owner */
	int64_t started_ms;
	int64_t ended_ms;  /* 0 while open */
	double duration_s; /* to the end, or to <as_of_ms> while open */
};

struct status_history {
	int64_t as_of_ms; /* when the data was read; 0: never read */
	bool fresh;       /* the latest refresh worked */
	char error[160];  /* why the latest refresh failed; "" when it worked */
	struct status_uptime *chains;
	unsigned n_chains;
	struct status_incident *incidents; /* open ones first, then newest first */
	unsigned n_incidents;
};

#endif
