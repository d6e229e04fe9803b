/* SPDX-License-Identifier: MIT */
/*
 * A sorted array of pointers to rows: a snapshot's rows are found by binary
 * search, and a new key is inserted in place (memmove of pointers), which
 * happens only the first time a key is seen.
 */
#include "ctl/stats/rowtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rowtab_init(struct rowtab *t, unsigned max_rows)
{
	memset(t, 0, sizeof(*t));
	t->max_rows = max_rows > 0 ? max_rows : 1;
}

void rowtab_fini(struct rowtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->rows[i]);
	free(t->rows);
	rowtab_init(t, t->max_rows);
}

const char *rowtab_method_name(const struct methtab *m, int method_id)
{
	const char *name;

	switch (method_id) {
	case LOGLINE_METHOD_NONE:
		return "";
	case LOGLINE_METHOD_BATCH:
		return "batch";
	case LOGLINE_METHOD_OTHER:
		return "other";
	default:
		name = methtab_name(m, method_id);
		return name != NULL ? name : "other";
	}
}

int rowtab_cmp(const struct rowtab_row *a, const struct rowtab_row *b)
{
	int c;

	if (a->overflow != b->overflow)
		return a->overflow ? 1 : -1;
	c = strcmp(a->chain, b->chain);
	if (c == 0)
		c = strcmp(a->method, b->method);
	if (c == 0)
		c = (a->cls > b->cls) - (a->cls < b->cls);
	if (c == 0)
		c = (a->status > b->status) - (a->status < b->status);
	return c;
}

static void add_counts(struct rowtab_row *dst, const struct agg_row *src)
{
	dst->requests += src->requests;
	dst->errors += src->errors;
	dst->calls += src->calls;
	dst->bytes += src->bytes;
	dst->node_ms += src->node_ms;
	hist_merge(&dst->ta, &src->ta);
}

/* Where <key> is, or would go: its index, with <found> set when it is there. */
static size_t find(const struct rowtab *t, const struct rowtab_row *key, bool *found)
{
	size_t lo = 0, hi = t->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rowtab_cmp(t->rows[mid], key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct rowtab_row *insert(struct rowtab *t, size_t at, const struct rowtab_row *key)
{
	struct rowtab_row *r;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rowtab_row **rows = realloc(t->rows, cap * sizeof(*rows));

		if (rows == NULL)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	memcpy(r, key, offsetof(struct rowtab_row, requests));
	memmove(&t->rows[at + 1], &t->rows[at], (t->n - at) * sizeof(*t->rows));
	t->rows[at] = r;
	t->n++;
	return r;
}

/* The overflow row, made when first needed; NULL only when that allocation fails. */
static struct rowtab_row *overflow_row(struct rowtab *t)
{
	struct rowtab_row key;
	bool found;
	size_t at;

	memset(&key, 0, offsetof(struct rowtab_row, requests));
	key.overflow = true;
	at = find(t, &key, &found);
	return found ? t->rows[at] : insert(t, at, &key);
}

/* Rows that are keys, besides the overflow row. */
static size_t keys_in(const struct rowtab *t)
{
	return t->n > 0 && t->rows[t->n - 1]->overflow ? t->n - 1 : t->n;
}

int rowtab_merge(struct rowtab *t, const struct agg_snap *s, const struct methtab *m)
{
	int rc = 0;

	t->lines += s->lines;
	t->overflow_lines += s->overflow_lines;
	for (unsigned i = 0; i < SYSLOG_ERR_COUNT; i++)
		t->syslog_rejected[i] += s->syslog_rejected[i];
	for (unsigned i = 0; i < LOGLINE_ERR_COUNT; i++)
		t->logline_rejected[i] += s->logline_rejected[i];
	for (size_t i = 0; i < s->n_rows; i++) {
		const struct agg_row *a = &s->rows[i];
		struct rowtab_row key, *r = NULL;
		bool found;
		size_t at;

		memset(&key, 0, offsetof(struct rowtab_row, requests));
		key.overflow = a->overflow;
		if (!a->overflow) {
			memcpy(key.chain, a->chain, sizeof(key.chain));
			(void)snprintf(key.method, sizeof(key.method), "%s",
			               rowtab_method_name(m, a->method_id));
			key.cls = a->cls;
			key.status = a->status;
		}
		at = find(t, &key, &found);
		if (found) {
			r = t->rows[at];
		} else if (a->overflow || keys_in(t) < t->max_rows) {
			r = insert(t, at, &key);
			rc = r == NULL ? -1 : rc;
		}
		if (r == NULL) {
			r = overflow_row(t);
			if (!a->overflow)
				t->overflow_lines += a->requests;
		}
		if (r == NULL) {
			rc = -1; /* not even the overflow row: the lines stay counted in <lines> */
			continue;
		}
		add_counts(r, a);
	}
	return rc;
}
