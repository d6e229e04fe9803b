/* SPDX-License-Identifier: MIT */
/*
 * One HAProxy instance (see reconcile.h). A round is one read line ("show
 * info; show servers state; get var proc.polkfura_ctl") and, when this
 * controller holds the write claim, one write line: the planner's commands
 * and the claim's renewal. After a write that changed something the instance
 * is read again at once, so the state file and the view are current. Answers
 * are checked command by command; every event is logged here, once.
 */
#include "ctl/hapi/reconcile.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/text.h"
#include "ctl/hapi/hapi.h"

#define MOD            "hapi"
#define RECON_VAR      "proc.polkfura_ctl"
#define RECON_MAX_ROWS 65536 /* servers per instance the parser may grow to */
#define STANDBY_LOG_MS 60000 /* a standby instance is reminded of once a minute */

enum recon_phase {
	RECON_IDLE = 0,
	RECON_READING,
	RECON_WRITING,
};

struct recon {
	struct ev_loop *loop; /* borrowed */
	struct hapi *api;     /* owned */
	struct pf_addr addr;
	char name[128];
	double timeout_s;
	uint32_t lease_ms;
	char owner_id[96];
	char state_file[1024]; /* "" = none */
	enum recon_phase phase;
	/* The round's input, owned: <nodes> point into <arena>. */
	struct plan_node *nodes;
	size_t n_nodes;
	char *arena;
	int64_t now_ms;
	uint32_t grace_ms;
	bool write;
	uint64_t errors_at_start; /* the error count (busy aside) when the round began */
	/* What the instance showed and what it remembers. */
	struct hapi_server *have; /* owned */
	size_t n_have, cap_have;
	struct plan_seat *seats; /* owned */
	size_t n_seats;
	bool verified;         /* the configuration was checked since the last (re)start */
	uint64_t state_digest; /* of the rows last written to <state_file> */
	bool state_failed;     /* the last write failed (logged once) */
	int64_t standby_logged_ms;
	/* The write in flight. */
	unsigned *sent_kinds; /* owned; PLAN_ACT_* or SENT_LEASE per command */
	unsigned n_sent;
	bool changed; /* the write carried commands besides the claim */
	struct recon_stats st;
};

#define SENT_LEASE PLAN_ACT_COUNT

static void recon_read(struct recon *r);

/* ---- the round's input ------------------------------------------------------ */

static size_t str_room(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static char *arena_put(char **at, const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = *at;
	memcpy(p, s, strlen(s) + 1);
	*at += strlen(s) + 1;
	return p;
}

/* Copies <nodes> and every string they point to into <r> (one block for the strings). */
static int recon_take_nodes(struct recon *r, const struct plan_node *nodes, size_t n)
{
	size_t room = 1, heavy = 0;
	const char **hp;
	char *at;

	for (size_t i = 0; i < n; i++) {
		room += str_room(nodes[i].name) + str_room(nodes[i].backend) +
		        str_room(nodes[i].server) + str_room(nodes[i].addr) +
		        str_room(nodes[i].chain);
		for (unsigned b = 0; b < nodes[i].n_heavy; b++)
			room += str_room(nodes[i].heavy[b]);
		heavy += nodes[i].n_heavy;
	}
	free(r->nodes);
	free(r->arena);
	r->n_nodes = 0;
	r->nodes = calloc(n + 1, sizeof(*r->nodes));
	r->arena = malloc(room + (heavy + 1) * sizeof(char *));
	if (r->nodes == NULL || r->arena == NULL)
		return -1;
	hp = (const char **)(void *)r->arena;
	at = r->arena + (heavy + 1) * sizeof(char *);
	for (size_t i = 0; i < n; i++) {
		struct plan_node *d = &r->nodes[i];

		*d = nodes[i];
		d->name = arena_put(&at, nodes[i].name);
		d->backend = arena_put(&at, nodes[i].backend);
		d->server = arena_put(&at, nodes[i].server);
		d->addr = arena_put(&at, nodes[i].addr);
		d->chain = arena_put(&at, nodes[i].chain);
		d->heavy = hp;
		for (unsigned b = 0; b < nodes[i].n_heavy; b++)
			*hp++ = arena_put(&at, nodes[i].heavy[b]);
	}
	r->n_nodes = n;
	return 0;
}

/* ---- failures and notes ----------------------------------------------------- */

static void recon_fail(struct recon *r, enum recon_err kind, const char *what)
{
	r->st.errors[kind]++;
	if (r->st.up || strcmp(r->st.last_error, what) != 0)
		log_warn(MOD, "haproxy=%s %s", r->name, what);
	snprintf(r->st.last_error, sizeof(r->st.last_error), "%s", what);
	r->st.up = kind != RECON_ERR_IO && kind != RECON_ERR_PARSE;
	r->phase = RECON_IDLE;
}

/* Errors that say a round went wrong; busy is a round skipped, not one that failed. */
static uint64_t round_errors(const struct recon *r)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < RECON_ERR_COUNT; k++)
		n += k == RECON_ERR_BUSY ? 0 : r->st.errors[k];
	return n;
}

/* The round is over: it read (and wrote, when it could); stamped when nothing failed. */
static void recon_done(struct recon *r)
{
	r->phase = RECON_IDLE;
	r->st.reconciles++;
	if (round_errors(r) == r->errors_at_start)
		r->st.last_ok_ms = r->now_ms;
}

static const char *chain_of(const struct recon *r, const char *node)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (strcmp(r->nodes[i].name, node) == 0 && r->nodes[i].chain != NULL)
			return r->nodes[i].chain;
	return "-";
}

static void recon_log_note(struct recon *r, const struct plan_note *n)
{
	const char *ch = chain_of(r, n->node);

	switch (n->kind) {
	case PLAN_NOTE_SLOT_TAKEN:
		log_info(MOD, "haproxy=%s chain=%s node=%s takes slot %s/%s", r->name, ch, n->node,
		         n->backend, n->server);
		break;
	case PLAN_NOTE_NO_SLOT:
		r->st.errors[RECON_ERR_NO_SLOT]++;
		log_err(MOD, "haproxy=%s chain=%s node=%s: no free server-template slot in %s",
		        r->name, ch, n->node, n->backend);
		break;
	case PLAN_NOTE_RELEASED:
		log_info(MOD, "haproxy=%s node=%s is gone: slot %s/%s goes back to maint", r->name,
		         n->node, n->backend, n->server);
		break;
	case PLAN_NOTE_HAND_MAINT:
		log_warn(MOD, "haproxy=%s chain=%s node=%s: %s/%s is in maint by hand, left alone",
		         r->name, ch, n->node, n->backend, n->server);
		break;
	case PLAN_NOTE_HAND_MAINT_END:
		log_info(MOD, "haproxy=%s chain=%s node=%s: %s/%s is out of maint", r->name, ch,
		         n->node, n->backend, n->server);
		break;
	case PLAN_NOTE_MISSING:
		r->st.errors[RECON_ERR_NO_SERVER]++;
		log_err(MOD, "haproxy=%s chain=%s node=%s: no server %s/%s in HAProxy", r->name, ch,
		        n->node, n->backend, n->server);
		break;
	case PLAN_NOTE_FOUND:
		log_info(MOD, "haproxy=%s chain=%s node=%s: server %s/%s is there again", r->name,
		         ch, n->node, n->backend, n->server);
		break;
	case PLAN_NOTE_SHUTDOWN:
		log_info(MOD,
		         "haproxy=%s chain=%s node=%s drained for %u ms: shutting its sessions so "
		         "subscribers reconnect elsewhere",
		         r->name, ch, n->node, r->grace_ms);
		break;
	case PLAN_NOTE_COUNT:
		break;
	}
}

static void recon_problem(void *ctx, const char *problem)
{
	struct recon *r = ctx;

	log_err(MOD, "haproxy=%s config: %s", r->name, problem);
}

/* ---- HAProxy's server-state file ---------------------------------------------- */

/* FNV-1a over what a reload must carry; the seconds-since-change column is left out. */
static uint64_t rows_digest(const struct hapi_server *rows, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		char line[HAPI_NAME_MAX * 2 + HAPI_ADDR_MAX + 48];
		int k = snprintf(line, sizeof(line), "%s/%s %s:%u %u %d;", rows[i].backend,
		                 rows[i].server, rows[i].addr, rows[i].port, rows[i].admin_state,
		                 rows[i].op_state);

		for (int j = 0; j < k && j < (int)sizeof(line); j++)
			h = (h ^ (unsigned char)line[j]) * 1099511628211ull;
	}
	return h;
}

/*
 * Writes the answer to "show servers state" as <state_file> (tmp + rename):
 * HAProxy loads it at its next start or reload, so slots and drains survive
 * without waiting for this controller. Not fsync'd: a lost write only means
 * the controller re-applies after the reload, as it does anyway.
 */
static void recon_save_state_file(struct recon *r, const char *text, size_t len)
{
	char tmp[sizeof(r->state_file) + 8];
	uint64_t digest = rows_digest(r->have, r->n_have);
	int fd, saved = 0;
	ssize_t w = -1;

	if (r->state_file[0] == '\0' || (digest == r->state_digest && !r->state_failed))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->state_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		w = write(fd, text, len);
		saved = errno;
		if (close(fd) == -1 && w == (ssize_t)len) {
			saved = errno;
			w = -1;
		}
	} else {
		saved = errno;
	}
	if (fd >= 0 && w == (ssize_t)len && rename(tmp, r->state_file) == 0) {
		if (r->state_failed)
			log_info(MOD, "haproxy=%s state file %s written again", r->name,
			         r->state_file);
		r->state_digest = digest;
		r->state_failed = false;
		r->st.state_file_writes++;
		return;
	}
	if (saved == 0)
		saved = errno;
	r->st.state_file_errors++;
	if (!r->state_failed)
		log_err(MOD,
		        "haproxy=%s state file %s: %s (a reload of HAProxy will start from its "
		        "config until the controller re-applies)",
		        r->name, r->state_file,
		        w >= 0 && w != (ssize_t)len ? "short write" : strerror(saved));
	r->state_failed = true;
	(void)unlink(tmp);
}

/* ---- reading ------------------------------------------------------------------ */

static int parse_rows(struct recon *r, const struct pf_slice *part, char *why, size_t whylen)
{
	for (;;) {
		size_t got = 0;

		if (hapi_parse_servers_state((const char *)part->p, part->len, r->have, r->cap_have,
		                             &got, why, whylen) == 0) {
			r->n_have = got;
			return 0;
		}
		if (r->cap_have < RECON_MAX_ROWS && strstr(why, "capacity") != NULL) {
			size_t cap = r->cap_have ? r->cap_have * 2 : 256;
			struct hapi_server *nh = realloc(r->have, cap * sizeof(*nh));

			if (nh != NULL) {
				r->have = nh;
				r->cap_have = cap;
				continue;
			}
		}
		return -1;
	}
}

static void recon_note_info(struct recon *r, const struct hapi_info *info)
{
	if (r->st.has_info && (info->pid != r->st.pid || info->uptime_sec < r->st.uptime_sec)) {
		r->st.restarts++;
		r->verified = false;
		log_warn(MOD,
		         "haproxy=%s restarted or reloaded (pid %ld -> %ld): re-applying what the "
		         "controller owns",
		         r->name, r->st.pid, info->pid);
	}
	if (!r->st.up)
		log_info(MOD, "haproxy=%s answers (pid %ld, %s)", r->name, info->pid,
		         info->version);
	r->st.has_info = true;
	r->st.pid = info->pid;
	r->st.uptime_sec = info->uptime_sec;
	snprintf(r->st.version, sizeof(r->st.version), "%s", info->version);
	r->st.up = true;
	r->st.last_error[0] = '\0';
}

/* The write claim from the "get var" answer: false when another controller holds it. */
static bool recon_claim(struct recon *r, const struct pf_slice *part)
{
	char value[160] = "", holder[96], why[160];
	int64_t exp;
	enum plan_lease_verdict v;

	if (hapi_parse_var((const char *)part->p, part->len, RECON_VAR, value, sizeof(value), why,
	                   sizeof(why)) == -1)
		value[0] = '\0'; /* unreadable: claim it, the next read tells */
	v = plan_lease(value, r->owner_id, r->now_ms, holder, sizeof(holder), &exp);
	if (v == PLAN_LEASE_OTHER) {
		if (!r->st.standby || r->now_ms - r->standby_logged_ms >= STANDBY_LOG_MS) {
			log_err(
			    MOD,
			    "haproxy=%s is driven by another controller (%s, claim valid %lld ms "
			    "more): this one only reads it until that claim expires",
			    r->name, holder, (long long)(exp - r->now_ms));
			r->standby_logged_ms = r->now_ms;
		}
		snprintf(r->st.holder, sizeof(r->st.holder), "%s", holder);
		r->st.standby = true;
		return false;
	}
	if (r->st.standby || (v == PLAN_LEASE_TAKE && holder[0] != '\0'))
		log_warn(MOD, "haproxy=%s: write claim taken over from %s (expired)", r->name,
		         holder[0] != '\0' ? holder : r->st.holder);
	r->st.standby = false;
	r->st.holder[0] = '\0';
	return true;
}

static void recon_write(struct recon *r, const struct plan_output *out);

/* Plans with what was read; writes when asked to and allowed. */
static void recon_plan(struct recon *r, bool may_write)
{
	struct plan_input in = {r->nodes, r->n_nodes, r->have,   r->n_have,
	                        r->seats, r->n_seats, r->now_ms, may_write ? r->grace_ms : 0};
	struct plan_output out = {0};
	size_t cs, ca, cn;

	plan_capacity(&in, &cs, &ca, &cn);
	out.seats = calloc(cs, sizeof(*out.seats));
	out.acts = calloc(ca, sizeof(*out.acts));
	out.notes = calloc(cn, sizeof(*out.notes));
	out.cap_seats = cs;
	out.cap_acts = ca;
	out.cap_notes = cn;
	if (out.seats == NULL || out.acts == NULL || out.notes == NULL ||
	    plan_make(&in, &out) == -1) {
		free(out.seats);
		recon_fail(r, RECON_ERR_IO, "out of memory planning");
		goto out;
	}
	for (size_t i = 0; i < out.n_notes; i++)
		recon_log_note(r, &out.notes[i]);
	free(r->seats);
	r->seats = out.seats;
	r->n_seats = out.n_seats;
	if (may_write)
		recon_write(r, &out);
	else
		recon_done(r);
out:
	free(out.acts);
	free(out.notes);
}

static void recon_read_cb(void *ctx, int status, const char *answer, size_t len, const char *err)
{
	struct recon *r = ctx;
	struct pf_slice parts[3];
	struct hapi_info info;
	size_t n = 0, want = r->lease_ms > 0 ? 3 : 2;
	char why[256];
	bool may_write;
	int rc;

	if (status == -1) {
		recon_fail(r, RECON_ERR_IO, err);
		return;
	}
	rc = hapi_split_answers(answer, len, parts, 3, &n, why, sizeof(why));
	if (rc == PF_AGAIN && want == 3 && n == 2) {
		/*
		 * HAProxy 2.6 ends a found "get var" without the empty line; it is
		 * last on the line and the connection closed, so the rest is it.
		 */
		parts[2].p = parts[1].p + parts[1].len;
		parts[2].len = len - (size_t)((const char *)parts[2].p - answer);
		n = 3;
		rc = 0;
	}
	if (rc != 0 || n != want) {
		recon_fail(r, RECON_ERR_PARSE, rc == 0 ? "short answer to the read" : why);
		return;
	}
	if (hapi_parse_info((const char *)parts[0].p, parts[0].len, &info, why, sizeof(why)) ==
	        -1 ||
	    parse_rows(r, &parts[1], why, sizeof(why)) == -1) {
		recon_fail(r, RECON_ERR_PARSE, why);
		return;
	}
	recon_note_info(r, &info);
	if (!r->verified && r->n_nodes > 0) {
		r->st.problems =
		    plan_verify(r->nodes, r->n_nodes, r->have, r->n_have, recon_problem, r);
		r->verified = true;
	}
	recon_save_state_file(r, (const char *)parts[1].p, parts[1].len);
	may_write = r->write && (r->lease_ms == 0 || recon_claim(r, &parts[2]));
	recon_plan(r, may_write);
}

static void recon_read(struct recon *r)
{
	const char *line = r->lease_ms > 0 ? "show info; show servers state; get var " RECON_VAR
	                                   : "show info; show servers state";

	r->phase = RECON_READING;
	if (hapi_send(r->api, line, recon_read_cb, r) == -1)
		recon_fail(r, RECON_ERR_IO, "out of memory");
}

/* ---- writing -------------------------------------------------------------------- */

static void recon_write_cb(void *ctx, int status, const char *answer, size_t len, const char *err);

static void recon_write(struct recon *r, const struct plan_output *out)
{
	size_t cap = (out->n_acts + 3) * (HAPI_CMD_MAX + 2) + 64, used = 0;
	char *line = malloc(cap), lease[HAPI_CMD_MAX], value[160];
	unsigned count = 0;

	free(r->sent_kinds);
	r->sent_kinds = calloc(out->n_acts + 3, sizeof(*r->sent_kinds));
	if (line == NULL || r->sent_kinds == NULL) {
		free(line);
		recon_fail(r, RECON_ERR_IO, "out of memory writing");
		return;
	}
	for (size_t i = 0; i < out->n_acts; i++) {
		used += (size_t)snprintf(line + used, cap - used, "%s%s", used ? "; " : "",
		                         out->acts[i].cmd);
		r->sent_kinds[count++] = out->acts[i].kind;
		log_info(MOD, "haproxy=%s %s", r->name, out->acts[i].cmd);
	}
	r->changed = count > 0;
	snprintf(value, sizeof(value), "%s/%lld", r->owner_id,
	         (long long)(r->now_ms + (int64_t)r->lease_ms));
	if (r->lease_ms > 0 && hapi_cmd_set_var_str(lease, sizeof(lease), RECON_VAR, value) > 0) {
		/* Two answers: "experimental-mode on" and "set var". */
		used += (size_t)snprintf(line + used, cap - used, "%s%s", used ? "; " : "", lease);
		r->sent_kinds[count++] = SENT_LEASE;
		r->sent_kinds[count++] = SENT_LEASE;
	}
	r->n_sent = count;
	if (count == 0) {
		free(line);
		recon_done(r);
		return;
	}
	r->phase = RECON_WRITING;
	if (hapi_send(r->api, line, recon_write_cb, r) == -1)
		recon_fail(r, RECON_ERR_IO, "out of memory sending commands");
	free(line);
}

static void recon_write_cb(void *ctx, int status, const char *answer, size_t len, const char *err)
{
	struct recon *r = ctx;
	struct pf_slice *parts;
	size_t n = 0;
	char why[256];

	if (status == -1) {
		recon_fail(r, RECON_ERR_IO, err);
		return;
	}
	parts = calloc(r->n_sent + 1, sizeof(*parts));
	if (parts == NULL) {
		recon_fail(r, RECON_ERR_IO, "out of memory reading answers");
		return;
	}
	if (hapi_split_answers(answer, len, parts, r->n_sent + 1, &n, why, sizeof(why)) != 0 ||
	    n != r->n_sent) {
		/*
		 * HAProxy 2.6 (not 3.4) drops the terminator of a few error texts, merging two
		 * answers: when the count is off, none of them can be trusted. The
		 * next read shows what applied and the next round repairs the rest.
		 */
		if (n != r->n_sent)
			snprintf(why, sizeof(why), "%zu answers to %u commands", n, r->n_sent);
		free(parts);
		recon_fail(r, RECON_ERR_PARSE, why);
		return;
	}
	for (size_t i = 0; i < r->n_sent; i++) {
		unsigned kind = r->sent_kinds[i];
		const char *p = (const char *)parts[i].p;
		int ok = kind == PLAN_ACT_SET_ADDR
		             ? hapi_addr_answer_ok(p, parts[i].len, why, sizeof(why))
		             : hapi_answer_ok(p, parts[i].len, why, sizeof(why));

		if (ok != 0) {
			r->st.errors[RECON_ERR_REFUSED]++;
			log_warn(MOD, "haproxy=%s refused a command: %s", r->name, why);
		} else if (kind < PLAN_ACT_COUNT) {
			r->st.actions[kind]++;
		}
	}
	free(parts);
	if (r->changed) {
		r->st.reconciles++;
		r->write = false; /* read back what applied; the next round writes again */
		recon_read(r);
		return;
	}
	recon_done(r);
}

/* ---- the object ---------------------------------------------------------------- */

void recon_set_cfg(struct recon *r, const struct recon_cfg *cfg)
{
	r->timeout_s = cfg->timeout_s;
	r->lease_ms = cfg->lease_ms;
	snprintf(r->owner_id, sizeof(r->owner_id), "%s", cfg->owner_id ? cfg->owner_id : "");
	snprintf(r->state_file, sizeof(r->state_file), "%s",
	         cfg->state_file != NULL ? cfg->state_file : "");
	r->state_failed = false;
	r->state_digest = 0;
}

struct recon *recon_new(struct ev_loop *loop, const struct pf_addr *addr,
                        const struct recon_cfg *cfg)
{
	struct recon *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->loop = loop;
	r->addr = *addr;
	recon_set_cfg(r, cfg);
	r->api = hapi_new(loop, addr, cfg->timeout_s);
	if (r->api == NULL) {
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", hapi_name(r->api));
	r->st.up = true; /* until proven otherwise, so the first failure is logged */
	return r;
}

void recon_round(struct recon *r, const struct plan_node *nodes, size_t n, int64_t now_ms,
                 uint32_t drain_grace_ms, bool write)
{
	if (r->phase != RECON_IDLE) {
		r->st.errors[RECON_ERR_BUSY]++;
		return;
	}
	if (recon_take_nodes(r, nodes, n) == -1) {
		recon_fail(r, RECON_ERR_IO, "out of memory");
		return;
	}
	r->now_ms = now_ms;
	r->grace_ms = drain_grace_ms;
	r->write = write;
	r->errors_at_start = round_errors(r);
	recon_read(r);
}

bool recon_busy(const struct recon *r)
{
	return r->phase != RECON_IDLE;
}

bool recon_view_node(const struct recon *r, const char *node, struct recon_view *out)
{
	const struct plan_seat *s = plan_seat_find(r->seats, r->n_seats, node);

	memset(out, 0, sizeof(*out));
	if (!r->st.has_info)
		return false;
	if (s == NULL || s->no_slot)
		return true;
	out->seated = true;
	snprintf(out->server, sizeof(out->server), "%s", s->server);
	out->hand_maint = s->hand_maint;
	for (size_t i = 0; i < r->n_have; i++) {
		const struct hapi_server *h = &r->have[i];

		if (strcmp(h->backend, s->backend) == 0 && strcmp(h->server, s->server) == 0) {
			out->present = true;
			out->admin_state = h->admin_state;
			out->op_state = h->op_state;
			snprintf(out->addr, sizeof(out->addr), "%s", h->addr);
			out->port = h->port;
		}
	}
	return true;
}

const struct recon_stats *recon_stats(const struct recon *r)
{
	return &r->st;
}

const char *recon_name(const struct recon *r)
{
	return r->name;
}

bool recon_is_at(const struct recon *r, const struct pf_addr *addr)
{
	return r->addr.len == addr->len && r->addr.is_unix == addr->is_unix &&
	       memcmp(&r->addr.ss, &addr->ss, addr->len) == 0;
}

void recon_free(struct recon *r)
{
	if (r == NULL)
		return;
	hapi_free(r->api);
	free(r->nodes);
	free(r->arena);
	free(r->have);
	free(r->seats);
	free(r->sent_kinds);
	free(r);
}

/* ---- check --haproxy ------------------------------------------------------------ */

struct verify_once {
	bool done;
	int status;
	char *answer;
	size_t len;
	char err[256];
};

static void verify_once_cb(void *ctx, int status, const char *answer, size_t len, const char *err)
{
	struct verify_once *v = ctx;

	v->done = true;
	v->status = status;
	if (status == 0) {
		v->answer = malloc(len + 1);
		if (v->answer != NULL) {
			memcpy(v->answer, answer, len);
			v->answer[len] = '\0';
			v->len = len;
		}
	} else {
		snprintf(v->err, sizeof(v->err), "%s", err);
	}
}

long recon_verify_once(const struct pf_addr *addr, double timeout_s, const struct plan_node *nodes,
                       size_t n, plan_problem_cb_fn cb, void *ctx, char *err, size_t errlen)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct verify_once v = {0};
	struct hapi *api = loop != NULL ? hapi_new(loop, addr, timeout_s) : NULL;
	struct hapi_server *rows = NULL;
	size_t cap = 256, got = 0;
	long problems = -1;

	if (api == NULL || hapi_send(api, "show servers state", verify_once_cb, &v) == -1) {
		pf_errf(err, errlen, "out of memory");
		goto out;
	}
	while (!v.done)
		ev_run(loop, EVRUN_ONCE);
	if (v.status != 0 || v.answer == NULL) {
		pf_errf(err, errlen, "%s", v.status != 0 ? v.err : "out of memory");
		goto out;
	}
	for (;;) {
		struct hapi_server *nr = realloc(rows, cap * sizeof(*rows));

		if (nr == NULL) {
			pf_errf(err, errlen, "out of memory");
			goto out;
		}
		rows = nr;
		if (hapi_parse_servers_state(v.answer, v.len, rows, cap, &got, err, errlen) == 0)
			break;
		if (strstr(err, "capacity") == NULL || cap >= RECON_MAX_ROWS)
			goto out;
		cap *= 2;
	}
	problems = (long)plan_verify(nodes, n, rows, got, cb, ctx);
out:
	hapi_free(api);
	if (loop != NULL)
		ev_loop_destroy(loop);
	free(v.answer);
	free(rows);
	return problems;
}
