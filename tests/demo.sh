#!/usr/bin/env bash
# make demo: the edge on loopback. Three simulated nodes per chain (the
# chains of haproxy/chains.map and backends.cfg: polkadot, kusama), the
# agent, HAProxy running the shipped haproxy/haproxy.cfg over TLS with a
# throw-away CA, and the controller keeping HAProxy's servers in step with
# the nodes, reading HAProxy's access log for per-method statistics, with a
# light trickle of calls so they have something to show. Prints the
# endpoints and lines to try; Ctrl-C stops it all. For quick sync (issue 13):
# a simulated node base path for polkadot and s3rver on loopback, with the
# commands to publish a snapshot of it and fetch it back.
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
CTL_PORT=${DEMO_CTL_PORT:-9465}
PROM_PORT=${DEMO_PROM_PORT:-8405}
# UDP: HAProxy's access log to the controller (log_listen).
LOG_PORT=${DEMO_LOG_PORT:-5514}
# PostgreSQL listens on a unix socket in the demo's dir only; the port only names the socket.
PG_PORT=${DEMO_PG_PORT:-5439}

for p in "$HTTPS_PORT" "$HTTP_PORT" "$AGENT_PORT" "$METRICS_PORT" "$SIM_CONTROL" "$CTL_PORT" "$PROM_PORT" \
	$(seq "$SIM_BASE" $((SIM_BASE + 5))); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		echo "demo: port $p is in use (set DEMO_*_PORT to move it)" >&2
		exit 1
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/polkfura-demo-XXXXXX")
chmod 755 "$dir"
pids=()
declare -A names=() # pid -> what it is, for the crash report
ctl_pid=
pg_pid=
keep= # set when something failed: cleanup leaves the logs in $dir
crashed=()
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# track NAME: the last background process ($!) is one of the demo's, called NAME.
track() {
	pids+=("$!")
	names[$!]=$1
}

# reaped PID STATUS: PID has exited with STATUS. An exit 0 or our own SIGTERM (cleanup) or
# SIGINT is clean; anything else is a crash.
reaped() {
	local what=${names[$1]:-process $1} st=$2
	((st == 0 || st == 130 || st == 143)) && return 0
	if ((st > 128)); then
		crashed+=("$what (pid $1) was killed by SIG$(kill -l $((st - 128)) 2>/dev/null || echo $((st - 128)))")
	else
		crashed+=("$what (pid $1) exited with status $st")
	fi
	keep=1
}

# stop PID: SIGTERM, then wait and judge its exit (not the one the last wait -n reaped).
gone=
# shellcheck disable=SC2317 # called from cleanup, which runs from a trap shellcheck 0.9 does not follow
stop() {
	local st=0
	[[ $1 == "${gone:-}" ]] && return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || st=$?
	reaped "$1" "$st"
}

# shellcheck disable=SC2317 # it runs from the EXIT/INT/TERM traps, which shellcheck 0.9 does not follow
cleanup() {
	trap - EXIT INT TERM
	echo
	echo "demo: stopping"
	# The controller first (its last heartbeat ends the watched time), then the report of
	# the demo's run from PostgreSQL, then the rest.
	if [[ -n $ctl_pid ]]; then
		stop "$ctl_pid"
	fi
	if [[ -n $pg_pid && -f $dir/ctl.json ]]; then
		echo "demo: the uptime report of this run (polkfura-ctl report --from $started):"
		echo
		"$BUILD/polkfura-ctl" report --config "$dir/ctl.json" --from "$started" || true
		echo
		# usage counts whole minutes only: a run stopped within its first one has none yet.
		if (($(date -u +%s) - $(date -u -d "$started" +%s) >= 120)); then
			echo "demo: the calls of this run by method (polkfura-ctl usage --since $started):"
			echo
			"$BUILD/polkfura-ctl" usage --config "$dir/ctl.json" --since "$started" || true
		else
			echo "demo: no calls by method: usage counts whole minutes, and this run had none complete"
		fi
	fi
	for pid in "${pids[@]}"; do
		[[ $pid == "$ctl_pid" ]] || stop "$pid"
	done
	if [[ -z $keep ]]; then
		rm -rf "$dir"
		return
	fi
	for line in "${crashed[@]}"; do echo "demo: $line" >&2; done
	echo "demo: the logs stay in $dir (*.log; remove the directory when done)" >&2
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
	local end=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= end)); then
			echo "demo: $what did not come up; logs in $dir" >&2
			keep=1
			exit 1
		fi
		sleep 0.1
	done
}

# Every background process in a process group of its own: Ctrl-C (SIGINT to the terminal's
# foreground group) reaches this script only, and cleanup stops the rest in order, so an
# exit it did not ask for is a crash, not a race with Ctrl-C.
set -m

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

# Simulated nodes: polkadot-0/1/2 and kusama-0/1/2, a block every 6 s.
{
	echo "{\"control\": $SIM_CONTROL, \"nodes\": ["
	for i in 0 1 2; do
		echo " {\"name\": \"polkadot-$i\", \"chain\": \"polkadot\", \"port\": $((SIM_BASE + i)), \"block_time_ms\": 6000},"
	done
	for i in 0 1 2; do
		sep=,
		[[ $i == 2 ]] && sep=
		echo " {\"name\": \"kusama-$i\", \"chain\": \"kusama\", \"port\": $((SIM_BASE + 3 + i)), \"block_time_ms\": 6000, \"height\": 30000000}$sep"
	done
	echo "]}"
} >"$dir/nodes.json"
NODE_PATH="$PF_CACHE/npm/node_modules" node tests/harness/nodesim.js --config "$dir/nodes.json" \
	>"$dir/nodesim.log" 2>&1 &
track "the node simulator"
wait_for 20 "node simulator" grep -q READY "$dir/nodesim.log"

"$BUILD/polkfura-spoa" --listen "127.0.0.1:$AGENT_PORT" --methods haproxy/methods.tsv \
	--metrics "127.0.0.1:$METRICS_PORT" --threads 2 >"$dir/agent.log" 2>&1 &
track polkfura-spoa
wait_for 10 "polkfura-spoa" grep -q "ready:" "$dir/agent.log"

# The shipped backends.cfg and chains.map as production runs them: server-template
# slots the controller fills, HAProxy's server-state file kept by the controller.
# As root the worker drops to the haproxy user in an empty chroot, as in
# production; otherwise there is nothing to drop (empty values leave the lines out).
if [[ $(id -u) == 0 ]]; then
	mkdir "$dir/chroot"
	priv=(PF_USER=haproxy PF_GROUP=haproxy PF_CHROOT="$dir/chroot" PF_ADMIN_GROUP=haproxy)
else
	priv=(PF_USER= PF_GROUP= PF_CHROOT= PF_ADMIN_GROUP=)
fi
env "${priv[@]}" PF_CHAINS_MAP="$PWD/haproxy/chains.map" \
	PF_LOG_TARGET="127.0.0.1:$LOG_PORT" PF_LOG_FORMAT=rfc3164 PF_ADMIN_SOCKET="$dir/admin.sock" \
	PF_HTTP_BIND="127.0.0.1:$HTTP_PORT" PF_HTTPS_BIND="127.0.0.1:$HTTPS_PORT" PF_HTTPS_PORT="$HTTPS_PORT" \
	PF_PROM_BIND="127.0.0.1:$PROM_PORT" \
	PF_CERT_DIR="$dir/certs" PF_SPOE_CONF="$PWD/haproxy/spoe-polkfura.conf" \
	PF_UNSAFE_METHODS="$PWD/haproxy/unsafe-methods.txt" \
	PF_AGENT_ADDR="127.0.0.1:$AGENT_PORT" PF_SERVER_STATE_FILE="$dir/haproxy-server-state" \
	haproxy -db -f haproxy/haproxy.cfg -f haproxy/backends.cfg >"$dir/haproxy.log" 2>&1 &
track haproxy
# Answering at all is enough here: /health says "down" until the controller fills a slot.
wait_for 10 "haproxy" curl -s -o /dev/null --cacert "$dir/ca.pem" "https://polkadot.localhost:$HTTPS_PORT/health"
# Plain HTTP sends clients to the demo's HTTPS port (PF_HTTPS_PORT), not to the plain one.
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "http://polkadot.localhost:$HTTP_PORT/?demo")
if [[ $loc != "https://polkadot.localhost:$HTTPS_PORT/?demo" ]]; then
	echo "demo: http://polkadot.localhost:$HTTP_PORT/?demo redirects to '$loc'," \
		"not https://polkadot.localhost:$HTTPS_PORT/?demo" >&2
	keep=1
	exit 1
fi

nodes() { # nodes CHAIN FIRST_PORT
	for i in 0 1 2; do
		sep=,
		[[ $i == 2 ]] && sep=
		echo "{\"name\": \"$1-$i\", \"rpc\": \"http://127.0.0.1:$(($2 + i))/\"}$sep"
	done
}
# PostgreSQL for the controller's records: a throw-away cluster in the demo's dir, unix socket
# only, run as postgres when we are root (initdb refuses root).
pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[[ -x $pg_bin/postgres ]] || { echo "demo: no PostgreSQL server (run make deps)" >&2; exit 1; }
as_pg=()
mkdir "$dir/pg"
if [[ $(id -u) == 0 ]]; then
	chown postgres: "$dir/pg"
	as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/pg/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1
# Ctrl-C does not reach it (set -m above): the report at the end reads it, then cleanup stops it.
"${as_pg[@]}" "$pg_bin/postgres" -D "$dir/pg/data" -k "$dir/pg" -p "$PG_PORT" \
	-c listen_addresses= >"$dir/postgres.log" 2>&1 &
pg_pid=$!
track postgres
wait_for 20 "postgres" "$pg_bin/pg_isready" -q -h "$dir/pg" -p "$PG_PORT"
mkdir -m 700 "$dir/spool"

# Quick sync (issue 13): s3rver (npm, tests/peers/package.json) on loopback with one bucket
# for both snapshot forms, and a polkadot node's --base-path as the node lays it out, with
# some MB of database, the node's network key and a keystore (both never published).
S3_BUCKET=polkfura-demo-snapshots
mkdir "$dir/s3rver"
NODE_PATH="$PF_CACHE/npm/node_modules" node --openssl-legacy-provider tests/harness/s3rver.js "$dir/s3rver" "$S3_BUCKET" \
	>"$dir/s3rver.log" 2>&1 &
track s3rver
wait_for 20 "s3rver" grep -q '^READY ' "$dir/s3rver.log"
s3_url=http://127.0.0.1:$(sed -n 's/^READY //p' "$dir/s3rver.log")
snapshot_cfg=$(tests/harness/demo_node.sh "$dir/node/polkadot" "$s3_url" "$S3_BUCKET" \
	"http://127.0.0.1:$SIM_BASE")

# The admin token: only the controller's user may read it (check refuses it otherwise).
(umask 077 && openssl rand -hex 24 >"$dir/admin-token")
cat >"$dir/ctl.json" <<JSON
{"region": "demo", "interval_ms": 1000, "timeout_ms": 800, "max_lag": 5, "max_lag_seconds": 12,
 "min_peers": 2,
 "rise": 2, "fall": 2, "min_drain_ms": 5000, "min_ready": 1, "stall_ms": 30000,
 "drain_grace_ms": 30000,
 "haproxy": [{"socket": "unix:$dir/admin.sock", "server_state_file": "$dir/haproxy-server-state"}],
 "http_listen": "127.0.0.1:$CTL_PORT", "state_file": "$dir/ctl-state.json",
 "admin_token_file": "$dir/admin-token",
 "database": "host=$dir/pg port=$PG_PORT user=postgres dbname=postgres",
 "spool_dir": "$dir/spool",
 "log_listen": "udp:127.0.0.1:$LOG_PORT", "methods_file": "$PWD/haproxy/methods.tsv",
 "snapshot": $snapshot_cfg,
 "chains": [
  {"name": "polkadot", "backend": "be_polkadot", "heavy_backends": ["be_polkadot_heavy"],
   "nodes": [$(nodes polkadot "$SIM_BASE")]},
  {"name": "kusama", "backend": "be_kusama", "heavy_backends": ["be_kusama_heavy"],
   "nodes": [$(nodes kusama $((SIM_BASE + 3)))]}]}
JSON
"$BUILD/polkfura-ctl" db migrate --config "$dir/ctl.json" --sql-dir sql >"$dir/migrate.log" 2>&1 ||
	{ cat "$dir/migrate.log" >&2; exit 1; }
"$BUILD/polkfura-ctl" run --config "$dir/ctl.json" >"$dir/ctl.log" 2>&1 &
ctl_pid=$!
track polkfura-ctl
wait_for 10 "polkfura-ctl" curl -sf "http://127.0.0.1:$CTL_PORT/healthz"
wait_for 10 "template slots filled" curl -sf --cacert "$dir/ca.pem" "https://polkadot.localhost:$HTTPS_PORT/health"

# A trickle of calls, one round every 2 s, so the per-method statistics and the status page
# have something to show: reads, a batch, an unknown and an unsafe method, on both chains.
traffic() {
	local chain body
	while :; do
		for chain in polkadot kusama; do
			for body in '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' \
				'{"id":2,"jsonrpc":"2.0","method":"system_health","params":[]}' \
				'[{"id":3,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[1]},{"id":4,"jsonrpc":"2.0","method":"state_getRuntimeVersion","params":[]}]' \
				'{"id":5,"jsonrpc":"2.0","method":"demo_notAMethod","params":[]}' \
				'{"id":6,"jsonrpc":"2.0","method":"author_rotateKeys","params":[]}'; do
				curl -s -o /dev/null --max-time 5 --cacert "$dir/ca.pem" \
					-H 'Content-Type: application/json' -d "$body" \
					"https://$chain.localhost:$HTTPS_PORT/" || true
			done
		done
		sleep 2
	done
}
traffic &
track "the background calls"

cat <<TXT

polkfura demo is running (logs in $dir):
  polkadot   https://polkadot.localhost:$HTTPS_PORT/   wss://polkadot.localhost:$HTTPS_PORT/
  kusama     https://kusama.localhost:$HTTPS_PORT/     wss://kusama.localhost:$HTTPS_PORT/
  health     https://polkadot.localhost:$HTTPS_PORT/health
  agent      http://127.0.0.1:$METRICS_PORT/metrics
  haproxy    http://127.0.0.1:$PROM_PORT/metrics   (HAProxy's own Prometheus exporter)
  page       http://127.0.0.1:$CTL_PORT/   (the public status page: open it in a browser)
  status     http://127.0.0.1:$CTL_PORT/status.json   http://127.0.0.1:$CTL_PORT/metrics
  nodes      http://127.0.0.1:$SIM_CONTROL/nodes   (the node simulator's control API)
  TLS CA     $dir/ca.pem
  database   psql -h $dir/pg -p $PG_PORT -U postgres   (the controller's records)
  s3         $s3_url/$S3_BUCKET   (s3rver: the quick-sync snapshots; objects in $dir/s3rver)

Try:
  curl --cacert $dir/ca.pem -H 'Content-Type: application/json' -d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' -i https://polkadot.localhost:$HTTPS_PORT/
  curl --cacert $dir/ca.pem -H 'Content-Type: application/json' -d '{"id":2,"jsonrpc":"2.0","method":"author_insertKey","params":[]}' https://polkadot.localhost:$HTTPS_PORT/
  curl -i http://polkadot.localhost:$HTTP_PORT/      (plain HTTP: 308 to https://polkadot.localhost:$HTTPS_PORT/)

WebSocket (WSS): new heads as they come, with the npm package ws (Ctrl-C to end):
  NODE_PATH=$PF_CACHE/npm/node_modules NODE_EXTRA_CA_CERTS=$dir/ca.pem node -r $PWD/tests/harness/resolve-localhost.js -e 'const w = new (require("ws"))(process.argv[1]); w.on("open", () => w.send(JSON.stringify({id: 1, jsonrpc: "2.0", method: "chain_subscribeNewHead", params: []}))); w.on("message", (m) => console.log(String(m)))' wss://polkadot.localhost:$HTTPS_PORT/

Per-method statistics from HAProxy's access log (a trickle of calls runs in the background):
  curl -s http://127.0.0.1:$CTL_PORT/metrics | grep '^polkfura_rpc_requests_total'
  $BUILD/polkfura-ctl usage --since 10m --config $dir/ctl.json [--by time] [--capacity]
  (the database has a row per method and minute once the minute is over)

Watch a node drain: stop polkadot-2's progress, then look at the controller:
  curl -d '{"stall":true}' http://127.0.0.1:$SIM_CONTROL/nodes/polkadot-2
  $BUILD/polkfura-ctl status --config $dir/ctl.json      (within ~20 s: polkadot-2 drain, lag 13 s > 12 s)
  tail -f $dir/ctl.log
  curl -X POST http://127.0.0.1:$SIM_CONTROL/nodes/polkadot-2/reset   (undo: back at the others' height, ready again after 2 good rounds)

Drain a node by hand (admin token in $dir/admin-token, read through the config):
  $BUILD/polkfura-ctl drain kusama-1 --reason "disk swap" --config $dir/ctl.json
  $BUILD/polkfura-ctl undrain kusama-1 --config $dir/ctl.json

Record a note, and read the report so far:
  $BUILD/polkfura-ctl note "demo: trying a drain" --config $dir/ctl.json
  $BUILD/polkfura-ctl report --from $started --config $dir/ctl.json [--format html]

Quick sync: publish a snapshot of the simulated node's base path, fetch it back both ways
and check it (README "Quick sync in the demo"):
$(sed -n '/^<!-- demo-quick-sync -->/,/^<!-- \/demo-quick-sync -->/p' README.md | sed '1,2d;$d' |
		sed '$d' | sed "s|\$DEMO|$dir|g; s|\$S3|$s3_url|g; s|build/release/|$BUILD/|g; s|^|  |")

Ctrl-C stops everything and prints the uptime report and the calls by method of the run.
TXT
st=0
wait -n -p gone "${pids[@]}" || st=$?
reaped "$gone" "$st"
keep=1
echo "demo: ${names[$gone]} (pid $gone) exited on its own, status $st; stopping the rest" >&2
exit 1
