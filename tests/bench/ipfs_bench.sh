#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, the IPFS client (ctl/snapshot/ipfs.c, issue 13): adds a file
# of PF_IPFS_MB MB (default 100, random bytes: nothing to deduplicate) to a
# js-ipfs 0.66.1 daemon on loopback (offline, fresh repository, as
# tests/harness/ipfs.c starts it) with tests/bench/ipfs_bench.c, against
# `curl -F file=@FILE` to the same /api/v0/add with the same query, in the
# same run, ROUNDS times (PF_IPFS_ROUNDS, default 2), alternating. Each add
# gets a new file, so no run finds its blocks already in the repository. Both
# must give the same CID for the same bytes: the script adds the first file
# once more with curl and compares. The node's work (chunking, hashing,
# writing blocks) dominates both; the figure says what the client costs on
# top, and its peak RSS.
# Usage: tests/bench/ipfs_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-ipfs.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-ipfs.txt
MB=${PF_IPFS_MB:-100}
ROUNDS=${PF_IPFS_ROUNDS:-2}
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
for v in "$MB" "$ROUNDS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "ipfs_bench: PF_IPFS_MB, PF_IPFS_ROUNDS: counts" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-ipfs-bench-XXXXXX")
PIDS=()
die() {
	echo "ipfs_bench: $*" >&2
	exit 1
}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
trap stop_and_clean EXIT
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/tests/bench/ipfs_bench" || die "build failed"
CLI=$PF_CACHE/npm/node_modules/ipfs/src/cli.js
[ -f "$CLI" ] || die "no js-ipfs in $PF_CACHE/npm (make deps-test)"
echo "== ipfs_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"js-ipfs $(node -p "require('$PF_CACHE/npm/node_modules/ipfs/package.json').version")," \
	"node $(node -v)"

free_port API
free_port GW
free_port RPC
cat >"$TMP/init.json" <<JSON
{"Addresses":{"Swarm":[],"Announce":[],"NoAnnounce":[],"Delegates":[],
 "API":"/ip4/127.0.0.1/tcp/$API","Gateway":"/ip4/127.0.0.1/tcp/$GW","RPC":"/ip4/127.0.0.1/tcp/$RPC"},
 "Bootstrap":[],"Discovery":{"MDNS":{"Enabled":false},"webRTCStar":{"Enabled":false}}}
JSON
IPFS_PATH=$TMP/repo NODE_OPTIONS="--require $PWD/tests/harness/promise_with_resolvers.js" \
	node "$CLI" daemon --init-config "$TMP/init.json" --offline --enable-preload=false \
	>"$TMP/daemon.log" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 600; i++)); do
	grep -q 'Daemon is ready' "$TMP/daemon.log" && break
	kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$TMP/daemon.log"; die "js-ipfs exited at start"; }
	sleep 0.1
done
wait_port "$API" "${PIDS[0]}" js-ipfs "$TMP/daemon.log"
URL=http://127.0.0.1:$API
QUERY='cid-version=1&raw-leaves=true&pin=true&cid-base=base32&progress=false'

# new_file N: a fresh file of MB MB of random bytes.
new_file() {
	head -c "$((MB * 1048576))" /dev/urandom >"$TMP/f$1.bin"
}
rate() { awk -v mb="$MB" -v s="$1" 'BEGIN { printf "%.1f MB/s", mb * 1.048576 / s }'; }

echo "file: $MB MiB of random bytes, a new one for every add"
n=0
first_cid=
for ((r = 1; r <= ROUNDS; r++)); do
	n=$((n + 1))
	new_file "$n"
	out=$("$BUILD/tests/bench/ipfs_bench" "$URL" "$TMP/f$n.bin") || die "ipfs_bench failed"
	read -r cid _ s rest <<<"$out"
	[ -n "$first_cid" ] || first_cid=$cid
	printf '  round %d  %-28s %6s s  %-11s %s\n' "$r" "ipfs_add_fd" "$s" "$(rate "$s")" "$rest"
	[ "$r" = 1 ] && cp "$TMP/f$n.bin" "$TMP/first.bin"
	rm -f "$TMP/f$n.bin"
	n=$((n + 1))
	new_file "$n"
	t0=$(date +%s%N)
	curl -sf -X POST -H 'Expect:' -F "file=@$TMP/f$n.bin" "$URL/api/v0/add?$QUERY" >"$TMP/curl.out" \
		|| die "curl add failed"
	t1=$(date +%s%N)
	s=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')
	printf '  round %d  %-28s %6s s  %s\n' "$r" "curl -F file=@FILE" "$s" "$(rate "$s")"
	rm -f "$TMP/f$n.bin"
done
# The same bytes through curl give the same CID.
cid=$(curl -sf -X POST -H 'Expect:' -F "file=@$TMP/first.bin" "$URL/api/v0/add?$QUERY" \
	| sed -n 's/.*"Hash":"\([a-z0-9]*\)".*/\1/p')
[ "$cid" = "$first_cid" ] || die "CIDs differ: ipfs_add_fd $first_cid, curl $cid"
echo "same CID from both for the same file: $cid"
