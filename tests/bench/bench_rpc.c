/* SPDX-License-Identifier: MIT */
/*
 * Micro-benchmark of rpc_classify(): times each real @polkadot/api request
 * body (tests/data/requests/polkadot-api-http-*.json), a batch of 100 of them
 * and a 1000-member batch, and prints ns/op and MB/s per body. A benchmark,
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

#define BENCH_TABLE  "haproxy/methods.tsv"
#define BENCH_BODIES 11
#define BENCH_BATCH  100

/* Larger single calls, as in tests/data/requests/edge-cases.jsonl (plain-unsafe) and a ~200 B call.
 */
static const char *const bench_extra[][2] = {
    {"insertKey",
     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"author_insertKey\",\"params\":[\"babe\","
     "\"//Alice\",\"0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d\"]}"},
    {"getStorage",
     "{\"id\":42,\"jsonrpc\":\"2.0\",\"method\":\"state_getStorage\",\"params\":["
     "\"0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9de1e86a9a8c739864cf3cc5"
     "ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d\",null]}"},
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

int main(int argc, char **argv)
{
	struct bench_body bodies[BENCH_BODIES + 2 + PF_ARRAY_SIZE(bench_extra)];
	long base_iters = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	size_t n = 0, i;
	struct methods *table;
	char err[512];
	int rc = EXIT_SUCCESS;

	table = methods_load_file(BENCH_TABLE, err, sizeof(err));
	if (!table) {
		fprintf(stderr, "bench_rpc: %s\n", err);
		return EXIT_FAILURE;
	}
	for (i = 1; i <= BENCH_BODIES; i++) {
		char path[96];

		(void)snprintf(path, sizeof(path),
		               "tests/data/requests/polkadot-api-http-%02zu.json", i);
		bodies[n].p = bench_read(path, &bodies[n].len);
		if (!bodies[n].p) {
			fprintf(stderr, "bench_rpc: %s: cannot read\n", path);
			return EXIT_FAILURE;
		}
		(void)snprintf(bodies[n].name, sizeof(bodies[n].name), "http-%02zu", i);
		n++;
	}
	for (i = 0; i < PF_ARRAY_SIZE(bench_extra); i++) {
		bodies[n].len = strlen(bench_extra[i][1]);
		bodies[n].p = malloc(bodies[n].len);
		if (!bodies[n].p) {
			fprintf(stderr, "bench_rpc: out of memory\n");
			return EXIT_FAILURE;
		}
		memcpy(bodies[n].p, bench_extra[i][1], bodies[n].len);
		(void)snprintf(bodies[n].name, sizeof(bodies[n].name), "%s", bench_extra[i][0]);
		n++;
	}
	if (bench_make_batch(&bodies[n++], bodies, BENCH_BODIES, BENCH_BATCH) != 0 ||
	    bench_make_batch(&bodies[n++], bodies, BENCH_BODIES, 1000) != 0) {
		fprintf(stderr, "bench_rpc: out of memory\n");
		return EXIT_FAILURE;
	}

	printf("%-12s %7s %10s %9s %8s\n", "body", "bytes", "ns/op", "ns/byte", "MB/s");
	for (i = 0; i < n; i++) {
		struct rpc_result r;
		long iters = base_iters;
		double ns;

		rpc_classify(table, bodies[i].p, bodies[i].len, &r);
		if (r.cls == RPC_CLASS_INVALID || r.cls == RPC_CLASS_UNKNOWN) {
			fprintf(stderr, "bench_rpc: %s classifies as %s\n", bodies[i].name,
			        rpc_class_name(r.cls));
			rc = EXIT_FAILURE;
		}
		/* Keep each body at roughly the same total bytes as a small one. */
		if (bodies[i].len > 100)
			iters = (long)((double)base_iters * 100.0 / (double)bodies[i].len) + 1;
		ns = bench_one(table, &bodies[i], iters);
		printf("%-12s %7zu %10.1f %9.2f %8.0f\n", bodies[i].name, bodies[i].len, ns,
		       ns / (double)bodies[i].len, (double)bodies[i].len / ns * 1e3);
	}
	for (i = 0; i < n; i++)
		free(bodies[i].p);
	methods_free(table);
	return rc;
}
