#!/usr/bin/env bash
# Runs every Check binary given as an argument from the repository root and
# fails if any of them fails. The first argument is the per-test timeout in
# seconds (Check's CK_DEFAULT_TIMEOUT): unit tests get little, integration
# tests, which start real haproxy, agents and nodes, get more.
set -u
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-$1}
shift
failed=0
for t in "$@"; do
	echo "== ${t##*/}${PF_HAPROXY:+ (PF_HAPROXY=$PF_HAPROXY)}"
	"$t" || { echo "FAILED: $t"; failed=1; }
done
exit $failed
