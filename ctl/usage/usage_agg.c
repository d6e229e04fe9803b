/* SPDX-License-Identifier: MIT */
/*
 * Per-key figures and ranking for `polkfura-ctl usage` (see usage_agg.h).
 * The histograms arrive as the database merged them, bucket bounds and
 * counts; a bound is mapped back to its bucket through hist_bucket and
 * checked against hist_bucket_end, so a row written with other bounds is
 * refused instead of being read into the wrong bucket.
 */
#include "ctl/usage/usage_agg.h"

#include <stdlib.h>
#include <string.h>

bool usage_hist_add(struct hist *h, int64_t le_ms, uint64_t count)
{
	unsigned i;

	if (le_ms == USAGE_LE_OVERFLOW) {
		i = HIST_OVERFLOW;
	} else {
		if (le_ms < 1 || le_ms > HIST_MAX_MS)
			return false;
		i = hist_bucket((uint32_t)(le_ms - 1));
		if (i == HIST_OVERFLOW || hist_bucket_end(i) != (uint32_t)le_ms)
			return false;
	}
	h->b[i] += count;
	h->count += count;
	return true;
}

/* One unsigned decimal of at most 19 digits at *<p>, then ',' or the end. */
static bool next_number(const char **p, uint64_t *v)
{
	uint64_t n = 0;
	int digits = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++) {
		if (++digits > 19)
			return false;
		n = n * 10 + (uint64_t)(**p - '0');
	}
	if (digits == 0 || (**p != ',' && **p != '\0'))
		return false;
	if (**p == ',')
		(*p)++;
	*v = n;
	return true;
}

bool usage_hist_from_lists(struct hist *h, const char *les, const char *counts)
{
	const char *a = les, *c = counts;

	while (*a != '\0' || *c != '\0') {
		uint64_t le, n;

		if (!next_number(&a, &le) || !next_number(&c, &n) || le > INT64_MAX ||
		    !usage_hist_add(h, (int64_t)le, n))
			return false;
		/* A trailing comma left one list ended and the other not: "1," and "2". */
		if ((a[-1] == ',' && *a == '\0') || (c[-1] == ',' && *c == '\0'))
			return false;
	}
	return true;
}

void usage_figures(const struct usage_group *g, int64_t window_ms, uint64_t total_node_ms,
                   struct usage_figures *f)
{
	*f = (struct usage_figures){0};
	if (window_ms > 0)
		f->calls_per_s = (double)g->calls * 1000.0 / (double)window_ms;
	if (g->requests > 0)
		f->error_pct = (double)g->errors * 100.0 / (double)g->requests;
	f->node_s = (double)g->node_ms / 1000.0;
	if (total_node_ms > 0)
		f->node_pct = (double)g->node_ms * 100.0 / (double)total_node_ms;
	f->has_latency = g->ta.count > 0;
	f->p50 = hist_quantile(&g->ta, 0.50);
	f->p95 = hist_quantile(&g->ta, 0.95);
	f->p99 = hist_quantile(&g->ta, 0.99);
	f->p99_overflow = f->has_latency && f->p99 >= HIST_MAX_MS;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_group(const void *pa, const void *pb, void *by)
{
	const struct usage_group *a = pa, *b = pb;
	int c = *(const enum usage_by *)by == USAGE_BY_TIME
	            ? cmp_u64_desc(a->node_ms, b->node_ms)
	            : cmp_u64_desc(a->requests, b->requests);

	if (c == 0)
		c = (int)a->overflow - (int)b->overflow;
	if (c == 0)
		c = strcmp(a->chain, b->chain);
	if (c == 0)
		c = strcmp(a->key, b->key);
	return c;
}

void usage_rank(struct usage_group *g, size_t n, enum usage_by by)
{
	if (n > 1)
		qsort_r(g, n, sizeof(*g), cmp_group, &by);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void usage_total(const struct usage_group *g, size_t n, struct usage_group *total)
{
	memset(total, 0, sizeof(*total));
	total->chain = "";
	total->key = "";
	hist_init(&total->ta);
	for (size_t i = 0; i < n; i++) {
		total->requests = add_sat(total->requests, g[i].requests);
		total->errors = add_sat(total->errors, g[i].errors);
		total->calls = add_sat(total->calls, g[i].calls);
		total->bytes = add_sat(total->bytes, g[i].bytes);
		total->node_ms = add_sat(total->node_ms, g[i].node_ms);
		hist_merge(&total->ta, &g[i].ta);
	}
}
