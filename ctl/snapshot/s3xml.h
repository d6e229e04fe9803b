/* SPDX-License-Identifier: MIT */
/*
 * The few fields the S3 client reads from S3's XML answers: UploadId,
 * ETag, the parts of ListParts, Contents/Key/Size of ListObjectsV2 and
 * Error/Code/Message. Not an XML parser: it finds elements by name and
 * reads the text of leaf elements, strictly (see s3xml.c for what it
 * refuses and why that is safe for these answers). Pure: no I/O, no
 * allocation; the caller owns every buffer.
 */
#ifndef PF_CTL_SNAPSHOT_S3XML_H
#define PF_CTL_SNAPSHOT_S3XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

/* A range of the document: [p, p + len), borrowed from it. */
struct s3xml_span {
	const char *p;
	size_t len;
};

/*
 * Finds the next element <name> (attributes allowed, <name/> is empty) that
 * starts at or after <*pos> in <doc>, and sets <inner> to its content and
 * <*pos> past its end tag. Elements with the same name must not nest.
 * Returns 1 when found, 0 when there is none, PF_EPROTO when the document is
 * malformed where it looked (no end tag, nesting, a comment, CDATA or a
 * processing instruction inside the element).
 */
PF_MUSTCHECK int s3xml_next(struct s3xml_span doc, size_t *pos, const char *name,
                            struct s3xml_span *inner);

/*
 * The text of the first leaf element <name> in <doc>, entity-decoded into
 * <out> (NUL-terminated, at most <outlen> - 1 bytes). A leaf holds no '<'.
 * Returns 1 when found, 0 when absent, PF_EPROTO when malformed, when the
 * text does not fit, has an unknown entity or decodes to a NUL byte; <out>
 * is "" unless it returns 1 (<outlen> must be at least 1).
 */
PF_MUSTCHECK int s3xml_text(struct s3xml_span doc, const char *name, char *out, size_t outlen);

/*
 * The same for a decimal unsigned number (digits only, no sign or space,
 * at most 2^63 - 1). Returns 1, 0 or PF_EPROTO like s3xml_text().
 */
PF_MUSTCHECK int s3xml_u64(struct s3xml_span doc, const char *name, uint64_t *out);

#define S3XML_ETAG_MAX 128

/* One part of a multipart upload, as ListParts gives it and Complete takes it. */
struct s3xml_part {
	int number; /* 1..10000 */
	uint64_t size;
	char etag[S3XML_ETAG_MAX]; /* with its quotes, as S3 sends it */
};

/*
 * The next <Part> of a ListParts answer from <*pos> into <part>. Returns 1,
 * 0 when there is no more, PF_EPROTO when one lacks a field or its number
 * is out of 1..10000.
 */
PF_MUSTCHECK int s3xml_next_part(struct s3xml_span doc, size_t *pos, struct s3xml_part *part);

/*
 * Where the next ListParts page starts: 0 with <*marker> 0 when this page
 * is the last, 1 with NextPartNumberMarker (1..10000) in <*marker> when it
 * is truncated, PF_EPROTO when truncated without a valid marker.
 */
PF_MUSTCHECK int s3xml_parts_marker(struct s3xml_span doc, int *marker);

/*
 * The next <Contents> of a ListObjectsV2 answer from <*pos>: its Key into
 * <key> (<keylen> bytes with the NUL), its Size into <*size>. Returns 1, 0
 * when there is no more, PF_EPROTO when malformed or the key is empty or
 * does not fit.
 */
PF_MUSTCHECK int s3xml_next_object(struct s3xml_span doc, size_t *pos, char *key, size_t keylen,
                                   uint64_t *size);

/*
 * The continuation token of a ListObjectsV2 page: 0 with <next> "" when it
 * is the last, 1 with NextContinuationToken in <next> when it is
 * truncated, PF_EPROTO when truncated without a token that fits.
 */
PF_MUSTCHECK int s3xml_list_token(struct s3xml_span doc, char *next, size_t nextlen);

/* The whole of a NUL-terminated string as a span. */
struct s3xml_span s3xml_span_str(const char *s);

#endif
