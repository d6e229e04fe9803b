/* SPDX-License-Identifier: MIT */
/*
 * The values of `polkfura-ctl usage`'s flags, read by pure functions so
 * that they can be unit-tested and fuzzed: --since/--until (a duration
 * back from now or an ISO 8601 time), --by, --format, --top and the
 * capacity model's numbers. No I/O, no clock: "now" is a parameter. Each
 * returns false with the reason in <why> (a static string).
 */
#ifndef PF_CTL_USAGE_USAGE_ARGS_H
#define PF_CTL_USAGE_USAGE_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compiler.h"

/* The longest duration --since takes: ten years. */
#define USAGE_MAX_BACK_MS (INT64_C(3660) * 86400000)
#define USAGE_TOP_MAX     100000u

enum usage_by {
	USAGE_BY_METHOD = 0,
	USAGE_BY_CLASS,
	USAGE_BY_STATUS,
	USAGE_BY_TIME,
	USAGE_BY_COUNT
};

enum usage_format { USAGE_TABLE = 0, USAGE_CSV, USAGE_JSON, USAGE_FORMAT_COUNT };

/*
 * Reads <s> as a time: a duration back from <now_ms> ("90s", "30m", "1h",
 * "7d": a whole number of seconds, minutes, hours or days, up to
 * USAGE_MAX_BACK_MS) or anything rfmt_parse_time takes (a date, or a time
 * with Z or an offset). Returns true with milliseconds since the epoch in
 * <*ms>.
 */
PF_MUSTCHECK bool usage_parse_when(const char *s, int64_t now_ms, int64_t *ms, const char **why);

/* "method", "class", "status" or "time". */
PF_MUSTCHECK bool usage_parse_by(const char *s, enum usage_by *out, const char **why);

/* "table", "csv" or "json". */
PF_MUSTCHECK bool usage_parse_format(const char *s, enum usage_format *out, const char **why);

/* A whole number 1..USAGE_TOP_MAX. */
PF_MUSTCHECK bool usage_parse_top(const char *s, unsigned *out, const char **why);

/*
 * A decimal number ("4", "0.7", "12.5") strictly above <lo> and at most
 * <hi>, with at most 6 decimals: the capacity model's parameters.
 */
PF_MUSTCHECK bool usage_parse_number(const char *s, double lo, double hi, double *out,
                                     const char **why);

/* The name of <by> ("method", ...), of the column the rows are grouped by. */
const char *usage_by_name(enum usage_by by);

#endif
