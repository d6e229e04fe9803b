/* SPDX-License-Identifier: MIT */
/*
 * The capacity model (see capacity.h). Node time stays in integer
 * milliseconds until the last division, so that the peak minute is found
 * exactly and the ceiling of "needed" is not pushed up by a rounding error
 * (1.0000000001 nodes would otherwise become 2).
 */
#include "ctl/usage/capacity.h"

#include <stdbool.h>
#include <string.h>

#define MINUTE_MS 60000.0

static bool same_pair(const struct cap_minute *a, const struct cap_minute *b)
{
	return strcmp(a->region, b->region) == 0 && strcmp(a->chain, b->chain) == 0;
}

/* ceil(<x>), where <x> is a quotient of exact integers that a double may carry 1e-9 over. */
static unsigned ceil_count(double x)
{
	double f;

	if (!(x > 0))
		return 0;
	if (x > 1e6)
		return 1000000u;
	f = (double)(unsigned)x;
	return (unsigned)f + (x - f > 1e-9 ? 1u : 0u);
}

static void suggest(struct cap_result *r, const struct cap_params *p)
{
	unsigned floor_n = p->min_ready > 1 ? p->min_ready : 1;

	if (r->minutes < p->min_minutes || r->minutes == 0) {
		r->verdict = CAP_THIN;
		return;
	}
	r->needed = ceil_count(r->peak_demand / (p->node_capacity * p->target_util));
	r->suggested = r->needed > floor_n ? r->needed : floor_n;
	r->verdict = r->needed > CAP_MAX_NODES ? CAP_OVER : CAP_OK;
	/* A min_ready above the clamp is the config's business, not a lack of capacity. */
	if (r->suggested > CAP_MAX_NODES)
		r->suggested = CAP_MAX_NODES;
	r->headroom_pct =
	    (1.0 - r->peak_demand / ((double)r->suggested * p->node_capacity)) * 100.0;
}

/* The result of the minutes <m>[0..<n>), all of one region and chain. */
static void one_pair(const struct cap_minute *m, size_t n, const struct cap_params *p,
                     struct cap_result *r)
{
	uint64_t peak_calls = 0, peak_node_ms = 0;
	double load_sum = 0;

	memset(r, 0, sizeof(*r));
	r->region = m[0].region;
	r->chain = m[0].chain;
	for (size_t i = 0; i < n; i++) {
		const struct cap_minute *x = &m[i];

		r->minutes++;
		r->calls += x->calls;
		r->node_ms += x->node_ms;
		if (i == 0 || x->calls > peak_calls ||
		    (x->calls == peak_calls && x->minute_ms < r->peak_minute_ms)) {
			peak_calls = x->calls;
			r->peak_minute_ms = x->minute_ms;
		}
		if (x->node_ms > peak_node_ms)
			peak_node_ms = x->node_ms;
		if (x->nodes > 0) {
			double load = (double)x->node_ms / MINUTE_MS / x->nodes;

			r->load_minutes++;
			load_sum += load;
			if (load > r->peak_load)
				r->peak_load = load;
		} else if (x->calls > 0) {
			r->unserved_minutes++;
		}
	}
	r->avg_cps = (double)r->calls / ((double)r->minutes * 60.0);
	r->peak_cps = (double)peak_calls / 60.0;
	r->avg_load = r->load_minutes > 0 ? load_sum / r->load_minutes : 0;
	r->peak_demand = (double)peak_node_ms / MINUTE_MS;
	suggest(r, p);
}

size_t capacity_compute(const struct cap_minute *m, size_t n, const struct cap_params *p,
                        struct cap_result *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && same_pair(&m[i], &m[j]))
			j++;
		one_pair(m + i, j - i, p, &out[k++]);
		i = j;
	}
	return k;
}
