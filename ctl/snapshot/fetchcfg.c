/* SPDX-License-Identifier: MIT */
/*
 * `snapshot fetch --config`: the source from the config's snapshot section
 * (fetchcfg.h).
 */
#include "ctl/snapshot/fetchcfg.h"

#include <stdio.h>
#include <string.h>

static const struct snapcfg_target *target_of(const struct snapcfg *cfg, bool cdn, bool want_tar,
                                              const char **name)
{
	/* The tar lives behind the CDN; the files bucket is the requester-pays one. */
	bool tar = (cdn || want_tar) ? cfg->s3_tar.on : !cfg->s3_files.on;

	*name = tar ? "s3_tar" : "s3_files";
	if (tar)
		return &cfg->s3_tar;
	return cfg->s3_files.on ? &cfg->s3_files : NULL;
}

int fetchcfg_pick(const struct snapcfg *cfg, bool cdn, bool want_tar, struct fetchcfg_src *out,
                  char *err, size_t errlen)
{
	const struct snapcfg_target *t;
	const char *name;
	size_t n;

	memset(out, 0, sizeof(*out));
	t = target_of(cfg, cdn, want_tar, &name);
	if (t == NULL || !t->on) {
		(void)snprintf(err, errlen, "snapshot: neither s3_files nor s3_tar is configured");
		return -1;
	}
	if (!cdn) {
		memcpy(out->bucket, t->bucket, sizeof(out->bucket));
		memcpy(out->region, t->region, sizeof(out->region));
		memcpy(out->endpoint, t->endpoint, sizeof(out->endpoint));
		memcpy(out->prefix, t->prefix, sizeof(out->prefix));
		return 0;
	}
	if (t->cdn_url[0] == '\0') {
		(void)snprintf(err, errlen,
		               "snapshot.%s.cdn_url: not in the config; give the CDN's URL with "
		               "--endpoint",
		               name);
		return -1;
	}
	n = strlen(t->cdn_url);
	while (n > 0 && t->cdn_url[n - 1] == '/')
		n--;
	/* Both bounded by their config limits, which the buffer's size adds up. */
	(void)snprintf(out->url, sizeof(out->url), "%.*s%s%s", (int)n, t->cdn_url,
	               t->prefix[0] != '\0' ? "/" : "", t->prefix);
	return 0;
}
