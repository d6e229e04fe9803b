/* SPDX-License-Identifier: MIT */
/*
 * posix_spawn rather than fork/exec: glibc's reports an exec failure
 * (ENOENT, EACCES) as its return value, so a missing command is an error
 * here, not an exit status 127 that could be a command's own. The wait is a
 * pidfd polled with the time left, so no signal handler and no busy loop.
 */
#include "ctl/snapshot/hook.h"

#include <sys/pidfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to <ms> for the child behind <pfd> to end; 1 when it did, 0 when not, -1 on error. */
static int wait_exit(int pfd, long long ms)
{
	long long end = now_ms() + ms;

	for (;;) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		long long left = end - now_ms();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (rc > 0)
			return 1;
		if (rc == -1 && errno != EINTR)
			return -1;
		if (rc == 0 && left == 0)
			return 0;
	}
}

int hook_run(char *const argv[], unsigned timeout_ms, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc, status = 0, pfd, done;
	bool timed_out = false;
	pid_t pid;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		(void)snprintf(err, errlen, "a hook's command must be an absolute path");
		return -1;
	}
	if (posix_spawn_file_actions_init(&fa) != 0 || posix_spawnattr_init(&at) != 0) {
		(void)snprintf(err, errlen, "cannot run %.200s: out of memory", argv[0]);
		return -1;
	}
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	if (rc == 0)
		rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		(void)snprintf(err, errlen, "cannot run %.200s: %s", argv[0], strerror(rc));
		return -1;
	}
	pfd = pidfd_open(pid, 0);
	done = pfd >= 0 ? wait_exit(pfd, timeout_ms) : -1;
	if (done != 1) {
		/* Out of time (or cannot watch it): the whole group goes, TERM first. */
		timed_out = done == 0;
		(void)kill(-pid, SIGTERM);
		if (pfd < 0 || wait_exit(pfd, HOOK_KILL_GRACE_MS) != 1)
			(void)kill(-pid, SIGKILL);
	}
	if (pfd >= 0)
		(void)close(pfd);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			(void)snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	/* What the command left in its group (a daemon it started) is not ours to wait for. */
	if (timed_out) {
		(void)snprintf(err, errlen, "timed out after %u ms", timeout_ms);
		return -1;
	}
	if (done == -1) {
		(void)snprintf(err, errlen, "cannot watch the hook: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		(void)snprintf(err, errlen, "exited with status %d", WEXITSTATUS(status));
	else
		(void)snprintf(err, errlen, "killed by signal %d", WTERMSIG(status));
	return -1;
}
