# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers shared by the benchmark scripts (sourced, not run). A script that
# sources it defines die MESSAGE (its own prefix), TMP (a scratch dir) and
# PIDS (the processes its cleanup stops).

USED_PORTS=" "

# stop_and_clean: the EXIT trap of a script that starts processes: each of
# PIDS gets SIGTERM and is waited for, then TMP goes.
stop_and_clean() {
	local p
	for p in "${PIDS[@]}"; do
		if kill -TERM "$p" 2>/dev/null; then
			wait "$p" 2>/dev/null || true
		fi
	done
	rm -rf "$TMP"
}

# free_port VAR: a port below the ephemeral range that nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[[ $USED_PORTS == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED_PORTS+="$p "
			printf -v "$1" '%s' "$p"
			return
		fi
	done
}

# cpu_ticks PID: utime+stime of every thread, in clock ticks. Fields counted
# after the ")" that ends comm, so a comm with spaces cannot shift them.
cpu_ticks() {
	local s
	s=$(<"/proc/$1/stat")
	s=${s##*) }
	awk '{ print $12 + $13 }' <<<"$s"
}

# wait_port PORT PID WHAT LOG: poll until PORT accepts, fail if PID dies.
wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || { cat "$4" >&2; die "$3 exited at start"; }
		sleep 0.05
	done
	cat "$4" >&2
	die "$3 does not listen on port $1"
}

# box_ticks: busy clock ticks of the whole machine, all CPUs (/proc/stat).
box_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# start_stub: an upstream HAProxy answering every request with a small
# JSON-RPC result, on a free port; sets STUB_PORT and STUB_PID.
start_stub() {
	free_port STUB_PORT
	cat >"$TMP/stub.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 3s
    timeout client 30s
    timeout server 30s
frontend stub
    bind 127.0.0.1:$STUB_PORT
    option http-buffer-request
    http-request return status 200 content-type application/json string '{"jsonrpc":"2.0","id":1,"result":null}'
EOF
	haproxy -c -q -f "$TMP/stub.cfg" || die "stub config"
	haproxy -db -f "$TMP/stub.cfg" >"$TMP/stub.log" 2>&1 &
	STUB_PID=$!
	PIDS+=("$STUB_PID")
	wait_port "$STUB_PORT" "$STUB_PID" "stub haproxy" "$TMP/stub.log"
}
