/* SPDX-License-Identifier: MIT */
/*
 * The methods table: parses haproxy/methods.tsv into one immutable block that
 * holds an open-addressing hash table (power-of-two capacity, load <= 0.5,
 * linear probing) followed by a string arena with the names. The block is
 * never changed after methods_parse() returns, so lookups from many threads
 * need no lock. Only methods_load_file() does I/O (one read of the file);
 * nothing here logs: errors go into the caller's buffer.
 *
 * File format (strict, so a typo fails the reload instead of silently
 * changing a class):
 *   - line 1 is exactly "method<TAB>class<TAB>note";
 *   - every other line is "method<TAB>class" optionally followed by
 *     "<TAB>note"; the note is free text up to the end of the line (it may
 *     be empty and may hold further tabs) and is ignored;
 *   - method: 1..RPC_METHOD_MAX bytes, no space, control byte or DEL (JSON
 *     names longer than RPC_METHOD_MAX are never looked up, so such a row
 *     could never match); class: read, heavy, submit, subscribe or unsafe;
 *   - lines end in LF or CRLF (the last one may lack it); a CR anywhere else,
 *     a NUL byte, an empty line or a line over METHODS_LINE_MAX bytes is an
 *     error; a method named twice is an error; at least one row is required.
 */
#include "spoa/methods.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/file.h"
#include "common/text.h"

#define METHODS_LINE_MAX 4096               /* bytes per line, line end excluded */
#define METHODS_FILE_MAX (4u * 1024 * 1024) /* methods_load_file() refuses bigger files */
#define METHODS_HEADER   "method\tclass\tnote"

struct methods_entry {
	uint32_t hash;     /* high half of the name's hash; 0 is a valid value */
	uint32_t name_off; /* offset of the name in the arena */
	uint32_t line;     /* source line, for the duplicate message */
	uint8_t name_len;  /* 0 marks an empty slot (names are never empty) */
	uint8_t cls;       /* enum rpc_class */
};

struct methods {
	size_t count;
	size_t mask;                 /* capacity - 1; capacity is a power of two >= 2 * count */
	struct methods_entry *slots; /* owned: points into this same allocation */
	char *arena;                 /* owned: names, not NUL-terminated, same allocation */
};

/* One parsed row; pointers are borrowed from the text being parsed. */
struct methods_row {
	const char *name;
	size_t name_len;
	enum rpc_class cls;
};

static inline uint64_t methods_load64(const char *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w;
}

static inline uint64_t methods_load32(const char *s)
{
	uint32_t w;

	memcpy(&w, s, 4);
	return w;
}

static inline uint64_t methods_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

/*
 * Word-at-a-time multiply/xor-shift hash (splitmix64 steps): a much shorter
 * dependency chain than byte-wise FNV-1a on the 10-40 byte names, and only
 * fixed-size loads (no memcpy call). The tail is read as an overlapping
 * word, so every load stays inside <s>/<len>. Quality is ample for a few
 * hundred names.
 */
static uint64_t methods_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len;
	size_t i;

	if (len >= 8) {
		for (i = 0; i + 8 < len; i += 8)
			h = methods_mix(h, methods_load64(s + i));
		h = methods_mix(h, methods_load64(s + len - 8));
	} else if (len >= 4) {
		h = methods_mix(h, methods_load32(s) << 32 | methods_load32(s + len - 4));
	} else if (len > 0) {
		h = methods_mix(h, (uint64_t)(uint8_t)s[0] << 16 |
		                       (uint64_t)(uint8_t)s[len / 2] << 8 | (uint8_t)s[len - 1]);
	}
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

/* Splits one row (line end already removed). Returns false with <err> set. */
static bool methods_parse_row(const char *line, size_t n, size_t lineno, struct methods_row *row,
                              char *err, size_t errlen)
{
	const char *tab1 = memchr(line, '\t', n);
	const char *cls, *cls_end;
	size_t i;

	if (n == 0) {
		pf_errf(err, errlen, "line %zu: empty line", lineno);
		return false;
	}
	if (!tab1) {
		pf_errf(err, errlen, "line %zu: missing class column", lineno);
		return false;
	}
	row->name = line;
	row->name_len = (size_t)(tab1 - line);
	if (row->name_len == 0) {
		pf_errf(err, errlen, "line %zu: empty method", lineno);
		return false;
	}
	if (row->name_len > RPC_METHOD_MAX) {
		pf_errf(err, errlen, "line %zu: method longer than %d bytes", lineno,
		        RPC_METHOD_MAX);
		return false;
	}
	for (i = 0; i < row->name_len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c <= 0x20 || c == 0x7f) {
			pf_errf(err, errlen, "line %zu: space or control byte in method", lineno);
			return false;
		}
	}
	cls = tab1 + 1;
	cls_end = memchr(cls, '\t', (size_t)(line + n - cls));
	if (!cls_end)
		cls_end = line + n;
	if (!rpc_class_parse(cls, (size_t)(cls_end - cls), &row->cls)) {
		pf_errf(err, errlen,
		        "line %zu: unknown class \"%.*s\" (read, heavy, submit, subscribe, "
		        "unsafe)",
		        lineno, (int)((cls_end - cls) > 32 ? 32 : (cls_end - cls)), cls);
		return false;
	}
	return true;
}

/* Inserts a validated row; returns false with <err> set when the name is already there. */
static bool methods_insert(struct methods *m, size_t *arena_used, const struct methods_row *row,
                           size_t lineno, char *err, size_t errlen)
{
	uint64_t h = methods_hash(row->name, row->name_len);
	size_t i = (size_t)h & m->mask;
	struct methods_entry *e;

	for (;; i = (i + 1) & m->mask) {
		e = &m->slots[i];
		if (e->name_len == 0)
			break;
		if (e->hash == (uint32_t)(h >> 32) && e->name_len == row->name_len &&
		    memcmp(m->arena + e->name_off, row->name, row->name_len) == 0) {
			pf_errf(err, errlen, "line %zu: duplicate method %.*s (first on line %u)",
			        lineno, (int)row->name_len, row->name, e->line);
			return false;
		}
	}
	memcpy(m->arena + *arena_used, row->name, row->name_len);
	e->hash = (uint32_t)(h >> 32);
	e->name_off = (uint32_t)*arena_used;
	e->line = (uint32_t)lineno;
	e->name_len = (uint8_t)row->name_len;
	e->cls = (uint8_t)row->cls;
	*arena_used += row->name_len;
	m->count++;
	return true;
}

/*
 * Walks all lines of <text>. With <m> NULL it only validates and counts rows
 * and name bytes into <rows>/<bytes>; with <m> set it inserts every row (the
 * text was validated by the first walk, so only duplicates can fail then).
 */
static bool methods_walk(const char *text, size_t len, struct methods *m, size_t *rows,
                         size_t *bytes, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0, arena_used = 0;
	struct methods_row row;

	*rows = 0;
	*bytes = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > METHODS_LINE_MAX) {
			pf_errf(err, errlen, "line %zu: longer than %d bytes", lineno,
			        METHODS_LINE_MAX);
			return false;
		}
		if (memchr(p, '\0', n)) {
			pf_errf(err, errlen, "line %zu: NUL byte", lineno);
			return false;
		}
		if (memchr(p, '\r', n)) {
			pf_errf(err, errlen, "line %zu: CR not followed by LF", lineno);
			return false;
		}
		if (lineno == 1) {
			if (n != sizeof(METHODS_HEADER) - 1 || memcmp(p, METHODS_HEADER, n) != 0) {
				pf_errf(err, errlen,
				        "line 1: bad header (want method<TAB>class<TAB>note)");
				return false;
			}
		} else {
			if (!methods_parse_row(p, n, lineno, &row, err, errlen))
				return false;
			if (m && !methods_insert(m, &arena_used, &row, lineno, err, errlen))
				return false;
			(*rows)++;
			*bytes += row.name_len;
		}
		p = nl ? nl + 1 : end;
	}
	if (lineno == 0) {
		pf_errf(err, errlen, "line 1: empty file, missing header");
		return false;
	}
	if (*rows == 0) {
		pf_errf(err, errlen, "line %zu: no method rows", lineno + 1);
		return false;
	}
	return true;
}

struct methods *methods_parse(const char *text, size_t len, char *err, size_t errlen)
{
	size_t rows, bytes, cap = 8, size;
	struct methods *m;

	if (!text && len > 0) {
		pf_errf(err, errlen, "line 1: no text");
		return NULL;
	}
	if (!methods_walk(text ? text : "", len, NULL, &rows, &bytes, err, errlen))
		return NULL;
	/* Each row takes at least 4 bytes of <text>, so these cannot overflow. */
	while (cap < 2 * rows)
		cap *= 2;
	if (bytes > UINT32_MAX || cap > SIZE_MAX / 2 / sizeof(struct methods_entry)) {
		pf_errf(err, errlen, "line 1: table too large");
		return NULL;
	}
	size = sizeof(*m) + cap * sizeof(struct methods_entry) + bytes;
	m = calloc(1, size);
	if (!m) {
		pf_errf(err, errlen, "out of memory (%zu bytes)", size);
		return NULL;
	}
	m->mask = cap - 1;
	m->slots = (struct methods_entry *)(void *)(m + 1);
	m->arena = (char *)(m->slots + cap);
	if (!methods_walk(text, len, m, &rows, &bytes, err, errlen)) {
		free(m);
		return NULL;
	}
	return m;
}

struct methods *methods_load_file(const char *path, char *err, size_t errlen)
{
	char sub[256];
	struct methods *m;
	size_t n;
	char *buf = pf_read_file(path, METHODS_FILE_MAX, &n, err, errlen);

	if (buf == NULL)
		return NULL;
	m = methods_parse(buf, n, sub, sizeof(sub));
	if (!m)
		pf_errf(err, errlen, "%s: %s", path, sub);
	free(buf);
	return m;
}

bool methods_lookup(const struct methods *m, const char *name, size_t len, enum rpc_class *cls)
{
	const struct methods_entry *e;
	uint64_t h;
	size_t i;

	if (!m || len == 0 || len > RPC_METHOD_MAX)
		return false;
	h = methods_hash(name, len);
	for (i = (size_t)h & m->mask;; i = (i + 1) & m->mask) {
		e = &m->slots[i];
		if (e->name_len == 0)
			return false;
		if (e->hash == (uint32_t)(h >> 32) && e->name_len == len &&
		    memcmp(m->arena + e->name_off, name, len) == 0) {
			*cls = (enum rpc_class)e->cls;
			return true;
		}
	}
}

size_t methods_count(const struct methods *m)
{
	return m ? m->count : 0;
}

void methods_free(struct methods *m)
{
	free(m);
}
