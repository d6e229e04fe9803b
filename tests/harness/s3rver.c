/* SPDX-License-Identifier: MIT */
/*
 * Starts and stops tests/harness/s3rver.js (see s3rver.h).
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"
#include "tests/harness/s3rver.h"

bool h_s3rver_start(struct h_s3rver *s, const char *bucket)
{
	static unsigned seq;
	static char node_path[600];
	char *env[] = {(char *)h_node_path_env(node_path, sizeof(node_path)), NULL};
	char *argv[] = {"node", "tests/harness/s3rver.js", s->dir, (char *)bucket, NULL};
	double end;

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
	end = h_now() + 20;
	while (h_now() < end) {
		if (h_wait_file_contains(s->log, "READY ", 0.1)) {
			char *log = h_read_file(s->log, NULL);
			const char *p = log != NULL ? strstr(log, "READY ") : NULL;

			s->port = p != NULL ? (int)strtol(p + 6, NULL, 10) : 0;
			free(log);
			snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%d", s->port);
			return s->port > 0 && h_wait_port(s->port, 5);
		}
		if (h_wait_exit(s->pid, 0) != -1) {
			s->pid = 0;
			return false;
		}
	}
	return false;
}

void h_s3rver_stop(struct h_s3rver *s)
{
	pid_t pid = s->pid;

	s->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}
