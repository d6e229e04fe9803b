/* SPDX-License-Identifier: MIT */
/*
 * What the controller's two PostgreSQL clients share (migrate.c, the CLI's
 * blocking one, and writer.c, the loop's asynchronous one): the password
 * file of the `database_password_file` key, and libpq's messages made fit
 * for one log line.
 */
#ifndef PF_CTL_DB_DBCONN_H
#define PF_CTL_DB_DBCONN_H

#include <stddef.h>

#include <libpq-fe.h>

#include "common/compiler.h"

#define DB_PASSWORD_MAX 1024

/*
 * Reads the password file at <path> into <out> (DB_PASSWORD_MAX + 1
 * bytes): a regular file of ours with mode 0600 (the admin_token_file
 * rules) holding one line of 1-DB_PASSWORD_MAX bytes. Returns 0, or -1
 * with "database_password_file <path>: reason" in <err>. Blocking: start-up
 * only. The caller wipes <out> (explicit_bzero) when done.
 */
PF_MUSTCHECK int db_password_read(const char *path, char *out, char *err, size_t errlen);

/* libpq's <msg> on one line into <out>: newlines and tabs become one space, none trails. */
void db_one_line(const char *msg, char *out, size_t outlen);

/*
 * The CLI's blocking query: runs <sql> with <n> text <params>. Returns 0
 * with the result in <*out> (the caller's to PQclear; NULL <out>: cleared
 * here), or -1 with "<what>: <server message>" in <err>. A message naming
 * <missing> (a table or function prefix) as not existing gets the hint
 * that <migration> (a file of sql/) may not be applied.
 */
PF_MUSTCHECK int db_exec(PGconn *c, const char *sql, int n, const char *const *params,
                         PGresult **out, const char *what, const char *missing,
                         const char *migration, char *err, size_t errlen);

#endif
