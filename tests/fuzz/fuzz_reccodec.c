/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/db/reccodec.c, the spool line decoder. Decodes
 * the input line by line as the writer reads its spool back (a malformed
 * line is skipped to the next '\n'), and for each line that decodes checks:
 * the consumed length ends at a '\n' within REC_LINE_MAX; the record is
 * valid (rec_is_valid); its text fields are NUL-terminated in their
 * buffers; encoding it again gives a line that decodes to the same record
 * byte for byte and encodes to the same line (a fixed point); its SQL has
 * the kind's parameter count, a NULL only where an optional number is unset,
 * and numbers in plain decimal. Corpus: tests/fuzz/corpus/reccodec/ (one
 * line per kind, lines at the limits, and lines each rule refuses).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "ctl/db/reccodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

/* Parameters per kind; the close has one more with a summary. */
static const int nparams[REC_KIND_COUNT] = {12, 11, 8, 2, 7, 8, 5, 17};

static void check_sql(const struct db_record *r)
{
	struct rec_sql s;
	int want = nparams[r->kind];
	int nulls = 0;

	rec_sql_of(r, &s);
	if (r->kind == REC_INCIDENT_CLOSE && r->u.close.summary[0] != '\0')
		want++;
	FUZZ_CHECK(s.sql != NULL && s.nparams == want);
	FUZZ_CHECK(s.params[0] == r->id);
	for (int i = 0; i < s.nparams; i++)
		nulls += s.params[i] == NULL;
	if (r->kind == REC_NODE_CHANGE)
		FUZZ_CHECK(nulls == !r->u.node.has_best + !r->u.node.has_finalized +
		                        !r->u.node.has_lag + !r->u.node.has_peers);
	else if (r->kind == REC_SAMPLE)
		FUZZ_CHECK(nulls == !r->u.sample.has_ref_height);
	else
		FUZZ_CHECK(nulls == 0);
	for (int i = 0; i < s.nparams; i++) {
		const char *p = s.params[i];

		if (p < (const char *)s.num || p >= (const char *)s.num + sizeof(s.num))
			continue;
		FUZZ_CHECK(p[0] != '\0' && strspn(p, "0123456789") == strlen(p));
		FUZZ_CHECK(p[0] != '0' || p[1] == '\0');
	}
}

static void check_record(const struct db_record *r)
{
	static char line[REC_LINE_MAX], again[REC_LINE_MAX];
	struct db_record back;
	char err[256];
	int n, m;

	FUZZ_CHECK(rec_is_valid(r, err, sizeof(err)));
	FUZZ_CHECK(memchr(r->id, '\0', sizeof(r->id)) != NULL);
	FUZZ_CHECK(memchr(r->region, '\0', sizeof(r->region)) != NULL);
	n = rec_line_encode(r, line, sizeof(line), err, sizeof(err));
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n' && memchr(line, '\n', (size_t)n - 1) == NULL);
	memset(&back, 0xa5, sizeof(back));
	FUZZ_CHECK(rec_line_decode((const uint8_t *)line, (size_t)n, &back, err, sizeof(err)) == n);
	FUZZ_CHECK(memcmp(r, &back, sizeof(back)) == 0);
	m = rec_line_encode(&back, again, sizeof(again), err, sizeof(err));
	FUZZ_CHECK(m == n && memcmp(line, again, (size_t)n) == 0);
	check_sql(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct db_record r;
		char err[256];
		const uint8_t *nl;
		int rc;

		memset(&r, 0, sizeof(r));
		rc = rec_line_decode(data + off, size - off, &r, err, sizeof(err));
		if (rc == PF_AGAIN) {
			FUZZ_CHECK(memchr(data + off, '\n', size - off) == NULL);
			break;
		}
		if (rc > 0) {
			FUZZ_CHECK(rc <= REC_LINE_MAX && (size_t)rc <= size - off);
			FUZZ_CHECK(data[off + (size_t)rc - 1] == '\n');
			FUZZ_CHECK(memchr(data + off, '\n', (size_t)rc - 1) == NULL);
			check_record(&r);
			off += (size_t)rc;
			continue;
		}
		FUZZ_CHECK(rc == PF_EPROTO && err[0] != '\0');
		nl = memchr(data + off, '\n', size - off);
		if (nl == NULL)
			break;
		off = (size_t)(nl - data) + 1;
	}
	return 0;
}
