/* SPDX-License-Identifier: MIT */
/*
 * A file's sha256 computed in a thread of its own while the caller reads
 * and compresses: the caller reads each block into a slot it takes here,
 * pushes it, and uses the slot's bytes until it pushes again; the thread
 * hashes the slots in order and frees them. <slots> blocks of <block> bytes
 * are all the memory: the caller waits for a free slot when the thread is
 * behind. One file at a time: begin, blocks, end.
 * The packer (pack.c) uses it when its caller asks for per-file sums, which
 * in the packer's own thread cost about as much CPU as the compression.
 */
#ifndef PF_CTL_SNAPSHOT_FILEHASH_H
#define PF_CTL_SNAPSHOT_FILEHASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define FILEHASH_LEN 32

struct filehash;

/* Starts the thread with <slots> (2 or more) blocks of <block> bytes. NULL: out of memory. */
struct filehash *filehash_new(size_t block, unsigned slots);

/* Stops the thread and frees everything. NULL is fine. */
void filehash_free(struct filehash *h);

/* Starts a file's digest. 0, or -1 (sha256 failed). */
PF_MUSTCHECK int filehash_begin(struct filehash *h);

/*
 * The next slot to read into (block bytes), once the thread has hashed
 * what it held. Valid until the filehash_push() after the next one.
 */
uint8_t *filehash_slot(struct filehash *h);

/* Hands the <len> bytes at the start of the last slot taken to the thread. */
void filehash_push(struct filehash *h, size_t len);

/* Waits for every pushed block to be hashed; the file's digest into <sha>. 0, or -1. */
PF_MUSTCHECK int filehash_end(struct filehash *h, uint8_t sha[FILEHASH_LEN]);

#endif
