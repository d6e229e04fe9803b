/* SPDX-License-Identifier: MIT */
/*
 * The aligned text table of usage_table.h. Widths count bytes: the names
 * printed here (chains, methods, regions) are ASCII by the config's and
 * the methods table's rules.
 */
#include "ctl/usage/usage_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void utab_init(struct utab *t, size_t ncols, const char *align)
{
	*t = (struct utab){.ncols = ncols, .align = align};
}

void utab_add(struct utab *t, const char *cell)
{
	char *c;

	if (t->failed)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap != 0 ? t->cap * 2 : 64;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (cells == NULL) {
			t->failed = true;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	c = strdup(cell != NULL ? cell : "");
	if (c == NULL) {
		t->failed = true;
		return;
	}
	for (char *p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	t->cells[t->n++] = c;
}

void utab_addf(struct utab *t, const char *fmt, ...)
{
	char cell[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cell, sizeof(cell), fmt, ap);
	va_end(ap);
	utab_add(t, cell);
}

void utab_print(const struct utab *t, struct pf_buf *b)
{
	size_t width[32] = {0};
	size_t ncols = t->ncols < 32 ? t->ncols : 32;

	if (t->failed) {
		b->failed = true;
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t len = strlen(t->cells[i]);

		if (len > width[i % t->ncols % 32])
			width[i % t->ncols % 32] = len;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t col = i % t->ncols, len = strlen(t->cells[i]);
		bool last = col == t->ncols - 1 || i == t->n - 1;
		bool right = col < ncols && t->align[col] == 'r';
		int pad = col < ncols ? (int)(width[col] - len) : 0;

		if (right)
			pf_buf_printf(b, "%*s%s", pad, "", t->cells[i]);
		else
			pf_buf_printf(b, "%s%*s", t->cells[i], last ? 0 : pad, "");
		pf_buf_printf(b, "%s", last ? "\n" : "  ");
	}
}

void utab_fini(struct utab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (struct utab){0};
}
