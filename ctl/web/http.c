/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd glue behind http.h. MHD runs without threads (MHD_USE_EPOLL):
 * its epoll fd is watched by one ev_io, and a timer follows MHD_get_timeout,
 * so every handler runs on the controller's loop. Request bodies are
 * accumulated per request up to HTTP_MAX_BODY.
 *
 * Bounds: MHD caps connections (all, and per client address), memory per
 * connection and idle time. It has no cap on the time a connection that
 * trickles bytes may take, so each connection carries a deadline (request
 * HTTP_REQUEST_S, reply HTTP_REPLY_S) checked by a 1 s janitor, which
 * shutdown(2)s the socket of a late one: MHD then sees the end of the stream
 * and closes it in its own time (the fd stays MHD's, so it cannot be reused
 * under it). Suspended (deferred) requests carry no deadline. The janitor
 * also runs MHD each second, so a listening socket MHD left out of its epoll
 * set at the connection limit is back within a second (see on_janitor).
 */
#include "ctl/web/http.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <ev.h>
#include <microhttpd.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/text.h"

#define MOD "http"

#define HTTP_LOG_BURST 5 /* libmicrohttpd lines logged per second at most */

struct http_conn;

struct http_server {
	struct ev_loop *loop; /* borrowed */
	struct MHD_Daemon *mhd;
	http_handler_fn handler;
	void *ctx;
	ev_io io;
	ev_timer timer;
	ev_timer janitor;
	struct http_conn *conns;        /* every open connection, owned (MHD socket contexts) */
	struct http_pending *suspended; /* deferred requests not yet answered */
	struct http_stats stats;
	double log_second;  /* ev_now() second of the libmicrohttpd lines counted in <log_count> */
	unsigned log_count; /* lines in that second */
	bool stopping;
};

/* One TCP connection: MHD's socket context. */
struct http_conn {
	struct http_server *s; /* borrowed */
	int fd;                /* MHD's; only shutdown(2) here */
	double deadline;       /* ev_now() by which this phase must end */
	bool suspended;
	bool shut;
	struct http_conn *next, *prev;
};

/* One request: MHD's request context, and the handle of a deferred reply. */
struct http_pending {
	struct http_server *s; /* borrowed */
	struct MHD_Connection *conn;
	struct http_conn *hc; /* borrowed, NULL when the connection could not be tracked */
	bool too_large;
	bool deferred; /* the handler called http_defer */
	bool replied;  /* http_pending_reply gave <reply> */
	struct http_reply reply;
	struct http_pending *next, *prev; /* s->suspended */
	size_t len;
	char buf[HTTP_MAX_BODY + 1];
};

static void rearm(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(s->loop, &s->timer);
	if (MHD_get_timeout(s->mhd, &ms) == MHD_YES) {
		ev_timer_set(&s->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(s->loop, &s->timer);
	}
}

static void on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct http_server *s = pf_container_of(io, struct http_server, io);

	(void)loop;
	(void)revents;
	MHD_run(s->mhd);
	rearm(s);
}

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct http_server *s = pf_container_of(t, struct http_server, timer);

	(void)loop;
	(void)revents;
	MHD_run(s->mhd);
	rearm(s);
}

/*
 * Every second: shuts the sockets of connections past their deadline (MHD
 * then closes them), and runs MHD once. Past HTTP_MAX_CONNECTIONS, MHD takes
 * its listening socket out of its epoll set and puts it back only at the
 * start of a later MHD_run, once a connection has gone: when nothing else is
 * due then, no run would come and queued clients would wait forever. This
 * run bounds that wait to a second (on_connection schedules one sooner).
 */
static void on_janitor(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct http_server *s = pf_container_of(t, struct http_server, janitor);
	double now = ev_now(loop);

	(void)revents;
	for (struct http_conn *hc = s->conns; hc != NULL; hc = hc->next) {
		if (hc->suspended || hc->shut || now < hc->deadline)
			continue;
		hc->shut = true;
		s->stats.expired++;
		(void)shutdown(hc->fd, SHUT_RDWR);
	}
	MHD_run(s->mhd);
	rearm(s);
}

static void set_deadline(struct http_conn *hc, double seconds)
{
	if (hc != NULL)
		hc->deadline = ev_now(hc->s->loop) + seconds;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	struct http_conn *hc = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		hc = fd != NULL ? calloc(1, sizeof(*hc)) : NULL;
		*socket_context = hc;
		if (hc == NULL)
			return; /* untracked: MHD's idle timeout still applies */
		hc->s = s;
		hc->fd = fd->connect_fd;
		set_deadline(hc, HTTP_REQUEST_S);
		hc->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = hc;
		s->conns = hc;
		s->stats.open++;
		return;
	}
	if (hc == NULL)
		return;
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		s->conns = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	s->stats.open--;
	free(hc);
	*socket_context = NULL;
	/* A slot may be free: run MHD again soon (see on_janitor). */
	if (!s->stopping)
		ev_feed_event(s->loop, &s->io, EV_READ);
}

/* libmicrohttpd's messages as log lines: printable, one line each, at most HTTP_LOG_BURST/s. */
PF_PRINTF(2, 0)
static void on_lib_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char raw[512], line[512];
	double sec = (double)(long long)ev_now(s->loop);
	size_t n;

	s->stats.lib_messages++;
	if (sec != s->log_second) {
		if (s->log_count > HTTP_LOG_BURST)
			log_warn(MOD,
			         "libmicrohttpd: %u more messages in the last second not logged",
			         s->log_count - HTTP_LOG_BURST);
		s->log_second = sec;
		s->log_count = 0;
	}
	if (++s->log_count > HTTP_LOG_BURST) {
		s->stats.lib_suppressed++;
		return;
	}
	if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
		return;
	n = strlen(raw);
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r' || raw[n - 1] == ' '))
		n--;
	(void)pf_printable(line, sizeof(line), raw, n, NULL);
	log_warn(MOD, "libmicrohttpd: %s", line);
}

static void on_lib_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	char why[256];

	(void)cls;
	(void)pf_printable(why, sizeof(why), reason != NULL ? reason : "",
	                   reason != NULL ? strlen(reason) : 0, NULL);
	log_err(MOD, "libmicrohttpd panic at %s:%u: %s", file != NULL ? file : "?", line, why);
	abort();
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct http_conn *hc,
                             const struct http_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->body != NULL)
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(r->body);
		return MHD_NO;
	}
	if (r->content_type != NULL)
		(void)MHD_add_response_header(resp, "Content-Type", r->content_type);
	if (r->hdr_name != NULL && r->hdr_value != NULL)
		(void)MHD_add_response_header(resp, r->hdr_name, r->hdr_value);
	/* Nothing is cached unless the handler says how (the status page's max-age). */
	if (r->hdr_name == NULL || strcasecmp(r->hdr_name, "Cache-Control") != 0)
		(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	set_deadline(hc, HTTP_REPLY_S);
	return ret;
}

static void reply_text(struct http_reply *r, unsigned status, const char *text)
{
	r->status = status;
	r->content_type = "text/plain";
	r->body = strdup(text);
	r->len = r->body != NULL ? strlen(r->body) : 0;
}

struct header_scan {
	struct http_request *req;
	const char *dup; /* a header given twice */
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	static const char *const names[] = {"Host", "Content-Type", "Authorization", "Origin"};
	struct header_scan *hs = cls;
	const char **slots[] = {&hs->req->host, &hs->req->content_type, &hs->req->authorization,
	                        &hs->req->origin};

	(void)kind;
	for (size_t i = 0; key != NULL && i < PF_ARRAY_SIZE(names); i++) {
		if (strcasecmp(key, names[i]) != 0)
			continue;
		if (*slots[i] != NULL)
			hs->dup = names[i];
		else
			*slots[i] = value != NULL ? value : "";
	}
	return MHD_YES;
}

static void fill_peer(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		                out, (socklen_t)len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6,
		                &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		                (socklen_t)len);
}

static void suspend(struct http_pending *u)
{
	struct http_server *s = u->s;

	MHD_suspend_connection(u->conn);
	if (u->hc != NULL)
		u->hc->suspended = true;
	u->prev = NULL;
	u->next = s->suspended;
	if (s->suspended != NULL)
		s->suspended->prev = u;
	s->suspended = u;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	struct http_pending *u = *req_cls;
	struct http_reply r = {200, "text/plain", NULL, 0, NULL, NULL};

	(void)version;
	if (u == NULL) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		u->s = s;
		u->conn = conn;
		u->hc = ci != NULL ? ci->socket_context : NULL;
		*req_cls = u;
		return MHD_YES;
	}
	if (u->deferred) {
		/* Resumed: the deferred reply is here. */
		PF_BUG_ON(!u->replied);
		r = u->reply;
		u->reply.body = NULL;
		return queue(conn, u->hc, &r);
	}
	if (*upload_data_size > 0) {
		if (u->len + *upload_data_size > HTTP_MAX_BODY)
			u->too_large = true;
		else
			memcpy(u->buf + u->len, upload_data, *upload_data_size);
		if (!u->too_large)
			u->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	u->buf[u->len] = '\0';
	if (u->too_large) {
		reply_text(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
	} else {
		struct http_request req = {
		    .method = method, .url = url, .body = u->buf, .len = u->len, .priv = u};
		struct header_scan hs = {&req, NULL};

		(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &hs);
		fill_peer(conn, req.peer, sizeof(req.peer));
		if (hs.dup != NULL) {
			char msg[64];

			(void)snprintf(msg, sizeof(msg), "%s header given twice\n", hs.dup);
			reply_text(&r, MHD_HTTP_BAD_REQUEST, msg);
		} else {
			s->handler(s->ctx, &req, &r);
		}
	}
	if (u->deferred) {
		suspend(u);
		return MHD_YES;
	}
	return queue(conn, u->hc, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_pending *u = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (u == NULL)
		return;
	/* The next request on this connection has its own time. */
	set_deadline(u->hc, HTTP_REQUEST_S);
	free(u->reply.body);
	free(u);
	*req_cls = NULL;
}

struct http_pending *http_defer(const struct http_request *req)
{
	struct http_pending *u = req->priv;

	PF_BUG_ON(u == NULL || u->deferred);
	u->deferred = true;
	return u;
}

void http_pending_reply(struct http_pending *p, struct http_reply *r)
{
	struct http_server *s = p->s;

	PF_BUG_ON(!p->deferred || p->replied);
	p->reply = *r;
	p->replied = true;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		s->suspended = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	if (p->hc != NULL) {
		p->hc->suspended = false;
		set_deadline(p->hc, HTTP_REPLY_S);
	}
	MHD_resume_connection(p->conn);
	/* MHD's wake-up pipe sits in its epoll set; run it soon either way. */
	if (!s->stopping)
		ev_feed_event(s->loop, &s->io, EV_READ);
}

void http_server_stats(const struct http_server *s, struct http_stats *out)
{
	*out = s->stats;
}

struct http_server *http_server_new(struct ev_loop *loop, const struct pf_addr *addr,
                                    http_handler_fn handler, void *ctx, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	char name[128];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (addr->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->loop = loop;
	s->handler = handler;
	s->ctx = ctx;
	ev_init(&s->janitor, on_janitor);
	s->janitor.repeat = 1.0;
	MHD_set_panic_func(on_lib_panic, NULL);
	/* The logger goes first: MHD reports the options after it through it. */
	s->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_lib_log, s,
	    MHD_OPTION_SOCK_ADDR, &addr->ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)HTTP_IDLE_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY, MHD_OPTION_END);
	if (s->mhd == NULL) {
		snprintf(err, errlen, "cannot listen on %s (address in use?)",
		         pf_addr_str(addr, name, sizeof(name)));
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		snprintf(err, errlen, "libmicrohttpd without epoll support");
		MHD_stop_daemon(s->mhd);
		free(s);
		return NULL;
	}
	ev_io_init(&s->io, on_io, info->epoll_fd, EV_READ);
	ev_io_start(loop, &s->io);
	ev_init(&s->timer, on_timer);
	rearm(s);
	ev_timer_again(loop, &s->janitor);
	return s;
}

void http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	s->stopping = true;
	/* MHD must not be stopped with suspended connections: answer them first. */
	while (s->suspended != NULL) {
		struct http_reply r = {0};

		reply_text(&r, MHD_HTTP_SERVICE_UNAVAILABLE, "controller stopping\n");
		http_pending_reply(s->suspended, &r);
	}
	MHD_run(s->mhd); /* takes the resumed connections back */
	ev_io_stop(s->loop, &s->io);
	ev_timer_stop(s->loop, &s->timer);
	ev_timer_stop(s->loop, &s->janitor);
	MHD_stop_daemon(s->mhd);
	free(s);
}
