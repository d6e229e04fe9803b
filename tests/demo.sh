#!/usr/bin/env bash
# make demo: the edge on loopback. Two simulated nodes per chain, the agent,
# and HAProxy running the shipped haproxy/haproxy.cfg over TLS with a
# throw-away CA. Prints the endpoints and a curl line; Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${PF_BUILD:-build/release}
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
HTTPS_PORT=${DEMO_HTTPS_PORT:-8443}
HTTP_PORT=${DEMO_HTTP_PORT:-8080}
AGENT_PORT=${DEMO_AGENT_PORT:-12345}
METRICS_PORT=${DEMO_METRICS_PORT:-9464}
SIM_BASE=${DEMO_SIM_BASE:-19944}
SIM_CONTROL=${DEMO_SIM_CONTROL:-19900}

for p in "$HTTPS_PORT" "$HTTP_PORT" "$AGENT_PORT" "$METRICS_PORT" "$SIM_CONTROL" \
	$((SIM_BASE)) $((SIM_BASE + 1)) $((SIM_BASE + 2)) $((SIM_BASE + 3)); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		echo "demo: port $p is in use (set DEMO_*_PORT to move it)" >&2
		exit 1
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/polkfura-demo-XXXXXX")
chmod 755 "$dir"
pids=()
cleanup() {
	trap - EXIT INT TERM
	echo
	echo "demo: stopping"
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
	local end=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= end)); then
			echo "demo: $what did not come up; logs in $dir" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# TLS: a demo CA and a certificate for the chain hosts.
(
	cd "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=polkfura-demo-ca \
		-keyout ca.key -out ca.pem 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout site.key -out site.csr 2>/dev/null
	printf 'subjectAltName=DNS:localhost,DNS:polkadot.localhost,DNS:kusama.localhost,IP:127.0.0.1\n' >san.ext
	openssl x509 -req -in site.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
		-extfile san.ext -out site.crt 2>/dev/null
	mkdir certs && cat site.crt site.key >certs/site.pem
)

# Simulated nodes: polkadot-0/1 and kusama-0/1.
cat >"$dir/nodes.json" <<JSON
{"control": $SIM_CONTROL, "nodes": [
 {"name": "polkadot-0", "chain": "polkadot", "port": $SIM_BASE, "block_time_ms": 6000},
 {"name": "polkadot-1", "chain": "polkadot", "port": $((SIM_BASE + 1)), "block_time_ms": 6000},
 {"name": "kusama-0", "chain": "kusama", "port": $((SIM_BASE + 2)), "block_time_ms": 6000, "height": 30000000},
 {"name": "kusama-1", "chain": "kusama", "port": $((SIM_BASE + 3)), "block_time_ms": 6000, "height": 30000000}
]}
JSON
NODE_PATH="$PF_CACHE/npm/node_modules" node tests/harness/nodesim.js --config "$dir/nodes.json" \
	>"$dir/nodesim.log" 2>&1 &
pids+=($!)
wait_for 20 "node simulator" grep -q READY "$dir/nodesim.log"

"$BUILD/polkfura-spoa" --listen "127.0.0.1:$AGENT_PORT" --methods haproxy/methods.tsv \
	--metrics "127.0.0.1:$METRICS_PORT" --threads 2 >"$dir/agent.log" 2>&1 &
pids+=($!)
wait_for 10 "polkfura-spoa" grep -q "ready:" "$dir/agent.log"

cat >"$dir/backends.cfg" <<CFG
backend be_polkadot
    balance roundrobin
    option httpchk GET /health/readiness
    default-server check inter 1s fall 2 rise 1 maxconn 500
    server node1 127.0.0.1:$SIM_BASE
    server node2 127.0.0.1:$((SIM_BASE + 1))
backend be_polkadot_heavy
    balance roundrobin
    default-server maxconn 20
    server node1 127.0.0.1:$SIM_BASE track be_polkadot/node1
    server node2 127.0.0.1:$((SIM_BASE + 1)) track be_polkadot/node2
backend be_kusama
    balance roundrobin
    option httpchk GET /health/readiness
    default-server check inter 1s fall 2 rise 1 maxconn 500
    server node1 127.0.0.1:$((SIM_BASE + 2))
    server node2 127.0.0.1:$((SIM_BASE + 3))
backend be_kusama_heavy
    balance roundrobin
    default-server maxconn 20
    server node1 127.0.0.1:$((SIM_BASE + 2)) track be_kusama/node1
    server node2 127.0.0.1:$((SIM_BASE + 3)) track be_kusama/node2
CFG
PF_LOG_TARGET=stdout PF_LOG_FORMAT=raw PF_ADMIN_SOCKET="$dir/admin.sock" \
	PF_HTTP_BIND="127.0.0.1:$HTTP_PORT" PF_HTTPS_BIND="127.0.0.1:$HTTPS_PORT" \
	PF_CERT_DIR="$dir/certs" PF_SPOE_CONF="$PWD/haproxy/spoe-polkfura.conf" \
	PF_AGENT_ADDR="127.0.0.1:$AGENT_PORT" \
	haproxy -db -f haproxy/haproxy.cfg -f "$dir/backends.cfg" >"$dir/haproxy.log" 2>&1 &
pids+=($!)
wait_for 10 "haproxy" curl -sf --cacert "$dir/ca.pem" "https://polkadot.localhost:$HTTPS_PORT/health"

cat <<TXT

polkfura demo is running (logs in $dir):
  polkadot   https://polkadot.localhost:$HTTPS_PORT/   wss://polkadot.localhost:$HTTPS_PORT/
  kusama     https://kusama.localhost:$HTTPS_PORT/     wss://kusama.localhost:$HTTPS_PORT/
  health     https://polkadot.localhost:$HTTPS_PORT/health
  agent      http://127.0.0.1:$METRICS_PORT/metrics
  nodes      http://127.0.0.1:$SIM_CONTROL/nodes   (steer: curl -d '{"syncing":true}' http://127.0.0.1:$SIM_CONTROL/nodes/polkadot-0)
  TLS CA     $dir/ca.pem

Try:
  curl --cacert $dir/ca.pem -H 'Content-Type: application/json' -d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' -i https://polkadot.localhost:$HTTPS_PORT/
  curl --cacert $dir/ca.pem -H 'Content-Type: application/json' -d '{"id":2,"jsonrpc":"2.0","method":"author_insertKey","params":[]}' https://polkadot.localhost:$HTTPS_PORT/
  tail -f $dir/haproxy.log

Ctrl-C stops everything.
TXT
wait -n "${pids[@]}" || true
echo "demo: a process exited; see the logs in $dir" >&2
