/* SPDX-License-Identifier: MIT */
/*
 * Implementation of the children registry (see children.h). The registry
 * lives in the test's own process: Check forks one process per test, so
 * each test sees only the children it started, and an atexit handler,
 * inherited from h_run_suite(), finds the ones a passing test forgot. The
 * suite's process is a child subreaper: what a failed test left running
 * comes back to it and is stopped after the tests.
 */
#include "children.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#define MAX_CHILDREN 64

struct child {
	pid_t pid;         /* 0: a free entry */
	unsigned long seq; /* start order: teardowns stop the newest first */
	int stop_sig;
	int exit_code;
	char what[48];
	char log[512]; /* "" when its output goes nowhere */
};

static struct child kids[MAX_CHILDREN];
static unsigned long spawned;
static char report_dir[256];
static int problems; /* found by h_children_finish() */

/* What ASan and LSan print in every report ("ERROR: AddressSanitizer: ...", "SUMMARY: ..."). */
static const char *const report_marks[] = {
    "AddressSanitizer",
    "LeakSanitizer",
    "UndefinedBehaviorSanitizer",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000}; /* poll interval, not a synchronisation */

	nanosleep(&ts, NULL);
}

/*
 * UBSan reports "file.c:12:5: runtime error: ...": the mark is taken only
 * after a line:column number, so a node's or chopsticks' own "runtime
 * error:" text (a Substrate runtime's, say) is not mistaken for one.
 */
static const char *ubsan_mark(const char *text)
{
	static const char mark[] = ": runtime error: ";

	for (const char *p = text; (p = strstr(p, mark)) != NULL; p++)
		if (p > text && p[-1] >= '0' && p[-1] <= '9')
			return p;
	return NULL;
}

const char *h_sanitizer_report(const char *text)
{
	const char *first = text != NULL ? ubsan_mark(text) : NULL;

	for (size_t i = 0; text != NULL && i < PF_ARRAY_SIZE(report_marks); i++) {
		const char *p = strstr(text, report_marks[i]);

		if (p != NULL && (first == NULL || p < first))
			first = p;
	}
	if (first == NULL)
		return NULL;
	while (first > text && first[-1] != '\n')
		first--;
	return first;
}

/* The file at <path> as a NUL-terminated malloc'd string (NULL if unreadable). */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Says in <err> where the report in <path> is and prints it whole to stderr; false if none. */
static bool log_has_report(const char *path, char *err, size_t errlen)
{
	char *text = path[0] != '\0' ? slurp(path) : NULL;
	const char *rep = h_sanitizer_report(text);

	if (rep != NULL) {
		snprintf(err, errlen, "sanitizer report in %s: %.*s", path, (int)strcspn(rep, "\n"),
		         rep);
		fprintf(stderr, "---- sanitizer report in %s ----\n%s---- end ----\n", path, rep);
	}
	free(text);
	return rep != NULL;
}

static struct child *find(pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < MAX_CHILDREN; i++)
		if (kids[i].pid == pid)
			return &kids[i];
	return NULL;
}

/* Scans the log of <c>, which has just been reaped, and frees its entry. True when clean. */
static bool reaped(struct child *c, char *err, size_t errlen)
{
	bool clean;

	if (c == NULL)
		return true;
	clean = !log_has_report(c->log, err, errlen);
	memset(c, 0, sizeof(*c));
	return clean;
}

/* Describes wait status <st> ("exit 1", "signal 9") into <buf>. */
static const char *status_text(int st, char *buf, size_t len)
{
	if (st == -1)
		snprintf(buf, len, "not reaped");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "wait status %d", st);
	return buf;
}

/* Waits up to <timeout_s> for <pid>; a sanitizer report goes into <err> and clears <*clean>. */
static int wait_exit(pid_t pid, double timeout_s, char *err, size_t errlen, bool *clean)
{
	double end = now() + timeout_s;
	int status;

	*clean = true;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			*clean = reaped(find(pid), err, errlen);
			return status;
		}
		if (r == -1 || now() >= end)
			return -1;
		nap();
	}
}

/*
 * Stops <pid> with <sig> within H_STOP_TIMEOUT_S; the wait status in
 * <*status>. False, with the reason in <err>, when it had to be killed,
 * was not our child or left a sanitizer report.
 */
static bool stop(pid_t pid, int sig, int *status, char *err, size_t errlen)
{
	struct child *c = find(pid);
	char what[48], log[512];
	bool clean = true;

	snprintf(what, sizeof(what), "%s", c != NULL ? c->what : "child");
	snprintf(log, sizeof(log), "%s", c != NULL ? c->log : "");
	*status = -1;
	if (pid <= 0 || kill(pid, sig) == -1) {
		snprintf(err, errlen, "%s (pid %d): cannot signal it: %s", what, (int)pid,
		         strerror(errno));
		return false;
	}
	*status = wait_exit(pid, H_STOP_TIMEOUT_S, err, errlen, &clean);
	if (*status == -1) {
		snprintf(err, errlen,
		         "%s (pid %d, log %s): still running %.0f s after signal %d: killed", what,
		         (int)pid, log, H_STOP_TIMEOUT_S, sig);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		if (waitpid(pid, status, 0) != pid)
			*status = -1;
		if (c != NULL)
			memset(c, 0, sizeof(*c));
		clean = false;
	}
	/* Whatever it left in its process group (node's helpers, HAProxy workers) goes too. */
	kill(-pid, SIGKILL);
	return clean;
}

int h_wait_exit(pid_t pid, double timeout_s)
{
	char err[1024] = "";
	bool clean;
	int st = wait_exit(pid, timeout_s, err, sizeof(err), &clean);

	ck_assert_msg(clean, "%s", err);
	return st;
}

int h_stop(pid_t pid, int sig)
{
	char err[1024] = "";
	int st;
	bool ok = stop(pid, sig, &st, err, sizeof(err));

	ck_assert_msg(ok, "%s", err);
	return st;
}

/* Stops <c> as it documents; false with the reason in <err> on any other outcome. */
static bool stop_as_documented(struct child *c, char *err, size_t errlen)
{
	struct child was = *c;
	char stx[32];
	int st;

	if (!stop(was.pid, was.stop_sig, &st, err, errlen))
		return false;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != was.exit_code) {
		snprintf(err, errlen,
		         "%s (pid %d, log %s): %s after signal %d, documented: exit %d", was.what,
		         (int)was.pid, was.log, status_text(st, stx, sizeof(stx)), was.stop_sig,
		         was.exit_code);
		return false;
	}
	return true;
}

void h_stop_child(pid_t pid)
{
	struct child *c = find(pid);
	char err[1024] = "";

	ck_assert_msg(c != NULL, "pid %d is not a running child of this test", (int)pid);
	ck_assert_msg(stop_as_documented(c, err, sizeof(err)), "%s", err);
}

void h_kill_child(pid_t pid)
{
	struct child *c = find(pid);
	char what[48], stx[32], err[1024] = "";
	int st;

	ck_assert_msg(c != NULL, "pid %d is not a running child of this test", (int)pid);
	snprintf(what, sizeof(what), "%s", c->what);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	kill(-pid, SIGKILL);
	/* Its leak check could not run; a report from before (it died some other way) can. */
	ck_assert_msg(reaped(c, err, sizeof(err)), "%s", err);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	              "%s (pid %d) had already ended: %s", what, (int)pid,
	              status_text(st, stx, sizeof(stx)));
}

/* The child started last among those still registered, or NULL. */
static struct child *newest(void)
{
	struct child *c = NULL;

	for (size_t i = 0; i < MAX_CHILDREN; i++)
		if (kids[i].pid != 0 && (c == NULL || kids[i].seq > c->seq))
			c = &kids[i];
	return c;
}

/*
 * Stops every registered child, newest first (a controller before the
 * HAProxy it writes to, HAProxy before its agent and its nodes); the first
 * problem into <err>. False if any.
 */
static bool stop_every_child(char *err, size_t errlen)
{
	struct child *c;
	bool ok = true;

	while ((c = newest()) != NULL) {
		char e[1024];

		if (!stop_as_documented(c, e, sizeof(e))) {
			fprintf(stderr, "harness: %s\n", e);
			if (ok)
				snprintf(err, errlen, "%s", e);
			ok = false;
		}
		memset(c, 0, sizeof(*c));
	}
	return ok;
}

void h_stop_all(void)
{
	char err[1024] = "";

	ck_assert_msg(stop_every_child(err, sizeof(err)), "%s", err);
}

pid_t h_spawn(char *const argv[], char *const env[], const char *log_path)
{
	struct child *c = NULL;
	pid_t pid;

	for (size_t i = 0; c == NULL && i < MAX_CHILDREN; i++)
		if (kids[i].pid == 0)
			c = &kids[i];
	ck_assert_msg(c != NULL, "more than %d children in one test", MAX_CHILDREN);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		/* A failed assertion ends the test process at once: take the children with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (log_path != NULL) {
			int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		for (int i = 0; env != NULL && env[i] != NULL; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		return -1;
	c->pid = pid;
	c->seq = ++spawned;
	c->stop_sig = SIGTERM;
	c->exit_code = 0;
	snprintf(c->what, sizeof(c->what), "%s",
	         strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0]);
	snprintf(c->log, sizeof(c->log), "%s", log_path != NULL ? log_path : "");
	return pid;
}

void h_child_expect(pid_t pid, const char *what, int sig, int code)
{
	struct child *c = find(pid);

	ck_assert_msg(c != NULL, "pid %d is not a running child of this test", (int)pid);
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->stop_sig = sig;
	c->exit_code = code;
}

int h_run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	char *all = NULL;
	size_t len = 0;
	FILE *sink = open_memstream(&all, &len); /* the whole output, past <outlen> too */
	const char *rep;
	char buf[4096];
	size_t n;
	int st;

	ck_assert_ptr_nonnull(sink);
	if (p == NULL) {
		fclose(sink);
		free(all);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, sink);
	st = pclose(p);
	ck_assert_int_eq(fclose(sink), 0);
	n = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, all, n);
	out[n] = '\0';
	rep = h_sanitizer_report(all);
	if (rep != NULL)
		fprintf(stderr, "---- sanitizer report from %s ----\n%s---- end ----\n", cmd, rep);
	ck_assert_msg(rep == NULL, "sanitizer report from `%s`: %.*s", cmd, (int)strcspn(rep, "\n"),
	              rep);
	free(all);
	return st;
}

/* ---- the end of a test and of the suite ---- */

/*
 * atexit, in each test's process: Check's child exits normally only after a
 * passing test, so a child still registered here was forgotten. It is
 * stopped (its leak check runs) and a note left for h_children_finish().
 */
static void forgotten_children(void)
{
	char path[400], err[1024] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/harness-left-running-%d.txt", report_dir, (int)getpid());
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (kids[i].pid == 0)
			continue;
		f = fopen(path, "a");
		if (f != NULL) {
			fprintf(f, "a passing test left %s (pid %d, log %s) running: stop it\n",
			        kids[i].what, (int)kids[i].pid, kids[i].log);
			fclose(f);
		}
	}
	if (!stop_every_child(err, sizeof(err))) {
		f = fopen(path, "a");
		if (f != NULL) {
			fprintf(f, "%s\n", err);
			fclose(f);
		}
	}
}

void h_children_init(const char *dir)
{
	snprintf(report_dir, sizeof(report_dir), "%s", dir);
	atexit(forgotten_children);
	/*
	 * Check _exits the process of a failed test: neither its teardown nor
	 * forgotten_children() runs, and PR_SET_PDEATHSIG is cleared by the
	 * credential change of postgres (setpriv) and HAProxy's worker (user
	 * haproxy). Orphans are re-parented to the nearest subreaper: this
	 * process, which stops them after the tests (sweep_orphans). Only our
	 * own descendants come here, never another run's processes.
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		fprintf(stderr, "harness: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
}

#define MAX_ORPHANS 256

/* The live (not zombie) children of this process, from /proc: their pids into <out>, count. */
static int live_children(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d != NULL && n < max && (e = readdir(d)) != NULL) {
		char path[300], buf[512], state;
		const char *p;
		int ppid, fd;
		ssize_t len;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
		p = strrchr(buf, ')');
		if (p == NULL || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
			continue;
		if (ppid == (int)getpid() && state != 'Z' && state != 'X')
			out[n++] = (pid_t)strtol(e->d_name, NULL, 10);
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* Reaps every child that has ended (orphans' zombies included). */
static void reap_ended(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The command line of <pid>, arguments joined by spaces, into <buf>. */
static const char *cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	int fd;
	ssize_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n <= 0)
		n = 0;
	buf[n] = '\0';
	for (ssize_t i = 0; i + 1 < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return buf;
}

/* Whether <pid> is in <set> of <n>. */
static bool in_set(pid_t pid, const pid_t *set, int n)
{
	for (int i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

/*
 * After the tests: stops what is still running below this process, each
 * printed, with SIGTERM and after H_STOP_TIMEOUT_S SIGKILL (a postmaster's
 * helpers come back here when it dies, and are stopped in turn). A passing
 * test stops and reaps its children; what dies of its process-group
 * SIGKILL just then is given a second to go first. Returns how many
 * processes were left.
 */
static int sweep_orphans(void)
{
	static pid_t seen[MAX_ORPHANS], now_live[MAX_ORPHANS];
	int n_seen = 0, n;
	double settle = now() + 1.0, hard = 0;

	for (;;) {
		reap_ended();
		n = live_children(now_live, MAX_ORPHANS);
		if (n == 0)
			break;
		if (now() < settle) {
			nap();
			continue;
		}
		if (hard == 0)
			hard = now() + H_STOP_TIMEOUT_S;
		for (int i = 0; i < n; i++) {
			char cmd[512];

			if (in_set(now_live[i], seen, n_seen))
				continue;
			fprintf(stderr,
			        "harness: forgotten child pid %d left running by a test: %s\n",
			        (int)now_live[i], cmdline(now_live[i], cmd, sizeof(cmd)));
			kill(now_live[i], SIGTERM);
			if (n_seen < MAX_ORPHANS)
				seen[n_seen++] = now_live[i];
		}
		if (now() >= hard + H_STOP_TIMEOUT_S)
			break; /* not even SIGKILL ended it (a process stuck in the kernel) */
		if (now() >= hard)
			for (int i = 0; i < n; i++)
				kill(now_live[i], SIGKILL);
		nap();
	}
	if (n > 0)
		fprintf(stderr, "harness: %d forgotten child(ren) still running\n", n);
	return n_seen;
}

/* nftw callback: one file of the run's temp dir. */
static int scan_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	char *text;
	const char *rep;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(sb->st_mode))
		return 0;
	text = slurp(path);
	rep = h_sanitizer_report(text);
	if (rep != NULL) {
		fprintf(stderr, "harness: sanitizer report in %s:\n%s\n", path, rep);
		problems++;
	} else if (text != NULL && strstr(path, "/harness-left-running-") != NULL) {
		fprintf(stderr, "harness: %s", text);
		problems++;
	}
	free(text);
	return 0;
}

int h_children_finish(void)
{
	problems = 0;
	/* CK_FORK=no: the tests ran in this process, so their forgotten children are here. */
	forgotten_children();
	problems += sweep_orphans();
	if (report_dir[0] != '\0' && nftw(report_dir, scan_one, 16, FTW_PHYS) != 0)
		fprintf(stderr, "harness: cannot read %s: %s\n", report_dir, strerror(errno));
	return problems;
}
