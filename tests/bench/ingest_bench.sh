#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, part 7: HAProxy access lines per second that polkfura-ctl
# ingests end to end (socket reads, syslog header, access line, methods
# table, per-second and per-minute aggregation) while it polls three
# simulated nodes every second. tests/bench/logsend.c sends RFC 3164
# datagrams of the shipped log-format over loopback UDP to the controller's
# log_listen at a fixed rate for SECONDS (PF_INGEST_SECONDS, default 3);
# each rate of RATES (PF_INGEST_RATES, default "50000 100000 200000 400000")
# is one step. Per step: datagrams read and dropped by the kernel (the
# controller's own counters in /metrics, polkfura_ctl_log_datagrams_total and
# polkfura_ctl_log_kernel_drops_total, read after a short fence of 10 more
# datagrams so the last drops are reported), the controller's CPU (/proc),
# and lines per CPU-second: what one core ingests. The issue's target is
# 100,000 lines/s on one core: PASS when the best step without drops
# reaches it in lines per CPU-second. Drops at a rate the controller's CPU
# figure shows it could take mean it was not scheduled in time (the sender
# spins one of the machine's cores): read them with the "other" column,
# how busy the rest of the machine was (over 25 % of a core is flagged NOISY).
# Usage: tests/bench/ingest_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-ingest.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-ingest.txt
SECONDS_PER=${PF_INGEST_SECONDS:-3}
RATES=${PF_INGEST_RATES:-50000 100000 200000 400000}
PF_CACHE=${PF_CACHE:-$HOME/.cache/polkfura}
[[ $SECONDS_PER =~ ^[1-9][0-9]*$ ]] || { echo "PF_INGEST_SECONDS: a count" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-ingest-bench.XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
die() {
	echo "ingest_bench: $*" >&2
	exit 1
}
cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/polkfura-ctl" "$BUILD/tests/bench/logsend" || die "build failed"
command -v jq >/dev/null || die "jq is needed (make deps-test)"
CLK_TCK=$(getconf CLK_TCK)

# Three simulated nodes for the controller to poll.
NODE_PATH="$PF_CACHE/npm/node_modules" node tests/harness/nodesim.js --listen 127.0.0.1 \
	--base-port 0 --nodes 3 --chain polkadot --control 0 >"$TMP/nodesim.out" 2>"$TMP/nodesim.log" &
PIDS+=($!)
for ((i = 0; i < 300; i++)); do
	grep -q '^READY ' "$TMP/nodesim.out" 2>/dev/null && break
	kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$TMP/nodesim.log" >&2; die "nodesim exited at start"; }
	sleep 0.1
done
NODES=$(sed -n 's/^READY //p' "$TMP/nodesim.out" | jq -c '[.nodes | to_entries[] |
	{name: ("p" + (.key | tostring)), server: ("node" + (.key + 1 | tostring)),
	 rpc: ("http://127.0.0.1:" + (.value.port | tostring) + "/")}]')
[[ -n $NODES ]] || die "nodesim: no READY line"

free_port HTTP_PORT
free_port LOG_PORT
cat >"$TMP/ctl.json" <<EOF
{"region": "bench", "haproxy": ["unix:$TMP/no-haproxy.sock"], "interval_ms": 1000,
 "timeout_ms": 800, "http_listen": "127.0.0.1:$HTTP_PORT", "state_file": "$TMP/state.json",
 "log_listen": "udp:127.0.0.1:$LOG_PORT", "log_rcvbuf": 8388608,
 "methods_file": "$PWD/haproxy/methods.tsv",
 "chains": [{"name": "polkadot", "backend": "be_polkadot", "nodes": $NODES}]}
EOF
"$BUILD/polkfura-ctl" run --config "$TMP/ctl.json" >"$TMP/ctl.log" 2>&1 &
CTL_PID=$!
PIDS+=("$CTL_PID")
wait_port "$HTTP_PORT" "$CTL_PID" polkfura-ctl "$TMP/ctl.log"

# counter NAME: its value in the controller's /metrics.
counter() {
	curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v n="$1" '$1 == n { print $2; exit }'
}

echo "== ingest_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
	"$(git diff --quiet HEAD -- ctl 2>/dev/null || echo '(ctl changed locally)')"
echo "rcvbuf $(counter polkfura_ctl_log_rcvbuf_bytes) bytes, ${SECONDS_PER} s per step, 3 nodes polled every 1 s"
printf '%10s %10s %10s %10s %8s %14s  %s\n' offered/s sent read dropped ctl_cpu lines/cpu-s other
BEST=0
DROPS=
for rate in $RATES; do
	d0=$(counter polkfura_ctl_log_datagrams_total)
	k0=$(counter polkfura_ctl_log_kernel_drops_total)
	c0=$(cpu_ticks "$CTL_PID")
	BOX0=$(box_ticks)
	T0=$(date +%s%N)
	out=$("$BUILD/tests/bench/logsend" 127.0.0.1 "$LOG_PORT" "$rate" "$SECONDS_PER" \
		haproxy/methods.tsv)
	sent=$(awk '{ print $2 }' <<<"$out")
	send_ms=$(awk '{ print $4 }' <<<"$out")
	T1=$(date +%s%N)
	c1=$(cpu_ticks "$CTL_PID")
	BOX1=$(box_ticks)
	# The fence: sent once the buffer has room again, it carries the final drop count.
	for ((f = 0; f < 50; f++)); do
		sleep 0.1
		fence=$("$BUILD/tests/bench/logsend" 127.0.0.1 "$LOG_PORT" 1000 0.01 \
			haproxy/methods.tsv | awk '{ print $2 }')
		sent=$((sent + fence))
		d1=$(counter polkfura_ctl_log_datagrams_total)
		k1=$(counter polkfura_ctl_log_kernel_drops_total)
		((d1 - d0 + k1 - k0 >= sent)) && break
	done
	got=$((d1 - d0))
	dropped=$((k1 - k0))
	# The controller's and logsend's CPU are this run's; the rest is other processes.
	OTHER=$(awk -v b=$((BOX1 - BOX0)) -v c=$((c1 - c0)) -v s="$send_ms" -v ns=$((T1 - T0)) \
		-v hz="$CLK_TCK" 'BEGIN { w = ns / 1e9 * hz; v = (b - c - s / 1000 * hz) / w * 100;
		if (v < 0) v = 0; printf "%.0f", v }')
	NOISY=
	if ((OTHER > 25)); then NOISY=" NOISY"; fi
	cpu=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$SECONDS_PER" \
		'BEGIN { printf "%.0f", c / hz / s * 100 }')
	per=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v r="$got" \
		'BEGIN { printf "%.0f", (c > 0 ? r / (c / hz) : 0) }')
	printf '%10s %10s %10s %10s %7s%% %14s  %s%%%s\n' "$rate" "$sent" "$got" "$dropped" "$cpu" \
		"$per" "$OTHER" "$NOISY"
	if ((dropped == 0 && per > BEST)); then BEST=$per; fi
	DROPS+="${DROPS:+, }$rate/s: $dropped"

done
VERDICT=MISS
if ((BEST >= 100000)); then VERDICT=PASS; fi
echo "ingest: $BEST lines per CPU-second of polkfura-ctl at the best step without drops" \
	"(target 100000 lines/s on one core: $VERDICT); kernel drops by step: $DROPS"
kill -0 "$CTL_PID" || die "polkfura-ctl died"
