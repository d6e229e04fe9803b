#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, the snapshot packer (ctl/snapshot/pack.c, issue 13): a
# synthetic base path of PF_PACK_MB MB (default 1024) in 64 MB files, each
# half random and half repeated text (a node's database compresses to about
# that), packed to /dev/null by tests/bench/pack_bench.c (the stream's sha256
# always; each file's sha256 in one run; zstd in the packer's thread, then with
# 2 zstd workers), against the shell pipeline
# `tar -cf - . | zstd -3 -T1` and `zstd -3 -T0` on the same tree in the same
# run, ROUNDS times (PF_PACK_ROUNDS, default 2), alternating. Then memory on
# a sparse file of PF_PACK_SPARSE_GB GiB (default 9: over ustar's 8 GiB, so
# the size goes into a pax header, which GNU tar's listing must read back),
# and on one directory of PF_PACK_FILES empty files (default 100,000: an
# archive node's RocksDB directory holds tens of thousands of .sst files, and
# the walk keeps one directory's names in memory to sort them).
# The tree comes from the page cache in every run (it was just written): the
# figures are the packer's CPU cost, not a disk's.
# Usage: tests/bench/pack_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-pack.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-pack.txt
MB=${PF_PACK_MB:-1024}
ROUNDS=${PF_PACK_ROUNDS:-2}
SPARSE_GB=${PF_PACK_SPARSE_GB:-9}
NFILES=${PF_PACK_FILES:-100000}
for v in "$MB" "$ROUNDS" "$SPARSE_GB" "$NFILES"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "pack_bench: PF_PACK_MB, PF_PACK_ROUNDS, PF_PACK_SPARSE_GB, PF_PACK_FILES: counts" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-pack-bench-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
die() {
	echo "pack_bench: $*" >&2
	exit 1
}
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/tests/bench/pack_bench" || die "build failed"
command -v zstd >/dev/null || die "zstd not installed (make deps-test)"
DRIVER=$BUILD/tests/bench/pack_bench
echo "== pack_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"libarchive $(dpkg-query -W -f '${Version}' libarchive13 2>/dev/null || echo '?')," \
	"zstd $(zstd -V | grep -o 'v[0-9.]*' | head -1)"

mkdir -p "$TMP/base/chains/bench/db/full"
for ((i = 0; i < MB / 64; i++)); do
	f=$(printf '%s/base/chains/bench/db/full/%06d.sst' "$TMP" "$i")
	{
		head -c 32M /dev/urandom
		# yes ends on SIGPIPE: outside the pipeline, so pipefail does not see it
		head -c 32M < <(yes 'key=0x26aa394eea5630e07c48ae0c9558cef7 value=0x0000000000000000')
	} >"$f"
done
echo "tree: $((MB / 64)) files of 64 MB, $(du -sm "$TMP/base" | cut -f1) MB"

# secs CMD...: wall seconds of CMD (stdout to /dev/null), to two decimals.
secs() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }'
}
pipe1() { tar -cf - -C "$TMP/base" . | zstd -3 -T1 -q -c; }
pipe0() { tar -cf - -C "$TMP/base" . | zstd -3 -T0 -q -c; }
rate() { awk -v mb="$MB" -v s="$1" 'BEGIN { printf "%.0f MB/s", mb * 1.048576 / s }'; }

# line LABEL SECS [PIPELINE_SECS RSS_FILE]: one result line.
line() {
	local extra=
	if (($# == 4)); then
		extra=$(awk -v a="$2" -v p="$3" 'BEGIN { printf "%.0f %% of the pipeline", p / a * 100 }')
		extra+="  ($(grep -o 'peak RSS [0-9]* MB' "$4"))"
	fi
	printf '  %-36s %6s s  %-10s %s\n' "$1" "$2" "$(rate "$2")" "$extra"
}

for ((r = 1; r <= ROUNDS; r++)); do
	p1=$(secs pipe1)
	a1=$(secs "$DRIVER" "$TMP/base" 0 2>"$TMP/a1.txt")
	s1=$(secs "$DRIVER" "$TMP/base" 0 sums 2>"$TMP/s1.txt")
	p0=$(secs pipe0)
	a2=$(secs "$DRIVER" "$TMP/base" 2 2>"$TMP/a2.txt")
	echo "round $r: load average $(cut -d' ' -f1 /proc/loadavg)"
	line "tar | zstd -3 -T1" "$p1"
	line "pack, stream sha256" "$a1" "$p1" "$TMP/a1.txt"
	line "pack, stream + per-file sha256" "$s1" "$p1" "$TMP/s1.txt"
	line "tar | zstd -3 -T0" "$p0"
	line "pack, stream sha256, 2 zstd workers" "$a2" "$p0" "$TMP/a2.txt"
done

rm -rf "$TMP/base"
mkdir -p "$TMP/sparse"
truncate -s "${SPARSE_GB}G" "$TMP/sparse/big"
"$DRIVER" "$TMP/sparse" 0 >"$TMP/sparse.tar.zst" 2>"$TMP/s.txt" || { cat "$TMP/s.txt"; die "sparse pack failed"; }
listed=$(tar --zstd -tvf "$TMP/sparse.tar.zst" | awk '{ print $3 }')
want=$((SPARSE_GB * 1024 * 1024 * 1024))
[[ $listed == "$want" ]] || die "sparse: GNU tar lists size $listed, want $want"
echo "sparse ${SPARSE_GB} GiB file: $(cat "$TMP/s.txt"); GNU tar lists $listed B"
rm -rf "$TMP/sparse"

mkdir -p "$TMP/many/chains/bench/db/full"
seq -f "$TMP/many/chains/bench/db/full/%07g.sst" 1 "$NFILES" | xargs touch
"$DRIVER" "$TMP/many" 0 >/dev/null 2>"$TMP/m.txt" || { cat "$TMP/m.txt"; die "many-files pack failed"; }
echo "one directory of $NFILES empty files: $(cat "$TMP/m.txt")"
