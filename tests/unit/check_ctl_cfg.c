/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/ctl_cfg.c: the shipped example configs, defaults, one
 * test per key (wrong type, out of range, missing when required), unknown
 * and duplicate keys, duplicate names, the rpc URL rules, template nodes,
 * cross-key rules, JSON syntax errors with line and column, file loading,
 * the SIGHUP reload check and the key dump. Every error is compared with
 * the exact message. Run from the repository root.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "ctl/ctl_cfg.h"

#define DATA_DIR "tests/unit/data/ctl/"

/* The parts of a small valid config; the builders below swap one part. */
#define REGION  "\"eu1\""
#define HAPROXY "[\"unix:/run/haproxy.sock\"]"
#define NODE    "{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": \"http://10.0.0.1:9944\"}"
#define CHAIN   "{\"name\": \"polkadot\", \"backend\": \"be_polkadot\", \"nodes\": [" NODE "]}"
#define CHAINS  "[" CHAIN "]"

static char errbuf[512];
static char doc[16384];
static struct ctl_cfg cfg;

/* Builds a config into doc[]: NULL omits that key; <extra> is more "key": value text. */
static const char *build(const char *region, const char *haproxy, const char *chains,
                         const char *extra)
{
	size_t n = 0;

	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{");
	if (region)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"region\": %s, ", region);
	if (haproxy)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"haproxy\": %s, ", haproxy);
	if (chains)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"chains\": %s, ", chains);
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s}", extra ? extra : "");
	ck_assert_uint_lt(n, sizeof(doc));
	/* Drop the trailing ", " when nothing followed it. */
	if (n >= 3 && doc[n - 3] == ',' && doc[n - 2] == ' ')
		memmove(doc + n - 3, "}", 2);
	return doc;
}

/* A config whose top level is <extra> plus the required keys. */
static const char *top(const char *extra)
{
	return build(REGION, HAPROXY, CHAINS, extra);
}

/* A config with one chain made of <fields> (name, backend, ... text). */
static const char *chain(const char *fields)
{
	static char chains[8200];

	(void)snprintf(chains, sizeof(chains), "[{%s}]", fields);
	return build(REGION, HAPROXY, chains, NULL);
}

/* A config with one chain holding the nodes <nodes> (the text inside [...]). */
static const char *nodes(const char *list)
{
	static char fields[8000];

	(void)snprintf(fields, sizeof(fields),
	               "\"name\": \"polkadot\", \"backend\": \"be_polkadot\", \"nodes\": [%s]",
	               list);
	return chain(fields);
}

static int parse(const char *json)
{
	errbuf[0] = '\0';
	return ctl_cfg_parse(json, strlen(json), &cfg, errbuf, sizeof(errbuf));
}

/* Asserts <json> parses; the result stays in cfg (freed by the fixture teardown). */
static void expect_ok(const char *json)
{
	int rc = parse(json);

	ck_assert_msg(rc == 0, "refused: %s\nconfig: %s", errbuf, json);
}

/* Asserts <json> is refused with exactly <want>, leaving cfg empty. */
static void expect_err(const char *json, const char *want)
{
	int rc = parse(json);

	ck_assert_msg(rc == -1, "accepted: %s", json);
	ck_assert_str_eq(errbuf, want);
	ck_assert_ptr_null(cfg.chains);
	ck_assert_uint_eq(cfg.n_chains, 0);
}

static void teardown(void)
{
	ctl_cfg_free(&cfg);
}

/* A string of <n> copies of <ch>, quoted for JSON, in a static buffer. */
static const char *quoted_run(char ch, size_t n)
{
	static char s[2048];

	ck_assert_uint_lt(n + 3, sizeof(s));
	s[0] = '"';
	memset(s + 1, ch, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

static unsigned uint_at(size_t off)
{
	return *(const unsigned *)(const void *)((const char *)&cfg + off);
}

/*
 * The checks every integer key gets: wrong JSON types, a fraction, both
 * ends of the range accepted and stored, one past each end refused. <ctx>
 * is extra top-level text that makes the ends valid (timeout < interval).
 */
static void check_uint_key(const char *key, size_t off, long long min, long long max,
                           const char *ctx, bool max_ok)
{
	char extra[256], want[256];
	const char *bad[] = {"\"five\"", "true", "null", "1.5", "[1]", "{}"};
	const char *got[] = {"\"five\"", "true", "null", "1.5", "an array", "an object"};
	const char *sep = ctx[0] ? ", " : "";

	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		(void)snprintf(extra, sizeof(extra), "%s%s\"%s\": %s", ctx, sep, key, bad[i]);
		(void)snprintf(want, sizeof(want), "%s: expected an integer %lld..%lld, got %s",
		               key, min, max, got[i]);
		expect_err(top(extra), want);
	}
	for (int end = 0; end < 2; end++) {
		long long v = end == 0 ? min - 1 : max + 1;

		(void)snprintf(extra, sizeof(extra), "%s%s\"%s\": %lld", ctx, sep, key, v);
		(void)snprintf(want, sizeof(want), "%s: expected an integer %lld..%lld, got %lld",
		               key, min, max, v);
		expect_err(top(extra), want);
	}
	(void)snprintf(extra, sizeof(extra), "%s%s\"%s\": %lld", ctx, sep, key, min);
	expect_ok(top(extra));
	ck_assert_uint_eq(uint_at(off), (unsigned)min);
	ctl_cfg_free(&cfg);
	if (max_ok) {
		/* Written with an exponent: JSON numbers are integers when they have no fraction.
		 */
		(void)snprintf(extra, sizeof(extra), "%s%s\"%s\": %lld.0e0", ctx, sep, key, max);
		expect_ok(top(extra));
		ck_assert_uint_eq(uint_at(off), (unsigned)max);
		ctl_cfg_free(&cfg);
	}
}

#define UINT_KEY(key, min, max, ctx, max_ok)                                                       \
	check_uint_key(#key, offsetof(struct ctl_cfg, key), min, max, ctx, max_ok)

/* ---- whole configs ------------------------------------------------------- */

START_TEST(test_valid_file)
{
	const struct ctl_node_cfg *n;
	char a[64];

	ck_assert_msg(ctl_cfg_load(DATA_DIR "valid.json", &cfg, errbuf, sizeof(errbuf)) == 0, "%s",
	              errbuf);
	ck_assert_str_eq(cfg.region, "eu-west-1");
	ck_assert_uint_eq(cfg.interval_ms, 2000);
	ck_assert_uint_eq(cfg.timeout_ms, 1500);
	ck_assert_uint_eq(cfg.max_lag, 3);
	ck_assert_uint_eq(cfg.max_lag_seconds, 60);
	ck_assert_uint_eq(cfg.max_finalized_lag, 20);
	ck_assert_uint_eq(cfg.min_peers, 4);
	ck_assert_uint_eq(cfg.rise, 3);
	ck_assert_uint_eq(cfg.fall, 2);
	ck_assert_uint_eq(cfg.min_drain_ms, 45000);
	ck_assert_uint_eq(cfg.min_ready, 2);
	ck_assert_uint_eq(cfg.stall_ms, 90000);
	ck_assert_uint_eq(cfg.drain_grace_ms, 30000);
	ck_assert_uint_eq(cfg.n_haproxy, 2);
	ck_assert(cfg.haproxy[0].is_unix);
	ck_assert_str_eq(pf_addr_str(&cfg.haproxy[0], a, sizeof(a)),
	                 "unix:/run/haproxy/admin.sock");
	ck_assert_str_eq(pf_addr_str(&cfg.haproxy[1], a, sizeof(a)), "127.0.0.1:9999");
	ck_assert_str_eq(pf_addr_str(&cfg.http_listen, a, sizeof(a)), "127.0.0.1:9465");
	ck_assert_str_eq(cfg.state_file, "/var/lib/polkfura/ctl-state.json");
	ck_assert_int_eq(cfg.log_level, PF_LOG_DEBUG);
	ck_assert_uint_eq(cfg.n_chains, 2);
	ck_assert_uint_eq(cfg.n_nodes, 5);

	ck_assert_str_eq(cfg.chains[0].name, "polkadot");
	ck_assert_str_eq(cfg.chains[0].backend, "be_polkadot");
	ck_assert_uint_eq(cfg.chains[0].n_heavy, 1);
	ck_assert_str_eq(cfg.chains[0].heavy_backends[0], "be_polkadot_heavy");
	ck_assert_str_eq(cfg.chains[0].genesis,
	                 "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3");
	ck_assert_uint_eq(cfg.chains[0].block_time_ms, 6000);
	ck_assert_uint_eq(cfg.chains[0].n_nodes, 3);
	n = &cfg.chains[0].nodes[0];
	ck_assert_str_eq(n->name, "dot-a1");
	ck_assert(ctl_node_cfg_is_template(n));
	ck_assert(n->batch);
	ck_assert_str_eq(n->rpc_url, "http://10.0.1.11:9944");
	ck_assert(!n->tls);
	ck_assert_str_eq(n->host, "10.0.1.11");
	ck_assert_uint_eq(n->port, 9944);
	ck_assert_str_eq(n->path, "/");
	ck_assert_int_eq(n->addr_family, AF_INET);
	ck_assert_str_eq(n->addr, "10.0.1.11");
	ck_assert(!cfg.chains[0].nodes[1].batch);
	n = &cfg.chains[0].nodes[2];
	ck_assert(!ctl_node_cfg_is_template(n));
	ck_assert_str_eq(n->server, "archive1");
	ck_assert(n->tls);
	ck_assert_str_eq(n->host, "dot-archive.internal");
	ck_assert_uint_eq(n->port, 8443);
	ck_assert_str_eq(n->path, "/rpc");
	ck_assert_int_eq(n->addr_family, 0);
	ck_assert_str_eq(n->addr, "");

	ck_assert_str_eq(cfg.chains[1].name, "kusama");
	ck_assert_str_eq(cfg.chains[1].genesis, "");
	n = &cfg.chains[1].nodes[1];
	ck_assert_str_eq(n->name, "ksm-a2");
	ck_assert_str_eq(n->host, "fd00::2:12");
	ck_assert_int_eq(n->addr_family, AF_INET6);
	ck_assert_str_eq(n->addr, "fd00::2:12");
	ck_assert(n->batch);
}
END_TEST

START_TEST(test_defaults)
{
	char a[64];

	ck_assert_msg(ctl_cfg_load(DATA_DIR "minimal.json", &cfg, errbuf, sizeof(errbuf)) == 0,
	              "%s", errbuf);
	ck_assert_str_eq(cfg.region, "dev");
	ck_assert_uint_eq(cfg.interval_ms, 1000);
	ck_assert_uint_eq(cfg.timeout_ms, 800);
	ck_assert_uint_eq(cfg.max_lag, 5);
	ck_assert_uint_eq(cfg.max_lag_seconds, 0);
	ck_assert_uint_eq(cfg.max_finalized_lag, 0);
	ck_assert_uint_eq(cfg.min_peers, 2);
	ck_assert_uint_eq(cfg.rise, 2);
	ck_assert_uint_eq(cfg.fall, 2);
	ck_assert_uint_eq(cfg.min_drain_ms, 30000);
	ck_assert_uint_eq(cfg.min_ready, 1);
	ck_assert_uint_eq(cfg.stall_ms, 60000);
	ck_assert_uint_eq(cfg.drain_grace_ms, 60000);
	ck_assert_str_eq(pf_addr_str(&cfg.http_listen, a, sizeof(a)), CTL_CFG_DEFAULT_HTTP_LISTEN);
	ck_assert(!cfg.http_listen.is_unix);
	ck_assert_str_eq(cfg.state_file, CTL_CFG_DEFAULT_STATE_FILE);
	ck_assert_int_eq(cfg.log_level, PF_LOG_INFO);
	ck_assert_uint_eq(cfg.n_chains, 1);
	ck_assert_uint_eq(cfg.chains[0].n_heavy, 0);
	ck_assert_str_eq(cfg.chains[0].genesis, "");
	ck_assert_uint_eq(cfg.chains[0].block_time_ms, 6000);
	ck_assert_uint_eq(cfg.chains[0].n_nodes, 1);
	ck_assert(cfg.chains[0].nodes[0].batch);
	ck_assert_str_eq(cfg.chains[0].nodes[0].server, "");
	ck_assert_uint_eq(cfg.n_nodes, 1);
	/* No probes; the probe timing as CONFIG.md gives it. */
	ck_assert_uint_eq(cfg.n_probes, 0);
	ck_assert_uint_eq(cfg.probe_interval_ms, 10000);
	ck_assert_uint_eq(cfg.probe_timeout_ms, 5000);
	ck_assert_uint_eq(cfg.probe_fall, 3);
	ck_assert_uint_eq(cfg.probe_rise, 2);
	ck_assert_str_eq(cfg.probe_tls_ca_file, "");
}
END_TEST

/* A buffer need not end at the config: bytes past <len> are never read. */
START_TEST(test_length_bounded)
{
	const char *json = top("");
	size_t len = strlen(json);
	char *buf = malloc(len + 16);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, json, len);
	memcpy(buf + len, "garbage{{{{{{{{", 16);
	ck_assert_int_eq(ctl_cfg_parse(buf, len, &cfg, errbuf, sizeof(errbuf)), 0);
	ctl_cfg_free(&cfg);
	/* A NUL inside the length is not the end of the text. */
	buf[len] = '\0';
	ck_assert_int_eq(ctl_cfg_parse(buf, len + 1, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strncmp(errbuf, "unexpected text after the JSON value at line 1", 46) == 0,
	              "%s", errbuf);
	free(buf);
}
END_TEST

/* ---- one test per top-level key ------------------------------------------ */

START_TEST(test_key_region)
{
	expect_err(build(NULL, HAPROXY, CHAINS, NULL), "region: required");
	expect_err(build("3", HAPROXY, CHAINS, NULL), "region: expected a string, got 3");
	expect_err(build("\"\"", HAPROXY, CHAINS, NULL),
	           "region: \"\" must be 1-32 characters of [a-z0-9-]");
	expect_err(build("\"EU\"", HAPROXY, CHAINS, NULL),
	           "region: \"EU\" must be 1-32 characters of [a-z0-9-]");
	expect_err(build("\"eu_1\"", HAPROXY, CHAINS, NULL),
	           "region: \"eu_1\" must be 1-32 characters of [a-z0-9-]");
	expect_err(build(quoted_run('a', 33), HAPROXY, CHAINS, NULL),
	           "region: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" must be 1-32 characters of "
	           "[a-z0-9-]");
	expect_ok(build(quoted_run('a', 32), HAPROXY, CHAINS, NULL));
	ck_assert_uint_eq(strlen(cfg.region), 32);
	ctl_cfg_free(&cfg);
	expect_ok(build("\"eu-west-1\"", HAPROXY, CHAINS, NULL));
	ck_assert_str_eq(cfg.region, "eu-west-1");
}
END_TEST

START_TEST(test_key_interval_ms)
{
	UINT_KEY(interval_ms, 100, 60000, "\"timeout_ms\": 50", true);
	/* Defaults: timeout 800 is too long for a 500 ms interval. */
	expect_err(top("\"interval_ms\": 500"),
	           "timeout_ms: 800 must be less than interval_ms (500)");
}
END_TEST

START_TEST(test_key_timeout_ms)
{
	UINT_KEY(timeout_ms, 50, 60000, "", false);
	expect_err(top("\"interval_ms\": 800, \"timeout_ms\": 900"),
	           "timeout_ms: 900 must be less than interval_ms (800)");
	expect_err(top("\"timeout_ms\": 1000"),
	           "timeout_ms: 1000 must be less than interval_ms (1000)");
	expect_ok(top("\"interval_ms\": 60000, \"timeout_ms\": 59999"));
	ck_assert_uint_eq(cfg.timeout_ms, 59999);
}
END_TEST

START_TEST(test_key_max_lag)
{
	UINT_KEY(max_lag, 0, 100000, "", true);
	expect_err(top("\"max_lag\": \"five\""),
	           "max_lag: expected an integer 0..100000, got \"five\"");
}
END_TEST

START_TEST(test_key_max_lag_seconds)
{
	UINT_KEY(max_lag_seconds, 0, 86400, "", true);
}
END_TEST

START_TEST(test_key_max_finalized_lag)
{
	UINT_KEY(max_finalized_lag, 0, 100000, "", true);
}
END_TEST

START_TEST(test_key_min_peers)
{
	UINT_KEY(min_peers, 0, 10000, "", true);
}
END_TEST

START_TEST(test_key_rise)
{
	UINT_KEY(rise, 1, 100, "", true);
}
END_TEST

START_TEST(test_key_fall)
{
	UINT_KEY(fall, 1, 100, "", true);
}
END_TEST

START_TEST(test_key_min_drain_ms)
{
	UINT_KEY(min_drain_ms, 0, 86400000, "", true);
}
END_TEST

START_TEST(test_key_min_ready)
{
	UINT_KEY(min_ready, 0, 1000, "", true);
}
END_TEST

START_TEST(test_key_stall_ms)
{
	UINT_KEY(stall_ms, 0, 86400000, "", true);
	expect_err(top("\"stall_ms\": 999"),
	           "stall_ms: 999 must be 0 (off) or at least interval_ms (1000)");
	expect_ok(top("\"stall_ms\": 1000"));
	ck_assert_uint_eq(cfg.stall_ms, 1000);
}
END_TEST

START_TEST(test_key_drain_grace_ms)
{
	UINT_KEY(drain_grace_ms, 0, 86400000, "", true);
}
END_TEST

START_TEST(test_key_haproxy)
{
	char a[64];

	expect_err(build(REGION, NULL, CHAINS, NULL), "haproxy: required");
	expect_err(build(REGION, "\"unix:/x\"", CHAINS, NULL),
	           "haproxy: expected an array of 1..8 items, got \"unix:/x\"");
	expect_err(build(REGION, "[]", CHAINS, NULL),
	           "haproxy: expected an array of 1..8 items, got 0 items");
	expect_err(build(REGION,
	                 "[\"unix:/1\",\"unix:/2\",\"unix:/3\",\"unix:/4\",\"unix:/5\","
	                 "\"unix:/6\",\"unix:/7\",\"unix:/8\",\"unix:/9\"]",
	                 CHAINS, NULL),
	           "haproxy: expected an array of 1..8 items, got 9 items");
	expect_err(build(REGION, "[\"unix:/a\", 3]", CHAINS, NULL),
	           "haproxy[1]: expected a string, got 3");
	expect_err(build(REGION, "[\"nope\"]", CHAINS, NULL),
	           "haproxy[0]: 'nope': expected HOST:PORT or unix:PATH");
	expect_err(build(REGION, "[\"localhost:9999\"]", CHAINS, NULL),
	           "haproxy[0]: 'localhost:9999': not a numeric IPv4 address");
	expect_err(build(REGION, "[\"127.0.0.1:0\"]", CHAINS, NULL),
	           "haproxy[0]: '127.0.0.1:0': port must be 1-65535");
	expect_err(build(REGION, "[\"*:9999\"]", CHAINS, NULL),
	           "haproxy[0]: \"*:9999\" is a wildcard address; name the host to connect to");
	expect_err(build(REGION, "[\"[::]:9999\"]", CHAINS, NULL),
	           "haproxy[0]: \"[::]:9999\" is a wildcard address; name the host to connect to");
	expect_err(build(REGION, "[\"unix:/a\", \"unix:/a\"]", CHAINS, NULL),
	           "haproxy[1]: \"unix:/a\" used twice (first at haproxy[0])");
	/* Duplicates are the same address, however it is written. */
	expect_err(
	    build(REGION, "[\"127.0.0.1:80\", \"unix:/a\", \"127.0.0.1:080\"]", CHAINS, NULL),
	    "haproxy[2]: \"127.0.0.1:080\" used twice (first at haproxy[0])");
	expect_ok(build(REGION, "[\"127.0.0.1:9999\", \"[::1]:9999\", \"unix:/run/h.sock\"]",
	                CHAINS, NULL));
	ck_assert_uint_eq(cfg.n_haproxy, 3);
	ck_assert_str_eq(pf_addr_str(&cfg.haproxy[1], a, sizeof(a)), "[::1]:9999");
	ck_assert(cfg.haproxy[2].is_unix);
	ck_assert_str_eq(cfg.haproxy_state_file[0], "");
	ctl_cfg_free(&cfg);
	/* The object form names HAProxy's server-state file the controller keeps. */
	expect_ok(build(REGION,
	                "[{\"socket\": \"unix:/run/h.sock\", \"server_state_file\": "
	                "\"/var/lib/polkfura/haproxy-state\"}, \"127.0.0.1:9999\", "
	                "{\"socket\": \"127.0.0.1:9998\"}]",
	                CHAINS, NULL));
	ck_assert_uint_eq(cfg.n_haproxy, 3);
	ck_assert(cfg.haproxy[0].is_unix);
	ck_assert_str_eq(cfg.haproxy_state_file[0], "/var/lib/polkfura/haproxy-state");
	ck_assert_str_eq(cfg.haproxy_state_file[1], "");
	ck_assert_str_eq(pf_addr_str(&cfg.haproxy[2], a, sizeof(a)), "127.0.0.1:9998");
	ctl_cfg_free(&cfg);
	expect_err(build(REGION, "[{\"server_state_file\": \"/x\"}]", CHAINS, NULL),
	           "haproxy[0].socket: required");
	expect_err(build(REGION, "[{\"socket\": \"unix:/a\", \"state\": \"/x\"}]", CHAINS, NULL),
	           "haproxy[0].state: unknown or repeated key (expected \"socket\" and "
	           "\"server_state_file\")");
	expect_err(build(REGION, "[{\"socket\": \"unix:/a\", \"server_state_file\": \"rel\"}]",
	                 CHAINS, NULL),
	           "haproxy[0].server_state_file: \"rel\" must be an absolute path of at most 1023 "
	           "characters");
	expect_err(build(REGION, "[{\"socket\": 7}]", CHAINS, NULL),
	           "haproxy[0].socket: expected a string, got 7");
	expect_err(build(REGION, "[\"unix:/a\", {\"socket\": \"unix:/a\"}]", CHAINS, NULL),
	           "haproxy[1].socket: \"unix:/a\" used twice (first at haproxy[0])");
	ctl_cfg_free(&cfg);
	expect_ok(build(REGION,
	                "[\"unix:/1\",\"unix:/2\",\"unix:/3\",\"unix:/4\",\"unix:/5\","
	                "\"unix:/6\",\"unix:/7\",\"unix:/8\"]",
	                CHAINS, NULL));
	ck_assert_uint_eq(cfg.n_haproxy, 8);
}
END_TEST

START_TEST(test_key_http_listen)
{
	char a[64];

	expect_err(top("\"http_listen\": 9465"), "http_listen: expected a string, got 9465");
	expect_err(top("\"http_listen\": \"unix:/run/ctl.sock\""),
	           "http_listen: \"unix:/run/ctl.sock\" is a unix socket; expected HOST:PORT");
	expect_err(top("\"http_listen\": \"9465\""),
	           "http_listen: '9465': expected HOST:PORT or unix:PATH");
	expect_err(top("\"http_listen\": \"0.0.0.0:70000\""),
	           "http_listen: '0.0.0.0:70000': port must be 1-65535");
	expect_ok(top("\"http_listen\": \"[::]:9465\""));
	ck_assert_str_eq(pf_addr_str(&cfg.http_listen, a, sizeof(a)), "[::]:9465");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"http_listen\": \"*:9000\""));
	ck_assert_str_eq(pf_addr_str(&cfg.http_listen, a, sizeof(a)), "0.0.0.0:9000");
}
END_TEST

START_TEST(test_key_state_file)
{
	char extra[1200];

	expect_err(top("\"state_file\": false"), "state_file: expected a string, got false");
	expect_err(top("\"state_file\": \"\""),
	           "state_file: \"\" must be an absolute file path of at most 1023 characters");
	expect_err(top("\"state_file\": \"state.json\""),
	           "state_file: \"state.json\" must be an absolute file path of at most 1023 "
	           "characters");
	expect_err(top("\"state_file\": \"/var/lib/polkfura/\""),
	           "state_file: \"/var/lib/polkfura/\" must be an absolute file path of at most "
	           "1023 characters");
	(void)snprintf(extra, sizeof(extra), "\"state_file\": \"/%s", quoted_run('s', 1023) + 1);
	expect_err(top(extra), "state_file: \"/sssssssssssssssssssssssssssssssssssssss...\" must "
	                       "be an absolute file path of at most 1023 characters");
	(void)snprintf(extra, sizeof(extra), "\"state_file\": \"/%s", quoted_run('s', 1022) + 1);
	expect_ok(top(extra));
	ck_assert_uint_eq(strlen(cfg.state_file), 1023);
	ctl_cfg_free(&cfg);
	expect_ok(top("\"state_file\": \"/tmp/ctl state.json\""));
	ck_assert_str_eq(cfg.state_file, "/tmp/ctl state.json");
}
END_TEST

START_TEST(test_key_log_level)
{
	static const char *const names[] = {"err", "warn", "info", "debug"};
	char extra[64];

	expect_err(top("\"log_level\": 3"), "log_level: expected a string, got 3");
	expect_err(top("\"log_level\": \"verbose\""),
	           "log_level: expected \"err\", \"warn\", \"info\" or \"debug\", got \"verbose\"");
	expect_err(top("\"log_level\": \"INFO\""),
	           "log_level: expected \"err\", \"warn\", \"info\" or \"debug\", got \"INFO\"");
	for (int i = 0; i < 4; i++) {
		(void)snprintf(extra, sizeof(extra), "\"log_level\": \"%s\"", names[i]);
		expect_ok(top(extra));
		ck_assert_int_eq(cfg.log_level, (enum pf_log_level)i);
		ctl_cfg_free(&cfg);
	}
}
END_TEST

/* JSON text of a chains array with <n> chains of <per> nodes each. */
static char *many_chains(unsigned n, unsigned per)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	(void)fputc('[', f);
	for (unsigned i = 0; i < n; i++) {
		(void)fprintf(f, "%s{\"name\": \"c%u\", \"backend\": \"be_c%u\", \"nodes\": [",
		              i ? "," : "", i, i);
		for (unsigned j = 0; j < per; j++)
			(void)fprintf(
			    f, "%s{\"name\": \"c%u-n%u\", \"rpc\": \"http://10.%u.%u.%u:9944\"}",
			    j ? "," : "", i, j, i, j / 256, j % 256);
		(void)fputs("]}", f);
	}
	(void)fputc(']', f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Like build(), but into a heap buffer large enough for <chains>. */
static char *big_config(const char *chains)
{
	size_t len = strlen(chains) + 128;
	char *json = malloc(len);

	ck_assert_ptr_nonnull(json);
	(void)snprintf(json, len, "{\"region\": \"eu1\", \"haproxy\": %s, \"chains\": %s}", HAPROXY,
	               chains);
	return json;
}

START_TEST(test_key_chains)
{
	char *chains, *json;

	expect_err(build(REGION, HAPROXY, NULL, NULL), "chains: required");
	expect_err(build(REGION, HAPROXY, CHAIN, NULL),
	           "chains: expected an array of 1..64 items, got an object");
	expect_err(build(REGION, HAPROXY, "[]", NULL),
	           "chains: expected an array of 1..64 items, got 0 items");
	expect_err(build(REGION, HAPROXY, "[" CHAIN ", 3]", NULL),
	           "chains[1]: expected an object, got 3");

	chains = many_chains(65, 1);
	json = big_config(chains);
	expect_err(json, "chains: expected an array of 1..64 items, got 65 items");
	free(json);
	free(chains);

	chains = many_chains(64, 1);
	json = big_config(chains);
	expect_ok(json);
	ck_assert_uint_eq(cfg.n_chains, 64);
	ck_assert_str_eq(cfg.chains[63].name, "c63");
	ck_assert_str_eq(cfg.chains[63].nodes[0].addr, "10.63.0.0");
	free(json);
	free(chains);
}
END_TEST

/* ---- one test per chain key ---------------------------------------------- */

START_TEST(test_key_chain_name)
{
	char fields[256];

	expect_err(chain("\"backend\": \"be_polkadot\", \"nodes\": [" NODE "]"),
	           "chains[0].name: required");
	expect_err(chain("\"name\": 1, \"backend\": \"be_polkadot\", \"nodes\": [" NODE "]"),
	           "chains[0].name: expected a string, got 1");
	expect_err(
	    chain("\"name\": \"Polkadot\", \"backend\": \"be_polkadot\", \"nodes\": [" NODE "]"),
	    "chains[0].name: \"Polkadot\" must be 1-32 characters of [a-z0-9-]");
	(void)snprintf(fields, sizeof(fields),
	               "\"name\": %s, \"backend\": \"b\", \"nodes\": [" NODE "]",
	               quoted_run('x', 33));
	expect_err(chain(fields), "chains[0].name: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" must be "
	                          "1-32 characters of [a-z0-9-]");
	expect_err(build(REGION, HAPROXY,
	                 "[" CHAIN ", {\"name\": \"polkadot\", \"backend\": \"be_2\", \"nodes\": "
	                 "[{\"name\": \"n2\", \"server\": \"s1\", \"rpc\": \"http://h:1\"}]}]",
	                 NULL),
	           "chains[1].name: \"polkadot\" used twice (first at chains[0].name)");
	(void)snprintf(fields, sizeof(fields),
	               "\"name\": %s, \"backend\": \"b\", \"nodes\": [" NODE "]",
	               quoted_run('x', 32));
	expect_ok(chain(fields));
	ck_assert_uint_eq(strlen(cfg.chains[0].name), 32);
}
END_TEST

START_TEST(test_key_chain_backend)
{
	char fields[256];

	expect_err(chain("\"name\": \"polkadot\", \"nodes\": [" NODE "]"),
	           "chains[0].backend: required");
	expect_err(chain("\"name\": \"polkadot\", \"backend\": [], \"nodes\": [" NODE "]"),
	           "chains[0].backend: expected a string, got an array");
	expect_err(
	    chain("\"name\": \"polkadot\", \"backend\": \"be polkadot\", \"nodes\": [" NODE "]"),
	    "chains[0].backend: \"be polkadot\" must be 1-63 characters of [A-Za-z0-9_.:-]");
	expect_err(chain("\"name\": \"polkadot\", \"backend\": \"\", \"nodes\": [" NODE "]"),
	           "chains[0].backend: \"\" must be 1-63 characters of [A-Za-z0-9_.:-]");
	(void)snprintf(fields, sizeof(fields),
	               "\"name\": \"p\", \"backend\": %s, \"nodes\": [" NODE "]",
	               quoted_run('B', 64));
	expect_err(chain(fields),
	           "chains[0].backend: \"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB...\" "
	           "must be 1-63 characters of [A-Za-z0-9_.:-]");
	expect_err(build(REGION, HAPROXY,
	                 "[" CHAIN
	                 ", {\"name\": \"kusama\", \"backend\": \"be_polkadot\", \"nodes\": "
	                 "[{\"name\": \"n2\", \"server\": \"s1\", \"rpc\": \"http://h:1\"}]}]",
	                 NULL),
	           "chains[1].backend: \"be_polkadot\" used twice (first at chains[0].backend)");
	(void)snprintf(fields, sizeof(fields),
	               "\"name\": \"p\", \"backend\": %s, \"nodes\": [" NODE "]",
	               quoted_run('B', 63));
	expect_ok(chain(fields));
	ctl_cfg_free(&cfg);
	expect_ok(chain("\"name\": \"p\", \"backend\": \"Be:x.y-z_1\", \"nodes\": [" NODE "]"));
	ck_assert_str_eq(cfg.chains[0].backend, "Be:x.y-z_1");
}
END_TEST

#define CHAIN_WITH_HEAVY(h)                                                                        \
	"\"name\": \"polkadot\", \"backend\": \"be_polkadot\", \"heavy_backends\": " h             \
	", \"nodes\": [" NODE "]"

START_TEST(test_key_chain_heavy_backends)
{
	expect_err(chain(CHAIN_WITH_HEAVY("\"be_heavy\"")),
	           "chains[0].heavy_backends: expected an array of 0..8 items, got \"be_heavy\"");
	expect_err(
	    chain(CHAIN_WITH_HEAVY("[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]")),
	    "chains[0].heavy_backends: expected an array of 0..8 items, got 9 items");
	expect_err(chain(CHAIN_WITH_HEAVY("[\"a\", 1]")),
	           "chains[0].heavy_backends[1]: expected a string, got 1");
	expect_err(chain(CHAIN_WITH_HEAVY("[\"\"]")),
	           "chains[0].heavy_backends[0]: \"\" must be 1-63 characters of [A-Za-z0-9_.:-]");
	expect_err(chain(CHAIN_WITH_HEAVY("[\"be heavy\"]")),
	           "chains[0].heavy_backends[0]: \"be heavy\" must be 1-63 characters of "
	           "[A-Za-z0-9_.:-]");
	expect_err(chain(CHAIN_WITH_HEAVY("[\"h1\", \"h1\"]")),
	           "chains[0].heavy_backends[1]: \"h1\" used twice (first at "
	           "chains[0].heavy_backends[0])");
	expect_err(chain(CHAIN_WITH_HEAVY("[\"be_polkadot\"]")),
	           "chains[0].heavy_backends[0]: \"be_polkadot\" used twice (first at "
	           "chains[0].backend)");
	/* Heavy backends are HAProxy backends too: one name, one owner. */
	expect_err(
	    build(REGION, HAPROXY,
	          "[{" CHAIN_WITH_HEAVY("[\"be_heavy\"]") "}, {\"name\": \"kusama\", "
	                                                  "\"backend\": \"be_heavy\", "
	                                                  "\"nodes\": [" NODE "]}]",
	          NULL),
	    "chains[1].backend: \"be_heavy\" used twice (first at chains[0].heavy_backends[0])");
	expect_ok(chain(CHAIN_WITH_HEAVY("[]")));
	ck_assert_uint_eq(cfg.chains[0].n_heavy, 0);
	ctl_cfg_free(&cfg);
	expect_ok(
	    chain(CHAIN_WITH_HEAVY("[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"be:h.8\"]")));
	ck_assert_uint_eq(cfg.chains[0].n_heavy, 8);
	ck_assert_str_eq(cfg.chains[0].heavy_backends[7], "be:h.8");
}
END_TEST

#define CHAIN_WITH(kv)                                                                             \
	"\"name\": \"polkadot\", \"backend\": \"be_polkadot\", " kv ", \"nodes\": [" NODE "]"
#define GENESIS_LOWER "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"

START_TEST(test_key_chain_genesis)
{
	expect_err(chain(CHAIN_WITH("\"genesis\": 1")),
	           "chains[0].genesis: expected a string, got 1");
	expect_err(chain(CHAIN_WITH("\"genesis\": null")),
	           "chains[0].genesis: expected a string, got null");
	expect_err(chain(CHAIN_WITH("\"genesis\": \"\"")),
	           "chains[0].genesis: \"\" must be 0x followed by 64 hex digits");
	/* 63 and 65 digits, no 0x, 0X, a non-hex digit, a block number. */
	expect_err(
	    chain(CHAIN_WITH("\"genesis\": \"0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb4"
	                     "9219da7a70ce90c\"")),
	    "chains[0].genesis: \"0x91b171bb158e2d3848fa23a9f1c25182fb8e20...\" must be 0x "
	    "followed by 64 hex digits");
	expect_err(chain(CHAIN_WITH("\"genesis\": \"" GENESIS_LOWER "0\"")),
	           "chains[0].genesis: \"0x91b171bb158e2d3848fa23a9f1c25182fb8e20...\" must be 0x "
	           "followed by 64 hex digits");
	expect_err(
	    chain(CHAIN_WITH("\"genesis\": \"0091b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb4"
	                     "9219da7a70ce90c3\"")),
	    "chains[0].genesis: \"0091b171bb158e2d3848fa23a9f1c25182fb8e20...\" must be 0x "
	    "followed by 64 hex digits");
	expect_err(
	    chain(CHAIN_WITH("\"genesis\": \"0X91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb4"
	                     "9219da7a70ce90c3\"")),
	    "chains[0].genesis: \"0X91b171bb158e2d3848fa23a9f1c25182fb8e20...\" must be 0x "
	    "followed by 64 hex digits");
	expect_err(
	    chain(CHAIN_WITH("\"genesis\": \"0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb4"
	                     "9219da7a70ce90cg\"")),
	    "chains[0].genesis: \"0x91b171bb158e2d3848fa23a9f1c25182fb8e20...\" must be 0x "
	    "followed by 64 hex digits");
	expect_err(chain(CHAIN_WITH("\"genesis\": \"0x0\"")),
	           "chains[0].genesis: \"0x0\" must be 0x followed by 64 hex digits");
	/* Upper-case digits are accepted and stored lower-case, as the poller stores hashes. */
	expect_ok(
	    chain(CHAIN_WITH("\"genesis\": \"0x91B171BB158E2D3848FA23A9F1C25182FB8E20313B2C1EB4"
	                     "9219DA7A70CE90C3\"")));
	ck_assert_str_eq(cfg.chains[0].genesis, GENESIS_LOWER);
	ctl_cfg_free(&cfg);
	expect_ok(chain(CHAIN_WITH("\"genesis\": \"" GENESIS_LOWER "\"")));
	ck_assert_str_eq(cfg.chains[0].genesis, GENESIS_LOWER);
}
END_TEST

START_TEST(test_key_chain_block_time_ms)
{
	static const char *const bad[][2] = {
	    {"\"6000\"", "\"6000\""},
	    {"true", "true"},
	    {"null", "null"},
	    {"1.5", "1.5"},
	    {"99", "99"},
	    {"600001", "600001"},
	    {"-1", "-1"},
	    {"[]", "an array"},
	};
	char fields[256], want[128];

	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		(void)snprintf(fields, sizeof(fields), CHAIN_WITH("\"block_time_ms\": %s"),
		               bad[i][0]);
		(void)snprintf(want, sizeof(want),
		               "chains[0].block_time_ms: expected an integer 100..600000, got %s",
		               bad[i][1]);
		expect_err(chain(fields), want);
	}
	expect_ok(chain(CHAIN_WITH("\"block_time_ms\": 100")));
	ck_assert_uint_eq(cfg.chains[0].block_time_ms, 100);
	ctl_cfg_free(&cfg);
	expect_ok(chain(CHAIN_WITH("\"block_time_ms\": 600000")));
	ck_assert_uint_eq(cfg.chains[0].block_time_ms, 600000);
}
END_TEST

START_TEST(test_key_chain_nodes)
{
	char *chains, *json;

	expect_err(chain("\"name\": \"polkadot\", \"backend\": \"be_polkadot\""),
	           "chains[0].nodes: required");
	expect_err(chain("\"name\": \"polkadot\", \"backend\": \"be_polkadot\", \"nodes\": " NODE),
	           "chains[0].nodes: expected an array of 1..1024 items, got an object");
	expect_err(nodes(""), "chains[0].nodes: expected an array of 1..1024 items, got 0 items");
	expect_err(nodes(NODE ", \"n2\""), "chains[0].nodes[1]: expected an object, got \"n2\"");

	chains = many_chains(1, 1025);
	json = big_config(chains);
	expect_err(json, "chains[0].nodes: expected an array of 1..1024 items, got 1025 items");
	free(json);
	free(chains);

	/* 4 x 1024 fills the config; a fifth chain's one node is one too many. */
	chains = many_chains(5, 1024);
	json = big_config(chains);
	expect_err(json, "chains[4].nodes: 5120 nodes in all chains, at most 4096");
	free(json);
	free(chains);

	chains = many_chains(4, 1024);
	json = big_config(chains);
	expect_ok(json);
	ck_assert_uint_eq(cfg.n_nodes, 4096);
	ck_assert_uint_eq(cfg.chains[3].n_nodes, 1024);
	ck_assert_str_eq(cfg.chains[3].nodes[1023].name, "c3-n1023");
	ck_assert_str_eq(cfg.chains[3].nodes[1023].addr, "10.3.3.255");
	free(json);
	free(chains);
}
END_TEST

/* ---- one test per node key ----------------------------------------------- */

#define RPC "\"rpc\": \"http://10.0.0.1:9944\""

START_TEST(test_key_node_name)
{
	char list[256];

	expect_err(nodes("{\"server\": \"s1\", " RPC "}"), "chains[0].nodes[0].name: required");
	expect_err(nodes("{\"name\": 7, " RPC "}"),
	           "chains[0].nodes[0].name: expected a string, got 7");
	expect_err(nodes("{\"name\": \"n 1\", " RPC "}"),
	           "chains[0].nodes[0].name: \"n 1\" must be 1-63 characters of [A-Za-z0-9_.-]");
	expect_err(nodes("{\"name\": \"n:1\", " RPC "}"),
	           "chains[0].nodes[0].name: \"n:1\" must be 1-63 characters of [A-Za-z0-9_.-]");
	(void)snprintf(list, sizeof(list), "{\"name\": %s, " RPC "}", quoted_run('n', 64));
	expect_err(nodes(list),
	           "chains[0].nodes[0].name: \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\" "
	           "must be 1-63 characters of [A-Za-z0-9_.-]");
	expect_err(
	    nodes("{\"name\": \"n1\", " RPC "}, {\"name\": \"n2\", \"rpc\": "
	          "\"http://10.0.0.2:1\"}, {\"name\": \"n1\", \"rpc\": \"http://10.0.0.3:1\"}"),
	    "chains[0].nodes[2].name: \"n1\" used twice (first at chains[0].nodes[0].name)");
	/* Names are unique across chains, not only within one. */
	expect_err(build(REGION, HAPROXY,
	                 "[" CHAIN
	                 ", {\"name\": \"kusama\", \"backend\": \"be_kusama\", \"nodes\": "
	                 "[{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": \"http://h:1\"}]}]",
	                 NULL),
	           "chains[1].nodes[0].name: \"n1\" used twice (first at chains[0].nodes[0].name)");
	(void)snprintf(list, sizeof(list), "{\"name\": %s, " RPC "}", quoted_run('N', 63));
	expect_ok(nodes(list));
	ctl_cfg_free(&cfg);
	expect_ok(nodes("{\"name\": \"Dot_A.1-x\", " RPC "}"));
	ck_assert_str_eq(cfg.chains[0].nodes[0].name, "Dot_A.1-x");
}
END_TEST

START_TEST(test_key_node_server)
{
	expect_err(nodes("{\"name\": \"n1\", \"server\": null, " RPC "}"),
	           "chains[0].nodes[0].server: expected a string, got null");
	expect_err(nodes("{\"name\": \"n1\", \"server\": \"\", " RPC "}"),
	           "chains[0].nodes[0].server: \"\" must be 1-63 characters of [A-Za-z0-9_.-]");
	expect_err(
	    nodes("{\"name\": \"n1\", \"server\": \"be/s1\", " RPC "}"),
	    "chains[0].nodes[0].server: \"be/s1\" must be 1-63 characters of [A-Za-z0-9_.-]");
	expect_err(nodes("{\"name\": \"n1\", \"server\": \"s1\", " RPC "}, {\"name\": \"n2\", "
	                 "\"server\": \"s1\", \"rpc\": \"http://h:1\"}"),
	           "chains[0].nodes[1].server: \"s1\" used twice in backend be_polkadot (first at "
	           "chains[0].nodes[0].server)");
	/* The same server name in two backends is two servers. */
	expect_ok(build(REGION, HAPROXY,
	                "[" CHAIN ", {\"name\": \"kusama\", \"backend\": \"be_kusama\", \"nodes\": "
	                "[{\"name\": \"n2\", \"server\": \"s1\", \"rpc\": \"http://h:1\"}]}]",
	                NULL));
	ck_assert_str_eq(cfg.chains[1].nodes[0].server, "s1");
	ctl_cfg_free(&cfg);
	/* Several template nodes share the empty server name. */
	expect_ok(nodes("{\"name\": \"n1\", " RPC "}, {\"name\": \"n2\", " RPC "}"));
	ck_assert(ctl_node_cfg_is_template(&cfg.chains[0].nodes[0]));
	ck_assert(ctl_node_cfg_is_template(&cfg.chains[0].nodes[1]));
}
END_TEST

/* Parses a one-node config with server s1 and the given rpc URL text (JSON-quoted). */
static const char *server_node(const char *url)
{
	static char list[1024];

	(void)snprintf(list, sizeof(list), "{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": %s}",
	               url);
	return nodes(list);
}

START_TEST(test_key_node_rpc)
{
	static const struct {
		const char *url, *want;
	} bad[] = {
	    {"\"ftp://h/\"", "must start with http:// or https://"},
	    {"\"HTTP://h/\"", "must start with http:// or https://"},
	    {"\"10.0.0.1:9944\"", "must start with http:// or https://"},
	    {"\"http://h /\"", "must not contain spaces, control or non-ASCII characters"},
	    {"\"http://h/\\u00e9\"", "must not contain spaces, control or non-ASCII characters"},
	    {"\"http://h/\\t\"", "must not contain spaces, control or non-ASCII characters"},
	    {"\"http://h/#x\"", "must not contain a #fragment"},
	    {"\"http://u:p@h/\"", "must not contain user:password@ credentials"},
	    {"\"http://\"", "missing host"},
	    {"\"http:///rpc\"", "missing host"},
	    {"\"http://:9944\"", "missing host"},
	    {"\"http://h:0\"", "port must be 1-65535"},
	    {"\"http://h:65536\"", "port must be 1-65535"},
	    {"\"http://h:123456\"", "port must be 1-65535"},
	    {"\"http://h:\"", "port must be 1-65535"},
	    {"\"http://h:+80\"", "port must be 1-65535"},
	    {"\"http://h:80x/\"", "port must be 1-65535"},
	    {"\"http://h:1:2\"", "port must be 1-65535"},
	    {"\"http://[::1\"", "host: unterminated [IPv6] address"},
	    {"\"http://[::1]x\"", "host: expected :PORT after the [IPv6] address"},
	    {"\"http://[zz]:1\"", "host: not a numeric IPv6 address inside []"},
	    {"\"http://[]:1\"", "missing host"},
	    {"\"http://[fe80::1%25eth0]:1\"", "host: not a numeric IPv6 address inside []"},
	    {"\"http://999.1.1.1:1\"", "host: not a valid IPv4 address"},
	    {"\"http://10.1:1\"", "host: not a valid IPv4 address"},
	    {"\"http://h*st:1\"", "host: only letters, digits, '.', '-' and '_' are allowed"},
	};
	char want[256], url[300];
	const struct ctl_node_cfg *n;

	expect_err(nodes("{\"name\": \"n1\", \"server\": \"s1\"}"),
	           "chains[0].nodes[0].rpc: required");
	expect_err(server_node("9944"), "chains[0].nodes[0].rpc: expected a string, got 9944");
	for (size_t i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		(void)snprintf(want, sizeof(want), "chains[0].nodes[0].rpc: %s", bad[i].want);
		expect_err(server_node(bad[i].url), want);
	}
	/* 255 characters is the limit. */
	(void)snprintf(url, sizeof(url), "\"http://h/%s", quoted_run('p', 247) + 1);
	expect_err(server_node(url),
	           "chains[0].nodes[0].rpc: expected a URL of 1..255 characters, got 256");
	expect_err(server_node("\"\""),
	           "chains[0].nodes[0].rpc: expected a URL of 1..255 characters, got 0");
	(void)snprintf(url, sizeof(url), "\"http://h/%s", quoted_run('p', 246) + 1);
	expect_ok(server_node(url));
	n = &cfg.chains[0].nodes[0];
	ck_assert_uint_eq(strlen(n->rpc_url), 255);
	ck_assert_uint_eq(strlen(n->path), 247);
	ck_assert_uint_eq(n->port, 80);
	ctl_cfg_free(&cfg);

	expect_ok(server_node("\"https://rpc.example.com?x=1\""));
	n = &cfg.chains[0].nodes[0];
	ck_assert(n->tls);
	ck_assert_str_eq(n->host, "rpc.example.com");
	ck_assert_uint_eq(n->port, 443);
	ck_assert_str_eq(n->path, "/?x=1");
	ck_assert_int_eq(n->addr_family, 0);
	ctl_cfg_free(&cfg);

	expect_ok(server_node("\"http://[2001:DB8:0::1]:9933/a/b?c=d\""));
	n = &cfg.chains[0].nodes[0];
	ck_assert_str_eq(n->rpc_url, "http://[2001:DB8:0::1]:9933/a/b?c=d");
	ck_assert_str_eq(n->host, "2001:DB8:0::1");
	ck_assert_int_eq(n->addr_family, AF_INET6);
	ck_assert_str_eq(n->addr, "2001:db8::1");
	ck_assert_uint_eq(n->port, 9933);
	ck_assert_str_eq(n->path, "/a/b?c=d");
	ctl_cfg_free(&cfg);

	/* A numeric host fills addr for a named server too. */
	expect_ok(server_node("\"http://127.0.0.1\""));
	n = &cfg.chains[0].nodes[0];
	ck_assert_int_eq(n->addr_family, AF_INET);
	ck_assert_str_eq(n->addr, "127.0.0.1");
	ck_assert_uint_eq(n->port, 80);
	ck_assert_str_eq(n->path, "/");
}
END_TEST

#define TEMPLATE_ERR                                                                               \
	"chains[0].nodes[0].rpc: a node without \"server\" takes a server-template slot, so its "  \
	"host must be a numeric IPv4 or [IPv6] address with an explicit port"

START_TEST(test_template_node_numeric_host)
{
	expect_err(nodes("{\"name\": \"n1\", \"rpc\": \"http://node1.example:9944\"}"),
	           TEMPLATE_ERR);
	expect_err(nodes("{\"name\": \"n1\", \"rpc\": \"http://10.0.0.1\"}"), TEMPLATE_ERR);
	expect_err(nodes("{\"name\": \"n1\", \"rpc\": \"https://[::1]/\"}"), TEMPLATE_ERR);
	expect_ok(nodes("{\"name\": \"n1\", \"rpc\": \"https://[::ffff:10.0.0.1]:8443/x\"}"));
	ck_assert(ctl_node_cfg_is_template(&cfg.chains[0].nodes[0]));
	ck_assert_str_eq(cfg.chains[0].nodes[0].addr, "::ffff:10.0.0.1");
	ck_assert_uint_eq(cfg.chains[0].nodes[0].port, 8443);
	ctl_cfg_free(&cfg);
	/* Leading zeros read as octal elsewhere: refused rather than guessed. */
	expect_err(nodes("{\"name\": \"n1\", \"rpc\": \"http://192.168.001.002:9944\"}"),
	           "chains[0].nodes[0].rpc: host: not a valid IPv4 address");
}
END_TEST

START_TEST(test_key_node_batch)
{
	expect_err(nodes("{\"name\": \"n1\", " RPC ", \"batch\": \"no\"}"),
	           "chains[0].nodes[0].batch: expected true or false, got \"no\"");
	expect_err(nodes("{\"name\": \"n1\", " RPC ", \"batch\": 0}"),
	           "chains[0].nodes[0].batch: expected true or false, got 0");
	expect_err(nodes("{\"name\": \"n1\", " RPC ", \"batch\": null}"),
	           "chains[0].nodes[0].batch: expected true or false, got null");
	expect_ok(nodes("{\"name\": \"n1\", " RPC ", \"batch\": false}, {\"name\": \"n2\", " RPC
	                ", \"batch\": true}, {\"name\": \"n3\", " RPC "}"));
	ck_assert(!cfg.chains[0].nodes[0].batch);
	ck_assert(cfg.chains[0].nodes[1].batch);
	ck_assert(cfg.chains[0].nodes[2].batch);
}
END_TEST

/* ---- keys and structure -------------------------------------------------- */

START_TEST(test_unknown_keys)
{
	expect_err(top("\"intervl_ms\": 1000"),
	           "unknown key \"intervl_ms\" (did you mean \"interval_ms\"?)");
	expect_err(top("\"Region\": \"x\""), "unknown key \"Region\" (did you mean \"region\"?)");
	expect_err(top("\"max_lags\": 1"), "unknown key \"max_lags\" (did you mean \"max_lag\"?)");
	expect_err(top("\"zzz\": 1"), "unknown key \"zzz\"");
	expect_err(top("\"\": 1"), "unknown key \"\"");
	expect_err(top("\"rpc\": \"http://h:1\""),
	           "unknown key \"rpc\" (\"rpc\" belongs in a node)");
	expect_err(chain("\"name\": \"p\", \"backend\": \"b\", \"node\": [" NODE "]"),
	           "chains[0]: unknown key \"node\" (did you mean \"nodes\"?)");
	expect_err(
	    chain("\"name\": \"p\", \"backend\": \"b\", \"interval_ms\": 1, \"nodes\": [" NODE "]"),
	    "chains[0]: unknown key \"interval_ms\" (\"interval_ms\" belongs at the top level)");
	expect_err(nodes("{\"name\": \"n1\", \"sever\": \"s1\", " RPC "}"),
	           "chains[0].nodes[0]: unknown key \"sever\" (did you mean \"server\"?)");
	expect_err(nodes("{\"name\": \"n1\", \"backend\": \"s1\", " RPC "}"),
	           "chains[0].nodes[0]: unknown key \"backend\" (\"backend\" belongs in a chain)");
	/* Long and unprintable keys are cut and masked in the message. */
	expect_err(
	    top("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1"),
	    "unknown key \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
	expect_err(top("\"a\\nb\": 1"), "unknown key \"a?b\"");
}
END_TEST

START_TEST(test_duplicate_json_keys)
{
	expect_err(top("\"rise\": 2, \"rise\": 3"), "duplicate key \"rise\"");
	expect_err(build(REGION, HAPROXY, CHAINS, "\"region\": \"eu2\""),
	           "duplicate key \"region\"");
	expect_err(
	    chain("\"name\": \"p\", \"backend\": \"b\", \"name\": \"q\", \"nodes\": [" NODE "]"),
	    "chains[0]: duplicate key \"name\"");
	expect_err(nodes("{\"name\": \"n1\", " RPC ", " RPC "}"),
	           "chains[0].nodes[0]: duplicate key \"rpc\"");
}
END_TEST

START_TEST(test_broken_json)
{
	expect_err("{\n  \"region\": \"eu1\",\n  \"rise\": 2,\n}\n",
	           "invalid JSON at line 4, column 2 (near \"}\")");
	expect_err("{\"region\": \"eu1\" \"rise\": 2}",
	           "invalid JSON at line 1, column 18 (near \"ion\": \"eu1\" \"rise\": 2}\")");
	expect_err("{\"rise\": tru}",
	           "invalid JSON at line 1, column 10 (near \"{\"rise\": tru}\")");
	expect_err("{\"region\": \"eu1",
	           "invalid JSON at line 1, column 13 (near \"{\"region\": \"eu1\")");
	expect_err("{", "invalid JSON at line 1, column 1 (near \"{\")");
	expect_err("{\"a\": [1, 2,, 3]}",
	           "invalid JSON at line 1, column 13 (near \"{\"a\": [1, 2,, 3]}\")");
	expect_err("{}\n{}",
	           "unexpected text after the JSON value at line 2, column 1 (near \"{}\")");
	expect_err("{} x",
	           "unexpected text after the JSON value at line 1, column 4 (near \"{} x\")");
	/* Nesting deeper than cJSON's limit is a syntax error, not a stack overflow. */
	{
		char deep[2100];

		memset(deep, '[', 2000);
		deep[2000] = '\0';
		ck_assert_int_eq(parse(deep), -1);
		ck_assert_msg(strncmp(errbuf, "invalid JSON at line 1, column ", 31) == 0, "%s",
		              errbuf);
	}
}
END_TEST

START_TEST(test_empty_and_non_object)
{
	expect_err("", "empty config: expected a JSON object");
	expect_err(" \n\t\r\n", "empty config: expected a JSON object");
	expect_err("[]", "expected a JSON object at the top level, got an array");
	expect_err("\"config\"", "expected a JSON object at the top level, got \"config\"");
	expect_err("42", "expected a JSON object at the top level, got 42");
	expect_err("null", "expected a JSON object at the top level, got null");
	/* The first missing required key, in table order. */
	expect_err("{}", "region: required");
	ck_assert_int_eq(ctl_cfg_parse(NULL, 0, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "empty config: expected a JSON object");
}
END_TEST

/* Errors go nowhere or are cut when the caller's buffer is missing or short. */
START_TEST(test_small_error_buffer)
{
	char small[8];

	ck_assert_int_eq(ctl_cfg_parse("{}", 2, &cfg, NULL, 0), -1);
	ck_assert_int_eq(ctl_cfg_parse("{}", 2, &cfg, small, sizeof(small)), -1);
	ck_assert_str_eq(small, "region:");
	ck_assert_int_eq(ctl_cfg_load("/nonexistent/ctl.json", &cfg, NULL, 0), -1);
}
END_TEST

/* ---- files ---------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_load_errors)
{
	char dir[] = "/tmp/check_ctl_cfg.XXXXXX", path[128], want[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	expect_err("", "empty config: expected a JSON object");
	ck_assert_int_eq(ctl_cfg_load("/nonexistent/ctl.json", &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "/nonexistent/ctl.json: No such file or directory");

	ck_assert_int_eq(ctl_cfg_load(dir, &cfg, errbuf, sizeof(errbuf)), -1);
	(void)snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ck_assert_str_eq(errbuf, want);

	(void)snprintf(path, sizeof(path), "%s/empty.json", dir);
	write_file(path, "");
	ck_assert_int_eq(ctl_cfg_load(path, &cfg, errbuf, sizeof(errbuf)), -1);
	(void)snprintf(want, sizeof(want), "%s: empty config: expected a JSON object", path);
	ck_assert_str_eq(errbuf, want);

	write_file(path, "{\n\t\"region\": \"eu1\",\n\t\"rise\": 0\n}\n");
	ck_assert_int_eq(ctl_cfg_load(path, &cfg, errbuf, sizeof(errbuf)), -1);
	(void)snprintf(want, sizeof(want), "%s: rise: expected an integer 1..100, got 0", path);
	ck_assert_str_eq(errbuf, want);

	write_file(path, "{\n\t\"region\": \"eu1\",,\n}\n");
	ck_assert_int_eq(ctl_cfg_load(path, &cfg, errbuf, sizeof(errbuf)), -1);
	(void)snprintf(want, sizeof(want),
	               "%s: invalid JSON at line 2, column 19 (near \"on\": \"eu1\",,\")", path);
	ck_assert_str_eq(errbuf, want);
	ck_assert_ptr_null(cfg.chains);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A file one byte over the limit is refused before parsing; whitespace keeps it cheap. */
START_TEST(test_load_too_large)
{
	char path[] = "/tmp/check_ctl_cfg_big.XXXXXX", want[128];
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ne(fd, -1);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(top(""), f) >= 0, 1);
	ck_assert_int_eq(fseek(f, CTL_CFG_FILE_MAX, SEEK_SET), 0);
	ck_assert_int_eq(fputc(' ', f), ' ');
	ck_assert_int_eq(fclose(f), 0);
	/* Holes read as NUL bytes: that is 4 MiB + 1 of text. */
	ck_assert_int_eq(ctl_cfg_load(path, &cfg, errbuf, sizeof(errbuf)), -1);
	(void)snprintf(want, sizeof(want), "%s: larger than %u bytes", path, CTL_CFG_FILE_MAX);
	ck_assert_str_eq(errbuf, want);
	ck_assert_int_eq(truncate(path, CTL_CFG_FILE_MAX), 0);
	ck_assert_int_eq(ctl_cfg_load(path, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "unexpected text after the JSON value") != NULL, "%s", errbuf);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* ---- reload ---------------------------------------------------------------- */

/* ---- the admin and HTTP keys: http_hosts, admin_token_file, the CLI's reading ---- */

START_TEST(test_key_http_hosts)
{
	expect_ok(top(""));
	ck_assert_uint_eq(cfg.n_http_hosts, 0);
	ctl_cfg_free(&cfg);
	expect_ok(top("\"http_hosts\": [\"ctl.example\", \"ctl.example:8080\", \"[::1]\", "
	              "\"[fd00::1]:9465\", \"Ctl_2.example\"]"));
	ck_assert_uint_eq(cfg.n_http_hosts, 5);
	ck_assert_str_eq(cfg.http_hosts[0], "ctl.example");
	ck_assert_str_eq(cfg.http_hosts[3], "[fd00::1]:9465");
	ctl_cfg_free(&cfg);
	expect_err(top("\"http_hosts\": \"ctl.example\""),
	           "http_hosts: expected an array of 0..16 items, got \"ctl.example\"");
	expect_err(top("\"http_hosts\": [1]"), "http_hosts[0]: expected a string, got 1");
	expect_err(top("\"http_hosts\": [\"\"]"), "http_hosts[0]: \"\" must be 1-255 characters");
	expect_err(top("\"http_hosts\": [\"a\", \"evil.example/x\"]"),
	           "http_hosts[1]: \"evil.example/x\" host: only letters, digits, '.', '-' and "
	           "'_' are allowed");
	expect_err(top("\"http_hosts\": [\"a b\"]"),
	           "http_hosts[0]: \"a b\" host: only letters, digits, '.', '-' and '_' are "
	           "allowed");
	expect_err(top("\"http_hosts\": [\"ctl:0\"]"),
	           "http_hosts[0]: \"ctl:0\" port must be 1-65535");
	expect_err(top("\"http_hosts\": [\"ctl:09465\"]"),
	           "http_hosts[0]: \"ctl:09465\" port must be 1-65535");
	expect_err(top("\"http_hosts\": [\"ctl:65536\"]"),
	           "http_hosts[0]: \"ctl:65536\" port must be 1-65535");
	expect_err(top("\"http_hosts\": [\":9465\"]"),
	           "http_hosts[0]: \":9465\" missing host name");
	expect_err(top("\"http_hosts\": [\"[::1\"]"),
	           "http_hosts[0]: \"[::1\" expected [IPv6] or [IPv6]:PORT");
	expect_err(top("\"http_hosts\": [\"[zz::1]\"]"),
	           "http_hosts[0]: \"[zz::1]\" not a numeric IPv6 address inside []");
	expect_err(top("\"http_hosts\": [\"[::1]x\"]"),
	           "http_hosts[0]: \"[::1]x\" expected :PORT after the [IPv6] address");
	expect_err(top("\"http_hosts\": [\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
	               "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]"),
	           "http_hosts: expected an array of 0..16 items, got 17 items");
}
END_TEST

/* database: a libpq connection string, never with a password in it. */
START_TEST(test_key_database)
{
	expect_ok(top(""));
	ck_assert_str_eq(cfg.database, "");
	ck_assert_str_eq(cfg.database_password_file, "");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"database\": \"host=db.internal port=5432 dbname=polkfura user=ctl\", "
	              "\"database_password_file\": \"/etc/polkfura/db.password\""));
	ck_assert_str_eq(cfg.database, "host=db.internal port=5432 dbname=polkfura user=ctl");
	ck_assert_str_eq(cfg.database_password_file, "/etc/polkfura/db.password");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"database\": \"postgresql://ctl@db.internal:5432/polkfura\""));
	ctl_cfg_free(&cfg);
	expect_err(top("\"database\": \"\""),
	           "database: must be a libpq connection string of 1 to 1023 characters");
	expect_err(top("\"database\": 5"), "database: expected a string, got 5");
	expect_err(top("\"database\": \"dbname=x\\nhost=y\""),
	           "database: holds a control character");
	expect_err(top("\"database\": \"dbname=x PassWord=hunter2\""),
	           "database: holds a password: put it in database_password_file (mode 0600) or "
	           "PGPASSWORD, never in the config");
	expect_err(top("\"database\": \"postgresql://ctl:hunter2@db/x\""),
	           "database: holds a password: put it in database_password_file (mode 0600) or "
	           "PGPASSWORD, never in the config");
	expect_err(top("\"database\": \"postgres://ctl@db/x?PASSWORD=1\""),
	           "database: holds a password: put it in database_password_file (mode 0600) or "
	           "PGPASSWORD, never in the config");
	expect_err(top("\"database_password_file\": \"db.password\""),
	           "database_password_file: \"db.password\" must be an absolute file path of at "
	           "most 1023 characters");
}
END_TEST

START_TEST(test_key_admin_token_file)
{
	expect_ok(top(""));
	ck_assert_str_eq(cfg.admin_token_file, "");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"admin_token_file\": \"/etc/polkfura/admin.token\""));
	ck_assert_str_eq(cfg.admin_token_file, "/etc/polkfura/admin.token");
	ctl_cfg_free(&cfg);
	expect_err(top("\"admin_token_file\": \"\""),
	           "admin_token_file: \"\" must be an absolute file path of at most 1023 "
	           "characters");
	expect_err(top("\"admin_token_file\": \"token\""),
	           "admin_token_file: \"token\" must be an absolute file path of at most 1023 "
	           "characters");
	expect_err(top("\"admin_token_file\": true"),
	           "admin_token_file: expected a string, got true");
}
END_TEST

START_TEST(test_key_node_tls_ca_file)
{
	struct ctl_cfg old;

	expect_ok(top(""));
	ck_assert_str_eq(cfg.node_tls_ca_file, "");
	old = cfg;
	memset(&cfg, 0, sizeof(cfg));
	expect_ok(top("\"node_tls_ca_file\": \"/etc/polkfura/nodes-ca.pem\""));
	ck_assert_str_eq(cfg.node_tls_ca_file, "/etc/polkfura/nodes-ca.pem");
	/* Reloadable: the next polls use the new bundle. */
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), 0);
	ctl_cfg_free(&old);
	ctl_cfg_free(&cfg);
	expect_err(top("\"node_tls_ca_file\": \"ca.pem\""),
	           "node_tls_ca_file: \"ca.pem\" must be an absolute file path of at most 1023 "
	           "characters");
	expect_err(top("\"node_tls_ca_file\": null"),
	           "node_tls_ca_file: expected a string, got null");
}
END_TEST

/* A probe item as "probe": [<items>] at the top level. */
static const char *probes(const char *items)
{
	static char extra[4096];

	(void)snprintf(extra, sizeof(extra), "\"probe\": [%s]", items);
	return top(extra);
}

#define PROBE_KEY_EU2                                                                              \
	"\"probe\": [{\"region\": \"eu2\", \"url\": \"https://kusama.eu2.example.net/health\"}], " \
	"\"probe_interval_ms\": 1000, \"probe_timeout_ms\": 900, \"probe_fall\": 5, "              \
	"\"probe_rise\": 4"
#define PROBE_EU2 "{\"region\": \"eu2\", \"url\": \"https://kusama.eu2.example.net/health\""

START_TEST(test_key_probe)
{
	expect_ok(probes(PROBE_EU2
	                 ", \"chain\": \"kusama\"}, "
	                 "{\"region\": \"us-east\", \"url\": \"http://[fd00::1]:8080/health\"}"));
	ck_assert_uint_eq(cfg.n_probes, 2);
	ck_assert_str_eq(cfg.probe[0].region, "eu2");
	ck_assert_str_eq(cfg.probe[0].chain, "kusama");
	ck_assert_str_eq(cfg.probe[0].url, "https://kusama.eu2.example.net/health");
	ck_assert_str_eq(cfg.probe[1].region, "us-east");
	ck_assert_str_eq(cfg.probe[1].chain, ""); /* region-wide */
	ck_assert_str_eq(cfg.probe[1].url, "http://[fd00::1]:8080/health");
	ctl_cfg_free(&cfg);
	expect_ok(probes(""));
	ck_assert_uint_eq(cfg.n_probes, 0);
	ctl_cfg_free(&cfg);
	expect_err(top("\"probe\": {}"), "probe: expected an array of 0..16 items, got an object");
	expect_err(probes("\"https://a.example/health\""),
	           "probe[0]: expected an object {\"region\", \"url\", \"chain\"}, got "
	           "\"https://a.example/health\"");
	expect_err(probes("{\"url\": \"https://a.example/health\"}"), "probe[0].region: required");
	expect_err(probes("{\"region\": \"eu2\"}"), "probe[0].url: required");
	expect_err(probes(PROBE_EU2 ", \"weight\": 1}"),
	           "probe[0].weight: unknown or repeated key (expected \"region\", \"url\" and "
	           "\"chain\")");
	expect_err(probes(PROBE_EU2 ", \"region\": \"eu3\"}"),
	           "probe[0].region: unknown or repeated key (expected \"region\", \"url\" and "
	           "\"chain\")");
	expect_err(probes("{\"region\": \"EU2\", \"url\": \"https://a.example/health\"}"),
	           "probe[0].region: \"EU2\" must be 1-32 characters of [a-z0-9-]");
	expect_err(probes("{\"region\": 2, \"url\": \"https://a.example/health\"}"),
	           "probe[0].region: expected a string, got 2");
	/* REGION is "eu1": probing the own edge says nothing about reaching it from elsewhere. */
	expect_err(probes("{\"region\": \"eu1\", \"url\": \"https://a.example/health\"}"),
	           "probe[0].region: \"eu1\" is this controller's own region: probe the other "
	           "regions' edges");
	expect_err(probes(PROBE_EU2 ", \"chain\": \"Kusama\"}"),
	           "probe[0].chain: \"Kusama\" must be 1-32 characters of [a-z0-9-]");
	expect_err(probes(PROBE_EU2 ", \"chain\": \"\"}"),
	           "probe[0].chain: \"\" must be 1-32 characters of [a-z0-9-]");
	/* The url follows the rpc rules (cfg_url.c). */
	expect_err(probes("{\"region\": \"eu2\", \"url\": \"ftp://a.example/health\"}"),
	           "probe[0].url: must start with http:// or https://");
	expect_err(probes("{\"region\": \"eu2\", \"url\": \"https://u:p@a.example/health\"}"),
	           "probe[0].url: must not contain user:password@ credentials");
	expect_err(probes("{\"region\": \"eu2\", \"url\": null}"),
	           "probe[0].url: expected a string, got null");
	expect_err(probes(PROBE_EU2 "}, {\"region\": \"eu3\", \"url\": "
	                            "\"https://kusama.eu2.example.net/health\"}"),
	           "probe[1].url: \"https://kusama.eu2.example.net/health\" used twice (first at "
	           "probe[0].url)");
	{
		char items[2048];
		size_t n = 0;

		for (int i = 0; i < 17; i++)
			n += (size_t)snprintf(
			    items + n, sizeof(items) - n,
			    "%s{\"region\": \"eu2\", \"url\": \"https://e%d.example/\"}",
			    i ? ", " : "", i);
		expect_err(probes(items), "probe: expected an array of 0..16 items, got 17 items");
	}
}
END_TEST

START_TEST(test_key_probe_timing)
{
	UINT_KEY(probe_interval_ms, 100, 600000, "\"probe_timeout_ms\": 50", true);
	UINT_KEY(probe_timeout_ms, 50, 600000, "\"probe_interval_ms\": 600000", false);
	UINT_KEY(probe_fall, 1, 100, "", true);
	UINT_KEY(probe_rise, 1, 100, "", true);
	expect_err(top("\"probe_interval_ms\": 1000"),
	           "probe_timeout_ms: 5000 must be less than probe_interval_ms (1000)");
	expect_err(top("\"probe_interval_ms\": 200, \"probe_timeout_ms\": 200"),
	           "probe_timeout_ms: 200 must be less than probe_interval_ms (200)");
	expect_ok(top("\"probe_interval_ms\": 200, \"probe_timeout_ms\": 199"));
}
END_TEST

START_TEST(test_key_probe_tls_ca_file)
{
	struct ctl_cfg old;

	expect_ok(top(""));
	old = cfg;
	memset(&cfg, 0, sizeof(cfg));
	expect_ok(top("\"probe_tls_ca_file\": \"/etc/polkfura/edges-ca.pem\", " PROBE_KEY_EU2));
	ck_assert_str_eq(cfg.probe_tls_ca_file, "/etc/polkfura/edges-ca.pem");
	/* Every probe key reloads. */
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), 0);
	ctl_cfg_free(&old);
	ctl_cfg_free(&cfg);
	expect_err(top("\"probe_tls_ca_file\": \"ca.pem\""),
	           "probe_tls_ca_file: \"ca.pem\" must be an absolute file path of at most 1023 "
	           "characters");
}
END_TEST

/* The CLI reads http_listen and admin_token_file only: mistakes elsewhere do not matter. */
START_TEST(test_client_keys)
{
	struct ctl_cfg_client cc;
	char a[64];

	ck_assert_int_eq(ctl_cfg_parse_client("{}", 2, &cc, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(pf_addr_str(&cc.http_listen, a, sizeof(a)), "127.0.0.1:9465");
	ck_assert_str_eq(cc.admin_token_file, "");
	{
		static const char doc_ok[] =
		    "{\"intervl_ms\": 5, \"max_lag\": \"five\", \"chains\": 3, "
		    "\"http_listen\": \"127.0.0.1:9500\", \"admin_token_file\": \"/etc/t\"}";

		ck_assert_int_eq(
		    ctl_cfg_parse_client(doc_ok, strlen(doc_ok), &cc, errbuf, sizeof(errbuf)), 0);
		ck_assert_str_eq(pf_addr_str(&cc.http_listen, a, sizeof(a)), "127.0.0.1:9500");
		ck_assert_str_eq(cc.admin_token_file, "/etc/t");
	}
	{
		static const char bad_listen[] = "{\"http_listen\": \"unix:/x\"}";
		static const char bad_token[] = "{\"admin_token_file\": \"rel\"}";
		static const char not_json[] = "{\"http_listen\": \"127.0.0.1:1\",\n  oops";
		static const char nul[] = "{\"admin_token_file\": \"/etc/t\\u0000x\"}";

		ck_assert_int_eq(ctl_cfg_parse_client(bad_listen, strlen(bad_listen), &cc, errbuf,
		                                      sizeof(errbuf)),
		                 -1);
		ck_assert_str_eq(errbuf,
		                 "http_listen: \"unix:/x\" is a unix socket; expected HOST:PORT");
		ck_assert_int_eq(
		    ctl_cfg_parse_client(bad_token, strlen(bad_token), &cc, errbuf, sizeof(errbuf)),
		    -1);
		ck_assert_str_eq(errbuf,
		                 "admin_token_file: \"rel\" must be an absolute file path of "
		                 "at most 1023 characters");
		ck_assert_int_eq(
		    ctl_cfg_parse_client(not_json, strlen(not_json), &cc, errbuf, sizeof(errbuf)),
		    -1);
		ck_assert_str_eq(errbuf, "invalid JSON at line 2, column 4 (near \"  oops\")");
		ck_assert_int_eq(
		    ctl_cfg_parse_client(nul, strlen(nul), &cc, errbuf, sizeof(errbuf)), -1);
		ck_assert_ptr_nonnull(strstr(errbuf, "\\u0000"));
		ck_assert_int_eq(ctl_cfg_parse_client("[]", 2, &cc, errbuf, sizeof(errbuf)), -1);
		ck_assert_str_eq(errbuf, "expected a JSON object at the top level");
	}
	ck_assert_int_eq(ctl_cfg_load_client("/nonexistent/ctl.json", &cc, errbuf, sizeof(errbuf)),
	                 -1);
	ck_assert_str_eq(errbuf, "/nonexistent/ctl.json: No such file or directory");
}
END_TEST

/* What a reload changed, in words: every kind of change once, and none. */
START_TEST(test_diff)
{
	struct ctl_cfg old;
	char out[512];

	expect_ok(top("\"max_lag\": 5, \"node_tls_ca_file\": \"/etc/a.pem\""));
	old = cfg;
	memset(&cfg, 0, sizeof(cfg));
	ctl_cfg_diff(&old, &old, out, sizeof(out));
	ck_assert_str_eq(out, "no change");
	{
		struct ctl_cfg probed;

		expect_ok(
		    top("\"max_lag\": 5, \"node_tls_ca_file\": \"/etc/a.pem\", " PROBE_KEY_EU2));
		probed = cfg;
		memset(&cfg, 0, sizeof(cfg));
		ctl_cfg_diff(&old, &probed, out, sizeof(out));
		ck_assert_str_eq(out, "probe 0 -> 1 targets; probe_interval_ms 10000 -> 1000; "
		                      "probe_timeout_ms 5000 -> 900; probe_fall 3 -> 5; "
		                      "probe_rise 2 -> 4");
		ctl_cfg_free(&probed);
	}
	/* n1 (in CHAIN) moves to another port, p9 joins it, the backend is renamed, kusama comes.
	 */
	expect_ok(
	    build(REGION, "[\"unix:/run/haproxy.sock\", \"127.0.0.1:9999\"]",
	          "[{\"name\": \"polkadot\", \"backend\": \"be_p\", \"nodes\": ["
	          "{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": \"http://10.0.0.1:9945\"}, "
	          "{\"name\": \"p9\", \"server\": \"s9\", \"rpc\": \"http://10.0.0.9:9934\"}]}, "
	          "{\"name\": \"kusama\", \"backend\": \"be_k\", \"nodes\": ["
	          "{\"name\": \"k0\", \"server\": \"s0\", \"rpc\": \"http://10.0.0.8:9933\"}]}]",
	          "\"max_lag\": 10"));
	ctl_cfg_diff(&old, &cfg, out, sizeof(out));
	ck_assert_str_eq(out,
	                 "max_lag 5 -> 10; haproxy 1 -> 2 instances; node_tls_ca_file changed; "
	                 "chain kusama added; chain polkadot changed; node n1 changed; node p9 "
	                 "added to polkadot; node k0 added to kusama");
	/* Cut short rather than overflow. */
	ctl_cfg_diff(&old, &cfg, out, 20);
	ck_assert_str_eq(out, "max_lag 5 -> 10; ha");
	ctl_cfg_diff(&cfg, &old, out, sizeof(out));
	ck_assert_str_eq(out,
	                 "max_lag 10 -> 5; haproxy 2 -> 1 instances; node_tls_ca_file changed; "
	                 "chain polkadot changed; chain kusama removed; node n1 changed; node p9 "
	                 "removed from polkadot; node k0 removed from kusama");
	ctl_cfg_free(&cfg);
	ctl_cfg_free(&old);
}
END_TEST

START_TEST(test_reload_check)
{
	struct ctl_cfg old;

	expect_ok(top("\"http_listen\": \"127.0.0.1:9465\", \"state_file\": \"/var/lib/a.json\""));
	old = cfg;
	memset(&cfg, 0, sizeof(cfg));

	/* Everything else may change, including the chains and the sockets. */
	expect_ok(build(REGION, "[\"127.0.0.1:9999\"]",
	                "[{\"name\": \"kusama\", \"backend\": \"be_k\", \"block_time_ms\": 2000, "
	                "\"genesis\": \"" GENESIS_LOWER "\", \"nodes\": [" NODE "]}]",
	                "\"interval_ms\": 5000, \"log_level\": \"debug\", \"http_listen\": "
	                "\"127.0.0.1:09465\", \"state_file\": \"/var/lib/a.json\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &old, errbuf, sizeof(errbuf)), 0);
	ctl_cfg_free(&cfg);

	expect_ok(top("\"http_listen\": \"127.0.0.1:9466\", \"state_file\": \"/var/lib/a.json\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "http_listen: cannot change on reload (\"127.0.0.1:9465\" -> "
	                         "\"127.0.0.1:9466\"); restart polkfura-ctl to apply it");
	ctl_cfg_free(&cfg);

	expect_ok(top("\"state_file\": \"/var/lib/b.json\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "state_file: cannot change on reload (\"/var/lib/a.json\" -> "
	                         "\"/var/lib/b.json\"); restart polkfura-ctl to apply it");
	ctl_cfg_free(&cfg);

	expect_ok(top("\"http_listen\": \"127.0.0.1:9465\", \"state_file\": \"/var/lib/a.json\", "
	              "\"http_hosts\": [\"ctl.a\", \"ctl.b:1\"]"));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf,
	                 "http_hosts: cannot change on reload (\"\" -> \"ctl.a, ctl.b:1\"); "
	                 "restart polkfura-ctl to apply it");
	ctl_cfg_free(&cfg);

	expect_ok(top("\"http_listen\": \"127.0.0.1:9465\", \"state_file\": \"/var/lib/a.json\", "
	              "\"admin_token_file\": \"/etc/t\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "admin_token_file: cannot change on reload (\"\" -> \"/etc/t\"); "
	                         "restart polkfura-ctl to apply it");
	ctl_cfg_free(&cfg);

	/* The recording keys: the writer holds the region's lock and the spool from the start. */
	expect_ok(
	    build("\"eu2\"", HAPROXY, CHAINS,
	          "\"http_listen\": \"127.0.0.1:9465\", \"state_file\": \"/var/lib/a.json\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "region: cannot change on reload (\"eu1\" -> \"eu2\"); restart "
	                         "polkfura-ctl to apply it");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"http_listen\": \"127.0.0.1:9465\", \"state_file\": \"/var/lib/a.json\", "
	              "\"database\": \"dbname=x\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf,
	                 "database: cannot change on reload (\"\" -> \"dbname=x\"); restart "
	                 "polkfura-ctl to apply it");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"http_listen\": \"127.0.0.1:9465\", \"state_file\": \"/var/lib/a.json\", "
	              "\"spool_dir\": \"/srv/spool\""));
	ck_assert_int_eq(ctl_cfg_reload_check(&old, &cfg, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf,
	                 "spool_dir: cannot change on reload (\"/var/lib/polkfura/spool\" -> "
	                 "\"/srv/spool\"); restart polkfura-ctl to apply it");
	ctl_cfg_free(&old);
}
END_TEST

START_TEST(test_free)
{
	ctl_cfg_free(NULL);
	expect_ok(top(""));
	ctl_cfg_free(&cfg);
	ck_assert_ptr_null(cfg.chains);
	ctl_cfg_free(&cfg);
}
END_TEST

/* Every key appears once in the dump, with its default and reload mode. */
/* log_listen: udp (IPv4, IPv6) or unix, off by default, refused in any other form. */
START_TEST(test_key_log_listen)
{
	char a[128];

	expect_ok(top(NULL));
	ck_assert_uint_eq(cfg.log_listen.len, 0);
	ck_assert_str_eq(cfg.methods_file, "/etc/polkfura/methods.tsv");
	ck_assert_uint_eq(cfg.usage_retention_days, 90);
	ctl_cfg_free(&cfg);
	expect_ok(top("\"log_listen\": \"udp:127.0.0.1:5514\""));
	ck_assert(!cfg.log_listen.is_unix);
	ck_assert_str_eq(pf_addr_str(&cfg.log_listen, a, sizeof(a)), "127.0.0.1:5514");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"log_listen\": \"udp:[::1]:5514\""));
	ck_assert_str_eq(pf_addr_str(&cfg.log_listen, a, sizeof(a)), "[::1]:5514");
	ctl_cfg_free(&cfg);
	expect_ok(top("\"log_listen\": \"unix:/run/polkfura/log.sock\""));
	ck_assert(cfg.log_listen.is_unix);
	ck_assert_str_eq(pf_addr_str(&cfg.log_listen, a, sizeof(a)), "unix:/run/polkfura/log.sock");
	ctl_cfg_free(&cfg);
	expect_err(top("\"log_listen\": \"127.0.0.1:5514\""),
	           "log_listen: \"127.0.0.1:5514\": expected udp:HOST:PORT or unix:/ABSOLUTE/PATH");
	expect_err(top("\"log_listen\": \"udp:unix:/x\""),
	           "log_listen: \"udp:unix:/x\": expected udp:HOST:PORT");
	expect_err(top("\"log_listen\": \"unix:relative\""),
	           "log_listen: \"unix:relative\": expected udp:HOST:PORT or unix:/ABSOLUTE/PATH");
	expect_err(top("\"log_rcvbuf\": 1000"),
	           "log_rcvbuf: expected an integer 65536..268435456, got 1000");
}
END_TEST

/* cachet: off by default; url, token_file and components required; chains and database checked. */
START_TEST(test_key_cachet)
{
#define DB    "\"database\": \"host=/run/postgresql\", "
#define CA(x) DB "\"cachet\": {" x "}"
	struct ctl_cfg other;

	expect_ok(top(NULL));
	ck_assert_str_eq(cfg.cachet.url, "");
	ctl_cfg_free(&cfg);
	expect_ok(top(CA("\"url\": \"https://status.example.org/\", \"token_file\": \"/etc/t\", "
	                 "\"components\": {\"polkadot\": 7}")));
	ck_assert_str_eq(cfg.cachet.url, "https://status.example.org");
	ck_assert_str_eq(cfg.cachet.token_file, "/etc/t");
	ck_assert_uint_eq(cfg.cachet.n_components, 1);
	ck_assert_str_eq(cfg.cachet.chain[0], "polkadot");
	ck_assert_uint_eq(cfg.cachet.component[0], 7);
	/* A restart key: a reload that changes it is refused. */
	ck_assert_int_eq(ctl_cfg_parse(top(DB), strlen(top(DB)), &other, errbuf, sizeof(errbuf)),
	                 0);
	ck_assert_int_eq(ctl_cfg_reload_check(&cfg, &other, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "cachet: cannot change on reload"));
	ctl_cfg_free(&other);
	ctl_cfg_free(&cfg);
	expect_err(top("\"cachet\": {\"url\": \"https://s\", \"token_file\": \"/t\", "
	               "\"components\": {\"polkadot\": 1}}"),
	           "cachet: needs \"database\": only the region's lock holder pushes to Cachet");
	expect_err(top(CA("\"url\": \"https://s\", \"token_file\": \"/t\", "
	                  "\"components\": {\"kusama\": 1}")),
	           "cachet.components.kusama: not a chain of \"chains\"");
	expect_err(top(CA("\"url\": \"https://s\", \"token_file\": \"/t\", "
	                  "\"components\": {\"polkadot\": 0}")),
	           "cachet.components.polkadot: expected an integer 1..2147483647, got 0");
	expect_err(top(CA("\"url\": \"https://s\", \"token_file\": \"/t\", \"components\": {}")),
	           "cachet.components: name at least one chain");
	expect_err(top(CA("\"url\": \"https://s\", \"components\": {\"polkadot\": 1}")),
	           "cachet.token_file: required");
	expect_err(
	    top(CA("\"url\": \"https://s\", \"token_file\": \"t\", "
	           "\"components\": {\"polkadot\": 1}")),
	    "cachet.token_file: \"t\" must be an absolute file path of at most 1023 characters");
	expect_err(top(CA("\"url\": \"https://s\", \"token\": \"x\"")),
	           "cachet.token: unknown or repeated key (expected \"url\", \"token_file\" and "
	           "\"components\")");
#undef CA
#undef DB
}
END_TEST

/* `check` validates the snapshot section too (its own rules: tests/unit/check_snapcfg.c). */
START_TEST(test_key_snapshot)
{
	expect_ok(top("\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": "
	              "\"/srv/dot\", \"rpc\": \"http://127.0.0.1:9944\"}], \"s3_tar\": "
	              "{\"bucket\": \"snap\", \"region\": \"eu-west-1\"}}"));
	ctl_cfg_free(&cfg);
	expect_err(top("\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": "
	               "\"/srv/dot\", \"rpc\": \"http://127.0.0.1:9944\", \"pre\": \"rm -rf /\"}], "
	               "\"s3_tar\": {\"bucket\": \"snap\", \"region\": \"eu-west-1\"}}"),
	           "snapshot.chains[0].pre: expected an argv array of 1..32 strings (run without a "
	           "shell), [\"/usr/bin/systemctl\", \"stop\", \"polkadot\"]");
	expect_err(top("\"snapshot\": 3"), "snapshot: expected an object");
}
END_TEST

START_TEST(test_dump_keys)
{
	static const char *const lines[] = {
	    "region\tstring\trequired\t1-32 chars [a-z0-9-]\trestart\n",
	    "interval_ms\tinteger\t1000\t100..60000\tyes\n",
	    "timeout_ms\tinteger\t800\t50..60000\tyes\n",
	    "max_lag\tinteger\t5\t0..100000\tyes\n",
	    "max_lag_seconds\tinteger\t0\t0..86400\tyes\n",
	    "max_finalized_lag\tinteger\t0\t0..100000\tyes\n",
	    "min_peers\tinteger\t2\t0..10000\tyes\n",
	    "rise\tinteger\t2\t1..100\tyes\n",
	    "fall\tinteger\t2\t1..100\tyes\n",
	    "min_drain_ms\tinteger\t30000\t0..86400000\tyes\n",
	    "min_ready\tinteger\t1\t0..1000\tyes\n",
	    "stall_ms\tinteger\t60000\t0..86400000\tyes\n",
	    "drain_grace_ms\tinteger\t60000\t0..86400000\tyes\n",
	    "haproxy\taddresses\trequired\t1..8 items\tyes\n",
	    "http_listen\taddress\t127.0.0.1:9465\tHOST:PORT\trestart\n",
	    "http_hosts\thosts\t[]\t0..16 items HOST[:PORT]\trestart\n",
	    "state_file\tpath\t/var/lib/polkfura/ctl-state.json\tat most 1023 chars\trestart\n",
	    "admin_token_file\tpath\t(none)\tat most 1023 chars\trestart\n",
	    "node_tls_ca_file\tpath\t(none)\tat most 1023 chars\tyes\n",
	    "database\tconninfo\t(none)\tat most 1023 chars\trestart\n",
	    "database_password_file\tpath\t(none)\tat most 1023 chars\trestart\n",
	    "spool_dir\tpath\t/var/lib/polkfura/spool\tat most 1023 chars\trestart\n",
	    "probe\tobjects\t[]\t0..16 items\tyes\n",
	    "probe_interval_ms\tinteger\t10000\t100..600000\tyes\n",
	    "probe_timeout_ms\tinteger\t5000\t50..600000\tyes\n",
	    "probe_fall\tinteger\t3\t1..100\tyes\n",
	    "probe_rise\tinteger\t2\t1..100\tyes\n",
	    "probe_tls_ca_file\tpath\t(none)\tat most 1023 chars\tyes\n",
	    "log_level\tenum\tinfo\terr|warn|info|debug\tyes\n",
	    "log_listen\taddress\t(none)\tudp:HOST:PORT|unix:PATH\trestart\n",
	    "log_socket_group\tstring\t(none)\t1-63 chars [A-Za-z0-9_.-]\trestart\n",
	    "log_rcvbuf\tinteger\t4194304\t65536..268435456\tyes\n",
	    "methods_file\tpath\t/etc/polkfura/methods.tsv\tat most 1023 chars\tyes\n",
	    "usage_retention_days\tinteger\t90\t0..36500\tyes\n",
	    "cachet\tobject\t(none)\t{url, token_file, components}\trestart\n",
	    "snapshot\tobject\t(none)\t{chains, s3_files, s3_tar, ...}\tyes\n",
	    "chains\tobjects\trequired\t1..64 items\tyes\n",
	    "haproxy[].socket\taddress\trequired\tunix:PATH|HOST:PORT\tyes\n",
	    "haproxy[].server_state_file\tpath\t(none)\tat most 1023 chars\tyes\n",
	    "probe[].region\tstring\trequired\t1-32 chars [a-z0-9-]\tyes\n",
	    "probe[].url\turl\trequired\tat most 255 chars\tyes\n",
	    "probe[].chain\tstring\t(none)\t1-32 chars [a-z0-9-]\tyes\n",
	    "cachet.url\turl\trequired\tat most 255 chars\trestart\n",
	    "cachet.token_file\tpath\trequired\tat most 1023 chars\trestart\n",
	    "cachet.components\tobject\trequired\t{chain: 1..2147483647}\trestart\n",
	    "chains[].name\tstring\trequired\t1-32 chars [a-z0-9-]\tyes\n",
	    "chains[].backend\tstring\trequired\t1-63 chars [A-Za-z0-9_.:-]\tyes\n",
	    "chains[].heavy_backends\tnames\t[]\t0..8 items of 1-63 chars [A-Za-z0-9_.:-]\tyes\n",
	    "chains[].genesis\thash\t(none)\t0x + 64 hex digits\tyes\n",
	    "chains[].block_time_ms\tinteger\t6000\t100..600000\tyes\n",
	    "chains[].nodes\tobjects\trequired\t1..1024 items\tyes\n",
	    "chains[].nodes[].name\tstring\trequired\t1-63 chars [A-Za-z0-9_.-]\tyes\n",
	    "chains[].nodes[].server\tstring\t(none)\t1-63 chars [A-Za-z0-9_.-]\tyes\n",
	    "chains[].nodes[].rpc\turl\trequired\tat most 255 chars\tyes\n",
	    "chains[].nodes[].batch\tbool\ttrue\ttrue|false\tyes\n",
	    "snapshot.chains\tobjects\trequired\t1..8 items\tyes\n",
	    "snapshot.chains[].name\tstring\trequired\t1-32 chars [a-z0-9-]\tyes\n",
	    "snapshot.chains[].base_path\tpath\trequired\tat most 1023 chars\tyes\n",
	    "snapshot.chains[].rpc\turl\trequired\tat most 255 chars\tyes\n",
	    "snapshot.chains[].pre\targv\t(none)\t1..32 items\tyes\n",
	    "snapshot.chains[].post\targv\t(none)\t1..32 items\tyes\n",
	    "snapshot.chains[].hook_timeout_s\tinteger\t600\t1..86400\tyes\n",
	    "snapshot.chains[].exclude\tpatterns\t[]\t0..64 items\tyes\n",
	    "snapshot.s3_files\tobject\t(none)\t{bucket, region, endpoint, prefix}\tyes\n",
	    "snapshot.s3_files.bucket\tstring\trequired\t3-63 chars [a-z0-9.-]\tyes\n",
	    "snapshot.s3_files.region\tstring\trequired\t1-32 chars [a-z0-9-]\tyes\n",
	    "snapshot.s3_files.endpoint\turl\t(none)\tat most 255 chars\tyes\n",
	    "snapshot.s3_files.prefix\tstring\t(none)\tat most 255 chars\tyes\n",
	    "snapshot.s3_files.cdn_url\turl\t(none)\tat most 255 chars\tyes\n",
	    "snapshot.s3_tar\tobject\t(none)\t{bucket, region, endpoint, prefix}\tyes\n",
	    "snapshot.s3_tar.bucket\tstring\trequired\t3-63 chars [a-z0-9.-]\tyes\n",
	    "snapshot.s3_tar.region\tstring\trequired\t1-32 chars [a-z0-9-]\tyes\n",
	    "snapshot.s3_tar.endpoint\turl\t(none)\tat most 255 chars\tyes\n",
	    "snapshot.s3_tar.prefix\tstring\t(none)\tat most 255 chars\tyes\n",
	    "snapshot.s3_tar.cdn_url\turl\t(none)\tat most 255 chars\tyes\n",
	    "snapshot.ipfs\tobject\t(none)\t{api, timeout_s}\tyes\n",
	    "snapshot.ipfs.api\turl\trequired\tat most 255 chars\tyes\n",
	    "snapshot.ipfs.timeout_s\tinteger\t0\t0..604800\tyes\n",
	    "snapshot.retention\tinteger\t3\t1..1000\tyes\n",
	    "snapshot.part_size_mb\tinteger\t16\t5..5120\tyes\n",
	    "snapshot.parallel\tinteger\t2\t1..16\tyes\n",
	    "snapshot.state_dir\tpath\t/var/lib/polkfura/snapshot\tat most 1023 chars\tyes\n",
	};
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ctl_cfg_dump_keys(f);
	ck_assert_int_eq(fclose(f), 0);
	p = buf;
	for (size_t i = 0; i < PF_ARRAY_SIZE(lines); i++) {
		ck_assert_msg(strncmp(p, lines[i], strlen(lines[i])) == 0,
		              "line %zu: want %s got %s", i, lines[i], p);
		p += strlen(lines[i]);
	}
	ck_assert_str_eq(p, "");
	free(buf);
}
END_TEST

static Suite *ctl_cfg_suite(void)
{
	Suite *s = suite_create("ctl_cfg");
	TCase *tc = tcase_create("configs");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_valid_file);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_length_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_key_region);
	tcase_add_test(tc, test_key_interval_ms);
	tcase_add_test(tc, test_key_timeout_ms);
	tcase_add_test(tc, test_key_max_lag);
	tcase_add_test(tc, test_key_max_lag_seconds);
	tcase_add_test(tc, test_key_max_finalized_lag);
	tcase_add_test(tc, test_key_min_peers);
	tcase_add_test(tc, test_key_rise);
	tcase_add_test(tc, test_key_fall);
	tcase_add_test(tc, test_key_min_drain_ms);
	tcase_add_test(tc, test_key_min_ready);
	tcase_add_test(tc, test_key_stall_ms);
	tcase_add_test(tc, test_key_drain_grace_ms);
	tcase_add_test(tc, test_key_haproxy);
	tcase_add_test(tc, test_key_http_listen);
	tcase_add_test(tc, test_key_state_file);
	tcase_add_test(tc, test_key_http_hosts);
	tcase_add_test(tc, test_key_admin_token_file);
	tcase_add_test(tc, test_key_node_tls_ca_file);
	tcase_add_test(tc, test_key_probe);
	tcase_add_test(tc, test_key_probe_timing);
	tcase_add_test(tc, test_key_probe_tls_ca_file);
	tcase_add_test(tc, test_client_keys);
	tcase_add_test(tc, test_key_log_level);
	tcase_add_test(tc, test_key_chains);
	tcase_add_test(tc, test_key_chain_name);
	tcase_add_test(tc, test_key_chain_backend);
	tcase_add_test(tc, test_key_chain_heavy_backends);
	tcase_add_test(tc, test_key_chain_genesis);
	tcase_add_test(tc, test_key_chain_block_time_ms);
	tcase_add_test(tc, test_key_chain_nodes);
	tcase_add_test(tc, test_key_node_name);
	tcase_add_test(tc, test_key_node_server);
	tcase_add_test(tc, test_key_node_rpc);
	tcase_add_test(tc, test_template_node_numeric_host);
	tcase_add_test(tc, test_key_node_batch);
	suite_add_tcase(s, tc);

	tc = tcase_create("structure");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_duplicate_json_keys);
	tcase_add_test(tc, test_broken_json);
	tcase_add_test(tc, test_empty_and_non_object);
	tcase_add_test(tc, test_small_error_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_load_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_reload_check);
	tcase_add_test(tc, test_free);
	tcase_add_test(tc, test_dump_keys);
	tcase_add_test(tc, test_key_log_listen);
	tcase_add_test(tc, test_key_cachet);
	tcase_add_test(tc, test_diff);
	tcase_add_test(tc, test_key_database);
	tcase_add_test(tc, test_key_snapshot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctl_cfg_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
