/* SPDX-License-Identifier: MIT */
/*
 * A small S3 client on libcurl easy handles, for the snapshot commands:
 * objects (PUT, GET with Range streamed into a callback, HEAD, DELETE),
 * multipart uploads (initiate, upload part, list parts, complete, abort)
 * and ListObjectsV2. Every call blocks until done: the CLI runs one
 * command at a time, and parallel parts are parallel clients, one per
 * thread. Signing is libcurl's CURLOPT_AWS_SIGV4; this module builds the
 * URL and query in the canonical form curl 7.88 signs as given (see s3.c).
 * Transient failures (connection errors, timeouts, 5xx, 429) are retried
 * with exponential back-off, a bounded number of times. Never logs; the
 * secret key is only handed to curl, never put in an error text.
 */
#ifndef PF_CTL_SNAPSHOT_S3_H
#define PF_CTL_SNAPSHOT_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/snapshot/s3creds.h"
#include "ctl/snapshot/s3xml.h"

#define S3_ETAG_MAX     S3XML_ETAG_MAX
#define S3_UPLOADID_MAX 1024
#define S3_KEY_MAX      1024

struct s3_cfg {
	/* "http(s)://host[:port]" of an S3-compatible service (path style), or NULL: AWS. */
	const char *endpoint;
	const char *region; /* "eu-west-1" */
	const char *bucket;
	bool path_style;         /* forced on with an endpoint */
	bool requester_pays;     /* send x-amz-request-payer: requester */
	int attempts;            /* tries per request, >= 1; 0 means 5 */
	long backoff_ms;         /* first back-off, doubled each retry; 0 means 200 */
	long timeout_ms;         /* per transfer; 0: none (big objects) */
	long connect_timeout_ms; /* 0 means 10000 */
};

/* The outcome of one request: HTTP status and S3's error, or curl's. */
struct s3_status {
	long http;     /* 0 when no answer came */
	int tries;     /* how many attempts were made */
	char code[64]; /* S3 Error/Code, "" when none */
	char err[512]; /* a readable reason, "" on success */
};

/* Called with each piece of a GET's body; returns 0, or -1 to stop the transfer. */
typedef int (*s3_data_cb_fn)(const uint8_t *p, size_t len, void *arg);

/* Called with each object of a listing; returns 0, or -1 to stop. */
typedef int (*s3_list_cb_fn)(const char *key, uint64_t size, void *arg);

struct s3_client;

/*
 * A client for <cfg> (its strings copied) signing with <creds> (copied).
 * Returns NULL with the reason in <err>. Free with s3_free().
 */
struct s3_client *s3_new(const struct s3_cfg *cfg, const struct s3_creds *creds, char *err,
                         size_t errlen);
void s3_free(struct s3_client *c);

/*
 * A second client with <c>'s settings and credentials and its own curl
 * handle, for another thread (a handle is never shared between threads).
 * Returns NULL with the reason in <err>. Free with s3_free().
 */
struct s3_client *s3_dup(const struct s3_client *c, char *err, size_t errlen);

/*
 * The URL of <key> (NULL: the bucket) into <out>: path style
 * "<endpoint>/<bucket>/<key>" or virtual-hosted
 * "https://<bucket>.s3.<region>.amazonaws.com/<key>", the key
 * percent-encoded as SigV4 canonicalises it. Returns 0 or -1 when it does
 * not fit.
 */
PF_MUSTCHECK int s3_url(const struct s3_client *c, const char *key, char *out, size_t outlen);

/* Each call below returns 0 on a 2xx answer, -1 otherwise, with details in <st>. */

/* PUT <body>/<len> as <key>; its ETag into <etag> (may be NULL). */
PF_MUSTCHECK int s3_put(struct s3_client *c, const char *key, const uint8_t *body, size_t len,
                        char etag[S3_ETAG_MAX], struct s3_status *st);

/*
 * GET <key> from byte <off>, <len> bytes (0: to the end), each piece to
 * <cb>. A transfer that fails after bytes were delivered is not retried:
 * the caller resumes with a Range from what it has.
 */
PF_MUSTCHECK int s3_get(struct s3_client *c, const char *key, uint64_t off, uint64_t len,
                        s3_data_cb_fn cb, void *arg, struct s3_status *st);

/* HEAD <key>: its size into <*size>. A missing key is -1 with st->http 404. */
PF_MUSTCHECK int s3_head(struct s3_client *c, const char *key, uint64_t *size,
                         struct s3_status *st);

PF_MUSTCHECK int s3_delete(struct s3_client *c, const char *key, struct s3_status *st);

/* Initiates a multipart upload of <key>; its id into <upload_id>. */
PF_MUSTCHECK int s3_mpu_init(struct s3_client *c, const char *key, char upload_id[S3_UPLOADID_MAX],
                             struct s3_status *st);

/* Uploads part <number> (1..10000); its ETag into <etag>. */
PF_MUSTCHECK int s3_mpu_part(struct s3_client *c, const char *key, const char *upload_id,
                             int number, const uint8_t *body, size_t len, char etag[S3_ETAG_MAX],
                             struct s3_status *st);

/*
 * The parts already uploaded (to resume an interrupted upload), all pages,
 * into <parts> (up to <max>), their count into <*n>. More than <max> is -1.
 */
PF_MUSTCHECK int s3_mpu_list(struct s3_client *c, const char *key, const char *upload_id,
                             struct s3xml_part *parts, size_t max, size_t *n, struct s3_status *st);

/* Completes the upload from <parts> (ascending numbers), <n> of them. */
PF_MUSTCHECK int s3_mpu_complete(struct s3_client *c, const char *key, const char *upload_id,
                                 const struct s3xml_part *parts, size_t n, struct s3_status *st);

PF_MUSTCHECK int s3_mpu_abort(struct s3_client *c, const char *key, const char *upload_id,
                              struct s3_status *st);

/* Lists the objects under <prefix> (may be ""), all pages, each to <cb>. */
PF_MUSTCHECK int s3_list(struct s3_client *c, const char *prefix, s3_list_cb_fn cb, void *arg,
                         struct s3_status *st);

#endif
