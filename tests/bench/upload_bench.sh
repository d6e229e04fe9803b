#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, the multipart writer (ctl/snapshot/mpwrite.c, issue 13):
# uploads a file of PF_UPLOAD_MB MiB (default 256, random bytes) to s3rver
# 3.7.1 on loopback (tests/harness/s3rver.js, a fresh data directory) with
# tests/bench/upload_bench.c, parts of 16 MiB, with `parallel` 1 and 4 in
# the same run, ROUNDS times (PF_UPLOAD_ROUNDS, default 2), alternating, and
# prints the throughput and peak RSS of each. Every upload is read back
# with curl and compared with the file by sha256sum. s3rver (Node.js, one
# thread, writing each part to disk) is the peer, so the figures say what
# parallel parts gain against it on 2 cores, not against S3.
# Usage: tests/bench/upload_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-upload.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-upload.txt
MB=${PF_UPLOAD_MB:-256}
ROUNDS=${PF_UPLOAD_ROUNDS:-2}
PART_MB=16
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
for v in "$MB" "$ROUNDS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "upload_bench: PF_UPLOAD_MB, PF_UPLOAD_ROUNDS: counts" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-upload-bench-XXXXXX")
PIDS=()
die() {
	echo "upload_bench: $*" >&2
	exit 1
}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
trap stop_and_clean EXIT
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/tests/bench/upload_bench" || die "build failed"
[ -d "$PF_CACHE/npm/node_modules/s3rver" ] || die "no s3rver in $PF_CACHE/npm (make deps-test)"
echo "== upload_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"node $(node -v)"

mkdir "$TMP/data"
NODE_PATH=$PF_CACHE/npm/node_modules node --openssl-legacy-provider tests/harness/s3rver.js "$TMP/data" pf-bench \
	>"$TMP/s3rver.log" 2>&1 &
PIDS+=($!)
PORT=
for ((i = 0; i < 600; i++)); do
	PORT=$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$TMP/s3rver.log")
	[ -n "$PORT" ] && break
	kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$TMP/s3rver.log"; die "s3rver exited at start"; }
	sleep 0.1
done
[ -n "$PORT" ] || die "s3rver did not start"
URL=http://127.0.0.1:$PORT
head -c "$((MB * 1048576))" /dev/urandom >"$TMP/in.bin"
want=$(sha256sum <"$TMP/in.bin")
rate() { awk -v mb="$MB" -v s="$1" 'BEGIN { printf "%.1f MB/s", mb * 1.048576 / s }'; }

echo "object: $MB MiB of random bytes, parts of $PART_MB MiB"
for ((r = 1; r <= ROUNDS; r++)); do
	for par in 1 4; do
		out=$("$BUILD/tests/bench/upload_bench" "$URL" pf-bench "$TMP/in.bin" "$PART_MB" "$par") \
			|| die "upload_bench failed"
		read -r _ s rest <<<"$out"
		got=$(curl -sSf "$URL/pf-bench/bench/object.bin" | sha256sum)
		[ "$got" = "$want" ] || die "parallel $par: the object differs from the file"
		printf '  round %d  parallel %d  %6s s  %-11s %s\n' "$r" "$par" "$s" "$(rate "$s")" "$rest"
	done
done
