/* SPDX-License-Identifier: MIT */
/* `polkfura-ctl note TEXT`: one operational change of kind "note" in the database. */
#ifndef PF_CTL_DB_NOTE_H
#define PF_CTL_DB_NOTE_H

#include <stddef.h>
#include <stdio.h>

#define NOTE_TEXT_MAX 511 /* REC_TEXT_MAX: what the controller's own records hold */

struct note_opts {
	const char *conninfo;
	const char *password_file; /* NULL or "": PGPASSWORD */
	const char *region;
	const char *who; /* "user@host" */
	const char *text;
};

/*
 * Inserts the note; prints one line with its id to <out>. Returns 0, 1 when
 * the database cannot be reached or refuses it, 2 for an empty or too long
 * text or an unusable password file; the reason in <err>. Blocking.
 */
int note_write(const struct note_opts *o, FILE *out, char *err, size_t errlen);

#endif
