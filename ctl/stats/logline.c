/* SPDX-License-Identifier: MIT */
/*
 * The shipped log-format, field by field:
 *
 *   %ci:%cp [%tr] %ft %b/%s %Tq/%Tw/%Tc/%Tr/%Ta %ST %B %tsc
 *   %ac/%fc/%bc/%sc/%rc %sq/%bq chain=.. method=.. class=.. batch=.. calls=..
 *   spoe=<error>/<ms> "%HM %HPO%HQ %HV"
 *
 * Read strictly left to right, every field against its own grammar; a line
 * whose second field is not "[date]" is HAProxy's own notice ("Proxy rpc
 * stopped ..."), and one whose third ends in ':' a connection error ("rpc/2:
 * SSL handshake failure"): neither is a request. Numbers take HAProxy's forms: "-1" for a
 * timer or status not reached, and a '+' before %Ta, %B and %rc (option
 * logasap, redispatch). Only the request field may end early: HAProxy cuts a
 * line at its `len` and the request comes last.
 */
#include "ctl/stats/logline.h"

#include <string.h>

struct cur {
	const uint8_t *p, *end;
};

static bool take(struct cur *c, uint8_t ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool take_str(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/*
 * A decimal in [<min>, <max>] (both within +-10^18), with an optional '-'
 * and, when <plus>, an optional '+'. At most 18 digits, so no overflow.
 */
static bool num(struct cur *c, int64_t min, int64_t max, bool plus, int64_t *out)
{
	int64_t v = 0;
	int n = 0;
	bool neg = false;

	if (take(c, '-'))
		neg = true;
	else if (plus)
		(void)take(c, '+');
	while (c->p < c->end && is_digit(*c->p) && n < 18) {
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	if (n == 0 || (c->p < c->end && is_digit(*c->p)))
		return false;
	v = neg ? -v : v;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool num32(struct cur *c, int32_t min, int32_t max, bool plus, int32_t *out)
{
	int64_t v;

	if (!num(c, min, max, plus, &v))
		return false;
	*out = (int32_t)v;
	return true;
}

static bool unum32(struct cur *c, bool plus, uint32_t *out)
{
	int64_t v;

	if (!num(c, 0, UINT32_MAX, plus, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Bytes up to <stop> (not included), 1..<max> of them, none a space or control. */
static bool word(struct cur *c, uint8_t stop, size_t max, struct pf_slice *out)
{
	const uint8_t *s = c->p;

	while (c->p<c->end && * c->p != stop && * c->p> ' ' && *c->p < 0x7f)
		c->p++;
	out->p = s;
	out->len = (size_t)(c->p - s);
	return out->len > 0 && out->len <= max && c->p < c->end && *c->p == stop;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool fixed(struct cur *c, int n, int *out)
{
	int v = 0;

	if (c->end - c->p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(c->p[i]))
			return false;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*out = v;
	return true;
}

/* "[dd/Mmm/yyyy:hh:mm:ss.mmm]" */
static bool date(struct cur *c, struct logline_date *d)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const uint8_t mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (!take(c, '[') || !fixed(c, 2, &d->day) || !take(c, '/') || c->end - c->p < 4)
		return false;
	d->month = 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(c->p, months + 3 * i, 3) == 0)
			d->month = i + 1;
	c->p += 3;
	if (d->month == 0 || !take(c, '/') || !fixed(c, 4, &d->year) || !take(c, ':') ||
	    !fixed(c, 2, &d->hour) || !take(c, ':') || !fixed(c, 2, &d->min) || !take(c, ':') ||
	    !fixed(c, 2, &d->sec) || !take(c, '.') || !fixed(c, 3, &d->msec) || !take(c, ']'))
		return false;
	if (d->day < 1 || d->day > mdays[d->month - 1] || d->hour > 23 || d->min > 59 ||
	    d->sec > 60)
		return false;
	d->epoch_ms =
	    ((days_from_civil(d->year, d->month, d->day) * 24 + d->hour) * 60 + d->min) * 60000 +
	    d->sec * 1000 + d->msec;
	return true;
}

static int fail(enum logline_err *err, enum logline_err why)
{
	*err = why;
	return PF_EPROTO;
}

static const char *const class_names[LOGLINE_CLASS_COUNT] = {
    [LOGLINE_CLASS_NONE] = "-",
    [LOGLINE_CLASS_READ] = "read",
    [LOGLINE_CLASS_SUBSCRIBE] = "subscribe",
    [LOGLINE_CLASS_SUBMIT] = "submit",
    [LOGLINE_CLASS_HEAVY] = "heavy",
    [LOGLINE_CLASS_UNKNOWN] = "unknown",
    [LOGLINE_CLASS_INVALID] = "invalid",
    [LOGLINE_CLASS_UNSAFE] = "unsafe",
    [LOGLINE_CLASS_OVERSIZE] = "oversize",
    [LOGLINE_CLASS_OTHER] = "other",
};

/* "<key>=<value> ": the value's bytes, printable, no space, 1..<max>. */
static bool field(struct cur *c, const char *key, size_t max, struct pf_slice *v)
{
	return take_str(c, key) && word(c, ' ', max, v) && take(c, ' ');
}

static bool is_dash(struct pf_slice s)
{
	return s.len == 1 && s.p[0] == '-';
}

/* "-" or a decimal in [<min>, <max>]. */
static bool opt_num(struct pf_slice s, int32_t min, int32_t max, int32_t *out)
{
	struct cur c = {s.p, s.p + s.len};

	if (is_dash(s)) {
		*out = -1;
		return true;
	}
	return num32(&c, min, max, false, out) && c.p == c.end;
}

static bool chain_ok(struct pf_slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		uint8_t ch = s.p[i];

		if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

static void method_of(struct logline *l, struct pf_slice m, logline_method_fn lookup, void *ctx)
{
	l->method = m;
	if (is_dash(m)) {
		l->method.len = 0;
		l->method_id = LOGLINE_METHOD_NONE;
	} else if (pf_slice_eq_str(m, "batch")) {
		l->method_id = LOGLINE_METHOD_BATCH;
	} else {
		int id = lookup != NULL ? lookup(ctx, m.p, m.len) : -1;

		l->method_id = id >= 0 ? id : LOGLINE_METHOD_OTHER;
	}
}

/* chain= method= class= batch= calls= spoe=E/T, each followed by one space. */
static bool fields(struct cur *c, struct logline *l, logline_method_fn lookup, void *ctx)
{
	struct pf_slice v;

	if (!field(c, "chain=", LOGLINE_CHAIN_MAX, &v) || !chain_ok(v))
		return false;
	l->chain = v;
	if (is_dash(v))
		l->chain.len = 0;
	if (!field(c, "method=", LOGLINE_METHOD_MAX, &v) || memchr(v.p, '"', v.len) != NULL ||
	    memchr(v.p, '\\', v.len) != NULL)
		return false;
	method_of(l, v, lookup, ctx);
	if (!field(c, "class=", 16, &v))
		return false;
	l->cls_text = v;
	l->cls = LOGLINE_CLASS_OTHER;
	for (int i = 0; i < LOGLINE_CLASS_OTHER; i++)
		if (pf_slice_eq_str(v, class_names[i]))
			l->cls = (enum logline_class)i;
	if (!field(c, "batch=", 10, &v) || !opt_num(v, 0, INT32_MAX, &l->batch))
		return false;
	if (!field(c, "calls=", 10, &v) || !opt_num(v, 0, INT32_MAX, &l->calls))
		return false;
	if (!take_str(c, "spoe=") || !num32(c, INT32_MIN + 1, INT32_MAX, false, &l->spoe_err) ||
	    !take(c, '/'))
		return false;
	if (take(c, '-'))
		l->spoe_ms = -1;
	else if (!num32(c, 0, INT32_MAX, false, &l->spoe_ms))
		return false;
	return take(c, ' ');
}

/*
 * "%HM %HPO%HQ %HV" in quotes, the closing quote last. A cut line may lack
 * it: then the method and what there is of the URI are kept, no version.
 */
static bool request(struct cur *c, struct logline *l)
{
	const uint8_t *s, *e, *sp1, *sp2;

	if (!take(c, '"'))
		return false;
	s = c->p;
	e = c->end;
	if (e > s && e[-1] == '"')
		e--;
	else
		l->truncated = true;
	c->p = c->end;
	if (e == s || memchr(s, '"', (size_t)(e - s)) != NULL)
		return false;
	sp1 = memchr(s, ' ', (size_t)(e - s));
	if (sp1 == s)
		return false;
	l->http_method.p = s;
	l->http_method.len = (size_t)((sp1 != NULL ? sp1 : e) - s);
	if (l->truncated) {
		if (sp1 != NULL) {
			l->uri.p = sp1 + 1;
			l->uri.len = (size_t)(e - (sp1 + 1));
		}
		return true;
	}
	if (sp1 == NULL)
		return false;
	for (sp2 = e; sp2[-1] != ' ';)
		sp2--;
	if (sp2 - 1 == sp1 || sp2 == e)
		return false;
	l->uri.p = sp1 + 1;
	l->uri.len = (size_t)(sp2 - 1 - (sp1 + 1));
	l->http_version.p = sp2;
	l->http_version.len = (size_t)(e - sp2);
	return true;
}

/* %Tq/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq, each followed by a space. */
static int numbers(struct cur *c, struct logline *l, enum logline_err *err)
{
	int64_t b;
	int32_t st;

	if (!num32(c, -1, INT32_MAX, false, &l->tq) || !take(c, '/') ||
	    !num32(c, -1, INT32_MAX, false, &l->tw) || !take(c, '/') ||
	    !num32(c, -1, INT32_MAX, false, &l->tc) || !take(c, '/') ||
	    !num32(c, -1, INT32_MAX, false, &l->tr) || !take(c, '/') ||
	    !num32(c, -1, INT32_MAX, true, &l->ta) || !take(c, ' '))
		return fail(err, LOGLINE_ERR_TIMERS);
	if (!num32(c, -1, 999, false, &st) || (st >= 0 && st < 100) || !take(c, ' '))
		return fail(err, LOGLINE_ERR_STATUS);
	l->status = st;
	if (!num(c, 0, INT64_MAX / 2, true, &b) || !take(c, ' '))
		return fail(err, LOGLINE_ERR_BYTES);
	l->bytes = (uint64_t)b;
	if (c->end - c->p < 5 || c->p[4] != ' ')
		return fail(err, LOGLINE_ERR_TERM);
	for (int i = 0; i < 4; i++) {
		uint8_t ch = c->p[i];

		if (!(ch == '-' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
			return fail(err, LOGLINE_ERR_TERM);
		l->term[i] = (char)ch;
	}
	l->term[4] = '\0';
	c->p += 5;
	if (!unum32(c, false, &l->ac) || !take(c, '/') || !unum32(c, false, &l->fc) ||
	    !take(c, '/') || !unum32(c, false, &l->bc) || !take(c, '/') ||
	    !unum32(c, false, &l->sc) || !take(c, '/') || !unum32(c, true, &l->rc) || !take(c, ' '))
		return fail(err, LOGLINE_ERR_CONNS);
	if (!unum32(c, false, &l->srv_queue) || !take(c, '/') || !unum32(c, false, &l->be_queue) ||
	    !take(c, ' '))
		return fail(err, LOGLINE_ERR_QUEUES);
	return 0;
}

int logline_parse(const uint8_t *p, size_t len, logline_method_fn lookup, void *ctx,
                  struct logline *out, enum logline_err *err)
{
	struct cur c = {p, p + len};
	struct pf_slice fe;

	memset(out, 0, sizeof(*out));
	*err = LOGLINE_OK;
	if (len > LOGLINE_MAX_LEN)
		return fail(err, LOGLINE_ERR_TOO_LONG);
	if (!word(&c, ' ', 64, &out->client) || !take(&c, ' ') || c.p >= c.end || *c.p != '[')
		return fail(err, LOGLINE_ERR_NOT_ACCESS);
	if (!date(&c, &out->accept) || !take(&c, ' '))
		return fail(err, LOGLINE_ERR_DATE);
	if (!word(&c, ' ', LOGLINE_NAME_MAX + 1, &fe) || !take(&c, ' '))
		return fail(err, LOGLINE_ERR_NAMES);
	/* "rpc/2: SSL handshake failure ...": a connection that never made a request. */
	if (fe.p[fe.len - 1] == ':')
		return fail(err, LOGLINE_ERR_NOT_ACCESS);
	out->tls = fe.p[fe.len - 1] == '~';
	out->frontend.p = fe.p;
	out->frontend.len = fe.len - out->tls;
	if (out->frontend.len == 0 || !word(&c, '/', LOGLINE_NAME_MAX, &out->backend) ||
	    !take(&c, '/') || !word(&c, ' ', LOGLINE_NAME_MAX, &out->server) || !take(&c, ' '))
		return fail(err, LOGLINE_ERR_NAMES);
	if (numbers(&c, out, err) != 0)
		return PF_EPROTO;
	if (!fields(&c, out, lookup, ctx))
		return fail(err, LOGLINE_ERR_FIELD);
	if (!request(&c, out))
		return fail(err, LOGLINE_ERR_REQUEST);
	return (int)len;
}

static void put_opt(struct pf_buf *b, const char *key, int32_t v)
{
	if (v < 0)
		pf_buf_printf(b, "%s=- ", key);
	else
		pf_buf_printf(b, "%s=%d ", key, (int)v);
}

void logline_format(const struct logline *l, struct pf_buf *b)
{
	const struct logline_date *d = &l->accept;
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	pf_buf_append(b, l->client.p, l->client.len);
	pf_buf_printf(b, " [%02d/%.3s/%04d:%02d:%02d:%02d.%03d] ", d->day,
	              months + 3 * (d->month - 1), d->year, d->hour, d->min, d->sec, d->msec);
	pf_buf_append(b, l->frontend.p, l->frontend.len);
	pf_buf_printf(b, "%s ", l->tls ? "~" : "");
	pf_buf_append(b, l->backend.p, l->backend.len);
	pf_buf_append(b, "/", 1);
	pf_buf_append(b, l->server.p, l->server.len);
	pf_buf_printf(b, " %d/%d/%d/%d/%d %d %llu %s %u/%u/%u/%u/%u %u/%u chain=", (int)l->tq,
	              (int)l->tw, (int)l->tc, (int)l->tr, (int)l->ta, l->status,
	              (unsigned long long)l->bytes, l->term, l->ac, l->fc, l->bc, l->sc, l->rc,
	              l->srv_queue, l->be_queue);
	pf_buf_append(b, l->chain.len > 0 ? l->chain.p : (const uint8_t *)"-",
	              l->chain.len > 0 ? l->chain.len : 1);
	pf_buf_append(b, " method=", 8);
	pf_buf_append(b, l->method.len > 0 ? l->method.p : (const uint8_t *)"-",
	              l->method.len > 0 ? l->method.len : 1);
	pf_buf_printf(b, " class=%.*s ", (int)l->cls_text.len, (const char *)l->cls_text.p);
	put_opt(b, "batch", l->batch);
	put_opt(b, "calls", l->calls);
	pf_buf_printf(b, "spoe=%d/", (int)l->spoe_err);
	if (l->spoe_ms < 0)
		pf_buf_append(b, "-", 1);
	else
		pf_buf_printf(b, "%d", (int)l->spoe_ms);
	pf_buf_append(b, " \"", 2);
	pf_buf_append(b, l->http_method.p, l->http_method.len);
	if (l->uri.p != NULL) {
		pf_buf_append(b, " ", 1);
		pf_buf_append(b, l->uri.p, l->uri.len);
	}
	if (l->http_version.p != NULL) {
		pf_buf_append(b, " ", 1);
		pf_buf_append(b, l->http_version.p, l->http_version.len);
	}
	if (!l->truncated)
		pf_buf_append(b, "\"", 1);
}

const char *logline_class_name(enum logline_class cls)
{
	return (unsigned)cls < LOGLINE_CLASS_COUNT ? class_names[cls] : "?";
}

const char *logline_err_name(enum logline_err err)
{
	static const char *const names[LOGLINE_ERR_COUNT] = {
	    [LOGLINE_OK] = "ok",
	    [LOGLINE_ERR_TOO_LONG] = "too long",
	    [LOGLINE_ERR_NOT_ACCESS] = "not an access line",
	    [LOGLINE_ERR_DATE] = "date",
	    [LOGLINE_ERR_NAMES] = "frontend or backend/server",
	    [LOGLINE_ERR_TIMERS] = "timers",
	    [LOGLINE_ERR_STATUS] = "status",
	    [LOGLINE_ERR_BYTES] = "bytes",
	    [LOGLINE_ERR_TERM] = "termination state",
	    [LOGLINE_ERR_CONNS] = "connection counts",
	    [LOGLINE_ERR_QUEUES] = "queues",
	    [LOGLINE_ERR_FIELD] = "chain/method/class/batch/calls/spoe",
	    [LOGLINE_ERR_REQUEST] = "request",
	};

	return (unsigned)err < LOGLINE_ERR_COUNT ? names[err] : "?";
}
