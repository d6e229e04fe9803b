/* SPDX-License-Identifier: MIT */
/*
 * The reads of `polkfura-ctl usage` and of the report's capacity section:
 * rpc_minutes (sql/004_usage.sql) summed per key in SQL, with each key's
 * %Ta buckets merged there too, and the capacity sums of each region and
 * chain (capacity.h's struct cap_sums) from the per-minute traffic and the
 * nodes in rotation of minute_samples (sql/001_schema.sql). Through libpq's synchronous API (a
 * CLI command), in one read-only repeatable-read transaction. The figures
 * are computed by the pure modules (usage_agg.h, capacity.h).
 */
#ifndef PF_CTL_USAGE_USAGE_DB_H
#define PF_CTL_USAGE_USAGE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/db/migrate.h"
#include "ctl/usage/capacity.h"
#include "ctl/usage/usage_agg.h"
#include "ctl/usage/usage_args.h"

struct usage_db;

struct usage_query {
	int64_t from_ms, to_ms;     /* [from, to): rows whose minute starts in it */
	const char *region, *chain; /* NULL: all */
	enum usage_by by;           /* the key of the groups */
	bool groups, capacity;      /* which of the two reads to make */
};

struct usage_data {
	struct usage_group *groups; /* unranked */
	size_t n_groups;
	size_t bad_rows;       /* groups whose histogram was refused (usage_hist_from_lists) */
	struct cap_sums *sums; /* per region and chain, in that order */
	size_t n_sums;
};

/*
 * Connects with <o> (conninfo and password_file) and reads what <q> asks
 * into <*out>, whose strings stay valid until usage_db_free(<*hold>).
 * Returns 0; 1 with a one-line reason in <err> when the database cannot be
 * reached or a query fails (sql/004 not applied, for one); 2 when the
 * password file is refused. Blocking.
 */
int usage_db_read(const struct migrate_opts *o, const struct usage_query *q, struct usage_data *out,
                  struct usage_db **hold, char *err, size_t errlen);

struct pg_conn;

/*
 * As usage_db_read, on the connection <c> and inside the transaction the
 * caller has open (the report's). Returns 0, or 1 with the reason in <err>.
 */
int usage_db_read_in(struct pg_conn *c, const struct usage_query *q, struct usage_data *out,
                     struct usage_db **hold, char *err, size_t errlen);

/* Frees what usage_db_read or usage_db_read_in left in <h>; NULL is a no-op. */
void usage_db_free(struct usage_db *h);

#endif
