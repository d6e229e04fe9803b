/* SPDX-License-Identifier: MIT */
/*
 * Per-minute aggregation of parsed access lines: per (chain, method, class,
 * status class) key, the request count, errors, calls, bytes, node time and
 * a latency histogram. The number of keys is capped when the aggregator is
 * made: lines of a key that finds no room go to one overflow row, counted,
 * so totals stay exact and nothing is dropped silently. Lines that did not
 * parse are counted by reason. agg_rotate() hands the minute over as an
 * immutable snapshot (for PostgreSQL and /metrics) and starts the next one.
 *
 * Pure: no I/O, no clock (the minute is the caller's), no allocation in
 * agg_add(); agg_new() and agg_rotate() allocate. Not thread-safe: one
 * aggregator per loop.
 */
#ifndef PF_CTL_STATS_AGG_H
#define PF_CTL_STATS_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/stats/hist.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/syslog.h"

#define AGG_MAX_KEYS 65536 /* the largest cap agg_new() takes */

/* %ST by its first digit; 0 when there was none (-1: the client left first). */
enum agg_status {
	AGG_STATUS_NONE = 0,
	AGG_STATUS_1XX,
	AGG_STATUS_2XX,
	AGG_STATUS_3XX,
	AGG_STATUS_4XX,
	AGG_STATUS_5XX,
	AGG_STATUS_COUNT
};

struct agg_row {
	/* the key */
	char chain[LOGLINE_CHAIN_MAX + 1]; /* "" for "-" */
	int method_id;                     /* as struct logline's */
	enum logline_class cls;
	enum agg_status status;
	bool overflow; /* the row of every key past the cap; its key fields are empty */
	/* the counts */
	uint64_t requests;
	uint64_t errors;  /* 5xx, or no status at all */
	uint64_t calls;   /* JSON-RPC calls: the batch size, 1 for a single call, 0 for none */
	uint64_t bytes;   /* %B, to the clients */
	uint64_t node_ms; /* sum of %Tr where a node answered: the node time spent */
	struct hist ta;   /* %Ta, the request's total active time, where logged (not -1) */
};

/* One minute, read-only once handed over. Owned by the caller: agg_snap_free(). */
struct agg_snap {
	int64_t minute_ms; /* the caller's start of the minute */
	uint64_t lines;    /* access lines counted, the overflow row's included */
	uint64_t overflow_lines;
	uint64_t syslog_rejected[SYSLOG_ERR_COUNT];
	uint64_t logline_rejected[LOGLINE_ERR_COUNT];
	size_t n_rows;
	struct agg_row rows[]; /* sorted by chain, method_id, class, status; overflow last */
};

struct agg;

/* An aggregator holding at most <max_keys> (1..AGG_MAX_KEYS) keys per minute; NULL on error. */
struct agg *agg_new(unsigned max_keys);
void agg_free(struct agg *a);

/* Counts the parsed line <l> in the current minute. */
void agg_add(struct agg *a, const struct logline *l);

/* Counts a datagram or message that did not parse, by reason. */
void agg_reject_syslog(struct agg *a, enum syslog_err err);
void agg_reject_logline(struct agg *a, enum logline_err err);

/*
 * Hands the current minute over as a snapshot stamped <minute_ms> and
 * starts an empty one. Returns NULL (the minute kept, to retry) when the
 * allocation fails.
 */
PF_MUSTCHECK struct agg_snap *agg_rotate(struct agg *a, int64_t minute_ms);
void agg_snap_free(struct agg_snap *s);

/* The status class of an HTTP status (-1 or out of range: AGG_STATUS_NONE). */
enum agg_status agg_status_of(int status);

#endif
