/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/pack.c against independent tools: a node-like tree with a
 * planted node key (chains/polkadot/network/secret_ed25519), a keystore, a
 * collator's relay chain copy under polkadot/, a name only pax can hold and a
 * few MB of incompressible data is packed, then unpacked by GNU tar with
 * Debian's zstd binary (`tar --zstd -x`) and compared with `diff -r` against
 * the source minus the excludes; the stream's sha256 and length are checked
 * with sha256sum and wc, each file's sha256 with `sha256sum -c`; the secret is
 * in no byte of the decompressed stream; two packs of one tree are the same
 * bytes (with and without per-file sums, with and without worker threads);
 * the frame holds its checksum; worker threads give one valid frame too; a
 * failing write stops it; a symlink fails the pack.
 * Starts no HAProxy (it is in the Makefile's HAP34_BINS filter).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/snapshot/pack.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/tree.h"

#define SECRET "PLANTED-NODE-KEY-4f1c"
#define KEY    "PLANTED-KEYSTORE-9a2e"

static char work[512], base[600];

static void put(const char *rel, const char *content)
{
	h_tree_put(base, rel, content, 0700);
}

/* Runs <cmd> in the work directory; asserts exit status 0 and returns its output. */
static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

static void setup(void)
{
	char name[151];

	/* Check forks each test: a fresh directory each, named by mkdtemp. */
	snprintf(work, sizeof(work), "%s/pack-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	put("chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n");
	put("chains/polkadot/db/full/000007.sst", "sst bytes\n");
	put("chains/polkadot/db/full/LOG", "rocksdb log\n");
	put("chains/polkadot/network/secret_ed25519", SECRET);
	put("chains/polkadot/keystore/6772616e01", KEY);
	put("polkadot/chains/ksmcc3/network/secret_ed25519", SECRET);
	put("polkadot/chains/ksmcc3/keystore/61757261ff", KEY);
	put("polkadot/chains/ksmcc3/paritydb/full/index_00_16", "index\n");
	put("chains/polkadot/db/full/empty.log", "");
	put("chains/polkadot/empty-dir", NULL);
	/* 150 bytes in one name: over ustar's 100-byte name field, so a pax header. */
	memset(name, 'p', 150);
	name[150] = '\0';
	{
		char rel[300];

		snprintf(rel, sizeof(rel), "chains/polkadot/db/full/%s", name);
		put(rel, "long name\n");
	}
	/* 3 MiB that zstd cannot shrink: several reads and several output blocks. */
	sh("head -c 3145728 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
}

struct sink {
	FILE *f;
	FILE *sums;          /* "sha256  ./rel" lines, as sha256sum -c reads them */
	uint64_t fail_after; /* fail the write once this many bytes went; 0: never */
	uint64_t seen;
	int change; /* at the first write: 1 appends to 000008.sst, 2 truncates it */
};

/*
 * The first compressed block leaves while 000008.sst (3 MiB of random bytes,
 * the first file big enough to fill one) is being read: changing it then is
 * a change in the middle of its read.
 */
static void change_big_file(int how)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/chains/polkadot/db/full/000008.sst", base);
	if (how == 2) {
		ck_assert_int_eq(truncate(path, 0), 0);
		return;
	}
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs("more", f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static int sink_write(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct sink *s = ctx;

	if (s->change != 0) {
		change_big_file(s->change);
		s->change = 0;
	}
	if (s->fail_after != 0 && s->seen + len > s->fail_after) {
		snprintf(err, errlen, "test sink: upload refused at %llu bytes",
		         (unsigned long long)s->seen);
		return -1;
	}
	s->seen += len;
	return fwrite(p, 1, len, s->f) == len ? 0 : -1;
}

static int sink_file(void *ctx, const char *rel, uint64_t size, const uint8_t *sha, char *err,
                     size_t errlen)
{
	struct sink *s = ctx;

	(void)size, (void)err, (void)errlen;
	for (int i = 0; i < PACK_SHA256_LEN; i++)
		fprintf(s->sums, "%02x", sha[i]);
	fprintf(s->sums, "  ./%s\n", rel);
	return 0;
}

static void hex(const uint8_t *p, char *out)
{
	for (int i = 0; i < PACK_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Packs <base> into <work>/<name>; returns pack_tree's result in <r>. */
static int pack_changing(const char *name, int threads, uint64_t fail_after, bool with_sums,
                         int change, struct pack_result *r, char *err, size_t errlen)
{
	const char *pats[] = {"chains/*/db/full/LOG*"};
	struct exclude_set ex = {pats, 1};
	char path[700], sums[700];
	struct sink s = {.fail_after = fail_after, .change = change};
	struct pack_opts o = {.ex = &ex,
	                      .threads = threads,
	                      .write = sink_write,
	                      .write_ctx = &s,
	                      .on_file = sink_file,
	                      .file_ctx = &s};
	int rc;

	if (!with_sums)
		o.on_file = NULL;
	snprintf(path, sizeof(path), "%s/%s", work, name);
	snprintf(sums, sizeof(sums), "%s/%s.sha256", work, name);
	s.f = fopen(path, "wb");
	s.sums = fopen(sums, "w");
	ck_assert_ptr_nonnull(s.f);
	ck_assert_ptr_nonnull(s.sums);
	rc = pack_tree(base, &o, r, err, errlen);
	ck_assert_int_eq(fclose(s.f), 0);
	ck_assert_int_eq(fclose(s.sums), 0);
	return rc;
}

static int pack_to(const char *name, int threads, uint64_t fail_after, bool with_sums,
                   struct pack_result *r, char *err, size_t errlen)
{
	return pack_changing(name, threads, fail_after, with_sums, 0, r, err, errlen);
}

static void expect_unpacks(const char *name)
{
	char cmd[1024];

	/* The source minus what must be left out, copied by cp and rm, not by the packer. */
	sh("rm -rf expected && cp -a base expected && "
	   "rm expected/chains/polkadot/network/secret_ed25519 "
	   "expected/polkadot/chains/ksmcc3/network/secret_ed25519 "
	   "expected/chains/polkadot/db/full/LOG && "
	   "rm -r expected/chains/polkadot/keystore expected/polkadot/chains/ksmcc3/keystore");
	snprintf(cmd, sizeof(cmd),
	         "rm -rf out && mkdir out && tar --zstd -xf %s -C out && "
	         "diff -r expected out && echo same",
	         name);
	ck_assert_str_eq(sh(cmd), "same\n");
}

START_TEST(test_unpacks_with_gnu_tar)
{
	struct pack_result r;
	char err[1024] = "", want[2 * PACK_SHA256_LEN + 1], cmd[256];

	ck_assert_msg(pack_to("snap.tar.zst", 0, 0, true, &r, err, sizeof(err)) == 0, "%s", err);
	expect_unpacks("snap.tar.zst");
	/* The stream's checksum and length, by sha256sum and wc. */
	hex(r.sha256, want);
	ck_assert_str_eq(sh("sha256sum < snap.tar.zst | cut -c1-64 | tr -d '\\n'"), want);
	snprintf(cmd, sizeof(cmd), "%llu\n", (unsigned long long)r.bytes);
	ck_assert_str_eq(sh("wc -c < snap.tar.zst"), cmd);
	/* Each file's checksum, by sha256sum -c over the source tree. */
	sh("cd base && sha256sum --quiet --strict -c ../snap.tar.zst.sha256");
	/* CURRENT, 000007.sst, 000008.sst, empty.log, the long name, index_00_16. */
	ck_assert_str_eq(sh("wc -l < snap.tar.zst.sha256"), "6\n");
	ck_assert_uint_eq(r.walk.files, 6);
	ck_assert_uint_eq(r.walk.excluded[EXCLUDE_NODE_KEY], 2);
	ck_assert_uint_eq(r.walk.excluded[EXCLUDE_KEYSTORE], 2);
	ck_assert_uint_eq(r.walk.excluded[EXCLUDE_PATTERN], 1);
	/* Not a byte of either secret anywhere in the stream. */
	ck_assert_str_eq(
	    sh("zstd -dc snap.tar.zst | grep -c -a -e '" SECRET "' -e '" KEY "' || true"), "0\n");
	/* Owners are 0/0 without names; a single zstd frame at level 3. */
	ck_assert_ptr_null(
	    strstr(sh("tar --zstd -tvf snap.tar.zst | grep -v ' 0/0 ' || true"), "chains"));
	sh("zstd -t -q snap.tar.zst");
	/*
	 * One frame, and its window says the level: 2 MiB (windowLog 21) is the
	 * window of levels 3 to 8 in zstd's lib/compress/clevels.h for a stream
	 * of unknown size; level 1 would show 512 KiB, level 2 1 MiB, 9+ 4 MiB.
	 */
	ck_assert_str_eq(
	    sh("zstd -lv snap.tar.zst 2>&1 | grep -E '^(# Zstandard Frames|Window Size):'"),
	    "# Zstandard Frames: 1\nWindow Size: 2.00 MiB (2097152 B)\n");
	/* The frame carries its content checksum, as zstd(1)'s do, so unpacking verifies it. */
	ck_assert_str_eq(sh("zstd -lv snap.tar.zst 2>&1 | grep -o '^Check: XXH64'"),
	                 "Check: XXH64\n");
}
END_TEST

START_TEST(test_same_bytes_twice)
{
	struct pack_result r1, r2;
	char err[1024] = "";

	ck_assert_msg(pack_to("one.tar.zst", 0, 0, true, &r1, err, sizeof(err)) == 0, "%s", err);
	/* The second without per-file sums: hashing must not change the stream. */
	ck_assert_msg(pack_to("two.tar.zst", 0, 0, false, &r2, err, sizeof(err)) == 0, "%s", err);
	sh("cmp one.tar.zst two.tar.zst");
	ck_assert_mem_eq(r1.sha256, r2.sha256, PACK_SHA256_LEN);
}
END_TEST

/*
 * With workers, as publish packs (PACK_ZSTD_WORKERS): 11 MB of incompressible
 * data spans several compression jobs (PACK_ZSTD_JOB_SIZE), which must still
 * make one frame that GNU tar unpacks, and the same bytes twice: an upload
 * resumed after an interruption relies on the stream being the same.
 */
START_TEST(test_threads)
{
	struct pack_result r1, r2;
	char err[1024] = "";

	sh("head -c 8388608 /dev/urandom > base/chains/polkadot/db/full/000009.sst");
	ck_assert_msg(pack_to("mt.tar.zst", PACK_ZSTD_WORKERS, 0, true, &r1, err, sizeof(err)) == 0,
	              "%s", err);
	expect_unpacks("mt.tar.zst");
	ck_assert_str_eq(sh("zstd -lv mt.tar.zst 2>&1 | grep -E '^# Zstandard Frames:'"),
	                 "# Zstandard Frames: 1\n");
	ck_assert_msg(pack_to("mt2.tar.zst", PACK_ZSTD_WORKERS, 0, false, &r2, err, sizeof(err)) ==
	                  0,
	              "%s", err);
	sh("cmp mt.tar.zst mt2.tar.zst");
	ck_assert_mem_eq(r1.sha256, r2.sha256, PACK_SHA256_LEN);
}
END_TEST

START_TEST(test_write_failure)
{
	struct pack_result r;
	char err[1024] = "";

	ck_assert_int_eq(pack_to("cut.tar.zst", 0, 200000, true, &r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "test sink: upload refused") != NULL, "%s", err);
}
END_TEST

START_TEST(test_symlink_fails_pack)
{
	struct pack_result r;
	char err[1024] = "";

	sh("ln -s /etc/passwd base/chains/polkadot/db/full/escape");
	ck_assert_int_eq(pack_to("link.tar.zst", 0, 0, true, &r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "chains/polkadot/db/full/escape: is a symlink") != NULL, "%s",
	              err);
}
END_TEST

/* pack.c's own checks, ahead of the walk's fstat after the file (walk.c). */
START_TEST(test_file_changes_while_read)
{
	struct pack_result r;
	char err[1024] = "";

	ck_assert_int_eq(pack_changing("grow.tar.zst", 0, 0, true, 1, &r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "chains/polkadot/db/full/000008.sst: grew while read") != NULL,
	              "%s", err);
	ck_assert_int_eq(pack_changing("shrink.tar.zst", 0, 0, true, 2, &r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "chains/polkadot/db/full/000008.sst: shrank while read") != NULL,
	              "%s", err);
}
END_TEST

static Suite *snapshot_pack_suite(void)
{
	Suite *s = suite_create("snapshot_pack");
	TCase *tc = tcase_create("pack");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unpacks_with_gnu_tar);
	tcase_add_test(tc, test_same_bytes_twice);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_write_failure);
	tcase_add_test(tc, test_symlink_fails_pack);
	tcase_add_test(tc, test_file_changes_while_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(snapshot_pack_suite());
}
