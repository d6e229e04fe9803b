/* SPDX-License-Identifier: MIT */
/*
 * ctl/stats/logline.c on the access lines HAProxy 2.6 and 3.4 really wrote
 * (tests/data/haproxy-logs/), each field held to what the capture sent and
 * what its client saw (the .sent manifests), never to the parser; the method
 * label looked up in the shipped haproxy/methods.tsv; each line written back
 * by logline_format() byte for byte; HAProxy's own notices refused as not
 * access lines; every prefix, byte-flips of every field, garbage and an
 * overlong line refused with the right reason. Run from the repository root.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "common/compiler.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/syslog.h"
#include "tests/unit/check_main.h"
#include "tests/unit/haproxy_logs.h"

#define ck_slice(s, str)                                                                           \
	ck_assert_msg(pf_slice_eq_str(s, str), "got \"%.*s\", want \"%s\"", (int)(s).len,          \
	              (const char *)(s).p, str)

static int parse_str(const char *s, struct logline *l, enum logline_err *err)
{
	return logline_parse((const uint8_t *)s, strlen(s), lookup, NULL, l, err);
}

/* A line of hap26-rfc3164, as captured. */
static const char *line0 =
    "127.0.0.1:37818 [06/Dec/2026:07:54:40.227] rpc~ be_polkadot/node1 4/0/1/3/6 200 229 ---- "
    "1/1/0/0/0 0/0 chain=polkadot method=system_health class=read batch=1 calls=1 spoe=0/2 "
    "\"POST /?req=single HTTP/1.1\"";

static const struct hlogs_req *find_req(const struct hlogs_req *r, int n, const struct logline *l)
{
	for (int i = 0; i < n; i++) {
		char q[64];

		snprintf(q, sizeof(q), "?req=%.31s", r[i].tag);
		if (l->uri.len >= strlen(q) &&
		    memcmp(l->uri.p + l->uri.len - strlen(q), q, strlen(q)) == 0)
			return &r[i];
	}
	return NULL;
}

static void check_against(const struct logline *l, const struct hlogs_req *q)
{
	bool known_chain = strcmp(q->chain, "polkadot") == 0 || strcmp(q->chain, "kusama") == 0;
	bool served = !pf_slice_eq_str(l->server, "<NOSRV>");

	ck_slice(l->frontend, "rpc");
	ck_assert(l->tls);
	ck_slice(l->chain, known_chain ? q->chain : "");
	ck_slice(l->method, strcmp(q->method, "-") == 0 ? "" : q->method);
	if (strcmp(q->method, "-") == 0)
		ck_assert_int_eq(l->method_id, LOGLINE_METHOD_NONE);
	else if (strcmp(q->method, "batch") == 0)
		ck_assert_int_eq(l->method_id, LOGLINE_METHOD_BATCH);
	else if (lookup(NULL, (const uint8_t *)q->method, strlen(q->method)) < 0)
		ck_assert_int_eq(l->method_id, LOGLINE_METHOD_OTHER);
	else
		ck_assert_msg(l->method_id >= 0 && strcmp(names[l->method_id], q->method) == 0,
		              "%s: id %d", q->method, l->method_id);
	ck_assert_str_eq(logline_class_name(l->cls), q->cls);
	ck_assert_int_eq(l->batch,
	                 strcmp(q->batch, "-") == 0 ? -1 : (int)strtol(q->batch, NULL, 10));
	ck_assert_int_eq(l->status, q->status);
	ck_slice(l->http_method, q->verb);
	ck_slice(l->http_version, q->proto);
	ck_assert(!l->truncated);
	/* An agent that answered has error 0 and a time; a GET never reaches it. */
	ck_assert_int_eq(l->spoe_err, 0);
	ck_assert_int_eq(l->spoe_ms < 0, strcmp(q->verb, "GET") == 0);
	if (served) {
		/*
		 * A node answered: headers and body went to the client. A WebSocket
		 * tunnel (101) may end with its client closing in the data phase (CD).
		 */
		if (l->status == 101)
			ck_assert_msg(strcmp(l->term, "----") == 0 || strcmp(l->term, "CD--") == 0,
			              "%s", l->term);
		else
			ck_assert_str_eq(l->term, "----");
		ck_assert_uint_gt(l->bytes, q->body_len);
		ck_assert(l->tw >= 0 && l->tc >= 0 && l->tr >= 0 && l->ta >= l->tr);
	} else {
		/* Answered by HAProxy itself (L), during the request (R): no server timers. */
		ck_assert_str_eq(l->term, "LR--");
		ck_assert(l->tw == -1 && l->tc == -1 && l->tr == -1 && l->ta >= 0);
	}
}

START_TEST(test_captured)
{
	const char *name = hlogs_files[_i];
	struct hlogs_req reqs[HLOGS_REQ_MAX];
	int n_reqs = hlogs_sent(name, reqs), seen = 0, notices = 0;
	struct hlogs h;

	load_methods();
	hlogs_load(name, &h);
	for (int i = 0; i < h.n; i++) {
		struct syslog_msg m;
		enum syslog_err serr;
		struct logline l;
		enum logline_err err;
		struct pf_buf b = {0};
		const struct hlogs_req *q;
		int r;

		ck_assert_int_gt(syslog_parse(h.d[i], h.len[i], &m, &serr), 0);
		r = logline_parse(m.msg.p, m.msg.len, lookup, NULL, &l, &err);
		if (memmem(m.msg.p, m.msg.len, " chain=", 7) == NULL) {
			ck_assert_int_eq(r, PF_EPROTO);
			ck_assert_int_eq(err, LOGLINE_ERR_NOT_ACCESS);
			notices++;
			continue;
		}
		ck_assert_msg(r == (int)m.msg.len, "%s: %.*s", logline_err_name(err),
		              (int)m.msg.len, (const char *)m.msg.p);
		q = find_req(reqs, n_reqs, &l);
		ck_assert_ptr_nonnull(q);
		check_against(&l, q);
		seen++;
		logline_format(&l, &b);
		ck_assert(!b.failed);
		ck_assert_msg(b.len == m.msg.len && memcmp(b.p, m.msg.p, b.len) == 0,
		              "wrote back %s", b.p);
		pf_buf_free(&b);
	}
	ck_assert_int_eq(seen, n_reqs);
	ck_assert_int_gt(notices, 0);
	hlogs_free(&h);
}
END_TEST

START_TEST(test_fields)
{
	struct logline l;
	enum logline_err err;

	load_methods();
	ck_assert_int_eq(parse_str(line0, &l, &err), (int)strlen(line0));
	ck_slice(l.client, "127.0.0.1:37818");
	ck_assert_int_eq(l.accept.year, 2026);
	ck_assert_int_eq(l.accept.month, 12);
	ck_assert_int_eq(l.accept.day, 6);
	ck_assert_int_eq(l.accept.msec, 227);
	/* date -u -d 2026-12-06T07:54:40Z +%s */
	ck_assert_int_eq(l.accept.epoch_ms, 1796543680227LL);
	ck_slice(l.backend, "be_polkadot");
	ck_slice(l.server, "node1");
	ck_assert_int_eq(l.tq, 4);
	ck_assert_int_eq(l.tw, 0);
	ck_assert_int_eq(l.tc, 1);
	ck_assert_int_eq(l.tr, 3);
	ck_assert_int_eq(l.ta, 6);
	ck_assert_uint_eq(l.bytes, 229);
	ck_assert_uint_eq(l.ac, 1);
	ck_assert_uint_eq(l.rc, 0);
	ck_assert_int_eq(l.calls, 1);
	ck_assert_int_eq(l.spoe_ms, 2);
	ck_slice(l.uri, "/?req=single");
	ck_assert_int_eq(l.cls, LOGLINE_CLASS_READ);

	/* option logasap's '+', a retry's '+', an IPv6 client, a class from a newer agent. */
	ck_assert_int_gt(
	    parse_str("[::1]:5 [29/Feb/2028:23:59:60.999] rpc be/s 1/2/3/4/+5 502 +0 SH-- "
	              "1/2/3/4/+5 6/7 chain=kusama method=batch class=weird batch=1023 calls=9 "
	              "spoe=-3/- \"POST /a%20b HTTP/2.0\"",
	              &l, &err),
	    0);
	ck_assert(!l.tls);
	ck_assert_int_eq(l.ta, 5);
	ck_assert_uint_eq(l.rc, 5);
	ck_assert_int_eq(l.cls, LOGLINE_CLASS_OTHER);
	ck_slice(l.cls_text, "weird");
	ck_assert_int_eq(l.method_id, LOGLINE_METHOD_BATCH);
	ck_assert_int_eq(l.spoe_err, -3);
	ck_assert_int_eq(l.spoe_ms, -1);
	ck_assert_int_eq(l.batch, 1023);
	ck_assert_uint_eq(l.srv_queue, 6);

	/* Cut by HAProxy's line length inside the request: kept, marked. */
	ck_assert_int_gt(parse_str("1.2.3.4:5 [06/Dec/2026:07:54:40.227] rpc~ b/s 0/0/0/0/0 200 1 "
	                           "---- 0/0/0/0/0 0/0 chain=- method=- class=- batch=- calls=- "
	                           "spoe=0/- \"POST /very-long",
	                           &l, &err),
	                 0);
	ck_assert(l.truncated);
	ck_slice(l.uri, "/very-long");
	ck_assert_uint_eq(l.http_version.len, 0);
	/* Without a table every name is "other". */
	ck_assert_int_gt(logline_parse((const uint8_t *)line0, strlen(line0), NULL, NULL, &l, &err),
	                 0);
	ck_assert_int_eq(l.method_id, LOGLINE_METHOD_OTHER);
}
END_TEST

/* <line0> with <from> replaced by <to> must be refused for <why>. */
struct flip {
	const char *from, *to;
	enum logline_err why;
};

static const struct flip flips[] = {
    {"127.0.0.1:37818 ", "", LOGLINE_ERR_NOT_ACCESS},
    {"[06/Dec", "06/Dec", LOGLINE_ERR_NOT_ACCESS},
    {"06/Dec", "31/Nov", LOGLINE_ERR_DATE},
    {"06/Dec", "06/Dek", LOGLINE_ERR_DATE},
    {".227]", ".27]", LOGLINE_ERR_DATE},
    {"07:54:40", "24:54:40", LOGLINE_ERR_DATE},
    {"rpc~ ", "rpc~  ", LOGLINE_ERR_NAMES},
    {"be_polkadot/node1", "be_polkadot node1", LOGLINE_ERR_NAMES},
    {"be_polkadot/node1", "/node1", LOGLINE_ERR_NAMES},
    {"4/0/1/3/6", "4/0/1/3", LOGLINE_ERR_TIMERS},
    {"4/0/1/3/6", "4/-2/1/3/6", LOGLINE_ERR_TIMERS},
    {"4/0/1/3/6", "4/0/1/3/99999999999", LOGLINE_ERR_TIMERS},
    {"4/0/1/3/6", "+4/0/1/3/6", LOGLINE_ERR_TIMERS},
    {" 200 ", " 20x ", LOGLINE_ERR_STATUS},
    {" 200 ", " 99 ", LOGLINE_ERR_STATUS},
    {" 200 ", " 1000 ", LOGLINE_ERR_STATUS},
    {" 229 ", " -229 ", LOGLINE_ERR_BYTES},
    {" 229 ", " 99999999999999999999 ", LOGLINE_ERR_BYTES},
    {"----", "---", LOGLINE_ERR_TERM},
    {"----", "--1-", LOGLINE_ERR_TERM},
    {"1/1/0/0/0", "1/1/0/0", LOGLINE_ERR_CONNS},
    {"1/1/0/0/0", "1/1/0/0/-1", LOGLINE_ERR_CONNS},
    {" 0/0 ", " 0 ", LOGLINE_ERR_QUEUES},
    {"chain=polkadot", "chain=Polkadot", LOGLINE_ERR_FIELD},
    {"chain=polkadot", "chain=", LOGLINE_ERR_FIELD},
    {"chain=polkadot", "chian=polkadot", LOGLINE_ERR_FIELD},
    {"method=system_health", "method=sys\\tem", LOGLINE_ERR_FIELD},
    {"method=system_health ", "", LOGLINE_ERR_FIELD},
    {"class=read", "class=reading_something_long", LOGLINE_ERR_FIELD},
    {"batch=1", "batch=x", LOGLINE_ERR_FIELD},
    {"batch=1", "batch=-1", LOGLINE_ERR_FIELD},
    {"calls=1", "calls=", LOGLINE_ERR_FIELD},
    {"spoe=0/2", "spoe=0", LOGLINE_ERR_FIELD},
    {"spoe=0/2", "spoe=0/x", LOGLINE_ERR_FIELD},
    {" \"POST", "\"POST", LOGLINE_ERR_FIELD},
    {"\"POST", "POST", LOGLINE_ERR_REQUEST},
    {"\"POST /?req=single HTTP/1.1\"", "\"\"", LOGLINE_ERR_REQUEST},
    {"\"POST /?req=single HTTP/1.1\"", "\"POST\"", LOGLINE_ERR_REQUEST},
    {"\"POST /?req=single HTTP/1.1\"", "\"POST HTTP/1.1\"", LOGLINE_ERR_REQUEST},
    {"\"POST /?req=single HTTP/1.1\"", "\" POST / HTTP/1.1\"", LOGLINE_ERR_REQUEST},
    {"\"POST /?req=single HTTP/1.1\"", "\"POST /\"x HTTP/1.1\"", LOGLINE_ERR_REQUEST},
    {"\"POST /?req=single HTTP/1.1\"", "\"POST / \"", LOGLINE_ERR_REQUEST},
};

START_TEST(test_broken)
{
	char buf[1024];
	struct logline l;
	enum logline_err err;

	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		const char *at = strstr(line0, flips[i].from);

		ck_assert_ptr_nonnull(at);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - line0), line0, flips[i].to,
		         at + strlen(flips[i].from));
		ck_assert_msg(parse_str(buf, &l, &err) == PF_EPROTO, "accepted %s", buf);
		ck_assert_msg(err == flips[i].why, "%s: %s, want %s", buf, logline_err_name(err),
		              logline_err_name(flips[i].why));
	}
	ck_assert_int_eq(parse_str("", &l, &err), PF_EPROTO);
	ck_assert_int_eq(err, LOGLINE_ERR_NOT_ACCESS);
	ck_assert_int_eq(parse_str("Proxy rpc stopped (cumulated conns: FE: 10, BE: 0).", &l, &err),
	                 PF_EPROTO);
	ck_assert_int_eq(err, LOGLINE_ERR_NOT_ACCESS);
	ck_assert_int_eq(parse_str("\x01\x02\xff garbage", &l, &err), PF_EPROTO);
	/* HAProxy's connection error line (3.4 sent one while the harness probed the port). */
	ck_assert_int_eq(parse_str("127.0.0.1:50298 [06/Dec/2026:07:59:06.012] rpc/2: SSL "
	                           "handshake failure (error:0A00010B:SSL routines::wrong version "
	                           "number)",
	                           &l, &err),
	                 PF_EPROTO);
	ck_assert_int_eq(err, LOGLINE_ERR_NOT_ACCESS);
}
END_TEST

/* Every prefix of a real line: refused before the request field, marked cut inside it. */
START_TEST(test_prefixes)
{
	size_t len = strlen(line0);
	const char *req = strchr(line0, '"');

	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *p = malloc(cut + 1); /* exactly <cut> bytes readable for ASan */
		struct logline l;
		enum logline_err err;
		int r;

		ck_assert_ptr_nonnull(p);
		memcpy(p, line0, cut);
		r = logline_parse(p, cut, lookup, NULL, &l, &err);
		if (cut <= (size_t)(req - line0) + 1) {
			ck_assert_msg(r == PF_EPROTO, "accepted %zu bytes", cut);
		} else {
			ck_assert_int_eq(r, (int)cut);
			ck_assert(l.truncated);
		}
		free(p);
	}
}
END_TEST

START_TEST(test_overlong)
{
	size_t n = LOGLINE_MAX_LEN + 1, head = strlen(line0) - 1;
	uint8_t *p = malloc(n);
	struct logline l;
	enum logline_err err;

	ck_assert_ptr_nonnull(p);
	/* The request's URI padded out to the limit, closed by its quote. */
	memcpy(p, line0, head);
	memset(p + head, 'a', n - head);
	p[n - 1] = '"';
	ck_assert_int_eq(logline_parse(p, n, lookup, NULL, &l, &err), PF_EPROTO);
	ck_assert_int_eq(err, LOGLINE_ERR_TOO_LONG);
	p[n - 2] = '"';
	ck_assert_int_eq(logline_parse(p, n - 1, lookup, NULL, &l, &err), (int)(n - 1));
	free(p);
}
END_TEST

static Suite *logline_suite(void)
{
	Suite *s = suite_create("logline");
	TCase *tc = tcase_create("captured");

	tcase_add_loop_test(tc, test_captured, 0, (int)HLOGS_FILES);
	tcase_add_test(tc, test_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("broken");
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(logline_suite());
}
