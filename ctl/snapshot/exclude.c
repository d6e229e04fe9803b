/* SPDX-License-Identifier: MIT */
/*
 * The snapshot's exclude rules (exclude.h). Names from polkadot-sdk:
 * - substrate/client/service/src/config.rs, BasePath::config_dir():
 *   `$base_path/chains/$chain_id`;
 * - substrate/client/cli/src/config.rs: DEFAULT_NETWORK_CONFIG_PATH
 *   "network", joined to that config dir (build_net_config_dir);
 * - substrate/client/cli/src/params/node_key_params.rs:
 *   NODE_KEY_ED25519_FILE "secret_ed25519" inside the network dir;
 * - substrate/client/cli/src/params/keystore_params.rs:
 *   DEFAULT_KEYSTORE_CONFIG_PATH "keystore" inside the config dir;
 * - cumulus' RelayChainCli::new(): the relay chain's base path is the
 *   collator's base path joined with "polkadot".
 * The key and keystore rules match at any depth rather than only at
 * chains/<id>/, so the collator's polkadot/ copy and any layout we have not
 * seen are covered too: leaving out a directory that merely shares the name
 * costs a re-sync of nothing, shipping a key costs the node its identity.
 */
#include "ctl/snapshot/exclude.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#define NODE_KEY_TAIL "network/secret_ed25519"

static bool is_node_key(const char *rel, size_t len)
{
	size_t tl = sizeof(NODE_KEY_TAIL) - 1;

	if (len < tl || memcmp(rel + len - tl, NODE_KEY_TAIL, tl) != 0)
		return false;
	return len == tl || rel[len - tl - 1] == '/';
}

static bool has_component(const char *rel, const char *name)
{
	size_t nl = strlen(name);
	const char *p = rel;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t cl = slash ? (size_t)(slash - p) : strlen(p);

		if (cl == nl && memcmp(p, name, nl) == 0)
			return true;
		if (slash == NULL)
			return false;
		p = slash + 1;
	}
}

bool exclude_pattern_is_valid(const char *pat, char *err, size_t errlen)
{
	size_t len = strnlen(pat, EXCLUDE_PATH_MAX);
	const char *p = pat;

	if (len == 0) {
		snprintf(err, errlen, "empty pattern");
		return false;
	}
	if (len == EXCLUDE_PATH_MAX) {
		snprintf(err, errlen, "pattern longer than %d bytes", EXCLUDE_PATH_MAX - 1);
		return false;
	}
	if (pat[0] == '/') {
		snprintf(err, errlen, "pattern is relative to the base path: no leading '/'");
		return false;
	}
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t cl = slash ? (size_t)(slash - p) : strlen(p);

		/* A trailing '/' (directories only) leaves one empty last component. */
		if ((cl == 0 && slash != NULL) || (cl == 2 && p[0] == '.' && p[1] == '.')) {
			snprintf(err, errlen, "pattern has an empty or '..' component");
			return false;
		}
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

/*
 * Whether <pat> matches <path> (NUL-terminated in <buf>) or one of the
 * directories above it; <is_dir> is the whole path's type.
 */
static bool pattern_matches(const char *pat, char *path, size_t len, bool is_dir)
{
	char pbuf[EXCLUDE_PATH_MAX];
	size_t pl = strnlen(pat, EXCLUDE_PATH_MAX);
	bool dir_only = false;

	if (pl == 0 || pl == EXCLUDE_PATH_MAX)
		return false;
	memcpy(pbuf, pat, pl + 1);
	if (pbuf[pl - 1] == '/') {
		dir_only = true;
		pbuf[pl - 1] = '\0';
	}
	/* Every proper prefix ending before a '/' names a directory. */
	for (size_t i = 0; i < len; i++) {
		bool hit;

		if (path[i] != '/')
			continue;
		path[i] = '\0';
		hit = fnmatch(pbuf, path, FNM_PATHNAME) == 0;
		path[i] = '/';
		if (hit)
			return true;
	}
	return (!dir_only || is_dir) && fnmatch(pbuf, path, FNM_PATHNAME) == 0;
}

enum exclude_why exclude_match(const struct exclude_set *ex, const char *rel, bool is_dir)
{
	char buf[EXCLUDE_PATH_MAX];
	size_t len = strnlen(rel, EXCLUDE_PATH_MAX);

	if (len == EXCLUDE_PATH_MAX)
		return EXCLUDE_TOO_LONG;
	if (is_node_key(rel, len))
		return EXCLUDE_NODE_KEY;
	if (has_component(rel, "keystore"))
		return EXCLUDE_KEYSTORE;
	if (ex == NULL)
		return EXCLUDE_NONE;
	memcpy(buf, rel, len + 1);
	for (size_t i = 0; i < ex->n; i++)
		if (pattern_matches(ex->patterns[i], buf, len, is_dir))
			return EXCLUDE_PATTERN;
	return EXCLUDE_NONE;
}

const char *exclude_why_name(enum exclude_why why)
{
	static const char *const names[EXCLUDE_COUNT] = {
	    [EXCLUDE_NONE] = "none",         [EXCLUDE_NODE_KEY] = "node-key",
	    [EXCLUDE_KEYSTORE] = "keystore", [EXCLUDE_PATTERN] = "pattern",
	    [EXCLUDE_TOO_LONG] = "too-long",
	};

	return (unsigned)why < EXCLUDE_COUNT ? names[why] : "unknown";
}
