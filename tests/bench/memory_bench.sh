#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: what a client connection costs HAProxy in memory with the
# shipped config (tune.bufsize 65536), the figure README.md "Production"
# quotes next to the manual's formula. HAProxy runs haproxy/haproxy.cfg and
# backends.cfg as shipped (plain env overrides: loopback binds, a throw-away
# certificate, per-source limits out of reach, no chroot or user), in the
# foreground (-db: one process, whose VmRSS is read). For each of 2.6 and 3.4:
#   idle     N TLS connections, handshake done, nothing sent
#   partial  N TLS connections, each one byte short of a 60 KB POST body, which
#            HAProxy holds in a request buffer (option http-buffer-request)
# The response side (a slow reader of a large answer fills the other buffer)
# is not measured: it needs a node; the manual's two buffers cover it.
# RSS is read before and once HAProxy has every connection (CurrConns from
# `show info`) and, for partial, once its buffer pool has N buffers in use
# (`show pools`); the cost per connection is the difference over N.
# No agent and no node are started: nothing reaches either.
# Usage: tests/bench/memory_bench.sh [BUILD_DIR]   Knob: PF_BENCH_MEM_CONNS (1000).
# Output also goes to build/bench-memory.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
RESULTS=build/bench-memory.txt
CONNS=${PF_BENCH_MEM_CONNS:-1000}
HAPROXY_34=${HAPROXY_34:-${PF_CACHE:-$HOME/.cache/polkfura}/haproxy-3.4.0/haproxy}
if ! [[ $CONNS =~ ^[1-9][0-9]*$ ]] || ((CONNS > 5000)); then
	echo "PF_BENCH_MEM_CONNS: 1-5000" >&2
	exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-memory-XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

die() {
	echo "memory_bench: $*" >&2
	exit 1
}
[[ -x $HAPROXY_34 ]] || die "no $HAPROXY_34 (make deps-test)"
# Each client connection is one fd here and two in HAProxy (it has no server side yet).
ulimit -n $((CONNS * 2 + 256)) 2>/dev/null || die "cannot raise the fd limit to $((CONNS * 2 + 256))"

mkdir "$TMP/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=polkadot.localhost \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
cat "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/certs/site.pem"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# cli CMD: one runtime-API command on the admin socket, answer on stdout.
cli() {
	node -e 'const c = require("net").connect(process.argv[1], () => c.end(process.argv[2] + "\n"));
		c.pipe(process.stdout);' "$TMP/admin.sock" "$1"
}
curr_conns() { cli "show info" | awk -F': ' '$1 == "CurrConns" { print $2 }'; }
# Buffers of tune.bufsize in use: the pool line of 65536-byte objects.
bufs_used() { cli "show pools" | awk '/Pool buffer \(65536 bytes/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^used/) { print $i; exit } }'; }
# wait_for WHAT CMD VALUE: poll until CMD prints at least VALUE (20 s at most).
wait_for() {
	local i v
	for ((i = 0; i < 400; i++)); do
		v=$($2 2>/dev/null) || true
		[[ -n $v ]] && ((v >= $3)) && return 0
		sleep 0.05
	done
	die "$1: $v, not $3, after 20 s"
}

echo "== memory_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m)), load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo -), $CONNS connections"
printf '%-8s %-8s %10s %10s %12s\n' haproxy state rss_before rss_after per_conn_kib

for hap in /usr/sbin/haproxy "$HAPROXY_34"; do
	version=$("$hap" -v | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
	for state in idle partial; do
		free_port HTTPS_PORT
		free_port HTTP_PORT
		free_port PROM_PORT
		rm -f "$TMP/admin.sock"
		env PF_USER= PF_GROUP= PF_CHROOT= PF_ADMIN_GROUP= PF_LOG_TARGET=stdout PF_LOG_FORMAT=raw \
			PF_ADMIN_SOCKET="$TMP/admin.sock" PF_HTTP_BIND="127.0.0.1:$HTTP_PORT" \
			PF_HTTPS_BIND="127.0.0.1:$HTTPS_PORT" PF_PROM_BIND="127.0.0.1:$PROM_PORT" \
			PF_CERT_DIR="$TMP/certs" PF_SPOE_CONF="$ROOT/haproxy/spoe-polkfura.conf" \
			PF_UNSAFE_METHODS="$ROOT/haproxy/unsafe-methods.txt" PF_CHAINS_MAP="$ROOT/haproxy/chains.map" \
			PF_SERVER_STATE_FILE="$TMP/server-state" PF_AGENT_ADDR="127.0.0.1:1" \
			PF_CONN_PER_SRC=100000 PF_CONN_RATE=100000 PF_TIMEOUT_REQUEST=120s \
			"$hap" -db -f haproxy/haproxy.cfg -f haproxy/backends.cfg >"$TMP/haproxy.log" 2>&1 &
		hpid=$!
		PIDS+=("$hpid")
		wait_port "$HTTPS_PORT" "$hpid" "haproxy $version" "$TMP/haproxy.log"
		before=$(rss_kib "$hpid")
		# The clients hold their connections until their stdin closes (fd 3 here).
		exec 3> >(node tests/bench/memory_clients.js "$HTTPS_PORT" "$CONNS" "$state" >"$TMP/clients.log" 2>&1)
		wait_for "clients ready" "grep -c ^ready $TMP/clients.log" 1
		grep -q '^error' "$TMP/clients.log" && die "clients: $(cat "$TMP/clients.log")"
		wait_for "CurrConns" curr_conns "$CONNS"
		[[ $state == partial ]] && wait_for "buffers in use" bufs_used "$CONNS"
		after=$(rss_kib "$hpid")
		exec 3>&-
		awk -v v="$version" -v s="$state" -v b="$before" -v a="$after" -v n="$CONNS" \
			'BEGIN { printf "%-8s %-8s %9sK %9sK %12.1f\n", v, s, b, a, (a - b) / n }'
		kill "$hpid"
		wait "$hpid" 2>/dev/null || true
	done
done
echo "The manual's figure for tune.bufsize 65536: 2 x 64 KiB + about 1 KiB = about 129 KiB per connection."
