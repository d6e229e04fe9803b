/* SPDX-License-Identifier: MIT */
/*
 * The README's "Quick sync in the demo" walk-through, run as it stands in
 * README.md (the block between the demo-quick-sync markers, which
 * tests/demo.sh prints too) against s3rver and the node simulator, with the
 * snapshot config tests/harness/demo_node.sh gives the demo. Starting the
 * whole demo takes too long for make test; these are the same commands and
 * the same config fragment. The block's own diffs and sha256sum -c are the
 * checks; the suite adds that they ran and that the node key and keystore
 * reached no object. Starts no HAProxy (it is in the Makefile's HAP34_SKIP).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

#define BUCKET "polkfura-demo-snapshots"

static struct h_s3rver srv;
static struct h_nodesim sim;
static char work[512], root[1024];

/* Runs the README's block (walk.sh, made by setup) from the repository's root. */
static int walk(char *out, size_t outlen)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
	         "cd %s && DEMO=%s S3=%s bash -eu -o pipefail %s/walk.sh 2>&1 </dev/null", root,
	         work, srv.endpoint, work);
	return h_sh_status_in(work, cmd, out, outlen);
}

static void setup(void)
{
	char cmd[4096], path[700], json[8192];

	ck_assert_ptr_nonnull(getcwd(root, sizeof(root)));
	snprintf(work, sizeof(work), "%s/demo-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	snprintf(cmd, sizeof(cmd),
	         "%s/tests/harness/demo_node.sh %s/node/polkadot %s " BUCKET " http://127.0.0.1:%d",
	         root, work, srv.endpoint, sim.port[0]);
	snprintf(json, sizeof(json), "{\"snapshot\": %s}", h_sh_in(work, cmd));
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
	/* The README's block, fences and markers off, build/release/ pointing at this build. */
	snprintf(cmd, sizeof(cmd),
	         "sed -n '/^<!-- demo-quick-sync -->/,/^<!-- \\/demo-quick-sync -->/p' "
	         "%s/README.md | sed '1,2d;$d' | sed '$d' | sed 's|build/release/|%s/%s/|g' "
	         "> walk.sh && wc -l < walk.sh",
	         root, root, h_build_dir());
	/* Eight commands: an empty or cut block must not pass for a walk-through. */
	ck_assert_str_eq(h_sh_in(work, cmd), "8\n");
}

static void teardown(void)
{
	h_stop_all();
}

START_TEST(test_readme_walkthrough)
{
	char want[1024], out[16384];
	int rc = walk(out, sizeof(out));

	ck_assert_msg(rc == 0, "the walk-through failed (%d):\n%s", rc, out);
	ck_assert_msg(strstr(out, "polkadot: published ") != NULL, "%s", out);
	snprintf(want, sizeof(want), "verified and written to %s/fetched\n", work);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof(want), "verified and written to %s/fetched-tar\n", work);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	/* --from cdn --config: through the config's cdn_url (the files form: the manifest has
	 * both and --form is not given), the same tree. */
	snprintf(want, sizeof(want), "verified and written to %s/fetched-cfg\n", work);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	h_sh_in(work, "diff -r fetched fetched-cfg");
	/* sha256sum -c: one OK per file demo_node.sh makes, less LOG and the two secrets. */
	ck_assert_str_eq(h_sh_in(work, "cd fetched && sha256sum -c SHA256SUMS | grep -c ': OK$'"),
	                 "5\n");
}
END_TEST

/* The key and keystore are in the base path, and in no object s3rver holds. */
START_TEST(test_demo_secrets_not_published)
{
	char cmd[2048], out[16384];

	ck_assert_msg(walk(out, sizeof(out)) == 0, "%s", out);
	h_sh_in(work, "test -s node/polkadot/chains/polkadot/network/secret_ed25519 && "
	              "grep -q 'never published' node/polkadot/chains/polkadot/keystore/*");
	/* The block's diffs leave network/ and keystore/ out on both sides: look here. */
	ck_assert_str_eq(h_sh_in(work, "find fetched fetched-tar -name secret_ed25519 -o -name "
	                               "keystore -o -name 'LOG*'"),
	                 "");
	snprintf(cmd, sizeof(cmd),
	         "grep -rlF 'never published' %s; find %s -path '*secret_ed25519*' -o -path "
	         "'*keystore*'",
	         srv.dir, srv.dir);
	ck_assert_str_eq(h_sh_in(work, cmd), "");
	/* The key's 32 random bytes, looked for whole in every object (the files form stores
	 * them as they are; in the tar they would be compressed, hence the find above). */
	snprintf(cmd, sizeof(cmd),
	         "k=node/polkadot/chains/polkadot/network/secret_ed25519; "
	         "find %s -type f -name '*_S3rver_object' | while read -r f; do "
	         "python3 -c 'import sys; sys.exit(open(sys.argv[1],\"rb\").read() in "
	         "open(sys.argv[2],\"rb\").read())' \"$k\" \"$f\" || echo \"$f\"; done",
	         srv.dir);
	ck_assert_str_eq(h_sh_in(work, cmd), "");
}
END_TEST

/* Runs `polkfura-ctl snapshot fetch <args>` in the work directory; returns its status. */
static int fetch(const char *args, char *out, size_t outlen)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(
	    cmd, sizeof(cmd),
	    "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER %s/polkfura-ctl snapshot fetch "
	    "--chain polkadot %s 2>&1 </dev/null",
	    bin, args);
	return h_sh_status_in(work, cmd, out, outlen);
}

/*
 * fetch --config with a prefix in both targets: --from s3 reads the bucket,
 * endpoint and prefix from the file, --from cdn the cdn_url with the prefix
 * after it; a flag given wins over the file (a bucket that does not exist
 * fails the fetch); --config with a URL source is a usage error.
 */
START_TEST(test_fetch_config_prefix)
{
	char json[8192], path[700], out[16384], cmd[4096];
	int rc;

	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": "
	         "\"%s/node/polkadot\", \"rpc\": \"http://127.0.0.1:%d\", \"exclude\": "
	         "[\"chains/*/db/full/LOG*\"]}], "
	         "\"s3_files\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\", \"prefix\": \"demo/run1\"}, "
	         "\"s3_tar\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\", \"prefix\": \"demo/run1\", \"cdn_url\": \"%s/" BUCKET
	         "/\"}, \"part_size_mb\": 5, \"state_dir\": \"%s/state\"}}",
	         work, sim.port[0], srv.endpoint, srv.endpoint, srv.endpoint, work);
	snprintf(path, sizeof(path), "%s/prefixed.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
	snprintf(
	    cmd, sizeof(cmd),
	    "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER %s/%s/polkfura-ctl snapshot "
	    "publish --config prefixed.json 2>&1",
	    root, h_build_dir());
	rc = h_sh_status_in(work, cmd, out, sizeof(out));
	ck_assert_msg(rc == 0, "publish: %s", out);
	/* Where the objects are, by s3rver's own listing: under the prefix only. */
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf '%s/" BUCKET "?list-type=2' | grep -o '<Key>[^<]*latest.json</Key>'",
	         srv.endpoint);
	ck_assert_str_eq(h_sh_in(work, cmd), "<Key>demo/run1/chains/polkadot/latest.json</Key>\n");

	rc = fetch("--dest got-s3 --from s3 --config prefixed.json", out, sizeof(out));
	ck_assert_msg(rc == 0, "fetch --from s3 --config: %s", out);
	h_sh_in(work, "diff -r -x SHA256SUMS -x network -x keystore -x 'LOG*' node/polkadot got-s3 "
	              "&& cd got-s3 && sha256sum --quiet -c SHA256SUMS");
	rc = fetch("--dest got-cdn --from cdn --config prefixed.json --form tar", out, sizeof(out));
	ck_assert_msg(rc == 0, "fetch --from cdn --config: %s", out);
	ck_assert_msg(strstr(out, "tar.zst artifact") != NULL, "%s", out);
	h_sh_in(work, "diff -r -x network -x keystore -x 'LOG*' node/polkadot got-cdn");

	/* The flag wins: the config's bucket is not used. */
	rc = fetch("--dest got-x --from s3 --config prefixed.json --bucket no-such-bucket", out,
	           sizeof(out));
	ck_assert_msg(rc == 1 && strstr(out, "NoSuchBucket") != NULL, "%d %s", rc, out);
	/* Without the config the prefix is unknown: latest.json is not at the root. */
	snprintf(cmd, sizeof(cmd), "--dest got-y --from s3 --bucket " BUCKET " --endpoint %s",
	         srv.endpoint);
	ck_assert_int_eq(fetch(cmd, out, sizeof(out)), 1);
	/* ... and --prefix gives it. */
	snprintf(cmd, sizeof(cmd),
	         "--dest got-z --from s3 --bucket " BUCKET " --endpoint %s --prefix demo/run1",
	         srv.endpoint);
	rc = fetch(cmd, out, sizeof(out));
	ck_assert_msg(rc == 0, "fetch --prefix: %s", out);
	snprintf(cmd, sizeof(cmd), "--dest got-u --from %s --config prefixed.json", srv.endpoint);
	rc = fetch(cmd, out, sizeof(out));
	ck_assert_msg(rc == 2 && strstr(out, "--config goes with --from s3 or cdn") != NULL,
	              "%d %s", rc, out);
}
END_TEST

static Suite *snapshot_demo_suite(void)
{
	Suite *s = suite_create("snapshot_demo");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_readme_walkthrough);
	tcase_add_test(tc, test_demo_secrets_not_published);
	tcase_add_test(tc, test_fetch_config_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(snapshot_demo_suite());
}
