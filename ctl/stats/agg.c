/* SPDX-License-Identifier: MIT */
/*
 * An open-addressing table (linear probing, FNV-1a) of twice the key cap,
 * rounded to a power of two, so a probe stays short even when full. The
 * rows live in a separate array filled in order, so rotation copies only
 * the used rows and clears only the slots they took.
 */
#include "ctl/stats/agg.h"

#include <stdlib.h>
#include <string.h>

#define SLOT_EMPTY UINT32_MAX

struct agg {
	unsigned max_keys;
	uint32_t mask;        /* slots - 1 */
	uint32_t *slots;      /* owned: index into rows, or SLOT_EMPTY */
	uint32_t *hashes;     /* owned: the hash of rows[i], to clear its slot */
	struct agg_row *rows; /* owned: max_keys + 1, the last is the overflow row */
	unsigned n_rows;
	uint64_t lines, overflow_lines;
	uint64_t syslog_rejected[SYSLOG_ERR_COUNT];
	uint64_t logline_rejected[LOGLINE_ERR_COUNT];
};

enum agg_status agg_status_of(int status)
{
	if (status < 100 || status > 599)
		return AGG_STATUS_NONE;
	return (enum agg_status)(status / 100);
}

struct agg *agg_new(unsigned max_keys)
{
	struct agg *a;
	uint32_t slots = 1;

	if (max_keys == 0 || max_keys > AGG_MAX_KEYS)
		return NULL;
	while (slots < 2 * max_keys)
		slots <<= 1;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->max_keys = max_keys;
	a->mask = slots - 1;
	a->slots = malloc(slots * sizeof(*a->slots));
	a->hashes = calloc(max_keys, sizeof(*a->hashes));
	a->rows = calloc(max_keys + 1, sizeof(*a->rows));
	if (a->slots == NULL || a->hashes == NULL || a->rows == NULL) {
		agg_free(a);
		return NULL;
	}
	memset(a->slots, 0xff, slots * sizeof(*a->slots));
	a->rows[max_keys].overflow = true;
	return a;
}

void agg_free(struct agg *a)
{
	if (a == NULL)
		return;
	free(a->slots);
	free(a->hashes);
	free(a->rows);
	free(a);
}

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static bool same_key(const struct agg_row *r, const struct logline *l, enum agg_status st)
{
	return r->method_id == l->method_id && r->cls == l->cls && r->status == st &&
	       strlen(r->chain) == l->chain.len && memcmp(r->chain, l->chain.p, l->chain.len) == 0;
}

/* The row of <l>'s key: found, made, or the overflow row when the cap is reached. */
static struct agg_row *row_of(struct agg *a, const struct logline *l)
{
	enum agg_status st = agg_status_of(l->status);
	uint32_t h = 2166136261u, i;
	struct agg_row *r;
	size_t clen = l->chain.len <= LOGLINE_CHAIN_MAX ? l->chain.len : LOGLINE_CHAIN_MAX;

	h = fnv(h, l->chain.p != NULL ? l->chain.p : (const uint8_t *)"", clen);
	h = fnv(h, &l->method_id, sizeof(l->method_id));
	h = fnv(h, &l->cls, sizeof(l->cls));
	h = fnv(h, &st, sizeof(st));
	for (i = h & a->mask; a->slots[i] != SLOT_EMPTY; i = (i + 1) & a->mask)
		if (same_key(&a->rows[a->slots[i]], l, st))
			return &a->rows[a->slots[i]];
	if (a->n_rows == a->max_keys || clen != l->chain.len) {
		a->overflow_lines++;
		return &a->rows[a->max_keys];
	}
	a->slots[i] = a->n_rows;
	a->hashes[a->n_rows] = h;
	r = &a->rows[a->n_rows++];
	if (clen > 0)
		memcpy(r->chain, l->chain.p, clen);
	r->chain[clen] = '\0';
	r->method_id = l->method_id;
	r->cls = l->cls;
	r->status = st;
	return r;
}

void agg_add(struct agg *a, const struct logline *l)
{
	struct agg_row *r = row_of(a, l);

	a->lines++;
	r->requests++;
	r->errors += l->status < 0 || l->status >= 500;
	r->calls += l->batch > 0 ? (uint64_t)l->batch : 0;
	r->bytes += l->bytes;
	if (l->tr > 0)
		r->node_ms += (uint64_t)l->tr;
	if (l->ta >= 0)
		hist_add(&r->ta, (uint32_t)l->ta);
}

void agg_reject_syslog(struct agg *a, enum syslog_err err)
{
	a->syslog_rejected[(unsigned)err < SYSLOG_ERR_COUNT ? err : SYSLOG_OK]++;
}

void agg_reject_logline(struct agg *a, enum logline_err err)
{
	a->logline_rejected[(unsigned)err < LOGLINE_ERR_COUNT ? err : LOGLINE_OK]++;
}

static int cmp_row(const void *x, const void *y)
{
	const struct agg_row *a = x, *b = y;
	int c = strcmp(a->chain, b->chain);

	if (c != 0)
		return c;
	if (a->method_id != b->method_id)
		return a->method_id < b->method_id ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	return (a->status > b->status) - (a->status < b->status);
}

struct agg_snap *agg_rotate(struct agg *a, int64_t minute_ms)
{
	const struct agg_row *ovf = &a->rows[a->max_keys];
	size_t n = a->n_rows + (ovf->requests > 0);
	struct agg_snap *s = malloc(sizeof(*s) + n * sizeof(s->rows[0]));

	if (s == NULL)
		return NULL;
	s->minute_ms = minute_ms;
	s->lines = a->lines;
	s->overflow_lines = a->overflow_lines;
	memcpy(s->syslog_rejected, a->syslog_rejected, sizeof(s->syslog_rejected));
	memcpy(s->logline_rejected, a->logline_rejected, sizeof(s->logline_rejected));
	s->n_rows = n;
	memcpy(s->rows, a->rows, a->n_rows * sizeof(s->rows[0]));
	qsort(s->rows, a->n_rows, sizeof(s->rows[0]), cmp_row);
	if (ovf->requests > 0)
		s->rows[n - 1] = *ovf;
	/* Clear what this minute used, and only that. */
	for (unsigned r = 0; r < a->n_rows; r++) {
		uint32_t i = a->hashes[r] & a->mask;

		while (a->slots[i] != r)
			i = (i + 1) & a->mask;
		a->slots[i] = SLOT_EMPTY;
	}
	memset(a->rows, 0, a->n_rows * sizeof(a->rows[0]));
	memset(&a->rows[a->max_keys], 0, sizeof(a->rows[0]));
	a->rows[a->max_keys].overflow = true;
	a->n_rows = 0;
	a->lines = a->overflow_lines = 0;
	memset(a->syslog_rejected, 0, sizeof(a->syslog_rejected));
	memset(a->logline_rejected, 0, sizeof(a->logline_rejected));
	return s;
}

void agg_snap_free(struct agg_snap *s)
{
	free(s);
}
