/* SPDX-License-Identifier: MIT */
/*
 * ctl/db/sha256.c against the FIPS 180-2 appendix examples ("abc", the
 * two-block message, one million 'a') and coreutils sha256sum on runs of
 * 'a' around the padding boundaries (55/56 bytes: one or two tail blocks;
 * 63/64/65: a full block and its neighbours).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/db/sha256.h"
#include "tests/unit/check_main.h"

static void expect(const char *msg, size_t len, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex((const uint8_t *)msg, len, hex);
	ck_assert_str_eq(hex, want);
}

START_TEST(test_fips_examples)
{
	char *million = malloc(1000000);

	expect("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	expect(million, 1000000,
	       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}
END_TEST

START_TEST(test_padding_boundaries)
{
	/* Expected digests printed by `head -c N /dev/zero | tr '\0' a | sha256sum`. */
	static const struct {
		size_t n;
		const char *want;
	} cases[] = {
	    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
	    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
	    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
	    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
	    {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
	    {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
	};
	char buf[128];

	memset(buf, 'a', sizeof(buf));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect(buf, cases[i].n, cases[i].want);
}
END_TEST

static Suite *sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fips_examples);
	tcase_add_test(tc, test_padding_boundaries);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(sha256_suite());
}
