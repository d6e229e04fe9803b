/* SPDX-License-Identifier: MIT */
/*
 * Pushes chain states and incidents to an existing Cachet (API v1), best
 * effort, through its own poller on the controller's loop: nothing here
 * ever waits. A component's status is sent when it changes and again every
 * CACHET_RESEND_MS, so a lost push or a Cachet restored from a backup
 * converges. A chain incident (chain_degraded, chain_down, chain_stall) is
 * created in Cachet when polkfura opens it and marked fixed when polkfura
 * closes it; the id map lives in a file written atomically, so a restart
 * still resolves what it created. Failures back off (1 s doubling to
 * 60 s) and are logged once per outage; the token is never logged.
 * cachet_api.c builds and reads every message.
 */
#ifndef PF_CTL_CACHET_CACHET_H
#define PF_CTL_CACHET_CACHET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

struct ev_loop;
struct cachet;

#define CACHET_RESEND_MS   300000 /* a component's status again, unchanged */
#define CACHET_TIMEOUT_MS  3000   /* one request, connection and TLS included */
#define CACHET_BACKOFF_MS  1000   /* first wait after a failure; doubles */
#define CACHET_BACKOFF_MAX 60000
#define CACHET_MAP_FILE    "cachet-incidents" /* in spool_dir */

struct cachet_component_cfg {
	const char *chain;
	unsigned id;
};

struct cachet_cfg {
	const char *url;   /* base, no trailing '/': requests go to <url>/api/v1/... */
	const char *token; /* X-Cachet-Token; copied into the request headers only */
	const char *map_path;
	const struct cachet_component_cfg *components; /* <n>, copied */
	unsigned n;
};

struct cachet_stats {
	uint64_t sent, failed;
	uint64_t outages; /* runs of failures, each logged once */
	unsigned in_flight;
	unsigned incidents; /* mapped to a Cachet incident, not yet fixed there */
};

/*
 * A pusher on <loop> (borrowed). Reads the id map (a missing file is an
 * empty map). NULL with the reason in <err>. Blocking file I/O: start-up.
 */
PF_MUSTCHECK struct cachet *cachet_new(struct ev_loop *loop, const struct cachet_cfg *cfg,
                                       char *err, size_t errlen);

/* A chain's state after a round ("up", "degraded", "down", other: nothing sent). */
void cachet_chain_state(struct cachet *c, const char *chain, const char *state, int64_t now_ms);

/*
 * polkfura incident <id> opened (<open>: its <chain>, <kind> and <summary>)
 * or closed. Kinds other than chain_* are not pushed: a node out of
 * rotation is not news for the public page.
 */
void cachet_incident(struct cachet *c, const char *id, bool open, const char *chain,
                     const char *kind, const char *summary, int64_t now_ms);

void cachet_get_stats(const struct cachet *c, struct cachet_stats *out);

/* Cancels what is in flight and frees. NULL is a no-op. */
void cachet_free(struct cachet *c);

#endif
