/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/ipfs_gw.h"

#include <stdio.h>
#include <string.h>

int ipfs_gw_key(const char *prefix, const char *cid, const char *key, char *out, size_t cap)
{
	size_t n = strlen(prefix);
	int w;

	if (n == 0)
		return -1;
	/* "dir/files" must not take "dir/files.txt": a whole component or nothing. */
	if (strncmp(key, prefix, n) != 0 || (key[n] != '\0' && key[n] != '/'))
		return 0;
	w = snprintf(out, cap, "ipfs/%s%s", cid, key + n);
	return w >= 0 && (size_t)w < cap ? 1 : -1;
}
