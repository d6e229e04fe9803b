/* SPDX-License-Identifier: MIT */
/*
 * The password file and libpq's messages on one line (see dbconn.h).
 */
#include "ctl/db/dbconn.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/text.h"

int db_password_read(const char *path, char *out, char *err, size_t errlen)
{
	struct stat sb;
	size_t len;
	char *text;

	if (stat(path, &sb) == -1) {
		pf_errf(err, errlen, "database_password_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0 || sb.st_uid != geteuid()) {
		pf_errf(err, errlen,
		        "database_password_file %s: must be a regular file of uid %u with mode "
		        "0600 (is mode %04o, uid %u)",
		        path, (unsigned)geteuid(), (unsigned)(sb.st_mode & 07777),
		        (unsigned)sb.st_uid);
		return -1;
	}
	text = pf_read_file(path, DB_PASSWORD_MAX + 1, &len, err, errlen);
	if (text == NULL)
		return -1;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len == 0 || len > DB_PASSWORD_MAX || memchr(text, '\n', len) != NULL ||
	    memchr(text, '\0', len) != NULL) {
		pf_errf(err, errlen, "database_password_file %s: expected one line of 1-%d bytes",
		        path, DB_PASSWORD_MAX);
		explicit_bzero(text, len);
		free(text);
		return -1;
	}
	memcpy(out, text, len);
	out[len] = '\0';
	explicit_bzero(text, len);
	free(text);
	return 0;
}

void db_one_line(const char *msg, char *out, size_t outlen)
{
	size_t n = 0;

	for (const char *p = msg; *p != '\0' && n + 1 < outlen; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r') {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = *p;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

int db_exec(PGconn *c, const char *sql, int n, const char *const *params, PGresult **out,
            const char *what, const char *missing, const char *migration, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	char why[1024];
	bool unmigrated;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		if (out != NULL)
			*out = r;
		else
			PQclear(r);
		return 0;
	}
	db_one_line(PQerrorMessage(c), why, sizeof(why));
	unmigrated = strstr(why, missing) != NULL && strstr(why, "does not exist") != NULL;
	pf_errf(err, errlen, "%s: %s%s%s%s", what, why, unmigrated ? " (is sql/" : "",
	        unmigrated ? migration : "",
	        unmigrated ? " applied? polkfura-ctl db migrate)" : "");
	PQclear(r);
	return -1;
}
