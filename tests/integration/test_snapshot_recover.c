/* SPDX-License-Identifier: MIT */
/*
 * `snapshot recover` (ctl/snapshot/hookmark.h): a publish killed after its
 * pre hook stopped the node leaves a mark, and recover runs the post hook
 * that starts the node again, once. The hooks append their names to a log
 * the test reads; the node the killed publisher asks for its finalized
 * block is a socket that accepts and never answers (a hung node), so the
 * publisher is certain to be between the two hooks when it is killed.
 * A good publish (node simulator, s3rver) leaves no mark, and a post hook
 * that fails keeps it for the next recover.
 * Starts no HAProxy (it is in the Makefile's HAP34_BINS filter).
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

#define BUCKET "pf-recover"

static char work[512], base[600], state[600], mark[700];
static int hung_fd = -1, hung_port;

static void setup(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);

	snprintf(work, sizeof(work), "%s/recover-XXXXXX", h_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(work));
	snprintf(base, sizeof(base), "%s/base", work);
	snprintf(state, sizeof(state), "%s/state", work);
	/* The name ctl/CONFIG.md and the README give the mark. */
	snprintf(mark, sizeof(mark), "%s/polkadot.post-pending", state);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	h_tree_put(base, "chains/polkadot/db/full/CURRENT", "MANIFEST-000002\n", 0755);
	/* Accepts into the backlog, never reads or answers. */
	hung_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(hung_fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(hung_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(hung_fd, 8), 0);
	ck_assert_int_eq(getsockname(hung_fd, (struct sockaddr *)&sin, &len), 0);
	hung_port = ntohs(sin.sin_port);
}

static void teardown(void)
{
	h_stop_all();
	if (hung_fd >= 0)
		close(hung_fd);
	hung_fd = -1;
}

/* The config: hooks that log to hooks.log (post runs <post_prog>), the node at <rpc_port>. */
static void write_config(int rpc_port, const char *endpoint, const char *post_prog)
{
	char json[4096], path[700];

	snprintf(json, sizeof(json),
	         "{\"snapshot\": {\"chains\": [{\"name\": \"polkadot\", \"base_path\": \"%s\", "
	         "\"rpc\": \"http://127.0.0.1:%d\", "
	         "\"pre\": [\"/bin/sh\", \"-c\", \"echo pre >> %s/hooks.log\"], "
	         "\"post\": [\"/bin/sh\", \"-c\", \"echo post >> %s/hooks.log; %s\"]}], "
	         "\"s3_tar\": {\"bucket\": \"" BUCKET "\", \"region\": \"us-east-1\", "
	         "\"endpoint\": \"%s\"}, \"part_size_mb\": 5, \"state_dir\": \"%s\"}}",
	         base, rpc_port, work, work, post_prog, endpoint, state);
	snprintf(path, sizeof(path), "%s/ctl.json", work);
	ck_assert_int_eq(h_write_file(path, json), 0);
}

static pid_t spawn_publish(void)
{
	char bin[4096], exe[4200], cfg[700], log[700];
	char *argv[] = {exe, "snapshot", "publish", "--config", cfg, NULL};
	char *env[] = {"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=pfRecoverSecret012345",
	               NULL};

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(exe, sizeof(exe), "%s/polkfura-ctl", bin);
	snprintf(cfg, sizeof(cfg), "%s/ctl.json", work);
	snprintf(log, sizeof(log), "%s/publish.log", work);
	return h_spawn(argv, env, log);
}

/* `polkfura-ctl snapshot <cmd> --config ctl.json` in the work dir: its status, output in <out>. */
static int ctl(const char *cmd, char *out, size_t len)
{
	char line[5000], bin[4096];

	ck_assert_ptr_nonnull(realpath(h_build_dir(), bin));
	snprintf(line, sizeof(line),
	         "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=pfRecoverSecret012345 "
	         "%s/polkfura-ctl snapshot %s --config ctl.json 2>&1",
	         bin, cmd);
	return h_sh_status_in(work, line, out, len);
}

static const char *hooks_log(void)
{
	return h_sh_in(work, "cat hooks.log 2>/dev/null || true");
}

/* Polls until hooks.log has the pre hook's line and the mark is there, 20 s at most. */
static void wait_for_pre(pid_t pid)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (int i = 0; i < 2000; i++) {
		ck_assert_msg(h_wait_exit(pid, 0) == -1, "the publish ended before it was killed");
		if (strcmp(hooks_log(), "pre\n") == 0 && access(mark, F_OK) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("no pre hook line and mark within 20 s: hooks.log \"%s\"", hooks_log());
}

START_TEST(test_killed_after_pre_recovers_once)
{
	char out[4096];
	pid_t pid;

	write_config(hung_port, "http://127.0.0.1:9", "true");
	pid = spawn_publish();
	ck_assert_int_gt(pid, 0);
	wait_for_pre(pid);
	/* The publish still runs (waiting on the hung node): recover leaves post to it. */
	ck_assert_int_eq(ctl("recover", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "still runs") != NULL, "%s", out);
	ck_assert_str_eq(hooks_log(), "pre\n");
	h_kill_child(pid); /* the interruption under test */
	ck_assert_int_eq(access(mark, F_OK), 0);
	ck_assert_msg(ctl("recover", out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "polkadot: post hook run") != NULL, "%s", out);
	ck_assert_str_eq(hooks_log(), "pre\npost\n");
	ck_assert_int_eq(access(mark, F_OK), -1);
	/* Once: a second recover finds nothing to do. */
	ck_assert_msg(ctl("recover", out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "polkadot: no interrupted publish") != NULL, "%s", out);
	ck_assert_str_eq(hooks_log(), "pre\npost\n");
}
END_TEST

START_TEST(test_failed_post_keeps_the_mark)
{
	char out[4096];
	pid_t pid;

	write_config(hung_port, "http://127.0.0.1:9", "exit 7");
	pid = spawn_publish();
	ck_assert_int_gt(pid, 0);
	wait_for_pre(pid);
	h_kill_child(pid);
	ck_assert_int_eq(ctl("recover", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "exited with status 7") != NULL, "%s", out);
	ck_assert_int_eq(access(mark, F_OK), 0);
	/* Fixed, the next recover (the next run of the unit) starts the node. */
	write_config(hung_port, "http://127.0.0.1:9", "true");
	ck_assert_msg(ctl("recover", out, sizeof(out)) == 0, "%s", out);
	ck_assert_str_eq(hooks_log(), "pre\npost\npost\n");
	ck_assert_int_eq(access(mark, F_OK), -1);
}
END_TEST

START_TEST(test_good_publish_leaves_no_mark)
{
	struct h_s3rver srv;
	struct h_nodesim sim;
	char out[4096];

	ck_assert_msg(h_s3rver_start(&srv, BUCKET), "s3rver did not start (log %s)", srv.log);
	ck_assert_msg(h_nodesim_start(&sim, "polkadot", 1, "--block-time-ms 0 --height 500"),
	              "nodesim: %s", sim.log);
	write_config(sim.port[0], srv.endpoint, "true");
	ck_assert_msg(ctl("publish", out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "polkadot: published ") != NULL, "%s", out);
	ck_assert_str_eq(hooks_log(), "pre\npost\n");
	ck_assert_int_eq(access(mark, F_OK), -1);
	ck_assert_msg(ctl("recover", out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, "polkadot: no interrupted publish") != NULL, "%s", out);
	ck_assert_str_eq(hooks_log(), "pre\npost\n");
}
END_TEST

static Suite *recover_suite(void)
{
	Suite *s = suite_create("snapshot_recover");
	TCase *tc = tcase_create("recover");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_killed_after_pre_recovers_once);
	tcase_add_test(tc, test_failed_post_keeps_the_mark);
	tcase_add_test(tc, test_good_publish_leaves_no_mark);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(recover_suite());
}
