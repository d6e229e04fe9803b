#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, part 6: the pure half of the controller's log ingestion
# (ctl/stats: syslog header, access line, per-minute aggregation) on one
# core, from the datagrams HAProxy 2.6 and 3.4 sent (tests/data/haproxy-logs/)
# and from a line per method of haproxy/methods.tsv on three chains and three
# statuses. The driver is tests/bench/logparse_bench.c; it times itself by
# its own CPU clock. The issue's target, 100,000 lines/s, is for the whole
# ingest path (socket reads included, not measured here): PASS/MISS is
# printed against the pure part. ROUNDS runs (PF_LOGPARSE_ROUNDS, default
# 3); how busy the rest of the machine was is printed (over 25 % of a core
# is flagged NOISY).
# Usage: tests/bench/logparse_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-logparse.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-logparse.txt
ROUNDS=${PF_LOGPARSE_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "PF_LOGPARSE_ROUNDS: a count" >&2; exit 2; }
TMP=
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
die() {
	echo "logparse_bench: $*" >&2
	exit 1
}
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/tests/bench/logparse_bench" || die "build failed"
CLK_TCK=$(getconf CLK_TCK)
echo "== logparse_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
	"$(git diff --quiet HEAD -- ctl/stats 2>/dev/null || echo '(ctl/stats changed locally)')"
for ((r = 1; r <= ROUNDS; r++)); do
	BOX0=$(box_ticks)
	T0=$(date +%s%N)
	out=$("$BUILD/tests/bench/logparse_bench" 2)
	T1=$(date +%s%N)
	BOX1=$(box_ticks)
	# The driver used one core for the whole run; the rest is other processes.
	OTHER=$(awk -v b=$((BOX1 - BOX0)) -v ns=$((T1 - T0)) -v hz="$CLK_TCK" \
		'BEGIN { w = ns / 1e9 * hz; v = (b - w) / w * 100; if (v < 0) v = 0; printf "%.0f", v }')
	NOISY=
	((OTHER > 25)) && NOISY=" (NOISY: other processes used ${OTHER} % of a core)"
	echo "round $r: other processes ${OTHER} % of a core${NOISY}"
	echo "$out" | sed 1d
done
