/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/filehash.c against the FIPS 180-2 appendix digests (one
 * million 'a', "abc", the empty message): the message goes through the
 * hashing thread in blocks of several sizes, through 2 and 3 slots, so the
 * ring wraps many times and the caller waits for free slots; files follow
 * one another on one thread; a file given up half-way (a slot taken and
 * not pushed, no end) does not spoil the next one. Bytes that differ from
 * block to block, against ctl/db/sha256.c (FIPS-checked in check_sha256),
 * catch a slot reused before the thread hashed it.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/filehash.h"
#include "tests/unit/check_main.h"

#define MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define ABC       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void hex(const uint8_t d[FILEHASH_LEN], char out[2 * FILEHASH_LEN + 1])
{
	static const char x[] = "0123456789abcdef";

	for (int i = 0; i < FILEHASH_LEN; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * FILEHASH_LEN] = '\0';
}

/* Hashes <len> bytes of <c> in blocks of at most <chunk> (<= the slot size) bytes. */
static void file_of(struct filehash *h, char c, size_t len, size_t chunk, char out[65])
{
	uint8_t d[FILEHASH_LEN];

	ck_assert_int_eq(filehash_begin(h), 0);
	while (len > 0) {
		size_t n = len < chunk ? len : chunk;
		uint8_t *slot = filehash_slot(h);

		memset(slot, c, n);
		filehash_push(h, n);
		/* The caller still reads the slot after the push, as the packer does. */
		ck_assert_int_eq(slot[n - 1], c);
		len -= n;
	}
	ck_assert_int_eq(filehash_end(h, d), 0);
	hex(d, out);
}

START_TEST(test_million_a_in_blocks)
{
	static const size_t chunks[] = {1000000, 65536, 4096, 1000, 63};
	char got[65];

	for (unsigned slots = 2; slots <= 3; slots++) {
		struct filehash *h = filehash_new(1000000, slots);

		ck_assert_ptr_nonnull(h);
		for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
			file_of(h, 'a', 1000000, chunks[i], got);
			ck_assert_str_eq(got, MILLION_A);
		}
		filehash_free(h);
	}
}
END_TEST

START_TEST(test_varied_bytes_two_slots)
{
	const size_t len = 3 * 1000 * 1000, chunk = 4096;
	uint8_t *msg = malloc(len), d[FILEHASH_LEN];
	char got[65], want[SHA256_HEX_LEN + 1];
	struct filehash *h = filehash_new(chunk, 2);
	uint32_t x = 13;

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(h);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		msg[i] = (uint8_t)(x >> 16);
	}
	sha256_hex(msg, len, want);
	ck_assert_int_eq(filehash_begin(h), 0);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		memcpy(filehash_slot(h), msg + off, n);
		filehash_push(h, n);
	}
	ck_assert_int_eq(filehash_end(h, d), 0);
	hex(d, got);
	ck_assert_str_eq(got, want);
	filehash_free(h);
	free(msg);
}
END_TEST

START_TEST(test_files_in_turn)
{
	struct filehash *h = filehash_new(4096, 2);
	uint8_t d[FILEHASH_LEN];
	char got[65];
	uint8_t *slot;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(filehash_begin(h), 0);
	ck_assert_int_eq(filehash_end(h, d), 0);
	hex(d, got);
	ck_assert_str_eq(got, EMPTY);

	ck_assert_int_eq(filehash_begin(h), 0);
	for (const char *p = "abc"; *p != '\0'; p++) {
		slot = filehash_slot(h);
		slot[0] = (uint8_t)*p;
		filehash_push(h, 1);
	}
	ck_assert_int_eq(filehash_end(h, d), 0);
	hex(d, got);
	ck_assert_str_eq(got, ABC);

	/* Given up: blocks pushed, one slot taken and not filled, no end. */
	ck_assert_int_eq(filehash_begin(h), 0);
	memset(filehash_slot(h), 'x', 4096);
	filehash_push(h, 4096);
	(void)filehash_slot(h);
	file_of(h, 'a', 1000000, 4096, got);
	ck_assert_str_eq(got, MILLION_A);
	filehash_free(h);
}
END_TEST

START_TEST(test_refuses_one_slot)
{
	ck_assert_ptr_null(filehash_new(4096, 1));
	ck_assert_ptr_null(filehash_new(0, 4));
	filehash_free(NULL);
}
END_TEST

static Suite *filehash_suite(void)
{
	Suite *s = suite_create("filehash");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_million_a_in_blocks);
	tcase_add_test(tc, test_varied_bytes_two_slots);
	tcase_add_test(tc, test_files_in_turn);
	tcase_add_test(tc, test_refuses_one_slot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(filehash_suite());
}
