/* SPDX-License-Identifier: MIT */
/*
 * A plain-text table for a terminal: cells added row by row, printed with
 * each column as wide as its widest cell, text left-aligned and numbers
 * right-aligned, two spaces between columns. Control bytes of a cell are
 * printed as '?', so a name from the database cannot move the cursor.
 * Pure; it allocates (a cold path: a CLI's output).
 */
#ifndef PF_CTL_USAGE_USAGE_TABLE_H
#define PF_CTL_USAGE_USAGE_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/compiler.h"

struct utab {
	size_t ncols;
	const char *align; /* borrowed: one 'l' or 'r' per column */
	char **cells;      /* owned, row-major */
	size_t n, cap;
	bool failed; /* out of memory: utab_print sets the buffer's failed flag */
};

/* A table of <ncols> columns aligned as <align> ("llrr": two text, two numbers). */
void utab_init(struct utab *t, size_t ncols, const char *align);

/* Appends one cell (copied); rows fill left to right. */
void utab_add(struct utab *t, const char *cell);

/* Appends one printf-formatted cell. */
void utab_addf(struct utab *t, const char *fmt, ...) PF_PRINTF(2, 3);

/* Appends the table to <b>, one line per row, no trailing spaces. */
void utab_print(const struct utab *t, struct pf_buf *b);

void utab_fini(struct utab *t);

#endif
