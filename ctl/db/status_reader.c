/* SPDX-License-Identifier: MIT */
/*
 * The status page's reader (see status_reader.h). One refresh is two
 * queries in turn on one connection: the days, then the incidents; the
 * new history replaces the old only when both answered, so the page never
 * shows days of one refresh with incidents of another. One deadline covers
 * the whole refresh; when it passes, or anything fails, the connection is
 * dropped and the next refresh opens a new one.
 */
#include "ctl/db/status_reader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libpq-fe.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "common/text.h"
#include "ctl/db/dbconn.h"

#define MOD "status_reader"

/*
 * The uptime of each chain of a region per UTC day, from $1 (a midnight,
 * epoch seconds) to $2 (now): report_timeline's segments cut at each
 * midnight, up and degraded counted as up, as report_uptime counts them.
 * Days step by 86400 s, not '1 day', which a session time zone with
 * daylight saving would stretch.
 */
static const char days_sql[] =
    "SELECT t.chain, extract(epoch FROM d.d0)::bigint,"
    " coalesce(sum(extract(epoch FROM least(t.t1, d.d1)) - extract(epoch FROM greatest(t.t0,"
    " d.d0))) FILTER (WHERE t.state IN ('up', 'degraded')), 0),"
    " coalesce(sum(extract(epoch FROM least(t.t1, d.d1)) - extract(epoch FROM greatest(t.t0,"
    " d.d0))) FILTER (WHERE t.state = 'down'), 0)"
    " FROM report_timeline(to_timestamp($1::float8), to_timestamp($2::float8), $3, NULL) t"
    " JOIN (SELECT g AS d0, least(g + interval '86400 s', to_timestamp($2::float8)) AS d1"
    "       FROM generate_series(to_timestamp($1::float8), to_timestamp($2::float8) -"
    "            interval '1 microsecond', interval '86400 s') g) d"
    " ON t.t0 < d.d1 AND t.t1 > d.d0"
    " GROUP BY t.chain, d.d0 ORDER BY 1, 2";

/* The open incidents of the region and those that ended in the last STATUS_RECENT_DAYS. */
static const char incidents_sql[] =
    "SELECT i.id, i.chain, i.kind, i.severity,"
    " (extract(epoch FROM i.started_at) * 1000)::bigint,"
    " (extract(epoch FROM i.ended_at) * 1000)::bigint, i.duration_s, i.summary"
    " FROM report_incidents(to_timestamp($1::float8) - $3::int * interval '86400 s',"
    "                       to_timestamp($1::float8), $2, NULL) i"
    " ORDER BY i.ended_at IS NULL DESC, i.started_at DESC, i.id LIMIT $4::int";

enum rd_state {
	RD_IDLE = 0,
	RD_CONNECTING,
	RD_DAYS,
	RD_INCIDENTS,
};

struct status_reader {
	struct ev_loop *loop; /* borrowed */
	PGconn *conn;         /* NULL between a failure and the next refresh */
	enum rd_state state;
	ev_io io;
	int sock;
	ev_timer tick, deadline;
	double refresh_s, min_s, timeout_s;
	double last_start;       /* ev_now() of the latest refresh, or -min_s */
	int64_t now_ms, day0_ms; /* the running refresh's window */
	char *conninfo, *region;
	char password[DB_PASSWORD_MAX + 1];
	bool has_password;
	bool failing; /* the latest refresh failed (logged once until one works again) */
	struct status_history cur;  /* what the page shows */
	struct status_history next; /* being read */
};

static const char *const rd_state_names[] = {"idle", "connecting", "days", "incidents"};

/* The one place a refresh's step changes (house rule: logged at debug). */
static void rd_set_state(struct status_reader *r, enum rd_state st)
{
	if (r->state != st)
		log_debug(MOD, "msg=\"refresh %s -> %s\"", rd_state_names[r->state],
		          rd_state_names[st]);
	r->state = st;
}

static void free_data(struct status_history *h)
{
	for (unsigned i = 0; i < h->n_chains; i++)
		free(h->chains[i].chain);
	for (unsigned i = 0; i < h->n_incidents; i++) {
		free(h->incidents[i].id);
		free(h->incidents[i].chain);
		free(h->incidents[i].kind);
		free(h->incidents[i].severity);
		free(h->incidents[i].summary);
	}
	pf_free(&h->chains);
	pf_free(&h->incidents);
	h->n_chains = h->n_incidents = 0;
}

static void io_watch(struct status_reader *r, int fd, int events)
{
	ev_io_stop(r->loop, &r->io);
	r->sock = fd;
	if (fd < 0)
		return;
	ev_io_set(&r->io, fd, events);
	ev_io_start(r->loop, &r->io);
}

/*
 * The refresh failed: the page keeps the last history, marked stale with
 * <public> (the page is public: libpq's <detail> names hosts and paths, so
 * it goes to the log only).
 */
static void fail_as(struct status_reader *r, const char *public, const char *detail)
{
	char line[512];

	db_one_line(detail, line, sizeof(line));
	for (char *q = strchr(line, '"'); q != NULL; q = strchr(q, '"'))
		*q = '\''; /* the reason sits inside "" in the log line */
	if (!r->failing)
		log_warn(MOD,
		         "msg=\"status page history not refreshed, the page shows the last one\" "
		         "reason=\"%s\"",
		         line);
	else
		log_debug(MOD, "msg=\"status page history still not refreshed\" reason=\"%s\"",
		          line);
	r->failing = true;
	r->cur.fresh = false;
	snprintf(r->cur.error, sizeof(r->cur.error), "%s", public);
	free_data(&r->next);
	io_watch(r, -1, 0);
	ev_timer_stop(r->loop, &r->deadline);
	PQfinish(r->conn);
	r->conn = NULL;
	rd_set_state(r, RD_IDLE);
}

static void fail(struct status_reader *r, const char *detail)
{
	bool querying = r->state == RD_DAYS || r->state == RD_INCIDENTS;

	fail_as(r, querying ? "a query failed" : "cannot connect", detail);
}

/* Sends the query of step <st>; waits for the answer (or to write the rest). */
static void send_query(struct status_reader *r, enum rd_state st)
{
	char from[32], to[32], recent[16], max[16];
	const char *days[] = {from, to, r->region};
	const char *incidents[] = {to, r->region, recent, max};
	int rc;

	snprintf(from, sizeof(from), "%" PRId64, r->day0_ms / 1000);
	snprintf(to, sizeof(to), "%" PRId64 ".%03d", r->now_ms / 1000, (int)(r->now_ms % 1000));
	snprintf(recent, sizeof(recent), "%d", STATUS_RECENT_DAYS);
	snprintf(max, sizeof(max), "%d", STATUS_INCIDENTS);
	if (st == RD_DAYS)
		rc = PQsendQueryParams(r->conn, days_sql, 3, NULL, days, NULL, NULL, 0);
	else
		rc = PQsendQueryParams(r->conn, incidents_sql, 4, NULL, incidents, NULL, NULL, 0);
	if (rc != 1) {
		fail(r, PQerrorMessage(r->conn));
		return;
	}
	rd_set_state(r, st);
	rc = PQflush(r->conn);
	if (rc == -1) {
		fail(r, PQerrorMessage(r->conn));
		return;
	}
	io_watch(r, PQsocket(r->conn), rc == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void begin_queries(struct status_reader *r)
{
	r->now_ms = pf_wall_ms();
	r->day0_ms = (r->now_ms / DAY_MS - (STATUS_DAYS - 1)) * DAY_MS;
	send_query(r, RD_DAYS);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void connect_step(struct status_reader *r)
{
	switch (PQconnectPoll(r->conn)) {
	case PGRES_POLLING_FAILED:
		fail(r, PQerrorMessage(r->conn));
		return;
	case PGRES_POLLING_READING:
		io_watch(r, PQsocket(r->conn), EV_READ);
		return;
	case PGRES_POLLING_WRITING:
	case PGRES_POLLING_ACTIVE:
		io_watch(r, PQsocket(r->conn), EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(r->conn, 1) != 0) {
			fail(r, PQerrorMessage(r->conn));
			return;
		}
		PQsetNoticeProcessor(r->conn, quiet, NULL);
		begin_queries(r);
		return;
	}
}

static void refresh(struct status_reader *r)
{
	const char *keys[] = {"dbname", "application_name", "password", NULL};
	const char *vals[] = {r->conninfo, "polkfura-ctl-status", r->password, NULL};

	if (r->state != RD_IDLE)
		return;
	r->last_start = ev_now(r->loop);
	r->deadline.repeat = r->timeout_s;
	ev_timer_again(r->loop, &r->deadline);
	if (r->conn != NULL && PQstatus(r->conn) == CONNECTION_OK) {
		begin_queries(r);
		return;
	}
	PQfinish(r->conn);
	if (!r->has_password)
		keys[2] = NULL;
	r->conn = PQconnectStartParams(keys, vals, 1);
	if (r->conn == NULL || PQstatus(r->conn) == CONNECTION_BAD) {
		fail(r, r->conn != NULL ? PQerrorMessage(r->conn) : "out of memory");
		return;
	}
	rd_set_state(r, RD_CONNECTING);
	/* libpq's contract: the first poll waits for the socket to be writable. */
	io_watch(r, PQsocket(r->conn), EV_WRITE);
}

/* The days' rows (chain, day, up_s, down_s), ordered by chain and day, into r->next. */
static bool take_days(struct status_reader *r, const PGresult *res)
{
	int n = PQntuples(res);
	struct status_uptime *u = NULL;

	r->next.chains = calloc(n > 0 ? (size_t)n : 1, sizeof(*r->next.chains));
	if (r->next.chains == NULL)
		return false;
	for (int i = 0; i < n; i++) {
		const char *chain = PQgetvalue(res, i, 0);
		int64_t day_ms = strtoll(PQgetvalue(res, i, 1), NULL, 10) * 1000;
		int64_t k = (day_ms - r->day0_ms) / DAY_MS;

		if (u == NULL || strcmp(u->chain, chain) != 0) {
			u = &r->next.chains[r->next.n_chains];
			u->chain = strdup(chain);
			if (u->chain == NULL)
				return false;
			r->next.n_chains++;
			u->n_days = STATUS_DAYS;
			for (unsigned d = 0; d < STATUS_DAYS; d++) {
				u->days[d].day_ms = r->day0_ms + (int64_t)d * DAY_MS;
				u->days[d].window_s =
				    d + 1 < STATUS_DAYS
				        ? 86400
				        : (double)(r->now_ms - u->days[d].day_ms) / 1000;
			}
		}
		if (k < 0 || k >= STATUS_DAYS)
			continue;
		u->days[k].up_s = strtod(PQgetvalue(res, i, 2), NULL);
		u->days[k].down_s = strtod(PQgetvalue(res, i, 3), NULL);
	}
	return true;
}

static char *dup_value(const PGresult *res, int row, int col, bool *ok)
{
	char *s = strdup(PQgetvalue(res, row, col));

	*ok = *ok && s != NULL;
	return s;
}

/* The incidents' rows into r->next. */
static bool take_incidents(struct status_reader *r, const PGresult *res)
{
	int n = PQntuples(res);
	bool ok = true;

	r->next.incidents = calloc(n > 0 ? (size_t)n : 1, sizeof(*r->next.incidents));
	if (r->next.incidents == NULL)
		return false;
	for (int i = 0; i < n && ok; i++) {
		struct status_incident *in = &r->next.incidents[i];

		r->next.n_incidents++;
		in->id = dup_value(res, i, 0, &ok);
		in->chain = dup_value(res, i, 1, &ok);
		in->kind = dup_value(res, i, 2, &ok);
		in->severity = dup_value(res, i, 3, &ok);
		in->started_ms = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		in->ended_ms =
		    PQgetisnull(res, i, 5) ? 0 : strtoll(PQgetvalue(res, i, 5), NULL, 10);
		in->duration_s = strtod(PQgetvalue(res, i, 6), NULL);
		in->summary = dup_value(res, i, 7, &ok);
	}
	return ok;
}

/* Both answers are in: the new history replaces the old. */
static void done(struct status_reader *r)
{
	free_data(&r->cur);
	r->cur.chains = r->next.chains;
	r->cur.n_chains = r->next.n_chains;
	r->cur.incidents = r->next.incidents;
	r->cur.n_incidents = r->next.n_incidents;
	memset(&r->next, 0, sizeof(r->next));
	if (r->failing)
		log_info(MOD, "msg=\"status page history read again\"");
	r->failing = false;
	r->cur.as_of_ms = r->now_ms;
	r->cur.fresh = true;
	r->cur.error[0] = '\0';
	rd_set_state(r, RD_IDLE);
	ev_timer_stop(r->loop, &r->deadline);
	io_watch(r, PQsocket(r->conn), EV_READ); /* a closed connection shows up as readable */
}

/* One query's result <res>; false when the refresh failed (fail() was called). */
static bool take(struct status_reader *r, const PGresult *res)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fail(r, PQresultErrorMessage(res));
		return false;
	}
	if (!(r->state == RD_DAYS ? take_days(r, res) : take_incidents(r, res))) {
		fail_as(r, "out of memory", "out of memory");
		return false;
	}
	return true;
}

static void read_results(struct status_reader *r)
{
	bool got = false;

	if (PQconsumeInput(r->conn) != 1) {
		fail(r, PQerrorMessage(r->conn));
		return;
	}
	while (PQisBusy(r->conn) == 0) {
		PGresult *res = PQgetResult(r->conn);
		bool ok;

		if (res == NULL)
			break;            /* the query is over */
		ok = got || take(r, res); /* one result per query; more would be a server's bug */
		got = true;
		PQclear(res);
		if (!ok)
			return;
	}
	if (PQisBusy(r->conn) != 0)
		return;
	if (!got) {
		fail(r, "no result");
		return;
	}
	if (r->state == RD_DAYS)
		send_query(r, RD_INCIDENTS);
	else
		done(r);
}

static void io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct status_reader *r = pf_container_of(io, struct status_reader, io);

	(void)loop;
	switch (r->state) {
	case RD_CONNECTING:
		connect_step(r);
		return;
	case RD_IDLE:
		/* Idle between refreshes: the server closing the connection is all there is to
		 * read. */
		if (PQconsumeInput(r->conn) != 1 || PQstatus(r->conn) == CONNECTION_BAD) {
			io_watch(r, -1, 0);
			PQfinish(r->conn);
			r->conn = NULL;
		}
		return;
	case RD_DAYS:
	case RD_INCIDENTS:
		if (revents & EV_WRITE) {
			int rc = PQflush(r->conn);

			if (rc == -1) {
				fail(r, PQerrorMessage(r->conn));
				return;
			}
			io_watch(r, PQsocket(r->conn), rc == 1 ? EV_READ | EV_WRITE : EV_READ);
		}
		if (revents & EV_READ)
			read_results(r);
		return;
	}
}

static void tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	refresh(pf_container_of(t, struct status_reader, tick));
}

static void deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct status_reader *r = pf_container_of(t, struct status_reader, deadline);
	char why[64];

	(void)loop;
	(void)revents;
	snprintf(why, sizeof(why), "no answer within %.0f ms", r->timeout_s * 1000);
	fail_as(r, why, why);
}

void status_reader_poke(struct status_reader *r)
{
	if (r != NULL && r->state == RD_IDLE && ev_now(r->loop) - r->last_start >= r->min_s)
		refresh(r);
}

const struct status_history *status_reader_history(const struct status_reader *r)
{
	return &r->cur;
}

struct status_reader *status_reader_open(struct ev_loop *loop, const struct status_reader_cfg *cfg,
                                         char *err, size_t errlen)
{
	struct status_reader *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->conninfo = strdup(cfg->conninfo)) == NULL ||
	    (r->region = strdup(cfg->region)) == NULL) {
		pf_errf(err, errlen, "out of memory");
		status_reader_close(r);
		return NULL;
	}
	if (cfg->password_file != NULL && cfg->password_file[0] != '\0') {
		if (db_password_read(cfg->password_file, r->password, err, errlen) == -1) {
			status_reader_close(r);
			return NULL;
		}
		r->has_password = true;
	}
	r->loop = loop;
	r->sock = -1;
	r->refresh_s = (cfg->refresh_ms != 0 ? cfg->refresh_ms : 60000) / 1000.0;
	r->min_s = (cfg->min_ms != 0 ? cfg->min_ms : 5000) / 1000.0;
	r->timeout_s = (cfg->timeout_ms != 0 ? cfg->timeout_ms : 10000) / 1000.0;
	r->last_start = -r->min_s;
	ev_init(&r->io, io_cb);
	ev_init(&r->deadline, deadline_cb);
	ev_timer_init(&r->tick, tick_cb, 0.0, r->refresh_s);
	ev_timer_start(loop, &r->tick);
	return r;
}

void status_reader_close(struct status_reader *r)
{
	if (r == NULL)
		return;
	if (r->loop != NULL) {
		ev_io_stop(r->loop, &r->io);
		ev_timer_stop(r->loop, &r->tick);
		ev_timer_stop(r->loop, &r->deadline);
	}
	PQfinish(r->conn);
	free_data(&r->cur);
	free_data(&r->next);
	explicit_bzero(r->password, sizeof(r->password));
	free(r->conninfo);
	free(r->region);
	free(r);
}
