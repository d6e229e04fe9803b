/* SPDX-License-Identifier: MIT */
/*
 * The Cachet pusher's I/O: which request to send when, the poller that
 * sends it, the answers' outcome, the back-off and the id map file. Every
 * component and incident has at most one request in flight; its slot is
 * the request's context, so nothing is allocated per request.
 */
#include "ctl/cachet/cachet.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/file.h"
#include "common/log.h"
#include "ctl/cachet/cachet_api.h"
#include "ctl/poll/poller.h"

#define MOD "cachet"

#define CHAIN_MAX 64
#define NAME_MAX_ 128
#define MSG_MAX   256
#define COMP_MAX  64 /* CTL_CFG_MAX_CHAINS */
#define MAP_TEXT  (CACHET_MAP_MAX * (CACHET_ID_MAX + 24))
#define URL_MAX_  512

struct cachet;

struct comp {
	struct cachet *c;
	char chain[CHAIN_MAX + 1];
	unsigned id;
	enum cachet_component_status want, sent, sending;
	int64_t sent_ms;
	bool in_flight;
};

struct inc {
	struct cachet *c;
	bool used;
	char pf_id[CACHET_ID_MAX + 1];
	char name[NAME_MAX_], message[MSG_MAX];
	unsigned comp_id;
	enum cachet_component_status comp_status;
	uint64_t cachet_id; /* 0: not created in Cachet (yet) */
	bool closed;        /* polkfura closed it: mark fixed, then forget */
	bool in_flight;
};

struct cachet {
	struct ev_loop *loop;
	struct poller *poller;
	char url[URL_MAX_];
	char map_path[1024];
	struct comp comps[COMP_MAX];
	unsigned n_comps;
	struct inc incs[CACHET_MAP_MAX];
	int64_t next_ms; /* back-off: nothing new starts before */
	unsigned backoff_ms;
	uint64_t fails_in_row;
	struct cachet_stats st;
};

static int64_t now_ms(const struct cachet *c)
{
	return (int64_t)(ev_now(c->loop) * 1000.0);
}

/* ---- the id map file ---- */

static void map_save(struct cachet *c)
{
	static struct cachet_map m;
	static char text[MAP_TEXT];
	char tmp[1100];
	long len;
	int fd;
	bool ok;

	m.n = 0;
	for (unsigned i = 0; i < CACHET_MAP_MAX; i++)
		if (c->incs[i].used && c->incs[i].cachet_id != 0 &&
		    cachet_map_set(&m, c->incs[i].pf_id, c->incs[i].cachet_id) == -1)
			return; /* cannot happen: the same bounds as incs[] */
	len = cachet_map_encode(&m, text, sizeof(text));
	if (len < 0)
		return;
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", c->map_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd != -1 && write(fd, text, (size_t)len) == len && fsync(fd) == 0;
	if (fd != -1 && close(fd) == -1)
		ok = false;
	if (!ok || rename(tmp, c->map_path) == -1) {
		log_warn(MOD, "%s: %s: a restart may leave Cachet incidents open", c->map_path,
		         strerror(errno));
		(void)unlink(tmp);
	}
}

static int map_load(struct cachet *c, char *err, size_t errlen)
{
	static struct cachet_map m;
	size_t len;
	char *text;
	unsigned skipped;

	if (access(c->map_path, F_OK) == -1 && errno == ENOENT)
		return 0;
	text = pf_read_file(c->map_path, MAP_TEXT, &len, err, errlen);
	if (text == NULL)
		return -1;
	skipped = cachet_map_decode(&m, text, len);
	free(text);
	if (skipped > 0)
		log_warn(MOD, "%s: %u broken lines skipped", c->map_path, skipped);
	for (unsigned i = 0; i < m.n; i++) {
		struct inc *in = &c->incs[i];

		in->used = true;
		memcpy(in->pf_id, m.e[i].pf_id, sizeof(in->pf_id));
		in->cachet_id = m.e[i].cachet_id;
	}
	return 0;
}

/* ---- outcomes ---- */

static void failed(struct cachet *c, const char *what, const struct poller_result *res)
{
	c->st.failed++;
	c->backoff_ms = c->backoff_ms == 0 ? CACHET_BACKOFF_MS : c->backoff_ms * 2;
	if (c->backoff_ms > CACHET_BACKOFF_MAX)
		c->backoff_ms = CACHET_BACKOFF_MAX;
	c->next_ms = now_ms(c) + c->backoff_ms;
	if (c->fails_in_row++ == 0) {
		c->st.outages++;
		if (res->outcome == POLLER_HTTP)
			log_warn(MOD,
			         "%s: HTTP %ld; retrying with back-off, logged once until it works",
			         what, res->http_status);
		else
			log_warn(MOD, "%s: %s; retrying with back-off, logged once until it works",
			         what, res->error != NULL ? res->error : "no answer");
	}
}

static void succeeded(struct cachet *c)
{
	c->st.sent++;
	if (c->fails_in_row > 0)
		log_info(MOD, "pushing again after %llu failed requests",
		         (unsigned long long)c->fails_in_row);
	c->fails_in_row = 0;
	c->backoff_ms = 0;
	c->next_ms = 0;
}

static void pump(struct cachet *c);

static void comp_done(void *ctx, const struct poller_result *res)
{
	struct comp *k = ctx;
	struct cachet *c = k->c;

	k->in_flight = false;
	c->st.in_flight--;
	if (res->outcome != POLLER_OK) {
		failed(c, "component update", res);
		return;
	}
	succeeded(c);
	k->sent = k->sending;
	k->sent_ms = now_ms(c);
	pump(c);
}

static void inc_done(void *ctx, const struct poller_result *res)
{
	struct inc *in = ctx;
	struct cachet *c = in->c;
	uint64_t id;

	in->in_flight = false;
	c->st.in_flight--;
	if (res->outcome != POLLER_OK) {
		failed(c, in->cachet_id == 0 ? "incident create" : "incident fix", res);
		return;
	}
	if (in->cachet_id == 0) {
		id = cachet_parse_id(res->body, res->len);
		if (id == 0) {
			failed(c, "incident create (no id in the answer)", res);
			return;
		}
		in->cachet_id = id;
		map_save(c);
	} else {
		in->used = false; /* marked fixed */
		map_save(c);
	}
	succeeded(c);
	pump(c);
}

/* ---- sending ---- */

static bool push_req(struct cachet *c, const struct cachet_req *rq, poller_done_cb_fn cb, void *ctx)
{
	char url[URL_MAX_ + CACHET_PATH_MAX];

	(void)snprintf(url, sizeof(url), "%s%s", c->url, rq->path);
	if (poller_send(c->poller, rq->method, url, rq->body, rq->len, CACHET_TIMEOUT_MS, cb,
	                ctx) == -1) {
		c->st.failed++;
		return false;
	}
	c->st.in_flight++;
	return true;
}

static void pump_comp(struct cachet *c, struct comp *k, int64_t now)
{
	struct cachet_req rq;

	if (k->in_flight || k->want == CACHET_COMP_NONE)
		return;
	if (k->want == k->sent && now - k->sent_ms < CACHET_RESEND_MS)
		return;
	if (cachet_req_component(&rq, k->id, k->want) == -1)
		return;
	k->sending = k->want;
	k->in_flight = push_req(c, &rq, comp_done, k);
}

static void pump_inc(struct cachet *c, struct inc *in)
{
	struct cachet_req rq;
	int rc;

	if (!in->used || in->in_flight)
		return;
	if (in->closed && in->cachet_id == 0) {
		in->used = false; /* never made it to Cachet: nothing to fix there */
		return;
	}
	if (in->cachet_id == 0)
		rc = cachet_req_incident_open(&rq, in->name, in->message, in->comp_id,
		                              in->comp_status);
	else if (in->closed)
		rc = cachet_req_incident_fixed(&rq, in->cachet_id, "Resolved: polkfura closed it.");
	else
		return;
	if (rc == 0)
		in->in_flight = push_req(c, &rq, inc_done, in);
}

/* Starts whatever is due, unless backing off. */
static void pump(struct cachet *c)
{
	int64_t now = now_ms(c);

	if (now < c->next_ms)
		return;
	for (unsigned i = 0; i < CACHET_MAP_MAX; i++)
		pump_inc(c, &c->incs[i]);
	for (unsigned i = 0; i < c->n_comps; i++)
		pump_comp(c, &c->comps[i], now);
}

static struct comp *comp_of(struct cachet *c, const char *chain)
{
	for (unsigned i = 0; i < c->n_comps; i++)
		if (strcmp(c->comps[i].chain, chain) == 0)
			return &c->comps[i];
	return NULL;
}

void cachet_chain_state(struct cachet *c, const char *chain, const char *state, int64_t now)
{
	struct comp *k;

	(void)now;
	if (c == NULL || (k = comp_of(c, chain)) == NULL)
		return;
	k->want = cachet_status_of(state);
	pump(c);
}

static struct inc *inc_find(struct cachet *c, const char *id)
{
	for (unsigned i = 0; i < CACHET_MAP_MAX; i++)
		if (c->incs[i].used && strcmp(c->incs[i].pf_id, id) == 0)
			return &c->incs[i];
	return NULL;
}

static void inc_open(struct cachet *c, const char *id, const struct comp *k, const char *kind,
                     const char *summary)
{
	struct inc *in = NULL;

	if (inc_find(c, id) != NULL || strlen(id) > CACHET_ID_MAX)
		return;
	for (unsigned i = 0; i < CACHET_MAP_MAX && in == NULL; i++)
		if (!c->incs[i].used && !c->incs[i].in_flight)
			in = &c->incs[i];
	if (in == NULL) {
		log_warn(MOD, "incident %s not pushed: %d incidents already mapped", id,
		         CACHET_MAP_MAX);
		return;
	}
	memset(in, 0, sizeof(*in));
	in->c = c;
	in->used = true;
	memcpy(in->pf_id, id, strlen(id) + 1);
	/* "chain_down" -> "polkadot: chain down" */
	(void)snprintf(in->name, sizeof(in->name), "%s: %s", k->chain, kind);
	for (char *p = in->name + strlen(k->chain) + 2; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
	(void)snprintf(in->message, sizeof(in->message), "%s", summary);
	in->comp_id = k->id;
	in->comp_status =
	    strcmp(kind, "chain_degraded") == 0 ? CACHET_COMP_PERFORMANCE : CACHET_COMP_MAJOR;
}

void cachet_incident(struct cachet *c, const char *id, bool open, const char *chain,
                     const char *kind, const char *summary, int64_t now)
{
	struct comp *k;
	struct inc *in;

	(void)now;
	if (c == NULL)
		return;
	if (open) {
		if (strncmp(kind, "chain_", 6) != 0 || (k = comp_of(c, chain)) == NULL)
			return;
		inc_open(c, id, k, kind, summary);
	} else {
		in = inc_find(c, id);
		if (in == NULL)
			return;
		in->closed = true;
	}
	pump(c);
}

struct cachet *cachet_new(struct ev_loop *loop, const struct cachet_cfg *cfg, char *err,
                          size_t errlen)
{
	struct cachet *c = calloc(1, sizeof(*c));
	char hdr[600];

	if (c == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	(void)snprintf(c->url, sizeof(c->url), "%s", cfg->url);
	(void)snprintf(c->map_path, sizeof(c->map_path), "%s", cfg->map_path);
	for (unsigned i = 0; i < cfg->n && i < COMP_MAX; i++) {
		c->comps[i].c = c;
		(void)snprintf(c->comps[i].chain, sizeof(c->comps[i].chain), "%s",
		               cfg->components[i].chain);
		c->comps[i].id = cfg->components[i].id;
		c->n_comps++;
	}
	for (unsigned i = 0; i < CACHET_MAP_MAX; i++)
		c->incs[i].c = c;
	c->poller = poller_new(loop);
	(void)snprintf(hdr, sizeof(hdr), "X-Cachet-Token: %s", cfg->token);
	if (c->poller == NULL || poller_add_header(c->poller, hdr) == -1) {
		explicit_bzero(hdr, sizeof(hdr));
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	explicit_bzero(hdr, sizeof(hdr));
	poller_set_max_connections(c->poller, 2);
	if (map_load(c, err, errlen) == -1)
		goto fail;
	return c;
fail:
	cachet_free(c);
	return NULL;
}

void cachet_get_stats(const struct cachet *c, struct cachet_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	*out = c->st;
	for (unsigned i = 0; i < CACHET_MAP_MAX; i++)
		if (c->incs[i].used && c->incs[i].cachet_id != 0)
			out->incidents++;
}

void cachet_free(struct cachet *c)
{
	if (c == NULL)
		return;
	poller_free(c->poller);
	free(c);
}
