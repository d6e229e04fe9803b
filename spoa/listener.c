/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets that hand over cleanly between two agents. HAProxy
 * keeps connecting to the same address across an agent restart; the new
 * agent takes the address while the old one still answers what it has, so
 * there is never a moment when nobody listens. Nothing here interprets bytes.
 */
#include "spoa/listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int listener_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr;
	char *end;
	unsigned long v;

	if (group[0] >= '0' && group[0] <= '9') {
		errno = 0;
		v = strtoul(group, &end, 10);
		if (errno == 0 && *end == '\0' && v < (unsigned long)UINT_MAX) {
			*gid = (gid_t)v;
			return 0;
		}
	}
	errno = 0;
	gr = getgrnam(group);
	if (gr == NULL) {
		snprintf(err, errlen, "--socket-group: '%s': no such group", group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

static int open_tcp(struct spoa_listener *l, int backlog, char *err, size_t errlen)
{
	int one = 1;

	/* SO_REUSEPORT: a second agent binds the same port while this one drains. */
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) {
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		return -1;
	}
	if (bind(l->fd, (const struct sockaddr *)&l->addr.ss, l->addr.len) == -1 ||
	    listen(l->fd, backlog) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * bind, chmod, chown and listen under "<path>.<pid>.tmp", then rename() over
 * <path>: a connect() to <path> reaches either the old socket or this one,
 * never nothing, and never a socket with the wrong permissions.
 */
static int open_unix(struct spoa_listener *l, int backlog, const struct listener_perms *perms,
                     char *err, size_t errlen)
{
	const char *path = ((const struct sockaddr_un *)&l->addr.ss)->sun_path;
	struct sockaddr_un tmp = {.sun_family = AF_UNIX};
	struct stat st;
	int n;

	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp.sun_path)) {
		snprintf(err, errlen, "%s: path too long for its temporary name", path);
		return -1;
	}
	(void)unlink(tmp.sun_path); /* our own leftover: the name carries our pid */
	if (bind(l->fd, (const struct sockaddr *)&tmp, sizeof(tmp)) == -1) {
		snprintf(err, errlen, "bind %s: %s", tmp.sun_path, strerror(errno));
		return -1;
	}
	if (chmod(tmp.sun_path, perms->mode) == -1 ||
	    (perms->gid != (gid_t)-1 && chown(tmp.sun_path, (uid_t)-1, perms->gid) == -1) ||
	    listen(l->fd, backlog) == -1 || lstat(tmp.sun_path, &st) == -1 ||
	    rename(tmp.sun_path, path) == -1) {
		snprintf(err, errlen, "%s: %s", tmp.sun_path, strerror(errno));
		(void)unlink(tmp.sun_path);
		return -1;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->has_path = true;
	return 0;
}

int listener_open(struct spoa_listener *l, const struct pf_addr *addr, int backlog,
                  const struct listener_perms *perms, char *err, size_t errlen)
{
	char why[256], name[128];
	int rc;

	memset(l, 0, sizeof(*l));
	l->addr = *addr;
	l->fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = addr->is_unix ? open_unix(l, backlog, perms, why, sizeof(why))
	                   : open_tcp(l, backlog, why, sizeof(why));
	if (rc == -1) {
		snprintf(err, errlen, "%s: %s", pf_addr_str(addr, name, sizeof(name)), why);
		close(l->fd);
		l->fd = -1;
	}
	return rc;
}

/* Removes the unix path only while it is still the socket we bound. */
static void unlink_if_ours(struct spoa_listener *l)
{
	const char *path = ((const struct sockaddr_un *)&l->addr.ss)->sun_path;
	struct stat st;

	if (!l->has_path)
		return;
	l->has_path = false;
	if (lstat(path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		(void)unlink(path);
}

void listener_shutdown(struct spoa_listener *l)
{
	if (l->fd == -1)
		return;
	/*
	 * On Linux, shutdown() of a listening TCP socket takes it out of the
	 * port's lookup (SYNs go to the other SO_REUSEPORT socket, or get RST),
	 * and a unix connect() to a socket shut for reading is refused.
	 */
	(void)shutdown(l->fd, SHUT_RDWR);
	unlink_if_ours(l);
}

void listener_close(struct spoa_listener *l)
{
	unlink_if_ours(l);
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
}
