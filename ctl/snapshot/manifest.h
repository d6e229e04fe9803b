/* SPDX-License-Identifier: MIT */
/*
 * A snapshot's manifest and the per-chain latest.json that points at it
 * (docs/snapshot-format.md): the typed structs, a writer and a strict
 * parser. Pure: text in, struct out and back, no I/O and no clock (the
 * publisher passes the creation time in).
 *
 * Strict means: the top level says "format": 1 and a reader refuses any
 * other number; unknown and duplicate keys are refused, so a field a
 * reader does not understand can never be silently ignored (a new field
 * is a new format number); every name passes safepath_check(); hashes are
 * lower-case hex of their exact length; sizes are JSON integers from 0 to
 * 2^53 - 1, the range every JSON reader holds exactly (RFC 7493, 2.2).
 */
#ifndef PF_CTL_SNAPSHOT_MANIFEST_H
#define PF_CTL_SNAPSHOT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/text.h"

#define MANIFEST_FORMAT        1
#define MANIFEST_TEXT_MAX      65536 /* bytes of a manifest or latest.json; more is refused */
#define MANIFEST_ARTIFACTS_MAX 8
#define MANIFEST_NAME_MAX      255 /* bytes of an object name, relative to its directory */
#define MANIFEST_TOOL_MAX      64
#define MANIFEST_SHA256_HEX    64
#define MANIFEST_HASH_HEX      (2 + 64)            /* "0x" and a 32-byte block hash */
#define MANIFEST_CID_LEN       59                  /* 'b' + base32 of a CIDv1 with a sha2-256 */
#define MANIFEST_TIME_LEN      20                  /* "2026-12-06T13:46:53Z" */
#define MANIFEST_INT_MAX       9007199254740991ULL /* 2^53 - 1 */

enum manifest_kind {
	MANIFEST_KIND_FILES = 0, /* the database's own files under <name>/, uncompressed */
	MANIFEST_KIND_TAR_ZST,   /* one zstd-compressed tar */
	MANIFEST_KIND_COUNT,
};

/* Names are relative to the snapshot's directory (chains/<chain>/<snapshot>/). */
struct manifest_artifact {
	enum manifest_kind kind;
	char name[MANIFEST_NAME_MAX + 1]; /* the tar's object, or the files' directory */
	uint64_t size;                    /* bytes: the tar's, or all the files' together */
	/* tar.zst: of the tar object; files: of the checksum list <sums> */
	char sha256[MANIFEST_SHA256_HEX + 1];
	char cid[MANIFEST_CID_LEN + 1]; /* IPFS CIDv1, "" when not published there */
	/* files only ("" for a tar): the rclone --files-from list, and the sha256sum list */
	char file_list[MANIFEST_NAME_MAX + 1];
	char sums[MANIFEST_NAME_MAX + 1];
};

struct manifest {
	char chain[PF_CHAIN_NAME_MAX + 1];
	uint64_t height;                        /* finalized block the snapshot holds */
	char block_hash[MANIFEST_HASH_HEX + 1]; /* that block's hash, "0x" + 64 hex */
	char created[MANIFEST_TIME_LEN + 1];    /* RFC 3339, UTC, whole seconds */
	char tool[MANIFEST_TOOL_MAX + 1];       /* "polkfura-ctl <version>", printable ASCII */
	struct manifest_artifact a[MANIFEST_ARTIFACTS_MAX];
	unsigned n;
};

/* latest.json: the one object rewritten by every publish, written last. */
struct manifest_latest {
	char chain[PF_CHAIN_NAME_MAX + 1];
	uint64_t height;
	char manifest[MANIFEST_NAME_MAX +
	              1]; /* "<snapshot>/manifest.json", relative to chains/<chain>/ */
	char sha256[MANIFEST_SHA256_HEX + 1]; /* of that manifest's bytes */
};

/*
 * Checks every invariant above on <m> (what the parser guarantees and the
 * writer requires). Returns 0, or -1 with the field and the reason in <err>.
 */
PF_MUSTCHECK int manifest_check(const struct manifest *m, char *err, size_t errlen);

/*
 * Parses the JSON text <p>/<len> into <m> (zeroed first, so two parses of
 * equal documents compare equal with memcmp). Returns 0, or -1 with the
 * field and the reason in <err>; <m> is then unspecified.
 */
PF_MUSTCHECK int manifest_parse(struct manifest *m, const char *p, size_t len, char *err,
                                size_t errlen);

/*
 * Writes <m> as JSON into <out>/<cap> with a NUL. Returns the length
 * without the NUL, or -1 when <m> fails manifest_check() (<err> says why),
 * when it does not fit, or on allocation failure.
 */
PF_MUSTCHECK long manifest_write(const struct manifest *m, char *out, size_t cap, char *err,
                                 size_t errlen);

/* manifest_check/_parse/_write for latest.json, with the same contract. */
PF_MUSTCHECK int manifest_latest_check(const struct manifest_latest *l, char *err, size_t errlen);
PF_MUSTCHECK int manifest_latest_parse(struct manifest_latest *l, const char *p, size_t len,
                                       char *err, size_t errlen);
PF_MUSTCHECK long manifest_latest_write(const struct manifest_latest *l, char *out, size_t cap,
                                        char *err, size_t errlen);

/* The artifact kind's name in the manifest ("files", "tar.zst"), static. */
const char *manifest_kind_name(enum manifest_kind k);

/*
 * Formats the Unix time <t> (seconds, from 0 to year 9999) as the manifest's
 * "created" into <out>. Returns 0, or -1 when out of range.
 */
PF_MUSTCHECK int manifest_format_time(int64_t t, char out[MANIFEST_TIME_LEN + 1]);

#endif
