/* SPDX-License-Identifier: MIT */
/*
 * The names sorted once, looked up by binary search: about eight
 * comparisons for the shipped table, cheap next to parsing the line.
 */
#include "ctl/stats/methtab.h"

#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/text.h"
#include "ctl/stats/logline.h"

struct methtab {
	size_t n;
	char *text;   /* owned: every name, NUL-terminated */
	char **names; /* owned array; the strings borrow <text> */
	uint32_t *lens;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return n > 0 && n <= LOGLINE_METHOD_MAX;
}

/* Copies the first column of every row into t->text and points t->names at them. */
static int collect(struct methtab *t, const char *text, size_t len, char *err, size_t errlen)
{
	size_t off = 0, line = 0, w = 0;

	while (off < len) {
		const char *s = text + off, *nl = memchr(s, '\n', len - off), *tab;
		size_t n = nl != NULL ? (size_t)(nl - s) : len - off, name;

		off += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		tab = memchr(s, '\t', n);
		name = tab != NULL ? (size_t)(tab - s) : n;
		if (line == 1) {
			if (name != 6 || memcmp(s, "method", 6) != 0) {
				pf_errf(err, errlen,
				        "line 1: expected the header method<TAB>class");
				return -1;
			}
			continue;
		}
		if (n == 0 || s[0] == '#')
			continue;
		if (!name_ok(s, name)) {
			pf_errf(err, errlen, "line %zu: a method name is 1-%d printable bytes",
			        line, LOGLINE_METHOD_MAX);
			return -1;
		}
		if (t->n == METHTAB_MAX_METHODS) {
			pf_errf(err, errlen, "line %zu: more than %d methods", line,
			        METHTAB_MAX_METHODS);
			return -1;
		}
		memcpy(t->text + w, s, name);
		t->text[w + name] = '\0';
		t->names[t->n++] = t->text + w;
		w += name + 1;
	}
	if (t->n == 0) {
		pf_errf(err, errlen, "no methods");
		return -1;
	}
	return 0;
}

struct methtab *methtab_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct methtab *t = calloc(1, sizeof(*t));
	size_t rows = 1;

	for (size_t i = 0; i < len; i++)
		rows += text[i] == '\n';
	if (t == NULL || (t->text = malloc(len + 1)) == NULL ||
	    (t->names = calloc(rows, sizeof(*t->names))) == NULL ||
	    (t->lens = calloc(rows, sizeof(*t->lens))) == NULL) {
		pf_errf(err, errlen, "out of memory");
		goto fail;
	}
	if (collect(t, text, len, err, errlen) == -1)
		goto fail;
	qsort(t->names, t->n, sizeof(*t->names), cmp_name);
	for (size_t i = 0; i < t->n; i++) {
		if (i > 0 && strcmp(t->names[i - 1], t->names[i]) == 0) {
			pf_errf(err, errlen, "method %s appears twice", t->names[i]);
			goto fail;
		}
		t->lens[i] = (uint32_t)strlen(t->names[i]);
	}
	return t;
fail:
	methtab_free(t);
	return NULL;
}

struct methtab *methtab_load(const char *path, char *err, size_t errlen)
{
	char why[256];
	size_t len;
	char *text = pf_read_file(path, METHTAB_FILE_MAX, &len, why, sizeof(why));
	struct methtab *t;

	if (text == NULL) {
		pf_errf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	t = methtab_parse(text, len, why, sizeof(why));
	if (t == NULL)
		pf_errf(err, errlen, "%s: %s", path, why);
	free(text);
	return t;
}

int methtab_lookup(void *ctx, const uint8_t *p, size_t len)
{
	const struct methtab *t = ctx;
	size_t lo = 0, hi = t != NULL ? t->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, ml = t->lens[mid];
		int c = memcmp(t->names[mid], p, ml < len ? ml : len);

		if (c == 0)
			c = ml < len ? -1 : ml > len;
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const char *methtab_name(const struct methtab *t, int id)
{
	return t != NULL && id >= 0 && (size_t)id < t->n ? t->names[id] : NULL;
}

size_t methtab_count(const struct methtab *t)
{
	return t != NULL ? t->n : 0;
}

void methtab_free(struct methtab *t)
{
	if (t == NULL)
		return;
	free(t->text);
	free(t->names);
	free(t->lens);
	free(t);
}
