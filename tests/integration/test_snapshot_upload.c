/* SPDX-License-Identifier: MIT */
/*
 * The tar target's upload (ctl/snapshot/mpwrite.c fed by pack_tree) against
 * s3rver on loopback, read back with independent tools: `curl` fetches the
 * object, `sha256sum` and `wc -c` check it against what the packer
 * reported, `tar --zstd -x` unpacks it and `diff -r` compares it with the
 * source minus the node key and the keystore, whose planted bytes are in
 * no byte of the object nor of its decompressed stream. Parts of 5 MiB and
 * 12 MiB of incompressible data make a three-part upload. A server that
 * goes away halfway fails the upload naming the part, and the writer says
 * that the abort failed and the lifecycle rule will clean up (s3rver
 * answers AbortMultipartUpload with 405 even when it is up: pinned).
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

#include "ctl/snapshot/mpwrite.h"
#include "ctl/snapshot/pack.h"
#include "ctl/snapshot/s3.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"

#define BUCKET   "pf-snapshots"
#define KEYNAME  "chains/polkadot/20261206-1234-0x0a0b/polkadot.tar.zst"
#define SECRET   "PLANTED-NODE-KEY-77d0"
#define KEYSTORE "PLANTED-KEYSTORE-31be"
#define MIB      (1024 * 1024)

static const struct mpw_opts one = {.part_size = 5 * MIB, .parallel = 1};
static const struct mpw_opts four = {.part_size = 5 * MIB, .parallel = 4};
static struct h_s3rver srv;
static struct s3_client *cli;
static char work[512], base[600];

static void put(const char *rel, const char *content)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (char *s = strchr(path + strlen(base) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Runs <cmd> in the work directory; asserts exit status 0 and returns its output. */
static const char *sh(const char *cmd)
{
	static char out[8192];
	char full[2048];
	int st;

	snprintf(full, sizeof(full), "cd '%s' && %s", work, cmd);
	st = h_run(full, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "`%s` failed (%d): %s", cmd, st, out);
	return out;
}

static void setup(void)
{
	struct s3_creds cr = {.access_key = "S3RVER", .secret_key = "pfUploadTestSecret0123456789"};
	struct s3_cfg cfg = {.region = "us-east-1",
	                     .bucket = BUCKET,
	                     .attempts = 2,
	                     .backoff_ms = 10,
	                     .timeout_ms = 30000};
	char err[256];

	snprintf(work, sizeof(work), "%s/upload-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	put("chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n");
	put("chains/polkadot/network/secret_ed25519", SECRET);
	put("chains/polkadot/keystore/6772616e01", KEYSTORE);
	sh("head -c 12582912 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	cfg.endpoint = srv.endpoint;
	cli = s3_new(&cfg, &cr, err, sizeof(err));
	ck_assert_msg(cli != NULL, "s3_new: %s", err);
}

static void teardown(void)
{
	s3_free(cli);
	cli = NULL;
	h_stop_all();
	/* The bulky bytes (random trees, objects, parts, s3rver's data) go: the harness reads
	 * every file a run leaves for sanitizer reports, which under ASan takes a minute. The
	 * logs and the state directory stay. */
	{
		char cmd[1600], out[256];

		snprintf(cmd, sizeof(cmd), "cd '%s' && rm -rf %s '%s'", work,
		         "base expect out got.tar.zst got.bin in.bin in3.bin p.*", srv.dir);
		(void)h_run(cmd, out, sizeof(out));
	}
}

START_TEST(test_tar_round_trip)
{
	struct pack_opts o = {.write = mpw_write};
	struct pack_result r;
	char err[512], cmd[1024], hex[65];
	uint64_t size = 0;
	struct mpw *w;

	w = mpw_open(cli, KEYNAME, &one, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	o.write_ctx = w;
	ck_assert_msg(pack_tree(base, &o, &r, err, sizeof(err)) == 0, "pack: %s", err);
	ck_assert_msg(mpw_finish(w, &size, err, sizeof(err)) == 0, "finish: %s", err);
	ck_assert_int_eq(mpw_free(w, err, sizeof(err)), 0);
	ck_assert_uint_eq(size, r.bytes);
	ck_assert_uint_gt(r.bytes, 10 * MIB); /* three parts of 5 MiB at most */

	snprintf(cmd, sizeof(cmd), "curl -sSf -o got.tar.zst '%s/%s/%s'", srv.endpoint, BUCKET,
	         KEYNAME);
	sh(cmd);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", r.sha256[i]);
	ck_assert_str_eq(sh("sha256sum got.tar.zst | cut -c1-64 | tr -d '\\n'"), hex);
	ck_assert_uint_eq(strtoull(sh("wc -c < got.tar.zst"), NULL, 10), r.bytes);
	sh("mkdir out && tar --zstd -xf got.tar.zst -C out");
	sh("cp -a base expect && rm -r expect/chains/polkadot/network/secret_ed25519 "
	   "expect/chains/polkadot/keystore && diff -r expect out");
	sh("! grep -rl -e " SECRET " -e " KEYSTORE " out got.tar.zst");
	sh("! zstd -dc got.tar.zst | grep -c -e " SECRET " -e " KEYSTORE);
}
END_TEST

START_TEST(test_server_gone_halfway)
{
	char err[512];
	uint8_t *chunk = calloc(1, 6 * MIB);
	struct mpw *w;

	ck_assert_ptr_nonnull(chunk);
	w = mpw_open(cli, KEYNAME, &one, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	/* 6 MiB: part 1 goes up; 1 MiB waits in the buffer. */
	ck_assert_msg(mpw_write(w, chunk, 6 * MIB, err, sizeof(err)) == 0, "%s", err);
	h_s3rver_stop(&srv);
	ck_assert_int_eq(mpw_write(w, chunk, 6 * MIB, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, KEYNAME " part 2: ") == err, "%s", err);
	ck_assert_int_eq(mpw_free(w, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "abort the upload of " KEYNAME ": ") == err, "%s", err);
	ck_assert_msg(strstr(err, "lifecycle rule (abort_multipart_days)") != NULL, "%s", err);
	free(chunk);
}
END_TEST

/* s3rver 3.7.1 has no AbortMultipartUpload: the writer says so rather than pretend. */
START_TEST(test_abort_unsupported_is_said)
{
	char err[512];
	struct mpw *w = mpw_open(cli, KEYNAME, &one, err, sizeof(err));

	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_int_eq(mpw_write(w, "x", 1, err, sizeof(err)), 0);
	ck_assert_int_eq(mpw_free(w, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "405") != NULL || strstr(err, "MethodNotAllowed") != NULL, "%s",
	              err);
}
END_TEST

/*
 * Feeds the file <rel> (under the work directory) to a writer with <o> in
 * pieces of an odd size, so part boundaries fall inside a piece.
 */
static int feed_file(const struct mpw_opts *o, const char *rel, uint64_t *size, char *err,
                     size_t errlen)
{
	static uint8_t piece[1048576 + 17];
	char path[700];
	struct mpw *w;
	FILE *f;
	size_t n;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", work, rel);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	w = mpw_open(cli, KEYNAME, o, err, errlen);
	ck_assert_msg(w != NULL, "%s", err);
	while (rc == 0 && (n = fread(piece, 1, sizeof(piece), f)) > 0)
		rc = mpw_write(w, piece, n, err, errlen);
	fclose(f);
	if (rc == 0)
		rc = mpw_finish(w, size, err, errlen);
	if (rc == 0)
		ck_assert_int_eq(mpw_free(w, err, errlen), 0);
	else {
		char why[512];

		ck_assert_int_eq(mpw_free(w, why, sizeof(why)), -1); /* s3rver: abort is 405 */
	}
	return rc;
}

/* Six parts (five of 5 MiB and a short one) four at a time: the object is the input. */
START_TEST(test_parallel_round_trip)
{
	char err[512], cmd[1024];
	uint64_t size = 0;

	sh("head -c 27262999 /dev/urandom > in.bin");
	ck_assert_msg(feed_file(&four, "in.bin", &size, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(size, 27262999);
	snprintf(cmd, sizeof(cmd), "curl -sSf -o got.bin '%s/%s/%s'", srv.endpoint, BUCKET,
	         KEYNAME);
	sh(cmd);
	sh("test \"$(sha256sum < in.bin)\" = \"$(sha256sum < got.bin)\"");
}
END_TEST

/* The server goes away with parts in flight: the writer fails naming a part, ASan sees no leak. */
START_TEST(test_parallel_server_gone)
{
	char err[512];
	uint8_t *chunk = calloc(1, 6 * MIB);
	struct mpw *w;
	int rc = 0;

	ck_assert_ptr_nonnull(chunk);
	w = mpw_open(cli, KEYNAME, &four, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_msg(mpw_write(w, chunk, 6 * MIB, err, sizeof(err)) == 0, "%s", err);
	h_s3rver_stop(&srv);
	for (int i = 0; i < 8 && rc == 0; i++)
		rc = mpw_write(w, chunk, 6 * MIB, err, sizeof(err));
	if (rc == 0) {
		uint64_t size;

		rc = mpw_finish(w, &size, err, sizeof(err));
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, KEYNAME " part ") == err, "%s", err);
	ck_assert_int_eq(mpw_free(w, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "abort the upload of " KEYNAME ": ") == err, "%s", err);
	free(chunk);
}
END_TEST

/*
 * Resume, against tests/harness/s3capture.py: a state file written here by
 * hand (its name and part sha256s computed by sha256sum, not by the code)
 * names an upload "gone-1" and parts 1 and 2 of a three-part input. The
 * writer resumes it: parts 1 and 2 are not sent (no such request in the
 * capture's record), part 3 is, and its 404 NoSuchUpload (the upload is no
 * longer there; the capture has no ListParts, 405, like s3rver) fails the
 * writer, marks it gone and removes the state file so the next attempt
 * starts a new upload.
 */
START_TEST(test_resume_skips_then_gone)
{
	struct mpw_opts o = {.part_size = 5 * MIB, .parallel = 2};
	struct s3_creds cr = {.access_key = "S3RVER", .secret_key = "pfUploadTestSecret0123456789"};
	struct s3_cfg cfg = {.region = "us-east-1", .bucket = BUCKET, .attempts = 1};
	struct h_s3capture cap;
	struct s3_client *c;
	struct mpw_stats ms;
	char err[512], cmd[2048], url[512], state[700];
	uint64_t size;
	struct mpw *w;
	FILE *f;
	int rc = 0;

	ck_assert(h_s3capture_start(&cap, 0, 0));
	cfg.endpoint = cap.endpoint;
	c = s3_new(&cfg, &cr, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	snprintf(state, sizeof(state), "%s/state", work);
	snprintf(url, sizeof(url), "%s/" BUCKET "/" KEYNAME, cap.endpoint);
	sh("head -c 15728640 /dev/urandom > in3.bin && split -b 5242880 -d in3.bin p.");
	snprintf(
	    cmd, sizeof(cmd),
	    "mkdir -m 700 state && f=state/$(printf %%s '%s' | sha256sum | cut -c1-64).mpu && "
	    "printf 'polkfura-mpu 1\\nurl %%s\\nupload gone-1\\npart_size 5242880\\n' '%s' > $f "
	    "&& for i in 1 2; do printf 'part %%d 5242880 %%s \"e%%d\"\\n' $i "
	    "$(sha256sum < p.0$((i - 1)) | cut -c1-64) $i >> $f; done",
	    url, url);
	sh(cmd);
	o.state_dir = state;
	w = mpw_open(c, KEYNAME, &o, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	{
		char path[700];
		static uint8_t buf[15728640];

		snprintf(path, sizeof(path), "%s/in3.bin", work);
		f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fread(buf, 1, sizeof(buf), f), sizeof(buf));
		fclose(f);
		rc = mpw_write(w, buf, sizeof(buf), err, sizeof(err));
	}
	if (rc == 0)
		rc = mpw_finish(w, &size, err, sizeof(err));
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, KEYNAME " part 3: ") == err && strstr(err, "NoSuchUpload"), "%s",
	              err);
	mpw_get_stats(w, &ms);
	ck_assert(ms.resumed && ms.gone);
	ck_assert_uint_eq(ms.skipped, 2);
	ck_assert_int_eq(mpw_free(w, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is gone") != NULL, "%s", err);
	ck_assert_str_eq(sh("ls state | wc -l | tr -d ' \\n'"), "0");
	snprintf(cmd, sizeof(cmd),
	         "grep -c '\"PUT\".*partNumber=[12]&' '%s' || true; "
	         "grep -c '\"PUT\".*partNumber=3&uploadId=gone-1' '%s'",
	         cap.record, cap.record);
	ck_assert_str_eq(sh(cmd), "0\n1\n");
	s3_free(c);
}
END_TEST

static Suite *snapshot_upload_suite(void)
{
	Suite *s = suite_create("snapshot_upload");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tar_round_trip);
	tcase_add_test(tc, test_server_gone_halfway);
	tcase_add_test(tc, test_abort_unsupported_is_said);
	tcase_add_test(tc, test_parallel_round_trip);
	tcase_add_test(tc, test_parallel_server_gone);
	tcase_add_test(tc, test_resume_skips_then_gone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(snapshot_upload_suite());
}
