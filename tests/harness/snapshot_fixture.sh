#!/bin/sh
# SPDX-License-Identifier: MIT
# Publishes a snapshot of SRC for test_snapshot_fetch with independent tools
# (sha256sum, GNU tar --zstd, JSON written by hand from docs/snapshot-format.md)
# and uploads it to s3rver with anonymous curl PUTs (s3rver checks no policy).
# Both forms: files/<path> with files.txt and SHA256SUMS, and snapshot.tar.zst.
#
# Usage: snapshot_fixture.sh SRC WORK ENDPOINT BUCKET CHAIN
# Environment, for the hostile cases: PF_FX_SUMS (a SHA256SUMS to publish
# instead of the real one), PF_FX_TAR (a tar.zst instead), PF_FX_CORRUPT (an
# object name under the snapshot, e.g. files/a.bin, whose bytes are flipped
# after the manifest is written).
set -eu
src=$1 work=$2 endpoint=$3 bucket=$4 chain=$5
snap=23456789-91b171bb
out=$work/chains/$chain/$snap
rm -rf "$work"
mkdir -p "$out/files"
cp -R "$src/." "$out/files/"
(cd "$src" && find . -type f | sed 's|^\./||' | LC_ALL=C sort >"$out/files.txt")
(cd "$src" && LC_ALL=C sort "$out/files.txt" | while IFS= read -r f; do sha256sum "$f"; done) \
	>"$out/SHA256SUMS"
if [ -n "${PF_FX_SUMS:-}" ]; then cp "$PF_FX_SUMS" "$out/SHA256SUMS"; fi
# Entries named as the format wants them (no "./" prefix), parents before children.
(cd "$src" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$work/tar.list"
tar --zstd -C "$src" --no-recursion -T "$work/tar.list" -cf "$out/snapshot.tar.zst"
if [ -n "${PF_FX_TAR:-}" ]; then cp "$PF_FX_TAR" "$out/snapshot.tar.zst"; fi
size=$(find "$src" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
sums_sha=$(sha256sum <"$out/SHA256SUMS" | cut -c1-64)
tar_sha=$(sha256sum <"$out/snapshot.tar.zst" | cut -c1-64)
tar_size=$(stat -c %s "$out/snapshot.tar.zst")
cat >"$out/manifest.json" <<JSON
{"format": 1, "chain": "$chain", "height": 23456789,
 "block_hash": "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3",
 "created": "2026-12-06T13:46:53Z", "tool": "snapshot_fixture.sh",
 "artifacts": [
  {"kind": "files", "name": "files", "size": $size, "sha256": "$sums_sha",
   "file_list": "files.txt", "sums": "SHA256SUMS"},
  {"kind": "tar.zst", "name": "snapshot.tar.zst", "size": $tar_size, "sha256": "$tar_sha"}]}
JSON
man_sha=$(sha256sum <"$out/manifest.json" | cut -c1-64)
printf '{"format": 1, "chain": "%s", "height": 23456789, "manifest": "%s/manifest.json", "sha256": "%s"}\n' \
	"$chain" "$snap" "$man_sha" >"$work/chains/$chain/latest.json"
if [ -n "${PF_FX_CORRUPT:-}" ]; then
	f=$out/$PF_FX_CORRUPT
	# One byte in the middle changed: same size, another sha256.
	printf 'X' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") / 2)) conv=notrunc status=none
fi
(cd "$work" && find chains -type f) | while IFS= read -r key; do
	curl -sSf \
		-T "$work/$key" "$endpoint/$bucket/$key" >/dev/null
done
