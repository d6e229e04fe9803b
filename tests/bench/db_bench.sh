#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`, part 5: the controller's write path to PostgreSQL
# (ctl/db/writer.c) driven by tests/harness/dbw_drive, against a throw-away
# PostgreSQL on a unix socket (initdb here, the schema of sql/ applied with
# psql, fsync on as a real server runs, synchronous_commit on).
#  1. steady: the database up, STEADY node-state records put in commands of
#     1,000 (each command one loop iteration: puts, one fdatasync, batches of
#     256 pipelined); the time from the first put to the last
#     acknowledgement gives records/s;
#  2. replay: the database stopped (fast shutdown), REPLAY records put into
#     the spool, the database started again; the time from its first
#     accepted connection (pg_isready) to the last acknowledgement gives
#     records/s of the replay (the reconnect backoff is 50-100 ms here, so
#     it costs at most 100 ms of that time).
# ROUNDS rounds of each; min/median/max printed, and how busy the rest of
# the machine was (the driver and PostgreSQL taken out; over 25 % of a core
# is flagged NOISY).
# Usage: tests/bench/db_bench.sh [BUILD_DIR]   (default build/release)
# Knobs: PF_DB_BENCH_STEADY (20000), PF_DB_BENCH_REPLAY (20000),
#        PF_DB_BENCH_ROUNDS (3), PF_PG_BIN (the newest /usr/lib/postgresql/*/bin).
# Output also goes to build/bench-db.txt.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build/release}
RESULTS=build/bench-db.txt
STEADY=${PF_DB_BENCH_STEADY:-20000}
REPLAY=${PF_DB_BENCH_REPLAY:-20000}
ROUNDS=${PF_DB_BENCH_ROUNDS:-3}
CLK_TCK=$(getconf CLK_TCK)
DRIVE=$BUILD/tests/harness/dbw_drive
for v in STEADY REPLAY ROUNDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "PF_DB_BENCH_$v: a count" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pf-db-XXXXXX")
chmod 755 "$TMP"
PIDS=()
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PG_PID=
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	if [[ -n $PG_PID ]]; then kill -INT "$PG_PID" 2>/dev/null || true; fi
	for pid in "${PIDS[@]}" $PG_PID; do
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p build
exec > >(tee "$RESULTS") 2>&1

die() {
	echo "db_bench: $*" >&2
	exit 1
}

[[ -x $DRIVE ]] || die "$DRIVE not built (make $DRIVE)"
PGBIN=${PF_PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)}
[[ -x $PGBIN/postgres ]] || die "no PostgreSQL server binaries (make deps)"
AS_PG=()
if [[ $(id -u) -eq 0 ]]; then
	AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
PGDIR=$TMP/pg
mkdir -p "$PGDIR"
[[ ${#AS_PG[@]} -gt 0 ]] && chown postgres "$PGDIR"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 \
	--no-instructions >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log"; die "initdb"; }
PGPORT=5432
CONNINFO="host=$PGDIR port=$PGPORT user=postgres dbname=postgres"

pg_start() {
	"${AS_PG[@]}" "$PGBIN/postgres" -D "$PGDIR/data" -p $PGPORT -c listen_addresses= \
		-c "unix_socket_directories=$PGDIR" >>"$TMP/postgres.log" 2>&1 &
	PG_PID=$!
	local i
	for ((i = 0; i < 600; i++)); do
		"$PGBIN/pg_isready" -q -h "$PGDIR" -p $PGPORT -U postgres && return 0
		kill -0 "$PG_PID" 2>/dev/null || { tail "$TMP/postgres.log"; die "postgres exited"; }
		sleep 0.02
	done
	die "postgres not ready"
}
pg_stop() {
	kill -INT "$PG_PID"
	while kill -0 "$PG_PID" 2>/dev/null; do sleep 0.02; done
	PG_PID=
}
psql_q() {
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGDIR" -p $PGPORT -U postgres "$@"
}
# all_ticks PID: its CPU and that of its children it has reaped (utime+stime+cutime+cstime).
all_ticks() {
	local s
	s=$(<"/proc/$1/stat") || { echo 0; return; }
	s=${s##*) }
	awk '{ print $12 + $13 + $14 + $15 }' <<<"$s"
}
# ours_ticks: this script, everything it started and reaped (psql, grep, the drivers,
# stopped postgres instances), and what runs now (the driver, postgres and its backends).
ours_ticks() {
	local t p
	t=$(all_ticks $$)
	for p in ${DRIVE_PID:-} ${PG_PID:-} $( [[ -n ${PG_PID:-} ]] && pgrep -P "$PG_PID"); do
		t=$((t + $(all_ticks "$p" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

pg_start
psql_q -f sql/001_schema.sql -f sql/002_observation.sql >/dev/null || die "schema"

echo "== db_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -m))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), $("$PGBIN/postgres" --version)"

TAG=0
# cmd LOG FIFO TEXT: sends "<tag> TEXT" and prints the answer line.
cmd() {
	local log=$1 fifo=$2 i
	TAG=$((TAG + 1))
	echo "t$TAG $3" >"$fifo"
	for ((i = 0; i < 6000; i++)); do
		if grep -q "^t$TAG " "$log"; then
			grep "^t$TAG " "$log"
			return 0
		fi
		sleep 0.01
	done
	die "driver did not answer: $3"
}
# wait_written LOG FIFO N: polls until N records are acknowledged and none pending.
wait_written() {
	local s
	while :; do
		s=$(cmd "$1" "$2" stats)
		if [[ $s == *" written=$3 "* && $s == *" pending=0 "* ]]; then
			return 0
		fi
		[[ $s == *" rejected=0 "* && $s == *" skipped=0 "* && $s == *" lost=0 "* ]] ||
			die "records refused: $s"
		sleep 0.01
	done
}
start_drive() {
	local n=$1
	mkdir -p "$TMP/spool$n"
	mkfifo "$TMP/fifo$n"
	"$DRIVE" --conninfo "$CONNINFO" --spool-dir "$TMP/spool$n" --region eu1 \
		--fifo "$TMP/fifo$n" --reconnect-min-ms 50 --reconnect-max-ms 100 \
		--log-level warn >"$TMP/drive$n.log" 2>&1 &
	DRIVE_PID=$!
	PIDS+=("$DRIVE_PID")
	for ((i = 0; i < 500; i++)); do
		grep -q '^ready$' "$TMP/drive$n.log" && return 0
		sleep 0.01
	done
	die "driver not ready"
}
now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

STEADY_RATES=()
REPLAY_RATES=()
DRIVE_PID=
BOX0=$(box_ticks)
OURS0=$(ours_ticks)
T_START=$(now_ns)
for ((r = 1; r <= ROUNDS; r++)); do
	psql_q -c "TRUNCATE node_state_changes" >/dev/null
	start_drive "$r"
	LOG=$TMP/drive$r.log
	FIFO=$TMP/fifo$r
	t0=$(now_ns)
	for ((k = 0; k < STEADY; k += 1000)); do
		n=$((STEADY - k < 1000 ? STEADY - k : 1000))
		cmd "$LOG" "$FIFO" "gen node_change s$r $k $n 1700000000000" >/dev/null
	done
	wait_written "$LOG" "$FIFO" "$STEADY"
	t1=$(now_ns)
	STEADY_RATES+=("$(awk -v n="$STEADY" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')")
	got=$(psql_q -c "SELECT count(*) FROM node_state_changes")
	[[ $got -eq $STEADY ]] || die "steady: $got rows, wanted $STEADY"

	pg_stop
	cmd "$LOG" "$FIFO" "gen node_change p$r 0 $REPLAY 1700000000000" >/dev/null
	pg_start
	t0=$(now_ns)
	wait_written "$LOG" "$FIFO" $((STEADY + REPLAY))
	t1=$(now_ns)
	REPLAY_RATES+=("$(awk -v n="$REPLAY" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')")
	got=$(psql_q -c "SELECT count(*) FROM node_state_changes WHERE id LIKE 'p$r-%'")
	[[ $got -eq $REPLAY ]] || die "replay: $got rows, wanted $REPLAY"
	kill "$DRIVE_PID"
	wait "$DRIVE_PID" || die "driver exited $?"
	DRIVE_PID=
	[[ -s $TMP/spool$r/eu1.spool ]] && die "spool not truncated"
	echo "round $r: steady ${STEADY_RATES[-1]} records/s, replay ${REPLAY_RATES[-1]} records/s"
done
T_END=$(now_ns)
OURS1=$(ours_ticks)
BOX1=$(box_ticks)
WALL_TICKS=$(awk -v ns=$((T_END - T_START)) -v hz="$CLK_TCK" 'BEGIN { print ns / 1e9 * hz }')
OTHER=$(awk -v b=$((BOX1 - BOX0)) -v o=$((OURS1 - OURS0)) -v w="$WALL_TICKS" \
	'BEGIN { v = (b - o) / w * 100; if (v < 0) v = 0; printf "%.0f", v }')
NOISY=
((OTHER > 25)) && NOISY=" (NOISY: other processes used ${OTHER} % of a core)"
S=$(printf '%s\n' "${STEADY_RATES[@]}" | sort -n)
R=$(printf '%s\n' "${REPLAY_RATES[@]}" | sort -n)
echo "db_bench: steady ${STEADY} records, min/median/max $(head -1 <<<"$S")/$(median <<<"$S")/$(tail -1 <<<"$S") records/s;" \
	"replay of ${REPLAY} after an outage $(head -1 <<<"$R")/$(median <<<"$R")/$(tail -1 <<<"$R") records/s;" \
	"${ROUNDS} rounds, batch 256, other processes ${OTHER} % of a core${NOISY}"
