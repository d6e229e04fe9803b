/* SPDX-License-Identifier: MIT */
/*
 * s3rver (the npm S3 clone pinned in tests/peers/package.json) on loopback,
 * through the harness's child API: a data directory under h_tmpdir(), one
 * bucket, a port the kernel picks (tests/harness/s3rver.js). It knows one
 * access key id, "S3RVER" (any other is 403 InvalidAccessKeyId), accepts
 * any SigV4 signature (it does not compute them) and ignores
 * x-amz-request-payer: signing is checked by test_s3_sigv4, not here.
 */
#ifndef PF_TESTS_HARNESS_S3RVER_H
#define PF_TESTS_HARNESS_S3RVER_H

#include <sys/types.h>

#include <stdbool.h>

struct h_s3rver {
	pid_t pid;
	int port;
	char dir[512];
	char log[600];
	char endpoint[64]; /* "http://127.0.0.1:<port>" */
};

/* Starts it with bucket <bucket>; waits for its READY line. False on failure. */
bool h_s3rver_start(struct h_s3rver *s, const char *bucket);

/* Stops it with SIGTERM and asserts exit 0; no-op when not running. */
void h_s3rver_stop(struct h_s3rver *s);

/*
 * tests/harness/s3capture.py on loopback: records every request as a JSON
 * line in <record> and answers like S3 would, checking nothing.
 */
struct h_s3capture {
	pid_t pid;
	int port;
	char record[512];
	char log[600];
	char endpoint[64];
};

/*
 * Starts it; requests go to a new record file under h_tmpdir(). The first
 * <fail_first> requests get 503 SlowDown, and the first <short_gets> GETs
 * of an object stop halfway through the body and close the connection.
 * False on failure.
 */
bool h_s3capture_start(struct h_s3capture *s, int fail_first, int short_gets);

/* Stops it with SIGTERM and asserts exit 0; no-op when not running. */
void h_s3capture_stop(struct h_s3capture *s);

#endif
