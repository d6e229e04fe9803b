/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl db migrate` and `db status`: the schema migrations of the
 * sql directory against the database of the `database` key, through
 * libpq's synchronous API (a CLI command; the controller's own writes come
 * later, asynchronous). What to apply is decided by migplan.c; this module
 * reads the files, talks to PostgreSQL and prints.
 *
 * Migrate takes the session advisory lock MIGRATE_LOCK_KEY, so two
 * migrates at once apply each migration once: the second waits for the
 * first, then finds nothing left to do. Each migration runs in its own
 * transaction with the row that records it (name, SHA-256 of the file) in
 * the table polkfura_migrations, so a failed migration leaves neither.
 */
#ifndef PF_CTL_DB_MIGRATE_H
#define PF_CTL_DB_MIGRATE_H

#include <stdio.h>

/* pg_advisory_lock key: the ASCII bytes of "polkfura" as a big-endian bigint (0x706f6c6b66757261).
 */
#define MIGRATE_LOCK_KEY "8101813463199085153"

/*
 * The region lock of the HA pair (writer.h): pg_try_advisory_lock(class,
 * hashtext(region)), the two-int4 form, which PostgreSQL keeps apart from the
 * one-bigint form of MIGRATE_LOCK_KEY (pg_locks.objsubid 2 against 1), so the
 * two never collide. The class is the ASCII bytes of "pkfr" as a big-endian int4.
 */
#define REGION_LOCK_CLASS "1886086770"

/* Largest migration file read. */
#define MIGRATE_FILE_MAX (1024 * 1024)

struct migrate_opts {
	const char *conninfo;      /* libpq connection string, no password */
	const char *password_file; /* NULL or "": libpq's PGPASSWORD / ~/.pgpass */
	const char *sql_dir;       /* holds NNN_*.sql */
};

/*
 * Applies the pending migrations of <o>->sql_dir in order, printing one
 * line per migration applied and a summary to <out>. Returns 0 (also when
 * nothing was pending), 1 with a one-line reason in <err> when the database
 * cannot be reached, a migration fails or the table disagrees with the
 * files (a changed checksum, an applied migration without its file, a
 * pending one numbered below an applied one), 2 when the sql directory or
 * the password file is unusable. Blocking.
 */
int migrate_run(const struct migrate_opts *o, FILE *out, char *err, size_t errlen);

/*
 * Prints every migration, applied or in the directory, with its state
 * (migplan.h) and, when applied, when. Returns 0, 1 when the database
 * cannot be reached or a migration is in an error state (named in <err>),
 * 2 as migrate_run. Takes no lock and changes nothing. Blocking.
 */
int migrate_status(const struct migrate_opts *o, FILE *out, char *err, size_t errlen);

#endif
