/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/publish.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/exclude.h"
#include "ctl/snapshot/hook.h"
#include "ctl/snapshot/hookmark.h"
#include "ctl/snapshot/mpwrite.h"
#include "ctl/snapshot/nodehead.h"
#include "ctl/snapshot/pack.h"
#include "ctl/snapshot/partsize.h"
#include "ctl/snapshot/pubfiles.h"
#include "ctl/snapshot/pubipfs.h"
#include "ctl/snapshot/pubunpin.h"
#include "ctl/snapshot/s3.h"
#include "ctl/snapshot/tarbound.h"

#define NODE_TIMEOUT_MS 10000
#define TAR_NAME        "snapshot.tar.zst"

/* "<prefix>/chains/<chain>/" (the prefix part only when set) into <out>. */
static void chain_dir(const struct snapcfg_target *t, const char *chain, char *out, size_t len)
{
	(void)snprintf(out, len, "%s%schains/%s/", t->prefix, t->prefix[0] ? "/" : "", chain);
}

static struct s3_client *client_for(const struct snapcfg_target *t, const struct s3_creds *cr,
                                    char *err, size_t errlen)
{
	struct s3_cfg c = {.endpoint = t->endpoint[0] ? t->endpoint : NULL,
	                   .region = t->region,
	                   .bucket = t->bucket};

	return s3_new(&c, cr, err, errlen);
}

/*
 * The tar's part size and bound into <mo>: the configured part, or larger
 * when 10,000 of it cannot hold the most the tar can be (partsize.h); a
 * base path whose tar may pass S3's 5 TiB is refused before any upload.
 */
static int tar_parts(const struct snapcfg_chain *ch, const struct exclude_set *ex,
                     struct mpw_opts *mo, char *err, size_t errlen)
{
	struct tarbound b;
	uint64_t part;
	char why[256];

	if (tarbound_tree(ch->base_path, ex, &b, err, errlen) == -1)
		return -1;
	if (partsize_choose(b.zst, mo->part_size, &part, why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "%s: the tar of %llu files: %s", ch->base_path,
		               (unsigned long long)b.files, why);
		return -1;
	}
	mo->part_size = (size_t)part;
	mo->max_bytes = b.zst;
	return 0;
}

/* The tar: packed straight into a multipart upload; <*gone> as mpw_stats says. */
static int upload_tar_once(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                           struct s3_client *c, const char *key, struct publish_result *res,
                           bool *gone, char *err, size_t errlen)
{
	struct exclude_set ex = {(const char *const *)ch->exclude, ch->n_exclude};
	struct pack_opts o = {.ex = &ex, .threads = PACK_ZSTD_WORKERS, .write = mpw_write};
	struct mpw_opts mo = {.part_size = (size_t)cfg->part_size_mb << 20,
	                      .parallel = cfg->parallel,
	                      .state_dir = cfg->state_dir};
	struct mpw_stats ms;
	struct pack_result pr;
	char why[512];
	uint64_t size = 0;
	struct mpw *w;
	int rc;

	if (tar_parts(ch, &ex, &mo, err, errlen) == -1)
		return -1;
	res->tar_part_size = mo.part_size;
	w = mpw_open(c, key, &mo, err, errlen);
	if (w == NULL)
		return -1;
	o.write_ctx = w;
	rc = pack_tree(ch->base_path, &o, &pr, err, errlen);
	if (rc == 0)
		rc = mpw_finish(w, &size, err, errlen);
	mpw_get_stats(w, &ms);
	*gone = ms.gone;
	if (mpw_free(w, why, sizeof(why)) == -1 && rc == -1) {
		size_t n = strlen(err);

		(void)snprintf(err + n, errlen - n, "; %s", why);
	}
	if (rc == -1)
		return -1;
	res->tar_bytes = size;
	sha256_digest_hex(pr.sha256, res->tar_sha256);
	return 0;
}

/*
 * The tar: packed straight into a multipart upload. A resumed upload that
 * the completion finds gone (NoSuchUpload, InvalidPart: the state file
 * outlived it) is packed and sent again from scratch, once.
 */
static int upload_tar(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                      struct s3_client *c, const char *key, struct publish_result *res, char *err,
                      size_t errlen)
{
	for (int again = 0;; again++) {
		bool gone = false;
		int rc = upload_tar_once(cfg, ch, c, key, res, &gone, err, errlen);

		if (rc == 0 || !gone || again == 1)
			return rc;
	}
}

static int put_text(struct s3_client *c, const char *key, const char *text, size_t len, char *err,
                    size_t errlen)
{
	struct s3_status st;

	if (s3_put(c, key, (const uint8_t *)text, len, NULL, &st) == -1) {
		(void)snprintf(err, errlen, "PUT %.200s: %s", key, st.err);
		return -1;
	}
	return 0;
}

/* manifest.json, then latest.json naming it: the last object a publish writes. */
static int write_manifests(struct s3_client *c, const char *dir, const struct snapcfg_chain *ch,
                           const struct nodehead *h, const char *tool, int64_t now,
                           const struct publish_result *res, const struct manifest_artifact *a,
                           unsigned na, char *err, size_t errlen)
{
	static char text[MANIFEST_TEXT_MAX];
	struct manifest m = {0};
	struct manifest_latest l = {0};
	char key[S3_KEY_MAX];
	long n;

	(void)snprintf(m.chain, sizeof(m.chain), "%s", ch->name);
	m.height = h->height;
	memcpy(m.block_hash, h->hash, sizeof(m.block_hash));
	if (manifest_format_time(now, m.created) == -1) {
		(void)snprintf(err, errlen, "the clock is out of range");
		return -1;
	}
	(void)snprintf(m.tool, sizeof(m.tool), "%s", tool);
	memcpy(m.a, a, na * sizeof(*a));
	m.n = na;
	n = manifest_write(&m, text, sizeof(text), err, errlen);
	if (n < 0)
		return -1;
	(void)snprintf(key, sizeof(key), "%s%s/manifest.json", dir, res->snapshot);
	if (put_text(c, key, text, (size_t)n, err, errlen) == -1)
		return -1;
	(void)snprintf(l.chain, sizeof(l.chain), "%s", ch->name);
	l.height = h->height;
	(void)snprintf(l.manifest, sizeof(l.manifest), "%s/manifest.json", res->snapshot);
	sha256_hex((const uint8_t *)text, (size_t)n, l.sha256);
	n = manifest_latest_write(&l, text, sizeof(text), err, errlen);
	if (n < 0)
		return -1;
	(void)snprintf(key, sizeof(key), "%slatest.json", dir);
	return put_text(c, key, text, (size_t)n, err, errlen);
}

/* The keys under a chain's directory, for retention. */
struct listing {
	char **keys;
	size_t n, cap;
	size_t dirlen;
};

static int on_key(const char *key, uint64_t size, void *arg)
{
	struct listing *l = arg;

	(void)size;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **k = realloc(l->keys, cap * sizeof(*k));

		if (k == NULL)
			return -1;
		l->keys = k;
		l->cap = cap;
	}
	l->keys[l->n] = strdup(key);
	if (l->keys[l->n] == NULL)
		return -1;
	l->n++;
	return 0;
}

/* The height a snapshot directory's name starts with ("23456789-91b171bb"), or -1. */
static long long snap_height(const char *name, size_t len)
{
	long long h = 0;
	size_t i;

	for (i = 0; i < len && name[i] >= '0' && name[i] <= '9' && i < 18; i++)
		h = h * 10 + (name[i] - '0');
	return i > 0 && i < len && name[i] == '-' ? h : -1;
}

static int cmp_ll_desc(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x < y) - (x > y);
}

/*
 * Deletes every object of the snapshots below the <keep> highest heights
 * that have a manifest under <dir>, the leftovers of failed publishes below
 * them included; never the one just published (<current>), never
 * latest.json nor a name that is not "<height>-...".
 */
static int retention(struct s3_client *c, const char *dir, unsigned keep, uint64_t current,
                     unsigned *deleted, char *err, size_t errlen)
{
	struct listing l = {.dirlen = strlen(dir)};
	struct s3_status st;
	long long *hs = NULL, cut = -1;
	size_t nh = 0;
	int rc = 0;

	if (s3_list(c, dir, on_key, &l, &st) == -1) {
		(void)snprintf(err, errlen, "list %.200s: %s", dir, st.err);
		rc = -1;
	}
	if (rc == 0 && l.n > 0 && (hs = calloc(l.n, sizeof(*hs))) == NULL)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const char *rel = l.keys[i] + l.dirlen, *slash = strchr(rel, '/');
		long long h = slash ? snap_height(rel, (size_t)(slash - rel) + 1) : -1;
		bool seen = false;

		for (size_t j = 0; j < nh && !seen; j++)
			seen = hs[j] == h;
		/* Only a complete snapshot (its manifest written) takes one of the <keep> places.
		 */
		if (h >= 0 && !seen && strcmp(slash + 1, "manifest.json") == 0)
			hs[nh++] = h;
	}
	if (rc == 0 && nh > keep) {
		qsort(hs, nh, sizeof(*hs), cmp_ll_desc);
		cut = hs[keep - 1]; /* the lowest height kept */
	}
	for (size_t i = 0; rc == 0 && cut >= 0 && i < l.n; i++) {
		const char *rel = l.keys[i] + l.dirlen, *slash = strchr(rel, '/');
		long long h = slash ? snap_height(rel, (size_t)(slash - rel) + 1) : -1;

		if (h < 0 || h >= cut || (uint64_t)h == current)
			continue;
		if (s3_delete(c, l.keys[i], &st) == -1) {
			(void)snprintf(err, errlen, "DELETE %.200s: %s", l.keys[i], st.err);
			rc = -1;
		}
		(*deleted)++;
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.keys[i]);
	free(l.keys);
	free(hs);
	return rc;
}

/*
 * A manifest is never rewritten (docs/snapshot-format.md): when the node's
 * finalized block has not moved since the last publish, the snapshot of
 * that block is already there, and writing it again would change a tar a
 * reader may be downloading. Sets <*skipped> when manifest.json exists.
 */
static int already_published(struct s3_client *c, const char *dir, const char *snapshot,
                             bool *skipped, char *err, size_t errlen)
{
	char key[S3_KEY_MAX];
	struct s3_status st;
	uint64_t size;

	(void)snprintf(key, sizeof(key), "%s%s/manifest.json", dir, snapshot);
	if (s3_head(c, key, &size, &st) == 0) {
		*skipped = true;
		return 0;
	}
	if (st.http == 404)
		return 0;
	(void)snprintf(err, errlen, "HEAD %.200s: %s", key, st.err);
	return -1;
}

/* Two targets in one place (bucket, endpoint, region, prefix) share one snapshot directory. */
static bool same_place(const struct snapcfg_target *a, const struct snapcfg_target *b)
{
	return strcmp(a->bucket, b->bucket) == 0 && strcmp(a->endpoint, b->endpoint) == 0 &&
	       strcmp(a->region, b->region) == 0 && strcmp(a->prefix, b->prefix) == 0;
}

/*
 * One place's snapshot: the files, the tar, or both, then its manifest
 * listing what that place holds, latest.json, retention. With the two
 * targets in two buckets each bucket gets its own manifest and latest.json
 * naming only its own artifact, so a reader of either bucket finds every
 * artifact its manifest lists in the same bucket.
 */
static int publish_place(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                         const struct snapcfg_target *t, bool files, bool tar,
                         const struct s3_creds *cr, const struct nodehead *h, const char *tool,
                         int64_t now, struct publish_result *res, bool *skipped, char *err,
                         size_t errlen)
{
	struct exclude_set ex = {(const char *const *)ch->exclude, ch->n_exclude};
	struct mpw_opts mo = {.part_size = (size_t)cfg->part_size_mb << 20,
	                      .parallel = cfg->parallel,
	                      .state_dir = cfg->state_dir};
	char dir[SNAPCFG_PREFIX_MAX + 64], key[S3_KEY_MAX];
	struct manifest_artifact a[2];
	unsigned na = 0, deleted = 0;
	struct s3_client *c;
	int rc;

	c = client_for(t, cr, err, errlen);
	if (c == NULL)
		return -1;
	chain_dir(t, ch->name, dir, sizeof(dir));
	rc = already_published(c, dir, res->snapshot, skipped, err, errlen);
	if (rc == -1 || *skipped) {
		s3_free(c);
		return rc;
	}
	if (files) {
		(void)snprintf(key, sizeof(key), "%s%s/", dir, res->snapshot);
		rc = pubfiles_upload(c, key, ch->base_path, &ex, &mo, &a[na], &res->files, err,
		                     errlen);
		if (rc == 0) {
			res->files_bytes = a[na].size;
			memcpy(res->files_sha256, a[na].sha256, sizeof(res->files_sha256));
			na++;
		}
	}
	if (rc == 0 && tar) {
		(void)snprintf(key, sizeof(key), "%s%s/" TAR_NAME, dir, res->snapshot);
		rc = upload_tar(cfg, ch, c, key, res, err, errlen);
		if (rc == 0) {
			memset(&a[na], 0, sizeof(a[na]));
			a[na].kind = MANIFEST_KIND_TAR_ZST;
			(void)snprintf(a[na].name, sizeof(a[na].name), TAR_NAME);
			a[na].size = res->tar_bytes;
			memcpy(a[na].sha256, res->tar_sha256, sizeof(a[na].sha256));
			na++;
		}
	}
	/* IPFS copies what this place holds, before its manifest names their CIDs. */
	if (rc == 0 && cfg->ipfs.on)
		rc = pubipfs_add(cfg, ch, a, na, res->ipfs_files_cid, res->ipfs_tar_cid, err,
		                 errlen);
	if (rc == 0)
		rc = write_manifests(c, dir, ch, h, tool, now, res, a, na, err, errlen);
	/* Before retention deletes the manifests that name the copies. */
	if (rc == 0 && cfg->ipfs.on)
		pubunpin_old(cfg, c, dir, h->height, &res->unpin);
	if (rc == 0)
		rc = retention(c, dir, cfg->retention, h->height, &deleted, err, errlen);
	res->deleted += deleted;
	s3_free(c);
	return rc;
}

static int publish_body(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                        const struct s3_creds *cr, const char *tool, int64_t now,
                        struct publish_result *res, char *err, size_t errlen)
{
	bool together =
	    cfg->s3_files.on && cfg->s3_tar.on && same_place(&cfg->s3_files, &cfg->s3_tar);
	bool skip_files = false, skip_tar = false;
	struct nodehead h;
	int rc = 0;

	if (nodehead_get(ch->rpc, NODE_TIMEOUT_MS, &h, err, errlen) == -1)
		return -1;
	res->height = h.height;
	memcpy(res->block_hash, h.hash, sizeof(res->block_hash));
	(void)snprintf(res->snapshot, sizeof(res->snapshot), "%llu-%.8s",
	               (unsigned long long)h.height, h.hash + 2);
	if (cfg->s3_files.on)
		rc = publish_place(cfg, ch, &cfg->s3_files, true, together, cr, &h, tool, now, res,
		                   &skip_files, err, errlen);
	if (rc == 0 && cfg->s3_tar.on && !together)
		rc = publish_place(cfg, ch, &cfg->s3_tar, false, true, cr, &h, tool, now, res,
		                   &skip_tar, err, errlen);
	/* Skipped when every place already had it. */
	res->skipped =
	    (!cfg->s3_files.on || skip_files) && (!cfg->s3_tar.on || together || skip_tar);
	return rc;
}

int publish_chain(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                  const struct s3_creds *cr, const char *tool, int64_t now,
                  struct publish_result *res, char *err, size_t errlen)
{
	char why[512];
	int rc = 0;

	memset(res, 0, sizeof(*res));
	/* Marked first: a publish killed after pre leaves the mark for `snapshot recover`. */
	if (ch->pre.n > 0 && ch->post.n > 0 &&
	    hookmark_set(cfg->state_dir, ch->name, why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "pre hook not run: cannot mark it: %s", why);
		return -1;
	}
	if (ch->pre.n > 0 &&
	    hook_run(ch->pre.argv, ch->hook_timeout_s * 1000u, why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "pre hook: %s", why);
		rc = -1;
	}
	if (rc == 0)
		rc = publish_body(cfg, ch, cr, tool, now, res, err, errlen);
	/* The pre hook may have stopped the node: post runs whatever happened since. */
	if (ch->post.n > 0 &&
	    hook_run(ch->post.argv, ch->hook_timeout_s * 1000u, why, sizeof(why)) == -1) {
		if (rc == 0)
			(void)snprintf(err, errlen, "post hook: %s", why);
		else {
			size_t n = strlen(err);

			(void)snprintf(err + n, errlen - n, "; post hook: %s", why);
		}
		rc = -1;
	} else if (ch->pre.n > 0 && ch->post.n > 0 &&
	           hookmark_clear(cfg->state_dir, ch->name, why, sizeof(why)) == -1) {
		if (rc == 0)
			(void)snprintf(err, errlen, "post hook ran, but its mark stays: %s", why);
		rc = -1;
	}
	return rc;
}
