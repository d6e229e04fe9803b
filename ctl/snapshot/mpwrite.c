/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/mpwrite.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/mpstate.h"

/* One upload thread: a part to send, or idle. */
struct slot {
	struct mpw *w;
	pthread_t th;
	struct s3_client *c; /* its own: a curl handle is never shared between threads */
	uint8_t *buf;
	size_t len;
	int number;
	bool busy;
};

struct mpw {
	struct s3_client *c;
	char key[S3_KEY_MAX];
	char upload_id[S3_UPLOADID_MAX];
	uint8_t *buf; /* the part being filled */
	size_t part_size, fill;
	struct s3xml_part *parts; /* MPW_PARTS_MAX entries, <n> handed out */
	size_t n;
	uint64_t total, max_bytes;
	bool done;
	/* threads: everything below is under <mu> once they run */
	struct slot *slots;
	unsigned nslots, nstarted;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, failed;
	char ferr[512];
	/* resume */
	char state[1100]; /* the state file, "" without a state directory */
	int state_fd;
	struct mpstate_part *rec; /* MPW_PARTS_MAX: what the state file recorded */
	struct mpw_stats stats;
};

/* Sends part <number> of <buf>/<len> through <c>, unless an earlier run sent the same bytes. */
static int send_part(struct mpw *w, struct s3_client *c, int number, const uint8_t *buf, size_t len,
                     char *err, size_t errlen)
{
	struct s3xml_part *pt = &w->parts[number - 1];
	struct mpstate_part rec = {.have = true, .size = len};
	struct s3_status st;
	char line[MPSTATE_LINE_MAX];
	long n;

	if (w->rec != NULL)
		sha256(buf, len, rec.sha256);
	if (w->rec != NULL && w->rec[number - 1].have && w->rec[number - 1].size == len &&
	    memcmp(w->rec[number - 1].sha256, rec.sha256, SHA256_LEN) == 0) {
		memcpy(pt->etag, w->rec[number - 1].etag, sizeof(pt->etag));
		pthread_mutex_lock(&w->mu);
		w->stats.skipped++;
		pthread_mutex_unlock(&w->mu);
		return 0;
	}
	if (s3_mpu_part(c, w->key, w->upload_id, number, buf, len, pt->etag, &st) == -1) {
		(void)snprintf(err, errlen, "%.200s part %d: %s", w->key, number, st.err);
		if (w->stats.resumed && strcmp(st.code, "NoSuchUpload") == 0) {
			pthread_mutex_lock(&w->mu);
			w->stats.gone = true;
			pthread_mutex_unlock(&w->mu);
		}
		return -1;
	}
	pthread_mutex_lock(&w->mu);
	w->stats.sent++;
	if (w->state_fd != -1) {
		memcpy(rec.etag, pt->etag, sizeof(rec.etag));
		n = mpstate_part_line(number, &rec, line, sizeof(line));
		/* One write() of a short line: a kill leaves it whole, absent or cut (ignored). */
		if (n < 0 || write(w->state_fd, line, (size_t)n) != n) {
			(void)snprintf(err, errlen, "%s: write: %s", w->state,
			               n < 0 ? "line too long" : strerror(errno));
			pthread_mutex_unlock(&w->mu);
			return -1;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static void *slot_main(void *arg)
{
	struct slot *s = arg;
	struct mpw *w = s->w;
	char why[512];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool skip;
		int rc = 0;

		while (!s->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!s->busy)
			break;
		/* After a failure the object cannot complete: do not spend a transfer on it. */
		skip = w->failed;
		pthread_mutex_unlock(&w->mu);
		if (!skip)
			rc = send_part(w, s->c, s->number, s->buf, s->len, why, sizeof(why));
		pthread_mutex_lock(&w->mu);
		if (rc == -1 && !w->failed) {
			w->failed = true;
			memcpy(w->ferr, why, sizeof(w->ferr));
		}
		s->busy = false;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int mpw_make_state_dir(const char *dir, char *err, size_t errlen)
{
	char p[1024];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(p)) {
		(void)snprintf(err, errlen, "state_dir: bad path");
		return -1;
	}
	memcpy(p, dir, len + 1);
	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	(void)snprintf(err, errlen, "%.200s: mkdir: %s", p, strerror(errno));
	return -1;
}

/* The state file's text, or NULL when there is none (or it cannot be read). */
static char *read_state(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	/* 10,000 parts sent a few times each over several runs: far below this. */
	size_t cap = 16u * 1024 * 1024, got;
	char *buf;

	if (f == NULL)
		return NULL;
	buf = malloc(cap);
	got = buf != NULL ? fread(buf, 1, cap, f) : 0;
	(void)fclose(f);
	if (buf == NULL || got == cap) { /* larger than 10,000 parts make: not ours */
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

/*
 * Takes the recorded upload when the file names this object and part size,
 * and keeps only the parts ListParts confirms where it answers. True when
 * the upload is resumed.
 */
static bool try_resume(struct mpw *w, const char *url)
{
	struct mpstate st = {.parts = w->rec};
	struct s3_status ss;
	size_t len = 0, n = 0;
	char why[128];
	char *text = read_state(w->state, &len);
	bool ok;

	if (text == NULL)
		return false;
	ok = mpstate_parse(text, len, &st, why, sizeof(why)) == 0 && strcmp(st.url, url) == 0 &&
	     st.part_size == w->part_size && strlen(st.upload_id) < sizeof(w->upload_id);
	free(text);
	if (!ok)
		goto fresh;
	memcpy(w->upload_id, st.upload_id, strlen(st.upload_id) + 1);
	/* w->parts is free until the first part: scratch for the listing. */
	if (s3_mpu_list(w->c, w->key, w->upload_id, w->parts, MPW_PARTS_MAX, &n, &ss) == 0) {
		bool seen[MPW_PARTS_MAX + 1] = {false};

		for (size_t i = 0; i < n; i++) {
			const struct s3xml_part *p = &w->parts[i];

			if (p->number >= 1 && p->number <= MPW_PARTS_MAX &&
			    w->rec[p->number - 1].size == p->size &&
			    strcmp(w->rec[p->number - 1].etag, p->etag) == 0)
				seen[p->number] = true;
		}
		for (int i = 1; i <= MPW_PARTS_MAX; i++)
			if (!seen[i])
				w->rec[i - 1].have = false;
		memset(w->parts, 0, MPW_PARTS_MAX * sizeof(*w->parts));
	} else if (ss.http != 405 && ss.http != 501) {
		/* 404 NoSuchUpload: completed or aborted since; anything else: do not guess. */
		memset(w->parts, 0, MPW_PARTS_MAX * sizeof(*w->parts));
		goto fresh;
	}
	/* 405/501 (s3rver has no ListParts): trust the record; the completion has the last word. */
	return true;
fresh:
	memset(w->rec, 0, MPW_PARTS_MAX * sizeof(*w->rec));
	w->upload_id[0] = '\0';
	return false;
}

/* A new state file for a new upload: header to a temporary file, renamed over any old one. */
static int new_state(struct mpw *w, const char *url, char *err, size_t errlen)
{
	struct mpstate st = {.part_size = w->part_size};
	char head[MPSTATE_URL_MAX + MPSTATE_ID_MAX + 64], tmp[1200];
	long n;
	int fd;

	(void)snprintf(st.url, sizeof(st.url), "%s", url);
	(void)snprintf(st.upload_id, sizeof(st.upload_id), "%s", w->upload_id);
	n = mpstate_header(&st, head, sizeof(head));
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", w->state);
	fd = n < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, head, (size_t)n) != n || fsync(fd) == -1 || close(fd) == -1 ||
	    rename(tmp, w->state) == -1) {
		(void)snprintf(err, errlen, "%s: %s", tmp, n < 0 ? "too long" : strerror(errno));
		if (fd != -1)
			(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* Resumes the recorded upload of this object, or initiates one (recording it when resumable). */
static int start_upload(struct mpw *w, const char *state_dir, char *err, size_t errlen)
{
	char url[MPSTATE_URL_MAX], hex[SHA256_HEX_LEN + 1];
	struct s3_status st;

	if (state_dir != NULL) {
		if (mpw_make_state_dir(state_dir, err, errlen) == -1)
			return -1;
		if (s3_url(w->c, w->key, url, sizeof(url)) == -1) {
			(void)snprintf(err, errlen, "%.200s: URL too long", w->key);
			return -1;
		}
		sha256_hex((const uint8_t *)url, strlen(url), hex);
		(void)snprintf(w->state, sizeof(w->state), "%.1000s/%s.mpu", state_dir, hex);
		w->rec = calloc(MPW_PARTS_MAX, sizeof(*w->rec));
		if (w->rec == NULL) {
			(void)snprintf(err, errlen, "out of memory");
			return -1;
		}
		w->stats.resumed = try_resume(w, url);
	}
	if (!w->stats.resumed) {
		if (s3_mpu_init(w->c, w->key, w->upload_id, &st) == -1) {
			(void)snprintf(err, errlen, "initiate %.200s: %s", w->key, st.err);
			return -1;
		}
		if (state_dir != NULL && new_state(w, url, err, errlen) == -1)
			return -1;
	}
	if (state_dir != NULL) {
		w->state_fd = open(w->state, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (w->state_fd == -1) {
			(void)snprintf(err, errlen, "%s: %s", w->state, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int start_threads(struct mpw *w, unsigned parallel, char *err, size_t errlen)
{
	if (parallel <= 1)
		return 0;
	w->slots = calloc(parallel, sizeof(*w->slots));
	if (w->slots == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->nslots = parallel;
	for (unsigned i = 0; i < parallel; i++) {
		struct slot *s = &w->slots[i];

		s->w = w;
		s->c = s3_dup(w->c, err, errlen);
		if (s->c == NULL)
			return -1;
		if (pthread_create(&s->th, NULL, slot_main, s) != 0) {
			(void)snprintf(err, errlen, "multipart upload: cannot start a thread");
			return -1;
		}
		w->nstarted++;
	}
	return 0;
}

static void stop_threads(struct mpw *w)
{
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->nstarted; i++)
		pthread_join(w->slots[i].th, NULL);
	w->nstarted = 0;
	for (unsigned i = 0; i < w->nslots; i++) {
		s3_free(w->slots[i].c);
		free(w->slots[i].buf);
	}
	free(w->slots);
	w->slots = NULL;
	w->nslots = 0;
}

static void destroy(struct mpw *w)
{
	stop_threads(w);
	if (w->state_fd != -1)
		(void)close(w->state_fd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->rec);
	free(w->buf);
	free(w->parts);
	free(w);
}

struct mpw *mpw_open(struct s3_client *c, const char *key, const struct mpw_opts *o, char *err,
                     size_t errlen)
{
	struct mpw *w;

	if (strlen(key) >= S3_KEY_MAX || o->part_size == 0 || o->parallel > MPW_PARALLEL_MAX) {
		(void)snprintf(err, errlen, "multipart upload: bad key, part size or parallel");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->state_fd = -1;
	w->c = c;
	w->part_size = o->part_size;
	w->max_bytes = o->max_bytes;
	memcpy(w->key, key, strlen(key) + 1);
	w->buf = malloc(o->part_size);
	w->parts = calloc(MPW_PARTS_MAX, sizeof(*w->parts));
	if (w->buf == NULL || w->parts == NULL) {
		(void)snprintf(err, errlen, "multipart upload: out of memory for a %zu-byte part",
		               o->part_size);
		destroy(w);
		return NULL;
	}
	if (start_upload(w, o->state_dir, err, errlen) == -1 ||
	    start_threads(w, o->parallel, err, errlen) == -1) {
		char why[512];

		(void)mpw_free(w, why, sizeof(why));
		return NULL;
	}
	return w;
}

/* Hands the full buffer to an idle thread (waiting for one), or sends it here with no threads. */
static int flush_part(struct mpw *w, char *err, size_t errlen)
{
	struct slot *s = NULL;
	int number;

	if (w->n == MPW_PARTS_MAX) {
		(void)snprintf(err, errlen,
		               "%.200s: more than %d parts of %zu bytes; raise part_size_mb",
		               w->key, MPW_PARTS_MAX, w->part_size);
		return -1;
	}
	number = (int)++w->n;
	w->parts[number - 1].number = number;
	w->parts[number - 1].size = w->fill;
	if (w->nslots == 0) {
		int rc = send_part(w, w->c, number, w->buf, w->fill, err, errlen);

		w->fill = 0;
		return rc;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->failed && s == NULL) {
		for (unsigned i = 0; i < w->nslots && s == NULL; i++)
			if (!w->slots[i].busy)
				s = &w->slots[i];
		if (s == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
	}
	if (w->failed) {
		(void)snprintf(err, errlen, "%s", w->ferr);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	/* Swap buffers: the thread owns the full one, the writer fills the thread's old one. */
	if (s->buf == NULL) {
		s->buf = malloc(w->part_size);
		if (s->buf == NULL) {
			pthread_mutex_unlock(&w->mu);
			(void)snprintf(err, errlen, "out of memory for a %zu-byte part",
			               w->part_size);
			return -1;
		}
	}
	{
		uint8_t *t = s->buf;

		s->buf = w->buf;
		w->buf = t;
	}
	s->len = w->fill;
	s->number = number;
	s->busy = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->fill = 0;
	return 0;
}

int mpw_write(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct mpw *w = ctx;
	const uint8_t *b = p;

	if (w->max_bytes > 0 && len > w->max_bytes - w->total) {
		(void)snprintf(err, errlen,
		               "%.200s: internal error: the stream passes its bound of %llu bytes, "
		               "from which the part size was chosen",
		               w->key, (unsigned long long)w->max_bytes);
		return -1;
	}
	while (len > 0) {
		size_t take = w->part_size - w->fill;

		if (take > len)
			take = len;
		memcpy(w->buf + w->fill, b, take);
		w->fill += take;
		w->total += take;
		b += take;
		len -= take;
		/* A full part waits for the next byte: the last part is sent by mpw_finish. */
		if (w->fill == w->part_size && len > 0 && flush_part(w, err, errlen) == -1)
			return -1;
	}
	if (w->fill == w->part_size)
		return flush_part(w, err, errlen);
	return 0;
}

/* Waits until no part is in flight; the first failure's error, if any. */
static int wait_idle(struct mpw *w, char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	for (unsigned i = 0; i < w->nslots; i++)
		while (w->slots[i].busy)
			pthread_cond_wait(&w->cv, &w->mu);
	if (w->failed) {
		(void)snprintf(err, errlen, "%s", w->ferr);
		rc = -1;
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static void drop_state(struct mpw *w)
{
	if (w->state_fd != -1)
		(void)close(w->state_fd);
	w->state_fd = -1;
	if (w->state[0] != '\0')
		(void)unlink(w->state);
}

int mpw_finish(struct mpw *w, uint64_t *size, char *err, size_t errlen)
{
	struct s3_status st;

	if ((w->fill > 0 || w->n == 0) && flush_part(w, err, errlen) == -1)
		return -1;
	if (wait_idle(w, err, errlen) == -1)
		return -1;
	if (s3_mpu_complete(w->c, w->key, w->upload_id, w->parts, w->n, &st) == -1) {
		bool gone =
		    strcmp(st.code, "NoSuchUpload") == 0 || strcmp(st.code, "InvalidPart") == 0;

		(void)snprintf(err, errlen, "complete %.200s: %s", w->key, st.err);
		if (gone && w->stats.resumed) {
			pthread_mutex_lock(&w->mu);
			w->stats.gone = true;
			pthread_mutex_unlock(&w->mu);
		}
		return -1;
	}
	w->done = true;
	drop_state(w);
	pthread_mutex_lock(&w->mu);
	w->stats.parts = (unsigned)w->n;
	pthread_mutex_unlock(&w->mu);
	*size = w->total;
	return 0;
}

void mpw_get_stats(struct mpw *w, struct mpw_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}

int mpw_free(struct mpw *w, char *err, size_t errlen)
{
	struct s3_status st;
	int rc = 0;

	if (w == NULL)
		return 0;
	stop_threads(w);
	if (w->stats.gone) {
		/* The recorded upload is not what we thought: nothing to abort, nor to trust again.
		 */
		drop_state(w);
		(void)snprintf(
		    err, errlen,
		    "the resumed upload of %.200s is gone (NoSuchUpload or InvalidPart): "
		    "its state file is removed, a new attempt starts a new upload",
		    w->key);
		rc = -1;
	} else if (!w->done && w->state_fd != -1 && w->upload_id[0] != '\0') {
		(void)snprintf(
		    err, errlen,
		    "the upload of %.200s is kept for the next run to resume (state file "
		    "%s)",
		    w->key, w->state);
		rc = -1;
	} else if (!w->done && w->upload_id[0] != '\0' &&
	           s3_mpu_abort(w->c, w->key, w->upload_id, &st) == -1) {
		(void)snprintf(err, errlen,
		               "abort the upload of %.200s: %s; the bucket's lifecycle rule "
		               "(abort_multipart_days) removes its parts",
		               w->key, st.err);
		rc = -1;
	}
	destroy(w);
	return rc;
}
