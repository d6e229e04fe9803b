#!/usr/bin/env bash
# Self-test of tests/harness/nodesim.js: starts the simulator on ports PORT_BASE.. (default 24000:
# control on PORT_BASE, nodes on PORT_BASE+1..PORT_BASE+3), checks its answers with curl, and stops
# it. Needs node and curl; the WebSocket check runs when the npm package ws is on NODE_PATH.
# Ends with "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIM="$HERE/nodesim.js"
PORT_BASE="${PORT_BASE:-24000}"
CTL=$PORT_BASE
P0=$((PORT_BASE + 1))
P1=$((PORT_BASE + 2))
P2=$((PORT_BASE + 3))
TMP="$(mktemp -d "${TMPDIR:-/tmp}/nodesim-selftest.XXXXXX")"
SIM_PID=""

passed=0
failed=0
skipped=0

cleanup() {
  if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill -TERM "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
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

# --- start ---------------------------------------------------------------------------------------
node "$SIM" --listen 127.0.0.1 --base-port "$P0" --nodes 3 --control "$CTL" --block-time-ms 0 \
  >"$TMP/out" 2>"$TMP/err" &
SIM_PID=$!

ready=""
for _ in $(seq 1 400); do # poll for the READY line, up to ~20 s
  if grep -q '^READY ' "$TMP/out" 2>/dev/null; then
    ready="$(grep '^READY ' "$TMP/out")"
    break
  fi
  if ! kill -0 "$SIM_PID" 2>/dev/null; then break; fi
  sleep 0.05
done
if [[ -z "$ready" ]]; then
  echo "simulator did not become ready:" >&2
  cat "$TMP/err" >&2 || true
  echo "0 passed, 1 failed"
  exit 1
fi
check "READY line" \
  "{\"control\":$CTL,\"nodes\":[{\"name\":\"polkadot-0\",\"port\":$P0},{\"name\":\"polkadot-1\",\"port\":$P1},{\"name\":\"polkadot-2\",\"port\":$P2}]}" \
  "${ready#READY }"
check "READY is the only stdout line" 1 "$(wc -l <"$TMP/out" | tr -d ' ')"

# --- JSON-RPC shapes -----------------------------------------------------------------------------
check "system_health shape" \
  '{"jsonrpc":"2.0","id":1,"result":{"peers":25,"isSyncing":false,"shouldHavePeers":true}}' \
  "$(rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}')"

hdrs="$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' \
  --data-binary '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P1/" | tr -d '\r')"
check_re "X-Node header names the node" $'(^|\n)X-Node: polkadot-1(\n|$)' "$hdrs"
check_re "JSON content type" $'(^|\n)Content-Type: application/json; charset=utf-8(\n|$)' "$hdrs"

h="$(rpc $P0 '{"id":"h","jsonrpc":"2.0","method":"chain_getHeader","params":[]}')"
check "chain_getHeader number is the height as hex" '0x1410264' "$(jfield "$h" 'j.result.number')"
check "chain_getHeader echoes a string id" 'h' "$(jfield "$h" 'typeof j.id === "string" && j.id')"
check "chain_getHeader keeps the header's keys" 'parentHash,number,stateRoot,extrinsicsRoot,digest' \
  "$(jfield "$h" 'Object.keys(j.result).join()')"

check "u64 id echoed exactly" \
  '{"jsonrpc":"2.0","id":18446744073709551615,"result":"Live"}' \
  "$(rpc $P0 '{"jsonrpc":"2.0","id":18446744073709551615,"method":"system_chainType","params":[]}')"

b="$(rpc $P0 '[{"id":1,"jsonrpc":"2.0","method":"system_chain","params":[]},{"jsonrpc":"2.0","method":"system_name","params":[]},{"id":2,"jsonrpc":"2.0","method":"system_syncState","params":[]}]')"
check "batch answers in order, notification skipped" \
  '[{"jsonrpc":"2.0","id":1,"result":"Polkadot"},{"jsonrpc":"2.0","id":2,"result":{"startingBlock":21032668,"currentBlock":21037668,"highestBlock":21037668}}]' \
  "$b"

check "unsafe method refused" \
  '{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"RPC call is unsafe to be called externally"}}' \
  "$(rpc $P0 '{"id":7,"jsonrpc":"2.0","method":"author_rotateKeys","params":[]}')"
check "unknown method" \
  '{"jsonrpc":"2.0","id":8,"error":{"code":-32601,"message":"Method not found"}}' \
  "$(rpc $P0 '{"id":8,"jsonrpc":"2.0","method":"no_suchMethod","params":[]}')"
check "empty batch" '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}' "$(rpc $P0 '[]')"
check "parse error is HTTP 400" 400 "$(status -H 'Content-Type: application/json' --data-binary '{"id":1,' "http://127.0.0.1:$P0/")"
check "notification: HTTP 200" 200 "$(status -H 'Content-Type: application/json' --data-binary '{"jsonrpc":"2.0","method":"system_health","params":[]}' "http://127.0.0.1:$P0/")"
check "notification: empty body" "" "$(rpc $P0 '{"jsonrpc":"2.0","method":"system_health","params":[]}')"
check "POST without JSON content type is 415" 415 "$(status -H 'Content-Type: text/plain' --data-binary '{}' "http://127.0.0.1:$P0/")"
check "subscription over HTTP is an internal error" \
  '{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"Internal error"}}' \
  "$(rpc $P0 '{"id":9,"jsonrpc":"2.0","method":"chain_subscribeNewHeads","params":[]}')"

h0="$(rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[1000]}')"
h1="$(rpc $P1 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[1000]}')"
check_re "chain_getBlockHash is a 32-byte hash" '"result":"0x[0-9a-f]{64}"' "$h0"
check "all nodes of a chain agree on block hashes" "$h0" "$h1"
check "genesis hash is Polkadot's" \
  '{"jsonrpc":"2.0","id":1,"result":"0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"}' \
  "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}')"

# network: the node answers with another network's hashes, its chain stays what it was.
v="$(steer polkadot-2 '{"network":"kusama","height":1000}')"
check "steered network in the view" 'polkadot kusama' "$(jfield "$v" 'j.chain + " " + j.network')"
g2="$(jfield "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}')" 'j.result')"
check_re "another network: genesis is a 32-byte hash" '^0x[0-9a-f]{64}$' "$g2"
check "another network: not Polkadot's genesis" no \
  "$([[ $g2 == 0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3 ]] && echo yes || echo no)"
check "another network: the header's parent is its own block 999" \
  "$(jfield "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[999]}')" 'j.result')" \
  "$(jfield "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}')" 'j.result.parentHash')"
check "another network: system_chain names it" '"Kusama"' \
  "$(jfield "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"system_chain","params":[]}')" 'JSON.stringify(j.result)')"
check "bad network is 400" 400 "$(ctl_status nodes/polkadot-2 '{"network":"no/slash"}')"
steer polkadot-2 '{"network":null}' >/dev/null
check "network null: back to the chain's genesis" \
  '{"jsonrpc":"2.0","id":1,"result":"0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3"}' \
  "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}')"

# --- HTTP method handling and health paths -------------------------------------------------------
check "GET / is 405" 405 "$(status "http://127.0.0.1:$P0/")"
check "405 body" 'Used HTTP Method is not allowed. POST is required' "$(curl -sS "http://127.0.0.1:$P0/")"
check "GET /health" '{"peers":25,"isSyncing":false,"shouldHavePeers":true}' "$(curl -sS "http://127.0.0.1:$P0/health")"
check "GET /health/readiness is 200 when synced" 200 "$(status "http://127.0.0.1:$P0/health/readiness")"

# --- steering --------------------------------------------------------------------------------------
steer polkadot-0 '{"syncing":true}' >/dev/null
check "GET /health/readiness is 500 when syncing" 500 "$(status "http://127.0.0.1:$P0/health/readiness")"
check "system_health reports syncing" \
  '{"jsonrpc":"2.0","id":1,"result":{"peers":25,"isSyncing":true,"shouldHavePeers":true}}' \
  "$(rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}')"
steer polkadot-0 '{"syncing":false,"peers":0}' >/dev/null
check "GET /health/readiness is 500 without peers" 500 "$(status "http://127.0.0.1:$P0/health/readiness")"
steer polkadot-0 '{"peers":25}' >/dev/null

v="$(steer polkadot-0 '{"height":100,"finalized_lag":5}')"
check "steer answers the new state" '100 95' "$(jfield "$v" 'j.height + " " + j.finalized')"
check "steered height in chain_getHeader" '0x64' \
  "$(jfield "$(rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}')" 'j.result.number')"
fin="$(jfield "$(rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"chain_getFinalizedHead","params":[]}')" 'j.result')"
check "finalized head is the hash of best - finalized_lag" \
  "$(jfield "$(rpc $P1 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[95]}')" 'j.result')" "$fin"
check "chain_getHeader [hash] answers that block" '0x5f' \
  "$(jfield "$(rpc $P0 "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"$fin\"]}")" 'j.result.number')"
check "chain_getBlockHash above best is null" '{"jsonrpc":"2.0","id":1,"result":null}' \
  "$(rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[101]}')"

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
s2="$(jfield "$(rpc $P2 '{"id":1,"jsonrpc":"2.0","method":"system_syncState","params":[]}')" 'j.result.currentBlock')"
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
  "$(rpc $P2 '{"id":3,"jsonrpc":"2.0","method":"system_health","params":[]}')"
steer polkadot-2 '{"rpc_error":null}' >/dev/null
check "rpc_error cleared" '{"jsonrpc":"2.0","id":3,"result":"Parity Polkadot"}' \
  "$(rpc $P2 '{"id":3,"jsonrpc":"2.0","method":"system_name","params":[]}')"

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
rpc $P0 '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' >/dev/null
rpc $P0 '[{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]},{"id":2,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}]' >/dev/null
v="$(curl -sS "http://127.0.0.1:$CTL/nodes/polkadot-0")"
check "counters: requests, methods, last_method" '3 2 1 chain_getHeader' \
  "$(jfield "$v" '[j.requests, j.methods.system_health, j.methods.chain_getHeader, j.last_method].join(" ")')"

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
else
  skipped=$((skipped + 1))
  echo "skip - WebSocket check (npm package ws not on NODE_PATH)"
fi

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
