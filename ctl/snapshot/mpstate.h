/* SPDX-License-Identifier: MIT */
/*
 * The state file of one multipart upload (ctl/snapshot/mpwrite.c), so that
 * a publish killed halfway resumes the upload on its next run: a header
 * naming the object's URL, the upload id and the part size, then one line
 * per part uploaded, in the order they completed (parts go up in
 * parallel), with its size, sha256 and ETag:
 *
 *   polkfura-mpu 1
 *   url http://127.0.0.1:4568/pf-snapshots/chains/polkadot/123-0a0b0c0d/snapshot.tar.zst
 *   upload 9f3c...
 *   part_size 67108864
 *   part 1 67108864 <sha256 hex> "<etag>"
 *
 * Part lines are appended, one write() each, rather than the file
 * rewritten after each part (10,000 parts would make that quadratic); a
 * last line cut short by a kill has no newline and is ignored. A later line
 * for the same part number replaces an earlier one. Pure: no I/O.
 */
#ifndef PF_CTL_SNAPSHOT_MPSTATE_H
#define PF_CTL_SNAPSHOT_MPSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/db/sha256.h"
#include "ctl/snapshot/s3xml.h"

#define MPSTATE_URL_MAX   2048
#define MPSTATE_ID_MAX    1024
#define MPSTATE_PARTS_MAX 10000 /* S3's limit of parts per upload */
#define MPSTATE_LINE_MAX  (32 + SHA256_HEX_LEN + S3XML_ETAG_MAX)

struct mpstate_part {
	bool have;
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
	char etag[S3XML_ETAG_MAX];
};

struct mpstate {
	char url[MPSTATE_URL_MAX];
	char upload_id[MPSTATE_ID_MAX];
	uint64_t part_size;
	struct mpstate_part *parts; /* the caller's MPSTATE_PARTS_MAX entries, part n at [n - 1] */
	size_t n_have;              /* entries with have set */
};

/*
 * Parses the file's text <p>/<len> into <st> (its <parts> array provided
 * and zeroed by the caller). Returns 0, or -1 with the reason in <err>
 * when the header is missing or any complete line is malformed.
 */
PF_MUSTCHECK int mpstate_parse(const char *p, size_t len, struct mpstate *st, char *err,
                               size_t errlen);

/* The header lines of <st> into <out>. Returns their length, or -1 when they do not fit. */
PF_MUSTCHECK long mpstate_header(const struct mpstate *st, char *out, size_t outlen);

/* One part line into <out> (MPSTATE_LINE_MAX is enough). Returns its length, or -1. */
PF_MUSTCHECK long mpstate_part_line(int number, const struct mpstate_part *pt, char *out,
                                    size_t outlen);

/*
 * The files target's record (ctl/snapshot/filestate.h): after the header
 * "polkfura-files 1\nurl <the snapshot directory's URL>\n", one line per
 * file whose object S3 acknowledged: "file <size> <sha256 hex> <path>",
 * the path last and whole (it may hold spaces; never a newline, which
 * filelist_check_path refuses).
 */
#define MPSTATE_FILES_MAGIC "polkfura-files 1"

/* One file line into <out>. Returns its length, or -1 when it does not fit. */
PF_MUSTCHECK long mpstate_file_line(const char *rel, uint64_t size,
                                    const char sha_hex[SHA256_HEX_LEN + 1], char *out,
                                    size_t outlen);

/*
 * Parses one file line <s>/<len> (no newline) into <*size>, <sha_hex>, and
 * the path, <*rel>/<*rel_len> pointing into <s>. Returns 0 or -1.
 */
PF_MUSTCHECK int mpstate_parse_file_line(const char *s, size_t len, uint64_t *size,
                                         char sha_hex[SHA256_HEX_LEN + 1], const char **rel,
                                         size_t *rel_len);

#endif
