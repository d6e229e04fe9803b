/* SPDX-License-Identifier: MIT */
/*
 * What a snapshot of a node's base path leaves out: the node's network key,
 * every keystore, and the operator's glob patterns. Pure: no I/O, no
 * allocation; the walk (walk.c) asks it once per entry, and the file list
 * of the uncompressed target can ask it the same way.
 *
 * The layout comes from polkadot-sdk: the base path holds
 * chains/<chain id>/network/secret_ed25519 and chains/<chain id>/keystore/,
 * and a collator keeps its relay chain's node under polkadot/ in the same
 * layout (see exclude.c for the source files).
 */
#ifndef PF_CTL_SNAPSHOT_EXCLUDE_H
#define PF_CTL_SNAPSHOT_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest relative path, NUL included, that exclude_match() reads whole. */
#define EXCLUDE_PATH_MAX 4096

enum exclude_why {
	EXCLUDE_NONE = 0,
	EXCLUDE_NODE_KEY, /* .../network/secret_ed25519 */
	EXCLUDE_KEYSTORE, /* a path with a component named keystore */
	EXCLUDE_PATTERN,  /* one of the configured patterns */
	EXCLUDE_TOO_LONG, /* longer than EXCLUDE_PATH_MAX: left out, never guessed */
	EXCLUDE_COUNT,
};

/* The configured patterns; <patterns> is borrowed from the config. */
struct exclude_set {
	const char *const *patterns;
	size_t n;
};

/*
 * Checks one configured pattern: non-empty, relative (no leading '/'),
 * shorter than EXCLUDE_PATH_MAX, no empty or `..` component. Returns true, or
 * false with the reason in <err>/<errlen>.
 */
bool exclude_pattern_is_valid(const char *pat, char *err, size_t errlen);

/*
 * Whether <rel>, a path relative to the base path ("chains/polkadot/db"),
 * without a leading '/' and with no empty, "." or ".." component, is left
 * out, and why. <is_dir> says whether <rel> names a directory (a pattern
 * ending in '/' matches only directories). A pattern also matches every
 * path below a directory it matches, so the answer for a path does not
 * depend on the walk having skipped its parent. <ex> may be NULL.
 * Patterns are matched with fnmatch(3) and FNM_PATHNAME: '*' and '?'
 * never match '/', and a leading '.' is not special.
 */
enum exclude_why exclude_match(const struct exclude_set *ex, const char *rel, bool is_dir);

/* A word for <why> for messages and counters ("node-key"), never NULL. */
const char *exclude_why_name(enum exclude_why why);

#endif
