/* SPDX-License-Identifier: MIT */
/*
 * The growing buffer of buf.h: doubles its capacity as needed, keeps a NUL
 * after the content, and turns any failure into a sticky flag.
 */
#include "buf.h"

#include <stdarg.h>
#include <string.h>

static bool pf_buf_reserve(struct pf_buf *b, size_t more)
{
	size_t need, cap;
	char *np;

	if (b->failed)
		return false;
	if (more > (size_t)-1 / 2 - b->len) {
		b->failed = true;
		return false;
	}
	need = b->len + more + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	np = realloc(b->p, cap);
	if (np == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void pf_buf_printf(struct pf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!pf_buf_reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!pf_buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
	}
	b->len += (size_t)n;
}

void pf_buf_append(struct pf_buf *b, const void *data, size_t n)
{
	if (!pf_buf_reserve(b, n))
		return;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

char *pf_buf_take(struct pf_buf *b, size_t *len)
{
	char *p;

	if (!pf_buf_reserve(b, 0)) {
		pf_buf_free(b);
		return NULL;
	}
	b->p[b->len] = '\0';
	p = b->p;
	if (len != NULL)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void pf_buf_free(struct pf_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
