/* SPDX-License-Identifier: MIT */
/*
 * The tar's part size chosen from the tree (ctl/snapshot/tarbound.c,
 * partsize.c, the writer's bound in mpwrite.c, publish's use of them):
 * - the stat pass's bound against what pack_tree then writes, read back by
 *   decompressing the stream (libzstd's decoder): equal for a tree of short
 *   ASCII names (what ustar holds, with the node key and keystore left out
 *   by both walks), no smaller for names that need pax headers;
 * - a sparse 60 GiB file: the bound and the part size worked by hand, with
 *   no byte read;
 * - publish with part_size_mb 5: the part size in its output line, and
 *   s3rver's log holding the number of parts that size makes of the tar;
 * - a sparse 6 TiB file: publish refuses it naming S3's 5 TiB before any
 *   request for an upload (s3rver's log has none) and runs the post hook;
 * - a writer given a bound refuses the byte past it as an internal error,
 *   and takes a stream of exactly the bound.
 * The trees live outside the harness's directory, whose every file it reads
 * for sanitizer reports (a sparse 6 TiB file would be read whole), behind a
 * symlink <work>/base it does not follow; main() removes them after the
 * run, passed or failed. Starts no HAProxy (in the Makefile's HAP34_SKIP).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include <check.h>

#include "ctl/snapshot/mpwrite.h"
#include "ctl/snapshot/pack.h"
#include "ctl/snapshot/partsize.h"
#include "ctl/snapshot/s3.h"
#include "ctl/snapshot/tarbound.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

#define BUCKET "pf-cdn"
#define MIB    (1024ULL * 1024)
#define GIB    (1024 * MIB)

static struct h_s3rver srv;
static struct h_nodesim sim;
static char work[512], base[600], trees[512];

static void put(const char *rel, const char *content)
{
	h_tree_put(base, rel, content, 0755);
}

static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

static void setup(void)
{
	snprintf(work, sizeof(work), "%s/partsize-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base-XXXXXX", trees);
	ck_assert_ptr_nonnull(mkdtemp(base));
	ck_assert_int_eq(chmod(base, 0755), 0);
	{
		char link[600];

		snprintf(link, sizeof(link), "%s/base", work);
		ck_assert_int_eq(symlink(base, link), 0);
	}
	put("chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n");
	put("chains/polkadot/db/full/empty", "");
	put("chains/polkadot/network/secret_ed25519", "PLANTED-NODE-KEY");
	put("chains/polkadot/keystore/6772616e01", "PLANTED-KEYSTORE");
}

static void teardown(void)
{
	h_stop_all();
}

/* The pack's stream decompressed as it comes: the tar's length. */
struct untar {
	ZSTD_DCtx *d;
	uint64_t tar;
	uint8_t out[1 << 17];
};

static int count_tar(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct untar *u = ctx;
	ZSTD_inBuffer in = {p, len, 0};

	while (in.pos < in.size) {
		ZSTD_outBuffer o = {u->out, sizeof(u->out), 0};
		size_t rc = ZSTD_decompressStream(u->d, &o, &in);

		if (ZSTD_isError(rc)) {
			snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(rc));
			return -1;
		}
		u->tar += o.pos;
	}
	return 0;
}

/* Bounds and packs the tree; the real tar's and stream's lengths into <tar>, <zst>. */
static void bound_and_pack(struct tarbound *b, uint64_t *tar, uint64_t *zst)
{
	static struct untar u;
	struct pack_opts o = {.threads = PACK_ZSTD_WORKERS, .write = count_tar, .write_ctx = &u};
	struct pack_result r;
	char err[512];

	ck_assert_msg(tarbound_tree(base, NULL, b, err, sizeof(err)) == 0, "%s", err);
	u.d = ZSTD_createDCtx();
	u.tar = 0;
	ck_assert_ptr_nonnull(u.d);
	ck_assert_msg(pack_tree(base, &o, &r, err, sizeof(err)) == 0, "%s", err);
	ZSTD_freeDCtx(u.d);
	*tar = u.tar;
	*zst = r.bytes;
}

START_TEST(test_bound_is_the_tar_for_ustar_names)
{
	struct tarbound b;
	uint64_t tar, zst;

	sh("head -c 3000001 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	put("chains/polkadot/db/full/MANIFEST-000002", "x");
	bound_and_pack(&b, &tar, &zst);
	/* dirs chains polkadot db full network (its key left out, the keystore whole): 5 x 512;
	 * CURRENT, MANIFEST 2 x 1024; empty 512; 000008.sst 512 + 3000320; the end 1024 */
	ck_assert_uint_eq(tar, 5 * 512 + 2 * 1024 + 512 + 512 + 3000320 + 1024);
	ck_assert_uint_eq(b.tar, tar);
	ck_assert_uint_eq(b.files, 4);
	ck_assert_uint_le(zst, b.zst);
	/* the random bytes do not compress: the stream is near its worst case */
	ck_assert_uint_gt(zst, 3000001);
}
END_TEST

START_TEST(test_bound_holds_pax_names)
{
	char rel[400];
	struct tarbound b;
	uint64_t tar, zst;

	snprintf(rel, sizeof(rel), "chains/polkadot/db/full/%0150d", 7);
	put(rel, "long name");
	snprintf(rel, sizeof(rel), "chains/polkadot/db/%0110d/%0140d", 1, 2);
	put(rel, "long directory and name, past ustar's 155 + 100 split");
	sh("head -c 100000 /dev/urandom > base/chains/polkadot/db/full/000009.sst");
	bound_and_pack(&b, &tar, &zst);
	ck_assert_uint_le(tar, b.tar);
	/* what the bound adds is the pax records' slack: under 1 KiB an entry of the 3 */
	ck_assert_uint_le(b.tar - tar, 3 * 1024);
	ck_assert_uint_le(zst, b.zst);
}
END_TEST

START_TEST(test_sparse_60_gib)
{
	struct tarbound b;
	uint64_t part = 0;
	char err[256];

	sh("rm -r base/chains/ && truncate -s 60G base/big");
	ck_assert_msg(tarbound_tree(base, NULL, &b, err, sizeof(err)) == 0, "%s", err);
	/* 512 header + 60 GiB + a pax header (size past 11 octal digits) 512 + 512; end 1024 */
	ck_assert_uint_eq(b.tar, 64424512000ULL);
	/* + 64424512000 >> 8 = 251658250 */
	ck_assert_uint_eq(b.zst, 64676170250ULL);
	/* 6,467,617.03 bytes a part: 6.17 MiB, so 7 MiB over the configured 5 */
	ck_assert_int_eq(partsize_choose(b.zst, 5 * MIB, &part, err, sizeof(err)), 0);
	ck_assert_uint_eq(part, 7 * MIB);
	ck_assert_int_eq(partsize_choose(b.zst, 16 * MIB, &part, err, sizeof(err)), 0);
	ck_assert_uint_eq(part, 16 * MIB);
	sh("rm base/big");
}
END_TEST

static void write_config(void)
{
	char json[4096], path[700];

	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\", \"post\": [\"/bin/sh\", \"-c\", "
	         "\"echo post >> %s/hooks.log\"]}], "
	         "\"s3_tar\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}, \"part_size_mb\": 5, \"parallel\": 2, "
	         "\"state_dir\": \"%s/state\"}}",
	         base, sim.port[0], work, srv.endpoint, work);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void start_peers(void)
{
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	write_config();
}

static int publish(char *out, size_t outlen)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=pfPublishSecret0123456789 "
	         "%s/polkfura-ctl snapshot publish --config ctl.json 2>&1",
	         bin);
	return h_sh_status_in(work, cmd, out, outlen);
}

/* Lines of s3rver's log matching the extended regex <re>. */
static unsigned long log_count(const char *re)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "grep -cE '%s' '%s' || true", re, srv.log);
	return strtoul(sh(cmd), NULL, 10);
}

START_TEST(test_publish_says_its_part_size)
{
	char out[8192];
	const char *p;
	unsigned long long tar = 0, mib = 0;

	/* 10.3 MiB of random bytes: 3 parts of 5 MiB, where 6 MiB or more would make 2 */
	sh("head -c 10800000 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	start_peers();
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	p = strstr(out, ", tar ");
	ck_assert_msg(p != NULL &&
	                  sscanf(p, ", tar %llu bytes sha256 %*64[0-9a-f] in %llu MiB parts", &tar,
	                         &mib) == 2,
	              "%s", out);
	/* bounded well under 10,000 x 5 MiB: the configured size */
	ck_assert_uint_eq(mib, 5);
	ck_assert_uint_gt(tar, 10 * MIB);
	ck_assert_uint_lt(tar, 12 * MIB);
	/* s3rver stored ceil(tar / 5 MiB) = 3 parts (its "Stored part N of <upload>" lines) */
	ck_assert_uint_eq(log_count("Stored part [0-9]+ of "), 3);
}
END_TEST

START_TEST(test_refuses_over_5_tib_before_upload)
{
	char out[8192];

	sh("truncate -s 6T base/chains/polkadot/db/full/000010.sst");
	start_peers();
	ck_assert_int_ne(publish(out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "over S3's limit of 5 TiB") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "the tar of 3 files") != NULL, "%s", out);
	ck_assert_str_eq(sh("cat hooks.log"), "post\n");
	/* no multipart upload initiated, no part, no object */
	ck_assert_uint_eq(log_count("uploads=|partNumber=|Stored "), 0);
	ck_assert_uint_eq(log_count("manifest\\.json 404"), 1);
	sh("rm base/chains/polkadot/db/full/000010.sst");
}
END_TEST

START_TEST(test_writer_refuses_past_its_bound)
{
	struct s3_creds cr = {.access_key = "S3RVER", .secret_key = "pfPartsizeSecret0123456789"};
	struct s3_cfg cfg = {.region = "us-east-1",
	                     .bucket = BUCKET,
	                     .attempts = 2,
	                     .backoff_ms = 10,
	                     .timeout_ms = 30000};
	struct mpw_opts mo = {.part_size = 5 * MIB, .parallel = 1, .max_bytes = 6 * MIB};
	static uint8_t buf[6 * MIB];
	struct s3_client *c;
	struct mpw *w;
	uint64_t size = 0;
	char err[512];

	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	cfg.endpoint = srv.endpoint;
	c = s3_new(&cfg, &cr, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	/* exactly the bound: taken and completed */
	w = mpw_open(c, "exact", &mo, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_msg(mpw_write(w, buf, 5 * MIB, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(mpw_write(w, buf, MIB, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(mpw_finish(w, &size, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(size, 6 * MIB);
	ck_assert_int_eq(mpw_free(w, err, sizeof(err)), 0);
	/* one byte past it: refused, whatever the part size could still take */
	w = mpw_open(c, "over", &mo, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_msg(mpw_write(w, buf, 6 * MIB - 1, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(mpw_write(w, buf, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "over: internal error: the stream passes its bound of 6291456 "
	                      "bytes, from which the part size was chosen");
	(void)mpw_free(w, err, sizeof(err));
	s3_free(c);
}
END_TEST

static Suite *partsize_suite(void)
{
	Suite *s = suite_create("snapshot_partsize");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bound_is_the_tar_for_ustar_names);
	tcase_add_test(tc, test_bound_holds_pax_names);
	tcase_add_test(tc, test_sparse_60_gib);
	tcase_add_test(tc, test_publish_says_its_part_size);
	tcase_add_test(tc, test_refuses_over_5_tib_before_upload);
	tcase_add_test(tc, test_writer_refuses_past_its_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char cmd[600];
	int rc;

	snprintf(trees, sizeof(trees), "%s/pf-partsize-XXXXXX", t != NULL ? t : "/tmp");
	if (mkdtemp(trees) == NULL) {
		perror(trees);
		return 1;
	}
	rc = h_run_suite(partsize_suite());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", trees);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
