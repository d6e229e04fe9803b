/* SPDX-License-Identifier: MIT */
/*
 * Socket addresses as operators write them ("127.0.0.1:12345", "[::1]:80",
 * "unix:/run/x.sock") and the few socket calls both daemons need: a
 * non-blocking listener and a non-blocking connect. Parsing is pure.
 */
#ifndef PF_COMMON_NET_H
#define PF_COMMON_NET_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct pf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool is_unix;
};

/*
 * Parses <spec>: "unix:PATH", "HOST:PORT" with a numeric IPv4 host, "[IPV6]:PORT",
 * or "*:PORT" / ":PORT" for every IPv4 address. Returns 0, or -1 with the reason in <err>.
 */
PF_MUSTCHECK int pf_addr_parse(const char *spec, struct pf_addr *addr, char *err, size_t errlen);

/* Formats <addr> back into <buf> ("127.0.0.1:80", "[::1]:80", "unix:/p"). Returns <buf>. */
const char *pf_addr_str(const struct pf_addr *addr, char *buf, size_t len);

/*
 * Opens a non-blocking, close-on-exec listening socket on <addr>. A stale unix
 * socket file is removed first. Returns the fd, or -1 with errno kept and the
 * reason in <err>.
 */
PF_MUSTCHECK int pf_listen(const struct pf_addr *addr, int backlog, char *err, size_t errlen);

/*
 * Starts a non-blocking connect to <addr>. Returns the fd (the connection may
 * still be in progress), or -1 with errno kept.
 */
PF_MUSTCHECK int pf_connect_nb(const struct pf_addr *addr);

/* Sets O_NONBLOCK on <fd>. Returns 0 or -1 with errno kept. */
PF_MUSTCHECK int pf_set_nonblock(int fd);

#endif
