/* SPDX-License-Identifier: MIT */
/*
 * ctl/snapshot/ipfs.c against a real js-ipfs 0.66.1 daemon on loopback
 * (tests/harness/ipfs.h), checked with tools that are not the code under
 * test:
 * - one file (a tar.zst made by GNU tar and zstd): its CID is the one
 *   Python computes from sha256sum's digest ("b" + base32 of 0x01 0x55 0x12
 *   0x20 + sha256) while it is one raw block; a file over the node's
 *   256 KiB chunk is a dag-pb CID, the same when read from a pipe of unknown
 *   length; both read back by ipfs_cat and by curl to the same sha256; the
 *   packer's stream through a pipe gets the CID of its bytes saved to disk;
 * - a tree (the node key, keystores and a configured pattern planted in it,
 *   an empty directory, a one-character name, a name with a space and a
 *   '%'): fetched back whole through the node's /api/v0/get with curl, the
 *   tar it sends unpacked by GNU tar and compared with `diff -r` against the
 *   source minus the excludes, made with cp and rm; the node's own `ls`
 *   shows no secret_ed25519 and no keystore;
 * - the walk's refusal (a symlink) stops the add before any request, a
 *   directory swapped for a symlink during the add stops it (against
 *   tests/harness/ipfs_stall.py, which holds the upload at a known point),
 *   and a node that is not there is a clear error;
 * - ipfs_pin_rm unpins (pin/ls by curl agrees), and says when there was
 *   nothing pinned.
 * Starts no HAProxy (it is in the Makefile's HAP34_BINS filter).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ctl/snapshot/ipfs.h"
#include "ctl/snapshot/pack.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/ipfs.h"
#include "tests/harness/tree.h"

#define SECRET "PLANTED-NODE-KEY-7d31"
#define KEY    "PLANTED-KEYSTORE-c08b"

static char work[512], base[600];
static struct h_ipfs node;

static void put(const char *rel, const char *content)
{
	h_tree_put(base, rel, content, 0755);
}

/* Runs <cmd> in the work directory; asserts exit status 0 and returns its output. */
static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

/* Check forks each test: a fresh directory each, named by mkdtemp. */
static void setup_dir(void)
{
	snprintf(work, sizeof(work), "%s/ipfs-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
}

static void setup(void)
{
	setup_dir();
	put("chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n");
	put("chains/polkadot/db/full/000007.sst", "sst bytes\n");
	put("chains/polkadot/db/full/LOG", "rocksdb log\n");
	put("chains/polkadot/db/full/100% done, a space", "odd name\n");
	put("chains/polkadot/network/secret_ed25519", SECRET);
	put("chains/polkadot/keystore/6772616e01", KEY);
	put("polkadot/chains/ksmcc3/network/secret_ed25519", SECRET);
	put("polkadot/chains/ksmcc3/keystore/61757261ff", KEY);
	put("polkadot/chains/ksmcc3/paritydb/full/index_00_16", "index\n");
	put("chains/polkadot/db/full/empty.log", "");
	put("chains/polkadot/empty-dir", NULL);
	put("z", "one-character name\n");
	/* 1 MiB of random bytes: four of js-ipfs's 256 KiB chunks. */
	sh("head -c 1048576 /dev/urandom > base/chains/polkadot/db/full/000008.sst");
	ck_assert_msg(h_ipfs_start(&node), "js-ipfs did not start (log %s)", node.log);
}

static void teardown(void)
{
	h_ipfs_stop(&node);
	h_stop_all();
}

static void teardown_stall(void)
{
	h_stop_all();
}

static struct ipfs_cfg cfg(void)
{
	struct ipfs_cfg c = {.api = node.api, .timeout_ms = 60000};

	return c;
}

/* The raw-leaf CIDv1 of a one-block file, by Python from sha256sum's digest. */
static const char *raw_cid_of(const char *file)
{
	static char out[128];
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import base64,sys; d=bytes.fromhex(sys.argv[1]); "
	         "print(\"b\"+base64.b32encode(bytes([1,0x55,0x12,0x20])+d).decode()"
	         ".lower().rstrip(\"=\"), end=\"\")' $(sha256sum < %s | cut -c1-64)",
	         file);
	snprintf(out, sizeof(out), "%s", sh(cmd));
	return out;
}

static int to_file(const uint8_t *p, size_t len, void *arg)
{
	return fwrite(p, 1, len, arg) == len ? 0 : -1;
}

/* Adds <file> of the work directory with ipfs_add_fd; the CID. */
static const char *add_file(const char *file, struct ipfs_status *st)
{
	struct ipfs_cfg c = cfg();
	char path[1024];
	struct stat sb;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", work, file);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_msg(ipfs_add_fd(&c, file, fd, sb.st_size, st) == 0, "%s", st->err);
	close(fd);
	ck_assert_uint_eq(st->sent, (uint64_t)sb.st_size);
	return st->root;
}

/* Reads <path> back with ipfs_cat into <out> of the work directory; its sha256 by sha256sum. */
static const char *cat_sha(const char *path, const char *out)
{
	struct ipfs_cfg c = cfg();
	struct ipfs_status st;
	char file[1024], cmd[1200];
	FILE *f;
	int rc;

	snprintf(file, sizeof(file), "%s/%s", work, out);
	f = fopen(file, "wb");
	ck_assert_ptr_nonnull(f);
	rc = ipfs_cat(&c, path, to_file, f, &st);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(rc == 0, "%s", st.err);
	snprintf(cmd, sizeof(cmd), "sha256sum < %s | cut -c1-64", out);
	return sh(cmd);
}

START_TEST(test_tar_zst_one_block)
{
	struct ipfs_status st;
	char want[128], sha[80], cmd[512];

	/* Small enough to stay under one 256 KiB chunk once compressed. */
	sh("tar --zstd -cf snap.tar.zst -C base chains/polkadot/db/full/CURRENT "
	   "chains/polkadot/db/full/000007.sst && test $(wc -c < snap.tar.zst) -lt 262144");
	snprintf(want, sizeof(want), "%s", raw_cid_of("snap.tar.zst"));
	ck_assert_int_eq(strlen(want), IPFS_CID_LEN);
	ck_assert_str_eq(add_file("snap.tar.zst", &st), want);
	ck_assert_uint_eq(st.entries, 1);
	/* Read back, by this client and by curl. */
	snprintf(sha, sizeof(sha), "%s", sh("sha256sum < snap.tar.zst | cut -c1-64"));
	ck_assert_str_eq(cat_sha(want, "back.tar.zst"), sha);
	snprintf(cmd, sizeof(cmd),
	         "curl -sf -X POST '%s/api/v0/cat?arg=%s' | sha256sum | cut -c1-64", node.api,
	         want);
	ck_assert_str_eq(sh(cmd), sha);
}
END_TEST

START_TEST(test_big_file_dag_pb)
{
	struct ipfs_status st;
	struct ipfs_cid c;
	char cid[IPFS_CID_LEN + 1], sha[80];

	sh("cp base/chains/polkadot/db/full/000008.sst big.bin");
	snprintf(cid, sizeof(cid), "%s", add_file("big.bin", &st));
	/* Several chunks: a dag-pb node over raw leaves, not the raw CID of the bytes. */
	ck_assert(ipfs_cid_parse(cid, strlen(cid), &c));
	ck_assert_int_eq(c.codec, IPFS_CODEC_DAG_PB);
	ck_assert_str_ne(cid, raw_cid_of("big.bin"));
	snprintf(sha, sizeof(sha), "%s", sh("sha256sum < big.bin | cut -c1-64"));
	ck_assert_str_eq(cat_sha(cid, "big.back"), sha);
	/* From a pipe, its length unknown (the body goes chunked): the same CID. */
	{
		struct ipfs_cfg cf = cfg();
		char cmd[1024];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "cat '%s/big.bin'", work);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		ck_assert_msg(ipfs_add_fd(&cf, "big.bin", fileno(p), -1, &st) == 0, "%s", st.err);
		ck_assert_int_eq(pclose(p), 0);
		ck_assert_str_eq(st.root, cid);
		ck_assert_uint_eq(st.sent, 1048576);
	}
}
END_TEST

/* The packer on a thread of its own, writing into a pipe and a copy on disk. */
struct packer {
	int wfd;
	FILE *copy;
	struct pack_result r;
	int rc;
	char err[512];
};

static int pack_out(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct packer *k = ctx;
	const char *c = p;

	if (fwrite(p, 1, len, k->copy) != len) {
		snprintf(err, errlen, "copy: write failed");
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(k->wfd, c, len);

		if (n <= 0) {
			snprintf(err, errlen, "pipe: write failed");
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *pack_thread(void *arg)
{
	struct packer *k = arg;
	struct pack_opts o = {.write = pack_out, .write_ctx = k};

	k->rc = pack_tree(base, &o, &k->r, k->err, sizeof(k->err));
	close(k->wfd);
	return NULL;
}

/* The packer's stream straight into the node, nothing staged: the CID of the same bytes. */
START_TEST(test_pack_stream)
{
	struct ipfs_cfg c = cfg();
	struct ipfs_status st, st2;
	struct packer k = {0};
	char path[1024], sha[2 * PACK_SHA256_LEN + 2];
	pthread_t th;
	int fds[2];

	snprintf(path, sizeof(path), "%s/copy.tar.zst", work);
	k.copy = fopen(path, "wb");
	ck_assert_ptr_nonnull(k.copy);
	ck_assert_int_eq(pipe(fds), 0);
	k.wfd = fds[1];
	ck_assert_int_eq(pthread_create(&th, NULL, pack_thread, &k), 0);
	ck_assert_msg(ipfs_add_fd(&c, "snapshot.tar.zst", fds[0], -1, &st) == 0, "%s", st.err);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	close(fds[0]);
	ck_assert_int_eq(fclose(k.copy), 0);
	ck_assert_msg(k.rc == 0, "%s", k.err);
	ck_assert_uint_eq(st.sent, k.r.bytes);
	/* The copy, added as a file, has the same CID; read back, the packer's sha256. */
	ck_assert_str_eq(add_file("copy.tar.zst", &st2), st.root);
	for (int i = 0; i < PACK_SHA256_LEN; i++)
		snprintf(sha + 2 * i, 3, "%02x", k.r.sha256[i]);
	sha[2 * PACK_SHA256_LEN] = '\n';
	sha[2 * PACK_SHA256_LEN + 1] = '\0';
	ck_assert_str_eq(cat_sha(st.root, "pack.back"), sha);
	ck_assert_str_eq(sh("sha256sum < copy.tar.zst | cut -c1-64"), sha);
}
END_TEST

/* Counts the entries of the answer, and checks each name is one the tree holds. */
static int count_entry(void *ctx, const struct ipfs_add_entry *e, char *err, size_t errlen)
{
	int *n = ctx;

	(void)err, (void)errlen;
	ck_assert_ptr_null(strstr(e->name, "secret_ed25519"));
	ck_assert_ptr_null(strstr(e->name, "keystore"));
	(*n)++;
	return 0;
}

START_TEST(test_tree_read_back)
{
	const char *pats[] = {"chains/*/db/full/LOG*"};
	struct exclude_set ex = {pats, 1};
	struct ipfs_cfg c = cfg();
	struct ipfs_status st;
	char cmd[1024], root[IPFS_CID_LEN + 1];
	const char *ls;
	int n = 0, files, dirs;

	ck_assert_msg(ipfs_add_tree(&c, base, &ex, count_entry, &n, &st) == 0, "%s", st.err);
	snprintf(root, sizeof(root), "%s", st.root);
	/* The source minus what must be left out, by cp and rm. */
	sh("cp -a base expected && "
	   "rm expected/chains/polkadot/network/secret_ed25519 "
	   "expected/polkadot/chains/ksmcc3/network/secret_ed25519 "
	   "expected/chains/polkadot/db/full/LOG && "
	   "rm -r expected/chains/polkadot/keystore expected/polkadot/chains/ksmcc3/keystore");
	files = (int)strtol(sh("find expected -type f | wc -l"), NULL, 10);
	dirs = (int)strtol(sh("find expected -mindepth 1 -type d | wc -l"), NULL, 10);
	ck_assert_int_eq(files, 7);
	ck_assert_int_eq(dirs, 12);
	/*
	 * A line for every file and directory, and the wrapping directory's,
	 * but js-ipfs writes none for an empty directory (three here; they are
	 * in the DAG all the same, as the diff below shows).
	 */
	ck_assert_int_eq(n, files + dirs - 3 + 1);
	ck_assert_uint_eq(st.entries, (uint64_t)n);
	/* The whole tree back through the node's own tar, compared byte for byte. */
	snprintf(cmd, sizeof(cmd),
	         "curl -sf -X POST -o got.tar '%s/api/v0/get?arg=%s' && mkdir out && "
	         "tar -xf got.tar -C out && diff -r expected out/%s && echo same",
	         node.api, root, root);
	ck_assert_str_eq(sh(cmd), "same\n");
	/* The node's listing: the network directory is there, empty; no keystore. */
	snprintf(cmd, sizeof(cmd), "curl -sf -X POST '%s/api/v0/ls?arg=%s/chains/polkadot/network'",
	         node.api, root);
	ls = sh(cmd);
	ck_assert_msg(strstr(ls, "\"Links\":[]") != NULL, "%s", ls);
	snprintf(cmd, sizeof(cmd), "curl -sf -X POST '%s/api/v0/ls?arg=%s/chains/polkadot'",
	         node.api, root);
	ls = sh(cmd);
	ck_assert_msg(strstr(ls, "\"Name\":\"db\"") != NULL, "%s", ls);
	ck_assert_msg(strstr(ls, "keystore") == NULL, "%s", ls);
	/* One file by path through this client. */
	snprintf(cmd, sizeof(cmd), "%s/z", root);
	ck_assert_str_eq(cat_sha(cmd, "z.back"), sh("sha256sum < base/z | cut -c1-64"));
	/* Pinned: asked about the root, the node answers (an unpinned CID is an error). */
	snprintf(cmd, sizeof(cmd), "curl -sf -X POST '%s/api/v0/pin/ls?type=recursive&arg=%s'",
	         node.api, root);
	ck_assert_ptr_nonnull(strstr(sh(cmd), "{\"Type\":\"recursive\"}"));
}
END_TEST

START_TEST(test_refusals)
{
	struct ipfs_cfg c = cfg();
	struct ipfs_status st;

	sh("ln -s /etc/passwd base/chains/polkadot/db/full/escape");
	ck_assert_int_eq(ipfs_add_tree(&c, base, NULL, NULL, NULL, &st), -1);
	ck_assert_msg(strstr(st.err, "chains/polkadot/db/full/escape: is a symlink") != NULL, "%s",
	              st.err);
	ck_assert_int_eq(st.http, 0);
	/* Nothing listens there once the node is stopped. */
	h_ipfs_stop(&node);
	sh("rm base/chains/polkadot/db/full/escape");
	ck_assert_int_eq(ipfs_add_tree(&c, base, NULL, NULL, NULL, &st), -1);
	ck_assert_msg(strstr(st.err, "Couldn't connect") != NULL, "%s", st.err);
}
END_TEST

/*
 * ipfs_pin_rm: a pinned file unpinned (pin/ls by curl then says it is not), a
 * second time the node's "is not pinned" (1, nothing to do), and a node that
 * is not there an error.
 */
START_TEST(test_pin_rm)
{
	struct ipfs_cfg c = cfg();
	struct ipfs_status st;
	char cid[IPFS_CID_LEN + 1], cmd[1024];

	sh("head -c 1000 /dev/urandom > pinned.bin");
	snprintf(cid, sizeof(cid), "%s", add_file("pinned.bin", &st));
	snprintf(cmd, sizeof(cmd),
	         "curl -sS -X POST '%s/api/v0/pin/ls?arg=%s&type=recursive&cid-base=base32'",
	         node.api, cid);
	ck_assert_ptr_nonnull(strstr(sh(cmd), "{\"Type\":\"recursive\"}"));
	ck_assert_msg(ipfs_pin_rm(&c, cid, &st) == 0, "%s", st.err);
	ck_assert_ptr_nonnull(strstr(sh(cmd), "is not pinned"));
	ck_assert_msg(ipfs_pin_rm(&c, cid, &st) == 1, "%s", st.err);
	ck_assert_msg(strstr(st.err, "is not pinned") != NULL, "%s", st.err);
	h_ipfs_stop(&node);
	ck_assert_int_eq(ipfs_pin_rm(&c, cid, &st), -1);
	ck_assert_msg(strstr(st.err, "Couldn't connect") != NULL, "%s", st.err);
}
END_TEST

struct adder {
	char api[64];
	struct ipfs_status st;
	int rc;
};

static void *add_thread(void *arg)
{
	struct adder *d = arg;
	struct ipfs_cfg c = {.api = d->api, .timeout_ms = 60000};

	d->rc = ipfs_add_tree(&c, base, NULL, NULL, NULL, &d->st);
	return NULL;
}

/*
 * A directory replaced by a symlink after the walk, while the add runs: the
 * file under it is not sent. tests/harness/ipfs_stall.py stops reading the
 * body after 64 KiB, inside the 32 MiB of "big", so curl has not opened
 * zdir/secret.txt when the test swaps zdir for a link to a directory
 * outside the base path holding a file of the same name and length.
 */
START_TEST(test_dir_swapped_for_link)
{
	char go[700], log[700], *text;
	char *argv[] = {"python3", "tests/harness/ipfs_stall.py", go, NULL};
	struct adder d = {.rc = 0};
	pthread_t th;
	pid_t pid;

	sh("mkdir -p base/zdir outside && echo a > base/aaa && "
	   "head -c 33554432 /dev/urandom > base/big && echo inside > base/zdir/secret.txt && "
	   "echo OUTSID > outside/secret.txt");
	snprintf(go, sizeof(go), "%s/go", work);
	snprintf(log, sizeof(log), "%s/stall.log", work);
	pid = h_spawn(argv, NULL, log);
	ck_assert_int_gt(pid, 0);
	/* ipfs_stall.py: SIGTERM ends serve_forever() through sys.exit(0). */
	h_child_expect(pid, "ipfs_stall.py", SIGTERM, 0);
	ck_assert(h_wait_file_contains(log, "READY ", 10));
	text = h_read_file(log, NULL);
	ck_assert_ptr_nonnull(text);
	snprintf(d.api, sizeof(d.api), "http://127.0.0.1:%ld",
	         strtol(strstr(text, "READY ") + 6, NULL, 10));
	free(text);
	ck_assert_int_eq(pthread_create(&th, NULL, add_thread, &d), 0);
	ck_assert(h_wait_file_contains(log, "STALLED", 30));
	sh("mv base/zdir zdir.real && ln -s \"$PWD/outside\" base/zdir && touch go");
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(d.rc, -1);
	ck_assert_msg(strstr(d.st.err, "zdir/secret.txt: Too many levels of symbolic links") !=
	                  NULL,
	              "%s", d.st.err);
	h_stop_child(pid);
}
END_TEST

static Suite *ipfs_suite(void)
{
	Suite *s = suite_create("ipfs");
	TCase *tc = tcase_create("add");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_tar_zst_one_block);
	tcase_add_test(tc, test_big_file_dag_pb);
	tcase_add_test(tc, test_pack_stream);
	tcase_add_test(tc, test_tree_read_back);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_pin_rm);
	suite_add_tcase(s, tc);
	tc = tcase_create("stall");
	tcase_add_checked_fixture(tc, setup_dir, teardown_stall);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_dir_swapped_for_link);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ipfs_suite());
}
