/* SPDX-License-Identifier: MIT */
/*
 * A throw-away PostgreSQL for the db suites: a copy of a cluster made by
 * initdb once per suite run, in a directory under the test's temp dir,
 * `postgres -D` started through h_spawn (so it is registered, stopped with
 * SIGTERM, a smart shutdown, and its exit status 0 asserted), listening
 * only on a unix socket in that directory, never on TCP. As root (CI) it
 * runs as the `postgres` user, which must exist (the Debian package makes
 * it); the directory is then owned by postgres.
 *
 * The binaries are those of the newest /usr/lib/postgresql/<version>/bin,
 * or of $PF_PG_BIN when set.
 */
#ifndef PF_TESTS_HARNESS_PG_H
#define PF_TESTS_HARNESS_PG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct h_pg {
	pid_t pid;
	int port;           /* only the socket's name: .s.PGSQL.<port> */
	char dir[256];      /* data/ and the socket */
	char log[512];      /* postgres's stderr */
	char conninfo[512]; /* "host=<dir> port=<port> user=postgres dbname=postgres" */
	char bin[256];      /* the directory of initdb, postgres, psql, pg_isready */
};

/*
 * Makes a cluster and starts it; waits (pg_isready, polled) until it
 * accepts connections. Returns false, with the reason on stderr, when any
 * step fails. Every start makes a new, empty cluster.
 */
bool h_pg_start(struct h_pg *pg);

/*
 * Stops it for a while: SIGINT (a fast shutdown, which ends the sessions of
 * the clients still connected; a smart one would wait for them), exit
 * status 0 asserted; the directory stays. Fails the test if it was not
 * running.
 */
void h_pg_pause(struct h_pg *pg);

/*
 * Starts the paused cluster again on the same directory, data and socket,
 * and polls until it accepts connections. It is then registered to stop on
 * SIGINT (fast), since clients started before it may still be connected
 * when a teardown stops it first. Returns false, with the reason on stderr.
 */
bool h_pg_resume(struct h_pg *pg);

/* Stops it with SIGTERM and asserts exit status 0 (h_stop_child); then removes its directory. */
void h_pg_stop(struct h_pg *pg);

/*
 * Runs the SQL <sql> with psql (unaligned, tuples only, stop at the first
 * error) on database <db> (NULL: postgres), output in <out>. Returns
 * psql's exit code, -1 if it did not exit.
 */
int h_pg_sql(const struct h_pg *pg, const char *db, const char *sql, char *out, size_t outlen);

/*
 * psql's answer to <sql> on database postgres, as h_pg_sql() gives it with
 * the trailing newlines cut, in a static buffer valid until the next call.
 * Fails the test, with the SQL and psql's message, when psql does not exit 0.
 */
const char *h_pg_q(const struct h_pg *pg, const char *sql);

/*
 * h_pg_start(), then the schema of sql/ applied by `polkfura-ctl db migrate`
 * with a controller config naming the database (region "test", one chain)
 * written to the file named in <cfg> (<cfglen> bytes), for later commands
 * to use; and an empty spool directory for a controller, named in <spool>
 * (<spoollen> bytes). Fails the test on any error.
 */
void h_pg_start_migrated(struct h_pg *pg, char *cfg, size_t cfglen, char *spool, size_t spoollen);

#endif
