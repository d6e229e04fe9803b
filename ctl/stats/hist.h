/* SPDX-License-Identifier: MIT */
/*
 * A latency histogram of HAProxy's integer milliseconds with fixed
 * log-linear buckets: one bucket per value below 8 ms, then 8 buckets per
 * power of two up to 65,536 ms (width 1/8 of the octave's start: 12.5 % of
 * the smallest value in the bucket, 6.25 % of the largest), then one
 * overflow bucket. 113 counters of 8 bytes: small enough to keep one per
 * key and minute, fine enough that p99 is read within 12.5 %. Same bounds
 * everywhere, so histograms merge by adding counters. Pure; no allocation.
 */
#ifndef PF_CTL_STATS_HIST_H
#define PF_CTL_STATS_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define HIST_EXACT    8     /* values 0..7 ms have a bucket each */
#define HIST_SUB      8     /* buckets per power of two above */
#define HIST_MAX_MS   65536 /* the overflow bucket holds this and above */
#define HIST_BUCKETS  (HIST_EXACT + 13 * HIST_SUB + 1)
#define HIST_OVERFLOW (HIST_BUCKETS - 1)

struct hist {
	uint64_t count;
	uint64_t sum_ms; /* saturates at UINT64_MAX */
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);

/* The bucket of <ms>. */
unsigned hist_bucket(uint32_t ms);

/*
 * Bucket <i>'s exclusive upper bound in ms: it holds the integer values v
 * with hist_bucket_end(i - 1) <= v < hist_bucket_end(i), i.e. the real
 * times t < hist_bucket_end(i) that HAProxy truncates to them. UINT32_MAX
 * for the overflow bucket.
 */
uint32_t hist_bucket_end(unsigned i);

/* Counts one value of <ms>. */
void hist_add(struct hist *h, uint32_t ms);

/* Adds <src>'s counts to <dst>. */
void hist_merge(struct hist *dst, const struct hist *src);

/*
 * The <q> quantile (0 < q <= 1) by nearest rank, read from the buckets:
 * the largest value of the bucket holding the ceil(q * count)-th smallest
 * value. For the exact quantile x this returns r with x <= r and r - x <
 * x / 8 (r == x below 8 ms): never low, at most 12.5 % high. HIST_MAX_MS
 * means "at least that" (the overflow bucket). 0 for an empty histogram.
 */
uint32_t hist_quantile(const struct hist *h, double q);

/*
 * Appends <h> to <b> in the Prometheus text format: <name>_bucket lines
 * with cumulative counts for every <stride>-th bucket bound (le in
 * seconds, hist_bucket_end(i) / 1000: exact, since the bounds are whole
 * ms) and le="+Inf", then <name>_sum (seconds) and <name>_count. <labels>
 * ("chain=\"polkadot\"", already escaped, may be "") go first in each set.
 * <stride> 8 gives one bound per power of two, 1 every bucket.
 */
void hist_export(const struct hist *h, const char *name, const char *labels, unsigned stride,
                 struct pf_buf *b);

#endif
