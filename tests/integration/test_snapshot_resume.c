/* SPDX-License-Identifier: MIT */
/*
 * A publish killed halfway resumes its upload on the next run
 * (ctl/snapshot/mpwrite.h, "Resume"): the real `polkfura-ctl snapshot
 * publish`, the node simulator and s3rver, a base path of 32 MiB of random
 * bytes (the tar is at least seven parts of 5 MiB, two in flight). The
 * first publish is killed with SIGKILL once its state file records two
 * parts (polled); the rerun exits 0, and what it uploaded is counted from
 * s3rver's own log ("Stored part N of <upload>"), not from the publisher:
 * it sent fewer parts than the object has, and the parts of both runs
 * cover them all. The object is what GNU tar and zstd read back: `diff -r`
 * against the base path less the node key, and its sha256 the manifest's.
 * The state file is gone once the object is complete.
 * Starts no HAProxy (it is in the Makefile's HAP34_BINS filter).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"
#include "tests/harness/tree.h"

#define BUCKET "pf-cdn"
#define SECRET "PLANTED-NODE-KEY-5e1b"
#define PART   (5 * 1024 * 1024)

static struct h_s3rver srv;
static struct h_nodesim sim;
static char work[512], base[600], state[600];

static const char *sh(const char *cmd)
{
	return h_sh_in(work, cmd);
}

/* The config, with <target> ("s3_tar" or "s3_files") as the one target. */
static void write_config(const char *target, const char *endpoint)
{
	char json[4096], path[700];

	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\"}], "
	         "\"%s\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}, \"part_size_mb\": 5, \"parallel\": 2, "
	         "\"state_dir\": \"%s\"}}",
	         base, sim.port[0], target, endpoint, state);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static void setup(void)
{
	snprintf(work, sizeof(work), "%s/resume-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	snprintf(state, sizeof(state), "%s/state", work);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	h_tree_put(base, "chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n", 0755);
	h_tree_put(base, "chains/polkadot/network/secret_ed25519", SECRET, 0755);
	sh("for i in 1 2 3 4; do head -c 8388608 /dev/urandom "
	   "> base/chains/polkadot/db/full/00000$i.sst; done");
	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 1000"),
	              "nodesim: %s", sim.log);
	ck_assert_int_eq(h_nodesim_control(&sim, "/all", "{\"finalized_lag\": 3}", NULL), 200);
	write_config("s3_tar", srv.endpoint);
}

static void teardown(void)
{
	h_stop_all();
	/* The bulky bytes (random trees, objects, parts, s3rver's data) go: the harness reads
	 * every file a run leaves for sanitizer reports, which under ASan takes a minute. The
	 * logs and the state directory stay. */
	{
		char cmd[1600], out[256];

		snprintf(cmd, sizeof(cmd), "cd '%s' && rm -rf %s '%s'", work,
		         "base expect out got got.tar.zst manifest.json p.* capture.jsonl "
		         "capture-objects",
		         srv.dir);
		(void)h_run(cmd, out, sizeof(out));
	}
}

/* Complete lines starting <kind> in the state directory's file ending <ext>; -1: none. */
static int recorded(const char *ext, const char *kind)
{
	char path[1200], line[512];
	struct dirent *d;
	int n = -1;
	DIR *dir = opendir(state);
	FILE *f = NULL;

	while (dir != NULL && f == NULL && (d = readdir(dir)) != NULL) {
		size_t len = strlen(d->d_name);

		if (len > strlen(ext) && strcmp(d->d_name + len - strlen(ext), ext) == 0) {
			snprintf(path, sizeof(path), "%s/%s", state, d->d_name);
			f = fopen(path, "r");
		}
	}
	if (dir != NULL)
		closedir(dir);
	if (f == NULL)
		return -1;
	n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, kind, strlen(kind)) == 0 && strchr(line, '\n') != NULL)
			n++;
	fclose(f);
	return n;
}

static int recorded_parts(void)
{
	return recorded(".mpu", "part ");
}

/* Lines of s3rver's log after byte <from> that match <re> (grep -E). */
static long stored(long from, const char *re)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "tail -c +%ld '%s' | grep -cE '%s' || true", from + 1, srv.log,
	         re);
	return strtol(sh(cmd), NULL, 10);
}

static long log_size(void)
{
	struct stat sb;

	ck_assert_int_eq(stat(srv.log, &sb), 0);
	return (long)sb.st_size;
}

static pid_t spawn_publish(const char *log)
{
	char bin[4096], exe[4200], cfg[700];
	char *argv[] = {exe, "snapshot", "publish", "--config", cfg, NULL};
	char *env[] = {"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=pfResumeSecret0123456789",
	               NULL};

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(exe, sizeof(exe), "%s/polkfura-ctl", bin);
	snprintf(cfg, sizeof(cfg), "%s/ctl.json", work);
	return h_spawn(argv, env, log);
}

/* Starts a publish logging to <log> and kills it once its state file records two parts. */
static void kill_after_two_parts(const char *log)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	pid_t pid = spawn_publish(log);
	int n = -1;

	ck_assert_int_gt(pid, 0);
	/* Polled, 5 ms apart, 60 s at most: the kill lands once two parts are recorded. */
	for (int i = 0; i < 12000 && n < 2; i++) {
		ck_assert_msg(h_wait_exit(pid, 0) == -1, "the publish ended before two parts");
		n = recorded_parts();
		if (n < 2)
			nanosleep(&ts, NULL);
	}
	ck_assert_int_ge(n, 2);
	h_kill_child(pid); /* the interruption under test */
}

/* Reruns the publish, asserts exit 0 and returns the parts s3rver stored meanwhile. */
static long rerun(const char *log)
{
	long mark = log_size();
	pid_t pid = spawn_publish(log);
	int st;

	ck_assert_int_gt(pid, 0);
	st = h_wait_exit(pid, 60);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rerun: status %d (log %s)", st, log);
	return stored(mark, "Stored part ");
}

/*
 * The tar latest.json names, checked against its manifest's sha256 and
 * unpacked by GNU tar to equal the base path less the node key. Returns its
 * size in parts.
 */
static long check_tar(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "curl -sSf '%s/" BUCKET "/chains/polkadot/latest.json' | python3 -c 'import "
	         "json,sys; print(json.load(sys.stdin)[\"manifest\"], end=\"\")'",
	         srv.endpoint);
	snprintf(cmd, sizeof(cmd), "curl -sSf -o manifest.json '%s/" BUCKET "/chains/polkadot/%s'",
	         srv.endpoint, sh(cmd));
	sh(cmd);
	snprintf(cmd, sizeof(cmd),
	         "curl -sSf -o got.tar.zst '%s/" BUCKET "/chains/polkadot/'\"$(python3 -c 'import "
	         "json; d=json.load(open(\"manifest.json\")); print(\"%%d-%%s\" %% (d[\"height\"], "
	         "d[\"block_hash\"][2:10]) + \"/\" + d[\"artifacts\"][0][\"name\"])')\"",
	         srv.endpoint);
	sh(cmd);
	ck_assert_str_eq(sh("sha256sum got.tar.zst | cut -c1-64 | tr -d '\\n'"),
	                 sh("python3 -c 'import json; print(json.load(open(\"manifest.json\"))"
	                    "[\"artifacts\"][0][\"sha256\"], end=\"\")'"));
	sh("mkdir out && tar --zstd -xf got.tar.zst -C out");
	sh("cp -a base expect && rm expect/chains/polkadot/network/secret_ed25519 && "
	   "diff -r expect out");
	return (strtol(sh("wc -c < got.tar.zst"), NULL, 10) + PART - 1) / PART;
}

START_TEST(test_killed_publish_resumes)
{
	char log1[700], log2[700];
	long first, second, total;

	snprintf(log1, sizeof(log1), "%s/publish1.log", work);
	snprintf(log2, sizeof(log2), "%s/publish2.log", work);
	kill_after_two_parts(log1);
	first = stored(0, "Stored part ");
	ck_assert_int_ge(first, 2);
	second = rerun(log2);
	total = check_tar();
	ck_assert_int_ge(total, 7);
	ck_assert_msg(second < total, "the rerun stored %ld of %ld parts: it started over", second,
	              total);
	ck_assert_int_ge(first + second, total);
	ck_assert_int_eq(recorded_parts(), -1); /* the state file went with the completion */
}
END_TEST

/*
 * tests/harness/s3capture.py holding no object (it serves GETs and HEADs
 * from an empty directory: nothing is published there yet); its record
 * file into <record>, its endpoint into <endpoint>.
 */
static void capture_empty(char *endpoint, size_t eplen, char *record, size_t reclen)
{
	char log[800], dir[700], *text, *p;
	char *argv[] = {"python3", "tests/harness/s3capture.py", record, "0", "0", dir, NULL};
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/capture-objects", work);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(record, reclen, "%s/capture.jsonl", work);
	snprintf(log, sizeof(log), "%s.log", record);
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

/*
 * A state file naming an upload S3 no longer has, where ListParts cannot
 * tell (405, as s3rver): the publish skips the recorded parts, the first
 * part it sends answers 404 NoSuchUpload, and it packs and sends the tar
 * again under a new upload, once, and exits 0. s3rver accepts parts of an
 * upload it never started and fails only the completion, with a 500, so the
 * peer here is tests/harness/s3capture.py ("gone" upload ids). The state
 * file is written by hand from the tar a first publish (to s3rver) made:
 * the stream is the same for the same tree (PACK.md), its parts split and
 * hashed by split and sha256sum.
 */
START_TEST(test_gone_upload_starts_over)
{
	char log1[700], log2[700], url[1024], cmd[4096], ep[64], record[700];
	long total;
	int st;
	pid_t pid;

	snprintf(log1, sizeof(log1), "%s/publish1.log", work);
	snprintf(log2, sizeof(log2), "%s/publish2.log", work);
	pid = spawn_publish(log1);
	ck_assert_int_gt(pid, 0);
	st = h_wait_exit(pid, 60);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "publish: status %d", st);
	total = check_tar();
	capture_empty(ep, sizeof(ep), record, sizeof(record));
	write_config("s3_tar", ep);
	snprintf(url, sizeof(url), "%s/" BUCKET "/chains/polkadot/%s/snapshot.tar.zst", ep,
	         sh("python3 -c 'import json; d=json.load(open(\"manifest.json\")); "
	            "print(\"%d-%s\" % (d[\"height\"], d[\"block_hash\"][2:10]), end=\"\")'"));
	snprintf(cmd, sizeof(cmd),
	         "split -b %d -d got.tar.zst p. && "
	         "f=state/$(printf %%s '%s' | sha256sum | cut -c1-64).mpu && "
	         "printf 'polkfura-mpu 1\\nurl %%s\\nupload gone-1\\npart_size %d\\n' '%s' > $f "
	         "&& for i in 1 2; do printf 'part %%d %d %%s \"e%%d\"\\n' $i "
	         "$(sha256sum < p.0$((i - 1)) | cut -c1-64) $i >> $f; done",
	         PART, url, PART, url, PART);
	sh(cmd);
	pid = spawn_publish(log2);
	ck_assert_int_gt(pid, 0);
	st = h_wait_exit(pid, 60);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rerun: status %d (log %s)", st, log2);
	/* Parts 1 and 2 never went to the gone upload; the new one got every part. */
	snprintf(cmd, sizeof(cmd),
	         "grep -c '\"PUT\".*partNumber=[12]&uploadId=gone-1' '%s' || true; "
	         "grep -c '\"PUT\".*partNumber=[0-9]*&uploadId=capture' '%s' || true",
	         record, record);
	snprintf(url, sizeof(url), "0\n%ld\n", total);
	ck_assert_str_eq(sh(cmd), url);
	ck_assert_int_eq(recorded_parts(), -1);
}
END_TEST

/*
 * The files target: 24 small files and 4 of two parts each. Killed once its
 * record lists 6 files; the rerun stores fewer file objects than files.txt
 * lists (s3rver's "Stored object" lines under files/), and `snapshot fetch
 * --form files` gives back the base path less the node key, every sha256
 * checked by sha256sum -c.
 */
START_TEST(test_killed_files_publish_resumes)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	char log1[700], log2[700], cmd[8192], bin[4096];
	long first, second, total, mark;
	int n = -1, st;
	pid_t pid;

	sh("for i in $(seq 10 33); do head -c 262144 /dev/urandom "
	   "> base/chains/polkadot/db/full/small$i.ldb; done");
	write_config("s3_files", srv.endpoint);
	snprintf(log1, sizeof(log1), "%s/publish1.log", work);
	snprintf(log2, sizeof(log2), "%s/publish2.log", work);
	pid = spawn_publish(log1);
	ck_assert_int_gt(pid, 0);
	for (int i = 0; i < 12000 && n < 6; i++) {
		ck_assert_msg(h_wait_exit(pid, 0) == -1, "the publish ended before six files");
		n = recorded(".files", "file ");
		if (n < 6)
			nanosleep(&ts, NULL);
	}
	ck_assert_int_ge(n, 6);
	h_kill_child(pid); /* the interruption under test */
	first = stored(0, "Stored object \"[^\"]*/files/");
	ck_assert_int_ge(first, 6);

	mark = log_size();
	pid = spawn_publish(log2);
	ck_assert_int_gt(pid, 0);
	st = h_wait_exit(pid, 60);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rerun: status %d (log %s)", st, log2);
	second = stored(mark, "Stored object \"[^\"]*/files/");

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(cmd, sizeof(cmd),
	         "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER %s/polkfura-ctl snapshot "
	         "fetch --chain polkadot --dest got --from s3 --endpoint %s --bucket " BUCKET
	         " --form files 2>&1 </dev/null",
	         bin, srv.endpoint);
	sh(cmd);
	sh("cp -a base expect && rm -r expect/chains/polkadot/network && "
	   "diff -r -x SHA256SUMS expect got");
	sh("cd got && sha256sum --quiet -c SHA256SUMS");
	total = strtol(sh("find expect -type f | wc -l"), NULL, 10);
	ck_assert_int_eq(total, 29);
	ck_assert_msg(second < total, "the rerun stored %ld of %ld files: it started over", second,
	              total);
	ck_assert_int_ge(first + second, total);
	ck_assert_int_eq(recorded(".files", "file "), -1);
}
END_TEST

static Suite *snapshot_resume_suite(void)
{
	Suite *s = suite_create("snapshot_resume");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_killed_publish_resumes);
	tcase_add_test(tc, test_killed_files_publish_resumes);
	tcase_add_test(tc, test_gone_upload_starts_over);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(snapshot_resume_suite());
}
