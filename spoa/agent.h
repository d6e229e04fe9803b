/* SPDX-License-Identifier: MIT */
/*
 * The agent's I/O side: one worker per thread, each with its own libev loop,
 * its connections from HAProxy, and its own counters. Workers share only the
 * listening sockets (every worker accepts on them) and the read-only methods
 * table, which is swapped on reload by reference counting, so the hot path
 * takes no lock.
 */
#ifndef PF_SPOA_AGENT_H
#define PF_SPOA_AGENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "spoa/notify.h"
#include "spoa/rpc.h"
#include "spoa/spop.h"

struct agent_worker;
struct methods;

/* A methods table shared between workers; freed when the last holder lets go. */
struct agent_table {
	struct methods *m; /* owned */
	atomic_uint refs;
};

/* Wraps <m> (ownership passes) with one reference. NULL on allocation failure. */
struct agent_table *agent_table_new(struct methods *m);
void agent_table_get(struct agent_table *t);
/* Drops one reference; the last one frees the table. NULL is a no-op. */
void agent_table_put(struct agent_table *t);

struct agent_settings {
	const int *listen_fds; /* borrowed from main, valid until every worker stopped */
	unsigned n_listen;
	atomic_uint *listen_conns; /* borrowed from main, one per listener: open connections */
	unsigned max_conns;        /* per listener; the next one is accepted and closed */
	const struct notify_chains *chains; /* borrowed, read-only */
	size_t max_body;
	uint32_t max_frame_size; /* the most the agent accepts in HELLO negotiation */
	double hello_timeout;    /* seconds to wait for HAPROXY-HELLO */
	double stop_timeout;     /* seconds to let connections drain on stop */
	double idle_timeout;     /* seconds without a frame after HELLO */
	double frame_timeout;    /* seconds for a started frame to complete */
	double accept_pause;     /* seconds accept() rests after the fd limit */
};

/*
 * Upper bounds (ns) of the processing-time histogram: a small call takes
 * well under a microsecond, a batch of 100 a few, a 64 KiB body up to about
 * 120 us, the largest --max-body (16 MiB) 3-34 ms at the classifier's
 * 0.2-2 ns per byte (README, "Benchmarks").
 */
#define AGENT_PROC_BUCKETS 13
extern const uint64_t agent_proc_bounds_ns[AGENT_PROC_BUCKETS];

/*
 * Counters of one worker. Only the owning thread writes (plain relaxed
 * load+store, no locked instruction); the metrics thread reads.
 */
struct agent_stats {
	_Atomic uint64_t conns_accepted;
	_Atomic uint64_t conns_active;
	_Atomic uint64_t frames_in;
	_Atomic uint64_t acks_out;
	_Atomic uint64_t messages;
	_Atomic uint64_t by_class[RPC_CLASS_COUNT];
	_Atomic uint64_t by_chain[NOTIFY_MAX_CHAINS + 1];   /* last slot: unknown */
	_Atomic uint64_t disconnects_sent[SPOP_ST_RES + 2]; /* last slot: other codes */
	_Atomic uint64_t hello_healthchecks; /* HELLO with healthcheck (option spop-check) */
	_Atomic uint64_t connect_checks;     /* closed before sending a byte (a TCP check) */
	_Atomic uint64_t read_errors;        /* read() failed, health checks' resets excepted */
	_Atomic uint64_t alloc_failures;
	_Atomic uint64_t refused_cap;      /* accepted and closed: listener at --max-conns */
	_Atomic uint64_t refused_fd_limit; /* accepted and closed, or left, at the fd limit */
	_Atomic uint64_t accept_pauses;    /* times accept() rested after EMFILE/ENFILE */
	_Atomic uint64_t idle_timeouts;    /* closed after --idle-timeout without a frame */
	_Atomic uint64_t frame_timeouts; /* closed with a frame unfinished after --frame-timeout */
	/* NOTIFY frames by processing time (decode, classify, ACK written), not cumulative. */
	_Atomic uint64_t proc_hist[AGENT_PROC_BUCKETS + 1]; /* last: +Inf */
	_Atomic uint64_t proc_ns_sum;
};

/*
 * Creates a worker for <set> (borrowed) starting with <table> (one reference
 * taken). Returns NULL on allocation failure.
 */
struct agent_worker *agent_worker_new(const struct agent_settings *set, struct agent_table *table);

/* Runs the worker's loop in the calling thread until it stops. */
void agent_worker_run(struct agent_worker *w);

/* Thread-safe: hands <table> to the worker (a reference is taken), applied at its next wake-up. */
void agent_worker_swap_table(struct agent_worker *w, struct agent_table *table);

/*
 * Thread-safe: asks the worker to stop accepting, answer the frames it has,
 * send AGENT-DISCONNECT to every peer and return from agent_worker_run once
 * all connections closed (or stop_timeout passed).
 */
void agent_worker_stop(struct agent_worker *w);

/* Counters, readable from any thread while the worker lives. */
const struct agent_stats *agent_worker_stats(const struct agent_worker *w);

/* Frees a stopped worker. NULL is a no-op. */
void agent_worker_free(struct agent_worker *w);

#endif
