/* SPDX-License-Identifier: MIT */
/*
 * The flags of `polkfura-ctl usage` (see usage_args.h). Numbers are read
 * digit by digit with explicit bounds rather than through strtol/strtod,
 * so that "1e3", " 5", "0x10" or a locale's decimal comma are refused the
 * same way everywhere.
 */
#include "ctl/usage/usage_args.h"

#include <string.h>

#include "ctl/report/report_fmt.h"

static const char *const by_names[USAGE_BY_COUNT] = {"method", "class", "status", "time"};

/* Reads the digits of <s> as a whole number up to <max>; <*end> the first other byte. */
static bool whole(const char *s, uint64_t max, uint64_t *v, const char **end)
{
	uint64_t n = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > max)
			return false;
	}
	*end = p;
	*v = n;
	return p != s;
}

bool usage_parse_when(const char *s, int64_t now_ms, int64_t *ms, const char **why)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	const char *end;
	uint64_t n;

	if (s == NULL || s[0] == '\0') {
		*why = "expected a duration (30m, 1h, 7d) or a time (2026-11-01T12:00:00Z)";
		return false;
	}
	if (strlen(s) <= 11 && whole(s, (uint64_t)USAGE_MAX_BACK_MS / 1000, &n, &end) &&
	    end[0] != '\0' && end[1] == '\0') {
		for (size_t i = 0; i < PF_ARRAY_SIZE(units); i++) {
			if (end[0] != units[i].unit)
				continue;
			if (n * (uint64_t)units[i].ms > (uint64_t)USAGE_MAX_BACK_MS) {
				*why = "a duration of at most 3660 days";
				return false;
			}
			*ms = now_ms - (int64_t)n * units[i].ms;
			return true;
		}
		*why = "a duration's unit is s, m, h or d (30m, 1h, 7d)";
		return false;
	}
	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		*why = "expected a duration (30m, 1h, 7d) or a time (2026-11-01T12:00:00Z)";
		return false;
	}
	return rfmt_parse_time(s, ms, why);
}

bool usage_parse_by(const char *s, enum usage_by *out, const char **why)
{
	for (int i = 0; i < USAGE_BY_COUNT; i++)
		if (s != NULL && strcmp(s, by_names[i]) == 0) {
			*out = (enum usage_by)i;
			return true;
		}
	*why = "expected method, class, status or time";
	return false;
}

bool usage_parse_format(const char *s, enum usage_format *out, const char **why)
{
	static const char *const names[USAGE_FORMAT_COUNT] = {"table", "csv", "json"};

	for (int i = 0; i < USAGE_FORMAT_COUNT; i++)
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = (enum usage_format)i;
			return true;
		}
	*why = "expected table, csv or json";
	return false;
}

bool usage_parse_top(const char *s, unsigned *out, const char **why)
{
	const char *end;
	uint64_t n;

	if (s == NULL || !whole(s, USAGE_TOP_MAX, &n, &end) || *end != '\0' || n == 0) {
		*why = "expected a whole number from 1 to 100000";
		return false;
	}
	*out = (unsigned)n;
	return true;
}

bool usage_parse_number(const char *s, double lo, double hi, double *out, const char **why)
{
	const char *end;
	uint64_t ip, fp = 0;
	double v, scale = 1;

	*why = "expected a decimal number such as 4 or 0.7";
	if (s == NULL || !whole(s, 1000000000, &ip, &end))
		return false;
	if (*end == '.') {
		const char *f = end + 1;

		if (!whole(f, 999999, &fp, &end) || end - f > 6)
			return false;
		for (const char *p = f; p < end; p++)
			scale *= 10;
	}
	if (*end != '\0')
		return false;
	v = (double)ip + (double)fp / scale;
	if (!(v > lo && v <= hi)) {
		*why = "out of range";
		return false;
	}
	*out = v;
	return true;
}

const char *usage_by_name(enum usage_by by)
{
	return by < USAGE_BY_COUNT ? by_names[by] : "?";
}
