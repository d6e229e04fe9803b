/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/pubunpin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/snapshot/ipfs.h"
#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/unpinplan.h"

#define MANIFEST_KEY "/manifest.json"

static void warn(struct pubunpin_stats *st, const char *fmt, ...)
{
	va_list ap;

	st->failed++;
	if (st->first[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(st->first, sizeof(st->first), fmt, ap);
	va_end(ap);
}

/* The snapshots with a manifest under the directory, from its listing. */
struct snaps {
	size_t dirlen;
	struct unpin_snap *s;
	char (*key)[S3_KEY_MAX];
	size_t n, cap;
};

/* "<height>-..." with up to 18 digits (publish.c's snapshot names), or false. */
static bool height_of(const char *name, size_t len, uint64_t *h)
{
	size_t i;

	*h = 0;
	for (i = 0; i < len && i < 18 && name[i] >= '0' && name[i] <= '9'; i++)
		*h = *h * 10 + (uint64_t)(name[i] - '0');
	return i > 0 && i < len && name[i] == '-';
}

static int on_key(const char *key, uint64_t size, void *arg)
{
	struct snaps *l = arg;
	const char *rel = key + l->dirlen, *slash = strchr(rel, '/');
	uint64_t h;

	(void)size;
	if (slash == NULL || strcmp(slash, MANIFEST_KEY) != 0 ||
	    !height_of(rel, (size_t)(slash - rel), &h) || strlen(key) >= S3_KEY_MAX)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct unpin_snap *s = realloc(l->s, cap * sizeof(*s));
		char(*k)[S3_KEY_MAX];

		if (s == NULL)
			return -1;
		l->s = s;
		k = realloc(l->key, cap * sizeof(*k));
		if (k == NULL)
			return -1;
		l->key = k;
		l->cap = cap;
	}
	memset(&l->s[l->n], 0, sizeof(l->s[l->n]));
	l->s[l->n].height = h;
	memcpy(l->key[l->n], key, strlen(key) + 1);
	l->n++;
	return 0;
}

struct text {
	char *p;
	size_t len;
	bool over;
};

static int on_data(const uint8_t *p, size_t len, void *arg)
{
	struct text *t = arg;

	if (t->len + len > MANIFEST_TEXT_MAX) {
		t->over = true;
		return -1;
	}
	memcpy(t->p + t->len, p, len);
	t->len += len;
	return 0;
}

/* The CIDs of one manifest into <s>, or s->unread with a warning. */
static void read_cids(struct s3_client *c, const char *key, struct unpin_snap *s, char *buf,
                      struct manifest *m, struct pubunpin_stats *st)
{
	struct text t = {buf, 0, false};
	struct s3_status ss;
	char why[256];

	if (s3_get(c, key, 0, 0, on_data, &t, &ss) == -1) {
		s->unread = true;
		warn(st, "GET %.150s: %s", key, t.over ? "over the manifest's size limit" : ss.err);
		return;
	}
	if (manifest_parse(m, t.p, t.len, why, sizeof(why)) == -1) {
		s->unread = true;
		warn(st, "%.150s: %s", key, why);
		return;
	}
	for (unsigned i = 0; i < m->n; i++)
		if (m->a[i].cid[0] != '\0')
			memcpy(s->cid[s->n++], m->a[i].cid, MANIFEST_CID_LEN + 1);
}

void pubunpin_old(const struct snapcfg *cfg, struct s3_client *c, const char *dir, uint64_t current,
                  struct pubunpin_stats *st)
{
	struct ipfs_cfg ic = {.api = cfg->ipfs.api, .timeout_ms = (long)cfg->ipfs.timeout_s * 1000};
	struct snaps l = {.dirlen = strlen(dir)};
	char(*cids)[MANIFEST_CID_LEN + 1] = NULL;
	struct manifest *m = malloc(sizeof(*m));
	char *buf = malloc(MANIFEST_TEXT_MAX);
	struct s3_status ss;
	unsigned unread = 0;
	char why[256];
	long n = 0;

	if (m == NULL || buf == NULL) {
		warn(st, "ipfs unpin: out of memory");
		goto out;
	}
	if (s3_list(c, dir, on_key, &l, &ss) == -1) {
		warn(st, "list %.150s: %s", dir, ss.err[0] ? ss.err : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		read_cids(c, l.key[i], &l.s[i], buf, m, st);
	cids = calloc(l.n * MANIFEST_ARTIFACTS_MAX + 1, sizeof(*cids));
	if (cids == NULL) {
		warn(st, "ipfs unpin: out of memory");
		goto out;
	}
	n = unpin_plan(l.s, l.n, cfg->retention, current, cids, l.n * MANIFEST_ARTIFACTS_MAX,
	               &unread, why, sizeof(why));
	if (n == -1) {
		warn(st, "nothing unpinned: %s", why);
		goto out;
	}
	for (long i = 0; i < n; i++) {
		struct ipfs_status is;

		if (ipfs_pin_rm(&ic, cids[i], &is) == -1)
			warn(st, "ipfs pin rm %s: %s", cids[i], is.err);
		else
			st->unpinned++;
	}
out:
	free(cids);
	free(l.s);
	free(l.key);
	free(buf);
	free(m);
}
