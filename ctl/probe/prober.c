/* SPDX-License-Identifier: MIT */
/*
 * prober.h on the loop: one ev_timer, one poller of its own (its CA bundle is
 * probe_tls_ca_file, not the nodes'; fresh connections), one target per URL.
 * A target a reload drops while its GET is in flight waits on the <gone>
 * list for that GET's callback, which frees it: the poller cannot cancel one
 * request, and its callback holds the target.
 */
#include "ctl/probe/prober.h"

#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "ctl/poll/poller.h"

#define MOD "probe"

struct target {
	char region[PROBER_NAME_MAX + 1];
	char chain[PROBER_NAME_MAX + 1];
	char url[PROBER_URL_MAX + 1];
	struct probe_track track;
	struct prober *p; /* borrowed: the owner */
	bool in_flight;
	bool gone;           /* dropped by a reload while in flight: on p->gone */
	int64_t started_ms;  /* wall clock when the GET in flight started */
	double last_ms;      /* how long the latest probe took */
	struct target *next; /* on p->gone */
};

struct prober {
	struct ev_loop *loop;  /* borrowed */
	struct poller *poller; /* owned */
	ev_timer tick;
	struct target **t; /* owned array of owned targets, n entries */
	unsigned n;
	struct target *gone; /* owned: dropped while in flight */
	struct probe_limits lim;
	long timeout_ms;
	prober_changed_cb_fn cb;
	void *ctx;
};

static void gone_unlink(struct prober *p, struct target *t)
{
	for (struct target **pp = &p->gone; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
}

static void on_answer(void *ctx, const struct poller_result *res)
{
	struct target *t = ctx;
	struct prober *p = t->p;
	struct probe_answer a = {
	    .answered = res->outcome == POLLER_OK || res->outcome == POLLER_HTTP,
	    .http_status = res->http_status,
	    .body = res->body,
	    .len = res->len,
	    .error = res->error,
	};
	char why[PROBE_WHY_MAX];
	bool ok;

	t->in_flight = false;
	if (t->gone) {
		gone_unlink(p, t);
		free(t);
		return;
	}
	ok = probe_classify(&a, why, sizeof(why));
	t->last_ms = res->elapsed_ms;
	log_debug(MOD, "region=%s url=%s %s in %.0f ms", t->region, t->url, why, res->elapsed_ms);
	if (probe_track_feed(&t->track, &p->lim, ok, why, t->started_ms)) {
		struct probe_event ev = {
		    .region = t->region,
		    .chain = t->chain,
		    .url = t->url,
		    .reachable = t->track.state == PROBE_REACHABLE,
		    .first = t->track.first,
		    .why = t->track.why,
		    .at_ms = t->track.at_ms,
		    .since_ms = t->track.since_ms,
		};

		p->cb(p->ctx, &ev);
	}
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct prober *p = pf_container_of(w, struct prober, tick);

	(void)loop;
	(void)revents;
	for (unsigned i = 0; i < p->n; i++) {
		struct target *t = p->t[i];

		/* timeout < interval: only a loop stalled longer than that finds one in flight. */
		if (t->in_flight)
			continue;
		t->started_ms = pf_wall_ms();
		if (poller_get(p->poller, t->url, p->timeout_ms, on_answer, t) == -1) {
			log_err(MOD, "region=%s url=%s not probed this time: out of memory",
			        t->region, t->url);
			continue;
		}
		t->in_flight = true;
	}
}

struct prober *prober_new(struct ev_loop *loop, prober_changed_cb_fn cb, void *ctx)
{
	struct prober *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->loop = loop;
	p->cb = cb;
	p->ctx = ctx;
	p->poller = poller_new(loop);
	if (p->poller == NULL) {
		free(p);
		return NULL;
	}
	/* Each probe meets DNS, TCP and the TLS handshake as a new user does. */
	poller_set_fresh(p->poller, true);
	ev_timer_init(&p->tick, tick_cb, 0., 0.);
	return p;
}

static bool fits(const struct prober_target_cfg *tc)
{
	return strlen(tc->region) <= PROBER_NAME_MAX && strlen(tc->chain) <= PROBER_NAME_MAX &&
	       strlen(tc->url) <= PROBER_URL_MAX;
}

/* The target of <p> probing <url> and not yet taken into <taken>, or NULL. */
static struct target *find(const struct prober *p, const char *url, const bool *taken, unsigned *at)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!taken[i] && strcmp(p->t[i]->url, url) == 0) {
			*at = i;
			return p->t[i];
		}
	return NULL;
}

/* Frees the targets of <nt> (<n>) that are not <p>'s. */
static void discard_new(const struct prober *p, struct target **nt, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		bool old = false;

		for (unsigned i = 0; i < p->n && !old; i++)
			old = nt[k] == p->t[i];
		if (!old)
			free(nt[k]);
	}
	free(nt);
}

/* Drops the targets of <p> not in <taken>: freed now, or when their GET ends. */
static void drop_untaken(struct prober *p, const bool *taken)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct target *t = p->t[i];

		if (taken[i])
			continue;
		if (t->in_flight) {
			t->gone = true;
			t->next = p->gone;
			p->gone = t;
		} else {
			free(t);
		}
	}
}

int prober_set_cfg(struct prober *p, const struct prober_cfg *cfg)
{
	struct target **nt = calloc(cfg->n + 1, sizeof(*nt));
	bool *taken = calloc(p->n + 1, sizeof(*taken));
	double repeat = (double)cfg->interval_ms / 1000.0;
	unsigned k = 0;

	if (nt == NULL || taken == NULL)
		goto fail;
	for (k = 0; k < cfg->n; k++) {
		const struct prober_target_cfg *tc = &cfg->targets[k];
		unsigned at = 0;
		struct target *t = find(p, tc->url, taken, &at);

		if (!fits(tc))
			goto fail;
		if (t != NULL) {
			taken[at] = true;
		} else if ((t = calloc(1, sizeof(*t))) == NULL) {
			goto fail;
		} else {
			t->p = p;
			probe_track_init(&t->track);
		}
		nt[k] = t;
	}
	if (poller_set_ca_file(p->poller, cfg->ca_file) == -1)
		goto fail;
	/* Committed: nothing below fails. */
	for (k = 0; k < cfg->n; k++) {
		const struct prober_target_cfg *tc = &cfg->targets[k];
		struct target *t = nt[k];

		/* The same URL for another region or chain is another record. */
		if (strcmp(t->region, tc->region) != 0 || strcmp(t->chain, tc->chain) != 0)
			probe_track_init(&t->track);
		(void)snprintf(t->region, sizeof(t->region), "%s", tc->region);
		(void)snprintf(t->chain, sizeof(t->chain), "%s", tc->chain);
		(void)snprintf(t->url, sizeof(t->url), "%s", tc->url);
	}
	drop_untaken(p, taken);
	free(p->t);
	free(taken);
	p->t = nt;
	p->n = cfg->n;
	p->lim = (struct probe_limits){cfg->fall, cfg->rise};
	p->timeout_ms = (long)cfg->timeout_ms;
	if (p->n == 0) {
		ev_timer_stop(p->loop, &p->tick);
	} else if (!ev_is_active(&p->tick)) {
		ev_timer_set(&p->tick, 0., repeat); /* the first probes at once */
		ev_timer_start(p->loop, &p->tick);
	} else if (p->tick.repeat != repeat) {
		p->tick.repeat = repeat;
		ev_timer_again(p->loop, &p->tick);
	}
	return 0;
fail:
	if (nt != NULL)
		discard_new(p, nt, k);
	free(taken);
	return -1;
}

unsigned prober_count(const struct prober *p)
{
	return p->n;
}

void prober_view(const struct prober *p, unsigned i, struct prober_view *out)
{
	const struct target *t = p->t[i];

	*out = (struct prober_view){
	    .region = t->region,
	    .chain = t->chain,
	    .url = t->url,
	    .state = t->track.state,
	    .why = t->track.why,
	    .last_why = t->track.last_why,
	    .since_ms = t->track.since_ms,
	    .probes = t->track.probes,
	    .failures = t->track.failures,
	    .last_ms = t->last_ms,
	};
}

void prober_free(struct prober *p)
{
	if (p == NULL)
		return;
	ev_timer_stop(p->loop, &p->tick);
	poller_free(p->poller); /* no callback runs after this */
	for (unsigned i = 0; i < p->n; i++)
		free(p->t[i]);
	free(p->t);
	while (p->gone != NULL) {
		struct target *t = p->gone;

		p->gone = t->next;
		free(t);
	}
	free(p);
}
