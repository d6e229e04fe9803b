/* SPDX-License-Identifier: MIT */
/*
 * Where the S3 client's credentials come from: the environment, or the
 * instance profile through the EC2 instance metadata service (IMDSv2).
 * Nothing here logs, and no error text holds a key: the caller logs the
 * error, and the secret only ever goes to libcurl's signer.
 */
#ifndef PF_CTL_SNAPSHOT_S3CREDS_H
#define PF_CTL_SNAPSHOT_S3CREDS_H

#include <stddef.h>

#include "common/compiler.h"

struct s3_creds {
	char access_key[128];
	char secret_key[128];
	char token[2048]; /* empty when the credentials are not temporary */
};

/*
 * Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the
 * optional AWS_SESSION_TOKEN. Returns 0, or -1 (with <c> zeroed) when the
 * first two are not both set or one does not fit.
 */
PF_MUSTCHECK int s3_creds_from_env(struct s3_creds *c);

/*
 * Credentials of the instance profile through IMDSv2 at <base> (NULL:
 * "http://169.254.169.254"): a session token (PUT), the role name, then
 * its credentials, each request with 1 s timeouts and no proxy. Blocks
 * up to about 3 s. Returns 0, or -1 (with <c> zeroed) and the reason,
 * never a secret, in <err>.
 */
PF_MUSTCHECK int s3_creds_from_imds(struct s3_creds *c, const char *base, char *err, size_t errlen);

#endif
