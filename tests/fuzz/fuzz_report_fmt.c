/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/report/report_fmt.c, the report's readers of
 * text from outside (--from/--to, the decimals PostgreSQL prints) and its
 * escapers of text from the database (summaries, notes, names). The input
 * is one string; every function gets it, and their properties are checked:
 * - rfmt_parse_time: a time it accepts prints (rfmt_time) as text that it
 *   reads back to the same millisecond, and a refusal always says why;
 * - rfmt_dec_round at 0-4 places, with and without trim: the output is a
 *   plain decimal with exactly <places> decimals (at most, trimmed, without
 *   trailing zeros), rounding it again changes nothing, and it is within
 *   half a unit of the last place of strtod's reading of the input;
 * - rfmt_html: no '<', '>', '"' or '\'' and no control byte but tab and
 *   newline left; rfmt_md_cell: no '<', '>', control byte or unescaped '|';
 * - rfmt_csv_field: read back by the RFC 4180 rules it is the input again
 *   (after a ' that it puts before a leading = + - @ tab or CR).
 * Corpus: tests/fuzz/corpus/report_fmt/ (times, decimals, hostile text).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ctl/report/report_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX 512

static void check_time(const char *s)
{
	char t[RFMT_TIME_MAX];
	const char *why = NULL;
	int64_t ms, back;

	if (!rfmt_parse_time(s, &ms, &why)) {
		if (why == NULL)
			abort();
		return;
	}
	rfmt_time(ms, t);
	if (!rfmt_parse_time(t, &back, &why) || back != ms)
		abort();
}

static bool is_plain_decimal(const char *s, int places, bool trim)
{
	const char *p = s + (*s == '-'), *dot;
	size_t nf;

	if (!(*p >= '0' && *p <= '9'))
		return false;
	if (strspn(p, "0123456789.") != strlen(p))
		return false;
	dot = strchr(p, '.');
	nf = dot != NULL ? strlen(dot + 1) : 0;
	if (dot != NULL && (strchr(dot + 1, '.') != NULL || nf == 0))
		return false;
	if (trim)
		return nf <= (size_t)places && (nf == 0 || dot[nf] != '0');
	return nf == (size_t)places && (places > 0) == (dot != NULL);
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

static void check_dec(const char *s)
{
	static const double half_unit[5] = {0.5, 0.05, 0.005, 0.0005, 0.00005};
	char out[RFMT_DEC_MAX], again[RFMT_DEC_MAX];

	for (int places = 0; places <= 4; places++)
		for (int trim = 0; trim <= 1; trim++) {
			double in, o;

			if (!rfmt_dec_round(s, places, trim, out)) {
				if (out[0] != '\0')
					abort();
				continue;
			}
			if (!is_plain_decimal(out, places, trim) || strcmp(out, "-0") == 0)
				abort();
			if (!rfmt_dec_round(out, places, trim, again) || strcmp(out, again) != 0)
				abort();
			/* Short inputs only: a double holds 15 significant digits. */
			if (strlen(s) > 15)
				continue;
			in = strtod(s, NULL);
			o = strtod(out, NULL);
			if (absd(o - in) > half_unit[places] * (1 + 1e-9) + absd(in) * 1e-15)
				abort();
		}
}

/* Reads the CSV field <f> back (RFC 4180) into <out>; false when it is not one field. */
static bool csv_read(const char *f, char *out)
{
	size_t n = strlen(f), k = 0;

	if (n == 0 || f[0] != '"') {
		if (strpbrk(f, ",\"\r\n") != NULL)
			return false;
		memcpy(out, f, n + 1);
		return true;
	}
	if (n < 2 || f[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		if (f[i] == '"') {
			if (f[i + 1] != '"' || i + 1 >= n - 1)
				return false;
			i++;
		}
		out[k++] = f[i];
	}
	out[k] = '\0';
	return true;
}

static void check_escapes(const char *s)
{
	struct pf_buf b = {0};
	char *t, back[2 * FUZZ_MAX + 8];

	rfmt_html(&b, s);
	t = pf_buf_take(&b, NULL);
	if (t == NULL || strpbrk(t, "<>\"'") != NULL)
		abort();
	for (const char *p = t; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
			abort();
	free(t);
	rfmt_md_cell(&b, s);
	t = pf_buf_take(&b, NULL);
	if (t == NULL || strpbrk(t, "<>") != NULL)
		abort();
	for (const char *p = t; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
		if (*p == '\\' && p[1] != '\0')
			p++; /* an escaped byte */
		else if (*p == '|')
			abort();
	}
	free(t);
	rfmt_csv_field(&b, s);
	t = pf_buf_take(&b, NULL);
	/* Read back it is the input, with a ' before a leading formula character. */
	if (t == NULL || !csv_read(t, back) ||
	    (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL
	         ? back[0] != '\'' || strcmp(back + 1, s) != 0
	         : strcmp(back, s) != 0))
		abort();
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[FUZZ_MAX + 1];

	if (size > FUZZ_MAX)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* The functions take C strings: the input up to its first NUL. */
	check_time(s);
	check_dec(s);
	check_escapes(s);
	return 0;
}
