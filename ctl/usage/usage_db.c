/* SPDX-License-Identifier: MIT */
/*
 * libpq for `polkfura-ctl usage` (see usage_db.h). Every statement is a
 * fixed text but for the column the keys are grouped by, which comes from
 * a table here, never from the command line; the window and the filters
 * are parameters. Sums of bigint come back as numeric text and are read
 * with strtoull.
 */
#include "ctl/usage/usage_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/text.h"
#include "ctl/db/dbconn.h"
#include "ctl/report/report_fmt.h"

struct usage_db {
	PGresult *groups, *sums;
	struct usage_group *g;
	struct cap_sums *s;
};

#define WHERE                                                                                      \
	"minute >= $1::timestamptz AND minute < $2::timestamptz "                                  \
	"AND ($3::text IS NULL OR region = $3) AND ($4::text IS NULL OR chain = $4)"

/*
 * Per key: the sums, then the merged buckets as two lists in the order of
 * the bounds. %s is the key's column.
 */
static const char groups_sql[] =
    "WITH w AS (SELECT * FROM rpc_minutes WHERE " WHERE "), "
    "g AS (SELECT chain, %s AS key, overflow, sum(requests) AS requests, sum(errors) AS errors, "
    "sum(calls) AS calls, sum(bytes) AS bytes, sum(node_ms) AS node_ms, "
    "sum(ta_sum_ms) AS ta_sum_ms FROM w GROUP BY 1, 2, 3), "
    "b AS (SELECT chain, %s AS key, overflow, u.le, sum(u.c) AS c "
    "FROM w, unnest(w.ta_le_ms, w.ta_counts) AS u(le, c) GROUP BY 1, 2, 3, 4), "
    "bl AS (SELECT chain, key, overflow, string_agg(le::text, ',' ORDER BY le) AS les, "
    "string_agg(c::text, ',' ORDER BY le) AS cs FROM b GROUP BY 1, 2, 3) "
    "SELECT g.chain, g.key, g.overflow, g.requests, g.errors, g.calls, g.bytes, g.node_ms, "
    "g.ta_sum_ms, coalesce(bl.les, ''), coalesce(bl.cs, '') "
    "FROM g LEFT JOIN bl USING (chain, key, overflow)";

/*
 * Per region and chain, the sums of capacity.h's struct cap_sums. The
 * traffic is summed per minute first (every controller of the region, no
 * overflow rows); only those minutes are matched with their sample,
 * through minute_samples' unique (region, chain, minute) index, and the
 * samples are otherwise only counted: a year of samples is one scan, not a
 * join or a sort. The peak minute is the first with the most calls, or the
 * first minute of any data when no minute has calls.
 */
static const char sums_sql[] =
    "WITH r AS (SELECT region, chain, minute, sum(calls) AS calls, sum(node_ms) AS node_ms "
    "FROM rpc_minutes WHERE NOT overflow AND chain <> '' AND " WHERE " GROUP BY 1, 2, 3), "
    "t AS (SELECT r.*, s.nodes_in_rotation AS nodes, "
    "max(r.calls) OVER (PARTITION BY r.region, r.chain) AS peak FROM r LEFT JOIN minute_samples s "
    "ON s.region = r.region AND s.chain = r.chain AND s.minute = r.minute), "
    "ta AS (SELECT region, chain, count(*) FILTER (WHERE nodes IS NULL) AS unsampled, "
    "count(*) FILTER (WHERE coalesce(nodes, 0) = 0 AND calls > 0) AS unserved, "
    "sum(calls) AS calls, sum(node_ms) AS node_ms, max(calls) AS peak_calls, "
    "max(node_ms) AS peak_node_ms, min(minute) FILTER (WHERE calls = peak) AS peak_minute, "
    "min(minute) AS first_minute, "
    "sum(node_ms::float8 / nodes) FILTER (WHERE nodes > 0) AS load_sum, "
    "max(node_ms::float8 / nodes) FILTER (WHERE nodes > 0) AS peak_load FROM t GROUP BY 1, 2), "
    "sa AS (SELECT region, chain, count(*) AS samples, "
    "count(*) FILTER (WHERE nodes_in_rotation > 0) AS with_nodes, min(minute) AS first_minute "
    "FROM minute_samples WHERE " WHERE " GROUP BY 1, 2) "
    "SELECT region, chain, coalesce(sa.samples, 0) + coalesce(ta.unsampled, 0), "
    "coalesce(sa.with_nodes, 0), coalesce(ta.unserved, 0), coalesce(ta.calls, 0), "
    "coalesce(ta.node_ms, 0), coalesce(ta.peak_calls, 0), (extract(epoch FROM CASE WHEN "
    "coalesce(ta.peak_calls, 0) > 0 THEN ta.peak_minute ELSE least(sa.first_minute, "
    "ta.first_minute) END) * 1000)::bigint, coalesce(ta.peak_node_ms, 0), "
    "coalesce(ta.load_sum, 0), coalesce(ta.peak_load, 0) "
    "FROM ta FULL JOIN sa USING (region, chain) ORDER BY 1, 2";

static uint64_t u64(const PGresult *r, int row, int col)
{
	return strtoull(PQgetvalue(r, row, col), NULL, 10);
}

/* db_exec() with this command's migration hint. */
static int run(PGconn *c, const char *sql, int n, const char *const *params, PGresult **out,
               const char *what, char *err, size_t errlen)
{
	return db_exec(c, sql, n, params, out, what, "rpc_minutes", "004_usage.sql", err, errlen);
}

static bool fill_groups(struct usage_db *h, struct usage_data *out)
{
	const PGresult *r = h->groups;
	int n = PQntuples(r);

	h->g = calloc((size_t)n + 1, sizeof(*h->g));
	if (h->g == NULL)
		return false;
	for (int i = 0; i < n; i++) {
		struct usage_group *g = &h->g[i];

		g->chain = PQgetvalue(r, i, 0);
		g->key = PQgetvalue(r, i, 1);
		g->overflow = strcmp(PQgetvalue(r, i, 2), "t") == 0;
		g->requests = u64(r, i, 3);
		g->errors = u64(r, i, 4);
		g->calls = u64(r, i, 5);
		g->bytes = u64(r, i, 6);
		g->node_ms = u64(r, i, 7);
		hist_init(&g->ta);
		if (!usage_hist_from_lists(&g->ta, PQgetvalue(r, i, 9), PQgetvalue(r, i, 10))) {
			hist_init(&g->ta);
			out->bad_rows++;
		}
		g->ta.sum_ms = u64(r, i, 8);
	}
	out->groups = h->g;
	out->n_groups = (size_t)n;
	return true;
}

static bool fill_sums(struct usage_db *h, struct usage_data *out)
{
	const PGresult *r = h->sums;
	int n = PQntuples(r);

	h->s = calloc((size_t)n + 1, sizeof(*h->s));
	if (h->s == NULL)
		return false;
	for (int i = 0; i < n; i++)
		h->s[i] = (struct cap_sums){PQgetvalue(r, i, 0),
		                            PQgetvalue(r, i, 1),
		                            (unsigned)u64(r, i, 2),
		                            (unsigned)u64(r, i, 3),
		                            (unsigned)u64(r, i, 4),
		                            u64(r, i, 5),
		                            u64(r, i, 6),
		                            u64(r, i, 7),
		                            strtoll(PQgetvalue(r, i, 8), NULL, 10),
		                            u64(r, i, 9),
		                            strtod(PQgetvalue(r, i, 10), NULL),
		                            strtod(PQgetvalue(r, i, 11), NULL)};
	out->sums = h->s;
	out->n_sums = (size_t)n;
	return true;
}

/* The reads of <q>, in whatever transaction <c> has open. */
static int read_queries(PGconn *c, const struct usage_query *q, struct usage_db *h,
                        struct usage_data *out, char *err, size_t errlen)
{
	/* The key's column; "time" ranks methods. */
	static const char *const cols[USAGE_BY_COUNT] = {"method", "class", "status", "method"};
	char from[RFMT_TIME_MAX], to[RFMT_TIME_MAX], sql[sizeof(groups_sql) + 32];
	const char *p[4] = {rfmt_time(q->from_ms, from), rfmt_time(q->to_ms, to), q->region,
	                    q->chain};

	if (q->groups) {
		snprintf(sql, sizeof(sql), groups_sql, cols[q->by < USAGE_BY_COUNT ? q->by : 0],
		         cols[q->by < USAGE_BY_COUNT ? q->by : 0]);
		if (run(c, sql, 4, p, &h->groups, "rpc_minutes", err, errlen) == -1)
			return -1;
	}
	if (q->capacity &&
	    run(c, sums_sql, 4, p, &h->sums, "rpc_minutes and minute_samples", err, errlen) == -1)
		return -1;
	if ((q->groups && !fill_groups(h, out)) || (q->capacity && !fill_sums(h, out))) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int read_all(PGconn *c, const struct usage_query *q, struct usage_db *h,
                    struct usage_data *out, char *err, size_t errlen)
{
	if (run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, "BEGIN", err,
	        errlen) == -1 ||
	    read_queries(c, q, h, out, err, errlen) == -1 ||
	    run(c, "COMMIT", 0, NULL, NULL, "COMMIT", err, errlen) == -1)
		return -1;
	return 0;
}

static struct usage_db *hold_new(struct usage_data *out, struct usage_db **hold, char *err,
                                 size_t errlen)
{
	struct usage_db *h = calloc(1, sizeof(*h));

	*hold = h;
	*out = (struct usage_data){0};
	if (h == NULL)
		pf_errf(err, errlen, "out of memory");
	return h;
}

int usage_db_read_in(struct pg_conn *c, const struct usage_query *q, struct usage_data *out,
                     struct usage_db **hold, char *err, size_t errlen)
{
	struct usage_db *h = hold_new(out, hold, err, errlen);

	if (h == NULL)
		return 1;
	return read_queries(c, q, h, out, err, errlen) == 0 ? 0 : 1;
}

int usage_db_read(const struct migrate_opts *o, const struct usage_query *q, struct usage_data *out,
                  struct usage_db **hold, char *err, size_t errlen)
{
	struct usage_db *h = hold_new(out, hold, err, errlen);
	PGconn *c;
	int rc = 1;

	if (h == NULL)
		return 1;
	c = migrate_connect(o, &rc, err, errlen);
	if (c == NULL)
		return rc;
	rc = read_all(c, q, h, out, err, errlen) == 0 ? 0 : 1;
	PQfinish(c);
	return rc;
}

void usage_db_free(struct usage_db *h)
{
	if (h == NULL)
		return;
	PQclear(h->groups);
	PQclear(h->sums);
	free(h->g);
	free(h->s);
	free(h);
}
