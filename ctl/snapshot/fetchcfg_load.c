/* SPDX-License-Identifier: MIT */
/*
 * `snapshot fetch --config`: the file read and handed to fetchcfg.c
 * (fetchcfg_load.h).
 */
#include "ctl/snapshot/fetchcfg_load.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/file.h"
#include "ctl/snapshot/snapcfg.h"

/* As publish_cli.c and the controller (CTL_CFG_FILE_MAX): a config is a few KB. */
#define FETCHCFG_FILE_MAX (4u << 20)

int fetchcfg_load(const char *file, bool cdn, bool want_tar, struct fetchcfg_src *out, char *err,
                  size_t errlen)
{
	struct snapcfg cfg;
	char why[512];
	bool present = false;
	size_t len;
	char *text = pf_read_file(file, FETCHCFG_FILE_MAX, &len, why, sizeof(why));
	int rc = -1;

	if (text == NULL) {
		(void)snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (snapcfg_parse(text, len, &cfg, &present, why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", file, why);
		goto out;
	}
	if (!present)
		(void)snprintf(err, errlen, "%s: no \"snapshot\" section (ctl/CONFIG.md)", file);
	else if (fetchcfg_pick(&cfg, cdn, want_tar, out, why, sizeof(why)) == -1)
		(void)snprintf(err, errlen, "%s: %s", file, why);
	else
		rc = 0;
	snapcfg_free(&cfg);
out:
	free(text);
	return rc;
}
