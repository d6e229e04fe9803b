/* SPDX-License-Identifier: MIT */
/*
 * HAProxy runtime API (2.6 to 3.4), pure part: answer parsers, command
 * builders and the desired-vs-actual diff (see hapi_cmd.h for the contracts).
 * Every text format handled here was checked against a running HAProxy
 * 2.6.12 and 3.4.0; the captures are in tests/unit/data/hapi/ (2.6) and
 * tests/unit/data/hapi/3.4/, with notes on what was observed and what differs.
 * Nothing here reads a socket, the clock or the environment, logs, or
 * allocates; inet_pton() is the only libc call beyond string and memory
 * functions, and it makes no syscall.
 */
#include "ctl/hapi/hapi_cmd.h"

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/compiler.h"
#include "common/slice.h"
#include "common/text.h"

#define SS_MIN_COLS   25 /* columns of format version 1 in HAProxy 2.6, and still in 3.4 */
#define EXCERPT_MAX   48 /* bytes of a bad line quoted in an error */
#define COL_BE_ID     0
#define COL_BE_NAME   1
#define COL_SRV_ID    2
#define COL_SRV_NAME  3
#define COL_SRV_ADDR  4
#define COL_OP_STATE  5
#define COL_ADM_STATE 6
#define COL_UWEIGHT   7
#define COL_IWEIGHT   8
#define COL_SRV_PORT  18

/* The column header HAProxy 2.6 and 3.4 print on line 2; later ones may append names. */
static const char ss_header[] =
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port";

/* ---- small helpers ---------------------------------------------------------- */

/* Copies at most <dstlen> - 1 bytes of <s> (<n> bytes) to <dst>, non-printables as '?'. */
static void excerpt(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (dst != NULL && dstlen > 0)
		(void)pf_printable(dst, dstlen, s, n, NULL);
}

/* Line walker over an answer: lines end with '\n', which is not part of the line. */
struct lines {
	const char *p;
	size_t len;
	size_t pos;
	unsigned lineno; /* of the line last returned */
};

/* Returns 1 with the next line in <*line>/<*llen>, 0 at the end, -1 for an unterminated line. */
static int lines_next(struct lines *it, const char **line, size_t *llen)
{
	const char *nl;

	if (it->pos >= it->len)
		return 0;
	it->lineno++;
	nl = memchr(it->p + it->pos, '\n', it->len - it->pos);
	if (nl == NULL)
		return -1;
	*line = it->p + it->pos;
	*llen = (size_t)(nl - *line);
	it->pos = (size_t)(nl - it->p) + 1;
	return 1;
}

/*
 * The next line of an answer that must end with an empty line: 0 with the
 * line, or -1 with "line N: ..." in <err> when the answer is cut short.
 */
static int answer_line(struct lines *it, const char **line, size_t *llen, char *err, size_t errlen)
{
	int r = lines_next(it, line, llen);

	if (r == 1)
		return 0;
	pf_errf(err, errlen, "line %u: %s", it->lineno + (r == 0),
	        r == 0 ? "no empty line at the end (truncated answer)"
	               : "unterminated line (truncated answer)");
	return -1;
}

/* Parses all of <s> (<n> bytes) as a decimal number no larger than <max>. */
static bool parse_ulong(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned long d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned long)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* HAProxy's invalid_char(): names are made of [A-Za-z0-9._:-] only. */
static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == ':';
}

static bool name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= HAPI_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!name_char_ok(s[i]))
			return false;
	return true;
}

bool hapi_name_is_valid(const char *name)
{
	return name != NULL && name_ok(name, strnlen(name, HAPI_NAME_MAX));
}

/* An IPv4 or IPv6 literal as inet_pton() takes it; NUL-terminated within HAPI_ADDR_MAX. */
static bool addr_literal_ok(const char *addr)
{
	unsigned char bin[16];
	size_t n = strnlen(addr, HAPI_ADDR_MAX);

	if (n == 0 || n == HAPI_ADDR_MAX)
		return false;
	if (memchr(addr, ':', n) != NULL)
		return inet_pton(AF_INET6, addr, bin) == 1;
	return inet_pton(AF_INET, addr, bin) == 1;
}

/* Same address? Binary comparison so "::1" equals "0:0::1"; text otherwise. */
bool hapi_addr_eq(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	return strncmp(a, b, HAPI_ADDR_MAX) == 0;
}

static bool is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* ---- show servers state ------------------------------------------------------ */

struct col {
	const char *p;
	size_t len;
};

/* Splits <line> at single spaces into <cols> (first SS_MIN_COLS kept); returns the count. */
static size_t split_cols(const char *line, size_t llen, struct col *cols, bool *empty_col)
{
	size_t i, start = 0, n = 0;

	*empty_col = false;
	for (i = 0; i <= llen; i++) {
		if (i < llen && line[i] != ' ')
			continue;
		if (i == start)
			*empty_col = true;
		if (n < SS_MIN_COLS) {
			cols[n].p = line + start;
			cols[n].len = i - start;
		}
		n++;
		start = i + 1;
	}
	return n;
}

/* Every byte of every column must be printable ASCII: no control byte, no NUL. */
static bool cols_printable(const char *line, size_t llen)
{
	size_t i;

	for (i = 0; i < llen; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f)
			return false;
	return true;
}

static bool addr_col_ok(const struct col *c)
{
	size_t i;

	if (c->len == 1 && c->p[0] == '-')
		return true;
	if (c->len == 0 || c->len >= HAPI_ADDR_MAX)
		return false;
	for (i = 0; i < c->len; i++) {
		char ch = c->p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F') || ch == '.' || ch == ':'))
			return false;
	}
	return true;
}

static void copy_col(char *dst, const struct col *c)
{
	memcpy(dst, c->p, c->len);
	dst[c->len] = '\0';
}

/* Checks the names of column <c>; returns NULL or the reason. */
static const char *name_col_err(const struct col *c, const char *what_long, const char *what_bad)
{
	if (c->len >= HAPI_NAME_MAX)
		return what_long;
	if (!name_ok(c->p, c->len))
		return what_bad;
	return NULL;
}

/* Parses one data row into <s>; returns NULL or the reason. */
static const char *ss_row(const char *line, size_t llen, struct hapi_server *s)
{
	struct col c[SS_MIN_COLS];
	unsigned long v, op, adm, uw, iw, port;
	bool empty_col;
	const char *why;
	size_t ncol = split_cols(line, llen, c, &empty_col);

	if (ncol < SS_MIN_COLS)
		return "too few columns";
	if (empty_col)
		return "empty column";
	if (!cols_printable(line, llen))
		return "non-printable byte";
	if (!parse_ulong(c[COL_BE_ID].p, c[COL_BE_ID].len, UINT32_MAX, &v) ||
	    !parse_ulong(c[COL_SRV_ID].p, c[COL_SRV_ID].len, UINT32_MAX, &v))
		return "bad number in be_id or srv_id";
	why = name_col_err(&c[COL_BE_NAME], "backend name too long", "bad backend name");
	if (why == NULL)
		why = name_col_err(&c[COL_SRV_NAME], "server name too long", "bad server name");
	if (why != NULL)
		return why;
	if (!addr_col_ok(&c[COL_SRV_ADDR]))
		return "bad srv_addr";
	if (!parse_ulong(c[COL_OP_STATE].p, c[COL_OP_STATE].len, HAPI_OP_STOPPING, &op))
		return "bad number in srv_op_state";
	if (!parse_ulong(c[COL_ADM_STATE].p, c[COL_ADM_STATE].len, 0xff, &adm))
		return "bad number in srv_admin_state";
	if (!parse_ulong(c[COL_UWEIGHT].p, c[COL_UWEIGHT].len, HAPI_WEIGHT_MAX, &uw) ||
	    !parse_ulong(c[COL_IWEIGHT].p, c[COL_IWEIGHT].len, HAPI_WEIGHT_MAX, &iw))
		return "bad number in srv_uweight or srv_iweight";
	if (!parse_ulong(c[COL_SRV_PORT].p, c[COL_SRV_PORT].len, UINT16_MAX, &port))
		return "bad number in srv_port";

	memset(s, 0, sizeof(*s));
	copy_col(s->backend, &c[COL_BE_NAME]);
	copy_col(s->server, &c[COL_SRV_NAME]);
	if (!(c[COL_SRV_ADDR].len == 1 && c[COL_SRV_ADDR].p[0] == '-'))
		copy_col(s->addr, &c[COL_SRV_ADDR]);
	s->port = (uint16_t)port;
	s->op_state = (int)op;
	s->admin_state = (unsigned)adm;
	s->uweight = (unsigned)uw;
	s->iweight = (unsigned)iw;
	return NULL;
}

static bool same_server(const struct hapi_server *a, const struct hapi_server *b)
{
	return strcmp(a->backend, b->backend) == 0 && strcmp(a->server, b->server) == 0;
}

/* Lines 1 and 2: "1" and the 2.6 column header (more names may follow). */
static int ss_head(struct lines *it, char *err, size_t errlen)
{
	char ex[EXCERPT_MAX];
	const char *line;
	size_t llen, hlen = sizeof(ss_header) - 1;
	int r = lines_next(it, &line, &llen);

	if (r != 1) {
		pf_errf(err, errlen, "line 1: %s", r == 0 ? "empty answer" : "unterminated line");
		return -1;
	}
	if (llen != 1 || line[0] != '1') {
		excerpt(ex, sizeof(ex), line, llen);
		pf_errf(err, errlen, "line 1: not a version 1 servers state dump: \"%s\"", ex);
		return -1;
	}
	r = lines_next(it, &line, &llen);
	if (r != 1) {
		pf_errf(err, errlen, "line 2: %s",
		        r == 0 ? "missing column header" : "unterminated line");
		return -1;
	}
	if (llen < hlen || memcmp(line, ss_header, hlen) != 0 ||
	    (llen > hlen && line[hlen] != ' ')) {
		pf_errf(err, errlen, "line 2: unexpected column header");
		return -1;
	}
	return 0;
}

int hapi_parse_servers_state(const char *text, size_t len, struct hapi_server *out, size_t cap,
                             size_t *n, char *err, size_t errlen)
{
	struct lines it = {text, len, 0, 0};
	const char *line, *why;
	size_t llen, i;

	*n = 0;
	if (ss_head(&it, err, errlen) == -1)
		return -1;
	for (;;) {
		if (answer_line(&it, &line, &llen, err, errlen) == -1)
			goto fail;
		if (llen == 0)
			break;
		if (line[0] == '#')
			continue; /* comment, per the management guide */
		if (*n == cap) {
			pf_errf(err, errlen, "line %u: more rows than capacity (%zu)", it.lineno,
			        cap);
			goto fail;
		}
		why = ss_row(line, llen, &out[*n]);
		if (why != NULL) {
			pf_errf(err, errlen, "line %u: %s", it.lineno, why);
			goto fail;
		}
		for (i = 0; i < *n; i++) {
			if (same_server(&out[i], &out[*n])) {
				pf_errf(err, errlen, "line %u: duplicate server", it.lineno);
				goto fail;
			}
		}
		(*n)++;
	}
	if (it.pos != len) {
		pf_errf(err, errlen, "line %u: data after the end of the answer", it.lineno + 1);
		goto fail;
	}
	return 0;
fail:
	*n = 0;
	return -1;
}

/* ---- show info ------------------------------------------------------------------- */

/* Copies value <v> (<n> bytes) into <dst> of <size>; NULL or the reason. */
static const char *info_copy(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		return "value too long";
	if (!cols_printable(v, n))
		return "non-printable byte";
	memcpy(dst, v, n);
	dst[n] = '\0';
	return NULL;
}

/* Handles one "Name: value" line; NULL or the reason. <seen> bit 0 = Pid, bit 1 = Uptime_sec. */
static const char *info_line(const char *line, size_t llen, struct hapi_info *out, unsigned *seen)
{
	const char *colon = memchr(line, ':', llen), *v;
	size_t klen, vlen;
	unsigned long num;

	if (colon == NULL || colon == line)
		return "not a \"Name: value\" line";
	klen = (size_t)(colon - line);
	v = colon + 1;
	vlen = llen - klen - 1;
	if (vlen > 0 && v[0] == ' ') {
		v++;
		vlen--;
	}
	if (klen == 3 && memcmp(line, "Pid", 3) == 0) {
		if (*seen & 1u)
			return "duplicate Pid";
		if (!parse_ulong(v, vlen, INT32_MAX, &num) || num == 0)
			return "bad Pid";
		out->pid = (long)num;
		*seen |= 1u;
	} else if (klen == 10 && memcmp(line, "Uptime_sec", 10) == 0) {
		if (*seen & 2u)
			return "duplicate Uptime_sec";
		if (!parse_ulong(v, vlen, INT32_MAX, &num))
			return "bad Uptime_sec";
		out->uptime_sec = (long)num;
		*seen |= 2u;
	} else if (klen == 7 && memcmp(line, "Version", 7) == 0) {
		return info_copy(out->version, sizeof(out->version), v, vlen);
	} else if (klen == 4 && memcmp(line, "node", 4) == 0) {
		return info_copy(out->node, sizeof(out->node), v, vlen);
	}
	return NULL;
}

int hapi_parse_info(const char *text, size_t len, struct hapi_info *out, char *err, size_t errlen)
{
	struct lines it = {text, len, 0, 0};
	const char *line, *why;
	unsigned seen = 0;
	size_t llen;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if (answer_line(&it, &line, &llen, err, errlen) == -1)
			goto fail;
		if (llen == 0)
			break;
		why = info_line(line, llen, out, &seen);
		if (why != NULL) {
			pf_errf(err, errlen, "line %u: %s", it.lineno, why);
			goto fail;
		}
	}
	if (it.pos != len) {
		pf_errf(err, errlen, "line %u: data after the end of the answer", it.lineno + 1);
		goto fail;
	}
	if ((seen & 3u) != 3u) {
		pf_errf(err, errlen, "line %u: end of answer without %s", it.lineno,
		        (seen & 1u) ? "Uptime_sec" : "Pid");
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* ---- command answers ---------------------------------------------------------- */

/* Copies the line of <text> that holds offset <at>, from its start, into <err>. */
static void err_line_at(const char *text, size_t len, size_t at, char *err, size_t errlen)
{
	size_t start = at, end = at;

	while (start > 0 && text[start - 1] != '\n')
		start--;
	while (end < len && text[end] != '\n')
		end++;
	excerpt(err, errlen, text + start, end - start);
}

int hapi_answer_ok(const char *text, size_t len, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!is_blank(text + i, 1)) {
			err_line_at(text, len, i, err, errlen);
			return -1;
		}
	}
	return 0;
}

/* Consumes literal <lit> at <*p> (<end> bounds); true when it was there. */
static bool eat(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Consumes "...'" up to and including the next quote, the quoted text non-empty. */
static bool eat_quoted_rest(const char **p, const char *end)
{
	const char *q = memchr(*p, '\'', (size_t)(end - *p));

	if (q == NULL || q == *p)
		return false;
	*p = q + 1;
	return true;
}

/* Consumes "<digits>'". */
static bool eat_port_rest(const char **p, const char *end)
{
	const char *s = *p;

	while (s < end && *s >= '0' && *s <= '9')
		s++;
	if (s == *p || s == end || *s != '\'')
		return false;
	*p = s + 1;
	return true;
}

/* Consumes "<digits>' to '<digits>'", the rest of "port changed from '". */
static bool eat_port_change_rest(const char **p, const char *end)
{
	return eat_port_rest(p, end) && eat(p, end, " to '") && eat_port_rest(p, end);
}

/*
 * The success line of srv_update_addr_port(), in either wording:
 *   2.6: ("IP changed from '<a>' to '<b>'" | "no need to change the addr")
 *        [", " ("port changed from '<n>' to '<m>'" | "no need to change the port")]
 *        " by '<updater>'"
 *   3.x: "nothing changed" (no updater), or
 *        ("IP changed from '<a>' to '<b>'" [", port changed from '<n>' to '<m>'"]
 *         | "port changed from '<n>' to '<m>'") " by '<updater>'"
 * (tests/unit/data/hapi/ and 3.4/, addr_*.txt). The union is accepted: the
 * controller talks to both versions and none of the phrases means failure.
 */
static bool addr_success_line(const char *p, const char *end)
{
	if (eat(&p, end, "nothing changed"))
		return p == end;
	if (eat(&p, end, "port changed from '")) {
		if (!eat_port_change_rest(&p, end))
			return false;
	} else {
		if (eat(&p, end, "IP changed from '")) {
			if (!eat_quoted_rest(&p, end) || !eat(&p, end, " to '") ||
			    !eat_quoted_rest(&p, end))
				return false;
		} else if (!eat(&p, end, "no need to change the addr")) {
			return false;
		}
		if (eat(&p, end, ", ")) {
			if (eat(&p, end, "port changed from '")) {
				if (!eat_port_change_rest(&p, end))
					return false;
			} else if (!eat(&p, end, "no need to change the port")) {
				return false;
			}
		}
	}
	if (!eat(&p, end, " by '") || !eat_quoted_rest(&p, end))
		return false;
	return p == end;
}

int hapi_addr_answer_ok(const char *text, size_t len, char *err, size_t errlen)
{
	const char *nl;
	size_t rest;

	if (is_blank(text, len)) {
		pf_errf(err, errlen, "empty answer to set server addr");
		return -1;
	}
	nl = memchr(text, '\n', len);
	if (nl == NULL || !addr_success_line(text, nl)) {
		size_t first = 0;

		while (is_blank(text + first, 1))
			first++; /* stops before <len>: the text is not all blank */
		err_line_at(text, len, first, err, errlen);
		return -1;
	}
	for (rest = (size_t)(nl - text); rest < len && is_blank(text + rest, 1); rest++)
		;
	if (rest < len) {
		err_line_at(text, len, rest, err, errlen);
		return -1;
	}
	return 0;
}

int hapi_split_answers(const char *text, size_t len, struct pf_slice *out, size_t cap, size_t *n,
                       char *err, size_t errlen)
{
	size_t pos = 0, start = 0;

	*n = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		if (nl == NULL)
			break;
		if ((size_t)(nl - text) == pos) { /* the empty line that ends an answer */
			if (*n == cap) {
				pf_errf(err, errlen, "more than %zu answers", cap);
				return -1;
			}
			out[*n].p = (const uint8_t *)(text + start);
			out[*n].len = pos + 1 - start;
			(*n)++;
			start = pos + 1;
		}
		pos = (size_t)(nl - text) + 1;
	}
	if (start != len) {
		pf_errf(err, errlen, "answer %zu has no empty line at its end (truncated)", *n + 1);
		return PF_AGAIN;
	}
	return 0;
}

/* ---- builders -------------------------------------------------------------------- */

static size_t refuse(char *buf, size_t cap)
{
	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	return 0;
}

PF_PRINTF(3, 4) static size_t emit(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (buf == NULL || cap == 0)
		return 0;
	va_start(ap, fmt);
	r = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= cap)
		return refuse(buf, cap);
	return (size_t)r;
}

static bool pair_ok(const char *backend, const char *server)
{
	return hapi_name_is_valid(backend) && hapi_name_is_valid(server);
}

const char *hapi_want_state_str(enum hapi_want_state state)
{
	switch (state) {
	case HAPI_WANT_READY:
		return "ready";
	case HAPI_WANT_DRAIN:
		return "drain";
	case HAPI_WANT_MAINT:
		return "maint";
	}
	return "?";
}

const char *hapi_skip_reason_str(enum hapi_skip_reason reason)
{
	switch (reason) {
	case HAPI_SKIP_NO_SERVER:
		return "no such server";
	case HAPI_SKIP_HAND_MAINT:
		return "maint by hand";
	case HAPI_SKIP_INVALID:
		return "invalid want";
	case HAPI_SKIP_DUPLICATE:
		return "duplicate want";
	}
	return "?";
}

size_t hapi_cmd_set_state(char *buf, size_t cap, const char *backend, const char *server,
                          enum hapi_want_state state)
{
	if (!pair_ok(backend, server) || (unsigned)state > (unsigned)HAPI_WANT_MAINT)
		return refuse(buf, cap);
	return emit(buf, cap, "set server %s/%s state %s", backend, server,
	            hapi_want_state_str(state));
}

size_t hapi_cmd_set_weight(char *buf, size_t cap, const char *backend, const char *server,
                           unsigned weight)
{
	if (!pair_ok(backend, server) || weight > HAPI_WEIGHT_MAX)
		return refuse(buf, cap);
	return emit(buf, cap, "set server %s/%s weight %u", backend, server, weight);
}

size_t hapi_cmd_set_addr(char *buf, size_t cap, const char *backend, const char *server,
                         const char *addr, uint16_t port)
{
	if (!pair_ok(backend, server) || addr == NULL || !addr_literal_ok(addr) || port == 0)
		return refuse(buf, cap);
	return emit(buf, cap, "set server %s/%s addr %s port %u", backend, server, addr,
	            (unsigned)port);
}

size_t hapi_cmd_shutdown_sessions(char *buf, size_t cap, const char *backend, const char *server)
{
	if (!pair_ok(backend, server))
		return refuse(buf, cap);
	return emit(buf, cap, "shutdown sessions server %s/%s", backend, server);
}

static bool var_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n <= 5 || n > 64 || strncmp(name, "proc.", 5) != 0)
		return false;
	for (size_t i = 5; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '_'))
			return false;
	return true;
}

static bool var_value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '/' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

size_t hapi_cmd_set_var_str(char *buf, size_t cap, const char *name, const char *value)
{
	if (!var_name_ok(name) || !var_value_ok(value))
		return refuse(buf, cap);
	return emit(buf, cap, "experimental-mode on; set var %s str(%s)", name, value);
}

size_t hapi_cmd_get_var(char *buf, size_t cap, const char *name)
{
	if (!var_name_ok(name))
		return refuse(buf, cap);
	return emit(buf, cap, "get var %s", name);
}

int hapi_parse_var(const char *text, size_t len, const char *name, char *out, size_t outlen,
                   char *err, size_t errlen)
{
	static const char missing[] = "Variable not found.";
	char head[96];
	const char *nl = memchr(text, '\n', len), *v, *end;
	size_t line, hl;

	if (nl == NULL) {
		pf_errf(err, errlen, "get var: truncated answer");
		return -1;
	}
	line = (size_t)(nl - text);
	if (line == sizeof(missing) - 1 && memcmp(text, missing, line) == 0)
		return 0;
	hl = (size_t)snprintf(head, sizeof(head), "%s: type=str value=<", name);
	if (line < hl + 1 || memcmp(text, head, hl) != 0 || text[line - 1] != '>') {
		excerpt(head, sizeof(head), text, line);
		pf_errf(err, errlen, "get var: unexpected answer \"%s\"", head);
		return -1;
	}
	v = text + hl;
	end = text + line - 1;
	if ((size_t)(end - v) >= outlen) {
		pf_errf(err, errlen, "get var: value longer than %zu bytes", outlen - 1);
		return -1;
	}
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = '\0';
	return 1;
}

size_t hapi_cmd_show_servers_state(char *buf, size_t cap, const char *backend)
{
	if (backend == NULL)
		return emit(buf, cap, "show servers state");
	if (!hapi_name_is_valid(backend))
		return refuse(buf, cap);
	return emit(buf, cap, "show servers state %s", backend);
}

size_t hapi_cmd_show_info(char *buf, size_t cap)
{
	return emit(buf, cap, "show info");
}

/* ---- diff -------------------------------------------------------------------- */

enum hapi_want_state hapi_admin_to_state(unsigned admin_state)
{
	if (admin_state & HAPI_ADMF_FMAINT)
		return HAPI_WANT_MAINT;
	if (admin_state & HAPI_ADMF_FDRAIN)
		return HAPI_WANT_DRAIN;
	return HAPI_WANT_READY;
}

static bool want_is_valid(const struct hapi_want *w)
{
	if (!pair_ok(w->backend, w->server) || (unsigned)w->state > (unsigned)HAPI_WANT_MAINT ||
	    w->weight > HAPI_WEIGHT_MAX)
		return false;
	return !w->has_addr || (addr_literal_ok(w->addr) && w->port != 0);
}

static bool want_names_eq(const struct hapi_want *a, const struct hapi_want *b)
{
	return strncmp(a->backend, b->backend, HAPI_NAME_MAX) == 0 &&
	       strncmp(a->server, b->server, HAPI_NAME_MAX) == 0;
}

static const struct hapi_server *find_server(const struct hapi_server *have, size_t nhave,
                                             const struct hapi_want *w)
{
	size_t i;

	for (i = 0; i < nhave; i++)
		if (strncmp(have[i].backend, w->backend, HAPI_NAME_MAX) == 0 &&
		    strncmp(have[i].server, w->server, HAPI_NAME_MAX) == 0)
			return &have[i];
	return NULL;
}

/*
 * Fills <acts> (room for 3) for valid want <w> against server <h>; returns
 * the count, or -1 if a builder refused (not expected after want_is_valid()).
 */
static int diff_actions(const struct hapi_want *w, const struct hapi_server *h,
                        struct hapi_action *acts)
{
	int k = 0;

	memset(acts, 0, 3 * sizeof(*acts)); /* whole structs, padding and cmd tails included */
	if (w->has_addr && (!hapi_addr_eq(w->addr, h->addr) || w->port != h->port)) {
		acts[k].kind = HAPI_ACT_SET_ADDR;
		acts[k].want = w;
		if (hapi_cmd_set_addr(acts[k].cmd, sizeof(acts[k].cmd), w->backend, w->server,
		                      w->addr, w->port) == 0)
			return -1;
		k++;
	}
	if (w->weight != 0 && w->weight != h->uweight) {
		acts[k].kind = HAPI_ACT_SET_WEIGHT;
		acts[k].want = w;
		if (hapi_cmd_set_weight(acts[k].cmd, sizeof(acts[k].cmd), w->backend, w->server,
		                        w->weight) == 0)
			return -1;
		k++;
	}
	if (w->state != hapi_admin_to_state(h->admin_state)) {
		acts[k].kind = HAPI_ACT_SET_STATE;
		acts[k].want = w;
		if (hapi_cmd_set_state(acts[k].cmd, sizeof(acts[k].cmd), w->backend, w->server,
		                       w->state) == 0)
			return -1;
		k++;
	}
	return k;
}

/* Decides for want <i>: the actions in <acts> (count returned), or -1 and a skip. */
static int diff_one(const struct hapi_want *want, size_t i, const struct hapi_server *have,
                    size_t nhave, struct hapi_action *acts, struct hapi_skip *skip)
{
	const struct hapi_want *w = &want[i];
	const struct hapi_server *h;
	size_t j;
	int k;

	skip->want = w;
	skip->admin_state = 0;
	skip->reason = HAPI_SKIP_INVALID;
	if (!want_is_valid(w))
		return -1;
	skip->reason = HAPI_SKIP_DUPLICATE;
	for (j = 0; j < i; j++)
		if (want_names_eq(&want[j], w))
			return -1;
	skip->reason = HAPI_SKIP_NO_SERVER;
	h = find_server(have, nhave, w);
	if (h == NULL)
		return -1;
	skip->admin_state = h->admin_state;
	skip->reason = HAPI_SKIP_HAND_MAINT;
	if ((h->admin_state & HAPI_ADMF_FMAINT) && w->state != HAPI_WANT_MAINT && !w->own_maint)
		return -1;
	skip->reason = HAPI_SKIP_INVALID;
	k = diff_actions(w, h, acts);
	return k;
}

int hapi_diff(const struct hapi_want *want, size_t nwant, const struct hapi_server *have,
              size_t nhave, struct hapi_action *out, size_t cap, size_t *nout,
              struct hapi_skip *skipped, size_t skipcap, size_t *nskipped)
{
	struct hapi_action acts[3];
	struct hapi_skip skip;
	size_t i;

	*nout = 0;
	*nskipped = 0;
	for (i = 0; i < nwant; i++) {
		int k = diff_one(want, i, have, nhave, acts, &skip);

		if (k < 0) {
			if (*nskipped == skipcap)
				return -1;
			skipped[(*nskipped)++] = skip;
			continue;
		}
		if ((size_t)k > cap - *nout)
			return -1;
		if (k > 0)
			memcpy(&out[*nout], acts, (size_t)k * sizeof(acts[0]));
		*nout += (size_t)k;
	}
	return 0;
}
