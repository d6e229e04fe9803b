#!/usr/bin/env bash
# Runs every unit-test binary given as an argument (Check, forking mode) from
# the repository root and fails if any of them fails.
set -u
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-30}
failed=0
for t in "$@"; do
	echo "== ${t##*/}"
	"$t" || { echo "FAILED: $t"; failed=1; }
done
exit $failed
