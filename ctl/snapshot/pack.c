/* SPDX-License-Identifier: MIT */
/*
 * The streaming packer (pack.h). libarchive writes the tar, uncompressed,
 * to tar_cb; tar_cb feeds libzstd's streaming compressor, and each full
 * PACK_BLOCK_SIZE of compressed output goes to the caller. Memory is bounded
 * by the read buffer (PACK_READ_SIZE), libarchive's tar block
 * (PACK_TAR_BLOCK), the output block and the compressor: at level 3 a 2 MiB
 * window (windowLog 21 in libzstd's table of default parameters), and with
 * workers about three jobs of PACK_ZSTD_JOB_SIZE each, input and output.
 * None of it grows with the size of the tree. libzstd is called directly, not
 * through libarchive's zstd filter, for the job size: the filter leaves it to
 * libzstd's default (4 x the window and more), which took 2 workers to 115 MB
 * of RSS. sha256 comes from OpenSSL's EVP (libcrypto is already on the
 * machine for libcurl's TLS).
 */
#include "ctl/snapshot/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define PACK_TAR_BLOCK (256 * 1024) /* what libarchive hands tar_cb at once */

struct packer {
	const struct pack_opts *o; /* borrowed from pack_tree's caller */
	struct archive *a;
	struct archive_entry *entry;
	ZSTD_CCtx *z;
	uint8_t *zbuf; /* PACK_BLOCK_SIZE of compressed output, zpos of it filled */
	size_t zpos;
	EVP_MD_CTX *stream_md; /* over the compressed output */
	EVP_MD_CTX *file_md;   /* over one file's contents, reset per file */
	uint64_t bytes;
	uint8_t *buf;   /* PACK_READ_SIZE */
	char werr[256]; /* the write callback's or zstd's reason, kept past libarchive's own */
	bool write_failed;
	bool discard; /* failed: what libarchive still flushes is dropped */
};

/* Hands <len> compressed bytes to the caller and the stream's sha256. */
static int emit(struct packer *pk, const void *p, size_t len)
{
	if (pk->o->write(pk->o->write_ctx, p, len, pk->werr, sizeof(pk->werr)) == -1)
		return -1;
	if (EVP_DigestUpdate(pk->stream_md, p, len) != 1) {
		snprintf(pk->werr, sizeof(pk->werr), "sha256 failed");
		return -1;
	}
	pk->bytes += len;
	return 0;
}

/*
 * Compresses <len> bytes of tar with <mode> ZSTD_e_continue, or ends the
 * frame with ZSTD_e_end (then <len> is 0), emitting each full output block
 * and, at the end, the rest. With workers, ZSTD_e_continue returns once the
 * input is taken: the jobs compress while this thread reads on.
 */
static int compress(struct packer *pk, const void *p, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {p, len, 0};

	for (;;) {
		ZSTD_outBuffer out = {pk->zbuf, PACK_BLOCK_SIZE, pk->zpos};
		size_t left = ZSTD_compressStream2(pk->z, &out, &in, mode);
		bool done;

		if (ZSTD_isError(left)) {
			snprintf(pk->werr, sizeof(pk->werr), "zstd: %s", ZSTD_getErrorName(left));
			return -1;
		}
		pk->zpos = out.pos;
		done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
		if (pk->zpos == PACK_BLOCK_SIZE || (done && mode == ZSTD_e_end && pk->zpos > 0)) {
			if (emit(pk, pk->zbuf, pk->zpos) == -1)
				return -1;
			pk->zpos = 0;
		}
		if (done)
			return 0;
	}
}

static la_ssize_t tar_cb(struct archive *a, void *ctx, const void *p, size_t len)
{
	struct packer *pk = ctx;

	(void)a;
	if (pk->discard)
		return (la_ssize_t)len;
	if (compress(pk, p, len, ZSTD_e_continue) == -1) {
		pk->write_failed = true;
		return -1;
	}
	return (la_ssize_t)len;
}

/* libarchive's error, unless the write callback's own is the cause. */
static int arc_fail(struct packer *pk, const char *rel, const char *what, char *err, size_t errlen)
{
	if (pk->write_failed)
		snprintf(err, errlen, "%s", pk->werr);
	else
		snprintf(err, errlen, "%s: %s: %s", rel, what, archive_error_string(pk->a));
	return -1;
}

/* Copies <e>'s file into the archive and hashes it in the same pass. */
static int copy_file(struct packer *pk, const struct walk_entry *e, uint8_t sha[PACK_SHA256_LEN],
                     char *err, size_t errlen)
{
	uint64_t left = e->size;
	unsigned mdlen = 0;
	/* Hashing is most of the packer's CPU (tests/bench/pack_bench.sh): only when asked. */
	bool hash = pk->o->on_file != NULL;
	ssize_t n;

	if (hash && EVP_DigestInit_ex(pk->file_md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "%s: sha256 failed", e->rel);
		return -1;
	}
	while (left > 0) {
		size_t want = left < PACK_READ_SIZE ? (size_t)left : PACK_READ_SIZE;

		n = read(e->fd, pk->buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: read: %s", e->rel, strerror(errno));
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s: shrank while read", e->rel);
			return -1;
		}
		if (hash && EVP_DigestUpdate(pk->file_md, pk->buf, (size_t)n) != 1) {
			snprintf(err, errlen, "%s: sha256 failed", e->rel);
			return -1;
		}
		if (archive_write_data(pk->a, pk->buf, (size_t)n) != n)
			return arc_fail(pk, e->rel, "write", err, errlen);
		left -= (uint64_t)n;
	}
	/* The header said <size>: a byte more means the archive would be wrong. */
	do
		n = read(e->fd, pk->buf, 1);
	while (n == -1 && errno == EINTR);
	if (n != 0) {
		snprintf(err, errlen, "%s: %s", e->rel,
		         n > 0 ? "grew while read" : strerror(errno));
		return -1;
	}
	if (hash &&
	    (EVP_DigestFinal_ex(pk->file_md, sha, &mdlen) != 1 || mdlen != PACK_SHA256_LEN)) {
		snprintf(err, errlen, "%s: sha256 failed", e->rel);
		return -1;
	}
	return 0;
}

static int entry_cb(void *ctx, const struct walk_entry *e, char *err, size_t errlen)
{
	struct packer *pk = ctx;
	struct archive_entry *ae = pk->entry;
	uint8_t sha[PACK_SHA256_LEN];

	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->rel);
	archive_entry_set_filetype(ae, e->is_dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ae, (mode_t)e->mode);
	archive_entry_set_size(ae, (la_int64_t)e->size);
	archive_entry_set_mtime(ae, (time_t)e->mtime, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	if (archive_write_header(pk->a, ae) != ARCHIVE_OK)
		return arc_fail(pk, e->rel, "header", err, errlen);
	if (e->is_dir)
		return 0;
	if (copy_file(pk, e, sha, err, errlen) == -1)
		return -1;
	if (archive_write_finish_entry(pk->a) != ARCHIVE_OK)
		return arc_fail(pk, e->rel, "finish", err, errlen);
	if (pk->o->on_file != NULL)
		return pk->o->on_file(pk->o->file_ctx, e->rel, e->size, sha, err, errlen);
	return 0;
}

/* The compressor: <o>'s level, and its workers with a fixed job size. */
static int open_zstd(struct packer *pk, char *err, size_t errlen)
{
	const struct pack_opts *o = pk->o;
	size_t rc;

	pk->z = ZSTD_createCCtx();
	if (pk->z == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = ZSTD_CCtx_setParameter(pk->z, ZSTD_c_compressionLevel,
	                            o->level > 0 ? o->level : PACK_ZSTD_LEVEL);
	/* `zstd -d` and `tar --zstd -x` verify the frame's checksum, as zstd(1) writes it. */
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setParameter(pk->z, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(rc) && o->threads > 0)
		rc = ZSTD_CCtx_setParameter(pk->z, ZSTD_c_nbWorkers, o->threads);
	if (!ZSTD_isError(rc) && o->threads > 0)
		rc = ZSTD_CCtx_setParameter(pk->z, ZSTD_c_jobSize, PACK_ZSTD_JOB_SIZE);
	if (ZSTD_isError(rc)) {
		snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(rc));
		return -1;
	}
	return 0;
}

/* Creates the archive writer: pax restricted, uncompressed, to tar_cb. */
static int open_archive(struct packer *pk, char *err, size_t errlen)
{
	pk->a = archive_write_new();
	if (pk->a == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (archive_write_set_format_pax_restricted(pk->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(pk->a, PACK_TAR_BLOCK) != ARCHIVE_OK ||
	    /* The tar ends at its end-of-archive blocks: no padding to a block size. */
	    archive_write_set_bytes_in_last_block(pk->a, 1) != ARCHIVE_OK) {
		snprintf(err, errlen, "libarchive: %s", archive_error_string(pk->a));
		return -1;
	}
	if (archive_write_open2(pk->a, pk, NULL, tar_cb, NULL, NULL) != ARCHIVE_OK)
		return arc_fail(pk, ".", "open", err, errlen);
	return 0;
}

int pack_tree(const char *base, const struct pack_opts *o, struct pack_result *r, char *err,
              size_t errlen)
{
	struct packer pk = {.o = o};
	unsigned mdlen = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	pk.buf = malloc(PACK_READ_SIZE);
	pk.zbuf = malloc(PACK_BLOCK_SIZE);
	pk.entry = archive_entry_new();
	pk.stream_md = EVP_MD_CTX_new();
	pk.file_md = EVP_MD_CTX_new();
	if (pk.buf == NULL || pk.zbuf == NULL || pk.entry == NULL || pk.stream_md == NULL ||
	    pk.file_md == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(pk.stream_md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "sha256 failed");
		goto out;
	}
	if (open_zstd(&pk, err, errlen) == -1 || open_archive(&pk, err, errlen) == -1)
		goto out;
	if (walk_tree(base, o->ex, entry_cb, &pk, &r->walk, err, errlen) == -1)
		goto out;
	/* Close writes the end of the tar; then the rest of the zstd frame. */
	if (archive_write_close(pk.a) != ARCHIVE_OK) {
		arc_fail(&pk, ".", "close", err, errlen);
		goto out;
	}
	if (compress(&pk, NULL, 0, ZSTD_e_end) == -1) {
		snprintf(err, errlen, "%s", pk.werr);
		goto out;
	}
	if (EVP_DigestFinal_ex(pk.stream_md, r->sha256, &mdlen) != 1 || mdlen != PACK_SHA256_LEN) {
		snprintf(err, errlen, "sha256 failed");
		goto out;
	}
	r->bytes = pk.bytes;
	rc = 0;
out:
	pk.discard = rc == -1;
	if (pk.a != NULL)
		archive_write_free(pk.a); /* closes first if still open: flushes to tar_cb */
	ZSTD_freeCCtx(pk.z);
	free(pk.zbuf);
	EVP_MD_CTX_free(pk.file_md);
	EVP_MD_CTX_free(pk.stream_md);
	archive_entry_free(pk.entry);
	free(pk.buf);
	return rc;
}
