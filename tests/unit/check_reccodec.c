/* SPDX-License-Identifier: MIT */
/*
 * ctl/db/reccodec.c: every kind of record survives a spool line with its
 * fields at their limits; the line for a known record is the text written
 * here by hand; decoding refuses truncated lines, unknown kinds and keys,
 * repeated and missing keys, oversize fields, bad numbers, times out of
 * range, NULs, bad UTF-8 and control characters in identifiers, and never
 * reads past its input (every prefix ends at a PROT_NONE page); each kind's
 * SQL parameters are the texts written here by hand.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/db/reccodec.h"
#include "tests/unit/check_main.h"

/* 2023-11-14T22:13:20.123Z (date -u -d @1700000000.123). */
#define T0 INT64_C(1700000000123)

static void fill(char *dst, size_t size, char c)
{
	memset(dst, c, size - 1);
	dst[size - 1] = '\0';
}

/* A record of <kind> with every text at its longest and every number at its largest. */
static struct db_record at_limits(enum rec_kind kind)
{
	struct db_record r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	fill(r.id, sizeof(r.id), 'i');
	fill(r.region, sizeof(r.region), 'r');
	r.at_ms =
	    kind == REC_SAMPLE || kind == REC_USAGE ? REC_AT_END_MS - 60000 : REC_AT_END_MS - 1;
	switch (kind) {
	case REC_NODE_CHANGE:
		fill(r.u.node.chain, sizeof(r.u.node.chain), 'c');
		fill(r.u.node.node, sizeof(r.u.node.node), 'n');
		fill(r.u.node.from, sizeof(r.u.node.from), 'f');
		fill(r.u.node.to, sizeof(r.u.node.to), 't');
		fill(r.u.node.reason, sizeof(r.u.node.reason), '\n'); /* escaped: 6 bytes each */
		r.u.node.has_best = r.u.node.has_lag = r.u.node.has_peers = true;
		r.u.node.best = INT64_MAX, r.u.node.lag = 0, r.u.node.peers = INT32_MAX;
		r.u.node.finalized = 77; /* not set: must come back 0 */
		break;
	case REC_CHAIN_CHANGE:
		fill(r.u.chain.session, sizeof(r.u.chain.session), 's');
		fill(r.u.chain.chain, sizeof(r.u.chain.chain), 'c');
		fill(r.u.chain.from, sizeof(r.u.chain.from), 'f');
		fill(r.u.chain.to, sizeof(r.u.chain.to), 't');
		fill(r.u.chain.reason, sizeof(r.u.chain.reason), '"');
		r.u.chain.total = INT32_MAX, r.u.chain.healthy = 0, r.u.chain.in_rotation = 1;
		break;
	case REC_INCIDENT_OPEN:
		fill(r.u.open.chain, sizeof(r.u.open.chain), 'c');
		fill(r.u.open.kind, sizeof(r.u.open.kind), 'k');
		fill(r.u.open.severity, sizeof(r.u.open.severity), 's');
		fill(r.u.open.summary, sizeof(r.u.open.summary), '\x01');
		fill(r.u.open.nodes, sizeof(r.u.open.nodes), ',');
		break;
	case REC_INCIDENT_CLOSE:
		fill(r.u.close.summary, sizeof(r.u.close.summary), '\\');
		break;
	case REC_OP_CHANGE:
		fill(r.u.op.kind, sizeof(r.u.op.kind), 'k');
		fill(r.u.op.who, sizeof(r.u.op.who), 'w');
		fill(r.u.op.reason, sizeof(r.u.op.reason), '\t');
		/* 170 three-byte characters (U+20AC) and one byte: 511 bytes of UTF-8. */
		for (int i = 0; i < 170; i++)
			memcpy(r.u.op.summary + 3 * i, "\xe2\x82\xac", 3);
		r.u.op.summary[510] = 'x';
		break;
	case REC_SAMPLE:
		fill(r.u.sample.chain, sizeof(r.u.sample.chain), 'c');
		r.u.sample.total = INT32_MAX, r.u.sample.healthy = INT32_MAX;
		r.u.sample.in_rotation = INT32_MAX;
		r.u.sample.has_ref_height = true, r.u.sample.ref_height = INT64_MAX;
		break;
	case REC_SESSION_BEAT:
		fill(r.u.beat.controller, sizeof(r.u.beat.controller), 'h');
		r.u.beat.started_ms = REC_AT_MIN_MS;
		break;
	case REC_USAGE:
		fill(r.u.usage.controller, sizeof(r.u.usage.controller), '"');
		fill(r.u.usage.chain, sizeof(r.u.usage.chain), 'c');
		fill(r.u.usage.method, sizeof(r.u.usage.method), '\\');
		fill(r.u.usage.cls, sizeof(r.u.usage.cls), 'k');
		memcpy(r.u.usage.status, "5xx", 4);
		r.u.usage.requests = r.u.usage.errors = r.u.usage.calls = INT64_MAX;
		r.u.usage.bytes = r.u.usage.node_ms = r.u.usage.ta_sum_ms = INT64_MAX;
		/* Every bucket, the overflow at INT32_MAX, counts adding up to INT64_MAX. */
		r.u.usage.ta.n = REC_HIST_MAX;
		for (uint32_t i = 0; i < REC_HIST_MAX; i++) {
			r.u.usage.ta.le_ms[i] = i + 1 < REC_HIST_MAX ? 1000000000 + i : INT32_MAX;
			r.u.usage.ta.count[i] =
			    i + 1 < REC_HIST_MAX ? 1 : INT64_MAX - (REC_HIST_MAX - 1);
		}
		r.u.usage.ta_count = INT64_MAX;
		break;
	case REC_KIND_COUNT:
		break;
	}
	return r;
}

START_TEST(test_round_trip_limits)
{
	static char line[REC_LINE_MAX];
	struct db_record r = at_limits((enum rec_kind)_i), back;
	char err[256] = "";
	int n;

	n = rec_line_encode(&r, line, sizeof(line), err, sizeof(err));
	ck_assert_msg(n > 0, "%s: %s", rec_kind_name(r.kind), err);
	ck_assert_int_eq(line[n - 1], '\n');
	ck_assert_ptr_null(memchr(line, '\n', (size_t)n - 1));
	ck_assert_int_eq(rec_line_decode((const uint8_t *)line, (size_t)n, &back, err, sizeof(err)),
	                 n);
	if (r.kind == REC_NODE_CHANGE)
		r.u.node.finalized = 0;
	ck_assert_msg(memcmp(&r, &back, sizeof(r)) == 0, "%s differs", rec_kind_name(r.kind));
	/* One byte more in the id: refused both ways. */
	r.id[sizeof(r.id) - 1] = 'i';
	ck_assert_int_eq(rec_line_encode(&r, line, sizeof(line), err, sizeof(err)), -1);
	ck_assert_str_eq(err, "id: longer than 79 bytes");
}
END_TEST

START_TEST(test_line_literal)
{
	struct db_record r = {.kind = REC_OP_CHANGE, .id = "s1-7", .region = "eu1", .at_ms = T0};
	char line[1024], err[128];
	int n;

	memcpy(r.u.op.kind, "note", 5);
	memcpy(r.u.op.who, "ops@h", 6);
	memcpy(r.u.op.summary, "deploy \"v2\"\n", 13);
	n = rec_line_encode(&r, line, sizeof(line), err, sizeof(err));
	ck_assert_int_gt(n, 0);
	line[n] = '\0';
	ck_assert_str_eq(line,
	                 "{\"kind\":\"op_change\",\"id\":\"s1-7\",\"region\":\"eu1\",\"at\":"
	                 "\"1700000000123\",\"op_kind\":\"note\",\"who\":\"ops@h\",\"reason\":"
	                 "\"\",\"summary\":\"deploy \\\"v2\\\"\\n\"}\n");
	/* Too small a buffer is an error, not a cut line. */
	ck_assert_int_eq(rec_line_encode(&r, line, (size_t)n - 1, err, sizeof(err)), -1);
}
END_TEST

static const char good[] = "{\"kind\":\"sample\",\"id\":\"a-1\",\"region\":\"eu1\",\"at\":"
                           "\"1700000040000\",\"chain\":\"polkadot\",\"total\":\"3\",\"healthy\":"
                           "\"2\",\"in_rotation\":\"2\"}\n";

START_TEST(test_decode_good_and_truncated)
{
	struct db_record r;
	char err[256];
	size_t len = strlen(good);

	ck_assert_int_eq(rec_line_decode((const uint8_t *)good, len, &r, err, sizeof(err)),
	                 (int)len);
	ck_assert_int_eq(r.kind, REC_SAMPLE);
	ck_assert_str_eq(r.id, "a-1");
	ck_assert(r.at_ms == INT64_C(1700000040000));
	ck_assert_uint_eq(r.u.sample.total, 3);
	ck_assert(!r.u.sample.has_ref_height);
	/* Every cut without its newline waits; with a newline there (before the last), malformed.
	 */
	for (size_t cut = 0; cut < len; cut++) {
		char buf[sizeof(good)];

		ck_assert_int_eq(rec_line_decode((const uint8_t *)good, cut, &r, err, sizeof(err)),
		                 PF_AGAIN);
		memcpy(buf, good, cut);
		buf[cut] = '\n';
		ck_assert_msg(
		    rec_line_decode((const uint8_t *)buf, cut + 1, &r, err, sizeof(err)) ==
		        (cut + 1 == len ? (int)len : PF_EPROTO),
		    "cut %zu", cut);
	}
	/* Two lines: the first only. */
	{
		char two[2 * sizeof(good)];

		(void)snprintf(two, sizeof(two), "%s%s", good, good);
		ck_assert_int_eq(
		    rec_line_decode((const uint8_t *)two, strlen(two), &r, err, sizeof(err)),
		    (int)len);
	}
}
END_TEST

/* <from> replaced by <to> in the good line: refused, with <why> in the reason. */
static const struct {
	const char *from, *to, *why;
} bad[] = {
    {"\"sample\"", "\"samples\"", "kind: missing or unknown"},
    {"\"kind\":\"sample\",", "", "kind: missing or unknown"},
    {"\"total\"", "\"totals\"", "totals: not a key of sample"},
    {"\"healthy\":\"2\",", "", "healthy: missing"},
    {"\"total\":\"3\"", "\"total\":\"3\",\"total\":\"3\"", "a key appears twice"},
    {"\"kind\":\"sample\"", "\"kind\":\"sample\",\"kind\":\"sample\"", "a key appears twice"},
    {"\"total\":\"3\"", "\"total\":3", "total: not a string"},
    {"\"total\":\"3\"", "\"total\":\"03\"", "total: not a decimal integer"},
    {"\"total\":\"3\"", "\"total\":\"+3\"", "total: not a decimal integer"},
    {"\"total\":\"3\"", "\"total\":\"-3\"", "total: not a decimal integer"},
    {"\"total\":\"3\"", "\"total\":\"3e0\"", "total: not a decimal integer"},
    {"\"total\":\"3\"", "\"total\":\" 3\"", "total: not a decimal integer"},
    {"\"total\":\"3\"", "\"total\":\"\"", "total: not a decimal integer"},
    {"\"total\":\"3\"", "\"total\":\"4294967296\"", "total: out of range"},
    {"\"total\":\"3\"", "\"total\":\"2147483648\"", "total: 2147483648 is over 2147483647"},
    {"\"in_rotation\":\"2\"", "\"in_rotation\":\"2\",\"ref_height\":\"9223372036854775808\"",
     "ref_height: 9223372036854775808 is over 9223372036854775807"},
    {"\"in_rotation\":\"2\"", "\"in_rotation\":\"2\",\"ref_height\":\"18446744073709551616\"",
     "ref_height: out of range"},
    {"\"1700000040000\"", "\"946684740000\"", "at: 946684740000 ms is outside 2000-2099"},
    {"\"1700000040000\"", "\"4102444800000\"", "at: 4102444800000 ms is outside 2000-2099"},
    {"\"1700000040000\"", "\"1700000040001\"", "at: a sample's minute must be"},
    {"\"a-1\"", "\"\"", "id: empty"},
    {"\"a-1\"", "\"a\\u0000b\"", "holds \\u0000"},
    {"\"a-1\"", "\"a\\nb\"", "id: holds a control character"},
    {"\"a-1\"", "\"a\\u007fb\"", "id: holds a control character"},
    {"\"a-1\"", "\"a\xc3\"", "id: not UTF-8"},
    {"\"a-1\"", "\"\xc0\xaf\"", "id: not UTF-8"},         /* overlong '/' */
    {"\"a-1\"", "\"\xe0\x80\xaf\"", "id: not UTF-8"},     /* overlong '/', 3 bytes */
    {"\"a-1\"", "\"\xed\xa0\x80\"", "id: not UTF-8"},     /* a surrogate */
    {"\"a-1\"", "\"\xf4\x90\x80\x80\"", "id: not UTF-8"}, /* above U+10FFFF */
    {"\"polkadot\"", "\"polkadotpolkadotpolkadotpolkadotp\"", "chain: longer than 32 bytes"},
    {"\"in_rotation\":\"2\"}", "\"in_rotation\":\"2\"} x", "bytes after the object"},
    {"\"in_rotation\":\"2\"}", "\"in_rotation\":\"2\"", "not JSON"},
    {"{\"kind\"", "[{\"kind\"", "not JSON"},
};

static void replace(char *out, size_t outlen, const char *from, const char *to)
{
	const char *at = strstr(good, from);

	ck_assert_ptr_nonnull(at);
	(void)snprintf(out, outlen, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
}

START_TEST(test_decode_refuses)
{
	struct db_record r;
	char line[512], err[256];

	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		replace(line, sizeof(line), bad[i].from, bad[i].to);
		ck_assert_msg(rec_line_decode((const uint8_t *)line, strlen(line), &r, err,
		                              sizeof(err)) == PF_EPROTO,
		              "case %zu accepted: %s", i, line);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "case %zu: %s, wanted %s", i, err,
		              bad[i].why);
	}
	/* A NUL byte inside the line, and a line longer than REC_LINE_MAX without a newline. */
	memcpy(line, good, sizeof(good));
	line[10] = '\0';
	ck_assert_int_eq(rec_line_decode((const uint8_t *)line, strlen(good), &r, err, sizeof(err)),
	                 PF_EPROTO);
	{
		static uint8_t big[REC_LINE_MAX + 10];

		memset(big, ' ', sizeof(big));
		ck_assert_int_eq(rec_line_decode(big, REC_LINE_MAX - 1, &r, err, sizeof(err)),
		                 PF_AGAIN);
		ck_assert_int_eq(rec_line_decode(big, sizeof(big), &r, err, sizeof(err)),
		                 PF_EPROTO);
	}
}
END_TEST

/* Every prefix of a line ending exactly at a PROT_NONE page: no read past it. */
START_TEST(test_guard_page)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = strlen(good);
	uint8_t *map =
	    mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *guard = map + page;
	struct db_record r;
	char err[128];

	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(guard, page, PROT_NONE), 0);
	for (size_t cut = 0; cut <= len; cut++) {
		int want = cut == len ? (int)len : PF_AGAIN;

		memcpy(guard - cut, good, cut);
		ck_assert_int_eq(rec_line_decode(guard - cut, cut, &r, err, sizeof(err)), want);
	}
	ck_assert_int_eq(munmap(map, 2 * page), 0);
}
END_TEST

static void expect_params(const struct rec_sql *s, const char *const want[], int n)
{
	ck_assert_int_eq(s->nparams, n);
	for (int i = 0; i < n; i++) {
		if (want[i] == NULL)
			ck_assert_msg(s->params[i] == NULL, "param %d: %s, wanted NULL", i + 1,
			              s->params[i]);
		else
			ck_assert_msg(s->params[i] != NULL && strcmp(s->params[i], want[i]) == 0,
			              "param %d: %s, wanted %s", i + 1,
			              s->params[i] ? s->params[i] : "NULL", want[i]);
	}
}

START_TEST(test_sql_params)
{
	struct db_record r = {.id = "s-1", .region = "eu1", .at_ms = T0};
	struct rec_sql s;

	r.kind = REC_NODE_CHANGE;
	memcpy(r.u.node.chain, "kusama", 7), memcpy(r.u.node.node, "k1", 3);
	memcpy(r.u.node.from, "ready", 6), memcpy(r.u.node.to, "drain", 6);
	memcpy(r.u.node.reason, "lag 12", 7);
	r.u.node.has_best = r.u.node.has_peers = true;
	r.u.node.best = UINT64_C(30000000123), r.u.node.peers = 0, r.u.node.lag = 5;
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, "INSERT INTO node_state_changes"));
	ck_assert_ptr_nonnull(strstr(s.sql, "ON CONFLICT DO NOTHING"));
	expect_params(&s,
	              (const char *const[]){"s-1", "1700000000123", "eu1", "kusama", "k1", "ready",
	                                    "drain", "lag 12", "30000000123", NULL, NULL, "0"},
	              12);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_CHAIN_CHANGE;
	memcpy(r.u.chain.session, "sess", 5), memcpy(r.u.chain.chain, "polkadot", 9);
	memcpy(r.u.chain.from, "nodata", 7), memcpy(r.u.chain.to, "up", 3);
	r.u.chain.total = 3, r.u.chain.healthy = 2, r.u.chain.in_rotation = 1;
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, "INSERT INTO chain_state_changes"));
	expect_params(&s,
	              (const char *const[]){"s-1", "sess", "1700000000123", "eu1", "polkadot",
	                                    "nodata", "up", "", "3", "2", "1"},
	              11);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_INCIDENT_OPEN;
	memcpy(r.u.open.kind, "node_out", 9), memcpy(r.u.open.severity, "minor", 6);
	memcpy(r.u.open.nodes, "a,b", 4);
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, "string_to_array($8, ',')"));
	expect_params(&s,
	              (const char *const[]){"s-1", "eu1", "", "node_out", "minor", "1700000000123",
	                                    "", "a,b"},
	              8);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_INCIDENT_CLOSE;
	rec_sql_of(&r, &s);
	ck_assert_str_eq(s.sql, "UPDATE incidents SET ended_at = (timestamptz 'epoch' + $2::bigint "
	                        "* interval '1 millisecond') WHERE id = $1 AND ended_at IS NULL");
	expect_params(&s, (const char *const[]){"s-1", "1700000000123"}, 2);
	memcpy(r.u.close.summary, "back", 5);
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, ", summary = $3 WHERE id = $1 AND ended_at IS NULL"));
	expect_params(&s, (const char *const[]){"s-1", "1700000000123", "back"}, 3);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_OP_CHANGE;
	memcpy(r.u.op.kind, "drain", 6), memcpy(r.u.op.who, "me", 3);
	memcpy(r.u.op.reason, "why", 4), memcpy(r.u.op.summary, "what", 5);
	rec_sql_of(&r, &s);
	expect_params(
	    &s, (const char *const[]){"s-1", "1700000000123", "eu1", "drain", "me", "why", "what"},
	    7);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_SAMPLE;
	r.at_ms = INT64_C(1700000040000);
	memcpy(r.u.sample.chain, "polkadot", 9);
	r.u.sample.total = 4, r.u.sample.healthy = 3, r.u.sample.in_rotation = 2;
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, "INSERT INTO minute_samples"));
	ck_assert_ptr_nonnull(strstr(s.sql, ") ON CONFLICT DO NOTHING"));
	expect_params(
	    &s,
	    (const char *const[]){"s-1", "eu1", "polkadot", "1700000040000", "4", "3", "2", NULL},
	    8);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_SESSION_BEAT;
	r.at_ms = T0;
	memcpy(r.u.beat.controller, "h/eu1/9000", 11);
	r.u.beat.started_ms = INT64_C(1699999999000);
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, "ON CONFLICT (id) DO UPDATE SET last_seen = "
	                                    "GREATEST(observer_sessions.last_seen, "
	                                    "EXCLUDED.last_seen)"));
	expect_params(
	    &s, (const char *const[]){"s-1", "eu1", "h/eu1/9000", "1699999999000", "1700000000123"},
	    5);

	memset(&r.u, 0, sizeof(r.u));
	r.kind = REC_USAGE;
	r.at_ms = INT64_C(1700000040000);
	memcpy(r.u.usage.controller, "h/eu1/9000", 11), memcpy(r.u.usage.chain, "polkadot", 9);
	memcpy(r.u.usage.method, "system_health", 14), memcpy(r.u.usage.cls, "read", 5);
	memcpy(r.u.usage.status, "2xx", 4);
	r.u.usage.requests = 3, r.u.usage.errors = 0, r.u.usage.calls = 3, r.u.usage.bytes = 700;
	r.u.usage.node_ms = 12, r.u.usage.ta_count = 3, r.u.usage.ta_sum_ms = 15;
	r.u.usage.ta.n = 2;
	r.u.usage.ta.le_ms[0] = 5, r.u.usage.ta.count[0] = 1;
	r.u.usage.ta.le_ms[1] = INT32_MAX, r.u.usage.ta.count[1] = 2;
	rec_sql_of(&r, &s);
	ck_assert_ptr_nonnull(strstr(s.sql, "INSERT INTO rpc_minutes"));
	ck_assert_ptr_nonnull(strstr(s.sql, "$8::text = ''"));
	ck_assert_ptr_nonnull(strstr(s.sql, "WHERE m.id <> EXCLUDED.id"));
	expect_params(&s,
	              (const char *const[]){"s-1", "eu1", "h/eu1/9000", "1700000040000", "polkadot",
	                                    "system_health", "read", "2xx", "3", "0", "3", "700",
	                                    "12", "3", "15", "{5,2147483647}", "{1,2}"},
	              17);
}
END_TEST

START_TEST(test_usage_rules)
{
	struct db_record r = {.kind = REC_USAGE, .id = "s-1", .region = "eu1"};
	char err[256] = "", line[REC_LINE_MAX];

	r.at_ms = INT64_C(1700000040000);
	memcpy(r.u.usage.controller, "h/eu1/9000", 11), memcpy(r.u.usage.cls, "-", 2);
	memcpy(r.u.usage.status, "none", 5);
	r.u.usage.ta.n = 1, r.u.usage.ta.le_ms[0] = 8, r.u.usage.ta.count[0] = 2;
	r.u.usage.ta_count = 2;
	ck_assert_msg(rec_is_valid(&r, err, sizeof(err)), "%s", err);
	ck_assert_int_gt(rec_line_encode(&r, line, sizeof(line), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(line, "\"ta\":\"8:2\""));
	r.at_ms += 1;
	ck_assert(!rec_is_valid(&r, err, sizeof(err)));
	ck_assert_str_eq(err, "at: a usage row's minute must be a multiple of 60000 ms");
	r.at_ms -= 1;
	r.u.usage.ta_count = 3;
	ck_assert(!rec_is_valid(&r, err, sizeof(err)));
	ck_assert_str_eq(err, "ta: counts add up to 2, ta_count is 3");
	r.u.usage.ta_count = 2;
	memcpy(r.u.usage.status, "200", 4);
	ck_assert(!rec_is_valid(&r, err, sizeof(err)));
	memcpy(r.u.usage.status, "", 1); /* the overflow row, but with a class */
	ck_assert(!rec_is_valid(&r, err, sizeof(err)));
	r.u.usage.cls[0] = '\0';
	ck_assert_msg(rec_is_valid(&r, err, sizeof(err)), "%s", err);
	r.u.usage.ta.n = 2, r.u.usage.ta.le_ms[1] = 8, r.u.usage.ta.count[1] = 1;
	r.u.usage.ta_count = 3;
	ck_assert(!rec_is_valid(&r, err, sizeof(err))); /* bounds must ascend */
	ck_assert_str_eq(err, "ta: bounds must ascend within 1..2147483647");
	/* Spool lines that break the list's grammar. */
	for (int i = 0; i < 5; i++) {
		static const char *const lists[] = {"08:1", "8:", "8:1,", "8:1;9:1",
		                                    "4294967296:1"};
		struct db_record back;
		int n = snprintf(line, sizeof(line),
		                 "{\"kind\":\"usage\",\"id\":\"s-1\",\"region\":\"eu1\","
		                 "\"at\":\"1700000040000\",\"controller\":\"h\",\"chain\":\"\","
		                 "\"method\":\"\",\"class\":\"-\",\"status\":\"none\","
		                 "\"requests\":\"1\",\"errors\":\"0\",\"calls\":\"0\","
		                 "\"bytes\":\"0\",\"node_ms\":\"0\",\"ta_count\":\"1\","
		                 "\"ta_sum_ms\":\"1\",\"ta\":\"%s\"}\n",
		                 lists[i]);

		ck_assert_int_eq(
		    rec_line_decode((const uint8_t *)line, (size_t)n, &back, err, sizeof(err)),
		    PF_EPROTO);
		ck_assert_msg(strstr(err, "ta: ") == err, "%s: %s", lists[i], err);
	}
}
END_TEST

static Suite *reccodec_suite(void)
{
	Suite *s = suite_create("reccodec");
	TCase *tc = tcase_create("line");

	tcase_add_loop_test(tc, test_round_trip_limits, 0, REC_KIND_COUNT);
	tcase_add_test(tc, test_line_literal);
	tcase_add_test(tc, test_decode_good_and_truncated);
	tcase_add_test(tc, test_decode_refuses);
	tcase_add_test(tc, test_guard_page);
	suite_add_tcase(s, tc);
	tc = tcase_create("sql");
	tcase_add_test(tc, test_sql_params);
	tcase_add_test(tc, test_usage_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(reccodec_suite());
}
