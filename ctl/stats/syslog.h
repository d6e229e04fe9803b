/* SPDX-License-Identifier: MIT */
/*
 * One syslog datagram as HAProxy sends it (`log ... format rfc3164`, the
 * shipped default, or `format rfc5424`) split into its header facts and the
 * message. Strict: a header that is not one of the two shapes is refused with
 * a reason, never guessed at. Pure: no I/O, no clock, no allocation; the
 * slices of struct syslog_msg point into the datagram. What the message says
 * is logline.c's business.
 */
#ifndef PF_CTL_STATS_SYSLOG_H
#define PF_CTL_STATS_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/slice.h"

/* The largest UDP payload; HAProxy's own default line limit is 1024 bytes. */
#define SYSLOG_MAX_LEN 65507

/* RFC 5424 field limits (section 6); RFC 3164 tags are held to APP-NAME's. */
#define SYSLOG_HOST_MAX   255
#define SYSLOG_APP_MAX    48
#define SYSLOG_PROCID_MAX 128
#define SYSLOG_MSGID_MAX  32

enum syslog_fmt { SYSLOG_FMT_RFC3164 = 0, SYSLOG_FMT_RFC5424, SYSLOG_FMT_COUNT };

enum syslog_err {
	SYSLOG_OK = 0,
	SYSLOG_ERR_EMPTY,
	SYSLOG_ERR_TOO_LONG,
	SYSLOG_ERR_PRI,
	SYSLOG_ERR_TIMESTAMP,
	SYSLOG_ERR_HOST,
	SYSLOG_ERR_TAG,
	SYSLOG_ERR_PROCID,
	SYSLOG_ERR_MSGID,
	SYSLOG_ERR_SD,
	SYSLOG_ERR_COUNT
};

/*
 * The header's time as written. RFC 3164 has no year, no fraction and no
 * zone (<year> is 0, <has_zone> false); RFC 5424's "-" leaves <has_time>
 * false.
 */
struct syslog_time {
	bool has_time;
	bool has_zone;
	int year; /* 0 when the format has none */
	int month, day, hour, min, sec;
	uint32_t usec;
	int tz_min; /* offset east of UTC in minutes, when <has_zone> */
};

struct syslog_msg {
	enum syslog_fmt fmt;
	uint8_t facility; /* 0..23 */
	uint8_t severity; /* 0..7 */
	struct syslog_time time;
	struct pf_slice host;   /* borrowed; empty when absent or "-" */
	struct pf_slice app;    /* borrowed: the RFC 3164 tag or RFC 5424 APP-NAME ("haproxy") */
	struct pf_slice procid; /* borrowed; empty when absent or "-" */
	struct pf_slice msgid;  /* borrowed; RFC 5424 only, empty when "-" */
	struct pf_slice sd;     /* borrowed; RFC 5424 structured data, empty when "-" */
	/* borrowed: the message, without one trailing "\n" (or "\r\n") or NUL and a UTF-8 BOM */
	struct pf_slice msg;
};

/*
 * Parses the datagram <p>, <len> into <out>. Returns <len> (the whole
 * datagram is one message) or PF_EPROTO with the reason in <err> (SYSLOG_OK
 * on success). <out>'s slices borrow <p>. Never reads outside <p>.
 */
PF_MUSTCHECK int syslog_parse(const uint8_t *p, size_t len, struct syslog_msg *out,
                              enum syslog_err *err);

/* A short lower-case name for <err> ("pri", "timestamp", ...); never NULL. */
const char *syslog_err_name(enum syslog_err err);

#endif
