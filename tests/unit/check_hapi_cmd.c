/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/hapi/hapi_cmd.c: the parsers on real HAProxy 2.6 and 3.4
 * answers (tests/unit/data/hapi/ and its 3.4/; the README there says how each
 * was captured and what differs; loop tests run once per version), on
 * broken rows, and at every truncation point with the text ending at a
 * PROT_NONE guard page; the answer checks and the multi-command splitter on
 * real answers; the command builders (exact text, injection refused, every
 * buffer size); and hapi_diff() on a table of cases against the real
 * "show servers state" capture. Run from the repository root.
 */
#include <sys/mman.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "common/slice.h"
#include "ctl/hapi/hapi_cmd.h"

#define DATA_DIR        "tests/unit/data/hapi/"
#define MAX_ROWS        64
#define GUARD_MAP_PAGES 4

/* The captures of each HAProxy version, under DATA_DIR; loop tests take <_i> as the index. */
enum { V26 = 0, V34, N_VERSIONS };
static const char *const version_dir[N_VERSIONS] = {"", "3.4/"};

/* ---- helpers ------------------------------------------------------------------ */

/*
 * Reads DATA_DIR<version_dir[v]><name> into a heap block of exactly its size
 * (+1 NUL not counted).
 */
static char *loadv(int v, const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long size;

	ck_assert(v >= 0 && v < N_VERSIONS);
	(void)snprintf(path, sizeof(path), DATA_DIR "%s%s", version_dir[v], name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert(size >= 0);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	(void)fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/* The 2.6 capture <name>. */
static char *load(const char *name, size_t *len)
{
	return loadv(V26, name, len);
}

/* A mapping whose last page is PROT_NONE: text copied to end at it faults on any overread. */
struct guard {
	char *map;
	size_t map_len;
	char *end; /* first byte of the PROT_NONE page */
};

static void guard_init(struct guard *g)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	g->map_len = GUARD_MAP_PAGES * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(g->map != MAP_FAILED);
	g->end = g->map + g->map_len - page;
	ck_assert_int_eq(mprotect(g->end, page, PROT_NONE), 0);
}

static const char *guard_put(struct guard *g, const char *text, size_t len)
{
	ck_assert_uint_le(len, (size_t)(g->end - g->map));
	memcpy(g->end - len, text, len);
	return g->end - len;
}

static void guard_fini(struct guard *g)
{
	ck_assert_int_eq(munmap(g->map, g->map_len), 0);
}

static int parse_ss(const char *text, size_t len, struct hapi_server *rows, size_t cap, size_t *n,
                    char *err, size_t errlen)
{
	return hapi_parse_servers_state(text, len, rows, cap, n, err, errlen);
}

static int parse_ss_str(const char *text, struct hapi_server *rows, size_t cap, size_t *n,
                        char *err, size_t errlen)
{
	return parse_ss(text, strlen(text), rows, cap, n, err, errlen);
}

static const struct hapi_server *row(const struct hapi_server *rows, size_t n, const char *be,
                                     const char *srv)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].backend, be) == 0 && strcmp(rows[i].server, srv) == 0)
			return &rows[i];
	ck_abort_msg("no row %s/%s", be, srv);
	return NULL;
}

static void assert_row(const struct hapi_server *s, const char *addr, unsigned port, int op,
                       unsigned adm, unsigned uw, unsigned iw)
{
	ck_assert_msg(strcmp(s->addr, addr) == 0, "%s/%s addr %s", s->backend, s->server, s->addr);
	ck_assert_uint_eq(s->port, port);
	ck_assert_int_eq(s->op_state, op);
	ck_assert_msg(s->admin_state == adm, "%s/%s admin %u want %u", s->backend, s->server,
	              s->admin_state, adm);
	ck_assert_uint_eq(s->uweight, uw);
	ck_assert_uint_eq(s->iweight, iw);
}

/* The header lines of a real dump, for crafted inputs. */
static const char ss_head[] =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port\n";

/* A real row of servers_state.txt (be_polkadot/node1). */
static const char ss_row1[] =
    "3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0";

/* Parses ss_head + <rowtext> + "\n\n"; returns the parser's result. */
static int parse_one_row(const char *rowtext, struct hapi_server *out, char *err, size_t errlen)
{
	char buf[2048];
	size_t n;

	(void)snprintf(buf, sizeof(buf), "%s%s\n\n", ss_head, rowtext);
	return parse_ss_str(buf, out, 1, &n, err, errlen);
}

/* ---- show servers state -------------------------------------------------------- */

/* The same values in both captures: 3.4 shows the same states, addresses and weights. */
START_TEST(test_ss_real_full)
{
	struct hapi_server rows[MAX_ROWS];
	char err[128] = "";
	size_t len, n;
	char *text = loadv(_i, "servers_state.txt", &len);

	ck_assert_msg(parse_ss(text, len, rows, MAX_ROWS, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 16);
	/* Order is HAProxy's. */
	ck_assert_str_eq(rows[0].backend, "be_polkadot");
	ck_assert_str_eq(rows[0].server, "node1");
	ck_assert_str_eq(rows[15].server, "static4");
	/* Template slots: filled (4), drained (12), unused (5), filled then maint by hand (5). */
	assert_row(row(rows, n, "be_polkadot", "node1"), "127.0.0.1", 19944, HAPI_OP_RUNNING, 0x04,
	           1, 1);
	assert_row(row(rows, n, "be_polkadot", "node2"), "127.0.0.2", 19944, HAPI_OP_STOPPED, 0x0c,
	           1, 1);
	assert_row(row(rows, n, "be_polkadot", "node3"), "127.0.0.1", 9944, HAPI_OP_STOPPED, 0x05,
	           1, 1);
	assert_row(row(rows, n, "be_polkadot", "node4"), "127.0.0.1", 19944, HAPI_OP_STOPPED, 0x05,
	           1, 1);
	assert_row(row(rows, n, "be_polkadot", "node5"), "::1", 19944, HAPI_OP_RUNNING, 0x04, 7, 1);
	/* Tracking servers: own weight, inherited drain and maint. */
	assert_row(row(rows, n, "be_polkadot_heavy", "node1"), "127.0.0.1", 9944, HAPI_OP_RUNNING,
	           0, 3, 1);
	assert_row(row(rows, n, "be_polkadot_heavy", "node2"), "127.0.0.1", 9944, HAPI_OP_STOPPED,
	           HAPI_ADMF_IDRAIN, 1, 1);
	assert_row(row(rows, n, "be_polkadot_heavy", "node3"), "127.0.0.1", 9944, HAPI_OP_STOPPED,
	           HAPI_ADMF_IMAINT, 1, 1);
	/* Plain servers: maint by hand, drained by hand, disabled, down. */
	assert_row(row(rows, n, "be_static", "static1"), "127.0.0.1", 19944, HAPI_OP_STOPPED,
	           HAPI_ADMF_FMAINT, 50, 50);
	assert_row(row(rows, n, "be_static", "static2"), "127.0.0.1", 19944, HAPI_OP_RUNNING,
	           HAPI_ADMF_FDRAIN, 1, 1);
	assert_row(row(rows, n, "be_static", "static3"), "127.0.0.1", 19944, HAPI_OP_STOPPED,
	           HAPI_ADMF_FMAINT | HAPI_ADMF_CMAINT, 1, 1);
	assert_row(row(rows, n, "be_static", "static4"), "127.0.0.1", 19945, HAPI_OP_STOPPED, 0, 1,
	           1);
	free(text);
}
END_TEST

START_TEST(test_ss_real_one_backend)
{
	struct hapi_server rows[MAX_ROWS];
	char err[128] = "";
	size_t len, n;
	char *text = loadv(_i, "servers_state_polkadot.txt", &len);

	ck_assert_msg(parse_ss(text, len, rows, MAX_ROWS, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(rows[5].server, "node6");
	assert_row(&rows[5], "127.0.0.1", 9944, HAPI_OP_STOPPED, 0x05, 1, 1);
	free(text);
}
END_TEST

/* lab2.cfg: init-addr none on an unresolvable name, IPv6 with weight 256, no port. */
START_TEST(test_ss_real_unresolved)
{
	struct hapi_server rows[MAX_ROWS];
	char err[128] = "";
	size_t len, n;
	char *text = loadv(_i, "servers_state_unresolved.txt", &len);

	ck_assert_msg(parse_ss(text, len, rows, MAX_ROWS, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 3);
	assert_row(&rows[0], "", 9944, HAPI_OP_STOPPED, HAPI_ADMF_RMAINT, 1, 1);
	assert_row(&rows[1], "::1", 9944, HAPI_OP_RUNNING, 0, 256, 256);
	assert_row(&rows[2], "127.0.0.1", 0, HAPI_OP_RUNNING, 0, 1, 1);
	free(text);
}
END_TEST

/* Other answers are not a servers state dump: error on line 1, nothing returned. */
START_TEST(test_ss_other_answers_rejected)
{
	static const char *const files[] = {
	    "servers_state_nobackend.txt", "info.txt",        "stat.csv",
	    "err_no_server.txt",           "ok_shutdown.txt", "err_unknown_cmd.txt"};
	struct hapi_server rows[MAX_ROWS];
	char err[128];
	size_t i, len, n;

	for (i = 0; i < PF_ARRAY_SIZE(files); i++) {
		char *text = loadv(_i, files[i], &len);

		n = 99;
		err[0] = '\0';
		ck_assert_int_eq(parse_ss(text, len, rows, MAX_ROWS, &n, err, sizeof(err)), -1);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strncmp(err, "line 1: ", 8) == 0, "%s: %s", files[i], err);
		free(text);
	}
	len = 0;
	ck_assert_int_eq(parse_ss("", 0, rows, MAX_ROWS, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 1: empty answer");
	ck_assert_int_eq(parse_ss(NULL, 0, rows, MAX_ROWS, &n, err, sizeof(err)), -1);
	{
		char *text = loadv(_i, "servers_state_nobackend.txt", &len);

		ck_assert_int_eq(parse_ss(text, len, rows, MAX_ROWS, &n, err, sizeof(err)), -1);
		ck_assert_str_eq(
		    err, "line 1: not a version 1 servers state dump: \"Can't find backend.\"");
		free(text);
	}
}
END_TEST

/*
 * Every strict prefix of a real answer lacks the terminating empty line, so
 * it must fail cleanly (never parse a partial list); the text ends at a
 * guard page so any overread faults. The full text still parses there.
 */
START_TEST(test_ss_every_truncation)
{
	static const char *const files[] = {"servers_state.txt", "servers_state_polkadot.txt",
	                                    "servers_state_unresolved.txt", "info.txt"};
	struct hapi_server rows[MAX_ROWS];
	struct guard g;
	char err[128];
	size_t f, cut, len, n;

	guard_init(&g);
	for (f = 0; f < PF_ARRAY_SIZE(files); f++) {
		char *text = loadv(_i, files[f], &len);
		int full;

		for (cut = 0; cut < len; cut++) {
			const char *p = guard_put(&g, text, cut);

			err[0] = '\0';
			ck_assert_msg(parse_ss(p, cut, rows, MAX_ROWS, &n, err, sizeof(err)) == -1,
			              "%s: prefix %zu parsed", files[f], cut);
			ck_assert_uint_eq(n, 0);
			ck_assert_msg(strncmp(err, "line ", 5) == 0, "%s/%zu: %s", files[f], cut,
			              err);
		}
		full =
		    parse_ss(guard_put(&g, text, len), len, rows, MAX_ROWS, &n, err, sizeof(err));
		ck_assert_int_eq(full, f < 3 ? 0 : -1);
		free(text);
	}
	guard_fini(&g);
}
END_TEST

START_TEST(test_ss_truncation_messages)
{
	struct hapi_server rows[4];
	char buf[2048], err[128];
	size_t n;

	/* Cut at a line boundary: only the missing empty line tells. */
	(void)snprintf(buf, sizeof(buf), "%s%s\n", ss_head, ss_row1);
	ck_assert_int_eq(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 4: no empty line at the end (truncated answer)");
	/* Cut inside a row. */
	(void)snprintf(buf, sizeof(buf), "%s3 be_polkadot 1 no", ss_head);
	ck_assert_int_eq(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 3: unterminated line (truncated answer)");
	/* Only the version line. */
	ck_assert_int_eq(parse_ss_str("1\n", rows, 4, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 2: missing column header");
}
END_TEST

/* Newer versions append columns to the header and the rows: accepted. */
START_TEST(test_ss_extra_columns_accepted)
{
	struct hapi_server rows[4];
	char buf[2048], err[128] = "";
	size_t n, hl = strlen(ss_head);

	memcpy(buf, ss_head, hl - 1);
	(void)snprintf(buf + hl - 1, sizeof(buf) - hl + 1, " srv_future other\n%s 42 x\n\n",
	               ss_row1);
	ck_assert_msg(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 1);
	assert_row(&rows[0], "127.0.0.1", 19944, HAPI_OP_RUNNING, 4, 1, 1);
}
END_TEST

/* A backend with no server, and comment lines between rows. */
START_TEST(test_ss_empty_and_comments)
{
	struct hapi_server rows[4];
	char buf[2048], err[128] = "";
	size_t n = 99;

	(void)snprintf(buf, sizeof(buf), "%s\n", ss_head);
	ck_assert_msg(parse_ss_str(buf, rows, 0, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 0);
	(void)snprintf(buf, sizeof(buf), "%s# a comment\n%s\n#\n\n", ss_head, ss_row1);
	ck_assert_msg(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 1);
	/* Something after the empty line is a second answer: not ours to parse. */
	(void)snprintf(buf, sizeof(buf), "%s%s\n\n\n", ss_head, ss_row1);
	ck_assert_int_eq(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 5: data after the end of the answer");
	ck_assert_uint_eq(n, 0);
}
END_TEST

struct bad_row {
	const char *row;
	const char *err; /* expected message, "line 3: " included */
};

static const struct bad_row bad_rows[] = {
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - -",
     "line 3: too few columns"},
    {"3 be_polkadot 1 node1", "line 3: too few columns"},
    {"", "line 4: data after the end of the answer"}, /* the empty row ends the answer */
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - -  0",
     "line 3: empty column"},
    {" 3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: empty column"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0 ",
     "line 3: empty column"},
    {"3\tbe_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0 x",
     "line 3: non-printable byte"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0\r",
     "line 3: non-printable byte"},
    {"x be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in be_id or srv_id"},
    {"3 be_polkadot -1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in be_id or srv_id"},
    {"3 be_polkadot 4294967296 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in be_id or srv_id"},
    {"3 be_polkadot 1 node1 127.0.0.1 4 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in srv_op_state"},
    {"3 be_polkadot 1 node1 127.0.0.1 +2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in srv_op_state"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 256 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in srv_admin_state"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 0x4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in srv_admin_state"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 257 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in srv_uweight or srv_iweight"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1.5 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad number in srv_uweight or srv_iweight"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 65536 - 0 0 - - 0",
     "line 3: bad number in srv_port"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 99999999999999999999999 - 0 "
     "0 - - 0",
     "line 3: bad number in srv_port"},
    {"3 be_polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - - - 0 0 - - 0",
     "line 3: bad number in srv_port"},
    {"3 be;polkadot 1 node1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad backend name"},
    {"3 be_polkadot 1 node/1 127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad server name"},
    {"3 b123456789012345678901234567890123456789012345678901234567890123 1 node1 127.0.0.1 2 4 "
     "1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: backend name too long"},
    {"3 be_polkadot 1 s123456789012345678901234567890123456789012345678901234567890123 "
     "127.0.0.1 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: server name too long"},
    {"3 be_polkadot 1 node1 localhost 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad srv_addr"},
    {"3 be_polkadot 1 node1 [::1] 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad srv_addr"},
    {"3 be_polkadot 1 node1 -- 2 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
     "line 3: bad srv_addr"},
};

START_TEST(test_ss_bad_row)
{
	const struct bad_row *b = &bad_rows[_i];
	struct hapi_server s;
	char err[128] = "";

	ck_assert_msg(parse_one_row(b->row, &s, err, sizeof(err)) == -1, "row %d parsed", _i);
	ck_assert_msg(strcmp(err, b->err) == 0, "row %d: got \"%s\", want \"%s\"", _i, err, b->err);
}
END_TEST

/*
 * Regression: parse_ulong() checked overflow as v > (max - d) / 10, which
 * wraps when the digit itself is above <max>: op_state "4" (max 3) passed.
 */
START_TEST(test_regress_digit_above_max)
{
	static const char *const rows[] = {
	    "3 be_polkadot 1 node1 127.0.0.1 4 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
	    "3 be_polkadot 1 node1 127.0.0.1 9 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
	    "3 be_polkadot 1 node1 127.0.0.1 39 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0",
	};
	struct hapi_server s;
	char err[128];
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(rows); i++) {
		ck_assert_int_eq(parse_one_row(rows[i], &s, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "line 3: bad number in srv_op_state");
	}
	ck_assert_int_eq(
	    parse_one_row(
	        "3 be_polkadot 1 node1 127.0.0.1 3 4 1 1 10 15 3 3 6 0 0 0 - 19944 - 0 0 - - 0", &s,
	        err, sizeof(err)),
	    0);
	ck_assert_int_eq(s.op_state, HAPI_OP_STOPPING);
}
END_TEST

/*
 * Pseudo-random garbage, and real answers with bytes flipped, through every
 * parser and checker at a guard page: a clean answer each time, no crash.
 */
START_TEST(test_garbage_no_crash)
{
	static const char alphabet[] = "1 #\n\n0-:.be_polkadotnode9x\t\r\377\0';/";
	struct hapi_server rows[MAX_ROWS];
	struct pf_slice ans[8];
	struct hapi_info info;
	struct guard g;
	char buf[2048], err[128];
	uint32_t seed = 12345;
	size_t len, n, i, iter;
	char *real = load("servers_state.txt", &len);

	guard_init(&g);
	for (iter = 0; iter < 20000; iter++) {
		size_t blen;

		seed = seed * 1103515245u + 12345u;
		if (iter % 2 == 0) {
			blen = (seed >> 8) % sizeof(buf);
			for (i = 0; i < blen; i++) {
				seed = seed * 1103515245u + 12345u;
				buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
			}
		} else {
			blen = len;
			memcpy(buf, real, len);
			for (i = 0; i < 4; i++) {
				seed = seed * 1103515245u + 12345u;
				buf[(seed >> 8) % len] = (char)(seed >> 24);
			}
		}
		{
			const char *p = guard_put(&g, buf, blen);
			int r = parse_ss(p, blen, rows, MAX_ROWS, &n, err, sizeof(err));

			ck_assert(r == 0 || (r == -1 && n == 0 && strncmp(err, "line ", 5) == 0));
			r = hapi_parse_info(p, blen, &info, err, sizeof(err));
			ck_assert(r == 0 || (r == -1 && strncmp(err, "line ", 5) == 0));
			r = hapi_split_answers(p, blen, ans, 8, &n, err, sizeof(err));
			ck_assert(r == 0 || r == -1 || r == PF_AGAIN);
			r = hapi_answer_ok(p, blen, err, sizeof(err));
			ck_assert(r == 0 || r == -1);
			r = hapi_addr_answer_ok(p, blen, err, sizeof(err));
			ck_assert(r == 0 || r == -1);
		}
	}
	guard_fini(&g);
	free(real);
}
END_TEST

/* A name of exactly 63 bytes fits; the row with the longest names still parses. */
START_TEST(test_ss_longest_names)
{
	struct hapi_server s;
	char err[128] = "";
	static const char longrow[] =
	    "3 b12345678901234567890123456789012345678901234567890123456789012 1 "
	    "s12345678901234567890123456789012345678901234567890123456789012 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 3 255 256 256 10 15 3 3 6 0 0 0 - "
	    "65535 - 0 0 - - 0";

	ck_assert_msg(parse_one_row(longrow, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(strlen(s.backend), 63);
	ck_assert_uint_eq(strlen(s.server), 63);
	ck_assert_str_eq(s.addr, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	ck_assert_uint_eq(s.port, 65535);
	ck_assert_uint_eq(s.admin_state, 255);
	ck_assert_int_eq(s.op_state, HAPI_OP_STOPPING);
}
END_TEST

START_TEST(test_ss_bad_head)
{
	static const char *const heads[] = {
	    "2\n",
	    "1 \n",
	    "01\n",
	    "\n",
	    "# comment first\n1\n",
	    "1\n# be_id be_name\n",
	    "1\n# be_name be_id srv_id srv_name srv_addr srv_op_state srv_admin_state "
	    "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
	    "srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id "
	    "srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port "
	    "srv_check_addr srv_agent_addr srv_agent_port\n",
	    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
	    "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
	    "srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id "
	    "srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port "
	    "srv_check_addr srv_agent_addr srv_agent_portX\n",
	};
	struct hapi_server rows[4];
	char buf[2048], err[128];
	size_t i, n;

	for (i = 0; i < PF_ARRAY_SIZE(heads); i++) {
		(void)snprintf(buf, sizeof(buf), "%s%s\n\n", heads[i], ss_row1);
		err[0] = '\0';
		ck_assert_msg(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)) == -1, "head %zu",
		              i);
		ck_assert_msg(strncmp(err, i < 5 ? "line 1: " : "line 2: ", 8) == 0, "%zu: %s", i,
		              err);
	}
}
END_TEST

START_TEST(test_ss_capacity_and_duplicates)
{
	struct hapi_server rows[MAX_ROWS];
	char err[128] = "", buf[2048];
	size_t len, n = 99;
	char *text = load("servers_state.txt", &len);

	ck_assert_msg(parse_ss(text, len, rows, 16, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(parse_ss(text, len, rows, 15, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 18: more rows than capacity (15)");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(parse_ss(text, len, rows, 0, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 3: more rows than capacity (0)");
	free(text);

	(void)snprintf(buf, sizeof(buf), "%s%s\n%s\n\n", ss_head, ss_row1, ss_row1);
	ck_assert_int_eq(parse_ss_str(buf, rows, 4, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 4: duplicate server");
	/* Errors without a buffer, and into a tiny one, are fine. */
	ck_assert_int_eq(parse_ss_str(buf, rows, 4, &n, NULL, 0), -1);
	ck_assert_int_eq(parse_ss_str(buf, rows, 4, &n, err, 5), -1);
	ck_assert_str_eq(err, "line");
}
END_TEST

/* ---- show info ----------------------------------------------------------------- */

/* Pid, Uptime_sec and Version as each info.txt shows them. */
static const struct {
	long pid, uptime_sec;
	const char *version;
} info_want[N_VERSIONS] = {
    {30296, 10, "2.6.12-1+deb12u4"},
    {24018, 1, "3.4.0-64a335366"},
};

START_TEST(test_info_real)
{
	struct hapi_info info;
	char err[128] = "";
	size_t len;
	char *text = loadv(_i, "info.txt", &len);

	ck_assert_msg(hapi_parse_info(text, len, &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(info.pid, info_want[_i].pid);
	ck_assert_int_eq(info.uptime_sec, info_want[_i].uptime_sec);
	ck_assert_str_eq(info.version, info_want[_i].version);
	ck_assert_str_eq(info.node, "lab-edge-1");
	free(text);
}
END_TEST

/* Removes the line starting with <key> from a copy of info.txt and parses it. */
static int info_without(const char *key, char *err, size_t errlen)
{
	struct hapi_info info;
	size_t len;
	char *text = load("info.txt", &len), *p;
	int r;

	p = strstr(text, key);
	ck_assert_ptr_nonnull(p);
	ck_assert(p == text || p[-1] == '\n');
	{
		char *nl = strchr(p, '\n');

		ck_assert_ptr_nonnull(nl);
		memmove(p, nl + 1, strlen(nl + 1) + 1);
		len -= (size_t)(nl + 1 - p);
	}
	r = hapi_parse_info(text, len, &info, err, errlen);
	free(text);
	return r;
}

START_TEST(test_info_missing_fields)
{
	char err[128];

	ck_assert_int_eq(info_without("Pid: ", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 69: end of answer without Pid");
	ck_assert_int_eq(info_without("Uptime_sec: ", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 69: end of answer without Uptime_sec");
	/* Version and node are optional. */
	ck_assert_int_eq(info_without("Version: ", err, sizeof(err)), 0);
	ck_assert_int_eq(info_without("node: ", err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_info_bad)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
	    {"Pid: 0\nUptime_sec: 1\n\n", "line 1: bad Pid"},
	    {"Pid: -5\nUptime_sec: 1\n\n", "line 1: bad Pid"},
	    {"Pid: 2147483648\nUptime_sec: 1\n\n", "line 1: bad Pid"},
	    {"Pid: 12 \nUptime_sec: 1\n\n", "line 1: bad Pid"},
	    {"Pid:\nUptime_sec: 1\n\n", "line 1: bad Pid"},
	    {"Pid: 1\nPid: 2\nUptime_sec: 1\n\n", "line 2: duplicate Pid"},
	    {"Pid: 1\nUptime_sec: x\n\n", "line 2: bad Uptime_sec"},
	    {"Pid: 1\nUptime_sec: 1\nUptime_sec: 1\n\n", "line 3: duplicate Uptime_sec"},
	    {"Pid: 1\nUptime_sec: 1\nno colon here\n\n", "line 3: not a \"Name: value\" line"},
	    {"Pid: 1\nUptime_sec: 1\n: value\n\n", "line 3: not a \"Name: value\" line"},
	    {"Pid: 1\nUptime_sec: 1\nVersion: 123456789012345678901234567890123\n\n",
	     "line 3: value too long"},
	    {"Pid: 1\nUptime_sec: 1\nnode: a\tb\n\n", "line 3: non-printable byte"},
	    {"Pid: 1\nUptime_sec: 1\n", "line 3: no empty line at the end (truncated answer)"},
	    {"Pid: 1\nUptime_sec: 1", "line 2: unterminated line (truncated answer)"},
	    {"Pid: 1\nUptime_sec: 1\n\nmore\n", "line 4: data after the end of the answer"},
	    {"\n", "line 1: end of answer without Pid"},
	    {"", "line 1: no empty line at the end (truncated answer)"},
	};
	struct hapi_info info;
	char err[128];
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(cases); i++) {
		err[0] = '\0';
		ck_assert_msg(hapi_parse_info(cases[i].text, strlen(cases[i].text), &info, err,
		                              sizeof(err)) == -1,
		              "case %zu parsed", i);
		ck_assert_msg(strcmp(err, cases[i].err) == 0, "case %zu: \"%s\"", i, err);
		ck_assert_int_eq(info.pid, 0);
	}
	/* The smallest valid answer; a value may be empty; keys are case-sensitive. */
	{
		static const char small[] = "Pid: 7\nUptime_sec: 0\nnode:\npid: x\n\n";

		ck_assert_int_eq(hapi_parse_info(small, sizeof(small) - 1, &info, err, sizeof(err)),
		                 0);
	}
	ck_assert_int_eq(info.pid, 7);
	ck_assert_str_eq(info.node, "");
}
END_TEST

START_TEST(test_info_every_truncation)
{
	static const char *const files[] = {"info.txt", "servers_state.txt", "stat.csv"};
	struct hapi_info info;
	struct guard g;
	char err[128];
	size_t f, cut, len;

	guard_init(&g);
	for (f = 0; f < PF_ARRAY_SIZE(files); f++) {
		char *text = loadv(_i, files[f], &len);

		for (cut = 0; cut <= len; cut++) {
			int r =
			    hapi_parse_info(guard_put(&g, text, cut), cut, &info, err, sizeof(err));

			ck_assert_int_eq(r, (f == 0 && cut == len) ? 0 : -1);
			if (r == -1)
				ck_assert_msg(strncmp(err, "line ", 5) == 0, "%s", err);
		}
		free(text);
	}
	guard_fini(&g);
}
END_TEST

/* ---- command answers -------------------------------------------------------------- */

START_TEST(test_answer_ok_real)
{
	static const char *const files[] = {"ok_shutdown.txt", "ok_weight_tracking.txt",
	                                    "multi_drain_weight.txt"};
	char err[64] = "untouched";
	size_t i, len;

	for (i = 0; i < PF_ARRAY_SIZE(files); i++) {
		char *text = loadv(_i, files[i], &len);

		ck_assert_int_eq(hapi_answer_ok(text, len, err, sizeof(err)), 0);
		free(text);
	}
	ck_assert_int_eq(hapi_answer_ok("", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(hapi_answer_ok(NULL, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(hapi_answer_ok(" \t\r\n", 4, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "untouched");
}
END_TEST

/*
 * Real error answers, with the command that produced each (capture.js has
 * them all) and the first line of the answer of 2.6 and of 3.4.
 */
static const struct {
	const char *file;
	const char *first_line[N_VERSIONS];
} real_errors[] = {
    /* set server be_polkadot/nope state drain */
    {"err_no_server.txt", {"No such server.", "No such server."}},
    /* set server nope/node1 state drain */
    {"err_no_backend.txt", {"No such backend.", "No such backend."}},
    /* set server be_polkadot state drain */
    {"err_require.txt", {"Require 'backend/server'.", "Require 'backend/server'."}},
    {"err_state.txt", /* state bogus */
     {"'set server <srv> state' expects 'ready', 'drain' and 'maint'.",
      "'set server <srv> state' expects 'ready', 'drain' and 'maint'."}},
    {"err_weight.txt", /* weight 999 */
     {"Absolute weight can only be between 0 and 256 inclusive.",
      "Absolute weight can only be between 0 and 256 inclusive."}},
    {"err_weight_garbage.txt", /* weight abc */
     {"Empty weight string empty or preceded by garbage",
      "Empty weight string empty or preceded by garbage"}},
    {"err_require_weight.txt",
     {"Require <weight> or <weight%>.", "Require <weight> or <weight%>."}},
    {"err_unknown_cmd.txt", /* frobnicate */
     {"Unknown command, but maybe one of the following ones is a better match:",
      "Unknown command: 'frobnicate', but maybe one of the following ones is a better match:"}},
    {"err_shutdown_no_server.txt", {"No such server.", "No such server."}},
    {"servers_state_nobackend.txt", {"Can't find backend.", "Can't find backend."}},
    {"addr_invalid.txt",
     {"Invalid addr '1.2.3.4.5' by 'stats socket command'", "Invalid addr '1.2.3.4.5'"}},
};

START_TEST(test_answer_errors_real)
{
	char err[128];
	size_t i, len;

	for (i = 0; i < PF_ARRAY_SIZE(real_errors); i++) {
		char *text = loadv(_i, real_errors[i].file, &len);
		const char *want = real_errors[i].first_line[_i];

		err[0] = '\0';
		ck_assert_int_eq(hapi_answer_ok(text, len, err, sizeof(err)), -1);
		ck_assert_msg(strcmp(err, want) == 0, "%s: %s", real_errors[i].file, err);
		/* An addr answer checker says no to all of them too. */
		err[0] = '\0';
		ck_assert_int_eq(hapi_addr_answer_ok(text, len, err, sizeof(err)), -1);
		ck_assert_str_eq(err, want);
		free(text);
	}
}
END_TEST

START_TEST(test_answer_err_buffer)
{
	char err[8];

	ck_assert_int_eq(hapi_answer_ok("No such server.\n\n", 17, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "No such");
	ck_assert_int_eq(hapi_answer_ok("No such server.\n\n", 17, NULL, 0), -1);
	ck_assert_int_eq(hapi_answer_ok("\n  a\x01\xff\n\n", 8, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "  a??");
	ck_assert_int_eq(hapi_answer_ok("x", 1, err, 1), -1);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(hapi_answer_ok("\0", 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "?");
}
END_TEST

/*
 * The successes of both versions (3.4 words three of them differently:
 * addr_same "nothing changed", addr_badport2 "port changed from '34463' to
 * '12' by ...", addr_bracket "... to '::1' by ..."), then the errors.
 */
START_TEST(test_addr_answer_real)
{
	static const char *const ok_files[] = {
	    "addr_same.txt",     /* same addr, same port */
	    "addr_ip6_port.txt", /* to ::1 port 19944 */
	    "addr_back.txt",     /* back to 127.0.0.1 port 19945 */
	    "addr_ip_only.txt",  /* no port argument */
	    "addr_bracket.txt",  /* "[::1]": HAProxy takes it */
	    "addr_badport.txt",  /* port 99999 taken as 34463: a "success" */
	    "addr_badport2.txt", /* port 12ab taken as 12: a "success" */
	};
	static const struct {
		const char *file;
		const char *err[N_VERSIONS];
	} bad[] = {
	    {"addr_invalid.txt",
	     {"Invalid addr '1.2.3.4.5' by 'stats socket command'", "Invalid addr '1.2.3.4.5'"}},
	    {"addr_hostname.txt",
	     {"Invalid addr 'localhost' by 'stats socket command'", "Invalid addr 'localhost'"}},
	    {"addr_family_err.txt",
	     {"Update for the current server address family is only supported through "
	      "configuration file by 'stats socket command'",
	      "Update for the current server address family is only supported through "
	      "configuration file."}},
	    {"addr_require.txt",
	     {"set server <b>/<s> addr requires an address and optionally a port.",
	      "set server <b>/<s> addr requires an address and optionally a port."}},
	    {"ok_shutdown.txt",
	     {"empty answer to set server addr", "empty answer to set server addr"}},
	};
	char err[256];
	size_t i, len;

	for (i = 0; i < PF_ARRAY_SIZE(ok_files); i++) {
		char *text = loadv(_i, ok_files[i], &len);

		err[0] = '\0';
		ck_assert_msg(hapi_addr_answer_ok(text, len, err, sizeof(err)) == 0, "%s: %s",
		              ok_files[i], err);
		/* The plain check calls any text an error. */
		ck_assert_int_eq(hapi_answer_ok(text, len, err, sizeof(err)), -1);
		free(text);
	}
	for (i = 0; i < PF_ARRAY_SIZE(bad); i++) {
		char *text = loadv(_i, bad[i].file, &len);

		err[0] = '\0';
		ck_assert_int_eq(hapi_addr_answer_ok(text, len, err, sizeof(err)), -1);
		ck_assert_msg(strcmp(err, bad[i].err[_i]) == 0, "%s: %s", bad[i].file, err);
		free(text);
	}
}
END_TEST

/* The IP changed and then the port failed: an error, with HAProxy's whole line. */
START_TEST(test_addr_answer_partial_failure)
{
	char err[256];
	size_t len;
	char *text = loadv(_i, "addr_portmap_err.txt", &len);

	ck_assert_int_eq(hapi_addr_answer_ok(text, len, err, sizeof(err)), -1);
	ck_assert(strncmp(err, "IP changed from '127.0.0.1' to '127.0.0.9', can't change <port>",
	                  63) == 0);
	free(text);
}
END_TEST

START_TEST(test_addr_answer_grammar)
{
	static const char *const ok[] = {
	    "no need to change the addr by 'x'\n",
	    "no need to change the addr by 'x'\n\n",
	    "IP changed from 'a' to 'b' by 'stats socket command'\n",
	    "no need to change the addr, no need to change the port by 'x'\n",
	    "no need to change the addr, port changed from '1' to '65535' by 'x'\n",
	    /* 3.x wording */
	    "nothing changed\n",
	    "nothing changed\n\n",
	    "port changed from '34463' to '12' by 'stats socket command'\n",
	    "IP changed from 'a' to 'b', port changed from '1' to '2' by 'x'\n",
	};
	static const char *const bad[] = {
	    "no need to change the addr by 'x'",         /* unterminated */
	    "no need to change the addr by 'x'\nmore\n", /* a second line */
	    "\nno need to change the addr by 'x'\n",     /* empty answer, then another */
	    "no need to change the addr\n",              /* no updater */
	    "no need to change the addr by ''\n",        /* empty updater */
	    "no need to change the addr by 'x' \n",      /* trailing space */
	    "IP changed from '' to 'b' by 'x'\n",        /* empty old address */
	    "IP changed from 'a' to 'b by 'x'\n",        /* quotes do not pair */
	    "IP changed from 'a'\n",                     /* cut */
	    "no need to change the addr, by 'x'\n",      /* empty port part */
	    "no need to change the addr, port changed from 'a' to '1' by 'x'\n",
	    "no need to change the addr, port changed from '1' to '' by 'x'\n",
	    "no need to change the addr, problem converting port 'x' to an int by 'y'\n",
	    "ip changed from 'a' to 'b' by 'x'\n", /* case matters */
	    /* 3.x wording, broken */
	    "nothing changed",                        /* unterminated */
	    "nothing changed by 'x'\n",               /* 3.x names no updater here */
	    "nothing changed \n",                     /* trailing space */
	    "Nothing changed\n",                      /* case matters */
	    "nothing changed\nmore\n",                /* a second line */
	    "port changed from '1' to '2'\n",         /* no updater */
	    "port changed from '+1' to '2' by 'x'\n", /* a port map: never sent */
	    "port changed from '1' to '2', no need to change the addr by 'x'\n", /* order */
	    "port changed from '1' to '2', port changed from '2' to '3' by 'x'\n",
	};
	char err[128];
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(ok); i++)
		ck_assert_msg(hapi_addr_answer_ok(ok[i], strlen(ok[i]), err, sizeof(err)) == 0,
		              "ok %zu: %s", i, err);
	for (i = 0; i < PF_ARRAY_SIZE(bad); i++)
		ck_assert_msg(hapi_addr_answer_ok(bad[i], strlen(bad[i]), err, sizeof(err)) == -1,
		              "bad %zu accepted", i);
	ck_assert_int_eq(hapi_addr_answer_ok(bad[1], strlen(bad[1]), err, sizeof(err)), -1);
	ck_assert_str_eq(err, "more");
}
END_TEST

/* Splits <text> and checks the answers one by one; returns the split result. */
static int split(const char *text, size_t len, struct pf_slice *ans, size_t cap, size_t *n)
{
	char err[128];
	size_t i, total = 0;
	int r = hapi_split_answers(text, len, ans, cap, n, err, sizeof(err));

	for (i = 0; i < *n; i++) {
		ck_assert(ans[i].p == (const uint8_t *)text + total);
		ck_assert(ans[i].len >= 1 && ans[i].p[ans[i].len - 1] == '\n');
		total += ans[i].len;
	}
	ck_assert_uint_le(total, len);
	return r;
}

static int slice_ok(struct pf_slice s, char *err, size_t errlen)
{
	return hapi_answer_ok((const char *)s.p, s.len, err, errlen);
}

/* "set server be_polkadot/node2 state drain; set server be_polkadot/node2 weight 5" */
START_TEST(test_split_two_successes)
{
	struct pf_slice ans[8];
	char err[128];
	size_t len, n;
	char *text = loadv(_i, "multi_drain_weight.txt", &len);

	ck_assert_str_eq(text, "\n\n");
	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ans[0].len, 1);
	ck_assert_uint_eq(ans[1].len, 1);
	ck_assert_int_eq(slice_ok(ans[0], err, sizeof(err)), 0);
	ck_assert_int_eq(slice_ok(ans[1], err, sizeof(err)), 0);
	free(text);
}
END_TEST

/*
 * addr (ok, in words: 2.6 "no need to change ...", 3.4 "nothing changed");
 * state on a missing server; weight 1; shutdown sessions; weight 999; state
 * ready: six commands, six answers.
 */
START_TEST(test_split_mixed)
{
	struct pf_slice ans[8];
	char err[128];
	size_t len, n;
	char *text = loadv(_i, "multi_mixed.txt", &len);

	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(hapi_addr_answer_ok((const char *)ans[0].p, ans[0].len, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(slice_ok(ans[1], err, sizeof(err)), -1);
	ck_assert_str_eq(err, "No such server.");
	ck_assert_int_eq(slice_ok(ans[2], err, sizeof(err)), 0);
	ck_assert_int_eq(slice_ok(ans[3], err, sizeof(err)), 0);
	ck_assert_int_eq(slice_ok(ans[4], err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Absolute weight can only be between 0 and 256 inclusive.");
	ck_assert_int_eq(slice_ok(ans[5], err, sizeof(err)), 0);
	/* Too little room: -1, and what fit is reported. */
	ck_assert_int_eq(split(text, len, ans, 3, &n), -1);
	ck_assert_uint_eq(n, 3);
	free(text);
}
END_TEST

/*
 * HAProxy 2.6 quirk: "weight abc" and "weight 1x" answer without the empty
 * line, merging with the next answer: 3 commands give 2 answers, 2 give 1.
 * The caller sees the count mismatch.
 */
START_TEST(test_split_haproxy_merged_answers)
{
	struct pf_slice ans[8];
	char err[128];
	size_t len, n;
	char *text = load("multi_garbage_weight.txt", &len);

	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(slice_ok(ans[0], err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Empty weight string empty or preceded by garbage");
	free(text);
	text = load("multi_trailing_garbage.txt", &len);
	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(text);
	/* Alone, that answer has no terminator at all. */
	text = load("err_weight_garbage.txt", &len);
	ck_assert_int_eq(split(text, len, ans, 8, &n), PF_AGAIN);
	ck_assert_uint_eq(n, 0);
	free(text);
	/* An escaped ';' stays in the name: two commands, two answers. */
	text = load("multi_semicolon_escape.txt", &len);
	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	free(text);
}
END_TEST

/*
 * HAProxy 3.4 ends those errors with their empty line: the same commands
 * give one answer each (3.4/multi_garbage_weight.txt: weight abc; state on
 * a missing server; weight 1. 3.4/multi_trailing_garbage.txt: weight 1x;
 * weight 1).
 */
START_TEST(test_split_34_answers_not_merged)
{
	struct pf_slice ans[8];
	char err[128];
	size_t len, n;
	char *text = loadv(V34, "multi_garbage_weight.txt", &len);

	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(slice_ok(ans[0], err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Empty weight string empty or preceded by garbage");
	ck_assert_int_eq(slice_ok(ans[1], err, sizeof(err)), -1);
	ck_assert_str_eq(err, "No such server.");
	ck_assert_int_eq(slice_ok(ans[2], err, sizeof(err)), 0);
	free(text);
	text = loadv(V34, "multi_trailing_garbage.txt", &len);
	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(slice_ok(ans[0], err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Trailing garbage in weight string");
	ck_assert_int_eq(slice_ok(ans[1], err, sizeof(err)), 0);
	free(text);
	/* Alone, a complete answer. */
	text = loadv(V34, "err_weight_garbage.txt", &len);
	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(text);
	text = loadv(V34, "multi_semicolon_escape.txt", &len);
	ck_assert_int_eq(split(text, len, ans, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	free(text);
}
END_TEST

/*
 * What the controller sends every round, "show info; show servers state",
 * split and parsed (multi_info_state.txt, one capture per version): Pid and
 * Version as the capture shows them, the 16 rows of lab.cfg.
 */
START_TEST(test_split_info_then_state)
{
	static const struct {
		long pid;
		const char *version;
	} want[N_VERSIONS] = {{23948, "2.6.12-1+deb12u4"}, {24018, "3.4.0-64a335366"}};
	struct hapi_server rows[MAX_ROWS];
	struct hapi_info info;
	struct pf_slice ans[4];
	char err[128] = "";
	size_t len, n;
	char *text = loadv(_i, "multi_info_state.txt", &len);

	ck_assert_int_eq(split(text, len, ans, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_msg(
	    hapi_parse_info((const char *)ans[0].p, ans[0].len, &info, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(info.pid, want[_i].pid);
	ck_assert_int_eq(info.uptime_sec, 1);
	ck_assert_str_eq(info.version, want[_i].version);
	ck_assert_msg(
	    parse_ss((const char *)ans[1].p, ans[1].len, rows, MAX_ROWS, &n, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(n, 16);
	assert_row(row(rows, n, "be_polkadot", "node5"), "::1", 19944, HAPI_OP_RUNNING, 0x04, 7, 1);
	assert_row(row(rows, n, "be_static", "static4"), "127.0.0.1", 19945, HAPI_OP_STOPPED, 0, 1,
	           1);
	free(text);
}
END_TEST

START_TEST(test_split_truncated)
{
	struct pf_slice ans[4];
	char err[128];
	size_t n;

	ck_assert_int_eq(hapi_split_answers("", 0, ans, 4, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(hapi_split_answers(NULL, 0, ans, 0, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(hapi_split_answers("\nabc\n", 5, ans, 4, &n, err, sizeof(err)), PF_AGAIN);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(err, "answer 2 has no empty line at its end (truncated)");
	ck_assert_int_eq(hapi_split_answers("abc", 3, ans, 4, &n, err, sizeof(err)), PF_AGAIN);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(hapi_split_answers("\n", 1, ans, 0, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "more than 0 answers");
}
END_TEST

/* Every prefix of the real multi answers, at a guard page: no overread, counts only grow. */
START_TEST(test_split_every_prefix)
{
	static const char *const files[] = {"multi_mixed.txt", "multi_garbage_weight.txt",
	                                    "servers_state.txt", "err_unknown_cmd.txt",
	                                    "multi_info_state.txt"};
	struct pf_slice ans[16];
	struct guard g;
	size_t f, cut, len, n;

	guard_init(&g);
	for (f = 0; f < PF_ARRAY_SIZE(files); f++) {
		char *text = loadv(_i, files[f], &len);
		size_t last = 0;

		for (cut = 0; cut <= len; cut++) {
			const char *p = guard_put(&g, text, cut);
			int r = split(p, cut, ans, 16, &n);

			ck_assert(r == 0 || r == PF_AGAIN);
			ck_assert_uint_ge(n, last);
			last = n;
		}
		free(text);
	}
	guard_fini(&g);
}
END_TEST

/* ---- builders ---------------------------------------------------------------- */

/* Asserts that builder call <r> wrote exactly <want> into <b>. */
#define EXPECT_CMD(r, b, want)                                                                     \
	do {                                                                                       \
		size_t r_ = (r);                                                                   \
		ck_assert_str_eq((b), (want));                                                     \
		ck_assert_uint_eq(r_, strlen(want));                                               \
	} while (0)

START_TEST(test_build_exact)
{
	char b[HAPI_CMD_MAX];

	EXPECT_CMD(hapi_cmd_set_state(b, sizeof(b), "be_polkadot", "node1", HAPI_WANT_DRAIN), b,
	           "set server be_polkadot/node1 state drain");
	EXPECT_CMD(hapi_cmd_set_state(b, sizeof(b), "be_polkadot", "node1", HAPI_WANT_READY), b,
	           "set server be_polkadot/node1 state ready");
	EXPECT_CMD(hapi_cmd_set_state(b, sizeof(b), "be_polkadot", "node1", HAPI_WANT_MAINT), b,
	           "set server be_polkadot/node1 state maint");
	EXPECT_CMD(hapi_cmd_set_weight(b, sizeof(b), "be_kusama", "node6", 256), b,
	           "set server be_kusama/node6 weight 256");
	EXPECT_CMD(hapi_cmd_set_weight(b, sizeof(b), "be_kusama", "node6", 0), b,
	           "set server be_kusama/node6 weight 0");
	EXPECT_CMD(hapi_cmd_set_addr(b, sizeof(b), "be_polkadot", "node3", "10.1.2.3", 9944), b,
	           "set server be_polkadot/node3 addr 10.1.2.3 port 9944");
	EXPECT_CMD(hapi_cmd_set_addr(b, sizeof(b), "be_polkadot", "node3", "2001:db8::7", 65535), b,
	           "set server be_polkadot/node3 addr 2001:db8::7 port 65535");
	EXPECT_CMD(hapi_cmd_shutdown_sessions(b, sizeof(b), "be_polkadot", "node2"), b,
	           "shutdown sessions server be_polkadot/node2");
	EXPECT_CMD(hapi_cmd_show_servers_state(b, sizeof(b), NULL), b, "show servers state");
	EXPECT_CMD(hapi_cmd_show_servers_state(b, sizeof(b), "be_polkadot"), b,
	           "show servers state be_polkadot");
	EXPECT_CMD(hapi_cmd_show_info(b, sizeof(b)), b, "show info");
	/* Every character HAProxy allows in a name, and the longest name. */
	EXPECT_CMD(hapi_cmd_set_weight(b, sizeof(b), "Az09._:-", "x", 1), b,
	           "set server Az09._:-/x weight 1");
	EXPECT_CMD(
	    hapi_cmd_set_addr(b, sizeof(b),
	                      "b12345678901234567890123456789012345678901234567890123456789012",
	                      "s12345678901234567890123456789012345678901234567890123456789012",
	                      "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535),
	    b,
	    "set server b12345678901234567890123456789012345678901234567890123456789012/"
	    "s12345678901234567890123456789012345678901234567890123456789012 addr "
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 port 65535");
}
END_TEST

static const char *const evil_names[] = {
    "",
    "a b",
    "a;b",
    "node1; shutdown sessions server be/x",
    "a/b",
    "a\\;b",
    "a\nb",
    "a\rb",
    "a\tb",
    "a\x01",
    "\x7f",
    "a#b",
    "a'b",
    "a\"b",
    "a<<",
    "caf\xc3\xa9",
    "1234567890123456789012345678901234567890123456789012345678901234", /* 64 */
};

START_TEST(test_build_injection_refused)
{
	char b[HAPI_CMD_MAX];
	const char *evil = evil_names[_i];

	memcpy(b, "junk", 5);
	ck_assert_uint_eq(hapi_cmd_set_state(b, sizeof(b), evil, "node1", HAPI_WANT_READY), 0);
	ck_assert_str_eq(b, "");
	ck_assert_uint_eq(hapi_cmd_set_state(b, sizeof(b), "be", evil, HAPI_WANT_READY), 0);
	ck_assert_uint_eq(hapi_cmd_set_weight(b, sizeof(b), evil, "node1", 1), 0);
	ck_assert_uint_eq(hapi_cmd_set_weight(b, sizeof(b), "be", evil, 1), 0);
	ck_assert_uint_eq(hapi_cmd_set_addr(b, sizeof(b), evil, "n", "10.0.0.1", 1), 0);
	ck_assert_uint_eq(hapi_cmd_set_addr(b, sizeof(b), "be", evil, "10.0.0.1", 1), 0);
	ck_assert_uint_eq(hapi_cmd_shutdown_sessions(b, sizeof(b), evil, "node1"), 0);
	ck_assert_uint_eq(hapi_cmd_shutdown_sessions(b, sizeof(b), "be", evil), 0);
	ck_assert_uint_eq(hapi_cmd_show_servers_state(b, sizeof(b), evil), 0);
	ck_assert(!hapi_name_is_valid(evil));
}
END_TEST

START_TEST(test_build_addr_port_weight_state_checks)
{
	static const char *const bad_addrs[] = {
	    "",          "localhost",     "[::1]",          "::1%lo",      "1.2.3.4.5", "1.2.3",
	    "1.2.3.256", "10.0.0.1 port", "10.0.0.1;",      "10.0.0.1/24", "::1 ",      " 10.0.0.1",
	    ":::",       "1.2.3.4:80",    "node-a.invalid", "0x7f.0.0.1",
	};
	char b[HAPI_CMD_MAX];
	char longaddr[HAPI_ADDR_MAX + 8];
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(bad_addrs); i++)
		ck_assert_msg(hapi_cmd_set_addr(b, sizeof(b), "be", "s", bad_addrs[i], 80) == 0,
		              "addr \"%s\" accepted", bad_addrs[i]);
	ck_assert_uint_eq(hapi_cmd_set_addr(b, sizeof(b), "be", "s", NULL, 80), 0);
	memset(longaddr, '1', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	ck_assert_uint_eq(hapi_cmd_set_addr(b, sizeof(b), "be", "s", longaddr, 80), 0);
	ck_assert_uint_eq(hapi_cmd_set_addr(b, sizeof(b), "be", "s", "10.0.0.1", 0), 0);
	ck_assert_uint_gt(hapi_cmd_set_addr(b, sizeof(b), "be", "s", "::ffff:10.0.0.1", 1), 0);
	ck_assert_uint_eq(hapi_cmd_set_weight(b, sizeof(b), "be", "s", 257), 0);
	ck_assert_uint_eq(hapi_cmd_set_weight(b, sizeof(b), "be", "s", (unsigned)-1), 0);
	ck_assert_uint_eq(hapi_cmd_set_state(b, sizeof(b), "be", "s", (enum hapi_want_state)3), 0);
	ck_assert_uint_eq(hapi_cmd_set_state(b, sizeof(b), NULL, "s", HAPI_WANT_READY), 0);
	ck_assert_uint_eq(hapi_cmd_set_state(b, sizeof(b), "be", NULL, HAPI_WANT_READY), 0);
}
END_TEST

/* Every buffer size: 0 and "" until the command and its NUL fit, then the exact text. */
START_TEST(test_build_every_cap)
{
	const char *want = "set server be_polkadot/node3 addr 2001:db8::7 port 65535";
	size_t wlen = strlen(want), cap;
	char b[HAPI_CMD_MAX];

	for (cap = 0; cap <= wlen + 1; cap++) {
		size_t r;

		memset(b, 'x', sizeof(b));
		r = hapi_cmd_set_addr(cap ? b : NULL, cap, "be_polkadot", "node3", "2001:db8::7",
		                      65535);
		if (cap <= wlen) {
			ck_assert_uint_eq(r, 0);
			if (cap > 0)
				ck_assert_int_eq(b[0], '\0');
		} else {
			ck_assert_uint_eq(r, wlen);
			ck_assert_str_eq(b, want);
		}
		ck_assert_int_eq(b[cap], 'x'); /* nothing written past <cap> */
	}
	ck_assert_uint_eq(hapi_cmd_show_info(b, 9), 0);
	ck_assert_uint_eq(hapi_cmd_show_info(b, 10), 9);
}
END_TEST

START_TEST(test_state_strings)
{
	ck_assert_str_eq(hapi_want_state_str(HAPI_WANT_READY), "ready");
	ck_assert_str_eq(hapi_want_state_str(HAPI_WANT_DRAIN), "drain");
	ck_assert_str_eq(hapi_want_state_str(HAPI_WANT_MAINT), "maint");
	ck_assert_str_eq(hapi_want_state_str((enum hapi_want_state)9), "?");
	ck_assert_str_eq(hapi_skip_reason_str(HAPI_SKIP_NO_SERVER), "no such server");
	ck_assert_str_eq(hapi_skip_reason_str(HAPI_SKIP_HAND_MAINT), "maint by hand");
	ck_assert_str_eq(hapi_skip_reason_str(HAPI_SKIP_INVALID), "invalid want");
	ck_assert_str_eq(hapi_skip_reason_str(HAPI_SKIP_DUPLICATE), "duplicate want");
	ck_assert_str_eq(hapi_skip_reason_str((enum hapi_skip_reason)9), "?");
}
END_TEST

/* ---- diff ---------------------------------------------------------------------- */

/* Admin states seen in the captures, and what "set server state" last forced. */
START_TEST(test_admin_to_state)
{
	static const struct {
		unsigned adm;
		enum hapi_want_state st;
	} t[] = {
	    {0x00, HAPI_WANT_READY}, /* in rotation */
	    {0x04, HAPI_WANT_READY}, /* disabled slot set ready: CMAINT stays, serving */
	    {0x05, HAPI_WANT_MAINT}, /* unused slot, or filled slot in maint by hand */
	    {0x01, HAPI_WANT_MAINT}, /* maint by hand */
	    {0x0c, HAPI_WANT_DRAIN}, /* drained slot */
	    {0x08, HAPI_WANT_DRAIN}, /* drained by hand */
	    {0x10, HAPI_WANT_READY}, /* IDRAIN: the tracked server's */
	    {0x02, HAPI_WANT_READY}, /* IMAINT: the tracked server's */
	    {0x20, HAPI_WANT_READY}, /* RMAINT: "state ready" does not clear it */
	    {0x40, HAPI_WANT_READY}, /* HMAINT: FQDN changed, not a maintenance */
	    {0x09, HAPI_WANT_MAINT}, /* maint wins over drain */
	};
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(t); i++)
		ck_assert_msg(hapi_admin_to_state(t[i].adm) == t[i].st, "admin 0x%x", t[i].adm);
}
END_TEST

/* The real servers: servers_state.txt then servers_state_unresolved.txt. */
static struct hapi_server have[MAX_ROWS];
static size_t nhave;

static void load_have(void)
{
	char err[128];
	size_t len, n;
	char *text = load("servers_state.txt", &len);

	ck_assert_msg(parse_ss(text, len, have, MAX_ROWS, &nhave, err, sizeof(err)) == 0, "%s",
	              err);
	free(text);
	text = load("servers_state_unresolved.txt", &len);
	ck_assert_msg(parse_ss(text, len, have + nhave, MAX_ROWS - nhave, &n, err, sizeof(err)) ==
	                  0,
	              "%s", err);
	nhave += n;
	free(text);
}

#define PD "be_polkadot"
#define PH "be_polkadot_heavy"
#define ST "be_static"

struct want_skip {
	const char *server; /* "backend/server" */
	enum hapi_skip_reason reason;
	unsigned admin;
};

struct diff_case {
	const char *name;
	struct hapi_want want[5];
	size_t nwant;
	const char *cmds[7]; /* expected commands in order, NULL-terminated */
	struct want_skip skips[5];
	size_t nskips;
};

static const struct diff_case diff_cases[] = {
    {"nothing to do",
     {{PD, "node1", HAPI_WANT_READY, 1, true, "127.0.0.1", 19944, false},
      {PD, "node5", HAPI_WANT_READY, 7, true, "::1", 19944, false},
      {PD, "node2", HAPI_WANT_DRAIN, 0, true, "127.0.0.2", 19944, false},
      {ST, "static2", HAPI_WANT_DRAIN, 1, false, "", 0, false},
      {PD, "node6", HAPI_WANT_MAINT, 0, false, "", 0, false}},
     5,
     {NULL},
     {{NULL, 0, 0}},
     0},
    {"drain one",
     {{PD, "node1", HAPI_WANT_DRAIN, 1, true, "127.0.0.1", 19944, false}},
     1,
     {"set server be_polkadot/node1 state drain", NULL},
     {{NULL, 0, 0}},
     0},
    {"ready again",
     {{PD, "node2", HAPI_WANT_READY, 0, true, "127.0.0.2", 19944, false}},
     1,
     {"set server be_polkadot/node2 state ready", NULL},
     {{NULL, 0, 0}},
     0},
    {"weight",
     {{PD, "node5", HAPI_WANT_READY, 10, true, "::1", 19944, false}},
     1,
     {"set server be_polkadot/node5 weight 10", NULL},
     {{NULL, 0, 0}},
     0},
    {"addr change",
     {{PD, "node1", HAPI_WANT_READY, 0, true, "10.0.0.7", 9944, false},
      {PD, "node5", HAPI_WANT_READY, 0, true, "::1", 9955, false}},
     2,
     {"set server be_polkadot/node1 addr 10.0.0.7 port 9944",
      "set server be_polkadot/node5 addr ::1 port 9955", NULL},
     {{NULL, 0, 0}},
     0},
    {"same address spelled otherwise",
     {{PD, "node5", HAPI_WANT_READY, 0, true, "0:0:0:0:0:0:0:1", 19944, false},
      {PD, "node1", HAPI_WANT_READY, 0, false, "10.9.9.9", 1, false}},
     2,
     {NULL},
     {{NULL, 0, 0}},
     0},
    {"hand maint skipped",
     {{ST, "static1", HAPI_WANT_READY, 10, true, "10.0.0.1", 80, false},
      {ST, "static1x", HAPI_WANT_READY, 0, false, "", 0, false},
      {PD, "node4", HAPI_WANT_READY, 0, true, "10.0.0.4", 9944, false},
      {PD, "node4", HAPI_WANT_DRAIN, 0, false, "", 0, true}},
     4,
     {NULL},
     {{"be_static/static1", HAPI_SKIP_HAND_MAINT, 0x01},
      {"be_static/static1x", HAPI_SKIP_NO_SERVER, 0},
      {"be_polkadot/node4", HAPI_SKIP_HAND_MAINT, 0x05},
      {"be_polkadot/node4", HAPI_SKIP_DUPLICATE, 0}},
     4},
    {"own maint",
     {{PD, "node4", HAPI_WANT_READY, 3, true, "127.0.0.1", 19944, true}},
     1,
     {"set server be_polkadot/node4 weight 3", "set server be_polkadot/node4 state ready", NULL},
     {{NULL, 0, 0}},
     0},
    {"unused slot filled with addr",
     {{PD, "node3", HAPI_WANT_READY, 1, true, "10.0.0.3", 9944, true},
      {PD, "node6", HAPI_WANT_DRAIN, 0, true, "10.0.0.6", 9944, true}},
     2,
     {"set server be_polkadot/node3 addr 10.0.0.3 port 9944",
      "set server be_polkadot/node3 state ready",
      "set server be_polkadot/node6 addr 10.0.0.6 port 9944",
      "set server be_polkadot/node6 state drain", NULL},
     {{NULL, 0, 0}},
     0},
    {"unused slot without own_maint is left alone",
     {{PD, "node3", HAPI_WANT_READY, 0, true, "10.0.0.3", 9944, false}},
     1,
     {NULL},
     {{"be_polkadot/node3", HAPI_SKIP_HAND_MAINT, 0x05}},
     1},
    {"CMAINT alone is in rotation",
     {{PD, "node1", HAPI_WANT_READY, 0, false, "", 0, false},
      {PD, "node5", HAPI_WANT_MAINT, 0, false, "", 0, false}},
     2,
     {"set server be_polkadot/node5 state maint", NULL},
     {{NULL, 0, 0}},
     0},
    {"missing server",
     {{PD, "node7", HAPI_WANT_READY, 0, false, "", 0, false},
      {"be_nope", "node1", HAPI_WANT_READY, 0, false, "", 0, true},
      {PD, "node1", HAPI_WANT_READY, 0, false, "", 0, false}},
     3,
     {NULL},
     {{"be_polkadot/node7", HAPI_SKIP_NO_SERVER, 0}, {"be_nope/node1", HAPI_SKIP_NO_SERVER, 0}},
     2},
    {"inherited drain and maint ignored",
     {{PH, "node2", HAPI_WANT_READY, 0, false, "", 0, false},
      {PH, "node3", HAPI_WANT_READY, 0, false, "", 0, false},
      {PH, "node4", HAPI_WANT_DRAIN, 0, false, "", 0, false}},
     3,
     {"set server be_polkadot_heavy/node4 state drain", NULL},
     {{NULL, 0, 0}},
     0},
    {"maint wanted",
     {{PD, "node6", HAPI_WANT_MAINT, 0, false, "", 0, false},
      {ST, "static1", HAPI_WANT_MAINT, 20, false, "", 0, false},
      {PD, "node1", HAPI_WANT_MAINT, 0, false, "", 0, false},
      {ST, "static3", HAPI_WANT_MAINT, 1, false, "", 0, false}},
     4,
     {"set server be_static/static1 weight 20", "set server be_polkadot/node1 state maint", NULL},
     {{NULL, 0, 0}},
     0},
    {"order addr weight state",
     {{PD, "node1", HAPI_WANT_DRAIN, 20, true, "10.0.0.8", 9944, false}},
     1,
     {"set server be_polkadot/node1 addr 10.0.0.8 port 9944",
      "set server be_polkadot/node1 weight 20", "set server be_polkadot/node1 state drain", NULL},
     {{NULL, 0, 0}},
     0},
    {"order of wants kept",
     {{PD, "node2", HAPI_WANT_READY, 0, false, "", 0, false},
      {PD, "node1", HAPI_WANT_DRAIN, 0, false, "", 0, false}},
     2,
     {"set server be_polkadot/node2 state ready", "set server be_polkadot/node1 state drain", NULL},
     {{NULL, 0, 0}},
     0},
    {"resolver maint: only the address helps",
     {{"be_unres", "u1", HAPI_WANT_READY, 0, false, "", 0, false},
      {"be_unres", "u2", HAPI_WANT_READY, 0, true, "::1", 9944, false},
      {"be_unres", "u3", HAPI_WANT_READY, 0, true, "127.0.0.1", 9944, false}},
     3,
     {"set server be_unres/u3 addr 127.0.0.1 port 9944", NULL},
     {{NULL, 0, 0}},
     0},
    {"invalid wants",
     {{PD, "node 1", HAPI_WANT_READY, 0, false, "", 0, false},
      {PD, "node1", HAPI_WANT_READY, 300, false, "", 0, false},
      {PD, "node2", HAPI_WANT_READY, 0, true, "localhost", 9944, false},
      {PD, "node3", HAPI_WANT_READY, 0, true, "10.0.0.1", 0, true},
      {PD, "node5", (enum hapi_want_state)3, 0, false, "", 0, false}},
     5,
     {NULL},
     {{"be_polkadot/node 1", HAPI_SKIP_INVALID, 0},
      {"be_polkadot/node1", HAPI_SKIP_INVALID, 0},
      {"be_polkadot/node2", HAPI_SKIP_INVALID, 0},
      {"be_polkadot/node3", HAPI_SKIP_INVALID, 0},
      {"be_polkadot/node5", HAPI_SKIP_INVALID, 0}},
     5},
    {"duplicate want",
     {{PD, "node1", HAPI_WANT_DRAIN, 0, false, "", 0, false},
      {PD, "node1", HAPI_WANT_READY, 0, false, "", 0, false}},
     2,
     {"set server be_polkadot/node1 state drain", NULL},
     {{"be_polkadot/node1", HAPI_SKIP_DUPLICATE, 0}},
     1},
};

static const struct diff_case *find_case(const char *name)
{
	size_t i;

	for (i = 0; i < PF_ARRAY_SIZE(diff_cases); i++)
		if (strcmp(diff_cases[i].name, name) == 0)
			return &diff_cases[i];
	ck_abort_msg("no case %s", name);
	return NULL;
}

START_TEST(test_diff_case)
{
	const struct diff_case *c = &diff_cases[_i];
	struct hapi_action out[8];
	struct hapi_skip sk[8];
	size_t nout = 99, nsk = 99, i, ncmd = 0;

	load_have();
	ck_assert_msg(hapi_diff(c->want, c->nwant, have, nhave, out, 8, &nout, sk, 8, &nsk) == 0,
	              "%s: -1", c->name);
	while (c->cmds[ncmd] != NULL)
		ncmd++;
	ck_assert_msg(nout == ncmd, "%s: %zu actions, want %zu (first: %s)", c->name, nout, ncmd,
	              nout ? out[0].cmd : "-");
	for (i = 0; i < nout; i++) {
		ck_assert_msg(strcmp(out[i].cmd, c->cmds[i]) == 0, "%s: action %zu \"%s\"", c->name,
		              i, out[i].cmd);
		ck_assert(out[i].want >= c->want && out[i].want < c->want + c->nwant);
		ck_assert_int_eq(out[i].kind, strstr(out[i].cmd, " addr ") ? HAPI_ACT_SET_ADDR
		                              : strstr(out[i].cmd, " weight ")
		                                  ? HAPI_ACT_SET_WEIGHT
		                                  : HAPI_ACT_SET_STATE);
	}
	ck_assert_msg(nsk == c->nskips, "%s: %zu skips, want %zu", c->name, nsk, c->nskips);
	for (i = 0; i < nsk; i++) {
		char name[2 * HAPI_NAME_MAX + 1];

		(void)snprintf(name, sizeof(name), "%s/%s", sk[i].want->backend,
		               sk[i].want->server);
		ck_assert_msg(strcmp(name, c->skips[i].server) == 0, "%s: skip %zu is %s", c->name,
		              i, name);
		ck_assert_msg(sk[i].reason == c->skips[i].reason, "%s: skip %zu reason %s", c->name,
		              i, hapi_skip_reason_str(sk[i].reason));
		ck_assert_uint_eq(sk[i].admin_state, c->skips[i].admin);
	}
}
END_TEST

/* Applying the actions of a case to <have> by hand, the next diff is empty. */
START_TEST(test_diff_converges)
{
	static const struct hapi_want w[] = {
	    {PD, "node3", HAPI_WANT_READY, 5, true, "10.0.0.3", 9944, true},
	    {PD, "node1", HAPI_WANT_DRAIN, 0, false, "", 0, false},
	    {PD, "node2", HAPI_WANT_MAINT, 0, false, "", 0, false},
	};
	struct hapi_action out[8];
	struct hapi_skip sk[4];
	size_t nout, nsk;
	struct hapi_server *n3, *n1, *n2;

	load_have();
	ck_assert_int_eq(hapi_diff(w, 3, have, nhave, out, 8, &nout, sk, 4, &nsk), 0);
	ck_assert_uint_eq(nout, 5);
	/* What HAProxy 2.6.12 did with these commands: ready 5 -> 4, drain 4 -> 12, maint 12 -> 5.
	 */
	n3 = (struct hapi_server *)row(have, nhave, PD, "node3");
	n1 = (struct hapi_server *)row(have, nhave, PD, "node1");
	n2 = (struct hapi_server *)row(have, nhave, PD, "node2");
	memcpy(n3->addr, "10.0.0.3", 9);
	n3->uweight = 5;
	n3->admin_state = HAPI_ADMF_CMAINT;
	n1->admin_state = HAPI_ADMF_CMAINT | HAPI_ADMF_FDRAIN;
	n2->admin_state = HAPI_ADMF_FMAINT | HAPI_ADMF_CMAINT;
	ck_assert_int_eq(hapi_diff(w, 3, have, nhave, out, 8, &nout, sk, 4, &nsk), 0);
	ck_assert_uint_eq(nout, 0);
	ck_assert_uint_eq(nsk, 0);
}
END_TEST

START_TEST(test_diff_capacity)
{
	static const struct hapi_want w[] = {
	    {PD, "node1", HAPI_WANT_DRAIN, 20, true, "10.0.0.8", 9944, false},
	    {PD, "node2", HAPI_WANT_READY, 0, false, "", 0, false},
	    {PD, "nodeX", HAPI_WANT_READY, 0, false, "", 0, false},
	    {ST, "static1", HAPI_WANT_READY, 0, false, "", 0, false},
	};
	struct hapi_action out[4];
	struct hapi_skip sk[2];
	size_t nout, nsk;

	load_have();
	ck_assert_int_eq(hapi_diff(w, 4, have, nhave, out, 4, &nout, sk, 2, &nsk), 0);
	ck_assert_uint_eq(nout, 4);
	ck_assert_uint_eq(nsk, 2);
	/* One action short: node1's three fit, node2's does not. */
	ck_assert_int_eq(hapi_diff(w, 4, have, nhave, out, 3, &nout, sk, 2, &nsk), -1);
	ck_assert_uint_eq(nout, 3);
	/* A want's actions go in whole or not at all. */
	ck_assert_int_eq(hapi_diff(w, 4, have, nhave, out, 2, &nout, sk, 2, &nsk), -1);
	ck_assert_uint_eq(nout, 0);
	ck_assert_int_eq(hapi_diff(w, 4, have, nhave, out, 0, &nout, sk, 2, &nsk), -1);
	/* One skip short. */
	ck_assert_int_eq(hapi_diff(w, 4, have, nhave, out, 4, &nout, sk, 1, &nsk), -1);
	ck_assert_uint_eq(nsk, 1);
	ck_assert_int_eq(hapi_diff(w, 4, have, nhave, out, 4, &nout, NULL, 0, &nsk), -1);
	/* Nothing wanted, nothing known. */
	ck_assert_int_eq(hapi_diff(NULL, 0, NULL, 0, NULL, 0, &nout, NULL, 0, &nsk), 0);
	ck_assert_uint_eq(nout + nsk, 0);
	ck_assert_int_eq(hapi_diff(w, 1, NULL, 0, NULL, 0, &nout, sk, 2, &nsk), 0);
	ck_assert_int_eq(sk[0].reason, HAPI_SKIP_NO_SERVER);
}
END_TEST

/* Pure: inputs untouched, same output twice. */
START_TEST(test_diff_pure)
{
	const struct diff_case *c = find_case("order addr weight state");
	struct hapi_server before[MAX_ROWS];
	struct hapi_action a1[8], a2[8];
	struct hapi_skip s1[8], s2[8];
	size_t n1, n2, k1, k2;

	load_have();
	memcpy(before, have, sizeof(have));
	ck_assert_int_eq(hapi_diff(c->want, c->nwant, have, nhave, a1, 8, &n1, s1, 8, &k1), 0);
	ck_assert_int_eq(hapi_diff(c->want, c->nwant, have, nhave, a2, 8, &n2, s2, 8, &k2), 0);
	ck_assert_uint_eq(n1, 3);
	ck_assert_uint_eq(n1, n2);
	ck_assert_uint_eq(k1, k2);
	ck_assert_mem_eq(a1, a2, n1 * sizeof(a1[0]));
	ck_assert_mem_eq(before, have, sizeof(have));
}
END_TEST

/* ---- runner -------------------------------------------------------------------- */

/*
 * Process variables (the controllers' lease): answers captured from HAProxy
 * 2.6.12 for "get var proc.polkfura_ctl" after "experimental-mode on; set var
 * proc.polkfura_ctl str(host-a.x_y/123/1765000000000)", and before any set.
 * A found variable's answer has no empty line after it (2.6 omits it).
 */
START_TEST(test_var_lease)
{
	char buf[HAPI_CMD_MAX], val[64], err[128];
	static const char found[] =
	    "proc.polkfura_ctl: type=str value=<host-a.x_y/123/1765000000000>\n";
	static const char missing[] = "Variable not found.\n\n";

	ck_assert_int_eq(hapi_parse_var(found, sizeof(found) - 1, "proc.polkfura_ctl", val,
	                                sizeof(val), err, sizeof(err)),
	                 1);
	ck_assert_str_eq(val, "host-a.x_y/123/1765000000000");
	ck_assert_int_eq(hapi_parse_var(missing, sizeof(missing) - 1, "proc.polkfura_ctl", val,
	                                sizeof(val), err, sizeof(err)),
	                 0);
	/* Another variable's answer, a short buffer, a truncated answer, an error text. */
	ck_assert_int_eq(hapi_parse_var(found, sizeof(found) - 1, "proc.other", val, sizeof(val),
	                                err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(hapi_parse_var(found, sizeof(found) - 1, "proc.polkfura_ctl", val, 10, err,
	                                sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 9 bytes"));
	ck_assert_int_eq(
	    hapi_parse_var(found, 20, "proc.polkfura_ctl", val, sizeof(val), err, sizeof(err)), -1);
	ck_assert_int_eq(hapi_parse_var("Unknown command.\n\n", 18, "proc.polkfura_ctl", val,
	                                sizeof(val), err, sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "Unknown command."));

	ck_assert_uint_gt(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.polkfura_ctl",
	                                       "host-a.x_y/123/1765000000000"),
	                  0);
	ck_assert_str_eq(buf, "experimental-mode on; set var proc.polkfura_ctl "
	                      "str(host-a.x_y/123/1765000000000)");
	ck_assert_uint_gt(hapi_cmd_get_var(buf, sizeof(buf), "proc.polkfura_ctl"), 0);
	ck_assert_str_eq(buf, "get var proc.polkfura_ctl");
	/* What str() or the CLI would read as syntax is refused. */
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.x", "a,b"), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.x", "a b"), 0);
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.x", "a)"), 0);
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.x", "a;b"), 0);
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.x", ""), 0);
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "txn.x", "a"), 0);
	ck_assert_uint_eq(hapi_cmd_set_var_str(buf, sizeof(buf), "proc.X", "a"), 0);
	ck_assert_uint_eq(hapi_cmd_get_var(buf, sizeof(buf), "proc.x; shutdown"), 0);
}
END_TEST

static Suite *hapi_cmd_suite(void)
{
	Suite *s = suite_create("hapi_cmd");
	TCase *tc;

	tc = tcase_create("servers_state");
	tcase_add_loop_test(tc, test_ss_real_full, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_ss_real_one_backend, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_ss_real_unresolved, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_ss_other_answers_rejected, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_ss_every_truncation, 0, N_VERSIONS);
	tcase_add_test(tc, test_ss_truncation_messages);
	tcase_add_test(tc, test_ss_extra_columns_accepted);
	tcase_add_test(tc, test_ss_empty_and_comments);
	tcase_add_loop_test(tc, test_ss_bad_row, 0, (int)PF_ARRAY_SIZE(bad_rows));
	tcase_add_test(tc, test_ss_longest_names);
	tcase_add_test(tc, test_regress_digit_above_max);
	tcase_add_test(tc, test_garbage_no_crash);
	tcase_add_test(tc, test_ss_bad_head);
	tcase_add_test(tc, test_ss_capacity_and_duplicates);
	suite_add_tcase(s, tc);

	tc = tcase_create("info");
	tcase_add_loop_test(tc, test_info_real, 0, N_VERSIONS);
	tcase_add_test(tc, test_info_missing_fields);
	tcase_add_test(tc, test_info_bad);
	tcase_add_loop_test(tc, test_info_every_truncation, 0, N_VERSIONS);
	suite_add_tcase(s, tc);

	tc = tcase_create("answers");
	tcase_add_loop_test(tc, test_answer_ok_real, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_answer_errors_real, 0, N_VERSIONS);
	tcase_add_test(tc, test_answer_err_buffer);
	tcase_add_loop_test(tc, test_addr_answer_real, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_addr_answer_partial_failure, 0, N_VERSIONS);
	tcase_add_test(tc, test_addr_answer_grammar);
	tcase_add_loop_test(tc, test_split_two_successes, 0, N_VERSIONS);
	tcase_add_loop_test(tc, test_split_mixed, 0, N_VERSIONS);
	tcase_add_test(tc, test_split_haproxy_merged_answers);
	tcase_add_test(tc, test_split_34_answers_not_merged);
	tcase_add_loop_test(tc, test_split_info_then_state, 0, N_VERSIONS);
	tcase_add_test(tc, test_split_truncated);
	tcase_add_loop_test(tc, test_split_every_prefix, 0, N_VERSIONS);
	suite_add_tcase(s, tc);

	tc = tcase_create("builders");
	tcase_add_test(tc, test_build_exact);
	tcase_add_loop_test(tc, test_build_injection_refused, 0, (int)PF_ARRAY_SIZE(evil_names));
	tcase_add_test(tc, test_build_addr_port_weight_state_checks);
	tcase_add_test(tc, test_build_every_cap);
	tcase_add_test(tc, test_state_strings);
	tcase_add_test(tc, test_var_lease);
	suite_add_tcase(s, tc);

	tc = tcase_create("diff");
	tcase_add_test(tc, test_admin_to_state);
	tcase_add_loop_test(tc, test_diff_case, 0, (int)PF_ARRAY_SIZE(diff_cases));
	tcase_add_test(tc, test_diff_converges);
	tcase_add_test(tc, test_diff_capacity);
	tcase_add_test(tc, test_diff_pure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hapi_cmd_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
