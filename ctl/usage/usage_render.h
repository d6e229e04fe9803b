/* SPDX-License-Identifier: MIT */
/*
 * The text of `polkfura-ctl usage`: the ranked keys of a window as a table
 * for a terminal, CSV (RFC 4180, CRLF, one header line) or JSON. Every
 * figure is formatted once (usage_cells) so that the three formats agree
 * digit for digit. Pure: no I/O, no clock.
 */
#ifndef PF_CTL_USAGE_USAGE_RENDER_H
#define PF_CTL_USAGE_USAGE_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/usage/usage_agg.h"
#include "ctl/usage/usage_args.h"

struct usage_view {
	int64_t from_ms, to_ms;     /* the window [from, to), whole minutes */
	const char *region, *chain; /* the filters; NULL: all */
	enum usage_by by;
	unsigned top;                     /* at most this many keys are printed */
	const struct usage_group *groups; /* ranked (usage_rank), borrowed */
	size_t n_groups;
	const struct usage_group *total; /* usage_total of all of them */
	size_t bad_rows; /* keys whose histogram could not be read (left out of quantiles) */
};

/*
 * Renders <v> as <fmt>. Returns the malloc'd, NUL-terminated text (length
 * in <*len> when not NULL; the caller frees it), or NULL when memory ran
 * out.
 */
PF_MUSTCHECK char *usage_render(const struct usage_view *v, enum usage_format fmt, size_t *len);

#endif
