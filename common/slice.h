/* SPDX-License-Identifier: MIT */
/*
 * A borrowed byte range. Parsers hand out slices into their input instead of
 * copies; a slice is valid only as long as the buffer it points into.
 */
#ifndef PF_COMMON_SLICE_H
#define PF_COMMON_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pf_slice {
	const uint8_t *p; /* borrowed from the parsed buffer */
	size_t len;
};

static inline struct pf_slice pf_slice_str(const char *s)
{
	struct pf_slice sl = {(const uint8_t *)s, strlen(s)};
	return sl;
}

static inline bool pf_slice_eq_str(struct pf_slice s, const char *str)
{
	size_t n = strlen(str);
	return s.len == n && (n == 0 || memcmp(s.p, str, n) == 0);
}

#endif
