/* SPDX-License-Identifier: MIT */
/*
 * The admin-drain store behind state.h. The loop thread owns the committed
 * array and the queue of changes; one change at a time is rendered into the
 * next array and its file text, which the writer thread saves (temp file,
 * fsync, rename, fsync of the directory) and reports back through an
 * ev_async. Only the text, the result and the stop flag cross threads, under
 * one mutex. cJSON is used here on cold paths only (boot, an admin change).
 */
#include "ctl/state.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <ev.h>

#include "common/compiler.h"
#include "common/file.h"
#include "common/text.h"

#define STATE_PATH_MAX 1100 /* state_file (1023) plus a suffix */

struct state_job {
	char node[STATE_NAME_MAX + 1];
	bool set; /* false: remove */
	struct state_entry entry;
	state_done_cb_fn cb;
	void *ctx;
	struct state_entry *next; /* owned: the array once this change is saved */
	size_t next_n;
	struct state_job *link; /* queue */
};

struct state {
	struct ev_loop *loop; /* borrowed */
	char path[STATE_PATH_MAX];
	struct state_entry *entries; /* owned, committed, sorted by node */
	size_t n;
	/* Loop thread only. */
	struct state_job *head, *tail; /* queued, not yet handed to the writer */
	unsigned queued;
	struct state_job *writing; /* handed to the writer; owned */
	uint64_t write_errors;     /* writes that failed */
	ev_async done;
	/* Shared with the writer thread, under <mu>. */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *wr_text; /* owned by whoever holds it: set by the loop, freed by the writer */
	size_t wr_len;
	bool wr_done;
	int wr_rc;
	char wr_err[STATE_PATH_MAX + 128];
	bool stop;
};

/* ---- pure: entries, parsing, rendering ---- */

static bool printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool text_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	return n <= max && pf_text_has_no_controls(s, n);
}

bool state_entry_check(const struct state_entry *e, char *err, size_t errlen)
{
	size_t n = strnlen(e->node, sizeof(e->node));

	if (n == 0 || n > STATE_NAME_MAX || !printable_ascii(e->node)) {
		pf_errf(err, errlen, "node: expected 1-%d printable ASCII characters",
		        STATE_NAME_MAX);
		return false;
	}
	if (!text_ok(e->reason, STATE_REASON_MAX)) {
		pf_errf(err, errlen, "%s: reason: at most %d bytes, no control characters", e->node,
		        STATE_REASON_MAX);
		return false;
	}
	if (!text_ok(e->by, STATE_BY_MAX) || !text_ok(e->peer, STATE_PEER_MAX)) {
		pf_errf(err, errlen, "%s: by/peer: at most %d/%d bytes, no control characters",
		        e->node, STATE_BY_MAX, STATE_PEER_MAX);
		return false;
	}
	if (e->at_ms < 0) {
		pf_errf(err, errlen, "%s: at_ms: negative", e->node);
		return false;
	}
	return true;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct state_entry *)a)->node, ((const struct state_entry *)b)->node);
}

/* Copies the string member <key> of <obj> into <dst> (<max> bytes at most); -1 if too long. */
static int copy_member(const cJSON *obj, const char *key, char *dst, size_t max, bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL && !required)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring == NULL || strlen(v->valuestring) > max)
		return -1;
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* One member of "admin_drains" into <e>. Returns 0 or -1 with the reason in <err>. */
static int parse_entry(const cJSON *it, struct state_entry *e, char *err, size_t errlen)
{
	const cJSON *at;

	memset(e, 0, sizeof(*e));
	if (it->string == NULL || strlen(it->string) > STATE_NAME_MAX) {
		pf_errf(err, errlen, "admin_drains: a node name longer than %d bytes",
		        STATE_NAME_MAX);
		return -1;
	}
	memcpy(e->node, it->string, strlen(it->string) + 1);
	if (cJSON_IsString(it) && it->valuestring != NULL) {
		/* First format: the reason only, as older controllers let it in. */
		(void)pf_printable(e->reason, sizeof(e->reason), it->valuestring,
		                   strlen(it->valuestring), NULL);
	} else if (!cJSON_IsObject(it) ||
	           copy_member(it, "reason", e->reason, STATE_REASON_MAX, true) == -1 ||
	           copy_member(it, "by", e->by, STATE_BY_MAX, false) == -1 ||
	           copy_member(it, "peer", e->peer, STATE_PEER_MAX, false) == -1) {
		pf_errf(err, errlen,
		        "admin_drains.%.63s: expected {\"reason\": TEXT of at most %d bytes, "
		        "\"by\", \"peer\", \"at_ms\"}",
		        e->node, STATE_REASON_MAX);
		return -1;
	}
	at = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "at_ms") : NULL;
	if (at != NULL) {
		if (!cJSON_IsNumber(at) || !(at->valuedouble >= 0 && at->valuedouble < 1e17)) {
			pf_errf(err, errlen, "admin_drains.%.63s.at_ms: expected a time in ms",
			        e->node);
			return -1;
		}
		e->at_ms = (int64_t)at->valuedouble;
	}
	if (!state_entry_check(e, err, errlen))
		return -1;
	return 0;
}

int state_parse(const char *json, size_t len, struct state_entry **out, size_t *n, char *err,
                size_t errlen)
{
	cJSON *root = NULL;
	const cJSON *drains, *it;
	struct state_entry *e = NULL;
	size_t count = 0, i;

	*out = NULL;
	*n = 0;
	if (pf_json_nul_escape_at(json, len) < len) {
		pf_errf(err, errlen, "\\u0000 in a string (it would cut a name short)");
		return -1;
	}
	root = cJSON_ParseWithLength(json, len);
	drains = cJSON_GetObjectItemCaseSensitive(root, "admin_drains");
	if (root == NULL || !cJSON_IsObject(drains)) {
		pf_errf(err, errlen,
		        "not a polkfura-ctl state file (expected {\"admin_drains\": {}})");
		goto fail;
	}
	count = (size_t)cJSON_GetArraySize(drains);
	if (count > STATE_MAX_ENTRIES) {
		pf_errf(err, errlen, "%zu admin drains, at most %d", count, STATE_MAX_ENTRIES);
		goto fail;
	}
	if (count > 0) {
		e = calloc(count, sizeof(*e));
		if (e == NULL) {
			pf_errf(err, errlen, "out of memory");
			goto fail;
		}
	}
	i = 0;
	cJSON_ArrayForEach(it, drains)
	{
		if (parse_entry(it, &e[i], err, errlen) == -1)
			goto fail;
		i++;
	}
	if (count > 1)
		qsort(e, count, sizeof(*e), entry_cmp);
	for (i = 1; i < count; i++) {
		if (strcmp(e[i - 1].node, e[i].node) == 0) {
			pf_errf(err, errlen, "admin_drains: node %s twice", e[i].node);
			goto fail;
		}
	}
	cJSON_Delete(root);
	*out = e;
	*n = count;
	return 0;
fail:
	free(e);
	cJSON_Delete(root);
	return -1;
}

char *state_render(const struct state_entry *e, size_t n, size_t *len)
{
	cJSON *root = cJSON_CreateObject(), *drains;
	char *text, *full = NULL;
	bool ok = root != NULL && cJSON_AddNumberToObject(root, "version", 2) != NULL;

	drains = ok ? cJSON_AddObjectToObject(root, "admin_drains") : NULL;
	ok = drains != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *o = cJSON_AddObjectToObject(drains, e[i].node);

		ok = o != NULL && cJSON_AddStringToObject(o, "reason", e[i].reason) != NULL &&
		     cJSON_AddStringToObject(o, "by", e[i].by) != NULL &&
		     cJSON_AddStringToObject(o, "peer", e[i].peer) != NULL &&
		     cJSON_AddNumberToObject(o, "at_ms", (double)e[i].at_ms) != NULL;
	}
	text = ok ? cJSON_Print(root) : NULL;
	cJSON_Delete(root);
	if (text != NULL) {
		size_t tl = strlen(text);

		full = malloc(tl + 2);
		if (full != NULL) {
			memcpy(full, text, tl);
			full[tl] = '\n';
			full[tl + 1] = '\0';
			*len = tl + 1;
		}
		cJSON_free(text);
	}
	return full;
}

/* ---- blocking file work: boot, `check`, the writer thread ---- */

int state_read_file(const char *path, struct state_entry **out, size_t *n, char *err, size_t errlen)
{
	char why[STATE_PATH_MAX + 128];
	size_t len;
	char *buf;
	int rc;

	errno = 0; /* pf_read_file keeps errno only when the open fails */
	buf = pf_read_file(path, STATE_FILE_MAX, &len, err, errlen);
	*out = NULL;
	*n = 0;
	if (buf == NULL)
		return errno == ENOENT ? 0 : -1;
	rc = state_parse(buf, len, out, n, why, sizeof(why));
	if (rc == -1)
		pf_errf(err, errlen, "%s: %s", path, why);
	free(buf);
	return rc;
}

/* The directory part of <path> (an absolute file path) into <dir>; the rest in <*base>. */
static void split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL ? (size_t)(slash - path) : 0;

	if (slash == NULL) {
		(void)snprintf(dir, dirlen, ".");
		*base = path;
		return;
	}
	(void)snprintf(dir, dirlen, "%.*s", (int)(n == 0 ? 1 : n), path);
	*base = slash + 1;
}

int state_check_dir(const char *path, char *err, size_t errlen)
{
	char dir[STATE_PATH_MAX], probe[STATE_PATH_MAX + 64], moved[STATE_PATH_MAX + 72];
	const char *base;
	struct stat sb;
	int fd;

	split_path(path, dir, sizeof(dir), &base);
	if (stat(dir, &sb) == -1) {
		pf_errf(err, errlen, "directory %s: %s", dir,
		        errno == ENOENT ? "does not exist" : strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		pf_errf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	(void)snprintf(probe, sizeof(probe), "%s/.%.40s.probe-%ld", dir, base, (long)getpid());
	(void)snprintf(moved, sizeof(moved), "%s.moved", probe);
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		pf_errf(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
		return -1;
	}
	(void)close(fd);
	if (rename(probe, moved) == -1) {
		pf_errf(err, errlen, "cannot rename a file in %s: %s", dir, strerror(errno));
		(void)unlink(probe);
		return -1;
	}
	(void)unlink(moved);
	return 0;
}

/* Saves <text> as <path>: temp file, fsync, rename over <path>, fsync of the directory. */
static int write_file(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[STATE_PATH_MAX + 8], dir[STATE_PATH_MAX];
	const char *base;
	size_t off = 0;
	int fd, dfd;

	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		pf_errf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			pf_errf(err, errlen, "%s: write: %s", tmp,
			        w == 0 ? "no progress" : strerror(errno));
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1) {
		pf_errf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		pf_errf(err, errlen, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		pf_errf(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto fail;
	}
	/*
	 * The rename is durable once the directory is synced. Past the rename the
	 * new file is what a restart reads, so a failure here cannot be reported
	 * as "nothing changed": it is not an error.
	 */
	split_path(path, dir, sizeof(dir), &base);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return 0;
fail:
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	return -1;
}

static void *writer_main(void *arg)
{
	struct state *st = arg;
	char err[sizeof(st->wr_err)];

	pthread_mutex_lock(&st->mu);
	for (;;) {
		char *text;
		size_t len;
		int rc;

		while (!st->stop && st->wr_text == NULL)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->wr_text == NULL)
			break;
		text = st->wr_text;
		len = st->wr_len;
		pthread_mutex_unlock(&st->mu);
		err[0] = '\0';
		rc = write_file(st->path, text, len, err, sizeof(err));
		free(text);
		pthread_mutex_lock(&st->mu);
		st->wr_text = NULL;
		st->wr_rc = rc;
		memcpy(st->wr_err, err, sizeof(err));
		st->wr_done = true;
		ev_async_send(st->loop, &st->done);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* ---- loop thread: the queue ---- */

/* Builds <job>'s next array from the committed one. Returns 0 or -1 (out of memory / full). */
static int job_prepare(const struct state *st, struct state_job *job, char *err, size_t errlen)
{
	const struct state_entry *cur = state_find(st, job->node);
	size_t cap = st->n + 1, k = 0;

	if (job->set && cur == NULL && st->n >= STATE_MAX_ENTRIES) {
		pf_errf(err, errlen, "%d admin drains already, no room for another",
		        STATE_MAX_ENTRIES);
		return -1;
	}
	job->next = calloc(cap, sizeof(*job->next));
	if (job->next == NULL) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->entries[i].node, job->node) != 0)
			job->next[k++] = st->entries[i];
	if (job->set)
		job->next[k++] = job->entry;
	qsort(job->next, k, sizeof(*job->next), entry_cmp);
	job->next_n = k;
	return 0;
}

/* Hands <job> (prepared) to the writer. Returns 0 or -1 when out of memory. */
static int job_hand_over(struct state *st, struct state_job *job, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = state_render(job->next, job->next_n, &len);

	if (text == NULL) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	st->writing = job;
	ev_ref(st->loop); /* a write in flight keeps the loop running */
	pthread_mutex_lock(&st->mu);
	st->wr_text = text;
	st->wr_len = len;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

static void job_free(struct state_job *job)
{
	free(job->next);
	free(job);
}

/* Starts the next queued change; those that cannot start complete with -1. */
static void start_next(struct state *st)
{
	char err[128];

	while (st->writing == NULL && st->head != NULL) {
		struct state_job *job = st->head;

		st->head = job->link;
		if (st->head == NULL)
			st->tail = NULL;
		st->queued--;
		if (job_prepare(st, job, err, sizeof(err)) == 0 &&
		    job_hand_over(st, job, err, sizeof(err)) == 0)
			return;
		job->cb(job->ctx, STATE_EWRITE, err);
		job_free(job);
	}
}

static void on_written(struct ev_loop *loop, ev_async *w, int revents)
{
	struct state *st = pf_container_of(w, struct state, done);
	struct state_job *job = st->writing;
	char err[sizeof(st->wr_err)];
	int rc;

	(void)revents;
	pthread_mutex_lock(&st->mu);
	if (!st->wr_done || job == NULL) {
		pthread_mutex_unlock(&st->mu);
		return;
	}
	st->wr_done = false;
	rc = st->wr_rc;
	memcpy(err, st->wr_err, sizeof(err));
	pthread_mutex_unlock(&st->mu);
	st->writing = NULL;
	ev_unref(loop);
	if (rc != 0) {
		rc = STATE_EWRITE;
		st->write_errors++;
	} else {
		free(st->entries);
		st->entries = job->next;
		st->n = job->next_n;
		job->next = NULL;
	}
	job->cb(job->ctx, rc, err);
	job_free(job);
	start_next(st);
}

uint64_t state_write_errors(const struct state *st)
{
	return st->write_errors;
}

struct state *state_open(struct ev_loop *loop, const char *path, char *err, size_t errlen)
{
	struct state *st = calloc(1, sizeof(*st));
	sigset_t all, old;

	if (st == NULL) {
		pf_errf(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(path) >= sizeof(st->path) - 16) {
		pf_errf(err, errlen, "%s: path too long", path);
		free(st);
		return NULL;
	}
	memcpy(st->path, path, strlen(path) + 1);
	st->loop = loop;
	if (state_read_file(path, &st->entries, &st->n, err, errlen) == -1) {
		free(st);
		return NULL;
	}
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	ev_async_init(&st->done, on_written);
	ev_async_start(loop, &st->done);
	ev_unref(loop); /* an idle store does not keep the loop running */
	/* Signals stay with the loop thread: the writer blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	st->thread_started = pthread_create(&st->thread, NULL, writer_main, st) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!st->thread_started) {
		pf_errf(err, errlen, "cannot start the state writer thread");
		state_free(st);
		return NULL;
	}
	return st;
}

static int key_cmp(const void *key, const void *entry)
{
	return strcmp(key, ((const struct state_entry *)entry)->node);
}

const struct state_entry *state_find(const struct state *st, const char *node)
{
	if (st->n == 0 || strnlen(node, STATE_NAME_MAX + 1) > STATE_NAME_MAX)
		return NULL;
	return bsearch(node, st->entries, st->n, sizeof(*st->entries), key_cmp);
}

size_t state_count(const struct state *st)
{
	return st->n;
}

const struct state_entry *state_at(const struct state *st, size_t i)
{
	PF_BUG_ON(i >= st->n);
	return &st->entries[i];
}

int state_change(struct state *st, const char *node, const struct state_entry *set,
                 state_done_cb_fn cb, void *ctx, char *err, size_t errlen)
{
	struct state_job *job;
	size_t n = strnlen(node, STATE_NAME_MAX + 1);

	if (n == 0 || n > STATE_NAME_MAX || (set != NULL && strcmp(set->node, node) != 0)) {
		pf_errf(err, errlen, "node: expected 1-%d bytes, the entry's own", STATE_NAME_MAX);
		return -1;
	}
	if (set != NULL && !state_entry_check(set, err, errlen))
		return -1;
	if (st->queued >= STATE_QUEUE_MAX) {
		pf_errf(err, errlen, "%d admin changes already waiting for the disk",
		        STATE_QUEUE_MAX);
		return -1;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		pf_errf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(job->node, node, n + 1);
	job->set = set != NULL;
	if (set != NULL)
		job->entry = *set;
	job->cb = cb;
	job->ctx = ctx;
	if (st->writing == NULL) {
		/* The writer is idle: start now, so a failure is reported here. */
		if (job_prepare(st, job, err, errlen) == -1 ||
		    job_hand_over(st, job, err, errlen) == -1) {
			job_free(job);
			return -1;
		}
		return 0;
	}
	if (st->tail != NULL)
		st->tail->link = job;
	else
		st->head = job;
	st->tail = job;
	st->queued++;
	return 0;
}

void state_free(struct state *st)
{
	if (st == NULL)
		return;
	if (st->thread_started) {
		pthread_mutex_lock(&st->mu);
		st->stop = true;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->thread, NULL);
	}
	free(st->wr_text); /* a text the writer never took */
	if (st->writing == NULL)
		ev_ref(st->loop); /* undo the ev_unref of state_open before the stop */
	ev_async_stop(st->loop, &st->done);
	if (st->writing != NULL) {
		st->writing->cb(st->writing->ctx, STATE_ESTOP, "controller stopping");
		job_free(st->writing);
		st->writing = NULL;
	}
	while (st->head != NULL) {
		struct state_job *job = st->head;

		st->head = job->link;
		job->cb(job->ctx, STATE_ESTOP, "controller stopping");
		job_free(job);
	}
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	free(st->entries);
	free(st);
}
