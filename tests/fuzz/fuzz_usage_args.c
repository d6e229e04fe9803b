/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what `polkfura-ctl usage` reads from outside: its
 * flag values (ctl/usage/usage_args.c) and the bucket lists PostgreSQL
 * returns (usage_hist_from_lists in ctl/usage/usage_agg.c). The input is
 * one string; properties checked:
 * - usage_parse_when: a refusal says why; a duration it accepts is at most
 *   USAGE_MAX_BACK_MS back from now and never ahead of it unless the input
 *   is a time (it has a '-');
 * - usage_parse_number: a value it accepts is in (lo, hi];
 * - usage_parse_top: 1..USAGE_TOP_MAX;
 * - usage_hist_from_lists with the input split at its first ';' into the
 *   two lists: the histogram's count is the sum of its buckets, whether the
 *   lists are taken or refused.
 * Corpus: tests/fuzz/corpus/usage_args/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/stats/hist.h"
#include "ctl/usage/usage_agg.h"
#include "ctl/usage/usage_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX 512
#define NOW      INT64_C(1796553015000) /* 2026-12-06T10:30:15Z */

static void check_flags(const char *s)
{
	const char *why = NULL;
	enum usage_by by;
	enum usage_format fmt;
	unsigned top;
	int64_t ms;
	double v;

	if (!usage_parse_when(s, NOW, &ms, &why)) {
		if (why == NULL)
			abort();
	} else if (strchr(s, '-') == NULL && (ms > NOW || NOW - ms > USAGE_MAX_BACK_MS)) {
		abort();
	}
	if (usage_parse_number(s, 0, 1, &v, &why) && !(v > 0 && v <= 1))
		abort();
	if (usage_parse_number(s, -1, 1e6, &v, &why) && !(v > -1 && v <= 1e6))
		abort();
	if (usage_parse_top(s, &top, &why) && (top < 1 || top > USAGE_TOP_MAX))
		abort();
	if (usage_parse_by(s, &by, &why) && by >= USAGE_BY_COUNT)
		abort();
	if (usage_parse_format(s, &fmt, &why) && fmt >= USAGE_FORMAT_COUNT)
		abort();
}

static void check_lists(char *s)
{
	char *semi = strchr(s, ';');
	struct hist h;
	uint64_t sum = 0;

	if (semi == NULL)
		return;
	*semi = '\0';
	hist_init(&h);
	/* Taken empty lists count nothing. */
	if (usage_hist_from_lists(&h, s, semi + 1) && s[0] == '\0' && h.count != 0)
		abort();
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		sum += h.b[i];
	if (sum != h.count)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[FUZZ_MAX + 1];

	if (size > FUZZ_MAX)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_flags(s);
	check_lists(s);
	return 0;
}
