/* SPDX-License-Identifier: MIT */
/*
 * The S3 client: one curl easy handle per client, reused so connections
 * are kept alive, reset before each request.
 *
 * What curl 7.88.1 signs (lib/http_aws_sigv4.c at curl-7_88_1), and what
 * that asks of us:
 * - the path and the query string exactly as in the URL: it neither
 *   re-encodes nor sorts them. So keys are percent-encoded here the way
 *   SigV4 canonicalises them (everything but A-Z a-z 0-9 - _ . ~ and '/'),
 *   and every query is written already sorted and encoded, with "=" after
 *   a bare name ("uploads=": S3 canonicalises "?uploads" that way);
 * - the payload hash from our x-amz-content-sha256 header when there is
 *   one, else the sha256 of CURLOPT_POSTFIELDS (of nothing for an upload
 *   through a read callback, which would be wrong): we always send it;
 * - every header of CURLOPT_HTTPHEADER plus host, sorted as whole
 *   "name:value" lines. So we add no header whose name is a prefix of
 *   another one's, and never the "Name:" form that removes a header (curl
 *   would sign a header it does not send).
 */
#include "ctl/snapshot/s3.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/s3xml.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define RESP_MAX     (1024 * 1024) /* an XML answer; more is not S3 */
#define URL_MAX      4096

struct s3_client {
	CURL *h;
	char endpoint[512];
	char region[64];
	char bucket[256];
	char sigv4[128];
	bool path_style, requester_pays;
	int attempts;
	long backoff_ms, timeout_ms, connect_timeout_ms;
	struct s3_creds creds;
};

/* One request and what came back. */
struct req {
	const char *method; /* GET HEAD PUT POST DELETE */
	const char *key;    /* NULL: the bucket */
	const char *query;  /* canonical (sorted, encoded), NULL: none */
	const uint8_t *body;
	size_t len;
	bool range;
	uint64_t off, rlen;
	s3_data_cb_fn cb;
	void *arg;
	/* answers */
	long http;
	char *resp; /* owned: the answer's body (not a GET's data) */
	size_t resp_len;
	size_t sent;
	uint64_t delivered;
	bool stopped; /* the callback asked to stop */
	char etag[S3_ETAG_MAX];
	uint64_t clen;
};

static int copy_str(char *dst, size_t n, const char *src)
{
	if (src == NULL || strlen(src) >= n)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

struct s3_client *s3_new(const struct s3_cfg *cfg, const struct s3_creds *creds, char *err,
                         size_t errlen)
{
	struct s3_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (copy_str(c->region, sizeof(c->region), cfg->region) == -1 ||
	    copy_str(c->bucket, sizeof(c->bucket), cfg->bucket) == -1 ||
	    (cfg->endpoint != NULL &&
	     copy_str(c->endpoint, sizeof(c->endpoint), cfg->endpoint) == -1)) {
		snprintf(err, errlen, "s3: region, bucket or endpoint missing or too long");
		goto fail;
	}
	/* Bucket names are DNS labels (lower case, digits, '-', '.'): nothing to encode. */
	if (c->bucket[0] == '\0' ||
	    strspn(c->bucket, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(c->bucket)) {
		snprintf(err, errlen, "s3: bad bucket name");
		goto fail;
	}
	c->path_style = cfg->path_style || cfg->endpoint != NULL;
	c->requester_pays = cfg->requester_pays;
	c->attempts = cfg->attempts > 0 ? cfg->attempts : 5;
	c->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : 200;
	c->timeout_ms = cfg->timeout_ms;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->creds = *creds;
	snprintf(c->sigv4, sizeof(c->sigv4), "aws:amz:%s:s3", c->region);
	c->h = curl_easy_init();
	if (c->h == NULL) {
		snprintf(err, errlen, "s3: curl_easy_init failed");
		goto fail;
	}
	return c;
fail:
	free(c);
	return NULL;
}

struct s3_client *s3_dup(const struct s3_client *c, char *err, size_t errlen)
{
	struct s3_client *d = malloc(sizeof(*d));

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*d = *c;
	d->h = curl_easy_init();
	if (d->h == NULL) {
		snprintf(err, errlen, "s3: curl_easy_init failed");
		free(d);
		return NULL;
	}
	return d;
}

void s3_free(struct s3_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->h);
	memset(&c->creds, 0, sizeof(c->creds));
	free(c);
}

/* Percent-encodes <s> as SigV4's canonical URI does (keeping '/' when <keep_slash>). */
static int encode(const char *s, bool keep_slash, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		             (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
		             ch == '~' || (keep_slash && ch == '/');

		if (o + 4 > outlen)
			return -1;
		if (plain) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int s3_url(const struct s3_client *c, const char *key, char *out, size_t outlen)
{
	char ek[3 * S3_KEY_MAX + 1];
	int n;

	if (key != NULL && (strlen(key) > S3_KEY_MAX || encode(key, true, ek, sizeof(ek)) == -1))
		return -1;
	if (key == NULL)
		ek[0] = '\0';
	if (c->path_style && c->endpoint[0] != '\0')
		n = snprintf(out, outlen, "%s/%s/%s", c->endpoint, c->bucket, ek);
	else if (c->path_style)
		n = snprintf(out, outlen, "https://s3.%s.amazonaws.com/%s/%s", c->region, c->bucket,
		             ek);
	else
		n = snprintf(out, outlen, "https://%s.s3.%s.amazonaws.com/%s", c->bucket, c->region,
		             ek);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t want = size * n, left = r->len - r->sent;

	if (want > left)
		want = left;
	memcpy(p, r->body + r->sent, want);
	r->sent += want;
	return want;
}

/* Keeps the answer's body (an error's XML, a listing) up to RESP_MAX. */
static int keep(struct req *r, const char *p, size_t n)
{
	char *nb;

	if (r->resp_len + n > RESP_MAX)
		return -1;
	nb = realloc(r->resp, r->resp_len + n + 1);
	if (nb == NULL)
		return -1;
	r->resp = nb;
	memcpy(r->resp + r->resp_len, p, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n;

	/* A GET's data goes to the caller only on success; an error's XML is kept. */
	if (r->cb != NULL && r->http >= 200 && r->http < 300) {
		if (r->cb((const uint8_t *)p, len, r->arg) == -1) {
			r->stopped = true;
			return 0;
		}
		r->delivered += len;
		return len;
	}
	return keep(r, p, len) == 0 ? len : 0;
}

/* Header names are case-insensitive; the value starts after the colon and blanks. */
static const char *header_value(const char *line, size_t n, const char *name, size_t *vlen)
{
	size_t nl = strlen(name), i;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	for (i = nl + 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	*vlen = n - i;
	while (*vlen > 0 && (line[i + *vlen - 1] == '\r' || line[i + *vlen - 1] == '\n' ||
	                     line[i + *vlen - 1] == ' '))
		(*vlen)--;
	return line + i;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n, vl;
	const char *v;

	if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new answer (after 100 Continue, too): what we kept was another's. */
		const char *sp = memchr(p, ' ', len);

		r->http = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		r->etag[0] = '\0';
		r->clen = 0;
	} else if ((v = header_value(p, len, "ETag", &vl)) != NULL && vl < sizeof(r->etag)) {
		memcpy(r->etag, v, vl);
		r->etag[vl] = '\0';
	} else if ((v = header_value(p, len, "Content-Length", &vl)) != NULL) {
		r->clen = strtoull(v, NULL, 10);
	}
	return len;
}

/*
 * The payload's sha256, which SigV4 signs, by OpenSSL's EVP: a part is up to
 * 5 GiB, and EVP's SHA-NI and AVX code is more than ten times faster than
 * ctl/db/sha256.c's portable one, which made this hash most of a publish's
 * time (tests/bench/publish_bench.sh). 0, or -1 (out of memory).
 */
static int payload_hex(const uint8_t *p, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	unsigned n = 0;

	if (EVP_Digest(p, len, d, &n, EVP_sha256(), NULL) != 1 || n != SHA256_LEN)
		return -1;
	sha256_digest_hex(d, hex);
	return 0;
}

/* The request headers; NULL when out of memory. */
static struct curl_slist *headers(const struct s3_client *c, const struct req *r)
{
	struct curl_slist *h = NULL, *t;
	char line[2200];
	char hex[SHA256_HEX_LEN + 1];
	bool ok = true;

	if (r->body != NULL && r->len > 0) {
		if (payload_hex(r->body, r->len, hex) == -1)
			return NULL;
	} else {
		memcpy(hex, EMPTY_SHA256, sizeof(hex));
	}
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", hex);
	ok = ok && (t = curl_slist_append(h, line)) != NULL && (h = t) != NULL;
	if (ok && r->range) {
		if (r->rlen > 0)
			snprintf(line, sizeof(line), "Range: bytes=%llu-%llu",
			         (unsigned long long)r->off,
			         (unsigned long long)(r->off + r->rlen - 1));
		else
			snprintf(line, sizeof(line), "Range: bytes=%llu-",
			         (unsigned long long)r->off);
		ok = (t = curl_slist_append(h, line)) != NULL && (h = t) != NULL;
	}
	if (ok && strcmp(r->method, "POST") == 0)
		ok = (t = curl_slist_append(h, "Content-Type: application/xml")) != NULL &&
		     (h = t) != NULL;
	if (ok && c->requester_pays)
		ok = (t = curl_slist_append(h, "x-amz-request-payer: requester")) != NULL &&
		     (h = t) != NULL;
	if (ok && c->creds.token[0] != '\0') {
		snprintf(line, sizeof(line), "x-amz-security-token: %s", c->creds.token);
		ok = (t = curl_slist_append(h, line)) != NULL && (h = t) != NULL;
	}
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

static void set_method(CURL *h, struct req *r)
{
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, r);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
	} else if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		                 r->body != NULL ? (const char *)r->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
	} else if (strcmp(r->method, "DELETE") == 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	}
}

/* One attempt. Returns curl's result; the answer is in <r>. */
static CURLcode perform_once(struct s3_client *c, struct req *r, struct curl_slist *hdr)
{
	char url[URL_MAX], base[URL_MAX];
	CURL *h = c->h;

	if (s3_url(c, r->key, base, sizeof(base)) == -1)
		return CURLE_URL_MALFORMAT;
	if (snprintf(url, sizeof(url), "%s%s%s", base, r->query != NULL ? "?" : "",
	             r->query != NULL ? r->query : "") >= (int)sizeof(url))
		return CURLE_URL_MALFORMAT;
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
	r->sent = 0;
	r->http = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->creds.access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->creds.secret_key);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	/* A stalled transfer (under 1 byte/s for 30 s) is a timeout, retried or resumed. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	set_method(h, r);
	return curl_easy_perform(h);
}

static bool is_transient(CURLcode rc, long http)
{
	switch (rc) {
	case CURLE_OK:
		return http >= 500 || http == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static void backoff(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Performs <r> with retries; 0 on a 2xx answer. */
static int perform(struct s3_client *c, struct req *r, struct s3_status *st)
{
	struct curl_slist *hdr = headers(c, r);
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	long wait = c->backoff_ms;

	memset(st, 0, sizeof(*st));
	while (hdr != NULL && st->tries < c->attempts) {
		st->tries++;
		rc = perform_once(c, r, hdr);
		/* Bytes already handed to the caller cannot be taken back: it resumes instead. */
		if (!is_transient(rc, r->http) || r->delivered > 0 || r->stopped ||
		    st->tries >= c->attempts)
			break;
		backoff(wait);
		wait *= 2;
	}
	curl_slist_free_all(hdr);
	st->http = rc == CURLE_OK ? r->http : 0;
	if (rc == CURLE_OK && r->http >= 200 && r->http < 300)
		return 0;
	if (rc != CURLE_OK) {
		snprintf(st->err, sizeof(st->err), "%s %.200s: %s", r->method,
		         r->key != NULL ? r->key : c->bucket,
		         r->stopped ? "stopped by the caller" : curl_easy_strerror(rc));
		return -1;
	}
	if (r->resp != NULL) {
		char msg[200];
		struct s3xml_span d = {r->resp, r->resp_len};

		if (s3xml_text(d, "Code", st->code, sizeof(st->code)) != 1)
			st->code[0] = '\0';
		if (s3xml_text(d, "Message", msg, sizeof(msg)) != 1)
			msg[0] = '\0';
		snprintf(st->err, sizeof(st->err), "%s %.200s: HTTP %ld %s%s%s", r->method,
		         r->key != NULL ? r->key : c->bucket, r->http, st->code,
		         msg[0] != '\0' ? ": " : "", msg);
	} else {
		snprintf(st->err, sizeof(st->err), "%s %.200s: HTTP %ld", r->method,
		         r->key != NULL ? r->key : c->bucket, r->http);
	}
	return -1;
}

static void req_fini(struct req *r)
{
	free(r->resp);
	r->resp = NULL;
}

static void copy_etag(char etag[S3_ETAG_MAX], const struct req *r)
{
	if (etag != NULL)
		memcpy(etag, r->etag, strlen(r->etag) + 1);
}

int s3_put(struct s3_client *c, const char *key, const uint8_t *body, size_t len,
           char etag[S3_ETAG_MAX], struct s3_status *st)
{
	struct req r = {.method = "PUT", .key = key, .body = body, .len = len};
	int ret = perform(c, &r, st);

	if (ret == 0)
		copy_etag(etag, &r);
	req_fini(&r);
	return ret;
}

int s3_get(struct s3_client *c, const char *key, uint64_t off, uint64_t len, s3_data_cb_fn cb,
           void *arg, struct s3_status *st)
{
	struct req r = {.method = "GET",
	                .key = key,
	                .range = off > 0 || len > 0,
	                .off = off,
	                .rlen = len,
	                .cb = cb,
	                .arg = arg};
	int ret = perform(c, &r, st);

	req_fini(&r);
	return ret;
}

int s3_head(struct s3_client *c, const char *key, uint64_t *size, struct s3_status *st)
{
	struct req r = {.method = "HEAD", .key = key};
	int ret = perform(c, &r, st);

	if (ret == 0)
		*size = r.clen;
	req_fini(&r);
	return ret;
}

int s3_delete(struct s3_client *c, const char *key, struct s3_status *st)
{
	struct req r = {.method = "DELETE", .key = key};
	int ret = perform(c, &r, st);

	req_fini(&r);
	return ret;
}

int s3_mpu_init(struct s3_client *c, const char *key, char upload_id[S3_UPLOADID_MAX],
                struct s3_status *st)
{
	struct req r = {.method = "POST", .key = key, .query = "uploads="};
	int ret = perform(c, &r, st);

	if (ret == 0 && (r.resp == NULL ||
	                 s3xml_text((struct s3xml_span){r.resp, r.resp_len}, "UploadId", upload_id,
	                            S3_UPLOADID_MAX) != 1 ||
	                 upload_id[0] == '\0')) {
		snprintf(st->err, sizeof(st->err), "POST %s?uploads: no UploadId in the answer",
		         key);
		ret = -1;
	}
	req_fini(&r);
	return ret;
}

/* "partNumber=N&uploadId=ID" (sorted, the id encoded) into <q>. */
static int part_query(char *q, size_t qlen, int number, const char *upload_id)
{
	char eid[3 * S3_UPLOADID_MAX + 1];
	int n;

	if (encode(upload_id, false, eid, sizeof(eid)) == -1)
		return -1;
	if (number > 0)
		n = snprintf(q, qlen, "partNumber=%d&uploadId=%s", number, eid);
	else
		n = snprintf(q, qlen, "uploadId=%s", eid);
	return n < 0 || (size_t)n >= qlen ? -1 : 0;
}

int s3_mpu_part(struct s3_client *c, const char *key, const char *upload_id, int number,
                const uint8_t *body, size_t len, char etag[S3_ETAG_MAX], struct s3_status *st)
{
	char q[3 * S3_UPLOADID_MAX + 64];
	struct req r = {.method = "PUT", .key = key, .query = q, .body = body, .len = len};
	int ret;

	memset(st, 0, sizeof(*st));
	if (number < 1 || number > 10000 || part_query(q, sizeof(q), number, upload_id) == -1) {
		snprintf(st->err, sizeof(st->err), "part %d of %s: bad number or upload id", number,
		         key);
		return -1;
	}
	ret = perform(c, &r, st);
	if (ret == 0 && r.etag[0] == '\0') {
		snprintf(st->err, sizeof(st->err), "part %d of %s: no ETag in the answer", number,
		         key);
		ret = -1;
	}
	if (ret == 0)
		copy_etag(etag, &r);
	req_fini(&r);
	return ret;
}

/* Reads one ListParts page into <parts>; its continuation marker into <*next> (0: last). */
static int parse_parts(const struct req *r, struct s3xml_part *parts, size_t max, size_t *n,
                       int *next)
{
	struct s3xml_span d = {r->resp, r->resp_len};
	struct s3xml_part p;
	size_t pos = 0;
	int res;

	while ((res = s3xml_next_part(d, &pos, &p)) == 1) {
		if (*n >= max)
			return -1;
		parts[(*n)++] = p;
	}
	return res == 0 && s3xml_parts_marker(d, next) >= 0 ? 0 : -1;
}

int s3_mpu_list(struct s3_client *c, const char *key, const char *upload_id,
                struct s3xml_part *parts, size_t max, size_t *n, struct s3_status *st)
{
	char q[3 * S3_UPLOADID_MAX + 64], id[3 * S3_UPLOADID_MAX + 1];
	int marker = 0, next = 0;

	*n = 0;
	memset(st, 0, sizeof(*st));
	if (encode(upload_id, false, id, sizeof(id)) == -1)
		return -1;
	do {
		struct req r = {.method = "GET", .key = key, .query = q};
		int ret;

		/* Sorted: part-number-marker before uploadId. */
		if (marker > 0)
			snprintf(q, sizeof(q), "part-number-marker=%d&uploadId=%s", marker, id);
		else
			snprintf(q, sizeof(q), "uploadId=%s", id);
		ret = perform(c, &r, st);
		if (ret == 0 && (r.resp == NULL || parse_parts(&r, parts, max, n, &next) == -1 ||
		                 (next != 0 && next <= marker))) {
			snprintf(st->err, sizeof(st->err),
			         "list parts of %s: bad or too long answer", key);
			ret = -1;
		}
		req_fini(&r);
		if (ret == -1)
			return -1;
		marker = next;
	} while (marker != 0);
	return 0;
}

int s3_mpu_complete(struct s3_client *c, const char *key, const char *upload_id,
                    const struct s3xml_part *parts, size_t n, struct s3_status *st)
{
	char q[3 * S3_UPLOADID_MAX + 64];
	size_t cap = 64 + n * (S3_ETAG_MAX + 64), o;
	char *body = malloc(cap);
	struct req r = {.method = "POST", .key = key, .query = q};
	int ret = -1;

	memset(st, 0, sizeof(*st));
	if (body == NULL || n == 0 || part_query(q, sizeof(q), 0, upload_id) == -1) {
		snprintf(st->err, sizeof(st->err), "complete %s: no parts, bad id or no memory",
		         key);
		goto out;
	}
	o = (size_t)snprintf(body, cap, "<CompleteMultipartUpload>");
	for (size_t i = 0; i < n; i++) {
		/* ETags are quoted hex: nothing in them needs escaping, and we refuse what would.
		 */
		if (strpbrk(parts[i].etag, "<>&") != NULL ||
		    (i > 0 && parts[i].number <= parts[i - 1].number)) {
			snprintf(st->err, sizeof(st->err), "complete %s: bad part list", key);
			goto out;
		}
		o += (size_t)snprintf(body + o, cap - o,
		                      "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
		                      parts[i].number, parts[i].etag);
	}
	o += (size_t)snprintf(body + o, cap - o, "</CompleteMultipartUpload>");
	r.body = (const uint8_t *)body;
	r.len = o;
	ret = perform(c, &r, st);
	/* S3 may answer 200 with an <Error> body when the completion fails late. */
	if (ret == 0 && r.resp != NULL &&
	    s3xml_text((struct s3xml_span){r.resp, r.resp_len}, "Code", st->code,
	               sizeof(st->code)) == 1) {
		snprintf(st->err, sizeof(st->err), "complete %s: %s", key, st->code);
		ret = -1;
	}
out:
	req_fini(&r);
	free(body);
	return ret;
}

int s3_mpu_abort(struct s3_client *c, const char *key, const char *upload_id, struct s3_status *st)
{
	char q[3 * S3_UPLOADID_MAX + 64];
	struct req r = {.method = "DELETE", .key = key, .query = q};
	int ret;

	memset(st, 0, sizeof(*st));
	if (part_query(q, sizeof(q), 0, upload_id) == -1)
		return -1;
	ret = perform(c, &r, st);
	req_fini(&r);
	return ret;
}

/* Hands each <Contents> of one page to <cb>; the next token into <next> ("" when last). */
static int parse_list(const struct req *r, s3_list_cb_fn cb, void *arg, char *next, size_t nextlen)
{
	struct s3xml_span d = {r->resp, r->resp_len};
	char key[S3_KEY_MAX + 1];
	size_t pos = 0;
	uint64_t size;
	int res;

	while ((res = s3xml_next_object(d, &pos, key, sizeof(key), &size)) == 1)
		if (cb(key, size, arg) == -1)
			return -1;
	return res == 0 && s3xml_list_token(d, next, nextlen) >= 0 ? 0 : -1;
}

int s3_list(struct s3_client *c, const char *prefix, s3_list_cb_fn cb, void *arg,
            struct s3_status *st)
{
	static char token[2048], etok[3 * 2048 + 1], epfx[3 * S3_KEY_MAX + 1],
	    q[sizeof(etok) + sizeof(epfx) + 64];

	memset(st, 0, sizeof(*st));
	token[0] = '\0';
	if (strlen(prefix) > S3_KEY_MAX || encode(prefix, false, epfx, sizeof(epfx)) == -1)
		return -1;
	do {
		struct req r = {.method = "GET", .key = NULL, .query = q};
		int ret;

		if (encode(token, false, etok, sizeof(etok)) == -1)
			return -1;
		/* Sorted: continuation-token, list-type, prefix. */
		if (token[0] != '\0')
			snprintf(q, sizeof(q), "continuation-token=%s&list-type=2&prefix=%s", etok,
			         epfx);
		else
			snprintf(q, sizeof(q), "list-type=2&prefix=%s", epfx);
		ret = perform(c, &r, st);
		if (ret == 0 &&
		    (r.resp == NULL || parse_list(&r, cb, arg, token, sizeof(token)) == -1)) {
			snprintf(st->err, sizeof(st->err), "list %s: bad answer or stopped",
			         prefix);
			ret = -1;
		}
		req_fini(&r);
		if (ret == -1)
			return -1;
	} while (token[0] != '\0');
	return 0;
}
