/* SPDX-License-Identifier: MIT */
/*
 * The spool file and its in-memory window (see spool.h). The window is a
 * ring of <window> entries; <read_off> is how far the file has been read
 * into it (or skipped), so the records of the file alone are those from
 * <read_off> to <file_end>. The window is refilled as soon as it has room,
 * so a record is only put straight into the window when the file holds
 * nothing unread.
 */
#include "ctl/db/spool.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "ctl/db/reccodec.h"

#define MOD               "db"
#define SPOOL_CHUNK       (64 * 1024) /* read-back size: four of the longest lines */
#define SPOOL_SKIP_LOGGED 10

struct spool {
	char *path; /* owned */
	int fd;
	uint64_t file_end; /* bytes in the file */
	uint64_t read_off; /* bytes already in the window, popped or skipped */
	bool dirty;        /* appended since the last fdatasync */
	uint64_t pending, skipped;
	uint8_t *chunk;        /* SPOOL_CHUNK bytes, owned */
	struct spool_entry *q; /* the window: a ring of <cap> entries, owned */
	size_t cap, head, len;
};

struct spool_entry *spool_at(struct spool *s, size_t i)
{
	PF_BUG_ON(i >= s->len);
	return &s->q[(s->head + i) % s->cap];
}

static void push(struct spool *s, const struct db_record *r, uint64_t end_off)
{
	struct spool_entry *e;

	PF_BUG_ON(s->len >= s->cap);
	e = &s->q[(s->head + s->len++) % s->cap];
	e->r = *r;
	e->end_off = end_off;
	e->dropped = false;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Everything popped: the file starts again empty. Returns true when it did. */
static bool maybe_truncate(struct spool *s)
{
	if (s->len != 0 || s->read_off != s->file_end || s->file_end == 0)
		return false;
	if (ftruncate(s->fd, 0) == -1 || fdatasync(s->fd) == -1) {
		log_err(MOD, "msg=\"cannot truncate the spool\" path=%s err=\"%s\"", s->path,
		        strerror(errno));
		return false;
	}
	s->file_end = s->read_off = 0;
	s->dirty = false;
	return true;
}

/*
 * <line_ended>: a '\n' was passed, so one line of the count is gone. A spool
 * damaged throughout would log a line per record: the first SPOOL_SKIP_LOGGED
 * are logged, the rest only counted (spool_skipped).
 */
static void skip(struct spool *s, uint64_t off, const char *why, bool line_ended)
{
	if (s->skipped < SPOOL_SKIP_LOGGED)
		log_warn(
		    MOD, "msg=\"spool line skipped\" path=%s offset=%" PRIu64 " reason=\"%s\"%s",
		    s->path, off, why,
		    s->skipped + 1 == SPOOL_SKIP_LOGGED ? " further=\"counted, not logged\"" : "");
	s->skipped++;
	if (line_ended)
		s->pending--;
}

/* Decodes the lines of one chunk at read_off into the window; returns false at a stop. */
static bool refill_chunk(struct spool *s)
{
	size_t want = (size_t)(s->file_end - s->read_off < SPOOL_CHUNK ? s->file_end - s->read_off
	                                                               : SPOOL_CHUNK);
	ssize_t got = pread(s->fd, s->chunk, want, (off_t)s->read_off);
	size_t off = 0;

	if (got != (ssize_t)want) {
		log_err(MOD, "msg=\"cannot read the spool\" path=%s err=\"%s\"", s->path,
		        got == -1 ? strerror(errno) : "short read");
		return false;
	}
	while (off < want && s->len < s->cap) {
		struct db_record r;
		char err[256] = "";
		int rc = rec_line_decode(s->chunk + off, want - off, &r, err, sizeof(err));
		const uint8_t *nl;

		if (rc > 0) {
			off += (size_t)rc;
			push(s, &r, s->read_off + off);
			continue;
		}
		if (rc == PF_AGAIN && (off > 0 || s->read_off + want < s->file_end))
			break; /* the line goes on in the next chunk */
		/* Malformed, or (never written so) a last line without its newline. */
		nl = memchr(s->chunk + off, '\n', want - off);
		skip(s, s->read_off + off, rc == PF_AGAIN ? "no newline at the end" : err,
		     nl != NULL);
		off = nl != NULL ? (size_t)(nl - s->chunk) + 1 : want;
	}
	s->read_off += off;
	return off > 0;
}

/* Fills the window from the file; truncates when nothing is left. True when it truncated. */
static bool refill(struct spool *s)
{
	while (s->len < s->cap && s->read_off < s->file_end)
		if (!refill_chunk(s))
			break;
	return maybe_truncate(s);
}

/* Counts the lines of the file, cuts a torn last one. Returns 0 or -1 with <err>. */
static int scan(struct spool *s, char *err, size_t errlen)
{
	uint64_t last_nl = 0, off = 0;
	struct stat sb;

	if (fstat(s->fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		pf_errf(err, errlen, "spool %s: not a regular file", s->path);
		return -1;
	}
	while (off < (uint64_t)sb.st_size) {
		ssize_t got = pread(s->fd, s->chunk, SPOOL_CHUNK, (off_t)off);

		if (got <= 0) {
			pf_errf(err, errlen, "spool %s: %s", s->path,
			        got == -1 ? strerror(errno) : "shorter than it was");
			return -1;
		}
		for (ssize_t i = 0; i < got; i++)
			if (s->chunk[i] == '\n') {
				last_nl = off + (uint64_t)i + 1;
				s->pending++;
			}
		off += (uint64_t)got;
	}
	if (last_nl < off) {
		log_warn(MOD, "msg=\"spool: torn last line dropped\" path=%s bytes=%" PRIu64,
		         s->path, off - last_nl);
		if (ftruncate(s->fd, (off_t)last_nl) == -1 || fdatasync(s->fd) == -1) {
			pf_errf(err, errlen, "spool %s: cannot drop its torn last line: %s",
			        s->path, strerror(errno));
			return -1;
		}
	}
	s->file_end = last_nl;
	if (s->pending > 0)
		log_info(MOD,
		         "msg=\"spool holds records of an earlier run\" path=%s records=%" PRIu64,
		         s->path, s->pending);
	return 0;
}

struct spool *spool_open(const char *dir, const char *name, size_t window, char *err, size_t errlen)
{
	struct spool *s = calloc(1, sizeof(*s));
	size_t plen = strlen(dir) + strlen(name) + sizeof("/.spool");
	int dfd;

	if (s == NULL || window == 0 || (s->path = malloc(plen)) == NULL ||
	    (s->chunk = malloc(SPOOL_CHUNK)) == NULL ||
	    (s->q = calloc(window, sizeof(*s->q))) == NULL) {
		pf_errf(err, errlen, "out of memory");
		goto fail;
	}
	s->cap = window;
	s->fd = -1;
	(void)snprintf(s->path, plen, "%s/%s.spool", dir, name);
	s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd == -1) {
		pf_errf(err, errlen, "spool_dir %s: cannot open %s: %s", dir, s->path,
		        strerror(errno));
		goto fail;
	}
	if (flock(s->fd, LOCK_EX | LOCK_NB) == -1) {
		pf_errf(err, errlen,
		        "spool %s is in use by another process (one spool_dir per controller)",
		        s->path);
		goto fail;
	}
	/* The file's name must survive a machine crash too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	if (scan(s, err, errlen) == -1)
		goto fail;
	(void)refill(s);
	return s;
fail:
	if (s != NULL && s->fd >= 0)
		close(s->fd);
	if (s != NULL) {
		free(s->path);
		free(s->chunk);
		free(s->q);
	}
	free(s);
	return NULL;
}

int spool_put(struct spool *s, const struct db_record *r, char *err, size_t errlen)
{
	char line[REC_LINE_MAX];
	uint64_t old_end = s->file_end;
	int n = rec_line_encode(r, line, sizeof(line), err, errlen);

	if (n < 0)
		return -1;
	if (write_all(s->fd, line, (size_t)n) == -1) {
		int e = errno;

		/* A partial line would spoil the next one: cut it off again. */
		if (ftruncate(s->fd, (off_t)old_end) == -1)
			log_err(MOD, "msg=\"cannot cut a partial line\" path=%s err=\"%s\"",
			        s->path, strerror(errno));
		pf_errf(err, errlen, "cannot write %s: %s", s->path, strerror(e));
		return -1;
	}
	s->file_end += (uint64_t)n;
	s->dirty = true;
	s->pending++;
	/* Into the window only while nothing older waits in the file alone: the file's order. */
	if (s->read_off == old_end && s->len < s->cap) {
		push(s, r, s->file_end);
		s->read_off = s->file_end;
	}
	return 0;
}

int spool_sync(struct spool *s)
{
	if (!s->dirty)
		return 0;
	s->dirty = false;
	return fdatasync(s->fd);
}

size_t spool_window(const struct spool *s)
{
	return s->len;
}

uint64_t spool_pop(struct spool *s)
{
	uint64_t end = spool_at(s, 0)->end_off;

	s->head = (s->head + 1) % s->cap;
	s->len--;
	s->pending--;
	return refill(s) ? UINT64_MAX : end;
}

uint64_t spool_end(const struct spool *s)
{
	return s->file_end;
}

uint64_t spool_pending(const struct spool *s)
{
	return s->pending;
}

uint64_t spool_skipped(const struct spool *s)
{
	return s->skipped;
}

const char *spool_path(const struct spool *s)
{
	return s->path;
}

void spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (spool_sync(s) == -1)
		log_err(MOD, "msg=\"fdatasync of the spool failed\" path=%s err=\"%s\"", s->path,
		        strerror(errno));
	close(s->fd); /* the lock goes with it */
	free(s->path);
	free(s->chunk);
	free(s->q);
	free(s);
}
