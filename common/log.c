/* SPDX-License-Identifier: MIT */
/*
 * Line logger behind log.h. Each line is formatted into a stack buffer and
 * written with a single write(2), so lines from several threads never
 * interleave. Timestamps are UTC with milliseconds.
 */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"

enum pf_log_level pf_log_threshold = PF_LOG_INFO;

static const char *const level_names[] = {"err", "warn", "info", "debug"};

bool pf_log_level_parse(const char *s, enum pf_log_level *out)
{
	for (size_t i = 0; i < PF_ARRAY_SIZE(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum pf_log_level)i;
			return true;
		}
	}
	return false;
}

void pf_log(enum pf_log_level lvl, const char *mod, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t n = 0;
	int r;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ lvl=%s mod=%s ", ts.tv_nsec / 1000000L,
	             level_names[lvl], mod);
	if (r > 0)
		n += (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
