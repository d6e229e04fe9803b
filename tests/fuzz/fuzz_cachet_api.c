/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/cachet/cachet_api.c, the two things it reads
 * from outside: Cachet's answers and the incident map file. Properties:
 * - cachet_parse_id: returns 0 or an integer id, never past the input;
 * - cachet_map_decode: every entry has a non-empty id of visible bytes and
 *   a positive Cachet id; what it read, encoded and decoded again, is the
 *   same map with nothing skipped (the file format is a fixed point).
 * Corpus: tests/fuzz/corpus/cachet_api/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cachet/cachet_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct cachet_map m, again;
static char text[CACHET_MAP_MAX * (CACHET_ID_MAX + 24)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long n;

	(void)cachet_parse_id((const char *)data, size);
	(void)cachet_map_decode(&m, (const char *)data, size);
	for (unsigned i = 0; i < m.n; i++) {
		size_t len = strlen(m.e[i].pf_id);

		FUZZ_CHECK(len > 0 && len <= CACHET_ID_MAX && m.e[i].cachet_id > 0);
		for (size_t j = 0; j < len; j++)
			FUZZ_CHECK(m.e[i].pf_id[j] > ' ' && m.e[i].pf_id[j] <= '~');
	}
	n = cachet_map_encode(&m, text, sizeof(text));
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK(cachet_map_decode(&again, text, (size_t)n) == 0);
	FUZZ_CHECK(again.n == m.n);
	for (unsigned i = 0; i < m.n; i++)
		FUZZ_CHECK(cachet_map_find(&again, m.e[i].pf_id)->cachet_id == m.e[i].cachet_id);
	return 0;
}
