/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/snapshot/s3xml.c, which reads S3's answers.
 * Properties:
 * - s3xml_next: every element found lies inside the input, and the
 *   position only moves forward, so a loop over elements ends;
 * - s3xml_text: what it returns is NUL-terminated inside the buffer, comes
 *   from an element whose raw content holds no '<' (a leaf), and when that
 *   content holds no '&' it is exactly that content (no byte invented,
 *   none dropped);
 * - s3xml_u64: a number found is at most 2^63 - 1;
 * - the page readers: every part has a number in 1..10000 and a non-empty
 *   ETag, every object a non-empty key, the loops end, and a truncated
 *   page always names where the next one starts.
 * Corpus: tests/fuzz/corpus/s3xml/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/snapshot/s3xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static const char *const names[] = {"UploadId", "ETag", "Part", "Contents", "Key", "Size", "Code"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3xml_span d = {(const char *)data, size}, in, first = {NULL, 0};
	char out[64];
	uint64_t v;

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t pos = 0, last = 0;
		int r, nfound = 0;

		while ((r = s3xml_next(d, &pos, names[k], &in)) == 1) {
			FUZZ_CHECK(in.p >= d.p && in.p + in.len <= d.p + d.len);
			FUZZ_CHECK(pos > last && pos <= size);
			if (nfound++ == 0)
				first = in;
			last = pos;
		}
		FUZZ_CHECK(r == 0 || r == -1);
		r = s3xml_text(d, names[k], out, sizeof(out));
		FUZZ_CHECK(r == 0 || r == -1 || r == 1);
		if (r == 1) {
			size_t n = strlen(out);

			FUZZ_CHECK(n < sizeof(out) && nfound > 0);
			FUZZ_CHECK(memchr(first.p, '<', first.len) == NULL);
			if (memchr(first.p, '&', first.len) == NULL)
				FUZZ_CHECK(n == first.len && memcmp(out, first.p, n) == 0);
		}
		if (s3xml_u64(d, names[k], &v) == 1)
			FUZZ_CHECK(v <= UINT64_C(0x7fffffffffffffff));
	}
	{
		struct s3xml_part p;
		char key[32], tok[32];
		size_t pos = 0, last = 0;
		int m = -1, r;

		while ((r = s3xml_next_part(d, &pos, &p)) == 1) {
			FUZZ_CHECK(p.number >= 1 && p.number <= 10000 && p.etag[0] != '\0');
			FUZZ_CHECK(pos > last);
			last = pos;
		}
		r = s3xml_parts_marker(d, &m);
		FUZZ_CHECK((r == 1 && m >= 1 && m <= 10000) || (r != 1 && m == 0));
		pos = last = 0;
		while ((r = s3xml_next_object(d, &pos, key, sizeof(key), &v)) == 1) {
			FUZZ_CHECK(key[0] != '\0' && strlen(key) < sizeof(key) && pos > last);
			last = pos;
		}
		r = s3xml_list_token(d, tok, sizeof(tok));
		FUZZ_CHECK((r == 1 && tok[0] != '\0') || (r != 1 && tok[0] == '\0'));
	}
	return 0;
}
