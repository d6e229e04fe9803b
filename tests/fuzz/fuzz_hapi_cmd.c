/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/hapi/hapi_cmd.c. Feeds the input to every parser and
 * checker and asserts their invariants; when it parses as "show servers
 * state", runs hapi_diff() with fixed wants plus wants made from the rows,
 * checks the actions, applies them to the rows the way HAProxy 2.6 and 3.4 do and
 * checks that a second diff then has nothing left to do. Also builds every
 * command from names cut out of the input. Corpus: tests/fuzz/corpus/hapi_cmd/
 * (real HAProxy 2.6 answers from tests/unit/data/hapi/, 3.4 ones prefixed 34_).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/slice.h"
#include "ctl/hapi/hapi_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ROWS    64
#define FUZZ_WANTS   (8 + 24)
#define FUZZ_ANSWERS 16

static const struct hapi_want fixed_wants[] = {
    {"be_polkadot", "node1", HAPI_WANT_READY, 1, true, "127.0.0.1", 19944, false},
    {"be_polkadot", "node2", HAPI_WANT_DRAIN, 5, false, "", 0, false},
    {"be_polkadot", "node3", HAPI_WANT_READY, 0, true, "10.0.0.3", 9944, true},
    {"be_polkadot", "node4", HAPI_WANT_READY, 0, false, "", 0, false},
    {"be_polkadot", "node6", HAPI_WANT_MAINT, 0, false, "", 0, false},
    {"be_polkadot_heavy", "node2", HAPI_WANT_DRAIN, 256, true, "::1", 1, false},
    {"be_static", "static1", HAPI_WANT_READY, 0, false, "", 0, false},
    {"be_polkadot", "node1", HAPI_WANT_MAINT, 0, false, "", 0, false}, /* duplicate */
};

static bool has_nul(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_rows(const struct hapi_server *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct hapi_server *r = &rows[i];

		if (!hapi_name_is_valid(r->backend) || !hapi_name_is_valid(r->server))
			abort();
		if (!has_nul(r->addr, sizeof(r->addr)) || r->op_state < 0 ||
		    r->op_state > HAPI_OP_STOPPING || r->admin_state > 0xff ||
		    r->uweight > HAPI_WEIGHT_MAX || r->iweight > HAPI_WEIGHT_MAX)
			abort();
	}
}

/* Wants made from the rows, varied by index: found, so they reach the rules. */
static size_t derive_wants(const struct hapi_server *rows, size_t n, struct hapi_want *w)
{
	static const char *const addrs[] = {"10.0.0.1", "::1", "2001:db8::9", "127.0.0.1"};
	size_t i, k = 0;

	memcpy(w, fixed_wants, sizeof(fixed_wants));
	k = PF_ARRAY_SIZE(fixed_wants);
	for (i = 0; i < n && k < FUZZ_WANTS; i++, k++) {
		memset(&w[k], 0, sizeof(w[k]));
		memcpy(w[k].backend, rows[i].backend, sizeof(w[k].backend));
		memcpy(w[k].server, rows[i].server, sizeof(w[k].server));
		w[k].state = (enum hapi_want_state)(i % 3);
		w[k].weight = (unsigned)((i * 37) % 258); /* 0 and 257 (invalid) included */
		w[k].has_addr = (i & 1u) != 0;
		if (i % 5 == 0 && rows[i].addr[0] != '\0')
			memcpy(w[k].addr, rows[i].addr, sizeof(w[k].addr));
		else
			memcpy(w[k].addr, addrs[i % 4], strlen(addrs[i % 4]) + 1);
		w[k].port = (uint16_t)(i % 7 == 0 ? rows[i].port : 9944);
		w[k].own_maint = (i & 2u) != 0;
	}
	return k;
}

static bool cmd_clean(const char *cmd)
{
	size_t len = strnlen(cmd, HAPI_CMD_MAX), i;

	if (len == HAPI_CMD_MAX || strncmp(cmd, "set server ", 11) != 0)
		return false;
	for (i = 0; i < len; i++) {
		char c = cmd[i];

		if (c == ';' || c == '\\' || c == '#' || (unsigned char)c < 0x20 ||
		    (unsigned char)c >= 0x7f)
			return false;
	}
	return true;
}

static void check_diff(const struct hapi_want *w, size_t nw, const struct hapi_action *out,
                       size_t nout, const struct hapi_skip *sk, size_t nsk)
{
	size_t i, j, last_want = 0;
	int last_kind = -1;

	if (nout > 3 * nw || nsk > nw)
		abort();
	for (i = 0; i < nout; i++) {
		size_t wi = (size_t)(out[i].want - w);
		/* Per want the order is addr, weight, state. */
		int rank = out[i].kind == HAPI_ACT_SET_ADDR     ? 0
		           : out[i].kind == HAPI_ACT_SET_WEIGHT ? 1
		                                                : 2;

		if (out[i].want < w || wi >= nw || !cmd_clean(out[i].cmd))
			abort();
		if (wi < last_want || (wi == last_want && i > 0 && rank <= last_kind))
			abort();
		last_want = wi;
		last_kind = rank;
		for (j = 0; j < nsk; j++)
			if (sk[j].want == out[i].want)
				abort();
	}
	for (j = 0; j < nsk; j++)
		if (sk[j].want < w || (size_t)(sk[j].want - w) >= nw ||
		    (unsigned)sk[j].reason > (unsigned)HAPI_SKIP_DUPLICATE)
			abort();
}

/* What HAProxy 2.6.12 and 3.4.0 do with each command (seen in tests/unit/data/hapi/). */
static void apply(struct hapi_server *rows, size_t n, const struct hapi_action *a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct hapi_server *r = &rows[i];

		if (strcmp(r->backend, a->want->backend) != 0 || strcmp(r->server, a->want->server))
			continue;
		if (a->kind == HAPI_ACT_SET_ADDR) {
			memcpy(r->addr, a->want->addr, sizeof(r->addr));
			r->port = a->want->port;
		} else if (a->kind == HAPI_ACT_SET_WEIGHT) {
			r->uweight = a->want->weight;
		} else if (a->want->state == HAPI_WANT_READY) {
			r->admin_state &= ~(HAPI_ADMF_FMAINT | HAPI_ADMF_FDRAIN);
		} else if (a->want->state == HAPI_WANT_DRAIN) {
			r->admin_state = (r->admin_state & ~HAPI_ADMF_FMAINT) | HAPI_ADMF_FDRAIN;
		} else {
			r->admin_state = (r->admin_state & ~HAPI_ADMF_FDRAIN) | HAPI_ADMF_FMAINT;
		}
		return;
	}
	abort(); /* an action for a server that is not there */
}

static void fuzz_diff(struct hapi_server *rows, size_t n)
{
	struct hapi_want w[FUZZ_WANTS];
	struct hapi_action out[3 * FUZZ_WANTS], out2[3 * FUZZ_WANTS];
	struct hapi_skip sk[FUZZ_WANTS], sk2[FUZZ_WANTS];
	size_t nw = derive_wants(rows, n, w), nout, nsk, nout2, nsk2, i;

	if (hapi_diff(w, nw, rows, n, out, PF_ARRAY_SIZE(out), &nout, sk, PF_ARRAY_SIZE(sk),
	              &nsk) != 0)
		abort(); /* the arrays are big enough for anything */
	check_diff(w, nw, out, nout, sk, nsk);
	/* Pure: the same again. */
	if (hapi_diff(w, nw, rows, n, out2, PF_ARRAY_SIZE(out2), &nout2, sk2, PF_ARRAY_SIZE(sk2),
	              &nsk2) != 0 ||
	    nout2 != nout || nsk2 != nsk || memcmp(out, out2, nout * sizeof(out[0])) != 0)
		abort();
	/* Too small an array is -1, never an overflow. */
	if (nout > 0 &&
	    hapi_diff(w, nw, rows, n, out2, nout - 1, &nout2, sk2, PF_ARRAY_SIZE(sk2), &nsk2) != -1)
		abort();
	if (nsk > 0 &&
	    hapi_diff(w, nw, rows, n, out2, PF_ARRAY_SIZE(out2), &nout2, sk2, nsk - 1, &nsk2) != -1)
		abort();
	/* Converges: after the actions, nothing is left and the same wants are skipped. */
	for (i = 0; i < nout; i++)
		apply(rows, n, &out[i]);
	if (hapi_diff(w, nw, rows, n, out2, PF_ARRAY_SIZE(out2), &nout2, sk2, PF_ARRAY_SIZE(sk2),
	              &nsk2) != 0 ||
	    nout2 != 0 || nsk2 != nsk)
		abort();
}

static bool blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static void fuzz_answers(const char *text, size_t size)
{
	struct pf_slice ans[FUZZ_ANSWERS];
	char err[96];
	size_t n, i, total = 0;
	int r;

	if (hapi_answer_ok(text, size, err, sizeof(err)) == 0) {
		if (!blank(text, size))
			abort();
	} else if (!has_nul(err, sizeof(err))) {
		abort();
	}
	r = hapi_addr_answer_ok(text, size, err, sizeof(err));
	if (r == 0 && (size < 2 || memchr(text, '\n', size) == NULL))
		abort();
	r = hapi_split_answers(text, size, ans, FUZZ_ANSWERS, &n, err, sizeof(err));
	if ((r != 0 && r != -1 && r != PF_AGAIN) || n > FUZZ_ANSWERS)
		abort();
	for (i = 0; i < n; i++) {
		const char *p = (const char *)ans[i].p;

		if (p != text + total || ans[i].len == 0 || p[ans[i].len - 1] != '\n' ||
		    (ans[i].len > 1 && p[ans[i].len - 2] != '\n'))
			abort();
		total += ans[i].len;
		if (hapi_answer_ok(p, ans[i].len, err, sizeof(err)) == 0 && !blank(p, ans[i].len))
			abort();
		if (hapi_addr_answer_ok(p, ans[i].len, err, sizeof(err)) == 0 && ans[i].len < 3)
			abort();
	}
	if (total > size || (r == 0 && total != size) || (r == PF_AGAIN && total == size))
		abort();
}

/* Cuts up to three NUL-terminated pieces out of the input, at '\n' or '/'. */
static void fuzz_builders(const char *text, size_t size)
{
	char part[3][80], buf[HAPI_CMD_MAX];
	size_t p = 0, k, pos = 0;

	memset(part, 0, sizeof(part));
	for (k = 0; k < 3 && pos <= size; k++) {
		size_t start = pos;

		while (pos < size && text[pos] != '\n' && text[pos] != '/')
			pos++;
		p = pos - start < sizeof(part[k]) - 1 ? pos - start : sizeof(part[k]) - 1;
		memcpy(part[k], text + start, p);
		pos++;
	}
	k = hapi_cmd_set_addr(buf, sizeof(buf), part[0], part[1], part[2], 9944);
	if (k != 0 && (k != strlen(buf) || !cmd_clean(buf) || !hapi_name_is_valid(part[0]) ||
	               !hapi_name_is_valid(part[1])))
		abort();
	if (k == 0 && buf[0] != '\0')
		abort();
	k = hapi_cmd_set_state(buf, sizeof(buf), part[0], part[1], HAPI_WANT_DRAIN);
	if ((k != 0) != (hapi_name_is_valid(part[0]) && hapi_name_is_valid(part[1])))
		abort();
	if (k != 0 && !cmd_clean(buf))
		abort();
	k = hapi_cmd_set_weight(buf, sizeof(buf), part[0], part[1], (unsigned)size % 300);
	if (k != 0 && !cmd_clean(buf))
		abort();
	k = hapi_cmd_shutdown_sessions(buf, sizeof(buf), part[0], part[1]);
	if ((k != 0) != (hapi_name_is_valid(part[0]) && hapi_name_is_valid(part[1])))
		abort();
	(void)hapi_cmd_show_servers_state(buf, sizeof(buf), part[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hapi_server rows[FUZZ_ROWS];
	const char *text = (const char *)data;
	struct hapi_info info;
	char err[128];
	size_t n;

	err[0] = '\0';
	if (hapi_parse_servers_state(text, size, rows, FUZZ_ROWS, &n, err, sizeof(err)) == 0) {
		check_rows(rows, n);
		fuzz_diff(rows, n);
	} else if (n != 0 || strncmp(err, "line ", 5) != 0) {
		abort();
	}
	err[0] = '\0';
	if (hapi_parse_info(text, size, &info, err, sizeof(err)) == 0) {
		if (info.pid <= 0 || info.uptime_sec < 0 || !has_nul(info.version, 32) ||
		    !has_nul(info.node, 64))
			abort();
	} else if (strncmp(err, "line ", 5) != 0 || info.pid != 0) {
		abort();
	}
	fuzz_answers(text, size);
	fuzz_builders(text, size);
	return 0;
}
