/* SPDX-License-Identifier: MIT */
/*
 * The log ingestion's families of the controller's /metrics (Prometheus
 * text format 0.0.4), each whole under its HELP and TYPE lines: requests
 * and latency per chain, method, class and HTTP status class, read from
 * HAProxy's access lines, and the ingestion's own health (datagrams, what
 * was rejected and why, what the kernel dropped). No region label: the
 * scrape gives it (haproxy/monitoring/prometheus.yml). Pure.
 */
#ifndef PF_CTL_STATS_STATSPROM_H
#define PF_CTL_STATS_STATSPROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "ctl/stats/rowtab.h"

/*
 * Every 4th bucket bound of hist.h: two per power of two (4, 8, 12, 16,
 * 24, 32 ... 65536 ms), 28 bounds, so histogram_quantile() interpolates
 * within a bucket at most 1.5 times as wide as its start.
 */
#define STATSPROM_STRIDE 4

struct statsprom_health {
	bool udp;               /* the listener is UDP (kernel drops are counted) */
	uint64_t datagrams;     /* received */
	uint64_t bytes;         /* their payload bytes */
	uint64_t kernel_drops;  /* SO_RXQ_OVFL: datagrams the socket's buffer had no room for */
	uint64_t truncated;     /* datagrams longer than the read buffer (also rejected too_long) */
	uint64_t rows_recorded; /* per-minute rows handed to the database writer */
	size_t methods;         /* names in the methods table */
	uint64_t methods_loads; /* methods table (re)loads that failed */
	int rcvbuf;             /* the socket's receive buffer as the kernel reports it */
};

/* The snake_case label of a rejection reason; never NULL. */
const char *statsprom_syslog_reason(enum syslog_err err);
const char *statsprom_logline_reason(enum logline_err err);

/* The status label of an agg_status: "1xx" ... "5xx", "none". */
const char *statsprom_status(enum agg_status st);

/* Appends the families of <cum> (since the start) and <h> to <b>. */
void statsprom_render(const struct rowtab *cum, const struct statsprom_health *h, struct pf_buf *b);

#endif
