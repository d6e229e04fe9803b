/* SPDX-License-Identifier: MIT */
/*
 * The small pure pieces of the report (polkfura-ctl report): reading
 * --from/--to, printing times, rounding the decimal text PostgreSQL returns,
 * durations, and escaping text for Markdown, CSV and HTML. No I/O, no clock:
 * "now" is always a parameter. Output goes to a pf_buf (common/buf.h),
 * whose failure flag is sticky.
 */
#ifndef PF_CTL_REPORT_REPORT_FMT_H
#define PF_CTL_REPORT_REPORT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compiler.h"

/* Longest time text rfmt_time writes, with its NUL: "2026-11-01T12:00:00.123Z". */
#define RFMT_TIME_MAX 32

/* Longest decimal text rfmt_dec_round accepts and writes, with its NUL. */
#define RFMT_DEC_MAX 64

/*
 * Reads <s> as a date "YYYY-MM-DD" (00:00 UTC) or an ISO 8601 time
 * "YYYY-MM-DDTHH:MM[:SS[.fraction]]" followed by "Z" or an offset "+HH:MM",
 * "-HH:MM", "+HHMM" or "+HH" ('t' and ' ' also separate date and time; 'z'
 * is 'Z'). A time without Z or an offset is refused: the report does not
 * guess a time zone. Fractions beyond milliseconds are cut. Returns true
 * with milliseconds since the epoch in <*ms>, or false with the reason in
 * <why> (a static string).
 */
PF_MUSTCHECK bool rfmt_parse_time(const char *s, int64_t *ms, const char **why);

/*
 * Writes <ms> (since the epoch) as UTC ISO 8601 "YYYY-MM-DDTHH:MM:SSZ",
 * with ".mmm" before the Z when the milliseconds are not 0, into <out>
 * (RFMT_TIME_MAX bytes). Returns <out>.
 */
char *rfmt_time(int64_t ms, char out[RFMT_TIME_MAX]);

/*
 * Rounds the decimal text <dec> ("-12.3456", as PostgreSQL prints numeric;
 * NULL or "" is an absent value) to <places> decimals, half away from zero,
 * exactly (on the digits, never through a double), into <out> (RFMT_DEC_MAX
 * bytes). With <trim>, trailing zeros of the fraction and a bare point go
 * ("3600.000" -> "3600"). "-0" is written "0". Returns false, writing "",
 * when <dec> is absent or not a decimal.
 */
bool rfmt_dec_round(const char *dec, int places, bool trim, char out[RFMT_DEC_MAX]);

/*
 * Appends a duration of <dec> seconds (decimal text), rounded to whole
 * seconds as rfmt_dec_round does, as "H:MM:SS" (hours unbounded:
 * "26:40:15"), to <b>. Appends "?" when <dec> is not a decimal.
 */
void rfmt_duration(struct pf_buf *b, const char *dec);

/*
 * Appends <s> as one Markdown table cell: '\' and '|' backslash-escaped,
 * '&', '<', '>' as HTML entities (a viewer that renders HTML shows them as
 * text), every control byte (newlines, tabs) as a space. <s> NULL is "".
 */
void rfmt_md_cell(struct pf_buf *b, const char *s);

/*
 * Appends <s> as one CSV field (RFC 4180): quoted when it holds a comma, a
 * double quote, CR, LF or starts or ends with a space, with each double
 * quote doubled inside. A field that starts with '=', '+', '-', '@', tab or
 * CR, which a spreadsheet would run as a formula, is quoted with a "'"
 * before it ("'=1+1"): the reader sees the text, not its result. Numbers
 * are not written through this. <s> NULL is "".
 */
void rfmt_csv_field(struct pf_buf *b, const char *s);

/*
 * Appends <s> HTML-escaped for text and for a double-quoted attribute:
 * & < > " ' as entities, control bytes other than tab and newline as a
 * space. <s> NULL is "".
 */
void rfmt_html(struct pf_buf *b, const char *s);

#endif
