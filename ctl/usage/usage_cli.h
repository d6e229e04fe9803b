/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl usage` from its flags to its output, and the capacity
 * section of `polkfura-ctl report`: ctl/main.c hands over the flag texts
 * and the database of the config; this reads the flags (usage_args.h),
 * the database (usage_db.h), computes (usage_agg.h, capacity.h) and
 * renders (usage_render.h, capacity_render.h).
 */
#ifndef PF_CTL_USAGE_USAGE_CLI_H
#define PF_CTL_USAGE_USAGE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/compiler.h"
#include "ctl/db/migrate.h"
#include "ctl/usage/capacity.h"
#include "ctl/usage/capacity_render.h"

/* The flag texts; NULL: not given. */
struct usage_args {
	const char *since, *until, *by, *top, *format, *region, *chain;
	bool capacity;
	const char *node_capacity, *target_util, *min_minutes; /* the model (report too) */
};

/*
 * The capacity model's parameters from <a> (defaults for what is not
 * given), <min_ready> the config's. Returns true, or false with
 * "--flag value: reason" in <err>.
 */
PF_MUSTCHECK bool usage_cap_params(const struct usage_args *a, unsigned min_ready,
                                   struct cap_params *p, char *err, size_t errlen);

/*
 * Checks every flag of <a> at <now_ms> without touching a database.
 * Returns true, or false with "--flag value: reason" in <err> (exit 2).
 */
PF_MUSTCHECK bool usage_cli_check(const struct usage_args *a, int64_t now_ms, char *err,
                                  size_t errlen);

/*
 * Runs `usage` with <a> against the database <o> at <now_ms>, printing to
 * <out>. Returns 0; 1 with the reason in <err> (database unreachable, a
 * query failed, out of memory, writing); 2 for a bad flag value or an
 * empty window, with "--flag value: reason" in <err>.
 */
int usage_cli_run(const struct usage_args *a, unsigned min_ready, const struct migrate_opts *o,
                  int64_t now_ms, FILE *out, char *err, size_t errlen);

struct usage_capacity;
struct pg_conn;
struct report;

/*
 * The report's capacity section, read in the report's own transaction:
 * make one with the model <p> (borrowed, kept until freed), pass
 * usage_capacity_also as the report query's <also> with it as the context,
 * then take usage_capacity_view. NULL when memory ran out.
 */
struct usage_capacity *usage_capacity_new(const struct cap_params *p);

/*
 * report_query's <also>: reads the capacity sums of the report <r>'s
 * window and filters on <c> into <ctx> (a struct usage_capacity). Returns
 * 0, or -1 with the reason in <err>.
 */
int usage_capacity_also(struct pg_conn *c, const struct report *r, void *ctx, char *err,
                        size_t errlen);

/* The section to render, valid until usage_capacity_free(<h>); NULL before a read. */
const struct cap_view *usage_capacity_view(const struct usage_capacity *h);

/* NULL is a no-op. */
void usage_capacity_free(struct usage_capacity *h);

#endif
