/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd glue behind http.h. MHD runs without threads (MHD_USE_EPOLL):
 * its epoll fd is watched by one ev_io, and a timer follows MHD_get_timeout,
 * so every handler runs on the controller's loop. Request bodies are
 * accumulated per connection up to HTTP_MAX_BODY.
 */
#include "ctl/web/http.h"

#include <string.h>

#include <ev.h>
#include <microhttpd.h>

#include "common/compiler.h"

struct http_server {
	struct ev_loop *loop; /* borrowed */
	struct MHD_Daemon *mhd;
	http_handler_fn handler;
	void *ctx;
	ev_io io;
	ev_timer timer;
};

struct upload {
	char buf[HTTP_MAX_BODY + 1];
	size_t len;
	bool too_large;
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

static enum MHD_Result queue(struct MHD_Connection *conn, const struct http_reply *r)
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
	(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	struct upload *u = *req_cls;
	struct http_reply r = {200, "text/plain", NULL, 0};

	(void)version;
	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		*req_cls = u;
		return MHD_YES;
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
		static const char msg[] = "request body too large\n";

		r.status = MHD_HTTP_CONTENT_TOO_LARGE;
		r.body = strdup(msg);
		r.len = r.body != NULL ? sizeof(msg) - 1 : 0;
	} else {
		s->handler(s->ctx, method, url, u->buf, u->len, &r);
	}
	return queue(conn, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*req_cls);
	*req_cls = NULL;
}

struct http_server *http_server_new(struct ev_loop *loop, const struct pf_addr *addr,
                                    http_handler_fn handler, void *ctx, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	char name[128];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (addr->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->loop = loop;
	s->handler = handler;
	s->ctx = ctx;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	                          &addr->ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	                          MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT,
	                          256u, MHD_OPTION_END);
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
	return s;
}

void http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	ev_io_stop(s->loop, &s->io);
	ev_timer_stop(s->loop, &s->timer);
	MHD_stop_daemon(s->mhd);
	free(s);
}
