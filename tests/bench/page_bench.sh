#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, part 7: what rendering the status page costs the
# controller's loop (README "The status page"): GET / and /status.json from
# the largest view the page shows (6 chains, 90 days each, 50 incidents),
# by tests/bench/page_bench.c on its own CPU clock, ROUNDS runs
# (PF_PAGE_ROUNDS, default 3), with how busy the rest of the machine was.
# Usage: tests/bench/page_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-page.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-page.txt
ROUNDS=${PF_PAGE_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "PF_PAGE_ROUNDS: a count" >&2; exit 2; }
TMP=
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/tests/bench/page_bench" || { echo "page_bench: build failed" >&2; exit 1; }
CLK_TCK=$(getconf CLK_TCK)
echo "== page_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
for ((r = 1; r <= ROUNDS; r++)); do
	BOX0=$(box_ticks)
	T0=$(date +%s%N)
	out=$("$BUILD/tests/bench/page_bench" 2)
	T1=$(date +%s%N)
	BOX1=$(box_ticks)
	OTHER=$(awk -v b=$((BOX1 - BOX0)) -v ns=$((T1 - T0)) -v hz="$CLK_TCK" \
		'BEGIN { w = ns / 1e9 * hz; v = (b - w) / w * 100; if (v < 0) v = 0; printf "%.0f", v }')
	NOISY=
	((OTHER > 25)) && NOISY=" (NOISY: other processes used ${OTHER} % of a core)"
	echo "round $r: other processes ${OTHER} % of a core${NOISY}"
	echo "$out"
done
