/* SPDX-License-Identifier: MIT */
/*
 * polkfura-spoa: parse flags, load the methods table, open the listeners,
 * start one worker thread per --threads and the metrics server, then wait
 * for signals on the main thread's loop (SIGHUP reloads, SIGTERM/SIGINT
 * stop gracefully). Exit codes: 0 after a clean stop, 1 on a runtime
 * failure at boot (socket, memory), 2 on bad flags or an unreadable table.
 */
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/compiler.h"
#include "common/log.h"
#include "spoa/agent.h"
#include "spoa/listener.h"
#include "spoa/methods.h"
#include "spoa/metrics.h"
#include "spoa/spoa_cfg.h"

#ifndef PF_VERSION
#define PF_VERSION "0.1.0"
#endif

#define MOD "main"

#define LISTEN_BACKLOG 1024
#define ACCEPT_PAUSE_S 0.25 /* short enough to pick up again soon after fds are freed */
#define SPARE_FDS      64   /* beyond the connections: threads, loops, metrics, logs */

struct spoa {
	struct spoa_cfg cfg;
	struct spoa_listener listeners[SPOA_CFG_MAX_LISTEN];
	int listen_fds[SPOA_CFG_MAX_LISTEN];
	atomic_uint listen_conns[SPOA_CFG_MAX_LISTEN];
	struct agent_settings set;
	struct agent_table *table; /* main's reference */
	struct agent_worker *workers[SPOA_MAX_THREADS];
	pthread_t threads[SPOA_MAX_THREADS];
	unsigned n_started;
	struct metrics_process proc;
	struct metrics_server *metrics;
	ev_signal sighup, sigterm, sigint;
};

static void *worker_thread(void *arg)
{
	agent_worker_run(arg);
	return NULL;
}

static void on_sighup(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct spoa *s = pf_container_of(sig, struct spoa, sighup);
	char err[256];
	struct methods *m;
	struct agent_table *t;

	(void)loop;
	(void)revents;
	m = methods_load_file(s->cfg.methods_path, err, sizeof(err));
	if (m == NULL) {
		atomic_fetch_add(&s->proc.reload_failures, 1);
		log_err(MOD, "reload failed, keeping the current table: %s", err);
		return;
	}
	t = agent_table_new(m);
	if (t == NULL) {
		methods_free(m);
		atomic_fetch_add(&s->proc.reload_failures, 1);
		log_err(MOD, "reload failed: out of memory");
		return;
	}
	for (unsigned i = 0; i < s->n_started; i++)
		agent_worker_swap_table(s->workers[i], t);
	agent_table_put(s->table);
	s->table = t;
	atomic_fetch_add(&s->proc.reloads, 1);
	atomic_store(&s->proc.methods, methods_count(m));
	log_info(MOD, "reloaded %s: %zu methods", s->cfg.methods_path, methods_count(m));
}

static void on_stop(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct spoa *s = sig->data;

	(void)revents;
	/* First refuse new connections, so HAProxy takes a new agent's at once. */
	for (unsigned i = 0; i < s->cfg.n_listen; i++)
		listener_shutdown(&s->listeners[i]);
	/* Only now: a test (or an operator) reading this line may rely on the refusal. */
	log_info(MOD, "signal %d: listeners closed, finishing frames in flight and stopping",
	         sig->signum);
	for (unsigned i = 0; i < s->n_started; i++)
		agent_worker_stop(s->workers[i]);
	ev_break(loop, EVBREAK_ALL);
}

static int open_listeners(struct spoa *s)
{
	struct listener_perms perms = {s->cfg.socket_mode, (gid_t)-1};
	char err[512];

	if (s->cfg.socket_group != NULL &&
	    listener_group(s->cfg.socket_group, &perms.gid, err, sizeof(err)) == -1) {
		log_err(MOD, "%s", err);
		return -1;
	}
	for (unsigned i = 0; i < s->cfg.n_listen; i++) {
		if (listener_open(&s->listeners[i], &s->cfg.listen[i], LISTEN_BACKLOG, &perms, err,
		                  sizeof(err)) == -1) {
			log_err(MOD, "listen %s", err);
			return -1;
		}
		s->listen_fds[i] = s->listeners[i].fd;
	}
	return 0;
}

/*
 * Raises the soft fd limit towards what the connection caps may use, so the
 * caps, not EMFILE, are what refuses connections in normal operation.
 */
static void raise_fd_limit(const struct spoa *s)
{
	rlim_t want = (rlim_t)s->cfg.n_listen * s->cfg.max_conns + SPARE_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warn(MOD,
		         "fd limit %llu is below %llu (--max-conns x listeners + %d): beyond it "
		         "connections are refused at the fd limit",
		         (unsigned long long)rl.rlim_cur, (unsigned long long)want, SPARE_FDS);
}

static int start_workers(struct spoa *s)
{
	sigset_t block, old;
	int rc = 0;

	/* Workers must not take the signals meant for the main loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < s->cfg.threads; i++) {
		s->workers[i] = agent_worker_new(&s->set, s->table);
		if (s->workers[i] == NULL) {
			log_err(MOD, "out of memory creating worker %u", i);
			rc = -1;
			break;
		}
		errno = pthread_create(&s->threads[i], NULL, worker_thread, s->workers[i]);
		if (errno != 0) {
			log_err(MOD, "pthread_create: %s", strerror(errno));
			agent_worker_free(s->workers[i]);
			s->workers[i] = NULL;
			rc = -1;
			break;
		}
		s->n_started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void stop_and_join(struct spoa *s)
{
	for (unsigned i = 0; i < s->n_started; i++)
		agent_worker_stop(s->workers[i]);
	for (unsigned i = 0; i < s->n_started; i++) {
		pthread_join(s->threads[i], NULL);
		agent_worker_free(s->workers[i]);
	}
	s->n_started = 0;
}

static int start_metrics(struct ev_loop *loop, struct spoa *s)
{
	struct metrics_source src = {s->workers, s->n_started, &s->cfg.chains, &s->proc};
	char err[256];

	if (!s->cfg.has_metrics)
		return 0;
	s->metrics = metrics_start(loop, &s->cfg.metrics, &src, err, sizeof(err));
	if (s->metrics == NULL) {
		log_err(MOD, "metrics: %s", err);
		return -1;
	}
	return 0;
}

static void watch_signals(struct ev_loop *loop, struct spoa *s)
{
	ev_signal_init(&s->sighup, on_sighup, SIGHUP);
	ev_signal_init(&s->sigterm, on_stop, SIGTERM);
	ev_signal_init(&s->sigint, on_stop, SIGINT);
	s->sigterm.data = s;
	s->sigint.data = s;
	ev_signal_start(loop, &s->sighup);
	ev_signal_start(loop, &s->sigterm);
	ev_signal_start(loop, &s->sigint);
}

static int run(struct spoa *s)
{
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	char name[128];
	int rc = 1;

	if (loop == NULL) {
		log_err(MOD, "cannot create the event loop");
		return 1;
	}
	s->set.listen_fds = s->listen_fds;
	s->set.n_listen = s->cfg.n_listen;
	s->set.chains = &s->cfg.chains;
	s->set.max_body = s->cfg.max_body;
	s->set.max_frame_size = (uint32_t)(s->cfg.max_body + SPOA_FRAME_HEADROOM);
	s->set.hello_timeout = 5.;
	s->set.stop_timeout = 5.;
	s->set.listen_conns = s->listen_conns;
	s->set.max_conns = s->cfg.max_conns;
	s->set.idle_timeout = s->cfg.idle_timeout;
	s->set.frame_timeout = s->cfg.frame_timeout;
	s->set.accept_pause = ACCEPT_PAUSE_S;
	raise_fd_limit(s);
	s->proc.threads = s->cfg.threads;
	s->proc.version = PF_VERSION;
	if (open_listeners(s) == -1)
		goto out;
	if (start_workers(s) == -1 || start_metrics(loop, s) == -1)
		goto out;
	watch_signals(loop, s);
	for (unsigned i = 0; i < s->cfg.n_listen; i++)
		log_info(MOD, "listening on %s",
		         pf_addr_str(&s->cfg.listen[i], name, sizeof(name)));
	log_info(MOD, "polkfura-spoa %s ready: threads=%u methods=%zu max-body=%zu", PF_VERSION,
	         s->cfg.threads, (size_t)atomic_load(&s->proc.methods), s->cfg.max_body);
	ev_run(loop, 0);
	rc = 0;
out:
	stop_and_join(s);
	metrics_stop(s->metrics);
	s->metrics = NULL;
	for (unsigned i = 0; i < s->cfg.n_listen; i++)
		listener_close(&s->listeners[i]);
	ev_loop_destroy(loop);
	if (rc == 0)
		log_info(MOD, "stopped");
	return rc;
}

int main(int argc, char **argv)
{
	static struct spoa s; /* large; static so it is not on the stack */
	char err[512];
	struct methods *m;
	int rc;

	switch (spoa_cfg_parse(argc, argv, &s.cfg, err, sizeof(err))) {
	case SPOA_CFG_HELP:
		spoa_cfg_usage(stdout);
		return 0;
	case SPOA_CFG_VERSION:
		printf("polkfura-spoa %s\n", PF_VERSION);
		return 0;
	case SPOA_CFG_ERROR:
		fprintf(stderr, "polkfura-spoa: %s\n", err);
		return 2;
	case SPOA_CFG_RUN:
		break;
	}
	pf_log_threshold = (enum pf_log_level)s.cfg.log_level;
	for (unsigned i = 0; i < SPOA_CFG_MAX_LISTEN; i++) {
		s.listen_fds[i] = -1;
		s.listeners[i].fd = -1;
		atomic_init(&s.listen_conns[i], 0);
	}
	m = methods_load_file(s.cfg.methods_path, err, sizeof(err));
	if (m == NULL) {
		fprintf(stderr, "polkfura-spoa: --methods: %s\n", err);
		return 2;
	}
	atomic_store(&s.proc.methods, methods_count(m));
	s.table = agent_table_new(m);
	if (s.table == NULL) {
		methods_free(m);
		fprintf(stderr, "polkfura-spoa: out of memory\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = run(&s);
	agent_table_put(s.table);
	return rc;
}
