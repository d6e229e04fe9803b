/* SPDX-License-Identifier: MIT */
/*
 * The pure half of the controller's log ingestion on one core: syslog
 * header (ctl/stats/syslog.c), access line (ctl/stats/logline.c, the method
 * looked up in haproxy/methods.tsv by binary search) and per-minute
 * aggregation (ctl/stats/agg.c, rotated every LINES_PER_MINUTE lines, as
 * if that many arrived each minute), timed by this process's CPU clock.
 *
 * Two inputs: "captured", the access lines of tests/data/haproxy-logs/ (the
 * eight requests, 2.6 and 3.4, RFC 3164 and 5424: few keys; HAProxy's
 * notices left out, they are refused at the second field and would flatter
 * the figure), and "mixed", the captured single-call line rewritten for every
 * method of the table on three chains and three statuses (9 keys per
 * method: about 1,600, so the aggregator's table is not all in cache). Prints lines/s for parsing
 * alone and for parsing plus aggregation, against the target of
 * 100,000 lines/s for the whole ingest path (PASS/MISS on the pure part).
 * Usage: logparse_bench [SECONDS per measurement, default 2]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/stats/agg.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/syslog.h"

#define MAX_LINES        8192
#define LINES_PER_MINUTE 100000
#define TARGET           100000.0

struct input {
	int n;
	uint8_t *d[MAX_LINES];
	size_t len[MAX_LINES];
};

static char *names[512];
static int n_names;

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int lookup(void *ctx, const uint8_t *p, size_t len)
{
	int lo = 0, hi = n_names - 1;

	(void)ctx;
	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strncmp(names[mid], (const char *)p, len);

		if (c == 0 && names[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static void load_methods(void)
{
	FILE *f = fopen("haproxy/methods.tsv", "r");
	char line[1024];

	if (f == NULL) {
		perror("haproxy/methods.tsv");
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL && n_names < 512) {
		size_t n = strcspn(line, "\t\n");

		if (line[0] == '#' || n == 0 || strncmp(line, "method\t", 7) == 0)
			continue;
		names[n_names++] = strndup(line, n);
	}
	fclose(f);
	qsort(names, (size_t)n_names, sizeof(names[0]), cmp_name);
}

static void add(struct input *in, const void *p, size_t len)
{
	if (in->n == MAX_LINES)
		return;
	in->d[in->n] = malloc(len);
	if (in->d[in->n] == NULL)
		exit(1);
	memcpy(in->d[in->n], p, len);
	in->len[in->n++] = len;
}

static void load_captured(struct input *in)
{
	static const char *const files[] = {"hap26-rfc3164", "hap26-rfc5424", "hap34-rfc3164",
	                                    "hap34-rfc5424"};
	static uint8_t buf[65536];

	for (int i = 0; i < 4; i++) {
		char path[128];
		size_t n;
		FILE *f;

		snprintf(path, sizeof(path), "tests/data/haproxy-logs/%s.dgrams", files[i]);
		f = fopen(path, "rb");
		if (f == NULL) {
			perror(path);
			exit(1);
		}
		while (fscanf(f, "%zu", &n) == 1 && n < sizeof(buf) && fgetc(f) == ' ' &&
		       fread(buf, 1, n, f) == n && fgetc(f) == '\n')
			if (memmem(buf, n, " chain=", 7) != NULL)
				add(in, buf, n);
		fclose(f);
	}
}

/* The captured single call, for every method x chain x status. */
static void make_mixed(struct input *in)
{
	static const char *const chains[] = {"polkadot", "kusama", "westend"};
	static const int statuses[] = {200, 429, 503};
	char line[1024];

	for (int m = 0; m < n_names; m++)
		for (int c = 0; c < 3; c++)
			for (int s = 0; s < 3; s++) {
				int n = snprintf(
				    line, sizeof(line),
				    "<134>Dec  6 07:54:40 localhost haproxy[29637]: "
				    "127.0.0.1:37818 "
				    "[06/Dec/2026:07:54:40.227] rpc~ be_%s/node1 4/0/1/3/%d %d 229 "
				    "---- 1/1/0/0/0 0/0 chain=%s method=%s class=read batch=1 "
				    "calls=1 "
				    "spoe=0/2 \"POST / HTTP/1.1\"\n",
				    chains[c], 1 + (m * 7 + c) % 400, statuses[s], chains[c],
				    names[m]);
				add(in, line, (size_t)n);
			}
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lines per CPU second over <seconds>; aggregates when <a> is not NULL. */
static double run(const struct input *in, struct agg *a, double seconds, uint64_t *bad)
{
	uint64_t lines = 0, since_rotate = 0;
	double t0 = cpu_now(), t;

	*bad = 0;
	do {
		for (int i = 0; i < in->n; i++) {
			struct syslog_msg m;
			enum syslog_err serr;
			struct logline l;
			enum logline_err err;

			if (syslog_parse(in->d[i], in->len[i], &m, &serr) < 0) {
				*bad += lines == 0;
				if (a != NULL)
					agg_reject_syslog(a, serr);
			} else if (logline_parse(m.msg.p, m.msg.len, lookup, NULL, &l, &err) < 0) {
				*bad += lines == 0;
				if (a != NULL)
					agg_reject_logline(a, err);
			} else if (a != NULL) {
				agg_add(a, &l);
			}
		}
		lines += (uint64_t)in->n;
		since_rotate += (uint64_t)in->n;
		if (a != NULL && since_rotate >= LINES_PER_MINUTE) {
			agg_snap_free(agg_rotate(a, 0));
			since_rotate = 0;
		}
		t = cpu_now() - t0;
	} while (t < seconds);
	return (double)lines / t;
}

static void measure(const char *label, const struct input *in, double seconds)
{
	struct agg *a = agg_new(4096);
	uint64_t bad;
	double parse, full;

	if (a == NULL)
		exit(1);
	parse = run(in, NULL, seconds, &bad);
	full = run(in, a, seconds, &bad);
	printf("  %-9s %5d lines (%3llu not access lines)  parse %9.0f lines/s (%5.0f ns)"
	       "  parse+aggregate %9.0f lines/s (%5.0f ns)  %s\n",
	       label, in->n, (unsigned long long)bad, parse, 1e9 / parse, full, 1e9 / full,
	       full >= TARGET ? "PASS" : "MISS");
	agg_free(a);
}

int main(int argc, char **argv)
{
	static struct input captured, mixed;
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 2.0;

	if (!(seconds > 0)) {
		fprintf(stderr, "usage: logparse_bench [SECONDS]\n");
		return 2;
	}
	load_methods();
	load_captured(&captured);
	make_mixed(&mixed);
	printf("== logparse_bench: syslog + logline (+ agg), one core, %.1f CPU s each,"
	       " target %.0f lines/s\n",
	       seconds, TARGET);
	measure("captured", &captured, seconds);
	measure("mixed", &mixed, seconds);
	for (int i = 0; i < captured.n; i++)
		free(captured.d[i]);
	for (int i = 0; i < mixed.n; i++)
		free(mixed.d[i]);
	for (int i = 0; i < n_names; i++)
		free(names[i]);
	return 0;
}
