/* SPDX-License-Identifier: MIT */
/*
 * The standard process metrics both daemons export (process_cpu_seconds_total,
 * process_resident_memory_bytes, ...), the names and meanings of the
 * Prometheus client libraries, read from Linux's /proc. The parsers of the
 * /proc texts and the formatter are pure (tested on captured text); only
 * pf_proc_read touches the system.
 */
#ifndef PF_COMMON_PROCSTAT_H
#define PF_COMMON_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* The fields of /proc/<pid>/stat that the metrics need, in its own units. */
struct pf_proc_stat {
	uint64_t utime_ticks, stime_ticks; /* CPU time, user and system, in clock ticks */
	uint64_t starttime_ticks;          /* start, in clock ticks after boot */
	uint64_t vsize_bytes;              /* virtual memory size */
	int64_t rss_pages;                 /* resident set, in pages */
};

/* The process metrics, in the units they are exported in. */
struct pf_proc_metrics {
	double cpu_seconds;        /* user + system */
	double start_time_seconds; /* since the Unix epoch */
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	uint64_t open_fds;
	uint64_t max_fds; /* the soft RLIMIT_NOFILE; UINT64_MAX when unlimited */
};

/*
 * Parses the text of /proc/<pid>/stat, <p>/<len>. The command name (field 2)
 * may hold spaces and parentheses, so fields are counted after its last ')'.
 * Returns 0, or -1 when the text has fewer than 24 fields or a field the
 * metrics need is not a number.
 */
PF_MUSTCHECK int pf_proc_parse_stat(const char *p, size_t len, struct pf_proc_stat *out);

/*
 * Parses the text of /proc/<pid>/status for VmRSS and VmSize ("VmRSS:   1234 kB"),
 * into bytes. Returns 0, or -1 when either line is missing or malformed
 * (a kernel thread has neither).
 */
PF_MUSTCHECK int pf_proc_parse_status(const char *p, size_t len, uint64_t *rss_bytes,
                                      uint64_t *vm_bytes);

/*
 * Parses the text of /proc/stat for the boot time ("btime 1733472000", seconds
 * since the epoch). Returns 0, or -1 when there is no such line.
 */
PF_MUSTCHECK int pf_proc_parse_btime(const char *p, size_t len, uint64_t *btime);

/*
 * Writes the six process_* families (HELP, TYPE, one sample each) into
 * <buf>/<cap>, NUL-terminated when it fits. Returns the length of the whole
 * text, as snprintf does: more than <cap> - 1 means it was cut.
 */
size_t pf_proc_format(const struct pf_proc_metrics *m, char *buf, size_t cap);

/*
 * Reads this process's metrics from /proc/self/stat, /proc/self/status,
 * /proc/stat, /proc/self/fd and getrlimit. Returns 0, or -1 with the reason
 * in <err>. Blocking, a few small reads: for a scrape, from any thread.
 */
PF_MUSTCHECK int pf_proc_read(struct pf_proc_metrics *out, char *err, size_t errlen);

#endif
