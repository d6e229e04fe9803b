/* SPDX-License-Identifier: MIT */
/*
 * Element lookup by name in S3's XML answers. S3 and its clones (MinIO,
 * s3rver, Ceph) write these answers from fixed templates: one optional
 * <?xml ...?> declaration, elements, text with the five predefined
 * entities, no DTD, no CDATA, no comments, no namespace prefixes on the
 * fields we read. So lookup by name is enough, and anything outside that
 * shape is refused rather than guessed at:
 * - a comment, CDATA or processing instruction inside a looked-up element
 *   is PF_EPROTO (a comment could hide a fake <ETag>; refusing is safe,
 *   the real answers have none);
 * - numeric character references (&#34;) and unknown entities are refused:
 *   S3 escapes with the predefined five (ETags come as &quot;...&quot;);
 * - same-name nesting is refused: none of the fields we read nests.
 * A name is matched as a whole: <Key> never matches <KeyCount>.
 */
#include "ctl/snapshot/s3xml.h"

#include <string.h>

struct s3xml_span s3xml_span_str(const char *s)
{
	struct s3xml_span sp = {s, strlen(s)};

	return sp;
}

/* Does <doc> at <i> start the tag "<" <prefix> <name> followed by a delimiter? */
static bool tag_at(struct s3xml_span doc, size_t i, const char *prefix, const char *name)
{
	size_t pl = strlen(prefix), nl = strlen(name), end = i + 1 + pl + nl;
	char c;

	if (doc.p[i] != '<' || end >= doc.len)
		return false;
	if (memcmp(doc.p + i + 1, prefix, pl) != 0 || memcmp(doc.p + i + 1 + pl, name, nl) != 0)
		return false;
	c = doc.p[end];
	return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True when doc[i..] starts a comment, CDATA, a DTD or a processing instruction. */
static bool markup_at(struct s3xml_span doc, size_t i)
{
	return doc.p[i] == '<' && i + 1 < doc.len && (doc.p[i + 1] == '!' || doc.p[i + 1] == '?');
}

int s3xml_next(struct s3xml_span doc, size_t *pos, const char *name, struct s3xml_span *inner)
{
	size_t i, start;

	for (i = *pos; i < doc.len && !tag_at(doc, i, "", name); i++)
		;
	if (i >= doc.len)
		return 0;
	/* The start tag ends at the first '>' (attribute values in S3's answers hold none). */
	while (i < doc.len && doc.p[i] != '>')
		i++;
	if (i >= doc.len)
		return PF_EPROTO;
	if (doc.p[i - 1] == '/') {
		inner->p = doc.p + i + 1;
		inner->len = 0;
		*pos = i + 1;
		return 1;
	}
	start = ++i;
	for (; i < doc.len; i++) {
		if (doc.p[i] != '<')
			continue;
		if (markup_at(doc, i) || tag_at(doc, i, "", name))
			return PF_EPROTO;
		if (tag_at(doc, i, "/", name) && doc.p[i + 2 + strlen(name)] == '>') {
			inner->p = doc.p + start;
			inner->len = i - start;
			*pos = i + 3 + strlen(name);
			return 1;
		}
	}
	return PF_EPROTO;
}

/* The byte an entity at <p> (after '&', <n> bytes left) stands for, and its length. */
static int entity(const char *p, size_t n, size_t *used)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"quot;", '"'}, {"amp;", '&'}, {"apos;", '\''}, {"lt;", '<'}, {"gt;", '>'}};

	for (size_t k = 0; k < PF_ARRAY_SIZE(ents); k++) {
		size_t l = strlen(ents[k].name);

		if (n >= l && memcmp(p, ents[k].name, l) == 0) {
			*used = l;
			return ents[k].c;
		}
	}
	return -1;
}

/* Decodes the leaf <in> into <out>; PF_EPROTO with <out> possibly half written. */
static int decode(struct s3xml_span in, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '<' || c == '\0')
			return PF_EPROTO;
		if (c == '&') {
			size_t used;
			int e = entity(in.p + i + 1, in.len - i - 1, &used);

			if (e < 0)
				return PF_EPROTO;
			c = (char)e;
			i += used;
		}
		if (o + 1 >= outlen)
			return PF_EPROTO;
		out[o++] = c;
	}
	out[o] = '\0';
	return 1;
}

int s3xml_text(struct s3xml_span doc, const char *name, char *out, size_t outlen)
{
	struct s3xml_span in;
	size_t pos = 0;
	int r;

	if (outlen == 0)
		return PF_EPROTO;
	out[0] = '\0';
	r = s3xml_next(doc, &pos, name, &in);
	if (r == 1 && decode(in, out, outlen) != 1) {
		/* Never hand out half a field. */
		out[0] = '\0';
		return PF_EPROTO;
	}
	return r;
}

int s3xml_u64(struct s3xml_span doc, const char *name, uint64_t *out)
{
	char buf[24];
	uint64_t v = 0;
	int r = s3xml_text(doc, name, buf, sizeof(buf));

	if (r != 1)
		return r;
	if (buf[0] == '\0')
		return PF_EPROTO;
	for (const char *s = buf; *s != '\0'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || v > (UINT64_C(0x7fffffffffffffff) - d) / 10)
			return PF_EPROTO;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

int s3xml_next_part(struct s3xml_span doc, size_t *pos, struct s3xml_part *part)
{
	struct s3xml_span p;
	uint64_t v;
	int r = s3xml_next(doc, pos, "Part", &p);

	if (r != 1)
		return r;
	if (s3xml_u64(p, "PartNumber", &v) != 1 || v < 1 || v > 10000 ||
	    s3xml_u64(p, "Size", &part->size) != 1 ||
	    s3xml_text(p, "ETag", part->etag, sizeof(part->etag)) != 1 || part->etag[0] == '\0')
		return PF_EPROTO;
	part->number = (int)v;
	return 1;
}

/* 1 when <IsTruncated> says "true", 0 when absent or "false", PF_EPROTO otherwise. */
static int truncated(struct s3xml_span doc)
{
	char t[8];
	int r = s3xml_text(doc, "IsTruncated", t, sizeof(t));

	if (r != 1)
		return r;
	if (strcmp(t, "true") == 0)
		return 1;
	return strcmp(t, "false") == 0 ? 0 : PF_EPROTO;
}

int s3xml_parts_marker(struct s3xml_span doc, int *marker)
{
	uint64_t v;
	int r = truncated(doc);

	*marker = 0;
	if (r != 1)
		return r;
	if (s3xml_u64(doc, "NextPartNumberMarker", &v) != 1 || v < 1 || v > 10000)
		return PF_EPROTO;
	*marker = (int)v;
	return 1;
}

int s3xml_next_object(struct s3xml_span doc, size_t *pos, char *key, size_t keylen, uint64_t *size)
{
	struct s3xml_span c;
	int r = s3xml_next(doc, pos, "Contents", &c);

	if (r != 1)
		return r;
	if (s3xml_text(c, "Key", key, keylen) != 1 || key[0] == '\0' ||
	    s3xml_u64(c, "Size", size) != 1)
		return PF_EPROTO;
	return 1;
}

int s3xml_list_token(struct s3xml_span doc, char *next, size_t nextlen)
{
	int r = truncated(doc);

	if (nextlen > 0)
		next[0] = '\0';
	if (r != 1)
		return r;
	if (s3xml_text(doc, "NextContinuationToken", next, nextlen) != 1 || next[0] == '\0')
		return PF_EPROTO;
	return 1;
}
