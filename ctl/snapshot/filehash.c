/* SPDX-License-Identifier: MIT */
/*
 * The hashing thread (filehash.h). Slots form a ring: <taken> counts the
 * slots handed out, <filled> those pushed, <hashed> those the thread is
 * done with; taken - hashed < n is what makes a slot free. One mutex and
 * one condition variable, broadcast: there are two threads.
 */
#include "ctl/snapshot/filehash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct filehash {
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf; /* n blocks of <block> bytes */
	size_t block;
	size_t *len; /* each slot's pushed length */
	unsigned n, taken, filled, hashed;
	bool want_end, ended, stop, failed;
	EVP_MD_CTX *md;
	uint8_t sha[FILEHASH_LEN];
};

static void *run(void *arg)
{
	struct filehash *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->hashed == h->filled && !h->want_end && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->hashed != h->filled) {
			unsigned i = h->hashed % h->n;
			size_t len = h->len[i];
			bool ok;

			/* The slot is the caller's to read, not to write, until it is counted hashed. */
			pthread_mutex_unlock(&h->mu);
			ok = EVP_DigestUpdate(h->md, h->buf + (size_t)i * h->block, len) == 1;
			pthread_mutex_lock(&h->mu);
			h->failed = h->failed || !ok;
			h->hashed++;
			pthread_cond_broadcast(&h->cv);
		} else if (h->want_end) {
			unsigned l = 0;

			if (EVP_DigestFinal_ex(h->md, h->sha, &l) != 1 || l != FILEHASH_LEN)
				h->failed = true;
			h->want_end = false;
			h->ended = true;
			pthread_cond_broadcast(&h->cv);
		} else {
			break; /* stop, with nothing left to hash */
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

struct filehash *filehash_new(size_t block, unsigned slots)
{
	struct filehash *h;

	if (slots < 2 || block == 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->block = block;
	h->n = slots;
	h->buf = malloc(block * slots);
	h->len = calloc(slots, sizeof(*h->len));
	h->md = EVP_MD_CTX_new();
	if (h->buf == NULL || h->len == NULL || h->md == NULL) {
		EVP_MD_CTX_free(h->md);
		free(h->len);
		free(h->buf);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->t, NULL, run, h) != 0) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		EVP_MD_CTX_free(h->md);
		free(h->len);
		free(h->buf);
		free(h);
		return NULL;
	}
	return h;
}

void filehash_free(struct filehash *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->t, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	EVP_MD_CTX_free(h->md);
	free(h->len);
	free(h->buf);
	free(h);
}

int filehash_begin(struct filehash *h)
{
	int rc;

	pthread_mutex_lock(&h->mu);
	/* After a file given up half-way (no end), its blocks are hashed first. */
	while (h->hashed != h->filled)
		pthread_cond_wait(&h->cv, &h->mu);
	h->taken = h->filled;
	h->failed = false;
	rc = EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
	pthread_mutex_unlock(&h->mu);
	return rc;
}

uint8_t *filehash_slot(struct filehash *h)
{
	unsigned i;

	pthread_mutex_lock(&h->mu);
	while (h->taken - h->hashed >= h->n)
		pthread_cond_wait(&h->cv, &h->mu);
	i = h->taken % h->n;
	h->taken++;
	pthread_mutex_unlock(&h->mu);
	return h->buf + (size_t)i * h->block;
}

void filehash_push(struct filehash *h, size_t len)
{
	pthread_mutex_lock(&h->mu);
	h->len[h->filled % h->n] = len;
	h->filled++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

int filehash_end(struct filehash *h, uint8_t sha[FILEHASH_LEN])
{
	int rc;

	pthread_mutex_lock(&h->mu);
	/* A slot taken and not pushed (a failed read) holds nothing to hash. */
	h->taken = h->filled;
	h->want_end = true;
	pthread_cond_broadcast(&h->cv);
	while (!h->ended)
		pthread_cond_wait(&h->cv, &h->mu);
	h->ended = false;
	memcpy(sha, h->sha, FILEHASH_LEN);
	rc = h->failed ? -1 : 0;
	pthread_mutex_unlock(&h->mu);
	return rc;
}
