/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/state.c: both state file formats load (the first one's
 * reasons kept readable), the current format refuses over-long and
 * control-character fields, \u0000, duplicates and non-documents; rendering
 * round-trips; the state directory check; and on a real loop the writer
 * thread: a change is in the file before it is in memory, a failed write
 * changes nothing, changes queue in order, state_free reports what is
 * pending, and no watcher is left behind.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <ev.h>

#include "common/compiler.h"
#include "ctl/state.h"

static struct state_entry *ents;
static size_t n_ents;
static char errbuf[512];

static void teardown(void)
{
	pf_free(&ents);
	n_ents = 0;
}

static int parse(const char *json)
{
	pf_free(&ents);
	errbuf[0] = '\0';
	return state_parse(json, strlen(json), &ents, &n_ents, errbuf, sizeof(errbuf));
}

static void expect_refused(const char *json, const char *want)
{
	ck_assert_msg(parse(json) == -1, "accepted: %s", json);
	ck_assert_str_eq(errbuf, want);
	ck_assert_ptr_null(ents);
	ck_assert_uint_eq(n_ents, 0);
}

/* A JSON string of <n> bytes <ch>, without the quotes. */
static const char *run_of(char ch, size_t n)
{
	static char s[600];

	ck_assert_uint_lt(n, sizeof(s));
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

START_TEST(test_first_format_loads)
{
	ck_assert_int_eq(parse("{\"admin_drains\": {\"p1\": \"disk swap\", \"p0\": \"kernel\"}}"),
	                 0);
	ck_assert_uint_eq(n_ents, 2);
	ck_assert_str_eq(ents[0].node, "p0"); /* sorted */
	ck_assert_str_eq(ents[0].reason, "kernel");
	ck_assert_str_eq(ents[1].node, "p1");
	ck_assert_str_eq(ents[1].reason, "disk swap");
	ck_assert_str_eq(ents[1].by, "");
	ck_assert_str_eq(ents[1].peer, "");
	ck_assert_int_eq(ents[1].at_ms, 0);
	/* What older controllers let in stays readable instead of blocking the start. */
	ck_assert_int_eq(parse("{\"admin_drains\": {\"p0\": \"a\\nforged line\\u001b[31m\"}}"), 0);
	ck_assert_str_eq(ents[0].reason, "a?forged line?[31m");
	{
		char doc[800];

		snprintf(doc, sizeof(doc), "{\"admin_drains\": {\"p0\": \"%s\"}}",
		         run_of('r', 300));
		ck_assert_int_eq(parse(doc), 0);
		ck_assert_uint_eq(strlen(ents[0].reason), STATE_REASON_MAX);
	}
	ck_assert_int_eq(parse("{\"admin_drains\": {}}"), 0);
	ck_assert_uint_eq(n_ents, 0);
	ck_assert_ptr_null(ents);
}
END_TEST

START_TEST(test_current_format_loads)
{
	ck_assert_int_eq(parse("{\"version\": 2, \"admin_drains\": {\"p0\": {\"reason\": \"disk\", "
	                       "\"by\": \"alice@web1\", \"peer\": \"127.0.0.1\", \"at_ms\": "
	                       "1700000000123}, \"p2\": {\"reason\": \"\"}}}"),
	                 0);
	ck_assert_uint_eq(n_ents, 2);
	ck_assert_str_eq(ents[0].node, "p0");
	ck_assert_str_eq(ents[0].reason, "disk");
	ck_assert_str_eq(ents[0].by, "alice@web1");
	ck_assert_str_eq(ents[0].peer, "127.0.0.1");
	ck_assert_int_eq(ents[0].at_ms, 1700000000123LL);
	ck_assert_str_eq(ents[1].node, "p2");
	ck_assert_int_eq(ents[1].at_ms, 0);
}
END_TEST

START_TEST(test_current_format_refusals)
{
	char doc[1200];

	expect_refused("{\"admin_drains\": {\"p0\": {\"reason\": \"a\\nb\"}}}",
	               "p0: reason: at most 127 bytes, no control characters");
	expect_refused("{\"admin_drains\": {\"p0\": {\"reason\": \"a\\u007fb\"}}}",
	               "p0: reason: at most 127 bytes, no control characters");
	snprintf(doc, sizeof(doc), "{\"admin_drains\": {\"p0\": {\"reason\": \"%s\"}}}",
	         run_of('r', STATE_REASON_MAX + 1));
	expect_refused(doc, "admin_drains.p0: expected {\"reason\": TEXT of at most 127 bytes, "
	                    "\"by\", \"peer\", \"at_ms\"}");
	snprintf(doc, sizeof(doc), "{\"admin_drains\": {\"p0\": {\"reason\": \"%s\"}}}",
	         run_of('r', STATE_REASON_MAX));
	ck_assert_int_eq(parse(doc), 0);
	expect_refused("{\"admin_drains\": {\"p0\": {\"reason\": \"x\", \"by\": \"a\\tb\"}}}",
	               "p0: by/peer: at most 64/45 bytes, no control characters");
	expect_refused("{\"admin_drains\": {\"p0\": {\"by\": \"x\"}}}",
	               "admin_drains.p0: expected {\"reason\": TEXT of at most 127 bytes, \"by\", "
	               "\"peer\", \"at_ms\"}");
	expect_refused("{\"admin_drains\": {\"p0\": {\"reason\": \"x\", \"at_ms\": -1}}}",
	               "admin_drains.p0.at_ms: expected a time in ms");
	expect_refused("{\"admin_drains\": {\"p0\": {\"reason\": \"x\", \"at_ms\": \"now\"}}}",
	               "admin_drains.p0.at_ms: expected a time in ms");
	expect_refused("{\"admin_drains\": {\"p0\": 7}}",
	               "admin_drains.p0: expected {\"reason\": TEXT of at most 127 bytes, \"by\", "
	               "\"peer\", \"at_ms\"}");
	snprintf(doc, sizeof(doc), "{\"admin_drains\": {\"%s\": \"x\"}}",
	         run_of('n', STATE_NAME_MAX + 1));
	expect_refused(doc, "admin_drains: a node name longer than 63 bytes");
	expect_refused("{\"admin_drains\": {\"p0\\u0000x\": \"x\"}}",
	               "\\u0000 in a string (it would cut a name short)");
	expect_refused("{\"admin_drains\": {\"p0\\nx\": \"x\"}}",
	               "node: expected 1-63 printable ASCII characters");
	expect_refused("{\"admin_drains\": {\"p0\": \"x\", \"p0\": \"y\"}}",
	               "admin_drains: node p0 twice");
	expect_refused("{\"admin_drains\": []}",
	               "not a polkfura-ctl state file (expected {\"admin_drains\": {}})");
	expect_refused("{\"admin_drains\": {", "not a polkfura-ctl state file (expected "
	                                       "{\"admin_drains\": {}})");
	expect_refused("", "not a polkfura-ctl state file (expected {\"admin_drains\": {}})");
}
END_TEST

START_TEST(test_entry_check)
{
	struct state_entry e = {
	    .node = "p0", .reason = "ok", .by = "a@b", .peer = "::1", .at_ms = 1};

	ck_assert(state_entry_check(&e, errbuf, sizeof(errbuf)));
	e.node[0] = '\0';
	ck_assert(!state_entry_check(&e, errbuf, sizeof(errbuf)));
	ck_assert_str_eq(errbuf, "node: expected 1-63 printable ASCII characters");
	snprintf(e.node, sizeof(e.node), "p0");
	snprintf(e.reason, sizeof(e.reason), "line\rfeed");
	ck_assert(!state_entry_check(&e, errbuf, sizeof(errbuf)));
	snprintf(e.reason, sizeof(e.reason), "répare le disque"); /* UTF-8 is fine here */
	ck_assert(state_entry_check(&e, errbuf, sizeof(errbuf)));
	e.at_ms = -5;
	ck_assert(!state_entry_check(&e, errbuf, sizeof(errbuf)));
}
END_TEST

START_TEST(test_render_round_trip)
{
	struct state_entry in[2] = {
	    {.node = "a",
	     .reason = "quote \" and \\ back",
	     .by = "x@y",
	     .peer = "10.0.0.1",
	     .at_ms = 1700000000000LL},
	    {.node = "b", .reason = "", .by = "", .peer = "", .at_ms = 0},
	};
	size_t len = 0;
	char *text = state_render(in, 2, &len);

	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_ptr_nonnull(strstr(text, "\"version\":\t2"));
	ck_assert_int_eq(parse(text), 0);
	ck_assert_uint_eq(n_ents, 2);
	ck_assert_mem_eq(&ents[0], &in[0], sizeof(in[0]));
	ck_assert_mem_eq(&ents[1], &in[1], sizeof(in[1]));
	free(text);
	text = state_render(NULL, 0, &len);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_uint_eq(n_ents, 0);
	free(text);
}
END_TEST

/* ---- files ---- */

static char dir[256];

static void dir_setup(void)
{
	snprintf(dir, sizeof(dir), "%s/pf-state-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void dir_teardown(void)
{
	char cmd[300];

	teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_check_dir)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	ck_assert_int_eq(state_check_dir(path, errbuf, sizeof(errbuf)), 0);
	/* The probe is gone again. */
	{
		char cmd[400], out[64] = "";
		FILE *p;

		snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(out, sizeof(out), p));
		pclose(p);
		ck_assert_int_eq(strtol(out, NULL, 10), 0);
	}
	snprintf(path, sizeof(path), "%s/missing/state.json", dir);
	ck_assert_int_eq(state_check_dir(path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "/missing: does not exist") != NULL, "%s", errbuf);
	snprintf(path, sizeof(path), "%s/file", dir);
	put(path, "x");
	snprintf(path, sizeof(path), "%s/file/state.json", dir);
	ck_assert_int_eq(state_check_dir(path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "/file is not a directory") != NULL, "%s", errbuf);
	ck_assert_int_eq(state_check_dir("/proc/polkfura-state.json", errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "cannot create a file in /proc"));
}
END_TEST

START_TEST(test_read_file)
{
	char path[400], want[500];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	ck_assert_int_eq(state_read_file(path, &ents, &n_ents, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n_ents, 0);
	put(path, "{\"admin_drains\": {\"p0\": \"old\"}}\n");
	ck_assert_int_eq(state_read_file(path, &ents, &n_ents, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n_ents, 1);
	pf_free(&ents);
	put(path, "garbage");
	ck_assert_int_eq(state_read_file(path, &ents, &n_ents, errbuf, sizeof(errbuf)), -1);
	snprintf(want, sizeof(want),
	         "%s: not a polkfura-ctl state file (expected {\"admin_drains\": {}})", path);
	ck_assert_str_eq(errbuf, want);
	ck_assert_int_eq(state_read_file(dir, &ents, &n_ents, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "not a regular file"));
}
END_TEST

/* ---- the writer thread, on a real loop ---- */

struct done {
	int calls;
	int rc;
	int order; /* the value of <seq> when it ran */
	char err[256];
};

static int seq;

static void on_done(void *ctx, int rc, const char *err)
{
	struct done *d = ctx;

	d->calls++;
	d->rc = rc;
	d->order = ++seq;
	snprintf(d->err, sizeof(d->err), "%s", err != NULL ? err : "");
}

static void run_until(struct ev_loop *loop, const struct done *d)
{
	for (int i = 0; i < 1000 && d->calls == 0; i++)
		ev_run(loop, EVRUN_ONCE);
	ck_assert_int_eq(d->calls, 1);
}

static struct state_entry entry(const char *node, const char *reason)
{
	struct state_entry e = {.at_ms = 1700000000000LL};

	snprintf(e.node, sizeof(e.node), "%s", node);
	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	snprintf(e.by, sizeof(e.by), "alice@web1");
	snprintf(e.peer, sizeof(e.peer), "127.0.0.1");
	return e;
}

START_TEST(test_change_saved_then_committed)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char path[400];
	struct state *st;
	struct state_entry e = entry("p0", "disk swap");
	struct done d = {0};
	char *text;
	size_t len;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	put(path, "{\"admin_drains\": {\"old\": \"first format\"}}");
	st = state_open(loop, path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_uint_eq(state_count(st), 1);
	ck_assert_str_eq(state_at(st, 0)->reason, "first format");
	ck_assert_int_eq(state_change(st, "p0", &e, on_done, &d, errbuf, sizeof(errbuf)), 0);
	/* Never called before the loop runs, and not in memory before the file. */
	ck_assert_int_eq(d.calls, 0);
	ck_assert_ptr_null(state_find(st, "p0"));
	run_until(loop, &d);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_str_eq(state_find(st, "p0")->by, "alice@web1");
	ck_assert_ptr_null(state_find(st, "p"));
	ck_assert_ptr_null(state_find(st, "p0x"));
	ck_assert_uint_eq(state_count(st), 2);
	ck_assert_int_eq(state_read_file(path, &ents, &n_ents, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n_ents, 2);
	ck_assert_str_eq(ents[1].node, "p0");
	ck_assert_str_eq(ents[1].peer, "127.0.0.1");
	text = NULL;
	{
		FILE *f = fopen(path, "r");
		char buf[2048];

		ck_assert_ptr_nonnull(f);
		len = fread(buf, 1, sizeof(buf) - 1, f);
		buf[len] = '\0';
		fclose(f);
		text = strstr(buf, "\"version\"");
		ck_assert_ptr_nonnull(text);
	}
	/* Removal. */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(state_change(st, "old", NULL, on_done, &d, errbuf, sizeof(errbuf)), 0);
	run_until(loop, &d);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_ptr_null(state_find(st, "old"));
	ck_assert_uint_eq(state_count(st), 1);
	state_free(st);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_failed_write_changes_nothing)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char path[400], sub[300];
	struct state *st;
	struct state_entry e = entry("p0", "disk");
	struct done d = {0};

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/state.json", sub);
	st = state_open(loop, path, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(rmdir(sub), 0); /* the directory goes away under the running store */
	ck_assert_int_eq(state_change(st, "p0", &e, on_done, &d, errbuf, sizeof(errbuf)), 0);
	run_until(loop, &d);
	ck_assert_int_eq(d.rc, STATE_EWRITE);
	ck_assert_ptr_nonnull(strstr(d.err, "No such file or directory"));
	ck_assert_ptr_null(state_find(st, "p0"));
	ck_assert_uint_eq(state_count(st), 0);
	ck_assert_uint_eq(state_write_errors(st), 1); /* for polkfura_ctl_state_file_errors_total */
	/* It comes back: the next change works. */
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(state_change(st, "p0", &e, on_done, &d, errbuf, sizeof(errbuf)), 0);
	run_until(loop, &d);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_ptr_nonnull(state_find(st, "p0"));
	ck_assert_uint_eq(state_write_errors(st), 1);
	state_free(st);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_queue_order_limits_and_free)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct done d[STATE_QUEUE_MAX + 2];
	char path[400], name[16];
	struct state *st;
	struct state_entry e;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	st = state_open(loop, path, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
	/* Refused at once, without a callback: invalid entries. */
	e = entry("p0", "a\nb");
	ck_assert_int_eq(state_change(st, "p0", &e, on_done, &d[0], errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "p0: reason: at most 127 bytes, no control characters");
	e = entry("p1", "x");
	ck_assert_int_eq(state_change(st, "p0", &e, on_done, &d[0], errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(state_change(st, "", NULL, on_done, &d[0], errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(d[0].calls, 0);
	/* One in the writer, STATE_QUEUE_MAX waiting, then no more. */
	for (int i = 0; i <= STATE_QUEUE_MAX; i++) {
		snprintf(name, sizeof(name), "n%02d", i);
		e = entry(name, "q");
		ck_assert_int_eq(state_change(st, name, &e, on_done, &d[i], errbuf, sizeof(errbuf)),
		                 0);
	}
	e = entry("late", "q");
	ck_assert_int_eq(
	    state_change(st, "late", &e, on_done, &d[STATE_QUEUE_MAX + 1], errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_str_eq(errbuf, "32 admin changes already waiting for the disk");
	/* The first two complete in order; the rest are reported by state_free. */
	run_until(loop, &d[0]);
	run_until(loop, &d[1]);
	ck_assert_int_eq(d[0].rc, 0);
	ck_assert_int_lt(d[0].order, d[1].order);
	ck_assert_ptr_nonnull(state_find(st, "n01"));
	state_free(st);
	for (int i = 2; i <= STATE_QUEUE_MAX; i++) {
		ck_assert_int_eq(d[i].calls, 1);
		ck_assert_int_eq(d[i].rc, STATE_ESTOP);
		ck_assert_int_lt(d[i - 1].order, d[i].order);
	}
	ck_assert_int_eq(d[STATE_QUEUE_MAX + 1].calls, 0);
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_open_refuses_bad_file)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char path[400];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	put(path, "{\"admin_drains\": {\"p0\": {\"reason\": \"a\\nb\"}}}");
	ck_assert_ptr_null(state_open(loop, path, errbuf, sizeof(errbuf)));
	ck_assert_ptr_nonnull(strstr(errbuf, "p0: reason: at most 127 bytes, no control"));
	ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
	ev_loop_destroy(loop);
	state_free(NULL);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_first_format_loads);
	tcase_add_test(tc, test_current_format_loads);
	tcase_add_test(tc, test_current_format_refusals);
	tcase_add_test(tc, test_entry_check);
	tcase_add_test(tc, test_render_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_check_dir);
	tcase_add_test(tc, test_read_file);
	tcase_add_test(tc, test_change_saved_then_committed);
	tcase_add_test(tc, test_failed_write_changes_nothing);
	tcase_add_test(tc, test_queue_order_limits_and_free);
	tcase_add_test(tc, test_open_refuses_bad_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
