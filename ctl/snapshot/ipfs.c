/* SPDX-License-Identifier: MIT */
/*
 * The IPFS HTTP API client (see ipfs.h).
 *
 * What js-ipfs 0.66.1 (ipfs-http-server) needs from the request, and why
 * the code does what it does:
 * - every part needs a Content-Type; "application/x-directory" makes a
 *   directory entry, so empty directories survive;
 * - the file name is taken from Content-Disposition with the pattern
 *   / filename="(.[^"]+)"/ and then decodeURIComponent: a one-character
 *   name matches nothing and the file would be added as "", so every name
 *   is percent-encoded here and a one-character one always is (%61 for
 *   "a"); Kubo unescapes names the same way;
 * - cid-base defaults to base58btc for CIDv1 there, so base32 is asked for;
 * - a failure after the answer began comes as the HTTP trailer
 *   X-Stream-Error, which curl hands to the header callback.
 */
#include "ctl/snapshot/ipfs.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/text.h"
#include "ctl/snapshot/walk.h"

#define ADD_QUERY                                                                                  \
	"/api/v0/add?cid-version=1&raw-leaves=true&pin=true&cid-base=base32&progress=false"
#define ERR_BODY_MAX 4096
#define TRAILER      "X-Stream-Error:"

/* One request's answer: an add's lines, a cat's bytes, or an error body. */
struct answer {
	struct ipfs_add_reader *reader; /* owned by the caller; NULL for a cat */
	ipfs_data_cb_fn data;
	void *data_arg;
	long http;
	char body[ERR_BODY_MAX]; /* the start of a non-200 body */
	size_t body_len;
	char trailer[256]; /* X-Stream-Error's value */
	char err[256];     /* why the body was refused */
	bool failed;
};

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (a->failed)
		return 0;
	if (a->http != 200) {
		size_t room = sizeof(a->body) - 1 - a->body_len;

		memcpy(a->body + a->body_len, p, len < room ? len : room);
		a->body_len += len < room ? len : room;
		return len;
	}
	if (a->reader != NULL && ipfs_add_feed(a->reader, p, len, a->err, sizeof(a->err)) == -1) {
		a->failed = true;
		return 0;
	}
	if (a->data != NULL && a->data((const uint8_t *)p, len, a->data_arg) == -1) {
		pf_errf(a->err, sizeof(a->err), "stopped by the caller");
		a->failed = true;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (len > 9 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);

		a->http = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
	} else if (len > strlen(TRAILER) && strncasecmp(p, TRAILER, strlen(TRAILER)) == 0) {
		const char *v = p + strlen(TRAILER), *end = p + len;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		/* The node's text goes into an error message: control bytes escaped. */
		if (end > v)
			pf_printable(a->trailer, sizeof(a->trailer), v, (size_t)(end - v), "");
	}
	return len;
}

/* Runs one POST of <mime> to <url>; fills <st> and returns 0 on a whole 200 answer. */
static int post(const struct ipfs_cfg *cfg, const char *url, curl_mime *mime, struct answer *a,
                struct ipfs_status *st)
{
	CURL *h = curl_easy_init();
	CURLcode rc;

	if (h == NULL) {
		pf_errf(st->err, sizeof(st->err), "curl_easy_init failed");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (mime != NULL)
		curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	else
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	/* Without it curl waits up to a second for "100 Continue" before a big body. */
	{
		struct curl_slist *hdr = curl_slist_append(NULL, "Expect:");

		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		rc = curl_easy_perform(h);
		curl_slist_free_all(hdr);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st->http);
	curl_easy_cleanup(h);
	if (a->failed) {
		pf_errf(st->err, sizeof(st->err), "%s", a->err);
		return -1;
	}
	if (st->err[0] != '\0')
		return -1; /* a read callback's reason */
	if (rc != CURLE_OK) {
		pf_errf(st->err, sizeof(st->err), "%s: %s", cfg->api, curl_easy_strerror(rc));
		return -1;
	}
	if (st->http != 200) {
		struct ipfs_add_entry e;
		char why[256] = "";

		a->body[a->body_len] = '\0';
		if (ipfs_add_parse_line(a->body, strcspn(a->body, "\n"), &e, why, sizeof(why)) ==
		        1 ||
		    strstr(why, "the node failed") == NULL)
			pf_errf(why, sizeof(why), "%.200s", a->body);
		pf_errf(st->err, sizeof(st->err), "HTTP %ld: %s", st->http, why);
		return -1;
	}
	if (a->trailer[0] != '\0') {
		pf_errf(st->err, sizeof(st->err), "the node failed part way: %s", a->trailer);
		return -1;
	}
	return 0;
}

/* One file of the tree, read when curl reaches its part. */
struct item {
	struct tree *t; /* borrowed: the tree it belongs to */
	char *rel;      /* owned */
	bool is_dir;
	uint64_t size, done;
	int fd;
};

struct tree {
	int basefd; /* the base path, opened once */
	struct item *items;
	size_t n, cap;
	struct ipfs_status *st;
};

static void fail_item(struct item *it, const char *why)
{
	if (it->t->st->err[0] == '\0')
		pf_errf(it->t->st->err, sizeof(it->t->st->err), "%s: %s", it->rel, why);
}

static size_t item_read(char *buf, size_t size, size_t n, void *arg)
{
	struct item *it = arg;
	size_t want = size * n;
	ssize_t got;

	if (it->fd == -1) {
		/*
		 * The walk took this name a while ago, file by file through its
		 * parents' descriptors; opened again now, no component may be a
		 * symlink or lead out of the base path (a directory swapped for
		 * a link since), which openat2 checks in the kernel.
		 */
		struct open_how how = {.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
		                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
		struct stat sb;

		it->fd = (int)syscall(SYS_openat2, it->t->basefd, it->rel, &how, sizeof(how));
		if (it->fd == -1 || fstat(it->fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			fail_item(it,
			          it->fd == -1 ? strerror(errno) : "not a regular file any more");
			return CURL_READFUNC_ABORT;
		}
	}
	if (want > it->size - it->done)
		want = it->size - it->done;
	if (want == 0)
		return 0;
	got = read(it->fd, buf, want);
	if (got <= 0) {
		fail_item(it, got == 0 ? "shrank while sent" : strerror(errno));
		return CURL_READFUNC_ABORT;
	}
	it->done += (uint64_t)got;
	it->t->st->sent += (uint64_t)got;
	if (it->done == it->size) {
		char extra;

		/* One byte more than the walk saw means the file grew: refuse its CID. */
		if (read(it->fd, &extra, 1) != 0) {
			fail_item(it, "grew while sent");
			return CURL_READFUNC_ABORT;
		}
		close(it->fd);
		it->fd = -1;
	}
	return (size_t)got;
}

static void item_free(void *arg)
{
	struct item *it = arg;

	if (it->fd != -1)
		close(it->fd);
	it->fd = -1;
}

static int collect(void *ctx, const struct walk_entry *e, char *err, size_t errlen)
{
	struct tree *t = ctx;
	struct item *it;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct item *p = realloc(t->items, cap * sizeof(*p));

		if (p == NULL) {
			pf_errf(err, errlen, "out of memory");
			return -1;
		}
		t->items = p;
		t->cap = cap;
	}
	it = &t->items[t->n];
	it->rel = strdup(e->rel);
	if (it->rel == NULL) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	it->t = t;
	it->is_dir = e->is_dir;
	it->size = e->size;
	it->done = 0;
	it->fd = -1;
	t->n++;
	return 0;
}

/*
 * <rel> percent-encoded for js-ipfs's filename pattern (see the top): every
 * byte but [A-Za-z0-9._~/-] encoded, and a one-byte name encoded whole.
 */
static void encode_name(const char *rel, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	bool one = rel[0] != '\0' && rel[1] == '\0';

	for (const unsigned char *p = (const unsigned char *)rel; *p != '\0' && o + 4 < outlen;
	     p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		             (*p >= '0' && *p <= '9') || strchr("._~/-", *p) != NULL;

		if (plain && !one) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

static int add_part(curl_mime *mime, struct item *it)
{
	char name[3 * EXCLUDE_PATH_MAX + 1];
	curl_mimepart *part = curl_mime_addpart(mime);

	if (part == NULL)
		return -1;
	encode_name(it->rel, name, sizeof(name));
	if (curl_mime_name(part, "file") != CURLE_OK || curl_mime_filename(part, name) != CURLE_OK)
		return -1;
	if (it->is_dir)
		return curl_mime_type(part, "application/x-directory") == CURLE_OK &&
		               curl_mime_data(part, "", 0) == CURLE_OK
		           ? 0
		           : -1;
	if (curl_mime_type(part, "application/octet-stream") != CURLE_OK)
		return -1;
	return curl_mime_data_cb(part, (curl_off_t)it->size, item_read, NULL, item_free, it) ==
	               CURLE_OK
	           ? 0
	           : -1;
}

static int root_of(struct ipfs_add_reader *r, const char *name, enum ipfs_codec codec,
                   struct ipfs_status *st)
{
	st->entries = r->entries;
	if (ipfs_add_finish(r, st->err, sizeof(st->err)) == -1)
		return -1;
	if (strcmp(r->last.name, name) != 0 ||
	    (codec == IPFS_CODEC_DAG_PB && r->last.parsed.codec != codec)) {
		pf_errf(st->err, sizeof(st->err), "the node's last line is not the root: \"%s\"",
		        r->last.name);
		return -1;
	}
	memcpy(st->root, r->last.cid, sizeof(st->root));
	return 0;
}

int ipfs_add_tree(const struct ipfs_cfg *cfg, const char *base, const struct exclude_set *ex,
                  ipfs_add_entry_cb_fn on_entry, void *ctx, struct ipfs_status *st)
{
	struct tree t = {.basefd = -1, .st = st};
	struct answer *a = calloc(1, sizeof(*a));
	struct ipfs_add_reader *r = calloc(1, sizeof(*r));
	curl_mime *mime = NULL;
	char url[1024];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (a == NULL || r == NULL) {
		pf_errf(st->err, sizeof(st->err), "out of memory");
		goto out;
	}
	if (walk_tree(base, ex, collect, &t, NULL, st->err, sizeof(st->err)) == -1)
		goto out;
	t.basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.basefd == -1) {
		pf_errf(st->err, sizeof(st->err), "%s: %s", base, strerror(errno));
		goto out;
	}
	if (t.n == 0) {
		pf_errf(st->err, sizeof(st->err), "%s: nothing to add", base);
		goto out;
	}
	mime = curl_mime_init(NULL);
	for (size_t i = 0; mime != NULL && i < t.n; i++)
		if (add_part(mime, &t.items[i]) == -1) {
			pf_errf(st->err, sizeof(st->err), "%s: cannot build its part",
			        t.items[i].rel);
			goto out;
		}
	if (mime == NULL) {
		pf_errf(st->err, sizeof(st->err), "out of memory");
		goto out;
	}
	r->on_entry = on_entry;
	r->ctx = ctx;
	a->reader = r;
	snprintf(url, sizeof(url), "%s" ADD_QUERY "&wrap-with-directory=true", cfg->api);
	if (post(cfg, url, mime, a, st) == 0)
		rc = root_of(r, "", IPFS_CODEC_DAG_PB, st);
out:
	curl_mime_free(mime);
	for (size_t i = 0; i < t.n; i++) {
		item_free(&t.items[i]);
		free(t.items[i].rel);
	}
	free(t.items);
	if (t.basefd != -1)
		close(t.basefd);
	free(a);
	free(r);
	return rc;
}

/* The bytes of one fd, as a part's read callback. */
struct stream {
	int fd;
	int64_t size;
	struct ipfs_status *st;
};

static size_t stream_read(char *buf, size_t size, size_t n, void *arg)
{
	struct stream *s = arg;
	ssize_t got;

	do
		got = read(s->fd, buf, size * n);
	while (got == -1 && errno == EINTR);
	if (got == -1) {
		pf_errf(s->st->err, sizeof(s->st->err), "read: %s", strerror(errno));
		return CURL_READFUNC_ABORT;
	}
	s->st->sent += (uint64_t)got;
	if (got == 0 && s->size >= 0 && s->st->sent != (uint64_t)s->size) {
		pf_errf(s->st->err, sizeof(s->st->err), "the stream ended after %llu of %lld bytes",
		        (unsigned long long)s->st->sent, (long long)s->size);
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

int ipfs_add_fd(const struct ipfs_cfg *cfg, const char *name, int fd, int64_t size,
                struct ipfs_status *st)
{
	struct stream s = {fd, size, st};
	struct answer *a = calloc(1, sizeof(*a));
	struct ipfs_add_reader *r = calloc(1, sizeof(*r));
	curl_mime *mime = curl_mime_init(NULL);
	curl_mimepart *part = mime != NULL ? curl_mime_addpart(mime) : NULL;
	char url[1024], enc[3 * SAFEPATH_PATH_MAX + 1];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (a == NULL || r == NULL || part == NULL) {
		pf_errf(st->err, sizeof(st->err), "out of memory");
		goto out;
	}
	if (safepath_check(name, strlen(name)) != SAFEPATH_OK || strchr(name, '/') != NULL) {
		pf_errf(st->err, sizeof(st->err), "%s: not a plain file name", name);
		goto out;
	}
	encode_name(name, enc, sizeof(enc));
	if (curl_mime_name(part, "file") != CURLE_OK || curl_mime_filename(part, enc) != CURLE_OK ||
	    curl_mime_type(part, "application/octet-stream") != CURLE_OK ||
	    curl_mime_data_cb(part, size, stream_read, NULL, NULL, &s) != CURLE_OK) {
		pf_errf(st->err, sizeof(st->err), "%s: cannot build its part", name);
		goto out;
	}
	a->reader = r;
	snprintf(url, sizeof(url), "%s" ADD_QUERY, cfg->api);
	if (post(cfg, url, mime, a, st) == 0)
		rc = root_of(r, name, IPFS_CODEC_RAW, st);
out:
	curl_mime_free(mime);
	free(a);
	free(r);
	return rc;
}

int ipfs_cat(const struct ipfs_cfg *cfg, const char *path, ipfs_data_cb_fn cb, void *arg,
             struct ipfs_status *st)
{
	struct answer *a = calloc(1, sizeof(*a));
	char *esc = curl_easy_escape(NULL, path, 0);
	char url[2048];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (a == NULL || esc == NULL) {
		pf_errf(st->err, sizeof(st->err), "out of memory");
		goto out;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v0/cat?arg=%s", cfg->api, esc) >=
	    sizeof(url)) {
		pf_errf(st->err, sizeof(st->err), "path too long");
		goto out;
	}
	a->data = cb;
	a->data_arg = arg;
	rc = post(cfg, url, NULL, a, st);
out:
	curl_free(esc);
	free(a);
	return rc;
}

int ipfs_pin_rm(const struct ipfs_cfg *cfg, const char *cid, struct ipfs_status *st)
{
	struct answer *a = calloc(1, sizeof(*a));
	char *esc = curl_easy_escape(NULL, cid, 0);
	char url[1024];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (a == NULL || esc == NULL) {
		pf_errf(st->err, sizeof(st->err), "out of memory");
		goto out;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v0/pin/rm?arg=%s&recursive=true", cfg->api,
	                     esc) >= sizeof(url)) {
		pf_errf(st->err, sizeof(st->err), "CID too long");
		goto out;
	}
	rc = post(cfg, url, NULL, a, st);
	/*
	 * The node's error object (post() quotes its Message): a CID no longer
	 * pinned, or held only under another pin, is nothing left to unpin.
	 */
	if (rc == -1 && st->http == 500 && strstr(st->err, "the node failed: ") != NULL &&
	    (strstr(st->err, "not pinned") != NULL || strstr(st->err, "pinned indirectly") != NULL))
		rc = 1;
out:
	curl_free(esc);
	free(a);
	return rc;
}
