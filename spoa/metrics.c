/* SPDX-License-Identifier: MIT */
/*
 * /metrics for polkfura-spoa. Counters are read with relaxed atomic loads
 * from each worker and summed; a scrape never blocks a worker. The HTTP side
 * is libmicrohttpd (internal polling thread), not a hand-written parser.
 */
#include "spoa/metrics.h"

#include <stdarg.h>
#include <string.h>

#include <microhttpd.h>

#include "common/compiler.h"

#define RENDER_CAP (64u * 1024)

struct metrics_server {
	struct MHD_Daemon *mhd; /* owned */
	struct metrics_source src;
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

size_t metrics_render(const struct metrics_source *src, char *buf, size_t cap)
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
	counter(&o, "polkfura_spoa_healthchecks_total", "HELLO health checks answered.",
	        SUM(hello_healthchecks));
	counter(&o, "polkfura_spoa_read_errors_total", "Connections closed on a read error.",
	        SUM(read_errors));
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
		body = malloc(RENDER_CAP);
		if (body == NULL)
			return MHD_NO;
		len = metrics_render(&s->src, body, RENDER_CAP);
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

struct metrics_server *metrics_start(const struct pf_addr *addr, const struct metrics_source *src,
                                     char *err, size_t errlen)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	char name[80];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->src = *src;
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	                              (addr->ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	                          0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, &addr->ss,
	                          MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (s->mhd == NULL) {
		snprintf(err, errlen, "cannot serve metrics on %s (address in use?)",
		         pf_addr_str(addr, name, sizeof(name)));
		free(s);
		return NULL;
	}
	return s;
}

void metrics_stop(struct metrics_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	free(s);
}
