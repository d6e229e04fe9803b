/* SPDX-License-Identifier: MIT */
/*
 * The decisions of `db migrate` and `db status`: which names are
 * migrations, their order, and the state of each one against the table.
 */
#include "ctl/db/migplan.h"

#include <stdlib.h>
#include <string.h>

#include "common/text.h"

bool mig_name_parse(const char *fname, unsigned *num)
{
	size_t n = strlen(fname);

	if (n < 4 + 1 + 4 || n > MIGPLAN_NAME_MAX || fname[3] != '_' ||
	    strcmp(fname + n - 4, ".sql") != 0)
		return false;
	for (size_t i = 0; i < 3; i++)
		if (fname[i] < '0' || fname[i] > '9')
			return false;
	for (size_t i = 4; i < n - 4; i++) {
		char c = fname[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	*num = (unsigned)(fname[0] - '0') * 100 + (unsigned)(fname[1] - '0') * 10 +
	       (unsigned)(fname[2] - '0');
	return *num > 0;
}

static int by_num(const void *a, const void *b)
{
	const struct mig_file *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->name, y->name);
}

int mig_sort(struct mig_file *files, size_t n, char *err, size_t errlen)
{
	if (n > 1)
		qsort(files, n, sizeof(files[0]), by_num);
	for (size_t i = 1; i < n; i++)
		if (files[i].num == files[i - 1].num) {
			pf_errf(err, errlen, "%s and %s share the number %03u", files[i - 1].name,
			        files[i].name, files[i].num);
			return -1;
		}
	return 0;
}

static const struct mig_file *find(const struct mig_file *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int rows_by_name(const void *a, const void *b)
{
	const struct mig_row *x = a, *y = b;

	/* Names start with their zero-padded number: their order is the number order. */
	return strcmp(x->name, y->name);
}

size_t mig_plan(const struct mig_file *files, size_t nf, const struct mig_file *applied, size_t na,
                struct mig_row *rows)
{
	size_t n = 0;
	const char *last_applied = NULL;

	for (size_t i = 0; i < na; i++) {
		if (last_applied == NULL || strcmp(applied[i].name, last_applied) > 0)
			last_applied = applied[i].name;
		if (find(files, nf, applied[i].name) == NULL)
			rows[n++] = (struct mig_row){applied[i].name, MIG_NO_FILE};
	}
	for (size_t i = 0; i < nf; i++) {
		const struct mig_file *a = find(applied, na, files[i].name);
		enum mig_state st;

		if (a == NULL)
			st = last_applied != NULL && strcmp(files[i].name, last_applied) < 0
			         ? MIG_LATE
			         : MIG_PENDING;
		else
			st = strcmp(a->sum, files[i].sum) == 0 ? MIG_APPLIED : MIG_CHANGED;
		rows[n++] = (struct mig_row){files[i].name, st};
	}
	if (n > 1)
		qsort(rows, n, sizeof(rows[0]), rows_by_name);
	return n;
}

bool mig_row_is_error(enum mig_state st)
{
	return st == MIG_CHANGED || st == MIG_NO_FILE || st == MIG_LATE;
}

const char *mig_state_name(enum mig_state st)
{
	switch (st) {
	case MIG_APPLIED:
		return "applied";
	case MIG_PENDING:
		return "pending";
	case MIG_CHANGED:
		return "CHANGED since applied (checksum differs)";
	case MIG_NO_FILE:
		return "applied, but no such file in the sql directory";
	case MIG_LATE:
		return "pending, but numbered below an applied migration";
	}
	return "?";
}
