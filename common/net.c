/* SPDX-License-Identifier: MIT */
/*
 * Address parsing and listener/connect helpers behind net.h. Only numeric
 * addresses are accepted: a daemon that resolves names at boot would hide a
 * DNS dependency from the operator.
 */
#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int pf_addr_parse(const char *spec, struct pf_addr *addr, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *h = spec;
	size_t hlen;
	unsigned port;

	memset(addr, 0, sizeof(*addr));
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&addr->ss;
		size_t plen = strlen(spec + 5);

		if (plen == 0 || plen >= sizeof(sun->sun_path)) {
			snprintf(err, errlen,
			         "'%s': unix socket path empty or longer than %zu bytes", spec,
			         sizeof(sun->sun_path) - 1);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, spec + 5, plen + 1);
		addr->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
		addr->is_unix = true;
		return 0;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "'%s': expected [IPV6]:PORT", spec);
			return -1;
		}
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "'%s': expected HOST:PORT or unix:PATH", spec);
			return -1;
		}
		hlen = (size_t)(colon - spec);
	}
	if (parse_port(colon + 1, &port) == -1) {
		snprintf(err, errlen, "'%s': port must be 1-65535", spec);
		return -1;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "'%s': host too long", spec);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (spec[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addr->ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			snprintf(err, errlen, "'%s': not a numeric IPv6 address", spec);
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&addr->ss;

		if (hlen == 0 || strcmp(host, "*") == 0) {
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		} else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			snprintf(err, errlen, "'%s': not a numeric IPv4 address", spec);
			return -1;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*s4);
	}
	return 0;
}

const char *pf_addr_str(const struct pf_addr *addr, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	switch (addr->ss.ss_family) {
	case AF_UNIX:
		snprintf(buf, len, "unix:%s", ((const struct sockaddr_un *)&addr->ss)->sun_path);
		break;
	case AF_INET6: {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&addr->ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
		break;
	}
	case AF_INET: {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&addr->ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
		break;
	}
	default:
		snprintf(buf, len, "?");
	}
	return buf;
}

int pf_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ? -1 : 0;
}

int pf_listen(const struct pf_addr *addr, int backlog, char *err, size_t errlen)
{
	char name[128];
	int fd, one = 1, saved;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (addr->is_unix) {
		const char *path = ((const struct sockaddr_un *)&addr->ss)->sun_path;
		struct stat st;

		/* Only a leftover socket is removed; never clobber another kind of file. */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	} else {
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
			goto fail_errno;
	}
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) == -1 ||
	    listen(fd, backlog) == -1)
		goto fail_errno;
	return fd;

fail_errno:
	saved = errno;
	snprintf(err, errlen, "%s: %s", pf_addr_str(addr, name, sizeof(name)), strerror(saved));
	close(fd);
	errno = saved;
	return -1;
}

int pf_connect_nb(const struct pf_addr *addr)
{
	int fd, saved, one = 1;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (!addr->is_unix)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) == -1 &&
	    errno != EINPROGRESS) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
