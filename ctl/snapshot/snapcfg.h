/* SPDX-License-Identifier: MIT */
/*
 * The "snapshot" object of the controller's config (ctl/CONFIG.md): what
 * `polkfura-ctl snapshot publish` reads. Parsed on its own, from the whole
 * config text, so a publisher host needs no valid "chains" of its own and
 * `check` can validate the section with the same code. Pure: text in,
 * struct out, no I/O and no clock. No credentials are accepted here: they
 * come from the environment or the instance profile (s3creds.h).
 */
#ifndef PF_CTL_SNAPSHOT_SNAPCFG_H
#define PF_CTL_SNAPSHOT_SNAPCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/compiler.h"
#include "common/text.h"

#define SNAPCFG_MAX_CHAINS   8
#define SNAPCFG_ARGV_MAX     32   /* items of a hook's argv */
#define SNAPCFG_ARG_MAX      1023 /* bytes of one argv item */
#define SNAPCFG_EXCLUDE_MAX  64   /* patterns per chain */
#define SNAPCFG_PATH_MAX     1023 /* base_path */
#define SNAPCFG_URL_MAX      255  /* rpc, endpoint */
#define SNAPCFG_BUCKET_MAX   63   /* S3's bucket naming rules */
#define SNAPCFG_REGION_MAX   32
#define SNAPCFG_PREFIX_MAX   255
#define SNAPCFG_PART_MIN_MB  5    /* S3: a part other than the last is at least 5 MiB */
#define SNAPCFG_PART_MAX_MB  5120 /* S3: a part is at most 5 GiB */
#define SNAPCFG_PARTS_MAX    10000
#define SNAPCFG_PARALLEL_MAX 16
#define SNAPCFG_STATE_DIR    "/var/lib/polkfura/snapshot"
#define SNAPCFG_OBJECT_MAX   (5ULL << 40) /* S3: an object is at most 5 TiB */

/*
 * The defaults keep publish under 100 MB of RSS (tests/bench/publish_bench.sh):
 * (parallel + 1) x 16 MiB of parts, 48 MiB, beside the packer's 25 MB. Up to
 * 10,000 x 16 MiB (156 GiB) of tar the part stays 16 MiB; above, publish takes
 * larger parts (partsize.h) and memory grows with them.
 */
#define SNAPCFG_PART_DEF_MB  16
#define SNAPCFG_PARALLEL_DEF 2

/* One S3 target; <on> false when the config does not name it. */
struct snapcfg_target {
	bool on;
	char bucket[SNAPCFG_BUCKET_MAX + 1];
	char region[SNAPCFG_REGION_MAX + 1];
	char endpoint[SNAPCFG_URL_MAX + 1]; /* "" = AWS; no trailing '/' */
	char
	    prefix[SNAPCFG_PREFIX_MAX + 1]; /* "" = the bucket's root; no leading or trailing '/' */
	/* "" = none. The CDN readers GET it through; `fetch --config` reads it, publish not. */
	char cdn_url[SNAPCFG_URL_MAX + 1];
};

/*
 * The IPFS target: a node's HTTP API, which gets a copy of each artifact
 * the S3 targets publish; <on> false when the config does not name it.
 */
struct snapcfg_ipfs {
	bool on;
	char api[SNAPCFG_URL_MAX +
	         1];        /* http:// to loopback or https://; no path, no '/' at the end */
	unsigned timeout_s; /* one add, whole; 0: no limit */
};

/* A hook: argv run without a shell; n == 0 when absent. Strings owned. */
struct snapcfg_hook {
	char *argv[SNAPCFG_ARGV_MAX + 1]; /* NULL-terminated, for execv */
	unsigned n;
};

struct snapcfg_chain {
	char name[PF_CHAIN_NAME_MAX + 1];
	char base_path[SNAPCFG_PATH_MAX + 1]; /* absolute, no trailing '/' */
	char rpc[SNAPCFG_URL_MAX + 1];        /* the node's HTTP JSON-RPC */
	struct snapcfg_hook pre, post;
	unsigned hook_timeout_s;
	char *exclude[SNAPCFG_EXCLUDE_MAX]; /* owned; valid exclude_pattern_is_valid() patterns */
	unsigned n_exclude;
};

struct snapcfg {
	struct snapcfg_chain chain[SNAPCFG_MAX_CHAINS];
	unsigned n_chains;
	struct snapcfg_target s3_files, s3_tar;
	struct snapcfg_ipfs ipfs;
	unsigned retention;    /* snapshots kept per chain, >= 1 */
	unsigned part_size_mb; /* multipart part size, MiB */
	unsigned parallel;     /* parts in flight */
	/* upload state files, to resume a killed publish (ctl/snapshot/mpwrite.h) */
	char state_dir[SNAPCFG_PATH_MAX + 1];
};

/*
 * Finds the top-level "snapshot" key of the JSON config text <json>/<len>
 * and parses it into <out> (zeroed first); every other key is ignored.
 * <*present> says whether the key was there (<out> is then valid; when it
 * is absent, <out> stays zeroed and 0 is returned). Returns 0, or -1 with
 * "snapshot.<key path>: reason" in <err> and nothing left to free. On
 * success free <out> with snapcfg_free(). Not thread-safe (cJSON).
 */
PF_MUSTCHECK int snapcfg_parse(const char *json, size_t len, struct snapcfg *out, bool *present,
                               char *err, size_t errlen);

/* Frees the strings <cfg> owns and zeroes it; a zeroed struct is fine. */
void snapcfg_free(struct snapcfg *cfg);

/* The chain named <name>, or NULL. */
const struct snapcfg_chain *snapcfg_chain(const struct snapcfg *cfg, const char *name);

/* The largest object <part_size_mb> parts can make (10,000 of them, 5 TiB at most), bytes. */
uint64_t snapcfg_max_object(unsigned part_size_mb);

/* The section's keys for `polkfura-ctl keys`, in ctl_cfg_dump_keys()'s format. */
void snapcfg_dump_keys(FILE *out);

#endif
