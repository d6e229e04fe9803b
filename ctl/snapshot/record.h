/* SPDX-License-Identifier: MIT */
/*
 * Each `snapshot publish` of a chain, successful or not, as one row of the
 * table snapshots (sql/005_snapshots.sql, 006_snapshot_cids.sql), and as the node_exporter
 * textfile the "snapshot too old" alert reads (README "Quick-sync
 * snapshots: publishing"). Recording is best effort: a database or a
 * directory that refuses it is reported by the caller as a warning and never
 * changes the outcome of the publish.
 */
#ifndef PF_CTL_SNAPSHOT_RECORD_H
#define PF_CTL_SNAPSHOT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define SNAPREC_CONNINFO_MAX 1023
#define SNAPREC_PATH_MAX     1023
#define SNAPREC_REGION_MAX   32

/* Where the rows go: the config's top-level keys database, database_password_file, region. */
struct snaprec_cfg {
	char database[SNAPREC_CONNINFO_MAX + 1]; /* "" = record nothing */
	char password_file[SNAPREC_PATH_MAX + 1];
	char region[SNAPREC_REGION_MAX + 1];
};

/* One publish of one chain. Times are Unix milliseconds. */
struct snaprec {
	const char *chain;
	const char *snapshot;   /* NULL or "" when the node was not read */
	uint64_t height;        /* meaningful when <snapshot> is set */
	const char *block_hash; /* "0x" + 64 hex, or NULL */
	int64_t started_ms, finished_ms;
	uint64_t bytes;
	const char *targets;                       /* comma-separated target names, "s3_tar" */
	const char *ipfs_files_cid, *ipfs_tar_cid; /* the IPFS copies' CIDs; NULL or "": none */
	const char *outcome;                       /* "ok", "skipped" or "failed" */
	const char *error;                         /* the reason when failed, else NULL */
};

/*
 * Reads the three keys from the JSON config text <json>/<len> into <out>;
 * absent keys are "". Pure. Returns 0, or -1 with the reason in <err> (not
 * JSON, a key not a string or too long).
 */
PF_MUSTCHECK int snaprec_cfg_parse(const char *json, size_t len, struct snaprec_cfg *out, char *err,
                                   size_t errlen);

/*
 * Inserts <r> into snapshots of <cfg>->database, the host name of this
 * machine as host. Connects with PGCONNECT_TIMEOUT 10 s unless the
 * environment sets another, so a database that is not there delays a
 * publish by that much at most. Returns 0, or -1 with the reason in <err>.
 * Blocking.
 */
PF_MUSTCHECK int snaprec_write(const struct snaprec_cfg *cfg, const struct snaprec *r, char *err,
                               size_t errlen);

/*
 * What publish_cli calls after each chain: the row of <res> (the outcome of
 * publish_chain(), <failed> with the reason <why>), between <started_ms> and
 * now, with the targets <cfg> names: the row when <rc>->database is not "",
 * the textfiles when <metrics_dir> is not NULL. A row or file that cannot be
 * written is a warning on stderr, nothing more.
 */
struct snapcfg;
struct publish_result;
void snaprec_after_publish(const struct snaprec_cfg *rc, const char *metrics_dir,
                           const struct snapcfg *cfg, const char *chain,
                           const struct publish_result *res, bool failed, const char *why,
                           int64_t started_ms);

/*
 * The node_exporter textfile lines of <r> into <out>: for "ok", the
 * last-success gauges (timestamp = finished, height, bytes, duration) when
 * <success> is true, else the last-attempt gauges (timestamp, success 1 or
 * 0) whatever the outcome. Pure. Returns the length, or -1 when <outlen> is
 * too small.
 */
int snaprec_prom_render(const struct snaprec *r, bool success, char *out, size_t outlen);

/*
 * Writes <dir>/polkfura_snapshot_<chain>_attempt.prom for every publish and
 * <dir>/polkfura_snapshot_<chain>.prom after an "ok" one, each through a
 * temporary file renamed over it, so the collector never reads half a file
 * and a failed publish leaves the last success as it was. Returns 0, or -1
 * with the reason in <err>.
 */
PF_MUSTCHECK int snaprec_prom_write(const char *dir, const struct snaprec *r, char *err,
                                    size_t errlen);

/* Unix milliseconds now (CLOCK_REALTIME). */
int64_t snaprec_now_ms(void);

#endif
