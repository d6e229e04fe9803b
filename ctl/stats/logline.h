/* SPDX-License-Identifier: MIT */
/*
 * The message of one HAProxy access-log line in the shipped log-format
 * (haproxy/haproxy.cfg, frontend rpc; haproxy/README.md "Log format") read
 * into a struct logline. Anything else (HAProxy's own notices, another
 * format, a broken line) is refused with a reason. Pure: no I/O, no clock,
 * no allocation; slices point into the message. The method label is looked
 * up through a callback, so the methods table stays the caller's.
 */
#ifndef PF_CTL_STATS_LOGLINE_H
#define PF_CTL_STATS_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compiler.h"
#include "common/slice.h"

/* HAProxy's longest log line is `log ... len 65535`; a message longer than that is not one. */
#define LOGLINE_MAX_LEN 65535

#define LOGLINE_CHAIN_MAX  64  /* a chains map value */
#define LOGLINE_METHOD_MAX 128 /* the agent's RPC_METHOD_MAX */
#define LOGLINE_NAME_MAX   128 /* frontend, backend, server names */

/* method_id values besides an index into the caller's table. */
#define LOGLINE_METHOD_NONE  (-1) /* "-": no call (a GET, an invalid body, no agent) */
#define LOGLINE_METHOD_BATCH (-2) /* "batch" */
#define LOGLINE_METHOD_OTHER (-3) /* a name the table does not hold */

/* The agent's classes (spoa/rpc_class.h), plus "-" and anything else. */
enum logline_class {
	LOGLINE_CLASS_NONE = 0,
	LOGLINE_CLASS_READ,
	LOGLINE_CLASS_SUBSCRIBE,
	LOGLINE_CLASS_SUBMIT,
	LOGLINE_CLASS_HEAVY,
	LOGLINE_CLASS_UNKNOWN,
	LOGLINE_CLASS_INVALID,
	LOGLINE_CLASS_UNSAFE,
	LOGLINE_CLASS_OVERSIZE,
	LOGLINE_CLASS_OTHER,
	LOGLINE_CLASS_COUNT
};

enum logline_err {
	LOGLINE_OK = 0,
	LOGLINE_ERR_TOO_LONG,
	LOGLINE_ERR_NOT_ACCESS, /* not a request's line: a notice, a connection error */
	LOGLINE_ERR_DATE,
	LOGLINE_ERR_NAMES, /* frontend, backend/server */
	LOGLINE_ERR_TIMERS,
	LOGLINE_ERR_STATUS,
	LOGLINE_ERR_BYTES,
	LOGLINE_ERR_TERM,
	LOGLINE_ERR_CONNS,
	LOGLINE_ERR_QUEUES,
	LOGLINE_ERR_FIELD, /* chain= method= class= batch= calls= spoe= */
	LOGLINE_ERR_REQUEST,
	LOGLINE_ERR_COUNT
};

/* %tr: the accept date, in HAProxy's local time (UTC on the shipped hosts). */
struct logline_date {
	int year, month, day, hour, min, sec, msec;
	int64_t epoch_ms; /* read as UTC */
};

struct logline {
	struct pf_slice client; /* borrowed: "%ci:%cp" */
	struct logline_date accept;
	struct pf_slice frontend; /* borrowed, without the '~' of TLS */
	bool tls;
	struct pf_slice backend, server; /* borrowed; server "<NOSRV>" when none */
	/* %Tq/%Tw/%Tc/%Tr/%Ta in ms; -1 when the step was not reached */
	int32_t tq, tw, tc, tr, ta;
	int status;     /* %ST, -1 when none was sent */
	uint64_t bytes; /* %B, to the client */
	char term[5];   /* %tsc, NUL-terminated ("----", "LR--", "CD--") */
	uint32_t ac, fc, bc, sc, rc;
	uint32_t srv_queue, be_queue;
	struct pf_slice chain;  /* borrowed; empty for "-" */
	struct pf_slice method; /* borrowed, as logged; empty for "-" */
	int method_id;          /* index from the lookup, or LOGLINE_METHOD_* */
	enum logline_class cls;
	struct pf_slice cls_text; /* borrowed, as logged */
	int32_t batch;            /* calls in the body; -1 for "-" */
	int32_t calls;            /* the caller's call count then; -1 for "-" */
	int32_t spoe_err;         /* txn.rpc.error: 0 when the agent answered */
	int32_t spoe_ms;          /* agent processing time; -1 for "-" */
	struct pf_slice http_method, uri, http_version; /* borrowed */
	bool truncated; /* the request field ends without its quote (line cut at HAProxy's len) */
};

/*
 * Index of method <p>, <len> in the caller's table, or -1 when it holds no
 * such name. <ctx> is the caller's.
 */
typedef int (*logline_method_fn)(void *ctx, const uint8_t *p, size_t len);

/*
 * Parses the message <p>, <len> (syslog_msg.msg) into <out>, looking the
 * method up with <lookup>(<ctx>) (NULL: every name is "other"). Returns
 * <len> or PF_EPROTO with the reason in <err>. <out>'s slices borrow <p>.
 */
PF_MUSTCHECK int logline_parse(const uint8_t *p, size_t len, logline_method_fn lookup, void *ctx,
                               struct logline *out, enum logline_err *err);

/*
 * Writes <l> back as the shipped log-format would have written it (numbers
 * in their canonical form) into <b>; a failure is sticky in <b>.
 */
void logline_format(const struct logline *l, struct pf_buf *b);

const char *logline_class_name(enum logline_class cls);
const char *logline_err_name(enum logline_err err);

#endif
