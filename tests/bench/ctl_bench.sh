#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark of polkfura-ctl at scale: 1,000 nodes polled every second.
#
#  1. one nodesim process serving CHAINS x NODES simulated nodes (c0..c9,
#     c<k>-n<i>, kernel-chosen ports, a block a second);
#  2. haproxy with a bench config: a level-admin stats socket and one backend
#     be_c<k> per chain with servers s0..s<N-1> (plain, no checks, so only the
#     controller moves server state);
#  3. polkfura-ctl run (interval 1000 ms, timeout 800, fall 2, rise 2,
#     min_drain_ms 0), waited for on /healthz;
#  4. after a warm-up, a measured window: controller CPU % of one core
#     (utime+stime from /proc/PID/stat over wall time, user/sys split),
#     VmRSS/VmHWM, rounds, poll failures (by reason), poll latency and round
#     duration from /metrics, new sockets of the controller during the
#     window (keep-alive check: its socket fds sampled each second),
#     nodesim's and haproxy's CPU and the rest of the machine's load for
#     context (the box may be shared: a run where other processes used over
#     25 % of a core is flagged NOISY);
#  5. time-to-drain: node c3-n42 is put 100 blocks behind (height = current
#     - 100, so its lag is over max_lag at once), and `show servers state
#     be_c3` is read every 20 ms until s42 has the FDRAIN bit (0x08); then the
#     node is reset and the script waits for the drain to be lifted. The
#     controller's tick is found first (the request counter of c0-n0, the
#     first node polled in a round), and repetition i steers at phase
#     i/R of an interval (+10 ms) after a tick, so the jitter the tick adds
#     is sampled evenly instead of always landing at the same place. The
#     controller's own log gives when it decided, next to when HAProxy showed
#     it;
#  6. one summary line, also written to build/bench-ctl.txt.
# Everything listens on 127.0.0.1 and is stopped on exit; the temp dir is
# removed (PF_KEEP_TMP=1 keeps it: configs, logs, metrics snapshots).
# A run takes about 75 s with the defaults. See tests/bench/CTL_BENCH.md.
#
# Usage: tests/bench/ctl_bench.sh [BUILD_DIR]     (default build/release; run
#        `make all` first; BUILD_DIR is any directory with a polkfura-ctl)
# Knobs: PF_CTL_BENCH_OUT (build/bench-ctl.txt), PF_CTL_BENCH_CHAINS (10), PF_CTL_BENCH_NODES (100 per chain),
#        PF_CTL_BENCH_WARMUP (5 s), PF_CTL_BENCH_SECONDS (30 s),
#        PF_CTL_BENCH_DRAINS (5), PF_CTL_BENCH_BLOCK_MS (1000: nodesim block
#        time; 6000 is Polkadot's), PF_CTL_BENCH_HANG=NODE (that node hangs,
#        never answering, from before the time-to-drain runs: every round
#        then waits timeout_ms for it), PF_CTL_BENCH_STRACE=SECONDS (after
#        the window, `strace -c -f` the controller for that long; off by
#        default), PF_CACHE (npm cache holding ws, default
#        ~/.cache/polkfura), PF_KEEP_TMP=1.
# Exit status: 0 when the run worked (targets missed are reported, not
# fatal), 1 when something did not start or a measurement failed.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
CTL_BIN=$BUILD/polkfura-ctl
RESULTS=${PF_CTL_BENCH_OUT:-build/bench-ctl.txt}
CHAINS=${PF_CTL_BENCH_CHAINS:-10}
NODES=${PF_CTL_BENCH_NODES:-100}
WARMUP=${PF_CTL_BENCH_WARMUP:-5}
SECONDS_RUN=${PF_CTL_BENCH_SECONDS:-30}
DRAINS=${PF_CTL_BENCH_DRAINS:-5}
STRACE_SECONDS=${PF_CTL_BENCH_STRACE:-0}
BLOCK_MS=${PF_CTL_BENCH_BLOCK_MS:-1000}
HANG_NODE=${PF_CTL_BENCH_HANG:-}
PF_CACHE=${PF_CACHE:-$HOME/.cache/polkfura}
INTERVAL_MS=1000
TIMEOUT_MS=800
FALL=2
RISE=2
MAX_LAG=5
TARGET_CPU=10   # % of one core
TARGET_RSS=50   # MB
# The node steered for time-to-drain (clamped to the configured size).
DRAIN_CHAIN=$((3 < CHAINS ? 3 : CHAINS - 1))
DRAIN_IDX=$((42 < NODES ? 42 : NODES - 1))
DRAIN_NODE=c$DRAIN_CHAIN-n$DRAIN_IDX
DRAIN_BACKEND=be_c$DRAIN_CHAIN
DRAIN_SERVER=s$DRAIN_IDX
CLK_TCK=$(getconf CLK_TCK)
# Anything not the default goes into the summary line, so that a figure from a
# variant run is never read as the standard one.
VARIANT=()
[[ $BUILD == build/release ]] || VARIANT+=("binary $CTL_BIN")
((CHAINS == 10 && NODES == 100)) || VARIANT+=("$CHAINS x $NODES nodes")
((BLOCK_MS == 1000)) || VARIANT+=("block time $BLOCK_MS ms")
((SECONDS_RUN == 30 && WARMUP == 5)) || VARIANT+=("window $SECONDS_RUN s after $WARMUP s")
[[ -z $HANG_NODE ]] || VARIANT+=("$HANG_NODE hung during the drains")

die() {
	echo "ctl-bench: $*" >&2
	exit 1
}

[[ -x $CTL_BIN ]] || die "$CTL_BIN missing: run \`make all\` first"
for tool in node haproxy curl awk; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps installs it)"
done
((CHAINS >= 1 && CHAINS <= 64 && NODES >= 1 && NODES <= 1024 && CHAINS * NODES <= 4096)) ||
	die "PF_CTL_BENCH_CHAINS x PF_CTL_BENCH_NODES must fit the controller (64 x 1024, 4096 in all)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-ctl-bench-XXXXXX")
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIM_PID='' HAP_PID='' CTL_PID=''

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n ${PF_KEEP_TMP:-} ]]; then
		echo "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p build


now_ns() { date +%s%N; }


# cpu_split PID: "utime stime" in clock ticks.
cpu_split() {
	local s
	s=$(<"/proc/$1/stat")
	s=${s##*) }
	awk '{ print $12, $13 }' <<<"$s"
}

# status_kb PID KEY: a "Vm..." line of /proc/PID/status, in kB.
status_kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# box_ticks: busy clock ticks of the whole machine, all CPUs (/proc/stat:
# user, nice, system, irq, softirq; not idle, iowait or steal).
box_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# speed_ms: wall time of a fixed CPU-bound loop, best of 3, in ms. The VM's
# host can be slower or faster from one run to the next (the controller's and
# nodesim's CPU for the same work moved by up to 30 %); this puts a number on
# it, to compare runs with.
speed_ms() {
	local best='' t0 t1 i
	for i in 1 2 3; do
		t0=$(now_ns)
		awk 'BEGIN { for (i = 0; i < 3000000; i++) s += i % 7; if (s < 0) print s }'
		t1=$(now_ns)
		if [[ -z $best ]] || (((t1 - t0) / 1000000 < best)); then best=$(((t1 - t0) / 1000000)); fi
	done
	echo "$best"
}

# failures_by_reason FILE: "reason count" per poll failure reason in a scrape.
failures_by_reason() {
	awk '/^polkfura_ctl_poll_failures_total\{/ {
		match($1, /reason="[^"]*"/); r = substr($1, RSTART + 8, RLENGTH - 9); n[r] += $2 }
	     END { for (r in n) print r, n[r] }' "$1" | sort
}

# sock_inodes PID: the inodes of PID's open sockets, sorted. find fails on
# an fd closed while it reads the directory: that is not an error here.
sock_inodes() {
	{ find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null || true; } | sort
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# metric FILE NAME: the sum of every sample of NAME (any labels) in a scrape.
metric() {
	awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2; f = 1 }
	               END { if (f) printf "%.6f\n", s; else print "nan" }' "$1"
}

# scrape WHAT FILE: GET /metrics into FILE.
scrape() {
	curl -s --max-time 10 -o "$2" "http://127.0.0.1:$CTL_PORT/metrics" ||
		die "GET /metrics failed"
	[[ -s $2 ]] || die "GET /metrics ($1): empty answer"
}

# ---- helper (node: JSON, the READY line, the admin-socket drain timer) ----
cat >"$TMP/helper.js" <<'EOF'
'use strict';
const fs = require('fs');
const net = require('net');
const http = require('http');
const [cmd, ...args] = process.argv.slice(2);

function die(msg) {
	process.stderr.write(`ctl-bench helper: ${msg}\n`);
	process.exit(1);
}

function request(port, method, path, body) {
	return new Promise((resolve, reject) => {
		const req = http.request(
			{ host: '127.0.0.1', port, method, path, agent: false,
			  headers: body ? { 'Content-Type': 'application/json' } : {} },
			(res) => {
				let data = '';
				res.setEncoding('utf8');
				res.on('data', (d) => (data += d));
				res.on('end', () => {
					if (res.statusCode !== 200) reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${data}`));
					else resolve(JSON.parse(data));
				});
			});
		req.on('error', reject);
		req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
		req.end(body ? JSON.stringify(body) : undefined);
	});
}

// One runtime-API command on a fresh connection (non-interactive mode).
function admin(sock, line) {
	return new Promise((resolve, reject) => {
		const s = net.createConnection(sock);
		let data = '';
		s.setEncoding('utf8');
		s.on('connect', () => s.write(line + '\n'));
		s.on('data', (d) => (data += d));
		s.on('end', () => resolve(data));
		s.on('error', reject);
		s.setTimeout(2000, () => s.destroy(new Error(`admin socket: timeout on ${line}`)));
	});
}

// srv_admin_state of BACKEND/SERVER (show servers state: field 7).
async function adminState(sock, backend, server) {
	const text = await admin(sock, `show servers state ${backend}`);
	for (const l of text.split('\n')) {
		const f = l.split(' ');
		if (f.length > 7 && f[1] === backend && f[3] === server) return Number(f[6]);
	}
	throw new Error(`no ${backend}/${server} in show servers state: ${text.slice(0, 200)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const FDRAIN = 0x08;

// Waits until (state & FDRAIN) is <want>, sampling every <every> ms; returns the time seen.
async function waitDrain(sock, backend, server, want, every, timeoutMs) {
	const end = now() + timeoutMs;
	for (;;) {
		const st = await adminState(sock, backend, server);
		const t = now();
		if (((st & FDRAIN) !== 0) === want) return t;
		if (t > end) throw new Error(`${backend}/${server}: admin state ${st} after ${timeoutMs} ms (wanted drain=${want})`);
		await sleep(every);
	}
}

// The controller's tick, on this process's monotonic clock. Node <probe>,
// the first of the config and so the first polled in a round, counts its
// system_health calls: one per round, in the poll batch (the finalized-header
// call that may follow is another method). A count that moved between two
// samples puts that round's poll between the send of the first sample and
// the answer of the second; the tick is periodic (a libev repeat timer), so
// the bounds of every round seen are shifted onto one and intersected.
// Returns the latest tick and the half-width of the bound.
async function findTick(control, probe, intervalMs) {
	const count = async () => {
		const ts = now();
		const v = (await request(control, 'GET', `/nodes/${probe}`)).methods.system_health || 0;
		return { ts, tr: now(), v };
	};
	let prev = await count();
	const end = prev.ts + 4.5 * intervalMs;
	const bounds = [];
	while (now() < end) {
		await sleep(5);
		const cur = await count();
		if (cur.v !== prev.v) bounds.push([prev.ts, cur.tr]);
		prev = cur;
	}
	if (bounds.length < 2) throw new Error(`${probe}: ${bounds.length} polls seen in ${4.5 * intervalMs} ms`);
	const ref = bounds[0][0];
	let lo = -Infinity, hi = Infinity, k = 0;
	for (const [a, b] of bounds) {
		k = Math.round((a - ref) / intervalMs);
		lo = Math.max(lo, a - k * intervalMs);
		hi = Math.min(hi, b - k * intervalMs);
	}
	if (lo > hi) { // not periodic to within the bounds: keep the narrowest
		const [a, b] = bounds.reduce((m, x) => (x[1] - x[0] < m[1] - m[0] ? x : m));
		k = Math.round((a - ref) / intervalMs);
		lo = a - k * intervalMs;
		hi = b - k * intervalMs;
		k = Math.round((bounds[bounds.length - 1][0] - ref) / intervalMs);
	}
	return { tick: (lo + hi) / 2 + k * intervalMs, error: (hi - lo) / 2 };
}

// When the controller decided <node> -> drain (its log), as a wall-clock ms, or NaN.
function decidedAt(log, node, sinceWall) {
	let best = NaN;
	for (const l of fs.readFileSync(log, 'utf8').split('\n')) {
		if (!l.includes(` node=${node} `) || !l.includes('-> drain')) continue;
		const m = /^ts=(\S+)/.exec(l);
		const t = m ? Date.parse(m[1]) : NaN;
		if (t >= sinceWall - 2) best = t;
	}
	return best;
}

// drain SOCK CONTROL NODE BACKEND SERVER REPEATS INTERVAL_MS BEHIND PROBE CTL_LOG
// Steers NODE <behind> blocks back at phase i*interval/repeats after a tick,
// waits for FDRAIN, resets it and waits for the drain to be lifted. Prints
// "tick ERROR_MS" then "sample I PHASE_MS DECIDED_MS DRAIN_MS RECOVER_MS".
async function drain(sock, control, node, backend, server, repeats, intervalMs, behind, probe, log) {
	repeats = Number(repeats);
	intervalMs = Number(intervalMs);
	behind = Number(behind);
	await waitDrain(sock, backend, server, false, 20, 15000);
	const { tick, error } = await findTick(control, probe, intervalMs);
	process.stdout.write(`tick ${Math.ceil(error)}\n`);
	for (let i = 0; i < repeats; i++) {
		const phase = Math.round((i * intervalMs) / repeats) + 10;
		// The next time at <phase> after a tick, at least 100 ms from now.
		let at = tick + phase;
		while (at < now() + 100) at += intervalMs;
		const h = (await request(control, 'GET', `/nodes/${node}`)).height;
		await sleep(Math.max(0, at - now()));
		const t0 = now();
		const t0wall = Date.now();
		await request(control, 'POST', `/nodes/${node}`, { height: Math.max(0, h - behind) });
		const t1 = await waitDrain(sock, backend, server, true, 20, 10 * intervalMs);
		const decided = decidedAt(log, node, t0wall) - t0wall;
		const r0 = now();
		await request(control, 'POST', `/nodes/${node}/reset`);
		const back = await waitDrain(sock, backend, server, false, 20, 20 * intervalMs);
		process.stdout.write(`sample ${i + 1} ${Math.round(t0 - tick) % intervalMs} ` +
			`${Number.isNaN(decided) ? -1 : decided} ${Math.round(t1 - t0)} ${Math.round(back - r0)}\n`);
	}
}

if (cmd === 'simcfg') {
	// simcfg CHAINS NODES BLOCK_MS: the nodesim config, every port 0.
	const [chains, nodes, blockMs] = args.map(Number);
	const list = [];
	for (let c = 0; c < chains; c++)
		for (let i = 0; i < nodes; i++)
			list.push({ name: `c${c}-n${i}`, chain: `c${c}`, port: 0, block_time_ms: blockMs });
	process.stdout.write(JSON.stringify({ control: 0, listen: '127.0.0.1', nodes: list }) + '\n');
} else if (cmd === 'ready') {
	// ready FILE: "control PORT" then "NAME PORT" per node, from the READY line.
	const line = fs.readFileSync(args[0], 'utf8').split('\n').find((l) => l.startsWith('READY '));
	if (!line) die('no READY line');
	const r = JSON.parse(line.slice(6));
	const out = [`control ${r.control}`];
	for (const n of r.nodes) out.push(`${n.name} ${n.port}`);
	process.stdout.write(out.join('\n') + '\n');
} else if (cmd === 'drain') {
	drain(...args).catch((e) => die(e.stack || String(e)));
} else {
	die(`unknown command ${cmd}`);
}
EOF
HELPER=(node "$TMP/helper.js")

echo "ctl-bench: $CHAINS chains x $NODES nodes, interval ${INTERVAL_MS} ms, warm-up ${WARMUP} s," \
	"window ${SECONDS_RUN} s, $DRAINS drains of $DRAIN_NODE; temp dir $TMP"

SPEED0=$(speed_ms)

# ---- 1. the simulated nodes ----
"${HELPER[@]}" simcfg "$CHAINS" "$NODES" "$BLOCK_MS" >"$TMP/nodesim.json"
NODE_PATH="$PF_CACHE/npm/node_modules" node tests/harness/nodesim.js \
	--config "$TMP/nodesim.json" --block-time-ms "$BLOCK_MS" \
	>"$TMP/nodesim.out" 2>"$TMP/nodesim.log" &
SIM_PID=$!
PIDS+=("$SIM_PID")
for ((i = 0; i < 600; i++)); do
	grep -q '^READY ' "$TMP/nodesim.out" 2>/dev/null && break
	alive "$SIM_PID" || { cat "$TMP/nodesim.log" >&2; die "nodesim exited at start"; }
	sleep 0.05
done
grep -q '^READY ' "$TMP/nodesim.out" || { cat "$TMP/nodesim.log" >&2; die "nodesim: no READY line in 30 s"; }
"${HELPER[@]}" ready "$TMP/nodesim.out" >"$TMP/ports.txt"
SIM_CONTROL=$(awk '$1 == "control" { print $2 }' "$TMP/ports.txt")
declare -A PORT
while read -r name port; do
	[[ $name == control ]] || PORT[$name]=$port
done <"$TMP/ports.txt"
((${#PORT[@]} == CHAINS * NODES)) || die "nodesim READY lists ${#PORT[@]} nodes, expected $((CHAINS * NODES))"
echo "nodesim: pid $SIM_PID, ${#PORT[@]} nodes, control on :$SIM_CONTROL"

# ---- 2. haproxy ----
ADMIN_SOCK=$TMP/admin.sock
{
	cat <<EOF
global
    stats socket $ADMIN_SOCK level admin mode 600
    stats timeout 10s
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
EOF
	for ((c = 0; c < CHAINS; c++)); do
		printf '\nbackend be_c%d\n    balance roundrobin\n' "$c"
		for ((i = 0; i < NODES; i++)); do
			printf '    server s%d 127.0.0.1:%d\n' "$i" "${PORT[c$c-n$i]}"
		done
	done
} >"$TMP/haproxy.cfg"
haproxy -c -q -f "$TMP/haproxy.cfg" >"$TMP/haproxy-check.log" 2>&1 ||
	{ cat "$TMP/haproxy-check.log" >&2; die "haproxy -c refused the bench config"; }
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAP_PID=$!
PIDS+=("$HAP_PID")
for ((i = 0; i < 200; i++)); do
	[[ -S $ADMIN_SOCK ]] && break
	alive "$HAP_PID" || { cat "$TMP/haproxy.log" >&2; die "haproxy exited at start"; }
	sleep 0.05
done
[[ -S $ADMIN_SOCK ]] || die "haproxy: no admin socket $ADMIN_SOCK"
echo "haproxy: pid $HAP_PID, $CHAINS backends x $NODES servers, admin socket $ADMIN_SOCK"

# ---- 3. polkfura-ctl ----
free_port CTL_PORT
{
	printf '{"region": "bench", "interval_ms": %d, "timeout_ms": %d, "max_lag": %d,' \
		"$INTERVAL_MS" "$TIMEOUT_MS" "$MAX_LAG"
	printf ' "min_peers": 2, "rise": %d, "fall": %d, "min_drain_ms": 0, "min_ready": 1,' "$RISE" "$FALL"
	printf ' "stall_ms": 60000, "drain_grace_ms": 0,'
	printf ' "haproxy": ["unix:%s"], "http_listen": "127.0.0.1:%d",' "$ADMIN_SOCK" "$CTL_PORT"
	printf ' "state_file": "%s/ctl-state.json", "log_level": "info",\n "chains": [' "$TMP"
	for ((c = 0; c < CHAINS; c++)); do
		((c)) && printf ','
		printf '\n  {"name": "c%d", "backend": "be_c%d", "nodes": [' "$c" "$c"
		for ((i = 0; i < NODES; i++)); do
			((i)) && printf ', '
			printf '{"name": "c%d-n%d", "server": "s%d", "rpc": "http://127.0.0.1:%d/"}' \
				"$c" "$i" "$i" "${PORT[c$c-n$i]}"
		done
		printf ']}'
	done
	printf '\n]}\n'
} >"$TMP/ctl.json"
"$CTL_BIN" check --config "$TMP/ctl.json" >"$TMP/ctl-check.log" 2>&1 ||
	{ cat "$TMP/ctl-check.log" >&2; die "polkfura-ctl check refused the bench config"; }
"$CTL_BIN" run --config "$TMP/ctl.json" >"$TMP/ctl.log" 2>&1 &
CTL_PID=$!
PIDS+=("$CTL_PID")
T_START=$(now_ns)
for ((i = 0; i < 200; i++)); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$CTL_PORT/healthz" || true)
	[[ $code == 200 ]] && break
	alive "$CTL_PID" || { cat "$TMP/ctl.log" >&2; die "polkfura-ctl exited at start"; }
	sleep 0.05
done
[[ $code == 200 ]] || { tail -20 "$TMP/ctl.log" >&2; die "polkfura-ctl /healthz: $code after 10 s"; }
echo "polkfura-ctl: pid $CTL_PID, /healthz 200 after $((($(now_ns) - T_START) / 1000000)) ms," \
	"http on :$CTL_PORT"

# ---- 4. the measured window ----
sleep "$WARMUP"
alive "$CTL_PID" || { tail -20 "$TMP/ctl.log" >&2; die "polkfura-ctl died during the warm-up"; }
scrape start "$TMP/metrics-start.txt"
LOG_LINES0=$(wc -l <"$TMP/ctl.log")
SOCKS_PREV=$(sock_inodes "$CTL_PID")
NEW_SOCKS=0
W0=$(now_ns)
CTL0=$(cpu_ticks "$CTL_PID")
read -r CTL0U CTL0S < <(cpu_split "$CTL_PID")
SIM0=$(cpu_ticks "$SIM_PID")
HAP0=$(cpu_ticks "$HAP_PID")
BOX0=$(box_ticks)
RSS_MIN='' RSS_MAX=0
for ((s = 0; s < SECONDS_RUN; s++)); do
	sleep 1
	alive "$CTL_PID" || { tail -20 "$TMP/ctl.log" >&2; die "polkfura-ctl died during the window"; }
	rss=$(status_kb "$CTL_PID" VmRSS)
	socks=$(sock_inodes "$CTL_PID")
	NEW_SOCKS=$((NEW_SOCKS + $(comm -13 <(echo "$SOCKS_PREV") <(echo "$socks") | grep -c . || true)))
	SOCKS_PREV=$socks
	if ((rss > RSS_MAX)); then RSS_MAX=$rss; fi
	if [[ -z $RSS_MIN ]] || ((rss < RSS_MIN)); then RSS_MIN=$rss; fi
done
CTL1=$(cpu_ticks "$CTL_PID")
read -r CTL1U CTL1S < <(cpu_split "$CTL_PID")
SIM1=$(cpu_ticks "$SIM_PID")
HAP1=$(cpu_ticks "$HAP_PID")
BOX1=$(box_ticks)
W1=$(now_ns)
RSS_KB=$(status_kb "$CTL_PID" VmRSS)
HWM_KB=$(status_kb "$CTL_PID" VmHWM)
CTL_FDS=$(find "/proc/$CTL_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
scrape end "$TMP/metrics-end.txt"
SIM_RSS_KB=$(status_kb "$SIM_PID" VmRSS)
SPEED1=$(speed_ms)

pct() { # ticks0 ticks1: % of one core over the window
	awk -v a="$1" -v b="$2" -v t="$CLK_TCK" -v w0="$W0" -v w1="$W1" \
		'BEGIN { printf "%.1f", (b - a) / t / ((w1 - w0) / 1e9) * 100 }'
}
CTL_CPU=$(pct "$CTL0" "$CTL1")
CTL_USR=$(pct "$CTL0U" "$CTL1U")
CTL_SYS=$(pct "$CTL0S" "$CTL1S")
SIM_CPU=$(pct "$SIM0" "$SIM1")
HAP_CPU=$(pct "$HAP0" "$HAP1")
# Machine-wide busy time over the window, in % of one core, and what is left
# once polkfura-ctl, nodesim and haproxy are taken out: other load that
# competes for the CPUs and skews latencies.
BOX_CPU=$(awk -v a="$BOX0" -v b="$BOX1" -v t="$CLK_TCK" -v w0="$W0" -v w1="$W1" \
	'BEGIN { printf "%.1f", (b - a) / t / ((w1 - w0) / 1e9) * 100 }')
OTHER_CPU=$(awk -v b="$BOX_CPU" -v c="$CTL_CPU" -v s="$SIM_CPU" -v h="$HAP_CPU" \
	'BEGIN { o = b - c - s - h; printf "%.1f", o < 0 ? 0 : o }')
WALL_S=$(awk -v a="$W0" -v b="$W1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
ROUNDS0=$(metric "$TMP/metrics-start.txt" polkfura_ctl_rounds_total)
ROUNDS1=$(metric "$TMP/metrics-end.txt" polkfura_ctl_rounds_total)
ROUNDS=$(awk -v a="$ROUNDS0" -v b="$ROUNDS1" 'BEGIN { printf "%d", b - a }')
ROUNDS_ALL=$(awk -v b="$ROUNDS1" 'BEGIN { printf "%d", b }')
FAIL0=$(metric "$TMP/metrics-start.txt" polkfura_ctl_poll_failures_total)
FAIL1=$(metric "$TMP/metrics-end.txt" polkfura_ctl_poll_failures_total)
FAILURES=$(awk -v a="$FAIL0" -v b="$FAIL1" 'BEGIN { printf "%d", b - a }')
FAILURES_ALL=$(awk -v b="$FAIL1" 'BEGIN { printf "%d", b }')
ROUND_S=$(metric "$TMP/metrics-end.txt" polkfura_ctl_round_duration_seconds)
LAT_SUM0=$(metric "$TMP/metrics-start.txt" polkfura_ctl_poll_latency_seconds_sum)
LAT_SUM1=$(metric "$TMP/metrics-end.txt" polkfura_ctl_poll_latency_seconds_sum)
LAT_N0=$(metric "$TMP/metrics-start.txt" polkfura_ctl_poll_latency_seconds_count)
LAT_N1=$(metric "$TMP/metrics-end.txt" polkfura_ctl_poll_latency_seconds_count)
POLLS=$(awk -v a="$LAT_N0" -v b="$LAT_N1" 'BEGIN { printf "%d", b - a }')
LAT_MEAN_MS=$(awk -v a="$LAT_SUM0" -v b="$LAT_SUM1" -v n="$POLLS" \
	'BEGIN { if (n > 0) printf "%.1f", (b - a) / n * 1000; else print "nan" }')
# Polls over 100 ms in the window (histogram bucket le=0.1, summed over nodes).
slow_polls() {
	awk '/^polkfura_ctl_poll_latency_seconds_bucket/ && /le="0.1"/ { b += $2 }
	     /^polkfura_ctl_poll_latency_seconds_count/ { n += $2 }
	     END { printf "%d\n", n - b }' "$1"
}
SLOW=$(($(slow_polls "$TMP/metrics-end.txt") - $(slow_polls "$TMP/metrics-start.txt")))
READY_NODES=$(metric "$TMP/metrics-end.txt" polkfura_ctl_chain_ready_nodes | awk '{ printf "%d", $1 }')
HAP_UP=$(metric "$TMP/metrics-end.txt" polkfura_ctl_haproxy_up | awk '{ printf "%d", $1 }')
REC_ERR=$(metric "$TMP/metrics-end.txt" polkfura_ctl_reconcile_errors_total | awk '{ printf "%d", $1 }')
LATE_TICKS=$(tail -n +"$((LOG_LINES0 + 1))" "$TMP/ctl.log" | grep -c 'still running at the next tick' || true)
WARN_LINES=$(tail -n +"$((LOG_LINES0 + 1))" "$TMP/ctl.log" | grep -c 'lvl=\(warn\|err\)' || true)
CONNECTS=$NEW_SOCKS
METRICS_BYTES=$(wc -c <"$TMP/metrics-end.txt")

echo
echo "window: ${WALL_S} s of wall time"
echo "  polkfura-ctl  CPU ${CTL_CPU} % of one core (user ${CTL_USR} %, sys ${CTL_SYS} %), VmRSS $((RSS_KB / 1024)) MB" \
	"(window min $((RSS_MIN / 1024)) / max $((RSS_MAX / 1024)) MB), VmHWM $((HWM_KB / 1024)) MB, $CTL_FDS fds"
echo "  nodesim       CPU ${SIM_CPU} % of one core, VmRSS $((SIM_RSS_KB / 1024)) MB (context)"
echo "  haproxy       CPU ${HAP_CPU} % of one core (context: one runtime-API read a second)"
echo "  machine       ${BOX_CPU} % of one core busy in all ($(nproc) CPUs), ${OTHER_CPU} % of it other processes;" \
	"reference loop ${SPEED0} ms before the run, ${SPEED1} ms after the window (host speed: compare runs)"
NOISY=
if awk -v o="$OTHER_CPU" 'BEGIN { exit !(o > 25) }'; then
	NOISY=" (NOISY: other processes used ${OTHER_CPU} % of a core during the window)"
	echo "  WARNING: other processes competed for the CPUs: latencies and round times are skewed; rerun on a quiet machine"
fi
echo "  rounds        $ROUNDS in the window ($(awk -v r="$ROUNDS" -v w="$WALL_S" 'BEGIN { printf "%.2f", r / w }')/s)," \
	"$ROUNDS_ALL since start; ticks skipped (round still running): $LATE_TICKS"
echo "  polls         $POLLS in the window, failures $FAILURES ($FAILURES_ALL since start)," \
	"mean latency ${LAT_MEAN_MS} ms, over 100 ms: $SLOW"
if ((FAILURES > 0)); then
	join -a1 -e 0 -o 0,1.2,2.2 <(failures_by_reason "$TMP/metrics-end.txt") \
		<(failures_by_reason "$TMP/metrics-start.txt") |
		awk '$2 - $3 > 0 { printf "  failed polls  in the window, %s: %d\n", $1, $2 - $3 }'
fi
if ((FAILURES_ALL > FAILURES)); then
	failures_by_reason "$TMP/metrics-start.txt" |
		awk '$2 > 0 { printf "  failed polls  before the window (start-up, warm-up), %s: %d\n", $1, $2 }'
	grep -- '-> drain' "$TMP/ctl.log" | head -3 | sed 's/^/  drain before the time-to-drain runs: /'
fi
echo "  last round    $(awk -v s="$ROUND_S" 'BEGIN { printf "%.1f", s * 1000 }') ms from tick to last answer" \
	"(polkfura_ctl_round_duration_seconds)"
echo "  in rotation   $READY_NODES of $((CHAINS * NODES)); haproxy_up $HAP_UP; reconcile errors $REC_ERR;" \
	"warn/err log lines in the window: $WARN_LINES"
echo "  new sockets   $CONNECTS seen in the controller during the window (its fds, sampled each second;" \
	"~0 when every poll reuses its node's keep-alive connection)"
echo "  /metrics      $((METRICS_BYTES / 1024)) KiB per scrape"

if ((STRACE_SECONDS > 0)); then
	if command -v strace >/dev/null; then
		echo
		echo "strace -c -f -p $CTL_PID for $STRACE_SECONDS s (not in the measured window):"
		timeout -s INT "$STRACE_SECONDS" strace -c -f -p "$CTL_PID" -o "$TMP/strace.txt" 2>/dev/null || true
		sed -n '1,25p' "$TMP/strace.txt"
	else
		echo "strace not installed: PF_CTL_BENCH_STRACE ignored"
	fi
fi

# ---- 5. time-to-drain ----
echo
echo "time-to-drain: $DRAIN_NODE ($DRAIN_BACKEND/$DRAIN_SERVER) set 100 blocks behind; FDRAIN polled every 20 ms"
if [[ -n $HANG_NODE ]]; then
	curl -sf -o /dev/null -d '{"hang": true}' "http://127.0.0.1:$SIM_CONTROL/nodes/$HANG_NODE" ||
		die "cannot hang $HANG_NODE"
	sleep "$(((FALL + 2) * INTERVAL_MS / 1000))"
	echo "  $HANG_NODE hangs (never answers): every round now lasts timeout_ms ($TIMEOUT_MS ms)"
fi
"${HELPER[@]}" drain "$ADMIN_SOCK" "$SIM_CONTROL" "$DRAIN_NODE" "$DRAIN_BACKEND" "$DRAIN_SERVER" \
	"$DRAINS" "$INTERVAL_MS" 100 c0-n0 "$TMP/ctl.log" >"$TMP/drain.txt" 2>"$TMP/drain.log" ||
	{ cat "$TMP/drain.log" >&2; tail -20 "$TMP/ctl.log" >&2; die "time-to-drain measurement failed"; }
TICK_MS=$(awk '$1 == "tick" { print $2 }' "$TMP/drain.txt")
echo "  controller tick located to +-${TICK_MS} ms (c0-n0's system_health count); each step lands at a set phase after a tick"
awk '$1 == "sample"' "$TMP/drain.txt" >"$TMP/drain-samples.txt"
D_BOUND=$((FALL * INTERVAL_MS))
while read -r _ i phase dec ms rec; do
	# The model: the poll that sees the step is the first one after it, so the
	# decision comes fall x interval - phase after the step, plus the time the
	# round takes to finish (it waits for all its polls); one interval less
	# when the step beat this round's poll of the node.
	base=$D_BOUND
	((dec - base + phase < 0)) && base=$((D_BOUND - INTERVAL_MS))
	printf '  #%d  steered %4d ms after a tick: decided after %5d ms (= %d - %d + %3d), FDRAIN seen after %5d ms (back in rotation %d ms after reset)\n' \
		"$i" "$phase" "$dec" "$base" "$phase" "$((dec - base + phase))" "$ms" "$rec"
done <"$TMP/drain-samples.txt"
read -r D_MIN D_MED D_MAX < <(awk '{ print $5 }' "$TMP/drain-samples.txt" | sort -n |
	awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d %d\n", v[1], m, v[NR] }')
echo "  model: decided = fall x interval ($D_BOUND) - phase + the rest of the round (the last of the" \
	"$((CHAINS * NODES)) polls to answer), or one interval less when the step beats the node's poll in that round;" \
	"HAProxy shows it one runtime-API exchange (show info; show servers state, then set server) later"

# ---- 6. summary ----
RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')
HWM_MB=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')
verdict() { # value target
	awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 < t + 0) ? "ok" : "MISSED" }'
}
VARIANT_TXT=
if ((${#VARIANT[@]} > 0)); then
	VARIANT_TXT=$(IFS=';' && echo "${VARIANT[*]}")
	VARIANT_TXT=" [VARIANT: ${VARIANT_TXT//;/; }]"
fi
SUMMARY="ctl: $((CHAINS * NODES)) nodes @1s${VARIANT_TXT}: CPU ${CTL_CPU} % of one core, RSS ${RSS_MB} MB (peak ${HWM_MB} MB);"
SUMMARY+=" time-to-drain min/median/max ${D_MIN}/${D_MED}/${D_MAX} ms; rounds ${ROUNDS}, failures ${FAILURES}${NOISY}"
{
	echo "# tests/bench/ctl_bench.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs," \
		"$("$CTL_BIN" --version 2>/dev/null) ($CTL_BIN, git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- ctl common 2>/dev/null || echo ' + local changes'))"
	# shellcheck source=/dev/null # /etc/os-release is the running system's
	echo "# machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(curl --version | head -1 | cut -d' ' -f1-2)"
	echo "$SUMMARY"
	echo "targets: CPU < ${TARGET_CPU} % $(verdict "$CTL_CPU" "$TARGET_CPU"); RSS < ${TARGET_RSS} MB" \
		"$(verdict "$HWM_MB" "$TARGET_RSS"); drain max <= ${D_BOUND} + 500 ms for the round" \
		"$(verdict "$D_MAX" "$((D_BOUND + 501))"); failures $( ((FAILURES == 0)) && echo ok || echo NONZERO)"
	echo "context: nodesim CPU ${SIM_CPU} %, haproxy CPU ${HAP_CPU} %, other processes ${OTHER_CPU} %," \
		"reference loop ${SPEED0}/${SPEED1} ms before/after, mean poll ${LAT_MEAN_MS} ms," \
		"last round $(awk -v s="$ROUND_S" 'BEGIN { printf "%.0f", s * 1000 }') ms, new sockets in window ${CONNECTS}, skipped ticks ${LATE_TICKS}"
} | tee "$RESULTS"
echo "(written to $RESULTS)"
