/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/snapshot/ipfs_add_parse.c, which reads an IPFS
 * node's answer to /api/v0/add. Properties:
 * - ipfs_cid_parse: a text it accepts is 59 bytes and formats back to the
 *   same bytes (one spelling per CID), with codec raw or dag-pb;
 * - ipfs_add_parse_line: an entry has a name that is "" or passes
 *   safepath_check, a CID that parses and formats back to itself, a size
 *   of at most 2^53 - 1, and its name and CID occur in the line;
 * - the reader: the input fed whole and fed in two pieces at a split point
 *   taken from its first byte gives the same verdict, the same number of
 *   entries and the same last entry; it never counts more entries than the
 *   input has lines.
 * Corpus: tests/fuzz/corpus/ipfs_add_parse/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/snapshot/ipfs_add_parse.h"
#include "ctl/snapshot/safepath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct ipfs_add_reader r1, r2;

static void check_cid(const char *p, size_t len)
{
	struct ipfs_cid c;
	char back[IPFS_CID_LEN + 1];

	if (!ipfs_cid_parse(p, len, &c))
		return;
	FUZZ_CHECK(len == IPFS_CID_LEN);
	FUZZ_CHECK(c.codec == IPFS_CODEC_RAW || c.codec == IPFS_CODEC_DAG_PB);
	ipfs_cid_format(&c, back);
	FUZZ_CHECK(memcmp(back, p, len) == 0 && back[len] == '\0');
}

static void check_entry(const struct ipfs_add_entry *e, const char *p, size_t len)
{
	struct ipfs_cid c;
	char back[IPFS_CID_LEN + 1];
	size_t n = strlen(e->name);

	FUZZ_CHECK(n == 0 || safepath_check(e->name, n) == SAFEPATH_OK);
	FUZZ_CHECK(ipfs_cid_parse(e->cid, strlen(e->cid), &c));
	FUZZ_CHECK(memcmp(&c, &e->parsed, sizeof(c)) == 0);
	ipfs_cid_format(&c, back);
	FUZZ_CHECK(strcmp(back, e->cid) == 0);
	FUZZ_CHECK(e->size <= 9007199254740991ull);
	FUZZ_CHECK(memmem(p, len, e->cid, IPFS_CID_LEN) != NULL);
	/* A name with no escapes in it is in the line as it is. */
	if (n > 0 && memchr(p, '\\', len) == NULL)
		FUZZ_CHECK(memmem(p, len, e->name, n) != NULL);
}

static int run(struct ipfs_add_reader *r, const char *p, size_t len, size_t cut)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	if (ipfs_add_feed(r, p, cut, err, sizeof(err)) == -1 ||
	    ipfs_add_feed(r, p + cut, len - cut, err, sizeof(err)) == -1)
		return -1;
	return ipfs_add_finish(r, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct ipfs_add_entry e;
	char err[256];
	size_t lines = 1, cut;
	int v1, v2;

	check_cid(p, size);
	if (ipfs_add_parse_line(p, size, &e, err, sizeof(err)) == 1)
		check_entry(&e, p, size);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	cut = size > 0 ? data[0] % (size + 1) : 0;
	v1 = run(&r1, p, size, size);
	v2 = run(&r2, p, size, cut);
	FUZZ_CHECK(v1 == v2 && r1.entries == r2.entries && r1.entries <= lines);
	if (r1.entries > 0) {
		FUZZ_CHECK(strcmp(r1.last.name, r2.last.name) == 0);
		FUZZ_CHECK(strcmp(r1.last.cid, r2.last.cid) == 0 && r1.last.size == r2.last.size);
	}
	return 0;
}
