/* SPDX-License-Identifier: MIT */
/*
 * What libcurl 7.88's CURLOPT_AWS_SIGV4 signs, checked from outside, since
 * s3rver computes no signature:
 * - the AWS SigV4 test-suite vectors (tests/data/sigv4/): each request is
 *   sent as written, with its fixed X-Amz-Date (curl signs with a date
 *   header the request has), to tests/harness/s3capture.py on loopback,
 *   and the Authorization header it received is compared with the
 *   vector's. The vectors curl 7.88 gets wrong are listed with the reason;
 *   the S3 client never sends such a request (ctl/snapshot/s3.c);
 * - the exact requests the S3 client sends (PUT object, multipart
 *   initiate, upload part, list parts, complete, abort, GET with Range,
 *   HEAD, DELETE, ListObjectsV2; requester-pays and a session token on),
 *   recorded by s3capture.py and re-signed by botocore's S3SigV4Auth
 *   (tests/harness/sigv4_botocore.py), which must agree on the signed
 *   headers and the signature of every one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "ctl/snapshot/s3.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"

#define VEC_KEY    "AKIDEXAMPLE"
#define VEC_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static struct h_s3capture cap;

static void setup(void)
{
	ck_assert_msg(h_s3capture_start(&cap, 0, 0), "s3capture did not start (log %s)", cap.log);
}

static void teardown(void)
{
	h_stop_all();
}

/* The Authorization header of the last request recorded, malloc'd, or NULL. */
static char *last_authz(void)
{
	char *rec = h_read_file(cap.record, NULL), *line, *out = NULL;
	cJSON *j, *h;

	if (rec == NULL)
		return NULL;
	rec[strcspn(rec, "\0")] = '\0';
	while (strlen(rec) > 0 && rec[strlen(rec) - 1] == '\n')
		rec[strlen(rec) - 1] = '\0';
	line = strrchr(rec, '\n') != NULL ? strrchr(rec, '\n') + 1 : rec;
	j = cJSON_Parse(line);
	h = cJSON_GetObjectItemCaseSensitive(j, "headers");
	for (cJSON *kv = h != NULL ? h->child : NULL; kv != NULL; kv = kv->next) {
		cJSON *k = cJSON_GetArrayItem(kv, 0), *v = cJSON_GetArrayItem(kv, 1);

		if (cJSON_IsString(k) && cJSON_IsString(v) &&
		    strcasecmp(k->valuestring, "Authorization") == 0)
			out = strdup(v->valuestring);
	}
	cJSON_Delete(j);
	free(rec);
	return out;
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * Sends vector <name>'s request with curl's signer and returns what the
 * capture server saw as Authorization (malloc'd) and the vector's in <want>.
 */
static char *sign_vector(const char *name, char *want, size_t wantlen)
{
	char path[256], url[1024], method[16], target[900];
	char *req, *authz, *line, *save = NULL;
	struct curl_slist *hdr = NULL;
	CURL *h = curl_easy_init();
	CURLcode rc;
	size_t n;

	snprintf(path, sizeof(path), "tests/data/sigv4/%s.authz", name);
	authz = h_read_file(path, &n);
	ck_assert_ptr_nonnull(authz);
	snprintf(want, wantlen, "%s", authz);
	want[strcspn(want, "\r\n")] = '\0';
	free(authz);
	snprintf(path, sizeof(path), "tests/data/sigv4/%s.req", name);
	req = h_read_file(path, &n);
	ck_assert_ptr_nonnull(req);
	line = strtok_r(req, "\n", &save);
	ck_assert_int_eq(sscanf(line, "%15s %899s HTTP/1.1", method, target), 2);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL)
		hdr = curl_slist_append(hdr, line);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", cap.port, target);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:service");
	curl_easy_setopt(h, CURLOPT_USERNAME, VEC_KEY);
	curl_easy_setopt(h, CURLOPT_PASSWORD, VEC_SECRET);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	rc = curl_easy_perform(h);
	ck_assert_msg(rc == CURLE_OK, "%s: %s", name, curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(req);
	return last_authz();
}

/*
 * Each vector, and whether curl 7.88.1 signs it as the suite says. The
 * ones it does not, and why (lib/http_aws_sigv4.c at curl-7_88_1):
 * - query order: curl signs the query string as given, unsorted;
 * - duplicate header names: curl signs each line on its own, where SigV4
 *   joins the values of one name with commas in the order given.
 */
static const struct {
	const char *name;
	bool curl_ok;
} vectors[] = {
    {"get-vanilla", true},
    {"post-vanilla", true},
    {"get-vanilla-query-order-key", false},
    {"get-vanilla-query-order-key-case", false},
    {"get-vanilla-query-order-value", false},
    {"get-vanilla-empty-query-key", true},
    {"post-vanilla-query", true},
    {"get-unreserved", true},
    {"post-header-key-sort", true},
    {"post-header-value-case", true},
    {"get-header-value-trim", true},
    {"get-header-key-duplicate", false},
    {"get-header-value-order", false},
};

START_TEST(aws_test_vectors)
{
	char want[512];
	char *got = sign_vector(vectors[_i].name, want, sizeof(want));

	ck_assert_msg(got != NULL, "%s: no Authorization header recorded", vectors[_i].name);
	if (vectors[_i].curl_ok)
		ck_assert_msg(strcmp(got, want) == 0, "%s:\n got  %s\n want %s", vectors[_i].name,
		              got, want);
	else
		ck_assert_msg(strcmp(got, want) != 0,
		              "%s: curl now signs it right; update the table and s3.c's comment",
		              vectors[_i].name);
	free(got);
}
END_TEST

#define CROSS_KEY    "AKIAPOLKFURATEST0001"
#define CROSS_SECRET "pfCrossCheckSecret/0123456789+abcdefGHIJ"
#define CROSS_TOKEN  "FwoGZXIvYXdzEPf//////////wEaDPolkfuraTestToken+/="

static int count(const uint8_t *p, size_t len, void *arg)
{
	(void)p;
	*(size_t *)arg += len;
	return 0;
}

static int no_object(const char *key, uint64_t size, void *arg)
{
	(void)key;
	(void)size;
	(void)arg;
	return -1;
}

/* Every request kind the client sends, then botocore's verdict on their signatures. */
START_TEST(botocore_agrees)
{
	struct s3_creds cr = {
	    .access_key = CROSS_KEY, .secret_key = CROSS_SECRET, .token = CROSS_TOKEN};
	struct s3_cfg cfg = {.endpoint = cap.endpoint,
	                     .region = "eu-central-1",
	                     .bucket = "pf-snapshots",
	                     .requester_pays = true,
	                     .attempts = 1};
	const size_t big = 6 * 1024 * 1024; /* over 1 MiB: curl sends Expect: 100-continue */
	uint8_t *part = calloc(1, big);
	char err[256], etag[S3_ETAG_MAX], id[S3_UPLOADID_MAX], cmd[1024], out[8192];
	struct s3_client *c = s3_new(&cfg, &cr, err, sizeof(err));
	struct s3xml_part parts[4];
	struct s3_status st;
	uint64_t size;
	size_t n, got = 0;

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_nonnull(part);
	ck_assert_msg(s3_put(c, "db/a b+c~(1).sst", (const uint8_t *)"abc", 3, etag, &st) == 0,
	              "%s", st.err);
	ck_assert_msg(s3_mpu_init(c, "snap/db.tar.zst", id, &st) == 0, "%s", st.err);
	ck_assert_str_eq(id, "capture/1+2");
	ck_assert_msg(s3_mpu_part(c, "snap/db.tar.zst", id, 1, part, big, parts[0].etag, &st) == 0,
	              "%s", st.err);
	parts[0].number = 1;
	/* Two pages: the second request carries part-number-marker, signed too. */
	ck_assert_msg(s3_mpu_list(c, "snap/db.tar.zst", id, parts + 1, 3, &n, &st) == 0, "%s",
	              st.err);
	ck_assert_uint_eq(n, 3);
	ck_assert_msg(s3_mpu_complete(c, "snap/db.tar.zst", id, parts, 1, &st) == 0, "%s", st.err);
	ck_assert_msg(s3_mpu_abort(c, "snap/db.tar.zst", id, &st) == 0, "%s", st.err);
	ck_assert_msg(s3_get(c, "snap/db.tar.zst", 3, 4, count, &got, &st) == 0, "%s", st.err);
	/* s3capture.py serves from the range's start to the end of its object. */
	ck_assert_uint_eq(got, strlen("hello, capture") - 3);
	ck_assert_msg(s3_head(c, "snap/db.tar.zst", &size, &st) == 0, "%s", st.err);
	ck_assert_msg(s3_delete(c, "db/a b+c~(1).sst", &st) == 0, "%s", st.err);
	ck_assert_msg(s3_list(c, "db/", no_object, NULL, &st) == 0, "%s", st.err);
	s3_free(c);
	free(part);
	snprintf(cmd, sizeof(cmd),
	         "python3 tests/harness/sigv4_botocore.py '%s' " CROSS_KEY " '" CROSS_SECRET
	         "' '" CROSS_TOKEN "' eu-central-1 2>&1",
	         cap.record);
	ck_assert_msg(h_run(cmd, out, sizeof(out)) == 0, "botocore disagrees:\n%s", out);
	ck_assert_msg(strncmp(out, "checked 11\n", 11) == 0, "%s", out);
}
END_TEST

static Suite *sigv4_suite(void)
{
	Suite *s = suite_create("s3_sigv4");
	TCase *tc = tcase_create("vectors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, aws_test_vectors, 0, (int)(sizeof(vectors) / sizeof(vectors[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("botocore");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, botocore_agrees);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = h_run_suite(sigv4_suite());
	curl_global_cleanup();
	return rc;
}
