/* SPDX-License-Identifier: MIT */
/*
 * ctl/stats/syslog.c: the datagrams HAProxy 2.6 and 3.4 really sent
 * (tests/data/haproxy-logs/, facility local0 and level info as the shipped
 * haproxy.cfg asks), the examples of RFC 3164 section 5.4 and RFC 5424
 * section 6.5, every prefix of every captured datagram (no crash, no read
 * past the end: each one ends at a PROT_NONE page), and broken headers.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "ctl/stats/syslog.h"
#include "tests/unit/check_main.h"
#include "tests/unit/haproxy_logs.h"

static int parse_str(const char *s, struct syslog_msg *m, enum syslog_err *err)
{
	return syslog_parse((const uint8_t *)s, strlen(s), m, err);
}

#define ck_slice(s, str)                                                                           \
	ck_assert_msg(pf_slice_eq_str(s, str), "got \"%.*s\", want \"%s\"", (int)(s).len,          \
	              (const char *)(s).p, str)

START_TEST(test_captured)
{
	const char *name = hlogs_files[_i];
	bool is5424 = strstr(name, "rfc5424") != NULL;
	struct hlogs h;
	int access = 0;

	hlogs_load(name, &h);
	for (int i = 0; i < h.n; i++) {
		struct syslog_msg m;
		enum syslog_err err;

		ck_assert_int_eq(syslog_parse(h.d[i], h.len[i], &m, &err), (int)h.len[i]);
		ck_assert_int_eq(err, SYSLOG_OK);
		ck_assert_int_eq(m.fmt, is5424 ? SYSLOG_FMT_RFC5424 : SYSLOG_FMT_RFC3164);
		ck_assert_int_eq(m.facility, 16); /* local0 */
		ck_slice(m.app, "haproxy");
		ck_assert_uint_gt(m.procid.len, 0);
		ck_assert(strspn((const char *)m.procid.p, "0123456789") >= m.procid.len);
		/* HAProxy sends its host name in RFC 3164, "-" in RFC 5424. */
		ck_assert_uint_eq(m.host.len > 0, !is5424);
		ck_assert(m.time.has_time);
		ck_assert_int_eq(m.time.month, 12);
		ck_assert_int_eq(m.time.year, is5424 ? 2026 : 0);
		ck_assert_int_eq(m.time.has_zone, is5424);
		ck_assert_uint_gt(m.msg.len, 0);
		ck_assert_int_ne(m.msg.p[m.msg.len - 1], '\n');
		/*
		 * Requests (and connection errors) at info (6), HAProxy's "Proxy ...
		 * stopped" notices at warning (4).
		 */
		if (m.msg.len > 10 && memcmp(m.msg.p, "127.0.0.1:", 10) == 0) {
			ck_assert_int_eq(m.severity, 6);
			access += memmem(m.msg.p, m.msg.len, " chain=", 7) != NULL;
		} else {
			ck_assert_int_eq(m.severity, 4);
			ck_assert(m.msg.len > 6 && memcmp(m.msg.p, "Proxy ", 6) == 0);
		}
	}
	/* Every request of the capture's manifest, once (tests/data/haproxy-logs/README.md). */
	{
		struct hlogs_req reqs[HLOGS_REQ_MAX];

		ck_assert_int_eq(access, hlogs_sent(name, reqs));
	}
	hlogs_free(&h);
}
END_TEST

START_TEST(test_rfc3164_examples)
{
	struct syslog_msg m;
	enum syslog_err err;
	const char *ex = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
	                 "/dev/pts/8";

	/* RFC 3164 section 5.4, first example: auth (4), critical (2). */
	ck_assert_int_eq(parse_str(ex, &m, &err), (int)strlen(ex));
	ck_assert_int_eq(m.facility, 4);
	ck_assert_int_eq(m.severity, 2);
	ck_assert_int_eq(m.time.month, 10);
	ck_assert_int_eq(m.time.day, 11);
	ck_assert_int_eq(m.time.hour, 22);
	ck_assert_int_eq(m.time.min, 14);
	ck_assert_int_eq(m.time.sec, 15);
	ck_slice(m.host, "mymachine");
	ck_slice(m.app, "su");
	ck_assert_uint_eq(m.procid.len, 0);
	ck_slice(m.msg, "'su root' failed for lonvick on /dev/pts/8");

	/* Without a host, a padded day, a pid, a trailing "\r\n". */
	ck_assert_int_gt(parse_str("<134>Dec  6 07:54:40 haproxy[29637]: hello\r\n", &m, &err), 0);
	ck_assert_uint_eq(m.host.len, 0);
	ck_assert_int_eq(m.time.day, 6);
	ck_slice(m.app, "haproxy");
	ck_slice(m.procid, "29637");
	ck_slice(m.msg, "hello");
	/* A trailing NUL after the newline (some senders add one) is framing too. */
	ck_assert_int_eq(
	    syslog_parse((const uint8_t *)"<134>Dec  6 07:54:40 h t: m\n", 29, &m, &err), 29);
	ck_slice(m.msg, "m");
	/* An empty message. */
	ck_assert_int_gt(parse_str("<134>Dec 16 07:54:40 host haproxy[1]:", &m, &err), 0);
	ck_assert_uint_eq(m.msg.len, 0);
}
END_TEST

START_TEST(test_rfc5424_examples)
{
	struct syslog_msg m;
	enum syslog_err err;
	const char *ex1 = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	                  "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8";
	const char *ex2 = "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
	                  "%% It's time to make the do-nuts.";
	const char *ex4 = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
	                  "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
	                  "eventID=\"1011\"][examplePriority@32473 class=\"high\"]";

	/* RFC 5424 section 6.5, examples 1, 2 and 4. */
	ck_assert_int_eq(parse_str(ex1, &m, &err), (int)strlen(ex1));
	ck_assert_int_eq(m.facility, 4);
	ck_assert_int_eq(m.severity, 2);
	ck_assert_int_eq(m.time.year, 2003);
	ck_assert_uint_eq(m.time.usec, 3000);
	ck_assert_int_eq(m.time.tz_min, 0);
	ck_slice(m.host, "mymachine.example.com");
	ck_slice(m.app, "su");
	ck_assert_uint_eq(m.procid.len, 0);
	ck_slice(m.msgid, "ID47");
	ck_assert_uint_eq(m.sd.len, 0);
	ck_slice(m.msg, "'su root' failed for lonvick on /dev/pts/8");

	ck_assert_int_eq(parse_str(ex2, &m, &err), (int)strlen(ex2));
	ck_assert_int_eq(m.facility, 20);
	ck_assert_int_eq(m.severity, 5);
	ck_assert_uint_eq(m.time.usec, 3);
	ck_assert_int_eq(m.time.tz_min, -420);
	ck_slice(m.procid, "8710");
	ck_slice(m.msg, "%% It's time to make the do-nuts.");

	ck_assert_int_eq(parse_str(ex4, &m, &err), (int)strlen(ex4));
	ck_slice(m.sd, "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
	               "eventID=\"1011\"][examplePriority@32473 class=\"high\"]");
	ck_assert_uint_eq(m.msg.len, 0);
	/* A ']' escaped inside a value does not close the element. */
	ck_assert_int_gt(parse_str("<1>1 - - - - - [a b=\"x\\]y\"] m", &m, &err), 0);
	ck_slice(m.sd, "[a b=\"x\\]y\"]");
	ck_slice(m.msg, "m");
	ck_assert(!m.time.has_time);
}
END_TEST

struct bad_case {
	const char *in;
	enum syslog_err err;
};

static const struct bad_case bad[] = {
    {"", SYSLOG_ERR_EMPTY},
    {"\n", SYSLOG_ERR_PRI},
    {"garbage", SYSLOG_ERR_PRI},
    {"<>Dec  6 07:54:40 h t: m", SYSLOG_ERR_PRI},
    {"<192>Dec  6 07:54:40 h t: m", SYSLOG_ERR_PRI},
    {"<0134>Dec  6 07:54:40 h t: m", SYSLOG_ERR_PRI},
    {"<1345>Dec  6 07:54:40 h t: m", SYSLOG_ERR_PRI},
    {"<134Dec  6 07:54:40 h t: m", SYSLOG_ERR_PRI},
    {"<-1>Dec  6 07:54:40 h t: m", SYSLOG_ERR_PRI},
    {"<134>Dex  6 07:54:40 h t: m", SYSLOG_ERR_TIMESTAMP},
    {"<134>Dec 06 07:54:40 h t: m", SYSLOG_ERR_TIMESTAMP},
    {"<134>Dec 32 07:54:40 h t: m", SYSLOG_ERR_TIMESTAMP},
    {"<134>Dec  6 24:54:40 h t: m", SYSLOG_ERR_TIMESTAMP},
    {"<134>Dec  6 07:54", SYSLOG_ERR_TIMESTAMP},
    {"<134>Dec  6 07:54:40", SYSLOG_ERR_TIMESTAMP},
    {"<134>Dec  6 07:54:40 ", SYSLOG_ERR_HOST},
    {"<134>Dec  6 07:54:40 host", SYSLOG_ERR_TAG},
    {"<134>Dec  6 07:54:40 host tag", SYSLOG_ERR_TAG},
    {"<134>Dec  6 07:54:40 host tag[12: m", SYSLOG_ERR_PROCID},
    {"<134>Dec  6 07:54:40 host tag[]: m", SYSLOG_ERR_PROCID},
    {"<134>Dec  6 07:54:40 host tag[1]:m", SYSLOG_ERR_TAG},
    {"<134>Dec  6 07:54:40 host [1]: m", SYSLOG_ERR_TAG},
    {"<134>1 2026-12-06T07:54:44.428163 - haproxy 1 - - m", SYSLOG_ERR_TIMESTAMP},
    {"<134>1 2026-12-06T07:54:44.4281631Z - haproxy 1 - - m", SYSLOG_ERR_TIMESTAMP},
    {"<134>1 2026-13-06T07:54:44Z - haproxy 1 - - m", SYSLOG_ERR_TIMESTAMP},
    {"<134>1 2026-12-06 07:54:44Z - haproxy 1 - - m", SYSLOG_ERR_TIMESTAMP},
    {"<134>1 2026-12-06T07:54:44+0100 - haproxy 1 - - m", SYSLOG_ERR_TIMESTAMP},
    {"<134>1 2026-12-06T07:54:44Z  haproxy 1 - - m", SYSLOG_ERR_HOST},
    {"<134>1 - - haproxy 1 - [unclosed m", SYSLOG_ERR_SD},
    {"<134>1 - - haproxy 1 - x m", SYSLOG_ERR_SD},
    {"<134>1 - - haproxy 1 - -m", SYSLOG_ERR_SD},
    {"<134>1 - - haproxy 1 -", SYSLOG_ERR_MSGID},
    {"<134>1 - - a23456789012345678901234567890123456789012345678X 1 - - m", SYSLOG_ERR_TAG},
};

START_TEST(test_broken)
{
	struct syslog_msg m;
	enum syslog_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse_str(bad[i].in, &m, &err) == PF_EPROTO, "accepted \"%s\"",
		              bad[i].in);
		ck_assert_msg(err == bad[i].err, "\"%s\": %s, want %s", bad[i].in,
		              syslog_err_name(err), syslog_err_name(bad[i].err));
	}
}
END_TEST

START_TEST(test_overlong)
{
	size_t n = SYSLOG_MAX_LEN + 1;
	uint8_t *p = malloc(n);
	struct syslog_msg m;
	enum syslog_err err;
	const char *head = "<134>Dec  6 07:54:40 host haproxy[1]: ";

	ck_assert_ptr_nonnull(p);
	memset(p, 'x', n);
	memcpy(p, head, strlen(head));
	ck_assert_int_eq(syslog_parse(p, n, &m, &err), PF_EPROTO);
	ck_assert_int_eq(err, SYSLOG_ERR_TOO_LONG);
	/* One byte less is a (long) message. */
	ck_assert_int_eq(syslog_parse(p, n - 1, &m, &err), (int)(n - 1));
	ck_assert_uint_eq(m.msg.len, n - 1 - strlen(head));
	free(p);
}
END_TEST

/* Every prefix of every captured datagram, ending right before a PROT_NONE page. */
START_TEST(test_prefixes_guard_page)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *map =
	    mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *guard;

	ck_assert(map != MAP_FAILED);
	guard = map + page;
	ck_assert_int_eq(mprotect(guard, page, PROT_NONE), 0);
	for (size_t f = 0; f < HLOGS_FILES; f++) {
		struct hlogs h;

		hlogs_load(hlogs_files[f], &h);
		for (int i = 0; i < h.n; i++) {
			for (size_t cut = 0; cut <= h.len[i] && cut <= page; cut++) {
				struct syslog_msg m;
				enum syslog_err err;
				int r;

				memcpy(guard - cut, h.d[i], cut);
				r = syslog_parse(guard - cut, cut, &m, &err);
				ck_assert(r == PF_EPROTO || r == (int)cut);
				ck_assert((r == PF_EPROTO) == (err != SYSLOG_OK));
				if (r > 0)
					ck_assert(m.msg.p >= guard - cut &&
					          m.msg.p + m.msg.len <= guard);
			}
		}
		hlogs_free(&h);
	}
	munmap(map, 2 * page);
}
END_TEST

static Suite *syslog_suite(void)
{
	Suite *s = suite_create("syslog");
	TCase *tc = tcase_create("captured");

	tcase_add_loop_test(tc, test_captured, 0, (int)HLOGS_FILES);
	tcase_add_test(tc, test_prefixes_guard_page);
	suite_add_tcase(s, tc);
	tc = tcase_create("rfc");
	tcase_add_test(tc, test_rfc3164_examples);
	tcase_add_test(tc, test_rfc5424_examples);
	suite_add_tcase(s, tc);
	tc = tcase_create("broken");
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(syslog_suite());
}
