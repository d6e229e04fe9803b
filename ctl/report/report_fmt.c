/* SPDX-License-Identifier: MIT */
/*
 * Times, decimals, durations and escaping for the report (see report_fmt.h).
 */
#include "ctl/report/report_fmt.h"

#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly <n> digits at *<p>, advancing it. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Days from 1970-01-01 to <y>-<m>-<d> in the proleptic Gregorian calendar (H. Hinnant). */
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

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : n[m - 1];
}

/* "Z", "+HH", "+HH:MM", "+HHMM" at <p>, to the end. Returns false on anything else. */
static bool parse_offset(const char *p, int64_t *off_ms)
{
	int sign, oh, om = 0;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*off_ms = 0;
		return true;
	}
	if (p[0] != '+' && p[0] != '-')
		return false;
	sign = p[0] == '-' ? -1 : 1;
	p++;
	if (!digits(&p, 2, &oh) || oh > 23)
		return false;
	if (*p == ':')
		p++;
	if (*p != '\0' && (!digits(&p, 2, &om) || om > 59))
		return false;
	if (*p != '\0')
		return false;
	*off_ms = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
	return true;
}

/* "HH:MM[:SS[.frac]]" at *<p>: milliseconds into the day. */
static bool parse_clock(const char **p, int64_t *ms, const char **why)
{
	int h, mi, s = 0, frac = 0, scale = 100;

	if (!digits(p, 2, &h) || **p != ':' || (++*p, !digits(p, 2, &mi))) {
		*why = "expected HH:MM after the date's T";
		return false;
	}
	if (**p == ':') {
		++*p;
		if (!digits(p, 2, &s)) {
			*why = "expected two digits of seconds";
			return false;
		}
		if (**p == '.' || **p == ',') {
			++*p;
			if (!is_digit(**p)) {
				*why = "expected digits after the decimal point";
				return false;
			}
			for (; is_digit(**p); ++*p, scale /= 10)
				frac += (**p - '0') * scale;
		}
	}
	if (h > 23 || mi > 59 || s > 59) {
		*why = "hour, minute or second out of range";
		return false;
	}
	*ms = ((int64_t)h * 3600 + mi * 60 + s) * 1000 + frac;
	return true;
}

bool rfmt_parse_time(const char *s, int64_t *ms, const char **why)
{
	const char *p = s;
	int y, m, d;
	int64_t day_ms = 0, off_ms = 0;

	*why = "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (or an offset such as +02:00)";
	if (s == NULL || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &m) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
		*why = "no such date";
		return false;
	}
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return false;
		p++;
		if (!parse_clock(&p, &day_ms, why))
			return false;
		if (*p == '\0') {
			*why = "a time needs Z or an offset (+HH:MM): the report does not guess a "
			       "time zone";
			return false;
		}
		if (!parse_offset(p, &off_ms)) {
			*why = "expected Z or an offset +HH:MM after the time";
			return false;
		}
	}
	*ms = days_from_civil(y, m, d) * 86400000 + day_ms - off_ms;
	/* An offset can move the time out of the years rfmt_time writes in four digits. */
	if (*ms < days_from_civil(0, 1, 1) * 86400000 ||
	    *ms >= days_from_civil(10000, 1, 1) * 86400000) {
		*why = "out of range: the time in UTC must fall in the years 0000-9999";
		return false;
	}
	*why = NULL;
	return true;
}

char *rfmt_time(int64_t ms, char out[RFMT_TIME_MAX])
{
	int64_t days = ms / 86400000, rem = ms % 86400000;
	int y, mo, d;

	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (rem % 1000 != 0)
		snprintf(out, RFMT_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
		         (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
		         (int)(rem % 1000));
	else
		snprintf(out, RFMT_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
		         (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60));
	return out;
}

/* Adds one unit at the last digit of <d> (<n> digits, most significant first); returns a carry. */
static bool increment(char *d, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (d[i] != '9') {
			d[i]++;
			return false;
		}
		d[i] = '0';
	}
	return true;
}

bool rfmt_dec_round(const char *dec, int places, bool trim, char out[RFMT_DEC_MAX])
{
	char dig[RFMT_DEC_MAX + 2];
	const char *p = dec, *ip, *fp = NULL;
	size_t ni = 0, nf = 0, n = 0, len;
	bool neg = false, nonzero = false;

	out[0] = '\0';
	if (dec == NULL || places < 0 || places > 20)
		return false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (ip = p; is_digit(*p); p++)
		ni++;
	if (*p == '.')
		for (fp = ++p; is_digit(*p); p++)
			nf++;
	if (*p != '\0' || ni + nf == 0)
		return false;
	/* Leading zeros of the integer part go; at least one digit stays. */
	while (ni > 1 && *ip == '0') {
		ip++;
		ni--;
	}
	if (ni + (size_t)places + 2 > sizeof(dig))
		return false;
	dig[n++] = '0'; /* room for a carry */
	if (ni == 0)
		dig[n++] = '0';
	memcpy(dig + n, ip, ni);
	n += ni;
	for (int i = 0; i < places; i++)
		dig[n++] = (size_t)i < nf ? fp[i] : '0';
	if ((size_t)places < nf && fp[places] >= '5')
		(void)increment(dig, n);
	for (size_t i = 0; i < n; i++)
		nonzero = nonzero || dig[i] != '0';
	len = 0;
	if (neg && nonzero)
		out[len++] = '-';
	{
		size_t int_end = n - (size_t)places, start = dig[0] == '0' ? 1 : 0;

		/*
		 * Whether it fits is decided on the rounded text, not on <dec>: a
		 * carry adds a digit ("99.9" -> "100"), and what this writes must
		 * read back as itself (the fuzz target's fixed point).
		 */
		if (len + (int_end - start) + (places > 0 ? 1 + (size_t)places : 0) + 1 >
		    RFMT_DEC_MAX) {
			out[0] = '\0'; /* the sign may be there already */
			return false;
		}
		memcpy(out + len, dig + start, int_end - start);
		len += int_end - start;
		if (places > 0) {
			out[len++] = '.';
			memcpy(out + len, dig + int_end, (size_t)places);
			len += (size_t)places;
		}
	}
	out[len] = '\0';
	if (trim && places > 0) {
		while (out[len - 1] == '0')
			out[--len] = '\0';
		if (out[len - 1] == '.')
			out[--len] = '\0';
	}
	return true;
}

void rfmt_duration(struct pf_buf *b, const char *dec)
{
	char r[RFMT_DEC_MAX];
	long long s = 0;

	if (!rfmt_dec_round(dec, 0, false, r) || r[0] == '-' || strlen(r) > 15) {
		pf_buf_append(b, "?", 1);
		return;
	}
	for (const char *p = r; *p != '\0'; p++)
		s = s * 10 + (*p - '0');
	pf_buf_printf(b, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

/* Appends <s> with each byte mapped by <one>, which appends it (escaped or not). */
static void each_byte(struct pf_buf *b, const char *s, void (*one)(struct pf_buf *, char))
{
	for (; s != NULL && *s != '\0'; s++)
		one(b, *s);
}

static void md_byte(struct pf_buf *b, char c)
{
	switch (c) {
	case '\\':
	case '|':
		pf_buf_printf(b, "\\%c", c);
		break;
	case '&':
		pf_buf_append(b, "&amp;", 5);
		break;
	case '<':
		pf_buf_append(b, "&lt;", 4);
		break;
	case '>':
		pf_buf_append(b, "&gt;", 4);
		break;
	default:
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		pf_buf_append(b, &c, 1);
	}
}

void rfmt_md_cell(struct pf_buf *b, const char *s)
{
	each_byte(b, s, md_byte);
}

void rfmt_csv_field(struct pf_buf *b, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	/* A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV
	 * injection). */
	bool formula = n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
	bool quote =
	    n > 0 && (formula || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[n - 1] == ' ');

	if (!quote) {
		pf_buf_append(b, s != NULL ? s : "", n);
		return;
	}
	pf_buf_append(b, formula ? "\"'" : "\"", formula ? 2 : 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			pf_buf_append(b, "\"", 1);
		pf_buf_append(b, s + i, 1);
	}
	pf_buf_append(b, "\"", 1);
}

static void html_byte(struct pf_buf *b, char c)
{
	switch (c) {
	case '&':
		pf_buf_append(b, "&amp;", 5);
		break;
	case '<':
		pf_buf_append(b, "&lt;", 4);
		break;
	case '>':
		pf_buf_append(b, "&gt;", 4);
		break;
	case '"':
		pf_buf_append(b, "&quot;", 6);
		break;
	case '\'':
		pf_buf_append(b, "&#39;", 5);
		break;
	default:
		if (((unsigned char)c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			c = ' ';
		pf_buf_append(b, &c, 1);
	}
}

void rfmt_html(struct pf_buf *b, const char *s)
{
	each_byte(b, s, html_byte);
}
