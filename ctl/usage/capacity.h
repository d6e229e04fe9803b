/* SPDX-License-Identifier: MIT */
/*
 * The capacity estimate of `polkfura-ctl usage --capacity` and of the
 * report: per region and chain, the peak and average calls/s of its
 * minutes, the node time each node in rotation spent answering, and a
 * suggested cluster size with the headroom it leaves. The model, with its
 * parameters (README.md, "Capacity"):
 *
 *   demand(m)  = node_ms(m) / 60,000      node-seconds per second in minute m,
 *                                         i.e. requests in flight at the nodes
 *   load(m)    = demand(m) / nodes_in_rotation(m)     per node in rotation
 *   needed     = ceil(max demand / (node_capacity * target_util))
 *   suggested  = needed, at least min_ready and 1, at most CAP_MAX_NODES
 *   headroom   = 1 - max demand / (suggested * node_capacity)
 *
 * node_capacity is the node time one node can serve per second (requests
 * in flight it handles without slowing down: measure it on one node);
 * target_util the share of it the busiest minute may use. Fewer than
 * min_minutes minutes of data give no suggestion. Pure: no I/O, no clock.
 */
#ifndef PF_CTL_USAGE_CAPACITY_H
#define PF_CTL_USAGE_CAPACITY_H

#include <stddef.h>
#include <stdint.h>

#define CAP_MAX_NODES 6u

/* The defaults of the model's parameters (--node-capacity, --target-util, --min-minutes). */
#define CAP_DEFAULT_NODE_CAPACITY 4.0
#define CAP_DEFAULT_TARGET_UTIL   0.7
#define CAP_DEFAULT_MIN_MINUTES   30u

struct cap_params {
	double node_capacity; /* node-seconds per second one node serves, > 0 */
	double target_util;   /* 0 < x <= 1 */
	unsigned min_minutes; /* fewer minutes of data: no suggestion */
	unsigned min_ready;   /* the config's min_ready: the floor of a suggestion (0: none) */
};

/*
 * The sums of one region and chain over the window (usage_db.c computes
 * them in SQL). A minute of it is one with traffic or a minute_samples row;
 * its traffic is the rpc_minutes rows of every controller of the region
 * added up, overflow rows (which name no chain) left out.
 */
struct cap_sums {
	const char *region, *chain; /* borrowed */
	unsigned minutes;           /* minutes with traffic or a sample */
	unsigned load_minutes;      /* of which with nodes in rotation (> 0) */
	unsigned unserved_minutes;  /* with calls but no node in rotation (0 or no sample) */
	uint64_t calls, node_ms;
	uint64_t peak_calls;    /* the most calls of one minute */
	int64_t peak_minute_ms; /* the first minute with peak_calls */
	uint64_t peak_node_ms;  /* the most node time of one minute */
	double load_sum_ms;     /* sum over the load minutes of node_ms / nodes_in_rotation */
	double peak_load_ms;    /* the largest of those */
};

enum cap_verdict {
	CAP_OK = 0, /* suggested is the model's answer */
	CAP_THIN,   /* fewer than min_minutes minutes: no suggestion (suggested 0) */
	CAP_OVER,   /* needed more than CAP_MAX_NODES: suggested is CAP_MAX_NODES */
};

struct cap_result {
	const char *region, *chain; /* borrowed from the cap_sums */
	unsigned minutes;           /* minutes with traffic or a sample */
	unsigned load_minutes;      /* of which with nodes in rotation */
	unsigned unserved_minutes;  /* with calls but no node in rotation (0 or no sample) */
	uint64_t calls, node_ms;
	double avg_cps, peak_cps;   /* calls per second: over the minutes, and the busiest one */
	int64_t peak_minute_ms;     /* the minute of peak_cps (the first one); 0 without minutes */
	double avg_load, peak_load; /* node-seconds per second per node in rotation */
	double peak_demand;         /* node-seconds per second of the busiest minute, all nodes */
	enum cap_verdict verdict;
	unsigned needed;     /* the model's count before the floor and the clamp */
	unsigned suggested;  /* 1..CAP_MAX_NODES; 0 when CAP_THIN */
	double headroom_pct; /* at suggested nodes (negative when CAP_OVER); 0 when CAP_THIN */
};

/* The estimate of each of the <n> sums <s> into <out> (room for <n>), in the same order. */
void capacity_compute(const struct cap_sums *s, size_t n, const struct cap_params *p,
                      struct cap_result *out);

#endif
