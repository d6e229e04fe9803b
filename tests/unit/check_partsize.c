/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/partsize.c against figures worked by hand from the formats'
 * own rules: POSIX ustar (a 512-byte header, data padded to 512, a 100-byte
 * name field, 11 octal digits of size), the end of a tar (two zero blocks),
 * zstd.h's ZSTD_COMPRESSBOUND (n + n/256, plus (128 KiB - n)/2048 below
 * 128 KiB), and S3's limits (User Guide, "Amazon S3 multipart upload
 * limits": 10,000 parts, 5 MiB to 5 GiB each, 5 TiB an object).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/partsize.h"
#include "tests/unit/check_main.h"

#define MIB (1024ULL * 1024)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

static char errbuf[256];

static uint64_t entry(const char *rel, bool is_dir, uint64_t size)
{
	struct partsize_entry e = {rel, is_dir, size, 1700000000};

	return partsize_tar_entry(&e);
}

static uint64_t choose(uint64_t bound, uint64_t min_part)
{
	uint64_t part = 0;

	errbuf[0] = '\0';
	ck_assert_msg(partsize_choose(bound, min_part, &part, errbuf, sizeof(errbuf)) == 0, "%s",
	              errbuf);
	return part;
}

START_TEST(test_ustar_entries)
{
	ck_assert_uint_eq(entry("chains", true, 0), 512);
	ck_assert_uint_eq(entry("a", false, 0), 512);
	ck_assert_uint_eq(entry("a", false, 1), 1024);
	ck_assert_uint_eq(entry("a", false, 512), 1024);
	ck_assert_uint_eq(entry("a", false, 513), 1536);
	ck_assert_uint_eq(entry("a", false, 1000), 1536);
	/* 8 GiB - 1 is the most 11 octal digits hold: 8 GiB + 512 of header. */
	ck_assert_uint_eq(entry("db/big", false, 8 * GIB - 1), 8 * GIB + 512);
}
END_TEST

/* What ustar cannot hold gets a pax header: 512 of its own header and its records padded. */
START_TEST(test_pax_entries)
{
	char name[300];

	memset(name, 'n', 150);
	name[150] = '\0';
	/* 512 header + 512 data + 512 pax header + round512(150 + 256) = 512 records */
	ck_assert_uint_eq(entry(name, false, 1), 2048);
	memset(name, 'n', 299);
	name[299] = '\0';
	/* records round512(299 + 256 = 555) = 1024 */
	ck_assert_uint_eq(entry(name, false, 0), 512 + 512 + 1024);
	/* a directory's '/' takes a 99-byte name over the field */
	memset(name, 'd', 99);
	name[99] = '\0';
	ck_assert_uint_eq(entry(name, true, 0), 512 + 512 + 512);
	ck_assert_uint_eq(entry(name, false, 0), 512);
	/* past 11 octal digits of size: 8 GiB exactly */
	ck_assert_uint_eq(entry("db/big", false, 8 * GIB), 512 + 8 * GIB + 512 + 512);
	/* a name outside ASCII */
	ck_assert_uint_eq(entry("caf\xc3\xa9", false, 0), 512 + 512 + 512);
	{
		struct partsize_entry e = {"old", false, 0, -1};

		ck_assert_uint_eq(partsize_tar_entry(&e), 1536);
	}
}
END_TEST

START_TEST(test_zstd_bound)
{
	ck_assert_uint_eq(partsize_zstd_bound(0), 64);               /* 128 KiB >> 11 */
	ck_assert_uint_eq(partsize_zstd_bound(1024), 1024 + 4 + 63); /* 130048 >> 11 = 63 */
	ck_assert_uint_eq(partsize_zstd_bound(128 * 1024), 131072 + 512);
	ck_assert_uint_eq(partsize_zstd_bound(GIB), GIB + 4 * MIB);
	ck_assert_uint_eq(partsize_zstd_bound(TIB), TIB + 4 * GIB);
}
END_TEST

START_TEST(test_choose_configured_when_enough)
{
	ck_assert_uint_eq(choose(0, 16 * MIB), 16 * MIB);
	ck_assert_uint_eq(choose(1, 5 * MIB), 5 * MIB);
	/* 10,000 x 16 MiB = 156.25 GiB exactly still fits 16 MiB parts */
	ck_assert_uint_eq(choose(10000 * 16 * MIB, 16 * MIB), 16 * MIB);
	/* 625 GiB in 64 MiB parts, the old default's ceiling */
	ck_assert_uint_eq(choose(625 * GIB, 64 * MIB), 64 * MIB);
	ck_assert_uint_eq(choose(625 * GIB, 5 * MIB), 64 * MIB);
}
END_TEST

START_TEST(test_choose_grows)
{
	/* one byte over 10,000 parts: the next whole MiB */
	ck_assert_uint_eq(choose(10000 * 16 * MIB + 1, 16 * MIB), 17 * MIB);
	ck_assert_uint_eq(choose(10000 * 5 * MIB + 1, 5 * MIB), 6 * MIB);
	/* 1 TiB: 109,951,162.78 bytes a part, 104.86 MiB: 105 MiB */
	ck_assert_uint_eq(choose(TIB, 16 * MIB), 105 * MIB);
	/* 2 TiB: 219,902,325.55 bytes, 209.72 MiB: 210 MiB */
	ck_assert_uint_eq(choose(2 * TIB, 16 * MIB), 210 * MIB);
	/* 5 TiB, S3's largest object: 549,755,813.89 bytes, 524.29 MiB: 525 MiB */
	ck_assert_uint_eq(choose(5 * TIB, 16 * MIB), 525 * MIB);
	/* a configured part larger than needed stays */
	ck_assert_uint_eq(choose(5 * TIB, 5 * GIB), 5 * GIB);
}
END_TEST

/* Whatever the bound, 10,000 of the chosen parts hold it and the part is within 5 MiB..5 GiB. */
START_TEST(test_choose_holds)
{
	for (uint64_t b = 1; b <= 5 * TIB; b = b * 3 + 12345) {
		uint64_t p = choose(b, 5 * MIB);

		ck_assert_uint_ge(p * 10000, b);
		ck_assert_uint_ge(p, 5 * MIB);
		ck_assert_uint_le(p, 5 * GIB);
		ck_assert_uint_eq(p % MIB, 0);
		/* the smallest such: one MiB less does not hold it, unless it is the minimum */
		ck_assert(p == 5 * MIB || (p - MIB) * 10000 < b);
	}
}
END_TEST

START_TEST(test_refuses_over_5_tib)
{
	uint64_t part = 7;

	ck_assert_int_eq(partsize_choose(5 * TIB + 1, 16 * MIB, &part, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "the object may reach 5497558138881 bytes, over S3's limit of 5 "
	                         "TiB (5497558138880 bytes)");
	ck_assert_uint_eq(part, 7);
	ck_assert_int_eq(partsize_choose(UINT64_MAX, 16 * MIB, &part, errbuf, sizeof(errbuf)), -1);
}
END_TEST

static Suite *partsize_suite(void)
{
	Suite *s = suite_create("partsize");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ustar_entries);
	tcase_add_test(tc, test_pax_entries);
	tcase_add_test(tc, test_zstd_bound);
	tcase_add_test(tc, test_choose_configured_when_enough);
	tcase_add_test(tc, test_choose_grows);
	tcase_add_test(tc, test_choose_holds);
	tcase_add_test(tc, test_refuses_over_5_tib);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(partsize_suite());
}
