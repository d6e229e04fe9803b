/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl snapshot publish` with the ipfs target beside s3_files and
 * s3_tar, end to end against s3rver, the node simulator and js-ipfs 0.66.1,
 * read back with tools that share no code with the publisher: the
 * manifest from s3rver by curl and python3's json module; the two CIDs it
 * names read back from the node's HTTP API by curl (/api/v0/cat for the
 * tar, /api/v0/get, a tar of the directory, for the files) and compared
 * with sha256sum, GNU tar and zstd, diff -r against the base path less the
 * excludes; the tar's CID computed by Python from sha256sum's digest (the
 * tree is small enough for the tar to be one raw block); pin/ls for the
 * pins. A node that refuses the add fails the publish before any manifest
 * is written; with s3_tar in a bucket of its own each manifest carries its
 * own artifact's CID, and pubipfs_add called directly refuses a tar whose
 * second pack differs from the S3 one (sha256, size); the row in
 * PostgreSQL holds both CIDs. Then
 * `snapshot fetch --from ipfs` against the node's gateway with the S3
 * copies deleted, and a manifest whose CID names other bytes (exit 3).
 * Retention 1 unpins a removed snapshot's CIDs (pin/ls of each CID by curl)
 * but not those a kept manifest names; an unreadable old manifest is a
 * counted warning, the publish still exits 0 and deletes its objects.
 * Starts no HAProxy (it is in the Makefile's HAP34_SKIP).
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/snapshot/pubipfs.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/ipfs.h"
#include "tests/harness/pg.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

#define BUCKET   "pf-ipfs"
#define BUCKET2  "pf-ipfs-cdn"
#define SECRET   "PLANTED-NODE-KEY-5c0e"
#define KEYSTORE "PLANTED-KEYSTORE-a41d"

static struct h_s3rver srv;
static struct h_nodesim sim;
static struct h_ipfs node;
static struct h_pg pg;
static const char *tar_bucket = BUCKET; /* s3_tar's; BUCKET2 puts it in a place of its own */
static unsigned keep = 3;               /* the config's retention (its default) */
static char work[512], base[600];

static int run(const char *cmd, char *out, size_t outlen)
{
	return h_sh_status_in(work, cmd, out, outlen);
}

static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

/* The config: both S3 targets (s3_tar in tar_bucket), the IPFS node at <api>; <db> records, when
 * not NULL. */
static void write_config_db(const char *api, const char *db)
{
	char json[4096], path[700], rec[700] = "";

	if (db != NULL)
		snprintf(rec, sizeof(rec), "\"region\": \"test\", \"database\": \"%s\", ", db);
	snprintf(json, sizeof(json),
	         "{%s\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\", \"exclude\": [\"chains/*/db/full/LOG\"]}], "
	         "\"s3_files\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}, \"s3_tar\": {\"bucket\": \"%s\", "
	         "\"region\": \"us-east-1\", \"endpoint\": \"%s\"}, "
	         "\"ipfs\": {\"api\": \"%s\", \"timeout_s\": 120}, \"part_size_mb\": 5, "
	         "\"retention\": %u, \"state_dir\": \"%s/state\"}}",
	         rec, base, sim.port[0], srv.endpoint, tar_bucket, srv.endpoint, api, keep, work);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void write_config(const char *api)
{
	write_config_db(api, NULL);
}

static void setup(void)
{
	tar_bucket = BUCKET;
	keep = 3;
	snprintf(work, sizeof(work), "%s/pubipfs-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	h_tree_put(base, "chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n", 0);
	h_tree_put(base, "chains/polkadot/db/full/LOG", "rocksdb log, excluded by the config\n", 0);
	h_tree_put(base, "chains/polkadot/network/secret_ed25519", SECRET, 0);
	h_tree_put(base, "chains/polkadot/keystore/6772616e01", KEYSTORE, 0);
	h_tree_put(base, "chains/polkadot/db-x/notes", "a sibling that sorts between\n", 0);
	h_tree_put(base, "chains/polkadot/db/full/empty.log", "", 0);
	/*
	 * 100 KiB that zstd cannot shrink, and 600 KiB that it can: the directory holds a file
	 * of three 256 KiB blocks, the tar stays one block (under 256 KiB) so its CID is the
	 * raw one Python computes from its sha256.
	 */
	sh("head -c 102400 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	sh("yes 'a compressible table row' | head -c 614400 > "
	   "base/chains/polkadot/db/full/000009.sst");
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	ck_assert_msg(h_ipfs_start(&node), "js-ipfs did not start (log %s)", node.log);
	write_config(node.api);
	/* The tree less the excludes: network/ stays, empty (tar and IPFS keep directories). */
	sh("cp -a base expect && rm -r expect/chains/polkadot/network/secret_ed25519 "
	   "expect/chains/polkadot/keystore expect/chains/polkadot/db/full/LOG");
}

static void teardown(void)
{
	h_stop_all();
}

static int publish(char *out, size_t outlen)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=pfPublishSecret0123456789 "
	         "%s/polkfura-ctl snapshot publish --config ctl.json 2>&1",
	         bin);
	return run(cmd, out, outlen);
}

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

/* latest.json and its manifest into "latest" and "manifest"; the snapshot's directory. */
static void get_manifest(char *snapdir, size_t len)
{
	char key[512];
	const char *m;

	get("chains/polkadot/latest.json", "latest");
	m = json_field("latest", "d[\"manifest\"]");
	snprintf(snapdir, len, "chains/polkadot/%.*s/", (int)(strlen(m) - 14), m);
	snprintf(key, sizeof(key), "chains/polkadot/%s", m);
	get(key, "manifest");
}

/* A field of the manifest's artifact of <kind>. */
static const char *artifact(const char *kind, const char *field)
{
	char expr[256];

	snprintf(expr, sizeof(expr),
	         "[a for a in d[\"artifacts\"] if a[\"kind\"] == \"%s\"][0].get(\"%s\", \"\")",
	         kind, field);
	return json_field("manifest", expr);
}

static void publish_read_back(void)
{
	char out[8192], snap[256], key[512], cmd[2048], tar_cid[128], dir_cid[128];

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(snap, sizeof(snap));
	ck_assert_str_eq(
	    json_field("manifest", "\" \".join(a[\"kind\"] for a in d[\"artifacts\"])"),
	    "files tar.zst");
	snprintf(tar_cid, sizeof(tar_cid), "%s", artifact("tar.zst", "cid"));
	snprintf(dir_cid, sizeof(dir_cid), "%s", artifact("files", "cid"));
	/* CIDv1 in base32: raw for a one-block file, dag-pb for a directory. */
	ck_assert_msg(strncmp(tar_cid, "bafkrei", 7) == 0 && strlen(tar_cid) == 59, "%s", tar_cid);
	ck_assert_msg(strncmp(dir_cid, "bafybei", 7) == 0 && strlen(dir_cid) == 59, "%s", dir_cid);
	ck_assert_msg(strstr(out, tar_cid) != NULL && strstr(out, dir_cid) != NULL, "%s", out);

	/* The tar from IPFS: the S3 tar's bytes, its CID the raw one of its sha256. */
	snprintf(cmd, sizeof(cmd), "curl -sSf -X POST -o ipfs.tar.zst '%s/api/v0/cat?arg=%s'",
	         node.api, tar_cid);
	sh(cmd);
	ck_assert_str_eq(sh("sha256sum < ipfs.tar.zst | cut -c1-64 | tr -d '\\n'"),
	                 artifact("tar.zst", "sha256"));
	snprintf(key, sizeof(key), "%ssnapshot.tar.zst", snap);
	get(key, "s3.tar.zst");
	sh("cmp s3.tar.zst ipfs.tar.zst");
	ck_assert_str_eq(
	    sh("python3 -c 'import base64,sys; d=bytes.fromhex(sys.argv[1]); "
	       "print(\"b\"+base64.b32encode(bytes([1,0x55,0x12,0x20])+d).decode()"
	       ".lower().rstrip(\"=\"), end=\"\")' $(sha256sum < ipfs.tar.zst | cut -c1-64)"),
	    tar_cid);
	sh("mkdir fromtar && zstd -q -dc ipfs.tar.zst | tar -x -C fromtar");
	sh("diff -r expect fromtar");

	/* The directory from IPFS: the tree less the excludes, no key, no keystore. */
	snprintf(cmd, sizeof(cmd),
	         "mkdir fromdir && curl -sSf -X POST '%s/api/v0/get?arg=%s' | tar -x -C fromdir",
	         node.api, dir_cid);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "diff -r expect fromdir/%s", dir_cid);
	sh(cmd);
	sh("! grep -r -l -e " SECRET " -e " KEYSTORE " fromdir fromtar");
	/* The files artifact's S3 side is unchanged: its SHA256SUMS checks the IPFS copy. */
	snprintf(key, sizeof(key), "%sSHA256SUMS", snap);
	get(key, "SHA256SUMS");
	snprintf(cmd, sizeof(cmd),
	         "cd fromdir/%s && sha256sum --strict --quiet -c ../../SHA256SUMS", dir_cid);
	sh(cmd);

	/* Both pinned (recursively: the directory's blocks stay). */
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -X POST "
	         "'%s/api/v0/pin/ls?arg=%s&arg=%s&type=recursive&cid-base=base32' | tr -d ' '",
	         node.api, tar_cid, dir_cid);
	snprintf(out, sizeof(out), "%s", sh(cmd));
	ck_assert_msg(strstr(out, tar_cid) != NULL && strstr(out, dir_cid) != NULL, "%s", out);
}

/* `snapshot fetch --from ipfs`: the documents from s3rver by plain GETs, the bytes from the
 * gateway. */
static int fetch_ipfs(const char *form, const char *dest, char *out, size_t outlen)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "%s/polkfura-ctl snapshot fetch --chain polkadot --dest %s --from ipfs "
	         "--gateway %s --endpoint %s/" BUCKET " --form %s 2>&1 </dev/null",
	         bin, dest, node.gateway, srv.endpoint, form);
	return run(cmd, out, outlen);
}

static void fetch_from_gateway(void)
{
	char out[8192], snap[256], key[512], cmd[2048];

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(snap, sizeof(snap));
	/* The S3 copies of the artifacts gone: what the fetch gets, the gateway gave. */
	snprintf(key, sizeof(key), "%sfiles.txt", snap);
	get(key, "files.txt");
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -X DELETE '%s/" BUCKET "/%ssnapshot.tar.zst' && "
	         "while read -r f; do curl -sSf -X DELETE \"%s/" BUCKET "/%sfiles/$f\"; "
	         "done < files.txt",
	         srv.endpoint, snap, srv.endpoint, snap);
	sh(cmd);
	snprintf(cmd, sizeof(cmd),
	         "curl -s -o /dev/null -w '%%{http_code}' '%s/" BUCKET "/%sfiles/%s'", srv.endpoint,
	         snap, sh("head -n 1 files.txt | tr -d '\\n'"));
	ck_assert_str_eq(sh(cmd), "404");
	ck_assert_msg(fetch_ipfs("tar", "gottar", out, sizeof(out)) == 0, "fetch: %s", out);
	ck_assert_msg(strstr(out, artifact("tar.zst", "cid")) != NULL, "%s", out);
	sh("diff -r expect gottar");
	ck_assert_msg(fetch_ipfs("files", "gotfiles", out, sizeof(out)) == 0, "fetch: %s", out);
	ck_assert_msg(strstr(out, artifact("files", "cid")) != NULL, "%s", out);
	/* The files form has no directories of its own: network/ (empty) is not there. */
	sh("rmdir expect/chains/polkadot/network && diff -r -x SHA256SUMS expect gotfiles");
	sh("cd gotfiles && sha256sum --strict --quiet -c SHA256SUMS");
	/* --gateway belongs to --from ipfs only. */
	snprintf(cmd, sizeof(cmd),
	         "snapshot fetch --chain polkadot --dest x --from cdn --endpoint %s --gateway %s",
	         srv.endpoint, node.gateway);
	ck_assert_int_eq(h_ctl_run(NULL, cmd, out, sizeof(out)), 2);
	ck_assert_msg(strstr(out, "--from ipfs and --gateway URL go together") != NULL, "%s", out);
}

/*
 * A manifest whose tar CID names other bytes (an unrelated file on the
 * node), rewritten on s3rver with latest.json fixed to match it: the
 * gateway's bytes fail the manifest's sha256, exit 3, nothing written.
 */
static void fetch_wrong_cid_exit3(void)
{
	char out[8192], snap[256], cmd[2048], other[128], key[512];

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(snap, sizeof(snap));
	sh("head -c 4096 /dev/urandom > other");
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -X POST -F file=@other '%s/api/v0/add?cid-version=1&raw-leaves=true"
	         "&cid-base=base32' | python3 -c 'import json,sys; print(json.load(sys.stdin)"
	         "[\"Hash\"], end=\"\")'",
	         node.api);
	snprintf(other, sizeof(other), "%s", sh(cmd));
	ck_assert_int_eq(strlen(other), 59);
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import hashlib,json,sys; d=json.load(open(\"manifest\")); "
	         "[a.update(cid=sys.argv[1]) for a in d[\"artifacts\"] if a[\"kind\"] == "
	         "\"tar.zst\"]; [a.pop(\"cid\") for a in d[\"artifacts\"] if a[\"kind\"] == "
	         "\"files\"]; t=json.dumps(d).encode(); open(\"manifest.bad\", \"wb\")"
	         ".write(t); l=json.load(open(\"latest\")); l[\"sha256\"]="
	         "hashlib.sha256(t).hexdigest(); open(\"latest.bad\", \"w\").write("
	         "json.dumps(l))' %s",
	         other);
	sh(cmd);
	snprintf(key, sizeof(key), "%smanifest.json", snap);
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -X PUT -T manifest.bad '%s/" BUCKET "/%s' && curl -sSf -X PUT -T "
	         "latest.bad '%s/" BUCKET "/chains/polkadot/latest.json'",
	         srv.endpoint, key, srv.endpoint);
	sh(cmd);
	ck_assert_int_eq(fetch_ipfs("tar", "gotbad", out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "sha256 mismatch") != NULL && strstr(out, other) != NULL, "%s",
	              out);
	sh("test -z \"$(find gotbad -type f ! -name '*.pf-part')\"");
	/* The files artifact, its cid taken out: not on IPFS, said so, exit 3. */
	ck_assert_int_eq(fetch_ipfs("files", "gotnocid", out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "files artifact has no cid") != NULL, "%s", out);
}

/*
 * One publish (each fixture starts its own js-ipfs, s3rver and node
 * simulator, a few seconds): read back from the node, fetched from its
 * gateway, then a manifest rewritten to name other bytes.
 */
START_TEST(test_publish_read_back_fetch)
{
	publish_read_back();
	fetch_from_gateway();
	fetch_wrong_cid_exit3();
}
END_TEST

/*
 * s3_tar in a bucket of its own: each place's manifest lists its own artifact
 * with the CID of its copy, and the tar's copy still equals its S3 object.
 */
/*
 * pubipfs_add itself, called with the tar artifact <good> (its S3 size,
 * sha256 and cid): the same gives the same CID; a sha256 or a size that
 * is not the second pack's fails with nothing recorded.
 */
static void tar_checks(const struct manifest_artifact *good)
{
	struct snapcfg cfg = {0};
	struct snapcfg_chain *ch = &cfg.chain[0];
	struct manifest_artifact a;
	char files_cid[MANIFEST_CID_LEN + 1] = "", tar_cid[MANIFEST_CID_LEN + 1] = "", err[1024];
	static char pattern[] = "chains/*/db/full/LOG";

	cfg.ipfs.on = true;
	snprintf(cfg.ipfs.api, sizeof(cfg.ipfs.api), "%s", node.api);
	cfg.ipfs.timeout_s = 60;
	snprintf(ch->base_path, sizeof(ch->base_path), "%s", base);
	ch->exclude[0] = pattern;
	ch->n_exclude = 1;
	a = *good;
	a.cid[0] = '\0';
	ck_assert_msg(pubipfs_add(&cfg, ch, &a, 1, files_cid, tar_cid, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_str_eq(tar_cid, good->cid);
	ck_assert_str_eq(a.cid, good->cid);
	ck_assert_str_eq(files_cid, "");
	/* Another sha256 of the same length: refused, naming both. */
	a = *good;
	a.cid[0] = tar_cid[0] = '\0';
	a.sha256[0] = a.sha256[0] == '0' ? '1' : '0';
	ck_assert_int_eq(pubipfs_add(&cfg, ch, &a, 1, files_cid, tar_cid, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not the") != NULL && strstr(err, a.sha256) != NULL &&
	                  strstr(err, good->sha256) != NULL,
	              "%s", err);
	ck_assert_str_eq(a.cid, "");
	ck_assert_str_eq(tar_cid, "");
	/* One byte short and one byte over: the add or the packer fails. */
	for (int d = -1; d <= 1; d += 2) {
		a = *good;
		a.cid[0] = '\0';
		a.size = (uint64_t)((int64_t)good->size + d);
		ck_assert_int_eq(pubipfs_add(&cfg, ch, &a, 1, files_cid, tar_cid, err, sizeof(err)),
		                 -1);
		ck_assert_msg(strncmp(err, "ipfs: snapshot.tar.zst: ", 24) == 0, "%s", err);
		ck_assert_str_eq(tar_cid, "");
	}
}

START_TEST(test_two_places)
{
	char out[8192], cmd[2048];
	struct manifest_artifact tar = {.kind = MANIFEST_KIND_TAR_ZST};
	const char *m;

	snprintf(cmd, sizeof(cmd), "curl -sSf -X PUT '%s/" BUCKET2 "'", srv.endpoint);
	sh(cmd);
	tar_bucket = BUCKET2;
	write_config(node.api);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -o latest2 '%s/" BUCKET2 "/chains/polkadot/latest.json'", srv.endpoint);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "curl -sSf -o manifest2 '%s/" BUCKET2 "/chains/polkadot/%s'",
	         srv.endpoint, json_field("latest2", "d[\"manifest\"]"));
	sh(cmd);
	m = json_field("manifest2",
	               "\" \".join(a[\"kind\"] + \":\" + a.get(\"cid\", \"\") for a in "
	               "d[\"artifacts\"])");
	ck_assert_msg(strncmp(m, "tar.zst:bafkrei", 15) == 0 && strlen(m) == 8 + 59, "%s", m);
	ck_assert_msg(strstr(out, m + 8) != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s", m + 8);
	get_manifest(out, sizeof(out));
	m = json_field("manifest", "\" \".join(a[\"kind\"] for a in d[\"artifacts\"])");
	ck_assert_str_eq(m, "files");
	ck_assert_int_eq(strlen(artifact("files", "cid")), 59);
	snprintf(out, sizeof(out),
	         "curl -sSf -X POST '%s/api/v0/cat?arg=%s' | sha256sum | cut -c1-64", node.api,
	         cmd);
	snprintf(cmd, sizeof(cmd), "%s", sh(out));
	ck_assert_str_eq(cmd, sh("python3 -c 'import json; print([a for a in json.load(open("
	                         "\"manifest2\"))[\"artifacts\"]][0][\"sha256\"])'"));
	snprintf(tar.name, sizeof(tar.name), "%s",
	         json_field("manifest2", "d[\"artifacts\"][0][\"name\"]"));
	snprintf(tar.sha256, sizeof(tar.sha256), "%s",
	         json_field("manifest2", "d[\"artifacts\"][0][\"sha256\"]"));
	snprintf(tar.cid, sizeof(tar.cid), "%s",
	         json_field("manifest2", "d[\"artifacts\"][0][\"cid\"]"));
	tar.size = strtoull(json_field("manifest2", "d[\"artifacts\"][0][\"size\"]"), NULL, 10);
	tar_checks(&tar);
}
END_TEST

/* The row of each publish in PostgreSQL: a failed one without CIDs, an ok one with the manifest's.
 */
START_TEST(test_down_then_recorded)
{
	char out[8192], snap[256], cfg[600], spool[600], want[512], api[64], cmd[1024];

	h_pg_start_migrated(&pg, cfg, sizeof(cfg), spool, sizeof(spool));
	/* The node refuses (nothing listens): the publish fails, no manifest names a CID. */
	snprintf(api, sizeof(api), "http://127.0.0.1:%d", h_free_port());
	write_config_db(api, pg.conninfo);
	ck_assert_int_ne(publish(out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "ipfs: files: ") != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd),
	         "curl -s -o /dev/null -w '%%{http_code}' '%s/" BUCKET
	         "/chains/polkadot/latest.json'",
	         srv.endpoint);
	ck_assert_str_eq(sh(cmd), "404");
	write_config_db(node.api, pg.conninfo);
	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	ck_assert_msg(strstr(out, "warning") == NULL, "%s", out);
	get_manifest(snap, sizeof(snap));
	snprintf(want, sizeof(want), "ok|{s3_tar,s3_files,ipfs}|%s|", artifact("files", "cid"));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s",
	         artifact("tar.zst", "cid"));
	ck_assert_str_eq(h_pg_q(&pg, "SELECT outcome, targets, ipfs_files_cid, ipfs_tar_cid FROM "
	                             "snapshots WHERE outcome = 'ok'"),
	                 want);
	ck_assert_str_eq(h_pg_q(&pg,
	                        "SELECT outcome, targets, ipfs_files_cid IS NULL, ipfs_tar_cid "
	                        "IS NULL FROM snapshots WHERE outcome <> 'ok'"),
	                 "failed|{s3_tar,s3_files,ipfs}|t|t");
}
END_TEST

/*
 * Whether the node has <cid> pinned recursively: pin/ls of that one CID (the whole list
 * cannot be asked in base32: js-ipfs's own CIDv0 pins refuse it), its answer read by Python.
 */
static bool pinned(const char *cid)
{
	char cmd[1024];
	const char *r;

	snprintf(
	    cmd, sizeof(cmd),
	    "curl -sS -X POST '%s/api/v0/pin/ls?arg=%s&type=recursive&cid-base=base32' | "
	    "python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"Keys\"][sys.argv[1]]"
	    "[\"Type\"] if \"Keys\" in d else d[\"Message\"], end=\"\")' %s",
	    node.api, cid, cid);
	r = sh(cmd);
	if (strcmp(r, "recursive") == 0)
		return true;
	ck_assert_msg(strstr(r, "is not pinned") != NULL, "pin/ls %s: %s", cid, r);
	return false;
}

/* A publish at finalized height <height>; the CIDs of its manifest into <files>, <tar>. */
static void publish_at(int height, char *out, size_t outlen, char files[64], char tar[64])
{
	char steer[64], snap[256];

	snprintf(steer, sizeof(steer), "{\"height\": %d}", height);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", steer, NULL), 200);
	ck_assert_msg(publish(out, outlen) == 0, "publish: %s", out);
	get_manifest(snap, sizeof(snap));
	snprintf(files, 64, "%s", artifact("files", "cid"));
	snprintf(tar, 64, "%s", artifact("tar.zst", "cid"));
	ck_assert_int_eq(strlen(files), 59);
	ck_assert_int_eq(strlen(tar), 59);
}

/*
 * retention 1: a publish of another tree unpins the first one's two copies
 * (gone from pin/ls; one already unpinned by hand counts as done), its own stay; the same tree
 * again at a higher block gives the same CIDs, which retention must leave pinned although the
 * snapshot naming them first is deleted.
 */
START_TEST(test_retention_unpins)
{
	char out[8192], f1[64], t1[64], f2[64], t2[64], f3[64], t3[64], cmd[1024];
	char snap1[256];

	keep = 1;
	write_config(node.api);
	publish_at(1000, out, sizeof(out), f1, t1);
	get_manifest(snap1, sizeof(snap1));
	ck_assert(pinned(f1) && pinned(t1));
	ck_assert_msg(strstr(out, ", 0 old IPFS copies unpinned, 0 unpin errors") != NULL, "%s",
	              out);

	/* One of them unpinned by hand already: the node's "not pinned" counts as done. */
	snprintf(cmd, sizeof(cmd), "curl -sSf -o /dev/null -X POST '%s/api/v0/pin/rm?arg=%s'",
	         node.api, t1);
	sh(cmd);
	h_tree_put(base, "chains/polkadot/db/full/000010.sst", "a new table\n", 0);
	publish_at(1010, out, sizeof(out), f2, t2);
	ck_assert_str_ne(f1, f2);
	ck_assert_str_ne(t1, t2);
	ck_assert_msg(strstr(out, ", 2 old IPFS copies unpinned, 0 unpin errors") != NULL, "%s",
	              out);
	ck_assert(!pinned(f1) && !pinned(t1) && pinned(f2) && pinned(t2));
	/* The first snapshot's objects are gone from S3 too. */
	snprintf(cmd, sizeof(cmd),
	         "curl -s -o /dev/null -w '%%{http_code}' '%s/" BUCKET "/%smanifest.json'",
	         srv.endpoint, snap1);
	ck_assert_str_eq(sh(cmd), "404");
	ck_assert_msg(strstr(out, "old objects deleted") != NULL &&
	                  strstr(out, ", 0 old objects deleted") == NULL,
	              "%s", out);

	/* The same tree at a higher block: the same copies, still pinned after retention. */
	publish_at(1020, out, sizeof(out), f3, t3);
	ck_assert_str_eq(f3, f2);
	ck_assert_str_eq(t3, t2);
	ck_assert_msg(strstr(out, ", 0 old IPFS copies unpinned, 0 unpin errors") != NULL, "%s",
	              out);
	ck_assert(pinned(f2) && pinned(t2));
}
END_TEST

/*
 * A removed snapshot's manifest that cannot be parsed (rewritten on s3rver):
 * a warning counted on the command's line and on stderr, the publish still
 * exits 0, retention still deletes that snapshot's objects, and its copies
 * stay pinned (their CIDs unknown).
 */
START_TEST(test_unpin_warning_not_failure)
{
	char out[8192], f1[64], t1[64], f2[64], t2[64], snap[256], cmd[1024];

	keep = 1;
	write_config(node.api);
	publish_at(1000, out, sizeof(out), f1, t1);
	get_manifest(snap, sizeof(snap));
	snprintf(cmd, sizeof(cmd),
	         "printf 'not json' | curl -sSf -X PUT -T - '%s/" BUCKET "/%smanifest.json'",
	         srv.endpoint, snap);
	sh(cmd);
	h_tree_put(base, "chains/polkadot/db/full/000010.sst", "a new table\n", 0);
	publish_at(1010, out, sizeof(out), f2, t2);
	ck_assert_msg(strstr(out, ", 0 old IPFS copies unpinned, 1 unpin errors") != NULL, "%s",
	              out);
	ck_assert_msg(strstr(out, "warning: 1 unpin errors, the first: ") != NULL &&
	                  strstr(out, "manifest.json") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, ", 0 old objects deleted") == NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w '%%{http_code}' '%s/" BUCKET "/%s%s'",
	         srv.endpoint, snap, "manifest.json");
	ck_assert_str_eq(sh(cmd), "404");
	ck_assert(pinned(f1) && pinned(t1) && pinned(f2) && pinned(t2));
}
END_TEST

/*
 * tests/harness/gwcut.py in front of the node's gateway, cutting the first GET of a path
 * ending in <suffix> after half its body, and with <norange> passing no Range on; its
 * record into <record>, its URL into <url>.
 */
static void gwcut_start(const char *suffix, bool norange, char *url, size_t urllen, char *record,
                        size_t reclen)
{
	static unsigned seq;
	char log[700], *text, *p;
	char *argv[] = {"python3",      "tests/harness/gwcut.py",   record, node.gateway, "1",
	                (char *)suffix, norange ? "norange" : NULL, NULL};
	pid_t pid;

	snprintf(record, reclen, "%s/gwcut-%d-%u.jsonl", h_tmpdir(), (int)getpid(), ++seq);
	snprintf(log, sizeof(log), "%s.log", record);
	pid = h_spawn(argv, NULL, log);
	ck_assert_int_gt(pid, 0);
	h_child_expect(pid, "gwcut", SIGTERM, 0);
	ck_assert_msg(h_wait_file_contains(log, "READY ", 10), "gwcut did not start");
	text = h_read_file(log, NULL);
	p = text != NULL ? strstr(text, "READY ") : NULL;
	ck_assert_ptr_nonnull(p);
	snprintf(url, urllen, "http://127.0.0.1:%d", (int)strtol(p + 6, NULL, 10));
	free(text);
}

/* `snapshot fetch --from ipfs` through <gateway>. */
static int fetch_via(const char *gateway, const char *form, const char *dest, char *out,
                     size_t outlen)
{
	char cmd[8192], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "%s/polkfura-ctl snapshot fetch --chain polkadot --dest %s --from ipfs "
	         "--gateway %s --endpoint %s/" BUCKET " --form %s 2>&1 </dev/null",
	         bin, dest, gateway, srv.endpoint, form);
	return run(cmd, out, outlen);
}

/*
 * A gateway download cut halfway (gwcut.py closes the connection after half
 * the body) is resumed in the same run with a Range, which js-ipfs's gateway
 * answers 206 (its record: the second GET of that path asks "bytes=<half>-"
 * and gets 206); for a file of the files form (600 KiB, three blocks on
 * IPFS) and for the tar. Then a partial copy left by an earlier run: the
 * right first half completes; a wrong one fails its sha256 (exit 3), so the
 * bytes asked for with the Range were appended to it, not fetched whole. A
 * gateway that ignores the Range (gwcut.py norange) fails the file, exit 1.
 */
START_TEST(test_gateway_resume)
{
	char out[8192], url[64], rec[600], cmd[2048], path[2][128];
	static const char *const form[] = {"files", "tar"};
	static const char *const dest[] = {"cutfiles", "cuttar"};

	ck_assert_msg(publish(out, sizeof(out)) == 0, "publish: %s", out);
	get_manifest(out, sizeof(out));
	/* The files form has no directories of its own: network/ (empty) is not in it. */
	sh("cp -a expect expectf && rmdir expectf/chains/polkadot/network");
	snprintf(path[0], sizeof(path[0]), "/chains/polkadot/db/full/000009.sst");
	snprintf(path[1], sizeof(path[1]), "/ipfs/%s", artifact("tar.zst", "cid"));
	for (int i = 0; i < 2; i++) {
		const char *r;

		gwcut_start(path[i], false, url, sizeof(url), rec, sizeof(rec));
		ck_assert_msg(fetch_via(url, form[i], dest[i], out, sizeof(out)) == 0, "%s", out);
		ck_assert_msg(strstr(out, "resuming with a Range") != NULL, "%s", out);
		/* Each GET of the cut path: the Range asked for and the gateway's status. */
		snprintf(
		    cmd, sizeof(cmd),
		    "python3 -c 'import json,sys; print(\" \".join(\"%%s:%%s\" %% (d[\"range\"], "
		    "d[\"status\"]) for d in map(json.loads, open(sys.argv[1])) if "
		    "d[\"path\"].endswith(sys.argv[2])), end=\"\")' %s '%s'",
		    rec, path[i]);
		r = sh(cmd);
		if (i == 0) /* half of 614400 bytes */
			ck_assert_str_eq(r, "None:200 bytes=307200-:206");
		else
			ck_assert_msg(strncmp(r, "None:200 bytes=", 15) == 0 &&
			                  strcmp(r + strlen(r) - 5, "-:206") == 0,
			              "%s", r);
		snprintf(cmd, sizeof(cmd), "diff -r -x SHA256SUMS %s %s",
		         i == 0 ? "expectf" : "expect", dest[i]);
		sh(cmd);
	}
	/*
	 * A gateway that answers the Range with the whole file (200): appending it would
	 * corrupt the copy, so the file fails after its retries, exit 1 (a server failure,
	 * `fetch --help`), nothing under its final name.
	 */
	gwcut_start(path[0], true, url, sizeof(url), rec, sizeof(rec));
	ck_assert_int_eq(fetch_via(url, "files", "norange", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "(the server ignored the Range)") != NULL, "%s", out);
	sh("test ! -e norange/chains/polkadot/db/full/000009.sst");
	/* A partial copy from an earlier run, straight from the gateway. */
	sh("mkdir -p part/chains/polkadot/db/full && head -c 307200 "
	   "base/chains/polkadot/db/full/000009.sst > "
	   "part/chains/polkadot/db/full/000009.sst.pf-part");
	ck_assert_msg(fetch_via(node.gateway, "files", "part", out, sizeof(out)) == 0, "%s", out);
	sh("diff -r -x SHA256SUMS expectf part");
	sh("mkdir -p bad/chains/polkadot/db/full && head -c 307200 /dev/zero "
	   "> bad/chains/polkadot/db/full/000009.sst.pf-part");
	ck_assert_int_eq(fetch_via(node.gateway, "files", "bad", out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "000009.sst: sha256 mismatch") != NULL, "%s", out);
}
END_TEST

static Suite *publish_ipfs_suite(void)
{
	Suite *s = suite_create("snapshot_publish_ipfs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_publish_read_back_fetch);
	tcase_add_test(tc, test_down_then_recorded);
	tcase_add_test(tc, test_two_places);
	tcase_add_test(tc, test_retention_unpins);
	tcase_add_test(tc, test_unpin_warning_not_failure);
	tcase_add_test(tc, test_gateway_resume);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(publish_ipfs_suite());
}
