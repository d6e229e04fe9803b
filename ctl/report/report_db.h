/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl report`'s reads: the functions of sql/003_report.sql,
 * called through libpq's synchronous API (a CLI command), in one
 * read-only repeatable-read transaction so that every table of the report
 * sees the same data. All arithmetic happens in SQL; this module only
 * moves rows into a struct report (report_data.h).
 */
#ifndef PF_CTL_REPORT_REPORT_DB_H
#define PF_CTL_REPORT_REPORT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/db/migrate.h"
#include "ctl/report/report_data.h"

struct report_db;

struct pg_conn;

struct report_query {
	int64_t from_ms, to_ms;     /* the window asked for; to_ms after now() is clipped */
	bool to_now;                /* no --to: to_ms is now(), which is not "clipped" */
	const char *region, *chain; /* NULL: all */
	/*
	 * More reads in the report's transaction, after its own (NULL: none):
	 * the capacity section, so that it sees the same data. Called with the
	 * connection and the report so far (the window clipped); returns 0, or
	 * -1 with the reason in <err>.
	 */
	int (*also)(struct pg_conn *c, const struct report *r, void *ctx, char *err, size_t errlen);
	void *also_ctx;
};

/*
 * Connects with <o> (only conninfo and password_file are used) and reads
 * the report of <q> into <*out>, whose strings stay valid until
 * report_db_free(<*hold>). Returns 0; 1 with a one-line reason in <err>
 * when the database cannot be reached or a query fails (003 not applied,
 * for one); 2 when the password file is refused or the window is empty
 * once --to is clipped to now(). Blocking.
 */
int report_db_read(const struct migrate_opts *o, const struct report_query *q, struct report *out,
                   struct report_db **hold, char *err, size_t errlen);

/* Frees what report_db_read left in <h>; NULL is a no-op. */
void report_db_free(struct report_db *h);

#endif
