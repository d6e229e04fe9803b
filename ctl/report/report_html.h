/* SPDX-License-Identifier: MIT */
/*
 * The report as one self-contained HTML page: the tables of the Markdown
 * report, and per region and chain an inline SVG timeline of the window
 * (up, degraded, down, no data). No script, no external asset, every text
 * escaped (report_fmt.h). Pure.
 */
#ifndef PF_CTL_REPORT_REPORT_HTML_H
#define PF_CTL_REPORT_REPORT_HTML_H

#include "common/buf.h"
#include "ctl/report/report_data.h"

/* Appends the page for <r> to <b> (whose failed flag says whether it all fit in memory). */
void report_html(struct pf_buf *b, const struct report *r);

#endif
