#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, part 3: the CPU cost per request of the edge's issue-9 rules
# (per-source connection/byte/WebSocket tracking, Host and method checks,
# fail-closed checks, the body-size rule, the batch cap, calls counted bit by
# bit) against the rules before them. Two HAProxy configs that differ only by
# those lines, each with the agent over SPOE as shipped
# (haproxy/spoe-polkfura.conf) in front of a stub upstream; wrk POSTs the 11
# real request bodies, rounds interleaved; CPU per request is HAProxy's plus
# the agent's. Every limit is raised out of reach: this measures evaluating
# the rules, not refusing. Target: the rules cost <= 5 % more CPU per request.
# The configs are bench configs written here, kept in step with
# haproxy/haproxy.cfg by hand (plain HTTP: TLS would cost the same in both).
# Usage: tests/bench/rules_bench.sh [BUILD_DIR]   (default build/release)
# Knobs: PF_BENCH_WRK_SECONDS (3 per round), PF_BENCH_WRK_ROUNDS (10).
# Output also goes to build/bench-rules.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${1:-build/release}
RESULTS=build/bench-rules.txt
WRK_SECONDS=${PF_BENCH_WRK_SECONDS:-3}
WRK_ROUNDS=${PF_BENCH_WRK_ROUNDS:-10}
CLK_TCK=$(getconf CLK_TCK)
[[ $WRK_SECONDS =~ ^[1-9][0-9]*$ ]] || { echo "PF_BENCH_WRK_SECONDS: whole seconds" >&2; exit 2; }
[[ $WRK_ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "PF_BENCH_WRK_ROUNDS: a count" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-rules-XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

die() {
	echo "rules_bench: $*" >&2
	exit 1
}

command -v wrk >/dev/null || die "wrk not found (make deps-test)"
[[ -x $BUILD/polkfura-spoa ]] || die "$BUILD/polkfura-spoa not built"
echo "== rules_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), $(haproxy -v | head -1 | cut -d' ' -f1-3)"

start_stub

free_port AGENT_PORT
"$BUILD/polkfura-spoa" --listen "127.0.0.1:$AGENT_PORT" --methods haproxy/methods.tsv \
	--threads 1 --log-level warn >"$TMP/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
wait_port "$AGENT_PORT" "$AGENT_PID" "polkfura-spoa" "$TMP/agent.log"

BIG=1000000000
ERR='content-type application/json string "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"x\"}}"'
# haproxy_cfg VARIANT PORT: "before" (the rules as they were) or "rules" (with issue 9's).
haproxy_cfg() {
	local v=$1
	cat <<EOF
global
    nbthread 1
    maxconn 4096
    tune.bufsize 65536
defaults
    mode http
    timeout connect 3s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
frontend rpc
    bind 127.0.0.1:$2
    option http-buffer-request
    filter spoe engine polkfura config "$ROOT/haproxy/spoe-polkfura.conf"
EOF
	[[ $v == rules ]] && cat <<EOF
    tcp-request connection track-sc2 src,ipmask(32,64) table st_conn
    tcp-request connection reject if { sc2_conn_cur gt $BIG } || { sc2_conn_rate gt $BIG }
    http-request return status 400 $ERR unless { req.hdr_cnt(host) eq 1 } { req.hdr(host) -m reg ^[A-Za-z0-9.-]+(:[0-9]{1,5})?\$ }
    http-request return status 405 $ERR unless { method GET POST OPTIONS }
EOF
	cat <<EOF
    http-request set-var(txn.chain) req.hdr(host),field(1,:),field(1,.),lower
    acl chain_polkadot var(txn.chain) -m str polkadot
    acl is_ws hdr(upgrade) -i websocket
EOF
	if [[ $v == rules ]]; then
		cat <<EOF
    http-request return status 400 $ERR if METH_GET { req.body_size gt 0 } || METH_GET { req.hdr_cnt(transfer-encoding) gt 0 }
    http-request track-sc0 src,ipmask(32,64) table st_all
    http-request return status 429 $ERR if { sc0_http_req_rate gt $BIG } || { sc2_bytes_in_rate gt $BIG }
    http-request track-sc1 src,ipmask(32,64) table st_ws if is_ws METH_GET
    http-request return status 429 $ERR if is_ws METH_GET { sc1_conn_cur gt $BIG }
    acl agent_up nbsrv(polkfura-spoa) gt 0
    http-request send-spoe-group polkfura rpc if METH_POST agent_up
EOF
	else
		cat <<EOF
    http-request track-sc0 src table st_all
    http-request return status 429 $ERR if { sc0_http_req_rate gt $BIG }
    http-request send-spoe-group polkfura rpc if METH_POST
EOF
	fi
	cat <<EOF
    acl cls_read      var(txn.rpc.class) -m str read
    acl cls_subscribe var(txn.rpc.class) -m str subscribe
    acl cls_submit    var(txn.rpc.class) -m str submit
    acl cls_heavy     var(txn.rpc.class) -m str heavy
    acl cls_unknown   var(txn.rpc.class) -m str unknown
    acl cls_unsafe    var(txn.rpc.class) -m str unsafe
    acl cls_invalid   var(txn.rpc.class) -m str invalid
    acl cls_oversize  var(txn.rpc.class) -m str oversize
    http-after-response set-header X-Polkfura-Class "%[var(txn.rpc.class)]" if { var(txn.rpc.class) -m found }
EOF
	[[ $v == rules ]] && cat <<EOF
    acl classified var(txn.rpc.class) -m found
    http-request return status 503 $ERR if METH_POST !classified agent_up
    acl body_unsafe req.body -m sub -f "$ROOT/haproxy/unsafe-methods.txt"
    acl body_escape req.body -m sub '\u'
    http-request return status 200 $ERR if METH_POST !classified body_unsafe
    http-request return status 503 $ERR if METH_POST !classified body_escape
EOF
	cat <<EOF
    http-request return status 200 $ERR if cls_unsafe
    http-request return status 400 $ERR if cls_invalid
EOF
	if [[ $v == rules ]]; then
		cat <<EOF
    http-request set-var(txn.pf_blen) req.body_len if METH_POST
    http-request set-var(txn.pf_full) req.hdrs,length,add(txn.pf_blen) if METH_POST
    acl body_cut req.body_size,sub(txn.pf_blen) gt 0
    acl body_full var(txn.pf_full) -m int ge 63488
    http-request return status 400 $ERR if cls_oversize || METH_POST body_cut || METH_POST body_full
    http-request return status 200 $ERR if { var(txn.rpc.batch) -m int gt 100 }
EOF
		for c in read subscribe submit heavy unknown; do
			echo "    http-request track-sc1 src,ipmask(32,64) table st_$c if cls_$c"
		done
		for ((i = 0; i < 10; i++)); do
			echo "    http-request sc-inc-gpc($i,1) if { var(txn.rpc.batch),and($((1 << i))) gt 0 }"
		done
		echo "    http-request set-var(txn.pf_calls) sc_gpc_rate(0,1) if { var(txn.rpc.batch) -m found }"
		for ((i = 1; i < 10; i++)); do
			echo "    http-request set-var(txn.pf_calls) sc_gpc_rate($i,1),mul($((1 << i))),add(txn.pf_calls) if { var(txn.rpc.batch) -m found }"
		done
		for c in read subscribe submit heavy unknown; do
			echo "    acl over_$c var(txn.pf_calls) -m int gt $BIG"
		done
	else
		echo "    http-request return status 400 $ERR if cls_oversize"
		for c in read subscribe submit heavy unknown; do
			echo "    http-request track-sc1 src table st_$c if cls_$c"
			echo "    acl over_$c sc1_http_req_rate gt $BIG"
		done
	fi
	cat <<EOF
    http-request return status 429 $ERR if cls_read over_read || cls_subscribe over_subscribe || cls_submit over_submit || cls_heavy over_heavy || cls_unknown over_unknown
    use_backend be_heavy if chain_polkadot cls_heavy || chain_polkadot cls_unknown
    use_backend be_light if chain_polkadot
backend be_light
    server stub 127.0.0.1:$STUB_PORT
backend be_heavy
    server stub 127.0.0.1:$STUB_PORT
backend polkfura-spoa
    mode tcp
    balance roundrobin
    option spop-check
    timeout connect 100ms
    timeout server 3m
    server agent1 127.0.0.1:$AGENT_PORT check inter 1s fall 2 rise 1
backend st_all
    stick-table type ipv6 size 1m expire 60s store http_req_rate(10s)
EOF
	if [[ $v == rules ]]; then
		cat <<EOF
backend st_conn
    stick-table type ipv6 size 1m expire 60s store conn_cur,conn_rate(1s),bytes_in_rate(10s)
backend st_ws
    stick-table type ipv6 size 1m expire 60s store conn_cur
EOF
	fi
	for c in read subscribe submit heavy unknown; do
		echo "backend st_$c"
		if [[ $v == rules ]]; then
			echo "    stick-table type ipv6 size 1m expire 60s store gpc(10),gpc_rate(10,10s)"
		else
			echo "    stick-table type ipv6 size 1m expire 60s store http_req_rate(10s)"
		fi
	done
}

VARIANTS=(before rules)
declare -A HA_PID HA_PORT
for v in "${VARIANTS[@]}"; do
	free_port "HA_PORT[$v]"
	haproxy_cfg "$v" "${HA_PORT[$v]}" >"$TMP/haproxy-$v.cfg"
	haproxy -c -q -f "$TMP/haproxy-$v.cfg" || die "$v: bad config"
	haproxy -db -f "$TMP/haproxy-$v.cfg" >"$TMP/haproxy-$v.log" 2>&1 &
	HA_PID[$v]=$!
	PIDS+=("${HA_PID[$v]}")
	wait_port "${HA_PORT[$v]}" "${HA_PID[$v]}" "haproxy ($v)" "$TMP/haproxy-$v.log"
done
BODIES=(tests/data/requests/polkadot-api-http-*.json)
wrk_load() { # VARIANT SECONDS
	wrk -t2 -c64 -d"$2s" -s tests/bench/post.lua "http://127.0.0.1:${HA_PORT[$1]}/" -- "${BODIES[@]}"
}
# Both answer with a class (the agent is UP, nothing refused): checked once.
for v in "${VARIANTS[@]}"; do
	cls=$(curl -s -o /dev/null -D - -H "Host: polkadot.example.org" -H "Content-Type: application/json" \
		--data-binary "@${BODIES[0]}" "http://127.0.0.1:${HA_PORT[$v]}/" | tr -d '\r' |
		awk 'tolower($1) == "x-polkfura-class:" { print $2 }')
	[[ -n $cls ]] || die "$v: no class on the first body (agent not UP?)"
	wrk_load "$v" 2 >/dev/null || die "wrk failed ($v warm-up)"
done
: >"$TMP/rounds.txt"
for ((r = 1; r <= WRK_ROUNDS; r++)); do
	for ((i = 0; i < ${#VARIANTS[@]}; i++)); do
		v=${VARIANTS[(i + r - 1) % ${#VARIANTS[@]}]}
		h0=$(cpu_ticks "${HA_PID[$v]}")
		a0=$(cpu_ticks "$AGENT_PID")
		b0=$(box_ticks)
		wrk_load "$v" "$WRK_SECONDS" >"$TMP/wrk-$v-$r.txt" || die "wrk failed ($v)"
		h1=$(cpu_ticks "${HA_PID[$v]}")
		a1=$(cpu_ticks "$AGENT_PID")
		b1=$(box_ticks)
		req=$(awk '/requests in/ { print $1 }' "$TMP/wrk-$v-$r.txt")
		rps=$(awk '/^Requests\/sec/ { print $2 }' "$TMP/wrk-$v-$r.txt")
		bad=$(awk '/Non-2xx/ { print $NF } END { }' "$TMP/wrk-$v-$r.txt")
		echo "$v $r $req $rps ${bad:-0} $((h1 - h0)) $((a1 - a0)) $((b1 - b0))" >>"$TMP/rounds.txt"
		printf '   round %d %-7s %8.0f req/s %s non-2xx\n' "$r" "$v" "$rps" "${bad:-0}"
	done
done
echo
echo "CPU per request (HAProxy nbthread 1 + agent --threads 1), wrk -t2 -c64 ${WRK_SECONDS}s x $WRK_ROUNDS"
echo "rounds, the 11 api-http bodies; other = cores busy with everything else (wrk included)"
awk -v tck="$CLK_TCK" -v secs="$WRK_SECONDS" '
{
	v = $1; req[v] += $3; rps[v] += $4; bad[v] += $5; h[v] += $6; a[v] += $7
	o[v] += ($8 - $6 - $7) / tck; n[v]++
}
END {
	printf("%-7s %9s %10s %10s %9s %7s %6s\n", "variant", "req/s", "haproxy_us", "agent_us", "cpu_us", "non2xx", "other")
	for (v in req) {
		cpu[v] = (h[v] + a[v]) * 1e6 / tck / req[v]
		printf("%-7s %9.0f %10.2f %10.2f %9.2f %7d %6.2f\n", v, rps[v] / n[v], h[v] * 1e6 / tck / req[v],
			a[v] * 1e6 / tck / req[v], cpu[v], bad[v], o[v] / (n[v] * secs))
	}
	d = (cpu["rules"] / cpu["before"] - 1) * 100
	printf("rules: %+.1f %% CPU per request against before over all rounds\n", d)
}' "$TMP/rounds.txt"
# Each round measures both variants back to back, so a round's ratio is less
# exposed to the rest of the machine's load drifting than the totals are.
awk -v tck="$CLK_TCK" '
{ c[$1, $2] = ($6 + $7) * 1e6 / tck / $3; if ($2 > n) n = $2 }
END {
	for (r = 1; r <= n; r++)
		d[r] = (c["rules", r] / c["before", r] - 1) * 100
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && d[j - 1] > d[j]; j--) {
			t = d[j]; d[j] = d[j - 1]; d[j - 1] = t
		}
	m = n % 2 ? d[(n + 1) / 2] : (d[n / 2] + d[n / 2 + 1]) / 2
	printf("rules: %+.1f %% CPU per request, median of the %d rounds (%+.1f .. %+.1f %%); target <= 5 %%: %s\n",
		m, n, d[1], d[n], m <= 5 ? "met" : "MISSED")
}' "$TMP/rounds.txt"
