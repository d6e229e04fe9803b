/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/snapshot/filelist.c, which reads a file list a
 * server sends. The first byte picks files.txt (even) or SHA256SUMS (odd),
 * the rest is the list. Properties:
 * - every entry's path passes safepath_check(), lies inside the input, and
 *   comes strictly after the one before in byte order (memcmp here);
 * - a SHA256SUMS digest is 64 lower-case hex digits;
 * - writing the entries back with filelist_append gives exactly the input
 *   for SHA256SUMS, and the input without its comment and empty lines for
 *   files.txt: the format has one spelling per list;
 * - a refusal names a reason with a text and a line within the input.
 * Corpus: tests/fuzz/corpus/filelist/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/snapshot/filelist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static char out[1 << 17], kept[1 << 17];

/* The input's lines that are neither empty nor comments, as rclone skips them. */
static size_t strip_comments(const char *p, size_t n)
{
	size_t k = 0, i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl != NULL ? (size_t)(nl - (p + i)) + 1 : n - i;

		if (len > 1 && p[i] != '#' && p[i] != ';') {
			memcpy(kept + k, p + i, len);
			k += len;
		}
		i += len;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t len, off = 0, woff = 0, lines = 0;
	struct filelist_entry e;
	struct filelist_error fe = {0}, we = {0};
	const char *prev = NULL;
	size_t prevlen = 0;
	int sums, r;

	if (size == 0 || size > sizeof(out) / 2)
		return 0;
	sums = data[0] & 1;
	len = size - 1;
	for (size_t i = 0; i < len; i++)
		lines += p[i] == '\n';
	while ((r = filelist_next(p, len, &off, sums, &e, prev, prevlen, &fe)) == 1) {
		FUZZ_CHECK(e.path >= p && e.path + e.len <= p + len);
		FUZZ_CHECK(safepath_check(e.path, e.len) == SAFEPATH_OK);
		if (prev != NULL) {
			int c = memcmp(e.path, prev, e.len < prevlen ? e.len : prevlen);

			FUZZ_CHECK(c > 0 || (c == 0 && e.len > prevlen));
		}
		if (sums) {
			FUZZ_CHECK(strlen(e.sha256) == 64);
			FUZZ_CHECK(strspn(e.sha256, "0123456789abcdef") == 64);
		}
		FUZZ_CHECK(filelist_append(out, sizeof(out), &woff, sums, &e, prev, prevlen, &we) ==
		           0);
		prev = e.path;
		prevlen = e.len;
	}
	if (r == -1) {
		FUZZ_CHECK(fe.reason != FILELIST_OK && fe.reason < FILELIST_REASON_COUNT);
		FUZZ_CHECK(strlen(filelist_reason_text(fe.reason)) > 3);
		FUZZ_CHECK(fe.line >= 1 && fe.line <= lines + 1);
		return 0;
	}
	FUZZ_CHECK(off == len);
	if (sums) {
		FUZZ_CHECK(woff == len && memcmp(out, p, len) == 0);
	} else {
		size_t k = strip_comments(p, len);

		FUZZ_CHECK(woff == k && memcmp(out, kept, k) == 0);
	}
	return 0;
}
