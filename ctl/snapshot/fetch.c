/* SPDX-License-Identifier: MIT */
/*
 * fetch.h: the sources (plain GETs with libcurl, or the S3 client), the
 * documents, then the artifact: a files artifact with N threads, each with
 * its own connection (the S3 client blocks, and a file's disk writes and
 * hashing are as much of the work as the transfer, so threads use both
 * cores where curl multi would do all of it on one), or a tar.zst: one
 * thread downloads and hashes it into a bounded queue of blocks
 * (blockq.h, 8 MiB), the calling thread unpacks it from there with
 * libarchive and writes the files.
 */
#include "ctl/snapshot/fetch.h"

#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/text.h"
#include "ctl/db/sha256.h"
#include "ctl/snapshot/blockq.h"
#include "ctl/snapshot/destdir.h"
#include "ctl/snapshot/fetchcfg_load.h"
#include "ctl/snapshot/filelist.h"
#include "ctl/snapshot/ipfs_gw.h"
#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/s3.h"
#include "ctl/snapshot/s3creds.h"
#include "ctl/snapshot/snapcfg.h"

#define SUMS_MAX     (64u << 20) /* bytes of a SHA256SUMS: about 500,000 files */
#define URL_MAX      4096
#define ERR_MAX      1024
#define GET_ATTEMPTS 5 /* per object; each after the first resumes from what arrived */
#define KEY_MAX      (S3_KEY_MAX)

/* Where objects come from; read-only once set up, shared by the threads. */
struct src {
	char base[URL_MAX]; /* URL base without a trailing '/', or "" for S3 */
	const char *prefix; /* S3: prepended to every key with a '/' (NULL: none); borrowed */
	struct s3_cfg cfg;
	struct s3_creds creds;
	/* --from ipfs: the keys under <ipfs_prefix> from <gateway>/ipfs/<ipfs_cid> (ipfs_gw.h) */
	char gateway[URL_MAX];
	char ipfs_prefix[KEY_MAX];
	char ipfs_cid[MANIFEST_CID_LEN + 1];
};

/* One thread's connection to the source. */
struct conn {
	const struct src *s;
	CURL *h;
	struct s3_client *s3;
};

/* Shared by every transfer of a run: progress and the first failure. */
struct run {
	const struct fetch_opts *o;
	struct src src;
	struct destdir *dd;
	uint64_t total;
	_Atomic uint64_t done;
	atomic_int stop; /* set by the first failure: the other threads give up */
	pthread_mutex_t mu;
	int rc;
	char err[ERR_MAX];
	double last_print, started;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records the first failure of the run; later ones are consequences. */
static void fail(struct run *r, int rc, const char *msg)
{
	pthread_mutex_lock(&r->mu);
	if (r->rc == FETCH_OK) {
		r->rc = rc;
		snprintf(r->err, sizeof(r->err), "%s", msg);
	}
	atomic_store(&r->stop, 1);
	pthread_mutex_unlock(&r->mu);
}

static void progress(struct run *r, bool last)
{
	double t = now_s(), el, rate;
	uint64_t d = atomic_load(&r->done);

	pthread_mutex_lock(&r->mu);
	if (!last && t - r->last_print < (r->o->tty ? 0.5 : r->o->progress_s)) {
		pthread_mutex_unlock(&r->mu);
		return;
	}
	r->last_print = t;
	el = t - r->started;
	rate = el > 0 ? (double)d / el : 0;
	fprintf(stderr, "%s%" PRIu64 " / %" PRIu64 " bytes, %.1f MB/s, ETA %.0f s%s",
	        r->o->tty ? "\r" : "", d, r->total, rate / 1e6,
	        rate > 0 && r->total > d ? (double)(r->total - d) / rate : 0.0,
	        r->o->tty && !last ? "" : "\n");
	pthread_mutex_unlock(&r->mu);
}

/* Percent-encodes a key for a URL: unreserved characters and '/' stay. */
static int url_of(const char *base, const char *key, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s/", base);

	for (const char *p = key; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (n + 4 > cap)
			return -1;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c) != NULL)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	out[n] = '\0';
	return 0;
}

static int conn_open(struct conn *c, const struct src *s, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	if (s->base[0] != '\0') {
		c->h = curl_easy_init();
		if (c->h == NULL)
			pf_errf(err, errlen, "curl_easy_init failed");
		return c->h != NULL ? 0 : -1;
	}
	c->s3 = s3_new(&s->cfg, &s->creds, err, errlen);
	return c->s3 != NULL ? 0 : -1;
}

static void conn_close(struct conn *c)
{
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	s3_free(c->s3);
}

/* A plain GET's body, each piece checked for the status before it is taken. */
struct plain {
	CURL *h;
	uint64_t off;
	long http;
	s3_data_cb_fn cb;
	void *arg;
	bool refused;
};

static size_t plain_write(char *p, size_t sz, size_t n, void *arg)
{
	struct plain *pl = arg;

	if (pl->http == 0)
		curl_easy_getinfo(pl->h, CURLINFO_RESPONSE_CODE, &pl->http);
	/* A 200 to a Range request would append the whole object to what we have. */
	if (pl->http != (pl->off > 0 ? 206 : 200)) {
		pl->refused = true;
		return 0;
	}
	return pl->cb((const uint8_t *)p, sz * n, pl->arg) == 0 ? sz * n : 0;
}

/*
 * GETs <key> from byte <off>, each piece to <cb>. Returns 0, or -1 with
 * <err> and the answer's status in *<http> (0 when none came).
 */
static int conn_get(struct conn *c, const char *key, uint64_t off, s3_data_cb_fn cb, void *arg,
                    long *http, char *err, size_t errlen)
{
	char url[URL_MAX], range[48];
	struct plain pl = {.h = c->h, .off = off, .cb = cb, .arg = arg};
	const char *base = c->s->base;
	char gkey[KEY_MAX];
	CURLcode res;
	int gw = c->s->gateway[0] != '\0'
	             ? ipfs_gw_key(c->s->ipfs_prefix, c->s->ipfs_cid, key, gkey, sizeof(gkey))
	             : 0;

	if (gw == -1) {
		pf_errf(err, errlen, "%s: gateway path too long", key);
		return -1;
	}
	if (gw == 1) {
		key = gkey;
		base = c->s->gateway;
		if (c->h == NULL && (c->h = pl.h = curl_easy_init()) == NULL) {
			pf_errf(err, errlen, "curl_easy_init failed");
			return -1;
		}
	}
	if (c->s3 != NULL && gw == 0) {
		struct s3_status st = {0};
		char pkey[KEY_MAX + SNAPCFG_PREFIX_MAX + 2];

		if (c->s->prefix != NULL) {
			(void)snprintf(pkey, sizeof(pkey), "%s/%s", c->s->prefix, key);
			key = pkey;
		}
		*http = 0;
		if (s3_get(c->s3, key, off, 0, cb, arg, &st) == 0)
			return 0;
		*http = st.http;
		pf_errf(err, errlen, "%s: %s", key, st.err);
		return -1;
	}
	if (url_of(base, key, url, sizeof(url)) == -1) {
		pf_errf(err, errlen, "%s: URL too long", key);
		return -1;
	}
	curl_easy_reset(c->h);
	snprintf(range, sizeof(range), "%" PRIu64 "-", off);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	/* No overall timeout (objects of hundreds of GB); a stalled transfer ends after 60 s. */
	curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, plain_write);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &pl);
	if (off > 0)
		curl_easy_setopt(c->h, CURLOPT_RANGE, range);
	/* Pieces of up to 512 KiB: a 16 KiB default meant a write callback (a hash, a copy) every
	 * 16 KiB. */
	curl_easy_setopt(c->h, CURLOPT_BUFFERSIZE, 512L << 10);
	res = curl_easy_perform(c->h);
	if (pl.http == 0)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &pl.http);
	*http = pl.http;
	if (res == CURLE_OK && pl.http == (off > 0 ? 206 : 200))
		return 0;
	if (pl.refused || (res == CURLE_OK && pl.http != 0))
		pf_errf(err, errlen, "%s: HTTP %ld%s", url, pl.http,
		        off > 0 && pl.http == 200 ? " (the server ignored the Range)" : "");
	else
		pf_errf(err, errlen, "%s: %s", url, curl_easy_strerror(res));
	return -1;
}

/*
 * Waits before attempt <i> + 2 of a GET that got nothing: 0.2 s, doubled each
 * time (the S3 client does its own; this is for a plain server's 5xx or a
 * refused connection).
 */
static void backoff(int i)
{
	long ms = 200L << i;
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	if (i + 1 >= GET_ATTEMPTS)
		return;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A small document in memory, at most <cap> bytes. */
struct doc {
	uint8_t *p;
	size_t len, cap;
	bool over;
};

static int doc_put(const uint8_t *p, size_t len, void *arg)
{
	struct doc *d = arg;

	if (len > d->cap - d->len) {
		d->over = true;
		return -1;
	}
	memcpy(d->p + d->len, p, len);
	d->len += len;
	return 0;
}

/* Reads <key> whole into <d> (allocated; the caller frees d->p). Returns an enum fetch_rc. */
static int get_doc(struct conn *c, const char *key, struct doc *d, size_t cap, char *err,
                   size_t errlen)
{
	d->p = malloc(cap);
	d->len = 0;
	d->cap = cap;
	d->over = false;
	if (d->p == NULL) {
		pf_errf(err, errlen, "out of memory");
		return FETCH_NET;
	}
	for (int i = 0; i < GET_ATTEMPTS; i++) {
		long http = 0;

		d->len = 0;
		if (conn_get(c, key, 0, doc_put, d, &http, err, errlen) == 0)
			return FETCH_OK;
		if (d->over) {
			pf_errf(err, errlen, "%s: larger than %zu bytes (refused)", key, cap);
			return FETCH_VERIFY;
		}
		if (http >= 400 && http < 500)
			break;
		backoff(i);
	}
	return FETCH_NET;
}

/* The snapshot's documents, checked top down. */
struct docs {
	struct manifest_latest l;
	struct manifest m;
	char dir[MANIFEST_NAME_MAX + 1]; /* chains/<chain>/<snapshot> */
	const struct manifest_artifact *a;
};

static int read_latest(struct conn *c, const char *chain, struct docs *ds, char *err, size_t errlen)
{
	char key[KEY_MAX], perr[256];
	struct doc d;
	int rc;

	snprintf(key, sizeof(key), "chains/%s/latest.json", chain);
	rc = get_doc(c, key, &d, MANIFEST_TEXT_MAX, err, errlen);
	if (rc == FETCH_OK &&
	    manifest_latest_parse(&ds->l, (const char *)d.p, d.len, perr, sizeof(perr)) == -1) {
		pf_errf(err, errlen, "%s: %s", key, perr);
		rc = FETCH_VERIFY;
	} else if (rc == FETCH_OK && strcmp(ds->l.chain, chain) != 0) {
		pf_errf(err, errlen, "%s: names chain %s, not %s", key, ds->l.chain, chain);
		rc = FETCH_VERIFY;
	}
	free(d.p);
	return rc;
}

static int read_manifest(struct conn *c, const char *chain, struct docs *ds, char *err,
                         size_t errlen)
{
	char key[KEY_MAX], perr[256], hex[65];
	const char *slash = strrchr(ds->l.manifest, '/');
	struct doc d;
	int rc;

	snprintf(key, sizeof(key), "chains/%s/%s", chain, ds->l.manifest);
	snprintf(ds->dir, sizeof(ds->dir), "chains/%s/%.*s", chain,
	         slash != NULL ? (int)(slash - ds->l.manifest) : 0, ds->l.manifest);
	rc = get_doc(c, key, &d, MANIFEST_TEXT_MAX, err, errlen);
	if (rc != FETCH_OK)
		goto out;
	rc = FETCH_VERIFY;
	sha256_hex(d.p, d.len, hex);
	if (strcmp(hex, ds->l.sha256) != 0)
		pf_errf(err, errlen, "%s: sha256 mismatch: latest.json says %s, the manifest is %s",
		        key, ds->l.sha256, hex);
	else if (manifest_parse(&ds->m, (const char *)d.p, d.len, perr, sizeof(perr)) == -1)
		pf_errf(err, errlen, "%s: %s", key, perr);
	else if (strcmp(ds->m.chain, ds->l.chain) != 0 || ds->m.height != ds->l.height)
		pf_errf(err, errlen, "%s: chain %s height %" PRIu64 ", latest.json %s %" PRIu64,
		        key, ds->m.chain, ds->m.height, ds->l.chain, ds->l.height);
	else
		rc = FETCH_OK;
out:
	free(d.p);
	return rc;
}

static int pick_artifact(const struct fetch_opts *o, struct docs *ds, char *err, size_t errlen)
{
	for (enum manifest_kind k = MANIFEST_KIND_FILES; k < MANIFEST_KIND_COUNT; k++) {
		if ((o->form == FETCH_FORM_FILES && k != MANIFEST_KIND_FILES) ||
		    (o->form == FETCH_FORM_TAR && k != MANIFEST_KIND_TAR_ZST))
			continue;
		for (unsigned i = 0; i < ds->m.n; i++)
			if (ds->m.a[i].kind == k) {
				ds->a = &ds->m.a[i];
				return FETCH_OK;
			}
	}
	pf_errf(err, errlen, "the manifest of %s at height %" PRIu64 " has no %s artifact",
	        ds->m.chain, ds->m.height, o->form == FETCH_FORM_TAR ? "tar.zst" : "files");
	return FETCH_VERIFY;
}

/* ---- one streamed object: into a file under DEST, or into the tar's queue ---- */

struct sink {
	struct run *r;
	int fd;
	struct blockq *q; /* the tar: the bytes go here, not to <fd> */
	EVP_MD_CTX *md;
	uint64_t have;  /* bytes of the object received so far (with a resumed prefix) */
	uint64_t limit; /* more than this and the object is refused */
	bool over;
	char werr[256];
};

static int sink_put(const uint8_t *p, size_t len, void *arg)
{
	struct sink *k = arg;

	if (atomic_load(&k->r->stop))
		return -1;
	if (k->have > k->limit || len > k->limit - k->have) {
		k->over = true;
		return -1;
	}
	if (EVP_DigestUpdate(k->md, p, len) != 1) {
		snprintf(k->werr, sizeof(k->werr), "sha256 failed");
		return -1;
	}
	if (k->q != NULL && blockq_put(k->q, p, len) == -1) {
		snprintf(k->werr, sizeof(k->werr), "the tar's reader stopped");
		return -1;
	}
	for (size_t off = 0; k->q == NULL && off < len;) {
		ssize_t n = write(k->fd, p + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(k->werr, sizeof(k->werr), "write: %s", strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	k->have += len;
	atomic_fetch_add(&k->r->done, len);
	progress(k->r, false);
	return 0;
}

/*
 * Streams <key> into <k> from k->have, resuming after a cut a bounded
 * number of times. Returns an enum fetch_rc with <err>.
 */
static int stream_object(struct conn *c, const char *key, struct sink *k, char *err, size_t errlen)
{
	for (int i = 0; i < GET_ATTEMPTS; i++) {
		uint64_t before = k->have;
		long http = 0;

		if (conn_get(c, key, k->have, sink_put, k, &http, err, errlen) == 0)
			return FETCH_OK;
		/*
		 * A partial copy as long as the object (a run stopped between its
		 * last byte and the rename): nothing is left to get, the sha256 decides.
		 */
		if (http == 416 && k->have > 0 && before == k->have)
			return FETCH_OK;
		if (atomic_load(&k->r->stop))
			return FETCH_NET;
		if (k->over) {
			pf_errf(err, errlen, "%s: more bytes than the manifest's size %" PRIu64,
			        key, k->limit);
			return FETCH_VERIFY;
		}
		if (k->werr[0] != '\0') {
			pf_errf(err, errlen, "%s: %s", key, k->werr);
			return FETCH_NET;
		}
		if (k->have > before)
			fprintf(stderr, "%s: cut at byte %" PRIu64 ", resuming with a Range\n", key,
			        k->have);
		else if (http >= 400 && http < 500)
			break;
		else
			backoff(i);
	}
	return FETCH_NET;
}

/* ---- the files form ---- */

struct files {
	struct run *r;
	const struct docs *ds;
	struct filelist_entry *e;
	size_t n;
	size_t next; /* under r->mu */
	_Atomic uint64_t sizes;
	_Atomic size_t skipped; /* files an earlier run left verified */
};

/* Hashes the <have> bytes already in the partial copy <fd> (a resumed file). */
static int hash_prefix(int fd, uint64_t have, EVP_MD_CTX *md)
{
	uint8_t buf[65536];
	uint64_t off = 0;

	while (off < have) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

		if (n <= 0 || EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			return -1;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * A file an earlier run already verified and renamed into place: 1 when it
 * is there and still matches its line (skipped), 0 when it is not there or
 * differs (fetched again), -1 when its name is refused.
 */
static int already_there(struct files *f, const struct filelist_entry *e, EVP_MD_CTX *md)
{
	char err[ERR_MAX], hex[65];
	uint8_t dg[SHA256_LEN];
	unsigned int dl = 0;
	struct stat st;
	int fd = destdir_open_file(f->r->dd, e->path, e->len, err, sizeof(err)), ok;

	if (fd == -1 && errno == ENOENT)
		return 0;
	if (fd == -1) {
		fail(f->r, FETCH_VERIFY, err);
		return -1;
	}
	ok = fstat(fd, &st) == 0 && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     hash_prefix(fd, (uint64_t)st.st_size, md) == 0 && EVP_DigestFinal_ex(md, dg, &dl) == 1;
	close(fd);
	if (!ok)
		return 0;
	sha256_digest_hex(dg, hex);
	if (strcmp(hex, e->sha256) != 0)
		return 0;
	atomic_fetch_add(&f->sizes, (uint64_t)st.st_size);
	atomic_fetch_add(&f->r->done, (uint64_t)st.st_size);
	atomic_fetch_add(&f->skipped, 1);
	return 1;
}

static int fetch_one(struct files *f, struct conn *c, const struct filelist_entry *e,
                     EVP_MD_CTX *md)
{
	struct run *r = f->r;
	char key[KEY_MAX], err[ERR_MAX], hex[65];
	uint8_t dg[SHA256_LEN];
	unsigned int dl = 0;
	struct sink k = {.r = r, .md = md};
	off_t have = 0;
	int rc;

	k.fd = destdir_open_part(r->dd, e->path, e->len, &have, err, sizeof(err));
	if (k.fd == -1) {
		fail(r, FETCH_VERIFY, err);
		return -1;
	}
	k.have = (uint64_t)have;
	k.limit = f->ds->a->size;
	snprintf(key, sizeof(key), "%s/%s/%.*s", f->ds->dir, f->ds->a->name, (int)e->len, e->path);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || hash_prefix(k.fd, k.have, md) == -1) {
		pf_errf(err, sizeof(err), "%s: reading its partial copy failed", key);
		rc = FETCH_NET;
		goto bad;
	}
	atomic_fetch_add(&r->done, k.have);
	rc = stream_object(c, key, &k, err, sizeof(err));
	if (rc != FETCH_OK)
		goto bad;
	EVP_DigestFinal_ex(md, dg, &dl);
	sha256_digest_hex(dg, hex);
	if (strcmp(hex, e->sha256) != 0) {
		pf_errf(err, sizeof(err), "%s: sha256 mismatch: expected %s (SHA256SUMS), got %s",
		        key, e->sha256, hex);
		/* A bad partial copy would fail every resume: the next run starts it over. */
		if (ftruncate(k.fd, 0) == -1)
			pf_errf(err, sizeof(err), "%s: sha256 mismatch, and truncating it failed",
			        key);
		rc = FETCH_VERIFY;
		goto bad;
	}
	atomic_fetch_add(&f->sizes, k.have);
	if (destdir_commit(r->dd, e->path, e->len, k.fd, err, sizeof(err)) == -1) {
		fail(r, FETCH_NET, err);
		return -1;
	}
	return 0;
bad:
	close(k.fd);
	fail(r, rc, err);
	return -1;
}

static void *files_worker(void *arg)
{
	struct files *f = arg;
	struct conn c;
	char err[ERR_MAX];
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || conn_open(&c, &f->r->src, err, sizeof(err)) == -1) {
		fail(f->r, FETCH_NET, md == NULL ? "out of memory" : err);
		EVP_MD_CTX_free(md);
		return NULL;
	}
	while (!atomic_load(&f->r->stop)) {
		size_t i;

		pthread_mutex_lock(&f->r->mu);
		i = f->next++;
		pthread_mutex_unlock(&f->r->mu);
		if (i >= f->n)
			break;
		switch (already_there(f, &f->e[i], md)) {
		case 0:
			if (fetch_one(f, &c, &f->e[i], md) == -1)
				goto out;
			break;
		case 1:
			break;
		default:
			goto out;
		}
	}
out:
	conn_close(&c);
	EVP_MD_CTX_free(md);
	return NULL;
}

/* Parses every line of SHA256SUMS up front: a hostile line fails the fetch before any write. */
static int parse_sums(struct files *f, const struct doc *d, char *err, size_t errlen)
{
	struct filelist_error fe = {0};
	struct filelist_entry e;
	size_t off = 0, cap = 0;
	const char *prev = NULL;
	size_t prevlen = 0;
	int got;

	while ((got = filelist_next((const char *)d->p, d->len, &off, 1, &e, prev, prevlen, &fe)) ==
	       1) {
		if (f->n == cap) {
			struct filelist_entry *ne;

			cap = cap != 0 ? 2 * cap : 1024;
			ne = realloc(f->e, cap * sizeof(*ne));
			if (ne == NULL) {
				pf_errf(err, errlen, "out of memory");
				return FETCH_NET;
			}
			f->e = ne;
		}
		f->e[f->n++] = e;
		prev = e.path;
		prevlen = e.len;
	}
	if (got == -1) {
		pf_errf(err, errlen, "%s line %zu: %s%s%s", f->ds->a->sums, fe.line,
		        filelist_reason_text(fe.reason), fe.reason == FILELIST_UNSAFE ? ": " : "",
		        fe.reason == FILELIST_UNSAFE ? safepath_reason_text(fe.safepath) : "");
		return FETCH_VERIFY;
	}
	return FETCH_OK;
}

/* Writes the verified SHA256SUMS into DEST, so `sha256sum -c` can check the tree later. */
static int write_sums(struct run *r, const struct docs *ds, const struct doc *d)
{
	const char *name = ds->a->sums;
	char err[ERR_MAX];
	off_t have = 0;
	int fd = destdir_open_part(r->dd, name, strlen(name), &have, err, sizeof(err));

	if (fd == -1)
		goto bad;
	if (ftruncate(fd, 0) == -1 || pwrite(fd, d->p, d->len, 0) != (ssize_t)d->len) {
		pf_errf(err, sizeof(err), "%s: %s", name, strerror(errno));
		close(fd);
		goto bad;
	}
	if (destdir_commit(r->dd, name, strlen(name), fd, err, sizeof(err)) == 0)
		return FETCH_OK;
bad:
	fail(r, FETCH_NET, err);
	return FETCH_NET;
}

static int fetch_files(struct run *r, struct conn *c, const struct docs *ds)
{
	struct files f = {.r = r, .ds = ds};
	char key[KEY_MAX], err[ERR_MAX], hex[65];
	pthread_t th[64];
	int nth = r->o->parallel, rc, started = 0;
	struct doc d;

	snprintf(key, sizeof(key), "%s/%s", ds->dir, ds->a->sums);
	rc = get_doc(c, key, &d, SUMS_MAX, err, sizeof(err));
	if (rc == FETCH_OK) {
		sha256_hex(d.p, d.len, hex);
		if (strcmp(hex, ds->a->sha256) != 0) {
			pf_errf(err, sizeof(err),
			        "%s: sha256 mismatch: expected %s (manifest), got %s", key,
			        ds->a->sha256, hex);
			rc = FETCH_VERIFY;
		}
	}
	if (rc == FETCH_OK)
		rc = parse_sums(&f, &d, err, sizeof(err));
	for (size_t i = 0; rc == FETCH_OK && i < f.n; i++)
		if (f.e[i].len == strlen(ds->a->sums) &&
		    memcmp(f.e[i].path, ds->a->sums, f.e[i].len) == 0) {
			pf_errf(err, sizeof(err), "%s lists itself", key);
			rc = FETCH_VERIFY;
		}
	if (rc != FETCH_OK) {
		fail(r, rc, err);
		goto out;
	}
	r->total = ds->a->size;
	r->started = now_s();
	for (int i = 0; i < nth && (size_t)i < f.n; i++)
		if (pthread_create(&th[i], NULL, files_worker, &f) == 0)
			started++;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (started == 0 && f.n > 0)
		fail(r, FETCH_NET, "could not start a thread");
	if (r->rc == FETCH_OK && atomic_load(&f.sizes) != ds->a->size) {
		snprintf(err, sizeof(err),
		         "%s: the files add up to %" PRIu64 " bytes, the manifest says %" PRIu64,
		         ds->a->name, atomic_load(&f.sizes), ds->a->size);
		fail(r, FETCH_VERIFY, err);
	}
	if (r->rc == FETCH_OK && atomic_load(&f.skipped) > 0)
		fprintf(stderr, "%zu of %zu files were already there and verified\n",
		        atomic_load(&f.skipped), f.n);
	if (r->rc == FETCH_OK)
		write_sums(r, ds, &d);
	if (r->rc == FETCH_OK)
		progress(r, true);
out:
	free(f.e);
	free(d.p);
	return r->rc;
}

/* ---- the tar form ---- */

/* The download side of the tar: the object into the queue, hashed on the way. */
struct tar_dl {
	struct run *r;
	const struct docs *ds;
	struct sink k;
	int rc;
	char err[ERR_MAX];
};

static void *tar_download(void *arg)
{
	struct tar_dl *t = arg;
	struct conn c;
	char key[KEY_MAX];

	snprintf(key, sizeof(key), "%s/%s", t->ds->dir, t->ds->a->name);
	if (conn_open(&c, &t->r->src, t->err, sizeof(t->err)) == -1) {
		t->rc = FETCH_NET;
	} else {
		t->rc = stream_object(&c, key, &t->k, t->err, sizeof(t->err));
		conn_close(&c);
	}
	blockq_finish(t->k.q); /* the end for the reader */
	return NULL;
}

/*
 * tar_file's and tar_read's own code for a stream libarchive cannot decode:
 * most likely a corrupted object, so the rest is still hashed and the
 * checksum named, where a refused entry stops the download at once.
 */
#define TAR_DECODE 10

/* Bytes of a file written before the disk is asked to start on them. */
#define TAR_FLUSH ((off_t)8 << 20)

/*
 * The queue between the download and the unpacking: 8 MiB, what the
 * download may be ahead of the unpacking (a pipe held 64 KiB).
 */
#define TAR_QUEUE_BLOCKS 8
#define TAR_QUEUE_BLOCK  ((size_t)1 << 20)

/* The names written as partial copies, committed once the whole stream is verified. */
struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *nm, const char *s)
{
	if (nm->n == nm->cap) {
		size_t cap = nm->cap != 0 ? 2 * nm->cap : 256;
		char **nv = realloc(nm->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		nm->v = nv;
		nm->cap = cap;
	}
	nm->v[nm->n] = strdup(s);
	if (nm->v[nm->n] == NULL)
		return -1;
	nm->n++;
	return 0;
}

/*
 * Starts the disk writing the bytes of <fd> from *<from> to <to> when
 * <force> or when they are at least TAR_FLUSH, without waiting for it. The
 * commit's fsync still makes each file durable; this only has the disk
 * working while the stream goes on, not all at once in the commit (a
 * 512 MiB fetch spent a third of its time there).
 */
static void tar_writeback(int fd, off_t *from, off_t to, bool force)
{
	if (to > *from && (force || to - *from >= TAR_FLUSH)) {
		(void)sync_file_range(fd, *from, to - *from, SYNC_FILE_RANGE_WRITE);
		*from = to;
	}
}

/* Writes the data of the current entry <name> as its partial copy, truncated first. */
static int tar_file(struct run *r, struct archive *ar, const char *name, char *err, size_t errlen)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	off_t have = 0, flushed = 0, end = 0;
	int fd = destdir_open_part(r->dd, name, strlen(name), &have, err, errlen), rc;

	if (fd == -1)
		return FETCH_VERIFY;
	if (have > 0 && ftruncate(fd, 0) == -1) {
		pf_errf(err, errlen, "%s: %s", name, strerror(errno));
		close(fd);
		return FETCH_NET;
	}
	while ((rc = archive_read_data_block(ar, &buf, &len, &off)) == ARCHIVE_OK) {
		if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len) {
			pf_errf(err, errlen, "%s: %s", name, strerror(errno));
			close(fd);
			return FETCH_NET;
		}
		if ((off_t)off + (off_t)len > end)
			end = (off_t)off + (off_t)len;
		tar_writeback(fd, &flushed, end, false);
	}
	tar_writeback(fd, &flushed, end, true);
	close(fd);
	if (rc != ARCHIVE_EOF) {
		pf_errf(err, errlen, "%s: %s", name, archive_error_string(ar));
		return TAR_DECODE;
	}
	return FETCH_OK;
}

/* One entry: a directory or a regular file, nothing else. */
static int tar_entry(struct run *r, struct archive *ar, struct archive_entry *en, struct names *nm,
                     char *err, size_t errlen)
{
	char name[SAFEPATH_PATH_MAX + 2];
	const char *p = archive_entry_pathname(en);
	size_t len = p != NULL ? strlen(p) : 0;
	mode_t type = archive_entry_filetype(en);

	if (p == NULL || len > SAFEPATH_PATH_MAX + 1) {
		pf_errf(err, errlen, "a tar entry without a usable name");
		return FETCH_VERIFY;
	}
	memcpy(name, p, len + 1);
	if (archive_entry_hardlink(en) != NULL || (type != AE_IFREG && type != AE_IFDIR)) {
		pf_errf(err, errlen, "%s: a %s in the tar (only files and directories are taken)",
		        name,
		        archive_entry_hardlink(en) != NULL ? "hard link"
		        : type == AE_IFLNK                 ? "symbolic link"
		                                           : "special file");
		return FETCH_VERIFY;
	}
	if (type == AE_IFDIR) {
		if (len > 1 && name[len - 1] == '/')
			name[--len] = '\0';
		return destdir_mkdir(r->dd, name, len, err, errlen) == 0 ? FETCH_OK : FETCH_VERIFY;
	}
	int rc = tar_file(r, ar, name, err, errlen);

	if (rc != FETCH_OK)
		return rc;
	if (names_add(nm, name) == -1) {
		pf_errf(err, errlen, "out of memory");
		return FETCH_NET;
	}
	return FETCH_OK;
}

/* libarchive's read callback: the next block of the queue, read in place. */
static la_ssize_t tar_block(struct archive *ar, void *q, const void **buf)
{
	(void)ar;
	return (la_ssize_t)blockq_get(q, buf);
}

/* Reads the tar from <q> to its end, entry by entry; drains what follows it. */
static int tar_read(struct run *r, struct blockq *q, struct names *nm, char *err, size_t errlen)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *en;
	int rc = FETCH_OK, ar_rc;
	const void *rest;

	if (ar == NULL || archive_read_support_filter_zstd(ar) != ARCHIVE_OK ||
	    archive_read_support_format_tar(ar) != ARCHIVE_OK ||
	    archive_read_open(ar, q, NULL, tar_block, NULL) != ARCHIVE_OK) {
		pf_errf(err, errlen, "%s: %s", "the tar",
		        ar != NULL ? archive_error_string(ar) : "no memory");
		rc = FETCH_VERIFY;
	}
	while (rc == FETCH_OK && (ar_rc = archive_read_next_header(ar, &en)) != ARCHIVE_EOF) {
		if (ar_rc != ARCHIVE_OK) {
			pf_errf(err, errlen, "the tar: %s", archive_error_string(ar));
			rc = TAR_DECODE;
			break;
		}
		rc = tar_entry(r, ar, en, nm, err, errlen);
	}
	archive_read_free(ar);
	if (rc == FETCH_OK || rc == TAR_DECODE)
		while (blockq_get(q, &rest) > 0)
			;
	return rc == TAR_DECODE ? FETCH_VERIFY : rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The length of <name>'s directory part, 0 for DEST itself. */
static size_t dir_len(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash != NULL ? (size_t)(slash - name) : 0;
}

/*
 * Renames every verified partial copy of <nm> (sorted) into place, each
 * file fsync'd before its rename, then fsyncs each directory once rather
 * than once per file (1,112 files, 1,112 fsyncs of a few directories). The
 * sorted names keep a directory's files together, nearly: "a/b/c" sorts
 * between "a/b" and "a/c" and costs "a" a second fsync, never a missed one.
 * Success is reported only after the last fsync.
 */
static void tar_commit(struct run *r, const struct names *nm)
{
	char err[ERR_MAX];
	off_t have;

	for (size_t i = 0; r->rc == FETCH_OK && i < nm->n; i++) {
		size_t len = strlen(nm->v[i]);
		int fd = destdir_open_part(r->dd, nm->v[i], len, &have, err, sizeof(err));

		if (fd == -1 ||
		    destdir_commit_later(r->dd, nm->v[i], len, fd, err, sizeof(err)) == -1)
			fail(r, FETCH_NET, err);
	}
	for (size_t i = 0; r->rc == FETCH_OK && i < nm->n; i++) {
		size_t dl = dir_len(nm->v[i]);

		if (i > 0 && dl == dir_len(nm->v[i - 1]) && memcmp(nm->v[i], nm->v[i - 1], dl) == 0)
			continue;
		if (destdir_sync_dir(r->dd, nm->v[i], strlen(nm->v[i]), err, sizeof(err)) == -1)
			fail(r, FETCH_NET, err);
	}
}

static int fetch_tar(struct run *r, const struct docs *ds)
{
	struct tar_dl t = {.r = r, .ds = ds, .k = {.r = r}};
	struct names nm = {0};
	char err[ERR_MAX] = "", hex[65];
	uint8_t dg[SHA256_LEN];
	unsigned int dl = 0;
	int rc;
	pthread_t th;

	t.k.md = EVP_MD_CTX_new();
	t.k.limit = ds->a->size;
	t.k.q = blockq_new(TAR_QUEUE_BLOCKS, TAR_QUEUE_BLOCK);
	if (t.k.md == NULL || t.k.q == NULL || EVP_DigestInit_ex(t.k.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(t.k.md);
		blockq_free(t.k.q);
		fail(r, FETCH_NET, "out of memory");
		return r->rc;
	}
	r->total = ds->a->size;
	r->started = now_s();
	if (pthread_create(&th, NULL, tar_download, &t) != 0) {
		blockq_free(t.k.q);
		EVP_MD_CTX_free(t.k.md);
		fail(r, FETCH_NET, "could not start a thread");
		return r->rc;
	}
	rc = tar_read(r, t.k.q, &nm, err, sizeof(err));
	if (rc != FETCH_OK)
		atomic_store(&r->stop, 1);
	blockq_stop(t.k.q); /* a download still going stops at its next block */
	pthread_join(th, NULL);
	blockq_free(t.k.q);
	EVP_DigestFinal_ex(t.k.md, dg, &dl);
	EVP_MD_CTX_free(t.k.md);
	sha256_digest_hex(dg, hex);
	/* A corrupted object usually breaks the tar first: the checksum is what names it. */
	if (t.rc == FETCH_OK && (t.k.have != ds->a->size || strcmp(hex, ds->a->sha256) != 0)) {
		pf_errf(err, sizeof(err),
		        "%s/%s: sha256 mismatch: expected %s (manifest), got %s (%" PRIu64
		        " bytes, manifest %" PRIu64 ")",
		        ds->dir, ds->a->name, ds->a->sha256, hex, t.k.have, ds->a->size);
		fail(r, FETCH_VERIFY, err);
	} else if (rc != FETCH_OK) {
		fail(r, rc, err);
	} else if (t.rc != FETCH_OK) {
		fail(r, t.rc, t.err);
	}
	/* Two entries of one name would commit the second's empty partial copy over the first. */
	if (nm.n > 1)
		qsort(nm.v, nm.n, sizeof(*nm.v), cmp_str);
	for (size_t i = 1; r->rc == FETCH_OK && i < nm.n; i++)
		if (strcmp(nm.v[i - 1], nm.v[i]) == 0) {
			pf_errf(err, sizeof(err), "%s: twice in the tar", nm.v[i]);
			fail(r, FETCH_VERIFY, err);
		}
	if (r->rc == FETCH_OK)
		tar_commit(r, &nm);
	for (size_t i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	if (r->rc == FETCH_OK)
		progress(r, true);
	return r->rc;
}

/* ---- the run ---- */

static int src_setup(struct run *r, char *err, size_t errlen)
{
	const struct fetch_opts *o = r->o;

	if (o->url != NULL) {
		size_t n = strlen(o->url);

		while (n > 0 && o->url[n - 1] == '/')
			n--;
		if ((strncmp(o->url, "https://", 8) != 0 && strncmp(o->url, "http://", 7) != 0) ||
		    n >= sizeof(r->src.base)) {
			pf_errf(err, errlen, "%s: not an http:// or https:// URL", o->url);
			return FETCH_USAGE;
		}
		memcpy(r->src.base, o->url, n);
		r->src.base[n] = '\0';
		return FETCH_OK;
	}
	r->src.cfg = (struct s3_cfg){.endpoint = o->endpoint,
	                             .region = o->region != NULL ? o->region : "us-east-1",
	                             .bucket = o->bucket,
	                             .path_style = o->endpoint != NULL,
	                             .requester_pays = true};
	r->src.prefix = o->prefix != NULL && o->prefix[0] != '\0' ? o->prefix : NULL;
	if (s3_creds_from_env(&r->src.creds) == 0 ||
	    s3_creds_from_imds(&r->src.creds, NULL, err, errlen) == 0)
		return FETCH_OK;
	pf_errf(err, errlen,
	        "no S3 credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance "
	        "profile): requester pays needs a signed request");
	return FETCH_NET;
}

/*
 * --from ipfs: the artifact's bytes from the gateway, by the CID its
 * manifest names; the documents (latest.json, the manifest, SHA256SUMS) and
 * every checksum stay those of the source the manifest was read from.
 */
static int ipfs_setup(struct src *s, const char *gateway, const struct docs *ds, char *err,
                      size_t errlen)
{
	size_t n = strlen(gateway);

	while (n > 0 && gateway[n - 1] == '/')
		n--;
	if ((strncmp(gateway, "https://", 8) != 0 && strncmp(gateway, "http://", 7) != 0) ||
	    n >= sizeof(s->gateway)) {
		pf_errf(err, errlen, "--gateway %s: not an http:// or https:// URL", gateway);
		return FETCH_USAGE;
	}
	if (ds->a->cid[0] == '\0') {
		pf_errf(err, errlen,
		        "the manifest's %s artifact has no cid: it was not published to IPFS",
		        manifest_kind_name(ds->a->kind));
		return FETCH_VERIFY;
	}
	memcpy(s->gateway, gateway, n);
	s->gateway[n] = '\0';
	snprintf(s->ipfs_prefix, sizeof(s->ipfs_prefix), "%s/%s", ds->dir, ds->a->name);
	memcpy(s->ipfs_cid, ds->a->cid, sizeof(s->ipfs_cid));
	fprintf(stderr, "from IPFS: %s/ipfs/%s\n", s->gateway, s->ipfs_cid);
	return FETCH_OK;
}

int fetch_run(const struct fetch_opts *o)
{
	struct run r = {.o = o, .mu = PTHREAD_MUTEX_INITIALIZER};
	struct docs ds = {0};
	struct conn c = {0};
	char err[ERR_MAX] = "";
	int rc;

	rc = src_setup(&r, err, sizeof(err));
	if (rc == FETCH_OK) {
		r.dd = destdir_open(o->dest, err, sizeof(err));
		rc = r.dd == NULL ? FETCH_NET : FETCH_OK;
	}
	if (rc == FETCH_OK)
		rc = conn_open(&c, &r.src, err, sizeof(err)) == 0 ? FETCH_OK : FETCH_NET;
	if (rc == FETCH_OK)
		rc = read_latest(&c, o->chain, &ds, err, sizeof(err));
	if (rc == FETCH_OK)
		rc = read_manifest(&c, o->chain, &ds, err, sizeof(err));
	if (rc == FETCH_OK)
		rc = pick_artifact(o, &ds, err, sizeof(err));
	if (rc == FETCH_OK && o->gateway != NULL)
		rc = ipfs_setup(&r.src, o->gateway, &ds, err, sizeof(err));
	if (rc != FETCH_OK) {
		fprintf(stderr, "polkfura-ctl: snapshot fetch: %s\n", err);
		goto out;
	}
	fprintf(stderr, "%s at height %" PRIu64 " (%s), %s artifact %s, %" PRIu64 " bytes\n",
	        ds.m.chain, ds.m.height, ds.m.block_hash, manifest_kind_name(ds.a->kind),
	        ds.a->name, ds.a->size);
	rc = ds.a->kind == MANIFEST_KIND_FILES ? fetch_files(&r, &c, &ds) : fetch_tar(&r, &ds);
	if (rc != FETCH_OK)
		fprintf(stderr, "%spolkfura-ctl: snapshot fetch: %s\n", o->tty ? "\n" : "", r.err);
	else
		fprintf(stderr, "verified and written to %s\n", o->dest);
out:
	conn_close(&c);
	destdir_free(r.dd);
	return rc;
}

static void fetch_usage(FILE *out)
{
	fprintf(out,
	        "usage: polkfura-ctl snapshot fetch --chain C --dest DIR\n"
	        "       [--from URL | --from s3 --bucket B [--region R] [--endpoint URL]]\n"
	        "       [--from ipfs --gateway URL (--endpoint URL | --bucket B ...)]\n"
	        "       [--form files|tar] [--parallel N] [--config FILE] [--prefix P]\n"
	        "Downloads the latest snapshot of chain C into DIR, every byte checked against\n"
	        "the sha256 its manifest fixes (docs/snapshot-format.md).\n\n"
	        "  --from URL        the base where chains/C/latest.json lives (https:// or\n"
	        "                    http://, a CDN or the bucket's public URL); plain GETs\n"
	        "  --from s3         the bucket B, signed, with x-amz-request-payer: requester\n"
	        "                    (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/\n"
	        "                    AWS_SESSION_TOKEN or the instance profile); --endpoint an\n"
	        "                    S3-compatible service (path style); --region default\n"
	        "                    us-east-1\n"
	        "  --from cdn        the same as --from URL with the URL in --endpoint\n"
	        "  --from ipfs       latest.json, the manifest and SHA256SUMS from --endpoint\n"
	        "                    URL (as --from cdn) or --bucket B (as --from s3), the\n"
	        "                    artifact's bytes from the IPFS gateway --gateway URL\n"
	        "                    (URL/ipfs/CID, by the CID the manifest names), checked\n"
	        "                    against the same sha256s\n"
	        "  --form files|tar  the artifact (default: files when the manifest has them)\n"
	        "  --parallel N      files fetched at once, 1 to 64 (default 4)\n"
	        "  --prefix P        --from s3: the layout is under P/ in the bucket\n"
	        "  --config FILE     --from s3 or cdn: bucket, region, endpoint, prefix and\n"
	        "                    cdn_url from FILE's snapshot section (s3_files, or s3_tar\n"
	        "                    for --form tar and cdn); a flag given wins\n\n"
	        "Files are written as NAME.pf-part and renamed once verified; an interrupted\n"
	        "files fetch resumes each partial file with a Range. A tar fetch starts over.\n"
	        "exit codes: 0 done, 1 network or server failure, 2 bad usage, 3 a checksum,\n"
	        "size or name did not verify (nothing unverified is left under a final name)\n");
}

/*
 * --config: the source's defaults from <file> (fetchcfg_load.h) for --from s3
 * or cdn, each kept only where its flag was not given. Returns -1 when done,
 * or prints why and returns FETCH_USAGE. The strings live until exit.
 */
static int fetch_config(const char *file, const char *from, struct fetch_opts *o)
{
	static struct fetchcfg_src fs;
	bool cdn = strcmp(from, "cdn") == 0;
	char err[1024];

	if (!cdn && strcmp(from, "s3") != 0) {
		fprintf(stderr,
		        "polkfura-ctl: snapshot fetch: --config goes with --from s3 or cdn\n");
		return FETCH_USAGE;
	}
	if (cdn && o->endpoint != NULL)
		return -1;
	if (fetchcfg_load(file, cdn, o->form == FETCH_FORM_TAR, &fs, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: snapshot fetch: %s\n", err);
		return FETCH_USAGE;
	}
	if (cdn) {
		o->endpoint = fs.url;
		return -1;
	}
	o->bucket = o->bucket != NULL ? o->bucket : fs.bucket;
	o->region = o->region != NULL ? o->region : fs.region;
	if (o->endpoint == NULL && fs.endpoint[0] != '\0')
		o->endpoint = fs.endpoint;
	o->prefix = o->prefix != NULL ? o->prefix : fs.prefix;
	return -1;
}

static int fetch_args(int argc, char **argv, struct fetch_opts *o)
{
	static const struct option opts[] = {
	    {"chain", required_argument, NULL, 'C'},
	    {"dest", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'F'},
	    {"endpoint", required_argument, NULL, 'e'},
	    {"bucket", required_argument, NULL, 'b'},
	    {"region", required_argument, NULL, 'R'},
	    {"form", required_argument, NULL, 'O'},
	    {"parallel", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {"config", required_argument, NULL, 'c'},
	    {"prefix", required_argument, NULL, 'P'},
	    {"gateway", required_argument, NULL, 'g'},
	    {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *form = NULL, *config = NULL;
	char *end;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			o->chain = optarg;
			break;
		case 'd':
			o->dest = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'e':
			o->endpoint = optarg;
			break;
		case 'b':
			o->bucket = optarg;
			break;
		case 'R':
			o->region = optarg;
			break;
		case 'O':
			form = optarg;
			break;
		case 'g':
			o->gateway = optarg;
			break;
		case 'p':
			o->parallel = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->parallel < 1 || o->parallel > 64) {
				fprintf(stderr, "polkfura-ctl: --parallel: 1 to 64\n");
				return FETCH_USAGE;
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 'P':
			o->prefix = optarg;
			break;
		case 'h':
			fetch_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "polkfura-ctl: snapshot fetch: %s: %s (see --help)\n",
			        argv[optind - 1], opt == ':' ? "missing value" : "unknown option");
			return FETCH_USAGE;
		}
	}
	if (o->chain == NULL || o->dest == NULL || from == NULL || optind != argc) {
		fprintf(stderr, "polkfura-ctl: snapshot fetch: --chain, --dest and --from are "
		                "needed (see --help)\n");
		return FETCH_USAGE;
	}
	if (form != NULL && strcmp(form, "files") != 0 && strcmp(form, "tar") != 0) {
		fprintf(stderr, "polkfura-ctl: --form: files or tar\n");
		return FETCH_USAGE;
	}
	o->form = form == NULL     ? FETCH_FORM_AUTO
	          : form[0] == 'f' ? FETCH_FORM_FILES
	                           : FETCH_FORM_TAR;
	if (config != NULL && fetch_config(config, from, o) != -1)
		return FETCH_USAGE;
	if ((strcmp(from, "ipfs") == 0) != (o->gateway != NULL)) {
		fprintf(stderr, "polkfura-ctl: snapshot fetch: --from ipfs and --gateway URL go "
		                "together\n");
		return FETCH_USAGE;
	}
	if (strcmp(from, "ipfs") == 0) {
		/* The documents from --bucket as --from s3, else from --endpoint as --from cdn. */
		if (o->bucket == NULL && o->endpoint == NULL) {
			fprintf(stderr,
			        "polkfura-ctl: snapshot fetch: --from ipfs needs --endpoint "
			        "URL or --bucket B, where latest.json is\n");
			return FETCH_USAGE;
		}
		if (o->bucket == NULL)
			o->url = o->endpoint;
	} else if (strcmp(from, "s3") == 0) {
		if (o->bucket == NULL) {
			fprintf(stderr, "polkfura-ctl: snapshot fetch: --from s3 needs --bucket\n");
			return FETCH_USAGE;
		}
	} else if (strcmp(from, "cdn") == 0) {
		o->url = o->endpoint;
		if (o->url == NULL) {
			fprintf(stderr,
			        "polkfura-ctl: snapshot fetch: --from cdn needs --endpoint URL\n");
			return FETCH_USAGE;
		}
	} else {
		o->url = from;
	}
	return -1;
}

int fetch_main(int argc, char **argv)
{
	struct fetch_opts o = {.parallel = 4};
	int rc = fetch_args(argc, argv, &o);

	if (rc != -1)
		return rc;
	o.tty = isatty(STDERR_FILENO) == 1;
	o.progress_s = 10;
	if (getenv("PF_FETCH_PROGRESS_S") != NULL)
		o.progress_s = strtod(getenv("PF_FETCH_PROGRESS_S"), NULL);
	/* A server closing the connection must not kill the process with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = fetch_run(&o);
	curl_global_cleanup();
	return rc;
}
