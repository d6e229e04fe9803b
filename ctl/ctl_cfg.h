/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl's JSON config as a typed struct: parsed and validated in one
 * place, so main() and the SIGHUP handler either get a complete struct or
 * one line "key.path: reason". cJSON never leaves ctl_cfg.c. Parsing is pure
 * (no I/O, no clock, no logging); only ctl_cfg_load reads a file. The keys,
 * defaults and ranges are documented in ctl/CONFIG.md.
 */
#ifndef PF_CTL_CTL_CFG_H
#define PF_CTL_CTL_CFG_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/net.h"
#include "common/text.h"

#define CTL_CFG_REGION_MAX     32                /* [a-z0-9-] */
#define CTL_CFG_CHAIN_NAME_MAX PF_CHAIN_NAME_MAX /* [a-z0-9-], the rule of common/text.h */
#define CTL_CFG_NAME_MAX       63                /* backend, node and server names */
#define CTL_CFG_URL_MAX        255               /* rpc URL, and so its host and path */
#define CTL_CFG_PATH_MAX       1023              /* state_file */
#define CTL_CFG_CONNINFO_MAX   1023              /* database */
#define CTL_CFG_HASH_LEN       66                /* genesis: "0x" + 64 hex digits */
#define CTL_CFG_MAX_HAPROXY    8
#define CTL_CFG_MAX_HEAVY      8 /* heavy_backends per chain */
#define CTL_CFG_MAX_CHAINS     64
#define CTL_CFG_MAX_CHAIN_NODE 1024
#define CTL_CFG_MAX_NODES      4096 /* across all chains */
#define CTL_CFG_FILE_MAX       (4u << 20)
#define CTL_CFG_MAX_HOSTS      16  /* http_hosts entries */
#define CTL_CFG_HOST_MAX       255 /* bytes of one http_hosts entry, "name[:port]" */
#define CTL_CFG_MAX_PROBES     16  /* probe entries: other regions' edges */

#define CTL_CFG_DEFAULT_HTTP_LISTEN  "127.0.0.1:9465"
#define CTL_CFG_DEFAULT_STATE_FILE   "/var/lib/polkfura/ctl-state.json"
#define CTL_CFG_DEFAULT_SPOOL_DIR    "/var/lib/polkfura/spool"
/* The agent's default (spoa/spoa_cfg.h SPOA_DEFAULT_METHODS): one table for both daemons. */
#define CTL_CFG_DEFAULT_METHODS_FILE "/etc/polkfura/methods.tsv"

struct ctl_node_cfg {
	char name[CTL_CFG_NAME_MAX + 1]; /* unique across the whole config */
	/* "" when absent: the node takes a free server-template slot. */
	char server[CTL_CFG_NAME_MAX + 1];
	bool batch;                        /* poll with one JSON-RPC batch */
	char rpc_url[CTL_CFG_URL_MAX + 1]; /* as written; what curl is given */
	/* The URL's parts: */
	bool tls;                       /* https:// */
	char host[CTL_CFG_URL_MAX + 1]; /* as written, without the [] of an IPv6 literal */
	uint16_t port;                  /* explicit, or 80/443 from the scheme */
	char path[CTL_CFG_URL_MAX + 1]; /* path and query; "/" when the URL has none */
	/*
	 * Set when the host is a numeric IPv4/IPv6 literal (always for a
	 * template node): the canonical text of the address and its family, for
	 * "set server <backend>/<slot> addr <addr> port <port>".
	 */
	int addr_family; /* AF_INET, AF_INET6, or 0 for a host name */
	char addr[INET6_ADDRSTRLEN];
};

struct ctl_chain_cfg {
	char name[CTL_CFG_CHAIN_NAME_MAX + 1];
	char backend[CTL_CFG_NAME_MAX + 1];
	/* Backends whose servers "track" this backend's; addresses are mirrored into them. */
	char heavy_backends[CTL_CFG_MAX_HEAVY][CTL_CFG_NAME_MAX + 1];
	unsigned n_heavy;
	/* Hash of block 0, lower-case; "" = take the one most nodes report. */
	char genesis[CTL_CFG_HASH_LEN + 1];
	unsigned block_time_ms;     /* shortest time between two blocks of the chain */
	struct ctl_node_cfg *nodes; /* owned, n_nodes entries, in config order */
	unsigned n_nodes;
};

/* One "probe" entry: another region's public edge, GET as a user would. */
struct ctl_probe_cfg {
	char region[CTL_CFG_REGION_MAX + 1];    /* [a-z0-9-], never this controller's own */
	char chain[CTL_CFG_CHAIN_NAME_MAX + 1]; /* "" = the region as a whole */
	char url[CTL_CFG_URL_MAX + 1];          /* http(s)://, the rpc URL rules; unique */
};

/* "cachet": an existing Cachet (API v1) to push chain states and incidents to. */
struct ctl_cachet_cfg {
	char url[CTL_CFG_URL_MAX + 1];                              /* base URL; "" = off */
	char token_file[CTL_CFG_PATH_MAX + 1];                      /* X-Cachet-Token's file */
	char chain[CTL_CFG_MAX_CHAINS][CTL_CFG_CHAIN_NAME_MAX + 1]; /* configured chains */
	unsigned component[CTL_CFG_MAX_CHAINS];                     /* Cachet component id, >= 1 */
	unsigned n_components;
};

struct ctl_cfg {
	char region[CTL_CFG_REGION_MAX + 1];
	unsigned interval_ms;
	unsigned timeout_ms;        /* < interval_ms */
	unsigned max_lag;           /* blocks behind the chain's reference head */
	unsigned max_lag_seconds;   /* 0 = off */
	unsigned max_finalized_lag; /* blocks, 0 = off */
	unsigned min_peers;
	unsigned rise;
	unsigned fall;
	unsigned min_drain_ms;
	unsigned min_ready;      /* per backend */
	unsigned stall_ms;       /* 0 = off, else >= interval_ms */
	unsigned drain_grace_ms; /* 0 = never shut sessions */
	struct pf_addr haproxy[CTL_CFG_MAX_HAPROXY];
	/* HAProxy's server-state-file of haproxy[i], kept current by the controller; "" = none. */
	char haproxy_state_file[CTL_CFG_MAX_HAPROXY][CTL_CFG_PATH_MAX + 1];
	unsigned n_haproxy;
	struct pf_addr http_listen; /* TCP only; NO_RELOAD */
	/* Host headers served besides http_listen's own: "name", "name:port", "[v6]:port". */
	char http_hosts[CTL_CFG_MAX_HOSTS][CTL_CFG_HOST_MAX + 1]; /* NO_RELOAD */
	unsigned n_http_hosts;
	char state_file[CTL_CFG_PATH_MAX + 1];       /* absolute path; NO_RELOAD */
	char admin_token_file[CTL_CFG_PATH_MAX + 1]; /* "" = admin endpoints off; NO_RELOAD */
	char node_tls_ca_file[CTL_CFG_PATH_MAX + 1]; /* "" = libcurl's built-in CA store */
	/* libpq connection string for `db` ("" = none); never a password (see CONFIG.md). */
	char database[CTL_CFG_CONNINFO_MAX + 1];
	char database_password_file[CTL_CFG_PATH_MAX + 1]; /* "" = PGPASSWORD or none */
	/* Where records wait for the database (ctl/db/writer.h); used when <database> is set. */
	char spool_dir[CTL_CFG_PATH_MAX + 1];
	struct ctl_probe_cfg probe[CTL_CFG_MAX_PROBES]; /* n_probes entries, in config order */
	unsigned n_probes;
	unsigned probe_interval_ms;
	unsigned probe_timeout_ms; /* < probe_interval_ms */
	unsigned probe_fall, probe_rise;
	char probe_tls_ca_file[CTL_CFG_PATH_MAX + 1]; /* "" = libcurl's built-in CA store */
	enum pf_log_level log_level;
	/* HAProxy's access logs (ctl/stats/ingest.h): len 0 = off; NO_RELOAD */
	struct pf_addr log_listen;
	char log_socket_group[CTL_CFG_NAME_MAX + 1]; /* "" = the controller's own; NO_RELOAD */
	unsigned log_rcvbuf;                         /* SO_RCVBUF of log_listen, bytes */
	char methods_file[CTL_CFG_PATH_MAX + 1];     /* method labels; read again on SIGHUP */
	unsigned usage_retention_days;               /* rpc_minutes kept; 0 = forever */
	struct ctl_cachet_cfg cachet;                /* NO_RELOAD */
	struct ctl_chain_cfg *chains;                /* owned, n_chains entries, in config order */
	unsigned n_chains;
	unsigned n_nodes; /* sum of the chains' n_nodes */
};

/* A node without a "server" is placed in a free server-template slot of its backend. */
static inline bool ctl_node_cfg_is_template(const struct ctl_node_cfg *node)
{
	return node->server[0] == '\0';
}

/*
 * Parses and validates the JSON text <json> (<len> bytes, need not be
 * NUL-terminated) into <out>, applying defaults. Returns 0, or -1 with
 * "key.path: reason" in <err> and <out> left empty (nothing to free). On
 * success the arrays in <out> are owned by it: release them with
 * ctl_cfg_free. <out> may then be moved by value (SIGHUP swap). Pure (no
 * I/O, clock or logging) but not thread-safe: cJSON keeps its last error
 * in a global.
 */
PF_MUSTCHECK int ctl_cfg_parse(const char *json, size_t len, struct ctl_cfg *out, char *err,
                               size_t errlen);

/*
 * Reads the file at <path> (at most CTL_CFG_FILE_MAX bytes) and parses it
 * as ctl_cfg_parse does; every error in <err> starts with "<path>: ".
 * Blocking I/O: call at boot or from the SIGHUP handler's deferred work.
 */
PF_MUSTCHECK int ctl_cfg_load(const char *path, struct ctl_cfg *out, char *err, size_t errlen);

/* Frees what <cfg> owns and zeroes it. NULL and an already freed or zeroed struct are fine. */
void ctl_cfg_free(struct ctl_cfg *cfg);

/* What the CLI (status, drain, undrain) needs from the config. */
struct ctl_cfg_client {
	struct pf_addr http_listen;
	char admin_token_file[CTL_CFG_PATH_MAX + 1]; /* "" when not set */
};

/*
 * Parses only http_listen and admin_token_file out of the config text
 * <json>/<len>, with the same rules and defaults as ctl_cfg_parse; every
 * other key is ignored, so a mistake elsewhere in the file does not keep the
 * CLI from a running controller. Returns 0, or -1 with "key: reason" (or the
 * JSON syntax error) in <err>. Pure, not thread-safe (cJSON).
 */
PF_MUSTCHECK int ctl_cfg_parse_client(const char *json, size_t len, struct ctl_cfg_client *out,
                                      char *err, size_t errlen);

/* ctl_cfg_parse_client on the file <path>; errors start with "<path>: ". Blocking. */
PF_MUSTCHECK int ctl_cfg_load_client(const char *path, struct ctl_cfg_client *out, char *err,
                                     size_t errlen);

/*
 * For SIGHUP: returns 0 when the running config <old> may be replaced by
 * the validated <new_cfg>, or -1 naming the first NO_RELOAD key
 * (http_listen, http_hosts, state_file, admin_token_file) that differs, both values, and that a
 * restart applies it. Every other key may change.
 */
/*
 * What a reload from <old> to <new_cfg> changes, in words for the
 * operational-changes record: "max_lag 5 -> 10; node p3 added to polkadot;
 * node p1 changed", or "no change"; cut to <outlen>. Pure.
 */
void ctl_cfg_diff(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg, char *out,
                  size_t outlen);

PF_MUSTCHECK int ctl_cfg_reload_check(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg,
                                      char *err, size_t errlen);

/*
 * Writes one line per config key to <out>, nested keys as
 * "chains[].nodes[].rpc": "key<TAB>type<TAB>default<TAB>range<TAB>reload",
 * reload being "yes" or "restart". For `make check-docs` and `--keys`.
 */
void ctl_cfg_dump_keys(FILE *out);

#endif
