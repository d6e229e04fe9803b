/* SPDX-License-Identifier: MIT */
/* The name check of safepath.h: one pass over the bytes, one component at a time. */
#include "ctl/snapshot/safepath.h"

#include <stdbool.h>

static const char *const reason_text[SAFEPATH_REASON_COUNT] = {
    [SAFEPATH_OK] = "safe",
    [SAFEPATH_EMPTY] = "an empty name",
    [SAFEPATH_TOO_LONG] = "a name longer than 4095 bytes",
    [SAFEPATH_ABSOLUTE] = "an absolute path",
    [SAFEPATH_NUL] = "a NUL byte",
    [SAFEPATH_CONTROL] = "a control character",
    [SAFEPATH_NON_ASCII] = "a byte outside ASCII",
    [SAFEPATH_BACKSLASH] = "a backslash",
    [SAFEPATH_EMPTY_COMPONENT] = "an empty component ('//' or a trailing '/')",
    [SAFEPATH_DOT] = "a '.' component",
    [SAFEPATH_DOTDOT] = "a '..' component",
    [SAFEPATH_NAME_TOO_LONG] = "a component longer than 255 bytes",
};

const char *safepath_reason_text(enum safepath_reason r)
{
	if ((unsigned)r >= SAFEPATH_REASON_COUNT)
		return "an unknown reason";
	return reason_text[r];
}

static enum safepath_reason byte_reason(unsigned char c)
{
	if (c == 0)
		return SAFEPATH_NUL;
	if (c < 0x20 || c == 0x7f)
		return SAFEPATH_CONTROL;
	if (c >= 0x80)
		return SAFEPATH_NON_ASCII;
	if (c == '\\')
		return SAFEPATH_BACKSLASH;
	return SAFEPATH_OK;
}

/* The component <p>/<n>, whose bytes were checked already. */
static enum safepath_reason component_reason(const char *p, size_t n)
{
	if (n == 0)
		return SAFEPATH_EMPTY_COMPONENT;
	if (n == 1 && p[0] == '.')
		return SAFEPATH_DOT;
	if (n == 2 && p[0] == '.' && p[1] == '.')
		return SAFEPATH_DOTDOT;
	if (n > SAFEPATH_NAME_MAX)
		return SAFEPATH_NAME_TOO_LONG;
	return SAFEPATH_OK;
}

enum safepath_reason safepath_check(const char *p, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return SAFEPATH_EMPTY;
	if (len > SAFEPATH_PATH_MAX)
		return SAFEPATH_TOO_LONG;
	if (p[0] == '/')
		return SAFEPATH_ABSOLUTE;
	for (size_t i = 0; i <= len; i++) {
		enum safepath_reason r;

		if (i < len && p[i] != '/') {
			r = byte_reason((unsigned char)p[i]);
			if (r != SAFEPATH_OK)
				return r;
			continue;
		}
		r = component_reason(p + start, i - start);
		if (r != SAFEPATH_OK)
			return r;
		start = i + 1;
	}
	return SAFEPATH_OK;
}
