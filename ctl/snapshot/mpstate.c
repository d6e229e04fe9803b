/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/mpstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "polkfura-mpu 1"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A decimal of 1..20 digits, all of <s>/<len>, into <*v>. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Copies the rest of a line, <s>/<len>, printable and without spaces, into <out>. */
static int copy_word(const char *s, size_t len, char *out, size_t outlen)
{
	if (len == 0 || len >= outlen)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* "part N SIZE SHA256 ETAG" without the "part ". */
static int parse_part(const char *s, size_t len, struct mpstate *st)
{
	const char *f[4];
	size_t fl[4], at = 0;
	struct mpstate_part pt = {.have = true};
	uint64_t num;

	for (int i = 0; i < 4; i++) {
		const char *sp = i < 3 ? memchr(s + at, ' ', len - at) : NULL;
		size_t end = sp != NULL ? (size_t)(sp - s) : len;

		if (i < 3 && sp == NULL)
			return -1;
		f[i] = s + at;
		fl[i] = end - at;
		at = end + 1;
	}
	if (parse_u64(f[0], fl[0], &num) == -1 || num < 1 || num > MPSTATE_PARTS_MAX ||
	    parse_u64(f[1], fl[1], &pt.size) == -1 || fl[2] != SHA256_HEX_LEN ||
	    copy_word(f[3], fl[3], pt.etag, sizeof(pt.etag)) == -1)
		return -1;
	for (size_t i = 0; i < SHA256_LEN; i++) {
		int hi = hexval(f[2][2 * i]), lo = hexval(f[2][2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		pt.sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!st->parts[num - 1].have)
		st->n_have++;
	st->parts[num - 1] = pt;
	return 0;
}

static int parse_line(const char *s, size_t len, int lineno, struct mpstate *st)
{
#define IS(kw) (len > sizeof(kw) - 1 && memcmp(s, kw, sizeof(kw) - 1) == 0)
	if (lineno == 1)
		return len == strlen(MAGIC) && memcmp(s, MAGIC, len) == 0 ? 0 : -1;
	if (IS("url "))
		return copy_word(s + 4, len - 4, st->url, sizeof(st->url));
	if (IS("upload "))
		return copy_word(s + 7, len - 7, st->upload_id, sizeof(st->upload_id));
	if (IS("part_size "))
		return parse_u64(s + 10, len - 10, &st->part_size);
	if (IS("part "))
		return parse_part(s + 5, len - 5, st);
	return -1;
#undef IS
}

int mpstate_parse(const char *p, size_t len, struct mpstate *st, char *err, size_t errlen)
{
	size_t at = 0;
	int lineno = 0;

	st->url[0] = st->upload_id[0] = '\0';
	st->part_size = 0;
	st->n_have = 0;
	while (at < len) {
		const char *nl = memchr(p + at, '\n', len - at);

		if (nl == NULL) /* cut short by a kill: never acknowledged */
			break;
		lineno++;
		if (parse_line(p + at, (size_t)(nl - (p + at)), lineno, st) == -1) {
			(void)snprintf(err, errlen, "line %d is malformed", lineno);
			return -1;
		}
		at = (size_t)(nl - p) + 1;
	}
	if (lineno == 0 || st->url[0] == '\0' || st->upload_id[0] == '\0' || st->part_size == 0) {
		(void)snprintf(err, errlen, "the header (url, upload, part_size) is incomplete");
		return -1;
	}
	return 0;
}

long mpstate_header(const struct mpstate *st, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, MAGIC "\nurl %s\nupload %s\npart_size %llu\n", st->url,
	                 st->upload_id, (unsigned long long)st->part_size);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

long mpstate_part_line(int number, const struct mpstate_part *pt, char *out, size_t outlen)
{
	char hex[SHA256_HEX_LEN + 1];
	int n;

	sha256_digest_hex(pt->sha256, hex);
	n = snprintf(out, outlen, "part %d %llu %s %s\n", number, (unsigned long long)pt->size, hex,
	             pt->etag);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

long mpstate_file_line(const char *rel, uint64_t size, const char sha_hex[SHA256_HEX_LEN + 1],
                       char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "file %llu %s %s\n", (unsigned long long)size, sha_hex, rel);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int mpstate_parse_file_line(const char *s, size_t len, uint64_t *size,
                            char sha_hex[SHA256_HEX_LEN + 1], const char **rel, size_t *rel_len)
{
	const char *sp;
	size_t at;

	if (len < 5 || memcmp(s, "file ", 5) != 0)
		return -1;
	sp = memchr(s + 5, ' ', len - 5);
	if (sp == NULL || parse_u64(s + 5, (size_t)(sp - s) - 5, size) == -1)
		return -1;
	at = (size_t)(sp - s) + 1;
	if (len < at + SHA256_HEX_LEN + 2 || s[at + SHA256_HEX_LEN] != ' ')
		return -1;
	for (size_t i = 0; i < SHA256_HEX_LEN; i++)
		if (hexval(s[at + i]) < 0)
			return -1;
	memcpy(sha_hex, s + at, SHA256_HEX_LEN);
	sha_hex[SHA256_HEX_LEN] = '\0';
	*rel = s + at + SHA256_HEX_LEN + 1;
	*rel_len = len - (at + SHA256_HEX_LEN + 1);
	return memchr(*rel, '\n', *rel_len) == NULL ? 0 : -1;
}
