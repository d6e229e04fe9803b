/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for the checksum `db migrate` records of each
 * migration file: the same value `sha256sum` prints, so an operator can
 * check a recorded checksum against a file by hand. Pure: no I/O.
 */
#ifndef PF_CTL_DB_SHA256_H
#define PF_CTL_DB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN     32
#define SHA256_HEX_LEN (2 * SHA256_LEN) /* without the NUL */

/* Writes the digest of <p>/<len> into <out>. */
void sha256(const uint8_t *p, size_t len, uint8_t out[SHA256_LEN]);

/* Writes the digest of <p>/<len> as lower-case hex and a NUL into <hex>. */
void sha256_hex(const uint8_t *p, size_t len, char hex[SHA256_HEX_LEN + 1]);

/* Writes a digest made elsewhere (a streamed one) as lower-case hex and a NUL into <hex>. */
void sha256_digest_hex(const uint8_t d[SHA256_LEN], char hex[SHA256_HEX_LEN + 1]);

#endif
