/* SPDX-License-Identifier: MIT */
/*
 * Micro-benchmark of rpc_classify(): times each real @polkadot/api request
 * body (tests/data/requests/polkadot-api-http-*.json), the state_getStorage
 * body the SPOP benchmark sends (tests/bench/body-state_getStorage.json), an
 * author_insertKey call, a batch of 100 of the real bodies and one of 1000,
 * and prints ns/op and MB/s per body, then one summary line (the figures
 * README.md quotes) with the target (< 300 ns per single call). A benchmark,
 * not a test: it checks only that every body classifies as valid. Run from
 * the repository root; optional argument: iterations for small bodies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/compiler.h"
#include "spoa/methods.h"
#include "spoa/rpc.h"

#define BENCH_TABLE   "haproxy/methods.tsv"
#define BENCH_STORAGE "tests/bench/body-state_getStorage.json"
#define BENCH_BODIES  11
#define BENCH_BATCH   100
#define BENCH_TARGET  300.0 /* ns per single call */

/* A larger single call, as in tests/data/requests/edge-cases.jsonl (plain-unsafe). */
static const char *const bench_extra[][2] = {
    {"insertKey",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"author_insertKey\",\"params\":[\"babe\","
     "\"//Alice\",\"0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d\"]}"},
};

/* Results land here so the compiler cannot drop the calls. */
volatile unsigned bench_rpc_sink;

struct bench_body {
	char name[48];
	uint8_t *p; /* owned */
	size_t len;
};

static uint8_t *bench_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		(void)fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		(void)fclose(f);
		return NULL;
	}
	(void)fclose(f);
	*len = (size_t)n;
	return buf;
}

static double bench_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs <iters> classifications of <b>; returns ns per call (best of 3 runs). */
static double bench_one(const struct methods *table, const struct bench_body *b, long iters)
{
	double best = 0;
	int run;

	for (run = 0; run < 3; run++) {
		struct rpc_result r;
		unsigned acc = 0;
		double t0, ns;
		long i;

		t0 = bench_now_ns();
		for (i = 0; i < iters; i++) {
			rpc_classify(table, b->p, b->len, &r);
			acc += (unsigned)r.cls + r.calls;
		}
		ns = (bench_now_ns() - t0) / (double)iters;
		bench_rpc_sink = acc;
		if (run == 0 || ns < best)
			best = ns;
	}
	return best;
}

/* Joins copies of <parts> (cycled) into a batch of <n> members. */
static int bench_make_batch(struct bench_body *out, const struct bench_body *parts, size_t nparts,
                            size_t n)
{
	size_t cap = 2, i, o = 0;

	for (i = 0; i < n; i++)
		cap += parts[i % nparts].len + 1;
	out->p = malloc(cap);
	if (!out->p)
		return -1;
	out->p[o++] = '[';
	for (i = 0; i < n; i++) {
		if (i)
			out->p[o++] = ',';
		memcpy(out->p + o, parts[i % nparts].p, parts[i % nparts].len);
		o += parts[i % nparts].len;
	}
	out->p[o++] = ']';
	out->len = o;
	(void)snprintf(out->name, sizeof(out->name), "batch-%zu", n);
	return 0;
}

/* Min and max of ns/op and of length over bodies [<from>, <to>). */
struct bench_range {
	double ns_min, ns_max;
	size_t len_min, len_max;
};

static struct bench_range bench_range_of(const struct bench_body *b, const double *ns, size_t from,
                                         size_t to)
{
	struct bench_range r = {ns[from], ns[from], b[from].len, b[from].len};
	size_t i;

	for (i = from + 1; i < to; i++) {
		r.ns_min = ns[i] < r.ns_min ? ns[i] : r.ns_min;
		r.ns_max = ns[i] > r.ns_max ? ns[i] : r.ns_max;
		r.len_min = b[i].len < r.len_min ? b[i].len : r.len_min;
		r.len_max = b[i].len > r.len_max ? b[i].len : r.len_max;
	}
	return r;
}

/* Reads the body files; returns how many bodies <bodies> holds, 0 on failure. */
static size_t bench_load(struct bench_body *bodies)
{
	size_t n = 0, i;

	for (i = 1; i <= BENCH_BODIES; i++) {
		char path[96];

		(void)snprintf(path, sizeof(path),
		               "tests/data/requests/polkadot-api-http-%02zu.json", i);
		bodies[n].p = bench_read(path, &bodies[n].len);
		if (!bodies[n].p) {
			fprintf(stderr, "bench_rpc: %s: cannot read\n", path);
			return 0;
		}
		(void)snprintf(bodies[n].name, sizeof(bodies[n].name), "http-%02zu", i);
		n++;
	}
	bodies[n].p = bench_read(BENCH_STORAGE, &bodies[n].len);
	if (!bodies[n].p) {
		fprintf(stderr, "bench_rpc: %s: cannot read\n", BENCH_STORAGE);
		return 0;
	}
	(void)snprintf(bodies[n].name, sizeof(bodies[n].name), "getStorage");
	n++;
	for (i = 0; i < PF_ARRAY_SIZE(bench_extra); i++) {
		bodies[n].len = strlen(bench_extra[i][1]);
		bodies[n].p = malloc(bodies[n].len);
		if (!bodies[n].p) {
			fprintf(stderr, "bench_rpc: out of memory\n");
			return 0;
		}
		memcpy(bodies[n].p, bench_extra[i][1], bodies[n].len);
		(void)snprintf(bodies[n].name, sizeof(bodies[n].name), "%s", bench_extra[i][0]);
		n++;
	}
	if (bench_make_batch(&bodies[n++], bodies, BENCH_BODIES, BENCH_BATCH) != 0 ||
	    bench_make_batch(&bodies[n++], bodies, BENCH_BODIES, 1000) != 0) {
		fprintf(stderr, "bench_rpc: out of memory\n");
		return 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct bench_body bodies[BENCH_BODIES + 1 + PF_ARRAY_SIZE(bench_extra) + 2];
	double ns[PF_ARRAY_SIZE(bodies)];
	long base_iters = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	size_t n, i, singles = BENCH_BODIES + 1 + PF_ARRAY_SIZE(bench_extra);
	struct bench_range real, all;
	struct methods *table;
	char err[512];
	int rc = EXIT_SUCCESS;

	memset(bodies, 0, sizeof(bodies));
	table = methods_load_file(BENCH_TABLE, err, sizeof(err));
	if (!table) {
		fprintf(stderr, "bench_rpc: %s\n", err);
		return EXIT_FAILURE;
	}
	n = bench_load(bodies);
	if (n == 0) {
		rc = EXIT_FAILURE;
		goto out;
	}

	printf("%-12s %7s %10s %9s %8s\n", "body", "bytes", "ns/op", "ns/byte", "MB/s");
	for (i = 0; i < n; i++) {
		struct rpc_result r;
		long iters = base_iters;

		rpc_classify(table, bodies[i].p, bodies[i].len, &r);
		if (r.cls == RPC_CLASS_INVALID || r.cls == RPC_CLASS_UNKNOWN) {
			fprintf(stderr, "bench_rpc: %s classifies as %s\n", bodies[i].name,
			        rpc_class_name(r.cls));
			rc = EXIT_FAILURE;
		}
		/* Keep each body at roughly the same total bytes as a small one. */
		if (bodies[i].len > 100)
			iters = (long)((double)base_iters * 100.0 / (double)bodies[i].len) + 1;
		ns[i] = bench_one(table, &bodies[i], iters);
		printf("%-12s %7zu %10.1f %9.2f %8.0f\n", bodies[i].name, bodies[i].len, ns[i],
		       ns[i] / (double)bodies[i].len, (double)bodies[i].len / ns[i] * 1e3);
	}
	real = bench_range_of(bodies, ns, 0, BENCH_BODIES);
	all = bench_range_of(bodies, ns, 0, singles);
	printf(
	    "summary: %d real @polkadot/api bodies (%zu-%zu bytes) %.0f-%.0f ns; %s (%zu bytes) "
	    "%.0f ns; batch of %d (%zu bytes) %.1f us, %.2f ns/byte; target < %.0f ns per single "
	    "call: %s (slowest %.0f ns)\n",
	    BENCH_BODIES, real.len_min, real.len_max, real.ns_min, real.ns_max,
	    bodies[BENCH_BODIES].name, bodies[BENCH_BODIES].len, ns[BENCH_BODIES], BENCH_BATCH,
	    bodies[singles].len, ns[singles] / 1e3, ns[singles] / (double)bodies[singles].len,
	    BENCH_TARGET, all.ns_max < BENCH_TARGET ? "met" : "MISSED", all.ns_max);
out:
	for (i = 0; i < PF_ARRAY_SIZE(bodies); i++)
		free(bodies[i].p);
	methods_free(table);
	return rc;
}
