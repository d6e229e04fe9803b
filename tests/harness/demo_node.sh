#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo's simulated polkadot node for quick sync (issue 13), shared by
# tests/demo.sh and test_snapshot_demo so the README walk-through the test
# runs is the one the demo prints. Makes BASE laid out as a node's
# --base-path (chains/polkadot/db/full with about 6 MB of files, the
# network key and a keystore, which a publish must leave out, and a rocksdb
# LOG the exclude list leaves out), then prints the config's "snapshot"
# object: both S3 targets in BUCKET at ENDPOINT (s3rver serves the bucket's
# objects to plain GETs too, so its URL stands for the CDN), the node's RPC,
# harmless hooks, and the upload state beside BASE (not /var/lib, which a
# demo user cannot write).
#
# Usage: demo_node.sh BASE ENDPOINT BUCKET RPC_URL
set -eu
base=$1 endpoint=$2 bucket=$3 rpc=$4
db=$base/chains/polkadot/db/full
mkdir -p "$db" "$base/chains/polkadot/network" "$base/chains/polkadot/keystore"
for i in 1 2 3; do
	head -c $((i * 1048576 + 12345)) /dev/urandom >"$db/00000$i.sst"
done
printf 'MANIFEST-000004\n' >"$db/CURRENT"
head -c 4096 /dev/urandom >"$db/MANIFEST-000004"
printf 'rocksdb log: left out by the exclude list\n' >"$db/LOG"
head -c 32 /dev/urandom >"$base/chains/polkadot/network/secret_ed25519"
printf '"demo seed: never published"' >"$base/chains/polkadot/keystore/6772616e0123"
cat <<JSON
{"chains": [{"name": "polkadot", "base_path": "$base", "rpc": "$rpc",
   "pre": ["/bin/true"], "post": ["/bin/true"], "exclude": ["chains/*/db/full/LOG*"]}],
  "s3_files": {"bucket": "$bucket", "region": "us-east-1", "endpoint": "$endpoint"},
  "s3_tar": {"bucket": "$bucket", "region": "us-east-1", "endpoint": "$endpoint",
    "cdn_url": "$endpoint/$bucket"},
  "retention": 2, "part_size_mb": 5, "state_dir": "$(dirname "$base")/publish-state"}
JSON
