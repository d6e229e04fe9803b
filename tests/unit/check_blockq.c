/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/blockq.c with a real producer thread: every byte arrives
 * once and in order whatever the piece sizes, the producer is never more
 * than the queue's blocks ahead (the block the consumer holds counts until
 * its next get), a producer waiting on a full queue is released by
 * blockq_stop, and the end comes after the last, partly filled block.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "ctl/snapshot/blockq.h"
#include "tests/unit/check_main.h"

#define NBLK 3
#define BLK  4096

/* The byte at offset <i> of the test stream: not periodic in the block size. */
static uint8_t byte_at(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9) * 7 + 1);
}

struct prod {
	struct blockq *q;
	uint64_t total;
	size_t piece;             /* 0: sizes cycling through odd values */
	atomic_uint_fast64_t put; /* bytes put so far */
	int rc;                   /* the first failed put's -1, else 0 */
};

static void *producer(void *arg)
{
	static const size_t sizes[] = {1, 3, 1000, 4095, 4097, 9000, 17};
	struct prod *pr = arg;
	uint8_t buf[16384];
	uint64_t off = 0;
	unsigned k = 0;

	while (off < pr->total) {
		size_t n = pr->piece != 0 ? pr->piece : sizes[k++ % 7];

		if (n > pr->total - off)
			n = (size_t)(pr->total - off);
		for (size_t i = 0; i < n; i++)
			buf[i] = byte_at(off + i);
		if (blockq_put(pr->q, buf, n) == -1) {
			pr->rc = -1;
			return NULL;
		}
		off += n;
		atomic_store(&pr->put, off);
	}
	blockq_finish(pr->q);
	return NULL;
}

/* Waits (bounded, 10 s) until the producer has put <want> bytes. */
static void wait_put(struct prod *pr, uint64_t want)
{
	struct timespec ms = {0, 1000000};

	uint64_t put = atomic_load(&pr->put);

	for (int i = 0; i < 10000 && put < want; i++) {
		nanosleep(&ms, NULL);
		put = atomic_load(&pr->put);
	}
	ck_assert_uint_eq(put, want);
}

/* The producer stays at <at> bytes for 50 ms: it is waiting for a block. */
static void still_at(struct prod *pr, uint64_t at)
{
	struct timespec t = {0, 50000000};
	uint64_t put;

	nanosleep(&t, NULL);
	put = atomic_load(&pr->put);
	ck_assert_uint_eq(put, at);
}

START_TEST(every_byte_in_order)
{
	struct prod pr = {.q = blockq_new(NBLK, BLK), .total = 200003};
	uint64_t got = 0;
	const void *p;
	size_t n;
	pthread_t th;

	ck_assert_ptr_nonnull(pr.q);
	ck_assert_int_eq(pthread_create(&th, NULL, producer, &pr), 0);
	while ((n = blockq_get(pr.q, &p)) > 0) {
		const uint8_t *b = p;

		ck_assert_uint_le(n, BLK);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(b[i] == byte_at(got + i), "byte %llu",
			              (unsigned long long)(got + i));
		got += n;
	}
	ck_assert_uint_eq(got, pr.total);
	ck_assert_uint_eq(blockq_get(pr.q, &p), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(pr.rc, 0);
	blockq_free(pr.q);
}
END_TEST

/*
 * NBLK blocks and no more: the producer waits with NBLK full; the first get
 * does not free one (the consumer holds it), the second gives it back.
 */
START_TEST(bounded_by_blocks)
{
	struct prod pr = {.q = blockq_new(NBLK, BLK), .total = 10 * BLK, .piece = BLK};
	const void *p;
	pthread_t th;

	ck_assert_ptr_nonnull(pr.q);
	ck_assert_int_eq(pthread_create(&th, NULL, producer, &pr), 0);
	wait_put(&pr, NBLK * BLK);
	still_at(&pr, NBLK * BLK);
	ck_assert_uint_eq(blockq_get(pr.q, &p), BLK);
	ck_assert_uint_eq(((const uint8_t *)p)[0], byte_at(0));
	still_at(&pr, NBLK * BLK);
	ck_assert_uint_eq(((const uint8_t *)p)[BLK - 1], byte_at(BLK - 1));
	ck_assert_uint_eq(blockq_get(pr.q, &p), BLK);
	wait_put(&pr, (NBLK + 1) * BLK);
	blockq_stop(pr.q);
	pthread_join(th, NULL);
	blockq_free(pr.q);
}
END_TEST

/* A producer waiting on a full queue returns -1 at blockq_stop, and so does any later put. */
START_TEST(stop_releases_producer)
{
	struct prod pr = {.q = blockq_new(NBLK, BLK), .total = 100 * BLK, .piece = 1000};
	pthread_t th;

	ck_assert_ptr_nonnull(pr.q);
	ck_assert_int_eq(pthread_create(&th, NULL, producer, &pr), 0);
	wait_put(&pr, 12000); /* the twelfth 1000-byte piece fills the third block */
	still_at(&pr, 12000);
	blockq_stop(pr.q);
	pthread_join(th, NULL);
	ck_assert_int_eq(pr.rc, -1);
	ck_assert_int_eq(blockq_put(pr.q, "x", 1), -1);
	blockq_free(pr.q);
}
END_TEST

/* The partly filled last block comes out at finish, then the end, which lasts. */
START_TEST(finish_flushes_partial_block)
{
	struct blockq *q = blockq_new(2, 64);
	const void *p;

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(blockq_put(q, "0123456789", 10), 0);
	blockq_finish(q);
	ck_assert_uint_eq(blockq_get(q, &p), 10);
	ck_assert_int_eq(memcmp(p, "0123456789", 10), 0);
	ck_assert_uint_eq(blockq_get(q, &p), 0);
	ck_assert_uint_eq(blockq_get(q, &p), 0);
	blockq_free(q);
}
END_TEST

START_TEST(bad_sizes_refused)
{
	ck_assert_ptr_null(blockq_new(1, 64));
	ck_assert_ptr_null(blockq_new(2, 0));
	ck_assert_ptr_null(blockq_new(SIZE_MAX / 2, 4));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("blockq");
	TCase *tc = tcase_create("blockq");

	tcase_add_test(tc, every_byte_in_order);
	tcase_add_test(tc, bounded_by_blocks);
	tcase_add_test(tc, stop_releases_producer);
	tcase_add_test(tc, finish_flushes_partial_block);
	tcase_add_test(tc, bad_sizes_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(suite());
}
