/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/tarbound.h"

#include <string.h>

#include "ctl/snapshot/partsize.h"
#include "ctl/snapshot/walk.h"

static int on_entry(void *ctx, const struct walk_entry *e, char *err, size_t errlen)
{
	struct tarbound *b = ctx;
	struct partsize_entry pe = {e->rel, e->is_dir, e->size, e->mtime};

	(void)err;
	(void)errlen;
	b->tar += partsize_tar_entry(&pe);
	b->files += e->is_dir ? 0 : 1;
	return 0;
}

int tarbound_tree(const char *base, const struct exclude_set *ex, struct tarbound *b, char *err,
                  size_t errlen)
{
	memset(b, 0, sizeof(*b));
	if (walk_tree(base, ex, on_entry, b, NULL, err, errlen) == -1)
		return -1;
	b->tar += PARTSIZE_TAR_END;
	b->zst = partsize_zstd_bound(b->tar);
	return 0;
}
