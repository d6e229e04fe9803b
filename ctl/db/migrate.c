/* SPDX-License-Identifier: MIT */
/*
 * libpq and file I/O for `db migrate` and `db status` (see migrate.h).
 * Every statement is a fixed text; the only values sent are parameters.
 */
#include "ctl/db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/file.h"
#include "common/text.h"
#include "ctl/db/dbconn.h"
#include "ctl/db/migplan.h"

/* The table is created by migrate, before the lock is released, and never by a migration. */
static const char create_table[] = "CREATE TABLE IF NOT EXISTS polkfura_migrations ("
                                   " name text PRIMARY KEY,"
                                   " checksum text NOT NULL,"
                                   " applied_at timestamptz NOT NULL DEFAULT now())";

struct sql_dir {
	struct mig_file *files; /* each with its text, NUL-terminated */
	size_t n;
};

static void sql_dir_free(struct sql_dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->files[i].text);
	free(d->files);
	*d = (struct sql_dir){0};
}

/* Reads one migration file into slot d->n; returns 0 or -1 with <err>. */
static int read_one(struct sql_dir *d, const char *dir, const char *name, unsigned num, char *err,
                    size_t errlen)
{
	char path[4096];
	size_t len;
	char *text;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = pf_read_file(path, MIGRATE_FILE_MAX, &len, err, errlen);
	if (text == NULL)
		return -1;
	if (memchr(text, '\0', len) != NULL) {
		pf_errf(err, errlen, "%s: holds a NUL byte", path);
		free(text);
		return -1;
	}
	d->files[d->n].num = num;
	(void)snprintf(d->files[d->n].name, sizeof(d->files[d->n].name), "%s", name);
	sha256_hex((const uint8_t *)text, len, d->files[d->n].sum);
	d->files[d->n++].text = text;
	return 0;
}

/* Reads every NNN_*.sql of <dir>, sorted. Returns 0, or -1 with <err> (nothing to free). */
static int sql_dir_read(struct sql_dir *d, const char *dir, char *err, size_t errlen)
{
	DIR *dh = opendir(dir);
	const struct dirent *de;
	unsigned num;

	*d = (struct sql_dir){0};
	if (dh == NULL) {
		pf_errf(err, errlen, "--sql-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	d->files = calloc(MIGPLAN_MAX, sizeof(d->files[0]));
	if (d->files == NULL) {
		pf_errf(err, errlen, "out of memory");
		goto fail;
	}
	while ((de = readdir(dh)) != NULL) {
		if (!mig_name_parse(de->d_name, &num))
			continue;
		/* Numbers are 001-999, so a full array means a shared number; mig_sort names it. */
		if (d->n == MIGPLAN_MAX) {
			pf_errf(err, errlen, "--sql-dir %s: more than %d migrations", dir,
			        MIGPLAN_MAX);
			goto fail;
		}
		if (read_one(d, dir, de->d_name, num, err, errlen) == -1)
			goto fail;
	}
	closedir(dh);
	dh = NULL;
	if (mig_sort(d->files, d->n, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	if (dh != NULL)
		closedir(dh);
	sql_dir_free(d);
	return -1;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connects; returns the connection, or NULL with the reason and <*rc> (1, or 2 for the file). */
static PGconn *connect_db(const struct migrate_opts *o, int *rc, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "application_name", "password", NULL};
	const char *vals[] = {o->conninfo, "polkfura-ctl", NULL, NULL};
	char password[DB_PASSWORD_MAX + 1], why[512];
	PGconn *c;

	if (o->password_file != NULL && o->password_file[0] != '\0') {
		if (db_password_read(o->password_file, password, err, errlen) == -1) {
			*rc = 2;
			return NULL;
		}
		vals[2] = password;
	} else {
		keys[2] = NULL;
	}
	c = PQconnectdbParams(keys, vals, 1);
	explicit_bzero(password, sizeof(password));
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		db_one_line(c != NULL ? PQerrorMessage(c) : "out of memory", why, sizeof(why));
		pf_errf(err, errlen, "cannot reach the database: %s", why);
		PQfinish(c);
		*rc = 1;
		return NULL;
	}
	/* "relation already exists, skipping" and the like are not for the operator. */
	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

/* Runs <sql> (no parameters); returns 0, or -1 with "<what>: <server message>" in <err>. */
static int exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	char why[1024];

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(r);
		return 0;
	}
	db_one_line(PQerrorMessage(c), why, sizeof(why));
	pf_errf(err, errlen, "%s: %s", what, why);
	PQclear(r);
	return -1;
}

/*
 * The table's rows into <*out> (malloc'd, <*n> of them, with applied_at in
 * <*when> when not NULL). A missing table is no rows. Returns 0 or -1.
 */
static int read_applied(PGconn *c, struct mig_file **out, char ***when, size_t *n, char *err,
                        size_t errlen)
{
	char why[1024];
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	/* A fresh database has no table yet: nothing applied. */
	r = PQexec(c, "SELECT to_regclass('polkfura_migrations') IS NULL");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = PQexec(c, "SELECT name, checksum, to_char(applied_at AT TIME ZONE 'UTC', "
	              "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM polkfura_migrations ORDER BY name");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		db_one_line(PQerrorMessage(c), why, sizeof(why));
		pf_errf(err, errlen, "reading polkfura_migrations: %s", why);
		PQclear(r);
		return -1;
	}
	rows = PQntuples(r);
	*out = calloc((size_t)rows + 1, sizeof(**out));
	if (when != NULL)
		*when = calloc((size_t)rows + 1, sizeof(**when));
	if (*out == NULL || (when != NULL && *when == NULL)) {
		pf_errf(err, errlen, "out of memory");
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < rows; i++) {
		(void)snprintf((*out)[i].name, sizeof((*out)[i].name), "%s", PQgetvalue(r, i, 0));
		(void)snprintf((*out)[i].sum, sizeof((*out)[i].sum), "%s", PQgetvalue(r, i, 1));
		if (when != NULL)
			(*when)[i] = strdup(PQgetvalue(r, i, 2));
	}
	*n = (size_t)rows;
	PQclear(r);
	return 0;
}

/* Applies migration <i> of <d> in its own transaction. Returns 0 or -1 with <err>. */
static int apply_one(PGconn *c, const struct sql_dir *d, size_t i, char *err, size_t errlen)
{
	const char *vals[2] = {d->files[i].name, d->files[i].sum};
	PGresult *r;
	char why[1024];

	if (exec_ok(c, "BEGIN", d->files[i].name, err, errlen) == -1)
		return -1;
	if (exec_ok(c, d->files[i].text, d->files[i].name, err, errlen) == -1)
		goto rollback;
	r = PQexecParams(c, "INSERT INTO polkfura_migrations (name, checksum) VALUES ($1, $2)", 2,
	                 NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		db_one_line(PQerrorMessage(c), why, sizeof(why));
		pf_errf(err, errlen, "%s: recording it: %s", d->files[i].name, why);
		PQclear(r);
		goto rollback;
	}
	PQclear(r);
	if (exec_ok(c, "COMMIT", d->files[i].name, err, errlen) == -1)
		return -1;
	return 0;
rollback:
	PQclear(PQexec(c, "ROLLBACK"));
	return -1;
}

/* Names the first row in an error state in <err>; returns true when there is one. */
static bool plan_error(const struct mig_row *rows, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (mig_row_is_error(rows[i].state)) {
			pf_errf(err, errlen, "%s: %s; refusing to migrate", rows[i].name,
			        mig_state_name(rows[i].state));
			return true;
		}
	return false;
}

/* Under the lock: the table, the plan, then each pending migration. */
static int migrate_locked(PGconn *c, struct sql_dir *d, FILE *out, char *err, size_t errlen)
{
	struct mig_file *applied = NULL;
	struct mig_row *rows = NULL;
	size_t na = 0, nrows, done = 0, before = 0;
	int rc = 1;

	if (exec_ok(c, create_table, "creating polkfura_migrations", err, errlen) == -1 ||
	    read_applied(c, &applied, NULL, &na, err, errlen) == -1)
		goto out;
	rows = calloc(d->n + na + 1, sizeof(*rows));
	if (rows == NULL) {
		pf_errf(err, errlen, "out of memory");
		goto out;
	}
	nrows = mig_plan(d->files, d->n, applied, na, rows);
	if (plan_error(rows, nrows, err, errlen))
		goto out;
	for (size_t i = 0; i < d->n; i++) {
		bool pending = false;

		for (size_t j = 0; j < nrows; j++)
			pending = pending || (rows[j].name == d->files[i].name &&
			                      rows[j].state == MIG_PENDING);
		if (!pending) {
			before++;
			continue;
		}
		if (apply_one(c, d, i, err, errlen) == -1)
			goto out;
		fprintf(out, "applied %s (sha256 %.12s)\n", d->files[i].name, d->files[i].sum);
		done++;
	}
	fprintf(out, "db migrate: %zu applied now, %zu already applied, %zu in total\n", done,
	        before, d->n);
	rc = 0;
out:
	free(rows);
	free(applied);
	return rc;
}

int migrate_run(const struct migrate_opts *o, FILE *out, char *err, size_t errlen)
{
	struct sql_dir d;
	PGconn *c;
	int rc = 2;

	if (sql_dir_read(&d, o->sql_dir, err, errlen) == -1)
		return 2;
	c = connect_db(o, &rc, err, errlen);
	if (c == NULL)
		goto out;
	/* Waits for another migrate; released when the session ends, whatever happens. */
	rc = 1;
	if (exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migrate lock",
	            err, errlen) == 0)
		rc = migrate_locked(c, &d, out, err, errlen);
	PQfinish(c);
out:
	sql_dir_free(&d);
	return rc;
}

static const char *when_of(const struct mig_file *applied, char **when, size_t na, const char *name)
{
	for (size_t i = 0; i < na; i++)
		if (strcmp(applied[i].name, name) == 0)
			return when[i] != NULL ? when[i] : "";
	return "";
}

int migrate_status(const struct migrate_opts *o, FILE *out, char *err, size_t errlen)
{
	struct mig_file *applied = NULL;
	struct mig_row *rows = NULL;
	char **when = NULL;
	size_t na = 0, nrows, counts[2] = {0, 0};
	struct sql_dir d;
	PGconn *c;
	int rc = 2;

	if (sql_dir_read(&d, o->sql_dir, err, errlen) == -1)
		return 2;
	c = connect_db(o, &rc, err, errlen);
	if (c == NULL)
		goto out;
	rc = 1;
	if (read_applied(c, &applied, &when, &na, err, errlen) == -1)
		goto out;
	rows = calloc(d.n + na + 1, sizeof(*rows));
	if (rows == NULL) {
		pf_errf(err, errlen, "out of memory");
		goto out;
	}
	nrows = mig_plan(d.files, d.n, applied, na, rows);
	for (size_t i = 0; i < nrows; i++) {
		const char *at = when_of(applied, when, na, rows[i].name);

		fprintf(out, "%-40s %s%s%s\n", rows[i].name, mig_state_name(rows[i].state),
		        at[0] != '\0' ? " " : "", at);
		counts[rows[i].state == MIG_APPLIED ? 0 : 1] += rows[i].state <= MIG_PENDING;
	}
	fprintf(out, "db status: %zu applied, %zu pending\n", counts[0], counts[1]);
	rc = plan_error(rows, nrows, err, errlen) ? 1 : 0;
out:
	for (size_t i = 0; when != NULL && i < na; i++)
		free(when[i]);
	free(when);
	free(rows);
	free(applied);
	PQfinish(c);
	sql_dir_free(&d);
	return rc;
}
