/* SPDX-License-Identifier: MIT */
/* The files.txt and SHA256SUMS lines of filelist.h, both ways. */
#include "ctl/snapshot/filelist.h"

#include <stdbool.h>
#include <string.h>

static const char *const reason_text[FILELIST_REASON_COUNT] = {
    [FILELIST_OK] = "ok",
    [FILELIST_UNSAFE] = "an unsafe path",
    [FILELIST_RCLONE] = "a path rclone would read differently ('#' or ';' first, or white "
                        "space at an end)",
    [FILELIST_ORDER] = "a path not after the one before (a duplicate, or out of order)",
    [FILELIST_SYNTAX] = "not a list line",
    [FILELIST_TOO_LONG] = "no room left for the line",
};

const char *filelist_reason_text(enum filelist_reason r)
{
	return (unsigned)r < FILELIST_REASON_COUNT ? reason_text[r] : "an unknown reason";
}

/* What Go's strings.TrimSpace, which rclone uses, strips within ASCII. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

enum filelist_reason filelist_check_path(const char *path, size_t len, enum safepath_reason *sp)
{
	enum safepath_reason r = safepath_check(path, len);

	if (sp != NULL)
		*sp = r;
	if (r != SAFEPATH_OK)
		return FILELIST_UNSAFE;
	if (path[0] == '#' || path[0] == ';' || is_space(path[0]) || is_space(path[len - 1]))
		return FILELIST_RCLONE;
	return FILELIST_OK;
}

/* Byte order, shorter first on a common prefix: what `LC_ALL=C sort` gives. */
static bool is_after(const char *p, size_t n, const char *prev, size_t prevlen)
{
	size_t min = n < prevlen ? n : prevlen;
	int c;

	if (prev == NULL)
		return true;
	c = memcmp(p, prev, min);
	return c > 0 || (c == 0 && n > prevlen);
}

static bool is_sha256_hex(const char *s)
{
	for (size_t i = 0; i < FILELIST_SHA256_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int fail(struct filelist_error *e_out, enum filelist_reason r, enum safepath_reason sp)
{
	e_out->reason = r;
	e_out->safepath = sp;
	return -1;
}

int filelist_append(char *out, size_t cap, size_t *off, int sums, const struct filelist_entry *e,
                    const char *prev, size_t prevlen, struct filelist_error *e_out)
{
	enum safepath_reason sp = SAFEPATH_OK;
	enum filelist_reason r = filelist_check_path(e->path, e->len, &sp);
	size_t need = e->len + 1 + (sums ? FILELIST_SHA256_HEX + 2 : 0);
	char *w;

	if (r != FILELIST_OK)
		return fail(e_out, r, sp);
	if (!is_after(e->path, e->len, prev, prevlen))
		return fail(e_out, FILELIST_ORDER, sp);
	if (sums && (strlen(e->sha256) != FILELIST_SHA256_HEX || !is_sha256_hex(e->sha256)))
		return fail(e_out, FILELIST_SYNTAX, sp);
	if (*off > cap || cap - *off < need)
		return fail(e_out, FILELIST_TOO_LONG, sp);
	w = out + *off;
	if (sums) {
		memcpy(w, e->sha256, FILELIST_SHA256_HEX);
		memcpy(w + FILELIST_SHA256_HEX, "  ", 2);
		w += FILELIST_SHA256_HEX + 2;
	}
	memcpy(w, e->path, e->len);
	w[e->len] = '\n';
	*off += need;
	return 0;
}

int filelist_next(const char *p, size_t len, size_t *off, int sums, struct filelist_entry *e,
                  const char *prev, size_t prevlen, struct filelist_error *e_out)
{
	enum safepath_reason sp = SAFEPATH_OK;
	enum filelist_reason r;
	const char *line, *nl;
	size_t n;

	for (;;) {
		if (*off >= len)
			return 0;
		line = p + *off;
		e_out->line++;
		nl = memchr(line, '\n', len - *off);
		if (nl == NULL)
			return fail(e_out, FILELIST_SYNTAX, sp);
		n = (size_t)(nl - line);
		*off += n + 1;
		/* rclone's comments and empty lines; SHA256SUMS from our writer has none. */
		if (!sums && (n == 0 || line[0] == '#' || line[0] == ';'))
			continue;
		break;
	}
	e->sha256[0] = '\0';
	if (sums) {
		if (n < FILELIST_SHA256_HEX + 3 || !is_sha256_hex(line) ||
		    memcmp(line + FILELIST_SHA256_HEX, "  ", 2) != 0)
			return fail(e_out, FILELIST_SYNTAX, sp);
		memcpy(e->sha256, line, FILELIST_SHA256_HEX);
		e->sha256[FILELIST_SHA256_HEX] = '\0';
		line += FILELIST_SHA256_HEX + 2;
		n -= FILELIST_SHA256_HEX + 2;
	}
	r = filelist_check_path(line, n, &sp);
	if (r != FILELIST_OK)
		return fail(e_out, r, sp);
	if (!is_after(line, n, prev, prevlen))
		return fail(e_out, FILELIST_ORDER, sp);
	e->path = line;
	e->len = n;
	return 1;
}
