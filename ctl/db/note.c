/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl note TEXT`: an operational change of kind "note" (a deploy,
 * maintenance), written straight to the database with libpq's blocking
 * API: a CLI with nothing else to do. Its id is random, so a retried note is
 * a second note, as the operator meant; its time is the database's now().
 */
#include "ctl/db/note.h"

#include <sys/random.h>

#include <string.h>

#include <libpq-fe.h>

#include "common/text.h"
#include "ctl/db/dbconn.h"
#include "ctl/db/migrate.h"

int note_write(const struct note_opts *o, FILE *out, char *err, size_t errlen)
{
	struct migrate_opts mo = {o->conninfo, o->password_file, NULL};
	const char *params[4];
	unsigned char raw[16];
	char id[40], why[512];
	PGresult *res;
	PGconn *c;
	int rc = 0;

	if (o->text == NULL || o->text[0] == '\0' || strlen(o->text) > NOTE_TEXT_MAX) {
		pf_errf(err, errlen, "the note must be 1-%d bytes", NOTE_TEXT_MAX);
		return 2;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		pf_errf(err, errlen, "getrandom: no randomness for the note's id");
		return 1;
	}
	memcpy(id, "note-", 5);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 5 + 2 * i, 3, "%02x", raw[i]);
	c = migrate_connect(&mo, &rc, err, errlen);
	if (c == NULL)
		return rc;
	params[0] = id;
	params[1] = o->region;
	params[2] = o->who;
	params[3] = o->text;
	res = PQexecParams(c,
	                   "INSERT INTO operational_changes (id, at, region, kind, who, summary) "
	                   "VALUES ($1, now(), $2, 'note', $3, $4)",
	                   4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_one_line(PQresultErrorMessage(res), why, sizeof(why));
		pf_errf(err, errlen, "the note was not recorded: %s", why);
		rc = 1;
	} else {
		fprintf(out, "note %s recorded for region %s by %s\n", id, o->region, o->who);
	}
	PQclear(res);
	PQfinish(c);
	return rc;
}
