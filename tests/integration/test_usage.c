/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl usage` and the report's capacity section against a real
 * PostgreSQL started by the harness (tests/harness/pg.h): the schema
 * migrated with `db migrate`, then a known set of rpc_minutes and
 * minute_samples rows inserted with psql (below): two controllers of
 * region eu whose rows add up, a second region, minutes with 3, 2 and 0
 * nodes in rotation and one without a sample, an overflow row, a row just
 * outside the window. Every figure asserted was worked out by hand from
 * those rows (the arithmetic is in the comments), for the table, CSV (by
 * lines) and JSON (cJSON); --by time's order; --capacity's model with its
 * flags; the report's capacity section equal to `usage --capacity` for the
 * same window; bad flag values, no database key, no sql/004 and nobody
 * listening (exit codes, one line). No HAProxy.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/pg.h"

#define OUT_MAX (256 * 1024)
#define WINDOW  "--since 2026-11-01T10:00:00Z --until 2026-11-01T10:05:00Z"
#define MODEL   "--node-capacity 0.25 --target-util 0.8 --min-minutes 3"

static struct h_pg pg;
static char config[512];
static char out[OUT_MAX];

/*
 * The rows. Window [10:00, 10:05) = 300 s. Columns: id, region, controller,
 * minute, chain, method, class, status, overflow, requests, errors, calls,
 * bytes, node_ms, ta_count, ta_sum_ms, ta_le_ms, ta_counts.
 */
static const char dataset[] =
    "INSERT INTO rpc_minutes (id, region, controller, minute, chain, method, class, status, "
    "overflow, requests, errors, calls, bytes, node_ms, ta_count, ta_sum_ms, ta_le_ms, "
    "ta_counts) VALUES "
    /* eu, two controllers, the same key and minute: they add up. */
    "('r1','eu','c1','2026-11-01T10:00:00Z','polkadot','chain_getBlock','read','2xx',false,"
    " 10, 0, 10, 1000, 1200, 10, 100, '{9,18}', '{6,4}'),"
    "('r2','eu','c2','2026-11-01T10:00:00Z','polkadot','chain_getBlock','read','2xx',false,"
    " 20, 2, 20, 3000, 2400, 20, 200, '{9,104}', '{18,2}'),"
    "('r3','eu','c1','2026-11-01T10:01:00Z','polkadot','state_call','heavy','2xx',false,"
    " 6, 0, 6, 600, 36000, 6, 36000, '{1024,8192}', '{3,3}'),"
    "('r4','eu','c1','2026-11-01T10:01:00Z','polkadot','state_call','heavy','5xx',false,"
    " 2, 2, 2, 100, 0, 2, 130000, '{2147483647}', '{2}'),"
    "('r5','eu','c2','2026-11-01T10:01:00Z','polkadot','batch','read','2xx',false,"
    " 4, 0, 40, 8000, 4000, 4, 80, '{18,36}', '{2,2}'),"
    "('r6','us','c3','2026-11-01T10:00:00Z','polkadot','chain_getBlock','read','2xx',false,"
    " 30, 3, 30, 3000, 1800, 30, 250, '{9}', '{30}'),"
    "('r7','us','c3','2026-11-01T10:02:00Z','kusama','system_health','read','2xx',false,"
    " 60, 0, 60, 600, 2400, 60, 0, '{1}', '{60}'),"
    "('r8','eu','c1','2026-11-01T10:02:00Z','','','','',true,"
    " 5, 1, 5, 50, 500, 5, 40, '{9}', '{5}'),"
    /* Calls while no node is in rotation (10:02 eu/polkadot has 0). */
    "('r10','eu','c2','2026-11-01T10:02:00Z','polkadot','system_health','read','2xx',false,"
    " 6, 0, 6, 60, 0, 6, 6, '{2}', '{6}'),"
    /* 10:05 is --until: outside. */
    "('r9','eu','c1','2026-11-01T10:05:00Z','polkadot','chain_getBlock','read','2xx',false,"
    " 1000, 1000, 1000, 1000, 1000000, 1000, 1000, '{9}', '{1000}');"
    "INSERT INTO minute_samples (id, region, chain, minute, nodes_total, nodes_healthy,"
    " nodes_in_rotation, ref_height) VALUES "
    "('s1','eu','polkadot','2026-11-01T10:00:00Z', 3, 3, 3, 100),"
    "('s2','eu','polkadot','2026-11-01T10:01:00Z', 3, 2, 2, 101),"
    "('s3','eu','polkadot','2026-11-01T10:02:00Z', 3, 0, 0, 102),"
    "('s4','us','polkadot','2026-11-01T10:00:00Z', 1, 1, 1, 100),"
    "('s5','us','kusama','2026-11-01T10:01:00Z', 2, 2, 2, 50),"
    "('s6','us','kusama','2026-11-01T10:02:00Z', 2, 2, 2, 51);";

static void write_config(const char *path, const char *database)
{
	char json[2048];

	snprintf(json, sizeof(json),
	         "{\"region\": \"eu\", \"min_ready\": 2, \"haproxy\": [\"unix:/run/haproxy.sock\"],"
	         " \"chains\": [{\"name\": \"polkadot\", \"backend\": \"be_polkadot\","
	         " \"nodes\": [{\"name\": \"n1\", \"server\": \"s1\", \"rpc\": "
	         "\"http://127.0.0.1:9\"}]}]%s%s%s}",
	         database != NULL ? ", \"database\": \"" : "", database != NULL ? database : "",
	         database != NULL ? "\"" : "");
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void sql(const char *q)
{
	char buf[4096];

	ck_assert_msg(h_pg_sql(&pg, NULL, q, buf, sizeof(buf)) == 0, "psql: %s", buf);
}

static void migrate(const char *dir)
{
	char args[1200];

	snprintf(args, sizeof(args), "db migrate --config '%s' --sql-dir '%s'", config, dir);
	ck_assert_msg(h_ctl_run(NULL, args, out, sizeof(out)) == 0, "%s", out);
}

static void setup(void)
{
	ck_assert_msg(h_pg_start(&pg), "postgres did not start");
	snprintf(config, sizeof(config), "%s/ctl-%d.json", h_tmpdir(), (int)getpid());
	write_config(config, pg.conninfo);
}

static void teardown(void)
{
	h_stop_all();
}

static void load(void)
{
	migrate("sql");
	sql(dataset);
}

/* Runs `polkfura-ctl <cmd> --config <config> <args>`, stdout only into out. Returns the code. */
static int ctl(const char *cmd, const char *args)
{
	char line[2048];
	int st;

	snprintf(line, sizeof(line), "%s/polkfura-ctl %s --config '%s' %s", h_build_dir(), cmd,
	         config, args);
	st = h_run(line, out, sizeof(out));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `usage <args>` with stderr folded in. */
static int usage_err(const char *args)
{
	char a[2048];

	snprintf(a, sizeof(a), "usage --config '%s' %s", config, args);
	return h_ctl_run(NULL, a, out, sizeof(out));
}

static void assert_one_line(void)
{
	char *nl = strchr(out, '\n');

	ck_assert_msg(nl != NULL && nl[1] == '\0', "not one line: %s", out);
}

static cJSON *json_of(const char *cmd, const char *args)
{
	cJSON *j;

	ck_assert_msg(ctl(cmd, args) == 0, "%s %s: %s", cmd, args, out);
	j = cJSON_Parse(out);
	ck_assert_msg(j != NULL, "not JSON: %.300s", out);
	return j;
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	ck_assert_msg(v != NULL, "no %s", key);
	return v;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);

	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
	return v->valuestring;
}

/* The expected figures of one key. */
struct want {
	const char *chain, *key;
	double requests, calls, cps, err_pct, bytes;
	double p50, p95, p99; /* -1: null */
	double node_s, node_pct;
	bool at_least;
};

static void assert_key(const cJSON *o, const struct want *w)
{
	const char *names[] = {"p50_ms", "p95_ms", "p99_ms"};
	double ps[] = {w->p50, w->p95, w->p99};

	ck_assert_str_eq(str(o, "chain"), w->chain);
	ck_assert_str_eq(str(o, "key"), w->key);
	ck_assert_double_eq(num(o, "requests"), w->requests);
	ck_assert_double_eq(num(o, "calls"), w->calls);
	ck_assert_double_eq_tol(num(o, "calls_per_s"), w->cps, 1e-9);
	ck_assert_double_eq_tol(num(o, "error_pct"), w->err_pct, 1e-9);
	ck_assert_double_eq(num(o, "bytes"), w->bytes);
	for (int i = 0; i < 3; i++) {
		if (ps[i] < 0)
			ck_assert(cJSON_IsNull(get(o, names[i])));
		else
			ck_assert_double_eq(num(o, names[i]), ps[i]);
	}
	ck_assert_double_eq_tol(num(o, "node_s"), w->node_s, 1e-9);
	ck_assert_double_eq_tol(num(o, "node_pct"), w->node_pct, 1e-9);
	ck_assert(cJSON_IsBool(get(o, "p99_at_least")));
	ck_assert_int_eq(cJSON_IsTrue(get(o, "p99_at_least")), w->at_least);
}

/*
 * By method over both regions. Per key (chain, method):
 * - kusama/system_health (r7): 60 requests, 60 calls = 0.200/s, 2400 ms of
 *   node time; 60 values under 1 ms: p50 = p95 = p99 = 0.
 * - polkadot/chain_getBlock (r1 + r2 + r6, two controllers and two
 *   regions): 60 requests, 5 errors = 8.33 %, 7000 bytes, 5400 ms. Buckets
 *   [8,9): 6+18+30 = 54, [16,18): 4, [96,104): 2. Ranks 30, 57, 60 of 60:
 *   8, 17, 103.
 * - polkadot/state_call (r3 + r4): 8 requests, 2 errors = 25 %, 8/300 =
 *   0.027/s, 36000 ms; [1016..1024) 3, [7168,8192) 3, overflow 2: ranks 4,
 *   8, 8: 8191, >=65536, >=65536.
 * - polkadot/system_health (r10): 6, 0 ms node time, 6 values in [1,2): 1.
 * - (overflow) (r8): 5 requests, 1 error = 20 %, 500 ms, 5 in [8,9): 8.
 * - polkadot/batch (r5): 4 requests but 40 calls = 0.133/s, 4000 ms;
 *   [16,18) 2, [32,36) 2: ranks 2, 4, 4: 17, 35, 35.
 * Node time in all: 2400 + 5400 + 36000 + 0 + 500 + 4000 = 48300 ms.
 * Ranked by requests, ties by chain then key: kusama before polkadot.
 */
static const struct want by_method[] = {
    {"kusama", "system_health", 60, 60, 0.2, 0, 600, 0, 0, 0, 2.4, 4.97, false},
    {"polkadot", "chain_getBlock", 60, 60, 0.2, 8.33, 7000, 8, 17, 103, 5.4, 11.18, false},
    {"polkadot", "state_call", 8, 8, 0.027, 25, 700, 8191, 65536, 65536, 36, 74.53, true},
    {"polkadot", "system_health", 6, 6, 0.02, 0, 60, 1, 1, 1, 0, 0, false},
    {"", "", 5, 5, 0.017, 20, 50, 8, 8, 8, 0.5, 1.04, false},
    {"polkadot", "batch", 4, 40, 0.133, 0, 8000, 17, 35, 35, 4, 8.28, false},
};

START_TEST(test_by_method_json)
{
	cJSON *j, *keys, *total;

	load();
	j = json_of("usage", "--format json " WINDOW);
	ck_assert_str_eq(str(j, "from"), "2026-11-01T10:00:00Z");
	ck_assert_str_eq(str(j, "to"), "2026-11-01T10:05:00Z");
	ck_assert_str_eq(str(j, "by"), "method");
	ck_assert_double_eq(num(j, "keys_total"), 6);
	ck_assert_double_eq(num(j, "bad_rows"), 0);
	keys = cJSON_GetObjectItem(j, "keys");
	ck_assert_int_eq(cJSON_GetArraySize(keys), 6);
	for (int i = 0; i < 6; i++)
		assert_key(cJSON_GetArrayItem(keys, i), &by_method[i]);
	ck_assert(cJSON_IsTrue(get(cJSON_GetArrayItem(keys, 4), "overflow")));
	/*
	 * Total: 143 requests, 8 errors = 5.59 %, 179 calls = 0.597/s, 16410
	 * bytes. Merged buckets: [0,1) 60, [1,2) 6, [8,9) 59, [16,18) 6,
	 * [32,36) 2, [96,104) 2, [1016,1024) 3, [7168,8192) 3, overflow 2.
	 * Ranks 72, 136, 142 of 143: 8, 1023, >=65536.
	 */
	total = cJSON_GetObjectItem(j, "total");
	ck_assert_double_eq(num(total, "requests"), 143);
	ck_assert_double_eq(num(total, "calls"), 179);
	ck_assert_double_eq_tol(num(total, "calls_per_s"), 0.597, 1e-9);
	ck_assert_double_eq_tol(num(total, "error_pct"), 5.59, 1e-9);
	ck_assert_double_eq(num(total, "bytes"), 16410);
	ck_assert_double_eq(num(total, "p50_ms"), 8);
	ck_assert_double_eq(num(total, "p95_ms"), 1023);
	ck_assert_double_eq(num(total, "p99_ms"), 65536);
	ck_assert_double_eq_tol(num(total, "node_s"), 48.3, 1e-9);
	cJSON_Delete(j);
	/* --top 2: the first two only, the total still of all six. */
	j = json_of("usage", "--format json --top 2 " WINDOW);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "keys")), 2);
	ck_assert_double_eq(num(cJSON_GetObjectItem(j, "total"), "requests"), 143);
	cJSON_Delete(j);
}
END_TEST

/* Splits out at CRLF: returns the number of lines, pointers into out in <lines>. */
static size_t csv_lines(char **lines, size_t max)
{
	size_t n = 0;

	for (char *p = out; *p != '\0' && n < max;) {
		char *e = strstr(p, "\r\n");

		ck_assert_msg(e != NULL, "a line without CRLF: %s", p);
		*e = '\0';
		lines[n++] = p;
		p = e + 2;
	}
	return n;
}

START_TEST(test_csv_and_by_time)
{
	char *lines[16];
	static const char *const want[] = {
	    "chain,method,requests,calls,calls_per_s,error_pct,bytes,p50_ms,p95_ms,p99_ms,node_s,"
	    "node_pct",
	    /* By node time: 36000, 5400, 4000, 2400, 500, 0 ms. */
	    "polkadot,state_call,8,8,0.027,25.00,700,8191,>=65536,>=65536,36.000,74.53",
	    "polkadot,chain_getBlock,60,60,0.200,8.33,7000,8,17,103,5.400,11.18",
	    "polkadot,batch,4,40,0.133,0.00,8000,17,35,35,4.000,8.28",
	    "kusama,system_health,60,60,0.200,0.00,600,0,0,0,2.400,4.97",
	    "(overflow),(overflow),5,5,0.017,20.00,50,8,8,8,0.500,1.04",
	    "polkadot,system_health,6,6,0.020,0.00,60,1,1,1,0.000,0.00",
	};
	size_t n;

	load();
	ck_assert_int_eq(ctl("usage", "--format csv --by time " WINDOW), 0);
	n = csv_lines(lines, 16);
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(lines[i], want[i]);
	/*
	 * eu only, polkadot only, by time: state_call 36000, batch 4000,
	 * chain_getBlock 1200 + 2400 = 3600 (c1 + c2), system_health 0. Of
	 * 43600 ms: 82.57 %, 9.17 %, 8.26 %.
	 */
	ck_assert_int_eq(
	    ctl("usage", "--format csv --by time --region eu --chain polkadot " WINDOW), 0);
	n = csv_lines(lines, 16);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(lines[1], "polkadot,state_call,8,8,0.027,25.00,700,8191,>=65536,>=65536,"
	                           "36.000,82.57");
	ck_assert_str_eq(lines[2], "polkadot,batch,4,40,0.133,0.00,8000,17,35,35,4.000,9.17");
	ck_assert_str_eq(lines[3], "polkadot,chain_getBlock,30,30,0.100,6.67,4000,8,103,103,3.600,"
	                           "8.26");
	ck_assert_str_eq(lines[4], "polkadot,system_health,6,6,0.020,0.00,60,1,1,1,0.000,0.00");
	/* By status: polkadot 2xx 10+20+6+4+30+6 = 76, kusama 2xx 60, overflow 5, polkadot 5xx 2.
	 */
	ck_assert_int_eq(ctl("usage", "--format csv --by status " WINDOW), 0);
	n = csv_lines(lines, 16);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(lines[0], "chain,status,requests,calls,calls_per_s,error_pct,bytes,p50_ms,"
	                           "p95_ms,p99_ms,node_s,node_pct");
	ck_assert_ptr_nonnull(strstr(lines[1], "polkadot,2xx,76,"));
	ck_assert_ptr_nonnull(strstr(lines[2], "kusama,2xx,60,"));
	ck_assert_ptr_nonnull(strstr(lines[3], "(overflow),(overflow),5,"));
	ck_assert_ptr_nonnull(strstr(lines[4], "polkadot,5xx,2,2,0.007,100.00,100,"));
	/* By class: polkadot read 10+20+4+30+6 = 70, kusama read 60, polkadot heavy 8. */
	ck_assert_int_eq(ctl("usage", "--format csv --by class " WINDOW), 0);
	n = csv_lines(lines, 16);
	ck_assert_uint_eq(n, 5);
	ck_assert_ptr_nonnull(strstr(lines[1], "polkadot,read,70,"));
	ck_assert_ptr_nonnull(strstr(lines[2], "kusama,read,60,"));
	ck_assert_ptr_nonnull(strstr(lines[3], "polkadot,heavy,8,"));
}
END_TEST

START_TEST(test_table)
{
	load();
	/* The table is the default. */
	ck_assert_int_eq(ctl("usage", "--top 3 " WINDOW), 0);
	ck_assert_msg(strstr(out, "Usage 2026-11-01T10:00:00Z to 2026-11-01T10:05:00Z (5 min), "
	                          "region all, chain all, by method: top 3 of 6 keys\n") == out,
	              "%s", out);
	ck_assert_msg(strstr(out, "polkadot  state_call") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "polkadot  state_call             8      8    0.027  25.00    "
	                          "700    8191  >=65536  >=65536  36.000   74.53\n") != NULL,
	              "%s", out);
	ck_assert_ptr_null(strstr(out, "batch"));
	ck_assert_ptr_nonnull(strstr(out, "total     (6 keys)"));
	ck_assert_ptr_nonnull(strstr(out, "at most 12.5 % high"));
}
END_TEST

START_TEST(test_relative_window)
{
	cJSON *j, *k;

	migrate("sql");
	/* Ten minutes ago, whatever the clock: inside --since 30m, 600 calls over 1800 s. */
	sql("INSERT INTO rpc_minutes (id, region, controller, minute, chain, method, class, "
	    "status, requests, errors, calls, bytes, node_ms, ta_count, ta_sum_ms) VALUES "
	    "('n1', 'eu', 'c1', date_trunc('minute', now()) - interval '10 minutes', 'polkadot', "
	    "'system_health', 'read', '2xx', 600, 0, 600, 6000, 600, 0, 0),"
	    "('n2', 'eu', 'c1', date_trunc('minute', now()) - interval '40 minutes', 'polkadot', "
	    "'system_health', 'read', '2xx', 1, 0, 1, 1, 1, 0, 0)");
	j = json_of("usage", "--format json --since 30m");
	k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keys"), 0);
	ck_assert_ptr_nonnull(k);
	ck_assert_double_eq(num(k, "requests"), 600);
	ck_assert_double_eq_tol(num(k, "calls_per_s"), 0.333, 1e-9);
	/* No histogram rows: quantiles null. */
	ck_assert(cJSON_IsNull(get(k, "p50_ms")));
	cJSON_Delete(j);
	/* An --until in the future is now: the same 1800 s. */
	j = json_of("usage", "--format json --since 30m --until 2999-01-01T00:00:00Z");
	k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keys"), 0);
	ck_assert_double_eq_tol(num(k, "calls_per_s"), 0.333, 1e-9);
	cJSON_Delete(j);
	/* The default is one hour: both rows; 601 calls / 3600 s = 0.167. */
	j = json_of("usage", "--format json");
	k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keys"), 0);
	ck_assert_double_eq(num(k, "requests"), 601);
	ck_assert_double_eq_tol(num(k, "calls_per_s"), 0.167, 1e-9);
	cJSON_Delete(j);
}
END_TEST

/* The capacity objects of `usage --capacity` (by hand) and of the report (the same). */
static void assert_capacity(const cJSON *cap)
{
	const cJSON *model = get(cap, "model"), *chains = get(cap, "chains"), *c;

	ck_assert_double_eq(num(model, "node_capacity"), 0.25);
	ck_assert_double_eq(num(model, "target_util"), 0.8);
	ck_assert_double_eq(num(model, "min_minutes"), 3);
	ck_assert_double_eq(num(model, "min_ready"), 2);
	ck_assert_double_eq(num(model, "max_nodes"), 6);
	ck_assert_int_eq(cJSON_GetArraySize(chains), 3);
	/*
	 * eu/polkadot (overflow row left out): 10:00 30 calls (c1 + c2),
	 * 3600 ms, 3 nodes; 10:01 48 calls, 40000 ms, 2 nodes; 10:02 6 calls,
	 * 0 ms, 0 nodes (unserved). 84 calls / 180 s = 0.467; peak 48/60 =
	 * 0.800 at 10:01. Per node: 3600/60000/3 = 0.02 and 40000/60000/2 =
	 * 0.333: average 0.177. Peak demand 40000/60000 = 0.667 node-s/s.
	 * 0.667 / (0.25 * 0.8) = 3.33 -> 4 nodes (min_ready 2 is below);
	 * headroom 1 - 0.667 / (4 * 0.25) = 33.3 %.
	 */
	c = cJSON_GetArrayItem(chains, 0);
	ck_assert_str_eq(str(c, "region"), "eu");
	ck_assert_str_eq(str(c, "chain"), "polkadot");
	ck_assert_double_eq(num(c, "minutes"), 3);
	ck_assert_double_eq(num(c, "load_minutes"), 2);
	ck_assert_double_eq(num(c, "unserved_minutes"), 1);
	ck_assert_double_eq_tol(num(c, "avg_calls_per_s"), 0.467, 1e-9);
	ck_assert_double_eq_tol(num(c, "peak_calls_per_s"), 0.8, 1e-9);
	ck_assert_str_eq(str(c, "peak_minute"), "2026-11-01T10:01:00Z");
	ck_assert_double_eq_tol(num(c, "avg_node_load"), 0.177, 1e-9);
	ck_assert_double_eq_tol(num(c, "peak_node_load"), 0.333, 1e-9);
	ck_assert_double_eq_tol(num(c, "peak_demand"), 0.667, 1e-9);
	ck_assert_double_eq(num(c, "suggested_nodes"), 4);
	ck_assert_double_eq(num(c, "needed_nodes"), 4);
	ck_assert_double_eq_tol(num(c, "headroom_pct"), 33.3, 1e-9);
	ck_assert_str_eq(str(c, "verdict"), "ok");
	/*
	 * us/kusama: 10:01 a sample, no traffic; 10:02 60 calls, 2400 ms, 2
	 * nodes: 60 / 120 s = 0.500, peak 1.000 at 10:02; loads 0 and 0.02:
	 * 0.010; 2 minutes < 3: no suggestion.
	 */
	c = cJSON_GetArrayItem(chains, 1);
	ck_assert_str_eq(str(c, "region"), "us");
	ck_assert_str_eq(str(c, "chain"), "kusama");
	ck_assert_double_eq(num(c, "minutes"), 2);
	ck_assert_double_eq_tol(num(c, "avg_calls_per_s"), 0.5, 1e-9);
	ck_assert_double_eq_tol(num(c, "peak_calls_per_s"), 1, 1e-9);
	ck_assert_str_eq(str(c, "peak_minute"), "2026-11-01T10:02:00Z");
	ck_assert_double_eq_tol(num(c, "avg_node_load"), 0.01, 1e-9);
	ck_assert_double_eq_tol(num(c, "peak_node_load"), 0.02, 1e-9);
	ck_assert(cJSON_IsNull(get(c, "suggested_nodes")));
	ck_assert(cJSON_IsNull(get(c, "headroom_pct")));
	ck_assert_str_eq(str(c, "verdict"), "thin");
	ck_assert_str_eq(str(c, "note"), "too little data: 2 of 3 minutes");
	/* us/polkadot: one minute, 30 calls, 1800 ms, 1 node: 0.500/s, 0.030 per node. */
	c = cJSON_GetArrayItem(chains, 2);
	ck_assert_str_eq(str(c, "chain"), "polkadot");
	ck_assert_double_eq_tol(num(c, "peak_calls_per_s"), 0.5, 1e-9);
	ck_assert_double_eq_tol(num(c, "avg_node_load"), 0.03, 1e-9);
	ck_assert_str_eq(str(c, "verdict"), "thin");
}

START_TEST(test_capacity_and_report)
{
	static const char *const eu = "eu,polkadot,3,0.467,0.800,2026-11-01T10:01:00Z,0.177,0.333,"
	                              "0.667,1,4,33.3,ok";
	cJSON *u, *r;
	char *lines[16], usage_csv[8192];
	size_t n;

	load();
	u = json_of("usage", "--capacity --format json " MODEL " " WINDOW);
	assert_capacity(get(u, "capacity"));
	/* The report of the same window has the same section, figure for figure. */
	r = json_of("report", "--format json --from 2026-11-01T10:00:00Z --to "
	                      "2026-11-01T10:05:00Z " MODEL);
	assert_capacity(get(r, "capacity"));
	ck_assert(cJSON_Compare(get(u, "capacity"), get(r, "capacity"), true));
	cJSON_Delete(u);
	cJSON_Delete(r);
	/* CSV: usage's lines are the report's capacity lines without their section column. */
	ck_assert_int_eq(ctl("usage", "--capacity --format csv " MODEL " " WINDOW), 0);
	ck_assert_uint_lt(strlen(out), sizeof(usage_csv));
	memcpy(usage_csv, out, strlen(out) + 1);
	n = csv_lines(lines, 16);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(lines[1], eu);
	ck_assert_int_eq(ctl("report", "--format csv --from 2026-11-01T10:00:00Z --to "
	                               "2026-11-01T10:05:00Z " MODEL),
	                 0);
	{
		char *sec = strstr(out, "section,region,chain,minutes,avg_calls_per_s");
		char want[16384];

		ck_assert_ptr_nonnull(sec);
		/* usage's CSV with "capacity," before each row and "section," before the header. */
		snprintf(want, sizeof(want), "section,%s", usage_csv);
		for (char *p = strstr(want, "\r\n"); p != NULL && p[2] != '\0';
		     p = strstr(p + 2, "\r\n")) {
			memmove(p + 2 + 9, p + 2, strlen(p + 2) + 1);
			memcpy(p + 2, "capacity,", 9);
		}
		ck_assert_str_eq(sec, want);
	}
	/* Markdown and HTML carry the row too. */
	ck_assert_int_eq(
	    ctl("report", "--from 2026-11-01T10:00:00Z --to 2026-11-01T10:05:00Z " MODEL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\n## Capacity\n"));
	ck_assert_ptr_nonnull(strstr(out, "| eu | polkadot | 3 | 0.467 | 0.800 | "
	                                  "2026-11-01T10:01:00Z | 0.177 | 0.333 | 0.667 | 1 | 4 | "
	                                  "33.3 | ok |\n"));
	ck_assert_int_eq(ctl("report", "--format html --from 2026-11-01T10:00:00Z --to "
	                               "2026-11-01T10:05:00Z " MODEL),
	                 0);
	ck_assert_ptr_nonnull(strstr(out, "<h2>Capacity</h2>"));
	ck_assert_ptr_nonnull(strstr(out, "<td>eu</td><td>polkadot</td><td class=\"n\">3</td>"));
	/* The clamp: 0.667 / 0.01 = 67 nodes -> 6, headroom 1 - 0.667 / 0.06 = -1011.1 %. */
	u = json_of("usage", "--capacity --format json --node-capacity 0.01 --target-util 1 "
	                     "--min-minutes 3 " WINDOW);
	r = cJSON_GetArrayItem(get(get(u, "capacity"), "chains"), 0);
	ck_assert_double_eq(num(r, "suggested_nodes"), 6);
	ck_assert_double_eq(num(r, "needed_nodes"), 67);
	ck_assert_double_eq_tol(num(r, "headroom_pct"), -1011.1, 1e-9);
	ck_assert_str_eq(str(r, "verdict"), "over");
	ck_assert_str_eq(str(r, "note"), "needs 67 nodes, more than 6");
	cJSON_Delete(u);
	/* Defaults: 30 minutes needed, so nothing is suggested from 3. */
	ck_assert_int_eq(ctl("usage", "--capacity " WINDOW), 0);
	ck_assert_ptr_nonnull(strstr(out, "too little data: 3 of 30 minutes"));
}
END_TEST

START_TEST(test_capacity_unsampled)
{
	cJSON *u;
	const cJSON *c;

	load();
	/* Traffic of a chain that has no sample at all: its minute counts, unserved. */
	sql("INSERT INTO rpc_minutes (id, region, controller, minute, chain, method, class, "
	    "status, "
	    "requests, errors, calls, bytes, node_ms, ta_count, ta_sum_ms) VALUES ('r11', 'us', "
	    "'c3', '2026-11-01T10:03:00Z', 'westend', 'system_health', 'read', '2xx', 12, 0, 12, "
	    "10, 600, 0, 0)");
	u = json_of("usage", "--capacity --format json " MODEL " " WINDOW);
	c = get(get(u, "capacity"), "chains");
	ck_assert_int_eq(cJSON_GetArraySize(c), 4);
	/* The others are as before. */
	ck_assert_str_eq(str(cJSON_GetArrayItem(c, 2), "chain"), "polkadot");
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(c, 0), "avg_calls_per_s"), 0.467, 1e-9);
	/* us/westend: 1 minute, 12 calls = 0.200/s at 10:03, no load minute, 600 ms = 0.010. */
	c = cJSON_GetArrayItem(c, 3);
	ck_assert_str_eq(str(c, "region"), "us");
	ck_assert_str_eq(str(c, "chain"), "westend");
	ck_assert_double_eq(num(c, "minutes"), 1);
	ck_assert_double_eq(num(c, "load_minutes"), 0);
	ck_assert_double_eq(num(c, "unserved_minutes"), 1);
	ck_assert_double_eq_tol(num(c, "avg_calls_per_s"), 0.2, 1e-9);
	ck_assert_double_eq_tol(num(c, "peak_calls_per_s"), 0.2, 1e-9);
	ck_assert_str_eq(str(c, "peak_minute"), "2026-11-01T10:03:00Z");
	ck_assert_double_eq(num(c, "avg_node_load"), 0);
	ck_assert_double_eq(num(c, "peak_node_load"), 0);
	ck_assert_double_eq_tol(num(c, "peak_demand"), 0.01, 1e-9);
	ck_assert_str_eq(str(c, "verdict"), "thin");
	cJSON_Delete(u);
}
END_TEST

START_TEST(test_bad_usage)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
	    {"--since 1w", "polkfura-ctl: usage: --since 1w: a duration's unit is s, m, h or d"},
	    {"--since 3661d", "--since 3661d: a duration of at most 3660 days"},
	    {"--since yesterday", "--since yesterday: expected YYYY-MM-DD"},
	    {"--since 5", "--since 5: expected a duration"},
	    {"--until 2026-11-01T10:00:00", "a time needs Z or an offset"},
	    {"--since 2026-11-01T10:00:30Z --until 2026-11-01T10:00:50Z",
	     "--since must be at least a whole minute before --until"},
	    {"--by path", "--by path: expected method, class, status or time"},
	    {"--top 0", "--top 0: expected a whole number from 1 to 100000"},
	    {"--format md", "--format md: expected table, csv or json"},
	    {"--capacity --by time", "--capacity takes no --by or --top"},
	    {"--capacity --target-util 1.5", "--target-util 1.5: out of range"},
	    {"--capacity --node-capacity 0", "--node-capacity 0: out of range"},
	    {"--capacity --min-minutes 2.5", "--min-minutes 2.5"},
	    {"--from 2026-11-01", "usage takes --since and --until (not --from, --to)"},
	    {"--json", "usage takes --since and --until"},
	    {"--since", "--since: missing value"},
	};
	char a[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(usage_err(cases[i].args) == 2, "%s: %s", cases[i].args, out);
		assert_one_line();
		ck_assert_msg(strstr(out, cases[i].msg) != NULL, "%s: %s", cases[i].args, out);
	}
	snprintf(a, sizeof(a), "report --config '%s' --from 2026-11-01 --since 1h", config);
	ck_assert_int_eq(h_ctl_run(NULL, a, out, sizeof(out)), 2);
	ck_assert_str_eq(out, "polkfura-ctl: --since, --until, --by, --top and --capacity go with "
	                      "usage\n");
	snprintf(a, sizeof(a), "status --config '%s' --min-minutes 3", config);
	ck_assert_int_eq(h_ctl_run(NULL, a, out, sizeof(out)), 2);
	ck_assert_str_eq(out, "polkfura-ctl: --node-capacity, --target-util and --min-minutes go "
	                      "with usage and report\n");
	/* No database key. */
	write_config(config, NULL);
	ck_assert_int_eq(usage_err(""), 2);
	assert_one_line();
	ck_assert_msg(strstr(out, "no database key") != NULL, "%s", out);
}
END_TEST

START_TEST(test_database_trouble)
{
	char dir[600], cmd[1400], db[600];

	/* The schema without 004: the message names the migration to apply. */
	snprintf(dir, sizeof(dir), "%s/sql-old-%d", h_tmpdir(), (int)getpid());
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p '%s' && cp sql/001_*.sql sql/002_*.sql sql/003_*.sql '%s'/", dir, dir);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	migrate(dir);
	ck_assert_int_eq(usage_err(WINDOW), 1);
	assert_one_line();
	ck_assert_msg(strstr(out, "polkfura-ctl: usage: rpc_minutes: ERROR:  relation "
	                          "\"rpc_minutes\" does not exist") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "(is sql/004_usage.sql applied? polkfura-ctl db migrate)\n") !=
	                  NULL,
	              "%s", out);
	/* The report reads its capacity section in its own transaction: it fails the same way. */
	snprintf(cmd, sizeof(cmd), "report --config '%s' --from 2026-11-01", config);
	ck_assert_int_eq(h_ctl_run(NULL, cmd, out, sizeof(out)), 1);
	assert_one_line();
	ck_assert_msg(strstr(out, "polkfura-ctl: report: rpc_minutes and minute_samples: ERROR:  "
	                          "relation \"rpc_minutes\" does not exist") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "(is sql/004_usage.sql applied? polkfura-ctl db migrate)\n") !=
	                  NULL,
	              "%s", out);
	/* Nobody listening. */
	snprintf(db, sizeof(db),
	         "host=127.0.0.1 port=%d user=postgres dbname=postgres connect_timeout=5",
	         h_free_port());
	write_config(config, db);
	ck_assert_int_eq(usage_err("--capacity"), 1);
	assert_one_line();
	ck_assert_msg(strncmp(out, "polkfura-ctl: usage: cannot reach the database: ", 48) == 0,
	              "%s", out);
}
END_TEST

static Suite *usage_suite(void)
{
	Suite *s = suite_create("usage");
	TCase *tc = tcase_create("usage");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_by_method_json);
	tcase_add_test(tc, test_csv_and_by_time);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_relative_window);
	tcase_add_test(tc, test_capacity_and_report);
	tcase_add_test(tc, test_capacity_unsampled);
	tcase_add_test(tc, test_bad_usage);
	tcase_add_test(tc, test_database_trouble);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(usage_suite());
}
