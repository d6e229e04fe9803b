#!/usr/bin/env bash
# Self-test of tests/harness/nodesim.js: starts the simulator with 3 nodes and its control API on
# ports the kernel picks (read back from the READY line, so runs never collide), checks its answers
# with curl against what a polkadot-sdk node (jsonrpsee) answers, then a second simulator serving
# TLS, and stops both with SIGTERM. Needs node, curl and openssl; the WebSocket checks run when the
# npm package ws is on NODE_PATH. Ends with "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIM="$HERE/nodesim.js"
DATA="$HERE/../data/responses"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/nodesim-selftest.XXXXXX")"
SIM_PID=""
TLS_PID=""

passed=0
failed=0
skipped=0

cleanup() {
  for pid in "$SIM_PID" "$TLS_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() {
  passed=$((passed + 1))
  echo "ok   - $1"
}
bad() {
  failed=$((failed + 1))
  echo "FAIL - $1" >&2
  if [[ $# -gt 1 ]]; then printf '       %s\n' "${@:2}" >&2; fi
}
check() { # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1" "expected: $2" "actual:   $3"; fi
}
check_re() { # check_re NAME REGEX ACTUAL
  if [[ "$3" =~ $2 ]]; then ok "$1"; else bad "$1" "expected to match: $2" "actual: $3"; fi
}

# rpc PORT BODY: POST a JSON-RPC body, print the response body.
rpc() { curl -sS --max-time 5 -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$1/"; }
# status ARGS...: print the HTTP status of a request.
status() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@" || true; }
# steer NAME JSON: POST to the control API, print the response body.
steer() { curl -sS --max-time 10 -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$CTL/nodes/$1"; }
ctl_status() { curl -sS --max-time 10 -o "$TMP/ctl.body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$CTL/$1" || true; }
# jfield JSON EXPR: evaluate a JS expression on the parsed JSON (as j).
jfield() { node -e 'const j = JSON.parse(process.argv[1]); const v = eval(process.argv[2]); process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"; }

# wait_ready PID OUT: polls OUT for the READY line (up to ~20 s) and prints it without "READY ".
wait_ready() {
  for _ in $(seq 1 400); do
    if grep -q '^READY ' "$2" 2>/dev/null; then
      sed -n 's/^READY //p' "$2"
      return 0
    fi
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# --- start ---------------------------------------------------------------------------------------
node "$SIM" --listen 127.0.0.1 --base-port 0 --nodes 3 --control 0 --block-time-ms 0 \
  >"$TMP/out" 2>"$TMP/err" &
SIM_PID=$!

if ! ready="$(wait_ready "$SIM_PID" "$TMP/out")"; then
  echo "simulator did not become ready:" >&2
  cat "$TMP/err" >&2 || true
  echo "0 passed, 1 failed"
  exit 1
fi
CTL="$(jfield "$ready" 'j.control')"
P0="$(jfield "$ready" 'j.nodes[0].port')"
P1="$(jfield "$ready" 'j.nodes[1].port')"
P2="$(jfield "$ready" 'j.nodes[2].port')"
check "READY line" \
  "{\"control\":$CTL,\"nodes\":[{\"name\":\"polkadot-0\",\"port\":$P0},{\"name\":\"polkadot-1\",\"port\":$P1},{\"name\":\"polkadot-2\",\"port\":$P2}]}" \
  "$ready"
check_re "READY ports are real ports" '^[1-9][0-9]* [1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$' "$CTL $P0 $P1 $P2"
check "READY is the only stdout line" 1 "$(wc -l <"$TMP/out" | tr -d ' ')"

# --- JSON-RPC shapes -----------------------------------------------------------------------------
check "system_health shape" \
  '{"jsonrpc":"2.0","id":1,"result":{"peers":25,"isSyncing":false,"shouldHavePeers":true}}' \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}')"

hdrs="$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' \
  --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P1/" | tr -d '\r')"
check_re "X-Node header names the node" $'(^|\n)X-Node: polkadot-1(\n|$)' "$hdrs"
check_re "JSON content type" $'(^|\n)Content-Type: application/json; charset=utf-8(\n|$)' "$hdrs"

h="$(rpc "$P0" '{"id":"h","jsonrpc":"2.0","method":"chain_getHeader","params":[]}')"
check "chain_getHeader number is the height as hex" '0x1410264' "$(jfield "$h" 'j.result.number')"
check "chain_getHeader echoes a string id" 'h' "$(jfield "$h" 'typeof j.id === "string" && j.id')"
check "chain_getHeader keeps the header's keys" 'parentHash,number,stateRoot,extrinsicsRoot,digest' \
  "$(jfield "$h" 'Object.keys(j.result).join()')"

check "u64 id echoed exactly" \
  '{"jsonrpc":"2.0","id":18446744073709551615,"result":"Live"}' \
  "$(rpc "$P0" '{"jsonrpc":"2.0","id":18446744073709551615,"method":"system_chainType","params":[]}')"

b="$(rpc "$P0" '[{"id":1,"jsonrpc":"2.0","method":"system_chain","params":[]},{"jsonrpc":"2.0","method":"system_name","params":[]},{"id":2,"jsonrpc":"2.0","method":"system_syncState","params":[]}]')"
check "batch answers in order, notification skipped" \
  '[{"jsonrpc":"2.0","id":1,"result":"Polkadot"},{"jsonrpc":"2.0","id":2,"result":{"startingBlock":21032668,"currentBlock":21037668,"highestBlock":21037668}}]' \
  "$b"

check "unsafe method refused" \
  '{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"RPC call is unsafe to be called externally"}}' \
  "$(rpc "$P0" '{"id":7,"jsonrpc":"2.0","method":"author_rotateKeys","params":[]}')"
check "unknown method" \
  '{"jsonrpc":"2.0","id":8,"error":{"code":-32601,"message":"Method not found"}}' \
  "$(rpc "$P0" '{"id":8,"jsonrpc":"2.0","method":"no_suchMethod","params":[]}')"
check "empty batch" '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}' "$(rpc "$P0" '[]')"
# jsonrpsee: a body whose first non-blank byte is '{' or '[' is read and answered with HTTP 200,
# a parse error included; anything else (or nothing) is HTTP 400 (http_helpers::read_body).
check "broken JSON after '{': parse error" "$(tr -d '\n' <"$DATA/error-parse.json")" "$(rpc "$P0" '{"id":1,')"
check "broken JSON after '{': HTTP 200" 200 "$(status -H 'Content-Type: application/json' --data-binary '{"id":1,' "http://127.0.0.1:$P0/")"
check "body not starting with '{' or '[': HTTP 400" 400 "$(status -H 'Content-Type: application/json' --data-binary 'xx' "http://127.0.0.1:$P0/")"
check "empty body: HTTP 400" 400 "$(status -H 'Content-Type: application/json' --data-binary '' "http://127.0.0.1:$P0/")"
check "notification: HTTP 200" 200 "$(status -H 'Content-Type: application/json' --data-binary '{"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P0/")"
check "notification: empty body" "" "$(rpc "$P0" '{"jsonrpc":"2.0","method":"system_health","params":[]}')"
check "POST without JSON content type is 415" 415 "$(status -H 'Content-Type: text/plain' --data-binary '{}' "http://127.0.0.1:$P0/")"
check "415 is text/plain" 'text/plain' "$(curl -sS -o /dev/null -w '%{content_type}' -H 'Content-Type: text/plain' --data-binary '{}' "http://127.0.0.1:$P0/")"
check "JSON type with another parameter is 415 (jsonrpsee's exact list)" 415 \
  "$(status -H 'Content-Type: application/json; foo=bar' --data-binary '{}' "http://127.0.0.1:$P0/")"
check "application/json;charset=UTF-8 is JSON" 200 \
  "$(status -H 'Content-Type: application/json;charset=UTF-8' --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P0/")"
check "subscription over HTTP is an internal error" \
  '{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"Internal error"}}' \
  "$(rpc "$P0" '{"id":9,"jsonrpc":"2.0","method":"chain_subscribeNewHeads","params":[]}')"

h0="$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[1000]}')"
h1="$(rpc "$P1" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[1000]}')"
check_re "chain_getBlockHash is a 32-byte hash" '"result":"0x[0-9a-f]{64}"' "$h0"
check "all nodes of a chain agree on block hashes" "$h0" "$h1"
check "genesis hash is Polkadot's" \
  '{"jsonrpc":"2.0","id":1,"result":"0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"}' \
  "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}')"

# chain_getHeader([hash]): a node answers null for a hash it does not have (Option<Header>).
best_hash="$(jfield "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[]}')" 'j.result')"
check "chain_getHeader [best hash] is the best header" '0x1410264' \
  "$(jfield "$(rpc "$P0" "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"$best_hash\"]}")" 'j.result.number')"
check "chain_getHeader [hash without 0x] is accepted (impl-serde)" '0x1410264' \
  "$(jfield "$(rpc "$P0" "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"${best_hash#0x}\"]}")" 'j.result.number')"
check "chain_getHeader [unknown hash] is null" '{"jsonrpc":"2.0","id":1,"result":null}' \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":["0x1111111111111111111111111111111111111111111111111111111111111111"]}')"
hash_above="$(jfield "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[21037667]}')" 'j.result')"
steer polkadot-1 '{"height":21037600}' >/dev/null
check "chain_getHeader [a hash above this node's best] is null" '{"jsonrpc":"2.0","id":1,"result":null}' \
  "$(rpc "$P1" "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"$hash_above\"]}")"
steer polkadot-1 '{"height":21037668}' >/dev/null
check "chain_getHeader [not a hash] is -32602" '-32602 Invalid params' \
  "$(jfield "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":["0x12"]}')" 'j.error.code + " " + j.error.message')"

# Methods the tests send through HAProxy, answered as a node does (no state is simulated).
INVALID_PARAMS="$(tr -d '\n' <"$DATA/error-invalid-params.json")"
check "a required parameter missing: jsonrpsee's 'No more params'" "$INVALID_PARAMS" \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"state_getKeysPaged","params":[]}')"
check "state_getStorage without a key: 'No more params'" "$INVALID_PARAMS" \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"state_getStorage","params":[]}')"
check "state_getStorage [key]: null (no values are simulated)" '{"jsonrpc":"2.0","id":2,"result":null}' \
  "$(rpc "$P0" '{"id":2,"jsonrpc":"2.0","method":"state_getStorage","params":["0x26aa394eea5630e07c48ae0c9558cef7"]}')"
k="$(rpc "$P0" '{"id":3,"jsonrpc":"2.0","method":"state_getKeysPaged","params":["0x26AA",3]}')"
check "state_getKeysPaged: count keys under the prefix, lower case, in byte order" \
  '3 true true' "$(jfield "$k" '[j.result.length, j.result.every((x) => /^0x26aa[0-9a-f]{64}$/.test(x)), j.result.every((x, i, a) => i === 0 || a[i - 1] < x)].join(" ")')"
k2="$(rpc "$P0" "{\"id\":3,\"jsonrpc\":\"2.0\",\"method\":\"state_getKeysPaged\",\"params\":[\"0x26aa\",2,$(jfield "$k" 'JSON.stringify(j.result[1])')]}")"
check "state_getKeysPaged: start_key pages on after it" "$(jfield "$k" 'j.result[2]')" "$(jfield "$k2" 'j.result[0]')"
check "state_getKeysPaged count 1001: sc-rpc's InvalidCount (4002)" \
  "$(tr -d '\n' <"$DATA/error-keys-paged-count.json")" \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"state_getKeysPaged","params":["0x26aa",1001]}')"
check "author_submitExtrinsic: the captured bad-signature refusal" '1010 Invalid Transaction' \
  "$(jfield "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"author_submitExtrinsic","params":["0x2d0284"]}')" 'j.error.code + " " + j.error.message')"
check "a known method without a model: a loud error, not a made-up result" \
  '{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"nodesim: no model for chain_getBlock"}}' \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlock","params":[]}')"

# network: the node answers with another network's hashes, its chain stays what it was.
v="$(steer polkadot-2 '{"network":"kusama","height":1000}')"
check "steered network in the view" 'polkadot kusama' "$(jfield "$v" 'j.chain + " " + j.network')"
g2="$(jfield "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}')" 'j.result')"
check_re "another network: genesis is a 32-byte hash" '^0x[0-9a-f]{64}$' "$g2"
check "another network: not Polkadot's genesis" no \
  "$([[ $g2 == 0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3 ]] && echo yes || echo no)"
check "another network: the header's parent is its own block 999" \
  "$(jfield "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[999]}')" 'j.result')" \
  "$(jfield "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}')" 'j.result.parentHash')"
check "another network: system_chain names it" '"Kusama"' \
  "$(jfield "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"system_chain","params":[]}')" 'JSON.stringify(j.result)')"
check "bad network is 400" 400 "$(ctl_status nodes/polkadot-2 '{"network":"no/slash"}')"
steer polkadot-2 '{"network":null}' >/dev/null
check "network null: back to the chain's genesis" \
  '{"jsonrpc":"2.0","id":1,"result":"0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"}' \
  "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}')"

# --- HTTP method handling and health paths -------------------------------------------------------
check "GET / is 405" 405 "$(status "http://127.0.0.1:$P0/")"
check "405 is text/plain" 'text/plain' "$(curl -sS -o /dev/null -w '%{content_type}' "http://127.0.0.1:$P0/")"
check "405 body" 'Used HTTP Method is not allowed. POST is required' "$(curl -sS "http://127.0.0.1:$P0/")"
check "GET /health" '{"peers":25,"isSyncing":false,"shouldHavePeers":true}' "$(curl -sS "http://127.0.0.1:$P0/health")"
check "GET /health/readiness is 200 when synced" 200 "$(status "http://127.0.0.1:$P0/health/readiness")"

# --- steering --------------------------------------------------------------------------------------
steer polkadot-0 '{"syncing":true}' >/dev/null
check "GET /health/readiness is 500 when syncing" 500 "$(status "http://127.0.0.1:$P0/health/readiness")"
check "system_health reports syncing" \
  '{"jsonrpc":"2.0","id":1,"result":{"peers":25,"isSyncing":true,"shouldHavePeers":true}}' \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}')"
steer polkadot-0 '{"syncing":false,"peers":0}' >/dev/null
check "GET /health/readiness is 500 without peers" 500 "$(status "http://127.0.0.1:$P0/health/readiness")"
steer polkadot-0 '{"peers":25}' >/dev/null

v="$(steer polkadot-0 '{"height":100,"finalized_lag":5}')"
check "steer answers the new state" '100 95' "$(jfield "$v" 'j.height + " " + j.finalized')"
check "steered height in chain_getHeader" '0x64' \
  "$(jfield "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}')" 'j.result.number')"
fin="$(jfield "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getFinalizedHead","params":[]}')" 'j.result')"
check "finalized head is the hash of best - finalized_lag" \
  "$(jfield "$(rpc "$P1" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[95]}')" 'j.result')" "$fin"
check "chain_getHeader [hash] answers that block" '0x5f' \
  "$(jfield "$(rpc "$P0" "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"$fin\"]}")" 'j.result.number')"
check "chain_getBlockHash above best is null" '{"jsonrpc":"2.0","id":1,"result":null}' \
  "$(rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[101]}')"

steer polkadot-2 '{"height":500,"block_time_ms":50}' >/dev/null
advanced=no
for _ in $(seq 1 100); do
  n="$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-2")" 'j.height')"
  if ((n > 502)); then advanced=yes; break; fi
  sleep 0.02
done
check "height advances with block_time_ms" yes "$advanced"
steer polkadot-2 '{"stall":true}' >/dev/null
s1="$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-2")" 'j.height')"
s2="$(jfield "$(rpc "$P2" '{"id":1,"jsonrpc":"2.0","method":"system_syncState","params":[]}')" 'j.result.currentBlock')"
check "stall freezes the height" "$s1" "$s2"
steer polkadot-2 '{"block_time_ms":0,"stall":false}' >/dev/null

check "unknown steer key is 400" 400 "$(ctl_status nodes/polkadot-0 '{"heigth":1}')"
check_re "unknown steer key message" 'unknown steer key' "$(cat "$TMP/ctl.body")"
check "bad steer value is 400" 400 "$(ctl_status nodes/polkadot-0 '{"peers":"many"}')"
check "unknown node is 404" 404 "$(ctl_status nodes/nope '{}')"

# hang: the request is read (and counted) but never answered.
steer polkadot-1 '{"hang":true}' >/dev/null
curl -sS --max-time 5 -X POST "http://127.0.0.1:$CTL/nodes/polkadot-1/reset-counters" >/dev/null
rc=0
curl -sS --max-time 1 -o /dev/null -H 'Content-Type: application/json' \
  --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P1/" 2>/dev/null || rc=$?
check "hang: curl --max-time 1 times out (exit 28)" 28 "$rc"
v="$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-1")"
check "hang: the call was counted" '1 system_health 1' "$(jfield "$v" 'j.requests + " " + j.last_method + " " + j.methods.system_health')"
steer polkadot-1 '{"hang":false}' >/dev/null
check "hang cleared: answers again" 200 \
  "$(status -H 'Content-Type: application/json' --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P1/")"

# down: the port refuses connections, then listens again.
steer polkadot-1 '{"down":true}' >/dev/null
rc=0
curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$P1/health" 2>/dev/null || rc=$?
check "down: connection refused (curl exit 7)" 7 "$rc"
steer polkadot-1 '{"down":false}' >/dev/null
check "up again: answers" '{"peers":25,"isSyncing":false,"shouldHavePeers":true}' "$(curl -sS --max-time 2 "http://127.0.0.1:$P1/health")"

# http_error and rpc_error.
steer polkadot-2 '{"http_error":503}' >/dev/null
check "http_error 503" 503 \
  "$(status -H 'Content-Type: application/json' --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P2/")"
steer polkadot-2 '{"http_error":null,"rpc_error":{"code":-32603,"message":"Internal error"}}' >/dev/null
check "rpc_error answers every call" \
  '{"jsonrpc":"2.0","id":3,"error":{"code":-32603,"message":"Internal error"}}' \
  "$(rpc "$P2" '{"id":3,"jsonrpc":"2.0","method":"system_health","params":[]}')"
steer polkadot-2 '{"rpc_error":null}' >/dev/null
check "rpc_error cleared" '{"jsonrpc":"2.0","id":3,"result":"Parity Polkadot"}' \
  "$(rpc "$P2" '{"id":3,"jsonrpc":"2.0","method":"system_name","params":[]}')"

# latency.
steer polkadot-2 '{"latency_ms":300}' >/dev/null
t="$(curl -sS -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' \
  --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P2/")"
check "latency_ms delays the answer" yes "$(awk -v t="$t" 'BEGIN { print (t >= 0.29) ? "yes" : "no" }')"
steer polkadot-2 '{"latency_ms":0}' >/dev/null

# /all and counters.
check "POST /all" 200 "$(ctl_status all '{"peers":7}')"
check "POST /all applied to every node" '7,7,7' "$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes")" 'j.map(n => n.peers).join()')"
curl -sS --max-time 5 -X POST "http://127.0.0.1:$CTL/nodes/polkadot-0/reset-counters" >/dev/null
rpc "$P0" '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' >/dev/null
rpc "$P0" '[{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]},{"id":2,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}]' >/dev/null
v="$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-0")"
check "counters: requests, methods, last_method" '3 2 1 chain_getHeader' \
  "$(jfield "$v" '[j.requests, j.methods.system_health, j.methods.chain_getHeader, j.last_method].join(" ")')"

# --- batches refused or limited (jsonrpsee BatchRequestConfig) -----------------------------------
BATCH2='[{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]},{"id":2,"jsonrpc":"2.0","method":"system_chainType","params":[]}]'
curl -sS --max-time 5 -X POST "http://127.0.0.1:$CTL/nodes/polkadot-2/reset-counters" >/dev/null
steer polkadot-2 '{"batch":false}' >/dev/null
REFUSED="$(tr -d '\n' <"$DATA/error-batches-not-supported.json")"
check "batch false: a batch gets -32005 with id null" "$REFUSED" "$(rpc "$P2" "$BATCH2")"
check "batch false: HTTP 200" 200 "$(status -H 'Content-Type: application/json' --data-binary "$BATCH2" "http://127.0.0.1:$P2/")"
check "batch false: even [] and broken JSON are refused before parsing" "$REFUSED $REFUSED" "$(rpc "$P2" '[]') $(rpc "$P2" '[{')"
check "batch false: single calls still answered" '{"jsonrpc":"2.0","id":5,"result":"Live"}' \
  "$(rpc "$P2" '{"id":5,"jsonrpc":"2.0","method":"system_chainType","params":[]}')"
check "counters: batches counted, refused members not" '4 1' \
  "$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-2")" 'j.batches + " " + j.requests')"
steer polkadot-2 '{"batch":1}' >/dev/null
check "batch 1: a batch of 2 gets -32010 naming the limit" \
  "$(tr -d '\n' <"$DATA/error-batch-too-large.json")" "$(rpc "$P2" "$BATCH2")"
check "batch 1: a batch of 1 is served" '[{"jsonrpc":"2.0","id":1,"result":"Live"}]' \
  "$(rpc "$P2" '[{"id":1,"jsonrpc":"2.0","method":"system_chainType","params":[]}]')"
check "bad batch value is 400" 400 "$(ctl_status nodes/polkadot-2 '{"batch":"no"}')"
steer polkadot-2 '{"batch":true}' >/dev/null
check "batch true: served again" 2 "$(jfield "$(rpc "$P2" "$BATCH2")" 'j.length')"

# --- connection limit (jsonrpsee ConnectionGuard, HTTP 429) ----------------------------------------
check "max_connections defaults to polkadot-sdk's 100" '100 0' \
  "$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-1")" 'j.max_connections + " " + j.permits')"
steer polkadot-1 '{"max_connections":1,"latency_ms":700}' >/dev/null
curl -sS --max-time 5 -o "$TMP/slow.body" -H 'Content-Type: application/json' \
  --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P1/" &
slow=$!
held=no
for _ in $(seq 1 100); do # poll until the slow request holds the only permit
  if [[ "$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-1")" 'j.permits')" == 1 ]]; then held=yes; break; fi
  sleep 0.02
done
check "a request being answered holds a permit" yes "$held"
curl -sS --max-time 5 -o "$TMP/429.body" -D "$TMP/429.head" -H 'Content-Type: application/json' \
  --data-binary '{"id":2,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P1/" || true
check "over the limit: HTTP 429" 'HTTP/1.1 429 Too Many Requests' "$(head -1 "$TMP/429.head" | tr -d '\r')"
check_re "429 is text/plain" $'(^|\n)Content-Type: text/plain(\n|$)' "$(tr -d '\r' <"$TMP/429.head")"
check "429 body is jsonrpsee's, byte for byte" "$(od -An -c "$DATA/http-429-too-many-connections.txt")" "$(od -An -c "$TMP/429.body")"
wait "$slow" || true
check "the slow request was answered" '1 object' "$(jfield "$(cat "$TMP/slow.body")" 'j.id + " " + typeof j.result')"
check "permit released, 429 counted" '0 1' \
  "$(jfield "$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-1")" 'j.permits + " " + j.too_many_connections')"
check "bad max_connections value is 400" 400 "$(ctl_status nodes/polkadot-1 '{"max_connections":-1}')"
steer polkadot-1 '{"max_connections":0,"latency_ms":0}' >/dev/null
check "max_connections 0: everything is 429" 429 "$(status "http://127.0.0.1:$P1/health")"
steer polkadot-1 '{"max_connections":null}' >/dev/null
check "max_connections null: no limit" 200 "$(status "http://127.0.0.1:$P1/health")"
steer polkadot-1 '{"max_connections":100}' >/dev/null

# --- WebSocket -------------------------------------------------------------------------------------
if node -e 'require("ws")' 2>/dev/null; then
  steer polkadot-0 '{"block_time_ms":100}' >/dev/null
  ws_out="$(
    node - "$P0" <<'EOF' 2>&1 || true
const WebSocket = require('ws');
const ws = new WebSocket(`ws://127.0.0.1:${process.argv[2]}/`);
let node = null, subId = null, heads = [], batch = null;
const done = (msg) => { console.log(msg); process.exit(0); };
setTimeout(() => done(`timeout node=${node} sub=${subId} heads=${heads.length} batch=${batch}`), 5000);
ws.on('upgrade', (res) => { node = res.headers['x-node']; });
ws.on('open', () => {
  ws.send('{"id":1,"jsonrpc":"2.0","method":"chain_subscribeNewHead","params":[]}');
  ws.send('[{"id":2,"jsonrpc":"2.0","method":"system_chain","params":[]},{"id":3,"jsonrpc":"2.0","method":"author_insertKey","params":[]}]');
});
ws.on('message', (d) => {
  const m = JSON.parse(String(d));
  if (Array.isArray(m)) batch = m.map((x) => x.result || x.error.code).join();
  else if (m.id === 1) subId = m.result;
  else if (m.method === 'chain_newHead' && m.params.subscription === subId) heads.push(parseInt(m.params.result.number, 16));
  const rising = heads.length >= 3 && heads.every((h, i) => i === 0 || h > heads[i - 1]);
  if (rising && batch && /^[A-Za-z0-9]{16}$/.test(subId)) done(`ok node=${node} batch=${batch}`);
});
ws.on('error', (e) => done(`error ${e.message}`));
EOF
  )"
  check "WebSocket: X-Node on upgrade, batch, newHead notifications as blocks advance" \
    'ok node=polkadot-0 batch=Polkadot,-32601' "$ws_out"
  steer polkadot-0 '{"block_time_ms":0}' >/dev/null

  # An open WebSocket connection holds a permit for its whole life (jsonrpsee ConnectionGuard).
  steer polkadot-0 '{"max_connections":1}' >/dev/null
  ws_out="$(
    node - "$P0" <<'EOF' 2>&1 || true
const WebSocket = require('ws');
const http = require('http');
const port = process.argv[2];
const get = () => new Promise((res) => http.get(`http://127.0.0.1:${port}/health`, (r) => { r.resume(); res(r.statusCode); }).on('error', () => res(0)));
const out = [];
const done = () => { console.log(out.join(' ')); process.exit(0); };
setTimeout(() => { out.push('timeout'); done(); }, 5000);
const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
ws.on('open', async () => {
  out.push(`http=${await get()}`);
  const second = new WebSocket(`ws://127.0.0.1:${port}/`);
  second.on('unexpected-response', async (_req, r) => {
    out.push(`upgrade=${r.statusCode}`);
    ws.close();
    ws.on('close', async () => {
      for (let i = 0; i < 50; i++) { // poll: the server sees the close a moment later
        const st = await get();
        if (st === 200) { out.push('after-close=200'); return done(); }
        await new Promise((r2) => setTimeout(r2, 20));
      }
      out.push('after-close=429'); done();
    });
  });
  second.on('open', () => { out.push('upgrade=101'); done(); });
  second.on('error', () => {});
});
ws.on('error', (e) => { out.push(`error ${e.message}`); done(); });
EOF
  )"
  check "WebSocket: a connection holds a permit; HTTP and a second upgrade get 429 until it closes" \
    'http=429 upgrade=429 after-close=200' "$ws_out"
  steer polkadot-0 '{"max_connections":100}' >/dev/null
else
  skipped=$((skipped + 1))
  echo "skip - WebSocket check (npm package ws not on NODE_PATH)"
fi

# --- TLS: a second simulator serving HTTPS with its own throw-away CA ------------------------------
rc=0
node "$SIM" --base-port 0 --nodes 1 --tls-cert "$TMP/none.pem" >/dev/null 2>"$TMP/tls-flag.err" || rc=$?
check "--tls-cert without --tls-key: exit 2" 2 "$rc"
(
  cd "$TMP"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=selftest-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -keyout node.key -out node.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
  openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext \
    -out node.pem 2>/dev/null
)
node "$SIM" --base-port 0 --nodes 1 --block-time-ms 0 --tls-cert "$TMP/node.pem" --tls-key "$TMP/node.key" \
  >"$TMP/tls.out" 2>"$TMP/tls.err" &
TLS_PID=$!
if tls_ready="$(wait_ready "$TLS_PID" "$TMP/tls.out")"; then
  PT="$(jfield "$tls_ready" 'j.nodes[0].port')"
  check "TLS: HTTPS answers, verified against the CA" '{"jsonrpc":"2.0","id":1,"result":"Live"}' \
    "$(curl -sS --max-time 5 --cacert "$TMP/ca.pem" -H 'Content-Type: application/json' \
      --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_chainType","params":[]}' "https://127.0.0.1:$PT/")"
  rc=0
  curl -sS --max-time 5 -o /dev/null "https://127.0.0.1:$PT/health" 2>/dev/null || rc=$?
  check "TLS: a client without the CA refuses the certificate (curl exit 60)" 60 "$rc"
  rc=0
  curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$PT/health" 2>/dev/null || rc=$?
  check "TLS: plain HTTP on the TLS port gets no HTTP answer" yes "$([[ $rc -ne 0 ]] && echo yes || echo no)"
else
  bad "TLS simulator did not become ready" "$(cat "$TMP/tls.err")"
fi
kill -TERM "$TLS_PID"
rc=0
wait "$TLS_PID" || rc=$?
TLS_PID=""
check "TLS simulator: SIGTERM exits 0" 0 "$rc"
check "TLS simulator: stderr is clean" "" "$(grep -v 'npm package ws not found' "$TMP/tls.err" || true)"

# --- shutdown --------------------------------------------------------------------------------------
kill -TERM "$SIM_PID"
rc=0
wait "$SIM_PID" || rc=$?
SIM_PID=""
check "SIGTERM exits 0" 0 "$rc"
if [[ -s "$TMP/err" ]] && grep -qv 'npm package ws not found' "$TMP/err"; then
  bad "simulator stderr is clean" "$(cat "$TMP/err")"
else
  ok "simulator stderr is clean"
fi

if ((skipped > 0)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))
