/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/snapshot/ipfs_add_parse.c: CIDs from
 * tests/data/ipfs/cids.tsv (made by Python's hashlib and base64, and the
 * empty UnixFS directory's CID as IPFS publishes it), malformed CIDs, lines
 * of /api/v0/add's answer as js-ipfs 0.66.1 and Kubo write them and hostile ones,
 * and an answer fed at every split point. Run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/compiler.h"
#include "ctl/snapshot/ipfs_add_parse.h"
#include "tests/unit/check_main.h"

static int unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

START_TEST(cid_vectors)
{
	FILE *f = fopen("tests/data/ipfs/cids.tsv", "r");
	char line[512];
	int rows = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char codec[16], hex[65], text[128], back[IPFS_CID_LEN + 1];
		uint8_t sha[IPFS_SHA256_LEN];
		struct ipfs_cid c;

		if (line[0] == '#')
			continue;
		ck_assert_int_eq(sscanf(line, "%15s\t%64s\t%127s", codec, hex, text), 3);
		ck_assert_int_eq(unhex(hex, sha, sizeof(sha)), 0);
		ck_assert_msg(ipfs_cid_parse(text, strlen(text), &c), "%s", text);
		ck_assert_int_eq(c.codec,
		                 strcmp(codec, "raw") == 0 ? IPFS_CODEC_RAW : IPFS_CODEC_DAG_PB);
		ck_assert_mem_eq(c.sha256, sha, sizeof(sha));
		ipfs_cid_format(&c, back);
		ck_assert_str_eq(back, text);
		rows++;
	}
	fclose(f);
	ck_assert_int_eq(rows, 5);
}
END_TEST

#define EMPTY_RAW "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

START_TEST(cid_refused)
{
	static const char *const bad[] = {
	    "",
	    "b",
	    "BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU", /* base32upper */
	    "Bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
	    "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",               /* CIDv0 */
	    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",   /* short */
	    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykua", /* long */
	    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykv",  /* low bits set */
	    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk1",  /* not base32 */
	    "bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",  /* dag-cbor 0x71 */
	    "bafkrmihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",  /* multihash 0x13 */
	    "baakreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",  /* version 0 */
	};
	struct ipfs_cid c;

	ck_assert(ipfs_cid_parse(EMPTY_RAW, strlen(EMPTY_RAW), &c));
	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(!ipfs_cid_parse(bad[i], strlen(bad[i]), &c), "%s", bad[i]);
	/* A NUL inside the length. */
	ck_assert(!ipfs_cid_parse("bafkrei\0dwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
	                          IPFS_CID_LEN, &c));
}
END_TEST

static int line(const char *s, struct ipfs_add_entry *e, char *err)
{
	return ipfs_add_parse_line(s, strlen(s), e, err, 256);
}

START_TEST(line_entries)
{
	struct ipfs_add_entry e;
	char err[256] = "";

	ck_assert_int_eq(line("{\"Name\":\"chains/polkadot/db/CURRENT\",\"Hash\":\"" EMPTY_RAW
	                      "\",\"Size\":0}",
	                      &e, err),
	                 1);
	ck_assert_str_eq(e.name, "chains/polkadot/db/CURRENT");
	ck_assert_str_eq(e.cid, EMPTY_RAW);
	ck_assert_int_eq(e.parsed.codec, IPFS_CODEC_RAW);
	ck_assert_uint_eq(e.size, 0);
	/* The wrapping directory: an empty name; any key order; the largest size. */
	ck_assert_int_eq(
	    line("{\"Size\":9007199254740991,\"Hash\":\"" EMPTY_RAW "\",\"Name\":\"\"}", &e, err),
	    1);
	ck_assert_str_eq(e.name, "");
	ck_assert_uint_eq(e.size, 9007199254740991ull);
}
END_TEST

/*
 * Lines as Kubo writes them: core/commands/add.go's AddEvent (Name, Hash,
 * and Bytes, Size, Mode, Mtime, MtimeNsecs all omitempty; Size a string),
 * filled by core/coreunix/add.go with Size = strconv.FormatUint(size, 10);
 * the Kubo RPC reference (docs.ipfs.tech/reference/kubo/rpc/, /api/v0/add)
 * gives the same shape with "Size": "<string>". Without progress and
 * without preserve-mode/mtime only Name, Hash and Size are written.
 */
START_TEST(line_kubo)
{
	struct ipfs_add_entry e;
	char err[256] = "";

	ck_assert_msg(line("{\"Name\":\"snapshot.tar.zst\",\"Hash\":\"" EMPTY_RAW
	                   "\",\"Size\":\"103242\"}",
	                   &e, err) == 1,
	              "%s", err);
	ck_assert_str_eq(e.name, "snapshot.tar.zst");
	ck_assert_uint_eq(e.size, 103242);
	ck_assert_int_eq(line("{\"Name\":\"\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"0\"}", &e, err),
	                 1);
	ck_assert_uint_eq(e.size, 0);
	ck_assert_int_eq(line("{\"Name\":\"\",\"Hash\":\"" EMPTY_RAW
	                      "\",\"Size\":\"9007199254740991\"}",
	                      &e, err),
	                 1);
	ck_assert_uint_eq(e.size, 9007199254740991ull);
}
END_TEST

START_TEST(line_refused)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"", "not one JSON object"},
	    {"[]", "not one JSON object"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1} x", "not one JSON object"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1}{}", "not one JSON object"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\"}", "a key missing"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1,\"Mtime\":0}", "unknown key"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1,\"Mode\":420}",
	     "Mode: not four"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1,\"Mode\":\"0855\"}",
	     "Mode: not four"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1,\"Mode\":\"755\"}",
	     "Mode: not four"},
	    {"{\"Name\":\"a\",\"Name\":\"b\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1}", "Name twice"},
	    /* Kubo's string Size: decimal digits only, no leading zero, at most 2^53 - 1. */
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"\"}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"01\"}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"-1\"}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"+1\"}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\" 1\"}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"1 \"}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"1.5\"}",
	     "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"1e3\"}",
	     "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"0x10\"}",
	     "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"9007199254740992\"}",
	     "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"18446744073709551617\"}",
	     "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":\"00000000000000001\"}",
	     "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":null}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1.5}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":-1}", "Size: not an integer"},
	    {"{\"Name\":\"a\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":9007199254740992}",
	     "Size: not an integer"},
	    {"{\"Name\":\"../etc/passwd\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1}", "Name: a '..'"},
	    {"{\"Name\":\"/etc/passwd\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1}", "Name: "},
	    {"{\"Name\":\"a\\u0000b\",\"Hash\":\"" EMPTY_RAW "\",\"Size\":1}", "a NUL"},
	    {"{\"Name\":1,\"Hash\":\"" EMPTY_RAW "\",\"Size\":1}", "not a string"},
	    {"{\"Name\":\"a\",\"Hash\":\"QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH\",\"Size\":"
	     "1}",
	     "Hash: not a base32 CIDv1"},
	    {"{\"Message\":\"file does not exist\",\"Code\":0,\"Type\":\"error\"}",
	     "the node failed: file does not exist"},
	    {"{\"Message\":\"x\",\"Code\":0,\"Type\":\"ok\"}", "malformed error object"},
	    {"{\"Message\":\"x\",\"Code\":0}", "a key missing"},
	};
	struct ipfs_add_entry e;

	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		char err[256] = "";

		ck_assert_msg(line(bad[i].line, &e, err) == PF_EPROTO, "%s", bad[i].line);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: %s", bad[i].line, err);
	}
}
END_TEST

/* Three entries as js-ipfs writes them for a wrapped directory of two files. */
static const char answer[] =
    "{\"Name\":\"a/"
    "b.sst\",\"Hash\":\"bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4\","
    "\"Size\":12}\n"
    "{\"Name\":\"a\",\"Hash\":\"bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354\","
    "\"Size\":62,\"Mode\":\"0755\"}\n"
    "{\"Name\":\"\",\"Hash\":\"bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354\","
    "\"Size\":110,\"Mode\":\"0755\"}\n";

static int count_cb(void *ctx, const struct ipfs_add_entry *e, char *err, size_t errlen)
{
	int *n = ctx;

	(void)err, (void)errlen;
	if (*n == 0)
		ck_assert_str_eq(e->name, "a/b.sst");
	(*n)++;
	return 0;
}

/* The same wrapped directory as Kubo answers it: Size strings, no Mode. */
START_TEST(reader_kubo)
{
	static const char kubo[] =
	    "{\"Name\":\"a/b.sst\",\"Hash\":"
	    "\"bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4\",\"Size\":\"12\"}\n"
	    "{\"Name\":\"a\",\"Hash\":"
	    "\"bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354\",\"Size\":\"62\"}\n"
	    "{\"Name\":\"\",\"Hash\":"
	    "\"bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354\",\"Size\":\"110\"}\n";
	static struct ipfs_add_reader r;
	char err[256] = "";
	int n = 0;

	memset(&r, 0, sizeof(r));
	r.on_entry = count_cb;
	r.ctx = &n;
	ck_assert_msg(ipfs_add_feed(&r, kubo, strlen(kubo), err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ipfs_add_finish(&r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(r.last.name, "");
	ck_assert_uint_eq(r.last.size, 110);
	ck_assert_int_eq(r.last.parsed.codec, IPFS_CODEC_DAG_PB);
}
END_TEST

START_TEST(reader_every_split)
{
	size_t len = strlen(answer);

	for (size_t cut1 = 0; cut1 <= len; cut1++) {
		for (size_t cut2 = cut1; cut2 <= len; cut2 += 7) {
			static struct ipfs_add_reader r;
			char err[256] = "";
			int n = 0;

			memset(&r, 0, sizeof(r));
			r.on_entry = count_cb;
			r.ctx = &n;
			ck_assert_int_eq(ipfs_add_feed(&r, answer, cut1, err, sizeof(err)), 0);
			ck_assert_int_eq(
			    ipfs_add_feed(&r, answer + cut1, cut2 - cut1, err, sizeof(err)), 0);
			ck_assert_int_eq(
			    ipfs_add_feed(&r, answer + cut2, len - cut2, err, sizeof(err)), 0);
			ck_assert_msg(ipfs_add_finish(&r, err, sizeof(err)) == 0, "%s", err);
			ck_assert_int_eq(n, 3);
			ck_assert_uint_eq(r.entries, 3);
			ck_assert_str_eq(r.last.name, "");
			ck_assert_uint_eq(r.last.size, 110);
		}
	}
}
END_TEST

static int stop_cb(void *ctx, const struct ipfs_add_entry *e, char *err, size_t errlen)
{
	(void)ctx, (void)e;
	snprintf(err, errlen, "stopped by the caller");
	return -1;
}

START_TEST(reader_refusals)
{
	static struct ipfs_add_reader r;
	static char big[IPFS_LINE_MAX + 2];
	char err[256] = "";
	size_t len = strlen(answer);

	/* Cut in the middle of the last line. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ipfs_add_feed(&r, answer, len - 5, err, sizeof(err)), 0);
	ck_assert_int_eq(ipfs_add_finish(&r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "middle of a line"));
	/* Nothing at all, or blank lines only. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ipfs_add_feed(&r, "\n\r\n", 3, err, sizeof(err)), 0);
	ck_assert_int_eq(ipfs_add_finish(&r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no entry"));
	/* A line over the limit, fed a byte at a time and whole. */
	memset(big, ' ', sizeof(big));
	memset(&r, 0, sizeof(r));
	{
		int rc = 0;

		for (size_t i = 0; i < sizeof(big) && rc == 0; i++)
			rc = ipfs_add_feed(&r, big + i, 1, err, sizeof(err));
		ck_assert_int_eq(rc, -1);
	}
	ck_assert_ptr_nonnull(strstr(err, "over"));
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ipfs_add_feed(&r, big, sizeof(big), err, sizeof(err)), -1);
	/* A bad line after a good one; the callback's refusal. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ipfs_add_feed(&r, "{}\n", 3, err, sizeof(err)), -1);
	memset(&r, 0, sizeof(r));
	r.on_entry = stop_cb;
	ck_assert_int_eq(ipfs_add_feed(&r, answer, len, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "stopped by the caller");
}
END_TEST

static Suite *ipfs_add_parse_suite(void)
{
	Suite *s = suite_create("ipfs_add_parse");
	TCase *tc = tcase_create("cid");

	tcase_add_test(tc, cid_vectors);
	tcase_add_test(tc, cid_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("answer");
	tcase_add_test(tc, line_entries);
	tcase_add_test(tc, line_kubo);
	tcase_add_test(tc, line_refused);
	tcase_add_test(tc, reader_every_split);
	tcase_add_test(tc, reader_kubo);
	tcase_add_test(tc, reader_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(ipfs_add_parse_suite());
}
