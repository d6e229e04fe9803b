/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl's JSON config: cJSON DOM -> struct ctl_cfg. Three tables of
 * {key, type, offset, default, min, max, flags} (top level, chains[],
 * chains[].nodes[]) drive one generic object walker (pgbouncer
 * bouncer_params[] style); the arrays and the rules that span keys
 * (timeout < interval, unique names, template nodes) are code. Errors name
 * the key path. Parsing is pure: no I/O, clock or logging; only
 * ctl_cfg_load reads a file. The DOM is freed before returning, so cJSON
 * never escapes this file.
 */
#include "ctl/ctl_cfg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "common/file.h"
#include "common/log.h"
#include "common/net.h"
#include "common/text.h"
#include "ctl/cfg_url.h"
#include "ctl/snapshot/snapcfg.h"

enum cfg_type {
	CFG_UINT = 0,
	CFG_BOOL,
	CFG_NAME,       /* string of <cs> characters, length min..max, into char[max + 1] */
	CFG_PATH,       /* absolute file path, length min..max */
	CFG_LOG_LEVEL,  /* enum pf_log_level */
	CFG_LISTEN,     /* TCP HOST:PORT into struct pf_addr */
	CFG_SOCKETS,    /* haproxy: array of runtime-API addresses */
	CFG_BACKENDS,   /* heavy_backends: array of backend names */
	CFG_URL,        /* a node's rpc URL, split into its parts */
	CFG_HASH,       /* "0x" + 64 hex digits, stored lower-case into char[max + 1] */
	CFG_CHAINS,     /* array of chain objects */
	CFG_NODES,      /* array of node objects */
	CFG_HOSTS,      /* http_hosts: array of "name[:port]" */
	CFG_CONNINFO,   /* a libpq connection string without a password, length min..max */
	CFG_PROBES,     /* probe: array of {region, url, chain} */
	CFG_LOG_LISTEN, /* "udp:HOST:PORT" or "unix:PATH" into struct pf_addr; absent: off */
	CFG_CACHET,     /* {"url", "token_file", "components": {chain: id}}; absent: off */
	CFG_SNAPSHOT,   /* read by ctl/snapshot/snapcfg.c, checked here by ctl_cfg_parse */
};

enum cfg_charset {
	CS_LOWER = 0, /* region, chain names */
	CS_BACKEND,   /* HAProxy backend names */
	CS_NODE,      /* node and server names */
};

static const char *const cs_desc[] = {"[a-z0-9-]", "[A-Za-z0-9_.:-]", "[A-Za-z0-9_.-]"};

#define CFG_REQUIRED  0x1u
#define CFG_NO_RELOAD 0x2u /* refused by ctl_cfg_reload_check: needs a restart */

struct cfg_key {
	const char *key;
	enum cfg_type type;
	size_t offset;       /* into the level's struct; the array types write their own fields */
	long long def;       /* CFG_UINT, CFG_BOOL */
	const char *def_str; /* CFG_NAME, CFG_PATH, CFG_LOG_LEVEL, CFG_LISTEN; NULL: "" */
	long long min, max;  /* value range; string length; array items */
	enum cfg_charset cs; /* CFG_NAME, CFG_BACKENDS */
	unsigned flags;
};

#define TOP(f)   offsetof(struct ctl_cfg, f)
#define CHAIN(f) offsetof(struct ctl_chain_cfg, f)
#define NODE(f)  offsetof(struct ctl_node_cfg, f)

static const struct cfg_key top_keys[] = {
    {"region", CFG_NAME, TOP(region), 0, NULL, 1, CTL_CFG_REGION_MAX, CS_LOWER,
     CFG_REQUIRED | CFG_NO_RELOAD},
    {"interval_ms", CFG_UINT, TOP(interval_ms), 1000, NULL, 100, 60000, 0, 0},
    {"timeout_ms", CFG_UINT, TOP(timeout_ms), 800, NULL, 50, 60000, 0, 0},
    {"max_lag", CFG_UINT, TOP(max_lag), 5, NULL, 0, 100000, 0, 0},
    {"max_lag_seconds", CFG_UINT, TOP(max_lag_seconds), 0, NULL, 0, 86400, 0, 0},
    {"max_finalized_lag", CFG_UINT, TOP(max_finalized_lag), 0, NULL, 0, 100000, 0, 0},
    {"min_peers", CFG_UINT, TOP(min_peers), 2, NULL, 0, 10000, 0, 0},
    {"rise", CFG_UINT, TOP(rise), 2, NULL, 1, 100, 0, 0},
    {"fall", CFG_UINT, TOP(fall), 2, NULL, 1, 100, 0, 0},
    {"min_drain_ms", CFG_UINT, TOP(min_drain_ms), 30000, NULL, 0, 86400000, 0, 0},
    {"min_ready", CFG_UINT, TOP(min_ready), 1, NULL, 0, 1000, 0, 0},
    {"stall_ms", CFG_UINT, TOP(stall_ms), 60000, NULL, 0, 86400000, 0, 0},
    {"drain_grace_ms", CFG_UINT, TOP(drain_grace_ms), 60000, NULL, 0, 86400000, 0, 0},
    {"haproxy", CFG_SOCKETS, TOP(haproxy), 0, NULL, 1, CTL_CFG_MAX_HAPROXY, 0, CFG_REQUIRED},
    {"http_listen", CFG_LISTEN, TOP(http_listen), 0, CTL_CFG_DEFAULT_HTTP_LISTEN, 0, 0, 0,
     CFG_NO_RELOAD},
    {"http_hosts", CFG_HOSTS, TOP(http_hosts), 0, NULL, 0, CTL_CFG_MAX_HOSTS, 0, CFG_NO_RELOAD},
    {"state_file", CFG_PATH, TOP(state_file), 0, CTL_CFG_DEFAULT_STATE_FILE, 1, CTL_CFG_PATH_MAX, 0,
     CFG_NO_RELOAD},
    {"admin_token_file", CFG_PATH, TOP(admin_token_file), 0, NULL, 1, CTL_CFG_PATH_MAX, 0,
     CFG_NO_RELOAD},
    {"node_tls_ca_file", CFG_PATH, TOP(node_tls_ca_file), 0, NULL, 1, CTL_CFG_PATH_MAX, 0, 0},
    {"database", CFG_CONNINFO, TOP(database), 0, NULL, 1, CTL_CFG_CONNINFO_MAX, 0, CFG_NO_RELOAD},
    {"database_password_file", CFG_PATH, TOP(database_password_file), 0, NULL, 1, CTL_CFG_PATH_MAX,
     0, CFG_NO_RELOAD},
    {"spool_dir", CFG_PATH, TOP(spool_dir), 0, CTL_CFG_DEFAULT_SPOOL_DIR, 1, CTL_CFG_PATH_MAX, 0,
     CFG_NO_RELOAD},
    {"probe", CFG_PROBES, TOP(probe), 0, NULL, 0, CTL_CFG_MAX_PROBES, 0, 0},
    {"probe_interval_ms", CFG_UINT, TOP(probe_interval_ms), 10000, NULL, 100, 600000, 0, 0},
    {"probe_timeout_ms", CFG_UINT, TOP(probe_timeout_ms), 5000, NULL, 50, 600000, 0, 0},
    {"probe_fall", CFG_UINT, TOP(probe_fall), 3, NULL, 1, 100, 0, 0},
    {"probe_rise", CFG_UINT, TOP(probe_rise), 2, NULL, 1, 100, 0, 0},
    {"probe_tls_ca_file", CFG_PATH, TOP(probe_tls_ca_file), 0, NULL, 1, CTL_CFG_PATH_MAX, 0, 0},
    {"log_level", CFG_LOG_LEVEL, TOP(log_level), 0, "info", 0, 0, 0, 0},
    {"log_listen", CFG_LOG_LISTEN, TOP(log_listen), 0, NULL, 0, 0, 0, CFG_NO_RELOAD},
    {"log_socket_group", CFG_NAME, TOP(log_socket_group), 0, NULL, 1, CTL_CFG_NAME_MAX, CS_NODE,
     CFG_NO_RELOAD},
    {"log_rcvbuf", CFG_UINT, TOP(log_rcvbuf), 4194304, NULL, 65536, 268435456, 0, 0},
    {"methods_file", CFG_PATH, TOP(methods_file), 0, CTL_CFG_DEFAULT_METHODS_FILE, 1,
     CTL_CFG_PATH_MAX, 0, 0},
    {"usage_retention_days", CFG_UINT, TOP(usage_retention_days), 90, NULL, 0, 36500, 0, 0},
    {"cachet", CFG_CACHET, TOP(cachet), 0, NULL, 0, 0, 0, CFG_NO_RELOAD},
    {"snapshot", CFG_SNAPSHOT, 0, 0, NULL, 0, 0, 0, 0},
    {"chains", CFG_CHAINS, TOP(chains), 0, NULL, 1, CTL_CFG_MAX_CHAINS, 0, CFG_REQUIRED},
};

static const struct cfg_key chain_keys[] = {
    {"name", CFG_NAME, CHAIN(name), 0, NULL, 1, CTL_CFG_CHAIN_NAME_MAX, CS_LOWER, CFG_REQUIRED},
    {"backend", CFG_NAME, CHAIN(backend), 0, NULL, 1, CTL_CFG_NAME_MAX, CS_BACKEND, CFG_REQUIRED},
    {"heavy_backends", CFG_BACKENDS, CHAIN(heavy_backends), 0, NULL, 0, CTL_CFG_MAX_HEAVY,
     CS_BACKEND, 0},
    {"genesis", CFG_HASH, CHAIN(genesis), 0, NULL, CTL_CFG_HASH_LEN, CTL_CFG_HASH_LEN, 0, 0},
    {"block_time_ms", CFG_UINT, CHAIN(block_time_ms), 6000, NULL, 100, 600000, 0, 0},
    {"nodes", CFG_NODES, CHAIN(nodes), 0, NULL, 1, CTL_CFG_MAX_CHAIN_NODE, 0, CFG_REQUIRED},
};

/* "server" comes before "rpc": the rpc rules depend on whether the node has a server. */
static const struct cfg_key node_keys[] = {
    {"name", CFG_NAME, NODE(name), 0, NULL, 1, CTL_CFG_NAME_MAX, CS_NODE, CFG_REQUIRED},
    {"server", CFG_NAME, NODE(server), 0, NULL, 1, CTL_CFG_NAME_MAX, CS_NODE, 0},
    {"rpc", CFG_URL, NODE(rpc_url), 0, NULL, 1, CTL_CFG_URL_MAX, 0, CFG_REQUIRED},
    {"batch", CFG_BOOL, NODE(batch), 1, NULL, 0, 1, 0, 0},
};

#define CFG_MAX_KEYS 40 /* per table: the size of parse_object's seen[] */

struct cfg_level {
	const char *where; /* for the "belongs ..." hint */
	const struct cfg_key *keys;
	size_t n;
};

static const struct cfg_level levels[] = {
    {"at the top level", top_keys, PF_ARRAY_SIZE(top_keys)},
    {"in a chain", chain_keys, PF_ARRAY_SIZE(chain_keys)},
    {"in a node", node_keys, PF_ARRAY_SIZE(node_keys)},
};

_Static_assert(PF_ARRAY_SIZE(top_keys) <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");
_Static_assert(PF_ARRAY_SIZE(chain_keys) <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");
_Static_assert(PF_ARRAY_SIZE(node_keys) <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");

struct cfg_ctx {
	char *err;
	size_t errlen;
	unsigned n_nodes; /* nodes seen so far across chains */
};

/* ---- error messages ------------------------------------------------------ */

/* Writes "<path>.<key>: <fmt...>" (either part may be empty) into the error buffer; returns -1. */
PF_PRINTF(4, 5)
static int fail(struct cfg_ctx *c, const char *path, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	const char *dot = (path[0] != '\0' && key[0] != '\0') ? "." : "";

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path[0] == '\0' && key[0] == '\0')
		(void)snprintf(c->err, c->errlen, "%s", msg);
	else
		(void)snprintf(c->err, c->errlen, "%s%s%s: %s", path, dot, key, msg);
	return -1;
}

/* Quotes <s> for a message: at most 40 bytes, non-printable bytes as '?'. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t n;

	PF_BUG_ON(len < 48);
	buf[0] = '"';
	n = 1 + pf_printable(buf + 1, 41, s, strlen(s), NULL);
	if (s[n - 1] != '\0') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* Describes a JSON value for "got ...": a quoted string, a number, true, an array... */
static const char *describe(const cJSON *v, char *buf, size_t len)
{
	double d;

	if (cJSON_IsString(v) && v->valuestring != NULL)
		return quote(v->valuestring, buf, len);
	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
			(void)snprintf(buf, len, "%lld", (long long)d);
		else
			(void)snprintf(buf, len, "%g", d);
		return buf;
	}
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return cJSON_IsObject(v) ? "an object" : "an unknown value";
}

/* Levenshtein distance, ignoring case, of two keys of at most 64 bytes. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t row[65], la = strlen(a), lb = strlen(b), i, j, diag, up;

	PF_BUG_ON(la > 64 || lb > 64);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (tolower((unsigned char)a[i - 1]) !=
			                 tolower((unsigned char)b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* Names the key an unknown <key> was probably meant to be, or where it belongs, or "". */
static void suggest(const struct cfg_level *lvl, const char *key, char *buf, size_t len)
{
	size_t best = SIZE_MAX, d;
	const char *best_key = NULL;

	buf[0] = '\0';
	if (strlen(key) > 64)
		return;
	for (size_t i = 0; i < lvl->n; i++) {
		d = edit_distance(key, lvl->keys[i].key);
		if (d < best) {
			best = d;
			best_key = lvl->keys[i].key;
		}
	}
	if (best_key != NULL && best <= 2 && best < strlen(best_key)) {
		(void)snprintf(buf, len, " (did you mean \"%s\"?)", best_key);
		return;
	}
	for (size_t l = 0; l < PF_ARRAY_SIZE(levels); l++) {
		for (size_t i = 0; i < levels[l].n && &levels[l] != lvl; i++) {
			if (strcmp(key, levels[l].keys[i].key) == 0) {
				(void)snprintf(buf, len, " (\"%s\" belongs %s)", key,
				               levels[l].where);
				return;
			}
		}
	}
}

/* ---- scalar values ------------------------------------------------------- */

static bool cs_ok(enum cfg_charset cs, unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
		return true;
	if (cs == CS_LOWER)
		return false;
	if ((ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.')
		return true;
	return cs == CS_BACKEND && ch == ':';
}

static bool name_ok(const char *s, const struct cfg_key *k)
{
	size_t n = strlen(s);

	if (n < (size_t)k->min || n > (size_t)k->max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!cs_ok(k->cs, (unsigned char)s[i]))
			return false;
	return true;
}

/* Checks that <v> is a string; on failure writes the "expected a string" error. */
static int need_string(struct cfg_ctx *c, const char *path, const char *key, const cJSON *v)
{
	char got[64];

	if (cJSON_IsString(v) && v->valuestring != NULL)
		return 0;
	return fail(c, path, key, "expected a string, got %s", describe(v, got, sizeof(got)));
}

static int parse_name(struct cfg_ctx *c, const char *path, const char *key, const struct cfg_key *k,
                      const cJSON *v, char *dst)
{
	char got[64];

	if (need_string(c, path, key, v) == -1)
		return -1;
	if (!name_ok(v->valuestring, k) ||
	    (k->cs == CS_LOWER && !pf_chain_name_is_valid(v->valuestring, strlen(v->valuestring))))
		return fail(c, path, key, "%s must be %lld-%lld characters of %s",
		            quote(v->valuestring, got, sizeof(got)), k->min, k->max,
		            cs_desc[k->cs]);
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A block hash as the nodes print it: "0x" and 64 hex digits of either case; stored lower-case. */
static int parse_hash(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                      char *dst)
{
	char got[64];
	const char *s;
	size_t n, i;

	if (need_string(c, path, k->key, v) == -1)
		return -1;
	s = v->valuestring;
	n = strlen(s);
	for (i = 2; i < n && isxdigit((unsigned char)s[i]); i++)
		;
	if (n != (size_t)k->max || s[0] != '0' || s[1] != 'x' || i != n)
		return fail(c, path, k->key, "%s must be 0x followed by 64 hex digits",
		            quote(s, got, sizeof(got)));
	for (i = 0; i <= n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	return 0;
}

static int parse_uint(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                      unsigned *dst)
{
	char got[64];
	double d = cJSON_IsNumber(v) ? v->valuedouble : -1.0;

	/* The range test comes first so the cast below is defined. */
	if (!cJSON_IsNumber(v) || !(d >= (double)k->min && d <= (double)k->max) ||
	    d != (double)(long long)d)
		return fail(c, path, k->key, "expected an integer %lld..%lld, got %s", k->min,
		            k->max, describe(v, got, sizeof(got)));
	*dst = (unsigned)d;
	return 0;
}

static int parse_path(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                      char *dst)
{
	char got[64];
	const char *s;
	size_t n;

	if (need_string(c, path, k->key, v) == -1)
		return -1;
	s = v->valuestring;
	n = strlen(s);
	if (n < (size_t)k->min || n > (size_t)k->max || s[0] != '/' || s[n - 1] == '/')
		return fail(c, path, k->key,
		            "%s must be an absolute file path of at most %lld characters",
		            quote(s, got, sizeof(got)), k->max);
	memcpy(dst, s, n + 1);
	return 0;
}

/*
 * A libpq connection string is checked by libpq when `db` connects; here
 * only what must never be in it: control characters, and a password, which
 * would then sit in a file more people read than the secret needs
 * (database_password_file or PGPASSWORD instead).
 */
/* True when the URI form of a connection string carries user:password@. */
static bool uri_has_password(const char *s)
{
	const char *a = strstr(s, "://"), *at, *end;

	if (a == NULL ||
	    (strncmp(s, "postgresql://", 13) != 0 && strncmp(s, "postgres://", 11) != 0))
		return false;
	a += 3;
	end = a + strcspn(a, "/?");
	at = memchr(a, '@', (size_t)(end - a));
	return at != NULL && memchr(a, ':', (size_t)(at - a)) != NULL;
}

static int parse_conninfo(struct cfg_ctx *c, const char *path, const struct cfg_key *k,
                          const cJSON *v, char *dst)
{
	const char *s;
	size_t n;

	if (need_string(c, path, k->key, v) == -1)
		return -1;
	s = v->valuestring;
	n = strlen(s);
	if (n < (size_t)k->min || n > (size_t)k->max)
		return fail(c, path, k->key,
		            "must be a libpq connection string of 1 to %lld characters", k->max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(c, path, k->key, "holds a control character");
	if (strcasestr(s, "password") != NULL || uri_has_password(s))
		return fail(c, path, k->key,
		            "holds a password: put it in database_password_file (mode 0600) or "
		            "PGPASSWORD, never in the config");
	memcpy(dst, s, n + 1);
	return 0;
}

static int parse_listen(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const char *s,
                        struct pf_addr *dst)
{
	char why[256], got[64];

	if (pf_addr_parse(s, dst, why, sizeof(why)) == -1)
		return fail(c, path, k->key, "%s", why);
	if (dst->is_unix)
		return fail(c, path, k->key, "%s is a unix socket; expected HOST:PORT",
		            quote(s, got, sizeof(got)));
	return 0;
}

/*
 * log_listen: "udp:HOST:PORT" (IPv4, "[IPv6]") or "unix:PATH" (a datagram
 * socket). A wildcard is allowed: HAProxy may log from another host, which
 * ctl/CONFIG.md warns about.
 */
static int parse_log_listen(struct cfg_ctx *c, const char *path, const struct cfg_key *k,
                            const char *s, struct pf_addr *dst)
{
	char why[256], got[64];

	if (strncmp(s, "udp:", 4) == 0) {
		if (pf_addr_parse(s + 4, dst, why, sizeof(why)) == -1 || dst->is_unix)
			return fail(c, path, k->key, "%s: expected udp:HOST:PORT",
			            quote(s, got, sizeof(got)));
		return 0;
	}
	if (strncmp(s, "unix:", 5) == 0 && s[5] == '/') {
		if (pf_addr_parse(s, dst, why, sizeof(why)) == -1)
			return fail(c, path, k->key, "%s", why);
		return 0;
	}
	memset(dst, 0, sizeof(*dst));
	return fail(c, path, k->key, "%s: expected udp:HOST:PORT or unix:/ABSOLUTE/PATH",
	            quote(s, got, sizeof(got)));
}

/* ---- rpc URL ------------------------------------------------------------- */

static int parse_url(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                     struct ctl_node_cfg *node)
{
	const char *s, *why;
	bool explicit_port = false;
	struct cfg_url_parts parts;
	size_t n;

	_Static_assert(CFG_URL_MAX == CTL_CFG_URL_MAX && CFG_HOST_MAX == CTL_CFG_HOST_MAX,
	               "the grammars' limits are the config's");
	_Static_assert(sizeof(parts.host) == sizeof(((struct ctl_node_cfg *)0)->host) &&
	                   sizeof(parts.path) == sizeof(((struct ctl_node_cfg *)0)->path) &&
	                   sizeof(parts.addr) == sizeof(((struct ctl_node_cfg *)0)->addr),
	               "URL parts fit a node's fields");
	if (need_string(c, path, k->key, v) == -1)
		return -1;
	s = v->valuestring;
	n = strlen(s);
	if (n < (size_t)k->min || n > (size_t)k->max)
		return fail(c, path, k->key, "expected a URL of 1..%lld characters, got %zu",
		            k->max, n);
	memcpy(node->rpc_url, s, n + 1);
	memset(&parts, 0, sizeof(parts));
	why = ctl_cfg_url_split(s, &parts, &explicit_port);
	if (why != NULL)
		return fail(c, path, k->key, "%s", why);
	node->tls = parts.tls;
	memcpy(node->host, parts.host, sizeof(node->host));
	node->port = parts.port;
	memcpy(node->path, parts.path, sizeof(node->path));
	node->addr_family = parts.addr_family;
	memcpy(node->addr, parts.addr, sizeof(node->addr));
	if (ctl_node_cfg_is_template(node) && (node->addr_family == 0 || !explicit_port))
		return fail(c, path, k->key,
		            "a node without \"server\" takes a server-template slot, so its host "
		            "must be a numeric IPv4 or [IPv6] address with an explicit port");
	return 0;
}

/* ---- objects and arrays -------------------------------------------------- */

/* The value of a level's array of objects (chains, nodes): parse_object's caller walks it. */
struct cfg_sub {
	const struct cfg_key *k;
	const cJSON *v;
};

static int parse_object(struct cfg_ctx *c, const cJSON *obj, const char *path,
                        const struct cfg_level *lvl, void *dst, struct cfg_sub *sub);

/* Checks that <v> is an array of k->min..k->max items; returns the count or -1. */
static int array_items(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v)
{
	char got[64];
	int n;

	if (!cJSON_IsArray(v))
		return fail(c, path, k->key, "expected an array of %lld..%lld items, got %s",
		            k->min, k->max, describe(v, got, sizeof(got)));
	n = cJSON_GetArraySize(v);
	if (n < k->min || n > k->max)
		return fail(c, path, k->key, "expected an array of %lld..%lld items, got %d items",
		            k->min, k->max, n);
	return n;
}

static bool addr_eq(const struct pf_addr *a, const struct pf_addr *b)
{
	return a->len == b->len && a->is_unix == b->is_unix && memcmp(&a->ss, &b->ss, a->len) == 0;
}

static bool addr_is_wildcard(const struct pf_addr *a)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;

	if (a->ss.ss_family == AF_INET)
		return s4->sin_addr.s_addr == htonl(INADDR_ANY);
	return a->ss.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
}

/* One "haproxy" item: "ADDR", or {"socket": "ADDR", "server_state_file": "/abs/path"}. */
static int parse_socket_item(struct cfg_ctx *c, const char *path, const char *key, const cJSON *it,
                             struct ctl_cfg *cfg, unsigned i)
{
	char where[64], why[256], got[64];
	const cJSON *sock = it, *file = NULL, *k;
	struct pf_addr *a = &cfg->haproxy[i];

	if (cJSON_IsObject(it)) {
		if (path[0] != '\0')
			(void)snprintf(where, sizeof(where), "%s.%s", path, key);
		else
			(void)snprintf(where, sizeof(where), "%s", key);
		sock = NULL;
		cJSON_ArrayForEach(k, it)
		{
			if (strcmp(k->string, "socket") == 0 && sock == NULL)
				sock = k;
			else if (strcmp(k->string, "server_state_file") == 0 && file == NULL)
				file = k;
			else
				return fail(c, where, k->string,
				            "unknown or repeated key (expected \"socket\" and "
				            "\"server_state_file\")");
		}
		if (sock == NULL)
			return fail(c, where, "socket", "required");
		if (file != NULL) {
			if (need_string(c, where, "server_state_file", file) == -1)
				return -1;
			if (file->valuestring[0] != '/' ||
			    strlen(file->valuestring) > CTL_CFG_PATH_MAX ||
			    !pf_text_has_no_controls(file->valuestring, strlen(file->valuestring)))
				return fail(c, where, "server_state_file",
				            "%s must be an absolute path of at most %d characters",
				            quote(file->valuestring, got, sizeof(got)),
				            CTL_CFG_PATH_MAX);
			memcpy(cfg->haproxy_state_file[i], file->valuestring,
			       strlen(file->valuestring) + 1);
		}
		(void)snprintf(where, sizeof(where), "%s.socket", key);
		key = where;
	}
	if (need_string(c, path, key, sock) == -1)
		return -1;
	if (pf_addr_parse(sock->valuestring, a, why, sizeof(why)) == -1)
		return fail(c, path, key, "%s", why);
	if (addr_is_wildcard(a))
		return fail(c, path, key, "%s is a wildcard address; name the host to connect to",
		            quote(sock->valuestring, got, sizeof(got)));
	for (unsigned j = 0; j < i; j++)
		if (addr_eq(a, &cfg->haproxy[j]))
			return fail(c, path, key, "%s used twice (first at haproxy[%u])",
			            quote(sock->valuestring, got, sizeof(got)), j);
	return 0;
}

static int parse_sockets(struct cfg_ctx *c, const char *path, const struct cfg_key *k,
                         const cJSON *v, struct ctl_cfg *cfg)
{
	char key[48];
	const cJSON *it;
	int n = array_items(c, path, k, v);
	unsigned i = 0;

	if (n == -1)
		return -1;
	cJSON_ArrayForEach(it, v)
	{
		(void)snprintf(key, sizeof(key), "%s[%u]", k->key, i);
		if (parse_socket_item(c, path, key, it, cfg, i) == -1)
			return -1;
		cfg->n_haproxy = ++i;
	}
	return 0;
}

static int parse_backends(struct cfg_ctx *c, const char *path, const struct cfg_key *k,
                          const cJSON *v, struct ctl_chain_cfg *chain)
{
	/* Each item is a backend name, like "backend". */
	const struct cfg_key item = {k->key, CFG_NAME, 0, 0, NULL, 1, CTL_CFG_NAME_MAX, k->cs, 0};
	char key[48];
	const cJSON *it;
	int n = array_items(c, path, k, v);

	if (n == -1)
		return -1;
	chain->n_heavy = 0;
	cJSON_ArrayForEach(it, v)
	{
		(void)snprintf(key, sizeof(key), "%s[%u]", k->key, chain->n_heavy);
		if (parse_name(c, path, key, &item, it, chain->heavy_backends[chain->n_heavy]) ==
		    -1)
			return -1;
		chain->n_heavy++;
	}
	return 0;
}

static int parse_hosts(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                       struct ctl_cfg *cfg)
{
	char key[48], got[64];
	const cJSON *it;
	const char *why;
	int n = array_items(c, path, k, v);

	if (n == -1)
		return -1;
	cfg->n_http_hosts = 0;
	cJSON_ArrayForEach(it, v)
	{
		(void)snprintf(key, sizeof(key), "%s[%u]", k->key, cfg->n_http_hosts);
		if (need_string(c, path, key, it) == -1)
			return -1;
		why = ctl_cfg_host_entry_why(it->valuestring);
		if (why != NULL)
			return fail(c, path, key, "%s %s", quote(it->valuestring, got, sizeof(got)),
			            why);
		memcpy(cfg->http_hosts[cfg->n_http_hosts], it->valuestring,
		       strlen(it->valuestring) + 1);
		cfg->n_http_hosts++;
	}
	return 0;
}

/* One "probe" item {"region", "url", "chain"} at <where> ("probe[i]") into cfg->probe[i]. */
static int parse_probe_item(struct cfg_ctx *c, const char *where, const cJSON *it,
                            struct ctl_cfg *cfg, unsigned i)
{
	static const struct cfg_key region = {"region", CFG_NAME,           0,        0, NULL,
	                                      1,        CTL_CFG_REGION_MAX, CS_LOWER, 0},
	                            chain = {
	                                "chain",  CFG_NAME, 0, 0, NULL, 1, CTL_CFG_CHAIN_NAME_MAX,
	                                CS_LOWER, 0};
	struct ctl_probe_cfg *pr = &cfg->probe[i];
	const cJSON *reg = NULL, *url = NULL, *ch = NULL, *k;
	struct cfg_url_parts parts;
	bool explicit_port;
	char got[64];
	const char *why;

	if (!cJSON_IsObject(it))
		return fail(c, where, "",
		            "expected an object {\"region\", \"url\", \"chain\"}, got %s",
		            describe(it, got, sizeof(got)));
	cJSON_ArrayForEach(k, it)
	{
		const cJSON **slot = strcmp(k->string, "region") == 0  ? &reg
		                     : strcmp(k->string, "url") == 0   ? &url
		                     : strcmp(k->string, "chain") == 0 ? &ch
		                                                       : NULL;

		if (slot == NULL || *slot != NULL)
			return fail(c, where, k->string,
			            "unknown or repeated key (expected \"region\", \"url\" and "
			            "\"chain\")");
		*slot = k;
	}
	if (reg == NULL)
		return fail(c, where, "region", "required");
	if (url == NULL)
		return fail(c, where, "url", "required");
	if (parse_name(c, where, "region", &region, reg, pr->region) == -1 ||
	    (ch != NULL && parse_name(c, where, "chain", &chain, ch, pr->chain) == -1) ||
	    need_string(c, where, "url", url) == -1)
		return -1;
	if (strcmp(pr->region, cfg->region) == 0)
		return fail(
		    c, where, "region",
		    "\"%s\" is this controller's own region: probe the other regions' edges",
		    pr->region);
	if (strlen(url->valuestring) > CTL_CFG_URL_MAX)
		return fail(c, where, "url", "expected a URL of 1..%d characters, got %zu",
		            CTL_CFG_URL_MAX, strlen(url->valuestring));
	why = ctl_cfg_url_split(url->valuestring, &parts, &explicit_port);
	if (why != NULL)
		return fail(c, where, "url", "%s", why);
	memcpy(pr->url, url->valuestring, strlen(url->valuestring) + 1);
	for (unsigned j = 0; j < i; j++)
		if (strcmp(pr->url, cfg->probe[j].url) == 0)
			return fail(c, where, "url", "%s used twice (first at probe[%u].url)",
			            quote(pr->url, got, sizeof(got)), j);
	return 0;
}

static int parse_probes(struct cfg_ctx *c, const char *path, const struct cfg_key *k,
                        const cJSON *v, struct ctl_cfg *cfg)
{
	char where[48];
	const cJSON *it;
	int n = array_items(c, path, k, v);

	if (n == -1)
		return -1;
	cfg->n_probes = 0;
	cJSON_ArrayForEach(it, v)
	{
		(void)snprintf(where, sizeof(where), "%s[%u]", k->key, cfg->n_probes);
		if (parse_probe_item(c, where, it, cfg, cfg->n_probes) == -1)
			return -1;
		cfg->n_probes++;
	}
	return 0;
}

/* "components": {"<chain>": <Cachet component id>, ...}; the chains are checked against "chains"
 * later. */
static int parse_cachet_components(struct cfg_ctx *c, const cJSON *v, struct ctl_cachet_cfg *cc)
{
	static const struct cfg_key chain = {"components",           CFG_NAME, 0, 0, NULL, 1,
	                                     CTL_CFG_CHAIN_NAME_MAX, CS_LOWER, 0},
	                            id = {"components", CFG_UINT, 0, 0, NULL, 1, 2147483647, 0, 0};
	const cJSON *it;
	char got[64];

	if (!cJSON_IsObject(v))
		return fail(c, "cachet", "components",
		            "expected an object {\"<chain>\": <component id>}, got %s",
		            describe(v, got, sizeof(got)));
	cc->n_components = 0;
	cJSON_ArrayForEach(it, v)
	{
		cJSON name = {.type = cJSON_String, .valuestring = it->string};

		if (cc->n_components == CTL_CFG_MAX_CHAINS)
			return fail(c, "cachet", "components", "more than %d chains",
			            CTL_CFG_MAX_CHAINS);
		if (parse_name(c, "cachet.components", "", &chain, &name,
		               cc->chain[cc->n_components]) == -1 ||
		    parse_uint(c, "cachet.components",
		               &(struct cfg_key){.key = it->string, .min = id.min, .max = id.max},
		               it, &cc->component[cc->n_components]) == -1)
			return -1;
		cc->n_components++;
	}
	if (cc->n_components == 0)
		return fail(c, "cachet", "components", "name at least one chain");
	return 0;
}

static int parse_cachet(struct cfg_ctx *c, const cJSON *v, struct ctl_cachet_cfg *cc)
{
	static const struct cfg_key tf = {"token_file",     CFG_PATH, 0, 0, NULL, 1,
	                                  CTL_CFG_PATH_MAX, 0,        0};
	const cJSON *url = NULL, *tok = NULL, *comp = NULL, *k;
	struct cfg_url_parts parts;
	bool explicit_port;
	const char *why;
	char got[64];

	if (!cJSON_IsObject(v))
		return fail(c, "", "cachet",
		            "expected an object {\"url\", \"token_file\", \"components\"}, got %s",
		            describe(v, got, sizeof(got)));
	cJSON_ArrayForEach(k, v)
	{
		const cJSON **slot = strcmp(k->string, "url") == 0          ? &url
		                     : strcmp(k->string, "token_file") == 0 ? &tok
		                     : strcmp(k->string, "components") == 0 ? &comp
		                                                            : NULL;

		if (slot == NULL || *slot != NULL)
			return fail(c, "cachet", k->string,
			            "unknown or repeated key (expected \"url\", \"token_file\" and "
			            "\"components\")");
		*slot = k;
	}
	if (url == NULL || tok == NULL || comp == NULL)
		return fail(c, "cachet",
		            url == NULL   ? "url"
		            : tok == NULL ? "token_file"
		                          : "components",
		            "required");
	if (need_string(c, "cachet", "url", url) == -1)
		return -1;
	if (strlen(url->valuestring) > CTL_CFG_URL_MAX)
		return fail(c, "cachet", "url", "expected a URL of 1..%d characters, got %zu",
		            CTL_CFG_URL_MAX, strlen(url->valuestring));
	why = ctl_cfg_url_split(url->valuestring, &parts, &explicit_port);
	if (why != NULL)
		return fail(c, "cachet", "url", "%s", why);
	memcpy(cc->url, url->valuestring, strlen(url->valuestring) + 1);
	/* The API's paths start with '/': a base URL's own trailing one would double it. */
	if (cc->url[strlen(cc->url) - 1] == '/')
		cc->url[strlen(cc->url) - 1] = '\0';
	if (parse_path(c, "cachet", &tf, tok, cc->token_file) == -1)
		return -1;
	return parse_cachet_components(c, comp, cc);
}

static int parse_nodes(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                       struct ctl_chain_cfg *chain)
{
	char ipath[128];
	const cJSON *it;
	struct cfg_sub none;
	int n;

	PF_BUG_ON(k == NULL || v == NULL); /* "nodes" is required */
	n = array_items(c, path, k, v);

	if (n == -1)
		return -1;
	if (c->n_nodes + (unsigned)n > CTL_CFG_MAX_NODES)
		return fail(c, path, k->key, "%u nodes in all chains, at most %d",
		            c->n_nodes + (unsigned)n, CTL_CFG_MAX_NODES);
	c->n_nodes += (unsigned)n;
	chain->nodes = calloc((size_t)n, sizeof(*chain->nodes));
	if (chain->nodes == NULL)
		return fail(c, path, k->key, "out of memory");
	chain->n_nodes = (unsigned)n;
	n = 0;
	cJSON_ArrayForEach(it, v)
	{
		(void)snprintf(ipath, sizeof(ipath), "%s.%s[%d]", path, k->key, n);
		if (parse_object(c, it, ipath, &levels[2], &chain->nodes[n], &none) == -1)
			return -1;
		n++;
	}
	return 0;
}

static int parse_chains(struct cfg_ctx *c, const struct cfg_key *k, const cJSON *v,
                        struct ctl_cfg *cfg)
{
	char ipath[96];
	const cJSON *it;
	struct cfg_sub sub;
	int n;

	PF_BUG_ON(k == NULL || v == NULL); /* "chains" is required */
	n = array_items(c, "", k, v);

	if (n == -1)
		return -1;
	cfg->chains = calloc((size_t)n, sizeof(*cfg->chains));
	if (cfg->chains == NULL)
		return fail(c, "", k->key, "out of memory");
	cfg->n_chains = (unsigned)n;
	n = 0;
	cJSON_ArrayForEach(it, v)
	{
		(void)snprintf(ipath, sizeof(ipath), "%s[%d]", k->key, n);
		if (parse_object(c, it, ipath, &levels[1], &cfg->chains[n], &sub) == -1 ||
		    parse_nodes(c, ipath, sub.k, sub.v, &cfg->chains[n]) == -1)
			return -1;
		n++;
	}
	cfg->n_nodes = c->n_nodes;
	return 0;
}

static int parse_value(struct cfg_ctx *c, const char *path, const struct cfg_key *k, const cJSON *v,
                       void *dst)
{
	char *field = (char *)dst + k->offset, got[64];

	switch (k->type) {
	case CFG_UINT:
		return parse_uint(c, path, k, v, (unsigned *)(void *)field);
	case CFG_BOOL:
		if (!cJSON_IsBool(v))
			return fail(c, path, k->key, "expected true or false, got %s",
			            describe(v, got, sizeof(got)));
		*(bool *)field = cJSON_IsTrue(v);
		return 0;
	case CFG_NAME:
		return parse_name(c, path, k->key, k, v, field);
	case CFG_PATH:
		return parse_path(c, path, k, v, field);
	case CFG_CONNINFO:
		return parse_conninfo(c, path, k, v, field);
	case CFG_LOG_LEVEL:
		if (need_string(c, path, k->key, v) == -1)
			return -1;
		if (!pf_log_level_parse(v->valuestring, (enum pf_log_level *)(void *)field))
			return fail(c, path, k->key,
			            "expected \"err\", \"warn\", \"info\" or \"debug\", got %s",
			            describe(v, got, sizeof(got)));
		return 0;
	case CFG_LISTEN:
		if (need_string(c, path, k->key, v) == -1)
			return -1;
		return parse_listen(c, path, k, v->valuestring, (struct pf_addr *)(void *)field);
	case CFG_SOCKETS:
		return parse_sockets(c, path, k, v, dst);
	case CFG_BACKENDS:
		return parse_backends(c, path, k, v, dst);
	case CFG_URL:
		return parse_url(c, path, k, v, dst);
	case CFG_HASH:
		return parse_hash(c, path, k, v, field);
	case CFG_HOSTS:
		return parse_hosts(c, path, k, v, dst);
	case CFG_PROBES:
		return parse_probes(c, path, k, v, dst);
	case CFG_LOG_LISTEN:
		if (need_string(c, path, k->key, v) == -1)
			return -1;
		return parse_log_listen(c, path, k, v->valuestring,
		                        (struct pf_addr *)(void *)field);
	case CFG_CACHET:
		return parse_cachet(c, v, (struct ctl_cachet_cfg *)(void *)field);
	case CFG_SNAPSHOT: /* ctl_cfg_parse hands the text to snapcfg_parse */
	case CFG_CHAINS:   /* walked by parse_object's caller */
	case CFG_NODES:
		break;
	}
	return 0;
}

/* Stores the default of an absent optional key. Defaults are valid by construction. */
static int apply_default(struct cfg_ctx *c, const char *path, const struct cfg_key *k, void *dst)
{
	char *field = (char *)dst + k->offset;

	switch (k->type) {
	case CFG_UINT:
		*(unsigned *)(void *)field = (unsigned)k->def;
		return 0;
	case CFG_BOOL:
		*(bool *)field = k->def != 0;
		return 0;
	case CFG_NAME:
	case CFG_PATH:
	case CFG_HASH:
	case CFG_CONNINFO:
		(void)snprintf(field, (size_t)k->max + 1, "%s", k->def_str ? k->def_str : "");
		return 0;
	case CFG_LOG_LEVEL:
		PF_BUG_ON(!pf_log_level_parse(k->def_str, (enum pf_log_level *)(void *)field));
		return 0;
	case CFG_LISTEN:
		return parse_listen(c, path, k, k->def_str, (struct pf_addr *)(void *)field);
	case CFG_SOCKETS:
	case CFG_BACKENDS: /* empty: the struct is zeroed */
	case CFG_HOSTS:
	case CFG_PROBES:
	case CFG_URL:
	case CFG_CHAINS:
	case CFG_NODES:
	case CFG_LOG_LISTEN: /* off: len 0 */
	case CFG_CACHET:     /* off: url "" */
	case CFG_SNAPSHOT:
		return 0;
	}
	return 0;
}

/*
 * Parses the JSON object <obj> at <path> into <dst> along the table of
 * <lvl>: unknown and duplicate keys are errors, absent optional keys get
 * their defaults. The one array of objects of the level (chains, nodes) is
 * returned in <sub> for the caller to walk, which keeps this non-recursive.
 */
static int parse_object(struct cfg_ctx *c, const cJSON *obj, const char *path,
                        const struct cfg_level *lvl, void *dst, struct cfg_sub *sub)
{
	const cJSON *seen[CFG_MAX_KEYS] = {NULL}, *it;
	char got[64], hint[96];
	size_t i;

	sub->k = NULL;
	sub->v = NULL;
	if (!cJSON_IsObject(obj))
		return fail(c, path, "", "expected an object, got %s",
		            describe(obj, got, sizeof(got)));
	cJSON_ArrayForEach(it, obj)
	{
		const char *name = it->string != NULL ? it->string : "";

		for (i = 0; i < lvl->n && strcmp(name, lvl->keys[i].key) != 0; i++)
			;
		if (i == lvl->n) {
			suggest(lvl, name, hint, sizeof(hint));
			return fail(c, path, "", "unknown key %s%s", quote(name, got, sizeof(got)),
			            hint);
		}
		if (seen[i] != NULL)
			return fail(c, path, "", "duplicate key \"%s\"", lvl->keys[i].key);
		seen[i] = it;
	}
	for (i = 0; i < lvl->n; i++) {
		const struct cfg_key *k = &lvl->keys[i];
		int rc;

		if (k->type == CFG_CHAINS || k->type == CFG_NODES) {
			sub->k = k;
			sub->v = seen[i];
		}
		if (seen[i] != NULL)
			rc = parse_value(c, path, k, seen[i], dst);
		else if (k->flags & CFG_REQUIRED)
			rc = fail(c, path, k->key, "required");
		else
			rc = apply_default(c, path, k, dst);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* ---- rules across keys --------------------------------------------------- */

static int check_timing(struct cfg_ctx *c, const struct ctl_cfg *cfg)
{
	if (cfg->timeout_ms >= cfg->interval_ms)
		return fail(c, "", "timeout_ms", "%u must be less than interval_ms (%u)",
		            cfg->timeout_ms, cfg->interval_ms);
	/* A head is sampled once per interval: a shorter stall cannot be told from a slow poll. */
	if (cfg->stall_ms != 0 && cfg->stall_ms < cfg->interval_ms)
		return fail(c, "", "stall_ms", "%u must be 0 (off) or at least interval_ms (%u)",
		            cfg->stall_ms, cfg->interval_ms);
	if (cfg->probe_timeout_ms >= cfg->probe_interval_ms)
		return fail(c, "", "probe_timeout_ms",
		            "%u must be less than probe_interval_ms (%u)", cfg->probe_timeout_ms,
		            cfg->probe_interval_ms);
	return 0;
}

/* Cachet is fed by the recorder (its lock holder pushes): it needs the database, and real chains.
 */
static int check_cachet(struct cfg_ctx *c, const struct ctl_cfg *cfg)
{
	const struct ctl_cachet_cfg *cc = &cfg->cachet;

	if (cc->url[0] == '\0')
		return 0;
	if (cfg->database[0] == '\0')
		return fail(c, "", "cachet",
		            "needs \"database\": only the region's lock holder pushes to Cachet");
	for (unsigned i = 0; i < cc->n_components; i++) {
		bool known = false;

		for (unsigned j = 0; j < cfg->n_chains && !known; j++)
			known = strcmp(cfg->chains[j].name, cc->chain[i]) == 0;
		if (!known)
			return fail(c, "cachet.components", cc->chain[i],
			            "not a chain of \"chains\"");
	}
	return 0;
}

/* The <k>th backend name of chain <i>: 0 is "backend", then "heavy_backends". */
static const char *backend_at(const struct ctl_cfg *cfg, unsigned i, unsigned k, char *where,
                              size_t len)
{
	const struct ctl_chain_cfg *ch = &cfg->chains[i];

	if (k == 0) {
		(void)snprintf(where, len, "chains[%u].backend", i);
		return ch->backend;
	}
	(void)snprintf(where, len, "chains[%u].heavy_backends[%u]", i, k - 1);
	return ch->heavy_backends[k - 1];
}

/* Every HAProxy backend named in the config, main or heavy, is named once. */
static int check_backends(struct cfg_ctx *c, const struct ctl_cfg *cfg)
{
	char where[64], first[64];

	for (unsigned i = 0; i < cfg->n_chains; i++) {
		for (unsigned k = 0; k <= cfg->chains[i].n_heavy; k++) {
			const char *name = backend_at(cfg, i, k, where, sizeof(where));

			for (unsigned i2 = 0; i2 <= i; i2++) {
				unsigned k2_end = i2 == i ? k : cfg->chains[i2].n_heavy + 1;

				for (unsigned k2 = 0; k2 < k2_end; k2++)
					if (strcmp(name, backend_at(cfg, i2, k2, first,
					                            sizeof(first))) == 0)
						return fail(c, where, "",
						            "\"%s\" used twice (first at %s)", name,
						            first);
			}
		}
	}
	return 0;
}

static int check_nodes(struct cfg_ctx *c, const struct ctl_cfg *cfg, unsigned i)
{
	const struct ctl_chain_cfg *ch = &cfg->chains[i];
	char where[64];

	for (unsigned j = 0; j < ch->n_nodes; j++) {
		const struct ctl_node_cfg *n = &ch->nodes[j];

		(void)snprintf(where, sizeof(where), "chains[%u].nodes[%u]", i, j);
		for (unsigned i2 = 0; i2 <= i; i2++) {
			const struct ctl_chain_cfg *ch2 = &cfg->chains[i2];

			for (unsigned j2 = 0; j2 < (i2 == i ? j : ch2->n_nodes); j2++)
				if (strcmp(n->name, ch2->nodes[j2].name) == 0)
					return fail(c, where, "name",
					            "\"%s\" used twice (first at "
					            "chains[%u].nodes[%u].name)",
					            n->name, i2, j2);
		}
		for (unsigned j2 = 0; j2 < j && !ctl_node_cfg_is_template(n); j2++)
			if (strcmp(n->server, ch->nodes[j2].server) == 0)
				return fail(c, where, "server",
				            "\"%s\" used twice in backend %s (first at "
				            "chains[%u].nodes[%u].server)",
				            n->server, ch->backend, i, j2);
	}
	return 0;
}

static int check_unique(struct cfg_ctx *c, const struct ctl_cfg *cfg)
{
	char where[32];

	if (cfg->chains == NULL)
		return 0;
	for (unsigned i = 0; i < cfg->n_chains; i++) {
		(void)snprintf(where, sizeof(where), "chains[%u]", i);
		for (unsigned i2 = 0; i2 < i; i2++)
			if (strcmp(cfg->chains[i].name, cfg->chains[i2].name) == 0)
				return fail(c, where, "name",
				            "\"%s\" used twice (first at chains[%u].name)",
				            cfg->chains[i].name, i2);
	}
	if (check_backends(c, cfg) == -1)
		return -1;
	for (unsigned i = 0; i < cfg->n_chains; i++)
		if (check_nodes(c, cfg, i) == -1)
			return -1;
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

/*
 * Reports the JSON syntax error at byte <pos> of <json> as a line, a column
 * and the text around it on that line (cJSON stops at or just past the fault).
 */
static int fail_syntax(struct cfg_ctx *c, const char *what, const char *json, size_t len,
                       size_t pos)
{
	size_t line = 1, bol = 0, from, to, i;
	char near[32];

	if (pos > len)
		pos = len;
	for (i = 0; i < pos; i++) {
		if (json[i] == '\n') {
			line++;
			bol = i + 1;
		}
	}
	from = pos - bol > 12 ? pos - 12 : bol;
	for (to = pos; to < len && to < pos + 12 && json[to] != '\n' && json[to] != '\r'; to++)
		;
	(void)pf_printable(near, sizeof(near), json + from, to - from, NULL);
	return fail(c, "", "", "%s at line %zu, column %zu (near \"%s\")", what, line,
	            pos - bol + 1, near);
}

static size_t skip_ws(const char *s, size_t len, size_t pos)
{
	while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
		pos++;
	return pos;
}

static int parse_root(struct cfg_ctx *c, const cJSON *root, struct ctl_cfg *out)
{
	struct cfg_sub sub;
	char got[64];

	if (!cJSON_IsObject(root))
		return fail(c, "", "", "expected a JSON object at the top level, got %s",
		            describe(root, got, sizeof(got)));
	if (parse_object(c, root, "", &levels[0], out, &sub) == -1 ||
	    parse_chains(c, sub.k, sub.v, out) == -1 || check_timing(c, out) == -1 ||
	    check_cachet(c, out) == -1 || check_unique(c, out) == -1)
		return -1;
	return 0;
}

int ctl_cfg_parse(const char *json, size_t len, struct ctl_cfg *out, char *err, size_t errlen)
{
	struct cfg_ctx c = {err, errlen, 0};
	const char *end = NULL;
	size_t pos;
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0 || skip_ws(json, len, 0) == len)
		return fail(&c, "", "", "empty config: expected a JSON object");
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	pos = end != NULL && end >= json ? (size_t)(end - json) : 0;
	if (root == NULL)
		return fail_syntax(&c, "invalid JSON", json, len, pos);
	if (skip_ws(json, len, pos) != len)
		rc = fail_syntax(&c, "unexpected text after the JSON value", json, len,
		                 skip_ws(json, len, pos));
	else if (pf_json_nul_escape_at(json, len) < len)
		rc = fail_syntax(&c, "\\u0000 in a string (it would cut the string short)", json,
		                 len, pf_json_nul_escape_at(json, len));
	else
		rc = parse_root(&c, root, out);
	cJSON_Delete(root);
	if (rc == 0) {
		/* Only `snapshot publish` uses the section; `check` and a reload validate it here.
		 */
		struct snapcfg snap;
		bool present;

		rc = snapcfg_parse(json, len, &snap, &present, err, errlen);
		snapcfg_free(&snap);
	}
	if (rc == -1)
		ctl_cfg_free(out);
	return rc;
}

/* Reads <path> and parses it into <out>: a struct ctl_cfg_client when <client>, else a ctl_cfg. */
static int load_file(const char *path, bool client, void *out, char *err, size_t errlen)
{
	char why[600];
	size_t len;
	char *buf = pf_read_file(path, CTL_CFG_FILE_MAX, &len, err, errlen);
	int rc;

	if (buf == NULL)
		return -1;
	rc = client ? ctl_cfg_parse_client(buf, len, out, why, sizeof(why))
	            : ctl_cfg_parse(buf, len, out, why, sizeof(why));
	if (rc == -1)
		pf_errf(err, errlen, "%s: %s", path, why);
	free(buf);
	return rc;
}

int ctl_cfg_load(const char *path, struct ctl_cfg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return load_file(path, false, out, err, errlen);
}

/*
 * The CLI's keys only: each is parsed (or defaulted) by its own table entry,
 * into a scratch struct ctl_cfg; the rest of the file is not looked at
 * beyond being JSON.
 */
int ctl_cfg_parse_client(const char *json, size_t len, struct ctl_cfg_client *out, char *err,
                         size_t errlen)
{
	static const char *const wanted[] = {"http_listen", "admin_token_file"};
	struct cfg_ctx c = {err, errlen, 0};
	struct ctl_cfg *tmp = calloc(1, sizeof(*tmp));
	const char *end = NULL;
	size_t pos;
	cJSON *root;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (tmp == NULL)
		return fail(&c, "", "", "out of memory");
	if (len == 0 || skip_ws(json, len, 0) == len) {
		free(tmp);
		return fail(&c, "", "", "empty config: expected a JSON object");
	}
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	pos = end != NULL && end >= json ? (size_t)(end - json) : 0;
	if (root == NULL)
		rc = fail_syntax(&c, "invalid JSON", json, len, pos);
	else if (skip_ws(json, len, pos) != len)
		rc = fail_syntax(&c, "unexpected text after the JSON value", json, len,
		                 skip_ws(json, len, pos));
	else if (pf_json_nul_escape_at(json, len) < len)
		rc = fail_syntax(&c, "\\u0000 in a string (it would cut the string short)", json,
		                 len, pf_json_nul_escape_at(json, len));
	else if (!cJSON_IsObject(root))
		rc = fail(&c, "", "", "expected a JSON object at the top level");
	for (size_t w = 0; rc == 0 && w < PF_ARRAY_SIZE(wanted); w++) {
		for (size_t i = 0; i < PF_ARRAY_SIZE(top_keys); i++) {
			const struct cfg_key *k = &top_keys[i];
			const cJSON *v;

			if (strcmp(k->key, wanted[w]) != 0)
				continue;
			v = cJSON_GetObjectItemCaseSensitive(root, k->key);
			rc = v != NULL ? parse_value(&c, "", k, v, tmp)
			               : apply_default(&c, "", k, tmp);
		}
	}
	if (rc == 0) {
		out->http_listen = tmp->http_listen;
		memcpy(out->admin_token_file, tmp->admin_token_file, sizeof(out->admin_token_file));
	}
	cJSON_Delete(root);
	free(tmp);
	return rc;
}

int ctl_cfg_load_client(const char *path, struct ctl_cfg_client *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return load_file(path, true, out, err, errlen);
}

void ctl_cfg_free(struct ctl_cfg *cfg)
{
	if (cfg == NULL)
		return;
	for (unsigned i = 0; cfg->chains != NULL && i < cfg->n_chains; i++)
		free(cfg->chains[i].nodes);
	free(cfg->chains);
	memset(cfg, 0, sizeof(*cfg));
}

static bool hosts_eq(const struct ctl_cfg *a, const struct ctl_cfg *b)
{
	if (a->n_http_hosts != b->n_http_hosts)
		return false;
	for (unsigned i = 0; i < a->n_http_hosts; i++)
		if (strcmp(a->http_hosts[i], b->http_hosts[i]) != 0)
			return false;
	return true;
}

/* The http_hosts list as "a, b" for a message (cut to <len>). */
static void hosts_str(const struct ctl_cfg *cfg, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->n_http_hosts && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? ", " : "", cfg->http_hosts[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int ctl_cfg_reload_check(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg, char *err,
                         size_t errlen)
{
	char a[128], b[128];

	for (size_t i = 0; i < PF_ARRAY_SIZE(top_keys); i++) {
		const struct cfg_key *k = &top_keys[i];
		const char *fo = (const char *)old + k->offset,
		           *fn = (const char *)new_cfg + k->offset;

		if (!(k->flags & CFG_NO_RELOAD))
			continue;
		if (k->type == CFG_LISTEN || k->type == CFG_LOG_LISTEN) {
			const struct pf_addr *ao = (const void *)fo, *an = (const void *)fn;

			if (addr_eq(ao, an))
				continue;
			(void)snprintf(a, sizeof(a), "(none)");
			(void)snprintf(b, sizeof(b), "(none)");
			if (ao->len > 0)
				(void)pf_addr_str(ao, a, sizeof(a));
			if (an->len > 0)
				(void)pf_addr_str(an, b, sizeof(b));
		} else if (k->type == CFG_HOSTS) {
			if (hosts_eq(old, new_cfg))
				continue;
			hosts_str(old, a, sizeof(a));
			hosts_str(new_cfg, b, sizeof(b));
		} else if (k->type == CFG_CACHET) {
			if (memcmp(fo, fn, sizeof(struct ctl_cachet_cfg)) == 0)
				continue;
			(void)snprintf(a, sizeof(a), "%.120s", old->cachet.url);
			(void)snprintf(b, sizeof(b), "%.120s", new_cfg->cachet.url);
		} else {
			PF_BUG_ON(k->type != CFG_PATH && k->type != CFG_CONNINFO &&
			          k->type != CFG_NAME);
			if (strcmp(fo, fn) == 0)
				continue;
			(void)snprintf(a, sizeof(a), "%.120s", fo);
			(void)snprintf(b, sizeof(b), "%.120s", fn);
		}
		(void)snprintf(err, errlen,
		               "%s: cannot change on reload (\"%s\" -> \"%s\"); restart "
		               "polkfura-ctl to apply it",
		               k->key, a, b);
		return -1;
	}
	return 0;
}

/* ---- what a reload changed ---------------------------------------------- */

/* Appends <fmt> to <out>, "; "-separated, keeping the text whole when it is cut. */
static PF_PRINTF(3, 4) void diff_add(char *out, size_t outlen, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;
	int w;

	if (n + 1 >= outlen)
		return;
	if (n > 0) {
		w = snprintf(out + n, outlen - n, "; ");
		n += (size_t)w < outlen - n ? (size_t)w : outlen - n - 1;
	}
	va_start(ap, fmt);
	(void)vsnprintf(out + n, outlen - n, fmt, ap);
	va_end(ap);
}

static const struct ctl_node_cfg *find_node_cfg(const struct ctl_cfg *c, const char *name,
                                                const char **chain)
{
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		for (unsigned i = 0; i < c->chains[ch].n_nodes; i++)
			if (strcmp(c->chains[ch].nodes[i].name, name) == 0) {
				*chain = c->chains[ch].name;
				return &c->chains[ch].nodes[i];
			}
	return NULL;
}

static const struct ctl_chain_cfg *find_chain_cfg(const struct ctl_cfg *c, const char *name)
{
	for (unsigned ch = 0; ch < c->n_chains; ch++)
		if (strcmp(c->chains[ch].name, name) == 0)
			return &c->chains[ch];
	return NULL;
}

static bool probes_eq(const struct ctl_cfg *a, const struct ctl_cfg *b)
{
	if (a->n_probes != b->n_probes)
		return false;
	for (unsigned i = 0; i < a->n_probes; i++)
		if (strcmp(a->probe[i].region, b->probe[i].region) != 0 ||
		    strcmp(a->probe[i].chain, b->probe[i].chain) != 0 ||
		    strcmp(a->probe[i].url, b->probe[i].url) != 0)
			return false;
	return true;
}

/* The top-level keys that differ (chains aside). */
static void diff_top(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg, char *out,
                     size_t outlen)
{
	for (size_t i = 0; i < PF_ARRAY_SIZE(top_keys); i++) {
		const struct cfg_key *k = &top_keys[i];
		const char *fo = (const char *)old + k->offset,
		           *fn = (const char *)new_cfg + k->offset;

		switch (k->type) {
		case CFG_UINT: {
			unsigned a = *(const unsigned *)(const void *)fo,
			         b = *(const unsigned *)(const void *)fn;

			if (a != b)
				diff_add(out, outlen, "%s %u -> %u", k->key, a, b);
			break;
		}
		case CFG_LOG_LEVEL:
			if (old->log_level != new_cfg->log_level)
				diff_add(out, outlen, "log_level changed");
			break;
		case CFG_NAME:
		case CFG_PATH:
		case CFG_CONNINFO:
			if (strcmp(fo, fn) != 0)
				diff_add(out, outlen, "%s changed", k->key);
			break;
		case CFG_SOCKETS: {
			bool same = old->n_haproxy == new_cfg->n_haproxy;

			for (unsigned h = 0; same && h < old->n_haproxy; h++)
				same = addr_eq(&old->haproxy[h], &new_cfg->haproxy[h]) &&
				       strcmp(old->haproxy_state_file[h],
				              new_cfg->haproxy_state_file[h]) == 0;
			if (!same)
				diff_add(out, outlen, "haproxy %u -> %u instances", old->n_haproxy,
				         new_cfg->n_haproxy);
			break;
		}
		case CFG_PROBES:
			if (!probes_eq(old, new_cfg))
				diff_add(out, outlen, "probe %u -> %u targets", old->n_probes,
				         new_cfg->n_probes);
			break;
		default:
			break; /* chains below; listen and hosts cannot change on reload */
		}
	}
}

/* Chains added, removed or changed (their own keys, not their nodes). */
static void diff_chains(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg, char *out,
                        size_t outlen)
{
	for (unsigned ch = 0; ch < new_cfg->n_chains; ch++)
		if (find_chain_cfg(old, new_cfg->chains[ch].name) == NULL)
			diff_add(out, outlen, "chain %s added", new_cfg->chains[ch].name);
	for (unsigned ch = 0; ch < old->n_chains; ch++) {
		const struct ctl_chain_cfg *oc = &old->chains[ch],
		                           *nc = find_chain_cfg(new_cfg, oc->name);
		bool same;

		if (nc == NULL) {
			diff_add(out, outlen, "chain %s removed", oc->name);
			continue;
		}
		same = strcmp(oc->backend, nc->backend) == 0 &&
		       strcmp(oc->genesis, nc->genesis) == 0 &&
		       oc->block_time_ms == nc->block_time_ms && oc->n_heavy == nc->n_heavy;
		for (unsigned h = 0; same && h < oc->n_heavy; h++)
			same = strcmp(oc->heavy_backends[h], nc->heavy_backends[h]) == 0;
		if (!same)
			diff_add(out, outlen, "chain %s changed", oc->name);
	}
}

/* Nodes added, removed, or changed (URL, server, batch, chain). */
static void diff_nodes(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg, char *out,
                       size_t outlen)
{
	for (unsigned ch = 0; ch < new_cfg->n_chains; ch++)
		for (unsigned i = 0; i < new_cfg->chains[ch].n_nodes; i++) {
			const struct ctl_node_cfg *nn = &new_cfg->chains[ch].nodes[i];
			const char *was_in = NULL;
			const struct ctl_node_cfg *on = find_node_cfg(old, nn->name, &was_in);

			if (on == NULL)
				diff_add(out, outlen, "node %s added to %s", nn->name,
				         new_cfg->chains[ch].name);
			else if (strcmp(on->rpc_url, nn->rpc_url) != 0 ||
			         strcmp(on->server, nn->server) != 0 || on->batch != nn->batch ||
			         strcmp(was_in, new_cfg->chains[ch].name) != 0)
				diff_add(out, outlen, "node %s changed", nn->name);
		}
	for (unsigned ch = 0; ch < old->n_chains; ch++)
		for (unsigned i = 0; i < old->chains[ch].n_nodes; i++) {
			const char *in = NULL;

			if (find_node_cfg(new_cfg, old->chains[ch].nodes[i].name, &in) == NULL)
				diff_add(out, outlen, "node %s removed from %s",
				         old->chains[ch].nodes[i].name, old->chains[ch].name);
		}
}

void ctl_cfg_diff(const struct ctl_cfg *old, const struct ctl_cfg *new_cfg, char *out,
                  size_t outlen)
{
	if (outlen == 0)
		return;
	out[0] = '\0';
	diff_top(old, new_cfg, out, outlen);
	diff_chains(old, new_cfg, out, outlen);
	diff_nodes(old, new_cfg, out, outlen);
	if (out[0] == '\0')
		snprintf(out, outlen, "no change");
}

/* ---- documentation ------------------------------------------------------- */

static const char *const type_names[] = {
    [CFG_UINT] = "integer",       [CFG_BOOL] = "bool",         [CFG_NAME] = "string",
    [CFG_PATH] = "path",          [CFG_LOG_LEVEL] = "enum",    [CFG_LISTEN] = "address",
    [CFG_SOCKETS] = "addresses",  [CFG_BACKENDS] = "names",    [CFG_URL] = "url",
    [CFG_HASH] = "hash",          [CFG_CHAINS] = "objects",    [CFG_NODES] = "objects",
    [CFG_HOSTS] = "hosts",        [CFG_CONNINFO] = "conninfo", [CFG_PROBES] = "objects",
    [CFG_LOG_LISTEN] = "address", [CFG_CACHET] = "object",     [CFG_SNAPSHOT] = "object",
};

static void dump_level(FILE *out, const char *prefix, const struct cfg_level *lvl)
{
	char def[64], range[64];

	for (size_t i = 0; i < lvl->n; i++) {
		const struct cfg_key *k = &lvl->keys[i];

		if (k->flags & CFG_REQUIRED)
			(void)snprintf(def, sizeof(def), "required");
		else if (k->type == CFG_UINT)
			(void)snprintf(def, sizeof(def), "%lld", k->def);
		else if (k->type == CFG_BOOL)
			(void)snprintf(def, sizeof(def), "%s", k->def ? "true" : "false");
		else if (k->type == CFG_BACKENDS || k->type == CFG_HOSTS || k->type == CFG_PROBES)
			(void)snprintf(def, sizeof(def), "[]");
		else
			(void)snprintf(def, sizeof(def), "%s", k->def_str ? k->def_str : "(none)");
		if (k->type == CFG_UINT)
			(void)snprintf(range, sizeof(range), "%lld..%lld", k->min, k->max);
		else if (k->type == CFG_NAME)
			(void)snprintf(range, sizeof(range), "%lld-%lld chars %s", k->min, k->max,
			               cs_desc[k->cs]);
		else if (k->type == CFG_BACKENDS)
			(void)snprintf(range, sizeof(range), "%lld..%lld items of 1-%d chars %s",
			               k->min, k->max, CTL_CFG_NAME_MAX, cs_desc[k->cs]);
		else if (k->type == CFG_HOSTS)
			(void)snprintf(range, sizeof(range), "%lld..%lld items HOST[:PORT]", k->min,
			               k->max);
		else if (k->type == CFG_SOCKETS || k->type == CFG_CHAINS || k->type == CFG_NODES ||
		         k->type == CFG_PROBES)
			(void)snprintf(range, sizeof(range), "%lld..%lld items", k->min, k->max);
		else if (k->type == CFG_HASH)
			(void)snprintf(range, sizeof(range), "0x + 64 hex digits");
		else if (k->type == CFG_PATH || k->type == CFG_URL || k->type == CFG_CONNINFO)
			(void)snprintf(range, sizeof(range), "at most %lld chars", k->max);
		else if (k->type == CFG_BOOL)
			(void)snprintf(range, sizeof(range), "true|false");
		else if (k->type == CFG_LOG_LEVEL)
			(void)snprintf(range, sizeof(range), "err|warn|info|debug");
		else if (k->type == CFG_LOG_LISTEN)
			(void)snprintf(range, sizeof(range), "udp:HOST:PORT|unix:PATH");
		else if (k->type == CFG_CACHET)
			(void)snprintf(range, sizeof(range), "{url, token_file, components}");
		else if (k->type == CFG_SNAPSHOT)
			(void)snprintf(range, sizeof(range), "{chains, s3_files, s3_tar, ...}");
		else
			(void)snprintf(range, sizeof(range), "HOST:PORT");
		(void)fprintf(out, "%s%s\t%s\t%s\t%s\t%s\n", prefix, k->key, type_names[k->type],
		              def, range, (k->flags & CFG_NO_RELOAD) ? "restart" : "yes");
	}
}

void ctl_cfg_dump_keys(FILE *out)
{
	/* Each level's array of objects is its last key: nested keys follow their parent. */
	dump_level(out, "", &levels[0]);
	(void)fprintf(out,
	              "haproxy[].socket\taddress\trequired\tunix:PATH|HOST:PORT\tyes\n"
	              "haproxy[].server_state_file\tpath\t(none)\tat most %d chars\tyes\n"
	              "probe[].region\tstring\trequired\t1-%d chars %s\tyes\n"
	              "probe[].url\turl\trequired\tat most %d chars\tyes\n"
	              "probe[].chain\tstring\t(none)\t1-%d chars %s\tyes\n"
	              "cachet.url\turl\trequired\tat most %d chars\trestart\n"
	              "cachet.token_file\tpath\trequired\tat most %d chars\trestart\n"
	              "cachet.components\tobject\trequired\t{chain: 1..2147483647}\trestart\n",
	              CTL_CFG_PATH_MAX, CTL_CFG_REGION_MAX, cs_desc[CS_LOWER], CTL_CFG_URL_MAX,
	              CTL_CFG_CHAIN_NAME_MAX, cs_desc[CS_LOWER], CTL_CFG_URL_MAX, CTL_CFG_PATH_MAX);
	dump_level(out, "chains[].", &levels[1]);
	dump_level(out, "chains[].nodes[].", &levels[2]);
	snapcfg_dump_keys(out);
}
