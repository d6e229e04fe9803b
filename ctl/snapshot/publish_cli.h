/* SPDX-License-Identifier: MIT */
/* `polkfura-ctl snapshot publish` and `snapshot recover`: options, config, credentials. */
#ifndef PF_CTL_SNAPSHOT_PUBLISH_CLI_H
#define PF_CTL_SNAPSHOT_PUBLISH_CLI_H

/*
 * Runs the command; <argv>[0] is "publish". Returns the exit code: 0 when
 * every chain published, 1 when one failed, 2 for a usage or config error.
 */
int publish_cli(int argc, char **argv, const char *default_config, const char *version);

/*
 * `snapshot recover --config FILE [--chain C]` (the publisher unit's
 * ExecStopPost): runs the post hook of each chain whose publish was
 * interrupted after its pre hook (hookmark.h). 0 when nothing was pending
 * or every post hook ran, 1 when one failed or its publish still runs, 2
 * for a usage or config error.
 */
int recover_cli(int argc, char **argv, const char *default_config);

#endif
