/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl usage`'s arithmetic on the rows the database summed per
 * key (usage_db.h): the merged %Ta histogram of each key read back into a
 * struct hist (ctl/stats/hist.h), the figures an operator reads (calls/s,
 * error %, quantiles, node time and its share), the ranking and the total.
 * Pure: no I/O, no clock, no allocation.
 */
#ifndef PF_CTL_USAGE_USAGE_AGG_H
#define PF_CTL_USAGE_USAGE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/stats/hist.h"
#include "ctl/usage/usage_args.h"

/* The bound sql/004_usage.sql stores for the overflow bucket (65,536 ms and more). */
#define USAGE_LE_OVERFLOW 2147483647

/* One key of the window: the rpc_minutes rows with the same chain and --by column, summed. */
struct usage_group {
	const char *chain; /* borrowed (the database's result or a literal); "" none */
	const char *key;   /* the method, class or status; "" none */
	bool overflow;     /* the rows past the aggregator's key cap: chain and key "" */
	uint64_t requests, errors, calls, bytes, node_ms;
	struct hist ta; /* %Ta; count is the sum of its buckets, sum_ms rpc_minutes' ta_sum_ms */
};

/* What a renderer prints for one group; see usage_figures. */
struct usage_figures {
	double calls_per_s; /* calls / the window's seconds */
	double error_pct;   /* errors / requests * 100; 0 without requests */
	double node_s;      /* node_ms / 1000 */
	double node_pct;    /* node_ms / the total's node_ms * 100; 0 when that is 0 */
	uint32_t p50, p95, p99;
	bool p99_overflow; /* p99 is HIST_MAX_MS: "at least" */
	bool has_latency;  /* the histogram holds anything */
};

/*
 * Adds <count> values to <h>'s bucket whose exclusive upper bound is
 * <le_ms> (hist_bucket_end; USAGE_LE_OVERFLOW for the overflow bucket).
 * Returns false, changing nothing, for a bound that is no bucket's.
 */
PF_MUSTCHECK bool usage_hist_add(struct hist *h, int64_t le_ms, uint64_t count);

/*
 * Reads two comma-separated lists of the same length ("1,8,104" and
 * "3,1,2", PostgreSQL's array_to_string of the merged buckets; both "" for
 * none) into <h> with usage_hist_add. Returns false at the first bound that
 * is no bucket's, a number that is not one, or lists of different lengths;
 * <h> then holds what came before.
 */
PF_MUSTCHECK bool usage_hist_from_lists(struct hist *h, const char *les, const char *counts);

/* The figures of <g> over a window of <window_ms> ms, <total_node_ms> the window's node time. */
void usage_figures(const struct usage_group *g, int64_t window_ms, uint64_t total_node_ms,
                   struct usage_figures *f);

/*
 * Sorts the <n> groups of <g> for --by <by>: by node time for time, by
 * requests otherwise; the larger first, ties by chain then key (bytes, as
 * strcmp), the overflow group after every other of the same figure.
 */
void usage_rank(struct usage_group *g, size_t n, enum usage_by by);

/* The sum of the <n> groups of <g> into <total> (chain and key ""), histograms merged. */
void usage_total(const struct usage_group *g, size_t n, struct usage_group *total);

#endif
