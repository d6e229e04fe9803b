/* SPDX-License-Identifier: MIT */
/*
 * Runtime API I/O behind hapi.h: a FIFO of command lines per HAProxy
 * instance, one non-blocking connection per command line, a timer per
 * request. The answer is accumulated until HAProxy closes the connection,
 * which is how the non-interactive CLI says "done".
 */
#include "ctl/hapi/hapi.h"

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/compiler.h"

#define MAX_ANSWER (8u << 20) /* show servers state for thousands of servers fits easily */

struct hapi_req {
	char *line; /* owned, ends with '\n' */
	size_t len, off;
	hapi_done_cb_fn cb;
	void *ctx;
	struct hapi_req *next;
};

struct hapi {
	struct ev_loop *loop; /* borrowed */
	struct pf_addr addr;
	char name[128];
	double timeout_s;
	struct hapi_req *head, *tail; /* head is in flight when fd >= 0 */
	unsigned pending;
	int fd;
	int connect_errno; /* an immediate connect failure, reported from the timer */
	ev_io rio, wio;
	ev_timer timer;
	char *answer; /* owned */
	size_t alen, acap;
};

static void start_next(struct hapi *h);

static void finish(struct hapi *h, int status, const char *err)
{
	struct hapi_req *r = h->head;

	ev_io_stop(h->loop, &h->rio);
	ev_io_stop(h->loop, &h->wio);
	ev_timer_stop(h->loop, &h->timer);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->head = r->next;
	if (h->head == NULL)
		h->tail = NULL;
	h->pending--;
	r->cb(r->ctx, status, h->answer != NULL ? h->answer : "", h->alen, err);
	free(r->line);
	free(r);
	h->alen = 0;
	start_next(h);
}

static void fail_errno(struct hapi *h, const char *what)
{
	char err[256];

	snprintf(err, sizeof(err), "%s %s: %s", h->name, what, strerror(errno));
	finish(h, -1, err);
}

static void on_read(struct ev_loop *loop, ev_io *io, int revents)
{
	struct hapi *h = pf_container_of(io, struct hapi, rio);
	ssize_t n;

	(void)loop;
	(void)revents;
	if (h->acap - h->alen < 4096 + 1) {
		size_t cap = h->acap ? h->acap * 2 : 16384;
		char *na;

		if (cap > MAX_ANSWER) {
			char err[256];

			snprintf(err, sizeof(err), "%s: answer larger than %u bytes", h->name,
			         MAX_ANSWER);
			finish(h, -1, err);
			return;
		}
		na = realloc(h->answer, cap);
		if (na == NULL) {
			errno = ENOMEM;
			fail_errno(h, "read");
			return;
		}
		h->answer = na;
		h->acap = cap;
	}
	n = read(h->fd, h->answer + h->alen, h->acap - h->alen - 1);
	if (n > 0) {
		h->alen += (size_t)n;
		h->answer[h->alen] = '\0';
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		fail_errno(h, "read");
		return;
	}
	if (h->answer != NULL)
		h->answer[h->alen] = '\0';
	finish(h, 0, NULL);
}

static void on_write(struct ev_loop *loop, ev_io *io, int revents)
{
	struct hapi *h = pf_container_of(io, struct hapi, wio);
	struct hapi_req *r = h->head;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	ssize_t n;

	(void)loop;
	(void)revents;
	if (r->off == 0 && getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
	    soerr != 0) {
		errno = soerr;
		fail_errno(h, "connect");
		return;
	}
	n = write(h->fd, r->line + r->off, r->len - r->off);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fail_errno(h, "write");
		return;
	}
	r->off += (size_t)n;
	if (r->off == r->len) {
		ev_io_stop(h->loop, &h->wio);
		ev_io_start(h->loop, &h->rio);
	}
}

static void on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct hapi *h = pf_container_of(t, struct hapi, timer);
	char err[256];

	(void)loop;
	(void)revents;
	if (h->connect_errno != 0) {
		errno = h->connect_errno;
		h->connect_errno = 0;
		fail_errno(h, "connect");
		return;
	}
	snprintf(err, sizeof(err), "%s: no answer within %.0f ms", h->name, h->timeout_s * 1000);
	finish(h, -1, err);
}

static void start_next(struct hapi *h)
{
	if (h->head == NULL || h->fd >= 0 || h->connect_errno != 0)
		return;
	h->alen = 0;
	h->fd = pf_connect_nb(&h->addr);
	if (h->fd == -1) {
		/* Report from the loop, never from inside hapi_send(). */
		h->connect_errno = errno != 0 ? errno : EIO;
		ev_timer_set(&h->timer, 0., 0.);
		ev_timer_start(h->loop, &h->timer);
		return;
	}
	ev_io_set(&h->rio, h->fd, EV_READ);
	ev_io_set(&h->wio, h->fd, EV_WRITE);
	ev_io_start(h->loop, &h->wio);
	ev_timer_set(&h->timer, h->timeout_s, 0.);
	ev_timer_start(h->loop, &h->timer);
}

struct hapi *hapi_new(struct ev_loop *loop, const struct pf_addr *addr, double timeout_s)
{
	struct hapi *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->loop = loop;
	h->addr = *addr;
	h->timeout_s = timeout_s;
	h->fd = -1;
	pf_addr_str(addr, h->name, sizeof(h->name));
	ev_init(&h->rio, on_read);
	ev_init(&h->wio, on_write);
	ev_init(&h->timer, on_timeout);
	return h;
}

int hapi_send(struct hapi *h, const char *cmdline, hapi_done_cb_fn cb, void *ctx)
{
	struct hapi_req *r = calloc(1, sizeof(*r));
	size_t n = strlen(cmdline);

	if (r == NULL)
		return -1;
	r->line = malloc(n + 2);
	if (r->line == NULL) {
		free(r);
		return -1;
	}
	memcpy(r->line, cmdline, n);
	r->line[n] = '\n';
	r->line[n + 1] = '\0';
	r->len = n + 1;
	r->cb = cb;
	r->ctx = ctx;
	if (h->tail != NULL)
		h->tail->next = r;
	else
		h->head = r;
	h->tail = r;
	h->pending++;
	start_next(h);
	return 0;
}

unsigned hapi_pending(const struct hapi *h)
{
	return h->pending;
}

const char *hapi_name(const struct hapi *h)
{
	return h->name;
}

void hapi_free(struct hapi *h)
{
	if (h == NULL)
		return;
	ev_io_stop(h->loop, &h->rio);
	ev_io_stop(h->loop, &h->wio);
	ev_timer_stop(h->loop, &h->timer);
	if (h->fd >= 0)
		close(h->fd);
	while (h->head != NULL) {
		struct hapi_req *r = h->head;

		h->head = r->next;
		free(r->line);
		free(r);
	}
	free(h->answer);
	free(h);
}
