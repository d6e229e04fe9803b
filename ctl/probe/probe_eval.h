/* SPDX-License-Identifier: MIT */
/*
 * What one probe of another region's public edge means, and when a run of
 * probes changes that region's reachability: a pure state machine (no I/O,
 * no clock: times are parameters) so every threshold can be unit-tested.
 * prober.c does the GETs and feeds the results in.
 */
#ifndef PF_CTL_PROBE_PROBE_EVAL_H
#define PF_CTL_PROBE_PROBE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_WHY_MAX   256 /* bytes of a reason, NUL included */
#define PROBE_FIELD_MAX 64  /* bytes kept of the body's "status" and "reason" */

enum probe_state {
	PROBE_UNKNOWN = 0, /* no decision yet: fewer than rise or fall probes agreed */
	PROBE_REACHABLE,
	PROBE_UNREACHABLE,
};

/* What one GET saw. */
struct probe_answer {
	bool answered;     /* an HTTP answer came back (any status) */
	long http_status;  /* when answered */
	const char *body;  /* the answer's body, when answered; may be NULL */
	size_t len;        /* of <body> */
	const char *error; /* curl's reason when not answered; may be NULL */
};

/*
 * Whether <a> is what a reachable edge answers (HTTP 200, nothing else), and
 * why not into <why>/<whylen> (also written when reachable: "HTTP 200").
 * A non-200 answer is "HTTP <status>", then ": <status>" and " (<reason>)"
 * from the JSON body's string members of those names (the edge's /health),
 * or ": <the first bytes of a body that is not such JSON>"; a failed
 * transfer is curl's reason. Every field of the body is cut to
 * PROBE_FIELD_MAX, and every byte from outside made printable ('"' and '\'
 * too), so the reason is safe in a log line or a metric label. Pure (cJSON on the body, no I/O).
 */
bool probe_classify(const struct probe_answer *a, char *why, size_t whylen);

struct probe_limits {
	unsigned fall; /* consecutive failures that make a region unreachable, >= 1 */
	unsigned rise; /* consecutive successes that make it reachable, >= 1 */
};

/* One probed URL's history; zeroed (or probe_track_init) before the first probe. */
struct probe_track {
	enum probe_state state;
	bool first;           /* the last change was the first decision (from UNKNOWN) */
	bool last_ok;         /* the outcome of the current run */
	unsigned run;         /* probes in the current run (capped) */
	int64_t run_since_ms; /* wall clock of the current run's first probe */
	int64_t since_ms;     /* the first probe of the run that decided <state>; 0 while unknown */
	int64_t at_ms;        /* the probe that decided <state>; 0 while unknown */
	char why[PROBE_WHY_MAX];      /* the deciding probe's reason */
	char last_why[PROBE_WHY_MAX]; /* the latest probe's reason */
	uint64_t probes, failures;
};

void probe_track_init(struct probe_track *t);

/*
 * Feeds one probe (reachable <ok>, reason <why>, made at wall clock <at_ms>)
 * into <t> under <lim>. The state changes when the current run of equal
 * outcomes reaches lim->fall failures or lim->rise successes and differs
 * from the state; the state starts UNKNOWN and leaves it the same way.
 * Returns true when the state changed with this probe (t->since_ms is then
 * the run's first probe, t->at_ms this one, t->why its reason).
 */
bool probe_track_feed(struct probe_track *t, const struct probe_limits *lim, bool ok,
                      const char *why, int64_t at_ms);

/* "unknown", "reachable", "unreachable". */
const char *probe_state_name(enum probe_state s);

#endif
