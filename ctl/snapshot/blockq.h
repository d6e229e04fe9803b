/* SPDX-License-Identifier: MIT */
/*
 * A bounded queue of byte blocks from one producer thread to one consumer
 * thread: the tar fetch's download thread (which hashes the object) hands
 * the bytes to the thread that unpacks them (fetch.c). It stands where a
 * pipe stood: a pipe costs two copies through the kernel and a wake-up of
 * the reader for every 64 KiB, where this costs one memcpy and a wake-up
 * per block, and the consumer reads each block in place (libarchive's read
 * callback takes a pointer that stays valid until its next call).
 *
 * Memory: <nblocks> blocks of <blocksize> bytes, allocated by blockq_new and
 * never more. The producer waits while every block is full or still held
 * by the consumer.
 */
#ifndef PF_CTL_SNAPSHOT_BLOCKQ_H
#define PF_CTL_SNAPSHOT_BLOCKQ_H

#include <stddef.h>

#include "common/compiler.h"

struct blockq;

/*
 * A queue of <nblocks> (at least 2) blocks of <blocksize> (at least 1)
 * bytes. Returns NULL when out of memory; free with blockq_free once both
 * threads are done with it.
 */
struct blockq *blockq_new(size_t nblocks, size_t blocksize);

/* Frees <q>; NULL does nothing. */
void blockq_free(struct blockq *q);

/*
 * Producer: copies <len> bytes from <p> into the queue, waiting for a free
 * block when none is. Full blocks go to the consumer at once, the last
 * partly filled one at blockq_finish. Returns 0, or -1 when the consumer
 * has called blockq_stop (nothing more will be read).
 */
PF_MUSTCHECK int blockq_put(struct blockq *q, const void *p, size_t len);

/* Producer: no more bytes; the consumer gets the last block, then the end. */
void blockq_finish(struct blockq *q);

/*
 * Consumer: gives back the block the previous call returned and waits for
 * the next one. Returns its length with *<p> pointing at it (valid until
 * the next call of blockq_get or blockq_stop), or 0 at the end (after
 * blockq_finish and the last block, or after blockq_stop).
 */
size_t blockq_get(struct blockq *q, const void **p);

/*
 * Consumer: reads no more. A producer waiting in blockq_put, and every
 * later call of it, returns -1.
 */
void blockq_stop(struct blockq *q);

#endif
