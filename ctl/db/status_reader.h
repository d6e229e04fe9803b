/* SPDX-License-Identifier: MIT */
/*
 * The status page's reads from PostgreSQL (ctl/web/history.h): its own
 * connection, apart from the writer's, driven by libpq's asynchronous API
 * on the controller's loop, so a slow or dead database never blocks a
 * round or a request. It reads the uptime of each of this region's chains
 * per UTC day (sql/003_report.sql's report_timeline cut at midnights) and
 * the open and recent incidents (report_incidents), every refresh_ms and
 * when someone looks (status_reader_poke), at most once per min_ms. The
 * last answer is kept: a failed refresh leaves it in place, marked stale
 * with the reason, and the connection is opened again at the next refresh.
 */
#ifndef PF_CTL_DB_STATUS_READER_H
#define PF_CTL_DB_STATUS_READER_H

#include <stddef.h>

#include "common/compiler.h"
#include "ctl/web/history.h"

struct ev_loop;
struct status_reader;

struct status_reader_cfg {
	const char *conninfo;      /* libpq connection string, no password */
	const char *password_file; /* NULL or "": PGPASSWORD / ~/.pgpass */
	const char *region;
	unsigned refresh_ms; /* 0: 60000 */
	unsigned min_ms;     /* 0: 5000 */
	unsigned timeout_ms; /* one refresh, connecting included; 0: 10000 */
};

/*
 * Starts the first refresh on <loop> at once. Returns the reader, or NULL
 * with the reason in <err> (the password file refused, memory). Never
 * waits for the database. The password file is read here (blocking: start-up).
 */
PF_MUSTCHECK struct status_reader *status_reader_open(struct ev_loop *loop,
                                                      const struct status_reader_cfg *cfg,
                                                      char *err, size_t errlen);

/* Someone looks at the page: refresh now unless one is running or began within min_ms. */
void status_reader_poke(struct status_reader *r);

/*
 * The latest history; valid until control returns to the loop (a refresh
 * replaces it only from a libev callback). Never NULL for a reader.
 */
const struct status_history *status_reader_history(const struct status_reader *r);

/* Closes the connection and frees <r>. NULL is a no-op. */
void status_reader_close(struct status_reader *r);

#endif
