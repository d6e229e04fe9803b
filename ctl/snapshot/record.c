/* SPDX-License-Identifier: MIT */
/*
 * The snapshots row of one publish, written with libpq's blocking API as
 * `note` writes its row: the publisher is a CLI run by a timer, with
 * nothing else to do meanwhile. Its id is random: a publish retried by the
 * timer is a second attempt, and recorded as one.
 */
#include "ctl/snapshot/record.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "common/text.h"
#include "ctl/db/dbconn.h"
#include "ctl/db/migrate.h"
#include "ctl/snapshot/publish.h"
#include "ctl/snapshot/snapcfg.h"

static int key(const cJSON *root, const char *name, char *out, size_t outlen, char *err,
               size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);

	out[0] = '\0';
	if (it == NULL)
		return 0;
	if (!cJSON_IsString(it) || strlen(it->valuestring) >= outlen) {
		pf_errf(err, errlen, "%s: a string of at most %zu bytes", name, outlen - 1);
		return -1;
	}
	memcpy(out, it->valuestring, strlen(it->valuestring) + 1);
	return 0;
}

int snaprec_cfg_parse(const char *json, size_t len, struct snaprec_cfg *out, char *err,
                      size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (root == NULL || !cJSON_IsObject(root)) {
		pf_errf(err, errlen, "not a JSON object");
		rc = -1;
	} else if (key(root, "database", out->database, sizeof(out->database), err, errlen) == -1 ||
	           key(root, "database_password_file", out->password_file,
	               sizeof(out->password_file), err, errlen) == -1 ||
	           key(root, "region", out->region, sizeof(out->region), err, errlen) == -1) {
		rc = -1;
	}
	cJSON_Delete(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* "{a,b}": the targets as a PostgreSQL array literal; names are [a-z0-9_], nothing to quote. */
static void targets_array(const char *csv, char *out, size_t outlen)
{
	(void)snprintf(out, outlen, "{%s}", csv != NULL ? csv : "");
}

int snaprec_write(const struct snaprec_cfg *cfg, const struct snaprec *r, char *err, size_t errlen)
{
	struct migrate_opts mo = {cfg->database, cfg->password_file, NULL};
	char id[40], host[256] = "?", height[24], started[32], finished[32], dur[24], bytes[24],
	             targets[256];
	const char *params[16];
	unsigned char raw[16];
	bool read_node = r->snapshot != NULL && r->snapshot[0] != '\0';
	PGconn *c;
	int rc = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		pf_errf(err, errlen, "getrandom: no randomness for the row's id");
		return -1;
	}
	memcpy(id, "snap-", 5);
	for (size_t i = 0; i < sizeof(raw); i++)
		(void)snprintf(id + 5 + 2 * i, 3, "%02x", raw[i]);
	if (gethostname(host, sizeof(host)) == -1)
		(void)snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	(void)snprintf(height, sizeof(height), "%" PRIu64, r->height);
	/* Milliseconds as seconds with three decimals: to_timestamp() takes them exactly. */
	(void)snprintf(started, sizeof(started), "%" PRId64 ".%03d", r->started_ms / 1000,
	               (int)(r->started_ms % 1000));
	(void)snprintf(finished, sizeof(finished), "%" PRId64 ".%03d", r->finished_ms / 1000,
	               (int)(r->finished_ms % 1000));
	(void)snprintf(dur, sizeof(dur), "%" PRId64,
	               r->finished_ms > r->started_ms ? r->finished_ms - r->started_ms : 0);
	(void)snprintf(bytes, sizeof(bytes), "%" PRIu64, r->bytes);
	targets_array(r->targets, targets, sizeof(targets));
	params[0] = id;
	params[1] = cfg->region;
	params[2] = host;
	params[3] = r->chain;
	params[4] = read_node ? r->snapshot : NULL;
	params[5] = read_node ? height : NULL;
	params[6] = read_node ? r->block_hash : NULL;
	params[7] = started;
	params[8] = finished;
	params[9] = dur;
	params[10] = bytes;
	params[11] = targets;
	params[12] = r->outcome;
	params[13] = strcmp(r->outcome, "failed") == 0 ? (r->error != NULL ? r->error : "?") : NULL;
	params[14] = r->ipfs_files_cid != NULL && r->ipfs_files_cid[0] ? r->ipfs_files_cid : NULL;
	params[15] = r->ipfs_tar_cid != NULL && r->ipfs_tar_cid[0] ? r->ipfs_tar_cid : NULL;
	/* libpq's default is to wait for ever on a host that drops the SYN. */
	(void)setenv("PGCONNECT_TIMEOUT", "10", 0);
	c = migrate_connect(&mo, &rc, err, errlen);
	if (c == NULL)
		return -1;
	rc =
	    db_exec(c,
	            "INSERT INTO snapshots (id, region, host, chain, snapshot, height, block_hash, "
	            "started, finished, duration_ms, bytes, targets, outcome, error, "
	            "ipfs_files_cid, ipfs_tar_cid) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	            "to_timestamp($8), to_timestamp($9), $10, $11, $12, $13, $14, $15, $16)",
	            16, params, NULL, "the publish was not recorded", "snapshots",
	            "006_snapshot_cids.sql", err, errlen);
	PQfinish(c);
	return rc;
}

int64_t snaprec_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void snaprec_after_publish(const struct snaprec_cfg *rc, const char *metrics_dir,
                           const struct snapcfg *cfg, const char *chain,
                           const struct publish_result *res, bool failed, const char *why,
                           int64_t started_ms)
{
	char targets[64] = "", err[1024];
	struct snaprec r = {
	    .chain = chain,
	    .snapshot = res->snapshot,
	    .height = res->height,
	    .block_hash = res->block_hash,
	    .started_ms = started_ms,
	    .finished_ms = snaprec_now_ms(),
	    .bytes = failed || res->skipped ? 0 : res->tar_bytes,
	    .targets = targets,
	    .outcome = failed         ? "failed"
	               : res->skipped ? "skipped"
	                              : "ok",
	    .error = failed ? why : NULL,
	    .ipfs_files_cid = failed || res->skipped ? NULL : res->ipfs_files_cid,
	    .ipfs_tar_cid = failed || res->skipped ? NULL : res->ipfs_tar_cid,
	};

	if (metrics_dir != NULL && snaprec_prom_write(metrics_dir, &r, err, sizeof(err)) == -1)
		fprintf(stderr,
		        "polkfura-ctl: snapshot publish %s: warning: metrics not written (the "
		        "publish itself is not affected): %s\n",
		        chain, err);
	if (rc->database[0] == '\0')
		return;
	if (cfg->s3_tar.on)
		(void)snprintf(targets, sizeof(targets), "s3_tar");
	if (cfg->s3_files.on)
		(void)snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets), "%s%s",
		               targets[0] != '\0' ? "," : "", "s3_files");
	if (cfg->ipfs.on)
		(void)snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets),
		               ",ipfs");
	if (snaprec_write(rc, &r, err, sizeof(err)) == -1)
		fprintf(stderr,
		        "polkfura-ctl: snapshot publish %s: warning: not recorded in the database "
		        "(the publish itself is not affected): %s\n",
		        chain, err);
}

/* Milliseconds as seconds with three decimals, the way Prometheus reads floats. */
static void secs(int64_t ms, char *out, size_t outlen)
{
	(void)snprintf(out, outlen, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

int snaprec_prom_render(const struct snaprec *r, bool success, char *out, size_t outlen)
{
	char at[32], dur[32];
	int n;

	secs(r->finished_ms, at, sizeof(at));
	secs(r->finished_ms > r->started_ms ? r->finished_ms - r->started_ms : 0, dur, sizeof(dur));
	if (success)
		n = snprintf(
		    out, outlen,
		    "# HELP polkfura_snapshot_last_success_timestamp_seconds When the chain's last "
		    "successful snapshot publish finished.\n"
		    "# TYPE polkfura_snapshot_last_success_timestamp_seconds gauge\n"
		    "polkfura_snapshot_last_success_timestamp_seconds{chain=\"%s\"} %s\n"
		    "# HELP polkfura_snapshot_last_success_height Block height of the chain's last "
		    "published snapshot.\n"
		    "# TYPE polkfura_snapshot_last_success_height gauge\n"
		    "polkfura_snapshot_last_success_height{chain=\"%s\"} %" PRIu64 "\n"
		    "# HELP polkfura_snapshot_last_success_bytes Bytes uploaded by the chain's "
		    "last "
		    "successful publish.\n"
		    "# TYPE polkfura_snapshot_last_success_bytes gauge\n"
		    "polkfura_snapshot_last_success_bytes{chain=\"%s\"} %" PRIu64 "\n"
		    "# HELP polkfura_snapshot_last_success_duration_seconds How long the chain's "
		    "last "
		    "successful publish took, hooks included.\n"
		    "# TYPE polkfura_snapshot_last_success_duration_seconds gauge\n"
		    "polkfura_snapshot_last_success_duration_seconds{chain=\"%s\"} %s\n",
		    r->chain, at, r->chain, r->height, r->chain, r->bytes, r->chain, dur);
	else
		n = snprintf(
		    out, outlen,
		    "# HELP polkfura_snapshot_last_attempt_timestamp_seconds When the "
		    "chain's last snapshot publish, successful or not, finished.\n"
		    "# TYPE polkfura_snapshot_last_attempt_timestamp_seconds gauge\n"
		    "polkfura_snapshot_last_attempt_timestamp_seconds{chain=\"%s\"} %s\n"
		    "# HELP polkfura_snapshot_last_attempt_success 1 when the chain's last "
		    "publish succeeded (or found its block already published), 0 when it "
		    "failed.\n"
		    "# TYPE polkfura_snapshot_last_attempt_success gauge\n"
		    "polkfura_snapshot_last_attempt_success{chain=\"%s\"} %d\n",
		    r->chain, at, r->chain, strcmp(r->outcome, "failed") != 0);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

static int put_file(const char *dir, const char *name, const char *text, char *err, size_t errlen)
{
	char path[2048], tmp[2100];
	size_t len = strlen(text);
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* node_exporter reads only *.prom: the temporary name is never collected. */
	(void)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		pf_errf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		pf_errf(err, errlen, "%s: %s", tmp, strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int snaprec_prom_write(const char *dir, const struct snaprec *r, char *err, size_t errlen)
{
	char text[4096], name[128];

	if (snaprec_prom_render(r, false, text, sizeof(text)) == -1) {
		pf_errf(err, errlen, "the metrics do not fit");
		return -1;
	}
	(void)snprintf(name, sizeof(name), "polkfura_snapshot_%s_attempt.prom", r->chain);
	if (put_file(dir, name, text, err, errlen) == -1)
		return -1;
	if (strcmp(r->outcome, "ok") != 0)
		return 0;
	if (snaprec_prom_render(r, true, text, sizeof(text)) == -1) {
		pf_errf(err, errlen, "the metrics do not fit");
		return -1;
	}
	(void)snprintf(name, sizeof(name), "polkfura_snapshot_%s.prom", r->chain);
	return put_file(dir, name, text, err, errlen);
}
