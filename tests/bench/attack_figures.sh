#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, part 4: the figures haproxy/README.md quotes in "Fail closed"
# and "Attacks" (DOWN times, 503 counts, bodies past the budget, idle and slow
# cuts, fd-exhaustion CPU and log, restart counts). They come from the attack
# suites themselves, which print them as they check their bounds; this runs
# the suites (release build, Debian's HAProxy and 3.4 when built) and keeps
# those lines, with the date, the machine and the load, so every figure in the
# document is printed by a script in `make bench`.
# Usage: tests/bench/attack_figures.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-attacks.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-attacks.txt
HAP34=${PF_CACHE:-$HOME/.cache/polkfura}/haproxy-3.4.0/haproxy
SUITES=(test_edge_attack test_spoa_attack test_spoa_restart)
FIGURES='flood|agent DOWN|nodes received|bodies past|idle connections|slow POSTs|connection burst|restart over|fd exhaustion|metrics flood|cpu|log'

make -s -j2 "${SUITES[@]/#/$BUILD/tests/integration/}" >/dev/null
mkdir -p build
{
	echo "== attack figures: $(date -u +%Y-%m-%dT%H:%M:%SZ), git $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	for hap in /usr/sbin/haproxy "$HAP34"; do
		[[ -x $hap ]] || { echo "(no $hap: skipped)"; continue; }
		echo "-- $("$hap" -v | head -n 1)"
		for s in "${SUITES[@]}"; do
			# test_spoa_attack starts no HAProxy: once is enough.
			[[ $s == test_spoa_attack && $hap != /usr/sbin/haproxy ]] && continue
			out=$(PF_HAPROXY=$hap PF_BUILD=$BUILD CK_FORK=yes CK_DEFAULT_TIMEOUT=120 \
				"$BUILD/tests/integration/$s" 2>&1) || { echo "$out" | tail -20; echo "$s FAILED"; exit 1; }
			echo "$out" | grep -E "$FIGURES" | grep -v '^harness' | sed "s/^/$s: /"
		done
	done
} | tee "$RESULTS"
