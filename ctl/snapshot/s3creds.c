/* SPDX-License-Identifier: MIT */
/*
 * The environment and IMDSv2 (see s3creds.h). IMDSv2 rather than v1: an
 * instance can then require tokens, which closes the SSRF path to its
 * credentials; each answer is read into a fixed 8 KiB buffer and the
 * credentials document is parsed with cJSON (a cold path, once a run).
 */
#include "ctl/snapshot/s3creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

int s3_creds_from_env(struct s3_creds *c)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *key = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");

	memset(c, 0, sizeof(*c));
	if (id == NULL || key == NULL || *id == '\0' || *key == '\0')
		return -1;
	if (strlen(id) >= sizeof(c->access_key) || strlen(key) >= sizeof(c->secret_key) ||
	    (tok != NULL && strlen(tok) >= sizeof(c->token)))
		return -1;
	memcpy(c->access_key, id, strlen(id) + 1);
	memcpy(c->secret_key, key, strlen(key) + 1);
	if (tok != NULL)
		memcpy(c->token, tok, strlen(tok) + 1);
	return 0;
}

static size_t imds_write(char *p, size_t size, size_t n, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf), add = size * n;

	if (have + add >= 8192)
		return 0;
	memcpy(buf + have, p, add);
	buf[have + add] = '\0';
	return add;
}

/* One IMDS request into <out> (8 KiB, NUL-terminated); 0 on 200. */
static int imds_get(const char *url, const char *put_ttl, const char *token, char *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char line[256];
	long code = 0;
	CURLcode rc;

	if (h == NULL)
		return -1;
	out[0] = '\0';
	if (put_ttl != NULL) {
		snprintf(line, sizeof(line), "X-aws-ec2-metadata-token-ttl-seconds: %s", put_ttl);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	} else {
		snprintf(line, sizeof(line), "X-aws-ec2-metadata-token: %.200s", token);
	}
	hdr = curl_slist_append(hdr, line);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, imds_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return hdr != NULL && rc == CURLE_OK && code == 200 ? 0 : -1;
}

/* Copies the string <name> of <obj> into <out>; -1 when absent or too long. */
static int json_str(const cJSON *obj, const char *name, char *out, size_t outlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen)
		return -1;
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

int s3_creds_from_imds(struct s3_creds *c, const char *base, char *err, size_t errlen)
{
	static char token[8192], role[8192], doc[8192];
	char url[512];
	cJSON *j = NULL;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (base == NULL)
		base = "http://169.254.169.254";
	snprintf(url, sizeof(url), "%.200s/latest/api/token", base);
	if (imds_get(url, "21600", NULL, token) == -1 || token[0] == '\0') {
		snprintf(err, errlen, "instance metadata: no IMDSv2 token from %s", base);
		goto out;
	}
	snprintf(url, sizeof(url), "%.200s/latest/meta-data/iam/security-credentials/", base);
	if (imds_get(url, NULL, token, role) == -1 || role[0] == '\0' ||
	    strcspn(role, "\r\n/?#") != strlen(role) || strlen(role) > 200) {
		snprintf(err, errlen, "instance metadata: no instance profile role");
		goto out;
	}
	snprintf(url, sizeof(url), "%.200s/latest/meta-data/iam/security-credentials/%.200s", base,
	         role);
	if (imds_get(url, NULL, token, doc) == -1 || (j = cJSON_Parse(doc)) == NULL) {
		snprintf(err, errlen, "instance metadata: no credentials for role %.200s", role);
		goto out;
	}
	if (json_str(j, "AccessKeyId", c->access_key, sizeof(c->access_key)) == -1 ||
	    json_str(j, "SecretAccessKey", c->secret_key, sizeof(c->secret_key)) == -1 ||
	    json_str(j, "Token", c->token, sizeof(c->token)) == -1) {
		snprintf(err, errlen, "instance metadata: credentials of role %.200s incomplete",
		         role);
		memset(c, 0, sizeof(*c));
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(j);
	memset(token, 0, sizeof(token));
	memset(doc, 0, sizeof(doc));
	return ret;
}
