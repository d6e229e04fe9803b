/* SPDX-License-Identifier: MIT */
/*
 * The address grammars of the controller's config (ctl/CONFIG.md): a node's
 * rpc URL and an http_hosts entry. Pure; ctl_cfg.c turns a refusal into its
 * "key.path: reason" error.
 */
#ifndef PF_CTL_CFG_URL_H
#define PF_CTL_CFG_URL_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>

#define CFG_URL_MAX  255 /* bytes of an rpc URL, and so of its host and path */
#define CFG_HOST_MAX 255 /* bytes of an http_hosts entry */

/* The parts of an rpc URL. */
struct cfg_url_parts {
	bool tls;                    /* https:// */
	char host[CFG_URL_MAX + 1];  /* as written, without the [] of an IPv6 literal */
	uint16_t port;               /* explicit, or 80/443 from the scheme */
	char path[CFG_URL_MAX + 1];  /* path and query; "/" when the URL has none */
	int addr_family;             /* AF_INET, AF_INET6, or 0 for a host name */
	char addr[INET6_ADDRSTRLEN]; /* canonical text of a numeric host */
};

/*
 * Splits <url> (at most CFG_URL_MAX bytes) into <out>: tls, host, port, path
 * and, for a numeric host, addr/addr_family (canonical text, as HAProxy
 * prints it). <explicit_port> tells whether the URL named the port. Returns
 * NULL, or the reason it is refused (a static string).
 */
const char *ctl_cfg_url_split(const char *url, struct cfg_url_parts *out, bool *explicit_port);

/*
 * Why an http_hosts entry is refused, or NULL: "name", "name:port", "[v6]"
 * or "[v6]:port", 1..CFG_HOST_MAX characters, port 1-65535.
 */
const char *ctl_cfg_host_entry_why(const char *s);

#endif
