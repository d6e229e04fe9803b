/* SPDX-License-Identifier: MIT */
/*
 * libcurl multi <-> libev glue behind poller.h, after curl's
 * docs/examples/evhiperfifo.c, with its integer ms->s division fixed
 * (timeouts are fractional seconds here) and every allocation checked.
 * A request's easy handle points back to it through CURLOPT_PRIVATE; it is
 * removed from the multi before it is reset for reuse or cleaned up.
 */
#include "ctl/poll/poller.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>

#include "common/compiler.h"

#define MAX_ANSWER  (1u << 20) /* a poll answer is a few KiB; more is a broken node */
#define MAX_CA_FILE (4u << 20) /* a CA bundle: the system's is about 200 KiB */

struct poll_sock {
	ev_io io;
	curl_socket_t fd;
	struct poller *p;
};

struct poll_req {
	CURL *easy; /* owned */
	struct poller *p;
	poller_done_cb_fn cb;
	void *ctx;
	char *body;   /* owned copy of the POST body */
	char *answer; /* owned, grows up to MAX_ANSWER */
	size_t alen, acap;
	bool too_large;
	char errbuf[CURL_ERROR_SIZE];
	struct poll_req *next; /* free list or in-flight list */
	struct poll_req *prev;
};

struct poller {
	struct ev_loop *loop; /* borrowed */
	CURLM *multi;         /* owned */
	ev_timer timer;
	struct poll_req *idle;      /* reusable requests */
	struct poll_req *active;    /* in flight */
	struct curl_slist *headers; /* owned */
	char *ca_file;              /* owned; NULL: libcurl's built-in CA store */
	bool fresh;                 /* a new connection per request, closed after it */
	unsigned in_flight;
};

static void check_done(struct poller *p);

static size_t on_answer(char *data, size_t size, size_t nmemb, void *userp)
{
	struct poll_req *r = userp;
	size_t n = size * nmemb;

	if (r->alen + n + 1 > r->acap) {
		size_t cap = r->acap ? r->acap : 4096;
		char *na;

		while (cap < r->alen + n + 1)
			cap *= 2;
		if (cap > MAX_ANSWER + 1) {
			r->too_large = true;
			return 0; /* makes curl fail the transfer */
		}
		na = realloc(r->answer, cap);
		if (na == NULL)
			return 0;
		r->answer = na;
		r->acap = cap;
	}
	memcpy(r->answer + r->alen, data, n);
	r->alen += n;
	r->answer[r->alen] = '\0';
	return n;
}

static void sock_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct poll_sock *s = pf_container_of(io, struct poll_sock, io);
	struct poller *p = s->p; /* <s> may be freed by curl inside socket_action */
	int action = ((revents & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	(void)loop;
	curl_multi_socket_action(p->multi, s->fd, action, &running);
	check_done(p);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct poller *p = userp;
	struct poll_sock *s = sockp;
	int events =
	    ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			ev_io_stop(p->loop, &s->io);
			free(s);
			curl_multi_assign(p->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1; /* curl fails the transfer */
		s->fd = fd;
		s->p = p;
		curl_multi_assign(p->multi, fd, s);
	} else {
		ev_io_stop(p->loop, &s->io);
	}
	ev_io_init(&s->io, sock_cb, fd, events);
	ev_io_start(p->loop, &s->io);
	return 0;
}

static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct poller *p = pf_container_of(t, struct poller, timer);
	int running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(p);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct poller *p = userp;

	(void)multi;
	ev_timer_stop(p->loop, &p->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&p->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(p->loop, &p->timer);
	}
	return 0;
}

static enum poller_outcome outcome_of(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 200 && status < 300 ? POLLER_OK : POLLER_HTTP;
	case CURLE_OPERATION_TIMEDOUT:
		return POLLER_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return POLLER_CONNECT;
	default:
		return POLLER_OTHER;
	}
}

static void req_unlink(struct poller *p, struct poll_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		p->active = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void check_done(struct poller *p)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		struct poller_result res = {0};
		struct poll_req *r = NULL;
		double total = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.http_status);
		curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &total);
		res.outcome = outcome_of(msg->data.result, res.http_status);
		if (r->too_large) {
			res.outcome = POLLER_OTHER;
			res.error = "answer larger than 1 MiB";
		} else if (msg->data.result != CURLE_OK) {
			res.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(msg->data.result);
		}
		res.body = r->answer != NULL ? r->answer : "";
		res.len = r->alen;
		res.elapsed_ms = total * 1000.0;
		curl_multi_remove_handle(p->multi, r->easy);
		req_unlink(p, r);
		p->in_flight--;
		/* Back on the free list before the callback, which may reuse it. */
		free(r->body);
		r->body = NULL;
		r->next = p->idle;
		p->idle = r;
		r->cb(r->ctx, &res);
		r->alen = 0;
	}
}

struct poller *poller_new(struct ev_loop *loop)
{
	struct poller *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->loop = loop;
	p->multi = curl_multi_init();
	p->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (p->multi == NULL || p->headers == NULL) {
		poller_free(p);
		return NULL;
	}
	ev_timer_init(&p->timer, timer_cb, 0., 0.);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	return p;
}

static struct poll_req *req_get(struct poller *p)
{
	struct poll_req *r = p->idle;

	if (r != NULL) {
		p->idle = r->next;
		r->next = NULL;
		curl_easy_reset(r->easy);
		return r;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->easy = curl_easy_init();
	if (r->easy == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/*
 * Starts one request: a POST of <body>/<len> when <post>, else a GET. The
 * POST path sets exactly what poller_post() always set, in the same order.
 */
static int start(struct poller *p, const char *method, const char *url, bool post, const char *body,
                 size_t len, long timeout_ms, poller_done_cb_fn cb, void *ctx)
{
	struct poll_req *r = req_get(p);

	if (r == NULL)
		return -1;
	r->p = p;
	r->cb = cb;
	r->ctx = ctx;
	r->alen = 0;
	r->too_large = false;
	r->errbuf[0] = '\0';
	if (post) {
		r->body = malloc(len + 1);
		if (r->body == NULL)
			goto fail;
		memcpy(r->body, body, len);
		r->body[len] = '\0';
	}
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	if (post) {
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)len);
		curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, p->headers);
		if (method != NULL)
			curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	}
	/* A GET is curl_easy_reset()'s default method; redirects are never followed (the default).
	 */
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Nodes are reached directly: never through http_proxy & co. from the environment. */
	curl_easy_setopt(r->easy, CURLOPT_PROXY, "");
	/* curl_easy_reset() left VERIFYPEER and VERIFYHOST on; only the trusted CAs change. */
	if (p->ca_file != NULL)
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, p->ca_file);
	if (p->fresh) {
		curl_easy_setopt(r->easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
	}
	if (curl_multi_add_handle(p->multi, r->easy) != CURLM_OK)
		goto fail;
	r->next = p->active;
	r->prev = NULL;
	if (p->active != NULL)
		p->active->prev = r;
	p->active = r;
	p->in_flight++;
	return 0;
fail:
	pf_free(&r->body);
	r->next = p->idle;
	p->idle = r;
	return -1;
}

int poller_post(struct poller *p, const char *url, const char *body, size_t len, long timeout_ms,
                poller_done_cb_fn cb, void *ctx)
{
	return start(p, NULL, url, true, body, len, timeout_ms, cb, ctx);
}

int poller_send(struct poller *p, const char *method, const char *url, const char *body, size_t len,
                long timeout_ms, poller_done_cb_fn cb, void *ctx)
{
	return start(p, method, url, true, body, len, timeout_ms, cb, ctx);
}

int poller_add_header(struct poller *p, const char *line)
{
	struct curl_slist *h = curl_slist_append(p->headers, line);

	if (h == NULL)
		return -1;
	p->headers = h;
	return 0;
}

int poller_get(struct poller *p, const char *url, long timeout_ms, poller_done_cb_fn cb, void *ctx)
{
	return start(p, NULL, url, false, NULL, 0, timeout_ms, cb, ctx);
}

void poller_set_fresh(struct poller *p, bool fresh)
{
	p->fresh = fresh;
}

int poller_set_ca_file(struct poller *p, const char *path)
{
	char *copy = NULL;

	if (path != NULL && path[0] != '\0') {
		copy = strdup(path);
		if (copy == NULL)
			return -1;
	}
	free(p->ca_file);
	p->ca_file = copy;
	return 0;
}

int poller_check_ca_file(const char *path, char *err, size_t errlen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > MAX_CA_FILE) {
		(void)snprintf(err, errlen, "%s: not a regular file of 1 byte to 4 MiB", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			(void)snprintf(err, errlen, "%s: %s", path,
			               n == 0 ? "shorter than its size" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (memmem(buf, got, begin, sizeof(begin) - 1) == NULL) {
		(void)snprintf(err, errlen, "%s: no PEM certificate (%s) in it", path, begin);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

void poller_set_max_connections(struct poller *p, long n)
{
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, n);
}

unsigned poller_in_flight(const struct poller *p)
{
	return p->in_flight;
}

static void req_free(struct poll_req *r)
{
	curl_easy_cleanup(r->easy);
	free(r->body);
	free(r->answer);
	free(r);
}

void poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	while (p->active != NULL) {
		struct poll_req *r = p->active;

		p->active = r->next;
		curl_multi_remove_handle(p->multi, r->easy);
		req_free(r);
	}
	while (p->idle != NULL) {
		struct poll_req *r = p->idle;

		p->idle = r->next;
		req_free(r);
	}
	if (p->loop != NULL)
		ev_timer_stop(p->loop, &p->timer);
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	curl_slist_free_all(p->headers);
	free(p->ca_file);
	free(p);
}
