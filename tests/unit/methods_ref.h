/* SPDX-License-Identifier: MIT */
/*
 * The expected class of every method, for the unit tests: a plain stdio
 * reader of tests/data/methods-reference.tsv (classed from polkadot-sdk
 * source, see tests/data/README.md). It shares no code with spoa/methods.c on
 * purpose, so a bug in the loader under test cannot also bend what the tests
 * expect. It also reads haproxy/methods.tsv as a file, to compare the two.
 * Header-only (like check_main.h) so that the unit tests and the integration
 * test test_methods_edge.c use it without a link dependency. A malformed file
 * fails the caller with a message, never aborts.
 */
#ifndef PF_TESTS_UNIT_METHODS_REF_H
#define PF_TESTS_UNIT_METHODS_REF_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spoa/rpc_class.h"

#define METHODS_REF_PATH     "tests/data/methods-reference.tsv"
#define METHODS_SHIPPED_PATH "haproxy/methods.tsv"

struct ref_method {
	char name[RPC_METHOD_MAX + 1];
	enum rpc_class cls;
	const char *cls_name; /* "read", ...: a static string */
};

struct ref_table {
	struct ref_method *rows; /* owned */
	size_t n;
};

/*
 * The five table classes, spelled out here rather than taken from
 * rpc_class_parse(): sets <*out> and <*name> (static) for <s>/<len>.
 */
static inline bool ref_class_of(const char *s, size_t len, enum rpc_class *out, const char **name)
{
	static const struct {
		const char *name;
		enum rpc_class cls;
	} names[] = {
	    {"read", RPC_CLASS_READ},     {"subscribe", RPC_CLASS_SUBSCRIBE},
	    {"submit", RPC_CLASS_SUBMIT}, {"heavy", RPC_CLASS_HEAVY},
	    {"unsafe", RPC_CLASS_UNSAFE},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == len && memcmp(names[i].name, s, len) == 0) {
			*out = names[i].cls;
			*name = names[i].name;
			return true;
		}
	}
	return false;
}

static inline void ref_table_free(struct ref_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

/*
 * Reads <path> (header "method<TAB>class<TAB>note", then one row per method)
 * into <t>. Returns false with "<path>: line N: reason" in <err>/<errlen>
 * on anything unexpected; <t> is then empty.
 */
static inline bool ref_table_read(const char *path, struct ref_table *t, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4200];
	size_t lineno = 0, cap = 0;

	t->rows = NULL;
	t->n = 0;
	if (f == NULL) {
		(void)snprintf(err, errlen, "%s: cannot open", path);
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\r\n");
		char *tab, *end;
		struct ref_method *r;

		lineno++;
		line[len] = '\0';
		if (lineno == 1) {
			if (strcmp(line, "method\tclass\tnote") != 0)
				goto bad;
			continue;
		}
		tab = strchr(line, '\t');
		if (tab == NULL || tab == line || (size_t)(tab - line) > RPC_METHOD_MAX)
			goto bad;
		end = strchr(tab + 1, '\t');
		if (end == NULL)
			end = line + len;
		if (t->n == cap) {
			struct ref_method *nr;

			cap = cap ? cap * 2 : 256;
			nr = realloc(t->rows, cap * sizeof(*nr));
			if (nr == NULL)
				goto bad;
			t->rows = nr;
		}
		r = &t->rows[t->n];
		memcpy(r->name, line, (size_t)(tab - line));
		r->name[tab - line] = '\0';
		if (!ref_class_of(tab + 1, (size_t)(end - tab - 1), &r->cls, &r->cls_name))
			goto bad;
		t->n++;
	}
	(void)fclose(f);
	if (t->n == 0) {
		(void)snprintf(err, errlen, "%s: no rows", path);
		return false;
	}
	return true;
bad:
	(void)snprintf(err, errlen, "%s: line %zu: unexpected row", path, lineno);
	(void)fclose(f);
	ref_table_free(t);
	return false;
}

/* The row of <name>/<len> in <t>, or NULL. A linear scan: 179 rows, test code. */
static inline const struct ref_method *ref_table_find(const struct ref_table *t, const char *name,
                                                      size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->rows[i].name) == len && memcmp(t->rows[i].name, name, len) == 0)
			return &t->rows[i];
	return NULL;
}

#endif
