/* SPDX-License-Identifier: MIT */
/*
 * The bucket of v >= 8 is found from its highest set bit k (the octave
 * [2^k, 2^(k+1))) and the next three bits (which eighth of it), as
 * HdrHistogram does with 3 significant bits: no floating point, no table.
 */
#include "ctl/stats/hist.h"

#include <inttypes.h>
#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned hist_bucket(uint32_t ms)
{
	unsigned k;

	if (ms < HIST_EXACT)
		return ms;
	if (ms >= HIST_MAX_MS)
		return HIST_OVERFLOW;
	k = 31u - (unsigned)__builtin_clz(ms);
	return HIST_EXACT + (k - 3) * HIST_SUB + ((ms >> (k - 3)) & (HIST_SUB - 1));
}

uint32_t hist_bucket_end(unsigned i)
{
	unsigned k, sub;

	if (i < HIST_EXACT)
		return i + 1;
	if (i >= HIST_OVERFLOW)
		return UINT32_MAX;
	k = 3 + (i - HIST_EXACT) / HIST_SUB;
	sub = (i - HIST_EXACT) % HIST_SUB;
	return (uint32_t)(HIST_SUB + sub + 1) << (k - 3);
}

void hist_add(struct hist *h, uint32_t ms)
{
	h->b[hist_bucket(ms)]++;
	h->count++;
	h->sum_ms = h->sum_ms + ms < h->sum_ms ? UINT64_MAX : h->sum_ms + ms;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum_ms =
	    dst->sum_ms + src->sum_ms < dst->sum_ms ? UINT64_MAX : dst->sum_ms + src->sum_ms;
}

uint32_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (!(q > 0))
		q = 0;
	if (q > 1)
		q = 1;
	/* Nearest rank: the ceil(q * n)-th smallest, at least the first. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return i == HIST_OVERFLOW ? HIST_MAX_MS : hist_bucket_end(i) - 1;
	}
	return HIST_MAX_MS;
}

static void put_set(struct pf_buf *b, const char *name, const char *suffix, const char *labels)
{
	pf_buf_printf(b, "%s%s{%s%s", name, suffix, labels, *labels != '\0' ? "," : "");
}

void hist_export(const struct hist *h, const char *name, const char *labels, unsigned stride,
                 struct pf_buf *b)
{
	uint64_t cum = 0;

	if (stride == 0)
		stride = 1;
	for (unsigned i = 0; i < HIST_OVERFLOW; i++) {
		uint32_t end = hist_bucket_end(i);

		cum += h->b[i];
		if ((i + 1) % stride != 0)
			continue;
		put_set(b, name, "_bucket", labels);
		pf_buf_printf(b, "le=\"%" PRIu32 ".%03" PRIu32 "\"} %" PRIu64 "\n", end / 1000,
		              end % 1000, cum);
	}
	put_set(b, name, "_bucket", labels);
	pf_buf_printf(b, "le=\"+Inf\"} %" PRIu64 "\n", h->count);
	pf_buf_printf(b, "%s_sum%s%s%s %" PRIu64 ".%03" PRIu64 "\n", name, *labels ? "{" : "",
	              labels, *labels ? "}" : "", h->sum_ms / 1000, h->sum_ms % 1000);
	pf_buf_printf(b, "%s_count%s%s%s %" PRIu64 "\n", name, *labels ? "{" : "", labels,
	              *labels ? "}" : "", h->count);
}
