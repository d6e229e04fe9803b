/* SPDX-License-Identifier: MIT */
#include "ctl/snapshot/publish_cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "ctl/snapshot/hook.h"
#include "ctl/snapshot/hookmark.h"
#include "ctl/snapshot/publish.h"
#include "ctl/snapshot/record.h"
#include "ctl/snapshot/s3creds.h"
#include "ctl/snapshot/snapcfg.h"

#define CFG_FILE_MAX (4u << 20)

/* Credentials: the environment first, else the instance profile; never the config or argv. */
static int creds(struct s3_creds *cr)
{
	char err[512];

	if (s3_creds_from_env(cr) == 0)
		return 0;
	if (s3_creds_from_imds(cr, NULL, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr,
	        "polkfura-ctl: snapshot publish: no S3 credentials: AWS_ACCESS_KEY_ID and "
	        "AWS_SECRET_ACCESS_KEY are not set, and the instance profile: %s\n",
	        err);
	return -1;
}

static int publish_all(const struct snapcfg *cfg, const struct snaprec_cfg *rec,
                       const char *metrics_dir, const char *chain, const char *version)
{
	struct s3_creds cr;
	char tool[MANIFEST_TOOL_MAX + 1], err[2048];
	int failed = 0;

	if (chain != NULL && snapcfg_chain(cfg, chain) == NULL) {
		fprintf(stderr,
		        "polkfura-ctl: snapshot publish: no chain \"%s\" in snapshot.chains\n",
		        chain);
		return 2;
	}
	if (creds(&cr) == -1)
		return 2;
	(void)snprintf(tool, sizeof(tool), "polkfura-ctl %s", version);
	for (unsigned i = 0; i < cfg->n_chains; i++) {
		const struct snapcfg_chain *ch = &cfg->chain[i];
		struct publish_result res;
		int64_t started = snaprec_now_ms();
		int prc;

		if (chain != NULL && strcmp(chain, ch->name) != 0)
			continue;
		prc =
		    publish_chain(cfg, ch, &cr, tool, (int64_t)time(NULL), &res, err, sizeof(err));
		snaprec_after_publish(rec, metrics_dir, cfg, ch->name, &res, prc == -1, err,
		                      started);
		if (prc == -1) {
			fprintf(stderr, "polkfura-ctl: snapshot publish %s: %s\n", ch->name, err);
			failed = 1;
			continue;
		}
		if (res.skipped) {
			printf("%s: %s (height %llu) is already published; nothing written\n",
			       ch->name, res.snapshot, (unsigned long long)res.height);
			continue;
		}
		printf("%s: published %s (height %llu)", ch->name, res.snapshot,
		       (unsigned long long)res.height);
		if (cfg->s3_files.on)
			printf(", %llu files %llu bytes SHA256SUMS sha256 %s",
			       (unsigned long long)res.files, (unsigned long long)res.files_bytes,
			       res.files_sha256);
		if (cfg->s3_tar.on)
			printf(", tar %llu bytes sha256 %s in %llu MiB parts",
			       (unsigned long long)res.tar_bytes, res.tar_sha256,
			       (unsigned long long)(res.tar_part_size >> 20));
		if (cfg->ipfs.on)
			printf(", ipfs files %s tar %s",
			       res.ipfs_files_cid[0] ? res.ipfs_files_cid : "-",
			       res.ipfs_tar_cid[0] ? res.ipfs_tar_cid : "-");
		if (cfg->ipfs.on)
			printf(", %u old IPFS copies unpinned, %u unpin errors", res.unpin.unpinned,
			       res.unpin.failed);
		printf(", %u old objects deleted\n", res.deleted);
		if (res.unpin.failed > 0)
			fprintf(stderr,
			        "polkfura-ctl: snapshot publish %s: warning: %u unpin errors, the "
			        "first: %s\n",
			        ch->name, res.unpin.failed, res.unpin.first);
	}
	memset(&cr, 0, sizeof(cr));
	return failed;
}

/*
 * The options of `snapshot <cmd>`: --config and --chain, and --metrics-dir
 * when <metrics_dir> is not NULL. 0, or 2 (the exit code) after saying why.
 */
static int parse_opts(int argc, char **argv, const char *cmd, const char **config,
                      const char **chain, const char **metrics_dir)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"chain", required_argument, NULL, 'C'},
	    {"metrics-dir", required_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (opt == 'c')
			*config = optarg;
		else if (opt == 'C')
			*chain = optarg;
		else if (opt == 'm' && metrics_dir != NULL)
			*metrics_dir = optarg;
		else {
			fprintf(stderr, "polkfura-ctl: snapshot %s takes --config FILE%s\n", cmd,
			        metrics_dir != NULL ? ", --chain NAME and --metrics-dir DIR"
			                            : " and --chain NAME");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "polkfura-ctl: '%s': unexpected argument\n", argv[optind]);
		return 2;
	}
	return 0;
}

/*
 * The config's snapshot section into <cfg> and, when <rec> is not NULL,
 * what the record needs into <rec>. 0, or 2 (the exit code) after saying
 * why; on 0 free <cfg> with snapcfg_free().
 */
static int load_config(const char *config, struct snapcfg *cfg, struct snaprec_cfg *rec)
{
	char err[2048];
	bool present;
	size_t len;
	char *text;
	int rc;

	text = pf_read_file(config, CFG_FILE_MAX, &len, err, sizeof(err));
	if (text == NULL) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		return 2;
	}
	rc = snapcfg_parse(text, len, cfg, &present, err, sizeof(err));
	if (rc == 0 && present && rec != NULL &&
	    snaprec_cfg_parse(text, len, rec, err, sizeof(err)) == -1) {
		snapcfg_free(cfg);
		rc = -1;
	}
	free(text);
	if (rc == -1 || !present) {
		fprintf(stderr, "polkfura-ctl: %s: %s\n", config,
		        rc == -1 ? err : "no \"snapshot\" section (ctl/CONFIG.md)");
		return 2;
	}
	return 0;
}

int publish_cli(int argc, char **argv, const char *default_config, const char *version)
{
	const char *config = default_config, *chain = NULL, *metrics_dir = NULL;
	struct snapcfg cfg;
	struct snaprec_cfg rec;
	int rc;

	if (parse_opts(argc, argv, "publish", &config, &chain, &metrics_dir) != 0 ||
	    load_config(config, &cfg, &rec) != 0)
		return 2;
	if (rec.database[0] == '\0')
		fprintf(stderr,
		        "polkfura-ctl: %s has no database key: this publish is not recorded\n",
		        config);
	rc = publish_all(&cfg, &rec, metrics_dir, chain, version);
	snapcfg_free(&cfg);
	return rc;
}

/*
 * One chain's interrupted publish: its post hook, when a mark says pre ran
 * and post did not. 0 (nothing to do, or post ran), or 1.
 */
static int recover_chain(const struct snapcfg *cfg, const struct snapcfg_chain *ch)
{
	char err[1024];
	pid_t pid;
	int rc;

	rc = hookmark_pending(cfg->state_dir, ch->name, &pid, err, sizeof(err));
	if (rc == -1) {
		fprintf(stderr, "polkfura-ctl: snapshot recover %s: %s\n", ch->name, err);
		return 1;
	}
	if (rc == 0) {
		printf("%s: no interrupted publish\n", ch->name);
		return 0;
	}
	/* Its own publish, or one still running, finishes the job itself. */
	if (pid > 0 && pid != getpid() && kill(pid, 0) == 0) {
		fprintf(stderr,
		        "polkfura-ctl: snapshot recover %s: the publish of pid %ld still runs; its "
		        "post hook is its own\n",
		        ch->name, (long)pid);
		return 1;
	}
	if (ch->post.n == 0) {
		fprintf(stderr, "polkfura-ctl: snapshot recover %s: no post hook in the config\n",
		        ch->name);
		return 1;
	}
	if (hook_run(ch->post.argv, ch->hook_timeout_s * 1000u, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: snapshot recover %s: post hook: %s\n", ch->name,
		        err);
		return 1;
	}
	if (hookmark_clear(cfg->state_dir, ch->name, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: snapshot recover %s: post hook ran: %s\n", ch->name,
		        err);
		return 1;
	}
	printf("%s: post hook run for the publish (pid %ld) interrupted after its pre hook\n",
	       ch->name, (long)pid);
	return 0;
}

int recover_cli(int argc, char **argv, const char *default_config)
{
	const char *config = default_config, *chain = NULL;
	struct snapcfg cfg;
	int failed = 0;

	if (parse_opts(argc, argv, "recover", &config, &chain, NULL) != 0 ||
	    load_config(config, &cfg, NULL) != 0)
		return 2;
	if (chain != NULL && snapcfg_chain(&cfg, chain) == NULL) {
		fprintf(stderr,
		        "polkfura-ctl: snapshot recover: no chain \"%s\" in snapshot.chains\n",
		        chain);
		snapcfg_free(&cfg);
		return 2;
	}
	for (unsigned i = 0; i < cfg.n_chains; i++)
		if (chain == NULL || strcmp(chain, cfg.chain[i].name) == 0)
			failed |= recover_chain(&cfg, &cfg.chain[i]);
	snapcfg_free(&cfg);
	return failed;
}
