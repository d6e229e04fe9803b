#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, `polkfura-ctl snapshot fetch` (issue 13: "fetch throughput at
# least 90 % of curl -o"). A snapshot of PF_FETCH_MB MB (default 512) in 64 MB
# files, half random and half repeated text, in both forms (the files and a
# tar.zst from GNU tar), served on loopback by python3 -m http.server; in the
# same run, ROUNDS times (PF_FETCH_ROUNDS, default 2), alternating: `curl -o`
# of every file one after the other, the fetch of the files with --parallel 1
# and 4, `curl -o` of the tar, `curl | tar --zstd -x` (what the tar fetch
# does, unchecked), and the fetch of the tar. MiB/s are of the bytes moved:
# the files' for the files, the compressed object's for the tar. The fetch hashes, fsyncs and
# renames every file, curl -o does none of that. Peak RSS of each fetch from
# /usr/bin/time. The served tree comes from the page cache.
# PF_FETCH_BASELINE=PATH (a polkfura-ctl built from another commit) adds its
# fetch of the files (--parallel 4) and of the tar, each right beside this
# build's, the pair's order alternating, to measure a change under the same
# load.
# Usage: tests/bench/fetch_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-fetch.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-fetch.txt
MB=${PF_FETCH_MB:-512}
ROUNDS=${PF_FETCH_ROUNDS:-2}
for v in "$MB" "$ROUNDS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "fetch_bench: PF_FETCH_MB, PF_FETCH_ROUNDS: counts" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-fetch-bench-XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
die() {
	echo "fetch_bench: $*" >&2
	exit 1
}
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

CTL=$BUILD/polkfura-ctl
[[ -x $CTL ]] || die "$CTL not built"
BASELINE=${PF_FETCH_BASELINE:-}
[[ -z $BASELINE || -x $BASELINE ]] || die "PF_FETCH_BASELINE: $BASELINE is not an executable"
echo "== fetch_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

snap=$TMP/pub/chains/bench/s1
mkdir -p "$snap/files/db" "$TMP/src/db"
for ((i = 0; i < MB / 64; i++)); do
	f=$(printf '%s/src/db/%06d.sst' "$TMP" "$i")
	{
		head -c 32M /dev/urandom
		head -c 32M < <(yes 'key=0x26aa394eea5630e07c48ae0c9558cef7 value=0x0000000000000000')
	} >"$f"
done
cp "$TMP"/src/db/* "$snap/files/db/"
(cd "$TMP/src" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$snap/files.txt"
(cd "$TMP/src" && xargs -d '\n' sha256sum <"$snap/files.txt") >"$snap/SHA256SUMS"
(cd "$TMP/src" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$TMP/tar.list"
tar --zstd -C "$TMP/src" --no-recursion -T "$TMP/tar.list" -cf "$snap/snapshot.tar.zst"
size=$(du -cb "$TMP"/src/db/* | tail -1 | cut -f1)
tsize=$(stat -c %s "$snap/snapshot.tar.zst")
cat >"$snap/manifest.json" <<JSON
{"format": 1, "chain": "bench", "height": 1,
 "block_hash": "0x0000000000000000000000000000000000000000000000000000000000000000",
 "created": "2026-12-06T00:00:00Z", "tool": "fetch_bench.sh", "artifacts": [
  {"kind": "files", "name": "files", "size": $size, "sha256": "$(sha256sum <"$snap/SHA256SUMS" | cut -c1-64)",
   "file_list": "files.txt", "sums": "SHA256SUMS"},
  {"kind": "tar.zst", "name": "snapshot.tar.zst", "size": $tsize,
   "sha256": "$(sha256sum <"$snap/snapshot.tar.zst" | cut -c1-64)"}]}
JSON
printf '{"format": 1, "chain": "bench", "height": 1, "manifest": "s1/manifest.json", "sha256": "%s"}\n' \
	"$(sha256sum <"$snap/manifest.json" | cut -c1-64)" >"$TMP/pub/chains/bench/latest.json"
echo "snapshot: $((MB / 64)) files, $((size / 1048576)) MiB; tar.zst $((tsize / 1048576)) MiB"

free_port PORT
python3 -m http.server "$PORT" --bind 127.0.0.1 -d "$TMP/pub" >"$TMP/http.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
BASE=http://127.0.0.1:$PORT

# secs CMD...: wall seconds of CMD, to two decimals.
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
}
curl_files() {
	while IFS= read -r f; do curl -sSf -o "$TMP/dl/$(basename "$f")" "$BASE/chains/bench/s1/files/$f"; done <"$snap/files.txt"
}
curl_tar() { curl -sSf -o "$TMP/dl/t.tar.zst" "$BASE/chains/bench/s1/snapshot.tar.zst"; }
curl_tar_x() { curl -sSf "$BASE/chains/bench/s1/snapshot.tar.zst" | tar --zstd -x -C "$TMP/dl"; }
fetch() { /usr/bin/time -f '%M' -o "$TMP/rss" "$CTL" snapshot fetch --chain bench --dest "$TMP/dl" --from "$BASE" "$@" 2>/dev/null; }
baseline() { /usr/bin/time -f '%M' -o "$TMP/rss" "$BASELINE" snapshot fetch --chain bench --dest "$TMP/dl" --from "$BASE" "$@" 2>/dev/null; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }

for ((r = 1; r <= ROUNDS; r++)); do
	files=("fetch --form files --parallel 4") tars=("fetch --form tar")
	if [[ -n $BASELINE ]]; then
		files+=("baseline --form files --parallel 4") tars+=("baseline --form tar")
		if ((r % 2 == 0)); then files=("${files[1]}" "${files[0]}") tars=("${tars[1]}" "${tars[0]}"); fi
	fi
	for run in curl_files "fetch --form files --parallel 1" "${files[@]}" curl_tar curl_tar_x "${tars[@]}"; do
		rm -rf "$TMP/dl"
		mkdir -p "$TMP/dl"
		# shellcheck disable=SC2086 # the run's words are its command and arguments
		s=$(secs $run) || die "$run failed"
		bytes=$size
		[[ $run == *tar* ]] && bytes=$tsize
		rss=""
		[[ $run == fetch* || $run == baseline* ]] && rss=", peak RSS $(($(cat "$TMP/rss") / 1024)) MB"
		printf 'round %d: %-36s %6.2f s %5s MiB/s%s\n' "$r" "$run" "$s" "$(mbs "$bytes" "$s")" "$rss"
	done
done
