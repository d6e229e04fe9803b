/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/snapshot/s3xml.c on the answers of the S3 API
 * Reference (tests/data/s3xml/, values copied from the documentation), a
 * table of malformed or hostile inputs with their verdict, and every
 * truncation of a real answer (never a read past the end, never a field
 * found that the whole document does not hold). Run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/compiler.h"
#include "ctl/snapshot/s3xml.h"
#include "tests/unit/check_main.h"

static char *load(const char *name, struct s3xml_span *sp)
{
	char path[256];
	FILE *f;
	char *buf = malloc(65536);
	size_t n;

	snprintf(path, sizeof(path), "tests/data/s3xml/%s", name);
	f = fopen(path, "rb");
	if (f == NULL || buf == NULL) {
		fprintf(stderr, "check_s3xml: cannot read %s\n", path);
		abort();
	}
	n = fread(buf, 1, 65535, f);
	(void)fclose(f);
	buf[n] = '\0';
	sp->p = buf;
	sp->len = n;
	return buf;
}

START_TEST(initiate_upload_id)
{
	struct s3xml_span d;
	char *buf = load("initiate.xml", &d);
	char id[128];

	ck_assert_int_eq(s3xml_text(d, "UploadId", id, sizeof(id)), 1);
	ck_assert_str_eq(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
	/* Too small a buffer is an error, never a cut id. */
	ck_assert_int_eq(s3xml_text(d, "UploadId", id, 58), PF_EPROTO);
	ck_assert_int_eq(s3xml_text(d, "UploadId", id, 59), 1);
	ck_assert_int_eq(s3xml_text(d, "ETag", id, sizeof(id)), 0);
	free(buf);
}
END_TEST

START_TEST(list_parts)
{
	static const unsigned num[] = {2, 3};
	static const char *const etag[] = {"\"7778aef83f66abc1fa1e8477f296d394\"",
	                                   "\"aaaa18db4cc2f85cedef654fccc4a4x8\""};
	struct s3xml_span d, part;
	char *buf = load("list-parts.xml", &d);
	char t[128];
	size_t pos = 0;
	uint64_t v;
	unsigned n = 0;

	ck_assert_int_eq(s3xml_text(d, "IsTruncated", t, sizeof(t)), 1);
	ck_assert_str_eq(t, "true");
	ck_assert_int_eq(s3xml_u64(d, "NextPartNumberMarker", &v), 1);
	ck_assert_uint_eq(v, 3);
	while (s3xml_next(d, &pos, "Part", &part) == 1) {
		ck_assert_uint_lt(n, 2);
		ck_assert_int_eq(s3xml_u64(part, "PartNumber", &v), 1);
		ck_assert_uint_eq(v, num[n]);
		ck_assert_int_eq(s3xml_u64(part, "Size", &v), 1);
		ck_assert_uint_eq(v, 10485760);
		ck_assert_int_eq(s3xml_text(part, "ETag", t, sizeof(t)), 1);
		ck_assert_str_eq(t, etag[n]);
		n++;
	}
	ck_assert_uint_eq(n, 2);
	free(buf);
}
END_TEST

START_TEST(list_v2)
{
	struct s3xml_span d, c;
	char *buf = load("list-v2.xml", &d);
	char key[64];
	size_t pos = 0;
	uint64_t v;

	/* <Key> must not match <KeyCount>, which comes first. */
	ck_assert_int_eq(s3xml_u64(d, "KeyCount", &v), 1);
	ck_assert_uint_eq(v, 205);
	ck_assert_int_eq(s3xml_text(d, "Prefix", key, sizeof(key)), 1);
	ck_assert_str_eq(key, "");
	ck_assert_int_eq(s3xml_next(d, &pos, "Contents", &c), 1);
	ck_assert_int_eq(s3xml_text(c, "Key", key, sizeof(key)), 1);
	ck_assert_str_eq(key, "my-image.jpg");
	ck_assert_int_eq(s3xml_text(c, "ETag", key, sizeof(key)), 1);
	ck_assert_str_eq(key, "\"fba9dede5f27731c9771645a39863328\"");
	ck_assert_int_eq(s3xml_u64(c, "Size", &v), 1);
	ck_assert_uint_eq(v, 434234);
	ck_assert_int_eq(s3xml_next(d, &pos, "Contents", &c), 1);
	ck_assert_int_eq(s3xml_text(c, "Key", key, sizeof(key)), 1);
	ck_assert_str_eq(key, "a&b/c.sst");
	ck_assert_int_eq(s3xml_u64(c, "Size", &v), 1);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(s3xml_next(d, &pos, "Contents", &c), 0);
	free(buf);
}
END_TEST

/* The same answers through the page readers the client uses. */
START_TEST(page_readers)
{
	struct s3xml_span d;
	char *buf = load("list-parts.xml", &d);
	struct s3xml_part p;
	char key[64], tok[64];
	size_t pos = 0;
	uint64_t size;
	int marker = -1;

	ck_assert_int_eq(s3xml_next_part(d, &pos, &p), 1);
	ck_assert_int_eq(p.number, 2);
	ck_assert_uint_eq(p.size, 10485760);
	ck_assert_str_eq(p.etag, "\"7778aef83f66abc1fa1e8477f296d394\"");
	ck_assert_int_eq(s3xml_next_part(d, &pos, &p), 1);
	ck_assert_int_eq(p.number, 3);
	ck_assert_int_eq(s3xml_next_part(d, &pos, &p), 0);
	ck_assert_int_eq(s3xml_parts_marker(d, &marker), 1);
	ck_assert_int_eq(marker, 3);
	free(buf);
	buf = load("list-v2.xml", &d);
	pos = 0;
	ck_assert_int_eq(s3xml_next_object(d, &pos, key, sizeof(key), &size), 1);
	ck_assert_str_eq(key, "my-image.jpg");
	ck_assert_uint_eq(size, 434234);
	ck_assert_int_eq(s3xml_next_object(d, &pos, key, sizeof(key), &size), 1);
	ck_assert_str_eq(key, "a&b/c.sst");
	ck_assert_int_eq(s3xml_next_object(d, &pos, key, sizeof(key), &size), 0);
	ck_assert_int_eq(s3xml_list_token(d, tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "");
	free(buf);
}
END_TEST

/* Truncated pages must say where the next one starts; nothing else is accepted. */
START_TEST(page_markers)
{
	char tok[16];
	int m = -1;

	ck_assert_int_eq(s3xml_parts_marker(s3xml_span_str("<IsTruncated>false</IsTruncated>"), &m),
	                 0);
	ck_assert_int_eq(m, 0);
	ck_assert_int_eq(s3xml_parts_marker(s3xml_span_str("<IsTruncated>true</IsTruncated>"), &m),
	                 PF_EPROTO);
	ck_assert_int_eq(s3xml_parts_marker(s3xml_span_str("<IsTruncated>yes</IsTruncated>"), &m),
	                 PF_EPROTO);
	ck_assert_int_eq(s3xml_parts_marker(s3xml_span_str("<IsTruncated>true</IsTruncated>"
	                                                   "<NextPartNumberMarker>10001"
	                                                   "</NextPartNumberMarker>"),
	                                    &m),
	                 PF_EPROTO);
	ck_assert_int_eq(
	    s3xml_list_token(
	        s3xml_span_str("<IsTruncated>true</IsTruncated>"
	                       "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
	                       "wm36Hy4vbOwM=</NextContinuationToken>"),
	        tok, sizeof(tok)),
	    PF_EPROTO);
	ck_assert_int_eq(s3xml_list_token(s3xml_span_str("<IsTruncated>true</IsTruncated>"
	                                                 "<NextContinuationToken>a/b+c="
	                                                 "</NextContinuationToken>"),
	                                  tok, sizeof(tok)),
	                 1);
	ck_assert_str_eq(tok, "a/b+c=");
	ck_assert_int_eq(s3xml_list_token(s3xml_span_str("<IsTruncated>true</IsTruncated>"
	                                                 "<NextContinuationToken/>"),
	                                  tok, sizeof(tok)),
	                 PF_EPROTO);
}
END_TEST

START_TEST(error_answer)
{
	struct s3xml_span d;
	char *buf = load("error.xml", &d);
	char t[128];

	ck_assert_int_eq(s3xml_text(d, "Code", t, sizeof(t)), 1);
	ck_assert_str_eq(t, "NoSuchKey");
	ck_assert_int_eq(s3xml_text(d, "Message", t, sizeof(t)), 1);
	ck_assert_str_eq(t, "The resource you requested does not exist");
	free(buf);
}
END_TEST

/* Hostile or malformed documents and what s3xml_text(<name>) must say. */
static const struct {
	const char *doc, *name;
	int want;
	const char *text;
} cases[] = {
    {"<a><UploadId>x</UploadId></a>", "UploadId", 1, "x"},
    {"<UploadId>x</UploadId >", "UploadId", PF_EPROTO, NULL},
    {"<UploadId>x", "UploadId", PF_EPROTO, NULL},
    {"<UploadId", "UploadId", 0, NULL},
    {"<UploadId x", "UploadId", PF_EPROTO, NULL},
    {"<UploadIdX>y</UploadIdX>", "UploadId", 0, NULL},
    {"<UploadId a=\"1\">z</UploadId>", "UploadId", 1, "z"},
    {"<UploadId/>", "UploadId", 1, ""},
    {"<ETag><!-- <ETag>f</ETag> --></ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag><![CDATA[x]]></ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag><?pi?></ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag><ETag>x</ETag></ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag><b>x</b></ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag>&#34;x&#34;</ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag>&bogus;</ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag>&amp</ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag>abc&bogus;</ETag>", "ETag", PF_EPROTO, NULL},
    {"<ETag>&lt;&gt;&apos;&quot;&amp;</ETag>", "ETag", 1, "<>'\"&"},
    {"<Size>18446744073709551615</Size>", "Size", 1, "18446744073709551615"},
    {"", "ETag", 0, NULL},
};

START_TEST(hostile_table)
{
	char out[64];
	struct s3xml_span d = s3xml_span_str(cases[_i].doc);

	memset(out, 'x', sizeof(out));
	ck_assert_msg(s3xml_text(d, cases[_i].name, out, sizeof(out)) == cases[_i].want,
	              "case %d: %s", _i, cases[_i].doc);
	/* Anything but a field found leaves "": never half a field. */
	ck_assert_str_eq(out, cases[_i].text != NULL ? cases[_i].text : "");
}
END_TEST

/* A block with a comment in it is refused as a whole: the comment could hide a field. */
START_TEST(block_with_markup)
{
	static const char *const docs[] = {"<Part><!-- c --><ETag>x</ETag></Part>",
	                                   "<Part><?pi?><ETag>x</ETag></Part>",
	                                   "<Part><![CDATA[<ETag>]]></Part>"};
	struct s3xml_span in;

	for (size_t k = 0; k < PF_ARRAY_SIZE(docs); k++) {
		size_t pos = 0;

		ck_assert_int_eq(s3xml_next(s3xml_span_str(docs[k]), &pos, "Part", &in), PF_EPROTO);
	}
}
END_TEST

START_TEST(numbers)
{
	uint64_t v = 7;

	ck_assert_int_eq(s3xml_u64(s3xml_span_str("<Size>9223372036854775807</Size>"), "Size", &v),
	                 1);
	ck_assert_uint_eq(v, UINT64_C(9223372036854775807));
	ck_assert_int_eq(s3xml_u64(s3xml_span_str("<Size>9223372036854775808</Size>"), "Size", &v),
	                 PF_EPROTO);
	ck_assert_int_eq(s3xml_u64(s3xml_span_str("<Size></Size>"), "Size", &v), PF_EPROTO);
	ck_assert_int_eq(s3xml_u64(s3xml_span_str("<Size>-1</Size>"), "Size", &v), PF_EPROTO);
	ck_assert_int_eq(s3xml_u64(s3xml_span_str("<Size> 1</Size>"), "Size", &v), PF_EPROTO);
	ck_assert_int_eq(s3xml_u64(s3xml_span_str("<Size>0010</Size>"), "Size", &v), 1);
	ck_assert_uint_eq(v, 10);
}
END_TEST

/* Every prefix of a real answer, copied to a buffer of exactly its size (ASan sees over-reads). */
START_TEST(truncations)
{
	struct s3xml_span d;
	char *buf = load("list-parts.xml", &d);

	for (size_t n = 0; n <= d.len; n++) {
		char *cut = malloc(n + 1);
		char t[128];
		struct s3xml_span c = {cut, n}, part;
		size_t pos = 0;
		int r;

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, d.p, n);
		r = s3xml_text(c, "UploadId", t, sizeof(t));
		ck_assert(
		    r == 0 || r == PF_EPROTO ||
		    (r == 1 &&
		     strcmp(t, "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA") == 0));
		while ((r = s3xml_next(c, &pos, "Part", &part)) == 1)
			ck_assert(part.p >= cut && part.p + part.len <= cut + n);
		ck_assert(r == 0 || r == PF_EPROTO);
		free(cut);
	}
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("s3xml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, initiate_upload_id);
	tcase_add_test(tc, list_parts);
	tcase_add_test(tc, list_v2);
	tcase_add_test(tc, page_readers);
	tcase_add_test(tc, page_markers);
	tcase_add_test(tc, error_answer);
	tcase_add_loop_test(tc, hostile_table, 0, (int)PF_ARRAY_SIZE(cases));
	tcase_add_test(tc, block_with_markup);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, truncations);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
