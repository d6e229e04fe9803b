/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/pubipfs.h"

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/db/sha256.h"
#include "ctl/snapshot/exclude.h"
#include "ctl/snapshot/ipfs.h"
#include "ctl/snapshot/pack.h"

/* The packer's side of the socket the add reads. */
struct packer {
	const char *base;
	const struct exclude_set *ex;
	int fd;
	struct pack_result pr;
	int rc;
	bool cut; /* a send failed: the add had ended, its outcome says why */
	char err[512];
};

/* MSG_NOSIGNAL: once the add is over (done, or failed) the socket is closed under the packer. */
static int send_all(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct packer *k = ctx;
	const char *c = p;

	while (len > 0) {
		ssize_t n = send(k->fd, c, len, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			k->cut = true;
			(void)snprintf(err, errlen, "to the add: %s", strerror(errno));
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *pack_main(void *arg)
{
	struct packer *k = arg;
	struct pack_opts o = {.ex = k->ex, .write = send_all, .write_ctx = k};

	k->rc = pack_tree(k->base, &o, &k->pr, k->err, sizeof(k->err));
	/* The end of the stream; with the size given, a short one fails the add. */
	(void)shutdown(k->fd, SHUT_WR);
	return NULL;
}

static int add_tar(const struct ipfs_cfg *ic, const struct snapcfg_chain *ch,
                   const struct exclude_set *ex, struct manifest_artifact *a, char *err,
                   size_t errlen)
{
	struct packer k = {.base = ch->base_path, .ex = ex};
	struct ipfs_status st;
	char hex[MANIFEST_SHA256_HEX + 1];
	pthread_t th;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		(void)snprintf(err, errlen, "ipfs: socketpair: %s", strerror(errno));
		return -1;
	}
	k.fd = sv[1];
	if (pthread_create(&th, NULL, pack_main, &k) != 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		(void)snprintf(err, errlen, "ipfs: cannot start the packer");
		return -1;
	}
	rc = ipfs_add_fd(ic, a->name, sv[0], (int64_t)a->size, &st);
	/* A packer still writing (the add failed) gets EPIPE and stops. */
	(void)close(sv[0]);
	(void)pthread_join(th, NULL);
	(void)close(sv[1]);
	/* The first cause: the pack's own failure, else the add's, else a pack too long. */
	if (k.rc == -1 && !k.cut) {
		(void)snprintf(err, errlen, "ipfs: %s: packing again: %s", a->name, k.err);
		return -1;
	}
	if (rc == -1) {
		(void)snprintf(err, errlen, "ipfs: %s: %s", a->name, st.err);
		return -1;
	}
	if (k.rc == -1) {
		(void)snprintf(err, errlen,
		               "ipfs: %s: packed again, longer than the %llu bytes uploaded to S3 "
		               "(did the base path change? stop the node with a pre hook)",
		               a->name, (unsigned long long)a->size);
		return -1;
	}
	sha256_digest_hex(k.pr.sha256, hex);
	if (k.pr.bytes != a->size || strcmp(hex, a->sha256) != 0) {
		(void)snprintf(
		    err, errlen,
		    "ipfs: %s: packed again, %llu bytes with sha256 %s, not the %llu bytes "
		    "with sha256 %s uploaded to S3 (did the base path change? stop the "
		    "node with a pre hook)",
		    a->name, (unsigned long long)k.pr.bytes, hex, (unsigned long long)a->size,
		    a->sha256);
		return -1;
	}
	memcpy(a->cid, st.root, sizeof(a->cid));
	return 0;
}

static int add_files(const struct ipfs_cfg *ic, const struct snapcfg_chain *ch,
                     const struct exclude_set *ex, struct manifest_artifact *a, char *err,
                     size_t errlen)
{
	struct ipfs_status st;

	if (ipfs_add_tree(ic, ch->base_path, ex, NULL, NULL, &st) == -1) {
		(void)snprintf(err, errlen, "ipfs: %s: %s", a->name, st.err);
		return -1;
	}
	memcpy(a->cid, st.root, sizeof(a->cid));
	return 0;
}

int pubipfs_add(const struct snapcfg *cfg, const struct snapcfg_chain *ch,
                struct manifest_artifact *a, unsigned n, char files_cid[MANIFEST_CID_LEN + 1],
                char tar_cid[MANIFEST_CID_LEN + 1], char *err, size_t errlen)
{
	struct exclude_set ex = {(const char *const *)ch->exclude, ch->n_exclude};
	struct ipfs_cfg ic = {.api = cfg->ipfs.api, .timeout_ms = (long)cfg->ipfs.timeout_s * 1000};

	for (unsigned i = 0; i < n; i++) {
		if (a[i].kind == MANIFEST_KIND_TAR_ZST) {
			if (add_tar(&ic, ch, &ex, &a[i], err, errlen) == -1)
				return -1;
			memcpy(tar_cid, a[i].cid, MANIFEST_CID_LEN + 1);
		} else {
			if (add_files(&ic, ch, &ex, &a[i], err, errlen) == -1)
				return -1;
			memcpy(files_cid, a[i].cid, MANIFEST_CID_LEN + 1);
		}
	}
	return 0;
}
