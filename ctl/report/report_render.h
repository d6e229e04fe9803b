/* SPDX-License-Identifier: MIT */
/*
 * The report's text: one struct report (report_data.h) in, Markdown, CSV,
 * JSON or HTML out. Pure: no I/O, no clock. The layout of each format is
 * described in README.md, "Uptime"; HTML is report_html.h's.
 */
#ifndef PF_CTL_REPORT_REPORT_RENDER_H
#define PF_CTL_REPORT_REPORT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "ctl/report/report_data.h"

enum report_format { REPORT_MD = 0, REPORT_CSV, REPORT_JSON, REPORT_HTML, REPORT_FORMAT_COUNT };

/* "md", "csv", "json" or "html" into <*out>; false for anything else. */
PF_MUSTCHECK bool report_format_parse(const char *s, enum report_format *out);

/*
 * Renders <r> as <fmt>. Returns the malloc'd, NUL-terminated text (length
 * in <*len> when not NULL; the caller frees it), or NULL when memory ran
 * out.
 */
PF_MUSTCHECK char *report_render(const struct report *r, enum report_format fmt, size_t *len);

#endif
