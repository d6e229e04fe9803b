/* SPDX-License-Identifier: MIT */
/*
 * The captured HAProxy datagrams of tests/data/haproxy-logs/ for the unit
 * tests: the six capture files (HAProxy 2.6 and 3.4; RFC 3164 and 5424 over
 * UDP, RFC 3164 over a unix socket),
 * each read as "<length> <bytes>\n" records, and the manifest of what was
 * sent (<name>.sent, TSV), and the shipped methods table. Written by
 * tests/integration/test_haproxy_logs.c. Run from the repository root.
 */
#ifndef PF_TESTS_UNIT_HAPROXY_LOGS_H
#define PF_TESTS_UNIT_HAPROXY_LOGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#define HLOGS_DIR     "tests/data/haproxy-logs/"
#define HLOGS_MAX     64
#define HLOGS_REQ_MAX 16

static const char *const hlogs_files[] = {"hap26-rfc3164", "hap26-rfc5424", "hap26-rfc3164-unix",
                                          "hap34-rfc3164", "hap34-rfc5424", "hap34-rfc3164-unix"};
#define HLOGS_FILES (sizeof(hlogs_files) / sizeof(hlogs_files[0]))

struct hlogs {
	int n;
	uint8_t *d[HLOGS_MAX]; /* owned */
	size_t len[HLOGS_MAX];
};

/* One row of <name>.sent: what the capture sent and what the client saw. */
struct hlogs_req {
	char tag[32], chain[32], verb[8], method[64], cls[16], batch[8], proto[16];
	long status;
	size_t body_len;
};

static inline void hlogs_load(const char *name, struct hlogs *h)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), HLOGS_DIR "%s.dgrams", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	h->n = 0;
	while (fscanf(f, "%zu", &n) == 1) {
		ck_assert_int_lt(h->n, HLOGS_MAX);
		ck_assert_int_eq(fgetc(f), ' ');
		h->d[h->n] = malloc(n + 1);
		ck_assert_ptr_nonnull(h->d[h->n]);
		ck_assert_uint_eq(fread(h->d[h->n], 1, n, f), n);
		ck_assert_int_eq(fgetc(f), '\n');
		h->len[h->n++] = n;
	}
	ck_assert(feof(f));
	fclose(f);
	ck_assert_int_gt(h->n, 0);
}

static inline void hlogs_free(struct hlogs *h)
{
	for (int i = 0; i < h->n; i++)
		free(h->d[i]);
	h->n = 0;
}

/* Reads <name>.sent into <r>; returns the row count. */
static inline int hlogs_sent(const char *name, struct hlogs_req r[HLOGS_REQ_MAX])
{
	char path[256], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), HLOGS_DIR "%s.sent", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f)); /* the header */
	while (n < HLOGS_REQ_MAX && fgets(line, sizeof(line), f) != NULL) {
		struct hlogs_req *q = &r[n];

		ck_assert_int_eq(sscanf(line,
		                        "%31[^\t]\t%31[^\t]\t%7[^\t]\t%63[^\t]\t%15[^\t]\t%7[^\t]"
		                        "\t%15[^\t]\t%ld\t%zu",
		                        q->tag, q->chain, q->verb, q->method, q->cls, q->batch,
		                        q->proto, &q->status, &q->body_len),
		                 9);
		n++;
	}
	fclose(f);
	ck_assert_int_gt(n, 0);
	return n;
}

/*
 * The method names of haproxy/methods.tsv (first column), read here, not by
 * the parser under test, and looked up by name (a logline_method_fn).
 */
static char *names[512];
static int n_names;

static inline void load_methods(void)
{
	FILE *f = fopen("haproxy/methods.tsv", "r");
	char line[1024];

	ck_assert_ptr_nonnull(f);
	n_names = 0;
	while (fgets(line, sizeof(line), f) != NULL && n_names < 512) {
		size_t n = strcspn(line, "\t\n");

		if (line[0] == '#' || n == 0 || strncmp(line, "method\t", 7) == 0)
			continue;
		names[n_names] = strndup(line, n);
		ck_assert_ptr_nonnull(names[n_names]);
		n_names++;
	}
	fclose(f);
	ck_assert_int_gt(n_names, 100);
}

static inline int lookup(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx;
	for (int i = 0; i < n_names; i++)
		if (strlen(names[i]) == len && memcmp(names[i], p, len) == 0)
			return i;
	return -1;
}

#endif
