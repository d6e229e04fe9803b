/* SPDX-License-Identifier: MIT */
/*
 * /metrics for polkfura-spoa. Counters are read with relaxed atomic loads
 * from each worker and summed; a scrape never blocks a worker. The HTTP side
 * is libmicrohttpd (internal polling thread), not a hand-written parser.
 * Connections are accepted here, on the main loop, and handed to it: at the
 * fd limit libmicrohttpd's own accept loop busy-waits and logs every try
 * when it holds no connection, while this one rests and logs once a second.
 */
#include "spoa/metrics.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <microhttpd.h>

#include "common/compiler.h"
#include "common/log.h"

#define MOD            "metrics"
#define RENDER_CAP     (64u * 1024)
#define ACCEPT_BATCH   16
#define ACCEPT_PAUSE_S 0.25
#define LOG_INTERVAL_S 1.0
#define IO_TIMEOUT_S   5u /* a scrape is one short request; slow clients are cut */

struct metrics_server {
	struct MHD_Daemon *mhd; /* owned */
	struct metrics_source src;
	struct ev_loop *loop; /* borrowed: main's */
	int fd;               /* owned listening socket */
	ev_io accept_io;
	ev_timer pause;    /* accept rests after the fd limit */
	ev_timer log_tick; /* one line per interval with what was refused */
	uint64_t refused, refused_logged;
	_Atomic uint64_t mhd_messages; /* libmicrohttpd's messages, counted, not printed */
	atomic_uint open;              /* connections handed to libmicrohttpd and not closed */
};

struct out {
	char *p;
	size_t cap;
	size_t len;
};

static void PF_PRINTF(2, 3) outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->cap ? o->p + o->len : NULL, o->len < o->cap ? o->cap - o->len : 0,
	              fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static uint64_t sum(const struct metrics_source *src, size_t offset)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < src->n_workers; i++) {
		const char *st = (const char *)agent_worker_stats(src->workers[i]);

		total += LOAD(*(const _Atomic uint64_t *)(const void *)(st + offset));
	}
	return total;
}

#define SUM(field) sum(src, offsetof(struct agent_stats, field))

static void counter(struct out *o, const char *name, const char *help, uint64_t v)
{
	outf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	     (unsigned long long)v);
}

/* The processing-time histogram; _count is the +Inf bucket, so the two always agree. */
static void metrics_proc_hist(struct out *o, const struct metrics_source *src)
{
	uint64_t cum = 0;

	outf(o, "# HELP polkfura_spoa_processing_seconds Time the agent spent on each NOTIFY "
	        "frame it answered: decoding, classifying and writing the ACK (not the time in "
	        "queues or on the wire).\n"
	        "# TYPE polkfura_spoa_processing_seconds histogram\n");
	for (unsigned b = 0; b <= AGENT_PROC_BUCKETS; b++) {
		cum += SUM(proc_hist[b]);
		if (b < AGENT_PROC_BUCKETS)
			outf(o, "polkfura_spoa_processing_seconds_bucket{le=\"%g\"} %llu\n",
			     (double)agent_proc_bounds_ns[b] / 1e9, (unsigned long long)cum);
		else
			outf(o, "polkfura_spoa_processing_seconds_bucket{le=\"+Inf\"} %llu\n",
			     (unsigned long long)cum);
	}
	outf(o,
	     "polkfura_spoa_processing_seconds_sum %.9f\n"
	     "polkfura_spoa_processing_seconds_count %llu\n",
	     (double)SUM(proc_ns_sum) / 1e9, (unsigned long long)cum);
}

size_t metrics_render(const struct metrics_source *src, const struct pf_proc_metrics *pm, char *buf,
                      size_t cap)
{
	struct out o = {buf, cap, 0};
	static const char *const st_names[] = {"normal",
	                                       "io",
	                                       "timeout",
	                                       "too_big",
	                                       "invalid",
	                                       "no_version",
	                                       "no_frame_size",
	                                       "no_capabilities",
	                                       "bad_version",
	                                       "bad_frame_size",
	                                       "fragmentation",
	                                       "interlaced",
	                                       "frame_id_not_found",
	                                       "resource",
	                                       "other"};

	counter(&o, "polkfura_spoa_connections_total", "SPOP connections accepted.",
	        SUM(conns_accepted));
	outf(&o,
	     "# HELP polkfura_spoa_connections Open SPOP connections.\n"
	     "# TYPE polkfura_spoa_connections gauge\npolkfura_spoa_connections %llu\n",
	     (unsigned long long)SUM(conns_active));
	counter(&o, "polkfura_spoa_frames_total", "SPOP frames received.", SUM(frames_in));
	counter(&o, "polkfura_spoa_acks_total", "ACK frames sent.", SUM(acks_out));
	counter(&o, "polkfura_spoa_messages_total", "SPOE messages received.", SUM(messages));
	outf(&o, "# HELP polkfura_spoa_requests_total Requests classified, by class.\n"
	         "# TYPE polkfura_spoa_requests_total counter\n");
	for (unsigned c = 0; c < RPC_CLASS_COUNT; c++)
		outf(&o, "polkfura_spoa_requests_total{class=\"%s\"} %llu\n",
		     rpc_class_name((enum rpc_class)c), (unsigned long long)SUM(by_class[c]));
	outf(&o, "# HELP polkfura_spoa_chain_requests_total Requests classified, by chain.\n"
	         "# TYPE polkfura_spoa_chain_requests_total counter\n");
	for (unsigned c = 0; c <= src->chains->n; c++)
		outf(&o, "polkfura_spoa_chain_requests_total{chain=\"%s\"} %llu\n",
		     c < src->chains->n ? src->chains->names[c] : "unknown",
		     (unsigned long long)SUM(by_chain[c < src->chains->n ? c : NOTIFY_MAX_CHAINS]));
	outf(&o, "# HELP polkfura_spoa_disconnects_total AGENT-DISCONNECT frames sent, by status.\n"
	         "# TYPE polkfura_spoa_disconnects_total counter\n");
	for (unsigned s = 0; s < PF_ARRAY_SIZE(st_names); s++)
		outf(&o, "polkfura_spoa_disconnects_total{status=\"%s\"} %llu\n", st_names[s],
		     (unsigned long long)SUM(disconnects_sent[s]));
	outf(&o,
	     "# HELP polkfura_spoa_healthchecks_total HAProxy health checks, by kind: spop, a "
	     "HELLO with healthcheck answered (option spop-check); connect, a connection closed "
	     "before its first byte (a plain TCP check).\n"
	     "# TYPE polkfura_spoa_healthchecks_total counter\n"
	     "polkfura_spoa_healthchecks_total{kind=\"spop\"} %llu\n"
	     "polkfura_spoa_healthchecks_total{kind=\"connect\"} %llu\n",
	     (unsigned long long)SUM(hello_healthchecks), (unsigned long long)SUM(connect_checks));
	counter(&o, "polkfura_spoa_read_errors_total",
	        "Connections closed on a read error, not counting the reset that ends a health "
	        "check.",
	        SUM(read_errors));
	outf(&o,
	     "# HELP polkfura_spoa_connections_refused_total Connections accepted and closed "
	     "at once, by reason.\n"
	     "# TYPE polkfura_spoa_connections_refused_total counter\n"
	     "polkfura_spoa_connections_refused_total{reason=\"max_conns\"} %llu\n"
	     "polkfura_spoa_connections_refused_total{reason=\"fd_limit\"} %llu\n",
	     (unsigned long long)SUM(refused_cap), (unsigned long long)SUM(refused_fd_limit));
	counter(&o, "polkfura_spoa_accept_pauses_total",
	        "Times accept() rested after running out of file descriptors.", SUM(accept_pauses));
	outf(&o,
	     "# HELP polkfura_spoa_timeouts_total Connections closed by a timeout, by kind.\n"
	     "# TYPE polkfura_spoa_timeouts_total counter\n"
	     "polkfura_spoa_timeouts_total{kind=\"idle\"} %llu\n"
	     "polkfura_spoa_timeouts_total{kind=\"frame\"} %llu\n",
	     (unsigned long long)SUM(idle_timeouts), (unsigned long long)SUM(frame_timeouts));
	counter(&o, "polkfura_spoa_alloc_failures_total",
	        "Allocation failures (connection refused).", SUM(alloc_failures));
	counter(&o, "polkfura_spoa_reloads_total", "Successful methods-table reloads.",
	        LOAD(src->proc->reloads));
	counter(&o, "polkfura_spoa_reload_failures_total",
	        "Failed methods-table reloads (old table kept).", LOAD(src->proc->reload_failures));
	outf(&o,
	     "# HELP polkfura_spoa_methods Methods in the loaded table.\n"
	     "# TYPE polkfura_spoa_methods gauge\npolkfura_spoa_methods %llu\n"
	     "# HELP polkfura_spoa_threads Worker threads.\n"
	     "# TYPE polkfura_spoa_threads gauge\npolkfura_spoa_threads %u\n",
	     (unsigned long long)LOAD(src->proc->methods), src->proc->threads);
	metrics_proc_hist(&o, src);
	outf(&o,
	     "# HELP polkfura_spoa_build_info The agent's version; always 1.\n"
	     "# TYPE polkfura_spoa_build_info gauge\npolkfura_spoa_build_info{version=\"%s\"} 1\n",
	     src->proc->version != NULL ? src->proc->version : "unknown");
	if (pm != NULL)
		o.len += pf_proc_format(pm, o.len < o.cap ? o.p + o.len : NULL,
		                        o.len < o.cap ? o.cap - o.len : 0);
	return o.len;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
	struct metrics_server *s = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char *body;
	size_t len;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static const char msg[] = "only GET\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
		                                       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		static const char msg[] = "not found: try /metrics\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
		                                       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		struct pf_proc_metrics pm;
		char err[256];
		bool has_pm = pf_proc_read(&pm, err, sizeof(err)) == 0;

		body = malloc(RENDER_CAP);
		if (body == NULL)
			return MHD_NO;
		len = metrics_render(&s->src, has_pm ? &pm : NULL, body, RENDER_CAP);
		if (len >= RENDER_CAP)
			len = RENDER_CAP - 1;
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(body);
	}
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, "Content-Type",
	                              status == MHD_HTTP_OK ? "text/plain; version=0.0.4"
	                                                    : "text/plain");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* libmicrohttpd's error log: per connection at its limit, so counted and summed, not printed. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_server *s = cls;

	(void)fmt;
	(void)ap;
	atomic_fetch_add_explicit(&s->mhd_messages, 1, memory_order_relaxed);
}

/* MHD_NotifyConnectionCallback: a connection handed over is gone. */
static void mhd_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_server *s = cls;

	(void)conn;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub_explicit(&s->open, 1, memory_order_relaxed);
}

static void metrics_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct metrics_server *s = pf_container_of(io, struct metrics_server, accept_io);

	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(s->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			/* EMFILE and the like: pending connections keep us readable. Rest. */
			s->refused++;
			ev_io_stop(loop, io);
			ev_timer_set(&s->pause, ACCEPT_PAUSE_S, 0.);
			ev_timer_start(loop, &s->pause);
			return;
		}
		/*
		 * The limit is kept here, counted from the hand-over: libmicrohttpd
		 * queues what another thread adds and counts it later, so its own
		 * limit (higher, a backstop) lets a flood pile fds up in its queue.
		 * It closes fd on MHD_NO.
		 */
		if (atomic_load_explicit(&s->open, memory_order_relaxed) >= METRICS_MAX_CONNS) {
			close(fd);
			s->refused++;
			continue;
		}
		atomic_fetch_add_explicit(&s->open, 1, memory_order_relaxed);
		if (MHD_add_connection(s->mhd, fd, (struct sockaddr *)&ss, len) != MHD_YES) {
			atomic_fetch_sub_explicit(&s->open, 1, memory_order_relaxed);
			s->refused++;
		}
	}
}

static void metrics_pause_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct metrics_server *s = pf_container_of(t, struct metrics_server, pause);

	(void)revents;
	ev_io_start(loop, &s->accept_io);
}

static void metrics_log_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct metrics_server *s = pf_container_of(t, struct metrics_server, log_tick);

	(void)loop;
	(void)revents;
	if (s->refused == s->refused_logged)
		return;
	log_warn(MOD, "refused %llu connection(s) in the last %.0f s (limit %u or out of fds)",
	         (unsigned long long)(s->refused - s->refused_logged), LOG_INTERVAL_S,
	         METRICS_MAX_CONNS);
	s->refused_logged = s->refused;
}

static int metrics_listen(struct metrics_server *s, const struct pf_addr *addr)
{
	int one = 1;

	s->fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1)
		return -1;
	if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s->fd, (const struct sockaddr *)&addr->ss, addr->len) == -1 ||
	    listen(s->fd, 64) == -1) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

struct metrics_server *metrics_start(struct ev_loop *loop, const struct pf_addr *addr,
                                     const struct metrics_source *src, char *err, size_t errlen)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	char name[80];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->src = *src;
	s->loop = loop;
	if (metrics_listen(s, addr) == -1) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s",
		         pf_addr_str(addr, name, sizeof(name)), strerror(errno));
		free(s);
		return NULL;
	}
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET |
	                              MHD_USE_ITC | MHD_USE_ERROR_LOG,
	                          0, NULL, NULL, answer, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	                          MHD_OPTION_NOTIFY_CONNECTION, mhd_notify, s,
	                          MHD_OPTION_CONNECTION_LIMIT,
	                          (unsigned)(METRICS_MAX_CONNS + ACCEPT_BATCH),
	                          MHD_OPTION_CONNECTION_TIMEOUT, IO_TIMEOUT_S, MHD_OPTION_END);
	if (s->mhd == NULL) {
		snprintf(err, errlen, "cannot start the metrics server");
		close(s->fd);
		free(s);
		return NULL;
	}
	ev_io_init(&s->accept_io, metrics_accept_cb, s->fd, EV_READ);
	ev_io_start(loop, &s->accept_io);
	ev_timer_init(&s->pause, metrics_pause_cb, 0., 0.);
	ev_timer_init(&s->log_tick, metrics_log_cb, LOG_INTERVAL_S, LOG_INTERVAL_S);
	ev_timer_start(loop, &s->log_tick);
	return s;
}

void metrics_stop(struct metrics_server *s)
{
	if (s == NULL)
		return;
	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->pause);
	ev_timer_stop(s->loop, &s->log_tick);
	MHD_stop_daemon(s->mhd);
	close(s->fd);
	free(s);
}
