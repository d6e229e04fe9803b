/* SPDX-License-Identifier: MIT */
/*
 * The glue of `polkfura-ctl usage` (see usage_cli.h). The window is cut
 * to whole minutes, since the rows are per minute: --since and --until are
 * rounded down to the start of their minute, so that the default window
 * (--since 1h, no --until) is the last 60 complete minutes and calls/s
 * divide by exactly the minutes the rows cover.
 */
#include "ctl/usage/usage_cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "ctl/report/report_data.h"
#include "ctl/usage/usage_agg.h"
#include "ctl/usage/usage_args.h"
#include "ctl/usage/usage_db.h"
#include "ctl/usage/usage_render.h"

#define MINUTE_MS   INT64_C(60000)
#define TOP_DEFAULT 20u

struct usage_capacity {
	const struct cap_params *params; /* borrowed */
	struct usage_db *db;
	struct cap_result *results;
	struct cap_view view;
	bool read; /* view is set */
};

static int64_t floor_minute(int64_t ms)
{
	int64_t r = ms % MINUTE_MS;

	return r < 0 ? ms - r - MINUTE_MS : ms - r;
}

bool usage_cap_params(const struct usage_args *a, unsigned min_ready, struct cap_params *p,
                      char *err, size_t errlen)
{
	const char *why = NULL;
	double mm = CAP_DEFAULT_MIN_MINUTES;

	*p = (struct cap_params){CAP_DEFAULT_NODE_CAPACITY, CAP_DEFAULT_TARGET_UTIL,
	                         CAP_DEFAULT_MIN_MINUTES, min_ready};
	if (a->node_capacity != NULL &&
	    !usage_parse_number(a->node_capacity, 0, 1e6, &p->node_capacity, &why)) {
		pf_errf(err, errlen, "--node-capacity %s: %s (node-seconds per second, > 0)",
		        a->node_capacity, why);
		return false;
	}
	if (a->target_util != NULL &&
	    !usage_parse_number(a->target_util, 0, 1, &p->target_util, &why)) {
		pf_errf(err, errlen, "--target-util %s: %s (a share: 0 < x <= 1)", a->target_util,
		        why);
		return false;
	}
	/* -1: 0 minutes is allowed (always suggest). */
	if (a->min_minutes != NULL && (!usage_parse_number(a->min_minutes, -1, 1e6, &mm, &why) ||
	                               mm != (double)(unsigned)mm)) {
		pf_errf(err, errlen, "--min-minutes %s: %s", a->min_minutes,
		        why != NULL ? why : "expected a whole number of minutes");
		return false;
	}
	p->min_minutes = (unsigned)mm;
	return true;
}

/* The window of <a> at <now_ms>, whole minutes. Returns false with the reason in <err>. */
static bool window(const struct usage_args *a, int64_t now_ms, int64_t *from, int64_t *to,
                   char *err, size_t errlen)
{
	const char *why = NULL;

	if (!usage_parse_when(a->since != NULL ? a->since : "1h", now_ms, from, &why)) {
		pf_errf(err, errlen, "--since %s: %s", a->since, why);
		return false;
	}
	*to = now_ms;
	if (a->until != NULL && !usage_parse_when(a->until, now_ms, to, &why)) {
		pf_errf(err, errlen, "--until %s: %s", a->until, why);
		return false;
	}
	/* The minutes after now hold no rows yet: counting them would dilute calls/s. */
	if (*to > now_ms)
		*to = now_ms;
	*from = floor_minute(*from);
	*to = floor_minute(*to);
	if (*from >= *to) {
		pf_errf(err, errlen, "--since must be at least a whole minute before %s",
		        a->until != NULL ? "--until" : "now");
		return false;
	}
	return true;
}

struct plan {
	int64_t from, to;
	enum usage_by by;
	enum usage_format fmt;
	unsigned top;
	struct cap_params cap;
};

static bool parse_all(const struct usage_args *a, unsigned min_ready, int64_t now_ms,
                      struct plan *pl, char *err, size_t errlen)
{
	const char *why = NULL;

	pl->by = USAGE_BY_METHOD;
	pl->fmt = USAGE_TABLE;
	pl->top = TOP_DEFAULT;
	if (!window(a, now_ms, &pl->from, &pl->to, err, errlen))
		return false;
	if (a->by != NULL && !usage_parse_by(a->by, &pl->by, &why)) {
		pf_errf(err, errlen, "--by %s: %s", a->by, why);
		return false;
	}
	if (a->format != NULL && !usage_parse_format(a->format, &pl->fmt, &why)) {
		pf_errf(err, errlen, "--format %s: %s", a->format, why);
		return false;
	}
	if (a->top != NULL && !usage_parse_top(a->top, &pl->top, &why)) {
		pf_errf(err, errlen, "--top %s: %s", a->top, why);
		return false;
	}
	return usage_cap_params(a, min_ready, &pl->cap, err, errlen);
}

static int write_all(FILE *out, char *text, size_t len, char *err, size_t errlen)
{
	int rc = 0;

	if (text == NULL) {
		pf_errf(err, errlen, "out of memory");
		return 1;
	}
	if (fwrite(text, 1, len, out) != len || fflush(out) != 0) {
		pf_errf(err, errlen, "writing the output");
		rc = 1;
	}
	free(text);
	return rc;
}

static int print_keys(const struct usage_args *a, const struct plan *pl, struct usage_data *d,
                      FILE *out, char *err, size_t errlen)
{
	struct usage_group total;
	struct usage_view v;
	size_t len = 0;
	char *text;

	usage_rank(d->groups, d->n_groups, pl->by);
	usage_total(d->groups, d->n_groups, &total);
	v = (struct usage_view){pl->from, pl->to,    a->region,   a->chain, pl->by,
	                        pl->top,  d->groups, d->n_groups, &total,   d->bad_rows};
	text = usage_render(&v, pl->fmt, &len);
	return write_all(out, text, len, err, errlen);
}

static int print_capacity(const struct plan *pl, const struct usage_data *d, FILE *out, char *err,
                          size_t errlen)
{
	struct cap_result *r = calloc(d->n_sums + 1, sizeof(*r));
	struct cap_view v;
	size_t len = 0;
	char *text;
	int rc;

	if (r == NULL) {
		pf_errf(err, errlen, "out of memory");
		return 1;
	}
	capacity_compute(d->sums, d->n_sums, &pl->cap, r);
	v = (struct cap_view){pl->from, pl->to, &pl->cap, r, d->n_sums};
	text = capacity_render(&v, pl->fmt, &len);
	rc = write_all(out, text, len, err, errlen);
	free(r);
	return rc;
}

bool usage_cli_check(const struct usage_args *a, int64_t now_ms, char *err, size_t errlen)
{
	struct plan pl;

	if (!parse_all(a, 0, now_ms, &pl, err, errlen))
		return false;
	if (a->capacity && (a->by != NULL || a->top != NULL)) {
		pf_errf(err, errlen,
		        "--capacity takes no --by or --top (one row per region and chain)");
		return false;
	}
	return true;
}

int usage_cli_run(const struct usage_args *a, unsigned min_ready, const struct migrate_opts *o,
                  int64_t now_ms, FILE *out, char *err, size_t errlen)
{
	struct usage_db *hold = NULL;
	struct usage_data d;
	struct usage_query q;
	struct plan pl;
	int rc;

	if (!usage_cli_check(a, now_ms, err, errlen) ||
	    !parse_all(a, min_ready, now_ms, &pl, err, errlen))
		return 2;
	q = (struct usage_query){pl.from, pl.to,        a->region,  a->chain,
	                         pl.by,   !a->capacity, a->capacity};
	rc = usage_db_read(o, &q, &d, &hold, err, errlen);
	if (rc == 0)
		rc = a->capacity ? print_capacity(&pl, &d, out, err, errlen)
		                 : print_keys(a, &pl, &d, out, err, errlen);
	usage_db_free(hold);
	return rc;
}

struct usage_capacity *usage_capacity_new(const struct cap_params *p)
{
	struct usage_capacity *h = calloc(1, sizeof(*h));

	if (h != NULL)
		h->params = p;
	return h;
}

int usage_capacity_also(struct pg_conn *c, const struct report *r, void *ctx, char *err,
                        size_t errlen)
{
	struct usage_capacity *h = ctx;
	struct usage_query q = {r->from_ms,      r->to_ms, r->region, r->chain,
	                        USAGE_BY_METHOD, false,    true};
	struct usage_data d;

	if (usage_db_read_in(c, &q, &d, &h->db, err, errlen) != 0)
		return -1;
	h->results = calloc(d.n_sums + 1, sizeof(*h->results));
	if (h->results == NULL) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	capacity_compute(d.sums, d.n_sums, h->params, h->results);
	h->view = (struct cap_view){r->from_ms, r->to_ms, h->params, h->results, d.n_sums};
	h->read = true;
	return 0;
}

const struct cap_view *usage_capacity_view(const struct usage_capacity *h)
{
	return h != NULL && h->read ? &h->view : NULL;
}

void usage_capacity_free(struct usage_capacity *h)
{
	if (h == NULL)
		return;
	usage_db_free(h->db);
	free(h->results);
	free(h);
}
