/* SPDX-License-Identifier: MIT */
/*
 * RFC 3164 and RFC 5424 headers, as HAProxy 2.6 and 3.4 write them
 * (src/log.c): "<PRI>Mmm dd hh:mm:ss host tag[pid]: msg" with the day
 * space-padded and the host present unless the sender leaves it out, and
 * "<PRI>1 YYYY-MM-DDThh:mm:ss.uuuuuu+hh:mm host app procid msgid sd msg"
 * with "-" for what is not set. The two are told apart by the "1 " after
 * the PRI, which no RFC 3164 month can start with.
 */
#include "ctl/stats/syslog.h"

#include <string.h>

/* A cursor over the datagram: every read checks <end> first. */
struct cur {
	const uint8_t *p, *end;
};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5424 PRINTUSASCII: visible characters, no space. */
static bool is_print(uint8_t c)
{
	return c >= 33 && c <= 126;
}

static bool take(struct cur *c, uint8_t ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* Exactly <n> digits into <out>. */
static bool digits(struct cur *c, int n, int *out)
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

/* "<PRI>": 1 to 3 digits, no leading zero, at most 191 (facility 23, severity 7). */
static bool pri(struct cur *c, struct syslog_msg *m)
{
	int v = 0, n = 0;

	if (!take(c, '<'))
		return false;
	while (c->p < c->end && is_digit(*c->p) && n < 4) {
		if (n == 1 && v == 0)
			return false;
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	if (n == 0 || n > 3 || v > 191 || !take(c, '>'))
		return false;
	m->facility = (uint8_t)(v / 8);
	m->severity = (uint8_t)(v % 8);
	return true;
}

/* A space-delimited token of 1..<max> PRINTUSASCII bytes. */
static bool token(struct cur *c, size_t max, struct pf_slice *out)
{
	const uint8_t *s = c->p;

	while (c->p < c->end && is_print(*c->p) && (size_t)(c->p - s) <= max)
		c->p++;
	out->p = s;
	out->len = (size_t)(c->p - s);
	return out->len > 0 && out->len <= max;
}

/* "-" means "not set": an empty slice. */
static void nil_dash(struct pf_slice *s)
{
	if (s->len == 1 && s->p[0] == '-')
		s->len = 0;
}

static bool valid_date(int mon, int day, int hour, int min, int sec)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 && min <= 59 &&
	       sec <= 60;
}

/* "Mmm dd hh:mm:ss" (RFC 3164 section 4.1.2; the day padded with a space). */
static bool time3164(struct cur *c, struct syslog_time *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (c->end - c->p < 15)
		return false;
	t->month = 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(c->p, months + 3 * i, 3) == 0)
			t->month = i + 1;
	if (t->month == 0 || c->p[3] != ' ')
		return false;
	c->p += 4;
	if (*c->p == ' ') {
		c->p++;
		if (!digits(c, 1, &t->day) || t->day == 0)
			return false;
	} else if (!digits(c, 2, &t->day) || t->day < 10) {
		return false;
	}
	if (!take(c, ' ') || !digits(c, 2, &t->hour) || !take(c, ':') || !digits(c, 2, &t->min) ||
	    !take(c, ':') || !digits(c, 2, &t->sec))
		return false;
	t->has_time = true;
	return valid_date(t->month, t->day, t->hour, t->min, t->sec);
}

/* RFC 5424 FULL-DATE "T" FULL-TIME, or "-". */
static bool time5424(struct cur *c, struct syslog_time *t)
{
	int oh, om;

	if (take(c, '-'))
		return true;
	if (!digits(c, 4, &t->year) || !take(c, '-') || !digits(c, 2, &t->month) || !take(c, '-') ||
	    !digits(c, 2, &t->day) || !take(c, 'T') || !digits(c, 2, &t->hour) || !take(c, ':') ||
	    !digits(c, 2, &t->min) || !take(c, ':') || !digits(c, 2, &t->sec))
		return false;
	if (take(c, '.')) {
		int n = 0;

		/* TIME-SECFRAC: 1 to 6 digits. */
		t->usec = 0;
		while (c->p < c->end && is_digit(*c->p) && n < 7) {
			t->usec = t->usec * 10 + (uint32_t)(*c->p++ - '0');
			n++;
		}
		if (n == 0 || n > 6)
			return false;
		for (; n < 6; n++)
			t->usec *= 10;
	}
	if (take(c, 'Z')) {
		t->tz_min = 0;
	} else if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		int sign = *c->p++ == '-' ? -1 : 1;

		if (!digits(c, 2, &oh) || !take(c, ':') || !digits(c, 2, &om) || oh > 23 || om > 59)
			return false;
		t->tz_min = sign * (oh * 60 + om);
	} else {
		return false;
	}
	t->has_time = t->has_zone = true;
	return valid_date(t->month, t->day, t->hour, t->min, t->sec);
}

/*
 * STRUCTURED-DATA: "-" or one or more "[id param="value" ...]"; inside a
 * value, '"', '\' and ']' are escaped with '\'.
 */
static bool sdata(struct cur *c, struct pf_slice *out)
{
	const uint8_t *s = c->p;

	if (take(c, '-')) {
		out->p = s;
		out->len = 0;
		return true;
	}
	if (c->p >= c->end || *c->p != '[')
		return false;
	while (take(c, '[')) {
		bool quoted = false;

		for (;;) {
			if (c->p >= c->end)
				return false;
			if (quoted && *c->p == '\\') {
				if (c->end - c->p < 2)
					return false;
				c->p += 2;
				continue;
			}
			if (*c->p == '"')
				quoted = !quoted;
			else if (*c->p == ']' && !quoted)
				break;
			c->p++;
		}
		c->p++;
	}
	out->p = s;
	out->len = (size_t)(c->p - s);
	return true;
}

static int fail(enum syslog_err *err, enum syslog_err why)
{
	*err = why;
	return PF_EPROTO;
}

static int parse5424(struct cur *c, struct syslog_msg *m, enum syslog_err *err)
{
	m->fmt = SYSLOG_FMT_RFC5424;
	if (!time5424(c, &m->time) || !take(c, ' '))
		return fail(err, SYSLOG_ERR_TIMESTAMP);
	if (!token(c, SYSLOG_HOST_MAX, &m->host) || !take(c, ' '))
		return fail(err, SYSLOG_ERR_HOST);
	if (!token(c, SYSLOG_APP_MAX, &m->app) || !take(c, ' '))
		return fail(err, SYSLOG_ERR_TAG);
	if (!token(c, SYSLOG_PROCID_MAX, &m->procid) || !take(c, ' '))
		return fail(err, SYSLOG_ERR_PROCID);
	if (!token(c, SYSLOG_MSGID_MAX, &m->msgid) || !take(c, ' '))
		return fail(err, SYSLOG_ERR_MSGID);
	if (!sdata(c, &m->sd))
		return fail(err, SYSLOG_ERR_SD);
	/* MSG is optional; when present, one space separates it. */
	if (c->p < c->end && !take(c, ' '))
		return fail(err, SYSLOG_ERR_SD);
	nil_dash(&m->host);
	nil_dash(&m->app);
	nil_dash(&m->procid);
	nil_dash(&m->msgid);
	if (c->end - c->p >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0)
		c->p += 3;
	return 0;
}

/*
 * After the time: "host tag[pid]: " or, from a sender that leaves the host
 * out, "tag[pid]: ". A first word ending in ':' or holding '[' is the tag.
 */
static int parse3164(struct cur *c, struct syslog_msg *m, enum syslog_err *err)
{
	struct pf_slice w;
	const uint8_t *tag_end;

	m->fmt = SYSLOG_FMT_RFC3164;
	if (!time3164(c, &m->time) || !take(c, ' '))
		return fail(err, SYSLOG_ERR_TIMESTAMP);
	if (!token(c, SYSLOG_HOST_MAX, &w))
		return fail(err, SYSLOG_ERR_HOST);
	if (w.p[w.len - 1] != ':' && memchr(w.p, '[', w.len) == NULL) {
		m->host = w;
		if (!take(c, ' ') || !token(c, SYSLOG_APP_MAX + SYSLOG_PROCID_MAX + 3, &w))
			return fail(err, SYSLOG_ERR_TAG);
	}
	/* w is "tag:" or "tag[pid]:". */
	if (w.len < 2 || w.p[w.len - 1] != ':')
		return fail(err, SYSLOG_ERR_TAG);
	tag_end = memchr(w.p, '[', w.len);
	if (tag_end != NULL) {
		const uint8_t *close = w.p + w.len - 2;

		if (*close != ']' || close <= tag_end + 1)
			return fail(err, SYSLOG_ERR_PROCID);
		m->procid.p = tag_end + 1;
		m->procid.len = (size_t)(close - tag_end - 1);
		if (m->procid.len > SYSLOG_PROCID_MAX || memchr(m->procid.p, ']', m->procid.len))
			return fail(err, SYSLOG_ERR_PROCID);
	} else {
		tag_end = w.p + w.len - 1;
	}
	m->app.p = w.p;
	m->app.len = (size_t)(tag_end - w.p);
	if (m->app.len == 0 || m->app.len > SYSLOG_APP_MAX || memchr(m->app.p, ']', m->app.len))
		return fail(err, SYSLOG_ERR_TAG);
	/* The space after the tag's colon; an empty message may end there. */
	if (c->p < c->end && !take(c, ' '))
		return fail(err, SYSLOG_ERR_TAG);
	return 0;
}

int syslog_parse(const uint8_t *p, size_t len, struct syslog_msg *out, enum syslog_err *err)
{
	struct cur c = {p, p + len};
	const uint8_t *end = p + len;
	int r;

	memset(out, 0, sizeof(*out));
	*err = SYSLOG_OK;
	if (len == 0)
		return fail(err, SYSLOG_ERR_EMPTY);
	if (len > SYSLOG_MAX_LEN)
		return fail(err, SYSLOG_ERR_TOO_LONG);
	/* One trailing NUL, then one "\n" or "\r\n": framing some senders add, not the message. */
	if (end[-1] == '\0')
		end--;
	if (end > p && end[-1] == '\n') {
		end--;
		if (end > p && end[-1] == '\r')
			end--;
	}
	c.end = end;
	if (!pri(&c, out))
		return fail(err, SYSLOG_ERR_PRI);
	if (c.end - c.p >= 2 && c.p[0] == '1' && c.p[1] == ' ') {
		c.p += 2;
		r = parse5424(&c, out, err);
	} else {
		r = parse3164(&c, out, err);
	}
	if (r != 0)
		return r;
	out->msg.p = c.p;
	out->msg.len = (size_t)(c.end - c.p);
	return (int)len;
}

const char *syslog_err_name(enum syslog_err err)
{
	static const char *const names[SYSLOG_ERR_COUNT] = {
	    [SYSLOG_OK] = "ok",
	    [SYSLOG_ERR_EMPTY] = "empty",
	    [SYSLOG_ERR_TOO_LONG] = "too long",
	    [SYSLOG_ERR_PRI] = "pri",
	    [SYSLOG_ERR_TIMESTAMP] = "timestamp",
	    [SYSLOG_ERR_HOST] = "host",
	    [SYSLOG_ERR_TAG] = "tag",
	    [SYSLOG_ERR_PROCID] = "procid",
	    [SYSLOG_ERR_MSGID] = "msgid",
	    [SYSLOG_ERR_SD] = "structured data",
	};

	return (unsigned)err < SYSLOG_ERR_COUNT ? names[err] : "?";
}
