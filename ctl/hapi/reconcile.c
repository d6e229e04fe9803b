/* SPDX-License-Identifier: MIT */
/*
 * Reconciliation of one HAProxy instance (see reconcile.h): read
 * "show info; show servers state", notice restarts, give template nodes
 * their slots, turn every node's desired state into hapi_want rows, let
 * hapi_diff() say what differs, and send those commands (plus "shutdown
 * sessions" after the drain grace) in one line. The answers are checked
 * command by command and counted by kind and error.
 */
#include "ctl/hapi/reconcile.h"

#include <string.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/hapi/hapi.h"

#define MOD "ctl"

static void hap_read_cb(void *ctx, int status, const char *answer, size_t len, const char *err);

static void hap_fail(struct ctl_haproxy *hp, enum ctl_act_err kind, const char *what)
{
	hp->errors[kind]++;
	if (hp->up || strcmp(hp->last_error, what) != 0)
		log_warn(MOD, "haproxy=%s %s", hp->name, what);
	snprintf(hp->last_error, sizeof(hp->last_error), "%s", what);
	hp->up = kind != CTL_ERR_IO && kind != CTL_ERR_PARSE;
	hp->phase = CTL_HAP_IDLE;
}

void reconcile_start(struct ctl_haproxy *hp)
{
	if (hp->phase != CTL_HAP_IDLE) {
		hp->errors[CTL_ERR_BUSY]++;
		return;
	}
	hp->phase = CTL_HAP_READING;
	if (hapi_send(hp->api, "show info; show servers state", hap_read_cb, hp) == -1)
		hap_fail(hp, CTL_ERR_IO, "out of memory");
}

static const struct hapi_server *find_have(const struct ctl_haproxy *hp, const char *backend,
                                           const char *server)
{
	for (size_t i = 0; i < hp->n_have; i++)
		if (strcmp(hp->have[i].backend, backend) == 0 &&
		    strcmp(hp->have[i].server, server) == 0)
			return &hp->have[i];
	return NULL;
}

static bool slot_taken(const struct ctl_chain *ch, const char *server)
{
	for (unsigned i = 0; i < ch->n_nodes; i++)
		if (strcmp(ch->nodes[i]->server, server) == 0 ||
		    strcmp(ch->nodes[i]->cfg.server, server) == 0)
			return true;
	return false;
}

/* Gives template nodes without a server a slot of their backend, by address first. */
static void assign_slots(struct ctl *c, const struct ctl_haproxy *hp, struct ctl_chain *ch)
{
	for (unsigned i = 0; i < ch->n_nodes; i++) {
		struct ctl_node *nd = ch->nodes[i];
		const struct hapi_server *pick = NULL;

		if (!ctl_node_cfg_is_template(&nd->cfg) || nd->server[0] != '\0')
			continue;
		for (size_t k = 0; k < hp->n_have && pick == NULL; k++) {
			const struct hapi_server *s = &hp->have[k];

			if (strcmp(s->backend, ch->backend) == 0 && !slot_taken(ch, s->server) &&
			    strcmp(s->addr, nd->cfg.addr) == 0 && s->port == nd->cfg.port)
				pick = s;
		}
		for (size_t k = 0; k < hp->n_have && pick == NULL; k++) {
			const struct hapi_server *s = &hp->have[k];

			if (strcmp(s->backend, ch->backend) == 0 && !slot_taken(ch, s->server) &&
			    (s->admin_state & (HAPI_ADMF_CMAINT | HAPI_ADMF_FMAINT)) != 0)
				pick = s;
		}
		if (pick == NULL) {
			c->haproxy[0].errors[CTL_ERR_NO_SLOT]++;
			log_warn(MOD, "chain=%s node=%s: no free server-template slot in %s",
			         ch->name, nd->name, ch->backend);
			continue;
		}
		snprintf(nd->server, sizeof(nd->server), "%s", pick->server);
		nd->slot_fresh = true;
		/* A slot handed out again is no longer released. */
		for (unsigned r = 0; r < ch->n_released; r++)
			if (strcmp(ch->released[r], pick->server) == 0)
				memmove(ch->released[r], ch->released[r + 1],
				        (--ch->n_released - r) * sizeof(ch->released[0]));
		log_info(MOD, "chain=%s node=%s takes slot %s/%s (%s port %u)", ch->name, nd->name,
		         ch->backend, nd->server, nd->cfg.addr, nd->cfg.port);
	}
}

static void want_for(struct hapi_want *w, const char *backend, const struct ctl_node *nd,
                     enum hapi_want_state state)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->backend, sizeof(w->backend), "%s", backend);
	snprintf(w->server, sizeof(w->server), "%s", nd->server);
	w->state = state;
	if (ctl_node_cfg_is_template(&nd->cfg)) {
		w->has_addr = true;
		snprintf(w->addr, sizeof(w->addr), "%s", nd->cfg.addr);
		w->port = nd->cfg.port;
		w->own_maint = nd->slot_fresh;
	}
}

/* Builds every want of this instance into <w> (capacity <cap>); returns the count. */
static size_t build_wants(struct ctl *c, struct ctl_haproxy *hp, struct hapi_want *w, size_t cap)
{
	size_t n = 0;

	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		struct ctl_chain *chain = &c->chains[ch];

		assign_slots(c, hp, chain);
		for (unsigned i = 0; i < chain->n_nodes && n < cap; i++) {
			struct ctl_node *nd = chain->nodes[i];

			if (nd->server[0] == '\0')
				continue;
			want_for(&w[n++], chain->backend, nd,
			         nd->track.state == NODE_READY ? HAPI_WANT_READY : HAPI_WANT_DRAIN);
			/* Heavy twins track this server: mirror only its address. */
			for (unsigned h = 0; h < chain->n_heavy && n < cap; h++) {
				const struct hapi_server *s =
				    find_have(hp, chain->heavy[h], nd->server);

				if (s == NULL || !ctl_node_cfg_is_template(&nd->cfg))
					continue;
				want_for(&w[n], chain->heavy[h], nd,
				         hapi_admin_to_state(s->admin_state));
				w[n++].own_maint = true;
			}
		}
		for (unsigned r = 0; r < chain->n_released && n < cap; r++) {
			memset(&w[n], 0, sizeof(w[n]));
			snprintf(w[n].backend, sizeof(w[n].backend), "%s", chain->backend);
			snprintf(w[n].server, sizeof(w[n].server), "%s", chain->released[r]);
			w[n].state = HAPI_WANT_MAINT;
			n++;
		}
	}
	return n;
}

static void hap_apply_cb(void *ctx, int status, const char *answer, size_t len, const char *err);

/* Appends "shutdown sessions" for drained nodes past their grace period. */
static size_t add_shutdowns(struct ctl *c, char *line, size_t used, size_t cap, unsigned *count,
                            struct ctl_haproxy *hp)
{
	int64_t now = pf_wall_ms();

	if (c->cfg.drain_grace_ms == 0)
		return used;
	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		struct ctl_chain *chain = &c->chains[ch];

		for (unsigned i = 0; i < chain->n_nodes; i++) {
			struct ctl_node *nd = chain->nodes[i];
			char cmd[HAPI_CMD_MAX];

			if (nd->track.state != NODE_DRAIN || (nd->shut_mask & (1u << hp->index)) ||
			    nd->server[0] == '\0' || nd->hand_maint ||
			    now - nd->drain_since_ms < (int64_t)c->cfg.drain_grace_ms)
				continue;
			for (unsigned b = 0; b <= chain->n_heavy; b++) {
				const char *be = b == 0 ? chain->backend : chain->heavy[b - 1];
				size_t k;

				if (find_have(hp, be, nd->server) == NULL)
					continue;
				k = hapi_cmd_shutdown_sessions(cmd, sizeof(cmd), be, nd->server);
				if (k == 0 || used + k + 3 > cap)
					continue;
				used += (size_t)snprintf(line + used, cap - used, "%s%s",
				                         used ? "; " : "", cmd);
				hp->sent_kinds[(*count)++] = CTL_CMD_SHUTDOWN;
			}
			nd->shut_mask |= 1u << hp->index;
			log_info(MOD,
			         "haproxy=%s chain=%s node=%s drained for %u ms: shutting its "
			         "sessions so subscribers reconnect elsewhere",
			         hp->name, chain->name, nd->name, c->cfg.drain_grace_ms);
		}
	}
	return used;
}

static void reconcile_apply(struct ctl *c, struct ctl_haproxy *hp)
{
	size_t cap = 1, nwant, nact = 0, nskip = 0, line_cap, used = 0, shut_max = 0;
	struct hapi_want *want;
	struct hapi_action *act;
	struct hapi_skip *skip;
	char *line = NULL;
	unsigned count = 0;

	for (unsigned ch = 0; ch < c->n_chains; ch++) {
		cap += (size_t)c->chains[ch].n_nodes * (1 + c->chains[ch].n_heavy) +
		       c->chains[ch].n_released;
		shut_max += (size_t)c->chains[ch].n_nodes * (1 + c->chains[ch].n_heavy);
	}
	want = calloc(cap, sizeof(*want));
	act = calloc(cap * 3, sizeof(*act));
	skip = calloc(cap, sizeof(*skip));
	if (want == NULL || act == NULL || skip == NULL) {
		hap_fail(hp, CTL_ERR_IO, "out of memory reconciling");
		goto out;
	}
	nwant = build_wants(c, hp, want, cap);
	if (hapi_diff(want, nwant, hp->have, hp->n_have, act, cap * 3, &nact, skip, cap, &nskip) ==
	    -1) {
		hap_fail(hp, CTL_ERR_PARSE, "too many actions for one round");
		goto out;
	}
	line_cap = (nact + shut_max) * (HAPI_CMD_MAX + 2) + 1;
	line = malloc(line_cap);
	free(hp->sent_kinds);
	hp->sent_kinds = calloc(nact + shut_max + 1, sizeof(*hp->sent_kinds));
	if (line == NULL || hp->sent_kinds == NULL) {
		hap_fail(hp, CTL_ERR_IO, "out of memory reconciling");
		goto out;
	}
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++)
			c->chains[ch].nodes[i]->hand_maint = false;
	for (size_t i = 0; i < nskip; i++) {
		const struct hapi_want *w = skip[i].want;

		if (skip[i].reason == HAPI_SKIP_HAND_MAINT) {
			for (unsigned ch = 0; ch < c->n_chains; ch++)
				for (unsigned k = 0; k < c->chains[ch].n_nodes; k++) {
					struct ctl_node *nd = c->chains[ch].nodes[k];

					if (strcmp(nd->server, w->server) == 0 &&
					    strcmp(c->chains[ch].backend, w->backend) == 0)
						nd->hand_maint = true;
				}
		} else if (skip[i].reason == HAPI_SKIP_NO_SERVER) {
			hp->errors[CTL_ERR_NO_SERVER]++;
			log_warn(MOD, "haproxy=%s has no server %s/%s", hp->name, w->backend,
			         w->server);
		}
	}
	for (size_t i = 0; i < nact; i++) {
		used += (size_t)snprintf(line + used, line_cap - used, "%s%s", used ? "; " : "",
		                         act[i].cmd);
		hp->sent_kinds[count++] = (unsigned)act[i].kind;
		log_info(MOD, "haproxy=%s %s", hp->name, act[i].cmd);
	}
	used = add_shutdowns(c, line, used, line_cap, &count, hp);
	hp->n_sent = count;
	if (count == 0) {
		hp->phase = CTL_HAP_IDLE;
		hp->reconciles++;
		goto out;
	}
	hp->phase = CTL_HAP_APPLYING;
	if (hapi_send(hp->api, line, hap_apply_cb, hp) == -1)
		hap_fail(hp, CTL_ERR_IO, "out of memory sending commands");
	/* Slots we filled are ours now: an FMAINT on them later is somebody else's. */
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++)
			c->chains[ch].nodes[i]->slot_fresh = false;
out:
	free(want);
	free(act);
	free(skip);
	free(line);
}

static void hap_apply_cb(void *ctx, int status, const char *answer, size_t len, const char *err)
{
	struct ctl_haproxy *hp = ctx;
	struct pf_slice *parts;
	size_t n = 0;
	char why[256];

	if (status == -1) {
		hap_fail(hp, CTL_ERR_IO, err);
		return;
	}
	parts = calloc(hp->n_sent + 1, sizeof(*parts));
	if (parts == NULL) {
		hap_fail(hp, CTL_ERR_IO, "out of memory reading answers");
		return;
	}
	if (hapi_split_answers(answer, len, parts, hp->n_sent + 1, &n, why, sizeof(why)) != 0 ||
	    n != hp->n_sent) {
		/*
		 * HAProxy 2.6 (not 3.4) drops the terminator of a few error texts, merging two
		 * answers: when the count is off, none of them can be trusted. The
		 * next round reads the state back and repairs whatever did not apply.
		 */
		if (n != hp->n_sent)
			snprintf(why, sizeof(why), "%zu answers to %u commands", n, hp->n_sent);
		free(parts);
		hap_fail(hp, CTL_ERR_PARSE, why);
		return;
	}
	for (size_t i = 0; i < hp->n_sent; i++) {
		unsigned kind = hp->sent_kinds[i];
		int ok =
		    kind == HAPI_ACT_SET_ADDR
		        ? hapi_addr_answer_ok((const char *)parts[i].p, parts[i].len, why,
		                              sizeof(why))
		        : hapi_answer_ok((const char *)parts[i].p, parts[i].len, why, sizeof(why));
		if (ok == 0) {
			hp->actions[kind]++;
		} else {
			hp->errors[CTL_ERR_REFUSED]++;
			log_warn(MOD, "haproxy=%s refused a command: %s", hp->name, why);
		}
	}
	free(parts);
	hp->up = true;
	hp->last_error[0] = '\0';
	hp->reconciles++;
	hp->phase = CTL_HAP_IDLE;
}

static void hap_read_cb(void *ctx, int status, const char *answer, size_t len, const char *err)
{
	struct ctl_haproxy *hp = ctx;
	struct ctl *c = hp->owner;
	struct pf_slice parts[2];
	struct hapi_info info;
	size_t n = 0;
	char why[256];

	if (status == -1) {
		hap_fail(hp, CTL_ERR_IO, err);
		return;
	}
	if (hapi_split_answers(answer, len, parts, 2, &n, why, sizeof(why)) != 0 || n < 2) {
		hap_fail(hp, CTL_ERR_PARSE,
		         n < 2 ? "short answer to show info; show servers state" : why);
		return;
	}
	if (hapi_parse_info((const char *)parts[0].p, parts[0].len, &info, why, sizeof(why)) ==
	    -1) {
		hap_fail(hp, CTL_ERR_PARSE, why);
		return;
	}
	for (;;) {
		size_t got = 0;

		if (hapi_parse_servers_state((const char *)parts[1].p, parts[1].len, hp->have,
		                             hp->cap_have, &got, why, sizeof(why)) == 0) {
			hp->n_have = got;
			break;
		}
		if (hp->cap_have < 65536 && strstr(why, "capacity") != NULL) {
			size_t cap = hp->cap_have ? hp->cap_have * 2 : 256;
			struct hapi_server *nh = realloc(hp->have, cap * sizeof(*nh));

			if (nh != NULL) {
				hp->have = nh;
				hp->cap_have = cap;
				continue;
			}
		}
		hap_fail(hp, CTL_ERR_PARSE, why);
		return;
	}
	if (hp->has_info && (info.pid != hp->info.pid || info.uptime_sec < hp->info.uptime_sec)) {
		hp->restarts++;
		log_warn(MOD,
		         "haproxy=%s restarted or reloaded (pid %ld -> %ld): re-applying the "
		         "whole desired state",
		         hp->name, hp->info.pid, info.pid);
	}
	if (!hp->up)
		log_info(MOD, "haproxy=%s answers (pid %ld, %s)", hp->name, info.pid, info.version);
	hp->info = info;
	hp->has_info = true;
	hp->up = true;
	if (!c->first_decision_done) {
		hp->phase = CTL_HAP_IDLE; /* startup read: only to preset node states */
		return;
	}
	reconcile_apply(c, hp);
}
