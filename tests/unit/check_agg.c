/* SPDX-License-Identifier: MIT */
/*
 * ctl/stats/agg.c: keys, counts and errors on hand-made lines; the key cap
 * (the overflow row and counter, totals exact); rotation (a sorted snapshot,
 * then an empty minute that fills again correctly); random lines over many
 * minutes against a naive reference aggregator written here; rejects by
 * reason; and the captured HAProxy lines of tests/data/haproxy-logs/, one
 * row per request of the manifest. Run from the repository root.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/stats/agg.h"
#include "ctl/stats/hist.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/syslog.h"
#include "tests/unit/check_main.h"
#include "tests/unit/haproxy_logs.h"

static struct logline mk(const char *chain, int method_id, enum logline_class cls, int status,
                         int batch, int ta, int tr, uint64_t bytes)
{
	struct logline l;

	memset(&l, 0, sizeof(l));
	l.chain = pf_slice_str(chain);
	l.method_id = method_id;
	l.cls = cls;
	l.status = status;
	l.batch = batch;
	l.ta = ta;
	l.tr = tr;
	l.bytes = bytes;
	return l;
}

START_TEST(test_keys)
{
	struct agg *a = agg_new(16);
	struct logline l;
	struct agg_snap *s;

	ck_assert_ptr_nonnull(a);
	l = mk("polkadot", 3, LOGLINE_CLASS_READ, 200, 1, 10, 8, 100);
	agg_add(a, &l);
	l = mk("polkadot", 3, LOGLINE_CLASS_READ, 204, 1, 30, 20, 50);
	agg_add(a, &l); /* same key: 2xx */
	l = mk("polkadot", 3, LOGLINE_CLASS_READ, 503, 1, 5, -1, 10);
	agg_add(a, &l);
	l = mk("polkadot", 3, LOGLINE_CLASS_READ, -1, 1, -1, -1, 0);
	agg_add(a, &l);
	l = mk("kusama", LOGLINE_METHOD_BATCH, LOGLINE_CLASS_HEAVY, 200, 7, 100, 90, 1000);
	agg_add(a, &l);
	l = mk("", LOGLINE_METHOD_NONE, LOGLINE_CLASS_NONE, 404, -1, 0, -1, 200);
	agg_add(a, &l);
	s = agg_rotate(a, 60000);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->minute_ms, 60000);
	ck_assert_uint_eq(s->lines, 6);
	ck_assert_uint_eq(s->overflow_lines, 0);
	ck_assert_uint_eq(s->n_rows, 5);
	/* Sorted: "" < "kusama" < "polkadot"; then status NONE < 2xx < 5xx. */
	ck_assert_str_eq(s->rows[0].chain, "");
	ck_assert_uint_eq(s->rows[0].status, AGG_STATUS_4XX);
	ck_assert_uint_eq(s->rows[0].errors, 0);
	ck_assert_uint_eq(s->rows[0].calls, 0);
	ck_assert_str_eq(s->rows[1].chain, "kusama");
	ck_assert_uint_eq(s->rows[1].calls, 7);
	ck_assert_uint_eq(s->rows[1].node_ms, 90);
	ck_assert_str_eq(s->rows[2].chain, "polkadot");
	ck_assert_uint_eq(s->rows[2].status, AGG_STATUS_NONE);
	ck_assert_uint_eq(s->rows[2].errors, 1);
	ck_assert_uint_eq(s->rows[2].ta.count, 0); /* no %Ta */
	ck_assert_uint_eq(s->rows[3].status, AGG_STATUS_2XX);
	ck_assert_uint_eq(s->rows[3].requests, 2);
	ck_assert_uint_eq(s->rows[3].errors, 0);
	ck_assert_uint_eq(s->rows[3].calls, 2);
	ck_assert_uint_eq(s->rows[3].bytes, 150);
	ck_assert_uint_eq(s->rows[3].node_ms, 28);
	ck_assert_uint_eq(s->rows[3].ta.count, 2);
	ck_assert_uint_eq(s->rows[3].ta.sum_ms, 40);
	ck_assert_uint_eq(hist_quantile(&s->rows[3].ta, 1), 31); /* 30 ms: bucket [30, 32) */
	ck_assert_uint_eq(s->rows[4].status, AGG_STATUS_5XX);
	ck_assert_uint_eq(s->rows[4].errors, 1);
	agg_snap_free(s);
	/* The next minute starts empty. */
	s = agg_rotate(a, 120000);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->n_rows, 0);
	ck_assert_uint_eq(s->lines, 0);
	agg_snap_free(s);
	agg_free(a);
	ck_assert_ptr_null(agg_new(0));
	ck_assert_ptr_null(agg_new(AGG_MAX_KEYS + 1));
	agg_free(NULL);
}
END_TEST

START_TEST(test_cap)
{
	struct agg *a = agg_new(4);
	struct logline l;
	struct agg_snap *s;
	uint64_t total = 0;

	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < 10; i++) {
		l = mk("polkadot", i, LOGLINE_CLASS_READ, 200, 1, 1, 1, 1);
		agg_add(a, &l);
	}
	/* A key that has its row keeps it past the cap. */
	l = mk("polkadot", 0, LOGLINE_CLASS_READ, 200, 1, 1, 1, 1);
	agg_add(a, &l);
	agg_reject_logline(a, LOGLINE_ERR_NOT_ACCESS);
	agg_reject_syslog(a, SYSLOG_ERR_PRI);
	s = agg_rotate(a, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->n_rows, 5);
	ck_assert_uint_eq(s->overflow_lines, 6);
	ck_assert(s->rows[4].overflow);
	ck_assert_uint_eq(s->rows[4].requests, 6);
	ck_assert_uint_eq(s->rows[0].method_id, 0);
	ck_assert_uint_eq(s->rows[0].requests, 2);
	for (size_t i = 0; i < s->n_rows; i++) {
		ck_assert(s->rows[i].overflow == (i == 4));
		total += s->rows[i].requests;
	}
	ck_assert_uint_eq(total, 11);
	ck_assert_uint_eq(s->lines, 11);
	ck_assert_uint_eq(s->logline_rejected[LOGLINE_ERR_NOT_ACCESS], 1);
	ck_assert_uint_eq(s->syslog_rejected[SYSLOG_ERR_PRI], 1);
	agg_snap_free(s);
	s = agg_rotate(a, 60000);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->n_rows, 0);
	ck_assert_uint_eq(s->logline_rejected[LOGLINE_ERR_NOT_ACCESS], 0);
	agg_snap_free(s);
	agg_free(a);
}
END_TEST

/* The naive reference: a list of keys in arrival order, the first <cap> get rows. */
struct ref_row {
	const char *chain;
	int method_id, cls;
	enum agg_status st;
	uint64_t requests, errors, bytes, ta_sum;
};

static const char *const chains[] = {"polkadot", "kusama", ""};
static const int statuses[] = {200, 404, 503, -1, 101, 302};

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

START_TEST(test_reference)
{
	static struct ref_row ref[2048];
	unsigned cap = _i == 0 ? 2000 : 50;
	struct agg *a = agg_new(cap);
	uint32_t seed = 99;

	ck_assert_ptr_nonnull(a);
	for (int minute = 0; minute < 20; minute++) {
		int n_ref = 0;
		uint64_t ovf = 0, ovf_bytes = 0;
		struct agg_snap *s;
		int lines = (int)(lcg(&seed) % 3000);

		for (int i = 0; i < lines; i++) {
			const char *chain = chains[lcg(&seed) % 3];
			int mid = (int)(lcg(&seed) % 9) - 3, cls = (int)(lcg(&seed) % 10);
			int status = statuses[lcg(&seed) % 6];
			struct logline l = mk(chain, mid, (enum logline_class)cls, status, 1,
			                      (int)(lcg(&seed) % 5000), 1, lcg(&seed) % 1000);
			enum agg_status st = agg_status_of(status);
			int k;

			agg_add(a, &l);
			for (k = 0; k < n_ref; k++)
				if (strcmp(ref[k].chain, chain) == 0 && ref[k].method_id == mid &&
				    ref[k].cls == cls && ref[k].st == st)
					break;
			if (k == n_ref && n_ref == (int)cap) {
				ovf++;
				ovf_bytes += l.bytes;
				continue;
			}
			if (k == n_ref)
				ref[n_ref++] = (struct ref_row){chain, mid, cls, st, 0, 0, 0, 0};
			ref[k].requests++;
			ref[k].errors += status < 0 || status >= 500;
			ref[k].bytes += l.bytes;
			ref[k].ta_sum += (uint64_t)l.ta;
		}
		s = agg_rotate(a, minute * 60000);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->lines, (uint64_t)lines);
		ck_assert_uint_eq(s->overflow_lines, ovf);
		ck_assert_uint_eq(s->n_rows, (size_t)n_ref + (ovf > 0));
		if (ovf > 0) {
			ck_assert(s->rows[s->n_rows - 1].overflow);
			ck_assert_uint_eq(s->rows[s->n_rows - 1].requests, ovf);
			ck_assert_uint_eq(s->rows[s->n_rows - 1].bytes, ovf_bytes);
		}
		for (int k = 0; k < n_ref; k++) {
			const struct agg_row *r = NULL;

			for (size_t j = 0; j < s->n_rows && r == NULL; j++)
				if (!s->rows[j].overflow &&
				    strcmp(s->rows[j].chain, ref[k].chain) == 0 &&
				    s->rows[j].method_id == ref[k].method_id &&
				    (int)s->rows[j].cls == ref[k].cls &&
				    s->rows[j].status == ref[k].st)
					r = &s->rows[j];
			ck_assert_ptr_nonnull(r);
			ck_assert_uint_eq(r->requests, ref[k].requests);
			ck_assert_uint_eq(r->errors, ref[k].errors);
			ck_assert_uint_eq(r->bytes, ref[k].bytes);
			ck_assert_uint_eq(r->ta.sum_ms, ref[k].ta_sum);
			ck_assert_uint_eq(r->ta.count, ref[k].requests);
		}
		agg_snap_free(s);
	}
	agg_free(a);
}
END_TEST

START_TEST(test_captured)
{
	const char *name = hlogs_files[_i];
	struct hlogs_req reqs[HLOGS_REQ_MAX];
	int n_reqs = hlogs_sent(name, reqs), notices = 0;
	struct agg *a = agg_new(64);
	struct agg_snap *s;
	struct hlogs h;

	ck_assert_ptr_nonnull(a);
	load_methods();
	hlogs_load(name, &h);
	for (int i = 0; i < h.n; i++) {
		struct syslog_msg m;
		enum syslog_err serr;
		struct logline l;
		enum logline_err err;

		if (syslog_parse(h.d[i], h.len[i], &m, &serr) < 0) {
			agg_reject_syslog(a, serr);
			continue;
		}
		if (logline_parse(m.msg.p, m.msg.len, lookup, NULL, &l, &err) < 0) {
			agg_reject_logline(a, err);
			notices++;
			continue;
		}
		agg_add(a, &l);
	}
	s = agg_rotate(a, 0);
	ck_assert_ptr_nonnull(s);
	/* The eight requests of the capture fall on eight different keys. */
	ck_assert_uint_eq(s->lines, (uint64_t)n_reqs);
	ck_assert_uint_eq(s->n_rows, (size_t)n_reqs);
	ck_assert_uint_eq(s->logline_rejected[LOGLINE_ERR_NOT_ACCESS], (uint64_t)notices);
	for (int k = 0; k < n_reqs; k++) {
		bool known = strcmp(reqs[k].chain, "westend") != 0;
		bool found = false;

		for (size_t j = 0; j < s->n_rows; j++) {
			const struct agg_row *r = &s->rows[j];

			if (strcmp(r->chain, known ? reqs[k].chain : "") == 0 &&
			    strcmp(logline_class_name(r->cls), reqs[k].cls) == 0 &&
			    r->status == agg_status_of((int)reqs[k].status) &&
			    (strcmp(reqs[k].method, "-") == 0) ==
			        (r->method_id == LOGLINE_METHOD_NONE)) {
				ck_assert_uint_eq(r->requests, 1);
				ck_assert_uint_eq(r->errors, 0);
				found = true;
			}
		}
		ck_assert_msg(found, "no row for %s", reqs[k].tag);
	}
	agg_snap_free(s);
	hlogs_free(&h);
	agg_free(a);
}
END_TEST

static Suite *agg_suite(void)
{
	Suite *s = suite_create("agg");
	TCase *tc = tcase_create("agg");

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_cap);
	tcase_add_loop_test(tc, test_reference, 0, 2);
	tcase_add_loop_test(tc, test_captured, 0, (int)HLOGS_FILES);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(agg_suite());
}
