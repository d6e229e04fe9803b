/* SPDX-License-Identifier: MIT */
/*
 * The controller's syslog listener for HAProxy's access logs (config key
 * log_listen): a UDP or unix datagram socket on the controller's libev
 * loop. Each datagram is read (syslog.c), its message parsed (logline.c,
 * the method looked up in the methods table, methtab.c) and counted
 * (agg.c). Every second the aggregator is rotated and its snapshot added
 * to the table of the current minute and to the totals since the start
 * (rowtab.c); /metrics renders the totals (statsprom.c); when the minute
 * changes, the finished minute's table goes to the <on_minute> callback
 * (the recorder writes it to PostgreSQL).
 *
 * Nothing is dropped silently: a datagram that does not parse is counted
 * by reason, one past the read buffer as too_long, and for UDP the
 * kernel's own drops (a full socket buffer) are read from SO_RXQ_OVFL.
 * Reads are bounded per wakeup, so a flood never starves the loop.
 */
#ifndef PF_CTL_STATS_INGEST_H
#define PF_CTL_STATS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compiler.h"
#include "common/net.h"
#include "ctl/stats/rowtab.h"

struct ev_loop;
struct ingest;

#define INGEST_DGRAM_MAX 16384 /* bytes read of one datagram; longer ones are too_long */
#define INGEST_MAX_KEYS  4096  /* keys per minute (agg.h's cap) and since the start */

/*
 * A minute is over: <rows> (borrowed for the call) holds its counts, by
 * key, stamped <minute_ms> (the start of the minute the lines arrived in).
 * Returns the rows it handed on. Called on the loop; may not call
 * ingest_close().
 */
typedef size_t (*ingest_minute_fn)(void *ctx, int64_t minute_ms, const struct rowtab *rows);

struct ingest_cfg {
	const struct pf_addr *addr; /* udp or unix, see ctl_cfg.h log_listen */
	const char *group;          /* unix: the socket's group; NULL or "": the controller's */
	unsigned rcvbuf;            /* SO_RCVBUF asked for */
	const char *methods_file;
	ingest_minute_fn on_minute; /* may be NULL */
	void *ctx;
};

/*
 * Loads the methods table and binds the socket (a unix path that exists
 * and is not a socket is refused, a stale socket replaced; mode 0660).
 * Returns the listener, or NULL with the reason in <err>.
 */
PF_MUSTCHECK struct ingest *ingest_open(struct ev_loop *loop, const struct ingest_cfg *cfg,
                                        char *err, size_t errlen);

/*
 * SIGHUP: the lines read so far are counted with the old methods table,
 * then <methods_file> is loaded (kept as it was, logged and counted, when
 * it cannot be) and <rcvbuf> applied. The address and group are restart-only.
 */
void ingest_reload(struct ingest *in, const char *methods_file, unsigned rcvbuf);

/* The status_view.more_metrics callback: <ctx> is the struct ingest (NULL: nothing). */
void ingest_metrics(void *ctx, struct pf_buf *out);

/* A clean stop: reads what waits, stops reading, then hands the partial minute to on_minute. */
void ingest_flush(struct ingest *in);

/* Stops, closes (removing the unix socket's path) and frees; NULL is a no-op. */
void ingest_close(struct ingest *in);

#endif
