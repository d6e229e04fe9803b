/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl snapshot fetch` against s3rver 3.7.1 on loopback. The
 * snapshot is published by tests/harness/snapshot_fixture.sh with
 * independent tools (sha256sum, GNU tar --zstd, JSON written from
 * docs/snapshot-format.md), and what comes back is compared with the source
 * tree by `diff -r`. Covered: both forms from a plain URL base (unsigned
 * GETs) and from --from s3 (signed, requester pays), a partial copy left by
 * an interrupted fetch resumed with a Range (s3rver logs 206), a corrupted
 * file and a corrupted tar refused naming the checksum (exit 3), and
 * hostile names (SHA256SUMS with an absolute path or "..", a tar with an
 * absolute path, "..", a symlink then a file through it, a hard link)
 * refused with nothing written outside DEST: a sentinel directory next to
 * DEST stays empty.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"

#define BUCKET "pf-snapshots"
#define CHAIN  "polkadot"

static struct h_s3rver srv;
static char src[160], work[160], dest[160], outside[160], base[160];

static void sh(const char *cmd)
{
	char out[4096];
	int st = h_run(cmd, out, sizeof(out));

	ck_assert_msg(st == 0, "%s: status %d: %s", cmd, st, out);
}

/* A source tree: a file of 3 MiB (several reads), a small one, one in a subdirectory. */
static void make_tree(void)
{
	char cmd[8192];

	snprintf(src, sizeof(src), "%s/src", h_tmpdir());
	snprintf(work, sizeof(work), "%s/work", h_tmpdir());
	snprintf(dest, sizeof(dest), "%s/box/dest", h_tmpdir());
	snprintf(outside, sizeof(outside), "%s/box/outside", h_tmpdir());
	snprintf(cmd, sizeof(cmd),
	         "rm -rf %s %s/box && mkdir -p %s/db/full %s/keys %s &&"
	         " head -c 3145728 /dev/urandom >%s/db/full/000123.sst &&"
	         " printf 'CURRENT\\n' >%s/db/full/CURRENT && printf x >%s/keys/empty-ish",
	         src, h_tmpdir(), src, src, outside, src, src, src);
	sh(cmd);
}

static void publish(const char *env)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "%s tests/harness/snapshot_fixture.sh %s %s %s %s %s", env, src,
	         work, srv.endpoint, BUCKET, CHAIN);
	sh(cmd);
}

/* Runs the fetch with <args>; its exit code, its output in <out>. */
static int fetch(const char *args, char *out, size_t outlen)
{
	char cmd[8192];
	int st;

	snprintf(cmd, sizeof(cmd),
	         "PF_FETCH_PROGRESS_S=1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
	         "%s/polkfura-ctl snapshot fetch --chain " CHAIN " --dest %s %s 2>&1 </dev/null",
	         h_build_dir(), dest, args);
	st = h_run(cmd, out, outlen);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void outside_empty(void)
{
	char cmd[8192], out[1024];

	snprintf(cmd, sizeof(cmd), "find %s -mindepth 1 | head -5", outside);
	sh(cmd);
	ck_assert_int_eq(h_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(out[0] == '\0', "written outside DEST: %s", out);
}

static void same_tree(const char *sub)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "diff -r %s %s%s", src, dest, sub);
	sh(cmd);
}

/*
 * tests/harness/s3capture.py serving the published objects from <work>, the
 * first <short> GETs of a key ending in <suffix> cut halfway. Its record
 * file into <record>, its endpoint into <endpoint>.
 */
static void capture_failing(int fail_first, int short_gets, const char *suffix, char *endpoint,
                            size_t eplen, char *record, size_t reclen)
{
	static unsigned seq;
	char nf[16], ns[16], log[700], *text, *p;
	char *argv[] = {
	    "python3", "tests/harness/s3capture.py", record, nf, ns, work, (char *)suffix, NULL};
	pid_t pid;

	snprintf(record, reclen, "%s/capture-%d-%u.jsonl", h_tmpdir(), (int)getpid(), ++seq);
	snprintf(log, sizeof(log), "%s.log", record);
	snprintf(nf, sizeof(nf), "%d", fail_first);
	snprintf(ns, sizeof(ns), "%d", short_gets);
	pid = h_spawn(argv, NULL, log);
	ck_assert_int_gt(pid, 0);
	h_child_expect(pid, "s3capture", SIGTERM, 0);
	ck_assert_msg(h_wait_file_contains(log, "READY ", 10), "s3capture did not start");
	text = h_read_file(log, NULL);
	p = text != NULL ? strstr(text, "READY ") : NULL;
	ck_assert_ptr_nonnull(p);
	snprintf(endpoint, eplen, "http://127.0.0.1:%d", (int)strtol(p + 6, NULL, 10));
	free(text);
}

static void capture(int short_gets, const char *suffix, char *endpoint, size_t eplen, char *record,
                    size_t reclen)
{
	capture_failing(0, short_gets, suffix, endpoint, eplen, record, reclen);
}

/* Lines of the record <path> holding <needle> (case-insensitive), and all of them. */
static int record_count(const char *path, const char *needle, int *lines)
{
	char *text = h_read_file(path, NULL), *line, *save = NULL;
	int n = 0;

	ck_assert_ptr_nonnull(text);
	*lines = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		(*lines)++;
		n += strcasestr(line, needle) != NULL;
	}
	free(text);
	return n;
}

static void same_tree_files(void)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "diff -r -x SHA256SUMS %s %s", src, dest);
	sh(cmd);
}

static void setup(void)
{
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	snprintf(base, sizeof(base), "%s/%s", srv.endpoint, BUCKET);
	make_tree();
}

static void teardown(void)
{
	h_stop_all();
}

START_TEST(files_from_url)
{
	char out[8192], args[600], cmd[8192];

	publish("");
	snprintf(args, sizeof(args), "--from %s --form files --parallel 3", base);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	/* The tree and the verified SHA256SUMS, which sha256sum -c accepts by itself. */
	snprintf(cmd, sizeof(cmd),
	         "diff -r -x SHA256SUMS %s %s && cd %s && sha256sum -c --quiet SHA256SUMS", src,
	         dest, dest);
	sh(cmd);
	outside_empty();
}
END_TEST

START_TEST(tar_from_url)
{
	char out[8192], args[600];

	publish("");
	snprintf(args, sizeof(args), "--from %s --form tar", base);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	same_tree("");
	outside_empty();
}
END_TEST

START_TEST(from_s3_both_forms)
{
	char out[8192], args[600], cmd[8192];

	publish("");
	snprintf(args, sizeof(args), "--from s3 --endpoint %s --bucket " BUCKET " --form tar",
	         srv.endpoint);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	same_tree("");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dest);
	sh(cmd);
	snprintf(args, sizeof(args), "--from s3 --endpoint %s --bucket " BUCKET, srv.endpoint);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "diff -r -x SHA256SUMS %s %s", src, dest);
	sh(cmd);
}
END_TEST

/*
 * A fetch cut halfway leaves the first half of the big file as its partial
 * copy; the next fetch asks for the rest with a Range (s3rver answers 206)
 * and the file verifies whole. A run stopped after the last byte but before
 * the rename leaves the whole file as the partial copy: the Range is past
 * the end (s3rver answers 416) and the copy verifies as it is.
 */
START_TEST(resume_with_range)
{
	static const char *const have[] = {"1572864", "3145728"};
	static const char *const status[] = {"000123.sst 206", "000123.sst 416"};
	char out[8192], args[600], cmd[8192], *log;

	publish("");
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p %s/db/full && head -c %s %s/db/full/000123.sst "
	         ">%s/db/full/000123.sst.pf-part",
	         dest, have[_i], src, dest);
	sh(cmd);
	snprintf(args, sizeof(args), "--from %s --form files --parallel 1", base);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "diff -r -x SHA256SUMS %s %s", src, dest);
	sh(cmd);
	log = h_read_file(srv.log, NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, status[_i]) != NULL, "no %s in s3rver's log:\n%s", status[_i],
	              log);
	free(log);
}
END_TEST

/* A partial copy whose bytes are not the object's prefix: the whole file fails its sha256. */
START_TEST(bad_partial_copy_fails)
{
	char out[8192], args[600], cmd[8192];

	publish("");
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p %s/db/full && head -c 1000 /dev/zero >%s/db/full/000123.sst.pf-part",
	         dest, dest);
	sh(cmd);
	snprintf(args, sizeof(args), "--from %s --form files --parallel 1", base);
	ck_assert_int_eq(fetch(args, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "000123.sst: sha256 mismatch") != NULL, "%s", out);
}
END_TEST

START_TEST(corrupted_file_fails)
{
	char out[8192], args[600], cmd[8192];

	publish("PF_FX_CORRUPT=files/db/full/000123.sst");
	snprintf(args, sizeof(args), "--from %s --form files", base);
	ck_assert_int_eq(fetch(args, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "files/db/full/000123.sst: sha256 mismatch: expected ") != NULL,
	              "%s", out);
	/* Never under its final name. */
	snprintf(cmd, sizeof(cmd), "test ! -e %s/db/full/000123.sst", dest);
	sh(cmd);
}
END_TEST

START_TEST(corrupted_tar_fails)
{
	char out[8192], args[600], cmd[8192];

	publish("PF_FX_CORRUPT=snapshot.tar.zst");
	snprintf(args, sizeof(args), "--from %s --form tar", base);
	ck_assert_int_eq(fetch(args, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "snapshot.tar.zst: sha256 mismatch: expected ") != NULL, "%s",
	              out);
	snprintf(cmd, sizeof(cmd), "test -z \"$(find %s -type f ! -name '*.pf-part')\"", dest);
	sh(cmd);
}
END_TEST

/* latest.json fixes the manifest, the manifest fixes SHA256SUMS: either changed is refused. */
START_TEST(corrupted_documents_fail)
{
	static const char *const obj[] = {"manifest.json", "SHA256SUMS"};
	static const char *const want[] = {
	    "manifest.json: sha256 mismatch: latest.json says ",
	    "SHA256SUMS: sha256 mismatch: expected ",
	};
	char out[8192], args[600], env[64], cmd[8192];

	snprintf(env, sizeof(env), "PF_FX_CORRUPT=%s", obj[_i]);
	publish(env);
	snprintf(args, sizeof(args), "--from %s --form files", base);
	ck_assert_int_eq(fetch(args, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, want[_i]) != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "test -z \"$(find %s -type f)\"", dest);
	sh(cmd);
}
END_TEST

static void hostile_sums(const char *line)
{
	char out[8192], args[600], path[600], env[700];

	snprintf(path, sizeof(path), "%s/hostile-sums", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, line), 0);
	snprintf(env, sizeof(env), "PF_FX_SUMS=%s", path);
	publish(env);
	snprintf(args, sizeof(args), "--from %s --form files", base);
	ck_assert_int_eq(fetch(args, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "SHA256SUMS line 1") != NULL, "%s", out);
	outside_empty();
}

START_TEST(hostile_sums_refused)
{
	static const char *const lines[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000  /tmp/x\n",
	    "0000000000000000000000000000000000000000000000000000000000000000  ../outside/x\n",
	};

	hostile_sums(lines[_i]);
}
END_TEST

/* A tar built by python's tarfile (not our code) holding one hostile entry after a good one. */
static void hostile_tar(const char *py_entries, const char *want)
{
	char out[8192], args[600], cmd[8192], env[700];

	snprintf(cmd, sizeof(cmd),
	         "cd %s && python3 -c \"import tarfile, io\n"
	         "t = tarfile.open('h.tar', 'w', format=tarfile.PAX_FORMAT)\n"
	         "def f(n, b=b'x'):\n"
	         "    i = tarfile.TarInfo(n); i.size = len(b); t.addfile(i, io.BytesIO(b))\n"
	         "def l(n, target, kind):\n"
	         "    i = tarfile.TarInfo(n); i.type = kind; i.linkname = target; t.addfile(i)\n"
	         "f('ok')\n%s\nt.close()\" && zstd -q -f h.tar -o h.tar.zst",
	         h_tmpdir(), py_entries);
	sh(cmd);
	snprintf(env, sizeof(env), "PF_FX_TAR=%s/h.tar.zst", h_tmpdir());
	publish(env);
	snprintf(args, sizeof(args), "--from %s --form tar", base);
	ck_assert_int_eq(fetch(args, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, want) != NULL, "want %s in: %s", want, out);
	outside_empty();
	/* The good entry before it stays a partial copy: nothing is final until all verified. */
	snprintf(cmd, sizeof(cmd), "test ! -e %s/ok", dest);
	sh(cmd);
}

START_TEST(hostile_tar_refused)
{
	char abs[700], dd[700];
	static const char *const want[] = {"an absolute path", "a '..' component", "symbolic link",
	                                   "hard link"};
	const char *entries[4];

	snprintf(abs, sizeof(abs), "f('%s/x')", outside);
	snprintf(dd, sizeof(dd), "f('../outside/x')");
	entries[0] = abs;
	entries[1] = dd;
	entries[2] = "l('a', '/tmp/i13-nowhere', tarfile.SYMTYPE)\nf('a/x')";
	entries[3] = "l('h', 'ok', tarfile.LNKTYPE)";
	hostile_tar(entries[_i], want[_i]);
}
END_TEST

/* --from s3 signs every request and sends the requester-pays header (S3 bills the reader). */
START_TEST(requester_pays_header)
{
	char out[8192], args[600], ep[64], rec[600];
	int lines, n;

	publish("");
	capture(0, "", ep, sizeof(ep), rec, sizeof(rec));
	snprintf(args, sizeof(args), "--from s3 --endpoint %s --bucket " BUCKET " --form files",
	         ep);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	same_tree_files();
	n = record_count(rec, "[\"x-amz-request-payer\", \"requester\"]", &lines);
	/* latest.json, the manifest, SHA256SUMS and the three files. */
	ck_assert_int_eq(lines, 6);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(record_count(rec, "AWS4-HMAC-SHA256 Credential=S3RVER/", &lines), 6);
}
END_TEST

/*
 * A GET cut halfway (s3capture closes the connection after half the body)
 * is resumed within the same run with a Range from the bytes received, for
 * a file and for the tar stream alike.
 */
START_TEST(cut_stream_resumes)
{
	static const char *const suffix[] = {"000123.sst", "snapshot.tar.zst"};
	static const char *const form[] = {"files", "tar"};
	char out[8192], args[600], ep[64], rec[600];
	int lines;

	publish("");
	capture(1, suffix[_i], ep, sizeof(ep), rec, sizeof(rec));
	snprintf(args, sizeof(args), "--from %s/" BUCKET " --form %s", ep, form[_i]);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "resuming with a Range") != NULL, "%s", out);
	if (_i == 0)
		same_tree_files();
	else
		same_tree("");
	ck_assert_int_eq(record_count(rec, "[\"Range\", \"bytes=", &lines), 1);
}
END_TEST

/*
 * A second fetch into the same DEST reads the three documents and checks
 * the files already there against SHA256SUMS instead of fetching them; a
 * file changed since is fetched again.
 */
START_TEST(verified_files_not_fetched_again)
{
	char out[8192], args[600], ep[64], rec[600], cmd[8192];
	int lines;

	publish("");
	snprintf(args, sizeof(args), "--from %s --form files", base);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "printf y >%s/keys/empty-ish", dest);
	sh(cmd);
	capture(0, "", ep, sizeof(ep), rec, sizeof(rec));
	snprintf(args, sizeof(args), "--from %s/" BUCKET " --form files", ep);
	ck_assert_msg(fetch(args, out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "2 of 3 files were already there") != NULL, "%s", out);
	ck_assert_int_eq(record_count(rec, "empty-ish", &lines), 1);
	ck_assert_int_eq(lines, 4);
	same_tree_files();
}
END_TEST

/* A tar naming one file twice: the second copy would replace the first unseen. */
START_TEST(tar_duplicate_refused)
{
	hostile_tar("f('ok', b'yy')", "ok: twice in the tar");
}
END_TEST

/*
 * A refused entry between two of 16 MiB of random bytes, each more than the
 * 8 MiB queue between the download and the unpacking: the unpacking stops
 * with more of the object to come. The fetch ends with exit 3 and leaves
 * the good entries as partial copies only.
 */
START_TEST(tar_refused_mid_stream)
{
	char cmd[8192];

	hostile_tar("import os\nf('big', os.urandom(16 << 20))\nf('../outside/x')\n"
	            "f('tail', os.urandom(16 << 20))",
	            "a '..' component");
	snprintf(cmd, sizeof(cmd), "test ! -e %s/big && test -s %s/big.pf-part", dest, dest);
	sh(cmd);
}
END_TEST

/* A plain server's 503s before any byte are retried after a back-off, a bounded number of times. */
START_TEST(server_errors_retried)
{
	static const int fails[] = {2, 5};
	static const int codes[] = {0, 1};
	char out[8192], args[600], ep[64], rec[600];
	int lines;

	publish("");
	capture_failing(fails[_i], 0, "", ep, sizeof(ep), rec, sizeof(rec));
	snprintf(args, sizeof(args), "--from %s/" BUCKET " --form files", ep);
	ck_assert_msg(fetch(args, out, sizeof(out)) == codes[_i], "%s", out);
	/* latest.json asked for 3 times, or 5 (every attempt) and then nothing else. */
	ck_assert_int_eq(record_count(rec, "latest.json", &lines), _i == 0 ? 3 : 5);
	ck_assert_int_eq(lines, _i == 0 ? 8 : 5);
	if (_i == 1)
		ck_assert_msg(strstr(out, "latest.json: HTTP 503") != NULL, "%s", out);
}
END_TEST

START_TEST(usage_errors)
{
	char out[4096], cmd[8192];
	int st;

	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl snapshot fetch --chain x 2>&1", h_build_dir());
	st = h_run(cmd, out, sizeof(out));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	ck_assert_msg(strstr(out, "--dest") != NULL, "%s", out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("snapshot_fetch");
	TCase *tc = tcase_create("fetch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, files_from_url);
	tcase_add_test(tc, tar_from_url);
	tcase_add_test(tc, from_s3_both_forms);
	tcase_add_loop_test(tc, resume_with_range, 0, 2);
	tcase_add_test(tc, bad_partial_copy_fails);
	tcase_add_test(tc, corrupted_file_fails);
	tcase_add_test(tc, corrupted_tar_fails);
	tcase_add_loop_test(tc, corrupted_documents_fail, 0, 2);
	tcase_add_loop_test(tc, hostile_sums_refused, 0, 2);
	tcase_add_loop_test(tc, hostile_tar_refused, 0, 4);
	tcase_add_test(tc, requester_pays_header);
	tcase_add_loop_test(tc, cut_stream_resumes, 0, 2);
	tcase_add_test(tc, verified_files_not_fetched_again);
	tcase_add_test(tc, tar_duplicate_refused);
	tcase_add_test(tc, tar_refused_mid_stream);
	tcase_add_loop_test(tc, server_errors_retried, 0, 2);
	tcase_add_test(tc, usage_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(suite());
}
