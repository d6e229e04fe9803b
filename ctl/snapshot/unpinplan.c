/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/unpinplan.h"

#include <stdio.h>
#include <string.h>

/* The lowest height kept: the <keep>-th highest distinct one, or 0 when there are no more. */
static bool cut_of(const struct unpin_snap *s, size_t n, unsigned keep, uint64_t *cut)
{
	uint64_t below = UINT64_MAX;
	unsigned found = 0;

	/* n is small (retention is at most 1000): each step finds the next lower height. */
	while (found < keep) {
		bool any = false;
		uint64_t best = 0;

		for (size_t i = 0; i < n; i++)
			if (s[i].height < below && (!any || s[i].height > best)) {
				best = s[i].height;
				any = true;
			}
		if (!any)
			return false;
		below = best;
		found++;
	}
	*cut = below;
	return true;
}

static bool kept(const struct unpin_snap *x, bool have_cut, uint64_t cut, uint64_t current)
{
	return !have_cut || x->height >= cut || x->height == current;
}

static bool named_by(const struct unpin_snap *x, const char *cid)
{
	for (unsigned j = 0; j < x->n; j++)
		if (strcmp(x->cid[j], cid) == 0)
			return true;
	return false;
}

long unpin_plan(const struct unpin_snap *s, size_t n, unsigned keep, uint64_t current,
                char (*out)[MANIFEST_CID_LEN + 1], size_t max, unsigned *unread, char *err,
                size_t errlen)
{
	uint64_t cut = 0;
	bool have_cut = keep > 0 && cut_of(s, n, keep, &cut);
	size_t nout = 0;

	*unread = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i].unread && kept(&s[i], have_cut, cut, current)) {
			(void)snprintf(err, errlen,
			               "the manifest of the kept snapshot at height %llu is unread",
			               (unsigned long long)s[i].height);
			return -1;
		}
	for (size_t i = 0; i < n; i++) {
		if (kept(&s[i], have_cut, cut, current))
			continue;
		if (s[i].unread) {
			(*unread)++;
			continue;
		}
		for (unsigned j = 0; j < s[i].n; j++) {
			const char *cid = s[i].cid[j];
			bool skip = false;

			for (size_t k = 0; k < n && !skip; k++)
				skip = kept(&s[k], have_cut, cut, current) && named_by(&s[k], cid);
			for (size_t k = 0; k < nout && !skip; k++)
				skip = strcmp(out[k], cid) == 0;
			if (skip)
				continue;
			if (nout == max) {
				(void)snprintf(err, errlen, "more than %zu CIDs to unpin", max);
				return -1;
			}
			memcpy(out[nout++], cid, MANIFEST_CID_LEN + 1);
		}
	}
	return (long)nout;
}
