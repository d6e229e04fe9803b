/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition of the agent's counters on --metrics, served
 * by libmicrohttpd from its own thread. Rendering (metrics_render) is
 * separate from serving so it can be tested without a socket.
 */
#ifndef PF_SPOA_METRICS_H
#define PF_SPOA_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/net.h"
#include "common/procstat.h"
#include "spoa/agent.h"

struct metrics_server;
struct ev_loop;

/* Scrapes served at once; more are accepted and closed (one Prometheus needs one or two). */
#define METRICS_MAX_CONNS 32

/* Process-wide facts main keeps up to date (written by the main thread only). */
struct metrics_process {
	_Atomic uint64_t reloads;
	_Atomic uint64_t reload_failures;
	_Atomic uint64_t methods;
	unsigned threads;
	const char *version; /* static: the build's version, for build_info */
};

struct metrics_source {
	struct agent_worker *const *workers; /* borrowed, valid until metrics_stop */
	unsigned n_workers;
	const struct notify_chains *chains; /* borrowed */
	const struct metrics_process *proc; /* borrowed */
};

/*
 * Renders every metric, summed over workers, then the process metrics <pm>
 * (NULL: left out, /proc could not be read), into <buf>/<cap>. Returns the
 * length written, or the length needed (> cap) when <buf> is too small.
 */
size_t metrics_render(const struct metrics_source *src, const struct pf_proc_metrics *pm, char *buf,
                      size_t cap);

/*
 * Starts serving GET /metrics on <addr>, accepting on <loop> (borrowed, the
 * main thread's; must outlive the server) and answering from libmicrohttpd's
 * thread. NULL with the reason in <err> on failure.
 */
PF_MUSTCHECK struct metrics_server *metrics_start(struct ev_loop *loop, const struct pf_addr *addr,
                                                  const struct metrics_source *src, char *err,
                                                  size_t errlen);

/* Stops the server and frees it; call on the loop's thread. NULL is a no-op. */
void metrics_stop(struct metrics_server *s);

#endif
