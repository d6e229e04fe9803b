#!/usr/bin/env bash
# Runs every Check binary given as an argument from the repository root and
# fails if any of them fails. The first argument is the per-test timeout in
# seconds (Check's CK_DEFAULT_TIMEOUT): unit tests get little, integration
# tests, which start real haproxy, agents and nodes, get more.
# A suite that runs no test at all (a CK_RUN_CASE or CK_RUN_SUITE naming
# nothing, a suite left empty) fails too: Check reports that as 100 %.
set -u
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-$1}
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=0
for t in "$@"; do
	echo "== ${t##*/}${PF_HAPROXY:+ (PF_HAPROXY=$PF_HAPROXY)}"
	"$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "FAILED: $t"
		failed=1
	elif ! grep -Eq 'Checks: [1-9]' "$out"; then
		echo "FAILED: $t ran no test (CK_RUN_SUITE=${CK_RUN_SUITE-} CK_RUN_CASE=${CK_RUN_CASE-})"
		failed=1
	fi
done
exit $failed
