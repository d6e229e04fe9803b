/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl snapshot publish` (the s3_tar target) end to end: the node
 * simulator gives the finalized block (height steered, no new blocks),
 * s3rver holds the objects, and the test reads them back with curl,
 * sha256sum, wc, python3's json module, `tar --zstd -x` and `diff -r`:
 * latest.json names the manifest and holds its sha256, the manifest's tar
 * artifact has the object's size and sha256, the tar is the base path less
 * the node key and the keystore (whose planted bytes are in no object),
 * retention keeps the last N snapshots, the pre and post hooks ran in that
 * order, the post hook runs after a failed upload (s3rver stopped), and a
 * hostile config (a shell line as a hook) is refused before anything runs.
 * Starts no HAProxy (it is in the Makefile's HAP34_BINS filter).
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

#define BUCKET   "pf-cdn"
#define SECRET   "PLANTED-NODE-KEY-c3a9"
#define KEYSTORE "PLANTED-KEYSTORE-0e4d"

static struct h_s3rver srv;
static struct h_nodesim sim;
static char work[512], base[600];

static void put(const char *rel, const char *content)
{
	h_tree_put(base, rel, content, 0755);
}

/* Runs <cmd> in the work directory; returns its exit status, output in <out>. */
static int run(const char *cmd, char *out, size_t outlen)
{
	return h_sh_status_in(work, cmd, out, outlen);
}

/*
 * Runs <cmd>, asserts status 0, returns its output. Four buffers in turn, so
 * that two results compared in one assertion are two strings, not one.
 */
static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

static void write_config(const char *pre)
{
	char json[4096], path[700];

	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\", \"pre\": %s, \"post\": [\"/bin/sh\", \"-c\", "
	         "\"echo post >> %s/hooks.log\"], \"exclude\": [\"chains/*/db/full/LOG\"]}], "
	         "\"s3_tar\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}, \"retention\": 2, \"part_size_mb\": 5, "
	         "\"state_dir\": \"%s/state\"}}",
	         base, sim.port[0], pre, work, srv.endpoint, work);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void setup(void)
{
	char pre[700];

	snprintf(work, sizeof(work), "%s/publish-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	put("chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n");
	put("chains/polkadot/db/full/LOG", "rocksdb log, excluded by the config\n");
	put("chains/polkadot/network/secret_ed25519", SECRET);
	put("chains/polkadot/keystore/6772616e01", KEYSTORE);
	sh("head -c 7340032 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"finalized_lag\": 3}", NULL), 200);
	snprintf(pre, sizeof(pre), "[\"/bin/sh\", \"-c\", \"echo pre >> %s/hooks.log\"]", work);
	write_config(pre);
}

static void teardown(void)
{
	h_stop_all();
}

static int publish(char *out, size_t outlen)
{
	return h_snapshot_in(work, "publish --config ctl.json", out, outlen);
}

/* GETs <key> of the bucket into the file <file> of the work directory. */
static void get(const char *key, const char *file)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "curl -sSf -o '%s' '%s/" BUCKET "/%s'", file, srv.endpoint, key);
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

START_TEST(test_publish_and_read_back)
{
	char out[8192], snap[128], key[256], want[128], *hash;

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_str_eq(sh("cat hooks.log"), "pre\npost\n");
	get("chains/polkadot/latest.json", "latest.json");
	ck_assert_str_eq(json_field("latest.json", "d[\"height\"]"), "997");
	snprintf(snap, sizeof(snap), "%s", json_field("latest.json", "d[\"manifest\"]"));
	/* The block hash chain_getBlockHash(997) gives: the snapshot is named after it. */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
		         "curl -sSf -H 'Content-Type: application/json' -o hash.json -d "
		         "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlockHash\","
		         "\"params\":[997]}' http://127.0.0.1:%d",
		         sim.port[0]);
		sh(cmd);
	}
	hash = strdup(json_field("hash.json", "d[\"result\"]"));
	snprintf(want, sizeof(want), "997-%.8s/manifest.json", hash + 2);
	ck_assert_str_eq(snap, want);
	snprintf(key, sizeof(key), "chains/polkadot/%s", snap);
	get(key, "manifest.json");
	ck_assert_str_eq(sh("sha256sum manifest.json | cut -c1-64 | tr -d '\\n'"),
	                 json_field("latest.json", "d[\"sha256\"]"));
	ck_assert_str_eq(json_field("manifest.json", "d[\"block_hash\"]"), hash);
	ck_assert_str_eq(json_field("manifest.json", "d[\"chain\"], d[\"height\"]"),
	                 "polkadot 997");
	ck_assert_str_eq(
	    json_field("manifest.json", "len(d[\"artifacts\"]), d[\"artifacts\"][0][\"kind\"]"),
	    "1 tar.zst");
	snprintf(key, sizeof(key), "chains/polkadot/%.*s/%s", (int)(strlen(snap) - 14), snap,
	         json_field("manifest.json", "d[\"artifacts\"][0][\"name\"]"));
	get(key, "got.tar.zst");
	ck_assert_str_eq(sh("sha256sum got.tar.zst | cut -c1-64 | tr -d '\\n'"),
	                 json_field("manifest.json", "d[\"artifacts\"][0][\"sha256\"]"));
	ck_assert_str_eq(sh("wc -c < got.tar.zst | tr -d '\\n '"),
	                 json_field("manifest.json", "d[\"artifacts\"][0][\"size\"]"));
	sh("mkdir out && tar --zstd -xf got.tar.zst -C out");
	sh("cp -a base expect && rm -r expect/chains/polkadot/network/secret_ed25519 "
	   "expect/chains/polkadot/keystore expect/chains/polkadot/db/full/LOG && diff -r expect "
	   "out");
	sh("! grep -l -e " SECRET " -e " KEYSTORE " got.tar.zst manifest.json latest.json");
	sh("! zstd -dc got.tar.zst | grep -c -e " SECRET " -e " KEYSTORE);
	free(hash);
}
END_TEST

/* Snapshot directories under chains/polkadot/, from ListObjectsV2 read by grep. */
static const char *snapshots(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "curl -sSf '%s/" BUCKET "?list-type=2&prefix=chains/polkadot/' | "
	         "grep -o '<Key>[^<]*</Key>' | sed 's|<Key>chains/polkadot/||; s|</Key>||' | "
	         "grep / | cut -d/ -f1 | cut -d- -f1 | sort -un | tr '\\n' ' '",
	         srv.endpoint);
	return sh(cmd);
}

START_TEST(test_retention_keeps_n)
{
	/* retention 2: after each publish, the two highest finalized blocks (height - 3) stay. */
	static const char *const want[] = {"997 ", "997 998 ", "998 999 ", "999 1000 "};
	char out[8192], steer[64];

	for (int i = 0; i < 4; i++) {
		snprintf(steer, sizeof(steer), "{\"height\": %d}", 1000 + i);
		ck_assert_int_eq(h_nodesim_control(&sim, "/all", steer, NULL), 200);
		ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
		ck_assert_str_eq(snapshots(), want[i]);
	}
	get("chains/polkadot/latest.json", "latest.json");
	ck_assert_str_eq(json_field("latest.json", "d[\"height\"]"), "1000");
}
END_TEST

/*
 * A publish that failed half-way leaves objects without a manifest: they
 * must not take one of the kept places (retention 2 would then keep one
 * complete snapshot), and go once they are below the kept ones.
 */
START_TEST(test_retention_counts_complete_snapshots)
{
	char out[8192], cmd[512];

	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"height\": 1000}", NULL), 200);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	snprintf(cmd, sizeof(cmd),
	         "printf 'half a tar' | curl -sSf -X PUT --data-binary @- "
	         "'%s/" BUCKET "/chains/polkadot/998-0badf00d/snapshot.tar.zst'",
	         srv.endpoint);
	sh(cmd);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"height\": 1002}", NULL), 200);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_str_eq(snapshots(), "997 998 999 ");
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"height\": 1003}", NULL), 200);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_str_eq(snapshots(), "999 1000 ");
}
END_TEST

START_TEST(test_post_runs_after_failure)
{
	char out[8192];

	h_s3rver_stop(&srv);
	ck_assert_int_eq(publish(out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "snapshot publish polkadot: ") != NULL, "%s", out);
	ck_assert_str_eq(sh("cat hooks.log"), "pre\npost\n");
}
END_TEST

START_TEST(test_hostile_config_refused)
{
	char out[8192];

	write_config("\"touch /tmp/pwned; echo pre >> hooks.log\"");
	ck_assert_int_eq(publish(out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "snapshot.chains[0].pre: expected an argv array") != NULL, "%s",
	              out);
	ck_assert_int_eq(run("test -e hooks.log", out, sizeof(out)), 1);
}
END_TEST

/* The finalized block did not move: its snapshot stays as it was, nothing rewritten. */
START_TEST(test_same_block_not_rewritten)
{
	char out[8192], first[8192], key[256];
	const char *m;

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get("chains/polkadot/latest.json", "latest.json");
	snprintf(first, sizeof(first), "%s", sh("cat latest.json"));
	put("chains/polkadot/db/full/000009.sst", "written after the first publish\n");
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_msg(strstr(out, "is already published; nothing written") != NULL, "%s", out);
	get("chains/polkadot/latest.json", "latest.json");
	ck_assert_str_eq(sh("cat latest.json"), first);
	m = json_field("latest.json", "d[\"manifest\"]");
	snprintf(key, sizeof(key), "chains/polkadot/%.*s/snapshot.tar.zst", (int)(strlen(m) - 14),
	         m);
	get(key, "got.tar.zst");
	sh("tar --zstd -tf got.tar.zst | grep -q 000008.sst");
	sh("! tar --zstd -tf got.tar.zst | grep 000009.sst");
}
END_TEST

static Suite *publish_suite(void)
{
	Suite *s = suite_create("snapshot_publish");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_publish_and_read_back);
	tcase_add_test(tc, test_retention_keeps_n);
	tcase_add_test(tc, test_retention_counts_complete_snapshots);
	tcase_add_test(tc, test_post_runs_after_failure);
	tcase_add_test(tc, test_hostile_config_refused);
	tcase_add_test(tc, test_same_block_not_rewritten);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(publish_suite());
}
