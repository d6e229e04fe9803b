/* SPDX-License-Identifier: MIT */
/*
 * A growing byte buffer for text built piece by piece (metrics pages, status
 * documents, command lines). An allocation failure is sticky: later appends
 * do nothing and the caller checks <failed> once at the end, so building code
 * needs no error path per line. Not for hot paths: it allocates as it grows.
 */
#ifndef PF_COMMON_BUF_H
#define PF_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct pf_buf {
	char *p;     /* owned, NUL-terminated once anything was appended */
	size_t len;  /* bytes written, without the NUL */
	size_t cap;  /* bytes allocated */
	bool failed; /* an allocation or format failed: the content is incomplete */
};

/* Appends printf-formatted text to <b>. Sets <b->failed> on failure. */
void pf_buf_printf(struct pf_buf *b, const char *fmt, ...) PF_PRINTF(2, 3);

/* Appends <n> bytes of <data>. Sets <b->failed> on failure. */
void pf_buf_append(struct pf_buf *b, const void *data, size_t n);

/*
 * Hands the text over: returns the malloc'd, NUL-terminated buffer (length in
 * <*len> when <len> is not NULL) and resets <b>; NULL (and <b> freed) when
 * anything failed. Never returns NULL for an empty success: "" is allocated.
 */
char *pf_buf_take(struct pf_buf *b, size_t *len);

/* Frees what <b> holds and resets it. */
void pf_buf_free(struct pf_buf *b);

#endif
