/* SPDX-License-Identifier: MIT */
/*
 * Process metrics from /proc (see procstat.h). The texts are read whole and
 * parsed without the C library's number parsers, which need a NUL the
 * slices do not have.
 */
#include "common/procstat.h"

#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/text.h"

#define STAT_FIELDS 24 /* the last one used: rss */

/* A decimal at <p>[*i] (an optional '-' when <neg_ok>), up to <len>; <*i> moves past it. */
static bool parse_dec(const char *p, size_t len, size_t *i, bool neg_ok, uint64_t *out, bool *neg)
{
	uint64_t v = 0;
	size_t start;

	*neg = false;
	if (neg_ok && *i < len && p[*i] == '-') {
		*neg = true;
		(*i)++;
	}
	start = *i;
	for (; *i < len && p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
		unsigned d = (unsigned)(p[*i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return *i > start;
}

int pf_proc_parse_stat(const char *p, size_t len, struct pf_proc_stat *out)
{
	size_t i = len, field = 2;
	uint64_t v;
	bool neg;

	/* The command name is "(...)" and may itself hold ") ": the last ')' ends it. */
	while (i > 0 && p[i - 1] != ')')
		i--;
	if (i == 0)
		return -1;
	memset(out, 0, sizeof(*out));
	while (field < STAT_FIELDS) {
		if (i >= len || p[i] != ' ')
			return -1;
		i++;
		field++;
		if (field == 3) { /* the state, one letter */
			while (i < len && p[i] != ' ')
				i++;
			continue;
		}
		if (!parse_dec(p, len, &i, true, &v, &neg))
			return -1;
		/* priority and nice may be negative; the times and sizes used here may not. */
		if (neg && (field == 14 || field == 15 || field == 22 || field == 23))
			return -1;
		switch (field) {
		case 14:
			out->utime_ticks = v;
			break;
		case 15:
			out->stime_ticks = v;
			break;
		case 22:
			out->starttime_ticks = v;
			break;
		case 23:
			out->vsize_bytes = v;
			break;
		case 24:
			if (v > INT64_MAX)
				return -1;
			out->rss_pages = neg ? -(int64_t)v : (int64_t)v;
			break;
		default:
			break;
		}
	}
	/* More fields follow rss on every kernel since 2.6: a text cut inside it is refused. */
	return i < len && (p[i] == ' ' || p[i] == '\n') ? 0 : -1;
}

/*
 * The value of the line "<key><spaces><number><suffix>" in <p>/<len>, for
 * /proc's "key: value" and "key value" texts. False when absent or malformed.
 */
static bool line_value(const char *p, size_t len, const char *key, const char *suffix,
                       uint64_t *out)
{
	size_t klen = strlen(key), slen = strlen(suffix);

	for (size_t at = 0; at < len;) {
		const char *nl = memchr(p + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - p) : len, i = at + klen;
		bool neg;

		if (end - at > klen && memcmp(p + at, key, klen) == 0) {
			while (i < end && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (!parse_dec(p, end, &i, false, out, &neg))
				return false;
			return end - i == slen && memcmp(p + i, suffix, slen) == 0;
		}
		at = end + 1;
	}
	return false;
}

int pf_proc_parse_status(const char *p, size_t len, uint64_t *rss_bytes, uint64_t *vm_bytes)
{
	uint64_t rss_kb, vm_kb;

	if (!line_value(p, len, "VmRSS:", " kB", &rss_kb) ||
	    !line_value(p, len, "VmSize:", " kB", &vm_kb) || rss_kb > UINT64_MAX / 1024 ||
	    vm_kb > UINT64_MAX / 1024)
		return -1;
	*rss_bytes = rss_kb * 1024;
	*vm_bytes = vm_kb * 1024;
	return 0;
}

int pf_proc_parse_btime(const char *p, size_t len, uint64_t *btime)
{
	return line_value(p, len, "btime ", "", btime) ? 0 : -1;
}

size_t pf_proc_format(const struct pf_proc_metrics *m, char *buf, size_t cap)
{
	char max[24];
	int n;

	if (m->max_fds == UINT64_MAX)
		snprintf(max, sizeof(max), "+Inf");
	else
		snprintf(max, sizeof(max), "%llu", (unsigned long long)m->max_fds);
	n = snprintf(buf, cap,
	             "# HELP process_cpu_seconds_total User and system CPU time spent, in "
	             "seconds.\n"
	             "# TYPE process_cpu_seconds_total counter\n"
	             "process_cpu_seconds_total %.2f\n"
	             "# HELP process_resident_memory_bytes Resident memory size, in bytes.\n"
	             "# TYPE process_resident_memory_bytes gauge\n"
	             "process_resident_memory_bytes %llu\n"
	             "# HELP process_virtual_memory_bytes Virtual memory size, in bytes.\n"
	             "# TYPE process_virtual_memory_bytes gauge\n"
	             "process_virtual_memory_bytes %llu\n"
	             "# HELP process_open_fds Open file descriptors.\n"
	             "# TYPE process_open_fds gauge\n"
	             "process_open_fds %llu\n"
	             "# HELP process_max_fds The limit on open file descriptors (soft "
	             "RLIMIT_NOFILE).\n"
	             "# TYPE process_max_fds gauge\n"
	             "process_max_fds %s\n"
	             "# HELP process_start_time_seconds Start time of the process since the "
	             "Unix epoch, in seconds.\n"
	             "# TYPE process_start_time_seconds gauge\n"
	             "process_start_time_seconds %.2f\n",
	             m->cpu_seconds, (unsigned long long)m->resident_bytes,
	             (unsigned long long)m->virtual_bytes, (unsigned long long)m->open_fds, max,
	             m->start_time_seconds);
	return n > 0 ? (size_t)n : 0;
}

/* The whole text of <path> into <b> (/proc files have no size to stat). */
static int read_text(const char *path, struct pf_buf *b, char *err, size_t errlen)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1) {
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		pf_buf_append(b, chunk, (size_t)n);
	if (n == -1)
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
	else if (b->failed || b->len == 0)
		pf_errf(err, errlen, "%s: %s", path, b->failed ? "out of memory" : "empty");
	close(fd);
	return n == -1 || b->failed || b->len == 0 ? -1 : 0;
}

/* Entries of /proc/self/fd, less the one opendir holds while counting. */
static int count_fds(uint64_t *out, char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/fd");
	const struct dirent *e;
	uint64_t n = 0;

	if (d == NULL) {
		pf_errf(err, errlen, "/proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	*out = n > 0 ? n - 1 : 0;
	return 0;
}

int pf_proc_read(struct pf_proc_metrics *out, char *err, size_t errlen)
{
	struct pf_buf stat = {0}, status = {0}, sys = {0};
	struct pf_proc_stat ps;
	struct rlimit rl;
	uint64_t btime = 0;
	long tick = sysconf(_SC_CLK_TCK);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (tick <= 0)
		tick = 100;
	if (read_text("/proc/self/stat", &stat, err, errlen) == -1 ||
	    read_text("/proc/self/status", &status, err, errlen) == -1 ||
	    read_text("/proc/stat", &sys, err, errlen) == -1 ||
	    count_fds(&out->open_fds, err, errlen) == -1)
		goto out;
	if (pf_proc_parse_stat(stat.p, stat.len, &ps) == -1 ||
	    pf_proc_parse_status(status.p, status.len, &out->resident_bytes, &out->virtual_bytes) ==
	        -1 ||
	    pf_proc_parse_btime(sys.p, sys.len, &btime) == -1) {
		pf_errf(err, errlen, "/proc: a text that cannot be read");
		goto out;
	}
	out->cpu_seconds = (double)(ps.utime_ticks + ps.stime_ticks) / (double)tick;
	out->start_time_seconds = (double)btime + (double)ps.starttime_ticks / (double)tick;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		pf_errf(err, errlen, "getrlimit: %s", strerror(errno));
		goto out;
	}
	out->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	rc = 0;
out:
	pf_buf_free(&stat);
	pf_buf_free(&status);
	pf_buf_free(&sys);
	return rc;
}
