/* SPDX-License-Identifier: MIT */
/*
 * The capacity model (see capacity.h). The peak minute's node time comes
 * in integer milliseconds; the ceiling of "needed" allows for the rounding
 * error of the divisions (3.0000000000000004 nodes would otherwise become
 * 4).
 */
#include "ctl/usage/capacity.h"

#include <string.h>

#define MINUTE_MS 60000.0

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

void capacity_compute(const struct cap_sums *s, size_t n, const struct cap_params *p,
                      struct cap_result *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct cap_sums *x = &s[i];
		struct cap_result *r = &out[i];

		memset(r, 0, sizeof(*r));
		r->region = x->region;
		r->chain = x->chain;
		r->minutes = x->minutes;
		r->load_minutes = x->load_minutes;
		r->unserved_minutes = x->unserved_minutes;
		r->calls = x->calls;
		r->node_ms = x->node_ms;
		if (x->minutes > 0)
			r->avg_cps = (double)x->calls / ((double)x->minutes * 60.0);
		r->peak_cps = (double)x->peak_calls / 60.0;
		r->peak_minute_ms = x->peak_minute_ms;
		if (x->load_minutes > 0)
			r->avg_load = x->load_sum_ms / MINUTE_MS / x->load_minutes;
		r->peak_load = x->peak_load_ms / MINUTE_MS;
		r->peak_demand = (double)x->peak_node_ms / MINUTE_MS;
		suggest(r, p);
	}
}
