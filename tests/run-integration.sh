#!/usr/bin/env bash
# Runs every integration-test binary given as an argument from the repository
# root. Each binary is a Check suite that starts and stops its own real
# haproxy, agent and simulated nodes on loopback ports.
set -u
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
failed=0
for t in "$@"; do
	echo "== ${t##*/}"
	"$t" || { echo "FAILED: $t"; failed=1; }
done
exit $failed
