/* SPDX-License-Identifier: MIT */
/*
 * Which migrations `db migrate` applies and `db status` lists, from the
 * files of the sql directory and the rows of the migrations table. Pure:
 * the caller reads the directory and the table, this module decides.
 *
 * A migration file is named NNN_words.sql: three digits (001-999), an
 * underscore, then [a-z0-9_]; the number orders them. Anything else in the
 * directory (README.md) is not a migration and is skipped.
 */
#ifndef PF_CTL_DB_MIGPLAN_H
#define PF_CTL_DB_MIGPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "ctl/db/sha256.h"

#define MIGPLAN_NAME_MAX 80  /* a file name, "NNN_" and ".sql" included */
#define MIGPLAN_MAX      999 /* one per number */

struct mig_file {
	unsigned num;
	char name[MIGPLAN_NAME_MAX + 1];
	char sum[SHA256_HEX_LEN + 1]; /* of the file's bytes; "" for a row of the table */
	char *text;                   /* the file's content, owned by the caller; NULL here */
};

enum mig_state {
	MIG_APPLIED = 0, /* in the table with the file's checksum */
	MIG_PENDING,     /* a file not in the table yet */
	MIG_CHANGED,     /* in the table with another checksum: the file was edited after */
	MIG_NO_FILE,     /* in the table, no file: an older sql directory than the database */
	MIG_LATE,        /* pending, but numbered below one already applied */
};

struct mig_row {
	const char *name; /* points into the caller's files or applied array */
	enum mig_state state;
};

/*
 * Returns true when <fname> is a migration file name, with its number in
 * <*num>.
 */
bool mig_name_parse(const char *fname, unsigned *num);

/*
 * Sorts <files>[<n>] by number. Returns 0, or -1 with both names in <err>
 * when two files share a number.
 */
PF_MUSTCHECK int mig_sort(struct mig_file *files, size_t n, char *err, size_t errlen);

/*
 * Puts every migration of the sorted <files>[<nf>] and of the table's
 * <applied>[<na>] (name and sum; any order) into <rows> (room for nf + na),
 * in number order, each with its state. Returns the number of rows. A
 * migrate may go ahead only when no row is CHANGED, NO_FILE or LATE
 * (mig_row_is_error).
 */
size_t mig_plan(const struct mig_file *files, size_t nf, const struct mig_file *applied, size_t na,
                struct mig_row *rows);

/* True for the states that stop a migrate. */
bool mig_row_is_error(enum mig_state st);

/* "applied", "pending", ... for `db status`. */
const char *mig_state_name(enum mig_state st);

#endif
