/* SPDX-License-Identifier: MIT */
/*
 * libpq for `polkfura-ctl report` (see report_db.h). Every statement is a
 * fixed text; the window and the filters are parameters. Strings of the
 * report point into the PGresults, which stay alive in struct report_db.
 */
#include "ctl/report/report_db.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/text.h"
#include "ctl/db/dbconn.h"
#include "ctl/report/report_fmt.h"

enum { Q_UPTIME = 0, Q_MONTHS, Q_INCIDENTS, Q_CHANGES, Q_TIMELINE, Q_COUNT };

struct report_db {
	PGresult *res[Q_COUNT];
	struct report_uptime *uptime;
	struct report_month *months;
	struct report_incident *incidents;
	struct report_change *changes;
	struct report_segment *segments;
};

/* Times leave SQL as epoch milliseconds ("(extract(epoch FROM t) * 1000)::bigint"). */
static const char *const queries[Q_COUNT] = {
    [Q_UPTIME] = "SELECT scope, coalesce(region, ''), coalesce(chain, ''), window_s, up_s, "
                 "down_s, nodata_s, uptime_pct, down_min, nodata_min, target_met "
                 "FROM report_uptime($1, $2, $3, $4)",
    [Q_MONTHS] = "SELECT month, region, chain, window_s, up_s, down_s, nodata_s, uptime_pct, "
                 "down_min, nodata_min, target_met, samples, avg_healthy, avg_in_rotation, "
                 "first_ref_height, last_ref_height FROM report_months($1, $2, $3, $4)",
    [Q_INCIDENTS] = "SELECT region, chain, kind, severity, "
                    "(extract(epoch FROM started_at) * 1000)::bigint, "
                    "(extract(epoch FROM ended_at) * 1000)::bigint, duration_s, summary, "
                    "array_to_string(nodes, ',') FROM report_incidents($1, $2, $3, $4)",
    [Q_CHANGES] = "SELECT (extract(epoch FROM at) * 1000)::bigint, region, kind, who, reason, "
                  "summary FROM report_changes($1, $2, $3)",
    [Q_TIMELINE] = "SELECT region, chain, state, (extract(epoch FROM t0) * 1000)::bigint, "
                   "(extract(epoch FROM t1) * 1000)::bigint "
                   "FROM report_timeline($1, $2, $3, $4)",
};

static const int nparams[Q_COUNT] = {4, 4, 4, 3, 4};

static int64_t ms_of(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *val(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col);
}

static void figures(const PGresult *r, int i, int c, struct report_figures *f)
{
	*f = (struct report_figures){val(r, i, c),     val(r, i, c + 1),
	                             val(r, i, c + 2), val(r, i, c + 3),
	                             val(r, i, c + 4), val(r, i, c + 5),
	                             val(r, i, c + 6), strcmp(val(r, i, c + 7), "t") == 0};
}

static enum report_state state_of(const char *s)
{
	if (strcmp(s, "up") == 0)
		return REPORT_UP;
	if (strcmp(s, "degraded") == 0)
		return REPORT_DEGRADED;
	if (strcmp(s, "down") == 0)
		return REPORT_DOWN;
	return REPORT_NODATA;
}

/* Rows of the results into arrays of <h>, pointed to by <out>. Returns false on OOM. */
static bool fill(struct report_db *h, struct report *out)
{
	int n[Q_COUNT];

	for (int q = 0; q < Q_COUNT; q++)
		n[q] = PQntuples(h->res[q]);
	h->uptime = calloc((size_t)n[Q_UPTIME] + 1, sizeof(*h->uptime));
	h->months = calloc((size_t)n[Q_MONTHS] + 1, sizeof(*h->months));
	h->incidents = calloc((size_t)n[Q_INCIDENTS] + 1, sizeof(*h->incidents));
	h->changes = calloc((size_t)n[Q_CHANGES] + 1, sizeof(*h->changes));
	h->segments = calloc((size_t)n[Q_TIMELINE] + 1, sizeof(*h->segments));
	if (h->uptime == NULL || h->months == NULL || h->incidents == NULL || h->changes == NULL ||
	    h->segments == NULL)
		return false;
	for (int i = 0; i < n[Q_UPTIME]; i++) {
		const PGresult *r = h->res[Q_UPTIME];
		const char *scope = val(r, i, 0);
		struct report_uptime *u = &h->uptime[i];

		u->scope = strcmp(scope, "region") == 0  ? REPORT_SCOPE_REGION
		           : strcmp(scope, "chain") == 0 ? REPORT_SCOPE_CHAIN
		                                         : REPORT_SCOPE_TOTAL;
		u->region = val(r, i, 1);
		u->chain = val(r, i, 2);
		figures(r, i, 3, &u->f);
	}
	for (int i = 0; i < n[Q_MONTHS]; i++) {
		const PGresult *r = h->res[Q_MONTHS];
		struct report_month *m = &h->months[i];

		m->month = val(r, i, 0);
		m->region = val(r, i, 1);
		m->chain = val(r, i, 2);
		figures(r, i, 3, &m->f);
		m->samples = val(r, i, 11);
		m->avg_healthy = val(r, i, 12);
		m->avg_in_rotation = val(r, i, 13);
		m->first_height = val(r, i, 14);
		m->last_height = val(r, i, 15);
	}
	for (int i = 0; i < n[Q_INCIDENTS]; i++) {
		const PGresult *r = h->res[Q_INCIDENTS];

		h->incidents[i] = (struct report_incident){.region = val(r, i, 0),
		                                           .chain = val(r, i, 1),
		                                           .kind = val(r, i, 2),
		                                           .severity = val(r, i, 3),
		                                           .start_ms = ms_of(r, i, 4),
		                                           .end_ms = ms_of(r, i, 5),
		                                           .open = PQgetisnull(r, i, 5) != 0,
		                                           .duration_s = val(r, i, 6),
		                                           .cause = val(r, i, 7),
		                                           .nodes = val(r, i, 8)};
	}
	for (int i = 0; i < n[Q_CHANGES]; i++) {
		const PGresult *r = h->res[Q_CHANGES];

		h->changes[i] = (struct report_change){ms_of(r, i, 0), val(r, i, 1), val(r, i, 2),
		                                       val(r, i, 3),   val(r, i, 4), val(r, i, 5)};
	}
	for (int i = 0; i < n[Q_TIMELINE]; i++) {
		const PGresult *r = h->res[Q_TIMELINE];

		h->segments[i] =
		    (struct report_segment){val(r, i, 0), val(r, i, 1), state_of(val(r, i, 2)),
		                            ms_of(r, i, 3), ms_of(r, i, 4)};
	}
	out->uptime = h->uptime;
	out->n_uptime = (size_t)n[Q_UPTIME];
	out->months = h->months;
	out->n_months = (size_t)n[Q_MONTHS];
	out->incidents = h->incidents;
	out->n_incidents = (size_t)n[Q_INCIDENTS];
	out->changes = h->changes;
	out->n_changes = (size_t)n[Q_CHANGES];
	out->segments = h->segments;
	out->n_segments = (size_t)n[Q_TIMELINE];
	return true;
}

/* db_exec() with this command's migration hint. */
static int run(PGconn *c, const char *sql, int n, const char *const *params, PGresult **out,
               const char *what, char *err, size_t errlen)
{
	return db_exec(c, sql, n, params, out, what, "report_", "003_report.sql", err, errlen);
}

/* to = least(<q>->to, now()), into <r>->to_ms and <r>->to_clipped. */
static int clip_to(PGconn *c, const struct report_query *q, struct report *r, char *err,
                   size_t errlen)
{
	char to[RFMT_TIME_MAX];
	const char *p[1] = {rfmt_time(q->to_ms, to)};
	PGresult *res = NULL;

	if (run(c,
	        "SELECT (extract(epoch FROM least($1::timestamptz, now())) * 1000)::bigint, "
	        "$1::timestamptz > now()",
	        1, p, &res, "reading now()", err, errlen) == -1)
		return -1;
	r->to_ms = ms_of(res, 0, 0);
	r->to_clipped = !q->to_now && strcmp(val(res, 0, 1), "t") == 0;
	PQclear(res);
	return 0;
}

static int read_all(PGconn *c, const struct report_query *rq, struct report_db *h, struct report *r,
                    char *err, size_t errlen)
{
	char from[RFMT_TIME_MAX], to[RFMT_TIME_MAX];
	const char *p[4] = {rfmt_time(r->from_ms, from), rfmt_time(r->to_ms, to), r->region,
	                    r->chain};
	static const char *const what[Q_COUNT] = {"report_uptime", "report_months",
	                                          "report_incidents", "report_changes",
	                                          "report_timeline"};

	if (run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, "BEGIN", err,
	        errlen) == -1)
		return -1;
	for (int q = 0; q < Q_COUNT; q++)
		if (run(c, queries[q], nparams[q], p, &h->res[q], what[q], err, errlen) == -1)
			return -1;
	if (rq->also != NULL && rq->also(c, r, rq->also_ctx, err, errlen) == -1)
		return -1;
	if (run(c, "COMMIT", 0, NULL, NULL, "COMMIT", err, errlen) == -1)
		return -1;
	if (!fill(h, r)) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int report_db_read(const struct migrate_opts *o, const struct report_query *q, struct report *out,
                   struct report_db **hold, char *err, size_t errlen)
{
	struct report_db *h = calloc(1, sizeof(*h));
	PGconn *c = NULL;
	int rc = 1;

	*hold = h;
	*out = (struct report){q->from_ms, q->to_ms, false, q->region, q->chain, NULL, 0, NULL,
	                       0,          NULL,     0,     NULL,      0,        NULL, 0, NULL};
	if (h == NULL) {
		pf_errf(err, errlen, "out of memory");
		return 1;
	}
	c = migrate_connect(o, &rc, err, errlen);
	if (c == NULL)
		return rc;
	rc = 1;
	if (clip_to(c, q, out, err, errlen) == -1)
		goto out;
	if (out->from_ms >= out->to_ms) {
		pf_errf(err, errlen, "--from must be before %s",
		        q->to_now ? "now (no --to)" : "--to (clipped to now)");
		rc = 2;
		goto out;
	}
	if (read_all(c, q, h, out, err, errlen) == 0)
		rc = 0;
out:
	PQfinish(c);
	return rc;
}

void report_db_free(struct report_db *h)
{
	if (h == NULL)
		return;
	for (int q = 0; q < Q_COUNT; q++)
		PQclear(h->res[q]);
	free(h->uptime);
	free(h->months);
	free(h->incidents);
	free(h->changes);
	free(h->segments);
	free(h);
}
