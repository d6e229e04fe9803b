/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl snapshot publish` with the s3_files target, end to end
 * against s3rver and the node simulator, read back with tools that share
 * no code with the publisher: `polkfura-ctl snapshot fetch --form files`
 * (its own reader of the format) then `diff -r` against the base path less
 * the excludes, `sha256sum -c` of the fetched SHA256SUMS, curl, python3's
 * json module, find | sort for files.txt, and grep over s3rver's data
 * directory (every object it holds) for the planted node key and keystore.
 * Also: both targets in one bucket give one manifest listing both; in two
 * buckets each manifest lists only what its bucket holds; retention
 * deletes an old snapshot's file objects. Starts no HAProxy (it is in the
 * Makefile's HAP34_SKIP).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

#define BUCKET   "pf-files"
#define BUCKET2  "pf-cdn"
#define SECRET   "PLANTED-NODE-KEY-7f21"
#define KEYSTORE "PLANTED-KEYSTORE-93bd"

static struct h_s3rver srv;
static struct h_nodesim sim;
static char work[512], base[600];

/* Runs <cmd>, asserts status 0, returns its output (four buffers in turn). */
static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

/* The config: s3_files in BUCKET, and s3_tar in <tar_bucket> when not NULL. */
static void write_config(const char *tar_bucket, int retention)
{
	char json[4096], tar[512] = "", path[700];

	if (tar_bucket != NULL)
		snprintf(tar, sizeof(tar),
		         ", \"s3_tar\": {\"bucket\": \"%s\", \"region\": \"us-east-1\", "
		         "\"endpoint\": \"%s\"}",
		         tar_bucket, srv.endpoint);
	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\", \"exclude\": [\"chains/*/db/full/LOG\"]}], "
	         "\"s3_files\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}%s, \"retention\": %d, \"part_size_mb\": 5, "
	         "\"state_dir\": \"%s/state\"}}",
	         base, sim.port[0], srv.endpoint, tar, retention, work);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void setup(void)
{
	snprintf(work, sizeof(work), "%s/pubfiles-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	h_tree_put(base, "chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n", 0);
	h_tree_put(base, "chains/polkadot/db/full/LOG", "rocksdb log, excluded by the config\n", 0);
	h_tree_put(base, "chains/polkadot/network/secret_ed25519", SECRET, 0);
	h_tree_put(base, "chains/polkadot/keystore/6772616e01", KEYSTORE, 0);
	/* "db-x" sorts before "db/..." in byte order, after "db" in a walk: the lists are sorted.
	 */
	h_tree_put(base, "chains/polkadot/db-x/notes", "a sibling that sorts between\n", 0);
	h_tree_put(base, "chains/polkadot/db/full/empty.log", "", 0);
	/* 7 MiB: above the 5 MiB part size, so by multipart upload (two parts). */
	sh("head -c 7340032 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	sh("head -c 5242879 /dev/urandom > base/chains/polkadot/db/full/000009.sst");
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"finalized_lag\": 3}", NULL), 200);
	write_config(NULL, 2);
	/* What a fetch must give back: the base path less the excludes and empty directories. */
	sh("cp -a base expect && rm -r expect/chains/polkadot/network "
	   "expect/chains/polkadot/keystore expect/chains/polkadot/db/full/LOG");
}

static void teardown(void)
{
	h_stop_all();
}

static int publish(char *out, size_t outlen)
{
	return h_snapshot_in(work, "publish --config ctl.json", out, outlen);
}

static void fetch_files(const char *dest)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER %s/polkfura-ctl snapshot "
	         "fetch --chain polkadot --dest %s --from s3 --endpoint %s --bucket " BUCKET
	         " --form files 2>&1 </dev/null",
	         bin, dest, srv.endpoint);
	sh(cmd);
}

/* GETs <key> of <bucket> into the file <file> of the work directory. */
static void get(const char *bucket, const char *key, const char *file)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "curl -sSf -o '%s' '%s/%s/%s'", file, srv.endpoint, bucket, key);
	sh(cmd);
}

static const char *json_field(const char *file, const char *expr)
{
	char cmd[512];

	snprintf(
	    cmd, sizeof(cmd),
	    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(%s, end=\"\")' "
	    "%s",
	    expr, file);
	return sh(cmd);
}

/* latest.json and the manifest it names, of <bucket>, into <bucket>.latest/.manifest. */
static void get_manifest(const char *bucket, char *snapdir, size_t len)
{
	char f[128], key[512];
	const char *m;

	snprintf(f, sizeof(f), "%s.latest", bucket);
	get(bucket, "chains/polkadot/latest.json", f);
	m = json_field(f, "d[\"manifest\"]");
	snprintf(snapdir, len, "chains/polkadot/%.*s/", (int)(strlen(m) - 14), m);
	snprintf(key, sizeof(key), "chains/polkadot/%s", m);
	snprintf(f, sizeof(f), "%s.manifest", bucket);
	get(bucket, key, f);
}

/* The keys of <bucket> under <prefix>, one a line, sorted, from ListObjectsV2 read by grep. */
static const char *keys(const char *bucket, const char *prefix)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	         "curl -sSf '%s/%s?list-type=2&prefix=%s' | grep -o '<Key>[^<]*</Key>' | "
	         "sed 's|<Key>||; s|</Key>||' | LC_ALL=C sort",
	         srv.endpoint, bucket, prefix);
	return sh(cmd);
}

START_TEST(test_files_publish_fetch)
{
	char out[8192], snap[256], key[512], cmd[1024], want[16384];

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	fetch_files("got");
	sh("diff -r -x SHA256SUMS expect got");
	sh("cd got && sha256sum --quiet -c SHA256SUMS");
	get_manifest(BUCKET, snap, sizeof(snap));
	ck_assert_str_eq(
	    json_field(BUCKET ".manifest",
	               "len(d[\"artifacts\"]), d[\"artifacts\"][0][\"kind\"], "
	               "d[\"artifacts\"][0][\"name\"], d[\"artifacts\"][0][\"file_list\"], "
	               "d[\"artifacts\"][0][\"sums\"]"),
	    "1 files files files.txt SHA256SUMS");
	/* size: all the files' bytes, added up by find, not by the publisher. */
	ck_assert_str_eq(json_field(BUCKET ".manifest", "d[\"artifacts\"][0][\"size\"]"),
	                 sh("find expect -type f -printf '%s\\n' | awk '{s+=$1} END {printf "
	                    "\"%d\", s}'"));
	snprintf(key, sizeof(key), "%sSHA256SUMS", snap);
	get(BUCKET, key, "SHA256SUMS");
	ck_assert_str_eq(sh("sha256sum SHA256SUMS | cut -c1-64 | tr -d '\\n'"),
	                 json_field(BUCKET ".manifest", "d[\"artifacts\"][0][\"sha256\"]"));
	/* SHA256SUMS and files.txt hold exactly the files sha256sum finds in the expected tree. */
	snprintf(want, sizeof(want), "%s",
	         sh("cd expect && find . -type f | sed 's|^\\./||' | LC_ALL=C sort | "
	            "xargs sha256sum"));
	ck_assert_str_eq(sh("cat SHA256SUMS"), want);
	snprintf(key, sizeof(key), "%sfiles.txt", snap);
	get(BUCKET, key, "files.txt");
	ck_assert_str_eq(sh("cat files.txt"),
	                 sh("cd expect && find . -type f | sed 's|^\\./||' | LC_ALL=C sort"));
	/* The objects under files/ are the listed files, nothing else (no key, no keystore). */
	snprintf(cmd, sizeof(cmd), "%sfiles/", snap);
	snprintf(want, sizeof(want), "%s", keys(BUCKET, cmd));
	snprintf(cmd, sizeof(cmd), "sed 's|^|%sfiles/|' files.txt", snap);
	ck_assert_str_eq(want, sh(cmd));
	/*
	 * Every byte s3rver holds (data and metadata of every object) is free of the planted
	 * ones; the same grep does find a published file's bytes there, so it reads the objects.
	 */
	snprintf(cmd, sizeof(cmd), "grep -r -q MANIFEST-000002 '%s'", srv.dir);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "! grep -r -l -e " SECRET " -e " KEYSTORE " '%s'", srv.dir);
	sh(cmd);
	sh("! grep -r -l -e " SECRET " -e " KEYSTORE " got");
}
END_TEST

START_TEST(test_both_targets_one_bucket)
{
	char out[8192], snap[256];

	write_config(BUCKET, 2);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(BUCKET, snap, sizeof(snap));
	ck_assert_str_eq(
	    json_field(BUCKET ".manifest", "\" \".join(a[\"kind\"] for a in d[\"artifacts\"])"),
	    "files tar.zst");
	fetch_files("got");
	sh("diff -r -x SHA256SUMS expect got");
	ck_assert_msg(strstr(out, " files ") != NULL && strstr(out, ", tar ") != NULL, "%s", out);
}
END_TEST

START_TEST(test_two_buckets_each_its_own)
{
	char out[8192], snap[256], snap2[256], cmd[1024];

	snprintf(cmd, sizeof(cmd), "curl -sSf -X PUT '%s/" BUCKET2 "'", srv.endpoint);
	sh(cmd);
	write_config(BUCKET2, 2);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(BUCKET, snap, sizeof(snap));
	get_manifest(BUCKET2, snap2, sizeof(snap2));
	ck_assert_str_eq(snap, snap2);
	ck_assert_str_eq(
	    json_field(BUCKET ".manifest", "\" \".join(a[\"kind\"] for a in d[\"artifacts\"])"),
	    "files");
	ck_assert_str_eq(
	    json_field(BUCKET2 ".manifest", "\" \".join(a[\"kind\"] for a in d[\"artifacts\"])"),
	    "tar.zst");
	/* Each bucket holds what its manifest lists: no tar in the files bucket, no files in the
	 * other. */
	snprintf(cmd, sizeof(cmd), "%s", keys(BUCKET, "chains/"));
	ck_assert_msg(strstr(cmd, "snapshot.tar.zst") == NULL, "%s", cmd);
	ck_assert_msg(strstr(keys(BUCKET2, "chains/"), "/files/") == NULL, "tar bucket has files");
	fetch_files("got");
	sh("diff -r -x SHA256SUMS expect got");
}
END_TEST

START_TEST(test_retention_deletes_files)
{
	char out[8192], snap[256], cmd[512];

	write_config(NULL, 1);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"height\": 1001}", NULL), 200);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(BUCKET, snap, sizeof(snap));
	ck_assert_msg(strncmp(snap, "chains/polkadot/998-", 20) == 0, "%s", snap);
	/* Nothing of 997's snapshot is left: every key is latest.json or under 998's directory. */
	snprintf(cmd, sizeof(cmd), "%s", keys(BUCKET, "chains/polkadot/"));
	ck_assert_msg(strstr(cmd, "/997-") == NULL, "%s", cmd);
	ck_assert_msg(strstr(cmd, "998-") != NULL && strstr(cmd, "/files/") != NULL, "%s", cmd);
	ck_assert_msg(strstr(out, "old objects deleted") != NULL && strstr(out, ", 0 old") == NULL,
	              "%s", out);
}
END_TEST

/* A path rclone would read as a comment line ("#...") is refused before its upload. */
START_TEST(test_rclone_comment_name_refused)
{
	char out[8192];

	h_tree_put(base, "#notes", "rclone --files-from skips this line\n", 0);
	ck_assert_int_eq(publish(out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "#notes: ") != NULL, "%s", out);
	ck_assert_str_eq(keys(BUCKET, "chains/"), "");
}
END_TEST

static Suite *publish_files_suite(void)
{
	Suite *s = suite_create("snapshot_publish_files");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_files_publish_fetch);
	tcase_add_test(tc, test_both_targets_one_bucket);
	tcase_add_test(tc, test_two_buckets_each_its_own);
	tcase_add_test(tc, test_retention_deletes_files);
	tcase_add_test(tc, test_rclone_comment_name_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(publish_files_suite());
}
