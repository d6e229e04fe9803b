/* SPDX-License-Identifier: MIT */
#include "tests/harness/tree.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

void h_tree_put(const char *base, const char *rel, const char *content, mode_t dir_mode)
{
	char path[1024];
	FILE *f;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", base, rel), (int)sizeof(path));
	/* Parents may exist already: only the final mkdir or fopen must succeed. */
	for (char *s = strchr(path + strlen(base) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (content == NULL) {
		ck_assert_msg(mkdir(path, dir_mode) == 0, "mkdir %s", path);
		return;
	}
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "fopen %s", path);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

int h_sh_status_in(const char *dir, const char *cmd, char *out, size_t outlen)
{
	char full[16384];
	int st;

	ck_assert_int_lt(snprintf(full, sizeof(full), "cd '%s' && %s", dir, cmd),
	                 (int)sizeof(full));
	st = h_run(full, out, outlen);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

const char *h_sh_in(const char *dir, const char *cmd)
{
	static char out[4][16384];
	static unsigned next;
	char *o = out[next++ % 4];
	int st = h_sh_status_in(dir, cmd, o, sizeof(out[0]));

	ck_assert_msg(st == 0, "`%s` failed (%d): %s", cmd, st, o);
	return o;
}

int h_snapshot_in(const char *dir, const char *args, char *out, size_t outlen)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd),
	                          "AWS_ACCESS_KEY_ID=S3RVER "
	                          "AWS_SECRET_ACCESS_KEY=pfPublishSecret0123456789 "
	                          "%s/polkfura-ctl snapshot %s 2>&1",
	                          bin, args),
	                 (int)sizeof(cmd));
	return h_sh_status_in(dir, cmd, out, outlen);
}
