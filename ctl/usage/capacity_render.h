/* SPDX-License-Identifier: MIT */
/*
 * The capacity estimate (capacity.h) as text: a terminal table, CSV and
 * JSON for `polkfura-ctl usage --capacity`, and the Markdown, HTML, CSV
 * and JSON pieces of the report's capacity section. Every figure is
 * formatted by one function for all of them, so that the report and
 * `usage --capacity` print the same digits for the same window. Pure.
 */
#ifndef PF_CTL_USAGE_CAPACITY_RENDER_H
#define PF_CTL_USAGE_CAPACITY_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/compiler.h"
#include "ctl/usage/capacity.h"
#include "ctl/usage/usage_args.h"

struct cap_view {
	int64_t from_ms, to_ms;           /* the window, whole minutes */
	const struct cap_params *params;  /* borrowed */
	const struct cap_result *results; /* borrowed */
	size_t n;
};

/* `usage --capacity` in <fmt>: malloc'd text (length in <*len>), NULL when memory ran out. */
PF_MUSTCHECK char *capacity_render(const struct cap_view *v, enum usage_format fmt, size_t *len);

/* The report's section: "## Capacity" and its table. */
void capacity_md(struct pf_buf *b, const struct cap_view *v);

/* The report's section as an HTML <h2> and <table>, every text escaped. */
void capacity_html(struct pf_buf *b, const struct cap_view *v);

/*
 * The CSV header line and rows, CRLF; with <section> not NULL every line
 * starts with a "section" column holding it (the report's layout).
 */
void capacity_csv(struct pf_buf *b, const struct cap_view *v, const char *section);

/*
 * Adds "capacity": {"model": {...}, "chains": [...]} to <root>. Returns
 * false when memory ran out.
 */
PF_MUSTCHECK bool capacity_json(cJSON *root, const struct cap_view *v);

#endif
