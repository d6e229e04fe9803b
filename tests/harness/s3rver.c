/* SPDX-License-Identifier: MIT */
/*
 * Starts and stops tests/harness/s3rver.js (see s3rver.h).
 */
#include "tests/harness/s3rver.h"

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

/* Waits for "READY <port>" in <log>; the port, or 0 when <pid> died or it took too long. */
static int ready_port(pid_t pid, const char *log_path)
{
	double end = h_now() + 20;

	while (h_now() < end) {
		if (h_wait_file_contains(log_path, "READY ", 0.1)) {
			char *log = h_read_file(log_path, NULL);
			const char *p = log != NULL ? strstr(log, "READY ") : NULL;
			int port = p != NULL ? (int)strtol(p + 6, NULL, 10) : 0;

			free(log);
			return port > 0 && h_wait_port(port, 5) ? port : 0;
		}
		if (h_wait_exit(pid, 0) != -1)
			return 0;
	}
	return 0;
}

bool h_s3rver_start(struct h_s3rver *s, const char *bucket)
{
	static unsigned seq;
	static char node_path[600];
	char *env[] = {(char *)h_node_path_env(node_path, sizeof(node_path)), NULL};
	/*
	 * s3rver's ListObjectsV2 continuation tokens are DES-encrypted, which
	 * Node 20's OpenSSL 3 refuses without the legacy provider: every
	 * listing past 1,000 keys answered 500.
	 */
	char *argv[] = {
	    "node", "--openssl-legacy-provider", "tests/harness/s3rver.js", s->dir, (char *)bucket,
	    NULL};

	memset(s, 0, sizeof(*s));
	seq++;
	snprintf(s->dir, sizeof(s->dir), "%s/s3rver-%d-%u", h_tmpdir(), (int)getpid(), seq);
	snprintf(s->log, sizeof(s->log), "%s.log", s->dir);
	if (mkdir(s->dir, 0700) == -1)
		return false;
	s->pid = h_spawn(argv, env, s->log);
	if (s->pid <= 0)
		return false;
	h_child_expect(s->pid, "s3rver", SIGTERM, 0);
	s->port = ready_port(s->pid, s->log);
	snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%d", s->port);
	return s->port > 0;
}

void h_s3rver_stop(struct h_s3rver *s)
{
	pid_t pid = s->pid;

	s->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}

bool h_s3capture_start(struct h_s3capture *s, int fail_first, int short_gets)
{
	static unsigned seq;
	char nf[16], ns[16];
	char *argv[] = {"python3", "tests/harness/s3capture.py", s->record, nf, ns, NULL};

	memset(s, 0, sizeof(*s));
	seq++;
	snprintf(s->record, sizeof(s->record), "%s/s3capture-%d-%u.jsonl", h_tmpdir(),
	         (int)getpid(), seq);
	snprintf(s->log, sizeof(s->log), "%s.log", s->record);
	snprintf(nf, sizeof(nf), "%d", fail_first);
	snprintf(ns, sizeof(ns), "%d", short_gets);
	s->pid = h_spawn(argv, NULL, s->log);
	if (s->pid <= 0)
		return false;
	/* s3capture.py: SIGTERM ends serve_forever() through sys.exit(0). */
	h_child_expect(s->pid, "s3capture", SIGTERM, 0);
	s->port = ready_port(s->pid, s->log);
	snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%d", s->port);
	return s->port > 0;
}

void h_s3capture_stop(struct h_s3capture *s)
{
	pid_t pid = s->pid;

	s->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}
