/* SPDX-License-Identifier: MIT */
/*
 * Worker threads of polkfura-spoa: accept HAProxy's SPOP connections, read
 * frames, have answer.c write the answer to each and queue it, flushed in one
 * ev_prepare pass per loop iteration. Bytes are interpreted only by spop.c,
 * answer.c and notify.c; this file owns fds, buffers, watchers and connection
 * states.
 */
#include "spoa/agent.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "common/compiler.h"
#include "common/log.h"
#include "spoa/answer.h"
#include "spoa/methods.h"

#define MOD                  "agent"
#define ACCEPT_BATCH         16
#define LINGER_SECONDS       2.0 /* how long a closing connection may wait for the peer's close */
#define REFUSAL_LOG_INTERVAL 1.0 /* refused connections are summed into one line per interval */

enum conn_state {
	CONN_HELLO = 0, /* waiting for HAPROXY-HELLO */
	CONN_READY,     /* NOTIFY frames flow */
	CONN_CLOSING,   /* AGENT-DISCONNECT queued; flush, then wait for the peer to close */
	CONN_CLOSED,    /* fd closed, on the reap list */
};

static const char *const conn_state_names[] = {"hello", "ready", "closing", "closed"};

struct agent_conn {
	struct agent_worker *w; /* borrowed, outlives the connection */
	unsigned id;
	unsigned listener; /* index of the listener it came from, for the cap */
	int fd;
	enum conn_state state;
	ev_io rio;
	ev_io wio;
	ev_tstamp since;         /* when the current state began */
	ev_tstamp last_frame;    /* when the last whole frame was read (idle timeout) */
	ev_tstamp frame_since;   /* when the bytes now in rbuf began to arrive (frame timeout) */
	uint32_t max_frame;      /* negotiated in HELLO; before that, the agent's limit */
	bool reading;            /* rio is started */
	bool queued;             /* on the worker's flush list */
	bool disconnect_on_idle; /* stopping: say goodbye once no frame is half read */
	bool healthcheck;        /* its HELLO was a health check: HAProxy closes it next */
	bool got_bytes;          /* the peer sent something (a connect check sends nothing) */
	uint8_t *rbuf;           /* owned, rcap bytes */
	size_t rlen, rcap;
	uint8_t *wbuf; /* owned, wcap bytes */
	size_t wlen, woff, wcap;
	struct agent_conn *prev, *next; /* the worker's live list */
	struct agent_conn *flush_next;  /* the worker's flush list */
	struct agent_conn *dead_next;   /* the worker's reap list */
};

struct agent_worker {
	struct ev_loop *loop; /* owned */
	const struct agent_settings *set;
	struct agent_table *table;                   /* one reference owned */
	_Atomic(struct agent_table *) pending_table; /* one reference owned, or NULL */
	atomic_bool stop_requested;
	bool stopping;
	ev_io *accept_io;  /* owned array of set->n_listen */
	bool *listen_shut; /* owned array: the listener was shut down, never restart it */
	int reserve_fd;    /* owned: /dev/null, given up at EMFILE to accept and close */
	ev_timer accept_pause;
	uint64_t refused_cap_unlogged, refused_fd_unlogged, pauses_unlogged;
	ev_async wake;
	ev_prepare flush;
	ev_timer janitor;
	ev_timer stop_deadline;
	struct agent_conn *conns;
	struct agent_conn *flush_list;
	struct agent_conn *dead;
	unsigned next_id;
	unsigned n_conns;
	struct agent_stats stats;
};

/* Only the owning thread writes a counter, so a relaxed load+store is enough. */
#define STAT_ADD(w, field, n)                                                                      \
	atomic_store_explicit(&(w)->stats.field,                                                   \
	                      atomic_load_explicit(&(w)->stats.field, memory_order_relaxed) + (n), \
	                      memory_order_relaxed)
#define STAT_INC(w, field) STAT_ADD(w, field, 1)

const uint64_t agent_proc_bounds_ns[AGENT_PROC_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000, 25000000};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stat_proc_time(struct agent_worker *w, uint64_t ns)
{
	unsigned b = 0;

	while (b < AGENT_PROC_BUCKETS && ns > agent_proc_bounds_ns[b])
		b++;
	STAT_INC(w, proc_hist[b]);
	STAT_ADD(w, proc_ns_sum, ns);
}

struct agent_table *agent_table_new(struct methods *m)
{
	struct agent_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->m = m;
	atomic_init(&t->refs, 1);
	return t;
}

void agent_table_get(struct agent_table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void agent_table_put(struct agent_table *t)
{
	if (t == NULL)
		return;
	if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
		methods_free(t->m);
		free(t);
	}
}

static void conn_set_state(struct agent_conn *c, enum conn_state to, const char *why)
{
	log_debug(MOD, "conn=%u fd=%d state %s -> %s: %s", c->id, c->fd, conn_state_names[c->state],
	          conn_state_names[to], why);
	c->state = to;
	c->since = ev_now(c->w->loop);
}

static void conn_close(struct agent_conn *c, const char *why)
{
	struct agent_worker *w = c->w;

	if (c->state == CONN_CLOSED)
		return;
	ev_io_stop(w->loop, &c->rio);
	ev_io_stop(w->loop, &c->wio);
	close(c->fd);
	conn_set_state(c, CONN_CLOSED, why);
	c->fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->dead_next = w->dead;
	w->dead = c;
	w->n_conns--;
	atomic_fetch_sub_explicit(&w->set->listen_conns[c->listener], 1, memory_order_relaxed);
	STAT_ADD(w, conns_active, (uint64_t)-1);
}

static void conn_queue_flush(struct agent_conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->flush_next = c->w->flush_list;
	c->w->flush_list = c;
}

static void conn_pause_read(struct agent_conn *c)
{
	if (c->reading) {
		ev_io_stop(c->w->loop, &c->rio);
		c->reading = false;
	}
}

static void conn_resume_read(struct agent_conn *c)
{
	if (!c->reading && c->state != CONN_CLOSED) {
		ev_io_start(c->w->loop, &c->rio);
		c->reading = true;
	}
}

/* Queues AGENT-DISCONNECT with <status> and moves to CLOSING. */
static void conn_disconnect(struct agent_conn *c, enum spop_status status)
{
	struct agent_worker *w = c->w;
	struct spop_buf b;
	const char *msg = spop_status_str(status);
	unsigned slot = status <= SPOP_ST_RES ? (unsigned)status : SPOP_ST_RES + 1;

	if (c->state >= CONN_CLOSING)
		return;
	STAT_INC(w, disconnects_sent[slot]);
	if (status != SPOP_ST_NONE)
		log_warn(MOD, "conn=%u disconnect status=%d reason=\"%s\"", c->id, (int)status,
		         msg);
	spop_buf_init(&b, c->wbuf + c->wlen, c->wcap - c->wlen);
	if (answer_disconnect_put(&b, status, c->max_frame) == -1) {
		conn_close(c, "no room for AGENT-DISCONNECT");
		return;
	}
	c->wlen += b.len;
	c->rlen = 0; /* nothing after a disconnect is answered */
	conn_set_state(c, CONN_CLOSING, msg);
	conn_queue_flush(c);
}

static void conn_on_hello(struct agent_conn *c, const struct spop_frame *f)
{
	struct spop_hello h;
	struct answer_hello a;
	enum spop_status st;
	struct spop_buf b;

	if (f->type != SPOP_FRAME_HAPROXY_HELLO) {
		conn_disconnect(c, SPOP_ST_INVALID);
		return;
	}
	if (spop_hello_decode(f->payload, &h, &st) == -1) {
		conn_disconnect(c, st);
		return;
	}
	st = answer_hello_negotiate(&h, c->w->set->max_frame_size, &a);
	if (st != SPOP_ST_NONE) {
		conn_disconnect(c, st);
		return;
	}
	spop_buf_init(&b, c->wbuf + c->wlen, c->wcap - c->wlen);
	if (answer_hello_put(&b, &a) == -1) {
		conn_disconnect(c, SPOP_ST_RES);
		return;
	}
	c->wlen += b.len;
	c->max_frame = a.max_frame_size;
	conn_queue_flush(c);
	if (h.healthcheck) {
		/* HAProxy closes a health-check connection once it has the answer. */
		c->healthcheck = true;
		STAT_INC(c->w, hello_healthchecks);
	}
	log_debug(MOD, "conn=%u hello max-frame-size=%u capabilities=%s healthcheck=%d", c->id,
	          a.max_frame_size, answer_hello_caps(&a), h.healthcheck);
	conn_set_state(c, CONN_READY, "hello done");
}

/* answer_seen_cb_fn: counts each message of a NOTIFY frame. */
static void conn_seen_cb(void *arg, const struct notify_verdict *v)
{
	struct agent_worker *w = arg;

	STAT_INC(w, messages);
	if (v == NULL)
		return;
	STAT_INC(w, by_class[v->rpc.cls]);
	STAT_INC(w, by_chain[v->chain >= 0 ? (unsigned)v->chain : NOTIFY_MAX_CHAINS]);
}

static void conn_on_notify(struct agent_conn *c, const struct spop_frame *f)
{
	struct agent_worker *w = c->w;
	const struct answer_env env = {w->table->m, w->set->chains, w->set->max_body, c->max_frame};
	struct spop_buf b;
	enum spop_status st;
	uint64_t t0 = mono_ns();

	spop_buf_init(&b, c->wbuf + c->wlen, c->wcap - c->wlen);
	st = answer_notify_put(&b, f, &env, conn_seen_cb, w);
	if (st != SPOP_ST_NONE) {
		conn_disconnect(c, st);
		return;
	}
	c->wlen += b.len;
	stat_proc_time(w, mono_ns() - t0);
	STAT_INC(w, acks_out);
	conn_queue_flush(c);
}

static void conn_on_frame(struct agent_conn *c, const struct spop_frame *f)
{
	STAT_INC(c->w, frames_in);
	if (c->state == CONN_HELLO) {
		conn_on_hello(c, f);
		return;
	}
	switch (f->type) {
	case SPOP_FRAME_NOTIFY:
		conn_on_notify(c, f);
		break;
	case SPOP_FRAME_HAPROXY_DISCONNECT:
		conn_disconnect(c, SPOP_ST_NONE);
		break;
	default:
		conn_disconnect(c, SPOP_ST_INVALID);
		break;
	}
}

/* Handles every complete frame in the read buffer while there is room to answer. */
static void conn_process(struct agent_conn *c)
{
	size_t off = 0;

	while (c->state == CONN_HELLO || c->state == CONN_READY) {
		struct spop_frame f;
		enum spop_status st;
		int r;

		if (c->wcap - c->wlen < (size_t)c->max_frame + SPOP_FRAME_LEN_SIZE) {
			conn_pause_read(c); /* the peer is not reading its answers */
			break;
		}
		r = spop_frame_decode(c->rbuf + off, c->rlen - off, c->max_frame, &f, &st);
		if (r == PF_AGAIN)
			break;
		if (r == PF_EPROTO) {
			conn_disconnect(c, st);
			return;
		}
		off += (size_t)r;
		c->last_frame = c->frame_since = ev_now(c->w->loop);
		conn_on_frame(c, &f);
	}
	if (c->state >= CONN_CLOSING)
		return;
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	if (c->disconnect_on_idle && c->rlen == 0)
		conn_disconnect(c, SPOP_ST_NONE);
}

/*
 * A failed read. HAProxy ends its SPOP health check (2.6 and 3.4 alike) by
 * resetting the TCP connection right after the AGENT-HELLO, and a plain TCP
 * check can reset before sending a byte: those are checks, counted as such;
 * only the rest are read errors worth a line.
 */
static void conn_read_error(struct agent_conn *c, int err)
{
	if (c->healthcheck && err == ECONNRESET) {
		conn_close(c, "health check done");
		return;
	}
	if (!c->got_bytes && err == ECONNRESET) {
		STAT_INC(c->w, connect_checks);
		conn_close(c, "reset before the first byte");
		return;
	}
	STAT_INC(c->w, read_errors);
	log_info(MOD, "conn=%u read: %s", c->id, strerror(err));
	conn_close(c, "read error");
}

static void conn_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct agent_conn *c = pf_container_of(io, struct agent_conn, rio);
	uint8_t sink[4096];
	ssize_t n;

	(void)loop;
	(void)revents;
	if (c->state == CONN_CLOSING) {
		/* Drain until the peer closes, so our DISCONNECT is not lost to an RST. */
		n = read(c->fd, sink, sizeof(sink));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			conn_close(c, "peer closed after disconnect");
		return;
	}
	if (c->rlen == c->rcap) {
		/* A whole frame waits for room to answer: read nothing until it is handled. */
		conn_pause_read(c);
		return;
	}
	if (c->rlen == 0)
		c->frame_since = ev_now(c->w->loop);
	n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
	if (n == 0) {
		if (!c->got_bytes)
			STAT_INC(c->w, connect_checks);
		conn_close(c, "peer closed");
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_read_error(c, errno);
		return;
	}
	c->got_bytes = true;
	c->rlen += (size_t)n;
	conn_process(c);
}

/* Writes what is queued; returns false if the connection was closed. */
static bool conn_flush(struct agent_conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);

		if (n > 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			ev_io_start(c->w->loop, &c->wio);
			return true;
		}
		log_info(MOD, "conn=%u write: %s", c->id, strerror(errno));
		conn_close(c, "write error");
		return false;
	}
	c->woff = c->wlen = 0;
	ev_io_stop(c->w->loop, &c->wio);
	if (c->state == CONN_CLOSING) {
		(void)shutdown(c->fd, SHUT_WR);
		conn_resume_read(c);
		return true;
	}
	if (!c->reading) {
		conn_resume_read(c);
		conn_process(c);
	}
	return true;
}

static void conn_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct agent_conn *c = pf_container_of(io, struct agent_conn, wio);

	(void)loop;
	(void)revents;
	(void)conn_flush(c);
}

static void conn_free(struct agent_conn *c)
{
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

static void worker_accept_one(struct agent_worker *w, int fd, unsigned listener)
{
	struct agent_conn *c = calloc(1, sizeof(*c));
	size_t frame = w->set->max_frame_size;

	if (c != NULL) {
		c->rcap = frame + SPOP_FRAME_LEN_SIZE;
		c->wcap = 2 * (frame + SPOP_FRAME_LEN_SIZE);
		c->rbuf = malloc(c->rcap);
		c->wbuf = malloc(c->wcap);
	}
	if (c == NULL || c->rbuf == NULL || c->wbuf == NULL) {
		STAT_INC(w, alloc_failures);
		log_err(MOD, "out of memory accepting a connection");
		if (c != NULL)
			conn_free(c);
		close(fd);
		atomic_fetch_sub_explicit(&w->set->listen_conns[listener], 1, memory_order_relaxed);
		return;
	}
	c->w = w;
	c->id = ++w->next_id;
	c->listener = listener;
	c->fd = fd;
	c->max_frame = (uint32_t)frame;
	c->state = CONN_HELLO;
	c->since = c->last_frame = c->frame_since = ev_now(w->loop);
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->n_conns++;
	STAT_INC(w, conns_accepted);
	STAT_INC(w, conns_active);
	conn_resume_read(c);
	log_debug(MOD, "conn=%u fd=%d accepted", c->id, fd);
}

/*
 * At the fd limit a pending connection keeps the listener readable, so
 * retrying at once would spin. Give up the reserve fd to accept a batch
 * and close them (their peers learn at once instead of waiting), then rest
 * every listener for set->accept_pause; the janitor logs the count.
 */
static void worker_at_fd_limit(struct agent_worker *w, int lfd)
{
	if (w->reserve_fd != -1) {
		close(w->reserve_fd);
		for (int i = 0; i < ACCEPT_BATCH; i++) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd == -1)
				break;
			close(fd);
			STAT_INC(w, refused_fd_limit);
			w->refused_fd_unlogged++;
		}
		w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	STAT_INC(w, accept_pauses);
	w->pauses_unlogged++;
	for (unsigned i = 0; i < w->set->n_listen; i++)
		ev_io_stop(w->loop, &w->accept_io[i]);
	ev_timer_set(&w->accept_pause, w->set->accept_pause, 0.);
	ev_timer_start(w->loop, &w->accept_pause);
}

static void worker_accept_pause_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct agent_worker *w = pf_container_of(t, struct agent_worker, accept_pause);

	(void)revents;
	if (w->stopping)
		return;
	if (w->reserve_fd == -1) /* another thread took the fd it gave back */
		w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (unsigned i = 0; i < w->set->n_listen; i++)
		if (!w->listen_shut[i])
			ev_io_start(loop, &w->accept_io[i]);
}

/* Takes one connection slot of listener <i>; false (and nothing taken) at the cap. */
static bool worker_take_slot(struct agent_worker *w, unsigned i)
{
	atomic_uint *n = &w->set->listen_conns[i];

	if (atomic_fetch_add_explicit(n, 1, memory_order_relaxed) < w->set->max_conns)
		return true;
	atomic_fetch_sub_explicit(n, 1, memory_order_relaxed);
	return false;
}

static void worker_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct agent_worker *w = ev_userdata(loop);
	unsigned li = (unsigned)(io - w->accept_io);

	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				worker_at_fd_limit(w, io->fd);
			} else if (errno == EINVAL) {
				/* main shut the listener down: stopping */
				w->listen_shut[li] = true;
				ev_io_stop(loop, io);
			} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED &&
			           errno != EPROTO && errno != EPERM) {
				/* Unexpected and not tied to a peer: rest rather than spin. */
				log_warn(MOD, "accept: %s", strerror(errno));
				worker_at_fd_limit(w, io->fd);
			}
			return;
		}
		if (!worker_take_slot(w, li)) {
			close(fd);
			STAT_INC(w, refused_cap);
			w->refused_cap_unlogged++;
			continue;
		}
		worker_accept_one(w, fd, li);
	}
}

static void worker_begin_stop(struct agent_worker *w)
{
	struct agent_conn *c, *next;

	if (w->stopping)
		return;
	w->stopping = true;
	for (unsigned i = 0; i < w->set->n_listen; i++)
		ev_io_stop(w->loop, &w->accept_io[i]);
	ev_timer_stop(w->loop, &w->accept_pause);
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_HELLO) {
			conn_close(c, "stopping");
		} else if (c->state == CONN_READY) {
			c->disconnect_on_idle = true;
			if (c->rlen == 0)
				conn_disconnect(c, SPOP_ST_NONE);
		}
	}
	ev_timer_set(&w->stop_deadline, w->set->stop_timeout, 0.);
	ev_timer_start(w->loop, &w->stop_deadline);
}

static void worker_wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct agent_worker *w = pf_container_of(a, struct agent_worker, wake);
	struct agent_table *t;

	(void)loop;
	(void)revents;
	t = atomic_exchange_explicit(&w->pending_table, NULL, memory_order_acq_rel);
	if (t != NULL) {
		agent_table_put(w->table);
		w->table = t;
	}
	if (atomic_load_explicit(&w->stop_requested, memory_order_acquire))
		worker_begin_stop(w);
}

static void worker_flush_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct agent_worker *w = pf_container_of(p, struct agent_worker, flush);

	(void)revents;
	while (w->flush_list != NULL) {
		struct agent_conn *c = w->flush_list;

		w->flush_list = c->flush_next;
		c->queued = false;
		if (c->state != CONN_CLOSED)
			(void)conn_flush(c);
	}
	while (w->dead != NULL) {
		struct agent_conn *c = w->dead;

		w->dead = c->dead_next;
		conn_free(c);
	}
	if (w->stopping && w->conns == NULL)
		ev_break(loop, EVBREAK_ALL);
}

/* One line per janitor pass at most, however many connections were refused. */
static void worker_log_refusals(struct agent_worker *w)
{
	if (w->refused_cap_unlogged > 0)
		log_warn(MOD,
		         "refused %llu connection(s) in the last %.0f s: listener at --max-conns "
		         "%u",
		         (unsigned long long)w->refused_cap_unlogged, REFUSAL_LOG_INTERVAL,
		         w->set->max_conns);
	if (w->pauses_unlogged > 0)
		log_warn(MOD,
		         "out of file descriptors: refused %llu connection(s) and rested accept "
		         "%llu time(s) for %.2f s in the last %.0f s",
		         (unsigned long long)w->refused_fd_unlogged,
		         (unsigned long long)w->pauses_unlogged, w->set->accept_pause,
		         REFUSAL_LOG_INTERVAL);
	w->refused_cap_unlogged = w->refused_fd_unlogged = w->pauses_unlogged = 0;
}

static void worker_janitor_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct agent_worker *w = pf_container_of(t, struct agent_worker, janitor);
	ev_tstamp now = ev_now(loop);
	struct agent_conn *c, *next;

	(void)revents;
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state >= CONN_CLOSING) {
			if (now - c->since > LINGER_SECONDS)
				conn_close(c, "peer did not close after disconnect");
		} else if (c->rlen > 0 && now - c->frame_since > w->set->frame_timeout) {
			/* A frame started and never finished: its buffer is freed with it. */
			STAT_INC(w, frame_timeouts);
			conn_disconnect(c, SPOP_ST_TIMEOUT);
		} else if (c->state == CONN_HELLO && now - c->since > w->set->hello_timeout) {
			conn_disconnect(c, SPOP_ST_TIMEOUT);
		} else if (c->state == CONN_READY && c->rlen == 0 &&
		           now - c->last_frame > w->set->idle_timeout) {
			STAT_INC(w, idle_timeouts);
			conn_disconnect(c, SPOP_ST_TIMEOUT);
		}
	}
	worker_log_refusals(w);
}

static void worker_deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct agent_worker *w = pf_container_of(t, struct agent_worker, stop_deadline);

	(void)revents;
	if (w->conns != NULL)
		log_warn(MOD, "stop timeout: closing %u connection(s)", w->n_conns);
	while (w->conns != NULL)
		conn_close(w->conns, "stop timeout");
	ev_break(loop, EVBREAK_ALL);
}

static void worker_start_watchers(struct agent_worker *w)
{
	for (unsigned i = 0; i < w->set->n_listen; i++) {
		ev_io_init(&w->accept_io[i], worker_accept_cb, w->set->listen_fds[i], EV_READ);
		ev_io_start(w->loop, &w->accept_io[i]);
	}
	ev_async_init(&w->wake, worker_wake_cb);
	ev_async_start(w->loop, &w->wake);
	ev_prepare_init(&w->flush, worker_flush_cb);
	ev_prepare_start(w->loop, &w->flush);
	ev_timer_init(&w->janitor, worker_janitor_cb, 1., 1.);
	ev_timer_start(w->loop, &w->janitor);
	ev_timer_init(&w->stop_deadline, worker_deadline_cb, 0., 0.);
	ev_timer_init(&w->accept_pause, worker_accept_pause_cb, 0., 0.);
}

struct agent_worker *agent_worker_new(const struct agent_settings *set, struct agent_table *table)
{
	struct agent_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->set = set;
	w->accept_io = calloc(set->n_listen, sizeof(*w->accept_io));
	w->listen_shut = calloc(set->n_listen, sizeof(*w->listen_shut));
	w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	w->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (w->accept_io == NULL || w->listen_shut == NULL || w->loop == NULL) {
		agent_worker_free(w);
		return NULL;
	}
	ev_set_userdata(w->loop, w);
	agent_table_get(table);
	w->table = table;
	atomic_init(&w->pending_table, NULL);
	atomic_init(&w->stop_requested, false);
	worker_start_watchers(w);
	return w;
}

void agent_worker_run(struct agent_worker *w)
{
	ev_run(w->loop, 0);
}

void agent_worker_swap_table(struct agent_worker *w, struct agent_table *table)
{
	struct agent_table *old;

	agent_table_get(table);
	old = atomic_exchange_explicit(&w->pending_table, table, memory_order_acq_rel);
	agent_table_put(old); /* a reload the worker never picked up */
	ev_async_send(w->loop, &w->wake);
}

void agent_worker_stop(struct agent_worker *w)
{
	atomic_store_explicit(&w->stop_requested, true, memory_order_release);
	ev_async_send(w->loop, &w->wake);
}

const struct agent_stats *agent_worker_stats(const struct agent_worker *w)
{
	return &w->stats;
}

void agent_worker_free(struct agent_worker *w)
{
	if (w == NULL)
		return;
	while (w->conns != NULL)
		conn_close(w->conns, "worker freed");
	while (w->dead != NULL) {
		struct agent_conn *c = w->dead;

		w->dead = c->dead_next;
		conn_free(c);
	}
	agent_table_put(w->table);
	agent_table_put(atomic_load(&w->pending_table));
	if (w->loop != NULL)
		ev_loop_destroy(w->loop);
	free(w->accept_io);
	free(w->listen_shut);
	if (w->reserve_fd != -1)
		close(w->reserve_fd);
	free(w);
}
