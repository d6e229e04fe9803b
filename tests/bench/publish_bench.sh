#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, issue 13's benchmark: "Publish a 2 GB synthetic database to
# s3rver and to a local directory target; compare with the shell pipeline
# `tar -cf - DIR | zstd -T0 -3 | curl -T - ...` on the same data, in the same
# run. Targets: publish throughput at least 90 % of that pipeline, memory flat
# (RSS under 100 MB) whatever the database size; fetch throughput at least
# 90 % of `curl -o`."
#
# The database: PF_PUB_MB MiB (default 2048), made once per run by a seeded
# generator (Python's random.Random(13): the same bytes every run), in the
# layout of a node's base path: 64 MiB RocksDB-like .sst files, each 1 MiB
# of it three quarters random bytes and one quarter repeated key=value text
# (a RocksDB table is mostly already compressed), plus small files of 1 to
# 124 KiB (1/32 of the total) in a second directory.
# In the same run, ROUNDS times (PF_PUB_ROUNDS, default 2), order alternating:
#  - `polkfura-ctl snapshot publish` with the s3_tar target to s3rver (the
#    node simulator gives the finalized head), against the pipeline into one
#    PUT to the same s3rver;
#  - publish with the s3_files target (no pipeline to compare with: shown as
#    is);
#  - there is no local directory target in publish: the closest is the pack
#    stream written to a local file (tests/bench/pack_bench, the packer
#    publish runs, with the same options: PACK_ZSTD_WORKERS workers, no
#    per-file sums), against the pipeline with `> FILE` in place of curl; the
#    script checks that it makes the same bytes as the published tar;
#  - `snapshot fetch --form tar` against `curl -o` of the same tar object,
#    and `snapshot fetch --form files` against one curl process fetching
#    every file with -o in turn (one connection), both from s3rver.
# MiB/s are of the database's content for publish and pack (both sides read
# the same tree), of the bytes moved for fetch. Peak RSS from /usr/bin/time.
# PASS/MISS against the 90 % targets on the median of the rounds; a miss does
# not fail the script (the machine is shared), an error does.
# The tree is read from the page cache (just written; 2 GiB fits): the
# figures are the tools' cost, not a disk's. Fetch writes to disk; it also
# fsyncs every file, curl -o does not.
# Usage: tests/bench/publish_bench.sh [BUILD_DIR]   (default build/release)
# Output also goes to build/bench-publish.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-publish.txt
MB=${PF_PUB_MB:-2048}
ROUNDS=${PF_PUB_ROUNDS:-2}
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
for v in "$MB" "$ROUNDS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "publish_bench: PF_PUB_MB, PF_PUB_ROUNDS: counts" >&2; exit 2; }
done
((MB >= 128)) || { echo "publish_bench: PF_PUB_MB: at least 128" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-publish-bench-XXXXXX")
PIDS=()
die() {
	echo "publish_bench: $*" >&2
	exit 1
}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
trap stop_and_clean EXIT
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

make --no-print-directory -s "$BUILD/polkfura-ctl" "$BUILD/tests/bench/pack_bench" || die "build failed"
for t in zstd curl python3 node; do
	command -v "$t" >/dev/null || die "$t not installed (make deps-test)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not installed (make deps-test)"
CTL=$BUILD/polkfura-ctl
# The zstd workers publish packs with; pack_bench is given the same, so both make the same bytes.
PACK_WORKERS=$(sed -n 's/^#define PACK_ZSTD_WORKERS *\([0-9]*\).*/\1/p' ctl/snapshot/pack.h)
[[ $PACK_WORKERS =~ ^[0-9]+$ ]] || die "no PACK_ZSTD_WORKERS in ctl/snapshot/pack.h"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== publish_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(load), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"zstd $(zstd -V | grep -o 'v[0-9.]*' | head -1), curl $(curl -V | awk 'NR == 1 { print $2 }')"

BASE=$TMP/base
python3 - "$BASE" "$MB" <<'PY'
import os, random, sys
base, mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(13)
text = b''.join(b'key=0x26aa394eea5630e07c48ae0c9558%08x value=0x%016x\n' % (i, i * 7919)
                for i in range(4096))[:256 * 1024]
small_total = (mb << 20) // 32
big = ((mb << 20) - small_total) >> 26
full = os.path.join(base, 'chains/polkadot/db/full')
os.makedirs(full)
for i in range(big):
    with open(os.path.join(full, '%06d.sst' % (i * 3 + 7)), 'wb') as f:
        for _ in range(64):
            f.write(rng.randbytes(768 * 1024))
            f.write(text)
small = os.path.join(base, 'chains/polkadot/db/full/col')
os.makedirs(small)
left, n = small_total, 0
while left > 0:
    size = min(left, rng.randrange(1, 125) * 1024)
    with open(os.path.join(small, '%06d.log' % n), 'wb') as f:
        f.write(rng.randbytes(size // 2) + text[:size - size // 2])
    left -= size
    n += 1
with open(os.path.join(full, 'CURRENT'), 'w') as f:
    f.write('MANIFEST-000002\n')
PY
nfiles=$(find "$BASE" -type f | wc -l)
bytes=$(find "$BASE" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }')
echo "publish and pack_bench compress with $PACK_WORKERS zstd worker(s) (PACK_ZSTD_WORKERS)"
echo "database: $nfiles files, $((bytes / 1048576)) MiB ($(find "$BASE/chains/polkadot/db/full" -maxdepth 1 -name '*.sst' | wc -l) of 64 MiB)"

# ---- s3rver and the node simulator -------------------------------------------
export NODE_PATH=$PF_CACHE/npm/node_modules
[[ -d $NODE_PATH/s3rver ]] || die "no s3rver in $NODE_PATH (make deps-test)"
BUCKET=pf-bench
mkdir -p "$TMP/s3"
# s3rver makes its ListObjectsV2 continuation tokens with DES, which Node 20's
# OpenSSL 3 refuses without the legacy provider: a listing of more than 1,000
# keys (the files target's retention) would fail with a 500.
node --openssl-legacy-provider tests/harness/s3rver.js "$TMP/s3" "$BUCKET" >"$TMP/s3rver.log" 2>&1 &
PIDS+=($!)
S3PID=$!
free_port CONTROL
node tests/harness/nodesim.js --listen 127.0.0.1 --base-port 0 --nodes 1 --chain polkadot \
	--control "$CONTROL" --block-time-ms 0 --height 1000 >"$TMP/nodesim.log" 2>&1 &
PIDS+=($!)
SIMPID=$!
for ((i = 0; i < 200; i++)); do
	grep -q '^READY ' "$TMP/s3rver.log" && grep -q '^READY ' "$TMP/nodesim.log" && break
	kill -0 "$S3PID" 2>/dev/null || { cat "$TMP/s3rver.log"; die "s3rver exited at start"; }
	kill -0 "$SIMPID" 2>/dev/null || { cat "$TMP/nodesim.log"; die "nodesim exited at start"; }
	sleep 0.1
done
S3PORT=$(sed -n 's/^READY \([0-9]*\).*/\1/p' "$TMP/s3rver.log")
RPCPORT=$(sed -n 's/^READY .*"port":\([0-9]*\).*/\1/p' "$TMP/nodesim.log")
[[ -n $S3PORT && -n $RPCPORT ]] || die "s3rver or nodesim did not start"
wait_port "$S3PORT" "$S3PID" s3rver "$TMP/s3rver.log"
wait_port "$RPCPORT" "$SIMPID" nodesim "$TMP/nodesim.log"
S3=http://127.0.0.1:$S3PORT

# config TARGET PREFIX: a publish config with one target under PREFIX.
config() {
	cat <<JSON
{"snapshot": {"chains": [{"name": "polkadot", "base_path": "$BASE", "rpc": "http://127.0.0.1:$RPCPORT"}],
 "$1": {"bucket": "$BUCKET", "region": "us-east-1", "endpoint": "$S3", "prefix": "$2"},
 "retention": 1, "state_dir": "$TMP/state"}}
JSON
}
config s3_tar tar >"$TMP/tar.json"
config s3_files files >"$TMP/files.json"

# ---- runs --------------------------------------------------------------------
# timed NAME CMD...: runs CMD; "wall_seconds peak_rss_kb" into $TMP/NAME.t (the RSS
# of the command rss wraps, 0 for a pipeline).
timed() {
	local name=$1 t0
	shift
	echo 0 >"$TMP/rss"
	t0=$EPOCHREALTIME
	"$@" >"$TMP/$name.out" 2>&1 || { cat "$TMP/$name.out"; die "$name failed"; }
	echo "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') $(cat "$TMP/rss")" \
		>"$TMP/$name.t"
}
rss() { /usr/bin/time -f '%M' -o "$TMP/rss" "$@"; }
# publish TARGET: one publish of a new finalized block (a block already
# published is skipped), 1000 blocks above the last.
HEIGHT=1000
publish() {
	HEIGHT=$((HEIGHT + 1000))
	curl -sSf -o /dev/null -d "{\"height\": $HEIGHT}" "http://127.0.0.1:$CONTROL/all"
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=pfPublishBench0123456789 \
		rss "$CTL" snapshot publish --config "$TMP/$1.json"
}
pipeline_s3() {
	tar -cf - -C "$BASE" . | zstd -T0 -3 -q -c | curl -sSf -T - "$S3/$BUCKET/pipeline.tar.zst"
}
pipeline_file() { tar -cf - -C "$BASE" . | zstd -T0 -3 -q -c >"$TMP/local-pipe.tar.zst"; }
pack_file() { rss "$BUILD/tests/bench/pack_bench" "$BASE" "$PACK_WORKERS" >"$TMP/local-pack.tar.zst"; }
fetch() {
	rm -rf "$TMP/dl"
	mkdir -p "$TMP/dl"
	rss "$CTL" snapshot fetch --chain polkadot --dest "$TMP/dl" --from "$S3/$BUCKET/$1" --form "$2"
}
curl_tar() {
	rm -rf "$TMP/dl"
	mkdir -p "$TMP/dl"
	curl -sSf -o "$TMP/dl/t.tar.zst" "$S3/$BUCKET/$TAR_KEY"
}
curl_files() {
	rm -rf "$TMP/dl"
	mkdir -p "$TMP/dl"
	curl -sSf --create-dirs -K "$TMP/curl-files.cfg"
}
# record KIND NAME BYTES: one result line; "KIND round secs MiB/s rss_mb" into rows.txt.
record() {
	local s rss
	read -r s rss <"$TMP/$2.t"
	printf '  %-44s %7.2f s %6s MiB/s%s\n' "$2" "$s" \
		"$(awk -v b="$3" -v s="$s" 'BEGIN { printf "%.0f", b / 1048576 / s }')" \
		"$( ((rss == 0)) || echo "  peak RSS $((rss / 1024)) MB")"
	echo "$1 $s $(awk -v b="$3" -v s="$s" 'BEGIN { printf "%.1f", b / 1048576 / s }') $((rss / 1024))" \
		>>"$TMP/rows.txt"
}

# complete_secs: how long s3rver took over the last CompleteMultipartUpload of
# the tar (it copies the parts into one file, which S3 does not make the client
# wait for), from its log; printed, and the publish less it into rows.txt.
complete_secs() {
	local c s
	c=$(sed 's/\x1b\[[0-9;]*m//g' "$TMP/s3rver.log" | grep -a 'snapshot\.tar\.zst?uploadId=' | tail -1 |
		awk '{ t = $(NF - 1); gsub(",", "", t)
			if (t ~ /ms$/) printf "%.2f", t / 1000; else if (t ~ /s$/) printf "%.2f", t + 0 }')
	[[ -n $c ]] || die "no CompleteMultipartUpload of the tar in s3rver's log"
	read -r s _ <"$TMP/publish s3_tar (round $r).t"
	printf '    of which s3rver completing the upload (copying the parts): %s s\n' "$c"
	echo "pub_tar_less $(awk -v s="$s" -v c="$c" -v b="$bytes" 'BEGIN { printf "%.2f %.1f 0", s - c, b / 1048576 / (s - c) }')" \
		>>"$TMP/rows.txt"
}

: >"$TMP/rows.txt"
for ((r = 1; r <= ROUNDS; r++)); do
	echo "round $r: load average $(load)"
	if ((r % 2)); then order=(pub pipe); else order=(pipe pub); fi
	for k in "${order[@]}"; do
		if [[ $k == pub ]]; then
			timed "publish s3_tar (round $r)" publish tar
			record pub_tar "publish s3_tar (round $r)" "$bytes"
			complete_secs
		else
			timed "tar | zstd -T0 -3 | curl -T - (round $r)" pipeline_s3
			record pipe_s3 "tar | zstd -T0 -3 | curl -T - (round $r)" "$bytes"
		fi
	done
	timed "publish s3_files (round $r)" publish files
	record pub_files "publish s3_files (round $r)" "$bytes"
	for k in "${order[@]}"; do
		if [[ $k == pub ]]; then
			timed "pack_bench > local file (round $r)" pack_file
			record pack_file "pack_bench > local file (round $r)" "$bytes"
		else
			timed "tar | zstd -T0 -3 > local file (round $r)" pipeline_file
			record pipe_file "tar | zstd -T0 -3 > local file (round $r)" "$bytes"
		fi
	done
	if ((r == ROUNDS)); then
		# The last publish's tar, and every file's key, from the objects themselves.
		latest=$(curl -sSf "$S3/$BUCKET/tar/chains/polkadot/latest.json")
		snap=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["manifest"].split("/")[0])' "$latest")
		TAR_KEY=tar/chains/polkadot/$snap/snapshot.tar.zst
		tbytes=$(curl -sSf -o /dev/null -w '%{size_download}' "$S3/$BUCKET/$TAR_KEY")
		cmp "$TMP/local-pack.tar.zst" <(curl -sSf "$S3/$BUCKET/$TAR_KEY") >/dev/null ||
			die "the published tar and pack_bench's differ (the pack is not deterministic)"
		zstd -dc "$TMP/local-pack.tar.zst" | tar -tf - | grep -c . >"$TMP/entries" ||
			die "the pack does not unpack"
		latest=$(curl -sSf "$S3/$BUCKET/files/chains/polkadot/latest.json")
		fsnap=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["manifest"].split("/")[0])' "$latest")
		curl -sSf "$S3/$BUCKET/files/chains/polkadot/$fsnap/files.txt" |
			while IFS= read -r f; do
				printf 'url = "%s/%s/files/chains/polkadot/%s/files/%s"\noutput = "%s/dl/%s"\n' \
					"$S3" "$BUCKET" "$fsnap" "$f" "$TMP" "$f"
			done >"$TMP/curl-files.cfg"
		echo "  (tar object $((tbytes / 1048576)) MiB, $(cat "$TMP/entries") entries, the same bytes as" \
			"pack_bench's; $(grep -c '^url' "$TMP/curl-files.cfg") files in the files target)"
	fi
	echo "  load average $(load)"
done
for ((r = 1; r <= ROUNDS; r++)); do
	echo "round $r (fetch): load average $(load)"
	if ((r % 2)); then order=(fetch curl); else order=(curl fetch); fi
	for k in "${order[@]}"; do
		if [[ $k == fetch ]]; then
			timed "fetch --form tar (round $r)" fetch tar tar
			record fetch_tar "fetch --form tar (round $r)" "$tbytes"
			timed "fetch --form files (round $r)" fetch files files
			record fetch_files "fetch --form files (round $r)" "$bytes"
		else
			timed "curl -o, the tar (round $r)" curl_tar
			record curl_tar "curl -o, the tar (round $r)" "$tbytes"
			timed "curl -o, every file (round $r)" curl_files
			record curl_files "curl -o, every file (round $r)" "$bytes"
		fi
	done
done

# ---- summary -----------------------------------------------------------------
echo
echo "Summary (median MiB/s of $ROUNDS rounds, min..max; load average at the end $(load)):"
awk '
function med(k,   a, i, j, t, n) {
	n = cnt[k]
	for (i = 1; i <= n; i++) a[i] = v[k, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1; i = ++cnt[k]; v[k, i] = $3; if (!(k in lo) || $3 < lo[k]) lo[k] = $3; if ($3 > hi[k]) hi[k] = $3
  if ($4 > rss[k]) rss[k] = $4 }
function show(label, k) {
	printf "  %-34s %6.0f MiB/s (%.0f..%.0f)%s\n", label, med(k), lo[k], hi[k],
		(rss[k] > 0 ? sprintf(", peak RSS %d MB", rss[k]) : "")
}
function target(label, a, b,   r) {
	r = med(a) / med(b) * 100
	printf "  %-58s %5.0f %%  %s\n", label, r, (r >= 90 ? "PASS" : "MISS")
}
END {
	show("publish s3_tar", "pub_tar"); show("tar | zstd -T0 -3 | curl -T -", "pipe_s3")
	show("publish s3_tar less the complete", "pub_tar_less")
	show("publish s3_files", "pub_files")
	show("pack to a local file", "pack_file"); show("tar | zstd -T0 -3 > file", "pipe_file")
	show("fetch --form tar", "fetch_tar"); show("curl -o, the tar", "curl_tar")
	show("fetch --form files", "fetch_files"); show("curl -o, every file", "curl_files")
	print "Targets (>= 90 %):"
	target("publish s3_tar / tar | zstd -T0 -3 | curl -T -", "pub_tar", "pipe_s3")
	printf "  %-58s %5.0f %%  (not the target: s3rver-only cost taken out)\n",
		"publish s3_tar less s3rver completing / the pipeline", med("pub_tar_less") / med("pipe_s3") * 100
	target("pack to a local file / tar | zstd -T0 -3 > file", "pack_file", "pipe_file")
	target("fetch --form tar / curl -o", "fetch_tar", "curl_tar")
	target("fetch --form files / curl -o of every file", "fetch_files", "curl_files")
	printf "  %-58s %5d MB  %s\n", "publish s3_tar peak RSS (< 100 MB)", rss["pub_tar"],
		(rss["pub_tar"] < 100 ? "PASS" : "MISS")
	printf "  %-58s %5d MB  %s\n", "publish s3_files peak RSS (< 100 MB)", rss["pub_files"],
		(rss["pub_files"] < 100 ? "PASS" : "MISS")
}' "$TMP/rows.txt"
echo "results written to $RESULTS"
