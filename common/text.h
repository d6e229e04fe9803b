/* SPDX-License-Identifier: MIT */
/*
 * Small text rules both daemons must agree on: the error-buffer formatter,
 * the printable-bytes sanitizer for anything that reaches a log line, and the
 * chain-name rule (the agent matches Host labels against the names the
 * controller is configured with). Pure.
 */
#ifndef PF_COMMON_TEXT_H
#define PF_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

#define PF_CHAIN_NAME_MAX 32 /* bytes of a chain name: [a-z0-9-] */

/* Formats into the caller's error buffer <err>/<errlen>; NULL or 0 is a no-op. */
void pf_errf(char *err, size_t errlen, const char *fmt, ...) PF_PRINTF(3, 4);

/*
 * Copies at most <dstlen> - 1 of the <n> bytes of <src> into <dst>
 * (<dstlen> > 0), NUL-terminated, with every byte outside printable ASCII
 * (0x20..0x7e) and every byte of <also> (may be NULL) replaced by '?'.
 * Returns the number of bytes copied: less than <n> when the copy was cut.
 */
size_t pf_printable(char *dst, size_t dstlen, const void *src, size_t n, const char *also);

/* True when <s>/<n> is a chain name: 1..PF_CHAIN_NAME_MAX bytes of [a-z0-9-]. */
bool pf_chain_name_is_valid(const char *s, size_t n);

/*
 * Where <s>/<len> (JSON text) holds the escape \u0000, or <len> when it does
 * not. cJSON decodes that escape into a NUL that silently cuts the string, so
 * a name "a\u0000b" would match "a": callers refuse such documents first.
 */
size_t pf_json_nul_escape_at(const char *s, size_t len);

/* True when <s>/<n> holds no byte below 0x20 and no DEL. */
bool pf_text_has_no_controls(const char *s, size_t n);

#endif
