/* SPDX-License-Identifier: MIT */
/*
 * The two forms of a record (record.h) outside memory: one line of the
 * writer's spool, and the SQL statement with its text parameters that
 * writes it. Pure: no I/O, no clock; the writer (writer.c) owns the file
 * and the connection.
 *
 * A spool line is one JSON object ending in '\n', with the record's kind
 * by name and every field as a string (integers in decimal, so a 64-bit
 * value survives cJSON's doubles), optional numbers absent when unset:
 *   {"kind":"op_change","id":"s1-7","region":"eu1","at":"1700000000123",
 *    "op_kind":"note","who":"ops@h","reason":"","summary":"deploy"}
 * Decoding is strict, because a spool survives crashes and disks: the kind
 * must be known, each key known for it and present once, each text fit its
 * buffer, be valid UTF-8 without NUL (identifiers also without control
 * characters), each number fit its column, times lie in [2000, 2100).
 * A record that decodes is one the database can take, save for the
 * constraints only the database knows (an incident closed before it
 * started, a sample with more healthy nodes than nodes).
 */
#ifndef PF_CTL_DB_RECCODEC_H
#define PF_CTL_DB_RECCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/db/record.h"

/* Longest spool line, '\n' included: the largest record with every byte escaped fits. */
#define REC_LINE_MAX 16384

/* The times a record may carry: [2000-01-01, 2100-01-01) UTC, in ms. */
#define REC_AT_MIN_MS INT64_C(946684800000)
#define REC_AT_END_MS INT64_C(4102444800000)

#define REC_SQL_PARAMS_MAX 17
/* A histogram's bounds or counts as a PostgreSQL array literal: "{v,v,...}". */
#define REC_ARRAY_TEXT_MAX (REC_HIST_MAX * 21 + 3)

/* The statement that writes one record; see rec_sql_of(). */
struct rec_sql {
	const char *sql; /* static text */
	int nparams;
	const char
	    *params[REC_SQL_PARAMS_MAX];  /* NULL: SQL NULL; borrowed from the record or num */
	char num[REC_SQL_PARAMS_MAX][24]; /* the integers, in decimal */
	char arr[2][REC_ARRAY_TEXT_MAX];  /* a usage row's ta_le_ms and ta_counts */
};

/* "node_change", "chain_change", ..., or NULL for a kind out of range. */
const char *rec_kind_name(enum rec_kind k);

/* True when <r> obeys the rules above; else false with the first broken one in <err>. */
bool rec_is_valid(const struct db_record *r, char *err, size_t errlen);

/*
 * Writes <r> as one spool line, '\n' included, into <out> (<outlen>
 * bytes; REC_LINE_MAX is always enough). Returns the length, or -1 with
 * the reason in <err> when <r> is not valid (rec_is_valid) or out of
 * memory. Allocates (cJSON): for the writer's put, never a hot path.
 */
PF_MUSTCHECK int rec_line_encode(const struct db_record *r, char *out, size_t outlen, char *err,
                                 size_t errlen);

/*
 * Decodes the first line of <p>/<len> into <*r>. Returns the bytes the
 * line takes, its '\n' included (> 0); PF_AGAIN when <p> holds no '\n'
 * within REC_LINE_MAX bytes' reach (a line not complete yet, or torn);
 * PF_EPROTO with the reason in <err> when the line breaks a rule or is
 * longer than REC_LINE_MAX: the caller skips past the next '\n' itself.
 * <*r> is only meaningful on success.
 */
PF_MUSTCHECK int rec_line_decode(const uint8_t *p, size_t len, struct db_record *r, char *err,
                                 size_t errlen);

/*
 * The statement and parameters that write <r> (valid) into <*out>: an
 * INSERT ... ON CONFLICT DO NOTHING, the UPDATE that closes an incident
 * once, or the heartbeat's upsert that only moves last_seen forward. Times
 * are sent as ms since the epoch and turned into timestamptz by integer
 * arithmetic, exact to the ms. The pointers in <out> borrow from <r> and
 * <out>: keep both until the statement is sent.
 */
void rec_sql_of(const struct db_record *r, struct rec_sql *out);

#endif
