/* SPDX-License-Identifier: MIT */
/*
 * blockq.h: a ring of blocks counted by two totals. Blocks produced and
 * blocks given back only grow; their difference is how many blocks the
 * consumer has (queued or held), so the producer owns block
 * produced % nblocks whenever the difference is under nblocks, and fills it
 * without the lock: the consumer does not look at it until produced grows.
 */
#include "ctl/snapshot/blockq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct blockq {
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_get;
	size_t n, size;
	uint8_t *mem;                 /* n blocks of size bytes */
	size_t *lens;                 /* each queued block's length */
	size_t fill;                  /* producer only: bytes in block produced % n */
	uint64_t produced, consumed;  /* under mu */
	bool held, finished, stopped; /* under mu; held: block consumed % n is the consumer's */
};

struct blockq *blockq_new(size_t nblocks, size_t blocksize)
{
	struct blockq *q;

	if (nblocks < 2 || blocksize == 0 || nblocks > SIZE_MAX / blocksize)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->n = nblocks;
	q->size = blocksize;
	q->mem = malloc(nblocks * blocksize);
	q->lens = calloc(nblocks, sizeof(*q->lens));
	if (q->mem == NULL || q->lens == NULL || pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q->mem);
		free(q->lens);
		free(q);
		return NULL;
	}
	pthread_cond_init(&q->can_put, NULL);
	pthread_cond_init(&q->can_get, NULL);
	return q;
}

void blockq_free(struct blockq *q)
{
	if (q == NULL)
		return;
	pthread_cond_destroy(&q->can_put);
	pthread_cond_destroy(&q->can_get);
	pthread_mutex_destroy(&q->mu);
	free(q->mem);
	free(q->lens);
	free(q);
}

/* Hands the producer's block of <len> bytes to the consumer. Called with mu held. */
static void push_locked(struct blockq *q, size_t len)
{
	q->lens[q->produced % q->n] = len;
	q->produced++;
	q->fill = 0;
	pthread_cond_signal(&q->can_get);
}

int blockq_put(struct blockq *q, const void *p, size_t len)
{
	const uint8_t *src = p;

	while (len > 0) {
		size_t take;
		uint8_t *blk;

		pthread_mutex_lock(&q->mu);
		while (!q->stopped && q->produced - q->consumed >= q->n)
			pthread_cond_wait(&q->can_put, &q->mu);
		if (q->stopped) {
			pthread_mutex_unlock(&q->mu);
			return -1;
		}
		blk = q->mem + (q->produced % q->n) * q->size;
		pthread_mutex_unlock(&q->mu);
		take = q->size - q->fill < len ? q->size - q->fill : len;
		memcpy(blk + q->fill, src, take);
		q->fill += take;
		src += take;
		len -= take;
		if (q->fill == q->size) {
			pthread_mutex_lock(&q->mu);
			push_locked(q, q->size);
			pthread_mutex_unlock(&q->mu);
		}
	}
	return 0;
}

void blockq_finish(struct blockq *q)
{
	pthread_mutex_lock(&q->mu);
	/* A partly filled block is the producer's, so there is room for it. */
	if (q->fill > 0 && !q->stopped)
		push_locked(q, q->fill);
	q->finished = true;
	pthread_cond_broadcast(&q->can_get);
	pthread_mutex_unlock(&q->mu);
}

/* Gives back the block the consumer holds, if any. Called with mu held. */
static void give_back_locked(struct blockq *q)
{
	if (!q->held)
		return;
	q->held = false;
	q->consumed++;
	pthread_cond_signal(&q->can_put);
}

size_t blockq_get(struct blockq *q, const void **p)
{
	size_t len = 0;

	pthread_mutex_lock(&q->mu);
	give_back_locked(q);
	while (!q->stopped && !q->finished && q->produced == q->consumed)
		pthread_cond_wait(&q->can_get, &q->mu);
	if (!q->stopped && q->produced > q->consumed) {
		*p = q->mem + (q->consumed % q->n) * q->size;
		len = q->lens[q->consumed % q->n];
		q->held = true;
	}
	pthread_mutex_unlock(&q->mu);
	return len;
}

void blockq_stop(struct blockq *q)
{
	pthread_mutex_lock(&q->mu);
	give_back_locked(q);
	q->stopped = true;
	pthread_cond_broadcast(&q->can_put);
	pthread_cond_broadcast(&q->can_get);
	pthread_mutex_unlock(&q->mu);
}
