/* SPDX-License-Identifier: MIT */
#include "ctl/db/observe.h"

#include <stdio.h>

static const char *const state_names[OBS_STATE_COUNT] = {"nodata", "up", "degraded", "down"};

const char *obs_state_name(enum obs_state s)
{
	return (unsigned)s < OBS_STATE_COUNT ? state_names[s] : "?";
}

enum obs_state obs_chain_state(const struct obs_counts *c, char *why, size_t whylen)
{
	char tmp[1];

	if (why == NULL || whylen == 0) {
		why = tmp;
		whylen = sizeof(tmp);
	}
	if (c->stalled) {
		snprintf(why, whylen, "stalled at height %llu", (unsigned long long)c->ref_best);
		return OBS_DOWN;
	}
	if (c->reachable == 0) {
		snprintf(why, whylen, "no node answering");
		return OBS_DOWN;
	}
	if (c->healthy == 0) {
		if (c->kept_in > 0)
			snprintf(why, whylen, "only nodes kept in by min_ready (%u)", c->kept_in);
		else
			snprintf(why, whylen, "no healthy node in rotation");
		return OBS_DOWN;
	}
	if (c->healthy < c->min_ready) {
		snprintf(why, whylen, "%u healthy, fewer than min_ready %u", c->healthy,
		         c->min_ready);
		return OBS_DEGRADED;
	}
	snprintf(why, whylen, "%u healthy of %u", c->healthy, c->total);
	return OBS_UP;
}
