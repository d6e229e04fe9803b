/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/partsize.h"

#include <stdio.h>
#include <string.h>
#include <zstd.h>

/* ustar's fields: a name of 100 bytes (or 155 + 100 split at a '/'), 11 octal digits. */
#define USTAR_NAME  100
#define USTAR_OCTAL 077777777777ULL
/*
 * A pax extended header's records besides the path (size, mtime, and
 * libarchive's hdrcharset for a name that is not ASCII): each under 40
 * bytes; 256 leaves room to spare, and the writer's check (mpwrite.h,
 * max_bytes) catches the day it does not.
 */
#define PAX_RECORDS 256

static uint64_t round512(uint64_t n)
{
	return (n + PARTSIZE_TAR_BLOCK - 1) / PARTSIZE_TAR_BLOCK * PARTSIZE_TAR_BLOCK;
}

/*
 * Whether libarchive's pax restricted writer may add a pax header: a name
 * that ustar's name field alone cannot hold (the prefix split is not
 * counted on: an upper bound), a byte outside ASCII, a size or an mtime
 * past 11 octal digits.
 */
static bool needs_pax(const struct partsize_entry *e, size_t len)
{
	if (len + (e->is_dir ? 1 : 0) >= USTAR_NAME || e->size > USTAR_OCTAL || e->mtime < 0 ||
	    (uint64_t)e->mtime > USTAR_OCTAL)
		return true;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)e->rel[i] >= 0x80)
			return true;
	return false;
}

uint64_t partsize_tar_entry(const struct partsize_entry *e)
{
	size_t len = strlen(e->rel);
	uint64_t n = PARTSIZE_TAR_BLOCK + round512(e->size);

	/* The pax header's own ustar header, then its records: the path whole, the rest. */
	if (needs_pax(e, len))
		n += PARTSIZE_TAR_BLOCK + round512(len + PAX_RECORDS);
	return n;
}

uint64_t partsize_zstd_bound(uint64_t tar)
{
	if (tar >= (uint64_t)ZSTD_MAX_INPUT_SIZE)
		return UINT64_MAX;
	return (uint64_t)ZSTD_COMPRESSBOUND(tar);
}

int partsize_choose(uint64_t bound, uint64_t min_part, uint64_t *part, char *err, size_t errlen)
{
	uint64_t need;

	if (bound > PARTSIZE_OBJECT_MAX) {
		(void)snprintf(err, errlen,
		               "the object may reach %llu bytes, over S3's limit of 5 TiB "
		               "(%llu bytes)",
		               (unsigned long long)bound, (unsigned long long)PARTSIZE_OBJECT_MAX);
		return -1;
	}
	need = (bound + PARTSIZE_PARTS_MAX - 1) / PARTSIZE_PARTS_MAX;
	need = (need + PARTSIZE_MIB - 1) / PARTSIZE_MIB * PARTSIZE_MIB;
	*part = need > min_part ? need : min_part;
	return 0;
}
