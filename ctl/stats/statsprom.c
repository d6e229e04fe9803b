/* SPDX-License-Identifier: MIT */
/*
 * The rows are sorted by chain, method, class, status (rowtab.h), so the
 * histogram of a (chain, method, class) is the sum of consecutive rows and
 * is written when the next row starts another one. The overflow row has no
 * key to label: its lines are in polkfura_ctl_log_overflow_lines_total.
 */
#include "ctl/stats/statsprom.h"

#include <inttypes.h>
#include <string.h>

#define P_REQ  "polkfura_rpc_requests_total"
#define P_DUR  "polkfura_rpc_request_duration_seconds"
#define P_CALL "polkfura_rpc_calls_total"

_Static_assert(SYSLOG_ERR_COUNT == 10, "a syslog reason without a label");
_Static_assert(LOGLINE_ERR_COUNT == 13, "a logline reason without a label");

const char *statsprom_syslog_reason(enum syslog_err err)
{
	static const char *const n[SYSLOG_ERR_COUNT] = {
	    "ok",   "empty", "too_long", "pri",   "timestamp",
	    "host", "tag",   "procid",   "msgid", "structured_data",
	};

	return (unsigned)err < SYSLOG_ERR_COUNT ? n[err] : "unknown";
}

const char *statsprom_logline_reason(enum logline_err err)
{
	static const char *const n[LOGLINE_ERR_COUNT] = {
	    "ok",    "too_long", "not_access", "date",   "names",  "timers",  "status",
	    "bytes", "term",     "conns",      "queues", "fields", "request",
	};

	return (unsigned)err < LOGLINE_ERR_COUNT ? n[err] : "unknown";
}

const char *statsprom_status(enum agg_status st)
{
	static const char *const n[AGG_STATUS_COUNT] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

	return (unsigned)st < AGG_STATUS_COUNT ? n[st] : "none";
}

/* <s> as a label value (backslash, quote and newline escaped); "-" for "". */
static void put_value(struct pf_buf *b, const char *s)
{
	if (*s == '\0')
		s = "-";
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			pf_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			pf_buf_append(b, "\\n", 2);
		else
			pf_buf_append(b, s, 1);
	}
}

/* chain="..",method="..",class=".." of <r>, without braces. */
static void key_labels(struct pf_buf *b, const struct rowtab_row *r)
{
	pf_buf_append(b, "chain=\"", 7);
	put_value(b, r->chain);
	pf_buf_append(b, "\",method=\"", 10);
	put_value(b, r->method);
	pf_buf_append(b, "\",class=\"", 9);
	put_value(b, r->cls == LOGLINE_CLASS_NONE ? "" : logline_class_name(r->cls));
	pf_buf_append(b, "\"", 1);
}

static void family(struct pf_buf *b, const char *name, const char *type, const char *help)
{
	pf_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static bool same_series(const struct rowtab_row *a, const struct rowtab_row *b)
{
	return !a->overflow && !b->overflow && a->cls == b->cls &&
	       strcmp(a->chain, b->chain) == 0 && strcmp(a->method, b->method) == 0;
}

static void render_counts(const struct rowtab *cum, struct pf_buf *b, const char *name,
                          size_t field)
{
	for (size_t i = 0; i < cum->n; i++) {
		const struct rowtab_row *r = cum->rows[i];
		uint64_t v;

		if (r->overflow)
			continue;
		memcpy(&v, (const char *)r + field, sizeof(v));
		pf_buf_printf(b, "%s{", name);
		key_labels(b, r);
		pf_buf_printf(b, ",status=\"%s\"} %" PRIu64 "\n", statsprom_status(r->status), v);
	}
}

static void render_latency(const struct rowtab *cum, struct pf_buf *b)
{
	struct pf_buf labels = {0};
	struct hist h;

	hist_init(&h);
	for (size_t i = 0; i < cum->n; i++) {
		const struct rowtab_row *r = cum->rows[i];

		if (r->overflow)
			continue;
		hist_merge(&h, &r->ta);
		if (i + 1 < cum->n && same_series(r, cum->rows[i + 1]))
			continue;
		labels.len = 0;
		key_labels(&labels, r);
		if (labels.failed) {
			b->failed = true;
			break;
		}
		hist_export(&h, P_DUR, labels.p, STATSPROM_STRIDE, b);
		hist_init(&h);
	}
	pf_buf_free(&labels);
}

static void render_health(const struct rowtab *cum, const struct statsprom_health *h,
                          struct pf_buf *b)
{
	family(b, "polkfura_ctl_log_datagrams_total", "counter", "Datagrams read from log_listen.");
	pf_buf_printf(b, "polkfura_ctl_log_datagrams_total %" PRIu64 "\n", h->datagrams);
	family(b, "polkfura_ctl_log_bytes_total", "counter", "Bytes of the datagrams read.");
	pf_buf_printf(b, "polkfura_ctl_log_bytes_total %" PRIu64 "\n", h->bytes);
	family(b, "polkfura_ctl_log_lines_total", "counter",
	       "HAProxy access lines counted in the statistics.");
	pf_buf_printf(b, "polkfura_ctl_log_lines_total %" PRIu64 "\n", cum->lines);
	family(b, "polkfura_ctl_log_rejected_total", "counter",
	       "Datagrams not counted, by the step that refused them and why.");
	for (unsigned i = 1; i < SYSLOG_ERR_COUNT; i++)
		pf_buf_printf(b,
		              "polkfura_ctl_log_rejected_total{stage=\"syslog\",reason=\"%s\"} "
		              "%" PRIu64 "\n",
		              statsprom_syslog_reason((enum syslog_err)i), cum->syslog_rejected[i]);
	for (unsigned i = 1; i < LOGLINE_ERR_COUNT; i++)
		pf_buf_printf(b,
		              "polkfura_ctl_log_rejected_total{stage=\"logline\",reason=\"%s\"} "
		              "%" PRIu64 "\n",
		              statsprom_logline_reason((enum logline_err)i),
		              cum->logline_rejected[i]);
	family(b, "polkfura_ctl_log_kernel_drops_total", "counter",
	       "Datagrams the kernel dropped because the socket buffer was full (UDP only).");
	pf_buf_printf(b, "polkfura_ctl_log_kernel_drops_total %" PRIu64 "\n", h->kernel_drops);
	family(b, "polkfura_ctl_log_overflow_lines_total", "counter",
	       "Lines counted without their key: more keys than the tables hold.");
	pf_buf_printf(b, "polkfura_ctl_log_overflow_lines_total %" PRIu64 "\n",
	              cum->overflow_lines);
	family(b, "polkfura_ctl_log_rows_recorded_total", "counter",
	       "Per-minute rows handed to the database writer.");
	pf_buf_printf(b, "polkfura_ctl_log_rows_recorded_total %" PRIu64 "\n", h->rows_recorded);
	family(b, "polkfura_ctl_log_methods", "gauge",
	       "Method names in the methods table: the method labels besides batch and other.");
	pf_buf_printf(b, "polkfura_ctl_log_methods %zu\n", h->methods);
	family(b, "polkfura_ctl_log_methods_load_failures_total", "counter",
	       "Reloads of methods_file that failed (the previous table stays).");
	pf_buf_printf(b, "polkfura_ctl_log_methods_load_failures_total %" PRIu64 "\n",
	              h->methods_loads);
	family(b, "polkfura_ctl_log_rcvbuf_bytes", "gauge",
	       "The log socket's receive buffer as the kernel reports it.");
	pf_buf_printf(b, "polkfura_ctl_log_rcvbuf_bytes %d\n", h->rcvbuf);
}

void statsprom_render(const struct rowtab *cum, const struct statsprom_health *h, struct pf_buf *b)
{
	family(b, P_REQ, "counter",
	       "HTTP requests HAProxy logged, by chain, JSON-RPC method, class and status class.");
	render_counts(cum, b, P_REQ, offsetof(struct rowtab_row, requests));
	family(b, P_CALL, "counter", "JSON-RPC calls in those requests (a batch counts its size).");
	render_counts(cum, b, P_CALL, offsetof(struct rowtab_row, calls));
	family(b, P_DUR, "histogram",
	       "The requests' total active time (HAProxy %Ta), by chain, method and class.");
	render_latency(cum, b);
	render_health(cum, h, b);
}
