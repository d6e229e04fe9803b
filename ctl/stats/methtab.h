/* SPDX-License-Identifier: MIT */
/*
 * The method names of the agent's methods table (haproxy/methods.tsv,
 * method<TAB>class<TAB>note under a header line) as the bounded set of
 * method labels: a name in the table has an index, anything else is
 * "other". The classes are the agent's business (spoa/methods.c); this
 * reads only the first column. Pure parser; the table is immutable once
 * built, and lookups do not allocate.
 */
#ifndef PF_CTL_STATS_METHTAB_H
#define PF_CTL_STATS_METHTAB_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define METHTAB_MAX_METHODS 4096
#define METHTAB_FILE_MAX    (1u << 20)

struct methtab;

/*
 * Parses the TSV <text>/<len>. Returns a new table (free with
 * methtab_free) or NULL with "line N: reason" in <err>: no header, an
 * empty, duplicate or too long name (over LOGLINE_METHOD_MAX bytes), a
 * name holding a byte that is not printable ASCII, no rows, too many.
 */
PF_MUSTCHECK struct methtab *methtab_parse(const char *text, size_t len, char *err, size_t errlen);

/* Reads and parses <path> (blocking); errors start with "<path>: ". */
PF_MUSTCHECK struct methtab *methtab_load(const char *path, char *err, size_t errlen);

/*
 * The index (0..methtab_count() - 1) of <p>/<len>, or -1. The signature of
 * logline_method_fn, with the table as <ctx>; a NULL table holds nothing.
 */
int methtab_lookup(void *ctx, const uint8_t *p, size_t len);

/* The name of index <id>, or NULL when out of range. Borrowed from <t>. */
const char *methtab_name(const struct methtab *t, int id);

size_t methtab_count(const struct methtab *t);

void methtab_free(struct methtab *t);

#endif
