/* SPDX-License-Identifier: MIT */
/*
 * Aggregator snapshots (agg.h) added up by key, with the method by name:
 * the controller keeps one table for the minute being filled (its rows go
 * to PostgreSQL) and one since the start (the /metrics counters). Names
 * rather than the methods table's indexes, because SIGHUP may load another
 * table: a snapshot is merged with the table its lines were read with.
 *
 * At most <max_rows> keys: the lines of a key past the cap are added to the
 * one overflow row and counted, as agg.c does, so totals stay exact. Pure;
 * rowtab_merge() allocates a row the first time a key is seen.
 */
#ifndef PF_CTL_STATS_ROWTAB_H
#define PF_CTL_STATS_ROWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/stats/agg.h"
#include "ctl/stats/methtab.h"

struct rowtab_row {
	char chain[LOGLINE_CHAIN_MAX + 1];   /* "" for "-" */
	char method[LOGLINE_METHOD_MAX + 1]; /* a table name, "batch", "other", or "" for "-" */
	enum logline_class cls;
	enum agg_status status;
	bool overflow; /* the row of the keys past a cap; its key fields are empty */
	uint64_t requests, errors, calls, bytes, node_ms;
	struct hist ta;
};

struct rowtab {
	unsigned max_rows;
	size_t n;                 /* rows in use */
	struct rowtab_row **rows; /* owned, <n> of them, sorted by key; the overflow row last */
	size_t cap;               /* room in <rows> */
	uint64_t lines, overflow_lines;
	uint64_t syslog_rejected[SYSLOG_ERR_COUNT];
	uint64_t logline_rejected[LOGLINE_ERR_COUNT];
};

/* An empty table of at most <max_rows> (>= 1) keys besides the overflow row. */
void rowtab_init(struct rowtab *t, unsigned max_rows);

/* Frees the rows; the table is empty and usable again. */
void rowtab_fini(struct rowtab *t);

/* The method label of <method_id> (struct logline's) read with <m>. */
const char *rowtab_method_name(const struct methtab *m, int method_id);

/*
 * Adds snapshot <s>, whose lines were read with the methods table <m>, to
 * <t>. Returns 0, or -1 when a new row could not be allocated: its counts
 * then go to the overflow row (counted in overflow_lines), never lost.
 */
int rowtab_merge(struct rowtab *t, const struct agg_snap *s, const struct methtab *m);

/* Orders two rows by chain, method, class, status; the overflow row last. */
int rowtab_cmp(const struct rowtab_row *a, const struct rowtab_row *b);

#endif
