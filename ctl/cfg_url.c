/* SPDX-License-Identifier: MIT */
/*
 * The two address grammars of the controller's config: a node's rpc URL and
 * an http_hosts entry. Pure string work (inet_pton/ntop aside), kept apart
 * from the key table in ctl_cfg.c that calls it.
 */
#include "ctl/cfg_url.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Host name characters: letters, digits, '.', '-', '_' (the node-name set). */
static bool host_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

static bool all_digits_dots(const char *s)
{
	return s[strspn(s, "0123456789.")] == '\0';
}

static const char *url_host(struct cfg_url_parts *node, bool bracketed);

const char *ctl_cfg_url_split(const char *url, struct cfg_url_parts *node, bool *explicit_port)
{
	const char *auth, *end, *after, *h;
	size_t hlen;
	unsigned long port = 0;
	bool bracketed;

	for (const char *p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "must not contain spaces, control or non-ASCII characters";
	if (strncmp(url, "http://", 7) == 0) {
		node->tls = false;
		auth = url + 7;
	} else if (strncmp(url, "https://", 8) == 0) {
		node->tls = true;
		auth = url + 8;
	} else {
		return "must start with http:// or https://";
	}
	if (strchr(url, '#') != NULL)
		return "must not contain a #fragment";
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return "must not contain user:password@ credentials";
	bracketed = *auth == '[';
	if (bracketed) {
		const char *close = memchr(auth, ']', (size_t)(end - auth));

		if (close == NULL)
			return "host: unterminated [IPv6] address";
		h = auth + 1;
		hlen = (size_t)(close - h);
		after = close + 1;
		if (after != end && *after != ':')
			return "host: expected :PORT after the [IPv6] address";
	} else {
		const char *colon = memchr(auth, ':', (size_t)(end - auth));

		h = auth;
		after = colon != NULL ? colon : end;
		hlen = (size_t)(after - auth);
	}
	memcpy(node->host, h, hlen);
	node->host[hlen] = '\0';
	if (after != end) {
		char *pend;

		if (after[1] < '0' || after[1] > '9' || end - after > 6)
			return "port must be 1-65535";
		port = strtoul(after + 1, &pend, 10);
		if (pend != end || port < 1 || port > 65535)
			return "port must be 1-65535";
	}
	*explicit_port = port != 0;
	node->port = (uint16_t)(port != 0 ? port : node->tls ? 443 : 80);
	if (*end == '/')
		memcpy(node->path, end, strlen(end) + 1);
	else
		(void)snprintf(node->path, sizeof(node->path), "/%s", end);
	return url_host(node, bracketed);
}

/* Checks the host of a split URL and fills <node>->addr when it is numeric. */
static const char *url_host(struct cfg_url_parts *node, bool bracketed)
{
	unsigned char bin[sizeof(struct in6_addr)];

	if (node->host[0] == '\0')
		return "missing host";
	if (bracketed) {
		if (inet_pton(AF_INET6, node->host, bin) != 1)
			return "host: not a numeric IPv6 address inside []";
		node->addr_family = AF_INET6;
	} else {
		for (const char *p = node->host; *p != '\0'; p++)
			if (!host_char_ok(*p)) /* the hostname characters */
				return "host: only letters, digits, '.', '-' and '_' are allowed";
		if (inet_pton(AF_INET, node->host, bin) != 1) {
			if (all_digits_dots(node->host))
				return "host: not a valid IPv4 address";
			return NULL;
		}
		node->addr_family = AF_INET;
	}
	/* Canonical text, as HAProxy prints it in "show servers state". */
	if (inet_ntop(node->addr_family, bin, node->addr, sizeof(node->addr)) == NULL)
		return "host: cannot format the address";
	return NULL;
}

const char *ctl_cfg_host_entry_why(const char *s)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char v6[INET6_ADDRSTRLEN];
	const char *port = NULL, *colon;
	size_t n = strlen(s), hlen;

	if (n == 0 || n > CFG_HOST_MAX)
		return "must be 1-255 characters";
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		hlen = close != NULL ? (size_t)(close - s - 1) : 0;
		if (close == NULL || hlen == 0 || hlen >= sizeof(v6))
			return "expected [IPv6] or [IPv6]:PORT";
		memcpy(v6, s + 1, hlen);
		v6[hlen] = '\0';
		if (inet_pton(AF_INET6, v6, bin) != 1)
			return "not a numeric IPv6 address inside []";
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "expected :PORT after the [IPv6] address";
	} else {
		colon = strchr(s, ':');
		hlen = colon != NULL ? (size_t)(colon - s) : n;
		port = colon != NULL ? colon + 1 : NULL;
		if (hlen == 0)
			return "missing host name";
		for (size_t i = 0; i < hlen; i++)
			if (!host_char_ok(s[i]))
				return "host: only letters, digits, '.', '-' and '_' are allowed";
	}
	if (port != NULL) {
		size_t d = strspn(port, "0123456789");
		unsigned long p = strtoul(port, NULL, 10);

		if (d == 0 || d > 5 || port[d] != '\0' || port[0] == '0' || p < 1 || p > 65535)
			return "port must be 1-65535";
	}
	return NULL;
}
