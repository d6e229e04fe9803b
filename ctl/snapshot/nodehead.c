/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/nodehead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct body {
	char buf[NODERPC_BODY_MAX];
	size_t len;
	int too_long;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = sz * n;

	if (len > sizeof(b->buf) - b->len) {
		b->too_long = 1;
		return 0; /* stops the transfer */
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return len;
}

/* One POST of <req>; the reply parsed into <p>. 0, or -1 with <p>'s detail or curl's in <err>. */
static int call(const char *url, long timeout_ms, const char *req, struct body *b,
                struct node_poll *p, char *err, size_t errlen)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	b->len = 0;
	b->too_long = 0;
	if (c == NULL || hdr == NULL) {
		curl_slist_free_all(hdr);
		curl_easy_cleanup(c);
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_PROXY, "");
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (b->too_long) {
		(void)snprintf(err, errlen, "malformed: a reply over %d bytes", NODERPC_BODY_MAX);
		return -1;
	}
	if (rc != CURLE_OK) {
		(void)snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status != 200) {
		(void)snprintf(err, errlen, "HTTP %ld", status);
		return -1;
	}
	if (noderpc_parse(b->buf, b->len, p) == -1) {
		(void)snprintf(err, errlen, "%s", p->detail);
		return -1;
	}
	return 0;
}

int nodehead_get(const char *rpc_url, long timeout_ms, struct nodehead *h, char *err, size_t errlen)
{
	char req[NODERPC_POLL_CAP], why[256];
	struct node_poll p;
	struct body *b = malloc(sizeof(*b));
	int rc = -1;

	if (b == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", rpc_url);
		return -1;
	}
	noderpc_poll_reset(&p);
	if (noderpc_build_single(req, sizeof(req), NODERPC_ID_FINALIZED_HEAD) < 0)
		(void)snprintf(why, sizeof(why), "cannot build the request");
	else if (call(rpc_url, timeout_ms, req, b, &p, why, sizeof(why)) == -1)
		;
	else if (!p.has_finalized_hash)
		(void)snprintf(why, sizeof(why), "no finalized head in the reply");
	else if (noderpc_build_header_at(req, sizeof(req), p.finalized_hash) < 0)
		(void)snprintf(why, sizeof(why), "cannot build the request");
	else if (call(rpc_url, timeout_ms, req, b, &p, why, sizeof(why)) == -1)
		;
	else if (!p.has_finalized)
		(void)snprintf(why, sizeof(why), "no header for the finalized head");
	else
		rc = 0;
	free(b);
	if (rc == -1) {
		(void)snprintf(err, errlen, "%s: finalized head: %s", rpc_url, why);
		return -1;
	}
	h->height = p.finalized;
	memcpy(h->hash, p.finalized_hash, sizeof(h->hash));
	return 0;
}
