/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/snapshot/safepath.c, the check every tar entry
 * and list entry passes before fetch writes it. Properties, checked against
 * a resolver written here apart from the module:
 * - an accepted name, joined under the root "/r" and resolved lexically
 *   (a stack of components, ".." pops, "." and "" skip), stays under "/r",
 *   and resolving it changes nothing: every component is non-empty, not
 *   "." and not "..", and no byte is a NUL, a control byte, '\' or >= 0x80;
 * - a refused name comes with a reason that has a text, and the reason is
 *   true of the name (a DOTDOT name has a ".." component, and so on).
 * Corpus: tests/fuzz/corpus/safepath/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/snapshot/safepath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

struct comp_stats {
	bool dot, dotdot, empty, long_name;
	size_t depth_min; /* lowest depth reached below the root, as a resolver sees it */
	bool escaped;     /* a ".." popped past the root */
	bool changed;     /* resolving dropped or popped a component */
};

/* Splits <p>/<n> on '/' after the root and resolves it as a kernel would, lexically. */
static void resolve(const uint8_t *p, size_t n, struct comp_stats *st)
{
	size_t depth = 0, start = 0;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i <= n; i++) {
		size_t len;

		if (i < n && p[i] != '/')
			continue;
		len = i - start;
		if (len == 0) {
			st->empty = st->changed = true;
		} else if (len == 1 && p[start] == '.') {
			st->dot = st->changed = true;
		} else if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
			st->dotdot = st->changed = true;
			if (depth == 0)
				st->escaped = true;
			else
				depth--;
		} else {
			depth++;
			if (len > SAFEPATH_NAME_MAX)
				st->long_name = true;
		}
		start = i + 1;
	}
}

static bool has_byte(const uint8_t *p, size_t n, bool (*pred)(uint8_t))
{
	for (size_t i = 0; i < n; i++)
		if (pred(p[i]))
			return true;
	return false;
}

static bool is_nul(uint8_t c)
{
	return c == 0;
}

static bool is_ctl(uint8_t c)
{
	return (c > 0 && c < 0x20) || c == 0x7f;
}

static bool is_high(uint8_t c)
{
	return c >= 0x80;
}

static bool is_bs(uint8_t c)
{
	return c == '\\';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum safepath_reason r = safepath_check((const char *)data, size);
	struct comp_stats st;

	FUZZ_CHECK((unsigned)r < SAFEPATH_REASON_COUNT);
	FUZZ_CHECK(strlen(safepath_reason_text(r)) > 3);
	resolve(data, size, &st);
	if (r == SAFEPATH_OK) {
		FUZZ_CHECK(size > 0 && size <= SAFEPATH_PATH_MAX && data[0] != '/');
		FUZZ_CHECK(!st.escaped && !st.changed && !st.long_name);
		FUZZ_CHECK(!has_byte(data, size, is_nul) && !has_byte(data, size, is_ctl));
		FUZZ_CHECK(!has_byte(data, size, is_high) && !has_byte(data, size, is_bs));
		return 0;
	}
	switch (r) {
	case SAFEPATH_EMPTY:
		FUZZ_CHECK(size == 0);
		break;
	case SAFEPATH_TOO_LONG:
		FUZZ_CHECK(size > SAFEPATH_PATH_MAX);
		break;
	case SAFEPATH_ABSOLUTE:
		FUZZ_CHECK(data[0] == '/');
		break;
	case SAFEPATH_NUL:
		FUZZ_CHECK(has_byte(data, size, is_nul));
		break;
	case SAFEPATH_CONTROL:
		FUZZ_CHECK(has_byte(data, size, is_ctl));
		break;
	case SAFEPATH_NON_ASCII:
		FUZZ_CHECK(has_byte(data, size, is_high));
		break;
	case SAFEPATH_BACKSLASH:
		FUZZ_CHECK(has_byte(data, size, is_bs));
		break;
	case SAFEPATH_EMPTY_COMPONENT:
		FUZZ_CHECK(st.empty);
		break;
	case SAFEPATH_DOT:
		FUZZ_CHECK(st.dot);
		break;
	case SAFEPATH_DOTDOT:
		FUZZ_CHECK(st.dotdot);
		break;
	case SAFEPATH_NAME_TOO_LONG:
		FUZZ_CHECK(st.long_name);
		break;
	default:
		FUZZ_CHECK(0);
	}
	return 0;
}
