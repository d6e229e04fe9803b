/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous write path (see writer.h): the spool (spool.h, a
 * durable FIFO of records with queue_max of them in memory) on one side,
 * the connection (libpq in non-blocking pipeline mode on the loop) on the
 * other.
 *
 * Durability: dbw_put appends with write(2), which a process crash cannot
 * undo (the page cache belongs to the kernel), and the ev_prepare pass
 * fdatasyncs once per loop iteration, before anything is sent and before
 * the loop sleeps: one sync per control round instead of one per record,
 * and nothing reaches the database that a machine crash could take back
 * from the spool.
 *
 * One flight at a time: a batch (up to batch_max INSERTs/UPDATEs and one
 * Sync, so one implicit transaction and one commit), the lock query, or
 * the open-incidents query. A batch is acknowledged by its Sync. A
 * statement that fails rolls the whole batch back; when its SQLSTATE is
 * permanent (class 22 data exception, 23 integrity constraint) the record
 * is logged with its id, counted and dropped, and the rest is sent again.
 * Any other failure is treated as the connection's: reconnect with
 * backoff, replay from the head of the spool.
 */
#include "ctl/db/writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libpq-fe.h>

#include "common/log.h"
#include "common/text.h"
#include "ctl/db/dbconn.h"
#include "ctl/db/migrate.h"
#include "ctl/db/reccodec.h"
#include "ctl/db/spool.h"

#define MOD "db"

/* A connect, or a flight, that takes longer is a dead link (a partition never closes). */
#define DBW_DEADLINE_S 15.0

enum dbw_state {
	DBW_DOWN = 0, /* waiting for the reconnect timer */
	DBW_CONNECTING,
	DBW_READY,
};

enum dbw_flight {
	FL_NONE = 0,
	FL_BATCH,
	FL_LOCK,
	FL_INCIDENTS,
	FL_PRUNE,
};

struct dbw {
	struct ev_loop *loop; /* borrowed */
	char *conninfo, *region;
	char password[DB_PASSWORD_MAX + 1];
	bool has_password;
	unsigned queue_max, batch_max, lock_retry_ms, backoff_min_ms, backoff_max_ms;
	dbw_role_fn on_role;
	void *ctx;

	struct spool *sp; /* owned */

	/* The connection. */
	PGconn *conn; /* owned */
	enum dbw_state state;
	int sock;
	unsigned backoff_ms;
	enum dbw_flight flight;
	size_t batch_n;    /* queue entries the batch covers, dropped ones included */
	size_t nstmt, rq;  /* statements in flight; the one whose results are read */
	bool got;          /* a result of statement rq was seen */
	long err_stmt;     /* first failed statement, -1 none, -2 the commit */
	char err_state[6]; /* its SQLSTATE */
	char err_msg[512]; /* and message, on one line */
	bool lock_due, lock_taken;
	struct dbw_open_incident *open; /* the incidents read under the lock, owned */
	size_t nopen;

	/* Retention (dbw_prune_usage): a pass in progress, taking turns with the batches. */
	bool prune_due, prune_turn;
	int64_t prune_before_ms;
	unsigned prune_batch;
	uint64_t prune_got;  /* rows the statement in flight deleted */
	uint64_t prune_pass; /* rows the pass deleted so far */

	/* Replay after a (re)connect: records up to replay_mark go before the lock. */
	bool replaying;
	uint64_t replay_mark, replayed;
	bool in_outage;
	ev_tstamp outage_t0;

	struct dbw_stats st;
	ev_io io;
	ev_timer retry, lock_timer, deadline;
	ev_prepare prep;
};

static void conn_lost(struct dbw *w, const char *why);
static void start_connect(struct dbw *w);

/* The replay is over once the records spooled before the connect are acknowledged. */
static void replay_check(struct dbw *w, uint64_t acked_off)
{
	if (!w->replaying || acked_off < w->replay_mark)
		return;
	w->replaying = false;
	w->lock_due = true;
	if (w->in_outage) {
		log_info(MOD, "msg=\"database back\" region=%s outage_s=%.1f replayed=%" PRIu64,
		         w->region, ev_now(w->loop) - w->outage_t0, w->replayed);
		w->in_outage = false;
	} else if (w->replayed > 0) {
		log_info(MOD, "msg=\"spool replayed\" region=%s replayed=%" PRIu64, w->region,
		         w->replayed);
	}
}

/* The oldest record is done with: acknowledged, or dropped earlier. */
static void q_pop(struct dbw *w)
{
	if (!spool_at(w->sp, 0)->dropped)
		w->st.written++;
	if (w->replaying)
		w->replayed++;
	replay_check(w, spool_pop(w->sp));
}

int dbw_put(struct dbw *w, const struct db_record *r)
{
	char err[256], id[REC_ID_MAX + 1];

	if (spool_put(w->sp, r, err, sizeof(err)) == -1) {
		/* An invalid record's id may hold anything: only printable bytes reach the log. */
		(void)pf_printable(id, sizeof(id), r->id, strnlen(r->id, sizeof(r->id)), "\"");
		log_err(MOD, "msg=\"record lost\" id=%s reason=\"%s\"", id, err);
		w->st.lost++;
		return -1;
	}
	w->st.put++;
	return 0;
}

/* ---- the connection ---- */

static void io_watch(struct dbw *w, int fd, int events)
{
	if (fd == w->sock && ev_is_active(&w->io) &&
	    (w->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(w->loop, &w->io);
	w->sock = fd;
	if (fd < 0)
		return;
	ev_io_set(&w->io, fd, events);
	ev_io_start(w->loop, &w->io);
}

/*
 * While connecting, libpq may close its socket and open another (the next
 * address of a host), often under the same number: a watcher left armed
 * would watch the closed one, so it is armed again at every step.
 */
static void io_rearm(struct dbw *w, int fd, int events)
{
	io_watch(w, -1, 0);
	io_watch(w, fd, events);
}

static void deadline_start(struct dbw *w)
{
	w->deadline.repeat = DBW_DEADLINE_S;
	ev_timer_again(w->loop, &w->deadline);
}

static void outage_begins(struct dbw *w, const char *why)
{
	if (w->in_outage) {
		log_debug(MOD, "msg=\"database still unreachable\" region=%s reason=\"%s\"",
		          w->region, why);
		return;
	}
	w->in_outage = true;
	w->st.outages++;
	w->outage_t0 = ev_now(w->loop);
	log_warn(MOD,
	         "msg=\"database unreachable, records go to the spool\" region=%s reason=\"%s\"",
	         w->region, why);
}

static void drop_open(struct dbw *w)
{
	pf_free(&w->open);
	w->nopen = 0;
}

/* The link is gone (or never came): spool on, retry after the backoff. The lock goes with it. */
static void conn_lost(struct dbw *w, const char *why)
{
	char line[512];

	db_one_line(why, line, sizeof(line));
	for (char *q = strchr(line, '"'); q != NULL; q = strchr(q, '"'))
		*q = '\''; /* the reason sits inside "" in the log line */
	outage_begins(w, line);
	io_watch(w, -1, 0);
	ev_timer_stop(w->loop, &w->deadline);
	ev_timer_stop(w->loop, &w->lock_timer);
	PQfinish(w->conn);
	w->conn = NULL;
	w->state = DBW_DOWN;
	w->flight = FL_NONE;
	w->replaying = false;
	w->lock_due = false;
	w->lock_taken = false;
	drop_open(w);
	ev_timer_set(&w->retry, w->backoff_ms / 1000.0, 0.0);
	ev_timer_start(w->loop, &w->retry);
	w->backoff_ms =
	    w->backoff_ms * 2 > w->backoff_max_ms ? w->backoff_max_ms : w->backoff_ms * 2;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void connected(struct dbw *w)
{
	if (PQsetnonblocking(w->conn, 1) != 0 || PQenterPipelineMode(w->conn) != 1) {
		conn_lost(w, PQerrorMessage(w->conn));
		return;
	}
	PQsetNoticeProcessor(w->conn, quiet, NULL);
	ev_timer_stop(w->loop, &w->deadline);
	w->state = DBW_READY;
	w->backoff_ms = w->backoff_min_ms;
	io_rearm(w, PQsocket(w->conn), EV_READ);
	log_debug(MOD, "msg=\"connected\" region=%s pending=%" PRIu64, w->region,
	          spool_pending(w->sp));
	/* What was spooled before now goes first; the lock waits for it. */
	w->replayed = 0;
	w->replaying = true;
	w->replay_mark = spool_end(w->sp);
	replay_check(w, spool_pending(w->sp) == 0 ? UINT64_MAX : 0);
}

static void connect_step(struct dbw *w)
{
	switch (PQconnectPoll(w->conn)) {
	case PGRES_POLLING_FAILED:
		conn_lost(w, PQerrorMessage(w->conn));
		return;
	case PGRES_POLLING_READING:
		io_rearm(w, PQsocket(w->conn), EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		io_rearm(w, PQsocket(w->conn), EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		connected(w);
		return;
	case PGRES_POLLING_ACTIVE: /* unused since libpq 7.4: poll again */
		io_rearm(w, PQsocket(w->conn), EV_WRITE);
		return;
	}
}

static void start_connect(struct dbw *w)
{
	const char *keys[] = {"dbname", "application_name", "password", NULL};
	const char *vals[] = {w->conninfo, "polkfura-ctl", w->password, NULL};

	if (!w->has_password)
		keys[2] = NULL;
	w->conn = PQconnectStartParams(keys, vals, 1);
	w->state = DBW_CONNECTING;
	if (w->conn == NULL || PQstatus(w->conn) == CONNECTION_BAD) {
		conn_lost(w, w->conn != NULL ? PQerrorMessage(w->conn) : "out of memory");
		return;
	}
	deadline_start(w);
	/* libpq's contract: the first poll waits for the socket to be writable. */
	io_rearm(w, PQsocket(w->conn), EV_WRITE);
}

static void retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct dbw *w = pf_container_of(t, struct dbw, retry);

	(void)loop;
	(void)revents;
	start_connect(w);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct dbw *w = pf_container_of(t, struct dbw, deadline);
	char why[64];

	(void)loop;
	(void)revents;
	(void)snprintf(why, sizeof(why), "no answer within %.0f s", DBW_DEADLINE_S);
	conn_lost(w, why);
}

static void lock_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct dbw *w = pf_container_of(t, struct dbw, lock_timer);

	(void)loop;
	(void)revents;
	if (w->state == DBW_READY)
		w->lock_due = true;
}

/* ---- flights ---- */

static void flush(struct dbw *w)
{
	int rc = PQflush(w->conn);

	if (rc == -1) {
		conn_lost(w, PQerrorMessage(w->conn));
		return;
	}
	/* 1: libpq holds unsent bytes; the socket tells when it can take them. */
	if (rc == 1)
		log_debug(MOD, "msg=\"socket full, waiting to send the rest\" region=%s",
		          w->region);
	io_watch(w, w->sock, rc == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void flight_begin(struct dbw *w, enum dbw_flight f, size_t nstmt)
{
	w->flight = f;
	w->nstmt = nstmt;
	w->rq = 0;
	w->got = false;
	w->err_stmt = -1;
	w->err_state[0] = '\0';
	w->err_msg[0] = '\0';
	deadline_start(w);
}

static bool send_one(struct dbw *w, const char *sql, int n, const char *const *params)
{
	if (PQsendQueryParams(w->conn, sql, n, NULL, params, NULL, NULL, 0) == 1)
		return true;
	conn_lost(w, PQerrorMessage(w->conn));
	return false;
}

static bool sync_and_flush(struct dbw *w)
{
	if (PQpipelineSync(w->conn) != 1) {
		conn_lost(w, PQerrorMessage(w->conn));
		return false;
	}
	flush(w);
	return w->state == DBW_READY;
}

static void send_batch(struct dbw *w)
{
	size_t n, sent = 0;

	/* Records dropped by the batch before lead nothing: they leave at once. */
	while (spool_window(w->sp) > 0 && spool_at(w->sp, 0)->dropped)
		q_pop(w);
	n = spool_window(w->sp) < w->batch_max ? spool_window(w->sp) : w->batch_max;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct spool_entry *e = spool_at(w->sp, i);
		struct rec_sql s;

		if (e->dropped)
			continue;
		rec_sql_of(&e->r, &s);
		if (!send_one(w, s.sql, s.nparams, s.params))
			return;
		sent++;
	}
	flight_begin(w, FL_BATCH, sent);
	w->batch_n = n;
	w->st.batches++;
	(void)sync_and_flush(w);
}

static void send_lock(struct dbw *w)
{
	const char *p[1] = {w->region};

	w->lock_due = false;
	if (!send_one(w, "SELECT pg_try_advisory_lock(" REGION_LOCK_CLASS ", hashtext($1))", 1, p))
		return;
	flight_begin(w, FL_LOCK, 1);
	(void)sync_and_flush(w);
}

static void send_incidents(struct dbw *w)
{
	const char *p[1] = {w->region};

	w->lock_taken = false;
	/* extract(epoch) is numeric since PostgreSQL 14: the ms come back exact. */
	if (!send_one(
	        w,
	        "SELECT id, chain, kind, array_to_string(nodes, ','),"
	        " (extract(epoch FROM started_at) * 1000)::bigint FROM incidents"
	        " WHERE ended_at IS NULL AND (region = $1 AND kind <> 'region_unreachable'"
	        " OR kind = 'region_unreachable' AND summary LIKE 'seen from ' || $1 || ': %')"
	        " ORDER BY started_at, id",
	        1, p))
		return;
	flight_begin(w, FL_INCIDENTS, 1);
	(void)sync_and_flush(w);
}

static void send_prune(struct dbw *w)
{
	char before[24], batch[16];
	const char *p[3] = {before, batch, w->region};

	(void)snprintf(before, sizeof(before), "%" PRId64, w->prune_before_ms);
	(void)snprintf(batch, sizeof(batch), "%u", w->prune_batch);
	w->prune_turn = false;
	w->prune_got = 0;
	/* By the minute index; a short statement each, so no lock is held for long. */
	if (!send_one(w,
	              "DELETE FROM rpc_minutes WHERE id IN (SELECT id FROM rpc_minutes WHERE"
	              " minute < timestamptz 'epoch' + $1::bigint * interval '1 millisecond'"
	              " AND region = $3 LIMIT $2::integer)",
	              3, p))
		return;
	flight_begin(w, FL_PRUNE, 1);
	(void)sync_and_flush(w);
}

static void prune_done(struct dbw *w)
{
	if (w->err_stmt != -1) {
		/* Not the connection's fault (the table missing, say): the next pass tries again.
		 */
		log_warn(MOD, "msg=\"usage retention failed\" region=%s sqlstate=%s reason=\"%s\"",
		         w->region, w->err_state, w->err_msg);
		w->prune_due = false;
		return;
	}
	w->st.pruned += w->prune_got;
	w->prune_pass += w->prune_got;
	if (w->prune_got < w->prune_batch) {
		w->prune_due = false;
		if (w->prune_pass > 0)
			log_info(
			    MOD,
			    "msg=\"usage rows past retention deleted\" region=%s rows=%" PRIu64,
			    w->region, w->prune_pass);
		w->prune_pass = 0;
	}
}

void dbw_prune_usage(struct dbw *w, int64_t before_ms, unsigned batch)
{
	w->prune_before_ms = before_ms;
	w->prune_batch = batch > 0 ? batch : 1;
	w->prune_due = true;
	w->prune_turn = true;
}

/* The ev_prepare pass: make this iteration's records durable, then send what is due. */
static void prep_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct dbw *w = pf_container_of(p, struct dbw, prep);

	(void)loop;
	(void)revents;
	if (spool_sync(w->sp) == -1)
		log_err(MOD, "msg=\"fdatasync of the spool failed\" path=%s err=\"%s\"",
		        spool_path(w->sp), strerror(errno));
	if (w->state != DBW_READY || w->flight != FL_NONE)
		return;
	if (w->lock_taken)
		send_incidents(w);
	else if (w->lock_due && !w->replaying)
		send_lock(w);
	else if (w->prune_due && !w->replaying && (w->prune_turn || spool_window(w->sp) == 0))
		send_prune(w);
	else if (spool_window(w->sp) > 0) {
		send_batch(w);
		w->prune_turn = true;
	}
}

/* The <i>-th statement of the batch is which queue entry (dropped ones are not sent). */
static struct spool_entry *stmt_entry(struct dbw *w, size_t stmt)
{
	for (size_t i = 0, k = 0; i < w->batch_n; i++) {
		struct spool_entry *e = spool_at(w->sp, i);

		if (e->dropped)
			continue;
		if (k++ == stmt)
			return e;
	}
	return NULL;
}

static bool is_permanent(const char *sqlstate)
{
	/* 22: data exception, 23: integrity constraint violation (CHECK, NOT NULL, ...). */
	return strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0;
}

static void batch_done(struct dbw *w)
{
	struct spool_entry *e;
	char why[700];

	if (w->err_stmt == -1) {
		for (size_t i = 0; i < w->batch_n; i++)
			q_pop(w);
		return;
	}
	e = w->err_stmt >= 0 ? stmt_entry(w, (size_t)w->err_stmt) : NULL;
	if (e != NULL && is_permanent(w->err_state)) {
		log_warn(MOD,
		         "msg=\"record refused by the database, dropped\" id=%s kind=%s "
		         "sqlstate=%s reason=\"%s\"",
		         e->r.id, rec_kind_name(e->r.kind), w->err_state, w->err_msg);
		e->dropped = true;
		w->st.rejected++;
		return; /* the rest of the batch was rolled back with it: sent again */
	}
	(void)snprintf(why, sizeof(why), "%s%s (SQLSTATE %s)",
	               e != NULL ? "record " : "commit: ", w->err_msg, w->err_state);
	conn_lost(w, why);
}

static void incidents_result(struct dbw *w, const PGresult *res)
{
	int n = PQntuples(res);

	drop_open(w);
	w->open = calloc((size_t)n + 1, sizeof(*w->open));
	if (w->open == NULL) {
		log_err(MOD, "msg=\"out of memory reading open incidents\" region=%s", w->region);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct dbw_open_incident *o = &w->open[i];

		(void)snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(res, i, 0));
		(void)snprintf(o->chain, sizeof(o->chain), "%s", PQgetvalue(res, i, 1));
		(void)snprintf(o->kind, sizeof(o->kind), "%s", PQgetvalue(res, i, 2));
		(void)snprintf(o->nodes, sizeof(o->nodes), "%s", PQgetvalue(res, i, 3));
		o->started_ms = strtoll(PQgetvalue(res, i, 4), NULL, 10);
	}
	w->nopen = (size_t)n;
}

/* One result of statement w->rq. */
static void stmt_result(struct dbw *w, const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_FATAL_ERROR && w->err_stmt == -1) {
		const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		w->err_stmt = (long)w->rq;
		(void)snprintf(w->err_state, sizeof(w->err_state), "%s", code ? code : "?????");
		db_one_line(PQresultErrorMessage(res), w->err_msg, sizeof(w->err_msg));
		for (char *q = strchr(w->err_msg, '"'); q != NULL; q = strchr(q, '"'))
			*q = '\'';
		return;
	}
	if (st == PGRES_COMMAND_OK && w->flight == FL_PRUNE)
		w->prune_got = strtoull(PQcmdTuples((PGresult *)res), NULL, 10);
	if (st != PGRES_TUPLES_OK)
		return;
	if (w->flight == FL_LOCK)
		w->lock_taken = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	else if (w->flight == FL_INCIDENTS)
		incidents_result(w, res);
}

static void lock_done(struct dbw *w)
{
	if (w->err_stmt != -1) {
		conn_lost(w, w->err_msg);
		return;
	}
	if (w->lock_taken)
		return; /* the incidents come next, under the lock */
	log_debug(MOD, "msg=\"region lock busy\" region=%s", w->region);
	if (w->st.holder) {
		w->st.holder = false;
		log_warn(MOD, "msg=\"region lock held by another controller\" region=%s",
		         w->region);
		if (w->on_role != NULL)
			w->on_role(w->ctx, false, NULL, 0);
	}
	ev_timer_set(&w->lock_timer, w->lock_retry_ms / 1000.0, 0.0);
	ev_timer_start(w->loop, &w->lock_timer);
}

static void incidents_done(struct dbw *w)
{
	if (w->err_stmt != -1) {
		conn_lost(w, w->err_msg);
		return;
	}
	if (!w->st.holder)
		log_info(MOD, "msg=\"region lock taken\" region=%s open_incidents=%zu", w->region,
		         w->nopen);
	w->st.holder = true;
	if (w->on_role != NULL)
		w->on_role(w->ctx, true, w->open, w->nopen);
	drop_open(w);
}

/* The Sync of the flight arrived: act on it. */
static void flight_done(struct dbw *w)
{
	enum dbw_flight f = w->flight;

	ev_timer_stop(w->loop, &w->deadline);
	w->flight = FL_NONE;
	if (f == FL_BATCH)
		batch_done(w);
	else if (f == FL_LOCK)
		lock_done(w);
	else if (f == FL_INCIDENTS)
		incidents_done(w);
	else if (f == FL_PRUNE)
		prune_done(w);
}

/* Reads every result libpq has complete. Returns false when the connection went. */
static bool read_results(struct dbw *w)
{
	if (PQconsumeInput(w->conn) != 1) {
		conn_lost(w, PQerrorMessage(w->conn));
		return false;
	}
	while (w->state == DBW_READY && w->flight != FL_NONE && PQisBusy(w->conn) == 0) {
		PGresult *res = PQgetResult(w->conn);

		if (w->rq < w->nstmt) {
			if (res == NULL) {
				if (!w->got)
					break;
				w->rq++; /* NULL ends each statement's results */
				w->got = false;
				continue;
			}
			stmt_result(w, res);
			w->got = true;
		} else if (res != NULL) {
			ExecStatusType st = PQresultStatus(res);

			if (st == PGRES_FATAL_ERROR && w->err_stmt == -1) {
				w->err_stmt = -2; /* the commit itself */
				(void)snprintf(w->err_state, sizeof(w->err_state), "%s",
				               PQresultErrorField(res, PG_DIAG_SQLSTATE)
				                   ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
				                   : "?????");
				db_one_line(PQresultErrorMessage(res), w->err_msg,
				            sizeof(w->err_msg));
			}
			PQclear(res);
			if (st == PGRES_PIPELINE_SYNC)
				flight_done(w);
			continue;
		} else {
			break;
		}
		PQclear(res);
	}
	if (w->state == DBW_READY && PQstatus(w->conn) == CONNECTION_BAD) {
		conn_lost(w, PQerrorMessage(w->conn));
		return false;
	}
	return w->state == DBW_READY;
}

static void io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct dbw *w = pf_container_of(io, struct dbw, io);

	(void)loop;
	if (w->state == DBW_CONNECTING) {
		connect_step(w);
		return;
	}
	if (w->state != DBW_READY)
		return;
	if ((revents & EV_READ) && !read_results(w))
		return;
	if (revents & EV_WRITE)
		flush(w);
}

/* ---- open, close, stats ---- */

static bool copy_cfg(struct dbw *w, const struct dbw_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->conninfo == NULL || cfg->spool_dir == NULL || cfg->region == NULL ||
	    cfg->region[0] == '\0' || strchr(cfg->region, '/') != NULL) {
		pf_errf(err, errlen, "database writer: conninfo, spool_dir and region are needed");
		return false;
	}
	w->queue_max = cfg->queue_max != 0 ? cfg->queue_max : 4096;
	w->batch_max = cfg->batch_max != 0 ? cfg->batch_max : 256;
	w->lock_retry_ms = cfg->lock_retry_ms != 0 ? cfg->lock_retry_ms : 1000;
	w->backoff_min_ms = cfg->reconnect_min_ms != 0 ? cfg->reconnect_min_ms : 500;
	w->backoff_max_ms = cfg->reconnect_max_ms != 0 ? cfg->reconnect_max_ms : 30000;
	if (w->backoff_max_ms < w->backoff_min_ms)
		w->backoff_max_ms = w->backoff_min_ms;
	w->backoff_ms = w->backoff_min_ms;
	w->on_role = cfg->on_role;
	w->ctx = cfg->ctx;
	w->conninfo = strdup(cfg->conninfo);
	w->region = strdup(cfg->region);
	if (w->conninfo == NULL || w->region == NULL) {
		pf_errf(err, errlen, "out of memory");
		return false;
	}
	if (cfg->password_file != NULL && cfg->password_file[0] != '\0') {
		if (db_password_read(cfg->password_file, w->password, err, errlen) == -1)
			return false;
		w->has_password = true;
	}
	return true;
}

static void dbw_free(struct dbw *w)
{
	spool_close(w->sp);
	explicit_bzero(w->password, sizeof(w->password));
	drop_open(w);
	free(w->conninfo);
	free(w->region);
	free(w);
}

struct dbw *dbw_open(struct ev_loop *loop, const struct dbw_cfg *cfg, char *err, size_t errlen)
{
	struct dbw *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		pf_errf(err, errlen, "out of memory");
		return NULL;
	}
	w->sock = -1;
	w->loop = loop;
	if (!copy_cfg(w, cfg, err, errlen) ||
	    (w->sp = spool_open(cfg->spool_dir, w->region, w->queue_max, err, errlen)) == NULL) {
		dbw_free(w);
		return NULL;
	}
	ev_init(&w->io, io_cb);
	ev_init(&w->retry, retry_cb);
	ev_init(&w->lock_timer, lock_timer_cb);
	ev_init(&w->deadline, deadline_cb);
	ev_prepare_init(&w->prep, prep_cb);
	ev_prepare_start(loop, &w->prep);
	start_connect(w);
	return w;
}

bool dbw_holder(const struct dbw *w)
{
	return w->st.holder;
}

void dbw_get_stats(const struct dbw *w, struct dbw_stats *out)
{
	*out = w->st;
	out->connected = w->state == DBW_READY;
	out->pending = (size_t)spool_pending(w->sp);
	out->skipped = spool_skipped(w->sp);
	out->spool_bytes = spool_end(w->sp);
}

void dbw_close(struct dbw *w)
{
	if (w == NULL)
		return;
	ev_io_stop(w->loop, &w->io);
	ev_timer_stop(w->loop, &w->retry);
	ev_timer_stop(w->loop, &w->lock_timer);
	ev_timer_stop(w->loop, &w->deadline);
	ev_prepare_stop(w->loop, &w->prep);
	/* Ends the session: the server releases the region lock with it. */
	PQfinish(w->conn);
	dbw_free(w);
}
