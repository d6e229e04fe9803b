/* SPDX-License-Identifier: MIT */
/* `polkfura-ctl snapshot publish --config FILE [--chain C]`: options, config, credentials. */
#ifndef PF_CTL_SNAPSHOT_PUBLISH_CLI_H
#define PF_CTL_SNAPSHOT_PUBLISH_CLI_H

/*
 * Runs the command; <argv>[0] is "publish". Returns the exit code: 0 when
 * every chain published, 1 when one failed, 2 for a usage or config error.
 */
int publish_cli(int argc, char **argv, const char *default_config, const char *version);

#endif
