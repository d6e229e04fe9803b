/* SPDX-License-Identifier: MIT */
/*
 * The agent's listening sockets, opened so that a second agent can start
 * on the same address while the first one drains: TCP with SO_REUSEPORT,
 * a unix socket bound under a temporary name, given its mode and group,
 * then renamed over the path (atomic). Stopping refuses new connections at
 * once, and a unix path is removed only while it is still this socket.
 */
#ifndef PF_SPOA_LISTENER_H
#define PF_SPOA_LISTENER_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "common/net.h"

struct spoa_listener {
	int fd;              /* owned, -1 when closed */
	struct pf_addr addr; /* copied */
	dev_t dev;           /* a unix socket's inode, to know the path is still ours */
	ino_t ino;
	bool has_path; /* a unix path we created and may remove */
};

/* Ownership and permissions of unix listeners. */
struct listener_perms {
	unsigned mode; /* permission bits */
	gid_t gid;     /* (gid_t)-1: leave the agent's own group */
};

/*
 * Resolves <group> (a name or a number) into <*gid>. Returns 0, or -1 with
 * the reason in <err>. Reads the group database: call at start-up only.
 */
PF_MUSTCHECK int listener_group(const char *group, gid_t *gid, char *err, size_t errlen);

/*
 * Opens <l> on <addr> with <backlog>. A unix path that exists and is not a
 * socket is refused; a socket there (stale, or another agent's) is replaced
 * atomically. Returns 0, or -1 with the reason in <err> and <l>->fd == -1.
 */
PF_MUSTCHECK int listener_open(struct spoa_listener *l, const struct pf_addr *addr, int backlog,
                               const struct listener_perms *perms, char *err, size_t errlen);

/*
 * Refuses new connections from now on, without closing the fd (worker
 * threads may still have it in their event loops): connections not yet
 * accepted are reset, and accept() fails with EINVAL. The unix path is
 * removed if it is still this socket. Safe to call twice.
 */
void listener_shutdown(struct spoa_listener *l);

/* Closes the fd (after every worker stopped) and removes the path as above. */
void listener_close(struct spoa_listener *l);

#endif
