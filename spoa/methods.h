/* SPDX-License-Identifier: MIT */
/*
 * The methods table: method name -> class, loaded from a TSV file
 * (method<TAB>class<TAB>note, header line first) into an immutable
 * open-addressing hash table. Built once per (re)load, then shared read-only
 * between threads; lookups never allocate.
 */
#ifndef PF_SPOA_METHODS_H
#define PF_SPOA_METHODS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "spoa/rpc_class.h"

struct methods;

/*
 * Parses a TSV table from <text>/<len>. Returns a new table (owned by the
 * caller, free with methods_free) or NULL with a message "line N: reason" in
 * <err>/<errlen>: bad header, missing column, unknown class, empty or
 * duplicate method, NUL byte, line too long, no rows.
 */
PF_MUSTCHECK struct methods *methods_parse(const char *text, size_t len, char *err, size_t errlen);

/* Reads and parses <path>; errors are "<path>: reason" or "<path>: line N: reason". */
PF_MUSTCHECK struct methods *methods_load_file(const char *path, char *err, size_t errlen);

/* Looks up <name>/<len> (exact, case-sensitive). Returns true and sets <*cls> when found. */
bool methods_lookup(const struct methods *m, const char *name, size_t len, enum rpc_class *cls);

/* Number of methods in the table. */
size_t methods_count(const struct methods *m);

void methods_free(struct methods *m);

#endif
