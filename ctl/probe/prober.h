/* SPDX-License-Identifier: MIT */
/*
 * Probes of the other regions' public edges (issue 10, "region
 * unreachable"): every interval one GET per configured URL, through the
 * poller on the controller's loop, on a new connection with TLS verified, as
 * a user there would fetch it. probe_eval.c judges each answer and counts the
 * runs; a change of a URL's reachability is reported once through the
 * callback given to prober_new(). The prober records nothing itself.
 */
#ifndef PF_CTL_PROBE_PROBER_H
#define PF_CTL_PROBE_PROBER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/probe/probe_eval.h"

struct ev_loop;
struct prober;

#define PROBER_NAME_MAX 32  /* bytes of a region or chain name */
#define PROBER_URL_MAX  255 /* bytes of a URL */

/* One change of one probed URL's reachability. Strings are borrowed for the callback. */
struct probe_event {
	const char *region, *chain, *url; /* chain "" = the region as a whole */
	bool reachable;
	bool first;       /* the first decision for this URL (it was unknown until now) */
	const char *why;  /* the deciding probe's reason: "HTTP 200", "HTTP 503: down", curl's */
	int64_t at_ms;    /* wall clock at the start of the deciding probe */
	int64_t since_ms; /* wall clock at the start of the deciding run's first probe */
};

typedef void (*prober_changed_cb_fn)(void *ctx, const struct probe_event *ev);

struct prober_target_cfg {
	const char *region, *chain, *url; /* chain may be "" */
};

struct prober_cfg {
	const struct prober_target_cfg *targets; /* <n> entries, borrowed for the call */
	unsigned n;
	unsigned interval_ms, timeout_ms; /* timeout_ms < interval_ms */
	unsigned fall, rise;              /* >= 1 */
	const char *ca_file;              /* PEM bundle for https://; NULL or "": libcurl's store */
};

/*
 * A prober on <loop> (borrowed) that calls <cb>(<ctx>, ...) on every change
 * of a URL's state, from the loop. Probes nothing until prober_set_cfg().
 * NULL on allocation failure.
 */
PF_MUSTCHECK struct prober *prober_new(struct ev_loop *loop, prober_changed_cb_fn cb, void *ctx);

/*
 * Makes <cfg> the probed set (start-up and reload): a URL already probed
 * keeps its state and counters (and its region and chain, if those did not
 * change); a new one starts unknown; a dropped one is forgotten without an
 * event. A changed interval applies from now on. Returns 0, or -1 on
 * allocation failure or a string too long, with the previous set untouched.
 */
PF_MUSTCHECK int prober_set_cfg(struct prober *p, const struct prober_cfg *cfg);

/* What the status shows of one probed URL; strings point into the prober until it changes. */
struct prober_view {
	const char *region, *chain, *url;
	enum probe_state state;
	const char *why;      /* why <state> (the deciding probe's reason); "" while unknown */
	const char *last_why; /* the latest probe's reason; "" before the first */
	int64_t since_ms;     /* start of the run that decided <state>; 0 while unknown */
	uint64_t probes, failures;
	double last_ms; /* how long the latest probe took */
};

/* Probed URLs, in config order. */
unsigned prober_count(const struct prober *p);

/* Fills <out> for URL <i> (< prober_count()). */
void prober_view(const struct prober *p, unsigned i, struct prober_view *out);

/* Cancels the probes in flight (no callback) and frees everything. NULL is a no-op. */
void prober_free(struct prober *p);

#endif
