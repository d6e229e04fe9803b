/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/stats/syslog.c, ctl/stats/logline.c and
 * ctl/stats/agg.c: the input is one datagram as the controller's log
 * listener receives it. Properties:
 * - syslog_parse: accepts the whole input or refuses it with a reason; every
 *   slice lies inside the input and within its RFC 5424 limit; facility,
 *   severity and time fields are in range;
 * - logline_parse, on the syslog message and on the raw input: accepts all
 *   of it or refuses it with a reason; every slice lies inside its input; the
 *   fields are within their bounds (chain bytes and length, method length,
 *   class, timers >= -1, status -1 or 100..999, %tsc four letters or '-');
 *   the method id agrees with the method text and the lookup table;
 * - a parsed line written back by logline_format() parses again, and
 *   writing that back gives the same text (a fixed point);
 * - the aggregator's snapshot counts every parsed line once, in its rows.
 * Corpus: tests/fuzz/corpus/logline/ (datagrams of tests/data/haproxy-logs/
 * and hand-made corners); dictionary tests/fuzz/logline.dict.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ctl/stats/agg.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static const char *const table[] = {"system_health", "chain_getHeader", "author_insertKey"};

static int lookup(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx;
	for (int i = 0; i < 3; i++)
		if (strlen(table[i]) == len && memcmp(table[i], p, len) == 0)
			return i;
	return -1;
}

static bool inside(struct pf_slice s, const uint8_t *p, size_t len)
{
	return s.len == 0 || (s.p >= p && s.len <= len && s.p + s.len <= p + len);
}

static void check_syslog(const uint8_t *p, size_t len, const struct syslog_msg *m)
{
	const struct syslog_time *t = &m->time;

	FUZZ_CHECK(m->fmt < SYSLOG_FMT_COUNT && m->facility <= 23 && m->severity <= 7);
	FUZZ_CHECK(inside(m->host, p, len) && m->host.len <= SYSLOG_HOST_MAX);
	FUZZ_CHECK(inside(m->app, p, len) && m->app.len <= SYSLOG_APP_MAX);
	FUZZ_CHECK(inside(m->procid, p, len) && m->procid.len <= SYSLOG_PROCID_MAX);
	FUZZ_CHECK(inside(m->msgid, p, len) && m->msgid.len <= SYSLOG_MSGID_MAX);
	FUZZ_CHECK(inside(m->sd, p, len) && inside(m->msg, p, len));
	FUZZ_CHECK(m->fmt == SYSLOG_FMT_RFC5424 || m->app.len > 0);
	if (t->has_time)
		FUZZ_CHECK(t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31 &&
		           t->hour >= 0 && t->hour <= 23 && t->min >= 0 && t->min <= 59 &&
		           t->sec >= 0 && t->sec <= 60 && t->usec < 1000000);
}

static void check_fields(const uint8_t *p, size_t len, const struct logline *l)
{
	FUZZ_CHECK(inside(l->client, p, len) && inside(l->frontend, p, len));
	FUZZ_CHECK(inside(l->backend, p, len) && inside(l->server, p, len));
	FUZZ_CHECK(inside(l->chain, p, len) && inside(l->method, p, len));
	FUZZ_CHECK(inside(l->cls_text, p, len) && inside(l->http_method, p, len));
	FUZZ_CHECK(inside(l->uri, p, len) && inside(l->http_version, p, len));
	FUZZ_CHECK(l->client.len > 0 && l->frontend.len > 0 && l->backend.len > 0);
	FUZZ_CHECK(l->chain.len <= LOGLINE_CHAIN_MAX && l->method.len <= LOGLINE_METHOD_MAX);
	for (size_t i = 0; i < l->chain.len; i++)
		FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", l->chain.p[i]) !=
		           NULL);
	FUZZ_CHECK(memchr(l->method.p, '"', l->method.len) == NULL);
	FUZZ_CHECK(l->cls < LOGLINE_CLASS_COUNT);
	FUZZ_CHECK(l->tq >= -1 && l->tw >= -1 && l->tc >= -1 && l->tr >= -1 && l->ta >= -1);
	FUZZ_CHECK(l->status == -1 || (l->status >= 100 && l->status <= 999));
	FUZZ_CHECK(strlen(l->term) == 4);
	FUZZ_CHECK(l->batch >= -1 && l->calls >= -1 && l->spoe_ms >= -1);
	FUZZ_CHECK(l->accept.month >= 1 && l->accept.month <= 12 && l->accept.msec <= 999);
	if (l->method.len == 0)
		FUZZ_CHECK(l->method_id == LOGLINE_METHOD_NONE);
	else if (pf_slice_eq_str(l->method, "batch"))
		FUZZ_CHECK(l->method_id == LOGLINE_METHOD_BATCH);
	else if (lookup(NULL, l->method.p, l->method.len) >= 0)
		FUZZ_CHECK(l->method_id >= 0 && pf_slice_eq_str(l->method, table[l->method_id]));
	else
		FUZZ_CHECK(l->method_id == LOGLINE_METHOD_OTHER);
}

/* Written back, parsed again, written again: the same text. */
static void check_round_trip(const struct logline *l)
{
	struct pf_buf b1 = {0}, b2 = {0};
	struct logline again;
	enum logline_err err;

	logline_format(l, &b1);
	FUZZ_CHECK(!b1.failed);
	FUZZ_CHECK(logline_parse((const uint8_t *)b1.p, b1.len, lookup, NULL, &again, &err) ==
	           (int)b1.len);
	FUZZ_CHECK(again.method_id == l->method_id && again.cls == l->cls &&
	           again.status == l->status && again.bytes == l->bytes && again.ta == l->ta &&
	           again.truncated == l->truncated && again.accept.epoch_ms == l->accept.epoch_ms);
	logline_format(&again, &b2);
	FUZZ_CHECK(!b2.failed && b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	pf_buf_free(&b1);
	pf_buf_free(&b2);
}

/* Returns true when <p>, <len> parsed as a line (and was checked). */
static bool one_line(const uint8_t *p, size_t len, struct agg *a)
{
	struct logline l;
	enum logline_err err;
	int r = logline_parse(p, len, lookup, NULL, &l, &err);

	FUZZ_CHECK(r == PF_EPROTO || r == (int)len);
	FUZZ_CHECK((r == PF_EPROTO) == (err != LOGLINE_OK) && err < LOGLINE_ERR_COUNT);
	if (r < 0)
		return false;
	check_fields(p, len, &l);
	check_round_trip(&l);
	agg_add(a, &l);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agg *a;
	struct syslog_msg m;
	enum syslog_err serr;
	struct agg_snap *s;
	uint64_t lines = 0, sum = 0;
	int r;

	if (a == NULL)
		a = agg_new(4);
	FUZZ_CHECK(a != NULL);
	r = syslog_parse(data, size, &m, &serr);
	FUZZ_CHECK(r == PF_EPROTO || r == (int)size);
	FUZZ_CHECK((r == PF_EPROTO) == (serr != SYSLOG_OK) && serr < SYSLOG_ERR_COUNT);
	if (r > 0) {
		check_syslog(data, size, &m);
		lines += one_line(m.msg.p, m.msg.len, a);
	}
	lines += one_line(data, size, a);
	s = agg_rotate(a, 0);
	FUZZ_CHECK(s != NULL && s->lines == lines);
	for (size_t i = 0; i < s->n_rows; i++)
		sum += s->rows[i].requests;
	FUZZ_CHECK(sum == lines);
	agg_snap_free(s);
	return 0;
}
